# tests/lib/harness.sh: shared set-up for ferry's interop tests: throwaway OpenSSH sshd and Dropbear peers on loopback, keys, the client wrapper and assertions.
#
# Source it from a test script (bash):   source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
# It is safe under `set -euo pipefail` and turns that on itself.
#
# Knobs (environment):
#   FERRY_BUILD        CMake build dir holding the `ferry` binary (default: $FERRY_SRC/build)
#   FERRY_SRC          source dir (default: two levels above this file)
#   FERRY_TEST_CLIENT  ferry (default) | openssh: which client the tests drive. `openssh` runs
#                      OpenSSH's own `ssh` with the same options, to validate a test body and
#                      the server side before (or independently of) ferry's client.
#   FERRY_TEST_SCALE   factor for the big transfers (default 1; may be fractional, e.g. 0.25)
#   FERRY_TEST_TIMEOUT seconds one client command may take before it counts as hung (default 300)
#   FERRY_KEEP_TMP=1   keep the per-test temp dir $T (it is printed) instead of removing it
#   FERRY_IO           uring | epoll: ferry's I/O backend; passed through untouched (ctest sets it)
#   FERRY_SSHD, FERRY_DROPBEAR   paths of the server binaries (default: found on PATH or in /usr/sbin)
#   FERRY_DROPBEAR_NO_UNSHARE=1  force the fallback way of giving dropbear its authorized_keys
#
# Exit codes of a test: 0 pass, 1 fail, 77 skip.
#
# Main API (see each function for details):
#   $T                     per-test temp dir
#   sshd_start [LINE...]   start sshd; each LINE is one sshd_config line placed BEFORE the
#                          defaults (sshd uses the first value it reads, so LINEs win). Host keys
#                          come from the array SSHD_HOSTKEYS (types or file paths).
#   sshd_stop, sshd_restart [LINE...]
#   dropbear_start [FLAG...], dropbear_stop
#   ferry_ssh [OPT... --] [CMD...]   run the client against the current target (TARGET_PORT).
#                          Without `--` every argument is the remote command.
#   client_raw ARG...      the client binary with only the -F /dev/null isolation, no defaults
#   ssh_run [OPT... --] CMD...       ferry_ssh with stdout>$T/out, stderr>$T/err, status in RC
#   roundtrip BYTES [OPT...]         BYTES of pseudo-random data up through remote `cat` and back
#   log_mark / log_since   lines sshd logged since the mark
#   fail, skip, pass, say, assert_eq, assert_contains, assert_not_contains, assert_file_contains,
#   check_sanitizer FILE...

set -euo pipefail

# --- locations and knobs ------------------------------------------------------------------

HARNESS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${FERRY_SRC:=$(cd "$HARNESS_DIR/../.." && pwd)}"
: "${FERRY_BUILD:=$FERRY_SRC/build}"
: "${FERRY_TEST_CLIENT:=ferry}"
: "${FERRY_TEST_SCALE:=1}"
: "${FERRY_TEST_TIMEOUT:=300}"
export FERRY_SRC FERRY_BUILD
TEST_NAME=$(basename "${0%.sh}")

# LeakSanitizer rewrites the exit status of a leaking process (23 by default), which would turn
# "remote exit 42" into a confusing 23. In interop runs keep leak detection on but leave the
# status alone: check_sanitizer finds the "LeakSanitizer" report on stderr and fails the test
# with the report shown. Later options win, so this overrides an exitcode set by the caller.
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}exitcode=0"

case "$FERRY_TEST_CLIENT" in
	ferry|openssh) ;;
	*) echo "FERRY_TEST_CLIENT must be ferry or openssh, not '$FERRY_TEST_CLIENT'" >&2; exit 1 ;;
esac

# --- output and assertions ----------------------------------------------------------------

say() { printf '[%s] %s\n' "$TEST_NAME" "$*"; }

# The last lines of a log file, indented, for failure reports.
show_tail() {
	local file=$1 n=${2:-40}
	[[ -s $file ]] || return 0
	printf -- '--- last %s lines of %s ---\n' "$n" "$file"
	tail -n "$n" "$file" | sed 's/^/    /'
}

# fail MSG: print MSG with context (client stderr/stdout of the last run, server logs) and exit 1.
fail() {
	set +x
	printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*"
	[[ -n ${T:-} && -d ${T:-} ]] || exit 1
	show_tail "$T/err" 30
	show_tail "$T/out" 10
	show_tail "$T/rt.err" 30
	[[ -n ${SSHD_LOG:-} ]] && show_tail "$SSHD_LOG" 40
	[[ -n ${DROPBEAR_LOG:-} ]] && show_tail "$DROPBEAR_LOG" 20
	exit 1
}

skip() { printf '[%s] SKIP: %s\n' "$TEST_NAME" "$*"; exit 77; }

