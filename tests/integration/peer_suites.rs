//! BIND's named-checkzone corpus and Knot's semantic-check corpus, run from
//! `../shared/peer-suites/` in place. Each row's upstream verdict must be
//! ours, except the rows in `DIFFERENCES`, each with the reason we differ.

use crate::common;

use std::path::Path;

use common::*;

/// Rows where zonectl deliberately differs: (suite, file, options, reason).
const DIFFERENCES: &[(&str, &str, &str, &str)] = &[
    (
        "bind9",
        "zones/good-occulted-ns-by-dname.db",
        "-i local",
        "RFC 6672 §2.3: resource records MUST NOT exist at any subdomain of a DNAME owner; BIND tolerates the NS below the apex DNAME, we report it",
    ),
    (
        "bind9",
        "zones/delegating-ns-address-below-dname.db",
        "",
        "RFC 6672 §2.3 as above: the A record below the DNAME is an error for us, not only the warning about the NS target",
    ),
    (
        "bind9",
        "zones/bad-rpz-prefix.db",
        "-P -i local",
        "RPZ (a BIND policy-zone convention, not an RFC) is not checked",
    ),
    (
        "bind9",
        "zones/er-missing.db",
        "-R fail",
        "RFC 9567 error-reporting agent checks (-R) are not implemented",
    ),
    (
        "knot",
        "data/dname_extra_ns.zone",
        "-o example.com",
        "RFC 6672 §2.3 permits DNAME at a delegation point, where the cut occludes it; we warn (BIND's good1.db expects it to load)",
    ),
    (
        "knot",
        "data/cdnskey.nocds",
        "-o example.com",
        "RFC 7344 §4: the child MAY publish CDS or CDNSKEY or both; one without the other is a warning",
    ),
    (
        "knot",
        "data/cdnskey.nocdnskey",
        "-o example.com",
        "RFC 7344 §4 as above",
    ),
];

struct Row {
    suite: &'static str,
    file: String,
    origin: String,
    options: String,
    expected: String,
    message: String,
}

fn rows(dir: &Path, suite: &'static str) -> Vec<Row> {
    let tsv = std::fs::read_to_string(dir.join("EXPECTED.tsv")).unwrap();
    tsv.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            Row {
                suite,
                file: f[0].into(),
                origin: f[1].into(),
                options: f[2].into(),
                expected: f[3].into(),
                message: f[4].into(),
            }
        })
        .collect()
}

/// Our options for the upstream tool's options of a row.
fn translate(options: &str) -> Vec<String> {
    let words: Vec<&str> = options.split_whitespace().collect();
    let mut args = Vec::new();
    let mut i = 0;
    while i < words.len() {
        match words[i] {
            "-k" => {
                args.extend(["--check-names".to_string(), words[i + 1].to_string()]);
                i += 1;
            }
            "-l" => {
                args.extend(["--max-ttl".to_string(), words[i + 1].to_string()]);
                i += 1;
            }
            "-T" if words.get(i + 1) == Some(&"ignore") => {
                args.extend(["--ignore".to_string(), "spf-type".to_string()]);
                i += 1;
            }
            "-d" if words.get(i + 1) == Some(&"off") => {
                args.push("--no-dnssec".to_string());
                i += 1;
            }
            "-i" | "-o" | "-R" => i += 1,
            _ => {}
        }
        i += 1;
    }
    args
}

/// Warning texts of the BIND suite, as our finding codes.
fn warning_code(message: &str) -> Option<&'static str> {
    [
        ("inherited owner", "inherited-owner"),
        ("not served by IPv4", "no-ipv4-servers"),
        ("not served by IPv6", "no-ipv6-servers"),
        ("deprecated DNSKEY algorithm", "deprecated-algorithm"),
        ("deprecated algorithm", "deprecated-algorithm"),
        ("deprecated CDS digest", "deprecated-digest"),
        ("deprecated digest", "deprecated-digest"),
        ("found type SPF", "spf-type"),
        ("is below a DNAME", "ns-below-dname"),
    ]
    .iter()
    .find(|(text, _)| message.contains(text))
    .map(|(_, code)| *code)
}

