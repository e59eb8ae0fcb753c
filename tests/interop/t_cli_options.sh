#!/usr/bin/env bash
# tests/interop/t_cli_options.sh: the `ferry ssh` command line against OpenSSH's sshd: -o keywords (ignored, unknown, algorithm lists), -p/-l/-i/-F, -c/-m, ConnectTimeout (cli-surface.md; ssh(1), ssh_config(5)).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

sshd_start
expect_ok "first contact" -- true

# --- -o keywords ---
say "-o with a valid keyword ferry does not implement (ForwardAgent=no)"
ssh_run -o ForwardAgent=no -- echo hello </dev/null
assert_eq "$RC" 0 "ignored keyword: exit status"
assert_eq "$(cat "$T/out")" hello "ignored keyword: output"
if is_ferry; then
	assert_file_contains "$T/err" "ignoring" "ignored keyword warning"
	assert_eq "$(grep -c 'ignoring' "$T/err")" 1 "warning printed once"
fi
say "-o with 'Keyword value' (space) form"
ssh_run -o "BatchMode yes" -- echo spaced </dev/null
assert_eq "$RC" 0 "'Keyword value' form: exit status"
assert_eq "$(cat "$T/out")" spaced "'Keyword value' form: output"

say "-o with an unknown keyword"
rm -f "$T/ran"
ssh_run -o NoSuchKeywordAtAll=yes -- "touch $T/ran" </dev/null
assert_eq "$RC" 255 "unknown keyword: exit status"
assert_file_contains "$T/err" "Bad configuration option" "unknown keyword message"
[[ ! -e $T/ran ]] || fail "the command ran despite a bad option"

# --- -p, -l, -i given explicitly (no defaults added for them) ---
ISO=(-o IdentitiesOnly=yes -o "UserKnownHostsFile=$KNOWN_HOSTS" -o StrictHostKeyChecking=accept-new -o BatchMode=yes)
say "-p -l -i"
RC=0
client_raw -F /dev/null -p "$SSHD_PORT" -l "$SSH_USER" -i "$CLIENT_KEY" "${ISO[@]}" 127.0.0.1 'id -un' >"$T/out" 2>"$T/err" || RC=$?
check_sanitizer "$T/err"
assert_eq "$RC" 0 "-p/-l/-i: exit status"
assert_eq "$(cat "$T/out")" "$SSH_USER" "-p/-l/-i: remote user"
say "-l with a user that does not exist is refused"
RC=0
client_raw -F /dev/null -p "$SSHD_PORT" -l ferry-no-such-user -i "$CLIENT_KEY" "${ISO[@]}" 127.0.0.1 true >"$T/out" 2>"$T/err" </dev/null || RC=$?
check_sanitizer "$T/err"
assert_eq "$RC" 255 "-l unknown user: exit status"
say "-i with a key the server does not know is refused"
make_key ed25519 "$T/id_unknown"
RC=0
client_raw -F /dev/null -p "$SSHD_PORT" -l "$SSH_USER" -i "$T/id_unknown" "${ISO[@]}" 127.0.0.1 true >"$T/out" 2>"$T/err" </dev/null || RC=$?
check_sanitizer "$T/err"
assert_eq "$RC" 255 "-i unknown key: exit status"
assert_file_contains "$T/err" "ermission denied" "-i unknown key message"

# --- -F: a real config file ---
closed_port=$(pick_port)
cat >"$T/config" <<CFG
# ferry interop test config
Host otherhost
    Port 1
    User nobody-here

Host 127.0.0.1
    Port $SSHD_PORT
    User $SSH_USER
    IdentityFile $CLIENT_KEY
    IdentitiesOnly yes
    UserKnownHostsFile $KNOWN_HOSTS
    StrictHostKeyChecking accept-new
    BatchMode yes

Host *
    Port $closed_port
    User ferry-no-such-user
CFG
say "-F with a Host block setting Port/User/IdentityFile"
RC=0
client_raw -F "$T/config" 127.0.0.1 'id -un' >"$T/out" 2>"$T/err" </dev/null || RC=$?
check_sanitizer "$T/err"
assert_eq "$RC" 0 "-F config: exit status"
assert_eq "$(cat "$T/out")" "$SSH_USER" "-F config: remote user"
say "-F: the command line overrides the file (-p), the file's first match wins (Port)"
sed "s/^    Port $SSHD_PORT\$/    Port $closed_port/" "$T/config" >"$T/config2"
RC=0
client_raw -F "$T/config2" -p "$SSHD_PORT" 127.0.0.1 'echo override' >"$T/out" 2>"$T/err" </dev/null || RC=$?
check_sanitizer "$T/err"
assert_eq "$RC" 0 "-p over config Port: exit status"
assert_eq "$(cat "$T/out")" override "-p over config Port: output"
say "-F: user@host overrides the file's User"
RC=0
client_raw -F "$T/config" ferry-no-such-user@127.0.0.1 true >"$T/out" 2>"$T/err" </dev/null || RC=$?
check_sanitizer "$T/err"
assert_eq "$RC" 255 "user@host over config User: exit status"

