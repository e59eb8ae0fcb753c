/* ferryd's host keys (RFC 4253 §6.6): load the configured ones, or create and keep one ed25519
 * key in the state directory (docs/internals/server-policy.md). */
#include "transfer/hostkeys.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"
#include "crypto/hash.h"

int hostkeys_state_dir(bool as_root, char **out)
{
	char *s = NULL;
	if (as_root) {
		s = strdup(HOSTKEYS_ROOT_DIR);
	} else {
		/* XDG Base Directory: a relative $XDG_STATE_HOME is to be ignored. */
		const char *xdg = getenv("XDG_STATE_HOME");
		if (xdg != NULL && xdg[0] == '/') {
			s = str_printf("%s/ferry", xdg);
		} else {
			char *home = NULL;
			int r = cfg_own_home(&home);
			if (r != 0)
				return r;
			s = str_printf("%s/.local/state/ferry", strcmp(home, "/") == 0 ? "" : home);
			free(home);
		}
	}
	if (s == NULL)
		return FERRY_ENOMEM;
	*out = s;
	return 0;
}

/* Why a key did not load, in words for the log. */
static const char *load_error_text(int r)
{
	switch (r) {
	case FERRY_ENOENT: return "no such file";
	case FERRY_EPERM: return "permission denied";
	case FERRY_EKEYFORMAT: return "not a private key file ferry can read";
	case FERRY_ENOTSUP: return "unsupported key type, or the key is encrypted";
	default: return ferry_strerror(r);
	}
}

/* Loads one private host key, refusing one that others could read (as sshd does for a key file
 * we own: the secret is only as safe as the file). */
static int load_one(const char *path, struct ferry_key **out, char **errmsg)
{
	struct stat st;
	struct ferry_key *k = NULL;
	int r;
	if (stat(path, &st) == 0 && st.st_uid == getuid() && (st.st_mode & 077) != 0) {
		r = cfg_errorf(errmsg, "Permissions 0%03o for '%s' are too open: a host key must "
			       "not be accessible by others", (unsigned)(st.st_mode & 0777), path);
		return r == FERRY_ENOMEM ? r : FERRY_EPERM;
	}
	r = key_load_private(path, &k);
	if (r == 0 && !key_has_private(k)) {
		key_free(k);
		r = FERRY_EKEYFORMAT;
	}
	if (r != 0) {
		int e = cfg_errorf(errmsg, "Unable to load host key %s: %s", path, load_error_text(r));
		return e == FERRY_ENOMEM ? e : r;
	}
	*out = k;
	return 0;
}

static int keys_append(struct ferry_key ***keys, size_t *n, struct ferry_key *k)
{
	struct ferry_key **v = realloc(*keys, (*n + 1) * sizeof(*v));
	if (v == NULL)
		return FERRY_ENOMEM;
	v[(*n)++] = k;
	*keys = v;
	return 0;
}

/* mkdir -p for the state directory: the last component gets mode, created parents 0700
 * (XDG Base Directory: "created with permissions 0700"). */
static int make_dirs(const char *dir, mode_t mode, char **errmsg)
{
	char *p = strdup(dir);
	int r = 0;
	if (p == NULL)
		return FERRY_ENOMEM;
	for (char *s = p + 1;; s++) {
		bool last = *s == '\0';
		if (*s != '/' && !last)
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, last ? mode : 0700) != 0 && errno != EEXIST) {
			r = cfg_errorf(errmsg, "cannot create directory %s: %s", p, strerror(errno));
			r = r == FERRY_ENOMEM ? r : FERRY_EIO;
			goto out;
		}
		*s = saved;
		if (last)
			break;
	}
	struct stat st;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		r = cfg_errorf(errmsg, "%s is not a directory", dir);
		r = r == FERRY_ENOMEM ? r : FERRY_EIO;
	}
out:
	free(p);
	return r;
}

