# tests/lib/ferryd.sh: interop set-up for ferryd, ferry's SSH server (RFC 4251-4254): start/stop it on loopback, drive it with OpenSSH's ssh, watch its listener and log.
#
# Source it after harness.sh:
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/ferryd.sh"
#
# Knobs (environment):
#   FERRY_TEST_SERVER  ferryd (default) | openssh. `openssh` starts OpenSSH's sshd with the same
#                      configuration in place of ferryd, to validate a test body before (or
#                      independently of) ferryd. Checks of ferryd's own behaviour (exit codes
#                      of -t, its log texts, the host key it makes) are guarded by is_ferryd.
#
# Main API:
#   FERRYD_HOSTKEYS        host keys for the next start: key types (see make_key) or paths
#   FERRYD_ARGS            extra command-line arguments for the next start (e.g. -o Key=value)
#   ferryd_start [LINE...] start the server; each LINE is one config line, placed first and
#                          replacing the default for its keyword (HostKey lines add to
#                          FERRYD_HOSTKEYS). Sets FERRYD_PORT, FERRYD_PID (the listener) and
#                          TARGET_PORT.
#   ferryd_stop, ferryd_restart [LINE...]
#   ssh_client [OPT... --] [CMD...]  OpenSSH's ssh against the server, isolated from ~/.ssh and
#                          /etc/ssh. The harness helpers ssh_run, expect_ok, check_basic and
#                          roundtrip drive ssh_client too (ferry_ssh is redirected to it below).
#   ssh_client_cmdline [OPT...]      the same as one string, for `rsync -e`
#   negotiated FILE WHAT...          `ssh -v` output in FILE shows each WHAT ("kex: ...")
#   check_suite LABEL OPT... -- WHAT...   true, echo, BASIC_BYTES through cat with ssh -v OPT...,
#                          each connection showing WHAT...
#   ferryd_children        pids of the listener's child processes (one per connection)
#   ferryd_fd_count        number of open file descriptors of the listener
#   ferryd_check_log       fail on a sanitizer report in the server's log
#   ferryd_pass [MSG]      stop the server, check its log, pass
#   log_mark / log_since   (harness) now read the server's log, $FERRYD_LOG

: "${FERRY_TEST_SERVER:=ferryd}"
case "$FERRY_TEST_SERVER" in
	ferryd | openssh) ;;
	*) echo "FERRY_TEST_SERVER must be ferryd or openssh, not '$FERRY_TEST_SERVER'" >&2; exit 1 ;;
esac

FERRYD_BIN="$FERRY_BUILD/ferryd"
FERRYD_HOSTKEYS=(ed25519)
FERRYD_ARGS=()
FERRYD_PID=""
FERRYD_PORT=""
FERRYD_LOG="$T/ferryd.log"
FERRYD_CONFIG="$T/ferryd_config"
# The harness's fail() shows the tail of $SSHD_LOG and log_mark/log_since read it: point it
# at the server of these tests.
SSHD_LOG=$FERRYD_LOG

is_ferryd() { [[ $FERRY_TEST_SERVER == ferryd ]]; }

# ferryd_server_bin: the binary the tests start (ferryd, or sshd standing in for it).
ferryd_server_bin() {
	if is_ferryd; then echo "$FERRYD_BIN"; else echo "$SSHD_BIN"; fi
}

