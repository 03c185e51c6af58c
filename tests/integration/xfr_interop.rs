//! Zone transfers against real primaries and secondaries on loopback:
//! NSD, Knot and BIND, with every TSIG algorithm each supports.

use crate::common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::servers::{self, SecondarySpec, Server, TestKey, ZoneSpec, canonical_records};
use common::{exit_code, text, zonectl};

const ALGORITHMS: [&str; 6] = [
    "hmac-md5",
    "hmac-sha1",
    "hmac-sha224",
    "hmac-sha256",
    "hmac-sha384",
    "hmac-sha512",
];

/// A zone of the usual record types, with enough records that a transfer
/// spans many messages (so TSIG covers a multi-message stream).
fn zone_text(origin: &str, serial: u32, hosts: usize) -> String {
    let mut z = format!(
        "$ORIGIN {origin}.\n$TTL 3600\n@ SOA ns1 hostmaster {serial} 3600 600 604800 300\n@ NS ns1\n@ NS ns2.example.net.\nns1 A 192.0.2.53\nns1 AAAA 2001:db8::53\n@ MX 10 mail\nmail A 192.0.2.25\n@ TXT \"v=spf1 mx -all\"\n_sip._tcp SRV 10 20 5060 sip\nsip A 192.0.2.60\nwww CNAME @\n@ CAA 0 issue \"ca.example\"\nsub NS ns.sub\nns.sub A 192.0.2.99\n"
    );
    for i in 0..hosts {
        z += &format!(
            "host{i} A 10.{}.{}.{}\nhost{i} TXT \"record number {i} with some text to fill the message\"\n",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        );
    }
    z
}

fn xfr(args: &[&str]) -> std::process::Output {
    zonectl().arg("xfr").args(args).output().unwrap()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)))
}

/// The zone file the server loaded equals what zonectl wrote.
fn assert_same_zone(server: &Server, zone: &str, ours: &Path) {
    let theirs = server.path(&format!("{zone}.zone"));
    assert_eq!(
        canonical_records(ours, zone),
        canonical_records(&theirs, zone),
        "{} {zone}: received zone differs",
        server.kind
    );
}

type Starter = fn(&[ZoneSpec]) -> Option<Server>;

/// Runs `body` against NSD, Knot and BIND in turn, each serving `zones`,
/// with a fresh directory for the test's files.
fn for_each_primary(zones: &[ZoneSpec], mut body: impl FnMut(&Server, &Path)) {
    let starters: [Starter; 3] = [
        |z| servers::nsd(z),
        |z| servers::knotd(z, &[]),
        |z| servers::named(z, &[]),
    ];
    for start in starters {
        let Some(server) = start(zones) else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        body(&server, dir.path());
    }
}

