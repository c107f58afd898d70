//! Streaming reader for pcap and pcapng files, on top of `pcap-parser`'s circular buffer.
//!
//! Memory is bounded by the buffer (1 MiB, grown up to [`MAX_BUFFER`] for a large block).
//! pcapng files may hold several sections and interfaces; each Enhanced Packet Block is
//! decoded with its interface's link type, timestamp resolution and offset. Blocks of unknown
//! type are skipped and counted.

use crate::legacy::{Records, Stop};
use crate::{CaptureError, Item, LinkType, Packet};
use pcap_parser::pcapng::Block;
use pcap_parser::traits::PcapReaderIterator;
use pcap_parser::{PcapBlockOwned, PcapError};
use std::fs::File;
use std::io::Read;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

const INITIAL_BUFFER: usize = 1 << 20;
/// Largest block accepted (a frame larger than this is treated as corruption).
pub(crate) const MAX_BUFFER: usize = 16 << 20;

/// Capture file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// libpcap format.
    Pcap,
    /// pcapng.
    PcapNg,
}

/// Why reading stopped before the end of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DamageKind {
    /// The file ends in the middle of a record or block.
    Truncated,
    /// A record or block could not be parsed (bad length, bad magic...).
    Corrupt(String),
}

/// Where and why a file was damaged. Everything before `offset` was delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Damage {
    /// The file.
    pub path: PathBuf,
    /// Byte offset of the damaged record.
    pub offset: u64,
    /// What is wrong.
    pub kind: DamageKind,
}

impl std::fmt::Display for Damage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.kind {
            DamageKind::Truncated => write!(
                f,
                "{}: truncated at byte {}: the last record is incomplete; everything before it was processed",
                self.path.display(),
                self.offset
            ),
            DamageKind::Corrupt(m) => write!(
                f,
                "{}: corrupt record at byte {} ({m}); everything before it was processed",
                self.path.display(),
                self.offset
            ),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Iface {
    linktype: LinkType,
    /// Units per second.
    resolution: u64,
    offset_secs: i64,
}

/// Outcome of reading a whole file.
#[derive(Clone, Debug, Default)]
pub struct ReadSummary {
    /// Damage that stopped reading, if any.
    pub damage: Option<Damage>,
    /// pcapng blocks of unknown or unhandled type that were skipped.
    pub skipped_blocks: u64,
    /// Packets referring to an interface that was never described (dropped).
    pub bad_interface: u64,
}

/// A capture file opened for streaming.
pub struct CaptureFile {
    path: PathBuf,
    inner: Inner,
    format: Format,
    size: u64,
    capacity: usize,
}

/// The reader behind a file: our record walker for classic pcap, `pcap-parser` for pcapng.
enum Inner {
    Legacy(Records),
    Ng(Box<dyn PcapReaderIterator + Send>),
}

impl std::fmt::Debug for CaptureFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptureFile")
            .field("path", &self.path)
            .field("format", &self.format)
            .finish_non_exhaustive()
    }
}

impl CaptureFile {
    /// Open `path` and check that it starts with a pcap or pcapng header.
    pub fn open(path: &Path) -> Result<CaptureFile, CaptureError> {
        let io = |source| CaptureError::Io {
            path: path.to_owned(),
            source,
        };
        let mut f = File::open(path).map_err(io)?;
        let size = f.metadata().map_err(io)?.len();
        if size == 0 {
            return Err(CaptureError::Empty {
                path: path.to_owned(),
            });
        }
        // Sniff the magic so a non-capture is named as such before the reader is built.
        let mut magic = [0u8; 4];
        let n = read_up_to(&mut f, &mut magic).map_err(io)?;
        let Some(format) = sniff(&magic[..n]) else {
            return Err(CaptureError::NotCapture {
                path: path.to_owned(),
            });
        };
        let f = File::open(path).map_err(io)?;
        Self::from_reader(path, size, format, INITIAL_BUFFER, f)
    }

    /// A capture held in memory (fuzzing, tests); `name` is used in messages.
    pub fn from_bytes(name: &Path, bytes: Vec<u8>) -> Result<CaptureFile, CaptureError> {
        if bytes.is_empty() {
            return Err(CaptureError::Empty {
                path: name.to_owned(),
            });
        }
        let Some(format) = sniff(&bytes) else {
            return Err(CaptureError::NotCapture {
                path: name.to_owned(),
            });
        };
        let size = bytes.len() as u64;
        // The whole input fits in the buffer: no need for the 1 MiB default.
        let cap = (bytes.len() + 64).clamp(4096, INITIAL_BUFFER);
        Self::from_reader(name, size, format, cap, std::io::Cursor::new(bytes))
    }

