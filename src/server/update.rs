//! Dynamic update (RFC 2136, with TSIG as RFC 3007 asks): prerequisites
//! checked against the current version, the update applied to the next
//! one in the order sent, the serial moved on by the zone's policy, the
//! difference journaled (for IXFR, and for replay after a crash) before
//! the new version is served. One update at a time per zone; readers are
//! never blocked.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::answer::ZoneHandle;
use super::config::Prefix;
use super::store::{StoredSet, ZoneEditor, ZoneVersion};
use super::transfer::Journal;
use crate::wire::{self, CLASS_ANY, rcode};
use crate::xfr::Changeset;
use crate::zone::{Name, RType, serial};

const CLASS_NONE: u16 = 254;

/// How the SOA serial moves on after an update.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SerialPolicy {
    /// One more (RFC 1982 arithmetic).
    #[default]
    Increment,
    /// Seconds since the epoch, or one more if that is not ahead.
    Unixtime,
    /// YYYYMMDDnn, or one more if that is not ahead.
    Dateserial,
}

impl SerialPolicy {
    /// The serial after `current`: the signer's rule, shared.
    pub fn next(self, current: u32, now: u64) -> u32 {
        use crate::dnssec::sign::{self, SerialPolicy as Policy};
        let policy = match self {
            SerialPolicy::Increment => Policy::Increment,
            SerialPolicy::Unixtime => Policy::Unixtime,
            SerialPolicy::Dateserial => Policy::Dateserial,
        };
        sign::new_serial(current, policy, now as u32)
    }
}

/// The names a rule covers.
#[derive(Debug, Clone)]
pub enum NameRule {
    /// This name.
    Exact(Name),
    /// Any name strictly below this one (`*.dyn`).
    Below(Name),
}

impl NameRule {
    fn covers(&self, name: &Name) -> bool {
        match self {
            NameRule::Exact(n) => n.eq_ignore_case(name),
            NameRule::Below(n) => name.is_subdomain_of(n) && !n.eq_ignore_case(name),
        }
    }
}

/// Who may change what: a client (address prefix and/or key), the names
/// and the types it may touch (none listed: all).
#[derive(Debug, Clone)]
pub struct UpdateRule {
    pub prefix: Option<Prefix>,
    pub key: Option<usize>,
    pub names: Vec<NameRule>,
    pub types: Vec<RType>,
}

impl UpdateRule {
    fn admits(&self, addr: IpAddr, key: Option<usize>) -> bool {
        self.prefix.is_none_or(|p| p.contains(addr)) && self.key.is_none_or(|k| Some(k) == key)
    }

    /// Whether the rule lets `rtype` at `name` change (`None`: every type
    /// at the name, as a delete of all RRsets needs).
    fn allows(&self, name: &Name, rtype: Option<RType>) -> bool {
        let name_ok = self.names.is_empty() || self.names.iter().any(|r| r.covers(name));
        let type_ok = self.types.is_empty() || rtype.is_some_and(|t| self.types.contains(&t));
        name_ok && type_ok
    }
}

/// What a zone needs to take updates.
pub struct Updater {
    pub rules: Vec<UpdateRule>,
    pub serial_policy: SerialPolicy,
    pub journal_file: PathBuf,
    pub journal_limit: u64,
    /// One update at a time (shared by the updaters a reload replaces).
    pub lock: Arc<Mutex<()>>,
    /// Told the zone's name after every change (NOTIFY, saving the file).
    pub changed: Option<tokio::sync::mpsc::UnboundedSender<Name>>,
    /// Signs each change, for a zone signed here.
    pub signer: Option<Arc<super::signer::ZoneSigner>>,
}

/// The types a zone's signer keeps: an update never changes them, and a
/// delete of every RRset at a name leaves them (the signer mends NSEC
/// records after the change).
fn is_signers(rtype: RType) -> bool {
    matches!(
        rtype,
        RType::RRSIG
            | RType::NSEC
            | RType::NSEC3
            | RType::NSEC3PARAM
            | RType::DNSKEY
            | RType::CDS
            | RType::CDNSKEY
    )
}

