//! Link, network and transport decoding of one captured frame: Ethernet II (IEEE 802.3) with
//! 802.1Q and 802.1ad/QinQ tags, Linux cooked captures v1 and v2, BSD null/loopback, raw IP;
//! ARP (RFC 826); IPv4 (RFC 791) and IPv6 (RFC 8200, walking hop-by-hop, routing, fragment and
//! destination-options headers); TCP (RFC 9293) and UDP (RFC 768).
//!
//! Pure and zero-copy: every slice borrows the frame. Every length is checked before use. A
//! frame cut by the snap length still decodes as far as it goes and is marked `truncated`.
//!
//! Why not `etherparse`: its lax slicer does not expose the IPv6 fragment header nor the Linux
//! SLL2 and BSD null link types we must read, and a decoder this small is cheaper to keep
//! exact and fast (it runs once per packet) than the glue around the crate would be.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Link-layer types understood by [`decode`] (LINKTYPE_* values).
pub mod linktype {
    /// BSD loopback, host byte order family.
    pub const NULL: u32 = 0;
    /// Ethernet.
    pub const ETHERNET: u32 = 1;
    /// Raw IP (legacy value used by some systems).
    pub const RAW_OLD: u32 = 12;
    /// Raw IP (another legacy value).
    pub const RAW_OLD2: u32 = 14;
    /// Raw IP.
    pub const RAW: u32 = 101;
    /// OpenBSD loopback, network byte order family.
    pub const LOOP: u32 = 108;
    /// Linux cooked capture v1.
    pub const LINUX_SLL: u32 = 113;
    /// Raw IPv4.
    pub const IPV4: u32 = 228;
    /// Raw IPv6.
    pub const IPV6: u32 = 229;
    /// Linux cooked capture v2.
    pub const LINUX_SLL2: u32 = 276;
}

const ETH_IPV4: u16 = 0x0800;
const ETH_ARP: u16 = 0x0806;
const ETH_VLAN: u16 = 0x8100;
const ETH_QINQ: u16 = 0x88a8;
const ETH_QINQ_OLD: u16 = 0x9100;
const ETH_IPV6: u16 = 0x86dd;
/// VLAN tags followed at most (the rest is treated as a non-IP payload).
const MAX_VLAN_TAGS: usize = 4;
/// IPv6 extension headers followed at most.
const MAX_IPV6_EXT: usize = 8;

/// IP protocol numbers.
pub const IPPROTO_TCP: u8 = 6;
/// UDP.
pub const IPPROTO_UDP: u8 = 17;

/// TCP header flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags(pub u8);

impl TcpFlags {
    /// FIN.
    pub const FIN: u8 = 0x01;
    /// SYN.
    pub const SYN: u8 = 0x02;
    /// RST.
    pub const RST: u8 = 0x04;
    /// PSH.
    pub const PSH: u8 = 0x08;
    /// ACK.
    pub const ACK: u8 = 0x10;
    /// Whether `bit` is set.
    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }
}

/// The transport layer of a decoded packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport<'a> {
    /// TCP segment.
    Tcp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Sequence number.
        seq: u32,
        /// Acknowledgment number.
        ack: u32,
        /// Flags.
        flags: TcpFlags,
        /// Segment payload.
        payload: &'a [u8],
    },
    /// UDP datagram.
    Udp {
        /// Source port.
        sport: u16,
        /// Destination port.
        dport: u16,
        /// Datagram payload.
        payload: &'a [u8],
    },
    /// Another IP protocol, or a transport header that did not fit.
    Other {
        /// IP protocol number.
        proto: u8,
    },
}

/// Fragmentation fields of an IP packet that is a fragment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fragment {
    /// Identification (16 bits for IPv4, 32 for IPv6).
    pub id: u32,
    /// Offset of this fragment's data in bytes.
    pub offset: u32,
    /// More fragments follow.
    pub more: bool,
    /// Protocol of the reassembled payload.
    pub proto: u8,
}

/// The IP layer of a decoded packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpPacket<'a> {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// Protocol of the payload (after IPv6 extension headers).
    pub proto: u8,
    /// Set when the packet is a fragment; `payload` is then the fragment's data.
    pub frag: Option<Fragment>,
    /// IP payload (bounded by the IP length and by what was captured).
    pub payload: &'a [u8],
}

