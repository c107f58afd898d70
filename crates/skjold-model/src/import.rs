//! Import of OpenThreatModel (OTM 0.2, IriusRisk's open format) JSON into a Skjold model: trust
//! zones become zones (kind guessed from name and type, else from `risk.trustRating`), components
//! become elements (kind from `type` and tags, nested components take their parent's zone), data
//! flows become flows (protocol, port, encryption and authentication from tags). Threats and
//! mitigations of the OTM file are not imported: Skjold derives its own. What could not be mapped
//! is returned as notes.

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
    } else if has(&["firewall", "diode"]) {
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
    } else if has(&["device", "iot", "camera", "meter"]) {
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
