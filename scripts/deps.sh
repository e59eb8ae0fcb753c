#!/usr/bin/env bash
# scripts/deps.sh: install (as root) or report (otherwise) the Debian 12 packages that building, testing and benchmarking ferry need.
#
# Usage: scripts/deps.sh [build] [test] [bench] [all]     (default: build test)
#   build  compilers, CMake and the libraries ferry links (plus clang's sanitizer/libFuzzer runtime)
#   test   the peers and tools of the interop tests: OpenSSH server and client, Dropbear, rsync,
#          python3 + cryptography (the fake server), xxhash, procps, the openssl tool
#   bench  hyperfine
# Run as root it installs what is missing (one `apt-get update`, then one install); as another
# user it only lists what is missing. It exits 0 when everything asked for is installed (or as
# non-root, always: the build itself will say what it lacks), non-zero when an install failed.
set -euo pipefail

BUILD_PKGS=(cmake make gcc clang libclang-rt-dev pkg-config libssl-dev liburing-dev libzstd-dev libxxhash-dev)
TEST_PKGS=(openssh-server openssh-client dropbear-bin rsync python3 python3-cryptography xxhash procps openssl)
BENCH_PKGS=(hyperfine)

sets=("$@")
((${#sets[@]})) || sets=(build test)
want=()
for s in "${sets[@]}"; do
	case "$s" in
		build) want+=("${BUILD_PKGS[@]}") ;;
		test) want+=("${TEST_PKGS[@]}") ;;
		bench) want+=("${BENCH_PKGS[@]}") ;;
		all) want+=("${BUILD_PKGS[@]}" "${TEST_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
		-h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
		*) echo "deps.sh: unknown set '$s' (build, test, bench, all)" >&2; exit 2 ;;
	esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: not a Debian system (no dpkg-query); install by hand: ${want[*]}" >&2
	exit 0
fi

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		[[ " ${missing[*]} " == *" $p "* ]] || missing+=("$p")
	fi
done

if ((${#missing[@]} == 0)); then
	echo "deps.sh: all packages for '${sets[*]}' are installed"
	exit 0
fi

if [[ $(id -u) != 0 ]]; then
	echo "deps.sh: missing (run as root to install): ${missing[*]}"
	exit 0
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
