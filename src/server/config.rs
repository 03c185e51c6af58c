//! The server's configuration: a YAML file (`zonectl serve --config`), or
//! the same settings built from command-line flags. Unknown keys and bad
//! values are errors naming the key, with the file's line and column.
//!
//! ```yaml
//! listen: ["127.0.0.1:5353", "[::1]:5353"]
//! workers: 2
//! keys:
//!   - name: xfr-key
//!     algorithm: hmac-sha256
//!     secret: c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0
//! zones:
//!   - name: example.com
//!     file: example.com.zone
//!     allow-transfer: [{address: 192.0.2.0/24, key: xfr-key}]
//!     notify: [{address: "192.0.2.53:53", key: xfr-key}]
//!   - name: example.net
//!     file: copies/example.net.zone
//!     primaries: [{address: "192.0.2.1:53", key: xfr-key}]
//! ```

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("{path}: {message}")]
    Syntax { path: String, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
}

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Addresses to answer on (UDP and TCP); port 0 picks a free port.
    #[serde(default = "default_listen")]
    pub listen: Vec<SocketAddr>,
    /// UDP worker threads (each with its own socket); 0: one per core.
    #[serde(default)]
    pub workers: usize,
    /// Answer `id.server`/`hostname.bind` CH TXT with this (RFC 4892).
    #[serde(default)]
    pub identity: Option<String>,
    /// Answer `version.server`/`version.bind` CH TXT with this; off unless set.
    #[serde(default)]
    pub version: Option<String>,
    /// NSID (RFC 5001): text, or `hex:` followed by hex digits.
    #[serde(default)]
    pub nsid: Option<String>,
    /// Largest UDP response (RFC 6891), 512 to 4096.
    #[serde(default = "default_udp_size")]
    pub udp_size: u16,
    #[serde(default)]
    pub tcp: TcpConfig,
    #[serde(default)]
    pub rrl: RrlConfig,
    /// `$INCLUDE` in zone files must stay inside this directory (default:
    /// the directory of the zone file itself).
    #[serde(default)]
    pub include_root: Option<PathBuf>,
    /// TSIG keys (RFC 8945), named by the zones' access rules.
    #[serde(default)]
    pub keys: Vec<KeyConfig>,
    #[serde(default)]
    pub zones: Vec<ZoneConfig>,
}

/// A TSIG key: inline, or the first key of a BIND or Knot key file.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct KeyConfig {
    pub name: String,
    #[serde(default = "default_algorithm")]
    pub algorithm: String,
    #[serde(default)]
    pub secret: Option<String>,
    /// A key file as `tsig-keygen`, `keymgr -t` or `zonectl tsig-keygen`
    /// write it; the key of this name is taken from it.
    #[serde(default)]
    pub file: Option<PathBuf>,
}