/// One record of an UPDATE message.
struct UpdateRecord {
    owner: Name,
    rtype: RType,
    class: u16,
    ttl: u32,
    rdata: Vec<u8>,
}

fn read_section(msg: &[u8], section: wire::Section) -> Result<Vec<UpdateRecord>, u16> {
    let parsed = wire::Message::parse(msg).map_err(|_| rcode::FORMERR)?;
    let mut records = parsed.records();
    let (mut owner, mut rdata) = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    while let Some(header) = records
        .next_into(&mut owner, &mut rdata)
        .map_err(|_| rcode::FORMERR)?
    {
        if header.section != section {
            continue;
        }
        out.push(UpdateRecord {
            owner: Name::from_wire(&owner).map_err(|_| rcode::FORMERR)?,
            rtype: header.rtype,
            class: header.class,
            ttl: header.ttl,
            rdata: rdata.clone(),
        });
    }
    Ok(out)
}

/// Why an update was not applied, for the log.
#[derive(Debug)]
pub struct Refused {
    pub rcode: u16,
    pub why: String,
}

fn refuse(rcode: u16, why: impl Into<String>) -> Refused {
    Refused {
        rcode,
        why: why.into(),
    }
}

/// Processes an UPDATE for the zone of `handle` (the message's zone
/// section names it); the RCODE to answer with, and the serial served
/// after it.
pub fn process(
    msg: &[u8],
    addr: IpAddr,
    key: Option<usize>,
    handle: &ZoneHandle,
    journal: &Journal,
    updater: &Updater,
    now: u64,
) -> Result<u32, Refused> {
    let parsed = wire::Message::parse(msg).map_err(|_| refuse(rcode::FORMERR, "malformed"))?;
    if parsed.header.qdcount != 1 {
        return Err(refuse(rcode::FORMERR, "the zone section needs one entry"));
    }
    match &parsed.question {
        Some((_, RType::SOA, _)) => {}
        _ => return Err(refuse(rcode::FORMERR, "the zone entry must be of type SOA")),
    }
    let prerequisites =
        read_section(msg, wire::Section::Answer).map_err(|c| refuse(c, "malformed"))?;
    let updates =
        read_section(msg, wire::Section::Authority).map_err(|c| refuse(c, "malformed"))?;
    let _one_at_a_time = updater.lock.lock().unwrap_or_else(|e| e.into_inner());
    let old = handle.load_full();
    if old.signed && updater.signer.is_none() {
        return Err(refuse(
            rcode::REFUSED,
            "the zone is signed offline: an update would leave it with records unsigned",
        ));
    }
    let class = old.class;
    check_prerequisites(&old, &prerequisites, class)?;
    for u in &updates {
        prescan(&old, u, class, updater.signer.is_some())?;
        let rtype = (u.rtype != RType::ANY).then_some(u.rtype);
        if !updater
            .rules
            .iter()
            .any(|r| r.admits(addr, key) && r.allows(&u.owner, rtype))
        {
            return Err(refuse(
                rcode::REFUSED,
                format!("not allowed to change {} {}", u.owner, u.rtype),
            ));
        }
    }
    let mut editor = old.edit();
    let mut touched: Vec<(Name, RType)> = Vec::new();
    for u in &updates {
        apply_one(
            &mut editor,
            &old,
            u,
            class,
            updater.signer.is_some(),
            &mut touched,
        )?;
    }
    let changed = touched.iter().any(|(owner, rtype)| {
        records_of(old.rrset(owner, *rtype)) != records_of(editor.version().rrset(owner, *rtype))
    });
    if !changed {
        return Ok(old.serial);
    }
    // The serial moves on unless the update itself moved it.
    let apex = old.apex().name.clone();
    let new_serial = if serial::compare(editor.version().serial, old.serial)
        == Some(std::cmp::Ordering::Greater)
    {
        editor.version().serial
    } else {
        updater.serial_policy.next(old.serial, now)
    };
    set_serial(&mut editor, new_serial).map_err(|e| refuse(rcode::SERVFAIL, e.to_string()))?;
    touched.push((apex, RType::SOA));
    if let Some(signer) = &updater.signer {
        signer
            .sign_changes(&mut editor, &touched, now as u32)
            .map_err(|e| refuse(rcode::SERVFAIL, format!("signing the change: {e}")))?;
    }
    commit(handle, journal, updater, &old, editor.finish())?;
    Ok(new_serial)
}

