#!/usr/bin/env bash
# tests/interop/t_knownhosts.sh: host key checking against known_hosts as OpenSSH does it: accept-new, changed keys, strict mode, hashed entries, [host]:port entries (RFC 4251 s4.1, sshd(8) SSH_KNOWN_HOSTS FILE FORMAT).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

KEY1="$T/hostkey1"
KEY2="$T/hostkey2"
make_key ed25519 "$KEY1"
make_key ed25519 "$KEY2"
SSHD_HOSTKEYS=("$KEY1")
sshd_start
KH="$T/kh"
ENTRY="[127.0.0.1]:$SSHD_PORT"
pubkey() { awk '{ print $1, $2 }' "$1.pub"; }

# A known_hosts file that already holds a comment and another host, so the client must append
# and the line numbers it reports are not trivially 1.
{
	echo "# known hosts for ferry's interop test"
	echo "[127.0.0.1]:1 $(pubkey "$KEY2")"
} >"$KH"

say "first contact with StrictHostKeyChecking=accept-new"
ssh_run -o "UserKnownHostsFile=$KH" -o StrictHostKeyChecking=accept-new -- echo hello </dev/null
assert_eq "$RC" 0 "first contact exit status"
assert_eq "$(cat "$T/out")" hello "first contact output"
assert_file_contains "$T/err" "Permanently added" "first contact warning"
assert_eq "$(wc -l <"$KH")" 3 "known_hosts line count after first contact"
assert_eq "$(sed -n 3p "$KH")" "$ENTRY $(pubkey "$KEY1")" "line written for a non-22 port"
ssh-keygen -F "$ENTRY" -f "$KH" | grep -qF "$(pubkey "$KEY1" | cut -d' ' -f2)" ||
	fail "OpenSSH's ssh-keygen -F does not find the written entry"

say "second contact is silent"
ssh_run -o "UserKnownHostsFile=$KH" -o StrictHostKeyChecking=accept-new -- echo hello </dev/null
assert_eq "$RC" 0 "second contact exit status"
[[ ! -s $T/err ]] || fail "second contact printed on stderr: $(cat "$T/err")"
ssh_run -o "UserKnownHostsFile=$KH" -o StrictHostKeyChecking=yes -- true </dev/null
assert_eq "$RC" 0 "known host with StrictHostKeyChecking=yes"
[[ ! -s $T/err ]] || fail "strict check of a known host printed on stderr: $(cat "$T/err")"

say "changed host key (same type) is refused"
sshd_stop
SSHD_HOSTKEYS=("$KEY2")
# Same port, so the same known_hosts entry applies; if it was taken meanwhile, the entry is
# moved to the new port so the test still sees a changed key.
SSHD_PORT_WANTED=$SSHD_PORT
sshd_start
if [[ $SSHD_PORT != "$SSHD_PORT_WANTED" ]]; then
	say "port $SSHD_PORT_WANTED was taken; moving the entry to $SSHD_PORT"
	sed -i "3s/^\[127\.0\.0\.1\]:$SSHD_PORT_WANTED /[127.0.0.1]:$SSHD_PORT /" "$KH"
fi
SSHD_PORT_WANTED=""
before=$(md5sum <"$KH")
for mode in accept-new yes; do
	rm -f "$T/ran"
	ssh_run -o "UserKnownHostsFile=$KH" -o "StrictHostKeyChecking=$mode" -- "touch $T/ran" </dev/null
	assert_eq "$RC" 255 "changed key with StrictHostKeyChecking=$mode: exit status"
	err=$(cat "$T/err")
	assert_contains "$err" "REMOTE HOST IDENTIFICATION HAS CHANGED" "changed key warning ($mode)"
	assert_contains "$err" "Offending" "changed key warning names the offending key ($mode)"
	assert_contains "$err" "key in $KH:3" "changed key warning names FILE:LINE ($mode)"
	assert_contains "$err" "Host key verification failed." "changed key: final line ($mode)"
	[[ ! -e $T/ran ]] || fail "the remote command ran despite the changed host key ($mode)"
	assert_eq "$(md5sum <"$KH")" "$before" "known_hosts untouched after a changed key ($mode)"
done

say "StrictHostKeyChecking=yes with an unknown host fails"
: >"$T/kh.empty"
ssh_run -o "UserKnownHostsFile=$T/kh.empty" -o StrictHostKeyChecking=yes -- "touch $T/ran" </dev/null
assert_eq "$RC" 255 "unknown host, strict: exit status"
assert_file_contains "$T/err" "Host key verification failed." "unknown host, strict"
[[ ! -e $T/ran ]] || fail "the remote command ran for an unknown host in strict mode"
[[ ! -s $T/kh.empty ]] || fail "strict mode wrote to known_hosts"

