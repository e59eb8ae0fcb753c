"""SSH wire code shared by ferry's scripted fake peers (tests/lib/fakeserver.py, fakeclient.py).

RFC 4251 §5 encodings, the RFC 4253 §6 binary packet protocol with aes128-gcm@openssh.com
(RFC 5647 / OpenSSH PROTOCOL 1.6) or aes128-ctr (RFC 4344) + hmac-sha2-256 (RFC 6668), KEXINIT
building and parsing (RFC 4253 §7.1), the curve25519-sha256 exchange hash (RFC 8731 §3.1) and
key derivation (RFC 4253 §7.2). Role-neutral: "peer" names the other side in messages. Only
the standard library and python3-cryptography are used.
"""

import hashlib
import hmac
import os
import select
import socket
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# Message numbers (RFC 4250 §4.1.2, RFC 8308, RFC 8731).
MSG_DISCONNECT = 1
MSG_IGNORE = 2
MSG_UNIMPLEMENTED = 3
MSG_DEBUG = 4
MSG_SERVICE_REQUEST = 5
MSG_SERVICE_ACCEPT = 6
MSG_EXT_INFO = 7
MSG_KEXINIT = 20
MSG_NEWKEYS = 21
MSG_KEX_ECDH_INIT = 30
MSG_KEX_ECDH_REPLY = 31
MSG_USERAUTH_REQUEST = 50
MSG_USERAUTH_FAILURE = 51
MSG_USERAUTH_SUCCESS = 52
MSG_USERAUTH_BANNER = 53
MSG_USERAUTH_PK_OK = 60
MSG_GLOBAL_REQUEST = 80
MSG_REQUEST_SUCCESS = 81
MSG_REQUEST_FAILURE = 82
MSG_CHANNEL_OPEN = 90
MSG_CHANNEL_OPEN_CONFIRMATION = 91
MSG_CHANNEL_OPEN_FAILURE = 92
MSG_CHANNEL_WINDOW_ADJUST = 93
MSG_CHANNEL_DATA = 94
MSG_CHANNEL_EXTENDED_DATA = 95
MSG_CHANNEL_EOF = 96
MSG_CHANNEL_CLOSE = 97
MSG_CHANNEL_REQUEST = 98
MSG_CHANNEL_SUCCESS = 99
MSG_CHANNEL_FAILURE = 100

# RFC 4253 §11.1 reason codes, for reports.
DISCONNECT_REASONS = {
    1: "HOST_NOT_ALLOWED_TO_CONNECT", 2: "PROTOCOL_ERROR", 3: "KEY_EXCHANGE_FAILED",
    4: "RESERVED", 5: "MAC_ERROR", 6: "COMPRESSION_ERROR", 7: "SERVICE_NOT_AVAILABLE",
    8: "PROTOCOL_VERSION_NOT_SUPPORTED", 9: "HOST_KEY_NOT_VERIFIABLE", 10: "CONNECTION_LOST",
    11: "BY_APPLICATION", 12: "TOO_MANY_CONNECTIONS", 13: "AUTH_CANCELLED_BY_USER",
    14: "NO_MORE_AUTH_METHODS_AVAILABLE", 15: "ILLEGAL_USER_NAME",
}

STRICT_C = "kex-strict-c-v00@openssh.com"
STRICT_S = "kex-strict-s-v00@openssh.com"
MAX_PACKET = 256 * 1024  # what we accept from the peer; generous, this is not under test


class PeerClosed(Exception):
    """The peer closed the TCP connection (or it was reset, or it went quiet too long)."""


class PeerTimeout(PeerClosed):
    """The peer sent nothing for longer than the socket timeout."""


class PeerDisconnect(PeerClosed):
    """The peer sent SSH_MSG_DISCONNECT (RFC 4253 §11.1)."""

    def __init__(self, peer, code, desc):
        super().__init__("%s sent DISCONNECT %d: %r" % (peer, code, desc))
        self.code = code
        self.desc = desc


class ProtoError(Exception):
    """The peer sent something this fake cannot follow."""


class CutDone(Exception):
    """A half packet went out on purpose (Transport.cut_next); the caller closes next."""


# ---- wire encoding (RFC 4251 §5) ----

def u32(n):
    return struct.pack(">I", n & 0xFFFFFFFF)


