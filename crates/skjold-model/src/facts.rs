//! Facts that rule conditions test: an index over the model and the named fields of each subject
//! (element, flow, zone, conduit, model). The field tables here are the vocabulary of the rule
//! language and are listed in docs/model.md; unknown field names are rejected when a rule loads.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;

use crate::model::{Conduit, Element, Flow, Model, Zone, ZoneKind};

/// A value of a fact.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Yes or no.
    Bool(bool),
    /// A number (levels are ranks 0..3: none, low, medium, high).
    Num(f64),
    /// A word.
    Str(String),
    /// A set of words.
    List(Vec<String>),
    /// Not set.
    Null,
}

impl Value {
    /// As JSON, for evidence.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Bool(b) => (*b).into(),
            Self::Num(n) if n.fract() == 0.0 => (*n as i64).into(),
            Self::Num(n) => (*n).into(),
            Self::Str(s) => s.clone().into(),
            Self::List(l) => l.clone().into(),
            Self::Null => serde_json::Value::Null,
        }
    }
}

/// What a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectKind {
    /// Each element.
    Element,
    /// Each data flow.
    Flow,
    /// Each zone.
    Zone,
    /// Each conduit.
    Conduit,
    /// The model as a whole.
    Model,
}

/// One thing a rule is evaluated on.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'m> {
    /// An element.
    Element(&'m Element),
    /// A flow.
    Flow(&'m Flow),
    /// A zone.
    Zone(&'m Zone),
    /// A conduit.
    Conduit(&'m Conduit),
    /// The whole model.
    Model,
}

impl Subject<'_> {
    /// The target id of a finding on this subject.
    pub fn id(&self) -> &str {
        match self {
            Self::Element(e) => &e.id,
            Self::Flow(f) => &f.id,
            Self::Zone(z) => &z.id,
            Self::Conduit(c) => &c.id,
            Self::Model => "model",
        }
    }
}

/// Element fields (also under `source.` and `target.` for flows).
pub const ELEMENT_FIELDS: &[&str] = &[
    "id",
    "kind",
    "zone",
    "zone_kind",
    "zone_untrusted",
    "exposure",
    "criticality.safety",
    "criticality.availability",
    "criticality.integrity",
    "criticality.confidentiality",
    "criticality.max",
    "update",
    "signed_updates",
    "default_credentials",
    "shared_credentials",
    "debug_interfaces",
    "secure_element",
    "stores_secrets",
    "end_of_life",
    "logging",
    "storage_encrypted",
    "stores",
    "redundant",
    "supplier",
    "safety_functions",
    "sole_safety_function",
    "inbound_zone_kinds",
    "outbound_zone_kinds",
    "untrusted_inbound",
    "inbound_write_from_zone_kinds",
    "inbound_protocol_classes",
    "flows_in",
    "flows_out",
];
/// Flow fields.
pub const FLOW_FIELDS: &[&str] = &[
    "id",
    "protocol",
    "protocol_class",
    "port",
    "encrypted",
    "authenticated",
    "mutual_auth",
    "write",
    "direction",
    "purpose",
    "data",
    "crosses_zones",
    "conduit_declared",
    "conduit_encrypted",
    "conduit_sl_target",
    "from_zone_kind",
    "to_zone_kind",
    "it_to_ot_direct",
    "untrusted_source",
    "into_untrusted",
    "max_zone_sl_target",
    "cleartext_protocol",
];
/// Zone fields.
pub const ZONE_FIELDS: &[&str] = &[
    "id",
    "kind",
    "sl_target",
    "element_count",
    "element_kinds",
    "connected_zone_kinds",
    "logging_elements",
    "has_boundary_device",
    "undeclared_crossings",
];
/// Conduit fields.
pub const CONDUIT_FIELDS: &[&str] = &[
    "id",
    "sl_target",
    "zone_kinds",
    "max_zone_sl_target",
    "encrypted",
    "has_boundary_device",
    "flow_count",
    "untrusted_side",
    "sl_gap",
];
/// Model fields.
pub const MODEL_FIELDS: &[&str] = &[
    "has_dmz",
    "zone_count",
    "has_it_zone",
    "has_ot_zone",
    "it_ot_direct_flows",
    "element_count",
    "logging_elements",
    "has_safety_elements",
    "has_supplier_elements",
];

/// Industrial protocols (lower-case names and common aliases).
const INDUSTRIAL: &[&str] = &[
    "modbus",
    "modbus-tcp",
    "modbus-rtu",
    "umas",
    "s7comm",
    "s7",
    "s7commplus",
    "dnp3",
    "enip",
    "ethernet-ip",
    "cip",
    "iec104",
    "iec-104",
    "iec60870-5-104",
    "iec61850",
    "mms",
    "goose",
    "bacnet",
    "profinet",
    "opcda",
    "opc-da",
    "opcua",
    "opc-ua",
    "fins",
    "melsec",
    "hart-ip",
    "fox",
    "ads",
    "codesys",
    "c37118",
    "srtp",
    "gesrtp",
    "pccc",
    "nmea",
    "nmea2000",
    "canbus",
];
const IOT: &[&str] = &[
    "mqtt", "mqtts", "coap", "coaps", "amqp", "amqps", "lwm2m", "zigbee", "lorawan", "xmpp",
];
const REMOTE: &[&str] = &[
    "rdp",
    "vnc",
    "teamviewer",
    "anydesk",
    "ssh",
    "telnet",
    "citrix",
    "vpn",
    "ipsec",
    "wireguard",
    "openvpn",
    "splashtop",
];
const WEB: &[&str] = &["http", "https", "rest", "websocket", "wss", "grpc", "soap"];
const FILE: &[&str] = &["ftp", "ftps", "sftp", "smb", "tftp", "nfs", "scp"];
const MANAGEMENT: &[&str] = &[
    "snmp", "syslog", "ntp", "dns", "ldap", "ldaps", "kerberos", "dhcp",
];
/// Protocols that are encrypted by design, so `encrypted: true` need not be written.
const ALWAYS_ENCRYPTED: &[&str] = &[
    "https",
    "ssh",
    "sftp",
    "scp",
    "ftps",
    "mqtts",
    "coaps",
    "amqps",
    "ldaps",
    "wss",
    "ipsec",
    "wireguard",
    "openvpn",
    "vpn",
    "tls",
];
/// Protocols that carry credentials or commands in clear by design.
const CLEARTEXT: &[&str] = &["telnet", "ftp", "tftp", "http", "snmp", "vnc", "rlogin"];

/// The class of a protocol name: industrial, iot, remote_access, web, file, management, other.
pub fn protocol_class(p: &str) -> &'static str {
    let p = p.to_ascii_lowercase();
    let p = p.as_str();
    if INDUSTRIAL.contains(&p) {
        "industrial"
    } else if IOT.contains(&p) {
        "iot"
    } else if REMOTE.contains(&p) {
        "remote_access"
    } else if WEB.contains(&p) {
        "web"
    } else if FILE.contains(&p) {
        "file"
    } else if MANAGEMENT.contains(&p) {
        "management"
    } else {
        "other"
    }
}

/// Whether a protocol name is one that is always encrypted (https, ssh, mqtts, VPNs, ...).
pub fn protocol_always_encrypted(p: &str) -> bool {
    ALWAYS_ENCRYPTED.contains(&p.to_ascii_lowercase().as_str())
}

/// Whether a flow is encrypted, as declared or by its protocol.
pub fn flow_encrypted(f: &Flow) -> bool {
    f.encrypted || ALWAYS_ENCRYPTED.contains(&f.protocol.to_ascii_lowercase().as_str())
}

/// Lookups over a model, built once per check.
#[derive(Debug)]
pub struct Index<'m> {
    /// The model.
    pub model: &'m Model,
    /// Elements by id.
    pub elements: HashMap<&'m str, &'m Element>,
    /// Zones by id.
    pub zones: HashMap<&'m str, &'m Zone>,
    /// Conduits by id.
    pub conduits: HashMap<&'m str, &'m Conduit>,
    /// Flows into each element.
    pub inbound: HashMap<&'m str, Vec<&'m Flow>>,
    /// Flows out of each element.
    pub outbound: HashMap<&'m str, Vec<&'m Flow>>,
    /// Data classification by data asset id.
    pub data_class: HashMap<&'m str, &'static str>,
    /// How many elements perform each safety function.
    pub safety_fn_count: HashMap<&'m str, usize>,
}

