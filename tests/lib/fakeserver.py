#!/usr/bin/env python3
"""Scripted fake SSH server that misbehaves on purpose, for ferry's bad-input client tests.

Speaks just enough of the real protocol to reach the point where each scenario breaks it:
RFC 4253 (banner, binary packet protocol, KEXINIT, NEWKEYS, key derivation), RFC 8731
(curve25519-sha256), RFC 8709 (ssh-ed25519 host key), RFC 5647 / OpenSSH PROTOCOL 1.6
(aes128-gcm@openssh.com), RFC 4344 + RFC 6668 (aes128-ctr + hmac-sha2-256), OpenSSH strict
KEX (PROTOCOL 1.9), RFC 8308 (EXT_INFO), RFC 4252 (userauth, accepts any key unchecked) and
RFC 4254 (one session channel that fakes a few commands).

Usage: fakeserver.py --scenario NAME [--port N]     (port 0: pick one, print it first on stdout)
       fakeserver.py --list                          (scenarios and what they do)
       fakeserver.py --gen-client-key PATH           (throwaway ed25519 client key, OpenSSH format)

Serves exactly one connection, logs what it does on stderr, then exits. Only the standard
library and python3-cryptography are used; the wire code is shared with fakeclient.py in
sshwire.py next to this file.
"""

import argparse
import os
import socket
import sys
import time

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sshwire import (  # noqa: E402  (the shared wire code lives next to this file)
    MSG_CHANNEL_CLOSE, MSG_CHANNEL_DATA, MSG_CHANNEL_EOF, MSG_CHANNEL_EXTENDED_DATA,
    MSG_CHANNEL_FAILURE, MSG_CHANNEL_OPEN, MSG_CHANNEL_OPEN_CONFIRMATION, MSG_CHANNEL_OPEN_FAILURE,
    MSG_CHANNEL_REQUEST, MSG_CHANNEL_SUCCESS, MSG_CHANNEL_WINDOW_ADJUST, MSG_DEBUG, MSG_EXT_INFO,
    MSG_GLOBAL_REQUEST, MSG_IGNORE, MSG_KEXINIT, MSG_KEX_ECDH_INIT, MSG_KEX_ECDH_REPLY,
    MSG_NEWKEYS, MSG_REQUEST_FAILURE, MSG_SERVICE_ACCEPT, MSG_SERVICE_REQUEST,
    MSG_USERAUTH_FAILURE, MSG_USERAUTH_PK_OK, MSG_USERAUTH_REQUEST, MSG_USERAUTH_SUCCESS,
    STRICT_C, CutDone, PeerClosed, ProtoError, Reader, Transport, boolean, choose, exchange_hash,
    make_state, mpint_from_bytes, parse_kexinit, sshstr, u32)

SERVER_VERSION = b"SSH-2.0-ferry_fakeserver_1.0"

# What the server offers (the brief fixes these; kex-strict-s is the strict KEX marker).
OFFER_KEX = "curve25519-sha256,kex-strict-s-v00@openssh.com"
OFFER_HOSTKEY = "ssh-ed25519"
OFFER_CIPHER = "aes128-gcm@openssh.com,aes128-ctr"
OFFER_MAC = "hmac-sha2-256"
OFFER_COMP = "none"


