//! Real name servers (NSD, Knot, BIND) started by tests on loopback high
//! ports with their own configuration in a temporary directory, and
//! stopped by pid when the test ends.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use zonectl::xfr::Client;
use zonectl::zone::Name;

/// A port free on 127.0.0.1 for both UDP and TCP, and not handed out
/// before in this process (tests run in parallel and bind later).
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        let mut given = GIVEN.lock().unwrap();
        if !given.contains(&port) && TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
}

/// A TSIG key for configurations: name, algorithm, base64 secret.
#[derive(Clone, Debug)]
pub struct TestKey {
    pub name: String,
    pub algorithm: String,
    pub secret: String,
}

impl TestKey {
    pub fn new(name: &str, algorithm: &str) -> TestKey {
        // Deterministic secrets, as long as the hash output.
        let len = match algorithm {
            "hmac-md5" => 16,
            "hmac-sha1" => 20,
            "hmac-sha224" => 28,
            "hmac-sha256" => 32,
            "hmac-sha384" => 48,
            _ => 64,
        };
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + name.len()) as u8).collect();
        TestKey {
            name: name.into(),
            algorithm: algorithm.into(),
            secret: base64(&bytes),
        }
    }

    pub fn spec(&self) -> String {
        format!("{}:{}:{}", self.algorithm, self.name, self.secret)
    }
}

pub fn base64(data: &[u8]) -> String {
    let mut out = String::new();
    zonectl::zone::encoding::base64_encode(data, &mut out);
    out
}

pub struct Server {
    pub kind: &'static str,
    pub ip: std::net::IpAddr,
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Option<Child>,
    config: PathBuf,
}

