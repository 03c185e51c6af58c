//! Record data: presentation format to uncompressed wire format and back.
//!
//! Rdata is kept in wire form (RFC 1035 §3.3 and the RFCs of each type):
//! compact, the form signing and transfers need, and comparable bytewise.
//! The parser is driven by the field list of [`crate::zone::rtype`]; the
//! printer walks the same list, and falls back to the RFC 3597 generic form
//! for data that does not decode as its type says.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::encoding::{
    base32hex_decode, base32hex_encode, base64_decode, base64_encode, hex_decode, hex_encode,
};
use super::name::{Name, wire_name_len, write_labels};
use super::rtype::{ALGORITHMS, Field, Layout, RType};
use super::svcb;

/// One token of a record's rdata as the reader found it.
#[derive(Clone, Copy, Debug)]
pub struct Token<'a> {
    pub text: &'a [u8],
    pub quoted: bool,
}

/// A problem with the rdata, pointing at the token it concerns (an index
/// equal to the token count means "at the end of the record").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RdataError {
    pub token: usize,
    pub message: String,
}

type Result<T> = std::result::Result<T, RdataError>;

pub(crate) struct Cursor<'t, 'a> {
    tokens: &'t [Token<'a>],
    pos: usize,
}

impl<'t, 'a> Cursor<'t, 'a> {
    pub(crate) fn new(tokens: &'t [Token<'a>]) -> Self {
        Cursor { tokens, pos: 0 }
    }

    pub(crate) fn error(&self, message: impl Into<String>) -> RdataError {
        RdataError {
            token: self.pos.saturating_sub(1),
            message: message.into(),
        }
    }

    fn error_here(&self, message: impl Into<String>) -> RdataError {
        RdataError {
            token: self.pos,
            message: message.into(),
        }
    }

    pub(crate) fn next(&mut self, what: &str) -> Result<Token<'a>> {
        let tok =
            self.tokens.get(self.pos).copied().ok_or_else(|| {
                self.error_here(format!("unexpected end of input: expected {what}"))
            })?;
        self.pos += 1;
        Ok(tok)
    }

    pub(crate) fn peek(&self) -> Option<Token<'a>> {
        self.tokens.get(self.pos).copied()
    }

    fn rest(&mut self) -> &'t [Token<'a>] {
        let rest = &self.tokens[self.pos..];
        self.pos = self.tokens.len();
        rest
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }
}

fn shown(text: &[u8]) -> String {
    super::quote_token(text)
}

