//! TSIG, secret-key transaction signatures (RFC 8945): keys and where they
//! come from, signing requests and responses, and verifying both, including
//! the multi-message form zone transfers use.
//!
//! HMAC-SHA1/256/384/512 run on ring; ring has neither MD5 nor SHA-224, so
//! those two use the RustCrypto `hmac` construction. Secrets never leave
//! this module except through [`Key::bind_text`] and [`Key::knot_text`],
//! and `Debug` on a key prints no secret.

use std::fmt;
use std::path::Path;

use hmac::{KeyInit, Mac as _};
use thiserror::Error;

use crate::wire::{self, CLASS_ANY};
use crate::zone::encoding::{base64_decode, base64_encode};
use crate::zone::{Name, RType};

pub const TSIG: RType = RType::TSIG;
/// The fudge BIND, Knot and NSD use: five minutes either way.
pub const DEFAULT_FUDGE: u16 = 300;
/// RFC 8945 §5.3.1: at most 99 unsigned messages between signed ones.
pub const MAX_UNSIGNED_RUN: usize = 99;

/// TSIG error codes carried in the TSIG record (RFC 8945 §3).
pub mod error {
    pub const BADSIG: u16 = 16;
    pub const BADKEY: u16 = 17;
    pub const BADTIME: u16 = 18;
    pub const BADTRUNC: u16 = 22;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    HmacMd5,
    HmacSha1,
    HmacSha224,
    HmacSha256,
    HmacSha384,
    HmacSha512,
}

impl Algorithm {
    pub const ALL: [Algorithm; 6] = [
        Algorithm::HmacMd5,
        Algorithm::HmacSha1,
        Algorithm::HmacSha224,
        Algorithm::HmacSha256,
        Algorithm::HmacSha384,
        Algorithm::HmacSha512,
    ];

    /// The name in configuration files (`hmac-sha256`).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::HmacMd5 => "hmac-md5",
            Algorithm::HmacSha1 => "hmac-sha1",
            Algorithm::HmacSha224 => "hmac-sha224",
            Algorithm::HmacSha256 => "hmac-sha256",
            Algorithm::HmacSha384 => "hmac-sha384",
            Algorithm::HmacSha512 => "hmac-sha512",
        }
    }

    /// The algorithm's domain name on the wire (RFC 8945 §6).
    pub fn wire_name(self) -> &'static [u8] {
        match self {
            Algorithm::HmacMd5 => b"\x08hmac-md5\x07sig-alg\x03reg\x03int\x00",
            Algorithm::HmacSha1 => b"\x09hmac-sha1\x00",
            Algorithm::HmacSha224 => b"\x0bhmac-sha224\x00",
            Algorithm::HmacSha256 => b"\x0bhmac-sha256\x00",
            Algorithm::HmacSha384 => b"\x0bhmac-sha384\x00",
            Algorithm::HmacSha512 => b"\x0bhmac-sha512\x00",
        }
    }

    pub fn from_name(text: &str) -> Option<Algorithm> {
        let text = text.trim_end_matches('.').to_ascii_lowercase();
        let text = text.strip_suffix(".sig-alg.reg.int").unwrap_or(&text);
        Algorithm::ALL.into_iter().find(|a| a.name() == text)
    }

    fn from_wire_name(wire: &[u8]) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.wire_name().eq_ignore_ascii_case(wire))
    }

    pub fn output_len(self) -> usize {
        match self {
            Algorithm::HmacMd5 => 16,
            Algorithm::HmacSha1 => 20,
            Algorithm::HmacSha224 => 28,
            Algorithm::HmacSha256 => 32,
            Algorithm::HmacSha384 => 48,
            Algorithm::HmacSha512 => 64,
        }
    }

    /// Shortest MAC RFC 8945 §5.2.2.1 accepts: half the output, and no
    /// less than 10 octets.
    pub fn min_mac_len(self) -> usize {
        (self.output_len() / 2).max(10)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TsigError {
    #[error("unknown TSIG algorithm \"{0}\"")]
    UnknownAlgorithm(String),
    #[error("TSIG secret is not valid base64")]
    BadSecret,
    #[error("the TSIG secret is empty")]
    EmptySecret,
    #[error("TSIG key name \"{0}\" is not a valid domain name")]
    BadKeyName(String),
    #[error(
        "bad TSIG key specification: expected [ALGORITHM:]NAME:SECRET or NAME:ALGORITHM:SECRET"
    )]
    BadSpec,
    #[error("TSIG truncation to {bits} bits is not allowed for {algorithm}")]
    BadTruncation { algorithm: Algorithm, bits: usize },
    #[error("{file}: {message}")]
    KeyFile { file: String, message: String },
    #[error("malformed TSIG record")]
    Malformed,
    #[error("TSIG record is not the last record of the message")]
    NotLast,
    #[error("the response is not signed, though the request was (the server may not know key {0})")]
    Unsigned(String),
    #[error("more than {MAX_UNSIGNED_RUN} unsigned messages in a row in a signed transfer")]
    TooManyUnsigned,
    #[error("the last message of the transfer is not signed")]
    LastUnsigned,
    #[error("the response is signed with key {got}, not {expected}")]
    WrongKey { expected: String, got: String },
    #[error("the response is signed with algorithm {got}, not {expected}")]
    WrongAlgorithm { expected: Algorithm, got: String },
    #[error("TSIG signature of the response does not verify (wrong secret?)")]
    BadSignature,
    #[error("TSIG MAC of {got} octets is shorter than allowed ({min})")]
    BadTruncated { got: usize, min: usize },
    #[error(
        "TSIG time of the response is off by {skew} s, beyond the fudge of {fudge} s (check the clocks)"
    )]
    BadTime { skew: i64, fudge: u16 },
    #[error(
        "the server rejected the TSIG key {key} (BADKEY): it does not know the key or its algorithm"
    )]
    ServerBadKey { key: String },
    #[error(
        "the server rejected the TSIG signature (BADSIG): the secret differs from the server's"
    )]
    ServerBadSig,
    #[error(
        "the server rejected the TSIG time (BADTIME): our clock is off by {skew} s from the server's{fudge_note}"
    )]
    ServerBadTime { skew: i64, fudge_note: String },
    #[error("the server rejected the TSIG MAC length (BADTRUNC)")]
    ServerBadTrunc,
    #[error("the server answered with TSIG error {0}")]
    ServerOther(String),
}

