//! Checking rdata in wire form against its type (RFC 3597 §5).
//!
//! Rdata reaches a zone three ways: typed presentation text (the parser
//! builds the wire form, so it is well formed by construction), the generic
//! `\# length hex` form, and DNS messages (AXFR, IXFR). RFC 3597 §5 says
//! that generic rdata of a known type must be exactly that type's wire form;
//! BIND and Knot refuse it otherwise, and so do we — at the reader with the
//! position, and on receipt of a transfer with the record named. Everything
//! downstream (check, sign, verify, ds, serve) may then rely on each field
//! being there: a SOA has its twenty octets of timers, a DNSKEY its four
//! octets of flags, protocol and algorithm, and so on.

use super::name::wire_name_len;
use super::rdata::read_type_bitmap;
use super::rtype::{Field, Layout, RType};

/// Checks that `rdata` is a well-formed wire encoding of `rtype`. The error
/// says what is wrong, in words (no data is quoted).
pub fn validate_rdata(rtype: RType, rdata: &[u8]) -> Result<(), String> {
    if rdata.len() > 65535 {
        return Err("rdata longer than 65535 octets".into());
    }
    let mut r = Fields {
        data: rdata,
        pos: 0,
        rtype,
    };
    match rtype.layout() {
        Layout::Generic => return Ok(()),
        Layout::Meta => return Err(format!("{rtype} is a meta type and cannot be zone data")),
        Layout::Fields(fields) => {
            for &field in fields {
                r.field(field)?;
            }
        }
        Layout::Loc => {
            let version = r.u8("version")?;
            if version != 0 {
                return Err(format!("LOC version {version} is not defined (RFC 1876)"));
            }
            r.take(15, "size, precisions and position")?;
        }
        Layout::Svcb => {
            r.take(2, "priority")?;
            r.name("target")?;
            let mut previous: Option<u16> = None;
            while !r.done() {
                let key = u16::from_be_bytes(r.take(2, "SvcParamKey")?.try_into().unwrap());
                if previous.is_some_and(|p| p >= key) {
                    return Err(format!(
                        "SvcParamKeys out of order or repeated at key{key} (RFC 9460 §2.2)"
                    ));
                }
                previous = Some(key);
                let len =
                    u16::from_be_bytes(r.take(2, "SvcParamValue length")?.try_into().unwrap());
                let value = r.take(len as usize, "SvcParamValue")?;
                svcb_value(key, value)?;
            }
        }
        Layout::Apl => {
            while !r.done() {
                let family = u16::from_be_bytes(r.take(2, "address family")?.try_into().unwrap());
                let prefix = r.u8("prefix")?;
                let afd_len = (r.u8("address length")? & 0x7f) as usize;
                let (max_len, max_prefix) = match family {
                    1 => (4, 32),
                    2 => (16, 128),
                    _ => (127, 255),
                };
                if afd_len > max_len || prefix > max_prefix {
                    return Err(format!("APL item of family {family} is too long"));
                }
                r.take(afd_len, "address")?;
            }
        }
        Layout::Wks => {
            r.take(4, "address")?;
            r.u8("protocol")?;
            r.rest();
        }
        Layout::IpsecKey => {
            r.u8("precedence")?;
            let gateway_type = r.u8("gateway type")?;
            r.u8("algorithm")?;
            r.gateway(gateway_type)?;
            r.rest();
        }
        Layout::AmtRelay => {
            r.u8("precedence")?;
            let relay_type = r.u8("relay type")? & 0x7f;
            r.gateway(relay_type)?;
        }
        Layout::Hip => {
            let hit_len = r.u8("HIT length")? as usize;
            r.u8("public key algorithm")?;
            let key_len =
                u16::from_be_bytes(r.take(2, "public key length")?.try_into().unwrap()) as usize;
            if hit_len == 0 || key_len == 0 {
                return Err("HIP record with an empty HIT or public key (RFC 8005 §5)".into());
            }
            r.take(hit_len, "HIT")?;
            r.take(key_len, "public key")?;
            while !r.done() {
                r.name("rendezvous server")?;
            }
        }
        Layout::Nsap => {
            if rdata.is_empty() {
                return Err("NSAP record with no address".into());
            }
            r.rest();
        }
        Layout::A6 => {
            let prefix = r.u8("prefix length")?;
            if prefix > 128 {
                return Err(format!("A6 prefix length {prefix} is over 128 (RFC 2874)"));
            }
            r.take((128 - prefix as usize).div_ceil(8), "address suffix")?;
            if prefix > 0 {
                r.name("prefix name")?;
            }
        }
        Layout::Atma => {
            r.u8("format")?;
            if r.done() {
                return Err("ATMA record with no address".into());
            }
            r.rest();
        }
        Layout::Gpos => {
            for what in ["longitude", "latitude", "altitude"] {
                r.character_string(what)?;
            }
        }
        Layout::Nxt => {
            r.name("next name")?;
            r.rest();
        }
        Layout::Doa => {
            r.take(4, "enterprise")?;
            r.take(4, "type")?;
            r.u8("location")?;
            r.character_string("media type")?;
            r.rest();
        }
    }
    if !r.done() {
        return Err(format!(
            "{rtype} rdata has {} octets after its last field",
            rdata.len() - r.pos
        ));
    }
    type_rules(rtype, rdata)
}

