#!/usr/bin/env bash
# tests/interop/t_scp_legacy.sh: OpenSSH's `scp -O` (the legacy scp protocol) against ferry's remote end (`ferry scp-remote`, the sink and source ferryd serves): files of every edge size up and down, a 2,000-file tree with -r, -p, and scripted hostile sources; no sshd, a -S wrapper runs the remote command locally.
#
# FERRY_SCP names OpenSSH's scp when it is not the one on PATH.
# With FERRY_TEST_CLIENT=openssh the remote end is OpenSSH's own scp, to validate the test
# itself; checks of what ferry does beyond OpenSSH (partial files removed, long lines refused)
# are skipped then.
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

# FERRY_SCP: OpenSSH's scp (default: the one on PATH)
SCP=${FERRY_SCP:-$(command -v scp || true)}
[[ -n $SCP && -x $SCP ]] || skip "OpenSSH's scp not found (set FERRY_SCP)"
if "$SCP" -O 2>&1 | grep -q "unknown option"; then
	SCP_O=()        # an scp from before -O: the legacy protocol is its only one
else
	SCP_O=(-O)
fi

if is_ferry; then
	[[ -x $FERRY_BUILD/ferry ]] || fail "no ferry binary in $FERRY_BUILD"
	REMOTE="$FERRY_BUILD/ferry scp-remote"
else
	REMOTE="$SCP"
fi
say "remote end: $REMOTE"

# scp -S runs "PROGRAM [ssh options] host command": the wrapper drops all but the command and
# runs it here, with the leading "scp " replaced by the remote end under test.
make_wrapper() { # FILE REMOTE
	cat >"$1" <<EOF
#!/bin/sh
for last; do :; done
cmd=\$last
case \$cmd in
scp\\ *) cmd="$2 \${cmd#scp }" ;;
esac
printf '%s\\n' "\$cmd" >>"$T/wrap.log"
exec sh -c "\$cmd" 2>>"$T/remote.err"
EOF
	chmod +x "$1"
}
make_wrapper "$T/wrap.sh" "$REMOTE"
make_wrapper "$T/wrap-openssh.sh" "$SCP"

