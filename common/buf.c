/* The wire buffer (see buf.h): bounds-checked SSH encodings, RFC 4251 §5. */
#include "common/buf.h"

#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max ? max : BUF_DEFAULT_MAX;
}

void buf_view(struct buf *b, const void *p, size_t n)
{
	memset(b, 0, sizeof(*b));
	b->data = (uint8_t *)p;
	b->size = b->max = b->wpos = n;
	b->readonly = true;
}

void buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	if (!b->readonly && b->data != NULL) {
		explicit_bzero(b->data, b->size);
		free(b->data);
	}
	size_t max = b->max;
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void buf_reset(struct buf *b)
{
	b->rpos = b->wpos = 0;
}

void buf_compact(struct buf *b)
{
	if (b->readonly || b->rpos == 0)
		return;
	size_t n = buf_len(b);
	if (n)
		memmove(b->data, b->data + b->rpos, n);
	b->rpos = 0;
	b->wpos = n;
}

int buf_reserve(struct buf *b, size_t n, uint8_t **out)
{
	if (b->readonly)
		return FERRY_EINVAL;
	if (b->size - b->wpos < n) {
		/* Reuse the consumed prefix before growing. */
		if (b->rpos > 0 && b->size - buf_len(b) >= n) {
			buf_compact(b);
		} else {
			size_t need = buf_len(b) + n;
			if (n > b->max || need > b->max)
				return FERRY_EFULL;
			size_t newsize = b->size ? b->size : 256;
			while (newsize < need)
				newsize = newsize > b->max / 2 ? b->max : newsize * 2;
			if (newsize > b->max)
				newsize = b->max;
			uint8_t *p = malloc(newsize);
			if (p == NULL)
				return FERRY_ENOMEM;
			size_t len = buf_len(b);
			if (len)
				memcpy(p, b->data + b->rpos, len);
			if (b->data) {
				explicit_bzero(b->data, b->size);
				free(b->data);
			}
			b->data = p;
			b->size = newsize;
			b->rpos = 0;
			b->wpos = len;
		}
	}
	if (out)
		*out = b->data ? b->data + b->wpos : NULL;   /* n == 0 on a buffer with no memory */
	return 0;
}

void buf_commit(struct buf *b, size_t n)
{
	b->wpos += n;
}

int buf_append_space(struct buf *b, size_t n, uint8_t **out)
{
	uint8_t *p;
	int r = buf_reserve(b, n, &p);
	if (r)
		return r;
	b->wpos += n;
	if (out)
		*out = p;
	return 0;
}

int buf_consume(struct buf *b, size_t n)
{
	if (buf_len(b) < n)
		return FERRY_ESHORT;
	b->rpos += n;
	if (b->rpos == b->wpos && !b->readonly)
		b->rpos = b->wpos = 0;
	return 0;
}

int buf_consume_end(struct buf *b, size_t n)
{
	if (buf_len(b) < n)
		return FERRY_ESHORT;
	b->wpos -= n;
	return 0;
}

int buf_put(struct buf *b, const void *p, size_t n)
{
	uint8_t *dst;
	int r = buf_append_space(b, n, &dst);
	if (r)
		return r;
	if (n)
		memcpy(dst, p, n);
	return 0;
}

int buf_put_u8(struct buf *b, uint8_t v) { return buf_put(b, &v, 1); }
int buf_put_bool(struct buf *b, bool v) { return buf_put_u8(b, v ? 1 : 0); }

int buf_put_u32(struct buf *b, uint32_t v)
{
	uint8_t tmp[4];
	poke_u32(tmp, v);
	return buf_put(b, tmp, 4);
}

int buf_put_u64(struct buf *b, uint64_t v)
{
	uint8_t tmp[8];
	poke_u32(tmp, (uint32_t)(v >> 32));
	poke_u32(tmp + 4, (uint32_t)v);
	return buf_put(b, tmp, 8);
}

int buf_put_string(struct buf *b, const void *p, size_t n)
{
	if (n > UINT32_MAX)
		return FERRY_EINVAL;
	uint8_t *dst;
	int r = buf_append_space(b, 4 + n, &dst);
	if (r)
		return r;
	poke_u32(dst, (uint32_t)n);
	if (n)
		memcpy(dst + 4, p, n);
	return 0;
}

