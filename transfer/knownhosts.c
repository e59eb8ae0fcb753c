/* known_hosts lookup, append and messages (OpenSSH sshd(8) SSH_KNOWN_HOSTS FILE FORMAT;
 * hashed host names as in ssh-keygen(1) -H); see docs/internals/client-config.md. */
#include "transfer/knownhosts.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"
#include "crypto/hash.h"
#include "transfer/sshconfig.h"

#define HASH_MAGIC "|1|"        /* the only hashed-name format: HMAC-SHA1, 20-byte salt */
#define SHA1_LEN 20
#define MAX_OTHER_NAMES 8       /* other names listed in the first-contact question */

static const char at_line[] = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@";

enum marker { MARK_NONE, MARK_REVOKED };

/* One parsed entry, handed to a scan callback; everything is borrowed for the call. */
struct entry {
	const char *file;
	unsigned long line;
	enum marker marker;
	const char *names;      /* the name field as written */
	const struct ferry_key *key;
};

/* Returns nonzero (a FERRY_E* code) to stop the scan. */
typedef int (*entry_fn)(void *arg, const struct entry *e);

/* OpenSSH's short type names, as its messages use them. */
static const char *short_type(enum key_type t)
{
	switch (t) {
	case KEY_ED25519:
		return "ED25519";
	case KEY_ECDSA_P256:
	case KEY_ECDSA_P384:
	case KEY_ECDSA_P521:
		return "ECDSA";
	case KEY_RSA:
		return "RSA";
	}
	return "UNKNOWN";
}

int knownhosts_host_name(const char *host, int port, char **out)
{
	char *s = (port == 0 || port == 22) ? strdup(host) : str_printf("[%s]:%d", host, port);
	if (s == NULL)
		return FERRY_ENOMEM;
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	*out = s;
	return 0;
}

/* True if the hashed field "|1|salt|hash" is HMAC-SHA1(salt, name). Malformed fields do not
 * match. */
static bool hashed_name_matches(const char *field, const char *name)
{
	const char *salt64 = field + strlen(HASH_MAGIC);
	const char *bar = strchr(salt64, '|');
	uint8_t *salt = NULL, *want = NULL;
	size_t salt_len = 0, want_len = 0;
	uint8_t got[SHA1_LEN];
	bool hit = false;

	if (bar == NULL)
		return false;
	if (b64_decode(salt64, (size_t)(bar - salt64), &salt, &salt_len) != 0)
		goto out;
	if (b64_decode(bar + 1, strlen(bar + 1), &want, &want_len) != 0)
		goto out;
	if (salt_len != SHA1_LEN || want_len != SHA1_LEN)
		goto out;
	if (hmac_oneshot(HASH_SHA1, salt, salt_len, name, strlen(name), got) != 0)
		goto out;
	hit = crypto_memcmp(got, want, SHA1_LEN) == 0;
out:
	free(salt);
	free(want);
	return hit;
}

/* True if an entry's name field applies to the lookup name. */
static bool names_match(const char *field, const char *name)
{
	if (strncmp(field, HASH_MAGIC, strlen(HASH_MAGIC)) == 0)
		return hashed_name_matches(field, name);
	/* sshd(8): a pattern list; a matching negated pattern excludes the host. */
	return ssh_match_pattern_list(name, field, true) == 1;
}

/* Parses one line; calls fn for an entry whose names match name (every entry if name is NULL).
 * Lines that do not parse are skipped: a bad line must not lock the user out. */
