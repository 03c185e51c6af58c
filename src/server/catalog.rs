//! Catalog zones (RFC 9432, schema version 2): a zone whose records list
//! other zones, so that secondaries learn which zones to serve from the
//! primary instead of each one's configuration.
//!
//! A producer's catalog is built from the configuration (the zones that
//! name it in `catalog`), with each member as `ID.zones.CATALOG PTR
//! MEMBER`, its `group` as a TXT record below that, and `version TXT "2"`.
//! A consumer reads the members (and their `coo` and `group` properties)
//! out of a catalog it transfers.

use crate::zone::{Name, RType, Record, Zone};

/// One member zone of a catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub zone: Name,
    /// The member's unique label under `zones` (RFC 9432 §4.1).
    pub id: String,
    pub group: Option<String>,
    /// Change of ownership: the catalog that now owns the member (§5.1).
    pub coo: Option<Name>,
}

/// The label a producer gives a member: the SHA-1 of the member's name in
/// lowercase wire form, in hex, as BIND and Knot make it (stable, so a
/// member keeps its identity across rebuilds).
pub fn member_id(zone: &Name) -> String {
    let digest = ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        &zone.as_wire().to_ascii_lowercase(),
    );
    let mut hex = String::new();
    crate::zone::encoding::hex_encode(digest.as_ref(), &mut hex);
    hex.to_ascii_lowercase()
}

fn record(owner: Name, rtype: RType, ttl: u32, rdata: Vec<u8>) -> Record {
    Record {
        owner,
        rtype,
        class: crate::wire::CLASS_IN,
        ttl,
        rdata: rdata.into_boxed_slice(),
        pos: Default::default(),
    }
}

fn txt(text: &str) -> Vec<u8> {
    let bytes = &text.as_bytes()[..text.len().min(255)];
    let mut out = vec![bytes.len() as u8];
    out.extend_from_slice(bytes);
    out
}

/// The catalog zone `catalog` listing `members` (zone, group), at `serial`.
pub fn build(catalog: &Name, serial: u32, members: &[(Name, Option<String>)]) -> Zone {
    let ttl = 0;
    let invalid = Name::parse(b"invalid.", None).expect("valid");
    let mut soa = invalid.as_wire().to_vec();
    soa.extend_from_slice(invalid.as_wire());
    for value in [serial, 3600, 600, 2_419_200, 0] {
        soa.extend_from_slice(&value.to_be_bytes());
    }
    let mut records = vec![
        record(catalog.clone(), RType::SOA, ttl, soa),
        record(catalog.clone(), RType::NS, ttl, invalid.as_wire().to_vec()),
        record(
            catalog.prepend_label(b"version").expect("short"),
            RType::TXT,
            ttl,
            txt("2"),
        ),
    ];
    let zones = catalog.prepend_label(b"zones").expect("short");
    for (zone, group) in members {
        let id = member_id(zone);
        let owner = zones.prepend_label(id.as_bytes()).expect("short");
        records.push(record(
            owner.clone(),
            RType::PTR,
            ttl,
            zone.as_wire().to_ascii_lowercase(),
        ));
        if let Some(group) = group {
            records.push(record(
                owner.prepend_label(b"group").expect("short"),
                RType::TXT,
                ttl,
                txt(group),
            ));
        }
    }
    Zone::from_records(catalog.clone(), crate::wire::CLASS_IN, records).0
}

/// Why a catalog cannot be consumed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    #[error("{0}: no version TXT record (RFC 9432 §4.2.1)")]
    NoVersion(Name),
    #[error("{0}: schema version {1} is not 2")]
    Version(Name, String),
}

/// The members a catalog lists (RFC 9432 §4): one per member label with
/// exactly one PTR; a zone listed twice counts once (the first label in
/// canonical order).
pub fn members(zone: &Zone) -> Result<Vec<Member>, CatalogError> {
    let origin = &zone.origin;
    let set = |owner: &Name, rtype: RType| {
        zone.rrsets()
            .iter()
            .find(|s| s.rtype == rtype && s.owner.eq_ignore_case(owner))
    };
    let text_of =
        |rdata: &[u8]| String::from_utf8_lossy(rdata.get(1..).unwrap_or_default()).into_owned();
    let version = origin.prepend_label(b"version").expect("short");
    let Some(versions) = set(&version, RType::TXT) else {
        return Err(CatalogError::NoVersion(origin.clone()));
    };
    let text = text_of(&versions.rdatas[0]);
    if versions.rdatas.len() != 1 || text != "2" {
        return Err(CatalogError::Version(origin.clone(), text));
    }
    let zones = origin.prepend_label(b"zones").expect("short");
    let mut out: Vec<Member> = Vec::new();
    for ptr in zone.rrsets().iter().filter(|s| {
        s.rtype == RType::PTR && s.owner.parent().is_some_and(|p| p.eq_ignore_case(&zones))
    }) {
        // §4.1: a member label with several PTRs is broken, and skipped.
        let [rdata] = &ptr.rdatas[..] else {
            continue;
        };
        let Ok(member) = Name::from_wire(rdata) else {
            continue;
        };
        if out.iter().any(|m| m.zone.eq_ignore_case(&member)) {
            continue;
        }
        let property = |label: &[u8], rtype: RType| {
            let owner = ptr.owner.prepend_label(label).ok()?;
            set(&owner, rtype).map(|s| s.rdatas[0].clone())
        };
        out.push(Member {
            zone: member.to_lowercase(),
            id: String::from_utf8_lossy(ptr.owner.labels().next().unwrap_or_default()).into_owned(),
            group: property(b"group", RType::TXT).map(|t| text_of(&t)),
            coo: property(b"coo", RType::PTR).and_then(|p| Name::from_wire(&p).ok()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9432_4_a_built_catalog_reads_back() {
        let catalog = Name::parse(b"catalog.invalid.", None).unwrap();
        let a = Name::parse(b"example.com.", None).unwrap();
        let b = Name::parse(b"Example.NET.", None).unwrap();
        let zone = build(&catalog, 7, &[(a.clone(), Some("blue".into())), (b, None)]);
        let found = members(&zone).unwrap();
        assert_eq!(found.len(), 2);
        let first = found.iter().find(|m| m.zone == a).unwrap();
        assert_eq!(first.group.as_deref(), Some("blue"));
        assert_eq!(first.id, member_id(&a));
        assert!(found.iter().any(|m| m.zone.to_string() == "example.net."));
        // Without the version record it is no catalog.
        let rrsets: Vec<_> = zone
            .rrsets()
            .iter()
            .filter(|s| s.rtype != RType::TXT)
            .cloned()
            .collect();
        let bare = Zone::from_sorted_rrsets(catalog, 1, rrsets);
        assert!(members(&bare).is_err());
    }
}