int buf_put_cstring(struct buf *b, const char *s)
{
	return buf_put_string(b, s, strlen(s));
}

int buf_put_stringb(struct buf *b, const struct buf *src)
{
	return buf_put_string(b, buf_rptr(src), buf_len(src));
}

int buf_put_mpint_bytes(struct buf *b, const uint8_t *be, size_t n)
{
	while (n > 0 && be[0] == 0) {
		be++;
		n--;
	}
	bool pad = n > 0 && (be[0] & 0x80);
	if (n + pad > UINT32_MAX)
		return FERRY_EINVAL;
	uint8_t *dst;
	int r = buf_append_space(b, 4 + pad + n, &dst);
	if (r)
		return r;
	poke_u32(dst, (uint32_t)(n + pad));
	if (pad)
		dst[4] = 0;
	if (n)
		memcpy(dst + 4 + pad, be, n);
	return 0;
}

int buf_get(struct buf *b, void *out, size_t n)
{
	if (buf_len(b) < n)
		return FERRY_ESHORT;
	if (n)
		memcpy(out, buf_rptr(b), n);
	b->rpos += n;
	return 0;
}

int buf_get_u8(struct buf *b, uint8_t *out) { return buf_get(b, out, 1); }

int buf_get_bool(struct buf *b, bool *out)
{
	uint8_t v;
	int r = buf_get_u8(b, &v);
	if (r == 0)
		*out = v != 0;
	return r;
}

int buf_get_u32(struct buf *b, uint32_t *out)
{
	if (buf_len(b) < 4)
		return FERRY_ESHORT;
	*out = peek_u32(buf_rptr(b));
	b->rpos += 4;
	return 0;
}

int buf_get_u64(struct buf *b, uint64_t *out)
{
	if (buf_len(b) < 8)
		return FERRY_ESHORT;
	const uint8_t *p = buf_rptr(b);
	*out = ((uint64_t)peek_u32(p) << 32) | peek_u32(p + 4);
	b->rpos += 8;
	return 0;
}

int buf_get_string_ref(struct buf *b, const uint8_t **p, size_t *n)
{
	if (buf_len(b) < 4)
		return FERRY_ESHORT;
	uint32_t len = peek_u32(buf_rptr(b));
	if (buf_len(b) - 4 < len)
		return FERRY_ESHORT;
	*p = buf_rptr(b) + 4;
	*n = len;
	b->rpos += 4 + (size_t)len;
	return 0;
}

int buf_get_string_view(struct buf *b, struct buf *view)
{
	const uint8_t *p;
	size_t n;
	int r = buf_get_string_ref(b, &p, &n);
	if (r == 0)
		buf_view(view, p, n);
	return r;
}

int buf_get_cstring(struct buf *b, char **out, size_t *len_out)
{
	size_t save = b->rpos;
	const uint8_t *p;
	size_t n;
	int r = buf_get_string_ref(b, &p, &n);
	if (r)
		return r;
	if (memchr(p, '\0', n) != NULL) {
		b->rpos = save;
		return FERRY_EPROTO;
	}
	char *s = malloc(n + 1);
	if (s == NULL) {
		b->rpos = save;
		return FERRY_ENOMEM;
	}
	memcpy(s, p, n);
	s[n] = '\0';
	*out = s;
	if (len_out)
		*len_out = n;
	return 0;
}

int buf_get_mpint_ref(struct buf *b, const uint8_t **p, size_t *n)
{
	size_t save = b->rpos;
	const uint8_t *v;
	size_t len;
	int r = buf_get_string_ref(b, &v, &len);
	if (r)
		return r;
	/* RFC 4251 §5: negative numbers have the top bit set; none is valid where ferry reads one. */
	if (len > 0 && (v[0] & 0x80)) {
		b->rpos = save;
		return FERRY_EPROTO;
	}
	while (len > 0 && v[0] == 0) {
		v++;
		len--;
	}
	*p = v;
	*n = len;
	return 0;
}