static int scan_line(const char *file, unsigned long lineno, char *line, const char *name,
		     entry_fn fn, void *arg)
{
	char *p = line;
	enum marker marker = MARK_NONE;
	struct ferry_key *key = NULL;
	int r;

	p += strspn(p, " \t");
	if (*p == '\0' || *p == '\n' || *p == '\r' || *p == '#')
		return 0;
	if (*p == '@') {
		size_t n = strcspn(p, " \t\r\n");
		if (n == strlen("@revoked") && strncmp(p, "@revoked", n) == 0) {
			marker = MARK_REVOKED;
		} else {
			/* @cert-authority (no host certificates in ferry) or an unknown marker. */
			return 0;
		}
		p += n;
		p += strspn(p, " \t");
	}
	char *names = p;
	p += strcspn(p, " \t\r\n");
	if (p == names || (*p != ' ' && *p != '\t'))
		return 0;
	*p++ = '\0';
	if (name != NULL && !names_match(names, name))
		return 0;
	r = key_parse_public_line(p, &key, NULL, NULL);
	if (r != 0) {
		if (r == FERRY_ENOMEM)
			return r;
		log_debug2("%s:%lu: skipping unparsable known_hosts line", file, lineno);
		return 0;
	}
	struct entry e = { file, lineno, marker, names, key };
	r = fn(arg, &e);
	key_free(key);
	return r;
}

/* Walks every entry of every file that applies to name (NULL: all entries). */
static int scan_files(const char *const *files, size_t nfiles, const char *name, entry_fn fn,
		      void *arg)
{
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	for (size_t i = 0; i < nfiles && r == 0; i++) {
		FILE *f = fopen(files[i], "re");
		if (f == NULL) {
			if (errno != ENOENT)
				log_debug1("known hosts file %s inaccessible: %s", files[i],
					   strerror(errno));
			continue;
		}
		unsigned long lineno = 0;
		while (r == 0 && getline(&line, &cap, f) != -1)
			r = scan_line(files[i], ++lineno, line, name, fn, arg);
		fclose(f);
	}
	free(line);
	return r;
}

/* ---- check ------------------------------------------------------------------------------ */

struct found {
	bool set;
	const char *file;       /* the caller's files[i], valid after the scan */
	unsigned long line;
	enum key_type type;
};

struct check_state {
	const struct ferry_key *key;
	enum key_type type;
	struct found match, revoked, first, same_type;
};

/* Records the first entry of a kind. */
static void found_set(struct found *f, const struct entry *e)
{
	if (f->set)
		return;
	f->set = true;
	f->file = e->file;
	f->line = e->line;
	f->type = key_get_type(e->key);
}

static int check_entry(void *arg, const struct entry *e)
{
	struct check_state *st = arg;
	bool equal = key_equal_public(st->key, e->key);
	if (e->marker == MARK_REVOKED) {
		if (equal)
			found_set(&st->revoked, e);
		return 0;
	}
	if (equal) {
		found_set(&st->match, e);
		return 0;
	}
	found_set(&st->first, e);
	if (key_get_type(e->key) == st->type)
		found_set(&st->same_type, e);
	return 0;
}

int knownhosts_check(const char *const *files, size_t nfiles, const char *host, int port,
		     const struct ferry_key *key, struct knownhosts_result *out)
{
	struct check_state st;
	struct knownhosts_result res;
	const struct found *f = NULL;
	char *name = NULL;
	int r;

	if (host == NULL || key == NULL || out == NULL || (files == NULL && nfiles > 0))
		return FERRY_EINVAL;
	if ((r = knownhosts_host_name(host, port, &name)) != 0)
		return r;
	memset(&st, 0, sizeof(st));
	st.key = key;
	st.type = key_get_type(key);
	if ((r = scan_files(files, nfiles, name, check_entry, &st)) != 0)
		goto out;

	memset(&res, 0, sizeof(res));
	if (st.revoked.set) {
		res.status = KNOWNHOSTS_REVOKED;
		f = &st.revoked;
	} else if (st.match.set) {
		res.status = KNOWNHOSTS_MATCH;
		f = &st.match;
	} else if (st.first.set) {
		res.status = KNOWNHOSTS_CHANGED;
		res.other_type_only = !st.same_type.set;
		f = st.same_type.set ? &st.same_type : &st.first;
		res.entry_type = f->type;
	} else {
		res.status = KNOWNHOSTS_NOT_FOUND;
	}
	if (f != NULL) {
		if ((res.file = strdup(f->file)) == NULL) {
			r = FERRY_ENOMEM;
			goto out;
		}
		res.line = f->line;
	}
	*out = res;
out:
	free(name);
	return r;
}