/// Puts the apex SOA with `serial` in the version being edited (its
/// signatures dropped: a signer makes new ones).
pub fn set_serial(editor: &mut ZoneEditor, serial: u32) -> Result<(), super::store::StoreError> {
    let soa = editor.version().soa();
    let mut rdata = soa.rdata.to_vec();
    let at = rdata.len() - 20;
    rdata[at..at + 4].copy_from_slice(&serial.to_be_bytes());
    editor.put(&soa.owner, RType::SOA, soa.ttl, &[&rdata], &[], 0)
}

/// Serves `new` in place of `old`: the difference journaled first (for
/// IXFR, and for replay after a crash), then the version swapped in, then
/// NOTIFY and saving set off. The caller holds the zone's update lock.
pub fn commit(
    handle: &ZoneHandle,
    journal: &Journal,
    updater: &Updater,
    old: &ZoneVersion,
    new: ZoneVersion,
) -> Result<(), Refused> {
    let (deleted, added) = old.diff(&new);
    let change = Changeset {
        from: old.soa(),
        to: new.soa(),
        deleted,
        added,
    };
    match journal.record(
        &updater.journal_file,
        &new.origin,
        change,
        updater.journal_limit,
    ) {
        Ok(Some(note)) => tracing::warn!("zone {}: {note}", new.origin),
        Ok(None) => {}
        Err(e) => {
            return Err(refuse(
                rcode::SERVFAIL,
                format!("cannot write {}: {e}", updater.journal_file.display()),
            ));
        }
    }
    handle.store(new);
    if let Some(changed) = &updater.changed {
        let _ = changed.send(old.origin.clone());
    }
    Ok(())
}

/// The records of a set as (TTL, rdata), sorted, for comparing.
fn records_of(set: Option<&StoredSet>) -> Vec<(u32, Vec<u8>)> {
    let mut out: Vec<(u32, Vec<u8>)> = set
        .map(|s| s.records.iter().map(|r| (s.ttl, r.to_vec())).collect())
        .unwrap_or_default();
    out.sort();
    out
}

fn in_zone(version: &ZoneVersion, owner: &Name) -> Result<(), Refused> {
    if owner.is_subdomain_of(&version.origin) {
        Ok(())
    } else {
        Err(refuse(
            rcode::NOTZONE,
            format!("{owner} is outside {}", version.origin),
        ))
    }
}

/// Whether a name owns data (an empty non-terminal does not).
fn in_use(version: &ZoneVersion, owner: &Name) -> bool {
    let mut keybuf = super::key::KeyBuf::new();
    super::key::canonical_key(owner.as_wire(), version.origin.label_count(), &mut keybuf);
    version
        .get(keybuf.as_bytes())
        .is_some_and(|n| !n.is_empty())
}

