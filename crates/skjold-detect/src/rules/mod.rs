//! User rules: a documented YAML language over observations (docs/rules.md), loaded with
//! `skjold watch --rules FILE`, validated with errors naming the file, the line and what is
//! wrong.

use crate::dedup::Dedup;
use crate::obs::Obs;
use std::path::Path;

/// A rule file that could not be loaded: `file:line:column: what is wrong`.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct RuleError {
    /// The file.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column (0 when unknown).
    pub column: usize,
    /// What is wrong, and how to fix it.
    pub message: String,
}

/// The rules of one file, with their per-window counting state.
#[derive(Clone, Debug, Default)]
pub struct RuleSet {
    /// Rules loaded.
    pub len: usize,
}

impl RuleSet {
    /// Load and validate a rule file.
    pub fn load(path: &Path) -> Result<RuleSet, RuleError> {
        let text = std::fs::read_to_string(path).map_err(|e| RuleError {
            file: path.display().to_string(),
            line: 0,
            column: 0,
            message: e.to_string(),
        })?;
        RuleSet::parse(&text, &path.display().to_string())
    }

    /// Parse and validate rules from `text`; `file` names it in errors.
    pub fn parse(_text: &str, _file: &str) -> Result<RuleSet, RuleError> {
        Ok(RuleSet::default())
    }

    /// Evaluate every rule on one observation, reporting matches to `dedup`.
    pub(crate) fn check(&mut self, _obs: &Obs, _dedup: &mut Dedup) {}
}
