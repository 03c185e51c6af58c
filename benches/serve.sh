#!/usr/bin/env bash
# zonectl serve against NSD and Knot on the same 1,000,000-record zone,
# unsigned and signed with NSEC3, with the same number of worker threads,
# queried by dnsperf with the same query file (existing names, names that
# do not exist, names below delegations; DO on half the run).
#
# Prints for each server and zone: qps at saturation, average latency,
# server CPU seconds per million answers (from /proc, over the server's
# whole process tree: on a small machine dnsperf competes with the server,
# so CPU per answer is the fair figure), peak resident memory and bytes
# per record, the time to load the zone; then zonectl's ratios to the
# better of NSD and Knot.
#
#   benches/serve.sh [--records N] [--duration SECONDS] [--workers N]
#
# Needs: cargo, python3, nsd, knotd, dnsperf, dig (Debian: nsd knot dnsperf
# bind9-dnsutils). Servers listen on 127.0.0.1 high ports and are stopped
# by pid.
set -euo pipefail

records=1000000
duration=20
workers=2
while [ $# -gt 0 ]; do
    case "$1" in
        --records) records=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --workers) workers=$2; shift 2 ;;
        *) echo "usage: $0 [--records N] [--duration SECONDS] [--workers N]" >&2; exit 2 ;;
    esac
done
for tool in nsd knotd dnsperf dig python3; do
    command -v "$tool" >/dev/null || { echo "benches/serve.sh: $tool is not installed" >&2; exit 2; }
done

