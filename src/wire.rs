//! DNS messages on the wire (RFC 1035 §4): building queries and walking the
//! records of a response without allocating per record.
//!
//! Transfers move millions of records, so the reader hands each record's
//! owner and rdata back in caller-owned buffers (names decompressed, rdata
//! decompressed for the types whose rdata may hold compressed names) and
//! remembers where each record starts, which TSIG needs.

use thiserror::Error;

use crate::zone::RType;
use crate::zone::rtype::{Field, Layout};

pub const HEADER_LEN: usize = 12;
pub const CLASS_IN: u16 = 1;
pub const CLASS_ANY: u16 = 255;

pub mod opcode {
    pub const QUERY: u8 = 0;
    pub const NOTIFY: u8 = 4;
    pub const UPDATE: u8 = 5;
}

/// Header flag bits (in the 16-bit flags word).
pub mod flag {
    pub const QR: u16 = 0x8000;
    pub const AA: u16 = 0x0400;
    pub const TC: u16 = 0x0200;
    pub const RD: u16 = 0x0100;
    pub const RA: u16 = 0x0080;
}

pub mod rcode {
    pub const NOERROR: u16 = 0;
    pub const FORMERR: u16 = 1;
    pub const SERVFAIL: u16 = 2;
    pub const NXDOMAIN: u16 = 3;
    pub const NOTIMP: u16 = 4;
    pub const REFUSED: u16 = 5;
    pub const YXDOMAIN: u16 = 6;
    pub const YXRRSET: u16 = 7;
    pub const NXRRSET: u16 = 8;
    pub const NOTAUTH: u16 = 9;
    pub const NOTZONE: u16 = 10;
}

