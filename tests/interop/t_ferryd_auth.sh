#!/usr/bin/env bash
# tests/interop/t_ferryd_auth.sh: ferryd's user authentication seen from OpenSSH's ssh: public keys (right, wrong, unknown user, MaxAuthTries), authorized_keys options from=/command=/restrict, passwords, and the drop to the authenticated user (RFC 4252 s5.1, s7, s8; sshd(8) AUTHORIZED_KEYS FILE FORMAT).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ferryd.sh"

NOUSER="ferrynouser$$"
NOUSER=${NOUSER:0:30}
getent passwd "$NOUSER" >/dev/null && fail "test set-up: user $NOUSER exists"

# refused_run [OPT...] -- CMD: ssh_run expecting a refusal; ssh shows its reasons at INFO.
refused_run() {
	ssh_run -o LogLevel=INFO "$@" </dev/null
	assert_eq "$RC" 255 "exit status of a refused login ($*)"
	assert_eq "$(cat "$T/out")" "" "output of a refused login ($*)"
}

# server_logged WHAT ERE: the server logged a line matching ERE since the mark (it may write
# it a moment after the client is gone).
server_logged() {
	local i
	for ((i = 0; i < 40; i++)); do
		log_since | grep -qE -- "$2" && return 0
		sleep 0.05
	done
	fail "$1: the server logged nothing matching '$2'"
}

ferryd_start
expect_ok "first contact" -- true

# --- public keys ---
say "right key"
log_mark
expect_ok "right key" -- id -un
assert_eq "$(cat "$T/out")" "$SSH_USER" "user of the session"
server_logged "right key" "Accepted publickey for $SSH_USER from 127\\.0\\.0\\.1 port [0-9]+"

say "wrong key: Permission denied"
WRONG1="$T/id_wrong1"
make_key ed25519 "$WRONG1"
log_mark
refused_run -i "$WRONG1" -- true
assert_file_contains "$T/err" "Permission denied" "wrong key"
sed "s/$SSH_USER@/USER@/g" "$T/err" >"$T/err.wrongkey"
# (sshd adds "from IP port P ssh2: KEY"; ferryd-surface.md promises only "Failed publickey for U")
server_logged "wrong key" "Failed publickey for $SSH_USER( |\$)"

say "unknown user: the same answer as a wrong key"
log_mark
refused_run -l "$NOUSER" -- true
assert_file_contains "$T/err" "Permission denied" "unknown user"
sed "s/$NOUSER@/USER@/g" "$T/err" >"$T/err.nouser"
# No user enumeration: the client cannot tell an unknown user from a refused key.
diff "$T/err.wrongkey" "$T/err.nouser" >"$T/diff.out" ||
	fail "unknown user and wrong key look different to the client: $(cat "$T/diff.out")"
server_logged "unknown user" "([Ii]nvalid user |Failed publickey for (invalid user )?)$NOUSER from 127\\.0\\.0\\.1"

say "MaxAuthTries 2: the right key offered third is too late"
ferryd_restart "MaxAuthTries 2"
WRONG2="$T/id_wrong2"
make_key ed25519 "$WRONG2"
log_mark
refused_run -i "$WRONG1" -i "$WRONG2" -i "$CLIENT_KEY" -- true
assert_file_contains "$T/err" "Too many authentication failures" "MaxAuthTries exceeded"
server_logged "MaxAuthTries exceeded" "Too many authentication failures|[Mm]aximum authentication attempts exceeded"
say "MaxAuthTries 2: the right key offered second gets in"
expect_ok "right key second" -i "$WRONG1" -i "$CLIENT_KEY" -- echo in
assert_eq "$(cat "$T/out")" in "right key second: output"

# --- authorized_keys options ---
say "authorized_keys options"
ferryd_restart
declare -A OPTKEY
for name in from2 from1 forced restrict restrictcmd; do
	OPTKEY[$name]="$T/id_$name"
	make_key ed25519 "${OPTKEY[$name]}"
done
pubof() { awk '{ print $1, $2 }' "$1.pub"; }
{
	printf 'from="127.0.0.2" %s\n' "$(pubof "${OPTKEY[from2]}")"
	printf 'from="127.0.0.1" %s\n' "$(pubof "${OPTKEY[from1]}")"
	printf 'command="echo forced" %s\n' "$(pubof "${OPTKEY[forced]}")"
	printf 'restrict %s\n' "$(pubof "${OPTKEY[restrict]}")"
	printf 'restrict,command="echo restricted; exit 3" %s\n' "$(pubof "${OPTKEY[restrictcmd]}")"
} >>"$T/authorized_keys"

