/* Unit tests for the client configuration (transfer/sshconfig.c): ssh_config(5) semantics —
 * first value wins, Host/Match/Include, algorithm lists, errors, warnings, tokens. */
#include "transfer/sshconfig.h"
#include "common/text.h"
#include "crypto/cipher.h"
#include "crypto/kex.h"
#include "crypto/key.h"
#include "check.h"

#include <openssl/sha.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

/* Writes a file under tmpdir, creating the directories in name as needed. */
static char *write_file(const char *name, const char *text)
{
	char *path = str_printf("%s/%s", tmpdir, name);
	char *dir = strdup(path);
	*strrchr(dir, '/') = '\0';
	for (char *p = dir + strlen(tmpdir) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(dir, 0700);
		*p = '/';
	}
	mkdir(dir, 0700);
	free(dir);
	FILE *f = fopen(path, "w");
	if (f == NULL)
		abort();
	fputs(text, f);
	fclose(f);
	chmod(path, 0644);
	return path;
}

/* Options with a fixed local identity so results do not depend on who runs the test. */
static void opts_new(struct ssh_options *o)
{
	ssh_options_init(o);
	char *home = str_printf("%s/home", tmpdir);
	mkdir(home, 0700);
	if (ssh_options_set_local(o, "alice", home, "box.example.org") != 0)
		abort();
	free(home);
}

struct captured {
	int count;
	char last[256];
	enum flog_level level;
};

static void capture_warning(void *arg, enum flog_level level, const char *msg)
{
	struct captured *c = arg;
	c->count++;
	c->level = level;
	snprintf(c->last, sizeof(c->last), "%s", msg);
}

static void test_first_value_wins_cmdline_over_file(void)
{
	struct ssh_options o;
	char *err = NULL;
	opts_new(&o);
	char *cfg = write_file("fvw.conf", "Port 23\nUser bob\nUser carol\nConnectTimeout 5\n");
	CHECK_OK(ssh_options_apply(&o, "Port 2222", &err));
	CHECK_OK(ssh_options_apply(&o, "port=2223", &err));         /* later: ignored */
	CHECK_OK(ssh_options_read_file(&o, cfg, "h", 0, &err));
	CHECK(o.port == 2222);
	CHECK_STR(o.user, "bob");
	CHECK(o.connect_timeout == 5);
	CHECK(err == NULL);
	free(cfg);
	ssh_options_free(&o);
}

static void test_keyword_forms_and_quotes(void)
{
	struct ssh_options o;
	char *err = NULL;
	opts_new(&o);
	CHECK_OK(ssh_options_apply(&o, "  uSeR = \"a b\"", &err));
	CHECK_STR(o.user, "a b");
	CHECK_OK(ssh_options_apply(&o, "HOSTNAME=\"real.example.com\"", &err));
	CHECK_STR(o.hostname, "real.example.com");
	CHECK_OK(ssh_options_apply(&o, "Port 2200 # a trailing comment", &err));
	CHECK(o.port == 2200);
	CHECK_OK(ssh_options_apply(&o, "IdentityFile '/k/with space'", &err));
	CHECK_OK(ssh_options_apply(&o, "IdentityFile /k/esc\\ aped", &err));
	CHECK(o.identity_files.n == 2);
	CHECK_STR(o.identity_files.v[0], "/k/with space");
	CHECK_STR(o.identity_files.v[1], "/k/esc aped");
	CHECK_OK(ssh_options_apply(&o, "# only a comment", &err));
	CHECK_OK(ssh_options_apply(&o, "", &err));
	/* Literal values (-i, -l): blanks, quotes and # are part of the value. */
	CHECK_OK(ssh_options_apply_value(&o, "IdentityFile", "/k/a \"b\" #c", &err));
	CHECK(o.identity_files.n == 3);
	CHECK_STR(o.identity_files.v[2], "/k/a \"b\" #c");
	CHECK_RC(ssh_options_apply_value(&o, "Port", "", &err), FERRY_ECONFIG);
	CHECK_STR(err, "command-line line 0: no argument after keyword \"port\"");
	free(err);
	err = NULL;
	CHECK_RC(ssh_options_apply_value(&o, "Port", "1 2", &err), FERRY_ECONFIG);
	CHECK_STR(err, "command-line line 0: Bad port '1 2'.");
	free(err);
	err = NULL;
	CHECK_RC(ssh_options_apply(&o, "User \"unterminated", &err), FERRY_ECONFIG);
	CHECK_STR(err, "command-line line 0: invalid quotes");
	free(err);
	ssh_options_free(&o);
}

