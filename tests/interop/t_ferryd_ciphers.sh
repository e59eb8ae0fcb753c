#!/usr/bin/env bash
# tests/interop/t_ferryd_ciphers.sh: OpenSSH's ssh against ferryd with every cipher (and MAC, for the CTR ciphers) ferry implements (RFC 4253 s6.3/s6.4, RFC 4344, RFC 5647, RFC 6668, OpenSSH PROTOCOL.chacha20poly1305).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../lib/ferryd.sh"

CTR_CIPHERS=(aes128-ctr aes192-ctr aes256-ctr)
MACS=(hmac-sha2-256-etm@openssh.com hmac-sha2-512-etm@openssh.com hmac-sha2-256 hmac-sha2-512
	hmac-sha1-etm@openssh.com hmac-sha1)
AEAD_CIPHERS=(aes128-gcm@openssh.com aes256-gcm@openssh.com chacha20-poly1305@openssh.com)

ferryd_start
BASIC_BYTES=$(scaled_bytes 64)
expect_ok "first contact" -- true

# ssh -v prints "kex: client->server cipher: C MAC: M compression: none" and the same for
# server->client: both directions must carry exactly what -c/-m forced.
count=0
for c in "${CTR_CIPHERS[@]}"; do
	for m in "${MACS[@]}"; do
		say "cipher $c, MAC $m"
		check_suite "$c/$m" -c "$c" -m "$m" -- \
			"kex: client->server cipher: $c MAC: $m compression" \
			"kex: server->client cipher: $c MAC: $m compression"
		count=$((count + 1))
	done
done
for c in "${AEAD_CIPHERS[@]}"; do
	say "cipher $c (AEAD)"
	check_suite "$c" -c "$c" -- \
		"kex: client->server cipher: $c MAC: <implicit> compression" \
		"kex: server->client cipher: $c MAC: <implicit> compression"
	count=$((count + 1))
done

# A cipher the server does not offer is refused at key exchange, not silently replaced (ssh
# reports "Unable to negotiate" at LogLevel INFO).
say "no common cipher"
ssh_run -o LogLevel=INFO -c 3des-cbc -- true </dev/null
assert_eq "$RC" 255 "exit status without a common cipher"
assert_file_contains "$T/err" "no matching cipher" "client's complaint without a common cipher"
ferryd_pass "$count cipher suites"
