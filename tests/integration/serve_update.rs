//! Dynamic update of `zonectl serve` by BIND's `nsupdate` and Knot's
//! `knsupdate` with TSIG (RFC 2136, RFC 3007): the change answers at
//! once, reaches a BIND secondary by NOTIFY and IXFR, survives a kill -9;
//! failed prerequisites change nothing; keys are held to their names and
//! types.

use crate::common;
use crate::serve_util::{ServeProcess, Transport, exchange, soa_serial, wait_serial};

use std::net::SocketAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use common::servers::{self, SecondarySpec, TestKey};
use zonectl::zone::{Name, RType};

const ZONE: &str = "upd.test";

fn zone_text() -> String {
    format!(
        "$ORIGIN {ZONE}.\n$TTL 300\n@ SOA ns1 hostmaster 10 3600 600 604800 300\n@ NS ns1\nns1 A 127.0.0.1\nold A 192.0.2.1\nwww A 192.0.2.80\n"
    )
}

fn serial(addr: SocketAddr) -> Option<u32> {
    soa_serial(addr, ZONE)
}

/// The rdata of the answers to `name` `rtype`, as presentation text.
fn answers(addr: SocketAddr, name: &str, rtype: RType) -> Vec<String> {
    let wire = Name::parse(name.as_bytes(), None).unwrap();
    let query = zonectl::wire::MessageBuilder::new(77, 0, 0)
        .question(wire.as_wire(), rtype, 1)
        .finish();
    let answer = exchange(addr, &query, Transport::Udp).unwrap();
    let parsed = zonectl::wire::Message::parse(&answer).unwrap();
    let mut records = parsed.records();
    let (mut owner, mut rdata) = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    while let Some(h) = records.next_into(&mut owner, &mut rdata).unwrap() {
        if h.section == zonectl::wire::Section::Answer && h.rtype == rtype {
            let mut line = String::new();
            zonectl::zone::writer::format_record(
                &owner, h.ttl, h.class, h.rtype, &rdata, &mut line,
            );
            out.push(line);
        }
    }
    out
}

