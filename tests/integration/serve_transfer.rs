//! `zonectl serve` as a primary and as a secondary, against real BIND,
//! Knot and NSD on loopback, TSIG on every exchange: AXFR, then IXFR of a
//! change triggered by NOTIFY; copies compared record for record; a
//! secondary that restarts answers from disk; a chain of three servers;
//! expiry.

use crate::common;
use crate::serve_util::{ServeProcess, soa_serial, wait_serial};

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::servers::{self, SecondarySpec, Server, TestKey, ZoneSpec};
use zonectl::xfr::{Client, XfrError};
use zonectl::zone::Name;

const ZONE: &str = "xfr.test";

/// A zone with the usual types, a delegation with glue, a wildcard, and
/// enough hosts that a transfer spans several messages. `change` moves
/// some records, as an operator's edit would.
fn zone_text(serial: u32, change: bool, timers: &str) -> String {
    let mut z = format!(
        "$ORIGIN {ZONE}.\n$TTL 3600\n@ SOA ns1 hostmaster {serial} {timers}\n@ NS ns1\n@ NS ns2\nns1 A 127.0.0.1\nns2 A 127.0.0.2\n@ MX 10 mail\nmail A 192.0.2.25\n_sip._tcp SRV 10 20 5060 sip\nsip AAAA 2001:db8::60\n*.wild TXT \"wildcard\"\nsub NS ns.sub\nns.sub A 192.0.2.99\n"
    );
    for i in 0..600 {
        z += &format!("host{i} A 10.0.{}.{}\n", i / 250, i % 250);
    }
    if change {
        z += "new A 192.0.2.200\nhost7 TXT \"changed\"\n";
    } else {
        z += "old A 192.0.2.100\n";
    }
    z
}

const TIMERS: &str = "3600 600 604800 300";

/// The zone as sorted presentation lines, taken by AXFR from `server`.
fn axfr_lines(
    server: SocketAddr,
    key: Option<&zonectl::tsig::Key>,
) -> Result<Vec<String>, XfrError> {
    let mut client = Client::new(
        Name::parse(format!("{ZONE}.").as_bytes(), None).unwrap(),
        server,
    );
    client.key = key.cloned();
    client.timeout = Duration::from_secs(5);
    let mut lines = Vec::new();
    client.axfr(&mut |r| {
        let mut line = String::new();
        zonectl::zone::writer::format_record(
            &r.owner.to_ascii_lowercase(),
            r.ttl,
            r.class,
            r.rtype,
            r.rdata,
            &mut line,
        );
        lines.push(line);
        Ok(())
    })?;
    lines.sort();
    lines.dedup();
    Ok(lines)
}

fn zonectl_key(key: &TestKey) -> zonectl::tsig::Key {
    zonectl::tsig::Key::new(&key.name, &key.algorithm, &key.secret).unwrap()
}

fn serial_of(addr: SocketAddr) -> Option<u32> {
    soa_serial(addr, ZONE)
}

fn wait_for_serial(addr: SocketAddr, serial: u32, within: Duration) -> bool {
    wait_serial(addr, ZONE, Some(serial), within)
}

fn key_yaml(key: &TestKey) -> String {
    format!(
        "keys:\n  - name: {}\n    algorithm: {}\n    secret: {}\n",
        key.name, key.algorithm, key.secret
    )
}

fn start_serve(config: &Path) -> ServeProcess {
    ServeProcess::with_config(config)
}

