//! From a query's bytes to a response's bytes: the protocol rules around
//! the answer engine. EDNS(0) (RFC 6891: size negotiation, BADVERS, DO
//! echoed as RFC 3225 asks), NSID (RFC 5001), server cookies (RFC 7873 with
//! the interoperable format of RFC 9018), edns-tcp-keepalive (RFC 7828),
//! truncation (RFC 2181 §9), and the classes and opcodes of RFC 8906.
//! Transports (UDP, TCP) call [`Engine::respond`] with a buffer of their
//! own; nothing here allocates.

use std::net::IpAddr;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::answer::{Answerer, Catalog, Identity};
use super::query::{self, Cookie, Edns, Refusal, option};
use super::response::Response;
use super::transfer::{self, Outgoing, Policy};
use crate::tsig::{RequestCheck, ResponseSigner};
use crate::wire::{opcode, rcode};

const SERVED_OPCODES: &[u8] = &[opcode::QUERY, opcode::NOTIFY, opcode::UPDATE];

/// Room kept for the TSIG record of a signed answer.
const TSIG_ROOM: usize = 512;

/// Our UDP payload size when the client offers more (the DNS flag day
/// 2020 value, which avoids fragmentation on common paths).
pub const DEFAULT_UDP_SIZE: u16 = 1232;
const BADVERS: u16 = 16;
const FLAG_AA: u16 = 0x0400;
const FLAG_TC: u16 = 0x0200;
const FLAG_CD: u16 = 0x0010;

#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Our largest UDP response (RFC 6891 §6.2.5).
    pub udp_size: u16,
    /// NSID payload, sent to clients that ask (RFC 5001).
    pub nsid: Option<Vec<u8>>,
    pub identity: Identity,
    /// Secret for server cookies (RFC 9018 §4.4: SipHash-2-4 key).
    pub cookie_secret: [u8; 16],
    /// Idle timeout announced by edns-tcp-keepalive, in units of 100 ms.
    pub tcp_keepalive: u16,
}

impl Default for EngineOptions {
    fn default() -> Self {
        let mut secret = [0u8; 16];
        let _ = ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut secret);
        EngineOptions {
            udp_size: DEFAULT_UDP_SIZE,
            nsid: None,
            identity: Identity::default(),
            cookie_secret: secret,
            tcp_keepalive: 100,
        }
    }
}

pub struct Engine {
    pub catalog: ArcSwap<Catalog>,
    /// Keys and the zones' access rules and journals.
    pub policy: ArcSwap<Policy>,
    pub options: EngineOptions,
}

/// How a TCP request that may be a zone transfer is to be answered.
pub enum TransferStart {
    /// Not a transfer: answer it with [`Engine::respond`].
    NotATransfer,
    /// Refused, or an error: the one message is in the buffer given.
    Answered(Outcome),
    /// Send every message of this.
    Stream(Box<Outgoing>),
}

/// A verified TSIG on a request: the key's index and what signing the
/// answer needs.
struct Signed {
    key: usize,
    signer: ResponseSigner,
}

/// Who asked, and how.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub addr: IpAddr,
    pub tcp: bool,
}

/// What the transport should know about a response beyond its bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    pub len: usize,
    pub rcode: u16,
    pub truncated: bool,
    /// The query returned a server cookie of ours (RFC 7873 §5.2.4): the
    /// client's address is proven, so rate limiting passes it over.
    pub cookie_valid: bool,
}

impl Engine {
    pub fn new(catalog: Catalog, options: EngineOptions) -> Engine {
        Engine {
            catalog: ArcSwap::from_pointee(catalog),
            policy: ArcSwap::from_pointee(Policy::default()),
            options,
        }
    }

    pub fn set_policy(&self, policy: Policy) {
        self.policy.store(Arc::new(policy));
    }

    pub fn set_catalog(&self, catalog: Catalog) {
        self.catalog.store(Arc::new(catalog));
    }

