#!/usr/bin/env python3
"""Writes the seeds of fuzz_scp_sink (tests/fuzz/corpus/scp_sink/*.bin): a flags byte, a cut
byte, then what an scp source sends (docs/internals/scp.md): files, times, directories,
messages, and the hostile lines the sink must refuse; with flag 16, a sink's answers to a
source instead.

Run from anywhere: python3 tests/fuzz/make_corpus_scp.py [output dir, default: corpus/scp_sink].
"""
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

R, PATTERNS, REFUSE, WRITE_FAIL, SOURCE = 1, 2, 4, 8, 16

SEEDS = {
    'one-file': (0, 0, b'C0644 3 ok\nabc\0'),
    'one-file-bytewise': (0, 64, b'C0644 3 ok\nabc\0'),
    'times-and-files': (0, 5, b'T1000000000 0 1100000000 0\nC0640 3 t\nabc\0C0644 0 e\n\0'),
    'tree': (R, 7, b'T1000000000 0 1100000000 0\nD0700 0 dd\nC0644 3 f\nabc\0'
                   b'D0555 0 ro\nC0600 1 g\nx\0E\nE\n'),
    'tree-refused': (R | REFUSE, 3, b'D0755 0 a\nC0644 1 b\nx\0C0644 1 c\ny\0D0755 0 d\nE\nE\n'),
    'write-fails': (WRITE_FAIL, 2, b'C0644 8 w\nabcdefgh\0C0644 1 v\nx\0'),
    'requested': (PATTERNS, 0, b'C0644 1 wanted.txt\nx\0C0644 1 x\ny\0'),
    'unrequested': (PATTERNS, 0, b'C0644 6 .bashrc\nevil!\n\0'),
    'messages': (0, 0, b'\x01scp: x: not a regular file\nC0644 1 ok\nx\0\x02scp: fatal\n'),
    'source-error': (0, 0, b'C0644 3 bad\nabc\x01scp: bad: Input/output error\nC0644 1 g\nx\0'),
    'dotdot': (0, 0, b'C0644 3 ../evil\nabc\0'),
    'absolute': (0, 0, b'C0644 3 /tmp/evil\nabc\0'),
    'dot-dir': (R, 0, b'D0555 0 .\nE\n'),
    'short-file': (0, 0, b'C0644 100 partial\nabc'),
    'long-line': (0, 0, b'C0644 3 ' + b'x' * 3072 + b'\nabc\0'),
    'bad-mode': (0, 0, b'C06x4 3 m\nabc\0'),
    'big-size': (0, 0, b'C0644 9223372036854775808 s\nabc\0'),
    'bad-times': (0, 0, b'T-1 0 1 0\n'),
    'first-line-garbage': (0, 0, b'bash: scp: command not found\n'),
    'e-at-top': (0, 0, b'E\nC0644 1 x\nx\0'),
    'eof-in-dirs': (R, 0, b'D0755 0 a\nD0700 0 b\nC0644 1 f\nx\0'),
    # answers to the fixed tree a source sends (the target's bit 4)
    'source-all-ok': (SOURCE, 0, b'\0' * 40),
    'source-refusals': (SOURCE, 2, b'\0\0\0\0\x01scp: f: Permission denied\n' + b'\0' * 30),
    'source-fatal': (SOURCE, 1, b'\0\0\x02scp: protocol error: bad mode\n'),
    'source-odd-byte': (SOURCE, 0, b'\0Xwhat\n'),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, 'corpus', 'scp_sink')
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    for name, (flags, cut, body) in sorted(SEEDS.items()):
        with open(os.path.join(out, name + '.bin'), 'wb') as f:
            f.write(bytes([flags, cut]) + body)


if __name__ == '__main__':
    main()
