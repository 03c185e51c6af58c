//! A validating resolver in front of `zonectl serve`: Unbound, with the
//! zone's DS as its trust anchor and zonectl as the authority, resolves
//! signed names as secure (AD) and proves the nonexistent ones, for NSEC
//! and NSEC3 zones; with a wrong anchor the same answers are bogus
//! (SERVFAIL), which shows the validation is real.

use std::path::{Path, PathBuf};
use std::process::Command;

use zonectl::wire::{Message, MessageBuilder, Section};
use zonectl::zone::{Name, RType};

use super::common::{peer, servers};
use super::common::{run, testdata, text};
use super::serve_util::{ServeProcess, Transport, exchange, sign_with_new_csk};

fn sign(dir: &Path, source: &str, extra: &[&str]) -> (PathBuf, String) {
    let signed = sign_with_new_csk(dir, &testdata(source), "example", extra);
    let ds = ds_of(&signed);
    (signed, ds)
}

/// Asks the resolver (RD, DO): the RCODE and whether AD is set.
pub(crate) fn resolve(resolver: std::net::SocketAddr, name: &str, qtype: RType) -> (u16, bool) {
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
    validate_signed(&signed, &ds, cases);
    // A trust anchor for another key: every answer is bogus.
    let other = tempfile::tempdir().unwrap();
    let (_, wrong_ds) = sign(other.path(), source, extra);
    assert_ne!(ds, wrong_ds);
    let server = ServeProcess::start(&[("example", signed.as_path())], &[]);
    let stub = format!("{}@{}", server.addr.ip(), server.addr.port());
    if let Some(resolver) = servers::unbound_validating(&[("example", stub)], &[wrong_ds]) {
        let (got, secure) = resolve(resolver.addr(), cases[0].0, cases[0].1);
        assert_eq!(
            (got, secure),
            (2, false),
            "with a wrong anchor the answer must be bogus (SERVFAIL)"
        );
    }
}