/// Rules beyond the field structure that make a record of a type invalid
/// (not merely questionable: those are findings of `check`).
fn type_rules(rtype: RType, rdata: &[u8]) -> Result<(), String> {
    if rtype == RType::ZONEMD {
        // Serial (4), scheme (1), hash algorithm (1), digest.
        let digest = rdata.len() - 6;
        if digest < 12 {
            return Err(format!(
                "ZONEMD digest of {digest} octets: at least 12 are required (RFC 8976 §2.2.4)"
            ));
        }
        if rdata[5] == 1 && digest != 48 {
            return Err(format!(
                "ZONEMD SHA-384 digest of {digest} octets: it is 48 (RFC 8976 §2.2.4)"
            ));
        }
        if rdata[5] == 2 && digest != 64 {
            return Err(format!(
                "ZONEMD SHA-512 digest of {digest} octets: it is 64 (RFC 8976 §2.2.4)"
            ));
        }
    }
    Ok(())
}

/// Whether `value` is well formed for an RFC 9460 SvcParamKey (§7); later
/// keys take anything here, as peers that do not know them do.
fn svcb_value(key: u16, value: &[u8]) -> Result<(), String> {
    let bad = |what: &str| {
        Err(format!(
            "SVCB key{key} ({what}) value is malformed (RFC 9460 §7)"
        ))
    };
    match key {
        // mandatory: a non-empty list of keys.
        0 if value.is_empty() || !value.len().is_multiple_of(2) => bad("mandatory"),
        // alpn: a non-empty list of non-empty length-prefixed ids.
        1 => {
            let mut rest = value;
            if rest.is_empty() {
                return bad("alpn");
            }
            while let Some((&len, tail)) = rest.split_first() {
                if len == 0 || tail.len() < len as usize {
                    return bad("alpn");
                }
                rest = &tail[len as usize..];
            }
            Ok(())
        }
        2 if !value.is_empty() => bad("no-default-alpn"),
        3 if value.len() != 2 => bad("port"),
        4 if value.is_empty() || !value.len().is_multiple_of(4) => bad("ipv4hint"),
        6 if value.is_empty() || !value.len().is_multiple_of(16) => bad("ipv6hint"),
        _ => Ok(()),
    }
}

struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
    rtype: RType,
}