/// What the peers say when they reject a zone, and the findings of ours
/// that say the same: a zone rejected for another reason is a bug too.
const ERROR_KINDS: &[(&str, &[&str])] = &[
    // BIND
    (
        "CNAME and other data",
        &["cname-other-data", "cname-multiple", "dname-cname"],
    ),
    ("SVCB record not valid", &["svcb-invalid", "syntax"]),
    (
        "CDS/CDNSKEY consistency checks failed",
        &[
            "cds-no-dnskey",
            "cdnskey-no-dnskey",
            "cds-cdnskey-mismatch",
            "cds-delete-invalid",
        ],
    ),
    (
        "bad owner name (check-names)",
        &["check-names", "nsec3-owner"],
    ),
    ("bad name (check-names)", &["check-names"]),
    ("is below a DNAME", &["ns-below-dname", "dname-children"]),
    ("DS record at top of zone", &["ds-apex"]),
    ("DS not at delegation point", &["ds-not-delegation"]),
    ("not a file", &["syntax", "io"]),
    ("bad EUI", &["syntax"]),
    ("invalid use of a meta type", &["syntax"]),
    ("unexpected end of", &["syntax"]),
    ("extra input text", &["syntax"]),
    ("unknown class/type", &["syntax"]),
    ("syntax error", &["syntax"]),
    ("bad base32", &["syntax"]),
    ("out of range", &["syntax", "nsec3-hash-length"]),
    ("invalid range", &["syntax"]),
    ("meta RR type", &["syntax"]),
    (
        "disallowed (by application policy)",
        &["syntax", "svcb-invalid"],
    ),
    // Knot
    ("missing NSEC(3) record", &["nsec-missing"]),
    (
        "no valid signature for a record",
        &[
            "rrsig-invalid",
            "rrsig-expired",
            "rrsig-algorithm-missing",
            "rrsig-superfluous",
        ],
    ),
    ("wrong NSEC(3) bitmap", &["nsec-bitmap"]),
    ("missing glue record", &["glue-missing"]),
    ("inconsistent NSEC(3) chain", &["nsec-chain", "nsec3-chain"]),
    ("CDS not match CDNSKEY", &["cds-cdnskey-mismatch"]),
    (
        "CDNSKEY without corresponding CDS",
        &["cds-cdnskey-mismatch"],
    ),
    (
        "invalid CDNSKEY/CDS for DNSSEC delete algorithm",
        &["cds-delete-invalid"],
    ),
    ("another record exists beside CNAME", &["cname-other-data"]),
    ("wrong NSEC3 opt-out", &["nsec3-optout"]),
    ("unknown algorithm in DS", &["ds-invalid"]),
    ("superfluous NSEC(3)", &["nsec-superfluous"]),
    ("multiple SOA records", &["soa-multiple"]),
    ("multiple DNAME records", &["dname-multiple"]),
    ("multiple CNAME records", &["cname-multiple"]),
    ("missing NS at the zone apex", &["ns-apex-missing"]),
    (
        "many DNSKEYs with equal keytag",
        &["dnskey-keytag-collision"],
    ),
    ("invalid flags in NSEC3PARAM", &["nsec3param-flags"]),
    ("invalid DNSKEY", &["dnskey-invalid"]),
    ("child record exists under DNAME", &["dname-children"]),
    (
        "NS record exists beside DNAME",
        &["dname-children", "cname-other-data"],
    ),
    ("DS at the zone apex", &["ds-apex"]),
    ("missing SOA at the zone apex", &["soa-missing"]),
];

/// Rows we reject for a reason other than the one the peer names, each
/// with why ours is the better name for the same fault: (suite, file, reason).
const KIND_DIFFERENCES: &[(&str, &str, &str)] = &[
    (
        "knot",
        "data/deleg_apex.zone",
        "DELEG is a draft type without an assigned number: we refuse the record as an unknown type (syntax), Knot's test zone places it at the apex",
    ),
    (
        "knot",
        "data/nsec_multiple.signed",
        "two NSEC records at one owner: Knot says an NSEC is missing, we say the chain has two links at www (nsec-chain), which is what the zone holds",
    ),
    (
        "knot",
        "data/delegation.signed",
        "NS and glue at a delegation are signed: we name that (rrsig-superfluous, RFC 4035 §2.2); Knot names its consequence, the bitmap that lists RRSIG there",
    ),
];

/// Whether our error findings include one of the kind the peer's message
/// names; `None` when the message names no kind we map.
fn same_kind(message: &str, findings: &[(String, String, String)]) -> Option<bool> {
    let parts: Vec<&str> = message.split(" && ").filter(|m| !m.is_empty()).collect();
    let mut known = false;
    for part in parts {
        let Some((_, codes)) = ERROR_KINDS.iter().find(|(text, _)| part.contains(text)) else {
            continue;
        };
        known = true;
        if !findings
            .iter()
            .any(|(severity, code, _)| severity == "error" && codes.contains(&code.as_str()))
        {
            return Some(false);
        }
    }
    known.then_some(true)
}

