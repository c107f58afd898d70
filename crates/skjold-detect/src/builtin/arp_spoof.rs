//! **`arp_spoof`** (8200125, severity 1). Detects ARP spoofing: an ARP packet claiming an IP
//! address for a MAC address other than the one that claimed it before.
//!
//! ARP has no authentication: any device can announce "this IP is at my MAC" and its neighbours
//! believe it. An attacker who claims the address of a PLC or of the SCADA server receives the
//! traffic meant for it and can read, drop or alter commands and measurements before forwarding
//! them (T0830 Adversary-in-the-Middle), the way many published ICS attack demonstrations change
//! values on the wire. The same alert appears when a device is replaced or a redundant pair
//! (VRRP, HSRP, a PLC's redundant CPU) fails over; confirm with the plant's asset list.
//!
//! Probes from the unspecified address 0.0.0.0 are ignored. Each change alerts once per IP, old
//! and new MAC; flapping between the two is counted into the alerts within the deduplication
//! window. At most 10,000 IP addresses and 10,000 MAC addresses are remembered
//! (`detect.arp_spoof` counts the ones not remembered).
//!
//! Example alert message:
//!
//! ```text
//! 02:00:00:00:00:66 (127.0.1.66) claimed the IP address 127.0.1.11, which belonged to 02:00:00:00:00:11 (possible ARP spoofing)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0830 Adversary-in-the-Middle: <https://attack.mitre.org/techniques/T0830/>
//! - IEC 62443-3-3 SR 3.1 (Communication integrity), SR 1.2 (Software process and device
//!   identification and authentication).

use super::common::{mac, MAX_KEYS};
use super::{ev, key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::net::IpAddr;

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_125,
    name: "arp_spoof",
    signature: "ARP spoofing: an IP address changed its MAC address",
    category: "Adversary-in-the-middle",
    severity: 1,
    mitre: &["T0830"],
    etsi: &[],
    iec: &["SR 3.1", "SR 1.2"],
};

/// The MAC last seen for each IP, and the first IP seen for each MAC.
#[derive(Debug, Default)]
pub(crate) struct ArpSpoof {
    owner: FxHashMap<IpAddr, [u8; 6]>,
    ip_of: FxHashMap<[u8; 6], IpAddr>,
}

impl Detection for ArpSpoof {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::ARP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let What::Arp(arp) = &obs.what else {
            return;
        };
        let ip = arp.sender_ip;
        if ip.is_unspecified() {
            return;
        }
        let new = arp.sender_mac;
        if !self.ip_of.contains_key(&new) {
            if self.ip_of.len() < MAX_KEYS {
                self.ip_of.insert(new, ip);
            } else {
                cx.limit("arp_spoof");
            }
        }
        let old = match self.owner.get_mut(&ip) {
            Some(m) if *m == new => return,
            Some(m) => std::mem::replace(m, new),
            None => {
                if self.owner.len() < MAX_KEYS {
                    self.owner.insert(ip, new);
                } else {
                    cx.limit("arp_spoof");
                }
                return;
            }
        };
        let known = self.ip_of.get(&new).copied().filter(|&i| i != ip);
        cx.alert(&META, key(&(ip, old, new)), obs, || {
            let who = match known {
                Some(i) => format!("{} ({i})", mac(new)),
                None => mac(new),
            };
            let message = format!(
                "{who} claimed the IP address {ip}, which belonged to {} (possible ARP spoofing)",
                mac(old)
            );
            let e = ev([
                ("ip", ip.to_string().into()),
                ("old_mac", mac(old).into()),
                ("new_mac", mac(new).into()),
                (
                    "new_mac_ip",
                    known.map_or(Value::Null, |i| i.to_string().into()),
                ),
                ("arp_op", arp.op.into()),
                ("gratuitous", arp.gratuitous.into()),
            ]);
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::ArpSpoof;
    use crate::builtin::common::testkit::{at, run, run_limits};
    use crate::obs::{Arp, Obs, What};

    const PLC: [u8; 6] = [2, 0, 0, 0, 0, 0x11];
    const ATTACKER: [u8; 6] = [2, 0, 0, 0, 0, 0x66];

    fn reply(ms: u64, ip: &str, mac: [u8; 6]) -> Obs {
        at(
            ms,
            None,
            What::Arp(Arp {
                op: 2,
                sender_mac: mac,
                sender_ip: ip.parse().unwrap(),
                target_ip: "127.0.1.1".parse().unwrap(),
                gratuitous: false,
            }),
        )
    }

    #[test]
    fn a_second_mac_for_an_ip_alerts_with_old_and_new_mac() {
        let obs = [
            reply(0, "127.0.1.11", PLC),
            reply(1, "127.0.1.66", ATTACKER),
            reply(2, "127.0.1.11", PLC),
            reply(3, "127.0.1.11", ATTACKER),
            reply(4, "127.0.1.11", ATTACKER),
        ];
        let alerts = run(&mut ArpSpoof::default(), &obs);
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_125);
        assert_eq!(a.meta.severity, 1);
        assert_eq!(a.count, 1);
        assert_eq!(
            a.message,
            "02:00:00:00:00:66 (127.0.1.66) claimed the IP address 127.0.1.11, which belonged to \
             02:00:00:00:00:11 (possible ARP spoofing)"
        );
        assert_eq!(a.evidence["ip"], "127.0.1.11");
        assert_eq!(a.evidence["old_mac"], "02:00:00:00:00:11");
        assert_eq!(a.evidence["new_mac"], "02:00:00:00:00:66");
        assert_eq!(a.src_ip, Some("127.0.1.11".parse().unwrap()));
    }

    #[test]
    fn flapping_is_counted_into_one_alert_per_direction() {
        let obs = [
            reply(0, "127.0.1.11", PLC),
            reply(1, "127.0.1.11", ATTACKER),
            reply(2, "127.0.1.11", PLC),
            reply(3, "127.0.1.11", ATTACKER),
        ];
        let alerts = run(&mut ArpSpoof::default(), &obs);
        let counts: Vec<(String, u64)> = alerts
            .iter()
            .map(|a| (a.evidence["new_mac"].as_str().unwrap().to_owned(), a.count))
            .collect();
        assert_eq!(
            counts,
            [
                ("02:00:00:00:00:66".to_owned(), 2),
                ("02:00:00:00:00:11".to_owned(), 1)
            ]
        );
        assert_eq!(alerts[0].evidence["new_mac_ip"], serde_json::Value::Null);
    }

    #[test]
    fn stable_addresses_and_probes_do_not_alert() {
        let obs = [
            reply(0, "127.0.1.11", PLC),
            reply(1, "127.0.1.12", ATTACKER),
            reply(2, "127.0.1.11", PLC),
            reply(3, "0.0.0.0", ATTACKER),
            reply(4, "0.0.0.0", PLC),
        ];
        let (alerts, limits) = run_limits(&mut ArpSpoof::default(), &obs);
        assert!(alerts.is_empty());
        assert!(limits.is_empty());
    }
}
