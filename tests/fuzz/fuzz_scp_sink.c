/* libFuzzer target: the legacy scp protocol's sink (proto/scp.c), the line parser a hostile
 * scp source talks to. Input: one flags byte (bit 0: -r; bit 1: a client's expected names;
 * bit 2: the executor refuses every third FILE/DIR; bit 3: a write fails in every file), one
 * byte choosing where the rest is cut into pieces, then the bytes from the source. Checks the
 * sink's promises as it goes: only safe names, never more data than announced, DIR_END only
 * for an entered directory. With bit 4 set the bytes are instead a hostile sink's answers to a
 * source sending a small fixed tree (the source's answer reader). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "proto/scp.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	flog_set_level(FLOG_QUIET);
	return 0;
}

/* A broken promise is a bug in the sink: make libFuzzer report it. */
#define PROMISE(cond) do { if (!(cond)) abort(); } while (0)

struct run {
	unsigned flags;
	unsigned announced;     /* FILE and DIR requests seen, for the refusal policy */
	unsigned depth;         /* directories entered */
	bool file_open;
	uint64_t size, got;
	bool done;
};

/* Answers every request as the policy says; false once the sink is done. */
static bool drain(struct scp_sink *s, struct run *r)
{
	struct scp_sink_req req;

	for (;;) {
		int rc = scp_sink_next(s, &req);
		if (rc == FERRY_EAGAIN)
			return true;
		PROMISE(rc == 0);
		enum scp_reply ans = SCP_OK;
		switch (req.type) {
		case SCP_SINK_FILE:
		case SCP_SINK_DIR:
			PROMISE(req.name != NULL && scp_name_is_safe(req.name, strlen(req.name)));
			PROMISE(req.depth == r->depth && req.mode <= SCP_MODE_MASK);
			PROMISE(req.size <= (uint64_t)INT64_MAX);
			PROMISE(!r->file_open);
			if ((r->flags & 4) && ++r->announced % 3 == 0) {
				ans = SCP_WARN;
			} else if (req.type == SCP_SINK_FILE) {
				r->file_open = true;
				r->size = req.size;
				r->got = 0;
			} else {
				r->depth++;
			}
			break;
		case SCP_SINK_DATA:
			PROMISE(r->file_open && req.len > 0 && req.offset == r->got);
			r->got += req.len;
			PROMISE(r->got <= r->size);
			if ((r->flags & 8) && r->got > r->size / 2)
				ans = SCP_WARN;
			break;
		case SCP_SINK_FILE_END:
			PROMISE(r->file_open);
			PROMISE(!req.complete || r->got == r->size);
			r->file_open = false;
			break;
		case SCP_SINK_DIR_END:
			PROMISE(r->depth > 0 && req.depth == r->depth - 1);
			r->depth--;
			break;
		case SCP_SINK_MESSAGE:
			PROMISE(req.text != NULL);
			continue;
		case SCP_SINK_DONE:
			PROMISE(!r->file_open);
			r->done = true;
			return false;
		default:
			PROMISE(false);
		}
		PROMISE(scp_sink_next(s, &req) == FERRY_EBUSY);
		PROMISE(scp_sink_reply(s, ans, ans == SCP_OK ? NULL : "refused") == 0);
	}
}

/* Takes (and drops) what the sink wants to send, checking that each answer is well formed
 * enough to end in a byte the protocol knows. */
static void take_output(struct scp_sink *s)
{
	const uint8_t *p;
	size_t n;
	scp_sink_output(s, &p, &n);
	PROMISE(n == 0 || p[0] <= SCP_FATAL);
	scp_sink_output_consume(s, n);
}

/* A source sends: dir "d" { file "f" (5 bytes), dir "e" { file "g" (0 bytes) } }, file "h",
 * with -p, reading the answers from data in pieces; it stops at a fatal answer or EOF. */
static void fuzz_source(const uint8_t *data, size_t size, size_t piece)
{
	struct scp_source_config cfg = { .preserve = true };
	struct scp_source *src = NULL;
	struct scp_times t = { .mtime = 1, .atime = 2 };
	struct scp_source_event ev;
	size_t pos = 0;
	int step = 0;

	if (scp_source_new(&cfg, &src) != 0)
		return;
	for (int guard = 0; guard < 100000; guard++) {
		const uint8_t *p;
		size_t n;
		scp_source_output(src, &p, &n);
		scp_source_output_consume(src, n);
		int rc = scp_source_poll(src, &ev);
		if (rc == FERRY_EAGAIN) {
			if (pos == size) {
				scp_source_input_eof(src);
				continue;
			}
			n = size - pos < piece ? size - pos : piece;
			if (scp_source_input(src, data + pos, n) != 0)
				break;
			pos += n;
			continue;
		}
		if (rc != 0 || ev.reply == SCP_FATAL)
			break;
		PROMISE(ev.text != NULL);
		if (ev.reply == SCP_WARN && (ev.step == SCP_STEP_DIR || ev.step == SCP_STEP_FILE)) {
			/* refused: skip it (a refused directory is not entered, so skip its E) */
			if (step == 1)
				step = 6;
			else if (step == 2 || step == 4)
				step++;
		}
		switch (step++) {
		case 0: rc = scp_source_dir(src, "d", 0755, &t); break;
		case 1: rc = scp_source_file(src, "f", 0644, 5, &t); break;
		case 2: rc = scp_source_data(src, (const uint8_t *)"hello", 5);
			if (rc == 0)
				rc = scp_source_file_end(src, NULL);
			break;
		case 3: rc = scp_source_dir(src, "e", 0700, NULL); break;
		case 4: rc = scp_source_file(src, "g", 0600, 0, NULL); break;
		case 5: rc = scp_source_file_end(src, "g: read error"); break;
		case 6: rc = scp_source_dir_end(src); break;
		case 7: rc = scp_source_dir_end(src); break;
		case 8: rc = scp_source_file(src, "h", 0644, 0, &t); break;
		default: rc = -1; break;
		}
		if (rc != 0)
			break;
	}
	scp_source_free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const pats[] = { "wanted*", "x" };
	struct scp_sink *s = NULL;
	struct run r = { 0 };

	if (size < 2)
		return 0;
	r.flags = data[0];
	unsigned cut = data[1];
	data += 2;
	size -= 2;
	if (r.flags & 16) {
		fuzz_source(data, size, cut == 0 ? size + 1 : 1 + cut % 64);
		return 0;
	}
	struct scp_sink_config cfg = {
		.recursive = r.flags & 1,
		.patterns = (r.flags & 2) ? pats : NULL,
		.npatterns = (r.flags & 2) ? 2 : 0,
	};
	if (scp_sink_new(&cfg, &s) != 0)
		return 0;
	/* Pieces of 1 + cut % 64 bytes (cut 0: all at once): lines and data split anywhere. */
	size_t piece = cut == 0 ? size : 1 + cut % 64;
	size_t pos = 0;
	bool going = true;
	while (going && pos < size) {
		size_t n = size - pos < piece ? size - pos : piece;
		PROMISE(scp_sink_input(s, data + pos, n) == 0);
		pos += n;
		going = drain(s, &r);
		take_output(s);
	}
	if (going) {
		scp_sink_input_eof(s);
		going = drain(s, &r);
		take_output(s);
		PROMISE(!going && r.done);
	}
	scp_sink_free(s);
	return 0;
}
