//! What the engine knows about one flow: its id, its two ends oriented client → server, and
//! the transport. Shared read-only with the application-layer states and the event writer.

use skjold_net::Ts;
use std::net::IpAddr;

/// Transport protocol of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum L4 {
    /// TCP.
    Tcp,
    /// UDP.
    Udp,
}

impl L4 {
    /// EVE `proto` value.
    pub fn name(self) -> &'static str {
        match self {
            L4::Tcp => "TCP",
            L4::Udp => "UDP",
        }
    }

    /// Lower-case name (`tcp`, `udp`), the protocol of a flow whose application is unknown.
    pub fn transport_name(self) -> &'static str {
        match self {
            L4::Tcp => "tcp",
            L4::Udp => "udp",
        }
    }
}

/// One end of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Peer {
    /// IP address.
    pub ip: IpAddr,
    /// Transport port.
    pub port: u16,
    /// Source MAC address of the first frame this end sent, when the link layer has one.
    pub mac: Option<[u8; 6]>,
}

/// A flow as the application layer and the event writer see it.
#[derive(Clone, Debug)]
pub struct FlowMeta {
    /// Stable id: a hash of the five-tuple and the first packet's time (identical whatever the
    /// number of worker threads), kept below 2^53 so every JSON reader keeps it exact.
    pub flow_id: u64,
    /// The initiator (sender of the SYN, or the side guessed as client on mid-stream pick-up).
    pub client: Peer,
    /// The responder.
    pub server: Peer,
    /// Transport.
    pub l4: L4,
    /// Time of the first packet.
    pub first_seen: Ts,
}

impl FlowMeta {
    /// A TCP flow 10.0.0.1:40000 → 10.0.0.2:502 for unit tests of application states.
    #[cfg(test)]
    pub(crate) fn for_tests() -> FlowMeta {
        FlowMeta {
            flow_id: 1,
            client: Peer {
                ip: IpAddr::from([10, 0, 0, 1]),
                port: 40000,
                mac: Some([0, 1, 2, 3, 4, 5]),
            },
            server: Peer {
                ip: IpAddr::from([10, 0, 0, 2]),
                port: 502,
                mac: Some([0, 0x0e, 0x8c, 1, 2, 3]),
            },
            l4: L4::Tcp,
            first_seen: Ts(1_600_000_000_000_000),
        }
    }
}