/// RFC 2136 §3.2: every prerequisite must hold, or nothing changes.
fn check_prerequisites(
    version: &ZoneVersion,
    prerequisites: &[UpdateRecord],
    class: u16,
) -> Result<(), Refused> {
    // Value-dependent prerequisites are compared as whole RRsets: by
    // (lowercased owner, type), the owner and the records required.
    type Required = BTreeMap<(Vec<u8>, RType), (Name, Vec<Vec<u8>>)>;
    let mut wanted: Required = BTreeMap::new();
    for p in prerequisites {
        if p.ttl != 0 {
            return Err(refuse(rcode::FORMERR, "a prerequisite with a TTL"));
        }
        in_zone(version, &p.owner)?;
        match (p.class, p.rtype) {
            (CLASS_ANY, _) | (CLASS_NONE, _) if !p.rdata.is_empty() => {
                return Err(refuse(rcode::FORMERR, "a prerequisite with data"));
            }
            (CLASS_ANY, RType::ANY) if !in_use(version, &p.owner) => {
                return Err(refuse(
                    rcode::NXDOMAIN,
                    format!("{} does not exist", p.owner),
                ));
            }
            (CLASS_ANY, RType::ANY) => {}
            (CLASS_ANY, t) if version.rrset(&p.owner, t).is_none() => {
                return Err(refuse(rcode::NXRRSET, format!("no {} {t}", p.owner)));
            }
            (CLASS_ANY, _) => {}
            (CLASS_NONE, RType::ANY) if in_use(version, &p.owner) => {
                return Err(refuse(rcode::YXDOMAIN, format!("{} exists", p.owner)));
            }
            (CLASS_NONE, RType::ANY) => {}
            (CLASS_NONE, t) if version.rrset(&p.owner, t).is_some() => {
                return Err(refuse(rcode::YXRRSET, format!("{} {t} exists", p.owner)));
            }
            (CLASS_NONE, _) => {}
            (c, t) if c == class => {
                let entry = wanted
                    .entry((p.owner.as_wire().to_ascii_lowercase(), t))
                    .or_insert_with(|| (p.owner.clone(), Vec::new()));
                entry.1.push(p.rdata.clone());
            }
            _ => return Err(refuse(rcode::FORMERR, "a prerequisite of another class")),
        }
    }
    for ((_, rtype), (owner, mut rdatas)) in wanted {
        rdatas.sort();
        rdatas.dedup();
        let mut have: Vec<Vec<u8>> = version
            .rrset(&owner, rtype)
            .map(|s| s.records.iter().map(<[u8]>::to_vec).collect())
            .unwrap_or_default();
        have.sort();
        if have != rdatas {
            return Err(refuse(
                rcode::NXRRSET,
                format!("{owner} {rtype} is not as required"),
            ));
        }
    }
    Ok(())
}

/// RFC 2136 §3.4.1: the update section is checked whole before anything
/// is applied.
fn prescan(
    version: &ZoneVersion,
    u: &UpdateRecord,
    class: u16,
    signed_here: bool,
) -> Result<(), Refused> {
    in_zone(version, &u.owner)?;
    if matches!(u.rtype, RType::RRSIG | RType::NSEC | RType::NSEC3)
        || (signed_here && is_signers(u.rtype))
    {
        return Err(refuse(
            rcode::REFUSED,
            format!("{} records are the signer's, not an update's", u.rtype),
        ));
    }
    let meta = u.rtype.is_meta() || u.rtype == RType::ANY;
    let ok = match u.class {
        c if c == class => !meta,
        CLASS_ANY => u.ttl == 0 && u.rdata.is_empty() && (!meta || u.rtype == RType::ANY),
        CLASS_NONE => u.ttl == 0 && !meta,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(refuse(
            rcode::FORMERR,
            format!("a malformed update of {} {}", u.owner, u.rtype),
        ))
    }
}

fn set_data(editor: &ZoneEditor, owner: &Name, rtype: RType) -> (u32, Vec<Vec<u8>>) {
    editor.set(owner, rtype).map_or((0, Vec::new()), |s| {
        (s.ttl, s.records.iter().map(<[u8]>::to_vec).collect())
    })
}

fn put(
    editor: &mut ZoneEditor,
    owner: &Name,
    rtype: RType,
    ttl: u32,
    data: &[Vec<u8>],
) -> Result<(), Refused> {
    let refs: Vec<&[u8]> = data.iter().map(|d| &d[..]).collect();
    editor
        .put(owner, rtype, ttl, &refs, &[], 0)
        .map_err(|e| refuse(rcode::SERVFAIL, e.to_string()))
}