def sshstr(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def boolean(v):
    return b"\x01" if v else b"\x00"


def mpint_from_bytes(raw):
    """RFC 4251 §5 mpint of the unsigned big-endian integer in raw (RFC 8731 §3.1 for X25519)."""
    raw = raw.lstrip(b"\x00")
    if raw and raw[0] & 0x80:
        raw = b"\x00" + raw
    return sshstr(raw)


class Reader:
    """Bounds-checked reader over one payload; running past the end is a ProtoError."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise ProtoError("truncated message (want %d at %d of %d)" % (n, self.pos, len(self.data)))
        b = self.data[self.pos:self.pos + n]
        self.pos += n
        return b

    def byte(self):
        return self.take(1)[0]

    def u32(self):
        return struct.unpack(">I", self.take(4))[0]

    def string(self):
        return self.take(self.u32())

    def text(self):
        return self.string().decode("utf-8", "replace")

    def boolean(self):
        return self.byte() != 0

    def namelist(self):
        s = self.text()
        return s.split(",") if s else []


# ---- packet protection states (one object per direction once keys are active) ----

class GcmState:
    """aes128-gcm@openssh.com: length in clear as AAD, nonce = 4-byte fixed || 8-byte counter
    (RFC 5647 §7.1), counter incremented once per packet; 16-byte tag; block size 16."""
    block = 16
    maclen = 16
    aead = True

    def __init__(self, key, iv):
        self.aes = AESGCM(key)
        self.fixed = iv[:4]
        self.counter = int.from_bytes(iv[4:12], "big")

    def nonce(self):
        n = self.fixed + self.counter.to_bytes(8, "big")
        self.counter = (self.counter + 1) & 0xFFFFFFFFFFFFFFFF  # RFC 5647 §7.1
        return n

    def seal(self, seq, packet_length_bytes, body):
        return packet_length_bytes + self.aes.encrypt(self.nonce(), body, packet_length_bytes)

    def open(self, seq, packet_length_bytes, body_and_tag, peer="peer"):
        try:
            return self.aes.decrypt(self.nonce(), body_and_tag, packet_length_bytes)
        except InvalidTag:
            raise ProtoError("GCM tag check failed on a %s packet" % peer)


class CtrHmacState:
    """aes128-ctr (RFC 4344 §4) with hmac-sha2-256 (RFC 6668) over seq || plaintext packet
    (RFC 4253 §6.4); one keystream continues across packets; block size 16."""
    block = 16
    maclen = 32
    aead = False

    def __init__(self, key, iv, mackey, encrypt):
        c = Cipher(algorithms.AES(key), modes.CTR(iv))
        self.ctx = c.encryptor() if encrypt else c.decryptor()
        self.mackey = mackey

    def mac(self, seq, plain):
        return hmac.new(self.mackey, u32(seq) + plain, hashlib.sha256).digest()


def make_state(k, h, session_id, cipher, mac, iv_letter, key_letter, mac_letter, encrypt):
    """Packet protection for one direction from the shared secret K (already mpint-encoded),
    the exchange hash H and the session id: RFC 4253 §7.2 letters A/C/E (client to server)
    or B/D/F (server to client)."""
    def derive(letter, need):
        # RFC 4253 §7.2: HASH(K || H || letter || session_id), extended with HASH(K || H || K1..)
        out = hashlib.sha256(k + h + letter.encode() + session_id).digest()
        while len(out) < need:
            out += hashlib.sha256(k + h + out).digest()
        return out[:need]

    if cipher == "aes128-gcm@openssh.com":
        return GcmState(derive(key_letter, 16), derive(iv_letter, 12))
    if cipher == "aes128-ctr" and mac == "hmac-sha2-256":
        return CtrHmacState(derive(key_letter, 16), derive(iv_letter, 16), derive(mac_letter, 32), encrypt)
    raise ProtoError("no packet protection for cipher %s mac %s" % (cipher, mac))


def exchange_hash(v_c, v_s, i_c, i_s, k_s, q_c, q_s, k):
    """RFC 8731 §3.1 / RFC 5656 §4: H for curve25519-sha256 (k already mpint-encoded)."""
    return hashlib.sha256(sshstr(v_c) + sshstr(v_s) + sshstr(i_c) + sshstr(i_s) +
                          sshstr(k_s) + sshstr(q_c) + sshstr(q_s) + k).digest()


def kexinit_payload(kex, hostkey, ciphers, macs, comp="none", lang="", follows=False):
    """An SSH_MSG_KEXINIT (RFC 4253 §7.1) with the same lists in both directions."""
    return (bytes([MSG_KEXINIT]) + os.urandom(16) +
            sshstr(kex) + sshstr(hostkey) +
            sshstr(ciphers) + sshstr(ciphers) +
            sshstr(macs) + sshstr(macs) +
            sshstr(comp) + sshstr(comp) +
            sshstr("") + sshstr(lang) +
            boolean(follows) + u32(0))


def parse_kexinit(payload):
    """The ten name-lists of a KEXINIT payload (type byte included) and first_kex_packet_follows."""
    r = Reader(payload)
    r.take(17)
    lists = [r.namelist() for _ in range(10)]
    return lists, r.boolean()


def choose(what, client, server):
    """RFC 4253 §7.1: the first client algorithm that the server also supports."""
    for a in client:
        if a in server:
            return a
    raise ProtoError("no common %s: client %s, server %s" % (what, ",".join(client), ",".join(server)))


# ---- the transport ----

class Transport:
    """Binary packets over a socket. With duplex set, sending also reads whatever the peer
    sends meanwhile into the input buffer, so a flood cannot deadlock against a peer that is
    writing too, and a DISCONNECT sent just before the peer closes is not lost when the send
    then fails."""

    def __init__(self, sock, peer="peer", log=None, duplex=False, max_input=64 * 1024 * 1024):
        self.sock = sock
        self.peer = peer
        self.log = log or (lambda msg: None)
        self.duplex = duplex
        self.max_input = max_input
        self.rbuf = b""
        self.seq_send = 0
        self.seq_recv = 0
        self.out = None  # GcmState / CtrHmacState once our NEWKEYS is sent
        self.inp = None  # ... once the peer's NEWKEYS is received
        self.corrupt_next = None  # "ct" or "tag": damage the next protected packet we send
        self.cut_next = False  # send only half of the next protected packet, then stop
        self.bytes_sent = 0

    # raw bytes

    def send_raw(self, data):
        if not self.duplex:
            try:
                self.sock.sendall(data)
            except OSError as e:
                raise PeerClosed("send failed: %s" % e)
            self.bytes_sent += len(data)
            return
        view = memoryview(data)
        timeout = self.sock.gettimeout()
        while view:
            want_read = len(self.rbuf) < self.max_input
            rl, wl, _ = select.select([self.sock] if want_read else [], [self.sock], [], timeout)
            if not rl and not wl:
                raise PeerTimeout("timed out sending to the %s" % self.peer)
            if rl:
                try:
                    chunk = self.sock.recv(65536)
                except (socket.timeout, BlockingIOError):
                    chunk = None
                except OSError as e:
                    raise PeerClosed("recv failed while sending: %s" % e)
                if chunk == b"":
                    raise PeerClosed("%s closed the connection while we were sending" % self.peer)
                if chunk:
                    self.rbuf += chunk
            if wl:
                try:
                    n = self.sock.send(view[:65536])
                except (socket.timeout, BlockingIOError):
                    n = 0
                except OSError as e:
                    raise PeerClosed("send failed: %s" % e)
                view = view[n:]
                self.bytes_sent += n

    def read_exact(self, n):
        while len(self.rbuf) < n:
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise PeerTimeout("timed out waiting for the %s" % self.peer)
            except OSError as e:
                raise PeerClosed("recv failed: %s" % e)
            if not chunk:
                raise PeerClosed("%s closed the connection" % self.peer)
            self.rbuf += chunk
        out, self.rbuf = self.rbuf[:n], self.rbuf[n:]
        return out

    def read_line(self, limit=8192):
        """One CR LF (or LF) terminated line, without the terminator (RFC 4253 §4.2)."""
        while True:
            i = self.rbuf.find(b"\n")
            if i >= 0:
                line, self.rbuf = self.rbuf[:i], self.rbuf[i + 1:]
                return line.rstrip(b"\r")
            if len(self.rbuf) > limit:
                raise ProtoError("%s banner line too long" % self.peer)
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                raise PeerTimeout("timed out waiting for the %s banner" % self.peer)
            except OSError as e:
                raise PeerClosed("recv failed: %s" % e)
            if not chunk:
                raise PeerClosed("%s closed the connection during the banner" % self.peer)
            self.rbuf += chunk

    # packets (RFC 4253 §6)

    def frame(self, payload, padlen_override=None):
        """Plain packet image (packet_length || padding_length || payload || padding) and the
        block size it was padded for, using the current outgoing state."""
        block = self.out.block if self.out else 8
        # AEAD: packet_length is not encrypted, so it is left out of the block multiple
        # (OpenSSH PROTOCOL 1.6 / RFC 5647 §7.2); otherwise the whole packet counts (§6).
        counted = 1 + len(payload) + (0 if (self.out and self.out.aead) else 4)
        padlen = block - counted % block
        if padlen < 4:  # RFC 4253 §6: at least four bytes of padding
            padlen += block
        if padlen_override is not None:
            padlen = padlen_override
        body = bytes([padlen]) + payload + os.urandom(padlen)
        return u32(len(body)), body

    def seal(self, lenb, body):
        """The wire image of one framed packet under the current outgoing state; advances the
        cipher state (not the sequence number)."""
        if self.out is None:
            return lenb + body
        if self.out.aead:
            return self.out.seal(self.seq_send, lenb, body)
        plain = lenb + body
        return self.out.ctx.update(plain) + self.out.mac(self.seq_send, plain)

    def send_packet(self, payload, padlen_override=None):
        lenb, body = self.frame(payload, padlen_override)
        wire = self.seal(lenb, body)
        if self.out is not None and self.corrupt_next:
            w = bytearray(wire)
            if self.corrupt_next == "tag":
                idx = len(w) - 1  # last byte of the GCM tag / HMAC
            else:
                # a ciphertext byte past the first block, so with CTR the length stays sane
                # and only the MAC can catch it; with GCM any byte after the length is fine
                idx = min(len(w) - self.out.maclen - 1, 20)
            w[idx] ^= 0x01
            self.log("corrupting byte %d of %d of packet type %d (%s)" % (idx, len(w), payload[0], self.corrupt_next))
            wire = bytes(w)
            self.corrupt_next = None
        if self.out is not None and self.cut_next:
            half = len(wire) // 2
            self.log("sending only %d of %d bytes of packet type %d" % (half, len(wire), payload[0]))
            self.send_raw(wire[:half])
            self.seq_send = (self.seq_send + 1) & 0xFFFFFFFF
            raise CutDone()
        self.send_raw(wire)
        self.seq_send = (self.seq_send + 1) & 0xFFFFFFFF

    def send_bad_length(self, plen, filler=12):
        """The start of a packet whose packet_length field is plen, with filler more bytes
        after it, under the current outgoing state: in clear before NEWKEYS and with GCM (whose
        length is only authenticated, RFC 5647 §7.3), encrypted as the first block with CTR."""
        head = u32(plen) + bytes([4]) + bytes([MSG_IGNORE]) + b"\x00" * max(0, filler - 2)
        if self.out is not None and not self.out.aead:
            head = self.out.ctx.update(head)
        self.send_raw(head)

    def recv_packet_raw(self):
        peer = self.peer
        if self.inp is None:
            lenb = self.read_exact(4)
            plen = struct.unpack(">I", lenb)[0]
            if plen < 5 or plen > MAX_PACKET or (plen + 4) % 8:
                raise ProtoError("bad packet_length %d from %s" % (plen, peer))
            body = self.read_exact(plen)
        elif self.inp.aead:
            lenb = self.read_exact(4)
            plen = struct.unpack(">I", lenb)[0]
            if plen < 16 or plen > MAX_PACKET or plen % 16:
                raise ProtoError("bad packet_length %d from %s" % (plen, peer))
            body = self.inp.open(self.seq_recv, lenb, self.read_exact(plen + self.inp.maclen), peer)
        else:
            first = self.inp.ctx.update(self.read_exact(16))
            plen = struct.unpack(">I", first[:4])[0]
            if plen < 12 or plen > MAX_PACKET or (plen + 4) % 16:
                raise ProtoError("bad packet_length %d from %s" % (plen, peer))
            plain = first + self.inp.ctx.update(self.read_exact(plen + 4 - 16))
            mac = self.read_exact(self.inp.maclen)
            if not hmac.compare_digest(mac, self.inp.mac(self.seq_recv, plain)):
                raise ProtoError("HMAC check failed on a %s packet" % peer)
            body = plain[4:]
        self.seq_recv = (self.seq_recv + 1) & 0xFFFFFFFF
        padlen = body[0]
        if padlen < 4 or padlen + 1 > len(body):
            raise ProtoError("bad padding_length %d in a %d-byte packet" % (padlen, len(body)))
        payload = body[1:len(body) - padlen]
        if not payload:
            raise ProtoError("empty payload")
        return payload

    def recv_packet(self, skip_chatter=True):
        """Next payload from the peer; logs and swallows IGNORE/DEBUG/UNIMPLEMENTED unless
        skip_chatter is off, raises PeerDisconnect on DISCONNECT."""
        while True:
            p = self.recv_packet_raw()
            t = p[0]
            if t == MSG_DISCONNECT:
                r = Reader(p[1:])
                code = r.u32()
                desc = r.text()
                raise PeerDisconnect(self.peer, code, desc)
            if skip_chatter and t in (MSG_IGNORE, MSG_DEBUG, MSG_UNIMPLEMENTED):
                self.log("%s sent chatter message %d, skipped" % (self.peer, t))
                continue
            return p
