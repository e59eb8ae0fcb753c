/* SFTP wire constants: draft-ietf-secsh-filexfer-02 (protocol version 3), OpenSSH's extensions
 * (PROTOCOL §4) and check-file (draft-ietf-secsh-filexfer-extensions). */
#ifndef FERRY_PROTO_SFTP_H
#define FERRY_PROTO_SFTP_H

/* The protocol version ferry speaks (filexfer-02 §4). */
#define SFTP_VERSION 3

/* Message types (filexfer-02 §3). */
enum {
	SSH_FXP_INIT = 1,
	SSH_FXP_VERSION = 2,
	SSH_FXP_OPEN = 3,
	SSH_FXP_CLOSE = 4,
	SSH_FXP_READ = 5,
	SSH_FXP_WRITE = 6,
	SSH_FXP_LSTAT = 7,
	SSH_FXP_FSTAT = 8,
	SSH_FXP_SETSTAT = 9,
	SSH_FXP_FSETSTAT = 10,
	SSH_FXP_OPENDIR = 11,
	SSH_FXP_READDIR = 12,
	SSH_FXP_REMOVE = 13,
	SSH_FXP_MKDIR = 14,
	SSH_FXP_RMDIR = 15,
	SSH_FXP_REALPATH = 16,
	SSH_FXP_STAT = 17,
	SSH_FXP_RENAME = 18,
	SSH_FXP_READLINK = 19,
	SSH_FXP_SYMLINK = 20,
	SSH_FXP_STATUS = 101,
	SSH_FXP_HANDLE = 102,
	SSH_FXP_DATA = 103,
	SSH_FXP_NAME = 104,
	SSH_FXP_ATTRS = 105,
	SSH_FXP_EXTENDED = 200,
	SSH_FXP_EXTENDED_REPLY = 201,
};

/* Status codes (filexfer-02 §7); version 3 defines no others. */
enum {
	SSH_FX_OK = 0,
	SSH_FX_EOF = 1,
	SSH_FX_NO_SUCH_FILE = 2,
	SSH_FX_PERMISSION_DENIED = 3,
	SSH_FX_FAILURE = 4,
	SSH_FX_BAD_MESSAGE = 5,
	SSH_FX_NO_CONNECTION = 6,
	SSH_FX_CONNECTION_LOST = 7,
	SSH_FX_OP_UNSUPPORTED = 8,
};

/* Attribute flags (filexfer-02 §5). */
#define SSH_FILEXFER_ATTR_SIZE 0x00000001u
#define SSH_FILEXFER_ATTR_UIDGID 0x00000002u
#define SSH_FILEXFER_ATTR_PERMISSIONS 0x00000004u
#define SSH_FILEXFER_ATTR_ACMODTIME 0x00000008u
#define SSH_FILEXFER_ATTR_EXTENDED 0x80000000u

/* SSH_FXP_OPEN pflags (filexfer-02 §6.3). */
#define SSH_FXF_READ 0x00000001u
#define SSH_FXF_WRITE 0x00000002u
#define SSH_FXF_APPEND 0x00000004u
#define SSH_FXF_CREAT 0x00000008u
#define SSH_FXF_TRUNC 0x00000010u
#define SSH_FXF_EXCL 0x00000020u

/* statvfs@openssh.com f_flag bits (PROTOCOL §4.4). */
#define SSH_FXE_STATVFS_ST_RDONLY 0x1u
#define SSH_FXE_STATVFS_ST_NOSUID 0x2u

/* Extension names (PROTOCOL §4; check-file from draft-ietf-secsh-filexfer-extensions §3). */
#define SFTP_EXT_POSIX_RENAME "posix-rename@openssh.com"
#define SFTP_EXT_STATVFS "statvfs@openssh.com"
#define SFTP_EXT_FSTATVFS "fstatvfs@openssh.com"
#define SFTP_EXT_HARDLINK "hardlink@openssh.com"
#define SFTP_EXT_FSYNC "fsync@openssh.com"
#define SFTP_EXT_LSETSTAT "lsetstat@openssh.com"
#define SFTP_EXT_LIMITS "limits@openssh.com"
#define SFTP_EXT_EXPAND_PATH "expand-path@openssh.com"
#define SFTP_EXT_COPY_DATA "copy-data"
#define SFTP_EXT_HOME_DIRECTORY "home-directory"
#define SFTP_EXT_USERS_GROUPS_BY_ID "users-groups-by-id@openssh.com"
#define SFTP_EXT_CHECK_FILE_HANDLE "check-file-handle"
#define SFTP_EXT_CHECK_FILE_NAME "check-file-name"
/* The name at the front of a check-file reply (extensions draft §3). */
#define SFTP_EXT_CHECK_FILE_REPLY "check-file"

/* OpenSSH's own limits: its packet maximum (256 KiB) and the read/write length it uses
 * (PROTOCOL §4.8 reports them; its client never asks for more). */
#define SFTP_OPENSSH_MAX_PACKET (256u * 1024)
#define SFTP_OPENSSH_MAX_RW (SFTP_OPENSSH_MAX_PACKET - 1024)

/* ferry's server limits: 256 KiB reads and writes, and packets with room for the header of a
 * 256 KiB WRITE (1 KiB covers the type, id, handle, offset and length fields). */
#define SFTP_MAX_RW (256u * 1024)
#define SFTP_MAX_PACKET (SFTP_MAX_RW + 1024)

/* check-file: the smallest block size a client may ask for (extensions draft §3.1). */
#define SFTP_CHECK_FILE_MIN_BLOCK 256u

#endif