/* Writes "type base64 comment\n" to path (0644) through a temporary file and a rename. */
static int write_public(const struct ferry_key *k, const char *path, const char *comment)
{
	char *line = NULL, *text = NULL, *tmp = NULL;
	FILE *f = NULL;
	int r = key_format_public(k, &line);
	if (r != 0)
		return r;
	text = str_printf("%s %s\n", line, comment);
	tmp = str_printf("%s.XXXXXX", path);
	if (text == NULL || tmp == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	int fd = mkstemp(tmp);
	if (fd < 0) {
		r = ferry_from_errno(errno);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0644) != 0 || (f = fdopen(fd, "w")) == NULL) {
		r = ferry_from_errno(errno);
		close(fd);
		goto out;
	}
	if (fputs(text, f) == EOF || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		r = FERRY_EIO;
		goto out;
	}
	if (fclose(f) != 0) {
		f = NULL;
		r = FERRY_EIO;
		goto out;
	}
	f = NULL;
	if (rename(tmp, path) != 0) {
		r = ferry_from_errno(errno);
		goto out;
	}
	free(tmp);
	tmp = NULL;
out:
	if (f != NULL)
		fclose(f);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	free(line);
	free(text);
	return r;
}

/* "user@host" for the key comment, as ssh-keygen would write. */
static char *key_comment(void)
{
	char host[HOST_NAME_MAX + 1];
	char buf[16384];
	struct passwd pw, *res = NULL;
	if (gethostname(host, sizeof(host)) != 0)
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	const char *user = "ferryd";
	if (getpwuid_r(geteuid(), &pw, buf, sizeof(buf), &res) == 0 && res != NULL)
		user = res->pw_name;
	return str_printf("%s@%s", user, host);
}

/* Creates the default key at path unless another process got there first; either way *out is
 * the key now at path and *created says whether it was ours. */
