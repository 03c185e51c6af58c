//! Verification of a signed zone: every authoritative RRset carries a valid
//! RRSIG from a key of each algorithm in the apex DNSKEY RRset (RFC 4035
//! §2.2), nothing non-authoritative is signed, and the NSEC (RFC 4035 §2.3)
//! or NSEC3 (RFC 5155 §7.1) chain covers exactly the authoritative names
//! with the right type bitmaps.
//!
//! Signature checks are independent per RRset and run on every core.

use std::collections::{BTreeSet, HashMap};

use rayon::prelude::*;

use super::canonical::signed_data;
use super::crypto::{self, Verdict};
use super::digest::key_tag;
use super::nsec3::nsec3_hash;
use crate::zone::classify::{Kind, Node, nodes};
use crate::zone::encoding::base32hex_encode;
use crate::zone::rdata::{WireReader, read_type_bitmap};
use crate::zone::{Name, Pos, RRset, RType, Severity, Zone};

#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// The time signatures must be valid at (seconds since the epoch).
    pub now: u32,
    /// Worker threads for signature checks.
    pub threads: usize,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as u32);
        VerifyOptions {
            now,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// One problem found, at an owner (and type, where it concerns one RRset).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Error for what makes the zone bogus to validators; warning for what
    /// they accept but treat as insecure.
    pub severity: Severity,
    pub owner: Name,
    pub pos: Pos,
    pub code: &'static str,
    pub message: String,
}

struct Key {
    tag: u16,
    algorithm: u8,
    public: Vec<u8>,
}

/// Whether the zone carries DNSSEC data at all.
/// A zone is signed when it holds signatures; DNSKEYs published ahead of
/// signing, or NSEC3 records alone, do not make it one.
pub fn is_signed(zone: &Zone) -> bool {
    zone.rrsets().iter().any(|s| s.rtype == RType::RRSIG)
}

pub fn verify_zone(zone: &Zone, options: &VerifyOptions) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !is_signed(zone) {
        return problems;
    }
    let nodes = nodes(zone);
    let keys = apex_keys(zone, &mut problems);
    check_ds_records(&nodes, &mut problems);
    check_signatures(zone, &nodes, &keys, options, &mut problems);
    match zone.get(&zone.origin, RType::NSEC3PARAM) {
        Some(param) => check_nsec3(zone, &nodes, param, &mut problems),
        None if nodes.iter().any(|n| n.get(RType::NSEC).is_some()) => {
            check_nsec(zone, &nodes, &mut problems)
        }
        None => {
            let pos = zone.soa().map_or(Pos::default(), |s| s.pos);
            problems.push(Problem { severity: Severity::Error, owner: zone.origin.clone(), pos, code: "nsec-missing", message: "missing NSEC(3) record: the signed zone has neither an NSEC chain nor NSEC3PARAM".into() });
        }
    }
    check_zonemd(zone, &mut problems);
    problems.sort_by(|a, b| a.pos.cmp(&b.pos).then_with(|| a.code.cmp(b.code)));
    problems.dedup();
    problems
}

/// The problems of [`verify_zone`], and for a zone with no signatures at
/// all one problem saying so (at its SOA): what `verify` reports, where
/// `check` only verifies zones that are signed.
pub fn verify_signed_zone(zone: &Zone, options: &VerifyOptions) -> Vec<Problem> {
    if is_signed(zone) {
        return verify_zone(zone, options);
    }
    vec![Problem {
        severity: Severity::Error,
        owner: zone.origin.clone(),
        pos: zone.soa().map_or(Pos::default(), |s| s.pos),
        code: "unsigned",
        message: "the zone has no signatures (no RRSIG records)".into(),
    }]
}

/// An RRSIG time as people read it: `2026-12-01 10:00:00 UTC`.
fn show_time(secs: u32) -> String {
    let mut compact = String::new();
    crate::zone::rdata::format_time(secs, &mut compact);
    let d = compact.as_bytes();
    if d.len() != 14 {
        return compact;
    }
    let part = |r: std::ops::Range<usize>| std::str::from_utf8(&d[r]).unwrap_or("?");
    format!(
        "{}-{}-{} {}:{}:{} UTC",
        part(0..4),
        part(4..6),
        part(6..8),
        part(8..10),
        part(10..12),
        part(12..14)
    )
}