type Result<T> = std::result::Result<T, TsigError>;

/// A TSIG key. The secret stays private to this module.
#[derive(Clone)]
pub struct Key {
    /// Lowercased: the canonical form RFC 8945 §4.3.3 signs.
    pub name: Name,
    pub algorithm: Algorithm,
    secret: Vec<u8>,
    /// MAC octets sent: the full output, or fewer when the key is truncated
    /// (`hmac-sha256-128`, as BIND writes it).
    pub mac_len: usize,
}

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Key")
            .field("name", &self.name.to_string())
            .field("algorithm", &self.algorithm)
            .field("mac_len", &self.mac_len)
            .finish_non_exhaustive()
    }
}

fn parse_key_name(text: &str) -> Result<Name> {
    let text = text.trim();
    let absolute = if text.ends_with('.') {
        text.to_string()
    } else {
        format!("{text}.")
    };
    Name::parse(absolute.as_bytes(), None)
        .map(|n| n.to_lowercase())
        .map_err(|_| TsigError::BadKeyName(text.to_string()))
}

/// `hmac-sha256` or the truncated form `hmac-sha256-128` (bits).
fn parse_algorithm(text: &str) -> Result<(Algorithm, usize)> {
    if let Some(algorithm) = Algorithm::from_name(text) {
        return Ok((algorithm, algorithm.output_len()));
    }
    let unknown = || TsigError::UnknownAlgorithm(text.to_string());
    let (base, bits) = text.rsplit_once('-').ok_or_else(unknown)?;
    let algorithm = Algorithm::from_name(base).ok_or_else(unknown)?;
    let bits: usize = bits.parse().map_err(|_| unknown())?;
    if !bits.is_multiple_of(8)
        || bits > algorithm.output_len() * 8
        || bits / 8 < algorithm.min_mac_len()
    {
        return Err(TsigError::BadTruncation { algorithm, bits });
    }
    Ok((algorithm, bits / 8))
}

impl Key {
    pub fn new(name: &str, algorithm: &str, secret_base64: &str) -> Result<Key> {
        let (algorithm, mac_len) = parse_algorithm(algorithm)?;
        let mut secret = Vec::new();
        base64_decode(secret_base64.trim().as_bytes(), &mut secret)
            .map_err(|_| TsigError::BadSecret)?;
        // An empty secret would make every MAC a public constant.
        if secret.is_empty() {
            return Err(TsigError::EmptySecret);
        }
        Ok(Key {
            name: parse_key_name(name)?,
            algorithm,
            secret,
            mac_len,
        })
    }

    /// `[ALGORITHM:]NAME:SECRET` (dig's `-y`; HMAC-MD5 by default there,
    /// HMAC-SHA256 here) or `NAME:ALGORITHM:SECRET`.
    pub fn parse_spec(spec: &str) -> Result<Key> {
        let parts: Vec<&str> = spec.split(':').collect();
        match parts[..] {
            [name, secret] => Key::new(name, "hmac-sha256", secret),
            [first, second, secret] => {
                if parse_algorithm(first).is_ok() {
                    Key::new(second, first, secret)
                } else if parse_algorithm(second).is_ok() {
                    Key::new(first, second, secret)
                } else {
                    Err(TsigError::UnknownAlgorithm(format!(
                        "{first}\" or \"{second}"
                    )))
                }
            }
            _ => Err(TsigError::BadSpec),
        }
    }

