#!/usr/bin/env bash
# Adversarial client tests: ferry ssh against a fake server that breaks key exchange (RFC 4253 §7-8, RFC 8731, OpenSSH strict KEX, RFC 8308).
#
# The strict-KEX cases assume ferry offers kex-strict-c-v00@openssh.com (the fake server's log
# says whether it did); without it IGNORE/DEBUG during KEX would be legal.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -f $here/../lib/harness.sh ]]; then source "$here/../lib/harness.sh"; fi
source "$here/../lib/badserver.sh"
bs_require

bs_accept "good: true exits 0" good "" true

STRICT='strict|unexpected|kex|key exchange|protocol'
bs_reject "SSH_MSG_IGNORE during the initial KEX (strict KEX)" strict_ignore_in_kex "$STRICT"
bs_reject "SSH_MSG_DEBUG during the initial KEX (strict KEX)" strict_debug_in_kex "$STRICT"
bs_reject "KEXINIT not the first packet (strict KEX)" strict_kexinit_not_first "$STRICT|kexinit"

bs_reject "bad host key signature in KEX_ECDH_REPLY" hostkey_bad_sig \
	'signature|host key|verif'
bs_reject "no common cipher (server offers only des-fake)" kex_no_common \
	'negotiat|no matching|common|cipher|algorithm'

EXT='ext[-_ ]?info|extension|incomplete|truncated|too many|message|packet'
bs_reject --openssh-xfail "OpenSSH logs 'SSH2_MSG_EXT_INFO with too many entries' and carries on" \
	"EXT_INFO with nr-extensions 0xffffffff" ext_info_huge_count "$EXT"
bs_reject "EXT_INFO claiming 1000 extensions, holding 3" ext_info_truncated "$EXT"

bs_done
