//! Canonical RR form (RFC 4034 §6.2 as corrected by RFC 6840 §5.1): the
//! bytes an RRSIG signs.

use std::borrow::Cow;

use crate::zone::name::wire_name_len;
use crate::zone::rtype::{Field, Layout, RType};

/// Types whose rdata names are lowercased (RFC 4034 §6.2 item 3, less
/// NSEC and HINFO per RFC 6840 §5.1).
fn lowercases_names(rtype: RType) -> bool {
    matches!(
        rtype.0,
        2 | 3
            | 4
            | 5
            | 6
            | 7
            | 8
            | 9
            | 12
            | 14
            | 15
            | 17
            | 18
            | 21
            | 24
            | 26
            | 30
            | 33
            | 35
            | 36
            | 38
            | 39
            | 46
    )
}

/// The rdata with embedded names lowercased where the type demands it.
pub fn canonical_rdata(rtype: RType, rdata: &[u8]) -> Cow<'_, [u8]> {
    if !lowercases_names(rtype) || !rdata.iter().any(u8::is_ascii_uppercase) {
        return Cow::Borrowed(rdata);
    }
    let mut out = rdata.to_vec();
    let mut pos = 0;
    let fields: &[Field] = match rtype.layout() {
        Layout::Fields(fields) => fields,
        Layout::Nxt => &[Field::Name],
        Layout::A6 => {
            // prefix length, address suffix, then the prefix name
            let prefix = rdata[0] as usize;
            let start = 1 + (128 - prefix.min(128)).div_ceil(8);
            if prefix > 0 && start < out.len() {
                out[start..].make_ascii_lowercase();
            }
            return Cow::Owned(out);
        }
        _ => return Cow::Borrowed(rdata),
    };
    for field in fields {
        let size = match field {
            Field::U8 | Field::Algorithm => 1,
            Field::U16 | Field::Type => 2,
            Field::U32 | Field::Period | Field::Time | Field::Ipv4 => 4,
            Field::Ipv6 => 16,
            Field::CharString => 1 + *rdata.get(pos).unwrap_or(&0) as usize,
            Field::Name => {
                let Some(len) = rdata.get(pos..).and_then(wire_name_len) else {
                    break;
                };
                out[pos..pos + len].make_ascii_lowercase();
                len
            }
            _ => break,
        };
        pos += size;
    }
    Cow::Owned(out)
}

/// The RRSIG Labels field of an owner (RFC 4034 §3.1.3): its labels, not
/// counting the root nor a leftmost wildcard label. A `*` anywhere else
/// is an ordinary label.
pub fn rrsig_labels(owner: &crate::zone::Name) -> usize {
    let mut labels = owner.labels();
    match labels.next() {
        None => 0,
        Some(first) => usize::from(first != b"*") + labels.count(),
    }
}

/// The data an RRSIG signs (RFC 4034 §3.1.8.1).
pub fn signed_data(
    sig_header: &[u8],
    signer_offset: usize,
    owner: &crate::zone::Name,
    labels: u8,
    rrset: &crate::zone::RRset,
    original_ttl: u32,
) -> Vec<u8> {
    let mut data = Vec::with_capacity(512);
    data.extend_from_slice(&sig_header[..signer_offset]);
    data.extend(
        sig_header[signer_offset..]
            .iter()
            .map(u8::to_ascii_lowercase),
    );
    let mut owner_wire = owner.as_wire().to_ascii_lowercase();
    let owner_labels = rrsig_labels(owner);
    if (labels as usize) < owner_labels {
        // Wildcard expansion: `*.` plus the rightmost `labels` labels.
        let mut skip = owner.label_count() - labels as usize;
        let mut pos = 0;
        while skip > 0 {
            pos += owner_wire[pos] as usize + 1;
            skip -= 1;
        }
        let mut wild = vec![1, b'*'];
        wild.extend_from_slice(&owner_wire[pos..]);
        owner_wire = wild;
    }
    let mut rdatas: Vec<std::borrow::Cow<'_, [u8]>> = rrset
        .rdatas
        .iter()
        .map(|r| canonical_rdata(rrset.rtype, r))
        .collect();
    rdatas.sort();
    rdatas.dedup();
    for rdata in rdatas {
        data.extend_from_slice(&owner_wire);
        data.extend_from_slice(&rrset.rtype.0.to_be_bytes());
        data.extend_from_slice(&rrset.class.to_be_bytes());
        data.extend_from_slice(&original_ttl.to_be_bytes());
        data.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        data.extend_from_slice(&rdata);
    }
    data
}
