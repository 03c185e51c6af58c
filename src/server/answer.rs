//! The answer engine: one query in, one response out, written into the
//! caller's buffer without allocating.
//!
//! The lookup follows RFC 1034 §4.3.2: find the most specific zone served,
//! walk down from its apex one label at a time (stopping at a zone cut for
//! a referral, RFC 1034 §4.3.2 step 3b, or at a DNAME for a synthesised
//! CNAME, RFC 6672 §3.2), then answer the exact match, a wildcard at the
//! closest encloser (RFC 4592 §3.3), or NXDOMAIN. A CNAME is followed
//! through every zone served here. With DO set (RFC 4035 §3.1) each RRset
//! comes with its RRSIGs, and negative answers, wildcard answers and
//! unsigned referrals come with their NSEC (RFC 4035 §3.1.3) or NSEC3
//! (RFC 5155 §7.2) proofs.

use std::collections::HashMap;
use std::sync::Arc;

use arc_swap::ArcSwap;

use crate::wire::rcode;

use super::key::{KeyBuf, canonical_key, strip_labels};
use super::response::{Owner, Response, Section};
use super::store::{Node, StoredSet, ZoneVersion, flag};
use crate::zone::{Name, RType};

const CLASS_IN: u16 = 1;
const CLASS_CH: u16 = 3;
const CLASS_ANY: u16 = 255;
/// CNAMEs followed for one query (RFC 1034 §3.6.2 asks for a limit).
const MAX_CHAIN: usize = 12;

/// A zone served, switched to a new version atomically; readers keep the
/// version they loaded until they finish with it.
pub struct ZoneHandle {
    pub origin: Name,
    current: ArcSwap<ZoneVersion>,
    /// A secondary zone past its SOA expire time without a refresh: it
    /// answers SERVFAIL (RFC 1034 §4.3.5) until a transfer succeeds.
    expired: std::sync::atomic::AtomicBool,
}

impl ZoneHandle {
    pub fn new(version: ZoneVersion) -> ZoneHandle {
        ZoneHandle {
            origin: version.origin.clone(),
            current: ArcSwap::from_pointee(version),
            expired: std::sync::atomic::AtomicBool::new(false),
        }
    }
    pub fn load(&self) -> arc_swap::Guard<Arc<ZoneVersion>> {
        self.current.load()
    }
    /// The current version, held for as long as a transfer needs it.
    pub fn load_full(&self) -> Arc<ZoneVersion> {
        self.current.load_full()
    }
    pub fn is_expired(&self) -> bool {
        self.expired.load(std::sync::atomic::Ordering::Relaxed)
    }
    pub fn set_expired(&self, expired: bool) {
        self.expired
            .store(expired, std::sync::atomic::Ordering::Relaxed);
    }
    pub fn store(&self, version: ZoneVersion) {
        self.current.store(Arc::new(version));
    }
}

/// FNV-1a: the catalog is looked up once per label of every query name,
/// with keys no client chooses the set of (the apexes are ours), so a
/// fast hash serves better than the default SipHash.
#[derive(Default, Clone, Copy)]
pub struct FnvHasher(u64);

impl std::hash::Hasher for FnvHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FnvBuild = std::hash::BuildHasherDefault<FnvHasher>;

/// The zones a server answers for, found by their lowercased apex.
#[derive(Default, Clone)]
pub struct Catalog {
    zones: HashMap<Box<[u8]>, Arc<ZoneHandle>, FnvBuild>,
}

