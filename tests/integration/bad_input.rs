//! Hostile input: each case gets a clear error, a non-zero exit (never the
//! 101 of a panic), and finishes quickly with bounded memory.

use crate::common;

use std::time::{Duration, Instant};

use common::*;

const HEADER: &str =
    "$ORIGIN example.\n$TTL 60\n@ SOA ns h 1 7200 1800 1209600 60\n NS ns\nns A 192.0.2.1\n";

/// Runs `zonectl check` on `zone`; returns (exit code, stdout+stderr).
fn check(zone: &std::path::Path) -> (i32, String) {
    let start = Instant::now();
    let out = run(&["check", "--origin", "example", zone.to_str().unwrap()]);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    let code = exit_code(&out);
    assert_ne!(code, 101, "panic: {}", text(&out.stderr));
    (code, format!("{}{}", text(&out.stdout), text(&out.stderr)))
}

#[test]
fn binary_file() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = (0..200_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    let path = dir.path().join("binary.zone");
    std::fs::write(&path, data).unwrap();
    let (code, out) = check(&path);
    assert_eq!(code, 1);
    assert!(
        out.contains("binary file") || out.contains("too many errors"),
        "{out}"
    );
}

#[test]
fn sparse_two_gigabyte_file_of_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.zone");
    std::fs::File::create(&path)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let (code, out) = check(&path);
    assert_eq!(code, 1);
    assert!(
        out.contains("NUL byte") || out.contains("longer than"),
        "{out}"
    );
}

#[test]
fn a_line_longer_than_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut zone = HEADER.to_string();
    zone.push_str("www TXT ");
    zone.push_str(&"a".repeat(3 << 20));
    let path = write(dir.path(), "long.zone", &zone);
    let (code, out) = check(&path);
    assert_eq!(code, 1);
    assert!(out.contains("line longer than 1048576 bytes"), "{out}");
}

#[test]
fn include_of_dev_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "zero.zone",
        &format!("{HEADER}$INCLUDE /dev/zero\n"),
    );
    let (code, out) = check(&path);
    assert_eq!(code, 1);
    assert!(out.contains("/dev/zero"), "{out}");
}

#[test]
fn include_of_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "self.zone",
        &format!("{HEADER}$INCLUDE self.zone\n"),
    );
    let (code, out) = check(&path);
    assert_eq!(code, 1);
    assert!(out.contains("include loop"), "{out}");
}

#[test]
fn include_chain_deeper_than_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..40 {
        write(
            dir.path(),
            &format!("part{i}.zone"),
            &format!("$INCLUDE part{}.zone\nh{i} A 192.0.2.{}\n", i + 1, i % 250),
        );
    }
    let path = write(
        dir.path(),
        "deep.zone",
        &format!("{HEADER}$INCLUDE part0.zone\n"),
    );
    let (code, out) = check(&path);
    assert_eq!(code, 1);
    assert!(out.contains("nesting deeper than"), "{out}");
}

#[test]
fn a_name_of_300_characters() {
    let dir = tempfile::tempdir().unwrap();
    let long = vec!["abcdefghij".repeat(6); 5].join(".");
    assert!(long.len() > 300);
    let path = write(
        dir.path(),
        "name.zone",
        &format!(
            "{HEADER}{long} A 192.0.2.1\nlabel{} A 192.0.2.2\n",
            "x".repeat(70)
        ),
    );
    let (code, out) = check(&path);
    assert_eq!(code, 1);
    assert!(out.contains("name longer than 255 octets"), "{out}");
    assert!(out.contains("label longer than 63 octets"), "{out}");
}

#[test]
fn a_generate_of_a_billion_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "generate.zone",
        &format!("{HEADER}$GENERATE 0-1000000000 host$ A 192.0.2.1\n"),
    );
    let (code, out) = check(&path);
    assert_eq!(code, 1);
    assert!(out.contains("more than the limit of 1000000"), "{out}");
}

