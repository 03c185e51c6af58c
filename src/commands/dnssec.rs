//! `zonectl keygen`, `sign`, `verify` and `ds`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;
use zonectl::dnssec::crypto::{KeyProblem, key_problem};
use zonectl::dnssec::digest::{ds_rdata, key_tag};
use zonectl::dnssec::keys::{
    FLAG_SEP, FLAG_ZONE, SigningKey, algorithm_from_name, private_file_exposed,
};
use zonectl::dnssec::keystore;
use zonectl::dnssec::sign::{Denial, SerialPolicy, SignOptions, sign_zone};
use zonectl::dnssec::verify::VerifyOptions;
use zonectl::zone::rdata::{parse_period, parse_time};
use zonectl::zone::{RType, Severity, writer};

use super::progress::{Progress, Unit};
use super::{parse_origin, read_zone};
use crate::cli::{DigestArg, DsArgs, Format, KeygenArgs, SerialArg, SignArgs, VerifyArgs};

fn now() -> u32 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

/// A time: `now`, relative (`+30d`, `-1h`), YYYYMMDDHHmmSS, or seconds.
fn parse_when(text: &str, now: u32) -> Result<u32> {
    if text == "now" {
        return Ok(now);
    }
    if let Some(rest) = text.strip_prefix('+') {
        return Ok(now.wrapping_add(parse_period(rest.as_bytes()).map_err(|e| anyhow!(e))?));
    }
    if let Some(rest) = text.strip_prefix('-') {
        return Ok(now.wrapping_sub(parse_period(rest.as_bytes()).map_err(|e| anyhow!(e))?));
    }
    parse_time(text.as_bytes()).map_err(|e| anyhow!(e))
}

fn duration(text: &str, what: &str) -> Result<u32> {
    parse_period(text.as_bytes())
        .map_err(|e| anyhow!(e))
        .with_context(|| what.to_string())
}

pub fn keygen(args: KeygenArgs) -> Result<ExitCode> {
    let owner = parse_origin(&args.zone)?;
    let algorithm = algorithm_from_name(&args.algorithm)
        .ok_or_else(|| anyhow!("unknown algorithm \"{}\"", args.algorithm))?;
    if args.bits.is_some() && !matches!(algorithm, 8 | 10) {
        bail!(
            "--bits is for RSA keys; {} keys have a fixed size",
            args.algorithm
        );
    }
    let flags = if args.ksk || args.csk {
        FLAG_ZONE | FLAG_SEP
    } else {
        FLAG_ZONE
    };
    let stem = match &args.import {
        Some(pem) => {
            let text = zonectl::fsutil::read_bounded(pem, zonectl::fsutil::MAX_KEY_FILE)
                .with_context(|| format!("reading {}", pem.display()))?;
            // A PEM key says what it is; RSA keys take the algorithm asked
            // for if it is an RSA one.
            let rsa_algorithm = if matches!(algorithm, 8 | 10) {
                algorithm
            } else {
                8
            };
            let key = SigningKey::from_pkcs8_pem(
                &text,
                &owner,
                flags,
                rsa_algorithm,
                &pem.display().to_string(),
            )?;
            keystore::add(&args.directory, &key)?
        }
        None => keystore::generate(&args.directory, &owner, algorithm, flags, args.bits, now())?,
    };
    outln!("{}", stem.file_name().unwrap().to_string_lossy());
    Ok(ExitCode::SUCCESS)
}

/// The keys `--keys` names, with a warning for each whose private file
/// others can read.
fn load_keys(paths: &[PathBuf], zone: &zonectl::zone::Name) -> Result<Vec<SigningKey>> {
    let keys = keystore::load(paths, zone)?;
    for key in &keys {
        if let Some(warning) = key.path.as_deref().and_then(private_file_exposed) {
            eprintln!("zonectl: warning: {warning}");
        }
    }
    Ok(keys)
}

