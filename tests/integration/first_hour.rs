//! What a new user meets in the first hour: check's output, flags that
//! read the way the peers' tools do, key and file errors, help texts.
//! Each test pins one behaviour that was once wrong.

use crate::common;

use std::path::Path;

use common::*;

const ZONE: &str = "$TTL 3600
@ SOA ns1 hm 1 7200 1800 1209600 3600
@ NS ns1
ns1 A 192.0.2.1
www A 192.0.2.2
www AAAA 2001:db8::1
alias CNAME www
@ MX 10 ns1
@ MX 20 alias
";

fn keygen(dir: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "keygen",
        "example.com",
        "-a",
        "ECDSAP256SHA256",
        "-K",
        dir.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    text(&out.stdout).trim().to_string()
}

/// ZONE signed with a new CSK in `dir` (with `extra` sign options), as
/// `dir/signed`.
fn sign_with_a_csk(dir: &Path, extra: &[&str]) -> std::path::PathBuf {
    let zone = write(dir, "example.com.zone", ZONE);
    keygen(dir, &["--csk"]);
    let signed = dir.join("signed");
    let mut args = vec!["sign", "--keys", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.extend(["-o", signed.to_str().unwrap(), zone.to_str().unwrap()]);
    let out = run(&args);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    signed
}

#[test]
fn check_prints_one_compiler_style_line_per_finding_at_the_offending_record() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write(dir.path(), "example.com.zone", ZONE);
    let out = run(&["check", zone.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 1);
    let stdout = text(&out.stdout);
    // The MX whose target is a CNAME is on line 9, not the RRset's line 8.
    let expected = format!(
        "{}:9: error[target-cname]: example.com./MX target alias.example.com. is a CNAME (illegal, RFC 2181 §10.3)",
        zone.display()
    );
    assert!(stdout.lines().any(|l| l == expected), "{stdout}");
    assert!(!stdout.contains('│'), "a table by default: {stdout}");
    assert!(
        !stdout.contains('\x1b'),
        "colour when not on a terminal: {stdout}"
    );
    let coloured = text(&run(&["check", "--color", "always", zone.to_str().unwrap()]).stdout);
    assert!(coloured.contains("\x1b[1;31merror\x1b[0m"), "{coloured}");
    let table = text(&run(&["check", "--format", "table", zone.to_str().unwrap()]).stdout);
    assert!(
        table.contains("target-cname") && table.contains('│'),
        "{table}"
    );
}

#[test]
fn check_reports_every_file_of_a_batch_and_exits_2_for_the_unreadable_one() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "good.zone",
        ZONE.replace("@ MX 20 alias\n", "").as_str(),
    );
    let typo = write(dir.path(), "typo.zone", &format!("{ZONE}bad A 300.1.1.1\n"));
    let missing = dir.path().join("missing.zone");
    let out = run(&[
        "check",
        "--format",
        "json",
        "-z",
        "example.com",
        good.to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stdout));
    let out = run(&[
        "check",
        "--format",
        "json",
        good.to_str().unwrap(),
        missing.to_str().unwrap(),
        typo.to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&out), 2);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let zones = report["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 3, "{report}");
    assert_eq!(zones[0]["errors"], 0);
    assert_eq!(zones[1]["diagnostics"][0]["code"], "io");
    assert_eq!(zones[2]["diagnostics"][0]["code"], "syntax");
}

