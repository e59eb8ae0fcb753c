#!/usr/bin/env bash
# tests/interop/t_ferryd_limits.sh: ferryd's listener under a storm of stalled unauthenticated connections: MaxStartups caps the pre-auth children, LoginGraceTime drops the stalled ones, a real client gets in afterwards, and the listener neither dies nor leaks descriptors (RFC 4253 s4.2 the server sends its version first; sshd_config(5) MaxStartups, LoginGraceTime).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ferryd.sh"

MAX=3
GRACE=3
STORM=10
ferryd_start "MaxStartups $MAX" "LoginGraceTime $GRACE"
expect_ok "first contact" -- true

# The listener's descriptors once the first connection's process is gone.
wait_no_children() { # SECONDS
	local deadline=$((SECONDS + $1))
	while [[ -n $(ferryd_children) ]]; do
		((SECONDS < deadline)) || fail "connection processes still there after $1 s: $(ferryd_children | paste -sd' ')"
		sleep 0.1
	done
}
wait_no_children 10
FDS_BEFORE=$(ferryd_fd_count)
say "listener pid $FERRYD_PID holds $FDS_BEFORE descriptors"

# --- the storm: STORM connections that send nothing. Each records when it opened, what the
# --- server sent, and when the server closed it (EOF) ---
say "$STORM stalled pre-auth connections (MaxStartups $MAX, LoginGraceTime $GRACE)"
for i in $(seq 1 "$STORM"); do
	(
		exec 3<>"/dev/tcp/127.0.0.1/$FERRYD_PORT" || exit 1
		now >"$T/storm.$i.open"
		# Read until the server closes; never write. Bounded well past the grace time.
		timeout 30 cat <&3 >"$T/storm.$i.data" || true
		now >"$T/storm.$i.eof"
	) &
	STORM_PIDS+=($!)
done

# While they stall, the listener keeps at most MAX children (one per unauthenticated
# connection) and is alive; sample for a second.
maxkids=0
for ((k = 0; k < 20; k++)); do
	kill -0 "$FERRYD_PID" 2>/dev/null || fail "the listener died during the storm"
	n=$(ferryd_children | grep -c . || true)
	((n > maxkids)) && maxkids=$n
	sleep 0.05
done
say "  at most $maxkids connection processes seen during the storm"
((maxkids <= MAX)) || fail "$maxkids unauthenticated connection processes, MaxStartups is $MAX"
((maxkids >= 1)) || fail "no connection process at all during the storm (are the stalled connections served?)"

for p in "${STORM_PIDS[@]}"; do wait "$p" || fail "a storm connection could not connect"; done
kill -0 "$FERRYD_PID" 2>/dev/null || fail "the listener died after the storm"

# Every stalled connection was closed by the server: those beyond MaxStartups at once, the
# others (which got the server's version line) after about LoginGraceTime.
served=0 dropped=0
for i in $(seq 1 "$STORM"); do
	[[ -s $T/storm.$i.eof ]] || fail "storm connection $i: no EOF recorded"
	held=$(awk -v a="$(cat "$T/storm.$i.open")" -v z="$(cat "$T/storm.$i.eof")" 'BEGIN { printf "%.2f", z - a }')
	if head -c 8 "$T/storm.$i.data" | grep -q '^SSH-2.0'; then
		served=$((served + 1))
		awk -v h="$held" -v g="$GRACE" 'BEGIN { exit !(h >= g - 0.5 && h <= g + 5) }' ||
			fail "storm connection $i was served but closed after ${held} s (LoginGraceTime $GRACE)"
	else
		dropped=$((dropped + 1))
		awk -v h="$held" -v g="$GRACE" 'BEGIN { exit !(h < g - 0.5) }' ||
			fail "storm connection $i got no version line but was held ${held} s"
	fi
done
say "  $served served and closed after LoginGraceTime, $dropped refused at once"
((served >= 1 && served <= MAX)) || fail "$served stalled connections were served, expected 1..$MAX"
((dropped >= STORM - MAX)) || fail "only $dropped connections refused beyond MaxStartups"

# --- afterwards: all connection processes gone, a real client gets in, nothing leaked ---
wait_no_children 10
say "a real client after the storm"
expect_ok "login after the storm" -- echo after
assert_eq "$(cat "$T/out")" after "output after the storm"
wait_no_children 10
kill -0 "$FERRYD_PID" 2>/dev/null || fail "the listener died"
FDS_AFTER=$(ferryd_fd_count)
say "listener holds $FDS_AFTER descriptors (before the storm: $FDS_BEFORE)"
assert_eq "$FDS_AFTER" "$FDS_BEFORE" "listener descriptors after the storm"

# While the grace time runs, the slots are taken: a real client during a storm of MAX stalled
# connections is refused, and gets in once they are dropped.
say "a real client while $MAX stalled connections hold every slot"
for i in $(seq 1 "$MAX"); do
	exec {fd}<>"/dev/tcp/127.0.0.1/$FERRYD_PORT"
	HELD_FDS+=("$fd")
done
deadline=$((SECONDS + 5))
while (($(ferryd_children | grep -c . || true) < MAX)); do
	((SECONDS < deadline)) || fail "the $MAX stalled connections did not all get a process"
	sleep 0.05
done
ssh_run -o LogLevel=INFO -- true </dev/null
[[ $RC == 255 ]] || fail "a client got in past MaxStartups $MAX (exit status $RC)"
for fd in "${HELD_FDS[@]}"; do exec {fd}>&-; done
wait_no_children $((GRACE + 5))
expect_ok "login once the slots are free" -- true
wait_no_children 10
assert_eq "$(ferryd_fd_count)" "$FDS_BEFORE" "listener descriptors at the end"
ferryd_pass "$served served, $dropped refused, $FDS_BEFORE descriptors before and after"
