#!/usr/bin/env python3
"""Regenerate the small capture fixtures in tests/data/ (deterministic, no dependencies).

Every fixture is built byte by byte here, with correct IPv4 header and TCP/IPv6
checksums, consistent TCP sequence numbers, and fixed timestamps, so running the
script again gives identical files. tests/data/README.md describes each file and
the counts tshark reports for it; `--check` prints those counts (needs tshark).

Usage: tools/gen-fixtures.py [--out tests/data] [--check]
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys

T0 = 1_735_689_600_000_000  # 2025-01-01T00:00:00Z, microseconds

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276

# Addresses: a Schneider Electric PLC and a Dell SCADA host, a Moxa sensor and a broker.
PLC_MAC = bytes.fromhex("000054a1b2c3")
SCADA_MAC = bytes.fromhex("001e4f102030")
SENSOR_MAC = bytes.fromhex("0090e8405060")
BROKER_MAC = bytes.fromhex("00065b708090")
PLC_IP = bytes([10, 10, 1, 10])
SCADA_IP = bytes([10, 10, 0, 10])
SENSOR_IP = bytes([10, 10, 2, 20])
BROKER_IP = bytes([10, 10, 0, 5])
PLC_IP6 = bytes.fromhex("fd000a0a000100000000000000000010")  # fd00:a0a:1::10
SCADA_IP6 = bytes.fromhex("fd000a0a000000000000000000000010")  # fd00:a0a::10

FIN, SYN, PSH, ACK = 0x01, 0x02, 0x08, 0x10


# ---------------------------------------------------------------- checksums, layers


def csum(data: bytes, start: int = 0) -> int:
    """RFC 1071 Internet checksum."""
    if len(data) % 2:
        data += b"\0"
    s = start + sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_segment(src_ip, dst_ip, sport, dport, seq, ack, flags, payload=b"", window=64240, mss=None):
    opts = b"" if mss is None else struct.pack("!BBH", 2, 4, mss)
    hlen = 20 + len(opts)
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, ack if flags & ACK else 0, (hlen // 4) << 4, flags, window, 0, 0)
    seg = hdr + opts + payload
    if len(src_ip) == 4:
        pseudo = src_ip + dst_ip + struct.pack("!BBH", 0, 6, len(seg))
    else:
        pseudo = src_ip + dst_ip + struct.pack("!IxxxB", len(seg), 6)
    c = csum(pseudo + seg)
    return seg[:16] + struct.pack("!H", c) + seg[18:]


def ipv4(src, dst, proto, payload, ident, ttl=64, df=True, offset8=0, more=False):
    flags = (0x4000 if df else 0) | (0x2000 if more else 0) | offset8
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident, flags, ttl, proto, 0, src, dst)
    return hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:] + payload


def ipv6(src, dst, next_header, payload, hop_limit=64):
    return struct.pack("!IHBB", 0x60000000, len(payload), next_header, hop_limit) + src + dst + payload


def ethernet(dst, src, ethertype, payload, tags=()):
    out = dst + src
    for tpid, tci in tags:
        out += struct.pack("!HH", tpid, tci)
    out += struct.pack("!H", ethertype) + payload
    return out + b"\0" * max(0, 60 - len(out))


# ---------------------------------------------------------------- application PDUs


def mbap(tid, unit, pdu):
    return struct.pack("!HHHB", tid, 0, len(pdu) + 1, unit) + pdu


def fc3_request(addr, qty):
    return struct.pack("!BHH", 3, addr, qty)


def fc3_response(values):
    return struct.pack("!BB", 3, 2 * len(values)) + b"".join(struct.pack("!H", v) for v in values)


def fc16_request(addr, values):
    return struct.pack("!BHHB", 16, addr, len(values), 2 * len(values)) + b"".join(struct.pack("!H", v) for v in values)


def fc16_response(addr, qty):
    return struct.pack("!BHH", 16, addr, qty)


def mqtt_packet(first, body):
    out = bytes([first])
    n = len(body)
    while True:
        b = n % 128
        n //= 128
        out += bytes([b | (0x80 if n else 0)])
        if not n:
            return out + body


def mqtt_str(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def mqtt_connect(client_id, user, password):
    body = mqtt_str("MQTT") + bytes([4, 0xC2]) + struct.pack("!H", 60)
    return mqtt_packet(0x10, body + mqtt_str(client_id) + mqtt_str(user) + mqtt_str(password))


def mqtt_publish(topic, payload, qos=0, pid=0):
    body = mqtt_str(topic) + (struct.pack("!H", pid) if qos else b"") + payload
    return mqtt_packet(0x30 | (qos << 1), body)


# ---------------------------------------------------------------- TCP sessions


class Session:
    """Tracks sequence numbers and IP ids of one TCP connection; yields IP packets."""

    def __init__(self, c_ip, s_ip, cport, sport, cisn, sisn):
        self.c_ip, self.s_ip, self.cport, self.sport = c_ip, s_ip, cport, sport
        self.next = {True: cisn, False: sisn}
        self.ipid = {True: 0x1000 + cport % 997, False: 0x7000 + sport}

    def segment(self, from_client, flags, payload=b"", consume=True):
        """TCP segment bytes (not yet in IP) and the (src, dst) IPs."""
        seq, ack = self.next[from_client], self.next[not from_client]
        src, dst = (self.c_ip, self.s_ip) if from_client else (self.s_ip, self.c_ip)
        sp, dp = (self.cport, self.sport) if from_client else (self.sport, self.cport)
        mss = 1460 if flags & SYN else None
        if len(self.c_ip) == 16 and mss:
            mss = 1440
        seg = tcp_segment(src, dst, sp, dp, seq, ack, flags, payload, mss=mss)
        if consume:
            self.next[from_client] = (seq + len(payload) + (1 if flags & (SYN | FIN) else 0)) & 0xFFFFFFFF
        return seg, src, dst

    def ip(self, from_client, flags, payload=b"", consume=True):
        seg, src, dst = self.segment(from_client, flags, payload, consume)
        if len(src) == 16:
            return ipv6(src, dst, 6, seg)
        self.ipid[from_client] += 1
        return ipv4(src, dst, 6, seg, self.ipid[from_client])

    def open(self):
        return [(True, self.ip(True, SYN)), (False, self.ip(False, SYN | ACK)), (True, self.ip(True, ACK))]

    def close(self):
        return [(True, self.ip(True, FIN | ACK)), (False, self.ip(False, FIN | ACK)), (True, self.ip(True, ACK))]


def modbus_session(c_ip=SCADA_IP, s_ip=PLC_IP, transactions=1):
    """Handshake, `transactions` FC3 reads (request, response), teardown."""
    s = Session(c_ip, s_ip, 50123, 502, 0x11223344, 0x55667788)
    pkts = s.open()
    for n in range(transactions):
        tid = 0x0101 + n
        pkts.append((True, s.ip(True, PSH | ACK, mbap(tid, 1, fc3_request(100 + 10 * n, 4)))))
        pkts.append((False, s.ip(False, PSH | ACK, mbap(tid, 1, fc3_response([1000 + n, 2, 3, 4 + n])))))
    return pkts + s.close()


# ---------------------------------------------------------------- file writers


def pcap_bytes(records, linktype=LINKTYPE_ETHERNET, snaplen=65535):
    """records: (timestamp_us, frame bytes[, original length])."""
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, linktype)
    for rec in records:
        ts, data = rec[0], rec[1]
        orig = rec[2] if len(rec) > 2 else len(data)
        out += struct.pack("<IIII", ts // 1_000_000, ts % 1_000_000, len(data), orig) + data
    return out


def timed(frames, start=T0, step=1_500):
    return [(start + i * step, f) for i, f in enumerate(frames)]


def eth_frames(pkts, c_mac=SCADA_MAC, s_mac=PLC_MAC, ethertype=0x0800, tags=()):
    return [
        ethernet(s_mac if fc else c_mac, c_mac if fc else s_mac, ethertype, p, tags) for fc, p in pkts
    ]


def pcapng_block(btype, body):
    body += b"\0" * (-len(body) % 4)
    total = 12 + len(body)
    return struct.pack("<II", btype, total) + body + struct.pack("<I", total)


def pcapng_option(code, value):
    return struct.pack("<HH", code, len(value)) + value + b"\0" * (-len(value) % 4)


# ---------------------------------------------------------------- fixtures


def fixture_truncated():
    frames = eth_frames(modbus_session(transactions=3))
    data = pcap_bytes(timed(frames))
    # Keep the first 6 records whole (handshake + first transaction + next
    # request), then half of record 7 (the second response): a file cut mid-record.
    keep, at = 6, 24
    for _ in range(keep):
        at += 16 + struct.unpack_from("<I", data, at + 8)[0]
    return data[: at + 16 + len(frames[keep]) // 2]


def fixture_unknown_block():
    shb = pcapng_block(
        0x0A0D0D0A,
        struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        + pcapng_option(4, b"skjold tools/gen-fixtures.py")  # shb_userappl
        + pcapng_option(0, b""),
    )
    idb = pcapng_block(
        1,
        struct.pack("<HHI", LINKTYPE_ETHERNET, 0, 65535)
        + pcapng_option(2, b"eth0")  # if_name
        + pcapng_option(9, b"\x06")  # if_tsresol: microseconds
        + pcapng_option(0, b""),
    )
    # Custom Block (copiable), Private Enterprise Number 32473 (RFC 5612, documentation).
    custom = pcapng_block(0x00000BAD, struct.pack("<I", 32473) + b"skjold: reader must skip this")
    # A block type no specification defines; readers must skip it by its length.
    unknown = pcapng_block(0x0000_7A7A, b"unknown block body, 32 bytes!!!!")
    out = shb + idb + custom + unknown
    for ts, frame in timed(eth_frames(modbus_session(transactions=2))):
        hi, lo = ts >> 32, ts & 0xFFFFFFFF
        out += pcapng_block(6, struct.pack("<IIIII", 0, hi, lo, len(frame), len(frame)) + frame)
    return out


def fixture_jumbo():
    # MQTT over a 9000-byte MTU: a 20 KB PUBLISH in three jumbo segments, then normal Modbus.
    s = Session(SENSOR_IP, BROKER_IP, 40001, 1883, 0x0A000001, 0x0B000001)
    pkts = s.open()
    pkts.append((True, s.ip(True, PSH | ACK, mqtt_connect("camera-01", "vision", "jumbo-pass"))))
    pkts.append((False, s.ip(False, PSH | ACK, mqtt_packet(0x20, b"\0\0"))))
    body = bytes((i * 7 + 3) & 0xFF for i in range(20_000))
    pub = mqtt_publish("plant/area1/camera-01/frame", body, qos=1, pid=1)
    mss = 9000 - 40
    for off in range(0, len(pub), mss):
        last = off + mss >= len(pub)
        pkts.append((True, s.ip(True, (PSH | ACK) if last else ACK, pub[off : off + mss])))
    pkts.append((False, s.ip(False, PSH | ACK, mqtt_packet(0x40, struct.pack("!H", 1)))))
    pkts.append((True, s.ip(True, PSH | ACK, mqtt_packet(0xE0, b""))))
    pkts += s.close()
    frames = eth_frames(pkts, SENSOR_MAC, BROKER_MAC)
    frames += eth_frames(modbus_session(transactions=2))
    return pcap_bytes(timed(frames), snaplen=65535)


def fixture_gap():
    s = Session(SCADA_IP, PLC_IP, 50200, 502, 0x20000000, 0x30000000)
    pkts = s.open()
    pkts.append((True, s.ip(True, PSH | ACK, mbap(1, 1, fc3_request(0, 10)))))
    pkts.append((False, s.ip(False, PSH | ACK, mbap(1, 1, fc3_response(list(range(10)))))))
    # FC16 of 120 registers: 7 + 246 = 253 bytes, sent as 3 segments of 90, 90, 73.
    adu = mbap(2, 1, fc16_request(200, [0x1000 + i for i in range(120)]))
    parts = [adu[:90], adu[90:180], adu[180:]]
    pkts.append((True, s.ip(True, ACK, parts[0])))
    s.ip(True, ACK, parts[1])  # sent on the wire, not captured: advances seq, no record
    pkts.append((True, s.ip(True, PSH | ACK, parts[2])))
    pkts.append((False, s.ip(False, PSH | ACK, mbap(2, 1, fc16_response(200, 120)))))
    for tid in (3, 4, 5):
        pkts.append((True, s.ip(True, PSH | ACK, mbap(tid, 1, fc3_request(10 * tid, 2)))))
        pkts.append((False, s.ip(False, PSH | ACK, mbap(tid, 1, fc3_response([tid, tid * 2])))))
    pkts += s.close()
    return pcap_bytes(timed(eth_frames(pkts)))


def fixture_vlan(qinq):
    pkts = modbus_session()
    tags = [(0x88A8, 100), (0x8100, 10)] if qinq else [(0x8100, (5 << 13) | 10)]
    return pcap_bytes(timed(eth_frames(pkts, tags=tags)))


def fixture_sll(version):
    frames = []
    for from_client, p in modbus_session():
        # Captured on the SCADA host: its own packets are outgoing (4), the PLC's are to us (0).
        ptype = 4 if from_client else 0
        mac = SCADA_MAC if from_client else PLC_MAC
        if version == 1:
            hdr = struct.pack("!HHH8sH", ptype, 1, 6, mac, 0x0800)
        else:
            hdr = struct.pack("!HHIHBB8s", 0x0800, 0, 2, 1, ptype, 6, mac)
        frames.append(hdr + p)
    return pcap_bytes(timed(frames), LINKTYPE_LINUX_SLL if version == 1 else LINKTYPE_LINUX_SLL2)


def fixture_null():
    # BSD loopback: 4-byte address family in the file's (little-endian) byte order; AF_INET = 2.
    frames = [struct.pack("<I", 2) + p for _, p in modbus_session(bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))]
    return pcap_bytes(timed(frames), LINKTYPE_NULL)


def fixture_raw():
    return pcap_bytes(timed([p for _, p in modbus_session()]), LINKTYPE_RAW)


def fixture_ipv6():
    return pcap_bytes(timed(eth_frames(modbus_session(SCADA_IP6, PLC_IP6, transactions=2), ethertype=0x86DD)))


def fixture_fragments():
    s = Session(SENSOR_IP, BROKER_IP, 40002, 1883, 0x0C000001, 0x0D000001)
    pkts = s.open()
    pkts.append((True, s.ip(True, PSH | ACK, mqtt_connect("sensor-0042", "area2-telemetry", "frag-pass"))))
    pkts.append((False, s.ip(False, PSH | ACK, mqtt_packet(0x20, b"\0\0"))))
    ip_frames = [(fc, p) for fc, p in pkts]
    # A 3,200-byte PUBLISH (QoS 1) in one TCP segment, in an IPv4 datagram split
    # into 3 fragments by a 1500-byte MTU; the last fragment is captured before the middle one.
    payload = b"".join(b'{"i":%04d,"v":%d.%d},' % (i, 20 + i % 7, i % 10) for i in range(160))
    pub = mqtt_publish("plant/area2/sensor-0042/history", payload, qos=1, pid=7)
    seg, src, dst = s.segment(True, PSH | ACK, pub)
    ident = 0x4242
    chunk = 1480
    frags = []
    for off in range(0, len(seg), chunk):
        more = off + chunk < len(seg)
        frags.append(ipv4(src, dst, 6, seg[off : off + chunk], ident, df=False, offset8=off // 8, more=more))
    assert len(frags) == 3, len(frags)
    ip_frames += [(True, frags[0]), (True, frags[2]), (True, frags[1])]
    ip_frames.append((False, s.ip(False, PSH | ACK, mqtt_packet(0x40, struct.pack("!H", 7)))))
    ip_frames.append((True, s.ip(True, PSH | ACK, mqtt_packet(0xE0, b""))))
    ip_frames += s.close()
    return pcap_bytes(timed(eth_frames(ip_frames, SENSOR_MAC, BROKER_MAC)))


FIXTURES = {
    "empty.pcap": lambda: b"",
    "not-a-capture.txt": lambda: b"This is not a packet capture.\nIt is a plain text file used to test format detection.\n",
    "truncated.pcap": fixture_truncated,
    "unknown-block.pcapng": fixture_unknown_block,
    "jumbo-snaplen65535.pcap": fixture_jumbo,
    "modbus-gap-mid-pdu.pcap": fixture_gap,
    "link-8021q.pcap": lambda: fixture_vlan(False),
    "link-qinq.pcap": lambda: fixture_vlan(True),
    "link-sll.pcap": lambda: fixture_sll(1),
    "link-sll2.pcap": lambda: fixture_sll(2),
    "link-null.pcap": fixture_null,
    "link-raw.pcap": fixture_raw,
    "ipv6-modbus.pcap": fixture_ipv6,
    "ipv4-fragments-mqtt.pcap": fixture_fragments,
}


def tshark_counts(path):
    def run(*args):
        r = subprocess.run(["tshark", "-r", path, *args], capture_output=True, text=True)
        return r.stdout, r.stderr.strip().replace("\n", " ")

    frames, err = run("-T", "fields", "-e", "frame.number")
    n = len(frames.split())
    mb, _ = run("-Y", "mbtcp", "-T", "fields", "-e", "frame.number")
    mq, _ = run("-Y", "mqtt", "-T", "fields", "-e", "mqtt.msgtype")
    warn, _ = run("-Y", "_ws.malformed || _ws.expert.severity >= warning", "-T", "fields", "-e", "frame.number", "-e", "_ws.expert.message")
    return n, len(mb.split()), len(mq.split()), warn.strip().replace("\n", " | "), err


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "data"))
    ap.add_argument("--check", action="store_true", help="print tshark's counts per file")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name, make in FIXTURES.items():
        path = os.path.join(args.out, name)
        data = make()
        with open(path, "wb") as f:
            f.write(data)
        line = f"{name}: {len(data)} bytes"
        if args.check and shutil.which("tshark") and name.endswith(("pcap", "pcapng")) and data:
            n, mb, mq, warn, err = tshark_counts(path)
            line += f"; frames {n}, mbtcp {mb}, mqtt {mq}"
            if warn:
                line += f"; warnings: {warn}"
            if err:
                line += f"; tshark: {err}"
        print(line, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