    /// A new key with a random secret as long as the hash output (what
    /// `tsig-keygen` and `keymgr -t` make).
    pub fn generate(name: &str, algorithm: Algorithm) -> Result<Key> {
        let mut secret = vec![0u8; algorithm.output_len()];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret)
            .expect("system random source");
        Ok(Key {
            name: parse_key_name(name)?,
            algorithm,
            secret,
            mac_len: algorithm.output_len(),
        })
    }

    fn algorithm_text(&self) -> String {
        if self.mac_len == self.algorithm.output_len() {
            self.algorithm.name().to_string()
        } else {
            format!("{}-{}", self.algorithm.name(), self.mac_len * 8)
        }
    }

    fn secret_base64(&self) -> String {
        let mut out = String::new();
        base64_encode(&self.secret, &mut out);
        out
    }

    fn display_name(&self) -> String {
        let name = self.name.to_string();
        name.strip_suffix('.').unwrap_or(&name).to_string()
    }

    /// The key as a BIND `key` statement (what `tsig-keygen` prints).
    pub fn bind_text(&self) -> String {
        format!(
            "key \"{}\" {{\n\talgorithm {};\n\tsecret \"{}\";\n}};\n",
            self.display_name(),
            self.algorithm_text(),
            self.secret_base64()
        )
    }

    /// The key as a Knot `key:` section (what `keymgr -t` prints).
    pub fn knot_text(&self) -> String {
        format!(
            "key:\n  - id: {}\n    algorithm: {}\n    secret: {}\n",
            self.display_name(),
            self.algorithm.name(),
            self.secret_base64()
        )
    }

    /// Reads every key of a BIND `key` file or a Knot configuration
    /// (`key:` section), whichever the file is.
    /// The key named `name` among `keys` (read from one file), or with no
    /// name the only one; `None` when there is no such key, or several
    /// and no name. Callers say which in their own terms.
    pub fn choose(keys: Vec<Key>, name: Option<&Name>) -> Option<Key> {
        match name {
            Some(wanted) => keys.into_iter().find(|k| k.name.eq_ignore_case(wanted)),
            None if keys.len() == 1 => keys.into_iter().next(),
            None => None,
        }
    }

    pub fn read_file(path: &Path) -> Result<Vec<Key>> {
        let file = path.display().to_string();
        let text =
            crate::fsutil::read_bounded(path, crate::fsutil::MAX_TSIG_FILE).map_err(|e| {
                TsigError::KeyFile {
                    file: file.clone(),
                    message: e.to_string(),
                }
            })?;
        let knot = text
            .lines()
            .any(|l| l.trim_end() == "key:" || l.starts_with("key:"));
        let keys = if knot {
            parse_knot(&text)
        } else {
            parse_bind(&text)
        };
        keys.map_err(|message| TsigError::KeyFile { file, message })
            .and_then(|keys| {
                if keys.is_empty() {
                    Err(TsigError::KeyFile {
                        file: path.display().to_string(),
                        message: "no TSIG key in the file".into(),
                    })
                } else {
                    Ok(keys)
                }
            })
    }

    fn mac(&self) -> MacContext {
        use ring::hmac;
        let ring_key =
            |alg| MacContext::Ring(hmac::Context::with_key(&hmac::Key::new(alg, &self.secret)));
        match self.algorithm {
            Algorithm::HmacMd5 => MacContext::Md5(
                ::hmac::Hmac::new_from_slice(&self.secret).expect("HMAC takes keys of any length"),
            ),
            Algorithm::HmacSha1 => ring_key(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY),
            Algorithm::HmacSha224 => MacContext::Sha224(
                ::hmac::Hmac::new_from_slice(&self.secret).expect("HMAC takes keys of any length"),
            ),
            Algorithm::HmacSha256 => ring_key(hmac::HMAC_SHA256),
            Algorithm::HmacSha384 => ring_key(hmac::HMAC_SHA384),
            Algorithm::HmacSha512 => ring_key(hmac::HMAC_SHA512),
        }
    }
}

/// Reads `key "name" { algorithm ...; secret "..."; };` statements; other
/// statements and comments (`#`, `//`, `/* */`) are skipped.
fn parse_bind(text: &str) -> std::result::Result<Vec<Key>, String> {
    let tokens = bind_tokens(text);
    let mut keys = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] != "key" {
            i += 1;
            continue;
        }
        let name = tokens.get(i + 1).ok_or("key statement without a name")?;
        if tokens.get(i + 2).map(String::as_str) != Some("{") {
            return Err(format!("key \"{name}\": expected {{"));
        }
        let (mut algorithm, mut secret) = (None, None);
        i += 3;
        while i < tokens.len() && tokens[i] != "}" {
            let value = tokens.get(i + 1).cloned();
            match tokens[i].as_str() {
                "algorithm" => algorithm = value,
                "secret" => secret = value,
                _ => {}
            }
            while i < tokens.len() && tokens[i] != ";" && tokens[i] != "}" {
                i += 1;
            }
            if i < tokens.len() && tokens[i] == ";" {
                i += 1;
            }
        }
        i += 1;
        let algorithm = algorithm.ok_or_else(|| format!("key \"{name}\" has no algorithm"))?;
        let secret = secret.ok_or_else(|| format!("key \"{name}\" has no secret"))?;
        keys.push(Key::new(name, &algorithm, &secret).map_err(|e| format!("key \"{name}\": {e}"))?);
    }
    Ok(keys)
}

/// Splits named.conf syntax into words, quoted strings and `{ } ;`.
fn bind_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' => while chars.next_if(|&c| c != '\n').is_some() {},
            '/' if chars.peek() == Some(&'/') => while chars.next_if(|&c| c != '\n').is_some() {},
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
            }
            '"' => tokens.push(chars.by_ref().take_while(|&c| c != '"').collect()),
            '{' | '}' | ';' => tokens.push(c.to_string()),
            c if c.is_whitespace() => {}
            c => {
                let mut word = c.to_string();
                while let Some(c) = chars.next_if(|&c| !c.is_whitespace() && !"{};\"".contains(c)) {
                    word.push(c);
                }
                tokens.push(word);
            }
        }
    }
    tokens
}

#[derive(serde::Deserialize)]
struct KnotConfig {
    #[serde(default)]
    key: Vec<KnotKey>,
}

#[derive(serde::Deserialize)]
struct KnotKey {
    id: String,
    algorithm: String,
    secret: String,
}

