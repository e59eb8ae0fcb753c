#!/usr/bin/env bash
# tests/interop/t_ssh_keepalive.sh: ServerAliveInterval keepalives against OpenSSH's sshd (its
# answers must not end the session), and a clean goodbye: sshd sees ferry's DISCONNECT
# (RFC 4253 s11.1) at the end of a normal session, on either I/O backend.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

sshd_start
expect_ok "first contact" -- true

say "ServerAliveInterval=1 across a 3-second quiet command"
ssh_run -o ServerAliveInterval=1 -o ServerAliveCountMax=2 -- 'sleep 3; echo still-here' </dev/null
assert_eq "$RC" 0 "exit status with keepalives"
assert_eq "$(cat "$T/out")" "still-here" "output after the quiet period"

say "a normal session ends with our DISCONNECT, not a dropped connection"
log_mark
ssh_run -- 'echo bye' </dev/null
assert_eq "$RC" 0 "exit status"
for _ in $(seq 50); do
	log_since | grep -q "Received disconnect from 127.0.0.1" && break
	sleep 0.1
done
log_since | grep -q "Received disconnect from 127.0.0.1" ||
	fail "sshd did not receive a DISCONNECT: $(log_since | grep -iE 'disconnect|closed' | head -3)"

say "a failed authentication also says goodbye"
make_key ed25519 "$T/stranger"
log_mark
ssh_run -i "$T/stranger" -- true </dev/null
assert_eq "$RC" 255 "exit status with an unknown key"
assert_file_contains "$T/err" "Permission denied" "unknown key"
# OpenSSH's ssh just closes the connection here; ferry says goodbye.
if is_ferry; then
	for _ in $(seq 50); do
		log_since | grep -q "Received disconnect from 127.0.0.1" && break
		sleep 0.1
	done
	log_since | grep -q "Received disconnect from 127.0.0.1" ||
		fail "sshd did not receive a DISCONNECT after the failed authentication"
fi
pass
