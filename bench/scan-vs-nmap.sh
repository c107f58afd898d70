#!/usr/bin/env bash
# Benchmark `skjold scan` against nmap on a simulated fleet of IoT/OT devices.
#
# 1. builds the release binaries (skjold-sim, and skjold unless SKIP_SKJOLD=1);
# 2. starts `skjold-sim --devices $DEVICES --base 127.0.1.1 --profile $PROFILE --seed $SEED`
#    (250 devices on 127.0.1.1-250 by default), records its start-up time and memory, and
#    writes the fleet (`--list`: address, ports, protocols, expected identity) to
#    bench/out/fleet.json;
# 3. runs under /usr/bin/time -v (wall time, peak RSS):
#      nmap -sT -Pn -n -p $PORTS --script modbus-discover,s7-info,enip-info,bacnet-info,mqtt-subscribe \
#           127.0.1.1-$DEVICES -oX bench/out/nmap-scripts.xml
#      the same with -sV (only when RUN_SV=1: it takes over 30 minutes) -> nmap-sv.xml
#      skjold scan 127.0.1.0/24 --format json --out bench/out/skjold-scan.json
#           (only when the skjold binary has a `scan` command)
# 4. compares identification device by device with the fleet listing (bench/out/compare.tsv)
#    and prints a summary: per run, seconds, peak RSS, services identified per protocol.
#
# Environment: DEVICES (250), PROFILE (mixed), SEED (1), PORTS (the 14 TCP ports below),
# RUN_SV=1 for the -sV baseline, UDP=1 to add `-sU -p U:47808,44818,5683,161` to the nmap runs
# (BACnet, EtherNet/IP, CoAP and SNMP answer on UDP; nmap's bacnet-info only runs on UDP), SKIP_BUILD=1 to reuse
# binaries, SKIP_SKJOLD=1, SCAN_ARGS (extra arguments for skjold scan),
# CARGO_TARGET_DIR (default <workspace>/target).
# Needs nmap (apt-get install nmap), /usr/bin/time (package time) and python3.
# Traffic goes to 127.0.1.0/24 only.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEVICES="${DEVICES:-250}"
PROFILE="${PROFILE:-mixed}"
SEED="${SEED:-1}"
PORTS="${PORTS:-21,22,23,80,102,443,502,1883,2404,4840,8080,8883,20000,44818}"
target="${CARGO_TARGET_DIR:-$root/target}"
out="$root/bench/out"
mkdir -p "$out"

[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package 'time')" >&2; exit 1; }
command -v nmap >/dev/null || { echo "needs nmap (apt-get install nmap)" >&2; exit 1; }
[ "$DEVICES" -le 250 ] || { echo "DEVICES must be at most 250 (127.0.1.1-250)" >&2; exit 1; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    echo "== building release binaries" >&2
    pkgs=(-p skjold-sim)
    [ "${SKIP_SKJOLD:-0}" = 1 ] || pkgs+=(-p skjold)
    (cd "$root" && cargo build --release "${pkgs[@]}")
fi
sim="$target/release/skjold-sim"
skjold="$target/release/skjold"

sim_args=(--devices "$DEVICES" --base 127.0.1.1 --profile "$PROFILE" --seed "$SEED")
"$sim" "${sim_args[@]}" --list >"$out/fleet.json"

echo "== starting skjold-sim ${sim_args[*]}" >&2
t0=$(date +%s.%N)
"$sim" "${sim_args[@]}" 2>"$out/sim.log" &
sim_pid=$!
trap 'kill -INT "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true' EXIT
for _ in $(seq 600); do
    grep -q "started in" "$out/sim.log" 2>/dev/null && break
    kill -0 "$sim_pid" 2>/dev/null || { cat "$out/sim.log" >&2; exit 1; }
    sleep 0.01
done
t1=$(date +%s.%N)
startup=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
sim_rss=$(awk '/VmRSS/ { print $2 }' "/proc/$sim_pid/status")
echo "   $(tail -n 1 "$out/sim.log")" >&2
echo "   start-up (process start to ready): $startup s, RSS $sim_rss kB" >&2

results="$out/scan-results.tsv"
printf 'name\tstatus\tseconds\trss_kb\n' >"$results"

# run NAME CMD... : wall time and peak RSS of one run.
run() {
    local name=$1
    shift
    local t0 t1 rc=0 status=ok
    t0=$(date +%s.%N)
    /usr/bin/time -v -o "$out/time-$name.txt" "$@" >"$out/stdout-$name.txt" 2>"$out/stderr-$name.txt" || rc=$?
    t1=$(date +%s.%N)
    [ "$rc" = 0 ] || status="exit-$rc"
    local el r
    el=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    r=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$out/time-$name.txt")
    printf '%s\t%s\t%s\t%s\n' "$name" "$status" "$el" "${r:-0}" >>"$results"
    echo "   $name: $el s, peak RSS ${r:-?} kB ($status)" >&2
}

scan_type=(-sT)
port_spec="$PORTS"
if [ "${UDP:-0}" = 1 ]; then
    scan_type=(-sT -sU)
    port_spec="T:$PORTS,U:47808,44818,5683,161"
fi
targets="127.0.1.1-$DEVICES"
scripts="modbus-discover,s7-info,enip-info,bacnet-info,mqtt-subscribe"

echo "== nmap ${scan_type[*]} -Pn -n -p $port_spec --script $scripts $targets" >&2
run nmap-scripts nmap "${scan_type[@]}" -Pn -n -p "$port_spec" --script "$scripts" "$targets" \
    -oX "$out/nmap-scripts.xml"
if [ "${RUN_SV:-0}" = 1 ]; then
    echo "== nmap -sV (long)" >&2
    run nmap-sv nmap "${scan_type[@]}" -sV -Pn -n -p "$port_spec" --script "$scripts" "$targets" \
        -oX "$out/nmap-sv.xml"
fi
if [ "${SKIP_SKJOLD:-0}" != 1 ] && [ -x "$skjold" ] && "$skjold" scan --help >/dev/null 2>&1; then
    echo "== skjold scan 127.0.1.0/24 --format json" >&2
    # shellcheck disable=SC2086
    run skjold-scan "$skjold" scan 127.0.1.0/24 --format json --out "$out/skjold-scan.json" ${SCAN_ARGS:-}
    [ -s "$out/skjold-scan.json" ] || cp "$out/stdout-skjold-scan.txt" "$out/skjold-scan.json"
else
    echo "== skjold scan: not available (no release skjold binary with a scan command)" >&2
fi
sim_hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$sim_pid/status")
echo "   skjold-sim peak RSS over the runs: $sim_hwm kB" >&2

python3 "$root/bench/scan_compare.py" "$out" "$results"