#[test]
fn errors_are_capped_and_reading_stops() {
    let dir = tempfile::tempdir().unwrap();
    let mut zone = HEADER.to_string();
    for i in 0..5000 {
        zone.push_str(&format!("h{i} A 999.0.0.{i}\n"));
    }
    let path = write(dir.path(), "many.zone", &zone);
    let out = run(&[
        "check",
        "--format",
        "json",
        "--origin",
        "example",
        path.to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&out), 1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = report["zones"][0]["diagnostics"].as_array().unwrap();
    assert!(diags.len() <= 105, "{} diagnostics", diags.len());
    assert!(diags.iter().any(|d| d["code"] == "too-many-errors"));
}

#[test]
fn a_directory_given_to_include() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "dir.zone", &format!("{HEADER}$INCLUDE .\n"));
    let (code, out) = check(&path);
    assert_eq!(code, 1);
    assert!(out.contains("not a file"), "{out}");
}

#[test]
fn unbalanced_parentheses_and_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "parens.zone",
        &format!("{HEADER}www TXT \"open\nmail MX ( 10 mail\n"),
    );
    let (code, out) = check(&path);
    assert_eq!(code, 1);
    assert!(out.contains("unbalanced quotes"), "{out}");
    assert!(out.contains("unbalanced parentheses"), "{out}");
}

/// Found by the zone_reader fuzzer: parentheses around nothing made an
/// entry of no tokens, which panicked the reader. It is an empty entry.
#[test]
fn an_entry_of_only_parentheses_is_empty() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "parens.zone",
        &format!("{HEADER}(\n)\nwww A 192.0.2.9\n( ; nothing\n )\n"),
    );
    let (code, out) = check(&path);
    assert_eq!(code, 0, "{out}");
}

/// RFC 3597 §5: generic rdata of a known type must parse as that type.
/// These once panicked check, ds and sign.
#[test]
fn rfc3597_5_generic_rdata_of_a_known_type_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    for (line, what) in [
        ("@ SOA \\# 0", "SOA"),
        ("@ CDS \\# 1 00", "CDS"),
        ("@ DNSKEY \\# 1 01", "DNSKEY"),
        ("www RRSIG \\# 1 00", "RRSIG"),
        ("www A \\# 3 010203", "A"),
        ("www TXT \\# 2 0561", "TXT"),
        ("www TXT \\# text", "length in octets"),
        ("@ ZONEMD \\# 10 00000001 0101 41424344", "RFC 8976"),
    ] {
        let zone = write(dir.path(), "generic.zone", &format!("{HEADER}{line}\n"));
        let (code, out) = check(&zone);
        assert_eq!(code, 1, "{line}: {out}");
        assert!(out.contains(":6:"), "{line}: no line:column in {out}");
        assert!(out.contains(what), "{line}: {out}");
        for args in [
            vec!["ds", "-z", "example", zone.to_str().unwrap()],
            vec![
                "sign",
                "--keys",
                dir.path().to_str().unwrap(),
                "-z",
                "example",
                "-o",
                dir.path().join("out").to_str().unwrap(),
                zone.to_str().unwrap(),
            ],
        ] {
            let out = run(&args);
            assert_ne!(exit_code(&out), 101, "{line}: {args:?} panicked");
            assert_eq!(exit_code(&out), 2, "{line}: {args:?}");
        }
    }
    // The text \# is written quoted.
    let zone = write(
        dir.path(),
        "quoted.zone",
        &format!("{HEADER}www TXT \"\\\\#\" text\n"),
    );
    assert_eq!(check(&zone).0, 0);
}