fn default_algorithm() -> String {
    "hmac-sha256".into()
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ZoneConfig {
    pub name: String,
    /// The zone file; for a secondary, where the transferred copy is kept
    /// (with its journal beside it as `FILE.jnl`).
    pub file: PathBuf,
    /// Makes the zone a secondary: the primaries it transfers from, tried
    /// in order. NOTIFY is accepted from their addresses (and from
    /// `allow-notify`).
    #[serde(default)]
    pub primaries: Vec<Remote>,
    /// Who may transfer the zone (AXFR, IXFR); nobody unless listed.
    #[serde(default)]
    pub allow_transfer: Vec<Access>,
    /// Who else may send NOTIFY for a secondary zone.
    #[serde(default)]
    pub allow_notify: Vec<Access>,
    /// Secondaries told of every new serial (RFC 1996).
    #[serde(default)]
    pub notify: Vec<Remote>,
    /// Largest journal of changes kept for IXFR, in bytes.
    #[serde(default = "default_journal_size")]
    pub journal_size: u64,
    /// Who may send dynamic updates (RFC 2136), and for which names and
    /// types; nobody unless listed.
    #[serde(default)]
    pub allow_update: Vec<UpdateAccess>,
    /// How an update moves the SOA serial on: increment, unixtime or
    /// dateserial.
    #[serde(default)]
    pub serial_policy: super::update::SerialPolicy,
    /// A secondary passes the dynamic updates it gets to its primaries (as
    /// they came, TSIG and all) and returns their answer; otherwise it
    /// refuses them.
    #[serde(default)]
    pub update_forward: bool,
    /// Lists this zone as a member of the catalog zone of this name, which
    /// this server produces (RFC 9432).
    #[serde(default)]
    pub catalog: Option<String>,
    /// The member's `group` property in that catalog.
    #[serde(default)]
    pub catalog_group: Option<String>,
    /// Makes this zone a catalog that this server produces from the zones
    /// naming it in `catalog` (the file keeps the last one made).
    #[serde(default)]
    pub produce_catalog: bool,
    /// Makes this secondary zone a catalog that this server consumes: each
    /// member becomes a secondary zone of the same primaries, key and
    /// transfer rules, its copy kept in this directory.
    #[serde(default)]
    pub consume_catalog: Option<PathBuf>,
    /// Signs the zone here (online signing): at load, on every change,
    /// and again before signatures expire.
    #[serde(default)]
    pub dnssec: Option<DnssecConfig>,
}

/// The `dnssec:` section of a zone: its keys and how it is signed.
/// Durations are seconds or BIND-style periods (`14d`, `1w2d`, `12h`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DnssecConfig {
    /// The zone's key files (`K<zone>+<alg>+<tag>.key` and `.private`, as
    /// `zonectl keygen` and `dnssec-keygen` write them). Their timing
    /// metadata (Publish, Activate, Inactive, Delete, SyncPublish,
    /// SyncDelete) is followed as time passes; keys added later are
    /// picked up.
    pub key_directory: PathBuf,
    /// DNSKEYs of other signers of the zone (a `.key` file or a directory
    /// of them) to publish without signing with them (RFC 8901).
    #[serde(default)]
    pub foreign_keys: Option<PathBuf>,
    /// `nsec` or `nsec3`.
    #[serde(default = "default_denial")]
    pub denial: String,
    /// Extra NSEC3 iterations (RFC 9276 asks for 0).
    #[serde(default)]
    pub nsec3_iterations: u16,
    /// NSEC3 salt in hex, or `-` for none (RFC 9276 asks for none).
    #[serde(default = "default_salt")]
    pub nsec3_salt: String,
    /// Leave insecure delegations out of the NSEC3 chain (RFC 5155 §6).
    #[serde(default)]
    pub nsec3_opt_out: bool,
    #[serde(default = "default_validity")]
    pub signature_validity: String,
    /// Signatures with less than this left are made again.
    #[serde(default = "default_refresh")]
    pub signature_refresh: String,
    /// Expirations are spread over this much, so that re-signing comes
    /// as a stream, not all at once.
    #[serde(default = "default_jitter")]
    pub signature_jitter: String,
    /// Publish CDS and CDNSKEY (RFC 7344, RFC 8078) for the KSKs in their
    /// sync window.
    #[serde(default)]
    pub cds: bool,
    /// Signatures made per new version when re-signing in the background.
    #[serde(default = "default_resign_batch")]
    pub resign_batch: usize,
}

fn default_denial() -> String {
    "nsec3".into()
}
fn default_salt() -> String {
    "-".into()
}
fn default_validity() -> String {
    "14d".into()
}
fn default_refresh() -> String {
    "5d".into()
}
fn default_jitter() -> String {
    "1d".into()
}
fn default_resign_batch() -> usize {
    2000
}

