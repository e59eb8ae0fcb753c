#!/usr/bin/env bash
# tests/interop/t_ferryd_sftp.sh: OpenSSH's sftp and scp (SFTP mode, OpenSSH 9's default)
# against ferryd's built-in SFTP server (no Subsystem line: sftp is served by ferryd itself):
# boundary sizes both ways, a tree with -r -p, and the log line that shows the built-in ran.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$FERRY_SRC/tests/lib/ferryd.sh"

command -v sftp >/dev/null || skip "OpenSSH's sftp missing"
if is_ferryd; then ferryd_start "LogLevel VERBOSE"; else ferryd_start "Subsystem sftp internal-sftp"; fi
expect_ok "first contact" -- true

OPTS=(-F /dev/null -P "$TARGET_PORT" -i "$CLIENT_KEY" -o IdentitiesOnly=yes
	-o "UserKnownHostsFile=$KNOWN_HOSTS" -o StrictHostKeyChecking=accept-new -o BatchMode=yes
	-o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR)
R="$SSH_USER@127.0.0.1"
mkdir -p "$T/src" "$T/up" "$T/down"

say "scp (SFTP mode): files of the boundary sizes up and down"
for size in 0 1 4095 4096 4097 1048577 $(scaled_bytes 64 8); do
	head -c "$size" /dev/urandom >"$T/src/f$size"
	timeout 120 scp -q "${OPTS[@]}" "$T/src/f$size" "$R:$T/up/f$size" || fail "scp upload of $size bytes failed"
	cmp "$T/src/f$size" "$T/up/f$size" || fail "scp upload of $size bytes differs"
	timeout 120 scp -q "${OPTS[@]}" "$R:$T/up/f$size" "$T/down/f$size" || fail "scp download of $size bytes failed"
	cmp "$T/src/f$size" "$T/down/f$size" || fail "scp download of $size bytes differs"
done

say "sftp batch: put -p, get -p, a tree with -r, mkdir, rename, ls"
mkdir -p "$T/tree/a/b" "$T/tree/empty"
for i in $(seq 200); do echo "file $i" >"$T/tree/a/f$i"; done
chmod 0640 "$T/tree/a/f1"
touch -d '2020-01-02 03:04:05' "$T/tree/a/f2"
cat >"$T/batch" <<EOB
mkdir $T/up/dir
put -p $T/src/f4097 $T/up/dir/p4097
rename $T/up/dir/p4097 $T/up/dir/q4097
get -p $T/up/dir/q4097 $T/down/q4097
put -r -p $T/tree $T/up/tree
get -r -p $T/up/tree $T/down/tree
ls -1 $T/up/dir
EOB
timeout 120 sftp -q "${OPTS[@]}" -b "$T/batch" "$R" >"$T/sftp.out" 2>"$T/sftp.err" || fail "sftp batch failed: $(cat "$T/sftp.err")"
cmp "$T/src/f4097" "$T/down/q4097" || fail "put/rename/get differs"
assert_file_contains "$T/sftp.out" "q4097" "ls after rename"
diff -r "$T/tree" "$T/up/tree" || fail "uploaded tree differs"
diff -r "$T/tree" "$T/down/tree" || fail "downloaded tree differs"
assert_eq "$(stat -c %a "$T/down/tree/a/f1")" 640 "mode kept by -p"
assert_eq "$(stat -c %Y "$T/down/tree/a/f2")" "$(stat -c %Y "$T/tree/a/f2")" "mtime kept by -p"

if is_ferryd; then
	grep -q "sftp for .* served by ferryd itself" "$FERRYD_LOG" || fail "the built-in SFTP server did not run"
fi
ferryd_check_log
pass