say "  from=\"127.0.0.2\" refused from 127.0.0.1"
refused_run -i "${OPTKEY[from2]}" -- true
assert_file_contains "$T/err" "Permission denied" "from=127.0.0.2 key from 127.0.0.1"
say "  from=\"127.0.0.2\" accepted from 127.0.0.2"
expect_ok "from=127.0.0.2 key from 127.0.0.2" -b 127.0.0.2 -i "${OPTKEY[from2]}" -- 'echo "${SSH_CONNECTION%% *}"'
assert_eq "$(cat "$T/out")" 127.0.0.2 "client address seen by the session"
say "  from=\"127.0.0.1\" accepted"
expect_ok "from=127.0.0.1 key" -i "${OPTKEY[from1]}" -- echo ok
assert_eq "$(cat "$T/out")" ok "from=127.0.0.1 output"
say "  command=\"echo forced\" runs whatever the client asks"
expect_ok "forced command" -i "${OPTKEY[forced]}" -- echo other
assert_eq "$(cat "$T/out")" forced "forced command output"
RC=0
echo 'echo from-shell' | ssh_client -T -i "${OPTKEY[forced]}" -- >"$T/out" 2>"$T/err" || RC=$?
assert_eq "$RC" 0 "forced command for a shell request: exit status"
assert_eq "$(cat "$T/out")" forced "forced command replaces the shell"
say "  restrict: commands still run"
expect_ok "restrict" -i "${OPTKEY[restrict]}" -- echo free
assert_eq "$(cat "$T/out")" free "restrict output"
say "  restrict,command=: the forced command runs, its exit status comes back"
ssh_run -i "${OPTKEY[restrictcmd]}" -- echo other </dev/null
assert_eq "$RC" 3 "restrict,command exit status"
assert_eq "$(cat "$T/out")" restricted "restrict,command output"

# --- passwords and the switch to the authenticated user: root only (a throwaway account) ---
if [[ $(id -u) != 0 ]]; then
	say "not root: password and user-switch checks left out"
	ferryd_pass "public keys and authorized_keys options (password part needs root)"
fi
command -v useradd >/dev/null && command -v chpasswd >/dev/null || skip "useradd/chpasswd missing"

TUSER="ferrydpw$$"
TUSER=${TUSER:0:30}
PASSWORD="Correct-Horse-$$"
getent passwd "$TUSER" >/dev/null && fail "test set-up: user $TUSER exists"
# Its home lives outside $T, which only root may enter.
THOME=$(mktemp -d "${TMPDIR:-/tmp}/ferryd-home.XXXXXX")
remove_user() {
	ferryd_stop
	userdel -f "$TUSER" >/dev/null 2>&1 || true
	rm -rf -- "$THOME"
}
HARNESS_CLEANUPS+=(remove_user)
useradd -M -d "$THOME" -s /bin/sh "$TUSER" || fail "useradd failed"
chown "$TUSER:" "$THOME"
chmod 700 "$THOME"
echo "$TUSER:$PASSWORD" | chpasswd || fail "chpasswd failed"
TUID=$(id -u "$TUSER")
TGID=$(id -g "$TUSER")

cat >"$T/askpass" <<EOS
#!/bin/sh
echo "\$1" >>"$T/prompts"
cat "$T/password"
EOS
chmod 755 "$T/askpass"

pw_run() { # CMD: log in as TUSER with the password in $T/password
	RC=0
	rm -f "$T/prompts"
	SSH_ASKPASS="$T/askpass" SSH_ASKPASS_REQUIRE=force DISPLAY=:0 \
		ssh_client -o BatchMode=no -o PubkeyAuthentication=no -o PreferredAuthentications=password \
		-o LogLevel=INFO -l "$TUSER" -- "$@" </dev/null >"$T/out" 2>"$T/err" || RC=$?
	[[ $RC != 124 ]] || fail "client hung: $*"
}

say "PasswordAuthentication no: password not offered"
echo "$PASSWORD" >"$T/password"
pw_run true
assert_eq "$RC" 255 "password login with PasswordAuthentication no"
assert_file_contains "$T/err" "Permission denied" "password login with PasswordAuthentication no"
[[ ! -e $T/prompts ]] || fail "ssh was asked for a password the server does not accept"

ferryd_restart "PasswordAuthentication yes"
say "right password: the session runs as $TUSER"
log_mark
pw_run 'id -u; id -un; id -g; echo "$HOME"; pwd'
assert_eq "$RC" 0 "right password: exit status"
assert_eq "$(paste -sd' ' "$T/out")" "$TUID $TUSER $TGID $THOME $THOME" "uid, name, gid, HOME and directory of the session"
assert_file_contains "$T/prompts" "$TUSER@127.0.0.1's password:" "password prompt"
server_logged "right password" "Accepted password for $TUSER from 127\\.0\\.0\\.1 port [0-9]+"
# Supplementary groups are the user's own (initgroups), not root's.
pw_run 'id -G'
for g in $(cat "$T/out"); do
	getent group "$g" | cut -d: -f4 | tr , '\n' | grep -qx "$TUSER" || [[ $g == "$TGID" ]] ||
		fail "session is in group $g, which $TUSER is not a member of"
done
# And it cannot do what only root can.
pw_run 'cat /etc/shadow >/dev/null 2>&1 && echo can-read-shadow || echo no'
assert_eq "$(cat "$T/out")" no "the session has root's privileges"

say "wrong password: Permission denied"
echo "not-$PASSWORD" >"$T/password"
log_mark
pw_run true
assert_eq "$RC" 255 "wrong password: exit status"
assert_file_contains "$T/err" "Permission denied" "wrong password"
server_logged "wrong password" "Failed password for $TUSER from 127\\.0\\.0\\.1"
ferryd_pass
