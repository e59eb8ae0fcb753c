#!/usr/bin/env bash
# tests/interop/t_ferryd_exit.sh: ferryd's sessions for OpenSSH's ssh: exit statuses and signals, stdout/stderr separation, stdin EOF, -n, and a shell fed on stdin (RFC 4254 s5.2-5.3, s6.5, s6.10).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ferryd.sh"

ferryd_start
expect_ok "first contact" -- true

# --- exit statuses (RFC 4254 s6.10 exit-status) ---
for st in 0 1 42; do
	say "remote 'exit $st'"
	ssh_run -- "exit $st" </dev/null
	assert_eq "$RC" "$st" "exit status of 'exit $st'"
	[[ ! -s $T/err ]] || fail "unexpected stderr for 'exit $st': $(cat "$T/err")"
done
ssh_run -- false </dev/null
assert_eq "$RC" 1 "exit status of false"

# --- death by a signal: exit-signal, which ssh turns into 255 ---
for sig in TERM KILL; do
	say "remote 'kill -$sig \$\$'"
	ssh_run -- "kill -$sig \$\$" </dev/null
	assert_eq "$RC" 255 "exit status when the remote shell dies of SIG$sig"
done
# ssh -v shows the channel request, so the server did send exit-signal and did not just close
# the channel without an exit status.
ssh_run -v -- 'kill -TERM $$' </dev/null
assert_eq "$RC" 255 "exit status after SIGTERM (ssh -v)"
negotiated "$T/err" "rtype exit-signal"
grep -q "rtype exit-status" "$T/err" && fail "exit-status sent for a command killed by a signal"

# --- stdout and stderr are separate streams (CHANNEL_EXTENDED_DATA, RFC 4254 s5.2) ---
say "stdout/stderr separation"
ssh_run -- 'echo out; echo err >&2' </dev/null
assert_eq "$RC" 0 "echo out/err exit status"
assert_eq "$(cat "$T/out")" "out" "stdout"
assert_eq "$(cat "$T/err")" "err" "stderr"
say "3 MB on stdout and 2 MB on stderr at once, then exit 7"
ssh_run -- 'head -c 3000000 /dev/zero & head -c 2000000 /dev/zero >&2; wait; exit 7' </dev/null
assert_eq "$RC" 7 "exit status after bulk output"
assert_eq "$(stat -c %s "$T/out")" 3000000 "stdout bytes"
assert_eq "$(stat -c %s "$T/err")" 2000000 "stderr bytes"
say "many lines then a non-zero exit"
ssh_run -- 'seq 1 100000; exit 3' </dev/null
assert_eq "$RC" 3 "exit status after seq"
assert_eq "$(wc -l <"$T/out")" 100000 "line count"
assert_eq "$(tail -n1 "$T/out")" 100000 "last line"

# --- the command is one string run by the user's shell ---
ssh_run -- echo a b "'c  d'" '$((6*7))' </dev/null
assert_eq "$(cat "$T/out")" "a b c  d 42" "command run through the shell"

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
ssh_run -- 'wc -c; echo after-eof; exit 4' <"$T/in.bin"
assert_eq "$RC" 4 "exit status of a command that goes on after stdin's EOF"
assert_eq "$(tr -d ' ' <"$T/out" | paste -sd,)" "4000000,after-eof" "output after stdin's EOF"
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

# --- no command: a shell (RFC 4254 s6.5 "shell") reading its commands from stdin ---
say "shell with commands on stdin (ssh -T, no command)"
RC=0
echo 'echo hi' | ssh_client -T -- >"$T/out" 2>"$T/err" || RC=$?
assert_eq "$RC" 0 "shell exit status"
assert_eq "$(cat "$T/out")" "hi" "shell output"
RC=0
printf 'echo one\necho two >&2\nexit 5\necho never\n' | ssh_client -T -- >"$T/out" 2>"$T/err" || RC=$?
assert_eq "$RC" 5 "shell exit status after 'exit 5'"
assert_eq "$(cat "$T/out")" "one" "shell stdout"
assert_eq "$(cat "$T/err")" "two" "shell stderr"

# --- several commands in a row on fresh connections ---
say "ten commands in a row"
for i in $(seq 1 10); do
	ssh_run -- "echo run $i; exit $((i % 4))" </dev/null
	assert_eq "$RC" "$((i % 4))" "run $i exit status"
	assert_eq "$(cat "$T/out")" "run $i" "run $i output"
done
ferryd_pass
