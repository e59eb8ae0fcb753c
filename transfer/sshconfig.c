/* ferry's client configuration: OpenSSH ssh_config(5) keywords, Host/Match/Include, first value
 * wins, %-token expansion and +/-/^ algorithm lists (docs/internals/client-config.md). */
#include "transfer/sshconfig.h"

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/text.h"
#include "crypto/cipher.h"
#include "crypto/hash.h"
#include "crypto/kex.h"
#include "crypto/key.h"

#define MAX_INCLUDE_DEPTH 16    /* as OpenSSH: deeper nesting is a loop, not a config */
#define MAX_IDENTITY_FILES 100
#define MAX_KNOWN_HOSTS_FILES 32

/* Private flags next to the public SSH_CONFIG_* ones. */
#define CTX_CMDLINE 0x100       /* a -o option: no Host/Match/Include, always active */
#define CTX_NEVERMATCH 0x200    /* an Include inside a block that did not match */

enum opcode {
	OP_IGNORED = 0,         /* an OpenSSH keyword ferry does not use: warn once, skip */
	OP_HOST, OP_MATCH, OP_INCLUDE, OP_IGNORE_UNKNOWN,
	OP_HOSTNAME, OP_PORT, OP_USER, OP_IDENTITY_FILE, OP_IDENTITIES_ONLY,
	OP_STRICT, OP_USER_KH, OP_GLOBAL_KH, OP_HASH_KH,
	OP_CIPHERS, OP_MACS, OP_KEX, OP_HOSTKEY_ALGS, OP_REKEY,
	OP_CONNECT_TIMEOUT, OP_BATCH, OP_LOGLEVEL, OP_ADDRFAM,
	OP_PASSWORD_AUTH, OP_PUBKEY_AUTH, OP_ALIVE_INTERVAL, OP_ALIVE_COUNT,
	OP_SENDENV, OP_SETENV, OP_REQUEST_TTY, OP_COMPRESSION, OP_PROXY_JUMP, OP_PROXY_COMMAND,
};

struct keyword {
	const char *name;       /* as ssh_config(5) spells it; matched case-insensitively */
	enum opcode op;
};

/* Every keyword OpenSSH's client accepts (ssh_config(5) of OpenSSH 9.x/10.x, the Debian and
 * Apple additions, and the deprecated or removed names it still tolerates). A keyword not in
 * this table is an error, as it is for ssh(1). */
static const struct keyword keywords[] = {
	{ "Host", OP_HOST },
	{ "Match", OP_MATCH },
	{ "Include", OP_INCLUDE },
	{ "IgnoreUnknown", OP_IGNORE_UNKNOWN },
	{ "HostName", OP_HOSTNAME },
	{ "Port", OP_PORT },
	{ "User", OP_USER },
	{ "IdentityFile", OP_IDENTITY_FILE },
	{ "IdentityFile2", OP_IDENTITY_FILE },           /* old alias */
	{ "IdentitiesOnly", OP_IDENTITIES_ONLY },
	{ "StrictHostKeyChecking", OP_STRICT },
	{ "UserKnownHostsFile", OP_USER_KH },
	{ "GlobalKnownHostsFile", OP_GLOBAL_KH },
	{ "HashKnownHosts", OP_HASH_KH },
	{ "Ciphers", OP_CIPHERS },
	{ "MACs", OP_MACS },
	{ "KexAlgorithms", OP_KEX },
	{ "HostKeyAlgorithms", OP_HOSTKEY_ALGS },
	{ "RekeyLimit", OP_REKEY },
	{ "ConnectTimeout", OP_CONNECT_TIMEOUT },
	{ "BatchMode", OP_BATCH },
	{ "LogLevel", OP_LOGLEVEL },
	{ "AddressFamily", OP_ADDRFAM },
	{ "PasswordAuthentication", OP_PASSWORD_AUTH },
	{ "PubkeyAuthentication", OP_PUBKEY_AUTH },
	{ "DSAAuthentication", OP_PUBKEY_AUTH },         /* old alias */
	{ "ServerAliveInterval", OP_ALIVE_INTERVAL },
	{ "ServerAliveCountMax", OP_ALIVE_COUNT },
	{ "SendEnv", OP_SENDENV },
	{ "SetEnv", OP_SETENV },
	{ "RequestTTY", OP_REQUEST_TTY },
	{ "Compression", OP_COMPRESSION },
	{ "ProxyJump", OP_PROXY_JUMP },
	{ "ProxyCommand", OP_PROXY_COMMAND },

	{ "AddKeysToAgent", OP_IGNORED },
	{ "BindAddress", OP_IGNORED },
	{ "BindInterface", OP_IGNORED },
	{ "CanonicalDomains", OP_IGNORED },
	{ "CanonicalizeFallbackLocal", OP_IGNORED },
	{ "CanonicalizeHostname", OP_IGNORED },
	{ "CanonicalizeMaxDots", OP_IGNORED },
	{ "CanonicalizePermittedCNAMEs", OP_IGNORED },
	{ "CASignatureAlgorithms", OP_IGNORED },
	{ "CertificateFile", OP_IGNORED },
	{ "ChallengeResponseAuthentication", OP_IGNORED },
	{ "ChannelTimeout", OP_IGNORED },
	{ "CheckHostIP", OP_IGNORED },
	{ "ClearAllForwardings", OP_IGNORED },
	{ "ConnectionAttempts", OP_IGNORED },
	{ "ControlMaster", OP_IGNORED },
	{ "ControlPath", OP_IGNORED },
	{ "ControlPersist", OP_IGNORED },
	{ "DynamicForward", OP_IGNORED },
	{ "EnableEscapeCommandline", OP_IGNORED },
	{ "EnableSSHKeysign", OP_IGNORED },
	{ "EscapeChar", OP_IGNORED },
	{ "ExitOnForwardFailure", OP_IGNORED },
	{ "FingerprintHash", OP_IGNORED },
	{ "ForkAfterAuthentication", OP_IGNORED },
	{ "ForwardAgent", OP_IGNORED },
	{ "ForwardX11", OP_IGNORED },
	{ "ForwardX11Timeout", OP_IGNORED },
	{ "ForwardX11Trusted", OP_IGNORED },
	{ "GatewayPorts", OP_IGNORED },
	{ "GSSAPIAuthentication", OP_IGNORED },
	{ "GSSAPIClientIdentity", OP_IGNORED },          /* Debian */
	{ "GSSAPIDelegateCredentials", OP_IGNORED },
	{ "GSSAPIKexAlgorithms", OP_IGNORED },           /* Debian */
	{ "GSSAPIKeyExchange", OP_IGNORED },             /* Debian */
	{ "GSSAPIRenewalForcesRekey", OP_IGNORED },      /* Debian */
	{ "GSSAPIServerIdentity", OP_IGNORED },          /* Debian */
	{ "GSSAPITrustDns", OP_IGNORED },                /* Debian */
	{ "HostbasedAcceptedAlgorithms", OP_IGNORED },
	{ "HostbasedAuthentication", OP_IGNORED },
	{ "HostbasedKeyTypes", OP_IGNORED },
	{ "HostKeyAlias", OP_IGNORED },
	{ "IdentityAgent", OP_IGNORED },
	{ "IPQoS", OP_IGNORED },
	{ "KbdInteractiveAuthentication", OP_IGNORED },
	{ "KbdInteractiveDevices", OP_IGNORED },
	{ "KeepAlive", OP_IGNORED },                     /* old name of TCPKeepAlive */
	{ "KnownHostsCommand", OP_IGNORED },
	{ "LocalCommand", OP_IGNORED },
	{ "LocalForward", OP_IGNORED },
	{ "LogVerbose", OP_IGNORED },
	{ "NoHostAuthenticationForLocalhost", OP_IGNORED },
	{ "NumberOfPasswordPrompts", OP_IGNORED },
	{ "ObscureKeystrokeTiming", OP_IGNORED },
	{ "PermitLocalCommand", OP_IGNORED },
	{ "PermitRemoteOpen", OP_IGNORED },
	{ "PKCS11Provider", OP_IGNORED },
	{ "PreferredAuthentications", OP_IGNORED },
	{ "ProxyUseFdpass", OP_IGNORED },
	{ "PubkeyAcceptedAlgorithms", OP_IGNORED },
	{ "PubkeyAcceptedKeyTypes", OP_IGNORED },
	{ "RefuseConnection", OP_IGNORED },
	{ "RemoteCommand", OP_IGNORED },
	{ "RemoteForward", OP_IGNORED },
	{ "RequiredRSASize", OP_IGNORED },
	{ "RevokedHostKeys", OP_IGNORED },
	{ "SecurityKeyProvider", OP_IGNORED },
	{ "SessionType", OP_IGNORED },
	{ "SkeyAuthentication", OP_IGNORED },
	{ "SmartcardDevice", OP_IGNORED },
	{ "StdinNull", OP_IGNORED },
	{ "StreamLocalBindMask", OP_IGNORED },
	{ "StreamLocalBindUnlink", OP_IGNORED },
	{ "SyslogFacility", OP_IGNORED },
	{ "Tag", OP_IGNORED },
	{ "TCPKeepAlive", OP_IGNORED },
	{ "TISAuthentication", OP_IGNORED },
	{ "Tunnel", OP_IGNORED },
	{ "TunnelDevice", OP_IGNORED },
	{ "UpdateHostKeys", OP_IGNORED },
	{ "UseKeychain", OP_IGNORED },                   /* Apple */
	{ "VerifyHostKeyDNS", OP_IGNORED },
	{ "VisualHostKey", OP_IGNORED },
	{ "WarnWeakCrypto", OP_IGNORED },
	{ "XAuthLocation", OP_IGNORED },
	/* Deprecated or removed, still accepted by ssh(1). */
	{ "AFSTokenPassing", OP_IGNORED },
	{ "Cipher", OP_IGNORED },
	{ "CompressionLevel", OP_IGNORED },
	{ "FallBackToRsh", OP_IGNORED },
	{ "GlobalKnownHostsFile2", OP_IGNORED },
	{ "KerberosAuthentication", OP_IGNORED },
	{ "KerberosTGTPassing", OP_IGNORED },
	{ "Protocol", OP_IGNORED },
	{ "ProtocolKeepAlives", OP_IGNORED },            /* Debian */
	{ "RhostsAuthentication", OP_IGNORED },
	{ "RhostsRSAAuthentication", OP_IGNORED },
	{ "RSAAuthentication", OP_IGNORED },
	{ "SetupTimeOut", OP_IGNORED },                  /* Debian */
	{ "UseBlacklistedKeys", OP_IGNORED },            /* Debian */
	{ "UsePrivilegedPort", OP_IGNORED },
	{ "UserKnownHostsFile2", OP_IGNORED },
	{ "UseRoaming", OP_IGNORED },
	{ "UseRsh", OP_IGNORED },
};

