//! Zones compared RRset by RRset, and the patch: a change list in zone
//! file syntax that turns one zone into the other.
//!
//! Two zones are compared by walking both in canonical order at once, so a
//! pair of million-record zones compares in one pass and no memory beyond
//! the zones themselves. Owner names compare without case, rdata in its
//! canonical form (RFC 4034 §6.2), records of an RRset as a set: the order
//! and formatting of the files do not matter.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use thiserror::Error;

use crate::dnssec::canonical::canonical_rdata;
use crate::zone::reader::{self, ReadOptions};
use crate::zone::writer::format_record;
use crate::zone::{Diagnostic, Name, RRset, RType, Record, Severity, Zone, rrset_order};

#[derive(Debug, Error)]
pub enum DiffError {
    #[error("{0}")]
    Patch(Diagnostic),
    #[error("the patch does not apply to {zone}: {reason}")]
    DoesNotApply { zone: Name, reason: String },
}

/// What a comparison looks at.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiffOptions {
    /// Compare the DNSSEC records too (signatures, chains, keys).
    pub dnssec: bool,
    /// Count a change of the SOA serial alone as a change.
    pub serial: bool,
}

/// Types that signing makes or manages: left out of a comparison unless
/// asked for, since re-signing changes them without anyone editing the
/// zone. TYPE65534 is BIND's signing-state record.
pub fn is_dnssec_type(rtype: RType) -> bool {
    matches!(rtype.0, 46 | 47 | 50 | 51 | 48 | 59 | 60 | 63 | 65534)
}

/// One RRset as it is on one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetState {
    pub ttl: u32,
    /// Wire rdata, sorted and without duplicates.
    pub rdatas: Vec<Box<[u8]>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Removed,
    /// Records added or removed (and maybe the TTL changed too).
    Changed,
    /// The same records with another TTL.
    Ttl,
}

impl ChangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "added",
            ChangeKind::Removed => "removed",
            ChangeKind::Changed => "changed",
            ChangeKind::Ttl => "ttl",
        }
    }
}

/// An RRset that differs between the two sides.
#[derive(Debug, Clone)]
pub struct Change {
    pub owner: Name,
    pub rtype: RType,
    pub class: u16,
    pub old: Option<SetState>,
    pub new: Option<SetState>,
}

impl Change {
    pub fn kind(&self) -> ChangeKind {
        match (&self.old, &self.new) {
            (None, _) => ChangeKind::Added,
            (_, None) => ChangeKind::Removed,
            (Some(old), Some(new)) if same_records(self.rtype, &old.rdatas, &new.rdatas, true) => {
                ChangeKind::Ttl
            }
            _ => ChangeKind::Changed,
        }
    }

    /// Records of the old side that the new one lacks.
    pub fn removed(&self) -> Vec<&[u8]> {
        only_in(self.rtype, self.old.as_ref(), self.new.as_ref())
    }

    /// Records of the new side that the old one lacks.
    pub fn added(&self) -> Vec<&[u8]> {
        only_in(self.rtype, self.new.as_ref(), self.old.as_ref())
    }

    /// The records of one side as zone file lines.
    pub fn lines(&self, new_side: bool) -> Vec<String> {
        let side = if new_side { &self.new } else { &self.old };
        side.iter()
            .flat_map(|s| s.rdatas.iter().map(move |r| (s.ttl, r)))
            .map(|(ttl, rdata)| {
                let mut line = String::new();
                format_record(
                    self.owner.as_wire(),
                    ttl,
                    self.class,
                    self.rtype,
                    rdata,
                    &mut line,
                );
                line
            })
            .collect()
    }

    /// The change as patch lines: a TTL change rewrites the whole set
    /// (every record goes with the new TTL), any other change only the
    /// records that differ.
    pub fn patch_lines(&self, out: &mut String) {
        let ttl_changed = matches!((&self.old, &self.new), (Some(o), Some(n)) if o.ttl != n.ttl);
        let (removed, added): (Vec<&[u8]>, Vec<&[u8]>) = if ttl_changed {
            (
                self.old
                    .iter()
                    .flat_map(|s| s.rdatas.iter().map(|r| &**r))
                    .collect(),
                self.new
                    .iter()
                    .flat_map(|s| s.rdatas.iter().map(|r| &**r))
                    .collect(),
            )
        } else {
            (self.removed(), self.added())
        };
        for (sign, side, rdatas) in [('-', &self.old, removed), ('+', &self.new, added)] {
            let ttl = side.as_ref().map_or(0, |s| s.ttl);
            for rdata in rdatas {
                out.push(sign);
                format_record(
                    self.owner.as_wire(),
                    ttl,
                    self.class,
                    self.rtype,
                    rdata,
                    out,
                );
                out.push('\n');
            }
        }
    }
}

