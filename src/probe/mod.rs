//! Nameserver diversity and delegation health: are a domain's nameserver
//! addresses spread over enough network blocks (IPv4 /8, IPv6 /45 by
//! default) that one route leak or hijack cannot take them all down, and
//! do the servers answer for the zone, authoritatively and in agreement?
//!
//! [`analyze`] is pure: it judges data gathered by [`lookup`] (or given by
//! a test), so the verdict logic is tested without a network.

pub mod asn;
pub mod lookup;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

pub use asn::AsnDb;

/// Prefix lengths that make a "block".
#[derive(Debug, Clone, Copy)]
pub struct BlockSizes {
    pub v4: u8,
    pub v6: u8,
}

impl Default for BlockSizes {
    fn default() -> Self {
        BlockSizes { v4: 8, v6: 45 }
    }
}

/// The longest prefixes routed on the Internet (longer ones are filtered):
/// the smallest unit one hijack takes.
pub const ROUTABLE_V4: u8 = 24;
pub const ROUTABLE_V6: u8 = 48;

#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub min_v4_blocks: usize,
    pub min_v6_blocks: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            min_v4_blocks: 2,
            min_v6_blocks: 2,
        }
    }
}

/// An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) is the IPv4 address.
pub fn normalize(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The network of `address` with `prefix` bits, as `192.0.0.0/8`.
pub fn block(address: IpAddr, prefix: u8) -> String {
    match normalize(address) {
        IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix.min(32))
            };
            format!("{}/{}", Ipv4Addr::from(bits & mask), prefix.min(32))
        }
        IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix.min(128))
            };
            format!("{}/{}", Ipv6Addr::from(bits & mask), prefix.min(128))
        }
    }
}

