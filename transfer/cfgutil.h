/* Pieces shared by ferry's OpenSSH-style configuration readers (ssh_config(5) for the client,
 * sshd_config(5) for ferryd): line and word splitting, TIME FORMATS, sizes, flags, string
 * lists, algorithm list checks, and address pattern lists with CIDR (OpenSSH PATTERNS). */
#ifndef FERRY_TRANSFER_CFGUTIL_H
#define FERRY_TRANSFER_CFGUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* An ordered list of strings, each owned by the list. set is true once an option gave a value
 * (also when that value was "none" and left the list empty). A zeroed struct is empty. */
struct ssh_strlist {
	char **v;
	size_t n;
	bool set;
};

/* Frees every string and resets the list to empty and not set. Accepts NULL. */
void cfg_strlist_free(struct ssh_strlist *l);
/* True if the list holds a string equal to s. */
bool cfg_strlist_contains(const struct ssh_strlist *l, const char *s);
/* Appends a copy of s and marks the list set. 0 or FERRY_ENOMEM (list unchanged). */
int cfg_strlist_add(struct ssh_strlist *l, const char *s) FERRY_MUST_USE;
/* Removes (and frees) element i < l->n, keeping the order of the others. */
void cfg_strlist_remove_at(struct ssh_strlist *l, size_t i);
/* Makes dst an independent copy of src (dst must be empty). 0 or FERRY_ENOMEM (dst empty). */
int cfg_strlist_copy(struct ssh_strlist *dst, const struct ssh_strlist *src) FERRY_MUST_USE;

/* The words of one configuration line; each owned by the struct. */
struct cfg_args {
	char **v;
	size_t n;
};

void cfg_args_free(struct cfg_args *a);

/* Splits the value part of a line into words as OpenSSH does: blanks separate; "..." and '...'
 * quote; a backslash escapes a quote character, a backslash, or (unquoted) a space; an
 * unquoted word starting with '#' ends the line. On success *out holds the words (caller frees
 * with cfg_args_free). FERRY_EINVAL on an unclosed quote, FERRY_ENOMEM. */
int cfg_args_split(const char *s, struct cfg_args *out) FERRY_MUST_USE;

/* Splits a configuration line in place into keyword and value: trailing whitespace is cut, and
 * keyword and value are separated by blanks or by optional blanks and one '='. Returns false
 * for a blank line or a comment (nothing to do); else sets *keyword and *value (pointers into
 * line; value may be ""). */
bool cfg_line_split(char *line, char **keyword, char **value);

/* ASCII-lowercases s in place. */
void cfg_lowercase(char *s);

/* Time as sshd_config(5)/ssh_config(5) TIME FORMATS: plain seconds, or pieces such as 1h30m
 * (units s m h d w, either case). Returns the seconds (<= INT_MAX), or -1 if malformed. */
int64_t cfg_parse_time(const char *s);

/* A size with an optional K/M/G/T suffix (powers of 1024; fractions such as 1.5G allowed), as
 * RekeyLimit takes. 0 with *out set, or FERRY_EINVAL. */
int cfg_parse_size(const char *s, int64_t *out) FERRY_MUST_USE;

/* "yes"/"no", and with allow_true_false also "true"/"false" (ssh_config takes them, sshd_config
 * does not). Returns 1, 0, or -1 when s is none of those. */
int cfg_parse_flag(const char *s, bool allow_true_false);

/* A keyword's allowed values; tables end with { NULL, 0 }. */
struct cfg_choice {
	const char *name;
	int value;
};

/* The value of the choice named s (case-insensitive), or -1 if none. */
int cfg_parse_choice(const struct cfg_choice *choices, const char *s);

/* Checks an algorithm list value (plain list, or +list, -list, ^list) against the defaults and
 * the supported names: every name must be supported, the list must be well-formed (no empty
 * element) and the result non-empty. 0, FERRY_EINVAL, or FERRY_ENOMEM. */
int cfg_alglist_check(const char *def, const char *sup, const char *spec) FERRY_MUST_USE;

/* Resolves an algorithm list value against the defaults: spec NULL gives a copy of def. On
 * success *out is the comma list (caller frees). FERRY_EINVAL if the value is bad or resolves
 * to nothing, FERRY_ENOMEM. */
int cfg_alglist_resolve(const char *def, const char *sup, const char *spec, char **out)
	FERRY_MUST_USE;

/* Sets *errmsg (if errmsg is not NULL) to a printf-formatted message, freeing any previous one,
 * and returns FERRY_ECONFIG (FERRY_ENOMEM if the message cannot be built). */
int cfg_errorf(char **errmsg, const char *fmt, ...) __attribute__((format(printf, 2, 3)))
	FERRY_MUST_USE;

/* Replaces *errmsg (if errmsg is not NULL) with msg, which it takes over (freed when errmsg is
 * NULL). */
void cfg_set_errmsg(char **errmsg, char *msg);

/* OpenSSH pattern-list matching (ssh_config(5) PATTERNS): patterns is comma-separated, each
 * may use * and ?, and a leading ! negates. Returns 1 if s matches a pattern and no negated
 * pattern, -1 if a negated pattern matches, 0 otherwise. fold_case compares ASCII
 * case-insensitively (host names). */
int ssh_match_pattern_list(const char *s, const char *patterns, bool fold_case);

/* True if s is an address pattern list cfg_match_address_list accepts: comma-separated, each
 * element optionally negated with '!', either a CIDR block "ADDR/BITS" (IPv4 or IPv6, no
 * wildcards, no host bits set) or a pattern with * and ?. */
bool cfg_address_list_valid(const char *patterns);

/* OpenSSH address pattern-list matching (sshd_config(5) PATTERNS; Match Address, from= in
 * authorized_keys): addr is a textual IPv4 or IPv6 address; CIDR elements match by prefix,
 * others as wildcards on the text. On success *result is 1 if an element matches and no negated
 * element does, -1 if a negated element matches (a negated match always wins), 0 otherwise.
 * FERRY_EINVAL if the list has a malformed CIDR element (*result untouched). */
int cfg_match_address_list(const char *addr, const char *patterns, int *result) FERRY_MUST_USE;

/* sshd's host-and-address match (from= in authorized_keys, USER@HOST in AllowUsers): patterns is
 * matched case-insensitively against host (the address when host is NULL) and as an address
 * list against addr. *result: -1 if a negated element matches either, else 1 if an element
 * matches either, else 0. FERRY_EINVAL on a malformed CIDR element. */
int cfg_match_host_and_address(const char *host, const char *addr, const char *patterns,
			       int *result) FERRY_MUST_USE;

/* The home directory of the user we run as (caller frees): $HOME when it is absolute, else the
 * password database. 0, FERRY_ENOENT or FERRY_ENOMEM. */
int cfg_own_home(char **out) FERRY_MUST_USE;

/* Resolves the algorithm list in *field (as written, maybe with + - ^) with
 * cfg_alglist_resolve and replaces it with the result; an unsupported name is FERRY_ECONFIG with
 * "LABEL 'VALUE'." in *errmsg (OpenSSH's wording, e.g. "Bad SSH2 cipher spec"). */
int cfg_alglist_resolve_field(char **field, const char *def, const char *sup, const char *label,
			      char **errmsg) FERRY_MUST_USE;

#endif
