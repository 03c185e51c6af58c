//! The server process: loads the configured zones (each through the same
//! reader and checks as `zonectl check`; a zone with errors is not served,
//! the others are), binds every listen address for UDP and TCP, runs until
//! SIGTERM or SIGINT, and on SIGHUP reloads what changed: the
//! configuration and every zone whose files changed. A reload builds the
//! new version beside the old one, which keeps answering until the switch;
//! a zone that fails to load keeps its old version.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use super::answer::{Catalog, Identity, ZoneHandle};
use super::config::{Access, Config, ConfigError, Remote, ZoneConfig};
use super::engine::{Engine, EngineOptions};
use super::rrl::RateLimiter;
use super::secondary::{self, Primary, Timers};
use super::signer::ZoneSigner;
use super::store::ZoneVersion;
use super::tcp::{Connections, TcpLimits};
use super::transfer::{self, Journal, NotifyTarget, Policy, Rule, ZonePolicy};
use super::udp::{self, UdpStats};
use super::update::{UpdateRule, Updater};
use crate::tsig::Key;
use crate::zone::check::CheckOptions;
use crate::zone::reader::ReadOptions;
use crate::zone::{Diagnostic, Name, RType, Severity};

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DaemonError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: SocketAddr, reason: String },
    #[error("{0}")]
    Runtime(String),
}

/// Why a zone was not loaded.
#[derive(Debug)]
pub struct ZoneLoadError {
    pub zone: String,
    pub diagnostics: Vec<Diagnostic>,
    pub reason: Option<String>,
}

impl std::fmt::Display for ZoneLoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "zone {} not loaded", self.zone)?;
        if let Some(reason) = &self.reason {
            write!(f, ": {reason}")?;
        }
        for d in self
            .diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .take(20)
        {
            write!(f, "\n  {d}")?;
        }
        Ok(())
    }
}

/// A zone as loaded: its version, and the files (with their modification
/// times) it was read from, to tell on SIGHUP whether it changed.
pub struct Loaded {
    pub version: ZoneVersion,
    pub files: Vec<(PathBuf, Option<SystemTime>)>,
    pub warnings: usize,
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Reads, checks and converts one zone.
pub fn load_zone(zone: &ZoneConfig, include_root: Option<&Path>) -> Result<Loaded, ZoneLoadError> {
    let failed = |reason: String| ZoneLoadError {
        zone: zone.name.clone(),
        diagnostics: Vec::new(),
        reason: Some(reason),
    };
    let origin = Name::parse(zone.name.as_bytes(), Some(&Name::root()))
        .map_err(|e| failed(e.to_string()))?;
    let mtime = modified(&zone.file);
    // Includes stay inside the zone file's directory unless told otherwise.
    let root = include_root.map(Path::to_path_buf).or_else(|| {
        zone.file.parent().map(|p| {
            if p.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                p.to_path_buf()
            }
        })
    });
    let read = ReadOptions {
        origin: Some(origin.clone()),
        include_root: root,
        ..Default::default()
    };
    let outcome = crate::zone::reader::read_file(&zone.file, read);
    let mut files: Vec<(PathBuf, Option<SystemTime>)> = vec![(zone.file.clone(), mtime)];
    files.extend(
        outcome
            .files
            .iter()
            .skip(1)
            .map(|p| (p.clone(), modified(p))),
    );
    let options = CheckOptions {
        // Signatures are the signer's business; BIND, Knot and NSD load a
        // signed zone without validating it.
        skip_dnssec: true,
        ..Default::default()
    };
    let (report, zone_read) =
        crate::check::check_and_keep(zone.file.display().to_string(), outcome, &options);
    let errors = report.errors();
    let Some(flat) = zone_read.filter(|_| errors == 0) else {
        return Err(ZoneLoadError {
            zone: zone.name.clone(),
            diagnostics: report.diagnostics,
            reason: None,
        });
    };
    if !flat.origin.eq_ignore_case(&origin) {
        return Err(failed(format!("the file's origin is {}", flat.origin)));
    }
    let version = ZoneVersion::from_zone(&flat).map_err(|e| failed(e.to_string()))?;
    std::thread::spawn(move || drop(flat));
    Ok(Loaded {
        version,
        files,
        warnings: report.warnings(),
    })
}

/// Loads every zone of the configuration; errors are logged, and the zones
/// that loaded are returned.
pub fn load_all(config: &Config) -> (HashMap<Name, Loaded>, Vec<ZoneLoadError>) {
    use rayon::prelude::*;
    for zone in config.zones.iter().filter(|z| z.is_secondary()) {
        if let Some(note) = secondary::set_aside_if_damaged(&zone.file) {
            tracing::error!("zone {}: {note}", zone.name);
        }
    }
    let results: Vec<_> = config
        .zones
        .par_iter()
        // A secondary without a copy yet gets one by transfer.
        .filter(|z| !(z.is_secondary() || z.produce_catalog) || z.file.exists())
        .map(|z| load_zone(z, config.include_root.as_deref()))
        .collect();
    let mut loaded = HashMap::new();
    let mut failed = Vec::new();
    for result in results {
        match result {
            Ok(l) => {
                loaded.insert(l.version.origin.clone(), l);
            }
            Err(e) => failed.push(e),
        }
    }
    (loaded, failed)
}

/// What the running daemon needs to reload.
struct State {
    config: Config,
    config_path: Option<PathBuf>,
    keys: Vec<Key>,
    files: HashMap<Name, Vec<(PathBuf, Option<SystemTime>)>>,
    handles: HashMap<Name, Arc<ZoneHandle>>,
    journals: HashMap<Name, Arc<Journal>>,
    /// Secondary zones: the refresh task of each, the configuration it
    /// runs with, and what wakes it (NOTIFY).
    secondaries: HashMap<Name, SecondaryTask>,
    /// One update at a time per zone, across reloads.
    update_locks: HashMap<Name, Arc<std::sync::Mutex<()>>>,
    /// Where updates report a changed zone (NOTIFY, saving the file).
    changed: Option<tokio::sync::mpsc::UnboundedSender<Name>>,
    /// The member zones of each catalog consumed here, as secondary zones.
    catalog_members: HashMap<Name, Vec<ZoneConfig>>,
    /// Zones signed here, and the background task that keeps each signed.
    signers: HashMap<Name, Arc<ZoneSigner>>,
    signer_tasks: HashMap<Name, tokio::task::JoinHandle<()>>,
}

