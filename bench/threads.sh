#!/usr/bin/env bash
# `--threads 2` against `--threads 1`, interleaved (t1, t2, t1, t2, ...) so that the noise of a
# shared machine hits both alike; prints min and median wall time of each and their ratios.
# Usage: bench/threads.sh CAPTURE [ROUNDS] [LOG]   (LOG: none|all, default none)
set -euo pipefail
cd "$(dirname "$0")/.."
cap="$1"; rounds="${2:-15}"; log="${3:-none}"
bin="${SKJOLD:-target/release/skjold}"
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$rounds"); do
  for t in 1 2; do
    /usr/bin/time -f "%e" -o "$tmp/t" "$bin" watch -q "$cap" --out "$tmp/out$t" --log "$log" --threads "$t"
    cat "$tmp/t" >>"$tmp/times$t"
  done
done
stats() { sort -n "$1" | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f %.3f", a[1], m}'; }
read -r min1 med1 <<<"$(stats "$tmp/times1")"
read -r min2 med2 <<<"$(stats "$tmp/times2")"
echo "capture $cap, --log $log, $rounds interleaved rounds"
echo "threads=1  min ${min1} s  median ${med1} s"
echo "threads=2  min ${min2} s  median ${med2} s"
awk -v a="$min1" -v b="$min2" -v c="$med1" -v d="$med2" 'BEGIN { printf "speed-up  min/min %.2fx  median/median %.2fx\n", a/b, c/d }'
