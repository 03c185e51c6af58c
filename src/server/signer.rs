//! Online signing: a zone the server signs itself with keys from a key
//! directory (RFC 4035 §2, RFC 5155 §7.1). Signed whole at load (reusing
//! every signature that still holds), then kept signed one change at a
//! time: an update re-signs only the RRsets it touched, and the NSEC or
//! NSEC3 records of the names whose existence or types changed with
//! those of their neighbours in the chain. In the background, signatures
//! that near expiry, keys that change state by their timing metadata and
//! new key files are dealt with in small batches, each its own version.
//!
//! The whole-zone signer of `zonectl sign` does the load-time work and
//! signs every RRset here too ([`sign::sign_rrset`]), so both make the
//! same records.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::key::KeyBuf;
use super::store::{Node, NodeCursor, StoreError, StoredSet, ZoneEditor, ZoneVersion, flag};
use crate::dnssec::keys::SigningKey;
use crate::dnssec::keystore::{self, KeyStoreError};
use crate::dnssec::sign::{self, Denial, SerialPolicy, SignError, SignOptions};
use crate::dnssec::timing::{self, ApexKeys};
use crate::zone::encoding::base32hex_encode;
use crate::zone::rdata::write_type_bitmap;
use crate::zone::{Name, Pos, RRset, RType, Zone};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    #[error(transparent)]
    Keys(#[from] KeyStoreError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("no key of {zone} in {dir} is active now: nothing can sign")]
    NoActiveKey { zone: String, dir: String },
    #[error("{path}: {reason}")]
    ForeignKeys { path: String, reason: String },
}

/// How a zone is signed (the `dnssec:` section of a zone's configuration,
/// its durations in seconds).
#[derive(Debug, Clone, PartialEq)]
pub struct SignerSettings {
    pub key_directory: PathBuf,
    /// DNSKEYs of other signers to publish (a `.key` file or a directory
    /// of them), never used to sign.
    pub foreign_keys: Option<PathBuf>,
    pub denial: Denial,
    pub salt: Vec<u8>,
    /// Signatures are made valid for this long.
    pub validity: u32,
    /// Signatures with less than this left are made anew.
    pub refresh: u32,
    /// Expirations are spread over this much before `validity`, so that
    /// re-signing comes in a stream rather than all at once.
    pub jitter: u32,
    /// Publish CDS and CDNSKEY for the KSKs in their sync window.
    pub cds: bool,
    /// Signatures made per background version at most.
    pub batch: usize,
}

/// Signatures start this long before they are made, for clocks behind
/// ours (BIND and Knot use an hour too).
const INCEPTION_SKEW: u32 = 3600;

/// The keys of a zone as they stand at one moment.
struct KeySet {
    /// The keys that sign now.
    active: Vec<SigningKey>,
    apex: ApexKeys,
    /// When a key next changes state.
    next_event: Option<u32>,
}

/// The keys and signature settings of one signing step.
struct Pass {
    keys: Arc<KeySet>,
    options: SignOptions,
}

/// The signer of one zone.
pub struct ZoneSigner {
    pub origin: Name,
    pub settings: SignerSettings,
    keys: ArcSwap<KeySet>,
}

/// Where a name stands in its zone, for signing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Apex,
    Authoritative,
    Delegation,
    /// Below a zone cut: glue or occluded, never signed. (Names below a
    /// DNAME, which RFC 6672 §2.3 forbids and `check` reports, are signed
    /// as the whole-zone signer signs them; the server never reaches them.)
    Occluded,
}

/// The data types of a node (not its NSEC, not orphan signatures).
fn data_sets(node: &Node) -> impl Iterator<Item = &StoredSet> {
    node.sets
        .iter()
        .filter(|s| !s.records.is_empty() && s.rtype != RType::NSEC)
}

fn has_data(node: &Node) -> bool {
    data_sets(node).next().is_some()
}

fn place_of(version: &ZoneVersion, node: &Node) -> Place {
    let mut keybuf = KeyBuf::new();
    version.key_of(&node.name, &mut keybuf);
    if keybuf.label_count() == 0 {
        return Place::Apex;
    }
    for depth in 1..keybuf.label_count() {
        if version
            .get(keybuf.prefix(depth))
            .is_some_and(|n| n.has(flag::DELEGATION))
        {
            return Place::Occluded;
        }
    }
    if node.has(flag::DELEGATION) {
        Place::Delegation
    } else {
        Place::Authoritative
    }
}

/// Whether an RRset of `rtype` at a name of this place is signed.
fn is_signed(place: Place, rtype: RType) -> bool {
    match place {
        Place::Apex | Place::Authoritative => true,
        Place::Delegation => matches!(rtype, RType::DS | RType::NSEC),
        Place::Occluded => false,
    }
}

fn read_foreign_keys(path: &PathBuf) -> Result<Vec<Vec<u8>>, SignerError> {
    let failed = |reason: String| SignerError::ForeignKeys {
        path: path.display().to_string(),
        reason,
    };
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| failed(crate::fsutil::io_reason(&e)))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "key"))
            .collect();
        files.sort();
        files
    } else {
        vec![path.clone()]
    };
    let mut keys = Vec::new();
    for file in files {
        let text = std::fs::read(&file).map_err(|e| failed(crate::fsutil::io_reason(&e)))?;
        let outcome = crate::zone::reader::read_bytes(
            &file.display().to_string(),
            &text,
            crate::zone::reader::ReadOptions::default(),
        );
        if let Some(d) = outcome.diagnostics.first() {
            return Err(failed(d.to_string()));
        }
        keys.extend(
            outcome
                .records
                .into_iter()
                .filter(|r| r.rtype == RType::DNSKEY)
                .map(|r| r.rdata.to_vec()),
        );
    }
    Ok(keys)
}

