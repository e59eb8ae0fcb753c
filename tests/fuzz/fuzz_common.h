/* Shared helpers for ferry's libFuzzer targets: cleartext binary packets (RFC 4253 §6), fuzz
 * input split into messages, and feeding a transport its input in pieces. */
#ifndef FERRY_TESTS_FUZZ_COMMON_H
#define FERRY_TESTS_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "proto/transport.h"

/* The version line the harnesses put in front of their packets (that of OpenSSH 9.2 sshd). */
#define FUZZ_SERVER_VERSION "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n"
#define FUZZ_CLIENT_VERSION "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n"

/* libFuzzer's entry points (each target defines both). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Called after each piece of input: runs the state machine until it wants more input.
 * Returns true to go on feeding, false once the connection has failed. */
typedef bool (*fuzz_drain_fn)(void *arg);

/* Whether to hand the transport empty pieces and to drain it before any input arrived (on
 * unless FERRY_FUZZ_EMPTY_READS=0; read-only after setup). Both once reached undefined
 * behaviour in common/buf.c (tests/fuzz/crashes/transport_client-empty-input.bin). */
static bool fuzz_empty_reads;

/* Once per process, from LLVMFuzzerInitialize. Logging is off unless FERRY_FUZZ_LOG names a
 * level (e.g. debug3), for replaying one input. */
static inline void fuzz_setup(void)
{
	const char *name = getenv("FERRY_FUZZ_LOG");
	const char *empty = getenv("FERRY_FUZZ_EMPTY_READS");
	enum flog_level level = FLOG_QUIET;
	if (name == NULL || flog_level_parse(name, &level) != 0)
		level = FLOG_QUIET;
	flog_set_level(level);
	fuzz_empty_reads = !(empty != NULL && strcmp(empty, "0") == 0);
}

/* Appends one cleartext binary packet (RFC 4253 §6): uint32 packet_length, byte
 * padding_length, payload, padding. Padding is 4 to 11 zero bytes, enough to make the whole
 * packet a multiple of 8 (the block size before any cipher is in place). If type is not
 * negative it goes in front of payload as the message type byte. */
static inline int fuzz_put_packet(struct buf *out, int type, const uint8_t *payload, size_t len)
{
	static const uint8_t zeros[16];
	size_t body = (type >= 0 ? 1 : 0) + len;
	size_t pad = 8 - (4 + 1 + body) % 8;
	int r;
	if (pad < 4)
		pad += 8;
	if (body + 1 + pad > UINT32_MAX)
		return FERRY_EINVAL;
	if ((r = buf_put_u32(out, (uint32_t)(1 + body + pad))) != 0 ||
	    (r = buf_put_u8(out, (uint8_t)pad)) != 0 ||
	    (type >= 0 && (r = buf_put_u8(out, (uint8_t)type)) != 0) ||
	    (r = buf_put(out, payload, len)) != 0 ||
	    (r = buf_put(out, zeros, pad)) != 0)
		return r;
	return 0;
}

/* Takes the next message off a fuzz input laid out as (uint16 big-endian length, bytes)*.
 * A length running past the end takes what is left. Returns false when the input is used up. */
static inline bool fuzz_next_message(const uint8_t **data, size_t *size, const uint8_t **msg,
				     size_t *len)
{
	size_t n;
	if (*size == 0)
		return false;
	if (*size < 2) {
		n = *size;
		*msg = *data;
	} else {
		n = ((size_t)(*data)[0] << 8) | (*data)[1];
		*data += 2;
		*size -= 2;
		if (n > *size)
			n = *size;
		*msg = *data;
	}
	*len = n;
	*data += n;
	*size -= n;
	return true;
}

/* Wraps every message of a (uint16 length, bytes)* fuzz input as a packet, after prefix. */
static inline int fuzz_build_stream(struct buf *out, const char *prefix, const uint8_t *data,
				    size_t size)
{
	const uint8_t *msg;
	size_t len;
	int r;
	if ((r = buf_put(out, prefix, strlen(prefix))) != 0)
		return r;
	while (fuzz_next_message(&data, &size, &msg, &len))
		if ((r = fuzz_put_packet(out, -1, msg, len)) != 0)
			return r;
	return 0;
}

/* FNV-1a: a cheap hash so the cut points follow from the input alone (replays are exact). */
static inline uint64_t fuzz_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* A fuzz_drain_fn for a bare transport (arg): takes messages until it wants more input. */
static inline bool fuzz_drain_transport(void *arg)
{
	struct ssh_transport *t = arg;
	for (;;) {
		uint8_t type;
		struct buf payload;
		int r = ssh_transport_recv(t, &type, &payload);
		if (r == FERRY_EAGAIN)
			return true;
		if (r != 0)
			return false;
	}
}

/* Hands the transport's pending output over and throws it away, as a writer would. */
static inline void fuzz_discard_output(struct ssh_transport *t, struct buf *sink)
{
	if (ssh_transport_output_len(t) == 0)
		return;
	ssh_transport_output_swap(t, sink);
	buf_reset(sink);
}

/* Copies bytes in through the zero-copy path (input_space, then commit) or the copying one. */
static inline bool fuzz_input(struct ssh_transport *t, const uint8_t *p, size_t n, bool zero_copy)
{
	if (!zero_copy)
		return ssh_transport_input(t, p, n) == 0;
	while (n > 0) {
		uint8_t *space;
		size_t room;
		if (ssh_transport_input_space(t, 1, &space, &room) != 0)
			return false;
		size_t take = room < n ? room : n;
		memcpy(space, p, take);
		ssh_transport_input_commit(t, take);
		p += take;
		n -= take;
	}
	return true;
}

/* Feeds data to t in one to four pieces cut at points derived from the data, calling drain
 * after each, then marks EOF and drains once more. Unless fuzz_empty_reads, empty pieces are
 * skipped, and so is the last drain when there was no input at all. */
static inline void fuzz_feed(struct ssh_transport *t, const uint8_t *data, size_t size,
			     fuzz_drain_fn drain, void *arg)
{
	uint64_t h = fuzz_hash(data, size);
	size_t cuts[4];
	size_t ncuts = 1 + (size_t)(h & 3);
	struct buf sink;

	h >>= 2;
	for (size_t i = 0; i + 1 < ncuts; i++) {
		cuts[i] = size ? (size_t)(h & 0xffff) % (size + 1) : 0;
		h >>= 16;
	}
	cuts[ncuts - 1] = size;
	/* Sort the cut points (at most four: insertion sort). */
	for (size_t i = 1; i < ncuts; i++)
		for (size_t j = i; j > 0 && cuts[j - 1] > cuts[j]; j--) {
			size_t tmp = cuts[j];
			cuts[j] = cuts[j - 1];
			cuts[j - 1] = tmp;
		}
	buf_init(&sink, 0);
	size_t pos = 0;
	bool alive = true;
	for (size_t i = 0; i < ncuts && alive; i++) {
		bool zero_copy = (h >> i) & 1;
		if (cuts[i] == pos && !fuzz_empty_reads)
			continue;
		if (!fuzz_input(t, data + pos, cuts[i] - pos, zero_copy))
			break;
		pos = cuts[i];
		alive = drain(arg);
		fuzz_discard_output(t, &sink);
	}
	if (alive && (size > 0 || fuzz_empty_reads)) {
		ssh_transport_input_eof(t);
		(void)drain(arg);
		fuzz_discard_output(t, &sink);
	}
	buf_free(&sink);
}

#endif
