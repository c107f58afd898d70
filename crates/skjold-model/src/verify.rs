//! `model verify MODEL --observed DIR`: compares the model with what `skjold watch` saw on the
//! network. Reads `DIR/assets.json` (array of assets with `ip`, `protocols`, `peers`, ...) and
//! `DIR/eve.json` (Suricata EVE JSON lines with `src_ip`, `src_port`, `dest_ip`, `dest_port`,
//! `proto`, `app_proto`) and reports, in the common finding schema (SPEC §7): assets seen but not
//! modelled, flows seen but not modelled, modelled flows never seen, flows modelled as encrypted
//! or authenticated but seen in clear, protocols not declared, and modelled addresses never seen.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::engine::Severity;
use crate::error::{Error, Result};
use crate::facts::flow_encrypted;
use crate::model::{Flow, Model};

/// A finding in the common finding schema.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CommonFinding {
    /// Stable id.
    pub id: String,
    /// Rule id.
    pub rule: String,
    /// Title.
    pub title: String,
    /// Severity.
    pub severity: Severity,
    /// Asset, element or flow.
    pub target: String,
    /// Facts.
    pub evidence: serde_json::Value,
    /// ETSI EN 303 645 provisions.
    pub etsi_en_303_645: Vec<String>,
    /// IEC 62443-3-3 requirements.
    pub iec_62443: Vec<String>,
    /// ATT&CK for ICS techniques.
    pub mitre_attack_ics: Vec<String>,
    /// What to do.
    pub remediation: String,
}

#[derive(Debug, Deserialize)]
struct Asset {
    ip: String,
    #[serde(default)]
    mac: Option<String>,
    #[serde(default)]
    mac_vendor: Option<String>,
    #[serde(default)]
    protocols: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Event {
    #[serde(default)]
    src_ip: Option<String>,
    #[serde(default)]
    src_port: Option<u16>,
    #[serde(default)]
    dest_ip: Option<String>,
    #[serde(default)]
    dest_port: Option<u16>,
    #[serde(default)]
    proto: Option<String>,
    #[serde(default)]
    app_proto: Option<String>,
}

/// A conversation observed on the network, client to server.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct ObservedFlow {
    /// Client address.
    pub src: String,
    /// Server address.
    pub dst: String,
    /// Server port.
    pub port: u16,
    /// Transport.
    pub transport: String,
    /// Application protocol, lower case, when known.
    pub app_proto: Option<String>,
}

/// What `watch` knows about one asset.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AssetFacts {
    /// Protocols seen.
    pub protocols: Vec<String>,
    /// Roles (e.g. `modbus_server`).
    pub roles: Vec<String>,
    /// Vendor of the MAC address.
    pub mac_vendor: Option<String>,
}

/// What `watch` observed.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Assets by address.
    pub assets: BTreeMap<String, AssetFacts>,
    /// Conversations.
    pub flows: BTreeSet<ObservedFlow>,
}

/// The verification result.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    /// Model name.
    pub model: String,
    /// Observed directory.
    pub observed: String,
    /// Counts of what was compared.
    pub stats: BTreeMap<&'static str, usize>,
    /// Findings.
    pub findings: Vec<CommonFinding>,
}

/// Protocols that carry no encryption of their own.
const CLEAR: &[&str] = &[
    "modbus",
    "dnp3",
    "s7comm",
    "enip",
    "cip",
    "iec104",
    "bacnet",
    "mqtt",
    "http",
    "telnet",
    "ftp",
    "tftp",
    "snmp",
    "coap",
    "opcua-binary",
    "fins",
    "melsec",
    "goose",
    "mms",
    "profinet",
    "smb",
];
/// Protocols with no authentication of the sender in their basic form.
const NO_AUTH: &[&str] = &[
    "modbus", "s7comm", "enip", "cip", "bacnet", "iec104", "fins", "melsec", "goose", "profinet",
    "coap", "tftp",
];

fn norm(p: &str) -> String {
    let p = p.to_ascii_lowercase();
    match p.as_str() {
        "modbus-tcp" | "modbus_tcp" | "modbustcp" | "umas" => "modbus".into(),
        "ethernet-ip" | "ethernetip" | "enip/cip" => "enip".into(),
        "s7" => "s7comm".into(),
        "iec-104" | "iec60870-5-104" => "iec104".into(),
        "mqtts" => "mqtt-tls".into(),
        _ => p,
    }
}

fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|source| Error::Io {
        file: path.display().to_string(),
        source,
    })
}

