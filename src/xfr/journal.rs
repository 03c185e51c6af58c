//! The journal of IXFR changes applied to a zone file, kept beside it as
//! `FILE.jnl`, so that a server can answer IXFR from it later.
//!
//! The format is text, one record per line in presentation format:
//!
//! ```text
//! ; zonectl journal 1 example.com.
//! changeset 2026112501 2026112502 20261125110000
//! - example.com. 3600 IN SOA ns1.example.com. hm.example.com. 2026112501 ...
//! - old.example.com. 3600 IN A 192.0.2.1
//! + example.com. 3600 IN SOA ns1.example.com. hm.example.com. 2026112502 ...
//! + new.example.com. 3600 IN A 192.0.2.2
//! ```
//!
//! A `changeset FROM TO TIME` line opens each difference sequence (serials,
//! then when it was applied, YYYYMMDDHHmmSS UTC); `- ` lines are the
//! records deleted, the old SOA first; `+ ` lines the records added, the new
//! SOA first. Changesets are in the order they were applied. The journal is
//! rewritten atomically; beyond its size limit the oldest changesets go.

use std::io;
use std::path::Path;

use thiserror::Error;

use super::Changeset;
use crate::fsutil::write_atomically;
use crate::zone::reader;
use crate::zone::{Name, RType, Record, writer};

pub const DEFAULT_LIMIT: u64 = 64 << 20;
const MAGIC: &str = "; zonectl journal 1";

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum JournalError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("{file}:{line}: {message}")]
    Format {
        file: String,
        line: usize,
        message: String,
    },
}

fn push_record(prefix: &str, r: &Record, out: &mut String) {
    out.push_str(prefix);
    writer::format_record(r.owner.as_wire(), r.ttl, r.class, r.rtype, &r.rdata, out);
    out.push('\n');
}

fn format_changeset(c: &Changeset, applied: u32, out: &mut String) {
    let mut when = String::new();
    crate::zone::rdata::format_time(applied, &mut when);
    out.push_str(&format!(
        "changeset {} {} {when}\n",
        c.from_serial(),
        c.to_serial()
    ));
    push_record("- ", &c.from, out);
    for r in &c.deleted {
        push_record("- ", r, out);
    }
    push_record("+ ", &c.to, out);
    for r in &c.added {
        push_record("+ ", r, out);
    }
}

fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

/// Appends changesets to the journal at `path` (creating it), dropping the
/// oldest ones while the journal is larger than `limit` bytes.
pub fn append(path: &Path, zone: &Name, changesets: &[Changeset], limit: u64) -> io::Result<()> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) if text.starts_with(MAGIC) => text,
        Ok(_) | Err(_) => String::new(),
    };
    let mut body: String = existing.lines().skip(1).flat_map(|l| [l, "\n"]).collect();
    let applied = now();
    for c in changesets {
        format_changeset(c, applied, &mut body);
    }
    while body.len() as u64 > limit {
        // Drop the oldest changeset, keeping at least the newest one.
        let Some(next) = body[1..].find("\nchangeset ").map(|i| i + 2) else {
            break;
        };
        body.drain(..next);
    }
    write_atomically(path, |out| {
        writeln!(out, "{MAGIC} {zone}")?;
        out.write_all(body.as_bytes())
    })
}

/// Reads every changeset of a journal, oldest first.
pub fn read(path: &Path) -> Result<Vec<Changeset>, JournalError> {
    let text = std::fs::read_to_string(path)?;
    let file = path.display().to_string();
    let error = |line: usize, message: &str| JournalError::Format {
        file: file.clone(),
        line,
        message: message.to_string(),
    };
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, first)) if first.starts_with(MAGIC) => {}
        _ => return Err(error(1, "not a zonectl journal")),
    }
    // (line of the changeset header, deleted text, added text)
    let mut pending: Vec<(usize, String, String)> = Vec::new();
    for (i, line) in lines {
        if line.starts_with("changeset ") {
            pending.push((i + 1, String::new(), String::new()));
        } else if let Some(record) = line.strip_prefix("- ") {
            let current = pending
                .last_mut()
                .ok_or_else(|| error(i + 1, "record before any changeset"))?;
            if !current.2.is_empty() {
                return Err(error(i + 1, "deleted record after added ones"));
            }
            current.1.push_str(record);
            current.1.push('\n');
        } else if let Some(record) = line.strip_prefix("+ ") {
            let current = pending
                .last_mut()
                .ok_or_else(|| error(i + 1, "record before any changeset"))?;
            current.2.push_str(record);
            current.2.push('\n');
        } else if !line.is_empty() && !line.starts_with(';') {
            return Err(error(
                i + 1,
                "expected a changeset line or a record after \"- \" or \"+ \"",
            ));
        }
    }
    let parse = |line: usize, text: &str| -> Result<(Record, Vec<Record>), JournalError> {
        let records = reader::read_absolute(&file, text)
            .map_err(|d| error(line, &format!("bad record: {}", d.message)))?;
        let mut records = records.into_iter();
        match records.next() {
            // Positions in the journal mean nothing to its users.
            Some(soa) if soa.rtype == RType::SOA => Ok((
                Record {
                    pos: Default::default(),
                    ..soa
                },
                records
                    .map(|r| Record {
                        pos: Default::default(),
                        ..r
                    })
                    .collect(),
            )),
            _ => Err(error(
                line,
                "a changeset's deletions and additions must each start with an SOA",
            )),
        }
    };
    pending
        .into_iter()
        .map(|(line, deleted, added)| {
            let (from, deleted) = parse(line, &deleted)?;
            let (to, added) = parse(line, &added)?;
            Ok(Changeset {
                from,
                to,
                deleted,
                added,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.jnl");
        let origin = Name::parse(b"example.", None).unwrap();
        let rec = crate::xfr::test_records::rec;
        let changeset = |from: u32, to: u32| Changeset {
            from: rec(&format!("@ 60 SOA ns hm {from} 1 1 1 1")).remove(0),
            to: rec(&format!("@ 60 SOA ns hm {to} 1 1 1 1")).remove(0),
            deleted: rec(&format!("old{from} 60 A 192.0.2.1")),
            added: rec(&format!("new{to} 60 TXT \"a b\"\nnew{to} 60 AAAA ::1")),
        };
        append(&path, &origin, &[changeset(1, 2)], DEFAULT_LIMIT).unwrap();
        append(
            &path,
            &origin,
            &[changeset(2, 3), changeset(3, 4)],
            DEFAULT_LIMIT,
        )
        .unwrap();
        let read_back = read(&path).unwrap();
        assert_eq!(
            read_back,
            vec![changeset(1, 2), changeset(2, 3), changeset(3, 4)]
        );
        // A small limit keeps only the newest changesets.
        append(&path, &origin, &[changeset(4, 5)], 400).unwrap();
        let kept = read(&path).unwrap();
        assert!(kept.len() < 4 && !kept.is_empty());
        assert_eq!(kept.last().unwrap().to_serial(), 5);
    }
}