/// An ARP packet (Ethernet/IPv4 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arp {
    /// 1 request, 2 reply.
    pub op: u16,
    /// Sender MAC.
    pub sender_mac: [u8; 6],
    /// Sender IPv4 address.
    pub sender_ip: Ipv4Addr,
    /// Target MAC.
    pub target_mac: [u8; 6],
    /// Target IPv4 address.
    pub target_ip: Ipv4Addr,
}

/// The network layer of a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Net<'a> {
    /// IPv4 or IPv6.
    Ip(IpPacket<'a>),
    /// ARP.
    Arp(Arp),
    /// Another ether type (LLDP, PROFINET, STP...).
    Other(u16),
}

/// A decoded frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// Source MAC (Ethernet and SLL with a 6-byte address).
    pub src_mac: Option<[u8; 6]>,
    /// Destination MAC (Ethernet only).
    pub dst_mac: Option<[u8; 6]>,
    /// Outermost VLAN id, 0 when untagged.
    pub vlan: u16,
    /// Network layer.
    pub net: Net<'a>,
    /// The frame was cut short of what its headers announce (snap length).
    pub truncated: bool,
}

/// Why a frame could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The link type is not supported.
    #[error("unsupported link type {0}")]
    UnsupportedLinkType(u32),
    /// A header is shorter than its minimum size.
    #[error("{0} header truncated")]
    Short(&'static str),
    /// A header field has an impossible value.
    #[error("malformed {0} header")]
    Malformed(&'static str),
}

impl DecodeError {
    /// Stable `snake_case` name for counters.
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::UnsupportedLinkType(_) => "unsupported_linktype",
            DecodeError::Short(_) => "short_header",
            DecodeError::Malformed(_) => "malformed_header",
        }
    }
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn mac(b: &[u8], at: usize) -> Option<[u8; 6]> {
    b.get(at..at + 6)?.try_into().ok()
}

/// Decode one frame of link type `linktype`.
pub fn decode(linktype: u32, frame: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    match linktype {
        linktype::ETHERNET => decode_ethernet(frame),
        linktype::LINUX_SLL => {
            if frame.len() < 16 {
                return Err(DecodeError::Short("linux sll"));
            }
            let halen = be16(frame, 4).unwrap_or(0);
            let src_mac = if halen == 6 { mac(frame, 6) } else { None };
            let proto = be16(frame, 14).unwrap_or(0);
            let mut d = decode_ethertype(proto, &frame[16..], 0)?;
            d.src_mac = src_mac;
            Ok(d)
        }
        linktype::LINUX_SLL2 => {
            if frame.len() < 20 {
                return Err(DecodeError::Short("linux sll2"));
            }
            let proto = be16(frame, 0).unwrap_or(0);
            let halen = frame[11];
            let src_mac = if halen == 6 { mac(frame, 12) } else { None };
            let mut d = decode_ethertype(proto, &frame[20..], 0)?;
            d.src_mac = src_mac;
            Ok(d)
        }
        linktype::NULL | linktype::LOOP => {
            if frame.len() < 4 {
                return Err(DecodeError::Short("loopback"));
            }
            // The family is in host order for NULL and network order for LOOP; writers of
            // either byte order exist, so accept the value read either way.
            let le = u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]);
            let be = u32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]);
            let fam = if le < 256 { le } else { be };
            match fam {
                2 => decode_ip(&frame[4..], 0, None, None, Some(4)),
                // AF_INET6 differs by OS: 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
                10 | 24 | 28 | 30 => decode_ip(&frame[4..], 0, None, None, Some(6)),
                _ => Err(DecodeError::Malformed("loopback family")),
            }
        }
        linktype::RAW | linktype::RAW_OLD | linktype::RAW_OLD2 => {
            decode_ip(frame, 0, None, None, None)
        }
        linktype::IPV4 => decode_ip(frame, 0, None, None, Some(4)),
        linktype::IPV6 => decode_ip(frame, 0, None, None, Some(6)),
        other => Err(DecodeError::UnsupportedLinkType(other)),
    }
}

