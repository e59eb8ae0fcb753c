#!/usr/bin/env bash
# tests/interop/t_ferryd_config.sh: ferryd's configuration checks (-t: file and line of an unknown keyword or a bad value, missing files) and the ed25519 host key it makes for itself when none is configured (sshd_config(5) keywords; RFC 8709 key, SHA256 fingerprint as OpenSSH prints it).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ferryd.sh"

BIN=$(ferryd_server_bin)
if is_ferryd; then
	[[ -x $BIN ]] || fail "ferryd binary not found at $BIN"
else
	[[ -x $BIN ]] || skip "sshd not found"
	[[ $(id -u) == 0 ]] || skip "sshd -t needs root here"
	mkdir -p /run/sshd && chmod 755 /run/sshd
fi
HK=$(hostkey ed25519)
CFG="$T/cfg"
mkdir -p "$CFG"

# check_config FILE: run `-t -f FILE`, output in $T/check.out, status in RC.
check_config() {
	RC=0
	timeout -k 5 30 "$BIN" -t -f "$1" >"$T/check.out" 2>&1 || RC=$?
	check_sanitizer "$T/check.out"
}

# expect_bad WHAT FILE LINE: -t refuses FILE naming it and LINE. ferryd exits 1 (its
# surface); sshd exits 255 for parse errors, so the exact status is checked for ferryd only.
expect_bad() {
	local what=$1 file=$2 line=$3
	check_config "$file"
	if is_ferryd; then
		assert_eq "$RC" 1 "$what: exit status of -t"
	else
		[[ $RC != 0 ]] || fail "$what: -t accepted the file"
	fi
	grep -qE -- "$(printf '%s' "$file" | sed 's/[.[\*^$/]/\\&/g'):? line $line\\b" "$T/check.out" ||
		fail "$what: the message does not name $file line $line: $(cat "$T/check.out")"
}

# A config file: comment, listen address, then the given lines, then the host key; so the
# Nth given line is on line N+2.
write_cfg() { # NAME LINE...
	local f="$CFG/$1"
	shift
	{
		echo "# $TEST_NAME"
		echo "ListenAddress 127.0.0.1"
		printf '%s\n' "$@"
		echo "HostKey $HK"
	} >"$f"
	echo "$f"
}
SSHD_ONLY=()
is_ferryd || SSHD_ONLY=("UsePAM no")

# --- a good file ---
say "good config: -t exits 0"
good=$(write_cfg good.conf "Port 2222" "PasswordAuthentication no" "MaxAuthTries 3" \
	"MaxStartups 10:30:100" "LoginGraceTime 30" "RekeyLimit 16M 1h" "Ciphers aes256-gcm@openssh.com,aes128-ctr" \
	"AcceptEnv LANG LC_*" "PermitRootLogin prohibit-password" "${SSHD_ONLY[@]}")
check_config "$good"
assert_eq "$RC" 0 "-t on a good config ($(cat "$T/check.out"))"
say "good config with a keyword sshd knows and ferryd may only warn about: -t exits 0"
good2=$(write_cfg good2.conf "UseDNS no" "PrintMotd no" "${SSHD_ONLY[@]}")
check_config "$good2"
assert_eq "$RC" 0 "-t with sshd-only keywords ($(cat "$T/check.out"))"

# --- unknown keyword ---
say "unknown keyword"
bad=$(write_cfg unknown.conf "Port 2222" "Frobnicate yes" "${SSHD_ONLY[@]}")
expect_bad "unknown keyword" "$bad" 4
assert_file_contains "$T/check.out" "Bad configuration option: Frobnicate" "unknown keyword message"

# --- bad values of known keywords ---
n=0
for spec in "MaxAuthTries banana" "PermitRootLogin maybe" "RekeyLimit 16Q" "MaxStartups 3:200:1" \
	"LoginGraceTime soon" "PasswordAuthentication perhaps" "Port 99999"; do
	n=$((n + 1))
	say "bad value: $spec"
	# Put it after $n harmless lines, so each case has its own line number.
	fill=()
	for ((i = 0; i < n; i++)); do fill+=("# filler $i"); done
	bad=$(write_cfg "badvalue$n.conf" "${fill[@]}" "$spec" "${SSHD_ONLY[@]}")
	expect_bad "bad value '$spec'" "$bad" $((n + 3))
	grep -q "Bad configuration option" "$T/check.out" && fail "bad value '$spec' reported as an unknown keyword"
done

# --- missing files ---
say "missing -f file"
check_config "$CFG/does-not-exist.conf"
if is_ferryd; then assert_eq "$RC" 1 "-t with a missing -f file"; else [[ $RC != 0 ]] || fail "-t with a missing -f file: status 0"; fi
assert_file_contains "$T/check.out" "$CFG/does-not-exist.conf" "missing -f file named"

say "missing HostKey file: -t refuses"
missing="$T/no-such-dir/ssh_host_ed25519_key"
mkey="$CFG/missingkey.conf"
printf '%s\n' "# $TEST_NAME" "ListenAddress 127.0.0.1" "Port $(pick_port)" "HostKey $missing" \
	"PidFile $T/missing.pid" "${SSHD_ONLY[@]}" >"$mkey"