impl<'m> Index<'m> {
    /// Builds the index.
    pub fn new(model: &'m Model) -> Self {
        let mut inbound: HashMap<&str, Vec<&Flow>> = HashMap::default();
        let mut outbound: HashMap<&str, Vec<&Flow>> = HashMap::default();
        for f in &model.flows {
            inbound.entry(f.to.as_str()).or_default().push(f);
            outbound.entry(f.from.as_str()).or_default().push(f);
        }
        let mut safety_fn_count: HashMap<&str, usize> = HashMap::default();
        for e in &model.elements {
            for s in &e.safety_functions {
                *safety_fn_count.entry(s.as_str()).or_default() += 1;
            }
        }
        Self {
            model,
            elements: model.elements.iter().map(|e| (e.id.as_str(), e)).collect(),
            zones: model.zones.iter().map(|z| (z.id.as_str(), z)).collect(),
            conduits: model.conduits.iter().map(|c| (c.id.as_str(), c)).collect(),
            inbound,
            outbound,
            data_class: model
                .data_assets
                .iter()
                .map(|d| (d.id.as_str(), d.classification.as_str()))
                .collect(),
            safety_fn_count,
        }
    }

    /// Zone of an element.
    pub fn zone_of(&self, element: &str) -> Option<&'m Zone> {
        self.elements
            .get(element)
            .and_then(|e| self.zones.get(e.zone.as_str()).copied())
    }

    /// Zone kind of an element.
    pub fn zone_kind_of(&self, element: &str) -> Option<ZoneKind> {
        self.zone_of(element).map(|z| z.kind)
    }

    /// The conduit a flow uses: its declared one, or the one joining its two zones.
    pub fn conduit_of(&self, f: &Flow) -> Option<&'m Conduit> {
        if let Some(c) = &f.conduit {
            return self.conduits.get(c.as_str()).copied();
        }
        let a = self.elements.get(f.from.as_str())?.zone.as_str();
        let b = self.elements.get(f.to.as_str())?.zone.as_str();
        if a == b {
            return None;
        }
        self.model
            .conduits
            .iter()
            .find(|c| (c.zones[0] == a && c.zones[1] == b) || (c.zones[0] == b && c.zones[1] == a))
    }

    /// Whether a flow leaves its source zone.
    pub fn crosses(&self, f: &Flow) -> bool {
        match (
            self.elements.get(f.from.as_str()),
            self.elements.get(f.to.as_str()),
        ) {
            (Some(a), Some(b)) => a.zone != b.zone,
            _ => false,
        }
    }

    /// Whether a flow goes straight between an IT-side zone and an OT zone (either way).
    pub fn it_to_ot_direct(&self, f: &Flow) -> bool {
        match (self.zone_kind_of(&f.from), self.zone_kind_of(&f.to)) {
            (Some(a), Some(b)) => (a.is_it() && b.is_ot()) || (a.is_ot() && b.is_it()),
            _ => false,
        }
    }

    fn classes(&self, ids: &[String]) -> Vec<String> {
        let set: BTreeSet<&str> = ids
            .iter()
            .filter_map(|d| self.data_class.get(d.as_str()).copied())
            .collect();
        set.into_iter().map(str::to_owned).collect()
    }

    /// The value of a field on a subject, `None` if the field does not exist for it.
    pub fn field(&self, subject: Subject<'m>, path: &str) -> Option<Value> {
        if let Some(rest) = path.strip_prefix("model.") {
            return self.model_field(rest);
        }
        match subject {
            Subject::Element(e) => {
                if let Some(rest) = path.strip_prefix("element.") {
                    self.element_field(e, rest)
                } else if let Some(rest) = path.strip_prefix("zone.") {
                    self.zone_field(self.zones.get(e.zone.as_str())?, rest)
                } else {
                    None
                }
            }
            Subject::Flow(f) => {
                if let Some(rest) = path.strip_prefix("flow.") {
                    self.flow_field(f, rest)
                } else if let Some(rest) = path.strip_prefix("source.") {
                    self.element_field(self.elements.get(f.from.as_str())?, rest)
                } else if let Some(rest) = path.strip_prefix("target.") {
                    self.element_field(self.elements.get(f.to.as_str())?, rest)
                } else {
                    None
                }
            }
            Subject::Zone(z) => self.zone_field(z, path.strip_prefix("zone.")?),
            Subject::Conduit(c) => self.conduit_field(c, path.strip_prefix("conduit.")?),
            Subject::Model => None,
        }
    }

    fn element_field(&self, e: &Element, f: &str) -> Option<Value> {
        let zk = self.zones.get(e.zone.as_str()).map(|z| z.kind);
        let inbound = self
            .inbound
            .get(e.id.as_str())
            .map_or(&[][..], Vec::as_slice);
        let outbound = self
            .outbound
            .get(e.id.as_str())
            .map_or(&[][..], Vec::as_slice);
        let kinds = |flows: &[&Flow], pick: &dyn Fn(&Flow) -> &str, only_write: bool| {
            let set: BTreeSet<&'static str> = flows
                .iter()
                .filter(|fl| !only_write || fl.write)
                .filter(|fl| self.crosses(fl))
                .filter_map(|fl| self.zone_kind_of(pick(fl)))
                .map(ZoneKind::as_str)
                .collect();
            Value::List(set.into_iter().map(str::to_owned).collect())
        };
        let s = &e.software;
        Some(match f {
            "id" => Value::Str(e.id.clone()),
            "kind" => Value::Str(e.kind.as_str().into()),
            "zone" => Value::Str(e.zone.clone()),
            "zone_kind" => zk.map_or(Value::Null, |k| Value::Str(k.as_str().into())),
            "zone_untrusted" => Value::Bool(zk.is_some_and(ZoneKind::is_untrusted)),
            "exposure" => e
                .exposure
                .map_or(Value::Null, |x| Value::Str(x.as_str().into())),
            "criticality.safety" => Value::Num(e.criticality.safety.rank().into()),
            "criticality.availability" => Value::Num(e.criticality.availability.rank().into()),
            "criticality.integrity" => Value::Num(e.criticality.integrity.rank().into()),
            "criticality.confidentiality" => {
                Value::Num(e.criticality.confidentiality.rank().into())
            }
            "criticality.max" => Value::Num(e.criticality.max().rank().into()),
            "update" => Value::Str(s.update.as_str().into()),
            "signed_updates" => Value::Bool(s.signed_updates),
            "default_credentials" => Value::Bool(s.default_credentials),
            "shared_credentials" => Value::Bool(s.shared_credentials),
            "debug_interfaces" => Value::List(s.debug_interfaces.clone()),
            "secure_element" => Value::Bool(s.secure_element),
            "stores_secrets" => Value::Bool(s.stores_secrets),
            "end_of_life" => Value::Bool(s.end_of_life),
            "logging" => Value::Bool(s.logging),
            "storage_encrypted" => Value::Bool(s.storage_encrypted),
            "stores" => Value::List(self.classes(&e.stores)),
            "redundant" => Value::Bool(e.redundant),
            "supplier" => e.supplier.clone().map_or(Value::Null, Value::Str),
            "safety_functions" => Value::List(e.safety_functions.clone()),
            "sole_safety_function" => Value::Bool(
                !e.redundant
                    && e.safety_functions
                        .iter()
                        .any(|s| self.safety_fn_count.get(s.as_str()).copied() == Some(1)),
            ),
            "inbound_zone_kinds" => kinds(inbound, &|fl| fl.from.as_str(), false),
            "outbound_zone_kinds" => kinds(outbound, &|fl| fl.to.as_str(), false),
            "inbound_write_from_zone_kinds" => kinds(inbound, &|fl| fl.from.as_str(), true),
            "untrusted_inbound" => Value::Bool(inbound.iter().any(|fl| {
                self.zone_kind_of(&fl.from)
                    .is_some_and(ZoneKind::is_untrusted)
            })),
            "inbound_protocol_classes" => {
                let set: BTreeSet<&str> = inbound
                    .iter()
                    .map(|fl| protocol_class(&fl.protocol))
                    .collect();
                Value::List(set.into_iter().map(str::to_owned).collect())
            }
            "flows_in" => Value::Num(inbound.len() as f64),
            "flows_out" => Value::Num(outbound.len() as f64),
            _ => return None,
        })
    }

    fn flow_field(&self, fl: &Flow, f: &str) -> Option<Value> {
        let conduit = self.conduit_of(fl);
        let from_k = self.zone_kind_of(&fl.from);
        let to_k = self.zone_kind_of(&fl.to);
        let kind_v = |k: Option<ZoneKind>| k.map_or(Value::Null, |k| Value::Str(k.as_str().into()));
        Some(match f {
            "id" => Value::Str(fl.id.clone()),
            "protocol" => Value::Str(fl.protocol.to_ascii_lowercase()),
            "protocol_class" => Value::Str(protocol_class(&fl.protocol).into()),
            "port" => fl.port.map_or(Value::Null, |p| Value::Num(p.into())),
            "encrypted" => Value::Bool(flow_encrypted(fl)),
            "authenticated" => Value::Bool(fl.authenticated || fl.mutual_auth),
            "mutual_auth" => Value::Bool(fl.mutual_auth),
            "write" => Value::Bool(fl.write),
            "direction" => Value::Str(
                match fl.direction {
                    crate::model::Direction::Unidirectional => "unidirectional",
                    crate::model::Direction::Bidirectional => "bidirectional",
                }
                .into(),
            ),
            "purpose" => fl
                .purpose
                .map_or(Value::Null, |p| Value::Str(p.as_str().into())),
            "data" => Value::List(self.classes(&fl.data)),
            "crosses_zones" => Value::Bool(self.crosses(fl)),
            "conduit_declared" => Value::Bool(conduit.is_some()),
            "conduit_encrypted" => Value::Bool(conduit.is_some_and(|c| c.encrypted)),
            "conduit_sl_target" => conduit.map_or(Value::Null, |c| Value::Num(c.sl_target.into())),
            "from_zone_kind" => kind_v(from_k),
            "to_zone_kind" => kind_v(to_k),
            "it_to_ot_direct" => Value::Bool(self.it_to_ot_direct(fl)),
            "untrusted_source" => Value::Bool(from_k.is_some_and(ZoneKind::is_untrusted)),
            "into_untrusted" => Value::Bool(to_k.is_some_and(ZoneKind::is_untrusted)),
            "max_zone_sl_target" => {
                let a = self.zone_of(&fl.from).map_or(0, |z| z.sl_target);
                let b = self.zone_of(&fl.to).map_or(0, |z| z.sl_target);
                Value::Num(a.max(b).into())
            }
            "cleartext_protocol" => {
                Value::Bool(CLEARTEXT.contains(&fl.protocol.to_ascii_lowercase().as_str()))
            }
            _ => return None,
        })
    }

    fn zone_field(&self, z: &Zone, f: &str) -> Option<Value> {
        let members = || self.model.elements.iter().filter(move |e| e.zone == z.id);
        Some(match f {
            "id" => Value::Str(z.id.clone()),
            "kind" => Value::Str(z.kind.as_str().into()),
            "sl_target" => Value::Num(z.sl_target.into()),
            "element_count" => Value::Num(members().count() as f64),
            "element_kinds" => {
                let set: BTreeSet<&str> = members().map(|e| e.kind.as_str()).collect();
                Value::List(set.into_iter().map(str::to_owned).collect())
            }
            "connected_zone_kinds" => {
                let mut set: BTreeSet<&str> = BTreeSet::new();
                for fl in &self.model.flows {
                    let (a, b) = (self.zone_of(&fl.from), self.zone_of(&fl.to));
                    if let (Some(a), Some(b)) = (a, b) {
                        if a.id == z.id && b.id != z.id {
                            set.insert(b.kind.as_str());
                        } else if b.id == z.id && a.id != z.id {
                            set.insert(a.kind.as_str());
                        }
                    }
                }
                Value::List(set.into_iter().map(str::to_owned).collect())
            }
            "logging_elements" => {
                Value::Num(members().filter(|e| e.software.logging).count() as f64)
            }
            "has_boundary_device" => Value::Bool(
                self.model
                    .conduits
                    .iter()
                    .any(|c| c.zones.contains(&z.id) && !c.via.is_empty()),
            ),
            "undeclared_crossings" => Value::Num(
                self.model
                    .flows
                    .iter()
                    .filter(|fl| {
                        self.crosses(fl)
                            && self.conduit_of(fl).is_none()
                            && (self.zone_of(&fl.from).is_some_and(|a| a.id == z.id)
                                || self.zone_of(&fl.to).is_some_and(|b| b.id == z.id))
                    })
                    .count() as f64,
            ),
            _ => return None,
        })
    }

    fn conduit_field(&self, c: &Conduit, f: &str) -> Option<Value> {
        let zs: Vec<&Zone> = c
            .zones
            .iter()
            .filter_map(|z| self.zones.get(z.as_str()).copied())
            .collect();
        Some(match f {
            "id" => Value::Str(c.id.clone()),
            "sl_target" => Value::Num(c.sl_target.into()),
            "zone_kinds" => Value::List(zs.iter().map(|z| z.kind.as_str().to_owned()).collect()),
            "max_zone_sl_target" => {
                Value::Num(zs.iter().map(|z| z.sl_target).max().unwrap_or(0).into())
            }
            "encrypted" => Value::Bool(c.encrypted),
            "has_boundary_device" => Value::Bool(!c.via.is_empty()),
            "flow_count" => Value::Num(
                self.model
                    .flows
                    .iter()
                    .filter(|fl| self.conduit_of(fl).is_some_and(|x| x.id == c.id))
                    .count() as f64,
            ),
            "untrusted_side" => Value::Bool(zs.iter().any(|z| z.kind.is_untrusted())),
            "sl_gap" => Value::Num(
                (f64::from(zs.iter().map(|z| z.sl_target).max().unwrap_or(0))
                    - f64::from(c.sl_target))
                .max(0.0),
            ),
            _ => return None,
        })
    }

    fn model_field(&self, f: &str) -> Option<Value> {
        let m = self.model;
        Some(match f {
            "has_dmz" => Value::Bool(m.zones.iter().any(|z| z.kind == ZoneKind::Dmz)),
            "zone_count" => Value::Num(m.zones.len() as f64),
            "has_it_zone" => Value::Bool(m.zones.iter().any(|z| z.kind.is_it())),
            "has_ot_zone" => Value::Bool(m.zones.iter().any(|z| z.kind.is_ot())),
            "it_ot_direct_flows" => {
                Value::Num(m.flows.iter().filter(|f| self.it_to_ot_direct(f)).count() as f64)
            }
            "element_count" => Value::Num(m.elements.len() as f64),
            "logging_elements" => {
                Value::Num(m.elements.iter().filter(|e| e.software.logging).count() as f64)
            }
            "has_safety_elements" => Value::Bool(
                m.elements
                    .iter()
                    .any(|e| e.criticality.safety >= crate::model::Level::Medium),
            ),
            "has_supplier_elements" => Value::Bool(m.elements.iter().any(|e| e.supplier.is_some())),
            _ => return None,
        })
    }
}