impl DnssecConfig {
    /// The signer's settings, or what is wrong (named by its key).
    pub fn settings(&self) -> Result<super::signer::SignerSettings, String> {
        use crate::dnssec::sign::Denial;
        let period = |key: &str, text: &str| {
            crate::zone::rdata::parse_period(text.as_bytes()).map_err(|e| format!("{key}: {e}"))
        };
        let denial = match self.denial.as_str() {
            "nsec" => Denial::Nsec,
            "nsec3" => Denial::Nsec3 {
                iterations: self.nsec3_iterations,
                opt_out: self.nsec3_opt_out,
            },
            other => return Err(format!("denial: {other:?} is neither nsec nor nsec3")),
        };
        if self.nsec3_iterations > crate::dnssec::nsec3::NSEC3_ITERATIONS_VALIDATORS_ACCEPT {
            return Err(format!(
                "nsec3-iterations: {} is more than validators accept (RFC 9276 asks for 0)",
                self.nsec3_iterations
            ));
        }
        let salt = match self.nsec3_salt.as_str() {
            "-" | "" => Vec::new(),
            hex => {
                let mut salt = Vec::new();
                crate::zone::encoding::hex_decode(hex.as_bytes(), &mut salt)
                    .ok()
                    .filter(|_| salt.len() <= 255)
                    .ok_or_else(|| format!("nsec3-salt: {hex:?} is not up to 255 octets of hex"))?;
                salt
            }
        };
        let validity = period("signature-validity", &self.signature_validity)?;
        let refresh = period("signature-refresh", &self.signature_refresh)?;
        let jitter = period("signature-jitter", &self.signature_jitter)?;
        if validity < 3600 {
            return Err("signature-validity: at least an hour".into());
        }
        if refresh + jitter >= validity {
            return Err(
                "signature-refresh plus signature-jitter must be less than signature-validity"
                    .into(),
            );
        }
        if self.resign_batch == 0 {
            return Err("resign-batch: at least 1".into());
        }
        Ok(super::signer::SignerSettings {
            key_directory: self.key_directory.clone(),
            foreign_keys: self.foreign_keys.clone(),
            denial,
            salt,
            validity,
            refresh,
            jitter,
            cds: self.cds,
            batch: self.resign_batch,
        })
    }
}

/// An `allow-update` rule: the client (address and/or key, as
/// `allow-transfer`), and optionally the names (`www`, or `*.dyn` for any
/// name below `dyn`; relative to the zone unless ending in a dot) and
/// the types it may change.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UpdateAccess {
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
    #[serde(default)]
    pub names: Vec<String>,
    #[serde(default)]
    pub types: Vec<String>,
}

impl UpdateAccess {
    pub fn access(&self) -> Access {
        Access {
            address: self.address.clone(),
            key: self.key.clone(),
        }
    }

    pub fn name_rules(
        &self,
        origin: &crate::zone::Name,
    ) -> Result<Vec<super::update::NameRule>, String> {
        use super::update::NameRule;
        self.names
            .iter()
            .map(|n| {
                let (below, text) = match n.strip_prefix("*.") {
                    Some(rest) => (true, rest),
                    None => (false, n.as_str()),
                };
                let text = if text == "@" {
                    origin.to_string()
                } else {
                    text.to_string()
                };
                let name = crate::zone::Name::parse(text.as_bytes(), Some(origin))
                    .map_err(|e| format!("{n:?}: {e}"))?;
                if !name.is_subdomain_of(origin) {
                    return Err(format!("{n:?} is outside the zone"));
                }
                Ok(if below {
                    NameRule::Below(name)
                } else {
                    NameRule::Exact(name)
                })
            })
            .collect()
    }

    pub fn type_list(&self) -> Result<Vec<crate::zone::RType>, String> {
        self.types
            .iter()
            .map(|t| {
                crate::zone::RType::from_text(t.as_bytes())
                    .ok_or_else(|| format!("{t:?} is not a record type"))
            })
            .collect()
    }
}

