//! `zonectl serve`: builds the configuration from the file and the flags,
//! then hands over to the daemon (or, with --check-config, loads every
//! zone and reports).

use std::process::ExitCode;

use anyhow::{Result, bail};
use serde::Serialize;
use zonectl::server::config::{Config, ZoneConfig};
use zonectl::server::daemon;

use crate::cli::{Format, ServeArgs};

/// The configuration the flags describe (no I/O beyond reading --config).
fn build_config(args: &ServeArgs) -> Result<Config> {
    let mut config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::from_yaml("{}", "(flags)")?,
    };
    for spec in &args.zones {
        let Some((name, file)) = spec.split_once('=') else {
            bail!("--zone {spec:?}: expected NAME=FILE");
        };
        if name.is_empty() || file.is_empty() {
            bail!("--zone {spec:?}: expected NAME=FILE");
        }
        config.zones.push(ZoneConfig::new(name, file.into()));
    }
    if !args.listen.is_empty() {
        config.listen = args.listen.clone();
    }
    if let Some(workers) = args.workers {
        config.workers = workers.into();
    }
    if args.identity.is_some() {
        config.identity = args.identity.clone();
    }
    if args.nsid.is_some() {
        config.nsid = args.nsid.clone();
    }
    if let Err(message) = config.validate() {
        bail!("{message}");
    }
    if config.zones.is_empty() {
        bail!("no zones: give --zone NAME=FILE or a --config with zones");
    }
    Ok(config)
}

#[derive(Serialize)]
struct ZoneStatus {
    zone: String,
    file: String,
    /// primary or secondary
    role: &'static str,
    loaded: bool,
    /// A secondary without a copy yet: it is transferred at start, and
    /// that is no error.
    awaiting_transfer: bool,
    serial: Option<u32>,
    names: Option<usize>,
    /// For a zone signed here: the tags of the keys that sign now.
    #[serde(skip_serializing_if = "Option::is_none")]
    signing_keys: Option<Vec<u16>>,
    errors: Vec<String>,
}

pub fn execute(args: ServeArgs) -> Result<ExitCode> {
    let config = build_config(&args)?;
    if args.check_config {
        return check_config(&config, args.format);
    }
    init_logging(&args.log_level)?;
    daemon::run(config, args.config.clone(), |addrs| {
        use std::io::Write as _;
        let mut stdout = std::io::stdout().lock();
        for addr in addrs {
            let _ = writeln!(stdout, "listening on {addr}");
        }
        let _ = stdout.flush();
    })?;
    Ok(ExitCode::SUCCESS)
}

fn check_config(config: &Config, format: Format) -> Result<ExitCode> {
    let mut statuses = Vec::new();
    for zone in &config.zones {
        let role = if zone.is_secondary() {
            "secondary"
        } else {
            "primary"
        };
        if zone.is_secondary() && !zone.file.exists() {
            statuses.push(ZoneStatus {
                zone: zone.name.clone(),
                file: zone.file.display().to_string(),
                role,
                loaded: false,
                awaiting_transfer: true,
                serial: None,
                names: None,
                signing_keys: None,
                errors: Vec::new(),
            });
            continue;
        }
        let mut status = match daemon::load_zone(zone, config.include_root.as_deref()) {
            Ok(l) => ZoneStatus {
                zone: l.version.origin.to_string(),
                file: zone.file.display().to_string(),
                role,
                loaded: true,
                awaiting_transfer: false,
                serial: Some(l.version.serial),
                names: Some(l.version.node_count()),
                signing_keys: None,
                errors: Vec::new(),
            },
            Err(e) => ZoneStatus {
                zone: zone.name.clone(),
                file: zone.file.display().to_string(),
                role,
                loaded: false,
                awaiting_transfer: false,
                serial: None,
                names: None,
                signing_keys: None,
                errors: e
                    .reason
                    .iter()
                    .cloned()
                    .chain(
                        e.diagnostics
                            .iter()
                            .filter(|d| d.severity == zonectl::zone::Severity::Error)
                            .map(|d| d.to_string()),
                    )
                    .collect(),
            },
        };
        if let Some(dnssec) = &zone.dnssec {
            // The keys are read as serving would read them.
            let signer = dnssec
                .settings()
                .map_err(anyhow::Error::msg)
                .and_then(|settings| {
                    let origin = zonectl::zone::Name::parse(
                        zone.name.as_bytes(),
                        Some(&zonectl::zone::Name::root()),
                    )?;
                    Ok(zonectl::server::signer::ZoneSigner::new(
                        origin,
                        settings,
                        zonectl::server::udp::unix_now(),
                    )?)
                });
            match signer {
                Ok(signer) => status.signing_keys = Some(signer.active_key_tags()),
                Err(e) => {
                    status.loaded = false;
                    status.errors.push(format!("dnssec: {e}"));
                }
            }
        }
        statuses.push(status);
    }
    let all_loaded = statuses.iter().all(|s| s.loaded || s.awaiting_transfer);
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "valid": all_loaded, "zones": statuses })
            )?
        ),
        Format::Table => {
            for s in &statuses {
                if s.loaded {
                    outln!(
                        "{}: {} zone {} loads: serial {}, {} names{}",
                        s.file,
                        s.role,
                        s.zone,
                        s.serial.unwrap_or(0),
                        s.names.unwrap_or(0),
                        s.signing_keys
                            .as_ref()
                            .map_or(String::new(), |tags| format!(
                                ", signed here with keys {}",
                                tags.iter()
                                    .map(u16::to_string)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ))
                    );
                } else if s.awaiting_transfer {
                    outln!(
                        "{}: secondary zone {} has no copy yet: it is transferred at start",
                        s.file,
                        s.zone
                    );
                } else {
                    outln!("{}: zone {} does not load", s.file, s.zone);
                    for e in &s.errors {
                        outln!("  {e}");
                    }
                }
            }
        }
    }
    Ok(if all_loaded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn init_logging(level: &str) -> Result<()> {
    use tracing_subscriber::EnvFilter;
    let filter = match std::env::var("RUST_LOG") {
        Ok(env) if !env.is_empty() => EnvFilter::try_new(env),
        _ => EnvFilter::try_new(level),
    };
    let filter = filter.map_err(|e| anyhow::anyhow!("--log-level {level:?}: {e}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    Ok(())
}
