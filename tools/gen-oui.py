#!/usr/bin/env python3
"""Build skjold-oui's embedded vendor table from the IEEE registry CSVs.

Source: the public IEEE Registration Authority lists as packaged by Debian's
`ieee-data` (/usr/share/ieee-data): oui.csv (MA-L, 24-bit), mam.csv (MA-M,
28-bit), oui36.csv (MA-S, 36-bit) and iab.csv (the legacy IAB blocks, also
36-bit).

Output: crates/skjold-oui/data/oui.bin.deflate, zlib-compressed, laid out as
(all integers little-endian):

    magic   b"SKOUI\\x02"
    u32     number of names, u32 byte length of the name blob
    bytes   name blob: UTF-8 names, trimmed, deduplicated, sorted, each
            followed by b"\\n" (no name contains a line break)
    for bits in (24, 28, 36):
        u32 count
        count x prefix, sorted ascending, each as the LEB128 varint of its
            difference from the previous one (the first from 0); a prefix
            is the assignment's value right-aligned (24/28/36 bits)
        count x u24 name index, in the same order (columnar: compresses
            far better than interleaved records)

Usage: tools/gen-oui.py [--src /usr/share/ieee-data] [--out PATH]
"""

import argparse
import csv
import os
import struct
import sys
import zlib

FILES = [  # (file, registry names accepted, prefix bits)
    ("oui.csv", {"MA-L"}, 24),
    ("mam.csv", {"MA-M"}, 28),
    ("oui36.csv", {"MA-S"}, 36),
    ("iab.csv", {"IAB"}, 36),
]


def leb128(value: int) -> bytes:
    """Unsigned LEB128: 7 bits per byte, low group first, high bit = more."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default="/usr/share/ieee-data")
    ap.add_argument(
        "--out",
        default=os.path.join(here, "..", "crates", "skjold-oui", "data", "oui.bin.deflate"),
    )
    args = ap.parse_args()

    tables = {24: {}, 28: {}, 36: {}}
    for name, registries, bits in FILES:
        path = os.path.join(args.src, name)
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader)
            if header[:3] != ["Registry", "Assignment", "Organization Name"]:
                sys.exit(f"{path}: unexpected header {header!r}")
            for row in reader:
                if not row:
                    continue
                reg, assignment, org = row[0].strip(), row[1].strip(), row[2].strip()
                if reg not in registries:
                    sys.exit(f"{path}: unexpected registry {reg!r}")
                if len(assignment) * 4 != bits:
                    sys.exit(f"{path}: assignment {assignment!r} is not {bits} bits")
                prefix = int(assignment, 16)
                org = " ".join(org.split())  # trim and collapse inner runs of blanks
                if not org:
                    continue
                # Identical duplicates happen; conflicting ones keep the first seen.
                tables[bits].setdefault(prefix, org)

    names = sorted({n for t in tables.values() for n in t.values()})
    if len(names) >= 1 << 24:
        sys.exit("too many names for a u24 index")
    index = {n: i for i, n in enumerate(names)}
    blob = bytearray()
    for n in names:
        assert "\n" not in n
        blob += n.encode("utf-8") + b"\n"

    out = bytearray(b"SKOUI\x02")
    out += struct.pack("<II", len(names), len(blob))
    out += blob
    for bits in (24, 28, 36):
        entries = sorted(tables[bits].items())
        out += struct.pack("<I", len(entries))
        prev = 0
        for prefix, _ in entries:
            out += leb128(prefix - prev)
            prev = prefix
        for _, org in entries:
            out += index[org].to_bytes(3, "little")

    packed = zlib.compress(bytes(out), 9)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "wb") as f:
        f.write(packed)
    counts = ", ".join(f"{b}-bit: {len(tables[b])}" for b in (24, 28, 36))
    print(
        f"{args.out}: {len(names)} names, {counts}; "
        f"{len(out)} bytes raw, {len(packed)} bytes compressed",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
