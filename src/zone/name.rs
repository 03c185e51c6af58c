//! Domain names in uncompressed wire format (RFC 1035 §3.1).
//!
//! A [`Name`] is the sequence of length-prefixed labels ending in the root
//! label, exactly as it appears on the wire. Case is preserved (owners are
//! written back as the operator typed them) while comparisons are
//! case-insensitive (RFC 4343). Ordering is the DNSSEC canonical order of
//! RFC 4034 §6.1: labels compared right to left, each as lowercase bytes.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

/// Longest name on the wire, root label included (RFC 1035 §2.3.4).
pub const MAX_NAME_LEN: usize = 255;
/// Longest single label (RFC 1035 §2.3.4).
pub const MAX_LABEL_LEN: usize = 63;

/// A domain name in wire form, shared, so that the records of one owner
/// hold one copy of it. Equality and hashing are DNS equality: ASCII case
/// is ignored (RFC 4343), so a `HashMap<Name, _>` finds `Example.` under
/// `example.`; the case as written is kept for output. Compare
/// [`Name::as_wire`] bytes where the exact spelling matters.
#[derive(Clone)]
pub struct Name(Arc<[u8]>);

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.eq_ignore_case(other)
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_usize(self.0.len());
        for b in self.0.iter() {
            state.write_u8(b.to_ascii_lowercase());
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    #[error("empty label in \"{0}\"")]
    EmptyLabel(String),
    #[error("label longer than 63 octets in \"{0}\"")]
    LabelTooLong(String),
    #[error("name longer than 255 octets: \"{0}\"")]
    NameTooLong(String),
    #[error("bad escape sequence in \"{0}\"")]
    BadEscape(String),
    #[error("relative name \"{0}\" with no origin to complete it")]
    NoOrigin(String),
    #[error("malformed wire-format name")]
    BadWire,
}

impl Name {
    pub fn root() -> Name {
        Name(Arc::new([0]))
    }

    /// Builds a name from wire bytes, checking the label structure.
    pub fn from_wire(wire: &[u8]) -> Result<Name, NameError> {
        let len = wire_name_len(wire).ok_or(NameError::BadWire)?;
        if len != wire.len() {
            return Err(NameError::BadWire);
        }
        Ok(Name(wire.into()))
    }

    /// Parses presentation format. A name not ending in an unescaped `.` is
    /// relative and completed with `origin`; `@` is the origin itself.
    pub fn parse(text: &[u8], origin: Option<&Name>) -> Result<Name, NameError> {
        let mut wire = Vec::with_capacity(text.len() + 2);
        Self::parse_into(text, origin, &mut wire)?;
        Ok(Name(wire.into()))
    }

