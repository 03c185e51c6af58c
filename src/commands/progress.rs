//! Progress bars on stderr for work that lasts more than a second, and only
//! when stderr is a terminal (never in pipelines, cron or CI logs).

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    counter: Arc<AtomicU64>,
    /// The total, which the work may raise as it learns it.
    total: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

pub enum Unit {
    Bytes,
    Zones,
    Rrsets,
    Domains,
    /// NOTIFY targets.
    Targets,
    /// Records received; the total is unknown.
    Records,
}

impl Progress {
    /// Starts a bar for `total` units; the work advances [`Progress::counter`].
    pub fn start(total: u64, unit: Unit) -> Progress {
        let counter = Arc::new(AtomicU64::new(0));
        let total_shared = Arc::new(AtomicU64::new(total));
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = std::io::stderr().is_terminal().then(|| {
            let (counter, stop, total_shared) =
                (counter.clone(), stop.clone(), total_shared.clone());
            std::thread::spawn(move || {
                let template = match unit {
                    Unit::Bytes => {
                        "{spinner} {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)"
                    }
                    Unit::Zones => "{spinner} {bar:40} {pos}/{len} zones ({eta} left)",
                    Unit::Domains => "{spinner} {bar:40} {pos}/{len} domains ({eta} left)",
                    Unit::Targets => "{spinner} {bar:40} {pos}/{len} targets answered or given up",
                    Unit::Rrsets => {
                        "{spinner} {bar:40} {pos}/{len} RRsets signed ({rate}, {eta} left)"
                    }
                    Unit::Records => "{spinner} {pos} records received ({rate})",
                };
                let total = (!matches!(unit, Unit::Records)).then_some(total);
                let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
                bar.set_style(
                    ProgressStyle::with_template(template)
                        .map(|style| {
                            // Whole units a second: "7,843/s", not "7,842.8327/s".
                            style.with_key(
                                "rate",
                                |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                                    let _ = write!(
                                        w,
                                        "{}/s",
                                        indicatif::HumanCount(state.per_sec().round() as u64)
                                    );
                                },
                            )
                        })
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                );
                let started = Instant::now();
                let mut shown = false;
                while !stop.load(Ordering::Relaxed) {
                    if !shown && started.elapsed() > Duration::from_secs(1) {
                        bar.set_draw_target(ProgressDrawTarget::stderr());
                        shown = true;
                    }
                    if total.is_some() {
                        bar.set_length(total_shared.load(Ordering::Relaxed));
                    }
                    bar.set_position(counter.load(Ordering::Relaxed));
                    std::thread::sleep(Duration::from_millis(100));
                }
                // The work is done: the bar ends full, whatever was estimated.
                let done = counter.load(Ordering::Relaxed);
                if total.is_some() {
                    bar.set_length(done.max(1));
                }
                bar.set_position(done);
                bar.finish_and_clear();
            })
        });
        Progress {
            counter,
            total: total_shared,
            stop,
            ticker,
        }
    }

    pub fn counter(&self) -> Arc<AtomicU64> {
        self.counter.clone()
    }

    /// The total, for work that learns it as it goes.
    pub fn total(&self) -> Arc<AtomicU64> {
        self.total.clone()
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            let _ = ticker.join();
        }
    }
}