/// The SOA rdata with its serial zeroed, for comparisons that ignore it.
fn without_serial(rdata: &[u8]) -> Vec<u8> {
    let mut out = rdata.to_vec();
    if let Some(at) = crate::xfr::soa_serial_at(rdata) {
        out[at..at + 4].fill(0);
    }
    out
}

fn same_records(rtype: RType, a: &[Box<[u8]>], b: &[Box<[u8]>], serial: bool) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            if rtype == RType::SOA && !serial {
                without_serial(&canonical_rdata(rtype, x))
                    == without_serial(&canonical_rdata(rtype, y))
            } else {
                canonical_rdata(rtype, x) == canonical_rdata(rtype, y)
            }
        })
}

fn only_in<'a>(
    rtype: RType,
    side: Option<&'a SetState>,
    other: Option<&SetState>,
) -> Vec<&'a [u8]> {
    let Some(side) = side else { return Vec::new() };
    let others: Vec<_> = other
        .map(|o| o.rdatas.iter().map(|r| canonical_rdata(rtype, r)).collect())
        .unwrap_or_default();
    side.rdatas
        .iter()
        .filter(|r| !others.contains(&canonical_rdata(rtype, r)))
        .map(|r| &**r)
        .collect()
}

fn state(set: &RRset) -> SetState {
    SetState {
        ttl: set.ttl,
        rdatas: set.rdatas.clone(),
    }
}

/// The RRsets that differ between `old` and `new`, in canonical order.
pub fn diff_zones(old: &Zone, new: &Zone, options: &DiffOptions) -> Vec<Change> {
    let keep = |s: &&RRset| options.dnssec || !is_dnssec_type(s.rtype);
    let mut a = old.rrsets().iter().filter(keep).peekable();
    let mut b = new.rrsets().iter().filter(keep).peekable();
    let mut changes = Vec::new();
    let change = |owner: &RRset, old: Option<SetState>, new: Option<SetState>| Change {
        owner: owner.owner.clone(),
        rtype: owner.rtype,
        class: owner.class,
        old,
        new,
    };
    loop {
        match (a.peek(), b.peek()) {
            (None, None) => break,
            (Some(x), None) => {
                changes.push(change(x, Some(state(x)), None));
                a.next();
            }
            (None, Some(y)) => {
                changes.push(change(y, None, Some(state(y))));
                b.next();
            }
            (Some(x), Some(y)) => match rrset_order(x, y) {
                Ordering::Less => {
                    changes.push(change(x, Some(state(x)), None));
                    a.next();
                }
                Ordering::Greater => {
                    changes.push(change(y, None, Some(state(y))));
                    b.next();
                }
                Ordering::Equal => {
                    // Most RRsets are the same on both sides: compared in
                    // place, copied only when they differ.
                    let same = x.ttl == y.ttl
                        && same_records(x.rtype, &x.rdatas, &y.rdatas, options.serial);
                    if !same {
                        // The new side's spelling of the owner is shown.
                        changes.push(change(y, Some(state(x)), Some(state(y))));
                    }
                    a.next();
                    b.next();
                }
            },
        }
    }
    changes
}

/// Counts of changed RRsets by kind.
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Summary {
    pub added: usize,
    pub removed: usize,
    pub changed: usize,
    pub ttl: usize,
}

impl Summary {
    pub fn of(changes: &[Change]) -> Summary {
        let mut s = Summary::default();
        for c in changes {
            match c.kind() {
                ChangeKind::Added => s.added += 1,
                ChangeKind::Removed => s.removed += 1,
                ChangeKind::Changed => s.changed += 1,
                ChangeKind::Ttl => s.ttl += 1,
            }
        }
        s
    }

    pub fn total(&self) -> usize {
        self.added + self.removed + self.changed + self.ttl
    }
}

/// Writes the changes of one zone as a patch block: `$ORIGIN` and then
/// `-` and `+` record lines.
pub fn write_patch(origin: &Name, changes: &[Change], out: &mut String) {
    let _ = writeln!(out, "$ORIGIN {origin}");
    for change in changes {
        change.patch_lines(out);
    }
}

/// A patch: per zone, records to remove and records to add.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub zones: BTreeMap<Name, ZonePatch>,
}

