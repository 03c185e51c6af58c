//! Checking a zone file, the use case of `zonectl check`: read it (with
//! its includes), run the semantic checks of [`crate::zone::check`], and on
//! a signed zone the DNSSEC verification of [`crate::dnssec::verify`]. It
//! stands above both, so that neither the zone module nor DNSSEC depends on
//! the other for it.

use crate::dnssec::verify::{VerifyOptions, verify_zone};
use crate::zone::check::{CheckOptions, check_zone};
use crate::zone::name::Name;
use crate::zone::reader::{self, ReadOptions};
use crate::zone::{Diagnostic, Pos, RType, Severity, Zone};

/// A zone file read and checked.
#[derive(Debug)]
pub struct CheckReport {
    pub file: String,
    pub origin: Option<Name>,
    pub serial: Option<u32>,
    pub records: usize,
    /// The files `$INCLUDE` brought in, as the reader opened them.
    pub included: Vec<std::path::PathBuf>,
    pub diagnostics: Vec<Diagnostic>,
}

impl CheckReport {
    pub fn errors(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
    pub fn infos(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Info)
            .count()
    }
    pub fn warnings(&self) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
            .count()
    }
}

/// Reads `path` and checks it. Syntax errors and semantic findings are
/// reported together; a zone that did not read cleanly is still checked as
/// far as it was read, so one run shows every problem.
pub fn check_file(
    path: &std::path::Path,
    read: ReadOptions,
    options: &CheckOptions,
) -> CheckReport {
    let outcome = reader::read_file(path, read);
    check_outcome(path.display().to_string(), outcome, options)
}

/// Checks what the reader made of one zone (a file, or text from standard
/// input named `file` in the findings).
pub fn check_outcome(
    file: String,
    outcome: reader::ReadOutcome,
    options: &CheckOptions,
) -> CheckReport {
    let (report, zone) = check_and_keep(file, outcome, options);
    // Freeing millions of small allocations takes a while; nothing waits
    // for it.
    if let Some(zone) = zone {
        std::thread::spawn(move || drop(zone));
    }
    report
}

/// As [`check_outcome`], and the zone as read (when it had an origin),
/// for a server that loads what it has checked.
pub fn check_and_keep(
    file: String,
    outcome: reader::ReadOutcome,
    options: &CheckOptions,
) -> (CheckReport, Option<Zone>) {
    let mut kept = None;
    let mut diagnostics = outcome.diagnostics;
    let mut report = CheckReport {
        file: file.clone(),
        origin: outcome.origin.clone(),
        serial: None,
        records: outcome.records.len(),
        included: outcome.files.iter().skip(1).cloned().collect(),
        diagnostics: Vec::new(),
    };
    match outcome.origin {
        Some(origin) => {
            let class = outcome.records.first().map_or(1, |r| r.class);
            let (in_zone, outside) =
                crate::zone::loader::split_out_of_zone(outcome.records, &outcome.files, &origin);
            diagnostics.extend(outside);
            let (zone, conflicts) = Zone::from_records(origin, class, in_zone);
            report.serial = zone.serial();
            report.records = zone.record_count();
            let files: Vec<String> = outcome
                .files
                .iter()
                .map(|p| p.display().to_string())
                .collect();
            diagnostics.extend(check_zone(&zone, &conflicts, &files, options));
            let apex_keys = zone.get(&zone.origin, RType::DNSKEY).is_some();
            if !options.skip_dnssec && !apex_keys && crate::dnssec::verify::is_signed(&zone) {
                // RFC 4035 §2.1 is a SHOULD, and BIND and Knot load such a
                // zone: without keys nothing can be verified, so this is
                // said once (`verify` makes it an error).
                let pos = zone.soa().map_or(Pos::default(), |s| s.pos);
                diagnostics.push(Diagnostic {
                    file: files.get(pos.file as usize).cloned().unwrap_or_default(),
                    line: pos.line,
                    column: 0,
                    severity: Severity::Warning,
                    code: "dnskey-missing",
                    message: "the zone has signatures but no DNSKEY RRset at the apex: they cannot be verified (RFC 4035 §2.1)".into(),
                });
            } else if !options.skip_dnssec {
                let verify_options = VerifyOptions {
                    now: options.now.unwrap_or_else(|| VerifyOptions::default().now),
                    ..Default::default()
                };
                // The checks above already said what is wrong with a key,
                // and what the NSEC3 iterations mean to validators.
                let key_codes = [
                    "dnskey-invalid",
                    "dnskey-rsa-short",
                    "dnskey-rsa-exponent",
                    "nsec3-iterations",
                ];
                for p in verify_zone(&zone, &verify_options)
                    .into_iter()
                    .filter(|p| !key_codes.contains(&p.code))
                {
                    let f = files.get(p.pos.file as usize).cloned().unwrap_or_default();
                    diagnostics.push(Diagnostic {
                        file: f,
                        line: p.pos.line,
                        column: 0,
                        severity: p.severity,
                        code: p.code,
                        message: p.message,
                    });
                }
            }
            kept = Some(zone);
        }
        None if diagnostics.iter().all(|d| d.severity != Severity::Error) => {
            diagnostics.push(Diagnostic::error(
                file,
                0,
                0,
                "no-origin",
                "no origin: give --origin, or start the zone with an SOA whose owner is absolute"
                    .into(),
            ));
        }
        None => {}
    }
    diagnostics.retain(|d| !options.ignore.iter().any(|code| code == d.code));
    report.diagnostics = diagnostics;
    (report, kept)
}
