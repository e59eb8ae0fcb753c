/* libFuzzer target: the SFTP server's request parser (proto/sftp-server.c) and, behind it, the
 * executor (transfer/sftp-fs.c), jailed to a small tree (a file, a directory, a symlink inside
 * and one leading out) with at most 8 handles. Input: one byte whose low 7 bits choose where
 * the rest is cut into pieces and whose top bit picks the mode, then the client's byte stream
 * after SSH_FXP_INIT (the harness sends INIT first).
 *   top bit clear: read-only (-R) on a tree made once; nothing on disk changes between runs.
 *   top bit set: writable, on a fresh tree made for the run and removed after it, with files
 *   capped at 1 MiB (RLIMIT_FSIZE) so no run can fill the disk or copy for long.
 * Checks the parser's and executor's promises: paths hold no NUL, a malformed request says
 * why, every request gets exactly one reply, with its id (ASan checks that borrowed bytes are
 * read within bounds). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/text.h"
#include "proto/sftp-server.h"
#include "transfer/sftp-fs.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PROMISE(cond) do { if (!(cond)) abort(); } while (0)

/* Made once, only read afterwards: the read-only tree, and the parent of the writable runs. */
static char base[] = "/tmp/ferry-fuzz-sftp.XXXXXX";
static char *ro_tree;
static char *rw_parent;
static unsigned long run_count;

static bool make_file(const char *dir, const char *rel, const char *text)
{
	char *p = str_printf("%s/%s", dir, rel);
	FILE *f = p ? fopen(p, "w") : NULL;
	bool ok = f != NULL && fputs(text, f) >= 0;
	if (f && fclose(f) != 0)
		ok = false;
	free(p);
	return ok;
}

/* The tree every run sees: file, dir/inner, dir/link -> ../file, out -> /etc. */
static bool make_tree(const char *dir)
{
	char *d = str_printf("%s/dir", dir), *l1 = str_printf("%s/dir/link", dir),
	     *l2 = str_printf("%s/out", dir);
	bool ok = d && l1 && l2 && mkdir(dir, 0755) == 0 && mkdir(d, 0755) == 0 &&
		  symlink("../file", l1) == 0 && symlink("/etc", l2) == 0 &&
		  make_file(dir, "file", "the quick brown fox jumps over the lazy dog\n") &&
		  make_file(dir, "dir/inner", "inner\n");
	free(d);
	free(l1);
	free(l2);
	return ok;
}

/* A run may have taken permissions away: give directories back to their owner first. */
static int unlock_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	if (flag == FTW_D || flag == FTW_DNR)
		(void)chmod(path, 0700);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)remove(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	(void)nftw(dir, unlock_one, 16, FTW_PHYS);
	(void)nftw(dir, remove_one, 16, FTW_PHYS | FTW_DEPTH);
}

static void remove_all(void)
{
	remove_tree(base);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *lvl = getenv("FERRY_FUZZ_LOG");
	enum flog_level level = FLOG_QUIET;
	struct rlimit fsize = { 1u << 20, 1u << 20 };
	if (lvl == NULL || flog_level_parse(lvl, &level) != 0)
		level = FLOG_QUIET;
	flog_set_level(level);
	if (mkdtemp(base) == NULL) {
		perror("fuzz_sftp_server: mkdtemp");
		abort();
	}
	ro_tree = str_printf("%s/ro", base);
	rw_parent = str_printf("%s/rw", base);
	if (ro_tree == NULL || rw_parent == NULL || !make_tree(ro_tree) || mkdir(rw_parent, 0755) != 0) {
		perror("fuzz_sftp_server: tree set-up");
		abort();
	}
	atexit(remove_all);
	if (setrlimit(RLIMIT_FSIZE, &fsize) != 0) {
		perror("fuzz_sftp_server: RLIMIT_FSIZE");
		abort();
	}
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
	struct sftp_fs_options opts = { .max_handles = 8, .user = "fuzz", .home = "/" };
	struct sftp_server_config cfg = { .check_file = true };
	struct sftp_server *srv = NULL;
	struct sftp_fs *fs = NULL;
	char *run_dir = NULL;

	if (size == 0)
		return 0;
	bool writable = data[0] & 0x80;
	size_t piece = data[0] & 0x7f;
	data++;
	size--;
	if (writable) {
		/* Writes past 1 MiB fail with EFBIG rather than raise SIGXFSZ (libFuzzer installs
		 * its own handler after LLVMFuzzerInitialize, so this is set per run). */
		signal(SIGXFSZ, SIG_IGN);
		run_dir = str_printf("%s/%lu", rw_parent, run_count++);
		if (run_dir == NULL || !make_tree(run_dir))
			abort();
		opts.jail_dir = run_dir;
	} else {
		opts.jail_dir = ro_tree;
		opts.read_only = true;
	}
	if (sftp_fs_new(&opts, &fs) != 0)
		abort();
	cfg.hidden_ops = sftp_fs_hidden_ops(fs);
	if (sftp_server_new(&cfg, &srv) != 0)
		goto out;
	if (sftp_server_input(srv, init, sizeof(init)) != 0 || !drain(srv, fs))
		goto out;
	sftp_server_output_consume(srv, sftp_server_output_len(srv));
	/* Pieces of `piece` bytes (0: all at once) through the zero-copy input path. */
	if (piece == 0)
		piece = size;
	for (size_t pos = 0; pos < size;) {
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
	if (run_dir != NULL)
		remove_tree(run_dir);
	free(run_dir);
	return 0;
}
