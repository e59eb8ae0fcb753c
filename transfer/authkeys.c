/* ferryd's authorized_keys policy: OpenSSH sshd(8) AUTHORIZED_KEYS FILE FORMAT (options, from=
 * patterns, expiry-time), AuthorizedKeysFile tokens and the StrictModes check
 * (docs/internals/server-policy.md). */
#include "transfer/authkeys.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"

/* ---- options ----------------------------------------------------------------------------- */

void authkeys_opts_free(struct authkeys_opts *o)
{
	if (o == NULL)
		return;
	free(o->command);
	cfg_strlist_free(&o->environment);
	cfg_strlist_free(&o->permit_open);
	cfg_strlist_free(&o->permit_listen);
	free(o->from);
	free(o->tunnel);
	free(o->principals);
	memset(o, 0, sizeof(*o));
}

void authkeys_result_free(struct authkeys_result *r)
{
	if (r == NULL)
		return;
	authkeys_opts_free(&r->opts);
	free(r->file);
	memset(r, 0, sizeof(*r));
}

/* sshd(8): a value is double-quoted; inside, \" stands for a quote and nothing else is an
 * escape. *p is at the opening quote; on success it is left just past the closing one. */
static int dequote(const char **p, char **out, const char **err)
{
	const char *s = *p;
	if (*s != '"') {
		*err = "missing start quote";
		return FERRY_EINVAL;
	}
	s++;
	char *v = malloc(strlen(s) + 1);
	size_t n = 0;
	if (v == NULL)
		return FERRY_ENOMEM;
	while (*s != '\0' && *s != '"') {
		if (s[0] == '\\' && s[1] == '"')
			s++;
		v[n++] = *s++;
	}
	if (*s != '"') {
		free(v);
		*err = "missing end quote";
		return FERRY_EINVAL;
	}
	v[n] = '\0';
	*p = s + 1;
	*out = v;
	return 0;
}

/* "*" or a port number 1..65535. */
static bool port_spec_valid(const char *s)
{
	if (strcmp(s, "*") == 0)
		return true;
	if (*s == '\0' || strlen(s) > 5)
		return false;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return false;
	long v = strtol(s, NULL, 10);
	return v >= 1 && v <= 65535;
}

/* permitopen="host:port" (host_required) or permitlisten="[host:]port"; a host may be an
 * [IPv6] literal. */
static bool hostport_valid(const char *s, bool host_required)
{
	const char *port = NULL;
	size_t hostlen = 0;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return false;
		hostlen = (size_t)(close - s - 1);
		port = close + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if (colon == NULL) {
			if (host_required)
				return false;
			port = s;
		} else {
			hostlen = (size_t)(colon - s);
			port = colon + 1;
			if (memchr(s, ':', hostlen) != NULL)
				return false;   /* an IPv6 host needs brackets */
		}
	}
	if (host_required && hostlen == 0)
		return false;
	return port_spec_valid(port);
}

/* expiry-time="YYYYMMDD[HHMM[SS]]" in local time, or with a trailing Z in UTC. */
static int parse_expiry(const char *s, int64_t *out)
{
	size_t len = strlen(s);
	bool utc = len > 0 && (s[len - 1] == 'Z' || s[len - 1] == 'z');
	if (utc)
		len--;
	if (len != 8 && len != 12 && len != 14)
		return FERRY_EINVAL;
	int f[6] = { 0, 0, 0, 0, 0, 0 };
	static const int width[6] = { 4, 2, 2, 2, 2, 2 };
	size_t pos = 0;
	for (int k = 0; k < 6 && pos < len; k++) {
		for (int d = 0; d < width[k]; d++, pos++) {
			if (!isdigit((unsigned char)s[pos]))
				return FERRY_EINVAL;
			f[k] = f[k] * 10 + (s[pos] - '0');
		}
	}
	if (f[0] < 1970 || f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 ||
	    f[4] > 59 || f[5] > 60)
		return FERRY_EINVAL;
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = f[0] - 1900;
	tm.tm_mon = f[1] - 1;
	tm.tm_mday = f[2];
	tm.tm_hour = f[3];
	tm.tm_min = f[4];
	tm.tm_sec = f[5];
	tm.tm_isdst = -1;
	time_t t = utc ? timegm(&tm) : mktime(&tm);
	if (t == (time_t)-1 || tm.tm_mday != f[2])
		return FERRY_EINVAL;    /* e.g. 20250231: no such day */
	*out = (int64_t)t;
	return 0;
}

