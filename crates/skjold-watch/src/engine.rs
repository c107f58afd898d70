//! The `watch` engine: reads captures (or a live interface), decodes frames, reassembles IP
//! fragments, and hands each packet to the worker owning its flow — on the calling thread, or
//! sharded over `threads` workers by a direction-independent flow hash. At the end (and every
//! second in live mode) it writes `eve.json`, `assets.json` and `summary.json` (SPEC §3).

use crate::assets::{self, AssetBook};
use crate::detect::{self, AlertLog, Detect, ObsMsg};
use crate::output::{EveSink, LogMask, Output, Stats};
use crate::worker::{L4Header, PktHeader, Worker};
use crossbeam_channel::{bounded, Receiver, Sender};
use skjold_capture::{CaptureError, CaptureFile, Damage, DamageKind, Item, LinkType, Packet};
use skjold_detect::obs::Arp as ArpObs;
use skjold_detect::{DetectConfig, Obs, What};
use skjold_net::decode::{self, Net, Transport};
use skjold_net::defrag::{DefragOutcome, Defragmenter};
use skjold_net::tcp;
use std::fs::File;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
#[cfg(feature = "live")]
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Packets per batch sent to a worker thread.
const BATCH: usize = 4096;

/// Engine settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Output directory.
    pub out_dir: PathBuf,
    /// Which protocol events are written.
    pub log: LogMask,
    /// Worker threads (1 = everything on the calling thread).
    pub threads: usize,
    /// Flows kept (across all workers) before the oldest is evicted.
    pub max_flows: usize,
    /// TCP reassembly limits per direction.
    pub tcp: tcp::Limits,
    /// Detection (`None`: off).
    pub detect: Option<DetectConfig>,
    /// Where a learned baseline is written (`--learn`, `--learn-for`).
    pub learn_out: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            out_dir: PathBuf::from("skjold-out"),
            log: LogMask::all(),
            threads: 1,
            max_flows: 65_536,
            tcp: tcp::Limits::default(),
            detect: None,
            learn_out: None,
        }
    }
}

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WatchError {
    /// An input could not be opened or is not a capture.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// An output file could not be written.
    #[error("{path}: {source}")]
    Output {
        /// The file.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// Progress reported while reading files.
pub trait Progress: Send {
    /// `done` of `total` bytes read.
    fn bytes(&mut self, done: u64, total: u64);
    /// A file was damaged; reading went on with the next one.
    fn damaged(&mut self, d: &Damage);
}

/// A progress sink that ignores everything.
#[derive(Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn bytes(&mut self, _: u64, _: u64) {}
    fn damaged(&mut self, _: &Damage) {}
}

/// What a run produced.
#[derive(Debug)]
pub struct RunResult {
    /// Merged counters.
    pub stats: Stats,
    /// The inventory.
    pub assets: AssetBook,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
    /// Damage found in inputs.
    pub damage: Vec<Damage>,
    /// Capture time of the first and last packet (µs).
    pub span: Option<(u64, u64)>,
    /// Alerts (detection on).
    pub alerts: AlertLog,
}

/// One thread: hand the observations of the packet just processed (the worker's, and the
/// reader's ARP ones) to the detector without copying them (`spare` is an empty vector whose
/// capacity is reused).
fn pump_inline(d: &mut Detect, spare: &mut Vec<Obs>, out: &mut Output, arp: &mut Vec<Obs>) {
    if !arp.is_empty() {
        out.obs.append(arp);
    }
    if !out.obs.is_empty() {
        std::mem::swap(spare, &mut out.obs);
        d.pump(spare, out);
    }
}

/// Deliver the TCP or UDP packet in an IP payload; returns the IP protocol when it is neither
/// (or its header does not fit).
fn deliver_transport(
    proto: u8,
    payload: &[u8],
    mk: &impl Fn(L4Header) -> PktHeader,
    deliver: &mut impl FnMut(&PktHeader, &[u8]),
) -> Option<u8> {
    match decode::transport(proto, payload) {
        Transport::Tcp {
            sport,
            dport,
            seq,
            ack,
            flags,
            payload,
        } => {
            let l4 = L4Header::Tcp {
                sport,
                dport,
                seq,
                ack,
                flags,
            };
            deliver(&mk(l4), payload);
            None
        }
        Transport::Udp {
            sport,
            dport,
            payload,
        } => {
            deliver(&mk(L4Header::Udp { sport, dport }), payload);
            None
        }
        Transport::Other { proto } => Some(proto),
    }
}

/// The reader side: decoding, defragmentation, dispatch.
struct Reader {
    defrag: Defragmenter,
    stats: Stats,
    span: Option<(u64, u64)>,
    /// Whether ARP observations are collected for detection.
    detect: bool,
    /// ARP observations not yet handed to the detector.
    obs: Vec<Obs>,
}

impl Reader {
    fn new() -> Reader {
        Reader {
            defrag: Defragmenter::default(),
            stats: Stats::default(),
            span: None,
            detect: false,
            obs: Vec::new(),
        }
    }

    fn detecting(detect: bool) -> Reader {
        let mut r = Reader::new();
        r.detect = detect;
        r
    }

    /// Decode a frame and pass its transport packet to `deliver`.
    fn frame(
        &mut self,
        p: &Packet<'_>,
        pcap_cnt: u64,
        deliver: &mut impl FnMut(&PktHeader, &[u8]),
    ) {
        self.stats.packets += 1;
        self.stats.bytes += p.data.len() as u64;
        self.span = Some(match self.span {
            None => (p.ts_micros, p.ts_micros),
            Some((a, b)) => (a.min(p.ts_micros), b.max(p.ts_micros)),
        });
        let d = match decode::decode(p.linktype.0, p.data) {
            Ok(d) => d,
            Err(e) => {
                self.stats.error("malformed_frame");
                self.stats.error(&format!("malformed_frame.{}", e.kind()));
                self.other("malformed");
                return;
            }
        };
        let ip = match d.net {
            Net::Ip(ip) => ip,
            Net::Arp(a) => {
                if self.detect {
                    self.obs.push(Obs {
                        ts: p.ts_micros,
                        pcap_cnt,
                        flow: None,
                        what: What::Arp(ArpObs {
                            op: a.op,
                            sender_mac: a.sender_mac,
                            sender_ip: a.sender_ip.into(),
                            target_ip: a.target_ip.into(),
                            gratuitous: a.sender_ip == a.target_ip,
                        }),
                    });
                }
                return self.other("arp");
            }
            Net::Other(_) => return self.other("other"),
        };
        let mk = |l4| PktHeader {
            pcap_cnt,
            ts: p.ts_micros,
            src: ip.src,
            dst: ip.dst,
            vlan: d.vlan,
            src_mac: d.src_mac,
            dst_mac: d.dst_mac,
            wire_len: p.orig_len,
            l4,
        };
        if let Some(frag) = ip.frag {
            match self
                .defrag
                .push(p.ts_micros, ip.src, ip.dst, frag, ip.payload)
            {
                DefragOutcome::Pending => self.other("ip_fragment"),
                DefragOutcome::Dropped(why) => {
                    self.stats.error(&format!("ip.{why}"));
                    self.other("ip_fragment");
                }
                DefragOutcome::Complete(buf) => {
                    if deliver_transport(frag.proto, &buf, &mk, deliver).is_some() {
                        self.other("other");
                    }
                }
            }
            return;
        }
        if let Some(proto) = deliver_transport(ip.proto, ip.payload, &mk, deliver) {
            if proto == 1 || proto == 58 {
                self.other("icmp");
            } else if proto == decode::IPPROTO_TCP || proto == decode::IPPROTO_UDP {
                self.stats.error("malformed_frame");
                self.stats.error("malformed_frame.transport_header");
                self.other("malformed");
            } else {
                self.other("other");
            }
        }
    }

    /// Fold another reader's counters and time span into this one.
    fn absorb(&mut self, o: Reader) {
        self.stats.merge(o.stats);
        self.span = match (self.span, o.span) {
            (Some((first, last)), Some((o_first, o_last))) => {
                Some((first.min(o_first), last.max(o_last)))
            }
            (x, None) | (None, x) => x,
        };
    }

    fn other(&mut self, what: &'static str) {
        *self.stats.by_app_proto.entry(what).or_default() += 1;
    }
}

/// What the reader thread hands to a worker thread: a raw frame (decoded by the worker), or a
/// packet the reader already decoded (datagrams it reassembled from fragments).
#[derive(Clone, Copy)]
enum Entry {
    Raw {
        pcap_cnt: u64,
        ts: u64,
        linktype: LinkType,
        orig_len: u32,
    },
    Decoded(PktHeader),
    /// The capture clock fired at this frame (see `Worker::clock`).
    Tick {
        pcap_cnt: u64,
        ts: u64,
    },
    /// End of input at this packet number: events logged when the flows are closed carry it.
    End {
        pcap_cnt: u64,
    },
    /// No packet: moves the worker's detection watermark to this packet number.
    Mark {
        pcap_cnt: u64,
    },
}

impl Entry {
    /// The packet number the entry belongs to.
    fn pcap_cnt(&self) -> u64 {
        match self {
            Entry::Raw { pcap_cnt, .. }
            | Entry::Tick { pcap_cnt, .. }
            | Entry::End { pcap_cnt }
            | Entry::Mark { pcap_cnt } => *pcap_cnt,
            Entry::Decoded(h) => h.pcap_cnt,
        }
    }
}

/// A batch for one worker thread: entries and their bytes.
#[derive(Default)]
struct Batch {
    entries: Vec<(Entry, u32, u32)>,
    data: Vec<u8>,
}

impl Batch {
    fn push(&mut self, e: Entry, bytes: &[u8]) {
        let start = self.data.len() as u32;
        self.data.extend_from_slice(bytes);
        self.entries.push((e, start, self.data.len() as u32));
    }
    fn clear(&mut self) {
        self.entries.clear();
        self.data.clear();
    }
}

/// Worker threads. The reader thread reads records and picks the worker by the
/// direction-independent hash of the packet's five-tuple (`decode::shard`), so both directions
/// of a flow meet on one worker, which decodes and processes the frame. IP fragments carry no
/// ports: the reader thread reassembles them itself and sends the whole datagram, decoded, to
/// the worker of its flow. Frames without a flow (ARP, undecodable) go to worker 0.
struct Pool {
    tx: Vec<Sender<Batch>>,
    back: Vec<Receiver<Batch>>,
    cur: Vec<Batch>,
    handles: Vec<std::thread::JoinHandle<(Reader, Worker)>>,
    /// The reader thread's own worker: it takes a smaller share of the flows, since reading
    /// the capture is its first job; with `--threads N` there are N threads in all.
    local: Worker,
    /// Flows (per mille of the hash space) processed by `local`.
    local_share: u64,
    /// Observations to the detector thread (detection on).
    det: Option<Sender<ObsMsg>>,
    /// Frames dispatched since the local observations were last sent.
    since_sent: u32,
}

/// How much of a worker's load the reader thread's own worker takes (reading the capture is
/// the rest of its load).
const LOCAL_WEIGHT: f64 = 0.5;

impl Pool {
    fn new(cfg: &Config, sink: &EveSink, det: Option<Sender<ObsMsg>>) -> Pool {
        let detect = det.is_some();
        let remote = cfg.threads.saturating_sub(1).max(1);
        let share = LOCAL_WEIGHT / (remote as f64 + LOCAL_WEIGHT);
        let mut pool = Pool {
            tx: vec![],
            back: vec![],
            cur: vec![],
            handles: vec![],
            local: Worker::new(
                Output::with_detect(cfg.log, Some(sink.clone()), detect),
                (cfg.max_flows / cfg.threads).max(1),
                cfg.tcp,
            ),
            local_share: (share * 1000.0).round() as u64,
            det: None,
            since_sent: 0,
        };
        for idx in 0..remote {
            let det = det.clone();
            let (tx, rx) = bounded::<Batch>(8);
            let (btx, brx) = bounded::<Batch>(16);
            // --max-flows bounds the whole process: each worker keeps its share.
            let mut w = Worker::new(
                Output::with_detect(cfg.log, Some(sink.clone()), detect),
                (cfg.max_flows / cfg.threads).max(1),
                cfg.tcp,
            );
            let mut r = Reader::detecting(detect);
            pool.handles.push(std::thread::spawn(move || {
                for mut b in rx {
                    let last = b.entries.last().map_or(0, |(e, _, _)| e.pcap_cnt());
                    for (e, start, end) in &b.entries {
                        let bytes = &b.data[*start as usize..*end as usize];
                        match e {
                            Entry::Raw {
                                pcap_cnt,
                                ts,
                                linktype,
                                orig_len,
                            } => {
                                let p = Packet {
                                    ts_micros: *ts,
                                    linktype: *linktype,
                                    data: bytes,
                                    orig_len: *orig_len,
                                };
                                r.frame(&p, *pcap_cnt, &mut |h, pl| w.packet(h, pl));
                            }
                            Entry::Decoded(h) => w.packet(h, bytes),
                            Entry::Tick { pcap_cnt, ts } => {
                                w.clock(*ts, *pcap_cnt);
                            }
                            Entry::End { pcap_cnt } => w.out.pcap_cnt = *pcap_cnt,
                            Entry::Mark { .. } => {}
                        }
                    }
                    b.clear();
                    let _ = btx.try_send(b);
                    if let Some(d) = &det {
                        // The next batch may still hold this packet number (a clock tick is
                        // sent before its frame): everything below it is done.
                        let mut v = std::mem::take(&mut w.out.obs);
                        v.append(&mut r.obs);
                        let _ = d.send((idx + 1, last.saturating_sub(1), v));
                    }
                }
                w.finish();
                if let Some(d) = &det {
                    let mut v = std::mem::take(&mut w.out.obs);
                    v.append(&mut r.obs);
                    let _ = d.send((idx + 1, u64::MAX, v));
                }
                (r, w)
            }));
            pool.tx.push(tx);
            pool.back.push(brx);
            pool.cur.push(Batch::default());
        }
        pool.det = det;
        pool
    }

    fn send(&mut self, i: usize, e: Entry, bytes: &[u8]) {
        self.cur[i].push(e, bytes);
        if self.cur[i].entries.len() >= BATCH {
            let fresh = self.back[i].try_recv().unwrap_or_default();
            let full = std::mem::replace(&mut self.cur[i], fresh);
            let _ = self.tx[i].send(full);
        }
    }

    /// The remote worker of a flow hash, or `None` for the local one.
    fn worker_of(&self, hash: u64) -> Option<usize> {
        if hash % 1000 < self.local_share {
            None
        } else {
            Some(((hash / 1000) % self.tx.len() as u64) as usize)
        }
    }

    /// Route one frame; fragments go through `frag_reader` on this thread.
    fn dispatch(&mut self, p: &Packet<'_>, pcap_cnt: u64, frag_reader: &mut Reader) {
        if self.local.clock(p.ts_micros, pcap_cnt) {
            for i in 0..self.tx.len() {
                self.send(
                    i,
                    Entry::Tick {
                        pcap_cnt,
                        ts: p.ts_micros,
                    },
                    &[],
                );
            }
        }
        let raw = Entry::Raw {
            pcap_cnt,
            ts: p.ts_micros,
            linktype: p.linktype,
            orig_len: p.orig_len,
        };
        match decode::shard(p.linktype.0, p.data) {
            decode::Shard::Flow(h) => {
                if let Some(i) = self.worker_of(h) {
                    self.send(i, raw, p.data);
                } else {
                    let local = &mut self.local;
                    frag_reader.frame(p, pcap_cnt, &mut |h, pl| local.packet(h, pl));
                }
            }
            decode::Shard::NoFlow => {
                let local = &mut self.local;
                frag_reader.frame(p, pcap_cnt, &mut |h, pl| local.packet(h, pl));
            }
            decode::Shard::Fragment => {
                frag_reader.frame(p, pcap_cnt, &mut |h, pl| {
                    let (sport, dport, proto) = match h.l4 {
                        L4Header::Tcp { sport, dport, .. } => (sport, dport, decode::IPPROTO_TCP),
                        L4Header::Udp { sport, dport } => (sport, dport, decode::IPPROTO_UDP),
                    };
                    match self.worker_of(decode::flow_hash(h.src, h.dst, sport, dport, proto)) {
                        Some(i) => self.send(i, Entry::Decoded(*h), pl),
                        None => self.local.packet(h, pl),
                    }
                });
            }
        }
    }

    /// Send the local worker's and the reader's observations to the detector thread, every
    /// 4,096 frames or when 512 are waiting (the watermark moves even without observations).
    fn send_local_obs(&mut self, pcap_cnt: u64, reader: &mut Reader, force: bool) {
        if self.det.is_none() {
            return;
        }
        self.since_sent += 1;
        let waiting = self.local.out.obs.len() + reader.obs.len();
        let periodic = self.since_sent >= 4096;
        if !(force || periodic || waiting >= 512) {
            return;
        }
        self.since_sent = 0;
        if periodic && !force {
            // A remote worker given few frames would hold back the merge: every 4,096 frames
            // each gets a mark and its partial batch.
            for i in 0..self.tx.len() {
                self.cur[i].push(
                    Entry::Mark {
                        pcap_cnt: pcap_cnt + 1,
                    },
                    &[],
                );
                let fresh = self.back[i].try_recv().unwrap_or_default();
                let part = std::mem::replace(&mut self.cur[i], fresh);
                let _ = self.tx[i].send(part);
            }
        }
        let mut v = std::mem::take(&mut self.local.out.obs);
        v.append(&mut reader.obs);
        if let Some(d) = &self.det {
            let _ = d.send((0, pcap_cnt, v));
        }
    }

    /// Drain the remote workers; returns theirs and the local worker.
    fn finish(mut self, pcap_cnt: u64, reader: &mut Reader) -> (Vec<(Reader, Worker)>, Worker) {
        for i in 0..self.tx.len() {
            self.send(i, Entry::End { pcap_cnt }, &[]);
        }
        for (i, b) in self.cur.drain(..).enumerate() {
            if !b.entries.is_empty() {
                let _ = self.tx[i].send(b);
            }
        }
        self.tx.clear();
        self.local.out.pcap_cnt = pcap_cnt;
        self.local.finish();
        self.send_local_obs(u64::MAX, reader, true);
        self.det = None;
        let remote = self
            .handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .collect();
        (remote, self.local)
    }
}

fn out_err(path: &Path) -> impl FnOnce(std::io::Error) -> WatchError + '_ {
    move |source| WatchError::Output {
        path: path.to_owned(),
        source,
    }
}