/// Reads a `watch` output directory.
pub fn load_observed(dir: &Path) -> Result<Observed> {
    let mut obs = Observed::default();
    let assets_path = dir.join("assets.json");
    let eve_path = dir.join("eve.json");
    if !assets_path.exists() && !eve_path.exists() {
        return Err(Error::invalid(
            &dir.display().to_string(),
            0,
            "neither assets.json nor eve.json found",
            Some("pass the --out directory of `skjold watch`".into()),
        ));
    }
    if assets_path.exists() {
        let text = read(&assets_path)?;
        let assets: Vec<Asset> = serde_json::from_str(&text).map_err(|e| {
            Error::invalid(
                &assets_path.display().to_string(),
                e.line(),
                format!("not a watch asset list: {e}"),
                None,
            )
        })?;
        for a in assets {
            let _ = &a.mac;
            obs.assets.insert(
                a.ip,
                AssetFacts {
                    protocols: a.protocols.iter().map(|p| norm(p)).collect(),
                    roles: a.roles,
                    mac_vendor: a.mac_vendor,
                },
            );
        }
    }
    if eve_path.exists() {
        let text = read(&eve_path)?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let ev: Event = serde_json::from_str(line).map_err(|e| {
                Error::invalid(
                    &eve_path.display().to_string(),
                    n + 1,
                    format!("not an EVE JSON line: {e}"),
                    None,
                )
            })?;
            let (Some(s), Some(d), Some(sp), Some(dp)) =
                (ev.src_ip, ev.dest_ip, ev.src_port, ev.dest_port)
            else {
                continue;
            };
            // Responses logged server-to-client: the lower, non-ephemeral port is the server's.
            let (src, dst, port) = if sp < dp && sp < 49152 && dp >= 1024 {
                (d, s, sp)
            } else {
                (s, d, dp)
            };
            let app = ev
                .app_proto
                .map(|a| norm(&a))
                .filter(|a| !matches!(a.as_str(), "failed" | "unknown" | ""));
            obs.assets.entry(src.clone()).or_default();
            obs.assets.entry(dst.clone()).or_default();
            obs.flows.insert(ObservedFlow {
                src,
                dst,
                port,
                transport: ev.proto.unwrap_or_default().to_ascii_lowercase(),
                app_proto: app,
            });
        }
    }
    // An unknown-protocol record of a conversation also seen with its protocol adds nothing.
    let known: BTreeSet<(String, String, u16)> = obs
        .flows
        .iter()
        .filter(|f| f.app_proto.is_some())
        .map(|f| (f.src.clone(), f.dst.clone(), f.port))
        .collect();
    obs.flows.retain(|f| {
        f.app_proto.is_some() || !known.contains(&(f.src.clone(), f.dst.clone(), f.port))
    });
    Ok(obs)
}

#[allow(clippy::too_many_arguments)]
fn finding(
    rule: &str,
    title: &str,
    severity: Severity,
    target: String,
    evidence: serde_json::Value,
    iec: &[&str],
    attack: &[&str],
    remediation: &str,
) -> CommonFinding {
    CommonFinding {
        id: format!("{rule}:{target}"),
        rule: rule.into(),
        title: title.into(),
        severity,
        target,
        evidence,
        etsi_en_303_645: vec![],
        iec_62443: iec.iter().map(|s| (*s).to_owned()).collect(),
        mitre_attack_ics: attack.iter().map(|s| (*s).to_owned()).collect(),
        remediation: remediation.into(),
    }
}

fn flow_matches(m: &Model, f: &Flow, o: &ObservedFlow, ip_of: &BTreeMap<&str, Vec<&str>>) -> bool {
    let _ = m;
    let from = ip_of
        .get(f.from.as_str())
        .is_some_and(|v| v.contains(&o.src.as_str()));
    let to = ip_of
        .get(f.to.as_str())
        .is_some_and(|v| v.contains(&o.dst.as_str()));
    from && to && f.port.is_none_or(|p| p == o.port)
}