# --- -c / -m pick the algorithms; +, -, ^ list syntax (ssh_config(5) Ciphers) ---
# negotiated CIPHER MAC: what sshd logged for the connections since the mark.
negotiated() {
	local want="cipher: $1 MAC: $2 compression" lines n_all n_ok
	lines=$(log_since | grep -E 'kex: (client->server|server->client) cipher:' || true)
	n_all=$(grep -c . <<<"$lines" || true)
	n_ok=$(grep -cF -- "$want" <<<"$lines" || true)
	[[ $n_all -gt 0 && $n_all == "$n_ok" ]] || fail "$3: sshd negotiated: $lines (wanted $1 / $2)"
}
say "-c aes256-ctr -m hmac-sha2-512 -v"
log_mark
ssh_run -v -c aes256-ctr -m hmac-sha2-512 -- true </dev/null
assert_eq "$RC" 0 "-c/-m: exit status"
negotiated aes256-ctr hmac-sha2-512 "-c/-m"
# -v shows the algorithms in use (in whatever words): both names appear in its debug output.
assert_file_contains "$T/err" "aes256-ctr" "-v output names the cipher"
assert_file_contains "$T/err" "hmac-sha2-512" "-v output names the MAC"
say "-c with a comma list takes the first the server supports"
log_mark
ssh_run -c aes192-ctr,aes128-gcm@openssh.com -m hmac-sha1 -- true </dev/null
assert_eq "$RC" 0 "-c list: exit status"
negotiated aes192-ctr hmac-sha1 "-c list"
say "-o Ciphers=^aes128-ctr puts it first"
log_mark
ssh_run -o Ciphers=^aes128-ctr -o MACs=^hmac-sha2-256 -- true </dev/null
assert_eq "$RC" 0 "^ list: exit status"
negotiated aes128-ctr hmac-sha2-256 "^ list"
say "-o Ciphers=+aes128-ctr appends (still a valid list)"
log_mark
ssh_run -o Ciphers=+aes128-ctr -- echo plus </dev/null
assert_eq "$RC" 0 "+ list: exit status"
assert_eq "$(cat "$T/out")" plus "+ list: output"
say "-o Ciphers=-... removes: a default-first cipher goes away"
first=$(log_since | grep -m1 -oE 'client->server cipher: [^ ]+' | awk '{ print $3 }')
[[ -n $first ]] || fail "no cipher seen in sshd's log"
log_mark
ssh_run -o "Ciphers=-$first" -- true </dev/null
assert_eq "$RC" 0 "- list: exit status"
if log_since | grep -qF "cipher: $first MAC"; then fail "cipher $first still negotiated after -o Ciphers=-$first"; fi
say "-o KexAlgorithms=... / -o HostKeyAlgorithms=... single choices"
log_mark
ssh_run -o KexAlgorithms=ecdh-sha2-nistp384 -o HostKeyAlgorithms=ssh-ed25519 -- true </dev/null
assert_eq "$RC" 0 "kex/hostkey choice: exit status"
log_since | grep -qF "kex: algorithm: ecdh-sha2-nistp384 " || fail "KexAlgorithms not honoured"
say "-c with an unsupported cipher is an error before connecting"
log_mark
ssh_run -c no-such-cipher@example.com -- true </dev/null
assert_eq "$RC" 255 "unknown cipher: exit status"
[[ -s $T/err ]] || fail "unknown cipher: no message"
sleep 0.2
if log_since | grep -q 'Connection from'; then fail "unknown cipher: the client connected anyway"; fi

# --- -q, -T, -n accepted ---
say "-q -T -n"
ssh_run -q -T -n -- echo quiet
assert_eq "$RC" 0 "-q -T -n: exit status"
assert_eq "$(cat "$T/out")" quiet "-q -T -n: output"

# --- ConnectTimeout and a closed port ---
say "ConnectTimeout=5 to a closed port fails fast"
t0=$SECONDS
RC=0
client_raw -F /dev/null -p "$closed_port" -i "$CLIENT_KEY" "${ISO[@]}" -o ConnectTimeout=5 "$SSH_USER@127.0.0.1" true >"$T/out" 2>"$T/err" </dev/null || RC=$?
check_sanitizer "$T/err"
assert_eq "$RC" 255 "closed port: exit status"
assert_file_contains "$T/err" "Connection refused" "closed port message"
((SECONDS - t0 <= 4)) || fail "closed port took $((SECONDS - t0)) s"
pass
