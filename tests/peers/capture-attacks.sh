#!/usr/bin/env bash
# Record the detection scenario captures (issue 4) from real peers on loopback.
#
# A small water plant runs on distinct 127.0.1.x hosts (tests/peers/attack_plant.py):
#   127.0.1.10 PLC A   pymodbus Modbus/TCP server :502 (HR 10 = NaOH setpoint 100 ppm)
#   127.0.1.11 PLC B   python-snap7 S7 server :102 (DB1)
#   127.0.1.12 HMI workstation: x11vnc on Xvfb :5900 (password), unused in the normal period
#   127.0.1.20 HMI     polls PLC A (FC3 0-19, 0.5 s) and PLC B (DB1, 1 s), operator writes HR 10
#   127.0.1.21 sensor  MQTT publisher plant/telemetry/level (user/password), 1 s
#   127.0.1.22 SCADA   MQTT subscriber plant/# (user/password)
#   127.0.1.30 broker  mosquitto :1883, allow_anonymous true + password file
#   127.0.1.66 attacker
# and gratuitous ARP announcements (scapy on lo) give PLC A, PLC B and the HMI a MAC.
# tcpdump on lo (snaplen $SNAPLEN) writes tests/data/attacks/:
#   normal.pcap (~60 s, no attack) and one ~13 s file per attack (attack at ~6 s):
#   florida-setpoint, plc-stop, program-download, discovery-sweep, vnc-session,
#   mqtt-anonymous-control, arp-spoof.
# See tests/data/attacks/README.md; manifest.json is written at the end from tshark display
# filters (attack_plant.py manifest); the packet numbers in the README are those of the
# committed captures: update them after re-recording.
# Needs root (tcpdump on lo, raw frames), tcpdump, tshark (checks), ss, mosquitto,
# mosquitto_passwd, x11vnc, Xvfb, python3 >= 3.10. Creates a venv in $VENV (default: a
# temporary directory) with tests/peers/requirements-attacks.txt unless PYTHON points at an
# interpreter that has them. ONLY=name[,name...] records a subset.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="${OUT_DIR:-$here/../data/attacks}"
SNAPLEN="${SNAPLEN:-1024}"
NORMAL_SECONDS="${NORMAL_SECONDS:-60}"
ALL="normal,florida-setpoint,plc-stop,program-download,discovery-sweep,vnc-session,mqtt-anonymous-control,arp-spoof"
ONLY="${ONLY:-$ALL}"
DISPLAY_NUM="${DISPLAY_NUM:-94}"

for tool in tcpdump tshark ss mosquitto mosquitto_passwd x11vnc Xvfb python3; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

if [ -z "${PYTHON:-}" ]; then
    venv="${VENV:-$work/venv}"
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/pip" install -q -r "$here/requirements-attacks.txt"
    PYTHON="$venv/bin/python"
fi
plant=("$PYTHON" "$here/attack_plant.py")

# Nothing may already listen on a port of the plant: a wildcard listener would answer the
# discovery sweep on every address.
for port in 502 102 1883 5900; do
    if ss -Hltn "sport = :$port" | grep -q .; then
        echo "port $port is in use: $(ss -Hltn "sport = :$port")" >&2
        exit 1
    fi
done
[ ! -e "/tmp/.X11-unix/X$DISPLAY_NUM" ] || { echo "display :$DISPLAY_NUM is in use" >&2; exit 1; }

