//! Online signing by `zonectl serve`: a zone signed at load, each UPDATE
//! signed as it is applied (the changed RRsets and the NSEC3 records
//! around them), the result transferred by AXFR and IXFR; the copies pass
//! BIND's `dnssec-verify` and `ldns-verify-zone`, and a validating
//! Unbound resolves the new name as secure. Keys made by BIND's
//! `dnssec-keygen` with timing metadata roll a ZSK while the server runs.

use crate::common::{self, run, text};
use crate::serve_util::{ServeProcess, Transport, exchange, soa_serial, wait_serial};
use crate::serve_validation::resolve;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::servers::{self, SecondarySpec, TestKey};
use zonectl::wire::{Message, MessageBuilder, Section};
use zonectl::zone::{Name, RType};

const ZONE: &str = "signed.test";

fn zone_text() -> String {
    format!(
        "$ORIGIN {ZONE}.\n$TTL 300\n@ SOA ns1 hostmaster 10 3600 600 604800 300\n@ NS ns1\nns1 A 127.0.0.1\nwww A 192.0.2.80\nmail MX 10 www\nsub NS ns.sub\nns.sub A 192.0.2.53\n"
    )
}

fn write_config(dir: &Path, port: u16, key: &TestKey, zone_extra: &str) {
    let text = format!(
        "listen: [\"127.0.0.1:{port}\"]\nkeys:\n  - {{name: {}, algorithm: {}, secret: \"{}\"}}\nzones:\n  - name: {ZONE}\n    file: zone.db\n    allow-transfer: [{{key: {0}}}]\n    allow-update: [{{key: {0}}}]\n    dnssec:\n      key-directory: keys\n{zone_extra}",
        key.name, key.algorithm, key.secret
    );
    std::fs::write(dir.join("serve.yaml"), text).unwrap();
}

