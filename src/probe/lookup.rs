//! Gathering what [`super::analyze`] judges: the apex NS set through a
//! resolver, the delegation from the parent zone's own servers, every NS
//! name's addresses, and each address asked directly for the zone's SOA.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::Verdict;
use super::{
    AsnDb, BlockSizes, DomainReport, Nameserver, ParentView, QueryResult, Thresholds, address,
    analyze,
};
use crate::net::{self, NetError};
use crate::wire::{self, Message, MessageBuilder, Section, flag, opcode};
use crate::xfr::soa_serial;
use crate::zone::{Name, RType};

#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// The recursive resolver that answers the lookups.
    pub resolver: SocketAddr,
    /// Port to ask nameservers (parent and the domain's own) on.
    pub ns_port: u16,
    pub timeout: Duration,
    /// Further tries after a timeout.
    pub retries: u32,
    /// Ask every nameserver address for the SOA.
    pub query: bool,
    pub sizes: BlockSizes,
    pub thresholds: Thresholds,
    /// The longest one domain's probe may take, all queries together.
    pub max_time: Duration,
    /// When the current domain's probe must end (set by [`probe`]).
    pub deadline: Option<Instant>,
}

/// The most NS names of one domain followed (a referral of hundreds would
/// otherwise cost thousands of queries), and the most addresses asked per
/// name.
pub const MAX_NS_NAMES: usize = 20;
pub const MAX_ADDRESSES_PER_NAME: usize = 8;
/// Nameserver lookups of one domain under way at once.
const PARALLEL_LOOKUPS: usize = 16;

struct Rec {
    owner: Vec<u8>,
    rtype: RType,
    rdata: Vec<u8>,
}

struct Answer {
    rcode: u16,
    authoritative: bool,
    answer: Vec<Rec>,
    authority: Vec<Rec>,
    additional: Vec<Rec>,
}