impl ZoneSigner {
    /// Reads the zone's keys; an error if none signs now.
    pub fn new(
        origin: Name,
        settings: SignerSettings,
        now: u32,
    ) -> Result<ZoneSigner, SignerError> {
        let keys = Self::read_keys(&origin, &settings, now)?;
        Ok(ZoneSigner {
            origin,
            settings,
            keys: ArcSwap::from_pointee(keys),
        })
    }

    fn read_keys(
        origin: &Name,
        settings: &SignerSettings,
        now: u32,
    ) -> Result<KeySet, SignerError> {
        let all = keystore::load(std::slice::from_ref(&settings.key_directory), origin)?;
        let foreign = match &settings.foreign_keys {
            Some(path) => read_foreign_keys(path)?,
            None => Vec::new(),
        };
        let apex = timing::apex_keys(&all, &foreign, now, settings.cds);
        let next_event = all.iter().filter_map(|k| timing::next_event(k, now)).min();
        let active_at: BTreeSet<usize> = apex.active.iter().copied().collect();
        let active: Vec<SigningKey> = all
            .into_iter()
            .enumerate()
            .filter(|(i, _)| active_at.contains(i))
            .map(|(_, k)| k)
            .collect();
        if active.is_empty() {
            return Err(SignerError::NoActiveKey {
                zone: origin.to_string(),
                dir: settings.key_directory.display().to_string(),
            });
        }
        Ok(KeySet {
            active,
            apex,
            next_event,
        })
    }

    /// Reads the key directory again (keys added, timing reached):
    /// whether the keys that sign or the apex key RRsets changed.
    pub fn reload_keys(&self, now: u32) -> Result<bool, SignerError> {
        let fresh = Self::read_keys(&self.origin, &self.settings, now)?;
        let current = self.keys.load();
        let tags = |k: &KeySet| {
            k.active
                .iter()
                .map(|k| k.dnskey_rdata())
                .collect::<Vec<_>>()
        };
        let changed = fresh.apex != current.apex || tags(&fresh) != tags(&current);
        self.keys.store(Arc::new(fresh));
        Ok(changed)
    }

    /// The tags of the keys that sign now.
    pub fn active_key_tags(&self) -> Vec<u16> {
        self.keys
            .load()
            .active
            .iter()
            .map(SigningKey::tag)
            .collect()
    }

    /// When a key next changes state.
    pub fn next_key_event(&self) -> Option<u32> {
        self.keys.load().next_event
    }

    fn options(&self, now: u32) -> SignOptions {
        SignOptions {
            now,
            inception: now.wrapping_sub(INCEPTION_SKEW),
            expiration: now.wrapping_add(self.settings.validity),
            jitter: self.settings.jitter,
            denial: self.settings.denial,
            salt: self.settings.salt.clone(),
            force_iterations: false,
            serial: SerialPolicy::Keep,
            refresh: Some(self.settings.refresh),
            zonemd: false,
            cds: false,
            cds_delete: false,
            progress: None,
            progress_total: None,
            trusted: None,
        }
    }

    /// The keys as they stand and the options for signing at `now`;
    /// `reuse` keeps signatures with longer than the refresh interval
    /// left (made fresh otherwise).
    fn pass(&self, now: u32, reuse: bool) -> Pass {
        let mut options = self.options(now);
        if !reuse {
            options.refresh = None;
        }
        Pass {
            keys: self.keys.load_full(),
            options,
        }
    }

    /// Signs a zone as loaded from its file: the apex key RRsets replaced
    /// by the keys' own, the denial chain made anew, and every signature
    /// kept that still verifies and has longer than the refresh interval
    /// left, whether from the file or from `previous` (the version served
    /// before a reload).
    ///
    /// `own_file` says the zone is a file this server wrote and sealed,
    /// unchanged since: its signatures over RRsets that stay as they are
    /// are then reused without verifying them (see [`sign::FileTrust`]).
    pub fn sign_loaded(
        &self,
        zone: Zone,
        previous: Option<&ZoneVersion>,
        own_file: bool,
        now: u32,
    ) -> Result<(Zone, sign::SignStats), SignerError> {
        let keys = self.keys.load();
        let trust = own_file.then(|| Arc::new(sign::FileTrust::of(&zone)));
        let (origin, class) = (zone.origin.clone(), zone.class);
        let soa_ttl = zone.soa().map_or(3600, |s| s.ttl);
        let mut key_ttl = None;
        let mut sets: Vec<RRset> = Vec::with_capacity(zone.rrsets().len() + 3);
        for set in zone.into_rrsets() {
            let managed = matches!(set.rtype, RType::DNSKEY | RType::CDS | RType::CDNSKEY)
                && set.owner.eq_ignore_case(&origin);
            if managed {
                key_ttl.get_or_insert(set.ttl);
            } else {
                sets.push(set);
            }
        }
        let ttl = key_ttl.unwrap_or(soa_ttl);
        let apex_set = |rtype: RType, rdatas: &[Vec<u8>]| RRset {
            owner: origin.clone(),
            rtype,
            class,
            ttl,
            rdatas: rdatas
                .iter()
                .map(|r| r.clone().into_boxed_slice())
                .collect(),
            pos: Pos::default(),
            rdata_pos: Vec::new(),
        };
        for (rtype, rdatas) in [
            (RType::DNSKEY, &keys.apex.dnskey),
            (RType::CDS, &keys.apex.cds),
            (RType::CDNSKEY, &keys.apex.cdnskey),
        ] {
            if !rdatas.is_empty() {
                sets.push(apex_set(rtype, rdatas));
            }
        }
        sets.sort_by(crate::zone::rrset_order);
        let unsigned = Zone::from_sorted_rrsets(origin, class, sets);
        let mut offered = Vec::new();
        if let Some(previous) = previous {
            let mut cursor = NodeCursor::default();
            let mut nodes = Vec::new();
            while !cursor.is_done() {
                nodes.clear();
                previous.next_nodes(&mut cursor, 4096, &mut nodes);
                for node in &nodes {
                    for set in node.sets.iter() {
                        offered.extend(set.sigs.iter().map(|s| (node.name.clone(), s.into())));
                    }
                }
            }
        }
        let options = SignOptions {
            trusted: trust,
            ..self.options(now)
        };
        Ok(sign::sign_zone_reusing(
            unsigned,
            &keys.active,
            &options,
            offered,
        )?)
    }

