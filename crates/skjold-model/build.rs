//! Build script: embeds every rule file of `rules/` into the library, so the built-in rule
//! library is data (one documented YAML file per rule) yet ships inside the binary.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("rules/ directory")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            std::path::Path::new(n)
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("yaml"))
        })
        .collect();
    names.sort();
    let mut out = String::from("/// Built-in rule files: (file name, YAML text).\npub(crate) static BUILTIN_RULES: &[(&str, &str)] = &[\n");
    for n in &names {
        println!("cargo:rerun-if-changed={}", dir.join(n).display());
        let _ = writeln!(
            out,
            "    ({n:?}, include_str!({:?})),",
            dir.join(n).display().to_string()
        );
    }
    out.push_str("];\n");
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    std::fs::write(Path::new(&out_dir).join("builtin_rules.rs"), out)
        .expect("write builtin_rules.rs");
    // One named test per rule file for tests/rules.rs: `TM-001-some-name.yaml` becomes
    // `fn tm_001_some_name()` calling `fires_and_is_suppressed("TM-001")`.
    let mut tests = String::new();
    for n in &names {
        let stem = n.trim_end_matches(".yaml");
        let id: String = stem.splitn(3, '-').take(2).collect::<Vec<_>>().join("-");
        let fname = stem.to_ascii_lowercase().replace('-', "_");
        let _ = writeln!(
            tests,
            "#[test]\nfn {fname}() {{\n    fires_and_is_suppressed({id:?});\n}}"
        );
    }
    std::fs::write(Path::new(&out_dir).join("rule_tests.rs"), tests).expect("write rule_tests.rs");
}