#define N_KEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

/* Match criteria OpenSSH knows that ferry cannot evaluate: a Match line using one never
 * matches (documented in docs/internals/client-config.md). */
static const char *const unsupported_criteria[] = {
	"canonical", "final", "exec", "localnetwork", "tagged", "command", "version", "sessiontype",
};

#define N_UNSUP_CRITERIA (sizeof(unsupported_criteria) / sizeof(unsupported_criteria[0]))

/* "Once per keyword per process": one flag per table row. Atomic so that two threads reading
 * configs at once still warn once; nothing else in this module is process-wide. */
static atomic_bool warned_keyword[N_KEYWORDS];
static atomic_bool warned_criterion[N_UNSUP_CRITERIA];

/* One file (or the command line) being read. */
struct cfg_ctx {
	struct ssh_options *o;
	const char *host;       /* the target as typed; NULL on the command line */
	const char *path;       /* for messages: the file, or "command-line" */
	unsigned long line;
	unsigned flags;         /* SSH_CONFIG_* | CTX_* */
	bool active;            /* inside a Host/Match block that applies */
	int depth;
	char **errmsg;
};

static int read_file_depth(struct ssh_options *o, const char *path, const char *host,
			   unsigned flags, bool active, int depth, char **errmsg);

/* ---- small helpers ---------------------------------------------------------------------- */

/* Sets *errmsg to "PATH line N: <fmt...>" and returns FERRY_ECONFIG (FERRY_ENOMEM if the
 * message cannot be built). */
static int __attribute__((format(printf, 2, 3))) cfg_error(const struct cfg_ctx *c, const char *fmt, ...)
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

/* Fills local_user, home_dir and local_host from the system where they are still NULL.
 * Like ssh(1), the home directory comes from the password database, with $HOME as fallback. */
static int local_info_ensure(struct ssh_options *o)
{
	if (o->local_user && o->home_dir && o->local_host)
		return 0;
	char buf[16384];
	struct passwd pw, *res = NULL;
	if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) != 0)
		res = NULL;
	if (o->local_user == NULL) {
		const char *u = res ? res->pw_name : getenv("USER");
		if ((o->local_user = strdup(u ? u : "unknown")) == NULL)
			return FERRY_ENOMEM;
	}
	if (o->home_dir == NULL) {
		const char *h = res ? res->pw_dir : getenv("HOME");
		if ((o->home_dir = strdup(h ? h : "/")) == NULL)
			return FERRY_ENOMEM;
	}
	if (o->local_host == NULL) {
		char name[HOST_NAME_MAX + 1];
		if (gethostname(name, sizeof(name)) != 0)
			strcpy(name, "localhost");
		name[sizeof(name) - 1] = '\0';
		if ((o->local_host = strdup(name)) == NULL)
			return FERRY_ENOMEM;
	}
	return 0;
}