fn open_eve(cfg: &Config) -> Result<EveSink, WatchError> {
    std::fs::create_dir_all(&cfg.out_dir).map_err(out_err(&cfg.out_dir))?;
    let p = cfg.out_dir.join("eve.json");
    let f = File::create(&p).map_err(out_err(&p))?;
    // Workers write whole 256 KiB chunks of lines: no further buffering is needed.
    Ok(Arc::new(Mutex::new(f)))
}

/// Open every input first (so a non-capture exits before anything is written), then process
/// them in order as one timeline.
pub fn run_files(
    paths: &[PathBuf],
    cfg: &Config,
    progress: &mut dyn Progress,
) -> Result<RunResult, WatchError> {
    let mut files = Vec::with_capacity(paths.len());
    for p in paths {
        files.push(CaptureFile::open(p)?);
    }
    let total: u64 = files.iter().map(CaptureFile::size).sum();
    let started = Instant::now();
    let sink = open_eve(cfg)?;
    let mut reader = Reader::new();
    let mut damage = Vec::new();
    let mut done_before = 0u64;
    let mut workers: Vec<Worker>;
    let mut readers: Vec<Reader> = Vec::new();
    let mut tick = 0u32;
    let mut pcap_cnt = 0u64;
    let mut det = Detect::new(cfg.detect.as_ref(), cfg.learn_out.as_deref());
    reader.detect = det.is_some();
    let alerts;
    if cfg.threads <= 1 {
        let mut w = Worker::new(
            Output::with_detect(cfg.log, Some(sink.clone()), det.is_some()),
            cfg.max_flows,
            cfg.tcp,
        );
        let mut obs = Vec::new();
        for f in &mut files {
            let size = f.size();
            let summary = f.for_each(|item, pos| {
                if let Item::Packet(p) = item {
                    pcap_cnt += 1;
                    w.clock(p.ts_micros, pcap_cnt);
                    reader.frame(&p, pcap_cnt, &mut |h, pl| w.packet(h, pl));
                    if let Some(d) = &mut det {
                        pump_inline(d, &mut obs, &mut w.out, &mut reader.obs);
                    }
                }
                tick += 1;
                if tick % 65_536 == 0 {
                    progress.bytes(done_before + pos, total);
                }
                ControlFlow::Continue(())
            })?;
            done_before += size;
            note_damage(&mut reader.stats, &mut damage, summary, progress);
        }
        w.out.pcap_cnt = pcap_cnt;
        w.finish();
        alerts = match det.take() {
            Some(mut d) => {
                obs.append(&mut w.out.obs);
                d.pump(&mut obs, &mut w.out);
                d.finish(&mut w.out)?
            }
            None => AlertLog::default(),
        };
        workers = vec![w];
    } else {
        let remote = cfg.threads.saturating_sub(1).max(1);
        let det_thread = det.take().map(|d| {
            detect::spawn(
                d,
                Output::with_detect(cfg.log, Some(sink.clone()), true),
                remote + 1,
            )
        });
        let mut pool = Pool::new(cfg, &sink, det_thread.as_ref().map(|(tx, _)| tx.clone()));
        for f in &mut files {
            let size = f.size();
            let summary = f.for_each(|item, pos| {
                if let Item::Packet(p) = item {
                    pcap_cnt += 1;
                    pool.dispatch(&p, pcap_cnt, &mut reader);
                    pool.send_local_obs(pcap_cnt, &mut reader, false);
                }
                tick += 1;
                if tick % 65_536 == 0 {
                    progress.bytes(done_before + pos, total);
                }
                ControlFlow::Continue(())
            })?;
            done_before += size;
            note_damage(&mut reader.stats, &mut damage, summary, progress);
        }
        let (pairs, local) = pool.finish(pcap_cnt, &mut reader);
        workers = Vec::with_capacity(pairs.len() + 2);
        workers.push(local);
        for (r, w) in pairs {
            readers.push(r);
            workers.push(w);
        }
        alerts = match det_thread {
            Some((tx, h)) => {
                drop(tx);
                let (log, out) = h.join().map_err(|_| WatchError::Output {
                    path: cfg.out_dir.join("eve.json"),
                    source: std::io::Error::other("the detector thread panicked"),
                })?;
                let mut w = Worker::new(out, 1, cfg.tcp);
                w.finish();
                workers.push(w);
                log?
            }
            None => AlertLog::default(),
        };
    }
    progress.bytes(total, total);
    for r in readers {
        reader.absorb(r);
    }
    let result = finish(cfg, &sink, reader, &mut workers, started, damage, alerts)?;
    Ok(result)
}