SCENARIOS = {
    # name: what the server does (the client is expected to fail unless the name starts "good")
    "good": "complete handshake, accept any key, run the command (true/false/echo/exit N)",
    "good_prebanner": "3 short text lines before the banner, then behave like good",
    "silent": "accept the connection and never send anything",
    "silent_after_banner": "send the banner, then nothing (no KEXINIT), hold the connection",
    "banner_garbage": "binary junk instead of a banner, then close",
    "banner_long": "300 KB of 'A' without a newline, then hold",
    "banner_many_lines": "--lines N (default 5000) short pre-banner lines, then a valid banner",
    "banner_ssh1": "banner 'SSH-1.5-...' (protocol 1), then hold",
    "pkt_len_0": "first packet has packet_length 0, then hold",
    "pkt_len_5": "first packet has packet_length 5 (not a block multiple, no payload), then hold",
    "pkt_len_max": "first packet has packet_length 0xffffffff, then hold",
    "pkt_len_256k1": "first packet has packet_length 262145 (256 KiB + 1), then hold",
    "padding_too_big": "first packet: packet_length 12, padding_length 200, then hold",
    "padding_too_small": "first packet: a KEXINIT with padding_length 3 (RFC 4253 6: min 4)",
    "mac_flip_ct": "after NEWKEYS: first encrypted packet has one ciphertext byte flipped",
    "mac_flip_tag": "after NEWKEYS: first encrypted packet has one MAC/tag byte flipped",
    "strict_ignore_in_kex": "SSH_MSG_IGNORE between KEXINIT and KEX_ECDH_REPLY (strict KEX)",
    "strict_debug_in_kex": "SSH_MSG_DEBUG between KEXINIT and KEX_ECDH_REPLY (strict KEX)",
    "strict_kexinit_not_first": "SSH_MSG_IGNORE before the first KEXINIT (strict KEX)",
    "auth_success_unsolicited": "USERAUTH_SUCCESS right after NEWKEYS, before SERVICE_ACCEPT",
    "chan_data_before_auth": "CHANNEL_DATA right after SERVICE_ACCEPT, before auth completes",
    "chan_confirm_before_auth": "CHANNEL_OPEN_CONFIRMATION right after SERVICE_ACCEPT",
    "ext_info_huge_count": "EXT_INFO with nr-extensions 0xffffffff and one extension",
    "ext_info_truncated": "EXT_INFO with nr-extensions 1000 but only 3 extensions present",
    "hostkey_bad_sig": "KEX_ECDH_REPLY whose ed25519 exchange-hash signature has a flipped byte",
    "close_mid_packet": "first 10 bytes of the KEXINIT packet, then close (FIN)",
    "close_mid_packet_encrypted": "half of the first encrypted packet, then close (FIN)",
    "kex_no_common": "KEXINIT offering only cipher 'des-fake', then wait for the client to quit",
}


def log(msg):
    sys.stderr.write("fakeserver[%.3f]: %s\n" % (time.monotonic() - START, msg))
    sys.stderr.flush()


START = time.monotonic()


# ---- the server script ----

