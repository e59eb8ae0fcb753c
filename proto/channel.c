/* Channels of the connection protocol (RFC 4254 §5), shared by client and server. */
#include "proto/channel.h"
#include "proto/ssh-msg.h"
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void chan_table_init(struct chan_table *ct, struct ssh_transport *t, uint32_t window, uint32_t max_packet)
{
	memset(ct, 0, sizeof(*ct));
	ct->t = t;
	ct->window = window;
	ct->max_packet = max_packet;
	buf_init(&ct->msg, SSH_MAX_PACKET_LEN);
}

void chan_table_free(struct chan_table *ct)
{
	buf_free(&ct->msg);
	free(ct->strs[0]);
	free(ct->strs[1]);
	ct->strs[0] = ct->strs[1] = NULL;
}

void chan_keep_str(struct chan_table *ct, int slot, char *s)
{
	free(ct->strs[slot]);
	ct->strs[slot] = s;
}

static int chan_err(struct chan_table *ct, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int chan_err(struct chan_table *ct, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ct->errmsg, sizeof(ct->errmsg), fmt, ap);
	va_end(ap);
	return FERRY_EPROTO;
}

static int send_msg(struct chan_table *ct)
{
	return ssh_transport_send_buf(ct->t, &ct->msg);
}

struct chan *chan_lookup(struct chan_table *ct, uint32_t id)
{
	if (id >= CHAN_MAX || !ct->chans[id].used)
		return NULL;
	return &ct->chans[id];
}

static struct chan *chan_alloc(struct chan_table *ct, uint32_t *id)
{
	uint32_t i;
	for (i = 0; i < CHAN_MAX && ct->chans[i].used; i++)
		;
	if (i == CHAN_MAX)
		return NULL;
	struct chan *ch = &ct->chans[i];
	memset(ch, 0, sizeof(*ch));
	ch->local_window = ch->local_window_max = ct->window;
	ch->local_max_packet = ct->max_packet;
	*id = i;
	return ch;
}

uint32_t chan_count(const struct chan_table *ct)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < CHAN_MAX; i++)
		n += ct->chans[i].used;
	return n;
}

int chan_open(struct chan_table *ct, const char *type, uint32_t *id)
{
	struct buf *m = &ct->msg;
	uint32_t i;
	int r;
	struct chan *ch = chan_alloc(ct, &i);
	if (ch == NULL)
		return FERRY_EFULL;
	buf_reset(m);
	if ((r = buf_put_u8(m, SSH_MSG_CHANNEL_OPEN)) != 0 || (r = buf_put_cstring(m, type)) != 0 ||
	    (r = buf_put_u32(m, i)) != 0 || (r = buf_put_u32(m, ch->local_window)) != 0 ||
	    (r = buf_put_u32(m, ch->local_max_packet)) != 0 || (r = send_msg(ct)) != 0)
		return r;
	ch->used = true;
	*id = i;
	return 0;
}

int chan_accept(struct chan_table *ct, uint32_t remote_id, uint32_t remote_window,
		uint32_t remote_max_packet, uint32_t limit, uint32_t *id)
{
	struct buf *m = &ct->msg;
	uint32_t i;
	int r;
	if (chan_count(ct) >= limit)
		return FERRY_EFULL;
	struct chan *ch = chan_alloc(ct, &i);
	if (ch == NULL)
		return FERRY_EFULL;
	buf_reset(m);
	if ((r = buf_put_u8(m, SSH_MSG_CHANNEL_OPEN_CONFIRMATION)) != 0 ||
	    (r = buf_put_u32(m, remote_id)) != 0 || (r = buf_put_u32(m, i)) != 0 ||
	    (r = buf_put_u32(m, ch->local_window)) != 0 || (r = buf_put_u32(m, ch->local_max_packet)) != 0 ||
	    (r = send_msg(ct)) != 0)
		return r;
	ch->used = true;
	ch->confirmed = true;
	ch->remote_id = remote_id;
	ch->remote_window = remote_window;
	ch->remote_max_packet = remote_max_packet;
	*id = i;
	return 0;
}

int chan_open_failure(struct chan_table *ct, uint32_t remote_id, uint32_t reason, const char *desc)
{
	struct buf *m = &ct->msg;
	int r;
	buf_reset(m);
	if ((r = buf_put_u8(m, SSH_MSG_CHANNEL_OPEN_FAILURE)) != 0 || (r = buf_put_u32(m, remote_id)) != 0 ||
	    (r = buf_put_u32(m, reason)) != 0 || (r = buf_put_cstring(m, desc)) != 0 ||
	    (r = buf_put_cstring(m, "")) != 0)
		return r;
	return send_msg(ct);
}

