//! DNSSEC against the real tools: zones signed by zonectl pass
//! dnssec-verify and ldns-verify-zone; zones signed by dnssec-signzone and
//! ldns-signzone pass zonectl verify, and fail it (as they fail
//! dnssec-verify) once tampered with; keys move both ways.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

fn tool_ok(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

/// The bundled example zone in canonical form (peers without `$GENERATE` read it).
fn canonical_example(dir: &Path) -> PathBuf {
    let zone = dir.join("example.com.zone");
    let out = run(&[
        "fmt",
        testdata("example.com.zone").to_str().unwrap(),
        "-o",
        zone.to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    zone
}

fn zonectl_keys(dir: &Path, zone: &str, algorithm: &str) {
    for role in ["--ksk", ""] {
        let mut args = vec![
            "keygen",
            zone,
            "--algorithm",
            algorithm,
            "-K",
            dir.to_str().unwrap(),
        ];
        if !role.is_empty() {
            args.push(role);
        }
        let out = run(&args);
        assert_eq!(exit_code(&out), 0, "keygen: {}", text(&out.stderr));
    }
}

fn zonectl_sign(zone_file: &Path, keys: &Path, out: &Path, extra: &[&str]) {
    let mut args = vec![
        "sign",
        zone_file.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let result = run(&args);
    assert_eq!(
        exit_code(&result),
        0,
        "sign {extra:?}: {}",
        text(&result.stderr)
    );
}

fn zonectl_verify(zone_file: &Path, origin: &str) -> (bool, String) {
    let out = run(&["verify", "--origin", origin, zone_file.to_str().unwrap()]);
    assert_ne!(exit_code(&out), 101, "panic");
    (exit_code(&out) == 0, text(&out.stdout))
}

fn dnssec_verify(bin: &Path, zone_file: &Path, origin: &str) -> (bool, String) {
    tool_ok(Command::new(bin).args(["-o", origin]).arg(zone_file))
}

fn ldns_verify(bin: &Path, zone_file: &Path) -> (bool, String) {
    tool_ok(Command::new(bin).arg(zone_file))
}

#[test]
fn zonectl_signed_zones_pass_dnssec_verify_and_ldns_verify_zone() {
    let bind = peer("dnssec-verify");
    let ldns = peer("ldns-verify-zone");
    let zone = testdata("example.com.zone");
    for algorithm in [
        "ECDSAP256SHA256",
        "ECDSAP384SHA384",
        "ED25519",
        "RSASHA256",
        "RSASHA512",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        zonectl_keys(&keys, "example.com", algorithm);
        for (label, extra) in [
            ("nsec", vec![]),
            ("nsec3", vec!["--nsec3"]),
            ("nsec3-optout", vec!["--nsec3", "--opt-out"]),
            (
                "nsec3-salted",
                vec![
                    "--nsec3",
                    "--salt",
                    "cafe",
                    "--iterations",
                    "5",
                    "--zonemd",
                    "--cds",
                ],
            ),
        ] {
            let signed = dir.path().join(format!("{label}.signed"));
            zonectl_sign(&zone, &keys, &signed, &extra);
            let (ok, out) = zonectl_verify(&signed, "example.com");
            assert!(ok, "{algorithm} {label}: zonectl verify: {out}");
            if let Some(bind) = &bind {
                let (ok, out) = dnssec_verify(bind, &signed, "example.com");
                assert!(ok, "{algorithm} {label}: dnssec-verify: {out}");
            }
            if let Some(ldns) = &ldns {
                let (ok, out) = ldns_verify(ldns, &signed);
                assert!(ok, "{algorithm} {label}: ldns-verify-zone: {out}");
            }
        }
    }
}

#[test]
fn rfc_example_zones_sign_and_validate() {
    let bind = peer("dnssec-verify");
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    zonectl_keys(&keys, "example", "ECDSAP256SHA256");
    for (zone, extra) in [
        ("rfc4035-example.zone", vec![]),
        (
            "rfc5155-example.zone",
            vec![
                "--nsec3",
                "--salt",
                "aabbccdd",
                "--iterations",
                "12",
                "--opt-out",
            ],
        ),
    ] {
        let signed = dir.path().join(format!("{zone}.signed"));
        zonectl_sign(&testdata(zone), &keys, &signed, &extra);
        assert!(zonectl_verify(&signed, "example").0);
        if let Some(bind) = &bind {
            let (ok, out) = dnssec_verify(bind, &signed, "example");
            assert!(ok, "{zone}: {out}");
        }
    }
    // RFC 5155 Appendix A: the NSEC3 owners are the hashes its table lists.
    let signed = std::fs::read_to_string(dir.path().join("rfc5155-example.zone.signed")).unwrap();
    for hash in [
        "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom",
        "35mthgpgcu1qg68fab165klnsnk3dpvl",
        "gjeqe526plbf1g8mklp59enfd789njgi",
        "k8udemvp1j2f7eg6jebps17vp3n8i58h",
        "r53bq7cc2uvmubfu5ocmm6pers9tk9en",
        "t644ebqk9bibcna874givr6joj62mlhv",
    ] {
        assert!(
            signed.contains(&format!("{hash}.example. 3600 IN NSEC3 1 1 12 AABBCCDD")),
            "no NSEC3 for {hash}"
        );
    }
}

/// Tampered copies of a signed zone: one signature byte changed, one NSEC
/// removed, one record added after signing.
fn tampered(signed: &Path, dir: &Path, origin: &str) -> Vec<(&'static str, PathBuf)> {
    let text = std::fs::read_to_string(signed).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    // A signature over an A RRset: change one base64 character of it.
    let sig_line = lines
        .iter()
        .position(|l| l.contains("RRSIG") && l.split_whitespace().any(|w| w == "A"))
        .expect("an RRSIG over A");
    let mut bad_sig: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    let line = &bad_sig[sig_line];
    let last_space = line.trim_end().rfind(|c: char| c.is_whitespace()).unwrap();
    let pos = last_space + 5;
    let mut bytes = line.clone().into_bytes();
    bytes[pos] = if bytes[pos] == b'A' { b'B' } else { b'A' };
    bad_sig[sig_line] = String::from_utf8(bytes).unwrap();
    let p = dir.join("bad-signature.zone");
    std::fs::write(&p, bad_sig.join("\n") + "\n").unwrap();
    out.push(("a changed signature", p));
    // One NSEC (or NSEC3) record removed.
    let denial = lines.iter().position(|l| {
        let w: Vec<&str> = l.split_whitespace().collect();
        w.len() > 4
            && (w[3] == "NSEC" || w[3] == "NSEC3")
            && !w[0].eq_ignore_ascii_case(&format!("{origin}."))
    });
    let denial = denial.expect("an NSEC or NSEC3 record");
    let removed: Vec<&str> = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != denial)
        .map(|(_, l)| *l)
        .collect();
    let p = dir.join("nsec-removed.zone");
    std::fs::write(&p, removed.join("\n") + "\n").unwrap();
    out.push(("a denial record removed", p));
    // One record added after signing.
    let p = dir.join("record-added.zone");
    std::fs::write(
        &p,
        format!("{text}\nadded.{origin}. 3600 IN A 192.0.2.99\n"),
    )
    .unwrap();
    out.push(("a record added", p));
    out
}

fn check_peer_signed(signed: &Path, origin: &str, dir: &Path, bind: Option<&PathBuf>, who: &str) {
    let (ok, out) = zonectl_verify(signed, origin);
    assert!(ok, "zonectl verify rejects the zone {who} signed: {out}");
    for (what, bad) in tampered(signed, dir, origin) {
        let (ok, _) = zonectl_verify(&bad, origin);
        assert!(!ok, "zonectl verify accepts {who}'s zone with {what}");
        if let Some(bind) = bind {
            let (ok, _) = dnssec_verify(bind, &bad, origin);
            assert!(!ok, "dnssec-verify accepts {who}'s zone with {what}");
        }
    }
}

#[test]
fn zones_signed_by_dnssec_signzone_verify_and_tampering_is_caught() {
    let (Some(keygen), Some(signzone)) = (peer("dnssec-keygen"), peer("dnssec-signzone")) else {
        return;
    };
    let bind = peer("dnssec-verify");
    for nsec3 in [false, true] {
        let dir = tempfile::tempdir().unwrap();
        let zone = dir.path().join("example.com.zone");
        std::fs::copy(testdata("example.com.zone"), &zone).unwrap();
        for flags in [&["-f", "KSK"][..], &[][..]] {
            let out = Command::new(&keygen)
                .current_dir(dir.path())
                .args(["-q", "-a", "ECDSAP256SHA256"])
                .args(flags)
                .arg("example.com")
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
        }
        let signed = dir.path().join("signed.zone");
        let mut cmd = Command::new(&signzone);
        cmd.current_dir(dir.path())
            .args([
                "-q",
                "-S",
                "-K",
                ".",
                "-O",
                "full",
                "-o",
                "example.com",
                "-f",
            ])
            .arg(&signed);
        if nsec3 {
            cmd.args(["-3", "-"]);
        }
        let out = cmd.arg(&zone).output().unwrap();
        assert!(
            out.status.success(),
            "dnssec-signzone: {}",
            text(&out.stderr)
        );
        check_peer_signed(
            &signed,
            "example.com",
            dir.path(),
            bind.as_ref(),
            "dnssec-signzone",
        );
    }
}

#[test]
fn zones_signed_by_ldns_signzone_verify_and_tampering_is_caught() {
    let (Some(keygen), Some(signzone)) = (peer("ldns-keygen"), peer("ldns-signzone")) else {
        return;
    };
    let bind = peer("dnssec-verify");
    let dir = tempfile::tempdir().unwrap();
    // ldns reads no $GENERATE: hand it the canonical form.
    let zone = canonical_example(dir.path());
    let mut names = Vec::new();
    for ksk in [true, false] {
        let mut cmd = Command::new(&keygen);
        cmd.current_dir(dir.path()).args(["-a", "ECDSAP256SHA256"]);
        if ksk {
            cmd.arg("-k");
        }
        let out = cmd.arg("example.com").output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        names.push(text(&out.stdout).trim().to_string());
    }
    let signed = dir.path().join("signed.zone");
    let out = Command::new(&signzone)
        .current_dir(dir.path())
        .args(["-f"])
        .arg(&signed)
        .arg(&zone)
        .args(&names)
        .output()
        .unwrap();
    assert!(out.status.success(), "ldns-signzone: {}", text(&out.stderr));
    check_peer_signed(
        &signed,
        "example.com",
        dir.path(),
        bind.as_ref(),
        "ldns-signzone",
    );
}

#[test]
fn keys_move_between_zonectl_bind_and_ldns() {
    let (Some(keygen), Some(signzone), Some(verify)) = (
        peer("dnssec-keygen"),
        peer("dnssec-signzone"),
        peer("dnssec-verify"),
    ) else {
        return;
    };
    let zone = testdata("example.com.zone");
    // BIND's keys sign with zonectl.
    let dir = tempfile::tempdir().unwrap();
    for flags in [&["-f", "KSK"][..], &[][..]] {
        let out = Command::new(&keygen)
            .current_dir(dir.path())
            .args(["-q", "-a", "ED25519"])
            .args(flags)
            .arg("example.com")
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let signed = dir.path().join("signed.zone");
    zonectl_sign(&zone, dir.path(), &signed, &[]);
    let (ok, out) = dnssec_verify(&verify, &signed, "example.com");
    assert!(ok, "zone signed by zonectl with BIND's keys: {out}");
    // zonectl's keys sign with dnssec-signzone.
    let dir = tempfile::tempdir().unwrap();
    zonectl_keys(dir.path(), "example.com", "ECDSAP256SHA256");
    let copy = dir.path().join("example.com.zone");
    std::fs::copy(&zone, &copy).unwrap();
    let signed = dir.path().join("signed.zone");
    let out = Command::new(&signzone)
        .current_dir(dir.path())
        .args(["-q", "-S", "-K", ".", "-o", "example.com", "-f"])
        .arg(&signed)
        .arg(&copy)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "dnssec-signzone with zonectl's keys: {}",
        text(&out.stderr)
    );
    assert!(zonectl_verify(&signed, "example.com").0);
    // ldns's keys sign with zonectl.
    if let Some(ldns_keygen) = peer("ldns-keygen") {
        let dir = tempfile::tempdir().unwrap();
        for ksk in [true, false] {
            let mut cmd = Command::new(&ldns_keygen);
            cmd.current_dir(dir.path()).args(["-a", "ECDSAP384SHA384"]);
            if ksk {
                cmd.arg("-k");
            }
            assert!(cmd.arg("example.com").output().unwrap().status.success());
        }
        let signed = dir.path().join("signed.zone");
        zonectl_sign(&zone, dir.path(), &signed, &[]);
        let (ok, out) = dnssec_verify(&verify, &signed, "example.com");
        assert!(ok, "zone signed by zonectl with ldns's keys: {out}");
    }
}

#[test]
fn resigning_an_unchanged_zone_reuses_signatures_and_a_change_is_resigned() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    zonectl_keys(&keys, "example.com", "ECDSAP256SHA256");
    let first = dir.path().join("first.zone");
    zonectl_sign(&testdata("example.com.zone"), &keys, &first, &[]);
    let second = dir.path().join("second.zone");
    let out = run(&[
        "sign",
        first.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
        "-o",
        second.to_str().unwrap(),
        "--refresh",
        "7d",
        "--format",
        "json",
    ]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["signatures_made"], 0, "{stats}");
    assert!(stats["signatures_reused"].as_u64().unwrap() > 50);
    assert_eq!(
        std::fs::read(&first).unwrap(),
        std::fs::read(&second).unwrap(),
        "an unchanged re-sign gives the same zone"
    );
    // Change one record: its RRset and the touched denial records are signed anew.
    let changed = dir.path().join("changed.zone");
    let text_first = std::fs::read_to_string(&first).unwrap().replace(
        "www.example.com. 3600 IN A 192.0.2.80",
        "www.example.com. 3600 IN A 192.0.2.81",
    );
    std::fs::write(&changed, text_first).unwrap();
    let third = dir.path().join("third.zone");
    let out = run(&[
        "sign",
        changed.to_str().unwrap(),
        "--keys",
        keys.to_str().unwrap(),
        "-o",
        third.to_str().unwrap(),
        "--refresh",
        "7d",
        "--format",
        "json",
    ]);
    let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stats["signatures_made"], 1, "{stats}");
    assert!(zonectl_verify(&third, "example.com").0);
}

#[test]
fn ds_matches_dnssec_dsfromkey() {
    let Some(dsfromkey) = peer("dnssec-dsfromkey") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    zonectl_keys(dir.path(), "example.com", "ECDSAP256SHA256");
    let ksk = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "key"))
        .find(|p| std::fs::read_to_string(p).unwrap().contains("DNSKEY 257"))
        .unwrap();
    let ours = text(&run(&["ds", ksk.to_str().unwrap()]).stdout);
    let theirs = text(
        &Command::new(&dsfromkey)
            .args(["-2"])
            .arg(&ksk)
            .output()
            .unwrap()
            .stdout,
    );
    let fields = |s: &str| {
        s.split_whitespace()
            .filter(|w| *w != "IN" && !w.chars().all(|c| c.is_ascii_digit() && w.len() > 5))
            .map(|w| w.to_ascii_uppercase())
            .collect::<Vec<_>>()
    };
    let (ours_f, theirs_f) = (fields(&ours), fields(&theirs));
    assert_eq!(
        ours_f[ours_f.len() - 4..],
        theirs_f[theirs_f.len() - 4..],
        "ours: {ours} theirs: {theirs}"
    );
}

