//! The zone store a server answers from: each zone held as versions.
//!
//! A version is a persistent ordered map from a name's canonical key
//! (RFC 4034 §6.1 order: labels from the apex down, lowercased) to its node,
//! plus a second map of the NSEC3 chain by hash (RFC 5155: NSEC3 owners are
//! not names of the zone, so they live apart). Readers hold a version for
//! as long as they answer from it and are never blocked; a writer builds the
//! next version from the current one, and the two share every node the
//! change did not touch, so changing one RRset of a million-record zone
//! costs O(log n) (see [`ZoneEditor`]).
//!
//! A node keeps what the answer path needs without walking: its kind
//! (apex, delegation point, DNAME), whether a wildcard child exists, and
//! each RRset with the RRSIGs that cover it. Empty non-terminals are real
//! nodes (RFC 4592 §2.2.2: they exist, and stop wildcards), so that the
//! absence of a node means the name and everything below it do not exist.
//! Data below a zone cut is stored like any other (it is served as glue);
//! the answer path finds cuts on its way down from the apex, O(depth).

use std::sync::Arc;

use imbl::OrdMap;
use imbl::shared_ptr::DefaultSharedPtr;

use super::answer::FnvBuild;

/// Exact-name lookups: a persistent hash map beside the ordered one, both
/// holding the same nodes. The answer path's lookups are almost all
/// exact, and a hash probe touches a few cache lines where a walk down a
/// B-tree of a million keys touches dozens; the ordered map serves what
/// needs order (the NSEC before a name, the children of a name).
type Index = imbl::GenericHashMap<Key, Arc<Node>, FnvBuild, DefaultSharedPtr>;

use super::key::{Key, KeyBuf, KeyRef, canonical_key, compare_keys, strip_labels};
use crate::zone::encoding::base32hex_decode;
use crate::zone::{Name, Pos, RRset, RType, Record, Zone};

/// Records of one type at a node, rdata in wire form, each preceded by its
/// length (two octets): one allocation for the whole set.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Packed(Box<[u8]>);

impl Packed {
    pub fn new<'a>(rdatas: impl IntoIterator<Item = &'a [u8]>) -> Packed {
        let mut out = Vec::new();
        for r in rdatas {
            out.extend_from_slice(&(r.len() as u16).to_be_bytes());
            out.extend_from_slice(r);
        }
        Packed(out.into_boxed_slice())
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// Where the records start in memory (for prefetching).
    pub fn as_ptr(&self) -> *const u8 {
        self.0.as_ptr()
    }
    pub fn iter(&self) -> PackedIter<'_> {
        PackedIter(&self.0)
    }
    pub fn len(&self) -> usize {
        self.iter().count()
    }
    /// The record at byte `offset`, and the offset of the next one.
    pub fn at(&self, offset: usize) -> Option<(&[u8], usize)> {
        let rest = self.0.get(offset..)?;
        let len = u16::from_be_bytes([*rest.first()?, *rest.get(1)?]) as usize;
        let item = rest.get(2..2 + len)?;
        Some((item, offset + 2 + len))
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Packed({} records)", self.len())
    }
}

pub struct PackedIter<'a>(&'a [u8]);

impl<'a> Iterator for PackedIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let len = u16::from_be_bytes([*self.0.first()?, *self.0.get(1)?]) as usize;
        let (item, rest) = self.0.get(2..)?.split_at(len);
        self.0 = rest;
        Some(item)
    }
}

/// The records of one type at a node, with the signatures over them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSet {
    pub rtype: RType,
    pub ttl: u32,
    /// Empty for signatures over a type the node does not hold (kept so
    /// that the zone converts back unchanged; never served).
    pub records: Packed,
    pub sig_ttl: u32,
    pub sigs: Packed,
}

pub mod flag {
    pub const APEX: u8 = 1;
    /// NS at a name other than the apex: a zone cut (RFC 1034 §4.2.1).
    pub const DELEGATION: u8 = 2;
    pub const DNAME: u8 = 4;
    /// `*.<this name>` exists (RFC 4592 §2.2.1).
    pub const WILDCARD_CHILD: u8 = 8;
    pub const CNAME: u8 = 16;
    pub const NSEC: u8 = 32;
}

/// A name of the zone: its RRsets (none for an empty non-terminal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// The owner as loaded (its case is kept for answers).
    pub name: Name,
    pub flags: u8,
    /// Sorted by type.
    pub sets: Box<[StoredSet]>,
}

impl Node {
    fn new(name: Name, sets: Vec<StoredSet>, is_apex: bool) -> Node {
        let mut node = Node {
            name,
            flags: 0,
            sets: sets.into_boxed_slice(),
        };
        node.set_flags(is_apex);
        node
    }

    fn set_flags(&mut self, is_apex: bool) {
        let keep = self.flags & flag::WILDCARD_CHILD;
        let has = |t| {
            self.sets
                .iter()
                .any(|s| s.rtype == t && !s.records.is_empty())
        };
        let mut flags = keep;
        if is_apex {
            flags |= flag::APEX;
        } else if has(RType::NS) {
            flags |= flag::DELEGATION;
        }
        if has(RType::DNAME) {
            flags |= flag::DNAME;
        }
        if has(RType::CNAME) {
            flags |= flag::CNAME;
        }
        if has(RType::NSEC) {
            flags |= flag::NSEC;
        }
        self.flags = flags;
    }