    /// Answers one query into `out` (at least 512 octets; 65535 for TCP).
    /// A length of 0 means no response is to be sent.
    pub fn respond(&self, msg: &[u8], client: Client, now: u32, out: &mut [u8]) -> Outcome {
        self.respond_within(msg, client, now, out, 0)
    }

    /// [`Engine::respond`], keeping `room` octets free below the size
    /// limit (for a TSIG record added afterwards).
    fn respond_within(
        &self,
        msg: &[u8],
        client: Client,
        now: u32,
        out: &mut [u8],
        room: usize,
    ) -> Outcome {
        let query = match query::parse(msg, SERVED_OPCODES) {
            Ok(q) => q,
            Err(Refusal::Drop) => return Outcome::default(),
            Err(Refusal::FormErr { question }) => {
                return error_response(msg, question, rcode::FORMERR, out);
            }
            Err(Refusal::NotImp { question }) => {
                return error_response(msg, question, rcode::NOTIMP, out);
            }
        };
        if query.opcode == opcode::UPDATE
            && let Some(outcome) = self.forward_update(msg, &query, out)
        {
            return outcome;
        }
        if query.has_tsig {
            return self.respond_signed(msg, &query, client, now, out);
        }
        if query.opcode != opcode::QUERY || matches!(query.qtype.0, 251 | 252) {
            return self.control(msg, &query, client, None, now, out);
        }
        let limit = self.size_limit(&query, client, out.len()) - room;
        let mut response = Response::new(out, query.head, limit);
        let Some(edns) = query.edns else {
            let (code, flags) = self.answer_into(&mut response, &query, false, client);
            let len = response.finish(flags, (code & 0xf) as u8);
            return Outcome {
                len,
                rcode: code,
                truncated: flags & FLAG_TC != 0,
                cookie_valid: false,
            };
        };
        // OPT is written last; keep room for it while answering.
        let opt_len = self.opt_len(&edns, client);
        response.reserve(opt_len);
        let (ext_rcode, flags) = if edns.version > 0 {
            (BADVERS, query.flags & FLAG_CD)
        } else {
            self.answer_into(&mut response, &query, edns.dnssec_ok, client)
        };
        response.unreserve(opt_len);
        self.write_opt(&mut response, &edns, ext_rcode, client, now);
        let len = response.finish(flags, (ext_rcode & 0xf) as u8);
        Outcome {
            len,
            rcode: ext_rcode,
            truncated: flags & FLAG_TC != 0,
            cookie_valid: edns
                .cookie
                .is_some_and(|c| self.cookie_is_valid(&c, client.addr, now)),
        }
    }

    /// The largest response to `query` (with room for the question).
    fn size_limit(&self, query: &query::Query<'_>, client: Client, available: usize) -> usize {
        let limit = if client.tcp {
            available.min(65535)
        } else {
            let offered = query.edns.map_or(512, |e| e.udp_size);
            usize::from(offered.min(self.options.udp_size.max(512))).min(available)
        };
        limit.max(query.head.len() + TSIG_ROOM)
    }

    /// A TSIG-signed request (RFC 8945 §5.2): verified against the
    /// configured keys and answered signed, or NOTAUTH with the TSIG error.
    /// Rare, and off the answer path: it may allocate.
    fn respond_signed(
        &self,
        msg: &[u8],
        query: &query::Query<'_>,
        client: Client,
        now: u32,
        out: &mut [u8],
    ) -> Outcome {
        let policy = self.policy.load();
        let Ok(check) = crate::tsig::check_request(msg, &policy.keys, now.into()) else {
            return error_response(msg, query.head.len(), rcode::FORMERR, out);
        };
        let RequestCheck::Verified { key, tsig } = check else {
            return self.reject_tsig(query, &check, &policy, now, out);
        };
        let signed = Signed {
            key,
            signer: ResponseSigner::new(&policy.keys[key], &tsig),
        };
        // The request without its TSIG record, answered as any other.
        let mut unsigned = msg[..tsig.offset].to_vec();
        let arcount = u16::from_be_bytes([unsigned[10], unsigned[11]]).saturating_sub(1);
        unsigned[10..12].copy_from_slice(&arcount.to_be_bytes());
        let Ok(inner) = query::parse(&unsigned, SERVED_OPCODES) else {
            return error_response(msg, query.head.len(), rcode::FORMERR, out);
        };
        if inner.opcode != opcode::QUERY || matches!(inner.qtype.0, 251 | 252) {
            return self.control(&unsigned, &inner, client, Some(signed), now, out);
        }
        let outcome = self.respond_within(&unsigned, client, now, out, TSIG_ROOM);
        sign_into(out, outcome, Some(signed.signer), now)
    }

