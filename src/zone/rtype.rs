//! Record types: mnemonics, numbers, and the shape of their rdata.
//!
//! Each type is described as data (a list of field kinds, or a special
//! layout for the few types whose presentation format is irregular), so
//! that one parser and one printer serve every type. Types without an entry
//! are still handled in the generic form of RFC 3597 (`TYPE123 \# 2 abcd`).

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RType(pub u16);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    U8,
    U16,
    U32,
    /// A 32-bit period that may be written with units (`1h30m`), as SOA timers.
    Period,
    Name,
    Ipv4,
    Ipv6,
    CharString,
    /// One or more character-strings up to the end (TXT).
    CharStrings,
    /// An optional trailing character-string (ISDN subaddress).
    OptCharString,
    /// Base64 up to the end; at least one token.
    Base64,
    /// Base64 up to the end, possibly empty.
    Base64Opt,
    /// Hex up to the end; at least one token.
    Hex,
    Type,
    /// NSEC-style type bitmap up to the end (RFC 4034 §4.1.2).
    Bitmap,
    /// RRSIG time: YYYYMMDDHHmmSS or seconds (RFC 4034 §3.2).
    Time,
    Algorithm,
    /// NSEC3 salt: length-prefixed hex, `-` for empty (RFC 5155 §3.3).
    Salt,
    /// NSEC3 next hashed owner: length-prefixed Base32hex.
    Base32Hash,
    Eui48,
    Eui64,
    /// Four 16-bit hex groups (L64, NID; RFC 6742).
    Ilnp64,
    /// The rest as one string without length octet (CAA value, URI target).
    StringRest,
    /// CAA property tag: length-prefixed alphanumerics (RFC 8659 §4.1).
    CaaTag,
    /// CERT type mnemonic or number (RFC 4398 §2.1).
    CertType,
    /// DSYNC scheme mnemonic or number.
    DsyncScheme,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    Fields(&'static [Field]),
    Loc,
    Svcb,
    Apl,
    Wks,
    IpsecKey,
    AmtRelay,
    Hip,
    Nsap,
    A6,
    Atma,
    Gpos,
    Nxt,
    Doa,
    /// Only the RFC 3597 generic form is accepted (NULL and unknown types).
    Generic,
    /// Query-only or transaction types that cannot appear in a zone.
    Meta,
}

pub struct TypeInfo {
    pub code: u16,
    pub name: &'static str,
    pub layout: Layout,
}

use Field::*;

macro_rules! t {
    ($code:expr, $name:expr, [$($f:expr),*]) => { TypeInfo { code: $code, name: $name, layout: Layout::Fields(&[$($f),*]) } };
    ($code:expr, $name:expr, $layout:expr) => { TypeInfo { code: $code, name: $name, layout: $layout } };
}

