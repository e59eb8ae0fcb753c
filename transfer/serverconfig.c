/* ferryd's configuration: OpenSSH sshd_config(5) keywords and defaults, -o options, Include,
 * and Match blocks evaluated per connection (docs/ferryd_config.5.md,
 * docs/internals/server-policy.md). */
#include "transfer/serverconfig.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/text.h"
#include "crypto/cipher.h"
#include "crypto/kex.h"
#include "crypto/key.h"
#include "transfer/authkeys.h"

#define MAX_INCLUDE_DEPTH 16    /* as sshd: deeper nesting is a loop, not a config */
#define MAX_PORTS 256           /* as sshd */
#define MAX_GROUPS 4096         /* the most groups looked up for one user */

enum opcode {
	OP_IGNORED = 0,         /* an sshd keyword ferryd does not implement: warn once, skip */
	OP_REFUSED,             /* a restriction ferryd cannot enforce: only its neutral value */
	OP_MATCH, OP_INCLUDE,
	OP_PORT, OP_LISTEN, OP_ADDRFAM, OP_HOSTKEY, OP_AUTHKEYS_FILE,
	OP_PUBKEY_AUTH, OP_PASSWORD_AUTH, OP_PERMIT_EMPTY, OP_PERMIT_ROOT,
	OP_MAX_AUTH_TRIES, OP_MAX_SESSIONS, OP_LOGIN_GRACE, OP_MAX_STARTUPS, OP_SUBSYSTEM,
	OP_CIPHERS, OP_MACS, OP_KEX, OP_HOSTKEY_ALGS, OP_PUBKEY_ALGS, OP_REKEY,
	OP_ALIVE_INTERVAL, OP_ALIVE_COUNT, OP_LOGLEVEL, OP_PIDFILE, OP_ACCEPTENV, OP_STRICTMODES,
	OP_ALLOW_USERS, OP_DENY_USERS, OP_ALLOW_GROUPS, OP_DENY_GROUPS,
};

#define KW_MATCH 0x1            /* allowed inside a Match block (sshd_config(5) Match) */

struct keyword {
	const char *name;       /* as sshd_config(5) spells it; matched case-insensitively */
	enum opcode op;
	unsigned flags;
	const char *neutral;    /* OP_REFUSED: the one value accepted (it restricts nothing) */
};

/* Every keyword OpenSSH's sshd accepts (sshd_config(5) of OpenSSH 9.x/10.x, the Debian and
 * Fedora additions, and the deprecated names it still tolerates). A keyword not in this table
 * is an error, as it is for sshd. */
static const struct keyword keywords[] = {
	{ "Match", OP_MATCH, KW_MATCH, NULL },
	{ "Include", OP_INCLUDE, KW_MATCH, NULL },
	{ "Port", OP_PORT, 0, NULL },
	{ "ListenAddress", OP_LISTEN, 0, NULL },
	{ "AddressFamily", OP_ADDRFAM, 0, NULL },
	{ "HostKey", OP_HOSTKEY, 0, NULL },
	{ "HostDSAKey", OP_HOSTKEY, 0, NULL },                  /* old alias */
	{ "AuthorizedKeysFile", OP_AUTHKEYS_FILE, KW_MATCH, NULL },
	{ "PubkeyAuthentication", OP_PUBKEY_AUTH, KW_MATCH, NULL },
	{ "DSAAuthentication", OP_PUBKEY_AUTH, KW_MATCH, NULL },   /* old alias */
	{ "PasswordAuthentication", OP_PASSWORD_AUTH, KW_MATCH, NULL },
	{ "PermitEmptyPasswords", OP_PERMIT_EMPTY, KW_MATCH, NULL },
	{ "PermitRootLogin", OP_PERMIT_ROOT, KW_MATCH, NULL },
	{ "MaxAuthTries", OP_MAX_AUTH_TRIES, KW_MATCH, NULL },
	{ "MaxSessions", OP_MAX_SESSIONS, KW_MATCH, NULL },
	{ "LoginGraceTime", OP_LOGIN_GRACE, 0, NULL },
	{ "MaxStartups", OP_MAX_STARTUPS, 0, NULL },
	{ "Subsystem", OP_SUBSYSTEM, 0, NULL },
	{ "Ciphers", OP_CIPHERS, 0, NULL },
	{ "MACs", OP_MACS, 0, NULL },
	{ "KexAlgorithms", OP_KEX, 0, NULL },
	{ "HostKeyAlgorithms", OP_HOSTKEY_ALGS, 0, NULL },
	{ "PubkeyAcceptedAlgorithms", OP_PUBKEY_ALGS, KW_MATCH, NULL },
	{ "PubkeyAcceptedKeyTypes", OP_PUBKEY_ALGS, KW_MATCH, NULL }, /* old name */
	{ "RekeyLimit", OP_REKEY, KW_MATCH, NULL },
	{ "ClientAliveInterval", OP_ALIVE_INTERVAL, KW_MATCH, NULL },
	{ "ClientAliveCountMax", OP_ALIVE_COUNT, KW_MATCH, NULL },
	{ "LogLevel", OP_LOGLEVEL, KW_MATCH, NULL },
	{ "PidFile", OP_PIDFILE, 0, NULL },
	{ "AcceptEnv", OP_ACCEPTENV, KW_MATCH, NULL },
	{ "StrictModes", OP_STRICTMODES, 0, NULL },
	{ "AllowUsers", OP_ALLOW_USERS, KW_MATCH, NULL },
	{ "DenyUsers", OP_DENY_USERS, KW_MATCH, NULL },
	{ "AllowGroups", OP_ALLOW_GROUPS, KW_MATCH, NULL },
	{ "DenyGroups", OP_DENY_GROUPS, KW_MATCH, NULL },

	/* Restrictions: ignoring one would let in more than the administrator allowed, so any
	 * value but the neutral one is an error rather than a warning. */
	{ "AuthenticationMethods", OP_REFUSED, KW_MATCH, "any" },
	{ "ChrootDirectory", OP_REFUSED, KW_MATCH, "none" },
	{ "ForceCommand", OP_REFUSED, KW_MATCH, "none" },
	{ "RefuseConnection", OP_REFUSED, KW_MATCH, "no" },
	{ "RevokedKeys", OP_REFUSED, 0, "none" },

	/* Accepted with a warning: ignoring them only leaves a feature off that ferryd does not
	 * have (forwarding, certificates, PAM, ...) or changes nothing about who gets in. */
	{ "AllowAgentForwarding", OP_IGNORED, KW_MATCH, NULL },
	{ "AllowStreamLocalForwarding", OP_IGNORED, KW_MATCH, NULL },
	{ "AllowTcpForwarding", OP_IGNORED, KW_MATCH, NULL },
	{ "AuthorizedKeysCommand", OP_IGNORED, KW_MATCH, NULL },
	{ "AuthorizedKeysCommandUser", OP_IGNORED, KW_MATCH, NULL },
	{ "AuthorizedPrincipalsCommand", OP_IGNORED, KW_MATCH, NULL },
	{ "AuthorizedPrincipalsCommandUser", OP_IGNORED, KW_MATCH, NULL },
	{ "AuthorizedPrincipalsFile", OP_IGNORED, KW_MATCH, NULL },
	{ "Banner", OP_IGNORED, KW_MATCH, NULL },
	{ "CASignatureAlgorithms", OP_IGNORED, KW_MATCH, NULL },
	{ "ChallengeResponseAuthentication", OP_IGNORED, KW_MATCH, NULL },
	{ "ChannelTimeout", OP_IGNORED, KW_MATCH, NULL },
	{ "Compression", OP_IGNORED, KW_MATCH, NULL },
	{ "DebianBanner", OP_IGNORED, KW_MATCH, NULL },             /* Debian */
	{ "DisableForwarding", OP_IGNORED, KW_MATCH, NULL },
	{ "ExposeAuthInfo", OP_IGNORED, KW_MATCH, NULL },
	{ "FingerprintHash", OP_IGNORED, KW_MATCH, NULL },
	{ "GatewayPorts", OP_IGNORED, KW_MATCH, NULL },
	{ "GSSAPIAuthentication", OP_IGNORED, KW_MATCH, NULL },
	{ "GSSAPICleanupCredentials", OP_IGNORED, KW_MATCH, NULL },
	{ "GSSAPIEnablek5users", OP_IGNORED, KW_MATCH, NULL },      /* Fedora */
	{ "GSSAPIKexAlgorithms", OP_IGNORED, KW_MATCH, NULL },      /* Debian */
	{ "GSSAPIKeyExchange", OP_IGNORED, KW_MATCH, NULL },        /* Debian */
	{ "GSSAPIStoreCredentialsOnRekey", OP_IGNORED, KW_MATCH, NULL }, /* Debian */
	{ "GSSAPIStrictAcceptorCheck", OP_IGNORED, KW_MATCH, NULL },
	{ "HostbasedAcceptedAlgorithms", OP_IGNORED, KW_MATCH, NULL },
	{ "HostbasedAcceptedKeyTypes", OP_IGNORED, KW_MATCH, NULL },
	{ "HostbasedAuthentication", OP_IGNORED, KW_MATCH, NULL },
	{ "HostbasedUsesNameFromPacketOnly", OP_IGNORED, KW_MATCH, NULL },
	{ "HostCertificate", OP_IGNORED, KW_MATCH, NULL },
	{ "HostKeyAgent", OP_IGNORED, KW_MATCH, NULL },
	{ "IgnoreRhosts", OP_IGNORED, KW_MATCH, NULL },
	{ "IgnoreUserKnownHosts", OP_IGNORED, KW_MATCH, NULL },
	{ "IPQoS", OP_IGNORED, KW_MATCH, NULL },
	{ "KbdInteractiveAuthentication", OP_IGNORED, KW_MATCH, NULL },
	{ "KerberosAuthentication", OP_IGNORED, KW_MATCH, NULL },
	{ "KerberosGetAFSToken", OP_IGNORED, KW_MATCH, NULL },
	{ "KerberosOrLocalPasswd", OP_IGNORED, KW_MATCH, NULL },
	{ "KerberosTicketCleanup", OP_IGNORED, KW_MATCH, NULL },
	{ "KerberosUseKuserok", OP_IGNORED, KW_MATCH, NULL },       /* Fedora */
	{ "LogVerbose", OP_IGNORED, KW_MATCH, NULL },
	{ "ModuliFile", OP_IGNORED, KW_MATCH, NULL },
	{ "PAMServiceName", OP_IGNORED, KW_MATCH, NULL },
	{ "PermitListen", OP_IGNORED, KW_MATCH, NULL },
	{ "PermitOpen", OP_IGNORED, KW_MATCH, NULL },
	{ "PermitTTY", OP_IGNORED, KW_MATCH, NULL },
	{ "PermitTunnel", OP_IGNORED, KW_MATCH, NULL },
	{ "PermitUserEnvironment", OP_IGNORED, KW_MATCH, NULL },
	{ "PermitUserRC", OP_IGNORED, KW_MATCH, NULL },
	{ "PerSourceMaxStartups", OP_IGNORED, KW_MATCH, NULL },
	{ "PerSourceNetBlockSize", OP_IGNORED, KW_MATCH, NULL },
	{ "PerSourcePenalties", OP_IGNORED, KW_MATCH, NULL },
	{ "PerSourcePenaltyExemptList", OP_IGNORED, KW_MATCH, NULL },
	{ "PrintLastLog", OP_IGNORED, KW_MATCH, NULL },
	{ "PrintMotd", OP_IGNORED, KW_MATCH, NULL },
	{ "PubkeyAuthOptions", OP_IGNORED, KW_MATCH, NULL },
	{ "RDomain", OP_IGNORED, KW_MATCH, NULL },
	{ "RequiredRSASize", OP_IGNORED, KW_MATCH, NULL },
	{ "SecurityKeyProvider", OP_IGNORED, KW_MATCH, NULL },
	{ "SetEnv", OP_IGNORED, KW_MATCH, NULL },
	{ "SshdAuthPath", OP_IGNORED, KW_MATCH, NULL },
	{ "SshdSessionPath", OP_IGNORED, KW_MATCH, NULL },
	{ "StreamLocalBindMask", OP_IGNORED, KW_MATCH, NULL },
	{ "StreamLocalBindUnlink", OP_IGNORED, KW_MATCH, NULL },
	{ "SyslogFacility", OP_IGNORED, KW_MATCH, NULL },
	{ "TCPKeepAlive", OP_IGNORED, KW_MATCH, NULL },
	{ "TrustedUserCAKeys", OP_IGNORED, KW_MATCH, NULL },
	{ "UnusedConnectionTimeout", OP_IGNORED, KW_MATCH, NULL },
	{ "UseDNS", OP_IGNORED, KW_MATCH, NULL },
	{ "UsePAM", OP_IGNORED, KW_MATCH, NULL },
	{ "VersionAddendum", OP_IGNORED, KW_MATCH, NULL },
	{ "X11DisplayOffset", OP_IGNORED, KW_MATCH, NULL },
	{ "X11Forwarding", OP_IGNORED, KW_MATCH, NULL },
	{ "X11UseLocalhost", OP_IGNORED, KW_MATCH, NULL },
	{ "XAuthLocation", OP_IGNORED, KW_MATCH, NULL },
	/* Deprecated or removed, still accepted by sshd. */
	{ "AFSTokenPassing", OP_IGNORED, KW_MATCH, NULL },
	{ "AuthorizedKeysFile2", OP_IGNORED, KW_MATCH, NULL },
	{ "CheckMail", OP_IGNORED, KW_MATCH, NULL },
	{ "KeepAlive", OP_IGNORED, KW_MATCH, NULL },
	{ "KerberosTGTPassing", OP_IGNORED, KW_MATCH, NULL },
	{ "KeyRegenerationInterval", OP_IGNORED, KW_MATCH, NULL },
	{ "Protocol", OP_IGNORED, KW_MATCH, NULL },
	{ "ReverseMappingCheck", OP_IGNORED, KW_MATCH, NULL },
	{ "RhostsAuthentication", OP_IGNORED, KW_MATCH, NULL },
	{ "RhostsRSAAuthentication", OP_IGNORED, KW_MATCH, NULL },
	{ "RSAAuthentication", OP_IGNORED, KW_MATCH, NULL },
	{ "ServerKeyBits", OP_IGNORED, KW_MATCH, NULL },
	{ "SkeyAuthentication", OP_IGNORED, KW_MATCH, NULL },
	{ "UseLogin", OP_IGNORED, KW_MATCH, NULL },
	{ "UsePrivilegeSeparation", OP_IGNORED, KW_MATCH, NULL },
	{ "VerifyReverseMapping", OP_IGNORED, KW_MATCH, NULL },
};

