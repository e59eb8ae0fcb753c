/* Helpers shared by ferry's ssh_config(5) and sshd_config(5) readers: words, times, sizes,
 * flags, lists, algorithm lists and CIDR address patterns (OpenSSH PATTERNS). */
#include "transfer/cfgutil.h"

#include <arpa/inet.h>
#include <pwd.h>
#include <unistd.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/text.h"

/* ---- string lists ------------------------------------------------------------------------ */

void cfg_strlist_free(struct ssh_strlist *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
	l->set = false;
}

bool cfg_strlist_contains(const struct ssh_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

int cfg_strlist_add(struct ssh_strlist *l, const char *s)
{
	char *copy = strdup(s);
	if (copy == NULL)
		return FERRY_ENOMEM;
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL) {
		free(copy);
		return FERRY_ENOMEM;
	}
	v[l->n++] = copy;
	l->v = v;
	l->set = true;
	return 0;
}

void cfg_strlist_remove_at(struct ssh_strlist *l, size_t i)
{
	free(l->v[i]);
	memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
	l->n--;
}

int cfg_strlist_copy(struct ssh_strlist *dst, const struct ssh_strlist *src)
{
	for (size_t i = 0; i < src->n; i++) {
		if (cfg_strlist_add(dst, src->v[i]) != 0) {
			cfg_strlist_free(dst);
			return FERRY_ENOMEM;
		}
	}
	dst->set = src->set;
	return 0;
}

/* ---- words and lines ---------------------------------------------------------------------- */

void cfg_args_free(struct cfg_args *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

int cfg_args_split(const char *s, struct cfg_args *out)
{
	struct cfg_args a = { NULL, 0 };
	int r = 0;
	char *word = malloc(strlen(s) + 1);
	if (word == NULL)
		return FERRY_ENOMEM;
	const char *p = s;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			break;
		size_t n = 0;
		char quote = 0;
		for (; *p; p++) {
			if (*p == '\\' && (p[1] == '"' || p[1] == '\'' || p[1] == '\\' ||
					   (quote == 0 && p[1] == ' '))) {
				word[n++] = *++p;
			} else if (quote == 0 && (*p == ' ' || *p == '\t')) {
				break;
			} else if (quote == 0 && (*p == '"' || *p == '\'')) {
				quote = *p;
			} else if (quote != 0 && *p == quote) {
				quote = 0;
			} else {
				word[n++] = *p;
			}
		}
		if (quote != 0) {
			r = FERRY_EINVAL;
			goto out;
		}
		char **v = realloc(a.v, (a.n + 1) * sizeof(*v));
		if (v == NULL) {
			r = FERRY_ENOMEM;
			goto out;
		}
		a.v = v;
		if ((a.v[a.n] = strndup(word, n)) == NULL) {
			r = FERRY_ENOMEM;
			goto out;
		}
		a.n++;
	}
	*out = a;
	a.v = NULL;
	a.n = 0;
out:
	cfg_args_free(&a);
	free(word);
	return r;
}

bool cfg_line_split(char *line, char **keyword, char **value)
{
	size_t len = strlen(line);
	while (len > 0 && isspace((unsigned char)line[len - 1]))
		line[--len] = '\0';
	char *p = line;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return false;
	/* ssh_config(5), sshd_config(5): keyword and arguments are separated by whitespace or by
	 * optional whitespace and exactly one '='. */
	char *kw = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '=')
		p++;
	char sep = *p;
	if (*p)
		*p++ = '\0';
	while (*p == ' ' || *p == '\t')
		p++;
	if (sep != '=' && *p == '=') {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
	}
	*keyword = kw;
	*value = p;
	return true;
}

void cfg_lowercase(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* ---- values ------------------------------------------------------------------------------ */

int64_t cfg_parse_time(const char *s)
{
	int64_t total = 0;
	if (*s == '\0')
		return -1;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return -1;
		errno = 0;
		char *end = NULL;
		long long v = strtoll(s, &end, 10);
		if (errno != 0 || v < 0)
			return -1;
		int64_t mult = 1;
		switch (*end) {
		case '\0': break;
		case 's': case 'S': end++; break;
		case 'm': case 'M': mult = 60; end++; break;
		case 'h': case 'H': mult = 3600; end++; break;
		case 'd': case 'D': mult = 86400; end++; break;
		case 'w': case 'W': mult = 604800; end++; break;
		default: return -1;
		}
		if (v > (INT_MAX - total) / mult)
			return -1;
		total += v * mult;
		s = end;
	}
	return total;
}

