//! IEC 60870-5-104 identification: a single U-format TESTFR act APDU, answered by TESTFR con.
//! STARTDT is never sent, so the server never starts data transfer. Answers are parsed with
//! `skjold_proto::iec104`.

use super::Ctx;
use crate::model::Service;
use crate::net::{Conn, Frame, PResult, ProbeError};
use skjold_proto::iec104::{self, Apci, UFunction};
use skjold_proto::ParseError;

/// TESTFR act.
pub(crate) const TESTFR_ACT: [u8; 6] = [0x68, 4, 0x43, 0, 0, 0];

/// Every request this probe can send.
pub(crate) fn requests() -> Vec<Vec<u8>> {
    vec![TESTFR_ACT.to_vec()]
}

fn split(b: &[u8]) -> Frame {
    match iec104::parse_apdu(b) {
        Ok((rest, _)) => Frame::Complete(b.len() - rest.len()),
        Err(ParseError::Incomplete(_)) => Frame::NeedMore,
        Err(e) => Frame::Invalid(format!("IEC-104: {e}")),
    }
}

pub(crate) async fn probe(_ctx: &Ctx, mut c: Conn, svc: &mut Service) -> PResult<()> {
    let r = c.exchange(&TESTFR_ACT, split).await?;
    c.close().await;
    let (_, apdu) =
        iec104::parse_apdu(&r).map_err(|e| ProbeError::Garbage(format!("IEC-104: {e}")))?;
    match apdu.apci {
        Apci::U(f) if f == UFunction::TESTFR_CON => {
            svc.fact("testfr_con", true);
            svc.fact("auth_required", false);
            Ok(())
        }
        other => Err(ProbeError::Garbage(format!(
            "answer to TESTFR act is a {}-format APDU, not TESTFR con",
            other.format()
        ))),
    }
}