/// Compares a model with observations.
pub fn verify(model: &Model, obs: &Observed, observed_dir: &str) -> VerifyReport {
    let mut ip_of: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut el_of: BTreeMap<&str, &str> = BTreeMap::new();
    for e in &model.elements {
        for ip in &e.ip {
            ip_of.entry(e.id.as_str()).or_default().push(ip.as_str());
            el_of.insert(ip.as_str(), e.id.as_str());
        }
    }
    let mut out = Vec::new();
    // Assets seen but not modelled.
    for (
        ip,
        AssetFacts {
            protocols,
            roles,
            mac_vendor: vendor,
        },
    ) in &obs.assets
    {
        if !el_of.contains_key(ip.as_str()) {
            let talks_ot = obs.flows.iter().any(|f| {
                (f.src == *ip || f.dst == *ip)
                    && f.app_proto.as_deref().is_some_and(|p| CLEAR.contains(&p))
            });
            out.push(finding(
                "VF-001",
                "Asset seen on the network but not in the model",
                if talks_ot { Severity::High } else { Severity::Medium },
                ip.clone(),
                json!({"ip": ip, "protocols": protocols, "roles": roles, "mac_vendor": vendor}),
                &["SR 7.8", "SR 5.1"],
                &["T0848", "T0846"],
                "Identify the device: add it to the model with its zone and flows, or remove it from the network.",
            ));
        }
    }
    // Flows seen but not modelled, and mismatches of matched flows.
    let mut seen_model_flows = BTreeSet::new();
    for o in &obs.flows {
        let matched: Vec<&Flow> = model
            .flows
            .iter()
            .filter(|f| flow_matches(model, f, o, &ip_of))
            .collect();
        let target = format!("{}->{}:{}", o.src, o.dst, o.port);
        let ev = json!({"src_ip": o.src, "dest_ip": o.dst, "dest_port": o.port, "proto": o.transport, "app_proto": o.app_proto,
            "src_element": el_of.get(o.src.as_str()), "dest_element": el_of.get(o.dst.as_str())});
        if matched.is_empty() {
            // Endpoints modelled with a flow between them but on another port: treat as protocol drift.
            let pair = model.flows.iter().find(|f| {
                ip_of
                    .get(f.from.as_str())
                    .is_some_and(|v| v.contains(&o.src.as_str()))
                    && ip_of
                        .get(f.to.as_str())
                        .is_some_and(|v| v.contains(&o.dst.as_str()))
            });
            if let Some(f) = pair {
                out.push(finding(
                    "VF-005",
                    "Protocol or port not declared for a modelled flow",
                    Severity::Medium,
                    target,
                    json!({"observed": ev, "model_flow": f.id, "model_protocol": f.protocol, "model_port": f.port}),
                    &["SR 5.1", "SR 7.7"],
                    &["T0869", "T0885"],
                    "Declare the protocol and port in the model or stop the service.",
                ));
            } else {
                out.push(finding(
                    "VF-002",
                    "Flow seen on the network but not in the model",
                    if o.app_proto.as_deref().is_some_and(|p| CLEAR.contains(&p)) { Severity::High } else { Severity::Medium },
                    target,
                    ev,
                    &["SR 5.1", "SR 5.2", "SR 7.8"],
                    &["T0886", "T0846"],
                    "Add the flow to the model (and its zone conduit) if it is needed, or block it at the boundary.",
                ));
            }
            continue;
        }
        for f in matched {
            seen_model_flows.insert(f.id.as_str());
            let app = o.app_proto.as_deref().unwrap_or("");
            if flow_encrypted(f) && CLEAR.contains(&app) {
                out.push(finding(
                    "VF-003",
                    "Flow modelled as encrypted but seen in clear",
                    Severity::High,
                    f.id.clone(),
                    json!({"observed": ev, "model_protocol": f.protocol, "model_encrypted": true}),
                    &["SR 3.1", "SR 4.1"],
                    &["T0842", "T0830"],
                    "Enable the encrypted variant of the protocol, or correct the model (and accept the finding it then raises).",
                ));
            }
            if (f.authenticated || f.mutual_auth) && NO_AUTH.contains(&app) {
                out.push(finding(
                    "VF-004",
                    "Flow modelled as authenticated but seen with an unauthenticated protocol",
                    Severity::High,
                    f.id.clone(),
                    json!({"observed": ev, "model_protocol": f.protocol, "model_authenticated": true}),
                    &["SR 1.2", "SR 3.1"],
                    &["T0855", "T0830"],
                    "Enable the authenticated variant (Modbus/TCP Security, CIP Security, ...) or correct the model.",
                ));
            }
            if !app.is_empty() && norm(&f.protocol) != app && !(app == "tls" && flow_encrypted(f)) {
                out.push(finding(
                    "VF-005",
                    "Protocol or port not declared for a modelled flow",
                    Severity::Medium,
                    f.id.clone(),
                    json!({"observed": ev, "model_protocol": f.protocol}),
                    &["SR 5.1", "SR 7.7"],
                    &["T0869", "T0885"],
                    "Declare the protocol actually used, or stop the undeclared service.",
                ));
            }
        }
    }
    // Modelled flows never seen (only where both ends have addresses the capture could show).
    let observed_ips: BTreeSet<&str> = obs.assets.keys().map(String::as_str).collect();
    for f in &model.flows {
        let (Some(a), Some(b)) = (ip_of.get(f.from.as_str()), ip_of.get(f.to.as_str())) else {
            continue;
        };
        if seen_model_flows.contains(f.id.as_str()) {
            continue;
        }
        let visible = a.iter().any(|ip| observed_ips.contains(ip))
            || b.iter().any(|ip| observed_ips.contains(ip));
        out.push(finding(
            "VF-006",
            "Modelled flow never seen",
            if visible { Severity::Low } else { Severity::Info },
            f.id.clone(),
            json!({"from": f.from, "to": f.to, "protocol": f.protocol, "port": f.port, "endpoint_seen": visible}),
            &["SR 7.8"],
            &[],
            "Check whether the flow still exists; remove it from the model if not, or capture where it runs.",
        ));
    }
    // Modelled addresses never seen.
    for e in &model.elements {
        for ip in &e.ip {
            if !obs.assets.contains_key(ip) {
                out.push(finding(
                    "VF-007",
                    "Modelled asset never seen",
                    Severity::Info,
                    e.id.clone(),
                    json!({"element": e.id, "ip": ip}),
                    &["SR 7.8"],
                    &[],
                    "Check that the capture covers this element's network, or update its address in the model.",
                ));
            }
        }
    }
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    out.dedup_by(|a, b| a.id == b.id);
    let mut stats = BTreeMap::new();
    stats.insert("observed_assets", obs.assets.len());
    stats.insert("observed_flows", obs.flows.len());
    stats.insert("model_elements_with_ip", ip_of.len());
    stats.insert("model_flows", model.flows.len());
    VerifyReport {
        model: model.name.clone(),
        observed: observed_dir.to_owned(),
        stats,
        findings: out,
    }
}