static void test_host_blocks_patterns_negation(void)
{
	char *cfg = write_file("hosts.conf",
			       "Host foo\n"
			       "  Port 1\n"
			       "Host *.example.com !bad.example.com\n"
			       "  Port 2\n"
			       "Host b?r\n"
			       "  User q\n"
			       "Host !nomatch-only\n"
			       "  User never\n"
			       "Host *\n"
			       "  Port 3\n"
			       "  User def\n");
	struct { const char *host; int port; const char *user; } cases[] = {
		{ "foo", 1, "def" },
		{ "x.example.com", 2, "def" },
		{ "bad.example.com", 3, "def" },
		{ "bar", 3, "q" },
		{ "baar", 3, "def" },
		{ "FOO", 3, "def" },            /* Host patterns are case-sensitive */
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ssh_options o;
		char *err = NULL;
		opts_new(&o);
		CHECK_OK(ssh_options_read_file(&o, cfg, cases[i].host, 0, &err));
		CHECK(o.port == cases[i].port);
		CHECK_STR(o.user, cases[i].user);
		free(err);
		ssh_options_free(&o);
	}
	free(cfg);
}

static void test_match_blocks(void)
{
	char *cfg = write_file("match.conf",
			       "Host alias\n"
			       "  HostName %h.Corp.example\n"
			       "Match host *.corp.example\n"
			       "  Port 10\n"
			       "Match originalhost alias user alice\n"
			       "  User bob\n"
			       "Match user bob\n"
			       "  ConnectTimeout 7\n"
			       "Match !host other,x* localuser alice\n"
			       "  BatchMode yes\n"
			       "Match all\n"
			       "  Compression yes\n");
	struct ssh_options o;
	char *err = NULL;
	opts_new(&o);
	CHECK_OK(ssh_options_read_file(&o, cfg, "alias", 0, &err));
	CHECK(o.port == 10);                     /* Match host sees HostName, case folded */
	CHECK_STR(o.user, "bob");                /* originalhost + user (local user alice) */
	CHECK(o.connect_timeout == 7);           /* Match user sees the User set above */
	CHECK(o.batch_mode == 1);
	CHECK(o.compression == 1);
	CHECK_OK(ssh_options_finalize(&o, "alias", &err));
	CHECK_STR(o.hostname, "alias.corp.example");
	ssh_options_free(&o);

	opts_new(&o);
	CHECK_OK(ssh_options_read_file(&o, cfg, "xylo", 0, &err));
	CHECK(o.port == SSH_OPT_UNSET);
	CHECK(o.batch_mode == SSH_OPT_UNSET);    /* !host x* excludes it */
	CHECK(o.user == NULL);
	CHECK(o.compression == 1);
	ssh_options_free(&o);
	free(cfg);
}

static void test_match_unsupported_and_errors(void)
{
	struct ssh_options o;
	struct captured cap = { 0 };
	char *err = NULL;
	char *cfg = write_file("match-exec.conf", "Match exec \"true\"\n  Port 5\nMatch all\n  User u\n");
	opts_new(&o);
	ssh_options_set_warn(&o, capture_warning, &cap);
	CHECK_OK(ssh_options_read_file(&o, cfg, "h", SSH_CONFIG_USER, &err));
	CHECK(o.port == SSH_OPT_UNSET);          /* exec: never matches in ferry */
	CHECK_STR(o.user, "u");
	CHECK(cap.count == 1);
	CHECK(strstr(cap.last, "ignoring unsupported Match criterion 'exec'") != NULL);
	ssh_options_free(&o);
	free(cfg);

	cfg = write_file("match-bad.conf", "Port 1\nMatch foo x\n");
	opts_new(&o);
	CHECK_RC(ssh_options_read_file(&o, cfg, "h", 0, &err), FERRY_ECONFIG);
	char *want = str_printf("%s line 2: Unsupported Match attribute foo", cfg);
	CHECK_STR(err, want);
	free(want);
	free(err);
	err = NULL;
	ssh_options_free(&o);
	free(cfg);

	cfg = write_file("match-all.conf", "Match all host x\n");
	opts_new(&o);
	CHECK_RC(ssh_options_read_file(&o, cfg, "h", 0, &err), FERRY_ECONFIG);
	CHECK(err && strstr(err, "line 1: 'all' cannot be combined with other Match attributes"));
	free(err);
	err = NULL;
	ssh_options_free(&o);
	free(cfg);

	cfg = write_file("match-missing.conf", "Match host\n");
	opts_new(&o);
	CHECK_RC(ssh_options_read_file(&o, cfg, "h", 0, &err), FERRY_ECONFIG);
	CHECK(err && strstr(err, "line 1: Missing Match criteria for host"));
	free(err);
	err = NULL;
	ssh_options_free(&o);
	free(cfg);

	opts_new(&o);
	CHECK_RC(ssh_options_apply(&o, "Match all", &err), FERRY_ECONFIG);
	CHECK_STR(err, "Match directive not supported as a command-line option");
	free(err);
	err = NULL;
	CHECK_RC(ssh_options_apply(&o, "Host x", &err), FERRY_ECONFIG);
	CHECK_STR(err, "Host directive not supported as a command-line option");
	free(err);
	err = NULL;
	CHECK_RC(ssh_options_apply(&o, "Include x", &err), FERRY_ECONFIG);
	CHECK_STR(err, "Include directive not supported as a command-line option");
	free(err);
	ssh_options_free(&o);
}

