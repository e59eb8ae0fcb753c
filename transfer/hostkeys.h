/* ferryd's host keys (RFC 4253 §6.6): the HostKey files a configuration names, or, with none
 * named, one ed25519 key that ferryd creates on first start in its state directory and loads
 * from there afterwards; plus which host key algorithms the loaded keys can serve. */
#ifndef FERRY_TRANSFER_HOSTKEYS_H
#define FERRY_TRANSFER_HOSTKEYS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "crypto/key.h"
#include "transfer/cfgutil.h"

#define HOSTKEYS_ROOT_DIR "/etc/ferry"          /* the state directory when run as root */
#define HOSTKEYS_DEFAULT_NAME "ssh_host_ed25519_key"

/* Flags for hostkeys_load_opts. */
#define HOSTKEYS_NO_CREATE 0x1  /* with no HostKey configured and no key in the state directory
				 * yet, load nothing (0 keys) instead of creating one */

/* ferryd's state directory (caller frees): HOSTKEYS_ROOT_DIR as root; else
 * $XDG_STATE_HOME/ferry when that variable is an absolute path, else ~/.local/state/ferry ($HOME,
 * or the password database). Only computes the name. 0, FERRY_ENOENT (no home), FERRY_ENOMEM. */
int hostkeys_state_dir(bool as_root, char **out) FERRY_MUST_USE;

/* Loads the host keys. With files non-empty: every file, in order, must load (key_load_private:
 * an unencrypted private key) and, if we own it, must not be accessible by group or others;
 * the first failure is the error, naming the file ("Unable to load host key /etc/k: no such
 * file"; "Permissions 0644 for '/etc/k' are too open"). With files empty (or NULL): the key
 * state_dir/ssh_host_ed25519_key, created if missing (unless HOSTKEYS_NO_CREATE): the
 * directory is made (0755 when it is HOSTKEYS_ROOT_DIR, else 0700, parents too), the key is
 * written mode 0600 with its .pub (0644) beside it, and *msg says so: "Generated host key
 * ED25519 SHA256:... in PATH". Two ferryd starting at once end up with the same key (the file
 * is linked into place only if absent).
 * On success *keys is an array of *nkeys keys (caller frees each with key_free, then the
 * array), and *msg (may be NULL: nothing to report; caller frees) is for the log. On failure
 * nothing is returned but *errmsg (caller frees; may be NULL) explaining, and the code is
 * the key loader's (FERRY_ENOENT, FERRY_EPERM, FERRY_EKEYFORMAT, FERRY_ENOTSUP), FERRY_EIO
 * for a state directory problem, or FERRY_ENOMEM. msg and errmsg may be NULL. */
int hostkeys_load_opts(const struct ssh_strlist *files, const char *state_dir, unsigned flags,
		       struct ferry_key ***keys, size_t *nkeys, char **msg, char **errmsg)
	FERRY_MUST_USE;

/* What ferryd calls: hostkeys_load_opts with hostkeys_state_dir(as_root) and no flags. */
int hostkeys_load(const struct ssh_strlist *files, bool as_root, struct ferry_key ***keys,
		  size_t *nkeys, char **msg, char **errmsg) FERRY_MUST_USE;

/* The first key that can sign with host key algorithm sigalg, or NULL. Borrowed from keys. */
const struct ferry_key *hostkeys_find(struct ferry_key *const *keys, size_t nkeys,
				      const char *sigalg);

/* The host key algorithms to offer: the names of allowed (a comma list, e.g. the resolved
 * HostKeyAlgorithms) for which some key exists, in allowed's order. *out: caller frees; it
 * may be "" when no key fits. 0 or FERRY_ENOMEM. */
int hostkeys_algorithms(struct ferry_key *const *keys, size_t nkeys, const char *allowed,
			char **out) FERRY_MUST_USE;

#endif
