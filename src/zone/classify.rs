//! The nodes of a zone, classified as a server and a signer see them
//! (RFC 1034 §4.2.1, RFC 4035 §2.2): the apex, authoritative names,
//! delegation points (whose NS and glue are the child's, and which are
//! signed only for DS and NSEC), names below a cut (glue and occluded
//! data, never signed, never in a denial chain), and the hashed owners of
//! NSEC3 records. Signing and verification walk the same classification.

use std::collections::BTreeSet;

use super::{Name, Pos, RRset, RType, Zone};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Apex,
    Authoritative,
    Delegation {
        secure: bool,
    },
    /// Glue and data occluded by a cut: never signed, never in a chain.
    NonAuthoritative,
    /// The owner of NSEC3 records (a hashed name), not a name of the zone.
    Nsec3,
}

pub struct Node<'z> {
    pub owner: &'z Name,
    pub sets: &'z [RRset],
    pub kind: Kind,
}

impl Node<'_> {
    pub fn get(&self, t: RType) -> Option<&RRset> {
        self.sets.iter().find(|s| s.rtype == t)
    }
    pub fn pos(&self) -> Pos {
        self.sets.first().map_or(Pos::default(), |s| s.pos)
    }
    /// The types an NSEC/NSEC3 bitmap must list for this node.
    pub fn bitmap_types(&self, denial: RType) -> BTreeSet<u16> {
        let mut types: BTreeSet<u16> = self
            .sets
            .iter()
            .map(|s| s.rtype)
            .filter(|t| match self.kind {
                Kind::Delegation { .. } => {
                    matches!(*t, RType::NS | RType::DS | RType::RRSIG | RType::NSEC)
                }
                _ => true,
            })
            .filter(|t| *t != RType::NSEC3)
            .map(|t| t.0)
            .collect();
        if denial == RType::NSEC {
            types.insert(RType::NSEC.0);
            types.insert(RType::RRSIG.0);
        }
        types
    }
}

/// The zone's nodes in canonical order, each with its kind.
pub fn nodes(zone: &Zone) -> Vec<Node<'_>> {
    let rrsets = zone.rrsets();
    let mut out = Vec::new();
    let mut cut: Option<&Name> = None;
    let mut i = 0;
    while i < rrsets.len() {
        let owner = &rrsets[i].owner;
        let mut end = i + 1;
        while end < rrsets.len() && rrsets[end].owner.eq_ignore_case(owner) {
            end += 1;
        }
        let sets = &rrsets[i..end];
        if cut.is_some_and(|c| !owner.is_subdomain_of(c)) {
            cut = None;
        }
        let has = |t: RType| sets.iter().any(|s| s.rtype == t);
        let kind = if cut.is_some() {
            Kind::NonAuthoritative
        } else if owner.eq_ignore_case(&zone.origin) {
            Kind::Apex
        } else if has(RType::NS) {
            cut = Some(owner);
            Kind::Delegation {
                secure: has(RType::DS),
            }
        } else if has(RType::NSEC3)
            && sets
                .iter()
                .all(|s| matches!(s.rtype, RType::NSEC3 | RType::RRSIG))
        {
            Kind::Nsec3
        } else {
            Kind::Authoritative
        };
        out.push(Node { owner, sets, kind });
        i = end;
    }
    out
}
