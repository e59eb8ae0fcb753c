/* Unit tests for the legacy scp protocol machines (proto/scp.c): every line kind the sink
 * parses, every refusal, the source's lines and answers, both wired together, and the remote
 * command line parser (transfer/scp-serve.c). */
#include "proto/scp.h"
#include "transfer/scp-fs.h"
#include "transfer/scp-serve.h"
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --- a scripted run of the sink ----------------------------------------------------------- */

/* What a run saw: one text line per request, and every byte the sink sent. */
struct sink_run {
	char log[65536];
	size_t loglen;
	uint8_t out[8192];
	size_t outlen;
	int last_error;
	unsigned errors;
};

static void run_logf(struct sink_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void run_logf(struct sink_run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(r->log + r->loglen, sizeof(r->log) - r->loglen, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(r->log) - r->loglen)
		r->loglen += (size_t)n;
}

static void run_take_output(struct scp_sink *s, struct sink_run *r)
{
	const uint8_t *p;
	size_t n;
	scp_sink_output(s, &p, &n);
	if (n > sizeof(r->out) - r->outlen)
		n = sizeof(r->out) - r->outlen;
	memcpy(r->out + r->outlen, p, n);
	r->outlen += n;
	scp_sink_output_consume(s, n);
}

/* How the scripted executor answers: every request OK unless its name is refuse_name (a FILE
 * or DIR refused with a warning), and a DATA write fails once offset reaches fail_data_at. */
struct sink_policy {
	const char *refuse_name;
	uint64_t fail_data_at;
	bool fail_data;
};

/* Runs the sink over input handed in pieces of chunk bytes (0: all at once), then EOF. */
static void sink_script(const struct scp_sink_config *cfg, const struct sink_policy *pol,
			const void *input, size_t len, size_t chunk, struct sink_run *r)
{
	struct scp_sink *s = NULL;
	const uint8_t *in = input;
	size_t pos = 0;
	bool eof = false;
	struct sink_policy none = { 0 };

	memset(r, 0, sizeof(*r));
	if (pol == NULL)
		pol = &none;
	CHECK_OK(scp_sink_new(cfg, &s));
	if (s == NULL)
		return;
	for (int guard = 0; guard < 100000; guard++) {
		struct scp_sink_req req;
		run_take_output(s, r);
		int rc = scp_sink_next(s, &req);
		if (rc == FERRY_EAGAIN) {
			if (pos < len) {
				size_t n = chunk == 0 || chunk > len - pos ? len - pos : chunk;
				CHECK_OK(scp_sink_input(s, in + pos, n));
				pos += n;
			} else if (!eof) {
				scp_sink_input_eof(s);
				eof = true;
			} else {
				run_logf(r, "STUCK\n");
				break;
			}
			continue;
		}
		CHECK_OK(rc);
		if (rc != 0)
			break;
		enum scp_reply ans = SCP_OK;
		const char *msg = NULL;
		switch (req.type) {
		case SCP_SINK_FILE:
			run_logf(r, "FILE %s %04o %llu", req.name, (unsigned)req.mode,
				 (unsigned long long)req.size);
			if (req.has_times)
				run_logf(r, " T%lld/%lld", (long long)req.times.mtime,
					 (long long)req.times.atime);
			run_logf(r, " @%u\n", req.depth);
			if (pol->refuse_name && strcmp(req.name, pol->refuse_name) == 0) {
				ans = SCP_WARN;
				msg = "refused";
			}
			break;
		case SCP_SINK_DATA:
			run_logf(r, "DATA %llu+%zu '%.*s'\n", (unsigned long long)req.offset, req.len,
				 (int)(req.len < 16 ? req.len : 16), (const char *)req.data);
			if (pol->fail_data && req.offset + req.len > pol->fail_data_at) {
				ans = SCP_WARN;
				msg = "x: No space left on device";
			}
			break;
		case SCP_SINK_FILE_END:
			run_logf(r, "END %s %s", req.name, req.complete ? "complete" : "incomplete");
			if (req.has_times)
				run_logf(r, " T%lld/%lld", (long long)req.times.mtime,
					 (long long)req.times.atime);
			run_logf(r, "\n");
			break;
		case SCP_SINK_DIR:
			run_logf(r, "DIR %s %04o", req.name, (unsigned)req.mode);
			if (req.has_times)
				run_logf(r, " T%lld/%lld", (long long)req.times.mtime,
					 (long long)req.times.atime);
			run_logf(r, " @%u\n", req.depth);
			if (pol->refuse_name && strcmp(req.name, pol->refuse_name) == 0) {
				ans = SCP_WARN;
				msg = "refused";
			}
			break;
		case SCP_SINK_DIR_END:
			run_logf(r, "DIREND %s %04o", req.name, (unsigned)req.mode);
			if (req.has_times)
				run_logf(r, " T%lld/%lld", (long long)req.times.mtime,
					 (long long)req.times.atime);
			run_logf(r, " @%u\n", req.depth);
			break;
		case SCP_SINK_MESSAGE:
			run_logf(r, "MSG%s %s\n", req.fatal ? "!" : "", req.text);
			continue;
		case SCP_SINK_DONE:
			run_logf(r, "DONE %d%s%s\n", req.error, req.text ? " " : "",
				 req.text ? req.text : "");
			r->last_error = req.error;
			r->errors = scp_sink_errors(s);
			run_take_output(s, r);
			scp_sink_free(s);
			return;
		default:
			run_logf(r, "BAD %d\n", (int)req.type);
			break;
		}
		/* Asking again before answering is refused. */
		struct scp_sink_req again;
		CHECK_RC(scp_sink_next(s, &again), FERRY_EBUSY);
		CHECK_OK(scp_sink_reply(s, ans, msg));
	}
	run_logf(r, "LOOP\n");
	scp_sink_free(s);
}

static const struct scp_sink_config plain = { 0 };
static const struct scp_sink_config recursive = { .recursive = true };

#define SINK(input) sink_script(&plain, NULL, input, sizeof(input) - 1, 0, &r)
#define CHECK_OUT(lit) do { \
	CHECK(r.outlen == sizeof(lit) - 1); \
	CHECK_MEM(r.out, lit, sizeof(lit) - 1 < r.outlen ? sizeof(lit) - 1 : r.outlen); \
	if (r.outlen != sizeof(lit) - 1 || memcmp(r.out, lit, r.outlen) != 0) \
		fprintf(stderr, "  output was: %s\n", escape_out(&r)); \
} while (0)

static const char *escape_out(const struct sink_run *r)
{
	static char buf[4 * 8192 + 1];
	size_t j = 0;
	for (size_t i = 0; i < r->outlen && j + 5 < sizeof(buf); i++) {
		uint8_t c = r->out[i];
		if (c >= 32 && c < 127 && c != '\\')
			buf[j++] = (char)c;
		else
			j += (size_t)snprintf(buf + j, sizeof(buf) - j, "\\%o", c);
	}
	buf[j] = '\0';
	return buf;
}

