/* The wire buffer: a growable byte buffer with a hard maximum and separate read/write cursors,
 * with the SSH encodings of RFC 4251 §5 (uint32, string, mpint, name-list). */
#ifndef FERRY_COMMON_BUF_H
#define FERRY_COMMON_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Bytes [rpos, wpos) are readable; [wpos, size) is free space. A buffer never grows past max.
 * A read-only view (buf_view) points at memory it does not own and refuses every write. */
struct buf {
	uint8_t *data;
	size_t size;
	size_t max;
	size_t rpos;
	size_t wpos;
	bool readonly;
};

#define BUF_DEFAULT_MAX (64u * 1024 * 1024)

/* Initialises an empty buffer that may grow up to max bytes (0 = BUF_DEFAULT_MAX). */
void buf_init(struct buf *b, size_t max);
/* A read-only view of n bytes at p (borrowed: p must outlive the view). */
void buf_view(struct buf *b, const void *p, size_t n);
/* Wipes and frees the contents; the buffer is left empty and reusable. Accepts NULL. */
void buf_free(struct buf *b);
/* Drops all contents (without wiping) but keeps the allocation. */
void buf_reset(struct buf *b);

/* Readable byte count, and a pointer to them (borrowed, valid until the next write). */
static inline size_t buf_len(const struct buf *b) { return b->wpos - b->rpos; }
static inline const uint8_t *buf_rptr(const struct buf *b)
{
	return b->data ? b->data + b->rpos : b->data;   /* an empty buffer may have no memory */
}
static inline uint8_t *buf_mutable_rptr(struct buf *b)
{
	return b->data ? b->data + b->rpos : b->data;
}

/* Makes room for n more bytes and returns a pointer to them in *out (borrowed, valid until the
 * next write); the caller fills them and then calls buf_commit(n). Does not commit. */
int buf_reserve(struct buf *b, size_t n, uint8_t **out) FERRY_MUST_USE;
void buf_commit(struct buf *b, size_t n);
/* Appends n bytes, then returns a pointer to them (borrowed) in *out if out is not NULL. */
int buf_append_space(struct buf *b, size_t n, uint8_t **out) FERRY_MUST_USE;
/* Removes n readable bytes from the front (FERRY_ESHORT if fewer are readable, and nothing is
 * removed). A caller that already checked buf_len may ignore the result. */
int buf_consume(struct buf *b, size_t n);
/* Removes n bytes from the end of the readable data (FERRY_ESHORT if fewer). */
int buf_consume_end(struct buf *b, size_t n);
/* Moves readable bytes to the start of the allocation when that frees useful space. */
void buf_compact(struct buf *b);

int buf_put(struct buf *b, const void *p, size_t n) FERRY_MUST_USE;
int buf_put_u8(struct buf *b, uint8_t v) FERRY_MUST_USE;
int buf_put_bool(struct buf *b, bool v) FERRY_MUST_USE;
int buf_put_u32(struct buf *b, uint32_t v) FERRY_MUST_USE;
int buf_put_u64(struct buf *b, uint64_t v) FERRY_MUST_USE;
/* string: uint32 length then the bytes */
int buf_put_string(struct buf *b, const void *p, size_t n) FERRY_MUST_USE;
int buf_put_cstring(struct buf *b, const char *s) FERRY_MUST_USE;
/* Appends the readable bytes of src as one string. */
int buf_put_stringb(struct buf *b, const struct buf *src) FERRY_MUST_USE;
/* mpint from an unsigned big-endian magnitude (leading zeros stripped, 0x00 added if the top
 * bit is set): RFC 4251 §5. */
int buf_put_mpint_bytes(struct buf *b, const uint8_t *be, size_t n) FERRY_MUST_USE;

/* Getters. On failure the read cursor is left where it was and *out is not written. */
int buf_get(struct buf *b, void *out, size_t n) FERRY_MUST_USE;
int buf_get_u8(struct buf *b, uint8_t *out) FERRY_MUST_USE;
int buf_get_bool(struct buf *b, bool *out) FERRY_MUST_USE;
int buf_get_u32(struct buf *b, uint32_t *out) FERRY_MUST_USE;
int buf_get_u64(struct buf *b, uint64_t *out) FERRY_MUST_USE;
/* A string, borrowed: *p points into b, valid until b is next written or freed. */
int buf_get_string_ref(struct buf *b, const uint8_t **p, size_t *n) FERRY_MUST_USE;
/* A string as a NUL-terminated copy (caller frees); refuses embedded NULs (FERRY_EPROTO). */
int buf_get_cstring(struct buf *b, char **out, size_t *len_out) FERRY_MUST_USE;
/* An mpint's magnitude, borrowed, leading zeros stripped; negative values are FERRY_EPROTO. */
int buf_get_mpint_ref(struct buf *b, const uint8_t **p, size_t *n) FERRY_MUST_USE;
/* A string as a read-only sub-view of b (borrowed like buf_get_string_ref). */
int buf_get_string_view(struct buf *b, struct buf *view) FERRY_MUST_USE;

/* Peeks at a big-endian u32 at p (no bounds check: the caller checked). */
static inline uint32_t peek_u32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline void poke_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#endif
