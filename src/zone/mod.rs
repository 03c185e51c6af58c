//! The zone: names, record types, rdata, the presentation-format reader and
//! writer, the in-memory zone in canonical order, and zone checks.
//!
//! A zone file is read into [`Record`]s (each remembering the file and line
//! it came from), then gathered into a [`Zone`]: RRsets sorted in DNSSEC
//! canonical order (RFC 4034 §6), so that signing can walk it in order, a
//! server can binary-search it, and two zones can be compared in one pass.

pub mod check;
pub mod classify;
pub mod encoding;
pub mod loader;
pub mod name;
pub mod rdata;
pub mod reader;
pub mod rtype;
pub mod serial;
pub mod services;
pub mod svcb;
pub mod validate;
pub mod writer;

use std::cmp::Ordering;
use std::fmt;

use rayon::slice::ParallelSliceMut;

pub use name::Name;
pub use rtype::RType;

/// A token from a file as an error message quotes it: at most 40 bytes,
/// with non-printable bytes as `\DDD`. An error must help find the
/// mistake, not repeat a file's contents (an `$INCLUDE` of a key file
/// would otherwise show the key).
pub fn quote_token(text: &[u8]) -> String {
    const MAX: usize = 40;
    let mut out = String::with_capacity(text.len().min(MAX) + 4);
    for &b in text.iter().take(MAX) {
        if b.is_ascii_graphic() || b == b' ' {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\{b:03}"));
        }
    }
    if text.len() > MAX {
        out.push('…');
    }
    out
}

/// Where a record came from: an index into the reader's file list, and a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub file: u16,
    pub line: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub owner: Name,
    pub rtype: RType,
    pub class: u16,
    pub ttl: u32,
    pub rdata: Box<[u8]>,
    pub pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Advice: shown, but never a failure, not even with `--strict`.
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// One finding about a zone: a syntax error from the reader or a problem
/// found by the checks. `code` is a stable identifier for machines.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
}

impl Diagnostic {
    pub fn error(
        file: String,
        line: u32,
        column: u32,
        code: &'static str,
        message: String,
    ) -> Self {
        Diagnostic {
            file,
            line,
            column,
            severity: Severity::Error,
            code,
            message,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (0, _) => write!(f, "{}: {}: {}", self.file, self.severity, self.message),
            (line, 0) => write!(
                f,
                "{}:{}: {}: {}",
                self.file, line, self.severity, self.message
            ),
            (line, column) => write!(
                f,
                "{}:{}:{}: {}: {}",
                self.file, line, column, self.severity, self.message
            ),
        }
    }
}

/// The records of one owner and type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RRset {
    pub owner: Name,
    pub rtype: RType,
    pub class: u16,
    pub ttl: u32,
    /// Rdata in wire form, sorted bytewise, without duplicates.
    pub rdatas: Vec<Box<[u8]>>,
    /// Where the first record of the set was read.
    pub pos: Pos,
    /// Where each of `rdatas` was read, when the set has more than one
    /// record and came from a file; empty otherwise (then `pos` is where
    /// they all are). Findings about one record point at its own line.
    pub rdata_pos: Vec<Pos>,
}

impl RRset {
    /// Where the `i`th record of the set was read.
    pub fn pos_of(&self, i: usize) -> Pos {
        self.rdata_pos.get(i).copied().unwrap_or(self.pos)
    }
}

/// RRsets whose records were written with different TTLs.
#[derive(Debug, Clone)]
pub struct TtlConflict {
    pub owner: Name,
    pub rtype: RType,
    pub used: u32,
    pub other: u32,
    pub pos: Pos,
}

/// A zone held in memory, RRsets in canonical order.
#[derive(Debug, Clone)]
pub struct Zone {
    pub origin: Name,
    pub class: u16,
    rrsets: Vec<RRset>,
    index: NameIndex,
}

/// Exact-name lookup in O(1): an open-addressing table from a name's
/// case-folded hash to the index of its first RRset. A slot holds the index
/// and 32 bits of the hash, so a probe that misses rarely touches the RRset;
/// eight bytes a slot, so a million names cost 16 MiB.
#[derive(Debug, Clone, Default)]
struct NameIndex {
    slots: Vec<u64>,
    mask: usize,
}