/// Serves `signed` and resolves each case through a validating Unbound
/// anchored at `ds`: each must be secure, with the RCODE given.
fn validate_signed(signed: &Path, ds: &str, cases: &[(&str, RType, u16)]) {
    let server = ServeProcess::start(&[("example", signed)], &[]);
    let stub = format!("{}@{}", server.addr.ip(), server.addr.port());
    let Some(resolver) = servers::unbound_validating(&[("example", stub)], &[ds.to_string()])
    else {
        return;
    };
    for (name, qtype, rcode) in cases {
        let (got, secure) = resolve(resolver.addr(), name, *qtype);
        if !secure {
            let wire = Name::parse(name.as_bytes(), None).unwrap();
            let q = MessageBuilder::new(1, 0, 0)
                .question(wire.as_wire(), *qtype, 1)
                .record(Section::Additional, &[0], RType::OPT, 1232, 0x8000, &[])
                .finish();
            let direct = exchange(server.addr, &q, Transport::Udp).unwrap();
            eprintln!(
                "zonectl answered: {:#?}",
                super::serve_diff::normalize(&direct)
            );
        }
        assert_eq!(
            (got, secure),
            (*rcode, true),
            "{name} {qtype}: rcode {got}, AD {secure}\n{}",
            resolver.log()
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

const NSEC_CASES: &[(&str, RType, u16)] = &[
    ("x.w.example.", RType::MX, 0),
    ("ml.example.", RType::A, 3),
    ("ns1.example.", RType::MX, 0),
    ("a.z.w.example.", RType::MX, 0),
    ("a.z.w.example.", RType::AAAA, 0),
];

fn run_ok(cmd: &mut Command, what: &str) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(out.status.success(), "{what}: {}", text(&out.stderr));
    text(&out.stdout)
}

/// The RFC 4035 example zone as fmt writes it (every name absolute).
fn canonical(dir: &Path) -> PathBuf {
    let zone = dir.join("example.zone");
    let source = testdata("rfc4035-example.zone");
    let out = run(&[
        "fmt",
        "-z",
        "example",
        source.to_str().unwrap(),
        "-o",
        zone.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    zone
}

fn ds_of(signed: &Path) -> String {
    let out = run(&["ds", "-z", "example", signed.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().next().unwrap().to_string()
}

fn sign_with(signer: &str, signzone: &Path, keygen: &Path, d: &Path, nsec3: bool) -> PathBuf {
    let zone = canonical(d);
    let signed = d.join("signed.zone");
    match signer {
        "dnssec-signzone" => {
            run_ok(
                Command::new(keygen).current_dir(d).args([
                    "-q",
                    "-a",
                    "ECDSAP256SHA256",
                    "-f",
                    "KSK",
                    "example",
                ]),
                "dnssec-keygen",
            );
            let mut cmd = Command::new(signzone);
            cmd.current_dir(d)
                .args([
                    "-q", "-S", "-K", ".", "-z", "-O", "full", "-o", "example", "-f",
                ])
                .arg(&signed);
            if nsec3 {
                cmd.args(["-3", "aabbccdd", "-H", "0"]);
            }
            run_ok(cmd.arg(&zone), "dnssec-signzone");
        }
        "ldns-signzone" => {
            let key = run_ok(
                Command::new(keygen).current_dir(d).args([
                    "-a",
                    "ECDSAP256SHA256",
                    "-k",
                    "example",
                ]),
                "ldns-keygen",
            );
            let mut cmd = Command::new(signzone);
            cmd.current_dir(d).arg("-f").arg(&signed);
            if nsec3 {
                cmd.args(["-n", "-s", "aabbccdd", "-t", "0"]);
            }
            run_ok(cmd.arg(&zone).arg(key.trim()), "ldns-signzone");
        }
        _ => {
            for sub in ["db", "keys", "out"] {
                std::fs::create_dir_all(d.join(sub)).unwrap();
            }
            let conf = d.join("knot.conf");
            let nsec3_policy = if nsec3 {
                "    nsec3: on\n    nsec3-iterations: 0\n"
            } else {
                ""
            };
            std::fs::write(
                &conf,
                format!(
                    "database:\n  storage: {0}/db\nkeystore:\n  - id: default\n    backend: pem\n    config: {0}/keys\npolicy:\n  - id: test\n    algorithm: ecdsap256sha256\n    manual: on\n    single-type-signing: on\n{nsec3_policy}zone:\n  - domain: example\n    file: {1}\n    dnssec-signing: on\n    dnssec-policy: test\n",
                    d.display(),
                    zone.display()
                ),
            )
            .unwrap();
            run_ok(
                Command::new(keygen).arg("-c").arg(&conf).args([
                    "example",
                    "generate",
                    "algorithm=ecdsap256sha256",
                    "ksk=yes",
                    "zsk=yes",
                ]),
                "keymgr",
            );
            run_ok(
                Command::new(signzone)
                    .arg("-c")
                    .arg(&conf)
                    .arg("-o")
                    .arg(d.join("out"))
                    .arg("example"),
                "kzonesign",
            );
            std::fs::copy(d.join("out/example.zone"), &signed).unwrap();
        }
    }
    signed
}

/// Zones signed by BIND, ldns and Knot, with NSEC and with NSEC3, are
/// served by zonectl with the proofs a validator needs. (Not opt-out:
/// there a validator rightly calls NXDOMAIN insecure, RFC 5155 §9.2.)
#[test]
fn zones_signed_by_peers_are_served_and_validated() {
    for (signer, key_tool) in [
        ("dnssec-signzone", "dnssec-keygen"),
        ("ldns-signzone", "ldns-keygen"),
        ("kzonesign", "keymgr"),
    ] {
        let (Some(signzone), Some(keygen)) = (peer(signer), peer(key_tool)) else {
            continue;
        };
        for nsec3 in [false, true] {
            let dir = tempfile::tempdir().unwrap();
            let signed = sign_with(signer, &signzone, &keygen, dir.path(), nsec3);
            eprintln!("{signer}, NSEC3 {nsec3}");
            validate_signed(&signed, &ds_of(&signed), NSEC_CASES);
        }
    }
}