    pub fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }

    /// The served RRset of a type (not a set of orphan signatures).
    pub fn get(&self, rtype: RType) -> Option<&StoredSet> {
        self.sets
            .binary_search_by(|s| s.rtype.cmp(&rtype))
            .ok()
            .map(|i| &self.sets[i])
            .filter(|s| !s.records.is_empty())
    }

    /// Whether the node holds no data (an empty non-terminal).
    pub fn is_empty(&self) -> bool {
        self.sets.iter().all(|s| s.records.is_empty())
    }

    /// Every record of the node, each RRset followed by its signatures
    /// (what a zone transfer sends).
    pub fn records(&self, class: u16) -> impl Iterator<Item = Record> + '_ {
        self.sets.iter().flat_map(move |set| {
            let data = set
                .records
                .iter()
                .map(move |rdata| (set.rtype, set.ttl, rdata));
            let sigs = set
                .sigs
                .iter()
                .map(move |rdata| (RType::RRSIG, set.sig_ttl, rdata));
            data.chain(sigs).map(move |(rtype, ttl, rdata)| Record {
                owner: self.name.clone(),
                rtype,
                class,
                ttl,
                rdata: rdata.into(),
                pos: Pos::default(),
            })
        })
    }

    pub fn served_sets(&self) -> impl Iterator<Item = &StoredSet> {
        self.sets.iter().filter(|s| !s.records.is_empty())
    }
}

/// NSEC3PARAM of the zone's chain (RFC 5155 §4), for hashing query names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nsec3Param {
    pub iterations: u16,
    pub salt: Box<[u8]>,
}

/// One version of a zone. Cloning is cheap (the maps are shared).
#[derive(Clone)]
pub struct ZoneVersion {
    pub origin: Name,
    pub class: u16,
    pub serial: u32,
    apex: Arc<Node>,
    nodes: OrdMap<Key, Arc<Node>>,
    index: Index,
    /// The NSEC3 chain, keyed by the raw hash of the owner's first label.
    nsec3: OrdMap<Key, Arc<Node>>,
    pub nsec3_param: Option<Nsec3Param>,
    /// Whether the apex SOA is signed: DNSSEC records are added to answers
    /// only for a signed zone (RFC 4035 §3.1), a DS in an unsigned one
    /// stays out of referrals as NSD and Knot keep it out.
    pub signed: bool,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("the zone has no SOA record at its apex {0}")]
    NoSoa(Name),
    #[error("{0} is not in the zone {1}")]
    OutOfZone(Name, Name),
}

/// Groups a node's RRsets (RRSIG sets attached to what they cover).
fn stored_sets(sets: &[RRset]) -> Vec<StoredSet> {
    let mut out: Vec<StoredSet> = sets
        .iter()
        .filter(|s| s.rtype != RType::RRSIG)
        .map(|s| StoredSet {
            rtype: s.rtype,
            ttl: s.ttl,
            records: Packed::new(s.rdatas.iter().map(|r| &r[..])),
            sig_ttl: 0,
            sigs: Packed::default(),
        })
        .collect();
    for sig in sets.iter().filter(|s| s.rtype == RType::RRSIG) {
        let Some(covered) = sig.rdatas[0].get(..2) else {
            continue;
        };
        let covered = RType(u16::from_be_bytes([covered[0], covered[1]]));
        let index = match out.binary_search_by(|s| s.rtype.cmp(&covered)) {
            Ok(i) => i,
            Err(i) => {
                out.insert(
                    i,
                    StoredSet {
                        rtype: covered,
                        ttl: sig.ttl,
                        records: Packed::default(),
                        sig_ttl: 0,
                        sigs: Packed::default(),
                    },
                );
                i
            }
        };
        out[index].sig_ttl = sig.ttl;
        out[index].sigs = Packed::new(sig.rdatas.iter().map(|r| &r[..]));
    }
    out
}

/// The raw hash an NSEC3 owner's first label spells, if it is one.
fn nsec3_owner_hash(owner: &Name) -> Option<Vec<u8>> {
    let label = owner.labels().next()?;
    let mut hash = Vec::new();
    base32hex_decode(label, &mut hash).ok()?;
    (!hash.is_empty()).then_some(hash)
}

fn read_nsec3_param(apex: &Node) -> Option<Nsec3Param> {
    let set = apex.get(RType::NSEC3PARAM)?;
    // The first one of hash algorithm 1 with flags 0 names the chain.
    set.records.iter().find_map(|r| {
        let (&algorithm, &flags) = (r.first()?, r.get(1)?);
        let iterations = u16::from_be_bytes([*r.get(2)?, *r.get(3)?]);
        let salt = r.get(5..5 + *r.get(4)? as usize)?;
        (algorithm == 1 && flags == 0).then(|| Nsec3Param {
            iterations,
            salt: salt.into(),
        })
    })
}