/// Parses the rdata tokens of `rtype`, appending its wire form to `out`.
pub fn parse(rtype: RType, tokens: &[Token<'_>], origin: &Name, out: &mut Vec<u8>) -> Result<()> {
    let mut cur = Cursor::new(tokens);
    if let Some(first) = cur.peek()
        && !first.quoted
        && first.text == b"\\#"
    {
        cur.next("\\#")?;
        let start = out.len();
        parse_generic(&mut cur, out)?;
        // RFC 3597 §5: the generic form of a known type must be that
        // type's wire form.
        return super::validate::validate_rdata(rtype, &out[start..]).map_err(|message| {
            RdataError {
                token: 0,
                message: format!("\\# data is not valid {rtype} rdata: {message}"),
            }
        });
    }
    match rtype.layout() {
        Layout::Fields(fields) => {
            for field in fields {
                parse_field(*field, &mut cur, origin, out)?;
            }
        }
        Layout::Meta => {
            return Err(RdataError {
                token: 0,
                message: format!("invalid use of a meta type {rtype}"),
            });
        }
        Layout::Generic => {
            return Err(RdataError {
                token: 0,
                message: format!(
                    "{rtype} data must be written in the RFC 3597 form (\\# length hex)"
                ),
            });
        }
        Layout::Loc => parse_loc(&mut cur, out)?,
        Layout::Svcb => svcb::parse(&mut cur, origin, out)?,
        Layout::Apl => parse_apl(&mut cur, out)?,
        Layout::Wks => parse_wks(&mut cur, out)?,
        Layout::IpsecKey => parse_ipseckey(&mut cur, origin, out)?,
        Layout::AmtRelay => parse_amtrelay(&mut cur, origin, out)?,
        Layout::Hip => parse_hip(&mut cur, origin, out)?,
        Layout::Nsap => parse_nsap(&mut cur, out)?,
        Layout::A6 => parse_a6(&mut cur, origin, out)?,
        Layout::Atma => parse_atma(&mut cur, out)?,
        Layout::Gpos => {
            for what in ["longitude", "latitude", "altitude"] {
                let tok = cur.next(what)?;
                if tok.text.is_empty()
                    || std::str::from_utf8(tok.text)
                        .ok()
                        .and_then(|s| s.parse::<f64>().ok())
                        .is_none()
                {
                    return Err(cur.error(format!("bad GPOS {what} \"{}\"", shown(tok.text))));
                }
                push_character_string(&cur, tok, out)?;
            }
        }
        Layout::Nxt => {
            parse_field(Field::Name, &mut cur, origin, out)?;
            parse_nxt_bitmap(&mut cur, out)?;
        }
        Layout::Doa => {
            parse_field(Field::U32, &mut cur, origin, out)?;
            parse_field(Field::U32, &mut cur, origin, out)?;
            parse_field(Field::U8, &mut cur, origin, out)?;
            parse_field(Field::CharString, &mut cur, origin, out)?;
            if cur.peek().is_some_and(|t| t.text == b"-" && !t.quoted) {
                cur.next("-")?;
            } else {
                parse_field(Field::Base64, &mut cur, origin, out)?;
            }
        }
    }
    if let Some(extra) = cur.peek() {
        return Err(cur.error_here(format!("extra input text \"{}\"", shown(extra.text))));
    }
    if out.len() > 65535 {
        return Err(RdataError {
            token: 0,
            message: "rdata longer than 65535 octets".into(),
        });
    }
    Ok(())
}

fn parse_generic(cur: &mut Cursor<'_, '_>, out: &mut Vec<u8>) -> Result<()> {
    let len_tok = cur.next("rdata length")?;
    if len_tok.quoted || !len_tok.text.iter().all(u8::is_ascii_digit) {
        // As BIND reads it: an unquoted \# always starts the generic form.
        return Err(cur.error(
            "\\# must be followed by the rdata length in octets (RFC 3597 §5); \
             to write the text \\#, quote it: \"\\#\""
                .to_string(),
        ));
    }
    let len: usize = parse_number(len_tok.text, 65535).map_err(|m| cur.error(m))? as usize;
    let start = out.len();
    for tok in cur.rest() {
        hex_decode(tok.text, out).map_err(|m| RdataError {
            token: 0,
            message: m.into(),
        })?;
    }
    if out.len() - start != len {
        return Err(RdataError {
            token: 1,
            message: format!(
                "\\# length {len} does not match the {} octets of data",
                out.len() - start
            ),
        });
    }
    Ok(())
}

pub(crate) fn parse_number(text: &[u8], max: u64) -> std::result::Result<u64, String> {
    if text.is_empty() || text.len() > 20 || !text.iter().all(u8::is_ascii_digit) {
        return Err(format!("expected a number, found \"{}\"", shown(text)));
    }
    let value: u64 = std::str::from_utf8(text)
        .unwrap()
        .parse()
        .map_err(|_| format!("number \"{}\" out of range", shown(text)))?;
    if value > max {
        return Err(format!("number {value} out of range (at most {max})"));
    }
    Ok(value)
}

/// Parses a TTL or period: seconds, or units `w d h m s` (`1h30m`).
pub fn parse_period(text: &[u8]) -> std::result::Result<u32, String> {
    if text.iter().all(u8::is_ascii_digit) {
        return parse_number(text, u32::MAX as u64).map(|v| v as u32);
    }
    let mut total: u64 = 0;
    let mut current: Option<u64> = None;
    for &c in text {
        if c.is_ascii_digit() {
            let v = current.unwrap_or(0) * 10 + (c - b'0') as u64;
            if v > u32::MAX as u64 {
                return Err(format!("TTL \"{}\" out of range", shown(text)));
            }
            current = Some(v);
            continue;
        }
        let unit = match c.to_ascii_lowercase() {
            b'w' => 604800,
            b'd' => 86400,
            b'h' => 3600,
            b'm' => 60,
            b's' => 1,
            _ => return Err(format!("expected a TTL, found \"{}\"", shown(text))),
        };
        let v = current
            .take()
            .ok_or_else(|| format!("expected a TTL, found \"{}\"", shown(text)))?;
        total += v * unit;
    }
    if current.is_some() || total > u32::MAX as u64 {
        return Err(format!("expected a TTL, found \"{}\"", shown(text)));
    }
    Ok(total as u32)
}

fn parse_field(
    field: Field,
    cur: &mut Cursor<'_, '_>,
    origin: &Name,
    out: &mut Vec<u8>,
) -> Result<()> {
    match field {
        Field::U8 => {
            let tok = cur.next("a number")?;
            out.push(parse_number(tok.text, 255).map_err(|m| cur.error(m))? as u8);
        }
        Field::U16 => {
            let tok = cur.next("a number")?;
            out.extend_from_slice(
                &(parse_number(tok.text, 65535).map_err(|m| cur.error(m))? as u16).to_be_bytes(),
            );
        }
        Field::U32 => {
            let tok = cur.next("a number")?;
            out.extend_from_slice(
                &(parse_number(tok.text, u32::MAX as u64).map_err(|m| cur.error(m))? as u32)
                    .to_be_bytes(),
            );
        }
        Field::Period => {
            let tok = cur.next("a time period")?;
            out.extend_from_slice(
                &parse_period(tok.text)
                    .map_err(|m| cur.error(m))?
                    .to_be_bytes(),
            );
        }
        Field::Name => {
            let tok = cur.next("a domain name")?;
            Name::parse_into(tok.text, Some(origin), out).map_err(|e| cur.error(e.to_string()))?;
        }
        Field::Ipv4 => {
            let tok = cur.next("an IPv4 address")?;
            out.extend_from_slice(&parse_ipv4(tok.text).map_err(|m| cur.error(m))?.octets());
        }
        Field::Ipv6 => {
            let tok = cur.next("an IPv6 address")?;
            out.extend_from_slice(&parse_ipv6(tok.text).map_err(|m| cur.error(m))?.octets());
        }
        Field::CharString => {
            let tok = cur.next("a character-string")?;
            push_character_string(cur, tok, out)?;
        }
        Field::OptCharString => {
            if let Some(tok) = cur.peek() {
                cur.next("")?;
                push_character_string(cur, tok, out)?;
            }
        }
        Field::CharStrings => {
            let first = cur.next("a character-string")?;
            push_character_string(cur, first, out)?;
            while let Some(tok) = cur.peek() {
                cur.next("")?;
                push_character_string(cur, tok, out)?;
            }
        }
        Field::Base64 | Field::Base64Opt => {
            if field == Field::Base64 && cur.at_end() {
                return Err(cur.error_here("unexpected end of input: expected base64 data"));
            }
            let mut joined = Vec::new();
            let first = cur.pos;
            for tok in cur.rest() {
                joined.extend_from_slice(tok.text);
            }
            base64_decode(&joined, out).map_err(|m| RdataError {
                token: first,
                message: m.into(),
            })?;
        }
        Field::Hex => {
            if cur.at_end() {
                return Err(cur.error_here("unexpected end of input: expected hex data"));
            }
            let first = cur.pos;
            let mut joined = Vec::new();
            for tok in cur.rest() {
                joined.extend_from_slice(tok.text);
            }
            hex_decode(&joined, out).map_err(|m| RdataError {
                token: first,
                message: m.into(),
            })?;
        }
        Field::Type => {
            let tok = cur.next("a record type")?;
            let t = RType::from_text(tok.text)
                .ok_or_else(|| cur.error(format!("unknown record type \"{}\"", shown(tok.text))))?;
            out.extend_from_slice(&t.0.to_be_bytes());
        }
        Field::Bitmap => {
            let mut types = Vec::new();
            while let Some(tok) = cur.peek() {
                cur.next("")?;
                let t = RType::from_text(tok.text).ok_or_else(|| {
                    cur.error(format!("unknown record type \"{}\"", shown(tok.text)))
                })?;
                types.push(t.0);
            }
            write_type_bitmap(&mut types, out);
        }
        Field::Time => {
            let tok = cur.next("a time (YYYYMMDDHHmmSS)")?;
            out.extend_from_slice(
                &parse_time(tok.text)
                    .map_err(|m| cur.error(m))?
                    .to_be_bytes(),
            );
        }
        Field::Algorithm => {
            let tok = cur.next("an algorithm")?;
            let upper = tok.text.to_ascii_uppercase();
            let value = match ALGORITHMS
                .iter()
                .find(|(_, name)| name.as_bytes() == upper.as_slice())
            {
                Some((n, _)) => *n,
                None => parse_number(tok.text, 255).map_err(|m| cur.error(m))? as u8,
            };
            out.push(value);
        }
        Field::Salt => {
            let tok = cur.next("a salt")?;
            if tok.text == b"-" {
                out.push(0);
            } else {
                let at = out.len();
                out.push(0);
                hex_decode(tok.text, out).map_err(|m| cur.error(m))?;
                let len = out.len() - at - 1;
                if len > 255 {
                    return Err(cur.error("salt longer than 255 octets"));
                }
                out[at] = len as u8;
            }
        }
        Field::Base32Hash => {
            let tok = cur.next("a hashed owner name")?;
            let at = out.len();
            out.push(0);
            base32hex_decode(tok.text, out).map_err(|m| cur.error(m))?;
            let len = out.len() - at - 1;
            if len == 0 || len > 255 {
                return Err(cur.error("hashed owner name length out of range"));
            }
            out[at] = len as u8;
        }
        Field::Eui48 => parse_eui(cur, 6, out)?,
        Field::Eui64 => parse_eui(cur, 8, out)?,
        Field::Ilnp64 => {
            let tok = cur.next("a locator")?;
            let groups: Vec<&[u8]> = tok.text.split(|&c| c == b':').collect();
            if groups.len() != 4 {
                return Err(cur.error(format!("bad locator \"{}\"", shown(tok.text))));
            }
            for g in groups {
                if g.is_empty() || g.len() > 4 {
                    return Err(cur.error(format!("bad locator \"{}\"", shown(tok.text))));
                }
                let v = u16::from_str_radix(std::str::from_utf8(g).unwrap_or("x"), 16)
                    .map_err(|_| cur.error(format!("bad locator \"{}\"", shown(tok.text))))?;
                out.extend_from_slice(&v.to_be_bytes());
            }
        }
        Field::StringRest => {
            let tok = cur.next("a string")?;
            let bytes = unescape(tok.text).map_err(|m| cur.error(m))?;
            out.extend_from_slice(&bytes);
        }
        Field::CaaTag => {
            let tok = cur.next("a property tag")?;
            if tok.text.is_empty()
                || tok.text.len() > 255
                || !tok.text.iter().all(u8::is_ascii_alphanumeric)
            {
                return Err(cur.error(format!("bad CAA tag \"{}\"", shown(tok.text))));
            }
            out.push(tok.text.len() as u8);
            out.extend_from_slice(tok.text);
        }
        Field::CertType => {
            let tok = cur.next("a certificate type")?;
            const CERT_TYPES: &[(&[u8], u16)] = &[
                (b"PKIX", 1),
                (b"SPKI", 2),
                (b"PGP", 3),
                (b"IPKIX", 4),
                (b"ISPKI", 5),
                (b"IPGP", 6),
                (b"ACPKIX", 7),
                (b"IACPKIX", 8),
                (b"URI", 253),
                (b"OID", 254),
            ];
            let upper = tok.text.to_ascii_uppercase();
            let value = match CERT_TYPES
                .iter()
                .find(|(name, _)| *name == upper.as_slice())
            {
                Some((_, v)) => *v,
                None => parse_number(tok.text, 65535).map_err(|m| cur.error(m))? as u16,
            };
            out.extend_from_slice(&value.to_be_bytes());
        }
        Field::DsyncScheme => {
            let tok = cur.next("a scheme")?;
            let value = if tok.text.eq_ignore_ascii_case(b"NOTIFY") {
                1
            } else {
                parse_number(tok.text, 255).map_err(|m| cur.error(m))? as u8
            };
            out.push(value);
        }
    }
    Ok(())
}

/// Dotted-quad IPv4: four decimal octets, no leading zeros, no short forms.
pub(crate) fn parse_ipv4(text: &[u8]) -> std::result::Result<Ipv4Addr, String> {
    let bad = || format!("expected an IPv4 address, found \"{}\"", shown(text));
    let mut octets = [0u8; 4];
    let mut parts = text.split(|&c| c == b'.');
    for octet in &mut octets {
        let part = parts.next().ok_or_else(bad)?;
        if part.is_empty()
            || part.len() > 3
            || !part.iter().all(u8::is_ascii_digit)
            || (part.len() > 1 && part[0] == b'0')
        {
            return Err(bad());
        }
        let value = part.iter().fold(0u32, |v, d| v * 10 + (d - b'0') as u32);
        *octet = u8::try_from(value).map_err(|_| bad())?;
    }
    if parts.next().is_some() {
        return Err(bad());
    }
    Ok(Ipv4Addr::from(octets))
}

/// RFC 4291 §2.2 text forms: eight hex groups, `::` once, and an optional
/// trailing dotted quad.
pub(crate) fn parse_ipv6(text: &[u8]) -> std::result::Result<Ipv6Addr, String> {
    let bad = || format!("expected an IPv6 address, found \"{}\"", shown(text));
    let mut head = [0u16; 8];
    let mut tail = [0u16; 8];
    let (mut head_len, mut tail_len) = (0, 0);
    let mut gap = false;
    let mut rest = text;
    if rest.starts_with(b"::") {
        gap = true;
        rest = &rest[2..];
    } else if rest.first() == Some(&b':') {
        return Err(bad());
    }
    while !rest.is_empty() {
        let groups = if gap { &mut tail } else { &mut head };
        let len = if gap { &mut tail_len } else { &mut head_len };
        let end = rest.iter().position(|&c| c == b':').unwrap_or(rest.len());
        let part = &rest[..end];
        if part.contains(&b'.') {
            // An embedded IPv4 address ends the text and fills two groups.
            if end != rest.len() || *len > 6 {
                return Err(bad());
            }
            let v4 = parse_ipv4(part).map_err(|_| bad())?.octets();
            groups[*len] = u16::from_be_bytes([v4[0], v4[1]]);
            groups[*len + 1] = u16::from_be_bytes([v4[2], v4[3]]);
            *len += 2;
            break;
        }
        if part.is_empty() || part.len() > 4 || *len >= 8 {
            return Err(bad());
        }
        let mut value = 0u16;
        for &c in part {
            value = value << 4 | (c as char).to_digit(16).ok_or_else(bad)? as u16;
        }
        groups[*len] = value;
        *len += 1;
        rest = &rest[end..];
        if rest.starts_with(b"::") {
            if gap {
                return Err(bad());
            }
            gap = true;
            rest = &rest[2..];
        } else if !rest.is_empty() {
            rest = &rest[1..];
            if rest.is_empty() {
                return Err(bad());
            }
        }
    }
    let total = head_len + tail_len;
    if (gap && total > 7) || (!gap && total != 8) {
        return Err(bad());
    }
    let mut groups = [0u16; 8];
    groups[..head_len].copy_from_slice(&head[..head_len]);
    groups[8 - tail_len..].copy_from_slice(&tail[..tail_len]);
    Ok(Ipv6Addr::from(groups))
}

fn parse_eui(cur: &mut Cursor<'_, '_>, octets: usize, out: &mut Vec<u8>) -> Result<()> {
    let tok = cur.next("an EUI address")?;
    let parts: Vec<&[u8]> = tok.text.split(|&c| c == b'-').collect();
    if parts.len() != octets || parts.iter().any(|p| p.len() != 2) {
        return Err(cur.error(format!(
            "bad EUI{} address \"{}\"",
            octets * 8,
            shown(tok.text)
        )));
    }
    for p in parts {
        hex_decode(p, out).map_err(|_| {
            cur.error(format!(
                "bad EUI{} address \"{}\"",
                octets * 8,
                shown(tok.text)
            ))
        })?;
    }
    Ok(())
}

/// Resolves `\DDD` and `\X` escapes of a character-string or quoted value.
pub(crate) fn unescape(text: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i] == b'\\' {
            let rest = &text[i + 1..];
            if rest.len() >= 3 && rest[..3].iter().all(u8::is_ascii_digit) {
                let v = (rest[0] - b'0') as u32 * 100
                    + (rest[1] - b'0') as u32 * 10
                    + (rest[2] - b'0') as u32;
                if v > 255 {
                    return Err(format!("bad escape \\{} (above 255)", shown(&rest[..3])));
                }
                out.push(v as u8);
                i += 4;
            } else if let Some(&c) = rest.first() {
                if c.is_ascii_digit() {
                    return Err("bad escape: \\ followed by fewer than three digits".into());
                }
                out.push(c);
                i += 2;
            } else {
                return Err("bad escape: \\ at the end of the text".into());
            }
        } else {
            out.push(text[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn push_character_string(cur: &Cursor<'_, '_>, tok: Token<'_>, out: &mut Vec<u8>) -> Result<()> {
    let at = out.len();
    out.push(0);
    // Fast path: no escapes.
    if !tok.text.contains(&b'\\') {
        out.extend_from_slice(tok.text);
    } else {
        let bytes = unescape(tok.text).map_err(|m| cur.error(m))?;
        out.extend_from_slice(&bytes);
    }
    let len = out.len() - at - 1;
    if len > 255 {
        return Err(cur.error(format!("character-string longer than 255 octets ({len})")));
    }
    out[at] = len as u8;
    Ok(())
}

/// Seconds since the epoch, modulo 2^32 (RFC 4034 §3.1.5 serial arithmetic).
pub fn parse_time(text: &[u8]) -> std::result::Result<u32, String> {
    if text.len() == 14 && text.iter().all(u8::is_ascii_digit) {
        let s = std::str::from_utf8(text).unwrap();
        let n = |r: std::ops::Range<usize>| s[r].parse::<i64>().unwrap();
        let (year, month, day, hour, minute, second) =
            (n(0..4), n(4..6), n(6..8), n(8..10), n(10..12), n(12..14));
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || minute > 59
            || second > 60
        {
            return Err(format!("bad time \"{s}\""));
        }
        let days = days_from_civil(year, month, day);
        let secs = days * 86400 + hour * 3600 + minute * 60 + second;
        return Ok(secs.rem_euclid(1 << 32) as u32);
    }
    if !text.is_empty() && text.len() <= 10 && text.iter().all(u8::is_ascii_digit) {
        return parse_number(text, u32::MAX as u64).map(|v| v as u32);
    }
    Err(format!(
        "expected a time (YYYYMMDDHHmmSS), found \"{}\"",
        shown(text)
    ))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

/// Formats seconds since the epoch as YYYYMMDDHHmmSS (valid 1970–2106).
pub fn format_time(secs: u32, out: &mut String) {
    let secs = secs as i64;
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    use std::fmt::Write;
    let _ = write!(
        out,
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
}

/// Writes an RFC 4034 §4.1.2 type bitmap for the given types.
pub fn write_type_bitmap(types: &mut Vec<u16>, out: &mut Vec<u8>) {
    types.sort_unstable();
    types.dedup();
    let mut i = 0;
    while i < types.len() {
        let window = types[i] >> 8;
        let mut bitmap = [0u8; 32];
        let mut max = 0;
        while i < types.len() && types[i] >> 8 == window {
            let low = (types[i] & 0xff) as usize;
            bitmap[low / 8] |= 0x80 >> (low % 8);
            max = low / 8;
            i += 1;
        }
        out.push(window as u8);
        out.push(max as u8 + 1);
        out.extend_from_slice(&bitmap[..=max]);
    }
}

/// Reads a type bitmap; `None` if malformed (RFC 4034 §4.1.2 rules).
pub fn read_type_bitmap(mut data: &[u8]) -> Option<Vec<u16>> {
    let mut types = Vec::new();
    let mut last_window: i32 = -1;
    while !data.is_empty() {
        if data.len() < 2 {
            return None;
        }
        let (window, len) = (data[0] as i32, data[1] as usize);
        // Windows ascend, and trailing zero octets are omitted (so no block is empty).
        if window <= last_window
            || len == 0
            || len > 32
            || data.len() < 2 + len
            || data[1 + len] == 0
        {
            return None;
        }
        last_window = window;
        for (byte_index, &byte) in data[2..2 + len].iter().enumerate() {
            for bit in 0..8 {
                if byte & (0x80 >> bit) != 0 {
                    types.push((window as u16) << 8 | (byte_index * 8 + bit) as u16);
                }
            }
        }
        data = &data[2 + len..];
    }
    Some(types)
}

fn parse_nxt_bitmap(cur: &mut Cursor<'_, '_>, out: &mut Vec<u8>) -> Result<()> {
    let mut bitmap = [0u8; 16];
    let mut max = 0;
    while let Some(tok) = cur.peek() {
        cur.next("")?;
        let t = RType::from_text(tok.text)
            .ok_or_else(|| cur.error(format!("unknown record type \"{}\"", shown(tok.text))))?;
        if t.0 > 127 {
            return Err(cur.error("NXT can only list types below 128"));
        }
        bitmap[t.0 as usize / 8] |= 0x80 >> (t.0 % 8);
        max = max.max(t.0 as usize / 8 + 1);
    }
    out.extend_from_slice(&bitmap[..max]);
    Ok(())
}

fn parse_loc(cur: &mut Cursor<'_, '_>, out: &mut Vec<u8>) -> Result<()> {
    fn coordinate(
        cur: &mut Cursor<'_, '_>,
        positive: u8,
        negative: u8,
        max_degrees: u64,
    ) -> Result<u32> {
        let deg_tok = cur.next("degrees")?;
        let degrees = parse_number(deg_tok.text, max_degrees).map_err(|m| cur.error(m))?;
        let mut minutes = 0u64;
        let mut millis = 0u64;
        let mut tok = cur.next("a hemisphere")?;
        if tok.text.first().is_some_and(u8::is_ascii_digit) {
            minutes = parse_number(tok.text, 59).map_err(|m| cur.error(m))?;
            tok = cur.next("a hemisphere")?;
            if tok.text.first().is_some_and(u8::is_ascii_digit) {
                millis = parse_decimal(tok.text, 3)
                    .filter(|v| *v < 60_000)
                    .ok_or_else(|| cur.error(format!("bad seconds \"{}\"", shown(tok.text))))?
                    as u64;
                tok = cur.next("a hemisphere")?;
            }
        }
        let offset = ((degrees * 60 + minutes) * 60) * 1000 + millis;
        if offset > max_degrees * 3_600_000 {
            return Err(cur.error("coordinate out of range"));
        }
        let hemisphere = tok.text.to_ascii_uppercase();
        match hemisphere.as_slice() {
            [c] if *c == positive => Ok((1u64 << 31).wrapping_add(offset) as u32),
            [c] if *c == negative => Ok(((1u64 << 31) - offset) as u32),
            _ => Err(cur.error(format!(
                "expected {} or {}, found \"{}\"",
                positive as char,
                negative as char,
                shown(tok.text)
            ))),
        }
    }
    fn meters(cur: &mut Cursor<'_, '_>, what: &str, allow_negative: bool) -> Result<i64> {
        let tok = cur.next(what)?;
        let text = tok
            .text
            .strip_suffix(b"m")
            .or_else(|| tok.text.strip_suffix(b"M"))
            .unwrap_or(tok.text);
        let (negative, digits) = match text.strip_prefix(b"-") {
            Some(rest) if allow_negative => (true, rest),
            _ => (false, text),
        };
        let cm = parse_decimal(digits, 2)
            .ok_or_else(|| cur.error(format!("bad {what} \"{}\"", shown(tok.text))))?;
        Ok(if negative { -cm } else { cm })
    }
    /// RFC 1876 keeps one significant digit and a power of ten; lower
    /// digits are dropped, as BIND does.
    fn precision(cm: i64) -> Option<u8> {
        let mut exponent = 0;
        let mut mantissa = cm;
        while mantissa > 9 {
            mantissa /= 10;
            exponent += 1;
        }
        if exponent > 9 {
            return None;
        }
        Some((mantissa as u8) << 4 | exponent)
    }
    let latitude = coordinate(cur, b'N', b'S', 90)?;
    let longitude = coordinate(cur, b'E', b'W', 180)?;
    let altitude = meters(cur, "altitude", true)?;
    if !(-10_000_000..=4_284_967_295).contains(&altitude) {
        return Err(cur.error("altitude out of range"));
    }
    let mut sizes = [100i64, 1_000_000, 1_000];
    for (i, what) in ["size", "horizontal precision", "vertical precision"]
        .into_iter()
        .enumerate()
    {
        if cur.at_end() {
            break;
        }
        sizes[i] = meters(cur, what, false)?;
        if sizes[i] > 9_000_000_000 {
            return Err(cur.error(format!("{what} out of range")));
        }
    }
    out.push(0);
    for size in sizes {
        out.push(precision(size).ok_or_else(|| cur.error("precision out of range"))?);
    }
    out.extend_from_slice(&latitude.to_be_bytes());
    out.extend_from_slice(&longitude.to_be_bytes());
    out.extend_from_slice(&((altitude + 10_000_000) as u32).to_be_bytes());
    Ok(())
}

/// Parses `123.45` into an integer scaled by 10^`decimals`.
fn parse_decimal(text: &[u8], decimals: u32) -> Option<i64> {
    let s = std::str::from_utf8(text).ok()?;
    let (whole, fraction) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > decimals as usize
        || whole.len() > 12
    {
        return None;
    }
    let mut value: i64 = whole.parse().ok()?;
    let mut fraction_value = 0i64;
    for (i, b) in fraction.bytes().enumerate() {
        fraction_value += (b - b'0') as i64 * 10i64.pow(decimals - 1 - i as u32);
    }
    value = value * 10i64.pow(decimals) + fraction_value;
    Some(value)
}

fn parse_apl(cur: &mut Cursor<'_, '_>, out: &mut Vec<u8>) -> Result<()> {
    while let Some(tok) = cur.peek() {
        cur.next("")?;
        let bad = || format!("bad APL item \"{}\"", shown(tok.text));
        let (negation, text) = match tok.text.strip_prefix(b"!") {
            Some(rest) => (true, rest),
            None => (false, tok.text),
        };
        let s = std::str::from_utf8(text).map_err(|_| cur.error(bad()))?;
        let (family, rest) = s.split_once(':').ok_or_else(|| cur.error(bad()))?;
        let (address, prefix) = rest.split_once('/').ok_or_else(|| cur.error(bad()))?;
        let prefix: u8 = prefix.parse().map_err(|_| cur.error(bad()))?;
        let mut bytes = match family {
            "1" if prefix <= 32 => parse_ipv4(address.as_bytes())
                .map_err(|m| cur.error(m))?
                .octets()
                .to_vec(),
            "2" if prefix <= 128 => parse_ipv6(address.as_bytes())
                .map_err(|m| cur.error(m))?
                .octets()
                .to_vec(),
            _ => return Err(cur.error(bad())),
        };
        while bytes.last() == Some(&0) {
            bytes.pop();
        }
        out.extend_from_slice(&(if family == "1" { 1u16 } else { 2 }).to_be_bytes());
        out.push(prefix);
        out.push(bytes.len() as u8 | if negation { 0x80 } else { 0 });
        out.extend_from_slice(&bytes);
    }
    Ok(())
}

/// Well-known services for WKS (RFC 1010 names, as /etc/services spells them).
fn parse_wks(cur: &mut Cursor<'_, '_>, out: &mut Vec<u8>) -> Result<()> {
    let addr = cur.next("an IPv4 address")?;
    out.extend_from_slice(&parse_ipv4(addr.text).map_err(|m| cur.error(m))?.octets());
    let proto = cur.next("a protocol")?;
    let protocol = match parse_number(proto.text, 255) {
        Ok(number) => number as u8,
        Err(_) => super::services::protocol_number(&String::from_utf8_lossy(proto.text))
            .ok_or_else(|| cur.error(format!("unknown protocol \"{}\"", shown(proto.text))))?,
    };
    out.push(protocol);
    let mut bitmap = vec![0u8; 0];
    while let Some(tok) = cur.peek() {
        cur.next("")?;
        let port = match parse_number(tok.text, 65535) {
            Ok(number) => number as u16,
            Err(_) => {
                super::services::service_port(&String::from_utf8_lossy(tok.text), protocol)
                    .ok_or_else(|| cur.error(format!("unknown service \"{}\"", shown(tok.text))))?
            }
        } as usize;
        if bitmap.len() <= port / 8 {
            bitmap.resize(port / 8 + 1, 0);
        }
        bitmap[port / 8] |= 0x80 >> (port % 8);
    }
    out.extend_from_slice(&bitmap);
    Ok(())
}

/// Gateway of IPSECKEY/AMTRELAY: 0 none (`.`), 1 IPv4, 2 IPv6, 3 name.
fn parse_gateway(
    cur: &mut Cursor<'_, '_>,
    kind: u8,
    origin: &Name,
    out: &mut Vec<u8>,
) -> Result<()> {
    let tok = cur.next("a gateway")?;
    match kind {
        0 if tok.text == b"." => Ok(()),
        0 => Err(cur.error("gateway type 0 needs \".\"")),
        1 => {
            out.extend_from_slice(&parse_ipv4(tok.text).map_err(|m| cur.error(m))?.octets());
            Ok(())
        }
        2 => {
            out.extend_from_slice(&parse_ipv6(tok.text).map_err(|m| cur.error(m))?.octets());
            Ok(())
        }
        3 => Name::parse_into(tok.text, Some(origin), out).map_err(|e| cur.error(e.to_string())),
        _ => Err(cur.error(format!("unknown gateway type {kind}"))),
    }
}

fn parse_ipseckey(cur: &mut Cursor<'_, '_>, origin: &Name, out: &mut Vec<u8>) -> Result<()> {
    parse_field(Field::U8, cur, origin, out)?;
    parse_field(Field::U8, cur, origin, out)?;
    let kind = out[out.len() - 1];
    parse_field(Field::U8, cur, origin, out)?;
    parse_gateway(cur, kind, origin, out)?;
    parse_field(Field::Base64Opt, cur, origin, out)
}

fn parse_amtrelay(cur: &mut Cursor<'_, '_>, origin: &Name, out: &mut Vec<u8>) -> Result<()> {
    parse_field(Field::U8, cur, origin, out)?;
    let d = cur.next("the discovery-optional bit")?;
    let d = parse_number(d.text, 1).map_err(|m| cur.error(m))? as u8;
    let t = cur.next("a relay type")?;
    let kind = parse_number(t.text, 127).map_err(|m| cur.error(m))? as u8;
    out.push(d << 7 | kind);
    parse_gateway(cur, kind, origin, out)
}

fn parse_hip(cur: &mut Cursor<'_, '_>, origin: &Name, out: &mut Vec<u8>) -> Result<()> {
    let alg = cur.next("a public key algorithm")?;
    let alg = parse_number(alg.text, 255).map_err(|m| cur.error(m))? as u8;
    let hit_tok = cur.next("a HIT")?;
    let mut hit = Vec::new();
    hex_decode(hit_tok.text, &mut hit).map_err(|m| cur.error(m))?;
    if hit.is_empty() || hit.len() > 255 {
        return Err(cur.error("HIT length out of range"));
    }
    let key_tok = cur.next("a public key")?;
    let mut key = Vec::new();
    base64_decode(key_tok.text, &mut key).map_err(|m| cur.error(m))?;
    if key.len() > 65535 {
        return Err(cur.error("public key too long"));
    }
    out.push(hit.len() as u8);
    out.push(alg);
    out.extend_from_slice(&(key.len() as u16).to_be_bytes());
    out.extend_from_slice(&hit);
    out.extend_from_slice(&key);
    while cur.peek().is_some() {
        parse_field(Field::Name, cur, origin, out)?;
    }
    Ok(())
}

fn parse_nsap(cur: &mut Cursor<'_, '_>, out: &mut Vec<u8>) -> Result<()> {
    let tok = cur.next("an NSAP address")?;
    let digits = tok
        .text
        .strip_prefix(b"0x")
        .or_else(|| tok.text.strip_prefix(b"0X"))
        .ok_or_else(|| cur.error("NSAP address must start with 0x"))?;
    let hex: Vec<u8> = digits.iter().copied().filter(|&c| c != b'.').collect();
    if hex.is_empty() {
        return Err(cur.error("unexpected end of input: empty NSAP address"));
    }
    hex_decode(&hex, out)
        .map_err(|m| cur.error(format!("unexpected end of input: {m} in NSAP address")))
}

fn parse_a6(cur: &mut Cursor<'_, '_>, origin: &Name, out: &mut Vec<u8>) -> Result<()> {
    let tok = cur.next("a prefix length")?;
    let prefix = parse_number(tok.text, 128).map_err(|m| cur.error(m))? as usize;
    out.push(prefix as u8);
    let suffix_len = (128 - prefix).div_ceil(8);
    if prefix < 128 {
        let tok = cur.next("an address suffix")?;
        let addr = parse_ipv6(tok.text).map_err(|m| cur.error(m))?.octets();
        out.extend_from_slice(&addr[16 - suffix_len..]);
    }
    if prefix > 0 {
        parse_field(Field::Name, cur, origin, out)?;
    }
    Ok(())
}

fn parse_atma(cur: &mut Cursor<'_, '_>, out: &mut Vec<u8>) -> Result<()> {
    let tok = cur.next("an ATM address")?;
    if let Some(digits) = tok.text.strip_prefix(b"+") {
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return Err(cur.error("bad E.164 ATM address"));
        }
        out.push(1);
        out.extend_from_slice(digits);
    } else {
        let hex: Vec<u8> = tok.text.iter().copied().filter(|&c| c != b'.').collect();
        out.push(0);
        hex_decode(&hex, out).map_err(|m| cur.error(m))?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Printing

/// Reads wire rdata field by field; every accessor fails on short data.
pub(crate) struct WireReader<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> WireReader<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        WireReader { data, pos: 0 }
    }
    pub(crate) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let slice = self.data.get(self.pos..self.pos + n)?;
        self.pos += n;
        Some(slice)
    }
    pub(crate) fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    pub(crate) fn u16(&mut self) -> Option<u16> {
        self.take(2).map(|b| u16::from_be_bytes([b[0], b[1]]))
    }
    pub(crate) fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(crate) fn name(&mut self) -> Option<&'a [u8]> {
        let len = wire_name_len(&self.data[self.pos..])?;
        self.take(len)
    }
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let rest = &self.data[self.pos..];
        self.pos = self.data.len();
        rest
    }
    pub(crate) fn done(&self) -> bool {
        self.pos == self.data.len()
    }
}

/// Appends a quoted character-string with escapes.
pub fn write_quoted(bytes: &[u8], out: &mut String) {
    out.push('"');
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            0x20..=0x7e => out.push(b as char),
            _ => super::name::push_decimal_escape(b, out),
        }
    }
    out.push('"');
}