static TYPES: &[TypeInfo] = &[
    t!(1, "A", [Ipv4]),
    t!(2, "NS", [Name]),
    t!(3, "MD", [Name]),
    t!(4, "MF", [Name]),
    t!(5, "CNAME", [Name]),
    t!(6, "SOA", [Name, Name, U32, Period, Period, Period, Period]),
    t!(7, "MB", [Name]),
    t!(8, "MG", [Name]),
    t!(9, "MR", [Name]),
    t!(10, "NULL", Layout::Generic),
    t!(11, "WKS", Layout::Wks),
    t!(12, "PTR", [Name]),
    t!(13, "HINFO", [CharString, CharString]),
    t!(14, "MINFO", [Name, Name]),
    t!(15, "MX", [U16, Name]),
    t!(16, "TXT", [CharStrings]),
    t!(17, "RP", [Name, Name]),
    t!(18, "AFSDB", [U16, Name]),
    t!(19, "X25", [CharString]),
    t!(20, "ISDN", [CharString, OptCharString]),
    t!(21, "RT", [U16, Name]),
    t!(22, "NSAP", Layout::Nsap),
    t!(23, "NSAP-PTR", [Name]),
    t!(
        24,
        "SIG",
        [Type, Algorithm, U8, U32, Time, Time, U16, Name, Base64]
    ),
    t!(25, "KEY", [U16, U8, Algorithm, Base64Opt]),
    t!(26, "PX", [U16, Name, Name]),
    t!(27, "GPOS", Layout::Gpos),
    t!(28, "AAAA", [Ipv6]),
    t!(29, "LOC", Layout::Loc),
    t!(30, "NXT", Layout::Nxt),
    t!(31, "EID", [Hex]),
    t!(32, "NIMLOC", [Hex]),
    t!(33, "SRV", [U16, U16, U16, Name]),
    t!(34, "ATMA", Layout::Atma),
    t!(
        35,
        "NAPTR",
        [U16, U16, CharString, CharString, CharString, Name]
    ),
    t!(36, "KX", [U16, Name]),
    t!(37, "CERT", [CertType, U16, Algorithm, Base64]),
    t!(38, "A6", Layout::A6),
    t!(39, "DNAME", [Name]),
    t!(40, "SINK", [U8, U8, U8, Base64Opt]),
    t!(41, "OPT", Layout::Meta),
    t!(42, "APL", Layout::Apl),
    t!(43, "DS", [U16, Algorithm, U8, Hex]),
    t!(44, "SSHFP", [U8, U8, Hex]),
    t!(45, "IPSECKEY", Layout::IpsecKey),
    t!(
        46,
        "RRSIG",
        [Type, Algorithm, U8, U32, Time, Time, U16, Name, Base64]
    ),
    t!(47, "NSEC", [Name, Bitmap]),
    t!(48, "DNSKEY", [U16, U8, Algorithm, Base64]),
    t!(49, "DHCID", [Base64]),
    t!(50, "NSEC3", [U8, U8, U16, Salt, Base32Hash, Bitmap]),
    t!(51, "NSEC3PARAM", [U8, U8, U16, Salt]),
    t!(52, "TLSA", [U8, U8, U8, Hex]),
    t!(53, "SMIMEA", [U8, U8, U8, Hex]),
    t!(55, "HIP", Layout::Hip),
    t!(56, "NINFO", [CharStrings]),
    t!(57, "RKEY", [U16, U8, Algorithm, Base64]),
    t!(58, "TALINK", [Name, Name]),
    t!(59, "CDS", [U16, Algorithm, U8, Hex]),
    t!(60, "CDNSKEY", [U16, U8, Algorithm, Base64]),
    t!(61, "OPENPGPKEY", [Base64]),
    t!(62, "CSYNC", [U32, U16, Bitmap]),
    t!(63, "ZONEMD", [U32, U8, U8, Hex]),
    t!(64, "SVCB", Layout::Svcb),
    t!(65, "HTTPS", Layout::Svcb),
    t!(66, "DSYNC", [Type, DsyncScheme, U16, Name]),
    t!(67, "HHIT", [Base64]),
    t!(68, "BRID", [Base64]),
    t!(99, "SPF", [CharStrings]),
    t!(100, "UINFO", [CharString]),
    t!(101, "UID", [U32]),
    t!(102, "GID", [U32]),
    t!(103, "UNSPEC", Layout::Generic),
    t!(104, "NID", [U16, Ilnp64]),
    t!(105, "L32", [U16, Ipv4]),
    t!(106, "L64", [U16, Ilnp64]),
    t!(107, "LP", [U16, Name]),
    t!(108, "EUI48", [Eui48]),
    t!(109, "EUI64", [Eui64]),
    t!(249, "TKEY", Layout::Meta),
    t!(250, "TSIG", Layout::Meta),
    t!(251, "IXFR", Layout::Meta),
    t!(252, "AXFR", Layout::Meta),
    t!(253, "MAILB", Layout::Meta),
    t!(254, "MAILA", Layout::Meta),
    t!(255, "ANY", Layout::Meta),
    t!(256, "URI", [U16, U16, StringRest]),
    t!(257, "CAA", [U8, CaaTag, StringRest]),
    t!(258, "AVC", [CharStrings]),
    t!(259, "DOA", Layout::Doa),
    t!(260, "AMTRELAY", Layout::AmtRelay),
    t!(261, "RESINFO", [CharStrings]),
    t!(262, "WALLET", [CharStrings]),
    t!(32768, "TA", [U16, Algorithm, U8, Hex]),
    t!(32769, "DLV", [U16, Algorithm, U8, Hex]),
];