#define N_KEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

/* "Once per keyword per process": one flag per table row. Atomic so that two threads reading
 * configs at once still warn once; nothing else in this module is process-wide. */
static atomic_bool warned_keyword[N_KEYWORDS];

/* One stored line of a Match block, replayed by server_options_for_user. */
struct server_match_line {
	char *path;
	unsigned long lineno;
	char *text;
};

/* A run of lines under one set of criteria. The criteria are the raw values of the Match lines
 * that enclose the run (an Include inside a Match block adds the outer block's), all of which
 * must match. A block interrupted by an Include continues in a new run with the same criteria,
 * so replaying runs in order keeps the file's order. */
struct server_match {
	struct ssh_strlist criteria;
	struct server_match_line *lines;
	size_t n_lines;
};

/* One file, the command line, or a replay being processed. */
struct pctx {
	struct server_options *o;
	const char *path;               /* for messages: the file, or "command-line" */
	unsigned long line;
	int depth;
	bool cmdline;                   /* a -o option (or -p/-h) */
	bool replay;                    /* server_options_for_user applying stored lines */
	bool apply;                     /* store values; false while checking a Match block */
	bool in_match;                  /* after a Match line, or in a file included from one */
	const struct ssh_strlist *outer;/* criteria of the block that included this file */
	struct ssh_strlist *crit;       /* criteria of the current block */
	struct server_match *run;       /* run lines are stored in; NULL: open one when needed */
	char **errmsg;
};

static int read_file_depth(struct server_options *o, const char *path, unsigned flags, int depth,
			   const struct ssh_strlist *outer, char **errmsg);

/* ---- small helpers ---------------------------------------------------------------------- */

/* Sets *errmsg to "PATH line N: <fmt...>" and returns FERRY_ECONFIG (FERRY_ENOMEM if the
 * message cannot be built). */
static int __attribute__((format(printf, 2, 3))) pc_error(const struct pctx *c, const char *fmt, ...)
{
	char *body = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0)
		return FERRY_ENOMEM;
	char *msg = str_printf("%s line %lu: %s", c->path, c->line, body);
	free(body);
	if (msg == NULL)
		return FERRY_ENOMEM;
	cfg_set_errmsg(c->errmsg, msg);
	return FERRY_ECONFIG;
}

/* A path as sshd stores HostKey and PidFile: "~/" is the home directory, a relative path is
 * taken from the current directory (ferryd later changes to /). Caller frees *out. */
static int absolute_path(const char *path, char **out, char **errmsg)
{
	char *s = NULL;
	int r;
	if (path[0] == '/') {
		s = strdup(path);
	} else if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
		char *home = NULL;
		if ((r = cfg_own_home(&home)) != 0)
			return r == FERRY_ENOMEM ? r : cfg_errorf(errmsg, "No home directory for %s",
								  path);
		s = str_printf("%s%s", strcmp(home, "/") == 0 ? "" : home, path + 1);
		free(home);
	} else {
		char *cwd = getcwd(NULL, 0);
		if (cwd == NULL)
			return cfg_errorf(errmsg, "getcwd: %s", strerror(errno));
		s = str_printf("%s/%s", strcmp(cwd, "/") == 0 ? "" : cwd, path);
		free(cwd);
	}
	if (s == NULL)
		return FERRY_ENOMEM;
	*out = s;
	return 0;
}

/* A decimal port 1..65535, or -1. */
static int parse_port(const char *s)
{
	if (!isdigit((unsigned char)s[0]) || strlen(s) > 5)
		return -1;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p))
			return -1;
	long v = strtol(s, NULL, 10);
	return v >= 1 && v <= 65535 ? (int)v : -1;
}

static void match_run_free(struct server_match *m)
{
	cfg_strlist_free(&m->criteria);
	for (size_t i = 0; i < m->n_lines; i++) {
		free(m->lines[i].path);
		free(m->lines[i].text);
	}
	free(m->lines);
}

/* ---- warnings ----------------------------------------------------------------------------- */

