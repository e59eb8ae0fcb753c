#!/usr/bin/env bash
# Adversarial server tests: ferryd against a fake client whose version exchange is broken (RFC 4253 §4.2).
#
# One ferryd serves every case; a legitimate session stays connected throughout and a fresh
# login must work after each case (tests/lib/badclient.sh).
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/harness.sh"
source "$here/../lib/ferryd.sh"
source "$here/../lib/badclient.sh"
bc_require
bc_start

bc_accept "good: publickey login, exec" good --expect '^stdout fakeclient\\x0a$' --expect '^exit-status 0$'

BANNER='banner|version|identification|protocol'
bc_reject --log "$BANNER" "binary junk instead of a version line" banner_garbage
bc_reject --log "$BANNER|too long|line" "300 KB without a newline instead of a version line" banner_long
bc_reject --log "$BANNER" "protocol 1 version line (SSH-1.5-)" banner_ssh1

bc_done
