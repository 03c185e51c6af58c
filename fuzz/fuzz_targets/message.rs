//! Arbitrary DNS messages, as a server or a transfer client receives them:
//! parsing, walking every record (with name and rdata decompression),
//! finding and checking a TSIG record must not panic; every record that
//! parses must also print.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonectl::tsig::{self, Key, ResponseVerifier};
use zonectl::wire::Message;
use zonectl::zone::writer;

fuzz_target!(|data: &[u8]| {
    let Ok(message) = Message::parse(data) else {
        return;
    };
    let _ = message.full_rcode();
    let mut records = message.records();
    let (mut owner, mut rdata) = (Vec::new(), Vec::new());
    let mut line = String::new();
    while let Ok(Some(header)) = records.next_into(&mut owner, &mut rdata) {
        line.clear();
        writer::format_record(&owner, header.ttl, header.class, header.rtype, &rdata, &mut line);
    }
    let _ = records.check_end();
    let keys = [Key::parse_spec("key:hmac-sha256:c2VjcmV0").unwrap()];
    let _ = tsig::check_request(data, &keys, 1_700_000_000);
    if let Ok(found) = tsig::find(data) {
        let mut verifier = ResponseVerifier::new(&keys[0], vec![1, 2, 3]);
        let _ = verifier.check(data, found.as_ref());
    }
});
