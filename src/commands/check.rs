//! `zonectl check`: read zones, run the checks, print a table or JSON.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use zonectl::zone::check::{CheckNames, CheckOptions, CheckReport, check_file};
use zonectl::zone::rdata::parse_period;
use zonectl::zone::{Diagnostic, reader::ReadOptions};

use super::progress::{Progress, Unit};
use super::{origin_from_file_name, parse_origin};
use crate::cli::{CheckArgs, CheckNamesMode, Format};

/// What was typed, validated, before any file is touched.
struct Plan {
    files: Vec<PathBuf>,
    origin: Option<zonectl::zone::Name>,
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
    let mut files = Vec::new();
    for path in &args.paths {
        collect(path, &mut files)?;
    }
    if origin.is_some() && files.len() > 1 {
        bail!(
            "--origin names one zone, but {} files were given",
            files.len()
        );
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
        files,
        origin,
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

/// A directory stands for every (non-hidden) file below it, in name order.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_dir() {
        out.push(path.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot list {}", path.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect();
    entries.sort();
    for entry in entries {
        collect(&entry, out)?;
    }
    Ok(())
}

pub fn execute(args: CheckArgs) -> Result<ExitCode> {
    let plan = plan(&args)?;
    let reports = run(&plan);
    let unreadable = reports
        .iter()
        .any(|r| r.diagnostics.iter().any(|d| d.code == "io"));
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Format::Json => print_json(&reports, &mut out)?,
        Format::Table => print_table(&reports, &mut out)?,
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

fn run(plan: &Plan) -> Vec<CheckReport> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<CheckReport>>> =
        Mutex::new((0..plan.files.len()).map(|_| None).collect());
    // One zone: a bar of bytes read; several: a bar of zones done.
    let single = plan.files.len() == 1;
    let progress = if single {
        let size = std::fs::metadata(&plan.files[0]).map_or(0, |m| m.len());
        Progress::start(size, Unit::Bytes)
    } else {
        Progress::start(plan.files.len() as u64, Unit::Zones)
    };
    let counter = progress.counter();
    std::thread::scope(|scope| {
        for _ in 0..plan.jobs.min(plan.files.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = plan.files.get(i) else { break };
                    let read = ReadOptions {
                        origin: plan.origin.clone(),
                        fallback_origin: origin_from_file_name(path),
                        max_errors: plan.max_errors,
                        progress: single.then(|| counter.clone()),
                        ..Default::default()
                    };
                    let report = check_file(path, read, &plan.options);
                    results.lock().unwrap()[i] = Some(report);
                    if !single {
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    drop(progress);
    results
        .into_inner()
        .unwrap()
        .into_iter()
        .map(Option::unwrap)
        .collect()
}

#[derive(Serialize)]
struct JsonZone<'a> {
    file: &'a str,
    origin: Option<String>,
    serial: Option<u32>,
    records: usize,
    errors: usize,
    warnings: usize,
    diagnostics: &'a [Diagnostic],
}

#[derive(Serialize)]
struct JsonReport<'a> {
    zones: Vec<JsonZone<'a>>,
    errors: usize,
    warnings: usize,
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
            diagnostics: &r.diagnostics,
        })
        .collect();
    let report = JsonReport {
        errors: reports.iter().map(CheckReport::errors).sum(),
        warnings: reports.iter().map(CheckReport::warnings).sum(),
        zones,
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)?;
    Ok(())
}

fn location(d: &Diagnostic) -> String {
    match (d.line, d.column) {
        (0, _) => d.file.clone(),
        (line, 0) => format!("{}:{line}", d.file),
        (line, column) => format!("{}:{line}:{column}", d.file),
    }
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
                d.message.clone(),
            ]);
        }
        writeln!(out, "{table}")?;
    }
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
            "{}: zone {zone} serial {serial}: {} records, {} errors, {} warnings: {verdict}",
            r.file,
            r.records,
            r.errors(),
            r.warnings()
        )?;
    }
    Ok(())
}
