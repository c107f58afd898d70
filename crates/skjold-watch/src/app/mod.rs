//! Application-layer dispatch: which protocol a flow speaks, and the contract between the
//! transport layer (TCP reassembly, UDP datagrams) and each protocol's flow state.
//!
//! Each protocol keeps apart, as CONVENTIONS.md asks: its grammar (pure parsers in
//! `skjold-proto`), its flow state (a module here implementing [`AppState`], pairing requests
//! and responses into transactions), and its logging (a `log` function writing the EVE object).

pub(crate) mod anydesk;
pub(crate) mod bacnet;
pub(crate) mod coap;
pub(crate) mod dnp3;
pub(crate) mod enip;
pub(crate) mod ftp;
pub(crate) mod http;
pub(crate) mod iec104;
pub(crate) mod modbus;
pub(crate) mod mqtt;
pub(crate) mod opcua;
pub(crate) mod rdp;
pub(crate) mod s7comm;
pub(crate) mod s7comm_plus;
pub(crate) mod ssh;
pub(crate) mod teamviewer;
pub(crate) mod telnet;
pub(crate) mod tls;
pub(crate) mod vnc;

use crate::flow::FlowMeta;
use crate::json::JsonWriter;
use crate::output::Output;
use skjold_net::Ts;

/// Application protocols the engine recognises. Order is stable: it indexes counters, and it is
/// the order in which probes are tried after the server port's candidate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AppProto {
    /// Modbus/TCP (MBAP + PDU).
    Modbus,
    /// MQTT 3.1, 3.1.1 and 5.0.
    Mqtt,
    /// DNP3 (IEEE 1815) over TCP or UDP.
    Dnp3,
    /// IEC 60870-5-104 (APCI + ASDU).
    Iec104,
    /// Siemens S7comm over TPKT/COTP (ISO-on-TCP).
    S7comm,
    /// Siemens S7comm-plus over TPKT/COTP.
    S7commPlus,
    /// EtherNet/IP encapsulation and CIP, TCP and UDP.
    Enip,
    /// BACnet/IP (BVLC, NPDU, APDU).
    Bacnet,
    /// OPC UA binary (UA TCP).
    Opcua,
    /// CoAP over UDP.
    Coap,
    /// TLS handshakes (any port).
    Tls,
    /// SSH (banners).
    Ssh,
    /// Telnet.
    Telnet,
    /// FTP control connection.
    Ftp,
    /// HTTP/1.x.
    Http,
    /// Remote Desktop Protocol (X.224 connection request).
    Rdp,
    /// VNC / RFB.
    Vnc,
    /// `TeamViewer`.
    TeamViewer,
    /// `AnyDesk`.
    AnyDesk,
}

impl AppProto {
    /// Every protocol, in counter order.
    pub const ALL: [AppProto; 19] = [
        AppProto::Modbus,
        AppProto::Mqtt,
        AppProto::Dnp3,
        AppProto::Iec104,
        AppProto::S7comm,
        AppProto::S7commPlus,
        AppProto::Enip,
        AppProto::Bacnet,
        AppProto::Opcua,
        AppProto::Coap,
        AppProto::Tls,
        AppProto::Ssh,
        AppProto::Telnet,
        AppProto::Ftp,
        AppProto::Http,
        AppProto::Rdp,
        AppProto::Vnc,
        AppProto::TeamViewer,
        AppProto::AnyDesk,
    ];

    /// The EVE `app_proto` / `event_type` name.
    pub fn name(self) -> &'static str {
        match self {
            AppProto::Modbus => "modbus",
            AppProto::Mqtt => "mqtt",
            AppProto::Dnp3 => "dnp3",
            AppProto::Iec104 => "iec104",
            AppProto::S7comm => "s7comm",
            AppProto::S7commPlus => "s7comm_plus",
            AppProto::Enip => "enip",
            AppProto::Bacnet => "bacnet",
            AppProto::Opcua => "opcua",
            AppProto::Coap => "coap",
            AppProto::Tls => "tls",
            AppProto::Ssh => "ssh",
            AppProto::Telnet => "telnet",
            AppProto::Ftp => "ftp",
            AppProto::Http => "http",
            AppProto::Rdp => "rdp",
            AppProto::Vnc => "vnc",
            AppProto::TeamViewer => "teamviewer",
            AppProto::AnyDesk => "anydesk",
        }
    }

    /// Parse a protocol name as used by `--log`.
    pub fn from_name(s: &str) -> Option<AppProto> {
        AppProto::ALL.into_iter().find(|p| p.name() == s)
    }

    /// Index into per-protocol counter arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Direction of application data relative to the flow's client (initiator) and server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// From the client (initiator, master, requester) to the server.
    ToServer,
    /// From the server (responder, outstation, broker) to the client.
    ToClient,
}