/// The mnemonic of an RCODE (extended ones included), for messages.
pub fn rcode_name(rcode: u16) -> String {
    match rcode {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        6 => "YXDOMAIN".into(),
        7 => "YXRRSET".into(),
        8 => "NXRRSET".into(),
        9 => "NOTAUTH".into(),
        10 => "NOTZONE".into(),
        16 => "BADSIG".into(),
        17 => "BADKEY".into(),
        18 => "BADTIME".into(),
        19 => "BADMODE".into(),
        20 => "BADNAME".into(),
        21 => "BADALG".into(),
        22 => "BADTRUNC".into(),
        23 => "BADCOOKIE".into(),
        n => format!("RCODE{n}"),
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireError {
    #[error("message truncated at offset {0}")]
    Truncated(usize),
    #[error("bad name compression pointer at offset {0}")]
    BadPointer(usize),
    #[error("name longer than 255 octets at offset {0}")]
    NameTooLong(usize),
    #[error("bad label type at offset {0}")]
    BadLabel(usize),
    #[error("rdata of {rtype} at offset {offset} does not match its length")]
    BadRdata { rtype: RType, offset: usize },
    #[error("{0} bytes after the last record")]
    TrailingBytes(usize),
}

type Result<T> = std::result::Result<T, WireError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Header {
    pub id: u16,
    pub flags: u16,
    pub qdcount: u16,
    pub ancount: u16,
    pub nscount: u16,
    pub arcount: u16,
}

impl Header {
    pub fn parse(msg: &[u8]) -> Result<Header> {
        if msg.len() < HEADER_LEN {
            return Err(WireError::Truncated(msg.len()));
        }
        let word = |i: usize| u16::from_be_bytes([msg[i], msg[i + 1]]);
        Ok(Header {
            id: word(0),
            flags: word(2),
            qdcount: word(4),
            ancount: word(6),
            nscount: word(8),
            arcount: word(10),
        })
    }

    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }

    /// The four header bits of the RCODE (EDNS extends it).
    pub fn rcode(&self) -> u16 {
        self.flags & 0xf
    }

    pub fn has(&self, bit: u16) -> bool {
        self.flags & bit != 0
    }
}

/// Reads a possibly compressed name at `pos` into `out` (uncompressed wire
/// form, case kept); returns the offset after the name in the message.
pub fn read_name(msg: &[u8], mut pos: usize, out: &mut Vec<u8>) -> Result<usize> {
    let start_len = out.len();
    let mut end = None;
    // Every pointer must go strictly backwards, so loops cannot happen.
    let mut limit = pos;
    loop {
        let &len = msg.get(pos).ok_or(WireError::Truncated(pos))?;
        match len & 0xc0 {
            0x00 => {
                let label = msg
                    .get(pos..pos + 1 + len as usize)
                    .ok_or(WireError::Truncated(pos))?;
                out.extend_from_slice(label);
                if out.len() - start_len > 255 {
                    return Err(WireError::NameTooLong(pos));
                }
                pos += 1 + len as usize;
                if len == 0 {
                    return Ok(end.unwrap_or(pos));
                }
            }
            0xc0 => {
                let &low = msg.get(pos + 1).ok_or(WireError::Truncated(pos))?;
                let target = (((len & 0x3f) as usize) << 8) | low as usize;
                if target >= limit {
                    return Err(WireError::BadPointer(pos));
                }
                end.get_or_insert(pos + 2);
                limit = target;
                pos = target;
            }
            _ => return Err(WireError::BadLabel(pos)),
        }
    }
}

/// Offset after a name, without reading it.
fn skip_name(msg: &[u8], mut pos: usize) -> Result<usize> {
    loop {
        let &len = msg.get(pos).ok_or(WireError::Truncated(pos))?;
        match len & 0xc0 {
            0x00 if len == 0 => return Ok(pos + 1),
            0x00 => pos += 1 + len as usize,
            0xc0 => return Ok(pos + 2),
            _ => return Err(WireError::BadLabel(pos)),
        }
    }
}

/// Whether rdata of this type may carry compressed names: the RFC 1035
/// types, and those RFC 3597 §4 asks receivers to decompress too.
fn rdata_may_be_compressed(rtype: RType) -> bool {
    matches!(
        rtype.0,
        2..=9 | 12 | 14 | 15 | 17 | 18 | 21 | 24 | 26 | 30 | 33 | 35
    )
}

/// Copies rdata at `msg[start..end]` into `out`, decompressing the names of
/// the types that may carry compressed ones.
fn copy_rdata(rtype: RType, msg: &[u8], start: usize, end: usize, out: &mut Vec<u8>) -> Result<()> {
    out.clear();
    // Empty rdata is no rdata to decompress: UPDATE deletes and
    // prerequisites carry it for every type (RFC 2136 §2.4, §2.5).
    if !rdata_may_be_compressed(rtype) || start == end {
        out.extend_from_slice(&msg[start..end]);
        return Ok(());
    }
    let bad = || WireError::BadRdata {
        rtype,
        offset: start,
    };
    let fields: &[Field] = match rtype.layout() {
        Layout::Fields(fields) => fields,
        // NXT: a name, then a bitmap.
        _ => &[Field::Name, Field::Hex],
    };
    // SIG (24): 18 octets of fixed fields before the signer's name.
    let fields: &[Field] = if rtype.0 == 24 {
        &[
            Field::U16,
            Field::U16,
            Field::U32,
            Field::U32,
            Field::U32,
            Field::U16,
            Field::Name,
            Field::Base64,
        ]
    } else {
        fields
    };
    let mut pos = start;
    for field in fields {
        if pos > end {
            return Err(bad());
        }
        let fixed = match field {
            Field::U8 => 1,
            Field::U16 => 2,
            Field::U32 | Field::Period | Field::Time => 4,
            Field::CharString => 1 + *msg.get(pos).ok_or_else(bad)? as usize,
            Field::Name => {
                pos = read_name(&msg[..end], pos, out)?;
                continue;
            }
            _ => end - pos,
        };
        let bytes = msg.get(pos..pos + fixed).ok_or_else(bad)?;
        out.extend_from_slice(bytes);
        pos += fixed;
    }
    if pos != end {
        return Err(bad());
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Answer,
    Authority,
    Additional,
}

/// What a record cursor yields besides its owner and rdata.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordHeader {
    pub section: Section,
    pub rtype: RType,
    pub class: u16,
    pub ttl: u32,
    /// Offset of the record's first octet in the message.
    pub offset: usize,
}

/// A parsed message: its header and question; records are walked with
/// [`Message::records`].
#[derive(Debug, Clone)]
pub struct Message<'a> {
    pub data: &'a [u8],
    pub header: Header,
    /// The first question's name, type and class, if there is one.
    pub question: Option<(Vec<u8>, RType, u16)>,
    records_start: usize,
}

impl<'a> Message<'a> {
    pub fn parse(data: &'a [u8]) -> Result<Message<'a>> {
        let header = Header::parse(data)?;
        let mut pos = HEADER_LEN;
        let mut question = None;
        for _ in 0..header.qdcount {
            let mut name = Vec::new();
            pos = read_name(data, pos, &mut name)?;
            let fixed = data.get(pos..pos + 4).ok_or(WireError::Truncated(pos))?;
            let qtype = RType(u16::from_be_bytes([fixed[0], fixed[1]]));
            let qclass = u16::from_be_bytes([fixed[2], fixed[3]]);
            pos += 4;
            question.get_or_insert((name, qtype, qclass));
        }
        Ok(Message {
            data,
            header,
            question,
            records_start: pos,
        })
    }

    pub fn records(&self) -> Records<'a> {
        Records {
            msg: self.data,
            cursor: self.cursor(),
        }
    }

    /// A cursor at the first record, for callers that keep the message
    /// themselves.
    pub fn cursor(&self) -> Cursor {
        Cursor {
            pos: self.records_start,
            counts: [
                self.header.ancount,
                self.header.nscount,
                self.header.arcount,
            ],
            section: 0,
        }
    }

