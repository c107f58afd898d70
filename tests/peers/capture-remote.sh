#!/usr/bin/env bash
# Capture real third-party TLS and remote-access peers on the loopback interface.
#
# Everything listens on and talks to 127.0.0.1 only (xrdp listens on its default address but is
# only contacted on 127.0.0.1). tcpdump records one conversation per file into
# tests/data/peers/:
#   tls-openssl-tls12-selfsigned-expired.pcap  openssl s_server/s_client, TLS 1.2, SNI, ALPN,
#                                              self-signed RSA-2048 certificate expired 2021
#   tls-openssl-tls13.pcap                     openssl, TLS 1.3, SNI, ALPN h2
#   tls-openssl-tls10.pcap                     openssl, TLS 1.0 (@SECLEVEL=0), no SNI
#   http-basic-auth.pcap                       Python http.server with Basic auth, curl -u
#                                              (401 then 200)
#   ftp-pyftpdlib.pcap                         pyftpdlib server, ftplib client: USER/PASS
#                                              (one failure), PWD, SYST, TYPE, AUTH TLS, QUIT
#   ssh-openssh.pcap                           OpenSSH sshd and ssh client (banners, KEXINIT;
#                                              authentication fails on purpose)
#   telnet-inetutils.pcap                      inetutils telnetd and telnet client: option
#                                              negotiation, login prompt, user name, password
#   vnc-x11vnc.pcap                            x11vnc on Xvfb (no password) and a Python RFB
#                                              client: versions, security types, ServerInit
#   rdp-xrdp-freerdp.pcap                      xrdp and xfreerdp (+auth-only): X.224 CR with
#                                              mstshash cookie and RDP_NEG_REQ, CC, TLS
# Needs root (tcpdump on lo, sshd, telnetd), tcpdump, openssl, curl, python3 with cryptography
# and pyftpdlib, and the Debian packages openssh-server, inetutils-telnetd, inetutils-telnet,
# x11vnc, xvfb, xrdp, freerdp2-x11.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out_dir="${OUT_DIR:-$here/../data/peers}"
PYTHON="${PYTHON:-python3}"
peers="$here/remote_peers.py"

for tool in tcpdump openssl curl ss "$PYTHON"; do
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

wait_port() {
    for _ in $(seq 100); do
        ss -Hltn "sport = :$1" | grep -q . && return 0
        sleep 0.1
    done
    echo "nothing listens on port $1" >&2
    return 1
}
start_tcpdump() { # file port
    tcpdump -i lo -U -n -s 0 -w "$1" "host 127.0.0.1 and tcp port $2" >/dev/null 2>"$work/tcpdump-$2.log" &
    tcpdump_pid=$!
    pids+=("$tcpdump_pid")
    for _ in $(seq 50); do
        grep -q "listening on" "$work/tcpdump-$2.log" && { sleep 0.5; return 0; }
        sleep 0.1
    done
    echo "tcpdump did not start" >&2
    return 1
}
stop() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
finish() { # tcpdump_pid name
    sleep 1
    stop "$1"
    mkdir -p "$out_dir"
    cp "$work/$2" "$out_dir/$2"
    echo "wrote $out_dir/$2 ($(stat -c %s "$out_dir/$2") bytes)" >&2
}

# --- TLS: openssl s_server / s_client
"$PYTHON" "$peers" cert "$work/old.key" "$work/old.crt" plc-01.plant.example expired
"$PYTHON" "$peers" cert "$work/new.key" "$work/new.crt" hmi.plant.example valid
tls_session() { # name server-args client-args
    local name=$1 sargs=$2 cargs=$3
    start_tcpdump "$work/$name" 443
    local t=$tcpdump_pid
    # shellcheck disable=SC2086
    openssl s_server -accept 127.0.0.1:443 -naccept 1 -quiet $sargs >/dev/null 2>"$work/s_server.log" &
    local s=$!
    pids+=("$s")
    wait_port 443
    # shellcheck disable=SC2086
    echo "Q" | timeout 5 openssl s_client -connect 127.0.0.1:443 $cargs >/dev/null 2>&1 || true
    sleep 0.3
    kill "$s" 2>/dev/null || true
    wait "$s" 2>/dev/null || true
    finish "$t" "$name"
}
tls_session tls-openssl-tls12-selfsigned-expired.pcap \
    "-cert $work/old.crt -key $work/old.key -tls1_2 -alpn http/1.1" \
    "-tls1_2 -servername plc-01.plant.example -alpn http/1.1"