/* environment="NAME=value": NAME is letters, digits and underscores. */
static bool env_valid(const char *s)
{
	const char *p = s;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	return p != s && *p == '=';
}

enum optkind {
	OPT_RESTRICT, OPT_CERT_AUTHORITY,
	OPT_PORTFWD, OPT_NO_PORTFWD, OPT_AGENT, OPT_NO_AGENT, OPT_X11, OPT_NO_X11,
	OPT_PTY, OPT_NO_PTY, OPT_USER_RC, OPT_NO_USER_RC,
	OPT_TOUCH, OPT_NO_TOUCH, OPT_VERIFY,
	OPT_VALUED,             /* the kinds below take ="value" */
	OPT_COMMAND, OPT_ENVIRONMENT, OPT_FROM, OPT_PERMITOPEN, OPT_PERMITLISTEN,
	OPT_PRINCIPALS, OPT_TUNNEL, OPT_EXPIRY,
};

static const struct { const char *name; enum optkind kind; } option_names[] = {
	{ "restrict", OPT_RESTRICT }, { "cert-authority", OPT_CERT_AUTHORITY },
	{ "port-forwarding", OPT_PORTFWD }, { "no-port-forwarding", OPT_NO_PORTFWD },
	{ "agent-forwarding", OPT_AGENT }, { "no-agent-forwarding", OPT_NO_AGENT },
	{ "x11-forwarding", OPT_X11 }, { "no-x11-forwarding", OPT_NO_X11 },
	{ "pty", OPT_PTY }, { "no-pty", OPT_NO_PTY },
	{ "user-rc", OPT_USER_RC }, { "no-user-rc", OPT_NO_USER_RC },
	{ "touch-required", OPT_TOUCH }, { "no-touch-required", OPT_NO_TOUCH },
	{ "verify-required", OPT_VERIFY },
	{ "command", OPT_COMMAND }, { "environment", OPT_ENVIRONMENT }, { "from", OPT_FROM },
	{ "permitopen", OPT_PERMITOPEN }, { "permitlisten", OPT_PERMITLISTEN },
	{ "principals", OPT_PRINCIPALS }, { "tunnel", OPT_TUNNEL },
	{ "expiry-time", OPT_EXPIRY },
};

/* Applies a flag option in order, as sshd does: "restrict" sets every restriction, a later
 * positive form clears one again. */
static void apply_flag(struct authkeys_opts *o, enum optkind kind)
{
	switch (kind) {
	case OPT_RESTRICT:
		o->restricted = true;
		o->no_pty = o->no_port_forwarding = o->no_agent_forwarding = true;
		o->no_x11_forwarding = o->no_user_rc = true;
		break;
	case OPT_CERT_AUTHORITY: o->cert_authority = true; break;
	case OPT_PORTFWD: o->no_port_forwarding = false; break;
	case OPT_NO_PORTFWD: o->no_port_forwarding = true; break;
	case OPT_AGENT: o->no_agent_forwarding = false; break;
	case OPT_NO_AGENT: o->no_agent_forwarding = true; break;
	case OPT_X11: o->no_x11_forwarding = false; break;
	case OPT_NO_X11: o->no_x11_forwarding = true; break;
	case OPT_PTY: o->no_pty = false; break;
	case OPT_NO_PTY: o->no_pty = true; break;
	case OPT_USER_RC: o->no_user_rc = false; break;
	case OPT_NO_USER_RC: o->no_user_rc = true; break;
	case OPT_TOUCH: o->touch_required = true; break;
	case OPT_NO_TOUCH: o->touch_required = false; break;
	case OPT_VERIFY: o->verify_required = true; break;
	default: break;
	}
}

