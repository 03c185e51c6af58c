//! DNS over TCP (RFC 7766, RFC 1035 §4.2.2): each message behind a
//! two-octet length; several queries may arrive on one connection without
//! waiting for answers (pipelining), and each is answered as it is read.
//! A connection idle past the timeout is closed, and so is one whose
//! message does not arrive in full within it (a slow client cannot hold a
//! connection by trickling bytes). Connections are limited in all and per
//! client address; past a limit a new connection is closed at once.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::engine::{Client, Engine, TransferStart};
use super::transfer::Outgoing;
use super::udp::unix_now;

#[derive(Debug, Clone, Copy)]
pub struct TcpLimits {
    pub idle_timeout: Duration,
    pub max_connections: usize,
    pub max_per_client: usize,
}

/// Open connections, in all and by client address.
#[derive(Default)]
pub struct Connections {
    total: AtomicUsize,
    by_client: Mutex<HashMap<IpAddr, usize>>,
}

/// A connection counted while it lives.
struct Slot {
    connections: Arc<Connections>,
    addr: IpAddr,
}

impl Connections {
    fn enter(self: &Arc<Self>, addr: IpAddr, limits: &TcpLimits) -> Option<Slot> {
        let mut by_client = self.by_client.lock().unwrap_or_else(|e| e.into_inner());
        if self.total.load(Ordering::Relaxed) >= limits.max_connections {
            return None;
        }
        let count = by_client.entry(addr).or_insert(0);
        if *count >= limits.max_per_client {
            return None;
        }
        *count += 1;
        self.total.fetch_add(1, Ordering::Relaxed);
        Some(Slot {
            connections: self.clone(),
            addr,
        })
    }

    pub fn open(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut by_client = self
            .connections
            .by_client
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = by_client.get_mut(&self.addr) {
            *count -= 1;
            if *count == 0 {
                by_client.remove(&self.addr);
            }
        }
        self.connections.total.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Accepts connections until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    engine: Arc<Engine>,
    limits: TcpLimits,
    connections: Arc<Connections>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = shutdown.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of descriptors, mostly: wait a little rather than spin.
                tracing::warn!("tcp accept: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(slot) = connections.enter(peer.ip(), &limits) else {
            tracing::debug!("tcp: refusing {peer}: connection limit");
            drop(stream);
            continue;
        };
        let engine = engine.clone();
        let shutdown = shutdown.clone();
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = connection(stream, peer, engine, limits, shutdown).await {
                tracing::debug!("tcp {peer}: {e}");
            }
        });
    }
}

async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    engine: Arc<Engine>,
    limits: TcpLimits,
    mut shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut query = vec![0u8; 65535];
    let mut out = vec![0u8; 65535 + 2];
    let client = Client {
        addr: peer.ip(),
        tcp: true,
    };
    loop {
        let mut prefix = [0u8; 2];
        let read = async {
            stream.read_exact(&mut prefix).await?;
            let len = u16::from_be_bytes(prefix) as usize;
            stream.read_exact(&mut query[..len]).await?;
            Ok::<usize, std::io::Error>(len)
        };
        let len = tokio::select! {
            r = tokio::time::timeout(limits.idle_timeout, read) => match r {
                Ok(Ok(len)) => len,
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
                Ok(Err(e)) => return Err(e),
                Err(_) => return Ok(()), // idle, or too slow
            },
            _ = shutdown.changed() => return Ok(()),
        };
        let now = unix_now();
        let outcome = match engine.start_transfer(&query[..len], client, now, &mut out[2..]) {
            TransferStart::NotATransfer if super::udp::is_slow(&query[..len]) => {
                // UPDATE and NOTIFY write to disk, sign, or forward: off the
                // runtime's threads, at the priority of background work.
                let (message, engine) = (query[..len].to_vec(), engine.clone());
                let (outcome, answer) = tokio::task::spawn_blocking(move || {
                    super::yield_to_answers();
                    let mut answer = vec![0u8; 65535];
                    let outcome = engine.respond(&message, client, now, &mut answer);
                    (outcome, answer)
                })
                .await
                .map_err(std::io::Error::other)?;
                out[2..2 + outcome.len].copy_from_slice(&answer[..outcome.len]);
                outcome
            }
            TransferStart::NotATransfer => {
                engine.respond(&query[..len], client, now, &mut out[2..])
            }
            TransferStart::Answered(outcome) => outcome,
            TransferStart::Stream(mut outgoing) => {
                send_transfer(&mut stream, &mut outgoing, peer, &limits).await?;
                continue;
            }
        };
        if outcome.len == 0 {
            // Not a query (RFC 7766 §7: nothing to answer): close.
            return Ok(());
        }
        out[..2].copy_from_slice(&(outcome.len as u16).to_be_bytes());
        tokio::time::timeout(
            limits.idle_timeout,
            stream.write_all(&out[..outcome.len + 2]),
        )
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "write timed out"))??;
    }
}

/// Sends every message of a transfer. Each write must finish within the
/// idle timeout: a secondary that stops reading loses the connection.
async fn send_transfer(
    stream: &mut TcpStream,
    outgoing: &mut Outgoing,
    peer: SocketAddr,
    limits: &TcpLimits,
) -> std::io::Result<()> {
    let started = std::time::Instant::now();
    let mut framed = Vec::with_capacity(65537);
    while let Some(message) = outgoing.next_message(65535, u64::from(unix_now())) {
        let message = message.map_err(std::io::Error::other)?;
        framed.clear();
        framed.extend_from_slice(&(message.len() as u16).to_be_bytes());
        framed.extend_from_slice(&message);
        tokio::time::timeout(limits.idle_timeout, stream.write_all(&framed))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "write timed out"))??;
    }
    tracing::info!(
        "{} of {} serial {} to {peer}: {} records in {:.3} s",
        outgoing.kind,
        outgoing.zone(),
        outgoing.serial(),
        outgoing.records,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
