//! `zonectl diff`: reads both sides, compares them, prints the changes.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use zonectl::diff::{Change, DiffOptions, Summary, diff_zones, write_patch};
use zonectl::net::parse_server;
use zonectl::push::config::PushConfig;
use zonectl::xfr::Client;
use zonectl::zone::Zone;

use super::{parse_origin, printable};
use crate::cli::{DiffArgs, DiffFormat};

/// An input that stops the command with exit 2, already reported.
#[derive(Debug)]
pub struct Reported;

impl std::fmt::Display for Reported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("input errors (reported above)")
    }
}

impl std::error::Error for Reported {}

/// Loads one zone file; its errors are printed and end the command.
pub fn load_file(path: &Path, origin: Option<&str>) -> Result<Zone> {
    super::read_zone(path, origin, None)?.ok_or_else(|| anyhow!(Reported))
}

/// The zone files of a directory (one level), loaded.
pub fn load_directory(dir: &Path) -> Result<Vec<Zone>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read the directory", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| super::check::is_zone_file_name(&n.to_string_lossy()))
        })
        .collect();
    files.sort();
    let mut zones: Vec<Zone> = Vec::new();
    for file in files {
        let zone = load_file(&file, None)?;
        if let Some(other) = zones.iter().find(|z| z.origin.eq_ignore_case(&zone.origin)) {
            bail!(
                "{}: zone {} is in two files of the directory",
                file.display(),
                other.origin
            );
        }
        zones.push(zone);
    }
    Ok(zones)
}

/// One side of a comparison: its zones, and how to name it.
pub struct Side {
    shown: String,
    zones: Vec<Zone>,
}

fn load_side(text: &str, args: &DiffArgs) -> Result<Side> {
    let shown = text.to_string();
    if let Some(rest) = text.strip_prefix("axfr://") {
        let (server, zone) = rest
            .split_once('/')
            .ok_or_else(|| anyhow!("{text}: write axfr://SERVER[:PORT]/ZONE"))?;
        let mut client = Client::new(parse_origin(zone)?, parse_server(server, 53)?);
        client.key = super::xfr::load_key(&args.tsig)?;
        client.fudge = args.tsig.tsig_fudge;
        client.timeout = Duration::from_secs(10);
        let zone = client
            .axfr_zone()
            .with_context(|| format!("{text}: the transfer failed"))?;
        return Ok(Side {
            shown,
            zones: vec![zone],
        });
    }
    if let Some(rest) = text.strip_prefix("target:") {
        let (target, zone) = rest
            .split_once('/')
            .ok_or_else(|| anyhow!("{text}: write target:NAME/ZONE"))?;
        let config_path = args
            .config
            .as_ref()
            .ok_or_else(|| anyhow!("{text}: a target needs --config, the push configuration"))?;
        let config = PushConfig::read(config_path)?;
        let target_config = config
            .target(target)
            .ok_or_else(|| anyhow!("{text}: {} has no target {target}", config_path.display()))?;
        let provider = zonectl::push::provider(target_config)?;
        let zone = provider.read(&parse_origin(zone)?)?;
        return Ok(Side {
            shown,
            zones: vec![zone],
        });
    }
    let path = Path::new(text);
    if path.is_dir() {
        return Ok(Side {
            shown,
            zones: load_directory(path)?,
        });
    }
    let zone = load_file(path, args.origin.as_deref())?;
    Ok(Side {
        shown,
        zones: vec![zone],
    })
}

/// The comparison of one zone.
pub struct ZoneDiff {
    origin: String,
    old_serial: Option<u32>,
    new_serial: Option<u32>,
    changes: Vec<Change>,
}

