//! S7comm-plus flow state (S7-1200/1500, port 102): the TPKT/COTP layer shared with S7comm
//! (`super::s7comm::Tpkt`, DT reassembly) and one EVE `s7comm_plus` event per PDU (a COTP TSDU
//! starting with protocol id `0x72`) or COTP connection TPDU.
//!
//! Grammar is `skjold_proto::s7comm::parse_s7plus`: protocol version, data length, opcode
//! (request, response, notification), function code and sequence number. The payload (object
//! and attribute trees, integrity parts) is not decoded. Anomalies: `malformed` (a byte run
//! that is not TPKT), `bad_cotp`, `cotp_reassembly_limit`, `unknown_protocol_id` (a TSDU that
//! is not S7comm-plus). EVE layout: `docs/eve/s7comm_plus.md`. Detection (when on): one `Op`
//! per request (Get/Explore read, Set write, `CreateObject` connect).

use super::s7comm::{log_cotp, probe_family, Tpkt, Unit};
use super::{AppCtx, AppState, Dir};
use crate::flow::L4;
use skjold_detect::obs::{Op, OpClass};
use skjold_detect::What;
use skjold_proto::s7comm::{parse_s7plus, Opcode, PlusPdu};
use skjold_proto::Probe;

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[102];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("s7plus_client", "s7plus_plc");