/// ZONEMD (RFC 8976 §4): when present at the apex, one record of a known
/// scheme and hash must match the zone and name the SOA serial.
fn check_zonemd(zone: &Zone, problems: &mut Vec<Problem>) {
    let Some(set) = zone.get(&zone.origin, RType::ZONEMD) else {
        return;
    };
    let serial = zone.serial();
    let mut matched = false;
    let mut reasons = Vec::new();
    for rdata in &set.rdatas {
        if rdata.len() < 6 {
            continue;
        }
        let (record_serial, scheme, hash) = (
            u32::from_be_bytes(rdata[..4].try_into().unwrap()),
            rdata[4],
            rdata[5],
        );
        if scheme != 1 {
            reasons.push(format!("scheme {scheme} is unknown"));
            continue;
        }
        if Some(record_serial) != serial {
            reasons.push(format!("serial {record_serial} is not the SOA serial"));
            continue;
        }
        match super::zonemd::zonemd_digest(zone, hash) {
            Some(digest) if digest == rdata[6..] => matched = true,
            Some(_) => reasons.push(format!("the hash {hash} digest does not match the zone")),
            None => reasons.push(format!("hash algorithm {hash} is unknown")),
        }
    }
    if !matched {
        problems.push(Problem {
            severity: Severity::Error,
            owner: zone.origin.clone(),
            pos: set.pos,
            code: "zonemd-mismatch",
            message: format!("ZONEMD does not verify: {}", reasons.join("; ")),
        });
    }
}

/// A trust anchor (DS or DNSKEY records) must name a key that validly signs
/// the apex DNSKEY RRset (RFC 4035 §5.2).
pub fn check_trust_anchor(zone: &Zone, anchors: &Zone, now: u32) -> Vec<Problem> {
    let problem = |message: String| {
        vec![Problem {
            severity: Severity::Error,
            owner: zone.origin.clone(),
            pos: Pos::default(),
            code: "trust-anchor",
            message,
        }]
    };
    let Some(dnskeys) = zone.get(&zone.origin, RType::DNSKEY) else {
        return problem("no DNSKEY RRset at the apex".into());
    };
    let mut ignored = Vec::new();
    let keys = apex_keys(zone, &mut ignored);
    let signing_tags: Vec<(u16, u8)> = zone
        .node(&zone.origin)
        .iter()
        .filter(|s| s.rtype == RType::RRSIG)
        .flat_map(|s| s.rdatas.iter())
        .filter_map(|r| parse_rrsig(r))
        .filter(|sig| {
            sig.covered == RType::DNSKEY.0
                && check_one(zone, &zone.origin, dnskeys, sig, &keys, now).is_none()
        })
        .map(|sig| (sig.tag, sig.algorithm))
        .collect();
    let anchored = dnskeys.rdatas.iter().any(|key| {
        let signs = signing_tags.contains(&(key_tag(key), key[3]));
        let named = anchors.rrsets().iter().any(|a| match a.rtype {
            RType::DS => a
                .rdatas
                .iter()
                .any(|ds| super::digest::ds_matches(&zone.origin, key, ds) == Some(true)),
            RType::DNSKEY => a.rdatas.iter().any(|k| k == key),
            _ => false,
        });
        signs && named
    });
    if anchored {
        Vec::new()
    } else {
        problem("no key named by the trust anchor signs the DNSKEY RRset".into())
    }
}

