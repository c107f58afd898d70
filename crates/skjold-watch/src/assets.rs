//! The asset inventory: one record per device (IP address and MAC address), with the roles and
//! protocols it was seen in, the identity its protocols revealed, when it was seen and whom it
//! talked to. Written as `assets.json` (SPEC §3).

use crate::flow::Peer;
use serde::Serialize;
use skjold_net::Ts;
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;

/// Peers kept per asset; further peers are counted in `peers_truncated`.
const MAX_PEERS: usize = 4096;
/// Devices kept per worker; further new devices are counted (`assets_dropped`), not stored.
const MAX_ASSETS: usize = 50_000;
/// Longest identity value kept (bytes); longer values are cut at a character boundary.
const MAX_IDENTITY_LEN: usize = 256;

/// One identity field and the protocol that revealed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityField {
    /// The value as the device reported it.
    pub value: String,
    /// The protocol it came from (`modbus`, ...).
    pub source: &'static str,
    /// Number of the packet that revealed it: the earliest value is kept, also when worker
    /// threads' books are merged (so the inventory does not depend on `--threads`).
    pub pcap_cnt: u64,
}

/// One device.
#[derive(Clone, Debug)]
pub struct Asset {
    /// IP address.
    pub ip: IpAddr,
    /// MAC address, when the link layer showed one.
    pub mac: Option<[u8; 6]>,
    /// Roles such as `modbus_server` or `mqtt_client`.
    pub roles: BTreeSet<&'static str>,
    /// Application protocols the device spoke.
    pub protocols: BTreeSet<&'static str>,
    /// Identity fields (vendor, product, model, firmware, serial...).
    pub identity: BTreeMap<&'static str, IdentityField>,
    /// First packet time.
    pub first_seen: Ts,
    /// Last packet time.
    pub last_seen: Ts,
    /// IP addresses it exchanged packets with.
    pub peers: BTreeSet<IpAddr>,
    /// Peers not kept because of the cap.
    pub peers_truncated: u64,
}

impl Asset {
    fn new(ip: IpAddr, mac: Option<[u8; 6]>, ts: Ts) -> Asset {
        Asset {
            ip,
            mac,
            roles: BTreeSet::new(),
            protocols: BTreeSet::new(),
            identity: BTreeMap::new(),
            first_seen: ts,
            last_seen: ts,
            peers: BTreeSet::new(),
            peers_truncated: 0,
        }
    }

    fn add_peer(&mut self, ip: IpAddr) {
        if self.peers.len() < MAX_PEERS || self.peers.contains(&ip) {
            self.peers.insert(ip);
        } else {
            self.peers_truncated += 1;
        }
    }

    fn merge(&mut self, other: Asset) {
        if self.mac.is_none() {
            self.mac = other.mac;
        }
        self.roles.extend(other.roles);
        self.protocols.extend(other.protocols);
        for (k, v) in other.identity {
            match self.identity.entry(k) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(v);
                }
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    if v.pcap_cnt < e.get().pcap_cnt {
                        e.insert(v);
                    }
                }
            }
        }
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
        for p in other.peers {
            self.add_peer(p);
        }
        self.peers_truncated += other.peers_truncated;
    }
}

/// Whether an address names a single device (not broadcast, multicast or unspecified).
pub(crate) fn is_device_ip(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_broadcast() || v4.is_multicast() || v4.is_unspecified()),
        IpAddr::V6(v6) => !(v6.is_multicast() || v6.is_unspecified()),
    }
}

/// All assets seen by one worker; workers' books are merged at the end.
#[derive(Debug, Default)]
pub struct AssetBook {
    map: rustc_hash::FxHashMap<(IpAddr, Option<[u8; 6]>), Asset>,
    /// Updates of devices not stored because of [`MAX_ASSETS`] (one device may count several).
    pub dropped: u64,
}

impl AssetBook {
    fn entry(&mut self, p: &Peer, ts: Ts) -> Option<&mut Asset> {
        if !is_device_ip(p.ip) {
            return None;
        }
        let key = (p.ip, p.mac);
        if self.map.len() >= MAX_ASSETS && !self.map.contains_key(&key) {
            self.dropped += 1;
            return None;
        }
        let a = self
            .map
            .entry(key)
            .or_insert_with(|| Asset::new(p.ip, p.mac, ts));
        Some(a)
    }

    /// A packet between `a` and `b` at `ts`: both are seen, each is the other's peer.
    pub(crate) fn seen_pair(&mut self, a: &Peer, b: &Peer, first: Ts, last: Ts) {
        let b_dev = is_device_ip(b.ip);
        let a_dev = is_device_ip(a.ip);
        if let Some(x) = self.entry(a, first) {
            x.first_seen = x.first_seen.min(first);
            x.last_seen = x.last_seen.max(last);
            if b_dev {
                x.add_peer(b.ip);
            }
        }
        if let Some(y) = self.entry(b, first) {
            y.first_seen = y.first_seen.min(first);
            y.last_seen = y.last_seen.max(last);
            if a_dev {
                y.add_peer(a.ip);
            }
        }
    }

