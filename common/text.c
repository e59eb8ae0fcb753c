/* Text helpers: base64 (RFC 4648), name-lists (RFC 4251 §5, RFC 4253 §7.1), escaping. */
#include "common/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *b64_encode_impl(const uint8_t *p, size_t n, bool pad)
{
	char *out = malloc(((n + 2) / 3) * 4 + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	size_t i = 0;
	for (; i + 2 < n; i += 3) {
		uint32_t v = ((uint32_t)p[i] << 16) | ((uint32_t)p[i + 1] << 8) | p[i + 2];
		out[o++] = b64chars[(v >> 18) & 63];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = b64chars[(v >> 6) & 63];
		out[o++] = b64chars[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		out[o++] = b64chars[(v >> 18) & 63];
		out[o++] = b64chars[(v >> 12) & 63];
		if (i + 1 < n)
			out[o++] = b64chars[(v >> 6) & 63];
		else if (pad)
			out[o++] = '=';
		if (pad)
			out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}

char *b64_encode(const uint8_t *p, size_t n) { return b64_encode_impl(p, n, true); }
char *b64_encode_nopad(const uint8_t *p, size_t n) { return b64_encode_impl(p, n, false); }

static int b64_value(char c)
{
	const char *at = c ? strchr(b64chars, c) : NULL;
	return at ? (int)(at - b64chars) : -1;
}

int b64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen)
{
	while (slen > 0 && s[slen - 1] == '=')
		slen--;
	if (slen % 4 == 1)
		return FERRY_EINVAL;
	uint8_t *dst = malloc(slen * 3 / 4 + 3);
	if (dst == NULL)
		return FERRY_ENOMEM;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < slen; i++) {
		int v = b64_value(s[i]);
		if (v < 0) {
			free(dst);
			return FERRY_EINVAL;
		}
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			dst[o++] = (uint8_t)(acc >> bits);
		}
	}
	*out = dst;
	*outlen = o;
	return 0;
}

/* Calls fn for each element of a comma-separated list; stops when fn returns true. */
static bool namelist_each(const char *list, bool (*fn)(const char *name, size_t n, void *arg),
			  void *arg)
{
	const char *p = list;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n > 0 && fn(p, n, arg))
			return true;
		p = comma ? comma + 1 : NULL;
	}
	return false;
}

struct name_ref {
	const char *name;
	size_t n;
};

static bool name_equals(const char *name, size_t n, void *arg)
{
	const struct name_ref *want = arg;
	return n == want->n && memcmp(name, want->name, n) == 0;
}

static bool namelist_contains_n(const char *list, const char *name, size_t n)
{
	struct name_ref ref = { name, n };
	return namelist_each(list, name_equals, &ref);
}

bool namelist_contains(const char *list, const char *name)
{
	return namelist_contains_n(list, name, strlen(name));
}

struct match_state {
	const char *server;
	const char *found;
	size_t found_n;
};

static bool first_in_server(const char *name, size_t n, void *arg)
{
	struct match_state *st = arg;
	if (!namelist_contains_n(st->server, name, n))
		return false;
	st->found = name;
	st->found_n = n;
	return true;
}

int namelist_first_match(const char *client, const char *server, char **out)
{
	struct match_state st = { server, NULL, 0 };
	if (!namelist_each(client, first_in_server, &st))
		return FERRY_ENOMATCH;
	char *s = strndup(st.found, st.found_n);
	if (s == NULL)
		return FERRY_ENOMEM;
	*out = s;
	return 0;
}

bool wildcard_match(const char *pattern, const char *s)
{
	const char *star = NULL, *resume = NULL;
	while (*s) {
		if (*pattern == '*') {
			star = pattern++;
			resume = s;
		} else if (*pattern == '?' || *pattern == *s) {
			pattern++;
			s++;
		} else if (star) {
			pattern = star + 1;
			s = ++resume;
		} else {
			return false;
		}
	}
	while (*pattern == '*')
		pattern++;
	return *pattern == '\0';
}