void knownhosts_result_free(struct knownhosts_result *r)
{
	if (r == NULL)
		return;
	free(r->file);
	memset(r, 0, sizeof(*r));
}

/* ---- add ---------------------------------------------------------------------------------- */

/* A host name we can write as one plain, literal name (no pattern or marker characters). */
static bool host_name_writable(const char *host)
{
	if (host[0] == '\0')
		return false;
	for (const unsigned char *p = (const unsigned char *)host; *p; p++) {
		if (*p <= ' ' || *p == 0x7f || strchr(",*?![]|@#", *p) != NULL)
			return false;
	}
	return true;
}

/* "|1|salt|hmac" for name with a fresh random salt. */
static int hash_name(const char *name, char **out)
{
	uint8_t salt[SHA1_LEN], mac[SHA1_LEN];
	char *s64 = NULL, *m64 = NULL;
	int r;

	if ((r = crypto_random(salt, sizeof(salt))) != 0)
		return r;
	if ((r = hmac_oneshot(HASH_SHA1, salt, sizeof(salt), name, strlen(name), mac)) != 0)
		return r;
	s64 = b64_encode(salt, sizeof(salt));
	m64 = b64_encode(mac, sizeof(mac));
	char *s = (s64 && m64) ? str_printf(HASH_MAGIC "%s|%s", s64, m64) : NULL;
	free(s64);
	free(m64);
	if (s == NULL)
		return FERRY_ENOMEM;
	*out = s;
	return 0;
}

/* Creates the file's directory (one level, mode 0700) if it does not exist. */
static int ensure_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (slash == NULL || slash == path)
		return 0;
	char *dir = strndup(path, (size_t)(slash - path));
	if (dir == NULL)
		return FERRY_ENOMEM;
	int r = 0;
	struct stat st;
	if (stat(dir, &st) != 0) {
		if (errno != ENOENT || mkdir(dir, 0700) != 0)
			r = ferry_from_errno(errno);
		else
			log_debug1("Created directory '%s'.", dir);
	}
	free(dir);
	return r;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return ferry_from_errno(errno);
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int knownhosts_add(const char *path, const char *host, int port, const struct ferry_key *key,
		   bool hash)
{
	char *name = NULL, *field = NULL, *keytext = NULL, *line = NULL;
	int fd = -1;
	int r;

	if (path == NULL || host == NULL || key == NULL || !host_name_writable(host) || port < 0 ||
	    port > 65535)
		return FERRY_EINVAL;
	if ((r = knownhosts_host_name(host, port, &name)) != 0)
		goto out;
	if (hash) {
		if ((r = hash_name(name, &field)) != 0)
			goto out;
	} else if ((field = strdup(name)) == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	if ((r = key_format_public(key, &keytext)) != 0)
		goto out;
	if ((r = ensure_parent_dir(path)) != 0)
		goto out;
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = ferry_from_errno(errno);
		goto out;
	}
	/* A last line without its newline would swallow our entry: start a fresh line. */
	bool need_nl = false;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		r = ferry_from_errno(errno);
		goto out;
	}
	if (st.st_size > 0) {
		char last = '\n';
		if (pread(fd, &last, 1, st.st_size - 1) == 1 && last != '\n')
			need_nl = true;
	}
	if ((line = str_printf("%s%s %s\n", need_nl ? "\n" : "", field, keytext)) == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	r = write_all(fd, line, strlen(line));
out:
	if (fd >= 0 && close(fd) != 0 && r == 0)
		r = ferry_from_errno(errno);
	free(name);
	free(field);
	free(keytext);
	free(line);
	return r;
}

/* ---- host key algorithm order ------------------------------------------------------------ */

struct type_set {
	bool has[KEY_RSA + 1];
};

static int collect_type(void *arg, const struct entry *e)
{
	struct type_set *ts = arg;
	enum key_type t = key_get_type(e->key);
	if (e->marker == MARK_NONE && (int)t >= 0 && t <= KEY_RSA)
		ts->has[t] = true;
	return 0;
}