    fn from_reader<R: Read + Send + 'static>(
        path: &Path,
        size: u64,
        format: Format,
        capacity: usize,
        r: R,
    ) -> Result<CaptureFile, CaptureError> {
        let not_capture = || CaptureError::NotCapture {
            path: path.to_owned(),
        };
        let inner = match format {
            Format::Pcap => {
                Inner::Legacy(Records::new(Box::new(r), capacity, size).ok_or_else(not_capture)?)
            }
            Format::PcapNg => {
                Inner::Ng(pcap_parser::create_reader(capacity, r).map_err(|_| not_capture())?)
            }
        };
        Ok(CaptureFile {
            path: path.to_owned(),
            inner,
            format,
            size,
            capacity,
        })
    }

    /// The file's format.
    pub fn format(&self) -> Format {
        self.format
    }

    /// The file's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes consumed so far (for progress).
    pub fn position(&self) -> u64 {
        match &self.inner {
            Inner::Legacy(r) => r.position(),
            Inner::Ng(r) => r.consumed() as u64,
        }
    }

    /// Deliver every packet to `f`, in file order, until the end of the file, damage, or `f`
    /// returning `Break`. `f` also receives the byte position after each packet.
    pub fn for_each<F>(&mut self, f: F) -> Result<ReadSummary, CaptureError>
    where
        F: FnMut(Item<'_>, u64) -> ControlFlow<()>,
    {
        match &mut self.inner {
            Inner::Legacy(r) => Ok(legacy_for_each(&self.path, r, f)),
            Inner::Ng(r) => ng_for_each(&self.path, r.as_mut(), self.capacity, self.size, f),
        }
    }
}

/// Deliver every record of a classic pcap file.
fn legacy_for_each<F>(path: &Path, r: &mut Records, mut f: F) -> ReadSummary
where
    F: FnMut(Item<'_>, u64) -> ControlFlow<()>,
{
    let mut summary = ReadSummary::default();
    let linktype = LinkType(r.header.linktype);
    loop {
        let pos = r.position();
        match r.next() {
            Ok(rec) => {
                let p = Packet {
                    ts_micros: rec.ts_micros,
                    linktype,
                    data: rec.data,
                    orig_len: rec.orig_len,
                };
                let after = pos + 16 + rec.data.len() as u64;
                if f(Item::Packet(p), after).is_break() {
                    return summary;
                }
            }
            Err(Stop::End) => return summary,
            Err(stop) => {
                let kind = match stop {
                    Stop::Truncated | Stop::End => DamageKind::Truncated,
                    Stop::Corrupt(m) => DamageKind::Corrupt(m),
                    Stop::Io(m) => DamageKind::Corrupt(format!("read error: {m}")),
                };
                summary.damage = Some(Damage {
                    path: path.to_owned(),
                    offset: pos,
                    kind,
                });
                return summary;
            }
        }
    }
}

/// Deliver every packet of a pcapng file (and, should `pcap-parser` be handed one, of a classic
/// pcap file).
fn ng_for_each<F>(
    path: &Path,
    reader: &mut (dyn PcapReaderIterator + Send),
    capacity: usize,
    size: u64,
    mut f: F,
) -> Result<ReadSummary, CaptureError>
where
    F: FnMut(Item<'_>, u64) -> ControlFlow<()>,
{
    {
        let mut summary = ReadSummary::default();
        let mut legacy: Option<(LinkType, bool)> = None;
        let mut ifaces: Vec<Iface> = Vec::new();
        let mut cap = capacity;
        loop {
            let pos = reader.consumed() as u64;
            match reader.next() {
                Ok((offset, block)) => {
                    let mut flow = ControlFlow::Continue(());
                    match block {
                        PcapBlockOwned::LegacyHeader(h) => {
                            legacy =
                                Some((LinkType(h.network.0 as u32), h.is_nanosecond_precision()));
                        }
                        PcapBlockOwned::Legacy(b) => {
                            let (lt, nanos) = legacy.unwrap_or((LinkType::ETHERNET, false));
                            let frac = if nanos {
                                u64::from(b.ts_usec) / 1000
                            } else {
                                u64::from(b.ts_usec)
                            };
                            let ts = u64::from(b.ts_sec) * 1_000_000 + frac;
                            let data = clip(b.data, b.caplen);
                            flow = f(
                                Item::Packet(Packet {
                                    ts_micros: ts,
                                    linktype: lt,
                                    data,
                                    orig_len: b.origlen,
                                }),
                                pos + offset as u64,
                            );
                        }
                        PcapBlockOwned::NG(Block::SectionHeader(_)) => ifaces.clear(),
                        PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                            ifaces.push(Iface {
                                linktype: LinkType(idb.linktype.0 as u32),
                                resolution: idb.ts_resolution().unwrap_or(1_000_000),
                                offset_secs: idb.ts_offset(),
                            });
                        }
                        PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                            if let Some(i) = ifaces.get(epb.if_id as usize) {
                                let raw = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                                let ts = to_micros(raw, i.resolution, i.offset_secs);
                                flow = f(
                                    Item::Packet(Packet {
                                        ts_micros: ts,
                                        linktype: i.linktype,
                                        data: clip(epb.data, epb.caplen),
                                        orig_len: epb.origlen,
                                    }),
                                    pos + offset as u64,
                                );
                            } else {
                                summary.bad_interface += 1;
                            }
                        }
                        PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                            if let Some(i) = ifaces.first() {
                                flow = f(
                                    Item::Packet(Packet {
                                        ts_micros: 0,
                                        linktype: i.linktype,
                                        data: spb.data,
                                        orig_len: spb.origlen,
                                    }),
                                    pos + offset as u64,
                                );
                            } else {
                                summary.bad_interface += 1;
                            }
                        }
                        PcapBlockOwned::NG(
                            Block::NameResolution(_)
                            | Block::InterfaceStatistics(_)
                            | Block::DecryptionSecrets(_),
                        ) => {}
                        PcapBlockOwned::NG(_) => summary.skipped_blocks += 1,
                    }
                    reader.consume(offset);
                    if flow.is_break() {
                        return Ok(summary);
                    }
                }
                Err(PcapError::Eof) => return Ok(summary),
                Err(PcapError::Incomplete(_)) => {
                    if let Err(e) = reader.refill().map_err(|e| e.to_owned_vec()) {
                        summary.damage = Some(damage(path, pos, &e));
                        return Ok(summary);
                    }
                }
                Err(PcapError::BufferTooSmall) => {
                    // When the rest of the file already fits in the buffer, a bigger buffer
                    // cannot complete the block: the file is truncated (and no buffer is grown
                    // to a length read from the file).
                    if size.saturating_sub(pos) <= cap as u64 {
                        summary.damage = Some(Damage {
                            path: path.to_owned(),
                            offset: pos,
                            kind: DamageKind::Truncated,
                        });
                        return Ok(summary);
                    }
                    if cap >= MAX_BUFFER || !reader.grow(cap * 2) {
                        summary.damage = Some(Damage {
                            path: path.to_owned(),
                            offset: pos,
                            kind: DamageKind::Corrupt(format!(
                                "record larger than {} MiB",
                                MAX_BUFFER >> 20
                            )),
                        });
                        return Ok(summary);
                    }
                    cap *= 2;
                    if let Err(e) = reader.refill().map_err(|e| e.to_owned_vec()) {
                        summary.damage = Some(damage(path, pos, &e));
                        return Ok(summary);
                    }
                }
                Err(e) => {
                    let e = e.to_owned_vec();
                    summary.damage = Some(damage(path, pos, &e));
                    return Ok(summary);
                }
            }
        }
    }
}

