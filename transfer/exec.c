/* Running a user's command for an SSH session (RFC 4254 §6.5, §6.9, §6.10): fork, privilege
 * change, clean environment and pipes, as OpenSSH's sshd does it; see transfer/exec.h. */
#include "transfer/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"

/* ---- signal names (RFC 4254 §6.10) ---- */

static const struct {
	int sig;
	const char *name;
} exec_signals[] = {
	/* RFC 4254 §6.10: the signal names, "without the 'SIG' prefix". */
	{ SIGABRT, "ABRT" }, { SIGALRM, "ALRM" }, { SIGFPE, "FPE" },   { SIGHUP, "HUP" },
	{ SIGILL, "ILL" },   { SIGINT, "INT" },   { SIGKILL, "KILL" }, { SIGPIPE, "PIPE" },
	{ SIGQUIT, "QUIT" }, { SIGSEGV, "SEGV" }, { SIGTERM, "TERM" }, { SIGUSR1, "USR1" },
	{ SIGUSR2, "USR2" },
};

#define N_EXEC_SIGNALS (sizeof(exec_signals) / sizeof(exec_signals[0]))

const char *exec_signal_name(int sig)
{
	for (size_t i = 0; i < N_EXEC_SIGNALS; i++)
		if (exec_signals[i].sig == sig)
			return exec_signals[i].name;
	/* RFC 4254 §6.10 allows "sig-name@xyz" for other signals; OpenSSH's clients know the
	 * one its sshd sends for every signal outside the list. */
	return "SIG@openssh.com";
}

int exec_signal_number(const char *name)
{
	if (name == NULL)
		return 0;
	for (size_t i = 0; i < N_EXEC_SIGNALS; i++)
		if (strcmp(exec_signals[i].name, name) == 0)
			return exec_signals[i].sig;
	return 0;
}

/* ---- privileges ---- */

enum exec_step {
	STEP_NONE,
	STEP_SETSID,
	STEP_INITGROUPS,
	STEP_SETGID,
	STEP_SETUID,
	STEP_CHECK_IDS,
	STEP_REGAIN_ROOT,
	STEP_FDS,
	STEP_EXEC,
};

/* Changes to uid/gid for good and checks the change. Calls nothing that logs, so the child of
 * exec_spawn can use it; returns the step that failed (STEP_NONE on success) with errno's
 * value in *err (0 when a check failed rather than a call). */
static enum exec_step ids_change(uid_t uid, gid_t gid, const char *user, int *err)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	*err = 0;
	if (initgroups(user, gid) != 0) {
		*err = errno;
		return STEP_INITGROUPS;
	}
	/* Groups first: once the uid is no longer 0 the gid cannot be changed. */
	if (setresgid(gid, gid, gid) != 0) {
		*err = errno;
		return STEP_SETGID;
	}
	if (setresuid(uid, uid, uid) != 0) {
		*err = errno;
		return STEP_SETUID;
	}
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0) {
		*err = errno;
		return STEP_CHECK_IDS;
	}
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid || sg != gid)
		return STEP_CHECK_IDS;
	/* A change that could be undone is no change: with every id dropped, root must be out
	 * of reach. */
	if (uid != 0 && (setuid(0) != -1 || seteuid(0) != -1))
		return STEP_REGAIN_ROOT;
	if (uid != 0 && gid != 0 && (setgid(0) != -1 || setegid(0) != -1))
		return STEP_REGAIN_ROOT;
	return STEP_NONE;
}

static const char *step_text(enum exec_step step)
{
	switch (step) {
	case STEP_SETSID:
		return "setsid";
	case STEP_INITGROUPS:
		return "initgroups";
	case STEP_SETGID:
		return "setgid";
	case STEP_SETUID:
		return "setuid";
	case STEP_CHECK_IDS:
		return "user and group ids not as set";
	case STEP_REGAIN_ROOT:
		return "was able to regain root privileges";
	case STEP_FDS:
		return "setting up stdin, stdout and stderr";
	case STEP_EXEC:
		return "exec";
	default:
		return "?";
	}
}

