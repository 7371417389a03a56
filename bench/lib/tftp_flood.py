#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""tftp_flood.py SERVER RATE COUNT SECONDS [SEED]

Read requests for "<random %08x>/start4.elf", as a Pi unknown to the
server asks, RATE per second, each from a port of its own, until COUNT were
sent or SECONDS passed (both bound the flood). Replies are read and
counted, never acknowledged. Prints one line:

    sent N unsent F answered A errors E seconds S

(unsent: sendto failed; answered: replies, errors: of them TFTP ERROR
packets, "file not found" for a client the server does not know).
"""
import collections
import os
import random
import select
import socket
import struct
import sys
import time

KEEP_S = 1.0  # how long a request's port waits for its answer


def rrq(name):
    return struct.pack("!H", 1) + name.encode() + b"\0octet\0blksize\x001468\0"


def main():
    server, rate, count, seconds = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    rnd = random.Random(int(sys.argv[5]) if len(sys.argv) > 5 else os.getpid())
    open_socks = collections.deque()  # (deadline, socket)
    sent = answered = errors = failed = 0
    t0 = time.monotonic()
    end = t0 + seconds

    def drain(timeout):
        nonlocal answered, errors
        socks = [s for _, s in open_socks]
        if not socks:
            time.sleep(max(timeout, 0))
            return
        ready, _, _ = select.select(socks, [], [], max(timeout, 0))
        for s in ready:
            try:
                data = s.recv(2048)
            except OSError:
                continue
            answered += 1
            if data[:2] == b"\0\5":
                errors += 1

    while sent < count:
        now = time.monotonic()
        if now >= end:
            break
        while open_socks and open_socks[0][0] <= now:
            open_socks.popleft()[1].close()
        due = t0 + sent / rate
        if now < due:
            drain(min(due, end) - now)
            continue
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setblocking(False)
        sent += 1
        try:
            s.sendto(rrq("%08x/start4.elf" % rnd.getrandbits(32)), (server, 69))
        except OSError:
            s.close()
            failed += 1
            continue
        open_socks.append((now + KEEP_S, s))
    elapsed = time.monotonic() - t0
    stop = time.monotonic() + KEEP_S
    while open_socks and time.monotonic() < stop:
        drain(stop - time.monotonic())
    for _, s in open_socks:
        s.close()
    print("sent %d unsent %d answered %d errors %d seconds %.3f" % (sent, failed, answered, errors, elapsed))


main()