fn decode_ethernet(frame: &[u8]) -> Result<Decoded<'_>, DecodeError> {
    if frame.len() < 14 {
        return Err(DecodeError::Short("ethernet"));
    }
    let dst = mac(frame, 0);
    let src = mac(frame, 6);
    let mut et = be16(frame, 12).unwrap_or(0);
    let mut off = 14;
    let mut vlan = 0u16;
    let mut tags = 0;
    while matches!(et, ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD) && tags < MAX_VLAN_TAGS {
        let tci = be16(frame, off).ok_or(DecodeError::Short("vlan"))?;
        et = be16(frame, off + 2).ok_or(DecodeError::Short("vlan"))?;
        if tags == 0 {
            vlan = tci & 0x0fff;
        }
        off += 4;
        tags += 1;
    }
    let mut d = decode_ethertype(et, &frame[off..], vlan)?;
    d.src_mac = src;
    d.dst_mac = dst;
    Ok(d)
}

fn decode_ethertype(et: u16, body: &[u8], vlan: u16) -> Result<Decoded<'_>, DecodeError> {
    match et {
        ETH_IPV4 => decode_ip(body, vlan, None, None, Some(4)),
        ETH_IPV6 => decode_ip(body, vlan, None, None, Some(6)),
        ETH_ARP => {
            // Ethernet/IPv4 ARP only: htype 1, ptype 0x0800, hlen 6, plen 4.
            let ok = be16(body, 0) == Some(1)
                && be16(body, 2) == Some(ETH_IPV4)
                && body.get(4) == Some(&6)
                && body.get(5) == Some(&4);
            if !ok || body.len() < 28 {
                return Ok(Decoded {
                    src_mac: None,
                    dst_mac: None,
                    vlan,
                    net: Net::Other(et),
                    truncated: body.len() < 28,
                });
            }
            let ip4 = |at: usize| Ipv4Addr::new(body[at], body[at + 1], body[at + 2], body[at + 3]);
            Ok(Decoded {
                src_mac: None,
                dst_mac: None,
                vlan,
                net: Net::Arp(Arp {
                    op: be16(body, 6).unwrap_or(0),
                    sender_mac: mac(body, 8).unwrap_or_default(),
                    sender_ip: ip4(14),
                    target_mac: mac(body, 18).unwrap_or_default(),
                    target_ip: ip4(24),
                }),
                truncated: false,
            })
        }
        other => Ok(Decoded {
            src_mac: None,
            dst_mac: None,
            vlan,
            net: Net::Other(other),
            truncated: false,
        }),
    }
}

fn decode_ip(
    b: &[u8],
    vlan: u16,
    src_mac: Option<[u8; 6]>,
    dst_mac: Option<[u8; 6]>,
    expect: Option<u8>,
) -> Result<Decoded<'_>, DecodeError> {
    let version = b.first().ok_or(DecodeError::Short("ip"))? >> 4;
    if let Some(e) = expect {
        if e != version {
            return Err(DecodeError::Malformed("ip version"));
        }
    }
    let (ip, truncated) = match version {
        4 => decode_ipv4(b)?,
        6 => decode_ipv6(b)?,
        _ => return Err(DecodeError::Malformed("ip version")),
    };
    Ok(Decoded {
        src_mac,
        dst_mac,
        vlan,
        net: Net::Ip(ip),
        truncated,
    })
}

fn decode_ipv4(b: &[u8]) -> Result<(IpPacket<'_>, bool), DecodeError> {
    if b.len() < 20 {
        return Err(DecodeError::Short("ipv4"));
    }
    let ihl = usize::from(b[0] & 0x0f) * 4;
    if ihl < 20 {
        return Err(DecodeError::Malformed("ipv4 header length"));
    }
    if b.len() < ihl {
        return Err(DecodeError::Short("ipv4"));
    }
    let total = usize::from(be16(b, 2).unwrap_or(0));
    // A zero total length happens with TCP segmentation offload captures: use what is there.
    let total = if total == 0 { b.len() } else { total };
    if total < ihl {
        return Err(DecodeError::Malformed("ipv4 total length"));
    }
    let truncated = b.len() < total;
    let end = total.min(b.len());
    let id = u32::from(be16(b, 4).unwrap_or(0));
    let ff = be16(b, 6).unwrap_or(0);
    let more = ff & 0x2000 != 0;
    let offset = u32::from(ff & 0x1fff) * 8;
    let proto = b[9];
    let src = IpAddr::V4(Ipv4Addr::new(b[12], b[13], b[14], b[15]));
    let dst = IpAddr::V4(Ipv4Addr::new(b[16], b[17], b[18], b[19]));
    let frag = (more || offset != 0).then_some(Fragment {
        id,
        offset,
        more,
        proto,
    });
    Ok((
        IpPacket {
            src,
            dst,
            proto,
            frag,
            payload: &b[ihl..end],
        },
        truncated,
    ))
}

