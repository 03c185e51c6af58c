//! The server's behaviour as data: each `testdata/serve/cases/*.case` file
//! names a zone (relative to `testdata/serve/`, signed with NSEC or NSEC3
//! by the test when asked), a query, and the expected RCODE, flags and
//! sections. Adding a case is adding a file; its name cites the RFC
//! section it checks.
//!
//! ```text
//! # comment
//! zone example. ../rfc4035-example.zone nsec          (or: nsec3 SALT ITERATIONS [opt-out]; or nothing: unsigned)
//! query ml.example. A dnssec                          (flags: dnssec, tcp)
//! rcode NXDOMAIN
//! flags aa                                            (aa, tc; or -)
//! answer -                                            (a section left out is not checked)
//! authority example. SOA | b.example. NSEC | b.example. RRSIG NSEC
//! ```
//!
//! A section lists RRsets as `owner TYPE` (`owner RRSIG COVERED` for
//! signatures) or whole records as `owner [TTL] TYPE RDATA`: the RRsets in
//! the section must be exactly those listed, and every whole record given
//! must be there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use zonectl::wire::{Message, MessageBuilder, Section};
use zonectl::zone::{Name, RType, writer};

use super::common::testdata;
use super::serve_util::{ServeProcess, Transport, exchange, sign_with_new_csk};

#[derive(Debug, Default)]
struct Case {
    file: String,
    zone: (String, String, String),
    qname: String,
    qtype: String,
    dnssec: bool,
    tcp: bool,
    rcode: String,
    flags: Option<BTreeSet<String>>,
    sections: BTreeMap<&'static str, Vec<String>>,
}

fn parse_case(path: &Path) -> Case {
    let content = std::fs::read_to_string(path).unwrap();
    let mut case = Case {
        file: path.file_name().unwrap().to_string_lossy().into_owned(),
        ..Default::default()
    };
    for line in content
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
        let rest = rest.trim();
        match key {
            "zone" => {
                let mut f = rest.splitn(3, ' ');
                case.zone = (
                    f.next().unwrap().to_string(),
                    f.next()
                        .unwrap_or_else(|| panic!("{}: zone needs a file", case.file))
                        .to_string(),
                    f.next().unwrap_or("").to_string(),
                );
            }
            "query" => {
                let mut f = rest.split_whitespace();
                case.qname = f.next().unwrap().to_string();
                case.qtype = f.next().unwrap().to_string();
                for flag in f {
                    match flag {
                        "dnssec" => case.dnssec = true,
                        "tcp" => case.tcp = true,
                        other => panic!("{}: unknown query flag {other}", case.file),
                    }
                }
            }
            "rcode" => case.rcode = rest.to_string(),
            "flags" => {
                case.flags = Some(
                    rest.split_whitespace()
                        .filter(|f| *f != "-")
                        .map(str::to_string)
                        .collect(),
                );
            }
            "answer" | "authority" | "additional" => {
                let key = match key {
                    "answer" => "answer",
                    "authority" => "authority",
                    _ => "additional",
                };
                let items = if rest == "-" {
                    Vec::new()
                } else {
                    rest.split('|').map(|s| s.trim().to_string()).collect()
                };
                case.sections.insert(key, items);
            }
            other => panic!("{}: unknown key {other}", case.file),
        }
    }
    assert!(!case.qname.is_empty(), "{}: no query", case.file);
    case
}

/// A response record as `(rrset key, whole record without TTL, with TTL)`.
fn keys(owner: &[u8], ttl: u32, rtype: RType, rdata: &[u8]) -> (String, String, String) {
    let mut line = String::new();
    writer::format_record(owner, ttl, 1, rtype, rdata, &mut line);
    let line = line.to_ascii_lowercase();
    let fields: Vec<&str> = line.split_whitespace().collect();
    // owner TTL class type rdata...
    let rrset = if rtype == RType::RRSIG {
        format!("{} rrsig {}", fields[0], fields[4])
    } else {
        format!("{} {}", fields[0], fields[3])
    };
    let without_ttl = format!("{} {}", fields[0], fields[3..].join(" "));
    let with_ttl = format!("{} {} {}", fields[0], fields[1], fields[3..].join(" "));
    (rrset, without_ttl, with_ttl)
}

/// The RRset key of an expected item, and the item normalised.
fn expected_key(item: &str) -> (String, Option<String>) {
    let f: Vec<String> = item
        .split_whitespace()
        .map(|s| s.to_ascii_lowercase())
        .collect();
    let type_at = usize::from(f.len() > 2 && f[1].chars().all(|c| c.is_ascii_digit()));
    let rtype = &f[1 + type_at];
    let rest = &f[2 + type_at..];
    if rtype == "rrsig" && rest.len() <= 1 {
        let covered = rest.first().cloned().unwrap_or_default();
        return (format!("{} rrsig {covered}", f[0]), None);
    }
    let key = format!("{} {rtype}", f[0]);
    if rest.is_empty() {
        (key, None)
    } else {
        (key, Some(f.join(" ")))
    }
}