fn apex_keys(zone: &Zone, problems: &mut Vec<Problem>) -> Vec<Key> {
    let Some(set) = zone.get(&zone.origin, RType::DNSKEY) else {
        let pos = zone.soa().map_or(Pos::default(), |s| s.pos);
        problems.push(Problem {
            severity: Severity::Error,
            owner: zone.origin.clone(),
            pos,
            code: "dnskey-missing",
            message: "signed data but no DNSKEY RRset at the apex".into(),
        });
        return Vec::new();
    };
    let keys: Vec<Key> = set
        .rdatas
        .iter()
        .enumerate()
        .filter(|(_, r)| r.len() > 4 && r[2] == 3 && u16::from_be_bytes([r[0], r[1]]) & 0x0100 != 0)
        .filter(|&(i, r)| {
            // A key validators cannot use is a problem of its own, not a
            // string of signatures that "do not verify".
            let Some(problem) = crypto::key_problem(r[3], &r[4..]) else {
                return true;
            };
            problems.push(Problem {
                severity: Severity::Error,
                owner: zone.origin.clone(),
                pos: set.pos_of(i),
                code: problem.code(),
                message: format!("DNSKEY {} (algorithm {}): {problem}", key_tag(r), r[3]),
            });
            !matches!(problem, crypto::KeyProblem::Malformed(_))
        })
        .map(|(_, r)| Key {
            tag: key_tag(r),
            algorithm: r[3],
            public: r[4..].to_vec(),
        })
        .collect();
    let mut per_tag: HashMap<(u16, u8), usize> = HashMap::new();
    for k in &keys {
        *per_tag.entry((k.tag, k.algorithm)).or_default() += 1;
    }
    for ((tag, algorithm), count) in per_tag {
        if count > 3 {
            problems.push(Problem { severity: Severity::Error,
                owner: zone.origin.clone(),
                pos: set.pos,
                code: "dnskey-keytag-collision",
                message: format!("many DNSKEYs with equal keytag: {count} keys of algorithm {algorithm} share key tag {tag}; resolvers limit the keys they try per tag (KeyTrap, CVE-2023-50387)"),
            });
        }
    }
    keys
}

/// DS digest types must be assigned ones with the right digest length (RFC 4034 §5.1, IANA registry).
fn check_ds_records(nodes: &[Node<'_>], problems: &mut Vec<Problem>) {
    for node in nodes
        .iter()
        .filter(|n| matches!(n.kind, Kind::Delegation { .. }))
    {
        let Some(ds) = node.get(RType::DS) else {
            continue;
        };
        for rdata in &ds.rdatas {
            if rdata.len() < 4 {
                continue;
            }
            let tag = u16::from_be_bytes([rdata[0], rdata[1]]);
            let digest_len = rdata.len() - 4;
            let problem = match rdata[3] {
                0 | 7.. => Some(format!(
                    "unknown algorithm in DS (keytag {tag}): digest type {} is not assigned",
                    rdata[3]
                )),
                1 if digest_len != 20 => Some(format!(
                    "DS (keytag {tag}) SHA-1 digest is {digest_len} octets, not 20"
                )),
                2 if digest_len != 32 => Some(format!(
                    "DS (keytag {tag}) SHA-256 digest is {digest_len} octets, not 32"
                )),
                4 if digest_len != 48 => Some(format!(
                    "DS (keytag {tag}) SHA-384 digest is {digest_len} octets, not 48"
                )),
                _ => None,
            };
            if let Some(message) = problem {
                problems.push(Problem {
                    severity: Severity::Error,
                    owner: node.owner.clone(),
                    pos: ds.pos,
                    code: "ds-invalid",
                    message,
                });
            }
        }
    }
}

struct Rrsig<'a> {
    covered: u16,
    algorithm: u8,
    labels: u8,
    original_ttl: u32,
    expiration: u32,
    inception: u32,
    tag: u16,
    signer: &'a [u8],
    /// The rdata up to the signature (what is signed, signer still as written).
    header: &'a [u8],
    signature: &'a [u8],
}

fn parse_rrsig(rdata: &[u8]) -> Option<Rrsig<'_>> {
    let mut r = WireReader::new(rdata);
    let covered = r.u16()?;
    let algorithm = r.u8()?;
    let labels = r.u8()?;
    let original_ttl = r.u32()?;
    let expiration = r.u32()?;
    let inception = r.u32()?;
    let tag = r.u16()?;
    let signer = r.name()?;
    let header = &rdata[..r.pos];
    let signature = r.rest();
    Some(Rrsig {
        covered,
        algorithm,
        labels,
        original_ttl,
        expiration,
        inception,
        tag,
        signer,
        header,
        signature,
    })
}

/// `a` is at or before `b` in serial-number time (RFC 4034 §3.1.5).
fn not_after(a: u32, b: u32) -> bool {
    b.wrapping_sub(a) < 1 << 31
}

