//! `zonectl serve` against NSD and Knot: the same zones served by all
//! three on loopback, the same queries (generated from each zone: every
//! name and type present, a type absent, NXDOMAIN below every name,
//! wildcard matches, names below cuts, DS at cuts; with and without DO,
//! over UDP without EDNS, with EDNS, and over TCP), and the answers
//! compared as sets per section. Differences the RFCs leave to the server
//! are listed in `allowed_difference` with the text that allows them.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;

use zonectl::wire::{Message, MessageBuilder, Section};
use zonectl::zone::{Name, RType, writer};

use super::common::servers::{self, ZoneSpec};
use super::common::{run, text};
use super::serve_util::{ServeProcess, Transport, exchange, sign_with_new_csk};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Normalized {
    pub rcode: u16,
    pub aa: bool,
    pub tc: bool,
    pub answer: BTreeSet<String>,
    pub authority: BTreeSet<String>,
    pub additional: BTreeSet<String>,
}

/// A response as sets of lowercased presentation-format records per
/// section (OPT left out: its options are each server's own).
pub fn normalize(msg: &[u8]) -> Normalized {
    let parsed = Message::parse(msg).expect("a response that parses");
    let flags = u16::from_be_bytes([msg[2], msg[3]]);
    let mut out = Normalized {
        rcode: parsed.full_rcode().unwrap_or(0),
        aa: flags & 0x0400 != 0,
        tc: flags & 0x0200 != 0,
        answer: BTreeSet::new(),
        authority: BTreeSet::new(),
        additional: BTreeSet::new(),
    };
    let mut records = parsed.records();
    let (mut owner, mut rdata) = (Vec::new(), Vec::new());
    while let Some(h) = records
        .next_into(&mut owner, &mut rdata)
        .expect("records that parse")
    {
        if h.rtype == RType::OPT {
            continue;
        }
        let mut line = String::new();
        writer::format_record(&owner, h.ttl, h.class, h.rtype, &rdata, &mut line);
        let line = line.to_ascii_lowercase();
        match h.section {
            Section::Answer => out.answer.insert(line),
            Section::Authority => out.authority.insert(line),
            Section::Additional => out.additional.insert(line),
        };
    }
    out
}