pub fn sign(args: SignArgs) -> Result<ExitCode> {
    let now = now();
    let salt = if args.salt == "-" {
        Vec::new()
    } else {
        let mut out = Vec::new();
        zonectl::zone::encoding::hex_decode(args.salt.as_bytes(), &mut out)
            .map_err(|e| anyhow!("--salt: {e}"))?;
        out
    };
    let options = SignOptions {
        now,
        inception: parse_when(&args.inception, now).context("--inception")?,
        expiration: parse_when(&args.expiration, now).context("--expiration")?,
        jitter: duration(&args.jitter, "--jitter")?,
        denial: if args.nsec3 {
            Denial::Nsec3 {
                iterations: args.iterations,
                opt_out: args.opt_out,
            }
        } else {
            Denial::Nsec
        },
        salt,
        force_iterations: args.force_iterations,
        serial: match args.serial {
            SerialArg::Keep => SerialPolicy::Keep,
            SerialArg::Increment => SerialPolicy::Increment,
            SerialArg::Unixtime => SerialPolicy::Unixtime,
            SerialArg::Dateserial => SerialPolicy::Dateserial,
        },
        refresh: args
            .refresh
            .as_deref()
            .map(|r| duration(r, "--refresh"))
            .transpose()?,
        zonemd: args.zonemd,
        cds: args.cds,
        cds_delete: args.cds_delete,
        progress: None,
        progress_total: None,
        trusted: None,
    };
    if options.expiration.wrapping_sub(options.inception) >= 1 << 31 {
        bail!("the expiration is not after the inception");
    }
    let Some(zone) = read_zone(
        &args.path,
        args.origin.as_deref(),
        args.include_root.as_deref(),
    )?
    else {
        return Ok(ExitCode::from(2));
    };
    let keys = load_keys(&args.keys, &zone.origin)?;
    for algorithm in zonectl::dnssec::keys::algorithms_without_ksk(&keys) {
        eprintln!(
            "zonectl: warning: algorithm {} has a ZSK but no KSK: the ZSK signs the DNSKEY RRset too, and BIND's dnssec-verify rejects the zone (\"Missing self-signed KSK\"); add a KSK (zonectl keygen --ksk) or use a CSK",
            zonectl::zone::rtype::algorithm_name(algorithm)
                .map_or_else(|| algorithm.to_string(), str::to_string)
        );
    }
    // The signer sets the total once it knows what it signs.
    let progress = Progress::start(0, Unit::Rrsets);
    let options = SignOptions {
        progress: Some(progress.counter()),
        progress_total: Some(progress.total()),
        trusted: None,
        ..options
    };
    // The output's temporary file first: an output that cannot be written
    // fails before the signing, not after it.
    let writing = || format!("writing {}", args.output.display());
    let mut file = zonectl::fsutil::AtomicFile::create(&args.output).with_context(writing)?;
    let (signed, stats) = sign_zone(zone, &keys, &options)?;
    drop(progress);
    writer::write_zone(&signed, file.writer()).with_context(writing)?;
    file.commit().with_context(writing)?;
    match args.format {
        Format::Json => outln!("{}", serde_json::to_string_pretty(&stats)?),
        Format::Table => eprintln!(
            "{}: signed {} RRsets ({} signatures made, {} reused), {} denial records, serial {}",
            args.output.display(),
            stats.rrsets_signed,
            stats.signatures_made,
            stats.signatures_reused,
            stats.denial_records,
            stats.serial
        ),
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Serialize)]
struct VerifyProblem {
    file: String,
    line: u32,
    severity: Severity,
    owner: String,
    code: &'static str,
    message: String,
}