/// One end of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// The initiator (Modbus client, MQTT client).
    Client,
    /// The responder (Modbus server, MQTT broker).
    Server,
}

/// A protocol's per-flow state, fed by the transport layer.
pub(crate) trait AppState {
    /// Parse in-order stream bytes of one direction (or one whole UDP datagram) and return how
    /// many bytes were consumed. Bytes not consumed are kept by the caller, up to the stream
    /// buffer cap, and offered again with more data appended: returning less than `input.len()`
    /// means "incomplete PDU, give me more". A parser that cannot make sense of the bytes must
    /// still make progress (consume them, flag an anomaly) rather than return 0 forever.
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize;

    /// `len` bytes are missing in `dir` (capture loss, a gap, or the buffer cap was hit): drop
    /// any partial PDU of that direction and resynchronise on the next bytes offered.
    fn gap(&mut self, dir: Dir, len: u64, ctx: &mut AppCtx<'_>);

    /// The flow ended (FIN/RST, idle timeout, eviction or end of input): log what is pending.
    fn close(&mut self, ctx: &mut AppCtx<'_>);
}

/// What an [`AppState`] may use while parsing: the current time, the flow, and the output.
pub(crate) struct AppCtx<'a> {
    /// Timestamp of the packet being processed.
    pub(crate) ts: Ts,
    /// The flow (addresses, ports, id, orientation).
    pub(crate) flow: &'a FlowMeta,
    /// Events, counters and asset updates.
    pub(crate) out: &'a mut Output,
    /// The protocol being parsed.
    pub(crate) proto: AppProto,
}

impl AppCtx<'_> {
    /// Whether per-PDU events of this protocol are written (`--log`). States should skip the
    /// work of building an event when this is false, but still count, pair and extract identity.
    pub(crate) fn log_enabled(&self) -> bool {
        self.out.log_enabled(self.proto)
    }

    /// Write one protocol event (`event_type` = protocol name). `from` is the direction of the
    /// PDU (or of the request, for a transaction), which decides EVE's `src_*`/`dest_*`.
    /// `body` writes the members of the protocol object (the object itself is opened and closed
    /// by the caller, named after the protocol).
    pub(crate) fn event(&mut self, from: Dir, body: impl FnOnce(&mut JsonWriter)) {
        self.out
            .app_event(self.ts, self.flow, from, self.proto, body);
    }

    /// Report an anomaly (malformed PDU, limit hit...): an EVE `anomaly` event and a count in
    /// `summary.json` under `errors`. `kind` is a stable `snake_case` name such as
    /// `"length_mismatch"` or `"too_many_transactions"`.
    pub(crate) fn anomaly(&mut self, from: Dir, kind: &'static str) {
        self.out
            .anomaly(self.ts, self.flow, from, Some(self.proto), kind);
    }

    /// Record an identity field of one end of the flow, as revealed by this protocol. Field names
    /// are shared across protocols so that one device record merges them: `vendor`,
    /// `vendor_id`, `product`, `product_code`, `model`, `order_number`, `device_type`,
    /// `firmware`, `hardware`, `serial`, `name` (station, device or module name), `plant_id`,
    /// `location`, `application_uri`, `software` (a server or client program and version, e.g.
    /// an SSH or HTTP banner), `device_instance` (BACnet), `address` (a protocol's own station
    /// address: DNP3 link address, IEC-104 common address). The first value seen of a field is
    /// kept, with the protocol that revealed it (`identity_sources` in `assets.json`).
    pub(crate) fn identity(&mut self, who: Endpoint, field: &'static str, value: &str) {
        self.out.identity(self.flow, who, field, value, self.proto);
    }

