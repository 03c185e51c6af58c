//! Reading a query without allocating: the header, the one question
//! (RFC 1035 §4.1.2), and the OPT record of EDNS(0) (RFC 6891 §6) with the
//! options a server acts on: NSID (RFC 5001), COOKIE (RFC 7873) and
//! edns-tcp-keepalive (RFC 7828). What cannot be read is sorted into what
//! deserves no answer at all (not a query) and what gets FORMERR.

use crate::zone::RType;

pub const MAX_NAME: usize = 255;

pub mod option {
    pub const NSID: u16 = 3;
    pub const COOKIE: u16 = 10;
    pub const TCP_KEEPALIVE: u16 = 11;
    pub const PADDING: u16 = 12;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cookie {
    pub client: [u8; 8],
    /// The server cookie the client sent back (8 to 32 octets), if any.
    pub server: [u8; 32],
    pub server_len: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edns {
    pub udp_size: u16,
    pub version: u8,
    pub dnssec_ok: bool,
    pub nsid: bool,
    pub keepalive: bool,
    pub cookie: Option<Cookie>,
}

#[derive(Debug, Clone, Copy)]
pub struct Query<'a> {
    pub id: u16,
    pub opcode: u8,
    /// The header's flag word as sent.
    pub flags: u16,
    /// The query from its first byte to the end of the question.
    pub head: &'a [u8],
    /// The question name as sent (uncompressed wire form).
    pub qname: &'a [u8],
    pub qtype: RType,
    pub qclass: u16,
    pub edns: Option<Edns>,
    /// A TSIG record closes the query (keys are a later part's business).
    pub has_tsig: bool,
}

impl Query<'_> {
    pub fn dnssec_ok(&self) -> bool {
        self.edns.is_some_and(|e| e.dnssec_ok)
    }
}

/// Why a query gets no normal answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not worth an answer: shorter than a header, or a response.
    Drop,
    /// FORMERR; `question` says whether the question could be read and
    /// is to be echoed.
    FormErr { question: usize },
    /// An opcode not served: NOTIMP (RFC 1035 §4.1.1), question echoed.
    NotImp { question: usize },
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Skips a possibly compressed name (pointers must point backwards).
fn skip_name(msg: &[u8], mut pos: usize) -> Option<usize> {
    let mut total = 0;
    loop {
        let len = *msg.get(pos)?;
        match len & 0xc0 {
            0xc0 => {
                let target = (usize::from(len & 0x3f) << 8) | usize::from(*msg.get(pos + 1)?);
                return (target < pos).then_some(pos + 2);
            }
            0 => {
                pos += 1 + len as usize;
                total += 1 + len as usize;
                if total > MAX_NAME || pos > msg.len() {
                    return None;
                }
                if len == 0 {
                    return Some(pos);
                }
            }
            _ => return None,
        }
    }
}

/// Reads a query. `opcodes` are the opcodes served (others get NOTIMP).
pub fn parse<'a>(msg: &'a [u8], opcodes: &[u8]) -> Result<Query<'a>, Refusal> {
    if msg.len() < 12 {
        return Err(Refusal::Drop);
    }
    let flags = u16::from_be_bytes([msg[2], msg[3]]);
    if flags & 0x8000 != 0 {
        return Err(Refusal::Drop);
    }
    let opcode = ((flags >> 11) & 0xf) as u8;
    let counts = [0, 1, 2, 3].map(|i| u16_at(msg, 4 + 2 * i).unwrap_or(0));
    if counts[0] != 1 {
        return Err(Refusal::FormErr { question: 0 });
    }
    // The question name: uncompressed (nothing precedes it to point at).
    let mut pos = 12;
    loop {
        let len = *msg.get(pos).ok_or(Refusal::FormErr { question: 0 })? as usize;
        if len & 0xc0 != 0 || pos - 12 + len + 1 > MAX_NAME {
            return Err(Refusal::FormErr { question: 0 });
        }
        pos += len + 1;
        if len == 0 {
            break;
        }
    }
    let qname_end = pos;
    let (Some(qtype), Some(qclass)) = (u16_at(msg, pos), u16_at(msg, pos + 2)) else {
        return Err(Refusal::FormErr { question: 0 });
    };
    pos += 4;
    let head = &msg[..pos];
    if !opcodes.contains(&opcode) {
        return Err(Refusal::NotImp { question: pos });
    }
    let formerr = Refusal::FormErr { question: pos };
    let mut edns = None;
    let mut has_tsig = false;
    let records = counts[1] as usize + counts[2] as usize + counts[3] as usize;
    for i in 0..records {
        let owner_at = pos;
        pos = skip_name(msg, pos).ok_or(formerr)?;
        let (rtype, class) = (
            u16_at(msg, pos).ok_or(formerr)?,
            u16_at(msg, pos + 2).ok_or(formerr)?,
        );
        let ttl = msg.get(pos + 4..pos + 8).ok_or(formerr)?;
        let rdlength = u16_at(msg, pos + 8).ok_or(formerr)? as usize;
        let rdata = msg.get(pos + 10..pos + 10 + rdlength).ok_or(formerr)?;
        pos += 10 + rdlength;
        let in_additional = i >= counts[1] as usize + counts[2] as usize;
        if has_tsig {
            return Err(formerr); // TSIG must be the last record (RFC 8945 §5.1)
        }
        match RType(rtype) {
            RType::OPT => {
                // One OPT, in the additional section, owned by the root.
                if !in_additional || edns.is_some() || msg[owner_at] != 0 {
                    return Err(formerr);
                }
                edns = Some(read_opt(class, ttl, rdata).ok_or(formerr)?);
            }
            RType::TSIG if in_additional => has_tsig = true,
            _ => {}
        }
    }
    if pos != msg.len() {
        return Err(formerr);
    }
    Ok(Query {
        id: u16::from_be_bytes([msg[0], msg[1]]),
        opcode,
        flags,
        head,
        qname: &msg[12..qname_end],
        qtype: RType(qtype),
        qclass,
        edns,
        has_tsig,
    })
}

