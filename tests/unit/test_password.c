/* Unit tests for ferryd's password check (transfer/password.c) against a throwaway local
 * account: right, wrong, unknown, locked, empty, expired, too long, timing of refusals, and an
 * unreadable shadow database. Needs root and useradd (else skipped, exit 77); the account is
 * removed at the end even when a check fails or the checking process crashes. */
#include "transfer/password.h"
#include "common/text.h"
#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char user[32];

/* Runs a shell command, retrying while another process holds the passwd/shadow lock. */
static int __attribute__((format(printf, 1, 2))) run(const char *fmt, ...)
{
	char *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&cmd, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	int st = -1;
	for (int attempt = 0; attempt < 20; attempt++) {
		st = system(cmd);
		if (st == 0)
			break;
		usleep(200 * 1000);
	}
	free(cmd);
	return st;
}

static bool check(const char *u, const char *pw, bool permit_empty, const char **why)
{
	bool ok = true;
	const char *w = NULL;
	CHECK_OK(password_check_opts(u, pw, strlen(pw), permit_empty, &ok, &w));
	if (why)
		*why = w;
	return ok;
}

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_right_wrong_unknown(void)
{
	const char *why = NULL;
	bool ok = false;
	CHECK(check(user, "c0rrect horse", false, &why));
	CHECK_STR(why, "accepted");
	CHECK_OK(password_check(user, "c0rrect horse", false, &ok));
	CHECK(ok);
	CHECK_OK(password_check(NULL, "c0rrect horse", false, &ok));      /* "no such account" */
	CHECK(!ok);
	CHECK(!check(user, "c0rrect horsE", false, &why));
	CHECK_STR(why, "wrong password");
	CHECK(!check(user, "", false, &why));
	CHECK_STR(why, "empty password not permitted");
	CHECK(!check("ferry-no-such-user-x", "c0rrect horse", false, &why));
	CHECK_STR(why, "invalid user");
	CHECK_RC(password_check(user, NULL, false, &ok), FERRY_EINVAL);
}

static void test_length_and_nul(void)
{
	const char *why = NULL;
	bool ok = true;
	char *longpw = malloc(PASSWORD_MAX_LEN + 2);
	memset(longpw, 'a', PASSWORD_MAX_LEN + 1);
	longpw[PASSWORD_MAX_LEN + 1] = '\0';
	CHECK(!check(user, longpw, false, &why));
	CHECK_STR(why, "password too long");
	free(longpw);
	CHECK_OK(password_check_opts(user, "c0rrect horse\0x", 15, false, &ok, &why));
	CHECK(!ok);
	CHECK_STR(why, "password contains a NUL byte");
}

/* Refusals take about as long as checking a real password: no early return on an unknown user
 * or a locked account. Loose bounds, so a busy machine does not make this flaky. */
static void test_equal_work(void)
{
	const int n = 5;
	double t0 = seconds();
	for (int k = 0; k < n; k++)
		(void)check(user, "not the password", false, NULL);
	double real_user = seconds() - t0;
	t0 = seconds();
	for (int k = 0; k < n; k++)
		(void)check("ferry-no-such-user-x", "not the password", false, NULL);
	double unknown = seconds() - t0;
	t0 = seconds();
	for (int k = 0; k < n; k++) {
		bool ok = true;
		CHECK_OK(password_check(NULL, "not the password", false, &ok));
	}
	double null_user = seconds() - t0;
	t0 = seconds();
	for (int k = 0; k < n; k++)
		(void)check(user, "", false, NULL);
	double empty = seconds() - t0;
	printf("     %d checks: existing user %.3fs, unknown user %.3fs, NULL user %.3fs, "
	       "empty password %.3fs\n", n, real_user, unknown, null_user, empty);
	CHECK(unknown > real_user / 4 && unknown < real_user * 4);
	CHECK(null_user > real_user / 4 && null_user < real_user * 4);
	CHECK(empty > real_user / 4 && empty < real_user * 4);
}

static void test_locked_and_unlocked(void)
{
	const char *why = NULL;
	CHECK(run("usermod -L %s", user) == 0);
	CHECK(!check(user, "c0rrect horse", false, &why));
	CHECK_STR(why, "account locked");
	CHECK(run("usermod -U %s", user) == 0);
	CHECK(check(user, "c0rrect horse", false, &why));
	/* "*" (never had a password) is locked too. */
	CHECK(run("usermod -p '*' %s", user) == 0);
	CHECK(!check(user, "*", false, &why));
	CHECK_STR(why, "account locked");
}

static void test_empty_password_needs_permit(void)
{
	const char *why = NULL;
	CHECK(run("passwd -q -d %s >/dev/null", user) == 0);
	CHECK(!check(user, "", false, &why));
	CHECK(!check(user, "anything", true, &why));
	CHECK_STR(why, "no password set");
	CHECK(check(user, "", true, &why));
	CHECK_STR(why, "accepted");
}

static void test_expiry(void)
{
	const char *why = NULL;
	CHECK(run("echo '%s:c0rrect horse' | chpasswd", user) == 0);
	CHECK(check(user, "c0rrect horse", false, &why));
	CHECK(run("chage -E 0 %s", user) == 0);
	CHECK(!check(user, "c0rrect horse", false, &why));
	CHECK_STR(why, "account expired");
	CHECK(run("chage -E -1 %s", user) == 0);
	CHECK(run("chage -d 0 %s", user) == 0);
	CHECK(!check(user, "c0rrect horse", false, &why));
	CHECK_STR(why, "password expired");
	CHECK(run("chage -d 19000 -M 1 %s", user) == 0);          /* changed in 2022, max 1 day */
	CHECK(!check(user, "c0rrect horse", false, &why));
	CHECK_STR(why, "password expired");
	CHECK(run("chage -d -1 -M -1 %s", user) == 0);
	CHECK(check(user, "c0rrect horse", false, &why));
}

/* Not root (here: a file-system identity that cannot read /etc/shadow): FERRY_EPERM. */
static void test_shadow_unreadable(void)
{
	bool ok = true;
	const char *why = NULL;
	setfsuid(65534);
	int r = password_check_opts(user, "c0rrect horse", 13, false, &ok, &why);
	setfsuid(0);
	CHECK_RC(r, FERRY_EPERM);
	CHECK(!ok);
	CHECK_STR(why, "password database not readable");
}

int main(void)
{
	if (geteuid() != 0 || access("/usr/sbin/useradd", X_OK) != 0) {
		printf("skip: needs root and useradd\n");
		return 77;
	}
	snprintf(user, sizeof(user), "ferrypw%ld", (long)getpid());
	if (run("useradd -M -N -s /bin/false %s", user) != 0) {
		printf("skip: useradd failed\n");
		return 77;
	}
	int status = 1;
	if (run("echo '%s:c0rrect horse' | chpasswd", user) != 0) {
		fprintf(stderr, "chpasswd failed\n");
		goto cleanup;
	}
	/* The checks run in a child, so the account goes away even if they crash. */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		RUN_TEST(test_right_wrong_unknown);
		RUN_TEST(test_length_and_nul);
		RUN_TEST(test_equal_work);
		RUN_TEST(test_locked_and_unlocked);
		RUN_TEST(test_empty_password_needs_permit);
		RUN_TEST(test_expiry);
		RUN_TEST(test_shadow_unreadable);
		exit(check_report());
	}
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0)
			;
		status = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
	}
cleanup:
	if (run("userdel %s", user) != 0) {
		fprintf(stderr, "could not remove test account %s\n", user);
		status = 1;
	}
	return status;
}
