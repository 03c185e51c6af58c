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
//! SOA first. Changesets are in the order they were applied. The last line,
//! `; sha256 HEX`, is the SHA-256 digest of everything before it, so that a
//! damaged or truncated journal is found out. The journal is rewritten
//! atomically; beyond its size limit the oldest changesets go. A journal
//! that is not ours, is for another zone, fails its digest or does not
//! lead to the changes being added is replaced by a new one, and the
//! caller is told why.

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

const DIGEST_PREFIX: &str = "; sha256 ";

fn digest_line(text: &str) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    let mut hex = String::with_capacity(64);
    crate::zone::encoding::hex_encode(digest.as_ref(), &mut hex);
    format!("{DIGEST_PREFIX}{}\n", hex.to_ascii_lowercase())
}

/// The text of a journal before its digest line, if the digest matches.
fn verified(text: &str) -> Option<&str> {
    let body = text.strip_suffix('\n')?;
    let at = body.rfind('\n').map_or(0, |i| i + 1);
    let (content, last) = text.split_at(at);
    (last.starts_with(DIGEST_PREFIX) && digest_line(content) == last).then_some(content)
}

/// The changesets of an existing journal that new ones can follow, or why
/// the journal cannot be kept.
fn usable_body(text: &str, zone: &Name, first_new: Option<u32>) -> Result<String, String> {
    let header = format!("{MAGIC} {zone}");
    let Some(first_line) = text.lines().next().filter(|l| l.starts_with(MAGIC)) else {
        return Err("it is not a zonectl journal".into());
    };
    if !first_line.eq_ignore_ascii_case(&header) {
        let other = first_line.strip_prefix(MAGIC).unwrap_or("").trim();
        return Err(format!("it is the journal of {other}, not of {zone}"));
    }
    let Some(content) = verified(text) else {
        return Err("its SHA-256 digest does not match (damaged or cut short)".into());
    };
    let body: String = content.lines().skip(1).flat_map(|l| [l, "\n"]).collect();
    // The newest changeset must end where the new ones start.
    let last_to = body
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("changeset "))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|t| t.parse::<u32>().ok());
    match (last_to, first_new) {
        (Some(to), Some(from)) if to != from => Err(format!(
            "its changes end at serial {to}, and the new ones start at {from}"
        )),
        _ => Ok(body),
    }
}

/// Appends changesets to the journal at `path` (creating it), dropping the
/// oldest ones while the journal is larger than `limit` bytes. When the
/// journal there cannot be continued, a new one is started and the reason
/// returned.
pub fn append(
    path: &Path,
    zone: &Name,
    changesets: &[Changeset],
    limit: u64,
) -> io::Result<Option<String>> {
    // A journal holds at most `limit` bytes; reading twice that is enough
    // to see whether the one there is ours.
    let (mut body, note) =
        match crate::fsutil::read_bounded(path, limit.saturating_mul(2).max(1 << 20)) {
            Ok(text) => match usable_body(&text, zone, changesets.first().map(|c| c.from_serial()))
            {
                Ok(body) => (body, None),
                Err(why) => (
                    String::new(),
                    Some(format!(
                        "{} was replaced by a new journal: {why}",
                        path.display()
                    )),
                ),
            },
            Err(e) if e.kind() == io::ErrorKind::NotFound => (String::new(), None),
            Err(e) => (
                String::new(),
                Some(format!(
                    "{} was replaced by a new journal: {}",
                    path.display(),
                    crate::fsutil::io_reason(&e)
                )),
            ),
        };
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
    let content = format!("{MAGIC} {zone}\n{body}");
    write_atomically(path, |out| {
        out.write_all(content.as_bytes())?;
        out.write_all(digest_line(&content).as_bytes())
    })?;
    Ok(note)
}

/// Reads every changeset of a journal, oldest first.
pub fn read(path: &Path) -> Result<Vec<Changeset>, JournalError> {
    let whole = std::fs::read_to_string(path)?;
    let file = path.display().to_string();
    let error = |line: usize, message: &str| JournalError::Format {
        file: file.clone(),
        line,
        message: message.to_string(),
    };
    let Some(text) = verified(&whole) else {
        return Err(error(
            whole.lines().count(),
            "the SHA-256 digest line is missing or does not match (damaged or cut short)",
        ));
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

    /// A change from serial `from` to `to`: one record out, two in.
    fn changeset(from: u32, to: u32) -> Changeset {
        let rec = crate::xfr::test_records::rec;
        Changeset {
            from: rec(&format!("@ 60 SOA ns hm {from} 1 1 1 1")).remove(0),
            to: rec(&format!("@ 60 SOA ns hm {to} 1 1 1 1")).remove(0),
            deleted: rec(&format!("old{from} 60 A 192.0.2.1")),
            added: rec(&format!("new{to} 60 TXT \"a b\"\nnew{to} 60 AAAA ::1")),
        }
    }

    #[test]
    fn round_trip_and_size_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.jnl");
        let origin = Name::parse(b"example.", None).unwrap();
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

    #[test]
    fn a_journal_that_cannot_be_continued_is_replaced_and_the_reason_given() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.jnl");
        let origin = Name::parse(b"example.", None).unwrap();
        let cases: [(&str, &str); 4] = [
            ("garbage\n", "not a zonectl journal"),
            ("; zonectl journal 1 other.org.\n", "journal of other.org."),
            (
                "; zonectl journal 1 example.\nchangeset 1 2 20260101000000\n",
                "digest",
            ),
            ("", "end at serial 2"),
        ];
        for (content, why) in cases {
            if content.is_empty() {
                // A good journal ending at 2, followed by changes from 5.
                std::fs::remove_file(&path).ok();
                assert_eq!(
                    append(&path, &origin, &[changeset(1, 2)], DEFAULT_LIMIT).unwrap(),
                    None
                );
            } else {
                std::fs::write(&path, content).unwrap();
            }
            let note = append(&path, &origin, &[changeset(5, 6)], DEFAULT_LIMIT)
                .unwrap()
                .unwrap_or_else(|| panic!("no note for {content:?}"));
            assert!(note.contains(why), "{note}");
            let kept = read(&path).unwrap();
            assert_eq!(kept, vec![changeset(5, 6)]);
        }
        // A byte changed anywhere is found on reading.
        let mut text = std::fs::read_to_string(&path).unwrap();
        text = text.replacen("new6", "new7", 1);
        std::fs::write(&path, text).unwrap();
        assert!(read(&path).unwrap_err().to_string().contains("digest"));
    }
}
