//! The built-in catalogues: standard identifiers with short titles (ETSI EN 303 645, IEC 62443-3-3,
//! OWASP IoT Top 10) and the control catalogue that models and rules refer to. Both are data
//! files embedded in the library (`standards.yaml`, `controls.yaml`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// One control of the catalogue.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// Id used in models and rules.
    pub id: String,
    /// What it is.
    pub title: String,
    /// ETSI EN 303 645 provisions it helps meet.
    pub etsi_en_303_645: Vec<String>,
    /// IEC 62443-3-3 system requirements it helps meet.
    pub iec_62443: Vec<String>,
}

/// An identifier of a standard with its short title.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StandardItem {
    /// Identifier ("5.1-1", "SR 1.13", "I1").
    pub id: String,
    /// Short paraphrased title.
    pub title: String,
}

#[derive(Debug, Deserialize)]
struct Standards {
    etsi_en_303_645: Vec<StandardItem>,
    iec_62443_3_3: Vec<StandardItem>,
    owasp_iot_top10_2018: Vec<StandardItem>,
}

/// The catalogues, parsed once.
#[derive(Debug)]
pub struct Catalog {
    /// Controls by id, in file order.
    pub controls: Vec<Control>,
    /// ETSI EN 303 645 provisions.
    pub etsi: Vec<StandardItem>,
    /// IEC 62443-3-3 system requirements.
    pub iec: Vec<StandardItem>,
    /// OWASP IoT Top 10 (2018).
    pub owasp: Vec<StandardItem>,
    by_id: BTreeMap<String, usize>,
}

impl Catalog {
    /// The process-wide catalogue.
    pub fn get() -> &'static Catalog {
        static CAT: OnceLock<Catalog> = OnceLock::new();
        CAT.get_or_init(|| {
            let controls: Vec<Control> = serde_norway::from_str(include_str!("controls.yaml"))
                .expect("built-in controls.yaml is valid (tested)");
            let std: Standards = serde_norway::from_str(include_str!("standards.yaml"))
                .expect("built-in standards.yaml is valid (tested)");
            let by_id = controls
                .iter()
                .enumerate()
                .map(|(i, c)| (c.id.clone(), i))
                .collect();
            Catalog {
                controls,
                etsi: std.etsi_en_303_645,
                iec: std.iec_62443_3_3,
                owasp: std.owasp_iot_top10_2018,
                by_id,
            }
        })
    }

    /// A control by id.
    pub fn control(&self, id: &str) -> Option<&Control> {
        self.by_id.get(id).map(|&i| &self.controls[i])
    }

    /// Title of an ETSI provision.
    pub fn etsi_title(&self, id: &str) -> Option<&str> {
        self.etsi
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.title.as_str())
    }

    /// Title of an IEC 62443-3-3 SR.
    pub fn iec_title(&self, id: &str) -> Option<&str> {
        self.iec
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.title.as_str())
    }

    /// Title of an OWASP IoT Top 10 entry.
    pub fn owasp_title(&self, id: &str) -> Option<&str> {
        self.owasp
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.title.as_str())
    }

    /// The closest control id to a misspelt one, for "did you mean" fixes.
    pub fn suggest_control(&self, wrong: &str) -> Option<&str> {
        self.controls
            .iter()
            .map(|c| (edit_distance(&c.id, wrong), c.id.as_str()))
            .min()
            .filter(|(d, _)| *d <= 4)
            .map(|(_, id)| id)
    }
}

/// Levenshtein distance, for suggestions.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::Catalog;

    #[test]
    fn every_control_maps_to_known_standard_ids() {
        let cat = Catalog::get();
        assert!(cat.controls.len() >= 30);
        for c in &cat.controls {
            for e in &c.etsi_en_303_645 {
                assert!(cat.etsi_title(e).is_some(), "{}: unknown ETSI id {e}", c.id);
            }
            for s in &c.iec_62443 {
                assert!(cat.iec_title(s).is_some(), "{}: unknown IEC id {s}", c.id);
            }
        }
    }

    #[test]
    fn suggests_a_close_control_id() {
        assert_eq!(Catalog::get().suggest_control("mfaa"), Some("mfa"));
        assert_eq!(
            Catalog::get().suggest_control("completely-unrelated-thing"),
            None
        );
    }
}
