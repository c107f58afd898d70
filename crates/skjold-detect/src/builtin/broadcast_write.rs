//! **`broadcast_write`** (8200111, severity 2). Detects a write or a command sent to a broadcast
//! address: Modbus unit 0, DNP3 destinations 0xFFFD to 0xFFFF, IEC-104 common address 0xFFFF,
//! as the protocol states mark them (`Op::broadcast`).
//!
//! A broadcast write changes the same registers or points on every device behind a gateway or on
//! a serial line at once, and no device answers it, so the sender never learns (and the
//! operators never see) whether it worked. Attackers use it to change or toggle many outputs in
//! one message (T0855 Unauthorized Command Message, T0806 Brute Force I/O). Legitimate uses, such
//! as a time synchronisation to every station, are few and regular, hence severity 2.
//!
//! One alert per client, server and function; repeats within the deduplication window are
//! counted into it.
//!
//! Example alert message:
//!
//! ```text
//! 127.0.1.66 sent a broadcast write to every unit behind the Modbus device 127.0.1.11 (modbus function write_single_register, unit 0)
//! ```
//!
//! References:
//! - MITRE ATT&CK for ICS T0855 Unauthorized Command Message: <https://attack.mitre.org/techniques/T0855/>
//! - MITRE ATT&CK for ICS T0806 Brute Force I/O: <https://attack.mitre.org/techniques/T0806/>
//! - ETSI EN 303 645 provision 5.5-4 (network access to device functions only after authentication and authorization).
//! - IEC 62443-3-3 SR 2.1 (Authorization enforcement), SR 5.1 (Network segmentation).

use super::common::{device, op_evidence, op_tail};
use super::{key, Cx, Detection};
use crate::alert::Meta;
use crate::obs::{Obs, OpClass, What};

/// The detection's description.
pub(crate) static META: Meta = Meta {
    sid: 8_200_111,
    name: "broadcast_write",
    signature: "Write or command sent to a broadcast address",
    category: "Unauthorized command",
    severity: 2,
    mitre: &["T0855", "T0806"],
    etsi: &["5.5-4"],
    iec: &["SR 2.1", "SR 5.1"],
};

/// Alerts on every broadcast write or command.
#[derive(Debug, Default)]
pub(crate) struct BroadcastWrite;

impl Detection for BroadcastWrite {
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
        if !op.broadcast || !matches!(op.class, OpClass::Write | OpClass::Control) {
            return;
        }
        let cause = (f.client.ip, f.server.ip, op.function);
        cx.alert(&META, key(&cause), obs, || {
            let what = if op.class == OpClass::Write {
                "write"
            } else {
                "command"
            };
            let message = format!(
                "{} sent a broadcast {what} to every unit behind the {} {} {}",
                f.client.ip,
                device(f.proto),
                f.server.ip,
                op_tail(f, op)
            );
            let mut e = op_evidence(f, op);
            e.insert("class".into(), op.class.name().into());
            e.insert("broadcast".into(), true.into());
            (message, e)
        });
    }
}

#[cfg(test)]
mod tests {
    use super::BroadcastWrite;
    use crate::builtin::common::testkit::{flow, op, req, run};
    use crate::obs::{Op, OpClass};

    fn write(broadcast: bool, class: OpClass) -> Op {
        Op {
            unit: Some(u32::from(!broadcast)),
            broadcast,
            address: Some(100),
            count: 1,
            values: vec![7.0],
            ..req(class, 6, "write_single_register")
        }
    }

    #[test]
    fn a_broadcast_write_alerts_once_with_a_count() {
        let f = flow("127.0.1.66", "127.0.1.11", "modbus");
        let w = write(true, OpClass::Write);
        let alerts = run(&mut BroadcastWrite, &[op(0, f, w.clone()), op(10, f, w)]);
        assert_eq!(alerts.len(), 1);
        let a = &alerts[0];
        assert_eq!(a.meta.sid, 8_200_111);
        assert_eq!(a.count, 2);
        assert_eq!(
            a.message,
            "127.0.1.66 sent a broadcast write to every unit behind the Modbus device 127.0.1.11 \
             (modbus function write_single_register, unit 0)"
        );
        assert_eq!(a.evidence["client"], "127.0.1.66");
        assert_eq!(a.evidence["function_code"], 6);
        assert_eq!(a.evidence["unit"], 0);
        assert_eq!(a.evidence["class"], "write");
    }

    #[test]
    fn a_broadcast_command_is_called_a_command() {
        let f = flow("127.0.1.66", "127.0.1.11", "iec104");
        let c = Op {
            unit: Some(0xffff),
            broadcast: true,
            ..req(OpClass::Control, 45, "C_SC_NA_1")
        };
        let alerts = run(&mut BroadcastWrite, &[op(0, f, c)]);
        assert_eq!(
            alerts[0].message,
            "127.0.1.66 sent a broadcast command to every unit behind the IEC-104 station \
             127.0.1.11 (iec104 function C_SC_NA_1, unit 65535)"
        );
    }

    #[test]
    fn unicast_writes_and_broadcast_reads_do_not_alert() {
        let f = flow("127.0.1.66", "127.0.1.11", "modbus");
        let read = Op {
            broadcast: true,
            ..req(OpClass::Read, 3, "read_holding_registers")
        };
        let alerts = run(
            &mut BroadcastWrite,
            &[op(0, f, write(false, OpClass::Write)), op(1, f, read)],
        );
        assert!(alerts.is_empty());
    }
}