int exec_drop_privileges(uid_t uid, gid_t gid, const char *user)
{
	int rc = 0, err = 0;
	if (user == NULL) {
		rc = FERRY_EINVAL;
		goto out;
	}
	enum exec_step step = ids_change(uid, gid, user, &err);
	if (step != STEP_NONE) {
		log_error("cannot change to user %s (uid %lu, gid %lu): %s%s%s", user,
			  (unsigned long)uid, (unsigned long)gid, step_text(step), err ? ": " : "",
			  err ? strerror(err) : "");
		rc = FERRY_EPERM;
		goto out;
	}
	log_debug1("changed to user %s (uid %lu, gid %lu)", user, (unsigned long)uid,
		   (unsigned long)gid);
out:
	return rc;
}

/* ---- the environment ---- */

static const char *const exec_fixed_names[] = {
	"USER", "LOGNAME", "HOME", "PATH", "MAIL", "SHELL", "TZ",
	"SSH_CLIENT", "SSH_CONNECTION", "SSH_ORIGINAL_COMMAND",
};

/* Length of the NAME in "NAME=VALUE", or 0 if s has no '=' or an empty name. */
static size_t env_name_len(const char *s)
{
	const char *eq = strchr(s, '=');
	return eq == NULL ? 0 : (size_t)(eq - s);
}

static bool env_is_fixed(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(exec_fixed_names) / sizeof(exec_fixed_names[0]); i++)
		if (strlen(exec_fixed_names[i]) == n && memcmp(exec_fixed_names[i], s, n) == 0)
			return true;
	return false;
}

