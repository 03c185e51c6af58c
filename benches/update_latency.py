#!/usr/bin/env python3
"""Time from an RFC 2136 UPDATE to the signed answer for the new name.

Usage: update_latency.py PORT ORIGIN COUNT [PREFIX [nowait [SECONDS]]]

Sends COUNT updates to 127.0.0.1:PORT one after another, each adding
`PREFIX<i>.ORIGIN A 198.51.100.<i % 250>` (no TSIG: the server allows the
address), and after each asks for the new name with DO set until the
answer holds the A record and an RRSIG over it. Prints the median, 90th
percentile and worst latency in milliseconds, and the count measured.
With `nowait`, sends the updates back to back (each after the answer to
the one before) without asking for the names, and prints the count and
the wall-clock times (seconds since the epoch) of the first and last,
stopping early after SECONDS if given (a slow server).
"""
import socket
import statistics
import struct
import sys
import time


def name_wire(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def update_message(ident, origin, owner, addr):
    header = struct.pack(">HHHHHH", ident, 5 << 11, 1, 0, 1, 0)
    zone = name_wire(origin) + struct.pack(">HH", 6, 1)
    rdata = bytes(int(x) for x in addr.split("."))
    record = name_wire(owner) + struct.pack(">HHIH", 1, 1, 300, 4) + rdata
    return header + zone + record


def query_message(ident, owner):
    header = struct.pack(">HHHHHH", ident, 0, 1, 0, 0, 1)
    question = name_wire(owner) + struct.pack(">HH", 1, 1)
    opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0x8000, 0)
    return header + question + opt


def answer_types(msg):
    """The types of the answer section's records."""
    qd, an = struct.unpack(">HH", msg[4:8])
    pos = 12

    def skip_name(p):
        while True:
            n = msg[p]
            if n == 0:
                return p + 1
            if n & 0xC0 == 0xC0:
                return p + 2
            p += n + 1

    for _ in range(qd):
        pos = skip_name(pos) + 4
    types = []
    for _ in range(an):
        pos = skip_name(pos)
        rtype, _, _, rdlen = struct.unpack(">HHIH", msg[pos:pos + 10])
        types.append(rtype)
        pos += 10 + rdlen
    return types


def main():
    port, origin, count = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    prefix = sys.argv[4] if len(sys.argv) > 4 else "upd"
    wait = not (len(sys.argv) > 5 and sys.argv[5] == "nowait")
    budget = float(sys.argv[6]) if len(sys.argv) > 6 else None
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # A slow server may take seconds to apply an update.
    sock.settimeout(60.0)
    server = ("127.0.0.1", port)
    latencies = []
    started = time.time()
    for i in range(count):
        owner = f"{prefix}{i}.{origin}"
        ident = (i * 2) & 0xFFFF
        began = time.perf_counter()
        sock.sendto(update_message(ident, origin, owner, f"198.51.100.{i % 250}"), server)
        while True:
            reply, _ = sock.recvfrom(65535)
            if struct.unpack(">H", reply[:2])[0] == ident:
                break
        rcode = reply[3] & 0xF
        if rcode != 0:
            print(f"update {i} failed: rcode {rcode}", file=sys.stderr)
            sys.exit(1)
        if not wait:
            if budget is not None and time.time() - started > budget:
                count = i + 1
                break
            continue
        while True:
            sock.sendto(query_message(ident + 1, owner), server)
            try:
                reply, _ = sock.recvfrom(65535)
            except socket.timeout:
                continue
            if struct.unpack(">H", reply[:2])[0] != (ident + 1) & 0xFFFF:
                continue
            types = answer_types(reply)
            if 1 in types and 46 in types:
                break
            if time.perf_counter() - began > 30:
                print(f"{owner} not answered signed within 30 s", file=sys.stderr)
                sys.exit(1)
        latencies.append((time.perf_counter() - began) * 1000)
    if not wait:
        print(f"{count} {started:.3f} {time.time():.3f}")
        return
    latencies.sort()
    p90 = latencies[int(len(latencies) * 0.9) - 1] if len(latencies) >= 10 else latencies[-1]
    print(f"{statistics.median(latencies):.2f} {p90:.2f} {latencies[-1]:.2f} {len(latencies)}")


if __name__ == "__main__":
    main()
