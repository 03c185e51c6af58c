//! Base16, Base32hex (RFC 4648 §7, used by NSEC3) and Base64 codecs.
//!
//! Decoders are strict (wrong padding or stray characters are errors), since
//! a zone checker has to tell operators when their data is malformed.

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B32HEX: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";

pub fn hex_encode(data: &[u8], out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in data {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
}

fn hex_digit(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Decodes hex digits, appending to `out`. An odd count is an error.
pub fn hex_decode(text: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    if !text.len().is_multiple_of(2) {
        return Err("odd number of hex digits");
    }
    for pair in text.chunks(2) {
        match (hex_digit(pair[0]), hex_digit(pair[1])) {
            (Some(h), Some(l)) => out.push(h << 4 | l),
            _ => return Err("bad hex digit"),
        }
    }
    Ok(())
}

pub fn base64_encode(data: &[u8], out: &mut String) {
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
}

fn base64_value(c: u8) -> Option<u32> {
    match c {
        b'A'..=b'Z' => Some((c - b'A') as u32),
        b'a'..=b'z' => Some((c - b'a' + 26) as u32),
        b'0'..=b'9' => Some((c - b'0' + 52) as u32),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Decodes Base64 with canonical padding, appending to `out`.
pub fn base64_decode(text: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    if !text.len().is_multiple_of(4) {
        return Err("bad base64 encoding (length not a multiple of 4)");
    }
    let quads = text.len() / 4;
    for (index, quad) in text.chunks(4).enumerate() {
        let pad = quad.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 || (pad > 0 && index + 1 != quads) {
            return Err("bad base64 padding");
        }
        let mut n = 0u32;
        for &c in &quad[..4 - pad] {
            n = n << 6 | base64_value(c).ok_or("bad base64 character")?;
        }
        n <<= 6 * pad as u32;
        out.push((n >> 16) as u8);
        if pad < 2 {
            out.push((n >> 8) as u8);
        }
        if pad < 1 {
            out.push(n as u8);
        }
    }
    Ok(())
}

/// Base32hex without padding, as NSEC3 owner labels and hashes are written.
pub fn base32hex_encode(data: &[u8], out: &mut String) {
    let mut buffer = 0u64;
    let mut bits = 0;
    for &b in data {
        buffer = buffer << 8 | b as u64;
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32HEX[(buffer >> bits & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32HEX[(buffer << (5 - bits) & 31) as usize] as char);
    }
}

/// Decodes unpadded Base32hex (case-insensitive). Padding is refused, as
/// RFC 5155 §3.3 writes the hash without it.
pub fn base32hex_decode(text: &[u8], out: &mut Vec<u8>) -> Result<(), &'static str> {
    let mut buffer = 0u64;
    let mut bits = 0;
    for &c in text {
        let v = match c.to_ascii_uppercase() {
            d @ b'0'..=b'9' => d - b'0',
            l @ b'A'..=b'V' => l - b'A' + 10,
            b'=' => return Err("bad base32 encoding (padding is not allowed)"),
            _ => return Err("bad base32 encoding"),
        };
        buffer = buffer << 5 | v as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    // Leftover bits must be zero and fewer than one byte's worth.
    if bits >= 5 || buffer & ((1 << bits) - 1) != 0 {
        return Err("bad base32 encoding (trailing bits)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip() {
        for data in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            let mut text = String::new();
            base64_encode(data, &mut text);
            let mut back = Vec::new();
            base64_decode(text.as_bytes(), &mut back).unwrap();
            assert_eq!(back, data);
        }
        assert!(base64_decode(b"Zm9=v", &mut Vec::new()).is_err());
        assert!(base64_decode(b"Zg==Zg==", &mut Vec::new()).is_err());
    }

    #[test]
    fn rfc4648_base32hex_vectors() {
        for (data, text) in [
            (&b"f"[..], "CO"),
            (b"fo", "CPNG"),
            (b"foo", "CPNMU"),
            (b"foobar", "CPNMUOJ1E8"),
        ] {
            let mut out = String::new();
            base32hex_encode(data, &mut out);
            assert_eq!(out, text);
            let mut back = Vec::new();
            base32hex_decode(text.as_bytes(), &mut back).unwrap();
            assert_eq!(back, data);
        }
        assert!(base32hex_decode(b"CPNMU===", &mut Vec::new()).is_err());
    }
}