    /// `p` speaks `proto` in `role`.
    pub(crate) fn role(&mut self, p: &Peer, ts: Ts, proto: &'static str, role: &'static str) {
        if let Some(x) = self.entry(p, ts) {
            x.protocols.insert(proto);
            x.roles.insert(role);
        }
    }

    /// An identity field of `p`, as revealed by `source`. The first value seen (lowest `pcap_cnt`) is kept.
    pub(crate) fn identity(
        &mut self,
        p: &Peer,
        ts: Ts,
        field: &'static str,
        value: &str,
        source: &'static str,
        pcap_cnt: u64,
    ) {
        let value = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
        if value.is_empty() {
            return;
        }
        let mut end = value.len().min(MAX_IDENTITY_LEN);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        if let Some(x) = self.entry(p, ts) {
            let f = IdentityField {
                value: value[..end].to_owned(),
                source,
                pcap_cnt,
            };
            match x.identity.entry(field) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(f);
                }
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    if pcap_cnt < e.get().pcap_cnt {
                        e.insert(f);
                    }
                }
            }
        }
    }

    /// Fold another worker's book into this one.
    pub(crate) fn merge(&mut self, other: AssetBook) {
        self.dropped += other.dropped;
        for (k, v) in other.map {
            match self.map.get_mut(&k) {
                Some(a) => a.merge(v),
                None => {
                    self.map.insert(k, v);
                }
            }
        }
    }

    /// Fold a copy of another book into this one (live snapshots).
    #[cfg(feature = "live")]
    pub(crate) fn merge_from(&mut self, other: &AssetBook) {
        for (k, v) in &other.map {
            match self.map.get_mut(k) {
                Some(a) => a.merge(v.clone()),
                None => {
                    self.map.insert(*k, v.clone());
                }
            }
        }
    }

    /// Number of distinct devices (after folding MAC-less records into the MAC'd record of the
    /// same IP).
    pub fn len(&self) -> usize {
        self.records().len()
    }

    /// Whether no asset was seen.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The inventory, sorted by IP then MAC. A record without a MAC is folded into the record of
    /// the same IP that has one, when exactly one such record exists.
    pub fn records(&self) -> Vec<Cow<'_, Asset>> {
        // Sort references, not copies: the inventory can be large.
        let mut refs: Vec<&Asset> = self.map.values().collect();
        refs.sort_unstable_by_key(|a| (a.ip, a.mac));
        let mut out: Vec<Cow<'_, Asset>> = Vec::with_capacity(refs.len());
        let mut i = 0;
        while i < refs.len() {
            let mut j = i + 1;
            while j < refs.len() && refs[j].ip == refs[i].ip {
                j += 1;
            }
            let group = &refs[i..j];
            // `None` sorts first: [MAC-less, with MAC] folds into one record.
            if group.len() == 2 && group[0].mac.is_none() {
                let mut merged = group[1].clone();
                merged.merge(group[0].clone());
                out.push(Cow::Owned(merged));
            } else {
                out.extend(group.iter().map(|a| Cow::Borrowed(*a)));
            }
            i = j;
        }
        out
    }
}

/// Format a MAC address as `aa:bb:cc:dd:ee:ff`.
pub fn fmt_mac(m: [u8; 6]) -> String {
    format!(
        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    )
}

#[derive(Serialize)]
struct AssetJson<'a> {
    ip: String,
    mac: Option<String>,
    mac_vendor: Option<&'static str>,
    roles: &'a BTreeSet<&'static str>,
    protocols: &'a BTreeSet<&'static str>,
    identity: BTreeMap<&'static str, &'a str>,
    identity_sources: BTreeMap<&'static str, &'static str>,
    first_seen: String,
    last_seen: String,
    peers: Vec<String>,
    #[serde(skip_serializing_if = "is_zero")]
    peers_truncated: u64,
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_zero(v: &u64) -> bool {
    *v == 0
}

impl<'a> AssetJson<'a> {
    fn new(a: &'a Asset) -> AssetJson<'a> {
        AssetJson {
            ip: a.ip.to_string(),
            mac: a.mac.map(fmt_mac),
            mac_vendor: a.mac.and_then(skjold_oui::vendor),
            roles: &a.roles,
            protocols: &a.protocols,
            identity: a
                .identity
                .iter()
                .map(|(k, v)| (*k, v.value.as_str()))
                .collect(),
            identity_sources: a.identity.iter().map(|(k, v)| (*k, v.source)).collect(),
            first_seen: a.first_seen.to_string(),
            last_seen: a.last_seen.to_string(),
            peers: a.peers.iter().map(ToString::to_string).collect(),
            peers_truncated: a.peers_truncated,
        }
    }
}

/// Write the inventory as the `assets.json` array, one asset at a time (no document tree is
/// built, so memory does not grow with the JSON size).
pub fn write_json<W: std::io::Write>(records: &[Cow<'_, Asset>], w: W) -> serde_json::Result<()> {
    use serde::Serializer as _;
    let mut ser = serde_json::Serializer::pretty(w);
    ser.collect_seq(records.iter().map(|a| AssetJson::new(a)))
}
