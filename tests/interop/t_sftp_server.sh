#!/usr/bin/env bash
# tests/interop/t_sftp_server.sh: OpenSSH's sftp client drives `ferry sftp-server` over pipes (sftp -D) through every sftp command (draft-ietf-secsh-filexfer-02 and OpenSSH's extensions), then read-only mode, the -j jail, resumed transfers and a scripted client's abuse.
#
# Knob: FERRY_TEST_SFTP_SERVER=openssh runs the same batches against OpenSSH's own sftp-server
# (to validate the expectations); the ferry-only parts (jail, handle cap, check-file) are
# skipped then.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

SFTP_BIN=$(command -v sftp || true)
[[ -n $SFTP_BIN ]] || skip "OpenSSH's sftp client not found"
command -v python3 >/dev/null || skip "python3 not found"
: "${FERRY_TEST_SFTP_SERVER:=ferry}"
case "$FERRY_TEST_SFTP_SERVER" in
	ferry)
		[[ -x $FERRY_BIN ]] || fail "ferry binary not found at $FERRY_BIN (set FERRY_BUILD)"
		SERVER="$FERRY_BIN sftp-server"
		;;
	openssh)
		SERVER=${FERRY_OPENSSH_SFTP_SERVER:-/usr/lib/openssh/sftp-server}
		[[ -x $SERVER ]] || skip "OpenSSH's sftp-server not found at $SERVER"
		;;
	*) fail "FERRY_TEST_SFTP_SERVER must be ferry or openssh" ;;
esac
is_ferry_server() { [[ $FERRY_TEST_SFTP_SERVER == ferry ]]; }
say "server: $SERVER"

L="$T/local"    # the client's side
R="$T/remote"   # the server's start directory
mkdir -p "$L" "$R"
SLOG="$T/server.log"
: >"$SLOG"

# run_sftp BATCH [SERVER_OPT...]: sftp -b BATCH in $L against the server started with -d $R
# and SERVER_OPT; stdout in $T/out, stderr (the client's and the server's -e log) in $T/err,
# exit status in RC. Paths must be free of blanks (sftp -D splits the command at spaces).
run_sftp() {
	local batch=$1
	shift
	RC=0
	(cd "$L" && timeout -k 5 "$FERRY_TEST_TIMEOUT" "$SFTP_BIN" -D "$SERVER -e -l INFO -d $R $*" \
		-b "$batch") >"$T/out" 2>"$T/err" || RC=$?
	cat "$T/err" >>"$SLOG"
	check_sanitizer "$T/err"
	[[ $RC != 124 ]] || fail "sftp hung (killed after ${FERRY_TEST_TIMEOUT}s) on $batch"
}

# batch FILE LINE...: write a batch file.
batch() {
	local f=$1
	shift
	printf '%s\n' "$@" >"$f"
}

# section OUTPUT CMD: the lines a batch printed for one command (after its "sftp> CMD" echo,
# up to the next prompt).
section() {
	awk -v cmd="sftp> $2" '$0 == cmd { on = 1; next } /^sftp> / { on = 0 } on' "$1"
}

# listing DIR [meta]: every path below DIR but symlinks (which sftp's -r transfers skip) with
# its type and size, and with meta also its mode and (files) mtime; sorted.
listing() {
	if [[ ${2:-} == meta ]]; then
		(cd "$1" && find . -mindepth 1 ! -type l \( -type d -printf '%p dir %m\n' -o \
			-printf '%p file %s %m %Ts\n' \) | LC_ALL=C sort)
	else
		(cd "$1" && find . -mindepth 1 ! -type l \( -type d -printf '%p dir\n' -o \
			-printf '%p file %s\n' \) | LC_ALL=C sort)
	fi
}

# same_tree A B WHAT [meta]: same listing, and every regular file the same bytes.
same_tree() {
	listing "$1" "${4:-}" >"$T/list.a"
	listing "$2" "${4:-}" >"$T/list.b"
	diff "$T/list.a" "$T/list.b" >"$T/list.diff" || fail "$3: trees differ: $(head -n 20 "$T/list.diff")"
	local f
	while IFS= read -r -d '' f; do
		cmp -s "$1/$f" "$2/$f" || fail "$3: $f differs"
	done < <(cd "$1" && find . -type f -print0)
}