fn run_suite(dir: &Path, suite: &'static str) -> Vec<String> {
    let mut failures = Vec::new();
    let mut checked = 0;
    for row in rows(dir, suite) {
        if row.expected == "n/a" {
            continue;
        }
        let mut args = vec![
            "check".to_string(),
            "--format".to_string(),
            "json".to_string(),
        ];
        if row.origin != "-" {
            args.extend(["--origin".to_string(), row.origin.clone()]);
        }
        args.extend(translate(&row.options));
        args.push(row.file.clone());
        let out = zonectl().args(&args).current_dir(dir).output().unwrap();
        let code = exit_code(&out);
        let report: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
        let findings: Vec<(String, String, String)> = report["zones"][0]["diagnostics"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|d| {
                        (
                            d["severity"].as_str().unwrap_or("").to_string(),
                            d["code"].as_str().unwrap_or("").to_string(),
                            d["message"].as_str().unwrap_or("").to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        // A finding matches an upstream text by code, and by owner when the
        // text quotes one (`'y.example' found type SPF`).
        let matches = |text: &str, severity: Option<&str>| {
            let Some(code) = warning_code(text) else {
                return false;
            };
            let owner = text
                .split('\'')
                .nth(1)
                .filter(|_| text.starts_with('\''))
                .map(|o| format!("'{o}.'"));
            findings.iter().any(|(s, f, m)| {
                f == code
                    // BIND prints advice (servers of one address family)
                    // as a warning; we report it as info, which --strict
                    // does not fail on.
                    && severity.is_none_or(|want| s == want || (want == "warning" && s == "info"))
                    && owner.as_ref().is_none_or(|o| m.contains(o.as_str()))
            })
        };
        let ours = match code {
            0 => "ok",
            1 => "error",
            _ => "usage",
        };
        let agrees = match row.expected.as_str() {
            "error" => {
                let kind_listed = KIND_DIFFERENCES
                    .iter()
                    .any(|(s, f, _)| *s == suite && *f == row.file);
                ours == "error"
                    && (kind_listed
                        // Rows whose message names no mapped kind (an empty
                        // one, or one of the listed differences) pass on the verdict.
                        || same_kind(&row.message, &findings).unwrap_or(true))
            }
            "ok" => {
                // `!text` parts name warnings that must not appear.
                let forbidden = row
                    .message
                    .split(" && ")
                    .filter_map(|m| m.strip_prefix('!'))
                    .any(|m| matches(m, None));
                ours == "ok" && !forbidden
            }
            "warn" => {
                let parts: Vec<&str> = row.message.split(" && ").collect();
                let wanted = parts
                    .iter()
                    .filter(|m| !m.starts_with('!') && warning_code(m).is_some())
                    .all(|m| matches(m, Some("warning")));
                let forbidden = parts
                    .iter()
                    .filter_map(|m| m.strip_prefix('!'))
                    .any(|m| matches(m, None));
                ours == "ok" && wanted && !forbidden
            }
            other => panic!("unknown verdict {other}"),
        };
        let listed = DIFFERENCES
            .iter()
            .any(|(s, f, o, _)| s.starts_with(suite) && *f == row.file && *o == row.options);
        if agrees == listed {
            let why = if listed {
                "is listed as a difference but now agrees"
            } else {
                "disagrees"
            };
            failures.push(format!(
                "{} {} [{}] {why}: upstream {}, zonectl exit {code}, findings {findings:?}",
                row.suite, row.file, row.options, row.expected
            ));
        }
        checked += 1;
    }
    eprintln!("{suite}: {checked} rows checked");
    failures
}

#[test]
fn bind9_checkzone_suite() {
    let Some(dir) = peer_suites() else { return };
    let failures = run_suite(&dir.join("bind9-checkzone"), "bind9");
    assert!(
        failures.is_empty(),
        "{} rows:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn knot_semantic_check_suite() {
    let Some(dir) = peer_suites() else { return };
    let failures = run_suite(&dir.join("knot-semcheck"), "knot");
    assert!(
        failures.is_empty(),
        "{} rows:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_error_message_of_the_suites_has_a_kind() {
    let Some(dir) = peer_suites() else { return };
    let mut unmapped = Vec::new();
    for (suite, sub) in [("bind9", "bind9-checkzone"), ("knot", "knot-semcheck")] {
        for row in rows(&dir.join(sub), suite) {
            let listed = DIFFERENCES
                .iter()
                .any(|(s, f, o, _)| s.starts_with(suite) && *f == row.file && *o == row.options);
            let kind_listed = KIND_DIFFERENCES
                .iter()
                .any(|(s, f, _)| *s == suite && *f == row.file);
            if row.expected != "error" || listed || kind_listed || row.message.is_empty() {
                continue;
            }
            // Messages are joined by " && " (and may hold "&&" inside): a
            // row needs at least one part of a known kind.
            if !row
                .message
                .split(" && ")
                .any(|part| ERROR_KINDS.iter().any(|(text, _)| part.contains(text)))
            {
                unmapped.push(format!("{suite} {}: {}", row.file, row.message));
            }
        }
    }
    assert!(
        unmapped.is_empty(),
        "messages with no kind:\n{}",
        unmapped.join("\n")
    );
}

#[test]
fn differences_list_is_short() {
    assert!(
        DIFFERENCES.len() <= 12,
        "{} deliberate differences",
        DIFFERENCES.len()
    );
}