static int warn_keyword(const struct pctx *c, size_t kw)
{
	if (c->replay || atomic_load(&warned_keyword[kw]))
		return 0;
	char *msg = NULL;
	if (c->cmdline)
		msg = str_printf("ferryd: ignoring unsupported option '%s'", keywords[kw].name);
	else
		msg = str_printf("ferryd: ignoring unsupported option '%s' (%s line %lu)",
				 keywords[kw].name, c->path, c->line);
	if (msg == NULL)
		return FERRY_ENOMEM;
	if (!atomic_exchange(&warned_keyword[kw], true)) {
		if (c->o->warn)
			c->o->warn(c->o->warn_arg, FLOG_INFO, msg);
		else
			flog(FLOG_INFO, "%s", msg);
	}
	free(msg);
	return 0;
}

/* ---- value handlers --------------------------------------------------------------------- */

/* The next argument, or sshd's "missing argument" error. */
static int next_arg(const struct pctx *c, const struct cfg_args *a, size_t *i, const char *kw,
		    const char **arg)
{
	if (*i >= a->n || a->v[*i][0] == '\0')
		return pc_error(c, "%s missing argument.", kw);
	*arg = a->v[(*i)++];
	return 0;
}

/* First value wins: store only when applying and only if not given before. */
static int set_string(const struct pctx *c, char **field, const char *value)
{
	if (!c->apply || *field != NULL)
		return 0;
	if ((*field = strdup(value)) == NULL)
		return FERRY_ENOMEM;
	return 0;
}

static void set_int(const struct pctx *c, int *field, int value)
{
	if (c->apply && *field == SERVER_OPT_UNSET)
		*field = value;
}

static const struct cfg_choice permit_root_choices[] = {
	{ "yes", PERMIT_ROOT_YES }, { "prohibit-password", PERMIT_ROOT_PROHIBIT_PASSWORD },
	{ "without-password", PERMIT_ROOT_PROHIBIT_PASSWORD },
	{ "forced-commands-only", PERMIT_ROOT_FORCED_COMMANDS_ONLY }, { "no", PERMIT_ROOT_NO },
	{ NULL, 0 },
};
static const struct cfg_choice af_choices[] = {
	{ "any", SERVER_AF_ANY }, { "inet", SERVER_AF_INET }, { "inet6", SERVER_AF_INET6 },
	{ NULL, 0 },
};

static int handle_flag(const struct pctx *c, const struct cfg_args *a, size_t *i, const char *kw,
		       int *field)
{
	const char *arg = NULL;
	int r = next_arg(c, a, i, kw, &arg);
	if (r != 0)
		return r;
	/* sshd_config takes yes/no only (no true/false, unlike ssh_config). */
	int v = cfg_parse_flag(arg, false);
	if (v < 0)
		return pc_error(c, "unsupported option \"%s\".", arg);
	set_int(c, field, v);
	return 0;
}

static int handle_choice(const struct pctx *c, const struct cfg_args *a, size_t *i,
			 const char *kw, const struct cfg_choice *choices, int *field)
{
	const char *arg = NULL;
	int r = next_arg(c, a, i, kw, &arg);
	if (r != 0)
		return r;
	int v = cfg_parse_choice(choices, arg);
	if (v < 0)
		return pc_error(c, "unsupported option \"%s\".", arg);
	set_int(c, field, v);
	return 0;
}

/* A non-negative int, worded as sshd: "MaxAuthTries integer value invalid." */
static int handle_int(const struct pctx *c, const struct cfg_args *a, size_t *i, const char *kw,
		      const char *name, int *field)
{
	const char *arg = NULL;
	int r = next_arg(c, a, i, kw, &arg);
	if (r != 0)
		return r;
	const char *digits = arg[0] == '-' || arg[0] == '+' ? arg + 1 : arg;
	if (!isdigit((unsigned char)digits[0]))
		return pc_error(c, "%s integer value invalid.", name);
	for (const char *p = digits; *p; p++)
		if (!isdigit((unsigned char)*p))
			return pc_error(c, "%s integer value invalid.", name);
	errno = 0;
	long long v = strtoll(arg, NULL, 10);
	if (v < 0)
		return pc_error(c, "%s integer value too small.", name);
	if (errno == ERANGE || v > INT_MAX)
		return pc_error(c, "%s integer value too large.", name);
	set_int(c, field, (int)v);
	return 0;
}

static int handle_time(const struct pctx *c, const struct cfg_args *a, size_t *i, const char *kw,
		       int *field)
{
	const char *arg = NULL;
	int r = next_arg(c, a, i, kw, &arg);
	if (r != 0)
		return r;
	int64_t v = cfg_parse_time(arg);
	if (v < 0)
		return pc_error(c, "invalid time value.");
	set_int(c, field, (int)v);
	return 0;
}

static int handle_port(const struct pctx *c, const struct cfg_args *a, size_t *i, const char *kw,
		       bool override)
{
	struct server_options *o = c->o;
	const char *arg = NULL;
	int r = next_arg(c, a, i, kw, &arg);
	if (r != 0)
		return r;
	int port = parse_port(arg);
	if (port < 0)
		return pc_error(c, "Badly formatted port number.");
	if (override && !o->ports_fixed) {
		/* sshd(8) -p: ports on the command line replace those of the configuration. */
		free(o->ports);
		o->ports = NULL;
		o->n_ports = 0;
		o->ports_fixed = true;
	} else if (!override && (o->ports_fixed || !c->apply)) {
		return 0;
	}
	for (size_t k = 0; k < o->n_ports; k++)
		if (o->ports[k] == port)
			return 0;
	if (o->n_ports >= MAX_PORTS)
		return pc_error(c, "too many ports.");
	int *v = realloc(o->ports, (o->n_ports + 1) * sizeof(*v));
	if (v == NULL)
		return FERRY_ENOMEM;
	v[o->n_ports++] = port;
	o->ports = v;
	return 0;
}

static int listen_add(struct server_options *o, const char *host, size_t hostlen, int port)
{
	char *h = strndup(host, hostlen);
	if (h == NULL)
		return FERRY_ENOMEM;
	struct server_listen *v = realloc(o->listen, (o->n_listen + 1) * sizeof(*v));
	if (v == NULL) {
		free(h);
		return FERRY_ENOMEM;
	}
	v[o->n_listen].host = h;
	v[o->n_listen].port = port;
	o->n_listen++;
	o->listen = v;
	return 0;
}

/* ListenAddress host|IPv4:port|[host]:port|IPv6 ["rdomain" domain] (sshd_config(5)). */
static int handle_listen(const struct pctx *c, const struct cfg_args *a, size_t *i, const char *kw)
{
	const char *arg = NULL;
	int r = next_arg(c, a, i, kw, &arg);
	if (r != 0)
		return r;
	const char *host = arg, *portstr = NULL;
	size_t hostlen = strlen(arg);
	if (arg[0] == '[') {
		const char *close = strchr(arg, ']');
		if (close == NULL || (close[1] != '\0' && close[1] != ':'))
			return pc_error(c, "bad address:port usage");
		host = arg + 1;
		hostlen = (size_t)(close - host);
		if (close[1] == ':')
			portstr = close + 2;
	} else {
		const char *colon = strchr(arg, ':');
		/* One colon separates a port; more make it a bare IPv6 address. */
		if (colon != NULL && strchr(colon + 1, ':') == NULL) {
			hostlen = (size_t)(colon - arg);
			portstr = colon + 1;
		}
	}
	if (hostlen == 0)
		return pc_error(c, "bad address:port usage");
	int port = 0;
	if (portstr != NULL && (port = parse_port(portstr)) < 0)
		return pc_error(c, "bad port number");
	if (*i < a->n) {
		if (strcasecmp(a->v[*i], "rdomain") == 0)
			return pc_error(c, "ListenAddress rdomain is not supported by ferryd");
		return pc_error(c, "bad ListenAddress syntax");
	}
	if (!c->apply)
		return 0;
	return listen_add(c->o, host, hostlen, port);
}

static int handle_hostkey(const struct pctx *c, const struct cfg_args *a, size_t *i,
			  const char *kw, bool override)
{
	struct server_options *o = c->o;
	const char *arg = NULL;
	char *path = NULL;
	int r = next_arg(c, a, i, kw, &arg);
	if (r != 0)
		return r;
	if (override && !o->host_keys_fixed) {
		/* sshd(8) -h: host keys on the command line replace the configuration's. */
		cfg_strlist_free(&o->host_keys);
		o->host_keys_fixed = true;
	} else if (!override && (o->host_keys_fixed || !c->apply)) {
		return 0;
	}
	if ((r = absolute_path(arg, &path, c->errmsg)) != 0)
		return r;
	if (!cfg_strlist_contains(&o->host_keys, path))
		r = cfg_strlist_add(&o->host_keys, path);
	free(path);
	return r;
}

static int handle_pidfile(const struct pctx *c, const struct cfg_args *a, size_t *i, const char *kw)
{
	const char *arg = NULL;
	char *path = NULL;
	int r = next_arg(c, a, i, kw, &arg);
	if (r != 0 || !c->apply || c->o->pid_file != NULL)
		return r;
	if (strcasecmp(arg, "none") == 0)
		return set_string(c, &c->o->pid_file, "none");
	if ((r = absolute_path(arg, &path, c->errmsg)) != 0)
		return r;
	c->o->pid_file = path;
	return 0;
}

