//! Fuzz target: the baseline file (`skjold watch --baseline`): any text must load or fail with a
//! located error, never panic; a baseline that loads must write back to YAML that loads again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use skjold_detect::Baseline;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(b) = Baseline::parse(text, "fuzz.yaml") {
        let again = Baseline::parse(&b.to_yaml(), "again.yaml");
        assert!(again.is_ok(), "a loaded baseline writes back to a loadable file");
    }
});
