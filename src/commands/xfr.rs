//! `zonectl xfr`, `zonectl notify` and `zonectl tsig-keygen`.

use std::io::{self, BufWriter, Write};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use zonectl::net::parse_server;
use zonectl::tsig::{Algorithm, Key};
use zonectl::xfr::notify::{NotifyOptions, notify_all};
use zonectl::xfr::{
    Client, Mode, Outcome, RefreshOptions, Status, TransferKind, XfrError, refresh,
};
use zonectl::zone::rdata::parse_period;
use zonectl::zone::{RType, writer};

use super::parse_origin;
use super::progress::{Progress, Unit};
use crate::cli::{Format, NotifyArgs, TsigArgs, TsigKeygenArgs, XfrArgs};

/// The TSIG key the options name, if any. Errors never echo the secret.
pub(crate) fn load_key(args: &TsigArgs) -> Result<Option<Key>> {
    if let Some(spec) = &args.tsig {
        return Ok(Some(Key::parse_spec(spec)?));
    }
    let Some(file) = &args.tsig_file else {
        return Ok(None);
    };
    let keys = Key::read_file(file)?;
    let count = keys.len();
    let wanted = args.tsig_key.as_deref().map(parse_origin).transpose()?;
    match (Key::choose(keys, wanted.as_ref()), &args.tsig_key) {
        (Some(key), _) => Ok(Some(key)),
        (None, Some(name)) => bail!("{}: no key named {name}", file.display()),
        (None, None) => bail!(
            "{}: holds {count} keys; choose one with --tsig-key",
            file.display()
        ),
    }
}

fn parse_size(text: &str) -> Result<u64> {
    let (digits, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = digits
        .parse()
        .with_context(|| format!("bad size \"{text}\""))?;
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => bail!("bad size \"{text}\": units are k, M, G"),
    };
    n.checked_mul(1 << shift)
        .filter(|&bytes| bytes > 0)
        .ok_or_else(|| anyhow!("bad size \"{text}\": it is 0 or too large"))
}

fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

#[derive(Serialize)]
struct XfrReport {
    zone: String,
    server: String,
    status: Option<Status>,
    transfer: TransferKind,
    serial_before: Option<u32>,
    serial_after: Option<u32>,
    records: u64,
    changesets: usize,
    deleted: u64,
    added: u64,
    messages: u64,
    bytes: u64,
    /// "udp" or "tcp" for the answer; null when nothing was asked.
    transport: Option<&'static str>,
    duration_ms: u64,
    output: String,
    tsig_key: Option<String>,
    fallback: Option<String>,
    error: Option<String>,
    /// Why the journal (FILE.jnl) was started anew, if it was.
    journal_note: Option<String>,
    /// The limit that ended the transfer, if one did: "max-time",
    /// "max-size" or "max-ixfr-size".
    limit: Option<&'static str>,
}

/// Which of the transfer limits an error is, for the report.
fn limit_hit(error: &XfrError) -> Option<&'static str> {
    match error {
        XfrError::Net(zonectl::net::NetError::Deadline { .. }) => Some("max-time"),
        XfrError::TooLarge { what, .. } if what.contains("incremental") => Some("max-ixfr-size"),
        XfrError::TooLarge { .. } => Some("max-size"),
        _ => None,
    }
}

