#!/usr/bin/env bash
# tests/interop/t_rsync.sh: rsync uses the client as its remote shell (-e) to copy a tree with symlinks to OpenSSH's sshd and back, and again incrementally (RFC 4254 s6.5 exec channels).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

command -v rsync >/dev/null || skip "rsync not found"
sshd_start
expect_ok "first contact" -- true
RSH=$(client_cmdline)
say "remote shell: $RSH"

# --- a tree of 1,000 files: nested directories, varied sizes and modes, odd names, symlinks ---
src="$T/src"
mkdir -p "$src"
files=0
for d in $(seq 1 10); do
	for s in $(seq 1 4); do
		dir="$src/d$d/s$s"
		mkdir -p "$dir"
		for f in $(seq 1 24); do
			# Small text files of varying length; one in 7 is executable.
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

# listing DIR: what must survive the copy: every entry's path, type, mode, size and mtime (for
# files and directories) or link target (for symlinks).
listing() {
	(cd "$1" && find . -mindepth 1 \( -type l -printf '%p link -> %l\n' \) -o \
		\( -type d -printf '%p dir %m %Ts\n' \) -o -printf '%p file %m %s %Ts\n' | LC_ALL=C sort)
}

# same DIR_A DIR_B WHAT: contents (diff -r, symlinks compared as links) and listing equal.
same() {
	diff -r --no-dereference "$1" "$2" >"$T/diff.out" 2>&1 || fail "$3: diff -r differs: $(head -n 20 "$T/diff.out")"
	listing "$1" >"$T/list.a"
	listing "$2" >"$T/list.b"
	diff "$T/list.a" "$T/list.b" >"$T/diff.out" || fail "$3: metadata differs: $(head -n 20 "$T/diff.out")"
	[[ -L $2/d1/s1/rel-link && $(readlink "$2/d1/s1/rel-link") == ../s2/f1.txt ]] ||
		fail "$3: relative symlink not preserved"
	[[ -L $2/d2/dangling ]] || fail "$3: dangling symlink not preserved"
}

run_rsync() { # WHAT ARGS...
	local what=$1
	shift
	local rc=0
	# shellcheck disable=SC2086
	timeout -k 5 "$FERRY_TEST_TIMEOUT" rsync -a -e "$RSH" "$@" >"$T/rsync.out" 2>"$T/rsync.err" || rc=$?
	check_sanitizer "$T/rsync.err"
	[[ $rc == 0 ]] || fail "$what: rsync exit status $rc: $(cat "$T/rsync.err")"
}

say "rsync up to $SSH_USER@127.0.0.1:dst"
run_rsync "upload" "$src/" "$SSH_USER@127.0.0.1:$T/dst/"
same "$src" "$T/dst" "upload"

say "rsync back down"
run_rsync "download" "$SSH_USER@127.0.0.1:$T/dst/" "$T/back/"
same "$src" "$T/back" "download"

say "incremental: change, add and delete some files, rsync --delete up again"
printf 'changed\n' >>"$src/d5/s2/f3.txt"
gen_data 123457 >"$src/big/blob6.bin"
dd if=/dev/zero of="$src/big/blob3.bin" bs=1 count=16 seek=100000 conv=notrunc status=none
rm -f "$src/d6/s1/f9.txt"
rm -rf "$src/d7/s4"
ln -sfn ../s3/f2.txt "$src/d1/s1/rel-link2"
run_rsync "incremental upload" --delete --stats "$src/" "$SSH_USER@127.0.0.1:$T/dst/"
same "$src" "$T/dst" "incremental upload"
grep -q 'Number of regular files transferred: [1-9]' "$T/rsync.out" || fail "incremental upload sent nothing"

say "incremental back down with --delete"
run_rsync "incremental download" --delete "$SSH_USER@127.0.0.1:$T/dst/" "$T/back/"
same "$src" "$T/back" "incremental download"
pass
