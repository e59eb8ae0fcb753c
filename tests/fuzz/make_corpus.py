#!/usr/bin/env python3
"""Writes the seed corpora for ferry's fuzz targets (tests/fuzz/corpus/<target>/*.bin).

Every seed is a well-formed exchange in the layout its target expects (docs/internals/fuzzing.md):
  transport_client, transport_server: the raw byte stream from the peer (version line, then
      cleartext binary packets, RFC 4253 §4.2 and §6);
  kexinit: the body of one SSH_MSG_KEXINIT after its type byte (RFC 4253 §7.1);
  userauth, channel: messages as (uint16 big-endian length, payload) pairs.
The algorithm lists are those an OpenSSH 9.2 sshd and ssh sent on loopback.

Run from anywhere: python3 tests/fuzz/make_corpus.py [output dir, default: corpus next to this].
"""
import base64
import os
import shutil
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEST_KEY_PUB = os.path.join(HERE, '..', 'data', 'keys', 'ed25519.pub')

# Message numbers (RFC 4250 §4.1, RFC 4419, RFC 5656, RFC 8308).
DISCONNECT, IGNORE, UNIMPLEMENTED, DEBUG = 1, 2, 3, 4
SERVICE_ACCEPT, EXT_INFO = 6, 7
KEXINIT, NEWKEYS = 20, 21
KEX_ECDH_INIT, KEX_ECDH_REPLY = 30, 31  # also KEXDH_INIT/REPLY and KEX_DH_GEX_GROUP (31)
KEX_DH_GEX_INIT, KEX_DH_GEX_REPLY, KEX_DH_GEX_REQUEST = 32, 33, 34
USERAUTH_FAILURE, USERAUTH_SUCCESS, USERAUTH_BANNER, USERAUTH_PK_OK = 51, 52, 53, 60
GLOBAL_REQUEST, REQUEST_SUCCESS = 80, 81
CHANNEL_OPEN, CHANNEL_OPEN_CONFIRMATION, CHANNEL_OPEN_FAILURE = 90, 91, 92
CHANNEL_WINDOW_ADJUST, CHANNEL_DATA, CHANNEL_EXTENDED_DATA = 93, 94, 95
CHANNEL_EOF, CHANNEL_CLOSE, CHANNEL_REQUEST = 96, 97, 98
CHANNEL_SUCCESS, CHANNEL_FAILURE = 99, 100

SERVER_VERSION = b'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n'
CLIENT_VERSION = b'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\n'

KEX_S = ('sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,'
         'curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,'
         'diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,'
         'diffie-hellman-group18-sha512,diffie-hellman-group14-sha256')
KEX_SERVER = KEX_S + ',kex-strict-s-v00@openssh.com'
KEX_CLIENT = KEX_S + ',ext-info-c,kex-strict-c-v00@openssh.com'
HOSTKEY_SERVER = 'ssh-ed25519'
HOSTKEY_CLIENT = ('ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,'
                  'ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,'
                  'sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,'
                  'rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,'
                  'ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,'
                  'sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,'
                  'rsa-sha2-256')
CIPHERS = ('chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,'
           'aes128-gcm@openssh.com,aes256-gcm@openssh.com')
MACS = ('umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,'
        'hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,'
        'umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1')
COMP_SERVER = 'none,zlib@openssh.com'
COMP_CLIENT = 'none,zlib@openssh.com,zlib'


# --- RFC 4251 §5 encodings ---

def u8(v):
    return struct.pack('>B', v)


def u32(v):
    return struct.pack('>I', v)


def boolean(v):
    return u8(1 if v else 0)