    /// The version to serve for a zone loaded from its file: signed, its
    /// serial moved on (by `policy`) past the one served before when the
    /// signing changed anything that was served under that serial. What
    /// was served before is `previous` on a reload, or at start the loaded
    /// version itself when it was already signed (a file this server
    /// saved); an unsigned file signed for the first time keeps its
    /// serial. Also says whether the result differs from what was loaded
    /// (then the file should be written: the journal continues from it).
    pub fn sign_version(
        &self,
        loaded: &ZoneVersion,
        previous: Option<&ZoneVersion>,
        policy: super::update::SerialPolicy,
        own_file: bool,
        now: u32,
    ) -> Result<(ZoneVersion, bool), SignerError> {
        let (zone, _) = self.sign_loaded(loaded.to_zone(), previous, own_file, now)?;
        let signed = ZoneVersion::from_zone(&zone)?;
        let Some(before) = previous.or(loaded.signed.then_some(loaded)) else {
            return Ok((signed, true));
        };
        if crate::zone::serial::compare(signed.serial, before.serial)
            == Some(std::cmp::Ordering::Greater)
        {
            return Ok((signed, true));
        }
        let (deleted, added) = before.diff(&signed);
        if signed.serial == before.serial && deleted.is_empty() && added.is_empty() {
            return Ok((signed, previous.is_some()));
        }
        let mut editor = signed.edit();
        super::update::set_serial(&mut editor, policy.next(before.serial, now as u64))?;
        self.sign_soa(&mut editor, now)?;
        Ok((editor.finish(), true))
    }

    fn denial_ttl(version: &ZoneVersion) -> u32 {
        let soa = version.soa();
        let minimum = soa.rdata.len().checked_sub(4).map_or(0, |at| {
            u32::from_be_bytes(soa.rdata[at..].try_into().unwrap())
        });
        minimum.min(soa.ttl)
    }

    /// Signs one RRset of the version being edited anew and stores it with
    /// its signatures.
    fn sign_set(
        &self,
        editor: &mut ZoneEditor,
        owner: &Name,
        set: &StoredSet,
        pass: &Pass,
    ) -> Result<usize, SignerError> {
        let rrset = RRset {
            owner: owner.clone(),
            rtype: set.rtype,
            class: editor.version().class,
            ttl: set.ttl,
            rdatas: set.records.iter().map(Into::into).collect(),
            pos: Pos::default(),
            rdata_pos: Vec::new(),
        };
        let previous: Vec<Box<[u8]>> = set.sigs.iter().map(Into::into).collect();
        let signed = sign::sign_rrset(
            &rrset,
            &self.origin,
            &pass.keys.active,
            &pass.options,
            Some(&previous),
        )?;
        let data: Vec<&[u8]> = rrset.rdatas.iter().map(|r| &r[..]).collect();
        let sigs: Vec<&[u8]> = signed.rdatas.iter().map(|r| &r[..]).collect();
        editor.put(owner, set.rtype, set.ttl, &data, &sigs, set.ttl)?;
        Ok(signed.made)
    }

    /// Stores an RRset and signs it.
    fn put_signed(
        &self,
        editor: &mut ZoneEditor,
        owner: &Name,
        rtype: RType,
        ttl: u32,
        rdatas: &[&[u8]],
        pass: &Pass,
    ) -> Result<(), SignerError> {
        editor.put(owner, rtype, ttl, rdatas, &[], 0)?;
        if !rdatas.is_empty() {
            let set = editor.set(owner, rtype).cloned().expect("just stored");
            self.sign_set(editor, owner, &set, pass)?;
        }
        Ok(())
    }

