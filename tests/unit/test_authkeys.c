/* Unit tests for ferryd's authorized_keys policy (transfer/authkeys.c): the sshd(8) line format
 * and options, from= and expiry-time, certificate lines, AuthorizedKeysFile tokens, the
 * StrictModes check, and reading files with the user's file-system identity. */
#include "transfer/authkeys.h"
#include "common/text.h"
#include "crypto/key.h"
#include "check.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];
static struct ferry_key *key_a, *key_b, *key_c;
static char *pub_a, *pub_b, *pub_c;     /* "type base64" lines */

/* Checks text for key; returns whether it authorized and leaves the result in *res. */
static bool check_text(const char *text, const struct ferry_key *key, const char *addr,
		       const char *host, time_t now, struct authkeys_result *res)
{
	struct authkeys_query q = { .key = key, .address = addr, .host = host, .now = now };
	memset(res, 0, sizeof(*res));
	int r = authkeys_check_buffer(text, strlen(text), "test", &q, res);
	CHECK_OK(r);
	return r == 0 && res->authorized;
}

static bool authorized(const char *text, const struct ferry_key *key)
{
	struct authkeys_result res;
	bool ok = check_text(text, key, "192.0.2.7", NULL, 0, &res);
	authkeys_result_free(&res);
	return ok;
}

static void test_plain_lines_comments_and_blanks(void)
{
	char *text = str_printf("# a comment\n"
				"\n"
				"   \t\n"
				"%s alice@laptop\n"
				"  %s   indented with a comment\r\n",
				pub_a, pub_b);
	struct authkeys_result res;
	CHECK(check_text(text, key_a, "192.0.2.7", NULL, 0, &res));
	CHECK(res.line == 4);
	CHECK_STR(res.file, "test");
	CHECK(res.opts.command == NULL && !res.opts.no_pty && !res.opts.restricted);
	authkeys_result_free(&res);
	CHECK(check_text(text, key_b, "192.0.2.7", NULL, 0, &res));
	CHECK(res.line == 5);
	authkeys_result_free(&res);
	CHECK(!check_text(text, key_c, "192.0.2.7", NULL, 0, &res));
	CHECK(res.file == NULL && res.line == 0);
	authkeys_result_free(&res);
	free(text);

	/* Commented-out keys, unsupported types and garbage never match. */
	text = str_printf("#%s\nssh-dss AAAAB3NzaC1kc3MAAACBAP== old\nnot a key at all\n", pub_a);
	CHECK(!authorized(text, key_a));
	free(text);
	/* No newline at the end of the last line. */
	text = str_printf("%s", pub_c);
	CHECK(authorized(text, key_c));
	free(text);
}