# xscp [WRAPPER=...] ARGS...: OpenSSH's scp in legacy mode through a wrapper; status in RC,
# its stderr in $T/err. "h:" names the remote side.
xscp() {
	local wrapper=$T/wrap.sh
	if [[ $1 == WRAPPER=* ]]; then
		wrapper=${1#WRAPPER=}
		shift
	fi
	RC=0
	timeout "$FERRY_TEST_TIMEOUT" "$SCP" "${SCP_O[@]}" -q -S "$wrapper" "$@" >"$T/out" 2>"$T/err" || RC=$?
	check_sanitizer "$T/remote.err"
}

xscp_ok() { # what ARGS...
	local what=$1
	shift
	xscp "$@"
	[[ $RC == 0 ]] || fail "$what: scp exited $RC: $(cat "$T/err")"
}

# --- single files of edge sizes, up and down ----------------------------------------------
big=$(scaled_bytes 64)
mkdir -p "$T/src" "$T/up" "$T/down"
for size in 0 1 4095 4096 4097 $((1048576 + 1)) "$big"; do
	f="f$size"
	gen_data "$size" >"$T/src/$f"
	chmod 640 "$T/src/$f"
	t0=$(now)
	xscp_ok "upload of $(human "$size")" "$T/src/$f" "h:$T/up/"
	cmp "$T/src/$f" "$T/up/$f" || fail "upload of $(human "$size") differs"
	xscp_ok "download of $(human "$size")" "h:$T/up/$f" "$T/down/"
	cmp "$T/src/$f" "$T/down/$f" || fail "download of $(human "$size") differs"
	t1=$(now)
	say "$(human "$size"): up and down in $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s"
done
# without -p a new file takes the sent mode less the umask, as OpenSSH's sink does
assert_eq "$(stat -c %a "$T/up/f1")" "$(umask -S >/dev/null; printf '%o' $((0640 & ~$(umask))))" "mode of an uploaded file"
ls -a "$T/up" | grep -q ferry-partial && fail "a partial file was left behind"

# several files to a directory (-d on the remote side), and a new name for one file
xscp_ok "two files at once" "$T/src/f1" "$T/src/f4095" "h:$T/up/"
cmp "$T/src/f4095" "$T/up/f4095" || fail "two files: f4095 differs"
xscp_ok "upload under a new name" "$T/src/f4097" "h:$T/up/renamed"
cmp "$T/src/f4097" "$T/up/renamed" || fail "upload under a new name differs"
xscp "$T/src/f1" "$T/src/f1" "h:$T/up/renamed"
[[ $RC != 0 ]] || fail "two files to a file were accepted"
# an update of an existing file: contents replaced, its mode kept
chmod 600 "$T/up/renamed"
xscp_ok "overwrite" "$T/src/f4096" "h:$T/up/renamed"
cmp "$T/src/f4096" "$T/up/renamed" || fail "overwrite differs"
assert_eq "$(stat -c %a "$T/up/renamed")" "600" "mode of an overwritten file"
# a missing source: a warning, and the others still arrive
xscp "h:$T/up/nonexistent" "h:$T/up/f1" "$T/down/"
[[ $RC == 1 ]] || fail "missing source: scp exited $RC"
assert_contains "$(cat "$T/err")" "nonexistent: No such file or directory" "missing source message"

# --- a 2,000-file tree with -r: nested and empty directories, symlinks ----------------------
tree="$T/tree"
mkdir -p "$tree"
n=0
for d in $(seq 1 8); do
	for s in $(seq 1 5); do
		dir="$tree/d$d/s$s"
		mkdir -p "$dir"
		for f in $(seq 1 49); do
			printf 'd%s s%s f%s %*s\n' "$d" "$s" "$f" $(((d * 131 + s * 17 + f * 7) % 5000)) x >"$dir/f$f"
			n=$((n + 1))
		done
	done
done
while ((n < 2000)); do
	: >"$tree/d1/zero$n"
	n=$((n + 1))
done
gen_data 300000 >"$tree/d2/blob"
mkdir -p "$tree/empty" "$tree/d3/also-empty/deeper"
chmod 750 "$tree/d4"
ln -s s1/f1 "$tree/d1/file-link"
ln -s ../d2 "$tree/d1/dir-link"
ln -s "$tree/d3/s1/f2" "$tree/abs-link"
printf 'with space\n' >"$tree/d5/name with space"
printf 'nl\n' >"$tree/d5/new
line"
say "tree: $(find "$tree" -type f | wc -l) files, $(find "$tree" -type l | wc -l) symlinks, $(find "$tree" -type d | wc -l) directories"

# listing DIR: what the copy should look like: path, type, mode (not for links), size of files.
listing() {
	(cd "$1" && find . -mindepth 1 -printf '%p %y %m %s\n' | awk '$2 == "d" { $4 = "-" } { print }' | LC_ALL=C sort)
}

# The reference: OpenSSH's scp as both ends. Symlinks arrive as what they point to.
mkdir -p "$T/ref-up" "$T/ref-down" "$T/tree-up" "$T/tree-down"
xscp_ok "reference upload of the tree" WRAPPER="$T/wrap-openssh.sh" -r "$tree" "h:$T/ref-up/"
xscp_ok "reference download of the tree" WRAPPER="$T/wrap-openssh.sh" -r "h:$tree" "$T/ref-down/"
t0=$(now)
xscp_ok "upload of the tree" -r "$tree" "h:$T/tree-up/"
t1=$(now)
xscp_ok "download of the tree" -r "h:$tree" "$T/tree-down/"
t2=$(now)
say "tree: up $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }') s, down $(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", b - a }') s"
for side in up down; do
	# (the name with a newline arrives as OpenSSH's source encodes it: checked below)
	diff -r -x 'new*line' "$tree" "$T/tree-$side/tree" >"$T/diff.out" 2>&1 || fail "tree $side: contents differ: $(head -n 20 "$T/diff.out")"
	listing "$T/ref-$side/tree" >"$T/list.ref"
	listing "$T/tree-$side/tree" >"$T/list.got"
	diff "$T/list.ref" "$T/list.got" >"$T/diff.out" || fail "tree $side: not what OpenSSH's scp makes: $(head -n 20 "$T/diff.out")"
	[[ -z $(find "$T/tree-$side/tree" -type l) ]] || fail "tree $side: symlinks were copied as links"
	[[ -d $T/tree-$side/tree/empty && -d $T/tree-$side/tree/d3/also-empty/deeper ]] || fail "tree $side: empty directories missing"
	[[ -f $T/tree-$side/tree/d5/new\\^Jline ]] || fail "tree $side: the name with a newline did not arrive as new\\^Jline"
