//! Rdata that passes `validate_rdata` (what the reader accepts in `\#` form
//! and a transfer accepts off the wire) must be safe everywhere after:
//! in a zone, through check, DNSSEC verification, DS and key checks, and
//! the writer. This is the promise that lets those slice rdata by fixed
//! offsets.
#![no_main]

use libfuzzer_sys::fuzz_target;
use zonectl::dnssec::verify::{VerifyOptions, verify_zone};
use zonectl::zone::check::{CheckOptions, check_zone};
use zonectl::zone::validate::validate_rdata;
use zonectl::zone::{Name, RType, Record, Zone, writer};

fn record(owner: &Name, rtype: RType, rdata: &[u8]) -> Record {
    Record {
        owner: owner.clone(),
        rtype,
        class: 1,
        ttl: 3600,
        rdata: rdata.into(),
        pos: Default::default(),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let rtype = RType(u16::from_be_bytes([data[0], data[1]]) % 300);
    let at_apex = data[2] & 1 == 0;
    let rdata = &data[3..];
    if validate_rdata(rtype, rdata).is_err() {
        return;
    }
    let apex = Name::parse(b"example.", None).unwrap();
    let below = Name::parse(b"x.example.", None).unwrap();
    let ns = Name::parse(b"ns.example.", None).unwrap();
    let mut soa = b"\x02ns\x07example\x00\x02hm\x07example\x00".to_vec();
    for v in [1u32, 7200, 1800, 1209600, 3600] {
        soa.extend_from_slice(&v.to_be_bytes());
    }
    let records = vec![
        record(&apex, RType::SOA, &soa),
        record(&apex, RType::NS, ns.as_wire()),
        record(&ns, RType::A, &[192, 0, 2, 1]),
        record(if at_apex { &apex } else { &below }, rtype, rdata),
    ];
    let (zone, conflicts) = Zone::from_records(apex.clone(), 1, records);
    let _ = check_zone(&zone, &conflicts, &["fuzz".to_string()], &CheckOptions::default());
    let _ = verify_zone(
        &zone,
        &VerifyOptions {
            now: 1_700_000_000,
            threads: 1,
        },
    );
    if matches!(rtype, RType::DNSKEY | RType::CDNSKEY) {
        let _ = zonectl::dnssec::digest::ds_rdata(&apex, rdata, 2);
        let _ = zonectl::dnssec::crypto::key_problem(rdata[3], &rdata[4..]);
    }
    let mut out = Vec::new();
    writer::write_zone(&zone, &mut out).unwrap();
});