#[test]
fn zonectl_primary_feeds_bind_and_knot_secondaries_by_axfr_then_ixfr_on_notify() {
    let (Some(_), Some(_)) = (common::peer("named"), common::peer("knotd")) else {
        return;
    };
    let key = TestKey::new("xfr-key", "hmac-sha256");
    let dir = tempfile::tempdir().unwrap();
    let zone_file = dir.path().join("xfr.test.zone");
    std::fs::write(&zone_file, zone_text(1, false, TIMERS)).unwrap();
    let port = servers::free_port();
    let config = dir.path().join("serve.yaml");
    let base = format!(
        "listen: [\"127.0.0.1:{port}\"]\n{}zones:\n  - name: {ZONE}\n    file: xfr.test.zone\n    allow-transfer: [{{address: 127.0.0.0/8, key: {}}}]\n",
        key_yaml(&key),
        key.name
    );
    std::fs::write(&config, &base).unwrap();
    let serve = start_serve(&config);
    let primary = serve.addr;

    // Only the key opens the zone.
    let with_key = zonectl_key(&key);
    let expected = axfr_lines(primary, Some(&with_key)).unwrap();
    assert!(
        expected == servers::canonical_records(&zone_file, ZONE),
        "the AXFR holds the zone file's records"
    );
    let unsigned = axfr_lines(primary, None).unwrap_err().to_string();
    assert!(unsigned.contains("REFUSED"), "{unsigned}");
    let wrong =
        zonectl::tsig::Key::new("xfr-key", "hmac-sha256", "d3Jvbmd3cm9uZ3dyb25nd3Jvbmc=").unwrap();
    let rejected = axfr_lines(primary, Some(&wrong)).unwrap_err().to_string();
    assert!(
        rejected.contains("BADSIG") || rejected.contains("NOTAUTH"),
        "{rejected}"
    );

    let secondary = |name| SecondarySpec {
        name,
        primary,
        key: Some(&key),
    };
    let bind = servers::named(&[], &[secondary(ZONE)]).unwrap();
    let knot = servers::knotd(&[], &[secondary(ZONE)]).unwrap();
    for peer in [&bind, &knot] {
        assert!(
            peer.wait_serial(ZONE, Some(1), Duration::from_secs(20)),
            "{}",
            peer.kind
        );
        assert!(
            axfr_lines(peer.addr(), Some(&with_key)).unwrap() == expected,
            "{}'s copy",
            peer.kind
        );
    }

    // Tell zonectl about its secondaries, change the zone, reload: NOTIFY
    // brings them to serial 2 by IXFR (their refresh timer is an hour).
    let notify = format!(
        "    notify:\n      - {{address: \"{}\", key: {}}}\n      - {{address: \"{}\", key: {}}}\n",
        bind.addr(),
        key.name,
        knot.addr(),
        key.name
    );
    std::fs::write(&config, format!("{base}{notify}")).unwrap();
    std::fs::write(&zone_file, zone_text(2, true, TIMERS)).unwrap();
    serve.signal("HUP");
    assert!(wait_for_serial(primary, 2, Duration::from_secs(10)));
    let expected = axfr_lines(primary, Some(&with_key)).unwrap();
    for peer in [&bind, &knot] {
        assert!(
            peer.wait_serial(ZONE, Some(2), Duration::from_secs(20)),
            "{} did not follow NOTIFY:\n{}\n{}",
            peer.kind,
            serve.log(),
            peer.log()
        );
        assert!(
            axfr_lines(peer.addr(), Some(&with_key)).unwrap() == expected,
            "{}'s copy after IXFR",
            peer.kind
        );
    }
    let log = serve.log();
    assert!(
        log.matches("IXFR of xfr.test. serial 2").count() >= 2,
        "both secondaries took IXFR:\n{log}"
    );
    // The journal persists the difference beside the zone file.
    let journal = std::fs::read_to_string(dir.path().join("xfr.test.zone.jnl")).unwrap();
    assert!(journal.contains("changeset 1 2") && journal.contains("+ new.xfr.test."));
}

