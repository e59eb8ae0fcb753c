#!/usr/bin/env bash
# tests/interop/t_ssh_hostkeys.sh: every host key algorithm ferry verifies and every user key type it signs with work against OpenSSH's sshd (RFC 4253 s6.6, RFC 4252 s7, RFC 5656 s3, RFC 8332, RFC 8709).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

SSHD_HOSTKEYS=(ed25519 ecdsa256 ecdsa384 ecdsa521 rsa)
sshd_start

# --- host keys: force each algorithm, check sshd used it and the client recorded that key ---

hostkey_type_for() {
	case "$1" in
		ssh-ed25519) echo ed25519 ;;
		ecdsa-sha2-nistp256) echo ecdsa256 ;;
		ecdsa-sha2-nistp384) echo ecdsa384 ;;
		ecdsa-sha2-nistp521) echo ecdsa521 ;;
		rsa-sha2-256 | rsa-sha2-512) echo rsa ;;
	esac
}

HOSTKEY_ALGS=(ssh-ed25519 ecdsa-sha2-nistp256 ecdsa-sha2-nistp384 ecdsa-sha2-nistp521 rsa-sha2-256 rsa-sha2-512)
for alg in "${HOSTKEY_ALGS[@]}"; do
	say "host key algorithm $alg"
	kh="$T/known_hosts.$alg"
	rm -f "$kh"
	log_mark
	expect_ok "$alg: first contact" -o "HostKeyAlgorithms=$alg" -o "UserKnownHostsFile=$kh" -- echo hello
	assert_eq "$(cat "$T/out")" hello "$alg: echo output"
	log_since | grep -qF "kex: host key algorithm: $alg " || fail "sshd did not sign with $alg"
	# The key the client recorded is the server's key of that type, in a line OpenSSH parses.
	pub=$(hostkey "$(hostkey_type_for "$alg")").pub
	want=$(awk '{ print $1, $2 }' "$pub")
	got=$(ssh-keygen -F "[127.0.0.1]:$SSHD_PORT" -f "$kh" | awk '!/^#/ { print $2, $3 }')
	assert_eq "$got" "$want" "$alg: key recorded in known_hosts"
	# And the client accepts that record on its own strict check.
	expect_ok "$alg: known key" -o "HostKeyAlgorithms=$alg" -o "UserKnownHostsFile=$kh" \
		-o StrictHostKeyChecking=yes -- true
done

# --- user keys: each type (and the legacy PEM encodings) authenticates ---

USER_KEYS=("ed25519" "ecdsa256" "ecdsa384" "ecdsa521" "rsa" "rsa pem" "ecdsa256 pem" "ecdsa521 pem")
for spec in "${USER_KEYS[@]}"; do
	# shellcheck disable=SC2086
	key=$(add_user_key $spec)
	say "user key $spec ($(head -c 40 "$key" | head -n1))"
	fp=$(ssh-keygen -lf "$key.pub" | awk '{ print $2 }')
	log_mark
	expect_ok "user key $spec" -i "$key" -- echo hello
	assert_eq "$(cat "$T/out")" hello "user key $spec: echo output"
	log_since | grep -F "Accepted publickey for $SSH_USER from 127.0.0.1 port" | grep -qF " $fp" ||
		fail "user key $spec: sshd did not accept key $fp"
done
pass "${#HOSTKEY_ALGS[@]} host key algorithms, ${#USER_KEYS[@]} user keys"
