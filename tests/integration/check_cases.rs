//! Data-driven check cases: `testdata/check/CODE.bad.zone` must produce a
//! finding with that code, `CODE.good.zone` must not. Adding a case is
//! adding a file.

use crate::common;

use common::*;

#[test]
fn every_check_trips_on_its_bad_zone_and_not_on_its_good_zone() {
    let dir = testdata("check");
    let mut cases = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (code, bad) = match (
            name.strip_suffix(".bad.zone"),
            name.strip_suffix(".good.zone"),
        ) {
            (Some(code), _) => (code.to_string(), true),
            (_, Some(code)) => (code.to_string(), false),
            _ => continue,
        };
        let mut args = vec!["check", "--format", "json"];
        if code == "max-ttl" {
            args.extend(["--max-ttl", "1d"]);
        }
        let path_text = path.to_string_lossy().into_owned();
        args.push(&path_text);
        let out = run(&args);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{name}: bad JSON ({e}): {}", text(&out.stdout)));
        let codes: Vec<String> = report["zones"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_string())
            .collect();
        if bad {
            assert!(
                codes.contains(&code),
                "{name}: expected a '{code}' finding, got {codes:?}"
            );
        } else {
            assert!(
                !codes.contains(&code),
                "{name}: unexpected '{code}' finding in {codes:?}"
            );
        }
        cases += 1;
    }
    assert!(cases >= 60, "only {cases} cases found");
}

/// RFC 7344 and RFC 4035 §2.1 say SHOULD where these apply: a CDS below
/// the apex and signatures without a DNSKEY are warnings for `check` (BIND
/// and Knot load such zones); `verify`, asked to verify, fails the latter.
#[test]
fn should_level_rules_are_warnings_in_check() {
    for (case, code) in [
        ("cds-not-apex.bad.zone", "cds-not-apex"),
        ("dnskey-missing.bad.zone", "dnskey-missing"),
    ] {
        let zone = testdata("check").join(case);
        let out = run(&["check", "--format", "json", zone.to_str().unwrap()]);
        assert_eq!(exit_code(&out), 0, "{case}: {}", text(&out.stdout));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let finding = report["zones"][0]["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["code"] == code)
            .cloned()
            .unwrap_or_else(|| panic!("{case}: {report}"));
        assert_eq!(finding["severity"], "warning", "{case}");
        if let Some(named) = peer("named-checkzone") {
            let bind = std::process::Command::new(named)
                .args(["-i", "local", "example"])
                .arg(&zone)
                .output()
                .unwrap();
            assert!(bind.status.success(), "{case}: BIND refuses it too");
        }
    }
    let zone = testdata("check/dnskey-missing.bad.zone");
    assert_eq!(exit_code(&run(&["verify", zone.to_str().unwrap()])), 1);
}
