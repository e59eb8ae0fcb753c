#!/usr/bin/env bash
# Adversarial client tests: ferry ssh against a fake server that breaks the userauth ordering (RFC 4252 §5, RFC 4253 §10, RFC 4254 §5).
#
# A USERAUTH_SUCCESS right after SERVICE_ACCEPT is indistinguishable on the wire from a legal
# success for the "none" method, so the unsolicited success is sent before SERVICE_ACCEPT.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -f $here/../lib/harness.sh ]]; then source "$here/../lib/harness.sh"; fi
source "$here/../lib/badserver.sh"
bs_require

bs_accept "good: echo hi prints hi" good "hi" echo hi
bs_accept --status 7 "good: exit 7 gives exit status 7" good "" exit 7

AUTH='unexpected|auth|protocol|bad message|not allowed|before'
bs_reject "USERAUTH_SUCCESS before SERVICE_ACCEPT" auth_success_unsolicited "$AUTH"
bs_reject "CHANNEL_DATA before authentication" chan_data_before_auth "$AUTH|channel"
bs_reject "CHANNEL_OPEN_CONFIRMATION before authentication" chan_confirm_before_auth "$AUTH|channel"

bs_done
