/* ferryd's password check against the local accounts (RFC 4252 §8 "password" method): the
 * passwd and shadow databases and crypt(3), with the same work for every refusal so the time
 * taken does not tell which user names exist. */
#ifndef FERRY_TRANSFER_PASSWORD_H
#define FERRY_TRANSFER_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"

/* As sshd: longer passwords are refused without hashing them (a megabyte-long password would
 * otherwise cost seconds of CPU per attempt with some hash methods). */
#define PASSWORD_MAX_LEN 1024

/* Checks user's password. user NULL means "no such account" (the caller already knows): the
 * answer is no, after the same work. On return 0, *ok says whether the password is right; it is
 * false for an unknown user, a locked account ("!" or "*" hash), an account without a
 * password (empty hash) unless permit_empty and the password is empty too, an expired account
 * or password (ferryd cannot run a password change), a password over PASSWORD_MAX_LEN or
 * containing a NUL byte (password_len counts every byte received), and an empty password
 * unless permit_empty. Every refusal but the length and NUL ones still hashes the password
 * (against a fixed dummy setting of the system's default method), so that all answers take
 * about the same time. The hash comparison is constant-time.
 * why (may be NULL) gets a static string for the log, never for the client: "accepted",
 * "wrong password", "invalid user", "account locked", ...
 * Returns FERRY_EPERM (with *ok false) when the shadow database cannot be read (ferryd not
 * running as root), FERRY_ENOMEM, or FERRY_EINVAL for a NULL password or ok. The caller
 * applies PermitRootLogin and PasswordAuthentication; this function only knows passwords. */
int password_check_opts(const char *user, const char *password, size_t password_len,
			bool permit_empty, bool *ok, const char **why) FERRY_MUST_USE;

/* password_check_opts for a NUL-terminated password (PermitEmptyPasswords as permit_empty),
 * without the reason. */
int password_check(const char *user, const char *password, bool permit_empty, bool *ok)
	FERRY_MUST_USE;

#endif
