/* `ferry ssh`: run a command on a remote host with stdin, stdout and stderr piped, as OpenSSH's
 * ssh does without a terminal; the exit status is the remote command's (255 for ferry's own
 * errors). */
#include "cli/client.h"
#include "cli/commands.h"
#include "common/log.h"
#include "common/text.h"
#include "io/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STDIN_CHUNK (256 * 1024)

struct out_stream {
	int fd;
	struct buf pending;      /* received, not yet being written */
	struct buf writing;      /* handed to io_write */
	bool busy;
	bool broken;             /* the reader went away: drop further output */
};

struct ssh_session {
	struct ferry_conn *conn;
	struct ssh_client *ssh;
	struct io_loop *loop;
	uint32_t chan;
	bool chan_open;
	const char *command;     /* NULL: shell */
	const char *subsystem;
	bool stdin_null;
	int in_fd;
	uint8_t *in_buf;
	size_t in_len, in_off;   /* read but not yet sent */
	bool in_reading, in_eof, eof_sent, request_done;
	struct out_stream out[2];
	bool closed;
	bool have_status;
	int exit_status;
	bool killed;
	char *signal_name;
	struct ssh_options *opts;
};

static void session_maybe_finish(struct ssh_session *s)
{
	if (s->closed && !s->out[0].busy && !s->out[1].busy && buf_len(&s->out[0].pending) == 0 &&
	    buf_len(&s->out[1].pending) == 0)
		ferry_conn_stop(s->conn);
}

static void out_start(struct ssh_session *s, int which);

static void on_out_done(struct ssh_session *s, int which, ssize_t res)
{
	struct out_stream *o = &s->out[which];
	size_t n = buf_len(&o->writing);
	o->busy = false;
	buf_reset(&o->writing);
	if (res < 0)
		o->broken = true;   /* e.g. EPIPE: keep the window moving, drop the data */
	if (s->chan_open && ssh_chan_consumed(s->ssh, s->chan, n) != 0)
		log_debug1("could not adjust the window");
	out_start(s, which);
	ferry_conn_flush(s->conn);
	session_maybe_finish(s);
}

static void on_stdout_done(void *arg, ssize_t res, int e) { on_out_done(arg, 0, res); }
static void on_stderr_done(void *arg, ssize_t res, int e) { on_out_done(arg, 1, res); }

static void out_start(struct ssh_session *s, int which)
{
	struct out_stream *o = &s->out[which];
	if (o->busy || buf_len(&o->pending) == 0)
		return;
	struct buf tmp = o->writing;
	o->writing = o->pending;
	o->pending = tmp;
	buf_reset(&o->pending);
	if (o->broken) {
		on_out_done(s, which, 0);
		return;
	}
	int r = io_write(s->loop, o->fd, buf_rptr(&o->writing), buf_len(&o->writing),
			 which ? on_stderr_done : on_stdout_done, s);
	if (r) {
		o->broken = true;
		on_out_done(s, which, r);
		return;
	}
	o->busy = true;
}

static void stdin_pump(struct ssh_session *s);

static void on_stdin_read(void *arg, ssize_t res, int sys_errno)
{
	struct ssh_session *s = arg;
	s->in_reading = false;
	if (res <= 0) {
		if (res < 0 && res != FERRY_ECANCELED)
			log_error("read from stdin failed: %s", strerror(sys_errno));
		s->in_eof = true;
	} else {
		s->in_len = (size_t)res;
		s->in_off = 0;
	}
	stdin_pump(s);
	ferry_conn_flush(s->conn);
}

/* Moves stdin to the channel as the window allows; reads more when all is sent. */
static void stdin_pump(struct ssh_session *s)
{
	if (!s->chan_open || !s->request_done || s->eof_sent)
		return;
	while (s->in_off < s->in_len) {
		size_t sent = 0;
		if (ssh_chan_send(s->ssh, s->chan, 0, s->in_buf + s->in_off, s->in_len - s->in_off, &sent) != 0)
			return;
		if (sent == 0)
			return;     /* the window is shut: SSH_EV_CHAN_WINDOW brings us back */
		s->in_off += sent;
	}
	if (s->in_eof) {
		s->eof_sent = true;
		if (ssh_chan_send_eof(s->ssh, s->chan) != 0)
			log_debug1("could not send EOF");
		return;
	}
	if (s->in_reading || ferry_conn_congested(s->conn))
		return;
	if (io_read(s->loop, s->in_fd, s->in_buf, STDIN_CHUNK, on_stdin_read, s) != 0) {
		s->in_eof = true;
		stdin_pump(s);
		return;
	}
	s->in_reading = true;
}

