//! The engine's side of detection: hands the observations of the workers (and the reader's ARP
//! observations) to one [`skjold_detect::Detector`] in capture order, writes the alerts it
//! releases as EVE `alert` events, keeps them for the terminal summary, and writes the learned
//! baseline (`--learn`, and at the switch of `--learn-for`).
//!
//! With one thread the detector runs inline after each packet. With `--threads N` it runs on
//! its own thread and merges the workers' observation streams by packet number: each worker
//! sends its observations with a watermark (no later observation of that worker will have a
//! smaller packet number), and only observations at or below every worker's watermark are
//! processed, so alerts are the same whatever the number of threads.

use crate::engine::WatchError;
use crate::output::Output;
use crossbeam_channel::{Receiver, Sender};
use skjold_detect::{Alert, Baseline, DetectConfig, Detector, Obs};
use std::path::{Path, PathBuf};

/// Alerts kept for the terminal summary (all are written to `eve.json`).
const MAX_KEPT: usize = 1000;

/// What detection produced in a run.
#[derive(Debug, Default, Clone)]
pub struct AlertLog {
    /// Alerts written.
    pub total: u64,
    /// Alerts per severity (index 0 = severity 1).
    pub by_severity: [u64; 3],
    /// The first alerts, in release order (at most 1,000).
    pub alerts: Vec<Alert>,
    /// Baseline file written (`--learn`, `--learn-for`).
    pub baseline_written: Option<PathBuf>,
    /// Detection limits hit (`detect.<what>`), also counted in `summary.json` `errors`.
    pub limits: Vec<(String, u64)>,
}

impl AlertLog {
    fn record(&mut self, a: &Alert) {
        self.total += 1;
        let s = usize::from(a.meta.severity.clamp(1, 3)) - 1;
        self.by_severity[s] += 1;
        if self.alerts.len() < MAX_KEPT {
            self.alerts.push(a.clone());
        }
    }
}

/// Detection in a run.
pub(crate) struct Detect {
    det: Detector,
    learn_out: Option<PathBuf>,
    pub(crate) log: AlertLog,
    err: Option<WatchError>,
}

impl Detect {
    /// Detection for `cfg`, or `None` when it is off.
    pub(crate) fn new(cfg: Option<&DetectConfig>, learn_out: Option<&Path>) -> Option<Detect> {
        let cfg = cfg?;
        Some(Detect {
            det: Detector::new(cfg.clone()),
            learn_out: learn_out.map(Path::to_owned),
            log: AlertLog::default(),
            err: None,
        })
    }

    /// Process observations (drained) and write the alerts released.
    pub(crate) fn pump(&mut self, obs: &mut Vec<Obs>, out: &mut Output) {
        if obs.is_empty() {
            return;
        }
        self.det.feed(obs);
        self.release(out);
        if let Some(b) = self.det.take_switched() {
            self.write_baseline(&b);
        }
    }

    fn release(&mut self, out: &mut Output) {
        for a in self.det.take_alerts() {
            out.alert(&a);
            self.log.record(&a);
        }
    }

    fn write_baseline(&mut self, b: &Baseline) {
        let Some(path) = &self.learn_out else { return };
        let tmp = path.with_extension("yaml.tmp");
        let r = std::fs::write(&tmp, b.to_yaml()).and_then(|()| std::fs::rename(&tmp, path));
        match r {
            Ok(()) => self.log.baseline_written = Some(path.clone()),
            Err(source) => {
                self.err.get_or_insert(WatchError::Output {
                    path: path.clone(),
                    source,
                });
            }
        }
    }

    /// End of input: release every alert, write the learned baseline, count limits hit.
    pub(crate) fn finish(mut self, out: &mut Output) -> Result<AlertLog, WatchError> {
        let (alerts, outcome) = self.det.finish();
        for a in alerts {
            out.alert(&a);
            self.log.record(&a);
        }
        if let Some(b) = &outcome.learned {
            self.write_baseline(b);
        }
        for (k, v) in &outcome.limits {
            *out.stats.errors.entry(k.clone()).or_default() += v;
        }
        self.log.limits = outcome.limits;
        match self.err {
            Some(e) => Err(e),
            None => Ok(self.log),
        }
    }
}

/// A message of one observation source to the detector thread: its index, its watermark, and
/// its observations.
pub(crate) type ObsMsg = (usize, u64, Vec<Obs>);

/// What the detector thread returns: its alert log (or the error) and its output.
pub(crate) type DetectorThread = std::thread::JoinHandle<(Result<AlertLog, WatchError>, Output)>;

/// The detector thread of a multi-threaded run: merges `sources` streams in packet order.
pub(crate) fn spawn(
    mut d: Detect,
    mut out: Output,
    sources: usize,
) -> (Sender<ObsMsg>, DetectorThread) {
    let (tx, rx): (Sender<ObsMsg>, Receiver<ObsMsg>) = crossbeam_channel::bounded(64);
    let h = std::thread::spawn(move || {
        let mut marks = vec![0u64; sources];
        let mut pending: Vec<Obs> = Vec::new();
        for (src, mark, mut obs) in rx {
            pending.append(&mut obs);
            if let Some(m) = marks.get_mut(src) {
                *m = mark;
            }
            let low = marks.iter().copied().min().unwrap_or(0);
            if pending.iter().any(|o| o.pcap_cnt <= low) {
                // Stable: the order of one flow's observations is kept.
                let (mut ready, rest): (Vec<Obs>, Vec<Obs>) =
                    pending.drain(..).partition(|o| o.pcap_cnt <= low);
                pending = rest;
                d.pump(&mut ready, &mut out);
            }
        }
        d.pump(&mut pending, &mut out);
        let r = d.finish(&mut out);
        (r, out)
    });
    (tx, h)
}