impl Catalog {
    pub fn insert(&mut self, handle: Arc<ZoneHandle>) {
        let key = handle
            .origin
            .as_wire()
            .to_ascii_lowercase()
            .into_boxed_slice();
        self.zones.insert(key, handle);
    }
    pub fn remove(&mut self, origin: &Name) -> Option<Arc<ZoneHandle>> {
        self.zones
            .remove(&origin.as_wire().to_ascii_lowercase()[..])
    }
    pub fn get(&self, origin: &Name) -> Option<&Arc<ZoneHandle>> {
        self.zones.get(&origin.as_wire().to_ascii_lowercase()[..])
    }
    /// The zone whose apex is `lower` (a lowercased wire name) exactly.
    pub fn get_wire(&self, lower: &[u8]) -> Option<&Arc<ZoneHandle>> {
        self.zones.get(lower)
    }
    pub fn len(&self) -> usize {
        self.zones.len()
    }
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }
    /// The most specific zone holding `lower` (a lowercased wire name),
    /// skipping the first `skip` candidates (1 finds a parent zone).
    fn find(&self, lower: &[u8], mut skip: usize) -> Option<&Arc<ZoneHandle>> {
        let mut at = 0;
        loop {
            if let Some(h) = self.zones.get(&lower[at..]) {
                if skip == 0 {
                    return Some(h);
                }
                skip -= 1;
            }
            let len = *lower.get(at)? as usize;
            if len == 0 {
                return None;
            }
            at += len + 1;
        }
    }
}

/// Server identity answers in class CH (RFC 4892): off unless configured.
#[derive(Debug, Clone, Default)]
pub struct Identity {
    /// `id.server.` and `hostname.bind.`
    pub id: Option<String>,
    /// `version.server.` and `version.bind.`
    pub version: Option<String>,
}

/// Lowercases a wire name into `out`; returns its length.
pub fn lowercase_name(wire: &[u8], out: &mut [u8; 255]) -> usize {
    lowercase(wire, out)
}

fn lowercase(wire: &[u8], out: &mut [u8; 255]) -> usize {
    let n = wire.len().min(255);
    for (o, b) in out.iter_mut().zip(&wire[..n]) {
        *o = b.to_ascii_lowercase();
    }
    n
}

/// Where the answer for one name goes next. The name is carried by value:
/// boxing it would allocate once per CNAME followed.
#[allow(clippy::large_enum_variant)]
enum Next {
    Done,
    /// Follow a CNAME to this name.
    Chase([u8; 255], usize),
}

/// Builds one response. `dnssec` is the query's DO bit; `tcp` lifts the
/// ANY restriction.
pub struct Answerer<'r, 'b> {
    pub response: &'r mut Response<'b>,
    /// The query's DO bit.
    pub dnssec_ok: bool,
    /// DO, and the zone answering now is signed.
    dnssec: bool,
    pub tcp: bool,
    pub qtype: RType,
    pub rcode: u16,
    pub aa: bool,
    pub tc: bool,
    /// NSEC/NSEC3 owners already in the authority section, to add each once.
    proofs: [*const Node; 8],
    proof_count: usize,
}

impl<'r, 'b> Answerer<'r, 'b> {
    pub fn new(response: &'r mut Response<'b>, qtype: RType, dnssec: bool, tcp: bool) -> Self {
        Answerer {
            response,
            dnssec_ok: dnssec,
            dnssec: false,
            tcp,
            qtype,
            rcode: rcode::NOERROR,
            aa: false,
            tc: false,
            proofs: [std::ptr::null(); 8],
            proof_count: 0,
        }
    }

