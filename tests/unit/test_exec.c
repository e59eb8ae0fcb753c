/* Unit tests for transfer/exec.c: running session commands (RFC 4254 §6.5) with pipes, a clean
 * environment, default signals, no stray fds and (as root) another user; exit status and
 * RFC 4254 §6.10 signal names; the session environment; dropping privileges. */
#include "transfer/exec.h"
#include "check.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define NOBODY_ID 65534

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (d == NULL)
		return -1;
	struct dirent *de;
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1; /* the directory's own fd */
}

/* Reads fd to its end into a NUL-terminated string (caller frees). */
static char *read_all(int fd)
{
	size_t cap = 4096, len = 0;
	char *s = malloc(cap);
	for (;;) {
		if (len + 1 >= cap) {
			cap *= 2;
			s = realloc(s, cap);
		}
		ssize_t n = read(fd, s + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	s[len] = '\0';
	return s;
}

struct run {
	int rc;
	char *out, *err, *msg;
	int status, signo;
	bool core;
	pid_t pid;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	free(r->msg);
}

/* Runs req to its end, feeding it input; the whole of stdout and stderr in r. */
static struct run run_req(const struct exec_request *req, const char *input)
{
	struct run r = { 0 };
	struct exec_child c;
	memset(&c, 0xff, sizeof(c));
	r.rc = exec_spawn(req, &c, &r.msg);
	if (r.rc != 0) {
		CHECK(c.pid == -1); /* untouched */
		return r;
	}
	r.pid = c.pid;
	int status = 0, signo = 0;
	bool core = false;
	CHECK(c.pidfd >= 0 && c.fd_in >= 0 && c.fd_out >= 0 && c.fd_err >= 0);
	CHECK(fcntl(c.fd_in, F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(c.fd_out, F_GETFD) & FD_CLOEXEC);
	CHECK(fcntl(c.fd_err, F_GETFD) & FD_CLOEXEC);
	if (input != NULL)
		CHECK(write(c.fd_in, input, strlen(input)) == (ssize_t)strlen(input));
	close(c.fd_in);
	/* Small outputs: one pipe at a time cannot fill up. */
	r.out = read_all(c.fd_out);
	r.err = read_all(c.fd_err);
	struct pollfd pfd = { .fd = c.pidfd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 10000) == 1);
	CHECK_OK(exec_reap(&c, &status, &signo, &core));
	CHECK(c.pid == -1);
	CHECK_RC(exec_reap(&c, &status, &signo, &core), FERRY_EINVAL);
	r.status = status;
	r.signo = signo;
	r.core = core;
	close(c.fd_out);
	close(c.fd_err);
	close(c.pidfd);
	return r;
}

static char *const test_env[] = { "A=1", "B=two words", NULL };

static struct exec_request sh_req(const char *command)
{
	struct exec_request req = {
		.user = "tester",
		.uid = getuid(),
		.gid = getgid(),
		.home = "/",
		.shell = "/bin/sh",
		.command = command,
		.env = test_env,
		.change_user = false,
	};
	return req;
}

static void test_command_pipes_and_status(void)
{
	int fds_before = count_fds();
	struct exec_request req = sh_req("echo out; echo err >&2; cat; exit 3");
	struct run r = run_req(&req, "input line\n");
	CHECK_OK(r.rc);
	CHECK_STR(r.out, "out\ninput line\n");
	CHECK_STR(r.err, "err\n");
	CHECK(r.status == 3 && r.signo == 0 && !r.core);
	run_free(&r);
	CHECK(count_fds() == fds_before);
}

/* A built-in command: copies stdin to stdout, says where it runs on stderr, exits 7. */
static int builtin_copy(void *arg)
{
	char buf[256];
	ssize_t n;
	char cwd[64] = "";
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return 1;
	dprintf(2, "%s %s", (const char *)arg, cwd);
	while ((n = read(0, buf, sizeof(buf))) > 0)
		if (write(1, buf, (size_t)n) != n)
			return 2;
	return 7;
}

static void test_builtin_command(void)
{
	int fds_before = count_fds();
	struct exec_request req = sh_req(NULL);
	req.home = "/tmp";
	req.builtin = builtin_copy;
	req.builtin_arg = (void *)"builtin in";
	struct run r = run_req(&req, "through the pipes\n");
	CHECK_OK(r.rc);
	CHECK_STR(r.out, "through the pipes\n");
	CHECK_STR(r.err, "builtin in /tmp");
	CHECK(r.status == 7 && r.signo == 0);
	run_free(&r);
	CHECK(count_fds() == fds_before);
}

static void test_reap_while_running(void)
{
	struct exec_request req = sh_req("read x || exit 5");
	struct exec_child c;
	char *msg = NULL;
	int st = -1, sig = -1;
	bool core = true;
	CHECK_OK(exec_spawn(&req, &c, &msg));
	CHECK_RC(exec_reap(&c, &st, &sig, &core), FERRY_EAGAIN);
	CHECK(st == -1 && sig == -1 && core); /* untouched */
	CHECK(c.pid > 0);
	close(c.fd_in); /* read gets end of file */
	struct pollfd pfd = { .fd = c.pidfd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 10000) == 1);
	CHECK_OK(exec_reap(&c, &st, &sig, &core));
	CHECK(st == 5 && sig == 0 && !core); /* read at end of file fails */
	close(c.fd_out);
	close(c.fd_err);
	close(c.pidfd);
	free(msg);
}

static void test_environment_is_exactly_given(void)
{
	/* The shell's own initial environment, as execve gave it. */
	struct exec_request req = sh_req("tr '\\0' '\\n' < /proc/$$/environ");
	struct run r = run_req(&req, NULL);
	CHECK_OK(r.rc);
	CHECK_STR(r.out, "A=1\nB=two words\n");
	run_free(&r);
	req.env = NULL;
	r = run_req(&req, NULL);
	CHECK_STR(r.out, "");
	run_free(&r);
}

static void test_argv(void)
{
	/* With a command: NAME -c COMMAND. */
	struct exec_request req = sh_req("tr '\\0' '|' < /proc/$$/cmdline");
	struct run r = run_req(&req, NULL);
	CHECK_STR(r.out, "sh|-c|tr '\\0' '|' < /proc/$$/cmdline|");
	run_free(&r);
	/* Without one: a login shell reading commands from stdin. */
	req = sh_req(NULL);
	r = run_req(&req, "tr '\\0' '|' < /proc/$$/cmdline; echo; echo \"$0\"\n");
	CHECK_OK(r.rc);
	CHECK_STR(r.out, "-sh|\n-sh\n");
	run_free(&r);
	/* An account with no shell set gets /bin/sh. */
	req = sh_req("echo $0");
	req.shell = "";
	r = run_req(&req, NULL);
	CHECK_STR(r.out, "sh\n");
	run_free(&r);
}

static void test_signals_reset(void)
{
	/* ferry ignores SIGPIPE; block and ignore a few more here to see none of it leak. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGCHLD);
	CHECK(sigprocmask(SIG_BLOCK, &set, &old) == 0);
	void (*old_hup)(int) = signal(SIGHUP, SIG_IGN);
	/* exec: the shell's own process, so its mask and dispositions as execve left them. */
	struct exec_request req = sh_req("exec grep -E '^Sig(Ign|Blk)' /proc/self/status");
	struct run r = run_req(&req, NULL);
	CHECK_STR(r.out, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	run_free(&r);
	signal(SIGHUP, old_hup);
	CHECK(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
	/* And a broken pipe kills the command as it would anywhere else. */
	req = sh_req("sleep 0.2; echo late");
	struct exec_child c;
	char *msg = NULL;
	int st, sig;
	bool core;
	CHECK_OK(exec_spawn(&req, &c, &msg));
	close(c.fd_out); /* nobody reads stdout any more */
	struct pollfd pfd = { .fd = c.pidfd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 10000) == 1);
	CHECK_OK(exec_reap(&c, &st, &sig, &core));
	CHECK(sig == SIGPIPE);
	CHECK_STR(exec_signal_name(sig), "PIPE");
	close(c.fd_in);
	close(c.fd_err);
	close(c.pidfd);
}

static void test_no_stray_fds_and_new_session(void)
{
	/* An fd of ours without close-on-exec must not reach the command. */
	int leak = dup2(1, 40);
	CHECK(leak == 40);
	/* Looked at from outside while it waits on stdin (from inside, the shell's own pipes
	 * and directory reads would show), once it has said it is up (before that, the dynamic
	 * loader may still have a library open). */
	struct exec_request req = sh_req("echo up; read x");
	struct exec_child c;
	char *msg = NULL;
	CHECK_OK(exec_spawn(&req, &c, &msg));
	char up[3];
	CHECK(read(c.fd_out, up, 3) == 3 && memcmp(up, "up\n", 3) == 0);
	char dir[64], fds[64] = "";
	snprintf(dir, sizeof(dir), "/proc/%ld/fd", (long)c.pid);
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	int seen[3] = { 0, 0, 0 }, others = 0;
	struct dirent *de;
	while (d != NULL && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		int fd = atoi(de->d_name);
		if (fd >= 0 && fd < 3)
			seen[fd]++;
		else
			others++;
		strncat(fds, de->d_name, sizeof(fds) - strlen(fds) - 2);
		strcat(fds, " ");
	}
	if (d != NULL)
		closedir(d);
	if (others != 0)
		fprintf(stderr, "the command has fds %s\n", fds);
	CHECK(seen[0] == 1 && seen[1] == 1 && seen[2] == 1 && others == 0);
	close(c.fd_in);
	struct pollfd pfd = { .fd = c.pidfd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 10000) == 1);
	int st, sig;
	bool core;
	CHECK_OK(exec_reap(&c, &st, &sig, &core));
	close(c.fd_out);
	close(c.fd_err);
	close(c.pidfd);
	free(msg);
	close(leak);
	struct run r;
	/* setsid: the command leads its own session and process group. */
	req = sh_req("read -r pid comm state ppid pgrp sid rest < /proc/$$/stat; "
		     "echo \"$$ $pgrp $sid\"");
	r = run_req(&req, NULL);
	char want[64];
	snprintf(want, sizeof(want), "%ld %ld %ld\n", (long)r.pid, (long)r.pid, (long)r.pid);
	CHECK_STR(r.out, want);
	run_free(&r);
}

static void test_home_directory(void)
{
	char dir[] = "/tmp/ferry-exec-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	struct exec_request req = sh_req("pwd");
	req.home = dir;
	struct run r = run_req(&req, NULL);
	char want[256];
	snprintf(want, sizeof(want), "%s\n", dir);
	CHECK_STR(r.out, want);
	CHECK_STR(r.err, "");
	run_free(&r);
	rmdir(dir);
	/* Gone: "/" instead, with a note on stderr as sshd gives. */
	r = run_req(&req, NULL);
	CHECK_OK(r.rc);
	CHECK_STR(r.out, "/\n");
	snprintf(want, sizeof(want), "Could not chdir to home directory %s: %s\n", dir,
		 strerror(ENOENT));
	CHECK_STR(r.err, want);
	CHECK(r.status == 0);
	run_free(&r);
}

static void test_killed_by_signal(void)
{
	struct rlimit no_core = { 0, 0 };
	CHECK(setrlimit(RLIMIT_CORE, &no_core) == 0);
	struct exec_request req = sh_req("kill -TERM $$");
	struct run r = run_req(&req, NULL);
	CHECK_OK(r.rc);
	CHECK(r.signo == SIGTERM && r.status == 0 && !r.core);
	CHECK_STR(exec_signal_name(r.signo), "TERM");
	run_free(&r);
	req = sh_req("kill -SEGV $$");
	r = run_req(&req, NULL);
	CHECK(r.signo == SIGSEGV && !r.core);
	run_free(&r);
}

static void test_signal_request(void)
{
	/* The whole group gets it: the shell and the command it runs. */
	struct exec_request req = sh_req("(sleep 2; echo survived) & echo ready; wait");
	struct exec_child c;
	char *msg = NULL;
	int st = -1, sig = -1;
	bool core = true;
	CHECK_OK(exec_spawn(&req, &c, &msg));
	char ready[6];
	CHECK(read(c.fd_out, ready, 6) == 6 && memcmp(ready, "ready\n", 6) == 0);
	CHECK_OK(exec_signal(&c, SIGTERM));
	struct pollfd pfd = { .fd = c.pidfd, .events = POLLIN };
	CHECK(poll(&pfd, 1, 10000) == 1);
	CHECK_OK(exec_reap(&c, &st, &sig, &core));
	CHECK(sig == SIGTERM);
	char *out = read_all(c.fd_out);
	CHECK_STR(out, ""); /* the subshell was killed as well, or "survived" would follow */
	free(out);
	/* Reaped: refused, never kill(-1). */
	CHECK_RC(exec_signal(&c, SIGTERM), FERRY_EINVAL);
	struct exec_child none = { .pid = 0 };
	CHECK_RC(exec_signal(&none, SIGTERM), FERRY_EINVAL);
	close(c.fd_in);
	close(c.fd_out);
	close(c.fd_err);
	close(c.pidfd);
	free(msg);
}

static void test_exec_failures(void)
{
	int fds_before = count_fds();
	struct exec_request req = sh_req("true");
	req.shell = "/nonexistent/shell";
	struct run r = run_req(&req, NULL);
	CHECK_RC(r.rc, FERRY_ENOENT);
	CHECK_STR(r.msg, "exec /nonexistent/shell: No such file or directory");
	run_free(&r);

	/* A file nobody may execute. */
	char path[] = "/tmp/ferry-exec-noexec-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, "#!/bin/sh\n", 10) == 10);
	close(fd);
	CHECK(chmod(path, 0600) == 0);
	req.shell = path;
	r = run_req(&req, NULL);
	CHECK_RC(r.rc, FERRY_EPERM);
	CHECK(r.msg != NULL && strstr(r.msg, "Permission denied") != NULL);
	run_free(&r);
	unlink(path);

	/* errmsg may be NULL. */
	struct exec_child c;
	CHECK_RC(exec_spawn(&req, &c, NULL), FERRY_ENOENT);
	CHECK_RC(exec_spawn(NULL, &c, NULL), FERRY_EINVAL);
	CHECK(count_fds() == fds_before);
	/* Every failed child was reaped. */
	CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
}

static void test_change_user(void)
{
	if (geteuid() != 0) {
		/* Without root the change must fail, and nothing runs. */
		struct exec_request req = sh_req("echo ran");
		req.change_user = true;
		req.uid = NOBODY_ID;
		req.gid = NOBODY_ID;
		struct run r = run_req(&req, NULL);
		CHECK_RC(r.rc, FERRY_EPERM);
		CHECK(r.msg != NULL && strstr(r.msg, "cannot change to user tester") != NULL);
		run_free(&r);
		printf("skip: not root, change of user tested for failure only\n");
		return;
	}
	struct exec_request req = sh_req("grep -E '^(Uid|Gid|Groups):' /proc/$$/status");
	req.user = "nobody";
	req.uid = NOBODY_ID;
	req.gid = NOBODY_ID;
	req.change_user = true;
	struct run r = run_req(&req, NULL);
	CHECK_OK(r.rc);
	CHECK_STR(r.out, "Uid:\t65534\t65534\t65534\t65534\n"
			 "Gid:\t65534\t65534\t65534\t65534\n"
			 "Groups:\t65534 \n");
	run_free(&r);
	/* The home directory is entered as the user: one only root may enter falls back. */
	char dir[] = "/tmp/ferry-exec-root-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	CHECK(chmod(dir, 0700) == 0);
	req.command = "pwd";
	req.home = dir;
	r = run_req(&req, NULL);
	CHECK_STR(r.out, "/\n");
	CHECK(strstr(r.err, "Permission denied") != NULL);
	run_free(&r);
	rmdir(dir);
	/* We are still root. */
	CHECK(geteuid() == 0);
}

static void test_signal_names(void)
{
	static const struct {
		int sig;
		const char *name;
	} want[] = {
		{ SIGABRT, "ABRT" }, { SIGALRM, "ALRM" }, { SIGFPE, "FPE" },   { SIGHUP, "HUP" },
		{ SIGILL, "ILL" },   { SIGINT, "INT" },   { SIGKILL, "KILL" }, { SIGPIPE, "PIPE" },
		{ SIGQUIT, "QUIT" }, { SIGSEGV, "SEGV" }, { SIGTERM, "TERM" }, { SIGUSR1, "USR1" },
		{ SIGUSR2, "USR2" },
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_STR(exec_signal_name(want[i].sig), want[i].name);
		CHECK(exec_signal_number(want[i].name) == want[i].sig);
	}
	CHECK_STR(exec_signal_name(SIGCHLD), "SIG@openssh.com");
	CHECK_STR(exec_signal_name(SIGBUS), "SIG@openssh.com");
	CHECK_STR(exec_signal_name(0), "SIG@openssh.com");
	CHECK_STR(exec_signal_name(-1), "SIG@openssh.com");
	CHECK(exec_signal_number("SIGTERM") == 0);
	CHECK(exec_signal_number("term") == 0);
	CHECK(exec_signal_number("CHLD") == 0);
	CHECK(exec_signal_number("SIG@openssh.com") == 0);
	CHECK(exec_signal_number("") == 0);
	CHECK(exec_signal_number(NULL) == 0);
}

static void check_env(char **env, const char *const *want)
{
	size_t i = 0;
	for (; want[i] != NULL && env[i] != NULL; i++)
		CHECK_STR(env[i], want[i]);
	CHECK(want[i] == NULL && env[i] == NULL);
}

static void test_build_env(void)
{
	char *saved_tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	unsetenv("TZ");
	struct exec_env_info info = {
		.user = "alice", .uid = 1000, .home = "/home/alice", .shell = "/bin/bash",
		.peer_ip = "192.0.2.7", .peer_port = 51000,
		.local_ip = "198.51.100.1", .local_port = 22,
	};
	char **env = NULL;
	CHECK_OK(exec_build_env(&info, NULL, 0, &env));
	const char *const plain[] = {
		"USER=alice", "LOGNAME=alice", "HOME=/home/alice",
		"PATH=/usr/local/bin:/usr/bin:/bin:/usr/games", "MAIL=/var/mail/alice",
		"SHELL=/bin/bash", "SSH_CLIENT=192.0.2.7 51000 22",
		"SSH_CONNECTION=192.0.2.7 51000 198.51.100.1 22", NULL,
	};
	if (env != NULL)
		check_env(env, plain);
	exec_env_free(env);

	/* Root's PATH, TZ passed on, a forced command, extras. */
	setenv("TZ", "Europe/Berlin", 1);
	info.user = "root";
	info.uid = 0;
	info.home = "/root";
	info.peer_ip = "2001:db8::5";
	info.local_ip = "2001:db8::1";
	info.original_command = "ls -l";
	char *const extra[] = {
		"LANG=C", "PATH=/evil", "HOME=/tmp", "noequals", "=nameless", "LC_ALL=C",
		"LANG=en_GB.UTF-8", "SSH_CONNECTION=forged", "EMPTY=", "USER=mallory",
	};
	env = NULL;
	CHECK_OK(exec_build_env(&info, extra, sizeof(extra) / sizeof(extra[0]), &env));
	const char *const rooted[] = {
		"USER=root", "LOGNAME=root", "HOME=/root",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"MAIL=/var/mail/root", "SHELL=/bin/bash", "TZ=Europe/Berlin",
		"SSH_CLIENT=2001:db8::5 51000 22",
		"SSH_CONNECTION=2001:db8::5 51000 2001:db8::1 22",
		"SSH_ORIGINAL_COMMAND=ls -l",
		"LANG=en_GB.UTF-8", "LC_ALL=C", "EMPTY=", NULL,
	};
	if (env != NULL)
		check_env(env, rooted);
	exec_env_free(env);
	exec_env_free(NULL);

	env = NULL;
	info.user = NULL;
	CHECK_RC(exec_build_env(&info, NULL, 0, &env), FERRY_EINVAL);
	CHECK(env == NULL);
	info.user = "root";
	CHECK_RC(exec_build_env(&info, NULL, 2, &env), FERRY_EINVAL);
	CHECK_RC(exec_build_env(NULL, NULL, 0, &env), FERRY_EINVAL);

	if (saved_tz != NULL)
		setenv("TZ", saved_tz, 1);
	else
		unsetenv("TZ");
	free(saved_tz);
}

/* In a child (the drop is for good): 0 = as expected, else the failed step. */
static int drop_child(void)
{
	if (exec_drop_privileges(NOBODY_ID, NOBODY_ID, "nobody") != 0)
		return 1;
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0)
		return 2;
	if (ru != NOBODY_ID || eu != NOBODY_ID || su != NOBODY_ID || rg != NOBODY_ID ||
	    eg != NOBODY_ID || sg != NOBODY_ID)
		return 3;
	if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
		return 4;
	gid_t groups[8];
	int n = getgroups(8, groups);
	if (n != 1 || groups[0] != NOBODY_ID)
		return 5;
	return 0;
}

