/* ferryd's sessions: each session channel runs one command through exec_spawn, with its pipes
 * read and written through the connection's event loop (RFC 4254 §5.2, §6.5, §6.10). */
#include "transfer/server-session.h"
#include "common/log.h"
#include "common/text.h"
#include "proto/channel.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PIPE_CHUNK (64 * 1024)
#define MAX_ENV 64

struct out_pipe {
	int fd;
	uint8_t *buf;
	size_t len, off;        /* read from the command, not yet sent */
	bool reading, eof;
};

/* Operations in flight keep their fd and buffer alive: a session that ends cancels them and
 * only closes each fd once its callback has run (a cancelled read may still be finishing in
 * the kernel). Ended sessions stay on a list and are freed after the loop is gone. */

struct session {
	struct session *next_dead;
	bool used;
	bool started;
	uint32_t chan;
	char *env[MAX_ENV];
	size_t nenv;
	struct exec_child child;
	/* stdin: data from the channel waiting for the command */
	struct buf in_pending, in_writing;
	bool in_busy, in_eof, in_closed;
	struct out_pipe out[2];     /* stdout (ext 0) and stderr (ext 1) */
	bool exit_polling, exited, reported;
	int status, signo;
	bool core;
	struct server_state *st;
};

struct server_state {
	struct ferry_conn *conn;
	struct ssh_server *srv;
	struct io_loop *loop;
	const struct server_session_policy *pol;
	struct session *sess[CHAN_MAX];
	struct session *dead;
	bool failed;
};

static void sess_push_output(struct session *se);
static void sess_maybe_finish(struct session *se);

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

/* Ends a session: cancels what is in flight (each callback then closes its fd), closes the
 * rest, and moves it to the dead list. */
static void sess_end(struct session *se)
{
	struct server_state *st = se->st;
	struct io_loop *loop = st->loop;
	if (!se->used)
		return;
	se->used = false;
	for (int i = 0; i < 2; i++) {
		if (se->out[i].reading)
			io_cancel_fd(loop, se->out[i].fd);
		else
			close_fd(&se->out[i].fd);
	}
	if (se->in_busy)
		io_cancel_fd(loop, se->child.fd_in);
	else
		close_fd(&se->child.fd_in);
	if (se->exit_polling)
		io_cancel_fd(loop, se->child.pidfd);
	else
		close_fd(&se->child.pidfd);
	st->sess[se->chan] = NULL;
	se->next_dead = st->dead;
	st->dead = se;
}

static void sess_destroy(struct session *se)
{
	for (size_t i = 0; i < se->nenv; i++)
		free(se->env[i]);
	for (int i = 0; i < 2; i++) {
		close_fd(&se->out[i].fd);
		free(se->out[i].buf);
	}
	close_fd(&se->child.fd_in);
	close_fd(&se->child.fd_out);
	close_fd(&se->child.fd_err);
	close_fd(&se->child.pidfd);
	buf_free(&se->in_pending);
	buf_free(&se->in_writing);
	free(se);
}

/* --- command output -> channel --- */

static void on_out_read(struct session *se, int which, ssize_t res)
{
	struct out_pipe *o = &se->out[which];
	o->reading = false;
	if (!se->used) {
		close_fd(&o->fd);
		return;
	}
	if (res <= 0) {
		o->eof = true;
		close_fd(&o->fd);
		sess_maybe_finish(se);
		return;
	}
	o->len = (size_t)res;
	o->off = 0;
	sess_push_output(se);
}

static void on_stdout_read(void *arg, ssize_t res, int e) { on_out_read(arg, 0, res); }
static void on_stderr_read(void *arg, ssize_t res, int e) { on_out_read(arg, 1, res); }

/* Sends what the command wrote as far as the client's window allows; reads more when done. */
static void sess_push_output(struct session *se)
{
	struct server_state *st = se->st;
	for (int i = 0; i < 2; i++) {
		struct out_pipe *o = &se->out[i];
		if (o->fd < 0 && o->off >= o->len)
			continue;
		while (o->off < o->len) {
			size_t sent = 0;
			if (!ssh_server_chan_open(st->srv, se->chan) ||
			    ssh_server_chan_send(st->srv, se->chan, (uint32_t)i, o->buf + o->off, o->len - o->off, &sent) != 0) {
				o->off = o->len;    /* the client went away: drop it */
				break;
			}
			if (sent == 0)
				break;
			o->off += sent;
		}
		if (o->off < o->len || o->reading || o->eof || o->fd < 0 || ferry_conn_congested(st->conn))
			continue;
		if (io_read(st->loop, o->fd, o->buf, PIPE_CHUNK, i ? on_stderr_read : on_stdout_read, se) != 0) {
			o->eof = true;
			close_fd(&o->fd);
			continue;
		}
		o->reading = true;
	}
	ferry_conn_flush(st->conn);
}

/* --- channel -> command input --- */

static void sess_push_input(struct session *se);

