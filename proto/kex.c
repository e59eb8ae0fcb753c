/* The key exchange flow (RFC 4253 §7-§9, RFC 4419, RFC 5656 §4, RFC 8731, RFC 8308 §2.1,
 * OpenSSH PROTOCOL §1.9 strict KEX): KEXINIT and negotiation, the ECDH/DH/DH-GEX messages for
 * both roles, the exchange hash, key derivation and NEWKEYS. */
#include "proto/transport-internal.h"
#include "proto/ssh-msg.h"
#include "crypto/key.h"
#include "common/log.h"
#include "common/text.h"

#include <stdlib.h>
#include <string.h>

#define STRICT_C "kex-strict-c-v00@openssh.com"
#define STRICT_S "kex-strict-s-v00@openssh.com"
/* RFC 4419 §3: the client asks for a group of at least 2048 and at most 8192 bits. */
#define GEX_MIN_BITS 2048
#define GEX_MAX_BITS 8192

void kex_run_clear(struct kex_run *k)
{
	kex_eph_free(k->eph);
	k->eph = NULL;
	pktc_free(k->next_seal);
	pktc_free(k->next_open);
	k->next_seal = k->next_open = NULL;
	free(k->hostkey_alg);
	k->hostkey_alg = NULL;
	k->active = k->sent_kexinit = k->got_kexinit = k->ignore_next = false;
	k->sent_newkeys = k->got_newkeys = k->keys_ready = false;
	k->alg = NULL;
	k->expect = 0;
	buf_reset(&k->gex_p);
	buf_reset(&k->gex_g);
}

/* Our host key algorithms as a server: the configured ones we hold a key for. */
static int server_hostkey_list(struct ssh_transport *t, char **out)
{
	char *list = strdup("");
	char *copy = strdup(t->hostkey_algs);
	int r = FERRY_ENOMEM;
	if (!list || !copy)
		goto out;
	char *save = NULL;
	for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		bool have = false;
		for (size_t i = 0; i < t->n_host_keys && !have; i++)
			have = key_sigalg_ok(t->host_keys[i], name);
		if (!have)
			continue;
		char *grown = str_printf("%s%s%s", list, *list ? "," : "", name);
		if (grown == NULL)
			goto out;
		free(list);
		list = grown;
	}
	*out = list;
	list = NULL;
	r = 0;
out:
	free(list);
	free(copy);
	return r;
}

/* RFC 4253 §7.1: SSH_MSG_KEXINIT. */
int kex_start(struct ssh_transport *t)
{
	struct kex_run *k = &t->kex;
	struct buf *m = &k->my_kexinit;
	char *kexlist = NULL, *hklist = NULL;
	uint8_t cookie[16];
	int r;

	if (k->sent_kexinit)
		return 0;
	bool first = t->kex_done == 0;
	/* The ext-info and strict-KEX markers go in the first KEXINIT only. */
	if (first)
		kexlist = str_printf("%s,%s", t->kex_algs,
				     t->role == SSH_ROLE_CLIENT ? "ext-info-c," STRICT_C : "ext-info-s," STRICT_S);
	else
		kexlist = strdup(t->kex_algs);
	if (kexlist == NULL)
		return FERRY_ENOMEM;
	if (t->role == SSH_ROLE_SERVER) {
		if ((r = server_hostkey_list(t, &hklist)) != 0)
			goto out;
	} else if ((hklist = strdup(t->hostkey_algs)) == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	buf_reset(m);
	if ((r = crypto_random(cookie, sizeof(cookie))) != 0 ||
	    (r = buf_put_u8(m, SSH_MSG_KEXINIT)) != 0 ||
	    (r = buf_put(m, cookie, sizeof(cookie))) != 0 ||
	    (r = buf_put_cstring(m, kexlist)) != 0 ||
	    (r = buf_put_cstring(m, hklist)) != 0 ||
	    (r = buf_put_cstring(m, t->ciphers)) != 0 ||
	    (r = buf_put_cstring(m, t->ciphers)) != 0 ||
	    (r = buf_put_cstring(m, t->macs)) != 0 ||
	    (r = buf_put_cstring(m, t->macs)) != 0 ||
	    (r = buf_put_cstring(m, "none")) != 0 ||
	    (r = buf_put_cstring(m, "none")) != 0 ||
	    (r = buf_put_cstring(m, "")) != 0 ||
	    (r = buf_put_cstring(m, "")) != 0 ||
	    (r = buf_put_bool(m, false)) != 0 ||
	    (r = buf_put_u32(m, 0)) != 0)
		goto out;
	if ((r = transport_send_now(t, buf_rptr(m), buf_len(m))) != 0)
		goto out;
	k->active = true;
	k->sent_kexinit = true;
	log_debug1("SSH2_MSG_KEXINIT sent");
out:
	free(kexlist);
	free(hklist);
	return r;
}

/* The first name in the client's list that the server also lists and that `ok` accepts. */
static char *choose(const char *client, const char *server, bool (*ok)(struct ssh_transport *, const char *),
		    struct ssh_transport *t)
{
	char *copy = strdup(client);
	char *found = NULL;
	if (copy == NULL)
		return NULL;
	char *save = NULL;
	for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (namelist_contains(server, name) && (ok == NULL || ok(t, name))) {
			found = strdup(name);
			break;
		}
	}
	free(copy);
	return found;
}