/// Why one RRSIG does not validate an RRset, or `None` if it does.
fn check_one(
    zone: &Zone,
    owner: &Name,
    rrset: &RRset,
    sig: &Rrsig<'_>,
    keys: &[Key],
    now: u32,
) -> Option<String> {
    if !sig.signer.eq_ignore_ascii_case(zone.origin.as_wire()) {
        return Some(format!(
            "signer name {} is not the zone apex",
            Name::from_wire(sig.signer).map_or("?".into(), |n| n.to_string())
        ));
    }
    if sig.labels as usize > super::canonical::rrsig_labels(owner) {
        return Some(format!(
            "labels field {} exceeds the owner's label count",
            sig.labels
        ));
    }
    if sig.original_ttl != rrset.ttl {
        return Some(format!(
            "original TTL {} differs from the RRset TTL {}",
            sig.original_ttl, rrset.ttl
        ));
    }
    if !not_after(sig.inception, now) {
        return Some(format!(
            "signature not yet valid: inception {}",
            show_time(sig.inception)
        ));
    }
    if !not_after(now, sig.expiration) {
        return Some(format!(
            "signature expired at {}",
            show_time(sig.expiration)
        ));
    }
    let candidates: Vec<&Key> = keys
        .iter()
        .filter(|k| k.tag == sig.tag && k.algorithm == sig.algorithm)
        .collect();
    if candidates.is_empty() {
        return Some(format!(
            "no DNSKEY with key tag {} and algorithm {}",
            sig.tag, sig.algorithm
        ));
    }
    let data = signed_data(sig.header, 18, owner, sig.labels, rrset, sig.original_ttl);
    let mut unsupported = false;
    for key in candidates {
        match crypto::verify(sig.algorithm, &key.public, &data, sig.signature) {
            Verdict::Valid => return None,
            Verdict::Unsupported => unsupported = true,
            Verdict::Invalid => {}
        }
    }
    Some(if unsupported {
        format!("algorithm {} cannot be verified here", sig.algorithm)
    } else {
        "signature does not verify".into()
    })
}

