//! Names as the store's keys, built without allocating (the answer path
//! builds one per query).
//!
//! A key is a name relative to its zone's apex with its labels from the
//! apex down, each lowercased and ended by 0x00 (0x00 and 0x01 inside a
//! label escaped as 0x01 0x01 / 0x01 0x02). Comparing keys bytewise is the
//! canonical order of RFC 4034 §6.1, and the key of every ancestor is a
//! prefix of the name's key that ends at a label boundary, so walking down
//! from the apex needs no new key per step.

use std::cmp::Ordering;

use crate::zone::name::{KeySink, canonical_key_into};

/// Key bytes up to this length are kept inside the key (most relative
/// names are short), so that a lookup compares keys in the map's own
/// nodes instead of following a pointer per comparison.
const INLINE: usize = 22;

/// A stored key: its bytes inline when short, else on the heap.
#[derive(Clone)]
pub struct Key(Repr);

#[derive(Clone)]
enum Repr {
    Inline(u8, [u8; INLINE]),
    Heap(Box<[u8]>),
}

impl Key {
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline(len, bytes) => &bytes[..*len as usize],
            Repr::Heap(bytes) => bytes,
        }
    }
}

impl From<&[u8]> for Key {
    fn from(bytes: &[u8]) -> Key {
        if bytes.len() <= INLINE {
            let mut inline = [0u8; INLINE];
            inline[..bytes.len()].copy_from_slice(bytes);
            Key(Repr::Inline(bytes.len() as u8, inline))
        } else {
            Key(Repr::Heap(bytes.into()))
        }
    }
}

impl From<Vec<u8>> for Key {
    fn from(bytes: Vec<u8>) -> Key {
        Key::from(bytes.as_slice())
    }
}

impl std::ops::Deref for Key {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl std::borrow::Borrow<[u8]> for Key {
    fn borrow(&self) -> &[u8] {
        self.as_bytes()
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Key {}

impl PartialOrd for Key {
    fn partial_cmp(&self, other: &Key) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key {
    fn cmp(&self, other: &Key) -> Ordering {
        compare_keys(self.as_bytes(), other.as_bytes())
    }
}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write(self.as_bytes());
    }
}

impl std::hash::Hash for KeyRef<'_> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write(self.0);
    }
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Key({:?})", String::from_utf8_lossy(self.as_bytes()))
    }
}

/// Bytewise order (as `[u8]`'s), eight octets at a time: keys are short,
/// and a call to `memcmp` per comparison cost more than the comparing.
pub fn compare_keys(a: &[u8], b: &[u8]) -> Ordering {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let x = u64::from_be_bytes(a[i..i + 8].try_into().expect("8 octets"));
        let y = u64::from_be_bytes(b[i..i + 8].try_into().expect("8 octets"));
        if x != y {
            return x.cmp(&y);
        }
        i += 8;
    }
    while i < n {
        if a[i] != b[i] {
            return a[i].cmp(&b[i]);
        }
        i += 1;
    }
    a.len().cmp(&b.len())
}

/// Key bytes to look up, compared as [`Key`]s are: built on the stack,
/// no allocation per query.
pub struct KeyRef<'a>(pub &'a [u8]);

impl equivalent::Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.0 == key.as_bytes()
    }
}

impl equivalent::Comparable<Key> for KeyRef<'_> {
    fn compare(&self, key: &Key) -> Ordering {
        compare_keys(self.0, key.as_bytes())
    }
}

/// Long enough for any name: 127 labels, each byte at most escaped.
const KEY_CAPACITY: usize = 512;

/// A key under construction, with the end of each label's part.
pub struct KeyBuf {
    bytes: [u8; KEY_CAPACITY],
    len: usize,
    /// `bounds[d]` is the length of the key of the ancestor `d` labels
    /// below the apex (`bounds[0] == 0`, the apex itself).
    bounds: [u16; 128],
    labels: usize,
}

impl Default for KeyBuf {
    fn default() -> Self {
        Self::new()
    }
}

