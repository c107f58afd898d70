#!/usr/bin/env python3
"""Compare device identification of nmap runs and `skjold scan` with the simulated fleet.

Usage: scan_compare.py OUT_DIR RESULTS_TSV

Reads OUT_DIR/fleet.json (`skjold-sim --list`), OUT_DIR/nmap-scripts.xml, OUT_DIR/nmap-sv.xml
and OUT_DIR/skjold-scan.json when present. A service counts as identified by a run when one of
its expected identity values (the key of the protocol below) appears in what the run reported
for that address and port (nmap: service product/version/extrainfo and script output; skjold:
the JSON object of that host and port, or of the host when no port object is found). Writes
OUT_DIR/compare.tsv (one line per service) and prints a summary.
"""

import json
import os
import sys
import xml.etree.ElementTree as ET

# Which expected values identify a service of each protocol.
KEYS = {
    "modbus": ["vendor_name", "product_name", "server_id_data"],
    "s7": ["order_number", "module_name", "serial"],
    "enip": ["product_name"],
    "bacnet": ["vendor_name", "model_name", "object_name"],
    "dnp3": ["link_address"],
    "iec104": ["testfr"],
    "opcua": ["application_name", "application_uri"],
    "mqtt": ["version"],
    "coap": ["well_known_core"],
    "http": ["server"],
    "https": ["server"],
    "ssh": ["banner"],
    "telnet": ["banner"],
    "ftp": ["banner"],
}


def candidates(proto, expected):
    out = []
    for k in KEYS.get(proto, []):
        v = expected.get(k, "")
        # Short values ("10", "con") are compared as whole JSON values, not substrings.
        if proto in ("dnp3", "iec104") and v:
            out.append(json.dumps(v) if proto == "dnp3" else '"testfr_con": true')
            continue
        if len(v) >= 4:
            out.append(v)
            if proto == "ssh" and v.startswith("SSH-2.0-"):
                soft = v[len("SSH-2.0-"):]
                out.append(soft)
                if "_" in soft:
                    out.append(soft.split("_", 1)[1])
            if proto == "ftp" and " FTP server" in v:
                out.append(v.split(" FTP server")[0])
            if proto in ("http", "https") and "/" in v:
                out.append(v.split("/")[0])
            if proto == "mqtt" and " version " in v:
                out.append(v.split(" version ")[1])
            if proto == "coap":
                out.append(v.split(",")[0])
                first = v.split(",")[0]
                if first.startswith("<") and ">" in first:
                    out.append(first[1 : first.index(">")])
    return out


def nmap_text(path):
    """{(addr, port, transport): text} from an nmap XML file, or None when absent."""
    if not os.path.exists(path):
        return None
    texts = {}
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError:
        return None
    for host in root.iter("host"):
        addr = next((a.get("addr") for a in host.iter("address") if a.get("addrtype") == "ipv4"), None)
        for port in host.iter("port"):
            state = port.find("state")
            if state is None or state.get("state") != "open":
                continue
            parts = []
            svc = port.find("service")
            if svc is not None:
                parts += [svc.get(k, "") for k in ("product", "version", "extrainfo", "devicetype")]
            for sc in port.iter("script"):
                parts.append(sc.get("output", ""))
            texts[(addr, int(port.get("portid")), port.get("protocol"))] = "\n".join(parts)
    return texts


def find_host(node, addr):
    """The smallest JSON object that names `addr` as its address."""
    if isinstance(node, dict):
        for k in ("address", "addr", "ip", "host", "target"):
            if node.get(k) == addr:
                return node
        for v in node.values():
            r = find_host(v, addr)
            if r is not None:
                return r
    elif isinstance(node, list):
        for v in node:
            r = find_host(v, addr)
            if r is not None:
                return r
    return None


def find_port(node, port):
    if isinstance(node, dict):
        if node.get("port") == port:
            return node
        for v in node.values():
            r = find_port(v, port)
            if r is not None:
                return r
    elif isinstance(node, list):
        for v in node:
            r = find_port(v, port)
            if r is not None:
                return r
    return None