static void on_drain(void *arg, struct ferry_conn *conn)
{
	stdin_pump(arg);
}

/* SendEnv: pass the variables whose names match a pattern; SetEnv: fixed ones. */
static void send_env(struct ssh_session *s)
{
	extern char **environ;
	struct ssh_options *o = s->opts;
	for (size_t i = 0; i < o->set_env.n; i++) {
		char *eq = strchr(o->set_env.v[i], '=');
		if (!eq)
			continue;
		char *name = strndup(o->set_env.v[i], (size_t)(eq - o->set_env.v[i]));
		if (name && ssh_chan_env(s->ssh, s->chan, name, eq + 1) != 0)
			log_debug1("could not send env %s", name);
		free(name);
	}
	if (o->send_env.n == 0)
		return;
	for (char **e = environ; *e; e++) {
		char *eq = strchr(*e, '=');
		if (!eq)
			continue;
		char *name = strndup(*e, (size_t)(eq - *e));
		if (name == NULL)
			continue;
		bool match = false;
		for (size_t i = 0; i < o->send_env.n; i++)
			if (wildcard_match(o->send_env.v[i], name))
				match = true;
		if (match) {
			log_debug1("Sending env %s", name);
			if (ssh_chan_env(s->ssh, s->chan, name, eq + 1) != 0)
				log_debug1("could not send env %s", name);
		}
		free(name);
	}
}

static void on_event(void *arg, struct ferry_conn *conn, const struct ssh_event *ev)
{
	struct ssh_session *s = arg;
	int r = 0;
	switch (ev->type) {
	case SSH_EV_CHAN_OPENED:
		s->chan_open = true;
		send_env(s);
		if (s->subsystem) {
			log_debug1("Sending subsystem: %s", s->subsystem);
			r = ssh_chan_subsystem(s->ssh, s->chan, s->subsystem);
		} else if (s->command) {
			log_debug1("Sending command: %s", s->command);
			r = ssh_chan_exec(s->ssh, s->chan, s->command);
		} else {
			r = ssh_chan_shell(s->ssh, s->chan);
		}
		break;
	case SSH_EV_CHAN_OPEN_FAILED: {
		char *d = str_escape_untrusted((const uint8_t *)ev->str, strlen(ev->str));
		log_error("channel %u: open failed: %s", ev->chan, d ? d : "");
		free(d);
		s->closed = true;
		ferry_conn_stop(conn);
		break;
	}
	case SSH_EV_CHAN_REQUEST_OK:
		if (!s->request_done) {
			s->request_done = true;
			stdin_pump(s);
		}
		break;
	case SSH_EV_CHAN_REQUEST_FAILED:
		if (!s->request_done) {
			log_error("%s request failed on channel %u",
				  s->subsystem ? "subsystem" : s->command ? "exec" : "shell", ev->chan);
			r = ssh_chan_close(s->ssh, s->chan);
		}
		break;
	case SSH_EV_CHAN_DATA: {
		struct out_stream *o = &s->out[ev->ext ? 1 : 0];
		if (buf_put(&o->pending, ev->data, ev->len) != 0) {
			log_error("output buffer full");
			r = FERRY_EFULL;
			break;
		}
		out_start(s, ev->ext ? 1 : 0);
		break;
	}
	case SSH_EV_CHAN_WINDOW:
		stdin_pump(s);
		break;
	case SSH_EV_CHAN_EOF:
		break;
	case SSH_EV_CHAN_EXIT_STATUS:
		s->have_status = true;
		s->exit_status = (int)(ev->code & 0xff);
		break;
	case SSH_EV_CHAN_EXIT_SIGNAL:
		s->killed = true;
		free(s->signal_name);
		s->signal_name = str_escape_untrusted((const uint8_t *)ev->str, strlen(ev->str));
		break;
	case SSH_EV_CHAN_CLOSED:
		s->chan_open = false;
		s->closed = true;
		if (s->in_reading)
			io_cancel_fd(s->loop, s->in_fd);
		session_maybe_finish(s);
		break;
	default:
		break;
	}
	if (r) {
		log_error("channel error: %s", ferry_strerror(r));
		ferry_conn_stop(conn);
	}
}

