//! Loading a zone from a file: read it (with its includes), find its
//! origin, refuse records outside it, and gather the rest into a [`Zone`].
//! Every command that takes a zone file, `check` and (next) `serve` load
//! zones this one way.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::reader::{self, ReadOptions, ReadOutcome};
use super::{Diagnostic, Name, Record, Severity, Zone};

/// How to load a zone file.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// The zone's origin; without it the first SOA owner, `$ORIGIN`, or
    /// the file's name tells it.
    pub origin: Option<Name>,
    /// `$INCLUDE`d files must be inside this directory.
    pub include_root: Option<PathBuf>,
    /// Bytes read so far, for a progress display.
    pub progress: Option<Arc<AtomicU64>>,
}

/// Knot's rule: with no origin given, a zone file named after its zone
/// (`example.com.zone`, `db.example.com`, `example.com`) names the origin.
pub fn origin_from_file_name(path: &Path) -> Option<Name> {
    let name = path.file_name()?.to_str()?;
    let stem = [".zone", ".db", ".signed", ".txt"]
        .iter()
        .find_map(|ext| name.strip_suffix(ext))
        .unwrap_or(name);
    let stem = stem.strip_prefix("db.").unwrap_or(stem);
    if stem.is_empty() {
        return None;
    }
    let absolute = if stem.ends_with('.') {
        stem.to_string()
    } else {
        format!("{stem}.")
    };
    Name::parse(absolute.as_bytes(), None).ok()
}

/// The reader's options for a file loaded with `options`.
pub fn read_options(path: Option<&Path>, options: &LoadOptions) -> ReadOptions {
    ReadOptions {
        origin: options.origin.clone(),
        fallback_origin: path.and_then(origin_from_file_name),
        include_root: options.include_root.clone(),
        progress: options.progress.clone(),
        ..Default::default()
    }
}

/// The records of `outcome` inside `origin`, and an error for each one
/// outside it.
pub fn split_out_of_zone(
    records: Vec<Record>,
    files: &[PathBuf],
    origin: &Name,
) -> (Vec<Record>, Vec<Diagnostic>) {
    let mut errors = Vec::new();
    let mut inside = records;
    inside.retain(|r| {
        let keep = r.owner.is_subdomain_of(origin);
        if !keep {
            errors.push(Diagnostic::error(
                files
                    .get(r.pos.file as usize)
                    .map_or_else(String::new, |f| f.display().to_string()),
                r.pos.line,
                0,
                "out-of-zone",
                format!(
                    "out-of-zone data: {} {} is not in zone {origin}",
                    r.owner, r.rtype
                ),
            ));
        }
        keep
    });
    (inside, errors)
}

/// The zone of what the reader made of a file, or every error that keeps
/// it from being one (syntax, no origin, records outside the origin).
pub fn zone_from_outcome(outcome: ReadOutcome, file: &str) -> Result<Zone, Vec<Diagnostic>> {
    let mut errors: Vec<Diagnostic> = outcome
        .diagnostics
        .into_iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    let Some(origin) = outcome.origin else {
        if errors.is_empty() {
            errors.push(Diagnostic::error(
                file.to_string(),
                0,
                0,
                "no-origin",
                "no origin: give --origin, or start the zone with an SOA whose owner is absolute"
                    .into(),
            ));
        }
        return Err(errors);
    };
    let class = outcome.records.first().map_or(1, |r| r.class);
    let (records, outside) = split_out_of_zone(outcome.records, &outcome.files, &origin);
    errors.extend(outside);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Zone::from_records(origin, class, records).0)
}

/// Loads a zone file.
pub fn load_zone(path: &Path, options: &LoadOptions) -> Result<Zone, Vec<Diagnostic>> {
    let outcome = reader::read_file(path, read_options(Some(path), options));
    zone_from_outcome(outcome, &path.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_names_the_origin() {
        for (file, origin) in [
            ("example.com.zone", "example.com."),
            ("db.example.com", "example.com."),
            ("example.org", "example.org."),
        ] {
            assert_eq!(
                origin_from_file_name(Path::new(file)).map(|n| n.to_string()),
                Some(origin.to_string())
            );
        }
    }

    #[test]
    fn records_outside_the_origin_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("example.zone");
        std::fs::write(
            &path,
            "$ORIGIN example.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nwww.other. A 192.0.2.2\n",
        )
        .unwrap();
        let errors = load_zone(&path, &LoadOptions::default()).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, "out-of-zone");
        assert_eq!(errors[0].line, 6);
    }
}