def main():
    out, results = sys.argv[1], sys.argv[2]
    fleet = json.load(open(os.path.join(out, "fleet.json")))
    runs = {}
    for name in ("nmap-scripts", "nmap-sv"):
        t = nmap_text(os.path.join(out, name + ".xml"))
        if t is not None:
            runs[name] = t
    skjold = None
    sp = os.path.join(out, "skjold-scan.json")
    if os.path.exists(sp) and os.path.getsize(sp) > 0:
        try:
            skjold = json.load(open(sp))
            runs["skjold-scan"] = None
        except ValueError:
            print("skjold-scan.json is not JSON; skipped", file=sys.stderr)

    def seen(run, addr, port, transports):
        if run == "skjold-scan":
            # Only the service object of that port and transport, and only when Skjold
            # identified it (no fall-back to the whole host: another service's banner must
            # not count).
            host = find_host(skjold, addr)
            if host is None:
                return ""
            subs = [
                x
                for x in host.get("services", [])
                if x.get("port") == port
                and x.get("transport") in transports
                and x.get("status") == "identified"
            ]
            return "\n".join(json.dumps(x) for x in subs)
        t = runs[run]
        return "\n".join(t.get((addr, port, tr), "") for tr in transports)

    rows = []
    stats = {r: {} for r in runs}
    devices = {r: set() for r in runs}
    missed = []
    for d in fleet:
        for s in d["services"]:
            proto = s["protocol"]
            cands = candidates(proto, s["expected"])
            row = [d["addr"], d["profile"], proto, str(s["port"]), cands[0] if cands else "-"]
            ident = {}
            for r in runs:
                text = seen(r, d["addr"], s["port"], s["transports"])
                ok = bool(cands) and any(c.lower() in text.lower() for c in cands)
                ident[r] = ok
                st = stats[r].setdefault(proto, [0, 0])
                st[1] += 1
                if ok:
                    st[0] += 1
                    devices[r].add(d["addr"])
                row.append("yes" if ok else "no")
            if "skjold-scan" in ident and not ident["skjold-scan"]:
                if any(ident[r] for r in ident if r != "skjold-scan"):
                    missed.append(f'{d["addr"]} {proto}/{s["port"]}')
            rows.append(row)
    with open(os.path.join(out, "compare.tsv"), "w") as f:
        f.write("\t".join(["addr", "profile", "protocol", "port", "identity"] + list(runs)) + "\n")
        for r in rows:
            f.write("\t".join(r) + "\n")

    timing = {}
    for line in open(results).read().splitlines()[1:]:
        name, status, secs, rss = line.split("\t")
        timing[name] = (status, float(secs), int(rss or 0))
    print()
    print(f"fleet: {len(fleet)} devices, {sum(len(d['services']) for d in fleet)} services")
    print(f"{'run':<14} {'status':<8} {'seconds':>9} {'RSS MiB':>8} {'devices identified':>19}")
    for r in runs:
        st, secs, rss = timing.get(r, ("-", 0.0, 0))
        print(f"{r:<14} {st:<8} {secs:>9.3f} {rss / 1024:>8.1f} {len(devices[r]):>19}")
    protos = sorted({p for r in stats for p in stats[r]})
    print()
    print("services identified per protocol (identified/present):")
    print(f"{'protocol':<10}" + "".join(f"{r:>15}" for r in runs))
    for p in protos:
        print(f"{p:<10}" + "".join(f"{'%d/%d' % tuple(stats[r].get(p, [0, 0])):>15}" for r in runs))
    if "skjold-scan" in runs:
        print()
        print(f"services identified by nmap but not by skjold: {len(missed)}")
        for m in missed[:20]:
            print("  " + m)
    print(f"\nper-service table: {os.path.join(out, 'compare.tsv')}")


if __name__ == "__main__":
    main()