static void test_include_relative_glob_and_scope(void)
{
	/* User config: relative includes live in ~/.ssh (home is tmpdir/home). */
	char *a = write_file("home/.ssh/conf.d/10-a.conf", "Host target\n  Port 11\nHost *\n  User inc\n");
	char *b = write_file("home/.ssh/conf.d/20-b.conf", "ConnectTimeout 9\n");
	char *c = write_file("home/.ssh/inactive.conf", "BatchMode yes\n");
	char *main_cfg = write_file("inc-main.conf",
				    "Include conf.d/*.conf\n"
				    "Port 99\n"          /* after the include: 11 came first */
				    "Host elsewhere\n"
				    "  Include inactive.conf\n"
				    "Host *\n"
				    "  Include ~/.ssh/nothing-here-*.conf\n");
	struct ssh_options o;
	char *err = NULL;
	opts_new(&o);
	CHECK_OK(ssh_options_read_file(&o, main_cfg, "target", SSH_CONFIG_USER, &err));
	CHECK(o.port == 11);
	CHECK_STR(o.user, "inc");
	CHECK(o.connect_timeout == 9);
	CHECK(o.batch_mode == SSH_OPT_UNSET);    /* included from a block that did not match */
	ssh_options_free(&o);

	/* A Host line inside an included file does not change the including file's state. */
	char *d = write_file("home/.ssh/scoped.conf", "Host nomatch\n  User x\n");
	char *main2 = write_file("inc-scope.conf", "Include scoped.conf\nPort 4\n");
	opts_new(&o);
	CHECK_OK(ssh_options_read_file(&o, main2, "target", SSH_CONFIG_USER, &err));
	CHECK(o.port == 4);
	CHECK(o.user == NULL);
	ssh_options_free(&o);

	/* The system file may not use ~ in Include. */
	char *sys = write_file("sys.conf", "Include ~/x.conf\n");
	opts_new(&o);
	CHECK_RC(ssh_options_read_file(&o, sys, "target", 0, &err), FERRY_ECONFIG);
	CHECK(err && strstr(err, "line 1: bad include path ~/x.conf."));
	free(err);
	err = NULL;
	ssh_options_free(&o);

	/* Included files are permission-checked: a world-writable one is refused. */
	char *ww = write_file("home/.ssh/ww.conf", "Port 1\n");
	chmod(ww, 0666);
	char *main3 = write_file("inc-ww.conf", "Include ww.conf\n");
	opts_new(&o);
	CHECK_RC(ssh_options_read_file(&o, main3, "target", SSH_CONFIG_USER, &err), FERRY_ECONFIG);
	char *want = str_printf("Bad owner or permissions on %s", ww);
	CHECK_STR(err, want);
	free(want);
	free(err);
	err = NULL;
	ssh_options_free(&o);

	/* An include loop ends with an error, not a stack overflow. */
	char *loop = write_file("home/.ssh/loop.conf", "Include loop.conf\n");
	opts_new(&o);
	CHECK_RC(ssh_options_read_file(&o, loop, "target", SSH_CONFIG_USER, &err), FERRY_ECONFIG);
	CHECK(err && strstr(err, "Too many recursive configuration includes"));
	free(err);
	err = NULL;
	ssh_options_free(&o);

	free(a); free(b); free(c); free(d); free(main_cfg); free(main2); free(sys); free(ww);
	free(main3); free(loop);
}

