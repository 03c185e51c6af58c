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

/// Where a node stands in its zone, as a walk in canonical order finds it.
#[derive(Debug, Clone, Copy)]
pub struct Placement<'z> {
    pub kind: Kind,
    /// For a non-authoritative node, the delegation point above it.
    pub cut: Option<&'z Name>,
    /// An authoritative DNAME strictly above the node (RFC 6672 §2.3: a
    /// DNAME owner has no descendants). Signing ignores it; check reports
    /// such nodes; a server never reaches them.
    pub dname: Option<&'z Name>,
}

/// Classifies the nodes of a zone one after another in canonical order,
/// carrying the enclosing cut and DNAME from node to node: the one
/// classification that check, sign, verify and the server share.
pub struct Classifier<'z> {
    zone: &'z Zone,
    cut: Option<&'z Name>,
    dname: Option<&'z Name>,
}

impl<'z> Classifier<'z> {
    /// A classifier for a walk from the start of the zone.
    pub fn new(zone: &'z Zone) -> Self {
        Classifier {
            zone,
            cut: None,
            dname: None,
        }
    }

    /// A classifier for a walk starting at `first` (a walk over part of
    /// the zone): the cut and DNAME above it are found by looking up its
    /// ancestors, as a walk from the start would have found them.
    pub fn starting_at(zone: &'z Zone, first: &Name) -> Self {
        let mut classifier = Classifier::new(zone);
        let origin = &zone.origin;
        let mut ancestors = Vec::new();
        let mut current = first.parent();
        while let Some(a) = current.filter(|a| a.is_subdomain_of(origin)) {
            current = a.parent();
            ancestors.push(a);
        }
        for ancestor in ancestors.iter().rev() {
            let sets = zone.node(ancestor);
            if let Some(set) = sets.first() {
                classifier.classify(&set.owner, sets);
            }
            if classifier.cut.is_some() {
                break;
            }
        }
        classifier
    }

    /// The placement of the node `owner` holding `sets`; nodes must come
    /// in canonical order.
    pub fn classify(&mut self, owner: &'z Name, sets: &'z [RRset]) -> Placement<'z> {
        if self.cut.is_some_and(|c| !owner.is_subdomain_of(c)) {
            self.cut = None;
        }
        if self.dname.is_some_and(|d| !owner.is_subdomain_of(d)) {
            self.dname = None;
        }
        let dname = self.dname;
        let has = |t: RType| sets.iter().any(|s| s.rtype == t);
        let kind = if self.cut.is_some() {
            Kind::NonAuthoritative
        } else if owner.eq_ignore_case(&self.zone.origin) {
            Kind::Apex
        } else if has(RType::NS) {
            self.cut = Some(owner);
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
        if matches!(kind, Kind::Apex | Kind::Authoritative)
            && self.dname.is_none()
            && has(RType::DNAME)
        {
            self.dname = Some(owner);
        }
        Placement {
            kind,
            cut: if kind == Kind::NonAuthoritative {
                self.cut
            } else {
                None
            },
            dname,
        }
    }
}

/// The nodes of `rrsets` (a slice of a zone's RRsets in canonical order,
/// starting at a node), each as its owner and its RRsets.
pub fn node_slices(rrsets: &[RRset]) -> impl Iterator<Item = (&Name, &[RRset])> {
    let mut i = 0;
    std::iter::from_fn(move || {
        let owner = &rrsets.get(i)?.owner;
        let mut end = i + 1;
        while end < rrsets.len() && rrsets[end].owner.eq_ignore_case(owner) {
            end += 1;
        }
        let sets = &rrsets[i..end];
        i = end;
        Some((owner, sets))
    })
}

/// The zone's nodes in canonical order, each with its kind.
pub fn nodes(zone: &Zone) -> Vec<Node<'_>> {
    let mut classifier = Classifier::new(zone);
    node_slices(zone.rrsets())
        .map(|(owner, sets)| Node {
            owner,
            sets,
            kind: classifier.classify(owner, sets).kind,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::reader::{ReadOptions, read_bytes};

    const ZONE: &[u8] = b"$TTL 60
@ SOA ns hm 1 2 3 4 5
@ NS ns
ns A 192.0.2.1
sub NS ns.sub
sub DS 1 13 2 0000000000000000000000000000000000000000000000000000000000000000
ns.sub A 192.0.2.2
deep.x.sub TXT occluded
d DNAME elsewhere.
below.d A 192.0.2.3
below2.deeper.d NS ns
0p9mhaveqvm6t7vbl5lop2u3t2rp3tom NSEC3 1 0 0 - 0p9mhaveqvm6t7vbl5lop2u3t2rp3ton A
w A 192.0.2.4
";

    fn zone() -> Zone {
        let origin = Name::parse(b"example.", None).unwrap();
        let options = ReadOptions {
            origin: Some(origin.clone()),
            ..Default::default()
        };
        let outcome = read_bytes("t", ZONE, options);
        assert_eq!(outcome.error_count(), 0);
        Zone::from_records(origin, 1, outcome.records).0
    }

    fn show(p: Placement<'_>) -> String {
        format!(
            "{:?} cut={:?} dname={:?}",
            p.kind,
            p.cut.map(|n| n.to_string()),
            p.dname.map(|n| n.to_string())
        )
    }

    #[test]
    fn kinds_cuts_and_dnames() {
        let zone = zone();
        let mut classifier = Classifier::new(&zone);
        let got: Vec<String> = node_slices(zone.rrsets())
            .map(|(owner, sets)| format!("{owner} {}", show(classifier.classify(owner, sets))))
            .collect();
        let want = [
            "example. Apex cut=None dname=None",
            "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example. Nsec3 cut=None dname=None",
            "d.example. Authoritative cut=None dname=None",
            "below.d.example. Authoritative cut=None dname=Some(\"d.example.\")",
            "below2.deeper.d.example. Delegation { secure: false } cut=None dname=Some(\"d.example.\")",
            "ns.example. Authoritative cut=None dname=None",
            "sub.example. Delegation { secure: true } cut=None dname=None",
            "ns.sub.example. NonAuthoritative cut=Some(\"sub.example.\") dname=None",
            "deep.x.sub.example. NonAuthoritative cut=Some(\"sub.example.\") dname=None",
            "w.example. Authoritative cut=None dname=None",
        ];
        assert_eq!(got, want);
    }

    /// A walk over part of the zone (check splits its walk across threads)
    /// places every node as the walk from the start does.
    #[test]
    fn a_walk_from_any_node_agrees_with_the_whole_walk() {
        let zone = zone();
        let slices: Vec<_> = node_slices(zone.rrsets()).collect();
        let mut whole = Classifier::new(&zone);
        let expected: Vec<String> = slices
            .iter()
            .map(|(o, s)| show(whole.classify(o, s)))
            .collect();
        for start in 0..slices.len() {
            let mut part = Classifier::starting_at(&zone, slices[start].0);
            for (i, (owner, sets)) in slices.iter().enumerate().skip(start) {
                assert_eq!(
                    show(part.classify(owner, sets)),
                    expected[i],
                    "walk from {} at {owner}",
                    slices[start].0
                );
            }
        }
    }
}
