#!/usr/bin/env bash
# Capture real third-party Modbus/TCP and MQTT peers on the loopback interface.
#
# Starts on 127.0.0.1 only: a pymodbus TCP server (device identification
# "Skjold Test" / "SKJ-1" / "1.2.3") and a pymodbus client doing reads, writes,
# an exception and FC43/14 reads; a mosquitto broker (anonymous, no
# persistence) and a paho-mqtt client publishing at QoS 0/1/2 to a topic it is
# subscribed to. tcpdump records each conversation into tests/data/:
#   pymodbus-loopback.pcap   (tcp port $MODBUS_PORT, default 502)
#   mosquitto-loopback.pcap  (tcp port $MQTT_PORT, default 18830)
# Needs root (tcpdump on lo), tcpdump, mosquitto, python3 with
# tests/peers/requirements.txt. Modbus uses its IANA port so that Wireshark
# can tell queries from responses; MQTT does not (a system broker may own
# 1883), so decode it with: tshark -d tcp.port==18830,mqtt
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="${OUT_DIR:-$here/../data}"
MODBUS_PORT="${MODBUS_PORT:-502}"
MQTT_PORT="${MQTT_PORT:-18830}"
PYTHON="${PYTHON:-python3}"

for tool in tcpdump mosquitto ss "$PYTHON"; do
    command -v "$tool" >/dev/null || { echo "missing: $tool" >&2; exit 1; }
done
"$PYTHON" -c 'import pymodbus, paho.mqtt' || { echo "pip install -r $here/requirements.txt" >&2; exit 1; }

work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

port_free() { ! ss -Hltn "sport = :$1" | grep -q .; }
wait_port() { # listening check without connecting, so no probe lands in the capture
    for _ in $(seq 100); do
        ss -Hltn "sport = :$1" | grep -q . && return 0
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1" >&2
    return 1
}
start_tcpdump() { # file port; sets $tcpdump_pid (no $(...): the pipe would stay open)
    tcpdump -i lo -U -n -w "$1" "host 127.0.0.1 and tcp port $2" >/dev/null 2>"$work/tcpdump-$2.log" &
    tcpdump_pid=$!
    pids+=("$tcpdump_pid")
    for _ in $(seq 50); do
        grep -q "listening on" "$work/tcpdump-$2.log" && return 0
        sleep 0.1
    done
    echo "tcpdump did not start: $(cat "$work/tcpdump-$2.log")" >&2
    return 1
}
stop() { # pid: SIGINT, then wait so that files are flushed
    kill -INT "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}

port_free "$MODBUS_PORT" || { echo "127.0.0.1:$MODBUS_PORT is in use" >&2; exit 1; }
port_free "$MQTT_PORT" || { echo "127.0.0.1:$MQTT_PORT is in use" >&2; exit 1; }

# --- Modbus/TCP: pymodbus server and client
start_tcpdump "$work/modbus.pcap" "$MODBUS_PORT"
tcpdump_mb=$tcpdump_pid
"$PYTHON" "$here/peers.py" modbus-server "$MODBUS_PORT" 2>"$work/modbus-server.log" &
server=$!
pids+=("$server")
wait_port "$MODBUS_PORT"
"$PYTHON" "$here/peers.py" modbus-client "$MODBUS_PORT"
sleep 0.3
stop "$server"
sleep 0.2
stop "$tcpdump_mb"

# --- MQTT: mosquitto broker and paho-mqtt client
cat >"$work/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
CONF
start_tcpdump "$work/mqtt.pcap" "$MQTT_PORT"
tcpdump_mq=$tcpdump_pid
mosquitto -c "$work/mosquitto.conf" 2>"$work/mosquitto.log" &
broker=$!
pids+=("$broker")
wait_port "$MQTT_PORT"
sleep 0.3
"$PYTHON" "$here/peers.py" mqtt-client "$MQTT_PORT"
sleep 0.3
stop "$broker"
sleep 0.2
stop "$tcpdump_mq"

mkdir -p "$out_dir"
cp "$work/modbus.pcap" "$out_dir/pymodbus-loopback.pcap"
cp "$work/mqtt.pcap" "$out_dir/mosquitto-loopback.pcap"
for f in pymodbus-loopback.pcap mosquitto-loopback.pcap; do
    size=$(stat -c %s "$out_dir/$f")
    if [ "$size" -ge 51200 ]; then echo "$f is $size bytes (limit 50 KB)" >&2; exit 1; fi
    echo "wrote $out_dir/$f ($size bytes)" >&2
done
