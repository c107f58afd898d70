//! Capture input for Skjold: pcap and pcapng files streamed through a bounded buffer (constant
//! memory whatever the file size), and live capture from an interface through libpcap.
//!
//! Files follow the libpcap file format and the PCAP Next Generation format (IETF
//! draft-ietf-opsawg-pcapng); reading is done by the `pcap-parser` crate. A damaged file is
//! read up to the damage, which is returned as [`Damage`] with the byte offset, so that what was
//! read before it is kept.

mod file;
mod legacy;
#[cfg(feature = "live")]
mod live;

pub use file::{CaptureFile, Damage, DamageKind, Format, ReadSummary};
#[cfg(feature = "live")]
pub use live::LiveCapture;

use std::path::PathBuf;

/// Link-layer header type of a packet (LINKTYPE_* values from tcpdump.org).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkType(pub u32);

impl LinkType {
    /// BSD loopback: 4-byte address family in host byte order.
    pub const NULL: LinkType = LinkType(0);
    /// Ethernet II, with optional 802.1Q/802.1ad tags.
    pub const ETHERNET: LinkType = LinkType(1);
    /// Raw IP (v4 or v6 from the version nibble).
    pub const RAW: LinkType = LinkType(101);
    /// OpenBSD loopback: 4-byte address family in network byte order.
    pub const LOOP: LinkType = LinkType(108);
    /// Linux cooked capture v1.
    pub const LINUX_SLL: LinkType = LinkType(113);
    /// Raw IPv4.
    pub const IPV4: LinkType = LinkType(228);
    /// Raw IPv6.
    pub const IPV6: LinkType = LinkType(229);
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: LinkType = LinkType(276);
}

/// One captured frame, borrowed from the reader's buffer.
#[derive(Clone, Copy, Debug)]
pub struct Packet<'a> {
    /// Capture time, microseconds since the Unix epoch.
    pub ts_micros: u64,
    /// Link-layer type of `data`.
    pub linktype: LinkType,
    /// Captured bytes (may be shorter than `orig_len` when the snap length cut it).
    pub data: &'a [u8],
    /// Length of the frame on the wire.
    pub orig_len: u32,
}

/// Errors opening or reading a capture. Each names the file and, where it applies, the byte
/// offset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaptureError {
    /// The file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is empty.
    #[error("{path}: empty file, not a pcap or pcapng capture")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// The file does not start with a pcap or pcapng header.
    #[error("{path}: not a pcap or pcapng capture (unrecognised header at byte 0)")]
    NotCapture {
        /// The file.
        path: PathBuf,
    },
    /// Live capture failed (libpcap's message).
    #[error("live capture on {iface}: {msg}")]
    Live {
        /// The interface.
        iface: String,
        /// libpcap's message.
        msg: String,
    },
}

/// What a capture source hands to its consumer.
#[derive(Debug)]
pub enum Item<'a> {
    /// A frame.
    Packet(Packet<'a>),
    /// No frame arrived for a while (live capture only): time to flush outputs.
    Idle,
}