/* Appends name (n bytes) to a comma list held in a malloc'd string. */
static int list_append(char **list, const char *name, size_t n)
{
	size_t old = *list ? strlen(*list) : 0;
	char *p = realloc(*list, old + n + 2);
	if (p == NULL)
		return FERRY_ENOMEM;
	if (old)
		p[old++] = ',';
	memcpy(p + old, name, n);
	p[old + n] = '\0';
	*list = p;
	return 0;
}

/* True if name (n bytes) matches any pattern in the comma list pats. */
static bool matches_any_pattern(const char *pats, const char *name, size_t n)
{
	char *tmp = strndup(name, n);
	char *copy = strdup(pats);
	bool hit = false;
	if (tmp && copy) {
		char *save = NULL;
		for (char *pat = strtok_r(copy, ",", &save); pat && !hit; pat = strtok_r(NULL, ",", &save))
			hit = wildcard_match(pat, tmp);
	}
	free(tmp);
	free(copy);
	return hit;
}

int namelist_apply(const char *base, const char *spec, const char *supported, char **out,
		   char **bad)
{
	char *result = NULL;
	char *copy = NULL;
	int r = 0;
	char mode = (spec[0] == '+' || spec[0] == '-' || spec[0] == '^') ? spec[0] : 0;
	const char *names = mode ? spec + 1 : spec;

	copy = strdup(names);
	if (copy == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	/* Validate: every name must be supported (wildcards allowed only for removal). */
	if (mode != '-') {
		char *save = NULL;
		for (char *n = strtok_r(copy, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
			if (!namelist_contains(supported, n)) {
				if (bad)
					*bad = strdup(n);
				r = FERRY_ENOTSUP;
				goto out;
			}
		}
	}
	const char *p;
	for (p = (mode == '^') ? names : NULL; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n && !(result && namelist_contains_n(result, p, n)) && (r = list_append(&result, p, n)) != 0)
			goto out;
		p = comma ? comma + 1 : NULL;
	}
	p = (mode == 0) ? names : base;
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		bool skip = n == 0;
		if (mode == '-' && matches_any_pattern(names, p, n))
			skip = true;
		if (mode == '^' && namelist_contains_n(names, p, n))
			skip = true;
		if (result && namelist_contains_n(result, p, n))
			skip = true;
		if (!skip && (r = list_append(&result, p, n)) != 0)
			goto out;
		p = comma ? comma + 1 : NULL;
	}
	if (mode == '+') {
		p = names;
		while (p && *p) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			if (n && !(result && namelist_contains_n(result, p, n)) &&
			    (r = list_append(&result, p, n)) != 0)
				goto out;
			p = comma ? comma + 1 : NULL;
		}
	}
	if (result == NULL && (result = strdup("")) == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	*out = result;
	result = NULL;
out:
	free(result);
	free(copy);
	return r;
}

/* Length of a well-formed UTF-8 sequence at s (at most n bytes) encoding a printable code
 * point (not C1 controls U+0080-U+009F, not surrogates, not overlong), or 0. */
static size_t utf8_printable_len(const uint8_t *s, size_t n)
{
	size_t len;
	uint32_t cp;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || cp < 0xa0)
		return 0;
	return len;
}

char *str_escape_untrusted(const uint8_t *s, size_t n)
{
	char *out = malloc(n * 4 + 1);
	if (out == NULL)
		return NULL;
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f)) {
			out[o++] = (char)c;
			i++;
			continue;
		}
		size_t u = c >= 0x80 ? utf8_printable_len(s + i, n - i) : 0;
		if (u) {
			memcpy(out + o, s + i, u);
			o += u;
			i += u;
			continue;
		}
		/* Controls, DEL, C1 controls and broken UTF-8 are shown, never sent to the terminal. */
		o += (size_t)sprintf(out + o, "\\%03o", c);
		i++;
	}
	out[o] = '\0';
	return out;
}

char *str_printf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	return r < 0 ? NULL : s;
}
