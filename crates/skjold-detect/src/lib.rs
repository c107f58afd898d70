//! Detection for `skjold watch`: the protocol states report [`obs::Obs`]ervations; the
//! [`Detector`] learns a [`baseline::Baseline`] from them or compares them with one, runs the
//! built-in detections (`builtin/`, one file each) and the user rules (`rules/`), and releases
//! deduplicated [`alert::Alert`]s. Pure: no I/O besides loading rule and baseline files.

// Detections name the client, the server and the flow `c`, `s`, `f` throughout.
#![allow(clippy::many_single_char_names)]

pub mod alert;
pub mod baseline;
pub mod builtin;
mod dedup;
pub mod defaults;
mod detector;
mod index;
mod learn;
pub mod obs;
pub mod ranges;
pub mod rules;

pub use alert::{Alert, Meta};
pub use baseline::Baseline;
pub use detector::{DetectConfig, Detector, Outcome};
pub use obs::{Obs, What};
pub use rules::{RuleError, RuleSet};
