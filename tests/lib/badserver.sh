# tests/lib/badserver.sh: run the client against tests/lib/fakeserver.py scenarios (RFC 4253 bad-peer cases) and judge the outcome.
#
# Source after tests/lib/harness.sh (which gives $T, ferry_ssh, say, skip, ...). Without the
# harness it sets up a minimal equivalent itself (temp dir, client key, ferry_ssh).
#
#   bs_require                       skip (77) unless python3 + cryptography are usable
#   bs_reject [OPTS] LABEL SCENARIO REGEX
#        the client must exit 255 within --limit seconds (default 5) with stderr matching the
#        case-insensitive extended REGEX and free of sanitizer reports
#   bs_accept [OPTS] LABEL SCENARIO EXPECTED_STDOUT CMD...
#        the client must exit 0 (or --status N) and print exactly EXPECTED_STDOUT
#   OPTS: --server ARG (to fakeserver.py; repeatable), --opt ARG (client option; repeatable,
#         e.g. --opt -o --opt ConnectTimeout=2), --limit SECONDS, --watchdog SECONDS (kill the
#         client after this long; default 10), --openssh-xfail WHY (with FERRY_TEST_CLIENT=openssh
#         a failure of this case is expected and reported as XFAIL with WHY), --status N
#   bs_done                          summary; exit 0 if every case passed, else 1
#
# Each case starts a fresh fake server (one connection) and a fresh known_hosts file.

BS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BS_SERVER="$BS_DIR/fakeserver.py"
BS_FAILED=()
BS_XFAILED=()
BS_CASES=0
BS_PID=""

# --- fallbacks when tests/lib/harness.sh is not there -----------------------------------------