/// Reads the `key:` section of a Knot configuration (or a `keymgr -t` file).
fn parse_knot(text: &str) -> std::result::Result<Vec<Key>, String> {
    // Other sections may hold anything; only `key:` is ours to read.
    let mut section = String::new();
    let mut inside = false;
    for line in text.lines() {
        if !line.starts_with([' ', '\t', '#', '-']) && !line.trim().is_empty() {
            inside = line.trim_end() == "key:";
        }
        if inside {
            section.push_str(line);
            section.push('\n');
        }
    }
    let config: KnotConfig =
        serde_saphyr::from_str(&section).map_err(|e| format!("bad key section: {e}"))?;
    config
        .key
        .into_iter()
        .map(|k| {
            Key::new(&k.id, &k.algorithm, &k.secret).map_err(|e| format!("key \"{}\": {e}", k.id))
        })
        .collect()
}

/// A running HMAC over one or more messages.
enum MacContext {
    Ring(ring::hmac::Context),
    Md5(hmac::Hmac<md5::Md5>),
    Sha224(hmac::Hmac<sha2::Sha224>),
}

impl MacContext {
    fn update(&mut self, data: &[u8]) {
        match self {
            MacContext::Ring(c) => c.update(data),
            MacContext::Md5(c) => c.update(data),
            MacContext::Sha224(c) => c.update(data),
        }
    }

    fn finish(self) -> Vec<u8> {
        match self {
            MacContext::Ring(c) => c.sign().as_ref().to_vec(),
            MacContext::Md5(c) => c.finalize().into_bytes().to_vec(),
            MacContext::Sha224(c) => c.finalize().into_bytes().to_vec(),
        }
    }
}

/// The rdata of a TSIG record (RFC 8945 §4.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsigRdata {
    pub algorithm: Vec<u8>,
    pub time_signed: u64,
    pub fudge: u16,
    pub mac: Vec<u8>,
    pub original_id: u16,
    pub error: u16,
    pub other: Vec<u8>,
}