    /// Signs what an edit changed: `touched` are the RRsets it changed
    /// (the SOA among them). Their signatures are made anew; names whose
    /// place changed (a delegation added or removed above them)
    /// have their signatures made or dropped; the denial chain is mended
    /// around every name whose existence or types changed.
    pub fn sign_changes(
        &self,
        editor: &mut ZoneEditor,
        touched: &[(Name, RType)],
        now: u32,
    ) -> Result<(), SignerError> {
        // Fresh signatures for what changed, not old ones kept.
        let pass = self.pass(now, false);
        // Names to look at again, by lowercased wire form.
        let mut dirty: BTreeMap<Vec<u8>, Name> = BTreeMap::new();
        let mut changed_sets: BTreeSet<(Vec<u8>, RType)> = BTreeSet::new();
        for (owner, rtype) in touched {
            let lower = owner.as_wire().to_ascii_lowercase();
            changed_sets.insert((lower.clone(), *rtype));
            dirty.insert(lower, owner.clone());
            let mut ancestor = owner.parent();
            while let Some(a) = ancestor {
                if !a.is_subdomain_of(&self.origin) {
                    break;
                }
                ancestor = a.parent();
                dirty.insert(a.as_wire().to_ascii_lowercase(), a);
            }
            if *rtype == RType::NS && !owner.eq_ignore_case(&self.origin) {
                let mut keybuf = KeyBuf::new();
                editor.version().key_of(owner, &mut keybuf);
                for name in editor.version().subtree(keybuf.as_bytes()) {
                    dirty.insert(name.as_wire().to_ascii_lowercase(), name);
                }
            }
        }
        // Signatures over data.
        for (lower, owner) in &dirty {
            let Some(node) = editor.node(owner).cloned() else {
                continue;
            };
            let place = place_of(editor.version(), &node);
            for set in data_sets(&node) {
                let wanted = is_signed(place, set.rtype);
                let touched = changed_sets.contains(&(lower.clone(), set.rtype));
                if wanted && (touched || set.sigs.is_empty()) {
                    self.sign_set(editor, &node.name, set, &pass)?;
                } else if !wanted && !set.sigs.is_empty() {
                    let data: Vec<&[u8]> = set.records.iter().collect();
                    editor.put(&node.name, set.rtype, set.ttl, &data, &[], 0)?;
                }
            }
        }
        match self.settings.denial {
            Denial::Nsec => self.mend_nsec(editor, &dirty, &pass),
            Denial::Nsec3 {
                iterations,
                opt_out,
            } => self.mend_nsec3(editor, &dirty, iterations, opt_out, &pass),
        }
    }

    /// The NSEC bitmap of a node in the chain, or `None` when the name
    /// has no NSEC (an empty non-terminal, glue, occluded).
    fn nsec_types(version: &ZoneVersion, node: &Node) -> Option<Vec<u16>> {
        if !has_data(node) {
            return None;
        }
        let place = place_of(version, node);
        if place == Place::Occluded {
            return None;
        }
        let mut types: Vec<u16> = data_sets(node)
            .map(|s| s.rtype)
            .filter(|t| place != Place::Delegation || matches!(*t, RType::NS | RType::DS))
            .map(|t| t.0)
            .collect();
        types.extend([RType::NSEC.0, RType::RRSIG.0]);
        Some(types)
    }

    fn mend_nsec(
        &self,
        editor: &mut ZoneEditor,
        dirty: &BTreeMap<Vec<u8>, Name>,
        pass: &Pass,
    ) -> Result<(), SignerError> {
        let ttl = Self::denial_ttl(editor.version());
        let in_chain = |v: &ZoneVersion, n: &Node| Self::nsec_types(v, n).is_some();
        // The dirty names, then the chain predecessor of each (whose next
        // name may have changed).
        let mut todo: Vec<Name> = dirty.values().cloned().collect();
        for name in dirty.values() {
            let version = editor.version();
            let mut keybuf = KeyBuf::new();
            version.key_of(name, &mut keybuf);
            let before = version
                .prev_node_where(keybuf.as_bytes(), |n| in_chain(version, n))
                .or_else(|| version.last_node_where(|n| in_chain(version, n)));
            if let Some(node) = before {
                todo.push(node.name.clone());
            }
        }
        let mut done = BTreeSet::new();
        for name in todo {
            if !done.insert(name.as_wire().to_ascii_lowercase()) {
                continue;
            }
            let version = editor.version();
            let Some(node) = editor.node(&name).cloned() else {
                continue;
            };
            let existing = node.get(RType::NSEC).cloned();
            let Some(mut types) = Self::nsec_types(version, &node) else {
                if existing.is_some() {
                    editor.put(&node.name, RType::NSEC, ttl, &[], &[], 0)?;
                }
                continue;
            };
            let mut keybuf = KeyBuf::new();
            version.key_of(&node.name, &mut keybuf);
            let next = version
                .next_node_where(keybuf.as_bytes(), |n| in_chain(version, n))
                .map_or_else(|| version.origin.clone(), |n| n.name.clone());
            let mut rdata = next.as_wire().to_vec();
            write_type_bitmap(&mut types, &mut rdata);
            let same = existing.as_ref().is_some_and(|s| {
                s.ttl == ttl && s.records.iter().eq([&rdata[..]]) && !s.sigs.is_empty()
            });
            if !same {
                self.put_signed(editor, &node.name, RType::NSEC, ttl, &[&rdata], pass)?;
            }
        }
        Ok(())
    }

