/* Running a user's command for an SSH session (RFC 4254 §6.5 "shell", "exec", "subsystem";
 * §6.10 exit status and signal names), with the clean environment and privilege changes that
 * OpenSSH's sshd applies. Process plumbing only: the pipes are handed to the caller's loop. */
#ifndef FERRY_TRANSFER_EXEC_H
#define FERRY_TRANSFER_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

/* What to run and as whom. Every pointer is borrowed for the duration of exec_spawn. */
struct exec_request {
	const char *user;       /* account name (initgroups, messages) */
	uid_t uid;
	gid_t gid;
	const char *home;       /* the working directory; "/" if it cannot be entered */
	const char *shell;      /* absolute path of the login shell */
	const char *command;    /* run as `shell -c command`; NULL = the shell reading commands
				 * from stdin, started as a login shell (argv[0] "-" + its name) */
	char *const *env;       /* NAME=VALUE, NULL-terminated: the whole environment (see
				 * exec_build_env); NULL = an empty environment */
	bool change_user;       /* only when running as root: initgroups, setgid, setuid in the
				 * child before exec, each checked, and setuid(0) must then fail */
	/* A built-in command (ferryd's own SFTP server, scp sink/source): when set, the child
	 * calls builtin(builtin_arg) with stdin/stdout/stderr on the pipes, in the working
	 * directory, instead of running the shell, and exits with its return value (0..255).
	 * Everything else above applies as for a shell. */
	int (*builtin)(void *arg);
	void *builtin_arg;
};

/* A running command. Every fd is close-on-exec in this process and blocking (the loop makes
 * them non-blocking as it needs to). */
struct exec_child {
	pid_t pid;
	int pidfd;              /* readable once the process has exited (io_poll_readable) */
	int fd_in;              /* write end of the command's stdin */
	int fd_out;             /* read end of its stdout */
	int fd_err;             /* read end of its stderr */
};

/* Starts r->shell for r in a new process: a new session (setsid), stdin/stdout/stderr from
 * three pipes, working directory r->home (falling back to "/" with a note on the command's
 * stderr, as sshd does), every signal disposition default and no signal blocked (ferry's
 * ignored SIGPIPE is not inherited), every other fd closed, user and groups changed when
 * r->change_user. argv is {"-NAME"} for a shell with no command and {"NAME", "-c", command}
 * otherwise, NAME being the shell's base name.
 *
 * Returns 0 with *out filled once the command is running (execve succeeded), the caller then
 * owning out's four fds and the duty to reap the child (exec_reap). If the child fails before
 * execve (privileges, execve itself), it has been reaped already and the error is returned:
 * FERRY_EPERM (a privilege step failed), FERRY_ENOENT (no such shell), FERRY_EIO or
 * FERRY_ENOMEM, with a message in *errmsg if errmsg is not NULL (caller frees; NULL when
 * there is nothing to add, as for FERRY_EINVAL or FERRY_ENOMEM) such as
 * "exec /bin/nosuch: No such file or directory". Nothing in *out on failure. */
int exec_spawn(const struct exec_request *r, struct exec_child *out, char **errmsg)
	FERRY_MUST_USE;

/* Reaps c (waitpid WNOHANG), normally after c->pidfd turned readable. Returns FERRY_EAGAIN if
 * the process is still running (also when it is only stopped). On 0: it exited with
 * *exit_status (0..255) and *signal_no 0, or was killed by *signal_no with *core telling
 * whether it dumped core (*exit_status then 0). c->pid is then -1; the fds in c stay open
 * (the caller closes them). FERRY_EINVAL if c was reaped already, FERRY_EIO on another
 * waitpid failure. */
int exec_reap(struct exec_child *c, int *exit_status, int *signal_no, bool *core) FERRY_MUST_USE;

/* Sends sig to the command's process group (it leads one: exec_spawn calls setsid), as sshd
 * does for an RFC 4254 §6.9 "signal" request. Safe until exec_reap succeeded: an unreaped
 * child's pid cannot name anyone else. 0, FERRY_EINVAL (reaped already, or a bad signal),
 * FERRY_ENOENT (the group is gone), FERRY_EPERM. sshd refuses signals for forced-command and
 * subsystem sessions; that policy is the caller's. */
int exec_signal(const struct exec_child *c, int sig) FERRY_MUST_USE;

/* RFC 4254 §6.10 name for signal sig without the "SIG" prefix: ABRT ALRM FPE HUP ILL INT KILL
 * PIPE QUIT SEGV TERM USR1 USR2. Any other signal is "SIG@openssh.com", the one name OpenSSH's
 * sshd sends for them (the RFC allows "name@domain" extensions). Never NULL; static. */
const char *exec_signal_name(int sig);
/* The signal for an RFC 4254 §6.9 "signal" request name (one of the thirteen above, exactly
 * as written there), or 0 if the name is not one of them. */
int exec_signal_number(const char *name);

/* What goes into a session's environment (exec_build_env). Strings are borrowed. */
struct exec_env_info {
	const char *user;
	uid_t uid;              /* 0 selects the superuser PATH */
	const char *home;
	const char *shell;
	const char *peer_ip;    /* the client's address, as text ("192.0.2.1", "2001:db8::1") */
	int peer_port;
	const char *local_ip;   /* the address the client connected to */
	int local_port;
	const char *original_command; /* SSH_ORIGINAL_COMMAND when a forced command replaced
				       * the client's; NULL = not set */
};

/* The PATH sshd gives ordinary users and root (Debian's build of OpenSSH). */
#define EXEC_PATH_USER "/usr/local/bin:/usr/bin:/bin:/usr/games"
#define EXEC_PATH_ROOT "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Builds the clean environment of a session, as a NULL-terminated array of "NAME=VALUE"
 * strings, in this order:
 *   USER, LOGNAME (both the user), HOME, PATH (EXEC_PATH_ROOT for uid 0, else
 *   EXEC_PATH_USER), MAIL (/var/mail/USER), SHELL, TZ (only if ferryd itself has TZ set),
 *   SSH_CLIENT "PEER_IP PEER_PORT LOCAL_PORT", SSH_CONNECTION "PEER_IP PEER_PORT LOCAL_IP
 *   LOCAL_PORT", SSH_ORIGINAL_COMMAND (if info->original_command),
 * then extra[0..nextra): caller-supplied NAME=VALUE pairs (accepted "env" requests,
 * authorized_keys environment="..."), in order. A pair whose NAME is one of the fixed names
 * above is dropped (the fixed value stands); a NAME given twice among the extras keeps the
 * later value, in the earlier one's place; an entry without "=" or with an empty NAME is
 * dropped. Nothing else of ferryd's own environment is passed on.
 * *out on success: caller frees with exec_env_free. FERRY_EINVAL for missing fields,
 * FERRY_ENOMEM. */
int exec_build_env(const struct exec_env_info *info, char *const *extra, size_t nextra,
		   char ***out) FERRY_MUST_USE;
/* Frees an environment from exec_build_env. Accepts NULL. */
void exec_env_free(char **env);

/* For the whole connection process after authentication when ferryd runs as root:
 * initgroups(user, gid), setresgid(gid), setresuid(uid), then checks that the real, effective
 * and saved ids are uid and gid and, unless uid is 0, that setuid(0) and setgid(0) now fail.
 * Returns 0 or FERRY_EPERM (logged with the step that failed); after FERRY_EPERM the process
 * must not run anything for the user. */
int exec_drop_privileges(uid_t uid, gid_t gid, const char *user) FERRY_MUST_USE;

#endif
