//! Differential tests against the reference tools on the same input:
//! `named-checkzone -D` (BIND's reading of a zone), `ldns-read-zone`, and
//! `kzonecheck`. Each is skipped, with a printed reason, only where the
//! tool is not installed.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// Zones whose canonical form we compare: ours, plus the loadable ones of
/// BIND's and Knot's own suites.
fn fmt_inputs() -> Vec<(PathBuf, String)> {
    let mut inputs = vec![
        (testdata("example.com.zone"), "example.com".to_string()),
        (testdata("alltypes.zone"), "alltypes.example".to_string()),
        (testdata("inherit.zone"), "example".to_string()),
        (testdata("wks.zone"), "example".to_string()),
    ];
    if let Some(suites) = peer_suites() {
        for name in [
            "good1.db",
            "good-svcb.db",
            "good-generate-modifier.db",
            "good-cds.db",
            "good-nsap.db",
            "test1.db",
            "crashzone.db",
            "warn.deprecated.rsasha1.db",
        ] {
            let origin = match name {
                "test1.db" => "test",
                "crashzone.db" => "dyn.example.net",
                _ => "example",
            };
            inputs.push((
                suites.join("bind9-checkzone/zones").join(name),
                origin.to_string(),
            ));
        }
        for name in [
            "no_error_nsec3_optout.signed",
            "dname_apex_nsec3.signed",
            "glue_wildcard.valid",
            "cdnskey.cds",
        ] {
            inputs.push((
                suites.join("knot-semcheck/data").join(name),
                "example.com".to_string(),
            ));
        }
    }
    inputs
}