static bool kex_known(struct ssh_transport *t, const char *name) { return kex_by_name(name) != NULL; }
static bool cipher_known(struct ssh_transport *t, const char *name) { return cipher_by_name(name) != NULL; }
static bool mac_known(struct ssh_transport *t, const char *name) { return mac_by_name(name) != NULL; }

static bool hostkey_usable(struct ssh_transport *t, const char *name)
{
	enum key_type type;
	if (key_sigalg_type(name, &type) != 0)
		return false;
	if (t->role == SSH_ROLE_CLIENT)
		return true;
	for (size_t i = 0; i < t->n_host_keys; i++)
		if (key_sigalg_ok(t->host_keys[i], name))
			return true;
	return false;
}

struct kexinit_lists {
	char *l[10];    /* kex, hostkey, enc c2s, enc s2c, mac c2s, mac s2c, comp c2s, comp s2c, lang x2 */
	bool follows;
};

static void kexinit_lists_free(struct kexinit_lists *kl)
{
	for (int i = 0; i < 10; i++)
		free(kl->l[i]);
}

static int parse_kexinit(struct buf *m, struct kexinit_lists *kl)
{
	uint8_t cookie[16];
	uint32_t reserved;
	int r;
	memset(kl, 0, sizeof(*kl));
	if ((r = buf_get(m, cookie, sizeof(cookie))) != 0)
		return r;
	for (int i = 0; i < 10; i++)
		if ((r = buf_get_cstring(m, &kl->l[i], NULL)) != 0)
			return r;
	if ((r = buf_get_bool(m, &kl->follows)) != 0 || (r = buf_get_u32(m, &reserved)) != 0)
		return r;
	return 0;
}