static void on_stdin_written(void *arg, ssize_t res, int e)
{
	struct session *se = arg;
	size_t n = buf_len(&se->in_writing);
	se->in_busy = false;
	buf_reset(&se->in_writing);
	if (!se->used) {
		close_fd(&se->child.fd_in);
		return;
	}
	if (res < 0) {
		/* The command stopped reading: throw the rest away, keep the window moving. */
		close_fd(&se->child.fd_in);
		se->in_closed = true;
		buf_reset(&se->in_pending);
	}
	if (ssh_server_chan_consumed(se->st->srv, se->chan, n) != 0)
		log_debug1("could not adjust the window");
	sess_push_input(se);
	ferry_conn_flush(se->st->conn);
}

static void sess_push_input(struct session *se)
{
	if (se->in_busy || se->in_closed)
		return;
	if (buf_len(&se->in_pending) == 0) {
		/* EOF from the client reaches the command once all data went before it. */
		if (se->in_eof) {
			close_fd(&se->child.fd_in);
			se->in_closed = true;
		}
		return;
	}
	struct buf tmp = se->in_writing;
	se->in_writing = se->in_pending;
	se->in_pending = tmp;
	buf_reset(&se->in_pending);
	if (io_write(se->st->loop, se->child.fd_in, buf_rptr(&se->in_writing), buf_len(&se->in_writing),
		     on_stdin_written, se) != 0) {
		close_fd(&se->child.fd_in);
		se->in_closed = true;
		return;
	}
	se->in_busy = true;
}

/* --- the command's end --- */

static void on_child_exit(void *arg, ssize_t res, int e)
{
	struct session *se = arg;
	se->exit_polling = false;
	if (!se->used || res == FERRY_ECANCELED) {
		if (!se->used)
			close_fd(&se->child.pidfd);
		return;
	}
	int r = exec_reap(&se->child, &se->status, &se->signo, &se->core);
	if (r == FERRY_EAGAIN) {
		if (io_poll_readable(se->st->loop, se->child.pidfd, on_child_exit, se) == 0)
			se->exit_polling = true;
		return;
	}
	se->exited = true;
	close_fd(&se->child.pidfd);
	sess_maybe_finish(se);
}

/* RFC 4254 §6.10: once the command ended and all its output went out, report how it ended
 * and close the channel. */
static void sess_maybe_finish(struct session *se)
{
	struct server_state *st = se->st;
	if (!se->exited || se->reported || se->out[0].fd >= 0 || se->out[1].fd >= 0 ||
	    se->out[0].off < se->out[0].len || se->out[1].off < se->out[1].len)
		return;
	se->reported = true;
	int r = ssh_server_chan_send_eof(st->srv, se->chan);
	if (r == 0) {
		if (se->signo)
			r = ssh_server_chan_exit_signal(st->srv, se->chan, exec_signal_name(se->signo), se->core, "");
		else
			r = ssh_server_chan_exit_status(st->srv, se->chan, (uint32_t)se->status);
	}
	if (r == 0)
		r = ssh_server_chan_close(st->srv, se->chan);
	if (r)
		log_debug1("channel %u: could not report the exit: %s", se->chan, ferry_strerror(r));
	ferry_conn_flush(st->conn);
}

static int sess_start(struct server_state *st, struct session *se, const char *command, const char *subsystem)
{
	struct exec_request req;
	char *err = NULL;
	int r;
	memset(&req, 0, sizeof(req));
	if (se->started)
		return FERRY_EINVAL;   /* one command per channel */
	if ((r = st->pol->prepare(st->pol->arg, command, subsystem, se->env, se->nenv, &req)) != 0)
		return r;
	if ((r = exec_spawn(&req, &se->child, &err)) != 0) {
		log_error("cannot run the command: %s", err ? err : ferry_strerror(r));
		free(err);
		return r;
	}
	se->started = true;
	se->out[0].fd = se->child.fd_out;
	se->out[1].fd = se->child.fd_err;
	se->child.fd_out = se->child.fd_err = -1;   /* owned by out[] now */
	if ((r = io_poll_readable(st->loop, se->child.pidfd, on_child_exit, se)) != 0)
		return r;
	se->exit_polling = true;
	sess_push_output(se);
	sess_push_input(se);
	return 0;
}

