#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_sftp_server (tests/fuzz/corpus/sftp_server/*.bin).

Each seed is one byte (low 7 bits: how the harness cuts the rest into pieces, 0 for all at
once; top bit: writable mode on a fresh tree instead of read-only), then SFTP packets (draft-ietf-secsh-filexfer-02 framing: uint32 length, type, uint32 id, ...)
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

# Seeds for the writable mode (top bit of the first byte).
WRITABLE = {
    "write-file": [
        pkt(3, 1, s("new") + u32(0x1A) + u32(4) + u32(0o600)),
        pkt(6, 2, handle(0, 1) + u64(0) + s("some data")),
        pkt(6, 3, handle(0, 1) + u64(100) + s("more")),
        ext(4, "fsync@openssh.com", handle(0, 1)),
        pkt(10, 5, handle(0, 1) + ATTRS_ALL),
        pkt(4, 6, handle(0, 1)),
        pkt(6, 7, handle(0, 1) + u64(0) + s("stale")),
        pkt(3, 8, s("file") + u32(0x06) + ATTRS_NONE),
        pkt(6, 9, handle(0, 2) + u64(0) + s("appended")),
        pkt(4, 10, handle(0, 2)),
    ],
    "names": [
        pkt(14, 1, s("newdir") + u32(4) + u32(0o700)),
        pkt(18, 2, s("file") + s("newdir/moved")),
        pkt(18, 3, s("newdir/moved") + s("dir/inner")),
        ext(4, "posix-rename@openssh.com", s("newdir/moved") + s("dir/inner")),
        ext(5, "hardlink@openssh.com", s("dir/inner") + s("hard")),
        pkt(20, 6, s("hard") + s("sym")),
        pkt(19, 7, s("sym")),
        ext(8, "lsetstat@openssh.com", s("sym") + u32(8) + u32(1) + u32(2)),
        pkt(9, 9, s("hard") + ATTRS_ALL),
        pkt(13, 10, s("hard")),
        pkt(15, 11, s("newdir")),
        pkt(15, 12, s("dir")),
        pkt(13, 13, s("out")),
    ],
    "copy": [
        pkt(3, 1, s("file") + u32(1) + ATTRS_NONE),
        pkt(3, 2, s("copy") + u32(0x1A) + ATTRS_NONE),
        ext(3, "copy-data", handle(0, 1) + u64(4) + u64(0) + handle(1, 2) + u64(0)),
        ext(4, "copy-data", handle(0, 1) + u64(0) + u64(10) + handle(1, 2) + u64(1 << 20)),
        ext(5, "check-file-handle", handle(1, 2) + s("sha256") + u64(0) + u64(0) + u32(256)),
    ],
    "escapes": [
        pkt(3, 1, s("../evil") + u32(0x1A) + ATTRS_NONE),
        pkt(3, 2, s("out/evil") + u32(0x1A) + ATTRS_NONE),
        pkt(14, 3, s("/../evil") + ATTRS_NONE),
        pkt(18, 4, s("file") + s("../evil")),
        ext(5, "hardlink@openssh.com", s("out/passwd") + s("stolen")),
        pkt(9, 6, s("out/passwd") + u32(4) + u32(0o777)),
    ],
}


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.unlink(os.path.join(OUT, f))
    for prefix, flag, seeds in (("", 0, SEEDS), ("rw-", 0x80, WRITABLE)):
        for name, packets in seeds.items():
            for cut in (0, 7):
                data = bytes([flag | cut]) + b"".join(packets)
                fname = "%s%s%s.bin" % (prefix, name, "-cut7" if cut else "")
                with open(os.path.join(OUT, fname), "wb") as f:
                    f.write(data)


if __name__ == "__main__":
    main()