/* Picks every algorithm (RFC 4253 §7.1) once both KEXINITs are known. */
static int negotiate(struct ssh_transport *t, struct kexinit_lists *peer)
{
	struct kex_run *k = &t->kex;
	struct kexinit_lists mine;
	struct buf view;
	char *name = NULL;
	int r;
	bool client = t->role == SSH_ROLE_CLIENT;

	buf_view(&view, buf_rptr(&k->my_kexinit) + 1, buf_len(&k->my_kexinit) - 1);
	if ((r = parse_kexinit(&view, &mine)) != 0) {
		kexinit_lists_free(&mine);
		return r;
	}
	struct kexinit_lists *c = client ? &mine : peer;
	struct kexinit_lists *s = client ? peer : &mine;

	if (t->kex_done == 0) {
		t->strict = namelist_contains(c->l[0], STRICT_C) && namelist_contains(s->l[0], STRICT_S);
		t->peer_ext_info = !client && namelist_contains(c->l[0], "ext-info-c");
		if (t->strict)
			log_debug1("kex: strict KEX (the Terrapin countermeasure) in effect");
	}

	const char *what = "key exchange";
	name = choose(c->l[0], s->l[0], kex_known, t);
	if (name == NULL)
		goto nomatch;
	k->alg = kex_by_name(name);
	free(name);
	what = "host key";
	if ((k->hostkey_alg = choose(c->l[1], s->l[1], hostkey_usable, t)) == NULL)
		goto nomatch;
	for (int d = 0; d < 2; d++) {
		what = d == DIR_C2S ? "client to server cipher" : "server to client cipher";
		if ((name = choose(c->l[2 + d], s->l[2 + d], cipher_known, t)) == NULL)
			goto nomatch;
		k->cipher[d] = cipher_by_name(name);
		free(name);
		k->mac[d] = NULL;
		if (k->cipher[d]->tag_len == 0) {
			what = d == DIR_C2S ? "client to server MAC" : "server to client MAC";
			if ((name = choose(c->l[4 + d], s->l[4 + d], mac_known, t)) == NULL)
				goto nomatch;
			k->mac[d] = mac_by_name(name);
			free(name);
		}
		what = "compression";
		if (!namelist_contains(peer->l[6 + d], "none"))
			goto nomatch;
	}
	/* RFC 4253 §7: a wrong guess means the peer's next KEX packet is to be ignored. */
	if (peer->follows) {
		char *pk = NULL, *ph = NULL;
		if (namelist_first_match(peer->l[0], peer->l[0], &pk) == 0 &&
		    namelist_first_match(peer->l[1], peer->l[1], &ph) == 0)
			k->ignore_next = strcmp(pk, k->alg->name) != 0 || strcmp(ph, k->hostkey_alg) != 0;
		free(pk);
		free(ph);
	}
	log_debug1("kex: algorithm: %s", k->alg->name);
	log_debug1("kex: host key algorithm: %s", k->hostkey_alg);
	log_debug1("kex: client->server cipher: %s MAC: %s", k->cipher[DIR_C2S]->name,
		   k->mac[DIR_C2S] ? k->mac[DIR_C2S]->name : "<implicit>");
	log_debug1("kex: server->client cipher: %s MAC: %s", k->cipher[DIR_S2C]->name,
		   k->mac[DIR_S2C] ? k->mac[DIR_S2C]->name : "<implicit>");
	kexinit_lists_free(&mine);
	return 0;
nomatch:
	{
		int idx = strcmp(what, "key exchange") == 0 ? 0 : strcmp(what, "host key") == 0 ? 1 :
			  strstr(what, "cipher") ? (strstr(what, "client to") ? 2 : 3) :
			  strstr(what, "MAC") ? (strstr(what, "client to") ? 4 : 5) : 6;
		char *offer = str_escape_untrusted((const uint8_t *)peer->l[idx], strlen(peer->l[idx]));
		r = transport_fail(t, FERRY_ENOMATCH, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
				   "Unable to negotiate with peer: no matching %s found. Their offer: %s",
				   what, offer ? offer : "?");
		free(offer);
	}
	kexinit_lists_free(&mine);
	return r;
}

/* RFC 4253 §7.2: derive one key: K1 = HASH(K || H || letter || session_id), then extend. */
static int derive_key(struct ssh_transport *t, const struct buf *K, const uint8_t *H, size_t hlen,
		      char letter, uint8_t *out, size_t need)
{
	enum hash_alg h = t->kex.alg->hash;
	size_t dlen = hash_len(h);
	uint8_t digest[HASH_MAX_LEN];
	struct hash_ctx *ctx = NULL;
	size_t have = 0;
	int r;

	while (have < need) {
		if ((r = hash_new(h, &ctx)) != 0)
			goto out;
		if ((r = hash_update(ctx, buf_rptr(K), buf_len(K))) != 0 ||
		    (r = hash_update(ctx, H, hlen)) != 0)
			goto out;
		if (have == 0) {
			if ((r = hash_update(ctx, &letter, 1)) != 0 ||
			    (r = hash_update(ctx, t->session_id, t->session_id_len)) != 0)
				goto out;
		} else if ((r = hash_update(ctx, out, have)) != 0) {
			goto out;
		}
		if ((r = hash_final(ctx, digest)) != 0)
			goto out;
		hash_free(ctx);
		ctx = NULL;
		size_t take = need - have < dlen ? need - have : dlen;
		memcpy(out + have, digest, take);
		have += take;
	}
	r = 0;
out:
	hash_free(ctx);
	crypto_wipe(digest, sizeof(digest));
	return r;
}