/// Pairs the zones of both sides by origin. Single zones pair whatever
/// their origins (a file against a live copy under another name is what
/// was asked for).
fn compare(old: &Side, new: &Side, options: &DiffOptions) -> Vec<ZoneDiff> {
    let empty = |z: &Zone| Zone::from_records(z.origin.clone(), z.class, Vec::new()).0;
    let mut out = Vec::new();
    let single = old.zones.len() == 1 && new.zones.len() == 1;
    let mut origins: Vec<_> = old
        .zones
        .iter()
        .chain(&new.zones)
        .map(|z| z.origin.clone())
        .collect();
    origins.sort_by(|a, b| zonectl::zone::name::canonical_cmp(a.as_wire(), b.as_wire()));
    origins.dedup_by(|a, b| a.eq_ignore_case(b));
    if single {
        origins.truncate(1);
    }
    for origin in origins {
        let find = |side: &Side| {
            if single {
                side.zones.first().cloned()
            } else {
                side.zones
                    .iter()
                    .find(|z| z.origin.eq_ignore_case(&origin))
                    .cloned()
            }
        };
        let (a, b) = (find(old), find(new));
        let a = a.unwrap_or_else(|| empty(b.as_ref().expect("one side has it")));
        let b = b.unwrap_or_else(|| empty(&a));
        out.push(ZoneDiff {
            origin: origin.to_string(),
            old_serial: a.serial(),
            new_serial: b.serial(),
            changes: diff_zones(&a, &b, options),
        });
    }
    out
}