# checksums DIR: a listing of everything below DIR (symlinks with targets, files with digests),
# to prove nothing changed.
checksums() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %s %Ts %l\n' | LC_ALL=C sort &&
		find . -type f -print0 | LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

# --- source data ----------------------------------------------------------------------------

BIG=$(scaled_bytes 64)
SIZES=(0 1 4095 4096 4097 1048577 "$BIG")
mkdir -p "$L/src"
for s in "${SIZES[@]}"; do
	gen_data "$s" >"$L/src/s$s"
done
chmod 640 "$L/src/s0"
chmod 755 "$L/src/s4096"
chmod 600 "$L/src/s1048577"
touch -d '2003-04-05 06:07:08' "$L/src/s0"
touch -d '2011-12-13 14:15:16' "$L/src/s4096"
touch -d '2019-01-02 03:04:05' "$L/src/s1048577"

# Three files with distinct mtimes for ls -t.
mkdir -p "$L/tsrc"
for i in 1 2 3; do
	echo "t$i" >"$L/tsrc/t$i"
	touch -d "2020-0$i-01 12:00:00" "$L/tsrc/t$i"
done

# A tree of 2,000 files in nested directories, with empty directories and symlinks.
tree="$L/tree"
n=0
for a in $(seq 1 10); do
	for b in $(seq 1 5); do
		d="$tree/d$a/e$b"
		mkdir -p "$d"
		for f in $(seq 1 40); do
			printf 'tree file %s/%s/%s %*s\n' "$a" "$b" "$f" $(((a * 97 + b * 13 + f * 7) % 2500)) x >"$d/f$f"
			((f % 9)) || chmod 700 "$d/f$f"
			n=$((n + 1))
		done
	done
done
mkdir -p "$tree/empty1" "$tree/d2/empty2" "$tree/d3/e1/empty3/deeper"
ln -s f1 "$tree/d1/e1/link-to-f1"
ln -s ../e2 "$tree/d1/e1/link-to-dir"
ln -s nowhere "$tree/d1/dangling"
touch -d '2005-06-07 08:09:10' "$tree/d1/e1/f1"
say "tree: $n files, $(find "$tree" -type d | wc -l) directories, $(find "$tree" -type l | wc -l) symlinks; big file $(human "$BIG")"
[[ $n == 2000 ]] || fail "tree has $n files"

# --- the main batch: every sftp command ---------------------------------------------------------

UIDN=$(id -u)
GIDN=$(id -g)
batch "$T/main.batch" \
	"version" \
	"pwd" \
	"lpwd" \
	"mkdir up" \
	"cd up" \
	"lcd src" \
	"put -p s0" \
	"put s1" \
	"put -f s4095" \
	"put -fp s4096" \
	"put s4097" \
	"put -p s1048577" \
	"put s$BIG" \
	"lcd .." \
	"cd .." \
	"pwd" \
	"ls -1 up" \
	"ls up" \
	"ls -l up" \
	"ls -ln up" \
	"ls -lh up" \
	"ls -1S up" \
	"ls -1Sr up" \
	"ls -la up" \
	"ls -f up" \
	"put -rp tsrc times" \
	"ls -1t times" \
	"ls -1tr times" \
	"lmkdir got" \
	"get -p up/s0 got/" \
	"get up/s1 got/" \
	"get -f up/s4095 got/" \
	"get -p up/s4096 got/" \
	"get -a up/s4097 got/" \
	"get -fp up/s1048577 got/" \
	"get up/s$BIG got/" \
	"put -r tree rtree" \
	"put -Rp tree rtreep" \
	"get -r rtree gtree" \
	"get -Rp rtreep gtreep" \
	"rename up/s1 up/s1.renamed" \
	"ln up/s4095 up/s4095.hard" \
	"ln -s s4096 up/s4096.sym" \
	"symlink s4097 up/s4097.sym" \
	"chmod 604 up/s4097" \
	"chown $UIDN up/s1.renamed" \
	"chgrp $GIDN up/s1.renamed" \
	"df" \
	"df -h" \
	"df -i" \
	"cp up/s1048577 up/copy1" \
	"copy up/s4095 up/copy2" \
	"mkdir gone" \
	"rmdir gone" \
	"mkdir keepme" \
	"rm up/copy2" \
	"lumask 022" \
	"lls got" \
	"cd up" \
	"pwd" \
	"ls -1" \
	"cd /" \
	"cd $R" \
	"pwd"

