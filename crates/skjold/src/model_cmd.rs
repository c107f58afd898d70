//! `skjold model`: the command-line glue for threat modelling as code (skjold-model). Parses the
//! subcommands' flags, loads models and rules, runs the check, diff, verify or import, writes the
//! output, and returns the exit code of SPEC §2: 0 success, 1 findings at or above `--fail-on`,
//! 2 bad usage or unreadable input (one line on stderr naming the file and line); internal errors
//! are returned as `Err` (exit 3).

// Doc comments here are the `--help` text: names like IoT and OpenThreatModel stay plain words.
#![allow(clippy::doc_markdown)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::{Args, Subcommand, ValueEnum};
use skjold_model::output::Format;
use skjold_model::{Date, Error, RuleSet, Severity};

/// Threat modelling as code for IoT and OT systems.
#[derive(Debug, Args)]
#[command(
    about = "Threat modelling as code: check a YAML system model against the IoT/OT rule library",
    long_about = "Threat modelling as code for IoT and OT systems.\n\n\
        A model (YAML) lists elements, data assets, flows, IEC 62443 zones and conduits, the\n\
        controls in place and accepted risks. `check` finds STRIDE threats with the built-in rule\n\
        library, scores them and writes a report; `diagram` draws the data-flow diagram; `diff`\n\
        compares two versions; `verify` compares the model with what `skjold watch` observed.\n\n\
        Example:\n  skjold model check examples/models/water-treatment.yaml --format html --out report.html --fail-on high"
)]
pub(crate) struct ModelCommand {
    #[command(subcommand)]
    command: ModelSub,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutFormat {
    Md,
    Html,
    Json,
    Csv,
    Sarif,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ImportFormat {
    Otm,
    Threagile,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Level {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    fn severity(self) -> Severity {
        match self {
            Self::Info => Severity::Info,
            Self::Low => Severity::Low,
            Self::Medium => Severity::Medium,
            Self::High => Severity::High,
            Self::Critical => Severity::Critical,
        }
    }
}

#[derive(Debug, Subcommand)]
enum ModelSub {
    /// Check a model and write the threat report.
    ///
    /// Example: skjold model check plant.yaml --format sarif --out model.sarif --fail-on high
    Check {
        /// The model (YAML).
        model: PathBuf,
        /// Output format; default from the --out extension, else md.
        #[arg(long, value_enum)]
        format: Option<OutFormat>,
        /// Output file; default stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Exit 1 when an open threat is at or above this severity.
        #[arg(long, value_enum)]
        fail_on: Option<Level>,
        /// Folder of project-local rule files (YAML) to add; repeatable.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
        /// Evaluate as of this date (YYYY-MM-DD) for the expiry of accepted risks; default today.
        #[arg(long)]
        date: Option<String>,
    },
    /// Draw the data-flow diagram as SVG.
    ///
    /// Example: skjold model diagram plant.yaml --out dfd.svg
    Diagram {
        /// The model (YAML).
        model: PathBuf,
        /// Output file.
        #[arg(long, default_value = "dfd.svg")]
        out: PathBuf,
        /// Folder of project-local rule files; repeatable.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
    /// Compare the threats of two versions of a model.
    ///
    /// Example: skjold model diff old.yaml new.yaml --fail-on high
    Diff {
        /// The old model.
        old: PathBuf,
        /// The new model.
        new: PathBuf,
        /// Output format: md or json.
        #[arg(long, value_enum, default_value = "md")]
        format: OutFormat,
        /// Output file; default stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Exit 1 when an open threat is added or worsened at or above this severity.
        #[arg(long, value_enum)]
        fail_on: Option<Level>,
        /// Folder of project-local rule files; repeatable.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
        /// Evaluate as of this date (YYYY-MM-DD).
        #[arg(long)]
        date: Option<String>,
    },
    /// Compare a model with the output directory of `skjold watch`.
    ///
    /// Example: skjold model verify plant.yaml --observed skjold-out/
    Verify {
        /// The model (YAML).
        model: PathBuf,
        /// The `skjold watch --out` directory (assets.json, eve.json).
        #[arg(long)]
        observed: PathBuf,
        /// Output format (md, json, csv, sarif).
        #[arg(long, value_enum, default_value = "md")]
        format: OutFormat,
        /// Output file; default stdout.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Exit 1 when a finding is at or above this severity.
        #[arg(long, value_enum)]
        fail_on: Option<Level>,
    },
    /// Print the JSON Schema of the model format (for editors).
    ///
    /// Example: skjold model schema --out skjold-model.schema.json
    Schema {
        /// Output file; default stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Convert an OpenThreatModel (OTM) JSON file or a Threagile YAML model into a Skjold model.
    ///
    /// Example: skjold model import system.otm.json --out model.yaml
    Import {
        /// The OTM JSON or Threagile YAML file.
        file: PathBuf,
        /// Input format; default from the extension (.json: otm, .yaml/.yml: threagile).
        #[arg(long, value_enum)]
        from: Option<ImportFormat>,
        /// Output file; default stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List the rule library (built-in and local rules).
    ///
    /// Example: skjold model rules --rules ./our-rules
    Rules {
        /// Folder of project-local rule files; repeatable.
        #[arg(long = "rules")]
        rules: Vec<PathBuf>,
    },
    /// List the control catalogue that models and rules refer to.
    Controls,
}

/// Runs `skjold model ...` and returns the process exit code.
pub(crate) fn run(cmd: ModelCommand) -> anyhow::Result<i32> {
    match execute(cmd.command) {
        Ok(code) => Ok(code),
        Err(Failure::Input(msg)) => {
            eprintln!("skjold model: {msg}");
            Ok(2)
        }
        Err(Failure::Internal(e)) => Err(e),
    }
}

enum Failure {
    Input(String),
    Internal(anyhow::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        if e.is_input() {
            Self::Input(e.to_string())
        } else {
            Self::Internal(anyhow::Error::new(e))
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Self::Internal(e)
    }
}

fn rule_set(dirs: &[PathBuf]) -> Result<RuleSet, Failure> {
    let mut rules = RuleSet::builtin()?;
    for d in dirs {
        rules.add_dir(d)?;
    }
    Ok(rules)
}

fn date(arg: Option<&str>) -> Result<Date, Failure> {
    match arg {
        None => Ok(Date::today()),
        Some(s) => Date::parse(s)
            .ok_or_else(|| Failure::Input(format!("--date {s:?} is not a date; write YYYY-MM-DD"))),
    }
}

fn emit(out: Option<&Path>, text: &str) -> Result<(), Failure> {
    if let Some(p) = out {
        return std::fs::write(p, text)
            .map_err(|e| Failure::Input(format!("{}: cannot write: {e}", p.display())));
    }
    let mut so = std::io::stdout().lock();
    match so.write_all(text.as_bytes()).and_then(|()| so.flush()) {
        // A closed pipe (`| head`) is the reader's choice, not an error.
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::Internal(
            anyhow::Error::new(e).context("writing to stdout"),
        )),
        _ => Ok(()),
    }
}

fn format_of(explicit: Option<OutFormat>, out: Option<&Path>) -> Format {
    let f = explicit.or_else(|| {
        let ext = out?.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "html" | "htm" => Some(OutFormat::Html),
            "json" => Some(OutFormat::Json),
            "csv" => Some(OutFormat::Csv),
            "sarif" => Some(OutFormat::Sarif),
            _ => Some(OutFormat::Md),
        }
    });
    match f.unwrap_or(OutFormat::Md) {
        OutFormat::Md => Format::Md,
        OutFormat::Html => Format::Html,
        OutFormat::Json => Format::Json,
        OutFormat::Csv => Format::Csv,
        OutFormat::Sarif => Format::Sarif,
    }
}

fn execute(cmd: ModelSub) -> Result<i32, Failure> {
    match cmd {
        ModelSub::Check {
            model,
            format,
            out,
            fail_on,
            rules,
            date: d,
        } => {
            let rules = rule_set(&rules)?;
            let today = date(d.as_deref())?;
            let loaded = skjold_model::load_model(&model)?;
            let res = skjold_model::check(&loaded.model, &rules, today);
            for w in &res.warnings {
                eprintln!("skjold model: warning: {}: {w}", loaded.file);
            }
            let report = skjold_model::report::build(
                &loaded.model,
                &loaded.file,
                &loaded.source,
                &rules,
                &res,
                today,
            );
            let text = skjold_model::output::render(
                &report,
                &loaded.model,
                &rules,
                format_of(format, out.as_deref()),
            )?;
            emit(out.as_deref(), &text)?;
            let s = &report.summary;
            eprintln!(
                "skjold model: {} threats, {} open ({} critical, {} high, {} medium, {} low), {} mitigated, {} accepted",
                s.threats, s.open, s.open_by_severity.critical, s.open_by_severity.high, s.open_by_severity.medium,
                s.open_by_severity.low, s.mitigated, s.accepted
            );
            let worst = res
                .findings
                .iter()
                .filter(|f| f.status == skjold_model::Status::Open)
                .map(|f| f.severity)
                .max();
            Ok(i32::from(
                fail_on.is_some_and(|l| worst.is_some_and(|w| w >= l.severity())),
            ))
        }
        ModelSub::Diagram { model, out, rules } => {
            let rules = rule_set(&rules)?;
            let loaded = skjold_model::load_model(&model)?;
            let res = skjold_model::check(&loaded.model, &rules, Date::today());
            let d = skjold_model::diagram::render(&loaded.model, &res.findings);
            emit(Some(&out), &d.svg)?;
            if d.overlaps > 0 {
                eprintln!(
                    "skjold model: warning: {} labels could not be placed without overlap",
                    d.overlaps
                );
            }
            Ok(0)
        }
        ModelSub::Diff {
            old,
            new,
            format,
            out,
            fail_on,
            rules,
            date: d,
        } => {
            let rules = rule_set(&rules)?;
            let today = date(d.as_deref())?;
            let a = skjold_model::load_model(&old)?;
            let b = skjold_model::load_model(&new)?;
            let ra = skjold_model::check(&a.model, &rules, today);
            let rb = skjold_model::check(&b.model, &rules, today);
            let diff = skjold_model::diff::diff(&a.model, &ra, &b.model, &rb);
            let text = match format {
                OutFormat::Json => {
                    serde_json::to_string_pretty(&diff).context("serialising the diff")? + "\n"
                }
                OutFormat::Md => diff.markdown(&a.file, &b.file),
                other => {
                    return Err(Failure::Input(format!(
                        "diff writes md or json, not {other:?}"
                    )))
                }
            };
            emit(out.as_deref(), &text)?;
            let worst = diff.worst_regression();
            Ok(i32::from(
                fail_on.is_some_and(|l| worst.is_some_and(|w| w >= l.severity())),
            ))
        }
        ModelSub::Verify {
            model,
            observed,
            format,
            out,
            fail_on,
        } => {
            let loaded = skjold_model::load_model(&model)?;
            let obs = skjold_model::verify::load_observed(&observed)?;
            let rep =
                skjold_model::verify::verify(&loaded.model, &obs, &observed.display().to_string());
            let text = match format {
                OutFormat::Json => {
                    serde_json::to_string_pretty(&rep).context("serialising the verification")?
                        + "\n"
                }
                OutFormat::Md | OutFormat::Html => rep.markdown(),
                OutFormat::Csv => rep.csv(),
                OutFormat::Sarif => rep.sarif(&loaded.file),
            };
            emit(out.as_deref(), &text)?;
            eprintln!("skjold model: verify: {} findings", rep.findings.len());
            let worst = rep.worst();
            Ok(i32::from(
                fail_on.is_some_and(|l| worst.is_some_and(|w| w >= l.severity())),
            ))
        }
        ModelSub::Schema { out } => {
            emit(out.as_deref(), &(skjold_model::json_schema() + "\n"))?;
            Ok(0)
        }
        ModelSub::Import { file, from, out } => {
            let shown = file.display().to_string();
            let text = std::fs::read_to_string(&file)
                .map_err(|e| Failure::Input(format!("{shown}: {e}")))?;
            let yaml_ext = file
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
            let threagile = from.map_or(yaml_ext, |f| f == ImportFormat::Threagile);
            let (model, notes) = if threagile {
                skjold_model::import::from_threagile(&text, &shown)?
            } else {
                skjold_model::import::from_otm(&text, &shown)?
            };
            for n in notes {
                eprintln!("skjold model: import: {n}");
            }
            let yaml = skjold_model::import::to_yaml(&model)?;
            // The result must load as a model; fail loudly rather than write something unusable.
            skjold_model::parse_model(&yaml, &shown)?;
            emit(out.as_deref(), &yaml)?;
            Ok(0)
        }
        ModelSub::Rules { rules } => {
            let rules = rule_set(&rules)?;
            let mut o = String::from(
                "| id | STRIDE | applies to | title | mitigated by |\n|---|---|---|---|---|\n",
            );
            for r in &rules.rules {
                let stride: String = r.stride.iter().fold(String::new(), |mut acc, s| {
                    let _ = write!(acc, "{s:?}");
                    acc
                });
                let mit: Vec<String> = r.mitigated_by.iter().map(|g| g.join(" + ")).collect();
                let subject = serde_json::to_value(r.applies_to)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                let _ = writeln!(
                    o,
                    "| {} | {stride} | {subject} | {} | {} |",
                    r.id,
                    r.title,
                    mit.join(" or ")
                );
            }
            emit(None, &o)?;
            Ok(0)
        }
        ModelSub::Controls => {
            let cat = skjold_model::catalog::Catalog::get();
            let mut o = String::from(
                "| control | what | ETSI EN 303 645 | IEC 62443-3-3 |\n|---|---|---|---|\n",
            );
            for c in &cat.controls {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} |",
                    c.id,
                    c.title,
                    c.etsi_en_303_645.join(", "),
                    c.iec_62443.join(", ")
                );
            }
            emit(None, &o)?;
            Ok(0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Wrap {
        #[command(flatten)]
        cmd: ModelCommand,
    }

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    fn run_args(args: &[&str]) -> i32 {
        let mut v = vec!["model"];
        v.extend_from_slice(args);
        run(Wrap::try_parse_from(v).expect("arguments parse").cmd).expect("no internal error")
    }

    #[test]
    fn help_text_is_consistent() {
        use clap::CommandFactory;
        Wrap::command().debug_assert();
    }

    #[test]
    fn check_exit_codes_follow_fail_on() {
        let dir = tempfile::tempdir().unwrap();
        let model = root().join("examples/models/water-treatment.yaml");
        let m = model.to_str().unwrap();
        let out = dir.path().join("r.sarif");
        let o = out.to_str().unwrap();
        assert_eq!(
            run_args(&["check", m, "--out", o, "--date", "2026-06-01"]),
            0
        );
        let sarif: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert_eq!(sarif["version"], "2.1.0");
        assert_eq!(
            run_args(&[
                "check",
                m,
                "--out",
                o,
                "--fail-on",
                "critical",
                "--date",
                "2026-06-01"
            ]),
            1
        );
    }

    #[test]
    fn bad_input_exits_2() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.yaml");
        std::fs::write(
            &bad,
            "name: x\nelements:\n  - {id: a, kind: plc, zone: nowhere}\n",
        )
        .unwrap();
        assert_eq!(run_args(&["check", bad.to_str().unwrap()]), 2);
        assert_eq!(
            run_args(&["check", dir.path().join("missing.yaml").to_str().unwrap()]),
            2
        );
        assert_eq!(
            run_args(&["check", bad.to_str().unwrap(), "--date", "tomorrow"]),
            2
        );
    }

    #[test]
    fn diff_of_a_model_with_itself_passes_fail_on() {
        let dir = tempfile::tempdir().unwrap();
        let m = root().join("examples/models/ship-satellite.yaml");
        let m = m.to_str().unwrap();
        let out = dir.path().join("d.json");
        assert_eq!(
            run_args(&[
                "diff",
                m,
                m,
                "--format",
                "json",
                "--out",
                out.to_str().unwrap(),
                "--fail-on",
                "low"
            ]),
            0
        );
        let d: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
        assert!(d["added"].as_array().unwrap().is_empty());
    }

    #[test]
    fn verify_and_import_and_schema_write_their_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let data = root().join("crates/skjold-model/tests/data");
        let out = dir.path().join("v.json");
        let code = run_args(&[
            "verify",
            data.join("verify-model.yaml").to_str().unwrap(),
            "--observed",
            data.join("observed-modbus").to_str().unwrap(),
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
            "--fail-on",
            "high",
        ]);
        assert_eq!(code, 1, "the fixture differs from the model on purpose");
        let yaml = dir.path().join("m.yaml");
        assert_eq!(
            run_args(&[
                "import",
                data.join("line.otm.json").to_str().unwrap(),
                "--out",
                yaml.to_str().unwrap()
            ]),
            0
        );
        assert!(skjold_model::load_model(&yaml).is_ok());
        let yaml2 = dir.path().join("t.yaml");
        let tg = data.join("plant.threagile.yaml");
        assert_eq!(
            run_args(&[
                "import",
                tg.to_str().unwrap(),
                "--out",
                yaml2.to_str().unwrap()
            ]),
            0
        );
        assert!(skjold_model::load_model(&yaml2).unwrap().model.flows.len() >= 3);
        let schema = dir.path().join("s.json");
        assert_eq!(run_args(&["schema", "--out", schema.to_str().unwrap()]), 0);
        assert!(std::fs::read_to_string(&schema)
            .unwrap()
            .contains("\"Model\""));
    }
}
