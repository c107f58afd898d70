//! **`identification_request`** (8200115, severity 3). Detects a request asking a device who it
//! is: Modbus Read Device Identification (43/14) and Report Server ID (17), S7 SZL reads, CIP
//! List Identity / Get Attributes of the Identity object, BACnet Who-Is, and the other requests
//! the protocol states classify as identification.
//!
//! Vendor, product, firmware version and serial number tell an attacker which vulnerabilities and
//! exploits apply (T0888 Remote System Information Discovery); identification requests are what
//! ICS scanners such as Nmap's NSE scripts, `PLCScan` and Shodan's crawlers send first. Some
//! engineering tools and asset-inventory systems also ask regularly, hence severity 3: look at
//! who asks.
//!
//! One alert per client, server and function; repeats within the deduplication window are
//! counted into it.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 asked the Modbus device 127.0.1.11 to identify itself (modbus function read_device_identification, unit 1)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0888 Remote System Information Discovery: <https://attack.mitre.org/techniques/T0888/>
//! - ETSI EN 303 645 provision 5.6-2 (unauthenticated interfaces disclose minimal security-relevant information).
//! - IEC 62443-3-3 SR 7.7 (Least functionality).

use super::common::{device, op_evidence, op_tail};
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, OpClass, What};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_115,
    name: "identification_request",
    signature: "Device identification request",
    category: "Discovery",
    severity: 3,
    mitre: &["T0888"],
    etsi: &["5.6-2"],
    iec: &["SR 7.7"],
};

/// Alerts on every identification request.
#[derive(Debug, Default)]
pub(crate) struct IdentificationRequest;

impl Detection for IdentificationRequest {
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn kinds(&self) -> u16 {
        super::kind::OP
    }

    fn check(&mut self, obs: &Obs, cx: &mut Cx<'_>) {
        let (What::Op(op), Some(f)) = (&obs.what, &obs.flow) else {
            return;
        };
        if op.class != OpClass::Identify {
            return;
        }
        // With a baseline, a client that asked this during learning (an engineering station's
        // routine SZL reads, an OPC UA client browsing) is not reported again.
        if cx.baseline.is_some()
            && cx
                .pair_proto()
                .is_some_and(|p| p.functions.contains(&op.function))
        {
            return;
        }
        let cause = (f.client.ip, f.server.ip, op.function);
        cx.alert(&META, key(&cause), obs, || {
            let message = format!(
                "{} asked the {} {} to identify itself {}",
                f.client.ip,
                device(f.proto),
                f.server.ip,
                op_tail(f, op)
            );
            (message, op_evidence(f, op))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::IdentificationRequest;
    use crate::builtin::common::testkit::{flow, op, req, run};
    use crate::obs::{Op, OpClass};

    #[test]
    fn an_identification_request_alerts_once_with_a_count() {
        let f = flow("127.0.1.66", "127.0.1.11", "modbus");
        let o = Op {
            unit: Some(1),
            ..req(OpClass::Identify, 43, "read_device_identification")
        };
        let alerts = run(
            &mut IdentificationRequest,
            &[op(0, f, o.clone()), op(1, f, o)],
        );
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_115);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "127.0.1.66 asked the Modbus device 127.0.1.11 to identify itself (modbus function \
             read_device_identification, unit 1)"
        );
        assert_eq!(a.evidence["function_code"], 43);
        assert_eq!(a.evidence["client"], "127.0.1.66");
    }

    #[test]
    fn reads_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "modbus");
        let o = req(OpClass::Read, 3, "read_holding_registers");
        assert!(run(&mut IdentificationRequest, &[op(0, f, o)]).is_empty());
    }
}
