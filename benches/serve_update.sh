#!/usr/bin/env bash
# Benchmark: dynamic update of an online-signed zone, zonectl serve against
# knotd (the reference: it signs online too), on the same generated zone
# (default 1,000,000 records, NSEC3, ECDSA P-256 KSK and ZSK), in one run.
#
# For each server:
#   1. latency: UPDATES updates one after another, each adding a new name;
#      the time from sending it to the first answer for the name that
#      carries the A record and its RRSIG (benches/update_latency.py):
#      median, 90th percentile, worst. Goal for zonectl: median < 10 ms.
#   2. load: dnsperf queries existing names (DO set) for 30 s; from the
#      6th second four bursts of BURST updates are sent back to back (each
#      for at most 4 s: Knot takes about a second per update on this zone),
#      2.5 s apart. The qps of the seconds in a burst against those outside.
#      Goal for zonectl: under 5% lost.
#   3. memory: resident size after loading and signing, and after the
#      updates (zone and journal held), as a ratio. Goal for zonectl: < 2.
#
#   benches/serve_update.sh [RECORDS] [UPDATES] [BURST]   (1000000 100 1000)
#
# Needs: cargo, python3, knotd, kdig, dnsperf (Debian: knot knot-dnsutils
# dnsperf). Servers listen on 127.0.0.1 high ports and are stopped by pid.
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
updates=${2:-100}
burst=${3:-1000}
origin=bench.example
for tool in knotd kdig dnsperf python3; do
  command -v "$tool" >/dev/null || { echo "benches/serve_update.sh: $tool is not installed" >&2; exit 2; }
