//! One worker of the engine: owns a shard of the flows (both directions of a flow always land
//! on the same worker), runs TCP reassembly and the application-layer states, and writes its
//! events and counters into its own [`Output`].

use crate::app::{registry, AppCtx, AppProto, AppState, Dir};
use crate::flow::{FlowMeta, Peer, L4};
use crate::output::Output;
use skjold_detect::What;
use skjold_net::decode::{TcpFlags, IPPROTO_TCP, IPPROTO_UDP};
use skjold_net::flow::{FlowKey, FlowTable};
use skjold_net::tcp::{self, Chunk, Stream};
use skjold_net::Ts;
use skjold_proto::Probe;
use std::net::IpAddr;

/// Idle timeouts (µs).
const TIMEOUT_TCP_NEW: u64 = 60_000_000;
const TIMEOUT_TCP_ESTABLISHED: u64 = 3_600_000_000;
const TIMEOUT_TCP_CLOSED: u64 = 10_000_000;
const TIMEOUT_UDP: u64 = 120_000_000;
/// How often (capture time, µs) idle flows are expired.
const EXPIRE_EVERY: u64 = 5_000_000;
/// Bytes a flow may offer for protocol detection before it is declared unknown.
const MAX_PROBE_BYTES: usize = 4096;
/// Distinct (src, dst) pairs kept for the top-talkers table.
const MAX_TALKERS: usize = 10_000;

/// Per-packet counter slots beyond the application protocols.
const SLOT_TCP: usize = AppProto::ALL.len();
const SLOT_UDP: usize = SLOT_TCP + 1;
const SLOTS: usize = SLOT_UDP + 1;

/// The transport header of a packet handed to a worker.
#[derive(Clone, Copy, Debug)]
pub(crate) enum L4Header {
    Tcp {
        sport: u16,
        dport: u16,
        seq: u32,
        ack: u32,
        flags: TcpFlags,
    },
    Udp {
        sport: u16,
        dport: u16,
    },
}

/// A packet as a worker sees it (payload passed beside it).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PktHeader {
    /// Packet number in the input (1-based, across files), Suricata's `pcap_cnt`.
    pub(crate) pcap_cnt: u64,
    pub(crate) ts: u64,
    pub(crate) src: IpAddr,
    pub(crate) dst: IpAddr,
    pub(crate) vlan: u16,
    pub(crate) src_mac: Option<[u8; 6]>,
    pub(crate) dst_mac: Option<[u8; 6]>,
    pub(crate) wire_len: u32,
    pub(crate) l4: L4Header,
}

enum App {
    /// Not decided yet: the candidate the server port suggests. Undecided bytes stay in the
    /// TCP stream's buffer (up to `MAX_PROBE_BYTES`) and are offered again with more.
    Probing { by_port: Option<AppProto> },
    /// Decided: the protocol's flow state.
    Active {
        proto: AppProto,
        state: Box<dyn AppState + Send>,
    },
    /// No known protocol: payload is ignored.
    Unknown,
}

impl App {
    fn proto(&self) -> Option<AppProto> {
        match self {
            App::Active { proto, .. } => Some(*proto),
            _ => None,
        }
    }

    fn state(&mut self) -> Option<(&mut dyn AppState, AppProto)> {
        match self {
            App::Active { proto, state } => Some((state.as_mut(), *proto)),
            _ => None,
        }
    }
}

/// The protocol a server port suggests.
pub(crate) fn proto_by_port(l4: L4, port: u16) -> Option<AppProto> {
    registry::by_port(l4, port)
}

struct FlowState {
    meta: FlowMeta,
    /// Whether the key's `lo` end is the client.
    client_is_lo: bool,
    streams: [Stream; 2],
    app: App,
    closed: bool,
    rst: bool,
    bytes: [u64; 2],
    last_ts: u64,
    assets_done: bool,
    /// Packets not yet added to the per-protocol counters.
    pkts: u64,
}