fn note_damage(
    stats: &mut Stats,
    damage: &mut Vec<Damage>,
    summary: skjold_capture::ReadSummary,
    progress: &mut dyn Progress,
) {
    if summary.skipped_blocks > 0 {
        *stats
            .errors
            .entry("pcapng_unknown_block".into())
            .or_default() += summary.skipped_blocks;
    }
    if summary.bad_interface > 0 {
        *stats
            .errors
            .entry("pcapng_bad_interface".into())
            .or_default() += summary.bad_interface;
    }
    if let Some(d) = summary.damage {
        match d.kind {
            DamageKind::Truncated => stats.error("truncated_file"),
            DamageKind::Corrupt(_) => stats.error("corrupt_file"),
        }
        progress.damaged(&d);
        damage.push(d);
    }
}

fn finish(
    cfg: &Config,
    sink: &EveSink,
    reader: Reader,
    workers: &mut [Worker],
    started: Instant,
    damage: Vec<Damage>,
    alerts: AlertLog,
) -> Result<RunResult, WatchError> {
    let mut stats = reader.stats;
    let mut book = AssetBook::default();
    for w in workers.iter_mut() {
        w.out
            .flush(true)
            .map_err(out_err(&cfg.out_dir.join("eve.json")))?;
        stats.merge(std::mem::take(&mut w.out.stats));
        book.merge(std::mem::take(&mut w.out.assets));
    }
    {
        let mut g = sink.lock().map_err(|_| WatchError::Output {
            path: cfg.out_dir.join("eve.json"),
            source: std::io::Error::other("lock poisoned"),
        })?;
        g.flush().map_err(out_err(&cfg.out_dir.join("eve.json")))?;
    }
    let elapsed = started.elapsed();
    let result = RunResult {
        stats,
        assets: book,
        elapsed,
        damage,
        span: reader.span,
        alerts,
    };
    write_snapshot(cfg, &result)?;
    Ok(result)
}