pub fn execute(args: DiffArgs) -> Result<ExitCode> {
    let sides = load_side(&args.old, &args).and_then(|old| Ok((old, load_side(&args.new, &args)?)));
    let (old, new) = match sides {
        Ok(sides) => sides,
        Err(e) if e.is::<Reported>() => return Ok(ExitCode::from(2)),
        Err(e) => return Err(e),
    };
    let options = DiffOptions {
        dnssec: args.dnssec,
        serial: args.serial,
    };
    let diffs = compare(&old, &new, &options);
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match args.format {
        DiffFormat::Diff => print_unified(
            &diffs,
            &old,
            &new,
            super::color_enabled(args.color),
            &mut out,
        )?,
        DiffFormat::Table => print_table(&diffs, &mut out)?,
        DiffFormat::Json => print_json(&diffs, &old, &new, &mut out)?,
        DiffFormat::Patch => {
            let mut text = String::new();
            for d in diffs.iter().filter(|d| !d.changes.is_empty()) {
                let origin = zonectl::zone::Name::parse(d.origin.as_bytes(), None)?;
                write_patch(&origin, &d.changes, &mut text);
            }
            out.write_all(text.as_bytes())?;
        }
    }
    out.flush().map_err(super::stdout_error)?;
    let differ = diffs.iter().any(|d| !d.changes.is_empty());
    Ok(if differ && args.exit_code {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Per changed RRset, a hunk of the unified diff of its records (the
/// `similar` crate lines them up, so kept records show as context).
pub fn print_unified(
    diffs: &[ZoneDiff],
    old: &Side,
    new: &Side,
    color: bool,
    out: &mut impl Write,
) -> Result<()> {
    let paint = |code: &str, text: &str| {
        if color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    };
    for d in diffs.iter().filter(|d| !d.changes.is_empty()) {
        let serial = |s: Option<u32>| s.map_or(String::new(), |s| format!(" (serial {s})"));
        for (mark, side, at) in [("---", old, d.old_serial), ("+++", new, d.new_serial)] {
            let head = format!(
                "{mark} {} {}{}",
                printable(&side.shown),
                d.origin,
                serial(at)
            );
            writeln!(out, "{}", paint("1", &head))?;
        }
        for change in &d.changes {
            writeln!(
                out,
                "{}",
                paint(
                    "36",
                    &format!(
                        "@@ {} {} ({}) @@",
                        change.owner,
                        change.rtype,
                        change.kind().as_str()
                    )
                )
            )?;
            let (a, b) = (change.lines(false), change.lines(true));
            let (a, b): (Vec<&str>, Vec<&str>) = (
                a.iter().map(String::as_str).collect(),
                b.iter().map(String::as_str).collect(),
            );
            let lines = similar::TextDiff::from_slices(&a, &b);
            for op in lines.iter_all_changes() {
                let text = printable(op.value());
                match op.tag() {
                    similar::ChangeTag::Delete => {
                        writeln!(out, "{}", paint("31", &format!("-{text}")))?
                    }
                    similar::ChangeTag::Insert => {
                        writeln!(out, "{}", paint("32", &format!("+{text}")))?
                    }
                    similar::ChangeTag::Equal => writeln!(out, " {text}")?,
                }
            }
        }
    }
    Ok(())
}

fn print_table(diffs: &[ZoneDiff], out: &mut impl Write) -> Result<()> {
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED);
    table.set_header(["zone", "change", "owner", "type", "old", "new"]);
    for d in diffs {
        for c in &d.changes {
            table.add_row([
                d.origin.clone(),
                c.kind().as_str().to_string(),
                printable(&c.owner.to_string()).into_owned(),
                c.rtype.to_string(),
                side_text(c, false),
                side_text(c, true),
            ]);
        }
    }
    writeln!(out, "{table}")?;
    for d in diffs {
        let s = Summary::of(&d.changes);
        writeln!(
            out,
            "{}: {} added, {} removed, {} changed, {} TTL only",
            d.origin, s.added, s.removed, s.changed, s.ttl
        )?;
    }
    Ok(())
}

/// One side of a change for the table: TTL and records.
fn side_text(change: &Change, new: bool) -> String {
    let side = if new { &change.new } else { &change.old };
    let Some(set) = side else {
        return String::new();
    };
    let mut text = format!("{}", set.ttl);
    for rdata in &set.rdatas {
        let mut one = String::new();
        zonectl::zone::rdata::write(change.rtype, rdata, &mut one);
        text.push('\n');
        text.push_str(&printable(&one));
    }
    text
}

#[derive(Serialize)]
pub struct JsonSet {
    pub ttl: u32,
    pub rdata: Vec<String>,
}

#[derive(Serialize)]
pub struct JsonChange {
    pub kind: &'static str,
    pub owner: String,
    #[serde(rename = "type")]
    pub rtype: String,
    pub old: Option<JsonSet>,
    pub new: Option<JsonSet>,
}

#[derive(Serialize)]
struct JsonZone {
    origin: String,
    old_serial: Option<u32>,
    new_serial: Option<u32>,
    summary: Summary,
    changes: Vec<JsonChange>,
}

#[derive(Serialize)]
struct JsonReport {
    old: String,
    new: String,
    different: bool,
    zones: Vec<JsonZone>,
}

pub fn json_changes(changes: &[Change]) -> Vec<JsonChange> {
    let set = |c: &Change, side: &Option<zonectl::diff::SetState>| {
        side.as_ref().map(|s| JsonSet {
            ttl: s.ttl,
            rdata: s
                .rdatas
                .iter()
                .map(|r| {
                    let mut text = String::new();
                    zonectl::zone::rdata::write(c.rtype, r, &mut text);
                    text
                })
                .collect(),
        })
    };
    changes
        .iter()
        .map(|c| JsonChange {
            kind: c.kind().as_str(),
            owner: c.owner.to_string(),
            rtype: c.rtype.to_string(),
            old: set(c, &c.old),
            new: set(c, &c.new),
        })
        .collect()
}

fn print_json(diffs: &[ZoneDiff], old: &Side, new: &Side, out: &mut impl Write) -> Result<()> {
    let report = JsonReport {
        old: old.shown.clone(),
        new: new.shown.clone(),
        different: diffs.iter().any(|d| !d.changes.is_empty()),
        zones: diffs
            .iter()
            .map(|d| JsonZone {
                origin: d.origin.clone(),
                old_serial: d.old_serial,
                new_serial: d.new_serial,
                summary: Summary::of(&d.changes),
                changes: json_changes(&d.changes),
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut *out, &report)?;
    writeln!(out)?;
    Ok(())
}
