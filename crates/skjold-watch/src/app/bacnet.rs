//! BACnet/IP flow state: one EVE `bacnet` event per datagram (BVLC, NPDU, APDU and the decoded
//! service), confirmed requests paired with their responses, device identity from I-Am and
//! from ReadProperty/ReadPropertyMultiple acks on device objects.
//!
//! Grammar is `skjold_proto::bacnet` (ANSI/ASHRAE 135 Annex J, clauses 6, 20, 21). A confirmed
//! request waits for its answer (simple ack, complex ack, error, reject or abort with the same
//! invoke id from the peer) in a bounded list ([`MAX_PENDING`]; one more drops the oldest and
//! emits `too_many_transactions`). The answer's event carries `request {service, object_type,
//! instance, property}` of the request it closes. Segmented messages are logged with their
//! header (sequence number, window) but their service data is not reassembled or decoded.
//!
//! Identity, attributed to the sender of the I-Am or of the ack: `device_instance`,
//! `vendor_id` (I-Am, vendor-identifier), `vendor` (vendor-name), `model` (model-name),
//! `firmware` (firmware-revision), `software` (application-software-version), `name`
//! (object-name), `location`, `serial` (serial-number).
//!
//! Detection (when on): one `Op` per request: unconfirmed services at once (Who-Is/Who-Has
//! identify, broadcast when the BVLC function is a broadcast), confirmed requests when sent,
//! except reads (`ReadProperty`, `ReadPropertyMultiple`) reported with their answer (present-value
//! read, error code) or when the flow ends; `space` object type, `address` instance.
//!
//! Anomalies: `malformed` (BVLC, NPDU or APDU header unreadable), `malformed_service` (the
//! service data does not follow its grammar), `bvlc_length_mismatch` (the BVLC length differs
//! from the UDP payload's; the payload is decoded, as Wireshark does), `too_many_items` (more than `MAX_ITEMS` `ReadPropertyMultiple` entries),
//! `too_many_transactions`. EVE body: `docs/eve/bacnet.md`.

use super::{AppCtx, AppState, Dir, Endpoint};
use crate::flow::L4;
use crate::json::JsonWriter;
use skjold_detect::obs::{Control, Op, OpClass};
use skjold_detect::What;
use skjold_proto::bacnet::{
    decode_service, enable_disable_name, parse_apdu, parse_bvlc, parse_npdu,
    reinitialized_state_name, segmentation_name, AbortReason, Apdu, Bvlc, ConfirmedService, Npdu,
    ObjectId, ObjectType, PropertyId, PropertyRef, PropertyValue, RejectReason, Service,
    UnconfirmedService, Value,
};
use skjold_proto::Probe;
use std::collections::VecDeque;

/// Server ports on TCP (orientation and detection fallback).
pub(crate) const TCP_PORTS: &[u16] = &[];
/// Server ports on UDP.
pub(crate) const UDP_PORTS: &[u16] = &[47808];
/// Asset roles of the client and the server end.
pub(crate) const ROLES: (&str, &str) = ("bacnet_client", "bacnet_device");

/// Confirmed requests waiting for an answer, per flow.
pub(crate) const MAX_PENDING: usize = 64;
/// Longest identity or value text kept (characters).
const MAX_TEXT: usize = 256;

/// Port-independent detection on the first bytes of one direction (a whole datagram on UDP).
pub(crate) fn probe(_dir: Dir, l4: L4, data: &[u8]) -> Probe {
    match l4 {
        L4::Udp => skjold_proto::bacnet::probe(data),
        L4::Tcp => Probe::No,
    }
}

/// A new flow state.
pub(crate) fn new_state(_l4: L4) -> Box<dyn AppState + Send> {
    Box::new(BacnetState::default())
}

/// A confirmed request waiting for its answer.
#[derive(Debug, Clone, Copy)]
struct Pending {
    dir: Dir,
    invoke_id: u8,
    service: u8,
    target: Option<PropertyRef>,
    /// First reference of a `ReadPropertyMultiple` (for detection when it is not answered).
    first: Option<PropertyRef>,
}

/// BACnet state of one flow.
#[derive(Debug, Default)]
pub(crate) struct BacnetState {
    pending: VecDeque<Pending>,
}

fn sender(dir: Dir) -> Endpoint {
    match dir {
        Dir::ToServer => Endpoint::Client,
        Dir::ToClient => Endpoint::Server,
    }
}