static int handle_authkeys_file(const struct pctx *c, const struct cfg_args *a, size_t *i,
				const char *kw)
{
	struct ssh_strlist *l = &c->o->authorized_keys_files;
	int r;
	if (*i >= a->n)
		return pc_error(c, "%s missing argument.", kw);
	bool take = c->apply && !l->set;
	/* "none" alone: no file at all. */
	bool none = a->n - *i == 1 && strcasecmp(a->v[*i], "none") == 0;
	for (; *i < a->n; (*i)++) {
		if (a->v[*i][0] == '\0')
			return pc_error(c, "%s missing argument.", kw);
		/* Checked now so that ferryd -t finds it, not the first login. */
		if (!authkeys_path_tokens_valid(a->v[*i]))
			return pc_error(c, "%s \"%s\": unknown %%-token (known: %%%% %%h %%u %%U)",
					kw, a->v[*i]);
		if (take && !none && (r = cfg_strlist_add(l, a->v[*i])) != 0)
			return r;
	}
	if (take)
		l->set = true;
	return 0;
}

static int handle_acceptenv(const struct pctx *c, const struct cfg_args *a, size_t *i,
			    const char *kw)
{
	struct ssh_strlist *l = &c->o->accept_env;
	int r;
	if (*i >= a->n)
		return pc_error(c, "%s missing argument.", kw);
	for (; *i < a->n; (*i)++) {
		const char *arg = a->v[*i];
		if (arg[0] == '\0' || strchr(arg, '=') != NULL)
			return pc_error(c, "Invalid environment name.");
		if (c->apply && !cfg_strlist_contains(l, arg) && (r = cfg_strlist_add(l, arg)) != 0)
			return r;
	}
	return 0;
}

/* AllowUsers, DenyUsers, AllowGroups, DenyGroups: patterns accumulate across lines. */
static int handle_access_list(const struct pctx *c, const struct cfg_args *a, size_t *i,
			      const char *kw, const char *name, struct ssh_strlist *l, bool users)
{
	int r;
	if (*i >= a->n)
		return pc_error(c, "%s missing argument.", kw);
	for (; *i < a->n; (*i)++) {
		const char *arg = a->v[*i];
		const char *at = users ? strchr(arg, '@') : NULL;
		/* USER@HOST: a CIDR host part must be well-formed, or nobody could ever match. */
		if (arg[0] == '\0' || (at != NULL && (at == arg || at[1] == '\0' ||
						      !cfg_address_list_valid(at + 1))))
			return pc_error(c, "invalid %s pattern: \"%s\"", name, arg);
		if (c->apply && !cfg_strlist_contains(l, arg) && (r = cfg_strlist_add(l, arg)) != 0)
			return r;
	}
	return 0;
}

static int handle_subsystem(const struct pctx *c, const struct cfg_args *a, size_t *i,
			    const char *kw)
{
	struct server_options *o = c->o;
	const char *name = NULL;
	int r = next_arg(c, a, i, kw, &name);
	if (r != 0)
		return r;
	if (*i >= a->n || a->v[*i][0] == '\0')
		return pc_error(c, "Missing subsystem command.");
	for (size_t k = 0; k < o->n_subsystems; k++) {
		if (strcmp(o->subsystems[k].name, name) != 0)
			continue;
		/* -o comes first and wins; two definitions from files are an error, as sshd. */
		if (o->subsystems[k].from_cmdline && !c->cmdline) {
			*i = a->n;
			return 0;
		}
		return pc_error(c, "Subsystem '%s' already defined.", name);
	}
	/* The command is its words joined by spaces; the session layer runs it through the
	 * user's shell, as sshd does. */
	size_t len = 0;
	for (size_t k = *i; k < a->n; k++)
		len += strlen(a->v[k]) + 1;
	char *cmd = malloc(len);
	char *nm = strdup(name);
	struct server_subsystem *v = NULL;
	if (cmd == NULL || nm == NULL)
		goto nomem;
	cmd[0] = '\0';
	for (; *i < a->n; (*i)++) {
		if (cmd[0] != '\0')
			strcat(cmd, " ");
		strcat(cmd, a->v[*i]);
	}
	if (!c->apply) {
		free(cmd);
		free(nm);
		return 0;
	}
	v = realloc(o->subsystems, (o->n_subsystems + 1) * sizeof(*v));
	if (v == NULL)
		goto nomem;
	v[o->n_subsystems].name = nm;
	v[o->n_subsystems].command = cmd;
	v[o->n_subsystems].from_cmdline = c->cmdline;
	o->n_subsystems++;
	o->subsystems = v;
	return 0;
nomem:
	free(cmd);
	free(nm);
	return FERRY_ENOMEM;
}

static int handle_max_startups(const struct pctx *c, const struct cfg_args *a, size_t *i,
			       const char *kw)
{
	struct server_options *o = c->o;
	const char *arg = NULL;
	int r = next_arg(c, a, i, kw, &arg);
	if (r != 0)
		return r;
	long v[3] = { 0, 0, 0 };
	int n = 0;
	const char *p = arg;
	for (;;) {
		if (!isdigit((unsigned char)*p) || n == 3)
			return pc_error(c, "Invalid MaxStartups spec.");
		char *end = NULL;
		errno = 0;
		v[n++] = strtol(p, &end, 10);
		if (errno != 0 || v[n - 1] > INT_MAX)
			return pc_error(c, "Invalid MaxStartups spec.");
		if (*end == '\0')
			break;
		if (*end != ':')
			return pc_error(c, "Invalid MaxStartups spec.");
		p = end + 1;
	}
	long begin, rate, full;
	if (n == 1) {
		begin = full = v[0];
		rate = 30;
	} else if (n == 3) {
		begin = v[0];
		rate = v[1];
		full = v[2];
	} else {
		return pc_error(c, "Invalid MaxStartups spec.");
	}
	/* sshd_config(5) MaxStartups: start <= full, 1 <= rate <= 100, both counts positive. */
	if (begin <= 0 || full <= 0 || begin > full || rate < 1 || rate > 100)
		return pc_error(c, "Invalid MaxStartups spec.");
	if (c->apply && o->max_startups_full == SERVER_OPT_UNSET) {
		o->max_startups_begin = (int)begin;
		o->max_startups_rate = (int)rate;
		o->max_startups_full = (int)full;
	}
	return 0;
}

static int handle_rekey(const struct pctx *c, const struct cfg_args *a, size_t *i, const char *kw)
{
	struct server_options *o = c->o;
	const char *arg = NULL;
	int r = next_arg(c, a, i, kw, &arg);
	if (r != 0)
		return r;
	int64_t bytes = 0;
	/* "default" (and "none") leaves the volume limit to the cipher. */
	if (strcasecmp(arg, "default") != 0 && strcasecmp(arg, "none") != 0) {
		if (cfg_parse_size(arg, &bytes) != 0)
			return pc_error(c, "Bad RekeyLimit number '%s': Invalid argument", arg);
		if (bytes != 0 && bytes < 16)
			return pc_error(c, "RekeyLimit too small");
	}
	int64_t secs = 0;
	bool have_secs = false;
	if (*i < a->n) {
		arg = a->v[(*i)++];
		if (strcasecmp(arg, "none") != 0 && strcasecmp(arg, "default") != 0 &&
		    (secs = cfg_parse_time(arg)) < 0)
			return pc_error(c, "invalid time value.");
		have_secs = true;
	}
	/* As sshd, the size and the time are each "first value wins" on their own. */
	if (c->apply && o->rekey_limit_bytes == SERVER_OPT_UNSET)
		o->rekey_limit_bytes = bytes;
	if (c->apply && have_secs && o->rekey_limit_seconds == SERVER_OPT_UNSET)
		o->rekey_limit_seconds = secs;
	return 0;
}

static int handle_algorithms(const struct pctx *c, const struct cfg_args *a, size_t *i,
			     const char *kw, enum opcode op)
{
	const char *def, *sup, *label;
	char **field;
	const char *arg = NULL;
	int r = next_arg(c, a, i, kw, &arg);
	if (r != 0)
		return r;
	switch (op) {
	case OP_CIPHERS:
		def = cipher_default_names();
		sup = cipher_supported_names();
		label = "Bad SSH2 cipher spec";
		field = &c->o->ciphers;
		break;
	case OP_MACS:
		def = mac_default_names();
		sup = mac_supported_names();
		label = "Bad SSH2 mac spec";
		field = &c->o->macs;
		break;
	case OP_KEX:
		def = kex_default_names();
		sup = kex_supported_names();
		label = "Bad SSH2 KexAlgorithms";
		field = &c->o->kex_algorithms;
		break;
	case OP_HOSTKEY_ALGS:
		def = key_sigalg_default_names();
		sup = key_sigalg_supported_names();
		label = "Bad key types";
		field = &c->o->host_key_algorithms;
		break;
	default:
		def = key_sigalg_default_names();
		sup = key_sigalg_supported_names();
		label = "Bad key types";
		field = &c->o->pubkey_accepted_algorithms;
		break;
	}
	r = cfg_alglist_check(def, sup, arg);
	if (r == FERRY_ENOMEM)
		return r;
	if (r != 0)
		return pc_error(c, "%s '%s'.", label, arg);
	return set_string(c, field, arg);
}

static int handle_refused(const struct pctx *c, const struct cfg_args *a, size_t *i, size_t k)
{
	const char *kw = keywords[k].name;
	const char *arg = NULL;
	int r = next_arg(c, a, i, kw, &arg);
	if (r != 0)
		return r;
	*i = a->n;
	if (a->n == 1 && strcasecmp(arg, keywords[k].neutral) == 0)
		return 0;
	return pc_error(c, "%s is not supported by ferryd, which would not enforce it "
			"(only \"%s\" is accepted)", kw, keywords[k].neutral);
}