/* Stores a valued option; takes value over on success. *err explains FERRY_EINVAL. */
static int apply_value(struct authkeys_opts *o, enum optkind kind, char **value,
		       const char **err)
{
	char *v = *value;
	struct ssh_strlist *list = NULL;
	char **single = NULL;
	switch (kind) {
	case OPT_COMMAND:
		single = &o->command;
		break;
	case OPT_FROM:
		if (!cfg_address_list_valid(v)) {
			*err = "invalid from= pattern list";
			return FERRY_EINVAL;
		}
		single = &o->from;
		break;
	case OPT_PRINCIPALS:
		single = &o->principals;
		break;
	case OPT_TUNNEL: {
		bool digits = v[0] != '\0';
		for (const char *p = v; *p; p++)
			digits = digits && isdigit((unsigned char)*p);
		if (!digits && strcasecmp(v, "any") != 0) {
			*err = "invalid tunnel device";
			return FERRY_EINVAL;
		}
		single = &o->tunnel;
		break;
	}
	case OPT_ENVIRONMENT:
		if (!env_valid(v)) {
			*err = "invalid environment string";
			return FERRY_EINVAL;
		}
		/* The first value of a name wins. */
		for (size_t k = 0; k < o->environment.n; k++) {
			size_t nl = (size_t)(strchr(v, '=') - v) + 1;
			if (strncmp(o->environment.v[k], v, nl) == 0)
				return 0;
		}
		list = &o->environment;
		break;
	case OPT_PERMITOPEN:
	case OPT_PERMITLISTEN:
		if (!hostport_valid(v, kind == OPT_PERMITOPEN)) {
			*err = kind == OPT_PERMITOPEN ? "invalid permitopen host:port" :
							"invalid permitlisten [host:]port";
			return FERRY_EINVAL;
		}
		list = kind == OPT_PERMITOPEN ? &o->permit_open : &o->permit_listen;
		break;
	case OPT_EXPIRY: {
		int64_t t = 0;
		if (parse_expiry(v, &t) != 0) {
			*err = "invalid expires time";
			return FERRY_EINVAL;
		}
		/* More than one: the earliest counts. */
		if (o->expiry_time == 0 || t < o->expiry_time)
			o->expiry_time = t;
		return 0;
	}
	default:
		return FERRY_EINVAL;
	}
	if (single != NULL) {
		if (*single != NULL) {
			/* sshd refuses a second command=, from=, principals= or tunnel=. */
			*err = kind == OPT_COMMAND ? "multiple \"command\" clauses" :
			       kind == OPT_FROM ? "multiple \"from\" clauses" :
			       kind == OPT_PRINCIPALS ? "multiple \"principals\" clauses" :
							"multiple \"tunnel\" clauses";
			return FERRY_EINVAL;
		}
		*single = v;
		*value = NULL;
		return 0;
	}
	return cfg_strlist_add(list, v);
}

int authkeys_parse_options(const char *s, struct authkeys_opts *out, const char **end, char **why)
{
	struct authkeys_opts o;
	const char *p = s;
	const char *err = NULL;
	char *bad = NULL;
	char *value = NULL;
	int r = 0;

	memset(&o, 0, sizeof(o));
	for (;;) {
		const char *name = p;
		while (isalnum((unsigned char)*p) || *p == '-')
			p++;
		size_t nlen = (size_t)(p - name);
		size_t k;
		for (k = 0; k < sizeof(option_names) / sizeof(option_names[0]); k++)
			if (strlen(option_names[k].name) == nlen &&
			    strncasecmp(option_names[k].name, name, nlen) == 0)
				break;
		if (nlen == 0 || k == sizeof(option_names) / sizeof(option_names[0])) {
			size_t blen = strcspn(name, ",= \t");
			bad = str_printf("unknown key option \"%.*s\"", (int)(blen < 64 ? blen : 64),
					 name);
			r = bad ? FERRY_EINVAL : FERRY_ENOMEM;
			goto out;
		}
		enum optkind kind = option_names[k].kind;
		if (kind > OPT_VALUED) {
			if (*p != '=') {
				bad = str_printf("option \"%s\" needs a value", option_names[k].name);
				r = bad ? FERRY_EINVAL : FERRY_ENOMEM;
				goto out;
			}
			p++;
			if ((r = dequote(&p, &value, &err)) != 0)
				goto out;
			if ((r = apply_value(&o, kind, &value, &err)) != 0)
				goto out;
			free(value);
			value = NULL;
		} else {
			if (*p == '=') {
				bad = str_printf("option \"%s\" takes no value", option_names[k].name);
				r = bad ? FERRY_EINVAL : FERRY_ENOMEM;
				goto out;
			}
			apply_flag(&o, kind);
		}
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\0' || *p == ' ' || *p == '\t')
			break;
		err = "unexpected character after an option";
		r = FERRY_EINVAL;
		goto out;
	}
	*out = o;
	memset(&o, 0, sizeof(o));
	if (end != NULL)
		*end = p;
out:
	if (r == FERRY_EINVAL) {
		if (bad == NULL)
			bad = strdup(err ? err : "bad key options");
		cfg_set_errmsg(why, bad);
		bad = NULL;
	}
	free(bad);
	free(value);
	authkeys_opts_free(&o);
	return r;
}

