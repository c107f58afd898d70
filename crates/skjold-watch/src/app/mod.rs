//! Application-layer dispatch: which protocol a flow speaks, and the contract between the
//! transport layer (TCP reassembly, UDP datagrams) and each protocol's flow state.
//!
//! Each protocol keeps apart, as CONVENTIONS.md asks: its grammar (pure parsers in
//! `skjold-proto`), its flow state (a module here implementing [`AppState`], pairing requests
//! and responses into transactions), and its logging (a `log` function writing the EVE object).

pub(crate) mod modbus;
pub(crate) mod mqtt;

use crate::flow::FlowMeta;
use crate::json::JsonWriter;
use crate::output::Output;
use skjold_net::Ts;

/// Application protocols the engine recognises. Order is stable: it indexes counters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AppProto {
    /// Modbus/TCP (MBAP + PDU).
    Modbus,
    /// MQTT 3.1, 3.1.1 and 5.0.
    Mqtt,
}

impl AppProto {
    /// Every protocol, in counter order.
    pub const ALL: [AppProto; 2] = [AppProto::Modbus, AppProto::Mqtt];

    /// The EVE `app_proto` / `event_type` name.
    pub fn name(self) -> &'static str {
        match self {
            AppProto::Modbus => "modbus",
            AppProto::Mqtt => "mqtt",
        }
    }

    /// Parse a protocol name as used by `--log`.
    pub fn from_name(s: &str) -> Option<AppProto> {
        AppProto::ALL.into_iter().find(|p| p.name() == s)
    }

    /// Index into per-protocol counter arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Direction of application data relative to the flow's client (initiator) and server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Dir {
    /// From the client (initiator, master, requester) to the server.
    ToServer,
    /// From the server (responder, outstation, broker) to the client.
    ToClient,
}

/// One end of a flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// The initiator (Modbus client, MQTT client).
    Client,
    /// The responder (Modbus server, MQTT broker).
    Server,
}

/// A protocol's per-flow state, fed by the transport layer.
pub(crate) trait AppState {
    /// Parse in-order stream bytes of one direction (or one whole UDP datagram) and return how
    /// many bytes were consumed. Bytes not consumed are kept by the caller, up to the stream
    /// buffer cap, and offered again with more data appended: returning less than `input.len()`
    /// means "incomplete PDU, give me more". A parser that cannot make sense of the bytes must
    /// still make progress (consume them, flag an anomaly) rather than return 0 forever.
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize;

    /// `len` bytes are missing in `dir` (capture loss, a gap, or the buffer cap was hit): drop
    /// any partial PDU of that direction and resynchronise on the next bytes offered.
    fn gap(&mut self, dir: Dir, len: u64, ctx: &mut AppCtx<'_>);

    /// The flow ended (FIN/RST, idle timeout, eviction or end of input): log what is pending.
    fn close(&mut self, ctx: &mut AppCtx<'_>);
}

/// What an [`AppState`] may use while parsing: the current time, the flow, and the output.
pub(crate) struct AppCtx<'a> {
    /// Timestamp of the packet being processed.
    pub(crate) ts: Ts,
    /// The flow (addresses, ports, id, orientation).
    pub(crate) flow: &'a FlowMeta,
    /// Events, counters and asset updates.
    pub(crate) out: &'a mut Output,
    /// The protocol being parsed.
    pub(crate) proto: AppProto,
}

impl AppCtx<'_> {
    /// Whether per-PDU events of this protocol are written (`--log`). States should skip the
    /// work of building an event when this is false, but still count, pair and extract identity.
    pub(crate) fn log_enabled(&self) -> bool {
        self.out.log_enabled(self.proto)
    }

    /// Write one protocol event (`event_type` = protocol name). `from` is the direction of the
    /// PDU (or of the request, for a transaction), which decides EVE's `src_*`/`dest_*`.
    /// `body` writes the members of the protocol object (the object itself is opened and closed
    /// by the caller, named after the protocol).
    pub(crate) fn event(&mut self, from: Dir, body: impl FnOnce(&mut JsonWriter)) {
        self.out
            .app_event(self.ts, self.flow, from, self.proto, body);
    }