static void test_options_parse(void)
{
	struct authkeys_opts o;
	const char *end = NULL;
	char *why = NULL;

	CHECK_OK(authkeys_parse_options("no-pty,no-port-forwarding,no-agent-forwarding,"
					"no-X11-forwarding,no-user-rc rest", &o, &end, &why));
	CHECK(o.no_pty && o.no_port_forwarding && o.no_agent_forwarding && o.no_x11_forwarding &&
	      o.no_user_rc && !o.restricted);
	CHECK_STR(end, " rest");
	authkeys_opts_free(&o);

	/* restrict sets everything; a later positive form clears one; order matters. */
	CHECK_OK(authkeys_parse_options("restrict,pty,port-forwarding", &o, NULL, &why));
	CHECK(o.restricted && !o.no_pty && !o.no_port_forwarding && o.no_agent_forwarding &&
	      o.no_x11_forwarding && o.no_user_rc);
	authkeys_opts_free(&o);
	CHECK_OK(authkeys_parse_options("PTY,Restrict", &o, NULL, &why));  /* names fold case */
	CHECK(o.no_pty);
	authkeys_opts_free(&o);

	CHECK_OK(authkeys_parse_options("command=\"echo \\\"hi there\\\" \\\\n\",environment=\"A=1\","
					"environment=\"B_2=x y\",environment=\"A=2\","
					"permitopen=\"host:22\",permitopen=\"[::1]:*\","
					"permitlisten=\"8080\",permitlisten=\"localhost:9000\","
					"tunnel=\"3\",from=\"10.0.0.0/8,*.example.org\"",
					&o, &end, &why));
	CHECK_STR(o.command, "echo \"hi there\" \\\\n");
	CHECK(o.environment.n == 2);
	if (o.environment.n == 2) {
		CHECK_STR(o.environment.v[0], "A=1");         /* first per name */
		CHECK_STR(o.environment.v[1], "B_2=x y");
	}
	CHECK(o.permit_open.n == 2 && o.permit_listen.n == 2);
	CHECK_STR(o.tunnel, "3");
	CHECK_STR(o.from, "10.0.0.0/8,*.example.org");
	CHECK(*end == '\0');
	authkeys_opts_free(&o);

	CHECK_OK(authkeys_parse_options("expiry-time=\"20300101\",expiry-time=\"202001020304Z\"",
					&o, NULL, &why));
	CHECK(o.expiry_time == 1577934240);            /* the earliest: 2020-01-02 03:04 UTC */
	authkeys_opts_free(&o);
	CHECK_OK(authkeys_parse_options("expiry-time=\"19700102000000Z\"", &o, NULL, &why));
	CHECK(o.expiry_time == 86400);
	authkeys_opts_free(&o);

	static const struct { const char *opts; const char *why; } bad[] = {
		{ "no-pty,frobnicate", "unknown key option \"frobnicate\"" },
		{ "command=\"x", "missing end quote" },
		{ "command=x", "missing start quote" },
		{ "command", "option \"command\" needs a value" },
		{ "no-pty=\"1\"", "option \"no-pty\" takes no value" },
		{ "command=\"a\",command=\"b\"", "multiple \"command\" clauses" },
		{ "from=\"a\",from=\"b\"", "multiple \"from\" clauses" },
		{ "environment=\"NOEQUALS\"", "invalid environment string" },
		{ "environment=\"=x\"", "invalid environment string" },
		{ "environment=\"A-B=x\"", "invalid environment string" },
		{ "permitopen=\"nohost\"", "invalid permitopen host:port" },
		{ "permitopen=\"h:99999\"", "invalid permitopen host:port" },
		{ "permitopen=\"::1:22\"", "invalid permitopen host:port" },
		{ "permitlisten=\"h:x\"", "invalid permitlisten [host:]port" },
		{ "expiry-time=\"2020\"", "invalid expires time" },
		{ "expiry-time=\"20201301\"", "invalid expires time" },
		{ "expiry-time=\"20210229\"", "invalid expires time" },
		{ "from=\"10.0.0.1/8\"", "invalid from= pattern list" },
		{ "tunnel=\"x\"", "invalid tunnel device" },
		{ "no-pty;no-user-rc", "unexpected character after an option" },
		{ "no-pty,", "unknown key option \"\"" },
		{ ",no-pty", "unknown key option \"\"" },
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		memset(&o, 0x5a, sizeof(o));
		why = NULL;
		int r = authkeys_parse_options(bad[k].opts, &o, NULL, &why);
		CHECK_RC(r, FERRY_EINVAL);
		if (why == NULL || strcmp(why, bad[k].why) != 0) {
			fprintf(stderr, "options %s: got \"%s\", wanted \"%s\"\n", bad[k].opts,
				why ? why : "(null)", bad[k].why);
			CHECK(0);
		}
		free(why);
	}
	why = NULL;
}

static void test_option_lines(void)
{
	struct authkeys_result res;
	char *text = str_printf("frobnicate %s bad option: never used\n"
				"command=\"/usr/bin/backup --from \\\"x y\\\"\",no-pty,"
				"environment=\"X=1\" %s the good one\n",
				pub_a, pub_a);
	CHECK(check_text(text, key_a, "192.0.2.7", NULL, 0, &res));
	CHECK(res.line == 2);
	CHECK_STR(res.opts.command, "/usr/bin/backup --from \"x y\"");
	CHECK(res.opts.no_pty && !res.opts.no_port_forwarding);
	CHECK(res.opts.environment.n == 1);
	authkeys_result_free(&res);
	free(text);

	/* A quoted blank inside the options does not end them. */
	text = str_printf("restrict,command=\"echo a b\" %s\n", pub_b);
	CHECK(check_text(text, key_b, "192.0.2.7", NULL, 0, &res));
	CHECK(res.opts.restricted && res.opts.no_pty && res.opts.no_user_rc);
	CHECK_STR(res.opts.command, "echo a b");
	authkeys_result_free(&res);
	free(text);

	/* Certificate authorities and principals: ferryd accepts no certificates. */
	text = str_printf("cert-authority %s\nprincipals=\"alice\" %s\n", pub_a, pub_b);
	CHECK(!authorized(text, key_a));
	CHECK(!authorized(text, key_b));
	free(text);
}

