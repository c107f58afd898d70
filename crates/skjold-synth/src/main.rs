//! `skjold-synth`: command-line front end writing a synthetic plant capture to a pcap file.
//!
//! Usage: `skjold-synth --out FILE [--packets N] [--devices N] [--seed N] [--mix modbus,mqtt|all]`.
//! N accepts `_` separators and a `k`/`M` suffix (`--packets 20M`).
#![forbid(unsafe_code)]

use std::fs::File;
use std::io::BufWriter;
use std::process::ExitCode;

use skjold_synth::{write_pcap, Config, Mix};

const USAGE: &str = "\
skjold-synth: write a synthetic plant capture (pcap, Ethernet): Modbus/TCP + MQTT,
or with --mix all every protocol of skjold watch

Usage: skjold-synth --out FILE [options]

Options:
  --out FILE       capture to write (required)
  --packets N      number of packets [default: 100000]; accepts 250k, 20M, 1_000_000
  --devices N      devices: 60% Modbus PLCs, 40% MQTT sensors; with more protocols
                   an even share per protocol, at least one each [default: 20]
  --seed N         PRNG seed; the same options give the same file [default: 1]
  --mix LIST       protocols, comma-separated, or all [default: modbus,mqtt]:
                   modbus mqtt dnp3 iec104 s7comm s7commplus enip (TCP + UDP)
                   bacnet opcua coap tls ssh ftp http telnet rdp vnc
  -h, --help       this text
";

fn parse_count(flag: &str, value: &str) -> Result<u64, String> {
    let v = value.replace('_', "");
    let (digits, mult) = match v.chars().last() {
        Some('k' | 'K') => (&v[..v.len() - 1], 1_000),
        Some('m' | 'M') => (&v[..v.len() - 1], 1_000_000),
        _ => (v.as_str(), 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(mult))
        .ok_or_else(|| format!("{flag}: not a count: {value:?}"))
}

fn parse_args(args: &[String]) -> Result<Option<(Config, String)>, String> {
    let mut config = Config::default();
    let mut out = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Ok(None);
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (flag.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match name {
            "--out" => out = Some(value()?),
            "--packets" => config.packets = parse_count(name, &value()?)?,
            "--devices" => {
                config.devices = u32::try_from(parse_count(name, &value()?)?)
                    .map_err(|_| "--devices: too large".to_owned())?;
            }
            "--seed" => config.seed = parse_count(name, &value()?)?,
            "--mix" => config.mix = value()?.parse::<Mix>().map_err(|e| e.to_string())?,
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    let out = out.ok_or("--out FILE is required")?;
    Ok(Some((config, out)))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (config, out) = match parse_args(&args) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            eprint!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("skjold-synth: {msg}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let file = match File::create(&out) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("skjold-synth: cannot create {out}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match write_pcap(&config, BufWriter::with_capacity(1 << 20, file)) {
        Ok(s) => {
            let secs = (s.last_us - s.first_us) as f64 / 1e6;
            eprintln!(
                "skjold-synth: wrote {out}: {} packets, {} frame bytes, {secs:.1} s of traffic; \
                 {} PLCs, {} sensors, {} masters, {} Modbus and {} MQTT sessions; \
                 {} other devices with {} sessions ({})",
                s.packets,
                s.frame_bytes,
                s.plant.plcs,
                s.plant.sensors,
                s.plant.masters,
                s.plant.modbus_sessions,
                s.plant.mqtt_sessions,
                s.plant.other_devices,
                s.plant.other_sessions,
                config.mix.protocols().join(",")
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            let mut msg = format!("skjold-synth: {out}: {e}");
            let mut src = std::error::Error::source(&e);
            while let Some(cause) = src {
                msg.push_str(": ");
                msg.push_str(&cause.to_string());
                src = cause.source();
            }
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn counts_accept_suffixes_and_separators() {
        assert_eq!(parse_count("x", "20M"), Ok(20_000_000));
        assert_eq!(parse_count("x", "250k"), Ok(250_000));
        assert_eq!(parse_count("x", "1_000_000"), Ok(1_000_000));
        assert!(parse_count("x", "lots").is_err());
    }

    #[test]
    fn flags_parse_and_out_is_required() {
        let (c, out) = parse_args(&args(
            "--packets=5k --devices 7 --seed 9 --mix mqtt --out x.pcap",
        ))
        .unwrap()
        .unwrap();
        assert_eq!(
            (c.packets, c.devices, c.seed, out.as_str()),
            (5000, 7, 9, "x.pcap")
        );
        assert!(!c.mix.modbus && c.mix.mqtt);
        assert!(parse_args(&args("--packets 5")).is_err());
        assert!(parse_args(&args("--out x --mix modbus,profinet")).is_err());
        let (all, _) = parse_args(&args("--out x --mix all")).unwrap().unwrap();
        assert_eq!(all.mix, skjold_synth::Mix::all());
        assert!(parse_args(&args("--help")).unwrap().is_none());
    }
}
