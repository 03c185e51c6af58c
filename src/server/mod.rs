//! `zonectl serve`: an authoritative DNS server.
//!
//! [`store`] holds each zone as versions that readers use without locks;
//! [`answer`] finds the answer to a query in them (RFC 1034 §4.3.2 with
//! the DNSSEC rules of RFC 4035 and RFC 5155); [`engine`] wraps it in the
//! protocol (EDNS, cookies, truncation); [`response`] writes the message
//! without allocating; [`query`] reads one. The daemon ([`config`],
//! [`daemon`]) runs UDP workers on plain threads, one `SO_REUSEPORT`
//! socket each with batched receive and send, and TCP on tokio.

pub mod answer;
pub mod catalog;
pub mod config;
pub mod daemon;
pub mod engine;
pub mod key;
pub mod query;
pub mod response;
pub mod rrl;
pub mod secondary;
pub mod signer;
pub mod store;
pub mod tcp;
pub mod transfer;
pub mod udp;
pub mod update;