fn zonectl_fmt(input: &Path, origin: &str, out: &Path) {
    let result = run(&[
        "fmt",
        "--origin",
        origin,
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(
        exit_code(&result),
        0,
        "fmt {}: {}",
        input.display(),
        text(&result.stderr)
    );
}

/// BIND's canonical dump of a zone, as `named-checkzone -D` writes it.
fn named_dump(named_checkzone: &Path, origin: &str, zone: &Path, dir: &Path) -> String {
    let out = dir.join("dump");
    let status = Command::new(named_checkzone)
        .args(["-i", "local", "-k", "ignore", "-D", "-o"])
        .arg(&out)
        .arg(origin)
        .arg(zone)
        .current_dir(zone.parent().unwrap().parent().unwrap())
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "named-checkzone -D {} failed: {}",
        zone.display(),
        text(&status.stdout)
    );
    std::fs::read_to_string(out).unwrap()
}

#[test]
fn fmt_output_reads_back_identically_in_bind() {
    let Some(named) = peer("named-checkzone") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (input, origin) in fmt_inputs() {
        let ours = dir.path().join("ours.zone");
        zonectl_fmt(&input, &origin, &ours);
        let before = named_dump(&named, &origin, &input, dir.path());
        let after = named_dump(&named, &origin, &ours, dir.path());
        assert_eq!(
            before,
            after,
            "BIND reads {} and zonectl's fmt of it differently",
            input.display()
        );
    }
}

#[test]
fn fmt_output_reads_back_identically_in_ldns() {
    let Some(ldns) = peer("ldns-read-zone") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // ldns-read-zone takes no origin: give it one with $ORIGIN.
    let read = |zone: &Path, origin: &str| {
        let with_origin = dir.path().join("with-origin.zone");
        let mut content = format!("$ORIGIN {origin}.\n").into_bytes();
        content.extend(std::fs::read(zone).unwrap());
        std::fs::write(&with_origin, content).unwrap();
        let out = Command::new(&ldns)
            .arg("-z")
            .arg(&with_origin)
            .output()
            .unwrap();
        (out.status.success(), text(&out.stdout), text(&out.stderr))
    };
    let mut compared = 0;
    for (input, origin) in fmt_inputs() {
        let ours = dir.path().join("ours.zone");
        zonectl_fmt(&input, &origin, &ours);
        let (ok_in, before, _) = read(&input, &origin);
        let (ok_out, after, err) = read(&ours, &origin);
        if !ok_in {
            continue; // ldns does not read this input (a type it lacks, $GENERATE modifiers)
        }
        assert!(
            ok_out,
            "ldns-read-zone refuses zonectl's fmt of {}: {err}",
            input.display()
        );
        assert_eq!(
            before,
            after,
            "ldns reads {} and zonectl's fmt of it differently",
            input.display()
        );
        compared += 1;
    }
    // Our two zones always; with the peers' suites beside us, their
    // loadable zones too.
    let expected = if peer_suites().is_some() { 5 } else { 1 };
    assert!(compared >= expected, "only {compared} zones compared");
}

#[test]
fn kzonecheck_gives_the_same_verdict_on_fmt_output() {
    let Some(knot) = peer("kzonecheck") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (input, origin) in fmt_inputs() {
        let ours = dir.path().join("ours.zone");
        zonectl_fmt(&input, &origin, &ours);
        let verdict = |zone: &Path| {
            Command::new(&knot)
                .args(["-v", "-o", &origin])
                .arg(zone)
                .output()
                .unwrap()
        };
        let before = verdict(&input);
        if text(&before.stdout).contains("zone loader")
            || text(&before.stderr).contains("zone loader")
        {
            continue; // Knot cannot load this input at all ($GENERATE, a type it lacks)
        }
        let after = verdict(&ours);
        assert_eq!(
            before.status.code(),
            after.status.code(),
            "kzonecheck judges {} and zonectl's fmt of it differently: {}",
            input.display(),
            text(&after.stderr)
        );
    }
}

/// Zones that a peer rejects and we accept on purpose, with the reason.
const LESS_STRICT: &[(&str, &str, &str)] = &[(
    "kzonecheck",
    "ns-below-dname.bad.zone",
    "a delegation NS target below a DNAME can still be resolved through the DNAME; we warn, as BIND does, where Knot asks for glue",
)];

/// Where named-checkzone or kzonecheck rejects one of our check cases,
/// zonectl rejects it too: we are at least as strict as either peer.
#[test]
fn at_least_as_strict_as_named_checkzone_and_kzonecheck() {
    let named = peer("named-checkzone");
    let knot = peer("kzonecheck");
    let mut compared = 0;
    for entry in std::fs::read_dir(testdata("check")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let ours = exit_code(&run(&[
            "check",
            "--origin",
            "example",
            path.to_str().unwrap(),
        ]));
        if let Some(named) = &named {
            let out = Command::new(named)
                .args(["-i", "local", "example"])
                .arg(&path)
                .output()
                .unwrap();
            if out.status.code() == Some(1) {
                assert_eq!(
                    ours,
                    1,
                    "named-checkzone rejects {name} but zonectl does not: {}",
                    text(&out.stdout)
                );
            }
            compared += 1;
        }
        if let Some(knot) = &knot {
            let out = Command::new(knot)
                .args(["-o", "example"])
                .arg(&path)
                .output()
                .unwrap();
            let judged = !text(&out.stderr).contains("failed to run semantic checks");
            let listed = LESS_STRICT
                .iter()
                .any(|(tool, file, _)| *tool == "kzonecheck" && *file == name);
            if judged && out.status.code() == Some(1) && !listed {
                assert_eq!(
                    ours,
                    1,
                    "kzonecheck rejects {name} but zonectl does not: {}",
                    text(&out.stdout)
                );
            }
            if listed {
                assert_eq!(
                    out.status.code(),
                    Some(1),
                    "{name} is listed as a difference with kzonecheck but it accepts it now"
                );
            }
            compared += 1;
        }
    }
    eprintln!("compared {compared} verdicts");
}

/// SvcParamKeys newer than RFC 9460 (dohpath, ohttp) are written in the
/// generic keyNNNNN form, which BIND, Knot and ldns all read.
#[test]
fn fmt_writes_newer_svcb_keys_so_that_every_peer_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write(
        dir.path(),
        "svcb.zone",
        "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n\
         _dns.ns SVCB 1 ns alpn=h2 dohpath=/dns-query{?dns}\n\
         @ HTTPS 1 . mandatory=ohttp,alpn alpn=h3 ohttp\n",
    );
    let ours = dir.path().join("fmt.zone");
    zonectl_fmt(&zone, "example", &ours);
    let written = std::fs::read_to_string(&ours).unwrap();
    assert!(written.contains("key7=\"/dns-query{?dns}\""), "{written}");
    assert!(
        written.contains("mandatory=alpn,key8 alpn=\"h3\" key8"),
        "{written}"
    );
    let o = ours.to_str().unwrap();
    for (tool, args) in [
        ("named-checkzone", vec!["-i", "local", "example", o]),
        ("kzonecheck", vec!["-o", "example", o]),
        ("ldns-read-zone", vec![o]),
    ] {
        let Some(binary) = peer(tool) else { continue };
        let out = Command::new(binary).args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{tool} refuses fmt's SVCB: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}
