/* ferryd's authorized_keys policy (OpenSSH sshd(8) AUTHORIZED_KEYS FILE FORMAT): is a presented
 * public key listed for a user, and with which restrictions; AuthorizedKeysFile tokens; and
 * the StrictModes ownership and permission check.
 *
 * A line is "[options] keytype base64 [comment]". Options are comma-separated; values are
 * double-quoted with \" as the only escape. ferryd understands every option sshd documents
 * except certificates: a cert-authority or principals= line is skipped (ferryd accepts no
 * certificates), and a line with an unknown or malformed option never matches (logged, as
 * sshd does). The restrictions of the line that matched come back in struct authkeys_opts;
 * the session layer MUST enforce them (a forced command replaces whatever the client asked
 * to run, including subsystems; no_pty refuses pty-req; ...). Nothing here is silently
 * dropped: an option ferryd has no use for (permitopen, tunnel, ...) is still stored. */
#ifndef FERRY_TRANSFER_AUTHKEYS_H
#define FERRY_TRANSFER_AUTHKEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "common/error.h"
#include "crypto/key.h"
#include "transfer/cfgutil.h"

/* The options of one authorized_keys line. A zeroed struct means "no options". Strings and
 * lists are owned by the struct (authkeys_opts_free). */
struct authkeys_opts {
	bool restricted;                /* "restrict": every no_* below was set by it (a later
					 * "pty", "port-forwarding", ... clears one again) */
	bool no_pty;                    /* "no-pty": refuse pty-req */
	bool no_port_forwarding;        /* "no-port-forwarding": refuse tcpip forwarding */
	bool no_agent_forwarding;       /* "no-agent-forwarding" */
	bool no_x11_forwarding;         /* "no-X11-forwarding" */
	bool no_user_rc;                /* "no-user-rc": do not run ~/.ssh/rc */
	char *command;                  /* command="...": the forced command, or NULL. The client's
					 * command (or shell, or subsystem) is replaced by it; sshd
					 * puts the client's in SSH_ORIGINAL_COMMAND. */
	struct ssh_strlist environment; /* environment="NAME=value", in order, first per NAME.
					 * sshd applies these only with PermitUserEnvironment yes,
					 * which ferryd does not support: do NOT apply them. */
	struct ssh_strlist permit_open; /* permitopen="host:port" (ferryd forwards nothing) */
	struct ssh_strlist permit_listen; /* permitlisten="[host:]port" */
	char *from;                     /* from="pattern-list", already checked against the client */
	int64_t expiry_time;            /* expiry-time=: seconds since the epoch; 0 = none. A line
					 * past it never matches. */
	char *tunnel;                   /* tunnel="n" (ferryd has no tunnels) */
	bool touch_required;            /* FIDO flags: ferryd loads no security-key types, so */
	bool verify_required;           /* they cannot apply; stored for completeness */
	bool cert_authority;            /* "cert-authority": the line is skipped */
	char *principals;               /* principals="...": the line is skipped */
};

/* The connection asking. */
struct authkeys_query {
	const struct ferry_key *key;    /* the public key the client presented (borrowed) */
	const char *address;            /* client IP address, textual (from= matches it) */
	const char *host;               /* client host name, or NULL (as sshd with UseDNS no:
					 * from= host patterns then see the address) */
	time_t now;                     /* for expiry-time; 0 = time(NULL) */
};

/* The answer. When authorized, opts are the matching line's restrictions and file/line say
 * where it was (both owned; authkeys_result_free). Not authorized: opts empty, file NULL. */
struct authkeys_result {
	bool authorized;
	struct authkeys_opts opts;
	char *file;
	unsigned long line;
};

/* Whose files to read. */
struct authkeys_user {
	const char *name;               /* %u */
	uid_t uid;                      /* %U; the owner StrictModes expects */
	gid_t gid;
	const char *home;               /* %h; relative file names start here */
};

void authkeys_opts_free(struct authkeys_opts *o);
void authkeys_result_free(struct authkeys_result *r);

/* Parses an options field (what precedes the key type; it ends at the first unquoted blank or
 * at the end of s). On success *out holds the options (caller frees with authkeys_opts_free)
 * and, if end is not NULL, *end points just past the field. FERRY_EINVAL with *why (caller
 * frees; why may be NULL) naming the problem ("unknown key option", "missing end quote",
 * ...) for a bad field, FERRY_ENOMEM. */
int authkeys_parse_options(const char *s, struct authkeys_opts *out, const char **end,
			   char **why) FERRY_MUST_USE;

/* Scans authorized_keys text (label names it in log lines, e.g. the file name) for q->key.
 * Lines are checked in order; the first whose key equals q->key and whose options allow this
 * connection (from=, expiry-time, no certificate options) wins. 0 with *res filled (see
 * struct authkeys_result; res->file is a copy of label), or FERRY_ENOMEM. Never fails on bad
 * lines: they are skipped (and logged at debug level, or info for bad options). */
int authkeys_check_buffer(const char *text, size_t len, const char *label,
			  const struct authkeys_query *q, struct authkeys_result *res) FERRY_MUST_USE;

/* Same for one file. A missing file gives 0 and not authorized. FERRY_EIO/FERRY_EPERM if it
 * exists but cannot be read. No ownership check (see authkeys_check_modes). */
int authkeys_check_file(const char *path, const struct authkeys_query *q,
			struct authkeys_result *res) FERRY_MUST_USE;

/* Expands an AuthorizedKeysFile entry: %% a percent sign, %h the home directory, %u the user
 * name, %U the numeric uid; a result not starting with / is relative to the home directory.
 * *out: caller frees. FERRY_ECONFIG with *why (caller frees; may be NULL) on an unknown token. */
int authkeys_expand_path(const char *pattern, const struct authkeys_user *u, char **out,
			 char **why) FERRY_MUST_USE;

/* True if every %-token in pattern is one authkeys_expand_path knows (for config checks). */
bool authkeys_path_tokens_valid(const char *pattern);

/* sshd's StrictModes check of an authorized_keys file: the file (symlinks resolved) must be a
 * regular file owned by uid or root and not writable by group or others, and so must every
 * directory above it up to and including home (or up to / when the file is not under home).
 * 0 if acceptable; FERRY_EPERM with *why (caller frees; may be NULL) in sshd's words ("bad
 * ownership or modes for directory /home/u/.ssh"); FERRY_ENOENT if the file is missing. */
int authkeys_check_modes(const char *path, uid_t uid, const char *home, char **why)
	FERRY_MUST_USE;

/* What ferryd calls for a publickey request: tries each AuthorizedKeysFile entry (files as
 * in struct server_options, "none" already removed) for user u, in order, and stops at the
 * first that authorizes q->key. Each entry is expanded; a missing file is skipped quietly;
 * with strict_modes a file failing authkeys_check_modes is skipped with a log line
 * ("Authentication refused: ..."). Running as root, the files are opened with the user's
 * identity (file-system uid and gid via setfsuid/setfsgid, and the user's supplementary
 * groups via setgroups, all restored before returning), so a symlink cannot make ferryd read
 * a file the user could not; if that identity cannot be taken, the answer is "not
 * authorized". 0 with *res filled; FERRY_ENOMEM; FERRY_EPERM if the original identity could
 * not be restored (the process must not go on serving: end the connection). */
int authkeys_authorize(const struct ssh_strlist *files, bool strict_modes,
		       const struct authkeys_user *u, const struct authkeys_query *q,
		       struct authkeys_result *res) FERRY_MUST_USE;

#endif