/// Appends the presentation form of `rdata`; the RFC 3597 form when the
/// data does not decode as its type.
pub fn write(rtype: RType, rdata: &[u8], out: &mut String) {
    let mark = out.len();
    if write_typed(rtype, rdata, out).is_none() {
        out.truncate(mark);
        write_generic(rdata, out);
    }
}

pub fn write_generic(rdata: &[u8], out: &mut String) {
    use std::fmt::Write;
    let _ = write!(out, "\\# {}", rdata.len());
    if !rdata.is_empty() {
        out.push(' ');
        hex_encode(rdata, out);
    }
}

fn write_typed(rtype: RType, rdata: &[u8], out: &mut String) -> Option<()> {
    let mut r = WireReader::new(rdata);
    match rtype.layout() {
        Layout::Fields(fields) => {
            for (i, field) in fields.iter().enumerate() {
                let mark = out.len();
                if i > 0 {
                    out.push(' ');
                }
                let before = out.len();
                write_field(*field, &mut r, out)?;
                // Optional fields that were absent leave no stray separator.
                if out.len() == before {
                    out.truncate(mark);
                }
            }
        }
        Layout::Generic | Layout::Meta => return None,
        Layout::Loc => write_loc(&mut r, out)?,
        Layout::Svcb => svcb::write(&mut r, out)?,
        Layout::Apl => write_apl(&mut r, out)?,
        Layout::Wks => {
            out.push_str(&Ipv4Addr::from(<[u8; 4]>::try_from(r.take(4)?).ok()?).to_string());
            let proto = r.u8()?;
            match proto {
                6 => out.push_str(" tcp"),
                17 => out.push_str(" udp"),
                other => out.push_str(&format!(" {other}")),
            }
            let bitmap = r.rest();
            if bitmap.last() == Some(&0) {
                return None;
            }
            for (i, byte) in bitmap.iter().enumerate() {
                for bit in 0..8 {
                    if byte & (0x80 >> bit) != 0 {
                        out.push_str(&format!(" {}", i * 8 + bit));
                    }
                }
            }
        }
        Layout::IpsecKey => {
            let (precedence, kind, alg) = (r.u8()?, r.u8()?, r.u8()?);
            out.push_str(&format!("{precedence} {kind} {alg} "));
            write_gateway(&mut r, kind, out)?;
            let key = r.rest();
            if !key.is_empty() {
                out.push(' ');
                base64_encode(key, out);
            }
        }
        Layout::AmtRelay => {
            let precedence = r.u8()?;
            let flags = r.u8()?;
            let kind = flags & 0x7f;
            out.push_str(&format!("{precedence} {} {kind} ", flags >> 7));
            write_gateway(&mut r, kind, out)?;
        }
        Layout::Hip => {
            let hit_len = r.u8()? as usize;
            let alg = r.u8()?;
            let key_len = r.u16()? as usize;
            if hit_len == 0 || key_len == 0 {
                return None;
            }
            out.push_str(&format!("{alg} "));
            hex_encode(r.take(hit_len)?, out);
            out.push(' ');
            base64_encode(r.take(key_len)?, out);
            while !r.done() {
                out.push(' ');
                write_labels(r.name()?, out);
            }
        }
        Layout::Nsap => {
            let data = r.rest();
            if data.is_empty() {
                return None;
            }
            out.push_str("0x");
            hex_encode(data, out);
        }
        Layout::A6 => {
            let prefix = r.u8()? as usize;
            if prefix > 128 {
                return None;
            }
            out.push_str(&prefix.to_string());
            let suffix_len = (128 - prefix).div_ceil(8);
            if prefix < 128 {
                let mut addr = [0u8; 16];
                addr[16 - suffix_len..].copy_from_slice(r.take(suffix_len)?);
                out.push(' ');
                out.push_str(&Ipv6Addr::from(addr).to_string());
            }
            if prefix > 0 {
                out.push(' ');
                write_labels(r.name()?, out);
            }
        }
        Layout::Atma => {
            let format = r.u8()?;
            let data = r.rest();
            match format {
                1 if data.iter().all(u8::is_ascii_digit) && !data.is_empty() => {
                    out.push('+');
                    out.push_str(std::str::from_utf8(data).ok()?);
                }
                0 if !data.is_empty() => hex_encode(data, out),
                _ => return None,
            }
        }
        Layout::Gpos => {
            for i in 0..3 {
                if i > 0 {
                    out.push(' ');
                }
                let len = r.u8()? as usize;
                let value = r.take(len)?;
                if std::str::from_utf8(value).ok()?.parse::<f64>().is_err() {
                    return None;
                }
                write_quoted(value, out);
            }
        }
        Layout::Nxt => {
            write_labels(r.name()?, out);
            let bitmap = r.rest();
            if bitmap.last() == Some(&0) || bitmap.len() > 16 {
                return None; // not a form the text can express: only \# keeps it exactly
            }
            for (i, byte) in bitmap.iter().enumerate() {
                for bit in 0..8 {
                    if byte & (0x80 >> bit) != 0 {
                        out.push(' ');
                        out.push_str(&RType((i * 8 + bit) as u16).to_string());
                    }
                }
            }
        }
        Layout::Doa => {
            out.push_str(&format!("{} {} {} ", r.u32()?, r.u32()?, r.u8()?));
            let len = r.u8()? as usize;
            write_quoted(r.take(len)?, out);
            let data = r.rest();
            out.push(' ');
            if data.is_empty() {
                out.push('-');
            } else {
                base64_encode(data, out);
            }
        }
    }
    r.done().then_some(())
}

