//! DNSSEC signing keys and BIND's key files (`Kzone.+alg+tag.key` and
//! `.private`, Private-key-format v1.3), which dnssec-keygen, ldns-keygen and
//! keymgr also read and write.
//!
//! ring signs with every algorithm here; it does not generate RSA keys, so
//! those come from the `rsa` crate and are handed to ring as components.

use std::fmt;
use std::path::{Path, PathBuf};

use num_bigint::BigUint;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};

use super::digest::key_tag;
use crate::zone::encoding::{base64_decode, base64_encode};
use crate::zone::reader::read_absolute;
use crate::zone::rtype::algorithm_name;
use crate::zone::{Name, RType};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error(
        "algorithm {0} cannot sign here (use ECDSAP256SHA256, ECDSAP384SHA384, ED25519, RSASHA256 or RSASHA512)"
    )]
    UnsupportedAlgorithm(u8),
    #[error(
        "RSA keys of {0} bits cannot be made here: give --bits from 2048 to 4096 (RFC 8624 asks at least 2048), or use ECDSAP256SHA256 or ED25519 for a short key"
    )]
    BadKeySize(usize),
    #[error("key generation failed: {0}")]
    Generate(String),
    #[error("{file}: {message}")]
    BadFile { file: String, message: String },
    #[error("{0}: the private key does not match the public key")]
    Mismatch(String),
    #[error("signing failed")]
    Sign,
    /// The path once, and the operating system's reason without its
    /// error number: this is the whole message.
    #[error("{path}: {}", crate::fsutil::io_reason(error))]
    Io { path: String, error: std::io::Error },
}

/// `.private` fields: name and value, in file order.
type PrivateFields = Vec<(&'static str, Vec<u8>)>;

/// The fields of an RSA `.private` file, in file order (RFC 8017 §3.2 names in BIND's spelling).
const RSA_FIELDS: [&str; 8] = [
    "Modulus",
    "PublicExponent",
    "PrivateExponent",
    "Prime1",
    "Prime2",
    "Exponent1",
    "Exponent2",
    "Coefficient",
];

/// DNSKEY flags: Zone Key (RFC 4034 §2.1.1) and Secure Entry Point (KSK).
pub const FLAG_ZONE: u16 = 0x0100;
pub const FLAG_SEP: u16 = 0x0001;

enum Secret {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    Rsa(RsaKeyPair),
}

/// A key that can sign: its DNSKEY, the private half, and the fields of its
/// `.private` file.
pub struct SigningKey {
    pub owner: Name,
    pub flags: u16,
    pub algorithm: u8,
    /// The public key field of the DNSKEY (RFC 3110, RFC 6605, RFC 8080 forms).
    pub public: Vec<u8>,
    secret: Secret,
    /// `.private` fields in file order (name, value bytes).
    private_fields: Vec<(&'static str, Vec<u8>)>,
    /// Timing metadata kept from a `.private` file (Created, Publish, ...).
    pub timing: Vec<(String, String)>,
    /// Where the key was read from, if it was.
    pub path: Option<PathBuf>,
}

impl fmt::Debug for SigningKey {
    // The private half never appears in logs or errors.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("owner", &self.owner)
            .field("flags", &self.flags)
            .field("algorithm", &self.algorithm)
            .field("tag", &self.tag())
            .finish_non_exhaustive()
    }
}

fn rng() -> SystemRandom {
    SystemRandom::new()
}

/// The bytes after the DER header `marker` in `der` (a minimal DER search,
/// enough for the fixed layouts of ring's PKCS #8 documents).
fn after_marker<'a>(der: &'a [u8], marker: &[u8], len: usize) -> Option<&'a [u8]> {
    let at = der.windows(marker.len()).position(|w| w == marker)? + marker.len();
    der.get(at..at + len)
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes[first..].to_vec()
}

