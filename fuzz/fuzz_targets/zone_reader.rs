//! Arbitrary bytes as a zone file: the reader, the zone model, the checks
//! and DNSSEC verification must not panic, and whatever reads cleanly must
//! survive write-then-read unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonectl::dnssec::verify::{VerifyOptions, verify_zone};
use zonectl::zone::check::{CheckOptions, check_zone};
use zonectl::zone::reader::{ReadOptions, read_bytes};
use zonectl::zone::writer::write_zone;
use zonectl::zone::{Name, Zone};

fuzz_target!(|data: &[u8]| {
    let origin = Name::parse(b"example.", None).unwrap();
    let options = ReadOptions { origin: Some(origin.clone()), max_generate: 1000, ..Default::default() };
    let outcome = read_bytes("fuzz.zone", data, options.clone());
    let records: Vec<_> = outcome.records.into_iter().filter(|r| r.owner.is_subdomain_of(&origin)).collect();
    let (zone, conflicts) = Zone::from_records(origin.clone(), 1, records);
    let files = vec!["fuzz.zone".to_string()];
    let _ = check_zone(&zone, &conflicts, &files, &CheckOptions::default());
    let _ = verify_zone(&zone, &VerifyOptions { now: 1_700_000_000, threads: 1 });
    if outcome.diagnostics.iter().any(|d| d.severity == zonectl::zone::Severity::Error) {
        return;
    }
    let mut text = Vec::new();
    write_zone(&zone, &mut text).unwrap();
    let again = read_bytes("written.zone", &text, options);
    assert_eq!(again.error_count(), 0, "our own output does not read: {}", String::from_utf8_lossy(&text));
    let (zone2, _) = Zone::from_records(origin, 1, again.records);
    let mut text2 = Vec::new();
    write_zone(&zone2, &mut text2).unwrap();
    assert_eq!(text, text2, "write is not a fixed point");
});