fn service_name(a: &Apdu<'_>) -> Option<&'static str> {
    let s = a.service?;
    if a.pdu_type.0 == 1 {
        UnconfirmedService(s).name()
    } else {
        ConfirmedService(s).name()
    }
}

fn write_object(w: &mut JsonWriter, o: ObjectId) {
    w.set_uint("object_type_raw", u64::from(o.object_type.0));
    if let Some(n) = o.object_type.name() {
        w.set_str("object_type", n);
    }
    w.set_uint("instance", u64::from(o.instance));
}

fn write_ref(w: &mut JsonWriter, r: &PropertyRef) {
    write_object(w, r.object);
    w.set_uint("property_raw", u64::from(r.property.0));
    if let Some(n) = r.property.name() {
        w.set_str("property", n);
    }
    if let Some(i) = r.array_index {
        w.set_uint("array_index", u64::from(i));
    }
}

fn write_value(w: &mut JsonWriter, key: &str, v: &Value<'_>) {
    match *v {
        Value::Null => {
            w.set_null(key);
        }
        Value::Boolean(b) => {
            w.set_bool(key, b);
        }
        Value::Unsigned(u) | Value::Enumerated(u) => {
            w.set_uint(key, u);
        }
        Value::Signed(i) => {
            w.set_int(key, i);
        }
        Value::Real(f) => {
            w.set_float(key, f64::from(f));
        }
        Value::Double(f) => {
            w.set_float(key, f);
        }
        Value::OctetString(b) | Value::BitString(_, b) => {
            w.set_hex(key, b);
        }
        Value::CharacterString(..) => {
            if let Some(t) = v.text(MAX_TEXT) {
                w.set_str(key, &t);
            }
        }
        Value::Date(d) => {
            let s = format!("{}-{:02}-{:02}", 1900 + u32::from(d[0]), d[1], d[2]);
            w.set_str(key, &s);
        }
        Value::Time(t) => {
            let s = format!("{:02}:{:02}:{:02}.{:02}", t[0], t[1], t[2], t[3]);
            w.set_str(key, &s);
        }
        Value::ObjectIdentifier(o) => {
            w.open_object(key);
            write_object(w, o);
            w.close();
        }
        Value::Other => {}
    }
}

fn write_prop_value(w: &mut JsonWriter, p: &PropertyValue<'_>) {
    write_ref(w, &p.reference);
    if let Some(v) = &p.value {
        write_value(w, "value", v);
    }
    if p.value_count > 1 {
        w.set_uint("value_count", p.value_count as u64);
    }
    if let Some((c, e)) = p.error {
        w.open_object("error");
        w.set_uint("class_raw", u64::from(c.0));
        if let Some(n) = c.name() {
            w.set_str("class", n);
        }
        w.set_uint("code_raw", u64::from(e.0));
        if let Some(n) = e.name() {
            w.set_str("code", n);
        }
        w.close();
    }
}

fn write_bvlc(w: &mut JsonWriter, b: &Bvlc<'_>) {
    w.open_object("bvlc");
    w.set_uint("function_raw", u64::from(b.function.0));
    if let Some(n) = b.function.name() {
        w.set_str("function", n);
    }
    w.set_uint("length", u64::from(b.length));
    if let Some(c) = b.result_code {
        w.set_uint("result_code", u64::from(c));
    }
    if let Some([a, b2, c, d, p0, p1]) =
        b.original_address.and_then(|a| <[u8; 6]>::try_from(a).ok())
    {
        let s = format!("{a}.{b2}.{c}.{d}:{}", u16::from_be_bytes([p0, p1]));
        w.set_str("original_address", &s);
    }
    w.close();
}

fn write_npdu(w: &mut JsonWriter, n: &Npdu<'_>) {
    w.open_object("npdu");
    w.set_uint("version", u64::from(n.version));
    w.set_uint("control", u64::from(n.control));
    w.set_bool("expecting_reply", n.expecting_reply());
    w.set_uint("priority", u64::from(n.priority()));
    if let Some(d) = n.dnet {
        w.set_uint("dnet", u64::from(d));
        w.set_hex("dadr", n.dadr);
    }
    if let Some(s) = n.snet {
        w.set_uint("snet", u64::from(s));
        w.set_hex("sadr", n.sadr);
    }
    if let Some(h) = n.hop_count {
        w.set_uint("hop_count", u64::from(h));
    }
    if let Some(t) = n.message_type {
        w.set_uint("message_type_raw", u64::from(t.0));
        if let Some(name) = t.name() {
            w.set_str("message_type", name);
        }
    }
    if let Some(v) = n.vendor_id {
        w.set_uint("vendor_id", u64::from(v));
    }
    w.close();
}

fn write_apdu(w: &mut JsonWriter, a: &Apdu<'_>) {
    w.open_object("apdu");
    w.set_uint("type_raw", u64::from(a.pdu_type.0));
    if let Some(n) = a.pdu_type.name() {
        w.set_str("type", n);
    }
    if let Some(i) = a.invoke_id {
        w.set_uint("invoke_id", u64::from(i));
    }
    if matches!(a.pdu_type.0, 0 | 3) {
        w.set_bool("segmented", a.segmented());
        w.set_bool("more_follows", a.more_follows());
    }
    if a.pdu_type.0 == 0 {
        w.set_bool(
            "segmented_response_accepted",
            a.segmented_response_accepted(),
        );
        if let Some(m) = a.max_segments {
            w.set_uint("max_segments", u64::from(m));
        }
        if let Some(m) = a.max_apdu {
            w.set_uint("max_apdu_raw", u64::from(m));
        }
        if let Some(m) = a.max_apdu_octets() {
            w.set_uint("max_apdu", u64::from(m));
        }
    }
    if let Some(s) = a.sequence_number {
        w.set_uint("sequence_number", u64::from(s));
    }
    if let Some(s) = a.window_size {
        w.set_uint("window_size", u64::from(s));
    }
    if matches!(a.pdu_type.0, 4 | 7) {
        w.set_bool("server", a.server());
    }
    if a.pdu_type.0 == 4 {
        w.set_bool("nak", a.nak());
    }
    if let Some(s) = a.service {
        w.set_uint("service_raw", u64::from(s));
        if let Some(n) = service_name(a) {
            w.set_str("service", n);
        }
    }
    if let Some(r) = a.reason {
        w.set_uint("reason_raw", u64::from(r));
        let name = if a.pdu_type.0 == 6 {
            RejectReason(r).name()
        } else {
            AbortReason(r).name()
        };
        if let Some(n) = name {
            w.set_str("reason", n);
        }
    }
    w.close();
}

#[allow(clippy::too_many_lines, reason = "one arm per service")]
fn write_service(w: &mut JsonWriter, s: &Service<'_>) {
    match s {
        Service::WhoIs { low, high } => {
            w.open_object("who_is");
            if let Some(l) = low {
                w.set_uint("low_limit", u64::from(*l));
            }
            if let Some(h) = high {
                w.set_uint("high_limit", u64::from(*h));
            }
            w.close();
        }
        Service::IAm {
            device,
            max_apdu,
            segmentation,
            vendor_id,
        } => {
            w.open_object("i_am");
            w.set_uint("device_instance", u64::from(device.instance));
            w.set_uint("max_apdu", u64::from(*max_apdu));
            w.set_uint("segmentation_raw", u64::from(*segmentation));
            if let Some(n) = segmentation_name(*segmentation) {
                w.set_str("segmentation", n);
            }
            w.set_uint("vendor_id", u64::from(*vendor_id));
            w.close();
        }
        Service::WhoHas {
            low,
            high,
            object,
            name,
        } => {
            w.open_object("who_has");
            if let Some(l) = low {
                w.set_uint("low_limit", u64::from(*l));
            }
            if let Some(h) = high {
                w.set_uint("high_limit", u64::from(*h));
            }
            if let Some(o) = object {
                write_object(w, *o);
            }
            if let Some(n) = name {
                write_value(w, "object_name", n);
            }
            w.close();
        }
        Service::IHave {
            device,
            object,
            name,
        } => {
            w.open_object("i_have");
            w.set_uint("device_instance", u64::from(device.instance));
            write_object(w, *object);
            write_value(w, "object_name", name);
            w.close();
        }
        Service::ReadProperty(r) => {
            w.open_object("read_property");
            write_ref(w, r);
            w.close();
        }
        Service::ReadPropertyAck(p) => {
            w.open_object("read_property");
            write_prop_value(w, p);
            w.close();
        }
        Service::ReadPropertyMultiple(v, more) => {
            w.open_array("read_property_multiple");
            for r in v {
                w.start_object();
                write_ref(w, r);
                w.close();
            }
            w.close_array();
            if *more {
                w.set_bool("truncated", true);
            }
        }
        Service::ReadPropertyMultipleAck(v, more) => {
            w.open_array("read_property_multiple");
            for p in v {
                w.start_object();
                write_prop_value(w, p);
                w.close();
            }
            w.close_array();
            if *more {
                w.set_bool("truncated", true);
            }
        }
        Service::WriteProperty { value, priority } => {
            w.open_object("write_property");
            write_prop_value(w, value);
            if let Some(p) = priority {
                w.set_uint("priority", u64::from(*p));
            }
            w.close();
        }
        Service::DeviceCommunicationControl {
            duration,
            enable_disable,
            password,
        } => {
            w.open_object("device_communication_control");
            if let Some(d) = duration {
                w.set_uint("duration", u64::from(*d));
            }
            w.set_uint("enable_disable_raw", u64::from(*enable_disable));
            if let Some(n) = enable_disable_name(*enable_disable) {
                w.set_str("enable_disable", n);
            }
            w.set_bool("password_present", *password);
            w.close();
        }
        Service::ReinitializeDevice { state, password } => {
            w.open_object("reinitialize_device");
            w.set_uint("state_raw", u64::from(*state));
            if let Some(n) = reinitialized_state_name(*state) {
                w.set_str("state", n);
            }
            w.set_bool("password_present", *password);
            w.close();
        }
        Service::Error { class, code } => {
            w.open_object("error");
            w.set_uint("class_raw", u64::from(class.0));
            if let Some(n) = class.name() {
                w.set_str("class", n);
            }
            w.set_uint("code_raw", u64::from(code.0));
            if let Some(n) = code.name() {
                w.set_str("code", n);
            }
            w.close();
        }
        Service::Other => {}
    }
}

/// Identity from a property value of a device object.
fn identity_from(p: &PropertyValue<'_>, who: Endpoint, ctx: &mut AppCtx<'_>) {
    if p.reference.object.object_type != ObjectType::DEVICE || p.reference.array_index.is_some() {
        return;
    }
    let Some(v) = &p.value else { return };
    let field = match p.reference.property {
        PropertyId::VENDOR_NAME => "vendor",
        PropertyId::MODEL_NAME => "model",
        PropertyId::FIRMWARE_REVISION => "firmware",
        PropertyId::APPLICATION_SOFTWARE_VERSION => "software",
        PropertyId::OBJECT_NAME => "name",
        PropertyId::LOCATION => "location",
        PropertyId::SERIAL_NUMBER => "serial",
        PropertyId::VENDOR_IDENTIFIER => {
            if let Value::Unsigned(u) = v {
                ctx.identity(who, "vendor_id", &u.to_string());
            }
            return;
        }
        PropertyId::OBJECT_IDENTIFIER => {
            if let Value::ObjectIdentifier(o) = v {
                if o.object_type == ObjectType::DEVICE {
                    ctx.identity(who, "device_instance", &o.instance.to_string());
                }
            }
            return;
        }
        _ => return,
    };
    if let Some(t) = v.text(MAX_TEXT) {
        let t = t.trim();
        if !t.is_empty() {
            ctx.identity(who, field, t);
        }
    }
}

impl BacnetState {
    fn track(
        &mut self,
        dir: Dir,
        a: &Apdu<'_>,
        svc: Option<&Service<'_>>,
        ctx: &mut AppCtx<'_>,
    ) -> Option<Pending> {
        let invoke_id = a.invoke_id?;
        match a.pdu_type.0 {
            0 => {
                if a.segmented() && a.sequence_number != Some(0) {
                    return None;
                }
                if self.pending.len() >= MAX_PENDING {
                    if let Some(old) = self.pending.pop_front() {
                        if ctx.detecting() {
                            observe_read(&old, None, None, ctx);
                        }
                    }
                    ctx.anomaly(dir, "too_many_transactions");
                }
                let target = match svc {
                    Some(Service::ReadProperty(r)) => Some(*r),
                    Some(Service::WriteProperty { value, .. }) => Some(value.reference),
                    _ => None,
                };
                self.pending.push_back(Pending {
                    dir,
                    invoke_id,
                    service: a.service.unwrap_or(0),
                    target,
                    first: match svc {
                        Some(Service::ReadPropertyMultiple(v, _)) => v.first().copied(),
                        _ => None,
                    },
                });
                None
            }
            2 | 3 | 5..=7 => {
                if a.pdu_type.0 == 3 && a.more_follows() {
                    // Segments of a complex ack: the transaction closes with the last one.
                    return self
                        .pending
                        .iter()
                        .find(|p| p.dir != dir && p.invoke_id == invoke_id)
                        .copied();
                }
                let abort_from_client = a.pdu_type.0 == 7 && !a.server();
                let i = self.pending.iter().position(|p| {
                    p.invoke_id == invoke_id && ((p.dir != dir) ^ abort_from_client)
                })?;
                self.pending.remove(i)
            }
            _ => None,
        }
    }
}

impl AppState for BacnetState {
    fn parse(&mut self, dir: Dir, input: &[u8], ctx: &mut AppCtx<'_>) -> usize {
        let Ok(b) = parse_bvlc(input) else {
            ctx.anomaly(dir, "malformed");
            return input.len();
        };
        ctx.count_pdu();
        if b.length_mismatch {
            ctx.anomaly(dir, "bvlc_length_mismatch");
        }
        let npdu = match b.npdu.map(parse_npdu) {
            None => None,
            Some(Ok(n)) => Some(n),
            Some(Err(_)) => {
                ctx.anomaly(dir, "malformed");
                None
            }
        };
        let apdu = match npdu
            .filter(|n| !n.is_network_message())
            .map(|n| parse_apdu(n.payload))
        {
            None => None,
            Some(Ok(a)) => Some(a),
            Some(Err(_)) => {
                ctx.anomaly(dir, "malformed");
                None
            }
        };
        let service = match apdu.as_ref().map(decode_service) {
            None => None,
            Some(Ok(s)) => Some(s),
            Some(Err(_)) => {
                ctx.anomaly(dir, "malformed_service");
                None
            }
        };
        let who = sender(dir);
        match &service {
            Some(Service::IAm {
                device, vendor_id, ..
            }) => {
                ctx.identity(who, "device_instance", &device.instance.to_string());
                ctx.identity(who, "vendor_id", &vendor_id.to_string());
            }
            Some(Service::ReadPropertyAck(p)) => identity_from(p, who, ctx),
            Some(Service::ReadPropertyMultipleAck(v, more)) => {
                for p in v {
                    identity_from(p, who, ctx);
                }
                if *more {
                    ctx.anomaly(dir, "too_many_items");
                }
            }
            Some(Service::ReadPropertyMultiple(_, true)) => ctx.anomaly(dir, "too_many_items"),
            _ => {}
        }
        let req = apdu
            .as_ref()
            .and_then(|a| self.track(dir, a, service.as_ref(), ctx));
        if ctx.detecting() {
            if let Some(a) = &apdu {
                observe(dir, &b, a, service.as_ref(), req.as_ref(), ctx);
            }
        }
        if ctx.log_enabled() {
            ctx.event(dir, |w| {
                write_bvlc(w, &b);
                if let Some(n) = &npdu {
                    write_npdu(w, n);
                }
                if let Some(a) = &apdu {
                    write_apdu(w, a);
                }
                if let Some(s) = &service {
                    write_service(w, s);
                }
                if let Some(p) = req {
                    w.open_object("request");
                    w.set_uint("service_raw", u64::from(p.service));
                    if let Some(n) = ConfirmedService(p.service).name() {
                        w.set_str("service", n);
                    }
                    if let Some(t) = &p.target {
                        write_ref(w, t);
                    }
                    w.close();
                }
            });
        }
        input.len()
    }

    fn gap(&mut self, _dir: Dir, _len: u64, _ctx: &mut AppCtx<'_>) {}

    fn close(&mut self, ctx: &mut AppCtx<'_>) {
        if ctx.detecting() {
            for p in &self.pending {
                observe_read(p, None, None, ctx);
            }
        }
        self.pending.clear();
    }
}

/// A numeric BACnet value (real, double, unsigned, signed, enumerated, boolean).
fn number(v: Option<&Value<'_>>) -> Option<f64> {
    #[allow(
        clippy::cast_precision_loss,
        reason = "values are compared, not stored"
    )]
    match *v? {
        Value::Real(r) => Some(f64::from(r)),
        Value::Double(d) => Some(d),
        Value::Unsigned(u) | Value::Enumerated(u) => Some(u as f64),
        Value::Signed(i) => Some(i as f64),
        Value::Boolean(b) => Some(f64::from(u8::from(b))),
        _ => None,
    }
}