static void test_missing_files(void)
{
	struct ssh_options o;
	char *err = NULL;
	char *path = str_printf("%s/does-not-exist.conf", tmpdir);
	opts_new(&o);
	CHECK_OK(ssh_options_read_file(&o, path, "h", SSH_CONFIG_USER, &err));
	CHECK(err == NULL);
	CHECK_RC(ssh_options_read_config(&o, path, "h", &err), FERRY_ECONFIG);
	char *want = str_printf("Can't open user config file %s: No such file or directory", path);
	CHECK_STR(err, want);
	free(want);
	free(err);
	err = NULL;
	CHECK_OK(ssh_options_read_config(&o, "none", "h", &err));
	ssh_options_free(&o);
	free(path);
}

static void test_algorithm_lists(void)
{
	struct ssh_options o;
	char *err = NULL;
	opts_new(&o);
	CHECK_OK(ssh_options_apply(&o, "Ciphers -aes*", &err));
	CHECK_OK(ssh_options_apply(&o, "MACs ^hmac-sha1,hmac-sha2-512", &err));
	CHECK_OK(ssh_options_apply(&o, "HostKeyAlgorithms +ssh-rsa", &err));
	CHECK_OK(ssh_options_apply(&o, "KexAlgorithms curve25519-sha256,ecdh-sha2-nistp256", &err));
	CHECK_OK(ssh_options_apply(&o, "Ciphers aes128-ctr", &err));   /* first wins */
	CHECK_OK(ssh_options_finalize(&o, "h", &err));
	CHECK(strstr(o.ciphers, "aes") == NULL);
	CHECK(namelist_contains(o.ciphers, "chacha20-poly1305@openssh.com"));
	CHECK(strncmp(o.macs, "hmac-sha1,hmac-sha2-512,", 24) == 0);
	CHECK(namelist_contains(o.macs, "hmac-sha2-256-etm@openssh.com"));
	char *want = str_printf("%s,ssh-rsa", key_sigalg_default_names());
	if (namelist_contains(key_sigalg_default_names(), "ssh-rsa")) {
		free(want);
		want = strdup(key_sigalg_default_names());
	}
	CHECK_STR(o.host_key_algorithms, want);
	free(want);
	CHECK_STR(o.kex_algorithms, "curve25519-sha256,ecdh-sha2-nistp256");
	ssh_options_free(&o);

	/* Unset lists finalize to crypto/'s defaults. */
	opts_new(&o);
	CHECK_OK(ssh_options_finalize(&o, "h", &err));
	CHECK_STR(o.ciphers, cipher_default_names());
	CHECK_STR(o.macs, mac_default_names());
	ssh_options_free(&o);

	opts_new(&o);
	CHECK_RC(ssh_options_apply(&o, "Ciphers foo", &err), FERRY_ECONFIG);
	CHECK_STR(err, "command-line line 0: Bad SSH2 cipher spec 'foo'.");
	free(err);
	err = NULL;
	CHECK_RC(ssh_options_apply(&o, "Ciphers +aes128-ctr,bar", &err), FERRY_ECONFIG);
	CHECK_STR(err, "command-line line 0: Bad SSH2 cipher spec '+aes128-ctr,bar'.");
	free(err);
	err = NULL;
	CHECK_RC(ssh_options_apply(&o, "Ciphers -*", &err), FERRY_ECONFIG);   /* nothing left */
	free(err);
	err = NULL;
	CHECK_RC(ssh_options_apply(&o, "KexAlgorithms bar", &err), FERRY_ECONFIG);
	CHECK_STR(err, "command-line line 0: Bad SSH2 KexAlgorithms 'bar'.");
	free(err);
	err = NULL;
	CHECK_RC(ssh_options_apply(&o, "HostKeyAlgorithms ^bar", &err), FERRY_ECONFIG);
	CHECK_STR(err, "command-line line 0: Bad key types '^bar'.");
	free(err);
	err = NULL;
	char *cfg = write_file("badmac.conf", "Host other\n\n  MACs bar\n");
	CHECK_RC(ssh_options_read_file(&o, cfg, "h", 0, &err), FERRY_ECONFIG);
	want = str_printf("%s line 3: Bad SSH2 MAC spec 'bar'.", cfg);  /* even when inactive */
	CHECK_STR(err, want);
	free(want);
	free(err);
	free(cfg);
	ssh_options_free(&o);
}

