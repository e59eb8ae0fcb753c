/* The SSH transport layer's packet half (RFC 4253 §4-§6, §11; RFC 4344 §3): version exchange,
 * binary packet encoding and decoding, message dispatch, hold-back during key exchange. */
#include "proto/transport-internal.h"
#include "proto/ssh-msg.h"
#include "proto/testing.h"
#include "crypto/key.h"
#include "common/log.h"
#include "common/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FERRY_VERSION_LINE "SSH-2.0-ferry_" FERRY_VERSION
/* RFC 4253 §4.2 lets a server send lines before its version; bound them. */
#define MAX_PREBANNER_LINES 1024
#define MAX_BANNER_LINE 8192
/* Input never needs more than one maximal packet plus its tag, and a little read-ahead. */
#define INPUT_MAX (SSH_MAX_PACKET_LEN + 4 + 64 + 1024 * 1024)
#define EXT_INFO_MAX_EXTENSIONS 64

int transport_fail(struct ssh_transport *t, int err, uint32_t reason, const char *fmt, ...)
{
	if (!t->dead) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(t->errmsg, sizeof(t->errmsg), fmt, ap);
		va_end(ap);
		log_debug1("transport failed: %s", t->errmsg);
		if (reason != 0 && t->got_version) {
			/* Best effort: tell the peer why before we go. */
			struct buf *m = &t->scratch;
			buf_reset(m);
			if (buf_put_u8(m, SSH_MSG_DISCONNECT) == 0 && buf_put_u32(m, reason) == 0 &&
			    buf_put_cstring(m, t->errmsg) == 0 && buf_put_cstring(m, "") == 0 &&
			    transport_send_now(t, buf_rptr(m), buf_len(m)) != 0)
				log_debug2("could not queue DISCONNECT");
		}
		t->dead = true;
	}
	return err;
}

void ssh_transport_disconnect(struct ssh_transport *t, uint32_t reason, const char *desc)
{
	if (t->dead)
		return;
	(void)transport_fail(t, FERRY_ECLOSED, reason, "%s", desc);
}

static char *dup_or_default(const char *s, const char *def)
{
	return strdup(s ? s : def);
}

int ssh_transport_new(const struct ssh_transport_config *cfg, struct ssh_transport **out)
{
	struct ssh_transport *t = calloc(1, sizeof(*t));
	int r = FERRY_ENOMEM;
	if (t == NULL)
		return FERRY_ENOMEM;
	t->role = cfg->role;
	t->kex_algs = dup_or_default(cfg->kex_algs, kex_default_names());
	t->hostkey_algs = dup_or_default(cfg->hostkey_algs, key_sigalg_default_names());
	t->ciphers = dup_or_default(cfg->ciphers, cipher_default_names());
	t->macs = dup_or_default(cfg->macs, mac_default_names());
	t->my_version = strdup(FERRY_VERSION_LINE);
	if (!t->kex_algs || !t->hostkey_algs || !t->ciphers || !t->macs || !t->my_version)
		goto fail;
	t->rekey_bytes = cfg->rekey_bytes;
	t->rekey_seconds = cfg->rekey_seconds;
	t->verify_hostkey = cfg->verify_hostkey;
	t->verify_arg = cfg->verify_arg;
	t->host_keys = cfg->host_keys;
	t->n_host_keys = cfg->n_host_keys;
	buf_init(&t->in, INPUT_MAX);
	buf_init(&t->out, 0);
	buf_init(&t->queued, 0);
	buf_init(&t->scratch, SSH_MAX_PACKET_LEN);
	buf_init(&t->kex.my_kexinit, 64 * 1024);
	buf_init(&t->kex.peer_kexinit, 64 * 1024);
	buf_init(&t->kex.gex_p, 2048);
	buf_init(&t->kex.gex_g, 2048);
	t->cipher_name[0] = t->cipher_name[1] = "none";
	t->mac_name[0] = t->mac_name[1] = "none";
	t->kex_name = "none";
	/* RFC 4253 §4.2: the version line ends in CR LF. */
	if ((r = buf_put(&t->out, t->my_version, strlen(t->my_version))) != 0 ||
	    (r = buf_put(&t->out, "\r\n", 2)) != 0)
		goto fail;
	/* Send our KEXINIT right after the version, without waiting for the peer's. */
	if ((r = kex_start(t)) != 0)
		goto fail;
	*out = t;
	return 0;
fail:
	ssh_transport_free(t);
	return r;
}

