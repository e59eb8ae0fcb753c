#!/usr/bin/env bash
# tests/interop/t_ferryd_hostkeys.sh: ferryd signs the key exchange with each host key algorithm OpenSSH's ssh asks for, and accepts each user key type (RFC 4253 s6.6, RFC 4252 s7, RFC 5656 s3, RFC 8308 s3.1, RFC 8332, RFC 8709).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ferryd.sh"

FERRYD_HOSTKEYS=(ed25519 ecdsa256 ecdsa384 ecdsa521 rsa)
BASIC_BYTES=$(scaled_bytes 64)
ferryd_start

hostkey_type_for() {
	case "$1" in
		ssh-ed25519) echo ed25519 ;;
		ecdsa-sha2-nistp256) echo ecdsa256 ;;
		ecdsa-sha2-nistp384) echo ecdsa384 ;;
		ecdsa-sha2-nistp521) echo ecdsa521 ;;
		rsa-sha2-256 | rsa-sha2-512) echo rsa ;;
	esac
}

# --- host keys: force each algorithm; ssh -v names the one used, and the key ssh recorded is
# --- the server's key of that type ---
HOSTKEY_ALGS=(ssh-ed25519 ecdsa-sha2-nistp256 ecdsa-sha2-nistp384 ecdsa-sha2-nistp521 rsa-sha2-256 rsa-sha2-512)
for alg in "${HOSTKEY_ALGS[@]}"; do
	say "host key algorithm $alg"
	# One known_hosts file per algorithm: ssh treats a forced algorithm for a host it knows by
	# another key type as a changed key.
	kh="$T/known_hosts.$alg"
	rm -f "$kh"
	check_suite "$alg" -o "HostKeyAlgorithms=$alg" -o "UserKnownHostsFile=$kh" -- \
		"kex: host key algorithm: $alg"
	pub=$(hostkey "$(hostkey_type_for "$alg")").pub
	want=$(awk '{ print $1, $2 }' "$pub")
	got=$(ssh-keygen -F "[127.0.0.1]:$FERRYD_PORT" -f "$kh" | awk '!/^#/ { print $2, $3 }')
	assert_eq "$got" "$want" "$alg: host key recorded in known_hosts"
	expect_ok "$alg: known key, strict checking" -o "HostKeyAlgorithms=$alg" -o "UserKnownHostsFile=$kh" \
		-o StrictHostKeyChecking=yes -- true
done

# A host key the server does not have is refused at key exchange.
say "host key algorithm the server lacks (ferryd has no ssh-dss)"
ssh_run -o LogLevel=INFO -o HostKeyAlgorithms=ssh-dss -o "UserKnownHostsFile=$T/known_hosts.dss" -- true </dev/null
assert_eq "$RC" 255 "exit status without a common host key algorithm"
assert_file_contains "$T/err" "no matching host key type" "client's complaint"

# --- user keys: each type authenticates. For RSA, ssh picks an rsa-sha2-* signature only when
# --- the server lists it in server-sig-algs (RFC 8308 s3.1, RFC 8332 s3.3), else SHA-1 ---
USER_KEYS=(ed25519 ecdsa256 ecdsa384 ecdsa521 rsa)
for type in "${USER_KEYS[@]}"; do
	key=$(add_user_key "$type")
	fp=$(ssh-keygen -lf "$key.pub" | awk '{ print $2 }')
	say "user key $type ($fp)"
	log_mark
	expect_ok "user key $type" -v -i "$key" -- echo hello
	assert_eq "$(cat "$T/out")" hello "user key $type: echo output"
	negotiated "$T/err" "Authenticated to 127.0.0.1" "using \"publickey\""
	if [[ $type == rsa ]]; then
		grep -qE 'server-sig-algs=<([^>]*,)?rsa-sha2-512[,>]' "$T/err" ||
			fail "user key rsa: the server's server-sig-algs lacks rsa-sha2-512: $(grep -F server-sig-algs "$T/err")"
	fi
	# Logged by the server as sshd does (ferryd-surface.md).
	log_since | grep -F "Accepted publickey for $SSH_USER from 127.0.0.1 port" | grep -qF "$fp" ||
		fail "user key $type: the server did not log accepting key $fp"
done
ferryd_pass "${#HOSTKEY_ALGS[@]} host key algorithms, ${#USER_KEYS[@]} user key types"
