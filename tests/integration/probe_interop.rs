//! `zonectl probe` end to end: a parent zone and child zones served by NSD
//! on several loopback addresses, Unbound as the resolver in front of them.

use crate::common;

use std::process::Output;

use common::servers::{self, ZoneSpec, free_port};
use common::{exit_code, text, zonectl};

const PARENT: &str = "$ORIGIN test.\n$TTL 300\n@ SOA ns hm 1 3600 600 86400 300\n@ NS ns\nns A 127.0.0.1\n\
good NS ns1.good\ngood NS ns2.good\ngood NS ns3.good\ngood NS ns4.good\n\
ns1.good A 127.0.0.2\nns2.good A 127.0.0.3\nns3.good A 127.0.0.4\nns4.good A 127.0.0.1\n\
cf NS ada.cf\ncf NS bob.cf\n\
ada.cf A 173.245.59.147\nada.cf A 108.162.193.147\nada.cf A 172.64.33.147\n\
ada.cf AAAA 2606:4700:58::adf5:3b93\nada.cf AAAA 2803:f800:50::6ca2:c193\nada.cf AAAA 2a06:98c1:50::ac40:2193\n\
bob.cf A 173.245.58.99\nbob.cf A 108.162.192.99\nbob.cf A 172.64.32.99\n\
bob.cf AAAA 2606:4700:58::adf5:3a63\nbob.cf AAAA 2803:f800:50::6ca2:c063\nbob.cf AAAA 2a06:98c1:50::ac40:2063\n\
lame NS ns1.lame\nns1.lame A 127.0.0.3\n\
aws NS ns-1500.aws\naws NS ns-164.aws\naws NS ns-2028.aws\naws NS ns-917.aws\n\
ns-1500.aws A 205.251.197.220\nns-164.aws A 205.251.192.165\nns-2028.aws A 205.251.199.236\nns-917.aws A 205.251.195.149\n";

fn good(serial: u32) -> String {
    format!(
        "$ORIGIN good.test.\n$TTL 300\n@ SOA ns1 hm {serial} 3600 600 86400 300\n@ NS ns1\n@ NS ns2\n@ NS ns3\n@ NS ns4\n\
         ns1 A 127.0.0.2\nns2 A 127.0.0.3\nns3 A 127.0.0.4\nns4 A 127.0.0.1\nwww A 192.0.2.80\n"
    )
}

const CF: &str = "$ORIGIN cf.test.\n$TTL 300\n@ SOA ada hm 1 3600 600 86400 300\n@ NS ada\n@ NS bob\n\
ada A 173.245.59.147\nada A 108.162.193.147\nada A 172.64.33.147\n\
ada AAAA 2606:4700:58::adf5:3b93\nada AAAA 2803:f800:50::6ca2:c193\nada AAAA 2a06:98c1:50::ac40:2193\n\
bob A 173.245.58.99\nbob A 108.162.192.99\nbob A 172.64.32.99\n\
bob AAAA 2606:4700:58::adf5:3a63\nbob AAAA 2803:f800:50::6ca2:c063\nbob AAAA 2a06:98c1:50::ac40:2063\n";

// The apex lists one more name than the parent, and it is an alias.
const AWS: &str = "$ORIGIN aws.test.\n$TTL 300\n@ SOA ns-1500 hm 1 3600 600 86400 300\n\
@ NS ns-1500\n@ NS ns-164\n@ NS ns-2028\n@ NS ns-917\n@ NS alias\n\
ns-1500 A 205.251.197.220\nns-164 A 205.251.192.164\nns-2028 A 205.251.199.236\nns-917 A 205.251.195.149\n\
alias CNAME ns-917\n";

fn probe(args: &[&str]) -> Output {
    zonectl().arg("probe").args(args).output().unwrap()
}

fn domain<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["domain"] == name)
        .unwrap_or_else(|| panic!("{name} missing: {report}"))
}