impl KeyBuf {
    pub fn new() -> KeyBuf {
        KeyBuf {
            bytes: [0; KEY_CAPACITY],
            len: 0,
            bounds: [0; 128],
            labels: 0,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// Labels below the apex.
    pub fn label_count(&self) -> usize {
        self.labels
    }

    /// The key of the ancestor `depth` labels below the apex.
    pub fn prefix(&self, depth: usize) -> &[u8] {
        &self.bytes[..self.bounds[depth] as usize]
    }

    /// How many labels below the apex a prefix of `len` bytes holds.
    pub fn depth_of(&self, len: usize) -> usize {
        self.bounds[..=self.labels]
            .iter()
            .position(|&b| b as usize == len)
            .unwrap_or(0)
    }

    /// The key of `*` below the ancestor at `depth` (a wildcard's key).
    pub fn wildcard_at(&self, depth: usize, out: &mut KeyBuf) {
        let prefix = self.prefix(depth);
        out.bytes[..prefix.len()].copy_from_slice(prefix);
        out.bounds[..=depth].copy_from_slice(&self.bounds[..=depth]);
        out.bytes[prefix.len()] = b'*';
        out.bytes[prefix.len() + 1] = 0;
        out.len = prefix.len() + 2;
        out.labels = depth + 1;
        out.bounds[depth + 1] = out.len as u16;
    }
}

impl KeySink for KeyBuf {
    fn byte(&mut self, b: u8) {
        self.bytes[self.len] = b;
        self.len += 1;
    }
    fn label_end(&mut self) {
        self.byte(0);
        self.labels += 1;
        self.bounds[self.labels] = self.len as u16;
    }
}

/// Builds the key of `wire` (an uncompressed name) relative to an apex of
/// `apex_labels` labels (not counting the root).
pub fn canonical_key(wire: &[u8], apex_labels: usize, out: &mut KeyBuf) {
    out.len = 0;
    out.labels = 0;
    out.bounds[0] = 0;
    canonical_key_into(wire, apex_labels, out);
}

/// The name `wire` with its first `n` labels removed.
pub fn strip_labels(wire: &[u8], n: usize) -> &[u8] {
    let mut pos = 0;
    for _ in 0..n {
        match wire.get(pos) {
            Some(&len) if len != 0 => pos += len as usize + 1,
            _ => break,
        }
    }
    &wire[pos.min(wire.len())..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::zone::Name;

    fn key(text: &str) -> Vec<u8> {
        let mut buf = KeyBuf::new();
        canonical_key(
            Name::parse(text.as_bytes(), None).unwrap().as_wire(),
            1,
            &mut buf,
        );
        buf.as_bytes().to_vec()
    }

    /// RFC 4034 §6.1's example order, under the apex `example.`.
    #[test]
    fn rfc4034_6_1_keys_sort_in_canonical_order() {
        let names = crate::zone::name::tests::RFC4034_6_1_ORDER;
        let keys: Vec<Vec<u8>> = names.iter().map(|n| key(n)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        assert_eq!(key("example."), b"");
        assert_eq!(key("Z.a.example."), b"a\0z\0");
    }

    #[test]
    fn keys_compare_as_byte_strings() {
        let samples: Vec<&[u8]> = vec![
            b"",
            b"a",
            b"a\0",
            b"a\0b\0",
            b"abcdefgh",
            b"abcdefghi",
            b"abcdefgg\xff",
            b"\x01\x02",
            b"zzzzzzzzzzzzzzzzzzzzzzzzzzzz",
        ];
        for a in &samples {
            for b in &samples {
                assert_eq!(compare_keys(a, b), a.cmp(b), "{a:?} {b:?}");
                assert_eq!(Key::from(*a).cmp(&Key::from(*b)), a.cmp(b));
            }
            assert_eq!(Key::from(*a).as_bytes(), *a);
        }
    }

    #[test]
    fn ancestors_are_prefixes() {
        let name = Name::parse(b"x.Y.example.", None).unwrap();
        let mut buf = KeyBuf::new();
        canonical_key(name.as_wire(), 1, &mut buf);
        assert_eq!(buf.label_count(), 2);
        assert_eq!(buf.prefix(1), b"y\0");
        assert_eq!(buf.depth_of(2), 1);
        let mut wild = KeyBuf::new();
        buf.wildcard_at(1, &mut wild);
        assert_eq!(wild.as_bytes(), b"y\0*\0");
        assert_eq!(strip_labels(name.as_wire(), 1), b"\x01Y\x07example\x00");
    }
}