fn decode_ipv6(b: &[u8]) -> Result<(IpPacket<'_>, bool), DecodeError> {
    if b.len() < 40 {
        return Err(DecodeError::Short("ipv6"));
    }
    let plen = usize::from(be16(b, 4).unwrap_or(0));
    let mut next = b[6];
    let addr = |at: usize| -> IpAddr {
        let mut a = [0u8; 16];
        a.copy_from_slice(&b[at..at + 16]);
        IpAddr::V6(Ipv6Addr::from(a))
    };
    let src = addr(8);
    let dst = addr(24);
    // Jumbograms (payload length 0 with a hop-by-hop option) take what was captured.
    let total = if plen == 0 { b.len() } else { 40 + plen };
    let truncated = b.len() < total;
    let end = total.min(b.len());
    let mut off = 40;
    let mut frag = None;
    for _ in 0..MAX_IPV6_EXT {
        match next {
            // Hop-by-hop, routing, destination options: (next, len in 8-octet units minus 1).
            0 | 43 | 60 => {
                let nh = *b.get(off).ok_or(DecodeError::Short("ipv6 extension"))?;
                let len =
                    (usize::from(*b.get(off + 1).ok_or(DecodeError::Short("ipv6 extension"))?) + 1)
                        * 8;
                next = nh;
                off += len;
                if off > end {
                    return Err(DecodeError::Short("ipv6 extension"));
                }
            }
            44 => {
                if off + 8 > end {
                    return Err(DecodeError::Short("ipv6 fragment"));
                }
                let nh = b[off];
                let fo = be16(b, off + 2).unwrap_or(0);
                let id = be32(b, off + 4).unwrap_or(0);
                let offset = u32::from(fo >> 3) * 8;
                let more = fo & 1 != 0;
                if more || offset != 0 {
                    frag = Some(Fragment {
                        id,
                        offset,
                        more,
                        proto: nh,
                    });
                }
                next = nh;
                off += 8;
                if frag.is_some() {
                    break;
                }
            }
            _ => break,
        }
    }
    Ok((
        IpPacket {
            src,
            dst,
            proto: next,
            frag,
            payload: b.get(off..end).unwrap_or(&[]),
        },
        truncated,
    ))
}

/// Where a frame belongs when packets are sharded over worker threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shard {
    /// A TCP or UDP packet: the direction-independent hash of its five-tuple.
    Flow(u64),
    /// An IP fragment: it must be reassembled before its flow is known.
    Fragment,
    /// Not a TCP/UDP packet (ARP, other protocols, undecodable frames).
    NoFlow,
}

/// The direction-independent hash of a five-tuple (XOR is symmetric), spread by Fibonacci
/// hashing.
pub fn flow_hash(a: IpAddr, b: IpAddr, pa: u16, pb: u16, proto: u8) -> u64 {
    fn fold(ip: IpAddr) -> u64 {
        match ip {
            IpAddr::V4(v4) => u64::from(u32::from(v4)),
            IpAddr::V6(v6) => {
                let x = u128::from(v6);
                (x as u64) ^ ((x >> 64) as u64)
            }
        }
    }
    let x = fold(a) ^ fold(b) ^ (u64::from(pa ^ pb) << 40) ^ (u64::from(proto) << 56);
    x.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 16
}