/// RFC 4034 §3.1.3: only a leftmost `*` is a wildcard label; a `*` further
/// down counts in the RRSIG Labels field.
#[test]
fn rfc4034_3_1_3_star_labels_below_the_leftmost_count() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write(
        dir.path(),
        "example.zone",
        &format!("{HEADER}a.*.b A 192.0.2.9\n*.c A 192.0.2.10\n"),
    );
    let keys = dir.path().join("keys");
    let out = run(&["keygen", "example", "--csk", "-K", keys.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    let signed = dir.path().join("signed");
    let out = run(&[
        "sign",
        "--keys",
        keys.to_str().unwrap(),
        "-o",
        signed.to_str().unwrap(),
        zone.to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    let text_signed = std::fs::read_to_string(&signed).unwrap();
    // a.*.b.example. has 4 labels; *.c.example. has 2 (the wildcard left out).
    assert!(
        text_signed
            .lines()
            .any(|l| l.starts_with("a.*.b.example.") && l.contains("RRSIG A 13 4 ")),
        "{text_signed}"
    );
    assert!(
        text_signed
            .lines()
            .any(|l| l.starts_with("*.c.example.") && l.contains("RRSIG A 13 2 ")),
        "{text_signed}"
    );
    assert_eq!(exit_code(&run(&["verify", signed.to_str().unwrap()])), 0);
    for (tool, args) in [
        ("ldns-verify-zone", vec![signed.to_str().unwrap()]),
        (
            "dnssec-verify",
            vec!["-z", "-o", "example", signed.to_str().unwrap()],
        ),
    ] {
        if let Some(binary) = peer(tool) {
            let out = std::process::Command::new(binary)
                .args(&args)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{tool}: {}{}",
                text(&out.stdout),
                text(&out.stderr)
            );
        }
    }
}

/// A zone of `names` hosts, large enough that signing it takes a while.
fn big_zone(names: usize) -> String {
    let mut zone = String::from(HEADER);
    for i in 0..names {
        zone.push_str(&format!("h{i} A 192.0.2.{}\nh{i} TXT \"{i}\"\n", i % 250));
    }
    zone
}

fn temp_files(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

/// SIGINT or SIGTERM while the signed zone is written leaves neither a
/// temporary file nor a half-written output.
#[test]
fn an_interrupted_sign_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write(dir.path(), "example.zone", &big_zone(60_000));
    let keys = dir.path().join("keys");
    let out = run(&["keygen", "example", "--csk", "-K", keys.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    for signal in ["INT", "TERM"] {
        let output = dir.path().join("signed");
        let mut child = zonectl()
            .args([
                "sign",
                "--keys",
                keys.to_str().unwrap(),
                "-o",
                output.to_str().unwrap(),
                zone.to_str().unwrap(),
            ])
            .spawn()
            .unwrap();
        // Wait until the output's temporary file exists, then interrupt.
        let started = Instant::now();
        while temp_files(dir.path()).is_empty() && started.elapsed() < Duration::from_secs(60) {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(
            !temp_files(dir.path()).is_empty(),
            "no temporary file was seen"
        );
        std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "SIG{signal}: {status:?}");
        assert!(
            temp_files(dir.path()).is_empty(),
            "SIG{signal}: {:?}",
            temp_files(dir.path())
        );
        assert!(!output.exists(), "SIG{signal}: a half-written output");
    }
}

/// `-o` over an existing file keeps its mode and owner; over a symbolic
/// link it writes the file the link points to.
#[test]
fn output_keeps_mode_and_owner_and_follows_links() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let dir = tempfile::tempdir().unwrap();
    let zone = write(dir.path(), "example.zone", HEADER);
    let out_file = write(dir.path(), "out.zone", "; old\n");
    std::fs::set_permissions(&out_file, std::fs::Permissions::from_mode(0o640)).unwrap();
    // As root (CI), hand the output to another user first.
    let as_root = unsafe { libc::geteuid() } == 0;
    if as_root {
        std::os::unix::fs::chown(&out_file, Some(65534), Some(65534)).unwrap();
    }
    let result = run(&[
        "fmt",
        zone.to_str().unwrap(),
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&result), 0, "{}", text(&result.stderr));
    let meta = std::fs::metadata(&out_file).unwrap();
    assert_eq!(meta.mode() & 0o777, 0o640);
    if as_root {
        assert_eq!((meta.uid(), meta.gid()), (65534, 65534));
    }
    let link = dir.path().join("link.zone");
    std::os::unix::fs::symlink("out.zone", &link).unwrap();
    std::fs::write(&out_file, "; older\n").unwrap();
    let result = run(&["fmt", zone.to_str().unwrap(), "-o", link.to_str().unwrap()]);
    assert_eq!(exit_code(&result), 0, "{}", text(&result.stderr));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&out_file)
            .unwrap()
            .contains(" SOA ")
    );
    // -o naming a directory: an error, and no temporary file left.
    let result = run(&[
        "fmt",
        zone.to_str().unwrap(),
        "-o",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&result), 2);
    assert!(temp_files(dir.path()).is_empty());
}

/// A full disk behind standard output is an error (exit 2, said once); a
/// reader that went away (`| head`) is a quiet success. Neither panics.
#[test]
fn standard_output_full_or_closed() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "keygen",
        "example",
        "--ksk",
        "-K",
        dir.path().to_str().unwrap(),
    ]);
    let key = dir.path().join(format!("{}.key", text(&out.stdout).trim()));
    let key = key.to_str().unwrap();
    let zone = testdata("example.com.zone");
    let commands: [&[&str]; 5] = [
        &["ds", key],
        &["tsig-keygen"],
        &["keygen", "example", "-K", dir.path().to_str().unwrap()],
        &["fmt", zone.to_str().unwrap()],
        &["check", zone.to_str().unwrap()],
    ];
    for args in commands {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = zonectl().args(args).stdout(full).output().unwrap();
        assert_eq!(
            exit_code(&out),
            2,
            "{args:?} > /dev/full: {}",
            text(&out.stderr)
        );
        assert!(
            text(&out.stderr).contains("No space left on device"),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let script = format!(
            "{} \"$@\" | (exec 0<&-; sleep 0.3); echo ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_zonectl")
        );
        let out = std::process::Command::new("bash")
            .args(["-c", &script, "zonectl"])
            .args(args)
            .output()
            .unwrap();
        assert_eq!(
            text(&out.stdout).trim(),
            "0",
            "{args:?} | closed: {}",
            text(&out.stderr)
        );
        assert!(!text(&out.stderr).contains("panicked"), "{args:?}");
    }
}

