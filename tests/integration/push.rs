//! `zonectl diff` and `zonectl push` against real primaries: BIND and Knot
//! taking RFC 2136 UPDATE with TSIG on loopback.

use std::path::Path;
use std::process::{Command, Stdio};

use std::net::SocketAddr;

use crate::common::{self, servers, servers::Server, servers::TestKey};
use crate::serve_util::{ServeProcess, soa_serial};

const ZONE: &str = "push.test";

fn zone_text(serial: u32, extra: &str) -> String {
    let mut text = format!(
        "$ORIGIN {ZONE}.\n$TTL 300\n@ SOA ns hostmaster {serial} 3600 600 604800 300\n@ NS ns\nns A 192.0.2.53\nwww A 192.0.2.80\nmail MX 10 mx\nmx A 192.0.2.25\n"
    );
    for i in 0..10 {
        text += &format!("h{i} A 198.51.100.{i}\n");
    }
    text + extra
}

/// A primary taking UPDATE: a peer, or zonectl serve itself.
enum Primary {
    Peer(Server),
    /// The directory holds the zone file while the server runs.
    Zonectl {
        serve: ServeProcess,
        _dir: tempfile::TempDir,
    },
}

impl Primary {
    fn addr(&self) -> SocketAddr {
        match self {
            Primary::Peer(s) => s.addr(),
            Primary::Zonectl { serve, .. } => serve.addr,
        }
    }

    fn serial(&self, zone: &str) -> Option<u32> {
        soa_serial(self.addr(), zone)
    }
}

/// BIND, Knot or zonectl serve serving `push.test` with UPDATE allowed to
/// `key`.
fn primary(kind: &str, key: &TestKey) -> Option<Primary> {
    let text = zone_text(1, "");
    if kind == "zonectl" {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(format!("{ZONE}.zone")), &text).unwrap();
        let config = common::write(
            dir.path(),
            "serve.yaml",
            &format!(
                "listen: [\"127.0.0.1:0\"]\nkeys:\n  - {{name: {0}, algorithm: {1}, secret: \"{2}\"}}\nzones:\n  - name: {ZONE}\n    file: {ZONE}.zone\n    allow-transfer: [{{key: {0}}}]\n    allow-update: [{{key: {0}}}]\n",
                key.name, key.algorithm, key.secret
            ),
        );
        let serve = ServeProcess::with_config(&config);
        return Some(Primary::Zonectl { serve, _dir: dir });
    }
    if kind == "named" {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(format!("{ZONE}.zone")), &text).unwrap();
        let zones = format!(
            "{}zone \"{ZONE}\" {{ type primary; file \"{ZONE}.zone\"; allow-transfer {{ key \"{}\"; }}; allow-update {{ key \"{}\"; }}; }};\n",
            servers::bind_key_clause(key),
            key.name,
            key.name
        );
        servers::named_with(dir, "  notify no;", &zones, &[ZONE]).map(Primary::Peer)
    } else {
        let body = format!(
            "{}acl:\n  - id: pusher\n    address: 127.0.0.1\n    key: {}\n    action: [transfer, update]\nzone:\n  - domain: {ZONE}\n    file: \"@DIR@/{ZONE}.zone\"\n    acl: pusher\n    zonefile-sync: -1\n",
            servers::knot_key_clause(key),
            key.name
        );
        // The zone file is written where the configuration says, first.
        let server = servers::knotd_with_files(&body, &[ZONE], &[(format!("{ZONE}.zone"), text)])?;
        Some(Primary::Peer(server))
    }
}

fn write_config(
    dir: &Path,
    server: &Primary,
    key: &TestKey,
    extra_target: &str,
    extra_zone: &str,
) -> std::path::PathBuf {
    std::fs::write(
        dir.join("update.key"),
        format!(
            "key \"{}\" {{ algorithm {}; secret \"{}\"; }};\n",
            key.name, key.algorithm, key.secret
        ),
    )
    .unwrap();
    common::write(
        dir,
        "push.yaml",
        &format!(
            "targets:\n  - name: primary\n    type: rfc2136\n    server: \"{}\"\n    key-file: update.key\n{extra_target}zones:\n  - name: {ZONE}\n    file: desired.zone\n    targets: [primary]\n{extra_zone}",
            server.addr()
        ),
    )
}

fn push(config: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = common::zonectl();
    cmd.arg("push").arg("--config").arg(config).args(args);
    cmd.output().unwrap()
}

