#!/usr/bin/env bash
# tests/interop/t_ssh_password.sh: password authentication (RFC 4252 s8) against OpenSSH's sshd,
# with the password given through SSH_ASKPASS as there is no terminal; wrong passwords and
# BatchMode refuse cleanly.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

[[ $(id -u) == 0 ]] || skip "needs root to create a test account"
is_ferry || skip "ferry-specific (SSH_ASKPASS handling)"
command -v useradd >/dev/null || skip "useradd missing"

# A throwaway account with a known password, removed on exit.
TUSER="ferrypw$$"
TUSER=${TUSER:0:30}
PASSWORD="Correct-Horse-$$"
useradd -M -d "$T" -s /bin/sh "$TUSER" || fail "useradd failed"
remove_user() { userdel "$TUSER" >/dev/null 2>&1 || true; }
trap 'remove_user; harness_cleanup' EXIT
echo "$TUSER:$PASSWORD" | chpasswd || fail "chpasswd failed"

sshd_start "PasswordAuthentication yes" "PubkeyAuthentication no"

askpass() { # PASSWORD: an SSH_ASKPASS program that prints it and records the prompt
	cat >"$T/askpass" <<EOS
#!/bin/sh
echo "\$1" >>"$T/prompts"
echo '$1'
EOS
	chmod 755 "$T/askpass"
}

pw_run() {
	RC=0
	SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
		ferry_ssh -o BatchMode=no -o PubkeyAuthentication=no -l "$TUSER" -- "$@" \
		</dev/null >"$T/out" 2>"$T/err" || RC=$?
	check_sanitizer "$T/err"
}

say "right password"
askpass "$PASSWORD"
rm -f "$T/prompts"
pw_run 'id -un'
assert_eq "$RC" 0 "exit status with the right password"
assert_eq "$(cat "$T/out")" "$TUSER" "logged in as the test user"
assert_file_contains "$T/prompts" "$TUSER@127.0.0.1's password:" "askpass prompt"

say "wrong password: three tries, then Permission denied"
askpass "wrong"
rm -f "$T/prompts"
pw_run true
assert_eq "$RC" 255 "exit status with a wrong password"
assert_file_contains "$T/err" "Permission denied" "wrong password message"
assert_eq "$(wc -l <"$T/prompts")" 3 "number of password prompts"

say "BatchMode=yes never asks"
rm -f "$T/prompts"
RC=0
SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force ferry_ssh -o PubkeyAuthentication=no \
	-l "$TUSER" -- true </dev/null >"$T/out" 2>"$T/err" || RC=$?
assert_eq "$RC" 255 "exit status in batch mode"
assert_file_contains "$T/err" "Permission denied" "batch mode message"
[[ ! -e $T/prompts ]] || fail "askpass was run in batch mode"
pass
