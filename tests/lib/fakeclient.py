#!/usr/bin/env python3
"""Scripted fake SSH client that misbehaves on purpose, for ferryd's bad-input tests.

Speaks the real protocol as far as a scenario needs (RFC 4253 version exchange, binary packets,
KEXINIT with curve25519-sha256 per RFC 8731, the server's ssh-ed25519 signature over the
exchange hash per RFC 8709, NEWKEYS with OpenSSH strict KEX per PROTOCOL 1.9, RFC 4252
publickey auth with an ed25519 key, RFC 4254 session channel and exec), then breaks it the way
the scenario says and reports what the server did.

Usage: fakeclient.py --port N --scenario NAME [--key PATH] [--user NAME] [options]
       fakeclient.py --list

stdout is the report, one fact per line; the last line is always one of
    RESULT ok                                  (the scenario ran to its end; see the facts)
    RESULT disconnect CODE NAME DESCRIPTION    (the server sent SSH_MSG_DISCONNECT)
    RESULT closed DETAIL                       (EOF or reset without a DISCONNECT)
    RESULT timeout DETAIL                      (the server went quiet; --wait / --deadline)
    RESULT error DETAIL                        (the fake could not follow the server)
stderr is a log of what was sent and received. Only the standard library and
python3-cryptography are used; the wire code is tests/lib/sshwire.py.
"""

import argparse
import base64
import hashlib
import os
import pwd
import select
import signal
import socket
import sys
import time

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, x25519

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sshwire import (  # noqa: E402  (the shared wire code lives next to this file)
    DISCONNECT_REASONS, MSG_CHANNEL_CLOSE, MSG_CHANNEL_DATA, MSG_CHANNEL_EOF,
    MSG_CHANNEL_EXTENDED_DATA, MSG_CHANNEL_FAILURE, MSG_CHANNEL_OPEN,
    MSG_CHANNEL_OPEN_CONFIRMATION, MSG_CHANNEL_OPEN_FAILURE, MSG_CHANNEL_REQUEST,
    MSG_CHANNEL_SUCCESS, MSG_CHANNEL_WINDOW_ADJUST, MSG_DISCONNECT, MSG_EXT_INFO,
    MSG_GLOBAL_REQUEST, MSG_IGNORE, MSG_KEX_ECDH_INIT, MSG_KEX_ECDH_REPLY, MSG_KEXINIT,
    MSG_NEWKEYS, MSG_REQUEST_FAILURE, MSG_SERVICE_ACCEPT, MSG_SERVICE_REQUEST,
    MSG_UNIMPLEMENTED, MSG_USERAUTH_BANNER, MSG_USERAUTH_FAILURE, MSG_USERAUTH_REQUEST, MSG_USERAUTH_SUCCESS,
    STRICT_C, STRICT_S, PeerClosed, PeerDisconnect, PeerTimeout, ProtoError, Reader, Transport,
    boolean, choose, exchange_hash, kexinit_payload, make_state, mpint_from_bytes,
    parse_kexinit, sshstr, u32)

CLIENT_VERSION = b"SSH-2.0-ferry_fakeclient_1.0"
OUR_WINDOW = 2 * 1024 * 1024
OUR_MAX_PACKET = 32768

