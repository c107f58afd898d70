#!/usr/bin/env bash
# Benchmark `skjold watch` against tshark on a synthetic Modbus/TCP + MQTT capture.
#
# 1. builds the release binaries once (skjold and skjold-synth);
# 2. generates bench/out/synth-<packets>-d<devices>-s<seed>.pcap with
#    skjold-synth unless it is already there;
# 3. runs, best of $REPEAT ($TSHARK_REPEAT for tshark), each under /usr/bin/time -v:
#      skjold watch FILE --out DIR --log none --threads 1
#      skjold watch FILE --out DIR --log none --threads 2
#      skjold watch FILE --out DIR --log all  --threads 1
#      skjold watch FILE --out DIR --log all  --threads 2
#      tshark -r FILE -Y "mbtcp || mqtt" -T fields -e frame.number \
#             -e mbtcp.trans_id -e modbus.func_code -e mqtt.msgtype > /dev/null
# 4. prints elapsed time, packets/s, Mbit/s (capture file bytes * 8 / elapsed),
#    peak RSS, and each run's speed relative to tshark.
#
# Environment: PACKETS (default 1000000), DEVICES (50), SEED (1), REPEAT (3),
# TSHARK_REPEAT (1),
# THREADS_FLAG (--threads), SKIP_BUILD=1 to reuse existing binaries,
# SKIP_TSHARK=1, CARGO_TARGET_DIR (default <workspace>/target).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKETS="${PACKETS:-1000000}"
DEVICES="${DEVICES:-50}"
SEED="${SEED:-1}"
REPEAT="${REPEAT:-3}"
TSHARK_REPEAT="${TSHARK_REPEAT:-1}" # tshark takes minutes per million packets
THREADS_FLAG="${THREADS_FLAG:---threads}"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$root/bench/out"
mkdir -p "$out"

[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== building release binaries" >&2
    (cd "$root" && cargo build --release -p skjold -p skjold-synth)
fi
skjold="$target/release/skjold"
synth="$target/release/skjold-synth"

capture="$out/synth-$PACKETS-d$DEVICES-s$SEED.pcap"
if [ ! -s "$capture" ]; then
    echo "== generating $capture" >&2
    "$synth" --packets "$PACKETS" --devices "$DEVICES" --seed "$SEED" --out "$capture.tmp"
    mv "$capture.tmp" "$capture"
fi
bytes=$(stat -c %s "$capture")
cat "$capture" >/dev/null # page cache: every run reads from memory

results="$out/results.tsv"
printf 'name\tstatus\tseconds\trss_kb\n' >"$results"

# run NAME REPEATS CMD... : best wall time of REPEATS runs, largest peak RSS.
run() {
    local name=$1 repeat=$2
    shift 2
    local best="" rss=0 status=ok
    for _ in $(seq "$repeat"); do
        local t0 t1 rc=0
        t0=$(date +%s.%N)
        /usr/bin/time -v -o "$out/time-$name.txt" "$@" >/dev/null 2>"$out/stderr-$name.txt" || rc=$?
        t1=$(date +%s.%N)
        if [ "$rc" != 0 ]; then
            status="exit-$rc"
            echo "   $name failed (exit $rc): $(tail -n 3 "$out/stderr-$name.txt" | tr '\n' ' ')" >&2
            break
        fi
        local el r
        el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
        r=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$out/time-$name.txt")
        if [ -z "$best" ] || awk -v x="$el" -v y="$best" 'BEGIN { exit !(x < y) }'; then best=$el; fi
        [ "$r" -gt "$rss" ] && rss=$r
    done
    printf '%s\t%s\t%s\t%s\n' "$name" "$status" "${best:-0}" "$rss" >>"$results"
    echo "   $name: ${best:-?} s, peak RSS ${rss} kB ($status)" >&2
}

echo "== running (best of $REPEAT, tshark best of $TSHARK_REPEAT)" >&2
for log in none all; do
    for threads in 1 2; do
        dir="$out/watch-$log-t$threads"
        rm -rf "$dir"
        run "skjold-log-$log-t$threads" "$REPEAT" sh -c 'rm -rf "$1" && exec "$2" watch "$3" --out "$1" --log "$4" "$5" "$6"' \
            sh "$dir" "$skjold" "$capture" "$log" "$THREADS_FLAG" "$threads"
    done
done
if [ "${SKIP_TSHARK:-0}" != 1 ]; then
    run tshark "$TSHARK_REPEAT" tshark -r "$capture" -Y "mbtcp || mqtt" -T fields -e frame.number \
        -e mbtcp.trans_id -e modbus.func_code -e mqtt.msgtype
fi

echo
echo "capture: $capture ($PACKETS packets, $bytes bytes)"
awk -F'\t' -v pk="$PACKETS" -v by="$bytes" '
    NR == 1 { next }
    { name[NR] = $1; st[NR] = $2; s[NR] = $3; rss[NR] = $4; if ($1 == "tshark" && $2 == "ok") ts = $3 }
    END {
        printf "%-22s %9s %13s %10s %10s %12s\n", "run", "seconds", "packets/s", "Mbit/s", "RSS MiB", "vs tshark"
        for (i = 2; i <= NR; i++) {
            if (st[i] != "ok" || s[i] <= 0) { printf "%-22s %s\n", name[i], st[i]; continue }
            ratio = ts > 0 ? sprintf("%.2fx", ts / s[i]) : "-"
            printf "%-22s %9.3f %13.0f %10.1f %10.1f %12s\n", name[i], s[i], pk / s[i], by * 8 / s[i] / 1e6, rss[i] / 1024, ratio
        }
    }' "$results"
