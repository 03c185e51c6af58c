//! DNSSEC (RFC 4033–4035, RFC 5155, RFC 6840, RFC 8976): key tags and DS
//! digests, the canonical form and the data an RRSIG signs, NSEC3 hashing,
//! ZONEMD digests, signature verification, keys, signing, and verification
//! of a signed zone (signatures, NSEC and NSEC3 chains). `sign` and
//! `verify` share the pieces below them and do not use each other.

pub mod canonical;
pub mod crypto;
pub mod digest;
pub mod keys;
pub mod keystore;
pub mod nsec3;
pub mod sign;
pub mod timing;
pub mod verify;
pub mod zonemd;