fn write_gateway(r: &mut WireReader<'_>, kind: u8, out: &mut String) -> Option<()> {
    match kind {
        0 => out.push('.'),
        1 => out.push_str(&Ipv4Addr::from(<[u8; 4]>::try_from(r.take(4)?).ok()?).to_string()),
        2 => out.push_str(&Ipv6Addr::from(<[u8; 16]>::try_from(r.take(16)?).ok()?).to_string()),
        3 => write_labels(r.name()?, out),
        _ => return None,
    }
    Some(())
}

fn write_field(field: Field, r: &mut WireReader<'_>, out: &mut String) -> Option<()> {
    use std::fmt::Write;
    match field {
        Field::U8 => {
            let _ = write!(out, "{}", r.u8()?);
        }
        Field::U16 => {
            let _ = write!(out, "{}", r.u16()?);
        }
        Field::U32 | Field::Period => {
            let _ = write!(out, "{}", r.u32()?);
        }
        Field::Algorithm => {
            let _ = write!(out, "{}", r.u8()?);
        }
        Field::Name => write_labels(r.name()?, out),
        Field::Ipv4 => {
            out.push_str(&Ipv4Addr::from(<[u8; 4]>::try_from(r.take(4)?).ok()?).to_string())
        }
        Field::Ipv6 => {
            out.push_str(&Ipv6Addr::from(<[u8; 16]>::try_from(r.take(16)?).ok()?).to_string())
        }
        Field::CharString => {
            let len = r.u8()? as usize;
            write_quoted(r.take(len)?, out);
        }
        Field::OptCharString => {
            if !r.done() {
                let len = r.u8()? as usize;
                write_quoted(r.take(len)?, out);
            }
        }
        Field::CharStrings => {
            if r.done() {
                return None;
            }
            let mut first = true;
            while !r.done() {
                if !first {
                    out.push(' ');
                }
                first = false;
                let len = r.u8()? as usize;
                write_quoted(r.take(len)?, out);
            }
        }
        Field::Base64 => {
            let data = r.rest();
            if data.is_empty() {
                return None;
            }
            base64_encode(data, out);
        }
        Field::Base64Opt => base64_encode(r.rest(), out),
        Field::Hex => {
            let data = r.rest();
            if data.is_empty() {
                return None;
            }
            hex_encode(data, out);
        }
        Field::Type => out.push_str(&RType(r.u16()?).to_string()),
        Field::Bitmap => {
            let types = read_type_bitmap(r.rest())?;
            for (i, t) in types.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(&RType(*t).to_string());
            }
        }
        Field::Time => format_time(r.u32()?, out),
        Field::Salt => {
            let len = r.u8()? as usize;
            if len == 0 {
                out.push('-');
            } else {
                hex_encode(r.take(len)?, out);
            }
        }
        Field::Base32Hash => {
            let len = r.u8()? as usize;
            if len == 0 {
                return None;
            }
            base32hex_encode(r.take(len)?, out);
        }
        Field::Eui48 | Field::Eui64 => {
            let n = if field == Field::Eui48 { 6 } else { 8 };
            for (i, b) in r.take(n)?.iter().enumerate() {
                if i > 0 {
                    out.push('-');
                }
                let _ = write!(out, "{b:02x}");
            }
        }
        Field::Ilnp64 => {
            for i in 0..4 {
                if i > 0 {
                    out.push(':');
                }
                let _ = write!(out, "{:04x}", r.u16()?);
            }
        }
        Field::StringRest => write_quoted(r.rest(), out),
        Field::CaaTag => {
            let len = r.u8()? as usize;
            let tag = r.take(len)?;
            if tag.is_empty() || !tag.iter().all(u8::is_ascii_alphanumeric) {
                return None;
            }
            out.push_str(std::str::from_utf8(tag).ok()?);
        }
        Field::CertType => {
            let _ = write!(out, "{}", r.u16()?);
        }
        Field::DsyncScheme => {
            let _ = write!(out, "{}", r.u8()?);
        }
    }
    Some(())
}

