//! MAC address vendor lookup from the public IEEE registry, embedded in the binary.
//!
//! The table is built by `tools/gen-oui.py` from the IEEE Registration Authority
//! lists (MA-L 24-bit, MA-M 28-bit, MA-S and legacy IAB 36-bit) as packaged by
//! Debian's `ieee-data`, and stored zlib-compressed in `data/oui.bin.deflate`.
//! It is decompressed once, on first use, and searched by binary search,
//! longest prefix first, so a MAC inside a block that the IEEE subdivided (for
//! example `70:B3:D5`, the Registration Authority's own MA-L) resolves to the
//! MA-S holder rather than to the block.
//!
//! ```
//! assert_eq!(skjold_oui::vendor([0x00, 0x00, 0xBC, 0x12, 0x34, 0x56]), Some("Rockwell Automation"));
//! // Multicast and locally administered addresses have no vendor.
//! assert_eq!(skjold_oui::vendor([0x01, 0x00, 0x5E, 0x00, 0x00, 0x01]), None);
//! ```
#![forbid(unsafe_code)]

use std::sync::OnceLock;

/// Where the embedded table comes from; repeated in the crate README.
pub const SOURCE: &str = "IEEE Registration Authority MA-L, MA-M, MA-S and IAB lists, \
     from Debian package ieee-data 20220827.1 (lists dated 2022-08-27)";

/// The compressed table produced by `tools/gen-oui.py`.
static COMPRESSED: &[u8] = include_bytes!("../data/oui.bin.deflate");

/// Upper bound on the decompressed size, so that a damaged file cannot make us
/// allocate without limit (the real table is under 1 MiB).
const MAX_DECOMPRESSED: usize = 16 << 20;

/// Format marker written by `tools/gen-oui.py`.
const MAGIC: &[u8] = b"SKOUI\x02";

/// A registry match for a MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    /// Organisation name as the IEEE writes it (whitespace trimmed).
    pub vendor: &'static str,
    /// Length of the matched prefix: 24 (MA-L), 28 (MA-M) or 36 (MA-S / IAB).
    pub prefix_bits: u8,
}

/// Returns the organisation the IEEE assigned `mac`'s prefix to, or `None` for
/// unassigned, multicast (`I/G` bit set) and locally administered (`U/L` bit
/// set) addresses.
pub fn vendor(mac: [u8; 6]) -> Option<&'static str> {
    lookup(mac).map(|a| a.vendor)
}

/// Like [`vendor`], but also says how long the matched prefix is.
pub fn lookup(mac: [u8; 6]) -> Option<Assignment> {
    if mac[0] & 0x03 != 0 {
        return None;
    }
    let table = table();
    let value = u64::from_be_bytes([0, 0, mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]]);
    table
        .levels
        .iter()
        .find_map(|level| {
            let prefix = value >> (48 - u32::from(level.bits));
            level
                .prefixes
                .binary_search(&prefix)
                .ok()
                .map(|i| (level.bits, level.names[i]))
        })
        .map(|(bits, name)| Assignment {
            vendor: table.name(name),
            prefix_bits: bits,
        })
}

/// Number of prefixes in the embedded table for 24, 28 and 36 bits.
pub fn table_sizes() -> [usize; 3] {
    let t = table();
    // Levels are stored longest first.
    [
        t.levels[2].prefixes.len(),
        t.levels[1].prefixes.len(),
        t.levels[0].prefixes.len(),
    ]
}

/// One prefix length's sorted assignments.
struct Level {
    bits: u8,
    prefixes: Vec<u64>,
    names: Vec<u32>,
}

/// The decompressed table: names and the three levels, longest prefix first.
struct Table {
    names: String,
    spans: Vec<(u32, u32)>,
    levels: [Level; 3],
}

impl Table {
    fn name(&self, index: u32) -> &str {
        let (start, end) = self.spans[index as usize];
        &self.names[start as usize..end as usize]
    }
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let raw =
            miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(COMPRESSED, MAX_DECOMPRESSED)
                .expect("embedded OUI table decompresses");
        parse(&raw).expect("embedded OUI table is well formed")
    })
}

/// Why the embedded table could not be read (only reachable with a damaged file).
#[derive(Debug, PartialEq, Eq)]
enum FormatError {
    Magic,
    Truncated,
    Utf8,
    NameCount,
    Unsorted,
    NameIndex,
    Trailing,
}

/// A cursor over the decompressed bytes.
struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        if self.data.len() < n {
            return Err(FormatError::Truncated);
        }
        let (head, tail) = self.data.split_at(n);
        self.data = tail;
        Ok(head)
    }

    fn u32(&mut self) -> Result<u32, FormatError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn leb128(&mut self) -> Result<u64, FormatError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.take(1)?[0];
            value |= u64::from(byte & 0x7F) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(FormatError::Truncated)
    }
}