/// The zone by AXFR from `addr`, written to `out`.
fn axfr(addr: SocketAddr, key: &TestKey, out: &Path) {
    let _ = std::fs::remove_file(out);
    let result = run(&[
        "xfr",
        ZONE,
        "--from",
        &addr.to_string(),
        "--tsig",
        &key.spec(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(result.status.success(), "{}", text(&result.stderr));
}

/// The copy passes every verifier there is here.
fn verify_everywhere(copy: &Path) {
    let out = run(&["verify", "--origin", ZONE, copy.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "zonectl verify: {}",
        text(&out.stdout)
    );
    if let Some(bin) = common::peer("dnssec-verify") {
        let out = Command::new(bin)
            .args(["-o", ZONE])
            .arg(copy)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "dnssec-verify: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
    if let Some(bin) = common::peer("ldns-verify-zone") {
        let out = Command::new(bin).arg(copy).output().unwrap();
        assert!(
            out.status.success(),
            "ldns-verify-zone: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

fn nsupdate(addr: SocketAddr, key: &TestKey, body: &str) -> (bool, String) {
    let script = format!(
        "server {} {}\nzone {ZONE}.\n{body}\nsend\n",
        addr.ip(),
        addr.port()
    );
    let mut cmd = Command::new("nsupdate");
    cmd.args(["-y", &key.spec(), "-t", "5"]);
    let out = common::output_with_stdin(cmd, script.as_bytes());
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// The key tags of the RRSIGs over `name` `rtype`, and of the DNSKEYs,
/// as zonectl serves them.
fn tags(addr: SocketAddr, name: &str, rtype: RType) -> Vec<u16> {
    let wire = Name::parse(name.as_bytes(), None).unwrap();
    let query = MessageBuilder::new(0x5252, 0, 0)
        .question(wire.as_wire(), rtype, 1)
        .record(Section::Additional, &[0], RType::OPT, 4096, 0x8000, &[])
        .finish();
    let answer = exchange(addr, &query, Transport::Tcp).unwrap();
    let parsed = Message::parse(&answer).unwrap();
    let mut records = parsed.records();
    let (mut owner, mut rdata) = (Vec::new(), Vec::new());
    let mut out = Vec::new();
    while let Some(h) = records.next_into(&mut owner, &mut rdata).unwrap() {
        if h.section != Section::Answer {
            continue;
        }
        if h.rtype == RType::RRSIG && rdata.len() > 18 {
            out.push(u16::from_be_bytes([rdata[16], rdata[17]]));
        } else if h.rtype == RType::DNSKEY && rtype == RType::DNSKEY {
            out.push(zonectl::dnssec::digest::key_tag(&rdata));
        }
    }
    out.sort_unstable();
    out.dedup();
    out
}

fn keygen(dir: &Path, extra: &[&str]) {
    let mut args = vec![
        "keygen",
        ZONE,
        "--algorithm",
        "ECDSAP256SHA256",
        "-K",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

fn ds_of(copy: &Path) -> String {
    let out = run(&["ds", "-z", ZONE, copy.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().next().unwrap().to_string()
}

#[test]
fn online_signing_signs_updates_that_verify_transfer_and_validate() {
    let admin = TestKey::new("sign-key", "hmac-sha256");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("zone.db"), zone_text()).unwrap();
    let keys = dir.path().join("keys");
    keygen(&keys, &["--ksk"]);
    keygen(&keys, &[]);
    let port = servers::free_port();
    write_config(dir.path(), port, &admin, "");
    let serve = ServeProcess::with_config(&dir.path().join("serve.yaml"));
    let addr = serve.addr;
    assert!(
        serve.log().contains("signed.test. signed"),
        "{}",
        serve.log()
    );

    // Signed at load: the copy verifies.
    let copy = dir.path().join("copy.db");
    axfr(addr, &admin, &copy);
    verify_everywhere(&copy);
    let ds = ds_of(&copy);

    // A BIND secondary follows by NOTIFY and IXFR.
    let bind = servers::named(
        &[],
        &[SecondarySpec {
            name: ZONE,
            primary: addr,
            key: Some(&admin),
        }],
    );
    if let Some(bind) = &bind {
        assert!(bind.wait_serial(ZONE, Some(10), Duration::from_secs(20)));
        write_config(
            dir.path(),
            port,
            &admin,
            &format!(
                "    notify: [{{address: \"{}\", key: {}}}]\n",
                bind.addr(),
                admin.name
            ),
        );
        serve.signal("HUP");
        std::thread::sleep(Duration::from_millis(300));
    }

    let Some(_) = common::peer("nsupdate") else {
        return;
    };
    // A new name (new NSEC3 records around it) and a deleted one.
    let (ok, out) = nsupdate(
        addr,
        &admin,
        &format!(
            "update add new.deep.{ZONE}. 300 A 192.0.2.99\nupdate delete mail.{ZONE}. MX\nupdate add www.{ZONE}. 300 AAAA 2001:db8::80"
        ),
    );
    assert!(ok, "{out}\n{}", serve.log());
    assert_eq!(soa_serial(addr, ZONE), Some(11));
    axfr(addr, &admin, &copy);
    verify_everywhere(&copy);
    let records = std::fs::read_to_string(&copy).unwrap();
    assert!(records.contains("new.deep.signed.test."), "{records}");
    assert!(
        !records.contains("\tMX\t") && !records.contains(" MX "),
        "{records}"
    );

    // DNSSEC records are the signer's, not an update's.
    let (ok, out) = nsupdate(addr, &admin, &format!("update delete {ZONE}. DNSKEY"));
    assert!(!ok && out.contains("REFUSED"), "{out}");

    if let Some(bind) = &bind {
        assert!(
            bind.wait_serial(ZONE, Some(11), Duration::from_secs(20)),
            "{}\n{}",
            serve.log(),
            bind.log()
        );
        let from_bind = dir.path().join("from-bind.db");
        axfr(bind.addr(), &admin, &from_bind);
        verify_everywhere(&from_bind);
        assert_eq!(
            servers::canonical_records(&from_bind, ZONE),
            servers::canonical_records(&copy, ZONE),
            "BIND's copy is zonectl's"
        );
        assert!(
            serve.log().contains("IXFR of signed.test. serial 11"),
            "{}",
            serve.log()
        );
    }

    // The file edited by hand (it holds the signed zone the server wrote)
    // without a new serial, then SIGHUP: re-signed, the serial moved past
    // the one served, the difference journaled for IXFR.
    let file = dir.path().join("zone.db");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&file)
        .unwrap()
        .contains("new.deep.signed.test.")
        && Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut text = std::fs::read_to_string(&file).unwrap();
    text += "edited.signed.test. 300 IN A 192.0.2.55\n";
    std::fs::write(&file, text).unwrap();
    serve.signal("HUP");
    assert!(
        wait_serial(addr, ZONE, Some(12), Duration::from_secs(10)),
        "{}",
        serve.log()
    );
    axfr(addr, &admin, &copy);
    verify_everywhere(&copy);
    assert!(
        std::fs::read_to_string(&copy)
            .unwrap()
            .contains("edited.signed.test.")
    );
    assert!(!serve.log().contains("new journal"), "{}", serve.log());
    if let Some(bind) = &bind {
        assert!(
            bind.wait_serial(ZONE, Some(12), Duration::from_secs(20)),
            "{}\n{}",
            serve.log(),
            bind.log()
        );
        assert!(
            serve.log().contains("IXFR of signed.test. serial 12"),
            "{}",
            serve.log()
        );
    }

    // A validating resolver: the new name is secure, the deleted data
    // provably gone.
    let stub = format!("{}@{}", addr.ip(), addr.port());
    if let Some(resolver) = servers::unbound_validating(&[(ZONE, stub)], &[ds]) {
        assert_eq!(
            resolve(resolver.addr(), "new.deep.signed.test.", RType::A),
            (0, true),
            "{}",
            resolver.log()
        );
        assert_eq!(
            resolve(resolver.addr(), "www.signed.test.", RType::AAAA),
            (0, true)
        );
        // mail had only its MX: the name is gone.
        assert_eq!(
            resolve(resolver.addr(), "mail.signed.test.", RType::MX),
            (3, true)
        );
        assert_eq!(
            resolve(resolver.addr(), "nothing.signed.test.", RType::A),
            (3, true)
        );
    }

    // Restarted, it serves the same signed zone from its file and journal.
    let serial = soa_serial(addr, ZONE);
    serve.signal("KILL");
    drop(serve);
    let serve = ServeProcess::with_config(&dir.path().join("serve.yaml"));
    assert!(
        wait_serial(serve.addr, ZONE, serial, Duration::from_secs(10)),
        "{}",
        serve.log()
    );
    axfr(serve.addr, &admin, &copy);
    verify_everywhere(&copy);
}

/// BIND's `dnssec-keygen` timing: a ZSK pre-published, activated while the
/// old one goes inactive, the old one deleted; the server follows the
/// clock without a restart (RFC 6781 §4.1.1.1).
#[test]
fn rfc6781_a_zsk_rollover_by_timing_needs_no_restart() {
    let Some(keygen_bin) = common::peer("dnssec-keygen") else {
        return;
    };
    let admin = TestKey::new("sign-key", "hmac-sha256");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("zone.db"), zone_text()).unwrap();
    let keys: PathBuf = dir.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let bind_keygen = |args: &[&str]| -> u16 {
        let out = Command::new(&keygen_bin)
            .args(["-q", "-K", keys.to_str().unwrap(), "-a", "ECDSAP256SHA256"])
            .args(args)
            .arg(ZONE)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stem = text(&out.stdout);
        stem.trim().rsplit('+').next().unwrap().parse().unwrap()
    };
    let ksk = bind_keygen(&["-f", "KSK"]);
    let old = bind_keygen(&["-I", "+8", "-D", "+16"]);
    let new = bind_keygen(&["-P", "now", "-A", "+8"]);
    let port = servers::free_port();
    write_config(dir.path(), port, &admin, "");
    let serve = ServeProcess::with_config(&dir.path().join("serve.yaml"));
    let addr = serve.addr;
    let mut want = vec![ksk, old, new];
    want.sort_unstable();
    assert_eq!(
        tags(addr, "signed.test.", RType::DNSKEY),
        want,
        "{}",
        serve.log()
    );
    assert_eq!(tags(addr, "www.signed.test.", RType::A), [old]);

    // Once the new ZSK is active, everything is signed with it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while tags(addr, "www.signed.test.", RType::A) != [new] && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(
        tags(addr, "www.signed.test.", RType::A),
        [new],
        "{}",
        serve.log()
    );
    let copy = dir.path().join("copy.db");
    axfr(addr, &admin, &copy);
    verify_everywhere(&copy);

    // Once the old one is deleted, it leaves the DNSKEY RRset.
    let mut want = vec![ksk, new];
    want.sort_unstable();
    let deadline = Instant::now() + Duration::from_secs(20);
    while tags(addr, "signed.test.", RType::DNSKEY) != want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(
        tags(addr, "signed.test.", RType::DNSKEY),
        want,
        "{}",
        serve.log()
    );
    axfr(addr, &admin, &copy);
    verify_everywhere(&copy);
}
