//! Signature verification for the DNSSEC algorithms (RFC 3110, RFC 5702,
//! RFC 6605, RFC 8080) with ring. RSA keys shorter than 1024 bits, which
//! ring refuses and which old test zones still use, are checked with plain
//! PKCS #1 v1.5 arithmetic.

use num_bigint::BigUint;
use ring::signature::{self, RsaPublicKeyComponents, UnparsedPublicKey};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid,
    /// The algorithm is not one we can verify (DSA, GOST, ED448, private).
    Unsupported,
}

/// What makes a DNSKEY's public key unusable, or unusable by validators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProblem {
    /// Not the algorithm's key format (e.g. an Ed25519 key of 31 octets).
    Malformed(String),
    /// An RSA modulus under 1024 bits: validators do not trust it
    /// (RFC 8624 §3.1 and their own floors).
    RsaTooShort(usize),
    /// An RSA exponent of more bits than BIND accepts (35); ldns and Knot
    /// verify with it.
    RsaExponentTooLarge(usize),
}

impl KeyProblem {
    /// The finding code `check` and `verify` report it under.
    pub fn code(&self) -> &'static str {
        match self {
            KeyProblem::Malformed(_) => "dnskey-invalid",
            KeyProblem::RsaTooShort(_) => "dnskey-rsa-short",
            KeyProblem::RsaExponentTooLarge(_) => "dnskey-rsa-exponent",
        }
    }
}

impl std::fmt::Display for KeyProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeyProblem::Malformed(why) => write!(f, "malformed public key: {why}"),
            KeyProblem::RsaTooShort(bits) => write!(
                f,
                "RSA modulus of {bits} bits: too short for validators (at least 1024, RFC 8624 asks 2048)"
            ),
            KeyProblem::RsaExponentTooLarge(bits) => write!(
                f,
                "RSA public exponent of {bits} bits: over the {MAX_RSA_EXPONENT_BITS} bits BIND accepts (ldns and Knot accept it), so BIND validators treat its signatures as bogus"
            ),
        }
    }
}

/// BIND's limit on an RSA public exponent (RSA_MAX_PUBEXP_BITS).
pub const MAX_RSA_EXPONENT_BITS: usize = 35;
/// The largest exponent RFC 3110 §2 allows: 4096 bits. Our own arithmetic
/// refuses more, so that a key cannot make verification slow.
const MAX_RFC3110_EXPONENT_BITS: usize = 4096;

fn bits(number: &[u8]) -> usize {
    let number = strip_zeros(number);
    match number.first() {
        None => 0,
        Some(&top) => number.len() * 8 - top.leading_zeros() as usize,
    }
}

/// Why a DNSKEY public key of this algorithm cannot be used, if it cannot.
pub fn key_problem(algorithm: u8, public_key: &[u8]) -> Option<KeyProblem> {
    let length = |expected: usize, what: &str| {
        (public_key.len() != expected).then(|| {
            KeyProblem::Malformed(format!(
                "{what} keys are {expected} octets, this one has {}",
                public_key.len()
            ))
        })
    };
    match algorithm {
        5 | 7 | 8 | 10 => {
            let Some((e, n)) = rsa_components(public_key) else {
                return Some(KeyProblem::Malformed(
                    "the RSA exponent length runs past the key (RFC 3110 §2)".into(),
                ));
            };
            let (e_bits, n_bits) = (bits(e), bits(n));
            if e_bits == 0 || n_bits == 0 {
                return Some(KeyProblem::Malformed(
                    "a zero RSA exponent or modulus".into(),
                ));
            }
            if e_bits > MAX_RFC3110_EXPONENT_BITS {
                return Some(KeyProblem::Malformed(format!(
                    "an RSA exponent of {e_bits} bits, over RFC 3110's 4096"
                )));
            }
            if n_bits < 1024 {
                return Some(KeyProblem::RsaTooShort(n_bits));
            }
            (e_bits > MAX_RSA_EXPONENT_BITS).then_some(KeyProblem::RsaExponentTooLarge(e_bits))
        }
        13 => length(64, "ECDSA P-256"),
        14 => length(96, "ECDSA P-384"),
        15 => length(32, "Ed25519"),
        16 => length(57, "Ed448"),
        _ => None,
    }
}

/// Splits an RFC 3110 RSA public key into (exponent, modulus).
pub fn rsa_components(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let (exp_len, rest) = match *key.first()? {
        0 => (
            u16::from_be_bytes([*key.get(1)?, *key.get(2)?]) as usize,
            &key[3..],
        ),
        n => (n as usize, &key[1..]),
    };
    if rest.len() <= exp_len {
        return None;
    }
    Some((&rest[..exp_len], &rest[exp_len..]))
}

