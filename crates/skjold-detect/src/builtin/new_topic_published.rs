//! `new_topic_published` (8200010, severity 2): an MQTT client published to a topic it never
//! published to in the baseline (a client the baseline does not know publishes to any topic).
//!
//! Why: in MQTT the topic is the address. Sensors publish telemetry to a few fixed topics; a
//! publication to a command topic (`plant/control/pump1`) by anyone else is a command injected
//! through the broker (ATT&CK for ICS T0855 Unauthorized Command Message; IEC 62443-3-3 SR 2.1).
//!
//! Example: "127.0.1.66 published to MQTT topic plant/control/pump1 on broker 127.0.1.30, a
//! topic it never published to". Runs with `--baseline`; one alert per client and topic per
//! window. Only client-to-broker publications count (the broker forwarding to subscribers is
//! not the client's doing).

use super::learned::{flow_evidence, op_evidence};
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, OpClass, What};

pub(crate) static META: Meta = Meta {
    sid: 8_200_010,
    name: "new_topic_published",
    signature: "SKJOLD MQTT publication to a topic never published by this client",
    category: "Unauthorized command",
    severity: 2,
    mitre: &["T0855"],
    etsi: &[],
    iec: &["SR 2.1"],
};

pub(crate) struct NewTopicPublished;

impl Detection for NewTopicPublished {
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
        if op.class != OpClass::Publish || !f.from_client {
            return;
        }
        let Some(topic) = op.name.as_deref() else {
            return;
        };
        let (c, s) = (f.client.ip, f.server.ip);
        if cx.pair_proto().is_some_and(|p| p.names.contains(topic)) {
            return;
        }
        cx.alert(&META, key(&(c, s, topic)), obs, || {
            let mut ev = flow_evidence(f);
            op_evidence(&mut ev, op);
            (
                format!(
                    "{c} published to MQTT topic {topic} on broker {s}, a topic it never published to"
                ),
                ev,
            )
        });
    }
}
