/* Text helpers shared by every layer: base64 (RFC 4648), SSH name-lists (RFC 4251 §5),
 * and safe printing of strings that came from a peer. */
#ifndef FERRY_COMMON_TEXT_H
#define FERRY_COMMON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Encodes n bytes as base64 with padding; returns a NUL-terminated string (caller frees) or NULL. */
char *b64_encode(const uint8_t *p, size_t n);
/* Same without '=' padding (OpenSSH's SHA256 fingerprint form). */
char *b64_encode_nopad(const uint8_t *p, size_t n);
/* Decodes base64 (whitespace not allowed; padding optional). On success *out (caller frees)
 * and *outlen are set. FERRY_EINVAL on bad input. */
int b64_decode(const char *s, size_t slen, uint8_t **out, size_t *outlen) FERRY_MUST_USE;

/* True if the comma-separated list contains name exactly. */
bool namelist_contains(const char *list, const char *name);
/* The first name of client's list that also appears in server's list (RFC 4253 §7.1), copied
 * into a new string in *out (caller frees). FERRY_ENOMATCH if none. */
int namelist_first_match(const char *client, const char *server, char **out) FERRY_MUST_USE;
/* Applies an OpenSSH-style list modifier to base: "+a,b" appends, "-a,b" removes (wildcards
 * * and ? allowed), "^a,b" puts first, anything else replaces. Every name must be in
 * supported (else FERRY_ENOTSUP, naming it in *bad if bad is not NULL; caller frees).
 * The result (caller frees) is in *out. */
int namelist_apply(const char *base, const char *spec, const char *supported, char **out,
		   char **bad) FERRY_MUST_USE;

/* Shell-style wildcard match of * and ? (no character classes), as ssh_config uses. */
bool wildcard_match(const char *pattern, const char *s);

/* Copies s with every control or non-printable byte escaped (\n, \t, \ooo), so text from a
 * peer cannot drive the terminal. Returns a new string (caller frees) or NULL. */
char *str_escape_untrusted(const uint8_t *s, size_t n);

/* Printf into a newly allocated string (caller frees), or NULL. */
char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