static void test_sink_one_file(void)
{
	struct sink_run r;
	static const char in[] = "C0644 3 ok\nabc\0";
	/* All at once and one byte at a time give the same requests. */
	for (size_t chunk = 0; chunk <= 1; chunk++) {
		sink_script(&plain, NULL, in, sizeof(in) - 1, chunk, &r);
		if (chunk == 0) {
			CHECK_STR(r.log, "FILE ok 0644 3 @0\nDATA 0+3 'abc'\nEND ok complete\nDONE 0\n");
		} else {
			CHECK_STR(r.log, "FILE ok 0644 3 @0\nDATA 0+1 'a'\nDATA 1+1 'b'\nDATA 2+1 'c'\n"
					 "END ok complete\nDONE 0\n");
		}
		/* ready, accepted the C line, accepted the file */
		CHECK_OUT("\0\0\0");
		CHECK(r.errors == 0);
	}
}

static void test_sink_empty_file_and_no_input(void)
{
	struct sink_run r;
	SINK("C0600 0 empty\n\0");
	CHECK_STR(r.log, "FILE empty 0600 0 @0\nEND empty complete\nDONE 0\n");
	CHECK_OUT("\0\0\0");
	/* a source with nothing to send closes at once: a clean end */
	sink_script(&plain, NULL, "", 0, 0, &r);
	CHECK_STR(r.log, "DONE 0\n");
	CHECK_OUT("\0");
}

static void test_sink_times(void)
{
	struct sink_run r;
	SINK("T1000000000 0 1100000000 0\nC0640 3 t\nabc\0C0644 1 u\nx\0");
	CHECK_STR(r.log, "FILE t 0640 3 T1000000000/1100000000 @0\nDATA 0+3 'abc'\n"
			 "END t complete T1000000000/1100000000\n"
			 "FILE u 0644 1 @0\nDATA 0+1 'x'\nEND u complete\nDONE 0\n");
	/* ready, T, C, file, C, file */
	CHECK_OUT("\0\0\0\0\0\0");
	/* microseconds are carried */
	SINK("T1 999999 2 5\nC0640 0 t\n\0");
	CHECK_STR(r.log, "FILE t 0640 0 T1/2 @0\nEND t complete T1/2\nDONE 0\n");
}

static void test_sink_bad_times(void)
{
	static const struct { const char *in; const char *why; } cases[] = {
		{ "T1000000000 0 1100000000\n", "atime.sec not delimited" },
		{ "T1000000000 1000000 1100000000 0\n", "mtime.usec out of range" },
		{ "T-5 0 -6 0\n", "mtime.sec not present" },
		{ "T 0 1 0\n", "mtime.sec not present" },
		{ "T1 0 1 0 \n", "atime.usec not delimited" },
		{ "T99999999999999999999 0 1 0\n", "mtime.sec out of range" },
		{ "T1x 0 1 0\n", "mtime.sec not delimited" },
		{ "T1 0 1 x\n", "atime.usec not present" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sink_run r;
		char want[256];
		sink_script(&plain, NULL, cases[i].in, strlen(cases[i].in), 0, &r);
		snprintf(want, sizeof(want), "DONE %d protocol error: %s\n", FERRY_EPROTO, cases[i].why);
		CHECK_STR(r.log, want);
		snprintf(want, sizeof(want), "%cscp: protocol error: %s\n", 2, cases[i].why);
		CHECK(r.outlen == 1 + strlen(want) && memcmp(r.out + 1, want, strlen(want)) == 0);
	}
}

static void test_sink_recursive(void)
{
	struct sink_run r;
	static const char in[] =
		"T1000000000 0 1100000000 0\nD0700 0 dd\n"
		"C0644 3 f\nabc\0"
		"D0555 0 ro\nC0600 1 g\nx\0E\n"
		"E\n";
	sink_script(&recursive, NULL, in, sizeof(in) - 1, 0, &r);
	CHECK_STR(r.log,
		  "DIR dd 0700 T1000000000/1100000000 @0\n"
		  "FILE f 0644 3 @1\nDATA 0+3 'abc'\nEND f complete\n"
		  "DIR ro 0555 @1\nFILE g 0600 1 @2\nDATA 0+1 'x'\nEND g complete\n"
		  "DIREND ro 0555 @1\n"
		  "DIREND dd 0700 T1000000000/1100000000 @0\nDONE 0\n");
	/* ready, T, D, C, file, D, C, file, E, E */
	CHECK_OUT("\0\0\0\0\0\0\0\0\0\0");
}

static void test_sink_directory_without_r(void)
{
	struct sink_run r;
	SINK("D0755 0 dd\nE\n");
	CHECK_STR(r.log, "DONE -5 protocol error: received directory without -r\n");
	CHECK_OUT("\0\2scp: protocol error: received directory without -r\n");
}

static void test_sink_eof_inside_directories(void)
{
	struct sink_run r;
	static const char in[] = "D0755 0 a\nD0700 0 b\nC0644 1 f\nx\0";
	sink_script(&recursive, NULL, in, sizeof(in) - 1, 0, &r);
	/* as OpenSSH's sink: the source stopping between lines is an end; the directories still
	 * get their modes */
	CHECK_STR(r.log, "DIR a 0755 @0\nDIR b 0700 @1\nFILE f 0644 1 @2\nDATA 0+1 'x'\n"
			 "END f complete\nDIREND b 0700 @1\nDIREND a 0755 @0\nDONE 0\n");
}

static void test_sink_e_at_top_ends(void)
{
	struct sink_run r;
	SINK("E\nC0644 3 afterE\nabc\0");
	CHECK_STR(r.log, "DONE 0\n");
	CHECK_OUT("\0\0");
	SINK("C0644 1 a\nx\0Exyz\n");
	CHECK_STR(r.log, "FILE a 0644 1 @0\nDATA 0+1 'x'\nEND a complete\n"
			 "DONE -5 protocol error: bad end of directory\n");
}

/* Names the sink must never create: each refused with a fatal line, nothing yielded. */
static void test_sink_refuses_unsafe_names(void)
{
	static const char *const lines[] = {
		"C0644 3 ../evil\nabc\0",
		"C0644 3 /tmp/evil\nabc\0",
		"C0644 3 a/b\nabc\0",
		"C0644 3 \nabc\0",
		"C0644 3 .\nabc\0",
		"C0644 3 ..\nabc\0",
		"C0644 3 dir/\nabc\0",
		"D0555 0 .\nE\n",
		"D0555 0 ..\nE\n",
		"D0555 0 /\nE\n",
		"D0555 0 ../up\nE\n",
	};
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		struct sink_run r;
		sink_script(&recursive, NULL, lines[i], strlen(lines[i]) + (lines[i][0] == 'C'), 0, &r);
		CHECK(strncmp(r.log, "DONE -5 error: unexpected filename: ", 36) == 0);
		CHECK(strstr(r.log, "FILE") == NULL && strstr(r.log, "DIR") == NULL);
		CHECK(r.outlen > 2 && r.out[0] == 0 && r.out[1] == 2);
		CHECK(r.outlen > 2 && memmem(r.out, r.outlen, "unexpected filename", 19) != NULL);
		if (strncmp(r.log, "DONE -5 error: unexpected filename: ", 36) != 0)
			fprintf(stderr, "  case %zu: %s", i, r.log);
	}
	/* A NUL inside the name would cut it short in C: refused. */
	struct sink_run r;
	SINK("C0644 3 nu\0l\nabc\0");
	CHECK_STR(r.log, "DONE -5 protocol error: NUL byte in a control line\n");
}