#[test]
fn check_reads_standard_input() {
    let mut cmd = zonectl();
    cmd.args(["check", "-z", "example.com", "-"]);
    let out = common::output_with_stdin(cmd, ZONE.as_bytes());
    assert_eq!(exit_code(&out), 1);
    assert!(
        text(&out.stdout).contains("<stdin>:9: error[target-cname]"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn a_directory_check_leaves_out_include_fragments_journals_and_keys() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "example.com.zone",
        "$TTL 3600\n@ SOA ns1 hm 1 7200 1800 1209600 3600\n@ NS ns1\nns1 A 192.0.2.1\n$INCLUDE hosts.inc\n",
    );
    write(dir.path(), "hosts.inc", "www A 192.0.2.2\nbroken A 1.2.3\n");
    write(
        dir.path(),
        "example.com.zone.jnl",
        "; zonectl journal 1 example.com.\n",
    );
    write(dir.path(), "Kexample.com.+013+00001.key", "garbage\n");
    let out = zonectl()
        .args(["check", "--format", "json", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let zones = report["zones"].as_array().unwrap();
    assert_eq!(zones.len(), 1, "{report}");
    let diags = zones[0]["diagnostics"].as_array().unwrap();
    let syntax: Vec<_> = diags.iter().filter(|d| d["code"] == "syntax").collect();
    assert_eq!(syntax.len(), 1, "the fragment's error once: {diags:?}");
    assert!(syntax[0]["file"].as_str().unwrap().ends_with("hosts.inc"));
}

#[test]
fn strict_does_not_fail_on_advice_and_ignore_knows_its_codes() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write(
        dir.path(),
        "example.com.zone",
        "$TTL 3600\n@ SOA ns1 hm 1 7200 1800 2419200 3600\n@ NS ns1\nns1 A 192.0.2.1\nwww AAAA 2001:db8::1\n",
    );
    let out = run(&["check", "--strict", zone.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("info[no-ipv6-servers]"));
    let out = run(&["check", "--ignore", "no-such-code", zone.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 2);
    assert!(text(&out.stderr).contains("no such finding code; the codes are: "));
    assert!(text(&out.stderr).contains("target-cname"));
}

#[test]
fn expired_signatures_are_one_finding_with_their_time_and_unsigned_zones_point_at_the_soa() {
    let dir = tempfile::tempdir().unwrap();
    let signed = sign_with_a_csk(
        dir.path(),
        &[
            "--inception",
            "20200101000000",
            "--expiration",
            "20200201000000",
        ],
    );
    let zone = dir.path().join("example.com.zone");
    let out = run(&["verify", "--format", "json", signed.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems = report["problems"].as_array().unwrap();
    let expired: Vec<_> = problems
        .iter()
        .filter(|p| p["code"] == "rrsig-expired")
        .collect();
    assert_eq!(expired.len(), 1, "{problems:?}");
    let message = expired[0]["message"].as_str().unwrap();
    assert!(
        message.contains("RRSIGs expired at 2020-02-01 00:00:00 UTC"),
        "{message}"
    );
    // The time given with a space before a negative value.
    let out = run(&["verify", "--time", "-1d", zone.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 1);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(":2") && stdout.contains("unsigned"),
        "{stdout}"
    );
}

#[test]
fn sign_takes_options_first_and_warns_about_a_zsk_without_ksk() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write(dir.path(), "example.com.zone", ZONE);
    let keys = dir.path().join("keys");
    keygen(&keys, &[]);
    let signed = dir.path().join("signed");
    // As dnssec-signzone is called: options, then the zone.
    let out = run(&[
        "sign",
        "--keys",
        keys.to_str().unwrap(),
        "--inception",
        "-2h",
        "-o",
        signed.to_str().unwrap(),
        zone.to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("has a ZSK but no KSK")
            && text(&out.stderr).contains("dnssec-verify"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn ds_takes_a_private_key_file_and_key_errors_name_the_path_once() {
    let dir = tempfile::tempdir().unwrap();
    let stem = keygen(dir.path(), &["--ksk"]);
    let from_key = run(&[
        "ds",
        dir.path().join(format!("{stem}.key")).to_str().unwrap(),
    ]);
    let from_private = run(&[
        "ds",
        dir.path().join(format!("{stem}.private")).to_str().unwrap(),
    ]);
    assert_eq!(
        exit_code(&from_private),
        0,
        "{}",
        text(&from_private.stderr)
    );
    assert_eq!(from_key.stdout, from_private.stdout);
    let zone = write(dir.path(), "example.com.zone", ZONE);
    let out = run(&[
        "sign",
        "--keys",
        "nokeys.key",
        "-o",
        dir.path().join("out").to_str().unwrap(),
        zone.to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&out), 2);
    let stderr = text(&out.stderr);
    assert_eq!(stderr.matches("nokeys.key").count(), 1, "{stderr}");
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
    assert!(!stderr.contains("os error"), "{stderr}");
}

#[test]
fn keygen_says_what_to_do_about_a_short_rsa_key_and_refuses_bits_for_ed25519() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = run(&[
        "keygen",
        "example.com",
        "-a",
        "RSASHA256",
        "--bits",
        "1024",
        "-K",
        d,
    ]);
    assert_eq!(exit_code(&out), 2);
    assert!(text(&out.stderr).contains("give --bits from 2048 to 4096"));
    let out = run(&[
        "keygen",
        "example.com",
        "-a",
        "ED25519",
        "--bits",
        "4096",
        "-K",
        d,
    ]);
    assert_eq!(exit_code(&out), 2);
    assert!(text(&out.stderr).contains("--bits is for RSA keys"));
}

#[test]
fn origin_is_z_and_o_is_output_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write(dir.path(), "db.example", ZONE);
    let out_file = dir.path().join("canonical");
    let out = run(&[
        "fmt",
        "-z",
        "example.com",
        zone.to_str().unwrap(),
        "-o",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    assert!(out_file.exists());
    let out = run(&["check", "-n", "example.com", zone.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 1, "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("zone example.com."));
    // -o is no longer the origin for check.
    assert_eq!(
        exit_code(&run(&[
            "check",
            "-o",
            "example.com",
            zone.to_str().unwrap()
        ])),
        2
    );
}

#[test]
fn help_tells_the_truth_and_every_subcommand_has_examples() {
    let out = run(&["--help"]);
    let help = text(&out.stdout);
    // The help names only what exists: serve, diff and push do now,
    // health does not yet.
    assert!(help.contains(" serve "), "{help}");
    assert!(help.contains(" push ") && help.contains(" diff "), "{help}");
    assert!(!help.contains(" health "), "{help}");
    for sub in [
        "check",
        "fmt",
        "keygen",
        "sign",
        "verify",
        "ds",
        "xfr",
        "notify",
        "probe",
        "serve",
        "diff",
        "push",
        "tsig-keygen",
        "completions",
        "man",
    ] {
        let out = run(&[sub, "--help"]);
        assert!(
            text(&out.stdout).contains("Examples:"),
            "{sub} --help has no examples"
        );
    }
    let page = std::fs::read_to_string(root().join("man/zonectl-check.1")).unwrap();
    assert!(
        page.contains(".SH EXAMPLES\n.nf"),
        "examples are not in a no-fill block"
    );
    assert!(
        page.contains("\\fBzonectl check\\fR"),
        "the synopsis cannot be typed"
    );
}

#[test]
fn no_stray_files_at_the_repository_root() {
    let stray: Vec<String> = std::fs::read_dir(root())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("dsset-") || n.starts_with("K") && n.ends_with(".key"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

/// On a terminal, sign's progress bar counts up to the RRsets really
/// signed (it once stopped short of an estimate) and shows a whole rate
/// ("7,843/s", not "7,842.8327/s"). `script` gives the command a terminal.
#[test]
fn the_sign_progress_bar_ends_at_its_total_with_a_whole_rate() {
    let Some(script) = peer("script") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let mut zone = String::from(
        "$TTL 3600\n@ SOA ns1 hm 1 7200 1800 1209600 3600\n@ NS ns1\nns1 A 192.0.2.1\n",
    );
    for i in 0..60_000 {
        zone.push_str(&format!("h{i} A 192.0.2.{}\nh{i} TXT \"{i}\"\n", i % 250));
    }
    let zone = write(dir.path(), "example.com.zone", &zone);
    keygen(dir.path(), &["--csk"]);
    let signed = dir.path().join("signed");
    let json = dir.path().join("stats.json");
    let command = format!(
        "{} sign --keys {} --format json -o {} {} > {}",
        env!("CARGO_BIN_EXE_zonectl"),
        dir.path().display(),
        signed.display(),
        zone.display(),
        json.display()
    );
    let out = std::process::Command::new(script)
        .args(["-qefc", &command, "/dev/null"])
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stats: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let signed_sets = stats["rrsets_signed"].as_u64().unwrap();
    let screen = text(&out.stdout);
    // Each frame: "… 12,345/180,007 RRsets signed (7,843/s, 3s left)".
    let frames: Vec<(u64, u64, &str)> = screen
        .split(['\r', '\n'])
        .filter_map(|frame| {
            let (counts, rest) = frame.split_once(" RRsets signed (")?;
            let (pos, len) = counts.rsplit(' ').next()?.split_once('/')?;
            let number = |s: &str| s.replace(',', "").parse::<u64>().ok();
            Some((
                number(pos)?,
                number(len)?,
                rest.split(", ").next().unwrap_or(rest),
            ))
        })
        .collect();
    if frames.is_empty() {
        // Signing was over before the bar's first second: nothing to judge.
        eprintln!("SKIPPED: signing took under a second here; no bar was drawn");
        return;
    }
    let largest_total = frames.iter().map(|f| f.1).max().unwrap();
    assert_eq!(largest_total, signed_sets, "{screen:?}");
    assert!(frames.iter().all(|f| f.0 <= f.1), "{frames:?}");
    for (_, _, rate) in &frames {
        assert!(
            rate.ends_with("/s") && !rate.contains('.'),
            "rate {rate:?} in {frames:?}"
        );
    }
}

#[test]
fn bash_completion_offers_algorithm_names() {
    let bash = text(&run(&["completions", "bash"]).stdout);
    assert!(
        bash.contains("ECDSAP256SHA256 ECDSAP384SHA384 ED25519 RSASHA256 RSASHA512"),
        "keygen -a completes file names"
    );
    assert!(
        bash.contains("hmac-sha256 hmac-sha384 hmac-sha512"),
        "tsig-keygen -a"
    );
}

#[test]
fn a_superfluous_rrsig_is_called_that() {
    let dir = tempfile::tempdir().unwrap();
    let signed = sign_with_a_csk(dir.path(), &[]);
    // Drop the AAAA record and keep its signature.
    let kept: String = std::fs::read_to_string(&signed)
        .unwrap()
        .lines()
        .filter(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            !(fields.first() == Some(&"www.example.com.") && fields.get(3) == Some(&"AAAA"))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&signed, kept).unwrap();
    let out = run(&["verify", "--format", "json", signed.to_str().unwrap()]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let superfluous: Vec<&serde_json::Value> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["code"] == "rrsig-superfluous")
        .collect();
    assert_eq!(superfluous.len(), 1, "{report}");
    assert!(
        superfluous[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("superfluous RRSIG covering AAAA at www.example.com."),
        "{report}"
    );
}