impl FlowState {
    /// Counter slot of this flow: its application protocol, else its transport.
    fn slot(&self) -> usize {
        match (self.app.proto(), self.meta.l4) {
            (Some(p), _) => p.index(),
            (None, L4::Tcp) => SLOT_TCP,
            (None, L4::Udp) => SLOT_UDP,
        }
    }
}

/// A worker.
pub(crate) struct Worker {
    flows: FlowTable<FlowState>,
    pub(crate) out: Output,
    lim: tcp::Limits,
    next_expire: u64,
    counts: [u64; SLOTS],
}

impl Worker {
    pub(crate) fn new(out: Output, max_flows: usize, lim: tcp::Limits) -> Worker {
        Worker {
            flows: FlowTable::new(max_flows),
            out,
            lim,
            next_expire: 0,
            counts: [0; SLOTS],
        }
    }

    /// Process one packet.
    pub(crate) fn packet(&mut self, h: &PktHeader, payload: &[u8]) {
        let (sport, dport, proto) = match h.l4 {
            L4Header::Tcp { sport, dport, .. } => (sport, dport, IPPROTO_TCP),
            L4Header::Udp { sport, dport } => (sport, dport, IPPROTO_UDP),
        };
        self.out.pcap_cnt = h.pcap_cnt;
        let (key, src_lo) = FlowKey::new(h.src, sport, h.dst, dport, proto, h.vlan);
        // A new SYN on a closed flow starts a new connection.
        let syn_only = matches!(h.l4, L4Header::Tcp { flags, .. } if flags.has(TcpFlags::SYN) && !flags.has(TcpFlags::ACK));
        if syn_only {
            if let Some(e) = self.flows.get_mut(&key) {
                if e.val.closed || e.val.rst {
                    if let Some(st) = self.flows.remove(&key) {
                        self.close_flow(st);
                    }
                }
            }
        }
        let timeout = if proto == IPPROTO_TCP {
            TIMEOUT_TCP_NEW
        } else {
            TIMEOUT_UDP
        };
        let (out, counts, lim) = (&mut self.out, &mut self.counts, self.lim);
        let (entry, inserted) = self.flows.get_or_insert_with(
            key,
            h.ts,
            timeout,
            || new_flow(h, key, src_lo),
            |_, old| {
                out.stats.error("flows_evicted");
                close_into(out, counts, lim, old);
            },
        );
        if inserted {
            self.out.stats.flows += 1;
            if self.out.detect {
                let dir = if src_lo == entry.val.client_is_lo {
                    Dir::ToServer
                } else {
                    Dir::ToClient
                };
                self.out
                    .observe(Ts(h.ts), &entry.val.meta, dir, None, What::FlowStart);
            }
        }
        entry.last_seen = h.ts;
        let st = &mut entry.val;
        let dir = if src_lo == st.client_is_lo {
            Dir::ToServer
        } else {
            Dir::ToClient
        };
        st.bytes[dir as usize] += u64::from(h.wire_len);
        st.last_ts = h.ts;
        let ts = Ts(h.ts);
        match h.l4 {
            L4Header::Tcp {
                seq, ack, flags, ..
            } => {
                let (me, peer) = match dir {
                    Dir::ToServer => (0, 1),
                    Dir::ToClient => (1, 0),
                };
                if flags.has(TcpFlags::SYN) {
                    st.streams[me].syn(seq);
                }
                let FlowState {
                    meta, streams, app, ..
                } = st;
                let out = &mut self.out;
                let lim = self.lim;
                if !matches!(app, App::Unknown) {
                    let mut sink = |c: Chunk<'_>| feed(app, meta, out, ts, dir, c);
                    let rep = streams[me].segment(seq, payload, &lim, &mut sink);
                    report(out, meta, ts, dir, rep);
                    if flags.has(TcpFlags::ACK) {
                        let peer_dir = if dir == Dir::ToServer {
                            Dir::ToClient
                        } else {
                            Dir::ToServer
                        };
                        let mut sink = |c: Chunk<'_>| feed(app, meta, out, ts, peer_dir, c);
                        let rep = streams[peer].acked(ack, &lim, &mut sink);
                        report(out, meta, ts, peer_dir, rep);
                    }
                }
                if flags.has(TcpFlags::FIN) {
                    st.streams[me].fin_at(seq.wrapping_add(payload.len() as u32));
                }
                if flags.has(TcpFlags::RST) {
                    st.rst = true;
                }
                if !st.closed && (st.rst || (st.streams[0].fin && st.streams[1].fin)) {
                    st.closed = true;
                    entry.timeout = TIMEOUT_TCP_CLOSED;
                } else if !st.closed && !payload.is_empty() {
                    entry.timeout = TIMEOUT_TCP_ESTABLISHED;
                }
            }
            L4Header::Udp { .. } => {
                if !payload.is_empty() && !matches!(st.app, App::Unknown) {
                    let FlowState { meta, app, .. } = st;
                    datagram(app, meta, &mut self.out, ts, dir, payload);
                }
            }
        }
        st.pkts += 1;
        if !st.assets_done {
            if let Some(p) = st.app.proto() {
                st.assets_done = true;
                let (cr, sr) = registry::roles(p);
                let first = st.meta.first_seen;
                self.out.assets.role(&st.meta.client, first, p.name(), cr);
                self.out.assets.role(&st.meta.server, first, p.name(), sr);
            }
        }
    }