pass() { printf '[%s] PASS%s\n' "$TEST_NAME" "${1:+: $1}"; exit 0; }

assert_eq() { # ACTUAL EXPECTED MSG
	[[ "$1" == "$2" ]] || fail "$3: expected '$2', got '$1'"
}

assert_contains() { # HAYSTACK NEEDLE MSG (fixed string)
	[[ "$1" == *"$2"* ]] || fail "$3: '$2' not found in: $(printf '%s' "$1" | head -c 2000)"
}

assert_not_contains() { # HAYSTACK NEEDLE MSG (fixed string)
	[[ "$1" != *"$2"* ]] || fail "$3: '$2' unexpectedly found"
}

assert_file_contains() { # FILE NEEDLE MSG (fixed string)
	grep -qF -- "$2" "$1" || fail "$3: '$2' not found in $1"
}

# check_sanitizer FILE...: fail if a file holds an ASan/UBSan/LSan report.
check_sanitizer() {
	local f
	for f in "$@"; do
		[[ -f $f ]] || continue
		if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|ThreadSanitizer|MemorySanitizer' "$f"; then
			printf '[%s] sanitizer report in %s:\n' "$TEST_NAME" "$f"
			sed 's/^/    /' "$f" | head -n 200
			fail "sanitizer report (see above)"
		fi
	done
}

is_ferry() { [[ $FERRY_TEST_CLIENT == ferry ]]; }

# --- temp dir and cleanup -----------------------------------------------------------------

T=$(mktemp -d "${TMPDIR:-/tmp}/ferry-${TEST_NAME}.XXXXXX")
chmod 700 "$T"
HARNESS_CLEANUPS=()

harness_cleanup() {
	local rc=$? i
	set +e
	for ((i = ${#HARNESS_CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${HARNESS_CLEANUPS[i]}" >/dev/null 2>&1
	done
	if [[ ${FERRY_KEEP_TMP:-0} == 1 ]]; then
		printf '[%s] kept temp dir %s\n' "$TEST_NAME" "$T"
	else
		rm -rf -- "$T"
	fi
	exit "$rc"
}
trap harness_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# --- sizes and data -----------------------------------------------------------------------

# scaled_bytes MIB [MIN_MIB]: MIB MiB times FERRY_TEST_SCALE, at least MIN_MIB (default 1) MiB.
scaled_bytes() {
	awk -v m="$1" -v s="$FERRY_TEST_SCALE" -v lo="${2:-1}" \
		'BEGIN { b = m * s * 1048576; if (b < lo * 1048576) b = lo * 1048576; printf "%d\n", b }'
}

# human BYTES: "64 MiB" style.
human() {
	awk -v b="$1" 'BEGIN { if (b >= 1048576) printf "%g MiB\n", b / 1048576; else printf "%d bytes\n", b }'
}

GEN_SEQ=0
# gen_data BYTES: BYTES of pseudo-random data on stdout, fast (AES-CTR keystream; a different
# stream per call). Falls back to /dev/urandom without the openssl tool.
gen_data() {
	GEN_SEQ=$((GEN_SEQ + 1))
	if command -v openssl >/dev/null; then
		head -c "$1" /dev/zero |
			openssl enc -aes-128-ctr -K 0f1e2d3c4b5a69788796a5b4c3d2e1f0 \
				-iv "$(printf '%032x' "$((GEN_SEQ * 7919 + $$))")"
	else
		head -c "$1" /dev/urandom
	fi
}

# digest < data: the SHA-256 of stdin as hex (openssl uses the CPU's SHA instructions and is
# several times faster than coreutils' sha256sum, which matters at 1 GiB).
digest() {
	if command -v openssl >/dev/null; then
		openssl dgst -sha256 -r | cut -d' ' -f1
	else
		sha256sum | cut -d' ' -f1
	fi
}

now() { printf '%s\n' "${EPOCHREALTIME/,/.}"; }

# --- ports --------------------------------------------------------------------------------

# pick_port: a loopback TCP port that was free a moment ago. Racy by nature: the servers retry
# with a new port when the bind fails.
pick_port() {
	if command -v python3 >/dev/null 2>&1 &&
		python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null; then
		return 0
	fi
	local port i
	for ((i = 0; i < 200; i++)); do
		port=$((20000 + RANDOM % 40000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
			echo "$port"
			return 0
		fi
	done
	fail "no free loopback port found"
}

# port_open PORT: true if something accepts connections on 127.0.0.1:PORT.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# --- keys ---------------------------------------------------------------------------------

# A cache for RSA keys (3072-bit generation takes a second or more each); they are throwaway
# test keys that only ever open loopback servers started by this harness.
KEY_CACHE="$FERRY_BUILD/interop-keycache"
mkdir -p "$KEY_CACHE" 2>/dev/null || KEY_CACHE="$T/keycache"
mkdir -p "$KEY_CACHE"

# keygen_args TYPE: ssh-keygen arguments for a key type name.
keygen_args() {
	case "$1" in
		ed25519) echo "-t ed25519" ;;
		ecdsa256 | ecdsa) echo "-t ecdsa -b 256" ;;
		ecdsa384) echo "-t ecdsa -b 384" ;;
		ecdsa521) echo "-t ecdsa -b 521" ;;
		rsa | rsa3072) echo "-t rsa -b 3072" ;;
		*) fail "unknown key type '$1'" ;;
	esac
}