    /// The NSEC3 bitmap of a name, or `None` when the name has no NSEC3
    /// (absent, glue, occluded, an opted-out insecure delegation, or an
    /// empty non-terminal above nothing but those).
    fn nsec3_types(version: &ZoneVersion, name: &Name, opt_out: bool) -> Option<Vec<u16>> {
        let node = version.node_of(name)?;
        let place = place_of(version, node);
        match place {
            Place::Occluded => None,
            _ if !has_data(node) => {
                // An empty non-terminal is in the chain when some name below
                // it is (RFC 5155 §7.1).
                let mut keybuf = KeyBuf::new();
                version.key_of(name, &mut keybuf);
                version
                    .first_below(keybuf.as_bytes(), |n| {
                        has_data(n)
                            && (!opt_out || n.get(RType::DS).is_some() || !n.has(flag::DELEGATION))
                            && place_of(version, n) != Place::Occluded
                    })
                    .map(|_| Vec::new())
            }
            Place::Delegation => {
                let secure = node.get(RType::DS).is_some();
                if !secure && opt_out {
                    return None;
                }
                let mut types: Vec<u16> = data_sets(node)
                    .map(|s| s.rtype)
                    .filter(|t| matches!(*t, RType::NS | RType::DS))
                    .map(|t| t.0)
                    .collect();
                if secure {
                    types.push(RType::RRSIG.0);
                }
                Some(types)
            }
            Place::Apex | Place::Authoritative => {
                let mut types: Vec<u16> = data_sets(node).map(|s| s.rtype.0).collect();
                types.push(RType::RRSIG.0);
                Some(types)
            }
        }
    }

    fn mend_nsec3(
        &self,
        editor: &mut ZoneEditor,
        dirty: &BTreeMap<Vec<u8>, Name>,
        iterations: u16,
        opt_out: bool,
        pass: &Pass,
    ) -> Result<(), SignerError> {
        let ttl = Self::denial_ttl(editor.version());
        let salt = &self.settings.salt;
        let owner_of = |hash: &[u8]| {
            let mut label = String::new();
            base32hex_encode(hash, &mut label);
            self.origin
                .prepend_label(label.to_ascii_lowercase().as_bytes())
                .expect("a hash label fits")
        };
        let rdata_with = |next: &[u8], types: &mut Vec<u16>| {
            let mut rdata = vec![1, u8::from(opt_out)];
            rdata.extend_from_slice(&iterations.to_be_bytes());
            rdata.push(salt.len() as u8);
            rdata.extend_from_slice(salt);
            rdata.push(next.len() as u8);
            rdata.extend_from_slice(next);
            write_type_bitmap(types, &mut rdata);
            rdata
        };
        // First the membership and bitmaps, with the next hash as it was.
        let mut changed: BTreeSet<Vec<u8>> = BTreeSet::new();
        for name in dirty.values() {
            let hash = crate::dnssec::nsec3::nsec3_hash(name, salt, iterations);
            let version = editor.version();
            let existing = version
                .nsec3_node(&hash)
                .and_then(|n| n.get(RType::NSEC3))
                .cloned();
            match Self::nsec3_types(version, name, opt_out) {
                Some(mut types) => {
                    let next = existing
                        .as_ref()
                        .and_then(|s| s.records.iter().next().map(nsec3_next_hash))
                        .unwrap_or_default();
                    let rdata = rdata_with(&next, &mut types);
                    if !existing.is_some_and(|s| s.records.iter().eq([&rdata[..]])) {
                        editor.put(&owner_of(&hash), RType::NSEC3, ttl, &[&rdata], &[], 0)?;
                        changed.insert(hash);
                    }
                }
                None if existing.is_some() => {
                    editor.put(&owner_of(&hash), RType::NSEC3, ttl, &[], &[], 0)?;
                    changed.insert(hash);
                }
                None => {}
            }
        }
        // Then the next hashes of what changed and of its predecessors.
        let mut fix: BTreeSet<Vec<u8>> = changed.clone();
        for hash in &changed {
            if let (Some(prev), _) = editor.version().nsec3_neighbours(hash) {
                fix.insert(prev.as_bytes().to_vec());
            }
        }
        for hash in fix {
            let version = editor.version();
            let Some(set) = version
                .nsec3_node(&hash)
                .and_then(|n| n.get(RType::NSEC3))
                .cloned()
            else {
                continue;
            };
            let next = match version.nsec3_neighbours(&hash) {
                (_, Some(next)) => next.as_bytes().to_vec(),
                (_, None) => hash.clone(), // a chain of one points at itself
            };
            let old = set.records.iter().next().unwrap_or_default();
            let rdata = with_next_hash(old, &next);
            if rdata[..] != *old || changed.contains(&hash) || set.sigs.is_empty() {
                self.put_signed(editor, &owner_of(&hash), RType::NSEC3, ttl, &[&rdata], pass)?;
            }
        }
        Ok(())
    }

    /// Puts the apex key RRsets of the keys as they stand now, signed;
    /// the RRsets that changed.
    pub fn update_apex_keys(
        &self,
        editor: &mut ZoneEditor,
        now: u32,
    ) -> Result<Vec<(Name, RType)>, SignerError> {
        let pass = self.pass(now, false);
        let origin = self.origin.clone();
        let ttl = editor
            .set(&origin, RType::DNSKEY)
            .map(|s| s.ttl)
            .unwrap_or_else(|| editor.version().soa().ttl);
        let mut touched = Vec::new();
        for (rtype, rdatas) in [
            (RType::DNSKEY, &pass.keys.apex.dnskey),
            (RType::CDS, &pass.keys.apex.cds),
            (RType::CDNSKEY, &pass.keys.apex.cdnskey),
        ] {
            let current: Vec<Vec<u8>> = editor
                .set(&origin, rtype)
                .filter(|s| !s.records.is_empty())
                .map(|s| s.records.iter().map(<[u8]>::to_vec).collect())
                .unwrap_or_default();
            let mut sorted = current.clone();
            sorted.sort();
            if sorted != *rdatas {
                let refs: Vec<&[u8]> = rdatas.iter().map(|r| &r[..]).collect();
                self.put_signed(editor, &origin, rtype, ttl, &refs, &pass)?;
                touched.push((origin.clone(), rtype));
            }
        }
        Ok(touched)
    }