/* Expands a leading "~" or "~user" (ssh_config(5) file names). On failure *errmsg explains. */
static int tilde_expand(struct ssh_options *o, const char *path, char **out, char **errmsg)
{
	int r;
	if (path[0] != '~') {
		char *s = strdup(path);
		if (s == NULL)
			return FERRY_ENOMEM;
		*out = s;
		return 0;
	}
	const char *slash = strchr(path, '/');
	size_t ulen = slash ? (size_t)(slash - path - 1) : strlen(path + 1);
	const char *rest = slash ? slash : "";
	char *home = NULL;
	if (ulen == 0) {
		if ((r = local_info_ensure(o)) != 0)
			return r;
		home = o->home_dir;
	} else {
		char name[256];
		char buf[16384];
		struct passwd pw, *res = NULL;
		if (ulen >= sizeof(name))
			return cfg_errorf(errmsg, "No such user in path %s", path);
		memcpy(name, path + 1, ulen);
		name[ulen] = '\0';
		if (getpwnam_r(name, &pw, buf, sizeof(buf), &res) != 0 || res == NULL)
			return cfg_errorf(errmsg, "No such user %s in path %s", name, path);
		char *s = str_printf("%s%s", res->pw_dir, rest);
		if (s == NULL)
			return FERRY_ENOMEM;
		*out = s;
		return 0;
	}
	/* "~/x" with home "/" must not become "//x". */
	if (strcmp(home, "/") == 0 && rest[0] == '/')
		home = "";
	char *s = str_printf("%s%s", home, rest);
	if (s == NULL)
		return FERRY_ENOMEM;
	*out = s;
	return 0;
}

/* ---- value parsers ---------------------------------------------------------------------- */

static const struct cfg_choice strict_choices[] = {
	{ "yes", SSH_STRICT_YES }, { "true", SSH_STRICT_YES },
	{ "no", SSH_STRICT_NO }, { "false", SSH_STRICT_NO }, { "off", SSH_STRICT_NO },
	{ "ask", SSH_STRICT_ASK }, { "accept-new", SSH_STRICT_ACCEPT_NEW }, { NULL, 0 },
};
static const struct cfg_choice af_choices[] = {
	{ "any", SSH_AF_ANY }, { "inet", SSH_AF_INET }, { "inet6", SSH_AF_INET6 }, { NULL, 0 },
};
static const struct cfg_choice tty_choices[] = {
	{ "no", SSH_TTY_NO }, { "false", SSH_TTY_NO }, { "yes", SSH_TTY_YES },
	{ "true", SSH_TTY_YES }, { "force", SSH_TTY_FORCE }, { "auto", SSH_TTY_AUTO }, { NULL, 0 },
};
static const struct cfg_choice pubkey_choices[] = {
	{ "yes", 1 }, { "true", 1 }, { "no", 0 }, { "false", 0 },
	{ "unbound", 1 }, { "host-bound", 1 }, { NULL, 0 },
};

/* ---- warnings ----------------------------------------------------------------------------- */

static void emit_warning(const struct cfg_ctx *c, atomic_bool *once, const char *msg)
{
	if (atomic_exchange(once, true))
		return;
	/* The system-wide file is not the user's doing: mention its leftovers only with -v. */
	bool system = !(c->flags & (SSH_CONFIG_USER | CTX_CMDLINE));
	enum flog_level level = system ? FLOG_VERBOSE : FLOG_INFO;
	if (c->o->warn)
		c->o->warn(c->o->warn_arg, level, msg);
	else
		flog(level, "%s", msg);
}

static int warn_keyword(const struct cfg_ctx *c, size_t kw)
{
	if (atomic_load(&warned_keyword[kw]))
		return 0;
	char *msg = str_printf("ferry: ignoring unsupported option '%s'", keywords[kw].name);
	if (msg == NULL)
		return FERRY_ENOMEM;
	emit_warning(c, &warned_keyword[kw], msg);
	free(msg);
	return 0;
}

static int warn_criterion(const struct cfg_ctx *c, size_t i)
{
	if (atomic_load(&warned_criterion[i]))
		return 0;
	char *msg = str_printf("ferry: ignoring unsupported Match criterion '%s' "
			       "(the Match block does not apply)", unsupported_criteria[i]);
	if (msg == NULL)
		return FERRY_ENOMEM;
	emit_warning(c, &warned_criterion[i], msg);
	free(msg);
	return 0;
}

/* ---- expansion of %h in HostName (shared by Match host and finalize) -------------------- */