/// The queries for a zone: for every name, each type it holds, one it
/// does not, ANY, a name below it, and DS; for wildcards, names they
/// match.
pub fn queries_for(zone_file: &Path, origin: &str) -> Vec<(String, RType)> {
    let out = run(&["fmt", "-z", origin, zone_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut by_name: std::collections::BTreeMap<String, BTreeSet<u16>> = Default::default();
    for line in text(&out.stdout).lines() {
        let mut fields = line.split_whitespace();
        let (Some(owner), Some(_ttl), Some(_class), Some(rtype)) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        let Some(t) = RType::from_text(rtype.as_bytes()) else {
            continue;
        };
        by_name
            .entry(owner.to_ascii_lowercase())
            .or_default()
            .insert(t.0);
    }
    let mut queries = Vec::new();
    for (name, types) in &by_name {
        if types.contains(&RType::NSEC3.0) {
            continue; // hashed owners are not names of the zone
        }
        let query_name = match name.strip_prefix("*.") {
            Some(parent) => {
                queries.push((format!("b.a.{parent}"), RType::TXT));
                format!("match.{parent}")
            }
            None => name.clone(),
        };
        for &t in types {
            if RType(t) != RType::RRSIG {
                queries.push((query_name.clone(), RType(t)));
            }
        }
        for t in [
            RType::TXT,
            RType(13),
            RType::DS,
            RType(255),
            RType::NS,
            RType::A,
            RType::RRSIG,
        ] {
            if !types.contains(&t.0) {
                queries.push((query_name.clone(), t));
            }
        }
        queries.push((format!("zz-nx.{name}"), RType::A));
        queries.push((format!("-nx.{name}"), RType::MX));
    }
    queries.sort();
    queries.dedup();
    queries
}

fn query_bytes(name: &str, qtype: RType, edns: Option<(u16, bool)>) -> Vec<u8> {
    let wire = Name::parse(name.as_bytes(), None).expect("query name");
    let builder = MessageBuilder::new(0x4242, 0, 0).question(wire.as_wire(), qtype, 1);
    match edns {
        None => builder.finish(),
        Some((size, dnssec_ok)) => {
            let ttl = if dnssec_ok { 0x8000 } else { 0 };
            builder
                .record(
                    zonectl::wire::Section::Additional,
                    &[0],
                    RType::OPT,
                    size,
                    ttl,
                    &[],
                )
                .finish()
        }
    }
}

/// The ways each query is asked.
pub const MODES: [(Transport, Option<(u16, bool)>); 4] = [
    (Transport::Udp, None),
    (Transport::Udp, Some((1232, false))),
    (Transport::Udp, Some((1232, true))),
    (Transport::Tcp, Some((65535, true))),
];

pub fn ask(
    addr: SocketAddr,
    name: &str,
    qtype: RType,
    transport: Transport,
    edns: Option<(u16, bool)>,
) -> Normalized {
    let query = query_bytes(name, qtype, edns);
    let answer =
        exchange(addr, &query, transport).unwrap_or_else(|e| panic!("{addr} {name} {qtype}: {e}"));
    normalize(&answer)
}

/// What one RFC allows two servers to answer differently.
fn allowed_difference(
    peer: &str,
    qtype: RType,
    ours: &Normalized,
    theirs: &Normalized,
) -> Option<&'static str> {
    let same_but_additional = ours.rcode == theirs.rcode
        && ours.aa == theirs.aa
        && ours.tc == theirs.tc
        && ours.answer == theirs.answer
        && ours.authority == theirs.authority;
    if same_but_additional && ours.additional.is_subset(&theirs.additional) {
        // RFC 2181 §9 / RFC 1034 §4.3.2 step 6: additional data is what
        // the server may add "if possible"; leaving some out is allowed.
        return Some("additional section: RFC 1034 §4.3.2 step 6 makes additional data optional");
    }
    let same_head = ours.rcode == theirs.rcode && ours.aa == theirs.aa && ours.tc == theirs.tc;
    if qtype == RType(255) && same_head && !ours.answer.is_empty() && !theirs.answer.is_empty() {
        // Knot answers ANY with one RRset even over TCP, zonectl (over
        // TCP) and NSD with all; over UDP each picks its own RRset (NSD
        // the SOA at an apex, zonectl the first type).
        return Some(
            "ANY: RFC 8482 §4.1 lets a server answer with one RRset of its choice, or a subset",
        );
    }
    let nsd_adds_apex_ns = peer == "nsd"
        && same_head
        && ours.answer == theirs.answer
        && !ours.answer.is_empty()
        && ours.authority.is_subset(&theirs.authority)
        && theirs.authority.difference(&ours.authority).all(|r| {
            let mut f = r.split_whitespace().skip(3);
            let t = f.next();
            t == Some("ns") || (t == Some("rrsig") && f.next() == Some("ns"))
        })
        && ours.additional.is_subset(&theirs.additional);
    if nsd_adds_apex_ns {
        // NSD adds the zone's NS RRset (and addresses) to positive
        // answers; Knot and zonectl send minimal responses.
        return Some(
            "authority NS in positive answers: optional, RFC 1034 §4.3.2 step 6 / RFC 2181 §6.1",
        );
    }
    if peer == "knotd"
        && qtype == RType::NSEC
        && same_head
        && ours.answer == theirs.answer
        && theirs.authority.is_subset(&ours.authority)
    {
        // A wildcard-synthesised NSEC answer: RFC 4035 §3.1.3.3 asks for
        // the NSEC that proves the query name does not exist; Knot leaves
        // it out when the wildcard's own NSEC is that proof.
        return Some("NSEC query matching a wildcard: RFC 4035 §3.1.3.3 proof, which Knot omits");
    }
    if ours.tc && theirs.tc {
        return Some("truncated: RFC 2181 §9, the content of a TC answer is not to be used");
    }
    let _ = peer;
    None
}

/// What differs, field by field; for sections, what only one side has.
fn describe(ours: &Normalized, theirs: &Normalized, peer: &str) -> String {
    let mut out = String::new();
    if (ours.rcode, ours.aa, ours.tc) != (theirs.rcode, theirs.aa, theirs.tc) {
        out += &format!(
            "\n  rcode/aa/tc: zonectl {}/{}/{}, {peer} {}/{}/{}",
            ours.rcode, ours.aa, ours.tc, theirs.rcode, theirs.aa, theirs.tc
        );
    }
    for (section, a, b) in [
        ("answer", &ours.answer, &theirs.answer),
        ("authority", &ours.authority, &theirs.authority),
        ("additional", &ours.additional, &theirs.additional),
    ] {
        for only in a.difference(b) {
            out += &format!("\n  {section}, only zonectl: {only}");
        }
        for only in b.difference(a) {
            out += &format!("\n  {section}, only {peer}: {only}");
        }
    }
    out
}

struct Comparison {
    compared: usize,
    allowed: std::collections::BTreeMap<&'static str, usize>,
    differences: Vec<String>,
}

fn compare_zone(zone_name: &str, zone_file: &Path) -> Option<Comparison> {
    // NSD reads no $GENERATE: the peers get the zone as fmt writes it.
    let out = run(&["fmt", "-z", zone_name, zone_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let text_of_zone = text(&out.stdout);
    let spec = [ZoneSpec {
        name: zone_name,
        text: &text_of_zone,
        key: None,
    }];
    let nsd = servers::nsd(&spec)?;
    let knot = servers::knotd(&spec, &[])?;
    let ours = ServeProcess::start(&[(zone_name, zone_file)], &[]);
    let queries = queries_for(zone_file, zone_name);
    assert!(queries.len() > 30, "{} queries", queries.len());
    let mut comparison = Comparison {
        compared: 0,
        allowed: Default::default(),
        differences: Vec::new(),
    };
    for (name, qtype) in &queries {
        for (transport, edns) in MODES {
            let mine = ask(ours.addr, name, *qtype, transport, edns);
            let peers = [
                ("nsd", ask(nsd.addr(), name, *qtype, transport, edns)),
                ("knotd", ask(knot.addr(), name, *qtype, transport, edns)),
            ];
            for (i, (peer, theirs)) in peers.iter().enumerate() {
                let peer = *peer;
                comparison.compared += 1;
                if mine == *theirs {
                    continue;
                }
                if mine == peers[1 - i].1 {
                    // Where the peers disagree, the RFCs leave a choice.
                    *comparison
                        .allowed
                        .entry("NSD and Knot disagree; zonectl answers as one of them")
                        .or_default() += 1;
                    continue;
                }
                if let Some(reason) = allowed_difference(peer, *qtype, &mine, theirs) {
                    *comparison.allowed.entry(reason).or_default() += 1;
                    continue;
                }
                comparison.differences.push(format!(
                    "{name} {qtype} {transport:?} {edns:?}: zonectl and {peer} differ:{}",
                    describe(&mine, theirs, peer)
                ));
            }
        }
    }
    Some(comparison)
}

fn report(label: &str, comparison: Comparison) {
    eprintln!(
        "{label}: {} answers compared, {} allowed differences {:?}, {} differences",
        comparison.compared,
        comparison.allowed.values().sum::<usize>(),
        comparison.allowed,
        comparison.differences.len()
    );
    if let Some(path) = std::env::var_os("ZONECTL_SERVE_DIFF_LOG") {
        let all = comparison.differences.join("\n");
        let _ = std::fs::write(Path::new(&path).join(label.replace(' ', "_")), all);
    }
    if !comparison.differences.is_empty() {
        let shown: Vec<&String> = comparison.differences.iter().take(8).collect();
        panic!(
            "{label}: {} answers differ from NSD's or Knot's; the first:\n{}",
            comparison.differences.len(),
            shown
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
fn answers_match_nsd_and_knot_unsigned() {
    let zone = super::common::testdata("example.com.zone");
    if let Some(c) = compare_zone("example.com", &zone) {
        report("example.com", c);
    }
}

#[test]
fn answers_match_nsd_and_knot_nsec() {
    let dir = tempfile::tempdir().unwrap();
    let signed = sign_with_new_csk(
        dir.path(),
        &super::common::testdata("rfc4035-example.zone"),
        "example",
        &[],
    );
    if let Some(c) = compare_zone("example", &signed) {
        report("RFC 4035 example, NSEC", c);
    }
}

#[test]
fn answers_match_nsd_and_knot_nsec3_opt_out() {
    let dir = tempfile::tempdir().unwrap();
    let signed = sign_with_new_csk(
        dir.path(),
        &super::common::testdata("rfc5155-example.zone"),
        "example",
        &[
            "--nsec3",
            "--opt-out",
            "--salt",
            "aabbccdd",
            "--iterations",
            "12",
        ],
    );
    if let Some(c) = compare_zone("example", &signed) {
        report("RFC 5155 example, NSEC3 opt-out", c);
    }
}

#[test]
fn answers_match_nsd_and_knot_cname_dname_wildcards() {
    let zone = super::common::testdata("serve/basic.zone");
    if let Some(c) = compare_zone("example.net", &zone) {
        report("example.net (CNAME, DNAME, wildcards)", c);
    }
}
