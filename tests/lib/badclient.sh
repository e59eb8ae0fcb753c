# tests/lib/badclient.sh: run ferryd against tests/lib/fakeclient.py scenarios (RFC 4253/4252/4254 bad-peer cases) and judge what the server did.
#
# Source after tests/lib/harness.sh and tests/lib/ferryd.sh. One server serves every case of a
# script; beside it one legitimate session (OpenSSH's ssh running `cat`) stays connected the
# whole time and must echo a line back after every case, and a fresh legitimate login must
# work after every case: bad input on one connection never disturbs the others.
#
#   bc_require                      skip (77) unless python3 + cryptography are usable
#   bc_start [LINE...]              start the server (ferryd_start LINE...) and the alive session
#   bc_reject [OPTS] LABEL SCENARIO
#        the bad connection must end within --limit seconds (default 15): a DISCONNECT with
#        a reason code (RFC 4253 §11.1), or a close with the reason in the server's log (--log
#        REGEX, case-insensitive ERE; without --log a close does not count). The fake client
#        must not report anything UNEXPECTED (e.g. a confirmed channel).
#   bc_accept [OPTS] LABEL SCENARIO
#        the scenario must run to its end (RESULT ok)
#   OPTS: --client ARG (to fakeclient.py; repeatable), --log REGEX, --limit SECONDS,
#         --expect REGEX (a line of the fake client's report must match; repeatable),
#         --quiet-ok (a server that ignores the input and keeps the connection open, without
#         anything UNEXPECTED, passes too), --openssh-xfail WHY (with FERRY_TEST_SERVER=openssh a
#         failure is expected and reported as XFAIL with WHY)
#   bc_done                         stop everything, final checks, summary; exit 0 or 1
#
# After every case: the server's log since the case holds no sanitizer report, the listener
# is alive, the alive session echoes, a fresh login runs `echo fresh`.

BC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BC_CLIENT="$BC_DIR/fakeclient.py"
BC_FAILED=()
BC_XFAILED=()
BC_CASES=0
BC_ALIVE_PID=""
BC_ALIVE_N=0

# bc_require: python3 with the cryptography package, installed from Debian if missing and we
# may (root with apt-get); otherwise skip.
bc_require() {
	command -v python3 >/dev/null 2>&1 || skip "python3 not found"
	if ! python3 -c 'import cryptography.hazmat.primitives.ciphers.aead' >/dev/null 2>&1; then
		if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
			say "installing python3-cryptography for the fake client"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-cryptography >"$T/apt.log" 2>&1 || true
		fi
		python3 -c 'import cryptography.hazmat.primitives.ciphers.aead' >/dev/null 2>&1 ||
			skip "python3 cryptography package missing (apt-get install python3-cryptography)"
	fi
}

# --- the server and the alive session -------------------------------------------------------

# bc_start [LINE...]: the server with config LINEs, then the alive session.
bc_start() {
	ferryd_start "$@"
	bc_alive_start
	say "server on port $TARGET_PORT; alive session running"
}

# The alive session: `cat` on the server, fed through a FIFO that this shell keeps open on
# fd 7; closing fd 7 ends it (EOF through the channel, cat exits 0).
bc_alive_start() {
	local fifo="$T/alive.in" i
	rm -f "$fifo"
	mkfifo "$fifo"
	: >"$T/alive.out"
	ssh_client -- cat <"$fifo" >"$T/alive.out" 2>"$T/alive.err" &
	BC_ALIVE_PID=$!
	exec 7>"$fifo"
	bc_alive_check "start" || fail "the alive session does not echo (see $T/alive.err: $(head -c 300 "$T/alive.err"))"
}

# bc_alive_check TAG: the alive session echoes "ping N TAG" within 10 s.
bc_alive_check() {
	local i line
	BC_ALIVE_N=$((BC_ALIVE_N + 1))
	line="ping $BC_ALIVE_N $1"
	# In a subshell: with the session gone, the write's SIGPIPE ends only the subshell.
	(printf '%s\n' "$line" >&7) 2>/dev/null || return 1
	for ((i = 0; i < 200; i++)); do
		grep -qxF -- "$line" "$T/alive.out" && return 0
		kill -0 "$BC_ALIVE_PID" 2>/dev/null || { grep -qxF -- "$line" "$T/alive.out"; return; }
		sleep 0.05
	done
	return 1
}

