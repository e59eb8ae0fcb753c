#!/usr/bin/env bash
# Adversarial client tests: ferry ssh against a fake server sending malformed binary packets (RFC 4253 §6, RFC 5647 §7, OpenSSH PROTOCOL 1.6).
#
# packet_length and padding errors come in the first (unencrypted) packet; MAC/tag errors in the
# first packet after NEWKEYS, with aes128-gcm@openssh.com and with aes128-ctr + hmac-sha2-256.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [[ -f $here/../lib/harness.sh ]]; then source "$here/../lib/harness.sh"; fi
source "$here/../lib/badserver.sh"
bs_require

GCM=(--opt -c --opt aes128-gcm@openssh.com)
CTR=(--opt -c --opt aes128-ctr --opt -m --opt hmac-sha2-256)

# Positive controls for both packet protections (the CTR one also checks the strict-KEX
# sequence number reset, which only a MAC over the sequence number can reveal).
bs_accept "${GCM[@]}" "good over aes128-gcm: echo hi" good "hi" echo hi
bs_accept "${CTR[@]}" "good over aes128-ctr + hmac-sha2-256: echo hi" good "hi" echo hi

LEN='packet|length|size|corrupt|message authentication|\bmac\b'
bs_reject "packet_length 0" pkt_len_0 "$LEN"
bs_reject "packet_length 5 (not a block multiple, no payload)" pkt_len_5 "$LEN|padding|block"
bs_reject "packet_length 0xffffffff" pkt_len_max "$LEN"
bs_reject "packet_length 262145 (256 KiB + 1) in the first packet" pkt_len_256k1 "$LEN"
bs_reject "padding_length 200 in a 12-byte packet" padding_too_big "$LEN|padding|incomplete"
bs_reject "padding_length 3 (RFC 4253 §6: at least 4)" padding_too_small "$LEN|padding"

MAC='\bmac\b|message authentication|integrity|authentication tag|\btag\b|decrypt|corrupt'
bs_reject "${GCM[@]}" "aes128-gcm: ciphertext byte flipped after NEWKEYS" mac_flip_ct "$MAC"
bs_reject "${GCM[@]}" "aes128-gcm: tag byte flipped after NEWKEYS" mac_flip_tag "$MAC"
bs_reject "${CTR[@]}" "aes128-ctr+hmac: ciphertext byte flipped after NEWKEYS" mac_flip_ct "$MAC"
bs_reject "${CTR[@]}" "aes128-ctr+hmac: MAC byte flipped after NEWKEYS" mac_flip_tag "$MAC"

CLOSED='closed|connection|eof|end of file|reset|truncated|incomplete'
bs_reject "connection closed mid-packet (first packet)" close_mid_packet "$CLOSED"
bs_reject "connection closed mid-packet (first encrypted packet)" close_mid_packet_encrypted "$CLOSED"

bs_done
