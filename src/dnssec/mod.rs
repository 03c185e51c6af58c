//! DNSSEC (RFC 4033–4035, RFC 5155): key tags and DS digests so far; signing
//! and verification build on these.

pub mod digest;
