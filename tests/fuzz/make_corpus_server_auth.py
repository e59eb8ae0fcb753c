#!/usr/bin/env python3
"""Writes the seeds of fuzz_server_auth (tests/fuzz/corpus/server_auth/*.bin).

Layout as for the userauth and channel targets (docs/internals/fuzzing.md): messages from a
client as (uint16 big-endian length, payload) pairs, RFC 4252 userauth and RFC 4254 session
channel messages. The harness accepts user "fuzz" with password "fuzz-password" or the ed25519
test key in tests/data/keys; with the key exchange skipped the session identifier is 32 zero
bytes, so the signed publickey seed carries a real signature by that key (python3-cryptography).

Run from anywhere: python3 tests/fuzz/make_corpus_server_auth.py [output dir, default: corpus].
"""
import os
import shutil
import sys

from cryptography.hazmat.primitives import serialization

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from make_corpus import (  # noqa: E402  (the shared encodings and the test key's blob)
    CHANNEL_CLOSE, CHANNEL_DATA, CHANNEL_EOF, CHANNEL_REQUEST, CHANNEL_WINDOW_ADJUST,
    ED25519_BLOB, GLOBAL_REQUEST, USERAUTH_SUCCESS, boolean, messages, string, u8, u32)

SERVICE_REQUEST = 5
EXT_INFO = 7
USERAUTH_REQUEST = 50
CHANNEL_OPEN = 90
TEST_KEY = os.path.join(HERE, '..', 'data', 'keys', 'ed25519')
USER = 'fuzz'
PASSWORD = 'fuzz-password'
SESSION_ID = bytes(32)  # what ssh_transport_testing_skip_kex leaves


def service():
    return u8(SERVICE_REQUEST) + string('ssh-userauth')


def request(method, rest=b'', user=USER):
    return u8(USERAUTH_REQUEST) + string(user) + string('ssh-connection') + string(method) + rest


def password(pw):
    return request('password', boolean(False) + string(pw))


def pk_query(blob=ED25519_BLOB):
    return request('publickey', boolean(False) + string('ssh-ed25519') + string(blob))


def pk_signed():
    """RFC 4252 §7: the signature covers the session id and the request up to the signature."""
    with open(TEST_KEY, 'rb') as f:
        key = serialization.load_ssh_private_key(f.read(), password=None)
    body = (string(USER) + string('ssh-connection') + string('publickey') + boolean(True) +
            string('ssh-ed25519') + string(ED25519_BLOB))
    sig = key.sign(string(SESSION_ID) + u8(USERAUTH_REQUEST) + body)
    return u8(USERAUTH_REQUEST) + body + string(string('ssh-ed25519') + string(sig))


def chan_open(sender=0, window=2 * 1024 * 1024, maxpkt=32768):
    return u8(CHANNEL_OPEN) + string('session') + u32(sender) + u32(window) + u32(maxpkt)


def chan_request(name, want_reply, extra=b'', chan=0):
    return u8(CHANNEL_REQUEST) + u32(chan) + string(name) + boolean(want_reply) + extra


def session(chan=0):
    """A whole exec session on server channel chan: env, exec, data, EOF, CLOSE."""
    return [chan_request('env', True, string('LANG') + string('C'), chan),
            chan_request('exec', True, string('true'), chan),
            u8(CHANNEL_DATA) + u32(chan) + string('input\n'),
            u8(CHANNEL_WINDOW_ADJUST) + u32(chan) + u32(4096),
            u8(CHANNEL_EOF) + u32(chan),
            u8(CHANNEL_CLOSE) + u32(chan)]


def seeds():
    ok_pw = [service(), request('none'), password(PASSWORD)]
    other_key = bytes.fromhex('0000000b7373682d65643235353139') + string(bytes(range(32)))
    return {
        'service': messages(service()),
        'ext-info-then-password': messages(u8(EXT_INFO) + u32(2) + string('ext-info-in-auth@openssh.com') +
                                           string('0') + string('ping@openssh.com') + string('0'),
                                           *ok_pw),
        'none': messages(service(), request('none')),
        'password-ok': messages(*ok_pw),
        'password-wrong-then-ok': messages(service(), password('nope'), password('nope2'),
                                           password(PASSWORD)),
        'password-too-many': messages(service(), *[password('x%d' % i) for i in range(7)]),
        'publickey-query': messages(service(), pk_query()),
        'publickey-query-unknown': messages(service(), pk_query(other_key)),
        'publickey-signed': messages(service(), pk_query(), pk_signed()),
        'user-change': messages(service(), request('none'), request('none', user='other')),
        'channel-after-password': messages(*ok_pw, chan_open(), *session()),
        'channel-after-publickey': messages(service(), pk_signed(), chan_open(5),
                                            chan_request('pty-req', True, string('xterm') + u32(80) +
                                                         u32(24) + u32(0) + u32(0) + string('')),
                                            chan_request('shell', True),
                                            chan_request('signal', False, string('TERM')),
                                            u8(CHANNEL_EOF) + u32(0), u8(CHANNEL_CLOSE) + u32(0)),
        'channel-before-auth': messages(service(), chan_open()),
        'auth-success-from-client': messages(service(), u8(USERAUTH_SUCCESS), chan_open()),
        'global-requests': messages(*ok_pw,
                                    u8(GLOBAL_REQUEST) + string('keepalive@openssh.com') + boolean(True),
                                    u8(GLOBAL_REQUEST) + string('no-more-sessions@openssh.com') +
                                    boolean(False), chan_open()),
        'many-opens': messages(*ok_pw, *[chan_open(i) for i in range(6)],
                               u8(CHANNEL_CLOSE) + u32(1), chan_open(9)),
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, 'corpus')
    d = os.path.join(out, 'server_auth')
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    for name, data in seeds().items():
        with open(os.path.join(d, name + '.bin'), 'wb') as f:
            f.write(data)
    print('wrote seeds for server_auth under', out)


if __name__ == '__main__':
    main()
