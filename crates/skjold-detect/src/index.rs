//! A baseline compiled for detection: hash lookups by the observation's own keys. The
//! baseline's strings are leaked once at load (a baseline is loaded once per process), so
//! lookups with an observation's `&'static str` protocol and address space need no allocation.

use crate::baseline::Baseline;
use crate::ranges::RangeSet;
use rustc_hash::{FxHashMap, FxHashSet};
use std::net::IpAddr;

/// What one protocol did on one pair.
#[derive(Debug, Default)]
pub(crate) struct ProtoIndex {
    pub(crate) functions: FxHashSet<u32>,
    pub(crate) units: FxHashSet<u32>,
    pub(crate) writes: bool,
    pub(crate) written: FxHashMap<&'static str, RangeSet>,
    pub(crate) names: FxHashSet<&'static str>,
    pub(crate) max_ops_per_min: u64,
}

/// A learned client → server pair.
#[derive(Debug, Default)]
pub(crate) struct PairIndex {
    pub(crate) max_flows_per_min: u64,
    pub(crate) protos: Vec<(&'static str, ProtoIndex)>,
}

impl PairIndex {
    /// What the pair did over `proto`.
    pub(crate) fn proto(&self, proto: &str) -> Option<&ProtoIndex> {
        self.protos
            .iter()
            .find(|(p, _)| *p == proto)
            .map(|(_, x)| x)
    }
}

/// A process variable's allowed range.
#[derive(Debug, Clone)]
pub(crate) struct VarIndex {
    pub(crate) min: f64,
    pub(crate) max: f64,
    pub(crate) seen: [f64; 2],
    /// The last value seen (read or written), for `value_before`; updated by the range
    /// detections through the shared index.
    pub(crate) last: std::cell::Cell<Option<f64>>,
}

/// Key of a process variable: server, protocol, unit, space, address.
pub(crate) type VarKey = (IpAddr, &'static str, Option<u32>, &'static str, u32);

/// Variables grouped by server, protocol, unit and address space, then by address: one string
/// lookup per operation, integer lookups per value.
pub(crate) type VarGroupKey = (IpAddr, &'static str, Option<u32>, &'static str);

/// The compiled baseline.
#[derive(Debug, Default)]
pub(crate) struct Index {
    pub(crate) assets: FxHashSet<IpAddr>,
    /// Client → server pairs: the highest new flows per minute, and per protocol what it did
    /// (a pair speaks one or two protocols: a short list beats hashing the name).
    pub(crate) pairs: FxHashMap<(IpAddr, IpAddr), PairIndex>,
    pub(crate) vars: FxHashMap<VarGroupKey, FxHashMap<u32, VarIndex>>,
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

impl Index {
    /// Compile `b`. Address sets were validated by [`Baseline::parse`]; an unparsable one
    /// (possible only for a baseline built in code) counts as empty.
    pub(crate) fn new(b: &Baseline) -> Index {
        let mut ix = Index::default();
        for a in &b.assets {
            ix.assets.insert(a.ip);
        }
        for p in &b.pairs {
            let pair = ix.pairs.entry((p.client, p.server)).or_default();
            pair.max_flows_per_min = pair.max_flows_per_min.max(p.max_flows_per_min);
            for pp in &p.protocols {
                let e = ProtoIndex {
                    functions: pp.functions.keys().copied().collect(),
                    units: pp.units.iter().copied().collect(),
                    writes: pp.writes,
                    written: pp
                        .written
                        .iter()
                        .map(|(k, v)| (leak(k), RangeSet::parse(v, u32::MAX).unwrap_or_default()))
                        .collect(),
                    names: pp.names.iter().map(|n| leak(n)).collect(),
                    max_ops_per_min: pp.max_ops_per_min,
                };
                pair.protos.push((leak(&pp.protocol), e));
            }
        }
        for v in &b.variables {
            ix.vars
                .entry((v.server, leak(&v.protocol), v.unit, leak(&v.space)))
                .or_default()
                .insert(
                    v.address,
                    VarIndex {
                        min: v.min,
                        max: v.max,
                        seen: v.seen,
                        last: std::cell::Cell::new(None),
                    },
                );
        }
        ix
    }

    /// What the client did on the server over `proto`.
    pub(crate) fn proto(&self, c: IpAddr, s: IpAddr, proto: &str) -> Option<&ProtoIndex> {
        self.pairs.get(&(c, s)).and_then(|p| p.proto(proto))
    }

    /// Whether the pair is known in either orientation.
    pub(crate) fn knows_pair(&self, a: IpAddr, b: IpAddr) -> bool {
        self.pairs.contains_key(&(a, b)) || self.pairs.contains_key(&(b, a))
    }
}