say "main batch: $(wc -l <"$T/main.batch") commands"
t0=$(now)
run_sftp "$T/main.batch"
t1=$(now)
[[ $RC == 0 ]] || fail "main batch: sftp exit status $RC: $(tail -n 20 "$T/err")"
say "main batch done in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
cp "$T/out" "$T/main.out"
out="$T/main.out"

# The printed results.
assert_file_contains "$out" "SFTP protocol version 3" "version"
assert_file_contains "$out" "Remote working directory: $R" "pwd"
assert_file_contains "$out" "Local working directory: $L" "lpwd"
assert_file_contains "$out" "Remote working directory: $R/up" "pwd after cd"
[[ $(grep -c "^Remote working directory: $R\$" "$out") == 3 ]] || fail "cd / then cd back: pwd not $R"
expect_names=$(printf 'up/%s\n' s0 s1 s1048577 s4095 s4096 s4097 "s$BIG" | LC_ALL=C sort)
assert_eq "$(section "$out" "ls -1 up")" "$expect_names" "ls -1"
assert_eq "$(section "$out" "ls -1S up")" "$(printf 'up/s%s\n' "$BIG" 1048577 4097 4096 4095 1 0)" "ls -1S (by size)"
assert_eq "$(section "$out" "ls -1Sr up")" "$(printf 'up/s%s\n' 0 1 4095 4096 4097 1048577 "$BIG")" "ls -1Sr (by size, reversed)"
assert_eq "$(section "$out" "ls -1t times")" "$(printf 'times/t%s\n' 3 2 1)" "ls -1t (by time)"
assert_eq "$(section "$out" "ls -1tr times")" "$(printf 'times/t%s\n' 1 2 3)" "ls -1tr"
long=$(section "$out" "ls -l up")
assert_contains "$long" "-rw-r-----" "ls -l: mode of s0 (kept by put -p)"
assert_contains "$long" "-rwxr-xr-x" "ls -l: mode of s4096"
assert_contains "$long" " 1048577 " "ls -l: size column"
assert_contains "$long" "up/s4097" "ls -l: names"
assert_contains "$(section "$out" "ls -lh up")" "1.0M" "ls -lh: human sizes"
la=$(section "$out" "ls -la up")
assert_contains "$la" "up/." "ls -la shows ."
assert_contains "$la" "up/.." "ls -la shows .."
for s in "${SIZES[@]}"; do
	assert_contains "$(section "$out" "ls -f up")" "up/s$s" "ls -f lists s$s"
	assert_contains "$(section "$out" "ls up")" "up/s$s" "ls lists s$s"
done
assert_contains "$(section "$out" "df")" "Avail" "df"
assert_contains "$(section "$out" "df -i")" "Inodes" "df -i"
assert_contains "$(section "$out" "lls got")" "s1048577" "lls"
assert_eq "$(section "$out" "ls -1")" "$(printf '%s\n' copy1 s0 s1.renamed s1048577 s4095 s4095.hard s4096 s4096.sym s4097 s4097.sym "s$BIG" | LC_ALL=C sort)" "ls -1 in up after the changes"

# The uploads: contents, and -p's mode and mtime.
for s in "${SIZES[@]}"; do
	dst="$R/up/s$s"
	[[ $s == 1 ]] && dst="$R/up/s1.renamed"
	cmp -s "$L/src/s$s" "$dst" || fail "put: s$s differs after upload"
done
for s in 0 4096 1048577; do
	assert_eq "$(stat -c '%a %Y' "$R/up/s$s")" "$(stat -c '%a %Y' "$L/src/s$s")" "put -p keeps mode and mtime of s$s"
done
# The downloads.
for s in "${SIZES[@]}"; do
	cmp -s "$L/src/s$s" "$L/got/s$s" || fail "get: s$s differs after download"