static void test_unknown_keyword_errors(void)
{
	struct ssh_options o;
	char *err = NULL;
	opts_new(&o);
	CHECK_RC(ssh_options_apply(&o, "foobar 1", &err), FERRY_ECONFIG);
	CHECK_STR(err, "command-line: line 0: Bad configuration option: foobar");
	free(err);
	err = NULL;
	char *cfg = write_file("unknown.conf", "Port 22\nFooBar 1\n");
	CHECK_RC(ssh_options_read_file(&o, cfg, "h", 0, &err), FERRY_ECONFIG);
	char *want = str_printf("%s: line 2: Bad configuration option: foobar", cfg);
	CHECK_STR(err, want);
	free(want);
	free(err);
	err = NULL;
	free(cfg);
	ssh_options_free(&o);

	/* IgnoreUnknown makes listed unknown keywords silent. */
	opts_new(&o);
	cfg = write_file("ignore-unknown.conf", "IgnoreUnknown UseFoo,Bar*\nusefoo yes\nbarbaz 1\n");
	CHECK_OK(ssh_options_read_file(&o, cfg, "h", 0, &err));
	CHECK(err == NULL);
	free(cfg);
	ssh_options_free(&o);
}

static void test_value_errors(void)
{
	struct { const char *line; const char *msg; } cases[] = {
		{ "Port 0", "command-line line 0: Bad port '0'." },
		{ "Port 65536", "command-line line 0: Bad port '65536'." },
		{ "Port x1", "command-line line 0: Bad port 'x1'." },
		{ "Port", "command-line line 0: no argument after keyword \"port\"" },
		{ "Port 1 2", "command-line line 0: keyword port extra arguments at end of line" },
		{ "Port \"\"", "command-line line 0: Missing argument." },
		{ "BatchMode maybe", "command-line line 0: unsupported option \"maybe\"." },
		{ "StrictHostKeyChecking sometimes",
		  "command-line line 0: unsupported option \"sometimes\"." },
		{ "AddressFamily inet5", "command-line line 0: unsupported option \"inet5\"." },
		{ "ConnectTimeout 1x", "command-line line 0: invalid time value." },
		{ "LogLevel foo", "command-line line 0: unsupported log level 'foo'" },
		{ "ServerAliveCountMax x", "command-line line 0: integer value invalid." },
		{ "SendEnv A=B", "command-line line 0: Invalid environment name." },
		{ "SetEnv NOEQUALS", "command-line line 0: Invalid SetEnv." },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ssh_options o;
		char *err = NULL;
		opts_new(&o);
		CHECK_RC(ssh_options_apply(&o, cases[i].line, &err), FERRY_ECONFIG);
		CHECK_STR(err, cases[i].msg);
		free(err);
		ssh_options_free(&o);
	}
}

static void test_enum_values(void)
{
	struct ssh_options o;
	char *err = NULL;
	opts_new(&o);
	CHECK_OK(ssh_options_apply(&o, "StrictHostKeyChecking accept-new", &err));
	CHECK_OK(ssh_options_apply(&o, "AddressFamily inet6", &err));
	CHECK_OK(ssh_options_apply(&o, "LogLevel debug2", &err));
	CHECK_OK(ssh_options_apply(&o, "PubkeyAuthentication host-bound", &err));
	CHECK_OK(ssh_options_apply(&o, "PasswordAuthentication no", &err));
	CHECK_OK(ssh_options_apply(&o, "RequestTTY force", &err));
	CHECK_OK(ssh_options_apply(&o, "ServerAliveInterval 1m", &err));
	CHECK_OK(ssh_options_apply(&o, "ServerAliveCountMax 9", &err));
	CHECK_OK(ssh_options_apply(&o, "IdentitiesOnly true", &err));
	CHECK_OK(ssh_options_apply(&o, "HashKnownHosts yes", &err));
	CHECK(o.strict_host_key_checking == SSH_STRICT_ACCEPT_NEW);
	CHECK(o.address_family == SSH_AF_INET6);
	CHECK(o.log_level == FLOG_DEBUG2);
	CHECK(o.pubkey_authentication == 1);
	CHECK(o.password_authentication == 0);
	CHECK(o.request_tty == SSH_TTY_FORCE);
	CHECK(o.server_alive_interval == 60);
	CHECK(o.server_alive_count_max == 9);
	CHECK(o.identities_only == 1);
	CHECK(o.hash_known_hosts == 1);
	ssh_options_free(&o);

	opts_new(&o);
	CHECK_OK(ssh_options_apply(&o, "StrictHostKeyChecking off", &err));
	CHECK(o.strict_host_key_checking == SSH_STRICT_NO);
	ssh_options_free(&o);
}

