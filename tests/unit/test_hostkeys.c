/* Unit tests for ferryd's host keys (transfer/hostkeys.c): the state directory, creating the
 * default ed25519 key once (files, modes, message, a concurrent start), loading configured keys
 * and the errors that name them, and the algorithms the keys can serve. Cross-checked with
 * OpenSSH's ssh-keygen when installed. Uses a temporary HOME and XDG_STATE_HOME. */
#include "transfer/hostkeys.h"
#include "common/text.h"
#include "crypto/key.h"
#include "check.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char tmpdir[256];

static mode_t mode_of(const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return (mode_t)-1;
	return st.st_mode & 07777;
}

static void free_keys(struct ferry_key **keys, size_t n)
{
	for (size_t i = 0; i < n; i++)
		key_free(keys[i]);
	free(keys);
}

static void test_state_dir(void)
{
	char *d = NULL;
	CHECK_OK(hostkeys_state_dir(true, &d));
	CHECK_STR(d, "/etc/ferry");
	free(d);
	setenv("XDG_STATE_HOME", "/xdg/state", 1);
	CHECK_OK(hostkeys_state_dir(false, &d));
	CHECK_STR(d, "/xdg/state/ferry");
	free(d);
	setenv("XDG_STATE_HOME", "relative", 1);        /* ignored, as the XDG spec says */
	setenv("HOME", "/home/h", 1);
	CHECK_OK(hostkeys_state_dir(false, &d));
	CHECK_STR(d, "/home/h/.local/state/ferry");
	free(d);
	unsetenv("XDG_STATE_HOME");
}

static void test_create_then_load_default_key(void)
{
	char *state = str_printf("%s/a/b/ferry", tmpdir);
	char *keyp = str_printf("%s/ssh_host_ed25519_key", state);
	char *pubp = str_printf("%s.pub", keyp);
	struct ferry_key **keys = NULL;
	size_t n = 0;
	char *msg = NULL, *err = NULL;

	/* Check-only: nothing there yet, nothing created. */
	CHECK_OK(hostkeys_load_opts(NULL, state, HOSTKEYS_NO_CREATE, &keys, &n, &msg, &err));
	CHECK(n == 0 && msg == NULL && access(state, F_OK) != 0);
	free(keys);
	keys = NULL;

	CHECK_OK(hostkeys_load_opts(NULL, state, 0, &keys, &n, &msg, &err));
	CHECK(n == 1 && keys != NULL);
	if (n != 1)
		goto out;
	CHECK(key_get_type(keys[0]) == KEY_ED25519 && key_has_private(keys[0]));
	CHECK(mode_of(state) == 0700);
	char *parent = str_printf("%s/a/b", tmpdir);
	CHECK(mode_of(parent) == 0700);
	free(parent);
	CHECK(mode_of(keyp) == 0600);
	CHECK(mode_of(pubp) == 0644);
	char *fp = NULL;
	CHECK_OK(key_fingerprint(keys[0], &fp));
	char *want = str_printf("Generated host key ED25519 %s in %s", fp, keyp);
	CHECK_STR(msg, want);
	free(want);
	free(msg);
	msg = NULL;

	/* The .pub holds the same public key (with a comment). */
	struct ferry_key *pub = NULL;
	CHECK_OK(key_load_public(pubp, &pub));
	CHECK(pub != NULL && key_equal_public(pub, keys[0]));
	key_free(pub);
	/* No temporary files left beside it. */
	char *cmd = str_printf("test $(ls -A '%s' | wc -l) -eq 2", state);
	CHECK(system(cmd) == 0);
	free(cmd);

	/* OpenSSH reads both files and agrees on the fingerprint. */
	if (access("/usr/bin/ssh-keygen", X_OK) == 0) {
		cmd = str_printf("ssh-keygen -l -f '%s' | grep -q ' %s '", pubp, fp);
		CHECK(system(cmd) == 0);
		free(cmd);
		cmd = str_printf("ssh-keygen -y -f '%s' | cut -d' ' -f1-2 > '%s/y.pub'", keyp, tmpdir);
		CHECK(system(cmd) == 0);
		free(cmd);
		char *ypath = str_printf("%s/y.pub", tmpdir);
		struct ferry_key *y = NULL;
		CHECK_OK(key_load_public(ypath, &y));
		CHECK(y != NULL && key_equal_public(y, keys[0]));
		key_free(y);
		free(ypath);
	}

	/* Second start: the same key, nothing to report. */
	struct ferry_key **again = NULL;
	size_t n2 = 0;
	CHECK_OK(hostkeys_load_opts(NULL, state, 0, &again, &n2, &msg, &err));
	CHECK(n2 == 1 && msg == NULL);
	if (n2 == 1)
		CHECK(key_equal_public(again[0], keys[0]));
	free_keys(again, n2);

	/* A lost .pub comes back; a key file others can read is refused. */
	unlink(pubp);
	CHECK_OK(hostkeys_load_opts(NULL, state, 0, &again, &n2, &msg, &err));
	free_keys(again, n2);
	CHECK(access(pubp, F_OK) == 0);
	chmod(keyp, 0644);
	CHECK_RC(hostkeys_load_opts(NULL, state, 0, &again, &n2, &msg, &err), FERRY_EPERM);
	want = str_printf("Permissions 0644 for '%s' are too open: a host key must not be "
			  "accessible by others", keyp);
	CHECK_STR(err, want);
	free(want);
	chmod(keyp, 0600);
	free(fp);
out:
	free(err);
	free(msg);
	free_keys(keys, n);
	free(state);
	free(keyp);
	free(pubp);
}

