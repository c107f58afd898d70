//! `skjold scan`: an active, read-only audit of IoT and OT devices against ETSI EN 303 645 and
//! IEC 62443-3-3.
//!
//! - [`target`]: addresses, CIDRs, ranges and host names;
//! - [`engine`]: TCP connect scanning (bounded concurrency, rate limit, timeouts), UDP probes,
//!   results collected as they arrive ([`engine::Collector`]) so Ctrl-C keeps partial results;
//! - `probe`: one module per protocol, each sending only that protocol's read-only
//!   identification requests;
//! - [`rules`]: one check per file, turning services into findings (SPEC §7);
//! - [`report`]: JSON, Markdown, HTML and SARIF 2.1.0.
//!
//! ```no_run
//! use skjold_scan::{engine, target};
//! let cfg = engine::Config {
//!     target_specs: vec!["127.0.1.1-9".into()],
//!     targets: target::expand(&["127.0.1.1-9".into()]).unwrap(),
//!     ports: engine::default_ports(),
//!     udp: vec![],
//!     intrusive: false,
//!     creds: vec![],
//!     concurrency: 512,
//!     rate: None,
//!     timeout: std::time::Duration::from_millis(2000),
//! };
//! let report = engine::scan_blocking(cfg).unwrap();
//! println!("{}", skjold_scan::report::markdown(&report));
//! ```

pub mod creds;
pub mod engine;
pub mod model;
pub(crate) mod net;
pub mod probe;
pub mod report;
pub mod rules;
pub mod safety;
pub mod target;
pub mod time;

pub use model::{Finding, Host, ScanReport, Service, Severity};
