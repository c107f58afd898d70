//! Synthetic industrial captures for Skjold's benchmarks and tests.
//!
//! [`Generator`] simulates a small plant: Modbus/TCP PLCs polled by a SCADA
//! server and HMIs (FC1–4 reads every 100–1000 ms, occasional FC6/FC16 writes,
//! one FC43/14 device identification per PLC) and MQTT 3.1.1 sensors publishing
//! telemetry to a broker, all as complete TCP sessions with correct sequence
//! numbers, lengths and checksums. [`write_pcap`] streams it to a classic pcap
//! file in constant memory; the output depends only on the [`Config`].
//! [`PcapWriter`] is public so other tests can write their own captures.
//!
//! ```
//! let config = skjold_synth::Config { packets: 1_000, devices: 10, seed: 42, ..Default::default() };
//! let mut out = Vec::new();
//! let summary = skjold_synth::write_pcap(&config, &mut out).unwrap();
//! assert_eq!(summary.packets, 1_000);
//! ```
#![forbid(unsafe_code)]

mod modbus;
mod mqtt;
mod ot;
mod packet;
mod pcap;
mod plant;
mod rng;

use std::io::Write;
use std::str::FromStr;

pub use pcap::{
    PcapWriter, LINKTYPE_ETHERNET, LINKTYPE_LINUX_SLL, LINKTYPE_LINUX_SLL2, LINKTYPE_NULL,
    LINKTYPE_RAW, PCAP_MAGIC_MICROS,
};
pub use plant::{Frame, Generator, Host, PlantInfo, Role};

/// Largest `--devices` accepted (addresses are laid out in 10.10.1.0–10.10.255.255).
pub const MAX_DEVICES: u32 = 50_000;

/// Errors from configuring or writing a synthetic capture.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SynthError {
    #[error("writing the capture failed")]
    Io(#[from] std::io::Error),
    #[error("unknown protocol {0:?} in --mix (known: all, modbus, mqtt, {known})", known = ot_names())]
    UnknownProtocol(String),
    #[error("--mix names no protocol")]
    EmptyMix,
    #[error("--devices must be between 1 and {MAX_DEVICES}, got {0}")]
    Devices(u32),
}

fn ot_names() -> String {
    let mut names: Vec<&str> = ot::Proto::ALL
        .iter()
        .filter(|p| **p != ot::Proto::EnipUdp)
        .map(|p| p.name())
        .collect();
    names.sort_unstable();
    names.join(", ")
}

/// Which protocols the plant speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    pub modbus: bool,
    pub mqtt: bool,
    /// The other protocols of `--mix all`, one bit each (see [`Mix::protocols`]).
    pub others: u32,
}

impl Default for Mix {
    fn default() -> Self {
        Self {
            modbus: true,
            mqtt: true,
            others: 0,
        }
    }
}

impl Mix {
    /// Every protocol the generator knows: Modbus/TCP, MQTT, DNP3, IEC-104,
    /// S7comm, S7comm-plus, EtherNet/IP (TCP and UDP), BACnet/IP, OPC UA, CoAP,
    /// TLS, SSH, FTP, HTTP, Telnet, RDP and VNC.
    #[must_use]
    pub fn all() -> Self {
        Self {
            modbus: true,
            mqtt: true,
            others: ot::Proto::ALL.iter().fold(0, |m, p| m | p.bit()),
        }
    }

    /// Names of the protocols in this mix (`enip-udp` is EtherNet/IP's UDP `ListIdentity`).
    #[must_use]
    pub fn protocols(&self) -> Vec<&'static str> {
        let mut v = Vec::new();
        if self.modbus {
            v.push("modbus");
        }
        if self.mqtt {
            v.push("mqtt");
        }
        v.extend(
            ot::Proto::ALL
                .iter()
                .filter(|p| self.others & p.bit() != 0)
                .map(|p| p.name()),
        );
        v
    }

    fn is_empty(self) -> bool {
        !self.modbus && !self.mqtt && self.others == 0
    }
}

impl FromStr for Mix {
    type Err = SynthError;

    /// Comma-separated protocol names, e.g. `modbus,mqtt`, `dnp3,tls` or `all`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut mix = Self {
            modbus: false,
            mqtt: false,
            others: 0,
        };
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let lower = name.to_ascii_lowercase();
            match lower.as_str() {
                "all" => mix = Self::all(),
                "modbus" => mix.modbus = true,
                "mqtt" => mix.mqtt = true,
                "enip" => mix.others |= ot::Proto::Enip.bit() | ot::Proto::EnipUdp.bit(),
                other => {
                    let proto = ot::Proto::ALL
                        .iter()
                        .find(|p| p.name() == other && **p != ot::Proto::EnipUdp)
                        .ok_or_else(|| SynthError::UnknownProtocol(name.to_owned()))?;
                    mix.others |= proto.bit();
                }
            }
        }
        if mix.is_empty() {
            Err(SynthError::EmptyMix)
        } else {
            Ok(mix)
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Number of packets to write; met exactly unless it is too small to open
    /// a single session (about 10 packets).
    pub packets: u64,
    /// Field devices: with both protocols only, 60 % PLCs and 40 % MQTT sensors;
    /// with more protocols, shared evenly with at least one device per protocol.
    pub devices: u32,
    /// Seed of the deterministic PRNG.
    pub seed: u64,
    pub mix: Mix,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            packets: 100_000,
            devices: 20,
            seed: 1,
            mix: Mix::default(),
        }
    }
}

impl Config {
    fn validate(&self) -> Result<(), SynthError> {
        if self.devices == 0 || self.devices > MAX_DEVICES {
            return Err(SynthError::Devices(self.devices));
        }
        if self.mix.is_empty() {
            return Err(SynthError::EmptyMix);
        }
        Ok(())
    }
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub packets: u64,
    /// Sum of captured frame lengths (without pcap headers).
    pub frame_bytes: u64,
    /// Time of the first and last packet, microseconds since the Unix epoch.
    pub first_us: u64,
    pub last_us: u64,
    pub plant: PlantInfo,
}

/// Writes a whole synthetic capture (pcap, Ethernet, snaplen 65535) to `out`.
///
/// `out` should be buffered; memory use does not depend on `config.packets`.
pub fn write_pcap<W: Write>(config: &Config, out: W) -> Result<Summary, SynthError> {
    let mut gen = Generator::new(config)?;
    let mut writer = PcapWriter::new(out, LINKTYPE_ETHERNET, 65_535)?;
    let (mut first, mut last) = (0, 0);
    while let Some(frame) = gen.next_frame() {
        if writer.records() == 0 {
            first = frame.ts_us;
        }
        last = frame.ts_us;
        writer.write_record(frame.ts_us, frame.data)?;
    }
    writer.flush()?;
    Ok(Summary {
        packets: writer.records(),
        frame_bytes: writer.packet_bytes(),
        first_us: first,
        last_us: last,
        plant: gen.info().clone(),
    })
}