int cfg_parse_size(const char *s, int64_t *out)
{
	const char *p = s;
	uint64_t whole = 0, frac = 0, frac_div = 1;
	bool digits = false;
	while (isdigit((unsigned char)*p)) {
		if (whole > (UINT64_MAX - 9) / 10)
			return FERRY_EINVAL;
		whole = whole * 10 + (uint64_t)(*p++ - '0');
		digits = true;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (frac_div < 1000000000ull) {
				frac = frac * 10 + (uint64_t)(*p - '0');
				frac_div *= 10;
			}
			p++;
			digits = true;
		}
	}
	if (!digits)
		return FERRY_EINVAL;
	uint64_t scale = 1;
	switch (*p) {
	case '\0': break;
	case 'b': case 'B': p++; break;
	case 'k': case 'K': scale = 1ull << 10; p++; break;
	case 'm': case 'M': scale = 1ull << 20; p++; break;
	case 'g': case 'G': scale = 1ull << 30; p++; break;
	case 't': case 'T': scale = 1ull << 40; p++; break;
	default: return FERRY_EINVAL;
	}
	if (*p != '\0')
		return FERRY_EINVAL;
	if (whole > (uint64_t)INT64_MAX / scale)
		return FERRY_EINVAL;
	uint64_t v = whole * scale + (frac * scale) / frac_div;
	if (v > (uint64_t)INT64_MAX)
		return FERRY_EINVAL;
	*out = (int64_t)v;
	return 0;
}

int cfg_parse_flag(const char *s, bool allow_true_false)
{
	if (strcasecmp(s, "yes") == 0 || (allow_true_false && strcasecmp(s, "true") == 0))
		return 1;
	if (strcasecmp(s, "no") == 0 || (allow_true_false && strcasecmp(s, "false") == 0))
		return 0;
	return -1;
}

int cfg_parse_choice(const struct cfg_choice *choices, const char *s)
{
	for (; choices->name; choices++)
		if (strcasecmp(s, choices->name) == 0)
			return choices->value;
	return -1;
}

/* ---- algorithm lists ----------------------------------------------------------------------- */

int cfg_alglist_check(const char *def, const char *sup, const char *spec)
{
	/* Names after the +, - or ^ must be a non-empty list without empty elements. */
	const char *names = (spec[0] == '+' || spec[0] == '-' || spec[0] == '^') ? spec + 1 : spec;
	size_t len = strlen(names);
	if (len == 0 || names[0] == ',' || names[len - 1] == ',' || strstr(names, ",,") != NULL)
		return FERRY_EINVAL;
	char *resolved = NULL;
	int r = namelist_apply(def, spec, sup, &resolved, NULL);
	if (r == FERRY_ENOMEM)
		return r;
	bool empty = r == 0 && resolved[0] == '\0';
	free(resolved);
	return (r != 0 || empty) ? FERRY_EINVAL : 0;
}

int cfg_alglist_resolve(const char *def, const char *sup, const char *spec, char **out)
{
	char *res = NULL;
	if (spec == NULL) {
		if ((res = strdup(def)) == NULL)
			return FERRY_ENOMEM;
		*out = res;
		return 0;
	}
	int r = namelist_apply(def, spec, sup, &res, NULL);
	if (r == FERRY_ENOMEM)
		return r;
	if (r != 0 || res[0] == '\0') {
		free(res);
		return FERRY_EINVAL;
	}
	*out = res;
	return 0;
}

/* ---- messages ----------------------------------------------------------------------------- */

void cfg_set_errmsg(char **errmsg, char *msg)
{
	if (errmsg == NULL) {
		free(msg);
		return;
	}
	free(*errmsg);
	*errmsg = msg;
}

int cfg_errorf(char **errmsg, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return FERRY_ENOMEM;
	cfg_set_errmsg(errmsg, msg);
	return FERRY_ECONFIG;
}

/* ---- patterns ------------------------------------------------------------------------------ */

int ssh_match_pattern_list(const char *s, const char *patterns, bool fold_case)
{
	char *subject = strdup(s);
	char *list = strdup(patterns);
	int result = 0;
	if (subject == NULL || list == NULL)
		goto out;       /* out of memory: report "no match", the safe answer */
	if (fold_case) {
		cfg_lowercase(subject);
		cfg_lowercase(list);
	}
	char *save = NULL;
	for (char *pat = strtok_r(list, ",", &save); pat; pat = strtok_r(NULL, ",", &save)) {
		bool negated = pat[0] == '!';
		if (negated)
			pat++;
		if (!wildcard_match(pat, subject))
			continue;
		if (negated) {
			result = -1;    /* a negated match overrides any positive one */
			goto out;
		}
		result = 1;
	}
out:
	free(subject);
	free(list);
	return result;
}

/* ---- address patterns ------------------------------------------------------------------- */

/* A parsed address: family, 16 bytes (IPv4 in the first 4). */
struct cfg_addr {
	int af;
	unsigned char b[16];
};