say "StrictHostKeyChecking=accept-new with an unknown host in an empty file"
ssh_run -o "UserKnownHostsFile=$T/kh.empty" -o StrictHostKeyChecking=accept-new -- true </dev/null
assert_eq "$RC" 0 "accept-new into an empty file"
assert_eq "$(cat "$T/kh.empty")" "[127.0.0.1]:$SSHD_PORT $(pubkey "$KEY2")" "entry in the empty file"

say "a file that does not exist yet is created by accept-new"
ssh_run -o "UserKnownHostsFile=$T/kh.new" -o StrictHostKeyChecking=accept-new -- true </dev/null
assert_eq "$RC" 0 "accept-new into a new file"
assert_file_contains "$T/kh.new" "$(pubkey "$KEY2")" "entry in the new file"

say "hashed known_hosts (ssh-keygen -H) matches"
cp "$T/kh.empty" "$T/kh.hashed"
ssh-keygen -q -H -f "$T/kh.hashed" >/dev/null 2>&1
rm -f "$T/kh.hashed.old"
grep -q '^|1|' "$T/kh.hashed" || fail "ssh-keygen -H did not hash the file"
ssh_run -o "UserKnownHostsFile=$T/kh.hashed" -o StrictHostKeyChecking=yes -- echo hashed </dev/null
assert_eq "$RC" 0 "hashed entry, strict: exit status"
assert_eq "$(cat "$T/out")" hashed "hashed entry output"
[[ ! -s $T/err ]] || fail "hashed entry: unexpected stderr: $(cat "$T/err")"

say "[127.0.0.1]:PORT entry is used for the non-22 port"
# A bare entry with another key does not count against the port's own entry.
{
	echo "127.0.0.1 $(pubkey "$KEY1")"
	echo "[127.0.0.1]:$SSHD_PORT $(pubkey "$KEY2")"
} >"$T/kh.port"
ssh_run -o "UserKnownHostsFile=$T/kh.port" -o StrictHostKeyChecking=yes -- true </dev/null
assert_eq "$RC" 0 "[host]:port entry, strict: exit status"
[[ ! -s $T/err ]] || fail "[host]:port entry: unexpected stderr: $(cat "$T/err")"
# The port's entry wins over a matching bare entry too: swap the keys and it must fail.
{
	echo "127.0.0.1 $(pubkey "$KEY2")"
	echo "[127.0.0.1]:$SSHD_PORT $(pubkey "$KEY1")"
} >"$T/kh.port2"
ssh_run -o "UserKnownHostsFile=$T/kh.port2" -o StrictHostKeyChecking=yes -- true </dev/null
assert_eq "$RC" 255 "wrong [host]:port entry, right bare entry: exit status"
assert_file_contains "$T/err" "key in $T/kh.port2:2" "wrong [host]:port entry is the offending one"

say "a bare 127.0.0.1 entry: used only when it matches and no [host]:port entry exists (OpenSSH's 'matching key w/out port')"
echo "127.0.0.1 $(pubkey "$KEY2")" >"$T/kh.bare"
ssh_run -o "UserKnownHostsFile=$T/kh.bare" -o StrictHostKeyChecking=yes -- true </dev/null
assert_eq "$RC" 0 "matching bare entry, strict: exit status"
echo "127.0.0.1 $(pubkey "$KEY1")" >"$T/kh.bare"
ssh_run -o "UserKnownHostsFile=$T/kh.bare" -o StrictHostKeyChecking=yes -- true </dev/null
assert_eq "$RC" 255 "non-matching bare entry, strict: exit status"
assert_file_contains "$T/err" "Host key verification failed." "non-matching bare entry"

say "a revoked (@revoked) key is refused"
{
	echo "@revoked * $(pubkey "$KEY2")"
	echo "[127.0.0.1]:$SSHD_PORT $(pubkey "$KEY2")"
} >"$T/kh.revoked"
ssh_run -o "UserKnownHostsFile=$T/kh.revoked" -o StrictHostKeyChecking=accept-new -- true </dev/null
assert_eq "$RC" 255 "@revoked key: exit status"
assert_file_contains "$T/err" "REVOKED" "@revoked key warning"
pass