    /// The capture clock, called for every frame in capture order before the frame is
    /// processed: every `EXPIRE_EVERY` of capture time, idle flows are expired. The engine calls
    /// it on one worker for every frame and forwards the ticks that fire to the other workers at
    /// the same place in their input, so flows expire at the same points (and get the same
    /// `flow_id`s) whatever the number of threads. Returns whether the tick fired.
    pub(crate) fn clock(&mut self, ts: u64, pcap_cnt: u64) -> bool {
        if ts < self.next_expire {
            return false;
        }
        self.out.pcap_cnt = pcap_cnt;
        self.expire(ts);
        true
    }

    fn expire(&mut self, now: u64) {
        self.next_expire = now + EXPIRE_EVERY;
        let mut done = Vec::new();
        self.flows.expire(now, |_, st| done.push(st));
        for st in done {
            self.close_flow(st);
        }
    }

    fn close_flow(&mut self, st: FlowState) {
        close_into(&mut self.out, &mut self.counts, self.lim, st);
    }

    /// End of input: close every flow and fold the per-packet counters into the stats.
    pub(crate) fn finish(&mut self) {
        let mut all = Vec::new();
        self.flows.drain(|_, st| all.push(st));
        for st in all {
            self.close_flow(st);
        }
        self.fold_counts();
    }

    /// Live snapshots: make assets reflect flows still open (last seen, peers, roles).
    #[cfg(feature = "live")]
    pub(crate) fn snapshot_assets(&mut self) {
        let out = &mut self.out;
        let counts = &mut self.counts;
        self.flows.for_each_mut(|_, e| {
            let st = &mut e.val;
            counts[st.slot()] += st.pkts;
            st.pkts = 0;
            out.assets.seen_pair(
                &st.meta.client,
                &st.meta.server,
                st.meta.first_seen,
                Ts(st.last_ts),
            );
        });
        self.fold_counts();
    }

    fn fold_counts(&mut self) {
        self.out.fold_pdus();
        for (i, n) in self.counts.iter_mut().enumerate() {
            if *n == 0 {
                continue;
            }
            let name = match i {
                SLOT_TCP => "tcp",
                SLOT_UDP => "udp",
                _ => AppProto::ALL[i].name(),
            };
            *self.out.stats.by_app_proto.entry(name).or_default() += *n;
            *n = 0;
        }
    }
}