/* Builds both directions' packet protection from K and H. */
static int derive_keys(struct ssh_transport *t, const struct buf *K, const uint8_t *H, size_t hlen)
{
	struct kex_run *k = &t->kex;
	uint8_t iv[2][64], key[2][64], mackey[2][64];
	int r = 0;
	for (int d = 0; d < 2; d++) {
		const struct cipher_alg *c = k->cipher[d];
		const struct mac_alg *mc = k->mac[d];
		if (c->key_len > 64 || c->iv_len > 64 || (mc && mc->key_len > 64))
			return FERRY_EINVAL;
		if ((r = derive_key(t, K, H, hlen, (char)('A' + d), iv[d], c->iv_len)) != 0 ||
		    (r = derive_key(t, K, H, hlen, (char)('C' + d), key[d], c->key_len)) != 0 ||
		    (mc && (r = derive_key(t, K, H, hlen, (char)('E' + d), mackey[d], mc->key_len)) != 0))
			goto out;
	}
	int out_dir = t->role == SSH_ROLE_CLIENT ? DIR_C2S : DIR_S2C;
	int in_dir = 1 - out_dir;
	if ((r = pktc_new(k->cipher[out_dir], k->mac[out_dir], PKTC_SEAL, key[out_dir], iv[out_dir],
			  mackey[out_dir], &k->next_seal)) != 0 ||
	    (r = pktc_new(k->cipher[in_dir], k->mac[in_dir], PKTC_OPEN, key[in_dir], iv[in_dir],
			  mackey[in_dir], &k->next_open)) != 0)
		goto out;
	k->keys_ready = true;
out:
	crypto_wipe(iv, sizeof(iv));
	crypto_wipe(key, sizeof(key));
	crypto_wipe(mackey, sizeof(mackey));
	return r;
}

/* Puts an ECDH public value (string) or DH value (mpint) in its wire form. */
static int put_public(struct buf *b, enum kex_kind kind, const uint8_t *p, size_t n)
{
	return kind == KEX_ECDH ? buf_put_string(b, p, n) : buf_put_mpint_bytes(b, p, n);
}

/* RFC 4253 §8, RFC 4419 §3, RFC 5656 §4: H = HASH(V_C || V_S || I_C || I_S || K_S ||
 * [min || n || max || p || g] || e/Q_C || f/Q_S || K). client_pub/server_pub are raw values. */
static int exchange_hash(struct ssh_transport *t, const uint8_t *ks, size_t kslen,
			 const uint8_t *client_pub, size_t cplen, const uint8_t *server_pub, size_t splen,
			 const struct buf *K, uint8_t *H, size_t *hlen)
{
	struct kex_run *k = &t->kex;
	struct buf hb;
	bool client = t->role == SSH_ROLE_CLIENT;
	const struct buf *ic = client ? &k->my_kexinit : &k->peer_kexinit;
	const struct buf *is = client ? &k->peer_kexinit : &k->my_kexinit;
	int r;

	buf_init(&hb, 0);
	if ((r = buf_put_cstring(&hb, client ? t->my_version : t->peer_version)) != 0 ||
	    (r = buf_put_cstring(&hb, client ? t->peer_version : t->my_version)) != 0 ||
	    (r = buf_put_stringb(&hb, ic)) != 0 ||
	    (r = buf_put_stringb(&hb, is)) != 0 ||
	    (r = buf_put_string(&hb, ks, kslen)) != 0)
		goto out;
	if (k->alg->kind == KEX_DH_GEX &&
	    ((r = buf_put_u32(&hb, k->gex_min)) != 0 || (r = buf_put_u32(&hb, k->gex_want)) != 0 ||
	     (r = buf_put_u32(&hb, k->gex_max)) != 0 ||
	     (r = buf_put_mpint_bytes(&hb, buf_rptr(&k->gex_p), buf_len(&k->gex_p))) != 0 ||
	     (r = buf_put_mpint_bytes(&hb, buf_rptr(&k->gex_g), buf_len(&k->gex_g))) != 0))
		goto out;
	if ((r = put_public(&hb, k->alg->kind, client_pub, cplen)) != 0 ||
	    (r = put_public(&hb, k->alg->kind, server_pub, splen)) != 0 ||
	    (r = buf_put(&hb, buf_rptr(K), buf_len(K))) != 0)
		goto out;
	if ((r = hash_oneshot(k->alg->hash, buf_rptr(&hb), buf_len(&hb), H)) != 0)
		goto out;
	*hlen = hash_len(k->alg->hash);
out:
	buf_free(&hb);
	return r;
}

/* After H is known: fix the session id, derive keys, send NEWKEYS and switch our sending keys. */
static int finish_exchange(struct ssh_transport *t, const struct buf *K, const uint8_t *H, size_t hlen)
{
	int r;
	if (t->session_id_len == 0) {
		memcpy(t->session_id, H, hlen);
		t->session_id_len = hlen;
	}
	if ((r = derive_keys(t, K, H, hlen)) != 0)
		return transport_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
				      "key derivation failed: %s", ferry_strerror(r));
	uint8_t nk = SSH_MSG_NEWKEYS;
	if ((r = transport_send_now(t, &nk, 1)) != 0)
		return r;
	log_debug1("SSH2_MSG_NEWKEYS sent");
	struct kex_run *k = &t->kex;
	pktc_free(t->seal);
	t->seal = k->next_seal;
	k->next_seal = NULL;
	int out_dir = t->role == SSH_ROLE_CLIENT ? DIR_C2S : DIR_S2C;
	t->cipher_name[0] = k->cipher[out_dir]->name;
	t->mac_name[0] = k->mac[out_dir] ? k->mac[out_dir]->name : "<implicit>";
	k->sent_newkeys = true;
	t->sent_bytes = 0;
	t->sent_packets = 0;
	/* OpenSSH PROTOCOL §1.9: strict KEX resets the sequence number after NEWKEYS. */
	if (t->strict)
		t->send_seq = 0;
	return 0;
}

