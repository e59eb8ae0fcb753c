#!/usr/bin/env bash
# tests/interop/t_ssh_kex.sh: every key exchange method ferry offers completes against OpenSSH's sshd and yields working keys (RFC 4253 s7-8, RFC 4419, RFC 5656, RFC 8268, RFC 8731).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

KEXS=(curve25519-sha256 curve25519-sha256@libssh.org ecdh-sha2-nistp256 ecdh-sha2-nistp384
	ecdh-sha2-nistp521 diffie-hellman-group14-sha256 diffie-hellman-group16-sha512
	diffie-hellman-group18-sha512 diffie-hellman-group-exchange-sha256)
# The big transfer only for two methods (one ECC, one finite-field); the handshakes are the
# point, and 1 MiB still proves the derived keys work in both directions.
BIG=" curve25519-sha256 diffie-hellman-group-exchange-sha256 "

sshd_start
expect_ok "first contact" -- true

for k in "${KEXS[@]}"; do
	say "key exchange $k"
	if [[ $BIG == *" $k "* ]]; then BASIC_BYTES=$(scaled_bytes 64); else BASIC_BYTES=1048576; fi
	log_mark
	check_basic "$k" -o "KexAlgorithms=$k"
	n_all=$(log_since | grep -c 'kex: algorithm: ' || true)
	n_ok=$(log_since | grep -cF "kex: algorithm: $k " || true)
	[[ $n_all -ge 3 && $n_all == "$n_ok" ]] || fail "sshd did not use $k on every connection ($n_ok of $n_all)"
	if [[ $k == diffie-hellman-group-exchange-* ]]; then
		# RFC 4419 s3: the group came from a request; sshd logs it and the size it picked.
		log_since | grep -q 'SSH2_MSG_KEX_DH_GEX_REQUEST received' ||
			fail "no group exchange request seen by sshd"
	fi
done
pass "${#KEXS[@]} key exchange methods"