fn rsa_public(e: &[u8], n: &[u8]) -> Vec<u8> {
    let mut public = Vec::with_capacity(3 + e.len() + n.len());
    if e.len() < 256 {
        public.push(e.len() as u8);
    } else {
        public.push(0);
        public.extend_from_slice(&(e.len() as u16).to_be_bytes());
    }
    public.extend_from_slice(e);
    public.extend_from_slice(n);
    public
}

impl SigningKey {
    /// Generates a key. `bits` matters for RSA only (default 2048).
    pub fn generate(
        owner: &Name,
        algorithm: u8,
        flags: u16,
        bits: Option<usize>,
    ) -> Result<SigningKey, KeyError> {
        let rng = rng();
        let gen_err = |e: ring::error::Unspecified| KeyError::Generate(e.to_string());
        let (secret, public, private_fields) = match algorithm {
            13 | 14 => {
                let (alg, len) = if algorithm == 13 {
                    (&signature::ECDSA_P256_SHA256_FIXED_SIGNING, 32)
                } else {
                    (&signature::ECDSA_P384_SHA384_FIXED_SIGNING, 48)
                };
                let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).map_err(gen_err)?;
                let pair = EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng)
                    .map_err(|e| KeyError::Generate(e.to_string()))?;
                let scalar =
                    after_marker(pkcs8.as_ref(), &[0x02, 0x01, 0x01, 0x04, len as u8], len)
                        .ok_or_else(|| KeyError::Generate("unexpected PKCS #8 layout".into()))?
                        .to_vec();
                let public = pair.public_key().as_ref()[1..].to_vec();
                (Secret::Ecdsa(pair), public, vec![("PrivateKey", scalar)])
            }
            15 => {
                let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(gen_err)?;
                let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
                    .map_err(|e| KeyError::Generate(e.to_string()))?;
                let seed = after_marker(pkcs8.as_ref(), &[0x04, 0x22, 0x04, 0x20], 32)
                    .ok_or_else(|| KeyError::Generate("unexpected PKCS #8 layout".into()))?
                    .to_vec();
                let public = pair.public_key().as_ref().to_vec();
                (Secret::Ed25519(pair), public, vec![("PrivateKey", seed)])
            }
            8 | 10 => {
                let bits = bits.unwrap_or(2048);
                if !(2048..=4096).contains(&bits) {
                    return Err(KeyError::BadKeySize(bits));
                }
                let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, bits)
                    .map_err(|e| KeyError::Generate(e.to_string()))?;
                use rsa::traits::{PrivateKeyParts, PublicKeyParts};
                let primes = key.primes();
                let big = |b: &rsa::BigUint| BigUint::from_bytes_be(&b.to_bytes_be());
                let (n, e, d, p, q) = (
                    big(key.n()),
                    big(key.e()),
                    big(key.d()),
                    big(&primes[0]),
                    big(&primes[1]),
                );
                let one = BigUint::from(1u8);
                let dp = &d % (&p - &one);
                let dq = &d % (&q - &one);
                let qinv = q.modpow(&(&p - BigUint::from(2u8)), &p);
                let fields = vec![
                    ("Modulus", n.to_bytes_be()),
                    ("PublicExponent", e.to_bytes_be()),
                    ("PrivateExponent", d.to_bytes_be()),
                    ("Prime1", p.to_bytes_be()),
                    ("Prime2", q.to_bytes_be()),
                    ("Exponent1", dp.to_bytes_be()),
                    ("Exponent2", dq.to_bytes_be()),
                    ("Coefficient", qinv.to_bytes_be()),
                ];
                let pair = rsa_pair(&fields)
                    .ok_or_else(|| KeyError::Generate("ring refused the RSA key".into()))?;
                (
                    Secret::Rsa(pair),
                    rsa_public(&fields[1].1, &fields[0].1),
                    fields,
                )
            }
            other => return Err(KeyError::UnsupportedAlgorithm(other)),
        };
        Ok(SigningKey {
            owner: owner.clone(),
            flags,
            algorithm,
            public,
            secret,
            private_fields,
            timing: Vec::new(),
            path: None,
        })
    }

    pub fn dnskey_rdata(&self) -> Vec<u8> {
        let mut rdata = Vec::with_capacity(4 + self.public.len());
        rdata.extend_from_slice(&self.flags.to_be_bytes());
        rdata.push(3);
        rdata.push(self.algorithm);
        rdata.extend_from_slice(&self.public);
        rdata
    }

    pub fn tag(&self) -> u16 {
        key_tag(&self.dnskey_rdata())
    }

    pub fn is_ksk(&self) -> bool {
        self.flags & FLAG_SEP != 0
    }

    /// Signs `data` in the DNSSEC signature format of the algorithm.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.secret {
            Secret::Ecdsa(pair) => pair
                .sign(&rng(), data)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Sign),
            Secret::Ed25519(pair) => Ok(pair.sign(data).as_ref().to_vec()),
            Secret::Rsa(pair) => {
                let padding = if self.algorithm == 10 {
                    &signature::RSA_PKCS1_SHA512
                } else {
                    &signature::RSA_PKCS1_SHA256
                };
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(padding, &rng(), data, &mut sig)
                    .map_err(|_| KeyError::Sign)?;
                Ok(sig)
            }
        }
    }

    /// `Kexample.com.+013+12345`, BIND's file name stem.
    pub fn file_stem(&self) -> String {
        let owner = self.owner.to_string().to_ascii_lowercase();
        format!("K{owner}+{:03}+{:05}", self.algorithm, self.tag())
    }

    /// The `.key` file: a comment and the DNSKEY record.
    pub fn key_file(&self) -> String {
        let kind = if self.is_ksk() {
            "key-signing"
        } else {
            "zone-signing"
        };
        let mut line = String::new();
        crate::zone::writer::format_record(
            self.owner.as_wire(),
            3600,
            1,
            RType::DNSKEY,
            &self.dnskey_rdata(),
            &mut line,
        );
        format!(
            "; This is a {kind} key, keyid {}, for {}\n{line}\n",
            self.tag(),
            self.owner
        )
    }

    /// The `.private` file, Private-key-format v1.3.
    pub fn private_file(&self) -> String {
        let name = algorithm_name(self.algorithm).unwrap_or("?");
        let mut out = format!(
            "Private-key-format: v1.3\nAlgorithm: {} ({name})\n",
            self.algorithm
        );
        for (field, value) in &self.private_fields {
            let mut text = String::new();
            base64_encode(value, &mut text);
            out.push_str(&format!("{field}: {text}\n"));
        }
        for (field, value) in &self.timing {
            out.push_str(&format!("{field}: {value}\n"));
        }
        out
    }

    /// Writes both files into `dir` (mode 0600 for the private one); an
    /// existing file is never overwritten.
    pub fn write_files(&self, dir: &Path) -> Result<PathBuf, KeyError> {
        use std::io::Write;
        let stem = dir.join(self.file_stem());
        // The stem has dots in it: append, never `with_extension`.
        let with = |ext: &str| PathBuf::from(format!("{}.{ext}", stem.display()));
        let write = |path: PathBuf, content: &str, mode: u32| -> Result<(), KeyError> {
            let io = |error| KeyError::Io {
                path: path.display().to_string(),
                error,
            };
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
            let mut file = options.open(&path).map_err(io)?;
            file.write_all(content.as_bytes()).map_err(io)?;
            file.sync_all().map_err(io)
        };
        write(with("private"), &self.private_file(), 0o600)?;
        write(with("key"), &self.key_file(), 0o644)?;
        Ok(stem)
    }

    /// Reads a key pair from its `.key` or `.private` path (either names both).
    pub fn read_files(path: &Path) -> Result<SigningKey, KeyError> {
        let text = path.to_string_lossy();
        let stem = text
            .strip_suffix(".key")
            .or_else(|| text.strip_suffix(".private"))
            .unwrap_or(&text)
            .to_string();
        let key_path = PathBuf::from(format!("{stem}.key"));
        let private_path = PathBuf::from(format!("{stem}.private"));
        let read = |p: &Path| {
            crate::fsutil::read_bounded(p, crate::fsutil::MAX_KEY_FILE).map_err(|error| {
                KeyError::Io {
                    path: p.display().to_string(),
                    error,
                }
            })
        };
        let mut key = SigningKey::from_texts(
            &read(&key_path)?,
            &read(&private_path)?,
            &key_path.display().to_string(),
        )?;
        key.path = Some(key_path);
        Ok(key)
    }

    /// Builds a key from the texts of its `.key` and `.private` files.
    pub fn from_texts(
        key_text: &str,
        private_text: &str,
        file: &str,
    ) -> Result<SigningKey, KeyError> {
        let bad = |message: String| KeyError::BadFile {
            file: file.to_string(),
            message,
        };
        // What is wrong in the private part is said under its own name.
        let private_file = match file.strip_suffix(".key") {
            Some(stem) => format!("{stem}.private"),
            None => format!("{file} (private part)"),
        };
        let bad_private = |message: String| KeyError::BadFile {
            file: private_file.clone(),
            message,
        };
        let wrong_length = |what: &str, found: usize, expected: usize| {
            bad_private(format!(
                "the PrivateKey field is {found} octets; {what} private key is {expected}"
            ))
        };
        let records = read_absolute(file, key_text).map_err(|d| bad(d.message))?;
        let record = records
            .into_iter()
            .find(|r| r.rtype == RType::DNSKEY)
            .ok_or_else(|| bad("no DNSKEY record".into()))?;
        let rdata = &record.rdata;
        if rdata.len() < 5 {
            return Err(bad("DNSKEY too short".into()));
        }
        let (flags, algorithm, public) = (
            u16::from_be_bytes([rdata[0], rdata[1]]),
            rdata[3],
            rdata[4..].to_vec(),
        );
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in private_text.lines() {
            if let Some((k, v)) = line.split_once(':') {
                fields.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
        let field = |name: &str| -> Result<Vec<u8>, KeyError> {
            let value = fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| bad_private(format!("no {name} field")))?;
            let mut out = Vec::new();
            base64_decode(value.as_bytes(), &mut out)
                .map_err(|e| bad_private(format!("{name}: {e}")))?;
            Ok(out)
        };
        let private_alg: u8 = fields
            .iter()
            .find(|(k, _)| k == "Algorithm")
            .and_then(|(_, v)| v.split_whitespace().next()?.parse().ok())
            .ok_or_else(|| bad_private("no Algorithm field".into()))?;
        if private_alg != algorithm {
            return Err(bad_private(format!(
                "algorithm {private_alg}, but {file} is a key of algorithm {algorithm}"
            )));
        }
        let mismatch = || KeyError::Mismatch(private_file.clone());
        let (secret, private_fields) = match algorithm {
            13 | 14 => {
                let alg = if algorithm == 13 {
                    &signature::ECDSA_P256_SHA256_FIXED_SIGNING
                } else {
                    &signature::ECDSA_P384_SHA384_FIXED_SIGNING
                };
                // Some tools (ldns) write the scalar without its leading zero
                // octets; the curve fixes its length.
                let raw = field("PrivateKey")?;
                let len = if algorithm == 13 { 32 } else { 48 };
                let raw = &raw[raw.iter().position(|&b| b != 0).unwrap_or(raw.len())..];
                if raw.len() > len {
                    let what = if algorithm == 13 {
                        "a P-256"
                    } else {
                        "a P-384"
                    };
                    return Err(wrong_length(what, raw.len(), len));
                }
                let mut scalar = vec![0u8; len - raw.len()];
                scalar.extend_from_slice(raw);
                let mut point = vec![4];
                point.extend_from_slice(&public);
                let pair =
                    EcdsaKeyPair::from_private_key_and_public_key(alg, &scalar, &point, &rng())
                        .map_err(|_| mismatch())?;
                (Secret::Ecdsa(pair), vec![("PrivateKey", scalar)])
            }
            15 => {
                let seed = field("PrivateKey")?;
                if seed.len() != 32 {
                    return Err(wrong_length("an Ed25519", seed.len(), 32));
                }
                let pair = Ed25519KeyPair::from_seed_and_public_key(&seed, &public)
                    .map_err(|_| mismatch())?;
                (Secret::Ed25519(pair), vec![("PrivateKey", seed)])
            }
            5 | 7 | 8 | 10 => {
                let names = RSA_FIELDS;
                let mut values = Vec::new();
                for name in names {
                    values.push((name, strip_zeros(&field(name)?)));
                }
                if rsa_public(&values[1].1, &values[0].1) != public {
                    return Err(mismatch());
                }
                let pair = rsa_pair(&values).ok_or_else(mismatch)?;
                (Secret::Rsa(pair), values)
            }
            other => return Err(KeyError::UnsupportedAlgorithm(other)),
        };
        let timing = fields
            .into_iter()
            .filter(|(k, _)| {
                matches!(
                    k.as_str(),
                    "Created"
                        | "Publish"
                        | "Activate"
                        | "Inactive"
                        | "Delete"
                        | "SyncPublish"
                        | "SyncDelete"
                )
            })
            .collect();
        Ok(SigningKey {
            owner: record.owner,
            flags,
            algorithm,
            public,
            secret,
            private_fields,
            timing,
            path: None,
        })
    }
}

