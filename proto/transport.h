/* The SSH transport layer as a sans-I/O state machine (RFC 4253; RFC 4344 rekey limits;
 * RFC 8308 ext-info; OpenSSH PROTOCOL §1.9 strict KEX): version exchange, binary packets,
 * algorithm negotiation, key exchange and rekeying. Bytes from the peer go in with
 * ssh_transport_input; bytes for the peer come out of the output buffer; messages for the
 * layers above (SERVICE_REQUEST/ACCEPT, and 50 and up) come out of ssh_transport_recv. */
#ifndef FERRY_PROTO_TRANSPORT_H
#define FERRY_PROTO_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"

struct ferry_key;

enum ssh_role { SSH_ROLE_CLIENT, SSH_ROLE_SERVER };

/* Decides whether a server's host key is acceptable (client role). Called in the first key
 * exchange, after the server proved it holds the key; later exchanges must present the same
 * key (the transport checks that itself). Return 0 to accept, or a FERRY_E* code (normally
 * FERRY_EHOSTKEY) to refuse; the transport then fails with that code. */
typedef int (*ssh_hostkey_verify_fn)(void *arg, const struct ferry_key *key);

struct ssh_transport_config {
	enum ssh_role role;
	/* Comma-separated preference lists; NULL means ferry's defaults. */
	const char *kex_algs;
	const char *hostkey_algs;
	const char *ciphers;
	const char *macs;
	/* Rekey after this many bytes in either direction (0 = the cipher's RFC 4344 limit) and
	 * after this many seconds (0 = never by time). */
	uint64_t rekey_bytes;
	uint32_t rekey_seconds;
	/* Client: host key check. */
	ssh_hostkey_verify_fn verify_hostkey;
	void *verify_arg;
	/* Server: host keys (borrowed; must outlive the transport). */
	struct ferry_key *const *host_keys;
	size_t n_host_keys;
};

struct ssh_transport;

/* Creates a transport; its version line is already queued in the output. The config's strings
 * are copied. *out set only on success. */
int ssh_transport_new(const struct ssh_transport_config *cfg, struct ssh_transport **out)
	FERRY_MUST_USE;
/* Wipes keys and frees. Accepts NULL. */
void ssh_transport_free(struct ssh_transport *t);

/* Input: room for peer data (at least min bytes unless the input buffer is close to its hard
 * maximum; FERRY_EFULL when it is full) in *p and *n. The space stays valid until the next
 * input call or ssh_transport_recv (other calls never touch the input buffer), so an
 * asynchronous read may fill it; then call ssh_transport_input_commit with the count. */
int ssh_transport_input_space(struct ssh_transport *t, size_t min, uint8_t **p, size_t *n)
	FERRY_MUST_USE;
void ssh_transport_input_commit(struct ssh_transport *t, size_t n);
/* Copies n bytes of peer data in (for tests and fuzzers). */
int ssh_transport_input(struct ssh_transport *t, const void *data, size_t n) FERRY_MUST_USE;
/* Marks the peer's end of the byte stream (EOF). */
void ssh_transport_input_eof(struct ssh_transport *t);

/* Runs the state machine over buffered input and returns the next message for the layers
 * above: *type and a view of the payload after the type byte, borrowed until the next call
 * on t. Transport messages are handled inside. Returns FERRY_EAGAIN when more input is needed,
 * or a fatal error, after which ssh_transport_error() says what went wrong and a DISCONNECT may
 * be queued in the output. */
int ssh_transport_recv(struct ssh_transport *t, uint8_t *type, struct buf *payload) FERRY_MUST_USE;

/* Queues a message (payload starts with the message type). Messages above the KEX range wait
 * while a key exchange is under way and go out after it, in order. */
int ssh_transport_send(struct ssh_transport *t, const uint8_t *payload, size_t len) FERRY_MUST_USE;
/* Same, taking the payload from a buffer's readable bytes. */
int ssh_transport_send_buf(struct ssh_transport *t, const struct buf *payload) FERRY_MUST_USE;

/* Output: the sealed bytes ready for the peer. Swapping hands the whole pending output to the
 * caller (who writes it out and later gives the emptied buffer back by swapping again);
 * `other` must be empty. */
size_t ssh_transport_output_len(const struct ssh_transport *t);
void ssh_transport_output_swap(struct ssh_transport *t, struct buf *other);

/* Tells the transport the time (monotonic ms); starts a rekey when RekeyLimit's time is up. */
int ssh_transport_tick(struct ssh_transport *t, uint64_t now_ms) FERRY_MUST_USE;
/* Starts a key exchange now (ignored if one is under way). */
int ssh_transport_rekey(struct ssh_transport *t) FERRY_MUST_USE;

/* Answers the last message returned by ssh_transport_recv with UNIMPLEMENTED (RFC 4253
 * §11.4), for message types the layers above do not know. */
int ssh_transport_unimplemented(struct ssh_transport *t) FERRY_MUST_USE;

/* Queues a DISCONNECT with a reason code and description; the transport is then dead. */
void ssh_transport_disconnect(struct ssh_transport *t, uint32_t reason, const char *desc);

/* State queries. */
bool ssh_transport_ready(const struct ssh_transport *t);  /* first key exchange done */
bool ssh_transport_dead(const struct ssh_transport *t);
/* Why the transport failed, as a sentence for the user ("" if it has not). */
const char *ssh_transport_error(const struct ssh_transport *t);
/* The session identifier (the first exchange hash), borrowed; NULL before the first KEX. */
const uint8_t *ssh_transport_session_id(const struct ssh_transport *t, size_t *len);
/* The peer's version line (without CR LF), or NULL before it arrived. */
const char *ssh_transport_peer_version(const struct ssh_transport *t);
/* The server-sig-algs the peer sent in EXT_INFO (RFC 8308 §3.1), or NULL. */
const char *ssh_transport_server_sig_algs(const struct ssh_transport *t);
/* Negotiated names of the current keys (for -v output and tests). */
const char *ssh_transport_kex_name(const struct ssh_transport *t);
const char *ssh_transport_cipher_name(const struct ssh_transport *t, bool outgoing);
const char *ssh_transport_mac_name(const struct ssh_transport *t, bool outgoing);
/* Number of completed key exchanges. */
unsigned ssh_transport_kex_count(const struct ssh_transport *t);
/* The peer's host key after the first KEX (borrowed), or NULL. */
const struct ferry_key *ssh_transport_host_key(const struct ssh_transport *t);

#endif