/// Durations and counts out of range are usage errors, not overflows or
/// silent replacements.
#[test]
fn durations_counts_and_secrets_out_of_range_are_usage_errors() {
    let huge = "18446744073709551615";
    for args in [
        vec!["notify", "example", "--to", "127.0.0.1", "--timeout", huge],
        vec!["notify", "example", "--to", "127.0.0.1", "--timeout", "0"],
        vec!["notify", "example", "--to", "127.0.0.1", "--tries", "0"],
        vec!["xfr", "example", "--from", "127.0.0.1", "--timeout", huge],
        vec!["xfr", "example", "--from", "127.0.0.1", "--timeout", "0"],
        vec![
            "xfr",
            "example",
            "--from",
            "127.0.0.1",
            "-o",
            "z",
            "--keep",
            "4294967296",
        ],
        vec!["probe", "example", "--timeout", "0"],
        vec!["probe", "example", "--retries", huge],
        vec!["probe", "example", "--jobs", "0"],
    ] {
        let out = run(&args);
        assert_eq!(exit_code(&out), 2, "{args:?}: {}", text(&out.stderr));
        assert!(!text(&out.stderr).contains("panicked"), "{args:?}");
    }
    let out = run(&["xfr", "example", "--from", "127.0.0.1", "-y", "name:"]);
    assert_eq!(exit_code(&out), 2);
    assert!(
        text(&out.stderr).contains("secret is empty"),
        "{}",
        text(&out.stderr)
    );
}

