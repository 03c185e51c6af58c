//! A validating resolver in front of `zonectl serve`: Unbound, with the
//! zone's DS as its trust anchor and zonectl as the authority, resolves
//! signed names as secure (AD) and proves the nonexistent ones, for NSEC
//! and NSEC3 zones; with a wrong anchor the same answers are bogus
//! (SERVFAIL), which shows the validation is real.

use std::path::{Path, PathBuf};

use zonectl::wire::{Message, MessageBuilder, Section};
use zonectl::zone::{Name, RType};

use super::common::servers;
use super::common::{run, testdata, text};
use super::serve_util::{ServeProcess, Transport, exchange};

fn sign(dir: &Path, source: &str, extra: &[&str]) -> (PathBuf, String) {
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    let out = run(&[
        "keygen",
        "example",
        "--algorithm",
        "ECDSAP256SHA256",
        "--csk",
        "-K",
        keys.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let signed = dir.join("signed.zone");
    let mut args = vec![
        "sign",
        "-z",
        "example",
        "--keys",
        keys.to_str().unwrap(),
        "-o",
        signed.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let source = testdata(source);
    args.push(source.to_str().unwrap());
    let out = run(&args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["ds", "-z", "example", signed.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let ds = text(&out.stdout).lines().next().unwrap().to_string();
    (signed, ds)
}

/// Asks the resolver (RD, DO): the RCODE and whether AD is set.
fn resolve(resolver: std::net::SocketAddr, name: &str, qtype: RType) -> (u16, bool) {
    let wire = Name::parse(name.as_bytes(), None).unwrap();
    let query = MessageBuilder::new(0x7777, 0, 0x0100)
        .question(wire.as_wire(), qtype, 1)
        .record(Section::Additional, &[0], RType::OPT, 1232, 0x8000, &[])
        .finish();
    let answer = exchange(resolver, &query, Transport::Udp).expect("unbound answers");
    let rcode = Message::parse(&answer).unwrap().full_rcode().unwrap();
    (rcode, answer[3] & 0x20 != 0)
}

fn validate(source: &str, extra: &[&str], cases: &[(&str, RType, u16)]) {
    let dir = tempfile::tempdir().unwrap();
    let (signed, ds) = sign(dir.path(), source, extra);
    let server = ServeProcess::start(&[("example", signed.as_path())], &[]);
    let stub = format!("{}@{}", server.addr.ip(), server.addr.port());
    let Some(resolver) =
        servers::unbound_validating(&[("example", stub.clone())], std::slice::from_ref(&ds))
    else {
        return;
    };
    for (name, qtype, rcode) in cases {
        let (got, secure) = resolve(resolver.addr(), name, *qtype);
        assert_eq!(
            (got, secure),
            (*rcode, true),
            "{name} {qtype}: rcode {got}, AD {secure}\n{}",
            resolver.log()
        );
    }
    drop(resolver);
    // A trust anchor for another key: every answer is bogus.
    let other = tempfile::tempdir().unwrap();
    let (_, wrong_ds) = sign(other.path(), source, extra);
    assert_ne!(ds, wrong_ds);
    let resolver = servers::unbound_validating(&[("example", stub)], &[wrong_ds]);
    if let Some(resolver) = resolver {
        let (got, secure) = resolve(resolver.addr(), cases[0].0, cases[0].1);
        assert_eq!(
            (got, secure),
            (2, false),
            "with a wrong anchor the answer must be bogus (SERVFAIL)"
        );
    }
}

#[test]
fn unbound_validates_nsec_answers_from_zonectl() {
    validate(
        "rfc4035-example.zone",
        &[],
        &[
            ("x.w.example.", RType::MX, 0),
            ("ml.example.", RType::A, 3),
            ("ns1.example.", RType::MX, 0),
            ("a.z.w.example.", RType::MX, 0),
            ("a.z.w.example.", RType::AAAA, 0),
            ("example.", RType::DNSKEY, 0),
        ],
    );
}

#[test]
fn unbound_validates_nsec3_answers_from_zonectl() {
    validate(
        "rfc5155-example.zone",
        &["--nsec3", "--salt", "aabbccdd", "--iterations", "0"],
        &[
            ("x.w.example.", RType::MX, 0),
            ("a.c.x.w.example.", RType::A, 3),
            ("ns1.example.", RType::MX, 0),
            ("y.w.example.", RType::A, 0),
            ("a.z.w.example.", RType::MX, 0),
            ("a.z.w.example.", RType::AAAA, 0),
        ],
    );
}
