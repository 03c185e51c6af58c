//! Key timing metadata as BIND writes it in `.private` files (Publish,
//! Activate, Inactive, Delete, SyncPublish, SyncDelete; RFC 6781 §4.1 for
//! the rollovers they drive): where a key stands at a given moment, and
//! when that next changes, so that a signer following the clock rolls
//! keys without being restarted.

use super::keys::SigningKey;

/// What a key does at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyState {
    /// In the DNSKEY RRset.
    pub published: bool,
    /// Makes signatures.
    pub active: bool,
    /// Announced to the parent in CDS/CDNSKEY (a KSK only).
    pub sync: bool,
}

const FIELDS: [&str; 6] = [
    "Publish",
    "Activate",
    "Inactive",
    "Delete",
    "SyncPublish",
    "SyncDelete",
];

fn field(key: &SigningKey, name: &str) -> Option<u32> {
    key.timing
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| crate::zone::rdata::parse_time(v.as_bytes()).ok())
}

/// Whether `at` has been reached by `now` (absolute times, both well
/// inside 1970–2106, so plain comparison is right).
fn reached(at: Option<u32>, now: u32) -> bool {
    at.is_some_and(|t| t <= now)
}

/// The state of `key` at `now`. A key without timing metadata is
/// published and active, as `dnssec-signzone` takes it. Otherwise it is
/// published from Publish (or Activate when only that is set) until
/// Delete, signs from Activate until Inactive, and a KSK is in CDS from
/// SyncPublish until SyncDelete (or, without SyncPublish, while active).
pub fn state_at(key: &SigningKey, now: u32) -> KeyState {
    let publish = field(key, "Publish");
    let activate = field(key, "Activate");
    let untimed = FIELDS.iter().all(|f| field(key, f).is_none());
    let deleted = reached(field(key, "Delete"), now);
    let published = !deleted && (untimed || reached(publish.or(activate), now));
    let active =
        published && (untimed || reached(activate, now)) && !reached(field(key, "Inactive"), now);
    let sync = key.is_ksk()
        && published
        && !reached(field(key, "SyncDelete"), now)
        && match field(key, "SyncPublish") {
            Some(t) => t <= now,
            None => active,
        };
    KeyState {
        published,
        active,
        sync,
    }
}

/// The first moment after `now` at which the state of `key` changes.
pub fn next_event(key: &SigningKey, now: u32) -> Option<u32> {
    FIELDS
        .iter()
        .filter_map(|f| field(key, f))
        .filter(|&t| t > now)
        .min()
}

/// The apex key RRsets of a zone signed with `keys` at `now`: DNSKEY
/// holds the published keys and the `foreign` ones (another signer's
/// DNSKEYs, RFC 8901 §2.1, published but never used here), and, when
/// `announce` is set, CDS (SHA-256) and CDNSKEY hold the KSKs in their
/// sync window (RFC 7344 §4). `active` are the indexes of the keys that
/// sign.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApexKeys {
    pub dnskey: Vec<Vec<u8>>,
    pub cds: Vec<Vec<u8>>,
    pub cdnskey: Vec<Vec<u8>>,
    pub active: Vec<usize>,
}

pub fn apex_keys(keys: &[SigningKey], foreign: &[Vec<u8>], now: u32, announce: bool) -> ApexKeys {
    let mut out = ApexKeys::default();
    for (i, key) in keys.iter().enumerate() {
        let state = state_at(key, now);
        if state.published {
            out.dnskey.push(key.dnskey_rdata());
        }
        if state.active {
            out.active.push(i);
        }
        if announce && state.sync {
            out.cds.push(
                super::digest::ds_rdata(&key.owner, &key.dnskey_rdata(), 2)
                    .expect("SHA-256 is known"),
            );
            out.cdnskey.push(key.dnskey_rdata());
        }
    }
    out.dnskey.extend(foreign.iter().cloned());
    for set in [&mut out.dnskey, &mut out.cds, &mut out.cdnskey] {
        set.sort();
        set.dedup();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::Name;

    fn key_with(timing: &[(&str, &str)], flags: u16) -> SigningKey {
        let origin = Name::parse(b"example.", None).unwrap();
        let mut key = SigningKey::generate(&origin, 15, flags, None).unwrap();
        key.timing = timing
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        key
    }

    fn at(text: &str) -> u32 {
        crate::zone::rdata::parse_time(text.as_bytes()).unwrap()
    }

    #[test]
    fn an_untimed_key_is_published_and_active() {
        let key = key_with(&[], 0x0101);
        let state = state_at(&key, at("20260101000000"));
        assert!(state.published && state.active && state.sync);
        assert_eq!(next_event(&key, 0), None);
    }

    /// RFC 6781 §4.1.1.1: a pre-published ZSK is in the DNSKEY RRset
    /// before it signs; the old one stays published after it stops.
    #[test]
    fn rfc6781_4_1_1_1_a_zsk_rollover_by_timing() {
        let old = key_with(
            &[
                ("Created", "20260101000000"),
                ("Publish", "20260101000000"),
                ("Activate", "20260101000000"),
                ("Inactive", "20260201000000"),
                ("Delete", "20260215000000"),
            ],
            0x0100,
        );
        let new = key_with(
            &[
                ("Publish", "20260120000000"),
                ("Activate", "20260201000000"),
            ],
            0x0100,
        );
        let state = |k: &SigningKey, t: &str| {
            let s = state_at(k, at(t));
            (s.published, s.active)
        };
        assert_eq!(state(&old, "20260110000000"), (true, true));
        assert_eq!(state(&new, "20260110000000"), (false, false));
        assert_eq!(state(&new, "20260125000000"), (true, false));
        assert_eq!(state(&old, "20260205000000"), (true, false));
        assert_eq!(state(&new, "20260205000000"), (true, true));
        assert_eq!(state(&old, "20260301000000"), (false, false));
        assert_eq!(
            next_event(&new, at("20260125000000")),
            Some(at("20260201000000"))
        );
        assert!(
            !state_at(&old, at("20260110000000")).sync,
            "a ZSK is never in CDS"
        );
    }

    #[test]
    fn a_ksk_is_announced_from_sync_publish() {
        let ksk = key_with(
            &[
                ("Activate", "20260101000000"),
                ("SyncPublish", "20260110000000"),
                ("SyncDelete", "20260120000000"),
            ],
            0x0101,
        );
        assert!(state_at(&ksk, at("20260102000000")).published);
        assert!(!state_at(&ksk, at("20260102000000")).sync);
        assert!(state_at(&ksk, at("20260111000000")).sync);
        assert!(!state_at(&ksk, at("20260121000000")).sync);
    }
}