/* Writes out everything the remote side sent before we go, even when the connection ended
 * first: output that arrived is never dropped (a reader that went away excepted). */
static void session_flush_outputs(struct ssh_session *s)
{
	for (int i = 0; i < 2; i++)
		out_start(s, i);
	while (s->out[0].busy || s->out[1].busy) {
		int r = io_loop_run_once(s->loop, -1);
		if (r != 0)
			break;
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: ferry ssh [-46nNqsTv] [-c cipher_spec] [-F configfile] [-i identity_file]\n"
		"                 [-l login_name] [-m mac_spec] [-o option] [-p port]\n"
		"                 destination [command [argument ...]]\n");
}

/* Splits ssh://[user@]host[:port] or [user@]host into user, host and port (each caller frees; NULL when absent). */
static int parse_destination(const char *dest, char **user, char **host, char **port)
{
	const char *p = dest;
	*user = *host = *port = NULL;
	bool uri = strncmp(p, "ssh://", 6) == 0;
	if (uri)
		p += 6;
	const char *at = strrchr(p, '@');
	if (at) {
		*user = strndup(p, (size_t)(at - p));
		p = at + 1;
	}
	if (uri) {
		const char *end = p + strlen(p);
		if (end > p && end[-1] == '/')
			end--;
		if (*p == '[') {
			const char *rb = strchr(p, ']');
			if (!rb)
				return FERRY_EINVAL;
			*host = strndup(p + 1, (size_t)(rb - p - 1));
			if (rb[1] == ':')
				*port = strndup(rb + 2, (size_t)(end - rb - 2));
		} else {
			const char *colon = memchr(p, ':', (size_t)(end - p));
			*host = strndup(p, (size_t)((colon ? colon : end) - p));
			if (colon)
				*port = strndup(colon + 1, (size_t)(end - colon - 1));
		}
	} else {
		*host = strdup(p);
	}
	if (*host == NULL || **host == '\0')
		return FERRY_EINVAL;
	return 0;
}

