//! zonectl: DNS zone operations. The library holds the DNS logic; the
//! `zonectl` binary is a thin command-line face on it.

// Zones are millions of small allocations (names, rdata); mimalloc handles
// that pattern markedly faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

pub mod dnssec;
pub mod fsutil;
pub mod zone;