static void test_sink_patterns(void)
{
	static const char *const pats[] = { "wanted.txt", "*.log" };
	struct scp_sink_config cfg = { .patterns = pats, .npatterns = 2, .recursive = true };
	struct sink_run r;
	static const char ok[] = "C0644 1 wanted.txt\nx\0C0644 1 b.log\ny\0";
	sink_script(&cfg, NULL, ok, sizeof(ok) - 1, 0, &r);
	CHECK_STR(r.log, "FILE wanted.txt 0644 1 @0\nDATA 0+1 'x'\nEND wanted.txt complete\n"
			 "FILE b.log 0644 1 @0\nDATA 0+1 'y'\nEND b.log complete\nDONE 0\n");
	static const char bad[] = "C0644 1 wanted.txt\nx\0C0644 6 .bashrc\nevil!\n\0";
	sink_script(&cfg, NULL, bad, sizeof(bad) - 1, 0, &r);
	CHECK_STR(r.log, "FILE wanted.txt 0644 1 @0\nDATA 0+1 'x'\nEND wanted.txt complete\n"
			 "DONE -5 protocol error: filename does not match request\n");
	/* inside a requested directory any safe name is fine */
	static const char *const dirpat[] = { "tree" };
	struct scp_sink_config dcfg = { .patterns = dirpat, .npatterns = 1, .recursive = true };
	static const char tree[] = "D0755 0 tree\nC0644 1 anything\nx\0E\nD0755 0 other\nE\n";
	sink_script(&dcfg, NULL, tree, sizeof(tree) - 1, 0, &r);
	CHECK_STR(r.log, "DIR tree 0755 @0\nFILE anything 0644 1 @1\nDATA 0+1 'x'\n"
			 "END anything complete\nDIREND tree 0755 @0\n"
			 "DONE -5 protocol error: filename does not match request\n");
}