bool chan_is_open(const struct chan_table *ct, uint32_t id)
{
	return id < CHAN_MAX && ct->chans[id].used && !ct->chans[id].sent_close &&
	       !ct->chans[id].got_close;
}

size_t chan_send_room(const struct chan_table *ct, uint32_t id)
{
	if (id >= CHAN_MAX || !ct->chans[id].used)
		return 0;
	const struct chan *ch = &ct->chans[id];
	if (!ch->confirmed || ch->sent_eof || ch->sent_close || ch->got_close)
		return 0;
	return ch->remote_window;
}

int chan_send(struct chan_table *ct, uint32_t id, uint32_t ext, const uint8_t *p, size_t n, size_t *sent)
{
	struct chan *ch = chan_lookup(ct, id);
	struct buf *m = &ct->msg;
	size_t done = 0;
	int r = 0;
	if (ch == NULL || !ch->confirmed || ch->sent_eof || ch->sent_close)
		return FERRY_EINVAL;
	/* Cap each packet by the peer's maximum and what our own packets can carry. */
	size_t maxchunk = ch->remote_max_packet;
	if (maxchunk > SSH_MAX_PACKET_LEN - 1024)
		maxchunk = SSH_MAX_PACKET_LEN - 1024;
	while (done < n && ch->remote_window > 0) {
		size_t chunk = n - done;
		if (chunk > ch->remote_window)
			chunk = ch->remote_window;
		if (chunk > maxchunk)
			chunk = maxchunk;
		buf_reset(m);
		if ((r = buf_put_u8(m, ext ? SSH_MSG_CHANNEL_EXTENDED_DATA : SSH_MSG_CHANNEL_DATA)) != 0 ||
		    (r = buf_put_u32(m, ch->remote_id)) != 0 ||
		    (ext && (r = buf_put_u32(m, ext)) != 0) ||
		    (r = buf_put_string(m, p + done, chunk)) != 0 || (r = send_msg(ct)) != 0)
			break;
		ch->remote_window -= (uint32_t)chunk;
		done += chunk;
	}
	*sent = done;
	return r;
}

static int chan_simple(struct chan_table *ct, struct chan *ch, uint8_t type)
{
	struct buf *m = &ct->msg;
	int r;
	buf_reset(m);
	if ((r = buf_put_u8(m, type)) != 0 || (r = buf_put_u32(m, ch->remote_id)) != 0)
		return r;
	return send_msg(ct);
}

int chan_send_eof(struct chan_table *ct, uint32_t id)
{
	struct chan *ch = chan_lookup(ct, id);
	if (ch == NULL || !ch->confirmed)
		return FERRY_EINVAL;
	if (ch->sent_eof || ch->sent_close)
		return 0;
	ch->sent_eof = true;
	return chan_simple(ct, ch, SSH_MSG_CHANNEL_EOF);
}

int chan_close(struct chan_table *ct, uint32_t id)
{
	struct chan *ch = chan_lookup(ct, id);
	if (ch == NULL || !ch->confirmed)
		return FERRY_EINVAL;
	if (ch->sent_close)
		return 0;
	ch->sent_close = true;
	return chan_simple(ct, ch, SSH_MSG_CHANNEL_CLOSE);
}

int chan_consumed(struct chan_table *ct, uint32_t id, size_t n)
{
	struct chan *ch = chan_lookup(ct, id);
	struct buf *m = &ct->msg;
	int r;
	if (ch == NULL)
		return 0;
	ch->local_consumed += (uint32_t)n;
	/* Give the window back in big steps, as OpenSSH does, not one adjust per packet. */
	if (ch->sent_close || ch->got_close || ch->got_eof ||
	    ch->local_consumed < ch->local_window_max / 2)
		return 0;
	buf_reset(m);
	if ((r = buf_put_u8(m, SSH_MSG_CHANNEL_WINDOW_ADJUST)) != 0 ||
	    (r = buf_put_u32(m, ch->remote_id)) != 0 || (r = buf_put_u32(m, ch->local_consumed)) != 0 ||
	    (r = send_msg(ct)) != 0)
		return r;
	ch->local_window += ch->local_consumed;
	ch->local_consumed = 0;
	return 0;
}

