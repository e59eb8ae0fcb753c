/* The SSH server's userauth (RFC 4252, RFC 8332 §3.2) and connection protocol (RFC 4254)
 * state machine, driven by messages from proto/transport.c. */
#include "proto/server.h"
#include "proto/channel.h"
#include "proto/ssh-msg.h"
#include "crypto/key.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_WINDOW (4u * 1024 * 1024)
#define DEFAULT_MAX_PACKET (32u * 1024)
#define MAX_USER_LEN 256

enum srv_auth_state { SAUTH_WAIT_SERVICE, SAUTH_WAIT_REQUEST, SAUTH_DONE };

struct ssh_server {
	struct ssh_transport *t;
	struct ssh_server_auth auth;
	bool pubkey_auth, password_auth;
	char *pubkey_algs;
	char *methods;              /* what we offer, for USERAUTH_FAILURE */
	uint32_t max_auth_tries, max_sessions;
	enum srv_auth_state state;
	char *user;                 /* the user being authenticated, fixed by the first request */
	uint32_t failures;
	uint32_t attempts;
	bool no_more_sessions;
	struct chan_table ct;
	struct buf msg;
	char errmsg[512];
};

static int server_fail(struct ssh_server *s, int err, uint32_t reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int server_fail(struct ssh_server *s, int err, uint32_t reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
	va_end(ap);
	ssh_transport_disconnect(s->t, reason, s->errmsg);
	return err;
}

int ssh_server_new(const struct ssh_server_config *cfg, struct ssh_server **out)
{
	struct ssh_server *s = calloc(1, sizeof(*s));
	int r = FERRY_ENOMEM;
	if (s == NULL)
		return FERRY_ENOMEM;
	struct ssh_transport_config tc = cfg->transport;
	tc.role = SSH_ROLE_SERVER;
	s->auth = cfg->auth;
	s->pubkey_auth = cfg->pubkey_auth;
	s->password_auth = cfg->password_auth;
	s->max_auth_tries = cfg->max_auth_tries ? cfg->max_auth_tries : 6;
	s->max_sessions = cfg->max_sessions ? cfg->max_sessions : 10;
	s->pubkey_algs = strdup(cfg->pubkey_algs ? cfg->pubkey_algs : key_sigalg_default_names());
	s->methods = str_printf("%s%s%s", s->pubkey_auth ? "publickey" : "",
				s->pubkey_auth && s->password_auth ? "," : "",
				s->password_auth ? "password" : "");
	if (s->pubkey_algs == NULL || s->methods == NULL)
		goto fail;
	buf_init(&s->msg, SSH_MAX_PACKET_LEN);
	if ((r = ssh_transport_new(&tc, &s->t)) != 0)
		goto fail;
	chan_table_init(&s->ct, s->t, cfg->channel_window ? cfg->channel_window : DEFAULT_WINDOW,
			cfg->channel_max_packet ? cfg->channel_max_packet : DEFAULT_MAX_PACKET);
	*out = s;
	return 0;
fail:
	ssh_server_free(s);
	return r;
}

void ssh_server_free(struct ssh_server *s)
{
	if (s == NULL)
		return;
	chan_table_free(&s->ct);
	ssh_transport_free(s->t);
	buf_free(&s->msg);
	free(s->pubkey_algs);
	free(s->methods);
	free(s->user);
	free(s);
}

struct ssh_transport *ssh_server_transport(struct ssh_server *s) { return s->t; }
const char *ssh_server_user(const struct ssh_server *s) { return s->state == SAUTH_DONE ? s->user : NULL; }
uint32_t ssh_server_auth_failures(const struct ssh_server *s) { return s->failures; }

const char *ssh_server_error(const struct ssh_server *s)
{
	return s->errmsg[0] ? s->errmsg : ssh_transport_error(s->t);
}

static int send_msg(struct ssh_server *s)
{
	return ssh_transport_send_buf(s->t, &s->msg);
}

/* --- userauth (RFC 4252) --- */

static int send_failure(struct ssh_server *s)
{
	struct buf *m = &s->msg;
	int r;
	buf_reset(m);
	if ((r = buf_put_u8(m, SSH_MSG_USERAUTH_FAILURE)) != 0 || (r = buf_put_cstring(m, s->methods)) != 0 ||
	    (r = buf_put_bool(m, false)) != 0)
		return r;
	return send_msg(s);
}

/* A failed attempt: counts against MaxAuthTries (the first "none" is free, as in sshd). */
static int auth_failed(struct ssh_server *s, const char *method)
{
	if (strcmp(method, "none") != 0 || s->attempts > 1)
		s->failures++;
	log_debug1("userauth: %s failed for %s (%u of %u)", method, s->user, s->failures, s->max_auth_tries);
	if (s->failures >= s->max_auth_tries)
		return server_fail(s, FERRY_EAUTH, SSH_DISCONNECT_PROTOCOL_ERROR,
				   "Too many authentication failures");
	return send_failure(s);
}

static int auth_succeeded(struct ssh_server *s, const char *method, struct ssh_event *ev, bool *got)
{
	uint8_t ok = SSH_MSG_USERAUTH_SUCCESS;
	int r = ssh_transport_send(s->t, &ok, 1);
	if (r)
		return r;
	s->state = SAUTH_DONE;
	log_debug1("userauth: %s accepted for %s", method, s->user);
	ev->type = SSH_EV_AUTHENTICATED;
	ev->str = s->user;
	*got = true;
	return 0;
}

/* RFC 4252 §7. start is where the request's fields begin in the payload (after the type byte),
 * for the data the signature covers. */
static int auth_publickey(struct ssh_server *s, struct buf *m, const uint8_t *start,
			  struct ssh_event *ev, bool *got)
{
	bool has_sig;
	char *alg = NULL;
	const uint8_t *blob, *sig;
	size_t blen, siglen;
	struct ferry_key *key = NULL;
	struct buf signed_data;
	int r;

	buf_init(&signed_data, 0);
	if (buf_get_bool(m, &has_sig) != 0 || buf_get_cstring(m, &alg, NULL) != 0 ||
	    buf_get_string_ref(m, &blob, &blen) != 0) {
		r = server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed publickey request");
		goto out;
	}
	const uint8_t *sig_at = buf_rptr(m);
	if (!s->pubkey_auth || !namelist_contains(s->pubkey_algs, alg) ||
	    key_from_blob(blob, blen, &key) != 0 || !key_sigalg_ok(key, alg)) {
		log_debug1("publickey: refusing key algorithm %s", alg);
		r = auth_failed(s, "publickey");
		goto out;
	}
	if (!has_sig) {
		if (s->auth.check_pubkey == NULL ||
		    (r = s->auth.check_pubkey(s->auth.arg, s->user, key, false)) == FERRY_EAUTH) {
			r = auth_failed(s, "publickey");
			goto out;
		}
		if (r)
			goto out;
		/* RFC 4252 §7: SSH_MSG_USERAUTH_PK_OK echoes the algorithm and the key. */
		buf_reset(&s->msg);
		if ((r = buf_put_u8(&s->msg, SSH_MSG_USERAUTH_PK_OK)) != 0 ||
		    (r = buf_put_cstring(&s->msg, alg)) != 0 || (r = buf_put_string(&s->msg, blob, blen)) != 0)
			goto out;
		r = send_msg(s);
		goto out;
	}
	if (buf_get_string_ref(m, &sig, &siglen) != 0) {
		r = server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed publickey signature");
		goto out;
	}
	/* The signature covers the session identifier and the request up to the signature. */
	size_t sidlen = 0;
	const uint8_t *sid = ssh_transport_session_id(s->t, &sidlen);
	if ((r = buf_put_string(&signed_data, sid, sidlen)) != 0 ||
	    (r = buf_put_u8(&signed_data, SSH_MSG_USERAUTH_REQUEST)) != 0 ||
	    (r = buf_put(&signed_data, start, (size_t)(sig_at - start))) != 0)
		goto out;
	if (key_verify(key, alg, sig, siglen, buf_rptr(&signed_data), buf_len(&signed_data)) != 0) {
		log_verbose("publickey: bad signature from %s", s->user);
		r = auth_failed(s, "publickey");
		goto out;
	}
	if (s->auth.check_pubkey == NULL ||
	    (r = s->auth.check_pubkey(s->auth.arg, s->user, key, true)) == FERRY_EAUTH) {
		r = auth_failed(s, "publickey");
		goto out;
	}
	if (r == 0)
		r = auth_succeeded(s, "publickey", ev, got);
out:
	buf_free(&signed_data);
	key_free(key);
	free(alg);
	return r;
}

/* RFC 4252 §8. */
static int auth_password(struct ssh_server *s, struct buf *m, struct ssh_event *ev, bool *got)
{
	bool change;
	char *pw = NULL;
	size_t pwlen = 0;
	int r;
	if (buf_get_bool(m, &change) != 0 || buf_get_cstring(m, &pw, &pwlen) != 0)
		return server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed password request");
	if (!s->password_auth || change || s->auth.check_password == NULL)
		r = FERRY_EAUTH;
	else
		r = s->auth.check_password(s->auth.arg, s->user, pw);
	explicit_bzero(pw, pwlen);
	free(pw);
	if (r == FERRY_EAUTH)
		return auth_failed(s, "password");
	if (r)
		return r;
	return auth_succeeded(s, "password", ev, got);
}

static int handle_userauth_request(struct ssh_server *s, struct buf *m, struct ssh_event *ev, bool *got)
{
	const uint8_t *start = buf_rptr(m);
	char *user = NULL, *service = NULL, *method = NULL;
	size_t ulen = 0;
	int r = 0;
	if (buf_get_cstring(m, &user, &ulen) != 0 || buf_get_cstring(m, &service, NULL) != 0 ||
	    buf_get_cstring(m, &method, NULL) != 0) {
		r = server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed USERAUTH_REQUEST");
		goto out;
	}
	if (ulen == 0 || ulen > MAX_USER_LEN) {
		r = server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_ILLEGAL_USER_NAME, "invalid user name");
		goto out;
	}
	if (strcmp(service, "ssh-connection") != 0) {
		r = server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_SERVICE_NOT_AVAILABLE,
				"service not available");
		goto out;
	}
	/* As sshd: the user may not change between attempts. */
	if (s->user == NULL) {
		s->user = user;
		user = NULL;
	} else if (strcmp(s->user, user) != 0) {
		r = server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
				"Change of username or service not allowed");
		goto out;
	}
	s->attempts++;
	if (strcmp(method, "publickey") == 0)
		r = auth_publickey(s, m, start, ev, got);
	else if (strcmp(method, "password") == 0)
		r = auth_password(s, m, ev, got);
	else
		r = auth_failed(s, method);