fn check_signatures(
    zone: &Zone,
    nodes: &[Node<'_>],
    keys: &[Key],
    options: &VerifyOptions,
    problems: &mut Vec<Problem>,
) {
    // Every RRset must be signed with each algorithm that signs the DNSKEY
    // RRset (RFC 4035 §2.2; as dnssec-verify, a key published but not yet
    // signing does not count).
    let mut algorithms: BTreeSet<u8> = BTreeSet::new();
    if let Some(dnskey) = zone.get(&zone.origin, RType::DNSKEY) {
        let apex = zone.node(&zone.origin);
        for sig in apex
            .iter()
            .filter(|s| s.rtype == RType::RRSIG)
            .flat_map(|s| s.rdatas.iter())
            .filter_map(|r| parse_rrsig(r))
            .filter(|s| s.covered == RType::DNSKEY.0)
        {
            if check_one(zone, &zone.origin, dnskey, &sig, keys, options.now).is_none() {
                algorithms.insert(sig.algorithm);
            }
        }
    }
    // Work-stealing over small batches of nodes: signature counts per node vary.
    let check = || -> Vec<(Vec<Problem>, Vec<Expired>)> {
        nodes
            .par_chunks(256)
            .map(|part| {
                let (mut found, mut expired) = (Vec::new(), Vec::new());
                for node in part {
                    check_node_signatures(
                        zone,
                        node,
                        keys,
                        &algorithms,
                        options.now,
                        &mut found,
                        &mut expired,
                    );
                }
                (found, expired)
            })
            .collect()
    };
    let results = match rayon::ThreadPoolBuilder::new()
        .num_threads(options.threads.clamp(1, 256))
        .build()
    {
        Ok(pool) => pool.install(check),
        Err(_) => check(),
    };
    let mut expired = Vec::new();
    for (found, lapsed) in results {
        problems.extend(found);
        expired.extend(lapsed);
    }
    problems.extend(expired_problems(expired));
}

/// An RRset all of whose signatures expired, and when the last one did.
struct Expired {
    owner: Name,
    rtype: RType,
    pos: Pos,
    at: u32,
}

/// One problem per expiry time: RRSIGs that expired at the same moment are
/// counted, the first few named, at the first one's position, so that a
/// lapsed re-signing shows as one line rather than one per RRset.
fn expired_problems(mut expired: Vec<Expired>) -> Vec<Problem> {
    const NAMED: usize = 3;
    expired.sort_by_key(|e| (e.at, e.pos));
    expired
        .chunk_by(|a, b| a.at == b.at)
        .map(|group| {
            let first = &group[0];
            let at = show_time(first.at);
            let message = match group {
                [one] => format!("the RRSIG of {}/{} expired at {at}", one.owner, one.rtype),
                _ => {
                    let named: Vec<String> = group
                        .iter()
                        .take(NAMED)
                        .map(|e| format!("{}/{}", e.owner, e.rtype))
                        .collect();
                    let more = match group.len().saturating_sub(NAMED) {
                        0 => String::new(),
                        n => format!(" and {n} more"),
                    };
                    format!(
                        "{} RRSIGs expired at {at}: {}{more}",
                        group.len(),
                        named.join(", ")
                    )
                }
            };
            Problem {
                severity: Severity::Error,
                owner: first.owner.clone(),
                pos: first.pos,
                code: "rrsig-expired",
                message,
            }
        })
        .collect()
}

fn check_node_signatures(
    zone: &Zone,
    node: &Node<'_>,
    keys: &[Key],
    algorithms: &BTreeSet<u8>,
    now: u32,
    out: &mut Vec<Problem>,
    expired: &mut Vec<Expired>,
) {
    let sigs: Vec<(Rrsig<'_>, Pos)> = node
        .sets
        .iter()
        .filter(|s| s.rtype == RType::RRSIG)
        .flat_map(|s| {
            s.rdatas
                .iter()
                .filter_map(|r| parse_rrsig(r))
                .map(move |r| (r, s.pos))
        })
        .collect();
    let problem = |pos: Pos, code: &'static str, message: String| Problem {
        severity: Severity::Error,
        owner: node.owner.clone(),
        pos,
        code,
        message,
    };
    for (sig, pos) in &sigs {
        let covered = RType(sig.covered);
        let signed_ok = match node.kind {
            Kind::NonAuthoritative => false,
            Kind::Delegation { .. } => matches!(covered, RType::DS | RType::NSEC),
            _ => true,
        };
        if covered == RType::RRSIG || node.get(covered).is_none() || !signed_ok {
            let why = if covered == RType::RRSIG {
                "an RRSIG cannot cover RRSIG"
            } else if !signed_ok {
                "non-authoritative data (glue, or data at or below a delegation) must not be signed (RFC 4035 §2.2)"
            } else {
                "it covers a type that does not exist here"
            };
            out.push(problem(
                *pos,
                "rrsig-superfluous",
                format!(
                    "superfluous RRSIG covering {covered} at {}: {why}",
                    node.owner
                ),
            ));
        }
    }
    if matches!(node.kind, Kind::NonAuthoritative) {
        return;
    }
    for set in node.sets {
        let must_sign = match node.kind {
            Kind::Delegation { .. } => matches!(set.rtype, RType::DS | RType::NSEC),
            _ => set.rtype != RType::RRSIG,
        };
        if !must_sign {
            continue;
        }
        let mut valid_algorithms = BTreeSet::new();
        let mut reasons = Vec::new();
        for (sig, _) in sigs.iter().filter(|(s, _)| s.covered == set.rtype.0) {
            match check_one(zone, node.owner, set, sig, keys, now) {
                None => {
                    valid_algorithms.insert(sig.algorithm);
                }
                Some(reason) => {
                    reasons.push(format!("key {} alg {}: {reason}", sig.tag, sig.algorithm))
                }
            }
        }
        // Every signature of the set expired: its own finding, with the
        // time, so that a zone whose re-signing stopped reads as one line
        // a time rather than as broken signatures.
        let set_sigs = || sigs.iter().filter(|(s, _)| s.covered == set.rtype.0);
        if valid_algorithms.is_empty()
            && set_sigs().next().is_some()
            && set_sigs().all(|(s, _)| !not_after(now, s.expiration))
        {
            expired.push(Expired {
                owner: node.owner.clone(),
                rtype: set.rtype,
                pos: set.pos,
                at: set_sigs().map(|(s, _)| s.expiration).max().unwrap_or(0),
            });
            continue;
        }
        if valid_algorithms.is_empty() {
            let why = if reasons.is_empty() {
                "no RRSIG".to_string()
            } else {
                reasons.join("; ")
            };
            out.push(problem(
                set.pos,
                "rrsig-invalid",
                format!(
                    "no valid signature for a record: {}/{} ({why})",
                    node.owner, set.rtype
                ),
            ));
        } else if let Some(missing) = algorithms.iter().find(|a| !valid_algorithms.contains(a)) {
            out.push(problem(set.pos, "rrsig-algorithm-missing", format!("{}/{} is not signed with algorithm {missing}, which the DNSKEY RRset lists (RFC 4035 §2.2)", node.owner, set.rtype)));
        }
    }
}

fn superfluous(node: &Node<'_>, pos: Pos) -> Problem {
    Problem {
        severity: Severity::Error,
        owner: node.owner.clone(),
        pos,
        code: "nsec-superfluous",
        message: format!(
            "superfluous NSEC(3) at the non-authoritative name {}",
            node.owner
        ),
    }
}

fn format_types(types: &BTreeSet<u16>) -> String {
    types
        .iter()
        .map(|t| RType(*t).to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

fn check_nsec(zone: &Zone, nodes: &[Node<'_>], problems: &mut Vec<Problem>) {
    let mut chain: Vec<(&Name, Name, Pos)> = Vec::new();
    for node in nodes {
        let nsec = node.get(RType::NSEC);
        match (node.kind, nsec) {
            (Kind::NonAuthoritative | Kind::Nsec3, Some(set)) => {
                problems.push(superfluous(node, set.pos));
            }
            (Kind::NonAuthoritative | Kind::Nsec3, None) => {}
            (_, None) => problems.push(Problem {
                severity: Severity::Error,
                owner: node.owner.clone(),
                pos: node.pos(),
                code: "nsec-missing",
                message: format!("missing NSEC(3) record for {}", node.owner),
            }),
            (_, Some(set)) => {
                if set.rdatas.len() > 1 {
                    problems.push(Problem {
                        severity: Severity::Error,
                        owner: node.owner.clone(),
                        pos: set.pos,
                        code: "nsec-chain",
                        message: format!(
                            "inconsistent NSEC(3) chain: {} NSEC records at {}",
                            set.rdatas.len(),
                            node.owner
                        ),
                    });
                }
                let rdata = &set.rdatas[0];
                let mut r = WireReader::new(rdata);
                let (Some(next), bitmap) = (
                    r.name().and_then(|n| Name::from_wire(n).ok()),
                    read_type_bitmap(r.rest()),
                ) else {
                    continue;
                };
                let listed: BTreeSet<u16> = bitmap.unwrap_or_default().into_iter().collect();
                let expected = node.bitmap_types(RType::NSEC);
                if listed != expected {
                    problems.push(Problem {
                        severity: Severity::Error,
                        owner: node.owner.clone(),
                        pos: set.pos,
                        code: "nsec-bitmap",
                        message: format!(
                            "wrong NSEC(3) bitmap at {}: lists [{}], the name has [{}]",
                            node.owner,
                            format_types(&listed),
                            format_types(&expected)
                        ),
                    });
                }
                chain.push((node.owner, next, set.pos));
            }
        }
    }
    for (i, (owner, next, pos)) in chain.iter().enumerate() {
        let expected = chain.get(i + 1).map_or(&zone.origin, |(n, _, _)| *n);
        if !next.eq_ignore_case(expected) {
            problems.push(Problem { severity: Severity::Error, owner: (*owner).clone(), pos: *pos, code: "nsec-chain", message: format!("inconsistent NSEC(3) chain: {owner} points to {next}, the next name is {expected}") });
        }
    }
}

/// The fields NSEC3 and NSEC3PARAM share (RFC 5155 §3.2, §4.2): hash
/// algorithm, flags, iterations, salt, and a reader at what follows.
fn nsec3_fields(rdata: &[u8]) -> Option<(u8, u8, u16, &[u8], WireReader<'_>)> {
    let mut r = WireReader::new(rdata);
    let (algorithm, flags, iterations, salt_len) = (r.u8()?, r.u8()?, r.u16()?, r.u8()?);
    let salt = r.take(salt_len as usize)?;
    Some((algorithm, flags, iterations, salt, r))
}

struct Nsec3Record<'a> {
    owner: &'a Name,
    pos: Pos,
    hash: Vec<u8>,
    flags: u8,
    next: Vec<u8>,
    types: BTreeSet<u16>,
}

fn check_nsec3(zone: &Zone, nodes: &[Node<'_>], param_set: &RRset, problems: &mut Vec<Problem>) {
    let Some((algorithm, _flags, iterations, salt, _)) = nsec3_fields(&param_set.rdatas[0]) else {
        return;
    };
    if algorithm != 1 {
        problems.push(Problem {
            severity: Severity::Error,
            owner: zone.origin.clone(),
            pos: param_set.pos,
            code: "nsec3-chain",
            message: format!("NSEC3PARAM hash algorithm {algorithm} is unknown (RFC 5155 §11)"),
        });
        return;
    }
    // Valid, but validators give up on the denial proofs (RFC 9276 §3.2).
    if let Some((Severity::Warning, message)) = super::nsec3::iterations_advice(iterations) {
        problems.push(Problem {
            severity: Severity::Warning,
            owner: zone.origin.clone(),
            pos: param_set.pos,
            code: "nsec3-iterations",
            message,
        });
    }
    // The NSEC3 records of this chain, by hash.
    let mut records: Vec<Nsec3Record<'_>> = Vec::new();
    for node in nodes.iter().filter(|n| n.get(RType::NSEC3).is_some()) {
        let set = node.get(RType::NSEC3).unwrap();
        if node.kind == Kind::NonAuthoritative {
            problems.push(superfluous(node, set.pos));
            continue;
        }
        let mut hash = Vec::new();
        let label = node.owner.labels().next().unwrap_or_default();
        let parent_is_apex = node
            .owner
            .parent()
            .is_some_and(|p| p.eq_ignore_case(&zone.origin));
        if !parent_is_apex || crate::zone::encoding::base32hex_decode(label, &mut hash).is_err() {
            continue; // reported by the zone checks
        }
        for rdata in &set.rdatas {
            let Some((alg, flags, iter, this_salt, mut r)) = nsec3_fields(rdata) else {
                continue;
            };
            if alg != algorithm || iter != iterations || this_salt != salt {
                continue; // another chain (RFC 5155 §7.2)
            }
            let Some(hash_len) = r.u8() else { continue };
            let Some(next) = r.take(hash_len as usize) else {
                continue;
            };
            let types = read_type_bitmap(r.rest())
                .unwrap_or_default()
                .into_iter()
                .collect();
            records.push(Nsec3Record {
                owner: node.owner,
                pos: set.pos,
                hash: hash.clone(),
                flags,
                next: next.to_vec(),
                types,
            });
        }
    }
    records.sort_by(|a, b| a.hash.cmp(&b.hash));
    let by_hash: HashMap<&[u8], usize> = records
        .iter()
        .enumerate()
        .map(|(i, r)| (r.hash.as_slice(), i))
        .collect();
    // Which NSEC3 covers (not matches) a hash: the last one before it, wrapping.
    let covering = |hash: &[u8]| -> Option<&Nsec3Record<'_>> {
        let idx = records.partition_point(|r| r.hash.as_slice() < hash);
        if records.is_empty() {
            None
        } else {
            Some(&records[if idx == 0 { records.len() - 1 } else { idx - 1 }])
        }
    };
    let mut used = vec![false; records.len()];
    // Names that need an NSEC3: authoritative nodes and the empty non-terminals above them.
    let existing: std::collections::HashSet<Name> =
        nodes.iter().map(|n| n.owner.to_lowercase()).collect();
    let mut empty_non_terminals: BTreeSet<Name> = BTreeSet::new();
    // Per ENT: does anything other than an opted-out insecure delegation lie below it?
    let mut ent_needs: HashMap<Name, bool> = HashMap::new();
    for node in nodes {
        if matches!(node.kind, Kind::NonAuthoritative | Kind::Nsec3) {
            continue;
        }
        let hash = nsec3_hash(node.owner, salt, iterations);
        let mut present = by_hash.get(hash.as_slice()).copied();
        let optional = matches!(node.kind, Kind::Delegation { secure: false });
        match present.take() {
            Some(i) => {
                used[i] = true;
                let rec = &records[i];
                let expected = node.bitmap_types(RType::NSEC3);
                if rec.types != expected {
                    problems.push(Problem { severity: Severity::Error, owner: node.owner.clone(), pos: rec.pos, code: "nsec-bitmap", message: format!("wrong NSEC(3) bitmap for {} (NSEC3 {}): lists [{}], the name has [{}]", node.owner, rec.owner, format_types(&rec.types), format_types(&expected)) });
                }
            }
            None if optional => match covering(&hash) {
                Some(cover) if cover.flags & 1 == 1 => {}
                _ => problems.push(Problem { severity: Severity::Error, owner: node.owner.clone(), pos: node.pos(), code: "nsec3-optout", message: format!("wrong NSEC3 opt-out: the insecure delegation {} has no NSEC3 and no opt-out NSEC3 covers it", node.owner) }),
            },
            None => problems.push(Problem { severity: Severity::Error, owner: node.owner.clone(), pos: node.pos(), code: "nsec-missing", message: format!("missing NSEC(3) record for {}", node.owner) }),
        }
        let has_own = by_hash.contains_key(hash.as_slice());
        let mut ancestor = node.owner.parent();
        while let Some(a) = ancestor {
            if !a.is_subdomain_of(&zone.origin) || a.eq_ignore_case(&zone.origin) {
                break;
            }
            let lower = a.to_lowercase();
            if !existing.contains(&lower) {
                empty_non_terminals.insert(lower.clone());
                let needs = ent_needs.entry(lower).or_insert(false);
                *needs |= !optional || has_own;
            }
            ancestor = a.parent();
        }
    }
    for ent in &empty_non_terminals {
        let hash = nsec3_hash(ent, salt, iterations);
        match by_hash.get(hash.as_slice()) {
            Some(&i) => {
                used[i] = true;
                if !records[i].types.is_empty() {
                    problems.push(Problem { severity: Severity::Error, owner: ent.clone(), pos: records[i].pos, code: "nsec-bitmap", message: format!("wrong NSEC(3) bitmap for the empty non-terminal {ent}: it must be empty") });
                }
            }
            None => {
                let opted_out = !ent_needs.get(ent).copied().unwrap_or(true)
                    && covering(&hash).is_some_and(|c| c.flags & 1 == 1);
                if !opted_out {
                    problems.push(Problem {
                        severity: Severity::Error,
                        owner: ent.clone(),
                        pos: param_set.pos,
                        code: "nsec-missing",
                        message: format!("missing NSEC(3) record for the empty non-terminal {ent}"),
                    });
                }
            }
        }
    }
    for (i, rec) in records.iter().enumerate() {
        if !used[i] {
            problems.push(Problem {
                severity: Severity::Error,
                owner: rec.owner.clone(),
                pos: rec.pos,
                code: "nsec-superfluous",
                message: format!(
                    "superfluous NSEC(3) {}: it matches no name of the zone",
                    rec.owner
                ),
            });
        }
        let expected = &records[(i + 1) % records.len()].hash;
        if &rec.next != expected {
            let (mut shown, mut want) = (String::new(), String::new());
            base32hex_encode(&rec.next, &mut shown);
            base32hex_encode(expected, &mut want);
            problems.push(Problem {
                severity: Severity::Error,
                owner: rec.owner.clone(),
                pos: rec.pos,
                code: "nsec-chain",
                message: format!(
                    "inconsistent NSEC(3) chain: {} points to {shown}, the next hash is {want}",
                    rec.owner
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc5155_appendix_a_hashes() {
        // The table of RFC 5155 Appendix A: salt aabbccdd, 12 iterations.
        let salt = [0xaa, 0xbb, 0xcc, 0xdd];
        let table = [
            ("example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"),
            ("a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"),
            ("ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"),
            ("ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"),
            ("ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r"),
            ("w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h"),
            ("*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"),
            ("x.w.example.", "b4um86eghhds6nea196smvmlo4ors995"),
            ("y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc"),
            ("x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s"),
            ("xx.example.", "t644ebqk9bibcna874givr6joj62mlhv"),
        ];
        for (name, expected) in table {
            let hash = nsec3_hash(&Name::parse(name.as_bytes(), None).unwrap(), &salt, 12);
            let mut text = String::new();
            base32hex_encode(&hash, &mut text);
            assert_eq!(text.to_ascii_lowercase(), expected, "{name}");
        }
    }
}