impl SigningKey {
    /// Reads a PKCS #8 private key in PEM (Knot's keystore, OpenSSL, GnuTLS)
    /// as a key of `owner`. RSA keys take `rsa_algorithm` (8 or 10); the
    /// others carry their algorithm in the key.
    pub fn from_pkcs8_pem(
        pem: &str,
        owner: &Name,
        flags: u16,
        rsa_algorithm: u8,
        file: &str,
    ) -> Result<SigningKey, KeyError> {
        let bad = |message: &str| KeyError::BadFile {
            file: file.to_string(),
            message: message.to_string(),
        };
        let body: String = pem
            .lines()
            .skip_while(|l| !l.starts_with("-----BEGIN PRIVATE KEY-----"))
            .skip(1)
            .take_while(|l| !l.starts_with("-----END"))
            .collect::<Vec<_>>()
            .concat();
        let mut der = Vec::new();
        base64_decode(body.trim().as_bytes(), &mut der)
            .map_err(|_| bad("not a PEM \"PRIVATE KEY\" (PKCS #8) file"))?;
        let has = |oid: &[u8]| der.windows(oid.len()).any(|w| w == oid);
        const ED25519: &[u8] = &[0x06, 0x03, 0x2b, 0x65, 0x70];
        const P256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
        const P384: &[u8] = &[0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22];
        const RSA: &[u8] = &[
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
        ];
        let (algorithm, public, fields): (u8, Vec<u8>, PrivateFields) = if has(ED25519) {
            let seed = after_marker(&der, &[0x04, 0x22, 0x04, 0x20], 32)
                .ok_or_else(|| bad("malformed Ed25519 key"))?;
            let pair = Ed25519KeyPair::from_seed_unchecked(seed)
                .map_err(|_| bad("malformed Ed25519 key"))?;
            (
                15,
                pair.public_key().as_ref().to_vec(),
                vec![("PrivateKey", seed.to_vec())],
            )
        } else if has(P256) || has(P384) {
            let (algorithm, len) = if has(P256) { (13, 32) } else { (14, 48) };
            // ECPrivateKey { version 1, OCTET STRING key }; GnuTLS (Knot) writes
            // the key with a leading zero octet, so take any length and pad.
            let key_len = after_marker(&der, &[0x02, 0x01, 0x01, 0x04], 1)
                .ok_or_else(|| bad("malformed ECDSA key"))?[0] as usize;
            let raw = after_marker(&der, &[0x02, 0x01, 0x01, 0x04, key_len as u8], key_len)
                .ok_or_else(|| bad("malformed ECDSA key"))?;
            let raw = &raw[raw.iter().position(|&b| b != 0).unwrap_or(raw.len())..];
            if raw.len() > len {
                return Err(bad("malformed ECDSA key"));
            }
            let mut scalar = vec![0u8; len - raw.len()];
            scalar.extend_from_slice(raw);
            let point = after_marker(&der, &[0x03, (2 * len + 2) as u8, 0x00, 0x04], 2 * len)
                .ok_or_else(|| bad("the ECDSA key carries no public key"))?;
            (
                algorithm,
                point.to_vec(),
                vec![("PrivateKey", scalar.to_vec())],
            )
        } else if has(RSA) {
            let ints = rsa_integers(&der).ok_or_else(|| bad("malformed RSA key"))?;
            let names = RSA_FIELDS;
            let fields: Vec<(&str, Vec<u8>)> = names
                .iter()
                .zip(&ints[1..])
                .map(|(n, v)| (*n, strip_zeros(v)))
                .collect();
            (
                rsa_algorithm,
                rsa_public(&fields[1].1, &fields[0].1),
                fields,
            )
        } else {
            return Err(bad("a key of an algorithm DNSSEC does not use"));
        };
        let mut dnskey = flags.to_be_bytes().to_vec();
        dnskey.extend_from_slice(&[3, algorithm]);
        dnskey.extend_from_slice(&public);
        let mut key_text = String::new();
        crate::zone::writer::format_record(
            owner.as_wire(),
            3600,
            1,
            RType::DNSKEY,
            &dnskey,
            &mut key_text,
        );
        let mut private_text = format!("Private-key-format: v1.3\nAlgorithm: {algorithm}\n");
        for (name, value) in fields {
            let mut text = String::new();
            base64_encode(&value, &mut text);
            private_text.push_str(&format!("{name}: {text}\n"));
        }
        SigningKey::from_texts(&key_text, &private_text, file)
    }
}

