/* The SSH client's userauth (RFC 4252, RFC 8332 §3, RFC 8308 §3.1) and connection protocol
 * (RFC 4254) state machine, driven by messages from proto/transport.c. */
#include "proto/client.h"
#include "proto/channel.h"
#include "proto/ssh-msg.h"
#include "proto/testing.h"
#include "crypto/hash.h"
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

enum auth_state {
	AUTH_WAIT_TRANSPORT,  /* first key exchange under way */
	AUTH_WAIT_SERVICE,    /* SERVICE_REQUEST sent */
	AUTH_WAIT_REPLY,      /* a USERAUTH_REQUEST is out */
	AUTH_WAIT_PASSWORD,   /* asked the user */
	AUTH_DONE,
	AUTH_FAILED,
};

enum auth_method { METHOD_NONE, METHOD_PK_QUERY, METHOD_PK_SIGNED, METHOD_PASSWORD };


struct ssh_client {
	struct ssh_transport *t;
	char *user;
	struct ferry_key *const *keys;
	const char *const *key_names;
	size_t n_keys;
	bool pubkey_auth, password_auth;
	unsigned password_prompts, password_tries;
	uint32_t window, max_packet;

	enum auth_state auth;
	enum auth_method method;
	size_t key_index;           /* next key to try */
	const char *pk_alg;         /* signature algorithm of the key being tried */
	char *methods;              /* what the server last said can continue (escaped) */
	char *banner;
	bool password_asked;        /* SSH_EV_NEED_PASSWORD given, no answer yet */

	struct chan_table ct;
	struct buf msg;             /* building outgoing messages */
	char errmsg[512];
};