/* RFC 4344 §3.2: rekey after 2^(L/4) blocks of an L-bit block cipher; ciphers with smaller
 * blocks (chacha20-poly1305 counts 8) rekey every GiB, as OpenSSH does. */
static uint64_t cipher_rekey_limit(const struct cipher_alg *c)
{
	if (c->block_size >= 16)
		return ((uint64_t)1 << 32) * c->block_size;
	return (uint64_t)1 << 30;
}

static int kex_complete(struct ssh_transport *t)
{
	struct kex_run *k = &t->kex;
	uint64_t limit = cipher_rekey_limit(k->cipher[0]);
	uint64_t other = cipher_rekey_limit(k->cipher[1]);
	if (other < limit)
		limit = other;
	if (t->rekey_bytes && t->rekey_bytes < limit)
		limit = t->rekey_bytes;
	t->rekey_limit = limit;
	t->kex_name = k->alg->name;
	t->kex_done++;
	t->last_kex_ms = t->now_ms;
	log_debug1("key exchange %u complete (%s)", t->kex_done, k->alg->name);
	kex_run_clear(k);
	return 0;
}

static int send_ext_info(struct ssh_transport *t)
{
	struct buf *m = &t->scratch;
	int r;
	buf_reset(m);
	if ((r = buf_put_u8(m, SSH_MSG_EXT_INFO)) != 0 || (r = buf_put_u32(m, 1)) != 0 ||
	    (r = buf_put_cstring(m, "server-sig-algs")) != 0 ||
	    (r = buf_put_cstring(m, key_sigalg_supported_names())) != 0)
		return r;
	return transport_send_now(t, buf_rptr(m), buf_len(m));
}

static int handle_newkeys(struct ssh_transport *t)
{
	struct kex_run *k = &t->kex;
	int r;
	if (!k->keys_ready || k->got_newkeys)
		return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
				      "unexpected NEWKEYS");
	log_debug1("SSH2_MSG_NEWKEYS received");
	pktc_free(t->open);
	t->open = k->next_open;
	k->next_open = NULL;
	int in_dir = t->role == SSH_ROLE_CLIENT ? DIR_S2C : DIR_C2S;
	t->cipher_name[1] = k->cipher[in_dir]->name;
	t->mac_name[1] = k->mac[in_dir] ? k->mac[in_dir]->name : "<implicit>";
	k->got_newkeys = true;
	t->recv_bytes = 0;
	t->recv_packets = 0;
	if (t->strict)
		t->recv_seq = 0;
	bool first = t->kex_done == 0;
	if (k->sent_newkeys) {
		if ((r = kex_complete(t)) != 0)
			return r;
		/* RFC 8308 §2.4: the server may send EXT_INFO right after its first NEWKEYS. */
		if (first && t->role == SSH_ROLE_SERVER && t->peer_ext_info && (r = send_ext_info(t)) != 0)
			return r;
	}
	return 0;
}

