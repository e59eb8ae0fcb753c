/* Internal state of the SSH transport, shared by proto/transport.c (packets, versions,
 * dispatch) and proto/kex.c (the key exchange flow). Not for use outside those two files. */
#ifndef FERRY_PROTO_TRANSPORT_INTERNAL_H
#define FERRY_PROTO_TRANSPORT_INTERNAL_H

#include "proto/transport.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/kex.h"

/* Index of a direction in two-element arrays: client-to-server and server-to-client. */
enum { DIR_C2S = 0, DIR_S2C = 1 };

/* One key exchange, from KEXINIT to both NEWKEYS (RFC 4253 §7). */
struct kex_run {
	bool active;
	bool sent_kexinit;
	bool got_kexinit;
	bool ignore_next;          /* peer guessed wrong with first_kex_packet_follows */
	bool sent_newkeys;
	bool got_newkeys;
	bool keys_ready;           /* the exchange hash is known and next keys derived */
	const struct kex_alg *alg;
	char *hostkey_alg;
	const struct cipher_alg *cipher[2];
	const struct mac_alg *mac[2];
	struct kex_eph *eph;
	uint8_t expect;            /* the next KEX message we wait for (0 = none yet) */
	uint32_t gex_min, gex_want, gex_max;
	struct buf gex_p, gex_g;   /* the group of a DH-GEX exchange (magnitudes) */
	struct buf my_kexinit;     /* I_C or I_S: our KEXINIT payload */
	struct buf peer_kexinit;   /* the peer's KEXINIT payload */
	struct pkt_cipher *next_seal;
	struct pkt_cipher *next_open;
};

struct ssh_transport {
	enum ssh_role role;
	char *kex_algs, *hostkey_algs, *ciphers, *macs;
	uint64_t rekey_bytes;
	uint32_t rekey_seconds;
	ssh_hostkey_verify_fn verify_hostkey;
	void *verify_arg;
	struct ferry_key *const *host_keys;
	size_t n_host_keys;

	bool got_version;
	bool dead;
	bool input_eof;
	unsigned prebanner_lines;
	char *my_version;
	char *peer_version;

	struct buf in;
	struct buf out;
	struct buf queued;         /* messages held back during a key exchange: u32 len, payload */
	struct buf scratch;        /* building our own messages */

	struct pkt_cipher *seal;   /* NULL = no protection yet */
	struct pkt_cipher *open;
	const char *cipher_name[2], *mac_name[2]; /* [0] outgoing, [1] incoming */
	const char *kex_name;
	uint32_t send_seq, recv_seq;
	uint32_t last_recv_seq;    /* the sequence number of the last packet returned */
	uint32_t cur_len;          /* packet_length of the packet being read; 0 = not read yet */
	uint64_t packets_in;       /* packets received in all */

	uint64_t sent_bytes, recv_bytes;  /* since the last key exchange */
	uint64_t sent_packets, recv_packets;
	uint64_t rekey_limit;      /* bytes; the smaller of RekeyLimit and the cipher's own */
	uint64_t last_kex_ms, now_ms;

	struct kex_run kex;
	unsigned kex_done;         /* completed exchanges */
	bool strict;               /* strict KEX negotiated (OpenSSH PROTOCOL §1.9) */
	bool peer_ext_info;        /* the peer asked for EXT_INFO (server role) */
	uint8_t session_id[HASH_MAX_LEN];
	size_t session_id_len;
	struct ferry_key *peer_host_key;
	char *server_sig_algs;

	char errmsg[512];
};

/* Fails the transport: records the message, queues DISCONNECT(reason) if it can, and returns
 * err so callers can write `return transport_fail(...)`. */
int transport_fail(struct ssh_transport *t, int err, uint32_t reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Seals and queues one packet right now, bypassing the KEX hold-back. */
int transport_send_now(struct ssh_transport *t, const uint8_t *payload, size_t len) FERRY_MUST_USE;

/* proto/kex.c: starts a key exchange by sending our KEXINIT. */
int kex_start(struct ssh_transport *t) FERRY_MUST_USE;
/* proto/kex.c: handles a KEX message (20-49). */
int kex_handle(struct ssh_transport *t, uint8_t type, struct buf *msg) FERRY_MUST_USE;
/* proto/kex.c: frees a run's state and clears it. */
void kex_run_clear(struct kex_run *k);

#endif