    /// Answers a query of class IN (or ANY) for `qname`.
    pub fn answer(&mut self, catalog: &Catalog, qname: &[u8], qclass: u16) {
        if qclass != CLASS_IN && qclass != CLASS_ANY {
            self.rcode = rcode::REFUSED;
            return;
        }
        let mut lower = [0u8; 255];
        let n = lowercase(qname, &mut lower);
        // DS lives on the parent side of a cut (RFC 4035 §3.1.4.1): at a
        // zone's apex it is answered from the parent zone when served here.
        let mut handle = catalog.find(&lower[..n], 0);
        if self.qtype == RType::DS
            && handle.is_some_and(|h| h.origin.wire_len() == n)
            && let Some(parent) = catalog.find(&lower[..n], 1)
        {
            handle = Some(parent);
        }
        let Some(handle) = handle else {
            // RFC 8906 §3.1.3.1: a name in no zone served is REFUSED.
            self.rcode = rcode::REFUSED;
            return;
        };
        if handle.is_expired() {
            self.rcode = rcode::SERVFAIL;
            return;
        }
        self.aa = true;
        let version = handle.load();
        let mut next = self.answer_in_zone(&version, qname, &lower[..n], Owner::Question);
        drop(version);
        let mut hops = 0;
        while let Next::Chase(target, len) = next {
            hops += 1;
            if hops > MAX_CHAIN || self.tc {
                break;
            }
            let n = lowercase(&target[..len], &mut lower);
            let Some(handle) = catalog.find(&lower[..n], 0).filter(|h| !h.is_expired()) else {
                break; // out of our zones: the resolver follows it
            };
            let version = handle.load();
            next = self.answer_in_zone(
                &version,
                &target[..len],
                &lower[..n],
                Owner::Wire(&target[..len]),
            );
        }
    }

    /// Class CH identity queries (RFC 4892): answered when configured,
    /// REFUSED otherwise.
    pub fn answer_chaos(&mut self, identity: &Identity, qname: &[u8]) {
        let mut lower = [0u8; 255];
        let n = lowercase(qname, &mut lower);
        let text = match &lower[..n] {
            b"\x02id\x06server\x00" | b"\x08hostname\x04bind\x00" => identity.id.as_deref(),
            b"\x07version\x06server\x00" | b"\x07version\x04bind\x00" => {
                identity.version.as_deref()
            }
            _ => None,
        };
        let Some(text) = text else {
            self.rcode = rcode::REFUSED;
            return;
        };
        self.aa = true;
        if self.qtype != RType::TXT && self.qtype != RType(255) {
            return; // NODATA
        }
        let mut rdata = [0u8; 256];
        let bytes = &text.as_bytes()[..text.len().min(255)];
        rdata[0] = bytes.len() as u8;
        rdata[1..=bytes.len()].copy_from_slice(bytes);
        if self
            .response
            .record(
                Section::Answer,
                Owner::Question,
                RType::TXT,
                CLASS_CH,
                0,
                &rdata[..=bytes.len()],
            )
            .is_none()
        {
            self.tc = true;
        }
    }

    fn answer_in_zone(
        &mut self,
        z: &ZoneVersion,
        qname: &[u8],
        lower: &[u8],
        owner: Owner<'_>,
    ) -> Next {
        self.dnssec = self.dnssec_ok && z.signed;
        let mut key = KeyBuf::new();
        canonical_key(lower, z.origin.label_count(), &mut key);
        let labels = key.label_count();
        let mut node = z.apex();
        let mut depth = 0;
        if node.has(flag::DNAME) && labels > 0 {
            return self.dname(node, qname, owner);
        }
        while depth < labels {
            let Some(next) = z.get(key.prefix(depth + 1)) else {
                break;
            };
            node = next;
            depth += 1;
            if node.has(flag::DELEGATION) && !(depth == labels && self.qtype == RType::DS) {
                self.referral(z, node, depth);
                return Next::Done;
            }
            if node.has(flag::DNAME) && depth < labels {
                return self.dname(node, qname, owner);
            }
        }
        if depth == labels {
            return self.exact(z, node, owner, &key);
        }
        // No such name: a wildcard at the closest encloser answers for it.
        if node.has(flag::WILDCARD_CHILD) {
            let mut wild = KeyBuf::new();
            key.wildcard_at(depth, &mut wild);
            if let Some(source) = z.get(wild.as_bytes()) {
                return self.wildcard(z, source, owner, qname, &key, depth);
            }
        }
        self.rcode = rcode::NXDOMAIN;
        self.negative(z);
        if self.dnssec {
            if z.nsec3_param.is_some() {
                let ce = strip_labels(qname, labels - depth);
                self.closest_encloser_proof(z, qname, labels, depth);
                self.nsec3_cover_wildcard(z, ce);
            } else {
                self.nsec_cover(z, key.as_bytes());
                let mut wild = KeyBuf::new();
                key.wildcard_at(depth, &mut wild);
                self.nsec_cover(z, wild.as_bytes());
            }
        }
        Next::Done
    }