    /// Whether detection is on: states build observations only then.
    pub(crate) fn detecting(&self) -> bool {
        self.out.detect
    }

    /// Report an observation to detection (SPEC §3 alerts; `skjold-detect::obs`). `from` is
    /// the direction of the PDU, or of the request for a transaction. Call only when
    /// [`AppCtx::detecting`] is true (building an observation costs an allocation or two).
    pub(crate) fn observe(&mut self, from: Dir, what: skjold_detect::What) {
        if self.out.detect {
            self.out
                .observe(self.ts, self.flow, from, Some(self.proto), what);
        }
    }

    /// Count one parsed PDU of this protocol (for statistics).
    pub(crate) fn count_pdu(&mut self) {
        self.out.count_pdu(self.proto);
    }
}

/// The registry: what the engine needs from each protocol module. Every module in this
/// directory provides the same items: `TCP_PORTS`, `UDP_PORTS`, `ROLES`, `probe` and
/// `new_state`.
pub(crate) mod registry {
    use super::{AppProto, AppState, Dir};
    use crate::flow::L4;
    use skjold_proto::Probe;

    /// Server ports of `p` on `l4`.
    pub(crate) fn ports(p: AppProto, l4: L4) -> &'static [u16] {
        let (tcp, udp): (&[u16], &[u16]) = match p {
            AppProto::Modbus => (super::modbus::TCP_PORTS, super::modbus::UDP_PORTS),
            AppProto::Mqtt => (super::mqtt::TCP_PORTS, super::mqtt::UDP_PORTS),
            AppProto::Dnp3 => (super::dnp3::TCP_PORTS, super::dnp3::UDP_PORTS),
            AppProto::Iec104 => (super::iec104::TCP_PORTS, super::iec104::UDP_PORTS),
            AppProto::S7comm => (super::s7comm::TCP_PORTS, super::s7comm::UDP_PORTS),
            AppProto::S7commPlus => (super::s7comm_plus::TCP_PORTS, super::s7comm_plus::UDP_PORTS),
            AppProto::Enip => (super::enip::TCP_PORTS, super::enip::UDP_PORTS),
            AppProto::Bacnet => (super::bacnet::TCP_PORTS, super::bacnet::UDP_PORTS),
            AppProto::Opcua => (super::opcua::TCP_PORTS, super::opcua::UDP_PORTS),
            AppProto::Coap => (super::coap::TCP_PORTS, super::coap::UDP_PORTS),
            AppProto::Tls => (super::tls::TCP_PORTS, super::tls::UDP_PORTS),
            AppProto::Ssh => (super::ssh::TCP_PORTS, super::ssh::UDP_PORTS),
            AppProto::Telnet => (super::telnet::TCP_PORTS, super::telnet::UDP_PORTS),
            AppProto::Ftp => (super::ftp::TCP_PORTS, super::ftp::UDP_PORTS),
            AppProto::Http => (super::http::TCP_PORTS, super::http::UDP_PORTS),
            AppProto::Rdp => (super::rdp::TCP_PORTS, super::rdp::UDP_PORTS),
            AppProto::Vnc => (super::vnc::TCP_PORTS, super::vnc::UDP_PORTS),
            AppProto::TeamViewer => (super::teamviewer::TCP_PORTS, super::teamviewer::UDP_PORTS),
            AppProto::AnyDesk => (super::anydesk::TCP_PORTS, super::anydesk::UDP_PORTS),
        };
        match l4 {
            L4::Tcp => tcp,
            L4::Udp => udp,
        }
    }

    /// The protocol a server port suggests: the first in [`AppProto::ALL`] order that lists it.
    pub(crate) fn by_port(l4: L4, port: u16) -> Option<AppProto> {
        AppProto::ALL
            .into_iter()
            .find(|p| ports(*p, l4).contains(&port))
    }

    /// Port-independent detection of `p` on the first bytes of one direction.
    pub(crate) fn probe(p: AppProto, dir: Dir, l4: L4, data: &[u8]) -> Probe {
        match p {
            AppProto::Modbus => super::modbus::probe(dir, l4, data),
            AppProto::Mqtt => super::mqtt::probe(dir, l4, data),
            AppProto::Dnp3 => super::dnp3::probe(dir, l4, data),
            AppProto::Iec104 => super::iec104::probe(dir, l4, data),
            AppProto::S7comm => super::s7comm::probe(dir, l4, data),
            AppProto::S7commPlus => super::s7comm_plus::probe(dir, l4, data),
            AppProto::Enip => super::enip::probe(dir, l4, data),
            AppProto::Bacnet => super::bacnet::probe(dir, l4, data),
            AppProto::Opcua => super::opcua::probe(dir, l4, data),
            AppProto::Coap => super::coap::probe(dir, l4, data),
            AppProto::Tls => super::tls::probe(dir, l4, data),
            AppProto::Ssh => super::ssh::probe(dir, l4, data),
            AppProto::Telnet => super::telnet::probe(dir, l4, data),
            AppProto::Ftp => super::ftp::probe(dir, l4, data),
            AppProto::Http => super::http::probe(dir, l4, data),
            AppProto::Rdp => super::rdp::probe(dir, l4, data),
            AppProto::Vnc => super::vnc::probe(dir, l4, data),
            AppProto::TeamViewer => super::teamviewer::probe(dir, l4, data),
            AppProto::AnyDesk => super::anydesk::probe(dir, l4, data),
        }
    }

    /// A fresh flow state for `p`.
    pub(crate) fn new_state(p: AppProto, l4: L4) -> Box<dyn AppState + Send> {
        match p {
            AppProto::Modbus => super::modbus::new_state(l4),
            AppProto::Mqtt => super::mqtt::new_state(l4),
            AppProto::Dnp3 => super::dnp3::new_state(l4),
            AppProto::Iec104 => super::iec104::new_state(l4),
            AppProto::S7comm => super::s7comm::new_state(l4),
            AppProto::S7commPlus => super::s7comm_plus::new_state(l4),
            AppProto::Enip => super::enip::new_state(l4),
            AppProto::Bacnet => super::bacnet::new_state(l4),
            AppProto::Opcua => super::opcua::new_state(l4),
            AppProto::Coap => super::coap::new_state(l4),
            AppProto::Tls => super::tls::new_state(l4),
            AppProto::Ssh => super::ssh::new_state(l4),
            AppProto::Telnet => super::telnet::new_state(l4),
            AppProto::Ftp => super::ftp::new_state(l4),
            AppProto::Http => super::http::new_state(l4),
            AppProto::Rdp => super::rdp::new_state(l4),
            AppProto::Vnc => super::vnc::new_state(l4),
            AppProto::TeamViewer => super::teamviewer::new_state(l4),
            AppProto::AnyDesk => super::anydesk::new_state(l4),
        }
    }

    /// Asset roles of the client and the server end of a `p` flow.
    pub(crate) fn roles(p: AppProto) -> (&'static str, &'static str) {
        match p {
            AppProto::Modbus => super::modbus::ROLES,
            AppProto::Mqtt => super::mqtt::ROLES,
            AppProto::Dnp3 => super::dnp3::ROLES,
            AppProto::Iec104 => super::iec104::ROLES,
            AppProto::S7comm => super::s7comm::ROLES,
            AppProto::S7commPlus => super::s7comm_plus::ROLES,
            AppProto::Enip => super::enip::ROLES,
            AppProto::Bacnet => super::bacnet::ROLES,
            AppProto::Opcua => super::opcua::ROLES,
            AppProto::Coap => super::coap::ROLES,
            AppProto::Tls => super::tls::ROLES,
            AppProto::Ssh => super::ssh::ROLES,
            AppProto::Telnet => super::telnet::ROLES,
            AppProto::Ftp => super::ftp::ROLES,
            AppProto::Http => super::http::ROLES,
            AppProto::Rdp => super::rdp::ROLES,
            AppProto::Vnc => super::vnc::ROLES,
            AppProto::TeamViewer => super::teamviewer::ROLES,
            AppProto::AnyDesk => super::anydesk::ROLES,
        }
    }
}

