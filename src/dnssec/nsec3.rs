//! NSEC3 owner-name hashing (RFC 5155 §5), shared by the signer and the
//! verifier.

use ring::digest;

use crate::zone::Name;

/// RFC 5155 §5: IH(salt, x, 0) = H(x || salt); IH(salt, x, k) = H(IH(salt, x, k-1) || salt).
pub fn nsec3_hash(name: &Name, salt: &[u8], iterations: u16) -> Vec<u8> {
    let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
    ctx.update(&name.as_wire().to_ascii_lowercase());
    ctx.update(salt);
    let mut hash = ctx.finish();
    for _ in 0..iterations {
        let mut ctx = digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY);
        ctx.update(hash.as_ref());
        ctx.update(salt);
        hash = ctx.finish();
    }
    hash.as_ref().to_vec()
}
