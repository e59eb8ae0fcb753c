#!/usr/bin/env bash
# Adversarial server tests: ferryd against a fake client that breaks the key exchange rules (RFC 4253 §7.1, OpenSSH PROTOCOL 1.9 strict KEX, RFC 8308).
#
# The fake client offers kex-strict-c-v00@openssh.com unless a case passes --no-strict.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/harness.sh"
source "$here/../lib/ferryd.sh"
source "$here/../lib/badclient.sh"
bc_require
bc_start

bc_accept "good: strict KEX negotiated" good --expect '^kex strict=yes ' --expect '^exit-status 0$'

STRICT='strict|kex|key exchange|unexpected|protocol'
bc_reject --log "$STRICT" "IGNORE before KEXINIT (strict KEX: KEXINIT must be first)" strict_kexinit_not_first
bc_reject --log "$STRICT" "IGNORE during the initial KEX (strict KEX)" strict_ignore_in_kex
bc_reject --log "$STRICT" "SERVICE_REQUEST during the initial KEX (strict KEX)" service_request_in_kex
bc_reject --client --no-strict --log "$STRICT" --openssh-xfail "sshd 9.2 answers UNIMPLEMENTED and waits" \
	"SERVICE_REQUEST during the initial KEX without strict KEX (RFC 4253 §7.1)" service_request_in_kex
bc_reject --log "$STRICT" --openssh-xfail "sshd 9.2 closes and logs only 'Disconnected' (no reason)" \
	"CHANNEL_OPEN during the initial KEX (strict KEX)" chan_open_in_kex

bc_reject --log 'ext[-_ ]?info|extension|unexpected|protocol' \
	--openssh-xfail "sshd 9.2 answers UNIMPLEMENTED and goes on" \
	"EXT_INFO with nr-extensions 0xffffffff after NEWKEYS" ext_info_huge_count

bc_done