    /// Like [`Name::parse`], appending the wire form to `out` (used by the
    /// rdata parser so that names inside rdata cost no allocation).
    pub fn parse_into(
        text: &[u8],
        origin: Option<&Name>,
        out: &mut Vec<u8>,
    ) -> Result<(), NameError> {
        let shown = || super::quote_token(text);
        let start = out.len();
        if text == b"@" {
            let origin = origin.ok_or_else(|| NameError::NoOrigin(shown()))?;
            out.extend_from_slice(origin.as_wire());
            return Ok(());
        }
        if text == b"." {
            out.push(0);
            return Ok(());
        }
        // Fast path: no escapes, so labels are the runs between dots.
        if !text.contains(&b'\\') {
            let (body, absolute) = match text.strip_suffix(b".") {
                Some(body) => (body, true),
                None => (text, false),
            };
            for label in body.split(|&c| c == b'.') {
                if label.is_empty() {
                    return Err(NameError::EmptyLabel(shown()));
                }
                if label.len() > MAX_LABEL_LEN {
                    return Err(NameError::LabelTooLong(shown()));
                }
                out.push(label.len() as u8);
                out.extend_from_slice(label);
                if out.len() - start > MAX_NAME_LEN {
                    return Err(NameError::NameTooLong(shown()));
                }
            }
            if absolute {
                out.push(0);
            } else {
                let origin = origin.ok_or_else(|| NameError::NoOrigin(shown()))?;
                out.extend_from_slice(origin.as_wire());
            }
            if out.len() - start > MAX_NAME_LEN {
                return Err(NameError::NameTooLong(shown()));
            }
            return Ok(());
        }
        let mut label_start = out.len();
        out.push(0);
        let mut i = 0;
        let mut absolute = false;
        while i < text.len() {
            let c = text[i];
            match c {
                b'.' => {
                    let label_len = out.len() - label_start - 1;
                    if label_len == 0 {
                        return Err(NameError::EmptyLabel(shown()));
                    }
                    out[label_start] = label_len as u8;
                    if i + 1 == text.len() {
                        absolute = true;
                    } else {
                        label_start = out.len();
                        out.push(0);
                    }
                    i += 1;
                    continue;
                }
                b'\\' => {
                    let rest = &text[i + 1..];
                    if rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit) {
                        let value = (rest[0] - b'0') as u32 * 100
                            + (rest[1] - b'0') as u32 * 10
                            + (rest[2] - b'0') as u32;
                        if value > 255 {
                            return Err(NameError::BadEscape(shown()));
                        }
                        out.push(value as u8);
                        i += 4;
                    } else if let Some(&next) = rest.first() {
                        if next.is_ascii_digit() {
                            return Err(NameError::BadEscape(shown()));
                        }
                        out.push(next);
                        i += 2;
                    } else {
                        return Err(NameError::BadEscape(shown()));
                    }
                }
                _ => {
                    out.push(c);
                    i += 1;
                }
            }
            if out.len() - label_start - 1 > MAX_LABEL_LEN {
                return Err(NameError::LabelTooLong(shown()));
            }
            if out.len() - start > MAX_NAME_LEN {
                return Err(NameError::NameTooLong(shown()));
            }
        }
        if !absolute {
            let label_len = out.len() - label_start - 1;
            if label_len == 0 {
                return Err(NameError::EmptyLabel(shown()));
            }
            out[label_start] = label_len as u8;
            let origin = origin.ok_or_else(|| NameError::NoOrigin(shown()))?;
            out.extend_from_slice(origin.as_wire());
        } else {
            out.push(0);
        }
        if out.len() - start > MAX_NAME_LEN {
            return Err(NameError::NameTooLong(shown()));
        }
        Ok(())
    }

    pub fn as_wire(&self) -> &[u8] {
        &self.0
    }

    pub fn wire_len(&self) -> usize {
        self.0.len()
    }

    pub fn is_root(&self) -> bool {
        self.0.len() == 1
    }

    /// Labels from the leftmost (most specific) to the last before the root.
    pub fn labels(&self) -> Labels<'_> {
        Labels { wire: &self.0 }
    }

    pub fn label_count(&self) -> usize {
        self.labels().count()
    }

    pub fn is_wildcard(&self) -> bool {
        self.0.len() > 1 && self.0[0] == 1 && self.0[1] == b'*'
    }

    /// The name with its first label removed, or `None` for the root.
    pub fn parent(&self) -> Option<Name> {
        if self.is_root() {
            return None;
        }
        let skip = self.0[0] as usize + 1;
        Some(Name(self.0[skip..].into()))
    }

    /// True if `self` is `other` or lies below it.
    pub fn is_subdomain_of(&self, other: &Name) -> bool {
        is_subdomain_wire(&self.0, &other.0)
    }

    pub fn eq_ignore_case(&self, other: &Name) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.0.eq_ignore_ascii_case(&other.0)
    }

    pub fn to_lowercase(&self) -> Name {
        Name(self.0.to_ascii_lowercase().into())
    }

    /// Prepends one label (used by `$GENERATE` and wildcard lookups).
    pub fn prepend_label(&self, label: &[u8]) -> Result<Name, NameError> {
        if label.is_empty() {
            return Err(NameError::EmptyLabel(String::new()));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(NameError::LabelTooLong(
                String::from_utf8_lossy(label).into_owned(),
            ));
        }
        let mut wire = Vec::with_capacity(self.0.len() + label.len() + 1);
        wire.push(label.len() as u8);
        wire.extend_from_slice(label);
        wire.extend_from_slice(&self.0);
        if wire.len() > MAX_NAME_LEN {
            return Err(NameError::NameTooLong(self.to_string()));
        }
        Ok(Name(wire.into()))
    }

    /// Presentation form relative to `origin` (`@` for the origin itself),
    /// or absolute when the name is not below it.
    pub fn relative_to(&self, origin: &Name) -> String {
        if self.eq_ignore_case(origin) {
            return "@".to_string();
        }
        if !origin.is_root() && self.is_subdomain_of(origin) {
            let keep = self.0.len() - origin.0.len();
            let mut out = String::new();
            write_labels(&self.0[..keep], &mut out);
            out.pop(); // the trailing dot of the last kept label
            return out;
        }
        self.to_string()
    }
}