fn new_flow(h: &PktHeader, key: FlowKey, src_lo: bool) -> FlowState {
    let (sport, dport, l4) = match h.l4 {
        L4Header::Tcp { sport, dport, .. } => (sport, dport, L4::Tcp),
        L4Header::Udp { sport, dport } => (sport, dport, L4::Udp),
    };
    // Who is the client: the end not on a known server port when exactly one end is (as
    // Wireshark decides requests and responses); else the SYN sender, or the receiver of a
    // SYN-ACK; else the end with the higher (ephemeral) port.
    let known = (
        proto_by_port(l4, sport).is_some(),
        proto_by_port(l4, dport).is_some(),
    );
    let sender_is_client = match (known, h.l4) {
        ((false, true), _) => true,
        ((true, false), _) => false,
        (_, L4Header::Tcp { flags, .. }) if flags.has(TcpFlags::SYN) => !flags.has(TcpFlags::ACK),
        _ => sport >= dport,
    };
    // An all-zero MAC (loopback captures) or a group address names no device.
    let usable = |m: Option<[u8; 6]>| m.filter(|m| m[0] & 1 == 0 && *m != [0; 6]);
    let sender = Peer {
        ip: h.src,
        port: sport,
        mac: usable(h.src_mac),
    };
    let receiver = Peer {
        ip: h.dst,
        port: dport,
        mac: usable(h.dst_mac),
    };
    let (client, server) = if sender_is_client {
        (sender, receiver)
    } else {
        (receiver, sender)
    };
    let flow_id = (key.hash64() ^ h.ts.wrapping_mul(0x9e37_79b9_7f4a_7c15)) & ((1 << 53) - 1);
    let by_port = proto_by_port(l4, server.port);
    FlowState {
        meta: FlowMeta {
            flow_id,
            client,
            server,
            l4,
            first_seen: Ts(h.ts),
        },
        client_is_lo: src_lo == sender_is_client,
        streams: [Stream::default(), Stream::default()],
        app: App::Probing { by_port },
        closed: false,
        rst: false,
        bytes: [0; 2],
        last_ts: h.ts,
        assets_done: false,
        pkts: 0,
    }
}

fn close_into(out: &mut Output, counts: &mut [u64; SLOTS], lim: tcp::Limits, mut st: FlowState) {
    let ts = Ts(st.last_ts);
    counts[st.slot()] += st.pkts;
    let FlowState {
        meta, streams, app, ..
    } = &mut st;
    if !matches!(app, App::Unknown) {
        for (i, dir) in [(0, Dir::ToServer), (1, Dir::ToClient)] {
            let mut sink = |c: Chunk<'_>| feed(app, meta, out, ts, dir, c);
            let rep = streams[i].finish(&lim, &mut sink);
            report(out, meta, ts, dir, rep);
        }
    }
    if let Some((state, proto)) = app.state() {
        let mut ctx = AppCtx {
            ts,
            flow: meta,
            out,
            proto,
        };
        state.close(&mut ctx);
    }
    out.assets
        .seen_pair(&st.meta.client, &st.meta.server, st.meta.first_seen, ts);
    let talkers = &mut out.stats.talkers;
    for (i, (a, b)) in [
        (&st.meta.client, &st.meta.server),
        (&st.meta.server, &st.meta.client),
    ]
    .into_iter()
    .enumerate()
    {
        if st.bytes[i] == 0 {
            continue;
        }
        let k = (a.ip, b.ip);
        if let Some(v) = talkers.get_mut(&k) {
            *v += st.bytes[i];
        } else if talkers.len() < MAX_TALKERS {
            talkers.insert(k, st.bytes[i]);
        }
    }
}

/// Turn a reassembly report into counters and anomaly events.
fn report(out: &mut Output, meta: &FlowMeta, ts: Ts, dir: Dir, rep: tcp::Report) {
    if rep.gap_bytes > 0 {
        out.anomaly(ts, meta, dir, None, "reassembly_gap");
    }
    if rep.overlap {
        out.anomaly(ts, meta, dir, None, "reassembly_overlap");
    }
    if rep.buffer_overflow {
        out.anomaly(ts, meta, dir, None, "reassembly_buffer_limit");
    }
    if rep.queue_overflow {
        out.anomaly(ts, meta, dir, None, "reassembly_queue_limit");
    }
}

