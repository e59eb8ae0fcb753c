#!/usr/bin/env bash
# Adversarial server tests: ferryd against a fake client sending malformed binary packets (RFC 4253 §6, RFC 5647 §7, OpenSSH PROTOCOL 1.6).
#
# packet_length and padding errors in the first (cleartext) packet and in the first packet
# after NEWKEYS; one flipped ciphertext or MAC/tag byte after NEWKEYS, with
# aes128-gcm@openssh.com and with aes128-ctr + hmac-sha2-256.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$here/../lib/harness.sh"
source "$here/../lib/ferryd.sh"
source "$here/../lib/badclient.sh"
bc_require
bc_start

CTR=(--client --cipher --client aes128-ctr)
bc_accept "good over aes128-gcm" good --expect '^exit-status 0$'
bc_accept "${CTR[@]}" "good over aes128-ctr + hmac-sha2-256 (strict-KEX sequence numbers)" good \
	--expect '^exit-status 0$'

LEN='packet length|bad packet|packet size|length'
bc_reject --log "$LEN" "packet_length 0" pkt_len_0
bc_reject --log "$LEN|padding|block" "packet_length 5 (no payload, not a block multiple)" pkt_len_5
bc_reject --log "$LEN" "packet_length 0xffffffff" pkt_len_max
bc_reject --log "$LEN" "packet_length 262145 (256 KiB + 1)" pkt_len_256k1
bc_reject --log "$LEN|padding|incomplete" "padding_length 200 in a 12-byte packet" padding_too_big

bc_reject --log "$LEN|corrupt" "after NEWKEYS: packet_length 0" enc_pkt_len_0
bc_reject --log "$LEN|padding|block|mac|authentication" "after NEWKEYS: packet_length 5" enc_pkt_len_5
bc_reject --log "$LEN" "after NEWKEYS: packet_length 0xffffffff" enc_pkt_len_max
bc_reject --log "$LEN|corrupt" "after NEWKEYS: packet_length 262145" enc_pkt_len_256k1
bc_reject --log "$LEN|padding|incomplete" "after NEWKEYS: padding longer than the packet" enc_padding_too_big

MAC='\bmac\b|message authentication|integrity|authentication tag|\btag\b|decrypt|corrupt'
bc_reject --log "$MAC" "aes128-gcm: ciphertext byte flipped after NEWKEYS" mac_flip_ct
bc_reject --log "$MAC" "aes128-gcm: tag byte flipped after NEWKEYS" mac_flip_tag
bc_reject "${CTR[@]}" --log "$MAC" "aes128-ctr+hmac: ciphertext byte flipped after NEWKEYS" mac_flip_ct
bc_reject "${CTR[@]}" --log "$MAC" "aes128-ctr+hmac: MAC byte flipped after NEWKEYS" mac_flip_tag

bc_done