if ! declare -F ferry_ssh >/dev/null; then
	set -uo pipefail
	: "${FERRY_SRC:=$(cd "$BS_DIR/../.." && pwd)}"
	: "${FERRY_BUILD:=$FERRY_SRC/build}"
	: "${FERRY_TEST_CLIENT:=ferry}"
	: "${FERRY_TEST_TIMEOUT:=300}"
	TEST_NAME=$(basename "${0%.sh}")
	say() { printf '[%s] %s\n' "$TEST_NAME" "$*"; }
	fail() { printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*"; exit 1; }
	skip() { printf '[%s] SKIP: %s\n' "$TEST_NAME" "$*"; exit 77; }
	is_ferry() { [[ $FERRY_TEST_CLIENT == ferry ]]; }
	T=$(mktemp -d "${TMPDIR:-/tmp}/ferry-${TEST_NAME}.XXXXXX")
	chmod 700 "$T"
	bs_fallback_cleanup() {
		local rc=$?
		bs_stop
		[[ ${FERRY_KEEP_TMP:-0} == 1 ]] || rm -rf -- "$T"
		exit "$rc"
	}
	trap bs_fallback_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	KNOWN_HOSTS="$T/known_hosts"
	CLIENT_KEY="$T/id_ed25519"
	TARGET_PORT=""
	if [[ $(id -u) == 0 ]]; then SSH_USER=root; else SSH_USER=$(id -un); fi
	# ferry_ssh [OPT... --] CMD...: the client with cli-surface.md's isolating options.
	ferry_ssh() {
		local opts=() cmd=() a seen=0 client
		for a in "$@"; do
			if ((seen == 0)) && [[ $a == -- ]]; then seen=1; continue; fi
			if ((seen)); then cmd+=("$a"); else opts+=("$a"); fi
		done
		if ((seen == 0)); then cmd=("${opts[@]}"); opts=(); fi
		if is_ferry; then
			client=("$FERRY_BUILD/ferry" ssh)
		else
			client=(ssh -o GlobalKnownHostsFile=/dev/null -o UpdateHostKeys=no)
		fi
		timeout -k 5 "$FERRY_TEST_TIMEOUT" "${client[@]}" "${opts[@]}" -F /dev/null -p "$TARGET_PORT" \
			-i "$CLIENT_KEY" -o IdentitiesOnly=yes -o "UserKnownHostsFile=$KNOWN_HOSTS" \
			-o StrictHostKeyChecking=accept-new -o BatchMode=yes "$SSH_USER@127.0.0.1" "${cmd[@]}"
	}
	BS_NEED_KEY=1
else
	HARNESS_CLEANUPS+=(bs_stop)
	BS_NEED_KEY=0
fi

# --- set-up -------------------------------------------------------------------------------

# bs_require: python3 with the cryptography package, installed from Debian if missing and we
# may (root with apt-get); otherwise skip. Also makes the client key without the harness.
bs_require() {
	command -v python3 >/dev/null 2>&1 || skip "python3 not found"
	if ! python3 -c 'import cryptography.hazmat.primitives.ciphers.aead' >/dev/null 2>&1; then
		if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
			say "installing python3-cryptography for the fake server"
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-cryptography >"$T/apt.log" 2>&1 || true
		fi
		python3 -c 'import cryptography.hazmat.primitives.ciphers.aead' >/dev/null 2>&1 ||
			skip "python3 cryptography package missing (apt-get install python3-cryptography)"
	fi
	if [[ $BS_NEED_KEY == 1 ]]; then
		python3 "$BS_SERVER" --gen-client-key "$CLIENT_KEY" || fail "cannot make a client key"
		if is_ferry; then
			[[ -x $FERRY_BUILD/ferry ]] || fail "ferry binary not found at $FERRY_BUILD/ferry (set FERRY_BUILD)"
		fi
	fi
}

# bs_start SCENARIO [ARG...]: a fresh fake server; sets TARGET_PORT, BS_PID, BS_LOG.
bs_start() {
	local sc=$1 i port=""
	shift
	BS_CASES=$((BS_CASES + 1))
	BS_SC=$sc
	BS_LOG="$T/fakeserver.$BS_CASES.$sc.log"
	local portfile="$T/fakeserver.$BS_CASES.port"
	: >"$portfile"
	python3 "$BS_SERVER" --scenario "$sc" --port 0 --hold 15 --accept-timeout 30 "$@" \
		>"$portfile" 2>"$BS_LOG" </dev/null &
	BS_PID=$!
	# The server prints its port first thing after listen(), so once the line is complete the
	# port is ours and accepting.
	for ((i = 0; i < 200; i++)); do
		if [[ $(wc -l <"$portfile") -ge 1 ]]; then
			port=$(head -n 1 "$portfile")
			break
		fi
		kill -0 "$BS_PID" 2>/dev/null || break
		sleep 0.05
	done
	if [[ -z $port ]]; then
		cat "$BS_LOG" >&2 || true
		fail "fake server for scenario $sc did not start"
	fi
	TARGET_PORT=$port
	KNOWN_HOSTS="$T/known_hosts.$BS_CASES"  # every fake server has a new host key
}

# bs_stop: let the fake server finish (it exits once the client is gone), kill it if it lingers.
bs_stop() {
	[[ -n ${BS_PID:-} ]] || return 0
	local i
	for ((i = 0; i < 40; i++)); do
		kill -0 "$BS_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill "$BS_PID" 2>/dev/null || true
	wait "$BS_PID" 2>/dev/null || true
	BS_PID=""
}

# --- running one case ---------------------------------------------------------------------

bs_ms() { local t=${EPOCHREALTIME/,/.}; echo "${t%.*}${t#*.}" | cut -c1-13; }

# bs_parse_opts ARGS...: fills BS_SRV_ARGS, BS_CLI_OPTS, BS_LIMIT, BS_WATCHDOG, BS_XFAIL and
# BS_REST (what is left).
bs_parse_opts() {
	BS_SRV_ARGS=()
	BS_CLI_OPTS=()
	BS_LIMIT=5
	BS_WATCHDOG=10
	BS_XFAIL=""
	BS_STATUS=0
	while (($#)); do
		case "$1" in
			--server) BS_SRV_ARGS+=("$2"); shift 2 ;;
			--opt) BS_CLI_OPTS+=("$2"); shift 2 ;;
			--limit) BS_LIMIT=$2; shift 2 ;;
			--watchdog) BS_WATCHDOG=$2; shift 2 ;;
			--openssh-xfail) BS_XFAIL=$2; shift 2 ;;
			--status) BS_STATUS=$2; shift 2 ;;
			*) break ;;
		esac
	done
	BS_REST=("$@")
}

# bs_run CMD...: run the client against the current fake server; sets BS_RC, BS_MS; output in
# $T/out and $T/err.
bs_run() {
	local t0 t1
	t0=$(bs_ms)
	BS_RC=0
	FERRY_TEST_TIMEOUT=$BS_WATCHDOG ferry_ssh "${BS_CLI_OPTS[@]}" -- "$@" </dev/null >"$T/out" 2>"$T/err" || BS_RC=$?
	t1=$(bs_ms)
	BS_MS=$((t1 - t0))
	# stderr without the accept-new notice, for matching and reporting
	grep -v -e '^Warning: Permanently added' "$T/err" >"$T/err.f" || true
	bs_stop
}