class Session:
    def __init__(self, sock, scenario, args):
        self.t = Transport(sock, peer="client", log=log)
        self.sock = sock
        self.sc = scenario
        self.args = args
        self.hostkey = ed25519.Ed25519PrivateKey.generate()
        self.v_c = b""
        self.session_id = None
        self.client_strict = False
        self.client_ext_info = False

    # endings

    def finish(self, why):
        """Half-close and drain: a plain close() with unread client bytes would send RST and
        the client could see 'connection reset' before reading what we sent."""
        log("finishing: %s" % why)
        try:
            self.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        self.drain()

    def hold(self, why):
        """Keep the connection open, reading and discarding, until the client gives up."""
        log("holding the connection open: %s" % why)
        self.drain()

    def drain(self):
        deadline = time.monotonic() + self.args.hold
        total = len(self.t.rbuf)
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                break
            except OSError as e:
                log("client connection error: %s (after %d bytes)" % (e, total))
                return
            if not chunk:
                log("client closed the connection (read %d more bytes while waiting)" % total)
                return
            total += len(chunk)
        log("client still connected after %ds, giving up" % self.args.hold)

    # phases

    def run(self):
        sc = self.sc
        if sc == "silent":
            return self.hold("scenario silent: sending nothing at all")
        if sc == "banner_garbage":
            self.t.send_raw(bytes([0x00, 0xFF, 0x13, 0x37, 0x80, 0x01]) + os.urandom(200) + b"\x00\xfe")
            return self.finish("sent binary junk instead of a banner")
        if sc == "banner_long":
            self.t.send_raw(b"A" * (300 * 1024))
            return self.hold("sent 300 KB without a newline")
        if sc == "banner_ssh1":
            self.t.send_raw(b"SSH-1.5-ferry_fakeserver\r\n")
            return self.hold("sent a protocol 1 banner")
        if sc == "banner_many_lines":
            n = self.args.lines
            self.t.send_raw(b"".join(b"pre-banner line %d\r\n" % i for i in range(n)))
            log("sent %d pre-banner lines" % n)
        if sc == "good_prebanner":
            self.t.send_raw(b"Welcome to the fake server\r\nThis is not the banner\r\n\r\n")
        self.t.send_raw(SERVER_VERSION + b"\r\n")
        if sc == "silent_after_banner":
            return self.hold("sent the banner, sending nothing more")

        # RFC 4253 §4.2: the client sends its version line; take the SSH- one.
        while True:
            line = self.t.read_line()
            if line.startswith(b"SSH-"):
                self.v_c = line
                break
            log("client sent a non-banner line %r" % line[:80])
        log("client banner %r" % self.v_c.decode("ascii", "replace"))

        if self.malformed_first_packet():
            return
        return self.kex()

    def malformed_first_packet(self):
        """Scenarios that replace our first binary packet; True when the scenario is done."""
        sc = self.sc
        if sc == "pkt_len_0":
            self.t.send_raw(u32(0) + b"\x04" + b"\x00" * 11)
        elif sc == "pkt_len_5":
            # 4 + 5 = 9 is not a multiple of 8 and there is no payload byte (RFC 4253 §6).
            self.t.send_raw(u32(5) + b"\x04" + b"\x00" * 4)
        elif sc == "pkt_len_max":
            self.t.send_raw(u32(0xFFFFFFFF) + b"\x04" + b"\x14" + b"\x00" * 10)
        elif sc == "pkt_len_256k1":
            self.t.send_raw(u32(262145) + b"\x04" + b"\x14" + b"\x00" * 10)
        elif sc == "padding_too_big":
            # 4 + 12 = 16 is a valid size, but 200 bytes of padding cannot fit in 12.
            self.t.send_raw(u32(12) + bytes([200]) + bytes([MSG_IGNORE]) + b"\x00" * 10)
        elif sc == "close_mid_packet":
            lenb, body = self.t.frame(self.kexinit_payload())
            self.t.send_raw((lenb + body)[:10])
            self.finish("sent the first 10 bytes of the KEXINIT packet")
            return True
        else:
            return False
        self.hold("sent a malformed first packet (%s)" % sc)
        return True

    def kexinit_payload(self):
        if not hasattr(self, "_i_s"):
            cipher = "des-fake" if self.sc == "kex_no_common" else OFFER_CIPHER

            def build(lang):
                return (bytes([MSG_KEXINIT]) + os.urandom(16) +
                        sshstr(OFFER_KEX) + sshstr(OFFER_HOSTKEY) +
                        sshstr(cipher) + sshstr(cipher) +
                        sshstr(OFFER_MAC) + sshstr(OFFER_MAC) +
                        sshstr(OFFER_COMP) + sshstr(OFFER_COMP) +
                        sshstr("") + sshstr(lang) +
                        boolean(False) + u32(0))

            self._i_s = build("")
            if self.sc == "padding_too_small":
                # Make 4 + 1 + payload + 3 a multiple of 8, so that the only fault in the packet
                # is padding_length 3; a private-use language tag (RFC 5646 x-...) takes up the
                # slack without touching any algorithm list.
                d = -len(self._i_s) % 8
                if d:
                    extra = d if d >= 3 else d + 8
                    self._i_s = build("x-" + "a" * (extra - 2))
        return self._i_s

    def kex(self):
        sc = self.sc
        t = self.t
        if sc == "strict_kexinit_not_first":
            t.send_packet(bytes([MSG_IGNORE]) + sshstr(b"before kexinit"))
            log("sent IGNORE before KEXINIT")
        i_s = self.kexinit_payload()
        if sc == "padding_too_small":
            t.send_packet(i_s, padlen_override=3)
            log("sent KEXINIT with padding_length 3")
        else:
            t.send_packet(i_s)

        i_c = t.recv_packet(skip_chatter=False)
        if i_c[0] != MSG_KEXINIT:
            raise ProtoError("expected client KEXINIT, got %d" % i_c[0])
        lists, follows = parse_kexinit(i_c)
        kex_c, hk_c, enc_cs, enc_sc, mac_cs, mac_sc, comp_cs, comp_sc = lists[:8]
        self.client_strict = STRICT_C in kex_c
        self.client_ext_info = "ext-info-c" in kex_c
        log("client KEXINIT: kex=%s" % ",".join(kex_c))
        log("client KEXINIT: hostkey=%s" % ",".join(hk_c))
        log("client KEXINIT: ciphers=%s macs=%s comp=%s follows=%s" % (
            ",".join(enc_cs), ",".join(mac_cs), ",".join(comp_cs), follows))
        log("client offers strict KEX: %s, ext-info-c: %s" % (self.client_strict, self.client_ext_info))

        try:
            srv_cipher = ["des-fake"] if sc == "kex_no_common" else OFFER_CIPHER.split(",")
            choose("kex", kex_c, ["curve25519-sha256"])
            choose("host key algorithm", hk_c, [OFFER_HOSTKEY])
            c_cs = choose("cipher c2s", enc_cs, srv_cipher)
            c_sc = choose("cipher s2c", enc_sc, srv_cipher)
            m_cs = m_sc = None
            if c_cs != "aes128-gcm@openssh.com":
                m_cs = choose("mac c2s", mac_cs, [OFFER_MAC])
            if c_sc != "aes128-gcm@openssh.com":
                m_sc = choose("mac s2c", mac_sc, [OFFER_MAC])
            choose("compression c2s", comp_cs, ["none"])
            choose("compression s2c", comp_sc, ["none"])
        except ProtoError as e:
            log(str(e))
            return self.hold("negotiation failed, waiting for the client to give up")
        log("negotiated cipher c2s=%s s2c=%s mac c2s=%s s2c=%s" % (c_cs, c_sc, m_cs, m_sc))
        strict = self.client_strict  # we always offer kex-strict-s

        if sc == "strict_ignore_in_kex":
            t.send_packet(bytes([MSG_IGNORE]) + sshstr(b"ignore me during kex"))
            log("sent IGNORE during the initial KEX (strict=%s)" % strict)
        if sc == "strict_debug_in_kex":
            t.send_packet(bytes([MSG_DEBUG]) + boolean(False) + sshstr("debug during kex") + sshstr(""))
            log("sent DEBUG during the initial KEX (strict=%s)" % strict)

        p = t.recv_packet(skip_chatter=not strict)
        if p[0] != MSG_KEX_ECDH_INIT:
            raise ProtoError("expected KEX_ECDH_INIT, got %d" % p[0])
        q_c = Reader(p[1:]).string()
        if len(q_c) != 32:
            raise ProtoError("client X25519 key is %d bytes" % len(q_c))

        # RFC 8731 §3: ephemeral X25519, shared secret K as an mpint of the 32 raw bytes.
        eph = x25519.X25519PrivateKey.generate()
        q_s = eph.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        shared = eph.exchange(x25519.X25519PublicKey.from_public_bytes(q_c))
        k = mpint_from_bytes(shared)
        hk_pub = self.hostkey.public_key().public_bytes(serialization.Encoding.Raw,
                                                        serialization.PublicFormat.Raw)
        k_s = sshstr("ssh-ed25519") + sshstr(hk_pub)
        # RFC 8731 §3.1 / RFC 5656 §4: H = SHA-256 over these, in this order.
        h = exchange_hash(self.v_c, SERVER_VERSION, i_c, i_s, k_s, q_c, q_s, k)
        if self.session_id is None:
            self.session_id = h
        sig = self.hostkey.sign(h)
        if sc == "hostkey_bad_sig":
            sig = sig[:-1] + bytes([sig[-1] ^ 0x01])
            log("flipped a byte of the exchange-hash signature")
        t.send_packet(bytes([MSG_KEX_ECDH_REPLY]) + sshstr(k_s) + sshstr(q_s) +
                      sshstr(sshstr("ssh-ed25519") + sshstr(sig)))
        t.send_packet(bytes([MSG_NEWKEYS]))
        # Strict KEX: the sequence number restarts at zero after each NEWKEYS.
        if strict:
            t.seq_send = 0
        t.out = make_state(k, h, self.session_id, c_sc, m_sc, "B", "D", "F", encrypt=True)
        log("sent NEWKEYS, outgoing keys active")

        if sc in ("mac_flip_ct", "mac_flip_tag"):
            t.corrupt_next = "ct" if sc == "mac_flip_ct" else "tag"
        if sc == "close_mid_packet_encrypted":
            t.cut_next = True

        try:
            self.after_newkeys_send()
        except CutDone:
            return self.finish("cut the first encrypted packet in half")

        p = t.recv_packet(skip_chatter=not strict)
        if p[0] != MSG_NEWKEYS:
            raise ProtoError("expected NEWKEYS, got %d" % p[0])
        if strict:
            t.seq_recv = 0
        t.inp = make_state(k, h, self.session_id, c_cs, m_cs, "A", "C", "E", encrypt=False)
        log("received NEWKEYS, incoming keys active")
        return self.userauth()

    def after_newkeys_send(self):
        """What we send right after our NEWKEYS (before reading the client's)."""
        sc = self.sc
        t = self.t
        if sc == "ext_info_huge_count":
            t.send_packet(bytes([MSG_EXT_INFO]) + u32(0xFFFFFFFF) +
                          sshstr("server-sig-algs") + sshstr("ssh-ed25519"))
            log("sent EXT_INFO with nr-extensions 0xffffffff")
        elif sc == "ext_info_truncated":
            t.send_packet(bytes([MSG_EXT_INFO]) + u32(1000) +
                          sshstr("server-sig-algs") + sshstr("ssh-ed25519") +
                          sshstr("no-flow-control") + sshstr("p") +
                          sshstr("ping@openssh.com") + sshstr("0"))
            log("sent EXT_INFO claiming 1000 extensions, holding 3")
        elif self.client_ext_info:
            # RFC 8308 §2.4: the usual, well-formed EXT_INFO right after NEWKEYS.
            t.send_packet(bytes([MSG_EXT_INFO]) + u32(1) +
                          sshstr("server-sig-algs") + sshstr("ssh-ed25519,rsa-sha2-256,rsa-sha2-512"))
            log("sent EXT_INFO server-sig-algs")
        if sc == "auth_success_unsolicited":
            t.send_packet(bytes([MSG_USERAUTH_SUCCESS]))
            log("sent USERAUTH_SUCCESS before SERVICE_ACCEPT")

    def userauth(self):
        sc = self.sc
        t = self.t
        p = t.recv_packet()
        if p[0] != MSG_SERVICE_REQUEST:
            raise ProtoError("expected SERVICE_REQUEST, got %d" % p[0])
        svc = Reader(p[1:]).text()
        log("client requests service %r" % svc)
        t.send_packet(bytes([MSG_SERVICE_ACCEPT]) + sshstr(svc))
        if sc == "chan_data_before_auth":
            t.send_packet(bytes([MSG_CHANNEL_DATA]) + u32(0) + sshstr(b"data before auth\n"))
            log("sent CHANNEL_DATA before authentication")
        if sc == "chan_confirm_before_auth":
            t.send_packet(bytes([MSG_CHANNEL_OPEN_CONFIRMATION]) + u32(0) + u32(0) +
                          u32(2 * 1024 * 1024) + u32(32768))
            log("sent CHANNEL_OPEN_CONFIRMATION before authentication")

        while True:
            p = t.recv_packet()
            if p[0] != MSG_USERAUTH_REQUEST:
                raise ProtoError("expected USERAUTH_REQUEST, got %d" % p[0])
            r = Reader(p[1:])
            user, service, method = r.text(), r.text(), r.text()
            log("userauth request user=%r service=%r method=%r" % (user, service, method))
            # The hostbound variant (OpenSSH PROTOCOL 3.1) only adds fields after the key blob.
            if method in ("publickey", "publickey-hostbound-v00@openssh.com"):
                has_sig = r.boolean()
                alg = r.string()
                blob = r.string()
                if not has_sig:
                    t.send_packet(bytes([MSG_USERAUTH_PK_OK]) + sshstr(alg) + sshstr(blob))
                    continue
                # Any signature is accepted unchecked: the fake is for client tests.
                t.send_packet(bytes([MSG_USERAUTH_SUCCESS]))
                log("publickey accepted (%s)" % alg.decode("ascii", "replace"))
                break
            t.send_packet(bytes([MSG_USERAUTH_FAILURE]) + sshstr("publickey") + boolean(False))
        return self.connection()

    def connection(self):
        t = self.t
        peer = None
        sent_close = False
        while True:
            try:
                p = t.recv_packet()
            except PeerClosed as e:
                log(str(e))
                return
            typ = p[0]
            r = Reader(p[1:])
            if typ == MSG_GLOBAL_REQUEST:
                name = r.text()
                want = r.boolean()
                log("global request %r want_reply=%s" % (name, want))
                if want:
                    t.send_packet(bytes([MSG_REQUEST_FAILURE]))
            elif typ == MSG_CHANNEL_OPEN:
                ctype = r.text()
                sender = r.u32()
                log("channel open %r from client channel %d" % (ctype, sender))
                if ctype != "session" or peer is not None:
                    t.send_packet(bytes([MSG_CHANNEL_OPEN_FAILURE]) + u32(sender) + u32(1) +
                                  sshstr("only one session") + sshstr(""))
                    continue
                peer = sender
                t.send_packet(bytes([MSG_CHANNEL_OPEN_CONFIRMATION]) + u32(peer) + u32(0) +
                              u32(2 * 1024 * 1024) + u32(32768))
            elif typ == MSG_CHANNEL_REQUEST:
                r.u32()
                rtype = r.text()
                want = r.boolean()
                log("channel request %r want_reply=%s" % (rtype, want))
                if rtype in ("exec", "shell"):
                    cmd = r.text() if rtype == "exec" else ""
                    if want:
                        t.send_packet(bytes([MSG_CHANNEL_SUCCESS]) + u32(peer))
                    self.run_command(peer, cmd)
                    sent_close = True
                elif want:
                    ok = rtype in ("env", "pty-req")
                    t.send_packet(bytes([MSG_CHANNEL_SUCCESS if ok else MSG_CHANNEL_FAILURE]) + u32(peer))
            elif typ == MSG_CHANNEL_CLOSE:
                log("client closed the channel")
                if not sent_close and peer is not None:
                    t.send_packet(bytes([MSG_CHANNEL_CLOSE]) + u32(peer))
                return self.finish("session over")
            elif typ in (MSG_CHANNEL_DATA, MSG_CHANNEL_EXTENDED_DATA, MSG_CHANNEL_EOF,
                         MSG_CHANNEL_WINDOW_ADJUST):
                pass
            else:
                log("ignoring client message %d" % typ)

    def run_command(self, peer, cmd):
        """A few commands, enough for positive controls: true, false, echo ..., exit N."""
        t = self.t
        log("exec %r" % cmd)
        words = cmd.split()
        out, err, status = b"", b"", 0
        if not words or words[0] == "true":
            status = 0
        elif words[0] == "false":
            status = 1
        elif words[0] == "echo":
            out = (" ".join(words[1:]) + "\n").encode()
        elif words[0] == "exit" and len(words) == 2 and words[1].isdigit():
            status = int(words[1]) & 0xFF
        else:
            err = ("fakeserver: %s: command not supported\n" % words[0]).encode()
            status = 127
        if out:
            t.send_packet(bytes([MSG_CHANNEL_DATA]) + u32(peer) + sshstr(out))
        if err:
            t.send_packet(bytes([MSG_CHANNEL_EXTENDED_DATA]) + u32(peer) + u32(1) + sshstr(err))
        t.send_packet(bytes([MSG_CHANNEL_EOF]) + u32(peer))
        t.send_packet(bytes([MSG_CHANNEL_REQUEST]) + u32(peer) + sshstr("exit-status") +
                      boolean(False) + u32(status))
        t.send_packet(bytes([MSG_CHANNEL_CLOSE]) + u32(peer))