    /// Report an anomaly (malformed PDU, limit hit...): an EVE `anomaly` event and a count in
    /// `summary.json` under `errors`. `kind` is a stable `snake_case` name such as
    /// `"length_mismatch"` or `"too_many_transactions"`.
    pub(crate) fn anomaly(&mut self, from: Dir, kind: &'static str) {
        self.out
            .anomaly(self.ts, self.flow, from, Some(self.proto), kind);
    }

    /// Record an identity field of one end of the flow (for example `vendor`, `product_code`,
    /// `firmware`, `model`, `product`, `serial`) as revealed by this protocol.
    pub(crate) fn identity(&mut self, who: Endpoint, field: &'static str, value: &str) {
        self.out.identity(self.flow, who, field, value, self.proto);
    }

    /// Count one parsed PDU of this protocol (for statistics).
    pub(crate) fn count_pdu(&mut self) {
        self.out.count_pdu(self.proto);
    }
}

/// Test support shared by the protocol states' unit tests: one state fed through `AppState`
/// on a test flow, with an in-memory output.
#[cfg(test)]
pub(crate) mod testing {
    use super::{AppCtx, AppProto, AppState, Dir};
    use crate::flow::FlowMeta;
    use crate::output::Output;
    use skjold_net::Ts;

    /// A state under test.
    pub(crate) struct Harness<S> {
        pub(crate) flow: FlowMeta,
        pub(crate) out: Output,
        pub(crate) st: S,
        proto: AppProto,
    }

    impl<S: AppState> Harness<S> {
        pub(crate) fn with(st: S, proto: AppProto) -> Self {
            Harness {
                flow: FlowMeta::for_tests(),
                out: Output::for_tests(),
                st,
                proto,
            }
        }

        fn ctx<R>(&mut self, f: impl FnOnce(&mut S, &mut AppCtx<'_>) -> R) -> R {
            let mut ctx = AppCtx {
                ts: Ts(1_600_000_000_000_000),
                flow: &self.flow,
                out: &mut self.out,
                proto: self.proto,
            };
            f(&mut self.st, &mut ctx)
        }

        pub(crate) fn feed(&mut self, dir: Dir, bytes: &[u8]) -> usize {
            self.ctx(|st, c| st.parse(dir, bytes, c))
        }

        pub(crate) fn gap_of(&mut self, dir: Dir, len: u64) {
            self.ctx(|st, c| st.gap(dir, len, c));
        }

        pub(crate) fn close(&mut self) {
            self.ctx(S::close);
        }

        pub(crate) fn events(&mut self) -> Vec<serde_json::Value> {
            self.out.take_events()
        }

        /// Feed arbitrary chunks (bytes, to the client?, gap before?) as the TCP layer would:
        /// unconsumed bytes are offered again with the next chunk. Returns an error naming the
        /// first stream-contract violation: consuming more than offered, or keeping more than
        /// `max_left` bytes unconsumed (a stalled stream).
        pub(crate) fn drive(
            &mut self,
            chunks: Vec<(Vec<u8>, bool, bool)>,
            max_left: usize,
        ) -> Result<(), String> {
            let mut bufs: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
            for (bytes, to_client, gap) in chunks {
                let (dir, i) = if to_client {
                    (Dir::ToClient, 1)
                } else {
                    (Dir::ToServer, 0)
                };
                if gap {
                    bufs[i].clear();
                    self.gap_of(dir, 100);
                }
                bufs[i].extend_from_slice(&bytes);
                let n = self.feed(dir, &bufs[i]);
                if n > bufs[i].len() {
                    return Err(format!("consumed {n} of {} bytes", bufs[i].len()));
                }
                bufs[i].drain(..n);
                if bufs[i].len() > max_left {
                    return Err(format!("stalled on {} bytes", bufs[i].len()));
                }
            }
            self.close();
            let _ = self.events();
            Ok(())
        }
    }
}
