/* Unit tests for ferryd's configuration (transfer/serverconfig.c) and the shared helpers in
 * transfer/cfgutil.c: sshd_config(5) defaults, first value wins, accumulating keywords, -p/-h,
 * errors in sshd's words, Match blocks per connection, Include, AllowUsers and friends, and a
 * cross-check of values against OpenSSH's own `sshd -T` when it is installed. */
#include "transfer/serverconfig.h"
#include "common/text.h"
#include "crypto/cipher.h"
#include "crypto/kex.h"
#include "crypto/key.h"
#include "check.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

/* Writes a file under tmpdir, creating the directories in name as needed. Caller frees. */
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
	return path;
}

/* Reads text as a config file; returns the code and leaves the message in *err. */
static int read_text(struct server_options *o, const char *text, char **err)
{
	char *path = write_file("t.conf", text);
	int r = server_options_read_file(o, path, SERVER_CONFIG_MUST_EXIST, err);
	free(path);
	return r;
}

/* The error a config text gives, with the temporary path replaced by "F" (static buffer). */
static const char *error_of(const char *text)
{
	static char out[512];
	struct server_options o;
	char *err = NULL;
	server_options_init(&o);
	int r = read_text(&o, text, &err);
	out[0] = '\0';
	if (r == FERRY_ECONFIG && err != NULL) {
		char *path = str_printf("%s/t.conf", tmpdir);
		const char *p = strstr(err, path);
		if (p != NULL)
			snprintf(out, sizeof(out), "F%s", p + strlen(path));
		else
			snprintf(out, sizeof(out), "%s", err);
		free(path);
	} else if (r == 0) {
		snprintf(out, sizeof(out), "OK");
	} else {
		snprintf(out, sizeof(out), "rc %d", r);
	}
	free(err);
	server_options_free(&o);
	return out;
}

static const char *apply_error(const char *line)
{
	static char out[512];
	struct server_options o;
	char *err = NULL;
	server_options_init(&o);
	int r = server_options_apply(&o, line, &err);
	snprintf(out, sizeof(out), "%s", r == 0 ? "OK" : err ? err : "(no message)");
	free(err);
	server_options_free(&o);
	return out;
}

struct captured {
	int count;
	char last[256];
};

static void capture_warning(void *arg, enum flog_level level, const char *msg)
{
	struct captured *c = arg;
	(void)level;
	c->count++;
	snprintf(c->last, sizeof(c->last), "%s", msg);
}

static bool listen_has(const struct server_options *o, const char *host, int port)
{
	for (size_t k = 0; k < o->n_listen; k++)
		if (o->listen[k].port == port && strcmp(o->listen[k].host, host) == 0)
			return true;
	return false;
}

static void test_defaults_as_sshd(void)
{
	struct server_options o;
	char *err = NULL;
	server_options_init(&o);
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.n_ports == 1 && o.ports[0] == 22);
	CHECK(o.n_listen == 2 && listen_has(&o, "0.0.0.0", 22) && listen_has(&o, "::", 22));
	CHECK(o.host_keys.n == 0);
	CHECK(o.authorized_keys_files.n == 2);
	if (o.authorized_keys_files.n == 2) {
		CHECK_STR(o.authorized_keys_files.v[0], ".ssh/authorized_keys");
		CHECK_STR(o.authorized_keys_files.v[1], ".ssh/authorized_keys2");
	}
	CHECK(o.pubkey_authentication == 1);
	CHECK(o.password_authentication == 1);
	CHECK(o.permit_empty_passwords == 0);
	CHECK(o.permit_root_login == PERMIT_ROOT_PROHIBIT_PASSWORD);
	CHECK(o.max_auth_tries == 6);
	CHECK(o.login_grace_time == 120);
	CHECK(o.max_startups_begin == 10 && o.max_startups_rate == 30 && o.max_startups_full == 100);
	CHECK(o.max_sessions == 10);
	CHECK(o.client_alive_interval == 0);
	CHECK(o.client_alive_count_max == 3);
	CHECK(o.log_level == FLOG_INFO);
	CHECK(o.rekey_limit_bytes == 0 && o.rekey_limit_seconds == 0);
	CHECK(o.n_subsystems == 0);
	CHECK(o.strict_modes == 1);
	CHECK(o.accept_env.n == 0);
	CHECK(o.address_family == SERVER_AF_ANY);
	CHECK_STR(o.ciphers, cipher_default_names());
	CHECK_STR(o.macs, mac_default_names());
	CHECK_STR(o.kex_algorithms, kex_default_names());
	CHECK_STR(o.host_key_algorithms, key_sigalg_default_names());
	CHECK_STR(o.pubkey_accepted_algorithms, key_sigalg_default_names());
	if (geteuid() == 0)
		CHECK_STR(o.pid_file, SERVER_PID_FILE_ROOT);
	else
		CHECK(o.pid_file == NULL);
	CHECK(err == NULL);
	server_options_free(&o);
}

