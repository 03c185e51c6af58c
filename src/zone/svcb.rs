//! SVCB and HTTPS rdata (RFC 9460): priority, target, and SvcParams.
//!
//! SvcParams are stored in ascending key order as RFC 9460 §2.2 requires on
//! the wire, whatever order they were written in.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::encoding::{base64_decode, base64_encode};
use super::name::{Name, write_labels};
use super::rdata::{
    Cursor, RdataError, WireReader, parse_ipv4, parse_ipv6, parse_number, unescape,
};

pub const MANDATORY: u16 = 0;
pub const ALPN: u16 = 1;
pub const NO_DEFAULT_ALPN: u16 = 2;
pub const PORT: u16 = 3;
pub const IPV4HINT: u16 = 4;
pub const ECH: u16 = 5;
pub const IPV6HINT: u16 = 6;
pub const DOHPATH: u16 = 7;
pub const OHTTP: u16 = 8;
pub const TLS_SUPPORTED_GROUPS: u16 = 9;

const KEY_NAMES: &[(u16, &str)] = &[
    (MANDATORY, "mandatory"),
    (ALPN, "alpn"),
    (NO_DEFAULT_ALPN, "no-default-alpn"),
    (PORT, "port"),
    (IPV4HINT, "ipv4hint"),
    (ECH, "ech"),
    (IPV6HINT, "ipv6hint"),
    (DOHPATH, "dohpath"),
    (OHTTP, "ohttp"),
    (TLS_SUPPORTED_GROUPS, "tls-supported-groups"),
];

pub fn key_from_text(text: &str) -> Option<u16> {
    if let Some((key, _)) = KEY_NAMES
        .iter()
        .find(|(_, name)| name.eq_ignore_ascii_case(text))
    {
        return Some(*key);
    }
    let digits = text.strip_prefix("key")?;
    if digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || (digits.len() > 1 && digits.starts_with('0'))
    {
        return None;
    }
    digits.parse().ok()
}

pub fn key_name(key: u16) -> String {
    KEY_NAMES
        .iter()
        .find(|(k, _)| *k == key)
        .map_or_else(|| format!("key{key}"), |(_, name)| name.to_string())
}

/// Splits an RFC 9460 Appendix A.1 value-list on unescaped commas.
fn split_value_list(value: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut items = vec![Vec::new()];
    let mut i = 0;
    while i < value.len() {
        match value[i] {
            b'\\' if i + 1 < value.len() => {
                items.last_mut().unwrap().push(value[i + 1]);
                i += 2;
            }
            b',' => {
                items.push(Vec::new());
                i += 1;
            }
            c => {
                items.last_mut().unwrap().push(c);
                i += 1;
            }
        }
    }
    if items.iter().any(Vec::is_empty) {
        return Err("syntax error: empty item in a comma-separated list".into());
    }
    Ok(items)
}