out:
	free(user);
	free(service);
	free(method);
	return r;
}

static int handle_auth(struct ssh_server *s, uint8_t type, struct buf *m, struct ssh_event *ev, bool *got)
{
	if (type == SSH_MSG_SERVICE_REQUEST && s->state == SAUTH_WAIT_SERVICE) {
		char *name = NULL;
		int r;
		if (buf_get_cstring(m, &name, NULL) != 0)
			return server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed SERVICE_REQUEST");
		bool ok = strcmp(name, "ssh-userauth") == 0;
		free(name);
		if (!ok)
			return server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_SERVICE_NOT_AVAILABLE,
					   "service not available");
		buf_reset(&s->msg);
		if ((r = buf_put_u8(&s->msg, SSH_MSG_SERVICE_ACCEPT)) != 0 ||
		    (r = buf_put_cstring(&s->msg, "ssh-userauth")) != 0)
			return r;
		s->state = SAUTH_WAIT_REQUEST;
		return send_msg(s);
	}
	if (type == SSH_MSG_USERAUTH_REQUEST && s->state == SAUTH_WAIT_REQUEST)
		return handle_userauth_request(s, m, ev, got);
	/* Nothing else before authentication: no channels, no success claimed by the client. */
	return server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
			   "unexpected message type %u before authentication", type);
}