bs_secs() { awk -v m="$1" 'BEGIN { printf "%.2f s", m / 1000 }'; }

# bs_verdict LABEL PROBLEM: record a case's result (PROBLEM empty = pass).
bs_verdict() {
	local label=$1 problem=$2 first
	first=$(head -n 1 "$T/err.f" | cut -c1-160)
	if [[ -z $problem ]]; then
		say "ok    $label: exit $BS_RC in $(bs_secs "$BS_MS")${first:+: $first}"
		return 0
	fi
	if [[ -n $BS_XFAIL && ${FERRY_TEST_CLIENT:-ferry} == openssh ]]; then
		say "XFAIL $label: $problem (expected with OpenSSH: $BS_XFAIL)"
		BS_XFAILED+=("$label")
		return 0
	fi
	if [[ $BS_SC == strict_* ]] && grep -q 'client offers strict KEX: False' "$BS_LOG" 2>/dev/null; then
		problem="$problem [note: the client did not offer kex-strict-c-v00@openssh.com]"
	fi
	if [[ $BS_SC == ext_info_* ]] && grep -q 'ext-info-c: False' "$BS_LOG" 2>/dev/null; then
		problem="$problem [note: the client did not offer ext-info-c, so this EXT_INFO was also unsolicited]"
	fi
	say "FAIL  $label: $problem"
	printf '    --- client stderr ---\n'
	head -n 20 "$T/err" | cut -c1-300 | sed 's/^/    /'
	printf '    --- fake server log (%s) ---\n' "$BS_LOG"
	if [[ -s $BS_LOG ]]; then
		tail -n 25 "$BS_LOG" | cut -c1-300 | sed 's/^/    /'
	else
		printf '    (empty: the client never connected)\n'
	fi
	BS_FAILED+=("$label")
}

bs_sanitizer_problem() {
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$T/err"; then
		echo "sanitizer report on stderr"
	fi
}

# bs_reject [OPTS] LABEL SCENARIO REGEX
bs_reject() {
	bs_parse_opts "$@"
	local label=${BS_REST[0]} sc=${BS_REST[1]} re=${BS_REST[2]} problem=""
	bs_start "$sc" "${BS_SRV_ARGS[@]}"
	bs_run true
	local limit_ms=$((BS_LIMIT * 1000))
	if [[ $BS_RC == 124 || $BS_RC == 137 ]]; then
		problem="client hung: killed after ${BS_WATCHDOG} s (expected exit 255 within $BS_LIMIT s)"
	elif [[ $BS_RC != 255 ]]; then
		problem="exit status $BS_RC (expected 255)"
	elif ((BS_MS > limit_ms)); then
		problem="took $(bs_secs "$BS_MS") (limit $BS_LIMIT s)"
	elif ! grep -qiE -- "$re" "$T/err.f"; then
		problem="stderr does not explain the failure (no match for /$re/i)"
	fi
	[[ -n $problem ]] || problem=$(bs_sanitizer_problem)
	bs_verdict "$label" "$problem"
}

# bs_accept [OPTS] LABEL SCENARIO EXPECTED_STDOUT CMD...
bs_accept() {
	bs_parse_opts "$@"
	local label=${BS_REST[0]} sc=${BS_REST[1]} want=${BS_REST[2]} problem=""
	bs_start "$sc" "${BS_SRV_ARGS[@]}"
	bs_run "${BS_REST[@]:3}"
	if [[ $BS_RC == 124 || $BS_RC == 137 ]]; then
		problem="client hung: killed after ${BS_WATCHDOG} s"
	elif [[ $BS_RC != "$BS_STATUS" ]]; then
		problem="exit status $BS_RC (expected $BS_STATUS)"
	elif [[ $(cat "$T/out") != "$want" ]]; then
		problem="stdout '$(head -c 200 "$T/out")' (expected '$want')"
	fi
	[[ -n $problem ]] || problem=$(bs_sanitizer_problem)
	bs_verdict "$label" "$problem"
}

# bs_done: the summary line and the exit status of the script.
bs_done() {
	local n_fail=${#BS_FAILED[@]} n_x=${#BS_XFAILED[@]}
	if ((n_x)); then (IFS=';'; say "expected OpenSSH divergences:${BS_XFAILED[*]/#/ }"); fi
	if ((n_fail)); then
		local IFS=';'
		say "FAIL: $n_fail of $BS_CASES cases failed:${BS_FAILED[*]/#/ }"
		exit 1
	fi
	say "PASS: $BS_CASES cases"
	exit 0
}
