#!/usr/bin/env bash
# Capture real third-party OT peers on the loopback interface.
#
# Every server binds to 127.0.0.1 and every client talks to 127.0.0.1 only.
# tcpdump records each conversation (port filter, host 127.0.0.1) into
# tests/data/peers/<proto>-<peer>.pcap; see tests/data/peers/README.md for
# what each capture contains. Peers (tests/peers/requirements-ot.txt, pinned):
#   s7comm-snap7.pcap        python-snap7 server + client   tcp/102
#   enip-cpppo.pcap          cpppo simulator, cpppo + pycomm3 clients  tcp+udp/44818
#   iec104-c104.pcap         c104 server + client          tcp/2404
#   opcua-asyncua.pcap       asyncua server + client, SecurityMode None  tcp/4840
#   opcua-asyncua-encrypted.pcap  same, Basic256Sha256 SignAndEncrypt  tcp/4840
#   coap-aiocoap.pcap        aiocoap server + client       udp/5683
#   bacnet-bacpypes3.pcap    bacpypes3 device + client     udp/47808 (client on 47809)
#   dnp3-dnp3py.pcap         dnp3py outstation + master    tcp/20000
# Needs root (tcpdump on lo), tcpdump, ss, openssl, python3 >= 3.10. Creates a
# venv in $VENV (default: a temporary directory) and pip-installs the pinned
# peers into it unless PYTHON points at an interpreter that has them.
# ONLY=proto[,proto...] records a subset (s7comm, enip, iec104, opcua, coap,
# bacnet, dnp3).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="${OUT_DIR:-$here/../data/peers}"
ONLY="${ONLY:-s7comm,enip,iec104,opcua,coap,bacnet,dnp3}"

for tool in tcpdump ss openssl python3; do
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
    "$venv/bin/pip" install -q -r "$here/requirements-ot.txt"
    PYTHON="$venv/bin/python"
fi
peers=("$PYTHON" "$here/peers_ot.py")

wants() { [[ ",$ONLY," == *",$1,"* ]]; }
listening() { # proto port: on 127.0.0.1 or the wildcard (other tests may use other 127/8 addresses)
    ss -Hln"$1" "( src 127.0.0.1:$2 or src 0.0.0.0:$2 )" | grep -q .
}
wait_port() { # proto port: listening check without connecting, so no probe lands in the capture
    for _ in $(seq 300); do
        listening "$1" "$2" && return 0
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$2/$1" >&2
    return 1
}
loop="src host 127.0.0.1 and dst host 127.0.0.1"
start_tcpdump() { # file filter; sets $tcpdump_pid (no $(...): the pipe would stay open)
    local log="$work/tcpdump-$(basename "$1").log"
    tcpdump -i lo -U -n -s 0 -w "$1" "$2" >/dev/null 2>"$log" &
    tcpdump_pid=$!
    pids+=("$tcpdump_pid")
    for _ in $(seq 50); do
        grep -qs "listening on" "$log" && return 0
        sleep 0.1
    done
    echo "tcpdump did not start: $(cat "$log")" >&2
    return 1
}
start_server() { # log proto port cmd...; sets $server_pid
    local log="$1" proto="$2" port="$3"
    shift 3
    listening "$proto" "$port" && { echo "127.0.0.1:$port/$proto is in use" >&2; exit 1; }
    "$@" >"$work/$log" 2>&1 &
    server_pid=$!
    pids+=("$server_pid")
    wait_port "$proto" "$port"
    sleep 0.3
}
stop() { # pid: SIGINT (SIGTERM, then SIGKILL if it lingers), then wait so that files are flushed
    kill -INT "$1" 2>/dev/null || true
    for signal in TERM KILL; do
        for _ in $(seq 30); do
            kill -0 "$1" 2>/dev/null || break 2
            sleep 0.1
        done
        kill -"$signal" "$1" 2>/dev/null || true
    done
    wait "$1" 2>/dev/null || true
}
finish() { # pcap name: stop the server and tcpdump, keep the file
    sleep 0.5
    stop "$server_pid"
    sleep 1 # a loaded machine: let tcpdump drain its buffer before SIGINT
    stop "$tcpdump_pid"
    mkdir -p "$out_dir"
    cp "$work/$1" "$out_dir/$1"
    local size
    size=$(stat -c %s "$out_dir/$1")
    if [ "$size" -ge 204800 ]; then echo "$1 is $size bytes (limit 200 KB)" >&2; exit 1; fi
    echo "wrote $out_dir/$1 ($size bytes)" >&2
}