/* --- connection (RFC 4254) --- */

int ssh_server_chan_reply(struct ssh_server *s, uint32_t id, bool ok) { return chan_reply(&s->ct, id, ok); }
size_t ssh_server_chan_send_room(const struct ssh_server *s, uint32_t id) { return chan_send_room(&s->ct, id); }
int ssh_server_chan_send_eof(struct ssh_server *s, uint32_t id) { return chan_send_eof(&s->ct, id); }
int ssh_server_chan_close(struct ssh_server *s, uint32_t id) { return chan_close(&s->ct, id); }
bool ssh_server_chan_open(const struct ssh_server *s, uint32_t id) { return chan_is_open(&s->ct, id); }
uint32_t ssh_server_global_pending(const struct ssh_server *s) { return s->ct.global_pending; }

int ssh_server_chan_send(struct ssh_server *s, uint32_t id, uint32_t ext, const uint8_t *p, size_t n,
			 size_t *sent)
{
	return chan_send(&s->ct, id, ext, p, n, sent);
}

int ssh_server_chan_consumed(struct ssh_server *s, uint32_t id, size_t n)
{
	return chan_consumed(&s->ct, id, n);
}

int ssh_server_chan_exit_status(struct ssh_server *s, uint32_t id, uint32_t status)
{
	int r;
	if ((r = chan_request_begin(&s->ct, id, "exit-status", false)) != 0 ||
	    (r = buf_put_u32(&s->ct.msg, status)) != 0)
		return r;
	return chan_request_send(&s->ct, id, false);
}