    /// The EDNS extended RCODE combined with the header's, if an OPT
    /// record is present.
    pub fn full_rcode(&self) -> Result<u16> {
        let mut rcode = self.header.rcode();
        let mut records = self.records();
        while let Some((rec, ttl)) = records.skip_record()? {
            if rec.section == Section::Additional && rec.rtype == RType(41) {
                rcode |= ((ttl >> 24) as u16) << 4;
            }
        }
        Ok(rcode)
    }
}

/// The records of a message, in section order.
pub struct Records<'a> {
    msg: &'a [u8],
    cursor: Cursor,
}

impl Records<'_> {
    pub fn next_into(
        &mut self,
        owner: &mut Vec<u8>,
        rdata: &mut Vec<u8>,
    ) -> Result<Option<RecordHeader>> {
        self.cursor.next_into(self.msg, owner, rdata)
    }

    fn skip_record(&mut self) -> Result<Option<(RecordHeader, u32)>> {
        self.cursor.skip_record(self.msg)
    }

    pub fn check_end(&self) -> Result<()> {
        self.cursor.check_end(self.msg)
    }
}

/// A position among a message's records; the message is passed to each
/// call, so that its owner may keep it in a reused buffer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cursor {
    pos: usize,
    counts: [u16; 3],
    section: usize,
}

impl Cursor {
    fn advance_section(&mut self) -> Option<Section> {
        while self.section < 3 && self.counts[self.section] == 0 {
            self.section += 1;
        }
        let section = [Section::Answer, Section::Authority, Section::Additional]
            .get(self.section)
            .copied()?;
        self.counts[self.section] -= 1;
        Some(section)
    }

    /// The next record: owner into `owner`, rdata (decompressed) into
    /// `rdata`; `None` after the last.
    pub fn next_into(
        &mut self,
        msg: &[u8],
        owner: &mut Vec<u8>,
        rdata: &mut Vec<u8>,
    ) -> Result<Option<RecordHeader>> {
        let Some(section) = self.advance_section() else {
            return Ok(None);
        };
        let offset = self.pos;
        owner.clear();
        let pos = read_name(msg, offset, owner)?;
        let (rtype, class, ttl, start, end) = Self::fixed_part(msg, pos)?;
        copy_rdata(rtype, msg, start, end, rdata)?;
        self.pos = end;
        Ok(Some(RecordHeader {
            section,
            rtype,
            class,
            ttl,
            offset,
        }))
    }

    /// Skips the next record; yields its header and TTL field only.
    fn skip_record(&mut self, msg: &[u8]) -> Result<Option<(RecordHeader, u32)>> {
        let Some(section) = self.advance_section() else {
            return Ok(None);
        };
        let offset = self.pos;
        let pos = skip_name(msg, offset)?;
        let (rtype, class, ttl, _, end) = Self::fixed_part(msg, pos)?;
        self.pos = end;
        Ok(Some((
            RecordHeader {
                section,
                rtype,
                class,
                ttl,
                offset,
            },
            ttl,
        )))
    }

    fn fixed_part(msg: &[u8], pos: usize) -> Result<(RType, u16, u32, usize, usize)> {
        let fixed = msg.get(pos..pos + 10).ok_or(WireError::Truncated(pos))?;
        let rtype = RType(u16::from_be_bytes([fixed[0], fixed[1]]));
        let class = u16::from_be_bytes([fixed[2], fixed[3]]);
        let ttl = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
        let rdlength = u16::from_be_bytes([fixed[8], fixed[9]]) as usize;
        let start = pos + 10;
        let end = start + rdlength;
        if end > msg.len() {
            return Err(WireError::Truncated(msg.len()));
        }
        Ok((rtype, class, ttl, start, end))
    }

    /// After the last record: the message must end there.
    pub fn check_end(&self, msg: &[u8]) -> Result<()> {
        match msg.len() - self.pos {
            0 => Ok(()),
            n => Err(WireError::TrailingBytes(n)),
        }
    }
}

/// Builds a message section by section; names are written uncompressed.
pub struct MessageBuilder {
    buf: Vec<u8>,
}

impl MessageBuilder {
    pub fn new(id: u16, opcode: u8, flags: u16) -> MessageBuilder {
        let mut buf = Vec::with_capacity(512);
        buf.extend_from_slice(&id.to_be_bytes());
        buf.extend_from_slice(&(flags | (u16::from(opcode) << 11)).to_be_bytes());
        buf.extend_from_slice(&[0; 8]);
        MessageBuilder { buf }
    }

    fn bump(&mut self, index: usize) {
        let at = 4 + 2 * index;
        let n = u16::from_be_bytes([self.buf[at], self.buf[at + 1]]) + 1;
        self.buf[at..at + 2].copy_from_slice(&n.to_be_bytes());
    }