root=$(cd "$(dirname "$0")/.." && pwd)
cargo build --release --quiet --manifest-path "$root/Cargo.toml"
zonectl="$root/target/release/zonectl"
work=$(mktemp -d /tmp/zonectl-bench.XXXXXX)
cleanup() {
    stop_all "$work/" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# The processes of one server: every process whose command line holds its
# unique pattern (NSD re-forks its main process after loading, so the pid
# it started with is not the one that answers).
procs() {
    local p
    for p in $(pgrep -f -- "$1" || true); do
        descendants "$p"
    done | sort -un
}
# A process and its descendants (NSD's answering children may rename
# themselves).
descendants() {
    echo "$1"
    local child
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        descendants "$child"
    done
}
stop_all() {
    for p in $(procs "$1"); do kill "$p" 2>/dev/null || true; done
    local deadline=$((SECONDS + 10))
    while [ -n "$(procs "$1")" ] && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
}
# CPU seconds used so far by a server's processes (utime + stime, all threads).
cpu_seconds() {
    local ticks=0 t
    for p in $(procs "$1"); do
        # Fields after the command name, which may hold spaces ("nsd: server 1").
        t=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || echo 0)
        ticks=$((ticks + t))
    done
    python3 -c "import os; print($ticks / os.sysconf('SC_CLK_TCK'))"
}
# Peak resident memory of a server's processes, in KiB (VmHWM of each).
peak_kib() {
    local kib=0 k
    for p in $(procs "$1"); do
        k=$(awk '/^VmHWM/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
        kib=$((kib + ${k:-0}))
    done
    echo "$kib"
}
wait_answering() {
    local port=$1 deadline=$((SECONDS + 300))
    until dig +time=1 +tries=1 +norec @127.0.0.1 -p "$port" bench.test SOA 2>/dev/null | grep -q 'status: NOERROR'; do
        [ $SECONDS -lt $deadline ] || { echo "no answer on port $port" >&2; return 1; }
        sleep 0.05
    done
}
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

echo "== generating a zone of $records records, and queries" >&2
python3 - "$work" "$records" <<'EOF'
import random, sys
work, total = sys.argv[1], int(sys.argv[2])
random.seed(7)
names = []
with open(f"{work}/bench.test.zone", "w") as f:
    f.write("$ORIGIN bench.test.\n$TTL 3600\n@ SOA ns1 hostmaster 1 3600 600 864000 300\n"
            "@ NS ns1\n@ NS ns2\nns1 A 192.0.2.1\nns2 A 192.0.2.2\n")
    n, i = 0, 0
    while n < total:
        f.write(f"h{i} A 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}\n"
                f"h{i} AAAA 2001:db8::{i >> 16:x}:{i & 0xffff:x}\n")
        n += 2
        if i % 100 == 0:
            f.write(f"d{i} NS ns.d{i}\nns.d{i} A 192.0.2.9\n")
            n += 2
        i += 1
hosts = i
with open(f"{work}/queries", "w") as q:
    for _ in range(200000):
        r = random.random()
        h = random.randrange(hosts)
        if r < 0.6:
            q.write(f"h{h}.bench.test {random.choice(['A', 'AAAA'])}\n")
        elif r < 0.9:
            q.write(f"nx{h}.bench.test A\n")
        else:
            q.write(f"www.d{h - h % 100}.bench.test A\n")
EOF

echo "== signing a copy with NSEC3" >&2
"$zonectl" keygen bench.test --algorithm ECDSAP256SHA256 --csk -K "$work/keys" >/dev/null
"$zonectl" sign -z bench.test --keys "$work/keys" --nsec3 -o "$work/bench.test.nsec3.zone" "$work/bench.test.zone" 2>/dev/null

start_zonectl() {
    local zone=$1 port=$2 dir=$3
    cp "$zone" "$dir/bench.test.zone"
    "$zonectl" serve --zone "bench.test=$dir/bench.test.zone" --listen "127.0.0.1:$port" --workers "$workers" \
        --log-level warn >"$dir/out" 2>"$dir/err" &
}
start_nsd() {
    local zone=$1 port=$2 dir=$3
    cp "$zone" "$dir/bench.test.zone"
    cat >"$dir/nsd.conf" <<EOF
server:
  ip-address: 127.0.0.1@$port
  port: $port
  username: ""
  chroot: ""
  zonesdir: "$dir"
  database: ""
  zonelistfile: "$dir/zone.list"
  pidfile: "$dir/nsd.pid"
  xfrdfile: "$dir/xfrd.state"
  logfile: "$dir/nsd.log"
  server-count: $workers
  reuseport: yes
  rrl-ratelimit: 0
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: bench.test
  zonefile: bench.test.zone
EOF
    nsd -d -c "$dir/nsd.conf" >/dev/null 2>&1 &
}
start_knotd() {
    local zone=$1 port=$2 dir=$3
    cp "$zone" "$dir/bench.test.zone"
    cat >"$dir/knot.conf" <<EOF
server:
  listen: 127.0.0.1@$port
  rundir: "$dir"
  udp-workers: $workers
  tcp-workers: 1
  background-workers: 1
log:
  - target: "$dir/knot.log"
    any: warning
database:
  storage: "$dir"
template:
  - id: default
    storage: "$dir"
    zonefile-sync: -1
    journal-content: none
    semantic-checks: off
zone:
  - domain: bench.test
    file: "bench.test.zone"
EOF
    knotd -c "$dir/knot.conf" >/dev/null 2>&1 &
}

# One server on one zone: "server zone qps latency_ms cpu_per_million peak_mib bytes_per_record load_s"
measure() {
    local server=$1 label=$2 zone=$3
    local dir port began loaded cpu0 cpu1
    dir=$(mktemp -d "$work/$server.XXXX")
    port=$(free_port)
    began=$(date +%s.%N)
    "start_$server" "$zone" "$port" "$dir"
    wait_answering "$port"
    loaded=$(python3 -c "print(round($(date +%s.%N) - $began, 2))")
    sleep 1
    cpu0=$(cpu_seconds "$dir/")
    local half=$(((duration + 1) / 2))
    dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l "$half" -c 16 -T 1 -q 200 >"$dir/perf1" 2>&1
    dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -l "$half" -c 16 -T 1 -q 200 -D >"$dir/perf2" 2>&1
    cpu1=$(cpu_seconds "$dir/")
    local peak
    peak=$(peak_kib "$dir/")
    stop_all "$dir/"
    python3 - "$server" "$label" "$dir" "$cpu0" "$cpu1" "$peak" "$records" "$loaded" <<'EOF'
import re, sys
server, label, d, cpu0, cpu1, peak, records, loaded = sys.argv[1:]
completed, seconds, latency_sum = 0, 0.0, 0.0
for f in ("perf1", "perf2"):
    text = open(f"{d}/{f}").read()
    c = int(re.search(r"Queries completed:\s+(\d+)", text).group(1))
    s = float(re.search(r"Run time \(s\):\s+([\d.]+)", text).group(1))
    l = float(re.search(r"Average Latency \(s\):\s+([\d.]+)", text).group(1))
    completed, seconds, latency_sum = completed + c, seconds + s, latency_sum + l * c
cpu = float(cpu1) - float(cpu0)
print(f"{server} {label} {completed / seconds:.0f} {latency_sum / completed * 1000:.3f} "
      f"{cpu / completed * 1e6:.2f} {int(peak) / 1024:.0f} {int(peak) * 1024 / int(records):.0f} {loaded}")
EOF
}

results="$work/results"
: >"$results"
for label in unsigned nsec3; do
    zone="$work/bench.test.zone"
    [ "$label" = nsec3 ] && zone="$work/bench.test.nsec3.zone"
    for server in zonectl nsd knotd; do
        echo "== $server, $label zone" >&2
        measure "$server" "$label" "$zone" >>"$results"
    done
done

python3 - "$results" "$records" "$workers" "$duration" <<'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
records, workers, duration = sys.argv[2:]
print(f"zonectl serve vs NSD and Knot: {records} records, {workers} workers each, dnsperf {duration} s per server and zone (DO on half)")
print(f"{'server':8} {'zone':9} {'qps':>9} {'latency ms':>11} {'CPU s/M answers':>16} {'peak MiB':>9} {'B/record':>9} {'load s':>7}")
for r in rows:
    print(f"{r[0]:8} {r[1]:9} {r[2]:>9} {r[3]:>11} {r[4]:>16} {r[5]:>9} {r[6]:>9} {r[7]:>7}")
print()
for label in ("unsigned", "nsec3"):
    by = {r[0]: r for r in rows if r[1] == label}
    z = by["zonectl"]
    cheaper_cpu = min(float(by[s][4]) for s in ("nsd", "knotd"))
    faster_qps = max(float(by[s][2]) for s in ("nsd", "knotd"))
    least_mem = float(by["nsd"][6])
    nsd_load = float(by["nsd"][7])
    print(f"{label}: CPU per answer {float(z[4]) / cheaper_cpu:.2f}x the cheaper peer (goal <= 0.67), "
          f"qps {float(z[2]) / faster_qps:.2f}x the faster (goal >= 1), "
          f"memory per record {float(z[6]) / least_mem:.2f}x NSD's (goal <= 1), "
          f"load time {float(z[7]) / nsd_load:.2f}x NSD's (goal <= 1)")
EOF
