#!/usr/bin/env bash
# Benchmark `skjold watch` against tshark on a synthetic mixed-protocol plant.
#
# 1. builds the release binaries once (skjold and skjold-synth) unless SKIP_BUILD=1;
# 2. generates bench/out/mixed-<packets>-d<devices>-s<seed>.pcap with
#    `skjold-synth --mix all` (Modbus/TCP, MQTT, DNP3, IEC-104, S7comm,
#    S7comm-plus, EtherNet/IP over TCP and UDP, BACnet/IP, OPC UA, CoAP, TLS,
#    SSH, FTP, HTTP, Telnet, RDP, VNC) unless it is already there;
# 3. times, best of $REPEAT ($TSHARK_REPEAT for tshark), under /usr/bin/time -v:
#      skjold watch FILE --out DIR --log none
#      skjold watch FILE --out DIR --log all
#      tshark -r FILE -q -z io,phs            (full dissection of every frame,
#                                              protocol hierarchy statistics)
#    with hyperfine when HYPERFINE=1 and it is installed (same commands);
# 4. prints seconds, packets/s, Mbit/s, peak RSS and each run's speed relative
#    to tshark, plus the protocol hierarchy tshark found.
#
# Environment: PACKETS (default 1000000), DEVICES (60), SEED (1), REPEAT (3),
# TSHARK_REPEAT (1), THREADS (unset: skjold's default; else --threads N),
# SKIP_BUILD=1, SKIP_TSHARK=1, HYPERFINE=1, CARGO_TARGET_DIR (default
# <workspace>/target).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PACKETS="${PACKETS:-1000000}"
DEVICES="${DEVICES:-60}"
SEED="${SEED:-1}"
REPEAT="${REPEAT:-3}"
TSHARK_REPEAT="${TSHARK_REPEAT:-1}"
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

capture="$out/mixed-$PACKETS-d$DEVICES-s$SEED.pcap"
if [ ! -s "$capture" ]; then
    echo "== generating $capture" >&2
    "$synth" --mix all --packets "$PACKETS" --devices "$DEVICES" --seed "$SEED" --out "$capture.tmp"
    mv "$capture.tmp" "$capture"
fi
bytes=$(stat -c %s "$capture")
cat "$capture" >/dev/null # page cache: every run reads from memory

threads=()
[ -n "${THREADS:-}" ] && threads=(--threads "$THREADS")

results="$out/mixed-results.tsv"
printf 'name\tstatus\tseconds\trss_kb\n' >"$results"

# run NAME REPEATS CMD... : best wall time of REPEATS runs, largest peak RSS.
run() {
    local name=$1 repeat=$2
    shift 2
    local best="" rss=0 status=ok
    for _ in $(seq "$repeat"); do
        local t0 t1 rc=0
        t0=$(date +%s.%N)
        /usr/bin/time -v -o "$out/time-$name.txt" "$@" >"$out/stdout-$name.txt" 2>"$out/stderr-$name.txt" || rc=$?
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

watch_cmd() { # log level -> a shell command line for hyperfine
    printf 'rm -rf %q && %q watch %q --out %q --log %s %s' "$out/mixed-watch-$1" "$skjold" "$capture" \
        "$out/mixed-watch-$1" "$1" "${threads[*]:-}"
}

if [ "${HYPERFINE:-0}" = 1 ] && command -v hyperfine >/dev/null; then
    echo "== hyperfine" >&2
    cmds=("$(watch_cmd none)" "$(watch_cmd all)")
    [ "${SKIP_TSHARK:-0}" != 1 ] && cmds+=("tshark -r $(printf %q "$capture") -q -z io,phs")
    hyperfine --warmup 1 --runs "$REPEAT" --export-markdown "$out/mixed-hyperfine.md" "${cmds[@]}"
fi

echo "== running (best of $REPEAT, tshark best of $TSHARK_REPEAT)" >&2
for log in none all; do
    run "skjold-log-$log" "$REPEAT" bash -c 'rm -rf "$1" && exec "$2" watch "$3" --out "$1" --log "$4" "${@:5}"' \
        bash "$out/mixed-watch-$log" "$skjold" "$capture" "$log" "${threads[@]}"
done
if [ "${SKIP_TSHARK:-0}" != 1 ]; then
    run tshark "$TSHARK_REPEAT" tshark -r "$capture" -q -z io,phs
fi

echo
echo "capture: $capture ($PACKETS packets, $bytes bytes, --mix all, $DEVICES devices, seed $SEED)"
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
if [ -s "$out/stdout-tshark.txt" ]; then
    echo
    echo "tshark protocol hierarchy:"
    sed -n '/^eth/,/^=/p' "$out/stdout-tshark.txt"
fi