impl TsigRdata {
    pub fn parse(rdata: &[u8]) -> Result<TsigRdata> {
        let mut algorithm = Vec::new();
        let pos = wire::read_name(rdata, 0, &mut algorithm).map_err(|_| TsigError::Malformed)?;
        let rest = &rdata[pos..];
        let u16_at = |i: usize| -> Result<u16> {
            rest.get(i..i + 2)
                .map(|b| u16::from_be_bytes([b[0], b[1]]))
                .ok_or(TsigError::Malformed)
        };
        let time = rest.get(..6).ok_or(TsigError::Malformed)?;
        let time_signed = time.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64);
        let fudge = u16_at(6)?;
        let mac_len = u16_at(8)? as usize;
        let mac = rest
            .get(10..10 + mac_len)
            .ok_or(TsigError::Malformed)?
            .to_vec();
        let at = 10 + mac_len;
        let original_id = u16_at(at)?;
        let error = u16_at(at + 2)?;
        let other_len = u16_at(at + 4)? as usize;
        let other = rest
            .get(at + 6..at + 6 + other_len)
            .ok_or(TsigError::Malformed)?
            .to_vec();
        if at + 6 + other_len != rest.len() {
            return Err(TsigError::Malformed);
        }
        Ok(TsigRdata {
            algorithm,
            time_signed,
            fudge,
            mac,
            original_id,
            error,
            other,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(self.algorithm.len() + 16 + self.mac.len() + self.other.len());
        out.extend_from_slice(&self.algorithm);
        out.extend_from_slice(&self.time_signed.to_be_bytes()[2..]);
        out.extend_from_slice(&self.fudge.to_be_bytes());
        out.extend_from_slice(&(self.mac.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.mac);
        out.extend_from_slice(&self.original_id.to_be_bytes());
        out.extend_from_slice(&self.error.to_be_bytes());
        out.extend_from_slice(&(self.other.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.other);
        out
    }

    /// The server time a BADTIME answer carries in its other data.
    pub fn server_time(&self) -> Option<u64> {
        (self.other.len() == 6).then(|| self.other.iter().fold(0u64, |a, &b| (a << 8) | b as u64))
    }
}

/// A TSIG record found at the end of a received message.
#[derive(Debug, Clone)]
pub struct ReceivedTsig {
    /// Offset of the TSIG record: the signed part of the message ends there.
    pub offset: usize,
    pub key_name: Vec<u8>,
    pub rdata: TsigRdata,
}

/// Finds and parses the TSIG record of a message, which must be the last
/// record of the additional section.
pub fn find(msg: &[u8]) -> Result<Option<ReceivedTsig>> {
    let parsed = wire::Message::parse(msg).map_err(|_| TsigError::Malformed)?;
    let mut records = parsed.records();
    let (mut owner, mut rdata) = (Vec::new(), Vec::new());
    let mut found = None;
    while let Some(rec) = records
        .next_into(&mut owner, &mut rdata)
        .map_err(|_| TsigError::Malformed)?
    {
        if found.is_some() {
            return Err(TsigError::NotLast);
        }
        if rec.rtype == TSIG {
            if rec.section != wire::Section::Additional {
                return Err(TsigError::NotLast);
            }
            found = Some(ReceivedTsig {
                offset: rec.offset,
                key_name: owner.clone(),
                rdata: TsigRdata::parse(&rdata)?,
            });
        }
    }
    Ok(found)
}

/// Feeds the message as it was before the TSIG record was added: ARCOUNT
/// one less, the original ID back (RFC 8945 §4.3.1).
fn update_stripped(mac: &mut MacContext, msg: &[u8], tsig: &ReceivedTsig) {
    let mut header = [0u8; wire::HEADER_LEN];
    header.copy_from_slice(&msg[..wire::HEADER_LEN]);
    header[..2].copy_from_slice(&tsig.rdata.original_id.to_be_bytes());
    let arcount = u16::from_be_bytes([header[10], header[11]]).saturating_sub(1);
    header[10..12].copy_from_slice(&arcount.to_be_bytes());
    mac.update(&header);
    mac.update(&msg[wire::HEADER_LEN..tsig.offset]);
}

/// The TSIG variables of RFC 8945 §4.3.3, all of them or (for messages
/// after the first of a transfer) the timers only.
fn update_variables(mac: &mut MacContext, key: &Key, rdata: &TsigRdata, timers_only: bool) {
    if !timers_only {
        mac.update(key.name.as_wire());
        mac.update(&CLASS_ANY.to_be_bytes());
        mac.update(&0u32.to_be_bytes());
        mac.update(&rdata.algorithm.to_ascii_lowercase());
    }
    mac.update(&rdata.time_signed.to_be_bytes()[2..]);
    mac.update(&rdata.fudge.to_be_bytes());
    if !timers_only {
        mac.update(&rdata.error.to_be_bytes());
        mac.update(&(rdata.other.len() as u16).to_be_bytes());
        mac.update(&rdata.other);
    }
}

fn update_prior_mac(mac: &mut MacContext, prior: &[u8]) {
    mac.update(&(prior.len() as u16).to_be_bytes());
    mac.update(prior);
}

fn append_record(msg: &mut Vec<u8>, key_name: &[u8], rdata: &TsigRdata) {
    msg.extend_from_slice(key_name);
    msg.extend_from_slice(&TSIG.0.to_be_bytes());
    msg.extend_from_slice(&CLASS_ANY.to_be_bytes());
    msg.extend_from_slice(&0u32.to_be_bytes());
    let encoded = rdata.encode();
    msg.extend_from_slice(&(encoded.len() as u16).to_be_bytes());
    msg.extend_from_slice(&encoded);
    let arcount = u16::from_be_bytes([msg[10], msg[11]]) + 1;
    msg[10..12].copy_from_slice(&arcount.to_be_bytes());
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Signs a request in place (appends the TSIG record); returns its MAC,
/// which the response's signature covers.
pub fn sign_request(msg: &mut Vec<u8>, key: &Key, fudge: u16) -> Vec<u8> {
    sign_request_at(msg, key, fudge, now())
}

pub fn sign_request_at(msg: &mut Vec<u8>, key: &Key, fudge: u16, time: u64) -> Vec<u8> {
    let mut rdata = TsigRdata {
        algorithm: key.algorithm.wire_name().to_vec(),
        time_signed: time,
        fudge,
        mac: Vec::new(),
        original_id: u16::from_be_bytes([msg[0], msg[1]]),
        error: 0,
        other: Vec::new(),
    };
    let mut mac = key.mac();
    mac.update(msg);
    update_variables(&mut mac, key, &rdata, false);
    let mut full = mac.finish();
    full.truncate(key.mac_len);
    rdata.mac = full.clone();
    append_record(msg, key.name.as_wire(), &rdata);
    full
}

/// Checks the signatures of the responses to a signed request: one
/// message, or every message of a transfer (RFC 8945 §5.3.1).
pub struct ResponseVerifier<'k> {
    key: &'k Key,
    prior_mac: Vec<u8>,
    pending: Option<MacContext>,
    unsigned_run: usize,
    first: bool,
}

impl<'k> ResponseVerifier<'k> {
    pub fn new(key: &'k Key, request_mac: Vec<u8>) -> ResponseVerifier<'k> {
        ResponseVerifier {
            key,
            prior_mac: request_mac,
            pending: None,
            unsigned_run: 0,
            first: true,
        }
    }

    /// Checks the next message; `tsig` is what [`find`] returned for it.
    pub fn check(&mut self, msg: &[u8], tsig: Option<&ReceivedTsig>) -> Result<()> {
        self.check_at(msg, tsig, now())
    }

    pub fn check_at(&mut self, msg: &[u8], tsig: Option<&ReceivedTsig>, time: u64) -> Result<()> {
        let key = self.key;
        let Some(tsig) = tsig else {
            if self.first {
                return Err(TsigError::Unsigned(key.display_name()));
            }
            self.unsigned_run += 1;
            if self.unsigned_run > MAX_UNSIGNED_RUN {
                return Err(TsigError::TooManyUnsigned);
            }
            let prior = &self.prior_mac;
            self.pending
                .get_or_insert_with(|| {
                    let mut mac = key.mac();
                    update_prior_mac(&mut mac, prior);
                    mac
                })
                .update(msg);
            return Ok(());
        };
        if !tsig.key_name.eq_ignore_ascii_case(key.name.as_wire()) {
            return Err(TsigError::WrongKey {
                expected: key.display_name(),
                got: Name::from_wire(&tsig.key_name).map_or("?".into(), |n| n.to_string()),
            });
        }
        if Algorithm::from_wire_name(&tsig.rdata.algorithm) != Some(key.algorithm) {
            return Err(TsigError::WrongAlgorithm {
                expected: key.algorithm,
                got: Name::from_wire(&tsig.rdata.algorithm).map_or("?".into(), |n| n.to_string()),
            });
        }
        if tsig.rdata.error != 0 {
            return Err(server_error(key, &tsig.rdata, time));
        }
        let got = tsig.rdata.mac.len();
        let min = key
            .algorithm
            .min_mac_len()
            .max(key.mac_len.min(key.algorithm.output_len()));
        if got > key.algorithm.output_len() || got < min {
            return Err(TsigError::BadTruncated { got, min });
        }
        let mut mac = self.pending.take().unwrap_or_else(|| {
            let mut mac = key.mac();
            update_prior_mac(&mut mac, &self.prior_mac);
            mac
        });
        update_stripped(&mut mac, msg, tsig);
        update_variables(&mut mac, key, &tsig.rdata, !self.first);
        let computed = mac.finish();
        if !constant_time_eq(&computed[..got], &tsig.rdata.mac) {
            return Err(TsigError::BadSignature);
        }
        let skew = time as i64 - tsig.rdata.time_signed as i64;
        if skew.unsigned_abs() > u64::from(tsig.rdata.fudge) {
            return Err(TsigError::BadTime {
                skew,
                fudge: tsig.rdata.fudge,
            });
        }
        self.prior_mac = tsig.rdata.mac.clone();
        self.first = false;
        self.unsigned_run = 0;
        Ok(())
    }

    /// After the last message: it must have been signed.
    pub fn finish(&self) -> Result<()> {
        if self.pending.is_some() || self.first {
            return Err(TsigError::LastUnsigned);
        }
        Ok(())
    }
}

/// The error a server reported in its TSIG record, in words.
fn server_error(key: &Key, rdata: &TsigRdata, time: u64) -> TsigError {
    match rdata.error {
        error::BADKEY => TsigError::ServerBadKey {
            key: key.display_name(),
        },
        error::BADSIG => TsigError::ServerBadSig,
        error::BADTIME => {
            let server = rdata.server_time().unwrap_or(rdata.time_signed);
            TsigError::ServerBadTime {
                skew: time as i64 - server as i64,
                fudge_note: format!(" (fudge {} s)", rdata.fudge),
            }
        }
        error::BADTRUNC => TsigError::ServerBadTrunc,
        code => TsigError::ServerOther(wire::rcode_name(code)),
    }
}

/// What a server found checking a request's TSIG.
#[derive(Debug, Clone)]
pub enum RequestCheck {
    Unsigned,
    /// Valid; the key (an index into the server's keys) and the request
    /// MAC, which the response's signature covers.
    Verified {
        key: usize,
        tsig: ReceivedTsig,
    },
    /// Invalid: answer NOTAUTH with [`error_response`].
    Rejected {
        error: u16,
        key: Option<usize>,
        tsig: ReceivedTsig,
    },
}

/// Checks the TSIG of a request against the server's keys (RFC 8945 §5.2).
pub fn check_request(msg: &[u8], keys: &[Key], time: u64) -> Result<RequestCheck> {
    let Some(tsig) = find(msg)? else {
        return Ok(RequestCheck::Unsigned);
    };
    let found = keys.iter().position(|k| {
        k.name.as_wire().eq_ignore_ascii_case(&tsig.key_name)
            && Algorithm::from_wire_name(&tsig.rdata.algorithm) == Some(k.algorithm)
    });
    let Some(index) = found else {
        return Ok(RequestCheck::Rejected {
            error: error::BADKEY,
            key: None,
            tsig,
        });
    };
    let key = &keys[index];
    let got = tsig.rdata.mac.len();
    if got > key.algorithm.output_len() || got < key.algorithm.min_mac_len() {
        // RFC 8945 §5.2.2.1: a MAC outside the allowed lengths is FORMERR;
        // BADSIG keeps the answer signed-error shaped, as BIND does.
        return Ok(RequestCheck::Rejected {
            error: error::BADSIG,
            key: Some(index),
            tsig,
        });
    }
    let mut mac = key.mac();
    update_stripped(&mut mac, msg, &tsig);
    update_variables(&mut mac, key, &tsig.rdata, false);
    if !constant_time_eq(&mac.finish()[..got], &tsig.rdata.mac) {
        return Ok(RequestCheck::Rejected {
            error: error::BADSIG,
            key: Some(index),
            tsig,
        });
    }
    let skew = time as i64 - tsig.rdata.time_signed as i64;
    if skew.unsigned_abs() > u64::from(tsig.rdata.fudge) {
        return Ok(RequestCheck::Rejected {
            error: error::BADTIME,
            key: Some(index),
            tsig,
        });
    }
    if got < key.mac_len {
        return Ok(RequestCheck::Rejected {
            error: error::BADTRUNC,
            key: Some(index),
            tsig,
        });
    }
    Ok(RequestCheck::Verified { key: index, tsig })
}

/// Appends the TSIG record of an error answer to a rejected request (whose
/// RCODE the caller sets to NOTAUTH). BADKEY and BADSIG answers carry no
/// MAC; BADTIME and BADTRUNC are signed, and BADTIME tells the server's
/// time in its other data (RFC 8945 §5.2.3).
pub fn error_response(response: &mut Vec<u8>, keys: &[Key], rejected: &RequestCheck, time: u64) {
    let RequestCheck::Rejected { error, key, tsig } = rejected else {
        return;
    };
    let mut rdata = TsigRdata {
        algorithm: tsig.rdata.algorithm.clone(),
        time_signed: tsig.rdata.time_signed,
        fudge: tsig.rdata.fudge,
        mac: Vec::new(),
        original_id: u16::from_be_bytes([response[0], response[1]]),
        error: *error,
        other: Vec::new(),
    };
    let signing_key = key
        .map(|i| &keys[i])
        .filter(|_| matches!(*error, error::BADTIME | error::BADTRUNC));
    let Some(key) = signing_key else {
        // Unsigned: echo the key name the request used.
        append_record(response, &tsig.key_name, &rdata);
        return;
    };
    if *error == error::BADTIME {
        rdata.other = time.to_be_bytes()[2..].to_vec();
    }
    let mut mac = key.mac();
    update_prior_mac(&mut mac, &tsig.rdata.mac);
    mac.update(response);
    update_variables(&mut mac, key, &rdata, false);
    let mut full = mac.finish();
    full.truncate(key.mac_len);
    rdata.mac = full;
    append_record(response, key.name.as_wire(), &rdata);
}

/// Signs the responses to a verified request: one answer, or each message
/// of a transfer (all signed; RFC 8945 §5.3.1).
#[derive(Clone)]
pub struct ResponseSigner {
    key: Key,
    prior_mac: Vec<u8>,
    first: bool,
    fudge: u16,
}

impl ResponseSigner {
    pub fn new(key: &Key, request: &ReceivedTsig) -> ResponseSigner {
        ResponseSigner {
            key: key.clone(),
            prior_mac: request.rdata.mac.clone(),
            first: true,
            fudge: request.rdata.fudge,
        }
    }

    pub fn sign(&mut self, msg: &mut Vec<u8>, time: u64) {
        let mut rdata = TsigRdata {
            algorithm: self.key.algorithm.wire_name().to_vec(),
            time_signed: time,
            fudge: self.fudge,
            mac: Vec::new(),
            original_id: u16::from_be_bytes([msg[0], msg[1]]),
            error: 0,
            other: Vec::new(),
        };
        let mut mac = self.key.mac();
        update_prior_mac(&mut mac, &self.prior_mac);
        mac.update(msg);
        update_variables(&mut mac, &self.key, &rdata, !self.first);
        let mut full = mac.finish();
        full.truncate(self.key.mac_len);
        rdata.mac = full;
        self.prior_mac = rdata.mac.clone();
        self.first = false;
        append_record(msg, self.key.name.as_wire(), &rdata);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{MessageBuilder, flag, opcode};

    fn query() -> Vec<u8> {
        MessageBuilder::new(0x1234, opcode::QUERY, 0)
            .question(b"\x07example\x03com\x00", RType(6), 1)
            .finish()
    }

    fn key(alg: &str) -> Key {
        Key::new("test-key", alg, "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0").unwrap()
    }

    #[test]
    fn rfc8945_6_every_algorithm_signs_and_verifies_a_transfer() {
        for algorithm in Algorithm::ALL {
            let key = key(algorithm.name());
            let mut request = query();
            sign_request_at(&mut request, &key, 300, 1_000_000);
            let RequestCheck::Verified { tsig, .. } =
                check_request(&request, std::slice::from_ref(&key), 1_000_010).unwrap()
            else {
                panic!("{algorithm}: request did not verify");
            };
            let mut signer = ResponseSigner::new(&key, &tsig);
            let mut verifier = ResponseVerifier::new(&key, tsig.rdata.mac.clone());
            for i in 0..5u16 {
                let mut msg = MessageBuilder::new(0x1234, opcode::QUERY, flag::QR).finish();
                msg[3] = i as u8;
                signer.sign(&mut msg, 1_000_020);
                let found = find(&msg).unwrap();
                verifier.check_at(&msg, found.as_ref(), 1_000_030).unwrap();
            }
            verifier.finish().unwrap();
        }
    }

    #[test]
    fn rfc8945_5_2_wrong_secret_time_and_key_are_told_apart() {
        let good = key("hmac-sha256");
        let other_secret = Key::new("test-key", "hmac-sha256", "b3RoZXJzZWNyZXQ=").unwrap();
        let other_name = Key::new("other", "hmac-sha256", "b3RoZXJzZWNyZXQ=").unwrap();
        let mut request = query();
        sign_request_at(&mut request, &good, 300, 1_000_000);
        let check = |keys: &[Key], time| match check_request(&request, keys, time).unwrap() {
            RequestCheck::Rejected { error, .. } => error,
            _ => 0,
        };
        assert_eq!(
            check(std::slice::from_ref(&other_secret), 1_000_000),
            error::BADSIG
        );
        assert_eq!(
            check(std::slice::from_ref(&other_name), 1_000_000),
            error::BADKEY
        );
        assert_eq!(
            check(std::slice::from_ref(&good), 1_000_301),
            error::BADTIME
        );
        assert_eq!(check(std::slice::from_ref(&good), 999_700), 0);

        // The BADTIME answer is signed and carries the server's time.
        let rejected = check_request(&request, std::slice::from_ref(&good), 1_000_400).unwrap();
        let mut response = MessageBuilder::new(0x1234, opcode::QUERY, flag::QR | 9).finish();
        error_response(
            &mut response,
            std::slice::from_ref(&good),
            &rejected,
            1_000_400,
        );
        let found = find(&response).unwrap().unwrap();
        assert_eq!(found.rdata.error, error::BADTIME);
        assert_eq!(found.rdata.server_time(), Some(1_000_400));
        let mut verifier = ResponseVerifier::new(&good, request_mac(&request));
        let err = verifier
            .check_at(&response, Some(&found), 1_000_000)
            .unwrap_err();
        assert!(
            matches!(err, TsigError::ServerBadTime { skew: -400, .. }),
            "{err}"
        );
    }

    fn request_mac(request: &[u8]) -> Vec<u8> {
        find(request).unwrap().unwrap().rdata.mac
    }

    #[test]
    fn rfc8945_5_3_1_unsigned_messages_between_signed_ones_are_covered() {
        let key = key("hmac-sha1");
        let mut request = query();
        let request_mac = sign_request_at(&mut request, &key, 300, 5000);
        // Build by hand: message 1 signed, 2 and 3 unsigned, 4 signed over
        // 2, 3 and 4.
        let msgs: Vec<Vec<u8>> = (0..4u8)
            .map(|i| {
                let mut m = MessageBuilder::new(1, opcode::QUERY, flag::QR).finish();
                m[3] = i;
                m
            })
            .collect();
        let mut first = msgs[0].clone();
        let mut signer = ResponseSigner::new(&key, &find(&request).unwrap().unwrap());
        signer.sign(&mut first, 5000);
        let prior = find(&first).unwrap().unwrap().rdata.mac;
        let mut last = msgs[3].clone();
        let mut mac = key.mac();
        update_prior_mac(&mut mac, &prior);
        mac.update(&msgs[1]);
        mac.update(&msgs[2]);
        mac.update(&last);
        let rdata = TsigRdata {
            algorithm: key.algorithm.wire_name().to_vec(),
            time_signed: 5000,
            fudge: 300,
            mac: Vec::new(),
            original_id: 1,
            error: 0,
            other: Vec::new(),
        };
        update_variables(&mut mac, &key, &rdata, true);
        append_record(
            &mut last,
            key.name.as_wire(),
            &TsigRdata {
                mac: mac.finish(),
                ..rdata
            },
        );
        let mut verifier = ResponseVerifier::new(&key, request_mac);
        for m in [&first, &msgs[1], &msgs[2], &last] {
            verifier
                .check_at(m, find(m).unwrap().as_ref(), 5000)
                .unwrap();
        }
        verifier.finish().unwrap();
        // The same run with a changed unsigned message fails.
        let mut verifier = ResponseVerifier::new(&key, find(&request).unwrap().unwrap().rdata.mac);
        let mut tampered = msgs[2].clone();
        tampered[2] ^= 1;
        verifier
            .check_at(&first, find(&first).unwrap().as_ref(), 5000)
            .unwrap();
        verifier.check_at(&msgs[1], None, 5000).unwrap();
        verifier.check_at(&tampered, None, 5000).unwrap();
        let err = verifier
            .check_at(&last, find(&last).unwrap().as_ref(), 5000)
            .unwrap_err();
        assert_eq!(err, TsigError::BadSignature);
    }

    #[test]
    fn key_sources() {
        let bind = "# comment\nkey \"k1.example\" {\n\talgorithm hmac-sha512;\n\tsecret \"c2VjcmV0\";\n};\n/* x */ key k2 { algorithm hmac-md5; secret \"c2VjcmV0\"; };";
        let keys = parse_bind(bind).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].name.to_string(), "k1.example.");
        assert_eq!(keys[1].algorithm, Algorithm::HmacMd5);
        let knot = "server:\n  listen: 0.0.0.0@53\nkey:\n  - id: k3\n    algorithm: hmac-sha224\n    secret: c2VjcmV0\n";
        let keys = parse_knot(knot).unwrap();
        assert_eq!(keys[0].algorithm, Algorithm::HmacSha224);
        let k = Key::parse_spec("hmac-sha384:name:c2VjcmV0").unwrap();
        assert_eq!(
            (k.algorithm, k.name.to_string()),
            (Algorithm::HmacSha384, "name.".into())
        );
        let k = Key::parse_spec("name:hmac-sha1:c2VjcmV0").unwrap();
        assert_eq!(k.algorithm, Algorithm::HmacSha1);
        let k = Key::parse_spec("name:hmac-sha256-128:c2VjcmV0").unwrap();
        assert_eq!(k.mac_len, 16);
        assert!(Key::parse_spec("name:hmac-sha256-64:c2VjcmV0").is_err());
        // Secrets appear in no error and no Debug output.
        let err = Key::parse_spec("name:nope:c2VjcmV0")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("c2VjcmV0"), "{err}");
        assert!(!format!("{k:?}").contains("c2VjcmV0"));
        let generated = Key::generate("gen", Algorithm::HmacSha256).unwrap();
        assert_eq!(
            parse_bind(&generated.bind_text()).unwrap()[0].secret,
            generated.secret
        );
        assert_eq!(
            parse_knot(&generated.knot_text()).unwrap()[0].secret,
            generated.secret
        );
    }

    #[test]
    fn rfc2202_and_rfc4231_hmac_vectors() {
        // HMAC known answers (RFC 2202 test case 2, RFC 4231 test case 2):
        // key "Jefe", data "what do ya want for nothing?".
        let data = b"what do ya want for nothing?";
        let cases = [
            (Algorithm::HmacMd5, "750c783e6ab0b503eaa86e310a5db738"),
            (
                Algorithm::HmacSha1,
                "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79",
            ),
            (
                Algorithm::HmacSha224,
                "a30e01098bc6dbbf45690f3a7e9e6d0f8bbea2a39e6148008fd05e44",
            ),
            (
                Algorithm::HmacSha256,
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
            ),
        ];
        for (algorithm, expected) in cases {
            let key = Key {
                name: Name::root(),
                algorithm,
                secret: b"Jefe".to_vec(),
                mac_len: 0,
            };
            let mut mac = key.mac();
            mac.update(data);
            let mut hex = String::new();
            crate::zone::encoding::hex_encode(&mac.finish(), &mut hex);
            assert_eq!(hex.to_ascii_lowercase(), expected, "{algorithm}");
        }
    }
}