static int client_fail(struct ssh_client *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int client_fail(struct ssh_client *c, int err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	uint32_t reason = err == FERRY_EAUTH ? SSH_DISCONNECT_NO_MORE_AUTH_METHODS_AVAILABLE
					     : SSH_DISCONNECT_PROTOCOL_ERROR;
	ssh_transport_disconnect(c->t, reason, c->errmsg);
	return err;
}

int ssh_client_new(const struct ssh_client_config *cfg, struct ssh_client **out)
{
	struct ssh_client *c = calloc(1, sizeof(*c));
	int r = FERRY_ENOMEM;
	if (c == NULL)
		return FERRY_ENOMEM;
	struct ssh_transport_config tc = cfg->transport;
	tc.role = SSH_ROLE_CLIENT;
	if ((c->user = strdup(cfg->user ? cfg->user : "")) == NULL)
		goto fail;
	c->keys = cfg->keys;
	c->key_names = cfg->key_names;
	c->n_keys = cfg->n_keys;
	c->pubkey_auth = cfg->pubkey_auth;
	c->password_auth = cfg->password_auth;
	c->password_prompts = cfg->password_prompts ? cfg->password_prompts : 3;
	c->window = cfg->channel_window ? cfg->channel_window : DEFAULT_WINDOW;
	c->max_packet = cfg->channel_max_packet ? cfg->channel_max_packet : DEFAULT_MAX_PACKET;
	buf_init(&c->msg, SSH_MAX_PACKET_LEN);
	if ((r = ssh_transport_new(&tc, &c->t)) != 0)
		goto fail;
	chan_table_init(&c->ct, c->t, c->window, c->max_packet);
	*out = c;
	return 0;
fail:
	ssh_client_free(c);
	return r;
}

void ssh_client_free(struct ssh_client *c)
{
	if (c == NULL)
		return;
	ssh_transport_free(c->t);
	buf_free(&c->msg);
	free(c->user);
	free(c->methods);
	free(c->banner);
	chan_table_free(&c->ct);
	free(c);
}

struct ssh_transport *ssh_client_transport(struct ssh_client *c) { return c->t; }
bool ssh_client_authenticated(const struct ssh_client *c) { return c->auth == AUTH_DONE; }

const char *ssh_client_error(const struct ssh_client *c)
{
	if (c->errmsg[0])
		return c->errmsg;
	return ssh_transport_error(c->t);
}

static int send_msg(struct ssh_client *c)
{
	return ssh_transport_send_buf(c->t, &c->msg);
}

/* --- userauth (RFC 4252) --- */

/* The USERAUTH_REQUEST header shared by every method. */
static int put_auth_header(struct ssh_client *c, struct buf *m, const char *method)
{
	int r;
	if ((r = buf_put_u8(m, SSH_MSG_USERAUTH_REQUEST)) != 0 ||
	    (r = buf_put_cstring(m, c->user)) != 0 ||
	    (r = buf_put_cstring(m, "ssh-connection")) != 0 ||
	    (r = buf_put_cstring(m, method)) != 0)
		return r;
	return 0;
}

/* RFC 8332 §3: pick rsa-sha2-512 or -256 by what the server lists in server-sig-algs. */
static const char *choose_pk_alg(struct ssh_client *c, const struct ferry_key *key)
{
	if (key_get_type(key) != KEY_RSA)
		return key_type_name(key);
	const char *algs = ssh_transport_server_sig_algs(c->t);
	if (algs && namelist_contains(algs, "rsa-sha2-512"))
		return "rsa-sha2-512";
	if (algs && !namelist_contains(algs, "rsa-sha2-256"))
		return NULL;
	return "rsa-sha2-256";
}

static const char *key_label(struct ssh_client *c, size_t i)
{
	return c->key_names && c->key_names[i] ? c->key_names[i] : key_type_name(c->keys[i]);
}

/* RFC 4252 §7: ask whether the server would take this key, before signing anything. */
static int send_pk_query(struct ssh_client *c, const struct ferry_key *key, const char *alg)
{
	struct buf *m = &c->msg;
	int r;
	buf_reset(m);
	if ((r = put_auth_header(c, m, "publickey")) != 0 || (r = buf_put_bool(m, false)) != 0 ||
	    (r = buf_put_cstring(m, alg)) != 0)
		return r;
	size_t lenpos = buf_len(m);
	if ((r = buf_put_u32(m, 0)) != 0 || (r = key_to_blob(key, m)) != 0)
		return r;
	poke_u32(buf_mutable_rptr(m) + lenpos, (uint32_t)(buf_len(m) - lenpos - 4));
	return send_msg(c);
}

/* RFC 4252 §7: the signed request; the signature covers session id and the request. */
static int send_pk_signed(struct ssh_client *c, const struct ferry_key *key, const char *alg)
{
	struct buf *m = &c->msg;
	struct buf tosign;
	size_t sidlen = 0;
	const uint8_t *sid = ssh_transport_session_id(c->t, &sidlen);
	int r;

	buf_init(&tosign, 0);
	buf_reset(m);
	if ((r = put_auth_header(c, m, "publickey")) != 0 || (r = buf_put_bool(m, true)) != 0 ||
	    (r = buf_put_cstring(m, alg)) != 0)
		goto out;
	size_t lenpos = buf_len(m);
	if ((r = buf_put_u32(m, 0)) != 0 || (r = key_to_blob(key, m)) != 0)
		goto out;
	poke_u32(buf_mutable_rptr(m) + lenpos, (uint32_t)(buf_len(m) - lenpos - 4));
	if ((r = buf_put_string(&tosign, sid, sidlen)) != 0 ||
	    (r = buf_put(&tosign, buf_rptr(m), buf_len(m))) != 0)
		goto out;
	lenpos = buf_len(m);
	if ((r = buf_put_u32(m, 0)) != 0 ||
	    (r = key_sign(key, alg, buf_rptr(&tosign), buf_len(&tosign), m)) != 0)
		goto out;
	poke_u32(buf_mutable_rptr(m) + lenpos, (uint32_t)(buf_len(m) - lenpos - 4));
	r = send_msg(c);
out:
	buf_free(&tosign);
	return r;
}

static bool method_allowed(struct ssh_client *c, const char *name)
{
	return c->methods == NULL || namelist_contains(c->methods, name);
}

/* Tries the next method that may work. Returns 0 with a request sent or a password asked for
 * (*ask set), or FERRY_EAUTH when nothing is left. */
static int auth_next(struct ssh_client *c, bool *ask)
{
	*ask = false;
	if (c->pubkey_auth && method_allowed(c, "publickey")) {
		while (c->key_index < c->n_keys) {
			size_t i = c->key_index++;
			const char *alg = choose_pk_alg(c, c->keys[i]);
			if (alg == NULL) {
				log_debug1("Skipping %s: no signature algorithm the server accepts", key_label(c, i));
				continue;
			}
			log_debug1("Offering public key: %s %s", key_label(c, i), alg);
			c->pk_alg = alg;
			c->method = METHOD_PK_QUERY;
			c->auth = AUTH_WAIT_REPLY;
			return send_pk_query(c, c->keys[i], alg);
		}
	}
	if (c->password_auth && method_allowed(c, "password") && c->password_tries < c->password_prompts) {
		c->password_tries++;
		c->auth = AUTH_WAIT_PASSWORD;
		c->password_asked = true;
		*ask = true;
		return 0;
	}
	c->auth = AUTH_FAILED;
	return client_fail(c, FERRY_EAUTH, "Permission denied (%s).", c->methods ? c->methods : "none");
}

int ssh_client_password(struct ssh_client *c, const char *password)
{
	struct buf *m = &c->msg;
	int r;
	if (c->auth != AUTH_WAIT_PASSWORD)
		return FERRY_EINVAL;
	c->password_asked = false;
	buf_reset(m);
	if ((r = put_auth_header(c, m, "password")) != 0 || (r = buf_put_bool(m, false)) != 0 ||
	    (r = buf_put_cstring(m, password)) != 0)
		goto out;
	c->method = METHOD_PASSWORD;
	c->auth = AUTH_WAIT_REPLY;
	r = send_msg(c);
out:
	crypto_wipe(c->msg.data, c->msg.size);
	buf_reset(m);
	return r;
}

int ssh_client_password_cancel(struct ssh_client *c)
{
	if (c->auth != AUTH_WAIT_PASSWORD)
		return FERRY_EINVAL;
	c->password_asked = false;
	c->password_tries = c->password_prompts;
	c->auth = AUTH_FAILED;
	return client_fail(c, FERRY_EAUTH, "Permission denied (%s).", c->methods ? c->methods : "none");
}

static int start_userauth(struct ssh_client *c)
{
	struct buf *m = &c->msg;
	int r;
	buf_reset(m);
	if ((r = buf_put_u8(m, SSH_MSG_SERVICE_REQUEST)) != 0 ||
	    (r = buf_put_cstring(m, "ssh-userauth")) != 0)
		return r;
	c->auth = AUTH_WAIT_SERVICE;
	log_debug1("SSH2_MSG_SERVICE_REQUEST sent");
	return send_msg(c);
}


/* Handles one userauth-phase message; *got says whether ev was filled. */
static int handle_auth(struct ssh_client *c, uint8_t type, struct buf *m, struct ssh_event *ev, bool *got)
{
	int r;
	bool ask = false;
	*got = false;
	switch (type) {
	case SSH_MSG_SERVICE_ACCEPT: {
		char *name = NULL;
		if (c->auth != AUTH_WAIT_SERVICE)
			return client_fail(c, FERRY_EPROTO, "unexpected SERVICE_ACCEPT");
		if (buf_get_cstring(m, &name, NULL) != 0 || strcmp(name, "ssh-userauth") != 0) {
			free(name);
			return client_fail(c, FERRY_EPROTO, "server accepted a service we did not ask for");
		}
		free(name);
		log_debug1("SSH2_MSG_SERVICE_ACCEPT received");
		/* RFC 4252 §5.2: "none" tells us which methods can continue. */
		struct buf *out = &c->msg;
		buf_reset(out);
		if ((r = put_auth_header(c, out, "none")) != 0)
			return r;
		c->method = METHOD_NONE;
		c->auth = AUTH_WAIT_REPLY;
		return send_msg(c);
	}
	case SSH_MSG_USERAUTH_BANNER: {
		char *text = NULL;
		if (buf_get_cstring(m, &text, NULL) != 0)
			return client_fail(c, FERRY_EPROTO, "malformed USERAUTH_BANNER");
		chan_keep_str(&c->ct, 0, text);
		ev->type = SSH_EV_BANNER;
		ev->str = text;
		*got = true;
		return 0;
	}
	case SSH_MSG_USERAUTH_FAILURE: {
		char *methods = NULL;
		bool partial;
		if (c->auth != AUTH_WAIT_REPLY)
			return client_fail(c, FERRY_EPROTO, "unexpected USERAUTH_FAILURE");
		if (buf_get_cstring(m, &methods, NULL) != 0 || buf_get_bool(m, &partial) != 0) {
			free(methods);
			return client_fail(c, FERRY_EPROTO, "malformed USERAUTH_FAILURE");
		}
		/* The list is shown to the user: escape whatever the server put in it. */
		free(c->methods);
		c->methods = str_escape_untrusted((const uint8_t *)methods, strlen(methods));
		free(methods);
		if (c->methods == NULL)
			return FERRY_ENOMEM;
		log_debug1("Authentications that can continue: %s", c->methods);
		if ((r = auth_next(c, &ask)) != 0)
			return r;
		if (ask) {
			ev->type = SSH_EV_NEED_PASSWORD;
			*got = true;
		}
		return 0;
	}
	case SSH_MSG_USERAUTH_PK_OK: {
		/* Also PASSWD_CHANGEREQ when the request was a password (RFC 4252 §8). */
		if (c->auth != AUTH_WAIT_REPLY)
			return client_fail(c, FERRY_EPROTO, "unexpected USERAUTH_PK_OK");
		if (c->method == METHOD_PASSWORD) {
			log_info("The server asks for a password change, which ferry does not do.");
			if ((r = auth_next(c, &ask)) != 0)
				return r;
			if (ask) {
				ev->type = SSH_EV_NEED_PASSWORD;
				*got = true;
			}
			return 0;
		}
		if (c->method != METHOD_PK_QUERY)
			return client_fail(c, FERRY_EPROTO, "unexpected USERAUTH_PK_OK");
		const uint8_t *alg, *blob;
		size_t alen, blen;
		size_t i = c->key_index - 1;
		struct buf mine;
		buf_init(&mine, 0);
		if (buf_get_string_ref(m, &alg, &alen) != 0 || buf_get_string_ref(m, &blob, &blen) != 0 ||
		    key_to_blob(c->keys[i], &mine) != 0 || blen != buf_len(&mine) ||
		    memcmp(blob, buf_rptr(&mine), blen) != 0 || alen != strlen(c->pk_alg) ||
		    memcmp(alg, c->pk_alg, alen) != 0) {
			buf_free(&mine);
			return client_fail(c, FERRY_EPROTO, "USERAUTH_PK_OK for a key we did not offer");
		}
		buf_free(&mine);
		log_debug1("Server accepts key: %s", key_label(c, i));
		c->method = METHOD_PK_SIGNED;
		return send_pk_signed(c, c->keys[i], c->pk_alg);
	}
	case SSH_MSG_USERAUTH_SUCCESS:
		/* Only an answer to a request we made counts (RFC 4252 §5.1). */
		if (c->auth != AUTH_WAIT_REPLY || c->method == METHOD_PK_QUERY)
			return client_fail(c, FERRY_EPROTO, "unexpected USERAUTH_SUCCESS");
		c->auth = AUTH_DONE;
		log_debug1("Authentication succeeded (%s).",
			   c->method == METHOD_PASSWORD ? "password" :
			   c->method == METHOD_NONE ? "none" : "publickey");
		ev->type = SSH_EV_AUTHENTICATED;
		*got = true;
		return 0;
	default:
		/* Method-specific messages of methods we do not use (RFC 4252 §6: 60-79). */
		if ((type > SSH_MSG_USERAUTH_BANNER && type < SSH_MSG_USERAUTH_PK_OK) ||
		    (type > SSH_MSG_USERAUTH_PK_OK && type < SSH_MSG_GLOBAL_REQUEST))
			return ssh_transport_unimplemented(c->t);
		return client_fail(c, FERRY_EPROTO, "unexpected message type %u before authentication", type);
	}
}

/* --- connection (RFC 4254): channels are proto/channel.c's --- */

bool ssh_chan_open(const struct ssh_client *c, uint32_t id) { return chan_is_open(&c->ct, id); }
size_t ssh_chan_send_room(const struct ssh_client *c, uint32_t id) { return chan_send_room(&c->ct, id); }
int ssh_chan_send_eof(struct ssh_client *c, uint32_t id) { return chan_send_eof(&c->ct, id); }
int ssh_chan_close(struct ssh_client *c, uint32_t id) { return chan_close(&c->ct, id); }

int ssh_chan_send(struct ssh_client *c, uint32_t id, uint32_t ext, const uint8_t *p, size_t n,
		  size_t *sent)
{
	return chan_send(&c->ct, id, ext, p, n, sent);
}

int ssh_chan_consumed(struct ssh_client *c, uint32_t id, size_t n)
{
	return chan_consumed(&c->ct, id, n);
}

int ssh_client_global_request(struct ssh_client *c, const char *name, bool want_reply)
{
	if (c->auth != AUTH_DONE)
		return FERRY_EINVAL;
	return chan_global_request(&c->ct, name, want_reply);
}

uint32_t ssh_client_global_pending(const struct ssh_client *c)
{
	return c->ct.global_pending;
}

int ssh_chan_open_session(struct ssh_client *c, uint32_t *id)
{
	if (c->auth != AUTH_DONE)
		return FERRY_EINVAL;
	return chan_open(&c->ct, "session", id);
}

/* A session request with up to two string arguments. */
static int chan_request(struct ssh_client *c, uint32_t id, const char *req, bool want_reply,
			const char *arg1, const char *arg2)
{
	struct buf *m = &c->ct.msg;
	int r;
	if ((r = chan_request_begin(&c->ct, id, req, want_reply)) != 0 ||
	    (arg1 && (r = buf_put_cstring(m, arg1)) != 0) || (arg2 && (r = buf_put_cstring(m, arg2)) != 0))
		return r;
	return chan_request_send(&c->ct, id, want_reply);
}

int ssh_chan_exec(struct ssh_client *c, uint32_t id, const char *command)
{
	return chan_request(c, id, "exec", true, command, NULL);
}

int ssh_chan_subsystem(struct ssh_client *c, uint32_t id, const char *name)
{
	return chan_request(c, id, "subsystem", true, name, NULL);
}

int ssh_chan_shell(struct ssh_client *c, uint32_t id)
{
	return chan_request(c, id, "shell", true, NULL, NULL);
}

int ssh_chan_env(struct ssh_client *c, uint32_t id, const char *name, const char *value)
{
	return chan_request(c, id, "env", false, name, value);
}

/* The server's requests on a session: exit-status and exit-signal are what a client takes
 * (RFC 4254 §6.10); anything else that wants an answer is refused. */
static int handle_channel_request(struct ssh_client *c, struct chan_request *req, struct buf *m,
				  struct ssh_event *ev, bool *got)
{
	int r = 0;
	ev->chan = req->chan;
	if (strcmp(req->name, "exit-status") == 0) {
		uint32_t code;
		if (buf_get_u32(m, &code) != 0)
			return client_fail(c, FERRY_EPROTO, "malformed exit-status");
		ev->type = SSH_EV_CHAN_EXIT_STATUS;
		ev->code = code;
		*got = true;
	} else if (strcmp(req->name, "exit-signal") == 0) {
		char *sig = NULL, *msg = NULL;
		bool core;
		if (buf_get_cstring(m, &sig, NULL) != 0 || buf_get_bool(m, &core) != 0 ||
		    buf_get_cstring(m, &msg, NULL) != 0) {
			free(sig);
			free(msg);
			return client_fail(c, FERRY_EPROTO, "malformed exit-signal");
		}
		chan_keep_str(&c->ct, 0, sig);
		chan_keep_str(&c->ct, 1, msg);
		ev->type = SSH_EV_CHAN_EXIT_SIGNAL;
		ev->str = sig;
		ev->str2 = msg;
		ev->flag = core;
		*got = true;
	}
	/* keepalive@openssh.com and anything unknown: a failure reply is the answer. */
	if (req->want_reply && !*got)
		r = chan_reply(&c->ct, req->chan, false);
	return r;
}

static int handle_conn(struct ssh_client *c, uint8_t type, struct buf *m, struct ssh_event *ev, bool *got)
{
	*got = false;
	if (type == SSH_MSG_GLOBAL_REQUEST) {
		const uint8_t *name;
		size_t nlen;
		bool want_reply;
		if (buf_get_string_ref(m, &name, &nlen) != 0 || buf_get_bool(m, &want_reply) != 0)
			return client_fail(c, FERRY_EPROTO, "malformed GLOBAL_REQUEST");
		log_debug2("global request %.*s (want reply %d)", (int)(nlen > 64 ? 64 : nlen), name, want_reply);
		if (!want_reply)
			return 0;
		/* RFC 4254 §4: we take none; keepalive@openssh.com only wants an answer. */
		uint8_t fail = SSH_MSG_REQUEST_FAILURE;
		return ssh_transport_send(c->t, &fail, 1);
	}
	if (type == SSH_MSG_REQUEST_SUCCESS || type == SSH_MSG_REQUEST_FAILURE)
		return chan_global_reply(&c->ct) == 0 ? 0 : client_fail(c, FERRY_EPROTO, "%s", c->ct.errmsg);
	if (type == SSH_MSG_CHANNEL_OPEN) {
		/* The server may not open channels to us; we allow no forwarding. */
		const uint8_t *ctype;
		size_t clen;
		uint32_t sender;
		if (buf_get_string_ref(m, &ctype, &clen) != 0 || buf_get_u32(m, &sender) != 0)
			return client_fail(c, FERRY_EPROTO, "malformed CHANNEL_OPEN");
		return chan_open_failure(&c->ct, sender, SSH_OPEN_ADMINISTRATIVELY_PROHIBITED,
					 "open refused by client");
	}
	if (type < SSH_MSG_CHANNEL_OPEN_CONFIRMATION || type > SSH_MSG_CHANNEL_FAILURE)
		return ssh_transport_unimplemented(c->t);   /* RFC 4253 §11.4 */
	struct chan_request req = { 0 };
	bool is_request = false;
	int r = chan_handle(&c->ct, type, m, ev, got, &req, &is_request);
	if (r == FERRY_EPROTO)
		return client_fail(c, r, "%s", c->ct.errmsg);
	if (r == 0 && is_request)
		r = handle_channel_request(c, &req, m, ev, got);
	free(req.name);
	return r;
}

int ssh_client_next(struct ssh_client *c, struct ssh_event *ev)
{
	int r;
	if (c->auth == AUTH_FAILED)
		return FERRY_EAUTH;
	for (;;) {
		if (c->auth == AUTH_WAIT_TRANSPORT && ssh_transport_ready(c->t) &&
		    (r = start_userauth(c)) != 0)
			return r;
		uint8_t type;
		struct buf m;
		r = ssh_transport_recv(c->t, &type, &m);
		if (r == FERRY_EAGAIN && c->auth == AUTH_WAIT_TRANSPORT && ssh_transport_ready(c->t))
			continue;
		if (r)
			return r;
		memset(ev, 0, sizeof(*ev));
		bool got = false;
		if (c->auth != AUTH_DONE) {
			if (type >= SSH_MSG_GLOBAL_REQUEST || c->auth == AUTH_WAIT_TRANSPORT ||
			    (type == SSH_MSG_SERVICE_ACCEPT && c->auth != AUTH_WAIT_SERVICE) ||
			    type == SSH_MSG_SERVICE_REQUEST)
				return client_fail(c, FERRY_EPROTO,
						   "unexpected message type %u before authentication", type);
			r = handle_auth(c, type, &m, ev, &got);
		} else if (type < SSH_MSG_GLOBAL_REQUEST) {
			/* After success, userauth messages are over (RFC 4252 §5.1); a late banner
			 * is harmless, anything else is a protocol error. */
			if (type == SSH_MSG_USERAUTH_BANNER)
				continue;
			if (type <= SSH_MSG_USERAUTH_BANNER || type == SSH_MSG_USERAUTH_PK_OK ||
			    type == SSH_MSG_SERVICE_REQUEST || type == SSH_MSG_SERVICE_ACCEPT)
				return client_fail(c, FERRY_EPROTO,
						   "unexpected message type %u after authentication", type);
			r = ssh_transport_unimplemented(c->t);
		} else {
			r = handle_conn(c, type, &m, ev, &got);
		}
		if (r)
			return r;
		if (got)
			return 0;
	}
}

void ssh_client_testing_skip_auth(struct ssh_client *c)
{
	ssh_transport_testing_skip_kex(c->t);
	c->auth = AUTH_DONE;
}
