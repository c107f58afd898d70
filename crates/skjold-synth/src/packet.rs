//! Ethernet II / IPv4 / TCP frame assembly with correct lengths and checksums.
//!
//! Follows RFC 791 (IPv4 header and its one's-complement header checksum),
//! RFC 9293 (TCP header, pseudo-header checksum, the MSS option on SYNs) and
//! IEEE 802.3 (frames shorter than 60 bytes before the FCS are zero-padded, as
//! a NIC receiving them from the wire would show).

/// TCP flag bits.
pub(crate) const FIN: u8 = 0x01;
pub(crate) const SYN: u8 = 0x02;
pub(crate) const PSH: u8 = 0x08;
pub(crate) const ACK: u8 = 0x10;

/// `EtherType` of IPv4.
const ETHERTYPE_IPV4: u16 = 0x0800;
/// Minimum Ethernet frame length without the FCS.
const MIN_FRAME: usize = 60;

/// One side of a TCP segment: link and network addresses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Addr {
    pub(crate) mac: [u8; 6],
    pub(crate) ip: [u8; 4],
    pub(crate) port: u16,
}

/// Everything that varies per TCP segment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment<'a> {
    pub(crate) src: Addr,
    pub(crate) dst: Addr,
    pub(crate) ip_id: u16,
    pub(crate) ttl: u8,
    pub(crate) seq: u32,
    pub(crate) ack: u32,
    pub(crate) flags: u8,
    pub(crate) window: u16,
    /// Add an MSS option (SYN and SYN-ACK).
    pub(crate) mss: Option<u16>,
    pub(crate) payload: &'a [u8],
}

/// Internet checksum (RFC 1071) over `data`, continuing from `sum`.
pub(crate) fn checksum_add(mut sum: u32, data: &[u8]) -> u32 {
    let mut chunks = data.chunks_exact(2);
    for c in &mut chunks {
        sum += u32::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = chunks.remainder() {
        sum += u32::from(*last) << 8;
    }
    sum
}

/// Folds a running sum to the final one's-complement checksum.
pub(crate) fn checksum_finish(mut sum: u32) -> u16 {
    while sum > 0xFFFF {
        sum = (sum & 0xFFFF) + (sum >> 16);
    }
    !(sum as u16)
}

/// Writes the Ethernet + IPv4 + TCP frame for `seg` into `out` (cleared first).
pub(crate) fn build_tcp_frame(out: &mut Vec<u8>, seg: &Segment<'_>) {
    out.clear();
    // Ethernet II
    out.extend_from_slice(&seg.dst.mac);
    out.extend_from_slice(&seg.src.mac);
    out.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
    let ip_start = out.len();
    let tcp_hlen = if seg.mss.is_some() { 24 } else { 20 };
    let total = 20 + tcp_hlen + seg.payload.len();
    let total16 = u16::try_from(total).expect("segment fits an IPv4 datagram");
    // IPv4 header, no options
    out.extend_from_slice(&[0x45, 0x00]);
    out.extend_from_slice(&total16.to_be_bytes());
    out.extend_from_slice(&seg.ip_id.to_be_bytes());
    out.extend_from_slice(&0x4000u16.to_be_bytes()); // DF, offset 0
    out.extend_from_slice(&[seg.ttl, 6, 0, 0]); // TTL, protocol TCP, checksum
    out.extend_from_slice(&seg.src.ip);
    out.extend_from_slice(&seg.dst.ip);
    let ip_sum = checksum_finish(checksum_add(0, &out[ip_start..ip_start + 20]));
    out[ip_start + 10..ip_start + 12].copy_from_slice(&ip_sum.to_be_bytes());
    // TCP header
    let tcp_start = out.len();
    out.extend_from_slice(&seg.src.port.to_be_bytes());
    out.extend_from_slice(&seg.dst.port.to_be_bytes());
    out.extend_from_slice(&seg.seq.to_be_bytes());
    out.extend_from_slice(&seg.ack.to_be_bytes());
    out.extend_from_slice(&[((tcp_hlen / 4) as u8) << 4, seg.flags]);
    out.extend_from_slice(&seg.window.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]); // checksum, urgent pointer
    if let Some(mss) = seg.mss {
        out.extend_from_slice(&[2, 4]);
        out.extend_from_slice(&mss.to_be_bytes());
    }
    out.extend_from_slice(seg.payload);
    let tcp_len = (out.len() - tcp_start) as u32;
    let mut sum = checksum_add(0, &seg.src.ip);
    sum = checksum_add(sum, &seg.dst.ip);
    sum += 6 + tcp_len;
    sum = checksum_add(sum, &out[tcp_start..]);
    let tcp_sum = checksum_finish(sum);
    out[tcp_start + 16..tcp_start + 18].copy_from_slice(&tcp_sum.to_be_bytes());
    if out.len() < MIN_FRAME {
        out.resize(MIN_FRAME, 0);
    }
}