/* ---- one line -------------------------------------------------------------------------------- */

/* End of an options field: the first blank outside double quotes (\" does not close). */
static const char *options_field_end(const char *p)
{
	bool quoted = false;
	for (; *p; p++) {
		if (quoted && p[0] == '\\' && p[1] == '"') {
			p++;
			continue;
		}
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && (*p == ' ' || *p == '\t'))
			break;
	}
	return p;
}

/* Checks one line (NUL-terminated, no newline). *hit and *opts are set when it authorizes. */
static int check_line(const char *line, const char *label, unsigned long lineno,
		      const struct authkeys_query *q, bool *hit, struct authkeys_opts *opts)
{
	struct ferry_key *key = NULL;
	struct authkeys_opts o;
	char *why = NULL;
	const char *p = line;
	const char *optstart = NULL;
	int r = 0;

	memset(&o, 0, sizeof(o));
	*hit = false;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	/* sshd(8): a line is "options keytype base64 comment" where options are optional; try
	 * it as a key first, and only then as options followed by a key. */
	r = key_parse_public_line(p, &key, NULL, NULL);
	if (r == FERRY_ENOMEM)
		return r;
	if (r != 0) {
		optstart = p;
		const char *rest = options_field_end(p);
		while (*rest == ' ' || *rest == '\t')
			rest++;
		r = key_parse_public_line(rest, &key, NULL, NULL);
		if (r == FERRY_ENOMEM)
			return r;
		if (r != 0) {
			log_debug2("%s:%lu: skipping line: no key ferry can use (%s)", label, lineno,
				   ferry_strerror(r));
			return 0;
		}
		r = authkeys_parse_options(optstart, &o, NULL, &why);
		if (r == FERRY_ENOMEM)
			goto out;
		if (r != 0) {
			/* As sshd: a line whose options cannot be understood is never used. */
			flog(FLOG_INFO, "%s:%lu: bad key options: %s", label, lineno,
			     why ? why : "invalid");
			r = 0;
			goto out;
		}
	}
	if (!key_equal_public(key, q->key))
		goto out;
	if (o.cert_authority || o.principals != NULL) {
		log_debug1("%s:%lu: skipping certificate authority line (ferryd accepts no "
			   "certificates)", label, lineno);
		goto out;
	}
	if (o.from != NULL) {
		int m = 0;
		const char *addr = q->address ? q->address : "";
		if (cfg_match_host_and_address(q->host, addr, o.from, &m) != 0 || m != 1) {
			flog(FLOG_INFO, "Authentication tried with correct key but not from a "
			     "permitted host (host=%s, ip=%s) (%s:%lu)", q->host ? q->host : addr,
			     addr, label, lineno);
			goto out;
		}
	}
	if (o.expiry_time != 0) {
		time_t now = q->now ? q->now : time(NULL);
		if ((int64_t)now > o.expiry_time) {
			flog(FLOG_INFO, "%s:%lu: key has expired", label, lineno);
			goto out;
		}
	}
	*hit = true;
	*opts = o;
	memset(&o, 0, sizeof(o));
out:
	free(why);
	key_free(key);
	authkeys_opts_free(&o);
	return r;
}

/* Feeds one raw line (not NUL-terminated, may end in \r) to check_line. */
static int scan_line(const char *s, size_t n, const char *label, unsigned long lineno,
		     const struct authkeys_query *q, struct authkeys_result *res)
{
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	char *line = strndup(s, n);
	bool hit = false;
	struct authkeys_opts opts;
	if (line == NULL)
		return FERRY_ENOMEM;
	memset(&opts, 0, sizeof(opts));
	int r = check_line(line, label, lineno, q, &hit, &opts);
	free(line);
	if (r != 0 || !hit)
		return r;
	if ((res->file = strdup(label)) == NULL) {
		authkeys_opts_free(&opts);
		return FERRY_ENOMEM;
	}
	res->authorized = true;
	res->opts = opts;
	res->line = lineno;
	return 0;
}