void exec_env_free(char **env)
{
	if (env == NULL)
		return;
	for (size_t i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* Appends s (already allocated, or NULL when that failed) to env. */
static int env_append(char **env, size_t *n, char *s)
{
	if (s == NULL)
		return FERRY_ENOMEM;
	env[(*n)++] = s;
	return 0;
}

int exec_build_env(const struct exec_env_info *info, char *const *extra, size_t nextra,
		   char ***out)
{
	int rc = 0;
	char **env = NULL;
	size_t n = 0;
	const size_t fixed_max = sizeof(exec_fixed_names) / sizeof(exec_fixed_names[0]);

	if (info == NULL || out == NULL || info->user == NULL || info->home == NULL ||
	    info->shell == NULL || info->peer_ip == NULL || info->local_ip == NULL ||
	    (nextra > 0 && extra == NULL)) {
		rc = FERRY_EINVAL;
		goto out;
	}
	if (nextra > (SIZE_MAX / sizeof(*env)) - fixed_max - 1) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	env = calloc(fixed_max + nextra + 1, sizeof(*env));
	if (env == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	const char *tz = getenv("TZ");
	if ((rc = env_append(env, &n, str_printf("USER=%s", info->user))) < 0 ||
	    (rc = env_append(env, &n, str_printf("LOGNAME=%s", info->user))) < 0 ||
	    (rc = env_append(env, &n, str_printf("HOME=%s", info->home))) < 0 ||
	    (rc = env_append(env, &n, str_printf("PATH=%s", info->uid == 0 ? EXEC_PATH_ROOT
									     : EXEC_PATH_USER))) < 0 ||
	    (rc = env_append(env, &n, str_printf("MAIL=/var/mail/%s", info->user))) < 0 ||
	    (rc = env_append(env, &n, str_printf("SHELL=%s", info->shell))) < 0 ||
	    (tz != NULL && (rc = env_append(env, &n, str_printf("TZ=%s", tz))) < 0) ||
	    (rc = env_append(env, &n, str_printf("SSH_CLIENT=%s %d %d", info->peer_ip,
						      info->peer_port, info->local_port))) < 0 ||
	    (rc = env_append(env, &n, str_printf("SSH_CONNECTION=%s %d %s %d", info->peer_ip,
						      info->peer_port, info->local_ip,
						      info->local_port))) < 0 ||
	    (info->original_command != NULL &&
	     (rc = env_append(env, &n, str_printf("SSH_ORIGINAL_COMMAND=%s",
						  info->original_command))) < 0))
		goto out;
	size_t nfixed = n;
	for (size_t i = 0; i < nextra; i++) {
		const char *e = extra[i];
		size_t len = e != NULL ? env_name_len(e) : 0;
		if (len == 0) {
			log_debug2("session environment: dropping an entry with no name");
			continue;
		}
		if (env_is_fixed(e, len)) {
			/* The names set above are ferryd's to say (fixed names only, no peer text
			 * of unknown shape reaches the log). */
			log_debug2("session environment: keeping the fixed %.*s", (int)len, e);
			continue;
		}
		char *copy = strdup(e);
		if (copy == NULL) {
			rc = FERRY_ENOMEM;
			goto out;
		}
		/* A name already set by an earlier extra takes the later value in its place. */
		size_t j;
		for (j = nfixed; j < n; j++)
			if (env_name_len(env[j]) == len && memcmp(env[j], e, len) == 0)
				break;
		if (j < n) {
			free(env[j]);
			env[j] = copy;
		} else {
			env[n++] = copy;
		}
	}
	env[n] = NULL;
	*out = env;
	env = NULL;
out:
	exec_env_free(env);
	return rc;
}

/* ---- spawning ---- */

/* What the child reports through its status pipe when it cannot reach execve. */
struct exec_report {
	int step;
	int err;
};

/* Concatenates NULL-terminated parts into buf (truncating); for the child, where formatting
 * functions that might allocate are best avoided. */
static size_t child_concat(char *buf, size_t size, const char *const *parts)
{
	size_t n = 0;
	for (size_t i = 0; parts[i] != NULL; i++)
		for (const char *p = parts[i]; *p != '\0' && n + 1 < size; p++)
			buf[n++] = *p;
	buf[n] = '\0';
	return n;
}

static void child_report(int fd, enum exec_step step, int err)
{
	struct exec_report rep = { .step = (int)step, .err = err };
	ssize_t w;
	do
		w = write(fd, &rep, sizeof(rep));
	while (w < 0 && errno == EINTR);
	_exit(127);
}

/* Closes every fd from lowfd up. */
static void child_close_from(unsigned lowfd)
{
	if (syscall(SYS_close_range, lowfd, ~0u, 0) == 0)
		return;
	struct rlimit rl;
	unsigned long max = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < 1048576)
		max = (unsigned long)rl.rlim_cur;
	for (unsigned long fd = lowfd; fd < max; fd++)
		(void)close((int)fd);
}

/* The child's side of exec_spawn; never returns. fds: the child's ends of stdin, stdout,
 * stderr, then the status pipe's write end. */
static void __attribute__((noreturn))
child_run(const struct exec_request *r, const char *shell, char *const *argv, const int fds[4])
{
	int err = 0;
	int report = fds[3];

	if (setsid() < 0)
		child_report(report, STEP_SETSID, errno);

	/* Signal dispositions: ferry ignores SIGPIPE and may have handlers; the command starts
	 * with every signal at its default. The mask is cleared just before execve. */
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		(void)sigaction(sig, &sa, NULL); /* EINVAL for the C library's own: fine */
	}

	if (r->change_user) {
		enum exec_step step = ids_change(r->uid, r->gid, r->user, &err);
		if (step != STEP_NONE)
			child_report(report, step, err);
	}

	/* Move the four ends above 3 first, so that no dup2 below lands on one of them. */
	int high[4];
	for (int i = 0; i < 4; i++) {
		high[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 4);
		if (high[i] < 0)
			child_report(report, STEP_FDS, errno);
	}
	report = high[3];
	for (int i = 0; i < 3; i++)
		if (dup2(high[i], i) < 0)
			child_report(report, STEP_FDS, errno);
	if (dup3(high[3], 3, O_CLOEXEC) < 0)
		child_report(report, STEP_FDS, errno);
	report = 3;
	child_close_from(4);

	const char *home = r->home != NULL && r->home[0] != '\0' ? r->home : "/";
	if (chdir(home) != 0) {
		/* As sshd: say so on the command's stderr and go on from "/". */
		char msg[PATH_MAX + 128];
		const char *parts[] = { "Could not chdir to home directory ", home, ": ",
					strerror(errno), "\n", NULL };
		size_t n = child_concat(msg, sizeof(msg), parts);
		ssize_t w = write(2, msg, n);
		(void)w;
		if (chdir("/") != 0)
			child_report(report, STEP_FDS, errno);
	}

	sigset_t none;
	sigemptyset(&none);
	(void)sigprocmask(SIG_SETMASK, &none, NULL);

	if (r->builtin != NULL) {
		/* Closing the status pipe tells the parent the command is running. */
		close(report);
		int rc = r->builtin(r->builtin_arg);
		fflush(NULL);
		_exit(rc & 0xff);
	}
	static char *const empty_env[] = { NULL };
	execve(shell, argv, r->env != NULL ? r->env : empty_env);
	child_report(report, STEP_EXEC, errno);
	_exit(127); /* not reached */
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++) {
		if (p[i] >= 0)
			close(p[i]);
		p[i] = -1;
	}
}