    /// NOTAUTH with an unsigned TSIG naming the error (BADKEY, BADSIG), or
    /// a signed one (BADTIME, BADTRUNC), as RFC 8945 §5.2 says.
    fn reject_tsig(
        &self,
        query: &query::Query<'_>,
        check: &RequestCheck,
        policy: &Policy,
        now: u32,
        out: &mut [u8],
    ) -> Outcome {
        let mut response = query.head.to_vec();
        response[2] = 0x80 | (response[2] & 0x79); // QR, keep opcode and RD
        response[3] = rcode::NOTAUTH as u8;
        response[4..12].copy_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
        crate::tsig::error_response(&mut response, &policy.keys, check, now.into());
        if response.len() > out.len() {
            return Outcome::default();
        }
        out[..response.len()].copy_from_slice(&response);
        Outcome {
            len: response.len(),
            rcode: rcode::NOTAUTH,
            truncated: false,
            cookie_valid: false,
        }
    }

    /// What is not a query: UPDATE (RFC 2136) for a primary zone, NOTIFY
    /// (RFC 1996) for a secondary one, and transfer requests that came
    /// over UDP (AXFR is served over TCP only, RFC 5936 §4.2; IXFR is
    /// answered when it fits one datagram, else with the SOA alone, RFC
    /// 1995 §2). Each answer is signed when the request was.
    fn control(
        &self,
        msg: &[u8],
        query: &query::Query<'_>,
        client: Client,
        signed: Option<Signed>,
        now: u32,
        out: &mut [u8],
    ) -> Outcome {
        let key = signed.as_ref().map(|s| s.key);
        let signer = signed.map(|s| s.signer);
        let catalog = self.catalog.load();
        let policy = self.policy.load();
        let mut lower = [0u8; 255];
        let n = super::answer::lowercase_name(query.qname, &mut lower);
        let Some(zone) = policy.zone(&lower[..n]) else {
            return short_answer(query.head, rcode::NOTAUTH, false, signer, now, out);
        };
        // A secondary without a copy yet is not served, but takes NOTIFY.
        let handle = catalog.get_wire(&lower[..n]);
        let (code, aa) = match (query.opcode, handle) {
            (opcode::NOTIFY, _) => match &zone.refresh {
                // Not a secondary here: nothing to refresh.
                None => (rcode::NOTAUTH, false),
                Some(_) if query.qtype != crate::zone::RType::SOA => (rcode::REFUSED, false),
                Some(_) if !transfer::admitted(&zone.allow_notify, client.addr, key) => {
                    (rcode::REFUSED, false)
                }
                Some(refresh) => {
                    refresh.notify_one();
                    (rcode::NOERROR, true)
                }
            },
            (_, None) => (rcode::NOTAUTH, false),
            (opcode::UPDATE, Some(handle)) => {
                (update_in(msg, client, key, handle, zone, now), false)
            }
            _ if !transfer::admitted(&zone.allow_transfer, client.addr, key) => {
                (rcode::REFUSED, false)
            }
            (_, Some(h)) if h.is_expired() => (rcode::SERVFAIL, false),
            _ if query.qtype == crate::zone::RType::AXFR => (rcode::REFUSED, false),
            (_, Some(handle)) => {
                return self.ixfr_over_udp(msg, query, client, handle, zone, signer, now, out);
            }
        };
        short_answer(query.head, code, aa, signer, now, out)
    }