done
work=$(mktemp -d /tmp/zonectl-update.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet
zonectl=$PWD/target/release/zonectl
python3 benches/genzone.py "$records" "$origin." > "$work/$origin.zone"
# Queries for names that exist, as dnsperf reads them.
grep -E '^host[0-9]+ A ' "$work/$origin.zone" | awk -v o="$origin" 'NR % 7 == 1 { print $1 "." o " A" }' \
  | head -100000 > "$work/queries"
echo "zone: $(wc -l < "$work/$origin.zone") lines; $updates updates timed, a burst of $burst under dnsperf"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# Waits until the zone answers with a signed SOA (both servers sign first).
wait_signed() { # port
  for _ in $(seq 3000); do
    local answer
    answer=$(kdig +time=1 +retry=0 +dnssec @127.0.0.1 -p "$1" "$origin" SOA 2>/dev/null || true)
    if grep -q 'RRSIG' <<< "$answer"; then return 0; fi
    sleep 0.2
  done
  echo "server on port $1 did not come up signed" >&2; exit 1
}
rss_mib() { # pid
  awk '/VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"
}

results="$work/results"
: > "$results"
# name port pid
measure() {
  local name=$1 port=$2 pid=$3
  local began loaded rss0 latency burst_out
  # The zone alone: resident size once loading and signing have settled.
  sleep 5
  rss0=$(rss_mib "$pid")
  latency=$(python3 benches/update_latency.py "$port" "$origin." "$updates" lat)
  # zonectl writes the zone file once updates pause: the load test starts
  # after that, so that it measures the burst, not the save before it.
  if [ "$name" = zonectl ]; then
    for _ in $(seq 600); do grep -q 'saved to' "$work/zonectl/log" && break; sleep 0.5; done
  fi
  dnsperf -s 127.0.0.1 -p "$port" -d "$work/queries" -D -l 32 -S 1 -c 8 -q 100 > "$work/$name.perf" 2>&1 &
  local perf=$!
  # Four bursts, each BURST updates or 4 s, whichever ends first; the
  # client runs at the lowest priority, so that what it costs dnsperf is
  # the server's doing, not its own.
  : > "$work/$name.bursts"
  sleep 6
  for _ in 1 2 3 4; do
    nice -n 19 python3 benches/update_latency.py "$port" "$origin." "$burst" "b$RANDOM-" nowait 4 >> "$work/$name.bursts"
    sleep 2.5
  done
  wait "$perf"
  python3 - "$name" "$latency" "$work/$name.bursts" "$work/$name.perf" "$rss0" "$(rss_mib "$pid")" >> "$results" <<'PY'
import sys
name, latency, bursts, perf, rss0, rss1 = sys.argv[1:]
spans = [tuple(float(x) for x in line.split()[1:3]) for line in open(bursts) if line.strip()]
sent = sum(int(line.split()[0]) for line in open(bursts) if line.strip())
samples = []
for line in open(perf):
    parts = line.split(":")
    if len(parts) == 2 and parts[0].replace(".", "").isdigit():
        samples.append((float(parts[0]), float(parts[1])))
first = samples[0][0] if samples else 0
def overlap(t):
    # A sample covers the second that ends at its time stamp.
    return sum(max(0.0, min(t, b) - max(t - 1, a)) for a, b in spans)
quiet = [q for t, q in samples if t >= first + 1 and overlap(t) == 0]
busy = [q for t, q in samples if overlap(t) >= 0.5]
base = sum(quiet) / len(quiet)
load = sum(busy) / len(busy)
rate = sent / sum(b - a for a, b in spans)
print(name, *latency.split()[:3], round(rate), round(base), round(load), round(100 * (1 - load / base), 1), rss0, rss1)
PY
  echo "$name: $(tail -1 "$results")"
}

# zonectl serve
port=$(free_port)
mkdir -p "$work/zonectl"
cp "$work/$origin.zone" "$work/zonectl/"
"$zonectl" keygen "$origin" -K "$work/zonectl/keys" --ksk >/dev/null
"$zonectl" keygen "$origin" -K "$work/zonectl/keys" >/dev/null
cat > "$work/zonectl/serve.yaml" <<EOF
listen: ["127.0.0.1:$port"]
workers: 2
zones:
  - name: $origin
    file: $origin.zone
    allow-update: [{address: 127.0.0.1}]
    dnssec:
      key-directory: keys
      denial: nsec3
EOF
began=$(date +%s.%N)
"$zonectl" serve --config "$work/zonectl/serve.yaml" --log-level info >/dev/null 2>"$work/zonectl/log" & pids+=($!)
wait_signed "$port"
echo "zonectl: loaded and signed in $(python3 -c "print(round($(date +%s.%N) - $began, 1))") s"
measure zonectl "$port" "${pids[-1]}"

# knotd
port=$(free_port)
mkdir -p "$work/knot"
cp "$work/$origin.zone" "$work/knot/"
cat > "$work/knot/knot.conf" <<EOF
server:
  listen: 127.0.0.1@$port
  rundir: "$work/knot"
  udp-workers: 2
  tcp-workers: 1
  background-workers: 2
log:
  - target: "$work/knot/knot.log"
    any: warning
database:
  storage: "$work/knot"
control:
  listen: "$work/knot/knot.sock"
acl:
  - id: local
    address: 127.0.0.1
    action: update
policy:
  - id: bench
    algorithm: ecdsap256sha256
    nsec3: on
    nsec3-iterations: 0
    nsec3-salt-length: 0
template:
  - id: default
    storage: "$work/knot"
    zonefile-sync: -1
    # A journal of the whole signed zone overflows Knot's default journal
    # size on 1M records (the zone never comes up); updates need none.
    journal-content: none
    semantic-checks: off
zone:
  - domain: $origin
    file: $origin.zone
    acl: local
    dnssec-signing: on
    dnssec-policy: bench
EOF
began=$(date +%s.%N)
knotd -c "$work/knot/knot.conf" >/dev/null 2>&1 & pids+=($!)
wait_signed "$port"
echo "knotd: loaded and signed in $(python3 -c "print(round($(date +%s.%N) - $began, 1))") s"
measure knotd "$port" "${pids[-1]}"

echo
printf '%-8s %10s %10s %10s %9s %11s %11s %7s %9s %9s\n' server median_ms p90_ms worst_ms updates/s qps_quiet qps_burst lost_% rss_MiB rss_after
awk '{ printf "%-8s %10s %10s %10s %9s %11s %11s %7s %9s %9s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$results"
awk '
  $1 == "zonectl" { zm = $2; zl = $8; r0 = $9; r1 = $10 }
  $1 == "knotd" { km = $2 }
  END {
    printf "\nUPDATE to signed answer: zonectl median %.2f ms (goal < 10), knotd %.2f ms: %.1fx faster\n", zm, km, km / zm
    printf "dnsperf during the burst of updates: zonectl lost %.1f%% of its qps (goal < 5)\n", zl
    printf "memory: zone and journal after the updates are %.2fx the zone alone (goal < 2)\n", r1 / r0
  }
' "$results"
