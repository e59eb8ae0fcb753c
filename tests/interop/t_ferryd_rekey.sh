#!/usr/bin/env bash
# tests/interop/t_ferryd_rekey.sh: key re-exchange with OpenSSH's ssh in the middle of bulk data, started by ferryd (RekeyLimit in its config, by bytes and by time) and by the client (RFC 4253 s9, RFC 4344 s3).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ferryd.sh"

# 1 GiB at scale 1; never under 64 MiB, so that at 16 MiB per key there are always rekeys.
BYTES=$(scaled_bytes 1024 64)
LIMIT_MIB=16
# Each direction carries BYTES, so the side with the limit must re-key about BYTES/16MiB
# times; demand half of that (and at least 2) to stay clear of rounding.
MIN_REKEYS=$(((BYTES / (LIMIT_MIB << 20)) / 2))
((MIN_REKEYS >= 2)) || MIN_REKEYS=2

# rekeys FILE WHO: how many key exchanges after the first one WHO (server|client) started,
# from `ssh -v` output. Each exchange logs one "SSH2_MSG_KEXINIT sent" and one "... received";
# ssh answers a peer's KEXINIT with its own, so a server-started exchange logs "received"
# first and a client-started one "sent" first.
rekeys() {
	grep -oE 'SSH2_MSG_KEXINIT (sent|received)' "$1" | awk -v who="$2" '
		{ s = s substr($2, 1, 1) }
		END {
			if (length(s) % 2) { print "odd"; exit }
			n = 0
			for (i = 3; i < length(s); i += 2) {
				p = substr(s, i, 2)
				if ((who == "server" && p == "rs") || (who == "client" && p == "sr")) n++
			}
			print n
		}'
}

# The ciphers are AES-GCM: ssh's own default limit for a 16-byte block cipher is 2^32 blocks
# (64 GiB), so within these transfers every re-key the client did not ask for came from the
# server, and vice versa.
say "server-initiated: RekeyLimit ${LIMIT_MIB}M in the server's config, $(human "$BYTES") each way"
ferryd_start "RekeyLimit ${LIMIT_MIB}M"
expect_ok "first contact" -- true
roundtrip "$BYTES" -v -c aes128-gcm@openssh.com
n=$(rekeys "$T/rt.err" server)
say "  the server started $n re-keys"
[[ $n != odd ]] || fail "unpaired KEXINIT lines in ssh -v output"
((n >= MIN_REKEYS)) || fail "the server re-keyed only $n times, expected at least $MIN_REKEYS"
assert_eq "$(rekeys "$T/rt.err" client)" 0 "re-keys started by the client without a limit"

say "server-initiated by time: RekeyLimit 1G 2 (every 2 s), output for 7 s"
ferryd_restart "RekeyLimit 1G 2"
ssh_run -v -c aes128-gcm@openssh.com -- 'for i in 1 2 3 4 5 6 7; do echo $i; sleep 1; done' </dev/null
assert_eq "$RC" 0 "timed session exit status"
assert_eq "$(paste -sd, "$T/out")" "1,2,3,4,5,6,7" "timed session output"
n=$(rekeys "$T/err" server)
say "  the server started $n re-keys"
((n >= 2)) || fail "the server re-keyed only $n times in 7 s with a 2 s limit"

say "client-initiated: ssh -o RekeyLimit=${LIMIT_MIB}M, no limit in the server, aes256-gcm"
ferryd_restart
roundtrip "$BYTES" -v -o "RekeyLimit=${LIMIT_MIB}M" -c aes256-gcm@openssh.com
n=$(rekeys "$T/rt.err" client)
say "  the client started $n re-keys"
((n >= MIN_REKEYS)) || fail "only $n client re-keys were completed, expected at least $MIN_REKEYS"
assert_eq "$(rekeys "$T/rt.err" server)" 0 "re-keys started by the server without a limit"

say "client-initiated with a CTR cipher and an encrypt-then-MAC"
roundtrip "$(scaled_bytes 128 64)" -v -o "RekeyLimit=${LIMIT_MIB}M" -c aes128-ctr -m hmac-sha2-256-etm@openssh.com
n=$(rekeys "$T/rt.err" client)
((n >= 2)) || fail "only $n client re-keys with aes128-ctr"
ferryd_pass