pub fn xfr(args: XfrArgs) -> Result<ExitCode> {
    let zone = parse_origin(&args.zone)?;
    let server = parse_server(&args.from, args.port)?;
    let key = load_key(&args.tsig)?;
    let mut client = Client::new(zone.clone(), server);
    client.key = key.clone();
    client.fudge = args.tsig.tsig_fudge;
    client.timeout = Duration::from_secs(args.timeout);
    let max_time = parse_period(args.max_time.as_bytes())
        .map_err(anyhow::Error::msg)
        .context("--max-time")?;
    if max_time == 0 {
        bail!("--max-time must be longer than 0");
    }
    client.max_time = Some(Duration::from_secs(max_time.into()));
    client.max_bytes = parse_size(&args.max_size).context("--max-size")?;
    client.max_ixfr_bytes = parse_size(&args.max_ixfr_size).context("--max-ixfr-size")?;
    let progress = Progress::start(0, Unit::Records);
    client.progress = Some(progress.counter());

    let started = std::time::Instant::now();
    let mut report = XfrReport {
        zone: zone.to_string(),
        server: server.to_string(),
        status: None,
        transfer: TransferKind::None,
        serial_before: None,
        serial_after: None,
        records: 0,
        changesets: 0,
        deleted: 0,
        added: 0,
        messages: 0,
        bytes: 0,
        transport: None,
        duration_ms: 0,
        output: args
            .output
            .as_ref()
            .map_or_else(|| "-".to_string(), |p| p.display().to_string()),
        tsig_key: key.as_ref().map(|k| k.name.to_string()),
        fallback: None,
        error: None,
        journal_note: None,
        limit: None,
    };
    let Some(path) = &args.output else {
        // To standard output: AXFR, streamed as it arrives. The zone has
        // standard output, so a JSON report goes to standard error.
        let stdout = io::stdout();
        let mut out = BufWriter::with_capacity(1 << 18, stdout.lock());
        let mut line = String::with_capacity(512);
        let result = client.axfr(&mut |r| {
            line.clear();
            writer::format_record(r.owner, r.ttl, r.class, r.rtype, r.rdata, &mut line);
            line.push('\n');
            out.write_all(line.as_bytes())
        });
        drop(progress);
        out.flush()?;
        report.duration_ms = started.elapsed().as_millis() as u64;
        let code = match result {
            Ok((serial, stats)) => {
                report.status = Some(Status::Updated);
                report.transfer = TransferKind::Axfr;
                report.serial_after = Some(serial);
                report.records = stats.records;
                report.messages = stats.messages;
                report.bytes = stats.bytes;
                report.transport = Some("tcp");
                0
            }
            Err(XfrError::Output(e)) => return Err(e.into()),
            Err(e) => {
                report.error = Some(e.to_string());
                report.limit = limit_hit(&e);
                1
            }
        };
        match args.format {
            Format::Json => eprintln!("{}", serde_json::to_string_pretty(&report)?),
            Format::Table => {
                if let Some(error) = &report.error {
                    eprintln!("zonectl: {zone}: transfer from {server} failed: {error}");
                }
            }
        }
        return Ok(ExitCode::from(code));
    };
    let options = RefreshOptions {
        mode: if args.axfr {
            Mode::Axfr
        } else if args.ixfr {
            Mode::Ixfr
        } else {
            Mode::Auto
        },
        udp: args.udp,
        if_newer: args.if_newer,
        keep: args.keep,
        verify_dnssec: args.verify_dnssec.then(now),
        journal_limit: parse_size(&args.journal_size)?,
    };
    let result = refresh(&client, path, &options);
    drop(progress);
    let code = match &result {
        Ok(outcome) => {
            fill_report(&mut report, outcome);
            match outcome.status {
                Status::PrimaryBehind => 1,
                _ => 0,
            }
        }
        Err(e) => {
            report.error = Some(e.to_string());
            report.limit = limit_hit(e);
            match e {
                XfrError::Local(..) | XfrError::Output(_) => 2,
                _ => 1,
            }
        }
    };
    match args.format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&report)?),
        Format::Table => print_summary(&report)?,
    }
    Ok(ExitCode::from(code))
}

fn fill_report(report: &mut XfrReport, outcome: &Outcome) {
    report.journal_note = outcome.journal_note.clone();
    report.status = Some(outcome.status);
    report.transfer = outcome.transfer;
    report.serial_before = outcome.serial_before;
    report.serial_after = outcome.serial_after;
    report.records = outcome.records;
    report.changesets = outcome.changesets;
    report.deleted = outcome.deleted;
    report.added = outcome.added;
    report.messages = outcome.stats.messages;
    report.bytes = outcome.stats.bytes;
    report.transport =
        (outcome.stats.messages > 0).then_some(if outcome.stats.udp { "udp" } else { "tcp" });
    report.duration_ms = outcome.duration.as_millis() as u64;
    report.fallback = outcome.fallback.clone();
}

fn serial_text(serial: Option<u32>) -> String {
    serial.map_or("none".into(), |s| s.to_string())
}