impl VerifyReport {
    /// Highest severity found.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Markdown.
    pub fn markdown(&self) -> String {
        let mut o = format!(
            "# Model verification: {}\n\nObserved: `{}`\n\n",
            self.model, self.observed
        );
        for (k, v) in &self.stats {
            let _ = writeln!(o, "- {}: {v}", k.replace('_', " "));
        }
        let _ = writeln!(
            o,
            "\n| severity | rule | finding | target |\n|---|---|---|---|"
        );
        for f in &self.findings {
            let _ = writeln!(
                o,
                "| {} | {} | {} | `{}` |",
                f.severity.as_str(),
                f.rule,
                f.title,
                f.target
            );
        }
        o
    }

    /// CSV.
    pub fn csv(&self) -> String {
        let mut o = String::from("id,rule,severity,target,title,remediation\n");
        for f in &self.findings {
            let q = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            let _ = writeln!(
                o,
                "{},{},{},{},{},{}",
                q(&f.id),
                f.rule,
                f.severity.as_str(),
                q(&f.target),
                q(&f.title),
                q(&f.remediation)
            );
        }
        o
    }

    /// SARIF 2.1.0.
    pub fn sarif(&self, model_file: &str) -> String {
        let mut rules: Vec<(&str, &str)> = self
            .findings
            .iter()
            .map(|f| (f.rule.as_str(), f.title.as_str()))
            .collect();
        rules.sort_unstable();
        rules.dedup_by(|a, b| a.0 == b.0);
        let results: Vec<serde_json::Value> = self
            .findings
            .iter()
            .map(|f| {
                json!({
                    "ruleId": f.rule,
                    "ruleIndex": rules.iter().position(|r| r.0 == f.rule).unwrap_or(0),
                    "level": match f.severity { Severity::Critical | Severity::High => "error", Severity::Medium => "warning", _ => "note" },
                    "message": {"text": format!("{}: {}. {}", f.title, f.target, f.remediation)},
                    "locations": [{"physicalLocation": {"artifactLocation": {"uri": model_file}}, "logicalLocations": [{"name": f.target}]}],
                    "partialFingerprints": {"skjoldFindingId/v1": f.id},
                    "properties": {"severity": f.severity.as_str(), "evidence": f.evidence}
                })
            })
            .collect();
        let log = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{"tool": {"driver": {"name": "skjold-model-verify", "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.iter().map(|(id, t)| json!({"id": id, "shortDescription": {"text": t}})).collect::<Vec<_>>()}},
                "results": results}]
        });
        let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
        s.push('\n');
        s
    }
}
