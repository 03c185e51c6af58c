//! Zone checks: the semantic rules that `named-checkzone` and `kzonecheck`
//! apply, and a few more.
//!
//! The zone is walked once in canonical order. Because canonical order puts
//! every name directly after its ancestors, the walk knows at each node
//! whether it lies below a zone cut (RFC 1034 §4.2.1: a delegation's NS,
//! whose data below is glue or occluded) or below a DNAME (RFC 6672 §2.3:
//! nothing may exist there).

use std::collections::HashSet;

use super::classify::{Classifier, Kind, node_slices};
use super::name::{Name, is_subdomain_wire, wire_ancestors};
use super::rdata::WireReader;
use super::rtype::{RType, algorithm_name};
use super::{Diagnostic, Pos, RRset, Severity, TtlConflict, Zone, svcb};
use crate::dnssec::digest;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CheckNames {
    Ignore,
    #[default]
    Warn,
    Fail,
}

#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    /// Host-name syntax of owners and targets (RFC 952, RFC 1123 §2.1).
    pub check_names: CheckNames,
    /// Records with a larger TTL are errors.
    pub max_ttl: Option<u32>,
    /// Finding codes to leave out of the report.
    pub ignore: Vec<String>,
    /// Leave out the DNSSEC checks (keys, CDS/CDNSKEY, NSEC/NSEC3, signatures).
    pub skip_dnssec: bool,
    /// The time signatures must be valid at (default: now).
    pub now: Option<u32>,
}

/// Every finding code `check` and `verify` can report, for `--ignore` to
/// be checked against. A unit test keeps it in step with the sources.
pub const FINDING_CODES: &[&str] = &[
    "cdnskey-missing",
    "cdnskey-no-dnskey",
    "cds-cdnskey-mismatch",
    "cds-delete-invalid",
    "cds-missing",
    "cds-no-dnskey",
    "cds-not-apex",
    "check-names",
    "cname-multiple",
    "deprecated-algorithm",
    "deprecated-digest",
    "dname-children",
    "dname-multiple",
    "dnskey-invalid",
    "dnskey-keytag-collision",
    "dnskey-missing",
    "dnskey-rsa-exponent",
    "dnskey-rsa-short",
    "ds-apex",
    "ds-invalid",
    "ds-not-delegation",
    "glue-missing",
    "glue-unneeded",
    "inherited-owner",
    "io",
    "max-ttl",
    "no-ipv4-servers",
    "no-ipv6-servers",
    "no-origin",
    "no-ttl",
    "ns-apex-missing",
    "ns-below-dname",
    "ns-wildcard",
    "nsec-bitmap",
    "nsec-chain",
    "nsec-missing",
    "nsec-superfluous",
    "nsec3-chain",
    "nsec3-hash-length",
    "nsec3-iterations",
    "nsec3-optout",
    "nsec3-owner",
    "nsec3param-flags",
    "nsec3param-not-apex",
    "occluded",
    "out-of-zone",
    "rrsig-algorithm-missing",
    "rrsig-expired",
    "rrsig-invalid",
    "rrsig-superfluous",
    "soa-missing",
    "soa-multiple",
    "soa-not-apex",
    "soa-timers",
    "spf-type",
    "svcb-invalid",
    "syntax",
    "target-cname",
    "target-no-address",
    "too-many-errors",
    "trust-anchor",
    "ttl-mismatch",
    "unsigned",
    "zonemd-mismatch",
];

struct Checker<'a> {
    zone: &'a Zone,
    /// in-addr.arpa or ip6.arpa: PTR targets there must be host names.
    reverse_zone: bool,
    /// Whether the zone holds any DNAME (most do not: no lookups needed then).
    has_dname: bool,
    files: &'a [String],
    options: &'a CheckOptions,
    out: Vec<Diagnostic>,
}