done
for s in 0 4096 1048577; do
	assert_eq "$(stat -c '%a %Y' "$L/got/s$s")" "$(stat -c '%a %Y' "$L/src/s$s")" "get -p keeps mode and mtime of s$s"
done
# The trees (symlinks are skipped by sftp's recursive transfers, both ways).
same_tree "$L/tree" "$R/rtree" "put -r"
same_tree "$L/tree" "$R/rtreep" "put -Rp" meta
same_tree "$R/rtree" "$L/gtree" "get -r"
same_tree "$L/tree" "$L/gtreep" "get -Rp" meta
[[ -d $R/rtree/d3/e1/empty3/deeper && -d $L/gtree/empty1 ]] || fail "empty directories not copied"
# rename, ln, ln -s, symlink, chmod, chown, chgrp, cp/copy, mkdir/rmdir, rm.
[[ ! -e $R/up/s1 ]] || fail "rename left the old name"
assert_eq "$(stat -c %i "$R/up/s4095.hard")" "$(stat -c %i "$R/up/s4095")" "ln makes a hard link"
assert_eq "$(readlink "$R/up/s4096.sym")" "s4096" "ln -s target (OpenSSH's SYMLINK argument order)"
assert_eq "$(readlink "$R/up/s4097.sym")" "s4097" "symlink target"
assert_eq "$(stat -c %a "$R/up/s4097")" "604" "chmod"
assert_eq "$(stat -c '%u %g' "$R/up/s1.renamed")" "$UIDN $GIDN" "chown/chgrp"
cmp -s "$L/src/s1048577" "$R/up/copy1" || fail "cp (copy-data) differs"
[[ ! -e $R/up/copy2 ]] || fail "rm left copy2"
[[ ! -e $R/gone && -d $R/keepme ]] || fail "mkdir/rmdir"
say "main batch checks pass"

# --- resume: reget / reput / get -a / put -a continue partial files ----------------------------------

RES=$(scaled_bytes 4 2)
gen_data "$RES" >"$T/whole"
mkdir -p "$L/res" "$R/res"
for name in rg ga; do
	cp "$T/whole" "$R/res/$name"
	head -c $((RES / 3 + 17)) "$T/whole" >"$L/res/$name"
done
for name in rp pa; do
	cp "$T/whole" "$L/res/$name"
	head -c $((RES / 2 + 5)) "$T/whole" >"$R/res/$name"
done
batch "$T/resume.batch" \
	"reget res/rg res/rg" \
	"get -a res/ga res/ga" \
	"reput res/rp res/rp" \
	"put -a res/pa res/pa"
run_sftp "$T/resume.batch"
[[ $RC == 0 ]] || fail "resume batch: exit status $RC: $(tail -n 5 "$T/err")"
for name in rg ga; do
	cmp -s "$T/whole" "$L/res/$name" || fail "resumed download $name differs"
done
for name in rp pa; do
	cmp -s "$T/whole" "$R/res/$name" || fail "resumed upload $name differs"
done
# The resumes really continued: the server read (or wrote) only the missing part.
if is_ferry_server; then
	grep -q "close \"$R/res/rg\" bytes read $((RES - RES / 3 - 17)) written 0" "$SLOG" ||
		fail "reget did not continue where the partial file ended"
	grep -q "close \"$R/res/rp\" bytes read 0 written $((RES - RES / 2 - 5))" "$SLOG" ||
		fail "reput did not continue where the partial file ended"
fi
say "resume checks pass"

# --- read-only (-R): every write request fails, nothing on disk changes -------------------------------

checksums "$R" >"$T/ro.before"
ro_fail=(
	"mkdir ro-new"
	"rmdir keepme"
	"rm up/s0"
	"rename up/s0 up/s0.x"
	"ln up/s0 up/s0.hard"
	"ln -s s0 up/s0.sym"
	"symlink s0 up/s0.sym2"
	"chmod 777 up/s0"
	"chown $UIDN up/s0"
	"chgrp $GIDN up/s0"
	"put src/s4097 up/ro-new"
	"put src/s4097 up/s4097"
	"put -p src/s0 up/s0"
	"reput src/s4097 up/s4095"
	"put -a src/s1048577 up/s4096"
	"put -r tree ro-tree"
	"cp up/s0 up/ro-copy"
	"copy up/s4095 up/s4097"
)
for cmd in "${ro_fail[@]}"; do
	batch "$T/ro.batch" "$cmd"
	run_sftp "$T/ro.batch" -R -l VERBOSE
	[[ $RC != 0 ]] || fail "read-only: '$cmd' succeeded"
	# Refused by the server (its log says so), or not even tried: a read-only server does not
	# advertise the extensions that write (hardlink, posix-rename, copy-data...), as
	# OpenSSH's does not.
	grep -qiE "permission denied|does not support|refusing" "$T/err" ||
		fail "read-only: '$cmd' failed without 'Permission denied': $(tail -n 3 "$T/err")"
