//! IEC 60870-5-104 identification: a single U-format TESTFR act APDU, answered by TESTFR con.
//! STARTDT is never sent, so the server never starts data transfer. No IEC-104 parser had been
//! merged into `skjold-proto` when this was written: the 6-byte APCI is checked here.

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};

/// TESTFR act.
pub(crate) const TESTFR_ACT: [u8; 6] = [0x68, 4, 0x43, 0, 0, 0];

/// Every request this probe can send.
pub(crate) fn requests() -> Vec<Vec<u8>> {
    vec![TESTFR_ACT.to_vec()]
}

fn split(b: &[u8]) -> Frame {
    if b.len() < 2 {
        return Frame::NeedMore;
    }
    if b[0] != 0x68 || b[1] < 4 {
        return Frame::Invalid("not an IEC-104 APCI".into());
    }
    Frame::Complete(2 + usize::from(b[1]))
}

pub(crate) async fn probe(_ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    let r = c.exchange(&TESTFR_ACT, split).await?;
    c.close().await;
    if r.get(2) == Some(&0x83) {
        svc.fact("testfr_con", true);
        svc.fact("auth_required", false);
        Ok(())
    } else {
        Err(ProbeError::Garbage(format!(
            "answer to TESTFR act is not TESTFR con ({:#04x})",
            r.get(2).copied().unwrap_or(0)
        )))
    }
}