static void test_hostkeys_load_uses_xdg_state(void)
{
	char *xdg = str_printf("%s/xdg", tmpdir);
	setenv("XDG_STATE_HOME", xdg, 1);
	struct ferry_key **keys = NULL;
	size_t n = 0;
	char *msg = NULL, *err = NULL;
	struct ssh_strlist none = { NULL, 0, true };
	CHECK_OK(hostkeys_load(&none, false, &keys, &n, &msg, &err));
	CHECK(n == 1);
	char *keyp = str_printf("%s/ferry/ssh_host_ed25519_key", xdg);
	CHECK(access(keyp, F_OK) == 0);
	CHECK(msg != NULL && strstr(msg, keyp) != NULL);
	free_keys(keys, n);
	free(keyp);
	free(msg);
	free(err);
	free(xdg);
	unsetenv("XDG_STATE_HOME");
}

/* Four ferryd starting at once in an empty state directory agree on one key. */
static void test_concurrent_first_start(void)
{
	char *state = str_printf("%s/race", tmpdir);
	int fds[2];
	const int kids = 4;
	if (pipe(fds) != 0)
		abort();
	for (int k = 0; k < kids; k++) {
		if (fork() == 0) {
			struct ferry_key **keys = NULL;
			size_t n = 0;
			char *fp = NULL, line[128];
			if (hostkeys_load_opts(NULL, state, 0, &keys, &n, NULL, NULL) != 0 || n != 1 ||
			    key_fingerprint(keys[0], &fp) != 0)
				_exit(1);
			snprintf(line, sizeof(line), "%-60s\n", fp);
			if (write(fds[1], line, strlen(line)) != (ssize_t)strlen(line))
				_exit(1);
			_exit(0);
		}
	}
	close(fds[1]);
	char buf[4096] = "";
	size_t got = 0;
	ssize_t r;
	while ((r = read(fds[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)r;
	close(fds[0]);
	int ok_kids = 0, status;
	while (wait(&status) > 0)
		if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
			ok_kids++;
	CHECK(ok_kids == kids);
	CHECK(got == (size_t)kids * 61);
	for (int k = 1; k < kids && got == (size_t)kids * 61; k++)
		CHECK(memcmp(buf, buf + 61 * k, 61) == 0);
	free(state);
}

static char *save_key(enum key_type type, const char *name)
{
	struct ferry_key *k = NULL;
	char *path = str_printf("%s/%s", tmpdir, name);
	if (key_generate(type, 0, &k) != 0 || key_save_private(k, path, "test") != 0)
		abort();
	key_free(k);
	return path;
}

static void test_configured_keys(void)
{
	char *ed = save_key(KEY_ED25519, "k_ed25519");
	char *ec = save_key(KEY_ECDSA_P256, "k_ecdsa");
	struct ssh_strlist files = { NULL, 0, false };
	struct ferry_key **keys = NULL;
	size_t n = 0;
	char *msg = NULL, *err = NULL;
	CHECK_OK(cfg_strlist_add(&files, ed));
	CHECK_OK(cfg_strlist_add(&files, ec));
	CHECK_OK(hostkeys_load(&files, false, &keys, &n, &msg, &err));
	CHECK(n == 2 && msg == NULL);
	if (n == 2) {
		CHECK(key_get_type(keys[0]) == KEY_ED25519);
		CHECK(key_get_type(keys[1]) == KEY_ECDSA_P256);
		CHECK(hostkeys_find(keys, n, "ssh-ed25519") == keys[0]);
		CHECK(hostkeys_find(keys, n, "ecdsa-sha2-nistp256") == keys[1]);
		CHECK(hostkeys_find(keys, n, "rsa-sha2-256") == NULL);
		char *algs = NULL;
		CHECK_OK(hostkeys_algorithms(keys, n, key_sigalg_default_names(), &algs));
		CHECK(algs != NULL && namelist_contains(algs, "ssh-ed25519") &&
		      namelist_contains(algs, "ecdsa-sha2-nistp256") &&
		      !namelist_contains(algs, "rsa-sha2-512"));
		free(algs);
		CHECK_OK(hostkeys_algorithms(keys, n, "rsa-sha2-512,ssh-rsa", &algs));
		CHECK_STR(algs, "");
		free(algs);
	}
	free_keys(keys, n);

	/* A missing configured key is an error naming it; nothing is created instead. */
	char *missing = str_printf("%s/no_such_key", tmpdir);
	CHECK_OK(cfg_strlist_add(&files, missing));
	keys = NULL;
	n = 0;
	CHECK_RC(hostkeys_load(&files, false, &keys, &n, &msg, &err), FERRY_ENOENT);
	char *want = str_printf("Unable to load host key %s: no such file", missing);
	CHECK_STR(err, want);
	free(want);
	CHECK(keys == NULL && n == 0 && access(missing, F_OK) != 0);
	cfg_strlist_free(&files);

	/* Not a private key: a public key file, or garbage. */
	char *pubonly = str_printf("%s/pubonly", tmpdir);
	char *garbage = str_printf("%s/garbage", tmpdir);
	char *cmd = str_printf("cp '%s.pub' '%s' 2>/dev/null || ssh-keygen -y -f '%s' > '%s'; "
			       "chmod 600 '%s'; echo nonsense > '%s'; chmod 600 '%s'",
			       ed, pubonly, ed, pubonly, pubonly, garbage, garbage);
	if (system(cmd) != 0)
		fprintf(stderr, "could not prepare %s\n", pubonly);
	free(cmd);
	CHECK_OK(cfg_strlist_add(&files, garbage));
	CHECK_RC(hostkeys_load(&files, false, &keys, &n, &msg, &err), FERRY_EKEYFORMAT);
	want = str_printf("Unable to load host key %s: not a private key file ferry can read",
			  garbage);
	CHECK_STR(err, want);
	free(want);
	cfg_strlist_free(&files);
	if (access(pubonly, F_OK) == 0) {
		CHECK_OK(cfg_strlist_add(&files, pubonly));
		CHECK(hostkeys_load(&files, false, &keys, &n, &msg, &err) != 0);
		CHECK(err != NULL && strstr(err, pubonly) != NULL);
		cfg_strlist_free(&files);
	}
	/* Readable by others: refused. */
	chmod(ec, 0640);
	CHECK_OK(cfg_strlist_add(&files, ec));
	CHECK_RC(hostkeys_load(&files, false, &keys, &n, &msg, &err), FERRY_EPERM);
	CHECK(err != NULL && strstr(err, "Permissions 0640") != NULL);
	cfg_strlist_free(&files);

	free(err);
	free(missing);
	free(pubonly);
	free(garbage);
	free(ed);
	free(ec);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ferry-test-hostkeys-XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	char *home = str_printf("%s/home", tmpdir);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	RUN_TEST(test_state_dir);
	setenv("HOME", home, 1);
	RUN_TEST(test_create_then_load_default_key);
	RUN_TEST(test_hostkeys_load_uses_xdg_state);
	RUN_TEST(test_concurrent_first_start);
	RUN_TEST(test_configured_keys);
	free(home);
	char *cmd = str_printf("rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	free(cmd);
	return check_report();
}
