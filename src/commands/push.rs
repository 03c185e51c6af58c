//! `zonectl push`: plan, print, and with --apply make the change.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;
use zonectl::diff::{DiffOptions, Patch, Summary, apply_patch, diff_zones};
use zonectl::push::config::{PushConfig, ZoneConfig};
use zonectl::push::{
    PLAN_FORMAT, PlanFile, Provider, PushError, SavedPlan, Scope, ZonePlan, plan, provider,
    safety_refusals, zone_config,
};
use zonectl::zone::loader::read_options;
use zonectl::zone::{Name, Severity, Zone};

use super::diff::{Reported, json_changes};
use super::{parse_origin, printable};
use crate::cli::{Format, PushArgs};

/// What became of one zone at one target.
#[derive(Serialize)]
struct Outcome {
    zone: String,
    target: String,
    summary: Summary,
    /// planned, applied, unchanged, refused, failed
    status: &'static str,
    reasons: Vec<String>,
    changes: Vec<super::diff::JsonChange>,
}

pub fn execute(args: PushArgs) -> Result<ExitCode> {
    let config = match PushConfig::read(&args.config) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("zonectl: {}", printable(&e.to_string()));
            return Ok(ExitCode::from(2));
        }
    };
    match run(&args, &config) {
        Ok(code) => Ok(code),
        Err(e) if e.is::<Reported>() => Ok(ExitCode::from(2)),
        Err(e) => match e.downcast_ref::<PushError>() {
            Some(PushError::Config(_)) => {
                eprintln!("zonectl: {}", printable(&e.to_string()));
                Ok(ExitCode::from(2))
            }
            _ => Err(e),
        },
    }
}

/// The zones the arguments choose.
fn chosen<'c>(args: &PushArgs, config: &'c PushConfig) -> Result<Vec<&'c ZoneConfig>> {
    if args.zone.is_empty() {
        return Ok(config.zones.iter().collect());
    }
    args.zone
        .iter()
        .map(|z| {
            let name = parse_origin(z)?;
            zone_config(config, &name).ok_or_else(|| {
                anyhow!(PushError::Config(format!(
                    "{}: no zone {name}",
                    args.config.display()
                )))
            })
        })
        .collect()
}

/// The desired state of a zone: its file, checked as `zonectl check`
/// does; any error is printed with its place and stops the push.
fn desired_zone(zone: &ZoneConfig, config: &PushConfig) -> Result<Zone> {
    let origin = parse_origin(&zone.name)?;
    let file = match &zone.file {
        Some(file) => file.clone(),
        None => find_in_directory(config.directory.as_deref().expect("validated"), &origin)?,
    };
    let options = zonectl::zone::loader::LoadOptions {
        origin: Some(origin.clone()),
        ..Default::default()
    };
    let outcome = zonectl::zone::reader::read_file(&file, read_options(Some(&file), &options));
    let check = zonectl::zone::check::CheckOptions {
        skip_dnssec: true,
        ..Default::default()
    };
    let (report, read) =
        zonectl::check::check_and_keep(file.display().to_string(), outcome, &check);
    let errors: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    for d in &errors {
        eprintln!("{}", printable(&d.to_string()));
    }
    match read {
        Some(zone) if errors.is_empty() => Ok(zone),
        _ => {
            eprintln!(
                "zonectl: zone {origin}: {} has errors; nothing is pushed",
                file.display()
            );
            Err(anyhow!(Reported))
        }
    }
}

/// The file of a directory whose name or contents say it holds `origin`.
fn find_in_directory(dir: &Path, origin: &Name) -> Result<std::path::PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("{}: cannot read the directory", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    entries.sort();
    if let Some(found) = entries.iter().find(|p| {
        zonectl::zone::loader::origin_from_file_name(p).is_some_and(|o| o.eq_ignore_case(origin))
    }) {
        return Ok(found.clone());
    }
    bail!(PushError::Config(format!(
        "{}: no zone file for {origin}. (named {origin}.zone, db.{origin} or {origin})",
        dir.display(),
        origin = origin.to_string().trim_end_matches('.')
    )))
}