/* A tiny writer for building strings; errors are checked once at the end. */
struct sbuf {
	char *p;
	size_t n, cap;
	bool failed;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (p == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void sb_puts(struct sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

/* Takes the finished string (caller frees), or FERRY_ENOMEM. */
static int sb_finish(struct sbuf *b, char **out)
{
	if (!b->failed && b->p == NULL)
		sb_add(b, "", 0);
	if (b->failed) {
		free(b->p);
		b->p = NULL;
		return FERRY_ENOMEM;
	}
	*out = b->p;
	b->p = NULL;
	return 0;
}

/* Token values indexed by the letter after '%'; NULL = not a token here. */
struct tokens {
	const char *v[128];
};

/* Expands %x tokens (and ${NAME} environment references if env) in s. On an unknown token or
 * unset variable returns FERRY_ECONFIG with *errmsg naming what and where (keyword). */
static int expand_tokens(const char *keyword, const char *s, const struct tokens *t, bool env,
			 char **out, char **errmsg)
{
	struct sbuf b = { 0 };
	int r = 0;
	for (const char *p = s; *p;) {
		if (*p == '%') {
			unsigned char k = (unsigned char)p[1];
			if (k == '%') {
				sb_add(&b, "%", 1);
			} else if (k < 128 && t->v[k] != NULL) {
				sb_puts(&b, t->v[k]);
			} else {
				r = cfg_errorf(errmsg, "%s \"%s\": unknown token %%%c", keyword, s,
						k ? k : ' ');
				goto out;
			}
			p += 2;
		} else if (env && p[0] == '$' && p[1] == '{') {
			const char *end = strchr(p + 2, '}');
			if (end == NULL) {
				r = cfg_errorf(errmsg, "%s \"%s\": unterminated ${", keyword, s);
				goto out;
			}
			char *name = strndup(p + 2, (size_t)(end - p - 2));
			if (name == NULL) {
				r = FERRY_ENOMEM;
				goto out;
			}
			const char *val = getenv(name);
			if (val == NULL) {
				r = cfg_errorf(errmsg, "%s \"%s\": environment variable ${%s} is not set",
						keyword, s, name);
				free(name);
				goto out;
			}
			free(name);
			sb_puts(&b, val);
			p = end + 1;
		} else {
			const char *next = p + 1;
			while (*next && *next != '%' && *next != '$')
				next++;
			sb_add(&b, p, (size_t)(next - p));
			p = next;
		}
	}
	r = sb_finish(&b, out);
out:
	free(b.p);
	return r;
}

/* The remote host name as HostName makes it: %h is the host as typed. */
static int expand_hostname(const char *hostname, const char *host, char **out, char **errmsg)
{
	struct tokens t = { { 0 } };
	t.v['h'] = host;
	return expand_tokens("HostName", hostname, &t, false, out, errmsg);
}

/* ---- option handlers ------------------------------------------------------------------- */

/* The next argument, or the OpenSSH "Missing argument." error. */
static int next_arg(const struct cfg_ctx *c, const struct cfg_args *a, size_t *i, const char **arg)
{
	if (*i >= a->n || a->v[*i][0] == '\0')
		return cfg_error(c, "Missing argument.");
	*arg = a->v[(*i)++];
	return 0;
}

/* First value wins: store only inside an applying block and only if not given before. */
static int set_string(const struct cfg_ctx *c, char **field, const char *value)
{
	if (!c->active || *field != NULL)
		return 0;
	if ((*field = strdup(value)) == NULL)
		return FERRY_ENOMEM;
	return 0;
}

static void set_int(const struct cfg_ctx *c, int *field, int value)
{
	if (c->active && *field == SSH_OPT_UNSET)
		*field = value;
}

static int handle_host(struct cfg_ctx *c, const struct cfg_args *a, size_t *i)
{
	if (c->flags & CTX_CMDLINE)
		return cfg_errorf(c->errmsg, "Host directive not supported as a command-line option");
	bool matched = false, negated = false;
	for (; *i < a->n; (*i)++) {
		const char *pat = a->v[*i];
		bool neg = pat[0] == '!';
		if (neg)
			pat++;
		/* ssh_config(5): Host patterns match the host name as given on the command line,
		 * exactly (no case folding); one matching negated pattern rules the block out. */
		if (wildcard_match(pat, c->host)) {
			if (neg)
				negated = true;
			else
				matched = true;
		}
	}
	c->active = !(c->flags & CTX_NEVERMATCH) && matched && !negated;
	return 0;
}

/* Evaluates a Match line's criteria; *result is whether the block applies. */
static int eval_match(struct cfg_ctx *c, const struct cfg_args *a, size_t *i, bool *result)
{
	struct ssh_options *o = c->o;
	bool all = false, other = false, unsupported = false, ok = true;
	int r;

	if (*i >= a->n)
		return cfg_error(c, "no argument after keyword \"match\"");
	while (*i < a->n) {
		const char *attr = a->v[(*i)++];
		bool neg = attr[0] == '!';
		if (neg)
			attr++;
		bool hit;
		if (strcasecmp(attr, "all") == 0) {
			all = true;
			hit = true;
		} else if (strcasecmp(attr, "canonical") == 0 || strcasecmp(attr, "final") == 0) {
			/* No canonicalization pass in ferry: see the unsupported list. */
			size_t k = strcasecmp(attr, "canonical") == 0 ? 0 : 1;
			if (!(c->flags & CTX_NEVERMATCH) && (r = warn_criterion(c, k)) != 0)
				return r;
			unsupported = true;
			hit = false;
		} else {
			other = true;
			size_t k;
			for (k = 0; k < N_UNSUP_CRITERIA; k++)
				if (strcasecmp(attr, unsupported_criteria[k]) == 0)
					break;
			bool known = k < N_UNSUP_CRITERIA || strcasecmp(attr, "host") == 0 ||
				     strcasecmp(attr, "originalhost") == 0 ||
				     strcasecmp(attr, "user") == 0 || strcasecmp(attr, "localuser") == 0;
			if (!known)
				return cfg_error(c, "Unsupported Match attribute %s", attr);
			if (*i >= a->n || a->v[*i][0] == '\0')
				return cfg_error(c, "Missing Match criteria for %s", attr);
			const char *arg = a->v[(*i)++];
			if (k < N_UNSUP_CRITERIA) {
				if (!(c->flags & CTX_NEVERMATCH) && (r = warn_criterion(c, k)) != 0)
					return r;
				unsupported = true;
				hit = false;
			} else if (strcasecmp(attr, "host") == 0) {
				/* Matches the name HostName has made so far (%h expanded), case
				 * folded like every host name comparison. */
				char *name = NULL;
				if (o->hostname) {
					if ((r = expand_hostname(o->hostname, c->host, &name, c->errmsg)) != 0)
						return r;
				} else if ((name = strdup(c->host)) == NULL) {
					return FERRY_ENOMEM;
				}
				hit = ssh_match_pattern_list(name, arg, true) == 1;
				free(name);
			} else if (strcasecmp(attr, "originalhost") == 0) {
				hit = ssh_match_pattern_list(c->host, arg, true) == 1;
			} else {
				if ((r = local_info_ensure(o)) != 0)
					return r;
				bool remote = strcasecmp(attr, "user") == 0;
				const char *who = remote && o->user ? o->user : o->local_user;
				hit = ssh_match_pattern_list(who, arg, false) == 1;
			}
		}
		if (neg)
			hit = !hit;
		ok = ok && hit;
	}
	if (all && other)
		return cfg_error(c, "'all' cannot be combined with other Match attributes");
	*result = ok && !unsupported;
	return 0;
}

static int handle_match(struct cfg_ctx *c, const struct cfg_args *a, size_t *i)
{
	if (c->flags & CTX_CMDLINE)
		return cfg_errorf(c->errmsg, "Match directive not supported as a command-line option");
	bool hit = false;
	int r = eval_match(c, a, i, &hit);
	if (r != 0)
		return r;
	c->active = !(c->flags & CTX_NEVERMATCH) && hit;
	return 0;
}

static int handle_include(struct cfg_ctx *c, const struct cfg_args *a, size_t *i)
{
	struct ssh_options *o = c->o;
	int r = 0;
	if (c->flags & CTX_CMDLINE)
		return cfg_errorf(c->errmsg, "Include directive not supported as a command-line option");
	if (*i >= a->n)
		return cfg_error(c, "Missing argument.");
	for (; *i < a->n; (*i)++) {
		const char *arg = a->v[*i];
		char *joined = NULL, *expanded = NULL;
		glob_t g;
		bool have_glob = false;
		/* ssh_config(5) Include: user files may start with ~; relative paths live in
		 * ~/.ssh for user files and /etc/ssh for the system file. */
		if (arg[0] == '~' && !(c->flags & SSH_CONFIG_USER)) {
			r = cfg_error(c, "bad include path %s.", arg);
			goto next;
		}
		if (arg[0] != '/' && arg[0] != '~')
			joined = str_printf("%s/%s", (c->flags & SSH_CONFIG_USER) ? "~/.ssh" : "/etc/ssh",
					    arg);
		else
			joined = strdup(arg);
		if (joined == NULL) {
			r = FERRY_ENOMEM;
			goto next;
		}
		if ((r = tilde_expand(o, joined, &expanded, c->errmsg)) != 0)
			goto next;
		memset(&g, 0, sizeof(g));
		int gr = glob(expanded, 0, NULL, &g);
		have_glob = gr == 0;
		if (gr == GLOB_NOMATCH) {
			log_debug1("%s line %lu: include %s matched no files", c->path, c->line, expanded);
			goto next;
		}
		if (gr != 0) {
			r = cfg_error(c, "glob failed for %s.", expanded);
			goto next;
		}
		for (size_t k = 0; k < g.gl_pathc; k++) {
			/* An included file starts in the including block's state; its own Host and
			 * Match lines do not leak out (each file has its own cfg_ctx). */
			unsigned fl = (c->flags & SSH_CONFIG_USER) | SSH_CONFIG_CHECK_PERM |
				      (c->active ? 0 : CTX_NEVERMATCH);
			if (c->depth + 1 > MAX_INCLUDE_DEPTH) {
				r = cfg_error(c, "Too many recursive configuration includes");
				goto next;
			}
			r = read_file_depth(o, g.gl_pathv[k], c->host, fl, c->active, c->depth + 1,
					    c->errmsg);
			if (r != 0)
				goto next;
		}
next:
		if (have_glob)
			globfree(&g);
		free(joined);
		free(expanded);
		if (r != 0)
			return r;
	}
	return 0;
}

/* Algorithm list keywords: validated now (so the error names the line), resolved at finalize. */
static int handle_algorithms(struct cfg_ctx *c, enum opcode op, const char *arg)
{
	const char *def, *sup, *label;
	char **field;
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
		label = "Bad SSH2 MAC spec";
		field = &c->o->macs;
		break;
	case OP_KEX:
		def = kex_default_names();
		sup = kex_supported_names();
		label = "Bad SSH2 KexAlgorithms";
		field = &c->o->kex_algorithms;
		break;
	default:
		def = key_sigalg_default_names();
		sup = key_sigalg_supported_names();
		label = "Bad key types";
		field = &c->o->host_key_algorithms;
		break;
	}
	int r = cfg_alglist_check(def, sup, arg);
	if (r == FERRY_ENOMEM)
		return r;
	if (r != 0)
		return cfg_error(c, "%s '%s'.", label, arg);
	return set_string(c, field, arg);
}

static int handle_rekey(struct cfg_ctx *c, const struct cfg_args *a, size_t *i)
{
	const char *arg = NULL;
	int r = next_arg(c, a, i, &arg);
	if (r != 0)
		return r;
	int64_t bytes = 0;
	/* "default" (and, in ferry, "none") leaves the volume limit to the cipher. */
	if (strcasecmp(arg, "default") != 0 && strcasecmp(arg, "none") != 0) {
		if (cfg_parse_size(arg, &bytes) != 0)
			return cfg_error(c, "Bad number '%s': Invalid argument", arg);
		if (bytes != 0 && bytes < 16)
			return cfg_error(c, "RekeyLimit too small");
	}
	if (c->active && c->o->rekey_limit_bytes == SSH_OPT_UNSET)
		c->o->rekey_limit_bytes = bytes;
	if (*i >= a->n)
		return 0;
	arg = a->v[(*i)++];
	int64_t secs = 0;
	if (strcasecmp(arg, "none") != 0 && (secs = cfg_parse_time(arg)) < 0)
		return cfg_error(c, "invalid time value.");
	if (c->active && c->o->rekey_limit_seconds == SSH_OPT_UNSET)
		c->o->rekey_limit_seconds = secs;
	return 0;
}

static int handle_sendenv(struct cfg_ctx *c, const struct cfg_args *a, size_t *i)
{
	struct ssh_options *o = c->o;
	int r;
	if (*i >= a->n)
		return cfg_error(c, "Missing argument.");
	for (; *i < a->n; (*i)++) {
		const char *arg = a->v[*i];
		if (arg[0] == '-') {
			/* ssh_config(5) SendEnv: "-pattern" clears names given before. */
			if (!c->active)
				continue;
			for (size_t k = o->send_env.n; k-- > 0;)
				if (wildcard_match(arg + 1, o->send_env.v[k]))
					cfg_strlist_remove_at(&o->send_env, k);
			o->send_env.set = true;
			continue;
		}
		if (arg[0] == '\0' || strchr(arg, '=') != NULL)
			return cfg_error(c, "Invalid environment name.");
		if (c->active && !cfg_strlist_contains(&o->send_env, arg) &&
		    (r = cfg_strlist_add(&o->send_env, arg)) != 0)
			return r;
	}
	return 0;
}

static int handle_setenv(struct cfg_ctx *c, const struct cfg_args *a, size_t *i)
{
	struct ssh_strlist line = { NULL, 0, false };
	int r = 0;
	if (*i >= a->n)
		return cfg_error(c, "Missing argument.");
	for (; *i < a->n; (*i)++) {
		const char *arg = a->v[*i];
		const char *eq = strchr(arg, '=');
		if (eq == NULL || eq == arg) {
			r = cfg_error(c, "Invalid SetEnv.");
			goto out;
		}
		/* Within one line the first value of a name wins. */
		bool dup = false;
		for (size_t k = 0; k < line.n && !dup; k++)
			dup = strncmp(line.v[k], arg, (size_t)(eq - arg) + 1) == 0;
		if (!dup && (r = cfg_strlist_add(&line, arg)) != 0)
			goto out;
	}
	/* As OpenSSH 9 does: the first SetEnv line that applies wins as a whole. */
	if (c->active && !c->o->set_env.set) {
		c->o->set_env = line;
		line.v = NULL;
		line.n = 0;
	}
out:
	cfg_strlist_free(&line);
	return r;
}

static int handle_known_hosts(struct cfg_ctx *c, const struct cfg_args *a, size_t *i,
			      struct ssh_strlist *field)
{
	int r;
	if (*i >= a->n)
		return cfg_error(c, "Missing argument.");
	if (a->n - *i > MAX_KNOWN_HOSTS_FILES)
		return cfg_error(c, "Too many known hosts files.");
	bool take = c->active && !field->set;
	/* "none" alone: no files of this kind at all. */
	bool none = a->n - *i == 1 && strcmp(a->v[*i], "none") == 0;
	for (; *i < a->n; (*i)++) {
		if (a->v[*i][0] == '\0')
			return cfg_error(c, "Missing argument.");
		if (take && !none && (r = cfg_strlist_add(field, a->v[*i])) != 0)
			return r;
	}
	if (take)
		field->set = true;
	return 0;
}

static int handle_choice(const struct cfg_ctx *c, const struct cfg_args *a, size_t *i,
			 const struct cfg_choice *choices, int *field)
{
	const char *arg = NULL;
	int r = next_arg(c, a, i, &arg);
	if (r != 0)
		return r;
	int v = cfg_parse_choice(choices, arg);
	if (v < 0)
		return cfg_error(c, "unsupported option \"%s\".", arg);
	set_int(c, field, v);
	return 0;
}

static int handle_flag(const struct cfg_ctx *c, const struct cfg_args *a, size_t *i, int *field)
{
	const char *arg = NULL;
	int r = next_arg(c, a, i, &arg);
	if (r != 0)
		return r;
	int v = cfg_parse_flag(arg, true);
	if (v < 0)
		return cfg_error(c, "unsupported option \"%s\".", arg);
	set_int(c, field, v);
	return 0;
}

static int handle_time(const struct cfg_ctx *c, const struct cfg_args *a, size_t *i, int *field,
		       bool allow_none)
{
	const char *arg = NULL;
	int r = next_arg(c, a, i, &arg);
	if (r != 0)
		return r;
	int64_t v = allow_none && strcasecmp(arg, "none") == 0 ? 0 : cfg_parse_time(arg);
	if (v < 0)
		return cfg_error(c, "invalid time value.");
	set_int(c, field, (int)v);
	return 0;
}

/* Applies one parsed line: keyword (as written) with its raw value text. literal: value is one
 * argument as it stands (no splitting, quotes or comments). */
static int process_keyword(struct cfg_ctx *c, const char *keyword, const char *value, bool literal)
{
	struct ssh_options *o = c->o;
	struct cfg_args a = { NULL, 0 };
	size_t i = 0;
	const char *arg = NULL;
	int r = 0;

	char *kw = strdup(keyword);
	if (kw == NULL)
		return FERRY_ENOMEM;
	cfg_lowercase(kw);

	if (*value == '\0') {
		r = cfg_error(c, "no argument after keyword \"%s\"", kw);
		goto out;
	}
	size_t k;
	for (k = 0; k < N_KEYWORDS; k++)
		if (strcasecmp(kw, keywords[k].name) == 0)
			break;
	if (k == N_KEYWORDS) {
		/* IgnoreUnknown lists keywords to skip silently (ssh_config(5)). */
		if (o->ignore_unknown && ssh_match_pattern_list(kw, o->ignore_unknown, true) == 1) {
			log_debug2("%s line %lu: ignoring unknown option %s", c->path, c->line, kw);
			r = 0;
			goto out;
		}
		/* OpenSSH's wording, including its colon after the file name for this one. */
		r = cfg_errorf(c->errmsg, "%s: line %lu: Bad configuration option: %s", c->path,
				c->line, kw);
		goto out;
	}
	if (literal) {
		if ((a.v = malloc(sizeof(*a.v))) == NULL || (a.v[0] = strdup(value)) == NULL) {
			r = FERRY_ENOMEM;
			goto out;
		}
		a.n = 1;
	} else if (cfg_args_split(value, &a) != 0) {
		r = cfg_error(c, "invalid quotes");
		goto out;
	}

	switch (keywords[k].op) {
	case OP_IGNORED:
		i = a.n;
		r = c->active ? warn_keyword(c, k) : 0;
		break;
	case OP_HOST:
		r = handle_host(c, &a, &i);
		break;
	case OP_MATCH:
		r = handle_match(c, &a, &i);
		break;
	case OP_INCLUDE:
		r = handle_include(c, &a, &i);
		break;
	case OP_IGNORE_UNKNOWN:
		if ((r = next_arg(c, &a, &i, &arg)) == 0)
			r = set_string(c, &o->ignore_unknown, arg);
		break;
	case OP_HOSTNAME:
		if ((r = next_arg(c, &a, &i, &arg)) == 0)
			r = set_string(c, &o->hostname, arg);
		break;
	case OP_PORT:
		if ((r = next_arg(c, &a, &i, &arg)) != 0)
			break;
		char *end = NULL;
		errno = 0;
		long port = strtol(arg, &end, 10);
		if (errno != 0 || *end != '\0' || !isdigit((unsigned char)arg[0]) || port < 1 ||
		    port > 65535) {
			r = cfg_error(c, "Bad port '%s'.", arg);
			break;
		}
		set_int(c, &o->port, (int)port);
		break;
	case OP_USER:
		if ((r = next_arg(c, &a, &i, &arg)) == 0)
			r = set_string(c, &o->user, arg);
		break;
	case OP_IDENTITY_FILE:
		if ((r = next_arg(c, &a, &i, &arg)) != 0 || !c->active)
			break;
		if (cfg_strlist_contains(&o->identity_files, arg))
			break;
		if (o->identity_files.n >= MAX_IDENTITY_FILES) {
			r = cfg_error(c, "Too many identity files specified (max %d).",
				      MAX_IDENTITY_FILES);
			break;
		}
		r = cfg_strlist_add(&o->identity_files, arg);
		break;
	case OP_IDENTITIES_ONLY:
		r = handle_flag(c, &a, &i, &o->identities_only);
		break;
	case OP_STRICT:
		r = handle_choice(c, &a, &i, strict_choices, &o->strict_host_key_checking);
		break;
	case OP_USER_KH:
		r = handle_known_hosts(c, &a, &i, &o->user_known_hosts_files);
		break;
	case OP_GLOBAL_KH:
		r = handle_known_hosts(c, &a, &i, &o->global_known_hosts_files);
		break;
	case OP_HASH_KH:
		r = handle_flag(c, &a, &i, &o->hash_known_hosts);
		break;
	case OP_CIPHERS:
	case OP_MACS:
	case OP_KEX:
	case OP_HOSTKEY_ALGS:
		if ((r = next_arg(c, &a, &i, &arg)) == 0)
			r = handle_algorithms(c, keywords[k].op, arg);
		break;
	case OP_REKEY:
		r = handle_rekey(c, &a, &i);
		break;
	case OP_CONNECT_TIMEOUT:
		r = handle_time(c, &a, &i, &o->connect_timeout, true);
		break;
	case OP_BATCH:
		r = handle_flag(c, &a, &i, &o->batch_mode);
		break;
	case OP_LOGLEVEL: {
		enum flog_level level;
		if ((r = next_arg(c, &a, &i, &arg)) != 0)
			break;
		if (flog_level_parse(arg, &level) != 0) {
			r = cfg_error(c, "unsupported log level '%s'", arg);
			break;
		}
		set_int(c, &o->log_level, (int)level);
		break;
	}
	case OP_ADDRFAM:
		r = handle_choice(c, &a, &i, af_choices, &o->address_family);
		break;
	case OP_PASSWORD_AUTH:
		r = handle_flag(c, &a, &i, &o->password_authentication);
		break;
	case OP_PUBKEY_AUTH:
		r = handle_choice(c, &a, &i, pubkey_choices, &o->pubkey_authentication);
		break;
	case OP_ALIVE_INTERVAL:
		r = handle_time(c, &a, &i, &o->server_alive_interval, false);
		break;
	case OP_ALIVE_COUNT: {
		if ((r = next_arg(c, &a, &i, &arg)) != 0)
			break;
		char *e = NULL;
		errno = 0;
		long v = strtol(arg, &e, 10);
		if (*e != '\0' || !isdigit((unsigned char)arg[0])) {
			r = cfg_error(c, "integer value invalid.");
			break;
		}
		if (errno == ERANGE || v > INT_MAX) {
			r = cfg_error(c, "integer value too large.");
			break;
		}
		set_int(c, &o->server_alive_count_max, (int)v);
		break;
	}
	case OP_SENDENV:
		r = handle_sendenv(c, &a, &i);
		break;
	case OP_SETENV:
		r = handle_setenv(c, &a, &i);
		break;
	case OP_REQUEST_TTY:
		r = handle_choice(c, &a, &i, tty_choices, &o->request_tty);
		break;
	case OP_COMPRESSION:
		r = handle_flag(c, &a, &i, &o->compression);
		break;
	case OP_PROXY_JUMP:
		if ((r = next_arg(c, &a, &i, &arg)) != 0)
			break;
		/* ssh_config(5): whichever of ProxyJump and ProxyCommand comes first wins. */
		if (o->proxy_command == NULL)
			r = set_string(c, &o->proxy_jump, arg);
		break;
	case OP_PROXY_COMMAND:
		/* The command is the rest of the line as written, quotes and all. */
		i = a.n;
		if (o->proxy_jump == NULL)
			r = set_string(c, &o->proxy_command, value);
		break;
	}
	if (r == 0 && i < a.n)
		r = cfg_error(c, "keyword %s extra arguments at end of line", kw);
out:
	cfg_args_free(&a);
	free(kw);
	return r;
}

/* Splits a raw line into keyword and value and applies it; comments and blanks are skipped. */
static int process_line(struct cfg_ctx *c, const char *raw)
{
	char *line = strdup(raw);
	int r = 0;
	if (line == NULL)
		return FERRY_ENOMEM;
	char *kw = NULL, *p = NULL;
	if (!cfg_line_split(line, &kw, &p))
		goto out;
	r = process_keyword(c, kw, p, false);
out:
	free(line);
	return r;
}

/* ---- files ------------------------------------------------------------------------------- */

static int read_file_depth(struct ssh_options *o, const char *path, const char *host,
			   unsigned flags, bool active, int depth, char **errmsg)
{
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	int r = 0;

	f = fopen(path, "re");
	if (f == NULL) {
		if (errno == ENOENT && !(flags & SSH_CONFIG_MUST_EXIST))
			return 0;
		return cfg_errorf(errmsg, "Can't open user config file %s: %s", path, strerror(errno));
	}
	if (flags & SSH_CONFIG_CHECK_PERM) {
		struct stat st;
		if (fstat(fileno(f), &st) != 0) {
			r = cfg_errorf(errmsg, "Can't stat %s: %s", path, strerror(errno));
			goto out;
		}
		/* A config file others may edit could run commands or redirect us: refuse it, as
		 * ssh(1) does. */
		if ((st.st_uid != 0 && st.st_uid != getuid()) || (st.st_mode & 022) != 0) {
			r = cfg_errorf(errmsg, "Bad owner or permissions on %s", path);
			goto out;
		}
	}
	struct cfg_ctx c = {
		.o = o, .host = host, .path = path, .line = 0, .flags = flags,
		.active = active && !(flags & CTX_NEVERMATCH), .depth = depth, .errmsg = errmsg,
	};
	while (getline(&line, &cap, f) != -1) {
		c.line++;
		if ((r = process_line(&c, line)) != 0)
			goto out;
	}
	if (ferror(f))
		r = cfg_errorf(errmsg, "%s: read error: %s", path, strerror(errno));
out:
	free(line);
	fclose(f);
	return r;
}

/* ---- public API ------------------------------------------------------------------------- */

void ssh_options_init(struct ssh_options *o)
{
	memset(o, 0, sizeof(*o));
	o->port = SSH_OPT_UNSET;
	o->identities_only = SSH_OPT_UNSET;
	o->strict_host_key_checking = SSH_OPT_UNSET;
	o->hash_known_hosts = SSH_OPT_UNSET;
	o->rekey_limit_bytes = SSH_OPT_UNSET;
	o->rekey_limit_seconds = SSH_OPT_UNSET;
	o->connect_timeout = SSH_OPT_UNSET;
	o->batch_mode = SSH_OPT_UNSET;
	o->log_level = SSH_OPT_UNSET;
	o->address_family = SSH_OPT_UNSET;
	o->password_authentication = SSH_OPT_UNSET;
	o->pubkey_authentication = SSH_OPT_UNSET;
	o->server_alive_interval = SSH_OPT_UNSET;
	o->server_alive_count_max = SSH_OPT_UNSET;
	o->request_tty = SSH_OPT_UNSET;
	o->compression = SSH_OPT_UNSET;
}

void ssh_options_free(struct ssh_options *o)
{
	if (o == NULL)
		return;
	free(o->hostname);
	free(o->user);
	cfg_strlist_free(&o->identity_files);
	cfg_strlist_free(&o->user_known_hosts_files);
	cfg_strlist_free(&o->global_known_hosts_files);
	free(o->ciphers);
	free(o->macs);
	free(o->kex_algorithms);
	free(o->host_key_algorithms);
	cfg_strlist_free(&o->send_env);
	cfg_strlist_free(&o->set_env);
	free(o->proxy_jump);
	free(o->proxy_command);
	free(o->ignore_unknown);
	free(o->local_user);
	free(o->home_dir);
	free(o->local_host);
	free(o->original_host);
	ssh_options_init(o);
}

int ssh_options_set_local(struct ssh_options *o, const char *local_user, const char *home_dir,
			  const char *local_host)
{
	const char *in[3] = { local_user, home_dir, local_host };
	char **field[3] = { &o->local_user, &o->home_dir, &o->local_host };
	char *copy[3] = { NULL, NULL, NULL };
	for (int k = 0; k < 3; k++) {
		if (in[k] && (copy[k] = strdup(in[k])) == NULL) {
			free(copy[0]);
			free(copy[1]);
			free(copy[2]);
			return FERRY_ENOMEM;
		}
	}
	for (int k = 0; k < 3; k++) {
		if (in[k]) {
			free(*field[k]);
			*field[k] = copy[k];
		}
	}
	return 0;
}

void ssh_options_set_warn(struct ssh_options *o, ssh_options_warn_fn fn, void *arg)
{
	o->warn = fn;
	o->warn_arg = arg;
}

int ssh_options_apply(struct ssh_options *o, const char *line, char **errmsg)
{
	struct cfg_ctx c = {
		.o = o, .host = NULL, .path = "command-line", .line = 0, .flags = CTX_CMDLINE,
		.active = true, .depth = 0, .errmsg = errmsg,
	};
	return process_line(&c, line);
}

int ssh_options_apply_value(struct ssh_options *o, const char *keyword, const char *value,
			    char **errmsg)
{
	struct cfg_ctx c = {
		.o = o, .host = NULL, .path = "command-line", .line = 0, .flags = CTX_CMDLINE,
		.active = true, .depth = 0, .errmsg = errmsg,
	};
	return process_keyword(&c, keyword, value, true);
}

int ssh_options_read_file(struct ssh_options *o, const char *path, const char *host,
			  unsigned flags, char **errmsg)
{
	char *expanded = NULL;
	int r;
	if (path[0] == '~' && (path[1] == '/' || path[1] == '\0')) {
		if ((r = tilde_expand(o, path, &expanded, errmsg)) != 0)
			return r;
		path = expanded;
	}
	if (o->original_host == NULL && (o->original_host = strdup(host)) == NULL) {
		free(expanded);
		return FERRY_ENOMEM;
	}
	r = read_file_depth(o, path, host, flags & (SSH_CONFIG_USER | SSH_CONFIG_MUST_EXIST |
						    SSH_CONFIG_CHECK_PERM), true, 0, errmsg);
	free(expanded);
	return r;
}

int ssh_options_read_config(struct ssh_options *o, const char *config_file, const char *host,
			    char **errmsg)
{
	int r;
	if (config_file != NULL) {
		if (strcasecmp(config_file, "none") == 0)
			return 0;
		return ssh_options_read_file(o, config_file, host,
					     SSH_CONFIG_USER | SSH_CONFIG_MUST_EXIST, errmsg);
	}
	r = ssh_options_read_file(o, SSH_USER_CONFIG, host,
				  SSH_CONFIG_USER | SSH_CONFIG_CHECK_PERM, errmsg);
	if (r != 0)
		return r;
	return ssh_options_read_file(o, SSH_SYSTEM_CONFIG, host, 0, errmsg);
}

/* ---- finalize --------------------------------------------------------------------------- */

/* Expands ~ then tokens and ${ENV} in every element of a file list, in place. */
static int expand_file_list(struct ssh_options *o, const char *keyword, struct ssh_strlist *l,
			    const struct tokens *t, char **errmsg)
{
	int r;
	for (size_t k = 0; k < l->n; k++) {
		char *tilded = NULL, *full = NULL;
		if ((r = tilde_expand(o, l->v[k], &tilded, errmsg)) != 0)
			return r;
		r = t ? expand_tokens(keyword, tilded, t, true, &full, errmsg) : 0;
		if (r != 0) {
			free(tilded);
			return r;
		}
		if (t) {
			free(tilded);
		} else {
			full = tilded;
		}
		free(l->v[k]);
		l->v[k] = full;
	}
	return 0;
}

static int set_default_list(struct ssh_strlist *l, const char *const *defaults)
{
	if (l->set || l->n > 0)
		return 0;
	for (; *defaults; defaults++) {
		int r = cfg_strlist_add(l, *defaults);
		if (r != 0)
			return r;
	}
	return 0;
}

static void default_int(int *field, int value)
{
	if (*field == SSH_OPT_UNSET)
		*field = value;
}

/* %C: hex SHA-1 of %l%h%p%r%j, as ssh_config(5) TOKENS defines it. */
static int connection_hash(const struct tokens *t, char hex[41])
{
	char *cat = str_printf("%s%s%s%s%s", t->v['l'], t->v['h'], t->v['p'], t->v['r'], t->v['j']);
	uint8_t md[20];
	if (cat == NULL)
		return FERRY_ENOMEM;
	int r = hash_oneshot(HASH_SHA1, cat, strlen(cat), md);
	free(cat);
	if (r != 0)
		return r;
	for (int k = 0; k < 20; k++)
		snprintf(hex + 2 * k, 3, "%02x", md[k]);
	return 0;
}

int ssh_options_finalize(struct ssh_options *o, const char *host, char **errmsg)
{
	static const char *const default_ids[] = {
		"~/.ssh/id_rsa", "~/.ssh/id_ecdsa", "~/.ssh/id_ed25519", NULL,
	};
	static const char *const default_user_kh[] = {
		"~/.ssh/known_hosts", "~/.ssh/known_hosts2", NULL,
	};
	static const char *const default_global_kh[] = {
		"/etc/ssh/ssh_known_hosts", "/etc/ssh/ssh_known_hosts2", NULL,
	};
	char *name = NULL;
	char portstr[16], uidstr[24], chash[41];
	char *shorthost = NULL;
	int r;

	if ((r = local_info_ensure(o)) != 0)
		return r;
	if (o->original_host == NULL && (o->original_host = strdup(host)) == NULL)
		return FERRY_ENOMEM;

	/* HostName: %h is the name typed; the result is lowercased as ssh(1) does. */
	if ((r = expand_hostname(o->hostname ? o->hostname : host, host, &name, errmsg)) != 0)
		return r;
	cfg_lowercase(name);
	free(o->hostname);
	o->hostname = name;

	default_int(&o->port, 22);
	if (o->user == NULL && (o->user = strdup(o->local_user)) == NULL)
		return FERRY_ENOMEM;
	if (o->proxy_jump && strcmp(o->proxy_jump, "none") == 0) {
		free(o->proxy_jump);
		o->proxy_jump = NULL;
	}
	if (o->proxy_command && strcmp(o->proxy_command, "none") == 0) {
		free(o->proxy_command);
		o->proxy_command = NULL;
	}

	struct tokens t = { { 0 } };
	snprintf(portstr, sizeof(portstr), "%d", o->port);
	snprintf(uidstr, sizeof(uidstr), "%lu", (unsigned long)getuid());
	if ((shorthost = strndup(o->local_host, strcspn(o->local_host, "."))) == NULL)
		return FERRY_ENOMEM;
	t.v['d'] = o->home_dir;
	t.v['h'] = o->hostname;
	t.v['i'] = uidstr;
	t.v['j'] = o->proxy_jump ? o->proxy_jump : "";
	t.v['k'] = o->original_host;
	t.v['L'] = shorthost;
	t.v['l'] = o->local_host;
	t.v['n'] = o->original_host;
	t.v['p'] = portstr;
	t.v['r'] = o->user;
	t.v['u'] = o->local_user;
	if ((r = connection_hash(&t, chash)) != 0)
		goto out;
	t.v['C'] = chash;

	o->identity_files_default = o->identity_files.n == 0;
	if ((r = set_default_list(&o->identity_files, default_ids)) != 0 ||
	    (r = set_default_list(&o->user_known_hosts_files, default_user_kh)) != 0 ||
	    (r = set_default_list(&o->global_known_hosts_files, default_global_kh)) != 0)
		goto out;
	o->identity_files.set = o->user_known_hosts_files.set = true;
	o->global_known_hosts_files.set = true;
	if ((r = expand_file_list(o, "IdentityFile", &o->identity_files, &t, errmsg)) != 0 ||
	    (r = expand_file_list(o, "UserKnownHostsFile", &o->user_known_hosts_files, &t,
				  errmsg)) != 0 ||
	    (r = expand_file_list(o, "GlobalKnownHostsFile", &o->global_known_hosts_files, NULL,
				  errmsg)) != 0)
		goto out;

	if ((r = cfg_alglist_resolve_field(&o->ciphers, cipher_default_names(), cipher_supported_names(),
				    "Bad SSH2 cipher spec", errmsg)) != 0 ||
	    (r = cfg_alglist_resolve_field(&o->macs, mac_default_names(), mac_supported_names(),
				    "Bad SSH2 MAC spec", errmsg)) != 0 ||
	    (r = cfg_alglist_resolve_field(&o->kex_algorithms, kex_default_names(), kex_supported_names(),
				    "Bad SSH2 KexAlgorithms", errmsg)) != 0 ||
	    (r = cfg_alglist_resolve_field(&o->host_key_algorithms, key_sigalg_default_names(),
				    key_sigalg_supported_names(), "Bad key types", errmsg)) != 0)
		goto out;

	default_int(&o->identities_only, 0);
	default_int(&o->strict_host_key_checking, SSH_STRICT_ASK);
	default_int(&o->hash_known_hosts, 0);
	if (o->rekey_limit_bytes == SSH_OPT_UNSET)
		o->rekey_limit_bytes = 0;
	if (o->rekey_limit_seconds == SSH_OPT_UNSET)
		o->rekey_limit_seconds = 0;
	default_int(&o->connect_timeout, 0);
	default_int(&o->batch_mode, 0);
	default_int(&o->log_level, FLOG_INFO);
	default_int(&o->address_family, SSH_AF_ANY);
	default_int(&o->password_authentication, 1);
	default_int(&o->pubkey_authentication, 1);
	default_int(&o->server_alive_interval, 0);
	default_int(&o->server_alive_count_max, 3);
	default_int(&o->request_tty, SSH_TTY_AUTO);
	default_int(&o->compression, 0);
	o->send_env.set = o->set_env.set = true;
out:
	free(shorthost);
	return r;
}