/// RFC 2136 §3.4.2: one update record applied to the version in progress.
fn apply_one(
    editor: &mut ZoneEditor,
    old: &ZoneVersion,
    u: &UpdateRecord,
    class: u16,
    signed_here: bool,
    touched: &mut Vec<(Name, RType)>,
) -> Result<(), Refused> {
    let at_apex = u.owner.eq_ignore_case(&old.origin);
    let owner = if at_apex {
        old.apex().name.clone()
    } else {
        u.owner.clone()
    };
    let types_here: Vec<RType> = editor
        .node(&owner)
        .map(|n| n.served_sets().map(|s| s.rtype).collect())
        .unwrap_or_default();
    match u.class {
        c if c == class => {
            if u.rtype == RType::SOA {
                // Only the apex SOA, and only forward (§3.4.2.2).
                let current = editor.version().serial;
                let new = crate::xfr::soa_serial(&u.rdata).unwrap_or(current);
                if at_apex && serial::compare(new, current) == Some(std::cmp::Ordering::Greater) {
                    put(
                        editor,
                        &owner,
                        RType::SOA,
                        u.ttl,
                        std::slice::from_ref(&u.rdata),
                    )?;
                    touched.push((owner, RType::SOA));
                }
                return Ok(());
            }
            let has_cname = types_here.contains(&RType::CNAME);
            let others = types_here
                .iter()
                .any(|t| *t != RType::CNAME && !t.may_coexist_with_cname());
            if (u.rtype == RType::CNAME && others)
                || (u.rtype != RType::CNAME && has_cname && !u.rtype.may_coexist_with_cname())
            {
                return Ok(()); // CNAME and other data do not mix: ignored
            }
            let (_, mut data) = set_data(editor, &owner, u.rtype);
            if u.rtype == RType::CNAME {
                data.clear(); // one CNAME per name: replaced
            }
            if !data.contains(&u.rdata) {
                data.push(u.rdata.clone());
            }
            // One TTL per RRset: the new record's (§3.4.2.2).
            put(editor, &owner, u.rtype, u.ttl, &data)?;
            touched.push((owner, u.rtype));
        }
        CLASS_ANY if u.rtype == RType::ANY => {
            for t in types_here {
                if (at_apex && matches!(t, RType::SOA | RType::NS))
                    || (signed_here && is_signers(t))
                {
                    continue;
                }
                put(editor, &owner, t, 0, &[])?;
                touched.push((owner.clone(), t));
            }
        }
        CLASS_ANY => {
            if at_apex && matches!(u.rtype, RType::SOA | RType::NS) {
                return Ok(());
            }
            put(editor, &owner, u.rtype, 0, &[])?;
            touched.push((owner, u.rtype));
        }
        _ => {
            // CLASS_NONE: one record goes.
            if u.rtype == RType::SOA {
                return Ok(());
            }
            let (ttl, mut data) = set_data(editor, &owner, u.rtype);
            if at_apex && u.rtype == RType::NS && data.len() == 1 && data[0] == u.rdata {
                return Ok(()); // the zone keeps its last NS
            }
            data.retain(|d| *d != u.rdata);
            put(editor, &owner, u.rtype, ttl, &data)?;
            touched.push((owner, u.rtype));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_policies_move_forward() {
        assert_eq!(SerialPolicy::Increment.next(7, 0), 8);
        assert_eq!(SerialPolicy::Increment.next(u32::MAX, 0), 0);
        assert_eq!(SerialPolicy::Unixtime.next(7, 1_700_000_000), 1_700_000_000);
        assert_eq!(
            SerialPolicy::Unixtime.next(1_800_000_000, 1_700_000_000),
            1_800_000_001
        );
        // 2023-11-14 is the day of 1_700_000_000.
        assert_eq!(SerialPolicy::Dateserial.next(7, 1_700_000_000), 2023111400);
        assert_eq!(
            SerialPolicy::Dateserial.next(2023111405, 1_700_000_000),
            2023111406
        );
    }

    #[test]
    fn rules_cover_names_and_types() {
        let dyn_ = Name::parse(b"dyn.example.", None).unwrap();
        let rule = UpdateRule {
            prefix: None,
            key: Some(0),
            names: vec![NameRule::Below(dyn_.clone())],
            types: vec![RType::A],
        };
        let below = Name::parse(b"h.dyn.example.", None).unwrap();
        assert!(rule.allows(&below, Some(RType::A)));
        assert!(!rule.allows(&below, Some(RType::TXT)));
        assert!(
            !rule.allows(&below, None),
            "deleting every type needs every type"
        );
        assert!(!rule.allows(&dyn_, Some(RType::A)), "below, not at");
        assert!(rule.admits("192.0.2.1".parse().unwrap(), Some(0)));
        assert!(!rule.admits("192.0.2.1".parse().unwrap(), None));
    }
}