#[derive(Debug, Clone, Default)]
pub struct ZonePatch {
    pub remove: Vec<Record>,
    pub add: Vec<Record>,
}

impl Patch {
    /// Reads a patch. Every line is a comment, `$ORIGIN NAME` (which
    /// starts the block of that zone), `$TTL`, or a record in zone file
    /// syntax after `-` (remove it) or `+` (add it). Errors name the line
    /// and column in `file`.
    pub fn parse(file: &str, text: &str) -> Result<Patch, DiffError> {
        // Each sign's records are read as one zone text in which the other
        // sign's lines are blank: line numbers stay those of the patch, and
        // `$ORIGIN` lines stay in both so relative names resolve per block.
        let (mut minus, mut plus) = (String::new(), String::new());
        let mut blocks: Vec<(u32, Name)> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let number = i as u32 + 1;
            let trimmed = line.trim_start();
            let (to_minus, to_plus) = if let Some(rest) = line.strip_prefix('-') {
                (rest.to_string(), String::new())
            } else if let Some(rest) = line.strip_prefix('+') {
                (String::new(), rest.to_string())
            } else if trimmed.is_empty() || trimmed.starts_with(';') {
                (String::new(), String::new())
            } else if let Some(rest) = strip_directive(line, "$ORIGIN") {
                let name = rest.split(';').next().unwrap_or("").trim();
                let origin = Name::parse(name.as_bytes(), None)
                    .ok()
                    .filter(|_| name.ends_with('.'))
                    .ok_or_else(|| {
                        patch_error(
                            file,
                            number,
                            9,
                            format!("$ORIGIN needs an absolute name, not \"{name}\""),
                        )
                    })?;
                blocks.push((number, origin));
                (line.to_string(), line.to_string())
            } else if strip_directive(line, "$TTL").is_some() {
                (line.to_string(), line.to_string())
            } else {
                return Err(patch_error(
                    file,
                    number,
                    1,
                    "a patch line starts with - (remove), + (add), $ORIGIN, or ; (comment)".into(),
                ));
            };
            minus.push_str(&to_minus);
            minus.push('\n');
            plus.push_str(&to_plus);
            plus.push('\n');
        }
        let mut patch = Patch::default();
        let text_of_patch = text;
        for (text, adding) in [(minus, false), (plus, true)] {
            let outcome = reader::read_bytes(
                file,
                text.as_bytes(),
                ReadOptions {
                    origin: Some(Name::root()),
                    ..Default::default()
                },
            );
            if let Some(mut d) = outcome
                .diagnostics
                .into_iter()
                .find(|d| d.severity == Severity::Error)
            {
                // The sign was cut off: columns count from after it.
                let signed = text_line(text_of_patch, d.line).starts_with(['-', '+']);
                if signed && d.column > 0 {
                    d.column += 1;
                }
                d.file = file.to_string();
                return Err(DiffError::Patch(d));
            }
            for record in outcome.records {
                let Some((_, origin)) = blocks.iter().rev().find(|(l, _)| *l < record.pos.line)
                else {
                    return Err(patch_error(
                        file,
                        record.pos.line,
                        1,
                        "a record before the first $ORIGIN: the patch does not say which zone it is for"
                            .into(),
                    ));
                };
                if !record.owner.is_subdomain_of(origin) {
                    return Err(patch_error(
                        file,
                        record.pos.line,
                        2,
                        format!("{} is not in zone {origin}", record.owner),
                    ));
                }
                let zone = patch.zones.entry(origin.clone()).or_default();
                if adding {
                    zone.add.push(record);
                } else {
                    zone.remove.push(record);
                }
            }
        }
        for (_, origin) in blocks {
            patch.zones.entry(origin).or_default();
        }
        Ok(patch)
    }
}

fn text_line(text: &str, line: u32) -> &str {
    text.lines()
        .nth(line.saturating_sub(1) as usize)
        .unwrap_or("")
}

/// The rest of `line` after a `$` directive (matched without case), if it
/// is that directive.
fn strip_directive<'a>(line: &'a str, directive: &str) -> Option<&'a str> {
    let head = line.get(..directive.len())?;
    let rest = &line[directive.len()..];
    (head.eq_ignore_ascii_case(directive) && rest.starts_with([' ', '\t'])).then_some(rest)
}

fn patch_error(file: &str, line: u32, column: u32, message: String) -> DiffError {
    DiffError::Patch(Diagnostic::error(
        file.to_string(),
        line,
        column,
        "patch-syntax",
        message,
    ))
}