/// Test support shared by the protocol states' unit tests: one state fed through `AppState`
/// on a test flow, with an in-memory output.
#[cfg(test)]
pub(crate) mod testing {
    use super::{AppCtx, AppProto, AppState, Dir};
    use crate::flow::FlowMeta;
    use crate::output::Output;
    use skjold_detect::obs::Op;
    use skjold_detect::{Obs, What};
    use skjold_net::Ts;

    fn op_list(obs: impl IntoIterator<Item = Obs>) -> Vec<(bool, Op)> {
        obs.into_iter()
            .filter_map(|o| match o.what {
                What::Op(op) => Some((o.flow.is_some_and(|f| f.from_client), op)),
                _ => None,
            })
            .collect()
    }

    /// The `anomaly.event` names among EVE events.
    pub(crate) fn anomalies(ev: &[serde_json::Value]) -> Vec<String> {
        ev.iter()
            .filter(|e| e["event_type"] == "anomaly")
            .map(|e| {
                e["anomaly"]["event"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }

    /// A state under test.
    pub(crate) struct Harness<S> {
        pub(crate) flow: FlowMeta,
        pub(crate) out: Output,
        pub(crate) st: S,
        proto: AppProto,
    }

    impl<S: AppState> Harness<S> {
        pub(crate) fn with(st: S, proto: AppProto) -> Self {
            Harness {
                flow: FlowMeta::for_tests(),
                out: Output::for_tests(),
                st,
                proto,
            }
        }

        fn ctx<R>(&mut self, f: impl FnOnce(&mut S, &mut AppCtx<'_>) -> R) -> R {
            let mut ctx = AppCtx {
                ts: Ts(1_600_000_000_000_000),
                flow: &self.flow,
                out: &mut self.out,
                proto: self.proto,
            };
            f(&mut self.st, &mut ctx)
        }

        pub(crate) fn feed(&mut self, dir: Dir, bytes: &[u8]) -> usize {
            self.ctx(|st, c| st.parse(dir, bytes, c))
        }

        pub(crate) fn gap_of(&mut self, dir: Dir, len: u64) {
            self.ctx(|st, c| st.gap(dir, len, c));
        }

        pub(crate) fn close(&mut self) {
            self.ctx(S::close);
        }

        pub(crate) fn events(&mut self) -> Vec<serde_json::Value> {
            self.out.take_events()
        }

        /// The operations reported to detection so far, each with whether it came from the
        /// client (kept for later calls).
        pub(crate) fn ops(&self) -> Vec<(bool, Op)> {
            op_list(self.out.obs.iter().cloned())
        }

        /// Like [`Harness::ops`], taking them (a later call sees only newer ones).
        pub(crate) fn take_ops(&mut self) -> Vec<(bool, Op)> {
            op_list(std::mem::take(&mut self.out.obs))
        }

        /// Feed arbitrary chunks (bytes, to the client?, gap before?) as the TCP layer would:
        /// unconsumed bytes are offered again with the next chunk. Returns an error naming the
        /// first stream-contract violation: consuming more than offered, or keeping more than
        /// `max_left` bytes unconsumed (a stalled stream).
        pub(crate) fn drive(
            &mut self,
            chunks: Vec<(Vec<u8>, bool, bool)>,
            max_left: usize,
        ) -> Result<(), String> {
            let mut bufs: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
            for (bytes, to_client, gap) in chunks {
                let (dir, i) = if to_client {
                    (Dir::ToClient, 1)
                } else {
                    (Dir::ToServer, 0)
                };
                if gap {
                    bufs[i].clear();
                    self.gap_of(dir, 100);
                }
                bufs[i].extend_from_slice(&bytes);
                let n = self.feed(dir, &bufs[i]);
                if n > bufs[i].len() {
                    return Err(format!("consumed {n} of {} bytes", bufs[i].len()));
                }
                bufs[i].drain(..n);
                if bufs[i].len() > max_left {
                    return Err(format!("stalled on {} bytes", bufs[i].len()));
                }
            }
            self.close();
            let _ = self.events();
            Ok(())
        }
    }
}