int chan_request_begin(struct chan_table *ct, uint32_t id, const char *name, bool want_reply)
{
	struct chan *ch = chan_lookup(ct, id);
	struct buf *m = &ct->msg;
	int r;
	if (ch == NULL || !ch->confirmed || ch->sent_close)
		return FERRY_EINVAL;
	buf_reset(m);
	if ((r = buf_put_u8(m, SSH_MSG_CHANNEL_REQUEST)) != 0 || (r = buf_put_u32(m, ch->remote_id)) != 0 ||
	    (r = buf_put_cstring(m, name)) != 0 || (r = buf_put_bool(m, want_reply)) != 0)
		return r;
	return 0;
}

int chan_request_send(struct chan_table *ct, uint32_t id, bool want_reply)
{
	struct chan *ch = chan_lookup(ct, id);
	int r;
	if (ch == NULL)
		return FERRY_EINVAL;
	if ((r = send_msg(ct)) != 0)
		return r;
	if (want_reply)
		ch->pending_replies++;
	return 0;
}

int chan_reply(struct chan_table *ct, uint32_t id, bool ok)
{
	struct chan *ch = chan_lookup(ct, id);
	if (ch == NULL || ch->peer_pending == 0)
		return FERRY_EINVAL;
	ch->peer_pending--;
	if (ch->sent_close)
		return 0;
	return chan_simple(ct, ch, ok ? SSH_MSG_CHANNEL_SUCCESS : SSH_MSG_CHANNEL_FAILURE);
}

int chan_global_request(struct chan_table *ct, const char *name, bool want_reply)
{
	struct buf *m = &ct->msg;
	int r;
	buf_reset(m);
	if ((r = buf_put_u8(m, SSH_MSG_GLOBAL_REQUEST)) != 0 || (r = buf_put_cstring(m, name)) != 0 ||
	    (r = buf_put_bool(m, want_reply)) != 0 || (r = send_msg(ct)) != 0)
		return r;
	if (want_reply)
		ct->global_pending++;
	return 0;
}

int chan_global_reply(struct chan_table *ct)
{
	/* RFC 4254 §4: replies come in the order of the requests that wanted one. */
	if (ct->global_pending == 0)
		return chan_err(ct, "reply to a global request we never sent");
	ct->global_pending--;
	return 0;
}