static void test_sink_modes(void)
{
	static const struct { const char *in; const char *log; } cases[] = {
		{ "C644 3 m\n", "DONE -5 protocol error: bad mode\n" },
		{ "C06444 3 m\n", "DONE -5 protocol error: mode not delimited\n" },
		{ "C0648 3 m\n", "DONE -5 protocol error: bad mode\n" },
		{ "C064a 3 m\n", "DONE -5 protocol error: bad mode\n" },
		{ "C 644 3 m\n", "DONE -5 protocol error: bad mode\n" },
		{ "C\n", "DONE -5 protocol error: bad mode\n" },
		{ "C7777 0 m\n\0", "FILE m 7777 0 @0\nEND m complete\nDONE 0\n" },
		{ "C0000 0 m\n\0", "FILE m 0000 0 @0\nEND m complete\nDONE 0\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sink_run r;
		size_t n = strlen(cases[i].in);
		if (strstr(cases[i].log, "END") != NULL)
			n++;    /* the status byte after the data */
		sink_script(&plain, NULL, cases[i].in, n, 0, &r);
		CHECK_STR(r.log, cases[i].log);
	}
}

static void test_sink_sizes(void)
{
	static const struct { const char *in; const char *log; } cases[] = {
		{ "C0644 -3 s\n", "DONE -5 protocol error: size not present\n" },
		{ "C0644 +3 s\n", "DONE -5 protocol error: size not present\n" },
		{ "C0644  3 s\n", "DONE -5 protocol error: size not present\n" },
		{ "C0644 3x s\n", "DONE -5 protocol error: size not delimited\n" },
		{ "C0644 3\n", "DONE -5 protocol error: size not delimited\n" },
		{ "C0644 9223372036854775808 s\n", "DONE -5 protocol error: size out of range\n" },
		{ "C0644 99999999999999999999999 s\n", "DONE -5 protocol error: size out of range\n" },
		{ "C0644 0x10 s\n", "DONE -5 protocol error: size not delimited\n" },
		{ "C0644 9223372036854775807 s\n",
		  "FILE s 0644 9223372036854775807 @0\nEND s incomplete\n"
		  "DONE -9 lost connection\n" },
		{ "C0644 007 s\n", "FILE s 0644 7 @0\nEND s incomplete\nDONE -9 lost connection\n" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sink_run r;
		sink_script(&plain, NULL, cases[i].in, strlen(cases[i].in), 0, &r);
		CHECK_STR(r.log, cases[i].log);
	}
	/* two spaces before the name: the name starts with a space, as OpenSSH reads it */
	struct sink_run r;
	SINK("C0644 1  two\nx\0");
	CHECK_STR(r.log, "FILE  two 0644 1 @0\nDATA 0+1 'x'\nEND  two complete\nDONE 0\n");
}

static void test_sink_long_line(void)
{
	struct sink_run r;
	char *in = malloc(3 * 1024 + 16);
	memcpy(in, "C0644 3 ", 8);
	memset(in + 8, 'x', 3 * 1024);
	memcpy(in + 8 + 3 * 1024, "\nabc", 4);
	/* refused as soon as it passes the limit, newline or not, whole or in pieces */
	sink_script(&plain, NULL, in, 8 + 3 * 1024 + 4, 0, &r);
	CHECK_STR(r.log, "DONE -5 protocol error: line too long\n");
	CHECK_OUT("\0\2scp: protocol error: line too long\n");
	sink_script(&plain, NULL, in, 8 + 3 * 1024 - 100, 7, &r);
	CHECK_STR(r.log, "DONE -5 protocol error: line too long\n");
	/* exactly SCP_LINE_MAX bytes with the newline is fine (a name of 2039 bytes) */
	memset(in + 8, 'y', SCP_LINE_MAX - 9);
	in[SCP_LINE_MAX - 1] = '\n';
	memcpy(in + SCP_LINE_MAX, "abc\0", 4);
	sink_script(&plain, NULL, in, SCP_LINE_MAX + 4, 0, &r);
	CHECK(strncmp(r.log, "FILE yyyy", 9) == 0);
	CHECK(strstr(r.log, "complete\nDONE 0\n") != NULL);
	/* one byte more is not */
	memset(in + 8, 'y', SCP_LINE_MAX - 8);
	in[SCP_LINE_MAX] = '\n';
	sink_script(&plain, NULL, in, SCP_LINE_MAX + 1, 0, &r);
	CHECK_STR(r.log, "DONE -5 protocol error: line too long\n");
	free(in);
}

static void test_sink_short_file(void)
{
	struct sink_run r;
	/* a size larger than what is sent, then EOF: the file is reported incomplete */
	SINK("C0644 10 short\nabc");
	CHECK_STR(r.log, "FILE short 0644 10 @0\nDATA 0+3 'abc'\nEND short incomplete\n"
			 "DONE -9 lost connection\n");
	/* all the data but no status byte: not confirmed, so not complete either */
	SINK("C0644 3 q\nabc");
	CHECK_STR(r.log, "FILE q 0644 3 @0\nDATA 0+3 'abc'\nEND q incomplete\n"
			 "DONE -9 lost connection\n");
	/* EOF in the middle of a line */
	SINK("C0644 3 q");
	CHECK_STR(r.log, "DONE -9 protocol error: lost connection\n");
}

static void test_sink_source_error_after_data(void)
{
	struct sink_run r;
	SINK("C0644 3 bad\nabc\1scp: bad: Input/output error\nC0644 1 good\nx\0");
	CHECK_STR(r.log, "FILE bad 0644 3 @0\nDATA 0+3 'abc'\nMSG scp: bad: Input/output error\n"
			 "END bad incomplete\nFILE good 0644 1 @0\nDATA 0+1 'x'\nEND good complete\n"
			 "DONE 0\n");
	CHECK_OUT("\0\0\0\0\0");
	CHECK(r.errors == 1);
	/* the status message in pieces (once looped forever waiting for its end) */
	static const char pieces[] = "C0644 3 bad\nabc\1scp: bad: Input/output error\nC0644 1 good\nx\0";
	sink_script(&plain, NULL, pieces, sizeof(pieces) - 1, 3, &r);
	CHECK_STR(r.log, "FILE bad 0644 3 @0\nDATA 0+3 'abc'\n"
			 "MSG scp: bad: Input/output error\nEND bad incomplete\nFILE good 0644 1 @0\n"
			 "DATA 0+1 'x'\nEND good complete\nDONE 0\n");
	static const char cut[] = "C0644 3 bad\nabc\1scp: bad: Inp";
	sink_script(&plain, NULL, cut, sizeof(cut) - 1, 3, &r);
	CHECK_STR(r.log, "FILE bad 0644 3 @0\nDATA 0+3 'abc'\nEND bad incomplete\n"
			 "DONE -9 lost connection\n");
	/* a fatal status ends it */
	SINK("C0644 3 bad\nabc\2scp: gone\n");
	CHECK_STR(r.log, "FILE bad 0644 3 @0\nDATA 0+3 'abc'\nMSG! scp: gone\nEND bad incomplete\n"
			 "DONE -22\n");
}

static void test_sink_messages(void)
{
	struct sink_run r;
	SINK("\1scp: x: not a regular file\nC0644 1 ok3\nx\0");
	CHECK_STR(r.log, "MSG scp: x: not a regular file\nFILE ok3 0644 1 @0\nDATA 0+1 'x'\n"
			 "END ok3 complete\nDONE 0\n");
	CHECK(r.errors == 1);
	SINK("\2scp: fatal msg\nC0644 1 ok4\nx\0");
	CHECK_STR(r.log, "MSG! scp: fatal msg\nDONE -22\n");
	CHECK_OUT("\0");
}

static void test_sink_garbage(void)
{
	struct sink_run r;
	/* the first line not being scp's: the far side's complaint, passed on */
	SINK("bash: scp: command not found\n");
	CHECK_STR(r.log, "DONE -5 bash: scp: command not found\n");
	CHECK_OUT("\0\2scp: bash: scp: command not found\n");
	SINK("C0644 1 ok2\nx\0Xgarbage\n");
	CHECK_STR(r.log, "FILE ok2 0644 1 @0\nDATA 0+1 'x'\nEND ok2 complete\n"
			 "DONE -5 protocol error: expected control record\n");
	SINK("\nC0644 1 nl\nx\0");
	CHECK_STR(r.log, "DONE -5 protocol error: unexpected <newline>\n");
}

static void test_sink_executor_refusals(void)
{
	struct sink_run r;
	struct sink_policy pol = { .refuse_name = "nope" };
	/* a refused file: the source skips its data, the next line follows */
	static const char in[] = "C0644 3 nope\nC0644 1 yes\nx\0";
	sink_script(&plain, &pol, in, sizeof(in) - 1, 0, &r);
	CHECK_STR(r.log, "FILE nope 0644 3 @0\nFILE yes 0644 1 @0\nDATA 0+1 'x'\nEND yes complete\n"
			 "DONE 0\n");
	CHECK_OUT("\0\1scp: refused\n\0\0");
	CHECK(r.errors == 1);
	/* a refused directory */
	static const char din[] = "D0755 0 nope\nC0644 1 yes\nx\0";
	sink_script(&recursive, &pol, din, sizeof(din) - 1, 0, &r);
	CHECK_STR(r.log, "DIR nope 0755 @0\nFILE yes 0644 1 @0\nDATA 0+1 'x'\nEND yes complete\n"
			 "DONE 0\n");
	/* a write error: the rest is read and dropped, the error goes back at the end */
	struct sink_policy wpol = { .fail_data = true, .fail_data_at = 2 };
	static const char win[] = "C0644 5 w\nabcde\0C0644 1 v\nx\0";
	sink_script(&plain, &wpol, win, sizeof(win) - 1, 2, &r);
	CHECK_STR(r.log, "FILE w 0644 5 @0\nDATA 0+2 'ab'\nDATA 2+2 'cd'\nEND w incomplete\n"
			 "FILE v 0644 1 @0\nDATA 0+1 'x'\nEND v complete\nDONE 0\n");
	CHECK_OUT("\0\0\1scp: x: No space left on device\n\0\0");
}

static void test_sink_depth_limit(void)
{
	size_t n = (SCP_MAX_DEPTH + 1) * 10;
	char *in = malloc(n + 1);
	size_t len = 0;
	for (int i = 0; i <= SCP_MAX_DEPTH; i++)
		len += (size_t)snprintf(in + len, n + 1 - len, "D0755 0 d\n");
	struct sink_run r;
	sink_script(&recursive, NULL, in, len, 0, &r);
	CHECK(strstr(r.log, "DONE -5 protocol error: directories nested too deep\n") != NULL);
	if (strstr(r.log, "nested too deep") == NULL)
		fprintf(stderr, "  log ends: %s\n", r.log + (r.loglen > 200 ? r.loglen - 200 : 0));
	free(in);
}

static void test_sink_api_misuse(void)
{
	struct scp_sink *s = NULL;
	struct scp_sink_req req;
	static const uint8_t in[] = "C0644 1 a\nx";
	CHECK_OK(scp_sink_new(&plain, &s));
	CHECK_RC(scp_sink_reply(s, SCP_OK, NULL), FERRY_EINVAL);
	CHECK_OK(scp_sink_input(s, in, sizeof(in) - 1));
	CHECK_RC(scp_sink_input(s, in, sizeof(in) - 1), FERRY_EBUSY);
	CHECK_OK(scp_sink_next(s, &req));
	CHECK(req.type == SCP_SINK_FILE);
	CHECK_RC(scp_sink_next(s, &req), FERRY_EBUSY);
	scp_sink_free(s);
	scp_sink_free(NULL);
}

/* --- the source --------------------------------------------------------------------------- */

static size_t src_take(struct scp_source *src, char *out, size_t cap)
{
	const uint8_t *p;
	size_t n;
	scp_source_output(src, &p, &n);
	if (n > cap - 1)
		n = cap - 1;
	memcpy(out, p, n);
	out[n] = '\0';
	scp_source_output_consume(src, n);
	return n;
}

static void src_answer(struct scp_source *src, const char *bytes, size_t n,
		       enum scp_source_step step, enum scp_reply reply)
{
	struct scp_source_event ev;
	CHECK_RC(scp_source_poll(src, &ev), FERRY_EAGAIN);
	CHECK_OK(scp_source_input(src, (const uint8_t *)bytes, n));
	CHECK_OK(scp_source_poll(src, &ev));
	CHECK(ev.step == step);
	CHECK(ev.reply == reply);
}

static void test_source_file_and_dir(void)
{
	struct scp_source_config cfg = { 0 };
	struct scp_source *src = NULL;
	char out[256];
	CHECK_OK(scp_source_new(&cfg, &src));
	/* nothing may be announced before the sink is ready */
	CHECK_RC(scp_source_file(src, "a", 0644, 3, NULL), FERRY_EBUSY);
	src_answer(src, "\0", 1, SCP_STEP_START, SCP_OK);
	CHECK_OK(scp_source_file(src, "a", 0100644, 3, NULL));
	CHECK_RC(scp_source_file(src, "b", 0644, 3, NULL), FERRY_EBUSY);
	src_take(src, out, sizeof(out));
	CHECK_STR(out, "C0644 3 a\n");
	src_answer(src, "\0", 1, SCP_STEP_FILE, SCP_OK);
	CHECK(scp_source_data_left(src) == 3);
	CHECK_RC(scp_source_file_end(src, NULL), FERRY_EINVAL);
	CHECK_RC(scp_source_data(src, (const uint8_t *)"abcd", 4), FERRY_EINVAL);
	CHECK_OK(scp_source_data(src, (const uint8_t *)"ab", 2));
	CHECK_OK(scp_source_data(src, (const uint8_t *)"c", 1));
	CHECK_OK(scp_source_file_end(src, NULL));
	CHECK(src_take(src, out, sizeof(out)) == 4);
	CHECK_MEM(out, "abc\0", 4);
	src_answer(src, "\0", 1, SCP_STEP_FILE_END, SCP_OK);

	CHECK_RC(scp_source_dir_end(src), FERRY_EINVAL);
	CHECK_OK(scp_source_dir(src, "d", 040755, NULL));
	src_take(src, out, sizeof(out));
	CHECK_STR(out, "D0755 0 d\n");
	src_answer(src, "\0", 1, SCP_STEP_DIR, SCP_OK);
	CHECK_OK(scp_source_warn(src, "d/fifo: not a regular file"));
	src_take(src, out, sizeof(out));
	CHECK_STR(out, "\1scp: d/fifo: not a regular file\n");
	CHECK_OK(scp_source_file(src, "new\nline", 04755, 0, NULL));
	src_take(src, out, sizeof(out));
	CHECK_STR(out, "C4755 0 new\\^Jline\n");
	src_answer(src, "\0", 1, SCP_STEP_FILE, SCP_OK);
	CHECK_OK(scp_source_file_end(src, "new: Input/output error"));
	src_take(src, out, sizeof(out));
	CHECK_STR(out, "\1scp: new: Input/output error\n");
	src_answer(src, "\0", 1, SCP_STEP_FILE_END, SCP_OK);
	CHECK_OK(scp_source_dir_end(src));
	src_take(src, out, sizeof(out));
	CHECK_STR(out, "E\n");
	src_answer(src, "\0", 1, SCP_STEP_DIR_END, SCP_OK);
	CHECK(scp_source_errors(src) == 2);
	CHECK_RC(scp_source_file(src, "a/b", 0644, 0, NULL), FERRY_EINVAL);
	CHECK_RC(scp_source_file(src, "", 0644, 0, NULL), FERRY_EINVAL);
	scp_source_free(src);
}

static void test_source_preserve(void)
{
	struct scp_source_config cfg = { .preserve = true };
	struct scp_source *src = NULL;
	struct scp_times t = { .mtime = 1000000000, .atime = 1100000000 };
	struct scp_times neg = { .mtime = -5, .atime = 7 };
	char out[256];
	CHECK_OK(scp_source_new(&cfg, &src));
	src_answer(src, "\0", 1, SCP_STEP_START, SCP_OK);
	CHECK_OK(scp_source_file(src, "f", 0640, 1, &t));
	src_take(src, out, sizeof(out));
	CHECK_STR(out, "T1000000000 0 1100000000 0\n");
	/* the C line only after the T line is accepted */
	struct scp_source_event ev;
	CHECK_OK(scp_source_input(src, (const uint8_t *)"\0", 1));
	CHECK_RC(scp_source_poll(src, &ev), FERRY_EAGAIN);
	src_take(src, out, sizeof(out));
	CHECK_STR(out, "C0640 1 f\n");
	src_answer(src, "\0", 1, SCP_STEP_FILE, SCP_OK);
	CHECK_OK(scp_source_data(src, (const uint8_t *)"x", 1));
	CHECK_OK(scp_source_file_end(src, NULL));
	src_take(src, out, sizeof(out));
	src_answer(src, "\0", 1, SCP_STEP_FILE_END, SCP_OK);
	/* a refused T line: the item is skipped, its C line never sent */
	CHECK_OK(scp_source_dir(src, "d", 0755, &neg));
	src_take(src, out, sizeof(out));
	CHECK_STR(out, "T0 0 7 0\n");
	src_answer(src, "\1scp: no\n", 9, SCP_STEP_DIR, SCP_WARN);
	CHECK(src_take(src, out, sizeof(out)) == 0);
	scp_source_free(src);
}

static void test_source_answers(void)
{
	struct scp_source_config cfg = { 0 };
	struct scp_source *src = NULL;
	struct scp_source_event ev;
	char out[64];
	CHECK_OK(scp_source_new(&cfg, &src));
	src_answer(src, "\0", 1, SCP_STEP_START, SCP_OK);
	CHECK_OK(scp_source_file(src, "a", 0644, 3, NULL));
	src_take(src, out, sizeof(out));
	/* a warning, in two pieces */
	CHECK_OK(scp_source_input(src, (const uint8_t *)"\1scp: a: Perm", 13));
	CHECK_RC(scp_source_poll(src, &ev), FERRY_EAGAIN);
	CHECK_OK(scp_source_input(src, (const uint8_t *)"ission denied\n", 14));
	CHECK_OK(scp_source_poll(src, &ev));
	CHECK(ev.step == SCP_STEP_FILE && ev.reply == SCP_WARN);
	CHECK_STR(ev.text, "scp: a: Permission denied");
	/* skipped: the next file may be announced at once */
	CHECK_OK(scp_source_file(src, "b", 0644, 0, NULL));
	src_take(src, out, sizeof(out));
	/* any other byte starts a fatal message */
	CHECK_OK(scp_source_input(src, (const uint8_t *)"Xyz\n", 4));
	CHECK_OK(scp_source_poll(src, &ev));
	CHECK(ev.reply == SCP_FATAL);
	CHECK_STR(ev.text, "Xyz");
	CHECK_RC(scp_source_file(src, "c", 0644, 0, NULL), FERRY_ECLOSED);
	scp_source_free(src);

	/* a fatal answer, and a sink that goes away */
	CHECK_OK(scp_source_new(&cfg, &src));
	CHECK_OK(scp_source_input(src, (const uint8_t *)"\2scp: ambiguous target\n", 23));
	CHECK_OK(scp_source_poll(src, &ev));
	CHECK(ev.step == SCP_STEP_START && ev.reply == SCP_FATAL);
	CHECK_STR(ev.text, "scp: ambiguous target");
	scp_source_free(src);
	CHECK_OK(scp_source_new(&cfg, &src));
	scp_source_input_eof(src);
	CHECK_RC(scp_source_poll(src, &ev), FERRY_ECLOSED);
	scp_source_free(src);
	/* a message cut by EOF still counts */
	CHECK_OK(scp_source_new(&cfg, &src));
	CHECK_OK(scp_source_input(src, (const uint8_t *)"\1scp: half", 10));
	scp_source_input_eof(src);
	CHECK_OK(scp_source_poll(src, &ev));
	CHECK(ev.reply == SCP_WARN);
	CHECK_STR(ev.text, "scp: half");
	scp_source_free(src);
}

/* The source's output fed to the sink and the sink's to the source: what the sink asks for
 * is what the source announced. */
static void test_source_to_sink(void)
{
	struct scp_source_config scfg = { .preserve = true };
	struct scp_source *src = NULL;
	struct scp_sink *snk = NULL;
	struct scp_times t = { .mtime = 1234567890, .atime = 1234567891 };
	struct sink_run r;
	memset(&r, 0, sizeof(r));
	CHECK_OK(scp_source_new(&scfg, &src));
	CHECK_OK(scp_sink_new(&recursive, &snk));
	if (src == NULL || snk == NULL)
		return;

	/* the source's script: dir "top" { file "f" (5 bytes), dir "e" {} }, then file "g" */
	int step = 0;
	uint8_t src_out[4096];
	size_t src_out_len = 0;
	for (int guard = 0; guard < 1000 && step < 100; guard++) {
		/* sink → source */
		const uint8_t *p;
		size_t n;
		scp_sink_output(snk, &p, &n);
		if (n > 0) {
			CHECK_OK(scp_source_input(src, p, n));
			scp_sink_output_consume(snk, n);
		}
		struct scp_source_event ev;
		int rc = scp_source_poll(src, &ev);
		if (rc == 0) {
			CHECK(ev.reply == SCP_OK);
			switch (step++) {
			case 0: CHECK_OK(scp_source_dir(src, "top", 0750, &t)); break;
			case 1: CHECK_OK(scp_source_file(src, "f", 0600, 5, &t)); break;
			case 2: CHECK_OK(scp_source_data(src, (const uint8_t *)"hello", 5));
				CHECK_OK(scp_source_file_end(src, NULL)); break;
			case 3: CHECK_OK(scp_source_dir(src, "e", 0700, NULL)); break;
			case 4: CHECK_OK(scp_source_dir_end(src)); break;
			case 5: CHECK_OK(scp_source_dir_end(src)); break;
			case 6: CHECK_OK(scp_source_file(src, "g", 0644, 0, NULL)); break;
			case 7: CHECK_OK(scp_source_file_end(src, NULL)); break;
			default: step = 100; break;
			}
		}
		/* source → sink */
		scp_source_output(src, &p, &n);
		memcpy(src_out + src_out_len, p, n);
		src_out_len += n;
		scp_source_output_consume(src, n);
		if (step == 100)
			scp_sink_input_eof(snk);
		size_t fed = 0;
		for (;;) {
			struct scp_sink_req req;
			if (fed == 0 && src_out_len > 0) {
				CHECK_OK(scp_sink_input(snk, src_out, src_out_len));
				fed = src_out_len;
			}
			rc = scp_sink_next(snk, &req);
			if (rc == FERRY_EAGAIN)
				break;
			CHECK_OK(rc);
			if (req.type == SCP_SINK_DONE) {
				run_logf(&r, "DONE %d\n", req.error);
				step = 200;
				break;
			}
			if (req.type == SCP_SINK_DATA)
				run_logf(&r, "DATA %.*s\n", (int)req.len, (const char *)req.data);
			else
				run_logf(&r, "%d %s %04o%s\n", (int)req.type, req.name ? req.name : "-",
					 (unsigned)req.mode, req.has_times ? " T" : "");
			CHECK_OK(scp_sink_reply(snk, SCP_OK, NULL));
		}
		src_out_len = 0;
		if (step == 200)
			break;
	}
	CHECK_STR(r.log, "4 top 0750 T\n1 f 0600 T\nDATA hello\n3 f 0600 T\n4 e 0700\n5 e 0700\n"
			 "5 top 0750 T\n1 g 0644\n3 g 0644\nDONE 0\n");
	scp_source_free(src);
	scp_sink_free(snk);
}

static void test_encode_error_and_names(void)
{
	uint8_t *p = NULL;
	size_t n = 0;
	CHECK_OK(scp_encode_error(SCP_WARN, "ambiguous\ntarget", &p, &n));
	CHECK(n == 23);
	CHECK_MEM(p, "\1scp: ambiguous target\n", 23);
	free(p);
	CHECK(scp_name_is_safe("a", 1));
	CHECK(scp_name_is_safe("...", 3));
	CHECK(scp_name_is_safe(".hidden", 7));
	CHECK(!scp_name_is_safe("", 0));
	CHECK(!scp_name_is_safe(".", 1));
	CHECK(!scp_name_is_safe("..", 2));
	CHECK(!scp_name_is_safe("a/b", 3));
	CHECK(!scp_name_is_safe("a\0b", 3));
}


/* --- the remote command line -------------------------------------------------------------- */

/* Splits cmd; returns the words joined with '|' or "NO". */
static const char *split(const char *cmd)
{
	static char out[1024];
	int argc = 0;
	char **argv = NULL;
	if (!scp_is_scp_command(cmd, &argc, &argv))
		return "NO";
	out[0] = '\0';
	CHECK(argv[argc] == NULL);
	for (int i = 0; i < argc; i++) {
		if (i > 0)
			strncat(out, "|", sizeof(out) - strlen(out) - 1);
		strncat(out, argv[i], sizeof(out) - strlen(out) - 1);
	}
	scp_command_free(argv);
	return out;
}

static void test_command_split(void)
{
	CHECK_STR(split("scp -t /tmp/x"), "scp|-t|/tmp/x");
	CHECK_STR(split("  scp\t-r -p -d -t -- -odd  "), "scp|-r|-p|-d|-t|--|-odd");
	CHECK_STR(split("/usr/bin/scp -f a b"), "/usr/bin/scp|-f|a|b");
	CHECK_STR(split("scp -vpf 'my file' \"other file\" back\\ slash"),
		  "scp|-vpf|my file|other file|back slash");
	CHECK_STR(split("scp -t ''"), "scp|-t|");
	CHECK_STR(split("scp -f 'a\"b' \"c'd\" \"e\\\"f\" \"g\\h\" \"\\$x\" \\$y"),
		  "scp|-f|a\"b|c'd|e\"f|g\\h|$x|$y");
	CHECK_STR(split("scp -f a'b'\"c\"d"), "scp|-f|abcd");
	CHECK_STR(split("scp -f a=b % ! ^ , :"), "scp|-f|a=b|%|!|^|,|:");
	/* not scp's remote end */
	CHECK_STR(split("ls -t"), "NO");
	CHECK_STR(split("scp host:x ."), "NO");
	CHECK_STR(split("scp -- -t"), "NO");
	CHECK_STR(split("sscp -t x"), "NO");
	CHECK_STR(split("bin/scp -t x"), "NO");
	CHECK_STR(split("'scp' -t x"), "scp|-t|x");
	CHECK_STR(split(""), "NO");
	CHECK_STR(split("FOO=1 scp -t x"), "NO");
	/* anything the shell would act on goes to the shell */
	static const char *const shellish[] = {
		"scp -t x; rm -rf /", "scp -t $(id)", "scp -t `id`", "scp -t $HOME", "scp -t x | cat",
		"scp -t x & ", "scp -t x > y", "scp -t < y x", "scp -t x\nid", "scp -t x #c",
		"scp -f {a,b}", "scp -f (a)", "scp -t x && id", "scp -t 'unterminated",
		"scp -t \"unterminated", "scp -t \"$(id)\"", "scp -t \"`id`\"", "scp -t x\\",
		"scp -t a\\\nb", "scp -t \"a\\\nb\"",
	};
	for (size_t i = 0; i < sizeof(shellish) / sizeof(shellish[0]); i++) {
		const char *got = split(shellish[i]);
		CHECK_STR(got, "NO");
		if (strcmp(got, "NO") != 0)
			fprintf(stderr, "  taken: %s\n", shellish[i]);
	}
	/* quoted, they are plain characters */
	CHECK_STR(split("scp -t 'x; rm -rf /' \"a|b\" c\\&d '#e' \\#f"),
		  "scp|-t|x; rm -rf /|a|b|c&d|#e|#f");
	CHECK_STR(split("scp -t a#b"), "scp|-t|a#b");
}

static void test_command_expansions(void)
{
	char dir[] = "/tmp/ferry-test-scp-XXXXXX";
	char cwd[4096];
	CHECK(mkdtemp(dir) != NULL);
	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	CHECK(chdir(dir) == 0);
	static const char *const names[] = { "a1", "a2", "b", "a*", ".a3" };
	for (size_t i = 0; i < 5; i++) {
		FILE *f = fopen(names[i], "w");
		CHECK(f != NULL);
		if (f)
			fclose(f);
	}
	CHECK_STR(split("scp -f a?"), "scp|-f|a*|a1|a2");
	CHECK_STR(split("scp -f a[0-9] b"), "scp|-f|a1|a2|b");
	CHECK_STR(split("scp -f 'a*'"), "scp|-f|a*");        /* quoted: that one file */
	CHECK_STR(split("scp -f a\\*"), "scp|-f|a*");
	CHECK_STR(split("scp -f \"a\"*"), "scp|-f|a*|a1|a2");
	CHECK_STR(split("scp -f c*"), "scp|-f|c*");          /* no match: as it is */
	CHECK_STR(split("scp -f *"), "scp|-f|a*|a1|a2|b");   /* no dot files */
	CHECK_STR(split("scp -t ["), "scp|-t|[");

	/* ~ is the effective user's home from the passwd database */
	struct passwd *pw = getpwuid(geteuid());
	const char *home = pw ? pw->pw_dir : "?";
	char want[2048];
	snprintf(want, sizeof(want), "scp|-t|%s/x", home);
	CHECK_STR(split("scp -t ~/x"), want);
	snprintf(want, sizeof(want), "scp|-t|%s", home);
	CHECK_STR(split("scp -t ~"), want);
	/* a pattern after ~: the home part is taken literally, the rest matched */
	char rel[600], cmd[800];
	size_t hl = strlen(home);
	if (strncmp(dir, home, hl) == 0 && dir[hl] == '/') {
		snprintf(rel, sizeof(rel), "%s", dir + hl);
	} else {
		/* the temp dir is not under home: reach it with ../ from there */
		snprintf(rel, sizeof(rel), "/");
		for (const char *q = home; *q; q++)
			if (*q == '/' && q[1] != '\0')
				strncat(rel, "../", sizeof(rel) - strlen(rel) - 1);
		strncat(rel, dir + 1, sizeof(rel) - strlen(rel) - 1);
	}
	snprintf(cmd, sizeof(cmd), "scp -f ~%s/a[12]", rel);
	snprintf(want, sizeof(want), "scp|-f|%s%s/a1|%s%s/a2", home, rel, home, rel);
	CHECK_STR(split(cmd), want);
	CHECK_STR(split("scp -t '~/x'"), "scp|-t|~/x");
	CHECK_STR(split("scp -t \\~/x"), "scp|-t|~/x");
	CHECK_STR(split("scp -t a~/x"), "scp|-t|a~/x");
	CHECK_STR(split("scp -t ~no-such-user-here/x"), "scp|-t|~no-such-user-here/x");
	struct passwd *root = getpwnam("root");
	if (root != NULL) {
		snprintf(want, sizeof(want), "scp|-t|%s/x", root->pw_dir);
		CHECK_STR(split("scp -t ~root/x"), want);
	}

	for (size_t i = 0; i < 5; i++)
		unlink(names[i]);
	CHECK(chdir(cwd) == 0);
	CHECK(rmdir(dir) == 0);
}

/* --- the file system side, over pipes ------------------------------------------------------ */

/* A pipe holding all of input, its write end closed: what a source would send, then EOF. */
static int input_pipe(const void *input, size_t n)
{
	int fds[2];
	if (pipe(fds) != 0)
		return -1;
	CHECK(write(fds[1], input, n) == (ssize_t)n);
	close(fds[1]);
	return fds[0];
}

/* Reads what is in fd now (the write end must be closed). */
static size_t drain(int fd, uint8_t *out, size_t cap)
{
	size_t n = 0;
	ssize_t r;
	while (n < cap && (r = read(fd, out + n, cap - n)) > 0)
		n += (size_t)r;
	return n;
}

/* Runs `scp -t`-like sink argv over input; returns the status, the answers in out. */
static int serve(int argc, char **argv, const void *input, size_t n, uint8_t *out, size_t *outlen,
		 char **errmsg)
{
	int in = input_pipe(input, n);
	int o[2];
	CHECK(pipe(o) == 0);
	int status = scp_serve_fds(in, o[1], argc, argv, errmsg);
	close(o[1]);
	close(in);
	*outlen = drain(o[0], out, 4096);
	close(o[0]);
	return status;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *de;
	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static void test_serve_sink(void)
{
	char dir[] = "/tmp/ferry-test-scp-XXXXXX";
	char path[512];
	uint8_t out[4096];
	size_t outlen = 0;
	char *err = NULL;
	struct stat st;
	CHECK(mkdtemp(dir) != NULL);

	char *argv1[] = { "scp", "-pt", dir, NULL };
	static const char ok[] = "T1000000000 0 1100000000 0\nC0604 3 f\nabc\0";
	CHECK(serve(3, argv1, ok, sizeof(ok) - 1, out, &outlen, &err) == 0);
	CHECK(err == NULL);
	CHECK(outlen == 4 && memcmp(out, "\0\0\0\0", 4) == 0);
	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK(stat(path, &st) == 0 && st.st_size == 3 && (st.st_mode & 07777) == 0604 &&
	      st.st_mtime == 1000000000 && st.st_atime == 1100000000);

	/* a file cut short: nothing left behind, neither the file nor its partial copy */
	char *argv2[] = { "scp", "-t", "--", dir, NULL };
	static const char shortf[] = "C0644 100 cut\nabc";
	CHECK(serve(4, argv2, shortf, sizeof(shortf) - 1, out, &outlen, &err) == 1);
	snprintf(path, sizeof(path), "%s/cut", dir);
	CHECK(stat(path, &st) != 0);
	CHECK(count_entries(dir) == 1);
	/* the same over an existing file: it stays as it was */
	static const char shortf2[] = "C0644 100 f\nxyz";
	CHECK(serve(4, argv2, shortf2, sizeof(shortf2) - 1, out, &outlen, &err) == 1);
	snprintf(path, sizeof(path), "%s/f", dir);
	FILE *f = fopen(path, "r");
	char got[8] = { 0 };
	CHECK(f != NULL && fread(got, 1, sizeof(got), f) == 3);
	if (f)
		fclose(f);
	CHECK_STR(got, "abc");
	CHECK(count_entries(dir) == 1);

	/* command line errors: nothing sent, a message for stderr */
	char *argv3[] = { "scp", "-x", "-t", dir, NULL };
	CHECK(serve(4, argv3, "", 0, out, &outlen, &err) == 1);
	CHECK(outlen == 0);
	CHECK(err != NULL && strstr(err, "unknown option -- x") != NULL);
	free(err);
	err = NULL;
	char *argv4[] = { "scp", "-r", dir, NULL };
	CHECK(serve(3, argv4, "", 0, out, &outlen, &err) == 1);
	CHECK(outlen == 0 && err != NULL);
	free(err);
	err = NULL;
	/* two targets: said through the protocol */
	char *argv5[] = { "scp", "-t", dir, dir, NULL };
	CHECK(serve(4, argv5, "", 0, out, &outlen, &err) == 1);
	CHECK(outlen == 23 && memcmp(out, "\1scp: ambiguous target\n", 23) == 0);
	CHECK(err == NULL);
	/* -d with a target that is not a directory */
	char *argv6[] = { "scp", "-d", "-t", path, NULL };
	CHECK(serve(4, argv6, "", 0, out, &outlen, &err) == 1);
	CHECK(outlen > 1 && out[0] == 1 && memmem(out, outlen, "Not a directory", 15) != NULL);

	/* -f sends the file back as it is */
	/* (reading the file above may have moved its atime, so set it again; -p first) */
	static const char answers[] = "\0\0\0\0";
	struct timespec ts[2] = { { .tv_sec = 1100000000 }, { .tv_sec = 1000000000 } };
	CHECK(utimensat(AT_FDCWD, path, ts, 0) == 0);
	char *argv8[] = { "scp", "-p", "-f", path, NULL };
	CHECK(serve(4, argv8, answers, sizeof(answers) - 1, out, &outlen, &err) == 0);
	static const char with_t[] = "T1000000000 0 1100000000 0\nC0604 3 f\nabc\0";
	CHECK(outlen == sizeof(with_t) - 1 && memcmp(out, with_t, outlen) == 0);
	char *argv7[] = { "scp", "-f", path, NULL };
	CHECK(serve(3, argv7, answers, sizeof(answers) - 1, out, &outlen, &err) == 0);
	CHECK(outlen == 14 && memcmp(out, "C0604 3 f\nabc\0", 14) == 0);
	/* a directory without -r, and a missing file: warnings, status 1 */
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	char *argv9[] = { "scp", "-f", dir, missing, NULL };
	CHECK(serve(4, argv9, answers, sizeof(answers) - 1, out, &outlen, &err) == 1);
	CHECK(memmem(out, outlen, ": not a regular file\n", 21) != NULL);
	CHECK(memmem(out, outlen, "missing: No such file or directory\n", 35) != NULL);

	unlink(path);
	CHECK(rmdir(dir) == 0);
}

static void test_fs_sink_patterns(void)
{
	char dir[] = "/tmp/ferry-test-scp-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	static const char *const pats[] = { "wanted.txt" };
	struct scp_fs_sink_opts o = {
		.target = dir, .patterns = pats, .npatterns = 1, .verbose_fd = -1,
	};
	static const char evil[] = "C0644 6 .bashrc\nevil!\n\0";
	int in = input_pipe(evil, sizeof(evil) - 1);
	int out = open("/dev/null", O_WRONLY);
	CHECK_RC(scp_fs_sink_run(in, out, &o), FERRY_EPROTO);
	close(in);
	CHECK(count_entries(dir) == 0);
	static const char good[] = "C0644 5 wanted.txt\nfine\n\0";
	in = input_pipe(good, sizeof(good) - 1);
	CHECK_OK(scp_fs_sink_run(in, out, &o));
	close(in);
	close(out);
	CHECK(count_entries(dir) == 1);
	char path[600];
	snprintf(path, sizeof(path), "%s/wanted.txt", dir);
	unlink(path);
	CHECK(rmdir(dir) == 0);
}

int main(void)
{
	RUN_TEST(test_sink_one_file);
	RUN_TEST(test_sink_empty_file_and_no_input);
	RUN_TEST(test_sink_times);
	RUN_TEST(test_sink_bad_times);
	RUN_TEST(test_sink_recursive);
	RUN_TEST(test_sink_directory_without_r);
	RUN_TEST(test_sink_eof_inside_directories);
	RUN_TEST(test_sink_e_at_top_ends);
	RUN_TEST(test_sink_refuses_unsafe_names);
	RUN_TEST(test_sink_patterns);
	RUN_TEST(test_sink_modes);
	RUN_TEST(test_sink_sizes);
	RUN_TEST(test_sink_long_line);
	RUN_TEST(test_sink_short_file);
	RUN_TEST(test_sink_source_error_after_data);
	RUN_TEST(test_sink_messages);
	RUN_TEST(test_sink_garbage);
	RUN_TEST(test_sink_executor_refusals);
	RUN_TEST(test_sink_depth_limit);
	RUN_TEST(test_sink_api_misuse);
	RUN_TEST(test_source_file_and_dir);
	RUN_TEST(test_source_preserve);
	RUN_TEST(test_source_answers);
	RUN_TEST(test_source_to_sink);
	RUN_TEST(test_encode_error_and_names);
	RUN_TEST(test_command_split);
	RUN_TEST(test_command_expansions);
	RUN_TEST(test_serve_sink);
	RUN_TEST(test_fs_sink_patterns);
	return check_report();
}