/// True if wire name `a` is wire name `b` or lies below it.
pub fn is_subdomain_wire(a: &[u8], b: &[u8]) -> bool {
    if b.len() > a.len() {
        return false;
    }
    let offset = a.len() - b.len();
    if !a[offset..].eq_ignore_ascii_case(b) {
        return false;
    }
    // The suffix must start on a label boundary of `a`.
    let mut pos = 0;
    while pos < offset {
        pos += a[pos] as usize + 1;
    }
    pos == offset
}

/// The proper ancestors of a wire name, nearest first, ending with the root.
/// Each is a suffix of the input, so no copy is made.
pub fn wire_ancestors(wire: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut pos = 0;
    std::iter::from_fn(move || {
        let len = *wire.get(pos)? as usize;
        if len == 0 {
            return None;
        }
        pos += len + 1;
        wire.get(pos..)
    })
}

/// Number of labels of a wire name, the root not counted.
pub fn wire_label_count(wire: &[u8]) -> usize {
    wire_ancestors(wire).count()
}

/// Length of the wire name at the start of `wire`, or `None` if malformed.
pub fn wire_name_len(wire: &[u8]) -> Option<usize> {
    let mut pos = 0;
    loop {
        let len = *wire.get(pos)? as usize;
        if len > MAX_LABEL_LEN {
            return None;
        }
        pos += len + 1;
        if pos > MAX_NAME_LEN || pos > wire.len() {
            return None;
        }
        if len == 0 {
            return Some(pos);
        }
    }
}

pub struct Labels<'a> {
    wire: &'a [u8],
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let len = *self.wire.first()? as usize;
        if len == 0 {
            return None;
        }
        let label = &self.wire[1..1 + len];
        self.wire = &self.wire[1 + len..];
        Some(label)
    }
}

/// Appends a label in presentation form, escaping what needs escaping.
pub fn write_label(label: &[u8], out: &mut String) {
    for &b in label {
        match b {
            b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                out.push('\\');
                out.push(b as char);
            }
            0x21..=0x7e => out.push(b as char),
            _ => push_decimal_escape(b, out),
        }
    }
}

/// Appends `\DDD`, the presentation form of a byte that cannot stand as itself.
pub(crate) fn push_decimal_escape(b: u8, out: &mut String) {
    out.push('\\');
    out.push((b'0' + b / 100) as char);
    out.push((b'0' + (b / 10) % 10) as char);
    out.push((b'0' + b % 10) as char);
}

/// Writes a wire name (or a label sequence without root) as absolute text.
pub fn write_labels(wire: &[u8], out: &mut String) {
    let mut pos = 0;
    if wire.first() == Some(&0) {
        out.push('.');
        return;
    }
    while pos < wire.len() {
        let len = wire[pos] as usize;
        if len == 0 {
            break;
        }
        write_label(&wire[pos + 1..pos + 1 + len], out);
        out.push('.');
        pos += len + 1;
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = String::with_capacity(self.0.len() + 8);
        write_labels(&self.0, &mut out);
        f.write_str(&out)
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name({self})")
    }
}

/// Compares two wire names in canonical DNSSEC order (RFC 4034 §6.1).
pub fn canonical_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let mut a_offsets = [0u8; 128];
    let mut b_offsets = [0u8; 128];
    let a_count = label_offsets(a, &mut a_offsets);
    let b_count = label_offsets(b, &mut b_offsets);
    let (mut i, mut j) = (a_count, b_count);
    while i > 0 && j > 0 {
        i -= 1;
        j -= 1;
        let la = label_at(a, a_offsets[i]);
        let lb = label_at(b, b_offsets[j]);
        let ord = cmp_label_lowercase(la, lb);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a_count.cmp(&b_count)
}

fn label_offsets(wire: &[u8], offsets: &mut [u8; 128]) -> usize {
    let mut pos = 0usize;
    let mut count = 0;
    while pos < wire.len() && wire[pos] != 0 && count < 128 {
        offsets[count] = pos as u8;
        count += 1;
        pos += wire[pos] as usize + 1;
    }
    count
}

fn label_at(wire: &[u8], offset: u8) -> &[u8] {
    let offset = offset as usize;
    &wire[offset + 1..offset + 1 + wire[offset] as usize]
}

fn cmp_label_lowercase(a: &[u8], b: &[u8]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let ord = x.to_ascii_lowercase().cmp(&y.to_ascii_lowercase());
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.len().cmp(&b.len())
}