static int create_default(const char *path, struct ferry_key **out, bool *created, char **errmsg)
{
	struct ferry_key *k = NULL;
	char *tmp = NULL, *pub = NULL, *comment = NULL;
	unsigned char rnd[8];
	int r;

	if ((r = key_generate(KEY_ED25519, 0, &k)) != 0)
		goto out;
	if ((r = crypto_random(rnd, sizeof(rnd))) != 0)
		goto out;
	comment = key_comment();
	tmp = str_printf("%s.new-%02x%02x%02x%02x%02x%02x%02x%02x", path, rnd[0], rnd[1], rnd[2],
			 rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	pub = str_printf("%s.pub", path);
	if (comment == NULL || tmp == NULL || pub == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	if ((r = key_save_private(k, tmp, comment)) != 0) {
		int e = cfg_errorf(errmsg, "cannot write host key %s: %s", tmp, ferry_strerror(r));
		r = e == FERRY_ENOMEM ? e : r;
		goto out;
	}
	/* link(2) fails if path exists: the first ferryd to get here decides the key; a second
	 * one started at the same moment loads that key rather than replacing it. */
	if (link(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		if (e != EEXIST) {
			r = cfg_errorf(errmsg, "cannot create host key %s: %s", path, strerror(e));
			r = r == FERRY_ENOMEM ? r : FERRY_EIO;
			goto out;
		}
		key_free(k);
		k = NULL;
		if ((r = load_one(path, &k, errmsg)) != 0)
			goto out;
		*created = false;
	} else {
		unlink(tmp);
		*created = true;
		if ((r = write_public(k, pub, comment)) != 0) {
			int e = cfg_errorf(errmsg, "cannot write %s: %s", pub, ferry_strerror(r));
			r = e == FERRY_ENOMEM ? e : r;
			goto out;
		}
	}
	*out = k;
	k = NULL;
out:
	key_free(k);
	free(tmp);
	free(pub);
	free(comment);
	return r;
}

int hostkeys_load_opts(const struct ssh_strlist *files, const char *state_dir, unsigned flags,
		       struct ferry_key ***keys, size_t *nkeys, char **msg, char **errmsg)
{
	struct ferry_key **v = NULL;
	struct ferry_key *k = NULL;
	size_t n = 0;
	char *path = NULL, *note = NULL, *fp = NULL;
	int r = 0;

	if (keys == NULL || nkeys == NULL)
		return FERRY_EINVAL;
	if (files != NULL && files->n > 0) {
		for (size_t i = 0; i < files->n; i++) {
			if ((r = load_one(files->v[i], &k, errmsg)) != 0)
				goto out;
			if ((r = keys_append(&v, &n, k)) != 0)
				goto out;
			k = NULL;
		}
		goto done;
	}

	if (state_dir == NULL)
		return FERRY_EINVAL;
	if ((path = str_printf("%s/%s", state_dir, HOSTKEYS_DEFAULT_NAME)) == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	struct stat st;
	if (stat(path, &st) == 0) {
		if ((r = load_one(path, &k, errmsg)) != 0)
			goto out;
		/* A lost .pub is written again; the key itself is what matters. */
		char *pub = str_printf("%s.pub", path);
		if (pub == NULL) {
			r = FERRY_ENOMEM;
			goto out;
		}
		if (access(pub, F_OK) != 0 && errno == ENOENT) {
			char *comment = key_comment();
			if (comment == NULL || write_public(k, pub, comment) != 0)
				log_debug1("could not rewrite %s", pub);
			free(comment);
		}
		free(pub);
	} else if (errno != ENOENT) {
		r = cfg_errorf(errmsg, "Unable to load host key %s: %s", path, strerror(errno));
		r = r == FERRY_ENOMEM ? r : FERRY_EIO;
		goto out;
	} else if (flags & HOSTKEYS_NO_CREATE) {
		goto done;
	} else {
		bool created = false;
		mode_t mode = strcmp(state_dir, HOSTKEYS_ROOT_DIR) == 0 ? 0755 : 0700;
		if ((r = make_dirs(state_dir, mode, errmsg)) != 0)
			goto out;
		if ((r = create_default(path, &k, &created, errmsg)) != 0)
			goto out;
		if (created) {
			if ((r = key_fingerprint(k, &fp)) != 0)
				goto out;
			if ((note = str_printf("Generated host key ED25519 %s in %s", fp, path)) == NULL) {
				r = FERRY_ENOMEM;
				goto out;
			}
		}
	}
	if ((r = keys_append(&v, &n, k)) != 0)
		goto out;
	k = NULL;
done:
	*keys = v;
	*nkeys = n;
	v = NULL;
	n = 0;
	if (msg != NULL) {
		*msg = note;
		note = NULL;
	}
out:
	for (size_t i = 0; i < n; i++)
		key_free(v[i]);
	free(v);
	key_free(k);
	free(path);
	free(note);
	free(fp);
	return r;
}

int hostkeys_load(const struct ssh_strlist *files, bool as_root, struct ferry_key ***keys,
		  size_t *nkeys, char **msg, char **errmsg)
{
	char *dir = NULL;
	int r = 0;
	if (files == NULL || files->n == 0) {
		r = hostkeys_state_dir(as_root, &dir);
		if (r == FERRY_ENOENT) {
			int e = cfg_errorf(errmsg, "no home directory to keep a host key in; name "
					   "one with HostKey");
			return e == FERRY_ENOMEM ? e : r;
		}
		if (r != 0)
			return r;
	}
	r = hostkeys_load_opts(files, dir, 0, keys, nkeys, msg, errmsg);
	free(dir);
	return r;
}

const struct ferry_key *hostkeys_find(struct ferry_key *const *keys, size_t nkeys,
				      const char *sigalg)
{
	for (size_t i = 0; i < nkeys; i++)
		if (key_sigalg_ok(keys[i], sigalg))
			return keys[i];
	return NULL;
}

int hostkeys_algorithms(struct ferry_key *const *keys, size_t nkeys, const char *allowed,
			char **out)
{
	char *list = strdup(allowed);
	char *res = malloc(strlen(allowed) + 1);
	size_t n = 0;
	if (list == NULL || res == NULL) {
		free(list);
		free(res);
		return FERRY_ENOMEM;
	}
	char *save = NULL;
	for (char *name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		if (hostkeys_find(keys, nkeys, name) == NULL)
			continue;
		if (n > 0)
			res[n++] = ',';
		size_t l = strlen(name);
		memcpy(res + n, name, l);
		n += l;
	}
	res[n] = '\0';
	free(list);
	*out = res;
	return 0;
}