const EMPTY_SLOT: u64 = u64::MAX;

fn name_hash(wire: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for &b in wire {
        h = (h ^ b.to_ascii_lowercase() as u64).wrapping_mul(0x100000001b3);
    }
    h ^ (h >> 29)
}

impl NameIndex {
    fn build(rrsets: &[RRset]) -> NameIndex {
        let starts: Vec<u32> = (0..rrsets.len())
            .filter(|&i| i == 0 || !rrsets[i - 1].owner.eq_ignore_case(&rrsets[i].owner))
            .map(|i| i as u32)
            .collect();
        let size = (starts.len() * 2).next_power_of_two().max(16);
        let mut index = NameIndex {
            slots: vec![EMPTY_SLOT; size],
            mask: size - 1,
        };
        for i in starts {
            let hash = name_hash(rrsets[i as usize].owner.as_wire());
            let mut slot = hash as usize & index.mask;
            while index.slots[slot] != EMPTY_SLOT {
                slot = (slot + 1) & index.mask;
            }
            index.slots[slot] = (hash >> 32) << 32 | i as u64;
        }
        index
    }

    fn find(&self, rrsets: &[RRset], name: &[u8]) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let hash = name_hash(name);
        let tag = hash >> 32;
        let mut slot = hash as usize & self.mask;
        loop {
            let entry = self.slots[slot];
            if entry == EMPTY_SLOT {
                return None;
            }
            let i = (entry & 0xffff_ffff) as usize;
            if entry >> 32 == tag && rrsets[i].owner.as_wire().eq_ignore_ascii_case(name) {
                return Some(i);
            }
            slot = (slot + 1) & self.mask;
        }
    }
}

/// The order of RRsets in a zone: canonical owner, then type; RRSIG sets
/// by the type they cover.
pub fn rrset_order(a: &RRset, b: &RRset) -> Ordering {
    name::canonical_cmp(a.owner.as_wire(), b.owner.as_wire())
        .then(a.rtype.cmp(&b.rtype))
        .then_with(|| {
            if a.rtype == RType::RRSIG {
                a.rdatas[0].get(..2).cmp(&b.rdatas[0].get(..2))
            } else {
                Ordering::Equal
            }
        })
}

/// Merges two runs of RRsets, each in canonical order, into one; sets of
/// the same owner and type (and covered type) are joined.
pub fn merge_rrsets(a: Vec<RRset>, b: Vec<RRset>) -> Vec<RRset> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => match rrset_order(x, y) {
                Ordering::Less => a.next(),
                Ordering::Greater => b.next(),
                Ordering::Equal => {
                    let mut joined = a.next().unwrap();
                    let other = b.next().unwrap();
                    joined.rdatas.extend(other.rdatas);
                    joined.rdatas.sort();
                    joined.rdatas.dedup();
                    joined.rdata_pos.clear();
                    Some(joined)
                }
            },
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        out.extend(next);
    }
    out
}

/// Whether `record` belongs to the RRset of this owner, type and (first)
/// rdata. RRSIGs form one set per covered type, since each takes the TTL of
/// the RRset it covers (RFC 4034 §3).
fn same_rrset(owner: &Name, rtype: RType, rdata: &[u8], record: &Record) -> bool {
    rtype == record.rtype
        && owner.eq_ignore_case(&record.owner)
        && (rtype != RType::RRSIG || rdata.get(..2) == record.rdata.get(..2))
}

/// Appends the canonical-order sort key of a wire name (see
/// [`name::canonical_key_into`]).
fn push_canonical_key(wire: &[u8], skip_labels: usize, out: &mut Vec<u8>) {
    name::canonical_key_into(wire, skip_labels, out);
}

