//! Key tags (RFC 4034 Appendix B) and DS digests (RFC 4034 §5.1.4,
//! RFC 4509 for SHA-256, RFC 6605 for SHA-384).

use ring::digest::{Context, SHA1_FOR_LEGACY_USE_ONLY, SHA256, SHA384};

use crate::zone::Name;

/// The key tag of DNSKEY rdata (RFC 4034 Appendix B; algorithm 1 differs).
pub fn key_tag(dnskey_rdata: &[u8]) -> u16 {
    if dnskey_rdata.get(3) == Some(&1) && dnskey_rdata.len() >= 4 {
        let n = dnskey_rdata.len();
        return u16::from_be_bytes([
            dnskey_rdata[n.saturating_sub(3)],
            dnskey_rdata[n.saturating_sub(2)],
        ]);
    }
    let mut acc: u32 = 0;
    for (i, &b) in dnskey_rdata.iter().enumerate() {
        acc += if i & 1 == 0 {
            (b as u32) << 8
        } else {
            b as u32
        };
    }
    acc += (acc >> 16) & 0xffff;
    (acc & 0xffff) as u16
}

/// The digest of a DNSKEY for a DS record: H(owner | DNSKEY rdata), with
/// the owner in canonical (lowercase) form. `None` for unknown digest types.
pub fn ds_digest(owner: &Name, dnskey_rdata: &[u8], digest_type: u8) -> Option<Vec<u8>> {
    let algorithm = match digest_type {
        1 => &SHA1_FOR_LEGACY_USE_ONLY,
        2 => &SHA256,
        4 => &SHA384,
        _ => return None,
    };
    let mut ctx = Context::new(algorithm);
    ctx.update(&owner.as_wire().to_ascii_lowercase());
    ctx.update(dnskey_rdata);
    Some(ctx.finish().as_ref().to_vec())
}

/// The rdata of a DS (or CDS) record for DNSKEY rdata (RFC 4034 §5.1):
/// key tag, algorithm, digest type, digest. `None` for an unknown digest
/// type or rdata too short to be a DNSKEY.
pub fn ds_rdata(owner: &Name, dnskey_rdata: &[u8], digest_type: u8) -> Option<Vec<u8>> {
    let algorithm = *dnskey_rdata.get(3)?;
    let mut ds = key_tag(dnskey_rdata).to_be_bytes().to_vec();
    ds.push(algorithm);
    ds.push(digest_type);
    ds.extend_from_slice(&ds_digest(owner, dnskey_rdata, digest_type)?);
    Some(ds)
}

/// Whether DS (or CDS) rdata names this DNSKEY; `None` when the digest type is unknown.
pub fn ds_matches(owner: &Name, dnskey_rdata: &[u8], ds_rdata: &[u8]) -> Option<bool> {
    if ds_rdata.len() < 4 || dnskey_rdata.len() < 4 {
        return Some(false);
    }
    let tag = u16::from_be_bytes([ds_rdata[0], ds_rdata[1]]);
    if tag != key_tag(dnskey_rdata) || ds_rdata[2] != dnskey_rdata[3] {
        return Some(false);
    }
    let digest = ds_digest(owner, dnskey_rdata, ds_rdata[3])?;
    Some(digest == ds_rdata[4..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::{RType, rdata};

    #[test]
    fn rfc4034_5_4_ds_example() {
        // The DNSKEY and DS of RFC 4034 §5.4.
        let origin = Name::parse(b"dskey.example.com.", None).unwrap();
        let key_text = "256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZDRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==";
        let toks: Vec<rdata::Token<'_>> = key_text
            .split(' ')
            .map(|t| rdata::Token {
                text: t.as_bytes(),
                quoted: false,
            })
            .collect();
        let mut key = Vec::new();
        rdata::parse(RType::DNSKEY, &toks, &origin, &mut key).unwrap();
        assert_eq!(key_tag(&key), 60485);
        let digest = ds_digest(&origin, &key, 1).unwrap();
        let mut hex = String::new();
        crate::zone::encoding::hex_encode(&digest, &mut hex);
        assert_eq!(hex, "2BB183AF5F22588179A53B0A98631FAD1A292118");
    }
}
