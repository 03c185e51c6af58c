//! NSEC3 owner-name hashing (RFC 5155 §5), shared by the signer and the
//! verifier.

use ring::digest;

use crate::zone::{Name, Severity};

/// RFC 5155 §5: IH(salt, x, 0) = H(x || salt); IH(salt, x, k) = H(IH(salt, x, k-1) || salt).
pub fn nsec3_hash(name: &Name, salt: &[u8], iterations: u16) -> Vec<u8> {
    let mut out = [0u8; 20];
    nsec3_hash_into(name.as_wire(), salt, iterations, &mut out);
    out.to_vec()
}

/// [`nsec3_hash`] of a wire name (lowercased here) into a fixed buffer,
/// without allocating: a server hashes a name for every NSEC3 proof.
pub fn nsec3_hash_into(wire: &[u8], salt: &[u8], iterations: u16, out: &mut [u8; 20]) {
    let mut lower = [0u8; 255];
    let n = wire.len().min(255);
    for (o, b) in lower.iter_mut().zip(&wire[..n]) {
        *o = b.to_ascii_lowercase();
    }
    let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(&lower[..n]);
    ctx.update(salt);
    let mut hash = ctx.finish();
    for _ in 0..iterations {
        let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
        ctx.update(hash.as_ref());
        ctx.update(salt);
        hash = ctx.finish();
    }
    out.copy_from_slice(hash.as_ref());
}

/// Extra NSEC3 iterations beyond which validators stop validating: Unbound
/// and Knot Resolver treat more than 100 as insecure, BIND more than 150
/// (RFC 9276 §3.2 lets them).
pub const NSEC3_ITERATIONS_VALIDATORS_ACCEPT: u16 = 100;

/// What to say of an NSEC3 iteration count: RFC 9276 §3.1 asks for 0;
/// above 100 validators give up on the zone's denial proofs.
pub fn iterations_advice(iterations: u16) -> Option<(Severity, String)> {
    match iterations {
        0 => None,
        1..=NSEC3_ITERATIONS_VALIDATORS_ACCEPT => Some((
            Severity::Info,
            format!("NSEC3 uses {iterations} extra iterations: RFC 9276 §3.1 asks for 0"),
        )),
        _ => {
            let who = if iterations > 150 {
                "Unbound, Knot Resolver and BIND treat its denial proofs as insecure"
            } else {
                "Unbound and Knot Resolver treat its denial proofs as insecure (BIND does above 150)"
            };
            Some((
                Severity::Warning,
                format!(
                    "NSEC3 uses {iterations} extra iterations: {who}; RFC 9276 §3.1 asks for 0"
                ),
            ))
        }
    }
}
