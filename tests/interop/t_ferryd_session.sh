#!/usr/bin/env bash
# tests/interop/t_ferryd_session.sh: what a ferryd session looks like from inside: a clean environment (RFC 4254 s6.4 env requests only per AcceptEnv), the home directory, and subsystems (RFC 4254 s6.5) including OpenSSH's sftp.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ferryd.sh"

cat >"$T/subsys.sh" <<'EOS'
#!/bin/sh
echo "subsystem ran as $(id -un)"
cat
EOS
chmod 755 "$T/subsys.sh"
SFTP_SERVER=""
for p in /usr/lib/openssh/sftp-server /usr/libexec/openssh/sftp-server /usr/lib/sftp-server; do
	if [[ -x $p ]]; then SFTP_SERVER=$p; break; fi
done
lines=("AcceptEnv FERRY_OK_*" "Subsystem ferrytest $T/subsys.sh")
[[ -n $SFTP_SERVER ]] && lines+=("Subsystem sftp $SFTP_SERVER")

# A variable in the server's own environment must not reach sessions. (It has to be exported:
# bash does not pass `VAR=x function` on to the function's children. /proc/PID/environ cannot
# confirm it, as sshd overwrites that area with its process title.)
export FERRYD_TEST_LEAK=from-the-server
ferryd_start "${lines[@]}"
unset FERRYD_TEST_LEAK
expect_ok "first contact" -- true

# --- the environment: the user's identity, where the connection comes from, nothing else ---
say "session environment"
expect_ok "env" -o "SetEnv=FERRY_OK_A=accepted FERRY_NO=refused" -- 'env; echo "cwd=$(pwd)"'
env_out=$(cat "$T/out")
login_shell=$(getent passwd "$SSH_USER" | cut -d: -f7)
printf '%s\n' "$env_out" | grep -qx "USER=$SSH_USER" || fail "USER not $SSH_USER: $env_out"
printf '%s\n' "$env_out" | grep -qx "LOGNAME=$SSH_USER" || fail "LOGNAME not $SSH_USER"
printf '%s\n' "$env_out" | grep -qx "HOME=$USER_HOME" || fail "HOME not $USER_HOME"
printf '%s\n' "$env_out" | grep -qx "SHELL=$login_shell" || fail "SHELL not $login_shell"
printf '%s\n' "$env_out" | grep -qE '^PATH=.*/bin' || fail "no PATH with a bin directory"
# RFC-less but universal: SSH_CONNECTION is "client-ip client-port server-ip server-port",
# SSH_CLIENT "client-ip client-port server-port".
printf '%s\n' "$env_out" | grep -qE "^SSH_CONNECTION=127\\.0\\.0\\.1 [0-9]+ 127\\.0\\.0\\.1 $FERRYD_PORT\$" ||
	fail "SSH_CONNECTION wrong: $(grep SSH_CONNECTION <<<"$env_out")"
printf '%s\n' "$env_out" | grep -qE "^SSH_CLIENT=127\\.0\\.0\\.1 [0-9]+ $FERRYD_PORT\$" ||
	fail "SSH_CLIENT wrong: $(grep SSH_CLIENT <<<"$env_out")"
printf '%s\n' "$env_out" | grep -qx "FERRY_OK_A=accepted" || fail "env request allowed by AcceptEnv not applied"
assert_not_contains "$env_out" "FERRY_NO=" "env request outside AcceptEnv applied"
assert_not_contains "$env_out" "FERRYD_TEST_LEAK" "the server's own environment reached the session"
printf '%s\n' "$env_out" | grep -qx "cwd=$USER_HOME" || fail "session does not start in the home directory"

# --- subsystems: the configured command, with the channel as its stdin/stdout ---
say "subsystem ferrytest"
ssh_run -s -- ferrytest <<<"ping"
assert_eq "$RC" 0 "subsystem exit status"
assert_eq "$(cat "$T/out")" "subsystem ran as $SSH_USER
ping" "subsystem output"
say "unknown subsystem refused"
ssh_run -s -- nosuchsubsystem </dev/null
[[ $RC != 0 ]] || fail "unknown subsystem: exit status 0"
assert_eq "$(cat "$T/out")" "" "unknown subsystem: output"

if [[ -n $SFTP_SERVER ]] && command -v sftp >/dev/null; then
	say "sftp put and get through the sftp subsystem"
	gen_data 3000000 >"$T/up.bin"
	mkdir -p "$T/sftpdir"
	printf 'put %s %s\nget %s %s\n' "$T/up.bin" "$T/sftpdir/remote.bin" "$T/sftpdir/remote.bin" "$T/down.bin" >"$T/batch"
	RC=0
	timeout -k 5 "$FERRY_TEST_TIMEOUT" sftp -b "$T/batch" -F /dev/null -P "$FERRYD_PORT" -i "$CLIENT_KEY" \
		-o IdentitiesOnly=yes -o "UserKnownHostsFile=$KNOWN_HOSTS" -o GlobalKnownHostsFile=/dev/null \
		-o StrictHostKeyChecking=accept-new -o BatchMode=yes -o LogLevel=ERROR \
		"$SSH_USER@127.0.0.1" >"$T/out" 2>"$T/err" || RC=$?
	assert_eq "$RC" 0 "sftp exit status"
	cmp -s "$T/up.bin" "$T/sftpdir/remote.bin" || fail "sftp put: file differs"
	cmp -s "$T/up.bin" "$T/down.bin" || fail "sftp get: file differs"
else
	say "no sftp-server or sftp: sftp part left out"
fi
ferryd_pass