static void test_from_patterns(void)
{
	struct authkeys_result res;
	char *text = str_printf("from=\"10.0.0.0/8,!10.66.0.0/16,*.trusted.example\" %s\n", pub_a);
	CHECK(check_text(text, key_a, "10.1.2.3", NULL, 0, &res));
	CHECK_STR(res.opts.from, "10.0.0.0/8,!10.66.0.0/16,*.trusted.example");
	authkeys_result_free(&res);
	CHECK(!check_text(text, key_a, "10.66.1.1", NULL, 0, &res));      /* negation wins */
	CHECK(!check_text(text, key_a, "192.0.2.1", NULL, 0, &res));
	CHECK(check_text(text, key_a, "192.0.2.1", "ws.TRUSTED.example", 0, &res));
	authkeys_result_free(&res);
	CHECK(!check_text(text, key_a, "10.66.1.1", "ws.trusted.example", 0, &res));
	free(text);

	text = str_printf("from=\"2001:db8::/32\" %s\nfrom=\"192.0.2.*\" %s\n", pub_a, pub_a);
	CHECK(check_text(text, key_a, "2001:db8::5", NULL, 0, &res));
	CHECK(res.line == 1);
	authkeys_result_free(&res);
	CHECK(check_text(text, key_a, "192.0.2.200", NULL, 0, &res));
	CHECK(res.line == 2);           /* the first line's from= fails; the next one is tried */
	authkeys_result_free(&res);
	free(text);
}

static void test_expiry_time(void)
{
	struct authkeys_result res;
	char *text = str_printf("expiry-time=\"20200101Z\" %s\n", pub_a);
	CHECK(!check_text(text, key_a, "192.0.2.7", NULL, 1600000000, &res));
	CHECK(check_text(text, key_a, "192.0.2.7", NULL, 1500000000, &res));
	CHECK(res.opts.expiry_time == 1577836800);
	authkeys_result_free(&res);
	free(text);
	/* Local time without Z: still in the past by now. */
	text = str_printf("expiry-time=\"200001011200\" %s\n", pub_a);
	CHECK(!check_text(text, key_a, "192.0.2.7", NULL, 0, &res));
	free(text);
}

static void test_expand_path(void)
{
	struct authkeys_user u = { .name = "alice", .uid = 1234, .gid = 1234, .home = "/home/alice" };
	char *p = NULL, *why = NULL;
	CHECK_OK(authkeys_expand_path(".ssh/authorized_keys", &u, &p, &why));
	CHECK_STR(p, "/home/alice/.ssh/authorized_keys");
	free(p);
	CHECK_OK(authkeys_expand_path("/etc/keys/%u.%U", &u, &p, &why));
	CHECK_STR(p, "/etc/keys/alice.1234");
	free(p);
	CHECK_OK(authkeys_expand_path("%h/.ssh/k%%", &u, &p, &why));
	CHECK_STR(p, "/home/alice/.ssh/k%");
	free(p);
	CHECK_OK(authkeys_expand_path("%u/keys", &u, &p, &why));      /* relative after expansion */
	CHECK_STR(p, "/home/alice/alice/keys");
	free(p);
	struct authkeys_user r = { .name = "root", .uid = 0, .gid = 0, .home = "/" };
	CHECK_OK(authkeys_expand_path(".ssh/k", &r, &p, &why));
	CHECK_STR(p, "/.ssh/k");
	free(p);
	CHECK_RC(authkeys_expand_path("/x/%z", &u, &p, &why), FERRY_ECONFIG);
	CHECK_STR(why, "AuthorizedKeysFile /x/%z: unknown token %z");
	free(why);
	CHECK(authkeys_path_tokens_valid("%h/%u/%U/%%"));
	CHECK(!authkeys_path_tokens_valid("%h/%"));
	CHECK(!authkeys_path_tokens_valid("%d"));
}

