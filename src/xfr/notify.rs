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
    if parsed.header.opcode() != opcode::NOTIFY || !parsed.header.has(flag::QR) {
        return (
            "error".into(),
            Some("the answer is not a NOTIFY response".into()),
        );
    }
    // RFC 1996 §4.7: the response echoes the query's question.
    match &parsed.question {
        Some((qname, qtype, qclass))
            if qname.eq_ignore_ascii_case(options.zone.as_wire())
                && *qtype == RType::SOA
                && *qclass == wire::CLASS_IN => {}
        _ => {
            return (
                "error".into(),
                Some(format!(
                    "the answer's question is not the NOTIFY for {} asked",
                    options.zone
                )),
            );
        }
    }
    // Every record must be there as counted, and nothing after them.
    let mut records = parsed.records();
    let (mut owner, mut rdata) = (Vec::new(), Vec::new());
    loop {
        match records.next_into(&mut owner, &mut rdata) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(e) => return ("error".into(), Some(format!("malformed answer: {e}"))),
        }
    }
    if let Err(e) = records.check_end() {
        return ("error".into(), Some(format!("malformed answer: {e}")));
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
            Err(NetError::Timeout { .. } | NetError::OnlyStrayPackets { .. }) => timeout *= 2,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> NotifyOptions {
        NotifyOptions {
            zone: Name::parse(b"example.", None).unwrap(),
            soa: None,
            key: None,
            fudge: 300,
            timeout: Duration::from_secs(1),
            tries: 1,
        }
    }

    fn answer(qname: &[u8], mutate: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
        let mut msg = MessageBuilder::new(1, opcode::NOTIFY, flag::QR | flag::AA)
            .question(qname, RType::SOA, wire::CLASS_IN)
            .finish();
        mutate(&mut msg);
        msg
    }

    #[test]
    fn rfc1996_4_7_only_a_whole_answer_to_our_question_acknowledges() {
        let ours = b"\x07example\x00";
        assert_eq!(
            judge(&answer(ours, |_| {}), &options(), None),
            ("NOERROR".into(), None)
        );
        let cases: [(&str, Vec<u8>); 4] = [
            ("another zone", answer(b"\x04evil\x03org\x00", |_| {})),
            // ANCOUNT 65535 and no records.
            (
                "counts",
                answer(ours, |m| m[6..8].copy_from_slice(&[0xff, 0xff])),
            ),
            (
                "trailing bytes",
                answer(ours, |m| m.extend(std::iter::repeat_n(0, 65000))),
            ),
            // An answer record whose owner points at itself.
            (
                "compression loop",
                answer(ours, |m| {
                    m[7] = 1;
                    let at = m.len() as u8;
                    m.extend_from_slice(&[0xc0, at, 0, 6, 0, 1, 0, 0, 0, 0, 0, 0]);
                }),
            ),
        ];
        for (what, msg) in cases {
            let (rcode, detail) = judge(&msg, &options(), None);
            assert!(
                rcode == "error" && detail.is_some(),
                "{what}: {rcode} {detail:?}"
            );
        }
    }
}
