//! Import of OpenThreatModel (OTM 0.2, IriusRisk's open format) JSON into a Skjold model: trust
//! zones become zones (kind guessed from name and type, else from `risk.trustRating`), components
//! become elements (kind from `type` and tags, nested components take their parent's zone), data
//! flows become flows (protocol, port, encryption and authentication from tags). Threats and
//! mitigations of the OTM file are not imported: Skjold derives its own. What could not be mapped
//! is returned as notes. `from_threagile` does the same for the subset of Threagile YAML that
//! maps (trust boundaries, technical assets, communication links, data assets).

use std::collections::HashMap;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::facts::protocol_class;
use crate::model::{Element, ElementKind, Flow, Model, Zone, ZoneKind};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
#[allow(clippy::struct_field_names)] // field names follow the OTM specification
struct Otm {
    #[serde(default)]
    otm_version: Option<String>,
    project: Project,
    #[serde(default)]
    trust_zones: Vec<TrustZone>,
    #[serde(default)]
    components: Vec<Component>,
    #[serde(default)]
    dataflows: Vec<Dataflow>,
}

#[derive(Debug, Deserialize)]
struct Project {
    name: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    owner: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct TrustZone {
    id: String,
    name: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    risk: Option<Risk>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Risk {
    #[serde(default)]
    trust_rating: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Parent {
    #[serde(default)]
    trust_zone: Option<String>,
    #[serde(default)]
    component: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Component {
    id: String,
    name: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    parent: Parent,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Dataflow {
    id: String,
    #[serde(default)]
    name: Option<String>,
    source: String,
    destination: String,
    #[serde(default)]
    bidirectional: bool,
    #[serde(default)]
    tags: Vec<String>,
}

fn zone_kind(name: &str, kind: Option<&str>, trust: Option<f64>) -> ZoneKind {
    let s = format!("{} {}", name, kind.unwrap_or("")).to_ascii_lowercase();
    let has = |w: &[&str]| w.iter().any(|x| s.contains(x));
    if has(&["internet", "public"]) {
        ZoneKind::Internet
    } else if has(&["dmz", "demilitari"]) {
        ZoneKind::Dmz
    } else if has(&["cloud", "aws", "azure", "gcp"]) {
        ZoneKind::Cloud
    } else if has(&["vendor", "supplier", "third", "partner"]) {
        ZoneKind::Vendor
    } else if has(&["remote", "home", "satellite", "field site"]) {
        ZoneKind::Remote
    } else if has(&["safety", "sis"]) {
        ZoneKind::Safety
    } else if has(&["field", "level 0", "sensor"]) {
        ZoneKind::Field
    } else if has(&["control", "plc", "scada", "ot ", "ics", "process"]) {
        ZoneKind::Control
    } else if has(&["operation", "level 3", "site"]) {
        ZoneKind::Operations
    } else if has(&["enterprise", "corporate", "office", "business", "it "]) {
        ZoneKind::Enterprise
    } else {
        match trust {
            Some(t) if t <= 10.0 => ZoneKind::Internet,
            Some(t) if t <= 50.0 => ZoneKind::Enterprise,
            Some(_) => ZoneKind::Control,
            None => ZoneKind::Enterprise,
        }
    }
}

fn element_kind(name: &str, kind: Option<&str>, tags: &[String]) -> ElementKind {
    let s = format!("{} {} {}", kind.unwrap_or(""), tags.join(" "), name).to_ascii_lowercase();
    let has = |w: &[&str]| w.iter().any(|x| s.contains(x));
    if has(&["safety", "sis"]) {
        ElementKind::SafetyController
    } else if has(&["plc", "controller"]) {
        ElementKind::Plc
    } else if has(&["rtu"]) {
        ElementKind::Rtu
    } else if has(&["hmi", "operator panel"]) {
        ElementKind::Hmi
    } else if has(&["engineering"]) {
        ElementKind::EngineeringWorkstation
    } else if has(&["sensor", "transmitter"]) {
        ElementKind::Sensor
    } else if has(&["actuator", "valve", "pump", "drive"]) {
        ElementKind::Actuator
    } else if has(&["gateway", "broker"]) {
        ElementKind::Gateway
    } else if has(&["edge"]) {
        ElementKind::Edge
    } else if has(&["firewall", "diode", "waf"]) {
        ElementKind::Firewall
    } else if has(&["vpn", "remote access", "jump"]) {
        ElementKind::RemoteAccess
    } else if has(&["database", "-db", " db", "sql", "storage", "bucket"]) {
        ElementKind::Database
    } else if has(&["mobile", "android", "ios"]) {
        ElementKind::MobileApp
    } else if has(&["cloud", "saas", "aws", "azure"]) {
        ElementKind::CloudService
    } else if has(&["user", "person", "actor", "operator", "engineer"]) {
        ElementKind::Person
    } else if has(&["external", "vendor", "supplier", "third"]) {
        ElementKind::ExternalParty
    } else if has(&["router", "switch", "modem"]) {
        ElementKind::NetworkDevice
    } else if has(&[
        "device",
        "iot",
        "camera",
        "meter",
        "browser",
        "desktop",
        "client-system",
    ]) {
        ElementKind::Device
    } else {
        ElementKind::Server
    }
}

/// The trust zone of a component, walking up nested components (bounded, so cycles end too).
fn resolve<'a>(parents: &HashMap<&str, &'a Parent>, mut p: &'a Parent) -> Option<String> {
    for _ in 0..32 {
        if let Some(z) = &p.trust_zone {
            return Some(z.clone());
        }
        p = parents.get(p.component.as_deref()?)?;
    }
    None
}

/// Converts OTM JSON text into a model; returns the model and notes about what was not mapped.
pub fn from_otm(text: &str, file: &str) -> Result<(Model, Vec<String>)> {
    let otm: Otm = serde_json::from_str(text).map_err(|e| {
        Error::invalid(
            file,
            e.line(),
            format!("not an OpenThreatModel file: {e}"),
            Some("export OTM 0.2 JSON".into()),
        )
    })?;
    let mut notes = Vec::new();
    if let Some(v) = &otm.otm_version {
        if !v.starts_with("0.") {
            notes.push(format!(
                "otmVersion {v} is newer than the 0.x versions this importer was written for"
            ));
        }
    }
    let zones: Vec<Zone> = otm
        .trust_zones
        .iter()
        .map(|z| Zone {
            id: z.id.clone(),
            name: Some(z.name.clone()),
            kind: zone_kind(
                &z.name,
                z.kind.as_deref(),
                z.risk.as_ref().and_then(|r| r.trust_rating),
            ),
            sl_target: 0,
            description: z.description.clone(),
        })
        .collect();
    let parents: HashMap<&str, &Parent> = otm
        .components
        .iter()
        .map(|c| (c.id.as_str(), &c.parent))
        .collect();
    let zone_of = |p: &Parent| resolve(&parents, p);
    let mut elements = Vec::new();
    for c in &otm.components {
        let Some(zone) = zone_of(&c.parent) else {
            notes.push(format!(
                "component `{}` has no trust zone and was skipped",
                c.id
            ));
            continue;
        };
        elements.push(Element {
            id: c.id.clone(),
            name: Some(c.name.clone()),
            kind: element_kind(&c.name, c.kind.as_deref(), &c.tags),
            zone,
            ip: vec![],
            criticality: crate::model::Criticality::default(),
            exposure: None,
            software: crate::model::Software::default(),
            stores: vec![],
            safety_functions: vec![],
            redundant: false,
            supplier: None,
            description: c.description.clone(),
        });
    }
    let known: std::collections::HashSet<&str> = elements.iter().map(|e| e.id.as_str()).collect();
    let mut flows = Vec::new();
    for d in &otm.dataflows {
        if !known.contains(d.source.as_str()) || !known.contains(d.destination.as_str()) {
            notes.push(format!(
                "dataflow `{}` joins components that were not imported and was skipped",
                d.id
            ));
            continue;
        }
        let tags: Vec<String> = d.tags.iter().map(|t| t.to_ascii_lowercase()).collect();
        let protocol = tags
            .iter()
            .find(|t| protocol_class(t) != "other")
            .cloned()
            .or_else(|| {
                d.name.as_deref().and_then(|n| {
                    n.split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
                        .map(str::to_ascii_lowercase)
                        .find(|w| protocol_class(w) != "other")
                })
            })
            .unwrap_or_else(|| {
                notes.push(format!(
                    "dataflow `{}` names no protocol; set to `other`",
                    d.id
                ));
                "other".into()
            });
        let port = tags
            .iter()
            .find_map(|t| t.strip_prefix("port:").and_then(|p| p.trim().parse().ok()));
        let has = |w: &str| tags.iter().any(|t| t == w);
        flows.push(Flow {
            id: d.id.clone(),
            name: d.name.clone(),
            from: d.source.clone(),
            to: d.destination.clone(),
            protocol,
            port,
            encrypted: has("encrypted") || has("tls"),
            authenticated: has("authenticated") || has("mtls"),
            mutual_auth: has("mtls") || has("mutual-auth"),
            write: has("write"),
            direction: if d.bidirectional {
                crate::model::Direction::Bidirectional
            } else {
                crate::model::Direction::Unidirectional
            },
            purpose: None,
            data: vec![],
            conduit: None,
            description: None,
        });
    }
    let model = Model {
        name: otm.project.name,
        description: otm.project.description,
        owner: otm.project.owner,
        zones,
        conduits: vec![],
        elements,
        data_assets: vec![],
        flows,
        controls: vec![],
        accepted_risks: vec![],
    };
    Ok((model, notes))
}

/// Serialises a model as YAML.
pub fn to_yaml(model: &Model) -> Result<String> {
    serde_norway::to_string(model).map_err(|e| Error::Internal(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// Threagile YAML (the subset that maps).

#[derive(Debug, Deserialize)]
struct Threagile {
    title: String,
    #[serde(default)]
    management_summary_comment: Option<String>,
    #[serde(default)]
    business_overview: Option<TgOverview>,
    #[serde(default)]
    data_assets: std::collections::BTreeMap<String, TgDataAsset>,
    #[serde(default)]
    technical_assets: std::collections::BTreeMap<String, TgAsset>,
    #[serde(default)]
    trust_boundaries: std::collections::BTreeMap<String, TgBoundary>,
}

#[derive(Debug, Deserialize)]
struct TgOverview {
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TgDataAsset {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[allow(clippy::struct_excessive_bools)] // Threagile's own yes/no fields
struct TgAsset {
    id: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    technology: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    internet: bool,
    #[serde(default)]
    out_of_scope: bool,
    #[serde(default)]
    encryption: Option<String>,
    #[serde(default)]
    confidentiality: Option<String>,
    #[serde(default)]
    integrity: Option<String>,
    #[serde(default)]
    availability: Option<String>,
    #[serde(default)]
    redundant: bool,
    #[serde(default)]
    data_assets_stored: Vec<String>,
    #[serde(default)]
    communication_links: std::collections::BTreeMap<String, TgLink>,
}

#[derive(Debug, Deserialize)]
struct TgLink {
    target: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    protocol: Option<String>,
    #[serde(default)]
    authentication: Option<String>,
    #[serde(default)]
    vpn: bool,
    #[serde(default)]
    readonly: bool,
    #[serde(default)]
    data_assets_sent: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct TgBoundary {
    id: String,
    #[serde(default, rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    technical_assets_inside: Vec<String>,
}

fn tg_level(v: Option<&str>) -> crate::model::Level {
    use crate::model::Level;
    match v.unwrap_or("") {
        "public" | "archive" => Level::None,
        "restricted" | "important" => Level::Medium,
        "confidential" | "strictly-confidential" | "critical" | "mission-critical" => Level::High,
        _ => Level::Low,
    }
}

fn slug(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            o.push(c.to_ascii_lowercase());
        } else if !o.ends_with('-') {
            o.push('-');
        }
    }
    o.trim_matches('-').to_owned()
}

/// Converts a Threagile model (YAML) into a Skjold model; returns the model and notes.
///
/// Mapped: trust boundaries (zones; kind from name and type), technical assets (elements; kind
/// from technology, type and name; CIA ratings become criticality; `encryption` becomes
/// `storage_encrypted`), communication links (flows; `vpn` or an encrypted protocol sets
/// `encrypted`, `authentication` sets `authenticated` / `mutual_auth`, `readonly: false` sets
/// `write`, `two-factor` adds the `mfa` control on the flow) and data assets (classification
/// from names and tags). Assets outside every boundary go to an `internet` zone when they have
/// `internet: true`, else to an `unzoned` enterprise zone.
pub fn from_threagile(text: &str, file: &str) -> Result<(Model, Vec<String>)> {
    use crate::model::{Classification, ControlInPlace, Criticality, DataAsset, Software};
    let tg: Threagile = serde_norway::from_str(text).map_err(|e| {
        let line = e.location().map_or(0, |l| l.line());
        Error::invalid(
            file,
            line,
            format!("not a Threagile model: {e}"),
            Some("export Threagile 1.x YAML".into()),
        )
    })?;
    let mut notes = Vec::new();
    let mut zones: Vec<Zone> = Vec::new();
    let mut zone_of_asset: HashMap<String, String> = HashMap::new();
    for (name, b) in &tg.trust_boundaries {
        let kind = match b.kind.as_deref() {
            Some(k) if k.contains("cloud") => ZoneKind::Cloud,
            k => zone_kind(name, k, None),
        };
        zones.push(Zone {
            id: b.id.clone(),
            name: Some(name.clone()),
            kind,
            sl_target: 0,
            description: b.description.clone(),
        });
        for a in &b.technical_assets_inside {
            zone_of_asset
                .entry(a.clone())
                .or_insert_with(|| b.id.clone());
        }
    }
    let data_ids: std::collections::HashSet<&str> =
        tg.data_assets.values().map(|d| d.id.as_str()).collect();
    let data_assets: Vec<DataAsset> = tg
        .data_assets
        .iter()
        .map(|(name, d)| {
            let s = format!(
                "{name} {} {}",
                d.tags.join(" "),
                d.description.as_deref().unwrap_or("")
            )
            .to_ascii_lowercase();
            let has = |w: &[&str]| w.iter().any(|x| s.contains(x));
            let classification = if has(&["credential", "password", "secret", "key", "token"]) {
                Classification::Credentials
            } else if has(&[
                "customer",
                "personal",
                "pii",
                "employee",
                "user data",
                "patient",
            ]) {
                Classification::Personal
            } else if has(&["recipe", "formula", "intellectual"]) {
                Classification::Recipe
            } else if has(&["config", "program"]) {
                Classification::Configuration
            } else if has(&["firmware", "image", "update"]) {
                Classification::Firmware
            } else if has(&["log", "audit"]) {
                Classification::Logs
            } else if has(&["command", "setpoint", "control"]) {
                Classification::Control
            } else {
                Classification::Process
            };
            DataAsset {
                id: d.id.clone(),
                name: Some(name.clone()),
                classification,
                description: d.description.clone(),
            }
        })
        .collect();
    let mut need_internet = false;
    let mut need_unzoned = false;
    let mut elements = Vec::new();
    let mut flows = Vec::new();
    let mut controls = Vec::new();
    let in_scope: std::collections::HashSet<&str> = tg
        .technical_assets
        .values()
        .filter(|a| !a.out_of_scope)
        .map(|a| a.id.as_str())
        .collect();
    for (name, a) in &tg.technical_assets {
        if a.out_of_scope {
            notes.push(format!(
                "technical asset `{}` is out of scope and was skipped",
                a.id
            ));
            continue;
        }
        let zone = match zone_of_asset.get(&a.id) {
            Some(z) => z.clone(),
            None if a.internet => {
                need_internet = true;
                "internet".to_owned()
            }
            None => {
                need_unzoned = true;
                "unzoned".to_owned()
            }
        };
        let descr = format!(
            "{} {}",
            a.technology.as_deref().unwrap_or(""),
            a.kind.as_deref().unwrap_or("")
        );
        let mut kind = element_kind(name, Some(&descr), &a.tags);
        if a.kind.as_deref() == Some("datastore") && kind == ElementKind::Server {
            kind = ElementKind::Database;
        }
        elements.push(Element {
            id: a.id.clone(),
            name: Some(name.clone()),
            kind,
            zone,
            ip: vec![],
            criticality: Criticality {
                safety: crate::model::Level::None,
                availability: tg_level(a.availability.as_deref()),
                integrity: tg_level(a.integrity.as_deref()),
                confidentiality: tg_level(a.confidentiality.as_deref()),
            },
            exposure: None,
            software: Software {
                storage_encrypted: a.encryption.as_deref().is_some_and(|e| e != "none"),
                ..Software::default()
            },
            stores: a
                .data_assets_stored
                .iter()
                .filter(|d| data_ids.contains(d.as_str()))
                .cloned()
                .collect(),
            safety_functions: vec![],
            redundant: a.redundant,
            supplier: None,
            description: a.description.clone(),
        });
        for (lname, l) in &a.communication_links {
            let id = format!("{}-{}", a.id, slug(lname));
            if !in_scope.contains(l.target.as_str()) {
                notes.push(format!(
                    "communication link `{id}` targets `{}`, which was not imported; skipped",
                    l.target
                ));
                continue;
            }
            let raw = l
                .protocol
                .as_deref()
                .unwrap_or("other")
                .to_ascii_lowercase();
            let encrypted_proto =
                raw.contains("encrypted") || crate::facts::protocol_always_encrypted(&raw);
            let protocol = match raw.as_str() {
                "binary" | "binary-encrypted" | "text" | "text-encrypted" => "other".to_owned(),
                p if p.starts_with("jdbc") || p.starts_with("odbc") || p.starts_with("sql") => {
                    "sql".to_owned()
                }
                p => p.trim_end_matches("-encrypted").to_owned(),
            };
            let auth = l.authentication.as_deref().unwrap_or("none");
            if auth == "two-factor" {
                controls.push(ControlInPlace {
                    control: "mfa".into(),
                    on: vec![id.clone()],
                    note: Some("two-factor authentication (Threagile)".into()),
                });
            }
            flows.push(Flow {
                id,
                name: Some(lname.clone()),
                from: a.id.clone(),
                to: l.target.clone(),
                protocol,
                port: None,
                encrypted: l.vpn || encrypted_proto,
                authenticated: auth != "none",
                mutual_auth: auth == "client-certificate",
                write: !l.readonly,
                direction: crate::model::Direction::Unidirectional,
                purpose: None,
                data: l
                    .data_assets_sent
                    .iter()
                    .filter(|d| data_ids.contains(d.as_str()))
                    .cloned()
                    .collect(),
                conduit: None,
                description: l.description.clone(),
            });
        }
    }
    if need_internet && !zones.iter().any(|z| z.id == "internet") {
        zones.push(Zone {
            id: "internet".into(),
            name: Some("Internet".into()),
            kind: ZoneKind::Internet,
            sl_target: 0,
            description: None,
        });
    }
    if need_unzoned && !zones.iter().any(|z| z.id == "unzoned") {
        notes.push(
            "assets outside every trust boundary were put in zone `unzoned` (enterprise)".into(),
        );
        zones.push(Zone {
            id: "unzoned".into(),
            name: Some("Outside trust boundaries".into()),
            kind: ZoneKind::Enterprise,
            sl_target: 0,
            description: None,
        });
    }
    notes.push("Threagile has no safety criticality, physical exposure or firmware facts: review them in the model".into());
    let model = Model {
        name: tg.title,
        description: tg
            .business_overview
            .and_then(|o| o.description)
            .or(tg.management_summary_comment),
        owner: None,
        zones,
        conduits: vec![],
        elements,
        data_assets,
        flows,
        controls,
        accepted_risks: vec![],
    };
    Ok((model, notes))
}