pub(crate) fn parse(
    cur: &mut Cursor<'_, '_>,
    origin: &Name,
    out: &mut Vec<u8>,
) -> Result<(), RdataError> {
    let tok = cur.next("a priority")?;
    let priority = parse_number(tok.text, 65535).map_err(|m| cur.error(m))? as u16;
    out.extend_from_slice(&priority.to_be_bytes());
    let tok = cur.next("a target name")?;
    Name::parse_into(tok.text, Some(origin), out).map_err(|e| cur.error(e.to_string()))?;
    let mut params: Vec<(u16, Vec<u8>)> = Vec::new();
    while let Some(tok) = cur.peek() {
        cur.next("")?;
        let text = tok.text;
        let (key_text, raw_value) = match text.iter().position(|&c| c == b'=') {
            Some(eq) => (&text[..eq], Some(&text[eq + 1..])),
            None => (text, None),
        };
        let key_str = std::str::from_utf8(key_text)
            .map_err(|_| cur.error("syntax error: bad SvcParam key"))?;
        let key = key_from_text(key_str).ok_or_else(|| {
            cur.error(format!("syntax error: unknown SvcParam key \"{key_str}\""))
        })?;
        // A key written as `key=` followed by a quoted token takes that token.
        let raw_value = match raw_value {
            Some(v) if v.is_empty() && cur.peek().is_some_and(|t| t.quoted) => {
                Some(cur.next("a value")?.text)
            }
            other => other,
        };
        if params.iter().any(|(k, _)| *k == key) {
            return Err(cur.error(format!(
                "syntax error: duplicate SvcParam key \"{key_str}\""
            )));
        }
        let value = match raw_value {
            Some(v) => Some(unescape(v).map_err(|m| cur.error(m))?),
            None => None,
        };
        // A key after RFC 9460 written as keyNNNNN has its value in the
        // generic form (octets as a character-string), as the writer puts
        // it for peers that do not know the key; it must still be valid
        // for the key.
        let generic = key > IPV6HINT
            && key_str.len() > 3
            && key_str[..3].eq_ignore_ascii_case("key")
            && key_str[3..].bytes().all(|b| b.is_ascii_digit());
        let wire = if generic {
            let wire = value.unwrap_or_default();
            later_key_value(key, &wire)
                .map_err(|m| cur.error(format!("{m} (near '{key_str}='")))?;
            wire
        } else {
            encode_param(key, value.as_deref())
                .map_err(|m| cur.error(format!("{m} (near '{key_str}='")))?
        };
        params.push((key, wire));
    }
    params.sort_by_key(|(k, _)| *k);
    if let Some((_, mandatory)) = params.iter().find(|(k, _)| *k == MANDATORY) {
        for pair in mandatory.chunks(2) {
            let key = u16::from_be_bytes([pair[0], pair[1]]);
            if key == MANDATORY {
                return Err(cur.error("mandatory must not list itself"));
            }
            if !params.iter().any(|(k, _)| *k == key) {
                return Err(cur.error(format!("mandatory key {} is missing", key_name(key))));
            }
        }
    }
    for (key, value) in params {
        out.extend_from_slice(&key.to_be_bytes());
        out.extend_from_slice(&(value.len() as u16).to_be_bytes());
        out.extend_from_slice(&value);
    }
    Ok(())
}

fn encode_param(key: u16, value: Option<&[u8]>) -> Result<Vec<u8>, String> {
    let mut wire = Vec::new();
    fn need(key: u16, v: Option<&[u8]>) -> Result<&[u8], String> {
        v.filter(|v| !v.is_empty())
            .ok_or_else(|| format!("syntax error: {} needs a value", key_name(key)))
    }
    match key {
        MANDATORY => {
            let mut keys = Vec::new();
            for item in split_value_list(need(key, value)?)? {
                let name = String::from_utf8_lossy(&item).into_owned();
                let k = key_from_text(&name)
                    .ok_or_else(|| format!("syntax error: unknown key \"{name}\" in mandatory"))?;
                if keys.contains(&k) {
                    return Err(format!(
                        "syntax error: duplicate key \"{name}\" in mandatory"
                    ));
                }
                keys.push(k);
            }
            keys.sort_unstable();
            for k in keys {
                wire.extend_from_slice(&k.to_be_bytes());
            }
        }
        ALPN => {
            for item in split_value_list(need(key, value)?)? {
                if item.len() > 255 {
                    return Err("syntax error: ALPN id longer than 255 octets".into());
                }
                wire.push(item.len() as u8);
                wire.extend_from_slice(&item);
            }
        }
        NO_DEFAULT_ALPN | OHTTP => {
            if value.is_some_and(|v| !v.is_empty()) {
                return Err(format!("syntax error: {} takes no value", key_name(key)));
            }
        }
        PORT => {
            let v = need(key, value)?;
            wire.extend_from_slice(&(parse_number(v, 65535)? as u16).to_be_bytes());
        }
        IPV4HINT => {
            for item in split_value_list(need(key, value)?)? {
                wire.extend_from_slice(&parse_ipv4(&item)?.octets());
            }
        }
        IPV6HINT => {
            for item in split_value_list(need(key, value)?)? {
                wire.extend_from_slice(&parse_ipv6(&item)?.octets());
            }
        }
        ECH => base64_decode(need(key, value)?, &mut wire).map_err(|m| m.to_string())?,
        DOHPATH => wire.extend_from_slice(need(key, value)?),
        TLS_SUPPORTED_GROUPS => {
            for item in split_value_list(need(key, value)?)? {
                wire.extend_from_slice(&(parse_number(&item, 65535)? as u16).to_be_bytes());
            }
        }
        _ => wire.extend_from_slice(value.unwrap_or_default()),
    }
    if wire.len() > 65535 {
        return Err("SvcParam value too long".into());
    }
    Ok(wire)
}