/// A Knot configuration for `zone_file`, with a PEM keystore in `dir`.
fn knot_config(dir: &Path, zone: &str, zone_file: &Path) -> PathBuf {
    for sub in ["db", "keys", "out"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let conf = dir.join("knot.conf");
    let d = dir.display();
    std::fs::write(
        &conf,
        format!(
            "database:\n  storage: {d}/db\nkeystore:\n  - id: default\n    backend: pem\n    config: {d}/keys\npolicy:\n  - id: test\n    algorithm: ecdsap256sha256\n    manual: on\nzone:\n  - domain: {zone}\n    file: {}\n    dnssec-signing: on\n    dnssec-policy: test\n",
            zone_file.display()
        ),
    )
    .unwrap();
    conf
}

/// A file by name anywhere below `dir` (where Knot keeps its keystore
/// depends on its version).
fn find_file(dir: &Path, name: &str) -> Option<PathBuf> {
    for entry in std::fs::read_dir(dir).ok()? {
        let path = entry.ok()?.path();
        if path.is_dir() {
            if let Some(found) = find_file(&path, name) {
                return Some(found);
            }
        } else if path.file_name().is_some_and(|n| n == name) {
            return Some(path);
        }
    }
    None
}

fn keymgr_generate(keymgr: &Path, conf: &Path, zone: &str) {
    for (ksk, zsk) in [("yes", "no"), ("no", "yes")] {
        let out = Command::new(keymgr)
            .arg("-c")
            .arg(conf)
            .args([
                zone,
                "generate",
                "algorithm=ecdsap256sha256",
                &format!("ksk={ksk}"),
                &format!("zsk={zsk}"),
            ])
            .output()
            .unwrap();
        assert!(out.status.success(), "keymgr: {}", text(&out.stderr));
    }
}

#[test]
fn zones_signed_by_kzonesign_verify_and_tampering_is_caught() {
    let (Some(kzonesign), Some(keymgr)) = (peer("kzonesign"), peer("keymgr")) else {
        return;
    };
    let bind = peer("dnssec-verify");
    let dir = tempfile::tempdir().unwrap();
    let zone = canonical_example(dir.path());
    let conf = knot_config(dir.path(), "example.com", &zone);
    keymgr_generate(&keymgr, &conf, "example.com");
    let out = Command::new(&kzonesign)
        .arg("-c")
        .arg(&conf)
        .arg("-o")
        .arg(dir.path().join("out"))
        .arg("example.com")
        .output()
        .unwrap();
    assert!(out.status.success(), "kzonesign: {}", text(&out.stderr));
    let signed = dir.path().join("out/example.com.zone");
    // Knot writes relative-looking columns; normalise through fmt for the tampering.
    let normal = dir.path().join("knot-signed.zone");
    assert_eq!(
        exit_code(&run(&[
            "fmt",
            "--origin",
            "example.com",
            signed.to_str().unwrap(),
            "-o",
            normal.to_str().unwrap()
        ])),
        0
    );
    check_peer_signed(
        &normal,
        "example.com",
        dir.path(),
        bind.as_ref(),
        "kzonesign",
    );
}

#[test]
fn knot_keys_import_and_sign() {
    let (Some(keymgr), Some(verify)) = (peer("keymgr"), peer("dnssec-verify")) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let conf = knot_config(dir.path(), "example.com", &testdata("example.com.zone"));
    keymgr_generate(&keymgr, &conf, "example.com");
    // keymgr lists "ID TAG KSK|ZSK ..."; the PEM file is keys/ID.pem.
    let list = text(
        &Command::new(&keymgr)
            .arg("-c")
            .arg(&conf)
            .args(["example.com", "list"])
            .output()
            .unwrap()
            .stdout,
    );
    let keys = dir.path().join("bind-format");
    for line in list.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let pem = find_file(dir.path(), &format!("{}.pem", fields[0])).expect("Knot's PEM file");
        let mut args = vec![
            "keygen",
            "example.com",
            "-K",
            keys.to_str().unwrap(),
            "--import",
            pem.to_str().unwrap(),
        ];
        if fields[2] == "KSK" {
            args.push("--ksk");
        }
        let out = run(&args);
        assert_eq!(exit_code(&out), 0, "import: {}", text(&out.stderr));
        assert!(
            text(&out.stdout).contains(&format!("+013+{:05}", fields[1].parse::<u16>().unwrap())),
            "the imported key keeps Knot's tag: {}",
            text(&out.stdout)
        );
    }
    let signed = dir.path().join("signed.zone");
    zonectl_sign(&testdata("example.com.zone"), &keys, &signed, &[]);
    let (ok, out) = dnssec_verify(&verify, &signed, "example.com");
    assert!(ok, "zone signed with Knot's keys: {out}");
}