fn damage(path: &Path, pos: u64, e: &PcapError<&'static [u8]>) -> Damage {
    {
        let kind = match e {
            PcapError::UnexpectedEof | PcapError::Incomplete(_) | PcapError::Eof => {
                DamageKind::Truncated
            }
            PcapError::ReadError => DamageKind::Corrupt("read error".into()),
            PcapError::OwnedNomError(_, k) | PcapError::NomError(_, k) => {
                DamageKind::Corrupt(format!("unparsable block ({k:?})"))
            }
            other => DamageKind::Corrupt(format!("{other:?}")),
        };
        Damage {
            path: path.to_owned(),
            offset: pos,
            kind,
        }
    }
}

/// The format announced by the first four bytes, if any.
fn sniff(b: &[u8]) -> Option<Format> {
    match b.get(..4)? {
        [0x0a, 0x0d, 0x0d, 0x0a] => Some(Format::PcapNg),
        [0xd4, 0xc3, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0xc3, 0xd4]
        | [0x4d, 0x3c, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0x3c, 0x4d]
        | [0x34, 0xcd, 0xb2, 0xa1]
        | [0xa1, 0xb2, 0xcd, 0x34] => Some(Format::Pcap),
        _ => None,
    }
}

/// The captured bytes, bounded by the record's own caplen.
fn clip(data: &[u8], caplen: u32) -> &[u8] {
    &data[..data.len().min(caplen as usize)]
}

/// Convert a pcapng timestamp in `resolution` units per second to microseconds.
fn to_micros(raw: u64, resolution: u64, offset_secs: i64) -> u64 {
    let resolution = resolution.max(1);
    let secs = raw / resolution;
    let frac = raw % resolution;
    let micros = (u128::from(frac) * 1_000_000 / u128::from(resolution)) as u64;
    let secs = secs.saturating_add_signed(offset_secs);
    secs.saturating_mul(1_000_000).saturating_add(micros)
}

fn read_up_to(f: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::to_micros;

    #[test]
    fn pcapng_timestamps_convert_from_any_resolution() {
        // Microsecond resolution (the default).
        assert_eq!(to_micros(1_500_000, 1_000_000, 0), 1_500_000);
        // Nanosecond resolution.
        assert_eq!(to_micros(1_500_000_123, 1_000_000_000, 0), 1_500_000);
        // Offset in seconds.
        assert_eq!(to_micros(0, 1_000_000, 10), 10_000_000);
        // A zero resolution is not a division by zero.
        assert_eq!(to_micros(7, 0, 0), 7_000_000);
    }
}