/// The INTEGERs of the RSAPrivateKey inside a PKCS #8 document (RFC 8017
/// §A.1.2): version, n, e, d, p, q, dP, dQ, qInv.
fn rsa_integers(der: &[u8]) -> Option<Vec<Vec<u8>>> {
    fn header(der: &[u8], at: usize) -> Option<(u8, usize, usize)> {
        let tag = *der.get(at)?;
        let first = *der.get(at + 1)? as usize;
        if first < 0x80 {
            return Some((tag, at + 2, first));
        }
        let n = first & 0x7f;
        let mut len = 0usize;
        for i in 0..n {
            len = len << 8 | *der.get(at + 2 + i)? as usize;
        }
        Some((tag, at + 2 + n, len))
    }
    // PrivateKeyInfo: SEQUENCE { INTEGER version, SEQUENCE algorithm, OCTET STRING key }
    let (_, body, _) = header(der, 0)?;
    let (_, v_body, v_len) = header(der, body)?;
    let (_, a_body, a_len) = header(der, v_body + v_len)?;
    let (tag, k_body, _) = header(der, a_body + a_len)?;
    if tag != 0x04 {
        return None;
    }
    let (_, mut at, _) = header(der, k_body)?;
    let mut ints = Vec::new();
    while ints.len() < 9 {
        let (tag, start, len) = header(der, at)?;
        if tag != 0x02 {
            return None;
        }
        ints.push(der.get(start..start + len)?.to_vec());
        at = start + len;
    }
    Some(ints)
}