check_config "$mkey"
assert_eq "$RC" 1 "-t with a missing host key"
assert_file_contains "$T/check.out" "$missing" "missing host key named"
say "missing HostKey file: the daemon refuses to start"
port=$(awk '$1 == "Port" { print $2 }' "$mkey")
RC=0
timeout -k 5 20 "$BIN" -D -e -f "$mkey" </dev/null >"$T/missing.log" 2>&1 || RC=$?
[[ $RC != 124 ]] || fail "the daemon with a missing host key kept running"
[[ $RC != 0 ]] || fail "the daemon with a missing host key exited 0"
port_open "$port" && fail "something listens on port $port after the daemon refused to start"
assert_file_contains "$T/missing.log" "$missing" "daemon names the missing host key"
check_sanitizer "$T/missing.log"

# --- a host key made on first start (ferryd only: sshd never makes its own) ---
# As root ferryd keeps that key in /etc/ferry/, which a test must not touch; so the daemon
# runs here as an unprivileged user -- the test's own account when not root, else `nobody`
# (setpriv) -- with HOME and XDG_STATE_HOME in a throwaway directory it owns.
if ! is_ferryd; then
	ferryd_pass "config checks (the generated host key is ferryd's own)"
fi
RUNAS=()
KEYDIR_OWNER=$(id -u)
if [[ $(id -u) == 0 ]]; then
	command -v setpriv >/dev/null || skip "setpriv missing: cannot run ferryd unprivileged"
	RUNAS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	KEYDIR_OWNER=65534
	"${RUNAS[@]}" test -x "$BIN" || skip "user nobody cannot run $BIN"
fi
GEN=$(mktemp -d "${TMPDIR:-/tmp}/ferryd-gen.XXXXXX")
cleanup_gen() { rm -rf -- "$GEN"; }
HARNESS_CLEANUPS+=(cleanup_gen)
chmod 755 "$GEN"
mkdir -p "$GEN/home" "$GEN/state"
chown -R "$KEYDIR_OWNER" "$GEN"
GEN_PID=""
stop_gen() { [[ -z $GEN_PID ]] || kill_tree "$GEN_PID"; GEN_PID=""; }
HARNESS_CLEANUPS+=(stop_gen)

# start_gen LOG [ENV...]: ferryd without HostKey as the unprivileged user; waits to listen.
start_gen() {
	local log=$1 deadline
	shift
	GEN_PORT=$(pick_port)
	printf '%s\n' "ListenAddress 127.0.0.1" "Port $GEN_PORT" "PidFile $GEN/ferryd.pid" >"$GEN/ferryd_config"
	chown "$KEYDIR_OWNER" "$GEN/ferryd_config"
	"${RUNAS[@]}" env -u XDG_STATE_HOME -u XDG_CONFIG_HOME "$@" "$BIN" -D -e -f "$GEN/ferryd_config" \
		</dev/null >"$log" 2>&1 &
	GEN_PID=$!
	deadline=$((SECONDS + 15))
	until port_open "$GEN_PORT"; do
		kill -0 "$GEN_PID" 2>/dev/null || fail "ferryd without a host key exited: $(cat "$log")"
		((SECONDS < deadline)) || fail "ferryd without a host key did not listen: $(cat "$log")"
		sleep 0.05
	done
}

# check_gen KEYFILE LOG: the key is there with mode 0600, its fingerprint was logged, and it
# is the key the server presents.
check_gen() {
	local key=$1 log=$2 fp scanned
	[[ -f $key && -f $key.pub ]] || fail "no generated host key at $key"
	assert_eq "$(stat -c %a "$key")" 600 "mode of the generated private key"
	assert_eq "$(awk '{ print $1 }' "$key.pub")" ssh-ed25519 "type of the generated key"
	fp=$(ssh-keygen -lf "$key.pub" | awk '{ print $2 }')
	[[ $fp == SHA256:* ]] || fail "ssh-keygen cannot read the generated public key"
	assert_file_contains "$log" "$fp" "generated key's fingerprint logged"
	scanned=$(ssh-keyscan -T 10 -t ed25519 -p "$GEN_PORT" 127.0.0.1 2>/dev/null | awk '!/^#/ { print $2, $3 }')
	assert_eq "$scanned" "$(awk '{ print $1, $2 }' "$key.pub")" "host key the server presents"
	echo "$fp"
}

say "no HostKey, XDG_STATE_HOME set: key made in \$XDG_STATE_HOME/ferry/"
start_gen "$T/gen1.log" HOME="$GEN/home" XDG_STATE_HOME="$GEN/state"
key="$GEN/state/ferry/ssh_host_ed25519_key"
fp1=$(check_gen "$key" "$T/gen1.log")
sum1=$(digest <"$key")
stop_gen
check_sanitizer "$T/gen1.log"
say "second start: the same key is used again"
start_gen "$T/gen2.log" HOME="$GEN/home" XDG_STATE_HOME="$GEN/state"
scanned=$(ssh-keyscan -T 10 -t ed25519 -p "$GEN_PORT" 127.0.0.1 2>/dev/null | awk '!/^#/ { print $2, $3 }')
assert_eq "$scanned" "$(awk '{ print $1, $2 }' "$key.pub")" "host key on the second start"
assert_eq "$(digest <"$key")" "$sum1" "the key file was left as it was"
stop_gen
check_sanitizer "$T/gen2.log"
[[ ! -e $GEN/home/.local/state/ferry ]] || fail "key made under HOME although XDG_STATE_HOME was set"

say "no HostKey, only HOME: key made in ~/.local/state/ferry/"
start_gen "$T/gen3.log" HOME="$GEN/home"
fp3=$(check_gen "$GEN/home/.local/state/ferry/ssh_host_ed25519_key" "$T/gen3.log")
[[ $fp3 != "$fp1" ]] || fail "the same key in two state directories"
stop_gen
check_sanitizer "$T/gen3.log"
ferryd_pass "config checks and the generated host key"