    pub fn question(mut self, name: &[u8], qtype: RType, qclass: u16) -> Self {
        self.buf.extend_from_slice(name);
        self.buf.extend_from_slice(&qtype.0.to_be_bytes());
        self.buf.extend_from_slice(&qclass.to_be_bytes());
        self.bump(0);
        self
    }

    pub fn record(
        mut self,
        section: Section,
        owner: &[u8],
        rtype: RType,
        class: u16,
        ttl: u32,
        rdata: &[u8],
    ) -> Self {
        self.buf.extend_from_slice(owner);
        self.buf.extend_from_slice(&rtype.0.to_be_bytes());
        self.buf.extend_from_slice(&class.to_be_bytes());
        self.buf.extend_from_slice(&ttl.to_be_bytes());
        self.buf
            .extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        self.buf.extend_from_slice(rdata);
        self.bump(match section {
            Section::Answer => 1,
            Section::Authority => 2,
            Section::Additional => 3,
        });
        self
    }

    /// An EDNS(0) OPT record advertising `udp_size`.
    pub fn edns(self, udp_size: u16) -> Self {
        self.record(Section::Additional, &[0], RType(41), udp_size, 0, &[])
    }

    pub fn finish(self) -> Vec<u8> {
        self.buf
    }
}

/// A fresh random message ID.
pub fn random_id() -> u16 {
    let mut bytes = [0u8; 2];
    let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes);
    u16::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1035_4_1_4_and_rfc3597_4_names_and_rdata_are_decompressed() {
        // example.com. MX 10 mail.example.com. with the owner and the
        // target's suffix compressed.
        let mut msg = MessageBuilder::new(7, opcode::QUERY, flag::QR)
            .question(b"\x07example\x03com\x00", RType(15), 1)
            .finish();
        msg.extend_from_slice(&[0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 9, 0, 10]);
        msg.extend_from_slice(b"\x04mail\xc0\x0c");
        msg[7] = 1;
        let parsed = Message::parse(&msg).unwrap();
        let mut records = parsed.records();
        let (mut owner, mut rdata) = (Vec::new(), Vec::new());
        let rec = records.next_into(&mut owner, &mut rdata).unwrap().unwrap();
        assert_eq!(rec.rtype, RType(15));
        assert_eq!(owner, b"\x07example\x03com\x00");
        assert_eq!(rdata, b"\x00\x0a\x04mail\x07example\x03com\x00");
        assert!(records.next_into(&mut owner, &mut rdata).unwrap().is_none());
        records.check_end().unwrap();
    }

    /// `update delete mail.example.com. MX`: class ANY, no rdata, for a
    /// type whose rdata holds a name (RFC 2136 §2.5.2).
    #[test]
    fn rfc2136_2_5_2_empty_rdata_of_a_type_with_names_is_no_rdata() {
        let mut msg = MessageBuilder::new(7, opcode::UPDATE, 0)
            .question(b"\x07example\x03com\x00", RType::SOA, 1)
            .finish();
        msg.extend_from_slice(&[0xc0, 12, 0, 15, 0, 255, 0, 0, 0, 0, 0, 0]);
        msg[9] = 1;
        let parsed = Message::parse(&msg).unwrap();
        let mut records = parsed.records();
        let (mut owner, mut rdata) = (Vec::new(), vec![1]);
        let rec = records.next_into(&mut owner, &mut rdata).unwrap().unwrap();
        assert_eq!((rec.rtype, rec.class), (RType(15), 255));
        assert!(rdata.is_empty());
    }

    #[test]
    fn rfc1035_4_1_4_pointer_loops_and_forward_pointers_are_refused() {
        let mut msg = vec![0u8; 12];
        msg.extend_from_slice(&[0xc0, 12]);
        assert!(matches!(
            read_name(&msg, 12, &mut Vec::new()),
            Err(WireError::BadPointer(12))
        ));
        let msg = [0u8, 0, 0xc0, 0];
        assert!(read_name(&msg, 2, &mut Vec::new()).is_ok());
        let msg = [0xc0u8, 2, 0];
        assert!(read_name(&msg, 0, &mut Vec::new()).is_err());
    }

    #[test]
    fn rdata_length_must_match_fields() {
        // An NS record whose rdlength runs past its name.
        let mut msg = vec![0u8; 12];
        msg[7] = 1;
        msg.extend_from_slice(&[0, 0, 2, 0, 1, 0, 0, 0, 0, 0, 3, 0, 0, 0]);
        let parsed = Message::parse(&msg).unwrap();
        let err = parsed
            .records()
            .next_into(&mut Vec::new(), &mut Vec::new())
            .unwrap_err();
        assert!(matches!(err, WireError::BadRdata { .. }));
    }
}