impl ZoneVersion {
    /// Builds a version from a zone read from a file or a transfer.
    pub fn from_zone(zone: &Zone) -> Result<ZoneVersion, StoreError> {
        let origin = zone.origin.clone();
        let origin_labels = origin.label_count();
        let mut nodes: Vec<(Key, Arc<Node>)> = Vec::new();
        let mut nsec3_nodes: Vec<(Key, Arc<Node>)> = Vec::new();
        let mut keybuf = KeyBuf::new();
        // Nodes come in canonical order, so a name's ancestors come before
        // it: `path` holds the indexes (in `nodes`) of the current node's
        // ancestors, the apex first.
        let mut path: Vec<usize> = Vec::new();
        for (owner, sets) in crate::zone::classify::node_slices(zone.rrsets()) {
            if !owner.is_subdomain_of(&origin) {
                return Err(StoreError::OutOfZone(owner.clone(), origin));
            }
            let is_apex = owner.eq_ignore_case(&origin);
            let nsec3_only = !is_apex
                && sets.iter().any(|s| s.rtype == RType::NSEC3)
                && sets
                    .iter()
                    .all(|s| matches!(s.rtype, RType::NSEC3 | RType::RRSIG))
                && owner.parent().is_some_and(|p| p.eq_ignore_case(&origin));
            if nsec3_only && let Some(hash) = nsec3_owner_hash(owner) {
                let node = Node::new(owner.clone(), stored_sets(sets), false);
                nsec3_nodes.push((hash.into(), Arc::new(node)));
                continue;
            }
            canonical_key(owner.as_wire(), origin_labels, &mut keybuf);
            let key = keybuf.as_bytes();
            while path.last().is_some_and(|&i| {
                let p = &nodes[i].0;
                !(key.starts_with(p) && key.len() > p.len())
            }) {
                path.pop();
            }
            // Empty non-terminals between the deepest existing ancestor and
            // this name become nodes of their own.
            let start = path
                .last()
                .map_or(0, |&i| keybuf.depth_of(nodes[i].0.len()) + 1);
            for depth in start..keybuf.label_count() {
                let wire = strip_labels(owner.as_wire(), keybuf.label_count() - depth);
                let name = Name::from_wire(wire).expect("an ancestor of a valid name is valid");
                let ent = Node::new(name, Vec::new(), depth == 0);
                nodes.push((keybuf.prefix(depth).into(), Arc::new(ent)));
                path.push(nodes.len() - 1);
            }
            let node = Node::new(owner.clone(), stored_sets(sets), is_apex);
            nodes.push((key.into(), Arc::new(node)));
            path.push(nodes.len() - 1);
        }
        // Wildcard children mark their parents (the vector is in key order).
        for i in 0..nodes.len() {
            let key = &nodes[i].0;
            if key.ends_with(b"*\0") {
                let parent = key[..key.len() - 2].to_vec();
                if let Ok(p) = nodes.binary_search_by(|(k, _)| compare_keys(k, &parent)) {
                    Arc::make_mut(&mut nodes[p].1).flags |= flag::WILDCARD_CHILD;
                }
            }
        }
        // The two maps are built side by side: loading a large zone is
        // mostly this.
        let (nodes, index) = std::thread::scope(|scope| {
            let hashed = scope.spawn(|| {
                let mut index = Index::with_hasher(FnvBuild::default());
                for (key, node) in &nodes {
                    index.insert(key.clone(), node.clone());
                }
                index
            });
            let ordered: OrdMap<Key, Arc<Node>> = nodes.iter().cloned().collect();
            (
                ordered,
                hashed.join().expect("building the index does not panic"),
            )
        });
        let apex = nodes
            .get(&[][..])
            .cloned()
            .filter(|a| a.get(RType::SOA).is_some())
            .ok_or_else(|| StoreError::NoSoa(origin.clone()))?;
        let serial = apex
            .get(RType::SOA)
            .and_then(|s| s.records.iter().next().map(soa_serial))
            .unwrap_or(0);
        let nsec3_param = read_nsec3_param(&apex);
        let signed = apex_is_signed(&apex);
        Ok(ZoneVersion {
            index,
            origin,
            class: zone.class,
            serial,
            apex,
            nodes,
            nsec3: nsec3_nodes.into_iter().collect(),
            nsec3_param,
            signed,
        })
    }

    /// The zone in the flat form files, signing and transfers use.
    pub fn to_zone(&self) -> Zone {
        let mut rrsets = Vec::new();
        let mut push = |node: &Node| {
            for set in node.sets.iter() {
                if !set.records.is_empty() {
                    rrsets.push(rrset(
                        &node.name,
                        self.class,
                        set.rtype,
                        set.ttl,
                        &set.records,
                    ));
                }
                if !set.sigs.is_empty() {
                    rrsets.push(rrset(
                        &node.name,
                        self.class,
                        RType::RRSIG,
                        set.sig_ttl,
                        &set.sigs,
                    ));
                }
            }
        };
        for node in self.nodes.values() {
            push(node);
        }
        for node in self.nsec3.values() {
            push(node);
        }
        rrsets.sort_by(crate::zone::rrset_order);
        Zone::from_sorted_rrsets(self.origin.clone(), self.class, rrsets)
    }

    pub fn apex(&self) -> &Node {
        &self.apex
    }

    pub fn node_count(&self) -> usize {
        self.nodes.len() + self.nsec3.len()
    }

    /// The RRset of `owner` (a name of the zone, not of the NSEC3 chain)
    /// and `rtype`, with data.
    pub fn rrset(&self, owner: &Name, rtype: RType) -> Option<&StoredSet> {
        let mut keybuf = KeyBuf::new();
        canonical_key(owner.as_wire(), self.origin.label_count(), &mut keybuf);
        self.get(keybuf.as_bytes())?.get(rtype)
    }

    /// The node whose canonical key (relative to the apex) is `key`.
    pub fn get(&self, key: &[u8]) -> Option<&Node> {
        self.index.get(&KeyRef(key)).map(|n| &**n)
    }

    /// The last name before `key` in canonical order that owns an NSEC
    /// record: the NSEC that covers a name that does not exist (RFC 4035
    /// §3.1.3.2). Glue and occluded names have none, so they are skipped.
    pub fn nsec_covering(&self, key: &[u8]) -> Option<&Node> {
        self.prev_node_where(key, |n| n.has(flag::NSEC))
    }

    /// The NSEC3 node whose hash is `hash`, or else the one that covers it
    /// (the last hash before it, or the last of the chain, which wraps).
    pub fn nsec3_find(&self, hash: &[u8]) -> Option<(&Node, bool)> {
        if let Some(n) = self.nsec3.get(&KeyRef(hash)) {
            return Some((n, true));
        }
        let before = self
            .nsec3
            .get_prev(&KeyRef(hash))
            .map(|(_, n)| n)
            .or_else(|| self.nsec3.get_max().map(|(_, n)| n));
        before.map(|n| (&**n, false))
    }