# bc_alive_stop: end the alive session; true if it exits 0 within 10 s.
bc_alive_stop() {
	[[ -n $BC_ALIVE_PID ]] || return 0
	local i rc=0
	exec 7>&-
	for ((i = 0; i < 200; i++)); do
		kill -0 "$BC_ALIVE_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$BC_ALIVE_PID" 2>/dev/null; then
		kill "$BC_ALIVE_PID" 2>/dev/null || true
		wait "$BC_ALIVE_PID" 2>/dev/null || true
		BC_ALIVE_PID=""
		return 1
	fi
	wait "$BC_ALIVE_PID" || rc=$?
	BC_ALIVE_PID=""
	return "$rc"
}
HARNESS_CLEANUPS+=(bc_alive_stop)

# --- one case -------------------------------------------------------------------------------

bc_parse_opts() {
	BC_ARGS=()
	BC_LOGRE=""
	BC_LIMIT=15
	BC_EXPECT=()
	BC_QUIET_OK=0
	BC_XFAIL=""
	while (($#)); do
		case "$1" in
			--client) BC_ARGS+=("$2"); shift 2 ;;
			--log) BC_LOGRE=$2; shift 2 ;;
			--limit) BC_LIMIT=$2; shift 2 ;;
			--expect) BC_EXPECT+=("$2"); shift 2 ;;
			--quiet-ok) BC_QUIET_OK=1; shift ;;
			--openssh-xfail) BC_XFAIL=$2; shift 2 ;;
			*) break ;;
		esac
	done
	BC_REST=("$@")
}

bc_ms() { local t=${EPOCHREALTIME/,/.}; echo "${t%.*}${t#*.}" | cut -c1-13; }
bc_secs() { awk -v m="$1" 'BEGIN { printf "%.2f s", m / 1000 }'; }

# bc_run SCENARIO: the fake client against the server; report in $BC_OUT, log in $BC_ERR,
# sets BC_RC, BC_MS, BC_RESULT (the RESULT line without "RESULT ").
bc_run() {
	local sc=$1 t0 t1
	BC_CASES=$((BC_CASES + 1))
	BC_OUT="$T/fc.$BC_CASES.$sc.out"
	BC_ERR="$T/fc.$BC_CASES.$sc.err"
	log_mark
	t0=$(bc_ms)
	BC_RC=0
	# The fake client gives up after 5 s of silence and at the limit; timeout is the backstop.
	timeout -k 2 "$((BC_LIMIT + 5))" python3 "$BC_CLIENT" --port "$TARGET_PORT" --key "$CLIENT_KEY" \
		--user "$SSH_USER" --wait 5 --deadline "$BC_LIMIT" --scenario "$sc" "${BC_ARGS[@]}" \
		</dev/null >"$BC_OUT" 2>"$BC_ERR" || BC_RC=$?
	t1=$(bc_ms)
	BC_MS=$((t1 - t0))
	BC_RESULT=$(grep '^RESULT ' "$BC_OUT" | tail -n 1 | cut -c8- || true)
	# Give the server's connection process a moment to log its reason and exit.
	sleep 0.3
	log_since >"$T/srv.$BC_CASES.log"
}

# bc_after_case: what must hold after every case; prints problems (empty: all good).
bc_after_case() {
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/srv.$BC_CASES.log"; then
		echo "sanitizer report in the server's log"
		return
	fi
	if [[ -n ${FERRYD_PID:-} ]] && ! kill -0 "$FERRYD_PID" 2>/dev/null; then
		echo "the listener died"
		return
	fi
	if ! bc_alive_check "after case $BC_CASES"; then
		echo "the alive session stopped echoing"
		return
	fi
	local out rc=0
	out=$(FERRY_TEST_TIMEOUT=20 ssh_client -- echo fresh </dev/null 2>"$T/fresh.err") || rc=$?
	if [[ $rc != 0 || $out != fresh ]]; then
		echo "a fresh login failed (exit $rc, output '$out': $(head -c 200 "$T/fresh.err"))"
	fi
}

# bc_check_expect: each --expect REGEX matches a report line.
bc_check_expect() {
	local re
	for re in "${BC_EXPECT[@]}"; do
		grep -qE -- "$re" "$BC_OUT" || { echo "no report line matches /$re/"; return; }
	done
}