/// Port-independent detection: TPKT/COTP whose first DT carries protocol id `0x72`.
/// `NeedMore` while only connection TPDUs were seen.
pub(crate) fn probe(_dir: Dir, l4: L4, data: &[u8]) -> Probe {
    if l4 != L4::Tcp {
        return Probe::No;
    }
    match probe_family(data) {
        Ok(Some(0x72)) => Probe::Yes,
        Ok(_) => Probe::No,
        Err(()) => Probe::NeedMore,
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(S7PlusState::default())
}

/// S7comm-plus state of one flow.
#[derive(Debug, Default)]
pub(crate) struct S7PlusState {
    tpkt: Tpkt,
}

impl AppState for S7PlusState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        self.tpkt.parse(dir, input, ctx, &mut |u, ctx| match u {
            Unit::Control(c) => {
                ctx.count_pdu();
                if ctx.log_enabled() {
                    ctx.event(dir, |w| log_cotp(w, &c));
                }
            }
            Unit::Tsdu(t) => match parse_s7plus(t) {
                Ok(p) => {
                    ctx.count_pdu();
                    if ctx.detecting() {
                        observe(dir, &p, ctx);
                    }
                    if ctx.log_enabled() {
                        ctx.event(dir, |w| log_pdu(w, &p, t.len()));
                    }
                }
                Err(_) => ctx.anomaly(dir, "unknown_protocol_id"),
            },
        })
    }

    fn gap(&mut self, dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {
        self.tpkt.gap(dir);
    }

    fn close(&mut self, _ctx: &mut AppCtx<'_>) {}
}

/// What a request's function does: variable reads and writes, object creation (a session) and
/// the rest.
fn class(function: u16) -> OpClass {
    match function {
        // GetVariable, GetMultiVariables, Explore, GetVarSubStreamed.
        0x04fc | 0x054c | 0x04bb | 0x0586 => OpClass::Read,
        // SetVariable, SetMultiVariables, SetVarSubStreamed.
        0x04f2 | 0x0542 | 0x057c => OpClass::Write,
        // CreateObject (the session object).
        0x04ca => OpClass::Connect,
        _ => OpClass::Other,
    }
}

/// Report a request (opcode `0x31`) to detection: one [`Op`] per request.
fn observe(dir: Dir, p: &PlusPdu, ctx: &mut AppCtx<'_>) {
    if p.opcode != Some(Opcode(0x31)) {
        return;
    }
    if let Some(f) = p.function {
        let op = Op::new(class(f.0), u32::from(f.0), f.name());
        ctx.observe(dir, What::Op(op));
    }
}

fn log_pdu(w: &mut crate::json::JsonWriter, p: &PlusPdu, len: usize) {
    w.set_uint("protocol_version", u64::from(p.version));
    w.set_uint("data_length", u64::from(p.data_len));
    w.set_uint("pdu_length", len as u64);
    if let Some(op) = p.opcode {
        w.set_uint("opcode_raw", u64::from(op.0));
        w.set_str("opcode", op.name());
    }
    if let Some(f) = p.function {
        w.set_uint("function_raw", u64::from(f.0));
        w.set_str("function", f.name());
    }
    if let Some(s) = p.sequence {
        w.set_uint("sequence", u64::from(s));
    }
    w.set_bool("trailer", p.has_trailer);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::testing::Harness;
    use crate::app::AppProto;

    fn dt(b: &[u8]) -> Vec<u8> {
        let mut v = vec![3, 0, 0, 0, 2, 0xf0, 0x80];
        v.extend_from_slice(b);
        let n = v.len() as u16;
        v[2..4].copy_from_slice(&n.to_be_bytes());
        v
    }

    // V2 SetMultiVariables request, sequence 2, with trailer.
    const REQ: [u8; 18] = [
        0x72, 2, 0, 10, 0x31, 0, 0, 0x05, 0x42, 0, 0, 0, 2, 0, 0x72, 2, 0, 0,
    ];

    #[test]
    fn probe_decides_on_0x72() {
        assert_eq!(probe(Dir::ToServer, L4::Tcp, &dt(&REQ)), Probe::Yes);
        assert_eq!(
            super::super::s7comm::probe(Dir::ToServer, L4::Tcp, &dt(&REQ)),
            Probe::No
        );
        assert_eq!(
            probe(Dir::ToServer, L4::Tcp, &dt(&REQ)[..5]),
            Probe::NeedMore
        );
    }

    #[test]
    fn request_is_logged_with_opcode_function_and_sequence() {
        let mut h = Harness::with(S7PlusState::default(), AppProto::S7commPlus);
        h.feed(Dir::ToServer, &dt(&REQ));
        let ev = h.events();
        let e = &ev
            .iter()
            .find(|e| e["event_type"] == "s7comm_plus")
            .expect("event")["s7comm_plus"];
        assert_eq!(e["protocol_version"], 2);
        assert_eq!(e["opcode"], "request");
        assert_eq!(e["function"], "SetMultiVariables");
        assert_eq!(e["function_raw"], 0x0542);
        assert_eq!(e["sequence"], 2);
        assert_eq!(e["trailer"], true);
    }

    /// A V1 PDU with opcode `op`, function `f`, sequence 1.
    fn pdu(op: u8, f: u16) -> Vec<u8> {
        let [a, b] = f.to_be_bytes();
        dt(&[0x72, 1, 0, 10, op, 0, 0, a, b, 0, 0, 0, 1, 0, 0x72, 1, 0, 0])
    }

    #[test]
    fn requests_are_observed_by_class_and_responses_are_not() {
        let mut h = Harness::with(S7PlusState::default(), AppProto::S7commPlus);
        h.feed(Dir::ToServer, &pdu(0x31, 0x04ca));
        h.feed(Dir::ToClient, &pdu(0x32, 0x04ca));
        h.feed(Dir::ToServer, &dt(&REQ));
        h.feed(Dir::ToServer, &pdu(0x31, 0x054c));
        h.feed(Dir::ToServer, &pdu(0x31, 0x04d4));
        h.feed(Dir::ToClient, &pdu(0x33, 0x054c));
        assert_eq!(
            h.ops(),
            vec![
                (true, Op::new(OpClass::Connect, 0x04ca, "CreateObject")),
                (true, Op::new(OpClass::Write, 0x0542, "SetMultiVariables")),
                (true, Op::new(OpClass::Read, 0x054c, "GetMultiVariables")),
                (true, Op::new(OpClass::Other, 0x04d4, "DeleteObject")),
            ]
        );
    }

    #[test]
    fn nothing_is_observed_when_detection_is_off() {
        let mut h = Harness::with(S7PlusState::default(), AppProto::S7commPlus);
        h.out.detect = false;
        h.feed(Dir::ToServer, &dt(&REQ));
        assert!(h.out.obs.is_empty());
        assert_eq!(h.events().len(), 1);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Arbitrary chunks never panic and never stall beyond one TPKT.
        #[test]
        fn arbitrary_stream_never_stalls(
            chunks in proptest::collection::vec(
                (proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
                 proptest::prelude::any::<bool>(),
                 proptest::prelude::any::<bool>()),
                0..12,
            ),
        ) {
            let mut h = Harness::with(S7PlusState::default(), AppProto::S7commPlus);
            let r = h.drive(chunks, 65_535);
            proptest::prop_assert!(r.is_ok(), "{:?}", r);
        }
    }
}