    fn exact(&mut self, z: &ZoneVersion, node: &Node, owner: Owner<'_>, key: &KeyBuf) -> Next {
        let qtype = self.qtype;
        if qtype == RType(255) {
            return self.any(z, node, owner, key);
        }
        // RRSIG and NSEC live beside a CNAME (RFC 4035 §2.5): asked for,
        // they are answered, not the CNAME.
        if node.has(flag::CNAME) && qtype != RType::CNAME && !qtype.may_coexist_with_cname() {
            let cname = node.get(RType::CNAME).expect("flagged");
            if !self.set(Section::Answer, owner, cname) {
                return Next::Done;
            }
            return chase(cname);
        }
        if qtype == RType::RRSIG {
            return self.signatures(z, node, owner, key);
        }
        // At a delegation point only DS and its proofs are the parent's.
        let at_cut = node.has(flag::DELEGATION);
        if let Some(set) = node.get(qtype).filter(|_| !at_cut || qtype == RType::DS) {
            if self.set(Section::Answer, owner, set) {
                self.additional_for(z, set);
            }
            return Next::Done;
        }
        self.nodata(z, node, key);
        Next::Done
    }

    /// RFC 8482 §4.1: over UDP, one RRset answers ANY; over TCP, all.
    fn any(&mut self, z: &ZoneVersion, node: &Node, owner: Owner<'_>, key: &KeyBuf) -> Next {
        let mut sets = node
            .served_sets()
            .filter(|s| !node.has(flag::DELEGATION) || matches!(s.rtype, RType::DS | RType::NSEC));
        let Some(first) = sets.next() else {
            self.nodata(z, node, key);
            return Next::Done;
        };
        if !self.set(Section::Answer, owner, first) || !self.tcp {
            return Next::Done;
        }
        for set in sets {
            if !self.set(Section::Answer, owner, set) {
                break;
            }
        }
        Next::Done
    }

    /// QTYPE RRSIG: the signatures at the name, as a set of their own.
    fn signatures(&mut self, z: &ZoneVersion, node: &Node, owner: Owner<'_>, key: &KeyBuf) -> Next {
        let mut any = false;
        for set in node.sets.iter().filter(|s| !s.sigs.is_empty()) {
            for sig in set.sigs.iter() {
                any = true;
                if self
                    .response
                    .record(
                        Section::Answer,
                        owner,
                        RType::RRSIG,
                        CLASS_IN,
                        set.sig_ttl,
                        sig,
                    )
                    .is_none()
                {
                    self.tc = true;
                    return Next::Done;
                }
            }
        }
        if !any {
            self.nodata(z, node, key);
        }
        Next::Done
    }

    fn nodata(&mut self, z: &ZoneVersion, node: &Node, key: &KeyBuf) {
        self.negative(z);
        if !self.dnssec {
            return;
        }
        if z.nsec3_param.is_some() {
            if !self.nsec3_match(z, node.name.as_wire()) && self.qtype == RType::DS {
                // An opt-out delegation has no NSEC3 of its own (RFC 5155 §7.2.4).
                let labels = key.label_count();
                self.closest_provable_encloser(z, node.name.as_wire(), labels);
            }
        } else if node.has(flag::NSEC) {
            let nsec = node.get(RType::NSEC).expect("flagged");
            self.proof(node, nsec);
        } else {
            // An empty non-terminal: the NSEC before it covers it.
            self.nsec_cover(z, key.as_bytes());
        }
    }