/* ---- Match ------------------------------------------------------------------------------- */

/* The user's group names, looked up once per evaluation when a Group criterion needs them. */
struct group_cache {
	bool loaded;
	bool found;             /* the user exists */
	struct ssh_strlist names;
	const char *const *given;
};

static int groups_load(struct group_cache *g, const char *user)
{
	if (g->loaded)
		return 0;
	g->loaded = true;
	if (g->given != NULL) {
		g->found = true;
		for (const char *const *p = g->given; *p; p++)
			if (cfg_strlist_add(&g->names, *p) != 0)
				return FERRY_ENOMEM;
		return 0;
	}
	char buf[16384];
	struct passwd pw, *res = NULL;
	if (getpwnam_r(user, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
		return 0;
	g->found = true;
	int n = 64;
	gid_t *gids = NULL;
	for (;;) {
		gid_t *ng = realloc(gids, (size_t)n * sizeof(*ng));
		if (ng == NULL) {
			free(gids);
			return FERRY_ENOMEM;
		}
		gids = ng;
		int want = n;
		if (getgrouplist(user, res->pw_gid, gids, &want) >= 0) {
			n = want;
			break;
		}
		if (want <= n || want > MAX_GROUPS) {
			n = n < want ? n : want;
			break;
		}
		n = want;
	}
	int r = 0;
	for (int k = 0; k < n && r == 0; k++) {
		char gbuf[16384];
		struct group gr, *gres = NULL;
		if (getgrgid_r(gids[k], &gr, gbuf, sizeof(gbuf), &gres) != 0 || gres == NULL)
			continue;
		if (!cfg_strlist_contains(&g->names, gres->gr_name))
			r = cfg_strlist_add(&g->names, gres->gr_name);
	}
	free(gids);
	return r;
}

/* sshd's group-list match: some group matches the pattern list and none matches a negated
 * pattern. */
static bool groups_match(const struct group_cache *g, const char *patterns)
{
	bool found = false;
	for (size_t k = 0; k < g->names.n; k++) {
		int m = ssh_match_pattern_list(g->names.v[k], patterns, false);
		if (m == -1)
			return false;
		if (m == 1)
			found = true;
	}
	return found;
}

/* Evaluates one Match line's value. With ci NULL only checks it. *result: the criteria all hold. */
static int match_eval(const struct pctx *c, const char *value, const struct server_conn_info *ci,
		      struct group_cache *groups, bool *result)
{
	struct cfg_args a = { NULL, 0 };
	bool all = false, other = false, ok = true;
	int r = cfg_args_split(value, &a);
	if (r == FERRY_ENOMEM)
		return r;
	if (r != 0) {
		r = pc_error(c, "invalid quotes");
		goto out;
	}
	if (a.n == 0) {
		r = pc_error(c, "no argument after keyword \"Match\"");
		goto out;
	}
	for (size_t i = 0; i < a.n;) {
		const char *attr = a.v[i++];
		/* As sshd: "all" stands alone, whatever the other words are. */
		bool is_all = strcasecmp(attr, "all") == 0;
		if ((is_all && other) || (!is_all && all)) {
			r = pc_error(c, "'all' cannot be combined with other Match attributes");
			goto out;
		}
		if (is_all) {
			all = true;
			continue;
		}
		other = true;
		static const char *const known[] = {
			"user", "group", "host", "address", "localaddress", "localport", "rdomain",
		};
		size_t k;
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strcasecmp(attr, known[k]) == 0)
				break;
		if (k == sizeof(known) / sizeof(known[0])) {
			r = pc_error(c, "Unsupported Match attribute %s", attr);
			goto out;
		}
		if (i >= a.n || a.v[i][0] == '\0') {
			r = pc_error(c, "Missing Match criteria for %s", attr);
			goto out;
		}
		const char *arg = a.v[i++];
		bool hit = false;
		int m = 0;
		switch (k) {
		case 0:         /* user: patterns on the name asked for, case-sensitive */
			hit = ci && ssh_match_pattern_list(ci->user, arg, false) == 1;
			break;
		case 1:         /* group */
			if (ci) {
				if ((r = groups_load(groups, ci->user)) != 0)
					goto out;
				hit = groups->found && groups_match(groups, arg);
			}
			break;
		case 2:         /* host: the client's name, or its address without one */
			hit = ci && ssh_match_pattern_list(ci->host ? ci->host : ci->address, arg,
							   true) == 1;
			break;
		case 3:         /* address, localaddress: address lists with CIDR */
		case 4:
			if (!cfg_address_list_valid(arg)) {
				r = pc_error(c, "Invalid Match address argument '%s'", arg);
				goto out;
			}
			if (ci) {
				const char *addr = k == 3 ? ci->address : ci->local_address;
				hit = addr != NULL && cfg_match_address_list(addr, arg, &m) == 0 &&
				      m == 1;
			}
			break;
		case 5:         /* localport */
			if ((m = parse_port(arg)) < 0) {
				r = pc_error(c, "Invalid LocalPort '%s' on Match line", arg);
				goto out;
			}
			hit = ci && ci->local_port == m;
			break;
		default:        /* rdomain: OpenBSD routing domains; nothing to match on here */
			r = pc_error(c, "Match RDomain is not supported by ferryd");
			goto out;
		}
		ok = ok && hit;
	}
	*result = ok;
out:
	cfg_args_free(&a);
	return r;
}

/* A Match line while reading: check it and open a new block (outer criteria + this one). */
static int handle_match(struct pctx *c, const char *value)
{
	bool unused = false;
	int r;
	if (c->cmdline)
		return cfg_errorf(c->errmsg, "Match directive not supported as a command-line option");
	if ((r = match_eval(c, value, NULL, NULL, &unused)) != 0)
		return r;
	cfg_strlist_free(c->crit);
	if (c->outer != NULL && (r = cfg_strlist_copy(c->crit, c->outer)) != 0)
		return r;
	/* "Match All" adds no criterion but still starts a block (sshd: what follows is
	 * Match-block content, applied per connection). */
	struct cfg_args a = { NULL, 0 };
	if ((r = cfg_args_split(value, &a)) != 0)
		return r;
	bool all = a.n == 1 && strcasecmp(a.v[0], "all") == 0;
	cfg_args_free(&a);
	if (!all && (r = cfg_strlist_add(c->crit, value)) != 0)
		return r;
	c->in_match = true;
	c->apply = false;
	c->run = NULL;
	return 0;
}

/* Stores one checked line of a Match block for replay. */
static int store_match_line(struct pctx *c, const char *raw)
{
	struct server_options *o = c->o;
	if (c->run == NULL) {
		struct server_match *v = realloc(o->matches, (o->n_matches + 1) * sizeof(*v));
		if (v == NULL)
			return FERRY_ENOMEM;
		o->matches = v;
		struct server_match *m = &v[o->n_matches];
		memset(m, 0, sizeof(*m));
		if (cfg_strlist_copy(&m->criteria, c->crit) != 0)
			return FERRY_ENOMEM;
		o->n_matches++;
		c->run = m;
	}
	struct server_match *m = c->run;
	struct server_match_line *l = realloc(m->lines, (m->n_lines + 1) * sizeof(*l));
	if (l == NULL)
		return FERRY_ENOMEM;
	m->lines = l;
	l[m->n_lines].path = strdup(c->path);
	l[m->n_lines].text = strdup(raw);
	l[m->n_lines].lineno = c->line;
	if (l[m->n_lines].path == NULL || l[m->n_lines].text == NULL) {
		free(l[m->n_lines].path);
		free(l[m->n_lines].text);
		return FERRY_ENOMEM;
	}
	m->n_lines++;
	return 0;
}

/* ---- Include ---------------------------------------------------------------------------- */

static int handle_include(struct pctx *c, const struct cfg_args *a, size_t *i, const char *kw)
{
	int r = 0;
	if (c->cmdline)
		return cfg_errorf(c->errmsg, "Include directive not supported as a command-line option");
	if (*i >= a->n)
		return pc_error(c, "%s missing argument.", kw);
	for (; *i < a->n; (*i)++) {
		const char *arg = a->v[*i];
		char *pattern = NULL;
		glob_t g;
		bool have_glob = false;
		if (arg[0] == '/') {
			pattern = strdup(arg);
		} else {
			/* Relative to the including file's directory (sshd uses /etc/ssh; ferryd's
			 * files live in more than one place). */
			const char *slash = strrchr(c->path, '/');
			if (slash == NULL)
				pattern = strdup(arg);
			else
				pattern = str_printf("%.*s/%s", (int)(slash - c->path), c->path, arg);
		}
		if (pattern == NULL) {
			r = FERRY_ENOMEM;
			goto next;
		}
		memset(&g, 0, sizeof(g));
		int gr = glob(pattern, 0, NULL, &g);
		have_glob = gr == 0;
		if (gr == GLOB_NOMATCH) {
			log_debug1("%s line %lu: include %s matched no files", c->path, c->line, pattern);
			goto next;
		}
		if (gr != 0) {
			r = pc_error(c, "glob failed for %s.", pattern);
			goto next;
		}
		if (c->depth + 1 > MAX_INCLUDE_DEPTH) {
			r = pc_error(c, "Too many recursive configuration includes");
			goto next;
		}
		for (size_t k = 0; k < g.gl_pathc && r == 0; k++)
			r = read_file_depth(c->o, g.gl_pathv[k], SERVER_CONFIG_MUST_EXIST, c->depth + 1,
					    c->in_match ? c->crit : NULL, c->errmsg);
		/* Lines after the Include continue the current block in a new run, after any
		 * blocks the included file opened. */
		c->run = NULL;
next:
		if (have_glob)
			globfree(&g);
		free(pattern);
		if (r != 0)
			return r;
	}
	return 0;
}

/* ---- one line ------------------------------------------------------------------------------ */

/* Applies (or checks and stores) one line: keyword as written, its value text, and the whole
 * line for storing in a Match block. */
static int process_keyword(struct pctx *c, const char *kw, const char *value, const char *raw)
{
	struct server_options *o = c->o;
	struct cfg_args a = { NULL, 0 };
	size_t i = 0;
	int r = 0;

	size_t k;
	for (k = 0; k < N_KEYWORDS; k++)
		if (strcasecmp(kw, keywords[k].name) == 0)
			break;
	if (k == N_KEYWORDS)
		return cfg_errorf(c->errmsg, "%s: line %lu: Bad configuration option: %s", c->path,
				  c->line, kw);
	if (*value == '\0')
		return pc_error(c, "no argument after keyword \"%s\"", kw);
	enum opcode op = keywords[k].op;
	if (op == OP_MATCH)
		return handle_match(c, value);
	if (c->in_match && !(keywords[k].flags & KW_MATCH))
		return pc_error(c, "Directive '%s' is not allowed within a Match block", kw);
	if (cfg_args_split(value, &a) != 0)
		return pc_error(c, "invalid quotes");

	switch (op) {
	case OP_MATCH:
		break;
	case OP_IGNORED:
		i = a.n;
		r = warn_keyword(c, k);
		break;
	case OP_REFUSED:
		r = handle_refused(c, &a, &i, k);
		break;
	case OP_INCLUDE:
		r = handle_include(c, &a, &i, kw);
		goto out;       /* its lines were stored where they belong */
	case OP_PORT:
		r = handle_port(c, &a, &i, kw, false);
		break;
	case OP_LISTEN:
		r = handle_listen(c, &a, &i, kw);
		break;
	case OP_ADDRFAM:
		r = handle_choice(c, &a, &i, kw, af_choices, &o->address_family);
		break;
	case OP_HOSTKEY:
		r = handle_hostkey(c, &a, &i, kw, false);
		break;
	case OP_AUTHKEYS_FILE:
		r = handle_authkeys_file(c, &a, &i, kw);
		break;
	case OP_PUBKEY_AUTH:
		r = handle_flag(c, &a, &i, kw, &o->pubkey_authentication);
		break;
	case OP_PASSWORD_AUTH:
		r = handle_flag(c, &a, &i, kw, &o->password_authentication);
		break;
	case OP_PERMIT_EMPTY:
		r = handle_flag(c, &a, &i, kw, &o->permit_empty_passwords);
		break;
	case OP_PERMIT_ROOT:
		r = handle_choice(c, &a, &i, kw, permit_root_choices, &o->permit_root_login);
		break;
	case OP_MAX_AUTH_TRIES:
		r = handle_int(c, &a, &i, kw, "MaxAuthTries", &o->max_auth_tries);
		break;
	case OP_MAX_SESSIONS:
		r = handle_int(c, &a, &i, kw, "MaxSessions", &o->max_sessions);
		break;
	case OP_LOGIN_GRACE:
		r = handle_time(c, &a, &i, kw, &o->login_grace_time);
		break;
	case OP_MAX_STARTUPS:
		r = handle_max_startups(c, &a, &i, kw);
		break;
	case OP_SUBSYSTEM:
		r = handle_subsystem(c, &a, &i, kw);
		break;
	case OP_CIPHERS:
	case OP_MACS:
	case OP_KEX:
	case OP_HOSTKEY_ALGS:
	case OP_PUBKEY_ALGS:
		r = handle_algorithms(c, &a, &i, kw, op);
		break;
	case OP_REKEY:
		r = handle_rekey(c, &a, &i, kw);
		break;
	case OP_ALIVE_INTERVAL:
		r = handle_time(c, &a, &i, kw, &o->client_alive_interval);
		break;
	case OP_ALIVE_COUNT:
		r = handle_int(c, &a, &i, kw, "ClientAliveCountMax", &o->client_alive_count_max);
		break;
	case OP_LOGLEVEL: {
		const char *arg = NULL;
		enum flog_level level;
		if ((r = next_arg(c, &a, &i, kw, &arg)) != 0)
			break;
		if (flog_level_parse(arg, &level) != 0) {
			r = pc_error(c, "unsupported log level '%s'", arg);
			break;
		}
		set_int(c, &o->log_level, (int)level);
		break;
	}
	case OP_PIDFILE:
		r = handle_pidfile(c, &a, &i, kw);
		break;
	case OP_ACCEPTENV:
		r = handle_acceptenv(c, &a, &i, kw);
		break;
	case OP_STRICTMODES:
		r = handle_flag(c, &a, &i, kw, &o->strict_modes);
		break;
	case OP_ALLOW_USERS:
		r = handle_access_list(c, &a, &i, kw, "AllowUsers", &o->allow_users, true);
		break;
	case OP_DENY_USERS:
		r = handle_access_list(c, &a, &i, kw, "DenyUsers", &o->deny_users, true);
		break;
	case OP_ALLOW_GROUPS:
		r = handle_access_list(c, &a, &i, kw, "AllowGroups", &o->allow_groups, false);
		break;
	case OP_DENY_GROUPS:
		r = handle_access_list(c, &a, &i, kw, "DenyGroups", &o->deny_groups, false);
		break;
	}
	if (r == 0 && i < a.n)
		r = pc_error(c, "keyword %s extra arguments at end of line", kw);
	if (r == 0 && c->in_match && !c->replay)
		r = store_match_line(c, raw);
out:
	cfg_args_free(&a);
	return r;
}

static int process_line(struct pctx *c, const char *raw)
{
	char *line = strdup(raw);
	char *kw = NULL, *value = NULL;
	int r = 0;
	if (line == NULL)
		return FERRY_ENOMEM;
	if (cfg_line_split(line, &kw, &value))
		r = process_keyword(c, kw, value, raw);
	free(line);
	return r;
}

/* ---- files --------------------------------------------------------------------------------- */

static int read_file_depth(struct server_options *o, const char *path, unsigned flags, int depth,
			   const struct ssh_strlist *outer, char **errmsg)
{
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	struct ssh_strlist crit = { NULL, 0, false };
	int r = 0;

	f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT && !(flags & SERVER_CONFIG_MUST_EXIST))
			return 0;
		return cfg_errorf(errmsg, "%s: %s", path, strerror(errno));
	}
	if (outer != NULL && (r = cfg_strlist_copy(&crit, outer)) != 0)
		goto out;
	struct pctx c = {
		.o = o, .path = path, .line = 0, .depth = depth, .cmdline = false, .replay = false,
		.apply = outer == NULL, .in_match = outer != NULL, .outer = outer, .crit = &crit,
		.run = NULL, .errmsg = errmsg,
	};
	while (getline(&line, &cap, f) != -1) {
		c.line++;
		if ((r = process_line(&c, line)) != 0)
			goto out;
	}
	if (ferror(f))
		r = cfg_errorf(errmsg, "%s: read error: %s", path, strerror(errno));
