//! The catalogue of built-in detections is consistent: unique ids and names, valid severities,
//! well-formed technique ids and standard references, one source file per detection named after
//! it, and a row in `docs/detections.md` that agrees with the code.

use skjold_detect::builtin::catalogue;
use skjold_detect::Meta;
use std::collections::HashSet;
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `T` and four digits (ATT&CK for ICS technique ids are `T0800`..`T0899`).
fn is_technique(id: &str) -> bool {
    id.len() == 5 && id.starts_with("T0") && id[1..].bytes().all(|b| b.is_ascii_digit())
}

/// An EN 303 645 provision: `5.1-1`, `5.13-1B`, `6-3A`.
fn is_etsi(id: &str) -> bool {
    let Some((clause, n)) = id.split_once('-') else {
        return false;
    };
    let clause_ok = clause
        .split('.')
        .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let digits = n.trim_end_matches(|c: char| c.is_ascii_uppercase());
    clause_ok
        && !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && n.len() - digits.len() <= 1
}

/// An IEC 62443-3-3 system requirement: `SR 1.1` .. `SR 7.8`.
fn is_iec(id: &str) -> bool {
    let Some(rest) = id.strip_prefix("SR ") else {
        return false;
    };
    let Some((fr, sr)) = rest.split_once('.') else {
        return false;
    };
    matches!(fr, "1" | "2" | "3" | "4" | "5" | "6" | "7")
        && !sr.is_empty()
        && sr.len() <= 2
        && sr.bytes().all(|b| b.is_ascii_digit())
        && !sr.starts_with('0')
}

/// The cells of the `docs/detections.md` table row of `sid`, trimmed.
fn doc_row(doc: &str, sid: u32) -> Option<Vec<String>> {
    let prefix = format!("| {sid} |");
    let line = doc.lines().find(|l| l.starts_with(&prefix))?;
    Some(
        line.trim_matches('|')
            .split('|')
            .map(|c| c.trim().to_owned())
            .collect(),
    )
}

/// The references cell of a row: `ETSI 5.5-1, IEC SR 4.3`.
fn references(m: &Meta) -> String {
    m.etsi
        .iter()
        .map(|e| format!("ETSI {e}"))
        .chain(m.iec.iter().map(|i| format!("IEC {i}")))
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn every_builtin_detection_is_well_formed_and_documented() {
    let doc = std::fs::read_to_string(root().join("../../docs/detections.md")).unwrap();
    let all = catalogue();
    assert!(all.len() >= 27, "only {} built-in detections", all.len());
    let mut sids = HashSet::new();
    let mut names = HashSet::new();
    for m in all {
        let who = format!("{} ({})", m.name, m.sid);
        assert!(sids.insert(m.sid), "{who}: duplicate sid");
        assert!(names.insert(m.name), "{who}: duplicate name");
        assert!(
            (8_200_000..8_300_000).contains(&m.sid),
            "{who}: sid outside the built-in range"
        );
        assert!(
            (1..=3).contains(&m.severity),
            "{who}: severity {}",
            m.severity
        );
        assert!(
            !m.signature.is_empty() && !m.category.is_empty(),
            "{who}: empty text"
        );
        for t in m.mitre {
            assert!(is_technique(t), "{who}: technique id {t:?}");
        }
        for e in m.etsi {
            assert!(is_etsi(e), "{who}: ETSI provision {e:?}");
        }
        for i in m.iec {
            assert!(is_iec(i), "{who}: IEC 62443-3-3 requirement {i:?}");
        }
        assert!(
            !m.mitre.is_empty() || !m.etsi.is_empty() || !m.iec.is_empty(),
            "{who}: no reference"
        );
        assert!(
            root().join(format!("src/builtin/{}.rs", m.name)).is_file(),
            "{who}: no file src/builtin/{}.rs",
            m.name
        );

        let row =
            doc_row(&doc, m.sid).unwrap_or_else(|| panic!("{who}: no row in docs/detections.md"));
        assert_eq!(row.len(), 6, "{who}: row {row:?}");
        assert!(
            row[1].contains(&format!("`{}`", m.name)),
            "{who}: name cell {:?}",
            row[1]
        );
        if row[2] != "see source" {
            assert_eq!(row[2], m.severity.to_string(), "{who}: severity in docs");
        }
        if row[3] != "see source" {
            let want = if m.mitre.is_empty() {
                "none".to_owned()
            } else {
                m.mitre.join(", ")
            };
            assert_eq!(row[3], want, "{who}: techniques in docs");
        }
        if row[4] != "see source" {
            assert_eq!(row[4], references(m), "{who}: references in docs");
        }
    }
}

#[test]
fn the_reference_checks_reject_malformed_ids() {
    assert!(is_technique("T0855") && !is_technique("T855") && !is_technique("TA0100"));
    assert!(is_etsi("5.1-1") && is_etsi("5.13-1B") && is_etsi("6-3A"));
    assert!(!is_etsi("5.1") && !is_etsi("5.1-") && !is_etsi("5..1-1") && !is_etsi("5.1-1AB"));
    assert!(is_iec("SR 1.13") && is_iec("SR 7.8"));
    assert!(!is_iec("SR 8.1") && !is_iec("1.1") && !is_iec("SR 1.") && !is_iec("SR 1.01"));
}