/// Run the whole pipeline over a capture held in memory, writing nothing: the entry point of
/// the pipeline fuzz target and of the no-panic property tests. Returns the counters and the
/// number of EVE bytes produced.
pub fn run_bytes(bytes: Vec<u8>, log: LogMask) -> Result<(Stats, usize), WatchError> {
    run_bytes_with(bytes, log, None)
}

/// [`run_bytes`] with detection (`detect`): observations, the detector and alert writing run
/// too (the pipeline fuzz target turns every detection on with an empty baseline).
pub fn run_bytes_with(
    bytes: Vec<u8>,
    log: LogMask,
    detect: Option<&DetectConfig>,
) -> Result<(Stats, usize), WatchError> {
    let mut f = CaptureFile::from_bytes(Path::new("<memory>"), bytes)?;
    let mut det = Detect::new(detect, None);
    let mut reader = Reader::detecting(det.is_some());
    let mut w = Worker::new(
        Output::with_detect(log, None, det.is_some()),
        1024,
        tcp::Limits::default(),
    );
    let mut pcap_cnt = 0;
    let mut obs = Vec::new();
    let summary = f.for_each(|item, _| {
        if let Item::Packet(p) = item {
            pcap_cnt += 1;
            w.clock(p.ts_micros, pcap_cnt);
            reader.frame(&p, pcap_cnt, &mut |h, pl| w.packet(h, pl));
            if let Some(d) = &mut det {
                pump_inline(d, &mut obs, &mut w.out, &mut reader.obs);
            }
        }
        ControlFlow::Continue(())
    })?;
    w.finish();
    if let Some(mut d) = det {
        obs.append(&mut w.out.obs);
        d.pump(&mut obs, &mut w.out);
        d.finish(&mut w.out)?;
    }
    let mut stats = reader.stats;
    let mut damage = Vec::new();
    note_damage(&mut stats, &mut damage, summary, &mut NoProgress);
    let eve = w.out.buffered_eve();
    stats.merge(std::mem::take(&mut w.out.stats));
    Ok((stats, eve))
}