fn check_case(case: &Case, server: &ServeProcess) -> Result<(), String> {
    let name = Name::parse(case.qname.as_bytes(), None).map_err(|e| e.to_string())?;
    let qtype = RType::from_text(case.qtype.as_bytes()).ok_or("unknown type")?;
    let ttl = if case.dnssec { 0x8000 } else { 0 };
    let query = MessageBuilder::new(0x5151, 0, 0)
        .question(name.as_wire(), qtype, 1)
        .record(Section::Additional, &[0], RType::OPT, 4096, ttl, &[])
        .finish();
    let transport = if case.tcp {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    let answer = exchange(server.addr, &query, transport).map_err(|e| e.to_string())?;
    let parsed = Message::parse(&answer).map_err(|e| e.to_string())?;
    let rcode = zonectl::wire::rcode_name(parsed.full_rcode().map_err(|e| e.to_string())?);
    let mut problems = Vec::new();
    if rcode != case.rcode {
        problems.push(format!("rcode {rcode}, expected {}", case.rcode));
    }
    let flags_word = u16::from_be_bytes([answer[2], answer[3]]);
    let flags: BTreeSet<String> = [("aa", 0x0400), ("tc", 0x0200)]
        .iter()
        .filter(|(_, bit)| flags_word & bit != 0)
        .map(|(n, _)| n.to_string())
        .collect();
    if let Some(expected) = &case.flags
        && *expected != flags
    {
        problems.push(format!("flags {flags:?}, expected {expected:?}"));
    }
    let mut got: BTreeMap<&str, (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    let mut records = parsed.records();
    let (mut owner, mut rdata) = (Vec::new(), Vec::new());
    while let Some(h) = records
        .next_into(&mut owner, &mut rdata)
        .map_err(|e| e.to_string())?
    {
        if h.rtype == RType::OPT {
            continue;
        }
        let section = match h.section {
            Section::Answer => "answer",
            Section::Authority => "authority",
            Section::Additional => "additional",
        };
        let (rrset, whole, with_ttl) = keys(&owner, h.ttl, h.rtype, &rdata);
        let entry = got.entry(section).or_default();
        entry.0.insert(rrset);
        entry.1.insert(whole);
        entry.1.insert(with_ttl);
    }
    for (section, items) in &case.sections {
        let (rrsets, records) = got.get(section).cloned().unwrap_or_default();
        let mut expected_sets = BTreeSet::new();
        for item in items {
            let (key, whole) = expected_key(item);
            expected_sets.insert(key);
            if let Some(whole) = whole
                && !records.contains(&whole)
            {
                problems.push(format!("{section}: {whole} is missing (got {records:?})"));
            }
        }
        if rrsets != expected_sets {
            problems.push(format!(
                "{section}: RRsets {:?}, expected {:?}",
                rrsets, expected_sets
            ));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n    "))
    }
}

/// The zone file a case serves: signed into `dir` when the case asks.
fn zone_file(case: &Case, dir: &Path) -> PathBuf {
    let (origin, file, signing) = &case.zone;
    let source = testdata("serve").join(file);
    let words: Vec<&str> = signing.split_whitespace().collect();
    if words.is_empty() {
        return source;
    }
    let mut extra: Vec<&str> = Vec::new();
    match words[0] {
        "nsec" => {}
        "nsec3" => {
            extra.extend(["--nsec3", "--salt", words[1], "--iterations", words[2]]);
            if words.get(3) == Some(&"opt-out") {
                extra.push("--opt-out");
            }
        }
        other => panic!("{}: unknown signing {other}", case.file),
    }
    sign_with_new_csk(dir, &source, origin, &extra)
}

#[test]
fn serve_case_files() {
    let dir = testdata("serve/cases");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "case"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 30, "{} case files", paths.len());
    let cases: Vec<Case> = paths.iter().map(|p| parse_case(p)).collect();
    // One server per zone and signing.
    let mut groups: BTreeMap<(String, String, String), Vec<&Case>> = BTreeMap::new();
    for case in &cases {
        groups.entry(case.zone.clone()).or_default().push(case);
    }
    let mut failures = Vec::new();
    for (zone, group) in groups {
        let work = tempfile::tempdir().unwrap();
        let file = zone_file(group[0], work.path());
        let server = ServeProcess::start(&[(zone.0.as_str(), file.as_path())], &[]);
        for case in group {
            if let Err(problem) = check_case(case, &server) {
                failures.push(format!("{}:\n    {problem}", case.file));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