int knownhosts_order_hostkey_algs(const char *const *files, size_t nfiles, const char *host,
				  int port, const char *algs, char **out)
{
	struct type_set ts;
	char *name = NULL, *copy = NULL;
	char *known = NULL, *rest = NULL;
	int r;

	if (host == NULL || algs == NULL || out == NULL)
		return FERRY_EINVAL;
	memset(&ts, 0, sizeof(ts));
	if ((r = knownhosts_host_name(host, port, &name)) != 0)
		goto out;
	if ((r = scan_files(files, nfiles, name, collect_type, &ts)) != 0)
		goto out;
	if ((copy = strdup(algs)) == NULL || (known = strdup("")) == NULL ||
	    (rest = strdup("")) == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	char *save = NULL;
	for (char *a = strtok_r(copy, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		enum key_type t;
		bool is_known = key_sigalg_type(a, &t) == 0 && t <= KEY_RSA && ts.has[t];
		char **dst = is_known ? &known : &rest;
		char *s = str_printf("%s%s%s", *dst, **dst ? "," : "", a);
		if (s == NULL) {
			r = FERRY_ENOMEM;
			goto out;
		}
		free(*dst);
		*dst = s;
	}
	char *s = str_printf("%s%s%s", known, (*known && *rest) ? "," : "", rest);
	if (s == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	*out = s;
out:
	free(name);
	free(copy);
	free(known);
	free(rest);
	return r;
}

/* ---- texts -------------------------------------------------------------------------------- */

/* Name, short type and fingerprint of the presented key, which every text needs. */
struct text_parts {
	char *name;
	const char *type;
	char *fp;
};

static int text_parts_get(const char *host, int port, const struct ferry_key *key,
			  struct text_parts *tp)
{
	int r;
	memset(tp, 0, sizeof(*tp));
	if (host == NULL || key == NULL)
		return FERRY_EINVAL;
	if ((r = knownhosts_host_name(host, port, &tp->name)) != 0)
		return r;
	if ((r = key_fingerprint(key, &tp->fp)) != 0) {
		free(tp->name);
		tp->name = NULL;
		return r;
	}
	tp->type = short_type(key_get_type(key));
	return 0;
}

static void text_parts_free(struct text_parts *tp)
{
	free(tp->name);
	free(tp->fp);
}

static int give(char *s, char **out)
{
	if (s == NULL)
		return FERRY_ENOMEM;
	*out = s;
	return 0;
}

int knownhosts_text_added(const char *host, int port, const struct ferry_key *key, char **out)
{
	struct text_parts tp;
	int r = text_parts_get(host, port, key, &tp);
	if (r != 0)
		return r;
	r = give(str_printf("Warning: Permanently added '%s' (%s) to the list of known hosts.\n",
			    tp.name, tp.type), out);
	text_parts_free(&tp);
	return r;
}

int knownhosts_text_changed(const char *host, int port, const struct ferry_key *key,
			    const char *add_file, const struct knownhosts_result *res, bool strict,
			    char **out)
{
	struct text_parts tp;
	if (res == NULL || res->status != KNOWNHOSTS_CHANGED || res->file == NULL)
		return FERRY_EINVAL;
	int r = text_parts_get(host, port, key, &tp);
	if (r != 0)
		return r;
	char *tail = strict ? str_printf("Host key for %s has changed and you have requested "
					 "strict checking.\nHost key verification failed.\n",
					 tp.name)
			    : strdup("");
	char *s = tail ? str_printf(
		"%s\n"
		"@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"
		"%s\n"
		"IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!\n"
		"Someone could be eavesdropping on you right now (man-in-the-middle attack)!\n"
		"It is also possible that a host key has just been changed.\n"
		"The fingerprint for the %s key sent by the remote host is\n"
		"%s.\n"
		"Please contact your system administrator.\n"
		"Add correct host key in %s to get rid of this message.\n"
		"Offending %s key in %s:%lu\n"
		"  remove with:\n"
		"  ssh-keygen -f \"%s\" -R \"%s\"\n"
		"%s",
		at_line, at_line, tp.type, tp.fp, add_file ? add_file : res->file,
		short_type(res->entry_type), res->file, res->line, res->file, tp.name, tail) : NULL;
	r = give(s, out);
	free(tail);
	text_parts_free(&tp);
	return r;
}

int knownhosts_text_revoked(const char *host, int port, const struct ferry_key *key, bool strict,
			    char **out)
{
	struct text_parts tp;
	int r = text_parts_get(host, port, key, &tp);
	if (r != 0)
		return r;
	char *tail = strict ? str_printf("%s host key for %s was revoked and you have requested "
					 "strict checking.\nHost key verification failed.\n",
					 tp.type, tp.name)
			    : strdup("");
	char *s = tail ? str_printf(
		"%s\n"
		"@       WARNING: REVOKED HOST KEY DETECTED!               @\n"
		"%s\n"
		"The %s host key for %s is marked as revoked.\n"
		"This could mean that a stolen key is being used to\n"
		"impersonate this host.\n"
		"%s",
		at_line, at_line, tp.type, tp.name, tail) : NULL;
	r = give(s, out);
	free(tail);
	text_parts_free(&tp);
	return r;
}

int knownhosts_text_not_found(const char *host, int port, const struct ferry_key *key,
			      char **out)
{
	struct text_parts tp;
	int r = text_parts_get(host, port, key, &tp);
	if (r != 0)
		return r;
	r = give(str_printf("No %s host key is known for %s and you have requested strict "
			    "checking.\nHost key verification failed.\n", tp.type, tp.name), out);
	text_parts_free(&tp);
	return r;
}

struct other_names {
	const struct ferry_key *key;
	const char *skip_name;  /* the lookup name: entries for it are not "other" names */
	char *text;             /* accumulated "    FILE:LINE: NAME\n" lines */
	int count;
	int r;
};

static int collect_other_name(void *arg, const struct entry *e)
{
	struct other_names *on = arg;
	if (e->marker != MARK_NONE || !key_equal_public(on->key, e->key) ||
	    names_match(e->names, on->skip_name))
		return 0;
	if (++on->count > MAX_OTHER_NAMES)
		return 0;
	bool hashed = strncmp(e->names, HASH_MAGIC, strlen(HASH_MAGIC)) == 0;
	char *s = str_printf("%s    %s:%lu: %s\n", on->text, e->file, e->line,
			     hashed ? "[hashed name]" : e->names);
	if (s == NULL)
		return FERRY_ENOMEM;
	free(on->text);
	on->text = s;
	return 0;
}

int knownhosts_text_ask(const char *const *files, size_t nfiles, const char *host, int port,
			const char *ip, const struct ferry_key *key, char **out)
{
	struct text_parts tp;
	struct other_names on = { key, NULL, NULL, 0, 0 };
	char *ipname = NULL, *others = NULL;
	int r = text_parts_get(host, port, key, &tp);
	if (r != 0)
		return r;
	if (ip != NULL && (r = knownhosts_host_name(ip, port, &ipname)) != 0)
		goto out;
	on.skip_name = tp.name;
	if ((on.text = strdup("")) == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	if ((r = scan_files(files, nfiles, NULL, collect_other_name, &on)) != 0)
		goto out;
	if (on.count == 0)
		others = strdup("This key is not known by any other names.\n");
	else if (on.count > MAX_OTHER_NAMES)
		others = str_printf("This host key is known by the following other "
				    "names/addresses:\n%s    (%d additional names omitted)\n",
				    on.text, on.count - MAX_OTHER_NAMES);
	else
		others = str_printf("This host key is known by the following other "
				    "names/addresses:\n%s", on.text);
	if (others == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	r = give(str_printf("The authenticity of host '%s%s%s%s' can't be established.\n"
			    "%s key fingerprint is %s.\n"
			    "%s"
			    "Are you sure you want to continue connecting (yes/no/[fingerprint])? ",
			    tp.name, ipname ? " (" : "", ipname ? ipname : "", ipname ? ")" : "",
			    tp.type, tp.fp, others), out);
out:
	free(ipname);
	free(others);
	free(on.text);
	text_parts_free(&tp);
	return r;
}
