//! SCAN-030: recognisably outdated software.
//!
//! A small table of server software whose reported version is past its end of support or has
//! well-known remotely exploitable flaws. Only versions read from the service's own banner or
//! identification are compared; an absent version raises nothing.

use super::Rule;
use crate::model::{Service, Severity};
use serde_json::json;

/// (product as reported, first good version, severity, why).
const TABLE: [(&str, &[u32], Severity, &str); 5] = [
    (
        "mosquitto",
        &[2, 0, 0],
        Severity::Medium,
        "Mosquitto 1.x is end of life and allows anonymous clients by default",
    ),
    (
        "OpenSSH",
        &[7, 7],
        Severity::Medium,
        "OpenSSH before 7.7 allows user enumeration (CVE-2018-15473) and is long unsupported",
    ),
    (
        "vsFTPd",
        &[2, 3, 5],
        Severity::Critical,
        "vsFTPd 2.3.4 is the backdoored release",
    ),
    (
        "Apache",
        &[2, 4],
        Severity::Medium,
        "Apache httpd 2.2 and older are end of life since 2017",
    ),
    (
        "dropbear",
        &[2016, 74],
        Severity::Medium,
        "Dropbear before 2016.74 has remote code execution flaws (CVE-2016-7406)",
    ),
];

fn version_numbers(s: &str) -> Vec<u32> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .take(4)
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// (product, version text) found in the service identity.
fn product_version(s: &Service) -> Option<(String, String)> {
    let combined = match (s.identity.get("product"), s.identity.get("version")) {
        (Some(p), Some(v)) => Some(format!("{p} {v}")),
        _ => None,
    };
    let fields = ["version", "server", "software", "banner"];
    for v in combined
        .iter()
        .chain(fields.iter().filter_map(|k| s.identity.get(*k)))
    {
        for (p, ..) in TABLE {
            let lower = v.to_ascii_lowercase();
            if let Some(i) = lower.find(&p.to_ascii_lowercase()) {
                let rest = &v[i + p.len()..];
                let ver = rest.trim_start_matches(|c: char| !c.is_ascii_digit());
                let ver: String = ver
                    .chars()
                    .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == 'p')
                    .collect();
                if !ver.is_empty() {
                    return Some((p.to_owned(), ver));
                }
            }
        }
    }
    None
}

/// The rule.
pub(crate) static RULE: Rule = Rule {
    id: "SCAN-030",
    name: "outdated-software",
    title: "Recognisably outdated software",
    severity: Severity::Medium,
    description: "The service reports a software version that is end of life or has well-known remotely exploitable vulnerabilities.",
    remediation: "Update the device firmware or the service to a supported release; if the vendor no longer ships updates, isolate the device and plan its replacement.",
    etsi_en_303_645: &["5.3-2", "5.3-8"],
    iec_62443: &["SR 3.4", "SR 7.8"],
    mitre_attack_ics: &["T0866"],
    check: |_, s| {
        let (product, ver) = product_version(s)?;
        let (_, good, sev, why) = TABLE.iter().find(|t| t.0 == product)?;
        let have = version_numbers(&ver);
        (!have.is_empty() && have.as_slice() < *good)
            .then(|| (json!({"product": product, "version": ver, "reason": why}), Some(*sev)))
    },
};

#[cfg(test)]
mod tests {
    use crate::model::{Service, Transport};

    fn svc(key: &str, v: &str) -> Service {
        let mut s = Service::new(22, Transport::Tcp, "ssh");
        s.ident(key, v);
        s
    }

    #[test]
    fn versions_compared() {
        let h = crate::model::Host {
            address: "127.0.0.1".into(),
            hostname: None,
            services: vec![],
        };
        assert!((super::RULE.check)(&h, &svc("software", "OpenSSH_7.4p1")).is_some());
        assert!((super::RULE.check)(&h, &svc("software", "OpenSSH_9.6p1")).is_none());
        assert!((super::RULE.check)(&h, &svc("version", "mosquitto version 1.6.9")).is_some());
        assert!((super::RULE.check)(&h, &svc("version", "mosquitto version 2.0.18")).is_none());
        assert!((super::RULE.check)(&h, &svc("banner", "(vsFTPd 2.3.4)")).is_some());
        assert!((super::RULE.check)(&h, &svc("banner", "nothing")).is_none());
        let mut m = svc("product", "mosquitto");
        m.ident("version", "1.6.12");
        assert!((super::RULE.check)(&h, &m).is_some());
    }
}
