#!/usr/bin/env bash
# tests/interop/t_dropbear.sh: the client against Dropbear's server with the suites the two share (RFC 4253 s7, RFC 4344, RFC 8731, RFC 5656, OpenSSH PROTOCOL.chacha20poly1305).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

dropbear_start
say "dropbear $("$DROPBEAR_BIN" -V 2>&1 | head -n1) on port $DROPBEAR_PORT"
BASIC_BYTES=$(scaled_bytes 8)
expect_ok "first contact" -- true

# Each suite names cipher, MAC, key exchange and host key algorithm explicitly, so success
# means exactly that combination worked (the client may offer nothing else).
SUITES=(
	"-c aes128-ctr -m hmac-sha2-256 -o KexAlgorithms=curve25519-sha256 -o HostKeyAlgorithms=ssh-ed25519"
	"-c chacha20-poly1305@openssh.com -o KexAlgorithms=curve25519-sha256@libssh.org -o HostKeyAlgorithms=ecdsa-sha2-nistp256"
	"-c aes256-ctr -m hmac-sha1 -o KexAlgorithms=ecdh-sha2-nistp256 -o HostKeyAlgorithms=ssh-ed25519"
	"-c aes256-ctr -m hmac-sha2-256 -o KexAlgorithms=ecdh-sha2-nistp521 -o HostKeyAlgorithms=ecdsa-sha2-nistp256"
	"-c aes128-ctr -m hmac-sha2-256 -o KexAlgorithms=diffie-hellman-group14-sha256 -o HostKeyAlgorithms=ssh-ed25519"
)
for suite in "${SUITES[@]}"; do
	say "suite: $suite"
	# One known_hosts file per host key algorithm: a client that knows the host by another
	# key type refuses a forced algorithm as a changed key (OpenSSH does).
	kh="$T/known_hosts.${suite##*HostKeyAlgorithms=}"
	# shellcheck disable=SC2086
	check_basic "$suite" $suite -o "UserKnownHostsFile=$kh"
done

say "exit status and stderr through dropbear"
ssh_run -- 'echo out; echo err >&2; exit 5' </dev/null
assert_eq "$RC" 5 "exit status"
assert_eq "$(cat "$T/out")" out "stdout"
assert_eq "$(cat "$T/err")" err "stderr"

for spec in ecdsa256 rsa; do
	say "user key $spec"
	key=$(add_user_key "$spec")
	expect_ok "user key $spec" -i "$key" -- echo hello
	assert_eq "$(cat "$T/out")" hello "user key $spec: output"
done
pass "${#SUITES[@]} suites"
