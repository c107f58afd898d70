//! User rules: every kind of error in a rule file, with its exact message and position
//! (`file:line:column: what is wrong; how to fix it`).

use skjold_detect::{RuleError, RuleSet};

/// The head of a valid rule (lines 1-5); a test appends the rest.
const HEAD: &str = "rules:\n  - id: 9000001\n    name: a\n    signature: \"A\"\n    severity: 2\n";

fn error(text: &str) -> RuleError {
    match RuleSet::parse(text, "r.yaml") {
        Ok(_) => panic!("accepted:\n{text}"),
        Err(e) => e,
    }
}

/// `HEAD` + `rest` fails with exactly `want` (`r.yaml:L:C: message`).
fn fails(rest: &str, want: &str) {
    let e = error(&format!("{HEAD}{rest}"));
    assert_eq!(e.to_string(), want);
}

#[test]
fn yaml_syntax_error() {
    let e = error("rules:\n  - id: 9000001\n    name: a\n   signature: x\n");
    assert_eq!(
        e.to_string(),
        "r.yaml:4:4: YAML syntax error: did not find expected '-' indicator, while parsing a block collection"
    );
    assert_eq!((e.file.as_str(), e.line, e.column), ("r.yaml", 4, 4));
}

#[test]
fn unknown_key_in_match_suggests_the_nearest() {
    fails(
        "    match: {srcc: 127.0.0.1}\n",
        "r.yaml:6:13: rules[0].match: unknown key `srcc`; did you mean `src`? (keys here: `event`, `protocol`, `class`, `control`, `function`, `unit`, `space`, `address`, `value`, `name`, `src`, `dst`, `not_src`, `not_dst`, `src_port`, `dst_port`, `exception`, `broadcast`)",
    );
}

#[test]
fn unknown_key_in_rule_suggests_the_nearest() {
    fails(
        "    match:\n      src: 127.0.0.1\n    thresold: {count: 1}\n",
        "r.yaml:8:5: rules[0]: unknown key `thresold`; did you mean `threshold`? (keys here: `id`, `name`, `signature`, `description`, `severity`, `category`, `mitre`, `etsi`, `iec`, `match`, `time`, `threshold`)",
    );
}

#[test]
fn unknown_top_level_key() {
    let e = error("rulez: []\n");
    assert_eq!(
        e.to_string(),
        "r.yaml:1:1: unknown key `rulez`; did you mean `rules`? (keys here: `rules`)"
    );
}

#[test]
fn wrong_type() {
    fails(
        "    match:\n      broadcast: \"yes\"\n",
        "r.yaml:7:18: rules[0].match.broadcast: invalid type: string \"yes\", expected a boolean",
    );
    fails(
        "    match: [a]\n",
        "r.yaml:6:12: rules[0].match: invalid type: sequence, expected a mapping (the conditions of the rule)",
    );
    fails(
        "    match:\n      value: {gt: abc}\n",
        "r.yaml:7:19: rules[0].match.value.gt: `abc` is not a number",
    );
}

#[test]
fn bad_address() {
    fails(
        "    match:\n      src: 127.0.0.300\n",
        "r.yaml:7:12: rules[0].match.src: bad address `127.0.0.300`: `127.0.0.300` is not an IPv4 or IPv6 address; write e.g. `192.168.1.10` or `192.168.1.0/24`",
    );
}

#[test]
fn bad_cidr_in_a_list_points_at_the_item() {
    fails(
        "    match:\n      dst: [127.0.0.1, 10.0.0.0/33]\n",
        "r.yaml:7:24: rules[0].match.dst[1]: bad CIDR `10.0.0.0/33`: the prefix length must be a number from 0 to 32",
    );
}

#[test]
fn bad_range() {
    fails(
        "    match:\n      address: \"10-2\"\n",
        "r.yaml:7:16: rules[0].match.address: bad range `10-2`: the start is above the end; write `2-10`",
    );
    fails(
        "    match:\n      unit: \"1-x\"\n",
        "r.yaml:7:13: rules[0].match.unit: bad range `1-x`: `x` is not a non-negative integer; write numbers or ranges such as `1-4, 6`",
    );
}

#[test]
fn out_of_range_port() {
    fails(
        "    match:\n      dst_port: 70000\n",
        "r.yaml:7:17: rules[0].match.dst_port: 70000 is out of range: the largest value here is 65535",
    );
}

