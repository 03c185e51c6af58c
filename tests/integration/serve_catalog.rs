//! Catalog zones (RFC 9432) between `zonectl serve` and BIND and Knot:
//! BIND and Knot consuming zonectl's catalog serve every member, and
//! follow members added and removed; zonectl consuming BIND's catalog
//! does the same.

use crate::common;
use crate::serve_util::{ServeProcess, soa_serial};

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::servers::{self, Server, TestKey};

fn serial(addr: SocketAddr, zone: &str) -> Option<u32> {
    soa_serial(addr, zone)
}

/// Waits until `addr` serves `zone` (or, with `serving` false, stops).
fn wait_serving(addr: SocketAddr, zone: &str, serving: bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(25);
    while Instant::now() < deadline {
        if serial(addr, zone).is_some() == serving {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

fn member_zone(name: &str, serial: u32) -> String {
    format!(
        "$ORIGIN {name}.\n$TTL 300\n@ SOA ns hostmaster {serial} 3600 600 604800 300\n@ NS ns\nns A 192.0.2.53\nwww A 192.0.2.80\n"
    )
}

/// The configuration of a zonectl producing `catalog.test` with
/// `members`, sending NOTIFY to `notify` if given.
fn write_producer_config(
    config: &std::path::Path,
    me: SocketAddr,
    key: &TestKey,
    members: &[&str],
    notify: Option<SocketAddr>,
) {
    let mut text = format!(
        "listen: [\"{me}\"]\nkeys:\n  - {{name: {}, algorithm: {}, secret: \"{}\"}}\nzones:\n  - name: catalog.test\n    file: catalog.test.zone\n    produce-catalog: true\n    allow-transfer: [{{key: {}}}]\n",
        key.name, key.algorithm, key.secret, key.name
    );
    if let Some(n) = notify {
        text += &format!("    notify: [{{address: \"{n}\", key: {}}}]\n", key.name);
    }
    for m in members {
        text += &format!(
            "  - name: {m}\n    file: {m}.zone\n    catalog: catalog.test\n    allow-transfer: [{{key: {}}}]\n",
            key.name
        );
    }
    std::fs::write(config, text).unwrap();
}

fn start(config: &std::path::Path) -> ServeProcess {
    ServeProcess::with_config(config)
}

fn show(server: &Server) -> String {
    server.log()
}

#[test]
fn rfc9432_bind_consumes_the_catalog_zonectl_produces() {
    if common::peer("named").is_none() {
        return;
    }
    let key = TestKey::new("cat-key", "hmac-sha256");
    let dir = tempfile::tempdir().unwrap();
    for m in ["a.cat", "b.cat", "c.cat"] {
        std::fs::write(dir.path().join(format!("{m}.zone")), member_zone(m, 1)).unwrap();
    }
    let port = servers::free_port();
    let me: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let config = dir.path().join("serve.yaml");
    let write_config = |members: &[&str], notify: Option<SocketAddr>| {
        write_producer_config(&config, me, &key, members, notify)
    };
    write_config(&["a.cat", "b.cat"], None);
    let serve = start(&config);
    assert!(serial(me, "catalog.test").is_some(), "{}", serve.log());

    let bind_dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(bind_dir.path().join("catz")).unwrap();
    let options = format!(
        "  allow-new-zones yes;\n  catalog-zones {{ zone \"catalog.test\" default-primaries {{ 127.0.0.1 port {port} key \"{}\"; }} zone-directory \"{}/catz\"; }};",
        key.name,
        bind_dir.path().display()
    );
    let zones = format!(
        "{}zone \"catalog.test\" {{ type secondary; file \"catalog.db\"; primaries {{ 127.0.0.1 port {port} key \"{}\"; }}; }};\n",
        servers::bind_key_clause(&key),
        key.name
    );
    let bind = servers::named_with(bind_dir, &options, &zones, &["catalog.test"]).unwrap();
    for m in ["a.cat", "b.cat"] {
        assert!(
            wait_serving(bind.addr(), m, true),
            "BIND does not serve member {m}:\n{}\n{}",
            serve.log(),
            show(&bind)
        );
    }
    assert!(serial(bind.addr(), "c.cat").is_none());
    // c.cat joins and b.cat leaves: the catalog changes, NOTIFY tells BIND.
    write_config(&["a.cat", "c.cat"], Some(bind.addr()));
    serve.signal("HUP");
    assert!(
        wait_serving(bind.addr(), "c.cat", true),
        "BIND did not add c.cat:\n{}\n{}",
        serve.log(),
        show(&bind)
    );
    assert!(
        wait_serving(bind.addr(), "b.cat", false),
        "BIND did not drop b.cat:\n{}",
        show(&bind)
    );
    assert!(serial(bind.addr(), "a.cat").is_some());
}

#[test]
fn rfc9432_zonectl_consumes_the_catalog_bind_produces() {
    if common::peer("named").is_none() {
        return;
    }
    let key = TestKey::new("cat-key", "hmac-sha256");
    let port = servers::free_port();
    let me: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let bind_dir = tempfile::tempdir().unwrap();
    let catalog = |members: &[&str], serial: u32| {
        let mut text = format!(
            "$ORIGIN cat2.test.\n$TTL 0\n@ SOA invalid. invalid. {serial} 3600 600 2419200 0\n@ NS invalid.\nversion TXT \"2\"\n"
        );
        for (i, m) in members.iter().enumerate() {
            text += &format!("m{i}x.zones PTR {m}.\n");
            text += &format!("group.m{i}x.zones TXT \"g{i}\"\n");
        }
        text
    };
    std::fs::write(
        bind_dir.path().join("cat2.test.zone"),
        catalog(&["m1.test"], 1),
    )
    .unwrap();
    let mut zones = servers::bind_key_clause(&key);
    for z in ["cat2.test", "m1.test", "m2.test"] {
        if z != "cat2.test" {
            std::fs::write(bind_dir.path().join(format!("{z}.zone")), member_zone(z, 5)).unwrap();
        }
        zones += &format!(
            "zone \"{z}\" {{ type primary; file \"{z}.zone\"; allow-transfer {{ key \"{}\"; }}; notify explicit; also-notify {{ 127.0.0.1 port {port} key \"{}\"; }}; }};\n",
            key.name, key.name
        );
    }
    let bind_path = bind_dir.path().to_path_buf();
    let bind =
        servers::named_with(bind_dir, "  notify no;", &zones, &["cat2.test", "m1.test"]).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("serve.yaml");
    std::fs::write(
        &config,
        format!(
            "listen: [\"{me}\"]\nkeys:\n  - {{name: {}, algorithm: {}, secret: \"{}\"}}\nzones:\n  - name: cat2.test\n    file: cat2.test.zone\n    primaries: [{{address: \"{}\", key: {}}}]\n    consume-catalog: members\n",
            key.name,
            key.algorithm,
            key.secret,
            bind.addr(),
            key.name
        ),
    )
    .unwrap();
    let serve = start(&config);
    assert!(
        wait_serving(me, "m1.test", true),
        "zonectl does not serve m1.test:\n{}",
        serve.log()
    );
    assert_eq!(serial(me, "m1.test"), Some(5));
    assert!(dir.path().join("members/m1.test.zone").exists());
    // m2.test joins, m1.test leaves.
    std::fs::write(bind_path.join("cat2.test.zone"), catalog(&["m2.test"], 2)).unwrap();
    bind.reload();
    assert!(
        wait_serving(me, "m2.test", true),
        "zonectl did not add m2.test:\n{}\n{}",
        serve.log(),
        bind.log()
    );
    assert!(wait_serving(me, "m1.test", false), "{}", serve.log());
    // Restarted, it serves the members from disk at once.
    drop(serve);
    let serve = start(&config);
    assert_eq!(serial(me, "m2.test"), Some(5), "{}", serve.log());
}

#[test]
fn rfc9432_knot_consumes_the_catalog_zonectl_produces() {
    if common::peer("knotd").is_none() {
        return;
    }
    let key = TestKey::new("cat-key", "hmac-sha256");
    let dir = tempfile::tempdir().unwrap();
    for m in ["a.cat", "b.cat", "c.cat"] {
        std::fs::write(dir.path().join(format!("{m}.zone")), member_zone(m, 1)).unwrap();
    }
    let port = servers::free_port();
    let me: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let config = dir.path().join("serve.yaml");
    let write_config = |members: &[&str], notify: Option<SocketAddr>| {
        write_producer_config(&config, me, &key, members, notify)
    };
    write_config(&["a.cat", "b.cat"], None);
    let serve = start(&config);
    // Knot 3.2: the catalog interpreted, each member a secondary zone made
    // from the member template.
    let body = format!(
        "{}remote:\n  - id: zonectl\n    address: 127.0.0.1@{port}\n    key: {}\nacl:\n  - id: from-zonectl\n    address: 127.0.0.1\n    key: {}\n    action: notify\ntemplate:\n  - id: default\n    storage: \"@DIR@\"\n  - id: member\n    storage: \"@DIR@\"\n    master: zonectl\n    acl: from-zonectl\n    file: \"%s.member.zone\"\nzone:\n  - domain: catalog.test\n    file: \"catalog.test.zone\"\n    master: zonectl\n    acl: from-zonectl\n    catalog-role: interpret\n    catalog-template: member\n",
        servers::knot_key_clause(&key),
        key.name,
        key.name
    );
    // (Knot does not answer queries for a catalog it interprets: the
    // members show that it took it.)
    let knot = servers::knotd_with(&body, &[]).unwrap();
    for m in ["a.cat", "b.cat"] {
        assert!(
            wait_serving(knot.addr(), m, true),
            "Knot does not serve member {m}:\n{}\n{}",
            serve.log(),
            show(&knot)
        );
    }
    assert!(serial(knot.addr(), "c.cat").is_none());
    write_config(&["a.cat", "c.cat"], Some(knot.addr()));
    serve.signal("HUP");
    assert!(
        wait_serving(knot.addr(), "c.cat", true),
        "Knot did not add c.cat:\n{}\n{}",
        serve.log(),
        show(&knot)
    );
    assert!(
        wait_serving(knot.addr(), "b.cat", false),
        "Knot did not drop b.cat:\n{}",
        show(&knot)
    );
    assert!(serial(knot.addr(), "a.cat").is_some());
}
