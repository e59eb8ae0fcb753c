#!/usr/bin/env bash
# tests/interop/t_ssh_rekey.sh: key re-exchange in the middle of bulk data, started by OpenSSH's sshd and by the client (RFC 4253 s9, RFC 4344 s3).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

# 1 GiB at scale 1; never under 64 MiB, so that at 16 MiB per key there are always rekeys to see.
BYTES=$(scaled_bytes 1024 64)
LIMIT_MIB=16
# Each direction carries BYTES, so the side with the limit must re-key at least about
# BYTES/16MiB times; demand half of that (and at least 2) to stay clear of rounding.
MIN_REKEYS=$(((BYTES / (LIMIT_MIB << 20)) / 2))
((MIN_REKEYS >= 2)) || MIN_REKEYS=2

# count_kexinit WHAT: lines "SSH2_MSG_KEXINIT WHAT" sshd logged since the mark (one per key
# exchange: the first one plus each re-key).
count_kexinit() { log_since | grep -c "SSH2_MSG_KEXINIT $1" || true; }

say "server-initiated: sshd with RekeyLimit ${LIMIT_MIB}M, $(human "$BYTES") each way"
sshd_start "RekeyLimit ${LIMIT_MIB}M"
expect_ok "first contact" -- true
log_mark
roundtrip "$BYTES"
n=$(count_kexinit sent)
say "  sshd sent KEXINIT $n times (1 initial + re-keys)"
((n - 1 >= MIN_REKEYS)) || fail "sshd re-keyed only $((n - 1)) times, expected at least $MIN_REKEYS"
n=$(count_kexinit received)
((n - 1 >= MIN_REKEYS)) || fail "the client answered only $((n - 1)) re-keys, expected at least $MIN_REKEYS"

say "client-initiated: -o RekeyLimit=${LIMIT_MIB}M, sshd without a limit, aes256-gcm"
sshd_restart
expect_ok "first contact" -- true
log_mark
roundtrip "$BYTES" -o "RekeyLimit=${LIMIT_MIB}M" -c aes256-gcm@openssh.com
# sshd's own limit (the cipher's default, several GiB) is far away, so every KEXINIT it
# received after the first one came from the client.
n=$(count_kexinit received)
say "  sshd received KEXINIT $n times (1 initial + re-keys)"
((n - 1 >= MIN_REKEYS)) || fail "the client re-keyed only $((n - 1)) times, expected at least $MIN_REKEYS"

say "client-initiated with a CTR cipher and a MAC"
log_mark
roundtrip "$(scaled_bytes 256 64)" -o "RekeyLimit=${LIMIT_MIB}M" -c aes128-ctr -m hmac-sha2-256-etm@openssh.com
n=$(count_kexinit received)
((n - 1 >= 2)) || fail "the client re-keyed only $((n - 1)) times with aes128-ctr"
pass
