//! `zonectl check`: read zones, run the checks, print compiler-style lines,
//! a table or JSON.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use zonectl::check::{CheckReport, check_file, check_outcome};
use zonectl::zone::check::{CheckNames, CheckOptions, FINDING_CODES};
use zonectl::zone::loader::{LoadOptions, read_options};
use zonectl::zone::rdata::parse_period;
use zonectl::zone::{Diagnostic, Severity, reader};

use super::progress::{Progress, Unit};
use super::{parse_origin, printable};
use crate::cli::{CheckArgs, CheckFormat, CheckNamesMode};

/// One zone to check, as the arguments name it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A file named on the command line.
    File(PathBuf),
    /// A file found below a directory: left out when another zone of the
    /// run includes it.
    Found(PathBuf),
    /// `-`: the zone text on standard input.
    Stdin,
    /// An argument or directory entry that cannot be read, and why.
    Unreadable(PathBuf, String),
}

/// What was typed, validated, before any file is read.
struct Plan {
    sources: Vec<Source>,
    origin: Option<zonectl::zone::Name>,
    include_root: Option<PathBuf>,
    options: CheckOptions,
    max_errors: usize,
    jobs: usize,
}

fn plan(args: &CheckArgs) -> Result<Plan> {
    let origin = args.origin.as_deref().map(parse_origin).transpose()?;
    let max_ttl = match &args.max_ttl {
        Some(text) => Some(
            parse_period(text.as_bytes())
                .map_err(anyhow::Error::msg)
                .context("--max-ttl")?,
        ),
        None => None,
    };
    if let Some(unknown) = args
        .ignore
        .iter()
        .find(|code| !FINDING_CODES.contains(&code.as_str()))
    {
        bail!(
            "--ignore {}: no such finding code; the codes are: {}",
            printable(unknown),
            FINDING_CODES.join(", ")
        );
    }
    let mut sources = Vec::new();
    for path in &args.paths {
        if path.as_os_str() == "-" {
            sources.push(Source::Stdin);
        } else {
            collect(path, true, &mut sources);
        }
    }
    if sources.iter().filter(|s| **s == Source::Stdin).count() > 1 {
        bail!("standard input (-) can be named once");
    }
    if origin.is_some() && sources.len() > 1 {
        bail!("--origin names one zone, but {} were given", sources.len());
    }
    let check_names = match args.check_names {
        CheckNamesMode::Ignore => CheckNames::Ignore,
        CheckNamesMode::Warn => CheckNames::Warn,
        CheckNamesMode::Fail => CheckNames::Fail,
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    Ok(Plan {
        sources,
        origin,
        include_root: args.include_root.clone(),
        options: CheckOptions {
            check_names,
            max_ttl,
            ignore: args.ignore.clone(),
            skip_dnssec: args.no_dnssec,
            now: None,
        },
        max_errors: args.max_errors.max(1),
        jobs,
    })
}

/// Names in a directory that are not zones: journals, key files and
/// editors' backups.
pub(crate) fn is_zone_file_name(name: &str) -> bool {
    !(name.starts_with('.')
        || name.ends_with('~')
        || [".jnl", ".key", ".private", ".bak", ".orig", ".swp", ".tmp"]
            .iter()
            .any(|ext| name.ends_with(ext)))
}

/// A named file stands for itself; a directory for the zone files below it,
/// in name order. An entry that cannot be read (missing, a dangling link, a
/// link loop) is kept as such, to be reported while the rest is checked.
fn collect(path: &Path, named: bool, out: &mut Vec<Source>) {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) => {
            let why = match std::fs::symlink_metadata(path) {
                Ok(link) if link.file_type().is_symlink() => {
                    if e.raw_os_error() == Some(libc::ELOOP) {
                        "a loop of symbolic links".to_string()
                    } else {
                        "a symbolic link to nothing".to_string()
                    }
                }
                _ if e.kind() == std::io::ErrorKind::NotFound => "no such file".to_string(),
                _ => zonectl::fsutil::io_reason(&e),
            };
            out.push(Source::Unreadable(path.to_path_buf(), why));
            return;
        }
    };
    if !meta.is_dir() {
        if named {
            out.push(Source::File(path.to_path_buf()));
        } else if meta.is_file() {
            out.push(Source::Found(path.to_path_buf()));
        }
        // FIFOs, sockets and devices below a directory are not zones.
        return;
    }
    // A linked directory is followed only when named: links below cannot
    // lead the walk in circles.
    if !named && std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => {
            out.push(Source::Unreadable(
                path.to_path_buf(),
                zonectl::fsutil::io_reason(&e),
            ));
            return;
        }
    };
    let mut entries: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| is_zone_file_name(&n.to_string_lossy()))
        })
        .collect();
    entries.sort();
    for entry in entries {
        collect(&entry, false, out);
    }
}

