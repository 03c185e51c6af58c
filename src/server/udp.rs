//! The UDP hot path: one socket per worker thread, all bound to the same
//! address with `SO_REUSEPORT` so that the kernel spreads queries over
//! them, each worker taking up to [`BATCH`] datagrams per `recvmmsg` and
//! sending the answers with one `sendmmsg`. Buffers are allocated once per
//! worker; answering allocates nothing.

use std::io;
use std::mem::MaybeUninit;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
use std::os::fd::{AsRawFd, FromRawFd};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::engine::{Client, Engine};
use super::rrl::RateLimiter;

/// Datagrams taken per system call.
pub const BATCH: usize = 32;
/// Largest query read; a longer datagram is cut short and then refused
/// as malformed.
const QUERY_BUFFER: usize = 4096;
const RESPONSE_BUFFER: usize = 4096;

/// Counters the workers keep (read by the daemon for its log).
#[derive(Default)]
pub struct UdpStats {
    pub queries: AtomicU64,
    pub responses: AtomicU64,
    pub dropped: AtomicU64,
}

/// A UDP socket bound with `SO_REUSEPORT` (and `IPV6_V6ONLY` for IPv6, so
/// that `[::]` and `0.0.0.0` can be served side by side), with a receive
/// timeout so that a worker notices shutdown.
pub fn bind_reuseport(addr: SocketAddr) -> io::Result<UdpSocket> {
    let domain = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    // SAFETY: plain socket calls on a descriptor we own; every return
    // value is checked.
    unsafe {
        let fd = libc::socket(domain, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        let socket = UdpSocket::from_raw_fd(fd);
        let one: libc::c_int = 1;
        let set = |level, name, value: &libc::c_int| {
            let rc = libc::setsockopt(
                fd,
                level,
                name,
                value as *const libc::c_int as *const libc::c_void,
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
            if rc < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(())
            }
        };
        set(libc::SOL_SOCKET, libc::SO_REUSEPORT, &one)?;
        if addr.is_ipv6() {
            set(libc::IPPROTO_IPV6, libc::IPV6_V6ONLY, &one)?;
        }
        let (storage, len) = to_sockaddr(addr);
        if libc::bind(fd, &storage as *const _ as *const libc::sockaddr, len) < 0 {
            return Err(io::Error::last_os_error());
        }
        socket.set_read_timeout(Some(std::time::Duration::from_millis(200)))?;
        Ok(socket)
    }
}

fn to_sockaddr(addr: SocketAddr) -> (libc::sockaddr_storage, libc::socklen_t) {
    // SAFETY: sockaddr_storage is plain data; all zeroes is valid.
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let len = match addr {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_in fits in sockaddr_storage.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in, sin) };
            std::mem::size_of::<libc::sockaddr_in>()
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_in6 fits in sockaddr_storage.
            unsafe { std::ptr::write(&mut storage as *mut _ as *mut libc::sockaddr_in6, sin6) };
            std::mem::size_of::<libc::sockaddr_in6>()
        }
    };
    (storage, len as libc::socklen_t)
}

fn from_sockaddr(storage: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match storage.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says this is a sockaddr_in.
            let sin = unsafe { &*(storage as *const _ as *const libc::sockaddr_in) };
            let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
            Some(SocketAddr::V4(SocketAddrV4::new(
                ip,
                u16::from_be(sin.sin_port),
            )))
        }
        libc::AF_INET6 => {
            // SAFETY: the family says this is a sockaddr_in6.
            let sin6 = unsafe { &*(storage as *const _ as *const libc::sockaddr_in6) };
            let ip = Ipv6Addr::from(sin6.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(
                ip,
                u16::from_be(sin6.sin6_port),
                sin6.sin6_flowinfo,
                sin6.sin6_scope_id,
            )))
        }
        _ => None,
    }
}

/// The buffers of one worker, allocated once.
struct Batch {
    queries: Box<[[u8; QUERY_BUFFER]]>,
    responses: Box<[[u8; RESPONSE_BUFFER]]>,
    addrs: Box<[libc::sockaddr_storage]>,
    recv_iov: Box<[libc::iovec]>,
    recv_hdr: Box<[libc::mmsghdr]>,
    send_iov: Box<[libc::iovec]>,
    send_hdr: Box<[libc::mmsghdr]>,
}

impl Batch {
    fn new() -> Box<Batch> {
        // SAFETY: every field is plain data for which all zeroes is valid;
        // the pointers are filled in before use.
        let zeroed = |_| unsafe { MaybeUninit::<libc::mmsghdr>::zeroed().assume_init() };
        let mut batch = Box::new(Batch {
            queries: vec![[0u8; QUERY_BUFFER]; BATCH].into_boxed_slice(),
            responses: vec![[0u8; RESPONSE_BUFFER]; BATCH].into_boxed_slice(),
            addrs: (0..BATCH)
                // SAFETY: as above.
                .map(|_| unsafe { std::mem::zeroed::<libc::sockaddr_storage>() })
                .collect(),
            recv_iov: (0..BATCH)
                .map(|_| libc::iovec {
                    iov_base: std::ptr::null_mut(),
                    iov_len: 0,
                })
                .collect(),
            recv_hdr: (0..BATCH).map(zeroed).collect(),
            send_iov: (0..BATCH)
                .map(|_| libc::iovec {
                    iov_base: std::ptr::null_mut(),
                    iov_len: 0,
                })
                .collect(),
            send_hdr: (0..BATCH).map(zeroed).collect(),
        });
        for i in 0..BATCH {
            batch.recv_iov[i].iov_base = batch.queries[i].as_mut_ptr() as *mut libc::c_void;
            batch.recv_iov[i].iov_len = QUERY_BUFFER;
        }
        batch
    }