/* Client: the server's reply, with its host key, value and signature over H. */
static int client_handle_reply(struct ssh_transport *t, struct buf *m)
{
	struct kex_run *k = &t->kex;
	const uint8_t *ks, *spub, *sig, *cpub;
	size_t kslen, splen, siglen, cplen;
	struct ferry_key *hostkey = NULL;
	struct buf K;
	uint8_t H[HASH_MAX_LEN];
	size_t hlen = 0;
	int r;

	buf_init(&K, 4096);
	if (buf_get_string_ref(m, &ks, &kslen) != 0 ||
	    (k->alg->kind == KEX_ECDH ? buf_get_string_ref(m, &spub, &splen)
				      : buf_get_mpint_ref(m, &spub, &splen)) != 0 ||
	    buf_get_string_ref(m, &sig, &siglen) != 0) {
		r = transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed KEX reply");
		goto out;
	}
	if ((r = key_from_blob(ks, kslen, &hostkey)) != 0) {
		r = transport_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
				   "cannot parse the server's host key: %s", ferry_strerror(r));
		goto out;
	}
	if (!key_sigalg_ok(hostkey, k->hostkey_alg)) {
		r = transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
				   "server host key of type %s does not match the negotiated %s",
				   key_type_name(hostkey), k->hostkey_alg);
		goto out;
	}
	struct buf Kraw;
	buf_init(&Kraw, 4096);
	r = kex_eph_derive(k->eph, spub, splen, &Kraw);
	if (r == 0)
		r = buf_put_mpint_bytes(&K, buf_rptr(&Kraw), buf_len(&Kraw));
	buf_free(&Kraw);
	if (r) {
		r = transport_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
				   "key agreement failed: %s", ferry_strerror(r));
		goto out;
	}
	if ((r = kex_eph_public(k->eph, &cpub, &cplen)) != 0 ||
	    (r = exchange_hash(t, ks, kslen, cpub, cplen, spub, splen, &K, H, &hlen)) != 0)
		goto out;
	if ((r = key_verify(hostkey, k->hostkey_alg, sig, siglen, H, hlen)) != 0) {
		r = transport_fail(t, FERRY_ESIG, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
				   "the server's signature over the key exchange did not verify (%s)",
				   ferry_strerror(r));
		goto out;
	}
	if (t->peer_host_key == NULL) {
		char *fp = NULL;
		if (key_fingerprint(hostkey, &fp) == 0)
			log_debug1("Server host key: %s %s", k->hostkey_alg, fp);
		free(fp);
		if (t->verify_hostkey && (r = t->verify_hostkey(t->verify_arg, hostkey)) != 0) {
			r = transport_fail(t, r, SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE,
					   "Host key verification failed.");
			goto out;
		}
		t->peer_host_key = hostkey;
		hostkey = NULL;
	} else if (!key_equal_public(t->peer_host_key, hostkey)) {
		/* A rekey must not switch host keys behind the user's back. */
		r = transport_fail(t, FERRY_EHOSTKEY, SSH_DISCONNECT_HOST_KEY_NOT_VERIFIABLE,
				   "server host key changed during rekey");
		goto out;
	}
	r = finish_exchange(t, &K, H, hlen);
out:
	key_free(hostkey);
	buf_free(&K);
	crypto_wipe(H, sizeof(H));
	return r;
}

/* Server: the client's public value; answer with ours, the host key and a signature over H. */
static int server_handle_init(struct ssh_transport *t, struct buf *m, uint8_t reply_type)
{
	struct kex_run *k = &t->kex;
	const uint8_t *cpub, *spub;
	size_t cplen, splen;
	const struct ferry_key *hostkey = NULL;
	struct buf K, Kraw, ks, sig, reply;
	uint8_t H[HASH_MAX_LEN];
	size_t hlen = 0;
	int r;

	buf_init(&K, 4096);
	buf_init(&Kraw, 4096);
	buf_init(&ks, 0);
	buf_init(&sig, 0);
	buf_init(&reply, 0);
	if ((k->alg->kind == KEX_ECDH ? buf_get_string_ref(m, &cpub, &cplen)
				      : buf_get_mpint_ref(m, &cpub, &cplen)) != 0) {
		r = transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed KEX init");
		goto out;
	}
	for (size_t i = 0; i < t->n_host_keys && !hostkey; i++)
		if (key_sigalg_ok(t->host_keys[i], k->hostkey_alg))
			hostkey = t->host_keys[i];
	if (hostkey == NULL) {
		r = transport_fail(t, FERRY_ENOMATCH, SSH_DISCONNECT_KEY_EXCHANGE_FAILED, "no host key");
		goto out;
	}
	if (k->eph == NULL && (r = kex_eph_new(k->alg, &k->eph)) != 0)
		goto out;
	if ((r = kex_eph_derive(k->eph, cpub, cplen, &Kraw)) != 0) {
		r = transport_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
				   "key agreement failed: %s", ferry_strerror(r));
		goto out;
	}
	if ((r = buf_put_mpint_bytes(&K, buf_rptr(&Kraw), buf_len(&Kraw))) != 0 ||
	    (r = key_to_blob(hostkey, &ks)) != 0 ||
	    (r = kex_eph_public(k->eph, &spub, &splen)) != 0 ||
	    (r = exchange_hash(t, buf_rptr(&ks), buf_len(&ks), cpub, cplen, spub, splen, &K, H, &hlen)) != 0 ||
	    (r = key_sign(hostkey, k->hostkey_alg, H, hlen, &sig)) != 0)
		goto out;
	if ((r = buf_put_u8(&reply, reply_type)) != 0 || (r = buf_put_stringb(&reply, &ks)) != 0 ||
	    (r = put_public(&reply, k->alg->kind, spub, splen)) != 0 ||
	    (r = buf_put_stringb(&reply, &sig)) != 0 ||
	    (r = transport_send_now(t, buf_rptr(&reply), buf_len(&reply))) != 0)
		goto out;
	r = finish_exchange(t, &K, H, hlen);