void ssh_transport_free(struct ssh_transport *t)
{
	if (t == NULL)
		return;
	kex_run_clear(&t->kex);
	buf_free(&t->kex.my_kexinit);
	buf_free(&t->kex.peer_kexinit);
	buf_free(&t->kex.gex_p);
	buf_free(&t->kex.gex_g);
	pktc_free(t->seal);
	pktc_free(t->open);
	buf_free(&t->in);
	buf_free(&t->out);
	buf_free(&t->queued);
	buf_free(&t->scratch);
	key_free(t->peer_host_key);
	crypto_wipe(t->session_id, sizeof(t->session_id));
	free(t->kex_algs);
	free(t->hostkey_algs);
	free(t->ciphers);
	free(t->macs);
	free(t->my_version);
	free(t->peer_version);
	free(t->server_sig_algs);
	free(t);
}

int ssh_transport_input_space(struct ssh_transport *t, size_t min, uint8_t **p, size_t *n)
{
	size_t want = min;
	/* Ask for the rest of the packet being read, so big packets arrive in one read. */
	if (t->cur_len && buf_len(&t->in) < (size_t)t->cur_len + 4 + 64)
		want = (size_t)t->cur_len + 4 + 64 - buf_len(&t->in);
	if (want < min)
		want = min;
	if (t->in.max - buf_len(&t->in) < want)
		want = t->in.max - buf_len(&t->in);
	if (want == 0)
		return FERRY_EFULL;
	int r = buf_reserve(&t->in, want, p);
	if (r)
		return r;
	*n = t->in.size - t->in.wpos;
	return 0;
}

void ssh_transport_input_commit(struct ssh_transport *t, size_t n)
{
	buf_commit(&t->in, n);
}

int ssh_transport_input(struct ssh_transport *t, const void *data, size_t n)
{
	return buf_put(&t->in, data, n);
}

void ssh_transport_input_eof(struct ssh_transport *t)
{
	t->input_eof = true;
}

size_t ssh_transport_output_len(const struct ssh_transport *t)
{
	return buf_len(&t->out);
}

void ssh_transport_output_swap(struct ssh_transport *t, struct buf *other)
{
	struct buf tmp = t->out;
	t->out = *other;
	*other = tmp;
	buf_reset(&t->out);
	t->out.max = other->max;
}

/* RFC 4253 §6: pad so the encrypted part is a multiple of the block size (at least 8), with
 * 4 to 255 bytes of random padding. */
int transport_send_now(struct ssh_transport *t, const uint8_t *payload, size_t len)
{
	size_t block = t->seal ? pktc_block_size(t->seal) : 8;
	size_t taglen = t->seal ? pktc_tag_len(t->seal) : 0;
	size_t aad = t->seal ? pktc_aad_len(t->seal) : 0;
	if (block < 8)
		block = 8;
	if (len == 0 || len > SSH_MAX_PACKET_LEN - 64)
		return FERRY_EINVAL;
	size_t aligned = (4 - aad) + 1 + len;
	size_t pad = block - (aligned % block);
	if (pad < 4)
		pad += block;
	size_t packet_length = 1 + len + pad;
	uint8_t *p;
	int r = buf_append_space(&t->out, 4 + packet_length + taglen, &p);
	if (r)
		return r;
	poke_u32(p, (uint32_t)packet_length);
	p[4] = (uint8_t)pad;
	memcpy(p + 5, payload, len);
	if ((r = crypto_random(p + 5 + len, pad)) != 0)
		goto undo;
	if (t->seal && (r = pktc_seal(t->seal, t->send_seq, p, 4 + packet_length,
				      p + 4 + packet_length)) != 0)
		goto undo;
	t->send_seq++;
	t->sent_packets++;
	t->sent_bytes += 4 + packet_length;
	log_debug3("sent packet type %u, %zu bytes", payload[0], len);
	return 0;
undo:
	buf_consume_end(&t->out, 4 + packet_length + taglen);
	return r;
}

