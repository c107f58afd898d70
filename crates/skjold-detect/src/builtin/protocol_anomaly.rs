//! **`protocol_anomaly`** (8200127, severity 3). Reports a protocol anomaly: a parser found a PDU
//! that breaks its protocol's rules (`layer` `app`: a length that does not match, an unknown
//! version, too many pending transactions...) or TCP reassembly found a gap or an overlap
//! (`layer` `stream`). The anomaly kinds are those of the EVE `anomaly` events.
//!
//! Malformed traffic to an industrial device is how exploits of its protocol stack look on the
//! wire, and many field devices crash on it. But an anomaly is a symptom, not a technique:
//! capture loss, a buggy device or an unusual vendor extension raise the same anomalies as an
//! exploitation attempt (T0866) or a fuzzer. So this detection carries no ATT&CK technique id
//! and severity 3: read it together with the alerts and assets around it, and look first at
//! anomalies from clients that are new or that did other unexpected things.
//!
//! One alert per flow, layer and kind; repeats within the deduplication window are counted into
//! it.
//!
//! Example alert message:
//!
//! ```text
//! Malformed or unexpected modbus traffic between 127.0.1.66 and 127.0.1.11: length_mismatch (found by the app parser)
//! ```
//!
//! References:
//! - ETSI EN 303 645 provision 5.13-1B (validate data received via network interfaces).
//! - IEC 62443-3-3 SR 3.5 (Input validation), SR 3.7 (Error handling).

use super::common::flow_evidence;
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, What};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_127,
    name: "protocol_anomaly",
    signature: "Protocol anomaly",
    category: "Protocol anomaly",
    severity: 3,
    mitre: &[],
    etsi: &["5.13-1B"],
    iec: &["SR 3.5", "SR 3.7"],
};

/// Alerts on every anomaly, once per flow and kind.
#[derive(Debug, Default)]
pub(crate) struct ProtocolAnomaly;

impl Detection for ProtocolAnomaly {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::ANOMALY
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let (What::Anomaly { layer, kind }, Some(f)) = (&obs.what, &obs.flow) else {
            return;
        };
        cx.alert(&META, key(&(f.flow_id, layer, kind)), obs, || {
            let by = if *layer == "stream" {
                "TCP reassembly".to_owned()
            } else {
                format!("the {layer} parser")
            };
            let message = format!(
                "Malformed or unexpected {} traffic between {} and {}: {kind} (found by {by})",
                f.proto, f.client.ip, f.server.ip
            );
            let mut e = flow_evidence(f);
            e.insert("layer".into(), (*layer).into());
            e.insert("anomaly".into(), (*kind).into());
            e.insert("flow_id".into(), f.flow_id.into());
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::ProtocolAnomaly;
    use crate::builtin::common::testkit::{at, flow, run};
    use crate::obs::{FlowRef, Obs, What};

    fn anomaly(ms: u64, f: FlowRef, layer: &'static str, kind: &'static str) -> Obs {
        at(ms, Some(f), What::Anomaly { layer, kind })
    }

    #[test]
    fn one_alert_per_flow_and_kind_with_a_count() {
        let f = flow("127.0.1.66", "127.0.1.11", "modbus");
        let g = FlowRef { flow_id: 8, ..f };
        let alerts = run(
            &mut ProtocolAnomaly,
            &[
                anomaly(0, f, "app", "length_mismatch"),
                anomaly(1, f, "app", "length_mismatch"),
                anomaly(2, f, "stream", "reassembly_gap"),
                anomaly(3, g, "app", "length_mismatch"),
            ],
        );
        assert_eq!(alerts.len(), 3);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_127);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "Malformed or unexpected modbus traffic between 127.0.1.66 and 127.0.1.11: \
             length_mismatch (found by the app parser)"
        );
        assert_eq!(a.evidence["anomaly"], "length_mismatch");
        assert_eq!(a.evidence["layer"], "app");
        assert_eq!(a.evidence["flow_id"], 7);
        assert_eq!(
            alerts[1].message,
            "Malformed or unexpected modbus traffic between 127.0.1.66 and 127.0.1.11: \
             reassembly_gap (found by TCP reassembly)"
        );
        assert_eq!(alerts[2].evidence["flow_id"], 8);
    }

    #[test]
    fn other_observations_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "modbus");
        assert!(run(&mut ProtocolAnomaly, &[at(0, Some(f), What::AppDetected)]).is_empty());
    }
}
