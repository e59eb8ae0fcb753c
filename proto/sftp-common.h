/* SFTP pieces both ends share: file attributes (draft-ietf-secsh-filexfer-02 §5), NAME entries
 * (§7), status texts, and the "ls -l" style long name a server puts in its listings. */
#ifndef FERRY_PROTO_SFTP_COMMON_H
#define FERRY_PROTO_SFTP_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"
#include "common/error.h"
#include "proto/sftp.h"

/* A byte string borrowed from a packet or from the caller (not NUL-terminated). */
struct sftp_bytes {
	const uint8_t *p;
	size_t n;
};

/* ATTRS (filexfer-02 §5). Only the fields named in flags mean anything. Extended pairs are
 * parsed and skipped on decode (ext_count says how many there were) and never encoded. */
struct sftp_attrs {
	uint32_t flags;            /* SSH_FILEXFER_ATTR_* */
	uint64_t size;
	uint32_t uid, gid;
	uint32_t perm;             /* st_mode bits, file type included */
	uint32_t atime, mtime;
	uint32_t ext_count;
};

/* One entry of an SSH_FXP_NAME reply (filexfer-02 §7): filename, longname, attrs. */
struct sftp_name_entry {
	struct sftp_bytes name;
	struct sftp_bytes longname;
	struct sftp_attrs attrs;
};

/* Appends attrs to b (only the fields in flags; the EXTENDED flag is dropped, since ferry
 * sends no extended attributes). */
int sftp_attrs_encode(struct buf *b, const struct sftp_attrs *a) FERRY_MUST_USE;
/* Reads ATTRS from b. *out is written only on success; on failure (FERRY_ESHORT: the packet
 * ends inside the attributes) the read cursor of b is left where it was. Extended pairs are
 * skipped; their count is bounded by the bytes actually present. */
int sftp_attrs_decode(struct buf *b, struct sftp_attrs *out) FERRY_MUST_USE;
/* The byte size of a's encoding. */
size_t sftp_attrs_encoded_len(const struct sftp_attrs *a);

/* Appends one NAME entry (filename, longname, attrs). */
int sftp_name_entry_encode(struct buf *b, const struct sftp_name_entry *e) FERRY_MUST_USE;
/* Reads one NAME entry; the strings are borrowed from b (valid until b is next written). */
int sftp_name_entry_decode(struct buf *b, struct sftp_name_entry *out) FERRY_MUST_USE;

/* The usual English text for a status code (a static string; "Unknown error" for others). */
const char *sftp_status_message(uint32_t code);

/* An "ls -l" line for a listing: mode string, link count, owner and group names (at least 8
 * columns each), size, date, name; e.g.
 *   "-rw-r--r--    1 alice    staff        1234 Jan  2 12:34 notes.txt".
 * nlink is the link count; mtime_tm is the modification time broken down in local time and
 * recent says whether it is within six months of now (then the date shows the time of day,
 * else the year). The name is copied as is. Returns a new string (caller frees) in *out. */
int sftp_longname_format(const struct sftp_attrs *a, unsigned long nlink, const char *user,
			 const char *group, const struct tm *mtime_tm, bool recent,
			 const uint8_t *name, size_t name_len, char **out) FERRY_MUST_USE;

/* The ten-character mode string of st_mode bits ("drwxr-xr-x"), NUL-terminated in out. */
void sftp_mode_string(uint32_t mode, char out[11]);

#endif