/* Messages the upper layers may not send while our KEXINIT is outstanding (RFC 4253 §7.1). */
static bool held_during_kex(uint8_t type)
{
	return type >= SSH_MSG_SERVICE_REQUEST && !(type >= SSH_MSG_KEXINIT && type < 50);
}

static int rekey_if_due(struct ssh_transport *t)
{
	if (t->kex.active || t->kex_done == 0 || t->dead)
		return 0;
	bool due = t->sent_bytes >= t->rekey_limit || t->recv_bytes >= t->rekey_limit ||
		   /* RFC 4344 §3.1: never let a sequence number wrap under one set of keys. */
		   t->sent_packets >= (1ull << 31) || t->recv_packets >= (1ull << 31);
	if (t->rekey_seconds && t->now_ms >= t->last_kex_ms + (uint64_t)t->rekey_seconds * 1000)
		due = true;
	if (!due)
		return 0;
	log_debug1("rekeying: %llu bytes out, %llu in since the last key exchange",
		   (unsigned long long)t->sent_bytes, (unsigned long long)t->recv_bytes);
	return kex_start(t);
}

int ssh_transport_send(struct ssh_transport *t, const uint8_t *payload, size_t len)
{
	int r;
	if (t->dead)
		return FERRY_ECLOSED;
	if (len == 0 || len > SSH_MAX_PACKET_LEN - 64)
		return FERRY_EINVAL;
	if ((t->kex.sent_kexinit && !t->kex.sent_newkeys) && held_during_kex(payload[0])) {
		if ((r = buf_put_string(&t->queued, payload, len)) != 0)
			return r;
		return 0;
	}
	if ((r = transport_send_now(t, payload, len)) != 0)
		return r;
	return rekey_if_due(t);
}

int ssh_transport_send_buf(struct ssh_transport *t, const struct buf *payload)
{
	return ssh_transport_send(t, buf_rptr(payload), buf_len(payload));
}

int ssh_transport_rekey(struct ssh_transport *t)
{
	if (t->dead)
		return FERRY_ECLOSED;
	if (t->kex.active || t->kex_done == 0)
		return 0;
	return kex_start(t);
}

int ssh_transport_tick(struct ssh_transport *t, uint64_t now_ms)
{
	t->now_ms = now_ms;
	if (t->last_kex_ms == 0)
		t->last_kex_ms = now_ms;
	return rekey_if_due(t);
}

/* Reads the peer's version line (RFC 4253 §4.2). Returns 0 once it has it, FERRY_EAGAIN. */
static int read_version(struct ssh_transport *t)
{
	for (;;) {
		const uint8_t *p = buf_rptr(&t->in);
		size_t n = buf_len(&t->in);
		const uint8_t *nl = n ? memchr(p, '\n', n) : NULL;
		if (nl == NULL) {
			if (n > MAX_BANNER_LINE)
				return transport_fail(t, FERRY_EPROTO, 0,
						      "banner line too long (over %d bytes)", MAX_BANNER_LINE);
			if (t->input_eof)
				return transport_fail(t, FERRY_ECLOSED, 0,
						      "Connection closed by remote host before its version line");
			return FERRY_EAGAIN;
		}
		size_t linelen = (size_t)(nl - p);
		if (linelen > MAX_BANNER_LINE)
			return transport_fail(t, FERRY_EPROTO, 0, "banner line too long (over %d bytes)",
					      MAX_BANNER_LINE);
		size_t textlen = linelen;
		if (textlen > 0 && p[textlen - 1] == '\r')
			textlen--;
		if (memchr(p, '\0', textlen) != NULL)
			return transport_fail(t, FERRY_EPROTO, 0, "banner line contains a NUL byte");
		if (textlen >= 4 && memcmp(p, "SSH-", 4) == 0) {
			char *v = strndup((const char *)p, textlen);
			if (v == NULL)
				return FERRY_ENOMEM;
			buf_consume(&t->in, linelen + 1);
			t->peer_version = v;
			t->got_version = true;
			char *shown = str_escape_untrusted((const uint8_t *)v, textlen);
			log_debug1("Remote protocol version: %s", shown ? shown : "?");
			/* RFC 4253 §5.1: 1.99 means a 2.0-capable peer. */
			if (strncmp(v, "SSH-2.0-", 8) != 0 && strncmp(v, "SSH-1.99-", 9) != 0) {
				int rr = transport_fail(t, FERRY_EPROTO,
							SSH_DISCONNECT_PROTOCOL_VERSION_NOT_SUPPORTED,
							"Protocol major versions differ: peer says %.40s",
							shown ? shown : "?");
				free(shown);
				return rr;
			}
			free(shown);
			return 0;
		}
		/* Only a server may send lines before its version; a client may not. */
		if (t->role == SSH_ROLE_SERVER)
			return transport_fail(t, FERRY_EPROTO, 0, "bad client version line (no SSH- prefix)");
		if (++t->prebanner_lines > MAX_PREBANNER_LINES)
			return transport_fail(t, FERRY_EPROTO, 0,
					      "banner exchange: too many lines before the version line");
		buf_consume(&t->in, linelen + 1);
	}
}

