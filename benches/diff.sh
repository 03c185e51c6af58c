#!/usr/bin/env bash
# Benchmark: compare two generated zones (default 1,000,000 records; the
# second one with about 1% of its records changed, removed or added) with
# `zonectl diff` and `ldns-compare-zones -a`, in one run. Prints each
# tool's wall time and peak memory, and zonectl's speed ratio (goal: >= 3).
#
#   benches/diff.sh [RECORDS]
#
# Needs: cargo, python3, ldns-compare-zones (Debian: ldnsutils).
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in ldns-compare-zones python3; do
  command -v "$tool" >/dev/null || { echo "benches/diff.sh: $tool is not installed" >&2; exit 2; }
done

cargo build --release --quiet
zonectl=$PWD/target/release/zonectl
python3 benches/genzone.py "$records" bench.example. > "$work/old.zone"
# Every 100th record line changed (a new address or target), every 250th
# removed, and one new record per 200 lines.
python3 - "$work/old.zone" > "$work/new.zone" <<'PY'
import sys
for i, line in enumerate(open(sys.argv[1])):
    if i < 3 or line.startswith("$") or line.startswith("@"):
        sys.stdout.write(line)
        continue
    if i % 250 == 0:
        continue
    if i % 100 == 0:
        name, rest = line.split(" ", 1)
        line = f"{name} 600 {rest}"
    sys.stdout.write(line)
    if i % 200 == 0:
        sys.stdout.write(f"added{i} A 192.0.2.{i % 256}\n")
PY
echo "zones: $(wc -l < "$work/old.zone") and $(wc -l < "$work/new.zone") lines"

measure() { # name command...
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/$name.out" || [ $? -le 2 ]
  read -r wall rss < "$work/time"
  printf '%-20s %8.2f s %8d MiB %10d lines of output\n' "$name" "$wall" $((rss / 1024)) "$(wc -l < "$work/$name.out")"
  echo "$name $wall" >> "$work/results"
}
: > "$work/results"
measure zonectl "$zonectl" diff --format patch "$work/old.zone" "$work/new.zone"
measure ldns-compare-zones ldns-compare-zones -a "$work/old.zone" "$work/new.zone"
awk '$1 == "zonectl" { z = $2 } $1 == "ldns-compare-zones" { l = $2 }
  END { printf "\nzonectl diff is %.1fx as fast as ldns-compare-zones (goal >= 3)\n", l / z }' "$work/results"