/// Runs every semantic check on a zone already read.
pub fn check_zone(
    zone: &Zone,
    conflicts: &[TtlConflict],
    files: &[String],
    options: &CheckOptions,
) -> Vec<Diagnostic> {
    let reverse_zone = ["in-addr.arpa.", "ip6.arpa."].iter().any(|suffix| {
        Name::parse(suffix.as_bytes(), None).is_ok_and(|s| zone.origin.is_subdomain_of(&s))
    });
    let has_dname = zone.rrsets().iter().any(|s| s.rtype == RType::DNAME);
    let mut c = Checker {
        zone,
        reverse_zone,
        has_dname,
        files,
        options,
        out: Vec::new(),
    };
    for conflict in conflicts {
        if conflict.rtype == RType::RRSIG {
            continue; // each RRSIG takes the TTL of the set it covers
        }
        c.push(
            Severity::Warning,
            conflict.pos,
            "ttl-mismatch",
            format!("{}/{} has records with TTLs {} and {}: {} is used for the whole RRset (RFC 2181 §5.2)", conflict.owner, conflict.rtype, conflict.used, conflict.other, conflict.used),
        );
    }
    c.check_apex();
    c.check_address_families();
    // Nodes that some NS RRset points at: addresses there are needed glue.
    let rrsets = zone.rrsets();
    let mut ns_target = vec![false; rrsets.len()];
    for set in rrsets.iter().filter(|s| s.rtype == RType::NS) {
        for target in set.rdatas.iter().filter_map(|r| first_name(r, 0)) {
            if let Some(index) = zone.node_index(&target) {
                ns_target[index] = true;
            }
        }
    }
    // The walk is split at node boundaries and run on every core.
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(rrsets.len() / 10_000 + 1);
    let mut bounds = vec![0];
    for t in 1..threads {
        let mut at = rrsets.len() * t / threads;
        while at > 0 && at < rrsets.len() && rrsets[at].owner.eq_ignore_case(&rrsets[at - 1].owner)
        {
            at += 1;
        }
        bounds.push(at.max(*bounds.last().unwrap()));
    }
    bounds.push(rrsets.len());
    let template = Checker {
        out: Vec::new(),
        ..c
    };
    let parts: Vec<Vec<Diagnostic>> = std::thread::scope(|scope| {
        let handles: Vec<_> = bounds
            .windows(2)
            .map(|w| {
                let (range, ns_target, template) = (w[0]..w[1], &ns_target, &template);
                scope.spawn(move || {
                    let mut part = Checker {
                        out: Vec::new(),
                        ..*template
                    };
                    part.walk(range, ns_target);
                    part.out
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    c.out.extend(parts.into_iter().flatten());
    c.out
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    c.out
}

fn rtypes(node: &[RRset]) -> impl Iterator<Item = RType> + '_ {
    node.iter().map(|s| s.rtype)
}

fn has(node: &[RRset], t: RType) -> bool {
    node.iter().any(|s| s.rtype == t)
}

fn first_name(rdata: &[u8], skip: usize) -> Option<Name> {
    let mut r = WireReader::new(rdata);
    r.take(skip)?;
    Name::from_wire(r.name()?).ok()
}

/// The target name (wire form) of NS, CNAME, DNAME, PTR, MX, SRV, SVCB/HTTPS records.
fn target(rtype: RType, rdata: &[u8]) -> Option<&[u8]> {
    let skip = match rtype {
        RType::NS | RType::CNAME | RType::DNAME | RType::PTR => 0,
        RType::MX | RType::SVCB | RType::HTTPS => 2,
        RType::SRV => 6,
        _ => return None,
    };
    let mut r = WireReader::new(rdata);
    r.take(skip)?;
    r.name()
}

fn show(wire: &[u8]) -> String {
    Name::from_wire(wire).map_or_else(|_| "?".into(), |n| n.to_string())
}

const DEPRECATED_ALGORITHMS: &[u8] = &[1, 3, 5, 6, 7, 12];

impl<'a> Checker<'a> {
    fn push(&mut self, severity: Severity, pos: Pos, code: &'static str, message: String) {
        let file = self
            .files
            .get(pos.file as usize)
            .cloned()
            .unwrap_or_default();
        self.out.push(Diagnostic {
            file,
            line: pos.line,
            column: 0,
            severity,
            code,
            message,
        });
    }

    fn apex_pos(&self) -> Pos {
        self.zone
            .node(&self.zone.origin)
            .first()
            .map_or(Pos::default(), |s| s.pos)
    }

    fn check_apex(&mut self) {
        let zone = self.zone;
        let apex = zone.node(&zone.origin);
        let pos = self.apex_pos();
        match zone.soa() {
            None => self.push(
                Severity::Error,
                pos,
                "soa-missing",
                format!("no SOA record at the zone apex {}", zone.origin),
            ),
            Some(soa) if soa.rdatas.len() > 1 => self.push(
                Severity::Error,
                soa.pos,
                "soa-multiple",
                format!(
                    "multiple SOA records ({}) at the apex; a zone has exactly one",
                    soa.rdatas.len()
                ),
            ),
            Some(soa) => self.check_soa_timers(soa),
        }
        if !has(apex, RType::NS) {
            self.push(
                Severity::Error,
                pos,
                "ns-apex-missing",
                format!("no NS records at the zone apex {}", zone.origin),
            );
        }
        if let Some(ds) = zone.get(&zone.origin, RType::DS) {
            self.push(Severity::Error, ds.pos, "ds-apex", format!("DS record at the zone apex ({}): DS belongs in the parent zone (RFC 4035 §2.4)", zone.origin));
        }
        if !self.options.skip_dnssec {
            self.check_cds(apex);
            self.check_dnskeys(apex);
        }
    }

    fn check_soa_timers(&mut self, soa: &RRset) {
        let rdata = &soa.rdatas[0];
        let n = rdata.len();
        let field = |i: usize| {
            u32::from_be_bytes(rdata[n - 20 + 4 * i..n - 16 + 4 * i].try_into().unwrap())
        };
        let (refresh, retry, expire, minimum) = (field(1), field(2), field(3), field(4));
        let mut advice = Vec::new();
        if !(1200..=43200).contains(&refresh) {
            advice.push(format!("refresh {refresh} is outside 1200..43200"));
        }
        if retry >= refresh {
            advice.push(format!("retry {retry} is not below refresh {refresh}"));
        }
        if !(1209600..=2419200).contains(&expire) {
            advice.push(format!("expire {expire} is outside 2 to 4 weeks"));
        }
        if expire <= refresh.saturating_add(retry) {
            advice.push(format!("expire {expire} is not above refresh + retry"));
        }
        if minimum > 86400 {
            advice.push(format!(
                "negative-caching TTL {minimum} is above one day (RFC 2308 §5)"
            ));
        }
        if !advice.is_empty() {
            self.push(
                Severity::Info,
                soa.pos,
                "soa-timers",
                format!(
                    "SOA timers outside RFC 1912 §2.2 advice: {}",
                    advice.join("; ")
                ),
            );
        }
    }

    fn check_dnskeys(&mut self, apex: &[RRset]) {
        let mut algorithms = HashSet::new();
        for set in apex
            .iter()
            .filter(|s| matches!(s.rtype, RType::DNSKEY | RType::CDNSKEY | RType::KEY))
        {
            for (ri, rdata) in set.rdatas.iter().enumerate() {
                if rdata.len() < 4 {
                    continue;
                }
                let (flags, protocol, algorithm) =
                    (u16::from_be_bytes([rdata[0], rdata[1]]), rdata[2], rdata[3]);
                if set.rtype == RType::CDNSKEY && algorithm == 0 {
                    continue; // the RFC 8078 delete form, checked with CDS
                }
                if set.rtype != RType::KEY
                    && let Some(problem) =
                        crate::dnssec::crypto::key_problem(algorithm, &rdata[4..])
                {
                    // A malformed key is broken data; a key validators
                    // refuse still loads everywhere.
                    let severity = match problem {
                        crate::dnssec::crypto::KeyProblem::Malformed(_) => Severity::Error,
                        _ => Severity::Warning,
                    };
                    self.push(
                        severity,
                        set.pos_of(ri),
                        problem.code(),
                        format!(
                            "{} {} (algorithm {algorithm}): {problem}",
                            set.rtype,
                            digest::key_tag(rdata)
                        ),
                    );
                }
                if set.rtype != RType::KEY && protocol != 3 {
                    self.push(
                        Severity::Error,
                        set.pos_of(ri),
                        "dnskey-invalid",
                        format!(
                            "invalid {}: protocol {protocol} (must be 3, RFC 4034 §2.1.2)",
                            set.rtype
                        ),
                    );
                }
                if set.rtype == RType::DNSKEY && flags & 0x0100 == 0 {
                    self.push(
                        Severity::Error,
                        set.pos_of(ri),
                        "dnskey-invalid",
                        format!(
                            "invalid DNSKEY: flags {flags} lack the Zone Key bit (RFC 4034 §2.1.1)"
                        ),
                    );
                }
                if set.rtype == RType::DNSKEY {
                    algorithms.insert(algorithm);
                }
                if DEPRECATED_ALGORITHMS.contains(&algorithm) {
                    let name = algorithm_name(algorithm).unwrap_or("?");
                    self.push(
                        Severity::Warning,
                        set.pos_of(ri),
                        "deprecated-algorithm",
                        format!(
                            "deprecated {} algorithm found: {algorithm} ({name}) (RFC 8624 §3.1)",
                            set.rtype
                        ),
                    );
                }
            }
        }
        if !algorithms.is_empty() && algorithms.iter().all(|a| DEPRECATED_ALGORITHMS.contains(a)) {
            let pos = apex
                .iter()
                .find(|s| s.rtype == RType::DNSKEY)
                .map_or(Pos::default(), |s| s.pos);
            self.push(
                Severity::Warning,
                pos,
                "deprecated-algorithm",
                "all DNSKEY algorithms found are deprecated: validators treat the zone as unsigned"
                    .into(),
            );
        }
    }

    /// CDS and CDNSKEY (RFC 7344 §4, RFC 8078 §4).
    fn check_cds(&mut self, apex: &[RRset]) {
        let origin = &self.zone.origin;
        let find = |t: RType| apex.iter().find(|s| s.rtype == t);
        let (cds, cdnskey, dnskey) = (find(RType::CDS), find(RType::CDNSKEY), find(RType::DNSKEY));
        if cds.is_none() && cdnskey.is_none() {
            return;
        }
        const CDS_DELETE: &[u8] = &[0, 0, 0, 0, 0];
        const CDNSKEY_DELETE: &[u8] = &[0, 0, 3, 0, 0];
        let mut delete = false;
        for (set, form) in [(cds, CDS_DELETE), (cdnskey, CDNSKEY_DELETE)] {
            let Some(set) = set else { continue };
            for (ri, rdata) in set.rdatas.iter().enumerate() {
                let algorithm = if set.rtype == RType::CDS {
                    rdata.get(2)
                } else {
                    rdata.get(3)
                };
                if algorithm == Some(&0) {
                    delete = true;
                    if &rdata[..] != form {
                        self.push(Severity::Error, set.pos_of(ri), "cds-delete-invalid", format!("invalid CDNSKEY/CDS for DNSSEC delete algorithm: the {} delete form is {} (RFC 8078 §4)", set.rtype, if set.rtype == RType::CDS { "0 0 0 00" } else { "0 3 0 AA==" }));
                    } else if set.rdatas.len() > 1 {
                        self.push(Severity::Error, set.pos_of(ri), "cds-delete-invalid", format!("the {} delete form must be the only record of its RRset (RFC 8078 §4)", set.rtype));
                    }
                }
            }
        }
        if delete {
            return;
        }
        let keys: Vec<&[u8]> = dnskey
            .map(|s| s.rdatas.iter().map(|r| &r[..]).collect())
            .unwrap_or_default();
        if let Some(set) = cdnskey {
            if cds.is_none() {
                self.push(Severity::Warning, set.pos, "cds-missing", "CDNSKEY without CDS: publish both so that every parent can use them (RFC 7344 §4)".into());
            }
            for (ri, rdata) in set.rdatas.iter().enumerate() {
                if !keys.contains(&&rdata[..]) {
                    self.push(Severity::Error, set.pos_of(ri), "cdnskey-no-dnskey", format!("CDS/CDNSKEY consistency checks failed: CDNSKEY (key tag {}) matches no DNSKEY at the apex", digest::key_tag(rdata)));
                }
            }
        }
        if let Some(set) = cds {
            if cdnskey.is_none() {
                self.push(Severity::Warning, set.pos, "cdnskey-missing", "CDS without CDNSKEY: publish both so that every parent can use them (RFC 7344 §4)".into());
            }
            for (ri, rdata) in set.rdatas.iter().enumerate() {
                let matches = |key: &&[u8]| digest::ds_matches(origin, key, rdata) == Some(true);
                if !keys.iter().any(matches) {
                    let tag = u16::from_be_bytes([rdata[0], rdata[1]]);
                    self.push(Severity::Error, set.pos_of(ri), "cds-no-dnskey", format!("CDS/CDNSKEY consistency checks failed: CDS (key tag {tag}) matches no DNSKEY at the apex"));
                }
                if let Some(cdnskeys) = cdnskey
                    && !cdnskeys
                        .rdatas
                        .iter()
                        .any(|k| digest::ds_matches(origin, k, rdata) == Some(true))
                {
                    self.push(Severity::Error, set.pos_of(ri), "cds-cdnskey-mismatch", format!("CDS not match CDNSKEY: CDS (key tag {}) has no CDNSKEY (RFC 7344 §4: both MUST match)", u16::from_be_bytes([rdata[0], rdata[1]])));
                }
                if rdata.get(3) == Some(&1) {
                    self.push(
                        Severity::Warning,
                        set.pos_of(ri),
                        "deprecated-digest",
                        "deprecated CDS digest type 1 (SHA-1) (RFC 8624 §3.3)".into(),
                    );
                }
            }
            if let Some(cdnskeys) = cdnskey {
                for key in &cdnskeys.rdatas {
                    if !set
                        .rdatas
                        .iter()
                        .any(|ds| digest::ds_matches(origin, key, ds) == Some(true))
                    {
                        self.push(Severity::Error, cdnskeys.pos, "cds-cdnskey-mismatch", format!("CDNSKEY without corresponding CDS (key tag {}) (RFC 7344 §4: both MUST match)", digest::key_tag(key)));
                    }
                }
            }
        }
    }

    /// Checks the nodes of `rrsets[range]` (a range starting at a node).
    fn walk(&mut self, range: std::ops::Range<usize>, ns_target: &[bool]) {
        let zone = self.zone;
        let rrsets = &zone.rrsets()[range.clone()];
        let Some(first) = rrsets.first() else {
            return;
        };
        let mut classifier = Classifier::starting_at(zone, &first.owner);
        let mut index = range.start;
        for (owner, node) in node_slices(rrsets) {
            let placement = classifier.classify(owner, node);
            let at = index;
            index += node.len();
            if let Some(dname) = placement.dname {
                // NSEC3 owners are hashes, not names below the DNAME (RFC 5155 §7.1).
                if placement.kind != Kind::Nsec3 {
                    for set in node {
                        self.push(Severity::Error, set.pos, "dname-children", format!("child record exists under DNAME: {owner}/{} lies below the DNAME at {dname} (RFC 6672 §2.3)", set.rtype));
                    }
                }
                continue;
            }
            match (placement.kind, placement.cut) {
                (Kind::NonAuthoritative, Some(cut)) => {
                    for set in node {
                        if matches!(set.rtype, RType::A | RType::AAAA) {
                            if !ns_target[at] {
                                self.push(Severity::Warning, set.pos, "glue-unneeded", format!("{owner}/{} below the delegation {cut} is glue that no NS record needs", set.rtype));
                            }
                        } else {
                            self.push(Severity::Warning, set.pos, "occluded", format!("{owner}/{} is occluded by the delegation at {cut}: it is not served", set.rtype));
                        }
                    }
                }
                (kind, _) => {
                    self.check_node(owner, node, kind == Kind::Apex);
                    if matches!(kind, Kind::Delegation { .. }) {
                        self.check_delegation_point(owner, node);
                    }
                }
            }
        }
    }

    /// Data at a delegation point other than NS, DS and DNSSEC records
    /// belongs to the child (RFC 4035 §2.2, RFC 6672 §2.3 for DNAME).
    fn check_delegation_point(&mut self, owner: &Name, node: &[RRset]) {
        for set in node {
            match set.rtype {
                RType::NS | RType::DS | RType::NSEC | RType::RRSIG => {}
                RType::A | RType::AAAA => {}
                other => self.push(Severity::Warning, set.pos, "occluded", format!("{owner}/{other} sits at the delegation point {owner} and is occluded by the zone cut")),
            }
        }
    }

    fn check_node(&mut self, owner: &Name, node: &[RRset], is_apex: bool) {
        for set in node {
            if let Some(max) = self.options.max_ttl
                && set.ttl > max
            {
                self.push(
                    Severity::Error,
                    set.pos,
                    "max-ttl",
                    format!(
                        "{owner}/{} TTL {} exceeds the maximum {max}",
                        set.rtype, set.ttl
                    ),
                );
            }
        }
        if let Some(cname) = node.iter().find(|s| s.rtype == RType::CNAME) {
            if cname.rdatas.len() > 1 {
                self.push(
                    Severity::Error,
                    cname.pos,
                    "cname-multiple",
                    format!("multiple CNAME records at {owner} (RFC 1034 §3.6.2)"),
                );
            }
            for other in rtypes(node).filter(|t| *t != RType::CNAME && !t.may_coexist_with_cname())
            {
                let pos = node
                    .iter()
                    .find(|s| s.rtype == other)
                    .unwrap()
                    .pos
                    .max(cname.pos);
                let code = if other == RType::DNAME {
                    "dname-cname"
                } else {
                    "cname-other-data"
                };
                self.push(Severity::Error, pos, code, format!("CNAME and other data at {owner}: another record exists beside CNAME ({other}) (RFC 1034 §3.6.2)"));
            }
        }
        if let Some(dname) = node.iter().find(|s| s.rtype == RType::DNAME) {
            if dname.rdatas.len() > 1 {
                self.push(
                    Severity::Error,
                    dname.pos,
                    "dname-multiple",
                    format!("multiple DNAME records at {owner} (RFC 6672 §2.4)"),
                );
            }
            if !is_apex && has(node, RType::NS) {
                self.push(Severity::Warning, dname.pos, "occluded", format!("DNAME at the delegation point {owner} is occluded by the zone cut (RFC 6672 §2.3)"));
            }
        }
        if owner.is_wildcard() && has(node, RType::NS) {
            let pos = node.iter().find(|s| s.rtype == RType::NS).unwrap().pos;
            self.push(
                Severity::Error,
                pos,
                "ns-wildcard",
                format!("NS record at the wildcard {owner} (RFC 4592 §4.2)"),
            );
        }
        if !is_apex {
            for set in node {
                match set.rtype {
                    RType::SOA => self.push(
                        Severity::Error,
                        set.pos,
                        "soa-not-apex",
                        format!(
                            "SOA record at {owner}, not at the zone apex {}",
                            self.zone.origin
                        ),
                    ),
                    RType::NSEC3PARAM => self.push(
                        Severity::Error,
                        set.pos,
                        "nsec3param-not-apex",
                        format!("NSEC3PARAM at {owner}, not at the zone apex (RFC 5155 §4)"),
                    ),
                    // RFC 7344 gives CDS/CDNSKEY a meaning at the apex only;
                    // nothing forbids the data elsewhere.
                    RType::CDS | RType::CDNSKEY => self.push(
                        Severity::Warning,
                        set.pos,
                        "cds-not-apex",
                        format!(
                            "{} at {owner}, not at the zone apex (RFC 7344 §3)",
                            set.rtype
                        ),
                    ),
                    RType::DS if !has(node, RType::NS) => self.push(
                        Severity::Error,
                        set.pos,
                        "ds-not-delegation",
                        format!(
                            "DS not at delegation point: {owner} has no NS records (RFC 4035 §2.4)"
                        ),
                    ),
                    _ => {}
                }
            }
        }
        for set in node {
            match set.rtype {
                RType::NS => self.check_ns(owner, set, is_apex),
                RType::MX | RType::SRV => self.check_target_not_cname(owner, set),
                RType::NSEC3PARAM if !self.options.skip_dnssec => {
                    for (ri, rdata) in set.rdatas.iter().enumerate() {
                        let iterations = u16::from_be_bytes([rdata[2], rdata[3]]);
                        if let Some((severity, message)) =
                            crate::dnssec::nsec3::iterations_advice(iterations)
                        {
                            self.push(severity, set.pos_of(ri), "nsec3-iterations", message);
                        }
                        if rdata.get(1).is_some_and(|f| *f != 0) {
                            self.push(
                                Severity::Error,
                                set.pos_of(ri),
                                "nsec3param-flags",
                                format!(
                                    "invalid flags in NSEC3PARAM: {} (must be 0, RFC 5155 §4.1.2)",
                                    rdata[1]
                                ),
                            );
                        }
                    }
                }
                RType::DS => {
                    for (ri, rdata) in set.rdatas.iter().enumerate() {
                        if rdata.get(3) == Some(&1) {
                            self.push(
                                Severity::Warning,
                                set.pos_of(ri),
                                "deprecated-digest",
                                format!(
                                    "{owner}/DS deprecated digest type 1 (SHA-1) (RFC 8624 §3.3)"
                                ),
                            );
                        }
                        if let Some(&alg) = rdata.get(2)
                            && DEPRECATED_ALGORITHMS.contains(&alg)
                        {
                            self.push(
                                Severity::Warning,
                                set.pos_of(ri),
                                "deprecated-algorithm",
                                format!(
                                    "{owner}/DS deprecated algorithm {alg} ({}) (RFC 8624 §3.1)",
                                    algorithm_name(alg).unwrap_or("?")
                                ),
                            );
                        }
                    }
                }
                RType::SVCB | RType::HTTPS => self.check_svcb(owner, set),
                RType::NSEC3 => self.check_nsec3_shape(owner, set),
                RType::SPF => {
                    let txt_spf = node.iter().any(|s| {
                        s.rtype == RType::TXT
                            && s.rdatas
                                .iter()
                                .any(|r| r.len() > 7 && r[1..].starts_with(b"v=spf1"))
                    });
                    if !txt_spf {
                        self.push(Severity::Warning, set.pos, "spf-type", format!("'{owner}' found type SPF (record type 99) without a TXT SPF record: RFC 7208 §3.1 says to publish SPF as TXT"));
                    }
                }
                _ => {}
            }
        }
        if self.options.check_names != CheckNames::Ignore {
            self.check_host_names(owner, node);
        }
    }

    /// Targets of NS, MX and SRV must not be CNAMEs (RFC 2181 §10.3); MX and
    /// SRV targets in the zone should have addresses (RFC 2782, RFC 5321 §5.1).
    /// Each target of `set` inside the zone, with its node; a target that is
    /// a CNAME is reported (RFC 2181 §10.3) and left out.
    fn in_zone_targets<'z>(
        &mut self,
        owner: &Name,
        set: &'z RRset,
    ) -> Vec<(Pos, &'z [u8], &'a [RRset])> {
        let mut out = Vec::new();
        for (ri, rdata) in set.rdatas.iter().enumerate() {
            let Some(t) = target(set.rtype, rdata) else {
                continue;
            };
            if !is_subdomain_wire(t, self.zone.origin.as_wire()) {
                continue;
            }
            let node = self.zone.node_wire(t);
            if has(node, RType::CNAME) {
                self.push(
                    Severity::Error,
                    set.pos_of(ri),
                    "target-cname",
                    format!(
                        "{owner}/{} target {} is a CNAME (illegal, RFC 2181 §10.3)",
                        set.rtype,
                        show(t)
                    ),
                );
                continue;
            }
            out.push((set.pos_of(ri), t, node));
        }
        out
    }

    fn check_target_not_cname(&mut self, owner: &Name, set: &RRset) {
        for (pos, t, node) in self.in_zone_targets(owner, set) {
            let wants_address = matches!(set.rtype, RType::MX | RType::SRV);
            if wants_address
                && !has(node, RType::A)
                && !has(node, RType::AAAA)
                && self.enclosing_delegation(t).is_none()
                && self.enclosing_dname(t).is_none()
                && !self.has_address(t)
            {
                self.push(
                    Severity::Warning,
                    pos,
                    "target-no-address",
                    format!(
                        "{owner}/{} '{}' has no address records (A or AAAA)",
                        set.rtype,
                        show(t)
                    ),
                );
            }
        }
    }

    /// The delegation point (other than the apex) that `name` is at or below, if any.
    fn enclosing_delegation<'n>(&self, name: &'n [u8]) -> Option<&'n [u8]> {
        let origin = self.zone.origin.as_wire();
        std::iter::once(name)
            .chain(wire_ancestors(name))
            .take_while(|n| n.len() > origin.len())
            .filter(|n| self.zone.get_wire(n, RType::NS).is_some())
            .last()
    }

    /// An authoritative DNAME strictly above `name`, if any.
    fn enclosing_dname<'n>(&self, name: &'n [u8]) -> Option<&'n [u8]> {
        if !self.has_dname {
            return None;
        }
        let origin = self.zone.origin.as_wire();
        wire_ancestors(name)
            .take_while(|n| n.len() >= origin.len())
            .find(|n| {
                self.zone.get_wire(n, RType::DNAME).is_some()
                    && (n.len() == origin.len() || self.zone.get_wire(n, RType::NS).is_none())
            })
    }

    fn has_address(&self, name: &[u8]) -> bool {
        let node = self.zone.node_wire(name);
        if !node.is_empty() {
            return has(node, RType::A) || has(node, RType::AAAA);
        }
        // No such node: a wildcard at the closest encloser may synthesise one (RFC 4592 §3.3.1).
        let origin = self.zone.origin.as_wire();
        for ancestor in wire_ancestors(name).take_while(|n| n.len() >= origin.len()) {
            let Ok(n) = Name::from_wire(ancestor) else {
                return false;
            };
            if self.zone.name_exists(&n) {
                let Ok(wildcard) = n.prepend_label(b"*") else {
                    return false;
                };
                let node = self.zone.node(&wildcard);
                return has(node, RType::A) || has(node, RType::AAAA);
            }
        }
        false
    }

    fn check_ns(&mut self, owner: &Name, set: &RRset, is_apex: bool) {
        // One lookup of each target serves every question about it.
        for (pos, t, node) in self.in_zone_targets(owner, set) {
            if let Some(dname) = self.enclosing_dname(t) {
                let severity = if is_apex {
                    Severity::Error
                } else {
                    Severity::Warning
                };
                self.push(severity, pos, "ns-below-dname", format!("{owner}/NS '{}' is below a DNAME '{}' and cannot be resolved (RFC 6672 §2.3)", show(t), show(dname)));
                continue;
            }
            // A target at or below another delegation is the other zone's business.
            let origin_len = self.zone.origin.wire_len();
            let above = wire_ancestors(t)
                .take_while(|n| n.len() > origin_len)
                .filter(|n| self.zone.get_wire(n, RType::NS).is_some())
                .last();
            let delegation =
                above.or_else(|| (has(node, RType::NS) && t.len() > origin_len).then_some(t));
            let needs_glue = match delegation {
                None => true,
                Some(d) => !is_apex && d.eq_ignore_ascii_case(owner.as_wire()),
            };
            let has_address = if node.is_empty() {
                self.has_address(t)
            } else {
                has(node, RType::A) || has(node, RType::AAAA)
            };
            if needs_glue && !has_address {
                let what = if is_apex {
                    "in-zone name server"
                } else {
                    "name server of this delegation"
                };
                self.push(Severity::Error, pos, "glue-missing", format!("missing glue record: {owner}/NS '{}' is an {what} with no A or AAAA record", show(t)));
            }
        }
    }

    /// An NSEC3 owner's first label is the unpadded Base32hex hash, and a
    /// SHA-1 hash is 20 octets (RFC 5155 §3.1.7, §3.3).
    fn check_nsec3_shape(&mut self, owner: &Name, set: &RRset) {
        let label = owner.labels().next().unwrap_or_default();
        let mut hash = Vec::new();
        let owner_ok =
            super::encoding::base32hex_decode(label, &mut hash).is_ok() && !hash.is_empty();
        if !owner_ok {
            self.push(Severity::Error, set.pos, "nsec3-owner", format!("bad NSEC3 owner name {owner}: the first label is not an unpadded Base32hex hash (RFC 5155 §3.3)"));
        }
        for (ri, rdata) in set.rdatas.iter().enumerate() {
            let mut r = WireReader::new(rdata);
            let (Some(algorithm), Some(_), Some(_), Some(salt_len)) =
                (r.u8(), r.u8(), r.u16(), r.u8())
            else {
                continue;
            };
            let (Some(_), Some(hash_len)) = (r.take(salt_len as usize), r.u8()) else {
                continue;
            };
            if algorithm == 1 && (hash_len != 20 || (owner_ok && hash.len() != 20)) {
                self.push(Severity::Error, set.pos_of(ri), "nsec3-hash-length", format!("NSEC3 at {owner}: a SHA-1 hash is 20 octets, found {hash_len} (out of range, RFC 5155 §3.1.7)"));
            }
        }
    }

    /// RFC 9460 §2.4.2 (AliasMode) and RFC 9461 §5 (SVCB for DNS servers).
    fn check_svcb(&mut self, owner: &Name, set: &RRset) {
        for (ri, rdata) in set.rdatas.iter().enumerate() {
            let Some(params) = svcb::params(rdata) else {
                continue;
            };
            let priority = u16::from_be_bytes([rdata[0], rdata[1]]);
            if priority == 0 && !params.is_empty() {
                self.push(Severity::Error, set.pos_of(ri), "svcb-invalid", format!("{} record not valid: {owner} is in AliasMode (priority 0) and must carry no SvcParams (RFC 9460 §2.4.2)", set.rtype));
                continue;
            }
            let labels: Vec<&[u8]> = owner.labels().collect();
            let is_dns = labels
                .first()
                .is_some_and(|l| l.eq_ignore_ascii_case(b"_dns"))
                || (labels.len() > 1
                    && labels[1].eq_ignore_ascii_case(b"_dns")
                    && labels[0].starts_with(b"_"));
            if set.rtype != RType::SVCB || !is_dns || priority == 0 {
                continue;
            }
            let alpn = params
                .iter()
                .find(|(k, _)| *k == svcb::ALPN)
                .and_then(|(_, v)| svcb::alpn_ids(v));
            let Some(alpn) = alpn else {
                self.push(Severity::Error, set.pos_of(ri), "svcb-invalid", format!("SVCB record not valid: {owner} is a DNS server record (RFC 9461 §4) and needs an alpn parameter"));
                continue;
            };
            let http = alpn.iter().any(|id| {
                id.split(|&c| c == b',')
                    .any(|part| matches!(part, b"h2" | b"h3" | b"http/1.1"))
            });
            if http && !params.iter().any(|(k, _)| *k == svcb::DOHPATH) {
                self.push(Severity::Error, set.pos_of(ri), "svcb-invalid", format!("SVCB record not valid: {owner} offers DNS over HTTPS (alpn h2/h3/http/1.1) without dohpath (RFC 9461 §5)"));
            }
        }
    }

    /// Host names must be letters, digits and inner hyphens (RFC 952,
    /// RFC 1123 §2.1); BIND's check-names exceptions are kept.
    fn check_host_names(&mut self, owner: &Name, node: &[RRset]) {
        let severity = if self.options.check_names == CheckNames::Fail {
            Severity::Error
        } else {
            Severity::Warning
        };
        let reverse = self.reverse_zone;
        let mut owner_checked = false;
        for set in node {
            let owner_must_be_host = matches!(set.rtype, RType::A | RType::AAAA | RType::MX);
            if owner_must_be_host && !owner_checked {
                owner_checked = true;
                if !is_host_name_below(owner, &self.zone.origin, true)
                    && !host_name_exception(owner)
                {
                    self.push(
                        severity,
                        set.pos,
                        "check-names",
                        format!(
                            "{owner}/{}: bad owner name (check-names): not a host name",
                            set.rtype
                        ),
                    );
                }
            }
            let target_must_be_host = match set.rtype {
                RType::NS | RType::MX | RType::SRV | RType::SVCB | RType::HTTPS => true,
                RType::PTR => reverse && !dns_sd_browse(owner),
                _ => false,
            };
            if target_must_be_host {
                for (ri, rdata) in set.rdatas.iter().enumerate() {
                    if let Some(t) = target(set.rtype, rdata)
                        && t.len() > 1
                        && !is_host_wire(t, &self.zone.origin)
                    {
                        self.push(
                            severity,
                            set.pos_of(ri),
                            "check-names",
                            format!(
                                "{owner}/{}: '{}': bad name (check-names): not a host name",
                                set.rtype,
                                show(t)
                            ),
                        );
                    }
                }
            }
        }
    }

    /// RFC 8901-era zones serve both families; a zone with A records that no
    /// name server can be reached over IPv4 (and likewise for AAAA) is odd.
    fn check_address_families(&mut self) {
        let zone = self.zone;
        let Some(ns) = zone.get(&zone.origin, RType::NS) else {
            return;
        };
        let targets: Vec<Name> = ns.rdatas.iter().filter_map(|r| first_name(r, 0)).collect();
        if targets.is_empty() || targets.iter().any(|t| !t.is_subdomain_of(&zone.origin)) {
            return; // out-of-zone servers: their addresses are not known here
        }
        let has_type = |t: RType| zone.rrsets().iter().any(|s| s.rtype == t);
        let served = |t: RType| targets.iter().any(|n| zone.get(n, t).is_some());
        let pos = ns.pos;
        if has_type(RType::A) && !served(RType::A) {
            self.push(
                Severity::Info,
                pos,
                "no-ipv4-servers",
                "zone has A records but is not served by IPv4 servers".into(),
            );
        }
        if has_type(RType::AAAA) && !served(RType::AAAA) {
            self.push(
                Severity::Info,
                pos,
                "no-ipv6-servers",
                "zone has AAAA records but is not served by IPv6 servers".into(),
            );
        }
    }
}