fn zone_name(zone: &ZoneConfig) -> Option<Name> {
    Name::parse(zone.name.as_bytes(), Some(&Name::root())).ok()
}

/// Every zone to serve: the configured ones, and the members of the
/// catalogs consumed (a zone configured by name wins over a member).
fn all_zones(state: &State) -> Vec<ZoneConfig> {
    let mut zones = state.config.zones.clone();
    let mut names: std::collections::HashSet<Name> = zones.iter().filter_map(zone_name).collect();
    for members in state.catalog_members.values() {
        for member in members {
            if let Some(name) = zone_name(member)
                && names.insert(name)
            {
                zones.push(member.clone());
            }
        }
    }
    zones
}

struct SecondaryTask {
    config: ZoneConfig,
    wake: Arc<tokio::sync::Notify>,
    task: tokio::task::AbortHandle,
}

fn key_index(keys: &[Key], name: &Option<String>) -> Option<usize> {
    let wanted = Config::key_id(name.as_deref()?);
    keys.iter()
        .position(|k| k.name.to_string().to_ascii_lowercase() == wanted)
}

fn rules(keys: &[Key], access: &[Access]) -> Vec<Rule> {
    access
        .iter()
        .map(|a| Rule {
            prefix: a.prefix().ok().flatten(),
            key: key_index(keys, &a.key),
        })
        .collect()
}

fn remotes(keys: &[Key], list: &[Remote]) -> Vec<(SocketAddr, Option<Key>)> {
    list.iter()
        .filter_map(|r| {
            let addr = r.socket_addr().ok()?;
            Some((addr, key_index(keys, &r.key).map(|i| keys[i].clone())))
        })
        .collect()
}

fn notify_targets(keys: &[Key], zone: &ZoneConfig) -> Vec<NotifyTarget> {
    remotes(keys, &zone.notify)
        .into_iter()
        .map(|(addr, key)| NotifyTarget { addr, key })
        .collect()
}

fn primaries(keys: &[Key], zone: &ZoneConfig) -> Vec<Primary> {
    remotes(keys, &zone.primaries)
        .into_iter()
        .map(|(addr, key)| Primary { addr, key })
        .collect()
}

/// The access rules of every zone: transfers as configured; NOTIFY from
/// the zone's primaries (with their keys) and whoever `allow-notify` adds.
fn build_policy(state: &mut State) -> Policy {
    let mut policy = Policy {
        keys: state.keys.clone(),
        zones: HashMap::new(),
    };
    let zones = all_zones(state);
    for zone in &zones {
        let Some(name) = zone_name(zone) else {
            continue;
        };
        state.update_locks.entry(name.clone()).or_default();
        let mut allow_notify = rules(&state.keys, &zone.allow_notify);
        for remote in &zone.primaries {
            if let Ok(addr) = remote.socket_addr() {
                allow_notify.push(Rule {
                    prefix: Some(super::config::Prefix {
                        addr: addr.ip(),
                        len: if addr.is_ipv4() { 32 } else { 128 },
                    }),
                    key: key_index(&state.keys, &remote.key),
                });
            }
        }
        policy.zones.insert(
            name.as_wire().to_ascii_lowercase(),
            ZonePolicy {
                allow_transfer: rules(&state.keys, &zone.allow_transfer),
                allow_notify,
                journal: state.journals.get(&name).cloned().unwrap_or_default(),
                refresh: state.secondaries.get(&name).map(|s| s.wake.clone()),
                updater: (!zone.is_secondary()).then(|| updater(state, zone, &name)),
                forward_updates: if zone.update_forward {
                    zone.primaries
                        .iter()
                        .filter_map(|p| p.socket_addr().ok())
                        .collect()
                } else {
                    Vec::new()
                },
            },
        );
    }
    policy
}

fn updater(state: &State, zone: &ZoneConfig, name: &Name) -> Arc<Updater> {
    let rules = zone
        .allow_update
        .iter()
        .map(|u| UpdateRule {
            prefix: u.access().prefix().ok().flatten(),
            key: key_index(&state.keys, &u.key),
            // Checked when the configuration was read.
            names: u.name_rules(name).unwrap_or_default(),
            types: u.type_list().unwrap_or_default(),
        })
        .collect();
    Arc::new(Updater {
        rules,
        serial_policy: zone.serial_policy,
        journal_file: crate::xfr::journal_path(&zone.file),
        journal_limit: zone.journal_size,
        lock: state.update_locks.get(name).cloned().unwrap_or_default(),
        changed: state.changed.clone(),
        signer: state.signers.get(name).cloned(),
    })
}

/// The journal of a zone just loaded: its file's changes if they lead to
/// the loaded serial.
/// The journal of a zone just loaded, and the version to serve: the
/// loaded one, or for a primary zone whose journal goes further (updates
/// not yet saved to the file), that one with the journal replayed.
fn open_journal(zone: &ZoneConfig, version: ZoneVersion) -> (Arc<Journal>, ZoneVersion) {
    let journal = Journal::default();
    let path = crate::xfr::journal_path(&zone.file);
    let (changes, replayed, note) = if zone.is_secondary() {
        let (changes, note) = transfer::read_journal(&path, version.serial);
        (changes, None, note)
    } else {
        transfer::replay_journal(&path, &version)
    };
    if let Some(note) = note {
        tracing::warn!("zone {}: {note}", version.origin);
    }
    journal.set(changes);
    (Arc::new(journal), replayed.unwrap_or(version))
}

fn engine_options(config: &Config) -> EngineOptions {
    EngineOptions {
        udp_size: config.udp_size,
        nsid: config.nsid_bytes(),
        identity: Identity {
            id: config.identity.clone(),
            version: config.version.clone(),
        },
        tcp_keepalive: (config.tcp.idle_timeout * 10).min(u64::from(u16::MAX)) as u16,
        ..Default::default()
    }
}