static void on_event(void *arg, struct ferry_conn *conn, const struct ssh_event *ev)
{
	struct server_state *st = arg;
	struct session *se = ev->chan < CHAN_MAX ? st->sess[ev->chan] : NULL;
	int r = 0;
	if (se == NULL && ev->type != SSH_EV_AUTHENTICATED && ev->type != SSH_EV_CHAN_OPENED) {
		/* A channel whose session could not be set up: refuse what it asks. */
		if ((ev->type == SSH_EV_CHAN_EXEC || ev->type == SSH_EV_CHAN_SHELL ||
		     ev->type == SSH_EV_CHAN_SUBSYSTEM || ev->type == SSH_EV_CHAN_ENV) && ev->flag)
			r = ssh_server_chan_reply(st->srv, ev->chan, false);
		else if (ev->type == SSH_EV_CHAN_DATA)
			r = ssh_server_chan_consumed(st->srv, ev->chan, ev->len);
		goto out;
	}
	switch (ev->type) {
	case SSH_EV_AUTHENTICATED:
		if (st->pol->authenticated && (r = st->pol->authenticated(st->pol->arg, ev->str)) != 0) {
			st->failed = true;
			ferry_conn_stop(conn);
			return;
		}
		return;
	case SSH_EV_CHAN_OPENED:
		se = calloc(1, sizeof(*se));
		if (se == NULL) {
			r = ssh_server_chan_close(st->srv, ev->chan);
			break;
		}
		st->sess[ev->chan] = se;
		se->used = true;
		se->chan = ev->chan;
		se->st = st;
		se->child.fd_in = se->child.fd_out = se->child.fd_err = se->child.pidfd = -1;
		se->out[0].fd = se->out[1].fd = -1;
		buf_init(&se->in_pending, 0);
		buf_init(&se->in_writing, 0);
		se->out[0].buf = malloc(PIPE_CHUNK);
		se->out[1].buf = malloc(PIPE_CHUNK);
		if (se->out[0].buf == NULL || se->out[1].buf == NULL)
			r = ssh_server_chan_close(st->srv, ev->chan);
		break;
	case SSH_EV_CHAN_ENV: {
		bool ok = !se->started && se->nenv < MAX_ENV && st->pol->accept_env &&
			  st->pol->accept_env(st->pol->arg, ev->str);
		if (ok) {
			char *kv = str_printf("%s=%s", ev->str, ev->str2 ? ev->str2 : "");
			if (kv)
				se->env[se->nenv++] = kv;
			ok = kv != NULL;
		} else {
			log_debug1("channel %u: refusing env %s", ev->chan, ev->str);
		}
		if (ev->flag)
			r = ssh_server_chan_reply(st->srv, ev->chan, ok);
		break;
	}
	case SSH_EV_CHAN_EXEC:
	case SSH_EV_CHAN_SHELL:
	case SSH_EV_CHAN_SUBSYSTEM: {
		const char *cmd = ev->type == SSH_EV_CHAN_EXEC ? ev->str : NULL;
		const char *sub = ev->type == SSH_EV_CHAN_SUBSYSTEM ? ev->str : NULL;
		int sr = sess_start(st, se, cmd, sub);
		if (ev->flag)
			r = ssh_server_chan_reply(st->srv, ev->chan, sr == 0);
		if (sr != 0 && r == 0 && !se->started)
			r = ssh_server_chan_close(st->srv, ev->chan);
		break;
	}
	case SSH_EV_CHAN_SIGNAL:
		if (se->started && !se->exited) {
			int sig = exec_signal_number(ev->str);
			if (sig > 0 && exec_signal(&se->child, sig) != 0)
				log_debug1("channel %u: could not deliver signal %s", ev->chan, ev->str);
		}
		break;
	case SSH_EV_CHAN_DATA:
		if (ev->ext != 0 || se->in_closed || !se->used) {
			r = ssh_server_chan_consumed(st->srv, ev->chan, ev->len);
			break;
		}
		if ((r = buf_put(&se->in_pending, ev->data, ev->len)) != 0)
			break;
		if (se->started)
			sess_push_input(se);
		break;
	case SSH_EV_CHAN_EOF:
		se->in_eof = true;
		if (se->started)
			sess_push_input(se);
		break;
	case SSH_EV_CHAN_WINDOW:
		sess_push_output(se);
		break;
	case SSH_EV_CHAN_CLOSED:
		sess_end(se);
		break;
	default:
		break;
	}
out:
	if (r) {
		log_error("channel %u: %s", ev->chan, ferry_strerror(r));
		st->failed = true;
		ferry_conn_stop(conn);
	}
}

static void on_drain(void *arg, struct ferry_conn *conn)
{
	struct server_state *st = arg;
	for (uint32_t i = 0; i < CHAN_MAX; i++)
		if (st->sess[i] && st->sess[i]->started)
			sess_push_output(st->sess[i]);
}

int server_session_serve(struct ferry_conn *conn, const struct server_session_policy *pol, char **errmsg)
{
	struct server_state *st = calloc(1, sizeof(*st));
	if (st == NULL) {
		ferry_conn_free(conn);
		return FERRY_ENOMEM;
	}
	st->conn = conn;
	st->srv = ferry_conn_server(conn);
	st->loop = ferry_conn_loop(conn);
	st->pol = pol;
	ferry_conn_set_handler(conn, on_event, on_drain, st);
	int r = ferry_conn_run(conn);
	if (r == 0 && st->failed)
		r = FERRY_EPERM;
	if (r && errmsg)
		*errmsg = strdup(ferry_conn_error(conn));
	for (uint32_t i = 0; i < CHAN_MAX; i++)
		if (st->sess[i])
			sess_end(st->sess[i]);
	/* Freeing the connection frees the loop, which waits for the kernel to let go of every
	 * buffer; only then do the sessions' buffers go. */
	ferry_conn_set_handler(conn, NULL, NULL, NULL);
	ferry_conn_free(conn);
	while (st->dead) {
		struct session *se = st->dead;
		st->dead = se->next_dead;
		sess_destroy(se);
	}
	free(st);
	return r;
}
