#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_sftp_server (tests/fuzz/corpus/sftp_server/*.bin).

Each seed is one byte choosing how the harness cuts the rest into pieces (0: all at once),
then SFTP packets (draft-ietf-secsh-filexfer-02 framing: uint32 length, type, uint32 id, ...)
as a client sends them after SSH_FXP_INIT, which the harness sends itself. The harness's jail
holds "file", "dir/inner", "dir/link" (-> ../file) and "out" (-> /etc); the handles it hands
out are 8 bytes, slot then generation, counting from slot 0 generation 1.
"""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "sftp_server")


def u32(v):
    return struct.pack(">I", v)


def u64(v):
    return struct.pack(">Q", v)


def s(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def pkt(type_, rid, body=b""):
    payload = bytes([type_]) + u32(rid) + body
    return u32(len(payload)) + payload


def ext(rid, name, body=b""):
    return pkt(200, rid, s(name) + body)


def handle(slot, gen):
    return s(u32(slot) + u32(gen))


ATTRS_NONE = u32(0)
ATTRS_ALL = u32(0xF) + u64(5) + u32(0) + u32(0) + u32(0o100644) + u32(1) + u32(2)

SEEDS = {
    "open-read-close": [
        pkt(3, 1, s("file") + u32(1) + ATTRS_NONE),
        pkt(5, 2, handle(0, 1) + u64(0) + u32(16)),
        pkt(5, 3, handle(0, 1) + u64(16) + u32(100)),
        pkt(5, 4, handle(0, 1) + u64(1000) + u32(10)),
        pkt(8, 5, handle(0, 1)),
        pkt(4, 6, handle(0, 1)),
        pkt(4, 7, handle(0, 1)),
    ],
    "readdir": [
        pkt(11, 1, s("/")),
        pkt(12, 2, handle(0, 1)),
        pkt(12, 3, handle(0, 1)),
        pkt(4, 4, handle(0, 1)),
        pkt(11, 5, s("dir")),
        pkt(12, 6, handle(0, 2)),
        pkt(4, 7, handle(0, 2)),
    ],
    "names": [
        pkt(16, 1, s(".")),
        pkt(16, 2, s("")),
        pkt(16, 3, s("..")),
        pkt(16, 4, s("dir/link")),
        pkt(16, 5, s("missing")),
        pkt(17, 6, s("dir/link")),
        pkt(7, 7, s("dir/link")),
        pkt(19, 8, s("dir/link")),
        pkt(17, 9, s("out/passwd")),
        pkt(17, 10, s("../../etc/passwd")),
        pkt(7, 11, s("/")),
    ],
    "extensions": [
        ext(1, "limits@openssh.com"),
        ext(2, "statvfs@openssh.com", s("/")),
        ext(3, "expand-path@openssh.com", s("~/dir")),
        ext(4, "home-directory", s("")),
        ext(5, "users-groups-by-id@openssh.com", s(u32(0) + u32(65534)) + s(u32(0))),
        ext(6, "check-file-name", s("file") + s("sha256") + u64(0) + u64(0) + u32(0)),
        ext(7, "check-file-name", s("file") + s("md5,xxh3") + u64(3) + u64(30) + u32(256)),
        pkt(3, 8, s("file") + u32(1) + ATTRS_NONE),
        ext(9, "check-file-handle", handle(0, 1) + s("xxh128") + u64(0) + u64(0) + u32(256)),
        ext(10, "fstatvfs@openssh.com", handle(0, 1)),
        ext(11, "copy-data", handle(0, 1) + u64(0) + u64(0) + handle(0, 1) + u64(0)),
        ext(12, "no-such@example.com", b"junk"),
    ],
    "writes-refused": [
        pkt(3, 1, s("new") + u32(0x1A) + ATTRS_ALL),
        pkt(14, 2, s("newdir") + ATTRS_NONE),
        pkt(13, 3, s("file")),
        pkt(15, 4, s("dir")),
        pkt(18, 5, s("file") + s("file2")),
        pkt(20, 6, s("file") + s("link2")),
        pkt(9, 7, s("file") + ATTRS_ALL),
        ext(8, "posix-rename@openssh.com", s("file") + s("x")),
        ext(9, "hardlink@openssh.com", s("file") + s("x")),
        ext(10, "lsetstat@openssh.com", s("dir/link") + ATTRS_ALL),
    ],
    "malformed": [
        pkt(5, 1, s("h")),
        pkt(17, 2, u32(1000) + b"abc"),
        pkt(9, 3, s("file") + u32(0x80000000) + u32(0xFFFFFFFF)),
        pkt(17, 4, s(b"fi\x00le")),
        pkt(99, 5),
        pkt(200, 6),
        ext(7, "users-groups-by-id@openssh.com", s(b"abc") + s(b"")),
        ext(8, "check-file-name", s("file") + s("sha256") + u64(0) + u64(0) + u32(3)),
    ],
    "pipelined": [pkt(3, 1, s("file") + u32(1) + ATTRS_NONE)]
    + [pkt(5, 100 + k, handle(0, 1) + u64(4 * k) + u32(8)) for k in range(64)],
    "too-many-handles": [pkt(3, k, s("file") + u32(1) + ATTRS_NONE) for k in range(12)],
    "oversized": [pkt(16, 1, s(".")), u32(0x7FFFFFFF) + b"\x05"],
    "second-init": [u32(5) + b"\x01" + u32(3)],
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.unlink(os.path.join(OUT, f))
    for name, packets in SEEDS.items():
        for cut in (0, 7):
            data = bytes([cut]) + b"".join(packets)
            with open(os.path.join(OUT, "%s%s.bin" % (name, "-cut7" if cut else "")), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