def gen_client_key(path):
    key = ed25519.Ed25519PrivateKey.generate()
    priv = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
                             serialization.NoEncryption())
    pub = key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                        serialization.PublicFormat.OpenSSH)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(priv)
    with open(path + ".pub", "wb") as f:
        f.write(pub + b" fakeserver-throwaway\n")


def main():
    ap = argparse.ArgumentParser(description="scripted misbehaving SSH server (one connection)")
    ap.add_argument("--scenario", default="good")
    ap.add_argument("--port", type=int, default=0, help="0: choose one and print it on stdout")
    ap.add_argument("--lines", type=int, default=5000, help="banner_many_lines: how many lines")
    ap.add_argument("--hold", type=float, default=30.0,
                    help="seconds to keep a connection open waiting for the client to quit")
    ap.add_argument("--accept-timeout", type=float, default=60.0)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--gen-client-key", metavar="PATH")
    args = ap.parse_args()

    if args.list:
        for name, what in SCENARIOS.items():
            print("%-28s %s" % (name, what))
        return 0
    if args.gen_client_key:
        gen_client_key(args.gen_client_key)
        return 0
    if args.scenario not in SCENARIOS:
        sys.stderr.write("fakeserver: unknown scenario %r (see --list)\n" % args.scenario)
        return 2

    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(1)
    # The port goes out first thing, so the test learns it without racing anyone for it.
    sys.stdout.write("%d\n" % ls.getsockname()[1])
    sys.stdout.flush()
    ls.settimeout(args.accept_timeout)
    try:
        sock, addr = ls.accept()
    except socket.timeout:
        log("no client connected within %ds" % args.accept_timeout)
        return 1
    ls.close()
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.settimeout(args.hold)
    log("scenario %s: connection from %s:%d" % (args.scenario, addr[0], addr[1]))
    sess = Session(sock, args.scenario, args)
    try:
        sess.run()
    except PeerClosed as e:
        log("connection ended: %s" % e)
    except ProtoError as e:
        log("protocol error from client: %s" % e)
        sess.hold("after a client protocol error")
    finally:
        sock.close()
    log("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