/// Classify a frame for sharding (see [`Shard`]). The common case — IPv4 over Ethernet
/// (tagged or not), cooked, loopback or raw — reads the few header fields it needs in place;
/// anything else goes through [`decode`]. Both give the same answer for the same packet.
pub fn shard(linktype: u32, frame: &[u8]) -> Shard {
    let ip = match linktype {
        linktype::ETHERNET => {
            let mut et = be16(frame, 12).unwrap_or(0);
            let mut off = 14;
            let mut tags = 0;
            while matches!(et, ETH_VLAN | ETH_QINQ | ETH_QINQ_OLD) && tags < MAX_VLAN_TAGS {
                et = be16(frame, off + 2).unwrap_or(0);
                off += 4;
                tags += 1;
            }
            if et == ETH_IPV4 {
                frame.get(off..)
            } else {
                None
            }
        }
        linktype::RAW | linktype::RAW_OLD | linktype::RAW_OLD2 | linktype::IPV4 => Some(frame),
        _ => None,
    };
    if let Some(b) = ip {
        if let Some(s) = shard_ipv4(b) {
            return s;
        }
    }
    shard_slow(linktype, frame)
}

/// In-place IPv4 classification; `None` when the header is not a plain, complete IPv4 header
/// (the caller then decodes the frame fully).
fn shard_ipv4(b: &[u8]) -> Option<Shard> {
    let vihl = *b.first()?;
    if vihl >> 4 != 4 {
        return None;
    }
    let ihl = usize::from(vihl & 0x0f) * 4;
    if ihl < 20 || b.len() < ihl + 4 {
        return None;
    }
    let ff = be16(b, 6)?;
    if ff & 0x3fff != 0 {
        return Some(Shard::Fragment);
    }
    let proto = b[9];
    if proto != IPPROTO_TCP && proto != IPPROTO_UDP {
        return None;
    }
    let src = Ipv4Addr::new(b[12], b[13], b[14], b[15]);
    let dst = Ipv4Addr::new(b[16], b[17], b[18], b[19]);
    let sport = be16(b, ihl)?;
    let dport = be16(b, ihl + 2)?;
    Some(Shard::Flow(flow_hash(
        IpAddr::V4(src),
        IpAddr::V4(dst),
        sport,
        dport,
        proto,
    )))
}

fn shard_slow(linktype: u32, frame: &[u8]) -> Shard {
    let Ok(d) = decode(linktype, frame) else {
        return Shard::NoFlow;
    };
    let Net::Ip(ip) = d.net else {
        return Shard::NoFlow;
    };
    if ip.frag.is_some() {
        return Shard::Fragment;
    }
    match transport(ip.proto, ip.payload) {
        Transport::Tcp { sport, dport, .. } => {
            Shard::Flow(flow_hash(ip.src, ip.dst, sport, dport, IPPROTO_TCP))
        }
        Transport::Udp { sport, dport, .. } => {
            Shard::Flow(flow_hash(ip.src, ip.dst, sport, dport, IPPROTO_UDP))
        }
        Transport::Other { .. } => Shard::NoFlow,
    }
}