/// Runs a tool with `script` on its standard input: (success, output).
fn run_script(tool: &str, args: &[&str], script: &str) -> (bool, String) {
    let mut cmd = Command::new(tool);
    cmd.args(args);
    let out = common::output_with_stdin(cmd, script.as_bytes());
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn nsupdate(addr: SocketAddr, key: &TestKey, body: &str) -> (bool, String) {
    let script = format!(
        "server {} {}\nzone {ZONE}.\n{body}\nsend\n",
        addr.ip(),
        addr.port()
    );
    run_script("nsupdate", &["-y", &key.spec(), "-t", "5"], &script)
}

fn start(dir: &std::path::Path) -> ServeProcess {
    ServeProcess::with_config(&dir.join("serve.yaml"))
}

fn write_config(dir: &std::path::Path, port: u16, keys: &[&TestKey], extra: &str) {
    let mut text = format!("listen: [\"127.0.0.1:{port}\"]\nkeys:\n");
    for k in keys {
        text += &format!(
            "  - {{name: {}, algorithm: {}, secret: \"{}\"}}\n",
            k.name, k.algorithm, k.secret
        );
    }
    text += &format!(
        "zones:\n  - name: {ZONE}\n    file: upd.test.zone\n    allow-transfer: [{{key: {0}}}]\n    allow-update:\n      - {{key: {0}}}\n      - {{key: {1}, names: [\"*.dyn\"], types: [A, AAAA]}}\n{extra}",
        keys[0].name, keys[1].name
    );
    std::fs::write(dir.join("serve.yaml"), text).unwrap();
}

#[test]
fn rfc2136_nsupdate_changes_reach_answers_a_bind_secondary_and_survive_a_kill() {
    let (Some(_), Some(_)) = (common::peer("nsupdate"), common::peer("named")) else {
        return;
    };
    let admin = TestKey::new("upd-key", "hmac-sha256");
    let limited = TestKey::new("dyn-key", "hmac-sha512");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("upd.test.zone"), zone_text()).unwrap();
    let port = servers::free_port();
    write_config(dir.path(), port, &[&admin, &limited], "");
    let serve = start(dir.path());
    let addr = serve.addr;
    let bind = servers::named(
        &[],
        &[SecondarySpec {
            name: ZONE,
            primary: addr,
            key: Some(&admin),
        }],
    )
    .unwrap();
    assert!(bind.wait_serial(ZONE, Some(10), Duration::from_secs(20)));
    write_config(
        dir.path(),
        port,
        &[&admin, &limited],
        &format!(
            "    notify: [{{address: \"{}\", key: {}}}]\n",
            bind.addr(),
            admin.name
        ),
    );
    serve.signal("HUP");
    std::thread::sleep(Duration::from_millis(300));

    // An addition and a deletion in one update.
    let (ok, out) = nsupdate(
        addr,
        &admin,
        &format!("update add new.{ZONE}. 600 A 192.0.2.77\nupdate delete old.{ZONE}. A"),
    );
    assert!(ok, "{out}\n{}", serve.log());
    assert_eq!(serial(addr), Some(11));
    assert_eq!(
        answers(addr, "new.upd.test.", RType::A),
        ["new.upd.test. 600 IN A 192.0.2.77"]
    );
    assert!(answers(addr, "old.upd.test.", RType::A).is_empty());
    assert!(
        bind.wait_serial(ZONE, Some(11), Duration::from_secs(20)),
        "{}\n{}",
        serve.log(),
        bind.log()
    );
    assert_eq!(
        answers(bind.addr(), "new.upd.test.", RType::A),
        ["new.upd.test. 600 IN A 192.0.2.77"]
    );
    assert!(
        serve.log().contains("IXFR of upd.test. serial 11"),
        "{}",
        serve.log()
    );

    // A prerequisite that fails changes nothing (RFC 2136 §3.2).
    let (ok, out) = nsupdate(
        addr,
        &admin,
        &format!("prereq yxdomain nosuch.{ZONE}.\nupdate add x.{ZONE}. 60 A 192.0.2.9"),
    );
    assert!(!ok && out.contains("NXDOMAIN"), "{out}");
    let (ok, out) = nsupdate(
        addr,
        &admin,
        &format!("prereq nxrrset www.{ZONE}. A\nupdate add x.{ZONE}. 60 A 192.0.2.9"),
    );
    assert!(!ok && out.contains("YXRRSET"), "{out}");
    assert!(answers(addr, "x.upd.test.", RType::A).is_empty());
    assert_eq!(serial(addr), Some(11));

    // The limited key: A and AAAA below dyn only.
    let (ok, out) = nsupdate(
        addr,
        &limited,
        &format!("update add h.dyn.{ZONE}. 60 A 192.0.2.10"),
    );
    assert!(ok, "{out}");
    let (ok, out) = nsupdate(
        addr,
        &limited,
        &format!("update add h.dyn.{ZONE}. 60 TXT nope"),
    );
    assert!(!ok && out.contains("REFUSED"), "{out}");
    let (ok, out) = nsupdate(addr, &limited, &format!("update delete www.{ZONE}. A"));
    assert!(!ok && out.contains("REFUSED"), "{out}");
    assert_eq!(answers(addr, "www.upd.test.", RType::A).len(), 1);
    // A key the server does not know.
    let stranger = TestKey::new("stranger", "hmac-sha256");
    let (ok, out) = nsupdate(
        addr,
        &stranger,
        &format!("update add s.{ZONE}. 60 A 192.0.2.11"),
    );
    assert!(!ok, "{out}");
    assert_eq!(serial(addr), Some(12));

    // Killed at once after an update: the journal brings it back.
    let (ok, out) = nsupdate(
        addr,
        &admin,
        &format!("update add late.{ZONE}. 60 A 192.0.2.12"),
    );
    assert!(ok, "{out}");
    serve.signal("KILL");
    drop(serve);
    let serve = start(dir.path());
    assert_eq!(serial(serve.addr), Some(13), "{}", serve.log());
    assert_eq!(answers(serve.addr, "late.upd.test.", RType::A).len(), 1);
    assert_eq!(answers(serve.addr, "new.upd.test.", RType::A).len(), 1);
    // Saved to the zone file once updates pause.
    let deadline = Instant::now() + Duration::from_secs(10);
    let (ok, _) = nsupdate(
        serve.addr,
        &admin,
        &format!("update add saved.{ZONE}. 60 A 192.0.2.13"),
    );
    assert!(ok);
    let file = dir.path().join("upd.test.zone");
    while !std::fs::read_to_string(&file)
        .unwrap()
        .contains("saved.upd.test.")
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("saved.upd.test.") && text.contains("late.upd.test."),
        "{text}"
    );
}

