/* The SFTP server's protocol side as a sans-I/O state machine (draft-ietf-secsh-filexfer-02,
 * version 3, with OpenSSH's extensions from PROTOCOL §4 and check-file from
 * draft-ietf-secsh-filexfer-extensions): bytes in, parsed requests out; replies encoded into an
 * output buffer the caller writes. It answers SSH_FXP_INIT itself; everything else is the
 * executor's (transfer/sftp-fs). */
#ifndef FERRY_PROTO_SFTP_SERVER_H
#define FERRY_PROTO_SFTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "proto/sftp-common.h"

/* What a request asks for: the version 3 requests, then the extensions ferry serves. */
enum sftp_op {
	SFTP_OP_NONE = 0,
	SFTP_OP_OPEN,
	SFTP_OP_CLOSE,
	SFTP_OP_READ,
	SFTP_OP_WRITE,
	SFTP_OP_LSTAT,
	SFTP_OP_FSTAT,
	SFTP_OP_SETSTAT,
	SFTP_OP_FSETSTAT,
	SFTP_OP_OPENDIR,
	SFTP_OP_READDIR,
	SFTP_OP_REMOVE,
	SFTP_OP_MKDIR,
	SFTP_OP_RMDIR,
	SFTP_OP_REALPATH,
	SFTP_OP_STAT,
	SFTP_OP_RENAME,
	SFTP_OP_READLINK,
	SFTP_OP_SYMLINK,
	SFTP_OP_POSIX_RENAME,
	SFTP_OP_STATVFS,
	SFTP_OP_FSTATVFS,
	SFTP_OP_HARDLINK,
	SFTP_OP_FSYNC,
	SFTP_OP_LSETSTAT,
	SFTP_OP_LIMITS,
	SFTP_OP_EXPAND_PATH,
	SFTP_OP_COPY_DATA,
	SFTP_OP_HOME_DIRECTORY,
	SFTP_OP_USERS_GROUPS_BY_ID,
	SFTP_OP_CHECK_FILE_HANDLE,
	SFTP_OP_CHECK_FILE_NAME,
	SFTP_OP_COUNT,
	/* Not requests ferry serves, but requests all the same: answered with a STATUS. */
	SFTP_OP_UNSUPPORTED = 100,  /* unknown message type or extension: SSH_FX_OP_UNSUPPORTED */
	SFTP_OP_BAD,                /* malformed body (req.error says how): SSH_FX_BAD_MESSAGE */
};

/* A row of the request table. name is the request's name as OpenSSH's sftp-server lists it
 * (`-Q requests`) and as -p/-P take it; ext is the wire name of an extension (NULL for the
 * version 3 requests, whose type is in type); writes marks requests refused in read-only mode
 * (OPEN decides by its flags instead). */
struct sftp_op_info {
	enum sftp_op op;
	const char *name;
	const char *ext;
	const char *ext_version;
	uint8_t type;
	bool writes;
};

/* The row for op, or NULL for SFTP_OP_NONE, _UNSUPPORTED, _BAD and unknown values. */
const struct sftp_op_info *sftp_op_info(enum sftp_op op);
/* The op whose request name (e.g. "posix-rename") is name, or SFTP_OP_NONE. */
enum sftp_op sftp_op_by_name(const char *name);

/* One parsed request. Every sftp_bytes borrows from the server's input buffer and is valid
 * until the next sftp_server_input*, sftp_server_next_request or sftp_server_free call. Which
 * fields are set depends on op:
 *   OPEN: path, pflags, attrs          CLOSE, FSTAT, READDIR, FSYNC, FSTATVFS: handle
 *   READ: handle, offset, length       WRITE: handle, offset, data
 *   LSTAT, STAT, OPENDIR, REMOVE, RMDIR, REALPATH, READLINK, STATVFS, EXPAND_PATH: path
 *   SETSTAT, LSETSTAT, MKDIR: path, attrs          FSETSTAT: handle, attrs
 *   RENAME, POSIX_RENAME, HARDLINK: path (old), path2 (new)
 *   SYMLINK: path (the link's target), path2 (the link to create) -- OpenSSH's order
 *            (PROTOCOL §4.1), which swaps the draft's
 *   COPY_DATA: handle, offset, length (0: to end of file), handle2, offset2
 *   HOME_DIRECTORY: path (a user name, may be empty)
 *   USERS_GROUPS_BY_ID: data (uids, 4 bytes each), data2 (gids), a whole number of each
 *   CHECK_FILE_HANDLE: handle; CHECK_FILE_NAME: path; both: data (hash algorithm list),
 *            offset, length (0: to end of file), block_size (0 or at least 256)
 *   UNSUPPORTED: type, and ext_name for an unknown extension; BAD: error.
 * Paths and user names never contain a NUL byte (the parser turns those into SFTP_OP_BAD). */
struct sftp_request {
	enum sftp_op op;
	uint8_t type;
	uint32_t id;
	struct sftp_bytes path, path2;
	struct sftp_bytes handle, handle2;
	struct sftp_bytes data, data2;
	struct sftp_bytes ext_name;
	uint64_t offset, offset2, length;
	uint32_t pflags;
	uint32_t block_size;
	struct sftp_attrs attrs;
	const char *error;           /* static text */
};