fn parse(raw: &[u8]) -> Result<Table, FormatError> {
    let mut r = Reader { data: raw };
    if r.take(MAGIC.len())? != MAGIC {
        return Err(FormatError::Magic);
    }
    let name_count = r.u32()? as usize;
    let blob_len = r.u32()? as usize;
    let names = std::str::from_utf8(r.take(blob_len)?)
        .map_err(|_| FormatError::Utf8)?
        .to_owned();
    let mut spans = Vec::with_capacity(name_count.min(names.len()));
    let mut start = 0usize;
    for (i, b) in names.bytes().enumerate() {
        if b == b'\n' {
            spans.push((start as u32, i as u32));
            start = i + 1;
        }
    }
    if spans.len() != name_count || start != names.len() {
        return Err(FormatError::NameCount);
    }
    let mut read_level = |bits: u8| -> Result<Level, FormatError> {
        let count = r.u32()? as usize;
        // Each entry takes at least 4 bytes, which bounds the allocation by the input.
        if count > r.data.len() / 4 {
            return Err(FormatError::Truncated);
        }
        let mut prefixes = Vec::with_capacity(count);
        let mut prev = 0u64;
        for i in 0..count {
            let delta = r.leb128()?;
            if i > 0 && delta == 0 {
                return Err(FormatError::Unsorted);
            }
            prev = prev.checked_add(delta).ok_or(FormatError::Unsorted)?;
            if prev >> bits != 0 {
                return Err(FormatError::Unsorted);
            }
            prefixes.push(prev);
        }
        let mut idx = Vec::with_capacity(count);
        for _ in 0..count {
            let b = r.take(3)?;
            let index = u32::from_le_bytes([b[0], b[1], b[2], 0]);
            if index as usize >= name_count {
                return Err(FormatError::NameIndex);
            }
            idx.push(index);
        }
        Ok(Level {
            bits,
            prefixes,
            names: idx,
        })
    };
    let l24 = read_level(24)?;
    let l28 = read_level(28)?;
    let l36 = read_level(36)?;
    if !r.data.is_empty() {
        return Err(FormatError::Trailing);
    }
    Ok(Table {
        names,
        spans,
        levels: [l36, l28, l24],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(s: &str) -> [u8; 6] {
        let v: Vec<u8> = s
            .split(':')
            .map(|p| u8::from_str_radix(p, 16).unwrap())
            .collect();
        v.try_into().unwrap()
    }

    // Each expectation is a row of /usr/share/ieee-data/oui.csv (ieee-data 20220827.1).
    #[test]
    fn industrial_vendors_from_ma_l() {
        // MA-L,000E8C,Siemens AG
        assert_eq!(vendor(mac("00:0e:8c:01:02:03")), Some("Siemens AG"));
        // MA-L,000054,Schneider Electric
        assert_eq!(vendor(mac("00:00:54:aa:bb:cc")), Some("Schneider Electric"));
        // MA-L,0000BC,Rockwell Automation
        assert_eq!(
            vendor(mac("00:00:bc:00:00:01")),
            Some("Rockwell Automation")
        );
        // MA-L,000105,Beckhoff Automation GmbH
        assert_eq!(
            vendor(mac("00:01:05:12:34:56")),
            Some("Beckhoff Automation GmbH")
        );
        // MA-L,0030DE,WAGO Kontakttechnik GmbH
        assert_eq!(
            vendor(mac("00:30:de:ff:ff:ff")),
            Some("WAGO Kontakttechnik GmbH")
        );
    }

    #[test]
    fn names_are_kept_as_ieee_writes_them() {
        // MA-L,001B1B,"Siemens AG," (sic, trailing comma in the registry)
        assert_eq!(vendor(mac("00:1b:1b:00:00:00")), Some("Siemens AG,"));
        // MA-L,0090E8,"MOXA TECHNOLOGIES CORP., LTD."
        assert_eq!(
            vendor(mac("00:90:e8:10:20:30")),
            Some("MOXA TECHNOLOGIES CORP., LTD.")
        );
    }

    #[test]
    fn longest_prefix_wins() {
        // MA-S,70B3D5E40,Siemens Mobility GmbH - MO TI SPA inside
        // MA-L,70B3D5,IEEE Registration Authority
        let a = lookup(mac("70:b3:d5:e4:0a:bc")).unwrap();
        assert_eq!(a.vendor, "Siemens Mobility GmbH - MO TI SPA");
        assert_eq!(a.prefix_bits, 36);
        // MA-M,CC22376,Siemens AG Austria
        let a = lookup(mac("cc:22:37:60:00:01")).unwrap();
        assert_eq!(a.vendor, "Siemens AG Austria");
        assert_eq!(a.prefix_bits, 28);
        // IAB,0050C27D5,DEUTA-WERKE GmbH inside MA-L 0050C2
        assert_eq!(vendor(mac("00:50:c2:7d:5f:ff")), Some("DEUTA-WERKE GmbH"));
    }

    #[test]
    fn multicast_and_local_addresses_have_no_vendor() {
        // 01:00:5e is IPv4 multicast; even with an assigned-looking OUI the I/G bit wins.
        assert_eq!(vendor(mac("01:00:5e:00:00:fb")), None);
        assert_eq!(vendor(mac("ff:ff:ff:ff:ff:ff")), None);
        // Siemens' 00:0e:8c with the U/L bit set is locally administered.
        assert_eq!(vendor(mac("02:0e:8c:01:02:03")), None);
        assert_eq!(vendor(mac("02:42:ac:11:00:02")), None);
    }

    #[test]
    fn table_has_every_registry() {
        let [l24, l28, l36] = table_sizes();
        assert!(l24 > 30_000, "{l24}");
        assert!(l28 > 4_000, "{l28}");
        assert!(l36 > 9_000, "{l36}");
    }

    #[test]
    fn damaged_tables_are_rejected() {
        assert_eq!(parse(b"nope").err(), Some(FormatError::Truncated));
        assert_eq!(parse(b"NOPE!!xxxxxxxx").err(), Some(FormatError::Magic));
        let mut raw = MAGIC.to_vec();
        raw.extend_from_slice(&1u32.to_le_bytes());
        raw.extend_from_slice(&2u32.to_le_bytes());
        raw.extend_from_slice(b"A\n");
        for count in [1u32, 0, 0] {
            raw.extend_from_slice(&count.to_le_bytes());
            if count == 1 {
                raw.push(0x05); // prefix 5
                raw.extend_from_slice(&[1, 0, 0]); // name 1: out of range
            }
        }
        assert_eq!(parse(&raw).err(), Some(FormatError::NameIndex));
    }

    /// Minimal CSV reader for the IEEE files: quoted fields may hold commas,
    /// doubled quotes and line breaks.
    fn csv_records(text: &str) -> Vec<Vec<String>> {
        let mut records = Vec::new();
        let mut fields = vec![String::new()];
        let mut quoted = false;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '"' if quoted && chars.peek() == Some(&'"') => {
                    chars.next();
                    fields.last_mut().unwrap().push('"');
                }
                '"' => quoted = !quoted,
                ',' if !quoted => fields.push(String::new()),
                '\r' if !quoted => {}
                '\n' if !quoted => {
                    records.push(std::mem::replace(&mut fields, vec![String::new()]));
                }
                _ => fields.last_mut().unwrap().push(c),
            }
        }
        if fields.len() > 1 || !fields[0].is_empty() {
            records.push(fields);
        }
        records
    }

    /// Checks every row of the system's registry files when they are installed
    /// (Debian `ieee-data`); the hard-coded tests above run everywhere.
    #[test]
    fn every_row_of_the_installed_registry_resolves() {
        let dir = std::path::Path::new("/usr/share/ieee-data");
        let files = [
            ("oui36.csv", 36u8),
            ("iab.csv", 36),
            ("mam.csv", 28),
            ("oui.csv", 24),
        ];
        if !dir.join("oui.csv").exists() {
            return;
        }
        // Two MA-L prefixes (080030, 0001C8) are listed more than once with
        // different names; the table keeps the first row, so any listed name is right.
        let mut rows: Vec<(u8, u64, Vec<String>, String)> = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for (file, bits) in files {
            let text = std::fs::read_to_string(dir.join(file)).unwrap();
            for f in csv_records(&text).into_iter().skip(1) {
                let prefix = u64::from_str_radix(&f[1], 16).unwrap();
                let name = f[2].split_whitespace().collect::<Vec<_>>().join(" ");
                if let Some(&i) = seen.get(&(bits, prefix)) {
                    let row: &mut (u8, u64, Vec<String>, String) = &mut rows[i];
                    row.2.push(name);
                } else {
                    seen.insert((bits, prefix), rows.len());
                    rows.push((bits, prefix, vec![name], format!("{file}: {}", f.join(","))));
                }
            }
        }
        let mut checked = 0usize;
        for (bits, prefix, names, line) in &rows {
            let value = prefix << (48 - u32::from(*bits));
            let bytes = value.to_be_bytes();
            let m: [u8; 6] = bytes[2..].try_into().unwrap();
            if m[0] & 0x03 != 0 {
                // A few old assignments (e.g. MA-L 1100AA "Private") have the
                // I/G or U/L bit set: such addresses are never unicast vendor MACs.
                assert_eq!(lookup(m), None, "{line}");
                continue;
            }
            let got = lookup(m).unwrap_or_else(|| panic!("{line}"));
            // A 24- or 28-bit row's first address can sit in a longer block.
            if got.prefix_bits == *bits {
                assert!(
                    names.iter().any(|n| n == got.vendor),
                    "{line}: got {}",
                    got.vendor
                );
                checked += 1;
            } else {
                assert!(got.prefix_bits > *bits, "{line}");
            }
        }
        assert!(checked > 45_000, "{checked}");
    }
}
