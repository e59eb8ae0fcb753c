/* ferry's one error convention: 0 on success, a negative FERRY_E* code on failure. */
#ifndef FERRY_COMMON_ERROR_H
#define FERRY_COMMON_ERROR_H

#define FERRY_MUST_USE __attribute__((warn_unused_result))

enum ferry_err {
	FERRY_OK = 0,
	FERRY_EINVAL = -1,      /* invalid argument (a caller's bug or bad user input) */
	FERRY_ENOMEM = -2,      /* out of memory */
	FERRY_ESHORT = -3,      /* not enough bytes: a message or buffer ended early */
	FERRY_EFULL = -4,       /* a buffer would grow past its hard maximum */
	FERRY_EPROTO = -5,      /* the peer broke the protocol */
	FERRY_EMAC = -6,        /* message authentication failed (MAC or AEAD tag) */
	FERRY_ECRYPTO = -7,     /* libcrypto reported a failure */
	FERRY_EIO = -8,         /* an I/O error; errno has the detail */
	FERRY_ECLOSED = -9,     /* the connection was closed by the peer */
	FERRY_ETIMEDOUT = -10,  /* a timer ran out */
	FERRY_ENOTSUP = -11,    /* an algorithm, format or feature ferry does not support */
	FERRY_ENOMATCH = -12,   /* no algorithm in common with the peer */
	FERRY_EHOSTKEY = -13,   /* host key verification failed */
	FERRY_EAUTH = -14,      /* authentication failed */
	FERRY_EKEYFORMAT = -15, /* a key file or key blob is malformed */
	FERRY_ENOENT = -16,     /* no such file, key, channel or entry */
	FERRY_EAGAIN = -17,     /* nothing to do until more input arrives */
	FERRY_EDISCONNECT = -18,/* the peer sent SSH_MSG_DISCONNECT */
	FERRY_ESIG = -19,       /* a signature did not verify */
	FERRY_ECONFIG = -20,    /* a configuration error */
	FERRY_EPERM = -21,      /* permission denied */
	FERRY_ECANCELED = -22,  /* an operation was cancelled */
	FERRY_EEXIST = -23,     /* already exists */
	FERRY_ERESOLVE = -24,   /* a host name could not be resolved */
	FERRY_ECONNREFUSED = -25,/* connection refused */
	FERRY_EBUSY = -26,      /* resource busy: one operation already in flight */
	FERRY_E_LAST = -27
};

/* Returns a static, human-readable string for err (never NULL). */
const char *ferry_strerror(int err);

/* Translates an errno value into the closest FERRY_E* code. */
int ferry_from_errno(int errnum);

#endif