/// zonectl as the secondary of one peer primary: the first copy by AXFR,
/// the change by IXFR when the primary's NOTIFY arrives; killed and
/// started again with the primary gone, it answers from its copy on disk.
fn secondary_of(
    start: impl Fn(&[ZoneSpec], &[SocketAddr]) -> Option<Server>,
    reload: impl Fn(&Server),
) {
    let key = TestKey::new("sec-key", "hmac-sha256");
    let dir = tempfile::tempdir().unwrap();
    let port = servers::free_port();
    let me: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let text = zone_text(1, false, TIMERS);
    let Some(mut primary) = start(
        &[ZoneSpec {
            name: ZONE,
            text: &text,
            key: Some(&key),
        }],
        &[me],
    ) else {
        return;
    };
    let config = dir.path().join("serve.yaml");
    std::fs::write(
        &config,
        format!(
            "listen: [\"127.0.0.1:{port}\"]\n{}zones:\n  - name: {ZONE}\n    file: copies/xfr.test.zone\n    primaries: [{{address: \"{}\", key: {}}}]\n    allow-transfer: [{{key: {}}}]\n",
            key_yaml(&key),
            primary.addr(),
            key.name,
            key.name
        ),
    )
    .unwrap();
    let serve = start_serve(&config);
    let with_key = zonectl_key(&key);
    assert!(
        wait_for_serial(me, 1, Duration::from_secs(20)),
        "no first transfer from {}:\n{}",
        primary.kind,
        serve.log()
    );
    assert_eq!(
        axfr_lines(me, Some(&with_key)).unwrap(),
        axfr_lines(primary.addr(), Some(&with_key)).unwrap()
    );
    std::fs::write(
        primary.path(&format!("{ZONE}.zone")),
        zone_text(2, true, TIMERS),
    )
    .unwrap();
    reload(&primary);
    assert!(
        wait_for_serial(me, 2, Duration::from_secs(20)),
        "{}'s NOTIFY did not bring serial 2:\n{}\n{}",
        primary.kind,
        serve.log(),
        primary.log()
    );
    let served = axfr_lines(me, Some(&with_key)).unwrap();
    assert_eq!(served, axfr_lines(primary.addr(), Some(&with_key)).unwrap());
    assert!(served.iter().any(|l| l.starts_with("new.xfr.test.")));
    let log = serve.log();
    assert!(log.contains("NOTIFY received"), "{log}");
    // The change came as a difference, applied to the version served.
    assert!(log.contains("transferred by IXFR: serial 2"), "{log}");
    // Killed, and the primary gone: started again, it serves its copy.
    serve.signal("KILL");
    drop(serve);
    primary.kill();
    let serve = start_serve(&config);
    assert_eq!(serial_of(serve.addr), Some(2), "{}", serve.log());
    assert_eq!(axfr_lines(serve.addr, Some(&with_key)).unwrap(), served);
}

#[test]
fn zonectl_secondary_of_nsd_follows_notify_and_restarts_from_disk() {
    secondary_of(
        |zones, notify| servers::nsd_notifying(&["127.0.0.1"], servers::free_port(), zones, notify),
        |s| s.reload(),
    );
}

#[test]
fn zonectl_secondary_of_knot_follows_notify_and_restarts_from_disk() {
    secondary_of(
        |zones, notify| servers::knotd_notifying(zones, &[], notify),
        |s| s.reload_zones(),
    );
}

#[test]
fn zonectl_secondary_of_bind_follows_notify_and_restarts_from_disk() {
    secondary_of(
        |zones, notify| servers::named_notifying(zones, &[], notify),
        |s| s.reload(),
    );
}