    /// IXFR over UDP (RFC 1995 §2): the answer when it fits one datagram,
    /// else the SOA alone (the client then asks over TCP).
    #[allow(clippy::too_many_arguments)]
    fn ixfr_over_udp(
        &self,
        msg: &[u8],
        query: &query::Query<'_>,
        client: Client,
        handle: &super::answer::ZoneHandle,
        zone: &transfer::ZonePolicy,
        signer: Option<ResponseSigner>,
        now: u32,
        out: &mut [u8],
    ) -> Outcome {
        let Some(client_serial) = transfer::ixfr_client_serial(msg) else {
            return short_answer(query.head, rcode::FORMERR, false, signer, now, out);
        };
        let version = handle.load_full();
        let limit = self.size_limit(query, client, out.len());
        let head = query.head;
        let mut outgoing = Outgoing::ixfr(
            version.clone(),
            &zone.journal,
            client_serial,
            head,
            signer.clone(),
        );
        let message = match outgoing.next_message(limit, now.into()) {
            Some(Ok(m)) if outgoing.is_done() => m,
            _ => match Outgoing::soa_only(version, head, signer).next_message(limit, now.into()) {
                Some(Ok(m)) => m,
                _ => return Outcome::default(),
            },
        };
        if message.len() > out.len() {
            return Outcome::default();
        }
        out[..message.len()].copy_from_slice(&message);
        Outcome {
            len: message.len(),
            ..Outcome::default()
        }
    }