int authkeys_check_buffer(const char *text, size_t len, const char *label,
			  const struct authkeys_query *q, struct authkeys_result *res)
{
	struct authkeys_result out;
	unsigned long lineno = 0;
	size_t pos = 0;
	int r = 0;

	memset(&out, 0, sizeof(out));
	if (q == NULL || q->key == NULL || res == NULL)
		return FERRY_EINVAL;
	while (pos < len && !out.authorized) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		lineno++;
		if ((r = scan_line(text + pos, n, label, lineno, q, &out)) != 0)
			goto out;
		pos += n + (nl ? 1 : 0);
	}
	*res = out;
	memset(&out, 0, sizeof(out));
out:
	authkeys_result_free(&out);
	return r;
}

static int check_stream(FILE *f, const char *label, const struct authkeys_query *q,
			struct authkeys_result *res)
{
	struct authkeys_result out;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	int r = 0;

	memset(&out, 0, sizeof(out));
	while (!out.authorized && (n = getline(&line, &cap, f)) != -1) {
		lineno++;
		if ((r = scan_line(line, (size_t)n, label, lineno, q, &out)) != 0)
			goto out;
	}
	if (!out.authorized && ferror(f)) {
		r = FERRY_EIO;
		goto out;
	}
	*res = out;
	memset(&out, 0, sizeof(out));
out:
	free(line);
	authkeys_result_free(&out);
	return r;
}

int authkeys_check_file(const char *path, const struct authkeys_query *q,
			struct authkeys_result *res)
{
	if (q == NULL || q->key == NULL || res == NULL)
		return FERRY_EINVAL;
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT || errno == ENOTDIR) {
			memset(res, 0, sizeof(*res));
			return 0;
		}
		return ferry_from_errno(errno);
	}
	int r = check_stream(f, path, q, res);
	fclose(f);
	return r;
}

/* ---- AuthorizedKeysFile tokens --------------------------------------------------------------- */

bool authkeys_path_tokens_valid(const char *pattern)
{
	for (const char *p = pattern; (p = strchr(p, '%')) != NULL; p += 2)
		if (p[1] == '\0' || strchr("%huU", p[1]) == NULL)
			return false;
	return true;
}