done

# a dangling symlink and a FIFO: each a warning and exit status 1, as with OpenSSH, the rest
# is copied
odd="$T/odd"
mkdir -p "$odd/in" "$T/odd-up" "$T/odd-down" "$T/odd-ref"
printf 'ok\n' >"$odd/in/ok"
ln -s nowhere "$odd/in/dangling"
mkfifo "$odd/in/fifo"
xscp WRAPPER="$T/wrap-openssh.sh" -r "h:$odd/in" "$T/odd-ref/"
ref_rc=$RC
ref_err=$(sort "$T/err")
xscp -r "h:$odd/in" "$T/odd-down/"
assert_eq "$RC" "$ref_rc" "download with a dangling link and a FIFO: exit status"
assert_eq "$(sort "$T/err")" "$ref_err" "download with a dangling link and a FIFO: messages"
cmp "$odd/in/ok" "$T/odd-down/in/ok" || fail "the regular file next to the odd ones"
xscp -r "$odd/in" "h:$T/odd-up/"
assert_eq "$RC" "$ref_rc" "upload with a dangling link and a FIFO: exit status"
cmp "$odd/in/ok" "$T/odd-up/in/ok" || fail "upload: the regular file next to the odd ones"

# odd targets, against OpenSSH's own results: through symlinks (dangling, chained, looping),
# a device, "dir/" that does not exist, a file where a directory should go
odd_targets() { # WRAPPER DIR
	local w=$1 d=$2 target
	mkdir -p "$d/ldir" "$d/src/sub"
	printf 'new\n' >"$d/src/f"
	printf 'sub\n' >"$d/src/sub/g"
	printf 'old\n' >"$d/real"
	ln -s real "$d/link"
	ln -s link "$d/link2"
	ln -s nowhere "$d/dangle"
	ln -s ldir/x "$d/dangle2"
	ln -s loop1 "$d/loop2"
	ln -s loop2 "$d/loop1"
	: >"$d/messages"
	for target in link link2 dangle dangle2 loop1 nonexist/ /dev/null; do
		[[ $target == /* ]] || target=$d/$target
		xscp WRAPPER="$w" "$d/src/f" "h:$target"
		printf '%s %s %s\n' "${target#"$d"/}" "$RC" "$(sed "s|$d/||g" "$T/err")" >>"$d/messages"
	done
	xscp WRAPPER="$w" -r "$d/src" "h:$d/real"
	printf 'dir-on-file %s %s\n' "$RC" "$(sed "s|$d/||g" "$T/err")" >>"$d/messages"
}
odd_targets "$T/wrap-openssh.sh" "$T/targets-ref"
odd_targets "$T/wrap.sh" "$T/targets"
diff "$T/targets-ref/messages" "$T/targets/messages" >"$T/diff.out" || fail "odd targets: not as OpenSSH's scp: $(cat "$T/diff.out")"
(cd "$T/targets-ref" && find . -printf '%p %y %m %s %l\n' | LC_ALL=C sort) >"$T/list.ref"
(cd "$T/targets" && find . -printf '%p %y %m %s %l\n' | LC_ALL=C sort) >"$T/list.got"
diff "$T/list.ref" "$T/list.got" >"$T/diff.out" || fail "odd targets: tree not as OpenSSH's scp makes it: $(cat "$T/diff.out")"

# --- -p: mtime, atime and mode kept, for files and directories ------------------------------
pre="$T/pre"
mkdir -p "$pre/dir/sub" "$T/pre-up" "$T/pre-down"
printf 'a\n' >"$pre/dir/a"
printf 'bb\n' >"$pre/dir/sub/b"
gen_data 100000 >"$pre/dir/c"
chmod 754 "$pre/dir/a"
chmod 600 "$pre/dir/sub/b"
chmod 4755 "$pre/dir/c"
chmod 700 "$pre/dir/sub"
chmod 751 "$pre/dir"
touch -m -d '2001-02-03 04:05:06' "$pre/dir/a"
touch -a -d '2002-03-04 05:06:07' "$pre/dir/a"
touch -m -d '2003-04-05 06:07:08' "$pre/dir/sub/b"
touch -a -d '2004-05-06 07:08:09' "$pre/dir/sub/b"
touch -m -d '2005-06-07 08:09:10' "$pre/dir/c"
touch -a -d '2006-07-08 09:10:11' "$pre/dir/c"
touch -m -d '2007-08-09 10:11:12' "$pre/dir/sub"
touch -m -d '2008-09-10 11:12:13' "$pre/dir"
# times as they are before anything reads the files (reading may move atime)
stamp() { (cd "$1" && find . -printf '%p %y %m %TY%Tm%Td%TH%TM%TS %AY%Am%Ad%AH%AM%AS\n' | awk '{ sub(/\.[0-9]+/, "", $4); sub(/\.[0-9]+/, "", $5); print }' | LC_ALL=C sort); }
stamp_noatime() { stamp "$1" | awk '{ $5 = ""; print }'; }
stamp "$pre/dir" >"$T/pre.want"
xscp_ok "upload with -p" -rp "$pre/dir" "h:$T/pre-up/"
stamp "$T/pre-up/dir" >"$T/pre.up"
# directories' atimes move when the sink walks them; files' atimes and everything else must match
diff <(grep -v ' d ' "$T/pre.want") <(grep -v ' d ' "$T/pre.up") >"$T/diff.out" || fail "-p upload: files differ: $(cat "$T/diff.out")"
diff <(stamp_noatime "$pre/dir") <(stamp_noatime "$T/pre-up/dir") >"$T/diff.out" || fail "-p upload: directories differ: $(cat "$T/diff.out")"
stamp "$T/pre-up/dir" >"$T/pre.want2"
xscp_ok "download with -p" -rp "h:$T/pre-up/dir" "$T/pre-down/"
diff <(grep -v ' d ' "$T/pre.want2") <(stamp "$T/pre-down/dir" | grep -v ' d ') >"$T/diff.out" || fail "-p download: files differ: $(cat "$T/diff.out")"
diff <(stamp_noatime "$T/pre-up/dir") <(stamp_noatime "$T/pre-down/dir") >"$T/diff.out" || fail "-p download: directories differ: $(cat "$T/diff.out")"
# one file with -p into an existing directory
xscp_ok "single file with -p" -p "$pre/dir/a" "h:$T/pre-up/"
assert_eq "$(stat -c '%a %Y %X' "$T/pre-up/a")" "$(stat -c '%a %Y %X' "$pre/dir/a")" "-p single file"

# --- hostile sources: scripted lines fed to the sink ----------------------------------------
# feed NAME FLAGS BYTES-as-printf-format: runs the remote sink on the bytes; its output in
# $T/adv.NAME.out, its status in ARC.
adv="$T/adv"
mkdir -p "$adv/target"
chmod 755 "$adv/target"
feed() {
	local name=$1 flags=$2 fmt=$3
	ARC=0
	# shellcheck disable=SC2059
	printf "$fmt" | (cd "$adv" && timeout 30 $REMOTE $flags target) >"$T/adv.$name.out" 2>>"$T/remote.err" || ARC=$?
	check_sanitizer "$T/remote.err"
}
# refused NAME WHAT: the sink said no (a warning or fatal line naming WHAT) and exited 1.
refused() {
	[[ $ARC == 1 ]] || fail "$1: the sink exited $ARC"
	grep -q -a -F -- "$2" "$T/adv.$1.out" || fail "$1: '$2' not in the sink's answer: $(od -c "$T/adv.$1.out" | head)"
}
before=$(cd "$T" && find . -path ./remote.err -prune -o -path ./wrap.log -prune -o -newer "$T/wrap.sh" -print 2>/dev/null | wc -l)
feed dotdot -t 'C0644 3 ../evil\nabc\0'
refused dotdot "unexpected filename"
[[ ! -e $adv/evil ]] || fail "../evil was written"
feed abs -t "C0644 3 $T/abs-evil\\nabc\\0"
refused abs "unexpected filename"
[[ ! -e $T/abs-evil ]] || fail "an absolute name was written"
feed slash -rt 'D0755 0 a/b\nE\n'
refused slash "unexpected filename"
mode_before=$(stat -c %a "$adv/target")
feed dot -rt 'D0555 0 .\nE\n'
refused dot "unexpected filename: ."
assert_eq "$(stat -c %a "$adv/target")" "$mode_before" "D0555 0 . changed the target's mode"
feed dot-times -rpt 'T1 0 1 0\nD0555 0 .\nE\n'
refused dot-times "unexpected filename: ."
assert_eq "$(stat -c %a "$adv/target")" "$mode_before" "T + D0555 0 . changed the target's mode"
feed badmode -t 'C06x4 3 m\nabc\0'
refused badmode "bad mode"
feed bigsize -t 'C0644 99999999999999999999 s\nabc\0'
refused bigsize "size out of range"
feed short -t 'C0644 100 partial\nabc'
[[ $ARC == 1 ]] || fail "short file: the sink exited $ARC"
if is_ferry; then
	[[ ! -e $adv/target/partial ]] || fail "a short file was left where the complete one belongs"
	ls -a "$adv/target" | grep -q ferry-partial && fail "a partial file was left behind"
else
	rm -f "$adv/target/partial"     # OpenSSH's sink leaves it
fi
long=$(printf 'x%.0s' $(seq 1 3072))
feed long -t "C0644 3 $long\\nabc\\0"
[[ $ARC == 1 ]] || fail "3 KiB line: the sink exited $ARC"
if is_ferry; then
	refused long "line too long"
fi
[[ -z $(ls -A "$adv/target") ]] || fail "something was written by a hostile source: $(ls -A "$adv/target")"
[[ -z $(ls -A "$adv" | grep -v '^target$') ]] || fail "something was written next to the target: $(ls -A "$adv")"

# An unrequested file, for a sink that is a client asking for one name. OpenSSH's client as
# the sink first (its refusal is what ferry's must match), then ferry's with the same source.
cat >"$T/evil-source.sh" <<'EOF'
#!/bin/sh
# a source that sends .bashrc whatever it was asked for
for last; do :; done
head -c 1 >/dev/null
printf 'C0644 6 .bashrc\nevil!\n\0'
head -c 1 >/dev/null
EOF
chmod +x "$T/evil-source.sh"
mkdir -p "$T/client-sink"
xscp WRAPPER="$T/evil-source.sh" "h:wanted.txt" "$T/client-sink/"
[[ $RC != 0 ]] || fail "OpenSSH's client took an unrequested file"
assert_contains "$(cat "$T/err")" "filename does not match request" "OpenSSH's refusal"
[[ ! -e $T/client-sink/.bashrc ]] || fail "OpenSSH's client wrote the unrequested file"
if is_ferry; then
	ARC=0
	printf 'C0644 6 .bashrc\nevil!\n\0' | "$FERRY_BUILD/ferry" scp-remote --expect wanted.txt -t "$T/client-sink" \
		>"$T/adv.unrequested.out" 2>"$T/adv.unrequested.err" || ARC=$?
	check_sanitizer "$T/adv.unrequested.err"
	refused unrequested "filename does not match request"
	assert_contains "$(cat "$T/adv.unrequested.err")" "filename does not match request" "ferry's client-side message"
	[[ ! -e $T/client-sink/.bashrc ]] || fail "ferry's client-side sink wrote the unrequested file"
	printf 'C0644 5 wanted.txt\nfine\n\0' | "$FERRY_BUILD/ferry" scp-remote --expect 'want*' -t "$T/client-sink" \
		>/dev/null 2>"$T/adv.requested.err" || fail "ferry's client-side sink refused the requested file"
	assert_eq "$(cat "$T/client-sink/wanted.txt")" "fine" "the requested file"
fi

# the remote end's command line
if is_ferry; then
	RC=0
	"$FERRY_BUILD/ferry" scp-remote -x -t "$adv/target" </dev/null >"$T/out" 2>"$T/err" || RC=$?
	assert_eq "$RC" 1 "unknown flag: exit status"
	assert_contains "$(cat "$T/err")" "unknown option -- x" "unknown flag"
	[[ ! -s $T/out ]] || fail "unknown flag: something was sent"
	RC=0
	"$FERRY_BUILD/ferry" scp-remote -t a b </dev/null >"$T/out" 2>"$T/err" || RC=$?
	assert_eq "$RC" 1 "two targets: exit status"
	assert_contains "$(cat "$T/out")" "ambiguous target" "two targets"
fi

check_sanitizer "$T/remote.err"
pass "sizes up to $(human "$big"), a $(find "$tree" -type f | wc -l)-file tree, -p, hostile sources"
