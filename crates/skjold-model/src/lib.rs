//! skjold-model: threat modelling as code for IoT and OT systems. A system is described in YAML
//! (elements, data assets, flows, IEC 62443 zones and conduits, controls in place, accepted
//! risks); a library of rules written as data finds STRIDE threats, a risk engine scores them, and
//! the results are written as HTML, Markdown, JSON, CSV or SARIF with a data-flow diagram in SVG.
//! `diff` compares two models' findings, `verify` compares a model with what `skjold watch`
//! observed on the network, and `import` reads OpenThreatModel JSON and Threagile YAML.

// Prose names such as IoT, IPsec, MACsec and OpenThreatModel are words here, not code items.
#![allow(clippy::doc_markdown)]

pub mod catalog;
pub mod date;
pub mod diagram;
pub mod diff;
pub mod engine;
pub mod error;
pub mod facts;
pub mod import;
pub mod load;
pub mod model;
pub mod output;
pub mod report;
pub mod rules;
pub mod verify;

pub use date::Date;
pub use engine::{check, CheckResult, Finding, Severity, Status};
pub use error::{Error, Result};
pub use load::{load_model, parse_model, LoadedModel};
pub use model::Model;
pub use rules::{Rule, RuleSet};

/// The JSON Schema of the model format, pretty-printed.
pub fn json_schema() -> String {
    let schema = schemars::schema_for!(Model);
    serde_json::to_string_pretty(&schema).expect("a schema always serialises")
}
