//! ZONEMD digests (RFC 8976): what the signer puts in the record and the
//! verifier compares it with.

use crate::zone::{RType, Zone};

/// RFC 8976 §3.3.1: the digest (hash 1 SHA-384, 2 SHA-512) over the
/// canonical wire form of every RR, in canonical order, leaving out the apex
/// ZONEMD and its signatures. `None` for unknown hash algorithms.
pub fn zonemd_digest(zone: &Zone, hash: u8) -> Option<Vec<u8>> {
    let algorithm = match hash {
        1 => &ring::digest::SHA384,
        2 => &ring::digest::SHA512,
        _ => return None,
    };
    let mut ctx = ring::digest::Context::new(algorithm);
    for set in zone.rrsets() {
        let at_apex = set.owner.eq_ignore_case(&zone.origin);
        if at_apex && set.rtype == RType::ZONEMD {
            continue;
        }
        let mut rdatas: Vec<std::borrow::Cow<'_, [u8]>> = set
            .rdatas
            .iter()
            .filter(|r| {
                !(at_apex && set.rtype == RType::RRSIG && r[..2] == RType::ZONEMD.0.to_be_bytes())
            })
            .map(|r| super::canonical::canonical_rdata(set.rtype, r))
            .collect();
        rdatas.sort();
        rdatas.dedup();
        let owner = set.owner.as_wire().to_ascii_lowercase();
        for rdata in rdatas {
            ctx.update(&owner);
            ctx.update(&set.rtype.0.to_be_bytes());
            ctx.update(&set.class.to_be_bytes());
            ctx.update(&set.ttl.to_be_bytes());
            ctx.update(&(rdata.len() as u16).to_be_bytes());
            ctx.update(&rdata);
        }
    }
    Some(ctx.finish().as_ref().to_vec())
}
