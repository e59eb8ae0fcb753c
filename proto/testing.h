/* Hooks for unit tests and fuzz targets only: skip straight to a state that would otherwise
 * need a full key exchange, so the parsers behind it can be reached with cleartext input.
 * Never called by ferry itself. */
#ifndef FERRY_PROTO_TESTING_H
#define FERRY_PROTO_TESTING_H

struct ssh_transport;
struct ssh_client;

/* Marks the first key exchange as done without keys (packets stay unencrypted): the peer's
 * version line must still arrive first. */
void ssh_transport_testing_skip_kex(struct ssh_transport *t);
/* Marks the client authenticated (and its transport as above). */
void ssh_client_testing_skip_auth(struct ssh_client *c);

#endif
