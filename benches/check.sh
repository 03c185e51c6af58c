#!/usr/bin/env bash
# Benchmark: `zonectl check` against `named-checkzone` and `kzonecheck` on the
# same generated zone, in one run. Prints wall time (best of RUNS) and peak
# memory (max RSS) for each, and zonectl's ratios to the faster peer.
#
#   benches/check.sh [RECORDS] [RUNS]      (defaults: 1000000 records, 3 runs)
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
runs=${2:-3}
origin=bench.example
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cargo build --release --quiet
zone="$work/bench.zone"
python3 benches/genzone.py "$records" "$origin." > "$zone"
echo "zone: $(wc -l < "$zone") lines, $(du -h "$zone" | cut -f1), $records records requested"

# best wall seconds and peak KiB over $runs runs of the command
measure() {
  local best_t="" best_m=""
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>&1 || true
    read -r t m < "$work/time"
    if [ -z "$best_t" ] || awk "BEGIN{exit !($t < $best_t)}"; then best_t=$t; fi
    if [ -z "$best_m" ] || [ "$m" -gt "$best_m" ]; then best_m=$m; fi
  done
  echo "$best_t $best_m"
}

printf '%-16s %10s %12s\n' tool seconds peak_MiB
results=()
row() {
  local name=$1; shift
  if ! command -v "$1" >/dev/null 2>&1 && [ ! -x "$1" ]; then
    echo "SKIPPED: $1 not installed"; return
  fi
  read -r t m <<< "$(measure "$@")"
  printf '%-16s %10.2f %12.1f\n' "$name" "$t" "$(awk "BEGIN{print $m/1024}")"
  results+=("$name $t $m")
}
row zonectl ./target/release/zonectl check --origin "$origin" "$zone"
row named-checkzone named-checkzone -i local "$origin" "$zone"
row kzonecheck kzonecheck -o "$origin" "$zone"

printf '%s\n' "${results[@]}" | awk '
  $1 == "zonectl" { zt = $2; zm = $3; next }
  { if (ft == "" || $2 < ft) { ft = $2; fname = $1 } if (mm == "" || $3 < mm) { mm = $3; mname = $1 } }
  END {
    if (ft == "") exit
    printf "speed: zonectl is %.2fx faster than the faster peer (%s)\n", ft / zt, fname
    printf "memory: zonectl peak is %.2f of the smaller peer (%s)\n", zm / mm, mname
  }'