/// NSEC3 parameters written into one octet (the salt length) or beyond
/// what validators accept (iterations) are refused by sign and reported
/// by check.
#[test]
fn nsec3_salt_and_iterations_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write(dir.path(), "example.zone", HEADER);
    let keys = dir.path().join("keys");
    let out = run(&["keygen", "example", "--csk", "-K", keys.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    let signed = dir.path().join("signed");
    let sign = |extra: &[&str]| {
        let mut args = vec![
            "sign",
            "--keys",
            keys.to_str().unwrap(),
            "--nsec3",
            "-o",
            signed.to_str().unwrap(),
            zone.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    let salt = "ab".repeat(256);
    let out = sign(&["--salt", &salt]);
    assert_eq!(exit_code(&out), 2);
    assert!(
        text(&out.stderr).contains("at most 255 octets"),
        "{}",
        text(&out.stderr)
    );
    assert!(!signed.exists());
    let out = sign(&["--iterations", "101"]);
    assert_eq!(exit_code(&out), 2);
    assert!(
        text(&out.stderr).contains("more than 100 as insecure"),
        "{}",
        text(&out.stderr)
    );
    let out = sign(&["--iterations", "200", "--force-iterations"]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    let out = run(&[
        "check",
        "--format",
        "json",
        signed.to_str().unwrap(),
        "-z",
        "example",
    ]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let finding = report["zones"][0]["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "nsec3-iterations")
        .cloned()
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(finding["severity"], "warning");
    assert!(finding["message"].as_str().unwrap().contains("and BIND"));
    assert_eq!(
        report["zones"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["code"] == "nsec3-iterations")
            .count(),
        1,
        "check says it once: {report}"
    );
    // verify warns too, and the zone stays valid: validators accept it,
    // if only as insecure.
    let out = run(&["verify", "--format", "json", signed.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stdout));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], true);
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{report}");
    assert_eq!(problems[0]["code"], "nsec3-iterations");
    assert_eq!(problems[0]["severity"], "warning");
    let out = run(&["verify", signed.to_str().unwrap()]);
    assert!(
        text(&out.stdout).contains("0 problems, 1 warnings: valid"),
        "{}",
        text(&out.stdout)
    );
}

/// FIFOs and devices where files are expected: refused at once, never
/// read forever; in a directory check they are passed over.
#[test]
fn fifos_and_devices_are_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo.zone");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let fifo_text = fifo.to_str().unwrap();
    write(dir.path(), "example.zone", HEADER);
    write(
        dir.path(),
        "includes.zone",
        &format!("{HEADER}$INCLUDE {fifo_text}\n"),
    );
    let key_dir = dir.path().join("k");
    let cases: Vec<(Vec<&str>, i32)> = vec![
        (vec!["check", dir.path().to_str().unwrap()], 1),
        (vec!["check", "-z", "example", fifo_text], 2),
        (
            vec![
                "notify",
                "example",
                "--to",
                "127.0.0.1:9",
                "--zone-file",
                fifo_text,
            ],
            2,
        ),
        (
            vec![
                "keygen",
                "example",
                "-K",
                key_dir.to_str().unwrap(),
                "--import",
                "/dev/zero",
            ],
            2,
        ),
        (
            vec!["xfr", "example", "--from", "127.0.0.1:9", "-k", "/dev/zero"],
            2,
        ),
        (
            vec!["probe", "example", "--asn-db", "/dev/zero", "--no-query"],
            2,
        ),
        (vec!["probe", "--file", fifo_text], 2),
    ];
    for (args, expected) in cases {
        let started = Instant::now();
        let out = run(&args);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{args:?} took too long"
        );
        assert_eq!(
            exit_code(&out),
            expected,
            "{args:?}: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
        if args[0] == "check" && expected == 1 {
            // The including zone reports the FIFO; the FIFO itself is not a zone.
            assert!(said.contains("not a regular file (a FIFO)"), "{said}");
            assert!(!said.contains("fifo.zone: zone"), "{said}");
        } else {
            assert!(
                said.contains("not a regular file") || said.contains("larger than"),
                "{args:?}: {said}"
            );
        }
    }
}

/// A dangling link or a link loop in a directory is reported, and the
/// other zones are still checked.
#[test]
fn one_bad_entry_does_not_stop_a_directory_check() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "example.zone", HEADER);
    std::os::unix::fs::symlink("nowhere.zone", dir.path().join("dangling.zone")).unwrap();
    std::os::unix::fs::symlink("loop-b.zone", dir.path().join("loop-a.zone")).unwrap();
    std::os::unix::fs::symlink("loop-a.zone", dir.path().join("loop-b.zone")).unwrap();
    let out = run(&["check", "--format", "json", dir.path().to_str().unwrap()]);
    assert_eq!(exit_code(&out), 2);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let zones = report["zones"].as_array().unwrap();
    let message = |name: &str| {
        zones
            .iter()
            .find(|z| z["file"].as_str().unwrap().ends_with(name))
            .map(|z| {
                z["diagnostics"][0]["message"]
                    .as_str()
                    .unwrap_or("")
                    .to_string()
            })
            .unwrap_or_else(|| panic!("{name} missing: {report}"))
    };
    assert!(message("dangling.zone").contains("a symbolic link to nothing"));
    assert!(message("loop-a.zone").contains("a loop of symbolic links"));
    let good = zones
        .iter()
        .find(|z| z["file"].as_str().unwrap().ends_with("example.zone"))
        .unwrap();
    assert_eq!(good["errors"], 0, "{report}");
    assert_eq!(good["origin"], "example.");
}

/// A DNSKEY whose public key is not its algorithm's format is its own
/// finding in check, and ds makes no DS for it.
#[test]
fn malformed_keys_are_named_and_get_no_ds() {
    let dir = tempfile::tempdir().unwrap();
    // A 31-octet Ed25519 key and a 10-octet P-256 key.
    let ed = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==";
    let p256 = "AAECAwQFBgcICQ==";
    let zone = write(
        dir.path(),
        "example.zone",
        &format!("{HEADER}@ DNSKEY 257 3 15 {ed}\n@ DNSKEY 257 3 13 {p256}\n"),
    );
    let (code, out) = check(&zone);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(":6: error[dnskey-invalid]"), "{out}");
    assert!(
        out.contains("Ed25519 keys are 32 octets, this one has 31"),
        "{out}"
    );
    assert!(out.contains(":7: error[dnskey-invalid]"), "{out}");
    let ds = run(&["ds", "-z", "example", zone.to_str().unwrap()]);
    assert_eq!(exit_code(&ds), 2, "{}", text(&ds.stdout));
    assert!(text(&ds.stdout).is_empty());
    assert!(
        text(&ds.stderr).contains("no DS is made for it"),
        "{}",
        text(&ds.stderr)
    );
}

