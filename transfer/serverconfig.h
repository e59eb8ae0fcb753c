/* ferryd's configuration with OpenSSH sshd_config(5) semantics: keywords, -o options, first
 * value wins, accumulating Port/ListenAddress/HostKey/AcceptEnv, Include, and Match blocks
 * (User, Group, Host, Address, LocalAddress, LocalPort, All) applied per connection.
 *
 * Use, in this order (the order is the precedence, as in sshd):
 *   server_options_init(&o);
 *   server_options_add_port(&o, "2222", &err);        for each -p (replaces every Port line)
 *   server_options_add_host_key(&o, path, &err);      for each -h (replaces every HostKey line)
 *   server_options_apply(&o, "Keyword=value", &err);  for each -o
 *   server_options_read_file(&o, path, flags, &err);  the -f file or the default one
 *   server_options_finalize(&o, &err);                defaults, algorithm lists, listen list
 *   ... per connection, once the user name is known:
 *   server_options_for_user(&o, &conn_info, &uo, &err);  Match blocks applied, in a copy
 *   server_user_allowed(&uo, &conn_info, &why);          AllowUsers/DenyUsers/...Groups
 *   server_options_free(&uo); server_options_free(&o);
 * Every function that can fail returns 0 or a negative FERRY_E*. FERRY_ECONFIG always comes with
 * *errmsg set to a one-line message in sshd's wording ("PATH line N: ..."; "command-line line 0:
 * ..." for -o), which the caller prints and frees; other codes (FERRY_ENOMEM) may leave *errmsg
 * NULL. errmsg may be NULL. Nothing here touches the network or the terminal. */
#ifndef FERRY_TRANSFER_SERVERCONFIG_H
#define FERRY_TRANSFER_SERVERCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/log.h"
#include "transfer/cfgutil.h"

/* The configuration file ferryd reads by default as root; an ordinary user's default is
 * server_config_default_path(false). */
#define SERVER_CONFIG_SYSTEM "/etc/ferry/ferryd_config"
/* The pid file ferryd writes by default when run as root (none for an ordinary user). */
#define SERVER_PID_FILE_ROOT "/run/ferryd.pid"

/* Integer fields hold SERVER_OPT_UNSET until an option sets them or finalize fills the default. */
#define SERVER_OPT_UNSET (-1)

enum server_permit_root {
	PERMIT_ROOT_NO = 0,                /* "no" */
	PERMIT_ROOT_FORCED_COMMANDS_ONLY,  /* "forced-commands-only": public key auth, and only
					    * through an authorized_keys line with command="..." */
	PERMIT_ROOT_PROHIBIT_PASSWORD,     /* "prohibit-password" / "without-password" (default):
					    * public key only */
	PERMIT_ROOT_YES,                   /* "yes" */
};

enum server_address_family { SERVER_AF_ANY = 0, SERVER_AF_INET, SERVER_AF_INET6 };

/* One address to listen on. Before finalize, port 0 means "every Port"; after it, the list holds
 * one entry per address and port, each port in 1..65535. host is a textual address or a name
 * (the listener resolves it). */
struct server_listen {
	char *host;
	int port;
};

/* A Subsystem line: name and the command as written (its words joined by single spaces).
 * "internal-sftp" (or anything else) is stored as is; the session layer decides. */
struct server_subsystem {
	char *name;
	char *command;
	bool from_cmdline;      /* given with -o: a file's line of the same name is skipped */
};

/* Receives each "ignoring unsupported option" warning (already formatted, no newline; level is
 * FLOG_INFO). With no callback, ferryd logs it with flog(). */
typedef void (*server_options_warn_fn)(void *arg, enum flog_level level, const char *msg);

struct server_match;    /* one stored Match block (private) */