/// Writes the Ethernet + IPv4 + UDP frame of one datagram into `out` (cleared first).
pub(crate) fn build_udp_frame(
    out: &mut Vec<u8>,
    src: Addr,
    dst: Addr,
    ip_id: u16,
    ttl: u8,
    payload: &[u8],
) {
    out.clear();
    out.extend_from_slice(&dst.mac);
    out.extend_from_slice(&src.mac);
    out.extend_from_slice(&ETHERTYPE_IPV4.to_be_bytes());
    let ip_start = out.len();
    let total16 = u16::try_from(28 + payload.len()).expect("datagram fits IPv4");
    out.extend_from_slice(&[0x45, 0x00]);
    out.extend_from_slice(&total16.to_be_bytes());
    out.extend_from_slice(&ip_id.to_be_bytes());
    out.extend_from_slice(&0x4000u16.to_be_bytes());
    out.extend_from_slice(&[ttl, 17, 0, 0]);
    out.extend_from_slice(&src.ip);
    out.extend_from_slice(&dst.ip);
    let ip_sum = checksum_finish(checksum_add(0, &out[ip_start..ip_start + 20]));
    out[ip_start + 10..ip_start + 12].copy_from_slice(&ip_sum.to_be_bytes());
    let udp_start = out.len();
    let udp_len = total16 - 20;
    out.extend_from_slice(&src.port.to_be_bytes());
    out.extend_from_slice(&dst.port.to_be_bytes());
    out.extend_from_slice(&udp_len.to_be_bytes());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(payload);
    let mut sum = checksum_add(0, &src.ip);
    sum = checksum_add(sum, &dst.ip);
    sum += 17 + u32::from(udp_len);
    sum = checksum_add(sum, &out[udp_start..]);
    let mut udp_sum = checksum_finish(sum);
    if udp_sum == 0 {
        udp_sum = 0xFFFF;
    }
    out[udp_start + 6..udp_start + 8].copy_from_slice(&udp_sum.to_be_bytes());
    if out.len() < MIN_FRAME {
        out.resize(MIN_FRAME, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example_checksum() {
        // RFC 1071 section 3 example bytes: sum 0xddf2, checksum 0x220d.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(checksum_finish(checksum_add(0, &data)), 0x220d);
    }

    #[test]
    fn frame_checksums_verify_and_short_frames_are_padded() {
        let a = Addr {
            mac: [0, 0, 0xbc, 1, 2, 3],
            ip: [10, 10, 1, 1],
            port: 502,
        };
        let b = Addr {
            mac: [0, 0x1e, 0x4f, 1, 2, 3],
            ip: [10, 10, 0, 10],
            port: 50000,
        };
        let mut out = Vec::new();
        let seg = Segment {
            src: b,
            dst: a,
            ip_id: 7,
            ttl: 64,
            seq: 1,
            ack: 2,
            flags: SYN,
            window: 64240,
            mss: Some(1460),
            payload: &[],
        };
        build_tcp_frame(&mut out, &seg);
        assert_eq!(out.len(), 60); // 14 + 20 + 24 = 58, padded
        assert_eq!(u16::from_be_bytes([out[16], out[17]]), 44);
        // A correct header sums to 0xFFFF including its checksum.
        assert_eq!(checksum_finish(checksum_add(0, &out[14..34])), 0);
        let mut sum = checksum_add(0, &out[26..34]);
        sum += 6 + 24;
        sum = checksum_add(sum, &out[34..58]);
        assert_eq!(checksum_finish(sum), 0);
        let payload = [0x55u8; 33]; // odd length exercises the trailing byte
        build_tcp_frame(
            &mut out,
            &Segment {
                payload: &payload,
                mss: None,
                flags: PSH | ACK,
                ..seg
            },
        );
        assert_eq!(out.len(), 14 + 20 + 20 + 33);
        let mut sum = checksum_add(0, &out[26..34]);
        sum += 6 + 53;
        sum = checksum_add(sum, &out[34..]);
        assert_eq!(checksum_finish(sum), 0);
    }
}
