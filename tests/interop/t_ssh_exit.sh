#!/usr/bin/env bash
# tests/interop/t_ssh_exit.sh: exit statuses, signals, stdout/stderr separation and stdin EOF handling of remote commands against OpenSSH's sshd (RFC 4254 s6.5, s6.10, s5.2-5.3).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

sshd_start
expect_ok "first contact" -- true
assert_file_contains "$T/err" "Permanently added" "first contact"

# --- exit statuses (RFC 4254 s6.10 exit-status) ---
for st in 0 1 42 255; do
	say "remote 'exit $st'"
	ssh_run -- "exit $st" </dev/null
	assert_eq "$RC" "$st" "exit status of 'exit $st'"
	[[ ! -s $T/err ]] || fail "unexpected stderr for 'exit $st': $(cat "$T/err")"
done
say "remote 'false'"
ssh_run -- false </dev/null
assert_eq "$RC" 1 "exit status of false"

# --- death by a signal (exit-signal) gives 255, as with OpenSSH's ssh ---
for sig in TERM KILL; do
	say "remote 'kill -$sig \$\$'"
	ssh_run -- "kill -$sig \$\$" </dev/null
	assert_eq "$RC" 255 "exit status when the remote shell dies of SIG$sig"
done

# --- stdout and stderr arrive separately (CHANNEL_EXTENDED_DATA, RFC 4254 s5.2) ---
say "stdout/stderr separation"
ssh_run -- 'echo out; echo err >&2' </dev/null
assert_eq "$RC" 0 "echo out/err exit status"
assert_eq "$(cat "$T/out")" "out" "stdout"
assert_eq "$(cat "$T/err")" "err" "stderr"
say "3 MB on stdout and 2 MB on stderr at once"
ssh_run -- 'head -c 3000000 /dev/zero & head -c 2000000 /dev/zero >&2; wait; exit 7' </dev/null
assert_eq "$RC" 7 "exit status after bulk output"
assert_eq "$(stat -c %s "$T/out")" 3000000 "stdout bytes"
assert_eq "$(stat -c %s "$T/err")" 2000000 "stderr bytes"
say "many lines then a non-zero exit"
ssh_run -- 'seq 1 100000; exit 3' </dev/null
assert_eq "$RC" 3 "exit status after seq"
assert_eq "$(wc -l <"$T/out")" 100000 "line count"
assert_eq "$(tail -n1 "$T/out")" 100000 "last line"

# --- the command's arguments are joined with spaces, as by OpenSSH ---
ssh_run -- echo a b 'c d' </dev/null
assert_eq "$(cat "$T/out")" "a b c d" "arguments joined"

# --- stdin: EOF is passed on (CHANNEL_EOF, RFC 4254 s5.3) ---
say "stdin file through cat"
gen_data 4000000 >"$T/in.bin"
ssh_run -- cat <"$T/in.bin"
assert_eq "$RC" 0 "cat < file exit status"
cmp -s "$T/in.bin" "$T/out" || fail "cat < file: output differs from input"
ssh_run -- 'wc -c' <"$T/in.bin"
assert_eq "$(tr -d ' ' <"$T/out")" 4000000 "wc -c of 4000000 bytes of stdin"
ssh_run -- 'wc -c' </dev/null
assert_eq "$(tr -d ' ' <"$T/out")" 0 "wc -c of empty stdin"
say "remote stops reading early (head -c 10 of 64 MiB stdin)"
gen_data $((64 << 20)) >"$T/big.bin"
ssh_run -- 'head -c 10' <"$T/big.bin"
assert_eq "$RC" 0 "head -c 10 exit status"
assert_eq "$(stat -c %s "$T/out")" 10 "head -c 10 output size"
rm -f "$T/big.bin"

# --- -n: stdin is /dev/null, even when ours never ends ---
say "-n with a stdin that never reaches EOF"
mkfifo "$T/never"
exec 7<>"$T/never" # held open for reading and writing: a reader never sees EOF
ssh_run -n -- 'cat; echo done' <&7
exec 7>&-
assert_eq "$RC" 0 "-n exit status"
assert_eq "$(cat "$T/out")" "done" "-n: remote stdin is empty"
ssh_run -n -- 'wc -c' <"$T/in.bin"
assert_eq "$(tr -d ' ' <"$T/out")" 0 "-n: stdin file not sent"

# --- several commands in a row on fresh connections ---
say "ten commands in a row"
for i in $(seq 1 10); do
	ssh_run -- "echo run $i; exit $((i % 4))" </dev/null
	assert_eq "$RC" "$((i % 4))" "run $i exit status"
	assert_eq "$(cat "$T/out")" "run $i" "run $i output"
done
pass
