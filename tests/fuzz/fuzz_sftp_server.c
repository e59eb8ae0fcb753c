/* libFuzzer target: the SFTP server's request parser (proto/sftp-server.c) and, behind it, the
 * executor (transfer/sftp-fs.c) in read-only mode, jailed to a small tree made once in a
 * temporary directory (a file, a directory, a symlink inside and one leading out), with at most
 * 8 handles. Input: one byte choosing where the rest is cut into pieces, then the client's byte
 * stream after SSH_FXP_INIT (the harness sends INIT first). Checks the parser's promises:
 * paths hold no NUL, a malformed request says why, and every request gets exactly one reply
 * with its id (ASan checks that the borrowed bytes are read within bounds). Read-only mode keeps runs independent of each other: nothing on disk
 * changes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"
#include "proto/sftp-server.h"
#include "transfer/sftp-fs.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROMISE(cond) do { if (!(cond)) abort(); } while (0)

/* Made once, only read afterwards. */
static char jail[] = "/tmp/ferry-fuzz-sftp.XXXXXX";
static char *jail_dir;

static void make_file(const char *rel, const char *text)
{
	char *p = str_printf("%s/%s", jail, rel);
	FILE *f = p ? fopen(p, "w") : NULL;
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	free(p);
}

/* Removes the tree when the fuzzer exits. */
static void remove_jail(void)
{
	static const char *const rel[] = { "dir/inner", "dir/link", "out", "file" };
	for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
		char *p = str_printf("%s/%s", jail, rel[i]);
		if (p)
			unlink(p);
		free(p);
	}
	char *d = str_printf("%s/dir", jail);
	if (d)
		rmdir(d);
	free(d);
	rmdir(jail);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *lvl = getenv("FERRY_FUZZ_LOG");
	enum flog_level level = FLOG_QUIET;
	if (lvl == NULL || flog_level_parse(lvl, &level) != 0)
		level = FLOG_QUIET;
	flog_set_level(level);
	if (mkdtemp(jail) == NULL) {
		perror("fuzz_sftp_server: mkdtemp");
		abort();
	}
	char *d = str_printf("%s/dir", jail), *l1 = str_printf("%s/dir/link", jail),
	     *l2 = str_printf("%s/out", jail);
	if (d == NULL || mkdir(d, 0755) != 0 || symlink("../file", l1) != 0 || symlink("/etc", l2) != 0) {
		perror("fuzz_sftp_server: jail set-up");
		abort();
	}
	free(d);
	free(l1);
	free(l2);
	make_file("file", "the quick brown fox jumps over the lazy dog\n");
	make_file("dir/inner", "inner\n");
	jail_dir = jail;
	atexit(remove_jail);
	return 0;
}

/* Takes requests off until more input is needed; checks each and has it answered. Returns
 * false once the session failed. */
static bool drain(struct sftp_server *srv, struct sftp_fs *fs)
{
	struct sftp_request req;
	for (;;) {
		int r = sftp_server_next_request(srv, &req);
		if (r == FERRY_EAGAIN)
			return true;
		if (r != 0) {
			PROMISE(sftp_server_error(srv) != NULL);
			return false;
		}
		PROMISE(req.path.n == 0 || memchr(req.path.p, 0, req.path.n) == NULL);
		PROMISE(req.path2.n == 0 || memchr(req.path2.p, 0, req.path2.n) == NULL);
		PROMISE(req.op != SFTP_OP_BAD || req.error != NULL);
		size_t before = sftp_server_output_len(srv);
		PROMISE(sftp_fs_execute(fs, srv, &req) == 0);
		/* One reply: its length field covers exactly what was added. */
		size_t after = sftp_server_output_len(srv);
		PROMISE(after >= before + 9);
		const uint8_t *p = sftp_server_output_ptr(srv) + before;
		uint32_t len = ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
		PROMISE((size_t)len + 4 == after - before);
		PROMISE(((uint32_t)p[5] << 24 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 8 | p[8]) == req.id);
		sftp_server_output_consume(srv, after);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t init[] = { 0, 0, 0, 5, 1, 0, 0, 0, 3 };
	struct sftp_fs_options opts = { .jail_dir = jail_dir, .read_only = true, .max_handles = 8,
					.user = "fuzz", .home = "/" };
	struct sftp_server_config cfg = { .check_file = true };
	struct sftp_server *srv = NULL;
	struct sftp_fs *fs = NULL;

	if (size == 0)
		return 0;
	if (sftp_server_new(&cfg, &srv) != 0 || sftp_fs_new(&opts, &fs) != 0)
		goto out;
	if (sftp_server_input(srv, init, sizeof(init)) != 0 || !drain(srv, fs))
		goto out;
	sftp_server_output_consume(srv, sftp_server_output_len(srv));
	unsigned cut = data[0];
	data++;
	size--;
	/* Pieces of `cut` bytes (0: all at once) through the zero-copy input path. */
	size_t pos = 0;
	size_t piece = cut ? cut : size;
	while (pos < size) {
		size_t n = size - pos < piece ? size - pos : piece;
		uint8_t *space;
		size_t room;
		if (sftp_server_input_space(srv, n, &space, &room) != 0)
			break;
		if (n > room)
			n = room;
		memcpy(space, data + pos, n);
		sftp_server_input_commit(srv, n);
		pos += n;
		if (!drain(srv, fs))
			break;
	}
out:
	sftp_fs_free(fs);
	sftp_server_free(srv);
	return 0;
}