    /// The hash of `name` under the zone's NSEC3 parameters.
    pub fn nsec3_hash(&self, wire: &[u8], out: &mut [u8; 20]) -> bool {
        let Some(param) = &self.nsec3_param else {
            return false;
        };
        crate::dnssec::nsec3::nsec3_hash_into(wire, &param.salt, param.iterations, out);
        true
    }

    /// The apex SOA record.
    pub fn soa(&self) -> Record {
        let set = self.apex.get(RType::SOA).expect("a version has an SOA");
        Record {
            owner: self.apex.name.clone(),
            rtype: RType::SOA,
            class: self.class,
            ttl: set.ttl,
            rdata: set.records.iter().next().unwrap_or_default().into(),
            pos: Pos::default(),
        }
    }

    /// Up to `max` nodes after `cursor` in transfer order (the names of
    /// the zone in canonical order, then the NSEC3 chain), appended to
    /// `out`; the cursor moves past them. One range walk per call, so a
    /// transfer streams a version in chunks without copying it.
    pub fn next_nodes(&self, cursor: &mut NodeCursor, max: usize, out: &mut Vec<Arc<Node>>) {
        let start = out.len();
        while out.len() - start < max && !cursor.done {
            let map = if cursor.in_chain {
                &self.nsec3
            } else {
                &self.nodes
            };
            let lower = match &cursor.after {
                Some(k) => std::ops::Bound::Excluded(KeyRef(k)),
                None => std::ops::Bound::Unbounded,
            };
            let before = out.len();
            // The key is kept once per call, not per node: it is an owned
            // copy, and cloning it for every node cost a transfer an
            // allocation per name.
            let mut last = None;
            for (key, node) in map
                .range::<_, KeyRef<'_>>((lower.as_ref(), std::ops::Bound::Unbounded))
                .take(max - (out.len() - start))
            {
                out.push(node.clone());
                last = Some(key);
            }
            if let Some(key) = last {
                cursor.after = Some(key.clone());
            }
            if out.len() - start < max || out.len() == before {
                // This map is exhausted: on to the chain, or the end.
                if cursor.in_chain {
                    cursor.done = true;
                } else {
                    cursor.in_chain = true;
                    cursor.after = None;
                }
            }
        }
    }

    /// The records that differ between this version and `newer`: those
    /// only here (deleted) and those only there (added), the apex SOA left
    /// out of both (it opens each side of an IXFR difference sequence).
    /// Nodes the two versions share are skipped without a look inside, so
    /// versions made by [`ZoneEditor`] compare in time proportional to
    /// their difference; two loads of a file compare node by node.
    pub fn diff(&self, newer: &ZoneVersion) -> (Vec<Record>, Vec<Record>) {
        let (mut deleted, mut added) = (Vec::new(), Vec::new());
        for (old, new) in [(&self.nodes, &newer.nodes), (&self.nsec3, &newer.nsec3)] {
            for item in old.diff(new) {
                match item {
                    imbl::ordmap::DiffItem::Add(_, n) => {
                        added.extend(n.records(self.class).filter(|r| !is_soa(r, n)))
                    }
                    imbl::ordmap::DiffItem::Remove(_, n) => {
                        deleted.extend(n.records(self.class).filter(|r| !is_soa(r, n)))
                    }
                    imbl::ordmap::DiffItem::Update {
                        old: (_, a),
                        new: (_, b),
                    } => {
                        if Arc::ptr_eq(a, b) {
                            continue;
                        }
                        let before: Vec<Record> =
                            a.records(self.class).filter(|r| !is_soa(r, a)).collect();
                        let after: Vec<Record> =
                            b.records(self.class).filter(|r| !is_soa(r, b)).collect();
                        let same = |x: &Record, y: &Record| {
                            x.rtype == y.rtype && x.ttl == y.ttl && x.rdata == y.rdata
                        };
                        deleted.extend(
                            before
                                .iter()
                                .filter(|x| !after.iter().any(|y| same(x, y)))
                                .cloned(),
                        );
                        added.extend(
                            after
                                .iter()
                                .filter(|y| !before.iter().any(|x| same(x, y)))
                                .cloned(),
                        );
                    }
                }
            }
        }
        (deleted, added)
    }