/// Iterates (key, value) pairs of the SvcParams part of SVCB rdata.
pub fn params(rdata: &[u8]) -> Option<Vec<(u16, &[u8])>> {
    let mut r = WireReader::new(rdata);
    r.u16()?;
    r.name()?;
    let mut out = Vec::new();
    while !r.done() {
        let key = r.u16()?;
        let len = r.u16()? as usize;
        out.push((key, r.take(len)?));
    }
    Some(out)
}

/// ALPN ids of an alpn value.
pub fn alpn_ids(value: &[u8]) -> Option<Vec<&[u8]>> {
    let mut r = WireReader::new(value);
    let mut ids = Vec::new();
    while !r.done() {
        let len = r.u8()? as usize;
        ids.push(r.take(len)?);
    }
    Some(ids)
}

fn write_value_item(item: &[u8], out: &mut String) {
    for &b in item {
        match b {
            // Escaped once for the list, then each backslash once more for
            // the character-string: `,` is written `\\,` and `\` is `\\\\`.
            b',' => out.push_str("\\\\,"),
            b'\\' => out.push_str("\\\\\\\\"),
            b'"' => out.push_str("\\\""),
            0x21..=0x7e => out.push(b as char),
            _ => super::name::push_decimal_escape(b, out),
        }
    }
}

/// Whether a value is valid for a key after RFC 9460: dohpath (RFC 9461)
/// a non-empty UTF-8 template, ohttp (RFC 9540) nothing, tls-supported-
/// groups a list of 16-bit group numbers. Unknown keys take anything.
fn later_key_value(key: u16, value: &[u8]) -> Result<(), String> {
    let valid = match key {
        DOHPATH => !value.is_empty() && std::str::from_utf8(value).is_ok(),
        OHTTP => value.is_empty(),
        TLS_SUPPORTED_GROUPS => !value.is_empty() && value.len().is_multiple_of(2),
        _ => true,
    };
    if valid {
        Ok(())
    } else {
        Err(format!("syntax error: a malformed {} value", key_name(key)))
    }
}

/// The name a key is written under: RFC 9460's own keys by name, later
/// ones (dohpath, ohttp, tls-supported-groups, …) in the generic `keyN`
/// form with their value as generic octets, since BIND, Knot and ldns do not
/// all know their names yet (Knot 3.2 lacks dohpath, none reads ohttp).
/// Both forms are read.
fn written_key_name(key: u16) -> String {
    if key <= IPV6HINT {
        key_name(key)
    } else {
        format!("key{key}")
    }
}