static bool addr_parse(const char *s, struct cfg_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->b) == 1) {
		a->af = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, a->b) == 1) {
		a->af = AF_INET6;
		return true;
	}
	return false;
}

/* Parses "ADDR/BITS" into *net and *bits. FERRY_EINVAL unless the address is valid, bits fit
 * the family, and no bit beyond the prefix is set (OpenSSH refuses such "inconsistent"
 * masks rather than guessing what was meant). */
static int cidr_parse(const char *s, struct cfg_addr *net, unsigned *bits)
{
	const char *slash = strchr(s, '/');
	char host[INET6_ADDRSTRLEN + 1];
	if (slash == NULL || (size_t)(slash - s) >= sizeof(host))
		return FERRY_EINVAL;
	memcpy(host, s, (size_t)(slash - s));
	host[slash - s] = '\0';
	if (!addr_parse(host, net))
		return FERRY_EINVAL;
	const char *p = slash + 1;
	if (!isdigit((unsigned char)*p) || strlen(p) > 3)
		return FERRY_EINVAL;
	unsigned long v = strtoul(p, NULL, 10);
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q))
			return FERRY_EINVAL;
	unsigned max = net->af == AF_INET ? 32 : 128;
	if (v > max)
		return FERRY_EINVAL;
	for (unsigned i = (unsigned)v; i < max; i++)
		if (net->b[i / 8] & (0x80u >> (i % 8)))
			return FERRY_EINVAL;
	*bits = (unsigned)v;
	return 0;
}

static bool cidr_contains(const struct cfg_addr *net, unsigned bits, const struct cfg_addr *a)
{
	if (net->af != a->af)
		return false;
	for (unsigned i = 0; i < bits; i++) {
		unsigned char m = (unsigned char)(0x80u >> (i % 8));
		if ((net->b[i / 8] & m) != (a->b[i / 8] & m))
			return false;
	}
	return true;
}

/* Walks the list; with addr NULL only validates. */
static int address_list_walk(const char *addr, const char *patterns, int *result)
{
	struct cfg_addr a;
	bool have_addr = addr != NULL && addr_parse(addr, &a);
	char *list = strdup(patterns);
	int r = 0, res = 0;
	if (list == NULL)
		return FERRY_ENOMEM;
	char *save = NULL;
	for (char *pat = strtok_r(list, ",", &save); pat; pat = strtok_r(NULL, ",", &save)) {
		bool negated = pat[0] == '!';
		if (negated)
			pat++;
		bool hit;
		if (strchr(pat, '/') != NULL) {
			struct cfg_addr net;
			unsigned bits = 0;
			if ((r = cidr_parse(pat, &net, &bits)) != 0)
				goto out;
			hit = have_addr && cidr_contains(&net, bits, &a);
		} else {
			hit = addr != NULL && wildcard_match(pat, addr);
		}
		if (!hit)
			continue;
		if (negated)
			res = -1;       /* sticky: a negated match overrides any positive one */
		else if (res == 0)
			res = 1;
	}
	*result = res;
out:
	free(list);
	return r;
}

bool cfg_address_list_valid(const char *patterns)
{
	int res = 0;
	return patterns[0] != '\0' && address_list_walk(NULL, patterns, &res) == 0;
}

int cfg_match_address_list(const char *addr, const char *patterns, int *result)
{
	return address_list_walk(addr, patterns, result);
}

int cfg_match_host_and_address(const char *host, const char *addr, const char *patterns,
			       int *result)
{
	int mip = 0;
	int r = cfg_match_address_list(addr, patterns, &mip);
	if (r != 0)
		return r;
	/* Without a host name (no reverse lookup) the address stands in for it, as in sshd. */
	int mhost = ssh_match_pattern_list(host ? host : addr, patterns, true);
	if (mhost == -1 || mip == -1)
		*result = -1;
	else if (mhost == 1 || mip == 1)
		*result = 1;
	else
		*result = 0;
	return 0;
}

/* The home directory of the user we run as: $HOME, else the password database. */
int cfg_own_home(char **out)
{
	const char *h = getenv("HOME");
	char buf[16384];
	struct passwd pw, *res = NULL;
	if (h == NULL || h[0] != '/') {
		if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
			return FERRY_ENOENT;
		h = res->pw_dir;
	}
	char *s = strdup(h);
	if (s == NULL)
		return FERRY_ENOMEM;
	*out = s;
	return 0;
}

int cfg_alglist_resolve_field(char **field, const char *def, const char *sup, const char *label,
			      char **errmsg)
{
	char *out = NULL;
	int r = cfg_alglist_resolve(def, sup, *field, &out);
	if (r == FERRY_EINVAL)
		return cfg_errorf(errmsg, "%s '%s'.", label, *field);
	if (r != 0)
		return r;
	free(*field);
	*field = out;
	return 0;
}