fn write_loc(r: &mut WireReader<'_>, out: &mut String) -> Option<()> {
    use std::fmt::Write;
    if r.u8()? != 0 {
        return None;
    }
    let mut precisions = [0i64; 3];
    for p in &mut precisions {
        let b = r.u8()?;
        let (mantissa, exponent) = ((b >> 4) as i64, (b & 15) as u32);
        // Only the form the parser produces (a zero mantissa has exponent 0).
        if mantissa > 9 || exponent > 9 || (mantissa == 0 && exponent != 0) {
            return None;
        }
        *p = mantissa * 10i64.pow(exponent);
    }
    let (lat, lon, alt) = (r.u32()?, r.u32()?, r.u32()?);
    for (value, positive, negative, max_degrees) in [(lat, 'N', 'S', 90), (lon, 'E', 'W', 180)] {
        let offset = value as i64 - (1i64 << 31);
        if offset.unsigned_abs() > max_degrees * 3_600_000 {
            return None;
        }
        let hemisphere = if offset < 0 { negative } else { positive };
        let abs = offset.unsigned_abs();
        let (deg, min, sec, ms) = (
            abs / 3_600_000,
            abs / 60_000 % 60,
            abs / 1000 % 60,
            abs % 1000,
        );
        let _ = write!(out, "{deg} {min} {sec}.{ms:03} {hemisphere} ");
    }
    let meters = |cm: i64| {
        let sign = if cm < 0 { "-" } else { "" };
        format!("{sign}{}.{:02}m", cm.abs() / 100, cm.abs() % 100)
    };
    let _ = write!(
        out,
        "{} {} {} {}",
        meters(alt as i64 - 10_000_000),
        meters(precisions[0]),
        meters(precisions[1]),
        meters(precisions[2])
    );
    Some(())
}