#[test]
fn unknown_protocol() {
    fails(
        "    match:\n      protocol: [dnp3, modbsu]\n",
        "r.yaml:7:24: rules[0].match.protocol[1]: unknown protocol `modbsu`; did you mean `modbus`? (one of `modbus`, `mqtt`, `dnp3`, `iec104`, `s7comm`, `s7comm_plus`, `enip`, `bacnet`, `opcua`, `coap`, `tls`, `ssh`, `telnet`, `ftp`, `http`, `rdp`, `vnc`, `teamviewer`, `anydesk`, `tcp`, `udp`, `arp`)",
    );
}

#[test]
fn unknown_class() {
    fails(
        "    match:\n      class: wirte\n",
        "r.yaml:7:14: rules[0].match.class: unknown class `wirte`; did you mean `write`? (one of `read`, `write`, `control`, `identify`, `diagnostic`, `connect`, `publish`, `subscribe`, `other`)",
    );
}

#[test]
fn unknown_control() {
    fails(
        "    match:\n      control: halt\n",
        "r.yaml:7:16: rules[0].match.control: unknown control `halt`; use one of `stop`, `start`, `restart`, `program_download`, `program_upload`, `program_delete`, `firmware`, `reset_process`, `communication_control`, `listen_only`, `unsolicited_disable`",
    );
}

#[test]
fn unknown_event() {
    fails(
        "    match:\n      event: opp\n",
        "r.yaml:7:14: rules[0].match.event: unknown event `opp`; did you mean `op`? (one of `op`, `credentials`, `session`, `tls`, `flow`, `app`, `anomaly`, `arp`)",
    );
}

#[test]
fn unknown_day() {
    fails(
        "    match:\n      event: op\n    time:\n      days: [sat, sonday]\n",
        "r.yaml:9:19: rules[0].time.days[1]: unknown day `sonday`; use one of `mon`, `tue`, `wed`, `thu`, `fri`, `sat`, `sun`",
    );
}

#[test]
fn unknown_threshold_grouping() {
    fails(
        "    match:\n      event: op\n    threshold: {count: 2, seconds: 5, by: source}\n",
        "r.yaml:8:43: rules[0].threshold.by: unknown threshold grouping `source`; use one of `src`, `dst`, `pair`, `flow`, `none`",
    );
}

#[test]
fn severity_out_of_range() {
    let e = error(
        "rules:\n  - id: 9000001\n    name: a\n    signature: \"A\"\n    severity: 4\n    match: {event: op}\n",
    );
    assert_eq!(
        e.to_string(),
        "r.yaml:5:15: rules[0].severity: severity 4 is out of range; use 1 (high), 2 (medium) or 3 (low)"
    );
}

#[test]
fn id_in_the_builtin_range() {
    let e = error(
        "rules:\n  - id: 8200005\n    name: a\n    signature: \"A\"\n    severity: 1\n    match: {event: op}\n",
    );
    assert_eq!(
        e.to_string(),
        "r.yaml:2:9: rules[0].id: rule id 8200005 is in the range of the built-in detections (8200000-8299999); choose another, e.g. 9000001"
    );
}

#[test]
fn duplicate_id_points_at_the_second_rule() {
    let e = error(&format!(
        "{HEAD}    match: {{event: op}}\n  - id: 9000001\n    name: b\n    signature: B\n    severity: 1\n    match: {{event: op}}\n"
    ));
    assert_eq!(
        e.to_string(),
        "r.yaml:7:9: duplicate rule id 9000001: rule `a` (line 2) already uses it; give each rule its own id"
    );
    assert_eq!(e.line, 7);
}

#[test]
fn duplicate_name_points_at_the_second_rule() {
    let e = error(&format!(
        "{HEAD}    match: {{event: op}}\n  - id: 9000002\n    name: a\n    signature: B\n    severity: 1\n    match: {{event: op}}\n"
    ));
    assert_eq!(
        e.to_string(),
        "r.yaml:8:11: duplicate rule name `a`: rule 9000001 (line 3) already uses it; give each rule its own name"
    );
    assert_eq!(e.line, 8);
}

#[test]
fn empty_match() {
    fails(
        "    match: {}\n",
        "r.yaml:6:12: rules[0].match: `match` is empty: say what the rule matches (to match every request, write `event: op`)",
    );
    fails(
        "    match:\n",
        "r.yaml:6:11: rules[0].match: `match` is empty: say what the rule matches (to match every request, write `event: op`)",
    );
}

#[test]
fn request_keys_on_other_events() {
    fails(
        "    match:\n      event: arp\n      class: write\n",
        "r.yaml:8:7: rules[0].match: `class` applies only to requests (`event: op`), not to `event: arp`; remove it or change `event`",
    );
    fails(
        "    match:\n      event: session\n      src: 127.0.0.1\n      name: \"x\"\n",
        "r.yaml:9:7: rules[0].match: `name` applies to `event: op`, `credentials`, `tls` and `anomaly`, not to `event: session`",
    );
    fails(
        "    match: {event: arp, dst_port: 1}\n",
        "r.yaml:6:25: rules[0].match: ARP has no ports: remove `src_port`/`dst_port` or change `event`",
    );
}