done
# Reading still works.
mkdir -p "$L/ro-got"
batch "$T/ro-read.batch" "pwd" "ls -l up" "get up/s4097 ro-got/" "get -r rtree ro-got/tree" "df" "ls -la"
run_sftp "$T/ro-read.batch" -R
[[ $RC == 0 ]] || fail "read-only: reading failed: $(tail -n 5 "$T/err")"
cmp -s "$L/src/s4097" "$L/ro-got/s4097" || fail "read-only: get differs"
checksums "$R" >"$T/ro.after"
diff "$T/ro.before" "$T/ro.after" >"$T/ro.diff" || fail "read-only: the tree changed: $(head -n 20 "$T/ro.diff")"
say "read-only checks pass (${#ro_fail[@]} write commands refused)"

# --- -p / -P request lists ---------------------------------------------------------------------------

batch "$T/list.batch" "ls up"
run_sftp "$T/list.batch" -P opendir
[[ $RC != 0 ]] || fail "-P opendir: ls succeeded"
run_sftp "$T/list.batch" -p realpath,stat,lstat,opendir,readdir,close
[[ $RC == 0 ]] || fail "-p with what ls needs: ls failed: $(tail -n 3 "$T/err")"
batch "$T/list2.batch" "mkdir notallowed"
run_sftp "$T/list2.batch" -p realpath,stat,lstat,opendir,readdir,close
[[ $RC != 0 && ! -e $R/notallowed ]] || fail "-p: mkdir was not refused"
say "request list checks pass"

# --- the jail (-j, ferry only) ---------------------------------------------------------------------