    /// The first node after `key` in canonical order that `wanted`
    /// accepts (the next name of an NSEC chain).
    pub fn next_node_where(&self, key: &[u8], wanted: impl Fn(&Node) -> bool) -> Option<&Node> {
        self.nodes
            .range::<_, KeyRef<'_>>((
                std::ops::Bound::Excluded(&KeyRef(key)),
                std::ops::Bound::Unbounded,
            ))
            .map(|(_, n)| &**n)
            .find(|n| wanted(n))
    }

    /// The last node before `key` in canonical order that `wanted` accepts.
    pub fn prev_node_where(&self, key: &[u8], wanted: impl Fn(&Node) -> bool) -> Option<&Node> {
        self.nodes
            .range::<_, KeyRef<'_>>((
                std::ops::Bound::Unbounded,
                std::ops::Bound::Excluded(&KeyRef(key)),
            ))
            .rev()
            .map(|(_, n)| &**n)
            .find(|n| wanted(n))
    }

    /// The last node of the zone in canonical order that `wanted` accepts.
    pub fn last_node_where(&self, wanted: impl Fn(&Node) -> bool) -> Option<&Node> {
        self.nodes.values().rev().map(|n| &**n).find(|n| wanted(n))
    }

    /// The node of `owner` (not of the NSEC3 chain).
    pub fn node_of(&self, owner: &Name) -> Option<&Node> {
        let mut keybuf = KeyBuf::new();
        self.key_of(owner, &mut keybuf);
        self.get(keybuf.as_bytes())
    }

    /// The first node strictly below the node of `key` that `wanted`
    /// accepts; the walk ends where the subtree does.
    pub fn first_below(&self, key: &[u8], wanted: impl Fn(&Node) -> bool) -> Option<&Node> {
        self.nodes
            .range::<_, KeyRef<'_>>((
                std::ops::Bound::Excluded(&KeyRef(key)),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(key))
            .map(|(_, n)| &**n)
            .find(|n| wanted(n))
    }

    /// The names at and below the node of `key`, in canonical order.
    pub fn subtree(&self, key: &[u8]) -> Vec<Name> {
        self.nodes
            .range::<_, KeyRef<'_>>((
                std::ops::Bound::Included(&KeyRef(key)),
                std::ops::Bound::Unbounded,
            ))
            .take_while(|(k, _)| k.starts_with(key))
            .map(|(_, n)| n.name.clone())
            .collect()
    }

    /// The NSEC3 node of exactly this hash.
    pub fn nsec3_node(&self, hash: &[u8]) -> Option<&Node> {
        self.nsec3.get(&KeyRef(hash)).map(|n| &**n)
    }

    /// The hashes of the chain before and after `hash` (the chain wraps
    /// around; `hash` itself is never returned, so a chain of one has no
    /// neighbours).
    pub fn nsec3_neighbours(&self, hash: &[u8]) -> (Option<Key>, Option<Key>) {
        let other = |k: &Key| k.as_bytes() != hash;
        let prev = self
            .nsec3
            .range::<_, KeyRef<'_>>((
                std::ops::Bound::Unbounded,
                std::ops::Bound::Excluded(&KeyRef(hash)),
            ))
            .next_back()
            .map(|(k, _)| k.clone())
            .or_else(|| self.nsec3.get_max().map(|(k, _)| k.clone()))
            .filter(other);
        let next = self
            .nsec3
            .range::<_, KeyRef<'_>>((
                std::ops::Bound::Excluded(&KeyRef(hash)),
                std::ops::Bound::Unbounded,
            ))
            .next()
            .map(|(k, _)| k.clone())
            .or_else(|| self.nsec3.get_min().map(|(k, _)| k.clone()))
            .filter(other);
        (prev, next)
    }

    /// The store key of `owner`.
    pub fn key_of(&self, owner: &Name, out: &mut KeyBuf) {
        canonical_key(owner.as_wire(), self.origin.label_count(), out);
    }

    /// Starts the next version; the current one is left as it is.
    pub fn edit(&self) -> ZoneEditor {
        ZoneEditor {
            next: self.clone(),
            origin_labels: self.origin.label_count(),
        }
    }
}

/// Where an outgoing transfer stands (see [`ZoneVersion::next_nodes`]).
#[derive(Debug, Clone, Default)]
pub struct NodeCursor {
    in_chain: bool,
    after: Option<Key>,
    done: bool,
}

impl NodeCursor {
    pub fn is_done(&self) -> bool {
        self.done
    }
}

fn is_soa(r: &Record, node: &Node) -> bool {
    r.rtype == RType::SOA && node.has(flag::APEX)
}

fn apex_is_signed(apex: &Node) -> bool {
    apex.sets
        .iter()
        .any(|s| s.rtype == RType::SOA && !s.sigs.is_empty())
}