    fn wildcard(
        &mut self,
        z: &ZoneVersion,
        source: &Node,
        owner: Owner<'_>,
        qname: &[u8],
        key: &KeyBuf,
        depth: usize,
    ) -> Next {
        let labels = key.label_count();
        let qtype = self.qtype;
        let set = if source.has(flag::CNAME) && qtype != RType::CNAME {
            source.get(RType::CNAME)
        } else if qtype == RType(255) {
            source.served_sets().next()
        } else {
            source.get(qtype)
        };
        let Some(set) = set else {
            // Wildcard NODATA (RFC 4035 §3.1.3.4, RFC 5155 §7.2.5).
            self.negative(z);
            if self.dnssec {
                if z.nsec3_param.is_some() {
                    self.closest_encloser_proof(z, qname, labels, depth);
                    self.nsec3_match(z, source.name.as_wire());
                } else {
                    self.nsec_cover(z, key.as_bytes());
                    if let Some(nsec) = source.get(RType::NSEC) {
                        self.proof(source, nsec);
                    }
                }
            }
            return Next::Done;
        };
        if !self.set(Section::Answer, owner, set) {
            return Next::Done;
        }
        // The proof that the name itself does not exist (RFC 4035
        // §3.1.3.3, RFC 5155 §7.2.6).
        if self.dnssec {
            if z.nsec3_param.is_some() {
                let next_closer = strip_labels(qname, labels - depth - 1);
                self.nsec3_cover(z, next_closer);
            } else {
                self.nsec_cover(z, key.as_bytes());
            }
        }
        if set.rtype == RType::CNAME && qtype != RType::CNAME {
            return chase(set);
        }
        self.additional_for(z, set);
        Next::Done
    }

    /// A referral (RFC 1034 §4.3.2 step 3b): the NS of the cut, its DS or
    /// the proof there is none, and the glue the resolver needs.
    fn referral(&mut self, z: &ZoneVersion, cut: &Node, depth: usize) {
        self.aa = false;
        let Some(ns) = cut.get(RType::NS) else {
            return;
        };
        let owner = Owner::Wire(cut.name.as_wire());
        if !self.set(Section::Authority, owner, ns) {
            return;
        }
        if self.dnssec {
            match cut.get(RType::DS) {
                Some(ds) => {
                    self.set(Section::Authority, owner, ds);
                }
                None if z.nsec3_param.is_some() => {
                    if !self.nsec3_match(z, cut.name.as_wire()) {
                        self.closest_provable_encloser(z, cut.name.as_wire(), depth);
                    }
                }
                None => {
                    if let Some(nsec) = cut.get(RType::NSEC) {
                        self.proof(cut, nsec);
                    }
                }
            }
        }
        // Glue: addresses of name servers inside the delegated zone must
        // fit (RFC 9471 §3); others are added when there is room.
        for required in [true, false] {
            for rdata in ns.records.iter() {
                let below_cut = crate::zone::name::is_subdomain_wire(rdata, cut.name.as_wire());
                if below_cut == required {
                    let fits = self.addresses(z, rdata);
                    if !fits && required {
                        self.tc = true;
                        return;
                    }
                }
            }
        }
    }

    /// DNAME on the way down (RFC 6672 §3.2): the DNAME, and a CNAME from
    /// the query name to its substitute, which is then followed.
    fn dname(&mut self, node: &Node, qname: &[u8], owner: Owner<'_>) -> Next {
        let dname = node.get(RType::DNAME).expect("flagged");
        let Some(target) = dname.records.iter().next() else {
            return Next::Done;
        };
        if !self.set(Section::Answer, Owner::Wire(node.name.as_wire()), dname) {
            return Next::Done;
        }
        let prefix_len = qname.len() - node.name.wire_len();
        let new_len = prefix_len + target.len();
        if new_len > 255 {
            self.rcode = rcode::YXDOMAIN;
            return Next::Done;
        }
        let mut synthesized = [0u8; 255];
        synthesized[..prefix_len].copy_from_slice(&qname[..prefix_len]);
        synthesized[prefix_len..new_len].copy_from_slice(target);
        if self
            .response
            .record(
                Section::Answer,
                owner,
                RType::CNAME,
                CLASS_IN,
                dname.ttl,
                &synthesized[..new_len],
            )
            .is_none()
        {
            self.tc = true;
            return Next::Done;
        }
        if self.qtype == RType::CNAME {
            return Next::Done;
        }
        Next::Chase(synthesized, new_len)
    }