if is_ferry_server; then
	J="$T/jail"
	OUT="$T/outside"
	mkdir -p "$J/in/sub" "$OUT/dir"
	echo "secret" >"$OUT/secret"
	echo "inside" >"$J/in/file"
	ln -s ../outside "$J/escape-rel"            # relative, leads out
	ln -s "$OUT" "$J/escape-abs"                # absolute, leads out
	ln -s ../../outside/secret "$J/in/secret-link"
	ln -s file "$J/in/ok-link"                  # stays inside
	echo "upload" >"$L/jail-up"
	checksums "$OUT" >"$T/jail.before"
	ls -la "$T" >"$T/jail.top.before"
	jail_sftp() { # BATCH: run against the jail; same capture as run_sftp
		RC=0
		(cd "$L" && timeout -k 5 "$FERRY_TEST_TIMEOUT" "$SFTP_BIN" -D "$SERVER -e -l INFO -j $J" \
			-b "$1") >"$T/out" 2>"$T/err" || RC=$?
		cat "$T/err" >>"$SLOG"
		check_sanitizer "$T/err"
	}
	jail_fail=(
		"get ../outside/secret jail-x"
		"get /../outside/secret jail-x"
		"get escape-rel/secret jail-x"
		"get escape-abs/secret jail-x"
		"get in/secret-link jail-x"
		"get /etc/hostname jail-x"
		"put jail-up ../outside/evil"
		"put jail-up /../outside/evil"
		"put jail-up escape-rel/evil"
		"put jail-up escape-abs/evil"
		"put jail-up in/secret-link"
		"mkdir ../outside/evil-dir"
		"mkdir escape-rel/evil-dir"
		"rename in/file ../outside/evil-moved"
		"rename in/file escape-rel/evil-moved"
		"ln ../outside/secret in/hard"
		"rm escape-rel/secret"
		"rmdir escape-rel/dir"
		"chmod 777 escape-rel/secret"
		"chmod 777 in/secret-link"
		"ls escape-rel/"
		"ls ../"
		"cd ../outside"
		"cp escape-rel/secret in/copied"
	)
	for cmd in "${jail_fail[@]}"; do
		batch "$T/jail.batch" "$cmd"
		jail_sftp "$T/jail.batch"
		[[ $RC != 0 ]] || fail "jail: '$cmd' succeeded"
	done
	[[ ! -e $L/jail-x ]] || fail "jail: something outside was read"
	# Inside the jail all works, and "/" is the jail's root.
	batch "$T/jail-ok.batch" "pwd" "cd .." "pwd" "get in/file jail-in" "get in/ok-link jail-in2" \
		"put jail-up in/uploaded" "put jail-up /in/uploaded2" "mkdir /in/newdir" \
		"rename in/uploaded in/sub/moved" "ls -l /in" "symlink /etc/passwd in/abs-link" "ls -l /"
	jail_sftp "$T/jail-ok.batch"
	[[ $RC == 0 ]] || fail "jail: work inside failed: $(tail -n 5 "$T/err")"
	[[ $(grep -c '^Remote working directory: /$' "$T/out") == 2 ]] || fail "jail: pwd is not / (or cd .. left it)"
	cmp -s "$J/in/file" "$L/jail-in" && cmp -s "$J/in/file" "$L/jail-in2" || fail "jail: get inside"
	cmp -s "$L/jail-up" "$J/in/sub/moved" && cmp -s "$L/jail-up" "$J/in/uploaded2" || fail "jail: put inside"
	[[ -d $J/in/newdir ]] || fail "jail: mkdir inside"
	# A symlink made inside with an absolute target does not lead out either.
	batch "$T/jail.batch" "get in/abs-link jail-x"
	jail_sftp "$T/jail.batch"
	[[ $RC != 0 && ! -e $L/jail-x ]] || fail "jail: an absolute symlink made inside was followed out"
	checksums "$OUT" >"$T/jail.after"
	diff "$T/jail.before" "$T/jail.after" >"$T/jail.diff" || fail "jail: outside changed: $(head "$T/jail.diff")"
	grep -q "evil" <(find "$T" -path "$J" -prune -o -print) && fail "jail: something was written outside"
	say "jail checks pass (${#jail_fail[@]} escapes refused)"
fi

# --- a scripted client: pipelining, handle cap, bad input, check-file ---------------------------------

cat >"$T/client.py" <<'PY'
# A minimal SFTP client speaking raw packets to a server on pipes (draft-ietf-secsh-filexfer-02).
import hashlib, os, struct, subprocess, sys

server, mode, root, big = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
ferry = mode == "ferry"
p = subprocess.Popen(server.split() + ["-e", "-d", root], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, stderr=open(os.environ["SERVER_ERR"], "ab"))

def s(b): return struct.pack(">I", len(b)) + b
def u32(v): return struct.pack(">I", v)
def u64(v): return struct.pack(">Q", v)
def send(body): p.stdin.write(u32(len(body)) + body)
def flush(): p.stdin.flush()
def recv():
    h = p.stdout.read(4)
    if len(h) < 4: return None
    n = struct.unpack(">I", h)[0]
    d = p.stdout.read(n)
    assert len(d) == n, "short packet"
    return d
def fail(msg):
    print("FAIL:", msg); sys.exit(1)
def status(d):
    assert d[0] == 101, "not a STATUS: %d" % d[0]
    rid, code = struct.unpack(">II", d[1:9])
    n = struct.unpack(">I", d[9:13])[0]
    return rid, code, d[13:13 + n].decode()

send(b"\x01" + u32(3)); flush()
v = recv()
assert v[0] == 2 and struct.unpack(">I", v[1:5])[0] == 3
exts, i = {}, 5
while i < len(v):
    n = struct.unpack(">I", v[i:i+4])[0]; name = v[i+4:i+4+n]; i += 4 + n
    n = struct.unpack(">I", v[i:i+4])[0]; data = v[i+4:i+4+n]; i += 4 + n
    exts[name.decode()] = data.decode()