def string(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def mpint(n):
    if n == 0:
        return u32(0)
    raw = n.to_bytes((n.bit_length() + 8) // 8, 'big')  # a spare top byte keeps it positive
    raw = raw.lstrip(b'\x00')
    if raw[0] & 0x80:
        raw = b'\x00' + raw
    return string(raw)


def packet(payload):
    """RFC 4253 §6, no cipher yet: padding of 4 or more bytes makes the packet a multiple of 8."""
    pad = 8 - (4 + 1 + len(payload)) % 8
    if pad < 4:
        pad += 8
    return u32(1 + len(payload) + pad) + u8(pad) + payload + b'\x00' * pad


def messages(*msgs):
    """The userauth/channel targets' input layout: (uint16 length, payload) per message."""
    return b''.join(struct.pack('>H', len(m)) + m for m in msgs)


# --- values for the key exchange messages ---

def rfc3526_modp2048():
    """RFC 3526 §3: p = 2^2048 - 2^1984 - 1 + 2^64 * ( [2^1918 pi] + 124476 )."""
    bits = 1918 + 64  # guard bits
    one = 1 << bits

    def arctan_inv(x):
        total, term, k, sign = 0, one // x, 1, 1
        while term:
            total += sign * (term // k)
            term //= x * x
            k += 2
            sign = -sign
        return total

    pi = 16 * arctan_inv(5) - 4 * arctan_inv(239)  # Machin's formula, scaled by 2^bits
    floor_pi = pi >> 64  # [2^1918 pi]
    return (1 << 2048) - (1 << 1984) - 1 + (1 << 64) * (floor_pi + 124476)


MODP2048 = rfc3526_modp2048()
assert MODP2048.to_bytes(256, 'big')[:12].hex() == 'ffffffffffffffffc90fdaa2', 'bad pi'
assert MODP2048.to_bytes(256, 'big')[-8:].hex() == 'ffffffffffffffff', 'bad pi'

# X25519 public value: the base point u = 9 (RFC 7748 §4.1), little-endian.
X25519_PUB = bytes([9]) + bytes(31)
# P-256 public value: the generator G, uncompressed (SEC 1 §2.3.3; FIPS 186-4 D.1.2.3).
P256_PUB = bytes.fromhex(
    '04'
    '6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296'
    '4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5')
# A DH public value, 1 < e < p-1.
DH_PUB = (MODP2048 - 1) // 3


def test_key_blob():
    with open(TEST_KEY_PUB) as f:
        return base64.b64decode(f.read().split()[1])


ED25519_BLOB = test_key_blob()
ED25519_SIG = string('ssh-ed25519') + string(bytes(range(64)))


def kexinit_body(kex, hostkey, ciphers=CIPHERS, macs=MACS, comp='none', follows=False,
                 cookie=bytes(range(16))):
    lists = [kex, hostkey, ciphers, ciphers, macs, macs, comp, comp, '', '']
    return cookie + b''.join(string(x) for x in lists) + boolean(follows) + u32(0)


def kexinit(*args, **kw):
    return u8(KEXINIT) + kexinit_body(*args, **kw)


def ecdh_reply(q_s, hostkey_blob=ED25519_BLOB):
    return u8(KEX_ECDH_REPLY) + string(hostkey_blob) + string(q_s) + string(ED25519_SIG)


def dh_reply(msg_type, f):
    return u8(msg_type) + string(ED25519_BLOB) + mpint(f) + string(ED25519_SIG)


def disconnect(reason, text):
    return u8(DISCONNECT) + u32(reason) + string(text) + string('en')


def debug(text):
    return u8(DEBUG) + boolean(True) + string(text) + string('')


def stream(version, *msgs, pre=b''):
    return pre + version + b''.join(packet(m) for m in msgs)


# --- the seeds ---

def transport_client_seeds():
    openssh = kexinit(KEX_SERVER, HOSTKEY_SERVER, comp=COMP_SERVER)
    plain = kexinit('curve25519-sha256', 'ssh-ed25519,ecdsa-sha2-nistp256', 'aes128-ctr',
                    'hmac-sha2-256-etm@openssh.com')
    return {
        'openssh-kexinit': stream(SERVER_VERSION, openssh),
        'openssh-kexinit-reply': stream(SERVER_VERSION, openssh, ecdh_reply(X25519_PUB),
                                        u8(NEWKEYS)),
        'prebanner-lines': stream(SERVER_VERSION, openssh, ecdh_reply(X25519_PUB),
                                  pre=b'Welcome to a test host\r\nsecond line\n'),
        'ignore-debug-no-strict': stream(SERVER_VERSION, u8(IGNORE) + string('x' * 20),
                                         debug('hello'), u8(UNIMPLEMENTED) + u32(3), plain,
                                         ecdh_reply(X25519_PUB), u8(NEWKEYS)),
        'nistp256-reply': stream(SERVER_VERSION,
                                 kexinit('ecdh-sha2-nistp256', 'ssh-ed25519', 'aes256-gcm@openssh.com',
                                         'hmac-sha2-512'),
                                 ecdh_reply(P256_PUB)),
        'gex-group-reply': stream(SERVER_VERSION,
                                  kexinit('diffie-hellman-group-exchange-sha256', 'ssh-ed25519',
                                          'chacha20-poly1305@openssh.com', 'hmac-sha2-256'),
                                  u8(KEX_ECDH_REPLY) + mpint(MODP2048) + mpint(2),
                                  dh_reply(KEX_DH_GEX_REPLY, DH_PUB)),
        'group14-reply': stream(SERVER_VERSION,
                                kexinit('diffie-hellman-group14-sha256', 'ssh-ed25519'),
                                dh_reply(KEX_ECDH_REPLY, DH_PUB)),
        'version-1.99': stream(b'SSH-1.99-OldServer\r\n', plain),
        'disconnect': stream(SERVER_VERSION, disconnect(2, 'go away')),
        'ext-info-early': stream(SERVER_VERSION, plain,
                                 u8(EXT_INFO) + u32(1) + string('server-sig-algs') +
                                 string('ssh-ed25519,rsa-sha2-512')),
    }


def transport_server_seeds():
    openssh = kexinit(KEX_CLIENT, HOSTKEY_CLIENT, comp=COMP_CLIENT)
    return {
        'openssh-kexinit': stream(CLIENT_VERSION, openssh),
        'openssh-x25519-init': stream(CLIENT_VERSION, openssh,
                                      u8(KEX_ECDH_INIT) + string(X25519_PUB), u8(NEWKEYS)),
        'nistp256-init': stream(CLIENT_VERSION,
                                kexinit('ecdh-sha2-nistp256,ext-info-c', 'ssh-ed25519', 'aes128-ctr',
                                        'hmac-sha2-256'),
                                u8(KEX_ECDH_INIT) + string(P256_PUB), u8(NEWKEYS)),
        'gex-request-init': stream(CLIENT_VERSION,
                                   kexinit('diffie-hellman-group-exchange-sha256', 'ssh-ed25519'),
                                   u8(KEX_DH_GEX_REQUEST) + u32(2048) + u32(2048) + u32(8192),
                                   u8(KEX_DH_GEX_INIT) + mpint(DH_PUB)),
        'group14-init': stream(CLIENT_VERSION,
                               kexinit('diffie-hellman-group14-sha256', 'ssh-ed25519'),
                               u8(KEX_ECDH_INIT) + mpint(DH_PUB)),
        'ignore-then-kexinit': stream(CLIENT_VERSION, u8(IGNORE) + string(''), debug('dbg'),
                                      kexinit('curve25519-sha256', 'ssh-ed25519')),
        # The client guesses a method ferry lacks, so its guessed packet must be ignored.
        'wrong-guess-follows': stream(CLIENT_VERSION,
                                      kexinit('sntrup761x25519-sha512@openssh.com,curve25519-sha256',
                                              'ssh-ed25519', follows=True),
                                      u8(KEX_ECDH_INIT) + string(bytes(1190)),
                                      u8(KEX_ECDH_INIT) + string(X25519_PUB), u8(NEWKEYS)),
    }


def kexinit_seeds():
    return {
        'openssh-server': kexinit_body(KEX_SERVER, HOSTKEY_SERVER, comp=COMP_SERVER),
        'openssh-client': kexinit_body(KEX_CLIENT, HOSTKEY_CLIENT, comp=COMP_CLIENT),
        'minimal': kexinit_body('curve25519-sha256', 'ssh-ed25519', 'aes128-ctr', 'hmac-sha2-256'),
        'follows-wrong-guess': kexinit_body('ecdh-sha2-nistp384,curve25519-sha256',
                                            'rsa-sha2-512,ssh-ed25519', follows=True),
        'follows-right-guess': kexinit_body('curve25519-sha256', 'ssh-ed25519', follows=True),
        'no-common-kex': kexinit_body('sntrup761x25519-sha512@openssh.com', 'ssh-ed25519'),
        'zlib-only': kexinit_body('curve25519-sha256', 'ssh-ed25519', comp='zlib@openssh.com'),
        'gex-etm': kexinit_body('diffie-hellman-group-exchange-sha256', 'ssh-ed25519',
                                'aes256-ctr', 'hmac-sha2-512-etm@openssh.com'),
        'strict-markers': kexinit_body('curve25519-sha256,ext-info-c,kex-strict-c-v00@openssh.com,'
                                       'ext-info-s,kex-strict-s-v00@openssh.com',
                                       'ecdsa-sha2-nistp256,ssh-ed25519'),
    }


def userauth_seeds():
    accept = u8(SERVICE_ACCEPT) + string('ssh-userauth')

    def failure(methods, partial=False):
        return u8(USERAUTH_FAILURE) + string(methods) + boolean(partial)

    success = u8(USERAUTH_SUCCESS)
    pk_ok = u8(USERAUTH_PK_OK) + string('ssh-ed25519') + string(ED25519_BLOB)
    banner = u8(USERAUTH_BANNER) + string('Authorized use only.\n') + string('en')
    return {
        'publickey-accepted': messages(accept, failure('publickey,password'), pk_ok, success),
        'password': messages(accept, banner, failure('password'), success),
        'key-refused-then-password': messages(accept, failure('publickey,password'),
                                              failure('publickey,password'), failure('password'),
                                              failure('password')),
        'passwd-changereq': messages(accept, failure('password'),
                                     u8(USERAUTH_PK_OK) + string('expired') + string('en'),
                                     success),
        'partial-success': messages(accept, failure('publickey,password', True), pk_ok,
                                    failure('password', True), success),
        'none-accepted': messages(accept, success,
                                  u8(GLOBAL_REQUEST) + string('keepalive@openssh.com') + boolean(True)),
        'ext-info-first': messages(u8(EXT_INFO) + u32(2) + string('server-sig-algs') +
                                   string('ssh-ed25519,rsa-sha2-256,rsa-sha2-512') +
                                   string('publickey-hostbound@openssh.com') + string('0'),
                                   u8(IGNORE) + string('pad'), debug('hi'), accept,
                                   failure('publickey'), pk_ok, success),
        'disconnect': messages(accept, disconnect(14, 'no more methods')),
        # A server-started rekey in the middle of authentication (RFC 4253 §9).
        'rekey-during-auth': messages(accept, kexinit(KEX_SERVER, HOSTKEY_SERVER, comp=COMP_SERVER),
                                      ecdh_reply(X25519_PUB), u8(NEWKEYS), success),
    }


def channel_seeds():
    def conf(chan=0, remote=7, window=2 * 1024 * 1024, maxpkt=32768):
        return u8(CHANNEL_OPEN_CONFIRMATION) + u32(chan) + u32(remote) + u32(window) + u32(maxpkt)

    def data(text, chan=0):
        return u8(CHANNEL_DATA) + u32(chan) + string(text)

    def request(name, want_reply, extra=b'', chan=0):
        return u8(CHANNEL_REQUEST) + u32(chan) + string(name) + boolean(want_reply) + extra

    eof = u8(CHANNEL_EOF) + u32(0)
    close = u8(CHANNEL_CLOSE) + u32(0)
    return {
        'exec-data-exit-close': messages(
            conf(), u8(CHANNEL_SUCCESS) + u32(0), u8(CHANNEL_WINDOW_ADJUST) + u32(0) + u32(1000),
            data('hello\n'), u8(CHANNEL_EXTENDED_DATA) + u32(0) + u32(1) + string('oops\n'),
            eof, request('exit-status', False, u32(0)), close),
        'open-failure-then-open': messages(
            u8(CHANNEL_OPEN_FAILURE) + u32(0) + u32(2) + string('connect failed') + string('en'),
            conf(remote=9), u8(CHANNEL_FAILURE) + u32(0), close),
        'exit-signal': messages(
            conf(), u8(CHANNEL_SUCCESS) + u32(0),
            request('exit-signal', False, string('TERM') + boolean(True) + string('killed') +
                    string('en')),
            eof, close),
        'keepalives-and-refused-open': messages(
            u8(GLOBAL_REQUEST) + string('keepalive@openssh.com') + boolean(True),
            u8(CHANNEL_OPEN) + string('x11') + u32(3) + u32(65536) + u32(16384) +
            string('127.0.0.1') + u32(6010),
            conf(), request('keepalive@openssh.com', True), data('x' * 3000),
            u8(CHANNEL_EXTENDED_DATA) + u32(0) + u32(2) + string('other stream'), close),
        'zero-window-then-adjust': messages(
            conf(window=0, maxpkt=1), u8(CHANNEL_WINDOW_ADJUST) + u32(0) + u32(4),
            u8(CHANNEL_WINDOW_ADJUST) + u32(0) + u32(0xfffffff0), close),
        'data-to-full-window': messages(
            conf(), u8(CHANNEL_SUCCESS) + u32(0), *[data('y' * 30000)] * 3, eof, close),
        'stray-global-reply': messages(conf(), u8(REQUEST_SUCCESS)),
        # A server-started rekey while the channel is open.
        'rekey-while-open': messages(conf(window=0), u8(CHANNEL_WINDOW_ADJUST) + u32(0) + u32(100),
                                     kexinit('curve25519-sha256', 'ssh-ed25519'),
                                     ecdh_reply(X25519_PUB), u8(NEWKEYS), data('late')),
    }


TARGETS = {
    'transport_client': transport_client_seeds,
    'transport_server': transport_server_seeds,
    'kexinit': kexinit_seeds,
    'userauth': userauth_seeds,
    'channel': channel_seeds,
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, 'corpus')
    for target, make in TARGETS.items():
        d = os.path.join(out, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in make().items():
            with open(os.path.join(d, name + '.bin'), 'wb') as f:
                f.write(data)
    print('wrote seeds for', ', '.join(TARGETS), 'under', out)


if __name__ == '__main__':
    main()