pub fn verify(args: VerifyArgs) -> Result<ExitCode> {
    let now = match &args.time {
        Some(t) => parse_when(t, now()).context("--time")?,
        None => now(),
    };
    let Some(zone) = read_zone(
        &args.path,
        args.origin.as_deref(),
        args.include_root.as_deref(),
    )?
    else {
        return Ok(ExitCode::from(2));
    };
    let mut problems = zonectl::dnssec::verify::verify_signed_zone(
        &zone,
        &VerifyOptions {
            now,
            ..Default::default()
        },
    );
    if let Some(anchor) = &args.trust_anchor {
        let Some(anchors) = read_zone(anchor, Some(&zone.origin.to_string()), None)? else {
            return Ok(ExitCode::from(2));
        };
        problems.extend(zonectl::dnssec::verify::check_trust_anchor(
            &zone, &anchors, now,
        ));
    }
    let file = args.path.display().to_string();
    let rows: Vec<VerifyProblem> = problems
        .iter()
        .map(|p| VerifyProblem {
            file: file.clone(),
            line: p.pos.line,
            severity: p.severity,
            owner: p.owner.to_string(),
            code: p.code,
            message: p.message.clone(),
        })
        .collect();
    // A warning (e.g. NSEC3 iterations validators give up on) leaves the
    // zone valid: validators accept it, if only as insecure.
    let errors = rows
        .iter()
        .filter(|r| r.severity == Severity::Error)
        .count();
    let valid = errors == 0;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &serde_json::json!({ "file": file, "zone": zone.origin.to_string(), "valid": valid, "problems": rows }),
            )?;
            writeln!(out)?;
        }
        Format::Table => {
            if !rows.is_empty() {
                let mut table = comfy_table::Table::new();
                table
                    .load_style(comfy_table::presets::UTF8_FULL_CONDENSED)
                    .set_header(["location", "severity", "owner", "code", "message"]);
                for r in &rows {
                    table.add_row([
                        format!("{}:{}", r.file, r.line),
                        r.severity.to_string(),
                        r.owner.clone(),
                        r.code.to_string(),
                        r.message.clone(),
                    ]);
                }
                writeln!(out, "{table}")?;
            }
            let verdict = if valid { "valid" } else { "INVALID" };
            let warnings = rows.len() - errors;
            writeln!(
                out,
                "{file}: zone {}: {} records, {errors} problems, {warnings} warnings: {verdict}",
                zone.origin,
                zone.record_count(),
            )?;
        }
    }
    Ok(if valid {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

pub fn ds(args: DsArgs) -> Result<ExitCode> {
    let digest_type = match args.digest {
        DigestArg::Sha256 => 2,
        DigestArg::Sha384 => 4,
    };
    // A key given by its .private file is read from its .key file, as
    // `sign --keys` takes either.
    let is_private = args.path.extension().is_some_and(|e| e == "private");
    let path = if is_private {
        args.path.with_extension("key")
    } else {
        args.path.clone()
    };
    let is_key_file = is_private || args.path.extension().is_some_and(|e| e == "key");
    let Some(zone) = read_zone(
        &path,
        if is_key_file {
            Some(".")
        } else {
            args.origin.as_deref()
        },
        None,
    )?
    else {
        return Ok(ExitCode::from(2));
    };
    let mut printed = 0;
    for set in zone.rrsets().iter().filter(|s| s.rtype == RType::DNSKEY) {
        for rdata in &set.rdatas {
            let flags = u16::from_be_bytes([rdata[0], rdata[1]]);
            // From a zone: the KSKs only; from a key file: whatever it holds.
            if !is_key_file && flags & FLAG_SEP == 0 {
                continue;
            }
            if let Some(problem @ KeyProblem::Malformed(_)) = key_problem(rdata[3], &rdata[4..]) {
                bail!(
                    "{}: DNSKEY {} of {}: {problem}; no DS is made for it",
                    args.path.display(),
                    key_tag(rdata),
                    set.owner
                );
            }
            let ds = ds_rdata(&set.owner, rdata, digest_type).expect("known digest types");
            let mut line = String::new();
            writer::format_record(
                set.owner.as_wire(),
                set.ttl,
                set.class,
                RType::DS,
                &ds,
                &mut line,
            );
            outln!("{line}");
            printed += 1;
        }
    }
    if printed == 0 {
        bail!("{}: no key-signing DNSKEY found", args.path.display());
    }
    Ok(ExitCode::SUCCESS)
}