/// Raises the open-file limit to its hard maximum: every TCP connection
/// is a descriptor, and 1024 is a common default.
fn raise_file_limit() {
    // SAFETY: getrlimit/setrlimit on our own process with a valid struct.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max
        {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

/// Runs the server until SIGTERM or SIGINT. `on_ready` is called with the
/// bound addresses once every socket listens.
pub fn run(
    config: Config,
    config_path: Option<PathBuf>,
    on_ready: impl FnOnce(&[SocketAddr]),
) -> Result<(), DaemonError> {
    raise_file_limit();
    let (loaded, failed) = load_all(&config);
    for error in &failed {
        tracing::error!("{error}");
    }
    let mut catalog = Catalog::default();
    let keys = config.tsig_keys().map_err(|message| {
        DaemonError::Config(ConfigError::Invalid {
            path: "keys".into(),
            message,
        })
    })?;
    let mut state = State {
        config: config.clone(),
        config_path,
        keys,
        files: HashMap::new(),
        handles: HashMap::new(),
        journals: HashMap::new(),
        secondaries: HashMap::new(),
        update_locks: HashMap::new(),
        changed: None,
        catalog_members: HashMap::new(),
        signers: HashMap::new(),
        signer_tasks: HashMap::new(),
    };
    for (name, mut l) in loaded {
        if let Some(zone) = config
            .zones
            .iter()
            .find(|z| zone_name(z).as_ref() == Some(&name))
        {
            let (journal, version) = open_journal(zone, l.version);
            l.version = version;
            if let Some(dnssec) = &zone.dnssec {
                match sign_at_load(zone, dnssec, &name, &l.version, None, &journal) {
                    Ok((signer, signed)) => {
                        l.version = signed;
                        // Written signed: not an edit for SIGHUP to reload.
                        if let Some(first) = l.files.first_mut() {
                            first.1 = modified(&first.0);
                        }
                        state.signers.insert(name.clone(), signer);
                    }
                    Err(e) => {
                        // Never an unsigned copy of a zone meant to be signed.
                        tracing::error!("zone {name} not served: {e}");
                        continue;
                    }
                }
            }
            state.journals.insert(name.clone(), journal);
        }
        tracing::info!(
            "zone {name} loaded: serial {}, {} names{}",
            l.version.serial,
            l.version.node_count(),
            if l.warnings > 0 {
                format!(", {} warnings (zonectl check shows them)", l.warnings)
            } else {
                String::new()
            }
        );
        let handle = Arc::new(ZoneHandle::new(l.version));
        catalog.insert(handle.clone());
        state.handles.insert(name.clone(), handle);
        state.files.insert(name, l.files);
    }
    let engine = Arc::new(Engine::new(catalog, engine_options(&config)));
    engine.set_policy(build_policy(&mut state));
    let state = Arc::new(std::sync::Mutex::new(state));
    let limiter = RateLimiter::new(&config.rrl).map(Arc::new);
    let workers = if config.workers == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        config.workers
    };
    // Bind everything before answering anything: a port taken is an error
    // at start, not a half-served address.
    let mut udp_sockets = Vec::new();
    let mut tcp_listeners = Vec::new();
    let mut bound = Vec::new();
    for &addr in &config.listen {
        let bind_error = |e: std::io::Error| DaemonError::Bind {
            addr,
            reason: e.to_string(),
        };
        // Port 0: TCP takes the port UDP got; if that port is taken for
        // TCP, another pair is tried.
        let mut attempts = 0;
        let (first, actual, tcp) = loop {
            let first = udp::bind_reuseport(addr).map_err(bind_error)?;
            let actual = first.local_addr().map_err(bind_error)?;
            match std::net::TcpListener::bind(actual) {
                Ok(tcp) => break (first, actual, tcp),
                Err(e)
                    if addr.port() == 0
                        && attempts < 20
                        && e.kind() == std::io::ErrorKind::AddrInUse =>
                {
                    attempts += 1;
                }
                Err(e) => return Err(bind_error(e)),
            }
        };
        tcp.set_nonblocking(true).map_err(bind_error)?;
        // A deeper accept queue than std's 128, as NSD and Knot keep: a
        // burst of connections waits to be accepted (and judged against
        // the limits) instead of being dropped at the SYN.
        // SAFETY: listen() on a descriptor we own; Linux takes a second
        // listen() as a change of the backlog.
        unsafe {
            libc::listen(std::os::fd::AsRawFd::as_raw_fd(&tcp), 1024);
        }
        udp_sockets.push(first);
        for _ in 1..workers {
            udp_sockets.push(udp::bind_reuseport(actual).map_err(bind_error)?);
        }
        tcp_listeners.push(tcp);
        bound.push(actual);
    }
    let shutdown = Arc::new(AtomicBool::new(false));
    let stats = Arc::new(UdpStats::default());
    let mut threads = Vec::new();
    for (i, socket) in udp_sockets.into_iter().enumerate() {
        let (engine, limiter, stats, shutdown) = (
            engine.clone(),
            limiter.clone(),
            stats.clone(),
            shutdown.clone(),
        );
        let thread = std::thread::Builder::new()
            .name(format!("udp-{i}"))
            .spawn(move || udp::run_worker(socket, engine, limiter, stats, shutdown))
            .map_err(|e| DaemonError::Runtime(format!("cannot start a UDP worker: {e}")))?;
        threads.push(thread);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers.clamp(1, 4))
        .thread_name("tcp")
        .enable_all()
        .build()
        .map_err(|e| DaemonError::Runtime(format!("cannot start the runtime: {e}")))?;
    let limits = TcpLimits {
        idle_timeout: config.tcp_idle_timeout(),
        max_connections: config.tcp.max_connections,
        max_per_client: config.tcp.max_per_client,
    };
    let result = runtime.block_on(async {
        use tokio::signal::unix::{SignalKind, signal};
        let signal_error =
            |e: std::io::Error| DaemonError::Runtime(format!("cannot handle signals: {e}"));
        let mut hangup = signal(SignalKind::hangup()).map_err(signal_error)?;
        let mut terminate = signal(SignalKind::terminate()).map_err(signal_error)?;
        let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_error)?;
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let connections = Arc::new(Connections::default());
        let mut accept_tasks = Vec::new();
        for listener in tcp_listeners {
            let listener = tokio::net::TcpListener::from_std(listener)
                .map_err(|e| DaemonError::Runtime(e.to_string()))?;
            accept_tasks.push(tokio::spawn(super::tcp::serve(
                listener,
                engine.clone(),
                limits,
                connections.clone(),
                stop_rx.clone(),
            )));
        }
        {
            let (changed_tx, changed_rx) = tokio::sync::mpsc::unbounded_channel();
            tokio::spawn(follow_updates(changed_rx, state.clone()));
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            st.changed = Some(changed_tx);
            restore_catalog_members(&mut st, &engine);
            produce_catalogs(&mut st, &engine, &tokio::runtime::Handle::current());
            start_secondaries(&mut st, &state, &engine);
            start_signers(&mut st, &state);
        }
        on_ready(&bound);
        tracing::info!(
            "answering on {}",
            bound
                .iter()
                .map(|a| a.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        loop {
            tokio::select! {
                _ = hangup.recv() => {
                    let (engine, state) = (engine.clone(), state.clone());
                    let runtime = tokio::runtime::Handle::current();
                    let reloaded = tokio::task::spawn_blocking(move || {
                        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                        reload(&mut st, &engine, &runtime);
                        let _guard = runtime.enter();
                        start_secondaries(&mut st, &state, &engine);
                        start_signers(&mut st, &state);
                    });
                    if let Err(e) = reloaded.await {
                        tracing::error!("reload failed: {e}");
                    }
                }
                _ = terminate.recv() => break,
                _ = interrupt.recv() => break,
            }
        }
        tracing::info!("shutting down");
        for task in state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .secondaries
            .values()
        {
            task.task.abort();
        }
        let _ = stop_tx.send(true);
        for task in accept_tasks {
            let _ = task.await;
        }
        Ok::<(), DaemonError>(())
    });
    shutdown.store(true, Ordering::Relaxed);
    for thread in threads {
        let _ = thread.join();
    }
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    tracing::info!(
        "stopped: {} UDP queries, {} responses",
        stats.queries.load(Ordering::Relaxed),
        stats.responses.load(Ordering::Relaxed)
    );
    result
}

/// SIGHUP: re-reads the configuration (if from a file) and reloads every
/// zone that is new or whose files changed. Listen addresses and workers
/// need a restart.
fn reload(state: &mut State, engine: &Engine, runtime: &tokio::runtime::Handle) {
    if let Some(path) = state.config_path.clone() {
        match Config::from_file(&path) {
            Ok(config) => {
                if config.listen != state.config.listen || config.workers != state.config.workers {
                    tracing::warn!("reload: listen and workers changes take effect on restart");
                }
                state.config = config;
            }
            Err(e) => tracing::error!("reload: keeping the old configuration: {e}"),
        }
        match state.config.tsig_keys() {
            Ok(keys) => state.keys = keys,
            Err(e) => tracing::error!("reload: keeping the old keys: {e}"),
        }
    }
    let config = state.config.clone();
    let mut catalog = (**engine.catalog.load()).clone();
    let mut wanted = std::collections::HashSet::new();
    for zone in &config.zones {
        let Some(name) = zone_name(zone) else {
            continue;
        };
        wanted.insert(name.clone());
        if zone.is_secondary() || zone.produce_catalog {
            continue; // its copy is the refresh task's, or made here
        }
        if let Some(task) = state.secondaries.remove(&name) {
            task.task.abort(); // a secondary no more
        }
        let unchanged = state.files.get(&name).is_some_and(|files| {
            files.iter().all(|(p, t)| modified(p) == *t)
                && files.first().is_some_and(|(p, _)| *p == zone.file)
        });
        if unchanged && state.handles.contains_key(&name) {
            continue;
        }
        let loaded = load_zone(zone, config.include_root.as_deref()).and_then(|mut l| {
            let Some(dnssec) = &zone.dnssec else {
                return Ok(l);
            };
            let previous = state.handles.get(&name).map(|h| h.load_full());
            let journal = state.journals.entry(name.clone()).or_default().clone();
            let (signer, signed) = sign_at_load(
                zone,
                dnssec,
                &name,
                &l.version,
                previous.as_deref(),
                &journal,
            )
            .map_err(|e| ZoneLoadError {
                zone: zone.name.clone(),
                diagnostics: Vec::new(),
                reason: Some(e),
            })?;
            l.version = signed;
            if let Some(first) = l.files.first_mut() {
                first.1 = modified(&first.0);
            }
            state.signers.insert(name.clone(), signer);
            Ok(l)
        });
        match loaded {
            Ok(l) => {
                tracing::info!("zone {name} reloaded: serial {}", l.version.serial);
                state.files.insert(name.clone(), l.files);
                let serial = l.version.serial;
                let soa = l.version.soa();
                match state.handles.get(&name) {
                    Some(handle) => {
                        let old = handle.load_full();
                        let journal = state.journals.entry(name.clone()).or_default();
                        if let Some(note) = transfer::record_change(
                            journal,
                            &crate::xfr::journal_path(&zone.file),
                            &old,
                            &l.version,
                            zone.journal_size,
                        ) {
                            tracing::warn!("zone {name}: {note}");
                        }
                        handle.store(l.version);
                        if old.serial != serial {
                            transfer::notify_secondaries(
                                runtime,
                                &name,
                                &soa,
                                &notify_targets(&state.keys, zone),
                            );
                        }
                    }
                    None => {
                        let (journal, version) = open_journal(zone, l.version);
                        state.journals.insert(name.clone(), journal);
                        let handle = Arc::new(ZoneHandle::new(version));
                        catalog.insert(handle.clone());
                        state.handles.insert(name.clone(), handle);
                        transfer::notify_secondaries(
                            runtime,
                            &name,
                            &soa,
                            &notify_targets(&state.keys, zone),
                        );
                    }
                }
            }
            Err(e) => tracing::error!("{e}; the old version stays"),
        }
    }
    for members in state.catalog_members.values() {
        wanted.extend(members.iter().filter_map(zone_name));
    }
    let gone: Vec<Name> = state
        .handles
        .keys()
        .filter(|n| !wanted.contains(*n))
        .cloned()
        .collect();
    let unsigned: Vec<Name> = state
        .signers
        .keys()
        .filter(|n| zone_config(&config, n).is_none_or(|z| z.dnssec.is_none()))
        .cloned()
        .collect();
    for name in unsigned {
        state.signers.remove(&name);
        if let Some(task) = state.signer_tasks.remove(&name) {
            task.abort();
        }
    }
    for name in gone {
        tracing::info!("zone {name} removed");
        catalog.remove(&name);
        state.handles.remove(&name);
        state.files.remove(&name);
        state.journals.remove(&name);
    }
    let stale: Vec<Name> = state
        .secondaries
        .keys()
        .filter(|n| !wanted.contains(*n))
        .cloned()
        .collect();
    for name in stale {
        if let Some(task) = state.secondaries.remove(&name) {
            task.task.abort();
        }
    }
    engine.set_catalog(catalog);
    produce_catalogs(state, engine, runtime);
    engine.set_policy(build_policy(state));
}

/// Starts a refresh task for every secondary zone that has none (or whose
/// settings changed), and installs the access rules that let NOTIFY wake
/// them. Called inside the runtime.
fn start_secondaries(
    state: &mut State,
    shared: &Arc<std::sync::Mutex<State>>,
    engine: &Arc<Engine>,
) {
    let zones: Vec<ZoneConfig> = all_zones(state)
        .into_iter()
        .filter(|z| z.is_secondary())
        .collect();
    // Members dropped from a consumed catalog stop being served.
    let wanted: std::collections::HashSet<Name> = zones.iter().filter_map(zone_name).collect();
    let configured: std::collections::HashSet<Name> =
        state.config.zones.iter().filter_map(zone_name).collect();
    let dropped: Vec<Name> = state
        .secondaries
        .keys()
        .filter(|n| !wanted.contains(*n) && !configured.contains(*n))
        .cloned()
        .collect();
    if !dropped.is_empty() {
        let mut catalog = (**engine.catalog.load()).clone();
        for name in dropped {
            tracing::info!("zone {name} is no longer in its catalog: not served");
            if let Some(task) = state.secondaries.remove(&name) {
                task.task.abort();
            }
            catalog.remove(&name);
            state.handles.remove(&name);
            state.files.remove(&name);
            state.journals.remove(&name);
        }
        engine.set_catalog(catalog);
    }
    for zone in zones {
        let Some(name) = zone_name(&zone) else {
            continue;
        };
        if state
            .secondaries
            .get(&name)
            .is_some_and(|t| t.config == zone)
        {
            continue;
        }
        if let Some(old) = state.secondaries.remove(&name) {
            old.task.abort();
        }
        let wake = Arc::new(tokio::sync::Notify::new());
        let task = tokio::spawn(run_secondary(
            name.clone(),
            zone.clone(),
            primaries(&state.keys, &zone),
            shared.clone(),
            engine.clone(),
            wake.clone(),
        ));
        state.secondaries.insert(
            name,
            SecondaryTask {
                config: zone,
                wake,
                task: task.abort_handle(),
            },
        );
    }
    engine.set_policy(build_policy(state));
}

/// Keeps one secondary zone fresh: a refresh at once, then on the SOA
/// timers or when NOTIFY wakes it; past the expire time without a
/// successful refresh the zone answers SERVFAIL.
async fn run_secondary(
    name: Name,
    zone: ZoneConfig,
    primaries: Vec<Primary>,
    state: Arc<std::sync::Mutex<State>>,
    engine: Arc<Engine>,
    wake: Arc<tokio::sync::Notify>,
) {
    let handle_of = |state: &Arc<std::sync::Mutex<State>>| {
        state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .handles
            .get(&name)
            .cloned()
    };
    // The copy on disk was last confirmed current when it was written.
    let mut confirmed = handle_of(&state).and(modified(&zone.file));
    loop {
        let (n, z, p) = (name.clone(), zone.clone(), primaries.clone());
        let result = tokio::task::spawn_blocking(move || secondary::refresh_once(&n, &z, &p))
            .await
            .unwrap_or_else(|e| Err(e.to_string()));
        match result {
            Ok(outcome) => {
                confirmed = Some(SystemTime::now());
                if outcome.status == crate::xfr::Status::Updated {
                    if let Err(e) = secondary::seal(&zone.file) {
                        tracing::warn!("zone {name}: cannot record the copy's digest: {e}");
                    }
                    let (state, engine, zone, name) =
                        (state.clone(), engine.clone(), zone.clone(), name.clone());
                    let runtime = tokio::runtime::Handle::current();
                    let _ = tokio::task::spawn_blocking(move || {
                        install_secondary(&state, &engine, &zone, &name, &runtime, &outcome)
                            .then(|| consume_catalog(&state, &engine, &zone, &name))
                    })
                    .await;
                } else {
                    secondary::touch(&zone.file);
                    if outcome.status == crate::xfr::Status::PrimaryBehind {
                        tracing::warn!(
                            "zone {name}: the primary's serial {} is behind ours",
                            outcome.serial_after.unwrap_or(0)
                        );
                    }
                }
                if let Some(handle) = handle_of(&state) {
                    handle.set_expired(false);
                }
            }
            Err(e) => tracing::warn!("zone {name}: refresh failed: {e}"),
        }
        let handle = handle_of(&state);
        let timers = handle
            .as_ref()
            .map_or(secondary::NO_COPY_YET, |h| Timers::of(&h.load()));
        if let (Some(handle), Some(confirmed)) = (&handle, confirmed) {
            let age = SystemTime::now()
                .duration_since(confirmed)
                .unwrap_or_default();
            if age > timers.expire && !handle.is_expired() {
                tracing::error!("zone {name} expired: no refresh for {} s", age.as_secs());
                handle.set_expired(true);
            }
        }
        let wait = if confirmed
            .is_some_and(|c| SystemTime::now().duration_since(c).unwrap_or_default() < timers.retry)
        {
            timers.refresh
        } else {
            timers.retry
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = wake.notified() => tracing::info!("zone {name}: NOTIFY received, refreshing"),
        }
    }
}

/// After an IXFR: the difference sequences the transfer client journaled
/// are applied to the version served (O(size of the change), the rest
/// shared), rather than the whole copy read again. False when they do not
/// lead from the version served to the serial received.
fn apply_ixfr(
    state: &std::sync::Mutex<State>,
    zone: &ZoneConfig,
    name: &Name,
    runtime: &tokio::runtime::Handle,
    outcome: &crate::xfr::Outcome,
) -> bool {
    let Some(serial) = outcome.serial_after else {
        return false;
    };
    let st = state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(handle) = st.handles.get(name).cloned() else {
        return false;
    };
    let old = handle.load_full();
    // The sequences the transfer client journaled, replayed onto the
    // version served.
    let (changes, replayed, note) =
        transfer::replay_journal(&crate::xfr::journal_path(&zone.file), &old);
    let Some(new) = replayed.filter(|v| v.serial == serial) else {
        if let Some(note) = note {
            tracing::warn!("zone {name}: {note}; reading the copy");
        }
        return false;
    };
    let soa = new.soa();
    tracing::info!("zone {name} transferred by IXFR: serial {}", new.serial);
    handle.store(new);
    if let Some(journal) = st.journals.get(name) {
        journal.set(changes);
    }
    transfer::notify_secondaries(runtime, name, &soa, &notify_targets(&st.keys, zone));
    true
}

/// Serves the copy a refresh just wrote: loads it, keeps the journal (the
/// transfer's own, or the difference to the version served so far), and
/// tells the zone's own secondaries.
fn install_secondary(
    state: &std::sync::Mutex<State>,
    engine: &Engine,
    zone: &ZoneConfig,
    name: &Name,
    runtime: &tokio::runtime::Handle,
    outcome: &crate::xfr::Outcome,
) -> bool {
    if outcome.transfer == crate::xfr::TransferKind::Ixfr
        && apply_ixfr(state, zone, name, runtime, outcome)
    {
        return true;
    }
    let include_root = state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .config
        .include_root
        .clone();
    let loaded = match load_zone(zone, include_root.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            tracing::error!("{e}; the version served so far stays");
            return false;
        }
    };
    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    let journal_file = crate::xfr::journal_path(&zone.file);
    let journal = st.journals.entry(name.clone()).or_default().clone();
    let soa = loaded.version.soa();
    tracing::info!("zone {name} transferred: serial {}", loaded.version.serial);
    match st.handles.get(name).cloned() {
        Some(handle) => {
            let old = handle.load_full();
            let (changes, _) = transfer::read_journal(&journal_file, loaded.version.serial);
            // After an IXFR the transfer client's journal leads here already.
            if !changes.is_empty() {
                journal.set(changes);
            } else if let Some(note) = transfer::record_change(
                &journal,
                &journal_file,
                &old,
                &loaded.version,
                zone.journal_size,
            ) {
                tracing::warn!("zone {name}: {note}");
            }
            handle.store(loaded.version);
        }
        None => {
            let (changes, _) = transfer::read_journal(&journal_file, loaded.version.serial);
            journal.set(changes);
            let handle = Arc::new(ZoneHandle::new(loaded.version));
            let mut catalog = (**engine.catalog.load()).clone();
            catalog.insert(handle.clone());
            engine.set_catalog(catalog);
            st.handles.insert(name.clone(), handle);
            engine.set_policy(build_policy(&mut st));
        }
    }
    st.files.insert(name.clone(), loaded.files);
    transfer::notify_secondaries(runtime, name, &soa, &notify_targets(&st.keys, zone));
    true
}

/// The member zones a consumed catalog lists now, as secondary zones of
/// the catalog's primaries (RFC 9432 §5: members are transferred from the
/// catalog's primaries, with its key).
fn catalog_member_configs(
    state: &State,
    zone: &ZoneConfig,
    name: &Name,
) -> Option<Vec<ZoneConfig>> {
    let dir = zone.consume_catalog.as_ref()?;
    let version = state.handles.get(name)?.load_full();
    let members = match super::catalog::members(&version.to_zone()) {
        Ok(m) => m,
        Err(e) => {
            tracing::error!("catalog {name}: {e}; its members stay as they were");
            return None;
        }
    };
    Some(
        members
            .into_iter()
            .map(|m| {
                let mut member =
                    ZoneConfig::new(&m.zone.to_string(), dir.join(format!("{}zone", m.zone)));
                member.primaries = zone.primaries.clone();
                member.allow_transfer = zone.allow_transfer.clone();
                member.allow_notify = zone.allow_notify.clone();
                member.journal_size = zone.journal_size;
                member
            })
            .collect(),
    )
}

/// After a consumed catalog changed: its members as they are now start
/// (or keep) being served, those it dropped stop.
fn consume_catalog(
    state: &Arc<std::sync::Mutex<State>>,
    engine: &Arc<Engine>,
    zone: &ZoneConfig,
    name: &Name,
) {
    if zone.consume_catalog.is_none() {
        return;
    }
    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(members) = catalog_member_configs(&st, zone, name) else {
        return;
    };
    tracing::info!("catalog {name}: {} member zones", members.len());
    st.catalog_members.insert(name.clone(), members);
    start_secondaries(&mut st, state, engine);
}

/// At start: the members of every consumed catalog whose copy is on disk,
/// served from their own copies on disk at once (their refresh starts with
/// the other secondaries).
fn restore_catalog_members(state: &mut State, engine: &Engine) {
    let catalogs: Vec<ZoneConfig> = state
        .config
        .zones
        .iter()
        .filter(|z| z.consume_catalog.is_some())
        .cloned()
        .collect();
    let mut catalog = (**engine.catalog.load()).clone();
    for zone in catalogs {
        let Some(name) = zone_name(&zone) else {
            continue;
        };
        let Some(members) = catalog_member_configs(state, &zone, &name) else {
            continue;
        };
        for member in members.iter().filter(|m| m.file.exists()) {
            let Some(member_name) = zone_name(member) else {
                continue;
            };
            if state.handles.contains_key(&member_name) {
                continue;
            }
            match load_zone(member, None) {
                Ok(l) => {
                    let (journal, version) = open_journal(member, l.version);
                    state.journals.insert(member_name.clone(), journal);
                    let handle = Arc::new(ZoneHandle::new(version));
                    catalog.insert(handle.clone());
                    state.handles.insert(member_name.clone(), handle);
                    state.files.insert(member_name, l.files);
                }
                Err(e) => tracing::warn!("{e}; it is transferred again"),
            }
        }
        state.catalog_members.insert(name, members);
    }
    engine.set_catalog(catalog);
}

/// Builds every catalog produced here from the zones that name it, and
/// serves it when its members changed (a new serial, the difference
/// journaled, NOTIFY sent, the file saved).
fn produce_catalogs(state: &mut State, engine: &Engine, runtime: &tokio::runtime::Handle) {
    let producers: Vec<ZoneConfig> = state
        .config
        .zones
        .iter()
        .filter(|z| z.produce_catalog)
        .cloned()
        .collect();
    for zone in producers {
        let Some(name) = zone_name(&zone) else {
            continue;
        };
        let mut members: Vec<(Name, Option<String>)> = state
            .config
            .zones
            .iter()
            .filter(|z| {
                z.catalog.as_ref().is_some_and(|c| {
                    Name::parse(c.as_bytes(), Some(&Name::root())).is_ok_and(|c| c == name)
                })
            })
            .filter_map(|z| Some((zone_name(z)?, z.catalog_group.clone())))
            .collect();
        members.sort_by(|a, b| a.0.as_wire().cmp(b.0.as_wire()));
        let current = state.handles.get(&name).map(|h| h.load_full());
        let now_members = current.as_ref().and_then(|v| {
            let listed = super::catalog::members(&v.to_zone()).ok()?;
            let mut listed: Vec<(Name, Option<String>)> =
                listed.into_iter().map(|m| (m.zone, m.group)).collect();
            listed.sort_by(|a, b| a.0.as_wire().cmp(b.0.as_wire()));
            Some(listed)
        });
        if now_members.as_ref() == Some(&members) {
            continue;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let serial = current.as_ref().map_or(now as u32, |v| {
            super::update::SerialPolicy::Unixtime.next(v.serial, now)
        });
        let built = super::catalog::build(&name, serial, &members);
        let version = match ZoneVersion::from_zone(&built) {
            Ok(v) => v,
            Err(e) => {
                tracing::error!("catalog {name}: {e}");
                continue;
            }
        };
        let saved = crate::fsutil::AtomicFile::create(&zone.file).and_then(|mut out| {
            crate::zone::writer::write_zone(&built, out.writer())?;
            out.commit()
        });
        if let Err(e) = saved {
            tracing::warn!("catalog {name}: cannot save {}: {e}", zone.file.display());
        }
        tracing::info!("catalog {name}: {} members, serial {serial}", members.len());
        let soa = version.soa();
        let journal = state.journals.entry(name.clone()).or_default().clone();
        match state.handles.get(&name) {
            Some(handle) => {
                if let Some(old) = &current
                    && let Some(note) = transfer::record_change(
                        &journal,
                        &crate::xfr::journal_path(&zone.file),
                        old,
                        &version,
                        zone.journal_size,
                    )
                {
                    tracing::warn!("catalog {name}: {note}");
                }
                handle.store(version);
            }
            None => {
                let handle = Arc::new(ZoneHandle::new(version));
                let mut catalog = (**engine.catalog.load()).clone();
                catalog.insert(handle.clone());
                engine.set_catalog(catalog);
                state.handles.insert(name.clone(), handle);
            }
        }
        state.files.insert(
            name.clone(),
            vec![(zone.file.clone(), modified(&zone.file))],
        );
        transfer::notify_secondaries(runtime, &name, &soa, &notify_targets(&state.keys, &zone));
    }
}

/// After each update: NOTIFY the zone's secondaries at once, and save the
/// zone file once updates have paused for a second (the journal already
/// holds them, so a crash in between loses nothing).
async fn follow_updates(
    mut changed: tokio::sync::mpsc::UnboundedReceiver<Name>,
    state: Arc<std::sync::Mutex<State>>,
) {
    while let Some(first) = changed.recv().await {
        let mut pending = vec![first];
        notify_after_update(&state, &pending[0]);
        while let Ok(Some(name)) =
            tokio::time::timeout(std::time::Duration::from_secs(1), changed.recv()).await
        {
            notify_after_update(&state, &name);
            if !pending.contains(&name) {
                pending.push(name);
            }
        }
        let state = state.clone();
        let _ = tokio::task::spawn_blocking(move || {
            super::yield_to_answers();
            for name in pending {
                save_zone(&state, &name);
            }
        })
        .await;
    }
}

fn notify_after_update(state: &std::sync::Mutex<State>, name: &Name) {
    let st = state.lock().unwrap_or_else(|e| e.into_inner());
    let (Some(handle), Some(zone)) = (st.handles.get(name), zone_config(&st.config, name)) else {
        return;
    };
    let soa = handle.load().soa();
    transfer::notify_secondaries(
        &tokio::runtime::Handle::current(),
        name,
        &soa,
        &notify_targets(&st.keys, zone),
    );
}

fn zone_config<'c>(config: &'c Config, name: &Name) -> Option<&'c ZoneConfig> {
    config
        .zones
        .iter()
        .find(|z| zone_name(z).as_ref() == Some(name))
}