/// `zonectl diff` of the server's zone against the desired file: empty
/// when the push landed (the serial aside).
fn differs(server: &Primary, key: &TestKey, desired: &Path) -> String {
    let out = common::run(&[
        "diff",
        "--format",
        "patch",
        "--tsig",
        &key.spec(),
        &format!("axfr://{}/{ZONE}", server.addr()),
        desired.to_str().unwrap(),
    ]);
    assert_eq!(common::exit_code(&out), 0, "{}", common::text(&out.stderr));
    common::text(&out.stdout)
}

fn nsupdate(server: &Primary, key: &TestKey, commands: &str) {
    let Some(nsupdate) = common::peer("nsupdate") else {
        return;
    };
    let script = format!(
        "server 127.0.0.1 {}\nzone {ZONE}\n{commands}\nsend\n",
        server.addr().port()
    );
    let mut child = Command::new(nsupdate)
        .arg("-y")
        .arg(format!("{}:{}:{}", key.algorithm, key.name, key.secret))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "nsupdate: {}",
        common::text(&out.stderr)
    );
}

fn rfc2136_push_to(kind: &str) {
    let key = TestKey::new("push-key", "hmac-sha256");
    let Some(server) = primary(kind, &key) else {
        common::skip(&format!("{kind} is not installed"));
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), &server, &key, "    batch-size: 1000\n", "");
    let desired = dir.path().join("desired.zone");

    // A first change: one added, one changed, one removed, one TTL.
    let text = zone_text(1, "new AAAA 2001:db8::1\n")
        .replace("www A 192.0.2.80", "www A 192.0.2.81")
        .replace("h9 A 198.51.100.9\n", "")
        .replace("h8 A", "h8 60 A");
    std::fs::write(&desired, &text).unwrap();
    let plan = push(&config, &[]);
    let shown = common::text(&plan.stdout);
    assert_eq!(
        common::exit_code(&plan),
        0,
        "{shown}{}",
        common::text(&plan.stderr)
    );
    assert!(
        shown
            .contains("push.test. -> primary: planned (1 added, 1 removed, 1 changed, 1 TTL only)"),
        "{shown}"
    );
    assert!(
        !differs(&server, &key, &desired).is_empty(),
        "a plan alone changed the zone"
    );
    let exit = push(&config, &["--exit-code"]);
    assert_eq!(common::exit_code(&exit), 1);

    let applied = push(&config, &["--apply"]);
    assert_eq!(
        common::exit_code(&applied),
        0,
        "{}{}",
        common::text(&applied.stdout),
        common::text(&applied.stderr)
    );
    assert!(common::text(&applied.stdout).contains("applied"));
    assert_eq!(
        differs(&server, &key, &desired),
        "",
        "{kind} does not hold the desired zone"
    );
    let again = push(&config, &["--apply", "--exit-code"]);
    assert_eq!(
        common::exit_code(&again),
        0,
        "{}",
        common::text(&again.stdout)
    );
    assert!(common::text(&again.stdout).contains("unchanged"));

    // A saved plan, then a change by someone else: applying the plan
    // fails and changes nothing.
    std::fs::write(
        &desired,
        zone_text(1, "new AAAA 2001:db8::1\nlater TXT \"x\"\n")
            .replace("www A 192.0.2.80", "www A 192.0.2.81")
            .replace("h9 A 198.51.100.9\n", "")
            .replace("h8 A", "h8 60 A"),
    )
    .unwrap();
    let plan_file = dir.path().join("plan.json");
    let saved = push(&config, &["--plan-out", plan_file.to_str().unwrap()]);
    assert_eq!(
        common::exit_code(&saved),
        0,
        "{}",
        common::text(&saved.stderr)
    );
    let serial_before = server.serial(ZONE);
    nsupdate(
        &server,
        &key,
        &format!("update add other.{ZONE}. 300 A 192.0.2.99"),
    );
    if common::peer("nsupdate").is_some() {
        let stale = push(
            &config,
            &["--plan-in", plan_file.to_str().unwrap(), "--apply"],
        );
        let said = common::text(&stale.stdout);
        assert_eq!(common::exit_code(&stale), 1, "{said}");
        assert!(
            said.contains("zone push.test. changed since the plan was made"),
            "{said}"
        );
        let left = differs(&server, &key, &desired);
        assert!(
            left.contains("-other.push.test.") && left.contains("+later.push.test."),
            "{left}"
        );
        assert_ne!(server.serial(ZONE), serial_before);
        nsupdate(&server, &key, &format!("update delete other.{ZONE}. A"));
    }
    // Made anew, the saved plan applies exactly.
    let saved = push(&config, &["--plan-out", plan_file.to_str().unwrap()]);
    assert_eq!(common::exit_code(&saved), 0);
    let exact = push(
        &config,
        &["--plan-in", plan_file.to_str().unwrap(), "--apply"],
    );
    assert_eq!(
        common::exit_code(&exact),
        0,
        "{}",
        common::text(&exact.stdout)
    );
    assert_eq!(differs(&server, &key, &desired), "");

    // 5,000 records in batches of 1,000: each batch one UPDATE and one
    // serial, the final state the desired one.
    std::fs::write(&desired, zone_text(1, "")).unwrap();
    let back = push(&config, &["--apply"]);
    assert_eq!(
        common::exit_code(&back),
        0,
        "{}",
        common::text(&back.stdout)
    );
    let mut many = String::new();
    for i in 0..5000 {
        many += &format!(
            "bulk{i} A 10.{}.{}.{}\n",
            i / 65536,
            (i / 256) % 256,
            i % 256
        );
    }
    std::fs::write(&desired, zone_text(1, &many)).unwrap();
    let before = server.serial(ZONE).unwrap();
    let bulk = push(&config, &["--apply", "--force"]);
    assert_eq!(
        common::exit_code(&bulk),
        0,
        "{}{}",
        common::text(&bulk.stdout),
        common::text(&bulk.stderr)
    );
    assert_eq!(differs(&server, &key, &desired), "");
    let after = server.serial(ZONE).unwrap();
    assert_eq!(after.wrapping_sub(before), 5, "five batches, five serials");

    // A patch from `zonectl diff --format patch`, pushed as it is.
    let next = dir.path().join("next.zone");
    std::fs::write(
        &next,
        zone_text(1, &format!("{many}patched TXT \"p\"\n"))
            .replace("www A 192.0.2.80", "www A 192.0.2.82"),
    )
    .unwrap();
    let patch = common::run(&[
        "diff",
        "--format",
        "patch",
        desired.to_str().unwrap(),
        next.to_str().unwrap(),
    ]);
    assert_eq!(common::exit_code(&patch), 0);
    let patch_file = common::write(dir.path(), "change.patch", &common::text(&patch.stdout));
    let patched = push(
        &config,
        &["--patch", patch_file.to_str().unwrap(), "--apply"],
    );
    assert_eq!(
        common::exit_code(&patched),
        0,
        "{}",
        common::text(&patched.stdout)
    );
    assert_eq!(differs(&server, &key, &next), "");
    // The same patch again no longer applies: it is refused, not half done.
    let twice = push(
        &config,
        &[
            "--patch",
            patch_file.to_str().unwrap(),
            "--apply",
            "--force",
        ],
    );
    let said = common::text(&twice.stdout);
    assert_eq!(common::exit_code(&twice), 1);
    assert!(said.contains("the patch does not apply to push.test.: www.push.test. 300 IN A 192.0.2.80 is not in the zone"), "{said}");
}