out:
	cfg_strlist_free(&crit);
	free(line);
	fclose(f);
	return r;
}

/* ---- public API: reading ------------------------------------------------------------------- */

void server_options_init(struct server_options *o)
{
	memset(o, 0, sizeof(*o));
	o->address_family = SERVER_OPT_UNSET;
	o->pubkey_authentication = SERVER_OPT_UNSET;
	o->password_authentication = SERVER_OPT_UNSET;
	o->permit_empty_passwords = SERVER_OPT_UNSET;
	o->permit_root_login = SERVER_OPT_UNSET;
	o->max_auth_tries = SERVER_OPT_UNSET;
	o->max_sessions = SERVER_OPT_UNSET;
	o->login_grace_time = SERVER_OPT_UNSET;
	o->max_startups_begin = SERVER_OPT_UNSET;
	o->max_startups_rate = SERVER_OPT_UNSET;
	o->max_startups_full = SERVER_OPT_UNSET;
	o->rekey_limit_bytes = SERVER_OPT_UNSET;
	o->rekey_limit_seconds = SERVER_OPT_UNSET;
	o->client_alive_interval = SERVER_OPT_UNSET;
	o->client_alive_count_max = SERVER_OPT_UNSET;
	o->log_level = SERVER_OPT_UNSET;
	o->strict_modes = SERVER_OPT_UNSET;
}

void server_options_free(struct server_options *o)
{
	if (o == NULL)
		return;
	free(o->ports);
	for (size_t k = 0; k < o->n_listen; k++)
		free(o->listen[k].host);
	free(o->listen);
	cfg_strlist_free(&o->host_keys);
	cfg_strlist_free(&o->authorized_keys_files);
	for (size_t k = 0; k < o->n_subsystems; k++) {
		free(o->subsystems[k].name);
		free(o->subsystems[k].command);
	}
	free(o->subsystems);
	free(o->ciphers);
	free(o->macs);
	free(o->kex_algorithms);
	free(o->host_key_algorithms);
	free(o->pubkey_accepted_algorithms);
	free(o->pid_file);
	cfg_strlist_free(&o->accept_env);
	cfg_strlist_free(&o->allow_users);
	cfg_strlist_free(&o->deny_users);
	cfg_strlist_free(&o->allow_groups);
	cfg_strlist_free(&o->deny_groups);
	for (size_t k = 0; k < o->n_matches; k++)
		match_run_free(&o->matches[k]);
	free(o->matches);
	server_options_init(o);
}

