/* The legacy scp protocol (rcp's wire format, as OpenSSH's `scp -t` / `scp -f` speak it): sink
 * and source state machines, sans-I/O. There is no RFC; docs/internals/scp.md has the format.
 *
 * Wire format, one control line at a time, each answered by the other side with one byte:
 *   C<mode> <size> <name>\n   a file follows: 4 octal mode digits, decimal size, then <size>
 *                             bytes of data and one status byte from the source (0 or 1/2+msg)
 *   D<mode> 0 <name>\n        enter (create) a directory
 *   E\n                       leave it
 *   T<mtime> 0 <atime> 0\n    times for the next C or D
 *   \1<message>\n             a warning (the item is skipped), \2<message>\n a fatal error
 * The answer is 0 (ok), or 1 / 2 followed by a message line. The sink speaks first: one 0 byte
 * when it is ready. */
#ifndef FERRY_PROTO_SCP_H
#define FERRY_PROTO_SCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* The longest control or message line either machine accepts, newline included (OpenSSH's
 * scp reads lines into a 2048-byte buffer). A longer line is refused, never buffered. */
#define SCP_LINE_MAX 2048
/* How deep D lines may nest before the sink refuses more. */
#define SCP_MAX_DEPTH 1024
/* The mode bits a C or D line can carry (permissions, setuid, setgid, sticky). */
#define SCP_MODE_MASK 07777u

/* The three answers, as their wire bytes. */
enum scp_reply {
	SCP_OK = 0,
	SCP_WARN = 1,   /* this item failed; the transfer goes on */
	SCP_FATAL = 2,  /* the transfer ends */
};

/* Seconds since the epoch, from a T line (microseconds are carried but 0 from OpenSSH). */
struct scp_times {
	int64_t mtime;
	int64_t atime;
	uint32_t mtime_usec;
	uint32_t atime_usec;
};

/* --- sink ------------------------------------------------------------------------------- */

struct scp_sink;

struct scp_sink_config {
	bool recursive;                 /* -r: D and E lines are allowed */
	/* A client that asked for particular files passes the names (or fnmatch(3) patterns, as
	 * the remote shell would glob them) it expects at the top level; any other top-level name
	 * is refused (the CVE-2019-6111 class). NULL/0: any safe name (a server-side sink). */
	const char *const *patterns;
	size_t npatterns;
};

enum scp_sink_req_type {
	SCP_SINK_NONE = 0,
	/* Open a file for writing: name, mode, size, times (if has_times). Answer with
	 * scp_sink_reply: SCP_OK to receive its data, SCP_WARN + message to skip it. */
	SCP_SINK_FILE,
	/* Data of the open file: data/len at offset (borrowed from the caller's input, valid
	 * until the next scp_sink_next). Answer SCP_OK, or SCP_WARN + message on a write error:
	 * the rest of this file's data is then read and dropped, and the message goes back to
	 * the source when the file ends. */
	SCP_SINK_DATA,
	/* The file ended. complete: every byte arrived, the source reported no error and no
	 * write failed; only then may the file be put in place (otherwise discard it). name,
	 * mode, size and times repeat those of SCP_SINK_FILE. Answer SCP_OK or SCP_WARN. */
	SCP_SINK_FILE_END,
	/* Enter a directory, creating it if needed: name, mode, times. Answer SCP_OK to enter,
	 * SCP_WARN + message to refuse it (the source then skips it). */
	SCP_SINK_DIR,
	/* Leave the current directory: apply times (if has_times) and mode (as the executor's
	 * rules say) to it. name, mode and times repeat those of its SCP_SINK_DIR. Answer. */
	SCP_SINK_DIR_END,
	/* The source sent a message line: text (borrowed, raw bytes from the peer: escape
	 * before printing), fatal for \2. No answer. */
	SCP_SINK_MESSAGE,
	/* The end. error 0: the source finished cleanly; otherwise a FERRY_E* code and text says
	 * why (what was sent to the source, or "lost connection"). No answer; the caller sends
	 * what output remains and stops. */
	SCP_SINK_DONE,
};

struct scp_sink_req {
	enum scp_sink_req_type type;
	const char *name;          /* FILE, FILE_END, DIR, DIR_END: one safe path component */
	unsigned depth;            /* directory nesting: 0 is the target itself */
	uint32_t mode;             /* as sent, <= SCP_MODE_MASK */
	uint64_t size;             /* FILE, FILE_END: bytes announced (fits in an off_t) */
	bool has_times;
	struct scp_times times;
	const uint8_t *data;       /* DATA */
	size_t len;
	uint64_t offset;
	bool complete;             /* FILE_END */
	bool fatal;                /* MESSAGE */
	const char *text;          /* MESSAGE, DONE */
	int error;                 /* DONE */
};

/* Creates a sink; its first output is the 0 byte saying it is ready. Copies what it keeps of
 * cfg (patterns included). FERRY_ENOMEM. */
int scp_sink_new(const struct scp_sink_config *cfg, struct scp_sink **out) FERRY_MUST_USE;
void scp_sink_free(struct scp_sink *s);

/* Hands the sink n bytes from the source. They are borrowed until scp_sink_next returns
 * FERRY_EAGAIN, which it does only once it has used them all; do not call this before.
 * FERRY_EBUSY if the previous input is not used up. */
int scp_sink_input(struct scp_sink *s, const uint8_t *p, size_t n) FERRY_MUST_USE;
/* The source closed its side (EOF). */
void scp_sink_input_eof(struct scp_sink *s);

/* The next request, written to *req (its pointers borrowed until the next call).
 * FERRY_EAGAIN: all input is used, feed more (or EOF). FERRY_EBUSY: the last request still
 * wants its scp_sink_reply. After SCP_SINK_DONE every call returns DONE again. */
