#!/usr/bin/env bash
# Cost of detection in `skjold watch` (issue 4: throughput with every detection on must be at
# least 70% of throughput with detection off).
#
# On the benchmark capture of bench/watch-mixed.sh (skjold-synth --mix all, 1 M packets,
# every protocol), interleaved runs (so drift of the machine hits every variant alike):
#   off       skjold watch FILE --log L --no-detect
#   builtin   skjold watch FILE --log L                        (stateless built-ins)
#   all       skjold watch FILE --log L --baseline B --rules examples/rules/water-plant.yaml
# where B is learned first from the first half of the same capture's time
# (`--learn B --learn-for` half; the second half then deviates only as the generator does).
# L is `none` (the engine's cost without EVE formatting) and `all`.
# Prints min and median seconds and the ratio of throughputs (off time / variant time).
#
# Environment: PACKETS (1000000), DEVICES (60), SEED (1), REPEAT (5), SKIP_BUILD=1,
# CARGO_TARGET_DIR.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKETS="${PACKETS:-1000000}"
DEVICES="${DEVICES:-60}"
SEED="${SEED:-1}"
REPEAT="${REPEAT:-5}"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$root/bench/out"
mkdir -p "$out"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    (cd "$root" && cargo build --release -p skjold -p skjold-synth) >&2
fi
skjold="$target/release/skjold"
synth="$target/release/skjold-synth"
capture="$out/mixed-$PACKETS-d$DEVICES-s$SEED.pcap"
if [ ! -s "$capture" ]; then
    "$synth" --mix all --packets "$PACKETS" --devices "$DEVICES" --seed "$SEED" --out "$capture.tmp"
    mv "$capture.tmp" "$capture"
fi
cat "$capture" >/dev/null

# Learn on the first half of the capture's time span.
"$skjold" watch "$capture" --out "$out/detect-span" --log none --no-detect -q
span=$(python3 -c '
import json, sys, datetime
s = json.load(open(sys.argv[1]))
f = lambda t: datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).timestamp()
print(max(1, int((f(s["capture_end"]) - f(s["capture_start"])) / 2)))' "$out/detect-span/summary.json")
baseline="$out/detect-baseline.yaml"
"$skjold" watch "$capture" --out "$out/detect-learn" --log none --learn "$baseline" --learn-for "${span}s" -q
rules="$root/examples/rules/water-plant.yaml"
rule_args=()
[ -f "$rules" ] && rule_args=(--rules "$rules")

declare -A times
variant() { # name log -> command
    case $1 in
        off) echo "--no-detect" ;;
        builtin) echo "" ;;
        all) echo "--baseline $baseline ${rule_args[*]:-}" ;;
    esac
}
for i in $(seq "$REPEAT"); do
    for log in none all; do
        for v in off builtin all; do
            rm -rf "$out/detect-$v-$log"
            t0=$(date +%s.%N)
            # shellcheck disable=SC2046
            "$skjold" watch "$capture" --out "$out/detect-$v-$log" --log "$log" -q $(variant "$v")
            t1=$(date +%s.%N)
            times[$v-$log]+="$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') "
        done
    done
    echo "   run $i done" >&2
done

echo "capture: $capture ($PACKETS packets); baseline learned on the first ${span} s"
for log in none all; do
    alerts=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["alerts"])' "$out/detect-all-$log/summary.json")
    echo "--log $log (alerts with every detection: $alerts)"
    printf '  %-8s %8s %8s %10s\n' variant min median "vs off"
    off_med=""
    for v in off builtin all; do
        read -r mn md < <(tr ' ' '\n' <<<"${times[$v-$log]}" | sed '/^$/d' | sort -n |
            awk '{ a[NR] = $1 } END { printf "%s %s\n", a[1], a[int((NR + 1) / 2)] }')
        [ "$v" = off ] && off_med=$md
        printf '  %-8s %8s %8s %9.1f%%\n' "$v" "$mn" "$md" "$(awk -v o="$off_med" -v m="$md" 'BEGIN { print 100 * o / m }')"
    done
done
