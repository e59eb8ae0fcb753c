/* `ferry scp-remote -t|-f ...`: the remote end of the legacy scp protocol on stdin/stdout, a
 * stand-in for OpenSSH's `scp -t` / `scp -f` (hidden; used by tests and by wrappers). */
#include "cli/commands.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "transfer/scp-fs.h"
#include "transfer/scp-serve.h"

static void print_message(void *arg, const char *text)
{
	fprintf(stderr, "%s\n", text);
}

/* `ferry scp-remote --expect PATTERN [--expect ...] -t [-rpd] target`: a sink that behaves as
 * a client's does after asking for those names (anything else arriving at the top level is
 * refused) and prints its messages as a local scp would. For tests of that refusal. */
static int scp_remote_expect(int argc, char **argv)
{
	const char **patterns = calloc((size_t)argc, sizeof(*patterns));
	struct scp_fs_sink_opts o = { .verbose_fd = -1, .message = print_message };
	size_t n = 0;
	bool tflag = false;
	int i = 1;
	int status = 1;

	if (patterns == NULL)
		return 1;
	for (; i + 1 < argc && strcmp(argv[i], "--expect") == 0; i += 2)
		patterns[n++] = argv[i + 1];
	for (; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		for (const char *p = argv[i] + 1; *p != '\0'; p++) {
			if (*p == 't')
				tflag = true;
			else if (*p == 'r')
				o.recursive = true;
			else if (*p == 'p')
				o.preserve = true;
			else if (*p == 'd')
				o.target_must_be_dir = true;
			else
				goto usage;
		}
	}
	if (!tflag || argc - i != 1)
		goto usage;
	o.target = argv[i];
	o.patterns = patterns;
	o.npatterns = n;
	status = scp_fs_sink_run(STDIN_FILENO, STDOUT_FILENO, &o) == 0 ? 0 : 1;
	goto out;
usage:
	fprintf(stderr, "usage: ferry scp-remote --expect PATTERN ... -t [-dpr] target\n");
out:
	free(patterns);
	return status;
}

int cmd_scp_remote(int argc, char **argv)
{
	char *errmsg = NULL;

	if (argc > 1 && strcmp(argv[1], "--expect") == 0)
		return scp_remote_expect(argc, argv);
	int status = scp_serve_fds(STDIN_FILENO, STDOUT_FILENO, argc, argv, &errmsg);
	if (errmsg != NULL)
		fputs(errmsg, stderr);
	free(errmsg);
	return status;
}
