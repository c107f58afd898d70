//! `new_asset` (8200001, severity 3): a device that is not in the baseline took part in
//! traffic (as client or server of a flow, or announced itself with ARP).
//!
//! Why: an OT network's inventory changes rarely and on purpose. A laptop plugged into a cell
//! switch, a rogue gateway or an attacker's foothold shows up first as an address nobody
//! listed. IEC 62443-3-3 SR 7.8 asks for an inventory of control system components.
//!
//! Example: the baseline lists 127.0.1.10, .11, .20; `127.0.1.66` opens a connection to the
//! PLC → "127.0.1.66 is a device not in the baseline (first seen as client of 127.0.1.10 on
//! modbus)". Broadcast, multicast and unspecified addresses are not devices and never alert.
//! Runs with `--baseline`. One alert per address per window.

use super::learned::flow_evidence;
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::learn::is_group;
use crate::obs::{Obs, What};

pub(crate) static META: Meta = Meta {
    sid: 8_200_001,
    name: "new_asset",
    signature: "SKJOLD new asset: a device not in the baseline",
    category: "Asset inventory change",
    severity: 3,
    mitre: &[],
    etsi: &[],
    iec: &["SR 7.8"],
};

pub(crate) struct NewAsset;

impl Detection for NewAsset {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::FLOW_START | super::kind::ARP
    }
    fn needs_baseline(&self) -> bool {
        true
    }
    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let Some(ix) = cx.baseline else { return };
        match (&obs.what, &obs.flow) {
            (What::FlowStart, Some(f)) => {
                for (host, role, other) in [
                    (&f.client, "client", &f.server),
                    (&f.server, "server", &f.client),
                ] {
                    let ip = host.ip;
                    if is_group(&ip) || ix.assets.contains(&ip) {
                        continue;
                    }
                    cx.alert(&META, key(&ip), obs, || {
                        let mut ev = flow_evidence(f);
                        ev.insert("ip".into(), ip.to_string().into());
                        ev.insert("role".into(), role.into());
                        (
                            format!(
                                "{ip} is a device not in the baseline (first seen as {role} of {} on {}/{})",
                                other.ip,
                                if f.tcp { "tcp" } else { "udp" },
                                f.server.port
                            ),
                            ev,
                        )
                    });
                }
            }
            (What::Arp(a), _) if (a.op == 2 || a.gratuitous) && !is_group(&a.sender_ip) => {
                let ip = a.sender_ip;
                if ix.assets.contains(&ip) {
                    return;
                }
                cx.alert(&META, key(&ip), obs, || {
                    let mut ev = serde_json::Map::new();
                    ev.insert("ip".into(), ip.to_string().into());
                    ev.insert("mac".into(), crate::learn::fmt_mac(a.sender_mac).into());
                    (
                        format!(
                            "{ip} is a device not in the baseline (announced by ARP from {})",
                            crate::learn::fmt_mac(a.sender_mac)
                        ),
                        ev,
                    )
                });
            }
            _ => {}
        }
    }
}