#[test]
fn two_algorithms_sign_side_by_side_for_a_rollover() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    zonectl_keys(&keys, "example.com", "ECDSAP256SHA256");
    zonectl_keys(&keys, "example.com", "ED25519");
    let signed = dir.path().join("signed.zone");
    zonectl_sign(&testdata("example.com.zone"), &keys, &signed, &[]);
    assert!(zonectl_verify(&signed, "example.com").0);
    if let Some(bind) = peer("dnssec-verify") {
        let (ok, out) = dnssec_verify(&bind, &signed, "example.com");
        assert!(ok, "{out}");
        assert!(
            out.contains("ECDSAP256SHA256") && out.contains("ED25519"),
            "{out}"
        );
    }
    if let Some(ldns) = peer("ldns-verify-zone") {
        assert!(ldns_verify(&ldns, &signed).0);
    }
    // Without the Ed25519 signature of one RRset, the zone is not fully signed.
    let text_signed = std::fs::read_to_string(&signed).unwrap();
    let victim = text_signed
        .lines()
        .position(|l| l.contains(" RRSIG MX 15 "))
        .expect("an Ed25519 signature over MX");
    let broken: Vec<&str> = text_signed
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != victim)
        .map(|(_, l)| l)
        .collect();
    let path = dir.path().join("broken.zone");
    std::fs::write(&path, broken.join("\n")).unwrap();
    let (ok, out) = zonectl_verify(&path, "example.com");
    assert!(!ok && out.contains("rrsig-algorithm-missing"), "{out}");
}

