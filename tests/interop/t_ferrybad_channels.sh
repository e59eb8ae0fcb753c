#!/usr/bin/env bash
# Adversarial server tests: ferryd against an authenticated fake client that abuses channels (RFC 4254 §5.1-§5.2, MaxSessions).
#
# Window overrun: more CHANNEL_DATA than the window the server granted, on a channel with no
# command and on one whose command does not read its input. Channel flood: 10,000 session
# opens on one connection; those beyond MaxSessions are refused and the connection still runs
# a command afterwards, in bounded time.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/harness.sh"
source "$here/../lib/ferryd.sh"
source "$here/../lib/badclient.sh"
bc_require
MAX_SESSIONS=5
bc_start "MaxSessions $MAX_SESSIONS"

WINDOW='window|too much data|channel'
bc_reject --log "$WINDOW" --openssh-xfail "sshd has no window until exec and drops data before it" \
	"window overrun on a session without a command" window_overrun
bc_reject --log "$WINDOW" --openssh-xfail "sshd 9.2 logs 'rcvd too much data' and goes on" \
	"window overrun on a session whose command does not read" window_overrun_exec

bc_accept --limit 120 "10,000 session opens on one connection (MaxSessions $MAX_SESSIONS)" many_channels \
	--expect "^opens sent=10000 confirmed=$MAX_SESSIONS failed=$((10000 - MAX_SESSIONS)) " \
	--expect '^stdout fakeclient\\x0a$' --expect '^exit-status 0$'

bc_done