pub fn execute(args: CheckArgs) -> Result<ExitCode> {
    let plan = plan(&args)?;
    let reports = run(&plan)?;
    let unreadable = reports
        .iter()
        .any(|r| r.diagnostics.iter().any(|d| d.code == "io"));
    let stdout = std::io::stdout();
    let color = super::color_enabled(args.color);
    let mut out = stdout.lock();
    match args.format {
        CheckFormat::Json => print_json(&reports, &mut out)?,
        CheckFormat::Table => print_table(&reports, &mut out)?,
        CheckFormat::Text => print_text(&reports, color, &mut out)?,
    }
    out.flush()?;
    let errors: usize = reports.iter().map(CheckReport::errors).sum();
    let warnings: usize = reports.iter().map(CheckReport::warnings).sum();
    Ok(if unreadable {
        ExitCode::from(2)
    } else if errors > 0 || (args.strict && warnings > 0) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn unreadable_report(path: &Path, why: &str) -> CheckReport {
    let file = path.display().to_string();
    CheckReport {
        diagnostics: vec![Diagnostic::error(
            file.clone(),
            0,
            0,
            "io",
            format!("cannot read {file}: {why}"),
        )],
        file,
        origin: None,
        serial: None,
        records: 0,
        included: Vec::new(),
    }
}

fn run(plan: &Plan) -> Result<Vec<CheckReport>> {
    let load = LoadOptions {
        origin: plan.origin.clone(),
        include_root: plan.include_root.clone(),
        progress: None,
    };
    let read_options = |path: Option<&Path>| reader::ReadOptions {
        max_errors: plan.max_errors,
        ..read_options(path, &load)
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<CheckReport>>> =
        Mutex::new((0..plan.sources.len()).map(|_| None).collect());
    // One zone: a bar of bytes read; several: a bar of zones done.
    let single = plan.sources.len() == 1;
    let progress = match plan.sources.as_slice() {
        [Source::File(path)] => {
            Progress::start(std::fs::metadata(path).map_or(0, |m| m.len()), Unit::Bytes)
        }
        _ => Progress::start(plan.sources.len() as u64, Unit::Zones),
    };
    let counter = progress.counter();
    let stdin_text = if plan.sources.contains(&Source::Stdin) {
        let mut text = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut text)
            .context("reading the zone from standard input")?;
        Some(text)
    } else {
        None
    };
    std::thread::scope(|scope| {
        for _ in 0..plan.jobs.min(plan.sources.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(source) = plan.sources.get(i) else {
                        break;
                    };
                    let report = match source {
                        Source::File(path) | Source::Found(path) => {
                            let mut read = read_options(Some(path));
                            read.progress = single.then(|| counter.clone());
                            check_file(path, read, &plan.options)
                        }
                        Source::Stdin => {
                            let text = stdin_text.as_deref().unwrap_or_default();
                            let outcome = reader::read_bytes("<stdin>", text, read_options(None));
                            check_outcome("<stdin>".into(), outcome, &plan.options)
                        }
                        Source::Unreadable(path, why) => unreadable_report(path, why),
                    };
                    results.lock().unwrap()[i] = Some(report);
                    if !single {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    drop(progress);
    let reports: Vec<CheckReport> = results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect();
    // A file found in a directory that another zone of this run includes
    // is a fragment, not a zone: its findings are the includer's.
    let included: HashSet<PathBuf> = reports
        .iter()
        .flat_map(|r| &r.included)
        .filter_map(|p| std::fs::canonicalize(p).ok())
        .collect();
    Ok(reports
        .into_iter()
        .zip(&plan.sources)
        .filter(|(_, source)| match source {
            Source::Found(path) => {
                std::fs::canonicalize(path).map_or(true, |p| !included.contains(&p))
            }
            _ => true,
        })
        .map(|(report, _)| report)
        .collect())
}

#[derive(Serialize)]
struct JsonZone<'a> {
    file: &'a str,
    origin: Option<String>,
    serial: Option<u32>,
    records: usize,
    errors: usize,
    warnings: usize,
    infos: usize,
    diagnostics: &'a [Diagnostic],
}

#[derive(Serialize)]
struct JsonReport<'a> {
    zones: Vec<JsonZone<'a>>,
    errors: usize,
    warnings: usize,
    infos: usize,
}

fn print_json(reports: &[CheckReport], out: &mut impl Write) -> Result<()> {
    let zones: Vec<JsonZone<'_>> = reports
        .iter()
        .map(|r| JsonZone {
            file: &r.file,
            origin: r.origin.as_ref().map(|o| o.to_string()),
            serial: r.serial,
            records: r.records,
            errors: r.errors(),
            warnings: r.warnings(),
            infos: r.infos(),
            diagnostics: &r.diagnostics,
        })
        .collect();
    let report = JsonReport {
        errors: reports.iter().map(CheckReport::errors).sum(),
        warnings: reports.iter().map(CheckReport::warnings).sum(),
        infos: reports.iter().map(CheckReport::infos).sum(),
        zones,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)?;
    Ok(())
}

fn location(d: &Diagnostic) -> String {
    let file = printable(&d.file);
    match (d.line, d.column) {
        (0, _) => file.into_owned(),
        (line, 0) => format!("{file}:{line}"),
        (line, column) => format!("{file}:{line}:{column}"),
    }
}

/// `file:line:col: error[code]: message`, as compilers and
/// `named-checkzone` write them, so that editors and grep can use them.
fn print_text(reports: &[CheckReport], color: bool, out: &mut impl Write) -> Result<()> {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    for d in reports.iter().flat_map(|r| &r.diagnostics) {
        let severity = match d.severity {
            Severity::Error => paint("1;31", "error"),
            Severity::Warning => paint("1;33", "warning"),
            Severity::Info => paint("1;36", "info"),
        };
        writeln!(
            out,
            "{}: {severity}[{}]: {}",
            paint("1", &location(d)),
            d.code,
            printable(&d.message)
        )?;
    }
    print_summaries(reports, out)
}

fn print_table(reports: &[CheckReport], out: &mut impl Write) -> Result<()> {
    let findings: Vec<&Diagnostic> = reports.iter().flat_map(|r| &r.diagnostics).collect();
    if !findings.is_empty() {
        let mut table = Table::new();
        table
            .load_style(UTF8_FULL_CONDENSED)
            .set_header(["location", "severity", "code", "message"]);
        for d in findings {
            table.add_row([
                location(d),
                d.severity.to_string(),
                d.code.to_string(),
                printable(&d.message).into_owned(),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    print_summaries(reports, out)
}

fn print_summaries(reports: &[CheckReport], out: &mut impl Write) -> Result<()> {
    for r in reports {
        let zone = r
            .origin
            .as_ref()
            .map_or_else(|| "?".to_string(), |o| o.to_string());
        let serial = r
            .serial
            .map_or_else(|| "none".to_string(), |s| s.to_string());
        let verdict = if r.errors() > 0 { "FAILED" } else { "OK" };
        writeln!(
            out,
            "{}: zone {zone} serial {serial}: {} records, {} errors, {} warnings, {} info: {verdict}",
            printable(&r.file),
            r.records,
            r.errors(),
            r.warnings(),
            r.infos()
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_walk_leaves_out_journals_keys_and_backups() {
        for name in [
            "a.jnl",
            "Kexample.+013+1.key",
            "K.private",
            "zone~",
            ".hidden",
            "db.bak",
        ] {
            assert!(!is_zone_file_name(name), "{name}");
        }
        for name in ["example.com.zone", "db.example", "example.com"] {
            assert!(is_zone_file_name(name), "{name}");
        }
    }
}