for e in ["posix-rename@openssh.com", "statvfs@openssh.com", "fstatvfs@openssh.com",
          "hardlink@openssh.com", "fsync@openssh.com", "lsetstat@openssh.com",
          "limits@openssh.com", "expand-path@openssh.com", "copy-data", "home-directory",
          "users-groups-by-id@openssh.com"] + (["check-file-handle", "check-file-name"] if ferry else []):
    if e not in exts: fail("VERSION lacks " + e)

# limits@openssh.com
send(b"\xc8" + u32(1) + s(b"limits@openssh.com")); flush()
d = recv(); assert d[0] == 201
lim = struct.unpack(">QQQQ", d[5:37])
if ferry and lim != (263168, 262144, 262144, 1024): fail("limits %r" % (lim,))
print("limits", lim)

def open_(rid, path, pflags=1):
    send(b"\x03" + u32(rid) + s(path) + u32(pflags) + u32(0))

# 64 pipelined READs of the big file, answered in order with the right ids and bytes.
open_(2, big.encode()); flush()
d = recv(); assert d[0] == 102, "open failed"
hn = struct.unpack(">I", d[5:9])[0]; h = d[9:9+hn]
chunk = 32768
for k in range(64):
    send(b"\x05" + u32(1000 + k) + s(h) + u64(k * chunk) + u32(chunk))
flush()
data = open(os.path.join(root, big), "rb").read(64 * chunk)
for k in range(64):
    d = recv()
    assert d[0] == 103, "READ %d: type %d" % (k, d[0])
    rid = struct.unpack(">I", d[1:5])[0]
    if rid != 1000 + k: fail("pipelined reply id %d, expected %d" % (rid, 1000 + k))
    n = struct.unpack(">I", d[5:9])[0]
    if d[9:9+n] != data[k*chunk:(k+1)*chunk]: fail("pipelined READ %d: wrong bytes" % k)
print("pipelined reads ok")

# A bad handle gets a STATUS, and the session goes on.
send(b"\x05" + u32(3) + s(b"nonsense") + u64(0) + u32(10)); flush()
rid, code, msg = status(recv())
if rid != 3 or code != 4: fail("bad handle: code %d" % code)
# An unknown extension: OP_UNSUPPORTED.
send(b"\xc8" + u32(4) + s(b"no-such-extension@example.com") + b"junk"); flush()
rid, code, msg = status(recv())
if code != 8: fail("unknown extension: code %d" % code)
if ferry:
    # An unknown message type: OP_UNSUPPORTED (OpenSSH's server does not answer these).
    send(b"\x63" + u32(5)); flush()
    rid, code, msg = status(recv())
    if rid != 5 or code != 8: fail("unknown type: code %d" % code)
    # A READ cut short: BAD_MESSAGE for its id.
    send(b"\x05" + u32(6) + s(h)[:6]); flush()
    rid, code, msg = status(recv())
    if rid != 6 or code != 5: fail("truncated READ: code %d" % code)
    # A path with a NUL byte: BAD_MESSAGE.
    send(b"\x11" + u32(7) + s(b"up\x00/s0")); flush()
    rid, code, msg = status(recv())
    if code != 5: fail("path with NUL: code %d" % code)

    # check-file-name and check-file-handle: sha256, xxh128, xxh3; whole and per block.
    whole = open(os.path.join(root, big), "rb").read()
    def check(rid, ext, target, algs, off, length, block):
        send(b"\xc8" + u32(rid) + s(ext) + s(target) + s(algs) + u64(off) + u64(length) + u32(block))
        flush()
        d = recv()
        if d[0] != 201: fail("check-file %s: %r" % (algs, status(d)))
        i = 5
        n = struct.unpack(">I", d[i:i+4])[0]; name = d[i+4:i+4+n]; i += 4 + n
        n = struct.unpack(">I", d[i:i+4])[0]; alg = d[i+4:i+4+n]; i += 4 + n
        assert name == b"check-file"
        return alg.decode(), d[i:]
    alg, hv = check(10, b"check-file-name", big.encode(), b"md5,sha256", 0, 0, 0)
    if alg != "sha256" or hv != hashlib.sha256(whole).digest(): fail("check-file-name sha256 whole")
    blk = 65536
    alg, hv = check(11, b"check-file-handle", h, b"sha256", 1000, 300000, blk)
    part = whole[1000:301000]
    want = b"".join(hashlib.sha256(part[j:j+blk]).digest() for j in range(0, len(part), blk))
    if hv != want: fail("check-file-handle sha256 per block")
    for rid, a, ln in ((12, b"xxh128", 16), (13, b"xxh3", 8)):
        alg, hv = check(rid, b"check-file-name", big.encode(), a, 0, 0, 0)
        if alg != a.decode() or len(hv) != ln: fail("check-file %s" % a)
        print("%s %s" % (a.decode(), hv.hex()))
        alg, hv = check(rid, b"check-file-name", big.encode(), a, 4096, 8192, 4096)
        if len(hv) != 2 * ln: fail("check-file %s per block" % a)
        print("%s-blocks %s" % (a.decode(), hv.hex()))
    # block size under 256 is refused
    send(b"\xc8" + u32(14) + s(b"check-file-name") + s(big.encode()) + s(b"sha256") + u64(0) + u64(0) + u32(100))
    flush()
    rid, code, msg = status(recv())
    if code != 5: fail("check-file block 100: code %d" % code)

    # 10,000 OPENs: the cap (1024) answers the excess with FAILURE, the session goes on.
    for k in range(10000):
        open_(20000 + k, big.encode())
    flush()
    handles, refused = [], 0
    for k in range(10000):
        d = recv()
        if d[0] == 102:
            n = struct.unpack(">I", d[5:9])[0]; handles.append(d[9:9+n])
        else:
            rid, code, msg = status(d)
            if code != 4 or "too many open files" not in msg: fail("open %d: %d %s" % (k, code, msg))
            refused += 1
    print("opens: %d handles, %d refused" % (len(handles), refused))
    if len(handles) + 1 != 1024: fail("handle cap: %d handles" % len(handles))
    for k, hh in enumerate(handles):
        send(b"\x04" + u32(40000 + k) + s(hh))
    flush()
    for k in range(len(handles)):
        rid, code, msg = status(recv())
        if code != 0: fail("close: %d" % code)
    open_(50000, big.encode()); flush()
    if recv()[0] != 102: fail("no handle after closing the others")

