//! Zone transfers (RFC 5936 AXFR, RFC 1995 IXFR) and NOTIFY (RFC 1996):
//! the client, applying incremental changes, the journal of applied
//! changes, and [`refresh`], which brings a local copy of a zone up to date
//! the way a secondary does.

pub mod apply;
pub mod client;
pub mod journal;
pub mod notify;
#[cfg(test)]
mod test_records;

use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::dnssec::verify::{VerifyOptions, is_signed, verify_zone};
use crate::fsutil::{AtomicFile, rotate_versions};
use crate::net::NetError;
use crate::tsig::TsigError;
use crate::wire::{WireError, rcode};
use crate::zone::reader::{self, ReadOptions};
use crate::zone::{Name, RType, Record, Severity, Zone, serial, writer};

pub use apply::apply;
pub use client::{Client, IxfrAnswer, RecordRef, Stats};

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum XfrError {
    #[error(transparent)]
    Net(#[from] NetError),
    #[error("malformed message from the server: {0}")]
    Wire(#[from] WireError),
    #[error("TSIG: {0}")]
    Tsig(#[from] TsigError),
    #[error("{server} answered {}", crate::wire::rcode_name(*rcode))]
    Rcode { server: SocketAddr, rcode: u16 },
    #[error("{0}")]
    Protocol(String),
    #[error("the answer ended before the closing SOA")]
    Empty,
    /// Rdata that is not its type's wire form (RFC 3597 §5): refused
    /// rather than written to the copy, where it would mislead every tool.
    #[error("the server sent a malformed {rtype} record for {owner}: {reason}")]
    BadRdata {
        owner: String,
        rtype: crate::zone::RType,
        reason: String,
    },
    /// A limit of the transfer was reached; the local copy is kept.
    #[error("{what} is larger than the limit of {limit} bytes")]
    TooLarge { what: &'static str, limit: u64 },
    #[error("UDP answer truncated")]
    Truncated,
    #[error("{server} closed the connection after {records} records, before the closing SOA")]
    Closed { server: SocketAddr, records: u64 },
    #[error("the incremental transfer cannot be applied: {0}")]
    Broken(String),
    #[error("{0}: {1}")]
    Local(PathBuf, String),
    #[error("writing the zone: {0}")]
    Output(#[source] io::Error),
    #[error(
        "the received zone fails DNSSEC verification ({count} problems), the local copy is kept:\n{first}"
    )]
    Dnssec { count: usize, first: String },
}

impl XfrError {
    /// Answers after which an IXFR is retried as AXFR: the primary does
    /// not do IXFR, or sent changes that do not fit our copy.
    fn calls_for_axfr(&self) -> bool {
        match self {
            XfrError::Rcode { rcode, .. } => matches!(
                *rcode,
                rcode::NOTIMP | rcode::FORMERR | rcode::REFUSED | rcode::SERVFAIL
            ),
            XfrError::Protocol(_) | XfrError::Broken(_) | XfrError::Empty | XfrError::Wire(_) => {
                true
            }
            _ => false,
        }
    }
}

/// The serial of SOA rdata (after MNAME and RNAME).
pub fn soa_serial(rdata: &[u8]) -> Option<u32> {
    let at = soa_serial_at(rdata)?;
    rdata
        .get(at..at + 4)
        .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Where the serial starts in SOA rdata: after the two names.
pub fn soa_serial_at(rdata: &[u8]) -> Option<usize> {
    let mname = crate::zone::name::wire_name_len(rdata)?;
    let rname = crate::zone::name::wire_name_len(rdata.get(mname..)?)?;
    let at = mname + rname;
    (rdata.len() >= at + 4).then_some(at)
}

/// One difference sequence of an IXFR (RFC 1995 §4): the SOA before, the
/// records deleted, the SOA after, the records added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changeset {
    pub from: Record,
    pub to: Record,
    pub deleted: Vec<Record>,
    pub added: Vec<Record>,
}

impl Changeset {
    pub fn from_serial(&self) -> u32 {
        soa_serial(&self.from.rdata).unwrap_or(0)
    }

    pub fn to_serial(&self) -> u32 {
        soa_serial(&self.to.rdata).unwrap_or(0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// IXFR when a local copy exists, AXFR otherwise.
    Auto,
    Axfr,
    Ixfr,
}

#[derive(Debug, Clone)]
pub struct RefreshOptions {
    pub mode: Mode,
    /// Try IXFR over UDP first.
    pub udp: bool,
    /// Ask the primary's SOA first and transfer only when it is newer.
    pub if_newer: bool,
    /// Previous versions to keep as FILE.1 … FILE.N.
    pub keep: usize,
    /// Verify the DNSSEC signatures of the new zone at this time (seconds
    /// since the epoch) before it replaces the local copy.
    pub verify_dnssec: Option<u32>,
    /// Largest journal, in bytes; the oldest changes are dropped beyond it.
    pub journal_limit: u64,
}

impl Default for RefreshOptions {
    fn default() -> Self {
        RefreshOptions {
            mode: Mode::Auto,
            udp: false,
            if_newer: false,
            keep: 0,
            verify_dnssec: None,
            journal_limit: journal::DEFAULT_LIMIT,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TransferKind {
    Axfr,
    Ixfr,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Updated,
    UpToDate,
    /// The primary's serial is older than ours.
    PrimaryBehind,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub transfer: TransferKind,
    pub serial_before: Option<u32>,
    pub serial_after: Option<u32>,
    /// Records in the zone written (0 when nothing was written).
    pub records: u64,
    /// IXFR: difference sequences applied, and records they deleted and added.
    pub changesets: usize,
    pub deleted: u64,
    pub added: u64,
    pub stats: Stats,
    /// Why an IXFR became an AXFR, or why the local copy was not used.
    pub fallback: Option<String>,
    /// Why the journal beside the copy was started anew, if it was.
    pub journal_note: Option<String>,
    pub duration: Duration,
}

/// The journal beside a zone file: `FILE.jnl`.
pub fn journal_path(zone_file: &Path) -> PathBuf {
    let mut name = zone_file.as_os_str().to_owned();
    name.push(".jnl");
    PathBuf::from(name)
}

fn local_read_options(zone: &Name) -> ReadOptions {
    ReadOptions {
        origin: Some(zone.clone()),
        ..Default::default()
    }
}

fn apex_soa(records: impl IntoIterator<Item = Record>, zone: &Name) -> Option<Record> {
    records
        .into_iter()
        .find(|r| r.rtype == RType::SOA && r.owner.eq_ignore_case(zone))
}

/// The SOA of the local copy, if there is one. Our files start with it,
/// so the first 64 KiB usually tell; otherwise the whole file is read.
fn local_soa(path: &Path, zone: &Name) -> Result<Option<Record>, String> {
    use std::io::Read;
    if !path.exists() {
        return Ok(None);
    }
    let mut head = Vec::with_capacity(1 << 16);
    crate::fsutil::open_regular(path)
        .and_then(|f| f.take(1 << 16).read_to_end(&mut head))
        .map_err(|e| e.to_string())?;
    if let Some(end) = head.iter().rposition(|&b| b == b'\n') {
        head.truncate(end + 1);
        let outcome =
            reader::read_bytes(&path.display().to_string(), &head, local_read_options(zone));
        if let Some(soa) = apex_soa(outcome.records, zone) {
            return Ok(Some(soa));
        }
    }
    let records = read_local(path, zone)?;
    apex_soa(records, zone)
        .map(Some)
        .ok_or_else(|| "the local copy has no SOA".to_string())
}

/// Every record of the local copy; an error if it does not read cleanly.
fn read_local(path: &Path, zone: &Name) -> Result<Vec<Record>, String> {
    let outcome = reader::read_file(path, local_read_options(zone));
    match outcome
        .diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
    {
        Some(d) => Err(d.to_string()),
        None => Ok(outcome.records),
    }
}

fn header_comment(client: &Client, serial: u32, how: &str) -> String {
    let mut when = String::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32);
    crate::zone::rdata::format_time(now, &mut when);
    apply::header_line(&client.zone, serial, &client.server.to_string(), how, &when)
}

fn check_dnssec(zone: &Zone, now: u32) -> Result<(), XfrError> {
    let mut problems: Vec<String> = verify_zone(
        zone,
        &VerifyOptions {
            now,
            ..Default::default()
        },
    )
    .iter()
    .map(|p| format!("{} {}: {}", p.owner, p.code, p.message))
    .collect();
    if !is_signed(zone) {
        problems.push(format!("{}: the zone has no signatures", zone.origin));
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(XfrError::Dnssec {
        count: problems.len(),
        first: problems
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n"),
    })
}

/// Writes a zone held in memory (after IXFR, or an AXFR-style answer):
/// the SOA first, then the records in the order given. Sorting a large
/// zone would cost more than the transfer; with --verify-dnssec the zone is
/// built (sorted) anyway, and written in canonical order.
fn store_zone(
    path: &Path,
    client: &Client,
    mut records: Vec<Record>,
    how: &str,
    options: &RefreshOptions,
) -> Result<(u32, u64), XfrError> {
    let soa_at = records
        .iter()
        .position(|r| r.rtype == RType::SOA && r.owner.eq_ignore_case(&client.zone))
        .ok_or_else(|| XfrError::Protocol("the zone has no SOA".into()))?;
    let serial = soa_serial(&records[soa_at].rdata)
        .ok_or_else(|| XfrError::Protocol("malformed SOA".into()))?;
    let mut file = AtomicFile::create(path).map_err(XfrError::Output)?;
    file.writer()
        .write_all(header_comment(client, serial, how).as_bytes())
        .map_err(XfrError::Output)?;
    let count = if let Some(now) = options.verify_dnssec {
        let (zone, _) = Zone::from_records(client.zone.clone(), client.class, records);
        check_dnssec(&zone, now)?;
        writer::write_zone(&zone, file.writer()).map_err(XfrError::Output)?;
        zone.record_count()
    } else {
        records.swap(0, soa_at);
        let mut line = String::with_capacity(512);
        for r in &records {
            writer::write_record(
                r.owner.as_wire(),
                r.ttl,
                r.class,
                r.rtype,
                &r.rdata,
                &mut line,
                file.writer(),
            )
            .map_err(XfrError::Output)?;
        }
        records.len()
    };
    rotate_versions(path, options.keep).map_err(XfrError::Output)?;
    file.commit().map_err(XfrError::Output)?;
    Ok((serial, count as u64))
}

/// Applies an incremental transfer to the local copy and writes it. A
/// file zonectl wrote is patched line by line; any other is read in full.
fn apply_incremental(
    path: &Path,
    client: &Client,
    local_serial: u32,
    changesets: &[Changeset],
    options: &RefreshOptions,
) -> Result<(u32, u64), XfrError> {
    let serial = changesets.last().map_or(local_serial, |c| c.to_serial());
    if options.verify_dnssec.is_none()
        && let Ok(text) = std::fs::read_to_string(path)
    {
        let mut file = AtomicFile::create(path).map_err(XfrError::Output)?;
        let header = header_comment(client, serial, "IXFR");
        let patched = apply::patch_file(
            &text,
            path,
            &client.zone,
            local_serial,
            changesets,
            &header,
            file.writer(),
        )?;
        if let Some(count) = patched {
            rotate_versions(path, options.keep).map_err(XfrError::Output)?;
            file.commit().map_err(XfrError::Output)?;
            return Ok((serial, count));
        }
    }
    let records =
        read_local(path, &client.zone).map_err(|e| XfrError::Local(path.to_path_buf(), e))?;
    let records = apply(records, local_serial, changesets)?;
    store_zone(path, client, records, "IXFR", options)
}

/// Receives the zone by AXFR straight into a temporary file beside `path`
/// (one message in memory at a time) and renames it into place once the
/// closing SOA has arrived and every check passed.
fn axfr_to_file(
    path: &Path,
    client: &Client,
    options: &RefreshOptions,
) -> Result<(u32, Stats), XfrError> {
    let mut file = AtomicFile::create(path).map_err(XfrError::Output)?;
    let placeholder = header_comment(client, 0, "AXFR");
    // The header names the serial, known only with the first record.
    let mut line = String::with_capacity(512);
    let mut header_written = false;
    let (serial, stats) = client.axfr(&mut |r| {
        if !header_written {
            let serial = soa_serial(r.rdata).unwrap_or(0);
            let text = placeholder.replacen(" serial 0,", &format!(" serial {serial},"), 1);
            file.writer().write_all(text.as_bytes())?;
            header_written = true;
        }
        line.clear();
        writer::format_record(r.owner, r.ttl, r.class, r.rtype, r.rdata, &mut line);
        line.push('\n');
        file.writer().write_all(line.as_bytes())
    })?;
    file.flush().map_err(XfrError::Output)?;
    if let Some(now) = options.verify_dnssec {
        let outcome = reader::read_file(
            file.temp_path(),
            ReadOptions {
                origin: Some(client.zone.clone()),
                ..Default::default()
            },
        );
        if let Some(d) = outcome
            .diagnostics
            .iter()
            .find(|d| d.severity == Severity::Error)
        {
            return Err(XfrError::Protocol(format!(
                "the received zone does not read back: {d}"
            )));
        }
        let (zone, _) = Zone::from_records(client.zone.clone(), client.class, outcome.records);
        check_dnssec(&zone, now)?;
    }
    rotate_versions(path, options.keep).map_err(XfrError::Output)?;
    file.commit().map_err(XfrError::Output)?;
    Ok((serial, stats))
}

/// Brings the zone file at `path` up to date from the primary `client`
/// names: IXFR when a usable local copy exists (falling back to AXFR),
/// AXFR otherwise. The file is replaced atomically, or not at all.
pub fn refresh(
    client: &Client,
    path: &Path,
    options: &RefreshOptions,
) -> Result<Outcome, XfrError> {
    let started = Instant::now();
    let wants_ixfr = options.mode != Mode::Axfr;
    let mut fallback = None;
    let local = match local_soa(path, &client.zone) {
        Ok(local) => local,
        Err(message) if options.mode == Mode::Ixfr => {
            return Err(XfrError::Local(path.to_path_buf(), message));
        }
        Err(message) => {
            fallback = Some(format!("local copy unusable ({message})"));
            None
        }
    };
    if options.mode == Mode::Ixfr && local.is_none() {
        return Err(XfrError::Local(
            path.to_path_buf(),
            "no local copy to take an IXFR onto".into(),
        ));
    }
    let serial_before = local.as_ref().and_then(|soa| soa_serial(&soa.rdata));
    // What every outcome shares; the cases below fill in the rest.
    let outcome = |status, transfer, serial_after, stats| Outcome {
        status,
        transfer,
        serial_before,
        serial_after,
        records: 0,
        changesets: 0,
        deleted: 0,
        added: 0,
        stats,
        fallback: None,
        journal_note: None,
        duration: started.elapsed(),
    };
    let unchanged =
        |status, serial_after, stats| outcome(status, TransferKind::None, serial_after, stats);
    let compare = |primary: u32| match serial_before {
        Some(local) => match serial::compare(primary, local) {
            Some(std::cmp::Ordering::Greater) => None,
            Some(std::cmp::Ordering::Equal) => Some(Status::UpToDate),
            _ => Some(Status::PrimaryBehind),
        },
        None => None,
    };
    if options.if_newer {
        let primary = client.soa_serial()?;
        if let Some(status) = compare(primary) {
            return Ok(unchanged(status, Some(primary), Stats::default()));
        }
    }
    if let Some(soa) = local.filter(|_| wants_ixfr) {
        let local_serial = serial_before.unwrap_or(0);
        match client.ixfr(&soa, options.udp) {
            Ok((IxfrAnswer::UpToDate { serial }, stats)) => {
                let status = compare(serial).unwrap_or(Status::UpToDate);
                return Ok(unchanged(status, Some(serial), stats));
            }
            Ok((IxfrAnswer::Full { records }, stats)) => {
                let (serial, count) =
                    store_zone(path, client, records, "AXFR-style IXFR", options)?;
                let _ = std::fs::remove_file(journal_path(path));
                return Ok(Outcome {
                    records: count,
                    fallback: Some("the primary answered the IXFR with the whole zone".into()),
                    ..outcome(Status::Updated, TransferKind::Axfr, Some(serial), stats)
                });
            }
            Ok((IxfrAnswer::Incremental { changesets }, stats)) => {
                match apply_incremental(path, client, local_serial, &changesets, options) {
                    Ok((serial, count)) => {
                        let journal_note = journal::append(
                            &journal_path(path),
                            &client.zone,
                            &changesets,
                            options.journal_limit,
                        )
                        .map_err(XfrError::Output)?;
                        return Ok(Outcome {
                            journal_note,
                            records: count,
                            changesets: changesets.len(),
                            deleted: changesets.iter().map(|c| c.deleted.len() as u64).sum(),
                            added: changesets.iter().map(|c| c.added.len() as u64).sum(),
                            ..outcome(Status::Updated, TransferKind::Ixfr, Some(serial), stats)
                        });
                    }
                    Err(e @ (XfrError::Broken(_) | XfrError::Local(..)))
                        if options.mode != Mode::Ixfr =>
                    {
                        fallback = Some(e.to_string())
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(e) if e.calls_for_axfr() && options.mode != Mode::Ixfr => {
                fallback = Some(format!("IXFR failed: {e}"))
            }
            Err(e) => return Err(e),
        }
    }
    let (serial, stats) = axfr_to_file(path, client, options)?;
    let _ = std::fs::remove_file(journal_path(path));
    Ok(Outcome {
        records: stats.records,
        fallback,
        ..outcome(Status::Updated, TransferKind::Axfr, Some(serial), stats)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    use super::test_records::{rec, sorted_lines};

    fn soa(serial: u32) -> Record {
        rec(&format!("@ 3600 IN SOA ns hm {serial} 1 1 1 1"))[0].clone()
    }

    #[test]
    fn rfc1995_4_applies_sequences_in_order() {
        let mut zone = rec("a 60 A 192.0.2.1\nb 60 A 192.0.2.2\nc 60 TXT x");
        zone.push(soa(1));
        let changesets = vec![
            Changeset {
                from: soa(1),
                to: soa(2),
                deleted: rec("a 60 A 192.0.2.1"),
                added: rec("d 60 A 192.0.2.4\nA.example. 30 A 192.0.2.1"),
            },
            Changeset {
                from: soa(2),
                to: soa(3),
                deleted: rec("d 60 A 192.0.2.4\nb 60 A 192.0.2.2"),
                added: rec("b 60 A 192.0.2.2\ne 60 A 192.0.2.5"),
            },
        ];
        let out = apply(zone, 1, &changesets).unwrap();
        let mut expected = rec("a 30 A 192.0.2.1\nb 60 A 192.0.2.2\nc 60 TXT x\ne 60 A 192.0.2.5");
        expected.push(soa(3));
        // `A.example.` re-added with TTL 30 keeps the added record's case.
        let got = sorted_lines(&out);
        assert_eq!(got.len(), 5);
        assert!(
            got.iter().any(|l| l.starts_with("A.example. 30")),
            "{got:?}"
        );
        assert!(got.iter().any(|l| l.starts_with("e.example. 60")));
        assert!(!got.iter().any(|l| l.starts_with("d.")));
        assert!(got.iter().any(|l| l.contains(" 3 1 1 1 1")));
    }

    /// A primary that refuses IXFR (NOTIMP) and answers AXFR.
    fn primary_without_ixfr(zone: Vec<Record>) -> std::net::SocketAddr {
        use crate::wire::{Message, MessageBuilder, Section, flag, opcode, rcode};
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for conn in listener.incoming().take(2) {
                let mut conn = conn.unwrap();
                let mut len = [0u8; 2];
                conn.read_exact(&mut len).unwrap();
                let mut query = vec![0u8; u16::from_be_bytes(len) as usize];
                conn.read_exact(&mut query).unwrap();
                let parsed = Message::parse(&query).unwrap();
                let (qname, qtype, _) = parsed.question.clone().unwrap();
                let id = parsed.header.id;
                let msg = if qtype == RType::IXFR {
                    MessageBuilder::new(id, opcode::QUERY, flag::QR | rcode::NOTIMP)
                        .question(&qname, qtype, 1)
                        .finish()
                } else {
                    let mut b = MessageBuilder::new(id, opcode::QUERY, flag::QR | flag::AA)
                        .question(&qname, qtype, 1);
                    for r in zone.iter().chain(zone.first()) {
                        b = b.record(
                            Section::Answer,
                            r.owner.as_wire(),
                            r.rtype,
                            r.class,
                            r.ttl,
                            &r.rdata,
                        );
                    }
                    b.finish()
                };
                conn.write_all(&(msg.len() as u16).to_be_bytes()).unwrap();
                conn.write_all(&msg).unwrap();
            }
        });
        addr
    }

    #[test]
    fn rfc1995_4_a_refused_ixfr_becomes_an_axfr() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("example.zone");
        std::fs::write(
            &path,
            "example. 3600 IN SOA ns hm 1 1 1 1 1\nold.example. 60 IN A 192.0.2.1\n",
        )
        .unwrap();
        let mut zone = vec![soa(2)];
        zone.extend(rec("new 60 A 192.0.2.2"));
        let client = Client::new(
            Name::parse(b"example.", None).unwrap(),
            primary_without_ixfr(zone),
        );
        let outcome = refresh(&client, &path, &RefreshOptions::default()).unwrap();
        assert_eq!(outcome.transfer, TransferKind::Axfr);
        assert_eq!(
            (outcome.serial_before, outcome.serial_after),
            (Some(1), Some(2))
        );
        assert!(outcome.fallback.unwrap().contains("NOTIMP"));
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("new.example. 60 IN A 192.0.2.2") && !text.contains("old.example."),
            "{text}"
        );
    }

    #[test]
    fn rfc1995_4_broken_sequences_are_refused() {
        let mut zone = rec("a 60 A 192.0.2.1");
        zone.push(soa(1));
        let gap = vec![Changeset {
            from: soa(2),
            to: soa(3),
            deleted: vec![],
            added: vec![],
        }];
        assert!(matches!(
            apply(zone.clone(), 1, &gap),
            Err(XfrError::Broken(_))
        ));
        let missing = vec![Changeset {
            from: soa(1),
            to: soa(2),
            deleted: rec("z 60 A 192.0.2.9"),
            added: vec![],
        }];
        assert!(matches!(apply(zone, 1, &missing), Err(XfrError::Broken(_))));
    }
}