/* Reads one binary packet (RFC 4253 §6) and returns a view of its payload. */
static int read_packet(struct ssh_transport *t, struct buf *payload)
{
	int r;
	size_t taglen = t->open ? pktc_tag_len(t->open) : 0;
	if (t->cur_len == 0) {
		size_t need = t->open ? pktc_length_need(t->open) : 4;
		if (buf_len(&t->in) < need)
			goto more;
		uint32_t len;
		uint8_t *p = buf_mutable_rptr(&t->in);
		if (t->open) {
			if ((r = pktc_open_length(t->open, t->recv_seq, p, buf_len(&t->in), &len)) != 0)
				return transport_fail(t, r, SSH_DISCONNECT_PROTOCOL_ERROR,
						      "could not decrypt packet length: %s", ferry_strerror(r));
		} else {
			len = peek_u32(p);
		}
		/* RFC 4253 §6.1: packets up to 35000 bytes must be accepted; ferry, like OpenSSH,
		 * takes up to 256 KiB and nothing more. The smallest holds padding_length, one
		 * message byte and four bytes of padding. */
		if (len < 1 + 1 + 4 || len > SSH_MAX_PACKET_LEN)
			return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
					      "Bad packet length %u.", len);
		size_t block = t->open ? pktc_block_size(t->open) : 8;
		size_t aad = t->open ? pktc_aad_len(t->open) : 0;
		if (block < 8)
			block = 8;
		if ((4 - aad + (size_t)len) % block != 0)
			return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
					      "Bad packet length %u: not a multiple of the block size", len);
		t->cur_len = len;
	}
	size_t total = 4 + (size_t)t->cur_len + taglen;
	if (buf_len(&t->in) < total)
		goto more;
	uint8_t *p = buf_mutable_rptr(&t->in);
	if (t->open) {
		r = pktc_open(t->open, t->recv_seq, p, 4 + t->cur_len, p + 4 + t->cur_len);
		if (r == FERRY_EMAC)
			return transport_fail(t, r, SSH_DISCONNECT_MAC_ERROR,
					      "Corrupted MAC on input (message authentication failed)");
		if (r)
			return transport_fail(t, r, SSH_DISCONNECT_PROTOCOL_ERROR,
					      "packet decryption failed: %s", ferry_strerror(r));
	}
	uint8_t padlen = p[4];
	/* RFC 4253 §6: at least four bytes of padding, and a payload of at least one byte. */
	if (padlen < 4 || (size_t)padlen + 1 >= t->cur_len)
		return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
				      "Bad padding length %u in a packet of length %u", padlen, t->cur_len);
	buf_view(payload, p + 5, t->cur_len - padlen - 1);
	buf_consume(&t->in, total);
	t->last_recv_seq = t->recv_seq;
	t->recv_seq++;
	t->recv_packets++;
	t->packets_in++;
	t->recv_bytes += total - taglen;
	t->cur_len = 0;
	return 0;
more:
	if (t->input_eof)
		return transport_fail(t, FERRY_ECLOSED, 0, "Connection closed by remote host");
	return FERRY_EAGAIN;
}