/// Where the bytes of a canonical key go: a growing vector when sorting a
/// zone, a fixed buffer when a server looks a name up.
pub trait KeySink {
    fn byte(&mut self, b: u8);
    /// The end of one label's part of the key.
    fn label_end(&mut self);
}

impl KeySink for Vec<u8> {
    fn byte(&mut self, b: u8) {
        self.push(b);
    }
    fn label_end(&mut self) {
        self.push(0);
    }
}

/// The canonical-order key of a wire name without its last `skip_labels`
/// labels (those all names of a zone share): labels from the root down,
/// lowercased, each ended by 0x00, with 0x00 and 0x01 in a label escaped
/// as 0x01 0x01 and 0x01 0x02, so that comparing keys bytewise is the
/// order of RFC 4034 §6.1 and a name's ancestors' keys are its prefixes.
pub fn canonical_key_into(wire: &[u8], skip_labels: usize, out: &mut impl KeySink) {
    let mut starts = [0u8; 128];
    let mut count = 0;
    let mut pos = 0;
    while pos < wire.len() && wire[pos] != 0 && count < 128 {
        starts[count] = pos as u8;
        count += 1;
        pos += wire[pos] as usize + 1;
    }
    let keep = count.saturating_sub(skip_labels);
    for &start in starts[..keep].iter().rev() {
        let start = start as usize;
        for &b in &wire[start + 1..start + 1 + wire[start] as usize] {
            match b {
                0 | 1 => {
                    out.byte(1);
                    out.byte(b + 1);
                }
                _ => out.byte(b.to_ascii_lowercase()),
            }
        }
        out.label_end();
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Self) -> Ordering {
        canonical_cmp(&self.0, &other.0).then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn rfc4343_names_are_equal_and_hash_alike_whatever_their_case() {
        use std::collections::HashMap;
        let lower = Name::parse(b"www.example.", None).unwrap();
        let mixed = Name::parse(b"WWW.Example.", None).unwrap();
        assert_eq!(lower, mixed);
        let mut map = HashMap::new();
        map.insert(mixed.clone(), 1);
        assert_eq!(map.get(&lower), Some(&1));
        assert_eq!(mixed.to_string(), "WWW.Example.", "the spelling is kept");
        assert_ne!(lower.as_wire(), mixed.as_wire());
    }

    fn n(s: &str) -> Name {
        Name::parse(s.as_bytes(), None).unwrap()
    }

    #[test]
    fn parses_relative_and_escaped_names() {
        let origin = n("example.com.");
        assert_eq!(
            Name::parse(b"www", Some(&origin)).unwrap().to_string(),
            "www.example.com."
        );
        assert_eq!(Name::parse(b"@", Some(&origin)).unwrap(), origin);
        assert_eq!(n("a\\.b.example.").label_count(), 2);
        assert_eq!(n("\\065.example.").to_string(), "A.example.");
        assert!(Name::parse(b"a..b.", None).is_err());
        assert!(Name::parse(b"\\256.", None).is_err());
        assert!(Name::parse(&[b'a'; 64], Some(&origin)).is_err());
    }

    #[test]
    fn rejects_names_over_255_octets() {
        let long = format!("{}.", vec!["a".repeat(63); 4].join("."));
        assert!(matches!(
            Name::parse(long.as_bytes(), None),
            Err(NameError::NameTooLong(_))
        ));
    }

    /// RFC 4034 §6.1's example of canonical order (also the store's keys'
    /// test).
    pub(crate) const RFC4034_6_1_ORDER: [&str; 9] = [
        "example.",
        "a.example.",
        "yljkjljk.a.example.",
        "Z.a.example.",
        "zABC.a.EXAMPLE.",
        "z.example.",
        "\\001.z.example.",
        "*.z.example.",
        "\\200.z.example.",
    ];

    #[test]
    fn rfc4034_6_1_canonical_order() {
        for pair in RFC4034_6_1_ORDER.windows(2) {
            assert_eq!(
                canonical_cmp(n(pair[0]).as_wire(), n(pair[1]).as_wire()),
                Ordering::Less,
                "{pair:?}"
            );
        }
    }

    #[test]
    fn subdomain_and_relative_forms() {
        let origin = n("example.com.");
        assert!(n("a.b.EXAMPLE.com.").is_subdomain_of(&origin));
        assert!(!n("aexample.com.").is_subdomain_of(&origin));
        assert_eq!(n("a.b.example.com.").relative_to(&origin), "a.b");
        assert_eq!(n("other.org.").relative_to(&origin), "other.org.");
    }
}