pub(crate) fn write(r: &mut WireReader<'_>, out: &mut String) -> Option<()> {
    use std::fmt::Write;
    // Keys present, for the mandatory list (which must name only those).
    let present: Vec<u16> = params(r.data)?.iter().map(|(k, _)| *k).collect();
    let _ = write!(out, "{} ", r.u16()?);
    write_labels(r.name()?, out);
    let mut last_key: Option<u16> = None;
    while !r.done() {
        let key = r.u16()?;
        if last_key.is_some_and(|k| k >= key) {
            return None;
        }
        last_key = Some(key);
        let len = r.u16()? as usize;
        let value = r.take(len)?;
        out.push(' ');
        out.push_str(&written_key_name(key));
        let mut v = WireReader::new(value);
        // Keys after RFC 9460 take the generic form's value too, when the
        // value is valid for the key (else the whole rdata is written \#).
        if key > IPV6HINT && later_key_value(key, value).is_err() {
            return None;
        }
        let shown_as = if key <= IPV6HINT { key } else { u16::MAX };
        match shown_as {
            MANDATORY => {
                out.push('=');
                let mut keys = Vec::new();
                let mut last = 0u16;
                while !v.done() {
                    let k = v.u16()?;
                    // Ascending, without itself, each present (RFC 9460 §8).
                    if k <= last || !present.contains(&k) {
                        return None;
                    }
                    last = k;
                    keys.push(written_key_name(k));
                }
                if keys.is_empty() {
                    return None;
                }
                out.push_str(&keys.join(","));
            }
            ALPN => {
                out.push_str("=\"");
                let ids = alpn_ids(value)?;
                if ids.is_empty() || ids.iter().any(|id| id.is_empty()) {
                    return None;
                }
                for (i, id) in ids.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_value_item(id, out);
                }
                out.push('"');
            }
            NO_DEFAULT_ALPN | OHTTP => {
                if !value.is_empty() {
                    return None;
                }
            }
            PORT => {
                let _ = write!(out, "={}", v.u16()?);
                if !v.done() {
                    return None;
                }
            }
            IPV4HINT => {
                if value.is_empty() || value.len() % 4 != 0 {
                    return None;
                }
                let addrs: Vec<String> = value
                    .chunks(4)
                    .map(|c| Ipv4Addr::new(c[0], c[1], c[2], c[3]).to_string())
                    .collect();
                let _ = write!(out, "={}", addrs.join(","));
            }
            IPV6HINT => {
                if value.is_empty() || value.len() % 16 != 0 {
                    return None;
                }
                let addrs: Vec<String> = value
                    .chunks(16)
                    .map(|c| Ipv6Addr::from(<[u8; 16]>::try_from(c).unwrap()).to_string())
                    .collect();
                let _ = write!(out, "={}", addrs.join(","));
            }
            ECH | DOHPATH if value.is_empty() => return None,
            ECH => {
                out.push_str("=\"");
                base64_encode(value, out);
                out.push('"');
            }
            TLS_SUPPORTED_GROUPS => {
                if value.is_empty() || value.len() % 2 != 0 {
                    return None;
                }
                let groups: Vec<String> = value
                    .chunks(2)
                    .map(|c| u16::from_be_bytes([c[0], c[1]]).to_string())
                    .collect();
                let _ = write!(out, "={}", groups.join(","));
            }
            _ => {
                if !value.is_empty() {
                    out.push('=');
                    super::rdata::write_quoted(value, out);
                }
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod generic_key_tests {
    use crate::zone::RType;
    use crate::zone::rdata;

    fn round_trip(wire: &[u8]) -> String {
        let mut text = String::new();
        rdata::write(RType::SVCB, wire, &mut text);
        let outcome = crate::zone::reader::read_bytes(
            "t",
            format!("example. 60 SVCB {text}\n").as_bytes(),
            Default::default(),
        );
        assert!(
            outcome.diagnostics.is_empty(),
            "{text}: {:?}",
            outcome.diagnostics
        );
        assert_eq!(&outcome.records[0].rdata[..], wire, "{text}");
        text
    }

    /// Found by fuzzing: an ohttp (key8) with a value, which the key does
    /// not allow, was written as `key8="…"` and did not read back.
    #[test]
    fn keys_after_rfc9460_round_trip_or_fall_back_to_generic_rdata() {
        let with = |key: u16, value: &[u8]| {
            let mut wire = vec![0, 1, 0];
            wire.extend_from_slice(&key.to_be_bytes());
            wire.extend_from_slice(&(value.len() as u16).to_be_bytes());
            wire.extend_from_slice(value);
            wire
        };
        assert!(round_trip(&with(8, b")\x03!")).starts_with("\\# "));
        assert_eq!(round_trip(&with(8, b"")), "1 . key8");
        assert_eq!(
            round_trip(&with(9, &[0, 29, 0, 23])),
            "1 . key9=\"\\000\\029\\000\\023\""
        );
    }
}
