/* ferry_strerror(): one message per FERRY_E* code. */
#include "common/error.h"

#include <errno.h>
#include <stddef.h>

static const char *const messages[] = {
	[0] = "success",
	[-FERRY_EINVAL] = "invalid argument",
	[-FERRY_ENOMEM] = "out of memory",
	[-FERRY_ESHORT] = "message truncated",
	[-FERRY_EFULL] = "buffer size limit exceeded",
	[-FERRY_EPROTO] = "protocol error",
	[-FERRY_EMAC] = "message authentication code incorrect",
	[-FERRY_ECRYPTO] = "cryptographic library failure",
	[-FERRY_EIO] = "input/output error",
	[-FERRY_ECLOSED] = "connection closed by remote host",
	[-FERRY_ETIMEDOUT] = "connection timed out",
	[-FERRY_ENOTSUP] = "not supported",
	[-FERRY_ENOMATCH] = "no matching algorithm",
	[-FERRY_EHOSTKEY] = "host key verification failed",
	[-FERRY_EAUTH] = "permission denied",
	[-FERRY_EKEYFORMAT] = "invalid key format",
	[-FERRY_ENOENT] = "no such file or entry",
	[-FERRY_EAGAIN] = "more input needed",
	[-FERRY_EDISCONNECT] = "disconnected by remote host",
	[-FERRY_ESIG] = "signature verification failed",
	[-FERRY_ECONFIG] = "configuration error",
	[-FERRY_EPERM] = "permission denied",
	[-FERRY_ECANCELED] = "operation cancelled",
	[-FERRY_EEXIST] = "already exists",
	[-FERRY_ERESOLVE] = "could not resolve host name",
	[-FERRY_ECONNREFUSED] = "connection refused",
	[-FERRY_EBUSY] = "operation already in progress",
};

const char *ferry_strerror(int err)
{
	if (err > 0 || err <= FERRY_E_LAST || messages[-err] == NULL)
		return "unknown error";
	return messages[-err];
}

int ferry_from_errno(int errnum)
{
	switch (errnum) {
	case 0: return FERRY_OK;
	case ENOMEM: return FERRY_ENOMEM;
	case ENOENT: case ENOTDIR: return FERRY_ENOENT;
	case EACCES: case EPERM: return FERRY_EPERM;
	case EEXIST: return FERRY_EEXIST;
	case EINVAL: return FERRY_EINVAL;
	case ETIMEDOUT: return FERRY_ETIMEDOUT;
	case ECONNREFUSED: return FERRY_ECONNREFUSED;
	case EPIPE: case ECONNRESET: return FERRY_ECLOSED;
	case ECANCELED: return FERRY_ECANCELED;
	case EAGAIN: return FERRY_EAGAIN;
	case EBUSY: return FERRY_EBUSY;
	case ENOSYS: case EOPNOTSUPP: return FERRY_ENOTSUP;
	default: return FERRY_EIO;
	}
}