# ferryd_write_config LINE...: $FERRYD_CONFIG from the test's LINEs, then the defaults. A
# default whose keyword a LINE sets is left out, so the test's value holds whether the server
# keeps the first value of a keyword or (as sshd does for MaxStartups) the last. With
# FERRY_TEST_SERVER=openssh, sshd-only lines follow that make sshd behave as ferryd does (no
# PAM, no DNS, no motd) and offer only the algorithms ferry implements.
ferryd_write_config() {
	local k p kw
	local -A given=()
	for k in "$@"; do
		k=${k#"${k%%[![:space:]]*}"}
		kw=${k%%[ =]*}
		given[${kw,,}]=1
	done
	# default KEYWORD VALUE...: the line unless the test set KEYWORD.
	default() { [[ -n ${given[${1,,}]:-} ]] || echo "$*"; }
	{
		echo "# written by tests/lib/ferryd.sh for $TEST_NAME; the test's lines first"
		for k in "$@"; do printf '%s\n' "$k"; done
		default ListenAddress 127.0.0.1
		default Port "$FERRYD_PORT"
		# Host keys add up; the test's HostKey lines (if any) come in addition.
		for k in "${FERRYD_HOSTKEYS[@]}"; do
			if [[ $k == */* ]]; then p=$k; else p=$(hostkey "$k"); fi
			echo "HostKey $p"
		done
		default AuthorizedKeysFile "$T/authorized_keys"
		default PidFile "$T/ferryd.pid"
		default StrictModes no
		default PermitRootLogin yes
		default PubkeyAuthentication yes
		default PasswordAuthentication no
		default MaxStartups 100:30:200
		default LoginGraceTime 60
		default LogLevel VERBOSE
		if ! is_ferryd; then
			echo "# sshd standing in for ferryd"
			default UsePAM no
			default KbdInteractiveAuthentication no
			default UseDNS no
			default PrintMotd no
			default PrintLastLog no
			default X11Forwarding no
			# shellcheck disable=SC2086
			{
				default Ciphers "$(algo_list cipher $FERRY_CIPHERS)"
				default MACs "$(algo_list mac $FERRY_MACS)"
				default KexAlgorithms "$(algo_list kex $FERRY_KEXS)"
				default HostKeyAlgorithms "$(algo_list key-sig $FERRY_HOSTKEYALGS)"
				default PubkeyAcceptedAlgorithms "$(algo_list key-sig $FERRY_HOSTKEYALGS)"
			}
		fi
	} >"$FERRYD_CONFIG"
	unset -f default
}

# ferryd_start [LINE...]: start the server on a free loopback port (retrying on a port race)
# with the config LINEs, wait (at most 10 s) until it listens, and make it the client's target.
ferryd_start() {
	local bin
	bin=$(ferryd_server_bin)
	if is_ferryd; then
		[[ -x $bin ]] || fail "ferryd binary not found at $bin (set FERRY_BUILD, or FERRY_TEST_SERVER=openssh)"
	else
		[[ -x $bin ]] || skip "sshd not found (install openssh-server)"
		# sshd's privilege-separation chroot; a fresh container has no /run/sshd.
		if [[ $(id -u) == 0 ]]; then mkdir -p /run/sshd && chmod 755 /run/sshd; fi
	fi
	require_login_shell
	[[ -f $T/authorized_keys ]] || authorize_key "$CLIENT_KEY.pub"
	home_wrap
	local attempt start deadline logargs
	for attempt in 1 2 3 4 5 6; do
		if [[ $attempt == 1 && -n ${FERRYD_PORT_WANTED:-} ]]; then
			FERRYD_PORT=$FERRYD_PORT_WANTED
		else
			FERRYD_PORT=$(pick_port)
		fi
		ferryd_write_config "$@"
		if is_ferryd; then
			logargs=(-e)
		else
			# sshd's -e would let debug lines of a session process (between fork and exec)
			# reach the remote command's stderr; -E sends them to the log file instead.
			logargs=(-E "$FERRYD_LOG")
			if ! "$bin" -t -f "$FERRYD_CONFIG" >"$T/sshd-t.log" 2>&1; then
				cat "$T/sshd-t.log"
				[[ $(id -u) == 0 ]] || skip "sshd does not accept this config unprivileged"
				fail "sshd rejects the generated config $FERRYD_CONFIG"
			fi
		fi
		start=$(stat -c %s "$FERRYD_LOG" 2>/dev/null || echo 0)
		echo "=== ferryd.sh: $FERRY_TEST_SERVER start, port $FERRYD_PORT (attempt $attempt) ===" >>"$FERRYD_LOG"
		"${HOME_WRAP[@]}" "$bin" -D "${logargs[@]}" -f "$FERRYD_CONFIG" "${FERRYD_ARGS[@]}" \
			</dev/null >>"$FERRYD_LOG" 2>&1 &
		FERRYD_PID=$!
		deadline=$((SECONDS + 10))
		while ((SECONDS < deadline)); do
			if tail -c +"$((start + 1))" "$FERRYD_LOG" | grep -q "Server listening on 127.0.0.1 port $FERRYD_PORT"; then
				TARGET_PORT=$FERRYD_PORT
				return 0
			fi
			kill -0 "$FERRYD_PID" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$FERRYD_PID" 2>/dev/null; then
			# Alive but silent: the port answering is enough, else give up.
			if port_open "$FERRYD_PORT"; then TARGET_PORT=$FERRYD_PORT; return 0; fi
			ferryd_stop
			fail "$FERRY_TEST_SERVER did not listen on port $FERRYD_PORT within 10 s"
		fi
		wait "$FERRYD_PID" 2>/dev/null || true
		FERRYD_PID=""
		if tail -c +"$((start + 1))" "$FERRYD_LOG" | grep -qiE 'Address already in use|Cannot bind any address'; then
			say "port $FERRYD_PORT was taken meanwhile; retrying"
			continue
		fi
		fail "$FERRY_TEST_SERVER exited at start"
	done
	fail "$FERRY_TEST_SERVER could not bind a port after 6 attempts"
}

ferryd_stop() {
	if [[ -n $FERRYD_PID ]]; then
		kill_tree "$FERRYD_PID"
		FERRYD_PID=""
	fi
}
HARNESS_CLEANUPS+=(ferryd_stop)

ferryd_restart() { ferryd_stop; ferryd_start "$@"; }

# ferryd_check_log: fail if the server's log holds a sanitizer report (the listener's and the
# connection processes' stderr both go there; leak reports appear when a process exits, so
# call this after ferryd_stop to see the listener's).
ferryd_check_log() { check_sanitizer "$FERRYD_LOG"; }

# ferryd_pass [MSG]: the end of a test: stop the server, check its log, pass.
ferryd_pass() {
	ferryd_stop
	ferryd_check_log
	pass "$@"
}

# ferryd_children: pids of the listener's direct children, one per line.
ferryd_children() {
	[[ -n $FERRYD_PID ]] || return 0
	pgrep -P "$FERRYD_PID" || true
}

# ferryd_fd_count: how many file descriptors the listener holds open.
ferryd_fd_count() {
	[[ -n $FERRYD_PID && -d /proc/$FERRYD_PID/fd ]] || fail "ferryd_fd_count: no listener"
	find "/proc/$FERRYD_PID/fd" -mindepth 1 -maxdepth 1 | wc -l
}

# --- the client: OpenSSH's ssh ------------------------------------------------------------

# ssh_client_defaults OPT...: into DEFAULTS, the isolating options OPT... does not set: the
# harness's (-F /dev/null, port, key, IdentitiesOnly, own known_hosts, accept-new, BatchMode),
# and for OpenSSH no global known-hosts, no learning of extra host keys (UpdateHostKeys) and
# LogLevel=ERROR (no "Permanently added" notes on stderr) unless the test asks for -v.
ssh_client_defaults() {
	local a prev="" loglevel=0 gkh=0 uhk=0
	for a in "$@"; do
		case "$a" in -v | -vv | -vvv | -q) loglevel=1 ;; esac
		if [[ $prev == -o ]]; then
			case "${a%%[= ]*}" in
				[Ll][Oo][Gg][Ll][Ee][Vv][Ee][Ll]) loglevel=1 ;;
				[Gg]lobal[Kk]nown[Hh]osts[Ff]ile) gkh=1 ;;
				[Uu]pdate[Hh]ost[Kk]eys) uhk=1 ;;
			esac
		fi
		prev=$a
	done
	client_defaults "$@"
	((gkh)) || DEFAULTS+=(-o GlobalKnownHostsFile=/dev/null)
	((uhk)) || DEFAULTS+=(-o UpdateHostKeys=no)
	((loglevel)) || DEFAULTS+=(-o LogLevel=ERROR)
}

# ssh_client [OPT... --] [CMD...]: OpenSSH's ssh against 127.0.0.1:$TARGET_PORT with the
# test's options first (OpenSSH keeps the first value of an option) and then the isolating
# defaults. Without `--` every argument is the remote command. Bounded by FERRY_TEST_TIMEOUT.
ssh_client() {
	local opts=() cmd=() a seen=0
	for a in "$@"; do
		if ((seen == 0)) && [[ $a == -- ]]; then seen=1; continue; fi
		if ((seen)); then cmd+=("$a"); else opts+=("$a"); fi
	done
	if ((seen == 0)); then cmd=("${opts[@]}"); opts=(); fi
	[[ -n $TARGET_PORT ]] || fail "ssh_client: no server started"
	ssh_client_defaults "${opts[@]}"
	timeout -k 5 "$FERRY_TEST_TIMEOUT" "$SSH_BIN" "${opts[@]}" "${DEFAULTS[@]}" "$DEST" "${cmd[@]}"
}

# In these tests the client is OpenSSH's ssh, so the harness's helpers built on ferry_ssh
# (ssh_run, expect_ok, check_basic, roundtrip) run ssh_client.
ferry_ssh() { ssh_client "$@"; }

# ssh_client_cmdline [OPT...]: ssh with the test's options and the defaults as one string for
# `rsync -e` (no destination; rsync adds it). Paths must be free of blanks and quotes.
ssh_client_cmdline() {
	ssh_client_defaults "$@"
	local s="$SSH_BIN $* ${DEFAULTS[*]}"
	[[ $s != *"'"* && $s != *'"'* ]] || fail "ssh_client_cmdline: quotes not supported"
	echo "$s"
}

# negotiated FILE WHAT...: fail unless the `ssh -v` output in FILE shows each WHAT (a fixed
# string such as "kex: algorithm: curve25519-sha256") -- the proof that the server used what
# the client was forced to ask for, and the option was not ignored.
negotiated() {
	local file=$1 w
	shift
	for w in "$@"; do
		grep -qF -- "$w" "$file" || fail "$file: '$w' not in ssh -v output: $(grep 'kex: ' "$file" | head -n 6)"
	done
}

# check_suite LABEL OPT... -- WANT...: with ssh -v and options OPT...: `true`, `echo hello`
# (output compared) and, unless BASIC_BYTES=0, BASIC_BYTES through `cat`; every one of the
# three connections must show each WANT in its debug output (see negotiated).
check_suite() {
	local label=$1 opts=() wants=() a seen=0
	shift
	for a in "$@"; do
		if ((seen == 0)) && [[ $a == -- ]]; then seen=1; continue; fi
		if ((seen)); then wants+=("$a"); else opts+=("$a"); fi
	done
	expect_ok "$label: true" -v "${opts[@]}" -- true
	negotiated "$T/err" "${wants[@]}"
	expect_ok "$label: echo" -v "${opts[@]}" -- echo hello
	negotiated "$T/err" "${wants[@]}"
	assert_eq "$(cat "$T/out")" "hello" "$label: echo hello output"
	if [[ ${BASIC_BYTES:-0} != 0 ]]; then
		roundtrip "$BASIC_BYTES" -v "${opts[@]}"
		negotiated "$T/rt.err" "${wants[@]}"
	fi
}

say "server: $FERRY_TEST_SERVER ($(ferryd_server_bin)); client: OpenSSH's ssh (ssh_client)"