    /// Walks up to `max` nodes of `version` from `cursor`, collecting the
    /// RRsets whose signatures must be made again: missing a signature by
    /// a key that signs now, holding one by a key no longer published, or
    /// expiring within the refresh interval. Returns the earliest moment
    /// one of the signatures kept comes due.
    pub fn stale_sets(
        &self,
        version: &ZoneVersion,
        cursor: &mut NodeCursor,
        max: usize,
        now: u32,
        out: &mut Vec<(Name, RType)>,
    ) -> Option<u32> {
        let keys = self.keys.load();
        let published: BTreeSet<u16> = keys
            .apex
            .dnskey
            .iter()
            .map(|k| crate::dnssec::digest::key_tag(k))
            .collect();
        let mut nodes = Vec::new();
        version.next_nodes(cursor, max, &mut nodes);
        let mut due: Option<u32> = None;
        for node in &nodes {
            let in_chain = node.get(RType::NSEC3).is_some();
            let place = if in_chain {
                Place::Authoritative
            } else {
                place_of(version, node)
            };
            for set in node.sets.iter().filter(|s| !s.records.is_empty()) {
                if !is_signed(place, set.rtype) {
                    continue;
                }
                let signers = sign::signers_for(&keys.active, set.rtype);
                let fresh = |sig: &[u8], key: &SigningKey| {
                    sign::reusable(
                        sig,
                        key.algorithm,
                        key.tag(),
                        set.ttl,
                        now,
                        self.settings.refresh,
                    )
                };
                let complete = signers
                    .iter()
                    .all(|key| set.sigs.iter().any(|sig| fresh(sig, key)));
                let stray = set.sigs.iter().any(|sig| {
                    sig.len() < 18 || !published.contains(&u16::from_be_bytes([sig[16], sig[17]]))
                });
                if !complete || stray {
                    out.push((node.name.clone(), set.rtype));
                    continue;
                }
                for sig in set.sigs.iter() {
                    let expires = u32::from_be_bytes(sig[8..12].try_into().unwrap());
                    let at = expires.wrapping_sub(self.settings.refresh);
                    due = Some(due.map_or(at, |d| d.min(at)));
                }
            }
        }
        due
    }

    /// Signs the RRsets `sets` anew in the version being edited (those
    /// still there); the number of signatures made.
    pub fn resign(
        &self,
        editor: &mut ZoneEditor,
        sets: &[(Name, RType)],
        now: u32,
    ) -> Result<usize, SignerError> {
        let pass = self.pass(now, true);
        let mut made = 0;
        for (owner, rtype) in sets {
            if let Some(set) = editor
                .set(owner, *rtype)
                .filter(|s| !s.records.is_empty())
                .cloned()
            {
                let name = editor
                    .node(owner)
                    .map_or_else(|| owner.clone(), |n| n.name.clone());
                made += self.sign_set(editor, &name, &set, &pass)?;
            }
        }
        Ok(made)
    }

    /// Signs the apex SOA of the version being edited anew.
    pub fn sign_soa(&self, editor: &mut ZoneEditor, now: u32) -> Result<(), SignerError> {
        let pass = self.pass(now, false);
        let origin = self.origin.clone();
        let set = editor
            .set(&origin, RType::SOA)
            .cloned()
            .ok_or(SignError::NoSoa)?;
        self.sign_set(editor, &origin, &set, &pass)?;
        Ok(())
    }
}

/// The next hashed owner field of NSEC3 rdata.
fn nsec3_next_hash(rdata: &[u8]) -> Vec<u8> {
    let salt_len = *rdata.get(4).unwrap_or(&0) as usize;
    let at = 5 + salt_len;
    let len = *rdata.get(at).unwrap_or(&0) as usize;
    rdata.get(at + 1..at + 1 + len).unwrap_or_default().to_vec()
}