/// An [`Op`] on one property: `space` the object type, `address` the instance, `name` the
/// property when it is not present-value, `values` the value when `value` is numeric and
/// `with_value` allows it.
fn property_op(class: OpClass, service: u8, r: &PropertyRef, value: Option<f64>) -> Op {
    let mut o = Op {
        space: r.object.object_type.name().unwrap_or("proprietary"),
        address: Some(r.object.instance),
        count: 1,
        ..Op::new(
            class,
            u32::from(service),
            ConfirmedService(service).name().unwrap_or("unknown"),
        )
    };
    if r.property != PropertyId::PRESENT_VALUE {
        o.name = Some(match r.property.name() {
            Some(n) => n.into(),
            None => format!("property-{}", r.property.0).into_boxed_str(),
        });
    }
    o.values.extend(value);
    o
}

/// Report a read transaction (`ReadProperty`, `ReadPropertyMultiple`): from the ack, one [`Op`] per
/// property with the present-value read; otherwise (error, reject, abort, no answer) one from
/// the request's first reference, with the error code as exception.
fn observe_read(
    p: &Pending,
    answer: Option<&Service<'_>>,
    error: Option<u32>,
    ctx: &mut AppCtx<'_>,
) {
    if !matches!(p.service, 12 | 14) {
        // Other confirmed requests were reported when sent.
        return;
    }
    let present = |v: &PropertyValue<'_>| {
        if v.reference.property == PropertyId::PRESENT_VALUE {
            number(v.value.as_ref())
        } else {
            None
        }
    };
    match answer {
        Some(Service::ReadPropertyAck(v)) => {
            let o = property_op(OpClass::Read, p.service, &v.reference, present(v));
            ctx.observe(p.dir, What::Op(o));
        }
        Some(Service::ReadPropertyMultipleAck(vs, _)) => {
            for v in vs {
                let mut o = property_op(OpClass::Read, p.service, &v.reference, present(v));
                o.exception = v.error.map(|(_, c)| c.0);
                ctx.observe(p.dir, What::Op(o));
            }
        }
        _ => {
            let o = match p.target.or(p.first) {
                Some(r) => property_op(OpClass::Read, p.service, &r, None),
                None => Op::new(
                    OpClass::Read,
                    u32::from(p.service),
                    ConfirmedService(p.service).name().unwrap_or("unknown"),
                ),
            };
            ctx.observe(
                p.dir,
                What::Op(Op {
                    exception: error,
                    ..o
                }),
            );
        }
    }
}