tls_session tls-openssl-tls13.pcap \
    "-cert $work/new.crt -key $work/new.key -tls1_3 -alpn h2" \
    "-tls1_3 -servername hmi.plant.example -alpn h2,http/1.1"
tls_session tls-openssl-tls10.pcap \
    "-cert $work/old.crt -key $work/old.key -tls1 -cipher DEFAULT:@SECLEVEL=0" \
    "-tls1 -cipher DEFAULT:@SECLEVEL=0 -noservername"

# --- HTTP: Basic auth server, curl client
start_tcpdump "$work/http-basic-auth.pcap" 80
t=$tcpdump_pid
"$PYTHON" "$peers" http-server 80 &
s=$!; pids+=("$s")
wait_port 80
curl -s -o /dev/null -A "skjold-test-curl" http://127.0.0.1/status || true
curl -s -o /dev/null -A "skjold-test-curl" -u operator:hunter2 http://127.0.0.1/status || true
kill "$s"; wait "$s" 2>/dev/null || true
finish "$t" http-basic-auth.pcap

# --- FTP: pyftpdlib
mkdir -p "$work/ftproot"
start_tcpdump "$work/ftp-pyftpdlib.pcap" 21
t=$tcpdump_pid
"$PYTHON" "$peers" ftp-server 21 "$work/ftproot" 2>/dev/null &
s=$!; pids+=("$s")
wait_port 21
"$PYTHON" "$peers" ftp-client 21
kill "$s"; wait "$s" 2>/dev/null || true
finish "$t" ftp-pyftpdlib.pcap

# --- SSH: OpenSSH
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N "" -f "$work/hostkey"
start_tcpdump "$work/ssh-openssh.pcap" 22
t=$tcpdump_pid
/usr/sbin/sshd -D -e -f /dev/null -o ListenAddress=127.0.0.1 -o Port=22 -h "$work/hostkey" \
    -o PidFile=none 2>"$work/sshd.log" &
s=$!; pids+=("$s")
wait_port 22
timeout 10 ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
    -o PreferredAuthentications=none -p 22 operator@127.0.0.1 true 2>/dev/null || true
kill "$s"; wait "$s" 2>/dev/null || true
finish "$t" ssh-openssh.pcap

# --- Telnet: inetutils telnetd (one connection) and telnet client
start_tcpdump "$work/telnet-inetutils.pcap" 23
t=$tcpdump_pid
"$PYTHON" "$peers" telnetd 23 &
s=$!; pids+=("$s")
wait_port 23
( sleep 1.5; printf 'operator\r\n'; sleep 1; printf 'hunter2\r\n'; sleep 3 ) \
    | timeout 10 telnet 127.0.0.1 23 >/dev/null 2>&1 || true
kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true
finish "$t" telnet-inetutils.pcap

# --- VNC: x11vnc on Xvfb, Python RFB client
Xvfb :93 -screen 0 640x480x24 -nolisten tcp >/dev/null 2>&1 &
x=$!; pids+=("$x")
sleep 1
start_tcpdump "$work/vnc-x11vnc.pcap" 5900
t=$tcpdump_pid
x11vnc -display :93 -rfbport 5900 -localhost -nopw -once -desktop "Line 3 HMI" >/dev/null 2>&1 &
s=$!; pids+=("$s")
wait_port 5900
"$PYTHON" "$peers" rfb-client 5900
kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true
finish "$t" vnc-x11vnc.pcap

# --- RDP: xrdp and xfreerdp
if command -v xrdp >/dev/null && command -v xfreerdp >/dev/null; then
    [ -f /etc/xrdp/key.pem ] || xrdp-keygen xrdp auto >/dev/null 2>&1 || true
    start_tcpdump "$work/rdp-xrdp-freerdp.pcap" 3389
    t=$tcpdump_pid
    xrdp --nodaemon >/dev/null 2>&1 &
    s=$!; pids+=("$s")
    wait_port 3389
    DISPLAY=:93 timeout 10 xfreerdp /v:127.0.0.1:3389 /u:operator /p:hunter2 /cert:ignore \
        +auth-only >/dev/null 2>&1 || true
    kill "$s" 2>/dev/null || true; wait "$s" 2>/dev/null || true
    finish "$t" rdp-xrdp-freerdp.pcap
fi