fn is_host_label(label: &[u8]) -> bool {
    !label.is_empty()
        && label
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && label[0] != b'-'
        && label[label.len() - 1] != b'-'
}

/// Host-name syntax of a target; for one in the zone only the labels below the origin.
fn is_host_wire(wire: &[u8], origin: &Name) -> bool {
    let mut end = wire.len() - 1;
    if is_subdomain_wire(wire, origin.as_wire()) {
        end = wire.len() - origin.wire_len();
    }
    let mut pos = 0;
    while pos < end {
        let len = wire[pos] as usize;
        if !is_host_label(&wire[pos + 1..pos + 1 + len]) {
            return false;
        }
        pos += len + 1;
    }
    true
}

/// Host-name syntax of the labels of `name` below `origin` (the zone's own
/// labels are the same in every name and checked once, by the operator's choice of zone).
fn is_host_name_below(name: &Name, origin: &Name, allow_wildcard: bool) -> bool {
    let below = name.label_count().saturating_sub(origin.label_count());
    name.labels()
        .take(below)
        .enumerate()
        .all(|(i, label)| (i == 0 && allow_wildcard && label == b"*") || is_host_label(label))
}

/// Names below `_spf`, `_spf_rate` or `_spf_verify` (SPF macro expansions,
/// RFC 7208 §7) and `gc._msdcs` (Active Directory) take A records.
fn host_name_exception(owner: &Name) -> bool {
    let labels: Vec<&[u8]> = owner.labels().collect();
    let special = |l: &[u8]| {
        matches!(
            l.to_ascii_lowercase().as_slice(),
            b"_spf" | b"_spf_rate" | b"_spf_verify" | b"_msdcs"
        )
    };
    let spf = labels
        .iter()
        .any(|l| special(l) && !l.eq_ignore_ascii_case(b"_msdcs"));
    let msdcs = labels.len() >= 2
        && labels[0].eq_ignore_ascii_case(b"gc")
        && labels[1].eq_ignore_ascii_case(b"_msdcs");
    (spf || msdcs)
        && labels
            .iter()
            .all(|l| is_host_label(l) || special(l) || *l == b"*")
}

