#!/usr/bin/env python3
"""Writes the seed corpus of tests/fuzz/fuzz_virtqueue.c (format described
there): a few well-formed driver sessions the fuzzer mutates from."""
import os
import struct
import sys

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus-virtqueue")
os.makedirs(out, exist_ok=True)

NEXT, WRITE, INDIRECT = 1, 2, 4
DESC, AVAIL, USED = 0x000, 0x080, 0x0a0   # queue 0, size 8
DESC1, AVAIL1, USED1 = 0x400, 0x480, 0x4a0  # queue 1, size 8


def desc(addr, ln, flags, nxt):
    return struct.pack("<QIHH", addr, ln, flags, nxt)


def setup(q, num, d, a, u, feat):
    return bytes([3, q]) + struct.pack("<HHHHB", num, d, a, u, feat)


def push(q, head):
    return bytes([7, q]) + struct.pack("<H", head)


def seed(name, cfg, ops, image):
    mem = bytearray(0x600)
    for off, b in image:
        mem[off:off + len(b)] = b
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([cfg]) + struct.pack("<H", len(ops)) + ops + bytes(mem))


def blk_req(type_, sector, dlen, dflags):
    return [(DESC, desc(0x100, 16, NEXT, 1) + desc(0x200, dlen, NEXT | dflags, 2) + desc(0x3f0, 1, WRITE, 0)),
            (0x100, struct.pack("<IIQ", type_, 0, sector))]


ops = setup(0, 8, DESC, AVAIL, USED, 0) + bytes([4]) + push(0, 0) + bytes([9])
seed("blk-read", 0, ops, blk_req(0, 1, 512, WRITE))
seed("blk-write", 0, ops, blk_req(1, 2, 512, 0))
seed("blk-write-ro", 2, ops, blk_req(1, 2, 512, 0))
seed("blk-getid", 0, ops, blk_req(8, 0, 20, WRITE))
seed("blk-flush", 0, ops, [(DESC, desc(0x100, 16, NEXT, 1) + desc(0x3f0, 1, WRITE, 0)),
                           (0x100, struct.pack("<IIQ", 4, 0, 0))])
ind = [(DESC, desc(0x180, 48, INDIRECT, 0)),
       (0x180, desc(0x100, 16, NEXT, 1) + desc(0x200, 512, NEXT | WRITE, 2) + desc(0x3f0, 1, WRITE, 0)),
       (0x100, struct.pack("<IIQ", 0, 3, 0))]
seed("blk-indirect", 0, setup(0, 8, DESC, AVAIL, USED, 1) + bytes([4]) + push(0, 0) + push(0, 0), ind)
seed("blk-event-idx", 0, setup(0, 8, DESC, AVAIL, USED, 2) + bytes([4]) + push(0, 0) + bytes([9]) + push(0, 0),
     blk_req(0, 1, 512, WRITE))

con_ops = (setup(0, 8, DESC, AVAIL, USED, 0) + setup(1, 8, DESC1, AVAIL1, USED1, 0x80) + bytes([4]) +
           push(1, 0) + bytes([8, 5]) + b"hello" + push(0, 0) + bytes([9]))
seed("console", 1, con_ops, [(DESC, desc(0x200, 64, WRITE, 0)), (DESC1, desc(0x300, 6, 0, 0)),
                             (0x300, b"hello\n")])

# virtio-net (cfg bit 2): queue 0 receives, queue 1 transmits; op 8 is a
# frame from the "tap" (12-byte header first)
frame = bytes(12) + b"\xff" * 6 + bytes([0x0a, 0x58, 10, 88, 0, 2]) + b"\x08\x06" + bytes(46)
net_ops = (setup(0, 8, DESC, AVAIL, USED, 0) + setup(1, 8, DESC1, AVAIL1, USED1, 0x80) + bytes([4]) +
           push(0, 0) + push(1, 0) + bytes([9]))
net_img = [(DESC, desc(0x200, 0x100, WRITE, 0)), (DESC1, desc(0x300, len(frame), 0, 0)), (0x300, frame)]
seed("net-tx", 4, net_ops, net_img)
seed("net-rx", 4, net_ops + bytes([8, len(frame)]) + frame + bytes([9]), net_img)


def reg(off, val):
    return bytes([0]) + struct.pack("<HI", off, val)


# mergeable receive buffers (bit 15), negotiated by hand: four small buffers
mrg_ops = (reg(0x070, 0) + reg(0x070, 3) + reg(0x024, 0) + reg(0x020, 1 << 15) + reg(0x024, 1) +
           reg(0x020, 1) + reg(0x070, 0xb) + setup(0, 8, DESC, AVAIL, USED, 0x80) +
           setup(1, 8, DESC1, AVAIL1, USED1, 0x80) + bytes([4]) +
           push(0, 0) + push(0, 1) + push(0, 2) + push(0, 3) + bytes([8, len(frame)]) + frame + bytes([9]))
seed("net-mrg", 4, mrg_ops, [(DESC, b"".join(desc(0x200 + 32 * i, 32, WRITE, 0) for i in range(4)))])

# virtio-vsock (cfg bit 3): three queues; a guest packet (REQUEST to the
# host: refused), receive buffers, a host connection's CONNECT line
vh = struct.pack("<QQIIIHHIII", 3, 2, 1234, 5000, 0, 1, 1, 0, 65536, 0)
vs_ops = (setup(0, 8, DESC, AVAIL, USED, 0) + setup(1, 8, DESC1, AVAIL1, USED1, 0x80) + bytes([4]) +
          push(0, 0) + push(0, 1) + push(1, 2) + bytes([8, 13]) + b"CONNECT 5000\n" + bytes([9]))
seed("vsock", 8, vs_ops, [(DESC, desc(0x200, 0x80, WRITE, 0) + desc(0x280, 0x80, WRITE, 0) +
                            desc(0x300, len(vh), 0, 0)), (0x300, vh)])
