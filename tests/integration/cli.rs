//! The binary as users and scripts see it: exit codes, messages, JSON,
//! fmt idempotence, and generated files kept in sync.

use crate::common;

use common::*;

#[test]
fn clean_zone_exits_0_with_a_summary() {
    let out = run(&["check", testdata("example.com.zone").to_str().unwrap()]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains(
        "zone example.com. serial 2026112501: 40 records, 0 errors, 0 warnings, 0 info: OK"
    ));
}

#[test]
fn syntax_errors_name_file_line_column_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let zone = write(
        dir.path(),
        "bad.zone",
        "$ORIGIN example.\n$TTL 60\n@ SOA ns h 1 7200 1800 1209600 60\n NS ns\nns A 192.0.2.1\nwww A 10.0.0.256\nmail MX ten mail\n",
    );
    let out = run(&["check", "--format", "json", zone.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = report["zones"][0]["diagnostics"].as_array().unwrap();
    assert_eq!(diags.len(), 2, "{diags:?}");
    assert_eq!(diags[0]["line"], 6);
    assert_eq!(diags[0]["column"], 7);
    assert_eq!(diags[0]["severity"], "error");
    assert_eq!(diags[0]["code"], "syntax");
    assert_eq!(
        diags[0]["message"],
        "A: expected an IPv4 address, found \"10.0.0.256\""
    );
    assert_eq!(diags[1]["line"], 7);
    for field in ["file", "line", "column", "severity", "code", "message"] {
        assert!(diags[0].get(field).is_some(), "missing JSON field {field}");
    }
}

#[test]
fn unreadable_input_exits_2() {
    let out = run(&["check", "/nonexistent/zone"]);
    assert_eq!(exit_code(&out), 2);
    assert!(
        text(&out.stdout).contains("/nonexistent/zone: error[io]: cannot read /nonexistent/zone"),
        "{}",
        text(&out.stdout)
    );
    let dir = tempfile::tempdir().unwrap();
    let out = run(&[
        "check",
        "--origin",
        "example",
        dir.path().join("missing").to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&out), 2);
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(exit_code(&run(&["check"])), 2);
    assert_eq!(exit_code(&run(&["check", "--format", "xml", "x"])), 2);
    assert_eq!(exit_code(&run(&["frobnicate"])), 2);
}

#[test]
fn warnings_exit_0_unless_strict() {
    let zone = testdata("check/ttl-mismatch.bad.zone");
    assert_eq!(exit_code(&run(&["check", zone.to_str().unwrap()])), 0);
    assert_eq!(
        exit_code(&run(&["check", "--strict", zone.to_str().unwrap()])),
        1
    );
    assert_eq!(
        exit_code(&run(&[
            "check",
            "--strict",
            "--ignore",
            "ttl-mismatch",
            zone.to_str().unwrap()
        ])),
        0
    );
}

#[test]
fn a_directory_checks_every_zone_in_it() {
    let out = run(&[
        "check",
        "--format",
        "json",
        "-j",
        "2",
        testdata("check").to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&out), 1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let zones = report["zones"].as_array().unwrap();
    assert!(zones.len() >= 60);
    let mut files: Vec<&str> = zones.iter().map(|z| z["file"].as_str().unwrap()).collect();
    let sorted = {
        let mut s = files.clone();
        s.sort();
        s
    };
    assert_eq!(files, sorted, "reports keep the order of the files");
    files.dedup();
    assert_eq!(files.len(), zones.len());
}

#[test]
fn fmt_output_is_a_fixed_point_and_checks_clean() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first.zone");
    let out = run(&[
        "fmt",
        testdata("example.com.zone").to_str().unwrap(),
        "-o",
        first.to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stderr));
    let once = std::fs::read_to_string(&first).unwrap();
    assert!(once.starts_with("example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 2026112501 21600 3600 1209600 3600\n"), "{once}");
    assert!(
        once.contains("host16.example.com. 3600 IN A 198.51.100.16\n"),
        "$GENERATE is expanded"
    );
    let out = run(&["fmt", first.to_str().unwrap()]);
    assert_eq!(text(&out.stdout), once, "fmt of fmt output changes nothing");
    let out = run(&["check", "--origin", "example.com", first.to_str().unwrap()]);
    assert_eq!(exit_code(&out), 0, "{}", text(&out.stdout));
}

#[test]
fn fmt_refuses_a_broken_zone_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let target = write(dir.path(), "out.zone", "precious\n");
    let out = run(&[
        "fmt",
        testdata("check/syntax.bad.zone").to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(exit_code(&out), 2);
    assert!(
        text(&out.stderr).contains("syntax.bad.zone:6:7: error:"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "precious\n");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
}

#[test]
fn every_subcommand_has_help_with_examples() {
    for sub in [
        "check",
        "fmt",
        "keygen",
        "sign",
        "verify",
        "ds",
        "completions",
        "man",
    ] {
        let out = run(&[sub, "--help"]);
        assert_eq!(exit_code(&out), 0);
        assert!(
            text(&out.stdout).contains("Examples:"),
            "{sub} --help has no examples"
        );
    }
}

#[test]
fn completions_and_man_pages_match_the_cli_definition() {
    for (shell, file) in [
        ("bash", "zonectl.bash"),
        ("zsh", "_zonectl"),
        ("fish", "zonectl.fish"),
    ] {
        let out = run(&["completions", shell]);
        let committed =
            std::fs::read_to_string(root().join("completions").join(file)).unwrap_or_default();
        assert_eq!(
            text(&out.stdout),
            committed,
            "completions/{file} is stale: run `zonectl completions {shell} > completions/{file}`"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        exit_code(&run(&["man", "--dir", dir.path().to_str().unwrap()])),
        0
    );
    let mut generated: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    generated.sort();
    let mut committed: Vec<String> = std::fs::read_dir(root().join("man"))
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    committed.sort();
    assert_eq!(
        generated, committed,
        "man/ is stale: run `zonectl man --dir man`"
    );
    for page in generated {
        let new = std::fs::read(dir.path().join(&page)).unwrap();
        let old = std::fs::read(root().join("man").join(&page)).unwrap();
        assert!(
            new == old,
            "man/{page} is stale: run `zonectl man --dir man`"
        );
    }
}

#[test]
fn closed_stdout_is_not_an_error() {
    use std::process::Stdio;
    let mut child = zonectl()
        .args(["fmt", testdata("example.com.zone").to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.code() == Some(0),
        "exit {:?}: {}",
        out.status,
        text(&out.stderr)
    );
}