fn ask(
    server: SocketAddr,
    name: &Name,
    qtype: RType,
    recursion: bool,
    tcp: bool,
    options: &ProbeOptions,
) -> Result<(Answer, Duration), String> {
    let flags = if recursion { flag::RD } else { 0 };
    let query = MessageBuilder::new(wire::random_id(), opcode::QUERY, flags)
        .question(name.as_wire(), qtype, wire::CLASS_IN)
        .edns(1232)
        .finish();
    let mut last = String::new();
    for _ in 0..=options.retries {
        let sent = Instant::now();
        let mut timeout = options.timeout;
        if let Some(deadline) = options.deadline {
            let left = deadline.saturating_duration_since(sent);
            if left.is_zero() {
                return Err(format!(
                    "not asked: the probe's time limit of {:?} was reached",
                    options.max_time
                ));
            }
            timeout = timeout.min(left);
        }
        match net::exchange(server, &query, timeout, tcp) {
            Ok(msg) => return parse(&msg).map(|a| (a, sent.elapsed())),
            Err(e @ (NetError::Timeout { .. } | NetError::OnlyStrayPackets { .. })) => {
                last = e.to_string()
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(last)
}

fn parse(msg: &[u8]) -> Result<Answer, String> {
    let parsed = Message::parse(msg).map_err(|e| format!("malformed answer: {e}"))?;
    let mut answer = Answer {
        rcode: parsed.full_rcode().map_err(|e| e.to_string())?,
        authoritative: parsed.header.has(flag::AA),
        answer: Vec::new(),
        authority: Vec::new(),
        additional: Vec::new(),
    };
    let mut records = parsed.records();
    let (mut owner, mut rdata) = (Vec::new(), Vec::new());
    while let Some(h) = records
        .next_into(&mut owner, &mut rdata)
        .map_err(|e| format!("malformed answer: {e}"))?
    {
        let rec = Rec {
            owner: owner.to_ascii_lowercase(),
            rtype: h.rtype,
            rdata: rdata.clone(),
        };
        match h.section {
            Section::Answer => answer.answer.push(rec),
            Section::Authority => answer.authority.push(rec),
            Section::Additional => answer.additional.push(rec),
        }
    }
    Ok(answer)
}

fn name_text(wire: &[u8]) -> String {
    Name::from_wire(wire).map_or_else(|_| "?".into(), |n| n.to_string())
}

/// NS target names of `owner` among `records`.
fn ns_names(records: &[Rec], owner: &Name) -> Vec<String> {
    let owner = owner.to_lowercase();
    let mut names: Vec<String> = records
        .iter()
        .filter(|r| r.rtype == RType::NS && r.owner == owner.as_wire())
        .map(|r| name_text(&r.rdata).to_ascii_lowercase())
        .collect();
    names.sort();
    names.dedup();
    names
}

fn rdata_address(rec: &Rec) -> Option<IpAddr> {
    match (rec.rtype, rec.rdata.len()) {
        (RType::A, 4) => Some(IpAddr::V4(Ipv4Addr::new(
            rec.rdata[0],
            rec.rdata[1],
            rec.rdata[2],
            rec.rdata[3],
        ))),
        (RType::AAAA, 16) => {
            let bytes: [u8; 16] = rec.rdata[..].try_into().ok()?;
            Some(IpAddr::V6(Ipv6Addr::from(bytes)))
        }
        _ => None,
    }
}

/// The NS set of `name` as the resolver answers it.
fn resolve_ns(name: &Name, options: &ProbeOptions) -> Result<Vec<String>, String> {
    let (answer, _) = ask(options.resolver, name, RType::NS, true, false, options)?;
    if answer.rcode != wire::rcode::NOERROR {
        return Err(wire::rcode_name(answer.rcode));
    }
    Ok(ns_names(&answer.answer, name))
}

/// A and AAAA of `name` through the resolver, following CNAMEs; returns
/// the addresses, the alias target if `name` is an alias, and an error.
fn resolve_addresses(
    name: &Name,
    options: &ProbeOptions,
) -> (Vec<IpAddr>, Option<String>, Option<String>) {
    let mut addresses = Vec::new();
    let mut alias = None;
    let mut errors = Vec::new();
    for qtype in [RType::A, RType::AAAA] {
        let mut current = name.to_lowercase();
        for _hop in 0..8 {
            let answer = match ask(options.resolver, &current, qtype, true, false, options) {
                Ok((a, _)) => a,
                Err(e) => {
                    errors.push(format!("{qtype}: {e}"));
                    break;
                }
            };
            if answer.rcode != wire::rcode::NOERROR {
                errors.push(format!("{qtype}: {}", wire::rcode_name(answer.rcode)));
                break;
            }
            // Walk the chain within the answer.
            let mut followed = false;
            while let Some(cname) = answer
                .answer
                .iter()
                .find(|r| r.rtype == RType::CNAME && r.owner == current.as_wire())
            {
                let target = Name::from_wire(&cname.rdata).map(|n| n.to_lowercase());
                let Ok(target) = target else { break };
                alias.get_or_insert_with(|| target.to_string());
                current = target;
                followed = true;
            }
            let found: Vec<IpAddr> = answer
                .answer
                .iter()
                .filter(|r| r.rtype == qtype && r.owner == current.as_wire())
                .filter_map(rdata_address)
                .collect();
            if !found.is_empty() || !followed {
                addresses.extend(found);
                break;
            }
        }
    }
    addresses.sort();
    addresses.dedup();
    let error = (addresses.is_empty() && !errors.is_empty()).then(|| errors.join(", "));
    (addresses, alias, error)
}

/// The delegation as the parent zone's servers give it, with its glue.
fn parent_view(
    domain: &Name,
    options: &ProbeOptions,
) -> (ParentView, BTreeMap<String, Vec<IpAddr>>) {
    let mut view = ParentView::default();
    let mut glue: BTreeMap<String, Vec<IpAddr>> = BTreeMap::new();
    let mut parent = domain.parent();
    let servers = loop {
        let Some(candidate) = parent else {
            view.error = Some("the domain has no parent zone".into());
            return (view, glue);
        };
        match resolve_ns(&candidate, options) {
            Ok(names) if !names.is_empty() => {
                view.zone = Some(candidate.to_string());
                break names;
            }
            Ok(_) => parent = candidate.parent(),
            Err(e) => {
                view.error = Some(format!("looking up the NS of {candidate}: {e}"));
                return (view, glue);
            }
        }
    };
    let mut tried = Vec::new();
    for server in &servers {
        let Ok(server_name) = Name::parse(server.as_bytes(), None) else {
            continue;
        };
        let (addresses, _, _) = resolve_addresses(&server_name, options);
        for addr in addresses {
            let target = SocketAddr::new(addr, options.ns_port);
            match ask(target, domain, RType::NS, false, false, options) {
                Ok((answer, _)) => {
                    // A referral, or an authoritative answer from a server
                    // that serves the child too.
                    let mut names = ns_names(&answer.authority, domain);
                    if names.is_empty() && answer.authoritative {
                        names = ns_names(&answer.answer, domain);
                    }
                    if names.is_empty() {
                        tried.push(format!(
                            "{server} ({addr}) answered {} without a delegation",
                            wire::rcode_name(answer.rcode)
                        ));
                        continue;
                    }
                    for rec in &answer.additional {
                        if let Some(a) = rdata_address(rec) {
                            glue.entry(name_text(&rec.owner).to_ascii_lowercase())
                                .or_default()
                                .push(a);
                        }
                    }
                    view.available = true;
                    view.server = Some(format!("{server} ({addr})"));
                    view.ns = names;
                    return (view, glue);
                }
                Err(e) => tried.push(format!("{server} ({addr}): {e}")),
            }
            if tried.len() >= 4 {
                break;
            }
        }
    }
    view.error = Some(if tried.is_empty() {
        format!(
            "no address for the servers of {}",
            view.zone.as_deref().unwrap_or("?")
        )
    } else {
        tried.join("; ")
    });
    (view, glue)
}

/// Whether this machine has a route to `target` (an IPv6 address from a
/// host without IPv6, say): a UDP connect fails at once if not.
fn routable(target: SocketAddr) -> bool {
    let local: SocketAddr = if target.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    std::net::UdpSocket::bind(local)
        .and_then(|s| s.connect(target))
        .is_ok()
}

/// Asks one address for the zone's SOA over UDP and over TCP.
fn query_soa(addr: IpAddr, zone: &Name, options: &ProbeOptions) -> QueryResult {
    let target = SocketAddr::new(addr, options.ns_port);
    let mut result = QueryResult::default();
    if !routable(target) {
        // Our network's limit, not the server's fault.
        result.skipped = true;
        result.error = Some("no route from this machine to the address".into());
        return result;
    }
    let mut errors = Vec::new();
    for tcp in [false, true] {
        match ask(target, zone, RType::SOA, false, tcp, options) {
            Ok((answer, rtt)) => {
                if tcp {
                    result.tcp = true;
                } else {
                    result.udp = true;
                    result.rtt_ms = Some(rtt.as_millis() as u64);
                }
                result.rcode = Some(wire::rcode_name(answer.rcode));
                result.authoritative = answer.authoritative && answer.rcode == wire::rcode::NOERROR;
                result.serial = answer
                    .answer
                    .iter()
                    .find(|r| r.rtype == RType::SOA && r.owner == zone.to_lowercase().as_wire())
                    .and_then(|r| soa_serial(&r.rdata));
            }
            Err(e) => errors.push(format!("{}: {e}", if tcp { "TCP" } else { "UDP" })),
        }
    }
    if !errors.is_empty() {
        result.error = Some(errors.join("; "));
    }
    result
}

/// Looks a domain up and judges it.
pub fn probe(domain: &Name, options: &ProbeOptions, asn: Option<&AsnDb>) -> DomainReport {
    let options = &ProbeOptions {
        deadline: Some(Instant::now() + options.max_time),
        ..options.clone()
    };
    let apex = resolve_ns(domain, options);
    let (parent, glue) = parent_view(domain, options);
    let mut notes: Vec<(Verdict, &'static str, String)> = Vec::new();
    let apex_ns = match &apex {
        Ok(names) if !names.is_empty() => names.clone(),
        // The resolver cannot say (a lame delegation makes it SERVFAIL):
        // ask the servers the parent names, at their glue, directly.
        _ if parent.available => {
            let why = match &apex {
                Ok(_) => "no NS records".to_string(),
                Err(e) => e.clone(),
            };
            match ns_from_servers(domain, &parent.ns, &glue, options) {
                Ok((names, server)) => {
                    notes.push((
                        Verdict::Warn,
                        "apex-direct",
                        format!(
                            "the resolver gave no NS set for {domain} ({why}); {server} gave it when asked directly"
                        ),
                    ));
                    names
                }
                Err(tried) => {
                    notes.push((
                        Verdict::Fail,
                        "apex-unavailable",
                        format!(
                            "no NS set for {domain}: the resolver answered {why}, and no server the parent names answered for the zone ({tried})"
                        ),
                    ));
                    Vec::new()
                }
            }
        }
        _ => Vec::new(),
    };
    if let Err(e) = &apex
        && !parent.available
    {
        let mut report = analyze(
            &domain.to_string(),
            parent,
            Vec::new(),
            Vec::new(),
            &options.thresholds,
            asn,
        );
        report.error = Some(format!("cannot look up the NS of {domain}: {e}"));
        return report;
    }
    // Every name either side lists, in order.
    let mut names: Vec<(String, Vec<&'static str>)> = Vec::new();
    for (list, source) in [(&parent.ns, "parent"), (&apex_ns, "apex")] {
        if source == "parent" && !parent.available {
            continue;
        }
        for n in list {
            match names.iter_mut().find(|(existing, _)| existing == n) {
                Some((_, sources)) => sources.push(source),
                None => names.push((n.clone(), vec![source])),
            }
        }
    }
    if names.len() > MAX_NS_NAMES {
        notes.push((
            Verdict::Warn,
            "ns-count",
            format!(
                "{} NS names: the first {MAX_NS_NAMES} were followed (RFC 1034 asks for a few; resolvers give up on long lists)",
                names.len()
            ),
        ));
        names.truncate(MAX_NS_NAMES);
    }
    // Each name's lookups and queries wait on the network: run them side
    // by side, a bounded number at a time, and keep the names' order.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<Nameserver>>> = names.iter().map(|_| Mutex::new(None)).collect();
    let lookup = |(name, sources): &(String, Vec<&'static str>)| -> Nameserver {
        let name = name.clone();
        let sources = sources.clone();
        let mut ns = Nameserver {
            name: name.clone(),
            sources,
            glue: glue.get(&name).cloned().unwrap_or_default(),
            ..Default::default()
        };
        let Ok(parsed) = Name::parse(name.as_bytes(), None) else {
            ns.error = Some("not a valid name".into());
            return ns;
        };
        let (mut addresses, alias, mut error) = resolve_addresses(&parsed, options);
        // A name inside the zone cannot be resolved when the zone is
        // lame: the parent's glue is the address to ask.
        if addresses.is_empty() && !ns.glue.is_empty() {
            error = Some(format!(
                "the resolver gave no address ({}): the parent's glue is used",
                error.as_deref().unwrap_or("no records")
            ));
            addresses = ns.glue.clone();
        }
        ns.cname = alias;
        ns.error = error;
        addresses.truncate(MAX_ADDRESSES_PER_NAME);
        ns.addresses = addresses
            .into_iter()
            .map(|a| {
                let mut entry = address(a, options.sizes);
                if options.query {
                    entry.query = Some(query_soa(a, domain, options));
                }
                entry
            })
            .collect();
        ns
    };
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_LOOKUPS.min(names.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(entry) = names.get(i) else { break };
                    let ns = lookup(entry);
                    *slots[i].lock().unwrap() = Some(ns);
                }
            });
        }
    });
    let nameservers: Vec<Nameserver> = slots
        .into_iter()
        .map(|slot| slot.into_inner().unwrap().expect("every name looked up"))
        .collect();
    let mut report = analyze(
        &domain.to_string(),
        parent,
        apex_ns,
        nameservers,
        &options.thresholds,
        asn,
    );
    for (severity, code, message) in notes {
        report.add_finding(severity, code, message);
    }
    report
}

