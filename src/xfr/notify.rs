//! NOTIFY (RFC 1996): tell secondaries that a zone changed. Each target is
//! sent the zone's SOA over UDP and asked again, with a doubling timeout,
//! until it answers or the tries run out.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::net::{self, NetError};
use crate::tsig::{self, Key, ResponseVerifier};
use crate::wire::{self, Message, MessageBuilder, Section, flag, opcode};
use crate::zone::{Name, RType, Record};

#[derive(Debug, Clone)]
pub struct NotifyOptions {
    pub zone: Name,
    /// The SOA sent in the answer section (RFC 1996 §3.7), if known.
    pub soa: Option<Record>,
    pub key: Option<Key>,
    pub fudge: u16,
    /// Wait for the first answer; each retry waits twice as long.
    pub timeout: Duration,
    pub tries: u32,
}

/// What one target made of the NOTIFY.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NotifyReport {
    pub target: String,
    /// NOERROR, NOTAUTH, REFUSED, ... or "timeout" or "error".
    pub answer: String,
    pub acknowledged: bool,
    pub attempts: u32,
    /// Round-trip time of the answer, in milliseconds.
    pub rtt_ms: Option<u64>,
    /// Details: why the answer was not accepted.
    pub detail: Option<String>,
}

fn message(options: &NotifyOptions) -> (Vec<u8>, Option<Vec<u8>>) {
    let mut builder = MessageBuilder::new(wire::random_id(), opcode::NOTIFY, flag::AA).question(
        options.zone.as_wire(),
        RType::SOA,
        wire::CLASS_IN,
    );
    if let Some(soa) = &options.soa {
        builder = builder.record(
            Section::Answer,
            soa.owner.as_wire(),
            RType::SOA,
            soa.class,
            soa.ttl,
            &soa.rdata,
        );
    }
    let mut msg = builder.finish();
    let mac = options
        .key
        .as_ref()
        .map(|key| tsig::sign_request(&mut msg, key, options.fudge));
    (msg, mac)
}

/// Checks an answer: it must be a NOTIFY response to our message, and
/// carry a valid signature when we signed.
fn judge(
    answer: &[u8],
    options: &NotifyOptions,
    mac: Option<&Vec<u8>>,
) -> (String, Option<String>) {
    let parsed = match Message::parse(answer) {
        Ok(p) => p,
        Err(e) => return ("error".into(), Some(format!("malformed answer: {e}"))),
    };
    if parsed.header.opcode() != opcode::NOTIFY {
        return (
            "error".into(),
            Some("the answer is not a NOTIFY response".into()),
        );
    }
    let rcode = wire::rcode_name(parsed.full_rcode().unwrap_or(parsed.header.rcode()));
    if let (Some(key), Some(mac)) = (&options.key, mac) {
        let found = match tsig::find(answer) {
            Ok(found) => found,
            Err(e) => return ("error".into(), Some(e.to_string())),
        };
        // An unsigned error answer is still an answer worth reporting.
        if found.is_some() || rcode == "NOERROR" {
            let mut verifier = ResponseVerifier::new(key, mac.clone());
            if let Err(e) = verifier.check(answer, found.as_ref()) {
                return (rcode, Some(format!("TSIG: {e}")));
            }
        }
    }
    (rcode, None)
}

/// Sends the NOTIFY to one target.
pub fn notify(target: SocketAddr, options: &NotifyOptions) -> NotifyReport {
    let (msg, mac) = message(options);
    let mut timeout = options.timeout;
    let mut report = NotifyReport {
        target: target.to_string(),
        answer: "timeout".into(),
        acknowledged: false,
        attempts: 0,
        rtt_ms: None,
        detail: None,
    };
    for _ in 0..options.tries.max(1) {
        report.attempts += 1;
        let sent = Instant::now();
        match net::udp_exchange(target, &msg, timeout) {
            Ok(answer) => {
                let (rcode, detail) = judge(&answer, options, mac.as_ref());
                report.rtt_ms = Some(sent.elapsed().as_millis() as u64);
                report.acknowledged = rcode == "NOERROR" && detail.is_none();
                report.answer = rcode;
                report.detail = detail;
                return report;
            }
            Err(NetError::Timeout { .. }) => timeout *= 2,
            Err(e) => {
                // ICMP port unreachable and the like: try again after a pause.
                report.answer = "error".into();
                report.detail = Some(e.to_string());
                std::thread::sleep(timeout);
                timeout *= 2;
            }
        }
    }
    if report.answer == "timeout" {
        report.detail = Some(format!("no answer to {} tries", report.attempts));
    }
    report
}

/// Notifies every target at once; reports in the targets' order. `done`
/// counts the targets finished, for a progress display.
pub fn notify_all(
    targets: &[SocketAddr],
    options: &NotifyOptions,
    done: &AtomicU64,
) -> Vec<NotifyReport> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = targets
            .iter()
            .map(|&t| {
                scope.spawn(move || {
                    let report = notify(t, options);
                    done.fetch_add(1, Ordering::Relaxed);
                    report
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("notify thread"))
            .collect()
    })
}