#[test]
fn axfr_from_every_primary_with_every_tsig_algorithm() {
    let keys: Vec<TestKey> = ALGORITHMS
        .iter()
        .map(|a| TestKey::new(&format!("key-{a}"), a))
        .collect();
    let names: Vec<String> = ALGORITHMS.iter().map(|a| format!("{a}.test")).collect();
    // The hmac-sha256 zone is large enough for well over 100 messages, so
    // that a server signing only every 100th (RFC 8945 §5.3.1) is covered.
    let texts: Vec<String> = names
        .iter()
        .map(|n| {
            zone_text(
                n,
                1,
                if n.starts_with("hmac-sha256") {
                    40_000
                } else {
                    1500
                },
            )
        })
        .collect();
    let mut zones: Vec<ZoneSpec> = names
        .iter()
        .zip(&texts)
        .zip(&keys)
        .map(|((name, text), key)| ZoneSpec {
            name,
            text,
            key: Some(key),
        })
        .collect();
    let open_text = zone_text("open.test", 7, 1500);
    zones.push(ZoneSpec {
        name: "open.test",
        text: &open_text,
        key: None,
    });
    for_each_primary(&zones, |server, dir| {
        let kind = server.kind;
        for (zone, key) in names.iter().zip(&keys) {
            let out = dir.join(format!("{kind}-{zone}"));
            let result = xfr(&[
                zone,
                "--from",
                &server.address_arg(),
                "--tsig",
                &key.spec(),
                "-o",
                out.to_str().unwrap(),
                "--format",
                "json",
            ]);
            assert_eq!(
                exit_code(&result),
                0,
                "{kind} {zone}: {}{}",
                text(&result.stdout),
                text(&result.stderr)
            );
            let report = json(&result);
            assert_eq!(report["transfer"], "axfr");
            let messages = report["messages"].as_u64().unwrap();
            assert!(messages > 1, "{kind}: one message only");
            if key.algorithm == "hmac-sha256" {
                eprintln!("{kind}: {messages} messages");
                assert!(messages > 100, "{kind}: {messages} messages");
            }
            assert_eq!(report["tsig_key"], format!("key-{}.", key.algorithm));
            assert!(
                !text(&result.stdout).contains(&key.secret),
                "secret in the report"
            );
            assert_same_zone(server, zone, &out);
        }
        // Without TSIG where the primary allows it; and a key file
        // instead of the command line, in the primary's own format.
        let out = dir.join(format!("{kind}-open"));
        let result = xfr(&[
            "open.test",
            "--from",
            &server.address_arg(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(exit_code(&result), 0, "{kind}: {}", text(&result.stderr));
        assert_same_zone(server, "open.test", &out);
        let key_file = dir.join("key.conf");
        let k = &keys[3];
        let content = if kind == "knotd" {
            format!(
                "key:\n  - id: {}\n    algorithm: {}\n    secret: {}\n",
                k.name, k.algorithm, k.secret
            )
        } else {
            format!(
                "key \"{}\" {{\n\talgorithm {};\n\tsecret \"{}\";\n}};\n",
                k.name, k.algorithm, k.secret
            )
        };
        std::fs::write(&key_file, content).unwrap();
        let out = dir.join(format!("{kind}-file"));
        let result = xfr(&[
            &names[3],
            "--from",
            &server.address_arg(),
            "--tsig-file",
            key_file.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(exit_code(&result), 0, "{kind}: {}", text(&result.stderr));
        assert_same_zone(server, &names[3], &out);
    });
}

/// Edits the primary's zone file: new serial, some records gone, some new.
fn change_zone(server: &Server, zone: &str, serial: u32) -> String {
    let mut text = zone_text(zone, serial, 300)
        .replace("host7 A 10.0.0.7\n", "")
        .replace("www CNAME @\n", "www A 192.0.2.80\n");
    text += "new-host AAAA 2001:db8::80\nnew-host TXT \"added\"\n";
    std::fs::write(server.path(&format!("{zone}.zone")), &text).unwrap();
    server.reload_zones();
    assert!(
        server.wait_serial(zone, Some(serial), Duration::from_secs(20)),
        "{} did not load serial {serial}:\n{}",
        server.kind,
        server.log()
    );
    text
}

#[test]
fn ixfr_after_a_change_on_every_primary() {
    let key = TestKey::new("ixfr-key", "hmac-sha256");
    let initial = zone_text("ixfr.test", 1, 300);
    let zones = [ZoneSpec {
        name: "ixfr.test",
        text: &initial,
        key: Some(&key),
    }];
    for_each_primary(&zones, |server, dir| {
        let kind = server.kind;
        let out = dir.join("ixfr.test.zone");
        let o = out.to_str().unwrap();
        let spec = key.spec();
        let args = [
            "ixfr.test",
            "--from",
            &server.address_arg(),
            "--tsig",
            &spec,
            "-o",
            o,
            "--format",
            "json",
        ];
        let first = xfr(&args);
        assert_eq!(
            json(&first)["transfer"],
            "axfr",
            "{kind}: {}",
            text(&first.stderr)
        );
        // Nothing changed: no transfer.
        let same = xfr(&args);
        assert_eq!(exit_code(&same), 0);
        assert_eq!(json(&same)["transfer"], "none", "{kind}");
        assert_eq!(json(&same)["status"], "up-to-date");

        change_zone(server, "ixfr.test", 2);
        let second = xfr(&args);
        let report = json(&second);
        assert_eq!(exit_code(&second), 0, "{kind}: {report}");
        assert_eq!(
            report["transfer"],
            "ixfr",
            "{kind}: {report}\n{}",
            server.log()
        );
        assert_eq!(report["serial_before"], 1);
        assert_eq!(report["serial_after"], 2);
        // host7 A, www CNAME and the SOA out; www A, two new-host records
        // and the SOA in (each side may count the SOA as a record).
        assert!(report["deleted"].as_u64().unwrap() >= 2, "{report}");
        assert!(report["added"].as_u64().unwrap() >= 3, "{report}");
        assert_same_zone(server, "ixfr.test", &out);
        // The journal holds the change, readable as changesets.
        let journal = zonectl::xfr::journal::read(&zonectl::xfr::journal_path(&out)).unwrap();
        assert_eq!(journal.len(), 1, "{kind}");
        assert_eq!((journal[0].from_serial(), journal[0].to_serial()), (1, 2));
        assert!(
            journal[0]
                .added
                .iter()
                .any(|r| r.owner.to_string() == "new-host.ixfr.test.")
        );

        // A second change, asked over UDP first.
        change_zone(server, "ixfr.test", 3);
        let mut udp_args = args.to_vec();
        udp_args.push("--udp");
        let third = xfr(&udp_args);
        let report = json(&third);
        assert_eq!(report["transfer"], "ixfr", "{kind}: {report}");
        eprintln!(
            "{kind}: IXFR asked over UDP came over {}",
            report["transport"]
        );
        assert_same_zone(server, "ixfr.test", &out);
        assert_eq!(
            zonectl::xfr::journal::read(&zonectl::xfr::journal_path(&out))
                .unwrap()
                .len(),
            2
        );
    });
}

#[test]
fn a_broken_local_copy_falls_back_to_axfr() {
    let initial = zone_text("broken.test", 1, 300);
    let zones = [ZoneSpec {
        name: "broken.test",
        text: &initial,
        key: None,
    }];
    let Some(server) = servers::knotd(&zones, &[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("broken.test.zone");
    let o = out.to_str().unwrap();
    let from = server.address_arg();
    assert_eq!(
        exit_code(&xfr(&["broken.test", "--from", &from, "-o", o])),
        0
    );
    // The local copy lost a record the next change deletes.
    let local = std::fs::read_to_string(&out).unwrap();
    let edited: String = local
        .lines()
        .filter(|l| !l.starts_with("host7.broken.test."))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&out, edited).unwrap();
    change_zone(&server, "broken.test", 2);
    let result = xfr(&["broken.test", "--from", &from, "-o", o, "--format", "json"]);
    let report = json(&result);
    assert_eq!(report["transfer"], "axfr", "{report}");
    assert!(
        report["fallback"]
            .as_str()
            .unwrap()
            .contains("does not have"),
        "{report}"
    );
    assert_same_zone(&server, "broken.test", &out);
    // --ixfr refuses to fall back.
    change_zone(&server, "broken.test", 3);
    let local = std::fs::read_to_string(&out).unwrap();
    let edited: String = local
        .lines()
        .filter(|l| !l.starts_with("host8.broken.test."))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&out, &edited).unwrap();
    std::fs::write(
        server.path("broken.test.zone"),
        zone_text("broken.test", 4, 300).replace("host8 A 10.0.0.8\n", ""),
    )
    .unwrap();
    server.reload_zones();
    assert!(server.wait_serial("broken.test", Some(4), Duration::from_secs(20)));
    let result = xfr(&["broken.test", "--from", &from, "-o", o, "--ixfr"]);
    assert_eq!(exit_code(&result), 1, "{}", text(&result.stderr));
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        edited,
        "the local copy changed"
    );
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn tsig_failures_name_the_cause_and_keep_the_old_copy() {
    let key = TestKey::new("good-key", "hmac-sha256");
    let initial = zone_text("tsig.test", 5, 50);
    let zones = [ZoneSpec {
        name: "tsig.test",
        text: &initial,
        key: Some(&key),
    }];
    for_each_primary(&zones, |server, dir| {
        let kind = server.kind;
        let out = dir.join("tsig.test.zone");
        let o = out.to_str().unwrap();
        let from = server.address_arg();
        std::fs::write(&out, "; the old copy\n").unwrap();
        let wrong_name = TestKey {
            name: "other-key".into(),
            ..key.clone()
        };
        let wrong_secret = TestKey {
            secret: servers::base64(&[9u8; 32]),
            ..key.clone()
        };
        for (bad, cause) in [(&wrong_name, "BADKEY"), (&wrong_secret, "BADSIG")] {
            let result = xfr(&[
                "tsig.test",
                "--from",
                &from,
                "--tsig",
                &bad.spec(),
                "-o",
                o,
                "--axfr",
            ]);
            let stderr = text(&result.stderr);
            eprintln!("{kind}, {cause} expected: {stderr}");
            assert_eq!(exit_code(&result), 1, "{kind}: {stderr}");
            assert!(stderr.contains(cause), "{kind}: expected {cause}: {stderr}");
            assert!(!stderr.contains(&bad.secret), "{kind}: secret in the error");
            assert_eq!(std::fs::read_to_string(&out).unwrap(), "; the old copy\n");
            assert_eq!(files_in(dir), ["tsig.test.zone"], "{kind}: leftovers");
        }
        // A clock an hour fast: the server answers BADTIME.
        if let Some(faketime) = common::peer("faketime") {
            let result = Command::new(faketime)
                .arg("-f")
                .arg("+1h")
                .arg(env!("CARGO_BIN_EXE_zonectl"))
                .args([
                    "xfr",
                    "tsig.test",
                    "--from",
                    &from,
                    "--tsig",
                    &key.spec(),
                    "-o",
                    o,
                    "--axfr",
                ])
                .output()
                .unwrap();
            let stderr = text(&result.stderr);
            eprintln!("{kind}, BADTIME expected: {stderr}");
            assert_eq!(exit_code(&result), 1, "{kind}: {stderr}");
            // An hour, give or take the second the clocks were read apart.
            let off = stderr
                .split("off by ")
                .nth(1)
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse::<i64>().ok());
            assert!(
                stderr.contains("BADTIME") && off.is_some_and(|s| (3599..=3601).contains(&s)),
                "{kind}: {stderr}"
            );
            assert_eq!(std::fs::read_to_string(&out).unwrap(), "; the old copy\n");
        }
        // And the right key still works.
        let result = xfr(&[
            "tsig.test",
            "--from",
            &from,
            "--tsig",
            &key.spec(),
            "-o",
            o,
            "--axfr",
        ]);
        assert_eq!(exit_code(&result), 0, "{kind}: {}", text(&result.stderr));
    });
}

#[test]
fn if_newer_checks_the_serial_first() {
    let initial = zone_text("cron.test", 10, 20);
    let zones = [ZoneSpec {
        name: "cron.test",
        text: &initial,
        key: None,
    }];
    let Some(server) = servers::nsd(&zones) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cron.test.zone");
    let o = out.to_str().unwrap();
    let from = server.address_arg();
    let args = [
        "cron.test",
        "--from",
        &from,
        "-o",
        o,
        "--if-newer",
        "--keep",
        "2",
        "--format",
        "json",
    ];
    let first = xfr(&args);
    assert_eq!(json(&first)["transfer"], "axfr");
    let again = xfr(&args);
    assert_eq!(exit_code(&again), 0);
    assert_eq!(json(&again)["status"], "up-to-date");
    assert_eq!(json(&again)["transfer"], "none");
    let table = xfr(&["cron.test", "--from", &from, "-o", o, "--if-newer"]);
    assert!(
        text(&table.stdout).contains("up to date at serial 10"),
        "{}",
        text(&table.stdout)
    );
    // A local copy ahead of the primary: exit 1, nothing written.
    let ahead = std::fs::read_to_string(&out)
        .unwrap()
        .replace(" 10 3600 600", " 11 3600 600");
    std::fs::write(&out, &ahead).unwrap();
    let behind = xfr(&args);
    assert_eq!(exit_code(&behind), 1);
    assert_eq!(json(&behind)["status"], "primary-behind");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), ahead);
    // --keep: the previous version stays as FILE.1.
    let _ = xfr(&[
        "cron.test",
        "--from",
        &from,
        "-o",
        o,
        "--axfr",
        "--keep",
        "2",
    ]);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("cron.test.zone.1")).unwrap(),
        ahead
    );
    // An unreachable primary: exit 1, the copy is kept.
    let before = std::fs::read_to_string(&out).unwrap();
    let dead = format!("127.0.0.1:{}", servers::free_port());
    let result = xfr(&[
        "cron.test",
        "--from",
        &dead,
        "-o",
        o,
        "--if-newer",
        "--timeout",
        "1",
    ]);
    assert_eq!(exit_code(&result), 1, "{}", text(&result.stderr));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), before);
    // Standard output without -o.
    let result = xfr(&["cron.test", "--from", &from]);
    assert_eq!(exit_code(&result), 0);
    assert!(text(&result.stdout).contains("host19.cron.test. 3600 IN TXT"));
    // With the zone on standard output, the JSON report is on standard error.
    let result = xfr(&["cron.test", "--from", &from, "--format", "json"]);
    assert_eq!(exit_code(&result), 0);
    assert!(text(&result.stdout).contains("host19.cron.test. 3600 IN TXT"));
    let report: serde_json::Value = serde_json::from_slice(&result.stderr).unwrap();
    assert_eq!(report["transfer"], "axfr");
    assert_eq!(report["output"], "-");
    assert!(report["records"].as_u64().unwrap() > 20);
}

