#!/usr/bin/env bash
# Adversarial client tests: ferry ssh against a fake server with broken identification banners (RFC 4253 §4.2).
#
# Each case runs `ferry ssh ... true` against a fresh tests/lib/fakeserver.py and requires exit
# 255 within 5 s with an explanation on stderr; the positive controls must still work.
# FERRY_TEST_CLIENT=openssh runs OpenSSH's ssh instead, to validate the cases themselves.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -f $here/../lib/harness.sh ]]; then source "$here/../lib/harness.sh"; fi
source "$here/../lib/badserver.sh"
bs_require

# Positive controls: the fake server is a working server.
bs_accept "good: true exits 0" good "" true
bs_accept "good: echo hi prints hi" good "hi" echo hi
# RFC 4253 §4.2: the server MAY send other lines before the version string.
bs_accept "3 short pre-banner lines, then a valid banner" good_prebanner "" true

bs_reject "binary junk instead of a banner" banner_garbage \
	'banner|identification|version|protocol|invalid'
bs_reject "300 KB banner line without a newline" banner_long \
	'banner|identification|version|too long|line'
# OpenSSH gives up after 1024 lines (1023 junk lines + banner still work), so 5000 is "too many"
# for any reasonable limit.
bs_reject "5000 pre-banner lines" banner_many_lines \
	'banner|identification|version|lines|pre-?banner|preamble'
bs_reject "protocol 1 banner (SSH-1.5-)" banner_ssh1 \
	'version|protocol'

bs_done