SCENARIOS = {
    "good": "full handshake, publickey auth, exec --command, print its output and exit status",
    "banner_garbage": "binary junk with CR LF instead of a version line",
    "banner_long": "300 KB of 'A' without a newline instead of a version line",
    "banner_ssh1": "version line 'SSH-1.5-...' (protocol 1)",
    "pkt_len_0": "first packet: packet_length 0",
    "pkt_len_5": "first packet: packet_length 5 (no payload, not a block multiple)",
    "pkt_len_max": "first packet: packet_length 0xffffffff",
    "pkt_len_256k1": "first packet: packet_length 262145 (256 KiB + 1)",
    "padding_too_big": "first packet: packet_length 12 with padding_length 200",
    "enc_pkt_len_0": "first packet after NEWKEYS: packet_length 0",
    "enc_pkt_len_5": "first packet after NEWKEYS: packet_length 5",
    "enc_pkt_len_max": "first packet after NEWKEYS: packet_length 0xffffffff",
    "enc_pkt_len_256k1": "first packet after NEWKEYS: packet_length 262145",
    "enc_padding_too_big": "first packet after NEWKEYS: valid MAC, padding_length longer than the packet",
    "mac_flip_ct": "first packet after NEWKEYS with one ciphertext byte flipped",
    "mac_flip_tag": "first packet after NEWKEYS with one MAC/tag byte flipped",
    "strict_kexinit_not_first": "SSH_MSG_IGNORE before our KEXINIT (strict KEX)",
    "strict_ignore_in_kex": "SSH_MSG_IGNORE between KEXINIT and KEX_ECDH_INIT (strict KEX)",
    "service_request_in_kex": "SERVICE_REQUEST between KEXINIT and KEX_ECDH_INIT (RFC 4253 7.1)",
    "chan_open_in_kex": "CHANNEL_OPEN between KEXINIT and KEX_ECDH_INIT",
    "client_auth_success": "USERAUTH_SUCCESS from the client after SERVICE_ACCEPT, then CHANNEL_OPEN",
    "chan_open_before_auth": "CHANNEL_OPEN after SERVICE_ACCEPT, before any USERAUTH_REQUEST",
    "chan_open_before_service": "CHANNEL_OPEN right after NEWKEYS, before SERVICE_REQUEST",
    "window_overrun": "session channel (no command), then CHANNEL_DATA past the granted window",
    "window_overrun_exec": "session channel running --overrun-command, then data past the window",
    "many_channels": "--count session opens on one connection, then exec on one of them",
    "ext_info_huge_count": "EXT_INFO with nr-extensions 0xffffffff right after NEWKEYS, then go on",
}

START = time.monotonic()


def log(msg):
    sys.stderr.write("fakeclient[%.3f]: %s\n" % (time.monotonic() - START, msg))
    sys.stderr.flush()


def report(*words):
    """One line of the report on stdout (the test reads these)."""
    line = " ".join(str(w) for w in words)
    sys.stdout.write(line.replace("\n", "\\n") + "\n")
    sys.stdout.flush()


def printable(b, limit=200):
    """Untrusted bytes from the server, made safe for a one-line report."""
    s = b[:limit].decode("ascii", "backslashreplace")
    return "".join(c if 32 <= ord(c) < 127 else "\\x%02x" % ord(c) for c in s)


class Deadline(Exception):
    """--deadline passed (SIGALRM)."""


class ScenarioDone(Exception):
    """The scenario reached its end; the report is complete."""