#[test]
fn rfc2136_knsupdate_adds_and_deletes_with_tsig() {
    let Some(_) = common::peer("knsupdate") else {
        return;
    };
    let admin = TestKey::new("upd-key", "hmac-sha256");
    let limited = TestKey::new("dyn-key", "hmac-sha512");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("upd.test.zone"), zone_text()).unwrap();
    let port = servers::free_port();
    write_config(
        dir.path(),
        port,
        &[&admin, &limited],
        "    serial-policy: unixtime\n",
    );
    let serve = start(dir.path());
    let addr = serve.addr;
    let script = format!(
        "server {} {}\nkey {}:{} {}\nzone {ZONE}.\nupdate add k.{ZONE}. 120 TXT \"from knsupdate\"\nupdate delete www.{ZONE}. A 192.0.2.80\nsend\nanswer\n",
        addr.ip(),
        addr.port(),
        admin.algorithm,
        admin.name,
        admin.secret
    );
    let (ok, out) = run_script("knsupdate", &[], &script);
    assert!(ok && out.contains("NOERROR"), "{out}\n{}", serve.log());
    assert_eq!(
        answers(addr, "k.upd.test.", RType::TXT),
        ["k.upd.test. 120 IN TXT \"from knsupdate\""]
    );
    assert!(answers(addr, "www.upd.test.", RType::A).is_empty());
    // unixtime: the serial is now the time of the update.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as u32;
    let s = serial(addr).unwrap();
    assert!(now.abs_diff(s) < 60, "serial {s}, now {now}");
}

/// RFC 2136 §6: a secondary forwards an update to its primary as it came
/// (the TSIG is the primary's to check), answers with the primary's
/// answer, and gets the change back by NOTIFY and IXFR; told not to
/// forward, it refuses.
#[test]
fn rfc2136_6_a_secondary_forwards_updates_to_its_primary() {
    let Some(_) = common::peer("nsupdate") else {
        return;
    };
    let admin = TestKey::new("upd-key", "hmac-sha256");
    let limited = TestKey::new("dyn-key", "hmac-sha512");
    let primary_dir = tempfile::tempdir().unwrap();
    std::fs::write(primary_dir.path().join("upd.test.zone"), zone_text()).unwrap();
    let (primary_port, secondary_port) = (servers::free_port(), servers::free_port());
    write_config(
        primary_dir.path(),
        primary_port,
        &[&admin, &limited],
        &format!(
            "    notify: [{{address: \"127.0.0.1:{secondary_port}\", key: {}}}]\n",
            admin.name
        ),
    );
    let primary = start(primary_dir.path());
    let secondary_dir = tempfile::tempdir().unwrap();
    let secondary_config = |forward: bool| {
        format!(
            "listen: [\"127.0.0.1:{secondary_port}\"]\nkeys:\n  - {{name: {}, algorithm: {}, secret: \"{}\"}}\nzones:\n  - name: {ZONE}\n    file: upd.test.zone\n    primaries: [{{address: \"{}\", key: {}}}]\n    update-forward: {forward}\n",
            admin.name, admin.algorithm, admin.secret, primary.addr, admin.name
        )
    };
    std::fs::write(
        secondary_dir.path().join("serve.yaml"),
        secondary_config(true),
    )
    .unwrap();
    let secondary = start(secondary_dir.path());
    let wait =
        |addr: SocketAddr, want: u32| wait_serial(addr, ZONE, Some(want), Duration::from_secs(20));
    assert!(wait(secondary.addr, 10), "{}", secondary.log());
    let (ok, out) = nsupdate(
        secondary.addr,
        &admin,
        &format!("update add fwd.{ZONE}. 60 A 192.0.2.44"),
    );
    assert!(ok, "{out}\n{}\n{}", secondary.log(), primary.log());
    assert_eq!(serial(primary.addr), Some(11));
    assert!(wait(secondary.addr, 11), "{}", secondary.log());
    assert_eq!(answers(secondary.addr, "fwd.upd.test.", RType::A).len(), 1);
    assert!(secondary.log().contains("update forwarded to"));
    // Not forwarding: REFUSED, and nothing changes.
    std::fs::write(
        secondary_dir.path().join("serve.yaml"),
        secondary_config(false),
    )
    .unwrap();
    secondary.signal("HUP");
    std::thread::sleep(Duration::from_millis(500));
    let (ok, out) = nsupdate(
        secondary.addr,
        &admin,
        &format!("update add nofwd.{ZONE}. 60 A 192.0.2.45"),
    );
    assert!(!ok && out.contains("REFUSED"), "{out}");
    assert_eq!(serial(primary.addr), Some(11));
}