#[test]
fn rfc2136_push_to_bind() {
    rfc2136_push_to("named");
}

#[test]
fn rfc2136_push_to_knot() {
    rfc2136_push_to("knotd");
}

#[test]
fn rfc2136_push_to_zonectl_serve() {
    rfc2136_push_to("zonectl");
}

#[test]
fn safety_rules_refuse_and_a_refused_push_changes_nothing() {
    let key = TestKey::new("push-key", "hmac-sha256");
    let Some(server) = primary("named", &key) else {
        common::skip("named is not installed");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(
        dir.path(),
        &server,
        &key,
        "",
        "    unmanaged: [{name: h1, type: A}]\n",
    );
    let desired = dir.path().join("desired.zone");
    // Deleting 6 of the 15 managed records (h1
    // is unmanaged: its absence from the desired zone is not planned).
    let mut cut = zone_text(1, "");
    for line in [
        "www A 192.0.2.80\n",
        "mail MX 10 mx\n",
        "mx A 192.0.2.25\n",
        "h1 A 198.51.100.1\n",
        "h2 A 198.51.100.2\n",
        "h3 A 198.51.100.3\n",
        "h4 A 198.51.100.4\n",
    ] {
        cut = cut.replace(line, "");
    }
    std::fs::write(&desired, &cut).unwrap();
    let out = push(&config, &["--apply"]);
    let said = common::text(&out.stdout);
    assert_eq!(common::exit_code(&out), 1, "{said}");
    assert!(said.contains("refused: it updates or deletes 6 of the zone's 15 records (40%), more than the 30% allowed (max-change); --force to push anyway"), "{said}");
    let untouched = differs(&server, &key, &desired);
    assert!(untouched.contains("-www.push.test."), "{untouched}");
    // The plan itself leaves h1 alone.
    assert!(
        !said.contains("h1.push.test."),
        "an unmanaged record was planned: {said}"
    );

    std::fs::write(
        &desired,
        zone_text(1, "").replace("@ NS ns", "@ NS ns\n@ NS ns2\nns2 A 192.0.2.54"),
    )
    .unwrap();
    let out = push(&config, &["--apply"]);
    let said = common::text(&out.stdout);
    assert_eq!(common::exit_code(&out), 1);
    assert!(
        said.contains(
            "refused: it changes the apex NS RRset (push.test. NS); --force to push anyway"
        ),
        "{said}"
    );
    assert!(!differs(&server, &key, &desired).is_empty());
    let forced = push(&config, &["--apply", "--force"]);
    assert_eq!(
        common::exit_code(&forced),
        0,
        "{}",
        common::text(&forced.stdout)
    );
    assert_eq!(differs(&server, &key, &desired), "");
}

#[test]
fn bad_configurations_say_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::write(
        dir.path(),
        "push.yaml",
        "targets:\n  - name: p\n    type: rfc2136\n    server: 127.0.0.1\n    bogus: 1\nzones: []\n",
    );
    let out = push(&config, &[]);
    assert_eq!(common::exit_code(&out), 2);
    let said = common::text(&out.stderr);
    assert!(
        said.contains("push.yaml")
            && said.contains("unknown field `bogus`")
            && said.contains("line 5"),
        "{said}"
    );

    let config = common::write(
        dir.path(),
        "pdns.yaml",
        "targets:\n  - name: pdns\n    type: powerdns\n    url: http://127.0.0.1:1\n    api-key-env: ZONECTL_TEST_NO_SUCH_VARIABLE\nzones:\n  - name: a.test\n    file: a.zone\n    targets: [pdns]\n",
    );
    common::write(
        dir.path(),
        "a.zone",
        "$ORIGIN a.test.\n@ 300 SOA ns hm 1 2 3 4 5\n@ 300 NS ns\nns 300 A 192.0.2.1\n",
    );
    let out = push(&config, &[]);
    assert_eq!(common::exit_code(&out), 2);
    assert_eq!(
        common::text(&out.stderr).trim(),
        "zonectl: pdns: the environment variable ZONECTL_TEST_NO_SUCH_VARIABLE (the secret) is not set"
    );

    let port = servers::free_port();
    let config = common::write(
        dir.path(),
        "down.yaml",
        &format!(
            "targets:\n  - name: down\n    type: rfc2136\n    server: 127.0.0.1:{port}\n    timeout: 1\nzones:\n  - name: a.test\n    file: a.zone\n    targets: [down]\n"
        ),
    );
    let out = push(&config, &[]);
    assert_eq!(common::exit_code(&out), 1);
    let said = common::text(&out.stdout);
    assert!(
        said.contains("a.test. -> down: failed")
            && said.contains(&format!(
                "down (127.0.0.1:{port}): cannot read zone a.test. by AXFR"
            )),
        "{said}"
    );

    common::write(
        dir.path(),
        "a.zone",
        "$ORIGIN a.test.\n@ 300 SOA ns hm 1 2 3 4 5\n@ 300 NS ns\nns 300 A 192.0.2.300\n",
    );
    let out = push(&config, &[]);
    assert_eq!(common::exit_code(&out), 2);
    let said = common::text(&out.stderr);
    assert!(
        said.contains("a.zone:4:")
            && said.contains("zone a.test.:")
            && said.contains("has errors; nothing is pushed"),
        "{said}"
    );
}