int authkeys_expand_path(const char *pattern, const struct authkeys_user *u, char **out,
			 char **why)
{
	char uidstr[24];
	int r = 0;
	snprintf(uidstr, sizeof(uidstr), "%lu", (unsigned long)u->uid);
	/* Bound the size first: no token expands to more than the longest of its values. */
	size_t longest = strlen(u->home);
	if (strlen(u->name) > longest)
		longest = strlen(u->name);
	if (strlen(uidstr) > longest)
		longest = strlen(uidstr);
	size_t cap = strlen(pattern) + 1;
	for (const char *p = pattern; *p; p++)
		if (*p == '%')
			cap += longest;
	char *s = malloc(cap);
	char *full = NULL;
	if (s == NULL)
		return FERRY_ENOMEM;
	size_t n = 0;
	for (const char *p = pattern; *p; p++) {
		if (*p != '%') {
			s[n++] = *p;
			continue;
		}
		const char *v = NULL;
		switch (p[1]) {
		case '%': v = "%"; break;
		case 'h': v = u->home; break;
		case 'u': v = u->name; break;
		case 'U': v = uidstr; break;
		default:
			r = cfg_errorf(why, "AuthorizedKeysFile %s: unknown token %%%c", pattern,
				       p[1] ? p[1] : ' ');
			goto out;
		}
		size_t vl = strlen(v);
		memcpy(s + n, v, vl);
		n += vl;
		p++;
	}
	s[n] = '\0';
	if (s[0] == '/') {
		*out = s;
		return 0;
	}
	/* sshd(8): a path that is not absolute after expansion is relative to the home
	 * directory. */
	full = str_printf("%s/%s", strcmp(u->home, "/") == 0 ? "" : u->home, s);
	if (full == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	*out = full;
out:
	free(s);
	return r;
}

/* ---- StrictModes ----------------------------------------------------------------------------- */

/* sshd's rule for each piece: owned by the user or root, not writable by group or others. */
static bool mode_ok(const struct stat *st, uid_t uid)
{
	return (st->st_uid == 0 || st->st_uid == uid) && (st->st_mode & 022) == 0;
}

/* Checks the directories above real (a resolved path) up to home or /. */
static int check_dirs(const char *real, uid_t uid, const char *home, char **why)
{
	char *homereal = home ? realpath(home, NULL) : NULL;
	char *dir = strdup(real);
	int r = 0;
	if (dir == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (slash == NULL)
			break;
		if (slash == dir)
			slash[1] = '\0';        /* the root directory itself */
		else
			*slash = '\0';
		struct stat st;
		if (stat(dir, &st) != 0) {
			r = cfg_errorf(why, "stat %s: %s", dir, strerror(errno));
			if (r == FERRY_ECONFIG)
				r = FERRY_EPERM;
			goto out;
		}
		if (!mode_ok(&st, uid)) {
			r = cfg_errorf(why, "bad ownership or modes for directory %s", dir);
			if (r == FERRY_ECONFIG)
				r = FERRY_EPERM;
			goto out;
		}
		/* Up to the home directory when the file is under it; else to the root. */
		if (homereal != NULL && strcmp(dir, homereal) == 0)
			break;
		if (strcmp(dir, "/") == 0)
			break;
	}
out:
	free(homereal);
	free(dir);
	return r;
}

/* The file part of the check, on an already made stat. */
static int check_file_stat(const struct stat *st, const char *real, uid_t uid, char **why)
{
	int r = 0;
	if (!S_ISREG(st->st_mode))
		r = cfg_errorf(why, "%s is not a regular file", real);
	else if (!mode_ok(st, uid))
		r = cfg_errorf(why, "bad ownership or modes for file %s", real);
	return r == FERRY_ECONFIG ? FERRY_EPERM : r;
}

int authkeys_check_modes(const char *path, uid_t uid, const char *home, char **why)
{
	char *real = realpath(path, NULL);
	struct stat st;
	int r;
	if (real == NULL) {
		if (errno == ENOENT)
			return FERRY_ENOENT;
		r = cfg_errorf(why, "realpath %s failed: %s", path, strerror(errno));
		return r == FERRY_ECONFIG ? FERRY_EPERM : r;
	}
	if (stat(real, &st) != 0) {
		r = cfg_errorf(why, "stat %s: %s", real, strerror(errno));
		r = r == FERRY_ECONFIG ? FERRY_EPERM : r;
	} else if ((r = check_file_stat(&st, real, uid, why)) == 0) {
		r = check_dirs(real, uid, home, why);
	}
	free(real);
	return r;
}

/* ---- the whole decision ------------------------------------------------------------------------ */

/* One AuthorizedKeysFile entry. */
static int try_file(const char *path, bool strict_modes, const struct authkeys_user *u,
		    const struct authkeys_query *q, struct authkeys_result *res)
{
	char *why = NULL;
	char *real = NULL;
	int r = 0;
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT || errno == ENOTDIR)
			log_debug1("authorized keys file %s for %s does not exist", path, u->name);
		else
			flog(FLOG_INFO, "Could not open authorized keys '%s': %s", path,
			     strerror(errno));
		return 0;
	}
	if (strict_modes) {
		/* The file itself is checked through the descriptor we read from, so it cannot
		 * be swapped between the check and the read; the directories by path. */
		struct stat st;
		if ((real = realpath(path, NULL)) == NULL || fstat(fileno(f), &st) != 0) {
			r = cfg_errorf(&why, "cannot resolve %s: %s", path, strerror(errno));
		} else if ((r = check_file_stat(&st, real, u->uid, &why)) == 0) {
			r = check_dirs(real, u->uid, u->home, &why);
		}
		if (r == FERRY_ENOMEM)
			goto out;
		if (r != 0) {
			flog(FLOG_INFO, "Authentication refused: %s", why ? why : path);
			r = 0;
			goto out;
		}
	}
	r = check_stream(f, path, q, res);
	if (r == FERRY_EIO) {
		flog(FLOG_INFO, "Could not read authorized keys '%s'", path);
		r = 0;
	}
out:
	free(why);
	free(real);
	fclose(f);
	return r;
}

/* The identity files are opened with while running as root: the user's uid, gid and groups,
 * as sshd's temporarily_use_uid. Only the file-system ids change (per thread) and the
 * supplementary groups (per process); both are put back before authkeys_authorize returns. */