int exec_spawn(const struct exec_request *r, struct exec_child *out, char **errmsg)
{
	int rc = 0;
	int in[2] = { -1, -1 }, outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, st[2] = { -1, -1 };
	char *argv0 = NULL;
	char *msg = NULL;
	pid_t pid = -1;
	int pidfd = -1;

	if (r == NULL || out == NULL || r->user == NULL ||
	    (r->change_user && r->user[0] == '\0')) {
		rc = FERRY_EINVAL;
		goto out;
	}
	/* As sshd: an account with no shell set gets /bin/sh. */
	const char *shell = r->shell != NULL && r->shell[0] != '\0' ? r->shell : "/bin/sh";
	const char *base = strrchr(shell, '/');
	base = base != NULL ? base + 1 : shell;
	/* A shell with no command is a login shell: "-" before its name tells it so. */
	argv0 = r->command == NULL ? str_printf("-%s", base) : strdup(base);
	if (argv0 == NULL) {
		rc = FERRY_ENOMEM;
		goto out;
	}
	char *argv[4] = { argv0, NULL, NULL, NULL };
	if (r->command != NULL) {
		argv[1] = (char *)"-c";
		argv[2] = (char *)(uintptr_t)r->command;
	}

	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0 ||
	    pipe2(errp, O_CLOEXEC) != 0 || pipe2(st, O_CLOEXEC) != 0) {
		int e = errno;
		rc = ferry_from_errno(e);
		msg = str_printf("pipe: %s", strerror(e));
		goto out;
	}
	fflush(NULL); /* buffered output must not be written twice */
	pid = fork();
	if (pid < 0) {
		int e = errno;
		rc = ferry_from_errno(e);
		msg = str_printf("fork: %s", strerror(e));
		goto out;
	}
	if (pid == 0) {
		const int fds[4] = { in[0], outp[1], errp[1], st[1] };
		child_run(r, shell, argv, fds);
	}
	/* The child's ends are its alone now. */
	close(in[0]);
	in[0] = -1;
	close(outp[1]);
	outp[1] = -1;
	close(errp[1]);
	errp[1] = -1;
	close(st[1]);
	st[1] = -1;

	/* End of file on the status pipe: its close-on-exec end went away with a successful
	 * execve. A report: the child stopped before that and is exiting. */
	struct exec_report rep;
	ssize_t got;
	do
		got = read(st[0], &rep, sizeof(rep));
	while (got < 0 && errno == EINTR);
	if (got != 0) {
		int status;
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		pid = -1;
		if (got != (ssize_t)sizeof(rep)) {
			rc = FERRY_EIO;
			msg = str_printf("the command's process failed before it started");
			goto out;
		}
		enum exec_step step = (enum exec_step)rep.step;
		if (step == STEP_EXEC) {
			rc = rep.err == ENOENT || rep.err == ENOTDIR ? FERRY_ENOENT
			     : rep.err == EACCES || rep.err == EPERM ? FERRY_EPERM
								     : ferry_from_errno(rep.err);
			msg = str_printf("exec %s: %s", shell, strerror(rep.err));
		} else {
			bool priv = step == STEP_INITGROUPS || step == STEP_SETGID ||
				    step == STEP_SETUID || step == STEP_CHECK_IDS ||
				    step == STEP_REGAIN_ROOT;
			rc = priv ? FERRY_EPERM : FERRY_EIO;
			if (priv)
				msg = str_printf("cannot change to user %s (uid %lu, gid %lu): %s%s%s",
						 r->user, (unsigned long)r->uid, (unsigned long)r->gid,
						 step_text(step), rep.err ? ": " : "",
						 rep.err ? strerror(rep.err) : "");
			else
				msg = str_printf("%s: %s", step_text(step), strerror(rep.err));
		}
		goto out;
	}

	/* The pid cannot be reused before we reap it, so this names our child. */
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		int e = errno;
		rc = ferry_from_errno(e);
		msg = str_printf("pidfd_open: %s", strerror(e));
		goto out;
	}
	log_debug2("started %s for %s as pid %ld", shell, r->user, (long)pid);
	out->pid = pid;
	out->pidfd = pidfd;
	out->fd_in = in[1];
	out->fd_out = outp[0];
	out->fd_err = errp[0];
	in[1] = outp[0] = errp[0] = -1;
	pid = -1;
