/* The connection protocol's channels (RFC 4254 §5), shared by the client and the server: the
 * channel table, window accounting, data, EOF and CLOSE, and request replies. Internal to
 * proto/; the client and server headers wrap it. */
#ifndef FERRY_PROTO_CHANNEL_H
#define FERRY_PROTO_CHANNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "proto/events.h"
#include "proto/transport.h"

#define CHAN_MAX 256

struct chan {
	bool used;
	bool confirmed;
	bool sent_eof, got_eof, sent_close, got_close;
	uint32_t remote_id;
	uint32_t local_window;      /* what the peer may still send us */
	uint32_t local_window_max;
	uint32_t local_consumed;    /* used up by the application, not yet given back */
	uint32_t local_max_packet;
	uint32_t remote_window;
	uint32_t remote_max_packet;
	uint32_t pending_replies;   /* our requests with want_reply outstanding */
	uint32_t peer_pending;      /* the peer's requests with want_reply we have not answered */
};

struct chan_table {
	struct ssh_transport *t;
	struct buf msg;             /* building outgoing messages */
	uint32_t window, max_packet;
	struct chan chans[CHAN_MAX];
	char *strs[2];              /* strings lent out with the last event */
	uint32_t global_pending;    /* our global requests still waiting for a reply */
	char errmsg[256];
};

/* A CHANNEL_REQUEST handed to the caller: the name and flag; m holds the type-specific rest. */
struct chan_request {
	uint32_t chan;
	char *name;                 /* caller frees */
	bool want_reply;
};

void chan_table_init(struct chan_table *ct, struct ssh_transport *t, uint32_t window,
		     uint32_t max_packet);
void chan_table_free(struct chan_table *ct);
/* Keeps s (owned) as the string lent out in slot 0 or 1 until the next one. */
void chan_keep_str(struct chan_table *ct, int slot, char *s);

struct chan *chan_lookup(struct chan_table *ct, uint32_t id);
/* Client: allocates a channel and sends CHANNEL_OPEN of this type. */
int chan_open(struct chan_table *ct, const char *type, uint32_t *id) FERRY_MUST_USE;
/* Server: allocates a channel for the peer's CHANNEL_OPEN and confirms it; FERRY_EFULL when
 * limit channels are already in use (the caller refuses the open). */
int chan_accept(struct chan_table *ct, uint32_t remote_id, uint32_t remote_window,
		uint32_t remote_max_packet, uint32_t limit, uint32_t *id) FERRY_MUST_USE;
int chan_open_failure(struct chan_table *ct, uint32_t remote_id, uint32_t reason, const char *desc)
	FERRY_MUST_USE;
/* Channels in use. */
uint32_t chan_count(const struct chan_table *ct);

int chan_send(struct chan_table *ct, uint32_t id, uint32_t ext, const uint8_t *p, size_t n,
	      size_t *sent) FERRY_MUST_USE;
size_t chan_send_room(const struct chan_table *ct, uint32_t id);
int chan_send_eof(struct chan_table *ct, uint32_t id) FERRY_MUST_USE;
int chan_close(struct chan_table *ct, uint32_t id) FERRY_MUST_USE;
int chan_consumed(struct chan_table *ct, uint32_t id, size_t n) FERRY_MUST_USE;
bool chan_is_open(const struct chan_table *ct, uint32_t id);

/* Starts a CHANNEL_REQUEST in ct->msg (the caller appends the request's fields), then
 * chan_request_send sends it and counts the reply it wants. */
int chan_request_begin(struct chan_table *ct, uint32_t id, const char *name, bool want_reply)
	FERRY_MUST_USE;
int chan_request_send(struct chan_table *ct, uint32_t id, bool want_reply) FERRY_MUST_USE;
/* Answers the peer's oldest unanswered request on the channel (CHANNEL_SUCCESS/FAILURE). */
int chan_reply(struct chan_table *ct, uint32_t id, bool ok) FERRY_MUST_USE;

/* Global requests (RFC 4254 §4) with no data, e.g. keepalive@openssh.com, counted when they
 * want a reply; chan_global_reply takes one REQUEST_SUCCESS/FAILURE off the count
 * (FERRY_EPROTO with ct->errmsg when none was outstanding). */
int chan_global_request(struct chan_table *ct, const char *name, bool want_reply) FERRY_MUST_USE;
int chan_global_reply(struct chan_table *ct) FERRY_MUST_USE;

/* Handles CHANNEL_OPEN_CONFIRMATION .. CHANNEL_FAILURE (91-100). Fills ev and sets *got for
 * events; for CHANNEL_REQUEST fills *req (the caller parses the rest of m and owns req->name)
 * and sets *is_request. FERRY_EPROTO with ct->errmsg set when the peer broke the rules. */
int chan_handle(struct chan_table *ct, uint8_t type, struct buf *m, struct ssh_event *ev, bool *got,
		struct chan_request *req, bool *is_request) FERRY_MUST_USE;

#endif