impl Zone {
    /// Gathers records into RRsets in canonical order. Identical records
    /// collapse into one; an RRset keeps the TTL of its first record in the
    /// file, and every other TTL is reported as a conflict.
    pub fn from_records(
        origin: Name,
        class: u16,
        records: Vec<Record>,
    ) -> (Zone, Vec<TtlConflict>) {
        // Sort keys cover only the labels below the origin, which all
        // records share, so that their first bytes tell names apart.
        let origin_labels = origin.label_count();
        let mut keys = Vec::with_capacity(records.len() * 12);
        let mut spans = Vec::with_capacity(records.len());
        let mut previous_owner: Option<&Name> = None;
        let mut previous_span = (0u32, 0u32);
        for record in &records {
            // Consecutive records of one owner share a key.
            if previous_owner.is_some_and(|o| o.as_wire() == record.owner.as_wire()) {
                spans.push(previous_span);
                continue;
            }
            let start = keys.len() as u32;
            push_canonical_key(record.owner.as_wire(), origin_labels, &mut keys);
            previous_span = (start, keys.len() as u32);
            spans.push(previous_span);
            previous_owner = Some(&record.owner);
        }
        let key = |i: usize| &keys[spans[i].0 as usize..spans[i].1 as usize];
        // The first sixteen key bytes as a number settle most comparisons
        // without touching the keys.
        let prefix = |i: usize| {
            let k = key(i);
            let mut b = [0u8; 16];
            let n = k.len().min(16);
            b[..n].copy_from_slice(&k[..n]);
            u128::from_be_bytes(b)
        };
        let mut order: Vec<(u128, u32)> =
            (0..records.len()).map(|i| (prefix(i), i as u32)).collect();
        order.par_sort_unstable_by(|&(pa, a), &(pb, b)| {
            pa.cmp(&pb).then_with(|| {
                let (ra, rb) = (&records[a as usize], &records[b as usize]);
                key(a as usize)
                    .cmp(key(b as usize))
                    .then(ra.rtype.cmp(&rb.rtype))
                    .then_with(|| ra.rdata.cmp(&rb.rdata))
                    .then(ra.pos.cmp(&rb.pos))
            })
        });
        drop(keys);
        drop(spans);
        // Count the RRsets first so that their vector is allocated once.
        let same_set = |a: &Record, b: &Record| same_rrset(&a.owner, a.rtype, &a.rdata, b);
        let set_count = order
            .windows(2)
            .filter(|w| !same_set(&records[w[0].1 as usize], &records[w[1].1 as usize]))
            .count()
            + usize::from(!order.is_empty());
        let mut slots: Vec<Option<Record>> = records.into_iter().map(Some).collect();
        let mut rrsets: Vec<RRset> = Vec::with_capacity(set_count);
        let mut conflicts = Vec::new();
        // Where the first record of the current set was read (the set's
        // `pos` may move to an earlier line of a later record).
        let mut first_pos = Pos::default();
        for (_, index) in order {
            let record = slots[index as usize].take().unwrap();
            if let Some(last) = rrsets.last_mut()
                && same_rrset(&last.owner, last.rtype, &last.rdatas[0], &record)
            {
                if record.pos < last.pos {
                    if record.ttl != last.ttl {
                        conflicts.push(TtlConflict {
                            owner: last.owner.clone(),
                            rtype: last.rtype,
                            used: record.ttl,
                            other: last.ttl,
                            pos: last.pos,
                        });
                    }
                    last.ttl = record.ttl;
                    last.pos = record.pos;
                } else if record.ttl != last.ttl {
                    conflicts.push(TtlConflict {
                        owner: last.owner.clone(),
                        rtype: last.rtype,
                        used: last.ttl,
                        other: record.ttl,
                        pos: record.pos,
                    });
                }
                if last.rdatas.last().map(|r| &r[..]) != Some(&record.rdata[..]) {
                    if last.rdata_pos.is_empty() {
                        last.rdata_pos.push(first_pos);
                    }
                    last.rdata_pos.push(record.pos);
                    last.rdatas.push(record.rdata);
                }
                continue;
            }
            first_pos = record.pos;
            rrsets.push(RRset {
                owner: record.owner,
                rtype: record.rtype,
                class: record.class,
                ttl: record.ttl,
                rdatas: vec![record.rdata],
                pos: record.pos,
                rdata_pos: Vec::new(),
            });
        }
        (Zone::from_sorted_rrsets(origin, class, rrsets), conflicts)
    }

