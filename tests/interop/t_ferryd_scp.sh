#!/usr/bin/env bash
# tests/interop/t_ferryd_scp.sh: OpenSSH's `scp -O` (the legacy scp protocol) against ferryd,
# which serves `scp -t` / `scp -f` itself (transfer/scp-serve.c) rather than running
# /usr/bin/scp: single files of the boundary sizes both ways, a tree with -r -p, and the log
# line that shows ferryd's own sink and source did the work.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$FERRY_SRC/tests/lib/ferryd.sh"

command -v scp >/dev/null || skip "OpenSSH's scp missing"
ferryd_start "LogLevel VERBOSE"
expect_ok "first contact" -- true

SCP=(scp -O -q -F /dev/null -P "$TARGET_PORT" -i "$CLIENT_KEY" -o IdentitiesOnly=yes
	-o "UserKnownHostsFile=$KNOWN_HOSTS" -o StrictHostKeyChecking=accept-new -o BatchMode=yes
	-o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR)
R="$SSH_USER@127.0.0.1"
mkdir -p "$T/src" "$T/up" "$T/down"

for size in 0 1 4095 4096 4097 1048577 $(scaled_bytes 64 8); do
	say "file of $size bytes up and down"
	head -c "$size" /dev/urandom >"$T/src/f$size"
	timeout 120 "${SCP[@]}" "$T/src/f$size" "$R:$T/up/f$size" || fail "upload of $size bytes failed"
	cmp "$T/src/f$size" "$T/up/f$size" || fail "upload of $size bytes differs"
	timeout 120 "${SCP[@]}" "$R:$T/up/f$size" "$T/down/f$size" || fail "download of $size bytes failed"
	cmp "$T/src/f$size" "$T/down/f$size" || fail "download of $size bytes differs"
done

say "a tree with -r -p: 200 files, an empty directory, modes and times kept"
mkdir -p "$T/tree/a/b" "$T/tree/empty"
for i in $(seq 200); do echo "file $i" >"$T/tree/a/f$i"; done
echo deep >"$T/tree/a/b/deep"
chmod 0640 "$T/tree/a/f1"
touch -d '2020-01-02 03:04:05' "$T/tree/a/f2"
timeout 120 "${SCP[@]}" -r -p "$T/tree" "$R:$T/up/" || fail "tree upload failed"
diff -r "$T/tree" "$T/up/tree" || fail "uploaded tree differs"
timeout 120 "${SCP[@]}" -r -p "$R:$T/up/tree" "$T/down/" || fail "tree download failed"
diff -r "$T/tree" "$T/down/tree" || fail "downloaded tree differs"
[[ -d $T/down/tree/empty ]] || fail "empty directory not copied"
assert_eq "$(stat -c %a "$T/down/tree/a/f1")" 640 "mode kept by -p"
assert_eq "$(stat -c %Y "$T/down/tree/a/f2")" "$(stat -c %Y "$T/tree/a/f2")" "mtime kept by -p"

if is_ferryd; then
	grep -q "served by ferryd itself" "$FERRYD_LOG" || fail "ferryd ran an external scp instead of its own"
fi
ferryd_check_log
pass