/// DNS-SD browse domains in reverse zones (RFC 6763 §11) hold PTRs to any name.
fn dns_sd_browse(owner: &Name) -> bool {
    let labels: Vec<Vec<u8>> = owner.labels().map(|l| l.to_ascii_lowercase()).collect();
    labels.len() >= 3
        && matches!(labels[0].as_slice(), b"b" | b"db" | b"r" | b"dr" | b"lb")
        && labels[1] == b"_dns-sd"
        && labels[2] == b"_udp"
}

#[cfg(test)]
mod code_tests {
    use super::FINDING_CODES;

    /// The code literals of the modules that report findings: a string of
    /// lowercase words and dashes given as a code (`code: "x"`, the third
    /// argument of a push, or alone on its line in a call).
    fn codes_in(source: &str) -> Vec<String> {
        let mut found = Vec::new();
        for line in source.lines() {
            let trimmed = line.trim();
            let candidates: Vec<&str> = trimmed.split('"').skip(1).step_by(2).collect();
            let is_code = |c: &&str| {
                c.starts_with(|ch: char| ch.is_ascii_lowercase())
                    && c.contains('-')
                    && c.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            };
            let context = trimmed.contains("code: \"")
                || trimmed.contains("push(")
                || trimmed.contains("problem(")
                || trimmed.contains("diag(")
                || (trimmed.starts_with('"') && trimmed.ends_with("\","));
            if context {
                found.extend(candidates.into_iter().filter(is_code).map(String::from));
            }
        }
        found
    }

    #[test]
    fn every_reported_code_is_listed() {
        let sources = [
            include_str!("check.rs"),
            include_str!("../check.rs"),
            include_str!("reader.rs"),
            include_str!("../dnssec/verify.rs"),
            include_str!("loader.rs"),
        ];
        let found: Vec<String> = sources.iter().flat_map(|s| codes_in(s)).collect();
        for code in &found {
            assert!(
                FINDING_CODES.contains(&code.as_str()),
                "{code} is reported but not in FINDING_CODES"
            );
        }
        assert!(found.iter().any(|c| c == "target-cname"));
    }
}