# make_key TYPE PATH [pem]: write a fresh passphrase-less key pair PATH, PATH.pub. RSA keys come
# from the cache (one per role, named by PATH's basename). `pem` writes the private key in the
# legacy PEM format (ssh-keygen -m PEM) instead of the OpenSSH format.
make_key() {
	local type=$1 path=$2 fmt=${3:-} args
	args=$(keygen_args "$type")
	local fmtargs=()
	[[ $fmt == pem ]] && fmtargs=(-m PEM)
	if [[ $type == rsa* ]]; then
		local name
		name="$(basename "$path")-${type}${fmt:+-$fmt}"
		local dir="$KEY_CACHE/$name"
		if [[ ! -f $dir/key || ! -f $dir/key.pub ]]; then
			local tmp
			tmp=$(mktemp -d "$KEY_CACHE/.gen.XXXXXX")
			# shellcheck disable=SC2086
			ssh-keygen -q $args "${fmtargs[@]}" -N '' -C "ferry-test-$name" -f "$tmp/key" </dev/null
			# Renaming a directory is atomic: a concurrent test either wins or uses the winner's.
			mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
		fi
		cp "$dir/key" "$path"
		cp "$dir/key.pub" "$path.pub"
	else
		rm -f "$path" "$path.pub"
		# shellcheck disable=SC2086
		ssh-keygen -q $args "${fmtargs[@]}" -N '' -C "ferry-test-$type" -f "$path" </dev/null
	fi
	chmod 600 "$path"
}

# hostkey TYPE: path of this test's host key of TYPE (made on first use).
hostkey() {
	local p="$T/hostkeys/ssh_host_$1_key"
	mkdir -p "$T/hostkeys"
	[[ -f $p ]] || make_key "$1" "$p" >/dev/null
	echo "$p"
}

# add_user_key TYPE [pem]: make a client key of TYPE, authorize it (on the sshd and, if it is
# running, dropbear) and print its path.
add_user_key() {
	local p="$T/id_$1${2:+_$2}"
	[[ -f $p ]] || make_key "$1" "$p" "${2:-}"
	authorize_key "$p.pub"
	echo "$p"
}

# authorize_key PUBFILE: add a public key to the servers' authorized_keys (once).
authorize_key() {
	local line
	line=$(cat "$1")
	touch "$T/authorized_keys"
	chmod 600 "$T/authorized_keys"
	grep -qxF -- "$line" "$T/authorized_keys" || printf '%s\n' "$line" >>"$T/authorized_keys"
	if [[ -n ${DROPBEAR_AUTH_FILE:-} ]]; then
		dropbear_sync_keys
	fi
}

# --- the client ---------------------------------------------------------------------------

SSH_BIN=$(command -v ssh || echo /usr/bin/ssh)
FERRY_BIN="$FERRY_BUILD/ferry"
if [[ $(id -u) == 0 ]]; then SSH_USER=root; else SSH_USER=$(id -un); fi
SSH_HOST=127.0.0.1
KNOWN_HOSTS="$T/known_hosts"
CLIENT_KEY="$T/id_ed25519"
TARGET_PORT=""

# client_base: the client command with its isolation from ~/.ssh and /etc/ssh, into CLIENT.
client_base() {
	if is_ferry; then
		CLIENT=("$FERRY_BIN" ssh)
	else
		# OpenSSH also reads the global known-hosts files and may learn extra host keys
		# (UpdateHostKeys); ferry's defaults need neither, and passing them to ferry would
		# produce "ignoring" warnings that tests comparing stderr do not expect.
		CLIENT=("$SSH_BIN" -o GlobalKnownHostsFile=/dev/null -o UpdateHostKeys=no)
	fi
}