out:
	buf_free(&K);
	buf_free(&Kraw);
	buf_free(&ks);
	buf_free(&sig);
	buf_free(&reply);
	crypto_wipe(H, sizeof(H));
	return r;
}

/* Client: send our ephemeral public value (or, for DH-GEX, ask for a group). */
static int client_begin(struct ssh_transport *t)
{
	struct kex_run *k = &t->kex;
	struct buf *m = &t->scratch;
	const uint8_t *pub;
	size_t plen;
	int r;

	buf_reset(m);
	if (k->alg->kind == KEX_DH_GEX) {
		/* RFC 4419 §3: ask for a group about as strong as the cipher key. */
		uint32_t need = 0;
		for (int d = 0; d < 2; d++)
			if (k->cipher[d]->key_len * 8 > need)
				need = k->cipher[d]->key_len * 8;
		k->gex_min = GEX_MIN_BITS;
		k->gex_max = GEX_MAX_BITS;
		k->gex_want = need <= 128 ? 3072 : need <= 192 ? 7680 : 8192;
		if ((r = buf_put_u8(m, SSH_MSG_KEX_DH_GEX_REQUEST)) != 0 ||
		    (r = buf_put_u32(m, k->gex_min)) != 0 || (r = buf_put_u32(m, k->gex_want)) != 0 ||
		    (r = buf_put_u32(m, k->gex_max)) != 0)
			return r;
		k->expect = SSH_MSG_KEX_ECDH_REPLY; /* = KEX_DH_GEX_GROUP */
		log_debug1("SSH2_MSG_KEX_DH_GEX_REQUEST(%u<%u<%u) sent", k->gex_min, k->gex_want, k->gex_max);
		return transport_send_now(t, buf_rptr(m), buf_len(m));
	}
	if ((r = kex_eph_new(k->alg, &k->eph)) != 0 || (r = kex_eph_public(k->eph, &pub, &plen)) != 0)
		return r;
	if ((r = buf_put_u8(m, SSH_MSG_KEX_ECDH_INIT)) != 0 ||
	    (r = put_public(m, k->alg->kind, pub, plen)) != 0)
		return r;
	k->expect = SSH_MSG_KEX_ECDH_REPLY;
	log_debug1("expecting SSH2_MSG_KEX_ECDH_REPLY");
	return transport_send_now(t, buf_rptr(m), buf_len(m));
}

static int client_handle_gex_group(struct ssh_transport *t, struct buf *m)
{
	struct kex_run *k = &t->kex;
	struct buf *out = &t->scratch;
	const uint8_t *p, *g, *pub;
	size_t plen, glen, publen;
	int r;
	if (buf_get_mpint_ref(m, &p, &plen) != 0 || buf_get_mpint_ref(m, &g, &glen) != 0)
		return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed DH GEX group");
	if ((r = kex_eph_new_gex(p, plen, g, glen, k->gex_min, k->gex_max, &k->eph)) != 0)
		return transport_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED,
				      "unacceptable DH GEX group from server: %s", ferry_strerror(r));
	buf_reset(&k->gex_p);
	buf_reset(&k->gex_g);
	buf_reset(out);
	if ((r = buf_put(&k->gex_p, p, plen)) != 0 || (r = buf_put(&k->gex_g, g, glen)) != 0 ||
	    (r = kex_eph_public(k->eph, &pub, &publen)) != 0 ||
	    (r = buf_put_u8(out, SSH_MSG_KEX_DH_GEX_INIT)) != 0 ||
	    (r = buf_put_mpint_bytes(out, pub, publen)) != 0)
		return r;
	k->expect = SSH_MSG_KEX_DH_GEX_REPLY;
	return transport_send_now(t, buf_rptr(out), buf_len(out));
}

