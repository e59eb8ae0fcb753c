#!/usr/bin/env bash
# Adversarial server tests: ferryd against a fake client that skips or fakes authentication (RFC 4252 §5-§5.1, RFC 4254 §5.1).
#
# Nothing but SERVICE_REQUEST and USERAUTH_REQUEST is legal before authentication succeeds; in
# particular a USERAUTH_SUCCESS sent by the client must never open the connection protocol.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/harness.sh"
source "$here/../lib/ferryd.sh"
source "$here/../lib/badclient.sh"
bc_require
bc_start

bc_accept "good: publickey login, exec" good --expect '^auth ok$' --expect '^exit-status 0$'

PRE='unexpected|auth|protocol|before'
# The brief's bar for this one: disconnect, or at least never confirm the channel (sshd answers
# UNIMPLEMENTED and waits for a real USERAUTH_REQUEST).
bc_reject --quiet-ok --log "$PRE" "USERAUTH_SUCCESS from the client, then CHANNEL_OPEN" client_auth_success
bc_reject --log "$PRE" --openssh-xfail "sshd answers UNIMPLEMENTED and waits for authentication" \
	"CHANNEL_OPEN after SERVICE_ACCEPT, before authentication" chan_open_before_auth
bc_reject --log "$PRE|service" --openssh-xfail "sshd answers UNIMPLEMENTED and waits for SERVICE_REQUEST" \
	"CHANNEL_OPEN before SERVICE_REQUEST" chan_open_before_service

bc_done
