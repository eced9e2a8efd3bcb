#!/usr/bin/env python3
"""systemd's side of what tests/svc-systemd.bats checks.

  sdnotify.py listen SOCKET OUT SECONDS
      bind a Unix datagram socket (a path, or @NAME: abstract), as systemd's
      $NOTIFY_SOCKET; write "listening" to OUT, then each datagram received
      as one line (its newlines as "|"), with the sender's pid first, and
      to OUT.time with the time it was sent (the kernel's, in seconds since
      the epoch) first; exit after SECONDS.
  sdnotify.py split KEY < UNIT
      the words of the unit's KEY= command line (the first one) as systemd
      splits them (systemd.syntax(7): quotes, C escapes, %% and $$), one per
      line of JSON strings; the "-" prefix of the program is dropped.
"""
import json
import os
import socket
import struct
import sys
import time

# and SCM_TIMESTAMP; Python names neither
SO_TIMESTAMP = getattr(socket, "SO_TIMESTAMP", 29)


def listen(path, out, seconds):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if path.startswith("@"):
        addr = "\0" + path[1:]
    else:
        addr = path
        if os.path.exists(path):
            os.unlink(path)
    s.bind(addr)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
    s.settimeout(0.1)
    end = time.monotonic() + seconds
    with open(out, "a") as f, open(out + ".time", "a") as t:
        f.write("listening\n")
        f.flush()
        while time.monotonic() < end:
            try:
                data, anc, _, _ = s.recvmsg(65536, 256)
            except socket.timeout:
                continue
            pid, sent = 0, 0.0
            for level, kind, val in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", val[:12])[0]
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMP:
                    sec, usec = struct.unpack("qq", val[:16])
                    sent = sec + usec / 1e6
            text = data.decode("utf-8", "replace").replace("\n", "|")
            t.write("%.6f %s\n" % (sent, text))
            t.flush()
            f.write("%d %s\n" % (pid, text))
            f.flush()


ESCAPES = {"n": b"\n", "t": b"\t", "\\": b"\\", '"': b'"', "'": b"'", ";": b";"}


def words(line):
    b = line.replace("%%", "%").encode()
    i, out = 0, []
    while True:
        while i < len(b) and b[i] in b" \t":
            i += 1
        if i >= len(b):
            return out
        quoted = b[i : i + 1] == b'"'
        i += quoted
        w = bytearray()
        while i < len(b):
            c = b[i : i + 1]
            if quoted and c == b'"':
                i += 1
                break
            if not quoted and c in (b" ", b"\t"):
                break
            if c == b"\\":
                e = chr(b[i + 1])
                if e == "x":
                    w.append(int(b[i + 2 : i + 4], 16))
                    i += 4
                else:
                    w += ESCAPES[e]
                    i += 2
                continue
            w += c
            i += 1
        out.append(bytes(w).replace(b"$$", b"$").decode())


def split(key):
    for line in sys.stdin:
        if line.startswith(key + "="):
            w = words(line[len(key) + 1 :].rstrip("\n"))
            w[0] = w[0].lstrip("-")
            for x in w:
                print(json.dumps(x))
            return 0
    return 1


if __name__ == "__main__":
    if sys.argv[1] == "listen":
        listen(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif sys.argv[1] == "split":
        sys.exit(split(sys.argv[2]))