static void test_drop_privileges(void)
{
	if (geteuid() != 0) {
		printf("skip: not root, exec_drop_privileges not tested\n");
		return;
	}
	const int kinds = 3;
	for (int kind = 0; kind < kinds; kind++) {
		fflush(NULL);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			if (kind == 0)
				_exit(drop_child());
			if (kind == 1)
				/* Root staying root: allowed, nothing to regain. */
				_exit(exec_drop_privileges(0, 0, "root") == 0 && geteuid() == 0 ? 0 : 1);
			/* Once dropped, a second change back to root fails. */
			if (exec_drop_privileges(NOBODY_ID, NOBODY_ID, "nobody") != 0)
				_exit(1);
			_exit(exec_drop_privileges(0, 0, "root") == FERRY_EPERM ? 0 : 2);
		}
		int status = 0;
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFEXITED(status));
		if (WEXITSTATUS(status) != 0)
			fprintf(stderr, "drop kind %d failed at step %d\n", kind, WEXITSTATUS(status));
		CHECK(WEXITSTATUS(status) == 0);
	}
	CHECK_RC(exec_drop_privileges(0, 0, NULL), FERRY_EINVAL);
}

int main(void)
{
	/* As ferry does: a broken pipe is an error result, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	RUN_TEST(test_command_pipes_and_status);
	RUN_TEST(test_builtin_command);
	RUN_TEST(test_reap_while_running);
	RUN_TEST(test_environment_is_exactly_given);
	RUN_TEST(test_argv);
	RUN_TEST(test_signals_reset);
	RUN_TEST(test_no_stray_fds_and_new_session);
	RUN_TEST(test_home_directory);
	RUN_TEST(test_killed_by_signal);
	RUN_TEST(test_signal_request);
	RUN_TEST(test_exec_failures);
	RUN_TEST(test_change_user);
	RUN_TEST(test_signal_names);
	RUN_TEST(test_build_env);
	RUN_TEST(test_drop_privileges);
	return check_report();
}