# client_defaults OPT...: into DEFAULTS, the isolating options of cli-surface.md that the
# test's own options OPT... do not already set. A default is left out rather than placed after
# the test's option, so the outcome does not depend on whether the client lets the first or the
# last value of an option win (OpenSSH: first, for -o).
client_defaults() {
	local -A have=()
	local a prev=""
	for a in "$@"; do
		case "$prev" in
			-o) local kw=${a%%[= ]*}; have[${kw,,}]=1 ;;
			-p) have[port]=1 ;;
			-i) have[identityfile]=1 ;;
			-F) have[F]=1 ;;
			-l) have[user]=1 ;;
		esac
		prev=$a
	done
	DEFAULTS=()
	[[ -n ${have[F]:-} ]] || DEFAULTS+=(-F /dev/null)
	[[ -n ${have[port]:-} ]] || DEFAULTS+=(-p "$TARGET_PORT")
	[[ -n ${have[identityfile]:-} ]] || DEFAULTS+=(-i "$CLIENT_KEY")
	[[ -n ${have[identitiesonly]:-} ]] || DEFAULTS+=(-o IdentitiesOnly=yes)
	[[ -n ${have[userknownhostsfile]:-} ]] || DEFAULTS+=(-o "UserKnownHostsFile=$KNOWN_HOSTS")
	[[ -n ${have[stricthostkeychecking]:-} ]] || DEFAULTS+=(-o StrictHostKeyChecking=accept-new)
	[[ -n ${have[batchmode]:-} ]] || DEFAULTS+=(-o BatchMode=yes)
	if [[ -n ${have[user]:-} ]]; then DEST=$SSH_HOST; else DEST="$SSH_USER@$SSH_HOST"; fi
}

# ferry_ssh [OPT... --] [CMD...]: run the client (ferry, or ssh when FERRY_TEST_CLIENT=openssh)
# against 127.0.0.1:$TARGET_PORT with the test's options OPT... and the isolating defaults.
# Bounded by FERRY_TEST_TIMEOUT (exit 124 when it hangs).
ferry_ssh() {
	local opts=() cmd=() a seen=0
	for a in "$@"; do
		if ((seen == 0)) && [[ $a == -- ]]; then seen=1; continue; fi
		if ((seen)); then cmd+=("$a"); else opts+=("$a"); fi
	done
	if ((seen == 0)); then cmd=("${opts[@]}"); opts=(); fi
	[[ -n $TARGET_PORT ]] || fail "ferry_ssh: no server started"
	client_base
	client_defaults "${opts[@]}"
	timeout -k 5 "$FERRY_TEST_TIMEOUT" "${CLIENT[@]}" "${opts[@]}" "${DEFAULTS[@]}" "$DEST" "${cmd[@]}"
}

# client_raw ARG...: the client with nothing added but its isolation from the user's files;
# the test gives destination, port, key and all.
client_raw() {
	client_base
	timeout -k 5 "$FERRY_TEST_TIMEOUT" "${CLIENT[@]}" "$@"
}

# client_cmdline [OPT...]: the client and default options as one string for `rsync -e`
# (no destination; rsync adds it). Paths must be free of blanks.
client_cmdline() {
	client_base
	client_defaults "$@"
	local s="${CLIENT[*]} $* ${DEFAULTS[*]}"
	[[ $s != *"'"* && $s != *'"'* ]] || fail "client_cmdline: quotes not supported"
	echo "$s"
}

# ssh_run [OPT... --] CMD...: ferry_ssh with stdout in $T/out, stderr in $T/err and the exit
# status in RC; never fails by itself (stdin is the caller's).
ssh_run() {
	RC=0
	ferry_ssh "$@" >"$T/out" 2>"$T/err" || RC=$?
	check_sanitizer "$T/err"
	[[ $RC != 124 ]] || fail "client hung (killed after ${FERRY_TEST_TIMEOUT}s): $*"
}

# expect_ok DESC [OPT... --] CMD...: ssh_run and require exit status 0.
expect_ok() {
	local desc=$1
	shift
	ssh_run "$@" </dev/null
	[[ $RC == 0 ]] || fail "$desc: exit status $RC (expected 0)"
}

# check_basic LABEL [OPT...]: the three standard checks with options OPT...: `true`,
# `echo hello` (stdout compared exactly), and (unless BASIC_BYTES=0) BASIC_BYTES of data
# round-tripped through `cat`.
check_basic() {
	local label=$1
	shift
	expect_ok "$label: true" "$@" -- true
	expect_ok "$label: echo" "$@" -- echo hello
	assert_eq "$(cat "$T/out")" "hello" "$label: echo hello output"
	if [[ ${BASIC_BYTES:-0} != 0 ]]; then
		roundtrip "$BASIC_BYTES" "$@"
	fi
}