/// A kill -9 in the middle of a journal append leaves the journal with a
/// torn last changeset: restarted, the server serves the zone as the
/// changesets before it leave it (a consistent version), never a mix.
#[test]
fn a_journal_append_cut_short_by_a_crash_restarts_consistent() {
    let Some(_) = common::peer("nsupdate") else {
        return;
    };
    let admin = TestKey::new("upd-key", "hmac-sha256");
    let limited = TestKey::new("dyn-key", "hmac-sha512");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("upd.test.zone"), zone_text()).unwrap();
    write_config(dir.path(), servers::free_port(), &[&admin, &limited], "");
    let serve = start(dir.path());
    for (i, name) in ["one", "two", "three"].iter().enumerate() {
        let (ok, out) = nsupdate(
            serve.addr,
            &admin,
            &format!(
                "update add {name}.{ZONE}. 60 A 192.0.2.{i}\nupdate add {name}.{ZONE}. 60 TXT \"{name}\""
            ),
        );
        assert!(ok, "{out}");
    }
    assert_eq!(serial(serve.addr), Some(13));
    // Killed before the file was saved, the last append torn.
    serve.signal("KILL");
    drop(serve);
    let journal = dir.path().join("upd.test.zone.jnl");
    let whole = std::fs::read(&journal).unwrap();
    std::fs::write(&journal, &whole[..whole.len() - 60]).unwrap();
    assert!(
        std::fs::read_to_string(dir.path().join("upd.test.zone"))
            .unwrap()
            .contains("SOA"),
        "the file is the original"
    );
    let serve = start(dir.path());
    assert_eq!(serial(serve.addr), Some(12), "{}", serve.log());
    assert_eq!(answers(serve.addr, "two.upd.test.", RType::A).len(), 1);
    assert_eq!(answers(serve.addr, "two.upd.test.", RType::TXT).len(), 1);
    assert!(answers(serve.addr, "three.upd.test.", RType::A).is_empty());
    assert!(answers(serve.addr, "three.upd.test.", RType::TXT).is_empty());
    // And it takes updates again from there.
    let (ok, out) = nsupdate(
        serve.addr,
        &admin,
        &format!("update add four.{ZONE}. 60 A 192.0.2.4"),
    );
    assert!(ok, "{out}\n{}", serve.log());
    assert_eq!(serial(serve.addr), Some(13));
}

/// The disk fills up: an update is journaled, the zone file cannot be
/// saved; the error is logged, the old file stays whole, the update is
/// served; once there is room the next save succeeds. The zone lives on
/// a small tmpfs mounted in a private mount namespace (`unshare`), which
/// the test reads through /proc/PID/root.
#[test]
fn a_full_disk_while_saving_keeps_the_old_file_and_logs_it() {
    let Some(_) = common::peer("nsupdate") else {
        return;
    };
    if !Command::new("unshare")
        .args(["-rm", "true"])
        .status()
        .is_ok_and(|s| s.success())
    {
        common::skip(
            "unshare -rm cannot make a mount namespace here; the disk-full test did not run",
        );
        return;
    }
    let admin = TestKey::new("upd-key", "hmac-sha256");
    let limited = TestKey::new("dyn-key", "hmac-sha512");
    let source = tempfile::tempdir().unwrap();
    std::fs::write(source.path().join("upd.test.zone"), zone_text()).unwrap();
    write_config(source.path(), servers::free_port(), &[&admin, &limited], "");
    let disk = tempfile::tempdir().unwrap();
    let d = disk.path().display();
    // 64 KiB: the config and the zone take a page each, the filler all
    // but three pages: room for the journal of one big update (two
    // pages), not for a copy of the zone beside it (two more).
    let script = format!(
        "mount -t tmpfs -o size=64k tmpfs {d} && cp {}/* {d}/ && dd if=/dev/zero of={d}/filler bs=4096 count=11 2>/dev/null && exec {} serve --config {d}/serve.yaml --log-level info",
        source.path().display(),
        env!("CARGO_BIN_EXE_zonectl")
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["-rm", "sh", "-c", &script]);
    let serve = ServeProcess::start_command(cmd, 1);
    let inside =
        |file: &str| std::path::PathBuf::from(format!("/proc/{}/root{d}/{file}", serve.pid()));
    let original = std::fs::read_to_string(inside("upd.test.zone")).unwrap();
    let big: String = (0..30).map(|i| format!("\"{i:0>250}\" ")).collect();
    let (ok, out) = nsupdate(
        serve.addr,
        &admin,
        &format!("update add big.{ZONE}. 60 TXT {big}\nupdate add small.{ZONE}. 60 A 192.0.2.6"),
    );
    assert!(ok, "{out}\n{}", serve.log());
    assert_eq!(serial(serve.addr), Some(11));
    assert_eq!(answers(serve.addr, "small.upd.test.", RType::A).len(), 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !serve.log().contains("cannot save") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let log = serve.log();
    assert!(
        log.contains("cannot save") && log.contains("the journal keeps the updates"),
        "{log}"
    );
    assert_eq!(
        std::fs::read_to_string(inside("upd.test.zone")).unwrap(),
        original
    );
    // Room again: the next update's save goes through.
    std::fs::remove_file(inside("filler")).unwrap();
    let (ok, out) = nsupdate(
        serve.addr,
        &admin,
        &format!("update add after.{ZONE}. 60 A 192.0.2.5"),
    );
    assert!(ok, "{out}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !serve.log().contains("saved to") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let saved = std::fs::read_to_string(inside("upd.test.zone")).unwrap();
    assert!(
        saved.contains("big.upd.test.") && saved.contains("after.upd.test."),
        "{}",
        serve.log()
    );
}
