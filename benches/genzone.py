#!/usr/bin/env python3
"""Writes a realistic zone of about N records to stdout, for benchmarks.

Usage: genzone.py N [ORIGIN]

The mix: hosts with A and AAAA, mail hosts with MX, TXT (SPF and
verification tokens), CNAME aliases, SRV services, and delegations with
in-bailiwick glue. The output is deterministic for a given N.
"""
import random
import sys


def main():
    n = int(sys.argv[1])
    origin = sys.argv[2] if len(sys.argv) > 2 else "bench.example."
    rnd = random.Random(42)
    out = sys.stdout
    w = out.write
    w(f"$ORIGIN {origin}\n$TTL 3600\n")
    w("@ IN SOA ns1 hostmaster 2026112501 7200 1800 1209600 3600\n")
    w("@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\nns1 AAAA 2001:db8::1\nns2 A 192.0.2.2\nns2 AAAA 2001:db8::2\n")
    w("@ MX 10 mail10\n@ TXT \"v=spf1 mx -all\"\n")
    count = 10
    i = 0
    while count < n:
        i += 1
        kind = i % 20
        if kind < 8:
            w(f"host{i} A 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}\n")
            w(f"host{i} AAAA 2001:db8:{(i >> 16) & 0xffff:x}:{i & 0xffff:x}::1\n")
            count += 2
        elif kind < 10:
            w(f"www{i} CNAME host{i - 1}\n")
            count += 1
        elif kind < 12:
            w(f"mail{i} A 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}\n")
            w(f"mx{i} MX 10 mail{i}\n")
            count += 2
        elif kind < 15:
            token = "%032x" % rnd.getrandbits(128)
            w(f'txt{i} TXT "v=spf1 ip4:10.{i & 255}.0.0/16 -all" "verification={token}"\n')
            count += 1
        elif kind < 17:
            w(f"_sip._tcp.svc{i} SRV 10 60 5060 host{i - (i % 20) + 1}\n")
            count += 1
        else:
            w(f"sub{i} NS ns1.sub{i}\nsub{i} NS ns2.sub{i}\n")
            w(f"ns1.sub{i} A 10.200.{(i >> 8) & 255}.{i & 255}\nns2.sub{i} A 10.201.{(i >> 8) & 255}.{i & 255}\n")
            count += 4
    out.flush()


if __name__ == "__main__":
    main()