#[test]
fn killing_the_primary_mid_transfer_keeps_the_old_copy() {
    // Far more than the socket buffers hold, so that the primary is still
    // sending when it dies.
    let big = zone_text("big.test", 1, 500_000);
    let zones = [ZoneSpec {
        name: "big.test",
        text: &big,
        key: None,
    }];
    let Some(mut server) = servers::nsd(&zones) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("big.test.zone");
    std::fs::write(&out, "; the old copy\n").unwrap();
    let child = zonectl()
        .args([
            "xfr",
            "big.test",
            "--from",
            &server.address_arg(),
            "-o",
            out.to_str().unwrap(),
            "--axfr",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until records reach the temporary file, stop zonectl there,
    // kill the primary, and let zonectl go on.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let pid = child.id().to_string();
    loop {
        let writing = std::fs::read_dir(dir.path()).unwrap().any(|e| {
            let e = e.unwrap();
            e.file_name().to_string_lossy().ends_with(".tmp") && e.metadata().unwrap().len() > 0
        });
        if writing {
            Command::new("kill").args(["-STOP", &pid]).status().unwrap();
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the transfer never started"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    server.kill();
    Command::new("kill").args(["-CONT", &pid]).status().unwrap();
    let result = child.wait_with_output().unwrap();
    let stderr = text(&result.stderr);
    assert_eq!(exit_code(&result), 1, "{stderr}");
    assert!(
        stderr.contains("closed the connection") || stderr.contains("reset"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "; the old copy\n");
    assert_eq!(files_in(dir.path()), ["big.test.zone"]);
}

#[test]
fn notify_makes_named_and_knot_transfer_from_nsd() {
    let key = TestKey::new("notify-key", "hmac-sha256");
    let initial = zone_text("notify.test", 1, 20);
    let zones = [ZoneSpec {
        name: "notify.test",
        text: &initial,
        key: Some(&key),
    }];
    let Some(primary) = servers::nsd(&zones) else {
        return;
    };
    let secondary = [SecondarySpec {
        name: "notify.test",
        primary: primary.addr(),
        key: Some(&key),
    }];
    let Some(named) = servers::named(&[], &secondary) else {
        return;
    };
    let Some(knot) = servers::knotd(&[], &secondary) else {
        return;
    };
    for s in [&named, &knot] {
        assert!(
            s.wait_serial("notify.test", Some(1), Duration::from_secs(20)),
            "{}",
            s.log()
        );
    }
    std::fs::write(
        primary.path("notify.test.zone"),
        zone_text("notify.test", 2, 25),
    )
    .unwrap();
    primary.reload();
    assert!(primary.wait_serial("notify.test", Some(2), Duration::from_secs(20)));
    let zone_file = primary.path("notify.test.zone");
    let result = zonectl()
        .args([
            "notify",
            "notify.test",
            "--to",
            &named.address_arg(),
            "--to",
            &knot.address_arg(),
            "--tsig",
            &key.spec(),
        ])
        .arg("--zone-file")
        .arg(&zone_file)
        .output()
        .unwrap();
    let table = text(&result.stdout);
    assert_eq!(exit_code(&result), 0, "{table}{}", text(&result.stderr));
    assert_eq!(table.matches("NOERROR").count(), 2, "{table}");
    for s in [&named, &knot] {
        assert!(
            s.wait_serial("notify.test", Some(2), Duration::from_secs(15)),
            "{} did not transfer after NOTIFY:\n{}",
            s.kind,
            s.log()
        );
    }
    // A zone the secondaries do not have, and a target that is not there.
    let dead = format!("127.0.0.1:{}", servers::free_port());
    let result = zonectl()
        .args([
            "notify",
            "other.test",
            "--to",
            &named.address_arg(),
            "--to",
            &dead,
            "--timeout",
            "1",
            "--tries",
            "2",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(exit_code(&result), 1);
    let report = json(&result);
    let targets = report["targets"].as_array().unwrap();
    assert_eq!(targets[0]["acknowledged"], false);
    assert!(
        ["NOTAUTH", "REFUSED"].contains(&targets[0]["answer"].as_str().unwrap()),
        "{report}"
    );
    assert_eq!(targets[1]["acknowledged"], false);
    assert_eq!(targets[1]["attempts"], 2);
}

#[test]
fn tsig_keygen_writes_keys_the_peers_accept() {
    let out = zonectl()
        .args(["tsig-keygen", "-a", "hmac-sha384", "gen-key"])
        .output()
        .unwrap();
    let bind_text = text(&out.stdout);
    assert!(bind_text.starts_with("key \"gen-key\" {\n\talgorithm hmac-sha384;\n\tsecret \""));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("gen.key");
    std::fs::write(&file, &bind_text).unwrap();
    if let Some(checkconf) = common::peer("named-checkconf") {
        let status = Command::new(checkconf).arg(&file).status().unwrap();
        assert!(status.success(), "named-checkconf rejects {bind_text}");
    }
    let keys = zonectl::tsig::Key::read_file(&file).unwrap();
    assert_eq!(keys[0].algorithm, zonectl::tsig::Algorithm::HmacSha384);
    let knot = zonectl()
        .args(["tsig-keygen", "--knot", "gen-key"])
        .output()
        .unwrap();
    assert!(text(&knot.stdout).starts_with("key:\n  - id: gen-key\n    algorithm: hmac-sha256\n"));
}

/// Our server-side TSIG (used by `serve`) against the clients operators
/// use: dig and kdig sign a query, we check it and answer signed, or with
/// the error RFC 8945 prescribes.
#[test]
fn server_side_tsig_answers_dig_and_kdig() {
    use std::net::UdpSocket;
    use zonectl::tsig::{Key, RequestCheck, ResponseSigner, check_request, error_response};
    use zonectl::wire::{Message, MessageBuilder, Section, flag, opcode, rcode};
    use zonectl::zone::RType;

    let test_key = TestKey::new("srv-key", "hmac-sha256");
    let good = Key::parse_spec(&test_key.spec()).unwrap();
    let other_secret = Key::new("srv-key", "hmac-sha256", &servers::base64(&[7u8; 32])).unwrap();
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    for client in ["dig", "kdig"] {
        let Some(binary) = common::peer(client) else {
            continue;
        };
        // (our keys, clock offset, what the client must print, whether
        // our answer is signed). dig prints NOTAUTH, kdig the TSIG error
        // as the status.
        let cases: [(&Key, u64, &[&str], bool); 3] = [
            (&good, 0, &["NOERROR", "ns1.example.com."], true),
            (&other_secret, 0, &["BADSIG"], false),
            (&good, 3600, &["BADTIME"], true),
        ];
        for (key, offset, expected, signed) in cases {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            socket
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            let port = socket.local_addr().unwrap().port().to_string();
            let mut cmd = Command::new(&binary);
            cmd.args([
                "-y",
                &test_key.spec(),
                "@127.0.0.1",
                "-p",
                &port,
                "example.com",
                "SOA",
            ]);
            cmd.args(if client == "dig" {
                ["+tries=1", "+time=5"]
            } else {
                ["+retry=0", "+timeout=5"]
            });
            let child = cmd
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut buf = [0u8; 4096];
            let (n, peer) = socket.recv_from(&mut buf).unwrap();
            let request = &buf[..n];
            let time = now() + offset;
            let check = check_request(request, std::slice::from_ref(key), time).unwrap();
            let parsed = Message::parse(request).unwrap();
            let (qname, qtype, qclass) = parsed.question.clone().unwrap();
            let id = parsed.header.id;
            let mut response = match &check {
                RequestCheck::Verified { tsig, .. } => {
                    let mut soa = Vec::new();
                    soa.extend_from_slice(
                        b"\x03ns1\x07example\x03com\x00\x02hm\x07example\x03com\x00",
                    );
                    soa.extend_from_slice(&[
                        0, 0, 0, 1, 0, 0, 14, 16, 0, 0, 2, 88, 0, 9, 58, 128, 0, 0, 1, 44,
                    ]);
                    let mut msg = MessageBuilder::new(id, opcode::QUERY, flag::QR | flag::AA)
                        .question(&qname, qtype, qclass)
                        .record(Section::Answer, &qname, RType::SOA, 1, 3600, &soa)
                        .finish();
                    ResponseSigner::new(key, tsig).sign(&mut msg, time);
                    msg
                }
                RequestCheck::Rejected { .. } => {
                    let mut msg = MessageBuilder::new(id, opcode::QUERY, flag::QR | rcode::NOTAUTH)
                        .question(&qname, qtype, qclass)
                        .finish();
                    error_response(&mut msg, std::slice::from_ref(key), &check, time);
                    msg
                }
                RequestCheck::Unsigned => panic!("{client} sent an unsigned query"),
            };
            socket.send_to(&response, peer).unwrap();
            response.clear();
            let out = child.wait_with_output().unwrap();
            let printed = format!("{}{}", text(&out.stdout), text(&out.stderr));
            for word in expected {
                assert!(
                    printed.contains(word),
                    "{client}, expected {word}:\n{printed}"
                );
            }
            let lower = printed.to_lowercase();
            // What dig and kdig print when a MAC does not verify (dig
            // reports a verified BADTIME as "clocks are unsynchronized").
            let complaint = ["tsig verify failure", "bad signature", "failed to verify"]
                .iter()
                .any(|c| lower.contains(c));
            eprintln!("{client} {expected:?}:\n{printed}");
            if signed {
                assert!(
                    !complaint,
                    "{client} could not verify our signed answer:\n{printed}"
                );
            }
        }
    }
}

#[test]
fn verify_dnssec_refuses_a_zone_whose_signatures_fail() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    for extra in [&["--ksk"][..], &[][..]] {
        let out = zonectl()
            .args(["keygen", "example.com", "-K", d])
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    }
    let signed = dir.path().join("signed");
    let zone = common::testdata("example.com.zone");
    let out = zonectl()
        .args([
            "sign",
            zone.to_str().unwrap(),
            "--keys",
            d,
            "-o",
            signed.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    let signed_text = std::fs::read_to_string(&signed).unwrap();
    let zones = [ZoneSpec {
        name: "example.com",
        text: &signed_text,
        key: None,
    }];
    let Some(server) = servers::nsd(&zones) else {
        return;
    };
    let copy = dir.path().join("copy.zone");
    let o = copy.to_str().unwrap();
    let from = server.address_arg();
    let result = xfr(&["example.com", "--from", &from, "-o", o, "--verify-dnssec"]);
    assert_eq!(exit_code(&result), 0, "{}", text(&result.stderr));
    let good_copy = std::fs::read_to_string(&copy).unwrap();
    // The primary now serves a zone with one signature changed.
    let tampered: String = signed_text
        .lines()
        .map(|l| {
            if l.contains(" RRSIG A ") && l.starts_with("www.") {
                let (head, sig) = l.rsplit_once(' ').unwrap();
                let flipped = if sig.starts_with('A') {
                    sig.replacen('A', "B", 1)
                } else {
                    format!("A{}", &sig[1..])
                };
                format!("{head} {flipped}\n")
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    assert_ne!(tampered, signed_text);
    std::fs::write(server.path("example.com.zone"), tampered).unwrap();
    server.reload();
    std::thread::sleep(Duration::from_secs(1));
    let result = xfr(&[
        "example.com",
        "--from",
        &from,
        "-o",
        o,
        "--verify-dnssec",
        "--axfr",
    ]);
    let stderr = text(&result.stderr);
    assert_eq!(exit_code(&result), 1, "{stderr}");
    assert!(
        stderr.contains("DNSSEC") && stderr.contains("www.example.com."),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), good_copy);
    // Without --verify-dnssec the same transfer goes through.
    let result = xfr(&["example.com", "--from", &from, "-o", o, "--axfr"]);
    assert_eq!(exit_code(&result), 0);
}

#[test]
fn transfer_and_notify_over_ipv6() {
    if !servers::ipv6_loopback() {
        common::skip("::1 is not available on this machine");
        return;
    }
    let key = TestKey::new("v6-key", "hmac-sha512");
    let initial = zone_text("six.test", 3, 100);
    let zones = [ZoneSpec {
        name: "six.test",
        text: &initial,
        key: Some(&key),
    }];
    let Some(server) = servers::knotd(&zones, &[]) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("six.test.zone");
    let from = format!("[::1]:{}", server.port);
    let result = xfr(&[
        "six.test",
        "--from",
        &from,
        "--tsig",
        &key.spec(),
        "-o",
        out.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(exit_code(&result), 0, "{}", text(&result.stderr));
    assert_eq!(json(&result)["server"], format!("[::1]:{}", server.port));
    assert_same_zone(&server, "six.test", &out);
    let result = zonectl()
        .args([
            "notify",
            "six.test",
            "--to",
            &format!("::1#{}", server.port),
            "--tsig",
            &key.spec(),
        ])
        .output()
        .unwrap();
    // Knot answers a NOTIFY for a zone it is primary of: NOERROR or NOTAUTH,
    // but it answers, over IPv6.
    let table = text(&result.stdout);
    assert!(table.contains("[::1]"), "{table}");
    assert!(!table.contains("timeout"), "{table}");
}

/// A zone as a list of record lines; random edits between serials.
struct RandomZone {
    origin: &'static str,
    lines: Vec<String>,
    state: u64,
    next_host: usize,
}

impl RandomZone {
    fn new(origin: &'static str) -> RandomZone {
        let mut zone = RandomZone {
            origin,
            lines: Vec::new(),
            state: 0x2545_f491_4f6c_dd1d,
            next_host: 0,
        };
        for _ in 0..150 {
            zone.add_host();
        }
        zone
    }

    fn random(&mut self, n: usize) -> usize {
        // xorshift64*: deterministic, so a failure can be replayed.
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        (self.state.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn add_host(&mut self) {
        let i = self.next_host;
        self.next_host += 1;
        let ttl = [60, 300, 3600][self.random(3)];
        self.lines
            .push(format!("h{i} {ttl} A 10.1.{}.{}", i / 250, i % 250));
        if self.random(2) == 0 {
            self.lines.push(format!("h{i} {ttl} TXT \"host {i}\""));
        }
        if self.random(4) == 0 {
            self.lines.push(format!("m{i} {ttl} MX 10 h{i}"));
        }
    }

    /// Deletes, adds and changes about a tenth of the records.
    fn mutate(&mut self) {
        for _ in 0..self.lines.len() / 20 {
            let victim = self.random(self.lines.len());
            self.lines.remove(victim);
        }
        for _ in 0..10 {
            self.add_host();
        }
        for _ in 0..5 {
            // A new address for a host: same owner and type, other rdata.
            let at = self.random(self.lines.len());
            if self.lines[at].contains(" A 10.") {
                let line = self.lines[at].clone();
                let (head, _) = line.rsplit_once(' ').unwrap();
                self.lines[at] = format!("{head} 10.2.{}.{}", self.random(250), self.random(250));
            }
        }
    }

    fn text(&self, serial: u32) -> String {
        let mut text = format!(
            "$ORIGIN {}.\n@ 3600 SOA ns1 hm {serial} 3600 600 604800 300\n@ 3600 NS ns1\nns1 3600 A 192.0.2.53\n",
            self.origin
        );
        for line in &self.lines {
            text += line;
            text.push('\n');
        }
        text
    }
}

#[test]
fn random_changes_arrive_by_ixfr_and_match() {
    let mut zone = RandomZone::new("random.test");
    let initial = zone.text(1);
    let zones = [ZoneSpec {
        name: "random.test",
        text: &initial,
        key: None,
    }];
    for_each_primary(&zones, |server, dir| {
        let kind = server.kind;
        let out = dir.join("random.test.zone");
        let args = [
            "random.test",
            "--from",
            &server.address_arg(),
            "-o",
            out.to_str().unwrap(),
            "--format",
            "json",
        ];
        assert_eq!(json(&xfr(&args))["transfer"], "axfr");
        for serial in 2..=5 {
            zone.mutate();
            std::fs::write(server.path("random.test.zone"), zone.text(serial)).unwrap();
            server.reload_zones();
            assert!(
                server.wait_serial("random.test", Some(serial), Duration::from_secs(20)),
                "{kind}: {}",
                server.log()
            );
            let result = xfr(&args);
            let report = json(&result);
            assert_eq!(
                report["transfer"], "ixfr",
                "{kind} serial {serial}: {report}"
            );
            assert_same_zone(server, "random.test", &out);
        }
        // The journal holds every change, in order.
        let journal = zonectl::xfr::journal::read(&zonectl::xfr::journal_path(&out)).unwrap();
        let serials: Vec<(u32, u32)> = journal
            .iter()
            .map(|c| (c.from_serial(), c.to_serial()))
            .collect();
        assert_eq!(serials, [(1, 2), (2, 3), (3, 4), (4, 5)], "{kind}");
        // Start over from the same zone for the next primary.
        zone = RandomZone::new("random.test");
    });
}