out:
	if (pid > 0) {
		/* Started but unusable without its pidfd: stop it. */
		int status;
		(void)kill(pid, SIGKILL);
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	close_pair(in);
	close_pair(outp);
	close_pair(errp);
	close_pair(st);
	free(argv0);
	if (rc < 0 && errmsg != NULL) {
		*errmsg = msg;
		msg = NULL;
	}
	free(msg);
	return rc;
}

int exec_signal(const struct exec_child *c, int sig)
{
	int rc = 0;
	if (c == NULL || c->pid <= 0 || sig <= 0 || sig >= NSIG) {
		rc = FERRY_EINVAL;
		goto out;
	}
	/* Never kill(-1, ...) or kill(0, ...): the pid is checked above. */
	if (killpg(c->pid, sig) != 0)
		rc = errno == ESRCH ? FERRY_ENOENT : errno == EPERM ? FERRY_EPERM : FERRY_EINVAL;
out:
	return rc;
}

int exec_reap(struct exec_child *c, int *exit_status, int *signal_no, bool *core)
{
	int rc = 0, status = 0;
	pid_t got;

	if (c == NULL || c->pid <= 0 || exit_status == NULL || signal_no == NULL || core == NULL) {
		rc = FERRY_EINVAL;
		goto out;
	}
	do
		got = waitpid(c->pid, &status, WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got == 0) {
		rc = FERRY_EAGAIN;
		goto out;
	}
	if (got < 0) {
		rc = errno == ECHILD ? FERRY_EINVAL : FERRY_EIO;
		goto out;
	}
	if (WIFEXITED(status)) {
		*exit_status = WEXITSTATUS(status);
		*signal_no = 0;
		*core = false;
	} else if (WIFSIGNALED(status)) {
		*exit_status = 0;
		*signal_no = WTERMSIG(status);
		*core = WCOREDUMP(status) != 0;
	} else {
		rc = FERRY_EAGAIN; /* not an end (waitpid without WUNTRACED reports only ends) */
		goto out;
	}
	c->pid = -1;
out:
	return rc;
}