/// NSD → zonectl → BIND: a change at the top reaches the bottom, zonectl
/// passing it on by NOTIFY and IXFR as a primary of its own secondary.
#[test]
fn a_chain_nsd_to_zonectl_to_bind_carries_a_change_down() {
    let (Some(_), Some(_)) = (common::peer("nsd"), common::peer("named")) else {
        return;
    };
    let key = TestKey::new("chain-key", "hmac-sha256");
    let dir = tempfile::tempdir().unwrap();
    let port = servers::free_port();
    let me: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let text = zone_text(1, false, TIMERS);
    let top = servers::nsd_notifying(
        &["127.0.0.1"],
        servers::free_port(),
        &[ZoneSpec {
            name: ZONE,
            text: &text,
            key: Some(&key),
        }],
        &[me],
    )
    .unwrap();
    let config = dir.path().join("serve.yaml");
    let base = format!(
        "listen: [\"127.0.0.1:{port}\"]\n{}zones:\n  - name: {ZONE}\n    file: xfr.test.zone\n    primaries: [{{address: \"{}\", key: {}}}]\n    allow-transfer: [{{key: {}}}]\n",
        key_yaml(&key),
        top.addr(),
        key.name,
        key.name
    );
    std::fs::write(&config, &base).unwrap();
    let serve = start_serve(&config);
    assert!(
        wait_for_serial(me, 1, Duration::from_secs(20)),
        "{}",
        serve.log()
    );
    let bottom = servers::named(
        &[],
        &[SecondarySpec {
            name: ZONE,
            primary: me,
            key: Some(&key),
        }],
    )
    .unwrap();
    assert!(bottom.wait_serial(ZONE, Some(1), Duration::from_secs(20)));
    std::fs::write(
        &config,
        format!(
            "{base}    notify: [{{address: \"{}\", key: {}}}]\n",
            bottom.addr(),
            key.name
        ),
    )
    .unwrap();
    serve.signal("HUP");
    std::thread::sleep(Duration::from_millis(500));
    std::fs::write(
        top.path(&format!("{ZONE}.zone")),
        zone_text(2, true, TIMERS),
    )
    .unwrap();
    top.reload();
    assert!(
        bottom.wait_serial(ZONE, Some(2), Duration::from_secs(30)),
        "the change did not reach the bottom:\n{}\n{}",
        serve.log(),
        bottom.log()
    );
    let with_key = zonectl_key(&key);
    assert_eq!(
        axfr_lines(bottom.addr(), Some(&with_key)).unwrap(),
        axfr_lines(top.addr(), Some(&with_key)).unwrap()
    );
}

/// RFC 1034 §4.3.5: a secondary that cannot refresh for the SOA's expire
/// time stops answering for the zone (SERVFAIL), and comes back with the
/// next successful transfer.
#[test]
fn rfc1034_4_3_5_an_expired_secondary_answers_servfail() {
    if common::peer("nsd").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = servers::free_port();
    let primary_port = servers::free_port();
    // Refresh 1 s, retry 1 s, expire 3 s.
    let text = zone_text(1, false, "1 1 3 300");
    let zones = [ZoneSpec {
        name: ZONE,
        text: &text,
        key: None,
    }];
    let mut primary = servers::nsd_on(&["127.0.0.1"], primary_port, &zones).unwrap();
    let config = dir.path().join("serve.yaml");
    std::fs::write(
        &config,
        format!(
            "listen: [\"127.0.0.1:{port}\"]\nzones:\n  - name: {ZONE}\n    file: xfr.test.zone\n    primaries: [{{address: \"{}\"}}]\n",
            primary.addr()
        ),
    )
    .unwrap();
    let serve = start_serve(&config);
    assert!(wait_for_serial(serve.addr, 1, Duration::from_secs(20)));
    primary.kill();
    let query = zonectl::wire::MessageBuilder::new(9, 0, 0)
        .question(b"\x03xfr\x04test\x00", zonectl::zone::RType::SOA, 1)
        .finish();
    let rcode = || {
        crate::serve_util::exchange(serve.addr, &query, crate::serve_util::Transport::Udp)
            .map(|a| a[3] & 0xf)
            .unwrap_or(255)
    };
    let deadline = Instant::now() + Duration::from_secs(15);
    while rcode() != 2 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(rcode(), 2, "SERVFAIL after expire:\n{}", serve.log());
    // The primary is back: the zone is served again.
    let _primary = servers::nsd_on(&["127.0.0.1"], primary_port, &zones).unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while rcode() != 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(rcode(), 0, "served again:\n{}", serve.log());
}

