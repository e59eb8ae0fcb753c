/* ferry's client configuration with OpenSSH ssh_config(5) semantics: -o options, config files
 * with Host/Match/Include, "first value wins", %-tokens and +/-/^ algorithm lists.
 *
 * Use, in this order (the order is the precedence, as in OpenSSH):
 *   ssh_options_init(&o);
 *   ssh_options_apply(&o, "...", &err);               for each -o (and -p/-l/-i mapped to keywords)
 *   ssh_options_read_config(&o, F_or_NULL, host, &err); the -F file, or ~/.ssh/config then
 *                                                      /etc/ssh/ssh_config
 *   ssh_options_finalize(&o, host, &err);              defaults, tokens, algorithm lists
 *   ... use the fields ...
 *   ssh_options_free(&o);
 * Every function that can fail returns 0 or a negative FERRY_E*. FERRY_ECONFIG always comes with
 * *errmsg set to a one-line message in OpenSSH's wording ("PATH line N: ..."), which the caller
 * prints and frees; other codes (FERRY_ENOMEM) may leave *errmsg NULL. errmsg may be NULL. */
#ifndef FERRY_TRANSFER_SSHCONFIG_H
#define FERRY_TRANSFER_SSHCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/log.h"
#include "transfer/cfgutil.h"

#define SSH_SYSTEM_CONFIG "/etc/ssh/ssh_config"
#define SSH_USER_CONFIG "~/.ssh/config"

/* Integer fields hold SSH_OPT_UNSET until an option sets them or finalize fills the default. */
#define SSH_OPT_UNSET (-1)

/* struct ssh_strlist (an ordered list of owned strings) lives in transfer/cfgutil.h. */

enum ssh_strict_hostkey {
	SSH_STRICT_YES = 0,     /* "yes": unknown or changed keys fail */
	SSH_STRICT_ASK,         /* "ask" (the default): prompt; with no terminal behave as yes */
	SSH_STRICT_ACCEPT_NEW,  /* "accept-new": add unknown keys, fail on changed ones */
	SSH_STRICT_NO,          /* "no"/"off": add unknown keys, warn on changed ones */
};

enum ssh_address_family { SSH_AF_ANY = 0, SSH_AF_INET, SSH_AF_INET6 };
enum ssh_request_tty { SSH_TTY_AUTO = 0, SSH_TTY_NO, SSH_TTY_YES, SSH_TTY_FORCE };

/* Receives each "ignoring unsupported ..." warning (already formatted, no newline). level is
 * FLOG_INFO, or FLOG_VERBOSE when the keyword came from the system-wide file (a file the user
 * did not write should not nag on every run). With no callback, ferry logs it with flog(). */
typedef void (*ssh_options_warn_fn)(void *arg, enum flog_level level, const char *msg);

struct ssh_options {
	/* Before ssh_options_finalize: NULL / SSH_OPT_UNSET / !set means "not given yet".
	 * After it: every field below holds its final value, except proxy_jump and proxy_command,
	 * which stay NULL when there is no proxy. Booleans are 0 or 1. */
	char *hostname;                 /* HostName; finalize: %h expanded, lowercased */
	int port;                       /* Port; default 22 */
	char *user;                     /* User; default the local user */
	struct ssh_strlist identity_files; /* IdentityFile, accumulates in order; finalize: ~, %
					 * tokens and ${ENV} expanded */
	bool identity_files_default;    /* finalize: the list is ferry's default (missing files
					 * are expected and should be skipped quietly) */
	int identities_only;            /* IdentitiesOnly; default 0 */
	int strict_host_key_checking;   /* enum ssh_strict_hostkey; default SSH_STRICT_ASK */
	struct ssh_strlist user_known_hosts_files;   /* default ~/.ssh/known_hosts
						      * ~/.ssh/known_hosts2; expanded like
						      * identity_files */
	struct ssh_strlist global_known_hosts_files; /* default /etc/ssh/ssh_known_hosts
						      * /etc/ssh/ssh_known_hosts2 */
	int hash_known_hosts;           /* HashKnownHosts; default 0 */
	/* Algorithm lists. Before finalize: the value as written (may start with + - ^); after:
	 * the resolved comma list, every name supported by crypto/. */
	char *ciphers;
	char *macs;
	char *kex_algorithms;
	char *host_key_algorithms;
	int64_t rekey_limit_bytes;      /* RekeyLimit size; 0 = the cipher's default */
	int64_t rekey_limit_seconds;    /* RekeyLimit time; 0 = no time limit */
	int connect_timeout;            /* ConnectTimeout in seconds; 0 = none */
	int batch_mode;                 /* BatchMode; default 0 */
	int log_level;                  /* LogLevel as enum flog_level; default FLOG_INFO */
	int address_family;             /* enum ssh_address_family; default SSH_AF_ANY */
	int password_authentication;    /* default 1 */
	int pubkey_authentication;      /* default 1 ("unbound"/"host-bound" count as yes) */
	int server_alive_interval;      /* seconds; 0 = off */
	int server_alive_count_max;     /* default 3 */
	struct ssh_strlist send_env;    /* SendEnv patterns, accumulate; "-pat" removes */
	struct ssh_strlist set_env;     /* SetEnv "NAME=VALUE"; the first SetEnv line wins */
	int request_tty;                /* enum ssh_request_tty; stored only */
	int compression;                /* stored only */
	char *proxy_jump;               /* stored only; whichever of ProxyJump and ProxyCommand */
	char *proxy_command;            /* comes first wins; "none" finalizes to NULL */
	char *ignore_unknown;           /* IgnoreUnknown pattern list */