impl ZoneConfig {
    /// A primary zone read from `file`, with every other setting at its
    /// default.
    pub fn new(name: &str, file: PathBuf) -> ZoneConfig {
        ZoneConfig {
            name: name.to_string(),
            file,
            primaries: Vec::new(),
            allow_transfer: Vec::new(),
            allow_notify: Vec::new(),
            notify: Vec::new(),
            journal_size: default_journal_size(),
            allow_update: Vec::new(),
            serial_policy: Default::default(),
            update_forward: false,
            catalog: None,
            catalog_group: None,
            produce_catalog: false,
            consume_catalog: None,
            dnssec: None,
        }
    }

    pub fn is_secondary(&self) -> bool {
        !self.primaries.is_empty()
    }
}

fn default_journal_size() -> u64 {
    crate::xfr::journal::DEFAULT_LIMIT
}

/// A server we talk to: its address (port 53 unless given) and the TSIG
/// key that signs what we send it.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Remote {
    pub address: String,
    #[serde(default)]
    pub key: Option<String>,
}

impl Remote {
    pub fn socket_addr(&self) -> Result<SocketAddr, String> {
        crate::net::parse_server(&self.address, 53).map_err(|e| e.to_string())
    }
}

/// One access rule: an address prefix, a key, or both (then both must
/// match). `address: any` (or no address) matches every client.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Access {
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub key: Option<String>,
}

/// An address prefix, `192.0.2.0/24` or `2001:db8::/32` (a bare address
/// is a host).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prefix {
    pub addr: IpAddr,
    pub len: u8,
}

impl Prefix {
    pub fn parse(text: &str) -> Result<Prefix, String> {
        let (addr, len) = match text.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (text, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{text:?} is not an address or prefix"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = match len {
            Some(l) => l
                .parse::<u8>()
                .ok()
                .filter(|&l| l <= max)
                .ok_or_else(|| format!("{text:?}: the prefix length is 0 to {max}"))?,
            None => max,
        };
        Ok(Prefix { addr, len })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = match (self.addr, ip) {
            (IpAddr::V4(_), IpAddr::V6(v6)) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            _ => ip,
        };
        let (a, b, bits) = match (self.addr, ip) {
            (IpAddr::V4(a), IpAddr::V4(b)) => (
                u128::from(u32::from(a)) << 96,
                u128::from(u32::from(b)) << 96,
                self.len,
            ),
            (IpAddr::V6(a), IpAddr::V6(b)) => (u128::from(a), u128::from(b), self.len),
            _ => return false,
        };
        bits == 0 || (a ^ b) >> (128 - u32::from(bits)) == 0
    }
}

impl Access {
    pub fn prefix(&self) -> Result<Option<Prefix>, String> {
        match self.address.as_deref() {
            None | Some("any") => Ok(None),
            Some(text) => Prefix::parse(text).map(Some),
        }
    }
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct TcpConfig {
    /// Seconds a connection may stay idle between queries (RFC 7766 §6.2.3).
    pub idle_timeout: u64,
    /// Open connections at most, in all.
    pub max_connections: usize,
    /// Open connections at most from one client address.
    pub max_per_client: usize,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            idle_timeout: 10,
            max_connections: 1000,
            max_per_client: 20,
        }
    }
}

/// Response rate limiting (as NSD's and Knot's RRL): off unless
/// `responses-per-second` is set.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct RrlConfig {
    /// Responses per second to one client prefix; 0 turns RRL off.
    pub responses_per_second: u32,
    /// Every `slip`th limited response is sent truncated (TC) instead of
    /// dropped, so real clients retry over TCP; 0 drops all.
    pub slip: u32,
    pub ipv4_prefix: u8,
    pub ipv6_prefix: u8,
}

impl Default for RrlConfig {
    fn default() -> Self {
        RrlConfig {
            responses_per_second: 0,
            slip: 2,
            ipv4_prefix: 24,
            ipv6_prefix: 56,
        }
    }
}

