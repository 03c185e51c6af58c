//! zonectl: DNS zone operations. The library holds the DNS logic; the
//! `zonectl` binary is a thin command-line face on it.

pub mod check;
pub mod diff;
pub mod dnssec;
pub mod fsutil;
pub mod net;
pub mod probe;
pub mod push;
pub mod server;
pub mod tsig;
pub mod wire;
pub mod xfr;
pub mod zone;