    /// The SOA for a negative answer, its TTL capped by MINIMUM (RFC 2308 §3).
    fn negative(&mut self, z: &ZoneVersion) {
        let apex = z.apex();
        let Some(soa) = apex.get(RType::SOA) else {
            return;
        };
        let Some(rdata) = soa.records.iter().next() else {
            return;
        };
        let minimum = rdata
            .get(rdata.len().saturating_sub(4)..)
            .map_or(soa.ttl, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
        let ttl = soa.ttl.min(minimum);
        let owner = Owner::Wire(apex.name.as_wire());
        if self
            .response
            .record(Section::Authority, owner, RType::SOA, CLASS_IN, ttl, rdata)
            .is_none()
        {
            self.tc = true;
            return;
        }
        if self.dnssec {
            for sig in soa.sigs.iter() {
                if self
                    .response
                    .record(Section::Authority, owner, RType::RRSIG, CLASS_IN, ttl, sig)
                    .is_none()
                {
                    self.tc = true;
                    return;
                }
            }
        }
    }

    /// Writes an RRset (and with DO its signatures); false, TC set and
    /// nothing of the set written when it does not fit.
    fn set(&mut self, section: Section, owner: Owner<'_>, set: &StoredSet) -> bool {
        let mark = self.response.mark();
        let fits = self.write_set(section, owner, set);
        if !fits {
            self.response.rollback(mark);
            if section != Section::Additional {
                self.tc = true;
            }
        }
        fits
    }

    fn write_set(&mut self, section: Section, owner: Owner<'_>, set: &StoredSet) -> bool {
        for rdata in set.records.iter() {
            if self
                .response
                .record(section, owner, set.rtype, CLASS_IN, set.ttl, rdata)
                .is_none()
            {
                return false;
            }
        }
        if self.dnssec {
            for sig in set.sigs.iter() {
                if self
                    .response
                    .record(section, owner, RType::RRSIG, CLASS_IN, set.sig_ttl, sig)
                    .is_none()
                {
                    return false;
                }
            }
        }
        true
    }

    /// Adds an NSEC or NSEC3 set to the authority section, once.
    fn proof(&mut self, node: &Node, set: &StoredSet) {
        let ptr = node as *const Node;
        if self.proofs[..self.proof_count].contains(&ptr) {
            return;
        }
        if self.proof_count < self.proofs.len() {
            self.proofs[self.proof_count] = ptr;
            self.proof_count += 1;
        }
        self.set(Section::Authority, Owner::Wire(node.name.as_wire()), set);
    }

    fn nsec_cover(&mut self, z: &ZoneVersion, key: &[u8]) {
        if let Some(node) = z.nsec_covering(key)
            && let Some(nsec) = node.get(RType::NSEC)
        {
            self.proof(node, nsec);
        }
    }

    /// The NSEC3 whose hash is that of `name`; false if there is none.
    fn nsec3_match(&mut self, z: &ZoneVersion, name: &[u8]) -> bool {
        let mut hash = [0u8; 20];
        if !z.nsec3_hash(name, &mut hash) {
            return false;
        }
        match z.nsec3_find(&hash) {
            Some((node, true)) => {
                if let Some(set) = node.get(RType::NSEC3) {
                    self.proof(node, set);
                }
                true
            }
            _ => false,
        }
    }

    /// The NSEC3 that covers the hash of `name`.
    fn nsec3_cover(&mut self, z: &ZoneVersion, name: &[u8]) {
        let mut hash = [0u8; 20];
        if !z.nsec3_hash(name, &mut hash) {
            return;
        }
        if let Some((node, _)) = z.nsec3_find(&hash)
            && let Some(set) = node.get(RType::NSEC3)
        {
            self.proof(node, set);
        }
    }

    fn nsec3_cover_wildcard(&mut self, z: &ZoneVersion, encloser: &[u8]) {
        let mut wild = [0u8; 257];
        wild[0] = 1;
        wild[1] = b'*';
        let n = encloser.len().min(253);
        wild[2..2 + n].copy_from_slice(&encloser[..n]);
        if n + 2 <= 255 {
            self.nsec3_cover(z, &wild[..n + 2]);
        }
    }

    /// RFC 5155 §7.2.1: the NSEC3 matching the closest encloser (the
    /// ancestor of `qname` at `depth` labels below the apex) and the one
    /// covering the next closer name.
    fn closest_encloser_proof(
        &mut self,
        z: &ZoneVersion,
        qname: &[u8],
        labels: usize,
        depth: usize,
    ) {
        let ce = strip_labels(qname, labels - depth);
        self.nsec3_match(z, ce);
        let next_closer = strip_labels(qname, labels - depth - 1);
        self.nsec3_cover(z, next_closer);
    }

    /// RFC 5155 §7.2.4 and §7.2.7: the closest ancestor of `name` with an
    /// NSEC3 of its own, and the (opt-out) NSEC3 covering the next closer.
    fn closest_provable_encloser(&mut self, z: &ZoneVersion, name: &[u8], labels: usize) {
        for up in 1..=labels {
            let ancestor = strip_labels(name, up);
            let mut hash = [0u8; 20];
            if !z.nsec3_hash(ancestor, &mut hash) {
                return;
            }
            if let Some((node, true)) = z.nsec3_find(&hash) {
                if let Some(set) = node.get(RType::NSEC3) {
                    self.proof(node, set);
                }
                self.nsec3_cover(z, strip_labels(name, up - 1));
                return;
            }
        }
    }

    /// Addresses of the targets of NS, MX and SRV records (RFC 1035 §3.3.9,
    /// RFC 2782) when the zone holds them and there is room.
    fn additional_for(&mut self, z: &ZoneVersion, set: &StoredSet) {
        let offset = match set.rtype {
            RType::NS => 0,
            RType::MX => 2,
            RType::SRV => 6,
            _ => return,
        };
        for rdata in set.records.iter() {
            if let Some(target) = rdata.get(offset..) {
                self.addresses(z, target);
            }
        }
    }

    /// A and AAAA of `name` (a wire name, maybe followed by more rdata) in
    /// the additional section; false if some did not fit.
    fn addresses(&mut self, z: &ZoneVersion, name: &[u8]) -> bool {
        let Some(len) = crate::zone::name::wire_name_len(name) else {
            return true;
        };
        let name = &name[..len];
        if !crate::zone::name::is_subdomain_wire(name, z.origin.as_wire()) {
            return true;
        }
        let mut key = KeyBuf::new();
        canonical_key(name, z.origin.label_count(), &mut key);
        let Some(node) = z.get(key.as_bytes()) else {
            return true;
        };
        let mut fits = true;
        for t in [RType::A, RType::AAAA] {
            if let Some(set) = node.get(t) {
                fits &= self.set(Section::Additional, Owner::Wire(node.name.as_wire()), set);
            }
        }
        fits
    }
}

fn chase(cname: &StoredSet) -> Next {
    match cname.records.iter().next() {
        Some(target) if target.len() <= 255 => {
            let mut buf = [0u8; 255];
            buf[..target.len()].copy_from_slice(target);
            Next::Chase(buf, target.len())
        }
        _ => Next::Done,
    }
}
