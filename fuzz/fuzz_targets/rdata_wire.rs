//! Arbitrary wire rdata of any type, as a server or a transfer receives it:
//! printing must not panic, and what prints in typed form must parse back
//! to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonectl::zone::rdata::{self, Token};
use zonectl::zone::{Name, RType};

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let rtype = RType(u16::from_be_bytes([data[0], data[1]]) % 300);
    let wire = &data[2..];
    let mut text = String::new();
    rdata::write(rtype, wire, &mut text);
    if text.starts_with("\\#") || rtype.is_meta() {
        return;
    }
    // Split as the reader would: quoted strings stay whole.
    let tokens = split(&text);
    let toks: Vec<Token<'_>> = tokens.iter().map(|(t, q)| Token { text: t, quoted: *q }).collect();
    let mut back = Vec::new();
    let origin = Name::root();
    rdata::parse(rtype, &toks, &origin, &mut back).unwrap_or_else(|e| panic!("{rtype} {text:?} does not parse back: {e:?}"));
    assert_eq!(back, wire, "{rtype} {text:?}");
});

fn split(text: &str) -> Vec<(Vec<u8>, bool)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b' ' {
            i += 1;
            continue;
        }
        let mut token = Vec::new();
        let mut quoted = false;
        while i < bytes.len() && bytes[i] != b' ' {
            match bytes[i] {
                b'"' => {
                    quoted = token.is_empty();
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        if bytes[i] == b'\\' {
                            token.push(bytes[i]);
                            i += 1;
                        }
                        token.push(bytes[i]);
                        i += 1;
                    }
                    i += 1;
                }
                b'\\' => {
                    token.extend_from_slice(&bytes[i..i + 2]);
                    i += 2;
                }
                c => {
                    token.push(c);
                    i += 1;
                }
            }
        }
        out.push((token, quoted));
    }
    out
}