/// Type information by number: a direct table for the numbers below 512,
/// a search of the few above.
fn lookup_code(code: u16) -> Option<&'static TypeInfo> {
    static TABLE: OnceLock<Vec<Option<&'static TypeInfo>>> = OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut table = vec![None; 512];
        for t in TYPES.iter().filter(|t| t.code < 512) {
            table[t.code as usize] = Some(t);
        }
        table
    });
    match table.get(code as usize) {
        Some(entry) => *entry,
        None => TYPES.iter().find(|t| t.code == code),
    }
}

fn by_name() -> &'static HashMap<&'static str, &'static TypeInfo> {
    static MAP: OnceLock<HashMap<&'static str, &'static TypeInfo>> = OnceLock::new();
    MAP.get_or_init(|| TYPES.iter().map(|t| (t.name, t)).collect())
}

impl RType {
    pub const A: RType = RType(1);
    pub const NS: RType = RType(2);
    pub const CNAME: RType = RType(5);
    pub const SOA: RType = RType(6);
    pub const PTR: RType = RType(12);
    pub const MX: RType = RType(15);
    pub const TXT: RType = RType(16);
    pub const SIG: RType = RType(24);
    pub const KEY: RType = RType(25);
    pub const AAAA: RType = RType(28);
    pub const NXT: RType = RType(30);
    pub const SRV: RType = RType(33);
    pub const DNAME: RType = RType(39);
    pub const DS: RType = RType(43);
    pub const RRSIG: RType = RType(46);
    pub const NSEC: RType = RType(47);
    pub const DNSKEY: RType = RType(48);
    pub const NSEC3: RType = RType(50);
    pub const NSEC3PARAM: RType = RType(51);
    pub const CDS: RType = RType(59);
    pub const CDNSKEY: RType = RType(60);
    pub const ZONEMD: RType = RType(63);
    pub const SVCB: RType = RType(64);
    pub const HTTPS: RType = RType(65);
    pub const SPF: RType = RType(99);
    pub const OPT: RType = RType(41);
    pub const TSIG: RType = RType(250);
    pub const IXFR: RType = RType(251);
    pub const AXFR: RType = RType(252);
    pub const ANY: RType = RType(255);

    pub fn info(self) -> Option<&'static TypeInfo> {
        lookup_code(self.0)
    }

    /// Parses a mnemonic (case-insensitive) or the RFC 3597 `TYPEnnn` form.
    pub fn from_text(text: &[u8]) -> Option<RType> {
        if text.len() > 16 {
            return None;
        }
        let mut upper = [0u8; 16];
        for (dst, src) in upper.iter_mut().zip(text) {
            *dst = src.to_ascii_uppercase();
        }
        let upper = &upper[..text.len()];
        // The common types without a map lookup.
        let common = match upper {
            b"A" => Some(1),
            b"NS" => Some(2),
            b"CNAME" => Some(5),
            b"SOA" => Some(6),
            b"PTR" => Some(12),
            b"MX" => Some(15),
            b"TXT" => Some(16),
            b"AAAA" => Some(28),
            b"SRV" => Some(33),
            b"DS" => Some(43),
            b"RRSIG" => Some(46),
            b"NSEC" => Some(47),
            b"DNSKEY" => Some(48),
            b"NSEC3" => Some(50),
            _ => None,
        };
        if let Some(code) = common {
            return Some(RType(code));
        }
        let upper = std::str::from_utf8(upper).ok()?;
        if let Some(info) = by_name().get(upper) {
            return Some(RType(info.code));
        }
        let digits = upper.strip_prefix("TYPE")?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse::<u16>().ok().map(RType)
    }

    pub fn layout(self) -> Layout {
        self.info().map_or(Layout::Generic, |i| i.layout)
    }

    /// Meta and query types (RFC 6895 §3.1) cannot be stored in a zone.
    pub fn is_meta(self) -> bool {
        self.layout() == Layout::Meta || (128..=255).contains(&self.0)
    }

    /// Types that may share an owner with a CNAME (RFC 2181 §10.1, RFC 4035 §2.5;
    /// SIG and NXT for zones of the RFC 2535 era).
    pub fn may_coexist_with_cname(self) -> bool {
        matches!(self, RType::RRSIG | RType::NSEC | RType::SIG | RType::NXT)
    }

    /// DNSSEC records added by signing rather than written by the operator.
    pub fn is_dnssec_meta(self) -> bool {
        matches!(
            self,
            RType::RRSIG | RType::NSEC | RType::NSEC3 | RType::SIG | RType::NXT
        )
    }
}

