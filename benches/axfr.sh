#!/usr/bin/env bash
# Benchmark: AXFR of a generated zone from nsd and from knotd, received and
# written to a file by `zonectl xfr`, `dig AXFR` and `kdig AXFR`, in one
# run. Prints wall time (best of RUNS) and peak memory for each client, and
# zonectl's ratio to the faster of dig and kdig, per primary.
#
#   benches/axfr.sh [RECORDS] [RUNS]      (defaults: 1000000 records, 3 runs)
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
    kill "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

cargo build --release --quiet
zonectl=$PWD/target/release/zonectl
python3 benches/genzone.py "$records" "$origin." > "$work/$origin.zone"
echo "zone: $(wc -l < "$work/$origin.zone") lines, $(du -h "$work/$origin.zone" | cut -f1)"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_for() { # port
  for _ in $(seq 600); do
    if "$zonectl" xfr "$origin" --from "127.0.0.1:$1" --timeout 1 >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "server on port $1 did not come up" >&2; exit 1
}

# best wall seconds and peak KiB over $runs runs; output to $work/out
measure() {
  local best_t="" best_m=""
  for _ in $(seq "$runs"); do
    rm -f "$work/out"
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>&1 || true
    read -r t m < "$work/time"
    if [ -z "$best_t" ] || awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t; fi
    if [ -z "$best_m" ] || [ "$m" -gt "$best_m" ]; then best_m=$m; fi
  done
  echo "$best_t $best_m"
}

run_clients() { # primary-name port
  local name=$1 port=$2 results=()
  echo "== primary: $name (127.0.0.1:$port)"
  printf '%-10s %10s %12s %10s\n' client seconds peak_MiB records
  row() {
    local client=$1; shift
    if ! command -v "$1" >/dev/null 2>&1; then echo "SKIPPED: $1 not installed"; return; fi
    read -r t m <<< "$(measure "$@")"
    local n
    n=$(grep -cv '^;' "$work/out" || true)
    printf '%-10s %10.2f %12.1f %10s\n' "$client" "$t" "$(awk "BEGIN{print $m/1024}")" "$n"
    results+=("$client $t $m")
  }
  row zonectl "$zonectl" xfr "$origin" --from "127.0.0.1:$port" --axfr -o "$work/out"
  row dig sh -c "dig @127.0.0.1 -p $port AXFR $origin > $work/out"
  row kdig sh -c "kdig @127.0.0.1 -p $port AXFR $origin > $work/out"
  printf '%s\n' "${results[@]}" | awk -v primary="$name" '
    $1 == "zonectl" { zt = $2; zm = $3; next }
    { if (ft == "" || $2 < ft) { ft = $2; fname = $1; fm = $3 } }
    END {
      if (ft == "") exit
      printf "%s: zonectl is %.2fx faster than the faster client (%s); peak memory %.2f of it\n", primary, ft / zt, fname, zm / fm
    }'
}

if command -v nsd >/dev/null 2>&1; then
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
  run_clients nsd "$port"
else
  echo "SKIPPED: nsd not installed"
fi

if command -v knotd >/dev/null 2>&1; then
  port=$(free_port)
  mkdir -p "$work/knot"
  cp "$work/$origin.zone" "$work/knot/"
  cat > "$work/knot/knot.conf" <<EOF
server:
  listen: 127.0.0.1@$port
  rundir: "$work/knot"
database:
  storage: "$work/knot"
acl:
  - id: all
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$work/knot"
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
    semantic-checks: off
zone:
  - domain: $origin
    file: $origin.zone
    acl: all
EOF
  printf 'control:\n  listen: "%s"\n' "$work/knot/knot.sock" >> "$work/knot/knot.conf"
  knotd -c "$work/knot/knot.conf" >"$work/knot/knotd.log" 2>&1 & pids+=($!)
  wait_for "$port"
  run_clients knotd "$port"

  # For information (no peer applies an IXFR to a file): the copy brought
  # up to date by an IXFR of 100 changed addresses.
  "$zonectl" xfr "$origin" --from "127.0.0.1:$port" -o "$work/copy" >/dev/null
  awk 'NR == 3 { sub(/2026112501/, "2026112502") } /^host[0-9]+ A / && n < 100 { sub(/ A 10[.]/, " A 172."); n++ } { print }' \
    "$work/$origin.zone" > "$work/knot/$origin.zone"
  knotc -c "$work/knot/knot.conf" zone-reload >/dev/null
  for _ in $(seq 100); do
    if "$zonectl" xfr "$origin" --from "127.0.0.1:$port" --timeout 1 2>/dev/null | grep -q 2026112502; then break; fi
    sleep 0.2
  done
  /usr/bin/time -f "%e %M" -o "$work/time" "$zonectl" xfr "$origin" --from "127.0.0.1:$port" -o "$work/copy" --format json > "$work/ixfr.json"
  read -r t m < "$work/time"
  printf 'IXFR of %s onto the %s-record copy: %.2f s, peak %.1f MiB (transfer: %s)\n' \
    "$(grep -o '"added": [0-9]*' "$work/ixfr.json" | grep -o '[0-9]*') added records" "$records" "$t" \
    "$(awk "BEGIN{print $m/1024}")" "$(grep -o '"transfer": "[a-z]*"' "$work/ixfr.json" | cut -d'"' -f4)"
else
  echo "SKIPPED: knotd not installed"
fi