/// Verifies `signature` over `message` with a DNSKEY public key.
pub fn verify(algorithm: u8, public_key: &[u8], message: &[u8], sig: &[u8]) -> Verdict {
    let ok = |valid: bool| {
        if valid {
            Verdict::Valid
        } else {
            Verdict::Invalid
        }
    };
    match algorithm {
        5 | 7 | 8 | 10 => {
            let Some((e, n)) = rsa_components(public_key) else {
                return Verdict::Invalid;
            };
            let n = strip_zeros(n);
            if bits(e) > MAX_RFC3110_EXPONENT_BITS {
                return Verdict::Invalid;
            }
            // ring takes moduli of 1024 bits and more with exponents of at
            // most 33 bits; the rest, within RFC 3110, is done by hand.
            if n.len() * 8 < 1024 || bits(e) > 33 {
                return ok(small_rsa_verify(algorithm, e, n, message, sig));
            }
            let params = match algorithm {
                8 => &signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                10 => &signature::RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
                _ => &signature::RSA_PKCS1_1024_8192_SHA1_FOR_LEGACY_USE_ONLY,
            };
            ok(RsaPublicKeyComponents { n, e }
                .verify(params, message, sig)
                .is_ok())
        }
        13 | 14 => {
            let params = if algorithm == 13 {
                &signature::ECDSA_P256_SHA256_FIXED
            } else {
                &signature::ECDSA_P384_SHA384_FIXED
            };
            let mut point = Vec::with_capacity(public_key.len() + 1);
            point.push(4);
            point.extend_from_slice(public_key);
            ok(UnparsedPublicKey::new(params, &point)
                .verify(message, sig)
                .is_ok())
        }
        15 => ok(UnparsedPublicKey::new(&signature::ED25519, public_key)
            .verify(message, sig)
            .is_ok()),
        _ => Verdict::Unsupported,
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2) by hand, for keys
/// ring does not take (short moduli, large exponents).
fn small_rsa_verify(algorithm: u8, e: &[u8], n: &[u8], message: &[u8], sig: &[u8]) -> bool {
    use ring::digest;
    let (hash_alg, prefix): (&digest::Algorithm, &[u8]) = match algorithm {
        8 => (
            &digest::SHA256,
            &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
        ),
        10 => (
            &digest::SHA512,
            &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        ),
        _ => (
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            &[
                0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
                0x14,
            ],
        ),
    };
    let k = n.len();
    if sig.len() != k || k < prefix.len() + hash_alg.output_len() + 11 {
        return false;
    }
    let modulus = BigUint::from_bytes_be(n);
    let s = BigUint::from_bytes_be(sig);
    if s >= modulus {
        return false;
    }
    let m = s.modpow(&BigUint::from_bytes_be(e), &modulus).to_bytes_be();
    let mut em = vec![0u8; k - m.len()];
    em.extend_from_slice(&m);
    let hash = digest::digest(hash_alg, message);
    let t_len = prefix.len() + hash.as_ref().len();
    let mut expected = vec![0x00, 0x01];
    expected.resize(k - t_len - 1, 0xff);
    expected.push(0);
    expected.extend_from_slice(prefix);
    expected.extend_from_slice(hash.as_ref());
    em == expected
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_and_unusable_keys_are_named() {
        assert!(matches!(
            key_problem(15, &[0; 31]),
            Some(KeyProblem::Malformed(_))
        ));
        assert!(matches!(
            key_problem(13, &[0; 10]),
            Some(KeyProblem::Malformed(_))
        ));
        assert_eq!(key_problem(13, &[1; 64]), None);
        // RSA: exponent length 1, exponent 3, a 512-bit modulus.
        let mut short = vec![1, 3];
        short.extend(std::iter::once(0x80).chain([1; 63]));
        assert_eq!(key_problem(8, &short), Some(KeyProblem::RsaTooShort(512)));
        // A 40-bit exponent with a 2048-bit modulus.
        let mut big_e = vec![5, 0x80, 0, 0, 0, 1];
        big_e.extend(std::iter::once(0x80).chain([1; 255]));
        assert_eq!(
            key_problem(8, &big_e),
            Some(KeyProblem::RsaExponentTooLarge(40))
        );
        assert!(matches!(
            key_problem(8, &[9, 1, 2]),
            Some(KeyProblem::Malformed(_))
        ));
    }

    /// RFC 3110 allows exponents ring does not take: such signatures are
    /// verified (as ldns and Knot do) and the key is reported for BIND.
    #[test]
    fn rfc3110_2_a_large_rsa_exponent_still_verifies() {
        use rsa::traits::PrivateKeyParts;
        let e = BigUint::from((1u64 << 36) + 27);
        let one = BigUint::from(1u8);
        // Primes from the rsa crate; the private exponent for our own e
        // (the crate itself refuses exponents over 33 bits).
        let (n, d) = loop {
            let key = rsa::RsaPrivateKey::new(&mut rand_core::OsRng, 1024).unwrap();
            let primes: Vec<BigUint> = key
                .primes()
                .iter()
                .map(|p| BigUint::from_bytes_be(&p.to_bytes_be()))
                .collect();
            let phi = (&primes[0] - &one) * (&primes[1] - &one);
            if let Some(d) = e.modinv(&phi) {
                break (&primes[0] * &primes[1], d);
            }
        };
        let message = b"signed data";
        let digest = ring::digest::digest(&ring::digest::SHA256, message);
        let k = n.to_bytes_be().len();
        let mut em = vec![0x00, 0x01];
        em.resize(k - 19 - 32 - 1, 0xff);
        em.push(0);
        em.extend_from_slice(&[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ]);
        em.extend_from_slice(digest.as_ref());
        let s = BigUint::from_bytes_be(&em).modpow(&d, &n).to_bytes_be();
        let mut signature = vec![0u8; k - s.len()];
        signature.extend_from_slice(&s);
        let e_bytes = e.to_bytes_be();
        let mut public = vec![e_bytes.len() as u8];
        public.extend_from_slice(&e_bytes);
        public.extend_from_slice(&n.to_bytes_be());
        assert_eq!(verify(8, &public, message, &signature), Verdict::Valid);
        assert_eq!(
            verify(8, &public, b"other data", &signature),
            Verdict::Invalid
        );
        assert_eq!(
            key_problem(8, &public),
            Some(KeyProblem::RsaExponentTooLarge(37))
        );
    }
}