    /// An update for a secondary zone that forwards them (RFC 2136 §6):
    /// sent as it came (its TSIG is for the primary to check) to each
    /// primary in turn, and the first answer returned as it is. Blocking:
    /// the transports run updates off their answer paths. `None` when the
    /// zone does not forward.
    fn forward_update(
        &self,
        msg: &[u8],
        query: &query::Query<'_>,
        out: &mut [u8],
    ) -> Option<Outcome> {
        let mut lower = [0u8; 255];
        let n = super::answer::lowercase_name(query.qname, &mut lower);
        let primaries = self
            .policy
            .load()
            .zone(&lower[..n])
            .map(|z| z.forward_updates.clone())
            .filter(|p| !p.is_empty())?;
        for primary in primaries {
            match crate::net::exchange(primary, msg, std::time::Duration::from_secs(3), false) {
                Ok(answer) if answer.len() <= out.len() => {
                    out[..answer.len()].copy_from_slice(&answer);
                    tracing::info!("update forwarded to {primary}");
                    return Some(Outcome {
                        len: answer.len(),
                        rcode: u16::from(answer.get(3).map_or(0, |b| b & 0xf)),
                        ..Outcome::default()
                    });
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("forwarding an update to {primary}: {e}"),
            }
        }
        let mut response = Response::new(out, query.head, 512);
        let len = response.finish(0, rcode::SERVFAIL as u8);
        Some(Outcome {
            len,
            rcode: rcode::SERVFAIL,
            ..Outcome::default()
        })
    }

    /// Starts an AXFR or IXFR over TCP: checks the TSIG, the zone and the
    /// access rules, and hands back the messages to send.
    pub fn start_transfer(
        &self,
        msg: &[u8],
        client: Client,
        now: u32,
        out: &mut [u8],
    ) -> TransferStart {
        let Ok(query) = query::parse(msg, &[opcode::QUERY]) else {
            return TransferStart::NotATransfer;
        };
        if !matches!(query.qtype.0, 251 | 252) {
            return TransferStart::NotATransfer;
        }
        let policy = self.policy.load();
        let mut signed = None;
        if query.has_tsig {
            let Ok(check) = crate::tsig::check_request(msg, &policy.keys, now.into()) else {
                return TransferStart::Answered(error_response(
                    msg,
                    query.head.len(),
                    rcode::FORMERR,
                    out,
                ));
            };
            match check {
                RequestCheck::Verified { key, tsig } => {
                    signed = Some(Signed {
                        key,
                        signer: ResponseSigner::new(&policy.keys[key], &tsig),
                    })
                }
                RequestCheck::Unsigned => {}
                rejected => {
                    return TransferStart::Answered(
                        self.reject_tsig(&query, &rejected, &policy, now, out),
                    );
                }
            }
        }
        let key = signed.as_ref().map(|s| s.key);
        let head = query.head;
        let refuse = |code: u16, signed: Option<Signed>, out: &mut [u8]| {
            TransferStart::Answered(short_answer(
                head,
                code,
                false,
                signed.map(|s| s.signer),
                now,
                out,
            ))
        };
        let catalog = self.catalog.load();
        let mut lower = [0u8; 255];
        let n = super::answer::lowercase_name(query.qname, &mut lower);
        let Some((handle, zone)) = catalog.get_wire(&lower[..n]).zip(policy.zone(&lower[..n]))
        else {
            return refuse(rcode::NOTAUTH, signed, out);
        };
        if !transfer::admitted(&zone.allow_transfer, client.addr, key) {
            tracing::info!("transfer of {} to {} refused", handle.origin, client.addr);
            return refuse(rcode::REFUSED, signed, out);
        }
        if handle.is_expired() {
            return refuse(rcode::SERVFAIL, signed, out);
        }
        let version = handle.load_full();
        let signer = signed.map(|s| s.signer);
        let outgoing = if query.qtype.0 == 252 {
            Outgoing::axfr(version, head, signer)
        } else {
            let Some(client_serial) = transfer::ixfr_client_serial(msg) else {
                return refuse(rcode::FORMERR, None, out);
            };
            Outgoing::ixfr(version, &zone.journal, client_serial, head, signer)
        };
        TransferStart::Stream(Box::new(outgoing))
    }

    /// Answers into `response`: the RCODE and the header flags. A
    /// truncated answer carries nothing partial (RFC 2181 §9).
    fn answer_into(
        &self,
        response: &mut Response<'_>,
        query: &query::Query<'_>,
        dnssec_ok: bool,
        client: Client,
    ) -> (u16, u16) {
        let after_question = response.mark();
        let mut answerer = Answerer::new(response, query.qtype, dnssec_ok, client.tcp);
        let code = self.answer(&mut answerer, query);
        let (aa, tc) = (answerer.aa, answerer.tc);
        let mut flags = query.flags & FLAG_CD;
        if aa {
            flags |= FLAG_AA;
        }
        if tc {
            response.rollback(after_question);
            flags |= FLAG_TC;
        }
        (code, flags)
    }

    /// The answer proper, by class (RFC 8906 §3.1.3: refuse what is not
    /// ours; meta types that are not queries get FORMERR or NOTIMP).
    fn answer(&self, answerer: &mut Answerer<'_, '_>, query: &query::Query<'_>) -> u16 {
        let qtype = query.qtype;
        match qtype.0 {
            // OPT, and the TSIG/TKEY meta types, are not questions.
            41 | 249 | 250 => return rcode::FORMERR,
            // Transfers are served over TCP by the transfer-out service.
            251 | 252 => return rcode::REFUSED,
            // MAILA and MAILB (RFC 1035 §3.2.3) are obsolete.
            253 | 254 => return rcode::NOTIMP,
            _ => {}
        }
        let catalog = self.catalog.load();
        if query.qclass == 3 {
            answerer.answer_chaos(&self.options.identity, query.qname);
        } else {
            answerer.answer(&catalog, query.qname, query.qclass);
        }
        answerer.rcode
    }

    fn opt_len(&self, edns: &Edns, client: Client) -> usize {
        let mut len = 11;
        if edns.nsid
            && let Some(nsid) = &self.options.nsid
        {
            len += 4 + nsid.len();
        }
        if edns.cookie.is_some() {
            len += 4 + 8 + 16;
        }
        if edns.keepalive && client.tcp {
            len += 6;
        }
        len
    }

    fn write_opt(
        &self,
        response: &mut Response<'_>,
        edns: &Edns,
        ext_rcode: u16,
        client: Client,
        now: u32,
    ) {
        let mut opt = [0u8; 11 + 4 + 255 + 28 + 6];
        let mut len = 11;
        opt[1..3].copy_from_slice(&41u16.to_be_bytes());
        opt[3..5].copy_from_slice(&self.options.udp_size.max(512).to_be_bytes());
        opt[5] = (ext_rcode >> 4) as u8;
        opt[6] = 0; // version 0
        if edns.dnssec_ok {
            opt[7] = 0x80;
        }
        let mut put = |code: u16, value: &[u8]| {
            if len + 4 + value.len() > opt.len() {
                return;
            }
            opt[len..len + 2].copy_from_slice(&code.to_be_bytes());
            opt[len + 2..len + 4].copy_from_slice(&(value.len() as u16).to_be_bytes());
            opt[len + 4..len + 4 + value.len()].copy_from_slice(value);
            len += 4 + value.len();
        };
        if edns.nsid
            && let Some(nsid) = &self.options.nsid
        {
            put(option::NSID, &nsid[..nsid.len().min(255)]);
        }
        if let Some(cookie) = &edns.cookie {
            let mut value = [0u8; 24];
            value[..8].copy_from_slice(&cookie.client);
            value[8..].copy_from_slice(&server_cookie(
                &self.options.cookie_secret,
                &cookie.client,
                client.addr,
                now,
            ));
            put(option::COOKIE, &value);
        }
        if edns.keepalive && client.tcp {
            put(
                option::TCP_KEEPALIVE,
                &self.options.tcp_keepalive.to_be_bytes(),
            );
        }
        let rdlength = (len - 11) as u16;
        opt[9..11].copy_from_slice(&rdlength.to_be_bytes());
        let _ = response.raw_additional(&opt[..len]);
    }

    /// Whether the client returned a server cookie we made for it in the
    /// last hour (RFC 9018 §4.3), which proves its address.
    pub fn cookie_is_valid(&self, cookie: &Cookie, addr: IpAddr, now: u32) -> bool {
        if cookie.server_len != 16 || cookie.server[0] != 1 {
            return false;
        }
        let stamp = u32::from_be_bytes([
            cookie.server[4],
            cookie.server[5],
            cookie.server[6],
            cookie.server[7],
        ]);
        let age = now.wrapping_sub(stamp) as i32;
        if !(-300..=3600).contains(&age) {
            return false;
        }
        let expected = cookie_hash(
            &self.options.cookie_secret,
            &cookie.client,
            &cookie.server[..8],
            addr,
        );
        expected == cookie.server[8..16]
    }
}

/// RFC 9018 §4: version 1, three reserved octets, the time, and
/// SipHash-2-4 over client cookie, those eight octets and the client IP.
fn server_cookie(secret: &[u8; 16], client: &[u8; 8], addr: IpAddr, now: u32) -> [u8; 16] {
    let mut out = [0u8; 16];
    out[0] = 1;
    out[4..8].copy_from_slice(&now.to_be_bytes());
    let hash = cookie_hash(secret, client, &out[..8], addr);
    out[8..].copy_from_slice(&hash);
    out
}

#[allow(deprecated)] // std's SipHasher is SipHash-2-4, as RFC 9018 specifies
fn cookie_hash(secret: &[u8; 16], client: &[u8; 8], head: &[u8], addr: IpAddr) -> [u8; 8] {
    use std::hash::Hasher;
    let k0 = u64::from_le_bytes(secret[..8].try_into().expect("8 octets"));
    let k1 = u64::from_le_bytes(secret[8..].try_into().expect("8 octets"));
    let mut h = std::hash::SipHasher::new_with_keys(k0, k1);
    h.write(client);
    h.write(head);
    match addr {
        IpAddr::V4(a) => h.write(&a.octets()),
        IpAddr::V6(a) => h.write(&a.octets()),
    }
    h.finish().to_le_bytes()
}

/// Processes an UPDATE for `zone`; the RCODE to answer with (the
/// outcome is logged).
fn update_in(
    msg: &[u8],
    client: Client,
    key: Option<usize>,
    handle: &super::answer::ZoneHandle,
    zone: &transfer::ZonePolicy,
    now: u32,
) -> u16 {
    let Some(updater) = &zone.updater else {
        // A secondary's copy is its primary's to change.
        return rcode::REFUSED;
    };
    match super::update::process(
        msg,
        client.addr,
        key,
        handle,
        &zone.journal,
        updater,
        now.into(),
    ) {
        Ok(serial) => {
            tracing::info!(
                "update of {} from {}: serial {serial}",
                handle.origin,
                client.addr
            );
            rcode::NOERROR
        }
        Err(refused) => {
            tracing::info!(
                "update of {} from {} refused ({}): {}",
                handle.origin,
                client.addr,
                crate::wire::rcode_name(refused.rcode),
                refused.why
            );
            refused.rcode
        }
    }
}

/// An answer of header and question only (AA as given), signed when the
/// request was.
fn short_answer(
    head: &[u8],
    code: u16,
    aa: bool,
    signer: Option<ResponseSigner>,
    now: u32,
    out: &mut [u8],
) -> Outcome {
    let mut response = Response::new(out, head, 512);
    let len = response.finish(if aa { FLAG_AA } else { 0 }, code as u8);
    let outcome = Outcome {
        len,
        rcode: code,
        ..Outcome::default()
    };
    sign_into(out, outcome, signer, now)
}

/// Signs the answer in `out` (when the request was signed), in place.
fn sign_into(
    out: &mut [u8],
    outcome: Outcome,
    signer: Option<ResponseSigner>,
    now: u32,
) -> Outcome {
    let Some(mut signer) = signer else {
        return outcome;
    };
    if outcome.len == 0 {
        return outcome;
    }
    let mut msg = out[..outcome.len].to_vec();
    signer.sign(&mut msg, now.into());
    if msg.len() > out.len() {
        return Outcome::default();
    }
    out[..msg.len()].copy_from_slice(&msg);
    Outcome {
        len: msg.len(),
        ..outcome
    }
}

/// FORMERR or NOTIMP, echoing the question when it could be read.
fn error_response(msg: &[u8], question: usize, code: u16, out: &mut [u8]) -> Outcome {
    let head = &msg[..question.max(12).min(msg.len())];
    let mut response = Response::new(out, head, 512);
    if question == 0 {
        response.drop_question();
    }
    let len = response.finish(0, code as u8);
    Outcome {
        len,
        rcode: code,
        truncated: false,
        cookie_valid: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9018_server_cookies_hold_for_their_client_and_an_hour() {
        let engine = Engine::new(Catalog::default(), EngineOptions::default());
        let addr: IpAddr = "192.0.2.1".parse().unwrap();
        let client = [7u8; 8];
        let made = server_cookie(&engine.options.cookie_secret, &client, addr, 1000);
        let mut cookie = Cookie {
            client,
            server: [0; 32],
            server_len: 16,
        };
        cookie.server[..16].copy_from_slice(&made);
        assert!(engine.cookie_is_valid(&cookie, addr, 1000));
        assert!(engine.cookie_is_valid(&cookie, addr, 1000 + 3600));
        assert!(
            !engine.cookie_is_valid(&cookie, addr, 1000 + 3601),
            "too old"
        );
        assert!(
            !engine.cookie_is_valid(&cookie, "192.0.2.2".parse().unwrap(), 1000),
            "another address"
        );
        cookie.client[0] ^= 1;
        assert!(
            !engine.cookie_is_valid(&cookie, addr, 1000),
            "another client cookie"
        );
    }
}