/// The NS set of `zone` asked of its own servers (RD=0): those the parent
/// names, at their glue addresses or, lacking glue, their resolved ones.
/// The first authoritative answer wins; the error lists who was tried.
fn ns_from_servers(
    zone: &Name,
    names: &[String],
    glue: &BTreeMap<String, Vec<IpAddr>>,
    options: &ProbeOptions,
) -> Result<(Vec<String>, String), String> {
    let mut tried = Vec::new();
    for name in names {
        let addresses = match glue.get(name) {
            Some(addresses) if !addresses.is_empty() => addresses.clone(),
            _ => match Name::parse(name.as_bytes(), None) {
                Ok(parsed) => resolve_addresses(&parsed, options).0,
                Err(_) => Vec::new(),
            },
        };
        for address in addresses {
            let target = SocketAddr::new(address, options.ns_port);
            if !routable(target) {
                continue;
            }
            match ask(target, zone, RType::NS, false, false, options) {
                Ok((answer, _)) if answer.authoritative && answer.rcode == wire::rcode::NOERROR => {
                    let found = ns_names(&answer.answer, zone);
                    if !found.is_empty() {
                        return Ok((found, format!("{name} at {address}")));
                    }
                    tried.push(format!("{name} at {address}: no NS records"));
                }
                Ok((answer, _)) => tried.push(format!(
                    "{name} at {address}: {}",
                    if answer.rcode == wire::rcode::NOERROR {
                        "not authoritative".to_string()
                    } else {
                        wire::rcode_name(answer.rcode)
                    }
                )),
                Err(e) => tried.push(format!("{name} at {address}: {e}")),
            }
        }
    }
    if tried.is_empty() {
        tried.push("none has an address".into());
    }
    Err(tried.join("; "))
}

/// Probes many domains, `jobs` at a time; reports in the order given.
/// `done` counts finished domains, for a progress display.
pub fn probe_all(
    domains: &[Name],
    options: &ProbeOptions,
    asn: Option<&AsnDb>,
    jobs: usize,
    done: &AtomicU64,
) -> Vec<DomainReport> {
    let next = Mutex::new(0usize);
    let slots: Vec<Mutex<Option<DomainReport>>> =
        domains.iter().map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, 256).min(domains.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n - 1
                    };
                    let Some(domain) = domains.get(i) else { break };
                    let report = probe(domain, options, asn);
                    *slots[i].lock().unwrap() = Some(report);
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| slot.into_inner().unwrap().expect("every domain probed"))
        .collect()
}