#[test]
fn threshold_count_zero() {
    let e = error(&format!(
        "{HEAD}    match:\n      event: op\n    threshold:\n      seconds: 60\n      count: 0\n"
    ));
    assert_eq!(
        e.to_string(),
        "r.yaml:10:7: rules[0].threshold: threshold `count: 0` is out of range; use 1 to 10000 (1 alerts on every match)"
    );
    assert_eq!(e.line, 10);
}

#[test]
fn threshold_missing_seconds() {
    fails(
        "    match:\n      event: op\n    threshold: {count: 3}\n",
        "r.yaml:8:16: rules[0].threshold: missing key `seconds`; add it",
    );
}

#[test]
fn bad_hours() {
    fails(
        "    match:\n      event: op\n    time:\n      hours: \"22:00-25:00\"\n",
        "r.yaml:9:14: rules[0].time.hours: bad hours `22:00-25:00`; write `HH:MM-HH:MM` in UTC, e.g. `22:00-06:00` (may wrap midnight)",
    );
    fails(
        "    match:\n      event: op\n    time:\n      hours: \"06:00-06:00\"\n",
        "r.yaml:9:14: rules[0].time.hours: bad hours `06:00-06:00`: the window is empty; leave `hours` out to match the whole day",
    );
}

#[test]
fn bad_technique_id() {
    let e = error(&format!(
        "{HEAD}    mitre: [T0836, T836]\n    match:\n      event: op\n"
    ));
    assert_eq!(
        e.to_string(),
        "r.yaml:6:20: rules[0].mitre[1]: bad technique id `T836`: ATT&CK for ICS ids are `T0` and three digits, e.g. `T0836`"
    );
    assert_eq!(e.line, 6);
}

#[test]
fn bad_value_interval() {
    fails(
        "    match:\n      value: {between: [20, 10]}\n",
        "r.yaml:7:15: rules[0].match.value: bad `between: [20, 10]`: the low bound is above the high bound; write `[10, 20]`",
    );
}

#[test]
fn bad_name_pattern() {
    fails(
        "    match:\n      name: \"a/#/b\"\n",
        "r.yaml:7:13: rules[0].match.name: bad pattern `a/#/b`: `#` must be a whole level and the last one, e.g. `plant/control/#`",
    );
}

#[test]
fn rule_name_not_snake_case() {
    let e = error(
        "rules:\n  - id: 9000001\n    name: NaOH-high\n    signature: \"A\"\n    severity: 2\n    match: {event: op}\n",
    );
    assert_eq!(
        e.to_string(),
        "r.yaml:3:11: rules[0].name: rule name `NaOH-high` is not snake_case (lower-case letters, digits and `_`, starting with a letter); e.g. `naoh_high`"
    );
}

#[test]
fn missing_rule_key() {
    let e =
        error("rules:\n  - id: 9000001\n    name: a\n    severity: 2\n    match: {event: op}\n");
    assert_eq!(
        e.to_string(),
        "r.yaml:2:5: rules[0]: missing key `signature`; every rule needs `id`, `name`, `signature`, `severity` and `match`"
    );
}

#[test]
fn no_rules() {
    assert_eq!(
        error("rules: []\n").to_string(),
        "r.yaml:1:1: the file has no rules; add at least one under `rules:` (see docs/rules.md)"
    );
    assert_eq!(
        error("").to_string(),
        "r.yaml:1:1: missing key `rules`; a rule file is a mapping with a `rules:` list"
    );
}

#[test]
fn errors_in_a_later_rule_name_its_line() {
    let text = format!(
        "{HEAD}    match: {{event: op}}\n\n  - id: 9000002\n    name: b\n    signature: B\n    severity: 1\n    match:\n      src: 10.0.0.0/40\n"
    );
    let e = error(&text);
    assert_eq!(
        (e.line, e.column, e.message.as_str()),
        (13, 12, "rules[1].match.src: bad CIDR `10.0.0.0/40`: the prefix length must be a number from 0 to 32")
    );
}

#[test]
fn a_missing_file_is_reported_with_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("none.yaml");
    let e = RuleSet::load(&p).unwrap_err();
    assert_eq!(e.file, p.display().to_string());
    assert!(e.message.starts_with("cannot read the rule file: "), "{e}");
}