fn soa_serial(rdata: &[u8]) -> u32 {
    let mut pos = 0;
    for _ in 0..2 {
        while let Some(&len) = rdata.get(pos) {
            pos += 1 + len as usize;
            if len == 0 {
                break;
            }
        }
    }
    rdata
        .get(pos..pos + 4)
        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

fn rrset(owner: &Name, class: u16, rtype: RType, ttl: u32, records: &Packed) -> RRset {
    RRset {
        owner: owner.clone(),
        rtype,
        class,
        ttl,
        rdatas: records.iter().map(|r| r.into()).collect(),
        pos: Pos::default(),
        rdata_pos: Vec::new(),
    }
}

/// Builds the next version of a zone, one RRset at a time. Each change
/// copies the path to one node (O(log n)); everything else is shared with
/// the version it started from, which readers keep using until
/// [`ZoneEditor::finish`] hands over the new one.
pub struct ZoneEditor {
    next: ZoneVersion,
    origin_labels: usize,
}

impl ZoneEditor {
    /// Replaces (or with no rdata, removes) the RRset of `owner` and
    /// `rtype`; signatures over it go with it unless given again.
    pub fn put(
        &mut self,
        owner: &Name,
        rtype: RType,
        ttl: u32,
        rdatas: &[&[u8]],
        sigs: &[&[u8]],
        sig_ttl: u32,
    ) -> Result<(), StoreError> {
        let origin = self.next.origin.clone();
        if !owner.is_subdomain_of(&origin) {
            return Err(StoreError::OutOfZone(owner.clone(), origin));
        }
        let is_apex = owner.eq_ignore_case(&origin);
        if let Some(hash) = self.chain_hash(owner, rtype) {
            self.put_chain(owner, hash.into(), rtype, ttl, rdatas, sigs, sig_ttl);
            return Ok(());
        }
        let mut keybuf = KeyBuf::new();
        canonical_key(owner.as_wire(), self.origin_labels, &mut keybuf);
        let key: Key = keybuf.as_bytes().into();
        let mut node = match self.next.nodes.get(&key[..]) {
            Some(n) => (**n).clone(),
            None => Node::new(owner.clone(), Vec::new(), is_apex),
        };
        let mut sets = std::mem::take(&mut node.sets).into_vec();
        let set = StoredSet {
            rtype,
            ttl,
            records: Packed::new(rdatas.iter().copied()),
            sig_ttl,
            sigs: Packed::new(sigs.iter().copied()),
        };
        match sets.binary_search_by(|s| s.rtype.cmp(&rtype)) {
            Ok(i) if rdatas.is_empty() && sigs.is_empty() => {
                sets.remove(i);
            }
            Ok(i) => sets[i] = set,
            Err(_) if rdatas.is_empty() && sigs.is_empty() => {}
            Err(i) => sets.insert(i, set),
        }
        node.sets = sets.into_boxed_slice();
        node.set_flags(is_apex);
        let wildcard = owner.labels().next() == Some(b"*".as_slice());
        if node.sets.is_empty() && !is_apex && !self.has_children(&key) {
            self.remove_node(&key);
            self.remove_empty_ancestors(&keybuf);
            if wildcard {
                self.mark_wildcard_parent(&keybuf, false);
            }
        } else {
            self.set_node(key, Arc::new(node));
            self.add_missing_ancestors(owner, &keybuf);
            if wildcard {
                self.mark_wildcard_parent(&keybuf, true);
            }
        }
        if is_apex {
            self.refresh_apex();
        }
        Ok(())
    }

    /// The version as edited so far.
    pub fn version(&self) -> &ZoneVersion {
        &self.next
    }

    /// The RRset of `owner` and `rtype` as edited so far (NSEC3 records
    /// from the chain).
    pub fn set(&self, owner: &Name, rtype: RType) -> Option<&StoredSet> {
        let node = match self.chain_hash(owner, rtype) {
            Some(hash) => self.next.nsec3.get(&hash[..])?,
            None => {
                let mut keybuf = KeyBuf::new();
                canonical_key(owner.as_wire(), self.origin_labels, &mut keybuf);
                self.next.nodes.get(keybuf.as_bytes())?
            }
        };
        node.sets.iter().find(|s| s.rtype == rtype)
    }

    /// The node of `owner` as edited so far (not the NSEC3 chain's).
    pub fn node(&self, owner: &Name) -> Option<&Node> {
        let mut keybuf = KeyBuf::new();
        canonical_key(owner.as_wire(), self.origin_labels, &mut keybuf);
        self.next.nodes.get(keybuf.as_bytes()).map(|n| &**n)
    }

    /// The chain key when `owner` and `rtype` belong to the NSEC3 chain:
    /// an NSEC3 record (or the signature of one already in the chain) at
    /// a hashed name just below the apex.
    fn chain_hash(&self, owner: &Name, rtype: RType) -> Option<Vec<u8>> {
        if !owner
            .parent()
            .is_some_and(|p| p.eq_ignore_case(&self.next.origin))
        {
            return None;
        }
        let hash = nsec3_owner_hash(owner)?;
        (rtype == RType::NSEC3 || self.next.nsec3.contains_key(&hash[..])).then_some(hash)
    }

    #[allow(clippy::too_many_arguments)]
    fn put_chain(
        &mut self,
        owner: &Name,
        key: Key,
        rtype: RType,
        ttl: u32,
        rdatas: &[&[u8]],
        sigs: &[&[u8]],
        sig_ttl: u32,
    ) {
        let mut node = match self.next.nsec3.get(&key[..]) {
            Some(n) => (**n).clone(),
            None => Node::new(owner.clone(), Vec::new(), false),
        };
        let mut sets = std::mem::take(&mut node.sets).into_vec();
        sets.retain(|s| s.rtype != rtype);
        if !rdatas.is_empty() || !sigs.is_empty() {
            sets.push(StoredSet {
                rtype,
                ttl,
                records: Packed::new(rdatas.iter().copied()),
                sig_ttl,
                sigs: Packed::new(sigs.iter().copied()),
            });
            sets.sort_by_key(|s| s.rtype);
        }
        if sets.is_empty() {
            self.next.nsec3.remove(&key[..]);
        } else {
            node.sets = sets.into_boxed_slice();
            self.next.nsec3.insert(key, Arc::new(node));
        }
    }

    /// Applies one IXFR difference sequence (RFC 1995 §4): its records
    /// deleted, then added, the SOA replaced. Deleting a record the zone
    /// does not hold is an error: the sequence was not made for this
    /// version.
    pub fn apply(&mut self, change: &crate::xfr::Changeset) -> Result<(), String> {
        use std::collections::BTreeMap;
        if change.from_serial() != self.next.serial {
            return Err(format!(
                "the change starts at serial {}, the zone is at {}",
                change.from_serial(),
                self.next.serial
            ));
        }
        // (owner, type the record is or covers) -> (data, signatures).
        type Edits<'a> = BTreeMap<(Vec<u8>, RType), (Vec<&'a Record>, Vec<&'a Record>)>;
        let mut deleted: Edits<'_> = BTreeMap::new();
        let mut added: Edits<'_> = BTreeMap::new();
        for (records, into) in [(&change.deleted, &mut deleted), (&change.added, &mut added)] {
            for r in records.iter() {
                let (rtype, is_sig) = match r.rtype {
                    RType::RRSIG => (
                        RType(u16::from_be_bytes([
                            *r.rdata.first().unwrap_or(&0),
                            *r.rdata.get(1).unwrap_or(&0),
                        ])),
                        true,
                    ),
                    t => (t, false),
                };
                let entry = into
                    .entry((r.owner.as_wire().to_ascii_lowercase(), rtype))
                    .or_default();
                if is_sig {
                    entry.1.push(r);
                } else {
                    entry.0.push(r);
                }
            }
        }
        let mut touched: Vec<(Vec<u8>, RType)> = deleted.keys().cloned().collect();
        touched.extend(added.keys().cloned());
        touched.sort();
        touched.dedup();
        for (lower, rtype) in touched {
            let owner = added
                .get(&(lower.clone(), rtype))
                .and_then(|(d, s)| d.first().or(s.first()))
                .or_else(|| {
                    deleted
                        .get(&(lower.clone(), rtype))
                        .and_then(|(d, s)| d.first().or(s.first()))
                })
                .map(|r| r.owner.clone())
                .expect("every touched set has a record");
            let current = self.set(&owner, rtype);
            let mut data: Vec<Vec<u8>> = current
                .map(|s| s.records.iter().map(<[u8]>::to_vec).collect())
                .unwrap_or_default();
            let mut sigs: Vec<Vec<u8>> = current
                .map(|s| s.sigs.iter().map(<[u8]>::to_vec).collect())
                .unwrap_or_default();
            let (mut ttl, mut sig_ttl) = current.map_or((0, 0), |s| (s.ttl, s.sig_ttl));
            if let Some((d, s)) = deleted.get(&(lower.clone(), rtype)) {
                for (list, gone) in [(&mut data, d), (&mut sigs, s)] {
                    for r in gone.iter() {
                        let at =
                            list.iter()
                                .position(|x| x[..] == r.rdata[..])
                                .ok_or_else(|| {
                                    format!("{} {} is not in the zone to delete", r.owner, r.rtype)
                                })?;
                        list.remove(at);
                    }
                }
            }
            if let Some((d, s)) = added.get(&(lower.clone(), rtype)) {
                for r in d.iter() {
                    ttl = r.ttl;
                    if !data.iter().any(|x| x[..] == r.rdata[..]) {
                        data.push(r.rdata.to_vec());
                    }
                }
                for r in s.iter() {
                    sig_ttl = r.ttl;
                    if !sigs.iter().any(|x| x[..] == r.rdata[..]) {
                        sigs.push(r.rdata.to_vec());
                    }
                }
            }
            let data_refs: Vec<&[u8]> = data.iter().map(|d| &d[..]).collect();
            let sig_refs: Vec<&[u8]> = sigs.iter().map(|d| &d[..]).collect();
            self.put(&owner, rtype, ttl, &data_refs, &sig_refs, sig_ttl)
                .map_err(|e| e.to_string())?;
        }
        // The new SOA, keeping the signatures the sequence left over it.
        let apex = self.next.apex.name.clone();
        let sigs: Vec<Vec<u8>> = self
            .set(&apex, RType::SOA)
            .map(|s| s.sigs.iter().map(<[u8]>::to_vec).collect())
            .unwrap_or_default();
        let sig_ttl = self.set(&apex, RType::SOA).map_or(0, |s| s.sig_ttl);
        let sig_refs: Vec<&[u8]> = sigs.iter().map(|d| &d[..]).collect();
        self.put(
            &apex,
            RType::SOA,
            change.to.ttl,
            &[&change.to.rdata[..]],
            &sig_refs,
            sig_ttl,
        )
        .map_err(|e| e.to_string())
    }

    /// Whether a name below `key` exists (its first descendant comes
    /// right after it in canonical order).
    fn has_children(&self, key: &[u8]) -> bool {
        self.next
            .nodes
            .range::<_, [u8]>((std::ops::Bound::Excluded(key), std::ops::Bound::Unbounded))
            .next()
            .is_some_and(|(k, _)| k.starts_with(key) && k.len() > key.len())
    }

    fn add_missing_ancestors(&mut self, owner: &Name, keybuf: &KeyBuf) {
        for depth in (1..keybuf.label_count()).rev() {
            let prefix = keybuf.prefix(depth);
            if self.next.nodes.contains_key(prefix) {
                break;
            }
            let wire = strip_labels(owner.as_wire(), keybuf.label_count() - depth);
            let name = Name::from_wire(wire).expect("an ancestor of a valid name is valid");
            self.set_node(prefix.into(), Arc::new(Node::new(name, Vec::new(), false)));
        }
    }

    fn remove_empty_ancestors(&mut self, keybuf: &KeyBuf) {
        for depth in (1..keybuf.label_count()).rev() {
            let prefix = keybuf.prefix(depth);
            let empty = self
                .next
                .nodes
                .get(prefix)
                .is_some_and(|n| n.sets.is_empty());
            if !empty || self.has_children(prefix) {
                break;
            }
            self.remove_node(prefix);
        }
    }

    fn mark_wildcard_parent(&mut self, keybuf: &KeyBuf, present: bool) {
        let parent = keybuf.prefix(keybuf.label_count() - 1);
        if let Some(node) = self.next.nodes.get(parent) {
            let mut node = (**node).clone();
            if present {
                node.flags |= flag::WILDCARD_CHILD;
            } else {
                node.flags &= !flag::WILDCARD_CHILD;
            }
            self.set_node(parent.into(), Arc::new(node));
        }
    }

    /// Both maps hold every node.
    fn set_node(&mut self, key: Key, node: Arc<Node>) {
        self.next.index.insert(key.clone(), node.clone());
        self.next.nodes.insert(key, node);
    }

    fn remove_node(&mut self, key: &[u8]) {
        self.next.index.remove(&KeyRef(key));
        self.next.nodes.remove(key);
    }

    fn refresh_apex(&mut self) {
        if let Some(apex) = self.next.nodes.get(&[][..]) {
            self.next.apex = apex.clone();
            self.next.nsec3_param = read_nsec3_param(apex);
            self.next.signed = apex_is_signed(apex);
            if let Some(soa) = apex.get(RType::SOA) {
                self.next.serial = soa.records.iter().next().map_or(0, soa_serial);
            }
        }
    }

    /// The new version, for readers to switch to.
    pub fn finish(self) -> ZoneVersion {
        self.next
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::zone::reader::{ReadOptions, read_bytes};

    /// A version of the zone `example.` from zone file text.
    pub(crate) fn version(text: &str) -> ZoneVersion {
        let origin = Name::parse(b"example.", None).unwrap();
        let read = ReadOptions {
            origin: Some(origin.clone()),
            ..Default::default()
        };
        let outcome = read_bytes("t", text.as_bytes(), read);
        assert_eq!(outcome.error_count(), 0);
        let zone = Zone::from_records(origin, 1, outcome.records).0;
        ZoneVersion::from_zone(&zone).unwrap()
    }

    fn key(name: &str) -> Vec<u8> {
        let mut buf = KeyBuf::new();
        let name = Name::parse(name.as_bytes(), None).unwrap();
        canonical_key(name.as_wire(), 1, &mut buf);
        buf.as_bytes().to_vec()
    }

    const ZONE: &str =
        "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\na.b.c A 192.0.2.2\n*.w TXT x\n";

    #[test]
    fn rfc4592_2_2_2_empty_non_terminals_are_nodes_and_wildcards_mark_parents() {
        let v = version(ZONE);
        for ent in ["b.c.example.", "c.example.", "w.example."] {
            let node = v.get(&key(ent)).unwrap_or_else(|| panic!("{ent}"));
            assert!(node.is_empty(), "{ent} holds no data");
        }
        assert!(v.get(&key("w.example.")).unwrap().has(flag::WILDCARD_CHILD));
        assert!(v.get(&key("x.example.")).is_none());
        assert_eq!(v.serial, 1);
        // Back to the flat form, unchanged.
        let again = v.to_zone();
        assert_eq!(again.record_count(), 5);
    }

    /// What an IXFR difference sequence does to the version it starts
    /// from: the same as loading the newer file (names, empty
    /// non-terminals and wildcard marks alike).
    #[test]
    fn rfc1995_4_a_difference_applied_to_the_old_version_gives_the_new() {
        let old = version(ZONE);
        let new = version(
            "$TTL 60\n@ SOA ns hm 2 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nns A 192.0.2.7\nx.y.z TXT new\n*.w TXT x\n*.v TXT y\n",
        );
        let (deleted, added) = old.diff(&new);
        let change = crate::xfr::Changeset {
            from: old.soa(),
            to: new.soa(),
            deleted,
            added,
        };
        let mut editor = old.edit();
        editor.apply(&change).unwrap();
        let got = editor.finish();
        assert_eq!(got.serial, 2);
        assert_eq!(got.diff(&new), (Vec::new(), Vec::new()));
        assert_eq!(got.node_count(), new.node_count());
        assert!(
            got.get(&key("v.example."))
                .unwrap()
                .has(flag::WILDCARD_CHILD)
        );
        assert!(got.get(&key("b.c.example.")).is_none(), "the old ENT went");
        // A sequence for another version is refused.
        assert!(got.edit().apply(&change).is_err());
    }

    /// A writer builds the next version beside the current one: readers of
    /// the old version see it unchanged, and untouched nodes are shared.
    #[test]
    fn an_edit_makes_a_new_version_sharing_what_it_did_not_touch() {
        let old = version(ZONE);
        let mut editor = old.edit();
        let owner = Name::parse(b"new.d.example.", None).unwrap();
        editor
            .put(&owner, RType::A, 60, &[&[192, 0, 2, 9]], &[], 0)
            .unwrap();
        let removed = Name::parse(b"a.b.c.example.", None).unwrap();
        editor.put(&removed, RType::A, 60, &[], &[], 0).unwrap();
        let soa = old
            .apex()
            .get(RType::SOA)
            .unwrap()
            .records
            .iter()
            .next()
            .unwrap()
            .to_vec();
        let mut bumped = soa.clone();
        let at = bumped.len() - 20;
        bumped[at..at + 4].copy_from_slice(&2u32.to_be_bytes());
        editor
            .put(&old.origin.clone(), RType::SOA, 60, &[&bumped], &[], 0)
            .unwrap();
        let new = editor.finish();
        // The old version is as it was.
        assert!(old.get(&key("a.b.c.example.")).is_some());
        assert!(old.get(&key("new.d.example.")).is_none());
        assert_eq!(old.serial, 1);
        // The new one has the change, its empty non-terminal, and lost the
        // ones that only led to the removed name.
        assert_eq!(new.serial, 2);
        assert!(new.get(&key("new.d.example.")).is_some());
        assert!(new.get(&key("d.example.")).is_some_and(|n| n.is_empty()));
        for gone in ["a.b.c.example.", "b.c.example.", "c.example."] {
            assert!(new.get(&key(gone)).is_none(), "{gone}");
        }
        // Untouched nodes are the same allocation in both versions.
        let shared = |v: &ZoneVersion| v.get(&key("ns.example.")).unwrap() as *const Node;
        assert_eq!(shared(&old), shared(&new));
        // The ordered map agrees with the index.
        assert_eq!(new.nodes.len(), new.index.len());
        // Removing the wildcard clears its parent's mark.
        let mut editor = new.edit();
        editor
            .put(
                &Name::parse(b"*.w.example.", None).unwrap(),
                RType::TXT,
                60,
                &[],
                &[],
                0,
            )
            .unwrap();
        let newer = editor.finish();
        assert!(newer.get(&key("w.example.")).is_none());
    }
}