/// Whether a field path is known for a subject kind.
pub fn known_field(kind: SubjectKind, path: &str) -> bool {
    if let Some(rest) = path.strip_prefix("model.") {
        return MODEL_FIELDS.contains(&rest);
    }
    match kind {
        SubjectKind::Element => {
            path.strip_prefix("element.")
                .is_some_and(|r| ELEMENT_FIELDS.contains(&r))
                || path
                    .strip_prefix("zone.")
                    .is_some_and(|r| ZONE_FIELDS.contains(&r))
        }
        SubjectKind::Flow => {
            path.strip_prefix("flow.")
                .is_some_and(|r| FLOW_FIELDS.contains(&r))
                || path
                    .strip_prefix("source.")
                    .or_else(|| path.strip_prefix("target."))
                    .is_some_and(|r| ELEMENT_FIELDS.contains(&r))
        }
        SubjectKind::Zone => path
            .strip_prefix("zone.")
            .is_some_and(|r| ZONE_FIELDS.contains(&r)),
        SubjectKind::Conduit => path
            .strip_prefix("conduit.")
            .is_some_and(|r| CONDUIT_FIELDS.contains(&r)),
        SubjectKind::Model => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::parse_model;

    const SRC: &str = "name: t
zones:
  - {id: it, kind: enterprise}
  - {id: ot, kind: control, sl_target: 2}
conduits:
  - {id: c1, zones: [it, ot], via: [fw]}
elements:
  - {id: fw, kind: firewall, zone: ot}
  - {id: plc, kind: plc, zone: ot, safety_functions: [trip]}
  - {id: hist, kind: server, zone: it}
flows:
  - {id: f1, from: hist, to: plc, protocol: modbus, write: true}
";

    #[test]
    fn every_listed_field_resolves() {
        let m = parse_model(SRC, "t").unwrap().model;
        let ix = Index::new(&m);
        let el = Subject::Element(&m.elements[1]);
        let fl = Subject::Flow(&m.flows[0]);
        let zo = Subject::Zone(&m.zones[1]);
        let co = Subject::Conduit(&m.conduits[0]);
        for f in ELEMENT_FIELDS {
            assert!(
                ix.field(el, &format!("element.{f}")).is_some(),
                "element.{f}"
            );
            assert!(ix.field(fl, &format!("source.{f}")).is_some(), "source.{f}");
        }
        for f in FLOW_FIELDS {
            assert!(ix.field(fl, &format!("flow.{f}")).is_some(), "flow.{f}");
        }
        for f in ZONE_FIELDS {
            assert!(ix.field(zo, &format!("zone.{f}")).is_some(), "zone.{f}");
        }
        for f in CONDUIT_FIELDS {
            assert!(
                ix.field(co, &format!("conduit.{f}")).is_some(),
                "conduit.{f}"
            );
        }
        for f in MODEL_FIELDS {
            assert!(
                ix.field(Subject::Model, &format!("model.{f}")).is_some(),
                "model.{f}"
            );
        }
    }

    #[test]
    fn derived_facts_are_computed() {
        let m = parse_model(SRC, "t").unwrap().model;
        let ix = Index::new(&m);
        let fl = Subject::Flow(&m.flows[0]);
        assert_eq!(
            ix.field(fl, "flow.it_to_ot_direct"),
            Some(Value::Bool(true))
        );
        assert_eq!(
            ix.field(fl, "flow.conduit_declared"),
            Some(Value::Bool(true))
        );
        assert_eq!(
            ix.field(fl, "flow.protocol_class"),
            Some(Value::Str("industrial".into()))
        );
        let plc = Subject::Element(&m.elements[1]);
        assert_eq!(
            ix.field(plc, "element.sole_safety_function"),
            Some(Value::Bool(true))
        );
        assert_eq!(
            ix.field(plc, "element.inbound_write_from_zone_kinds"),
            Some(Value::List(vec!["enterprise".into()]))
        );
        assert_eq!(
            ix.field(Subject::Model, "model.has_dmz"),
            Some(Value::Bool(false))
        );
    }
}