# Still alive: REALPATH works.
send(b"\x10" + u32(60000) + s(b".")); flush()
d = recv()
if d[0] != 104: fail("realpath after all that")
if ferry:
    # A packet over the advertised maximum ends the session.
    p.stdin.write(u32(300000) + b"\x05" + u32(1)); p.stdin.flush()
    rest = p.stdout.read()
    rc = p.wait(timeout=30)
    if rest != b"" or rc == 0: fail("oversized packet: server went on (rc %d)" % rc)
    print("oversized packet: session ended, exit status %d" % rc)
else:
    p.stdin.close(); p.wait(timeout=30)
print("ok")
PY
SERVER_ERR="$T/client.err" python3 "$T/client.py" "$SERVER" "$FERRY_TEST_SFTP_SERVER" "$R" "up/s$BIG" \
	>"$T/client.out" 2>&1 || fail "scripted client: $(tail -n 20 "$T/client.out")"
check_sanitizer "$T/client.err"
if is_ferry_server; then
	# xxh3/xxh128 as xxhsum computes them.
	want128=$(xxh128sum "$R/up/s$BIG" 2>/dev/null | cut -d' ' -f1 || true)
	want64=$(xxhsum -H3 "$R/up/s$BIG" 2>/dev/null | awk '{ print $NF }' || true)
	if [[ -n $want128 ]]; then
		assert_contains "$(cat "$T/client.out")" "xxh128 $want128" "check-file xxh128 = xxh128sum"
	fi
	if [[ -n $want64 ]]; then
		assert_contains "$(cat "$T/client.out")" "xxh3 $want64" "check-file xxh3 = xxhsum -H3"
	fi
	assert_file_contains "$T/client.err" "longer than the advertised maximum" "oversized packet: the log says why"
fi
say "scripted client: $(grep -E '^(opens|oversized|limits)' "$T/client.out" | tr '\n' ';')"

check_sanitizer "$SLOG"
pass "$FERRY_TEST_SFTP_SERVER sftp-server"