/* Builds tmpdir/NAME/.ssh/authorized_keys; returns the home (caller frees). */
static char *make_home(const char *name, uid_t uid, const char *keys)
{
	char *home = str_printf("%s/%s", tmpdir, name);
	char *ssh = str_printf("%s/.ssh", home);
	char *ak = str_printf("%s/authorized_keys", ssh);
	mkdir(home, 0755);
	mkdir(ssh, 0700);
	FILE *f = fopen(ak, "w");
	if (f == NULL)
		abort();
	fputs(keys, f);
	fclose(f);
	chmod(ak, 0600);
	if (geteuid() == 0) {
		if (chown(home, uid, uid) != 0 || chown(ssh, uid, uid) != 0 || chown(ak, uid, uid) != 0)
			abort();
	}
	free(ssh);
	free(ak);
	return home;
}

static void test_strict_modes(void)
{
	uid_t uid = geteuid() == 0 ? 4242 : getuid();
	char *keys = str_printf("%s\n", pub_a);
	char *home = make_home("sm", uid, keys);
	char *ssh = str_printf("%s/.ssh", home);
	char *ak = str_printf("%s/authorized_keys", ssh);
	char *why = NULL;

	CHECK_OK(authkeys_check_modes(ak, uid, home, &why));
	chmod(ak, 0620);
	CHECK_RC(authkeys_check_modes(ak, uid, home, &why), FERRY_EPERM);
	char *want = str_printf("bad ownership or modes for file %s", ak);
	CHECK_STR(why, want);
	free(want);
	chmod(ak, 0600);
	chmod(ssh, 0777);
	CHECK_RC(authkeys_check_modes(ak, uid, home, &why), FERRY_EPERM);
	want = str_printf("bad ownership or modes for directory %s", ssh);
	CHECK_STR(why, want);
	free(want);
	chmod(ssh, 0700);
	chmod(home, 0775);
	CHECK_RC(authkeys_check_modes(ak, uid, home, &why), FERRY_EPERM);
	want = str_printf("bad ownership or modes for directory %s", home);
	CHECK_STR(why, want);
	free(want);
	chmod(home, 0755);
	/* Above the home directory nothing is checked (tmpdir's parent is /tmp, mode 1777). */
	CHECK_OK(authkeys_check_modes(ak, uid, home, &why));
	/* Without a home to stop at, the walk reaches /tmp and refuses it. */
	CHECK_RC(authkeys_check_modes(ak, uid, NULL, &why), FERRY_EPERM);
	/* A symlink is judged by what it points to; a directory is not a key file. */
	char *link = str_printf("%s/link", ssh);
	CHECK(symlink(ak, link) == 0);
	CHECK_OK(authkeys_check_modes(link, uid, home, &why));
	CHECK_RC(authkeys_check_modes(ssh, uid, home, &why), FERRY_EPERM);
	want = str_printf("%s is not a regular file", ssh);
	CHECK_STR(why, want);
	free(want);
	char *missing = str_printf("%s/none", ssh);
	CHECK_RC(authkeys_check_modes(missing, uid, home, &why), FERRY_ENOENT);
	free(missing);
	if (geteuid() == 0) {
		/* Owned by someone else (not root): refused. */
		CHECK(chown(ak, 4343, 4343) == 0);
		CHECK_RC(authkeys_check_modes(ak, uid, home, &why), FERRY_EPERM);
		CHECK(chown(ak, 0, 0) == 0);                    /* root may own it */
		CHECK_OK(authkeys_check_modes(ak, uid, home, &why));
		CHECK(chown(ak, uid, uid) == 0);
	}
	free(why);
	free(link);
	free(ak);
	free(ssh);
	free(home);
	free(keys);
}