fn default_listen() -> Vec<SocketAddr> {
    vec![
        "127.0.0.1:53".parse().expect("valid"),
        "[::1]:53".parse().expect("valid"),
    ]
}

fn default_udp_size() -> u16 {
    super::engine::DEFAULT_UDP_SIZE
}

impl Config {
    /// Reads and checks a configuration file; zone file paths are taken
    /// relative to the file's directory.
    pub fn from_file(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = crate::fsutil::read_bounded(path, 16 << 20).map_err(|e| ConfigError::Read {
            path: shown.clone(),
            reason: crate::fsutil::io_reason(&e),
        })?;
        let mut config = Config::from_yaml(&text, &shown)?;
        let base = path.parent().unwrap_or(Path::new("."));
        for zone in &mut config.zones {
            if zone.file.is_relative() {
                zone.file = base.join(&zone.file);
            }
            if let Some(dir) = &mut zone.consume_catalog
                && dir.is_relative()
            {
                *dir = base.join(&*dir);
            }
            if let Some(dnssec) = &mut zone.dnssec {
                for path in
                    std::iter::once(&mut dnssec.key_directory).chain(dnssec.foreign_keys.as_mut())
                {
                    if path.is_relative() {
                        *path = base.join(&*path);
                    }
                }
            }
        }
        for key in &mut config.keys {
            if let Some(file) = &mut key.file
                && file.is_relative()
            {
                *file = base.join(&*file);
            }
        }
        config.tsig_keys().map_err(|message| ConfigError::Invalid {
            path: shown.clone(),
            message,
        })?;
        Ok(config)
    }

    pub fn from_yaml(text: &str, shown: &str) -> Result<Config, ConfigError> {
        let config: Config = serde_saphyr::from_str(text).map_err(|e| ConfigError::Syntax {
            path: shown.to_string(),
            message: e.to_string(),
        })?;
        config.validate().map_err(|message| ConfigError::Invalid {
            path: shown.to_string(),
            message,
        })?;
        Ok(config)
    }