wait_listen() { # address port
    for _ in $(seq 100); do
        ss -Hltn "src $1:$2" | grep -q . && return 0
        sleep 0.1
    done
    echo "nothing listens on $1:$2" >&2
    return 1
}
stop() { # pid: SIGTERM (SIGKILL if it lingers), then wait
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$1" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
start() { # log cmd...: background process, sets $started
    local log="$1"
    shift
    "$@" >>"$work/$log" 2>&1 &
    started=$!
    pids+=("$started")
}

# --- long-running servers that are not restarted per capture
cat >"$work/mosquitto.conf" <<CONF
listener 1883 127.0.1.30
allow_anonymous true
password_file $work/mosquitto.passwd
persistence false
log_dest stderr
log_type all
CONF
touch "$work/mosquitto.passwd"
mosquitto_passwd -b "$work/mosquitto.passwd" sensor-lt01 Lt01-sens0r
mosquitto_passwd -b "$work/mosquitto.passwd" scada Scada-2026
chmod 0644 "$work/mosquitto.passwd"
chmod 0755 "$work"
start mosquitto.log mosquitto -c "$work/mosquitto.conf"
wait_listen 127.0.1.30 1883

start xvfb.log Xvfb ":$DISPLAY_NUM" -screen 0 320x240x24 -nolisten tcp
sleep 1
x11vnc -storepasswd hmi123 "$work/vncpass" >/dev/null 2>&1
start x11vnc.log x11vnc -display ":$DISPLAY_NUM" -rfbport 5900 -listen 127.0.1.12 -noipv6 \
    -rfbauth "$work/vncpass" -forever -shared -nolookup -desktop "HMI-01 Line 3"
wait_listen 127.0.1.12 5900

filter="(arp net 127.0.1.0/24) or (ip and src net 127.0.1.0/24 and dst net 127.0.1.0/24)"
plc_a=""
plc_b=""
restart_plcs() { # fresh PLC state (setpoint 100, PLC B running) before each capture
    [ -z "$plc_a" ] || stop "$plc_a"
    [ -z "$plc_b" ] || stop "$plc_b"
    start plc-a.log "${plant[@]}" plc-a
    plc_a=$started
    start plc-b.log "${plant[@]}" plc-b
    plc_b=$started
    wait_listen 127.0.1.10 502
    wait_listen 127.0.1.11 102
    sleep 0.5
}
begin() { # name: restart the PLCs, start tcpdump, ARP announcements, the normal clients
    name=$1
    restart_plcs
    tcpdump -i lo -U -n -s "$SNAPLEN" -w "$work/$name.pcap" "$filter" >/dev/null 2>"$work/tcpdump-$name.log" &
    tcpdump_pid=$!
    pids+=("$tcpdump_pid")
    for _ in $(seq 50); do
        grep -qs "listening on" "$work/tcpdump-$name.log" && break
        sleep 0.1
    done
    grep -qs "listening on" "$work/tcpdump-$name.log" || { echo "tcpdump did not start" >&2; exit 1; }
    sleep 0.3
    "${plant[@]}" arp-legit 1 2>>"$work/arp.log"
    start scada.log "${plant[@]}" scada
    scada=$started
    sleep 0.3
    start sensor.log "${plant[@]}" sensor
    sensor=$started
    start hmi.log "${plant[@]}" hmi
    hmi=$started
}
finish() { # stop the normal clients and tcpdump, keep the file
    for pid in "$hmi" "$sensor" "$scada" "$plc_a" "$plc_b"; do
        kill -0 "$pid" 2>/dev/null || {
            echo "$name: a plant process ended early; logs:" >&2
            tail -n 5 "$work"/hmi.log "$work"/sensor.log "$work"/scada.log "$work"/plc-a.log "$work"/plc-b.log >&2
            exit 1
        }
    done
    stop "$hmi"
    stop "$sensor"
    stop "$scada"
    sleep 1 # let tcpdump drain its buffer
    kill -INT "$tcpdump_pid" 2>/dev/null || true
    wait "$tcpdump_pid" 2>/dev/null || true
    mkdir -p "$out_dir"
    cp "$work/$name.pcap" "$out_dir/$name.pcap"
    local size
    size=$(stat -c %s "$out_dir/$name.pcap")
    echo "wrote $out_dir/$name.pcap ($size bytes, $(tshark -r "$out_dir/$name.pcap" 2>/dev/null | wc -l) packets)" >&2
}
wants() { [[ ",$ONLY," == *",$1,"* ]]; }
attack() { # name: ~6 s normal, the attack, ~5 s normal
    wants "$1" || return 0
    begin "$1"
    if [ "$1" = arp-spoof ]; then
        # the legitimate owner of 127.0.1.10 announces itself again during the normal part
        "${plant[@]}" arp-legit 4 1.2 2>>"$work/arp.log"
        sleep 1.5
    else
        sleep 6
    fi
    echo "attack $1" >&2
    "${plant[@]}" "$1" 2>>"$work/attacks.log" || { cat "$work/attacks.log" >&2; exit 1; }
    sleep 5
    finish
}

if wants normal; then
    begin normal
    sleep $((NORMAL_SECONDS / 2))
    "${plant[@]}" arp-legit 1 2>>"$work/arp.log"
    sleep $((NORMAL_SECONDS / 2))
    finish
fi
attack florida-setpoint
attack plc-stop
attack program-download
attack discovery-sweep
attack vnc-session
attack mqtt-anonymous-control
attack arp-spoof

stop "$plc_a"
stop "$plc_b"
cat "$work/attacks.log" >&2 2>/dev/null || true

# manifest.json: packet numbers found by tshark display filters (fails if an attack packet
# is missing); needs every capture in $out_dir.
all_there=1
for name in ${ALL//,/ }; do [ -f "$out_dir/$name.pcap" ] || all_there=0; done
if [ "$all_there" = 1 ]; then
    "${plant[@]}" manifest "$out_dir"
    echo "wrote $out_dir/manifest.json" >&2
fi