int scp_sink_next(struct scp_sink *s, struct scp_sink_req *req) FERRY_MUST_USE;
/* Answers the last FILE, DATA, FILE_END, DIR or DIR_END request. msg (copied; may be NULL for
 * SCP_OK) is the text sent to the source after "scp: ", e.g. "/x/y: Permission denied".
 * SCP_FATAL ends the transfer. FERRY_EINVAL if no request is waiting for an answer. */
int scp_sink_reply(struct scp_sink *s, enum scp_reply r, const char *msg) FERRY_MUST_USE;

/* Bytes to send to the source: *p (borrowed until the next call on s), *n. Then tell the sink
 * how many were sent. Send them before waiting for more input: the source waits for them. */
void scp_sink_output(const struct scp_sink *s, const uint8_t **p, size_t *n);
void scp_sink_output_consume(struct scp_sink *s, size_t n);

/* Errors so far (warnings and messages either way); the exit status is 1 if not 0. */
unsigned scp_sink_errors(const struct scp_sink *s);

/* --- source ----------------------------------------------------------------------------- */

struct scp_source;

struct scp_source_config {
	bool preserve;                  /* -p: send a T line before each C and D */
};

/* What an answer from the sink was about. */
enum scp_source_step {
	SCP_STEP_START,     /* the sink's first byte: it is ready */
	SCP_STEP_FILE,      /* a C line (and its T line): on SCP_OK send the data */
	SCP_STEP_FILE_END,  /* the status after a file's data */
	SCP_STEP_DIR,       /* a D line (and its T line): on SCP_OK send the entries, then E */
	SCP_STEP_DIR_END,   /* an E line */
};

struct scp_source_event {
	enum scp_source_step step;
	enum scp_reply reply;      /* SCP_WARN: this item was refused (skip it); SCP_FATAL: stop */
	const char *text;          /* the sink's message for WARN/FATAL (borrowed, raw peer bytes:
	                            * escape before printing) */
};

int scp_source_new(const struct scp_source_config *cfg, struct scp_source **out) FERRY_MUST_USE;
void scp_source_free(struct scp_source *src);

/* Hands the source bytes from the sink (copied; at most one answer is read at a time, the
 * rest is kept for later). FERRY_EFULL if more than a few lines pile up unasked. */
int scp_source_input(struct scp_source *src, const uint8_t *p, size_t n) FERRY_MUST_USE;
/* The sink closed its side. */
void scp_source_input_eof(struct scp_source *src);

/* The answer to the line last sent, in *ev. FERRY_EAGAIN: not there yet (send the output,
 * read more). FERRY_ECLOSED: the sink went away before answering. FERRY_EINVAL: nothing is
 * waiting for an answer. A FATAL answer leaves the source failed. */
int scp_source_poll(struct scp_source *src, struct scp_source_event *ev) FERRY_MUST_USE;

/* Announces a file (T line first with -p when times is not NULL, then the C line after the T
 * is accepted). name must be one path component; mode is masked with SCP_MODE_MASK. Only
 * when idle (after the answer to the previous line): FERRY_EBUSY otherwise; FERRY_EINVAL for a
 * name with '/' or '\n' or empty. */
int scp_source_file(struct scp_source *src, const char *name, uint32_t mode, uint64_t size,
		    const struct scp_times *times) FERRY_MUST_USE;
/* A file's data, after SCP_STEP_FILE was answered SCP_OK: appended to the output. At most
 * what remains of the announced size (FERRY_EINVAL for more). */
int scp_source_data(struct scp_source *src, const uint8_t *p, size_t n) FERRY_MUST_USE;
/* Bytes of the current file still to send. */
uint64_t scp_source_data_left(const struct scp_source *src);
/* Ends the file once all its data is sent: a 0 byte, or with errmsg (copied) a warning
 * line telling the sink the data is bad (a read error; the data was padded to its size). */
int scp_source_file_end(struct scp_source *src, const char *errmsg) FERRY_MUST_USE;
/* Announces a directory (T first with -p and times), as scp_source_file. */
int scp_source_dir(struct scp_source *src, const char *name, uint32_t mode,
		   const struct scp_times *times) FERRY_MUST_USE;
/* Leaves the directory entered last (an E line). */
int scp_source_dir_end(struct scp_source *src) FERRY_MUST_USE;
/* Tells the sink about an item that cannot be sent ("scp: <msg>" as a warning line, e.g.
 * "x: not a regular file"); no answer is awaited. Only when idle. */
int scp_source_warn(struct scp_source *src, const char *msg) FERRY_MUST_USE;

void scp_source_output(const struct scp_source *src, const uint8_t **p, size_t *n);
void scp_source_output_consume(struct scp_source *src, size_t n);

/* Errors so far (warnings sent or received); the exit status is 1 if not 0. */
unsigned scp_source_errors(const struct scp_source *src);

/* --- shared helpers ----------------------------------------------------------------------- */

/* Whether name is one safe path component for a sink to create: not empty, no '/', not "."
 * or "..", no NUL (n is its length). */
bool scp_name_is_safe(const char *name, size_t n);

/* Encodes a warning or fatal line "<byte>scp: <msg>\n" (newlines in msg become spaces; SCP_OK
 * is taken as SCP_WARN), for a side that must refuse before any state machine runs (e.g.
 * "ambiguous target"). *out (caller frees) and *outlen are set on success. */
int scp_encode_error(enum scp_reply r, const char *msg, uint8_t **out, size_t *outlen)
	FERRY_MUST_USE;

#endif