struct fs_identity {
	bool ids_switched;
	bool groups_switched;
	uid_t old_fsuid;
	gid_t old_fsgid;
	gid_t *old_groups;
	int n_old_groups;
};

static int identity_take(struct fs_identity *id, const struct authkeys_user *u)
{
	gid_t *groups = NULL;
	int n = 32, r = FERRY_EPERM;

	memset(id, 0, sizeof(*id));
	int n_old = getgroups(0, NULL);
	if (n_old < 0)
		return FERRY_EPERM;
	if ((id->old_groups = calloc((size_t)n_old + 1, sizeof(gid_t))) == NULL)
		return FERRY_ENOMEM;
	if ((id->n_old_groups = getgroups(n_old, id->old_groups)) < 0)
		return FERRY_EPERM;
	for (int tries = 0; tries < 8; tries++) {
		gid_t *g = realloc(groups, (size_t)n * sizeof(*g));
		if (g == NULL) {
			r = FERRY_ENOMEM;
			goto out;
		}
		groups = g;
		int want = n;
		if (getgrouplist(u->name, u->gid, groups, &want) >= 0) {
			n = want;
			break;
		}
		n = want > n ? want : n * 2;
	}
	if (setgroups((size_t)n, groups) != 0)
		goto out;
	id->groups_switched = true;
	id->old_fsgid = (gid_t)setfsgid(u->gid);
	id->old_fsuid = (uid_t)setfsuid(u->uid);
	id->ids_switched = true;
	if ((uid_t)setfsuid((uid_t)-1) != u->uid || (gid_t)setfsgid((gid_t)-1) != u->gid)
		goto out;
	r = 0;
out:
	free(groups);
	return r;
}

static int identity_restore(struct fs_identity *id)
{
	int r = 0;
	if (id->ids_switched) {
		setfsuid(id->old_fsuid);
		setfsgid(id->old_fsgid);
		if ((uid_t)setfsuid((uid_t)-1) != id->old_fsuid ||
		    (gid_t)setfsgid((gid_t)-1) != id->old_fsgid)
			r = FERRY_EPERM;
	}
	if (id->groups_switched && setgroups((size_t)id->n_old_groups, id->old_groups) != 0)
		r = FERRY_EPERM;
	free(id->old_groups);
	memset(id, 0, sizeof(*id));
	if (r != 0)
		flog(FLOG_ERROR, "cannot restore the file-system identity after reading "
		     "authorized keys");
	return r;
}

int authkeys_authorize(const struct ssh_strlist *files, bool strict_modes,
		       const struct authkeys_user *u, const struct authkeys_query *q,
		       struct authkeys_result *res)
{
	struct authkeys_result out;
	struct fs_identity id;
	bool switched = false;
	int r = 0;

	if (files == NULL || u == NULL || q == NULL || q->key == NULL || res == NULL)
		return FERRY_EINVAL;
	memset(&out, 0, sizeof(out));
	memset(&id, 0, sizeof(id));
	if (geteuid() == 0 && u->uid != 0) {
		switched = true;
		r = identity_take(&id, u);
		if (r == FERRY_ENOMEM)
			goto out;
		if (r != 0) {
			/* Reading as root instead could be tricked by the user's symlinks: refuse. */
			flog(FLOG_ERROR, "cannot take the file-system identity of %s", u->name);
			r = 0;
			goto done;
		}
	}
	for (size_t k = 0; k < files->n && !out.authorized; k++) {
		char *path = NULL, *why = NULL;
		r = authkeys_expand_path(files->v[k], u, &path, &why);
		if (r == FERRY_ENOMEM)
			goto out;
		if (r != 0) {
			flog(FLOG_ERROR, "%s", why ? why : "bad AuthorizedKeysFile");
			free(why);
			r = 0;
			continue;
		}
		r = try_file(path, strict_modes, u, q, &out);
		free(path);
		if (r != 0)
			goto out;
	}
done:
	if (switched) {
		switched = false;
		if ((r = identity_restore(&id)) != 0)
			goto out;
	}
	*res = out;
	memset(&out, 0, sizeof(out));
out:
	if (switched && identity_restore(&id) != 0 && r == 0)
		r = FERRY_EPERM;
	authkeys_result_free(&out);
	return r;
}
