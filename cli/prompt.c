/* Prompts on the controlling terminal, or through SSH_ASKPASS as OpenSSH's ssh does. */
#include "cli/prompt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define LINE_MAX_LEN 1024

bool prompt_have_tty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static char *read_tty_line(const char *prompt, bool echo)
{
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct termios old, t;
	bool restore = false;
	if (!echo && tcgetattr(fd, &old) == 0) {
		t = old;
		t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		restore = tcsetattr(fd, TCSAFLUSH, &t) == 0;
	}
	if (write(fd, prompt, strlen(prompt)) < 0) {
		/* nothing to do: the read below still works */
	}
	char *line = calloc(1, LINE_MAX_LEN);
	size_t n = 0;
	bool ok = false;
	while (line && n + 1 < LINE_MAX_LEN) {
		char ch;
		ssize_t r = read(fd, &ch, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (ch == '\n' || ch == '\r') {
			ok = true;
			break;
		}
		line[n++] = ch;
	}
	if (restore) {
		tcsetattr(fd, TCSAFLUSH, &old);
		if (write(fd, "\n", 1) < 0) {
			/* cosmetic only */
		}
	}
	close(fd);
	if (!ok && line) {
		explicit_bzero(line, LINE_MAX_LEN);
		free(line);
		return NULL;
	}
	return line;
}

/* Runs SSH_ASKPASS with the prompt as its argument and reads its first line of output. */
static char *run_askpass(const char *askpass, const char *prompt)
{
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return NULL;
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return NULL;
	}
	if (pid == 0) {
		dup2(pfd[1], STDOUT_FILENO);
		execlp(askpass, askpass, prompt, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	char *line = calloc(1, LINE_MAX_LEN);
	size_t n = 0;
	while (line && n + 1 < LINE_MAX_LEN) {
		ssize_t r = read(pfd[0], line + n, LINE_MAX_LEN - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(pfd[0]);
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (line == NULL || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (line) {
			explicit_bzero(line, LINE_MAX_LEN);
			free(line);
		}
		return NULL;
	}
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

char *prompt_secret(const char *prompt)
{
	const char *askpass = getenv("SSH_ASKPASS");
	const char *require = getenv("SSH_ASKPASS_REQUIRE");
	bool force = require && strcmp(require, "force") == 0;
	bool never = require && strcmp(require, "never") == 0;
	if (!force && prompt_have_tty())
		return read_tty_line(prompt, false);
	if (askpass && *askpass && !never)
		return run_askpass(askpass, prompt);
	return NULL;
}

char *prompt_line(const char *prompt)
{
	return read_tty_line(prompt, true);
}