static void test_ignored_keyword_warns_once(void)
{
	struct ssh_options o;
	struct captured cap = { 0 };
	char *err = NULL;
	opts_new(&o);
	ssh_options_set_warn(&o, capture_warning, &cap);
	CHECK_OK(ssh_options_apply(&o, "ForwardAgent yes", &err));
	CHECK_OK(ssh_options_apply(&o, "forwardagent no", &err));
	CHECK(cap.count == 1);
	CHECK_STR(cap.last, "ferry: ignoring unsupported option 'ForwardAgent'");
	CHECK(cap.level == FLOG_INFO);
	ssh_options_free(&o);

	/* Once per process, not per options struct. */
	opts_new(&o);
	ssh_options_set_warn(&o, capture_warning, &cap);
	CHECK_OK(ssh_options_apply(&o, "ForwardAgent yes", &err));
	CHECK(cap.count == 1);
	/* Deprecated keywords are accepted the same way. */
	CHECK_OK(ssh_options_apply(&o, "UseRoaming no", &err));
	CHECK_OK(ssh_options_apply(&o, "Protocol 2", &err));
	CHECK_OK(ssh_options_apply(&o, "KeepAlive yes", &err));
	CHECK(cap.count == 4);
	CHECK_STR(cap.last, "ferry: ignoring unsupported option 'KeepAlive'");
	ssh_options_free(&o);

	/* From the system-wide file: verbose level; inside a block that does not apply: none. */
	char *cfg = write_file("sys-ignored.conf",
			       "Host elsewhere\n  ControlMaster auto\nHost *\n  GSSAPIAuthentication yes\n");
	opts_new(&o);
	ssh_options_set_warn(&o, capture_warning, &cap);
	CHECK_OK(ssh_options_read_file(&o, cfg, "h", 0, &err));
	CHECK(cap.count == 5);
	CHECK_STR(cap.last, "ferry: ignoring unsupported option 'GSSAPIAuthentication'");
	CHECK(cap.level == FLOG_VERBOSE);
	ssh_options_free(&o);
	free(cfg);
}

