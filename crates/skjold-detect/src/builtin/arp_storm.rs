//! **`arp_storm`** (8200126, severity 2). Detects ARP floods: at least 20 gratuitous ARP packets
//! announcing one IP address within 10 seconds, or at least 50 ARP replies from one MAC address
//! within 10 seconds.
//!
//! A device announces its address with a gratuitous ARP a few times when it starts or fails
//! over, and answers ARP requests only when asked. Announcing the same address again and again,
//! or pouring out replies, is what ARP-poisoning tools (arpspoof, Ettercap, Bettercap) do to
//! keep their forged entries in the victims' caches (T0830 Adversary-in-the-Middle). Even
//! without spoofing, such floods load the small network stacks of field devices. Severity 2:
//! [`arp_spoof`](super::arp_spoof) reports the address change itself.
//!
//! Counted over sliding 10-second windows, per announced IP for gratuitous packets and per
//! sender MAC for replies; the alert is raised at the threshold and further packets within the
//! deduplication window are counted into it. At most 10,000 IP addresses and 10,000 MAC
//! addresses are tracked (`detect.arp_storm` counts the ones not tracked).
//!
//! Example alert messages:
//!
//! ```text
//! 127.0.1.11 was announced in 20 gratuitous ARP packets within 10 s, the last from 02:00:00:00:00:66
//! 02:00:00:00:00:66 sent 50 ARP replies within 10 s, the last claiming 127.0.1.11
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0830 Adversary-in-the-Middle: <https://attack.mitre.org/techniques/T0830/>
//! - IEC 62443-3-3 SR 3.1 (Communication integrity), SR 7.1 (Denial of service protection).

use super::common::{mac, Rate};
use super::{ev, key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};
use std::net::IpAddr;

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_126,
    name: "arp_storm",
    signature: "ARP storm: repeated gratuitous ARPs or a flood of ARP replies",
    category: "Adversary-in-the-middle",
    severity: 2,
    mitre: &["T0830"],
    etsi: &[],
    iec: &["SR 3.1", "SR 7.1"],
};

/// Gratuitous ARPs for one IP that make a storm.
pub(crate) const GRATUITOUS: usize = 20;
/// ARP replies from one MAC that make a storm.
pub(crate) const REPLIES: usize = 50;
/// Within this window (µs).
pub(crate) const WINDOW_US: u64 = 10_000_000;

/// Gratuitous ARPs per IP, replies per MAC.
#[derive(Debug)]
pub(crate) struct ArpStorm {
    gratuitous: Rate<IpAddr>,
    replies: Rate<[u8; 6]>,
}

impl Default for ArpStorm {
    fn default() -> ArpStorm {
        ArpStorm {
            gratuitous: Rate::new(WINDOW_US, GRATUITOUS, "arp_storm"),
            replies: Rate::new(WINDOW_US, REPLIES, "arp_storm"),
        }
    }
}

impl Detection for ArpStorm {
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
        let window_s = WINDOW_US / 1_000_000;
        let (ip, from) = (arp.sender_ip, arp.sender_mac);
        if arp.gratuitous && !ip.is_unspecified() {
            if let Some(n) = self.gratuitous.hit(&ip, obs.ts, cx) {
                cx.alert(&META, key(&("gratuitous", ip)), obs, || {
                    let message = format!(
                        "{ip} was announced in {n} gratuitous ARP packets within {window_s} s, \
                         the last from {}",
                        mac(from)
                    );
                    let e = ev([
                        ("ip", ip.to_string().into()),
                        ("mac", mac(from).into()),
                        ("kind", "gratuitous".into()),
                        ("packets", n.into()),
                        ("window_s", window_s.into()),
                    ]);
                    (message, e)
                });
            }
        }
        if arp.op == 2 {
            if let Some(n) = self.replies.hit(&from, obs.ts, cx) {
                cx.alert(&META, key(&("replies", from)), obs, || {
                    let message = format!(
                        "{} sent {n} ARP replies within {window_s} s, the last claiming {ip}",
                        mac(from)
                    );
                    let e = ev([
                        ("ip", ip.to_string().into()),
                        ("mac", mac(from).into()),
                        ("kind", "replies".into()),
                        ("packets", n.into()),
                        ("window_s", window_s.into()),
                    ]);
                    (message, e)
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ArpStorm, GRATUITOUS, REPLIES};
    use crate::builtin::common::testkit::{at, run};
    use crate::obs::{Arp, Obs, What};

    const ATTACKER: [u8; 6] = [2, 0, 0, 0, 0, 0x66];

    /// `n` ARP packets from the attacker's MAC, one every `step_ms`.
    fn packets(n: usize, step_ms: u64, op: u16, gratuitous: bool) -> Vec<Obs> {
        (0..n as u64)
            .map(|i| {
                let target = if gratuitous {
                    "127.0.1.11"
                } else {
                    "127.0.1.1"
                };
                at(
                    i * step_ms,
                    None,
                    What::Arp(Arp {
                        op,
                        sender_mac: ATTACKER,
                        sender_ip: "127.0.1.11".parse().unwrap(),
                        target_ip: target.parse().unwrap(),
                        gratuitous,
                    }),
                )
            })
            .collect()
    }

    #[test]
    fn twenty_gratuitous_arps_within_ten_seconds_fire() {
        // Gratuitous requests (op 1): only the gratuitous count applies.
        let alerts = run(
            &mut ArpStorm::default(),
            &packets(GRATUITOUS + 1, 100, 1, true),
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_126);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "127.0.1.11 was announced in 20 gratuitous ARP packets within 10 s, the last from \
             02:00:00:00:00:66"
        );
        assert_eq!(a.evidence["ip"], "127.0.1.11");
        assert_eq!(a.evidence["packets"], 20);
    }

    #[test]
    fn nineteen_gratuitous_arps_or_twenty_over_more_than_ten_seconds_do_not_fire() {
        assert!(run(
            &mut ArpStorm::default(),
            &packets(GRATUITOUS - 1, 100, 1, true)
        )
        .is_empty());
        assert!(run(&mut ArpStorm::default(), &packets(GRATUITOUS, 600, 1, true)).is_empty());
    }

    #[test]
    fn fifty_replies_from_one_mac_within_ten_seconds_fire_and_forty_nine_do_not() {
        let alerts = run(&mut ArpStorm::default(), &packets(REPLIES, 100, 2, false));
        assert_eq!(alerts.len(), 1);
        assert_eq!(
            alerts[0].message,
            "02:00:00:00:00:66 sent 50 ARP replies within 10 s, the last claiming 127.0.1.11"
        );
        assert_eq!(alerts[0].evidence["kind"], "replies");
        assert!(run(
            &mut ArpStorm::default(),
            &packets(REPLIES - 1, 100, 2, false)
        )
        .is_empty());
    }
}