/// `--include-root` keeps `$INCLUDE` inside a directory, and an error never
/// quotes more than a short token of what a file holds.
#[test]
fn includes_stay_inside_the_root_and_errors_do_not_repeat_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let zones = dir.path().join("zones");
    std::fs::create_dir(&zones).unwrap();
    let secret = write(
        dir.path(),
        "id_ed25519.pub",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHsecretsecretsecretsecretsecretsecret user@host\n",
    );
    let zone = write(
        &zones,
        "example.zone",
        &format!("{HEADER}$INCLUDE {}\n", secret.display()),
    );
    let z = zone.to_str().unwrap();
    let out = run(&[
        "check",
        "--include-root",
        zones.to_str().unwrap(),
        "-z",
        "example",
        z,
    ]);
    assert_eq!(exit_code(&out), 1);
    assert!(
        text(&out.stdout).contains("is outside the include root"),
        "{}",
        text(&out.stdout)
    );
    // Without a root the include is read, as BIND does; its content is
    // quoted at most in part.
    let out = run(&["check", "-z", "example", z]);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!said.contains("secretsecretsecretsecret"), "{said}");
    let out = run(&[
        "fmt",
        "--include-root",
        zones.to_str().unwrap(),
        "-z",
        "example",
        z,
    ]);
    assert_eq!(exit_code(&out), 2);
    assert!(text(&out.stderr).contains("outside the include root"));
}

/// Key problems are said where they are: the .private file by its own
/// name, a private key of the wrong length as such, a missing directory
/// as itself, and a key others can read as a warning.
#[test]
fn key_file_messages_name_the_real_problem() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let zone = write(dir.path(), "example.zone", HEADER);
    let keys = dir.path().join("keys");
    let out = run(&[
        "keygen",
        "example",
        "-a",
        "ED25519",
        "--csk",
        "-K",
        keys.to_str().unwrap(),
    ]);
    let stem = keys.join(text(&out.stdout).trim());
    let private = std::path::PathBuf::from(format!("{}.private", stem.display()));
    let sign = |keys_arg: &str| {
        run(&[
            "sign",
            "--keys",
            keys_arg,
            "-o",
            dir.path().join("out").to_str().unwrap(),
            zone.to_str().unwrap(),
        ])
    };
    // Readable by others: a warning, signing goes on.
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = sign(keys.to_str().unwrap());
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("is readable by others"),
        "{}",
        text(&out.stderr)
    );
    // A private key of 31 octets.
    let original = std::fs::read_to_string(&private).unwrap();
    let short: String = original
        .lines()
        .map(|l| match l.strip_prefix("PrivateKey: ") {
            Some(_) => "PrivateKey: AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==".to_string(),
            None => l.to_string(),
        })
        .map(|l| l + "\n")
        .collect();
    std::fs::write(&private, short).unwrap();
    let out = sign(keys.to_str().unwrap());
    assert_eq!(exit_code(&out), 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .contains(".private: the PrivateKey field is 31 octets; an Ed25519 private key is 32"),
        "{stderr}"
    );
    // A field missing: reported under the .private name.
    std::fs::write(
        &private,
        "Private-key-format: v1.3\nAlgorithm: 15 (ED25519)\n",
    )
    .unwrap();
    let stderr = text(&sign(keys.to_str().unwrap()).stderr);
    assert!(stderr.contains(".private: no PrivateKey field"), "{stderr}");
    // A directory that does not exist is not "/nonexistent/.key".
    let stderr = text(&sign("/nonexistent/").stderr);
    assert!(
        stderr.contains("/nonexistent/: No such file or directory"),
        "{stderr}"
    );
    assert!(!stderr.contains("/.key"), "{stderr}");
}
