//! A response written straight into a fixed buffer: records go in as they
//! are found, names compressed (RFC 1035 §4.1.4) against every name already
//! in the message, rdata copied from its stored wire form. Nothing here
//! allocates; a record that would pass the size limit is refused, and the
//! caller decides what that means (TC, or leaving additional data out).

use crate::zone::RType;

pub const HEADER_LEN: usize = 12;

/// Where a name in the message starts, for compression: offsets of label
/// starts, so that every suffix of every name written can be pointed at.
const MAX_COMPRESSION_TARGETS: usize = 96;
/// Messages allowed to grow past this (transfers, TCP) find their
/// compression targets by hash; smaller ones (UDP answers, a few names)
/// compare each target, which costs less than hashing there.
const HASHED_FROM: usize = 8192;
const SLOTS: usize = 256;
/// Slots looked at for one hash before giving up (a miss only costs
/// compression, never correctness).
const PROBES: usize = 8;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Section {
    Answer = 0,
    Authority = 1,
    Additional = 2,
}

/// An owner name: the query name (a pointer to the question, keeping the
/// querier's spelling, as NSD and Knot do) or a name in wire form.
#[derive(Clone, Copy)]
pub enum Owner<'a> {
    Question,
    Wire(&'a [u8]),
}

/// A point to return to when what follows does not fit.
#[derive(Clone, Copy)]
pub struct Mark {
    len: usize,
    counts: [u16; 3],
    targets: usize,
}

pub struct Response<'b> {
    buf: &'b mut [u8],
    len: usize,
    limit: usize,
    counts: [u16; 3],
    targets: [u16; MAX_COMPRESSION_TARGETS],
    /// The hash of the name at each target (see [`NameHash`]).
    target_hashes: [u32; MAX_COMPRESSION_TARGETS],
    /// Targets by hash: open addressing, each slot a target's index plus
    /// one (0: empty; an index at or past `target_count`, left by a
    /// rollback, counts as empty). A name is compared in full only with
    /// the targets its hash leads to.
    slots: [u8; SLOTS],
    /// Whether targets are found by hash (see [`HASHED_FROM`]).
    hashed: bool,
    target_count: usize,
    question_end: usize,
    /// Where the last owner name written can be pointed at (0: none):
    /// the records of an RRset, and the RRsets of a node in a transfer,
    /// share their owner, found here without a search.
    last_owner: usize,
}

/// Hashes of the suffixes of a wire name without a table per name: a
/// polynomial hash over the name's octets (lowercased: names equal but for
/// case hash alike) splits as H(name) = H(prefix)·P^|suffix| + H(suffix)
/// in wrapping arithmetic, so the hash of the suffix at any label is the
/// whole name's hash less its prefix's, shifted. One pass over the name
/// and one multiply per label, where a table of every suffix cost a
/// quarter of a transfer's time.
#[derive(Clone, Copy)]
struct NameHash {
    whole: u32,
    len: usize,
}

const HASH_FACTOR: u32 = 0x0100_0193;
/// HASH_FACTOR to the power of every possible name length.
static HASH_POWERS: [u32; 256] = {
    let mut powers = [1u32; 256];
    let mut i = 1;
    while i < 256 {
        powers[i] = powers[i - 1].wrapping_mul(HASH_FACTOR);
        i += 1;
    }
    powers
};

fn hash_step(hash: u32, bytes: &[u8]) -> u32 {
    bytes.iter().fold(hash, |h, &b| {
        h.wrapping_mul(HASH_FACTOR)
            .wrapping_add(u32::from(b.to_ascii_lowercase()))
    })
}

impl NameHash {
    fn new(wire: &[u8]) -> NameHash {
        let len = wire.len().min(255);
        NameHash {
            whole: hash_step(0, &wire[..len]),
            len,
        }
    }

    /// The hash of the suffix at `at`, given the hash of the octets before
    /// it (`prefix`, as [`hash_step`] from 0 makes it).
    fn suffix(&self, prefix: u32, at: usize) -> u32 {
        self.whole
            .wrapping_sub(prefix.wrapping_mul(HASH_POWERS[self.len.saturating_sub(at).min(255)]))
    }
}

/// Whether names in this type's rdata may be compressed: only the types of
/// RFC 1035 (RFC 3597 §4); the offsets and count of names from the start.
fn compressible_names(rtype: RType) -> Option<(usize, usize)> {
    match rtype.0 {
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 => Some((0, 1)), // NS MD MF CNAME MB MG MR PTR
        6 | 14 => Some((0, 2)),                         // SOA MINFO
        15 => Some((2, 1)),                             // MX
        _ => None,
    }
}