struct sftp_server_config {
	/* Largest packet taken from the client (the uint32 length field's value); 0 means
	 * SFTP_MAX_PACKET. A larger length ends the session. */
	uint32_t max_packet;
	/* Advertise check-file-handle / check-file-name in VERSION. */
	bool check_file;
	/* Extensions left out of VERSION, as bits (1 << op): those the executor would refuse
	 * anyway (read-only mode, -p/-P), which OpenSSH's sftp-server does not advertise either.
	 * Requests for them are still parsed and handed over. */
	uint64_t hidden_ops;
};

struct sftp_server;

/* Creates a server waiting for SSH_FXP_INIT. *out set only on success. */
int sftp_server_new(const struct sftp_server_config *cfg, struct sftp_server **out) FERRY_MUST_USE;
void sftp_server_free(struct sftp_server *s);

/* Appends n bytes from the client. FERRY_EFULL if the input buffer cannot take them now
 * (take requests off first). */
int sftp_server_input(struct sftp_server *s, const void *p, size_t n) FERRY_MUST_USE;
/* Zero-copy input: room for at least min bytes (more if available) at *p, *room bytes long;
 * fill some and commit them. */
int sftp_server_input_space(struct sftp_server *s, size_t min, uint8_t **p, size_t *room) FERRY_MUST_USE;
void sftp_server_input_commit(struct sftp_server *s, size_t n);

/* Takes the next request off the input. Returns 0 with *req filled, FERRY_EAGAIN when no whole
 * packet is buffered, or an error that ends the session (sftp_server_error says why): a length
 * over the maximum, a packet too short to carry a request id, a request before INIT, a second
 * INIT. SSH_FXP_INIT is answered here (VERSION goes to the output) and never returned. */
int sftp_server_next_request(struct sftp_server *s, struct sftp_request *req) FERRY_MUST_USE;
/* Why the session failed (static or owned by s), or NULL. */
const char *sftp_server_error(const struct sftp_server *s);
/* The version the client sent in INIT (0 before). */
uint32_t sftp_server_client_version(const struct sftp_server *s);
/* Bytes buffered in the input, of which none make a whole packet yet if next_request said
 * EAGAIN. */
size_t sftp_server_input_len(const struct sftp_server *s);

/* Encoded replies waiting to be written (borrowed, valid until the next call that appends or
 * consumes), and dropping n of them once written. */
size_t sftp_server_output_len(const struct sftp_server *s);
const uint8_t *sftp_server_output_ptr(const struct sftp_server *s);
void sftp_server_output_consume(struct sftp_server *s, size_t n);

/* Replies, each appended to the output as one packet. Any order is fine: the id ties a reply
 * to its request (filexfer-02 §3). FERRY_EFULL if the output buffer is at its maximum. */
/* SSH_FXP_STATUS (filexfer-02 §7); msg NULL means sftp_status_message(code). */
int sftp_server_send_status(struct sftp_server *s, uint32_t id, uint32_t code, const char *msg) FERRY_MUST_USE;
int sftp_server_send_handle(struct sftp_server *s, uint32_t id, const void *h, size_t n) FERRY_MUST_USE;
int sftp_server_send_data(struct sftp_server *s, uint32_t id, const void *p, size_t n) FERRY_MUST_USE;
/* Zero-copy DATA: *p gets room for max bytes in the output; the caller fills n <= max of them
 * and calls sftp_server_data_end(s, n), or sftp_server_data_cancel to drop the packet. Nothing
 * else may be sent in between. */
int sftp_server_data_begin(struct sftp_server *s, uint32_t id, size_t max, uint8_t **p) FERRY_MUST_USE;
void sftp_server_data_end(struct sftp_server *s, size_t n);
void sftp_server_data_cancel(struct sftp_server *s);
int sftp_server_send_attrs(struct sftp_server *s, uint32_t id, const struct sftp_attrs *a) FERRY_MUST_USE;
int sftp_server_send_name(struct sftp_server *s, uint32_t id, const struct sftp_name_entry *e,
			  size_t count) FERRY_MUST_USE;
/* SSH_FXP_EXTENDED_REPLY with a body the caller encoded (everything after the id). */
int sftp_server_send_extended(struct sftp_server *s, uint32_t id, const void *p, size_t n) FERRY_MUST_USE;

/* statvfs@openssh.com's reply (PROTOCOL §4.4). */
struct sftp_statvfs {
	uint64_t bsize, frsize, blocks, bfree, bavail, files, ffree, favail, fsid, flag, namemax;
};
int sftp_server_send_statvfs(struct sftp_server *s, uint32_t id, const struct sftp_statvfs *v) FERRY_MUST_USE;

/* limits@openssh.com's reply (PROTOCOL §4.8). */
struct sftp_limits {
	uint64_t max_packet, max_read, max_write, max_handles;
};
int sftp_server_send_limits(struct sftp_server *s, uint32_t id, const struct sftp_limits *l) FERRY_MUST_USE;

/* users-groups-by-id@openssh.com's reply (PROTOCOL §4.12): names in request order, "" for an
 * id without a name. */
int sftp_server_send_names_by_id(struct sftp_server *s, uint32_t id, const char *const *users,
				 size_t n_users, const char *const *groups, size_t n_groups) FERRY_MUST_USE;

/* check-file's reply (extensions draft §3): the algorithm used and the hashes, one per block,
 * back to back. */
int sftp_server_send_check_file(struct sftp_server *s, uint32_t id, const char *alg,
				const uint8_t *hashes, size_t n) FERRY_MUST_USE;

/* The i-th uint32 of a uids/gids list (the parser checked the length is a multiple of 4). */
static inline uint32_t sftp_id_at(const struct sftp_bytes *list, size_t i)
{
	const uint8_t *p = list->p + 4 * i;
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

#endif