static void test_rekey_limit(void)
{
	struct { const char *line; int rc; int64_t bytes; int64_t secs; } cases[] = {
		{ "RekeyLimit 16M 30s", 0, 16 << 20, 30 },
		{ "RekeyLimit 1G 1h30m", 0, 1ll << 30, 5400 },
		{ "RekeyLimit default none", 0, 0, 0 },
		{ "RekeyLimit none", 0, 0, SSH_OPT_UNSET },
		{ "RekeyLimit 512k", 0, 512 << 10, SSH_OPT_UNSET },
		{ "RekeyLimit 1.5K 2", 0, 1536, 2 },
		{ "RekeyLimit 1", FERRY_ECONFIG, 0, 0 },
		{ "RekeyLimit 1Q", FERRY_ECONFIG, 0, 0 },
		{ "RekeyLimit 1M 5x", FERRY_ECONFIG, 0, 0 },
		{ "RekeyLimit 1M 5s 6", FERRY_ECONFIG, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ssh_options o;
		char *err = NULL;
		opts_new(&o);
		int rc = ssh_options_apply(&o, cases[i].line, &err);
		CHECK_RC(rc, cases[i].rc);
		if (rc == 0) {
			CHECK(o.rekey_limit_bytes == cases[i].bytes);
			CHECK(o.rekey_limit_seconds == cases[i].secs);
		}
		free(err);
		ssh_options_free(&o);
	}
	struct ssh_options o;
	char *err = NULL;
	opts_new(&o);
	CHECK_RC(ssh_options_apply(&o, "RekeyLimit 1", &err), FERRY_ECONFIG);
	CHECK_STR(err, "command-line line 0: RekeyLimit too small");
	free(err);
	err = NULL;
	CHECK_RC(ssh_options_apply(&o, "RekeyLimit 1Q", &err), FERRY_ECONFIG);
	CHECK_STR(err, "command-line line 0: Bad number '1Q': Invalid argument");
	free(err);
	ssh_options_free(&o);
}

static void test_token_expansion(void)
{
	struct ssh_options o;
	char *err = NULL;
	opts_new(&o);
	setenv("FERRY_TEST_DIR", "/envdir", 1);
	CHECK_OK(ssh_options_apply(&o, "HostName Real.%h.Example", &err));
	CHECK_OK(ssh_options_apply(&o, "User bob", &err));
	CHECK_OK(ssh_options_apply(&o, "Port 2022", &err));
	CHECK_OK(ssh_options_apply(&o, "IdentityFile ~/.ssh/id_%h_%r_%p", &err));
	CHECK_OK(ssh_options_apply(&o, "IdentityFile %d/%u/%n/%l/%L/%%/%i", &err));
	CHECK_OK(ssh_options_apply(&o, "IdentityFile ${FERRY_TEST_DIR}/k_%C", &err));
	CHECK_OK(ssh_options_apply(&o, "UserKnownHostsFile ~/kh_%h %d/kh2", &err));
	CHECK_OK(ssh_options_finalize(&o, "Short", &err));
	CHECK_STR(o.hostname, "real.short.example");
	char *home = str_printf("%s/home", tmpdir);
	char *want = str_printf("%s/.ssh/id_real.short.example_bob_2022", home);
	CHECK(o.identity_files.n == 3);
	CHECK_STR(o.identity_files.v[0], want);
	free(want);
	want = str_printf("%s/alice/Short/box.example.org/box/%%/%lu", home, (unsigned long)getuid());
	CHECK_STR(o.identity_files.v[1], want);
	free(want);
	/* %C is the hex SHA-1 of %l%h%p%r%j, computed here with OpenSSL directly. */
	const char *cat = "box.example.orgreal.short.example2022bob";
	unsigned char md[SHA_DIGEST_LENGTH];
	SHA1((const unsigned char *)cat, strlen(cat), md);
	char hex[41];
	for (int i = 0; i < 20; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	want = str_printf("/envdir/k_%s", hex);
	CHECK_STR(o.identity_files.v[2], want);
	free(want);
	CHECK(!o.identity_files_default);
	CHECK(o.user_known_hosts_files.n == 2);
	want = str_printf("%s/kh_real.short.example", home);
	CHECK_STR(o.user_known_hosts_files.v[0], want);
	free(want);
	want = str_printf("%s/kh2", home);
	CHECK_STR(o.user_known_hosts_files.v[1], want);
	free(want);
	ssh_options_free(&o);

	opts_new(&o);
	CHECK_OK(ssh_options_apply(&o, "IdentityFile ~/id_%Z", &err));
	CHECK_RC(ssh_options_finalize(&o, "h", &err), FERRY_ECONFIG);
	CHECK(err && strstr(err, "unknown token %Z"));
	free(err);
	err = NULL;
	ssh_options_free(&o);

	opts_new(&o);
	unsetenv("FERRY_TEST_UNSET_VAR");
	CHECK_OK(ssh_options_apply(&o, "UserKnownHostsFile ${FERRY_TEST_UNSET_VAR}/kh", &err));
	CHECK_RC(ssh_options_finalize(&o, "h", &err), FERRY_ECONFIG);
	CHECK(err && strstr(err, "FERRY_TEST_UNSET_VAR"));
	free(err);
	ssh_options_free(&o);
	free(home);
}

static void test_defaults(void)
{
	struct ssh_options o;
	char *err = NULL;
	opts_new(&o);
	CHECK_OK(ssh_options_finalize(&o, "Some.Host", &err));
	char *home = str_printf("%s/home", tmpdir);
	CHECK_STR(o.hostname, "some.host");
	CHECK(o.port == 22);
	CHECK_STR(o.user, "alice");
	CHECK(o.strict_host_key_checking == SSH_STRICT_ASK);
	CHECK(o.identity_files_default);
	CHECK(o.identity_files.n == 3);
	char *want = str_printf("%s/.ssh/id_ed25519", home);
	CHECK_STR(o.identity_files.v[2], want);
	free(want);
	CHECK(o.user_known_hosts_files.n == 2);
	want = str_printf("%s/.ssh/known_hosts", home);
	CHECK_STR(o.user_known_hosts_files.v[0], want);
	free(want);
	want = str_printf("%s/.ssh/known_hosts2", home);
	CHECK_STR(o.user_known_hosts_files.v[1], want);
	free(want);
	CHECK(o.global_known_hosts_files.n == 2);
	CHECK_STR(o.global_known_hosts_files.v[0], "/etc/ssh/ssh_known_hosts");
	CHECK(o.hash_known_hosts == 0);
	CHECK(o.rekey_limit_bytes == 0 && o.rekey_limit_seconds == 0);
	CHECK(o.connect_timeout == 0);
	CHECK(o.batch_mode == 0);
	CHECK(o.log_level == FLOG_INFO);
	CHECK(o.address_family == SSH_AF_ANY);
	CHECK(o.password_authentication == 1 && o.pubkey_authentication == 1);
	CHECK(o.server_alive_interval == 0 && o.server_alive_count_max == 3);
	CHECK(o.send_env.n == 0 && o.set_env.n == 0);
	CHECK(o.request_tty == SSH_TTY_AUTO && o.compression == 0);
	CHECK(o.proxy_jump == NULL && o.proxy_command == NULL);
	CHECK_STR(o.kex_algorithms, kex_default_names());
	CHECK_STR(o.host_key_algorithms, key_sigalg_default_names());
	free(home);
	ssh_options_free(&o);

	opts_new(&o);
	CHECK_OK(ssh_options_apply(&o, "UserKnownHostsFile none", &err));
	CHECK_OK(ssh_options_apply(&o, "UserKnownHostsFile /later", &err));
	CHECK_OK(ssh_options_finalize(&o, "h", &err));
	CHECK(o.user_known_hosts_files.n == 0);
	ssh_options_free(&o);
}

static void test_accumulating_keywords(void)
{
	struct ssh_options o;
	char *err = NULL;
	char *cfg = write_file("accum.conf",
			       "IdentityFile /f1\nIdentityFile /cmd1\n"
			       "SendEnv LANG LC_*\nSendEnv -LC_*\nSendEnv TZ\n"
			       "SetEnv A=1 B=2 A=3\nSetEnv C=3\n");
	opts_new(&o);
	CHECK_OK(ssh_options_apply(&o, "IdentityFile /cmd1", &err));
	CHECK_OK(ssh_options_apply(&o, "SendEnv FOO", &err));
	CHECK_OK(ssh_options_read_file(&o, cfg, "h", 0, &err));
	CHECK(o.identity_files.n == 2);
	CHECK_STR(o.identity_files.v[0], "/cmd1");
	CHECK_STR(o.identity_files.v[1], "/f1");
	CHECK(o.send_env.n == 3);
	CHECK_STR(o.send_env.v[0], "FOO");
	CHECK_STR(o.send_env.v[1], "LANG");
	CHECK_STR(o.send_env.v[2], "TZ");
	/* SetEnv: the first line wins as a whole (what OpenSSH 9 does). */
	CHECK(o.set_env.n == 2);
	CHECK_STR(o.set_env.v[0], "A=1");
	CHECK_STR(o.set_env.v[1], "B=2");
	CHECK_OK(ssh_options_finalize(&o, "h", &err));
	CHECK(o.identity_files.n == 2);
	ssh_options_free(&o);
	free(cfg);
}

static void test_proxy_first_wins(void)
{
	struct ssh_options o;
	char *err = NULL;
	opts_new(&o);
	CHECK_OK(ssh_options_apply(&o, "ProxyCommand=ssh -W %h:%p \"gw host\"", &err));
	CHECK_OK(ssh_options_apply(&o, "ProxyJump jump1", &err));
	CHECK_STR(o.proxy_command, "ssh -W %h:%p \"gw host\"");
	CHECK(o.proxy_jump == NULL);
	ssh_options_free(&o);

	opts_new(&o);
	CHECK_OK(ssh_options_apply(&o, "ProxyJump none", &err));
	CHECK_OK(ssh_options_apply(&o, "ProxyCommand nc %h %p", &err));
	CHECK(o.proxy_command == NULL);
	CHECK_OK(ssh_options_finalize(&o, "h", &err));
	CHECK(o.proxy_jump == NULL && o.proxy_command == NULL);
	ssh_options_free(&o);
}

static void test_pattern_list(void)
{
	CHECK(ssh_match_pattern_list("a.example.com", "*.example.com", false) == 1);
	CHECK(ssh_match_pattern_list("a.example.com", "*.example.com,!a.*", false) == -1);
	CHECK(ssh_match_pattern_list("b.example.com", "!a.*,*.example.com", false) == 1);
	CHECK(ssh_match_pattern_list("A.Example.COM", "*.example.com", true) == 1);
	CHECK(ssh_match_pattern_list("A.Example.COM", "*.example.com", false) == 0);
	CHECK(ssh_match_pattern_list("x", "?", false) == 1);
	CHECK(ssh_match_pattern_list("xy", "?", false) == 0);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ferry-test-sshconfig.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	RUN_TEST(test_first_value_wins_cmdline_over_file);
	RUN_TEST(test_keyword_forms_and_quotes);
	RUN_TEST(test_host_blocks_patterns_negation);
	RUN_TEST(test_match_blocks);
	RUN_TEST(test_match_unsupported_and_errors);
	RUN_TEST(test_include_relative_glob_and_scope);
	RUN_TEST(test_missing_files);
	RUN_TEST(test_algorithm_lists);
	RUN_TEST(test_unknown_keyword_errors);
	RUN_TEST(test_value_errors);
	RUN_TEST(test_enum_values);
	RUN_TEST(test_ignored_keyword_warns_once);
	RUN_TEST(test_rekey_limit);
	RUN_TEST(test_token_expansion);
	RUN_TEST(test_defaults);
	RUN_TEST(test_accumulating_keywords);
	RUN_TEST(test_proxy_first_wins);
	RUN_TEST(test_pattern_list);
	char *cmd = str_printf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	free(cmd);
	return check_report();
}
