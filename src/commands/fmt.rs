//! `zonectl fmt`: read a zone and write it back in canonical form.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use zonectl::zone::{Severity, Zone, reader};

use super::progress::{Progress, Unit};
use super::{origin_from_file_name, parse_origin};
use crate::cli::FmtArgs;

pub fn execute(args: FmtArgs) -> Result<ExitCode> {
    let mut options = reader::ReadOptions {
        origin: args.origin.as_deref().map(parse_origin).transpose()?,
        fallback_origin: origin_from_file_name(&args.path),
        ..Default::default()
    };
    let size = std::fs::metadata(&args.path).map_or(0, |m| m.len());
    let progress = Progress::start(size, Unit::Bytes);
    options.progress = Some(progress.counter());
    let outcome = reader::read_file(&args.path, options);
    drop(progress);
    let mut failed = false;
    for d in &outcome.diagnostics {
        if d.severity == Severity::Error {
            failed = true;
            eprintln!("{d}");
        }
    }
    let Some(origin) = outcome.origin.clone() else {
        if !failed {
            eprintln!(
                "{}: error: no origin: give --origin, or start the zone with an SOA whose owner is absolute",
                args.path.display()
            );
        }
        return Ok(ExitCode::from(2));
    };
    for r in outcome
        .records
        .iter()
        .filter(|r| !r.owner.is_subdomain_of(&origin))
    {
        failed = true;
        eprintln!(
            "{}:{}: error: out-of-zone data: {} is not in zone {origin}",
            outcome.files[r.pos.file as usize].display(),
            r.pos.line,
            r.owner
        );
    }
    if failed {
        eprintln!(
            "zonectl: {}: not written: the zone has errors",
            args.path.display()
        );
        return Ok(ExitCode::from(2));
    }
    let class = outcome.records.first().map_or(1, |r| r.class);
    let (zone, _) = Zone::from_records(origin, class, outcome.records);
    match &args.output {
        Some(path) => {
            zonectl::fsutil::write_atomically(path, |w| zonectl::zone::writer::write_zone(&zone, w))
                .with_context(|| format!("writing {}", path.display()))?
        }
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            zonectl::zone::writer::write_zone(&zone, &mut out)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
