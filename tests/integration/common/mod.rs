//! Helpers shared by the integration tests: run the real binary, find peers.
#![allow(dead_code)]

pub mod servers;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn zonectl() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zonectl"))
}

pub fn run(args: &[&str]) -> Output {
    zonectl().args(args).output().expect("run zonectl")
}

/// Runs `cmd` with `input` on its standard input; its output, both
/// streams captured.
pub fn output_with_stdin(mut cmd: Command, input: &[u8]) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the command");
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(input)
        .expect("write its input");
    child.wait_with_output().expect("wait for it")
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn testdata(rel: &str) -> PathBuf {
    root().join("testdata").join(rel)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Set by `.ci/run`: there a missing peer is a failure, not a skip, so
/// that a CI machine without the peers cannot pass without interop tests.
pub const REQUIRE_PEERS: &str = "ZONECTL_REQUIRE_PEERS";

fn peers_required() -> bool {
    std::env::var_os(REQUIRE_PEERS).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Skips the calling test with a printed reason, or fails it when
/// [`REQUIRE_PEERS`] is set.
pub fn skip(reason: &str) {
    if peers_required() {
        panic!("{reason}, and {REQUIRE_PEERS} is set: the test cannot be skipped");
    }
    eprintln!("SKIPPED: {reason}");
}

/// The path of a peer tool, or `None` after printing that the test skips it.
pub fn peer(tool: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(tool))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        skip(&format!(
            "{tool} is not installed; the comparison with it did not run"
        ));
    }
    found
}

/// `../shared/peer-suites` beside the repository, if present.
pub fn peer_suites() -> Option<PathBuf> {
    let dir = root().join("../shared/peer-suites");
    if dir.is_dir() {
        Some(dir)
    } else {
        skip(&format!(
            "{} is absent; the peers' own test zones were not run",
            dir.display()
        ));
        None
    }
}

pub fn exit_code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

pub fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path
}