int chan_handle(struct chan_table *ct, uint8_t type, struct buf *m, struct ssh_event *ev, bool *got,
		struct chan_request *req, bool *is_request)
{
	uint32_t id;
	int r;
	*got = false;
	*is_request = false;
	if (buf_get_u32(m, &id) != 0)
		return chan_err(ct, "malformed channel message %u", type);
	struct chan *ch = chan_lookup(ct, id);
	if (ch == NULL || (ch->got_close && type != SSH_MSG_CHANNEL_CLOSE) ||
	    (!ch->confirmed && type != SSH_MSG_CHANNEL_OPEN_CONFIRMATION &&
	     type != SSH_MSG_CHANNEL_OPEN_FAILURE) ||
	    (ch->confirmed && (type == SSH_MSG_CHANNEL_OPEN_CONFIRMATION ||
			       type == SSH_MSG_CHANNEL_OPEN_FAILURE)))
		return chan_err(ct, "channel message %u for channel %u in the wrong state", type, id);
	ev->chan = id;
	switch (type) {
	case SSH_MSG_CHANNEL_OPEN_CONFIRMATION: {
		uint32_t remote, window, maxpkt;
		if (buf_get_u32(m, &remote) != 0 || buf_get_u32(m, &window) != 0 || buf_get_u32(m, &maxpkt) != 0)
			return chan_err(ct, "malformed CHANNEL_OPEN_CONFIRMATION");
		if (maxpkt == 0)
			return chan_err(ct, "channel %u: peer's maximum packet size is zero", id);
		ch->confirmed = true;
		ch->remote_id = remote;
		ch->remote_window = window;
		ch->remote_max_packet = maxpkt;
		ev->type = SSH_EV_CHAN_OPENED;
		*got = true;
		return 0;
	}
	case SSH_MSG_CHANNEL_OPEN_FAILURE: {
		uint32_t reason;
		char *desc = NULL;
		if (buf_get_u32(m, &reason) != 0 || buf_get_cstring(m, &desc, NULL) != 0)
			return chan_err(ct, "malformed CHANNEL_OPEN_FAILURE");
		ch->used = false;
		chan_keep_str(ct, 0, desc);
		ev->type = SSH_EV_CHAN_OPEN_FAILED;
		ev->code = reason;
		ev->str = desc;
		*got = true;
		return 0;
	}
	case SSH_MSG_CHANNEL_WINDOW_ADJUST: {
		uint32_t add;
		if (buf_get_u32(m, &add) != 0)
			return chan_err(ct, "malformed WINDOW_ADJUST");
		/* RFC 4254 §5.2: the window may not exceed 2^32 - 1 bytes. */
		if ((uint64_t)ch->remote_window + add > UINT32_MAX)
			return chan_err(ct, "channel %u: window adjust overflows the window", id);
		ch->remote_window += add;
		ev->type = SSH_EV_CHAN_WINDOW;
		*got = true;
		return 0;
	}
	case SSH_MSG_CHANNEL_DATA:
	case SSH_MSG_CHANNEL_EXTENDED_DATA: {
		uint32_t code = 0;
		const uint8_t *data;
		size_t len;
		if ((type == SSH_MSG_CHANNEL_EXTENDED_DATA && buf_get_u32(m, &code) != 0) ||
		    buf_get_string_ref(m, &data, &len) != 0)
			return chan_err(ct, "malformed channel data");
		if (ch->got_eof)
			return chan_err(ct, "channel %u: data after EOF", id);
		/* RFC 4254 §5.2: the peer may not send more than the window allows. */
		if (len > ch->local_window || len > ch->local_max_packet + 1024u)
			return chan_err(ct, "channel %u: peer sent %zu bytes, window is %u", id, len,
					ch->local_window);
		ch->local_window -= (uint32_t)len;
		if (type == SSH_MSG_CHANNEL_EXTENDED_DATA && code != SSH_EXTENDED_DATA_STDERR)
			return chan_consumed(ct, id, len); /* unknown streams: dropped, window returned */
		ev->type = SSH_EV_CHAN_DATA;
		ev->ext = type == SSH_MSG_CHANNEL_EXTENDED_DATA ? 1 : 0;
		ev->data = data;
		ev->len = len;
		*got = true;
		return 0;
	}
	case SSH_MSG_CHANNEL_EOF:
		if (ch->got_eof)
			return chan_err(ct, "channel %u: second EOF", id);
		ch->got_eof = true;
		ev->type = SSH_EV_CHAN_EOF;
		*got = true;
		return 0;
	case SSH_MSG_CHANNEL_CLOSE:
		if (ch->got_close)
			return chan_err(ct, "channel %u: second CLOSE", id);
		ch->got_close = true;
		/* RFC 4254 §5.3: answer a CLOSE with our own; the channel is free once both went. */
		if (!ch->sent_close) {
			ch->sent_close = true;
			if ((r = chan_simple(ct, ch, SSH_MSG_CHANNEL_CLOSE)) != 0)
				return r;
		}
		ch->used = false;
		ev->type = SSH_EV_CHAN_CLOSED;
		*got = true;
		return 0;
	case SSH_MSG_CHANNEL_REQUEST: {
		char *name = NULL;
		bool want_reply;
		if (buf_get_cstring(m, &name, NULL) != 0 || buf_get_bool(m, &want_reply) != 0) {
			free(name);
			return chan_err(ct, "malformed CHANNEL_REQUEST");
		}
		if (want_reply) {
			/* Replies go out in order; a peer that piles up requests is cut off. */
			if (ch->peer_pending >= 64) {
				free(name);
				return chan_err(ct, "channel %u: too many unanswered requests", id);
			}
			ch->peer_pending++;
		}
		req->chan = id;
		req->name = name;
		req->want_reply = want_reply;
		*is_request = true;
		return 0;
	}
	case SSH_MSG_CHANNEL_SUCCESS:
	case SSH_MSG_CHANNEL_FAILURE:
		if (ch->pending_replies == 0)
			return chan_err(ct, "channel %u: reply to no request", id);
		ch->pending_replies--;
		ev->type = type == SSH_MSG_CHANNEL_SUCCESS ? SSH_EV_CHAN_REQUEST_OK : SSH_EV_CHAN_REQUEST_FAILED;
		*got = true;
		return 0;
	default:
		return chan_err(ct, "unexpected message type %u", type);
	}
}