# --- S7comm: python-snap7 server and client (ISO-TSAP port 102)
if wants s7comm; then
    start_tcpdump "$work/s7comm-snap7.pcap" "$loop and tcp port 102"
    start_server s7-server.log t 102 "${peers[@]}" s7-server 102
    "${peers[@]}" s7-client 102
    finish s7comm-snap7.pcap
fi

# --- EtherNet/IP + CIP: cpppo simulator; cpppo's tools and pycomm3 as clients
if wants enip; then
    start_tcpdump "$work/enip-cpppo.pcap" "$loop and port 44818"
    start_server enip-server.log t 44818 "$PYTHON" -m cpppo.server.enip --address 127.0.0.1:44818 \
        'Temp=REAL[4]' 'Count=DINT[8]'
    wait_port u 44818
    "$PYTHON" -m cpppo.server.enip.list_services -a 127.0.0.1 -i >"$work/enip-ls-tcp.log"
    "$PYTHON" -m cpppo.server.enip.list_services -a 127.0.0.1 -i -u >"$work/enip-ls-udp.log"
    "$PYTHON" -m cpppo.server.enip.client -a 127.0.0.1 'Temp[0-3]' 'Temp[1]=(REAL)42.5' \
        'Count[0]=(DINT)7' 'Count[0-1]' >&2
    "$PYTHON" -m cpppo.server.enip.get_attribute -a 127.0.0.1 '@1/1' '@1/1/7' >&2
    "${peers[@]}" enip-client 44818
    finish enip-cpppo.pcap
fi

# --- IEC 60870-5-104: c104 server and client
if wants iec104; then
    start_tcpdump "$work/iec104-c104.pcap" "$loop and tcp port 2404"
    start_server iec104-server.log t 2404 "${peers[@]}" iec104-server 2404
    "${peers[@]}" iec104-client 2404
    finish iec104-c104.pcap
fi

# --- OPC UA: asyncua server and client, SecurityMode None, then Basic256Sha256
if wants opcua; then
    start_tcpdump "$work/opcua-asyncua.pcap" "$loop and tcp port 4840"
    start_server opcua-server.log t 4840 "${peers[@]}" opcua-server 4840
    "${peers[@]}" opcua-client 4840
    finish opcua-asyncua.pcap

    for side in server client; do
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
            -keyout "$work/opcua-$side-key.pem" -out "$work/opcua-$side.pem" \
            -subj "/CN=skjold-peers-opcua-$side" \
            -addext "subjectAltName=URI:urn:skjold:peers:$side,DNS:localhost,IP:127.0.0.1" \
            -addext "keyUsage=digitalSignature,nonRepudiation,keyEncipherment,dataEncipherment,keyCertSign" \
            -addext "extendedKeyUsage=serverAuth,clientAuth" 2>/dev/null
        openssl x509 -in "$work/opcua-$side.pem" -outform der -out "$work/opcua-$side.der"
    done
    start_tcpdump "$work/opcua-asyncua-encrypted.pcap" "$loop and tcp port 4840"
    start_server opcua-enc-server.log t 4840 "${peers[@]}" opcua-server 4840 \
        "$work/opcua-server.der" "$work/opcua-server-key.pem"
    "${peers[@]}" opcua-client 4840 "$work/opcua-client.der" "$work/opcua-client-key.pem"
    finish opcua-asyncua-encrypted.pcap
fi

# --- CoAP: aiocoap server and client
if wants coap; then
    start_tcpdump "$work/coap-aiocoap.pcap" "$loop and udp port 5683"
    start_server coap-server.log u 5683 "${peers[@]}" coap-server 5683
    "${peers[@]}" coap-client 5683
    finish coap-aiocoap.pcap
fi

# --- BACnet/IP: bacpypes3 device on 127.0.0.1:47808, client on 127.0.0.1:47809
# (BACnet broadcasts, if any, go to 127.255.255.255 and stay on lo)
if wants bacnet; then
    start_tcpdump "$work/bacnet-bacpypes3.pcap" "udp port 47808 and src host 127.0.0.1 and (dst host 127.0.0.1 or dst host 127.255.255.255)"
    start_server bacnet-server.log u 47808 "${peers[@]}" bacnet-server 47808
    "${peers[@]}" bacnet-client 47808
    finish bacnet-bacpypes3.pcap
fi

# --- DNP3: dnp3py outstation and master
if wants dnp3; then
    start_tcpdump "$work/dnp3-dnp3py.pcap" "$loop and tcp port 20000"
    start_server dnp3-server.log t 20000 "${peers[@]}" dnp3-server 20000
    "${peers[@]}" dnp3-client 20000
    finish dnp3-dnp3py.pcap
fi
