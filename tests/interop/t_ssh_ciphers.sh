#!/usr/bin/env bash
# tests/interop/t_ssh_ciphers.sh: every cipher (and MAC, for the CTR ciphers) ferry offers works against OpenSSH's sshd (RFC 4253 s6.3/s6.4, RFC 4344, RFC 5647, OpenSSH PROTOCOL.chacha20poly1305).
source "$(dirname "${BASH_SOURCE[0]}")/../lib/harness.sh"

CTR_CIPHERS=(aes128-ctr aes192-ctr aes256-ctr)
MACS=(hmac-sha2-256-etm@openssh.com hmac-sha2-512-etm@openssh.com hmac-sha2-256 hmac-sha2-512
	hmac-sha1-etm@openssh.com hmac-sha1)
AEAD_CIPHERS=(aes128-gcm@openssh.com aes256-gcm@openssh.com chacha20-poly1305@openssh.com)

sshd_start
BASIC_BYTES=$(scaled_bytes 64)
# First contact records the host key, so later runs print nothing unexpected.
expect_ok "first contact" -- true

# negotiated CIPHER MAC: sshd's own record of what each connection since the mark used, both
# directions; the proof that the client really offered what -c/-m asked for.
negotiated() {
	local want="cipher: $1 MAC: $2 compression" lines n_all n_ok
	lines=$(log_since | grep -E 'kex: (client->server|server->client) cipher:' || true)
	n_all=$(grep -c . <<<"$lines" || true)
	n_ok=$(grep -cF -- "$want" <<<"$lines" || true)
	[[ $n_all -gt 0 && $n_all == "$n_ok" ]] ||
		fail "sshd did not negotiate '$1' / '$2' on every connection: $lines"
}

count=0
for c in "${CTR_CIPHERS[@]}"; do
	for m in "${MACS[@]}"; do
		say "cipher $c, MAC $m"
		log_mark
		check_basic "$c/$m" -c "$c" -m "$m"
		negotiated "$c" "$m"
		count=$((count + 1))
	done
done
for c in "${AEAD_CIPHERS[@]}"; do
	say "cipher $c (AEAD)"
	log_mark
	check_basic "$c" -c "$c"
	negotiated "$c" "<implicit>"
	count=$((count + 1))
done
pass "$count cipher suites"