fn print_summary(r: &XfrReport) -> Result<()> {
    if let Some(error) = &r.error {
        eprintln!(
            "zonectl: {}: transfer from {} failed: {error}",
            r.zone, r.server
        );
        if r.serial_before.is_some() || std::path::Path::new(&r.output).exists() {
            eprintln!("zonectl: {} is unchanged", r.output);
        }
        return Ok(());
    }
    if let Some(why) = &r.fallback {
        eprintln!("note: {why}");
    }
    if let Some(why) = &r.journal_note {
        eprintln!("note: {why}");
    }
    match r.status {
        Some(Status::UpToDate) => outln!(
            "{}: up to date at serial {} ({} has {})",
            r.zone,
            serial_text(r.serial_before),
            r.server,
            serial_text(r.serial_after)
        ),
        Some(Status::PrimaryBehind) => eprintln!(
            "zonectl: {}: the primary {} has serial {}, older than the local {}; nothing changed",
            r.zone,
            r.server,
            serial_text(r.serial_after),
            serial_text(r.serial_before)
        ),
        _ => {
            let kind = match r.transfer {
                TransferKind::Axfr => "AXFR".to_string(),
                TransferKind::Ixfr => format!(
                    "IXFR ({} changesets: {} records deleted, {} added)",
                    r.changesets, r.deleted, r.added
                ),
                TransferKind::None => "no transfer".to_string(),
            };
            outln!(
                "{}: {kind} from {}: serial {} -> {}, {} records in {}, {} messages, {:.1} MB in {:.2} s{}",
                r.zone,
                r.server,
                serial_text(r.serial_before),
                serial_text(r.serial_after),
                r.records,
                r.output,
                r.messages,
                r.bytes as f64 / 1e6,
                r.duration_ms as f64 / 1000.0,
                r.tsig_key
                    .as_ref()
                    .map_or(String::new(), |k| format!(", TSIG {k}"))
            );
        }
    }
    Ok(())
}

pub fn notify(args: NotifyArgs) -> Result<ExitCode> {
    let zone = parse_origin(&args.zone)?;
    let targets = args
        .to
        .iter()
        .map(|t| parse_server(t, args.port))
        .collect::<Result<Vec<_>, _>>()?;
    let soa = match &args.zone_file {
        Some(path) => {
            let Some(z) = super::read_zone(path, Some(&args.zone), None)? else {
                return Ok(ExitCode::from(2));
            };
            Some(
                z.soa()
                    .and_then(|set| {
                        set.rdatas.first().map(|rdata| zonectl::zone::Record {
                            owner: set.owner.clone(),
                            rtype: RType::SOA,
                            class: set.class,
                            ttl: set.ttl,
                            rdata: rdata.clone(),
                            pos: set.pos,
                        })
                    })
                    .ok_or_else(|| anyhow!("{}: no SOA", path.display()))?,
            )
        }
        None => None,
    };
    let options = NotifyOptions {
        zone: zone.clone(),
        soa,
        key: load_key(&args.tsig)?,
        fudge: args.tsig.tsig_fudge,
        timeout: Duration::from_secs(args.timeout),
        tries: args.tries,
    };
    let progress = Progress::start(targets.len() as u64, Unit::Targets);
    let reports = notify_all(&targets, &options, &progress.counter());
    drop(progress);
    match args.format {
        Format::Json => {
            #[derive(Serialize)]
            struct Out<'a> {
                zone: String,
                targets: &'a [zonectl::xfr::notify::NotifyReport],
            }
            outln!(
                "{}",
                serde_json::to_string_pretty(&Out {
                    zone: zone.to_string(),
                    targets: &reports
                })?
            );
        }
        Format::Table => {
            let mut table = Table::new();
            table.load_style(UTF8_FULL_CONDENSED).set_header([
                "target",
                "answer",
                "acknowledged",
                "tries",
                "time",
                "detail",
            ]);
            for r in &reports {
                table.add_row([
                    r.target.clone(),
                    r.answer.clone(),
                    if r.acknowledged { "yes" } else { "no" }.to_string(),
                    r.attempts.to_string(),
                    r.rtt_ms.map_or("-".into(), |ms| format!("{ms} ms")),
                    r.detail.clone().unwrap_or_default(),
                ]);
            }
            outln!("NOTIFY {zone}\n{table}");
        }
    }
    Ok(if reports.iter().all(|r| r.acknowledged) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn tsig_keygen(args: TsigKeygenArgs) -> Result<ExitCode> {
    let algorithm = Algorithm::from_name(&args.algorithm)
        .ok_or_else(|| anyhow!("unknown TSIG algorithm \"{}\"", args.algorithm))?;
    let key = Key::generate(&args.name, algorithm)?;
    out!(
        "{}",
        if args.knot {
            key.knot_text()
        } else {
            key.bind_text()
        }
    );
    Ok(ExitCode::SUCCESS)
}