static int handle_disconnect(struct ssh_transport *t, struct buf *m)
{
	uint32_t reason = 0;
	char *desc = NULL;
	if (buf_get_u32(m, &reason) != 0 || buf_get_cstring(m, &desc, NULL) != 0)
		desc = NULL;
	char *shown = desc ? str_escape_untrusted((const uint8_t *)desc, strlen(desc)) : NULL;
	snprintf(t->errmsg, sizeof(t->errmsg), "Received disconnect: %u: %s", reason,
		 shown ? shown : "(no description)");
	free(shown);
	free(desc);
	t->dead = true;
	return FERRY_EDISCONNECT;
}

static int handle_debug(struct ssh_transport *t, struct buf *m)
{
	bool display;
	const uint8_t *msg;
	size_t n;
	if (buf_get_bool(m, &display) != 0 || buf_get_string_ref(m, &msg, &n) != 0)
		return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "bad DEBUG message");
	char *shown = str_escape_untrusted(msg, n > 1024 ? 1024 : n);
	log_debug1("Remote: %s", shown ? shown : "");
	free(shown);
	return 0;
}

/* RFC 8308 §2.3: the client keeps what it understands; server-sig-algs is the one it uses. */
static int handle_ext_info(struct ssh_transport *t, struct buf *m)
{
	uint32_t count;
	/* Both roles check it (our server offers ext-info-s); only a client uses what it says. */
	if (buf_get_u32(m, &count) != 0)
		return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "bad EXT_INFO");
	if (count > EXT_INFO_MAX_EXTENSIONS)
		return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
				      "EXT_INFO with too many extensions (%u)", count);
	for (uint32_t i = 0; i < count; i++) {
		const uint8_t *name, *value;
		size_t nlen, vlen;
		if (buf_get_string_ref(m, &name, &nlen) != 0 || buf_get_string_ref(m, &value, &vlen) != 0)
			return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
					      "truncated EXT_INFO (extension %u of %u)", i + 1, count);
		if (t->role == SSH_ROLE_CLIENT &&
		    nlen == strlen("server-sig-algs") && memcmp(name, "server-sig-algs", nlen) == 0 && vlen < 4096 &&
		    memchr(value, '\0', vlen) == NULL) {
			free(t->server_sig_algs);
			t->server_sig_algs = strndup((const char *)value, vlen);
			if (t->server_sig_algs == NULL)
				return FERRY_ENOMEM;
			log_debug1("kex: server-sig-algs=<%s>", t->server_sig_algs);
		}
	}
	return 0;
}

static int flush_queued(struct ssh_transport *t)
{
	while (buf_len(&t->queued) > 0) {
		const uint8_t *p;
		size_t n;
		int r;
		if ((r = buf_get_string_ref(&t->queued, &p, &n)) != 0)
			return r;
		if ((r = transport_send_now(t, p, n)) != 0)
			return r;
	}
	/* Held messages may include a password: leave nothing of them behind. */
	crypto_wipe(t->queued.data, t->queued.size);
	buf_reset(&t->queued);
	return 0;
}

static int transport_recv_one(struct ssh_transport *t, uint8_t *type, struct buf *payload);

int ssh_transport_recv(struct ssh_transport *t, uint8_t *type, struct buf *payload)
{
	int r = transport_recv_one(t, type, payload);
	/* Every failure but "more input needed" ends the transport with a reason. */
	if (r != 0 && r != FERRY_EAGAIN && !t->dead)
		return transport_fail(t, r, SSH_DISCONNECT_PROTOCOL_ERROR, "%s", ferry_strerror(r));
	return r;
}