    /// Checks what the types alone do not.
    pub fn validate(&self) -> Result<(), String> {
        if self.listen.is_empty() {
            return Err("listen: at least one address is needed".into());
        }
        if !(512..=4096).contains(&self.udp_size) {
            return Err(format!(
                "udp-size: {} is outside 512 to 4096",
                self.udp_size
            ));
        }
        if self.workers > 256 {
            return Err(format!("workers: {} is more than 256", self.workers));
        }
        if self.tcp.idle_timeout == 0 || self.tcp.idle_timeout > 3600 {
            return Err("tcp.idle-timeout: seconds from 1 to 3600".into());
        }
        if self.tcp.max_connections == 0 || self.tcp.max_per_client == 0 {
            return Err("tcp.max-connections and tcp.max-per-client must be at least 1".into());
        }
        if self.rrl.ipv4_prefix > 32 || self.rrl.ipv6_prefix > 128 {
            return Err("rrl: ipv4-prefix is at most 32, ipv6-prefix at most 128".into());
        }
        if let Some(nsid) = &self.nsid {
            parse_nsid(nsid).map_err(|e| format!("nsid: {e}"))?;
        }
        for (i, text) in [&self.identity, &self.version].into_iter().enumerate() {
            if text.as_ref().is_some_and(|t| t.len() > 255) {
                let key = ["identity", "version"][i];
                return Err(format!("{key}: at most 255 octets"));
            }
        }
        let mut key_names = std::collections::HashSet::new();
        for (i, key) in self.keys.iter().enumerate() {
            let name =
                crate::zone::Name::parse(key.name.as_bytes(), Some(&crate::zone::Name::root()))
                    .map_err(|e| format!("keys[{i}].name: {e}"))?;
            if !key_names.insert(name.to_string().to_ascii_lowercase()) {
                return Err(format!("keys[{i}].name: {name} is configured twice"));
            }
            match (&key.secret, &key.file) {
                (Some(secret), None) => {
                    crate::tsig::Key::new(&key.name, &key.algorithm, secret)
                        .map_err(|e| format!("keys[{i}]: {e}"))?;
                }
                (None, Some(_)) => {}
                _ => return Err(format!("keys[{i}]: give either secret or file")),
            }
        }
        let known_key = |key: &Option<String>, at: String| -> Result<(), String> {
            match key {
                Some(k) if !key_names.contains(&Self::key_id(k)) => {
                    Err(format!("{at}.key: no key {k} under keys"))
                }
                _ => Ok(()),
            }
        };
        let mut seen = std::collections::HashSet::new();
        for (i, zone) in self.zones.iter().enumerate() {
            let name =
                crate::zone::Name::parse(zone.name.as_bytes(), Some(&crate::zone::Name::root()))
                    .map_err(|e| format!("zones[{i}].name: {e}"))?;
            if !seen.insert(name.clone()) {
                return Err(format!("zones[{i}].name: {name} is configured twice"));
            }
            for (list, remotes) in [("primaries", &zone.primaries), ("notify", &zone.notify)] {
                for (j, remote) in remotes.iter().enumerate() {
                    let at = format!("zones[{i}].{list}[{j}]");
                    remote
                        .socket_addr()
                        .map_err(|e| format!("{at}.address: {e}"))?;
                    known_key(&remote.key, at)?;
                }
            }
            for (list, rules) in [
                ("allow-transfer", &zone.allow_transfer),
                ("allow-notify", &zone.allow_notify),
            ] {
                for (j, rule) in rules.iter().enumerate() {
                    let at = format!("zones[{i}].{list}[{j}]");
                    rule.prefix().map_err(|e| format!("{at}.address: {e}"))?;
                    known_key(&rule.key, at)?;
                }
            }
            for (j, rule) in zone.allow_update.iter().enumerate() {
                let at = format!("zones[{i}].allow-update[{j}]");
                rule.access()
                    .prefix()
                    .map_err(|e| format!("{at}.address: {e}"))?;
                known_key(&rule.key, at.clone())?;
                rule.name_rules(&name)
                    .map_err(|e| format!("{at}.names: {e}"))?;
                rule.type_list().map_err(|e| format!("{at}.types: {e}"))?;
            }
            if zone.update_forward && !zone.is_secondary() {
                return Err(format!(
                    "zones[{i}].update-forward: only a secondary forwards updates"
                ));
            }
            if zone.produce_catalog && zone.is_secondary() {
                return Err(format!(
                    "zones[{i}]: a catalog produced here cannot have primaries"
                ));
            }
            if zone.consume_catalog.is_some() && !zone.is_secondary() {
                return Err(format!(
                    "zones[{i}].consume-catalog: a consumed catalog is a secondary zone (give primaries)"
                ));
            }
            if let Some(catalog) = &zone.catalog {
                let wanted =
                    crate::zone::Name::parse(catalog.as_bytes(), Some(&crate::zone::Name::root()))
                        .map_err(|e| format!("zones[{i}].catalog: {e}"))?;
                let produced = self.zones.iter().any(|z| {
                    z.produce_catalog
                        && crate::zone::Name::parse(
                            z.name.as_bytes(),
                            Some(&crate::zone::Name::root()),
                        )
                        .is_ok_and(|n| n == wanted)
                });
                if !produced {
                    return Err(format!(
                        "zones[{i}].catalog: no zone {catalog} with produce-catalog: true"
                    ));
                }
            }
            if let Some(dnssec) = &zone.dnssec {
                dnssec
                    .settings()
                    .map_err(|e| format!("zones[{i}].dnssec.{e}"))?;
                if zone.is_secondary() || zone.produce_catalog {
                    return Err(format!(
                        "zones[{i}].dnssec: only a primary zone is signed here (a secondary serves what its primary signed)"
                    ));
                }
            }
            if zone.journal_size < 4096 {
                return Err(format!("zones[{i}].journal-size: at least 4096 bytes"));
            }
        }
        Ok(())
    }

