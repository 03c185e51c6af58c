//! Service and protocol names for WKS records (RFC 1035 §3.4.2), read as
//! BIND reads them: from `/etc/services` and `/etc/protocols` where they
//! exist, else from a built-in table of the well-known ports, so that a
//! zone reads the same on a machine without those files.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The well-known ports (IANA, ports below 1024 and common services).
const BUILT_IN_SERVICES: &[(&str, u16)] = &[
    ("tcpmux", 1),
    ("echo", 7),
    ("discard", 9),
    ("systat", 11),
    ("daytime", 13),
    ("netstat", 15),
    ("qotd", 17),
    ("chargen", 19),
    ("ftp-data", 20),
    ("ftp", 21),
    ("ssh", 22),
    ("telnet", 23),
    ("smtp", 25),
    ("time", 37),
    ("whois", 43),
    ("tacacs", 49),
    ("domain", 53),
    ("bootps", 67),
    ("bootpc", 68),
    ("tftp", 69),
    ("gopher", 70),
    ("finger", 79),
    ("http", 80),
    ("www", 80),
    ("kerberos", 88),
    ("pop3", 110),
    ("sunrpc", 111),
    ("auth", 113),
    ("nntp", 119),
    ("ntp", 123),
    ("netbios-ns", 137),
    ("imap", 143),
    ("snmp", 161),
    ("snmp-trap", 162),
    ("xdmcp", 177),
    ("bgp", 179),
    ("irc", 194),
    ("ldap", 389),
    ("https", 443),
    ("microsoft-ds", 445),
    ("syslog", 514),
    ("printer", 515),
    ("submission", 587),
    ("ldaps", 636),
    ("rsync", 873),
    ("ftps", 990),
    ("imaps", 993),
    ("pop3s", 995),
];

const BUILT_IN_PROTOCOLS: &[(&str, u8)] = &[
    ("icmp", 1),
    ("igmp", 2),
    ("ggp", 3),
    ("ipencap", 4),
    ("tcp", 6),
    ("egp", 8),
    ("pup", 12),
    ("udp", 17),
    ("hmp", 20),
    ("xns-idp", 22),
    ("rdp", 27),
    ("ipv6", 41),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("ipv6-icmp", 58),
    ("ospf", 89),
    ("sctp", 132),
];

/// `/etc/services`: (name, protocol) → port, aliases included.
fn system_services() -> &'static HashMap<(String, String), u16> {
    static TABLE: OnceLock<HashMap<(String, String), u16>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        let Ok(text) = crate::fsutil::read_bounded(std::path::Path::new("/etc/services"), 4 << 20)
        else {
            return table;
        };
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let mut fields = line.split_whitespace();
            let (Some(name), Some(port_proto)) = (fields.next(), fields.next()) else {
                continue;
            };
            let Some((port, proto)) = port_proto.split_once('/') else {
                continue;
            };
            let Ok(port) = port.parse::<u16>() else {
                continue;
            };
            for n in std::iter::once(name).chain(fields) {
                table
                    .entry((n.to_ascii_lowercase(), proto.to_ascii_lowercase()))
                    .or_insert(port);
            }
        }
        table
    })
}

/// `/etc/protocols`: name → number, aliases included.
fn system_protocols() -> &'static HashMap<String, u8> {
    static TABLE: OnceLock<HashMap<String, u8>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = HashMap::new();
        let Ok(text) = crate::fsutil::read_bounded(std::path::Path::new("/etc/protocols"), 1 << 20)
        else {
            return table;
        };
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let fields: Vec<&str> = line.split_whitespace().collect();
            let Some(number) = fields.get(1).and_then(|n| n.parse::<u8>().ok()) else {
                continue;
            };
            for name in std::iter::once(fields[0]).chain(fields.iter().skip(2).copied()) {
                table.entry(name.to_ascii_lowercase()).or_insert(number);
            }
        }
        table
    })
}

/// The port of a service name for a protocol (`tcp`, `udp`, …).
pub fn service_port(name: &str, protocol: u8) -> Option<u16> {
    let name = name.to_ascii_lowercase();
    let proto = match protocol {
        6 => "tcp",
        17 => "udp",
        _ => "",
    };
    system_services()
        .get(&(name.clone(), proto.to_string()))
        .copied()
        .or_else(|| {
            BUILT_IN_SERVICES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, port)| *port)
        })
}

/// The number of a protocol name (`tcp`, `udp`, `icmp`, …).
pub fn protocol_number(name: &str) -> Option<u8> {
    let name = name.to_ascii_lowercase();
    system_protocols().get(&name).copied().or_else(|| {
        BUILT_IN_PROTOCOLS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, number)| *number)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_names_resolve_with_or_without_system_files() {
        assert_eq!(service_port("tcpmux", 6), Some(1));
        assert_eq!(service_port("SMTP", 6), Some(25));
        assert_eq!(service_port("domain", 17), Some(53));
        assert_eq!(service_port("no-such-service", 6), None);
        assert_eq!(protocol_number("TCP"), Some(6));
        assert_eq!(protocol_number("udp"), Some(17));
        assert_eq!(protocol_number("icmp"), Some(1));
    }
}