#[test]
fn cds_matches_the_ksk_and_the_delete_form_is_rfc8078() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    zonectl_keys(&keys, "example.com", "ECDSAP256SHA256");
    let signed = dir.path().join("cds.zone");
    zonectl_sign(&testdata("example.com.zone"), &keys, &signed, &["--cds"]);
    let zone = std::fs::read_to_string(&signed).unwrap();
    let ksk = std::fs::read_dir(&keys)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "key"))
        .find(|p| std::fs::read_to_string(p).unwrap().contains("DNSKEY 257"))
        .unwrap();
    let ds = text(&run(&["ds", ksk.to_str().unwrap()]).stdout);
    let digest = ds.split_whitespace().skip(4).collect::<Vec<_>>().join(" ");
    assert!(
        zone.contains(&format!("example.com. 3600 IN CDS {digest}")),
        "CDS {digest} not in the zone"
    );
    assert_eq!(
        exit_code(&run(&["check", signed.to_str().unwrap()])),
        0,
        "the signed zone with CDS/CDNSKEY checks clean"
    );
    let deleted = dir.path().join("delete.zone");
    zonectl_sign(&signed, &keys, &deleted, &["--cds-delete"]);
    let zone = std::fs::read_to_string(&deleted).unwrap();
    assert!(
        zone.contains("example.com. 3600 IN CDS 0 0 0 00\n")
            && zone.contains("example.com. 3600 IN CDNSKEY 0 3 0 AA==\n"),
        "{zone}"
    );
    assert_eq!(zone.matches(" IN CDS ").count(), 1);
    assert_eq!(exit_code(&run(&["check", deleted.to_str().unwrap()])), 0);
    assert!(zonectl_verify(&deleted, "example.com").0);
}
