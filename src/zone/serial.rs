//! Serial number arithmetic (RFC 1982) for SOA serials.

use std::cmp::Ordering;

/// Compares two serials; `None` when they are exactly 2^31 apart, which
/// RFC 1982 §3.2 leaves undefined.
pub fn compare(a: u32, b: u32) -> Option<Ordering> {
    if a == b {
        return Some(Ordering::Equal);
    }
    let diff = b.wrapping_sub(a);
    match diff.cmp(&(1 << 31)) {
        Ordering::Less => Some(Ordering::Less),
        Ordering::Greater => Some(Ordering::Greater),
        Ordering::Equal => None,
    }
}

/// Adds `n` (at most 2^31 - 1, RFC 1982 §3.1).
pub fn add(serial: u32, n: u32) -> u32 {
    debug_assert!(n < 1 << 31);
    serial.wrapping_add(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1982_3_2_comparisons() {
        assert_eq!(compare(1, 2), Some(Ordering::Less));
        assert_eq!(compare(u32::MAX, 0), Some(Ordering::Less));
        assert_eq!(compare(0, u32::MAX), Some(Ordering::Greater));
        assert_eq!(compare(0, 1 << 31), None);
        assert_eq!(add(u32::MAX, 2), 1);
    }
}
