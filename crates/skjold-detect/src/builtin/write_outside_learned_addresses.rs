//! `write_outside_learned_addresses` (8200005, severity 2): a client that does write to a
//! server wrote to an address (register, coil, point, object) outside the set it wrote in the
//! baseline.
//!
//! Why: an HMI writes the same few setpoints; a write elsewhere (a different register, an
//! output coil, a configuration block) changes what the process does in a way nobody reviewed
//! (ATT&CK for ICS T0855 Unauthorized Command Message, T0836 Modify Parameter; IEC 62443-3-3
//! SR 3.5 input validation).
//!
//! Example: baseline `written: {holding_register: "10"}`; "127.0.1.20 wrote holding register 15
//! (unit 1) of 127.0.1.10 over modbus, outside the learned set 10". Runs with `--baseline`.

use super::learned::{flow_evidence, op_evidence, where_};
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};

pub(crate) static META: Meta = Meta {
    sid: 8_200_005,
    name: "write_outside_learned_addresses",
    signature: "SKJOLD write to an address outside the learned set",
    category: "Unauthorized command",
    severity: 2,
    mitre: &["T0855", "T0836"],
    etsi: &[],
    iec: &["SR 3.5"],
};

pub(crate) struct WriteOutsideLearnedAddresses;

impl Detection for WriteOutsideLearnedAddresses {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }
    fn needs_baseline(&self) -> bool {
        true
    }
    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let (Some(_), What::Op(op), Some(f)) = (cx.baseline, &obs.what, &obs.flow) else {
            return;
        };
        let (Some(a), true) = (op.address, f.from_client && op.class.modifies()) else {
            return;
        };
        if op.space.is_empty() {
            return;
        }
        let (c, s) = (f.client.ip, f.server.ip);
        let Some(p) = cx.pair_proto() else {
            return;
        };
        if !p.writes {
            return; // unauthorized_write reports it
        }
        let hi = a.saturating_add(op.count.max(1) - 1);
        let set = p.written.get(op.space);
        if set.is_some_and(|r| r.covers(a, hi)) {
            return;
        }
        cx.alert(&META, key(&(c, s, f.proto, op.space, a)), obs, || {
            let mut ev = flow_evidence(f);
            op_evidence(&mut ev, op);
            let learned =
                set.map_or_else(|| "nothing in this space".to_owned(), ToString::to_string);
            ev.insert("learned_addresses".into(), learned.clone().into());
            (
                format!(
                    "{c} wrote {} of {s} over {}, outside the learned set ({learned})",
                    where_(op, a),
                    f.proto
                ),
                ev,
            )
        });
    }
}