/// Writes the served version of a zone to its file, atomically, and
/// remembers the file's new time so that SIGHUP does not take it for an
/// edit.
fn save_zone(state: &std::sync::Mutex<State>, name: &Name) {
    let (handle, file) = {
        let st = state.lock().unwrap_or_else(|e| e.into_inner());
        let (Some(handle), Some(zone)) = (st.handles.get(name), zone_config(&st.config, name))
        else {
            return;
        };
        (handle.clone(), zone.file.clone())
    };
    let version = handle.load_full();
    match write_zone_file(&file, &version) {
        Ok(()) => {
            // Sealed as written: a restart trusts the file's signatures
            // (a seal that fails to be written only costs that).
            let _ = super::secondary::seal(&file);
            tracing::info!(
                "zone {name} saved to {}: serial {}",
                file.display(),
                version.serial
            );
            let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
            st.files
                .insert(name.clone(), vec![(file.clone(), modified(&file))]);
        }
        Err(e) => tracing::error!(
            "zone {name}: cannot save {} ({e}); the journal keeps the updates",
            file.display()
        ),
    }
}

/// Signs a primary zone configured for online signing as loaded (see
/// [`ZoneSigner::sign_version`]), writing the signed zone to its file; at
/// start, journals the difference when the signing moved the serial on.
fn sign_at_load(
    zone: &ZoneConfig,
    dnssec: &super::config::DnssecConfig,
    name: &Name,
    loaded: &ZoneVersion,
    previous: Option<&ZoneVersion>,
    journal: &Journal,
) -> Result<(Arc<ZoneSigner>, ZoneVersion), String> {
    let now = udp::unix_now();
    let settings = dnssec.settings()?;
    let signer = ZoneSigner::new(name.clone(), settings, now).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    // At start, a file this server signed and sealed is trusted: its
    // signatures are reused unverified where their RRsets are unchanged.
    let own_file = previous.is_none() && super::secondary::is_sealed(&zone.file);
    let stamp = |f: &Path| {
        std::fs::metadata(f)
            .ok()
            .map(|m| (m.len(), m.modified().ok()))
    };
    let file_before = stamp(&zone.file);
    let (signed, differs) = signer
        .sign_version(loaded, previous, zone.serial_policy, own_file, now)
        .map_err(|e| e.to_string())?;
    tracing::info!(
        "zone {name} signed: serial {}, in {:.1} s",
        signed.serial,
        started.elapsed().as_secs_f64()
    );
    if differs {
        // The file gets the signed zone before anything is journaled on
        // top of it, so that a restart replays the journal onto the very
        // signatures it was written against (Knot keeps its zone file
        // signed the same way).
        write_zone_file(&zone.file, &signed)
            .and_then(|()| super::secondary::seal(&zone.file))
            .map_err(|e| {
                format!(
                    "cannot write the signed zone to {}: {e}",
                    zone.file.display()
                )
            })?;
    } else if !own_file && previous.is_none() && stamp(&zone.file) == file_before {
        // Signed already, and every signature kept was verified: the file
        // is as this server would write it, and is sealed so (unless it
        // changed while it was being signed).
        let _ = super::secondary::seal(&zone.file);
    }
    // At start, a re-signing that moved the serial on is journaled here;
    // on a reload the caller journals the change from what was served.
    if previous.is_none()
        && signed.serial != loaded.serial
        && let Some(note) = transfer::record_change(
            journal,
            &crate::xfr::journal_path(&zone.file),
            loaded,
            &signed,
            zone.journal_size,
        )
    {
        tracing::warn!("zone {name}: {note}");
    }
    Ok((Arc::new(signer), signed))
}