/// What asking one nameserver address for the zone's SOA gave.
#[derive(Debug, Clone, Default, Serialize)]
pub struct QueryResult {
    /// Not asked: this machine has no route to the address.
    pub skipped: bool,
    pub udp: bool,
    pub tcp: bool,
    pub authoritative: bool,
    pub rcode: Option<String>,
    pub serial: Option<u32>,
    pub rtt_ms: Option<u64>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Address {
    pub address: IpAddr,
    /// The block (`--v4-prefix`/`--v6-prefix`) it is in.
    pub block: String,
    /// Its /24 or /48: the routable minimum.
    pub routable: String,
    /// The special-purpose block it is in (RFC 6890 registries), if any:
    /// such an address is not reachable from the Internet at large.
    pub special: Option<&'static str>,
    pub asn: Option<u32>,
    pub as_name: Option<String>,
    pub query: Option<QueryResult>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Nameserver {
    pub name: String,
    /// Where the name is listed: "parent", "apex" or both.
    pub sources: Vec<&'static str>,
    /// The name a CNAME led to, if the NS name is an alias (not allowed,
    /// RFC 2181 §10.3).
    pub cname: Option<String>,
    pub addresses: Vec<Address>,
    /// Addresses the parent gave as glue for this name.
    pub glue: Vec<IpAddr>,
    /// Why the name has no addresses, if it has none.
    pub error: Option<String>,
}

/// The delegation as the parent zone's servers tell it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ParentView {
    pub available: bool,
    pub zone: Option<String>,
    /// Which parent server answered.
    pub server: Option<String>,
    pub ns: Vec<String>,
    /// Why the delegation could not be read.
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "pass",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Verdict,
    pub code: &'static str,
    pub message: String,
}

/// Diversity of one address family.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FamilyDiversity {
    pub block_count: usize,
    pub blocks: Vec<String>,
    pub routable_blocks: Vec<String>,
    /// Nameserver names with an address of this family.
    pub nameservers: usize,
    /// The largest share of those names one block failure takes down.
    pub largest_share: f64,
    /// The block whose failure takes down the most names.
    pub worst_block: Option<String>,
    /// Whether one block failure takes down every name of this family.
    pub single_block_failure: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Diversity {
    pub v4: FamilyDiversity,
    pub v6: FamilyDiversity,
    /// For dual-stack resolvers: a name is down only when every address it
    /// has, of either family, is in the failed block.
    pub largest_share: f64,
    /// Whether one block failure leaves no nameserver reachable at all.
    pub single_block_failure: bool,
    /// Origin ASes of the addresses (with --asn-db).
    pub asns: Vec<u32>,
    pub single_as_failure: Option<bool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DomainReport {
    pub domain: String,
    pub verdict: Verdict,
    /// The findings behind the verdict, in words.
    pub reasons: Vec<String>,
    pub parent: ParentView,
    pub apex_ns: Vec<String>,
    pub nameservers: Vec<Nameserver>,
    pub diversity: Diversity,
    pub findings: Vec<Finding>,
    /// Set when the domain could not be looked up at all.
    pub error: Option<String>,
}

/// Diversity of the addresses `keep` selects (one family, or all).
fn diversity_of(nameservers: &[Nameserver], keep: impl Fn(&Address) -> bool) -> FamilyDiversity {
    let of_family = |a: &&Address| keep(a);
    let mut blocks = BTreeSet::new();
    let mut routable = BTreeSet::new();
    // For each block: the names all of whose addresses of this family it holds.
    let mut taken: BTreeMap<String, usize> = BTreeMap::new();
    let mut names = 0;
    for ns in nameservers {
        let addrs: Vec<&Address> = ns.addresses.iter().filter(of_family).collect();
        if addrs.is_empty() {
            continue;
        }
        names += 1;
        let own: BTreeSet<&str> = addrs.iter().map(|a| a.block.as_str()).collect();
        for a in &addrs {
            blocks.insert(a.block.clone());
            if a.special.is_none() {
                routable.insert(a.routable.clone());
            }
        }
        if own.len() == 1 {
            *taken
                .entry(own.into_iter().next().unwrap().to_string())
                .or_default() += 1;
        }
    }
    let worst = taken.iter().max_by_key(|(_, n)| **n);
    let largest = worst.map_or(0, |(_, n)| *n);
    FamilyDiversity {
        block_count: blocks.len(),
        blocks: blocks.into_iter().collect(),
        routable_blocks: routable.into_iter().collect(),
        nameservers: names,
        largest_share: if names == 0 {
            0.0
        } else {
            largest as f64 / names as f64
        },
        worst_block: worst.map(|(b, _)| b.clone()),
        single_block_failure: names > 0 && largest == names,
    }
}

fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// Judges the nameservers of a domain. `nameservers` carry their
/// addresses (and query results, if the servers were asked).
pub fn analyze(
    domain: &str,
    parent: ParentView,
    apex_ns: Vec<String>,
    mut nameservers: Vec<Nameserver>,
    thresholds: &Thresholds,
    asn: Option<&AsnDb>,
) -> DomainReport {
    let mut findings = Vec::new();
    let mut add = |severity, code, message: String| {
        findings.push(Finding {
            severity,
            code,
            message,
        })
    };
    if let Some(db) = asn {
        for a in nameservers
            .iter_mut()
            .flat_map(|ns| ns.addresses.iter_mut())
        {
            if let Some(entry) = db.lookup(a.address) {
                a.asn = Some(entry.asn);
                a.as_name = Some(entry.description.clone());
            }
        }
    }
    for ns in &nameservers {
        for a in &ns.addresses {
            if let Some(kind) = a.special {
                add(
                    Verdict::Fail,
                    "special-address",
                    format!(
                        "{} has the address {}, which is {kind} (RFC 6890 special-purpose): resolvers on the Internet cannot reach it",
                        ns.name, a.address
                    ),
                );
            }
        }
    }
    if !parent.available {
        add(
            Verdict::Warn,
            "parent-unavailable",
            format!(
                "the parent's delegation could not be read ({}); judged from the apex NS set",
                parent.error.as_deref().unwrap_or("no answer")
            ),
        );
    } else {
        let p: BTreeSet<String> = parent.ns.iter().map(|n| n.to_ascii_lowercase()).collect();
        let a: BTreeSet<String> = apex_ns.iter().map(|n| n.to_ascii_lowercase()).collect();
        if !a.is_empty() && p != a {
            let only_parent: Vec<&String> = p.difference(&a).collect();
            let only_apex: Vec<&String> = a.difference(&p).collect();
            add(
                Verdict::Warn,
                "ns-mismatch",
                format!(
                    "the parent's NS set and the zone's own differ (only at the parent: {}; only at the apex: {})",
                    list_or_none(&only_parent),
                    list_or_none(&only_apex)
                ),
            );
        }
    }
    if nameservers.is_empty() {
        add(Verdict::Fail, "no-ns", "no NS records found".into());
    } else if nameservers.len() == 1 {
        add(
            Verdict::Warn,
            "single-ns",
            "only one nameserver (RFC 1034 §4.1 asks for at least two)".into(),
        );
    }
    for ns in &nameservers {
        if let Some(target) = &ns.cname {
            add(
                Verdict::Fail,
                "ns-cname",
                format!(
                    "{} is an alias for {target}: NS must name a host, not a CNAME (RFC 2181 §10.3)",
                    ns.name
                ),
            );
        }
        if ns.addresses.is_empty() {
            add(
                Verdict::Warn,
                "ns-no-address",
                format!(
                    "{} has no address{}",
                    ns.name,
                    ns.error
                        .as_ref()
                        .map_or(String::new(), |e| format!(" ({e})"))
                ),
            );
        }
        if !ns.glue.is_empty() && !ns.addresses.is_empty() {
            let glue: BTreeSet<IpAddr> = ns.glue.iter().map(|a| normalize(*a)).collect();
            let resolved: BTreeSet<IpAddr> = ns.addresses.iter().map(|a| a.address).collect();
            if glue != resolved {
                add(
                    Verdict::Warn,
                    "glue-mismatch",
                    format!(
                        "{}: the parent's glue ({}) differs from the addresses it resolves to ({})",
                        ns.name,
                        join(glue.iter()),
                        join(resolved.iter())
                    ),
                );
            }
        }
    }
    let v4 = diversity_of(&nameservers, |a| a.address.is_ipv4());
    let v6 = diversity_of(&nameservers, |a| a.address.is_ipv6());
    let both = diversity_of(&nameservers, |_| true);
    let with_addresses = nameservers
        .iter()
        .filter(|ns| !ns.addresses.is_empty())
        .count();
    if with_addresses == 0 && !nameservers.is_empty() {
        add(
            Verdict::Fail,
            "no-addresses",
            "no nameserver has an address".into(),
        );
    }
    for (family, d, min, size) in [
        ("IPv4", &v4, thresholds.min_v4_blocks, "v4"),
        ("IPv6", &v6, thresholds.min_v6_blocks, "v6"),
    ] {
        if d.nameservers == 0 {
            continue;
        }
        if d.blocks.len() < min {
            let code = if size == "v4" {
                "v4-blocks"
            } else {
                "v6-blocks"
            };
            let message = if d.blocks.len() == 1 {
                format!(
                    "every {family} address of every nameserver is in {}: one route leak or hijack of that block takes the domain down for {family} resolvers",
                    d.blocks[0]
                )
            } else {
                format!(
                    "{family} addresses span {} blocks; at least {min} are required",
                    d.blocks.len()
                )
            };
            add(Verdict::Fail, code, message);
        } else if d.largest_share > 0.5 {
            add(
                Verdict::Warn,
                if size == "v4" {
                    "v4-concentration"
                } else {
                    "v6-concentration"
                },
                format!(
                    "a failure of {} alone takes down {} of the nameservers with {family} addresses",
                    d.worst_block.as_deref().unwrap_or("?"),
                    percent(d.largest_share)
                ),
            );
        }
    }
    if with_addresses > 0 && v4.nameservers == 0 {
        add(
            Verdict::Fail,
            "no-ipv4",
            "no nameserver has an IPv4 address: IPv4-only resolvers cannot reach the domain".into(),
        );
    }
    if with_addresses > 0 && v6.nameservers == 0 && thresholds.min_v6_blocks > 0 {
        add(
            Verdict::Warn,
            "no-ipv6",
            "no nameserver has an IPv6 address: IPv6-only resolvers cannot reach the domain".into(),
        );
    }
    let asns: BTreeSet<u32> = nameservers
        .iter()
        .flat_map(|ns| ns.addresses.iter().filter_map(|a| a.asn))
        .collect();
    let single_as_failure = asn.map(|_| {
        // Every name has all its addresses in one and the same AS.
        let all_known = nameservers
            .iter()
            .flat_map(|ns| &ns.addresses)
            .all(|a| a.asn.is_some());
        all_known && asns.len() == 1 && with_addresses > 0
    });
    if single_as_failure == Some(true) {
        let asn = asns.iter().next().unwrap();
        let name = nameservers
            .iter()
            .flat_map(|ns| &ns.addresses)
            .find_map(|a| a.as_name.clone())
            .unwrap_or_default();
        add(
            Verdict::Warn,
            "single-as",
            format!(
                "every nameserver address is originated by AS{asn} ({name}): an outage or hijack of that AS takes the domain down"
            ),
        );
    }
    query_findings(&nameservers, &mut add);
    let diversity = Diversity {
        largest_share: both.largest_share,
        single_block_failure: both.single_block_failure,
        v4,
        v6,
        asns: asns.into_iter().collect(),
        single_as_failure,
    };
    let (verdict, reasons) = judge(&findings, &diversity);
    DomainReport {
        domain: domain.to_string(),
        verdict,
        reasons,
        parent,
        apex_ns,
        nameservers,
        diversity,
        findings,
        error: None,
    }
}

/// Reachability, authority and serial agreement of the servers asked.
fn query_findings(nameservers: &[Nameserver], add: &mut impl FnMut(Verdict, &'static str, String)) {
    let asked: Vec<(&Nameserver, &Address, &QueryResult)> = nameservers
        .iter()
        .flat_map(|ns| {
            ns.addresses
                .iter()
                .filter_map(move |a| a.query.as_ref().map(|q| (ns, a, q)))
        })
        .collect();
    if asked.is_empty() {
        return;
    }
    let mut good = 0;
    let mut serials: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for (ns, a, q) in &asked {
        let who = format!("{} ({})", ns.name, a.address);
        if !q.udp && !q.tcp {
            add(
                Verdict::Warn,
                "unreachable",
                format!(
                    "{who} does not answer: {}",
                    q.error.as_deref().unwrap_or("no answer")
                ),
            );
        } else if !q.authoritative || q.serial.is_none() {
            add(
                Verdict::Warn,
                "lame",
                format!(
                    "{who} is lame: it answers {} without authority for the zone",
                    q.rcode.as_deref().unwrap_or("?")
                ),
            );
        } else {
            good += 1;
            if !q.udp || !q.tcp {
                add(
                    Verdict::Warn,
                    if q.udp { "no-tcp" } else { "no-udp" },
                    format!(
                        "{who} answers over {} only",
                        if q.udp { "UDP" } else { "TCP" }
                    ),
                );
            }
            serials.entry(q.serial.unwrap()).or_default().push(who);
        }
    }
    if good == 0 {
        add(
            Verdict::Fail,
            "no-authoritative",
            "no nameserver address answers authoritatively for the zone".into(),
        );
    }
    if serials.len() > 1 {
        let parts: Vec<String> = serials
            .iter()
            .map(|(serial, who)| format!("{serial} on {}", who.join(", ")))
            .collect();
        add(
            Verdict::Warn,
            "serial-mismatch",
            format!(
                "the servers disagree on the SOA serial: {}",
                parts.join("; ")
            ),
        );
    }
}

fn join<T: std::fmt::Display>(items: impl Iterator<Item = T>) -> String {
    items.map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

fn list_or_none(items: &[&String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        join(items.iter())
    }
}

/// The verdict of a domain's findings, and its reasons in words.
fn judge(findings: &[Finding], diversity: &Diversity) -> (Verdict, Vec<String>) {
    let verdict = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Verdict::Pass);
    let reasons = if verdict == Verdict::Pass {
        vec![format!(
            "nameserver addresses span {} IPv4 and {} IPv6 blocks; no single block failure takes the domain down",
            diversity.v4.blocks.len(),
            diversity.v6.blocks.len()
        )]
    } else {
        findings
            .iter()
            .filter(|f| f.severity == verdict)
            .map(|f| f.message.clone())
            .collect()
    };
    (verdict, reasons)
}

impl DomainReport {
    /// Adds a finding made outside [`analyze`] (by the lookup) and judges
    /// the domain again.
    pub fn add_finding(&mut self, severity: Verdict, code: &'static str, message: String) {
        self.findings.push(Finding {
            severity,
            code,
            message,
        });
        (self.verdict, self.reasons) = judge(&self.findings, &self.diversity);
    }
}

/// The special-purpose block of an address (the IANA IPv4 and IPv6
/// Special-Purpose Address Registries of RFC 6890), in words; `None` for an
/// address of the global unicast space.
pub fn special_purpose(address: IpAddr) -> Option<&'static str> {
    match address {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            Some(match o {
                [0, ..] => "in 0.0.0.0/8 (\"this network\")",
                [10, ..] | [172, 16..=31, ..] | [192, 168, ..] => "a private address (RFC 1918)",
                [100, 64..=127, ..] => "shared address space (RFC 6598, carrier-grade NAT)",
                [127, ..] => "a loopback address",
                [169, 254, ..] => "a link-local address",
                [192, 0, 0, _] => "in the IETF protocol assignments block 192.0.0.0/24",
                [192, 0, 2, _] | [198, 51, 100, _] | [203, 0, 113, _] => {
                    "a documentation address (RFC 5737)"
                }
                [198, 18..=19, ..] => "a benchmarking address (RFC 2544)",
                [224..=239, ..] => "a multicast address",
                [240..=255, ..] => "reserved (240.0.0.0/4)",
                _ => return None,
            })
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            Some(match s {
                [0, 0, 0, 0, 0, 0, 0, 0] => "the unspecified address",
                [0, 0, 0, 0, 0, 0, 0, 1] => "a loopback address",
                [0x64, 0xff9b, 1, ..] => "a local-use NAT64 address (RFC 8215)",
                [0x100, 0, 0, 0, ..] => "a discard-only address (RFC 6666)",
                [0x2001, 0x2, 0, ..] => "a benchmarking address (RFC 5180)",
                [0x2001, 0xdb8, ..] => "a documentation address (RFC 3849)",
                [0x2001, 0..=0x1ff, ..] => "in the IETF protocol assignments block 2001::/23",
                [first, ..] if first & 0xfe00 == 0xfc00 => "a unique local address (RFC 4193)",
                [first, ..] if first & 0xffc0 == 0xfe80 => "a link-local address",
                [first, ..] if first & 0xff00 == 0xff00 => "a multicast address",
                _ => return None,
            })
        }
    }
}

/// An address with its blocks filled in.
pub fn address(address: IpAddr, sizes: BlockSizes) -> Address {
    let address = normalize(address);
    let (prefix, routable) = if address.is_ipv4() {
        (sizes.v4, ROUTABLE_V4)
    } else {
        (sizes.v6, ROUTABLE_V6)
    };
    Address {
        address,
        block: block(address, prefix),
        routable: block(address, routable),
        special: special_purpose(address),
        asn: None,
        as_name: None,
        query: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6890_special_purpose_addresses_are_named() {
        for (text, special) in [
            ("127.0.0.2", true),
            ("10.1.2.3", true),
            ("192.0.2.53", true),
            ("100.64.0.1", true),
            ("::1", true),
            ("fd00::53", true),
            ("2001:db8::53", true),
            ("fe80::1", true),
            ("1.1.1.1", false),
            ("2606:4700:58::1", false),
            ("172.32.0.1", false),
        ] {
            let address: IpAddr = text.parse().unwrap();
            assert_eq!(special_purpose(address).is_some(), special, "{text}");
        }
    }

    fn ns(name: &str, addresses: &[&str]) -> Nameserver {
        Nameserver {
            name: name.into(),
            sources: vec!["parent", "apex"],
            addresses: addresses
                .iter()
                .map(|a| address(a.parse().unwrap(), BlockSizes::default()))
                .collect(),
            ..Default::default()
        }
    }

    fn parent(names: &[&str]) -> ParentView {
        ParentView {
            available: true,
            ns: names.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn judge(servers: Vec<Nameserver>) -> DomainReport {
        let names: Vec<String> = servers.iter().map(|n| n.name.clone()).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        analyze(
            "example.",
            parent(&refs),
            names.clone(),
            servers,
            &Thresholds::default(),
            None,
        )
    }

    fn codes(report: &DomainReport) -> Vec<&'static str> {
        report.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn cloudflare_passes() {
        let addrs = [
            "173.245.59.147",
            "108.162.193.147",
            "172.64.33.147",
            "2606:4700:58::adf5:3b93",
            "2803:f800:50::6ca2:c193",
            "2a06:98c1:50::ac40:2193",
        ];
        let report = judge(vec![
            ns("ada.ns.cloudflare.com.", &addrs),
            ns("bob.ns.cloudflare.com.", &addrs),
        ]);
        assert_eq!(report.verdict, Verdict::Pass, "{:?}", report.findings);
        assert_eq!(
            report.diversity.v4.blocks,
            ["108.0.0.0/8", "172.0.0.0/8", "173.0.0.0/8"]
        );
        assert_eq!(report.diversity.v6.blocks.len(), 3);
        assert!(
            report
                .diversity
                .v6
                .blocks
                .contains(&"2606:4700:58::/45".to_string())
        );
        assert_eq!(report.diversity.v4.largest_share, 0.0);
        assert_eq!(report.diversity.v4.block_count, 3);
        assert!(!report.diversity.single_block_failure);
        assert_eq!(report.diversity.largest_share, 0.0);
    }

    #[test]
    fn aws_fails() {
        let report = judge(vec![
            ns("ns-1500.awsdns-59.org.", &["205.251.197.220"]),
            ns("ns-164.awsdns-20.com.", &["205.251.192.164"]),
            ns("ns-2028.awsdns-61.co.uk.", &["205.251.199.236"]),
            ns("ns-917.awsdns-50.net.", &["205.251.195.149"]),
        ]);
        assert_eq!(report.verdict, Verdict::Fail);
        assert!(codes(&report).contains(&"v4-blocks"));
        assert!(
            report.reasons[0].contains("205.0.0.0/8"),
            "{:?}",
            report.reasons
        );
        assert_eq!(report.diversity.v4.largest_share, 1.0);
        assert!(report.diversity.v4.single_block_failure);
        assert!(report.diversity.single_block_failure);
        assert_eq!(report.diversity.v4.routable_blocks.len(), 4);
    }

    #[test]
    fn edge_cases() {
        // IPv4-mapped IPv6 counts as IPv4.
        let a = address("::ffff:193.0.2.1".parse().unwrap(), BlockSizes::default());
        assert_eq!(
            (a.address.to_string(), a.block.as_str()),
            ("193.0.2.1".into(), "193.0.0.0/8")
        );
        // A single nameserver.
        let report = judge(vec![ns("only.", &["193.0.2.1", "2a01:db8::1"])]);
        assert_eq!(report.verdict, Verdict::Fail);
        assert!(codes(&report).contains(&"single-ns"));
        // Only IPv6, in two /45s.
        let report = judge(vec![
            ns("a.", &["2a01:db8::1"]),
            ns("b.", &["2a01:db8:100::1"]),
        ]);
        assert!(codes(&report).contains(&"no-ipv4"));
        assert!(
            !codes(&report).contains(&"v6-blocks"),
            "{:?}",
            report.findings
        );
        // A nameserver with no address next to working ones.
        let report = judge(vec![
            ns("a.", &["193.0.2.1", "2a01:db8::1"]),
            ns("b.", &["199.51.100.1", "2a01:db8:100::1"]),
            Nameserver {
                error: Some("NXDOMAIN".into()),
                ..ns("c.", &[])
            },
        ]);
        assert_eq!(report.verdict, Verdict::Warn);
        assert_eq!(codes(&report), ["ns-no-address"]);
        // Three of four in one /8: a warning, not a failure.
        let report = judge(vec![
            ns("a.", &["11.0.0.1", "2a01:db8::1"]),
            ns("b.", &["11.0.0.2", "2a01:db8:100::1"]),
            ns("c.", &["11.0.0.3", "2a01:db8:200::1"]),
            ns("d.", &["193.0.2.1", "2a01:db8:300::1"]),
        ]);
        assert_eq!(report.verdict, Verdict::Warn);
        assert_eq!(report.diversity.v4.largest_share, 0.75);
        // Dual-stack resolvers still reach every name.
        assert_eq!(report.diversity.largest_share, 0.0);
        // No nameserver has an address.
        let report = judge(vec![ns("a.", &[]), ns("b.", &[])]);
        assert!(codes(&report).contains(&"no-addresses"));
        assert_eq!(report.verdict, Verdict::Fail);
    }

    #[test]
    fn block_sizes_are_configurable() {
        let sizes = BlockSizes { v4: 16, v6: 32 };
        assert_eq!(
            address("205.251.197.220".parse().unwrap(), sizes).block,
            "205.251.0.0/16"
        );
        assert_eq!(
            address("2606:4700:58::1".parse().unwrap(), sizes).block,
            "2606:4700::/32"
        );
        assert_eq!(
            address("2606:4700:58::1".parse().unwrap(), sizes).routable,
            "2606:4700:58::/48"
        );
    }

    #[test]
    fn query_results_flag_lame_and_stale_servers() {
        let mut servers = vec![
            ns("a.", &["193.0.2.1"]),
            ns("b.", &["199.51.100.1"]),
            ns("c.", &["204.0.113.1"]),
        ];
        let ok = |serial| QueryResult {
            udp: true,
            tcp: true,
            authoritative: true,
            serial: Some(serial),
            rcode: Some("NOERROR".into()),
            ..Default::default()
        };
        servers[0].addresses[0].query = Some(ok(2));
        servers[1].addresses[0].query = Some(ok(1));
        servers[2].addresses[0].query = Some(QueryResult {
            udp: true,
            tcp: true,
            rcode: Some("REFUSED".into()),
            ..Default::default()
        });
        let report = judge(servers);
        let c = codes(&report);
        assert!(
            c.contains(&"lame") && c.contains(&"serial-mismatch"),
            "{c:?}"
        );
        assert_eq!(report.verdict, Verdict::Warn);
    }
}