fn read_opt(class: u16, ttl: &[u8], rdata: &[u8]) -> Option<Edns> {
    let mut edns = Edns {
        // RFC 6891 §6.2.3: values below 512 are treated as 512.
        udp_size: class.max(512),
        version: ttl[1],
        dnssec_ok: ttl[2] & 0x80 != 0,
        nsid: false,
        keepalive: false,
        cookie: None,
    };
    let mut pos = 0;
    while pos < rdata.len() {
        let code = u16_at(rdata, pos)?;
        let len = u16_at(rdata, pos + 2)? as usize;
        let value = rdata.get(pos + 4..pos + 4 + len)?;
        pos += 4 + len;
        match code {
            option::NSID => edns.nsid = value.is_empty() || edns.nsid,
            option::COOKIE => {
                // 8 octets of client cookie, then 8 to 32 of server cookie
                // (RFC 7873 §4): any other length is malformed.
                if !(len == 8 || (16..=40).contains(&len)) || edns.cookie.is_some() {
                    return None;
                }
                let mut cookie = Cookie {
                    client: [0; 8],
                    server: [0; 32],
                    server_len: (len - 8) as u8,
                };
                cookie.client.copy_from_slice(&value[..8]);
                cookie.server[..len - 8].copy_from_slice(&value[8..]);
                edns.cookie = Some(cookie);
            }
            // A client sends it empty (RFC 7828 §3.2.1); with a value it is malformed.
            option::TCP_KEEPALIVE if len == 0 => edns.keepalive = true,
            option::TCP_KEEPALIVE => return None,
            _ => {}
        }
    }
    Some(edns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(extra: &[u8], arcount: u8) -> Vec<u8> {
        let mut q = vec![0xab, 0xcd, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, arcount];
        q.extend_from_slice(b"\x07example\x00\x00\x01\x00\x01");
        q.extend_from_slice(extra);
        q
    }

    #[test]
    fn rfc6891_6_1_1_one_opt_with_options() {
        let opt = [
            0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 16, 0, 3, 0, 0, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6,
            7, 8,
        ];
        let msg = query(&opt, 1);
        let q = parse(&msg, &[0]).unwrap();
        let edns = q.edns.unwrap();
        assert_eq!(edns.udp_size, 1232);
        assert!(edns.dnssec_ok && edns.nsid);
        assert_eq!(edns.cookie.unwrap().client, [1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(q.qname, b"\x07example\x00");
        let mut two = opt.to_vec();
        two.extend_from_slice(&opt);
        assert!(matches!(
            parse(&query(&two, 2), &[0]),
            Err(Refusal::FormErr { question: 25 })
        ));
    }

    #[test]
    fn rfc1035_4_1_1_bad_headers() {
        assert_eq!(parse(&[0; 11], &[0]).unwrap_err(), Refusal::Drop);
        let mut msg = query(&[], 0);
        msg[2] |= 0x80;
        assert_eq!(parse(&msg, &[0]).unwrap_err(), Refusal::Drop);
        let mut msg = query(&[], 0);
        msg[5] = 2;
        assert_eq!(
            parse(&msg, &[0]).unwrap_err(),
            Refusal::FormErr { question: 0 }
        );
        let mut msg = query(&[], 0);
        msg[2] = 0x10; // opcode 2 (STATUS)
        assert_eq!(
            parse(&msg, &[0]).unwrap_err(),
            Refusal::NotImp { question: 25 }
        );
        let msg = query(&[0], 0);
        assert_eq!(
            parse(&msg, &[0]).unwrap_err(),
            Refusal::FormErr { question: 25 }
        );
    }
}
