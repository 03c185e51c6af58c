//! `zonectl probe`: nameserver diversity and delegation health.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use zonectl::net::parse_server;
use zonectl::probe::lookup::{ProbeOptions, probe_all};
use zonectl::probe::{AsnDb, BlockSizes, DomainReport, Thresholds, Verdict};

use super::parse_origin;
use super::progress::{Progress, Unit};
use crate::cli::{Format, ProbeArgs};

/// The first `nameserver` of /etc/resolv.conf.
fn system_resolver() -> Option<String> {
    let text = std::fs::read_to_string("/etc/resolv.conf").ok()?;
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("nameserver"))
        .map(|rest| rest.trim().to_string())
        .find(|a| !a.is_empty())
}

fn domains(args: &ProbeArgs) -> Result<Vec<String>> {
    let mut domains = args.domains.clone();
    if let Some(file) = &args.file {
        let text = zonectl::fsutil::read_bounded(file, zonectl::fsutil::MAX_DOMAIN_LIST)
            .with_context(|| format!("{}", file.display()))?;
        domains.extend(
            text.lines()
                .map(|l| l.split('#').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty())
                .map(str::to_string),
        );
    }
    Ok(domains)
}

pub fn execute(args: ProbeArgs) -> Result<ExitCode> {
    let resolver_text = args
        .resolver
        .clone()
        .or_else(system_resolver)
        .ok_or_else(|| anyhow!("no resolver: give --resolver (none in /etc/resolv.conf)"))?;
    let resolver = parse_server(&resolver_text, 53)?;
    let asn = args.asn_db.as_deref().map(AsnDb::read).transpose()?;
    let names = domains(&args)?;
    let parsed = names
        .iter()
        .map(|d| parse_origin(d))
        .collect::<Result<Vec<_>>>()?;
    let options = ProbeOptions {
        resolver,
        ns_port: args.port,
        timeout: Duration::from_secs_f64(args.timeout),
        retries: args.retries,
        query: !args.no_query,
        sizes: BlockSizes {
            v4: args.v4_prefix,
            v6: args.v6_prefix,
        },
        thresholds: Thresholds {
            min_v4_blocks: args.min_v4_blocks,
            min_v6_blocks: args.min_v6_blocks,
        },
        max_time: Duration::from_secs_f64(args.max_time),
        deadline: None,
    };
    let progress = Progress::start(parsed.len() as u64, Unit::Domains);
    let reports = probe_all(
        &parsed,
        &options,
        asn.as_ref(),
        args.jobs,
        &progress.counter(),
    );
    drop(progress);
    match args.format {
        Format::Json => {
            #[derive(serde::Serialize)]
            struct Out<'a> {
                resolver: String,
                domains: &'a [DomainReport],
            }
            outln!(
                "{}",
                serde_json::to_string_pretty(&Out {
                    resolver: resolver.to_string(),
                    domains: &reports
                })?
            );
        }
        Format::Table => {
            for report in &reports {
                print_report(report)?;
            }
        }
    }
    let failed = reports
        .iter()
        .any(|r| r.verdict == Verdict::Fail || r.error.is_some());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_report(r: &DomainReport) -> Result<()> {
    outln!("{}  {}", r.domain, r.verdict.to_string().to_uppercase());
    if let Some(e) = &r.error {
        outln!("  error: {e}");
        return Ok(());
    }
    for reason in &r.reasons {
        outln!("  {reason}");
    }
    match (&r.parent.available, &r.parent.server) {
        (true, Some(server)) => outln!(
            "  parent {}: NS {}  (from {server})",
            r.parent.zone.as_deref().unwrap_or("?"),
            r.parent.ns.join(" ")
        ),
        _ => outln!(
            "  parent: not read ({})",
            r.parent.error.as_deref().unwrap_or("?")
        ),
    }
    outln!("  apex: NS {}", r.apex_ns.join(" "));
    let mut table = Table::new();
    table.load_style(UTF8_FULL_CONDENSED).set_header([
        "nameserver",
        "listed at",
        "address",
        "block",
        "routable",
        "AS",
        "SOA serial",
        "answer",
    ]);
    for ns in &r.nameservers {
        if ns.addresses.is_empty() {
            table.add_row([
                ns.name.clone(),
                ns.sources.join("+"),
                ns.error.clone().unwrap_or_else(|| "no address".into()),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
        }
        for a in &ns.addresses {
            let (serial, answer) = match &a.query {
                None => ("-".to_string(), "not asked".to_string()),
                Some(q) if q.skipped => ("-".into(), "not asked: no route from here".into()),
                Some(q) if !q.udp && !q.tcp => ("-".into(), "unreachable".into()),
                Some(q) => (
                    q.serial.map_or("-".into(), |s| s.to_string()),
                    format!(
                        "{}{}{}",
                        q.rcode.as_deref().unwrap_or("?"),
                        if q.authoritative {
                            " aa"
                        } else {
                            " not authoritative"
                        },
                        q.rtt_ms.map_or(String::new(), |ms| format!(", {ms} ms"))
                    ),
                ),
            };
            let name = match &ns.cname {
                Some(target) => format!("{} (CNAME {target})", ns.name),
                None => ns.name.clone(),
            };
            table.add_row([
                name,
                ns.sources.join("+"),
                a.address.to_string(),
                a.block.clone(),
                a.routable.clone(),
                a.asn.map_or("-".into(), |n| format!("AS{n}")),
                serial,
                answer,
            ]);
        }
    }
    outln!("{table}");
    let d = &r.diversity;
    let family = |name: &str, f: &zonectl::probe::FamilyDiversity| {
        if f.nameservers == 0 {
            format!("{name}: none")
        } else {
            format!(
                "{name}: {} block(s) ({}), one block failure takes down at most {:.0}%",
                f.blocks.len(),
                f.blocks.join(", "),
                f.largest_share * 100.0
            )
        }
    };
    outln!("  {}", family("IPv4", &d.v4));
    outln!("  {}", family("IPv6", &d.v6));
    for f in r.findings.iter().filter(|f| f.severity != Verdict::Pass) {
        outln!("  {} {}: {}", f.severity, f.code, f.message);
    }
    outln!();
    Ok(())
}