# roundtrip BYTES [OPT...]: send BYTES of pseudo-random data up to the remote `cat` and back,
# compare SHA-256 of what went in and what came out; prints the rate. Client stderr: $T/rt.err.
roundtrip() {
	local bytes=$1
	shift
	local fifo="$T/rt.fifo" t0 t1 sp st
	rm -f "$fifo"
	mkfifo "$fifo"
	digest <"$fifo" >"$T/rt.sum.in" &
	sp=$!
	t0=$(now)
	set +e
	gen_data "$bytes" | tee "$fifo" | ferry_ssh "$@" -- cat 2>"$T/rt.err" | digest >"$T/rt.sum.out"
	st=("${PIPESTATUS[@]}")
	set -e
	t1=$(now)
	wait "$sp" || true
	check_sanitizer "$T/rt.err"
	[[ ${st[2]} != 124 ]] || fail "round trip of $(human "$bytes") hung (killed after ${FERRY_TEST_TIMEOUT}s)"
	[[ ${st[2]} == 0 ]] || fail "round trip of $(human "$bytes") ($*): client exit status ${st[2]}"
	[[ ${st[0]} == 0 && ${st[1]} == 0 ]] || fail "round trip: data generator failed (${st[*]})"
	local in out
	in=$(cat "$T/rt.sum.in")
	out=$(cat "$T/rt.sum.out")
	[[ -n $in && $in == "$out" ]] || fail "round trip of $(human "$bytes") ($*): SHA-256 differs (in $in, out $out)"
	say "  $(human "$bytes") up and back through cat: SHA-256 ok, $(awk -v b="$bytes" -v a="$t0" -v z="$t1" \
		'BEGIN { d = z - a; if (d <= 0) d = 0.001; printf "%.2f s, %.0f MB/s each way", d, b / d / 1e6 }')"
}

# --- the login user's home, as the servers see it ------------------------------------------