static int transport_recv_one(struct ssh_transport *t, uint8_t *type, struct buf *payload)
{
	int r;
	if (t->dead)
		return FERRY_ECLOSED;
	if (!t->got_version && (r = read_version(t)) != 0)
		return r;
	for (;;) {
		struct buf m;
		if ((r = read_packet(t, &m)) != 0)
			return r;
		uint8_t mt;
		if (buf_get_u8(&m, &mt) != 0)
			return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "empty packet");
		log_debug3("received packet type %u, %zu bytes", mt, buf_len(&m) + 1);
		bool initial_kex = t->kex_done == 0;
		/* OpenSSH PROTOCOL §1.9: under strict KEX nothing but KEX messages may arrive
		 * during the initial exchange (KEXINIT being first is checked in proto/kex.c). */
		if (t->strict && initial_kex && mt != SSH_MSG_DISCONNECT &&
		    (mt < SSH_MSG_KEXINIT || mt >= 50))
			return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
					      "strict KEX violation: unexpected message type %u during the "
					      "initial key exchange", mt);
		switch (mt) {
		case SSH_MSG_DISCONNECT:
			return handle_disconnect(t, &m);
		case SSH_MSG_IGNORE:
			continue;
		case SSH_MSG_UNIMPLEMENTED: {
			uint32_t seq = 0;
			if (buf_get_u32(&m, &seq) != 0)
				return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
						      "bad UNIMPLEMENTED message");
			log_debug1("peer says packet %u was unimplemented", seq);
			continue;
		}
		case SSH_MSG_DEBUG:
			if ((r = handle_debug(t, &m)) != 0)
				return r;
			continue;
		case SSH_MSG_EXT_INFO:
			if (initial_kex)
				return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
						      "EXT_INFO before the key exchange finished");
			if ((r = handle_ext_info(t, &m)) != 0)
				return r;
			continue;
		default:
			break;
		}
		/* RFC 4253 §11.4: an unknown message gets UNIMPLEMENTED; 8-19 are unassigned. */
		if (mt > SSH_MSG_EXT_INFO && mt < SSH_MSG_KEXINIT) {
			if ((r = ssh_transport_unimplemented(t)) != 0)
				return r;
			continue;
		}
		if (mt >= SSH_MSG_KEXINIT && mt < 50) {
			if ((r = kex_handle(t, mt, &m)) != 0)
				return r;
			bool blocked = t->kex.sent_kexinit && !t->kex.sent_newkeys;
			if (!blocked && buf_len(&t->queued) > 0 && (r = flush_queued(t)) != 0)
				return r;
			continue;
		}
		/* Anything else belongs to the layers above, and only once keys are in place
		 * and the peer is not in the middle of a key exchange (RFC 4253 §7.1). */
		if (initial_kex || (t->kex.got_kexinit && !t->kex.got_newkeys))
			return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
					      "unexpected message type %u during key exchange", mt);
		if ((r = rekey_if_due(t)) != 0)
			return r;
		*type = mt;
		*payload = m;
		return 0;
	}
}

int ssh_transport_unimplemented(struct ssh_transport *t)
{
	uint8_t m[5] = { SSH_MSG_UNIMPLEMENTED };
	poke_u32(m + 1, t->last_recv_seq);
	log_debug1("sending UNIMPLEMENTED for packet %u", t->last_recv_seq);
	return ssh_transport_send(t, m, sizeof(m));
}

bool ssh_transport_ready(const struct ssh_transport *t) { return t->kex_done > 0 && !t->dead; }
bool ssh_transport_dead(const struct ssh_transport *t) { return t->dead; }
const char *ssh_transport_error(const struct ssh_transport *t) { return t->errmsg; }
const char *ssh_transport_peer_version(const struct ssh_transport *t) { return t->peer_version; }
const char *ssh_transport_server_sig_algs(const struct ssh_transport *t) { return t->server_sig_algs; }
const char *ssh_transport_kex_name(const struct ssh_transport *t) { return t->kex_name; }
unsigned ssh_transport_kex_count(const struct ssh_transport *t) { return t->kex_done; }
const struct ferry_key *ssh_transport_host_key(const struct ssh_transport *t) { return t->peer_host_key; }

const char *ssh_transport_cipher_name(const struct ssh_transport *t, bool outgoing)
{
	return t->cipher_name[outgoing ? 0 : 1];
}

const char *ssh_transport_mac_name(const struct ssh_transport *t, bool outgoing)
{
	return t->mac_name[outgoing ? 0 : 1];
}

const uint8_t *ssh_transport_session_id(const struct ssh_transport *t, size_t *len)
{
	if (t->session_id_len == 0)
		return NULL;
	*len = t->session_id_len;
	return t->session_id;
}

void ssh_transport_testing_skip_kex(struct ssh_transport *t)
{
	kex_run_clear(&t->kex);
	t->kex_done = 1;
	t->session_id_len = 32;
	t->rekey_limit = UINT64_MAX;
}