fn write_apl(r: &mut WireReader<'_>, out: &mut String) -> Option<()> {
    let mut first = true;
    while !r.done() {
        let family = r.u16()?;
        let prefix = r.u8()?;
        let flags = r.u8()?;
        let len = (flags & 0x7f) as usize;
        let data = r.take(len)?;
        // RFC 3123 §4: trailing zero octets of the address are omitted.
        if data.last() == Some(&0) {
            return None;
        }
        if !first {
            out.push(' ');
        }
        first = false;
        if flags & 0x80 != 0 {
            out.push('!');
        }
        match family {
            1 if len <= 4 && prefix <= 32 => {
                let mut a = [0u8; 4];
                a[..len].copy_from_slice(data);
                out.push_str(&format!("1:{}/{prefix}", Ipv4Addr::from(a)));
            }
            2 if len <= 16 && prefix <= 128 => {
                let mut a = [0u8; 16];
                a[..len].copy_from_slice(data);
                out.push_str(&format!("2:{}/{prefix}", Ipv6Addr::from(a)));
            }
            _ => return None,
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(text: &str) -> Vec<Token<'_>> {
        text.split_whitespace()
            .map(|t| Token {
                text: t.as_bytes(),
                quoted: false,
            })
            .collect()
    }

    fn round_trip(rtype: &str, text: &str) -> String {
        let origin = Name::parse(b"example.", None).unwrap();
        let rtype = RType::from_text(rtype.as_bytes()).unwrap();
        let mut wire = Vec::new();
        parse(rtype, &tokens(text), &origin, &mut wire).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        let mut out = String::new();
        write(rtype, &wire, &mut out);
        let mut again = Vec::new();
        parse(rtype, &tokens(&out), &origin, &mut again).unwrap_or_else(|e| panic!("{out}: {e:?}"));
        assert_eq!(wire, again, "{out}");
        out
    }

    #[test]
    fn common_types_print_canonically() {
        assert_eq!(round_trip("MX", "10 mail"), "10 mail.example.");
        assert_eq!(
            round_trip("SOA", "ns hostmaster 1 1h 30m 1w 1d"),
            "ns.example. hostmaster.example. 1 3600 1800 604800 86400"
        );
        assert_eq!(
            round_trip("NSEC", "host.example. A MX RRSIG NSEC TYPE1234"),
            "host.example. A MX RRSIG NSEC TYPE1234"
        );
        assert_eq!(round_trip("NSEC3PARAM", "1 0 0 -"), "1 0 0 -");
        assert_eq!(
            round_trip("LOC", "42 21 54 N 71 06 18 W -24m 30m"),
            "42 21 54.000 N 71 6 18.000 W -24.00m 30.00m 10000.00m 10.00m"
        );
        assert_eq!(
            round_trip("APL", "1:192.168.32.0/21 !1:192.168.38.0/28 2:ff00::/8"),
            "1:192.168.32.0/21 !1:192.168.38.0/28 2:ff00::/8"
        );
        assert_eq!(
            round_trip("EUI48", "00-00-5e-00-53-2a"),
            "00-00-5e-00-53-2a"
        );
        assert_eq!(
            round_trip("WKS", "10.0.0.1 tcp telnet ftp 0 1 2"),
            "10.0.0.1 tcp 0 1 2 21 23"
        );
        round_trip(
            "RRSIG",
            "A 13 2 3600 20250101000000 20241201000000 12345 example. AAAA",
        );
        round_trip(
            "IPSECKEY",
            "10 1 2 192.0.2.38 AQNRU3mG7TVTO2BkR47usntb102uFJtugbo6BSGvgqt4AQ==",
        );
        round_trip("AMTRELAY", "0 0 0 .");
        round_trip("A6", "64 ::1 prefix.example.");
        round_trip("ATMA", "+61200000000");
        round_trip("NXT", "next.example. A NS NXT");
        round_trip("CERT", "PGP 0 0 AAAA");
        round_trip("DSYNC", "CDS NOTIFY 1000 scanner1");
    }

    #[test]
    fn ipv6_text_forms_agree_with_std() {
        for text in [
            "::",
            "::1",
            "1::",
            "2001:db8::1",
            "2001:db8:0:0:0:0:2:1",
            "::ffff:192.0.2.1",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:192.0.2.1",
            "fe80::1:2",
            "1::2:3:4:5:6:7",
            "::2:3:4:5:6:7:8",
        ] {
            assert_eq!(
                parse_ipv6(text.as_bytes()).unwrap(),
                text.parse::<Ipv6Addr>().unwrap(),
                "{text}"
            );
        }
        for text in [
            "",
            ":",
            ":::",
            "1:::2",
            "1::2::3",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7",
            "12345::",
            "1:",
            ":1",
            "g::",
            "1:2:3:4:5:6:7:1.2.3.4",
            "::1.2.3",
            "1.2.3.4::",
        ] {
            assert!(parse_ipv6(text.as_bytes()).is_err(), "{text}");
            assert!(text.parse::<Ipv6Addr>().is_err(), "std accepts {text}");
        }
    }

    #[test]
    fn ipv4_is_strict() {
        assert_eq!(
            parse_ipv4(b"192.0.2.1").unwrap(),
            Ipv4Addr::new(192, 0, 2, 1)
        );
        for text in [
            "",
            "1.2.3",
            "1.2.3.4.5",
            "01.2.3.4",
            "256.1.1.1",
            "1..2.3",
            "a.b.c.d",
            "1.2.3.4.",
        ] {
            assert!(parse_ipv4(text.as_bytes()).is_err(), "{text}");
        }
    }

    #[test]
    fn rfc4034_3_2_time_formats() {
        assert_eq!(parse_time(b"20250101000000").unwrap(), 1735689600);
        assert_eq!(parse_time(b"1735689600").unwrap(), 1735689600);
        let mut s = String::new();
        format_time(1735689600, &mut s);
        assert_eq!(s, "20250101000000");
        assert!(parse_time(b"20250230000000").is_err());
    }

    #[test]
    fn bad_data_is_refused_with_the_token() {
        let origin = Name::root();
        let err = parse(RType::A, &tokens("10.0.0.256"), &origin, &mut Vec::new()).unwrap_err();
        assert_eq!(err.token, 0);
        assert!(
            err.message
                .contains("expected an IPv4 address, found \"10.0.0.256\"")
        );
        assert!(
            parse(RType::MX, &tokens("10"), &origin, &mut Vec::new())
                .unwrap_err()
                .message
                .contains("unexpected end")
        );
        assert!(
            parse(RType::A, &tokens("1.2.3.4 extra"), &origin, &mut Vec::new())
                .unwrap_err()
                .message
                .contains("extra input")
        );
    }

    #[test]
    fn rfc3597_generic_form() {
        let origin = Name::root();
        let mut wire = Vec::new();
        parse(
            RType(65534),
            &tokens("\\# 5 0102030405"),
            &origin,
            &mut wire,
        )
        .unwrap();
        assert_eq!(wire, [1, 2, 3, 4, 5]);
        let mut out = String::new();
        write(RType(65534), &wire, &mut out);
        assert_eq!(out, "\\# 5 0102030405");
        assert!(
            parse(
                RType(65534),
                &tokens("\\# 4 0102030405"),
                &origin,
                &mut Vec::new()
            )
            .is_err()
        );
    }
}
