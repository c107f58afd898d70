//! Baselines: what normal looks like on a plant's network, learned from traffic
//! (`skjold watch --learn baseline.yaml`) and compared with it (`--baseline baseline.yaml`).
//! The file is YAML meant to be read, reviewed and edited by hand (docs/baseline.md).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

/// Format version written in `version:`.
pub const VERSION: u32 = 1;

/// A learned (or hand-written) baseline.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version (1).
    pub version: u32,
    /// Where and when it was learned.
    #[serde(default)]
    pub learned: Learned,
    /// Margin added on each side of a learned value range, as a fraction of the range (or of
    /// the value when the range is a single value). Default 0.1.
    #[serde(default = "default_margin")]
    pub margin: f64,
    /// Devices.
    #[serde(default)]
    pub assets: Vec<Asset>,
    /// Allowed communication: client → server, with what each protocol did.
    #[serde(default)]
    pub pairs: Vec<Pair>,
    /// Process variables and their allowed range.
    #[serde(default)]
    pub variables: Vec<Variable>,
}

fn default_margin() -> f64 {
    0.1
}

/// Provenance of a baseline.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Learned {
    /// First and last capture time learned from (RFC 3339).
    #[serde(default)]
    pub from: String,
    /// See `from`.
    #[serde(default)]
    pub to: String,
    /// Observations learned from.
    #[serde(default)]
    pub observations: u64,
}

/// A device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asset {
    /// IP address.
    pub ip: IpAddr,
    /// MAC addresses seen for it (`aa:bb:cc:dd:ee:ff`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub macs: Vec<String>,
}

/// Allowed communication between a client and a server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pair {
    /// Initiator.
    pub client: IpAddr,
    /// Responder.
    pub server: IpAddr,
    /// Protocols used on this pair (`tcp`/`udp` with a port for undecoded ones).
    pub protocols: Vec<PairProto>,
    /// Highest rate of new flows from the client to the server in any minute.
    #[serde(default)]
    pub max_flows_per_min: u64,
}

/// One protocol on a pair.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairProto {
    /// `modbus`, `mqtt`, ... (EVE `app_proto`), or `tcp/PORT`, `udp/PORT`.
    pub protocol: String,
    /// Function codes used, with their names (`3: read_holding_registers`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub functions: BTreeMap<u32, String>,
    /// Whether the client wrote or sent control commands.
    #[serde(default)]
    pub writes: bool,
    /// Unit ids / station addresses addressed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<u32>,
    /// Addresses read, per address space, as ranges (`"0-9, 20"`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub read: BTreeMap<String, String>,
    /// Addresses written, per address space, as ranges.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub written: BTreeMap<String, String>,
    /// Names used (MQTT topics, CoAP paths, OPC UA nodes), at most 100.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Median seconds between requests of each function (polling period).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub period_s: BTreeMap<u32, f64>,
    /// Highest number of requests in any minute.
    #[serde(default)]
    pub max_ops_per_min: u64,
}

/// A process variable: one address of one server, with its allowed range.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// The device holding it.
    pub server: IpAddr,
    /// Protocol.
    pub protocol: String,
    /// Unit id / station address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<u32>,
    /// Address space (`holding_register`, `coil`, `ioa`...).
    pub space: String,
    /// Address.
    pub address: u32,
    /// Lowest allowed value (learned minimum minus the margin).
    pub min: f64,
    /// Highest allowed value (learned maximum plus the margin).
    pub max: f64,
    /// Learned minimum and maximum, before the margin.
    pub seen: [f64; 2],
    /// Whether it was written (a setpoint) or only read (a measurement).
    #[serde(default)]
    pub written: bool,
    /// Values learned from (informative).
    #[serde(default)]
    pub samples: u32,
}

/// A baseline file that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// I/O.
    #[error("{file}: {source}")]
    Io {
        /// The file.
        file: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// Not a valid baseline.
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        /// The file.
        file: String,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

/// 1-based line of the first occurrence of `needle` (0 when absent).
fn find_line(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(0, |i| i + 1)
}

impl Baseline {
    /// Read and validate a baseline file.
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| BaselineError::Io {
            file: file.clone(),
            source,
        })?;
        Baseline::parse(&text, &file)
    }

    /// Parse a baseline; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Baseline, BaselineError> {
        let b: Baseline = serde_norway::from_str(text).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            BaselineError::Invalid {
                file: file.to_owned(),
                line,
                column,
                message: e.to_string(),
            }
        })?;
        for (i, p) in b.pairs.iter().enumerate() {
            for pp in &p.protocols {
                for (space, set) in pp.read.iter().chain(&pp.written) {
                    if let Err(e) = crate::ranges::RangeSet::parse(set, u32::MAX) {
                        let at = find_line(text, set);
                        return Err(BaselineError::Invalid {
                            file: file.to_owned(),
                            line: at,
                            column: 1,
                            message: format!(
                                "pairs[{i}] ({} -> {}), {}: address set of '{space}': {e}",
                                p.client, p.server, pp.protocol
                            ),
                        });
                    }
                }
            }
        }
        for v in &b.variables {
            if v.min
                .partial_cmp(&v.max)
                .is_none_or(|o| o == std::cmp::Ordering::Greater)
            {
                return Err(BaselineError::Invalid {
                    file: file.to_owned(),
                    line: find_line(text, &format!("address: {}", v.address)),
                    column: 1,
                    message: format!(
                        "variable {} {} {}: min {} is above max {}",
                        v.server, v.space, v.address, v.min, v.max
                    ),
                });
            }
        }
        if b.version != VERSION {
            return Err(BaselineError::Invalid {
                file: file.to_owned(),
                line: 1,
                column: 1,
                message: format!(
                    "version {} is not supported (expected {VERSION})",
                    b.version
                ),
            });
        }
        Ok(b)
    }

    /// The YAML text, with a header comment.
    pub fn to_yaml(&self) -> String {
        let body = serde_norway::to_string(self).unwrap_or_default();
        format!(
            "# Skjold baseline: what normal traffic looked like. Review it; edit it to allow or\n\
             # forbid communication; then run `skjold watch --baseline THIS_FILE ...`.\n\
             # Format: docs/baseline.md\n{body}"
        )
    }
}
