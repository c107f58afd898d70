//! The detector: observations in (in capture order), alerts out.

use crate::alert::Alert;
use crate::baseline::Baseline;
use crate::builtin::{self, Cx, Detection};
use crate::dedup::Dedup;
use crate::index::Index;
use crate::learn::Learner;
use crate::obs::{Obs, What};
use crate::rules::RuleSet;
use rustc_hash::FxHashMap;

/// What detection does in a run.
#[derive(Clone, Debug, Default)]
pub struct DetectConfig {
    /// Compare with this baseline (`--baseline`).
    pub baseline: Option<Baseline>,
    /// Learn a baseline (`--learn`).
    pub learn: bool,
    /// Learn for this long (capture time, µs) from the first observation, then detect with
    /// what was learned (`--learn-for`).
    pub learn_for_us: Option<u64>,
    /// User rules (`--rules`).
    pub rules: Vec<RuleSet>,
    /// Deduplication window (µs of capture time).
    pub window_us: u64,
}

/// The detector.
pub struct Detector {
    builtins: Vec<Box<dyn Detection>>,
    /// Per observation kind: the detections that need no baseline, and those that do.
    by_kind: [(Vec<usize>, Vec<usize>); 8],
    baseline: Option<Index>,
    margin: f64,
    learner: Option<Learner>,
    learn_until: Option<u64>,
    learn_for_us: Option<u64>,
    switched: Option<Baseline>,
    rules: Vec<RuleSet>,
    dedup: Dedup,
    limits: FxHashMap<&'static str, u64>,
    now: u64,
}

/// What a run of the detector produced besides its alerts.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The learned baseline (`--learn`, or `--learn-for` when input ended while learning).
    pub learned: Option<Baseline>,
    /// Detection limits hit (`detect.<what>`).
    pub limits: Vec<(String, u64)>,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("builtins", &self.builtins.len())
            .field("learning", &self.learner.is_some())
            .finish_non_exhaustive()
    }
}

impl Detector {
    /// A detector for `cfg`.
    pub fn new(cfg: DetectConfig) -> Detector {
        let learning = cfg.learn || cfg.learn_for_us.is_some();
        let builtins = builtin::all();
        let mut by_kind: [(Vec<usize>, Vec<usize>); 8] = Default::default();
        for (i, d) in builtins.iter().enumerate() {
            for (k, lists) in by_kind.iter_mut().enumerate() {
                if d.kinds() & (1 << k) != 0 {
                    if d.needs_baseline() {
                        lists.1.push(i);
                    } else {
                        lists.0.push(i);
                    }
                }
            }
        }
        Detector {
            by_kind,
            builtins,
            margin: cfg.baseline.as_ref().map_or(0.1, |b| b.margin),
            baseline: cfg.baseline.as_ref().map(Index::new),
            learner: learning.then(Learner::default),
            learn_until: None,
            learn_for_us: cfg.learn_for_us,
            switched: None,
            rules: cfg.rules,
            dedup: Dedup::new(cfg.window_us.max(1)),
            limits: FxHashMap::default(),
            now: 0,
        }
    }

    /// Process a batch of observations. The batch is put in capture order first (by packet
    /// number, then flow id: the order is the same whatever the number of worker threads that
    /// produced it) and drained.
    pub fn feed(&mut self, batch: &mut Vec<Obs>) {
        let order = |o: &Obs| (o.pcap_cnt, o.flow.map_or(0, |f| f.flow_id));
        if !batch.is_sorted_by_key(order) {
            batch.sort_by_key(order);
        }
        for o in batch.drain(..) {
            self.one(&o);
        }
        self.dedup.advance(self.now);
    }

    fn one(&mut self, o: &Obs) {
        if o.ts > self.now {
            self.now = o.ts;
            self.dedup.advance(self.now);
        }
        if let Some(l) = &mut self.learner {
            if let Some(span) = self.learn_for_us {
                let until = *self.learn_until.get_or_insert(o.ts.saturating_add(span));
                if o.ts >= until {
                    let b = l.finish(self.margin);
                    self.baseline = Some(Index::new(&b));
                    self.switched = Some(b);
                    self.learner = None;
                }
            }
        }
        if let Some(l) = &mut self.learner {
            l.observe(o);
        }
        let learning = self.learner.is_some();
        let baseline = if learning {
            None
        } else {
            self.baseline.as_ref()
        };
        // Looked up once for the detections that need them: FlowStart asks whether the pair is
        // known, an Op also what the protocol did on it.
        let pair = match (baseline, &o.flow, &o.what) {
            (Some(ix), Some(f), What::Op(_)) => {
                Some(match ix.pairs.get(&(f.client.ip, f.server.ip)) {
                    Some(p) => (true, p.proto(f.proto)),
                    None => (ix.pairs.contains_key(&(f.server.ip, f.client.ip)), None),
                })
            }
            (Some(ix), Some(f), What::FlowStart) => {
                Some((ix.knows_pair(f.client.ip, f.server.ip), None))
            }
            _ => None,
        };
        let mut cx = Cx {
            baseline,
            dedup: &mut self.dedup,
            limits: &mut self.limits,
            pair,
        };
        let (always, with_baseline) = &self.by_kind[builtin::kind::index(&o.what)];
        for &i in always {
            self.builtins[i].check(o, &mut cx);
        }
        if cx.baseline.is_some() {
            for &i in with_baseline {
                self.builtins[i].check(o, &mut cx);
            }
        }
        for r in &mut self.rules {
            r.check(o, &mut self.dedup);
        }
    }

    /// A baseline learned with `--learn-for` that detection has just switched to (once).
    pub fn take_switched(&mut self) -> Option<Baseline> {
        self.switched.take()
    }

    /// Alerts whose window has closed.
    pub fn take_alerts(&mut self) -> Vec<Alert> {
        self.dedup.take()
    }

    /// End of input: release every open alert; return them, the learned baseline and limits.
    pub fn finish(&mut self) -> (Vec<Alert>, Outcome) {
        self.dedup.flush();
        let learned = self.learner.take().map(|l| {
            if l.dropped > 0 {
                *self.limits.entry("learn_tables_full").or_default() += l.dropped;
            }
            l.finish(self.margin)
        });
        let mut limits: Vec<(String, u64)> = self
            .limits
            .iter()
            .map(|(k, v)| (format!("detect.{k}"), *v))
            .collect();
        let rule_groups: u64 = self.rules.iter().map(|r| r.limits_hit).sum();
        if rule_groups > 0 {
            limits.push(("detect.rule_groups".into(), rule_groups));
        }
        if self.dedup.evicted > 0 {
            limits.push(("detect.open_alerts".into(), self.dedup.evicted));
        }
        limits.sort();
        (self.dedup.take(), Outcome { learned, limits })
    }
}
