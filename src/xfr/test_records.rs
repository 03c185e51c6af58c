//! Records for the transfer tests, written as zone text under `example.`.

use crate::zone::reader::{ReadOptions, read_bytes};
use crate::zone::{Name, Record, writer};

/// The records of `text` (relative names under `example.`), positions
/// cleared so that records compare by content.
pub fn rec(text: &str) -> Vec<Record> {
    read_bytes(
        "t",
        text.as_bytes(),
        ReadOptions {
            origin: Some(Name::parse(b"example.", None).unwrap()),
            ..Default::default()
        },
    )
    .records
    .into_iter()
    .map(|r| Record {
        pos: Default::default(),
        ..r
    })
    .collect()
}

/// Records as sorted presentation lines, to compare sets of records.
pub fn sorted_lines(records: &[Record]) -> Vec<String> {
    let mut lines: Vec<String> = records
        .iter()
        .map(|r| {
            let mut s = String::new();
            writer::format_record(r.owner.as_wire(), r.ttl, r.class, r.rtype, &r.rdata, &mut s);
            s
        })
        .collect();
    lines.sort();
    lines
}
