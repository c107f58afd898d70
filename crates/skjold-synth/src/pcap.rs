//! Classic libpcap file writer (microsecond timestamps), usable by any test.
//!
//! Format: the "pcap" file format as documented by the Tcpdump Group
//! (draft-ietf-opsawg-pcap): a 24-byte global header with magic
//! `0xA1B2C3D4` written in the host's byte order (here always little-endian,
//! as most capture tools on x86 and ARM produce), then one 16-byte record
//! header plus the captured bytes per packet.

use std::io::{self, Write};

/// `LINKTYPE_ETHERNET`: IEEE 802.3 Ethernet frames.
pub const LINKTYPE_ETHERNET: u32 = 1;
/// `LINKTYPE_NULL`: BSD loopback, 4-byte address family in the writer's byte order.
pub const LINKTYPE_NULL: u32 = 0;
/// `LINKTYPE_RAW`: raw IPv4 or IPv6 packets.
pub const LINKTYPE_RAW: u32 = 101;
/// `LINKTYPE_LINUX_SLL`: Linux "cooked" capture, version 1.
pub const LINKTYPE_LINUX_SLL: u32 = 113;
/// `LINKTYPE_LINUX_SLL2`: Linux "cooked" capture, version 2.
pub const LINKTYPE_LINUX_SLL2: u32 = 276;

/// Magic number for microsecond-resolution pcap files.
pub const PCAP_MAGIC_MICROS: u32 = 0xA1B2_C3D4;

/// Writes a pcap global header, then records.
///
/// ```
/// use skjold_synth::{PcapWriter, LINKTYPE_ETHERNET};
/// let mut w = PcapWriter::new(Vec::new(), LINKTYPE_ETHERNET, 65535).unwrap();
/// w.write_record(1_700_000_000_000_000, &[0u8; 60]).unwrap();
/// let bytes = w.into_inner();
/// assert_eq!(bytes.len(), 24 + 16 + 60);
/// ```
#[derive(Debug)]
pub struct PcapWriter<W: Write> {
    inner: W,
    snaplen: u32,
    records: u64,
    bytes: u64,
}

impl<W: Write> PcapWriter<W> {
    /// Writes the global header (version 2.4, little-endian) and returns the writer.
    pub fn new(mut inner: W, linktype: u32, snaplen: u32) -> io::Result<Self> {
        let mut h = [0u8; 24];
        h[0..4].copy_from_slice(&PCAP_MAGIC_MICROS.to_le_bytes());
        h[4..6].copy_from_slice(&2u16.to_le_bytes()); // version major
        h[6..8].copy_from_slice(&4u16.to_le_bytes()); // version minor
                                                      // 8..12 thiszone = 0, 12..16 sigfigs = 0
        h[16..20].copy_from_slice(&snaplen.to_le_bytes());
        h[20..24].copy_from_slice(&linktype.to_le_bytes());
        inner.write_all(&h)?;
        Ok(Self {
            inner,
            snaplen,
            records: 0,
            bytes: 0,
        })
    }

    /// Writes one packet captured whole at `ts_us` microseconds since the Unix epoch.
    ///
    /// A packet longer than the snap length is cut to it, with the original
    /// length kept in the record header, as a capture tool would.
    pub fn write_record(&mut self, ts_us: u64, data: &[u8]) -> io::Result<()> {
        let orig = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet longer than 4 GiB"))?;
        let cut = &data[..data.len().min(self.snaplen as usize)];
        self.write_record_parts(ts_us, orig, cut)
    }

    /// Writes one record whose captured bytes are `data` and whose original
    /// wire length is `orig_len` (which may be larger, for cut packets).
    pub fn write_record_parts(&mut self, ts_us: u64, orig_len: u32, data: &[u8]) -> io::Result<()> {
        let incl = u32::try_from(data.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "packet longer than 4 GiB"))?;
        let secs = u32::try_from(ts_us / 1_000_000)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "timestamp past 2106"))?;
        let mut h = [0u8; 16];
        h[0..4].copy_from_slice(&secs.to_le_bytes());
        h[4..8].copy_from_slice(&((ts_us % 1_000_000) as u32).to_le_bytes());
        h[8..12].copy_from_slice(&incl.to_le_bytes());
        h[12..16].copy_from_slice(&orig_len.max(incl).to_le_bytes());
        self.inner.write_all(&h)?;
        self.inner.write_all(data)?;
        self.records += 1;
        self.bytes += u64::from(incl);
        Ok(())
    }

    /// Records written so far.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Captured packet bytes written so far (record headers not included).
    pub fn packet_bytes(&self) -> u64 {
        self.bytes
    }

    /// Flushes the underlying writer.
    pub fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }

    /// Returns the underlying writer (without flushing it).
    pub fn into_inner(self) -> W {
        self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_record_layout() {
        let mut w = PcapWriter::new(Vec::new(), LINKTYPE_LINUX_SLL, 100).unwrap();
        w.write_record(3_000_000_123_456, &[0xAB; 150]).unwrap();
        assert_eq!(w.records(), 1);
        assert_eq!(w.packet_bytes(), 100);
        let b = w.into_inner();
        assert_eq!(&b[0..4], &[0xD4, 0xC3, 0xB2, 0xA1]);
        assert_eq!(&b[4..8], &[2, 0, 4, 0]);
        assert_eq!(u32::from_le_bytes(b[16..20].try_into().unwrap()), 100);
        assert_eq!(u32::from_le_bytes(b[20..24].try_into().unwrap()), 113);
        let rec = &b[24..40];
        assert_eq!(u32::from_le_bytes(rec[0..4].try_into().unwrap()), 3_000_000);
        assert_eq!(u32::from_le_bytes(rec[4..8].try_into().unwrap()), 123_456);
        assert_eq!(u32::from_le_bytes(rec[8..12].try_into().unwrap()), 100);
        assert_eq!(u32::from_le_bytes(rec[12..16].try_into().unwrap()), 150);
        assert_eq!(b.len(), 24 + 16 + 100);
    }
}
