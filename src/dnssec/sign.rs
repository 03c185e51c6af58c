//! Signing a zone (RFC 4035 §2): DNSKEY and CDS/CDNSKEY at the apex, an
//! NSEC (RFC 4034 §4) or NSEC3 (RFC 5155 §7.1) chain, and an RRSIG for
//! every authoritative RRset. Delegation NS records and glue are not signed;
//! insecure delegations may be opted out of NSEC3 (RFC 5155 §6).
//!
//! The RRSIGs are independent of one another and are computed on every
//! core. A re-sign with `refresh` keeps each existing signature that still
//! verifies over the current data and stays valid for longer than the
//! refresh interval, so an unchanged zone re-signs almost nothing.

use std::collections::{BTreeSet, HashMap, HashSet};

use rayon::prelude::*;

use super::canonical::signed_data;
use super::crypto::{self, Verdict};
use super::digest::ds_rdata;
use super::keys::{KeyError, SigningKey};
use super::nsec3::nsec3_hash;
use super::zonemd::zonemd_digest;
use crate::zone::classify::{Kind, Node, nodes};
use crate::zone::encoding::base32hex_encode;
use crate::zone::rdata::write_type_bitmap;
use crate::zone::{Name, Pos, RRset, RType, Zone, merge_rrsets, rrset_order};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    #[error("no keys to sign with")]
    NoKeys,
    #[error("key {tag} is for {owner}, not for the zone {zone}")]
    WrongZone {
        tag: u16,
        owner: String,
        zone: String,
    },
    #[error("the zone has no SOA record")]
    NoSoa,
    #[error("an NSEC3 salt is at most 255 octets; this one has {0}")]
    SaltTooLong(usize),
    #[error(
        "{0} extra NSEC3 iterations: validators treat more than 100 as insecure (RFC 9276 §3.2), and RFC 9276 §3.1 asks for 0; force it if you must"
    )]
    TooManyIterations(u16),
    #[error("NSEC3 hash collision between {0} and {1}: choose another salt")]
    HashCollision(String, String),
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A signature that could not be made: never an RRset left unsigned
    /// without a word.
    #[error("signing {owner}/{rtype} with key {tag} failed: {reason}")]
    Signing {
        owner: String,
        rtype: RType,
        tag: u16,
        reason: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denial {
    Nsec,
    /// RFC 9276 defaults: 0 extra iterations, empty salt.
    Nsec3 {
        iterations: u16,
        opt_out: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SerialPolicy {
    Keep,
    Increment,
    /// Seconds since the epoch (or the old serial + 1 if that is not larger).
    Unixtime,
    /// YYYYMMDDnn.
    Dateserial,
}

#[derive(Debug, Clone)]
pub struct SignOptions {
    pub now: u32,
    pub inception: u32,
    pub expiration: u32,
    /// Expirations are spread over [expiration - jitter, expiration].
    pub jitter: u32,
    pub denial: Denial,
    pub salt: Vec<u8>,
    /// Sign with more NSEC3 iterations than validators accept.
    pub force_iterations: bool,
    pub serial: SerialPolicy,
    /// Keep existing signatures valid for longer than this (seconds).
    pub refresh: Option<u32>,
    pub zonemd: bool,
    pub cds: bool,
    pub cds_delete: bool,
    /// RRsets signed so far, for a caller's progress display.
    pub progress: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// RRsets to sign in all, raised as each signing pass learns its share,
    /// so that a progress display ends at its total.
    pub progress_total: Option<std::sync::Arc<std::sync::atomic::AtomicU64>>,
    /// A signed zone this signer wrote itself (see [`FileTrust`]): its
    /// signatures over unchanged RRsets are reused without verifying them.
    pub trusted: Option<std::sync::Arc<FileTrust>>,
}

/// What a signed zone file vouches for when the signer itself wrote it
/// (and its seal says it is unchanged since): every signature in it was
/// made over its RRsets as they are in it, by one of the keys its DNSKEY
/// RRset publishes. A signature of such a file is reused without the
/// cost of verifying it — the most of a restart of a large signed zone —
/// when the RRset it covers is the file's RRset unchanged and its key is
/// one the file published; anything else is verified as usual.
#[derive(Debug, Default)]
pub struct FileTrust {
    /// A 64-bit digest of each RRset of the file (owner without case,
    /// type, TTL, records), signatures aside.
    sets: HashSet<u64>,
    /// The file's apex DNSKEY records.
    keys: HashSet<Box<[u8]>>,
}

fn rrset_digest(set: &RRset) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    set.owner.to_lowercase().as_wire().hash(&mut hasher);
    set.rtype.0.hash(&mut hasher);
    set.ttl.hash(&mut hasher);
    set.rdatas.hash(&mut hasher);
    hasher.finish()
}

impl FileTrust {
    pub fn of(zone: &Zone) -> FileTrust {
        let mut trust = FileTrust::default();
        for set in zone.rrsets() {
            if set.rtype == RType::RRSIG {
                continue;
            }
            if set.rtype == RType::DNSKEY && set.owner.eq_ignore_case(&zone.origin) {
                trust.keys.extend(set.rdatas.iter().cloned());
            }
            trust.sets.insert(rrset_digest(set));
        }
        trust
    }

    fn vouches_for(&self, set: &RRset) -> bool {
        self.sets.contains(&rrset_digest(set))
    }

    /// Whether the file published `key` (its DNSKEY rdata, compared in
    /// place: this runs for every RRset).
    fn published(&self, key: &SigningKey) -> bool {
        self.keys.iter().any(|r| {
            r.len() > 4
                && r[..2] == key.flags.to_be_bytes()
                && r[2] == 3
                && r[3] == key.algorithm
                && r[4..] == key.public[..]
        })
    }
}

/// What signing did, for the report.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct SignStats {
    pub rrsets_signed: usize,
    pub signatures_made: usize,
    pub signatures_reused: usize,
    pub denial_records: usize,
    pub serial: u32,
}

/// Signs `zone` with `keys`, returning the signed zone. The zone is taken
/// by value: its records move into the signed zone instead of being copied,
/// and new records are merged in canonical order rather than sorted again.
pub fn sign_zone(
    zone: Zone,
    keys: &[SigningKey],
    options: &SignOptions,
) -> Result<(Zone, SignStats), SignError> {
    sign_zone_reusing(zone, keys, options, Vec::new())
}

/// [`sign_zone`], with more signatures offered for reuse than the zone's
/// own: `(owner, RRSIG rdata)` pairs, such as those a server served
/// before the zone file was edited. Each is kept only where it still
/// verifies over the data, as the zone's own are.
pub fn sign_zone_reusing(
    zone: Zone,
    keys: &[SigningKey],
    options: &SignOptions,
    offered: Vec<(Name, Box<[u8]>)>,
) -> Result<(Zone, SignStats), SignError> {
    if keys.is_empty() {
        return Err(SignError::NoKeys);
    }
    if options.salt.len() > 255 {
        return Err(SignError::SaltTooLong(options.salt.len()));
    }
    if let Denial::Nsec3 { iterations, .. } = options.denial
        && iterations > super::nsec3::NSEC3_ITERATIONS_VALIDATORS_ACCEPT
        && !options.force_iterations
    {
        return Err(SignError::TooManyIterations(iterations));
    }
    for key in keys {
        if !key.owner.eq_ignore_case(&zone.origin) {
            return Err(SignError::WrongZone {
                tag: key.tag(),
                owner: key.owner.to_string(),
                zone: zone.origin.to_string(),
            });
        }
    }
    let soa = zone.soa().ok_or(SignError::NoSoa)?;
    let (soa_ttl, soa_rdata) = (soa.ttl, soa.rdatas[0].clone());
    if soa_rdata.len() < 22 {
        return Err(SignError::NoSoa);
    }
    let minimum = u32::from_be_bytes(soa_rdata[soa_rdata.len() - 4..].try_into().unwrap());
    // RFC 9077: negative answers live no longer than the SOA TTL either.
    let denial_ttl = minimum.min(soa_ttl);
    let apex = zone.origin.clone();
    let class = zone.class;
    let apex_ttl = zone.get(&apex, RType::DNSKEY).map_or(soa_ttl, |s| s.ttl);
    let old_serial = u32::from_be_bytes(
        soa_rdata[soa_rdata.len() - 20..soa_rdata.len() - 16]
            .try_into()
            .unwrap(),
    );
    let serial = new_serial(old_serial, options.serial, options.now);
    let mut stats = SignStats {
        serial,
        ..Default::default()
    };

    // Old signatures are kept aside for reuse; old denial records are rebuilt.
    let mut old_signatures: HashMap<(Name, u16), Vec<Box<[u8]>>> = HashMap::new();
    for (owner, rdata) in offered {
        if rdata.len() > 18 {
            old_signatures
                .entry((
                    owner.to_lowercase(),
                    u16::from_be_bytes([rdata[0], rdata[1]]),
                ))
                .or_default()
                .push(rdata);
        }
    }
    let mut kept: Vec<RRset> = Vec::with_capacity(zone.rrsets().len());
    let mut existing_keys: HashSet<Box<[u8]>> = HashSet::new();
    for mut set in zone.into_rrsets() {
        let at_apex = set.owner.eq_ignore_case(&apex);
        match set.rtype {
            RType::RRSIG => {
                for rdata in set.rdatas {
                    old_signatures
                        .entry((
                            set.owner.to_lowercase(),
                            u16::from_be_bytes([rdata[0], rdata[1]]),
                        ))
                        .or_default()
                        .push(rdata);
                }
            }
            RType::NSEC | RType::NSEC3 | RType::NSEC3PARAM | RType::ZONEMD => {}
            RType::CDS | RType::CDNSKEY if options.cds || options.cds_delete => {}
            RType::SOA if at_apex => {
                let mut rdata = set.rdatas[0].to_vec();
                let at = rdata.len() - 20;
                rdata[at..at + 4].copy_from_slice(&serial.to_be_bytes());
                set.rdatas = vec![rdata.into_boxed_slice()];
                kept.push(set);
            }
            RType::DNSKEY if at_apex => {
                existing_keys.extend(set.rdatas.iter().cloned());
                kept.push(set);
            }
            _ => kept.push(set),
        }
    }

    // DNSKEY, CDS/CDNSKEY, NSEC3PARAM, and a ZONEMD placeholder at the apex.
    let apex_set = |rtype: RType, ttl: u32, rdatas: Vec<Vec<u8>>| RRset {
        owner: apex.clone(),
        rtype,
        class,
        ttl,
        rdatas: {
            // An RRset's rdata is kept sorted, as the reader leaves it.
            let mut rdatas: Vec<Box<[u8]>> =
                rdatas.into_iter().map(Vec::into_boxed_slice).collect();
            rdatas.sort();
            rdatas.dedup();
            rdatas
        },
        pos: Pos::default(),
        rdata_pos: Vec::new(),
    };
    let mut added: Vec<RRset> = Vec::new();
    let new_keys: Vec<Vec<u8>> = keys
        .iter()
        .map(|k| k.dnskey_rdata())
        .filter(|k| !existing_keys.contains(k.as_slice()))
        .collect();
    if !new_keys.is_empty() {
        added.push(apex_set(RType::DNSKEY, apex_ttl, new_keys));
    }
    if options.cds_delete {
        added.push(apex_set(RType::CDS, apex_ttl, vec![vec![0, 0, 0, 0, 0]]));
        added.push(apex_set(
            RType::CDNSKEY,
            apex_ttl,
            vec![vec![0, 0, 3, 0, 0]],
        ));
    } else if options.cds {
        let ksks: Vec<&SigningKey> = keys.iter().filter(|k| k.is_ksk()).collect();
        let cds = ksks
            .iter()
            .map(|key| ds_rdata(&apex, &key.dnskey_rdata(), 2).expect("SHA-256 is known"))
            .collect();
        added.push(apex_set(RType::CDS, apex_ttl, cds));
        added.push(apex_set(
            RType::CDNSKEY,
            apex_ttl,
            ksks.iter().map(|k| k.dnskey_rdata()).collect(),
        ));
    }
    if let Denial::Nsec3 { iterations, .. } = options.denial {
        let mut param = vec![1, 0];
        param.extend_from_slice(&iterations.to_be_bytes());
        param.push(options.salt.len() as u8);
        param.extend_from_slice(&options.salt);
        added.push(apex_set(RType::NSEC3PARAM, 0, vec![param]));
    }
    if options.zonemd {
        // Placeholder: scheme 1 (SIMPLE), hash 1 (SHA-384); the digest is filled in last.
        let mut placeholder = serial.to_be_bytes().to_vec();
        placeholder.extend_from_slice(&[1, 1]);
        placeholder.extend_from_slice(&[0; 48]);
        added.push(apex_set(RType::ZONEMD, soa_ttl, vec![placeholder]));
    }
    added.sort_by(rrset_order);
    let unsigned = Zone::from_sorted_rrsets(apex.clone(), class, merge_rrsets(kept, added));

    let mut denial = denial_records(&unsigned, options, denial_ttl)?;
    denial.sort_by(rrset_order);
    stats.denial_records = denial.len();
    let with_denial = Zone::from_sorted_rrsets(
        apex.clone(),
        class,
        merge_rrsets(unsigned.into_rrsets(), denial),
    );

    let signatures = sign_rrsets(
        &with_denial,
        keys,
        options,
        &old_signatures,
        &mut stats,
        |s| s.rtype != RType::ZONEMD,
    )?;
    drop(old_signatures);
    let mut signed = Zone::from_sorted_rrsets(
        apex.clone(),
        class,
        merge_rrsets(with_denial.into_rrsets(), signatures),
    );
    if options.zonemd {
        signed = fill_zonemd(signed, keys, options, &mut stats)?;
    }
    Ok((signed, stats))
}

/// The serial after `old` under `policy` (RFC 1982 arithmetic; a date or
/// time that is not ahead of `old` gives `old + 1`).
pub fn new_serial(old: u32, policy: SerialPolicy, now: u32) -> u32 {
    let bump = |candidate: u32| {
        if crate::zone::serial::compare(old, candidate) == Some(std::cmp::Ordering::Less) {
            candidate
        } else {
            old.wrapping_add(1)
        }
    };
    match policy {
        SerialPolicy::Keep => old,
        SerialPolicy::Increment => old.wrapping_add(1),
        SerialPolicy::Unixtime => bump(now),
        SerialPolicy::Dateserial => {
            let mut date = String::new();
            crate::zone::rdata::format_time(now, &mut date);
            let today: u32 = date[..8].parse::<u32>().unwrap_or(0).saturating_mul(100);
            if old >= today && old < today + 99 {
                old + 1
            } else {
                bump(today)
            }
        }
    }
}

/// The NSEC or NSEC3 records of a zone (without their signatures).
fn denial_records(zone: &Zone, options: &SignOptions, ttl: u32) -> Result<Vec<RRset>, SignError> {
    let all = nodes(zone);
    let chain: Vec<&Node<'_>> = all
        .iter()
        .filter(|n| {
            matches!(
                n.kind,
                Kind::Apex | Kind::Authoritative | Kind::Delegation { .. }
            )
        })
        .collect();
    let record = |owner: Name, rtype: RType, rdata: Vec<u8>| RRset {
        owner,
        rtype,
        class: zone.class,
        ttl,
        rdatas: vec![rdata.into_boxed_slice()],
        pos: Pos::default(),
        rdata_pos: Vec::new(),
    };
    match options.denial {
        Denial::Nsec => {
            let mut out = Vec::with_capacity(chain.len());
            for (i, node) in chain.iter().enumerate() {
                let next = chain.get(i + 1).map_or(&zone.origin, |n| n.owner);
                let mut rdata = next.as_wire().to_vec();
                let mut types: Vec<u16> = node.bitmap_types(RType::NSEC).into_iter().collect();
                write_type_bitmap(&mut types, &mut rdata);
                out.push(record(node.owner.clone(), RType::NSEC, rdata));
            }
            Ok(out)
        }
        Denial::Nsec3 {
            iterations,
            opt_out,
        } => {
            // Every name in the chain: authoritative nodes, unless opted out,
            // and the empty non-terminals above them.
            let mut names: Vec<(Name, BTreeSet<u16>)> = Vec::new();
            let mut seen: HashSet<Name> = HashSet::new();
            for node in &chain {
                let insecure = matches!(node.kind, Kind::Delegation { secure: false });
                if insecure && opt_out {
                    continue;
                }
                let mut types = node.bitmap_types(RType::NSEC3);
                if !insecure {
                    types.insert(RType::RRSIG.0);
                }
                seen.insert(node.owner.to_lowercase());
                names.push((node.owner.clone(), types));
                let mut ancestor = node.owner.parent();
                while let Some(a) = ancestor {
                    if !a.is_subdomain_of(&zone.origin) || a.eq_ignore_case(&zone.origin) {
                        break;
                    }
                    let lower = a.to_lowercase();
                    if zone.node(&a).is_empty() && seen.insert(lower) {
                        names.push((a.clone(), BTreeSet::new()));
                    }
                    ancestor = a.parent();
                }
            }
            let mut hashed: Vec<(Vec<u8>, &Name, BTreeSet<u16>)> = names
                .iter()
                .map(|(n, t)| (nsec3_hash(n, &options.salt, iterations), n, t.clone()))
                .collect();
            hashed.sort_by(|a, b| a.0.cmp(&b.0));
            for pair in hashed.windows(2) {
                if pair[0].0 == pair[1].0 {
                    return Err(SignError::HashCollision(
                        pair[0].1.to_string(),
                        pair[1].1.to_string(),
                    ));
                }
            }
            let flags = u8::from(opt_out);
            let mut out = Vec::with_capacity(hashed.len());
            for (i, (hash, _, types)) in hashed.iter().enumerate() {
                let next = &hashed[(i + 1) % hashed.len()].0;
                let mut rdata = vec![1, flags];
                rdata.extend_from_slice(&iterations.to_be_bytes());
                rdata.push(options.salt.len() as u8);
                rdata.extend_from_slice(&options.salt);
                rdata.push(next.len() as u8);
                rdata.extend_from_slice(next);
                let mut types: Vec<u16> = types.iter().copied().collect();
                write_type_bitmap(&mut types, &mut rdata);
                let mut label = String::new();
                base32hex_encode(hash, &mut label);
                let owner = zone
                    .origin
                    .prepend_label(label.to_ascii_lowercase().as_bytes())
                    .expect("a hash label fits");
                out.push(record(owner, RType::NSEC3, rdata));
            }
            Ok(out)
        }
    }
}

/// Which keys sign an RRset of this type: the DNSKEY, CDS and CDNSKEY
/// RRsets with the KSKs, the rest with the ZSKs; an algorithm with only
/// KSKs (a CSK) signs everything with them.
pub fn signers_for(keys: &[SigningKey], rtype: RType) -> Vec<&SigningKey> {
    let apex_keyset = matches!(rtype, RType::DNSKEY | RType::CDS | RType::CDNSKEY);
    let algorithms: BTreeSet<u8> = keys.iter().map(|k| k.algorithm).collect();
    let mut out = Vec::new();
    for alg in algorithms {
        let of_alg: Vec<&SigningKey> = keys.iter().filter(|k| k.algorithm == alg).collect();
        let wanted: Vec<&SigningKey> = of_alg
            .iter()
            .copied()
            .filter(|k| k.is_ksk() == apex_keyset)
            .collect();
        out.extend(if wanted.is_empty() { of_alg } else { wanted });
    }
    out
}

/// Deterministic spread of expirations: the same RRset always gets the same
/// offset, so re-signing an unchanged zone is reproducible.
fn jitter_for(owner: &Name, rtype: RType, jitter: u32) -> u32 {
    if jitter == 0 {
        return 0;
    }
    let mut h: u32 = 0x811c9dc5;
    for &b in owner.as_wire().iter().chain(&rtype.0.to_be_bytes()) {
        h = (h ^ b.to_ascii_lowercase() as u32).wrapping_mul(0x01000193);
    }
    h % (jitter + 1)
}

/// RRSIGs for every RRset that must be signed, made on every core.
fn sign_rrsets(
    zone: &Zone,
    keys: &[SigningKey],
    options: &SignOptions,
    old: &HashMap<(Name, u16), Vec<Box<[u8]>>>,
    stats: &mut SignStats,
    include: impl Fn(&RRset) -> bool + Sync,
) -> Result<Vec<RRset>, SignError> {
    let mut jobs: Vec<&RRset> = Vec::new();
    for node in nodes(zone) {
        for set in node.sets {
            let signed = match node.kind {
                Kind::Apex | Kind::Authoritative | Kind::Nsec3 => set.rtype != RType::RRSIG,
                Kind::Delegation { .. } => matches!(set.rtype, RType::DS | RType::NSEC),
                Kind::NonAuthoritative => false,
            };
            if signed && include(set) {
                jobs.push(set);
            }
        }
    }
    if let Some(total) = &options.progress_total {
        total.fetch_add(jobs.len() as u64, std::sync::atomic::Ordering::Relaxed);
    }
    let results: Result<Vec<(RRset, usize, usize)>, SignError> = jobs
        .par_iter()
        .map(|set| {
            let previous = old.get(&(set.owner.to_lowercase(), set.rtype.0));
            let signed = sign_rrset(set, &zone.origin, keys, options, previous.map(|p| &p[..]))?;
            if let Some(progress) = &options.progress {
                progress.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
            Ok((
                RRset {
                    owner: set.owner.clone(),
                    rtype: RType::RRSIG,
                    class: set.class,
                    ttl: set.ttl,
                    rdatas: signed.rdatas,
                    pos: Pos::default(),
                    rdata_pos: Vec::new(),
                },
                signed.made,
                signed.reused,
            ))
        })
        .collect();
    let results = results?;
    stats.rrsets_signed += jobs.len();
    let mut sets = Vec::with_capacity(results.len());
    for (set, made, reused) in results {
        stats.signatures_made += made;
        stats.signatures_reused += reused;
        if !set.rdatas.is_empty() {
            sets.push(set);
        }
    }
    // Jobs come in zone order already; this only settles the covered types within a node.
    sets.sort_by(rrset_order);
    Ok(sets)
}

/// The signatures over one RRset.
#[derive(Debug, Default)]
pub struct RrsetSignatures {
    /// RRSIG rdata, sorted.
    pub rdatas: Vec<Box<[u8]>>,
    pub made: usize,
    pub reused: usize,
}

/// Signs one RRset of the zone `origin` with the keys that sign its type
/// (see [`signers_for`]), keeping a `previous` signature where
/// `options.refresh` allows. The whole-zone signer and a server signing
/// changes as they come share this.
pub fn sign_rrset(
    set: &RRset,
    origin: &Name,
    keys: &[SigningKey],
    options: &SignOptions,
    previous: Option<&[Box<[u8]>]>,
) -> Result<RrsetSignatures, SignError> {
    let mut out = RrsetSignatures::default();
    let labels = super::canonical::rrsig_labels(&set.owner) as u8;
    let expiration =
        options
            .expiration
            .wrapping_sub(jitter_for(&set.owner, set.rtype, options.jitter));
    let trusted_set = options.trusted.as_ref().filter(|t| t.vouches_for(set));
    for key in signers_for(keys, set.rtype) {
        let tag = key.tag();
        let trusted = trusted_set.is_some_and(|t| t.published(key));
        // Reuse a signature that still holds over this data for long enough.
        if let (Some(refresh), Some(previous)) = (options.refresh, previous) {
            let keep = previous.iter().find(|sig| {
                reusable(sig, key.algorithm, tag, set.ttl, options.now, refresh)
                    && (trusted || still_valid(sig, set, key))
            });
            if let Some(sig) = keep {
                out.rdatas.push(sig.clone());
                out.reused += 1;
                continue;
            }
        }
        let mut header = Vec::with_capacity(18 + origin.wire_len());
        header.extend_from_slice(&set.rtype.0.to_be_bytes());
        header.push(key.algorithm);
        header.push(labels);
        header.extend_from_slice(&set.ttl.to_be_bytes());
        header.extend_from_slice(&expiration.to_be_bytes());
        header.extend_from_slice(&options.inception.to_be_bytes());
        header.extend_from_slice(&tag.to_be_bytes());
        header.extend_from_slice(&origin.as_wire().to_ascii_lowercase());
        let data = signed_data(&header, 18, &set.owner, labels, set, set.ttl);
        let signature = key.sign(&data).map_err(|e| SignError::Signing {
            owner: set.owner.to_string(),
            rtype: set.rtype,
            tag,
            reason: e.to_string(),
        })?;
        header.extend_from_slice(&signature);
        out.rdatas.push(header.into_boxed_slice());
        out.made += 1;
    }
    out.rdatas.sort();
    Ok(out)
}

/// Whether the header of RRSIG rdata `sig` makes it a candidate for reuse:
/// the key's algorithm and tag, the RRset's TTL, and more than `refresh`
/// seconds left before it expires (RFC 1982 arithmetic on the times).
pub fn reusable(sig: &[u8], algorithm: u8, tag: u16, ttl: u32, now: u32, refresh: u32) -> bool {
    if sig.len() <= 18 {
        return false;
    }
    let left = u32::from_be_bytes(sig[8..12].try_into().unwrap()).wrapping_sub(now);
    sig[2] == algorithm
        && u16::from_be_bytes([sig[16], sig[17]]) == tag
        && u32::from_be_bytes(sig[4..8].try_into().unwrap()) == ttl
        && left > refresh
        && left < 1 << 31
}

/// Whether an old RRSIG still verifies over the RRset as it is now.
fn still_valid(sig: &[u8], set: &RRset, key: &SigningKey) -> bool {
    let Some(signer_len) = crate::zone::name::wire_name_len(&sig[18..]) else {
        return false;
    };
    let header_len = 18 + signer_len;
    let data = signed_data(&sig[..header_len], 18, &set.owner, sig[3], set, set.ttl);
    crypto::verify(key.algorithm, &key.public, &data, &sig[header_len..]) == Verdict::Valid
}

/// Computes the ZONEMD digest (RFC 8976 §3.3, SIMPLE scheme, SHA-384) over
/// the signed zone, fills it in, and signs the final ZONEMD RRset.
fn fill_zonemd(
    zone: Zone,
    keys: &[SigningKey],
    options: &SignOptions,
    stats: &mut SignStats,
) -> Result<Zone, SignError> {
    let digest = zonemd_digest(&zone, 1).expect("SHA-384 is known");
    let (apex, class) = (zone.origin.clone(), zone.class);
    let mut rrsets = zone.into_rrsets();
    for set in rrsets
        .iter_mut()
        .filter(|s| s.rtype == RType::ZONEMD && s.owner.eq_ignore_case(&apex))
    {
        for rdata in &mut set.rdatas {
            let mut filled = rdata[..6].to_vec();
            filled.extend_from_slice(&digest);
            *rdata = filled.into_boxed_slice();
        }
    }
    let filled = Zone::from_sorted_rrsets(apex.clone(), class, rrsets);
    let signatures = sign_rrsets(&filled, keys, options, &HashMap::new(), stats, |s| {
        s.rtype == RType::ZONEMD
    })?;
    Ok(Zone::from_sorted_rrsets(
        apex,
        class,
        merge_rrsets(filled.into_rrsets(), signatures),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::verify::{VerifyOptions, verify_zone};
    use crate::zone::reader::{ReadOptions, read_bytes};

    const DAY: u32 = 86400;
    const T0: u32 = 1_700_000_000;

    fn zone() -> Zone {
        let origin = Name::parse(b"example.", None).unwrap();
        let records = read_bytes(
            "t",
            b"$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\n",
            ReadOptions {
                origin: Some(origin.clone()),
                ..Default::default()
            },
        )
        .records;
        Zone::from_records(origin, 1, records).0
    }

    fn options(now: u32, refresh: Option<u32>) -> SignOptions {
        SignOptions {
            now,
            inception: now - 3600,
            expiration: now + 30 * DAY,
            jitter: 0,
            denial: Denial::Nsec,
            salt: Vec::new(),
            force_iterations: false,
            serial: SerialPolicy::Keep,
            refresh,
            zonemd: false,
            cds: false,
            cds_delete: false,
            progress: None,
            progress_total: None,
            trusted: None,
        }
    }

    fn problems_at(zone: &Zone, now: u32) -> Vec<&'static str> {
        verify_zone(zone, &VerifyOptions { now, threads: 1 })
            .into_iter()
            .map(|p| p.code)
            .collect()
    }

    /// The clock is a parameter: validity windows, refresh and expiry are
    /// tested at chosen times, without waiting (RFC 4034 §3.1.5).
    #[test]
    fn rfc4034_3_1_5_validity_window_and_refresh_follow_the_given_clock() {
        let origin = Name::parse(b"example.", None).unwrap();
        let key = SigningKey::generate(&origin, 15, 0x0101, None).unwrap();
        let (signed, first) =
            sign_zone(zone(), std::slice::from_ref(&key), &options(T0, None)).unwrap();
        assert!(problems_at(&signed, T0).is_empty());
        assert!(problems_at(&signed, T0 - 2 * 3600).contains(&"rrsig-invalid"));
        assert!(problems_at(&signed, T0 + 31 * DAY).contains(&"rrsig-expired"));
        // Ten days on, signatures with 20 days left outlive a 7-day refresh
        // and are kept; twenty-five days on they do not, and are made anew.
        let (again, kept) = sign_zone(
            signed.clone(),
            std::slice::from_ref(&key),
            &options(T0 + 10 * DAY, Some(7 * DAY)),
        )
        .unwrap();
        assert_eq!(kept.signatures_made, 0);
        assert_eq!(kept.signatures_reused, first.signatures_made);
        assert!(problems_at(&again, T0 + 10 * DAY).is_empty());
        let (_, renewed) = sign_zone(
            signed,
            std::slice::from_ref(&key),
            &options(T0 + 25 * DAY, Some(7 * DAY)),
        )
        .unwrap();
        assert_eq!(renewed.signatures_reused, 0);
        assert_eq!(renewed.signatures_made, first.signatures_made);
    }
}
