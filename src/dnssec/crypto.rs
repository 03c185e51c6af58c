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
            if n.len() * 8 < 1024 {
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

/// RSASSA-PKCS1-v1_5 verification (RFC 8017 §8.2.2) by hand, for keys too
/// short for ring.
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