int cmd_ssh(int argc, char **argv)
{
	struct ssh_options opts;
	struct cli_client cc = { 0 };
	struct ssh_session s = { 0 };
	char *dest = NULL, *duser = NULL, *dhost = NULL, *dport = NULL, *command = NULL;
	const char *config_file = NULL;
	int verbosity = 0;
	bool quiet = false, no_command = false, subsystem = false;
	int status = 255;
	int c;

	ssh_options_init(&opts);
	s.in_fd = STDIN_FILENO;
	optind = 1;
again:
	while ((c = getopt(argc, argv, "+46nNqsTtvxaAkC1:c:m:F:i:l:o:p:E:e:V")) != -1) {
		int r = 0;
		switch (c) {
		case '4': r = cli_apply_option(&opts, "AddressFamily", "inet"); break;
		case '6': r = cli_apply_option(&opts, "AddressFamily", "inet6"); break;
		case 'n': s.stdin_null = true; break;
		case 'N': no_command = true; break;
		case 'q': quiet = true; break;
		case 's': subsystem = true; break;
		case 'T': case 'x': case 'a': case 'k': break;   /* ferry never allocates a pty or forwards */
		case 't': log_info("ferry ssh does not allocate a terminal; continuing without one"); break;
		case 'A': log_info("ferry ssh does not forward agents; ignoring -A"); break;
		case 'C': r = cli_apply_option(&opts, "Compression", "yes"); break;
		case 'v': verbosity++; break;
		case 'c': r = cli_apply_option(&opts, "Ciphers", optarg); break;
		case 'm': r = cli_apply_option(&opts, "MACs", optarg); break;
		case 'F': config_file = optarg; break;
		case 'i': r = cli_apply_option(&opts, "IdentityFile", optarg); break;
		case 'l': r = cli_apply_option(&opts, "User", optarg); break;
		case 'p': r = cli_apply_option(&opts, "Port", optarg); break;
		case 'e': break;   /* no escape character without a terminal */
		case 'E': if (freopen(optarg, "a", stderr) == NULL) r = FERRY_EINVAL; break;
		case 'o': {
			char *err = NULL;
			r = ssh_options_apply(&opts, optarg, &err);
			if (r) {
				fprintf(stderr, "%s\n", err ? err : ferry_strerror(r));
				free(err);
			}
			break;
		}
		case 'V': fprintf(stderr, "ferry " FERRY_VERSION "\n"); status = 0; goto out;
		default: usage(); goto out;
		}
		if (r)
			goto out;
	}
	if (dest == NULL && optind < argc) {
		dest = argv[optind];
		/* As OpenSSH's ssh: options may also follow the destination, up to the command. */
		argc -= optind;
		argv += optind;
		optind = 1;
		goto again;
	}
	if (dest == NULL) {
		usage();
		goto out;
	}
	if (parse_destination(dest, &duser, &dhost, &dport) != 0) {
		fprintf(stderr, "ferry: bad destination: %s\n", dest);
		goto out;
	}
	if (duser && cli_apply_option(&opts, "User", duser) != 0)
		goto out;
	if (dport && cli_apply_option(&opts, "Port", dport) != 0)
		goto out;
	/* The command is every argument after the destination, joined with spaces. */
	for (int i = optind; i < argc; i++) {
		char *joined = str_printf("%s%s%s", command ? command : "", command ? " " : "", argv[i]);
		free(command);
		command = joined;
		if (command == NULL)
			goto out;
	}
	if (cli_finish_options(&opts, config_file, dhost, verbosity, quiet) != 0)
		goto out;
	if (subsystem && command == NULL) {
		fprintf(stderr, "ferry: -s needs a subsystem name\n");
		goto out;
	}
	if (cli_client_connect(&cc, &opts, dhost, &s.conn) != 0)
		goto out;

	s.ssh = ferry_conn_ssh(s.conn);
	s.loop = ferry_conn_loop(s.conn);
	s.opts = &opts;
	s.command = subsystem ? NULL : command;
	s.subsystem = subsystem ? command : NULL;
	s.out[0].fd = STDOUT_FILENO;
	s.out[1].fd = STDERR_FILENO;
	buf_init(&s.out[0].pending, 0);
	buf_init(&s.out[0].writing, 0);
	buf_init(&s.out[1].pending, 0);
	buf_init(&s.out[1].writing, 0);
	if (s.stdin_null)
		s.in_eof = true;
	if ((s.in_buf = malloc(STDIN_CHUNK)) == NULL)
		goto out;
	ferry_conn_set_handler(s.conn, on_event, on_drain, &s);
	if (!no_command) {
		if (ssh_chan_open_session(s.ssh, &s.chan) != 0) {
			fprintf(stderr, "ferry: cannot open a session channel\n");
			goto out;
		}
	}
	int r = ferry_conn_run(s.conn);
	if (r) {
		if (!(s.closed && s.have_status))
			fprintf(stderr, "%s\n", ferry_conn_error(s.conn));
		else
			status = s.exit_status;
		if (!s.closed || !s.have_status)
			goto out;
	}
	if (s.have_status && !s.killed)
		status = s.exit_status;
	else if (s.killed)
		log_verbose("remote command killed by signal %s", s.signal_name ? s.signal_name : "?");
out:
	if (s.loop)
		session_flush_outputs(&s);
	if (s.in_reading && s.loop)
		io_cancel_fd(s.loop, s.in_fd);
	ferry_conn_free(s.conn);
	for (int i = 0; i < 2; i++) {
		buf_free(&s.out[i].pending);
		buf_free(&s.out[i].writing);
	}
	free(s.in_buf);
	free(s.signal_name);
	cli_client_free(&cc);
	ssh_options_free(&opts);
	free(duser);
	free(dhost);
	free(dport);
	free(command);
	return status;
}