/// Offer one chunk of reassembled stream to the flow's application layer, detecting the
/// protocol first when needed. Returns the bytes consumed.
#[allow(clippy::needless_pass_by_value)] // a chunk is two words: passed like the tcp sink gives it
fn feed(app: &mut App, meta: &FlowMeta, out: &mut Output, ts: Ts, dir: Dir, c: Chunk<'_>) -> usize {
    if let App::Probing { by_port } = app {
        let Chunk::Data(data) = c else {
            // A gap before the protocol is known: the TCP layer dropped the partial bytes;
            // probing starts afresh on what follows.
            return 0;
        };
        let (l4, by_port) = (meta.l4, *by_port);
        match decide(by_port, dir, l4, data) {
            Decision::NeedMore if data.len() < MAX_PROBE_BYTES => return 0,
            Decision::NeedMore => start(app, by_port, l4),
            Decision::Proto(p) => start(app, p, l4),
        }
        detected(app, meta, out, ts, dir);
        if matches!(app, App::Unknown) {
            return data.len();
        }
    }
    let Some((state, proto)) = app.state() else {
        return match c {
            Chunk::Data(d) => d.len(),
            Chunk::Gap(_) => 0,
        };
    };
    let mut ctx = AppCtx {
        ts,
        flow: meta,
        out,
        proto,
    };
    match c {
        Chunk::Data(d) => state.parse(dir, d, &mut ctx),
        Chunk::Gap(n) => {
            state.gap(dir, n, &mut ctx);
            0
        }
    }
}

/// What probing says about the first bytes of one direction.
enum Decision {
    /// Too few bytes for a probe that may still say yes.
    NeedMore,
    /// A protocol (a probe said yes), or the server port's candidate, or none.
    Proto(Option<AppProto>),
}

/// Probe the server port's candidate first, then every other protocol in [`AppProto::ALL`]
/// order. Probing decides when it can; otherwise the server port does (a flow on port 502 is
/// Modbus even when its first message is odd, or is picked up mid-stream from the server's
/// side).
fn decide(by_port: Option<AppProto>, dir: Dir, l4: L4, data: &[u8]) -> Decision {
    let mut need_more = false;
    let candidates = by_port
        .into_iter()
        .chain(AppProto::ALL.into_iter().filter(|p| Some(*p) != by_port));
    for p in candidates {
        match registry::probe(p, dir, l4, data) {
            Probe::Yes => return Decision::Proto(Some(p)),
            Probe::NeedMore => need_more = true,
            Probe::No => {}
        }
    }
    if need_more {
        Decision::NeedMore
    } else {
        Decision::Proto(by_port)
    }
}

/// Tell detection which protocol a flow speaks, once it is known.
fn detected(app: &App, meta: &FlowMeta, out: &mut Output, ts: Ts, dir: Dir) {
    if let (true, Some(p)) = (out.detect, app.proto()) {
        out.observe(ts, meta, dir, Some(p), What::AppDetected);
    }
}

fn start(app: &mut App, p: Option<AppProto>, l4: L4) {
    *app = match p {
        Some(proto) => App::Active {
            proto,
            state: registry::new_state(proto, l4),
        },
        None => App::Unknown,
    };
}

/// Offer one UDP datagram to the flow's application layer, detecting the protocol on the
/// first datagram (a datagram is complete: "need more" counts as no).
fn datagram(app: &mut App, meta: &FlowMeta, out: &mut Output, ts: Ts, dir: Dir, payload: &[u8]) {
    if let App::Probing { by_port } = app {
        let by_port = *by_port;
        let p = match decide(by_port, dir, L4::Udp, payload) {
            Decision::Proto(p) => p,
            Decision::NeedMore => by_port,
        };
        start(app, p, L4::Udp);
        detected(app, meta, out, ts, dir);
    }
    if let Some((state, proto)) = app.state() {
        let mut ctx = AppCtx {
            ts,
            flow: meta,
            out,
            proto,
        };
        // A datagram is one unit: what the state leaves unconsumed is not offered again.
        let _ = state.parse(dir, payload, &mut ctx);
    }
}
