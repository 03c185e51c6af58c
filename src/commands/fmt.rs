//! `zonectl fmt`: read a zone and write it back in canonical form.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use zonectl::zone::writer::write_zone;

use super::read_zone;
use crate::cli::FmtArgs;

pub fn execute(args: FmtArgs) -> Result<ExitCode> {
    let Some(zone) = read_zone(
        &args.path,
        args.origin.as_deref(),
        args.include_root.as_deref(),
    )?
    else {
        eprintln!(
            "zonectl: {}: not written: the zone has errors",
            args.path.display()
        );
        return Ok(ExitCode::from(2));
    };
    match &args.output {
        Some(path) => zonectl::fsutil::write_atomically(path, |w| write_zone(&zone, w))
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
            write_zone(&zone, &mut out)?;
            out.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
