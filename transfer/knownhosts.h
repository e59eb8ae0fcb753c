/* known_hosts files (OpenSSH sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT", hashed names as ssh-keygen
 * -H writes them): checking a server's host key, adding one on first contact, and building
 * the OpenSSH-worded texts the cli prints. No terminal I/O here.
 *
 * Host names: a lookup name is the host lowercased, written "[host]:port" when the port is not
 * 22; an entry's name field is a comma-separated pattern list (* ? and !negation, compared
 * case-insensitively) or one hashed name "|1|base64(salt)|base64(HMAC-SHA1(salt, name))".
 * A plain "host" entry therefore matches only port 22, and "[host]:2222" only port 2222.
 * Lines: blank lines and # comments are skipped; "@revoked" marks a revoked key;
 * "@cert-authority" lines are skipped (ferry has no host certificates); a malformed line or a
 * key type ferry does not know is skipped, never an error. */
#ifndef FERRY_TRANSFER_KNOWNHOSTS_H
#define FERRY_TRANSFER_KNOWNHOSTS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "crypto/key.h"

enum knownhosts_status {
	KNOWNHOSTS_MATCH = 0,   /* the presented key is listed for this host */
	KNOWNHOSTS_NOT_FOUND,   /* no key of any type is listed for this host */
	KNOWNHOSTS_CHANGED,     /* keys are listed for this host, none equal to the presented one
				 * (also when they are all of another type: as OpenSSH does, a
				 * server showing a type we have never seen for a known host is a
				 * changed key, else accept-new would let an attacker in) */
	KNOWNHOSTS_REVOKED,     /* the presented key is listed as @revoked for this host; this
				 * outranks a matching entry */
};

struct knownhosts_result {
	enum knownhosts_status status;
	char *file;             /* MATCH: the matching entry's file; CHANGED: the offending
				 * entry's; REVOKED: the @revoked line's; NOT_FOUND: NULL.
				 * Owned; release with knownhosts_result_free */
	unsigned long line;     /* that entry's line number, from 1 */
	enum key_type entry_type;  /* CHANGED: the offending entry's key type */
	bool other_type_only;   /* CHANGED: no entry has the presented key's type (the
				 * offending entry is then the host's first entry; otherwise it is
				 * the first entry of the same type) */
};

/* Looks up key for (host, port) in files[0..nfiles) (user files first, then global ones, as
 * the caller orders them). Missing or unreadable files are skipped. On success *out is filled
 * (call knownhosts_result_free afterwards). Fails only for FERRY_ENOMEM or FERRY_EINVAL. */
int knownhosts_check(const char *const *files, size_t nfiles, const char *host, int port,
		     const struct ferry_key *key, struct knownhosts_result *out) FERRY_MUST_USE;

/* Frees r->file and zeroes r. Accepts NULL. */
void knownhosts_result_free(struct knownhosts_result *r);

/* The lookup name for (host, port): lowercased host, or "[host]:port" if port is not 22 (or 0).
 * Caller frees *out. */
int knownhosts_host_name(const char *host, int port, char **out) FERRY_MUST_USE;

/* Appends "NAME KEYTYPE BASE64\n" for (host, port) to path, NAME hashed when hash is true.
 * Creates the file (mode 0600) and, if missing, its directory (mode 0700, one level, as for
 * ~/.ssh). Opens with O_APPEND and writes the line in one write so concurrent writers do not
 * interleave; adds a newline first if the file's last line lacks one. Refuses (FERRY_EINVAL)
 * host names that would not read back as one plain name: empty, whitespace or control
 * characters, or any of , * ? ! [ ] | @ # . Other failures: ferry_from_errno codes. */
int knownhosts_add(const char *path, const char *host, int port, const struct ferry_key *key,
		   bool hash) FERRY_MUST_USE;

/* Reorders a host key algorithm list so that algorithms whose key type is already listed for
 * (host, port) come first (each group keeps its order), the way ssh(1) avoids a false
 * "changed" when a server has several host keys. algs is a comma list; *out (caller frees)
 * holds the same names, reordered. */
int knownhosts_order_hostkey_algs(const char *const *files, size_t nfiles, const char *host,
				  int port, const char *algs, char **out) FERRY_MUST_USE;

/* ---- texts for the cli (OpenSSH's wording). Each *out is a newly allocated string (caller
 * frees) of whole lines, each ending in '\n', except the question, which ends in "? ". In
 * messages HOST is knownhosts_host_name(host, port) and key types are OpenSSH's short names
 * (ED25519, ECDSA, RSA). ---- */

/* "Warning: Permanently added 'HOST' (TYPE) to the list of known hosts." */
int knownhosts_text_added(const char *host, int port, const struct ferry_key *key, char **out)
	FERRY_MUST_USE;

/* The REMOTE HOST IDENTIFICATION HAS CHANGED block for a CHANGED result r: fingerprint of the
 * presented key, "Add correct host key in ADD_FILE ..." (add_file: the first user known hosts
 * file; NULL = r->file), "Offending TYPE key in FILE:LINE", the ssh-keygen -R hint, and, when
 * strict, "Host key for HOST has changed and you have requested strict checking." and
 * "Host key verification failed.". */
int knownhosts_text_changed(const char *host, int port, const struct ferry_key *key,
			    const char *add_file, const struct knownhosts_result *r, bool strict,
			    char **out) FERRY_MUST_USE;

/* The REVOKED HOST KEY DETECTED block; when strict it ends with "TYPE host key for HOST was
 * revoked and you have requested strict checking." and "Host key verification failed.". */
int knownhosts_text_revoked(const char *host, int port, const struct ferry_key *key, bool strict,
			    char **out) FERRY_MUST_USE;

/* For NOT_FOUND under StrictHostKeyChecking=yes (or ask without a terminal): "No TYPE host key
 * is known for HOST and you have requested strict checking." and "Host key verification
 * failed.". */
int knownhosts_text_not_found(const char *host, int port, const struct ferry_key *key,
			      char **out) FERRY_MUST_USE;

/* The first-contact question for StrictHostKeyChecking=ask: "The authenticity of host
 * 'HOST (IP)' can't be established.", "TYPE key fingerprint is SHA256:....", the other names
 * the same key is listed under in files (or "This key is not known by any other names."), and
 * "Are you sure you want to continue connecting (yes/no/[fingerprint])? ". ip is the
 * address connected to (written like HOST), or NULL to leave out " (IP)". */
int knownhosts_text_ask(const char *const *files, size_t nfiles, const char *host, int port,
			const char *ip, const struct ferry_key *key, char **out) FERRY_MUST_USE;

#endif