fn run(args: &PushArgs, config: &PushConfig) -> Result<ExitCode> {
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut saved: Vec<SavedPlan> = Vec::new();
    let mut failed = false;
    if let Some(plan_in) = &args.plan_in {
        let text = std::fs::read_to_string(plan_in)
            .with_context(|| format!("{}: cannot read the plan", plan_in.display()))?;
        let file = PlanFile::parse(&text, &plan_in.display().to_string())?;
        for saved_plan in &file.plans {
            let zone = parse_origin(&saved_plan.zone)?;
            let zone_conf = zone_config(config, &zone).ok_or_else(|| {
                anyhow!(PushError::Config(format!(
                    "the plan is for zone {zone}, which the configuration does not have"
                )))
            })?;
            let target = config.target(&saved_plan.target).ok_or_else(|| {
                anyhow!(PushError::Config(format!(
                    "the plan is for target {}, which the configuration does not have",
                    saved_plan.target
                )))
            })?;
            let provider = provider(target)?;
            let scope = Scope {
                zone: &zone,
                rules: &zone_conf.unmanaged,
                provider: provider.as_ref(),
            };
            let current = provider.read(&zone)?;
            let outcome = match saved_plan.replan(&scope, &current) {
                Ok(plan) => {
                    let forced = args.force || saved_plan.forced;
                    push_one(
                        &plan,
                        zone_conf,
                        provider.as_ref(),
                        &scope,
                        None,
                        true,
                        forced,
                    )
                }
                Err(e) => failure(&zone, &saved_plan.target, "failed", e.to_string()),
            };
            failed |= matches!(outcome.status, "refused" | "failed");
            outcomes.push(outcome);
        }
    } else {
        let patch = match &args.patch {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("{}: cannot read the patch", path.display()))?;
                match Patch::parse(&path.display().to_string(), &text) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        eprintln!("{}", printable(&e.to_string()));
                        return Err(anyhow!(Reported));
                    }
                }
            }
            None => None,
        };
        for zone_conf in chosen(args, config)? {
            let zone = parse_origin(&zone_conf.name)?;
            let desired = match &patch {
                Some(patch) if !patch.zones.keys().any(|z| z.eq_ignore_case(&zone)) => continue,
                Some(_) => None,
                None => Some(desired_zone(zone_conf, config)?),
            };
            for target_name in &zone_conf.targets {
                let target = config.target(target_name).expect("validated");
                let provider = provider(target)?;
                let scope = Scope {
                    zone: &zone,
                    rules: &zone_conf.unmanaged,
                    provider: provider.as_ref(),
                };
                let current = match provider.read(&zone) {
                    Ok(current) => current,
                    Err(e) => {
                        failed = true;
                        outcomes.push(failure(&zone, target_name, "failed", e.to_string()));
                        continue;
                    }
                };
                let wanted = match (&desired, &patch) {
                    (Some(d), _) => d.clone(),
                    (None, Some(patch)) => {
                        let view = scope.view(&current);
                        let zone_patch = patch
                            .zones
                            .iter()
                            .find(|(z, _)| z.eq_ignore_case(&zone))
                            .map(|(_, p)| p.clone())
                            .unwrap_or_default();
                        match apply_patch(&view, &zone_patch) {
                            Ok(z) => z,
                            Err(e) => {
                                failed = true;
                                outcomes.push(failure(&zone, target_name, "failed", e.to_string()));
                                continue;
                            }
                        }
                    }
                    (None, None) => unreachable!(),
                };
                let plan = plan(&scope, target_name, &current, &wanted);
                let refusals = safety_refusals(&plan, zone_conf.max_change);
                if args.plan_out.is_some() && (refusals.is_empty() || args.force) {
                    saved.push(SavedPlan::from_plan(&plan, args.force));
                }
                let outcome = push_one(
                    &plan,
                    zone_conf,
                    provider.as_ref(),
                    &scope,
                    Some(&wanted),
                    args.apply,
                    args.force,
                );
                failed |= matches!(outcome.status, "refused" | "failed");
                outcomes.push(outcome);
            }
        }
    }
    if let Some(path) = &args.plan_out {
        if failed {
            eprintln!("zonectl: the plan is not saved: a zone was refused or could not be read");
        } else {
            let file = PlanFile {
                format: PLAN_FORMAT.into(),
                plans: saved,
            };
            let text = serde_json::to_string_pretty(&file)? + "\n";
            zonectl::fsutil::write_atomically(path, |w| w.write_all(text.as_bytes()))
                .with_context(|| format!("{}: cannot write the plan", path.display()))?;
        }
    }
    print(args, &outcomes)?;
    let changes = outcomes.iter().any(|o| o.summary.total() > 0);
    Ok(if failed || (changes && args.exit_code) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn failure(zone: &Name, target: &str, status: &'static str, reason: String) -> Outcome {
    Outcome {
        zone: zone.to_string(),
        target: target.to_string(),
        summary: Summary::default(),
        status,
        reasons: vec![reason],
        changes: Vec::new(),
    }
}

/// Checks one plan against the safety rules and, when asked, applies it
/// and reads the target again to see that it now holds the desired state.
fn push_one(
    plan: &ZonePlan,
    zone_conf: &ZoneConfig,
    provider: &dyn Provider,
    scope: &Scope<'_>,
    desired: Option<&Zone>,
    apply: bool,
    force: bool,
) -> Outcome {
    let mut outcome = Outcome {
        zone: plan.zone.to_string(),
        target: plan.target.clone(),
        summary: Summary::of(&plan.changes),
        status: "planned",
        reasons: Vec::new(),
        changes: json_changes(&plan.changes),
    };
    if plan.changes.is_empty() {
        outcome.status = "unchanged";
        return outcome;
    }
    let refusals = safety_refusals(plan, zone_conf.max_change);
    if !refusals.is_empty() && !force {
        outcome.status = "refused";
        outcome.reasons = refusals
            .into_iter()
            .map(|r| format!("refused: {r}; --force to push anyway"))
            .collect();
        return outcome;
    }
    outcome.reasons = refusals
        .into_iter()
        .map(|r| format!("forced: {r}"))
        .collect();
    if !apply {
        return outcome;
    }
    if let Err(e) = provider.apply(&plan.target_state, &plan.changes) {
        outcome.status = "failed";
        outcome.reasons.push(e.to_string());
        return outcome;
    }
    outcome.status = "applied";
    // What the target holds now must be what was wanted: a server may
    // drop part of an UPDATE silently (RFC 2136 §3.4.2.2).
    let wanted = match desired {
        Some(d) => scope.view(d),
        None => return outcome,
    };
    match provider.read(&plan.zone) {
        Ok(after) => {
            let left = diff_zones(
                &scope.view(&after),
                &wanted,
                &DiffOptions {
                    dnssec: true,
                    serial: false,
                },
            );
            if !left.is_empty() {
                outcome.status = "failed";
                outcome.reasons.push(format!(
                    "after the push the target still differs from the desired state in {} RRsets (first: {} {})",
                    left.len(),
                    left[0].owner,
                    left[0].rtype
                ));
            }
        }
        Err(e) => outcome
            .reasons
            .push(format!("applied, but not read back: {e}")),
    }
    outcome
}

fn print(args: &PushArgs, outcomes: &[Outcome]) -> Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "zones": outcomes }))?;
            writeln!(out)?;
        }
        Format::Table => {
            let color = super::color_enabled(args.color);
            for o in outcomes {
                writeln!(
                    out,
                    "{} -> {}: {} ({} added, {} removed, {} changed, {} TTL only)",
                    o.zone,
                    o.target,
                    o.status,
                    o.summary.added,
                    o.summary.removed,
                    o.summary.changed,
                    o.summary.ttl
                )?;
                for reason in &o.reasons {
                    writeln!(out, "  {}", printable(reason))?;
                }
                if o.changes.is_empty() {
                    continue;
                }
                let mut table = Table::new();
                table.load_style(UTF8_FULL_CONDENSED);
                table.set_header(["change", "owner", "type", "old", "new"]);
                let side = |s: &Option<super::diff::JsonSet>| {
                    s.as_ref().map_or(String::new(), |s| {
                        let rdata: Vec<String> =
                            s.rdata.iter().map(|r| printable(r).into_owned()).collect();
                        format!("{}\n{}", s.ttl, rdata.join("\n"))
                    })
                };
                for c in &o.changes {
                    let kind = if color {
                        let code = match c.kind {
                            "added" => "32",
                            "removed" => "31",
                            _ => "33",
                        };
                        format!("\x1b[{code}m{}\x1b[0m", c.kind)
                    } else {
                        c.kind.to_string()
                    };
                    table.add_row([
                        kind,
                        printable(&c.owner).into_owned(),
                        c.rtype.clone(),
                        side(&c.old),
                        side(&c.new),
                    ]);
                }
                writeln!(out, "{table}")?;
            }
        }
    }
    out.flush().map_err(super::stdout_error)?;
    Ok(())
}