int ssh_server_chan_exit_signal(struct ssh_server *s, uint32_t id, const char *signame, bool core,
				const char *message)
{
	struct buf *m = &s->ct.msg;
	int r;
	if ((r = chan_request_begin(&s->ct, id, "exit-signal", false)) != 0 ||
	    (r = buf_put_cstring(m, signame)) != 0 || (r = buf_put_bool(m, core)) != 0 ||
	    (r = buf_put_cstring(m, message ? message : "")) != 0 || (r = buf_put_cstring(m, "")) != 0)
		return r;
	return chan_request_send(&s->ct, id, false);
}

int ssh_server_global_request(struct ssh_server *s, const char *name, bool want_reply)
{
	if (s->state != SAUTH_DONE)
		return FERRY_EINVAL;
	return chan_global_request(&s->ct, name, want_reply);
}

/* RFC 4254 §7.2, §6.1: only session channels are opened here. */
static int handle_channel_open(struct ssh_server *s, struct buf *m, struct ssh_event *ev, bool *got)
{
	char *type = NULL;
	uint32_t sender, window, maxpkt, id;
	int r;
	if (buf_get_cstring(m, &type, NULL) != 0 || buf_get_u32(m, &sender) != 0 ||
	    buf_get_u32(m, &window) != 0 || buf_get_u32(m, &maxpkt) != 0) {
		free(type);
		return server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed CHANNEL_OPEN");
	}
	bool session = strcmp(type, "session") == 0;
	free(type);
	if (!session)
		return chan_open_failure(&s->ct, sender, SSH_OPEN_UNKNOWN_CHANNEL_TYPE, "unknown channel type");
	if (maxpkt == 0)
		return server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
				   "channel open with a maximum packet size of zero");
	if (s->no_more_sessions)
		return chan_open_failure(&s->ct, sender, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED,
					 "no more sessions");
	r = chan_accept(&s->ct, sender, window, maxpkt, s->max_sessions, &id);
	if (r == FERRY_EFULL)
		return chan_open_failure(&s->ct, sender, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED,
					 "too many sessions");
	if (r)
		return r;
	ev->type = SSH_EV_CHAN_OPENED;
	ev->chan = id;
	*got = true;
	return 0;
}