/// NSEC3 rdata with another next hashed owner.
fn with_next_hash(rdata: &[u8], next: &[u8]) -> Vec<u8> {
    let salt_len = *rdata.get(4).unwrap_or(&0) as usize;
    let at = 5 + salt_len;
    let len = *rdata.get(at).unwrap_or(&0) as usize;
    let mut out = rdata[..at].to_vec();
    out.push(next.len() as u8);
    out.extend_from_slice(next);
    out.extend_from_slice(rdata.get(at + 1 + len..).unwrap_or_default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::verify::{VerifyOptions, verify_zone};
    use crate::zone::reader::{ReadOptions, read_bytes};

    const NOW: u32 = 1_800_000_000;
    const DAY: u32 = 86400;

    const ZONE: &str = "$TTL 300
@ SOA ns hostmaster 1 7200 3600 1209600 300
@ NS ns
ns A 192.0.2.1
www A 192.0.2.2
a.b.c AAAA 2001:db8::1
sub NS ns.sub
ns.sub A 192.0.2.3
secure NS ns.other.
secure DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
*.wild TXT \"w\"
";

    fn flat(text: &str) -> Zone {
        let origin = Name::parse(b"example.", None).unwrap();
        let records = read_bytes(
            "t",
            text.as_bytes(),
            ReadOptions {
                origin: Some(origin.clone()),
                ..Default::default()
            },
        )
        .records;
        Zone::from_records(origin, 1, records).0
    }

    fn signer(dir: &std::path::Path, denial: Denial) -> ZoneSigner {
        let origin = Name::parse(b"example.", None).unwrap();
        keystore::generate(dir, &origin, 13, 0x0101, None, NOW - DAY).unwrap();
        keystore::generate(dir, &origin, 13, 0x0100, None, NOW - DAY).unwrap();
        let settings = SignerSettings {
            key_directory: dir.to_path_buf(),
            foreign_keys: None,
            denial,
            salt: Vec::new(),
            validity: 14 * DAY,
            refresh: 5 * DAY,
            jitter: DAY,
            cds: true,
            batch: 100,
        };
        ZoneSigner::new(origin, settings, NOW).unwrap()
    }

    fn problems(version: &ZoneVersion, now: u32) -> Vec<String> {
        verify_zone(&version.to_zone(), &VerifyOptions { now, threads: 1 })
            .into_iter()
            .filter(|p| p.severity == crate::zone::Severity::Error)
            .map(|p| format!("{} {}: {}", p.owner, p.code, p.message))
            .collect()
    }

    /// The denial records of a version, as text, for comparing with a
    /// whole-zone signing of the same data.
    fn denial(version: &ZoneVersion) -> Vec<String> {
        let mut out: Vec<String> = version
            .to_zone()
            .rrsets()
            .iter()
            .filter(|s| matches!(s.rtype, RType::NSEC | RType::NSEC3))
            .flat_map(|s| {
                s.rdatas.iter().map(move |r| {
                    let mut text = format!(
                        "{} {} {} ",
                        s.owner.to_string().to_lowercase(),
                        s.ttl,
                        s.rtype
                    );
                    crate::zone::rdata::write(s.rtype, r, &mut text);
                    text
                })
            })
            .collect();
        out.sort();
        out
    }

    /// One edit of the kind an update makes: the RRset replaced (or
    /// removed), then signed with the SOA moved on.
    fn edit(
        signer: &ZoneSigner,
        version: &ZoneVersion,
        changes: &[(&str, RType, &[&str])],
    ) -> ZoneVersion {
        let mut editor = version.edit();
        let mut touched = Vec::new();
        for (owner, rtype, rdatas) in changes {
            let owner = Name::parse(owner.as_bytes(), Some(&signer.origin)).unwrap();
            let text: String = rdatas
                .iter()
                .map(|r| format!("{owner} 300 IN {rtype} {r}\n"))
                .collect();
            let parsed = flat(&format!("$TTL 300\n{text}"));
            let data: Vec<&[u8]> = parsed
                .rrsets()
                .iter()
                .flat_map(|s| s.rdatas.iter().map(|r| &r[..]))
                .collect();
            editor.put(&owner, *rtype, 300, &data, &[], 0).unwrap();
            touched.push((owner, *rtype));
        }
        let soa = editor.version().soa();
        let mut rdata = soa.rdata.to_vec();
        let at = rdata.len() - 20;
        let serial = editor.version().serial + 1;
        rdata[at..at + 4].copy_from_slice(&serial.to_be_bytes());
        editor
            .put(&signer.origin, RType::SOA, soa.ttl, &[&rdata], &[], 0)
            .unwrap();
        touched.push((signer.origin.clone(), RType::SOA));
        signer.sign_changes(&mut editor, &touched, NOW).unwrap();
        editor.finish()
    }

    /// A file this signer wrote is signed again at a restart without
    /// verifying a signature: all are reused, and the zone still verifies.
    /// A key the file did not publish (a new one with the same tag would
    /// do) gets no such trust: its signatures are made anew.
    #[test]
    fn own_sealed_file_is_re_signed_without_verifying_unchanged_signatures() {
        let dir = tempfile::tempdir().unwrap();
        let signer = signer(dir.path(), Denial::Nsec);
        let (signed, first) = signer.sign_loaded(flat(ZONE), None, false, NOW).unwrap();
        assert!(first.signatures_made > 0);
        let (again, stats) = signer.sign_loaded(signed.clone(), None, true, NOW).unwrap();
        assert_eq!(stats.signatures_made, 0, "{stats:?}");
        assert_eq!(stats.signatures_reused, first.signatures_made);
        let version = ZoneVersion::from_zone(&again).unwrap();
        assert_eq!(problems(&version, NOW), Vec::<String>::new());
        // Proof that nothing was verified: a signature damaged in the file
        // is kept when the file is trusted. Without the file's DNSKEY RRset
        // no key is vouched for, the damage is found and the signature made
        // anew.
        let damaged: Vec<RRset> = signed
            .rrsets()
            .iter()
            .map(|s| {
                let mut s = s.clone();
                if s.rtype == RType::RRSIG && s.owner.to_string().starts_with("www.") {
                    let last = s.rdatas[0].len() - 1;
                    s.rdatas[0][last] ^= 0xff;
                }
                s
            })
            .collect();
        let damaged = Zone::from_sorted_rrsets(signed.origin.clone(), signed.class, damaged);
        let (_, trusted) = signer
            .sign_loaded(damaged.clone(), None, true, NOW)
            .unwrap();
        assert_eq!(trusted.signatures_made, 0, "{trusted:?}");
        let keyless: Vec<RRset> = damaged
            .rrsets()
            .iter()
            .filter(|s| s.rtype != RType::DNSKEY)
            .cloned()
            .collect();
        let keyless = Zone::from_sorted_rrsets(signed.origin.clone(), signed.class, keyless);
        let (mended, checked) = signer.sign_loaded(keyless, None, true, NOW).unwrap();
        assert!(checked.signatures_made >= 1, "{checked:?}");
        let version = ZoneVersion::from_zone(&mended).unwrap();
        assert_eq!(problems(&version, NOW), Vec::<String>::new());
    }

    /// After each edit the zone verifies, and its chain is the one a
    /// whole-zone signing of the same data makes (RFC 4035 §2.3, RFC 5155
    /// §7.1): names added deep (new empty non-terminals), removed, a
    /// delegation put over existing names (now occluded) and taken away,
    /// a DS added (an insecure delegation made secure).
    fn incremental_signing_keeps_the_chain_whole(denial_kind: Denial) {
        let dir = tempfile::tempdir().unwrap();
        let signer = signer(dir.path(), denial_kind);
        let (signed, _) = signer.sign_loaded(flat(ZONE), None, false, NOW).unwrap();
        let mut version = ZoneVersion::from_zone(&signed).unwrap();
        assert_eq!(problems(&version, NOW), Vec::<String>::new());
        let steps: Vec<Vec<(&str, RType, &[&str])>> = vec![
            vec![("new", RType::A, &["192.0.2.9"])],
            vec![("x.y.z.deep", RType::TXT, &["\"deep\""])],
            vec![("www", RType::A, &[])],
            vec![("b.c", RType::NS, &["ns.elsewhere."])],
            vec![(
                "b.c",
                RType::DS,
                &["1 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"],
            )],
            vec![("b.c", RType::NS, &[]), ("b.c", RType::DS, &[])],
            vec![("x.y.z.deep", RType::TXT, &[]), ("new", RType::A, &[])],
            vec![("sub", RType::NS, &[])],
            vec![("insecure", RType::NS, &["ns.elsewhere."])],
            vec![
                ("d", RType::DNAME, &["example.net."]),
                ("x.d", RType::A, &["192.0.2.7"]),
            ],
            vec![
                ("*.wild", RType::TXT, &[]),
                ("ns", RType::A, &["192.0.2.1", "192.0.2.11"]),
            ],
        ];
        for (i, step) in steps.iter().enumerate() {
            version = edit(&signer, &version, step);
            assert_eq!(
                problems(&version, NOW),
                Vec::<String>::new(),
                "after step {i}"
            );
            let unsigned: Vec<RRset> = version
                .to_zone()
                .into_rrsets()
                .into_iter()
                .filter(|s| {
                    !matches!(
                        s.rtype,
                        RType::RRSIG | RType::NSEC | RType::NSEC3 | RType::NSEC3PARAM
                    )
                })
                .collect();
            let again = Zone::from_sorted_rrsets(signer.origin.clone(), 1, unsigned);
            let (whole, _) = signer.sign_loaded(again, None, false, NOW).unwrap();
            assert_eq!(
                denial(&version),
                denial(&ZoneVersion::from_zone(&whole).unwrap()),
                "after step {i}"
            );
        }
    }

    fn stale(
        signer: &ZoneSigner,
        version: &ZoneVersion,
        now: u32,
    ) -> (Vec<(Name, RType)>, Option<u32>) {
        let mut cursor = NodeCursor::default();
        let (mut out, mut due) = (Vec::new(), None::<u32>);
        while !cursor.is_done() {
            if let Some(d) = signer.stale_sets(version, &mut cursor, 3, now, &mut out) {
                due = Some(due.map_or(d, |x| x.min(d)));
            }
        }
        (out, due)
    }

    /// Signatures nearing expiry are found by the background walk and made
    /// again; until then nothing is, and the walk says when it will be.
    #[test]
    fn rfc4035_signatures_are_renewed_before_they_expire() {
        let dir = tempfile::tempdir().unwrap();
        let signer = signer(
            dir.path(),
            Denial::Nsec3 {
                iterations: 0,
                opt_out: false,
            },
        );
        let (signed, _) = signer.sign_loaded(flat(ZONE), None, false, NOW).unwrap();
        let version = ZoneVersion::from_zone(&signed).unwrap();
        let (none, due) = stale(&signer, &version, NOW + DAY);
        assert!(none.is_empty(), "{none:?}");
        // 14 days of validity, up to a day of jitter, 5 days of refresh.
        let due = due.unwrap();
        assert!(
            (NOW + 8 * DAY..=NOW + 9 * DAY).contains(&due),
            "{}",
            due - NOW
        );
        let later = NOW + 10 * DAY;
        let (all, _) = stale(&signer, &version, later);
        assert!(all.len() > 15, "{all:?}");
        assert!(!problems(&version, NOW + 15 * DAY).is_empty());
        let mut editor = version.edit();
        for batch in all.chunks(4) {
            signer.resign(&mut editor, batch, later).unwrap();
        }
        signer.sign_soa(&mut editor, later).unwrap();
        let renewed = editor.finish();
        assert_eq!(problems(&renewed, NOW + 15 * DAY), Vec::<String>::new());
        assert!(stale(&signer, &renewed, later).0.is_empty());
    }

    #[test]
    fn rfc4035_2_3_incremental_nsec_signing_keeps_the_chain_whole() {
        incremental_signing_keeps_the_chain_whole(Denial::Nsec);
    }

    #[test]
    fn rfc5155_7_1_incremental_nsec3_signing_keeps_the_chain_whole() {
        incremental_signing_keeps_the_chain_whole(Denial::Nsec3 {
            iterations: 0,
            opt_out: false,
        });
    }

    #[test]
    fn rfc5155_6_incremental_nsec3_opt_out_signing_keeps_the_chain_whole() {
        incremental_signing_keeps_the_chain_whole(Denial::Nsec3 {
            iterations: 0,
            opt_out: true,
        });
    }
}