static void test_first_value_wins_cmdline_over_file(void)
{
	struct server_options o;
	char *err = NULL;
	server_options_init(&o);
	CHECK_OK(server_options_apply(&o, "MaxAuthTries=3", &err));
	CHECK_OK(server_options_apply(&o, "maxauthtries 4", &err));     /* later: ignored */
	CHECK_OK(read_text(&o,
			   "# comment\n"
			   "\n"
			   "  MaxAuthTries 5\n"
			   "LoginGraceTime 10\n"
			   "LoginGraceTime 20\n"
			   "PermitRootLogin no\n"
			   "permitrootlogin yes\n"
			   "PasswordAuthentication = no\n"
			   "LogLevel DEBUG2\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.max_auth_tries == 3);
	CHECK(o.login_grace_time == 10);
	CHECK(o.permit_root_login == PERMIT_ROOT_NO);
	CHECK(o.password_authentication == 0);
	CHECK(o.log_level == FLOG_DEBUG2);
	CHECK(err == NULL);
	server_options_free(&o);
}

static void test_accumulating_keywords_and_listen(void)
{
	struct server_options o;
	char *err = NULL;
	server_options_init(&o);
	CHECK_OK(server_options_apply(&o, "Port 2222", &err));
	CHECK_OK(read_text(&o,
			   "Port 2200\n"
			   "Port 2222\n"                        /* a duplicate is kept once */
			   "ListenAddress 127.0.0.1\n"
			   "ListenAddress [::1]:2300\n"
			   "ListenAddress 10.0.0.1:2400\n"
			   "ListenAddress fe80::1\n"
			   "HostKey /k/one\n"
			   "HostKey /k/two\n"
			   "AcceptEnv LANG LC_*\n"
			   "AcceptEnv TZ\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.n_ports == 2 && o.ports[0] == 2222 && o.ports[1] == 2200);
	CHECK(o.n_listen == 6);
	CHECK(listen_has(&o, "127.0.0.1", 2222) && listen_has(&o, "127.0.0.1", 2200));
	CHECK(listen_has(&o, "::1", 2300));
	CHECK(listen_has(&o, "10.0.0.1", 2400));
	CHECK(listen_has(&o, "fe80::1", 2222) && listen_has(&o, "fe80::1", 2200));
	CHECK(o.host_keys.n == 2);
	if (o.host_keys.n == 2) {
		CHECK_STR(o.host_keys.v[0], "/k/one");
		CHECK_STR(o.host_keys.v[1], "/k/two");
	}
	CHECK(o.accept_env.n == 3);
	if (o.accept_env.n == 3) {
		CHECK_STR(o.accept_env.v[0], "LANG");
		CHECK_STR(o.accept_env.v[1], "LC_*");
		CHECK_STR(o.accept_env.v[2], "TZ");
	}
	server_options_free(&o);

	/* AddressFamily picks the default listen addresses. */
	server_options_init(&o);
	CHECK_OK(read_text(&o, "AddressFamily inet\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.n_listen == 1 && listen_has(&o, "0.0.0.0", 22));
	server_options_free(&o);
	server_options_init(&o);
	CHECK_OK(read_text(&o, "AddressFamily inet6\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.n_listen == 1 && listen_has(&o, "::", 22));
	server_options_free(&o);
}

static void test_cmdline_port_and_hostkey_replace_config(void)
{
	struct server_options o;
	char *err = NULL;
	server_options_init(&o);
	CHECK_OK(server_options_apply(&o, "Port 1111", &err));
	CHECK_OK(server_options_add_port(&o, "2222", &err));
	CHECK_OK(server_options_add_port(&o, "3333", &err));
	CHECK_OK(server_options_add_host_key(&o, "/etc/x/key", &err));
	CHECK_OK(server_options_add_host_key(&o, "rel/key", &err));
	CHECK_OK(server_options_apply(&o, "HostKey /from/option", &err));
	CHECK_OK(read_text(&o, "Port 4444\nHostKey /from/file\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.n_ports == 2 && o.ports[0] == 2222 && o.ports[1] == 3333);
	CHECK(o.host_keys.n == 2);
	if (o.host_keys.n == 2) {
		CHECK_STR(o.host_keys.v[0], "/etc/x/key");
		char *cwd = getcwd(NULL, 0);
		char *want = str_printf("%s/rel/key", strcmp(cwd, "/") ? cwd : "");
		CHECK_STR(o.host_keys.v[1], want);
		free(want);
		free(cwd);
	}
	CHECK_RC(server_options_add_port(&o, "0", &err), FERRY_ECONFIG);
	CHECK_STR(err, "command-line line 0: Badly formatted port number.");
	free(err);
	server_options_free(&o);
}

static void test_error_messages_in_sshd_words(void)
{
	CHECK_STR(error_of("Foo bar\n"), "F: line 1: Bad configuration option: Foo");
	CHECK_STR(error_of("\nPort\n"), "F line 2: no argument after keyword \"Port\"");
	CHECK_STR(error_of("Port abc\n"), "F line 1: Badly formatted port number.");
	CHECK_STR(error_of("Port 0\n"), "F line 1: Badly formatted port number.");
	CHECK_STR(error_of("Port 70000\n"), "F line 1: Badly formatted port number.");
	CHECK_STR(error_of("Port 22 23\n"), "F line 1: keyword Port extra arguments at end of line");
	CHECK_STR(error_of("Port \"\"\n"), "F line 1: Port missing argument.");
	CHECK_STR(error_of("LoginGraceTime 2x\n"), "F line 1: invalid time value.");
	CHECK_STR(error_of("LoginGraceTime -1\n"), "F line 1: invalid time value.");
	CHECK_STR(error_of("ClientAliveInterval 1x\n"), "F line 1: invalid time value.");
	CHECK_STR(error_of("MaxStartups 10:30\n"), "F line 1: Invalid MaxStartups spec.");
	CHECK_STR(error_of("MaxStartups 50:30:10\n"), "F line 1: Invalid MaxStartups spec.");
	CHECK_STR(error_of("MaxStartups 10:101:100\n"), "F line 1: Invalid MaxStartups spec.");
	CHECK_STR(error_of("MaxStartups 10:0:100\n"), "F line 1: Invalid MaxStartups spec.");
	CHECK_STR(error_of("MaxStartups 0\n"), "F line 1: Invalid MaxStartups spec.");
	CHECK_STR(error_of("MaxStartups a\n"), "F line 1: Invalid MaxStartups spec.");
	CHECK_STR(error_of("PermitRootLogin maybe\n"), "F line 1: unsupported option \"maybe\".");
	CHECK_STR(error_of("StrictModes true\n"), "F line 1: unsupported option \"true\".");
	CHECK_STR(error_of("MaxAuthTries x\n"), "F line 1: MaxAuthTries integer value invalid.");
	CHECK_STR(error_of("MaxAuthTries -1\n"), "F line 1: MaxAuthTries integer value too small.");
	CHECK_STR(error_of("MaxSessions 99999999999\n"),
		  "F line 1: MaxSessions integer value too large.");
	CHECK_STR(error_of("ClientAliveCountMax -1\n"),
		  "F line 1: ClientAliveCountMax integer value too small.");
	CHECK_STR(error_of("ListenAddress 1.2.3.4:99999\n"), "F line 1: bad port number");
	CHECK_STR(error_of("ListenAddress [::1\n"), "F line 1: bad address:port usage");
	CHECK_STR(error_of("ListenAddress 1.2.3.4:22 foo\n"), "F line 1: bad ListenAddress syntax");
	CHECK_STR(error_of("ListenAddress 1.2.3.4 rdomain x\n"),
		  "F line 1: ListenAddress rdomain is not supported by ferryd");
	CHECK_STR(error_of("Subsystem sftp\n"), "F line 1: Missing subsystem command.");
	CHECK_STR(error_of("Subsystem sftp a\nSubsystem sftp b\n"),
		  "F line 2: Subsystem 'sftp' already defined.");
	CHECK_STR(error_of("Ciphers foo\n"), "F line 1: Bad SSH2 cipher spec 'foo'.");
	CHECK_STR(error_of("MACs foo\n"), "F line 1: Bad SSH2 mac spec 'foo'.");
	CHECK_STR(error_of("KexAlgorithms foo\n"), "F line 1: Bad SSH2 KexAlgorithms 'foo'.");
	CHECK_STR(error_of("HostKeyAlgorithms foo\n"), "F line 1: Bad key types 'foo'.");
	CHECK_STR(error_of("Ciphers aes128-ctr,,aes256-ctr\n"),
		  "F line 1: Bad SSH2 cipher spec 'aes128-ctr,,aes256-ctr'.");
	CHECK_STR(error_of("RekeyLimit x\n"), "F line 1: Bad RekeyLimit number 'x': Invalid argument");
	CHECK_STR(error_of("RekeyLimit 1G x\n"), "F line 1: invalid time value.");
	CHECK_STR(error_of("RekeyLimit 1\n"), "F line 1: RekeyLimit too small");
	CHECK_STR(error_of("LogLevel foo\n"), "F line 1: unsupported log level 'foo'");
	CHECK_STR(error_of("AcceptEnv A=b\n"), "F line 1: Invalid environment name.");
	CHECK_STR(error_of("Banner /x y\n"), "OK");  /* ignored keywords take any arguments */
	CHECK_STR(error_of("PidFile\n"), "F line 1: no argument after keyword \"PidFile\"");
	CHECK_STR(error_of("AuthorizedKeysFile\n"),
		  "F line 1: no argument after keyword \"AuthorizedKeysFile\"");
	CHECK_STR(error_of("AuthorizedKeysFile .ssh/k %x\n"),
		  "F line 1: AuthorizedKeysFile \"%x\": unknown %-token (known: %% %h %u %U)");
	CHECK_STR(error_of("AllowUsers a@1.2.3.4/99\n"),
		  "F line 1: invalid AllowUsers pattern: \"a@1.2.3.4/99\"");
	CHECK_STR(error_of("Port \"22\n"), "F line 1: invalid quotes");
	CHECK_STR(error_of("Match Foo x\n"), "F line 1: Unsupported Match attribute Foo");
	CHECK_STR(error_of("Match User\n"), "F line 1: Missing Match criteria for User");
	CHECK_STR(error_of("Match All x\n"),
		  "F line 1: 'all' cannot be combined with other Match attributes");
	CHECK_STR(error_of("Match User x All\n"),
		  "F line 1: 'all' cannot be combined with other Match attributes");
	CHECK_STR(error_of("Match All User x\n"),
		  "F line 1: 'all' cannot be combined with other Match attributes");
	CHECK_STR(error_of("Match\n"), "F line 1: no argument after keyword \"Match\"");
	CHECK_STR(error_of("Match User x\nPort 22\n"),
		  "F line 2: Directive 'Port' is not allowed within a Match block");
	CHECK_STR(error_of("Match All\n  Subsystem a b\n"),
		  "F line 2: Directive 'Subsystem' is not allowed within a Match block");
	CHECK_STR(error_of("Match Address 1.2.3.4/99\n"),
		  "F line 1: Invalid Match address argument '1.2.3.4/99'");
	CHECK_STR(error_of("Match Address 10.0.0.1/8\n"),        /* host bits set */
		  "F line 1: Invalid Match address argument '10.0.0.1/8'");
	CHECK_STR(error_of("Match LocalPort x\n"), "F line 1: Invalid LocalPort 'x' on Match line");
	CHECK_STR(error_of("Match RDomain x\n"), "F line 1: Match RDomain is not supported by ferryd");
	/* An error inside a Match block that does not apply is still an error. */
	CHECK_STR(error_of("Match User nobody-at-all\n  MaxAuthTries x\n"),
		  "F line 2: MaxAuthTries integer value invalid.");

	CHECK_STR(apply_error("Foo=bar"), "command-line: line 0: Bad configuration option: Foo");
	CHECK_STR(apply_error("Port"), "command-line line 0: no argument after keyword \"Port\"");
	CHECK_STR(apply_error("Port=x"), "command-line line 0: Badly formatted port number.");
	CHECK_STR(apply_error("Match User x"),
		  "Match directive not supported as a command-line option");
	CHECK_STR(apply_error("Include /x"),
		  "Include directive not supported as a command-line option");

	/* A missing file: fine by default, an error with SERVER_CONFIG_MUST_EXIST. */
	struct server_options o;
	char *err = NULL;
	char *missing = str_printf("%s/no/such/file", tmpdir);
	server_options_init(&o);
	CHECK_OK(server_options_read_file(&o, missing, 0, &err));
	CHECK_RC(server_options_read_file(&o, missing, SERVER_CONFIG_MUST_EXIST, &err),
		 FERRY_ECONFIG);
	char *want = str_printf("%s: No such file or directory", missing);
	CHECK_STR(err, want);
	free(want);
	free(err);
	free(missing);
	server_options_free(&o);
}

static void test_times_and_max_startups(void)
{
	struct server_options o;
	char *err = NULL;
	server_options_init(&o);
	CHECK_OK(read_text(&o, "LoginGraceTime 2m\nClientAliveInterval 1h30m\nMaxStartups 5\n"
			   "ClientAliveCountMax 0\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.login_grace_time == 120);
	CHECK(o.client_alive_interval == 5400);
	CHECK(o.client_alive_count_max == 0);
	CHECK(o.max_startups_begin == 5 && o.max_startups_rate == 30 && o.max_startups_full == 5);
	server_options_free(&o);

	server_options_init(&o);
	CHECK_OK(read_text(&o, "LoginGraceTime 30\nClientAliveInterval 45s\n"
			   "MaxStartups 3:50:20\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.login_grace_time == 30);
	CHECK(o.client_alive_interval == 45);
	CHECK(o.max_startups_begin == 3 && o.max_startups_rate == 50 && o.max_startups_full == 20);
	server_options_free(&o);

	server_options_init(&o);
	CHECK_OK(read_text(&o, "LoginGraceTime 0\n", &err));   /* 0: no limit */
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.login_grace_time == 0);
	server_options_free(&o);
}

static void test_rekey_limit(void)
{
	struct server_options o;
	char *err = NULL;
	server_options_init(&o);
	CHECK_OK(read_text(&o, "RekeyLimit 1G\nRekeyLimit 2G 1h\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	/* Size and time are each first-value-wins on their own, as in sshd. */
	CHECK(o.rekey_limit_bytes == (int64_t)1 << 30);
	CHECK(o.rekey_limit_seconds == 3600);
	server_options_free(&o);

	server_options_init(&o);
	CHECK_OK(read_text(&o, "RekeyLimit default none\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.rekey_limit_bytes == 0 && o.rekey_limit_seconds == 0);
	server_options_free(&o);

	server_options_init(&o);
	CHECK_OK(read_text(&o, "RekeyLimit 512M 30m\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.rekey_limit_bytes == (int64_t)512 << 20 && o.rekey_limit_seconds == 1800);
	server_options_free(&o);
}

static void test_algorithm_lists(void)
{
	struct server_options o;
	char *err = NULL;
	server_options_init(&o);
	CHECK_OK(read_text(&o,
			   "Ciphers aes256-gcm@openssh.com,aes128-ctr\n"
			   "MACs -hmac-sha1*\n"
			   "KexAlgorithms ^ecdh-sha2-nistp256\n"
			   "HostKeyAlgorithms +ssh-rsa\n"
			   "PubkeyAcceptedAlgorithms ssh-ed25519\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK_STR(o.ciphers, "aes256-gcm@openssh.com,aes128-ctr");
	CHECK(strstr(o.macs, "hmac-sha1") == NULL && o.macs[0] != '\0');
	CHECK(strncmp(o.kex_algorithms, "ecdh-sha2-nistp256,", 19) == 0);
	char *want = str_printf("%s,ssh-rsa", key_sigalg_default_names());
	CHECK_STR(o.host_key_algorithms, want);
	free(want);
	CHECK_STR(o.pubkey_accepted_algorithms, "ssh-ed25519");
	server_options_free(&o);
	/* Removing every name leaves nothing to offer: an error. */
	CHECK_STR(error_of("Ciphers -*\n"), "F line 1: Bad SSH2 cipher spec '-*'.");
}

static void test_subsystems_and_misc_values(void)
{
	struct server_options o;
	char *err = NULL;
	server_options_init(&o);
	CHECK_OK(server_options_apply(&o, "Subsystem=sftp /usr/lib/sftp-server -l INFO", &err));
	CHECK_OK(read_text(&o,
			   "Subsystem sftp internal-sftp\n"     /* -o's wins, quietly */
			   "Subsystem backup internal\n"
			   "PidFile none\n"
			   "StrictModes no\n"
			   "PermitEmptyPasswords yes\n"
			   "PubkeyAuthentication no\n"
			   "PermitRootLogin without-password\n"
			   "AuthorizedKeysFile %h/.ssh/keys /etc/keys/%u\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.n_subsystems == 2);
	const struct server_subsystem *s = server_options_subsystem(&o, "sftp");
	CHECK(s != NULL && strcmp(s->command, "/usr/lib/sftp-server -l INFO") == 0);
	s = server_options_subsystem(&o, "backup");
	CHECK(s != NULL && strcmp(s->command, "internal") == 0);
	CHECK(server_options_subsystem(&o, "nope") == NULL);
	CHECK(o.pid_file == NULL);
	CHECK(o.strict_modes == 0);
	CHECK(o.permit_empty_passwords == 1);
	CHECK(o.pubkey_authentication == 0);
	CHECK(o.permit_root_login == PERMIT_ROOT_PROHIBIT_PASSWORD);
	CHECK(o.authorized_keys_files.n == 2);
	if (o.authorized_keys_files.n == 2) {
		CHECK_STR(o.authorized_keys_files.v[0], "%h/.ssh/keys");
		CHECK_STR(o.authorized_keys_files.v[1], "/etc/keys/%u");
	}
	server_options_free(&o);

	server_options_init(&o);
	CHECK_OK(read_text(&o, "AuthorizedKeysFile none\nPidFile /run/x.pid\n"
			   "PermitRootLogin forced-commands-only\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.authorized_keys_files.n == 0);
	CHECK_STR(o.pid_file, "/run/x.pid");
	CHECK(o.permit_root_login == PERMIT_ROOT_FORCED_COMMANDS_ONLY);
	server_options_free(&o);
}

static void test_unsupported_keywords_warn_once_and_restrictions_refused(void)
{
	struct server_options o;
	struct captured cap = { 0, "" };
	char *err = NULL;
	server_options_init(&o);
	server_options_set_warn(&o, capture_warning, &cap);
	CHECK_OK(read_text(&o, "UsePAM yes\nX11Forwarding yes\nusepam no\n", &err));
	CHECK(cap.count == 2);
	CHECK(strstr(cap.last, "ignoring unsupported option 'X11Forwarding'") != NULL);
	CHECK_OK(server_options_apply(&o, "UsePAM=yes", &err));     /* already warned */
	CHECK(cap.count == 2);
	server_options_free(&o);

	/* Restrictions ferryd cannot enforce are refused unless they restrict nothing. */
	CHECK_STR(error_of("ForceCommand internal-sftp\n"),
		  "F line 1: ForceCommand is not supported by ferryd, which would not enforce it "
		  "(only \"none\" is accepted)");
	CHECK_STR(error_of("ForceCommand none\n"), "OK");
	CHECK_STR(error_of("Match User x\n  ChrootDirectory /srv\n"),
		  "F line 2: ChrootDirectory is not supported by ferryd, which would not enforce it "
		  "(only \"none\" is accepted)");
	CHECK_STR(error_of("AuthenticationMethods any\nRevokedKeys none\nRefuseConnection no\n"),
		  "OK");
	CHECK_STR(error_of("AuthenticationMethods publickey,password\n"),
		  "F line 1: AuthenticationMethods is not supported by ferryd, which would not "
		  "enforce it (only \"any\" is accepted)");
}

/* Debian's stock sshd_config reads without an error. */
static void test_stock_debian_config(void)
{
	struct server_options o;
	struct captured cap = { 0, "" };
	char *err = NULL;
	server_options_init(&o);
	server_options_set_warn(&o, capture_warning, &cap);
	CHECK_OK(read_text(&o,
			   "Include /nonexistent-ferry-test/sshd_config.d/*.conf\n"
			   "#Port 22\n"
			   "#PermitRootLogin prohibit-password\n"
			   "KbdInteractiveAuthentication no\n"
			   "UsePAM yes\n"
			   "X11Forwarding yes\n"
			   "PrintMotd no\n"
			   "AcceptEnv LANG LC_*\n"
			   "Subsystem\tsftp\t/usr/lib/openssh/sftp-server\n"
			   "#Match User anoncvs\n"
			   "#\tX11Forwarding no\n", &err));
	CHECK(err == NULL);
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.n_subsystems == 1 && strcmp(o.subsystems[0].command,
					    "/usr/lib/openssh/sftp-server") == 0);
	server_options_free(&o);
}

static void test_match_blocks_per_connection(void)
{
	struct server_options o, u;
	char *err = NULL;
	server_options_init(&o);
	CHECK_OK(server_options_apply(&o, "MaxAuthTries 9", &err));
	CHECK_OK(read_text(&o,
			   "PasswordAuthentication no\n"
			   "AcceptEnv A B\n"
			   "MaxSessions 4\n"
			   "Match User bob\n"
			   "  PasswordAuthentication yes\n"
			   "  MaxAuthTries 2\n"
			   "  AcceptEnv Z\n"
			   "Match User *\n"
			   "  MaxAuthTries 3\n"
			   "  PasswordAuthentication no\n"
			   "  ClientAliveInterval 1m\n"
			   "Match Address 10.0.0.0/8,!10.9.0.0/16\n"
			   "  MaxSessions 1\n"
			   "  AuthorizedKeysFile none\n"
			   "Match Group wheel LocalPort 2222\n"
			   "  PermitRootLogin yes\n"
			   "Match Host *.example.org\n"
			   "  LogLevel VERBOSE\n"
			   "Match LocalAddress 192.0.2.1\n"
			   "  PubkeyAcceptedAlgorithms ssh-ed25519\n"
			   "  RekeyLimit 1M\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	/* The base holds the global values only. */
	CHECK(o.password_authentication == 0 && o.max_auth_tries == 9 && o.max_sessions == 4);

	struct server_conn_info bob = { .user = "bob", .address = "192.0.2.7" };
	CHECK_OK(server_options_for_user(&o, &bob, &u, &err));
	CHECK(u.password_authentication == 1);          /* the first block that sets it wins */
	CHECK(u.max_auth_tries == 2);                   /* a Match block beats -o */
	CHECK(u.client_alive_interval == 60);
	CHECK(u.accept_env.n == 1 && strcmp(u.accept_env.v[0], "Z") == 0);  /* replaced */
	CHECK(u.max_sessions == 4);
	CHECK(u.authorized_keys_files.n == 2);
	CHECK(u.log_level == FLOG_INFO);
	CHECK(u.n_matches == 0);
	server_options_free(&u);

	struct server_conn_info alice = { .user = "alice", .address = "10.1.2.3",
					  .host = "box.EXAMPLE.org", .local_port = 2222,
					  .local_address = "192.0.2.1",
					  .groups = (const char *const[]){ "users", "wheel", NULL } };
	CHECK_OK(server_options_for_user(&o, &alice, &u, &err));
	CHECK(u.password_authentication == 0);
	CHECK(u.max_auth_tries == 3);
	CHECK(u.accept_env.n == 2);
	CHECK(u.max_sessions == 1);
	CHECK(u.authorized_keys_files.n == 0);
	CHECK(u.permit_root_login == PERMIT_ROOT_YES);
	CHECK(u.log_level == FLOG_VERBOSE);             /* host names fold case */
	CHECK_STR(u.pubkey_accepted_algorithms, "ssh-ed25519");
	CHECK(u.rekey_limit_bytes == 1 << 20);
	server_options_free(&u);

	/* Negated CIDR wins; a group that does not match; no host name: the address. */
	struct server_conn_info carol = { .user = "carol", .address = "10.9.1.1", .local_port = 2222,
					  .groups = (const char *const[]){ "users", NULL } };
	CHECK_OK(server_options_for_user(&o, &carol, &u, &err));
	CHECK(u.max_sessions == 4);
	CHECK(u.permit_root_login == PERMIT_ROOT_PROHIBIT_PASSWORD);
	CHECK(u.log_level == FLOG_INFO);
	server_options_free(&u);
	CHECK(err == NULL);
	server_options_free(&o);

	/* Match All: applies to everyone, after the blocks before it. */
	server_options_init(&o);
	CHECK_OK(read_text(&o, "MaxSessions 4\nMatch User root\n  MaxSessions 2\nMatch All\n"
			   "  MaxSessions 3\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	struct server_conn_info root = { .user = "root", .address = "::1" };
	CHECK_OK(server_options_for_user(&o, &root, &u, &err));
	CHECK(u.max_sessions == 2);
	server_options_free(&u);
	struct server_conn_info dave = { .user = "dave", .address = "::1" };
	CHECK_OK(server_options_for_user(&o, &dave, &u, &err));
	CHECK(u.max_sessions == 3);
	server_options_free(&u);
	server_options_free(&o);
}

static void test_include_relative_glob_and_match_scope(void)
{
	struct server_options o, u;
	char *err = NULL;
	free(write_file("inc/conf.d/10-a.conf", "MaxSessions 7\nMatch User zed\n  MaxAuthTries 1\n"));
	free(write_file("inc/conf.d/20-b.conf", "MaxSessions 8\nLoginGraceTime 5\n"));
	free(write_file("inc/matched.conf", "ClientAliveCountMax 9\n"));
	char *main_path = write_file("inc/main.conf",
				     "Include conf.d/*.conf\n"
				     "Match User amy\n"
				     "  Include matched.conf\n"
				     "  MaxAuthTries 4\n"
				     "Match All\n"
				     "  MaxAuthTries 5\n");
	server_options_init(&o);
	CHECK_OK(server_options_read_file(&o, main_path, SERVER_CONFIG_MUST_EXIST, &err));
	CHECK_OK(server_options_finalize(&o, &err));
	CHECK(o.max_sessions == 7);                     /* files in glob order, first wins */
	CHECK(o.login_grace_time == 5);
	CHECK(o.client_alive_count_max == 3);           /* only inside Match User amy */
	struct server_conn_info amy = { .user = "amy", .address = "127.0.0.1" };
	CHECK_OK(server_options_for_user(&o, &amy, &u, &err));
	CHECK(u.client_alive_count_max == 9);
	CHECK(u.max_auth_tries == 4);
	server_options_free(&u);
	/* A Match in an included file ends with that file. */
	struct server_conn_info zed = { .user = "zed", .address = "127.0.0.1" };
	CHECK_OK(server_options_for_user(&o, &zed, &u, &err));
	CHECK(u.max_auth_tries == 1);
	CHECK(u.client_alive_count_max == 3);
	server_options_free(&u);
	struct server_conn_info bo = { .user = "bo", .address = "127.0.0.1" };
	CHECK_OK(server_options_for_user(&o, &bo, &u, &err));
	CHECK(u.max_auth_tries == 5);
	server_options_free(&u);
	server_options_free(&o);
	free(main_path);

	/* Include loops stop with an error. */
	char *loop = write_file("loop/a.conf", "Include a.conf\n");
	server_options_init(&o);
	CHECK_RC(server_options_read_file(&o, loop, 0, &err), FERRY_ECONFIG);
	CHECK(err != NULL && strstr(err, "Too many recursive configuration includes") != NULL);
	free(err);
	err = NULL;
	server_options_free(&o);
	free(loop);
}

static void test_allow_deny_users_and_groups(void)
{
	struct server_options o;
	char *err = NULL, *why = NULL;
	const char *const staff[] = { "staff", "users", NULL };
	const char *const guests[] = { "guests", NULL };
	server_options_init(&o);
	CHECK_OK(read_text(&o,
			   "DenyUsers mallory eve@192.0.2.0/24\n"
			   "AllowUsers alice bob@10.0.0.0/8 carol@*.example.org eve\n"
			   "DenyGroups guests\n"
			   "AllowGroups staff admin\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	struct server_conn_info ci = { .user = "alice", .address = "203.0.113.5", .groups = staff };
	CHECK_OK(server_user_allowed(&o, &ci, &why));
	ci.user = "mallory";
	CHECK_RC(server_user_allowed(&o, &ci, &why), FERRY_EPERM);
	CHECK_STR(why, "User mallory from 203.0.113.5 not allowed because listed in DenyUsers");
	ci.user = "bob";
	CHECK_RC(server_user_allowed(&o, &ci, &why), FERRY_EPERM);
	CHECK_STR(why, "User bob from 203.0.113.5 not allowed because not listed in AllowUsers");
	ci.address = "10.3.3.3";
	CHECK_OK(server_user_allowed(&o, &ci, &why));
	ci.user = "carol";
	ci.host = "WS1.example.org";
	CHECK_OK(server_user_allowed(&o, &ci, &why));
	ci.host = NULL;
	ci.user = "eve";
	ci.address = "192.0.2.9";
	CHECK_RC(server_user_allowed(&o, &ci, &why), FERRY_EPERM);
	ci.address = "198.51.100.1";
	CHECK_OK(server_user_allowed(&o, &ci, &why));
	ci.groups = guests;
	CHECK_RC(server_user_allowed(&o, &ci, &why), FERRY_EPERM);
	CHECK_STR(why, "User eve from 198.51.100.1 not allowed because a group is listed in "
		  "DenyGroups");
	const char *const none[] = { "users", NULL };
	ci.groups = none;
	CHECK_RC(server_user_allowed(&o, &ci, &why), FERRY_EPERM);
	CHECK_STR(why, "User eve from 198.51.100.1 not allowed because none of user's groups are "
		  "listed in AllowGroups");
	free(why);
	server_options_free(&o);

	/* No lists: everyone. Groups from the system database when not given. */
	server_options_init(&o);
	CHECK_OK(server_options_finalize(&o, &err));
	struct server_conn_info any = { .user = "whoever", .address = "::1" };
	CHECK_OK(server_user_allowed(&o, &any, NULL));
	server_options_free(&o);
	server_options_init(&o);
	CHECK_OK(read_text(&o, "AllowGroups root\n", &err));
	CHECK_OK(server_options_finalize(&o, &err));
	struct server_conn_info root = { .user = "root", .address = "::1" };
	CHECK_OK(server_user_allowed(&o, &root, NULL));
	struct server_conn_info ghost = { .user = "no-such-user-ferry", .address = "::1" };
	CHECK_RC(server_user_allowed(&o, &ghost, NULL), FERRY_EPERM);
	server_options_free(&o);
}

static void test_default_config_path(void)
{
	char *p = NULL;
	char *old_xdg = getenv("XDG_CONFIG_HOME") ? strdup(getenv("XDG_CONFIG_HOME")) : NULL;
	char *old_home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	CHECK_OK(server_config_default_path(true, &p));
	CHECK_STR(p, "/etc/ferry/ferryd_config");
	free(p);
	setenv("XDG_CONFIG_HOME", "/xdg/conf", 1);
	CHECK_OK(server_config_default_path(false, &p));
	CHECK_STR(p, "/xdg/conf/ferry/ferryd_config");
	free(p);
	setenv("XDG_CONFIG_HOME", "relative/ignored", 1);
	setenv("HOME", "/home/tester", 1);
	CHECK_OK(server_config_default_path(false, &p));
	CHECK_STR(p, "/home/tester/.config/ferry/ferryd_config");
	free(p);
	if (old_xdg)
		setenv("XDG_CONFIG_HOME", old_xdg, 1);
	else
		unsetenv("XDG_CONFIG_HOME");
	if (old_home)
		setenv("HOME", old_home, 1);
	free(old_xdg);
	free(old_home);
}

static void test_address_patterns(void)
{
	int m = 99;
	CHECK_OK(cfg_match_address_list("192.0.2.7", "192.0.2.0/24", &m));
	CHECK(m == 1);
	CHECK_OK(cfg_match_address_list("192.0.3.7", "192.0.2.0/24", &m));
	CHECK(m == 0);
	CHECK_OK(cfg_match_address_list("192.0.2.7", "192.0.2.*,!192.0.2.7", &m));
	CHECK(m == -1);
	CHECK_OK(cfg_match_address_list("2001:db8::1", "2001:db8::/32", &m));
	CHECK(m == 1);
	CHECK_OK(cfg_match_address_list("2001:db9::1", "2001:db8::/32", &m));
	CHECK(m == 0);
	CHECK_OK(cfg_match_address_list("10.0.0.1", "0.0.0.0/0", &m));
	CHECK(m == 1);
	CHECK_OK(cfg_match_address_list("::1", "0.0.0.0/0", &m));  /* families differ */
	CHECK(m == 0);
	CHECK_OK(cfg_match_address_list("10.1.2.3", "10.1.2.3/32", &m));
	CHECK(m == 1);
	m = 99;
	CHECK_RC(cfg_match_address_list("10.1.2.3", "10.1.2.3/33", &m), FERRY_EINVAL);
	CHECK_RC(cfg_match_address_list("10.1.2.3", "10.1.2.0/x", &m), FERRY_EINVAL);
	CHECK_RC(cfg_match_address_list("10.1.2.3", "bad/8", &m), FERRY_EINVAL);
	CHECK(m == 99);
	CHECK(cfg_address_list_valid("10.0.0.0/8,!10.1.0.0/16,fe80::/10,*.*"));
	CHECK(!cfg_address_list_valid("10.0.0.1/8"));
	CHECK(!cfg_address_list_valid(""));
	CHECK_OK(cfg_match_host_and_address("gw.EXAMPLE.com", "192.0.2.1", "*.example.com", &m));
	CHECK(m == 1);
	CHECK_OK(cfg_match_host_and_address(NULL, "192.0.2.1", "192.0.2.1", &m));
	CHECK(m == 1);
	CHECK_OK(cfg_match_host_and_address("gw.example.com", "192.0.2.1",
					    "*.example.com,!192.0.2.0/28", &m));
	CHECK(m == -1);
}

/* Cross-check: the values ferryd reads from a file equal what OpenSSH's sshd reports with -T
 * for the same keywords (skipped when sshd cannot run here). */
static void test_cross_check_with_sshd(void)
{
	const char *sshd = access("/usr/sbin/sshd", X_OK) == 0 ? "/usr/sbin/sshd" : NULL;
	if (sshd == NULL || geteuid() != 0) {
		printf("skip test_cross_check_with_sshd (needs /usr/sbin/sshd and root)\n");
		return;
	}
	char *key = str_printf("%s/xk", tmpdir);
	char *cmd = str_printf("ssh-keygen -q -t ed25519 -N '' -f %s >/dev/null 2>&1", key);
	if (system(cmd) != 0) {
		printf("skip test_cross_check_with_sshd (ssh-keygen failed)\n");
		free(cmd);
		free(key);
		return;
	}
	free(cmd);
	char *text = str_printf("HostKey %s\n"
				"LoginGraceTime 1h2m3s\nMaxStartups 7\nMaxAuthTries 4\n"
				"ClientAliveInterval 90\nClientAliveCountMax 2\nMaxSessions 5\n"
				"PermitRootLogin without-password\nLoginGraceTime 9\n"
				"Match User bob\n  MaxAuthTries 2\n", key);
	char *conf = write_file("x.conf", text);
	free(text);
	cmd = str_printf("%s -T -f %s -C user=bob,host=h,addr=192.0.2.1 2>/dev/null", sshd, conf);
	FILE *p = popen(cmd, "r");
	free(cmd);
	struct server_options o, u;
	char *err = NULL;
	server_options_init(&o);
	CHECK_OK(server_options_read_file(&o, conf, SERVER_CONFIG_MUST_EXIST, &err));
	CHECK_OK(server_options_finalize(&o, &err));
	struct server_conn_info bob = { .user = "bob", .host = "h", .address = "192.0.2.1" };
	CHECK_OK(server_options_for_user(&o, &bob, &u, &err));
	char line[4096];
	int seen = 0;
	while (p && fgets(line, sizeof(line), p)) {
		char k[64];
		char v[1024];
		if (sscanf(line, "%63s %1023[^\n]", k, v) != 2)
			continue;
		char mine[1100] = "";
		if (strcmp(k, "logingracetime") == 0)
			snprintf(mine, sizeof(mine), "%d", u.login_grace_time);
		else if (strcmp(k, "maxstartups") == 0)
			snprintf(mine, sizeof(mine), "%d:%d:%d", u.max_startups_begin,
				 u.max_startups_rate, u.max_startups_full);
		else if (strcmp(k, "maxauthtries") == 0)
			snprintf(mine, sizeof(mine), "%d", u.max_auth_tries);
		else if (strcmp(k, "clientaliveinterval") == 0)
			snprintf(mine, sizeof(mine), "%d", u.client_alive_interval);
		else if (strcmp(k, "clientalivecountmax") == 0)
			snprintf(mine, sizeof(mine), "%d", u.client_alive_count_max);
		else if (strcmp(k, "maxsessions") == 0)
			snprintf(mine, sizeof(mine), "%d", u.max_sessions);
		else if (strcmp(k, "permitrootlogin") == 0)
			snprintf(mine, sizeof(mine), "%s",
				 u.permit_root_login == PERMIT_ROOT_PROHIBIT_PASSWORD ?
				 "without-password" : "other");
		else if (strcmp(k, "authorizedkeysfile") == 0)
			snprintf(mine, sizeof(mine), "%s %s", u.authorized_keys_files.v[0],
				 u.authorized_keys_files.v[1]);
		else if (strcmp(k, "passwordauthentication") == 0)
			snprintf(mine, sizeof(mine), "%s", u.password_authentication ? "yes" : "no");
		else if (strcmp(k, "pubkeyauthentication") == 0)
			snprintf(mine, sizeof(mine), "%s", u.pubkey_authentication ? "yes" : "no");
		else if (strcmp(k, "strictmodes") == 0)
			snprintf(mine, sizeof(mine), "%s", u.strict_modes ? "yes" : "no");
		else if (strcmp(k, "permitemptypasswords") == 0)
			snprintf(mine, sizeof(mine), "%s", u.permit_empty_passwords ? "yes" : "no");
		else
			continue;
		seen++;
		if (strcmp(mine, v) != 0) {
			fprintf(stderr, "sshd -T says %s %s, ferryd has %s\n", k, v, mine);
			CHECK(strcmp(mine, v) == 0);
		}
	}
	if (p)
		pclose(p);
	CHECK(seen == 12);
	server_options_free(&u);
	server_options_free(&o);
	free(conf);
	free(key);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ferry-test-serverconfig-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	RUN_TEST(test_defaults_as_sshd);
	RUN_TEST(test_first_value_wins_cmdline_over_file);
	RUN_TEST(test_accumulating_keywords_and_listen);
	RUN_TEST(test_cmdline_port_and_hostkey_replace_config);
	RUN_TEST(test_error_messages_in_sshd_words);
	RUN_TEST(test_times_and_max_startups);
	RUN_TEST(test_rekey_limit);
	RUN_TEST(test_algorithm_lists);
	RUN_TEST(test_subsystems_and_misc_values);
	RUN_TEST(test_unsupported_keywords_warn_once_and_restrictions_refused);
	RUN_TEST(test_stock_debian_config);
	RUN_TEST(test_match_blocks_per_connection);
	RUN_TEST(test_include_relative_glob_and_match_scope);
	RUN_TEST(test_allow_deny_users_and_groups);
	RUN_TEST(test_default_config_path);
	RUN_TEST(test_address_patterns);
	RUN_TEST(test_cross_check_with_sshd);
	char *cmd = str_printf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	free(cmd);
	return check_report();
}
