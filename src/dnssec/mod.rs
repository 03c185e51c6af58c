//! DNSSEC (RFC 4033–4035, RFC 5155, RFC 6840): key tags and DS digests,
//! the canonical form, signature verification, and verification of a
//! signed zone (signatures, NSEC and NSEC3 chains).

pub mod canonical;
pub mod crypto;
pub mod digest;
pub mod keys;
pub mod sign;
pub mod verify;