/// Write `assets.json` and `summary.json` (atomically, via a temporary file and rename, so a
/// reader of a live run never sees half a file).
pub fn write_snapshot(cfg: &Config, r: &RunResult) -> Result<(), WatchError> {
    let records = r.assets.records();
    let path = cfg.out_dir.join("assets.json");
    let tmp = path.with_extension("json.tmp");
    let f = File::create(&tmp).map_err(out_err(&tmp))?;
    let mut bw = std::io::BufWriter::new(f);
    assets::write_json(&records, &mut bw).map_err(|e| WatchError::Output {
        path: tmp.clone(),
        source: std::io::Error::other(e),
    })?;
    std::io::Write::write_all(&mut bw, b"\n").map_err(out_err(&tmp))?;
    bw.into_inner().map_err(|e| WatchError::Output {
        path: tmp.clone(),
        source: e.into_error(),
    })?;
    std::fs::rename(&tmp, &path).map_err(out_err(&path))?;
    let summary = summary_json(r, records.len());
    write_json(&cfg.out_dir.join("summary.json"), &summary)
}

fn write_json(path: &Path, v: &serde_json::Value) -> Result<(), WatchError> {
    let tmp = path.with_extension("json.tmp");
    let mut body = serde_json::to_vec_pretty(v).map_err(|e| WatchError::Output {
        path: path.to_owned(),
        source: std::io::Error::other(e),
    })?;
    body.push(b'\n');
    std::fs::write(&tmp, &body).map_err(out_err(&tmp))?;
    std::fs::rename(&tmp, path).map_err(out_err(path))
}