# bc_verdict LABEL PROBLEM
bc_verdict() {
	local label=$1 problem=$2
	if [[ -z $problem ]]; then
		say "ok    $label: $BC_RESULT ($(bc_secs "$BC_MS"))"
		return 0
	fi
	if [[ -n $BC_XFAIL && $FERRY_TEST_SERVER == openssh ]]; then
		say "XFAIL $label: $problem (expected with OpenSSH: $BC_XFAIL)"
		BC_XFAILED+=("$label")
		return 0
	fi
	say "FAIL  $label: $problem"
	printf '    --- fake client report ---\n'
	head -n 30 "$BC_OUT" | cut -c1-300 | sed 's/^/    /'
	printf '    --- fake client log (%s) ---\n' "$BC_ERR"
	tail -n 15 "$BC_ERR" | cut -c1-300 | sed 's/^/    /'
	printf '    --- server log for this case ---\n'
	grep -v '^debug' "$T/srv.$BC_CASES.log" | tail -n 25 | cut -c1-300 | sed 's/^/    /'
	BC_FAILED+=("$label")
}

# bc_reject [OPTS] LABEL SCENARIO
bc_reject() {
	bc_parse_opts "$@"
	local label=${BC_REST[0]} sc=${BC_REST[1]} problem=""
	bc_run "$sc"
	if [[ $BC_RC == 124 || $BC_RC == 137 ]]; then
		problem="the fake client hung (killed after $((BC_LIMIT + 5)) s)"
	elif [[ -z $BC_RESULT ]]; then
		problem="the fake client gave no result (exit $BC_RC)"
	elif grep -q '^UNEXPECTED' "$BC_OUT"; then
		problem="the server went along: $(grep '^UNEXPECTED' "$BC_OUT" | tr '\n' ' ')"
	else
		case "$BC_RESULT" in
			"disconnect "*)
				local code=${BC_RESULT#disconnect }
				code=${code%% *}
				((code >= 1 && code <= 15)) || problem="DISCONNECT with reason code $code (RFC 4253 §11.1: 1-15)"
				;;
			"closed "*)
				if [[ -z $BC_LOGRE ]]; then
					problem="closed without a DISCONNECT ($BC_RESULT)"
				elif ! grep -v '^debug' "$T/srv.$BC_CASES.log" | grep -qiE -- "$BC_LOGRE"; then
					problem="closed without a DISCONNECT and the server's log gives no reason (no match for /$BC_LOGRE/i)"
				fi
				;;
			"timeout "*)
				((BC_QUIET_OK)) || problem="the connection did not end: $BC_RESULT"
				;;
			ok)
				problem="the server let it pass (the scenario ran to its end)"
				;;
			*)
				problem="the fake client could not follow the server: $BC_RESULT"
				;;
		esac
	fi
	[[ -n $problem ]] || problem=$(bc_check_expect)
	[[ -n $problem ]] || problem=$(bc_after_case)
	bc_verdict "$label" "$problem"
}

# bc_accept [OPTS] LABEL SCENARIO
bc_accept() {
	bc_parse_opts "$@"
	local label=${BC_REST[0]} sc=${BC_REST[1]} problem=""
	bc_run "$sc"
	if [[ $BC_RC == 124 || $BC_RC == 137 ]]; then
		problem="the fake client hung (killed after $((BC_LIMIT + 5)) s)"
	elif [[ $BC_RESULT != ok ]]; then
		problem="expected the scenario to run to its end, got: ${BC_RESULT:-no result (exit $BC_RC)}"
	elif grep -q '^UNEXPECTED' "$BC_OUT"; then
		problem="$(grep '^UNEXPECTED' "$BC_OUT" | tr '\n' ' ')"
	fi
	[[ -n $problem ]] || problem=$(bc_check_expect)
	[[ -n $problem ]] || problem=$(bc_after_case)
	bc_verdict "$label" "$problem"
}

# bc_done: end the alive session (it must exit 0), stop the server, check its whole log.
bc_done() {
	if ! bc_alive_stop; then
		say "FAIL  the alive session did not end cleanly: $(head -c 300 "$T/alive.err")"
		BC_FAILED+=("alive session")
	fi
	ferryd_stop
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$FERRYD_LOG"; then
		say "FAIL  sanitizer report in the server's log:"
		grep -A 30 -E 'AddressSanitizer|LeakSanitizer|runtime error:' "$FERRYD_LOG" | head -n 60 | sed 's/^/    /'
		BC_FAILED+=("sanitizer")
	fi
	local n_fail=${#BC_FAILED[@]} n_x=${#BC_XFAILED[@]}
	if ((n_x)); then (IFS=';'; say "expected OpenSSH divergences:${BC_XFAILED[*]/#/ }"); fi
	if ((n_fail)); then
		local IFS=';'
		say "FAIL: $n_fail of $BC_CASES cases failed:${BC_FAILED[*]/#/ }"
		exit 1
	fi
	say "PASS: $BC_CASES cases"
	exit 0
}