impl<'b> Response<'b> {
    /// Starts a response to a query whose header and question are
    /// `question` (the query's first bytes, up to the end of the question).
    pub fn new(buf: &'b mut [u8], question: &[u8], limit: usize) -> Response<'b> {
        let len = question.len().min(buf.len());
        buf[..len].copy_from_slice(&question[..len]);
        for b in &mut buf[4..HEADER_LEN] {
            *b = 0;
        }
        let mut response = Response {
            buf,
            len,
            limit: 0,
            counts: [0; 3],
            targets: [0; MAX_COMPRESSION_TARGETS],
            target_hashes: [0; MAX_COMPRESSION_TARGETS],
            slots: [0; SLOTS],
            hashed: false,
            target_count: 0,
            question_end: len,
            last_owner: 0,
        };
        response.limit = limit.min(response.buf.len()).max(len);
        response.hashed = response.limit >= HASHED_FROM;
        if len > HEADER_LEN {
            response.buf[5] = 1; // QDCOUNT
            let n = (len - 4 - HEADER_LEN).min(255);
            if response.hashed {
                // The name is hashed from a copy (the buffer is written to).
                let mut qname = [0u8; 255];
                qname[..n].copy_from_slice(&response.buf[HEADER_LEN..HEADER_LEN + n]);
                let hash = NameHash::new(&qname[..n]);
                response.add_targets(HEADER_LEN, &qname[..n], n, Some(hash));
            } else {
                let mut at = HEADER_LEN;
                while at < HEADER_LEN + n && response.target_count < MAX_COMPRESSION_TARGETS {
                    let label = response.buf[at];
                    if label == 0 || label & 0xc0 != 0 {
                        break;
                    }
                    response.targets[response.target_count] = at as u16;
                    response.target_count += 1;
                    at += label as usize + 1;
                }
            }
        }
        response
    }

    /// Octets written so far.
    pub fn written(&self) -> usize {
        self.len
    }

    pub fn count(&self, section: Section) -> u16 {
        self.counts[section as usize]
    }

    /// Lowers the limit (to keep room for the OPT record).
    pub fn reserve(&mut self, bytes: usize) {
        self.limit = self.limit.saturating_sub(bytes).max(self.question_end);
    }

    pub fn unreserve(&mut self, bytes: usize) {
        self.limit = (self.limit + bytes).min(self.buf.len());
    }

    pub fn mark(&self) -> Mark {
        Mark {
            len: self.len,
            counts: self.counts,
            targets: self.target_count,
        }
    }

    pub fn rollback(&mut self, mark: Mark) {
        self.len = mark.len;
        self.counts = mark.counts;
        self.target_count = mark.targets;
        if self.last_owner >= self.len {
            self.last_owner = 0;
        }
    }

    /// Drops the question (for FORMERR answers to unreadable queries).
    pub fn drop_question(&mut self) {
        self.len = HEADER_LEN.min(self.len);
        self.question_end = self.len;
        self.target_count = 0;
        self.last_owner = 0;
        if self.buf.len() >= HEADER_LEN {
            self.buf[4] = 0;
            self.buf[5] = 0;
        }
    }

    /// Records the names that start at each label of `wire[..written]`,
    /// written at message offset `pos` (the rest of `wire` follows as a
    /// pointer, or in place); `hash` is `wire`'s.
    fn add_targets(&mut self, pos: usize, wire: &[u8], written: usize, hash: Option<NameHash>) {
        let mut at = 0;
        let mut prefix = 0u32;
        while at < written && pos + at < 0x3fff {
            let len = wire[at];
            if len == 0 || len & 0xc0 != 0 || self.target_count >= MAX_COMPRESSION_TARGETS {
                break;
            }
            let index = self.target_count;
            self.targets[index] = (pos + at) as u16;
            self.target_count += 1;
            let label_end = (at + len as usize + 1).min(wire.len());
            let Some(hash) = hash else {
                at = label_end;
                continue; // found by the scan
            };
            let suffix_hash = hash.suffix(prefix, at);
            prefix = hash_step(prefix, &wire[at..label_end]);
            at = label_end;
            self.target_hashes[index] = suffix_hash;
            for probe in 0..PROBES {
                let slot = (suffix_hash as usize + probe) % SLOTS;
                let held = self.slots[slot] as usize;
                if held == 0 || held > index {
                    self.slots[slot] = (index + 1) as u8;
                    break;
                }
            }
        }
    }

    /// The target holding the name `suffix` (of hash `hash`), if any.
    fn find_target(&self, suffix: &[u8], hash: u32) -> Option<u16> {
        for probe in 0..PROBES {
            let slot = (hash as usize + probe) % SLOTS;
            let held = self.slots[slot] as usize;
            if held == 0 {
                return None;
            }
            let index = held - 1;
            if index < self.target_count
                && self.target_hashes[index] == hash
                && self.name_at_equals(self.targets[index] as usize, suffix)
            {
                return Some(self.targets[index]);
            }
        }
        None
    }

    fn put(&mut self, bytes: &[u8]) -> Option<()> {
        let end = self.len + bytes.len();
        if end > self.limit {
            return None;
        }
        self.buf[self.len..end].copy_from_slice(bytes);
        self.len = end;
        Some(())
    }

    /// Whether the name at `pos` in the message (following pointers)
    /// equals `wire`, ignoring case.
    fn name_at_equals(&self, mut pos: usize, wire: &[u8]) -> bool {
        let mut at = 0;
        let mut hops = 0;
        loop {
            let Some(&len) = self.buf.get(pos) else {
                return false;
            };
            if len & 0xc0 == 0xc0 {
                hops += 1;
                if hops > 64 {
                    return false;
                }
                pos = (usize::from(len & 0x3f) << 8) | usize::from(self.buf[pos + 1]);
                continue;
            }
            if wire.get(at) != Some(&len) {
                return false;
            }
            if len == 0 {
                return true;
            }
            let n = len as usize;
            let (Some(a), Some(b)) = (
                self.buf.get(pos + 1..pos + 1 + n),
                wire.get(at + 1..at + 1 + n),
            ) else {
                return false;
            };
            if !a.eq_ignore_ascii_case(b) {
                return false;
            }
            pos += n + 1;
            at += n + 1;
        }
    }

    /// Writes a name, compressed against the names already written;
    /// returns where the name can be pointed at from now on (0 if past
    /// the reach of a pointer).
    fn put_name(&mut self, wire: &[u8]) -> Option<usize> {
        let mut at = 0;
        let hash = self.hashed.then(|| NameHash::new(wire));
        let mut prefix = 0u32;
        while at < wire.len() && wire[at] != 0 {
            let suffix = &wire[at..];
            let found = match &hash {
                Some(h) => self.find_target(suffix, h.suffix(prefix, at)),
                None => self.scan_targets(suffix),
            };
            if let Some(target) = found {
                let start = self.len;
                self.put(&wire[..at])?;
                self.put(&(0xc000 | target).to_be_bytes())?;
                self.add_targets(start, wire, at, hash);
                let found_at = if at == 0 { usize::from(target) } else { start };
                return Some(if found_at < 0x3fff { found_at } else { 0 });
            }
            let label_end = (at + wire[at] as usize + 1).min(wire.len());
            if hash.is_some() {
                prefix = hash_step(prefix, &wire[at..label_end]);
            }
            at = label_end;
        }
        let start = self.len;
        self.put(wire)?;
        self.add_targets(start, wire, wire.len(), hash);
        Some(if start < 0x3fff { start } else { 0 })
    }

    /// The target holding `suffix`, comparing each in turn.
    fn scan_targets(&self, suffix: &[u8]) -> Option<u16> {
        self.targets[..self.target_count]
            .iter()
            .find(|&&t| self.name_at_equals(t as usize, suffix))
            .copied()
    }

    fn put_owner(&mut self, owner: Owner<'_>) -> Option<()> {
        match owner {
            Owner::Question => self.put(&[0xc0, HEADER_LEN as u8]),
            Owner::Wire(wire) => {
                if self.last_owner != 0 && self.name_at_equals(self.last_owner, wire) {
                    return self.put(&(0xc000 | self.last_owner as u16).to_be_bytes());
                }
                self.last_owner = self.put_name(wire)?;
                Some(())
            }
        }
    }

    /// Writes one record; `None` (and nothing written) if it does not fit.
    pub fn record(
        &mut self,
        section: Section,
        owner: Owner<'_>,
        rtype: RType,
        class: u16,
        ttl: u32,
        rdata: &[u8],
    ) -> Option<()> {
        let mark = self.mark();
        let written = self.write_record(owner, rtype, class, ttl, rdata);
        if written.is_none() {
            self.rollback(mark);
            return None;
        }
        let count = &mut self.counts[section as usize];
        *count = count.saturating_add(1);
        Some(())
    }

    fn write_record(
        &mut self,
        owner: Owner<'_>,
        rtype: RType,
        class: u16,
        ttl: u32,
        rdata: &[u8],
    ) -> Option<()> {
        self.put_owner(owner)?;
        let mut fixed = [0u8; 10];
        fixed[0..2].copy_from_slice(&rtype.0.to_be_bytes());
        fixed[2..4].copy_from_slice(&class.to_be_bytes());
        fixed[4..8].copy_from_slice(&ttl.to_be_bytes());
        self.put(&fixed)?;
        let length_at = self.len - 2;
        match compressible_names(rtype) {
            Some((offset, count)) if rdata.len() >= offset => {
                self.put(&rdata[..offset])?;
                let mut pos = offset;
                for _ in 0..count {
                    let len = crate::zone::name::wire_name_len(&rdata[pos..])?;
                    self.put_name(&rdata[pos..pos + len])?;
                    pos += len;
                }
                self.put(&rdata[pos..])?;
            }
            _ => self.put(rdata)?,
        }
        let rdlength = u16::try_from(self.len - length_at - 2).ok()?;
        self.buf[length_at..length_at + 2].copy_from_slice(&rdlength.to_be_bytes());
        Some(())
    }

    /// Appends raw bytes forming one record of the additional section
    /// (the OPT record, built by the caller).
    pub fn raw_additional(&mut self, bytes: &[u8]) -> Option<()> {
        self.put(bytes)?;
        self.counts[Section::Additional as usize] += 1;
        Some(())
    }

    /// Sets the header: QR, the flags given, the RCODE's low four bits,
    /// and the section counts. Returns the message length.
    pub fn finish(&mut self, flags: u16, rcode: u8) -> usize {
        if self.buf.len() < HEADER_LEN {
            return 0;
        }
        let keep = u16::from_be_bytes([self.buf[2], self.buf[3]]) & 0x7900; // opcode, RD
        let word = 0x8000 | keep | flags | u16::from(rcode & 0xf);
        self.buf[2..4].copy_from_slice(&word.to_be_bytes());
        for (i, count) in self.counts.iter().enumerate() {
            self.buf[6 + 2 * i..8 + 2 * i].copy_from_slice(&count.to_be_bytes());
        }
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Message;

    #[test]
    fn rfc1035_4_1_4_names_are_compressed_against_the_question_and_earlier_names() {
        let mut query = vec![0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        query.extend_from_slice(b"\x03www\x07Example\x03com\x00\x00\x0f\x00\x01");
        let mut buf = [0u8; 512];
        let mut r = Response::new(&mut buf, &query, 512);
        let mx = b"\x00\x0a\x04mail\x07example\x03com\x00";
        r.record(Section::Answer, Owner::Question, RType::MX, 1, 60, mx)
            .unwrap();
        r.record(
            Section::Additional,
            Owner::Wire(b"\x04mail\x07example\x03com\x00"),
            RType::A,
            1,
            60,
            &[192, 0, 2, 1],
        )
        .unwrap();
        let len = r.finish(0x0400, 0);
        let msg = &buf[..len];
        // Owner is a pointer; the MX target is "mail" + pointer; the A
        // owner is a pointer to the MX target.
        assert_eq!(len, 12 + (17 + 4) + (2 + 10 + 2 + 5 + 2) + (2 + 10 + 4));
        let parsed = Message::parse(msg).unwrap();
        let mut records = parsed.records();
        let (mut owner, mut rdata) = (Vec::new(), Vec::new());
        let rec = records.next_into(&mut owner, &mut rdata).unwrap().unwrap();
        assert_eq!(owner, b"\x03www\x07Example\x03com\x00");
        assert_eq!(rec.rtype, RType::MX);
        // Compression matches names ignoring case (RFC 4343 §3): the
        // target takes the question's spelling.
        assert!(rdata.eq_ignore_ascii_case(mx));
        records.next_into(&mut owner, &mut rdata).unwrap().unwrap();
        assert!(owner.eq_ignore_ascii_case(b"\x04mail\x07example\x03com\x00"));
        records.check_end().unwrap();
    }

    #[test]
    fn a_record_that_does_not_fit_leaves_nothing() {
        let mut query = vec![0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        query.extend_from_slice(b"\x01a\x00\x00\x10\x00\x01");
        let mut buf = [0u8; 512];
        let mut r = Response::new(&mut buf, &query, 60);
        assert!(
            r.record(
                Section::Answer,
                Owner::Question,
                RType::TXT,
                1,
                1,
                &[20; 21]
            )
            .is_some()
        );
        let before = r.written();
        assert!(
            r.record(
                Section::Answer,
                Owner::Question,
                RType::TXT,
                1,
                1,
                &[20; 21]
            )
            .is_none()
        );
        assert_eq!(r.written(), before);
        assert_eq!(r.count(Section::Answer), 1);
    }
}