impl<'a> Fields<'a> {
    fn short(&self, what: &str) -> String {
        format!(
            "{} rdata of {} octets ends before its {what}",
            self.rtype,
            self.data.len()
        )
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        let slice = self
            .data
            .get(self.pos..self.pos + n)
            .ok_or_else(|| self.short(what))?;
        self.pos += n;
        Ok(slice)
    }

    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    fn rest(&mut self) -> &'a [u8] {
        let rest = &self.data[self.pos..];
        self.pos = self.data.len();
        rest
    }

    fn done(&self) -> bool {
        self.pos == self.data.len()
    }

    fn name(&mut self, what: &str) -> Result<(), String> {
        if self.done() {
            return Err(self.short(what));
        }
        let len = wire_name_len(&self.data[self.pos..]).ok_or_else(|| {
            format!(
                "{} rdata: the {what} is not a valid uncompressed domain name",
                self.rtype
            )
        })?;
        self.pos += len;
        Ok(())
    }

    fn character_string(&mut self, what: &str) -> Result<(), String> {
        let len = self.u8(what)? as usize;
        self.take(len, what)?;
        Ok(())
    }

    fn gateway(&mut self, kind: u8) -> Result<(), String> {
        match kind {
            0 => Ok(()),
            1 => self.take(4, "IPv4 gateway").map(drop),
            2 => self.take(16, "IPv6 gateway").map(drop),
            3 => self.name("gateway"),
            other => Err(format!(
                "{} gateway type {other} is not defined",
                self.rtype
            )),
        }
    }

    fn field(&mut self, field: Field) -> Result<(), String> {
        match field {
            Field::U8 | Field::Algorithm | Field::DsyncScheme => self.take(1, "octet field"),
            Field::U16 | Field::Type | Field::CertType => self.take(2, "16-bit field"),
            Field::U32 | Field::Period | Field::Time => self.take(4, "32-bit field"),
            Field::Ipv4 => self.take(4, "IPv4 address"),
            Field::Ipv6 => self.take(16, "IPv6 address"),
            Field::Eui48 => self.take(6, "EUI-48 address"),
            Field::Eui64 | Field::Ilnp64 => self.take(8, "64-bit identifier"),
            Field::Name => return self.name("domain name"),
            Field::CharString => return self.character_string("character-string"),
            Field::OptCharString => {
                if !self.done() {
                    self.character_string("character-string")?;
                }
                return Ok(());
            }
            Field::CharStrings => {
                if self.done() {
                    return Err(self.short("first character-string"));
                }
                while !self.done() {
                    self.character_string("character-string")?;
                }
                return Ok(());
            }
            Field::Base64 | Field::Hex => {
                if self.done() {
                    return Err(self.short("data"));
                }
                Ok(self.rest())
            }
            Field::Base64Opt | Field::StringRest => Ok(self.rest()),
            Field::Bitmap => {
                let bitmap = self.rest();
                if read_type_bitmap(bitmap).is_none() {
                    return Err(format!(
                        "{} type bitmap is malformed (RFC 4034 §4.1.2: windows in order, 1 to 32 octets each)",
                        self.rtype
                    ));
                }
                return Ok(());
            }
            Field::Salt => {
                let len = self.u8("salt length")? as usize;
                self.take(len, "salt")
            }
            Field::Base32Hash => {
                let len = self.u8("hash length")? as usize;
                if len == 0 {
                    return Err(format!("{} next hashed owner name is empty", self.rtype));
                }
                self.take(len, "next hashed owner name")
            }
            Field::CaaTag => {
                let len = self.u8("tag length")? as usize;
                let tag = self.take(len, "tag")?;
                if tag.is_empty() || !tag.iter().all(u8::is_ascii_alphanumeric) {
                    return Err("CAA tag must be one or more letters and digits (RFC 8659 §4.1)".into());
                }
                Ok(tag)
            }
        }
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> RType {
        RType::from_text(name.as_bytes()).unwrap()
    }

    #[test]
    fn rfc3597_5_known_types_must_match_their_wire_form() {
        assert!(validate_rdata(t("SOA"), &[]).is_err());
        assert!(validate_rdata(t("CDS"), &[0]).is_err());
        assert!(validate_rdata(t("DNSKEY"), &[1]).is_err());
        assert!(validate_rdata(t("RRSIG"), &[0]).is_err());
        assert!(validate_rdata(t("A"), &[1, 2, 3]).is_err());
        assert!(validate_rdata(t("A"), &[1, 2, 3, 4, 5]).is_err());
        assert!(validate_rdata(t("A"), &[1, 2, 3, 4]).is_ok());
        assert!(validate_rdata(t("TXT"), &[5, b'a']).is_err());
        assert!(validate_rdata(t("TXT"), &[1, b'a']).is_ok());
        assert!(validate_rdata(t("TXT"), &[]).is_err());
        assert!(validate_rdata(t("MX"), &[0, 10, 0]).is_ok());
        assert!(validate_rdata(t("MX"), &[0, 10, 3, b'a']).is_err());
        assert!(validate_rdata(t("NULL"), &[]).is_ok());
        assert!(validate_rdata(RType(65000), &[1, 2]).is_ok());
        assert!(validate_rdata(t("DNSKEY"), &[1, 1, 3, 13, 9]).is_ok());
        assert!(validate_rdata(t("DNSKEY"), &[1, 1, 3, 13]).is_err());
    }

    #[test]
    fn rfc8976_2_2_4_zonemd_digest_lengths() {
        let zonemd = |alg: u8, len: usize| {
            let mut rdata = vec![0, 0, 0, 1, 1, alg];
            rdata.resize(6 + len, 0xab);
            validate_rdata(t("ZONEMD"), &rdata)
        };
        assert!(zonemd(1, 48).is_ok());
        assert!(zonemd(1, 47).is_err());
        assert!(zonemd(240, 11).is_err());
        assert!(zonemd(240, 12).is_ok());
    }

    #[test]
    fn rfc9460_2_2_svcb_keys_in_order() {
        let mut rdata = vec![0, 1, 0];
        rdata.extend_from_slice(&[0, 3, 0, 2, 1, 187]);
        rdata.extend_from_slice(&[0, 1, 0, 3, 2, b'h', b'2']);
        assert!(validate_rdata(t("HTTPS"), &rdata).is_err());
        let mut ok = vec![0, 1, 0];
        ok.extend_from_slice(&[0, 1, 0, 3, 2, b'h', b'2']);
        ok.extend_from_slice(&[0, 3, 0, 2, 1, 187]);
        assert!(validate_rdata(t("HTTPS"), &ok).is_ok());
    }
}
