//! Shared helpers of the baseline detections (not a detection itself): evidence of a flow,
//! a readable name for an address.

use super::{key, Cx};
use crate::alert::Meta;
use crate::index::{VarIndex, VarKey};
use crate::obs::{FlowRef, Obs, Op, What};
use serde_json::{Map, Value};

/// Evidence of the flow: client, server, protocol, server port.
pub(crate) fn flow_evidence(f: &FlowRef) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("client".into(), f.client.ip.to_string().into());
    m.insert("server".into(), f.server.ip.to_string().into());
    m.insert("server_port".into(), f.server.port.into());
    m.insert("protocol".into(), f.proto.into());
    m
}

/// Evidence of an operation, added to `m`.
pub(crate) fn op_evidence(m: &mut Map<String, Value>, op: &Op) {
    m.insert("function".into(), op.function_name.into());
    m.insert("function_code".into(), op.function.into());
    m.insert("class".into(), op.class.name().into());
    if let Some(u) = op.unit {
        m.insert("unit".into(), u.into());
    }
    if !op.space.is_empty() {
        m.insert("space".into(), op.space.into());
    }
    if let Some(a) = op.address {
        m.insert("address".into(), a.into());
        m.insert("count".into(), op.count.into());
    }
    if let Some(n) = &op.name {
        m.insert("name".into(), n.to_string().into());
    }
    if !op.values.is_empty() {
        let vals: Vec<Value> = op.values.iter().take(16).map(|v| num(*v)).collect();
        m.insert("values".into(), Value::Array(vals));
    }
}

/// A JSON number, integral when the value is.
pub(crate) fn num(v: f64) -> Value {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        Value::from(v as i64)
    } else {
        Value::from(v)
    }
}

/// `holding register 10`, `ioa 4001`, `g41 index 2`; with the unit when there is one.
pub(crate) fn where_(op: &Op, address: u32) -> String {
    let space = op.space.replace('_', " ");
    match op.unit {
        Some(u) => format!("{space} {address} (unit {u})"),
        None => format!("{space} {address}"),
    }
}

/// A number as people write it (no `.0`).
pub(crate) fn show(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        format!("{}", v as i64)
    } else {
        let t = format!("{v:.3}");
        t.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Check every value an operation carries against the learned range of its variable; alert
/// with `meta` for those outside, on operations that write (`writing`) or read. `message`
/// words the alert from the operation, flow, address, value, value before and variable.
pub(crate) fn check_ranges(
    meta: &'static Meta,
    writing: bool,
    obs: &Obs,
    cx: &mut Cx<'_>,
    message: fn(&Op, &FlowRef, u32, f64, Option<f64>, &VarIndex) -> String,
) {
    let (Some(ix), What::Op(op), Some(f)) = (cx.baseline, &obs.what, &obs.flow) else {
        return;
    };
    let Some(a) = op.address else { return };
    if op.space.is_empty() || op.values.is_empty() || op.exception.is_some() {
        return;
    }
    // Reads feed one detection, writes the other: each value is looked up (and remembered as
    // the variable's last value) once.
    if op.class.modifies() != writing {
        return;
    }
    let Some(group) = ix.vars.get(&(f.server.ip, f.proto, op.unit, op.space)) else {
        return;
    };
    for (i, v) in op.values.iter().enumerate() {
        let addr = a.saturating_add(i as u32);
        let k: VarKey = (f.server.ip, f.proto, op.unit, op.space, addr);
        // Only variables of the baseline can be out of range, so only theirs are remembered.
        let Some(var) = group.get(&addr) else {
            continue;
        };
        let before = var.last.replace(Some(*v));
        if v.is_finite() && (*v < var.min || *v > var.max) {
            cx.alert(meta, key(&k), obs, || {
                let mut ev = flow_evidence(f);
                op_evidence(&mut ev, op);
                ev.insert("address".into(), addr.into());
                ev.insert("value_before".into(), before.map_or(Value::Null, num));
                ev.insert("value_after".into(), num(*v));
                ev.insert("learned_min".into(), num(var.seen[0]));
                ev.insert("learned_max".into(), num(var.seen[1]));
                ev.insert("allowed_min".into(), num(var.min));
                ev.insert("allowed_max".into(), num(var.max));
                (message(op, f, addr, *v, before, var), ev)
            });
        }
    }
}

/// `was 100; ` or nothing.
pub(crate) fn was(before: Option<f64>) -> String {
    before.map_or_else(String::new, |b| format!("was {}; ", show(b)))
}