#[test]
fn desired_zones_are_found_in_a_directory_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    std::fs::create_dir_all(&zones).unwrap();
    common::write(
        &zones,
        "db.a.test",
        "$ORIGIN a.test.\n@ 300 SOA ns hm 1 2 3 4 5\n@ 300 NS ns\nns 300 A 192.0.2.1\n",
    );
    let port = servers::free_port();
    let config = common::write(
        dir.path(),
        "push.yaml",
        &format!(
            "directory: zones\ntargets:\n  - name: down\n    type: rfc2136\n    server: 127.0.0.1:{port}\n    timeout: 1\nzones:\n  - name: a.test\n    targets: [down]\n  - name: b.test\n    targets: [down]\n"
        ),
    );
    // a.test is found (the push gets as far as the target); b.test is not.
    let out = push(&config, &["--zone", "a.test"]);
    assert_eq!(common::exit_code(&out), 1);
    assert!(
        common::text(&out.stdout).contains("cannot read zone a.test. by AXFR"),
        "{}",
        common::text(&out.stdout)
    );
    let out = push(&config, &["--zone", "b.test"]);
    assert_eq!(common::exit_code(&out), 2);
    let said = common::text(&out.stderr);
    assert!(
        said.contains("zones: no zone file for b.test. (named b.test.zone, db.b.test or b.test)"),
        "{said}"
    );
}

