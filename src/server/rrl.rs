//! Response rate limiting, as NSD and Knot do it: responses to one client
//! prefix (/24 and /56 by default) for one question and kind of answer
//! are counted per second; past the limit they are dropped, except every
//! `slip`th, which goes out truncated and empty (TC set) so that a real
//! client retries over TCP while a spoofed victim gets no amplification.
//!
//! The table is a fixed array of atomic counters indexed by a keyed hash,
//! so that it costs no allocation and no lock; colliding flows share a
//! counter, which only ever limits sooner.

use std::hash::{BuildHasher, Hasher};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use super::config::RrlConfig;

const SLOTS: usize = 1 << 16;

pub struct RateLimiter {
    rate: u32,
    slip: u32,
    ipv4_prefix: u8,
    ipv6_prefix: u8,
    /// Per slot: the second (high 32 bits) and the responses counted in it.
    slots: Box<[AtomicU64]>,
    hasher: std::collections::hash_map::RandomState,
}

fn mask_v6(octets: [u8; 16], prefix: u8) -> [u8; 16] {
    let bits = u128::from_be_bytes(octets);
    let mask = if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix.min(128)))
    };
    (bits & mask).to_be_bytes()
}

impl RateLimiter {
    /// A limiter, or none when the configuration turns RRL off.
    pub fn new(config: &RrlConfig) -> Option<RateLimiter> {
        (config.responses_per_second > 0).then(|| RateLimiter {
            rate: config.responses_per_second,
            slip: config.slip,
            ipv4_prefix: config.ipv4_prefix,
            ipv6_prefix: config.ipv6_prefix,
            slots: (0..SLOTS).map(|_| AtomicU64::new(0)).collect(),
            hasher: std::collections::hash_map::RandomState::new(),
        })
    }

    /// Lets a response go out (its length returned), or cuts it to a
    /// truncated header and question (slip), or drops it (0).
    pub fn admit(&self, addr: IpAddr, response: &mut [u8], now: u32) -> usize {
        let len = response.len();
        let Some(question_end) = question_end(response) else {
            return len;
        };
        let mut h = self.hasher.build_hasher();
        match addr {
            IpAddr::V4(a) => {
                let bits = u32::from_be_bytes(a.octets());
                let prefix = u32::from(self.ipv4_prefix.min(32));
                let mask = if prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - prefix)
                };
                h.write_u32(bits & mask);
            }
            IpAddr::V6(a) => h.write(&mask_v6(a.octets(), self.ipv6_prefix)),
        }
        // The question (lowercased) and the RCODE: one flow per answer kind.
        for &b in &response[12..question_end] {
            h.write_u8(b.to_ascii_lowercase());
        }
        h.write_u8(response[3] & 0xf);
        let slot = &self.slots[h.finish() as usize % SLOTS];
        let mut current = slot.load(Ordering::Relaxed);
        let count = loop {
            let (second, count) = ((current >> 32) as u32, current as u32);
            let next_count = if second == now {
                count.saturating_add(1)
            } else {
                1
            };
            let next = (u64::from(now) << 32) | u64::from(next_count);
            match slot.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break next_count,
                Err(seen) => current = seen,
            }
        };
        if count <= self.rate {
            return len;
        }
        let over = count - self.rate;
        if self.slip > 0 && over.is_multiple_of(self.slip) {
            // Header and question only, TC set.
            response[2] |= 0x02;
            for b in &mut response[6..12] {
                *b = 0;
            }
            return question_end;
        }
        0
    }
}

fn question_end(msg: &[u8]) -> Option<usize> {
    if msg.len() < 12 || msg[4..6] != [0, 1] {
        return None;
    }
    let mut pos = 12;
    loop {
        let len = *msg.get(pos)? as usize;
        if len & 0xc0 != 0 {
            return None;
        }
        pos += len + 1;
        if len == 0 {
            break;
        }
    }
    (pos + 4 <= msg.len()).then_some(pos + 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_rate_responses_slip_or_drop() {
        let limiter = RateLimiter::new(&RrlConfig {
            responses_per_second: 3,
            slip: 2,
            ipv4_prefix: 24,
            ipv6_prefix: 56,
        })
        .unwrap();
        let mut response = vec![0, 1, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0];
        response.extend_from_slice(b"\x01a\x00\x00\x01\x00\x01");
        response.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
        let addr: IpAddr = "192.0.2.7".parse().unwrap();
        let neighbour: IpAddr = "192.0.2.99".parse().unwrap();
        let mut lens = Vec::new();
        for _ in 0..7 {
            let mut r = response.clone();
            lens.push(limiter.admit(addr, &mut r, 100));
        }
        assert_eq!(lens, [35, 35, 35, 0, 19, 0, 19]);
        // The same /24 shares the budget; the next second starts afresh.
        assert_eq!(limiter.admit(neighbour, &mut response.clone(), 100), 0);
        assert_eq!(limiter.admit(addr, &mut response.clone(), 101), 35);
        let mut slipped = response.clone();
        for _ in 0..4 {
            slipped = response.clone();
            limiter.admit(addr, &mut slipped, 101);
        }
        assert_eq!(slipped[2] & 0x02, 0x02);
        assert_eq!(&slipped[6..12], &[0; 6]);
    }
}
