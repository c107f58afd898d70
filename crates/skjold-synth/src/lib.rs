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
    #[error("unknown protocol {0:?} in --mix (known: modbus, mqtt)")]
    UnknownProtocol(String),
    #[error("--mix names no protocol")]
    EmptyMix,
    #[error("--devices must be between 1 and {MAX_DEVICES}, got {0}")]
    Devices(u32),
}

/// Which protocols the plant speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mix {
    pub modbus: bool,
    pub mqtt: bool,
}

impl Default for Mix {
    fn default() -> Self {
        Self {
            modbus: true,
            mqtt: true,
        }
    }
}

impl FromStr for Mix {
    type Err = SynthError;

    /// Comma-separated protocol names, e.g. `modbus,mqtt`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut mix = Self {
            modbus: false,
            mqtt: false,
        };
        for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name.to_ascii_lowercase().as_str() {
                "modbus" => mix.modbus = true,
                "mqtt" => mix.mqtt = true,
                _ => return Err(SynthError::UnknownProtocol(name.to_owned())),
            }
        }
        if mix.modbus || mix.mqtt {
            Ok(mix)
        } else {
            Err(SynthError::EmptyMix)
        }
    }
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Number of packets to write; met exactly unless it is too small to open
    /// a single session (about 10 packets).
    pub packets: u64,
    /// Field devices: with both protocols, 60 % PLCs and 40 % MQTT sensors.
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
        if !self.mix.modbus && !self.mix.mqtt {
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