/// Starts the background signing task of every zone signed here that has
/// none. Called inside the runtime.
fn start_signers(st: &mut State, state: &Arc<std::sync::Mutex<State>>) {
    st.signer_tasks.retain(|_, task| !task.is_finished());
    let names: Vec<Name> = st.signers.keys().cloned().collect();
    for name in names {
        if st.signer_tasks.contains_key(&name) {
            continue;
        }
        let task = tokio::spawn(run_signer(name.clone(), state.clone()));
        st.signer_tasks.insert(name, task);
    }
}

/// Keeps a zone signed as time passes: wakes when a signature comes due
/// for refresh or a key changes state (and at least hourly, to see new
/// key files), and re-signs in batches.
async fn run_signer(name: Name, state: Arc<std::sync::Mutex<State>>) {
    loop {
        let (name2, state2) = (name.clone(), state.clone());
        let next = tokio::task::spawn_blocking(move || maintain_signatures(&name2, &state2))
            .await
            .unwrap_or_else(|_| udp::unix_now() + 60);
        let wait = next.saturating_sub(udp::unix_now());
        tokio::time::sleep(std::time::Duration::from_secs(wait.into())).await;
    }
}

/// What a background signing step needs of a zone, fetched afresh each
/// time (a reload may have replaced any of it).
struct SigningParts {
    signer: Arc<ZoneSigner>,
    handle: Arc<ZoneHandle>,
    journal: Arc<Journal>,
    updater: Arc<Updater>,
}