fn rsa_pair(fields: &[(&'static str, Vec<u8>)]) -> Option<RsaKeyPair> {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_slice())
    };
    let components = ring::rsa::KeyPairComponents {
        public_key: ring::rsa::PublicKeyComponents {
            n: get("Modulus")?,
            e: get("PublicExponent")?,
        },
        d: get("PrivateExponent")?,
        p: get("Prime1")?,
        q: get("Prime2")?,
        dP: get("Exponent1")?,
        dQ: get("Exponent2")?,
        qInv: get("Coefficient")?,
    };
    RsaKeyPair::from_components(&components).ok()
}

/// Algorithm numbers for the names `keygen` accepts.
pub fn algorithm_from_name(name: &str) -> Option<u8> {
    crate::zone::rtype::ALGORITHMS
        .iter()
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .map(|(a, _)| *a)
        .or_else(|| name.parse().ok())
}

/// A warning when the `.private` file beside a `.key` file can be read
/// by users other than its owner (BIND and keygen write it 0600).
pub fn private_file_exposed(key_path: &Path) -> Option<String> {
    use std::os::unix::fs::PermissionsExt;
    let text = key_path.to_string_lossy();
    let private = PathBuf::from(format!("{}.private", text.strip_suffix(".key")?));
    let mode = std::fs::metadata(&private).ok()?.permissions().mode();
    (mode & 0o077 != 0).then(|| {
        format!(
            "{} is readable by others (mode {:o}): chmod 600 it; anyone who reads it can sign for the zone",
            private.display(),
            mode & 0o777
        )
    })
}

/// Algorithms among `keys` that have a zone-signing key but no key with the
/// SEP flag: such a ZSK must sign the DNSKEY RRset itself, which RFC 4035
/// allows but BIND's `dnssec-verify` refuses ("Missing self-signed KSK").
pub fn algorithms_without_ksk(keys: &[SigningKey]) -> Vec<u8> {
    let mut out: Vec<u8> = keys
        .iter()
        .map(|k| k.algorithm)
        .filter(|&a| {
            !keys
                .iter()
                .any(|k| k.algorithm == a && k.flags & FLAG_SEP != 0)
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dnssec::crypto::{Verdict, verify};

    #[test]
    fn an_ecdsa_scalar_written_without_leading_zeros_still_loads() {
        let owner = Name::parse(b"example.", None).unwrap();
        // About one key in 256 has a leading zero octet in its scalar.
        let key = (0..20_000)
            .map(|_| SigningKey::generate(&owner, 13, FLAG_ZONE, None).unwrap())
            .find(|k| k.private_fields[0].1[0] == 0)
            .expect("a scalar with a leading zero");
        let mut stripped = String::new();
        base64_encode(&key.private_fields[0].1[1..], &mut stripped);
        let private = format!(
            "Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: {stripped}\n"
        );
        let again = SigningKey::from_texts(&key.key_file(), &private, "test").unwrap();
        assert_eq!(again.private_fields[0].1, key.private_fields[0].1);
    }

    #[test]
    fn generated_keys_sign_and_survive_their_files() {
        let owner = Name::parse(b"example.", None).unwrap();
        for algorithm in [13, 14, 15, 8] {
            let key =
                SigningKey::generate(&owner, algorithm, FLAG_ZONE | FLAG_SEP, Some(2048)).unwrap();
            let sig = key.sign(b"data").unwrap();
            assert_eq!(
                verify(algorithm, &key.public, b"data", &sig),
                Verdict::Valid,
                "algorithm {algorithm}"
            );
            let again =
                SigningKey::from_texts(&key.key_file(), &key.private_file(), "test").unwrap();
            assert_eq!(again.dnskey_rdata(), key.dnskey_rdata());
            let sig = again.sign(b"more").unwrap();
            assert_eq!(
                verify(algorithm, &key.public, b"more", &sig),
                Verdict::Valid
            );
            assert!(!format!("{key:?}").contains("PrivateKey"));
        }
    }
}