static int server_handle_gex_request(struct ssh_transport *t, struct buf *m)
{
	struct kex_run *k = &t->kex;
	struct buf *out = &t->scratch;
	const uint8_t *p, *g;
	size_t plen, glen;
	int r;
	if (buf_get_u32(m, &k->gex_min) != 0 || buf_get_u32(m, &k->gex_want) != 0 ||
	    buf_get_u32(m, &k->gex_max) != 0 || k->gex_min > k->gex_want || k->gex_want > k->gex_max)
		return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "bad DH GEX request");
	if ((r = kex_gex_pick_group(k->gex_min, k->gex_want, k->gex_max, &p, &plen, &g, &glen)) != 0)
		return transport_fail(t, r, SSH_DISCONNECT_KEY_EXCHANGE_FAILED, "no DH group in range");
	buf_reset(&k->gex_p);
	buf_reset(&k->gex_g);
	buf_reset(out);
	if ((r = buf_put(&k->gex_p, p, plen)) != 0 || (r = buf_put(&k->gex_g, g, glen)) != 0 ||
	    (r = kex_eph_new_gex(p, plen, g, glen, k->gex_min, k->gex_max, &k->eph)) != 0 ||
	    (r = buf_put_u8(out, SSH_MSG_KEX_ECDH_REPLY)) != 0 ||
	    (r = buf_put_mpint_bytes(out, p, plen)) != 0 || (r = buf_put_mpint_bytes(out, g, glen)) != 0)
		return r;
	k->expect = SSH_MSG_KEX_DH_GEX_INIT;
	return transport_send_now(t, buf_rptr(out), buf_len(out));
}

static int handle_peer_kexinit(struct ssh_transport *t, struct buf *m)
{
	struct kex_run *k = &t->kex;
	struct kexinit_lists peer;
	int r;

	if (k->got_kexinit)
		return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
				      "second KEXINIT during a key exchange");
	log_debug1("SSH2_MSG_KEXINIT received");
	/* Keep the whole payload, type byte included, for the exchange hash. */
	buf_reset(&k->peer_kexinit);
	if ((r = buf_put_u8(&k->peer_kexinit, SSH_MSG_KEXINIT)) != 0 ||
	    (r = buf_put(&k->peer_kexinit, buf_rptr(m), buf_len(m))) != 0)
		return transport_fail(t, r, SSH_DISCONNECT_PROTOCOL_ERROR, "KEXINIT too large");
	if ((r = parse_kexinit(m, &peer)) != 0) {
		kexinit_lists_free(&peer);
		return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR, "malformed KEXINIT");
	}
	k->got_kexinit = true;
	k->active = true;
	if (!k->sent_kexinit && (r = kex_start(t)) != 0)
		goto out;
	if ((r = negotiate(t, &peer)) != 0)
		goto out;
	/* OpenSSH PROTOCOL §1.9: under strict KEX, KEXINIT must be the very first packet. */
	if (t->strict && t->kex_done == 0 && t->packets_in != 1) {
		r = transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
				   "strict KEX violation: KEXINIT was not the first packet");
		goto out;
	}
	t->kex_name = k->alg->name;
	if (t->role == SSH_ROLE_CLIENT)
		r = client_begin(t);
	else
		k->expect = k->alg->kind == KEX_DH_GEX ? SSH_MSG_KEX_DH_GEX_REQUEST : SSH_MSG_KEX_ECDH_INIT;
out:
	kexinit_lists_free(&peer);
	return r;
}

int kex_handle(struct ssh_transport *t, uint8_t type, struct buf *m)
{
	struct kex_run *k = &t->kex;
	if (type == SSH_MSG_KEXINIT)
		return handle_peer_kexinit(t, m);
	if (type == SSH_MSG_NEWKEYS)
		return handle_newkeys(t);
	if (k->ignore_next && type != SSH_MSG_NEWKEYS) {
		k->ignore_next = false;
		return 0;
	}
	if (!k->got_kexinit || k->expect != type || k->keys_ready)
		return transport_fail(t, FERRY_EPROTO, SSH_DISCONNECT_PROTOCOL_ERROR,
				      "unexpected key exchange message type %u", type);
	k->expect = 0;
	bool gex = k->alg->kind == KEX_DH_GEX;
	if (t->role == SSH_ROLE_CLIENT) {
		if (gex && type == SSH_MSG_KEX_ECDH_REPLY)
			return client_handle_gex_group(t, m);
		return client_handle_reply(t, m);
	}
	if (gex && type == SSH_MSG_KEX_DH_GEX_REQUEST)
		return server_handle_gex_request(t, m);
	return server_handle_init(t, m, gex ? SSH_MSG_KEX_DH_GEX_REPLY : SSH_MSG_KEX_ECDH_REPLY);
}