/// Report a datagram to detection: one [`Op`] per request (unconfirmed services, confirmed
/// requests), reads when answered (or at the end of the flow), nothing for other answers.
fn observe(
    dir: Dir,
    b: &Bvlc<'_>,
    a: &Apdu<'_>,
    svc: Option<&Service<'_>>,
    req: Option<&Pending>,
    ctx: &mut AppCtx<'_>,
) {
    let Some(code) = a.service else {
        return;
    };
    match a.pdu_type.0 {
        // Unconfirmed request.
        1 => {
            let u = UnconfirmedService(code);
            let class = if matches!(u, UnconfirmedService::WHO_IS | UnconfirmedService::WHO_HAS) {
                OpClass::Identify
            } else {
                OpClass::Other
            };
            let broadcast = matches!(b.function.0, 4 | 9 | 11);
            let o = Op {
                broadcast,
                ..Op::new(class, u32::from(code), u.name().unwrap_or("unknown"))
            };
            ctx.observe(dir, What::Op(o));
        }
        // Confirmed request (its first segment).
        0 if !a.segmented() || a.sequence_number == Some(0) => {
            let name = ConfirmedService(code).name().unwrap_or("unknown");
            let o = match (code, svc) {
                // Reads are reported with their answer.
                (12 | 14, _) => return,
                (15, Some(Service::WriteProperty { value, .. })) => property_op(
                    OpClass::Write,
                    code,
                    &value.reference,
                    number(value.value.as_ref()),
                ),
                (15 | 16, _) => Op::new(OpClass::Write, u32::from(code), name),
                (17, _) => Op {
                    control: Some(Control::CommControl),
                    ..Op::new(OpClass::Control, u32::from(code), name)
                },
                (20, _) => {
                    let state = match svc {
                        Some(Service::ReinitializeDevice { state, .. }) => Some(*state),
                        _ => None,
                    };
                    Op {
                        // coldstart, warmstart; startbackup, endbackup; startrestore,
                        // endrestore, abortrestore; activate-changes.
                        control: match state {
                            Some(0 | 1) | None => Some(Control::Restart),
                            Some(2 | 3) => Some(Control::ProgramUpload),
                            Some(4..=6) => Some(Control::ProgramDownload),
                            Some(_) => None,
                        },
                        ..Op::new(OpClass::Control, u32::from(code), name)
                    }
                }
                (7, _) => Op {
                    control: Some(Control::Firmware),
                    ..Op::new(OpClass::Control, u32::from(code), name)
                },
                (6, _) => Op {
                    control: Some(Control::ProgramUpload),
                    ..Op::new(OpClass::Control, u32::from(code), name)
                },
                (5 | 28 | 30, _) => Op::new(OpClass::Subscribe, u32::from(code), name),
                _ => Op::new(OpClass::Other, u32::from(code), name),
            };
            ctx.observe(dir, What::Op(o));
        }
        // Answers: complete a read (a complex ack's last segment).
        2 | 3 | 5..=7 if !(a.pdu_type.0 == 3 && a.more_follows()) => {
            if let Some(p) = req {
                let error = match svc {
                    Some(Service::Error { code, .. }) => Some(code.0),
                    _ => None,
                };
                observe_read(p, svc, error, ctx);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::{BacnetState, MAX_PENDING};
    use crate::app::testing::anomalies;
    use crate::app::{AppProto, Dir};
    use serde_json::Value;
    use skjold_detect::obs::{Control, Op, OpClass};

    type Harness = crate::app::testing::Harness<BacnetState>;

    fn harness() -> Harness {
        Harness::with(BacnetState::default(), AppProto::Bacnet)
    }

    fn bacnet(ev: &[Value]) -> Vec<&Value> {
        ev.iter().filter(|e| e["event_type"] == "bacnet").collect()
    }

    fn identity(h: &Harness, field: &str) -> Vec<String> {
        h.out
            .assets
            .records()
            .iter()
            .filter_map(|a| a.identity.get(field).map(|f| f.value.clone()))
            .collect()
    }

    // Original-Unicast-NPDU, NPDU v1 expecting reply, confirmed request invoke 7,
    // readProperty device,1234 vendor-name.
    const RP_REQ: &[u8] = &[
        0x81, 0x0a, 0x00, 0x11, // BVLC: type, function 10, length 17
        0x01, 0x04, // NPDU: version 1, expecting reply
        0x00, 0x05, 0x07, 0x0c, // APDU: confirmed, max seg/apdu, invoke 7, readProperty
        0x0c, 0x02, 0x00, 0x04, 0xd2, // [0] object id device,1234
        0x19, 0x79, // [1] property 121 vendor-name
    ];
    // Complex ack, invoke 7, readProperty device,1234 vendor-name = "Acme".
    const RP_ACK: &[u8] = &[
        0x81, 0x0a, 0x00, 0x19, // BVLC: length 25
        0x01, 0x00, // NPDU
        0x30, 0x07, 0x0c, // APDU: complex ack, invoke 7, readProperty
        0x0c, 0x02, 0x00, 0x04, 0xd2, // [0] device,1234
        0x19, 0x79, // [1] vendor-name
        0x3e, // [3] opening
        0x75, 0x05, 0x00, b'A', b'c', b'm', b'e', // character string, UTF-8, "Acme"
        0x3f, // [3] closing
    ];
    // Original-Broadcast-NPDU I-Am device,1234, max APDU 1476, segmentation none, vendor 15.
    const I_AM: &[u8] = &[
        0x81, 0x0b, 0x00, 0x18, // BVLC: function 11, length 24
        0x01, 0x20, 0xff, 0xff, 0x00, 0xff, // NPDU: DNET 65535, DLEN 0, hop count 255
        0x10, 0x00, // unconfirmed, i-Am
        0xc4, 0x02, 0x00, 0x04, 0xd2, // object id
        0x22, 0x05, 0xc4, // unsigned 1476
        0x91, 0x03, // enumerated 3
        0x21, 0x0f, // unsigned 15
    ];

    #[test]
    fn read_property_ack_pairs_and_sets_vendor_identity() {
        let mut h = harness();
        h.feed(Dir::ToServer, RP_REQ);
        h.feed(Dir::ToClient, RP_ACK);
        let ev = h.events();
        let b = bacnet(&ev);
        assert_eq!(b.len(), 2, "{ev:?}");
        let q = &b[0]["bacnet"];
        assert_eq!(q["bvlc"]["function"], "Original-Unicast-NPDU");
        assert_eq!(q["npdu"]["expecting_reply"], true);
        assert_eq!(q["apdu"]["type"], "confirmed_request");
        assert_eq!(q["apdu"]["invoke_id"], 7);
        assert_eq!(q["apdu"]["service"], "readProperty");
        assert_eq!(q["read_property"]["object_type"], "device");
        assert_eq!(q["read_property"]["instance"], 1234);
        assert_eq!(q["read_property"]["property"], "vendor-name");
        let r = &b[1]["bacnet"];
        assert_eq!(r["apdu"]["type"], "complex_ack");
        assert_eq!(r["read_property"]["value"], "Acme");
        assert_eq!(r["request"]["service"], "readProperty");
        assert_eq!(r["request"]["property_raw"], 121);
        assert!(anomalies(&ev).is_empty());
        assert_eq!(identity(&h, "vendor"), ["Acme"]);
    }

    #[test]
    fn i_am_sets_device_instance_and_vendor_id() {
        let mut h = harness();
        h.feed(Dir::ToServer, I_AM);
        let ev = h.events();
        let b = bacnet(&ev);
        assert_eq!(b[0]["bacnet"]["i_am"]["device_instance"], 1234);
        assert_eq!(b[0]["bacnet"]["i_am"]["max_apdu"], 1476);
        assert_eq!(b[0]["bacnet"]["i_am"]["segmentation"], "no-segmentation");
        assert_eq!(b[0]["bacnet"]["i_am"]["vendor_id"], 15);
        assert_eq!(b[0]["bacnet"]["npdu"]["dnet"], 65535);
        assert_eq!(b[0]["bacnet"]["npdu"]["hop_count"], 255);
        assert_eq!(identity(&h, "device_instance"), ["1234"]);
        assert_eq!(identity(&h, "vendor_id"), ["15"]);
    }

    #[test]
    fn device_communication_control_and_its_error_pair_without_logging_the_password() {
        let mut h = harness();
        // DCC invoke 3: duration 5 min, disable, password "secret".
        let req = [
            0x81, 0x0a, 0x00, 0x14, 0x01, 0x04, // BVLC, NPDU
            0x00, 0x05, 0x03, 0x11, // confirmed, invoke 3, deviceCommunicationControl
            0x09, 0x05, 0x19, 0x01, // [0] 5, [1] disable
            0x2d, 0x07, 0x00, b's', b'e',
            b'c', // [2] password (truncated to 3 chars + charset)
        ];
        let mut req = req.to_vec();
        req[15] = 0x04; // extended length 4: charset + "sec"
        h.feed(Dir::ToServer, &req);
        // Error, invoke 3, class security (4), code password-failure (26).
        h.feed(
            Dir::ToClient,
            &[
                0x81, 0x0a, 0x00, 0x0d, 0x01, 0x00, 0x50, 0x03, 0x11, 0x91, 0x04, 0x91, 0x1a,
            ],
        );
        let ev = h.events();
        let b = bacnet(&ev);
        assert_eq!(b.len(), 2, "{ev:?}");
        let d = &b[0]["bacnet"]["device_communication_control"];
        assert_eq!(d["duration"], 5);
        assert_eq!(d["enable_disable"], "disable");
        assert_eq!(d["password_present"], true);
        assert!(!serde_json::to_string(&b[0])
            .unwrap_or_default()
            .contains("sec\""));
        let e = &b[1]["bacnet"];
        assert_eq!(e["error"]["class"], "security");
        assert_eq!(e["error"]["code"], "password-failure");
        assert_eq!(e["request"]["service"], "deviceCommunicationControl");
        assert!(h.st.pending.is_empty());
    }

    // Confirmed request invoke 9: readProperty analog-value,3 present-value.
    const RP_PV_REQ: &[u8] = &[
        0x81, 0x0a, 0x00, 0x11, 0x01, 0x04, // BVLC, NPDU
        0x00, 0x05, 0x09, 0x0c, // confirmed, invoke 9, readProperty
        0x0c, 0x00, 0x80, 0x00, 0x03, // [0] analog-value,3
        0x19, 0x55, // [1] present-value
    ];
    // Complex ack invoke 9: analog-value,3 present-value = real 21.5.
    const RP_PV_ACK: &[u8] = &[
        0x81, 0x0a, 0x00, 0x17, 0x01, 0x00, // BVLC, NPDU
        0x30, 0x09, 0x0c, // complex ack, invoke 9, readProperty
        0x0c, 0x00, 0x80, 0x00, 0x03, 0x19, 0x55, // analog-value,3 present-value
        0x3e, 0x44, 0x41, 0xac, 0x00, 0x00, 0x3f, // [3] real 21.5
    ];

    #[test]
    fn device_communication_control_is_a_control_op() {
        let mut h = harness();
        let dcc = [
            0x81, 0x0a, 0x00, 0x0e, 0x01, 0x04, // BVLC, NPDU
            0x00, 0x05, 0x03, 0x11, // confirmed, invoke 3, deviceCommunicationControl
            0x09, 0x05, 0x19, 0x01, // [0] 5 minutes, [1] disable
        ];
        h.feed(Dir::ToServer, &dcc);
        // ReinitializeDevice invoke 4, warmstart; startrestore.
        let reinit = |state: u8| {
            vec![
                0x81, 0x0a, 0x00, 0x0c, 0x01, 0x04, 0x00, 0x05, 0x04, 0x14, 0x09, state,
            ]
        };
        h.feed(Dir::ToServer, &reinit(1));
        h.feed(Dir::ToServer, &reinit(4));
        let ctl = |f: u32, n: &'static str, c: Control| Op {
            control: Some(c),
            ..Op::new(OpClass::Control, f, n)
        };
        assert_eq!(
            h.ops(),
            vec![
                (
                    true,
                    ctl(17, "deviceCommunicationControl", Control::CommControl)
                ),
                (true, ctl(20, "reinitializeDevice", Control::Restart)),
                (
                    true,
                    ctl(20, "reinitializeDevice", Control::ProgramDownload)
                ),
            ]
        );
    }

    #[test]
    fn who_is_broadcast_is_a_broadcast_identify_and_i_am_is_other() {
        let mut h = harness();
        h.feed(
            Dir::ToServer,
            &[0x81, 0x0b, 0x00, 0x08, 0x01, 0x00, 0x10, 0x08],
        );
        h.feed(Dir::ToClient, I_AM);
        assert_eq!(
            h.ops(),
            vec![
                (
                    true,
                    Op {
                        broadcast: true,
                        ..Op::new(OpClass::Identify, 8, "who-Is")
                    }
                ),
                (
                    false,
                    Op {
                        broadcast: true,
                        ..Op::new(OpClass::Other, 0, "i-Am")
                    }
                ),
            ]
        );
    }

    #[test]
    fn reads_are_observed_with_their_answer_and_writes_with_their_value() {
        let mut h = harness();
        h.feed(Dir::ToServer, RP_PV_REQ);
        assert!(h.ops().is_empty(), "a read waits for its answer");
        h.feed(Dir::ToClient, RP_PV_ACK);
        h.feed(Dir::ToServer, RP_REQ);
        h.feed(Dir::ToClient, RP_ACK);
        // writeProperty invoke 10: analog-value,3 present-value = real 21.5, priority 8.
        h.feed(
            Dir::ToServer,
            &[
                0x81, 0x0a, 0x00, 0x19, 0x01, 0x04, 0x00, 0x05, 0x0a, 0x0f, // writeProperty
                0x0c, 0x00, 0x80, 0x00, 0x03, 0x19, 0x55, // analog-value,3 present-value
                0x3e, 0x44, 0x41, 0xac, 0x00, 0x00, 0x3f, // real 21.5
                0x49, 0x08, // priority 8
            ],
        );
        // A read never answered is reported when the flow ends.
        h.feed(Dir::ToServer, RP_PV_REQ);
        h.close();
        let av = |class, f: u32, n: &'static str, values: Vec<f64>| Op {
            space: "analog-value",
            address: Some(3),
            count: 1,
            values,
            ..Op::new(class, f, n)
        };
        assert_eq!(
            h.ops(),
            vec![
                (true, av(OpClass::Read, 12, "readProperty", vec![21.5])),
                (
                    true,
                    Op {
                        space: "device",
                        address: Some(1234),
                        count: 1,
                        name: Some("vendor-name".into()),
                        ..Op::new(OpClass::Read, 12, "readProperty")
                    }
                ),
                (true, av(OpClass::Write, 15, "writeProperty", vec![21.5])),
                (true, av(OpClass::Read, 12, "readProperty", vec![])),
            ]
        );
    }

    #[test]
    fn nothing_is_observed_when_detection_is_off() {
        let mut h = harness();
        h.out.detect = false;
        h.feed(Dir::ToServer, RP_PV_REQ);
        h.feed(Dir::ToClient, RP_PV_ACK);
        h.feed(Dir::ToServer, RP_PV_REQ);
        h.feed(Dir::ToClient, I_AM);
        h.close();
        assert!(h.out.obs.is_empty());
        assert_eq!(bacnet(&h.events()).len(), 4);
    }

    #[test]
    fn abort_from_the_client_closes_its_own_request() {
        let mut h = harness();
        h.feed(Dir::ToServer, RP_REQ);
        // Abort, SRV=0 (sent by the client), invoke 7, reason 4.
        h.feed(
            Dir::ToServer,
            &[0x81, 0x0a, 0x00, 0x09, 0x01, 0x00, 0x70, 0x07, 0x04],
        );
        let ev = h.events();
        let b = bacnet(&ev);
        assert_eq!(
            b[1]["bacnet"]["apdu"]["reason"],
            "segmentation-not-supported"
        );
        assert_eq!(b[1]["bacnet"]["request"]["service"], "readProperty");
        assert!(h.st.pending.is_empty());
    }

    #[test]
    fn malformed_layers_are_reported() {
        let mut h = harness();
        h.feed(Dir::ToServer, &[0x82, 0x0a, 0x00, 0x04]); // not BVLC type 0x81
        h.feed(Dir::ToServer, &[0x81, 0x0a, 0x00, 0x06, 0x02, 0x00]); // NPDU version 2
                                                                      // ReadProperty without its property tag.
        h.feed(
            Dir::ToServer,
            &[
                0x81, 0x0a, 0x00, 0x0f, 0x01, 0x04, 0x00, 0x05, 0x01, 0x0c, 0x0c, 0x02, 0x00, 0x04,
                0xd2,
            ],
        );
        let ev = h.events();
        assert_eq!(
            anomalies(&ev),
            ["malformed", "malformed", "malformed_service"]
        );
    }

    #[test]
    fn pending_requests_are_bounded() {
        let mut h = harness();
        for i in 0..=MAX_PENDING {
            let mut p = RP_REQ.to_vec();
            p[8] = i as u8;
            h.feed(Dir::ToServer, &p);
        }
        assert_eq!(anomalies(&h.events()), ["too_many_transactions"]);
        assert_eq!(h.st.pending.len(), MAX_PENDING);
    }
}