/// The fleet example of the README (`testdata/fleet/`: a primary and two
/// secondaries sharing a key), on free ports: the secondaries take the
/// zone, and follow a change of the primary's file by NOTIFY and IXFR.
#[test]
fn the_fleet_example_configurations_work_together() {
    let dir = tempfile::tempdir().unwrap();
    let zone_file = dir.path().join("example.com.zone");
    let original = std::fs::read_to_string(common::testdata("example.com.zone")).unwrap();
    std::fs::write(&zone_file, &original).unwrap();
    let ports: Vec<u16> = (0..3).map(|_| servers::free_port()).collect();
    let adapt = |name: &str| {
        let mut text =
            std::fs::read_to_string(common::testdata(&format!("fleet/{name}.yaml"))).unwrap();
        for (i, port) in ports.iter().enumerate() {
            text = text.replace(
                &format!("127.0.0.1:{}", 5300 + i),
                &format!("127.0.0.1:{port}"),
            );
        }
        text = text.replace("../example.com.zone", &zone_file.display().to_string());
        text = text.replace(
            "/tmp/zonectl-secondary-",
            &format!("{}/copy-", dir.path().display()),
        );
        let path = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&path, text).unwrap();
        path
    };
    let primary = start_serve(&adapt("primary"));
    let secondaries = [
        start_serve(&adapt("secondary-a")),
        start_serve(&adapt("secondary-b")),
    ];
    let first = soa_serial(primary.addr, "example.com").unwrap();
    let wait = |addr: SocketAddr, serial: u32| {
        wait_serial(addr, "example.com", Some(serial), Duration::from_secs(20))
    };
    for s in &secondaries {
        assert!(wait(s.addr, first), "{}", s.log());
    }
    let next = first + 1;
    std::fs::write(
        &zone_file,
        original.replacen(&first.to_string(), &next.to_string(), 1)
            + "fleet-test 300 IN A 192.0.2.250\n",
    )
    .unwrap();
    primary.signal("HUP");
    for s in &secondaries {
        assert!(wait(s.addr, next), "{}\n{}", primary.log(), s.log());
        assert!(s.log().contains("transferred by IXFR"), "{}", s.log());
    }
}

/// A secondary's copy damaged on disk while the server was down is found
/// out by its digest at the next start: set aside, never served, and
/// replaced by a full transfer.
#[test]
fn a_damaged_copy_is_set_aside_and_transferred_again() {
    if common::peer("nsd").is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let text = zone_text(1, false, TIMERS);
    let primary = servers::nsd(&[ZoneSpec {
        name: ZONE,
        text: &text,
        key: None,
    }])
    .unwrap();
    let port = servers::free_port();
    let config = dir.path().join("serve.yaml");
    std::fs::write(
        &config,
        format!(
            "listen: [\"127.0.0.1:{port}\"]\nzones:\n  - name: {ZONE}\n    file: xfr.test.zone\n    primaries: [{{address: \"{}\"}}]\n    allow-transfer: [{{address: 127.0.0.1}}]\n",
            primary.addr()
        ),
    )
    .unwrap();
    let mut serve = start_serve(&config);
    assert!(wait_for_serial(serve.addr, 1, Duration::from_secs(20)));
    let copy = dir.path().join("xfr.test.zone");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !dir.path().join("xfr.test.zone.sha256").exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    serve.stop();
    // A record lost on disk: the copy still reads, but is not what came.
    let damaged: String = std::fs::read_to_string(&copy)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("host42."))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&copy, damaged).unwrap();
    let serve = start_serve(&config);
    assert!(wait_for_serial(serve.addr, 1, Duration::from_secs(20)));
    assert!(
        serve.log().contains("does not match its SHA-256 digest"),
        "{}",
        serve.log()
    );
    assert!(
        axfr_lines(serve.addr, None).unwrap() == axfr_lines(primary.addr(), None).unwrap(),
        "the copy served is the primary's"
    );
    assert!(dir.path().join("xfr.test.zone.damaged").exists());
}