#[test]
fn diff_of_files_formats_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let a = common::write(dir.path(), "a.zone", &zone_text(1, "old TXT \"x\"\n"));
    let b = common::write(
        dir.path(),
        "b.zone",
        &zone_text(2, "NEW TXT \"y\"\n")
            .replace("h8 A", "h8 60 A")
            .to_uppercase()
            .replace("$ORIGIN PUSH.TEST.", "$ORIGIN push.test.")
            .replace("\"Y\"", "\"y\""),
    );
    let out = common::run(&[
        "diff",
        "--exit-code",
        "--color",
        "never",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(common::exit_code(&out), 1);
    let shown = common::text(&out.stdout);
    // Owner names in the new side's spelling; the SOA's case and serial
    // are no difference.
    assert!(
        shown.contains("@@ NEW.push.test. TXT (added) @@\n+NEW.push.test. 300 IN TXT \"y\""),
        "{shown}"
    );
    assert!(shown.contains("@@ H8.push.test. A (ttl) @@\n-H8.push.test. 300 IN A 198.51.100.8\n+H8.push.test. 60 IN A 198.51.100.8"), "{shown}");
    assert!(
        shown.contains("(removed)") && !shown.contains("SOA"),
        "{shown}"
    );
    let same = common::run(&[
        "diff",
        "--exit-code",
        a.to_str().unwrap(),
        a.to_str().unwrap(),
    ]);
    assert_eq!(common::exit_code(&same), 0);
    assert_eq!(common::text(&same.stdout), "");
    let serial = common::run(&[
        "diff",
        "--serial",
        "--format",
        "json",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&serial.stdout).unwrap();
    assert_eq!(json["zones"][0]["summary"]["changed"], 1, "{json}");
    assert_eq!(json["zones"][0]["old_serial"], 1);
    // Directories: zones paired by origin, one only on the new side.
    let (old_dir, new_dir) = (dir.path().join("old"), dir.path().join("new"));
    std::fs::create_dir_all(&old_dir).unwrap();
    std::fs::create_dir_all(&new_dir).unwrap();
    std::fs::copy(&a, old_dir.join("push.test.zone")).unwrap();
    std::fs::copy(&b, new_dir.join("db.push.test")).unwrap();
    common::write(
        &new_dir,
        "other.test.zone",
        "$ORIGIN other.test.\n@ 300 SOA ns hm 1 2 3 4 5\n@ 300 NS ns\nns 300 A 192.0.2.1\n",
    );
    let out = common::run(&[
        "diff",
        "--format",
        "json",
        old_dir.to_str().unwrap(),
        new_dir.to_str().unwrap(),
    ]);
    assert_eq!(common::exit_code(&out), 0, "{}", common::text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["zones"][0]["origin"], "other.test.", "{json}");
    assert_eq!(json["zones"][0]["summary"]["added"], 3, "{json}");
    assert_eq!(json["zones"][1]["origin"], "push.test.", "{json}");
    assert_eq!(json["zones"][1]["summary"]["added"], 1, "{json}");

    let bad = common::write(
        dir.path(),
        "bad.zone",
        "$ORIGIN push.test.\n@ 300 SOA ns hm 1 2 3 4 5\nx 300 A 1.2.3\n",
    );
    let out = common::run(&["diff", a.to_str().unwrap(), bad.to_str().unwrap()]);
    assert_eq!(common::exit_code(&out), 2);
    assert!(
        common::text(&out.stderr).contains("bad.zone:3:"),
        "{}",
        common::text(&out.stderr)
    );
}

/// Waits for an HTTP API to answer `url` (any status).
fn wait_for_http(url: &str, key: &str) -> bool {
    let client = reqwest::blocking::Client::new();
    for _ in 0..100 {
        if client.get(url).header("X-API-Key", key).send().is_ok() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    false
}

#[test]
fn powerdns_push_creates_then_changes_a_zone() {
    const KEY: &str = "zonectl-test-api-key";
    let api_port = servers::free_port();
    let Some(server) = servers::pdns(api_port, KEY) else {
        common::skip("pdns_server (pdns-server, pdns-backend-sqlite3, sqlite3) is not installed");
        return;
    };
    let api = format!("http://127.0.0.1:{api_port}");
    assert!(
        wait_for_http(&format!("{api}/api/v1/servers/localhost"), KEY),
        "the PowerDNS API did not come up:\n{}",
        server.log()
    );
    let dir = tempfile::tempdir().unwrap();
    let config = common::write(
        dir.path(),
        "push.yaml",
        &format!(
            "targets:\n  - name: pdns\n    type: powerdns\n    url: {api}\n    api-key-env: ZONECTL_TEST_PDNS_KEY\nzones:\n  - name: {ZONE}\n    file: desired.zone\n    targets: [pdns]\n"
        ),
    );
    let desired = dir.path().join("desired.zone");
    let run = |args: &[&str]| {
        let mut cmd = common::zonectl();
        cmd.arg("push")
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("ZONECTL_TEST_PDNS_KEY", KEY);
        cmd.output().unwrap()
    };
    // The zone does not exist: the push creates it with every record.
    std::fs::write(&desired, zone_text(1, "txt TXT \"two words\" \"and \\\"quotes\\\"\"\n_sip._tcp SRV 10 20 5060 sip\nsip A 192.0.2.60\n")).unwrap();
    let created = run(&["--apply"]);
    let said = common::text(&created.stdout);
    assert_eq!(
        common::exit_code(&created),
        0,
        "{said}{}",
        common::text(&created.stderr)
    );
    assert!(
        said.contains("push.test. -> pdns: applied (18 added, 0 removed, 0 changed, 0 TTL only)"),
        "{said}"
    );
    let again = run(&["--exit-code"]);
    assert_eq!(
        common::exit_code(&again),
        0,
        "{}",
        common::text(&again.stdout)
    );
    // PowerDNS serves what was pushed: by AXFR, only its own SOA differs.
    let out = common::run(&[
        "diff",
        "--format",
        "patch",
        &format!("axfr://{}/{ZONE}", server.addr()),
        desired.to_str().unwrap(),
    ]);
    assert_eq!(common::exit_code(&out), 0, "{}", common::text(&out.stderr));
    let patch = common::text(&out.stdout);
    assert!(
        patch
            .lines()
            .all(|l| l.starts_with("$ORIGIN") || l.contains(" SOA ")),
        "{patch}"
    );

    // A change: one RRset changed, one removed, one TTL, one added; sent
    // as one PATCH.
    let text = zone_text(1, "txt TXT \"two words\" \"and \\\"quotes\\\"\"\n_sip._tcp SRV 10 20 5060 sip\nsip A 192.0.2.60\nnew AAAA 2001:db8::1\n")
        .replace("www A 192.0.2.80", "www A 192.0.2.81")
        .replace("h9 A 198.51.100.9\n", "")
        .replace("h8 A", "h8 60 A");
    std::fs::write(&desired, text).unwrap();
    let changed = run(&["--apply"]);
    let said = common::text(&changed.stdout);
    assert_eq!(common::exit_code(&changed), 0, "{said}");
    assert!(
        said.contains("applied (1 added, 1 removed, 1 changed, 1 TTL only)"),
        "{said}"
    );
    let again = run(&["--exit-code"]);
    assert_eq!(
        common::exit_code(&again),
        0,
        "{}",
        common::text(&again.stdout)
    );
    // A wrong key is the API's refusal, said without the key.
    let mut cmd = common::zonectl();
    cmd.arg("push")
        .arg("--config")
        .arg(&config)
        .env("ZONECTL_TEST_PDNS_KEY", "wrong-key");
    let out = cmd.output().unwrap();
    let said = common::text(&out.stdout);
    assert_eq!(common::exit_code(&out), 1);
    assert!(
        said.contains("reading zone push.test.: 401") && !said.contains("wrong-key"),
        "{said}"
    );
}

/// A local server following the Cloudflare API v4 DNS records endpoints
/// as documented: bearer token, zone lookup by name, pages of records
/// (three a page here, so that paging is exercised), create, patch,
/// delete, error bodies, and one 429 with Retry-After on the first write.
mod cloudflare_fake {
    use serde_json::{Value, json};
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;
    use std::sync::{Arc, Mutex};

    pub const TOKEN: &str = "cf-test-token";
    pub const ZONE_ID: &str = "023e105f4ecef8ad9ca31a8372d0c353";

    #[derive(Default)]
    pub struct State {
        pub records: Vec<Value>,
        pub next_id: u64,
        pub requests: Vec<String>,
        pub throttled: bool,
    }

    pub fn start(records: Vec<Value>) -> (String, Arc<Mutex<State>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/client/v4", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            records,
            next_id: 100,
            ..Default::default()
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let (method, target) = (
                    parts.next().unwrap_or("").to_string(),
                    parts.next().unwrap_or("").to_string(),
                );
                let (mut length, mut auth) = (0usize, String::new());
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                    let (name, value) = header.split_once(':').unwrap_or(("", ""));
                    match name.to_ascii_lowercase().as_str() {
                        "content-length" => length = value.trim().parse().unwrap_or(0),
                        "authorization" => auth = value.trim().to_string(),
                        _ => {}
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body);
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let (status, extra, reply) = answer(&shared, &method, &target, &auth, body);
                let text = reply.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{text}",
                    text.len()
                );
            }
        });
        (url, state)
    }

    fn error(code: i64, message: &str) -> Value {
        json!({"success": false, "errors": [{"code": code, "message": message}], "messages": [], "result": null})
    }

    fn ok(result: Value) -> Value {
        json!({"success": true, "errors": [], "messages": [], "result": result})
    }

    fn answer(
        state: &Mutex<State>,
        method: &str,
        target: &str,
        auth: &str,
        body: Value,
    ) -> (&'static str, String, Value) {
        let mut state = state.lock().unwrap();
        state.requests.push(format!("{method} {target}"));
        if auth != format!("Bearer {TOKEN}") {
            return (
                "403 Forbidden",
                String::new(),
                error(9109, "Invalid access token"),
            );
        }
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let path = path.trim_start_matches("/client/v4");
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                .map(str::to_string)
        };
        let records_path = format!("/zones/{ZONE_ID}/dns_records");
        if method != "GET" && !state.throttled {
            state.throttled = true;
            return (
                "429 Too Many Requests",
                "Retry-After: 1\r\n".into(),
                error(10000, "Rate limited"),
            );
        }
        match (method, path) {
            ("GET", "/zones") => {
                if param("name").as_deref() == Some("push.test") {
                    (
                        "200 OK",
                        String::new(),
                        ok(json!([{"id": ZONE_ID, "name": "push.test"}])),
                    )
                } else {
                    ("200 OK", String::new(), ok(json!([])))
                }
            }
            ("GET", p) if p == records_path => {
                let per_page = 3usize;
                let page: usize = param("page").and_then(|p| p.parse().ok()).unwrap_or(1);
                let total = state.records.len();
                let items: Vec<Value> = state
                    .records
                    .iter()
                    .skip((page - 1) * per_page)
                    .take(per_page)
                    .cloned()
                    .collect();
                let mut reply = ok(Value::Array(items.clone()));
                reply["result_info"] = json!({"page": page, "per_page": per_page, "count": items.len(), "total_count": total, "total_pages": total.div_ceil(per_page)});
                ("200 OK", String::new(), reply)
            }
            ("POST", p) if p == records_path => {
                state.next_id += 1;
                let mut record = body.clone();
                record["id"] = json!(format!("rec{}", state.next_id));
                record["proxied"] = json!(false);
                record["comment"] = Value::Null;
                if record.get("content").is_none() {
                    return (
                        "400 Bad Request",
                        String::new(),
                        error(9005, "Content is required"),
                    );
                }
                state.records.push(record.clone());
                ("200 OK", String::new(), ok(record))
            }
            (m @ ("PATCH" | "DELETE"), p) if p.starts_with(&format!("{records_path}/")) => {
                let id = &p[records_path.len() + 1..];
                let Some(i) = state.records.iter().position(|r| r["id"] == id) else {
                    return (
                        "404 Not Found",
                        String::new(),
                        error(81044, "Record does not exist."),
                    );
                };
                if m == "DELETE" {
                    state.records.remove(i);
                    return ("200 OK", String::new(), ok(json!({"id": id})));
                }
                if let Value::Object(fields) = body {
                    for (k, v) in fields {
                        state.records[i][k] = v;
                    }
                }
                let record = state.records[i].clone();
                ("200 OK", String::new(), ok(record))
            }
            _ => (
                "404 Not Found",
                String::new(),
                error(7003, "Could not route to the path"),
            ),
        }
    }
}

