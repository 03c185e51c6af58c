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
//! SOA first. Changesets are in the order they were applied. A line
//! `; sha256 HEX` is the SHA-256 digest of everything before it, so that a
//! damaged or truncated journal is found out: a journal ends with one, and
//! a server that appends in place (instead of rewriting the file) writes
//! one after each changeset it adds, so that an append cut short by a
//! crash loses that changeset only. Beyond its size limit the oldest
//! changesets go, the file rewritten atomically. A journal
//! that is not ours, is for another zone, fails its digest or does not
//! lead to the changes being added is replaced by a new one, and the
//! caller is told why.

use std::io::{self, Write};
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

/// The text of a journal up to its last digest line that matches (each
/// covers everything before it), without that line, and what follows it
/// (an append cut short); `None` when no digest line matches.
fn verified(text: &str) -> Option<(&str, &str)> {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut pos = 0;
    let mut last = None;
    for line in text.split_inclusive('\n') {
        if line.starts_with(DIGEST_PREFIX) {
            if digest_text(context.clone()) != line {
                break; // nothing after a wrong digest can be trusted
            }
            last = Some((pos, pos + line.len()));
        }
        context.update(line.as_bytes());
        pos += line.len();
    }
    let (content_end, line_end) = last?;
    Some((&text[..content_end], &text[line_end..]))
}

fn digest_text(context: ring::digest::Context) -> String {
    let digest = context.finish();
    let mut hex = String::with_capacity(64);
    crate::zone::encoding::hex_encode(digest.as_ref(), &mut hex);
    format!("{DIGEST_PREFIX}{}\n", hex.to_ascii_lowercase())
}

/// Where the next append in place goes: the journal's length, the digest
/// state over all of it, and the serial its last changeset ends at.
#[derive(Clone)]
pub struct Tail {
    len: u64,
    context: ring::digest::Context,
    last_to: Option<u32>,
}

impl std::fmt::Debug for Tail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tail")
            .field("len", &self.len)
            .field("last_to", &self.last_to)
            .finish_non_exhaustive()
    }
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
    let Some((content, _)) = verified(text) else {
        return Err("its SHA-256 digest does not match (damaged or cut short)".into());
    };
    // Digest lines of appends in place cover prefixes that trimming
    // changes: the rewritten journal gets one of its own.
    let body: String = content
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with(DIGEST_PREFIX))
        .flat_map(|l| [l, "\n"])
        .collect();
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
    rewrite(path, zone, changesets, limit, limit).map(|(note, _)| note)
}

/// Appends one changeset to the journal that `tail` describes, in place:
/// the changeset and a digest line after it, synced. A journal that would
/// grow past `limit`, or that `tail` does not describe (`None`, or ending
/// at another serial), is rewritten instead, trimmed to three quarters of
/// the limit so that the next rewrites are many appends away.
pub fn append_in_place(
    path: &Path,
    tail: &mut Option<Tail>,
    zone: &Name,
    changeset: &Changeset,
    limit: u64,
) -> io::Result<Option<String>> {
    let mut text = String::new();
    format_changeset(changeset, now(), &mut text);
    let fits = tail.as_ref().is_some_and(|t| {
        t.last_to == Some(changeset.from_serial()) && t.len + text.len() as u64 + 80 <= limit
    });
    if let Some(current) = tail.as_mut().filter(|_| fits) {
        let mut context = current.context.clone();
        context.update(text.as_bytes());
        let line = digest_text(context.clone());
        context.update(line.as_bytes());
        text.push_str(&line);
        let written = (|| {
            let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
            // Nothing else writes here: the file is as long as we left it.
            if file.metadata()?.len() != current.len {
                return Err(io::Error::other("the journal changed under us"));
            }
            file.write_all(text.as_bytes())?;
            file.sync_data()
        })();
        if written.is_ok() {
            current.len += text.len() as u64;
            current.context = context;
            current.last_to = Some(changeset.to_serial());
            return Ok(None);
        }
        // A partial write leaves a tail that readers drop; the rewrite
        // below makes the file whole again.
    }
    let (note, fresh) = rewrite(
        path,
        zone,
        std::slice::from_ref(changeset),
        limit,
        limit / 4 * 3,
    )?;
    *tail = Some(fresh);
    Ok(note)
}

/// Appends by rewriting the journal atomically, the oldest changesets
/// dropped while it is larger than `keep` bytes; the note and the tail
/// for appends in place.
fn rewrite(
    path: &Path,
    zone: &Name,
    changesets: &[Changeset],
    limit: u64,
    keep: u64,
) -> io::Result<(Option<String>, Tail)> {
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
    while body.len() as u64 > keep {
        // Drop the oldest changeset, keeping at least the newest one.
        let Some(next) = body[1..].find("\nchangeset ").map(|i| i + 2) else {
            break;
        };
        body.drain(..next);
    }
    let content = format!("{MAGIC} {zone}\n{body}");
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(content.as_bytes());
    let digest = digest_text(context.clone());
    context.update(digest.as_bytes());
    write_atomically(path, |out| {
        out.write_all(content.as_bytes())?;
        out.write_all(digest.as_bytes())
    })?;
    let tail = Tail {
        len: (content.len() + digest.len()) as u64,
        context,
        last_to: changesets.last().map(|c| c.to_serial()),
    };
    Ok((note, tail))
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
    let Some((text, cut)) = verified(&whole) else {
        return Err(error(
            whole.lines().count(),
            "the SHA-256 digest line is missing or does not match (damaged or cut short)",
        ));
    };
    if !cut.is_empty() {
        tracing::warn!(
            "{file}: {} bytes after the last good digest (an append cut short) are dropped",
            cut.len()
        );
    }
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

    /// Appends in place add a digest line each; an append cut short by a
    /// crash loses only itself; past the limit the journal is rewritten
    /// smaller.
    #[test]
    fn appends_in_place_survive_a_torn_tail_and_trim_past_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("z.jnl");
        let origin = Name::parse(b"example.", None).unwrap();
        let mut tail = None;
        for serial in 1..6 {
            let note = append_in_place(
                &path,
                &mut tail,
                &origin,
                &changeset(serial, serial + 1),
                DEFAULT_LIMIT,
            )
            .unwrap();
            assert_eq!(note, None);
        }
        let all: Vec<Changeset> = (1..6).map(|s| changeset(s, s + 1)).collect();
        assert_eq!(read(&path).unwrap(), all);
        // A crash in the middle of the last append.
        let whole = std::fs::read(&path).unwrap();
        std::fs::write(&path, &whole[..whole.len() - 50]).unwrap();
        assert_eq!(read(&path).unwrap(), all[..4]);
        // The tail no longer describes the file: the next append rewrites it.
        append_in_place(&path, &mut tail, &origin, &changeset(6, 7), DEFAULT_LIMIT).unwrap();
        let kept = read(&path).unwrap();
        assert_eq!(kept.last().unwrap().to_serial(), 7);
        // A small limit: rewritten to three quarters of it.
        let mut tail = None;
        for serial in 7..20 {
            append_in_place(
                &path,
                &mut tail,
                &origin,
                &changeset(serial, serial + 1),
                1200,
            )
            .unwrap();
            assert!(std::fs::metadata(&path).unwrap().len() <= 1200);
        }
        assert_eq!(read(&path).unwrap().last().unwrap().to_serial(), 20);
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
