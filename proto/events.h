/* Events that the client and server state machines hand to the code driving them. */
#ifndef FERRY_PROTO_EVENTS_H
#define FERRY_PROTO_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ssh_ev_type {
	/* client */
	SSH_EV_NEED_PASSWORD,    /* answer with ssh_client_password or ssh_client_password_cancel */
	SSH_EV_BANNER,           /* str: the server's USERAUTH_BANNER text (raw, unescaped) */
	SSH_EV_AUTHENTICATED,    /* both: authentication succeeded (server: str = user) */
	SSH_EV_CHAN_OPENED,      /* client: our open was confirmed; server: a session was opened */
	SSH_EV_CHAN_OPEN_FAILED, /* code: reason, str: description */
	/* both */
	SSH_EV_CHAN_DATA,        /* ext: 0 = data, 1 = stderr; data/len */
	SSH_EV_CHAN_EOF,
	SSH_EV_CHAN_CLOSED,      /* both sides closed; the channel id is free after this event */
	SSH_EV_CHAN_REQUEST_OK,  /* replies to our requests, in the order they were sent */
	SSH_EV_CHAN_REQUEST_FAILED,
	SSH_EV_CHAN_EXIT_STATUS, /* client: code */
	SSH_EV_CHAN_EXIT_SIGNAL, /* client: str: signal name without "SIG", str2: message, flag: core */
	SSH_EV_CHAN_WINDOW,      /* the peer opened its window: more data may be sent */
	/* server: session requests; answer those with flag (want_reply) set through
	 * ssh_server_chan_reply */
	SSH_EV_CHAN_EXEC,        /* str: command */
	SSH_EV_CHAN_SHELL,
	SSH_EV_CHAN_SUBSYSTEM,   /* str: subsystem name */
	SSH_EV_CHAN_ENV,         /* str: name, str2: value */
	SSH_EV_CHAN_SIGNAL,      /* str: signal name without "SIG" */
};

/* One event. Pointers are borrowed: valid until the next call on the state machine. */
struct ssh_event {
	enum ssh_ev_type type;
	uint32_t chan;
	uint32_t ext;
	uint32_t code;
	bool flag;
	const uint8_t *data;
	size_t len;
	const char *str;
	const char *str2;
};

#endif
