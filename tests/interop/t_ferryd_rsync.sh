#!/usr/bin/env bash
# tests/interop/t_ferryd_rsync.sh: rsync copies a 1,000-file tree with symlinks to ferryd and back, with OpenSSH's ssh and with ferry's client as the remote shell (ferryd runs `rsync --server` through the user's shell; RFC 4254 s6.5 exec).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ferryd.sh"

command -v rsync >/dev/null || skip "rsync not found"
[[ -x $FERRY_BIN ]] || fail "ferry binary not found at $FERRY_BIN (needed for the ferry-client half)"
ferryd_start
expect_ok "first contact" -- true

# --- a tree of 1,000 files: nested directories, varied sizes and modes, odd names, symlinks ---
src="$T/src"
mkdir -p "$src"
files=0
for d in $(seq 1 10); do
	for s in $(seq 1 4); do
		dir="$src/d$d/s$s"
		mkdir -p "$dir"
		for f in $(seq 1 24); do
			printf 'dir %s sub %s file %s\n%*s\n' "$d" "$s" "$f" $(((d * 131 + s * 17 + f * 7) % 3000)) x >"$dir/f$f.txt"
			((f % 7)) || chmod 755 "$dir/f$f.txt"
			files=$((files + 1))
		done
	done
done
mkdir -p "$src/big" "$src/empty dir" "$src/names"
for i in 1 2 3 4 5; do
	gen_data $((i * 700000)) >"$src/big/blob$i.bin"
	files=$((files + 1))
done
for name in "with space.txt" "tab	in name" "ünïcödé.txt" "-leading-dash" "semi;colon" "quote'single" '$dollar' "star*" "newline
in name"; do
	printf '%s\n' "$name" >"$src/names/$name"
	files=$((files + 1))
done
while ((files < 1000)); do
	: >"$src/d1/empty$files"
	files=$((files + 1))
done
ln -s ../s2/f1.txt "$src/d1/s1/rel-link"
ln -s /etc/hostname "$src/d1/abs-link"
ln -s does-not-exist "$src/d2/dangling"
ln -s s3 "$src/d3/dir-link"
ln -s "with space.txt" "$src/names/link to space"
touch -d '2001-02-03 04:05:06' "$src/d4/s1/f1.txt"
say "source tree: $(find "$src" -type f | wc -l) files, $(find "$src" -type l | wc -l) symlinks, $(find "$src" -type d | wc -l) directories"

# listing DIR: every entry's path, type, mode, size and mtime, or a symlink's target.
listing() {
	(cd "$1" && find . -mindepth 1 \( -type l -printf '%p link -> %l\n' \) -o \
		\( -type d -printf '%p dir %m %Ts\n' \) -o -printf '%p file %m %s %Ts\n' | LC_ALL=C sort)
}

# same DIR_A DIR_B WHAT: contents (diff -r, symlinks compared as links) and listings equal.
same() {
	diff -r --no-dereference "$1" "$2" >"$T/diff.out" 2>&1 || fail "$3: diff -r differs: $(head -n 20 "$T/diff.out")"
	listing "$1" >"$T/list.a"
	listing "$2" >"$T/list.b"
	diff "$T/list.a" "$T/list.b" >"$T/diff.out" || fail "$3: metadata or symlink targets differ: $(head -n 20 "$T/diff.out")"
	[[ -L $2/d1/s1/rel-link && $(readlink "$2/d1/s1/rel-link") == ../s2/f1.txt ]] ||
		fail "$3: relative symlink not preserved"
	[[ -L $2/d2/dangling && $(readlink "$2/d2/dangling") == does-not-exist ]] || fail "$3: dangling symlink not preserved"
	[[ $(readlink "$2/d1/abs-link") == /etc/hostname ]] || fail "$3: absolute symlink not preserved"
}

run_rsync() { # WHAT RSH ARGS...
	local what=$1 rsh=$2
	shift 2
	local rc=0
	timeout -k 5 "$FERRY_TEST_TIMEOUT" rsync -a -e "$rsh" "$@" >"$T/rsync.out" 2>"$T/rsync.err" || rc=$?
	check_sanitizer "$T/rsync.err"
	[[ $rc == 0 ]] || fail "$what: rsync exit status $rc: $(cat "$T/rsync.err")"
}

# round CLIENT RSH: up, down, then an incremental change up and down with --delete.
round() {
	local who=$1 rsh=$2 dst="$T/dst.$1" back="$T/back.$1"
	say "[$who] remote shell: $rsh"
	say "[$who] rsync up"
	run_rsync "$who upload" "$rsh" "$src/" "$SSH_USER@127.0.0.1:$dst/"
	same "$src" "$dst" "$who upload"
	say "[$who] rsync back down"
	run_rsync "$who download" "$rsh" "$SSH_USER@127.0.0.1:$dst/" "$back/"
	same "$src" "$back" "$who download"
	say "[$who] incremental: change, add and delete files, rsync --delete up and down"
	printf 'changed by %s\n' "$who" >>"$src/d5/s2/f3.txt"
	gen_data 123457 >"$src/big/blob6-$who.bin"
	dd if=/dev/zero of="$src/big/blob3.bin" bs=1 count=16 seek=$((100000 + ${#who})) conv=notrunc status=none
	rm -f "$src/d6/s1/f9.txt" "$src/d6/s1/f10.txt"
	rm -rf "$src/d7/s4"
	ln -sfn "../s3/f2-$who.txt" "$src/d1/s1/rel-link-$who"
	run_rsync "$who incremental upload" "$rsh" --delete --stats "$src/" "$SSH_USER@127.0.0.1:$dst/"
	same "$src" "$dst" "$who incremental upload"
	grep -q 'Number of regular files transferred: [1-9]' "$T/rsync.out" || fail "$who: incremental upload sent nothing"
	run_rsync "$who incremental download" "$rsh" --delete "$SSH_USER@127.0.0.1:$dst/" "$back/"
	same "$src" "$back" "$who incremental download"
}

round openssh "$(ssh_client_cmdline)"
# ferry's own client, with its own known_hosts file.
round ferry "$(FERRY_TEST_CLIENT=ferry client_cmdline -o "UserKnownHostsFile=$T/known_hosts.ferry")"
ferryd_pass
