/* SFTP attributes, NAME entries, status texts and long names (draft-ietf-secsh-filexfer-02
 * §5 and §7), shared by the server and the client. */
#include "proto/sftp-common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int sftp_attrs_encode(struct buf *b, const struct sftp_attrs *a)
{
	uint32_t flags = a->flags & ~SSH_FILEXFER_ATTR_EXTENDED;
	int r;

	if ((r = buf_put_u32(b, flags)) != 0)
		return r;
	if ((flags & SSH_FILEXFER_ATTR_SIZE) && (r = buf_put_u64(b, a->size)) != 0)
		return r;
	if ((flags & SSH_FILEXFER_ATTR_UIDGID) &&
	    ((r = buf_put_u32(b, a->uid)) != 0 || (r = buf_put_u32(b, a->gid)) != 0))
		return r;
	if ((flags & SSH_FILEXFER_ATTR_PERMISSIONS) && (r = buf_put_u32(b, a->perm)) != 0)
		return r;
	if ((flags & SSH_FILEXFER_ATTR_ACMODTIME) &&
	    ((r = buf_put_u32(b, a->atime)) != 0 || (r = buf_put_u32(b, a->mtime)) != 0))
		return r;
	return 0;
}

size_t sftp_attrs_encoded_len(const struct sftp_attrs *a)
{
	size_t n = 4;
	if (a->flags & SSH_FILEXFER_ATTR_SIZE)
		n += 8;
	if (a->flags & SSH_FILEXFER_ATTR_UIDGID)
		n += 8;
	if (a->flags & SSH_FILEXFER_ATTR_PERMISSIONS)
		n += 4;
	if (a->flags & SSH_FILEXFER_ATTR_ACMODTIME)
		n += 8;
	return n;
}

int sftp_attrs_decode(struct buf *b, struct sftp_attrs *out)
{
	struct sftp_attrs a;
	size_t start = b->rpos;
	int r;

	memset(&a, 0, sizeof(a));
	if ((r = buf_get_u32(b, &a.flags)) != 0)
		goto fail;
	if ((a.flags & SSH_FILEXFER_ATTR_SIZE) && (r = buf_get_u64(b, &a.size)) != 0)
		goto fail;
	if ((a.flags & SSH_FILEXFER_ATTR_UIDGID) &&
	    ((r = buf_get_u32(b, &a.uid)) != 0 || (r = buf_get_u32(b, &a.gid)) != 0))
		goto fail;
	if ((a.flags & SSH_FILEXFER_ATTR_PERMISSIONS) && (r = buf_get_u32(b, &a.perm)) != 0)
		goto fail;
	if ((a.flags & SSH_FILEXFER_ATTR_ACMODTIME) &&
	    ((r = buf_get_u32(b, &a.atime)) != 0 || (r = buf_get_u32(b, &a.mtime)) != 0))
		goto fail;
	if (a.flags & SSH_FILEXFER_ATTR_EXTENDED) {
		/* filexfer-02 §5: extended_count pairs of (type, data) strings. Each pair takes at
		 * least 8 bytes, so a count larger than what is left cannot be honest; the loop
		 * stops at the first string that runs past the end either way. */
		if ((r = buf_get_u32(b, &a.ext_count)) != 0)
			goto fail;
		for (uint32_t i = 0; i < a.ext_count; i++) {
			const uint8_t *p;
			size_t n;
			if ((r = buf_get_string_ref(b, &p, &n)) != 0 ||
			    (r = buf_get_string_ref(b, &p, &n)) != 0)
				goto fail;
		}
	}
	*out = a;
	return 0;
fail:
	b->rpos = start;
	return r;
}

int sftp_name_entry_encode(struct buf *b, const struct sftp_name_entry *e)
{
	int r;
	if ((r = buf_put_string(b, e->name.p, e->name.n)) != 0 ||
	    (r = buf_put_string(b, e->longname.p, e->longname.n)) != 0)
		return r;
	return sftp_attrs_encode(b, &e->attrs);
}

int sftp_name_entry_decode(struct buf *b, struct sftp_name_entry *out)
{
	struct sftp_name_entry e;
	size_t start = b->rpos;
	int r;

	memset(&e, 0, sizeof(e));
	if ((r = buf_get_string_ref(b, &e.name.p, &e.name.n)) != 0 ||
	    (r = buf_get_string_ref(b, &e.longname.p, &e.longname.n)) != 0 ||
	    (r = sftp_attrs_decode(b, &e.attrs)) != 0) {
		b->rpos = start;
		return r;
	}
	*out = e;
	return 0;
}