/// A record's identity in a zone: owner without case, type, canonical
/// rdata (the TTL is the RRset's, not the record's).
pub type RecordKey = (Vec<u8>, u16, Vec<u8>);

pub fn record_key(owner: &Name, rtype: RType, rdata: &[u8]) -> RecordKey {
    (
        owner.to_lowercase().as_wire().to_vec(),
        rtype.0,
        canonical_rdata(rtype, rdata).into_owned(),
    )
}

/// Applies one zone's patch: every removed record must be there and every
/// added one must not be (after the removals), so that a patch made
/// against another state of the zone is refused rather than half applied.
/// An added record sets its RRset's TTL.
pub fn apply_patch(zone: &Zone, patch: &ZonePatch) -> Result<Zone, DiffError> {
    let does_not_apply = |reason: String| DiffError::DoesNotApply {
        zone: zone.origin.clone(),
        reason,
    };
    let key = record_key;
    let mut records: BTreeMap<RecordKey, Record> = BTreeMap::new();
    for set in zone.rrsets() {
        for rdata in &set.rdatas {
            records.insert(
                key(&set.owner, set.rtype, rdata),
                Record {
                    owner: set.owner.clone(),
                    rtype: set.rtype,
                    class: set.class,
                    ttl: set.ttl,
                    rdata: rdata.clone(),
                    pos: set.pos,
                },
            );
        }
    }
    let describe = |r: &Record| {
        let mut line = String::new();
        format_record(
            r.owner.as_wire(),
            r.ttl,
            r.class,
            r.rtype,
            &r.rdata,
            &mut line,
        );
        line
    };
    for r in &patch.remove {
        if records.remove(&key(&r.owner, r.rtype, &r.rdata)).is_none() {
            return Err(does_not_apply(format!(
                "{} is not in the zone",
                describe(r)
            )));
        }
    }
    // TTLs of added records, by RRset, applied to the whole set.
    let mut ttls: BTreeMap<(Vec<u8>, u16), u32> = BTreeMap::new();
    for r in &patch.add {
        let k = key(&r.owner, r.rtype, &r.rdata);
        ttls.insert((k.0.clone(), k.1), r.ttl);
        if records.insert(k, r.clone()).is_some() {
            return Err(does_not_apply(format!(
                "{} is already in the zone",
                describe(r)
            )));
        }
    }
    let mut out: Vec<Record> = records.into_values().collect();
    for r in &mut out {
        if let Some(&ttl) = ttls.get(&(r.owner.to_lowercase().as_wire().to_vec(), r.rtype.0)) {
            r.ttl = ttl;
        }
    }
    Ok(Zone::from_records(zone.origin.clone(), zone.class, out).0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn zone(text: &str) -> Zone {
        let outcome = reader::read_bytes(
            "t",
            text.as_bytes(),
            ReadOptions {
                origin: Some(Name::parse(b"example.", None).unwrap()),
                ..Default::default()
            },
        );
        assert_eq!(outcome.error_count(), 0, "{:?}", outcome.diagnostics);
        Zone::from_records(outcome.origin.unwrap(), 1, outcome.records).0
    }

    const BASE: &str = "$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\nwww A 192.0.2.3\n";

    #[test]
    fn rrsets_compare_as_sets_without_case_or_order_and_the_serial_is_ignored() {
        let a = zone(BASE);
        let b = zone(
            "$TTL 300\n@ SOA ns hm 9 2 3 4 5\nWWW A 192.0.2.3\nwww A 192.0.2.2\nns A 192.0.2.1\n@ NS NS\n",
        );
        assert!(diff_zones(&a, &b, &DiffOptions::default()).is_empty());
        let with_serial = diff_zones(
            &a,
            &b,
            &DiffOptions {
                serial: true,
                dnssec: false,
            },
        );
        assert_eq!(with_serial.len(), 1);
        assert_eq!(with_serial[0].rtype, RType::SOA);
    }

    #[test]
    fn kinds_added_removed_changed_and_ttl_only() {
        let a = zone(BASE);
        let b = zone(
            "$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns 600 A 192.0.2.1\nwww A 192.0.2.2\nmail A 192.0.2.9\n",
        );
        let kinds: Vec<_> = diff_zones(&a, &b, &DiffOptions::default())
            .iter()
            .map(|c| (c.owner.to_string(), c.kind()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("mail.example.".to_string(), ChangeKind::Added),
                ("ns.example.".to_string(), ChangeKind::Ttl),
                ("www.example.".to_string(), ChangeKind::Changed),
            ]
        );
    }

    #[test]
    fn dnssec_records_are_left_out_unless_asked_for() {
        let a = zone(BASE);
        let b = zone(&format!("{BASE}@ NSEC3PARAM 1 0 0 -\n"));
        assert!(diff_zones(&a, &b, &DiffOptions::default()).is_empty());
        assert_eq!(
            diff_zones(
                &a,
                &b,
                &DiffOptions {
                    dnssec: true,
                    serial: false
                }
            )
            .len(),
            1
        );
    }

    #[test]
    fn a_patch_is_refused_by_a_zone_it_was_not_made_for() {
        let a = zone(BASE);
        let patch = Patch::parse("p", "$ORIGIN example.\n-www 300 IN A 192.0.2.99\n").unwrap();
        let err = apply_patch(&a, &patch.zones[&a.origin])
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "the patch does not apply to example.: www.example. 300 IN A 192.0.2.99 is not in the zone"
        );
        let patch = Patch::parse("p", "$ORIGIN example.\n+www 300 IN A 192.0.2.2\n").unwrap();
        assert!(apply_patch(&a, &patch.zones[&a.origin]).is_err());
    }

    #[test]
    fn patch_syntax_errors_name_line_and_column() {
        let err = Patch::parse("p.patch", "$ORIGIN example.\n+www 300 IN A 192.0.2\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.patch:2:"), "{err}");
        let err = Patch::parse("p.patch", "www A 192.0.2.1\n")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("p.patch:1:1:"), "{err}");
        let err = Patch::parse("p.patch", "+www.example. 60 A 192.0.2.1\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("before the first $ORIGIN"), "{err}");
    }

    /// Zone text from a list of (name index, type choice, value, ttl).
    fn random_zone(records: &[(u8, u8, u8, u8)]) -> Zone {
        let mut text = String::from("$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n");
        for &(name, kind, value, ttl) in records {
            let owner = ["@", "a", "b", "B", "c.d", "*.e"][name as usize % 6];
            let ttl = [60, 300, 3600][ttl as usize % 3];
            let rr = match kind % 4 {
                0 => format!("A 192.0.2.{value}"),
                1 => format!("AAAA 2001:db8::{value:x}"),
                2 => format!("TXT \"t{value}\""),
                _ => format!("MX {value} mx{}", value % 3),
            };
            // One TTL per RRset: the first record's, as the loader keeps.
            text.push_str(&format!("{owner} {ttl} {rr}\n"));
        }
        zone(&text)
    }

    proptest! {
        /// A patch file is input from anywhere: whatever it holds, reading
        /// it gives a patch or an error, never a panic.
        #[test]
        fn any_patch_text_reads_or_is_refused(
            lines in proptest::collection::vec(
                proptest::string::string_regex("([-+$;]|\\$ORIGIN |\\$TTL )?[ -~é\\t]{0,40}").unwrap(),
                0..12,
            )
        ) {
            let text = lines.join("\n");
            if let Ok(patch) = Patch::parse("p", &text) {
                for (origin, zone_patch) in &patch.zones {
                    let empty = Zone::from_records(origin.clone(), 1, Vec::new()).0;
                    let _ = apply_patch(&empty, zone_patch);
                }
            }
        }

        #[test]
        fn applying_the_patch_of_a_to_b_to_a_gives_b(
            a in proptest::collection::vec((0u8..6, 0u8..4, 0u8..8, 0u8..3), 0..30),
            b in proptest::collection::vec((0u8..6, 0u8..4, 0u8..8, 0u8..3), 0..30),
        ) {
            let (a, b) = (random_zone(&a), random_zone(&b));
            let options = DiffOptions { dnssec: true, serial: true };
            let mut text = String::new();
            write_patch(&a.origin, &diff_zones(&a, &b, &options), &mut text);
            let patch = Patch::parse("p", &text).unwrap();
            let applied = apply_patch(&a, &patch.zones[&a.origin]).unwrap();
            prop_assert!(diff_zones(&applied, &b, &options).is_empty(), "{}", text);
            // Exactly: TTLs and records, as the writer shows them (but for
            // the case of owner names, which a diff ignores).
            let show = |z: &Zone| {
                let mut out = Vec::new();
                crate::zone::writer::write_zone(z, &mut out).unwrap();
                String::from_utf8(out).unwrap().to_lowercase()
            };
            prop_assert_eq!(show(&applied), show(&b));
        }
    }
}