#[test]
fn cloudflare_push_against_the_documented_api() {
    use serde_json::json;
    let rec = |id: &str, rtype: &str, name: &str, content: &str, ttl: u32| json!({"id": id, "type": rtype, "name": name, "content": content, "ttl": ttl, "proxied": id == "r2", "comment": if id == "r2" { json!("keep me") } else { json!(null) }});
    let mut mx = rec("r4", "MX", "push.test", "mail.push.test", 300);
    mx["priority"] = json!(10);
    let (url, state) = cloudflare_fake::start(vec![
        rec("r1", "A", "www.push.test", "192.0.2.80", 300),
        rec("r2", "A", "app.push.test", "192.0.2.81", 1),
        rec("r3", "TXT", "push.test", "\"v=spf1 -all\"", 300),
        mx,
        rec("r5", "CNAME", "old.push.test", "www.push.test", 300),
        rec("r6", "A", "mail.push.test", "192.0.2.25", 300),
    ]);
    let dir = tempfile::tempdir().unwrap();
    let config = common::write(
        dir.path(),
        "push.yaml",
        &format!(
            "targets:\n  - name: cf\n    type: cloudflare\n    url: {url}\n    token-env: ZONECTL_TEST_CF_TOKEN\nzones:\n  - name: {ZONE}\n    file: desired.zone\n    targets: [cf]\n"
        ),
    );
    // Cloudflare's SOA and apex NS are its own: the desired zone's are not
    // pushed. www changes, app's TTL changes (proxied and comment stay),
    // old goes, a SRV comes.
    common::write(
        dir.path(),
        "desired.zone",
        "$ORIGIN push.test.\n$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns.example.\n@ TXT \"v=spf1 -all\"\n@ MX 10 mail\nmail A 192.0.2.25\nwww A 192.0.2.90\napp 600 A 192.0.2.81\n_sip._tcp SRV 10 20 5060 sip\nsip A 192.0.2.60\n",
    );
    let run = |token: &str, args: &[&str]| {
        let mut cmd = common::zonectl();
        cmd.arg("push")
            .arg("--config")
            .arg(&config)
            .args(args)
            .env("ZONECTL_TEST_CF_TOKEN", token);
        cmd.output().unwrap()
    };
    let plan = run(cloudflare_fake::TOKEN, &[]);
    let said = common::text(&plan.stdout);
    assert_eq!(
        common::exit_code(&plan),
        0,
        "{said}{}",
        common::text(&plan.stderr)
    );
    assert!(
        said.contains("push.test. -> cf: planned (2 added, 1 removed, 1 changed, 1 TTL only)"),
        "{said}"
    );
    let applied = run(cloudflare_fake::TOKEN, &["--apply"]);
    let said = common::text(&applied.stdout);
    assert_eq!(
        common::exit_code(&applied),
        0,
        "{said}{}",
        common::text(&applied.stderr)
    );
    assert!(said.contains("applied"), "{said}");
    let again = run(cloudflare_fake::TOKEN, &["--exit-code"]);
    assert_eq!(
        common::exit_code(&again),
        0,
        "{}",
        common::text(&again.stdout)
    );
    let state = state.lock().unwrap();
    let app = state
        .records
        .iter()
        .find(|r| r["name"] == "app.push.test")
        .unwrap();
    assert_eq!(
        (
            app["ttl"].clone(),
            app["proxied"].clone(),
            app["comment"].clone()
        ),
        (json!(600), json!(true), json!("keep me"))
    );
    let srv = state.records.iter().find(|r| r["type"] == "SRV").unwrap();
    assert_eq!(
        (srv["priority"].clone(), srv["content"].clone()),
        (json!(10), json!("20 5060 sip.push.test"))
    );
    assert!(state.records.iter().all(|r| r["name"] != "old.push.test"));
    assert!(
        state
            .requests
            .iter()
            .filter(|r| r.starts_with("GET /client/v4/zones/"))
            .count()
            >= 2,
        "pages: {:?}",
        state.requests
    );
    drop(state);
    // A bad token: the API's error, without the token.
    let refused = run("not-the-token", &[]);
    let said = common::text(&refused.stdout);
    assert_eq!(common::exit_code(&refused), 1);
    assert!(
        said.contains("finding zone push.test.: 403 Forbidden: Invalid access token (code 9109)")
            && !said.contains("not-the-token"),
        "{said}"
    );
}