fn codes(d: &serde_json::Value) -> Vec<String> {
    d["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn probe_against_nsd_behind_unbound() {
    let port = free_port();
    // Thirty delegated nameservers of silent.test, each with its glue.
    let silent_delegation: String = (0..30)
        .map(|i| {
            format!(
                "silent NS ns{i}.silent\nns{i}.silent A 127.0.0.{}\n",
                40 + i
            )
        })
        .collect();
    let parent_text = format!("{PARENT}{silent_delegation}");
    let parent = [ZoneSpec {
        name: "test",
        text: &parent_text,
        key: None,
    }];
    let current = good(2);
    let children = [
        ZoneSpec {
            name: "good.test",
            text: &current,
            key: None,
        },
        ZoneSpec {
            name: "cf.test",
            text: CF,
            key: None,
        },
        ZoneSpec {
            name: "aws.test",
            text: AWS,
            key: None,
        },
    ];
    let stale_text = good(1);
    let stale = [ZoneSpec {
        name: "good.test",
        text: &stale_text,
        key: None,
    }];
    let Some(_parent) = servers::nsd_on(&["127.0.0.1"], port, &parent) else {
        return;
    };
    let Some(_children) = servers::nsd_on(&["127.0.0.2", "127.0.0.3"], port, &children) else {
        return;
    };
    let Some(_stale) = servers::nsd_on(&["127.0.0.4"], port, &stale) else {
        return;
    };
    let at = |ip: &str| format!("{ip}@{port}");
    let Some(resolver) = servers::unbound(&[
        ("test", at("127.0.0.1")),
        ("good.test", at("127.0.0.2")),
        ("cf.test", at("127.0.0.2")),
        ("aws.test", at("127.0.0.2")),
    ]) else {
        return;
    };
    let resolver_arg = resolver.address_arg();
    let port_arg = port.to_string();
    let base = [
        "--resolver",
        resolver_arg.as_str(),
        "--port",
        port_arg.as_str(),
        "--timeout",
        "1",
    ];

    // Reachability: every server on loopback, one lame, one out of date.
    let mut args = base.to_vec();
    args.extend(["--format", "json", "good.test"]);
    let out = probe(&args);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    let good = domain(&report, "good.test.");
    assert_eq!(good["parent"]["available"], true, "{good}");
    assert_eq!(good["parent"]["zone"], "test.");
    assert_eq!(good["parent"]["ns"].as_array().unwrap().len(), 4);
    assert_eq!(good["apex_ns"].as_array().unwrap().len(), 4);
    let c = codes(good);
    assert!(c.contains(&"lame".to_string()), "{c:?}");
    assert!(c.contains(&"serial-mismatch".to_string()), "{c:?}");
    assert!(c.contains(&"v4-blocks".to_string()), "{c:?}");
    assert_eq!(good["verdict"], "fail");
    // Loopback addresses are special-purpose (RFC 6890), not routable blocks.
    assert!(c.contains(&"special-address".to_string()), "{c:?}");
    assert!(
        good["diversity"]["v4"]["routable_blocks"]
            .as_array()
            .unwrap()
            .is_empty(),
        "{good}"
    );

    // A lame delegation with an in-zone name server: the resolver cannot
    // answer, so the parent's glue is asked directly, and found lame.
    let mut args = base.to_vec();
    args.extend(["--format", "json", "lame.test"]);
    let out = probe(&args);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    let lame_domain = domain(&report, "lame.test.");
    let c = codes(lame_domain);
    assert!(c.contains(&"apex-unavailable".to_string()), "{lame_domain}");
    assert!(c.contains(&"lame".to_string()), "{lame_domain}");
    assert_eq!(lame_domain["verdict"], "fail");
    let ns = &lame_domain["nameservers"][0];
    assert_eq!(ns["name"], "ns1.lame.test.", "{lame_domain}");
    assert_eq!(ns["addresses"][0]["address"], "127.0.0.3", "{lame_domain}");
    assert!(
        ns["error"]
            .as_str()
            .unwrap()
            .contains("the parent's glue is used"),
        "{lame_domain}"
    );

    // Thirty nameservers that never answer (sockets that read nothing):
    // the probe follows twenty, side by side, and stops at --max-time.
    let silent: Vec<(std::net::UdpSocket, std::net::TcpListener)> = (0..30)
        .filter_map(|i| {
            let address = format!("127.0.0.{}:{port}", 40 + i);
            Some((
                std::net::UdpSocket::bind(&address).ok()?,
                std::net::TcpListener::bind(&address).ok()?,
            ))
        })
        .collect();
    assert_eq!(silent.len(), 30, "could not bind the silent servers");
    let mut args = base.to_vec();
    args.extend(["--format", "json", "--max-time", "6", "silent.test"]);
    let started = std::time::Instant::now();
    let out = probe(&args);
    let took = started.elapsed();
    drop(silent);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&out.stdout), text(&out.stderr)));
    let silent_domain = domain(&report, "silent.test.");
    assert!(took < std::time::Duration::from_secs(15), "took {took:?}");
    assert!(
        codes(silent_domain).contains(&"ns-count".to_string()),
        "{silent_domain}"
    );
    assert_eq!(silent_domain["nameservers"].as_array().unwrap().len(), 20);
    assert_eq!(silent_domain["verdict"], "fail");
    let lame = good["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "lame")
        .unwrap();
    assert!(
        lame["message"].as_str().unwrap().contains("ns4.good.test."),
        "{lame}"
    );
    let stale_finding = good["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "serial-mismatch")
        .unwrap();
    assert!(
        stale_finding["message"]
            .as_str()
            .unwrap()
            .contains("1 on ns3.good.test."),
        "{stale_finding}"
    );
    assert_eq!(exit_code(&out), 1);
    let mut args = base.to_vec();
    args.push("good.test");
    let table = text(&probe(&args).stdout);
    assert!(table.contains("NOERROR not authoritative"), "{table}");
    assert!(table.contains("serial-mismatch"), "{table}");

    // Public-looking addresses, as data: Cloudflare passes, AWS fails.
    let mut args = base.to_vec();
    args.extend(["--no-query", "--format", "json", "cf.test", "aws.test"]);
    let out = probe(&args);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cf = domain(&report, "cf.test.");
    assert_eq!(cf["verdict"], "pass", "{cf}");
    assert_eq!(cf["diversity"]["v4"]["blocks"].as_array().unwrap().len(), 3);
    assert_eq!(cf["diversity"]["v6"]["blocks"].as_array().unwrap().len(), 3);
    let aws = domain(&report, "aws.test.");
    assert_eq!(aws["verdict"], "fail", "{aws}");
    let c = codes(aws);
    // (The parent's glue for ns-164 differs from the child's address.)
    for code in ["v4-blocks", "ns-mismatch", "ns-cname", "glue-mismatch"] {
        assert!(c.contains(&code.to_string()), "{code} missing: {c:?}");
    }
    assert_eq!(
        aws["diversity"]["v4"]["blocks"],
        serde_json::json!(["205.0.0.0/8"])
    );
    assert_eq!(exit_code(&out), 1);

    // The table names the verdicts and the reasons in words.
    let mut args = base.to_vec();
    args.extend(["--no-query", "cf.test", "aws.test"]);
    let out = probe(&args);
    let table = text(&out.stdout);
    assert!(table.contains("cf.test.  PASS"), "{table}");
    assert!(table.contains("aws.test.  FAIL"), "{table}");
    assert!(table.contains("205.0.0.0/8: one route leak"), "{table}");

    // With --asn-db, the AS is shown and a single-AS set is flagged.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ip2asn.tsv");
    std::fs::write(&db, "205.251.192.0\t205.251.199.255\t16509\tUS\tAMAZON-02\n173.245.48.0\t173.245.63.255\t13335\tUS\tCLOUDFLARENET\n").unwrap();
    let mut args = base.to_vec();
    args.extend([
        "--no-query",
        "--format",
        "json",
        "--asn-db",
        db.to_str().unwrap(),
        "aws.test",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&probe(&args).stdout).unwrap();
    let aws = domain(&report, "aws.test.");
    assert_eq!(aws["diversity"]["asns"], serde_json::json!([16509]));
    assert_eq!(aws["diversity"]["single_as_failure"], true);

    // Parent servers that do not answer: said so, judged from the apex.
    let dead = free_port().to_string();
    let out = probe(&[
        "--resolver",
        &resolver_arg,
        "--port",
        &dead,
        "--timeout",
        "0.3",
        "--retries",
        "0",
        "--no-query",
        "--format",
        "json",
        "cf.test",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cf = domain(&report, "cf.test.");
    assert_eq!(cf["parent"]["available"], false);
    assert!(codes(cf).contains(&"parent-unavailable".to_string()));
    assert_eq!(cf["verdict"], "warn");
    assert_eq!(exit_code(&out), 0);

    // Domains from a file, probed two at a time, reported in the file's order.
    let list = dir.path().join("domains.txt");
    std::fs::write(
        &list,
        "# ours\ncf.test\naws.test  # the bad one\n\ngood.test\n",
    )
    .unwrap();
    let mut args = base.to_vec();
    args.extend([
        "--no-query",
        "--format",
        "json",
        "--jobs",
        "2",
        "--file",
        list.to_str().unwrap(),
    ]);
    let report: serde_json::Value = serde_json::from_slice(&probe(&args).stdout).unwrap();
    let order: Vec<&str> = report["domains"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["domain"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["cf.test.", "aws.test.", "good.test."]);

    // A domain that does not resolve is reported, not fatal.
    let mut args = base.to_vec();
    args.extend(["--no-query", "--format", "json", "missing.test", "cf.test"]);
    let out = probe(&args);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let missing = domain(&report, "missing.test.");
    assert_eq!(missing["verdict"], "fail", "{missing}");
    assert_eq!(domain(&report, "cf.test.")["verdict"], "pass");
    assert_eq!(exit_code(&out), 1);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(exit_code(&probe(&[])), 2);
    assert_eq!(exit_code(&probe(&["--v4-prefix", "33", "example.com"])), 2);
    let out = probe(&[
        "--resolver",
        "127.0.0.1:1",
        "--asn-db",
        "/nonexistent",
        "example.com",
    ]);
    assert_eq!(exit_code(&out), 2, "{}", text(&out.stderr));
}