fn signing_parts(state: &std::sync::Mutex<State>, name: &Name) -> Option<SigningParts> {
    let st = state.lock().unwrap_or_else(|e| e.into_inner());
    let zone = zone_config(&st.config, name)?;
    Some(SigningParts {
        signer: st.signers.get(name)?.clone(),
        handle: st.handles.get(name)?.clone(),
        journal: st.journals.get(name)?.clone(),
        updater: updater(&st, zone, name),
    })
}

/// One pass of background signing; when the next is due.
fn maintain_signatures(name: &Name, state: &std::sync::Mutex<State>) -> u32 {
    const HOUR: u32 = 3600;
    super::yield_to_answers();
    let now = udp::unix_now();
    let Some(SigningParts {
        signer,
        handle,
        journal,
        updater,
    }) = signing_parts(state, name)
    else {
        return now + HOUR;
    };
    if let Err(e) = signer.reload_keys(now) {
        tracing::error!("zone {name}: keys not reread, signing with those read before: {e}");
    }
    // One new version: the changes `make` makes, the serial moved on, the
    // SOA signed, journaled, served.
    let change = |make: &dyn Fn(&mut super::store::ZoneEditor) -> Result<bool, String>| {
        let _one_at_a_time = updater.lock.lock().unwrap_or_else(|e| e.into_inner());
        let old = handle.load_full();
        let mut editor = old.edit();
        if !make(&mut editor)? {
            return Ok(());
        }
        super::update::set_serial(
            &mut editor,
            updater.serial_policy.next(old.serial, now.into()),
        )
        .map_err(|e| e.to_string())?;
        signer
            .sign_soa(&mut editor, now)
            .map_err(|e| e.to_string())?;
        super::update::commit(&handle, &journal, &updater, &old, editor.finish()).map_err(|r| r.why)
    };
    let keys = change(&|editor| {
        let mut touched = signer
            .update_apex_keys(editor, now)
            .map_err(|e| e.to_string())?;
        if touched.is_empty() {
            return Ok(false);
        }
        // The apex's NSEC or NSEC3 bitmap follows CDS coming and going.
        touched.push((name.clone(), RType::SOA));
        signer
            .sign_changes(editor, &touched, now)
            .map_err(|e| e.to_string())?;
        Ok(true)
    });
    if let Err(e) = keys {
        tracing::error!("zone {name}: key RRsets not updated: {e}");
        return now + 300;
    }
    let version = handle.load_full();
    let mut cursor = super::store::NodeCursor::default();
    let mut stale = Vec::new();
    let mut due: Option<u32> = None;
    let mut made = 0;
    while !cursor.is_done() {
        if let Some(d) = signer.stale_sets(&version, &mut cursor, 1000, now, &mut stale) {
            due = Some(due.map_or(d, |x| x.min(d)));
        }
        if stale.len() >= signer.settings.batch || (cursor.is_done() && !stale.is_empty()) {
            let batch = std::mem::take(&mut stale);
            let result = change(&|editor| {
                signer
                    .resign(editor, &batch, now)
                    .map(|n| n > 0)
                    .map_err(|e| e.to_string())
            });
            if let Err(e) = result {
                tracing::error!("zone {name}: re-signing stopped: {e}");
                return now + 300;
            }
            made += batch.len();
        }
    }
    if made > 0 {
        tracing::info!("zone {name}: {made} RRsets signed again");
    }
    let next = [due, signer.next_key_event()]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now + HOUR);
    next.clamp(now + 1, now + HOUR)
}

/// Writes a version of a zone to `file`, atomically: the SOA first, then
/// every node as the version holds it (each RRset followed by its
/// signatures, the NSEC3 chain last), streamed from the version without a
/// flat copy of the zone beside it.
fn write_zone_file(file: &Path, version: &ZoneVersion) -> std::io::Result<()> {
    let mut out = crate::fsutil::AtomicFile::create(file)?;
    let writer = out.writer();
    let mut line = String::with_capacity(256);
    let mut write = |r: &crate::zone::Record| {
        crate::zone::writer::write_record(
            r.owner.as_wire(),
            r.ttl,
            r.class,
            r.rtype,
            &r.rdata,
            &mut line,
            writer,
        )
    };
    write(&version.soa())?;
    let mut cursor = super::store::NodeCursor::default();
    let mut nodes = Vec::new();
    while !cursor.is_done() {
        nodes.clear();
        version.next_nodes(&mut cursor, 1024, &mut nodes);
        for node in &nodes {
            let apex = node.has(super::store::flag::APEX);
            for record in node.records(version.class) {
                if !(apex && record.rtype == RType::SOA) {
                    write(&record)?;
                }
            }
        }
    }
    out.commit()
}
