#!/usr/bin/env bash
# Benchmark: DNSSEC signing and verification of one generated zone, in one
# run, by zonectl and the peers (ECDSAP256SHA256, KSK + ZSK):
#   sign:   zonectl sign, dnssec-signzone -n 2, ldns-signzone, kzonesign (2 threads)
#           with NSEC, then NSEC3 (0 extra iterations, no salt)
#   verify: zonectl verify, dnssec-verify, ldns-verify-zone on zonectl's NSEC zone
# Prints wall time and peak memory for each, the ratios, and how close
# zonectl's signing comes to ring's P-256 signing rate on this machine.
#
#   benches/sign.sh [RECORDS]      (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-1000000}
origin=bench.example
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
zonectl=$PWD/target/release/zonectl
python3 benches/genzone.py "$records" "$origin." > "$work/zone"
echo "zone: $(wc -l < "$work/zone") records"

declare -A secs mem
measure() { # name command...
  local name=$1; shift
  if ! command -v "$1" >/dev/null 2>&1; then echo "SKIPPED: $1 not installed"; return; fi
  if /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/$name.log" 2>&1; then
    read -r secs[$name] mem[$name] < "$work/time"
    printf '%-28s %9.2f s %9.1f MiB\n' "$name" "${secs[$name]}" "$(awk "BEGIN{print ${mem[$name]}/1024}")"
  else
    echo "FAILED: $name (see below)"; tail -3 "$work/$name.log"
  fi
}

# Keys for each tool, made the tool's own way.
mkdir -p "$work/zk" "$work/bk" "$work/lk" "$work/kt/db" "$work/kt/keys"
$zonectl keygen $origin -a ECDSAP256SHA256 --ksk -K "$work/zk" >/dev/null
$zonectl keygen $origin -a ECDSAP256SHA256 -K "$work/zk" >/dev/null
if command -v dnssec-keygen >/dev/null; then
  (cd "$work/bk" && dnssec-keygen -q -a ECDSAP256SHA256 -f KSK $origin >/dev/null && dnssec-keygen -q -a ECDSAP256SHA256 $origin >/dev/null)
fi
if command -v ldns-keygen >/dev/null; then
  ldns_keys=$(cd "$work/lk" && ldns-keygen -a ECDSAP256SHA256 -k $origin && ldns-keygen -a ECDSAP256SHA256 $origin)
fi
knot_conf() { # nsec3: on|off
  cat > "$work/kt/knot.conf" <<KNOT
database:
  storage: $work/kt/db
keystore:
  - id: default
    backend: pem
    config: $work/kt/keys
policy:
  - id: bench
    algorithm: ecdsap256sha256
    nsec3: $1
    nsec3-iterations: 0
    nsec3-salt-length: 0
    signing-threads: 2
    manual: on
zone:
  - domain: $origin
    file: $work/zone
    dnssec-signing: on
    dnssec-policy: bench
KNOT
}
if command -v keymgr >/dev/null; then
  knot_conf off
  keymgr -c "$work/kt/knot.conf" $origin generate algorithm=ecdsap256sha256 ksk=yes zsk=no >/dev/null
  keymgr -c "$work/kt/knot.conf" $origin generate algorithm=ecdsap256sha256 ksk=no zsk=yes >/dev/null
fi

echo "== sign, NSEC"
measure zonectl-sign-nsec $zonectl sign "$work/zone" --keys "$work/zk" -o "$work/z-nsec"
measure dnssec-signzone-nsec dnssec-signzone -q -n 2 -S -K "$work/bk" -d "$work" -o $origin -f "$work/b-nsec" "$work/zone"
[ -n "${ldns_keys:-}" ] && (cd "$work/lk" && measure ldns-signzone-nsec ldns-signzone -f "$work/l-nsec" "$work/zone" $ldns_keys) | tee -a "$work/ldns.out"
knot_conf off; mkdir -p "$work/k-nsec"
measure kzonesign-nsec kzonesign -c "$work/kt/knot.conf" -o "$work/k-nsec" $origin
echo "== sign, NSEC3 (0 iterations, no salt)"
measure zonectl-sign-nsec3 $zonectl sign "$work/zone" --keys "$work/zk" --nsec3 -o "$work/z-nsec3"
measure dnssec-signzone-nsec3 dnssec-signzone -q -n 2 -S -K "$work/bk" -d "$work" -3 - -H 0 -o $origin -f "$work/b-nsec3" "$work/zone"
[ -n "${ldns_keys:-}" ] && (cd "$work/lk" && measure ldns-signzone-nsec3 ldns-signzone -n -t 0 -f "$work/l-nsec3" "$work/zone" $ldns_keys) | tee -a "$work/ldns.out"
knot_conf on; mkdir -p "$work/k-nsec3"
measure kzonesign-nsec3 kzonesign -c "$work/kt/knot.conf" -o "$work/k-nsec3" $origin
# measure ran in a subshell for ldns: recover its figures
while read -r name s _ m _; do secs[$name]=$s; mem[$name]=$(awk "BEGIN{print int($m*1024)}"); done < <(grep -E '^ldns' "$work/ldns.out" 2>/dev/null || true)

echo "== verify zonectl's NSEC zone"
measure zonectl-verify $zonectl verify "$work/z-nsec"
measure dnssec-verify dnssec-verify -q -o $origin "$work/z-nsec"
measure ldns-verify-zone ldns-verify-zone "$work/z-nsec"

ratio() { # ours peers...
  local ours=$1; shift; local best="" bestname=""
  for p in "$@"; do
    [ -n "${secs[$p]:-}" ] || continue
    if [ -z "$best" ] || awk "BEGIN{exit !(${secs[$p]} < $best)}"; then best=${secs[$p]}; bestname=$p; fi
  done
  [ -n "$best" ] && [ -n "${secs[$ours]:-}" ] && printf '%s: %.2fx faster than the fastest peer (%s)\n' "$ours" "$(awk "BEGIN{print $best/${secs[$ours]}}")" "$bestname"
  for p in "$@"; do
    [ -n "${mem[$p]:-}" ] && [ -n "${mem[$ours]:-}" ] && printf '  memory vs %s: %.2f\n' "$p" "$(awk "BEGIN{print ${mem[$ours]}/${mem[$p]}}")"
  done
  return 0
}
echo "== ratios"
ratio zonectl-sign-nsec dnssec-signzone-nsec ldns-signzone-nsec kzonesign-nsec
ratio zonectl-sign-nsec3 dnssec-signzone-nsec3 ldns-signzone-nsec3 kzonesign-nsec3
ratio zonectl-verify dnssec-verify ldns-verify-zone
sigs=$(awk '$4 == "RRSIG"' "$work/z-nsec" | wc -l)
echo "zonectl made $sigs signatures in ${secs[zonectl-sign-nsec]} s: $(awk "BEGIN{printf \"%.0f\", $sigs/${secs[zonectl-sign-nsec]}}")/s; ring's P-256 rate here is about 54k/s per core, $((54 * $(nproc)))k/s on $(nproc) cores"