impl fmt::Display for RType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.info() {
            Some(info) => f.write_str(info.name),
            None => write!(f, "TYPE{}", self.0),
        }
    }
}

impl fmt::Debug for RType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// DNSSEC algorithm mnemonics (IANA "DNS Security Algorithm Numbers").
pub const ALGORITHMS: &[(u8, &str)] = &[
    (1, "RSAMD5"),
    (2, "DH"),
    (3, "DSA"),
    (5, "RSASHA1"),
    (6, "DSA-NSEC3-SHA1"),
    (7, "RSASHA1-NSEC3-SHA1"),
    (8, "RSASHA256"),
    (10, "RSASHA512"),
    (12, "ECC-GOST"),
    (13, "ECDSAP256SHA256"),
    (14, "ECDSAP384SHA384"),
    (15, "ED25519"),
    (16, "ED448"),
    (252, "INDIRECT"),
    (253, "PRIVATEDNS"),
    (254, "PRIVATEOID"),
];

pub fn algorithm_name(number: u8) -> Option<&'static str> {
    ALGORITHMS
        .iter()
        .find(|(n, _)| *n == number)
        .map(|(_, name)| *name)
}

/// Record classes (RFC 1035 §3.2.4, RFC 2136 for NONE/ANY).
pub fn class_from_text(text: &[u8]) -> Option<u16> {
    if text.len() == 2 {
        return [(b"IN", 1), (b"CS", 2), (b"CH", 3), (b"HS", 4)]
            .iter()
            .find(|(name, _)| text.eq_ignore_ascii_case(*name))
            .map(|(_, c)| *c);
    }
    if text.len() < 6 || !text[..5].eq_ignore_ascii_case(b"CLASS") {
        return None;
    }
    let digits = &text[5..];
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

pub fn class_name(class: u16) -> String {
    match class {
        1 => "IN".into(),
        2 => "CS".into(),
        3 => "CH".into(),
        4 => "HS".into(),
        other => format!("CLASS{other}"),
    }
}

pub fn all_types() -> impl Iterator<Item = &'static TypeInfo> {
    TYPES.iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mnemonics_and_generic_form() {
        assert_eq!(RType::from_text(b"aaaa"), Some(RType::AAAA));
        assert_eq!(RType::from_text(b"NSAP-PTR"), Some(RType(23)));
        assert_eq!(RType::from_text(b"TYPE65534"), Some(RType(65534)));
        assert_eq!(RType::from_text(b"TYPE65536"), None);
        assert_eq!(RType::from_text(b"BOGUS"), None);
        assert_eq!(RType(65534).to_string(), "TYPE65534");
    }

    #[test]
    fn table_agrees_with_hickory_numbers() {
        use hickory_proto::rr::RecordType;
        for info in all_types() {
            let theirs = RecordType::from(info.code);
            if let RecordType::Unknown(_) = theirs {
                continue;
            }
            assert_eq!(u16::from(theirs), info.code, "{}", info.name);
            if !matches!(info.name, "NSAP-PTR") {
                assert_eq!(
                    theirs.to_string().to_ascii_uppercase(),
                    info.name,
                    "type {}",
                    info.code
                );
            }
        }
    }
}