/// Decode the transport header of an (unfragmented or reassembled) IP payload.
pub fn transport(proto: u8, payload: &[u8]) -> Transport<'_> {
    match proto {
        IPPROTO_TCP => {
            let (Some(sport), Some(dport), Some(seq), Some(ack)) = (
                be16(payload, 0),
                be16(payload, 2),
                be32(payload, 4),
                be32(payload, 8),
            ) else {
                return Transport::Other { proto };
            };
            let Some(&off_byte) = payload.get(12) else {
                return Transport::Other { proto };
            };
            let hlen = usize::from(off_byte >> 4) * 4;
            if hlen < 20 || payload.len() < hlen {
                return Transport::Other { proto };
            }
            Transport::Tcp {
                sport,
                dport,
                seq,
                ack,
                flags: TcpFlags(payload[13]),
                payload: &payload[hlen..],
            }
        }
        IPPROTO_UDP => {
            let (Some(sport), Some(dport), Some(len)) =
                (be16(payload, 0), be16(payload, 2), be16(payload, 4))
            else {
                return Transport::Other { proto };
            };
            let len = usize::from(len);
            // UDP length 0 is used for jumbograms; otherwise it bounds the payload.
            let end = if len >= 8 {
                len.min(payload.len())
            } else {
                payload.len()
            };
            Transport::Udp {
                sport,
                dport,
                payload: payload.get(8..end).unwrap_or(&[]),
            }
        }
        _ => Transport::Other { proto },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ethernet + IPv4 + TCP 10.0.0.1:40000 → 10.0.0.2:502 carrying `payload`.
    fn eth_ipv4_tcp(payload: &[u8]) -> Vec<u8> {
        let mut f = vec![
            0, 0x0e, 0x8c, 1, 2, 3, // destination MAC
            0, 1, 2, 3, 4, 5, // source MAC
            0x08, 0x00, // ether type IPv4
        ];
        let total = 20 + 20 + payload.len();
        f.extend_from_slice(&[
            0x45,
            0, // version 4, IHL 5, DSCP
            (total >> 8) as u8,
            total as u8, // total length
            0x12,
            0x34,
            0x40,
            0x00, // id, DF
            64,
            6,
            0,
            0, // TTL, TCP, checksum (not checked)
            10,
            0,
            0,
            1, // source
            10,
            0,
            0,
            2, // destination
        ]);
        f.extend_from_slice(&[
            0x9c, 0x40, 0x01, 0xf6, // ports 40000 → 502
            0, 0, 0, 100, // seq
            0, 0, 0, 7, // ack
            0x50, 0x18, 0xff, 0xff, // data offset 5, PSH|ACK, window
            0, 0, 0, 0, // checksum, urgent
        ]);
        f.extend_from_slice(payload);
        f
    }

    #[test]
    fn ethernet_ipv4_tcp_fields() {
        let f = eth_ipv4_tcp(b"hello");
        let d = decode(linktype::ETHERNET, &f).unwrap();
        assert_eq!(d.src_mac, Some([0, 1, 2, 3, 4, 5]));
        let Net::Ip(ip) = d.net else { panic!("not ip") };
        assert_eq!(ip.src, IpAddr::from([10, 0, 0, 1]));
        assert_eq!(ip.frag, None);
        match transport(ip.proto, ip.payload) {
            Transport::Tcp {
                sport,
                dport,
                seq,
                ack,
                flags,
                payload,
            } => {
                assert_eq!((sport, dport, seq, ack), (40000, 502, 100, 7));
                assert!(flags.has(TcpFlags::PSH) && flags.has(TcpFlags::ACK));
                assert_eq!(payload, b"hello");
            }
            other => panic!("{other:?}"),
        }
        assert!(!d.truncated);
    }

    #[test]
    fn qinq_tags_are_skipped_and_outer_vlan_kept() {
        let inner = eth_ipv4_tcp(b"x");
        let mut f = inner[..12].to_vec();
        f.extend_from_slice(&[0x88, 0xa8, 0x00, 0x64]); // 802.1ad, VLAN 100
        f.extend_from_slice(&[0x81, 0x00, 0x00, 0x0a]); // 802.1Q, VLAN 10
        f.extend_from_slice(&inner[12..]);
        let d = decode(linktype::ETHERNET, &f).unwrap();
        assert_eq!(d.vlan, 100);
        assert!(matches!(d.net, Net::Ip(_)));
    }

    #[test]
    fn snaplen_cut_frame_is_marked_truncated() {
        let f = eth_ipv4_tcp(&[0u8; 100]);
        let d = decode(linktype::ETHERNET, &f[..70]).unwrap();
        assert!(d.truncated);
    }

    #[test]
    fn ipv4_fragment_fields() {
        let mut f = eth_ipv4_tcp(b"abcdefgh");
        f[14 + 6] = 0x20; // MF
        f[14 + 7] = 0x02; // offset 2 * 8 = 16
        let d = decode(linktype::ETHERNET, &f).unwrap();
        let Net::Ip(ip) = d.net else { panic!() };
        assert_eq!(
            ip.frag,
            Some(Fragment {
                id: 0x1234,
                offset: 16,
                more: true,
                proto: 6
            })
        );
    }

    #[test]
    fn null_loopback_both_byte_orders() {
        let ipv4 = &eth_ipv4_tcp(b"")[14..];
        for fam in [[2u8, 0, 0, 0], [0, 0, 0, 2]] {
            let mut f = fam.to_vec();
            f.extend_from_slice(ipv4);
            assert!(matches!(
                decode(linktype::NULL, &f).unwrap().net,
                Net::Ip(_)
            ));
        }
    }

    #[test]
    fn linux_sll_and_sll2() {
        let ipv4 = &eth_ipv4_tcp(b"")[14..];
        let mut sll = vec![0, 0, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0, 0x08, 0x00];
        sll.extend_from_slice(ipv4);
        let d = decode(linktype::LINUX_SLL, &sll).unwrap();
        assert_eq!(d.src_mac, Some([0, 1, 2, 3, 4, 5]));
        assert!(matches!(d.net, Net::Ip(_)));
        let mut sll2 = vec![
            0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 0, 1, 2, 3, 4, 5, 0, 0,
        ];
        sll2.extend_from_slice(ipv4);
        let d = decode(linktype::LINUX_SLL2, &sll2).unwrap();
        assert_eq!(d.src_mac, Some([0, 1, 2, 3, 4, 5]));
        assert!(matches!(d.net, Net::Ip(_)));
    }

    #[test]
    fn ipv6_with_fragment_header() {
        let mut b = vec![0x60, 0, 0, 0, 0, 16, 44, 64];
        b.extend_from_slice(&[0u8; 15]);
        b.push(1); // ::1
        b.extend_from_slice(&[0u8; 15]);
        b.push(2); // ::2
        b.extend_from_slice(&[6, 0, 0x00, 0x09, 0, 0, 0, 42]); // TCP, offset 1*8, M, id 42
        b.extend_from_slice(&[0u8; 8]);
        let d = decode(linktype::RAW, &b).unwrap();
        let Net::Ip(ip) = d.net else { panic!() };
        assert_eq!(ip.proto, 6);
        assert_eq!(
            ip.frag,
            Some(Fragment {
                id: 42,
                offset: 8,
                more: true,
                proto: 6
            })
        );
        assert_eq!(ip.payload.len(), 8);
    }

    #[test]
    fn shard_is_direction_independent_and_sees_through_vlans() {
        let f = eth_ipv4_tcp(b"x");
        let mut r = f.clone();
        r[26..30].copy_from_slice(&f[30..34]); // swap addresses
        r[30..34].copy_from_slice(&f[26..30]);
        r[34..36].copy_from_slice(&f[36..38]); // swap ports
        r[36..38].copy_from_slice(&f[34..36]);
        let Shard::Flow(h) = shard(linktype::ETHERNET, &f) else {
            panic!()
        };
        assert_eq!(shard(linktype::ETHERNET, &r), Shard::Flow(h));
        let mut tagged = f[..12].to_vec();
        tagged.extend_from_slice(&[0x81, 0x00, 0x00, 0x0a]);
        tagged.extend_from_slice(&f[12..]);
        assert_eq!(shard(linktype::ETHERNET, &tagged), Shard::Flow(h));
        let mut frag = f.clone();
        frag[14 + 6] = 0x20; // MF
        assert_eq!(shard(linktype::ETHERNET, &frag), Shard::Fragment);
        assert_eq!(shard(linktype::ETHERNET, &f[..20]), Shard::NoFlow);
    }

    #[test]
    fn short_and_unsupported_inputs_are_errors_not_panics() {
        assert_eq!(
            decode(linktype::ETHERNET, &[0; 5]),
            Err(DecodeError::Short("ethernet"))
        );
        assert_eq!(
            decode(999, &[0; 64]),
            Err(DecodeError::UnsupportedLinkType(999))
        );
        assert!(decode(linktype::RAW, &[0x45, 0, 0]).is_err());
        assert_eq!(transport(6, &[0; 10]), Transport::Other { proto: 6 });
    }

    proptest::proptest! {
        #[test]
        fn fast_and_full_sharding_agree(lt in proptest::sample::select(vec![0u32, 1, 101, 113]),
                                        data in proptest::collection::vec(proptest::num::u8::ANY, 0..120)) {
            // The in-place path must classify every packet as the full decoder does, or a flow
            // could be split over two workers.
            // (Frames the full decoder rejects may be routed anywhere: they are counted as
            // malformed wherever they land.)
            let fast = shard(lt, &data);
            let full = shard_slow(lt, &data);
            if full != Shard::NoFlow {
                proptest::prop_assert_eq!(fast, full);
            }
        }

        #[test]
        fn decode_never_panics(lt in proptest::sample::select(vec![0u32, 1, 101, 108, 113, 228, 229, 276]),
                               data in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            if let Ok(d) = decode(lt, &data) {
                if let Net::Ip(ip) = d.net {
                    let _ = transport(ip.proto, ip.payload);
                }
            }
        }
    }
}