    fn arm_receive(&mut self) {
        for i in 0..BATCH {
            let hdr = &mut self.recv_hdr[i].msg_hdr;
            hdr.msg_name = &mut self.addrs[i] as *mut _ as *mut libc::c_void;
            hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            hdr.msg_iov = &mut self.recv_iov[i];
            hdr.msg_iovlen = 1;
            hdr.msg_control = std::ptr::null_mut();
            hdr.msg_controllen = 0;
            hdr.msg_flags = 0;
            self.recv_hdr[i].msg_len = 0;
        }
    }
}

/// Answers on `socket` until `shutdown` is set.
pub fn run_worker(
    socket: UdpSocket,
    engine: Arc<Engine>,
    limiter: Option<Arc<RateLimiter>>,
    stats: Arc<UdpStats>,
    shutdown: Arc<AtomicBool>,
) {
    let fd = socket.as_raw_fd();
    let mut batch = Batch::new();
    let slow = start_slow_path(&socket, engine.clone());
    while !shutdown.load(Ordering::Relaxed) {
        batch.arm_receive();
        // SAFETY: the headers point into `batch`, which outlives the call.
        let received = unsafe {
            libc::recvmmsg(
                fd,
                batch.recv_hdr.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        if received <= 0 {
            continue; // timeout (a chance to see shutdown) or EINTR
        }
        let now = unix_now();
        let mut to_send = 0;
        // Counted once per batch: the counters are shared by every worker,
        // and one contended atomic per datagram costs more than answering.
        let mut dropped = 0;
        stats.queries.fetch_add(received as u64, Ordering::Relaxed);
        for i in 0..received as usize {
            let len = batch.recv_hdr[i].msg_len as usize;
            let truncated = batch.recv_hdr[i].msg_hdr.msg_flags & libc::MSG_TRUNC != 0;
            let Some(peer) = from_sockaddr(&batch.addrs[i]) else {
                continue;
            };
            if truncated || len == 0 {
                dropped += 1;
                continue;
            }
            // UPDATE and NOTIFY write to disk or wait on other servers:
            // they are answered off this thread.
            if is_slow(&batch.queries[i][..len])
                && let Some(slow) = &slow
            {
                let _ = slow.send((batch.queries[i][..len].to_vec(), peer));
                continue;
            }
            let client = Client {
                addr: peer.ip(),
                tcp: false,
            };
            let (queries, responses) = (&batch.queries, &mut batch.responses);
            let outcome = engine.respond(&queries[i][..len], client, now, &mut responses[i]);
            let mut out_len = outcome.len;
            if out_len > 0
                && !outcome.cookie_valid
                && let Some(limiter) = &limiter
            {
                out_len = limiter.admit(peer.ip(), &mut responses[i][..out_len], now);
            }
            if out_len == 0 {
                dropped += 1;
                continue;
            }
            batch.send_iov[to_send].iov_base = batch.responses[i].as_mut_ptr() as *mut libc::c_void;
            batch.send_iov[to_send].iov_len = out_len;
            let hdr = &mut batch.send_hdr[to_send].msg_hdr;
            hdr.msg_name = &mut batch.addrs[i] as *mut _ as *mut libc::c_void;
            hdr.msg_namelen = batch.recv_hdr[i].msg_hdr.msg_namelen;
            hdr.msg_iov = &mut batch.send_iov[to_send];
            hdr.msg_iovlen = 1;
            hdr.msg_control = std::ptr::null_mut();
            hdr.msg_controllen = 0;
            hdr.msg_flags = 0;
            to_send += 1;
        }
        let (mut sent, mut unsent) = (0, 0);
        while sent < to_send {
            // SAFETY: the headers point into `batch`, which outlives the call.
            let n = unsafe {
                libc::sendmmsg(
                    fd,
                    batch.send_hdr[sent..].as_mut_ptr(),
                    (to_send - sent) as libc::c_uint,
                    0,
                )
            };
            if n <= 0 {
                let err = io::Error::last_os_error();
                if err.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                // One bad destination must not stall the rest: skip it.
                sent += 1;
                unsent += 1;
                continue;
            }
            sent += n as usize;
        }
        stats
            .responses
            .fetch_add((to_send - unsent) as u64, Ordering::Relaxed);
        if dropped + unsent > 0 {
            stats
                .dropped
                .fetch_add((dropped + unsent) as u64, Ordering::Relaxed);
        }
    }
}

/// Whether a message is an UPDATE or a NOTIFY (by its opcode).
pub fn is_slow(msg: &[u8]) -> bool {
    msg.get(2).is_some_and(|b| matches!((b >> 3) & 0xf, 4 | 5))
}

/// A thread answering a worker's UPDATE and NOTIFY messages, through a
/// second handle on the worker's socket (so answers come from the address
/// asked).
fn start_slow_path(
    socket: &UdpSocket,
    engine: Arc<Engine>,
) -> Option<std::sync::mpsc::Sender<(Vec<u8>, SocketAddr)>> {
    let socket = socket.try_clone().ok()?;
    let (tx, rx) = std::sync::mpsc::channel::<(Vec<u8>, SocketAddr)>();
    std::thread::Builder::new()
        .name("udp-slow".into())
        .spawn(move || {
            super::yield_to_answers();
            let mut out = vec![0u8; RESPONSE_BUFFER];
            for (msg, peer) in rx {
                let client = Client {
                    addr: peer.ip(),
                    tcp: false,
                };
                let outcome = engine.respond(&msg, client, unix_now(), &mut out);
                if outcome.len > 0 {
                    let _ = socket.send_to(&out[..outcome.len], peer);
                }
            }
        })
        .ok()?;
    Some(tx)
}

pub fn unix_now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}