const char *sftp_status_message(uint32_t code)
{
	static const char *const text[] = {
		[SSH_FX_OK] = "Success",
		[SSH_FX_EOF] = "End of file",
		[SSH_FX_NO_SUCH_FILE] = "No such file",
		[SSH_FX_PERMISSION_DENIED] = "Permission denied",
		[SSH_FX_FAILURE] = "Failure",
		[SSH_FX_BAD_MESSAGE] = "Bad message",
		[SSH_FX_NO_CONNECTION] = "No connection",
		[SSH_FX_CONNECTION_LOST] = "Connection lost",
		[SSH_FX_OP_UNSUPPORTED] = "Operation unsupported",
	};
	if (code < sizeof(text) / sizeof(text[0]))
		return text[code];
	return "Unknown error";
}

void sftp_mode_string(uint32_t mode, char out[11])
{
	char type;
	switch (mode & S_IFMT) {
	case S_IFDIR: type = 'd'; break;
	case S_IFLNK: type = 'l'; break;
	case S_IFCHR: type = 'c'; break;
	case S_IFBLK: type = 'b'; break;
	case S_IFIFO: type = 'p'; break;
	case S_IFSOCK: type = 's'; break;
	case S_IFREG: type = '-'; break;
	default: type = '?'; break;
	}
	out[0] = type;
	out[1] = (mode & S_IRUSR) ? 'r' : '-';
	out[2] = (mode & S_IWUSR) ? 'w' : '-';
	if (mode & S_ISUID)
		out[3] = (mode & S_IXUSR) ? 's' : 'S';
	else
		out[3] = (mode & S_IXUSR) ? 'x' : '-';
	out[4] = (mode & S_IRGRP) ? 'r' : '-';
	out[5] = (mode & S_IWGRP) ? 'w' : '-';
	if (mode & S_ISGID)
		out[6] = (mode & S_IXGRP) ? 's' : 'S';
	else
		out[6] = (mode & S_IXGRP) ? 'x' : '-';
	out[7] = (mode & S_IROTH) ? 'r' : '-';
	out[8] = (mode & S_IWOTH) ? 'w' : '-';
	if (mode & S_ISVTX)
		out[9] = (mode & S_IXOTH) ? 't' : 'T';
	else
		out[9] = (mode & S_IXOTH) ? 'x' : '-';
	out[10] = '\0';
}

int sftp_longname_format(const struct sftp_attrs *a, unsigned long nlink, const char *user,
			 const char *group, const struct tm *mtime_tm, bool recent,
			 const uint8_t *name, size_t name_len, char **out)
{
	char mode[11], date[32], *line = NULL;
	int ulen, glen, n;

	sftp_mode_string(a->perm, mode);
	date[0] = '\0';
	/* "Mon dd hh:mm" for the last six months, "Mon dd  yyyy" otherwise, as ls -l prints. */
	if (mtime_tm != NULL &&
	    strftime(date, sizeof(date), recent ? "%b %e %H:%M" : "%b %e  %Y", mtime_tm) == 0)
		date[0] = '\0';
	ulen = (int)strlen(user);
	glen = (int)strlen(group);
	n = snprintf(NULL, 0, "%s %4lu %-*s %-*s %8llu %s ", mode, nlink, ulen < 8 ? 8 : ulen, user,
		     glen < 8 ? 8 : glen, group, (unsigned long long)a->size, date);
	if (n < 0 || (size_t)n > SIZE_MAX - name_len - 1)
		return FERRY_EINVAL;
	line = malloc((size_t)n + name_len + 1);
	if (line == NULL)
		return FERRY_ENOMEM;
	snprintf(line, (size_t)n + 1, "%s %4lu %-*s %-*s %8llu %s ", mode, nlink, ulen < 8 ? 8 : ulen,
		 user, glen < 8 ? 8 : glen, group, (unsigned long long)a->size, date);
	if (name_len)
		memcpy(line + n, name, name_len);
	line[(size_t)n + name_len] = '\0';
	*out = line;
	return 0;
}
