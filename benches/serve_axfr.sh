#!/usr/bin/env bash
# Benchmark: AXFR out of a generated zone (default 1,000,000 records) from
# `zonectl serve`, nsd and knotd as primaries, received by `kdig +noall`
# into /dev/null, in one run. Prints, per primary, the best wall time of
# RUNS transfers and the primary's CPU seconds over all of them (from
# /proc), then zonectl's ratio to the faster peer (goal: >= 1.5x).
# kdig formats every record of an AXFR even with +noall, which costs it
# about 2 s of CPU per million records: a floor under every primary's
# figure. So the same transfer is also timed with a reader that only
# frames the messages, which shows the primaries' own speed.
#
#   benches/serve_axfr.sh [RECORDS] [RUNS]      (defaults: 1000000, 3)
#
# Needs: cargo, python3, kdig, nsd, knotd (Debian: knot-dnsutils nsd knot).
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
runs=${2:-3}
origin=bench.example
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    pkill -KILL -P "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
for tool in kdig nsd knotd python3; do
  command -v "$tool" >/dev/null || { echo "benches/serve_axfr.sh: $tool is not installed" >&2; exit 2; }
done

cargo build --release --quiet
zonectl=$PWD/target/release/zonectl
python3 benches/genzone.py "$records" "$origin." > "$work/$origin.zone"
echo "zone: $(wc -l < "$work/$origin.zone") lines, $(du -h "$work/$origin.zone" | cut -f1)"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_for() { # port
  for _ in $(seq 1500); do
    # Captured first: grep -q leaving early would fail the pipe (pipefail).
    local answer
    answer=$(kdig +time=1 +retry=0 @127.0.0.1 -p "$1" "$origin" SOA 2>/dev/null || true)
    if grep -q 'status: NOERROR' <<< "$answer"; then return 0; fi
    sleep 0.2
  done
  echo "server on port $1 did not come up" >&2; exit 1
}
results="$work/results"
: > "$results"
# Best wall time of $runs AXFRs by kdig (parsing, printing nothing), the
# primary's CPU seconds over all of them (every process whose command line
# names the primary's directory, and their children: NSD re-forks after
# loading), and the records one more transfer brings.
measure() { # name port directory
  python3 - "$@" "$runs" "$origin" "$work/out" >> "$results" <<'PY'
import os, subprocess, sys, time
name, port, pattern, runs, origin, out = sys.argv[1:]
def cpu():
    pids = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout.split()
    for p in list(pids):
        pids += subprocess.run(["pgrep", "-P", p], capture_output=True, text=True).stdout.split()
    # A child that matches the pattern itself is counted once.
    ticks = 0
    for p in set(pids):
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks / os.sysconf("SC_CLK_TCK")
c0, best, records = cpu(), None, 0
for _ in range(int(runs)):
    began = time.monotonic()
    subprocess.run(["kdig", "+noall", "+time=60", "@127.0.0.1", "-p", port, origin, "AXFR"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    took = time.monotonic() - began
    best = took if best is None else min(best, took)
spent = cpu() - c0
# The same transfer read by a client that only frames messages (no parsing
# past the first record, no printing): the primary's own speed, since kdig
# spends about two seconds of CPU formatting a million records itself.
import socket, struct
def skip_name(m, i):
    while True:
        n = m[i]
        if n == 0:
            return i + 1
        if n >= 0xC0:
            return i + 2
        i += n + 1
def read_exact(s, n):
    b = bytearray(n); v = memoryview(b); got = 0
    while got < n:
        k = s.recv_into(v[got:], n - got)
        if k == 0:
            raise EOFError("connection closed mid-transfer")
        got += k
    return b
def raw_axfr():
    q = struct.pack(">HHHHHH", 0x4242, 0, 1, 0, 0, 0)
    q += b"".join(bytes([len(l)]) + l.encode() for l in origin.split(".") if l) + b"\0"
    q += struct.pack(">HH", 252, 1)
    s = socket.create_connection(("127.0.0.1", int(port)))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.sendall(struct.pack(">H", len(q)) + q)
    tail, first, messages = None, True, 0
    while True:
        (n,) = struct.unpack(">H", read_exact(s, 2))
        m = read_exact(s, n)
        messages += 1
        ancount = struct.unpack(">H", m[6:8])[0]
        if tail is None:
            i = skip_name(m, 12) + 4          # the question
            i = skip_name(m, i)               # the first record: the SOA
            rdlen = struct.unpack(">H", m[i + 8:i + 10])[0]
            tail = bytes(m[i + 10 + rdlen - 20:i + 10 + rdlen])
        if bytes(m[-20:]) == tail and (not first or ancount > 1):
            s.close()
            return messages
        first = False
raw = None
for _ in range(int(runs)):
    began = time.monotonic()
    raw_axfr()
    took = time.monotonic() - began
    raw = took if raw is None else min(raw, took)
with open(out, "w") as f:
    subprocess.run(["kdig", "+noall", "+answer", "+time=60", "@127.0.0.1", "-p", port, origin, "AXFR"],
                   stdout=f, stderr=subprocess.DEVNULL, check=True)
records = sum(1 for _ in open(out))
print(name, round(best, 3), round(spent, 2), records, round(raw, 3))
PY
}

# zonectl serve
port=$(free_port)
mkdir -p "$work/zonectl"
cp "$work/$origin.zone" "$work/zonectl/"
cat > "$work/zonectl/serve.yaml" <<EOF
listen: ["127.0.0.1:$port"]
workers: 1
zones:
  - name: $origin
    file: $origin.zone
    allow-transfer: [{address: 127.0.0.1}]
EOF
"$zonectl" serve --config "$work/zonectl/serve.yaml" --log-level warn >/dev/null 2>&1 & pids+=($!)
wait_for "$port"
measure zonectl "$port" "$work/zonectl/"

# nsd
port=$(free_port)
mkdir -p "$work/nsd"
cp "$work/$origin.zone" "$work/nsd/"
cat > "$work/nsd/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$port
  port: $port
  username: ""
  chroot: ""
  zonesdir: "$work/nsd"
  database: ""
  zonelistfile: "$work/nsd/zone.list"
  pidfile: "$work/nsd/nsd.pid"
  xfrdfile: "$work/nsd/xfrd.state"
  xfrdir: "$work/nsd"
  logfile: "$work/nsd/nsd.log"
  server-count: 1
remote-control:
  control-enable: no
zone:
  name: $origin
  zonefile: $origin.zone
  provide-xfr: 127.0.0.1 NOKEY
EOF
nsd -d -c "$work/nsd/nsd.conf" & pids+=($!)
wait_for "$port"
measure nsd "$port" "$work/nsd/"

# knotd
port=$(free_port)
mkdir -p "$work/knot"
cp "$work/$origin.zone" "$work/knot/"
cat > "$work/knot/knot.conf" <<EOF
server:
  listen: 127.0.0.1@$port
  rundir: "$work/knot"
database:
  storage: "$work/knot"
control:
  listen: "$work/knot/knot.sock"
acl:
  - id: all
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$work/knot"
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
  - domain: $origin
    file: $origin.zone
    acl: all
EOF
knotd -c "$work/knot/knot.conf" >"$work/knot/knotd.log" 2>&1 & pids+=($!)
wait_for "$port"
measure knotd "$port" "$work/knot/"

echo
printf '%-8s %12s %16s %10s %12s\n' primary kdig_best_s "cpu_s ($runs runs)" records raw_best_s
awk '{ printf "%-8s %12.2f %16.2f %10s %12.2f\n", $1, $2, $3, $4, $5 }' "$results"
awk '
  $1 == "zonectl" { zt = $2; zc = $3; zr = $5; next }
  { if (ft == "" || $2 < ft) { ft = $2; fname = $1 } }
  { if (fr == "" || $5 < fr) { fr = $5; rname = $1 } }
  { if (fc == "" || $3 < fc) { fc = $3; cname = $1 } }
  END {
    printf "\nAXFR out: zonectl is %.2fx as fast as the faster peer (%s); goal >= 1.5\n", ft / zt, fname
    printf "AXFR out to a framing-only reader: zonectl is %.2fx as fast as the faster peer (%s)\n", fr / zr, rname
    printf "primary CPU per transfer: zonectl uses %.2fx the CPU of the cheaper peer (%s)\n", zc / fc, cname
  }
' "$results"