class Client:
    def __init__(self, args):
        self.args = args
        self.sc = args.scenario
        self.sock = None
        self.t = None
        self.v_s = b""
        self.session_id = None
        self.strict = False
        self.key = None
        self.next_local = 0
        self.flood_sent = 0

    # ---- connection set-up ----

    def connect(self):
        s = socket.create_connection((self.args.host, self.args.port), timeout=self.args.wait)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(self.args.wait)
        self.sock = s
        self.t = Transport(s, peer="server", log=log, duplex=True)
        log("connected to %s:%d, scenario %s" % (self.args.host, self.args.port, self.sc))

    def read_server_version(self):
        # RFC 4253 §4.2: the server may send other lines first; the one starting "SSH-" counts.
        for _ in range(1024):
            line = self.t.read_line()
            if line.startswith(b"SSH-"):
                self.v_s = line
                report("server-version", printable(line))
                return
            log("server sent a pre-banner line %r" % line[:80])
        raise ProtoError("no version line in 1024 lines")

    def version(self):
        self.t.send_raw(CLIENT_VERSION + b"\r\n")
        self.read_server_version()

    def our_kexinit(self):
        kex = "curve25519-sha256,ext-info-c"
        if not self.args.no_strict:
            kex += "," + STRICT_C
        macs = "hmac-sha2-256"
        return kexinit_payload(kex, "ssh-ed25519", self.args.cipher, macs)

    def kex(self, before_kexinit=None, during=None):
        """The initial key exchange. before_kexinit / during: callables run right before our
        KEXINIT and between the two KEXINITs and our KEX_ECDH_INIT (misbehaviour hooks);
        during returning True ends the exchange there."""
        t = self.t
        if before_kexinit:
            before_kexinit()
        i_c = self.our_kexinit()
        t.send_packet(i_c)
        i_s = t.recv_packet(skip_chatter=False)
        if i_s[0] != MSG_KEXINIT:
            raise ProtoError("expected the server's KEXINIT first, got message %d" % i_s[0])
        lists, follows = parse_kexinit(i_s)
        kex_s, hk_s, enc_cs, enc_sc, mac_cs, mac_sc = lists[:6]
        log("server KEXINIT: kex=%s hostkey=%s ciphers=%s" % (",".join(kex_s), ",".join(hk_s), ",".join(enc_cs)))
        ours = parse_kexinit(i_c)[0]
        choose("kex", ours[0], kex_s)
        choose("host key algorithm", ours[1], hk_s)
        c_cs = choose("cipher c2s", ours[2], enc_cs)
        c_sc = choose("cipher s2c", ours[3], enc_sc)
        m_cs = choose("mac c2s", ours[4], mac_cs) if c_cs != "aes128-gcm@openssh.com" else None
        m_sc = choose("mac s2c", ours[5], mac_sc) if c_sc != "aes128-gcm@openssh.com" else None
        self.strict = STRICT_S in kex_s and not self.args.no_strict
        if follows:
            raise ProtoError("server guessed a KEX packet (first_kex_packet_follows); not supported")
        if during and during():
            return False

        # RFC 8731 §3: ephemeral X25519.
        eph = x25519.X25519PrivateKey.generate()
        q_c = eph.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        t.send_packet(bytes([MSG_KEX_ECDH_INIT]) + sshstr(q_c))
        p = t.recv_packet(skip_chatter=not self.strict)
        if p[0] != MSG_KEX_ECDH_REPLY:
            raise ProtoError("expected KEX_ECDH_REPLY, got message %d" % p[0])
        r = Reader(p[1:])
        k_s, q_s, sig_blob = r.string(), r.string(), r.string()
        kr = Reader(k_s)
        if kr.text() != "ssh-ed25519":
            raise ProtoError("server host key is not ssh-ed25519")
        hk_raw = kr.string()
        sr = Reader(sig_blob)
        if sr.text() != "ssh-ed25519":
            raise ProtoError("server signature is not ssh-ed25519")
        sig = sr.string()
        shared = eph.exchange(x25519.X25519PublicKey.from_public_bytes(q_s))
        k = mpint_from_bytes(shared)
        h = exchange_hash(CLIENT_VERSION, self.v_s, i_c, i_s, k_s, q_c, q_s, k)
        # RFC 8709 §6 / RFC 4253 §8: the host key's signature over H.
        try:
            ed25519.Ed25519PublicKey.from_public_bytes(hk_raw).verify(sig, h)
        except (InvalidSignature, ValueError):
            raise ProtoError("the server's signature over the exchange hash does not verify")
        fp = base64.b64encode(hashlib.sha256(k_s).digest()).decode().rstrip("=")
        if self.args.host_key:
            want = open(self.args.host_key).read().split()
            if base64.b64decode(want[1]) != k_s:
                raise ProtoError("server host key SHA256:%s is not the one in %s" % (fp, self.args.host_key))
        self.session_id = self.session_id or h
        p = t.recv_packet(skip_chatter=not self.strict)
        if p[0] != MSG_NEWKEYS:
            raise ProtoError("expected NEWKEYS, got message %d" % p[0])
        t.inp = make_state(k, h, self.session_id, c_sc, m_sc, "B", "D", "F", encrypt=False)
        if self.strict:
            t.seq_recv = 0  # OpenSSH PROTOCOL 1.9: sequence numbers restart after NEWKEYS
        t.send_packet(bytes([MSG_NEWKEYS]))
        t.out = make_state(k, h, self.session_id, c_cs, m_cs, "A", "C", "E", encrypt=True)
        if self.strict:
            t.seq_send = 0
        report("kex", "strict=%s" % ("yes" if self.strict else "no"), "cipher=%s" % c_cs,
               "mac=%s" % (m_cs or "implicit"), "hostkey=SHA256:%s" % fp)
        return True

    # ---- messages after the key exchange ----

    def next_msg(self):
        """The next message for the layers above: answers global requests that want a reply,
        notes EXT_INFO and banners."""
        t = self.t
        while True:
            p = t.recv_packet()
            typ = p[0]
            if typ == MSG_EXT_INFO:
                r = Reader(p[1:])
                n = r.u32()
                names = []
                for _ in range(min(n, 64)):
                    names.append(r.text())
                    r.string()
                log("server EXT_INFO: %s" % ",".join(names))
                continue
            if typ == MSG_USERAUTH_BANNER:
                log("server banner %r" % Reader(p[1:]).text()[:200])
                continue
            if typ == MSG_GLOBAL_REQUEST:
                r = Reader(p[1:])
                name = r.text()
                want = r.boolean()
                log("server global request %r want_reply=%s" % (name, want))
                if want:
                    t.send_packet(bytes([MSG_REQUEST_FAILURE]))
                continue
            return p

    def service(self):
        self.t.send_packet(bytes([MSG_SERVICE_REQUEST]) + sshstr("ssh-userauth"))
        p = self.next_msg()
        if p[0] != MSG_SERVICE_ACCEPT:
            raise ProtoError("expected SERVICE_ACCEPT, got message %d" % p[0])
        report("service-accept", printable(Reader(p[1:]).string()))

    def load_key(self):
        if self.key is None:
            if not self.args.key:
                raise ProtoError("this scenario needs --key")
            with open(self.args.key, "rb") as f:
                self.key = serialization.load_ssh_private_key(f.read(), password=None)
            if not isinstance(self.key, ed25519.Ed25519PrivateKey):
                raise ProtoError("--key must be an ed25519 key")
        return self.key

    def auth(self):
        """RFC 4252 §7: one signed publickey request with the ed25519 key."""
        key = self.load_key()
        pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        blob = sshstr("ssh-ed25519") + sshstr(pub)
        body = (sshstr(self.args.user) + sshstr("ssh-connection") + sshstr("publickey") +
                boolean(True) + sshstr("ssh-ed25519") + sshstr(blob))
        signed = sshstr(self.session_id) + bytes([MSG_USERAUTH_REQUEST]) + body
        sig = key.sign(signed)
        self.t.send_packet(bytes([MSG_USERAUTH_REQUEST]) + body +
                           sshstr(sshstr("ssh-ed25519") + sshstr(sig)))
        p = self.next_msg()
        if p[0] == MSG_USERAUTH_FAILURE:
            r = Reader(p[1:])
            report("auth", "failed", printable(r.string()))
            raise ScenarioDone()
        if p[0] != MSG_USERAUTH_SUCCESS:
            raise ProtoError("expected USERAUTH_SUCCESS, got message %d" % p[0])
        report("auth", "ok")

    def send_open(self, local=None):
        if local is None:
            local = self.next_local
            self.next_local += 1
        self.t.send_packet(bytes([MSG_CHANNEL_OPEN]) + sshstr("session") + u32(local) +
                           u32(OUR_WINDOW) + u32(OUR_MAX_PACKET))
        return local

    def open_session(self):
        """A session channel: (our id, the server's id, its window, its maximum packet)."""
        local = self.send_open()
        p = self.next_msg()
        if p[0] == MSG_CHANNEL_OPEN_FAILURE:
            r = Reader(p[1:])
            r.u32()
            code = r.u32()
            report("channel-open-failed", code, printable(r.string()))
            raise ScenarioDone()
        if p[0] != MSG_CHANNEL_OPEN_CONFIRMATION:
            raise ProtoError("expected CHANNEL_OPEN_CONFIRMATION, got message %d" % p[0])
        r = Reader(p[1:])
        if r.u32() != local:
            raise ProtoError("confirmation for a channel we did not open")
        remote, window, maxpkt = r.u32(), r.u32(), r.u32()
        report("channel-open", "ok", "window=%d" % window, "max-packet=%d" % maxpkt)
        return local, remote, window, maxpkt

    def exec_on(self, local, remote, cmd):
        """exec cmd (RFC 4254 §6.5) on an open channel; read its output until the server's
        CLOSE; reports stdout, stderr and the exit status."""
        t = self.t
        t.send_packet(bytes([MSG_CHANNEL_REQUEST]) + u32(remote) + sshstr("exec") + boolean(True) +
                      sshstr(cmd))
        out, err, status, consumed = b"", b"", None, 0
        while True:
            p = self.next_msg()
            typ = p[0]
            r = Reader(p[1:])
            if typ in (MSG_CHANNEL_SUCCESS, MSG_CHANNEL_FAILURE):
                if r.u32() != local:
                    continue
                report("exec", "accepted" if typ == MSG_CHANNEL_SUCCESS else "refused")
                if typ == MSG_CHANNEL_FAILURE:
                    return None
            elif typ in (MSG_CHANNEL_DATA, MSG_CHANNEL_EXTENDED_DATA):
                if r.u32() != local:
                    continue
                ext = r.u32() if typ == MSG_CHANNEL_EXTENDED_DATA else 0
                d = r.string()
                if ext:
                    err += d
                else:
                    out += d
                consumed += len(d)
                if consumed >= OUR_WINDOW // 2:
                    t.send_packet(bytes([MSG_CHANNEL_WINDOW_ADJUST]) + u32(remote) + u32(consumed))
                    consumed = 0
            elif typ == MSG_CHANNEL_REQUEST:
                if r.u32() != local:
                    continue
                name = r.text()
                want = r.boolean()
                if name == "exit-status":
                    status = r.u32()
                elif name == "exit-signal":
                    status = "signal-" + r.text()
                if want:
                    t.send_packet(bytes([MSG_CHANNEL_FAILURE]) + u32(remote))
            elif typ == MSG_CHANNEL_EOF:
                pass
            elif typ == MSG_CHANNEL_CLOSE:
                if r.u32() != local:
                    continue
                t.send_packet(bytes([MSG_CHANNEL_CLOSE]) + u32(remote))
                break
            elif typ == MSG_CHANNEL_WINDOW_ADJUST:
                pass
            else:
                log("ignoring message %d while running a command" % typ)
        report("stdout", printable(out, 4096))
        if err:
            report("stderr", printable(err, 4096))
        report("exit-status", status if status is not None else "none")
        return status

    def goodbye(self):
        """A polite end: DISCONNECT by application (RFC 4253 §11.1), then close."""
        try:
            self.t.send_packet(bytes([MSG_DISCONNECT]) + u32(11) + sshstr("fakeclient done") + sshstr(""))
        except PeerClosed:
            pass

    def await_end(self):
        """After misbehaving: read whatever the server sends until it disconnects or closes
        (raising), noting anything that should not have come."""
        t = self.t
        while True:
            p = t.recv_packet(skip_chatter=False)
            typ = p[0]
            if typ == MSG_CHANNEL_OPEN_CONFIRMATION:
                report("UNEXPECTED", "channel-open-confirmation")
            elif typ == MSG_USERAUTH_SUCCESS:
                report("UNEXPECTED", "userauth-success")
            elif typ == MSG_SERVICE_ACCEPT:
                report("UNEXPECTED", "service-accept")
            elif typ == MSG_CHANNEL_OPEN_FAILURE:
                r = Reader(p[1:])
                r.u32()
                report("channel-open-failed", r.u32(), printable(r.string()))
            elif typ == MSG_UNIMPLEMENTED:
                report("unimplemented", "seq=%d" % Reader(p[1:]).u32())
            log("server sent message %d while we waited for the end" % typ)

    def await_raw_end(self):
        """Before any packet: read raw bytes until the server closes."""
        got = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise PeerTimeout("server still connected after %gs" % self.args.wait)
            except OSError as e:
                report("server-sent", printable(got))
                raise PeerClosed("reset: %s" % e)
            if not chunk:
                break
            got += chunk
        report("server-sent", printable(got))
        raise PeerClosed("EOF")

    def salvage(self):
        """After a failed send or a reset: a DISCONNECT the server sent before it went away
        may still sit in the input buffer (or the socket). Returns it, or None."""
        if self.t is None:
            return None
        try:
            self.sock.settimeout(0.5)
            while True:
                self.t.recv_packet(skip_chatter=False)
        except PeerDisconnect as e:
            return e
        except Exception:
            return None

    # ---- scenarios ----

    def run(self):
        self.connect()
        getattr(self, "sc_" + self.sc)()

    def sc_good(self):
        self.version()
        self.kex()
        self.service()
        self.auth()
        local, remote, _, _ = self.open_session()
        self.exec_on(local, remote, self.args.command)
        self.goodbye()

    def banner_misbehave(self, data):
        try:
            self.t.send_raw(data)
        except PeerClosed as e:
            log("send: %s" % e)
        # The server sends its version line whatever we sent (RFC 4253 §4.2).
        self.await_raw_end()

    def sc_banner_garbage(self):
        self.banner_misbehave(bytes([0x00, 0xFF, 0x13, 0x37, 0x80]) + os.urandom(60) + b"\r\n" +
                              b"\x16\x03\x01 GET / HTTP/1.0\r\n\r\n")

    def sc_banner_long(self):
        self.banner_misbehave(b"A" * (300 * 1024))

    def sc_banner_ssh1(self):
        self.banner_misbehave(b"SSH-1.5-ferry_fakeclient\r\n")

    def bad_first_packet(self, what):
        t = self.t
        if what == "pkt_len_0":
            t.send_bad_length(0)
        elif what == "pkt_len_5":
            t.send_bad_length(5)
        elif what == "pkt_len_max":
            t.send_bad_length(0xFFFFFFFF)
        elif what == "pkt_len_256k1":
            t.send_bad_length(256 * 1024 + 1)
        elif what == "padding_too_big":
            # A whole, correctly protected packet whose padding_length (200) exceeds it.
            block = t.out.block if t.out else 8
            aead = bool(t.out and t.out.aead)
            n = 2 * block - (0 if aead else 4)  # packet_length: a block multiple as counted
            body = bytes([200, MSG_IGNORE]) + b"\x00" * (n - 2)
            t.send_raw(t.seal(u32(n), body))
            t.seq_send = (t.seq_send + 1) & 0xFFFFFFFF
        else:
            raise AssertionError(what)
        report("sent", what, "after-newkeys" if t.out else "cleartext")

    def sc_pkt_len_0(self):
        self.version()
        self.bad_first_packet("pkt_len_0")
        self.await_end()

    def sc_pkt_len_5(self):
        self.version()
        self.bad_first_packet("pkt_len_5")
        self.await_end()

    def sc_pkt_len_max(self):
        self.version()
        self.bad_first_packet("pkt_len_max")
        self.await_end()

    def sc_pkt_len_256k1(self):
        self.version()
        self.bad_first_packet("pkt_len_256k1")
        self.await_end()

    def sc_padding_too_big(self):
        self.version()
        self.bad_first_packet("padding_too_big")
        self.await_end()

    def enc_bad(self, what):
        self.version()
        self.kex()
        self.bad_first_packet(what)
        self.await_end()

    def sc_enc_pkt_len_0(self):
        self.enc_bad("pkt_len_0")

    def sc_enc_pkt_len_5(self):
        self.enc_bad("pkt_len_5")

    def sc_enc_pkt_len_max(self):
        self.enc_bad("pkt_len_max")

    def sc_enc_pkt_len_256k1(self):
        self.enc_bad("pkt_len_256k1")

    def sc_enc_padding_too_big(self):
        self.enc_bad("padding_too_big")

    def mac_flip(self, how):
        self.version()
        self.kex()
        self.t.corrupt_next = how
        self.t.send_packet(bytes([MSG_SERVICE_REQUEST]) + sshstr("ssh-userauth"))
        report("sent", "service-request", "with-flipped-" + how)
        self.await_end()

    def sc_mac_flip_ct(self):
        self.mac_flip("ct")

    def sc_mac_flip_tag(self):
        self.mac_flip("tag")

    def sc_strict_kexinit_not_first(self):
        self.version()

        def ignore_first():
            self.t.send_packet(bytes([MSG_IGNORE]) + sshstr("before kexinit"))
            report("sent", "ignore-before-kexinit")
        try:
            self.kex(before_kexinit=ignore_first)
        except ProtoError as e:
            log("kex did not go through: %s" % e)
        else:
            report("UNEXPECTED", "kex-completed")
            self.service()
            self.auth()
            self.goodbye()
            return
        self.await_end()

    def in_kex(self, payload, label):
        self.version()

        def misbehave():
            self.t.send_packet(payload)
            report("sent", label, "during-kex", "strict=%s" % ("yes" if self.strict else "no"))
            return True
        self.kex(during=misbehave)
        self.await_end()

    def sc_strict_ignore_in_kex(self):
        self.in_kex(bytes([MSG_IGNORE]) + sshstr("ignore during kex"), "ignore")

    def sc_service_request_in_kex(self):
        self.in_kex(bytes([MSG_SERVICE_REQUEST]) + sshstr("ssh-userauth"), "service-request")

    def sc_chan_open_in_kex(self):
        self.in_kex(bytes([MSG_CHANNEL_OPEN]) + sshstr("session") + u32(0) + u32(OUR_WINDOW) +
                    u32(OUR_MAX_PACKET), "channel-open")

    def sc_client_auth_success(self):
        self.version()
        self.kex()
        self.service()
        self.t.send_packet(bytes([MSG_USERAUTH_SUCCESS]))
        self.send_open()
        report("sent", "userauth-success", "channel-open")
        self.await_end()

    def sc_chan_open_before_auth(self):
        self.version()
        self.kex()
        self.service()
        self.send_open()
        report("sent", "channel-open", "before-auth")
        self.await_end()

    def sc_chan_open_before_service(self):
        self.version()
        self.kex()
        self.send_open()
        report("sent", "channel-open", "before-service-request")
        self.await_end()

    def overrun(self, command):
        """Fills the server's window for our channel and goes past it. Needs GCM (the default
        cipher): packet_buffered reads the length of buffered packets in clear."""
        t = self.t
        self.version()
        self.kex()
        self.service()
        self.auth()
        local, remote, window, maxpkt = self.open_session()
        granted = window
        if command:
            t.send_packet(bytes([MSG_CHANNEL_REQUEST]) + u32(remote) + sshstr("exec") + boolean(True) +
                          sshstr(command))
            while True:
                p = self.next_msg()
                r = Reader(p[1:])
                if p[0] == MSG_CHANNEL_WINDOW_ADJUST and r.u32() == local:
                    granted += r.u32()
                elif p[0] in (MSG_CHANNEL_SUCCESS, MSG_CHANNEL_FAILURE):
                    report("exec", "accepted" if p[0] == MSG_CHANNEL_SUCCESS else "refused")
                    break
        # A server may open the window only after the command started: take what comes.
        granted += self.pump(0.3, local)
        chunk = min(maxpkt, 32768)
        data = os.urandom(chunk)
        # Past what the server granted by half again (OpenSSH's sshd tolerates 10% of the
        # window before it acts), counting the adjusts it sends meanwhile; 64 MiB at most.
        while self.flood_sent <= granted + max(granted // 2, chunk) and self.flood_sent < 64 * 1024 * 1024:
            t.send_packet(bytes([MSG_CHANNEL_DATA]) + u32(remote) + sshstr(data))
            self.flood_sent += len(data)
            granted += self.take_adjusts(local)
        report("window", "initial=%d" % window, "granted=%d" % granted, "sent=%d" % self.flood_sent)
        self.await_end()

    def pump(self, seconds, local):
        """Reads for a while without blocking on a packet; returns the window adjusts taken."""
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            rl, _, _ = select.select([self.sock], [], [], left)
            if rl:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self.t.rbuf += chunk
        return self.take_adjusts(local)

    def take_adjusts(self, local):
        """Window adjusts for our channel among the complete packets already read (duplex
        sending reads while it writes); other messages are logged and dropped."""
        t = self.t
        add = 0
        while self.packet_buffered():
            p = t.recv_packet(skip_chatter=True)
            r = Reader(p[1:])
            if p[0] == MSG_CHANNEL_WINDOW_ADJUST and r.u32() == local:
                add += r.u32()
            else:
                log("message %d while flooding" % p[0])
        return add

    def packet_buffered(self):
        """True when the input buffer holds at least one whole packet (GCM: length in clear)."""
        t = self.t
        if len(t.rbuf) < 4 or t.inp is None or not t.inp.aead:
            return False
        plen = int.from_bytes(t.rbuf[:4], "big")
        return len(t.rbuf) >= 4 + plen + t.inp.maclen

    def sc_window_overrun(self):
        self.overrun(None)

    def sc_window_overrun_exec(self):
        self.overrun(self.args.overrun_command)

    def sc_many_channels(self):
        t = self.t
        self.version()
        self.kex()
        self.service()
        self.auth()
        total = self.args.count
        batch = 200
        confirmed = {}
        failed = {}
        t0 = time.monotonic()
        done = 0
        while done < total:
            n = min(batch, total - done)
            for i in range(done, done + n):
                self.send_open(i)
            answered = 0
            while answered < n:
                p = self.next_msg()
                r = Reader(p[1:])
                if p[0] == MSG_CHANNEL_OPEN_CONFIRMATION:
                    local = r.u32()
                    confirmed[local] = r.u32()
                    answered += 1
                elif p[0] == MSG_CHANNEL_OPEN_FAILURE:
                    r.u32()
                    code = r.u32()
                    failed[code] = failed.get(code, 0) + 1
                    answered += 1
                else:
                    log("message %d among the open replies" % p[0])
            done += n
        secs = time.monotonic() - t0
        reasons = ",".join("%d:%d" % kv for kv in sorted(failed.items())) or "none"
        report("opens", "sent=%d" % total, "confirmed=%d" % len(confirmed),
               "failed=%d" % sum(failed.values()), "reasons=%s" % reasons, "seconds=%.2f" % secs)
        if not confirmed:
            raise ScenarioDone()
        # The connection still works: run a command on the first channel, close the others.
        first = min(confirmed)
        for local, remote in sorted(confirmed.items()):
            if local != first:
                t.send_packet(bytes([MSG_CHANNEL_CLOSE]) + u32(remote))
        self.exec_on(first, confirmed[first], self.args.command)
        self.goodbye()

    def sc_ext_info_huge_count(self):
        self.version()
        self.kex()
        self.t.send_packet(bytes([MSG_EXT_INFO]) + u32(0xFFFFFFFF) +
                           sshstr("ext-info-in-auth@openssh.com") + sshstr("0"))
        report("sent", "ext-info", "nr-extensions=4294967295")
        # If the server lets it pass, go on as a client would, so the report shows how far.
        self.service()
        self.auth()
        local, remote, _, _ = self.open_session()
        self.exec_on(local, remote, self.args.command)
        self.goodbye()


def main():
    ap = argparse.ArgumentParser(description="scripted misbehaving SSH client (one connection)")
    ap.add_argument("--scenario", default="good")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int)
    ap.add_argument("--key", help="ed25519 private key (OpenSSH format) for publickey auth")
    ap.add_argument("--user", default=None, help="login name (default: the current user)")
    ap.add_argument("--command", default="echo fakeclient", help="what good and many_channels exec")
    ap.add_argument("--cipher", default="aes128-gcm@openssh.com",
                    choices=["aes128-gcm@openssh.com", "aes128-ctr"],
                    help="the only cipher offered (aes128-ctr comes with hmac-sha2-256)")
    ap.add_argument("--no-strict", action="store_true", help="do not offer kex-strict-c-v00@openssh.com")
    ap.add_argument("--host-key", help="the server's expected public host key (.pub file)")
    ap.add_argument("--count", type=int, default=10000, help="many_channels: how many opens")
    ap.add_argument("--overrun-command", default="exec sleep 10",
                    help="window_overrun_exec: a command that does not read its input")
    ap.add_argument("--wait", type=float, default=10.0,
                    help="seconds of silence from the server that count as a hang")
    ap.add_argument("--deadline", type=int, default=60, help="seconds for the whole run")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args()

    if args.list:
        for name, what in SCENARIOS.items():
            print("%-26s %s" % (name, what))
        return 0
    if args.scenario not in SCENARIOS or args.port is None:
        sys.stderr.write("fakeclient: need --port and a known --scenario (see --list)\n")
        return 2
    if args.user is None:
        args.user = pwd.getpwuid(os.getuid()).pw_name

    def on_alarm(signum, frame):
        raise Deadline()
    signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(args.deadline)

    c = Client(args)
    try:
        c.run()
        report("RESULT", "ok")
    except ScenarioDone:
        report("RESULT", "ok")
    except PeerDisconnect as e:
        report("RESULT", "disconnect", e.code, DISCONNECT_REASONS.get(e.code, "UNKNOWN"),
               printable(e.desc.encode(), 300))
    except PeerTimeout as e:
        report("RESULT", "timeout", e)
    except PeerClosed as e:
        d = c.salvage()
        if d is not None:
            log("found the server's DISCONNECT after: %s" % e)
            report("RESULT", "disconnect", d.code, DISCONNECT_REASONS.get(d.code, "UNKNOWN"),
                   printable(d.desc.encode(), 300))
        else:
            report("RESULT", "closed", e)
    except Deadline:
        report("RESULT", "timeout", "deadline of %ds passed" % args.deadline)
    except ProtoError as e:
        report("RESULT", "error", e)
    except (ConnectionError, socket.timeout, OSError) as e:
        report("RESULT", "closed", "socket: %s" % e)
    finally:
        signal.alarm(0)
        if c.sock is not None:
            c.sock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
