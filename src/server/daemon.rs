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
use super::config::{Config, ConfigError, ZoneConfig};
use super::engine::{Engine, EngineOptions};
use super::rrl::RateLimiter;
use super::store::ZoneVersion;
use super::tcp::{Connections, TcpLimits};
use super::udp::{self, UdpStats};
use crate::zone::check::CheckOptions;
use crate::zone::reader::ReadOptions;
use crate::zone::{Diagnostic, Name, Severity};

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
    let results: Vec<_> = config
        .zones
        .par_iter()
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
    files: HashMap<Name, Vec<(PathBuf, Option<SystemTime>)>>,
    handles: HashMap<Name, Arc<ZoneHandle>>,
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
    let mut state = State {
        config: config.clone(),
        config_path,
        files: HashMap::new(),
        handles: HashMap::new(),
    };
    for (name, l) in loaded {
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
    let state = Arc::new(std::sync::Mutex::new(state));
    let engine = Arc::new(Engine::new(catalog, engine_options(&config)));
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
                    let reloaded = tokio::task::spawn_blocking(move || {
                        let mut state = state.lock().unwrap_or_else(|e| e.into_inner());
                        reload(&mut state, &engine);
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
fn reload(state: &mut State, engine: &Engine) {
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
    }
    let config = state.config.clone();
    let mut catalog = (**engine.catalog.load()).clone();
    let mut wanted = std::collections::HashSet::new();
    for zone in &config.zones {
        let Ok(name) = Name::parse(zone.name.as_bytes(), Some(&Name::root())) else {
            continue;
        };
        wanted.insert(name.clone());
        let unchanged = state.files.get(&name).is_some_and(|files| {
            files.iter().all(|(p, t)| modified(p) == *t)
                && files.first().is_some_and(|(p, _)| *p == zone.file)
        });
        if unchanged && state.handles.contains_key(&name) {
            continue;
        }
        match load_zone(zone, config.include_root.as_deref()) {
            Ok(l) => {
                tracing::info!("zone {name} reloaded: serial {}", l.version.serial);
                state.files.insert(name.clone(), l.files);
                match state.handles.get(&name) {
                    Some(handle) => handle.store(l.version),
                    None => {
                        let handle = Arc::new(ZoneHandle::new(l.version));
                        catalog.insert(handle.clone());
                        state.handles.insert(name, handle);
                    }
                }
            }
            Err(e) => tracing::error!("{e}; the old version stays"),
        }
    }
    let gone: Vec<Name> = state
        .handles
        .keys()
        .filter(|n| !wanted.contains(*n))
        .cloned()
        .collect();
    for name in gone {
        tracing::info!("zone {name} removed");
        catalog.remove(&name);
        state.handles.remove(&name);
        state.files.remove(&name);
    }
    engine.set_catalog(catalog);
}