static void test_authorize_files(void)
{
	uid_t uid = geteuid() == 0 ? 4242 : getuid();
	char *keys = str_printf("no-pty %s\n", pub_b);
	char *home = make_home("az", uid, keys);
	struct authkeys_user u = { .name = "az", .uid = uid, .gid = uid, .home = home };
	struct authkeys_query q = { .key = key_b, .address = "127.0.0.1" };
	struct ssh_strlist files = { NULL, 0, false };
	struct authkeys_result res;
	CHECK_OK(cfg_strlist_add(&files, ".ssh/missing"));
	CHECK_OK(cfg_strlist_add(&files, "%h/.ssh/authorized_keys"));
	CHECK_OK(authkeys_authorize(&files, true, &u, &q, &res));
	CHECK(res.authorized && res.opts.no_pty && res.line == 1);
	char *want = str_printf("%s/.ssh/authorized_keys", home);
	CHECK_STR(res.file, want);
	free(want);
	authkeys_result_free(&res);

	q.key = key_a;
	CHECK_OK(authkeys_authorize(&files, true, &u, &q, &res));
	CHECK(!res.authorized);
	authkeys_result_free(&res);

	/* StrictModes: a group-writable .ssh makes the file unusable; without it, fine. */
	q.key = key_b;
	char *ssh = str_printf("%s/.ssh", home);
	chmod(ssh, 0770);
	CHECK_OK(authkeys_authorize(&files, true, &u, &q, &res));
	CHECK(!res.authorized);
	authkeys_result_free(&res);
	CHECK_OK(authkeys_authorize(&files, false, &u, &q, &res));
	CHECK(res.authorized);
	authkeys_result_free(&res);
	chmod(ssh, 0700);

	if (geteuid() == 0) {
		/* Read with the user's identity: a root-only file (say, a symlink planted to
		 * /etc/shadow-like data) is not readable for them, so it authorizes nothing. */
		char *ak = str_printf("%s/authorized_keys", ssh);
		CHECK(chown(ak, 0, 0) == 0);
		chmod(ak, 0600);
		CHECK_OK(authkeys_authorize(&files, false, &u, &q, &res));
		CHECK(!res.authorized);
		authkeys_result_free(&res);
		/* Group root may read it, but the user is not in group root: the check runs
		 * with the user's groups, not ferryd's. */
		chmod(ak, 0640);
		CHECK_OK(authkeys_authorize(&files, false, &u, &q, &res));
		CHECK(!res.authorized);
		authkeys_result_free(&res);
		chmod(ak, 0644);
		gid_t before[256], after[256];
		int nb = getgroups(256, before);
		CHECK_OK(authkeys_authorize(&files, true, &u, &q, &res));
		CHECK(res.authorized);
		authkeys_result_free(&res);
		/* The identity is back to root afterwards, groups included. */
		CHECK(access(ak, W_OK) == 0 && (uid_t)setfsuid((uid_t)-1) == 0);
		CHECK((gid_t)setfsgid((gid_t)-1) == getegid());
		int na = getgroups(256, after);
		CHECK(na == nb && nb >= 0 && memcmp(before, after, (size_t)nb * sizeof(gid_t)) == 0);
		free(ak);
	}

	/* check_file: a missing file is simply "not authorized". */
	char *missing = str_printf("%s/nothing-here", tmpdir);
	CHECK_OK(authkeys_check_file(missing, &q, &res));
	CHECK(!res.authorized);
	free(missing);

	cfg_strlist_free(&files);
	free(ssh);
	free(home);
	free(keys);
}

static int setup_keys(void)
{
	if (key_generate(KEY_ED25519, 0, &key_a) != 0 || key_generate(KEY_ED25519, 0, &key_b) != 0 ||
	    key_generate(KEY_ECDSA_P256, 0, &key_c) != 0)
		return -1;
	if (key_format_public(key_a, &pub_a) != 0 || key_format_public(key_b, &pub_b) != 0 ||
	    key_format_public(key_c, &pub_c) != 0)
		return -1;
	return 0;
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ferry-test-authkeys-XXXXXX");
	if (mkdtemp(tmpdir) == NULL || setup_keys() != 0)
		return 1;
	chmod(tmpdir, 0755);    /* the test user must get through it when we run as root */
	RUN_TEST(test_plain_lines_comments_and_blanks);
	RUN_TEST(test_options_parse);
	RUN_TEST(test_option_lines);
	RUN_TEST(test_from_patterns);
	RUN_TEST(test_expiry_time);
	RUN_TEST(test_expand_path);
	RUN_TEST(test_strict_modes);
	RUN_TEST(test_authorize_files);
	char *cmd = str_printf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	free(cmd);
	key_free(key_a);
	key_free(key_b);
	key_free(key_c);
	free(pub_a);
	free(pub_b);
	free(pub_c);
	return check_report();
}