# The servers run the remote commands through the login user's shell, and bash run by an SSH
# server sources ~/.bashrc even for `bash -c` (Debian builds it so). A real ~/.bashrc may be
# slow (e.g. 0.35 s of `pyenv init` per command here) or print things, and dropbear reads
# ~/.ssh/authorized_keys. So, as root, each server runs in a private mount namespace
# (unshare -m) in which the empty directory $T/home is bind-mounted over the user's home: the
# remote side sees a clean, throwaway home and the real one is neither read nor touched.
# Where that is impossible (not root, no unshare, $T inside the home, or
# FERRY_TEST_REAL_HOME=1) the servers see the real home.
USER_HOME=$(getent passwd "$(id -un)" | cut -d: -f6 || true)
# home_wrap: into HOME_WRAP, the command prefix that runs a server with the throwaway home.
home_wrap() {
	HOME_WRAP=()
	if [[ $(id -u) == 0 && ${FERRY_TEST_REAL_HOME:-0} != 1 && -n $USER_HOME && -d $USER_HOME &&
		$T/ != "$USER_HOME"/* ]] && command -v unshare >/dev/null &&
		unshare -m --propagation private true 2>/dev/null; then
		mkdir -p "$T/home/.ssh"
		chmod 700 "$T/home" "$T/home/.ssh"
		# shellcheck disable=SC2016
		HOME_WRAP=(unshare -m --propagation private sh -c 'mount --bind "$1" "$2" && shift 2 && exec "$@"' sh "$T/home" "$USER_HOME")
	fi
}

# require_login_shell: skip unless the login user has a shell the servers can run commands
# with (an unprivileged run logs in as the user running the test, e.g. nobody: nologin).
require_login_shell() {
	local sh
	sh=$(getent passwd "$SSH_USER" | cut -d: -f7 || true)
	case "$sh" in
		"" | */nologin | */false) skip "login user $SSH_USER has no usable shell (${sh:-none})" ;;
	esac
}

# --- OpenSSH sshd -------------------------------------------------------------------------

SSHD_BIN=${FERRY_SSHD:-$(command -v sshd || echo /usr/sbin/sshd)}
SSHD_HOSTKEYS=(ed25519)
SSHD_PID=""
SSHD_PORT=""
SSHD_LOG="$T/sshd.log"

# What ferry supports (cli-surface.md / issue 2); the sshd offers these plus its own defaults.
# Lists are cut to what this sshd knows (`ssh -Q`), since an unknown name is a config error.
FERRY_CIPHERS="chacha20-poly1305@openssh.com aes128-gcm@openssh.com aes256-gcm@openssh.com aes128-ctr aes192-ctr aes256-ctr"
FERRY_MACS="hmac-sha2-256-etm@openssh.com hmac-sha2-512-etm@openssh.com hmac-sha1-etm@openssh.com hmac-sha2-256 hmac-sha2-512 hmac-sha1"
FERRY_KEXS="curve25519-sha256 curve25519-sha256@libssh.org ecdh-sha2-nistp256 ecdh-sha2-nistp384 ecdh-sha2-nistp521 diffie-hellman-group-exchange-sha256 diffie-hellman-group16-sha512 diffie-hellman-group18-sha512 diffie-hellman-group14-sha256"
FERRY_HOSTKEYALGS="ssh-ed25519 ecdsa-sha2-nistp256 ecdsa-sha2-nistp384 ecdsa-sha2-nistp521 rsa-sha2-512 rsa-sha2-256"

# algo_list QUERY NAMES...: comma list of those NAMES that `ssh -Q QUERY` knows, in order.
algo_list() {
	local q=$1
	shift
	local known
	known=$("$SSH_BIN" -Q "$q" 2>/dev/null || true)
	local out=() n
	for n in "$@"; do
		if grep -qxF -- "$n" <<<"$known"; then out+=("$n"); fi
	done
	local IFS=,
	echo "${out[*]}"
}

sshd_write_config() {
	local cfg="$T/sshd_config" k p
	{
		echo "# written by tests/lib/harness.sh for $TEST_NAME; first value of a keyword wins"
		for k in "${SSHD_EXTRA[@]}"; do printf '%s\n' "$k"; done
		echo "ListenAddress 127.0.0.1"
		echo "Port $SSHD_PORT"
		for k in "${SSHD_HOSTKEYS[@]}"; do
			if [[ $k == */* ]]; then p=$k; else p=$(hostkey "$k"); fi
			echo "HostKey $p"
		done
		echo "AuthorizedKeysFile $T/authorized_keys"
		echo "PidFile $T/sshd.pid"
		echo "StrictModes no"
		echo "PermitRootLogin yes"
		echo "UsePAM no"
		echo "PasswordAuthentication no"
		echo "KbdInteractiveAuthentication no"
		echo "PubkeyAuthentication yes"
		echo "UseDNS no"
		echo "PrintMotd no"
		echo "PrintLastLog no"
		echo "X11Forwarding no"
		echo "MaxStartups 100:30:200"
		echo "LoginGraceTime 60"
		echo "Subsystem sftp internal-sftp"
		echo "LogLevel DEBUG1"
		# shellcheck disable=SC2086
		{
			echo "Ciphers $(algo_list cipher $FERRY_CIPHERS)"
			echo "MACs $(algo_list mac $FERRY_MACS umac-64-etm@openssh.com umac-128-etm@openssh.com)"
			echo "KexAlgorithms $(algo_list kex sntrup761x25519-sha512@openssh.com $FERRY_KEXS)"
			# `-Q key-sig` (not `-Q key`) lists the rsa-sha2-* signature names.
			echo "HostKeyAlgorithms $(algo_list key-sig $FERRY_HOSTKEYALGS)"
			echo "PubkeyAcceptedAlgorithms $(algo_list key-sig $FERRY_HOSTKEYALGS)"
		}
	} >"$cfg"
}

# log_mark: remember where sshd's log ends now; log_since prints what came after.
LOG_MARK=0
log_mark() { LOG_MARK=$(stat -c %s "$SSHD_LOG" 2>/dev/null || echo 0); }
log_since() { tail -c +"$((LOG_MARK + 1))" "$SSHD_LOG" 2>/dev/null || true; }

# sshd_start [LINE...]: start a throwaway sshd on a free loopback port (retrying on a port
# race), wait until it listens, and make it the client's target. Sets SSHD_PORT, TARGET_PORT.
# With SSHD_PORT_WANTED set it tries that port first (e.g. to restart on the same port).
sshd_start() {
	SSHD_EXTRA=("$@")
	[[ -x $SSHD_BIN ]] || skip "sshd not found (install openssh-server)"
	require_login_shell
	if [[ $(id -u) == 0 ]]; then
		# The privilege-separation chroot; a fresh container has no /run/sshd.
		mkdir -p /run/sshd
		chmod 755 /run/sshd
	fi
	[[ -f $T/authorized_keys ]] || authorize_key "$CLIENT_KEY.pub"
	home_wrap
	local attempt start deadline
	for attempt in 1 2 3 4 5 6; do
		if [[ $attempt == 1 && -n ${SSHD_PORT_WANTED:-} ]]; then
			SSHD_PORT=$SSHD_PORT_WANTED
		else
			SSHD_PORT=$(pick_port)
		fi
		sshd_write_config
		if ! "$SSHD_BIN" -t -f "$T/sshd_config" >"$T/sshd-t.log" 2>&1; then
			cat "$T/sshd-t.log"
			if [[ $(id -u) != 0 ]]; then skip "sshd does not accept this config unprivileged"; fi
			fail "sshd rejects the generated config $T/sshd_config"
		fi
		start=$(stat -c %s "$SSHD_LOG" 2>/dev/null || echo 0)
		echo "=== harness: sshd start, port $SSHD_PORT (attempt $attempt) ===" >>"$SSHD_LOG"
		# -E (log file) rather than -e (stderr): with -e, sshd's debug lines from a session
		# process between fork and exec would leak into the remote command's stderr.
		"${HOME_WRAP[@]}" "$SSHD_BIN" -D -E "$SSHD_LOG" -f "$T/sshd_config" </dev/null >>"$SSHD_LOG" 2>&1 &
		SSHD_PID=$!
		deadline=$((SECONDS + 10))
		while ((SECONDS < deadline)); do
			if tail -c +"$((start + 1))" "$SSHD_LOG" | grep -q "Server listening on 127.0.0.1 port $SSHD_PORT"; then
				TARGET_PORT=$SSHD_PORT
				return 0
			fi
			kill -0 "$SSHD_PID" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$SSHD_PID" 2>/dev/null; then
			# Alive but silent: accept it if the port answers, else give up.
			if port_open "$SSHD_PORT"; then TARGET_PORT=$SSHD_PORT; return 0; fi
			sshd_stop
			fail "sshd did not listen on port $SSHD_PORT within 10 s"
		fi
		wait "$SSHD_PID" 2>/dev/null || true
		SSHD_PID=""
		if tail -c +"$((start + 1))" "$SSHD_LOG" | grep -qiE 'Address already in use|Cannot bind any address'; then
			say "port $SSHD_PORT was taken meanwhile; retrying"
			continue
		fi
		if [[ $(id -u) != 0 ]]; then skip "sshd does not start unprivileged"; fi
		fail "sshd exited at start"
	done
	fail "sshd could not bind a port after 6 attempts"
}

# kill_tree PID: TERM a process we started and its direct children (per-connection sshd/dropbear
# processes), then KILL what is left after 5 s.
kill_tree() {
	local pid=$1 kids i
	kids=$(ps -o pid= --ppid "$pid" 2>/dev/null || true)
	kill -TERM "$pid" $kids 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$pid" $kids 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

sshd_stop() {
	if [[ -n $SSHD_PID ]]; then
		kill_tree "$SSHD_PID"
		SSHD_PID=""
	fi
}
HARNESS_CLEANUPS+=(sshd_stop)

sshd_restart() { sshd_stop; sshd_start "$@"; }

# --- Dropbear -----------------------------------------------------------------------------

DROPBEAR_BIN=${FERRY_DROPBEAR:-$(command -v dropbear || echo /usr/sbin/dropbear)}
DROPBEAR_PID=""
DROPBEAR_PORT=""
DROPBEAR_LOG=""
DROPBEAR_AUTH_FILE=""
DROPBEAR_MARK="ferry-interop-$TEST_NAME-$$"

# Dropbear has no option for the authorized_keys path: it reads ~/.ssh/authorized_keys of the
# user logging in (for root that is /root/.ssh/authorized_keys). The real file is never
# touched when we can help it: with the throwaway home of home_wrap (above) dropbear finds
# $T/home/.ssh/authorized_keys there. Where that is impossible (not root, no unshare, or
# FERRY_TEST_REAL_HOME=1 / FERRY_DROPBEAR_NO_UNSHARE=1) the fallback appends our keys to the
# real file, each line tagged with a unique comment (and no forwarding; this dropbear has no
# from="" option), and the cleanup trap deletes exactly those lines again (removing the file or
# ~/.ssh if this run created them). The private keys live only in $T (mode 0700).
dropbear_sync_keys() {
	if [[ $DROPBEAR_AUTH_MODE == ns ]]; then
		cp "$T/authorized_keys" "$DROPBEAR_AUTH_FILE"
		chmod 600 "$DROPBEAR_AUTH_FILE"
	else
		local line
		while IFS= read -r line; do
			[[ -n $line ]] || continue
			grep -qF -- "$line" "$DROPBEAR_AUTH_FILE" 2>/dev/null ||
				printf 'no-port-forwarding,no-agent-forwarding,no-X11-forwarding %s %s\n' "$line" "$DROPBEAR_MARK" >>"$DROPBEAR_AUTH_FILE"
		done <"$T/authorized_keys"
	fi
}

dropbear_unsync_keys() {
	[[ ${DROPBEAR_AUTH_MODE:-} == real && -n $DROPBEAR_AUTH_FILE ]] || return 0
	if [[ -f $DROPBEAR_AUTH_FILE ]]; then
		sed -i "/ $DROPBEAR_MARK\$/d" "$DROPBEAR_AUTH_FILE"
	fi
	if [[ ${DROPBEAR_CREATED_FILE:-0} == 1 && ! -s $DROPBEAR_AUTH_FILE ]]; then
		rm -f "$DROPBEAR_AUTH_FILE"
	fi
	if [[ ${DROPBEAR_CREATED_DIR:-0} == 1 ]]; then
		rmdir "$(dirname "$DROPBEAR_AUTH_FILE")" 2>/dev/null || true
	fi
}

dropbear_stop() {
	if [[ -n $DROPBEAR_PID ]]; then
		kill_tree "$DROPBEAR_PID"
		DROPBEAR_PID=""
	fi
}
HARNESS_CLEANUPS+=(dropbear_unsync_keys dropbear_stop)

# dropbear_start [FLAG...]: start dropbear (ed25519 + ecdsa-256 host keys, public-key login
# only) on a free loopback port and make it the client's target. Sets DROPBEAR_PORT.
dropbear_start() {
	[[ -x $DROPBEAR_BIN ]] || skip "dropbear not found (install dropbear-bin)"
	command -v dropbearkey >/dev/null || skip "dropbearkey not found (install dropbear-bin)"
	require_login_shell
	local dbdir="$T/dropbear" home
	mkdir -p "$dbdir"
	[[ -f $dbdir/ed25519 ]] || dropbearkey -t ed25519 -f "$dbdir/ed25519" >/dev/null 2>&1
	[[ -f $dbdir/ecdsa256 ]] || dropbearkey -t ecdsa -s 256 -f "$dbdir/ecdsa256" >/dev/null 2>&1
	DROPBEAR_LOG="$T/dropbear.log"
	[[ -f $T/authorized_keys ]] || authorize_key "$CLIENT_KEY.pub"
	home=$USER_HOME
	[[ -n $home ]] || skip "no home directory for $SSH_USER"
	[[ ${FERRY_DROPBEAR_NO_UNSHARE:-0} == 1 ]] && HOME_WRAP=() || home_wrap
	if ((${#HOME_WRAP[@]})); then
		DROPBEAR_AUTH_MODE=ns
		DROPBEAR_AUTH_FILE="$T/home/.ssh/authorized_keys"
	else
		DROPBEAR_AUTH_MODE=real
		DROPBEAR_AUTH_FILE="$home/.ssh/authorized_keys"
		if [[ ! -d $home/.ssh ]]; then
			mkdir -m 700 "$home/.ssh"
			DROPBEAR_CREATED_DIR=1
		fi
		if [[ ! -e $DROPBEAR_AUTH_FILE ]]; then
			install -m 600 /dev/null "$DROPBEAR_AUTH_FILE"
			DROPBEAR_CREATED_FILE=1
		fi
		say "dropbear: using $DROPBEAR_AUTH_FILE (tagged lines, removed at exit)"
	fi
	dropbear_sync_keys
	local attempt i start
	for attempt in 1 2 3 4 5 6; do
		DROPBEAR_PORT=$(pick_port)
		start=$(stat -c %s "$DROPBEAR_LOG" 2>/dev/null || echo 0)
		echo "=== harness: dropbear start, port $DROPBEAR_PORT (attempt $attempt) ===" >>"$DROPBEAR_LOG"
		"${HOME_WRAP[@]}" "$DROPBEAR_BIN" -F -E -s -m -p "127.0.0.1:$DROPBEAR_PORT" -P "$dbdir/pid" \
			-r "$dbdir/ed25519" -r "$dbdir/ecdsa256" "$@" </dev/null >>"$DROPBEAR_LOG" 2>&1 &
		DROPBEAR_PID=$!
		for ((i = 0; i < 200; i++)); do
			kill -0 "$DROPBEAR_PID" 2>/dev/null || break
			# dropbear logs nothing when it listens; probe (it logs the probe as an early exit).
			if port_open "$DROPBEAR_PORT"; then
				kill -0 "$DROPBEAR_PID" 2>/dev/null || break
				TARGET_PORT=$DROPBEAR_PORT
				return 0
			fi
			sleep 0.05
		done
		if kill -0 "$DROPBEAR_PID" 2>/dev/null; then
			dropbear_stop
			fail "dropbear did not listen on port $DROPBEAR_PORT within 10 s"
		fi
		wait "$DROPBEAR_PID" 2>/dev/null || true
		DROPBEAR_PID=""
		if tail -c +"$((start + 1))" "$DROPBEAR_LOG" | grep -qi 'Address already in use'; then
			say "port $DROPBEAR_PORT was taken meanwhile; retrying"
			continue
		fi
		fail "dropbear exited at start"
	done
	fail "dropbear could not bind a port after 6 attempts"
}

# --- start-up -----------------------------------------------------------------------------

command -v ssh-keygen >/dev/null || skip "ssh-keygen not found (install openssh-client)"
make_key ed25519 "$CLIENT_KEY"
if is_ferry; then
	[[ -x $FERRY_BIN ]] || fail "ferry binary not found at $FERRY_BIN (set FERRY_BUILD)"
else
	[[ -x $SSH_BIN ]] || skip "OpenSSH client not found"
fi
say "client: $FERRY_TEST_CLIENT${FERRY_IO:+, FERRY_IO=$FERRY_IO}, scale $FERRY_TEST_SCALE, tmp $T"