struct server_options {
	/* Before finalize: NULL / SERVER_OPT_UNSET / empty list means "not given yet".
	 * After it: every field holds its final value. Booleans are 0 or 1. The comment gives
	 * the default; "M" marks the keywords a Match block may change. */
	int *ports;                     /* Port, accumulates; default { 22 } */
	size_t n_ports;
	bool ports_fixed;               /* set by server_options_add_port (-p) */
	struct server_listen *listen;   /* ListenAddress, accumulates; default 0.0.0.0 and :: (as
					 * AddressFamily allows), expanded by finalize */
	size_t n_listen;
	int address_family;             /* AddressFamily: enum server_address_family; any */
	struct ssh_strlist host_keys;   /* HostKey, accumulates, made absolute; default empty:
					 * transfer/hostkeys.h then creates or loads the state-dir
					 * key */
	bool host_keys_fixed;           /* set by server_options_add_host_key (-h) */
	struct ssh_strlist authorized_keys_files; /* M AuthorizedKeysFile, as written (tokens
					 * expanded by transfer/authkeys.h); default
					 * ".ssh/authorized_keys .ssh/authorized_keys2"; "none":
					 * empty list */
	int pubkey_authentication;      /* M PubkeyAuthentication; yes */
	int password_authentication;    /* M PasswordAuthentication; yes */
	int permit_empty_passwords;     /* M PermitEmptyPasswords; no */
	int permit_root_login;          /* M PermitRootLogin: enum server_permit_root;
					 * prohibit-password */
	int max_auth_tries;             /* M MaxAuthTries; 6 */
	int max_sessions;               /* M MaxSessions; 10 */
	int login_grace_time;           /* LoginGraceTime, seconds, 0 = none; 120 */
	int max_startups_begin;         /* MaxStartups begin:rate:full; 10:30:100. A single N */
	int max_startups_rate;          /* means N:30:N. Unauthenticated connections beyond begin */
	int max_startups_full;          /* are refused with probability rate% rising linearly to
					 * 100% at full. */
	struct server_subsystem *subsystems;  /* Subsystem, accumulates; default none */
	size_t n_subsystems;
	/* Algorithm lists. Before finalize: the value as written (may start with + - ^); after:
	 * the resolved comma list, every name supported by crypto/. */
	char *ciphers;                  /* Ciphers */
	char *macs;                     /* MACs */
	char *kex_algorithms;           /* KexAlgorithms */
	char *host_key_algorithms;      /* HostKeyAlgorithms (offered only for loaded keys) */
	char *pubkey_accepted_algorithms; /* M PubkeyAcceptedAlgorithms: signature algorithms
					 * accepted for user keys; crypto's default list */
	int64_t rekey_limit_bytes;      /* M RekeyLimit size; 0 = the cipher's default */
	int64_t rekey_limit_seconds;    /* M RekeyLimit time; 0 = none */
	int client_alive_interval;      /* M ClientAliveInterval, seconds; 0 = off */
	int client_alive_count_max;     /* M ClientAliveCountMax; 3 */
	int log_level;                  /* M LogLevel: enum flog_level; INFO */
	char *pid_file;                 /* PidFile, made absolute; default SERVER_PID_FILE_ROOT as
					 * root, NULL (none) otherwise; "none" gives NULL */
	struct ssh_strlist accept_env;  /* M AcceptEnv patterns, accumulate; default empty */
	int strict_modes;               /* StrictModes; yes */
	struct ssh_strlist allow_users; /* M AllowUsers/DenyUsers/AllowGroups/DenyGroups patterns, */
	struct ssh_strlist deny_users;  /* accumulate; empty = no restriction (checked by */
	struct ssh_strlist allow_groups;/* server_user_allowed) */
	struct ssh_strlist deny_groups;

	/* Private: the Match blocks read, for server_options_for_user. */
	struct server_match *matches;
	size_t n_matches;
	server_options_warn_fn warn;
	void *warn_arg;
};

/* What Match criteria and AllowUsers/DenyUsers are evaluated against for one connection. */
struct server_conn_info {
	const char *user;               /* the user name the client asked for */
	const char *host;               /* client host name, or NULL: as sshd with UseDNS no, Match
					 * Host and USER@HOST patterns then see the address */
	const char *address;            /* client IP address, textual ("192.0.2.7", "::1") */
	const char *local_address;      /* the address the connection came in on (may be NULL) */
	int local_port;                 /* the port it came in on (0 if unknown) */
	const char *const *groups;      /* the user's group names, NULL-terminated; NULL: looked up
					 * with getgrouplist() when a Group criterion needs them */
};

