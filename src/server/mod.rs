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

/// Lowers the calling thread's priority (nice 10, Linux threads have their
/// own): work off the answer path (updates, NOTIFY, saving zone files,
/// background signing) then yields the CPU to the UDP workers whenever
/// both want it, so that a burst of updates costs queries little.
pub fn yield_to_answers() {
    // SAFETY: gettid and setpriority on the calling thread; no memory is
    // passed.
    unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, 10);
    }
}