/// The `summary.json` document.
pub fn summary_json(r: &RunResult, assets: usize) -> serde_json::Value {
    let mut errors = serde_json::Map::new();
    for k in ["truncated_file", "malformed_frame", "flows_evicted"] {
        errors.insert(k.into(), 0.into());
    }
    for (k, v) in &r.stats.errors {
        errors.insert(k.clone(), (*v).into());
    }
    if r.assets.dropped > 0 {
        errors.insert("assets_limit".into(), r.assets.dropped.into());
    }
    serde_json::json!({
        "packets": r.stats.packets,
        "bytes": r.stats.bytes,
        "flows": r.stats.flows,
        "assets": assets,
        "events": r.stats.events,
        "alerts": r.stats.alerts,
        "elapsed_s": (r.elapsed.as_secs_f64() * 1e6).round() / 1e6,
        "by_app_proto": r.stats.by_app_proto,
        "pdus": r.stats.pdus,
        "errors": errors,
        "capture_start": r.span.map(|(a, _)| skjold_net::Ts(a).to_string()),
        "capture_end": r.span.map(|(_, b)| skjold_net::Ts(b).to_string()),
    })
}

/// Watch a live interface until `stop` is set, rewriting the outputs every second.
#[cfg(feature = "live")]
pub fn run_live(
    iface: &str,
    filter: Option<&str>,
    cfg: &Config,
    stop: &AtomicBool,
) -> Result<RunResult, WatchError> {
    let mut cap = skjold_capture::LiveCapture::open(iface, filter)?;
    let started = Instant::now();
    let sink = open_eve(cfg)?;
    let mut det = Detect::new(cfg.detect.as_ref(), cfg.learn_out.as_deref());
    let mut reader = Reader::detecting(det.is_some());
    let mut w = Worker::new(
        Output::with_detect(cfg.log, Some(sink.clone()), det.is_some()),
        cfg.max_flows,
        cfg.tcp,
    );
    let mut obs = Vec::new();
    let mut last_flush = Instant::now();
    let mut io_err = None;
    let mut pcap_cnt = 0;
    cap.for_each(|item| {
        if let Item::Packet(p) = item {
            pcap_cnt += 1;
            w.clock(p.ts_micros, pcap_cnt);
            reader.frame(&p, pcap_cnt, &mut |h, pl| w.packet(h, pl));
            if let Some(d) = &mut det {
                pump_inline(d, &mut obs, &mut w.out, &mut reader.obs);
            }
        }
        if last_flush.elapsed() >= Duration::from_secs(1) {
            last_flush = Instant::now();
            if let Err(e) = live_flush(cfg, &sink, &reader, &mut w, started) {
                io_err = Some(e);
                return ControlFlow::Break(());
            }
        }
        if stop.load(Ordering::Relaxed) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })?;
    if let Some(e) = io_err {
        return Err(e);
    }
    w.out.pcap_cnt = pcap_cnt;
    w.finish();
    let alerts = match det {
        Some(mut d) => {
            obs.append(&mut w.out.obs);
            d.pump(&mut obs, &mut w.out);
            d.finish(&mut w.out)?
        }
        None => AlertLog::default(),
    };
    let mut workers = vec![w];
    finish(
        cfg,
        &sink,
        reader,
        &mut workers,
        started,
        Vec::new(),
        alerts,
    )
}

#[cfg(feature = "live")]
fn live_flush(
    cfg: &Config,
    sink: &EveSink,
    reader: &Reader,
    w: &mut Worker,
    started: Instant,
) -> Result<(), WatchError> {
    let eve = cfg.out_dir.join("eve.json");
    w.out.flush(true).map_err(out_err(&eve))?;
    if let Ok(mut g) = sink.lock() {
        g.flush().map_err(out_err(&eve))?;
    }
    w.snapshot_assets();
    let mut stats = reader.stats.clone();
    stats.merge(w.out.stats.clone());
    let mut book = AssetBook::default();
    book.merge_from(&w.out.assets);
    let r = RunResult {
        stats,
        assets: book,
        elapsed: started.elapsed(),
        damage: Vec::new(),
        span: reader.span,
        alerts: AlertLog::default(),
    };
    write_snapshot(cfg, &r)
}