/* Flags for server_options_read_file. */
#define SERVER_CONFIG_MUST_EXIST 0x1    /* a missing file is an error (-f), not skipped */

/* Sets every field to "not given" and no callback. Never fails; pair with server_options_free. */
void server_options_init(struct server_options *o);

/* Frees every string, list and Match block the struct owns and re-initialises it. Accepts NULL. */
void server_options_free(struct server_options *o);

/* Routes the "ignoring unsupported option" warnings to fn (NULL: log them with flog). Each
 * keyword warns once per process. */
void server_options_set_warn(struct server_options *o, server_options_warn_fn fn, void *arg);

/* The default configuration file (caller frees): SERVER_CONFIG_SYSTEM as root, else
 * $XDG_CONFIG_HOME/ferry/ferryd_config (when that variable is an absolute path) or
 * ~/.config/ferry/ferryd_config. 0 or FERRY_ENOMEM. */
int server_config_default_path(bool as_root, char **out) FERRY_MUST_USE;

/* Applies one -o option, "Keyword value" or "Keyword=value" (case-insensitive keyword; values
 * may be quoted). First value wins, except Port, ListenAddress, HostKey, AcceptEnv, Subsystem
 * and Allow/Deny Users/Groups, which accumulate. Match and Include are refused here. */
int server_options_apply(struct server_options *o, const char *line, char **errmsg) FERRY_MUST_USE;

/* -p PORT: the first call drops every Port given so far, and Port lines after it are checked
 * but ignored (sshd: ports on the command line replace the file's). */
int server_options_add_port(struct server_options *o, const char *port, char **errmsg)
	FERRY_MUST_USE;

/* -h FILE: like add_port, for HostKey. The path is made absolute (relative to the current
 * directory; a leading ~/ is the home directory). */
int server_options_add_host_key(struct server_options *o, const char *path, char **errmsg)
	FERRY_MUST_USE;

/* Reads a configuration file. A missing file is not an error unless SERVER_CONFIG_MUST_EXIST
 * (then "PATH: No such file or directory"). Every line is checked, including those inside
 * Match blocks, which are stored for server_options_for_user and not applied here. Include
 * takes glob patterns; relative ones are relative to the including file's directory. Errors:
 * "PATH line N: ..." (an unknown keyword: "PATH: line N: Bad configuration option: Foo"). */
int server_options_read_file(struct server_options *o, const char *path, unsigned flags,
			     char **errmsg) FERRY_MUST_USE;

/* Fills the defaults of everything not given, expands the listen list and resolves the algorithm
 * lists against crypto/'s. Call once, after all apply/read calls. */
int server_options_finalize(struct server_options *o, char **errmsg) FERRY_MUST_USE;

/* For one connection: *out becomes a copy of the finalized base with the Match blocks that
 * apply to ci laid over it (as sshd: a Match block's value beats the global one and the -o one;
 * among blocks the first that sets a keyword wins; AcceptEnv, AuthorizedKeysFile and the
 * Allow/Deny lists are replaced as a whole). *out is independent of base (free it with
 * server_options_free) and holds no Match blocks itself. ci->user must not be NULL. */
int server_options_for_user(const struct server_options *base, const struct server_conn_info *ci,
			    struct server_options *out, char **errmsg) FERRY_MUST_USE;

/* sshd's AllowUsers/DenyUsers/AllowGroups/DenyGroups check, in sshd's order (DenyUsers,
 * AllowUsers, DenyGroups, AllowGroups). User patterns may be USER@HOST, HOST matching the host
 * name or, with CIDR too, the address. Returns 0 if the user may log in, FERRY_EPERM with *why
 * (caller frees) saying why not in sshd's words ("User bob from 192.0.2.7 not allowed because
 * listed in DenyUsers"), or FERRY_ENOMEM. An unknown user is refused only when group lists
 * are configured. why may be NULL. */
int server_user_allowed(const struct server_options *o, const struct server_conn_info *ci,
			char **why) FERRY_MUST_USE;

/* The Subsystem entry called name, or NULL. Borrowed from o. */
const struct server_subsystem *server_options_subsystem(const struct server_options *o,
							const char *name);

#endif