void server_options_set_warn(struct server_options *o, server_options_warn_fn fn, void *arg)
{
	o->warn = fn;
	o->warn_arg = arg;
}

int server_config_default_path(bool as_root, char **out)
{
	char *s = NULL;
	if (as_root) {
		s = strdup(SERVER_CONFIG_SYSTEM);
	} else {
		/* XDG Base Directory: a relative $XDG_CONFIG_HOME is to be ignored. */
		const char *xdg = getenv("XDG_CONFIG_HOME");
		if (xdg != NULL && xdg[0] == '/') {
			s = str_printf("%s/ferry/ferryd_config", xdg);
		} else {
			char *home = NULL;
			int r = cfg_own_home(&home);
			if (r == FERRY_ENOMEM)
				return r;
			s = str_printf("%s/.config/ferry/ferryd_config",
				       r == 0 && strcmp(home, "/") != 0 ? home : "");
			free(home);
		}
	}
	if (s == NULL)
		return FERRY_ENOMEM;
	*out = s;
	return 0;
}

static void cmdline_ctx(struct pctx *c, struct server_options *o, char **errmsg)
{
	memset(c, 0, sizeof(*c));
	c->o = o;
	c->path = "command-line";
	c->cmdline = true;
	c->apply = true;
	c->errmsg = errmsg;
}

int server_options_apply(struct server_options *o, const char *line, char **errmsg)
{
	struct pctx c;
	cmdline_ctx(&c, o, errmsg);
	return process_line(&c, line);
}

int server_options_add_port(struct server_options *o, const char *port, char **errmsg)
{
	struct pctx c;
	cmdline_ctx(&c, o, errmsg);
	char *v[1] = { (char *)port };
	struct cfg_args a = { v, 1 };
	size_t i = 0;
	return handle_port(&c, &a, &i, "Port", true);
}

int server_options_add_host_key(struct server_options *o, const char *path, char **errmsg)
{
	struct pctx c;
	cmdline_ctx(&c, o, errmsg);
	char *v[1] = { (char *)path };
	struct cfg_args a = { v, 1 };
	size_t i = 0;
	return handle_hostkey(&c, &a, &i, "HostKey", true);
}

int server_options_read_file(struct server_options *o, const char *path, unsigned flags,
			     char **errmsg)
{
	return read_file_depth(o, path, flags & SERVER_CONFIG_MUST_EXIST, 0, NULL, errmsg);
}

/* ---- finalize ---------------------------------------------------------------------------- */

static void default_int(int *field, int value)
{
	if (*field == SERVER_OPT_UNSET)
		*field = value;
}

/* One listen entry per address and port: an address given without a port gets every Port. */
static int expand_listen(struct server_options *o)
{
	struct server_options tmp;
	int r = 0;
	server_options_init(&tmp);
	if (o->n_listen == 0) {
		if (o->address_family != SERVER_AF_INET6 && (r = listen_add(o, "0.0.0.0", 7, 0)) != 0)
			goto out;
		if (o->address_family != SERVER_AF_INET && (r = listen_add(o, "::", 2, 0)) != 0)
			goto out;
	}
	for (size_t k = 0; k < o->n_listen; k++) {
		const struct server_listen *l = &o->listen[k];
		size_t nports = l->port != 0 ? 1 : o->n_ports;
		for (size_t p = 0; p < nports; p++) {
			int port = l->port != 0 ? l->port : o->ports[p];
			bool dup = false;
			for (size_t d = 0; d < tmp.n_listen && !dup; d++)
				dup = tmp.listen[d].port == port && strcmp(tmp.listen[d].host, l->host) == 0;
			if (!dup && (r = listen_add(&tmp, l->host, strlen(l->host), port)) != 0)
				goto out;
		}
	}
	for (size_t k = 0; k < o->n_listen; k++)
		free(o->listen[k].host);
	free(o->listen);
	o->listen = tmp.listen;
	o->n_listen = tmp.n_listen;
	tmp.listen = NULL;
	tmp.n_listen = 0;
out:
	server_options_free(&tmp);
	return r;
}

static int set_default_list(struct ssh_strlist *l, const char *const *defaults)
{
	if (l->set)
		return 0;
	for (; *defaults; defaults++) {
		int r = cfg_strlist_add(l, *defaults);
		if (r != 0)
			return r;
	}
	l->set = true;
	return 0;
}

int server_options_finalize(struct server_options *o, char **errmsg)
{
	static const char *const default_authkeys[] = {
		".ssh/authorized_keys", ".ssh/authorized_keys2", NULL,
	};
	int r;

	if (o->n_ports == 0) {
		if ((o->ports = malloc(sizeof(*o->ports))) == NULL)
			return FERRY_ENOMEM;
		o->ports[0] = 22;
		o->n_ports = 1;
	}
	default_int(&o->address_family, SERVER_AF_ANY);
	if ((r = expand_listen(o)) != 0)
		return r;
	o->host_keys.set = true;
	if ((r = set_default_list(&o->authorized_keys_files, default_authkeys)) != 0)
		return r;

	if ((r = cfg_alglist_resolve_field(&o->ciphers, cipher_default_names(), cipher_supported_names(),
				    "Bad SSH2 cipher spec", errmsg)) != 0 ||
	    (r = cfg_alglist_resolve_field(&o->macs, mac_default_names(), mac_supported_names(),
				    "Bad SSH2 mac spec", errmsg)) != 0 ||
	    (r = cfg_alglist_resolve_field(&o->kex_algorithms, kex_default_names(), kex_supported_names(),
				    "Bad SSH2 KexAlgorithms", errmsg)) != 0 ||
	    (r = cfg_alglist_resolve_field(&o->host_key_algorithms, key_sigalg_default_names(),
				    key_sigalg_supported_names(), "Bad key types", errmsg)) != 0 ||
	    (r = cfg_alglist_resolve_field(&o->pubkey_accepted_algorithms, key_sigalg_default_names(),
				    key_sigalg_supported_names(), "Bad key types", errmsg)) != 0)
		return r;

	default_int(&o->pubkey_authentication, 1);
	default_int(&o->password_authentication, 1);
	default_int(&o->permit_empty_passwords, 0);
	default_int(&o->permit_root_login, PERMIT_ROOT_PROHIBIT_PASSWORD);
	default_int(&o->max_auth_tries, 6);
	default_int(&o->max_sessions, 10);
	default_int(&o->login_grace_time, 120);
	if (o->max_startups_full == SERVER_OPT_UNSET) {
		o->max_startups_begin = 10;
		o->max_startups_rate = 30;
		o->max_startups_full = 100;
	}
	if (o->rekey_limit_bytes == SERVER_OPT_UNSET)
		o->rekey_limit_bytes = 0;
	if (o->rekey_limit_seconds == SERVER_OPT_UNSET)
		o->rekey_limit_seconds = 0;
	default_int(&o->client_alive_interval, 0);
	default_int(&o->client_alive_count_max, 3);
	default_int(&o->log_level, FLOG_INFO);
	default_int(&o->strict_modes, 1);
	if (o->pid_file == NULL && geteuid() == 0 &&
	    (o->pid_file = strdup(SERVER_PID_FILE_ROOT)) == NULL)
		return FERRY_ENOMEM;
	if (o->pid_file != NULL && strcasecmp(o->pid_file, "none") == 0) {
		free(o->pid_file);
		o->pid_file = NULL;
	}
	o->accept_env.set = o->allow_users.set = o->deny_users.set = true;
	o->allow_groups.set = o->deny_groups.set = true;
	return 0;
}

/* ---- per connection ---------------------------------------------------------------------- */

static int copy_string(char **dst, const char *src)
{
	if (src == NULL)
		return 0;
	return (*dst = strdup(src)) == NULL ? FERRY_ENOMEM : 0;
}