	/* Who and where we are, for Match user/localuser, ~ and %d %u %l %L %i. Filled from the
	 * password database and gethostname() when first needed; ssh_options_set_local sets them
	 * explicitly (tests, or a cli that knows better). */
	char *local_user;
	char *home_dir;
	char *local_host;
	char *original_host;            /* the host as typed; set by read_config / finalize */

	ssh_options_warn_fn warn;
	void *warn_arg;
};

/* Flags for ssh_options_read_file. */
#define SSH_CONFIG_USER 0x1        /* a user's file: Include may use ~ and relative Include
				    * paths are under ~/.ssh/ (else under /etc/ssh/) */
#define SSH_CONFIG_MUST_EXIST 0x2  /* a missing file is an error (-F), not silently skipped */
#define SSH_CONFIG_CHECK_PERM 0x4  /* refuse a file writable by group/others or owned by
				    * someone other than us or root (~/.ssh/config, includes) */

/* Sets every field to "not given" and no callback. Never fails; pair with ssh_options_free. */
void ssh_options_init(struct ssh_options *o);

/* Frees every string and list the struct owns and re-initialises it. Accepts NULL. */
void ssh_options_free(struct ssh_options *o);

/* Sets who we are (any argument may be NULL to keep looking it up). The strings are copied. */
int ssh_options_set_local(struct ssh_options *o, const char *local_user, const char *home_dir,
			  const char *local_host) FERRY_MUST_USE;

/* Routes the "ignoring unsupported option" warnings to fn (NULL: log them with flog). */
void ssh_options_set_warn(struct ssh_options *o, ssh_options_warn_fn fn, void *arg);

/* Applies one command-line option, "Keyword value" or "Keyword=value" (what -o gives).
 * Keywords are case-insensitive; values may be quoted with "..." or '...'. An option already
 * set is left as it is (first value wins) except IdentityFile and SendEnv, which accumulate.
 * Host, Match and Include are refused here. A keyword OpenSSH knows but ferry does not use is
 * accepted with a warning, once per keyword per process ("ferry: ignoring unsupported option
 * 'ForwardAgent'"). Errors (FERRY_ECONFIG) read as OpenSSH's, e.g.
 * "command-line: line 0: Bad configuration option: foobar". */
int ssh_options_apply(struct ssh_options *o, const char *line, char **errmsg) FERRY_MUST_USE;

/* Same as ssh_options_apply for "Keyword value", but value is taken literally as one argument:
 * no splitting at blanks, no quote, escape or comment processing. For options given as their
 * own command-line arguments (-i FILE, -l USER, -p PORT, -J HOST, -c LIST, -m LIST) whose
 * value may contain spaces or quotes. */
int ssh_options_apply_value(struct ssh_options *o, const char *keyword, const char *value,
			    char **errmsg) FERRY_MUST_USE;

/* Reads one configuration file for the target host (as typed on the command line: Host and
 * "Match originalhost" match against it). Lines inside Host/Match blocks that do not match
 * are still checked for errors but not applied. A leading "~/" in path is expanded.
 * A missing file is not an error unless SSH_CONFIG_MUST_EXIST. Errors name the file and line:
 * "PATH line N: ..." (an unknown keyword: "PATH: line N: Bad configuration option: foo"). */
int ssh_options_read_file(struct ssh_options *o, const char *path, const char *host,
			  unsigned flags, char **errmsg) FERRY_MUST_USE;

/* Reads the configuration as ssh(1) does: with config_file (the -F argument) only that file
 * (a user file that must exist; "none" reads nothing); with NULL, ~/.ssh/config (user file,
 * permissions checked) and then /etc/ssh/ssh_config, both optional. */
int ssh_options_read_config(struct ssh_options *o, const char *config_file, const char *host,
			    char **errmsg) FERRY_MUST_USE;

/* Fills defaults for every field not given, expands HostName's %h (and lowercases it), expands
 * ~, ${ENV} and the tokens %% %C %d %h %i %j %k %L %l %n %p %r %u in IdentityFile and
 * UserKnownHostsFile, and resolves the algorithm lists against crypto/'s defaults. host is the
 * host as typed. Call once, after all apply/read calls. */
int ssh_options_finalize(struct ssh_options *o, const char *host, char **errmsg) FERRY_MUST_USE;

/* ssh_match_pattern_list (OpenSSH PATTERNS) is declared in transfer/cfgutil.h. */

#endif