/* Session requests (RFC 4254 §6.2-§6.9) become events; the rest are refused. */
static int handle_channel_request(struct ssh_server *s, struct chan_request *req, struct buf *m,
				  struct ssh_event *ev, bool *got)
{
	char *a = NULL, *b = NULL;
	ev->chan = req->chan;
	ev->flag = req->want_reply;
	if (strcmp(req->name, "exec") == 0 || strcmp(req->name, "subsystem") == 0 ||
	    strcmp(req->name, "signal") == 0) {
		if (buf_get_cstring(m, &a, NULL) != 0)
			return server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
					   "malformed %s request", req->name);
		ev->type = req->name[0] == 'e' ? SSH_EV_CHAN_EXEC :
			   req->name[1] == 'u' ? SSH_EV_CHAN_SUBSYSTEM : SSH_EV_CHAN_SIGNAL;
	} else if (strcmp(req->name, "env") == 0) {
		if (buf_get_cstring(m, &a, NULL) != 0 || buf_get_cstring(m, &b, NULL) != 0) {
			free(a);
			return server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed env request");
		}
		ev->type = SSH_EV_CHAN_ENV;
	} else if (strcmp(req->name, "shell") == 0) {
		ev->type = SSH_EV_CHAN_SHELL;
	} else {
		/* pty-req, x11-req, agent forwarding, keepalive@openssh.com, ...: ferryd runs
		 * commands without a terminal and forwards nothing. */
		log_debug1("channel %u: refusing request %s", req->chan, req->name);
		return req->want_reply ? chan_reply(&s->ct, req->chan, false) : 0;
	}
	chan_keep_str(&s->ct, 0, a);
	chan_keep_str(&s->ct, 1, b);
	ev->str = a;
	ev->str2 = b;
	*got = true;
	return 0;
}

static int handle_conn(struct ssh_server *s, uint8_t type, struct buf *m, struct ssh_event *ev, bool *got)
{
	int r;
	if (type == SSH_MSG_GLOBAL_REQUEST) {
		const uint8_t *name;
		size_t nlen;
		bool want_reply;
		if (buf_get_string_ref(m, &name, &nlen) != 0 || buf_get_bool(m, &want_reply) != 0)
			return server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed GLOBAL_REQUEST");
		if (nlen == strlen("no-more-sessions@openssh.com") &&
		    memcmp(name, "no-more-sessions@openssh.com", nlen) == 0)
			s->no_more_sessions = true;
		if (!want_reply)
			return 0;
		uint8_t fail = SSH_MSG_REQUEST_FAILURE;   /* no forwarding; keepalives just get an answer */
		return ssh_transport_send(s->t, &fail, 1);
	}
	if (type == SSH_MSG_REQUEST_SUCCESS || type == SSH_MSG_REQUEST_FAILURE)
		return chan_global_reply(&s->ct) == 0 ? 0 :
		       server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "%s", s->ct.errmsg);
	if (type == SSH_MSG_CHANNEL_OPEN)
		return handle_channel_open(s, m, ev, got);
	if (type < SSH_MSG_CHANNEL_OPEN_CONFIRMATION || type > SSH_MSG_CHANNEL_FAILURE)
		return ssh_transport_unimplemented(s->t);
	struct chan_request req = { 0 };
	bool is_request = false;
	r = chan_handle(&s->ct, type, m, ev, got, &req, &is_request);
	if (r == FERRY_EPROTO)
		return server_fail(s, r, SSH_DISCONNECT_PROTOCOL_ERROR, "%s", s->ct.errmsg);
	if (r == 0 && is_request)
		r = handle_channel_request(s, &req, m, ev, got);
	free(req.name);
	return r;
}

int ssh_server_next(struct ssh_server *s, struct ssh_event *ev)
{
	int r;
	for (;;) {
		uint8_t type;
		struct buf m;
		if ((r = ssh_transport_recv(s->t, &type, &m)) != 0)
			return r;
		memset(ev, 0, sizeof(*ev));
		bool got = false;
		if (s->state != SAUTH_DONE) {
			r = handle_auth(s, type, &m, ev, &got);
		} else if (type < SSH_MSG_GLOBAL_REQUEST) {
			/* RFC 4252 §5.1: requests after success are ignored. */
			if (type == SSH_MSG_USERAUTH_REQUEST)
				continue;
			if (type <= SSH_MSG_USERAUTH_BANNER || type == SSH_MSG_USERAUTH_PK_OK ||
			    type == SSH_MSG_SERVICE_REQUEST || type == SSH_MSG_SERVICE_ACCEPT)
				return server_fail(s, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
						   "unexpected message type %u after authentication", type);
			r = ssh_transport_unimplemented(s->t);
		} else {
			r = handle_conn(s, type, &m, ev, &got);
		}
		if (r)
			return r;
		if (got)
			return 0;
	}
}