    /// How key names are compared: as domain names, case-insensitively.
    pub fn key_id(name: &str) -> String {
        crate::zone::Name::parse(name.as_bytes(), Some(&crate::zone::Name::root())).map_or_else(
            |_| name.to_ascii_lowercase(),
            |n| n.to_string().to_ascii_lowercase(),
        )
    }

    /// The TSIG keys, read (from files where so configured), in the order
    /// configured.
    pub fn tsig_keys(&self) -> Result<Vec<crate::tsig::Key>, String> {
        self.keys
            .iter()
            .enumerate()
            .map(|(i, k)| match (&k.secret, &k.file) {
                (Some(secret), _) => crate::tsig::Key::new(&k.name, &k.algorithm, secret)
                    .map_err(|e| format!("keys[{i}]: {e}")),
                (None, Some(file)) => {
                    let keys = crate::tsig::Key::read_file(file)
                        .map_err(|e| format!("keys[{i}].file: {e}"))?;
                    let wanted = Self::key_id(&k.name);
                    keys.into_iter()
                        .find(|key| key.name.to_string().to_ascii_lowercase() == wanted)
                        .ok_or_else(|| {
                            format!("keys[{i}].file: {} holds no key {}", file.display(), k.name)
                        })
                }
                (None, None) => Err(format!("keys[{i}]: give either secret or file")),
            })
            .collect()
    }

    pub fn tcp_idle_timeout(&self) -> Duration {
        Duration::from_secs(self.tcp.idle_timeout)
    }

    pub fn nsid_bytes(&self) -> Option<Vec<u8>> {
        self.nsid.as_deref().and_then(|n| parse_nsid(n).ok())
    }
}

/// NSID as text, or `hex:` and hex digits.
pub fn parse_nsid(text: &str) -> Result<Vec<u8>, String> {
    let bytes = match text.strip_prefix("hex:") {
        Some(hex) => {
            if hex.len() % 2 != 0 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err("hex: needs an even number of hex digits".into());
            }
            (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("checked"))
                .collect()
        }
        None => text.as_bytes().to_vec(),
    };
    if bytes.is_empty() || bytes.len() > 255 {
        return Err("from 1 to 255 octets".into());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_config_reads() {
        let text = "listen: [\"127.0.0.1:5300\", \"[::1]:5300\"]\nworkers: 2\nnsid: hex:6e73\nidentity: ns1\ntcp:\n  idle-timeout: 5\nrrl:\n  responses-per-second: 10\nzones:\n  - name: example.com\n    file: example.com.zone\n";
        let config = Config::from_yaml(text, "t.yaml").unwrap();
        assert_eq!(config.listen.len(), 2);
        assert_eq!(config.nsid_bytes(), Some(b"ns".to_vec()));
        assert_eq!(config.tcp.idle_timeout, 5);
        assert_eq!(config.tcp.max_connections, 1000);
        assert_eq!(config.rrl.slip, 2);
        assert_eq!(config.zones[0].name, "example.com");
    }

    #[test]
    fn unknown_keys_and_bad_values_name_the_key_and_the_place() {
        let err = Config::from_yaml(
            "listen: [\"127.0.0.1:53\"]\nzones:\n  - name: a.\n    fil: x\n",
            "t.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("fil") && err.contains("line 4"), "{err}");
        let err = Config::from_yaml("udp-size: 100\n", "t.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("udp-size"), "{err}");
        let err = Config::from_yaml("listen: [\"nonsense\"]\n", "t.yaml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1"), "{err}");
        let err = Config::from_yaml(
            "zones:\n  - {name: a., file: x}\n  - {name: A., file: y}\n",
            "t.yaml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("zones[1].name") && err.contains("twice"),
            "{err}"
        );
    }
}