    pub fn rrsets(&self) -> &[RRset] {
        &self.rrsets
    }

    /// The RRsets, moved out in canonical order.
    pub fn into_rrsets(self) -> Vec<RRset> {
        self.rrsets
    }

    /// A zone of RRsets already in canonical order (as [`Zone::into_rrsets`]
    /// and [`merge_rrsets`] give them); no sorting is done.
    pub fn from_sorted_rrsets(origin: Name, class: u16, rrsets: Vec<RRset>) -> Zone {
        debug_assert!(
            rrsets
                .windows(2)
                .all(|w| rrset_order(&w[0], &w[1]) != Ordering::Greater)
        );
        let index = NameIndex::build(&rrsets);
        Zone {
            origin,
            class,
            rrsets,
            index,
        }
    }

    pub fn record_count(&self) -> usize {
        self.rrsets.iter().map(|s| s.rdatas.len()).sum()
    }

    /// Index of the first RRset at or after `name` in canonical order.
    fn lower_bound(&self, name: &Name) -> usize {
        self.rrsets.partition_point(|s| {
            name::canonical_cmp(s.owner.as_wire(), name.as_wire()) == Ordering::Less
        })
    }

    /// Index of the first RRset owned by `name`, in [`Zone::rrsets`].
    pub fn node_index(&self, name: &Name) -> Option<usize> {
        self.index.find(&self.rrsets, name.as_wire())
    }

    /// All RRsets owned by `name`.
    pub fn node(&self, name: &Name) -> &[RRset] {
        self.node_wire(name.as_wire())
    }

    /// All RRsets owned by the wire name `name`.
    pub fn node_wire(&self, name: &[u8]) -> &[RRset] {
        let Some(start) = self.index.find(&self.rrsets, name) else {
            return &[];
        };
        let owner = &self.rrsets[start].owner;
        let end = self.rrsets[start..]
            .iter()
            .position(|s| !s.owner.eq_ignore_case(owner))
            .map_or(self.rrsets.len(), |n| start + n);
        &self.rrsets[start..end]
    }

    pub fn get(&self, name: &Name, rtype: RType) -> Option<&RRset> {
        self.node(name).iter().find(|s| s.rtype == rtype)
    }

    pub fn get_wire(&self, name: &[u8], rtype: RType) -> Option<&RRset> {
        self.node_wire(name).iter().find(|s| s.rtype == rtype)
    }

    /// True if `name` owns records or has descendants that do (so it is not
    /// NXDOMAIN: an empty non-terminal exists, RFC 8020).
    pub fn name_exists(&self, name: &Name) -> bool {
        if self.index.find(&self.rrsets, name.as_wire()).is_some() {
            return true;
        }
        let start = self.lower_bound(name);
        self.rrsets
            .get(start)
            .is_some_and(|s| s.owner.is_subdomain_of(name))
    }

    pub fn soa(&self) -> Option<&RRset> {
        self.get(&self.origin, RType::SOA)
    }

    pub fn serial(&self) -> Option<u32> {
        let soa = self.soa()?;
        let rdata = soa.rdatas.first()?;
        let r = rdata.len().checked_sub(20)?;
        Some(u32::from_be_bytes(rdata[r..r + 4].try_into().ok()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_key_matches_canonical_cmp() {
        let names = [
            "example.",
            "a.example.",
            "A.example.",
            "\\000.a.example.",
            "\\001.a.example.",
            "a\\000.example.",
            "aa.example.",
            "b.a.example.",
            "*.example.",
            "z.example.",
        ];
        for a in names {
            for b in names {
                let (na, nb) = (
                    Name::parse(a.as_bytes(), None).unwrap(),
                    Name::parse(b.as_bytes(), None).unwrap(),
                );
                let (mut ka, mut kb) = (Vec::new(), Vec::new());
                push_canonical_key(na.as_wire(), 0, &mut ka);
                push_canonical_key(nb.as_wire(), 0, &mut kb);
                assert_eq!(
                    ka.cmp(&kb),
                    name::canonical_cmp(na.as_wire(), nb.as_wire()),
                    "{a} vs {b}"
                );
            }
        }
    }
}