impl Server {
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip, self.port)
    }

    pub fn address_arg(&self) -> String {
        self.addr().to_string()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    /// Makes the server read its zone files again.
    pub fn reload(&self) {
        signal(self.pid(), "HUP");
    }

    /// Stops the server now (SIGKILL), as a crash would. NSD serves from
    /// children and grandchildren of the process started: all of them go.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            for pid in descendants(child.id()) {
                signal(pid, "KILL");
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub fn log(&self) -> String {
        let log = self.path(&format!("{}.log", self.kind));
        std::fs::read_to_string(log).unwrap_or_default()
    }

    /// The zone's serial as the server answers it, if it does.
    pub fn serial(&self, zone: &str) -> Option<u32> {
        let mut client = Client::new(
            Name::parse(format!("{zone}.").as_bytes(), None).ok()?,
            self.addr(),
        );
        client.timeout = Duration::from_millis(500);
        client.soa_serial().ok()
    }

    /// Waits until the server answers the zone's SOA with `serial` (or any
    /// serial, if None).
    pub fn wait_serial(&self, zone: &str, serial: Option<u32>, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            match (self.serial(zone), serial) {
                (Some(_), None) => return true,
                (Some(s), Some(want)) if s == want => return true,
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        false
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &self.child {
            signal(child.id(), "TERM");
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline {
                if let Some(child) = &mut self.child
                    && child.try_wait().ok().flatten().is_some()
                {
                    self.child = None;
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        self.kill();
    }
}

fn descendants(pid: u32) -> Vec<u32> {
    let out = Command::new("pgrep")
        .args(["-P", &pid.to_string()])
        .output();
    let children: Vec<u32> = out
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    let mut all = Vec::new();
    for c in children {
        all.extend(descendants(c));
        all.push(c);
    }
    all
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status();
}

/// A zone a server holds: its name, zone file text, and the key that
/// transfers of it need (none: transfers without TSIG are allowed).
pub struct ZoneSpec<'a> {
    pub name: &'a str,
    pub text: &'a str,
    pub key: Option<&'a TestKey>,
}

/// Every key the zones and secondaries name, once each.
fn all_keys<'a>(zones: &[ZoneSpec<'a>], secondaries: &[SecondarySpec<'a>]) -> Vec<&'a TestKey> {
    let mut keys: Vec<&TestKey> = Vec::new();
    for k in zones
        .iter()
        .filter_map(|z| z.key)
        .chain(secondaries.iter().filter_map(|s| s.key))
    {
        if !keys.iter().any(|seen| seen.name == k.name) {
            keys.push(k);
        }
    }
    keys
}

/// Secondary zone: transferred from `primary` with `key`.
pub struct SecondarySpec<'a> {
    pub name: &'a str,
    pub primary: SocketAddr,
    pub key: Option<&'a TestKey>,
}

fn spawn(
    kind: &'static str,
    dir: tempfile::TempDir,
    port: u16,
    config: PathBuf,
    mut cmd: Command,
) -> Server {
    let log = std::fs::File::create(dir.path().join(format!("{kind}.stderr"))).unwrap();
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("start {kind}: {e}"));
    Server {
        kind,
        ip: [127, 0, 0, 1].into(),
        port,
        dir,
        child: Some(child),
        config,
    }
}

fn started(server: Server, zones: &[&str]) -> Server {
    for zone in zones {
        if !server.wait_serial(zone, None, Duration::from_secs(20)) {
            let stderr = std::fs::read_to_string(server.path(&format!("{}.stderr", server.kind)))
                .unwrap_or_default();
            panic!(
                "{} did not serve {zone} on port {}:\n{}\n{}",
                server.kind,
                server.port,
                server.log(),
                stderr
            );
        }
    }
    server
}

/// NSD as a primary of `zones`, allowing transfers with `key` (or without
/// a key when None), keeping IXFR differences of zone-file reloads.
pub fn nsd(zones: &[ZoneSpec]) -> Option<Server> {
    nsd_on(&["127.0.0.1"], free_port(), zones)
}

/// NSD listening on each of `addresses` (loopback) at `port`.
pub fn nsd_on(addresses: &[&str], port: u16, zones: &[ZoneSpec]) -> Option<Server> {
    nsd_notifying(addresses, port, zones, &[])
}

/// NSD as a primary that sends NOTIFY to `notify` (with each zone's key).
pub fn nsd_notifying(
    addresses: &[&str],
    port: u16,
    zones: &[ZoneSpec],
    notify: &[SocketAddr],
) -> Option<Server> {
    let binary = super::peer("nsd")?;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let listen: String = addresses
        .iter()
        .map(|a| format!("  ip-address: {a}@{port}\n"))
        .collect();
    let mut conf = format!(
        "server:\n{listen}  port: {port}\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"{d}\"\n  database: \"\"\n  zonelistfile: \"{d}/zone.list\"\n  pidfile: \"{d}/nsd.pid\"\n  xfrdfile: \"{d}/xfrd.state\"\n  xfrdir: \"{d}\"\n  logfile: \"{d}/nsd.log\"\n  server-count: 1\n  verbosity: 2\n  tcp-count: 64\nremote-control:\n  control-enable: no\n"
    );
    for k in all_keys(zones, &[]) {
        conf += &format!(
            "key:\n  name: \"{}\"\n  algorithm: {}\n  secret: \"{}\"\n",
            k.name, k.algorithm, k.secret
        );
    }
    for z in zones {
        std::fs::write(dir.path().join(format!("{}.zone", z.name)), z.text).unwrap();
        conf += &format!(
            "zone:\n  name: \"{}\"\n  zonefile: \"{}.zone\"\n  provide-xfr: 127.0.0.1 {}\n  store-ixfr: yes\n  create-ixfr: yes\n",
            z.name,
            z.name,
            z.key.map_or("NOKEY", |k| k.name.as_str())
        );
        for target in notify {
            conf += &format!(
                "  notify: {}@{} {}\n",
                target.ip(),
                target.port(),
                z.key.map_or("NOKEY", |k| k.name.as_str())
            );
        }
    }
    let config = dir.path().join("nsd.conf");
    std::fs::write(&config, conf).unwrap();
    let mut cmd = Command::new(binary);
    cmd.arg("-d").arg("-c").arg(&config);
    let names: Vec<&str> = zones.iter().map(|z| z.name).collect();
    let mut server = spawn("nsd", dir, port, config, cmd);
    server.ip = addresses[0].parse().unwrap();
    Some(started(server, &names))
}

/// Unbound as a recursive resolver on 127.0.0.1:`port` that reaches the
/// given zones through stub addresses (`ADDRESS@PORT`) on loopback.
pub fn unbound(stubs: &[(&str, String)]) -> Option<Server> {
    unbound_validating(stubs, &[])
}

/// Unbound as [`unbound`], validating with `anchors` (DS records in
/// presentation format) as trust anchors.
pub fn unbound_validating(stubs: &[(&str, String)], anchors: &[String]) -> Option<Server> {
    let binary = super::peer("unbound")?;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let d = dir.path().display();
    let mut conf = format!(
        "server:\n  interface: 127.0.0.1@{port}\n  port: {port}\n  do-daemonize: no\n  username: \"\"\n  chroot: \"\"\n  directory: \"{d}\"\n  pidfile: \"{d}/unbound.pid\"\n  logfile: \"{d}/unbound.log\"\n  use-syslog: no\n  verbosity: 1\n  do-ip6: no\n  do-not-query-localhost: no\n  access-control: 127.0.0.0/8 allow\n  module-config: \"iterator\"\n  qname-minimisation: no\n  cache-max-ttl: 0\n  cache-max-negative-ttl: 0\n  local-zone: \"test.\" nodefault\n"
    );
    if !anchors.is_empty() {
        // A validator keeps the keys it proved in its cache: a zero cache
        // TTL makes every trust anchor fail to prime.
        conf = conf
            .replace(
                "module-config: \"iterator\"",
                "module-config: \"validator iterator\"",
            )
            .replace("  cache-max-ttl: 0\n  cache-max-negative-ttl: 0\n", "");
        for anchor in anchors {
            conf += &format!("  trust-anchor: \"{anchor}\"\n");
        }
    }
    for (zone, addr) in stubs {
        conf += &format!("stub-zone:\n  name: \"{zone}.\"\n  stub-addr: {addr}\n");
    }
    let config = dir.path().join("unbound.conf");
    std::fs::write(&config, &conf).unwrap();
    let mut cmd = Command::new(binary);
    cmd.arg("-d").arg("-c").arg(&config);
    let server = spawn("unbound", dir, port, config, cmd);
    // A resolver answers recursive queries: wait until it resolves each
    // zone. (Unbound answers test. itself unless told otherwise: RFC 6761.)
    for (zone, _) in stubs {
        let name = Name::parse(format!("{zone}.").as_bytes(), None).unwrap();
        let query = zonectl::wire::MessageBuilder::new(1, 0, zonectl::wire::flag::RD)
            .question(name.as_wire(), zonectl::zone::RType::SOA, 1)
            .finish();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let answer =
                zonectl::net::exchange(server.addr(), &query, Duration::from_millis(500), false);
            // A validator with a wrong anchor (a test of bogus answers)
            // answers SERVFAIL: that it answers is enough then.
            let ready = |a: &Vec<u8>| {
                a.len() > 12
                    && ((a[3] & 0xf == 0 && a[7] > 0) || (!anchors.is_empty() && a[3] & 0xf == 2))
            };
            if answer.is_ok_and(|a| ready(&a)) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "unbound does not resolve {zone}:\n{}",
                server.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Some(server)
}

/// Whether ::1 can be bound here.
pub fn ipv6_loopback() -> bool {
    UdpSocket::bind("[::1]:0").is_ok()
}

fn knot_key(k: &TestKey) -> String {
    format!(
        "  - id: {}\n    algorithm: {}\n    secret: {}\n",
        k.name, k.algorithm, k.secret
    )
}

/// Knot as a primary of `zones` (IXFR from zone-file differences) and a
/// secondary of `secondaries` (accepting NOTIFY from 127.0.0.1).
pub fn knotd(zones: &[ZoneSpec], secondaries: &[SecondarySpec]) -> Option<Server> {
    knotd_notifying(zones, secondaries, &[])
}

/// Knot as [`knotd`], its primary zones sending NOTIFY to `notify`.
pub fn knotd_notifying(
    zones: &[ZoneSpec],
    secondaries: &[SecondarySpec],
    notify: &[SocketAddr],
) -> Option<Server> {
    let binary = super::peer("knotd")?;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let d = dir.path().display();
    // Also on ::1 where the machine has it.
    let v6 = if ipv6_loopback() {
        format!(", ::1@{port}")
    } else {
        String::new()
    };
    let mut conf = format!(
        "server:\n  listen: [127.0.0.1@{port}{v6}]\n  rundir: \"{d}\"\n  pidfile: \"{d}/knot.pid\"\nlog:\n  - target: \"{d}/knotd.log\"\n    any: debug\ndatabase:\n  storage: \"{d}\"\ncontrol:\n  listen: \"{d}/knot.sock\"\n"
    );
    let keys = all_keys(zones, secondaries);
    if !keys.is_empty() {
        conf += "key:\n";
        for k in &keys {
            conf += &knot_key(k);
        }
    }
    conf += "remote:\n  - id: dummy\n    address: 127.0.0.1@1\n";
    for (i, target) in notify.iter().enumerate() {
        for (j, z) in zones.iter().enumerate() {
            conf += &format!(
                "  - id: notify{i}-z{j}\n    address: {}@{}\n",
                target.ip(),
                target.port()
            );
            if let Some(k) = z.key {
                conf += &format!("    key: {}\n", k.name);
            }
        }
    }
    for (i, s) in secondaries.iter().enumerate() {
        conf += &format!(
            "  - id: primary{i}\n    address: {}@{}\n",
            s.primary.ip(),
            s.primary.port()
        );
        if let Some(k) = s.key {
            conf += &format!("    key: {}\n", k.name);
        }
    }
    // One ACL per key (and one for unsigned requests): Knot matches a
    // rule without a key only to unsigned messages.
    conf += "acl:\n  - id: open\n    address: [127.0.0.0/8, ::1]\n    action: [transfer, notify]\n";
    for k in &keys {
        conf += &format!(
            "  - id: acl-{0}\n    address: [127.0.0.0/8, ::1]\n    key: {0}\n    action: [transfer, notify]\n",
            k.name
        );
    }
    let acl = |key: Option<&TestKey>| key.map_or("open".to_string(), |k| format!("acl-{}", k.name));
    conf += &format!(
        "template:\n  - id: default\n    storage: \"{d}\"\n    zonefile-sync: -1\n    zonefile-load: difference\n    journal-content: changes\n    semantic-checks: off\n"
    );
    conf += "zone:\n";
    for (j, z) in zones.iter().enumerate() {
        std::fs::write(dir.path().join(format!("{}.zone", z.name)), z.text).unwrap();
        conf += &format!(
            "  - domain: {}\n    file: \"{}.zone\"\n    acl: {}\n",
            z.name,
            z.name,
            acl(z.key)
        );
        if !notify.is_empty() {
            let ids: Vec<String> = (0..notify.len())
                .map(|i| format!("notify{i}-z{j}"))
                .collect();
            conf += &format!("    notify: [{}]\n", ids.join(", "));
        }
    }
    for (i, s) in secondaries.iter().enumerate() {
        conf += &format!(
            "  - domain: {}\n    file: \"{}.secondary.zone\"\n    master: primary{i}\n    acl: [open, {}]\n",
            s.name,
            s.name,
            acl(s.key)
        );
    }
    let config = dir.path().join("knot.conf");
    std::fs::write(&config, &conf).unwrap();
    let mut cmd = Command::new(binary);
    cmd.arg("-c").arg(&config);
    let mut names: Vec<&str> = zones.iter().map(|z| z.name).collect();
    names.extend(secondaries.iter().map(|s| s.name));
    Some(started(spawn("knotd", dir, port, config, cmd), &names))
}

/// Knot with `body` (its key, remote, acl, template and zone sections) after
/// the usual server, log, database and control sections: for
/// configurations the helpers above do not make, such as catalog zones.
pub fn knotd_with(body: &str, serving: &[&str]) -> Option<Server> {
    knotd_with_files(body, serving, &[])
}

/// As [`knotd_with`], with `files` (name, content) written into the
/// server's directory before it starts.
pub fn knotd_with_files(
    body: &str,
    serving: &[&str],
    files: &[(String, String)],
) -> Option<Server> {
    let binary = super::peer("knotd")?;
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        std::fs::write(dir.path().join(name), content).unwrap();
    }
    let port = free_port();
    let d = dir.path().display();
    let conf = format!(
        "server:\n  listen: 127.0.0.1@{port}\n  rundir: \"{d}\"\n  pidfile: \"{d}/knot.pid\"\nlog:\n  - target: \"{d}/knotd.log\"\n    any: debug\ndatabase:\n  storage: \"{d}\"\ncontrol:\n  listen: \"{d}/knot.sock\"\n{}",
        body.replace("@DIR@", &d.to_string())
    );
    let config = dir.path().join("knot.conf");
    std::fs::write(&config, &conf).unwrap();
    let mut cmd = Command::new(binary);
    cmd.arg("-c").arg(&config);
    Some(started(spawn("knotd", dir, port, config, cmd), serving))
}

pub fn knot_key_clause(k: &TestKey) -> String {
    format!("key:\n{}", knot_key(k))
}

impl Server {
    /// Knot reloads zone files on `knotc zone-reload`, not on SIGHUP alone.
    pub fn reload_zones(&self) {
        if self.kind == "knotd" {
            let _ = Command::new("knotc")
                .arg("-c")
                .arg(&self.config)
                .arg("zone-reload")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        } else {
            self.reload();
        }
    }
}

fn bind_key(k: &TestKey) -> String {
    format!(
        "key \"{}\" {{ algorithm {}; secret \"{}\"; }};\n",
        k.name, k.algorithm, k.secret
    )
}

/// BIND as a primary of `zones` (ixfr-from-differences) and a secondary
/// of `secondaries`.
pub fn named(zones: &[ZoneSpec], secondaries: &[SecondarySpec]) -> Option<Server> {
    named_notifying(zones, secondaries, &[])
}

/// BIND as [`named`], its primary zones sending NOTIFY to `notify` only.
pub fn named_notifying(
    zones: &[ZoneSpec],
    secondaries: &[SecondarySpec],
    notify: &[SocketAddr],
) -> Option<Server> {
    let binary = super::peer("named")?;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let d = dir.path().display();
    let mut conf = format!(
        "options {{\n  directory \"{d}\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  listen-on-v6 {{ none; }};\n  pid-file \"{d}/named.pid\";\n  recursion no;\n  dnssec-validation no;\n  notify no;\n  ixfr-from-differences yes;\n  allow-notify {{ 127.0.0.1; }};\n  session-keyfile \"{d}/session.key\";\n  managed-keys-directory \"{d}\";\n}};\ncontrols {{ }};\nlogging {{ channel f {{ file \"{d}/named.log\"; severity debug 1; print-time yes; }}; category default {{ f; }}; category xfer-in {{ f; }}; category xfer-out {{ f; }}; category notify {{ f; }}; }};\n"
    );
    for k in all_keys(zones, secondaries) {
        conf += &bind_key(k);
    }
    for z in zones {
        std::fs::write(dir.path().join(format!("{}.zone", z.name)), z.text).unwrap();
        let transfer = z
            .key
            .map_or("any;".to_string(), |k| format!("key \"{}\";", k.name));
        let also: String = notify
            .iter()
            .map(|t| {
                let key = z
                    .key
                    .map_or(String::new(), |k| format!(" key \"{}\"", k.name));
                format!("{} port {}{key}; ", t.ip(), t.port())
            })
            .collect();
        let notify_clause = if notify.is_empty() {
            String::new()
        } else {
            format!(" notify explicit; also-notify {{ {also}}};")
        };
        conf += &format!(
            "zone \"{}\" {{ type primary; file \"{}.zone\"; allow-transfer {{ {transfer} }};{notify_clause} }};\n",
            z.name, z.name
        );
    }
    for s in secondaries {
        let key = s
            .key
            .map_or(String::new(), |k| format!(" key \"{}\"", k.name));
        conf += &format!(
            "zone \"{}\" {{ type secondary; file \"{}.secondary.zone\"; primaries {{ {} port {}{key}; }}; }};\n",
            s.name,
            s.name,
            s.primary.ip(),
            s.primary.port()
        );
    }
    let config = dir.path().join("named.conf");
    std::fs::write(&config, &conf).unwrap();
    let mut cmd = Command::new(binary);
    cmd.arg("-f").arg("-c").arg(&config).arg("-n").arg("1");
    let mut names: Vec<&str> = zones.iter().map(|z| z.name).collect();
    names.extend(secondaries.iter().map(|s| s.name));
    Some(started(spawn("named", dir, port, config, cmd), &names))
}

/// The records of a zone file as sorted lines in canonical form, for
/// comparing zones record for record.
pub fn canonical_records(path: &Path, origin: &str) -> Vec<String> {
    let outcome = zonectl::zone::reader::read_file(
        path,
        zonectl::zone::reader::ReadOptions {
            origin: Some(Name::parse(format!("{origin}.").as_bytes(), None).unwrap()),
            ..Default::default()
        },
    );
    assert_eq!(
        outcome.error_count(),
        0,
        "{}: {:?}",
        path.display(),
        outcome.diagnostics
    );
    let mut lines: Vec<String> = outcome
        .records
        .iter()
        .map(|r| {
            let mut line = String::new();
            zonectl::zone::writer::format_record(
                r.owner.to_lowercase().as_wire(),
                r.ttl,
                r.class,
                r.rtype,
                &r.rdata,
                &mut line,
            );
            line
        })
        .collect();
    lines.sort();
    lines.dedup();
    lines
}

/// BIND with `options` added to the usual ones and `zones` as written
/// (their files already in the server's directory, given as `dir`): for
/// configurations the helpers above do not make, such as catalog zones.
pub fn named_with(
    dir: tempfile::TempDir,
    options: &str,
    zones: &str,
    serving: &[&str],
) -> Option<Server> {
    let binary = super::peer("named")?;
    let port = free_port();
    let d = dir.path().display();
    let conf = format!(
        "options {{\n  directory \"{d}\";\n  listen-on port {port} {{ 127.0.0.1; }};\n  listen-on-v6 {{ none; }};\n  pid-file \"{d}/named.pid\";\n  recursion no;\n  dnssec-validation no;\n  allow-notify {{ 127.0.0.1; }};\n  session-keyfile \"{d}/session.key\";\n  managed-keys-directory \"{d}\";\n{options}\n}};\ncontrols {{ }};\nlogging {{ channel f {{ file \"{d}/named.log\"; severity debug 1; print-time yes; }}; category default {{ f; }}; category xfer-in {{ f; }}; category xfer-out {{ f; }}; category notify {{ f; }}; }};\n{zones}"
    );
    let config = dir.path().join("named.conf");
    std::fs::write(&config, &conf).unwrap();
    let mut cmd = Command::new(binary);
    cmd.arg("-f").arg("-c").arg(&config).arg("-n").arg("1");
    Some(started(spawn("named", dir, port, config, cmd), serving))
}

pub fn bind_key_clause(k: &TestKey) -> String {
    bind_key(k)
}

/// PowerDNS Authoritative with a fresh SQLite database and its HTTP API on
/// `api_port` (key `api_key`), serving DNS on the returned server's port.
pub fn pdns(api_port: u16, api_key: &str) -> Option<Server> {
    let binary = super::peer("pdns_server")?;
    let sqlite = super::peer("sqlite3")?;
    let schema = [
        "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql",
        "/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())?;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("pdns.sqlite3");
    let made = Command::new(sqlite)
        .arg(&db)
        .stdin(std::fs::File::open(&schema).unwrap())
        .status()
        .unwrap();
    assert!(
        made.success(),
        "sqlite3 could not make the PowerDNS database"
    );
    let port = free_port();
    let d = dir.path().display();
    let conf = format!(
        "launch=gsqlite3\ngsqlite3-database={d}/pdns.sqlite3\nlocal-address=127.0.0.1\nlocal-port={port}\nsocket-dir={d}\nguardian=no\ndaemon=no\ndisable-syslog=yes\napi=yes\napi-key={api_key}\nwebserver=yes\nwebserver-address=127.0.0.1\nwebserver-port={api_port}\nwebserver-allow-from=127.0.0.0/8\nallow-axfr-ips=127.0.0.0/8\nloglevel=4\n"
    );
    let config = dir.path().join("pdns.conf");
    std::fs::write(&config, conf).unwrap();
    let mut cmd = Command::new(binary);
    cmd.arg(format!("--config-dir={d}"));
    Some(spawn("pdns", dir, port, config, cmd))
}
