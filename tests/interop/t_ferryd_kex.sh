#!/usr/bin/env bash
# tests/interop/t_ferryd_kex.sh: OpenSSH's ssh against ferryd with every key exchange method ferry implements, each yielding working keys (RFC 4253 s7-8, RFC 4419, RFC 5656, RFC 8268, RFC 8731; OpenSSH PROTOCOL s1.9 strict KEX).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ferryd.sh"

# shellcheck disable=SC2206
KEXS=($FERRY_KEXS)
BASIC_BYTES=$(scaled_bytes 64)

ferryd_start
expect_ok "first contact" -- true

for k in "${KEXS[@]}"; do
	say "key exchange $k"
	check_suite "$k" -o "KexAlgorithms=$k" -- "kex: algorithm: $k"
	if [[ $k == diffie-hellman-group-exchange-* ]]; then
		# RFC 4419 s3: the client asked for a group and the server sent one.
		negotiated "$T/rt.err" "SSH2_MSG_KEX_DH_GEX_REQUEST" "SSH2_MSG_KEX_DH_GEX_GROUP"
	fi
done

# The server offers the strict-KEX marker (OpenSSH PROTOCOL s1.9; the defence against
# prefix truncation): ssh says so at debug level 3.
say "strict key exchange"
expect_ok "strict KEX" -vvv -- true
negotiated "$T/err" "will use strict KEX ordering"

say "no common key exchange method"
ssh_run -o LogLevel=INFO -o KexAlgorithms=diffie-hellman-group1-sha1 -- true </dev/null
assert_eq "$RC" 255 "exit status without a common key exchange method"
assert_file_contains "$T/err" "no matching key exchange method" "client's complaint"
ferryd_pass "${#KEXS[@]} key exchange methods"
