/* ferryd's password check (RFC 4252 §8): passwd/shadow lookup and crypt(3) with equal work for
 * unknown users, locked accounts and empty passwords (docs/internals/server-policy.md). */
#include "transfer/password.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <shadow.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/hash.h"

/* Fixed "random" bytes for the dummy setting: the salt does not need to be secret or varied,
 * only to make crypt(3) run the system's default method at its default cost, as it does for a
 * password set with passwd(1) or chpasswd(8). */
static const char dummy_salt_bytes[16] = "ferryd-no-user!!";

/* Days since the epoch, the unit of shadow(5)'s dates. */
static long today(void)
{
	return (long)(time(NULL) / 86400);
}

/* shadow(5) aging: the account expired, or the password must be changed. */
static const char *shadow_refusal(const struct spwd *sp)
{
	long now = today();
	/* -1 marks an empty field (no date); 0 is a real date, 1970-01-01. */
	if (sp->sp_expire != -1 && now >= sp->sp_expire)
		return "account expired";
	if (sp->sp_lstchg == 0)
		return "password expired";              /* "must change at next login" */
	if (sp->sp_max >= 0 && sp->sp_lstchg > 0 && now > sp->sp_lstchg + sp->sp_max)
		return "password expired";
	return NULL;
}

int password_check_opts(const char *user, const char *password, size_t password_len,
			bool permit_empty, bool *ok, const char **why)
{
	char pwbuf[16384], spbuf[16384];
	char setting_buf[CRYPT_GENSALT_OUTPUT_SIZE];
	struct passwd pw, *pwres = NULL;
	struct spwd sp, *spres = NULL;
	struct crypt_data *cd = NULL;
	const char *hash = NULL;        /* the stored hash, when the user has a usable one */
	const char *reason = NULL;      /* set for every refusal decided before hashing */
	bool accepted = false;
	int r = 0;

	if (password == NULL || ok == NULL)
		return FERRY_EINVAL;
	/* Refused before any lookup: the answer does not depend on the user. */
	if (password_len > PASSWORD_MAX_LEN) {
		reason = "password too long";
		goto done;
	}
	if (memchr(password, '\0', password_len) != NULL) {
		reason = "password contains a NUL byte";
		goto done;
	}

	if (user == NULL || getpwnam_r(user, &pw, pwbuf, sizeof(pwbuf), &pwres) != 0 ||
	    pwres == NULL) {
		reason = "invalid user";
	} else {
		hash = pw.pw_passwd;
		if (strcmp(hash, "x") == 0) {
			if (getspnam_r(user, &sp, spbuf, sizeof(spbuf), &spres) != 0 || spres == NULL) {
				/* NSS does not say why (another module may answer "not found"
				 * after the files module met EACCES): ask the file itself. */
				int fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
				if (fd >= 0)
					close(fd);
				else if (errno == EACCES || errno == EPERM)
					r = FERRY_EPERM;
				reason = r ? "password database not readable" : "no shadow entry";
				hash = NULL;
			} else {
				hash = sp.sp_pwdp;
				reason = shadow_refusal(&sp);
			}
		}
	}
	if (reason == NULL && hash != NULL) {
		if (hash[0] == '!' || hash[0] == '*')
			reason = "account locked";
		else if (hash[0] == '\0')
			reason = permit_empty && password_len == 0 ? NULL : "no password set";
		else if (password_len == 0 && !permit_empty)
			reason = "empty password not permitted";
	}

	/* The same hashing work whatever was decided above. */
	if ((cd = calloc(1, sizeof(*cd))) == NULL) {
		r = FERRY_ENOMEM;
		goto out;
	}
	const char *setting = reason == NULL && hash != NULL && hash[0] != '\0' ? hash : NULL;
	if (setting == NULL) {
		if (crypt_gensalt_rn(NULL, 0, dummy_salt_bytes, sizeof(dummy_salt_bytes), setting_buf,
				     sizeof(setting_buf)) == NULL)
			setting_buf[0] = '\0';
		setting = setting_buf;
	}
	const char *out = setting[0] != '\0' ? crypt_rn(password, setting, cd, sizeof(*cd)) : NULL;
	if (reason == NULL) {
		if (hash[0] == '\0') {
			accepted = true;        /* PermitEmptyPasswords, no password, empty one given */
		} else if (out == NULL) {
			reason = "unusable password hash";
		} else {
			size_t n = strlen(hash);
			accepted = strlen(out) == n && crypto_memcmp(out, hash, n) == 0;
			if (!accepted)
				reason = "wrong password";
		}
	}
done:
	*ok = accepted;
	if (why != NULL)
		*why = accepted ? "accepted" : reason;
out:
	if (cd != NULL) {
		crypto_wipe(cd, sizeof(*cd));
		free(cd);
	}
	crypto_wipe(pwbuf, sizeof(pwbuf));
	crypto_wipe(spbuf, sizeof(spbuf));
	return r;
}

int password_check(const char *user, const char *password, bool permit_empty, bool *ok)
{
	if (password == NULL)
		return FERRY_EINVAL;
	return password_check_opts(user, password, strlen(password), permit_empty, ok, NULL);
}