/* A deep copy of everything but the Match blocks and the warning callback's state. */
static int options_copy(struct server_options *dst, const struct server_options *src)
{
	int r = FERRY_ENOMEM;
	server_options_init(dst);
	*dst = *src;
	dst->ports = NULL;
	dst->listen = NULL;
	dst->n_listen = 0;
	dst->subsystems = NULL;
	dst->n_subsystems = 0;
	dst->matches = NULL;
	dst->n_matches = 0;
	memset(&dst->host_keys, 0, sizeof(dst->host_keys));
	memset(&dst->authorized_keys_files, 0, sizeof(dst->authorized_keys_files));
	memset(&dst->accept_env, 0, sizeof(dst->accept_env));
	memset(&dst->allow_users, 0, sizeof(dst->allow_users));
	memset(&dst->deny_users, 0, sizeof(dst->deny_users));
	memset(&dst->allow_groups, 0, sizeof(dst->allow_groups));
	memset(&dst->deny_groups, 0, sizeof(dst->deny_groups));
	dst->ciphers = dst->macs = dst->kex_algorithms = dst->host_key_algorithms = NULL;
	dst->pubkey_accepted_algorithms = dst->pid_file = NULL;

	if (src->n_ports > 0) {
		if ((dst->ports = malloc(src->n_ports * sizeof(*dst->ports))) == NULL) {
			dst->n_ports = 0;
			goto out;
		}
		memcpy(dst->ports, src->ports, src->n_ports * sizeof(*dst->ports));
	}
	for (size_t k = 0; k < src->n_listen; k++)
		if (listen_add(dst, src->listen[k].host, strlen(src->listen[k].host),
			       src->listen[k].port) != 0)
			goto out;
	for (size_t k = 0; k < src->n_subsystems; k++) {
		struct server_subsystem *v = realloc(dst->subsystems, (k + 1) * sizeof(*v));
		if (v == NULL)
			goto out;
		dst->subsystems = v;
		v[k].name = strdup(src->subsystems[k].name);
		v[k].command = strdup(src->subsystems[k].command);
		v[k].from_cmdline = src->subsystems[k].from_cmdline;
		dst->n_subsystems++;
		if (v[k].name == NULL || v[k].command == NULL)
			goto out;
	}
	if (cfg_strlist_copy(&dst->host_keys, &src->host_keys) != 0 ||
	    cfg_strlist_copy(&dst->authorized_keys_files, &src->authorized_keys_files) != 0 ||
	    cfg_strlist_copy(&dst->accept_env, &src->accept_env) != 0 ||
	    cfg_strlist_copy(&dst->allow_users, &src->allow_users) != 0 ||
	    cfg_strlist_copy(&dst->deny_users, &src->deny_users) != 0 ||
	    cfg_strlist_copy(&dst->allow_groups, &src->allow_groups) != 0 ||
	    cfg_strlist_copy(&dst->deny_groups, &src->deny_groups) != 0)
		goto out;
	if (copy_string(&dst->ciphers, src->ciphers) != 0 ||
	    copy_string(&dst->macs, src->macs) != 0 ||
	    copy_string(&dst->kex_algorithms, src->kex_algorithms) != 0 ||
	    copy_string(&dst->host_key_algorithms, src->host_key_algorithms) != 0 ||
	    copy_string(&dst->pubkey_accepted_algorithms, src->pubkey_accepted_algorithms) != 0 ||
	    copy_string(&dst->pid_file, src->pid_file) != 0)
		goto out;
	r = 0;
out:
	if (r != 0)
		server_options_free(dst);
	return r;
}

static void merge_int(int *dst, int src)
{
	if (src != SERVER_OPT_UNSET)
		*dst = src;
}

/* A list a Match block set replaces the whole list (sshd copies arrays over, it does not
 * append). */
static void merge_list(struct ssh_strlist *dst, struct ssh_strlist *src)
{
	if (!src->set)
		return;
	cfg_strlist_free(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
	dst->set = true;
}

/* Lays the values a Match replay set (mo, raw as parsed) over the finalized copy. */
static int merge_match(struct server_options *out, struct server_options *mo, char **errmsg)
{
	merge_list(&out->authorized_keys_files, &mo->authorized_keys_files);
	merge_int(&out->pubkey_authentication, mo->pubkey_authentication);
	merge_int(&out->password_authentication, mo->password_authentication);
	merge_int(&out->permit_empty_passwords, mo->permit_empty_passwords);
	merge_int(&out->permit_root_login, mo->permit_root_login);
	merge_int(&out->max_auth_tries, mo->max_auth_tries);
	merge_int(&out->max_sessions, mo->max_sessions);
	merge_int(&out->client_alive_interval, mo->client_alive_interval);
	merge_int(&out->client_alive_count_max, mo->client_alive_count_max);
	merge_int(&out->log_level, mo->log_level);
	if (mo->rekey_limit_bytes != SERVER_OPT_UNSET)
		out->rekey_limit_bytes = mo->rekey_limit_bytes;
	if (mo->rekey_limit_seconds != SERVER_OPT_UNSET)
		out->rekey_limit_seconds = mo->rekey_limit_seconds;
	merge_list(&out->accept_env, &mo->accept_env);
	merge_list(&out->allow_users, &mo->allow_users);
	merge_list(&out->deny_users, &mo->deny_users);
	merge_list(&out->allow_groups, &mo->allow_groups);
	merge_list(&out->deny_groups, &mo->deny_groups);
	if (mo->pubkey_accepted_algorithms != NULL) {
		int r = cfg_alglist_resolve_field(&mo->pubkey_accepted_algorithms,
					   key_sigalg_default_names(), key_sigalg_supported_names(),
					   "Bad key types", errmsg);
		if (r != 0)
			return r;
		free(out->pubkey_accepted_algorithms);
		out->pubkey_accepted_algorithms = mo->pubkey_accepted_algorithms;
		mo->pubkey_accepted_algorithms = NULL;
	}
	return 0;
}

int server_options_for_user(const struct server_options *base, const struct server_conn_info *ci,
			    struct server_options *out, char **errmsg)
{
	struct server_options copy, mo;
	int r;

	if (ci == NULL || ci->user == NULL)
		return FERRY_EINVAL;
	struct group_cache groups = { false, false, { NULL, 0, false }, ci->groups };
	server_options_init(&mo);
	if ((r = options_copy(&copy, base)) != 0)
		return r;
	for (size_t k = 0; k < base->n_matches; k++) {
		const struct server_match *m = &base->matches[k];
		if (m->n_lines == 0)
			continue;
		bool hit = true;
		struct pctx c = {
			.o = &mo, .path = m->lines[0].path, .line = m->lines[0].lineno,
			.replay = true, .apply = true, .in_match = true, .errmsg = errmsg,
		};
		for (size_t j = 0; j < m->criteria.n && hit; j++)
			if ((r = match_eval(&c, m->criteria.v[j], ci, &groups, &hit)) != 0)
				goto out;
		if (!hit)
			continue;
		/* Within the replay, first value wins as anywhere: the first block that sets a
		 * keyword decides it, and every block that applies beats the global value. */
		for (size_t j = 0; j < m->n_lines; j++) {
			c.path = m->lines[j].path;
			c.line = m->lines[j].lineno;
			if ((r = process_line(&c, m->lines[j].text)) != 0)
				goto out;
		}
	}
	if ((r = merge_match(&copy, &mo, errmsg)) != 0)
		goto out;
	*out = copy;
	memset(&copy, 0, sizeof(copy));
	server_options_init(&copy);
out:
	server_options_free(&copy);
	server_options_free(&mo);
	cfg_strlist_free(&groups.names);
	return r;
}

/* ---- AllowUsers and friends -------------------------------------------------------------- */

/* sshd's USER or USER@HOST pattern against one connection. */
static bool user_pattern_match(const char *pattern, const struct server_conn_info *ci)
{
	const char *at = strchr(pattern, '@');
	if (at == NULL)
		return wildcard_match(pattern, ci->user);
	char *userpat = strndup(pattern, (size_t)(at - pattern));
	if (userpat == NULL)
		return false;
	bool ok = wildcard_match(userpat, ci->user);
	free(userpat);
	int m = 0;
	if (ok && ci->address != NULL &&
	    cfg_match_host_and_address(ci->host, ci->address, at + 1, &m) == 0)
		return m == 1;
	return false;
}

static bool group_list_match(const struct group_cache *g, const struct ssh_strlist *patterns)
{
	for (size_t k = 0; k < g->names.n; k++)
		for (size_t p = 0; p < patterns->n; p++)
			if (wildcard_match(patterns->v[p], g->names.v[k]))
				return true;
	return false;
}

int server_user_allowed(const struct server_options *o, const struct server_conn_info *ci,
			char **why)
{
	if (ci == NULL || ci->user == NULL)
		return FERRY_EINVAL;
	struct group_cache groups = { false, false, { NULL, 0, false }, ci->groups };
	const char *from = ci->host ? ci->host : (ci->address ? ci->address : "unknown");
	const char *reason = NULL;
	int r = 0;

	/* sshd(8) order: DenyUsers, AllowUsers, DenyGroups, AllowGroups. */
	for (size_t k = 0; k < o->deny_users.n && reason == NULL; k++)
		if (user_pattern_match(o->deny_users.v[k], ci))
			reason = "listed in DenyUsers";
	if (reason == NULL && o->allow_users.n > 0) {
		bool listed = false;
		for (size_t k = 0; k < o->allow_users.n && !listed; k++)
			listed = user_pattern_match(o->allow_users.v[k], ci);
		if (!listed)
			reason = "not listed in AllowUsers";
	}
	if (reason == NULL && (o->deny_groups.n > 0 || o->allow_groups.n > 0)) {
		if ((r = groups_load(&groups, ci->user)) != 0)
			goto out;
		if (!groups.found)
			reason = "not listed in AllowGroups";   /* nothing to check groups of */
		else if (o->deny_groups.n > 0 && group_list_match(&groups, &o->deny_groups))
			reason = "a group is listed in DenyGroups";
		else if (o->allow_groups.n > 0 && !group_list_match(&groups, &o->allow_groups))
			reason = "none of user's groups are listed in AllowGroups";
	}
	if (reason != NULL) {
		char *msg = str_printf("User %s from %s not allowed because %s", ci->user, from,
				       reason);
		if (msg == NULL) {
			r = FERRY_ENOMEM;
			goto out;
		}
		cfg_set_errmsg(why, msg);
		r = FERRY_EPERM;
	}
out:
	cfg_strlist_free(&groups.names);
	return r;
}

const struct server_subsystem *server_options_subsystem(const struct server_options *o,
							const char *name)
{
	for (size_t k = 0; k < o->n_subsystems; k++)
		if (strcmp(o->subsystems[k].name, name) == 0)
			return &o->subsystems[k];
	return NULL;
}
