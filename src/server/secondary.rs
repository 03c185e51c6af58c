//! Secondary zones: brought up to date from their primaries by the
//! transfer client of `zonectl xfr` (IXFR with AXFR fallback, TSIG, the
//! same file and journal on disk), on the SOA's refresh and retry timers
//! (RFC 1034 §4.3.5) and at once on NOTIFY (RFC 1996). A copy not
//! refreshed for the SOA's expire time stops being served.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use super::config::ZoneConfig;
use super::store::ZoneVersion;
use crate::tsig::Key;
use crate::xfr::{self, Client, Outcome, RefreshOptions};
use crate::zone::{Name, RType};

/// The SOA timers of a zone (RFC 1035 §3.3.13), clamped to sane bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    pub refresh: Duration,
    pub retry: Duration,
    pub expire: Duration,
}

/// Before the first copy arrives: try again soon.
pub const NO_COPY_YET: Timers = Timers {
    refresh: Duration::from_secs(5),
    retry: Duration::from_secs(5),
    expire: Duration::from_secs(u32::MAX as u64),
};

impl Timers {
    pub fn of(version: &ZoneVersion) -> Timers {
        let rdata = version
            .apex()
            .get(RType::SOA)
            .and_then(|s| s.records.iter().next())
            .unwrap_or_default();
        // MNAME, RNAME, then serial, refresh, retry, expire, minimum.
        let fixed = crate::zone::name::wire_name_len(rdata)
            .and_then(|m| Some(m + crate::zone::name::wire_name_len(rdata.get(m..)?)?))
            .and_then(|at| rdata.get(at..at + 20));
        let field = |i: usize| {
            fixed.map_or(3600, |f| {
                u32::from_be_bytes([f[4 * i], f[4 * i + 1], f[4 * i + 2], f[4 * i + 3]])
            })
        };
        let seconds = |v: u32| Duration::from_secs(u64::from(v.clamp(1, 7 * 86400)));
        Timers {
            refresh: seconds(field(1)),
            retry: seconds(field(2)),
            expire: Duration::from_secs(u64::from(field(3).max(1))),
        }
    }
}

/// A primary as the refresh uses it.
#[derive(Debug, Clone)]
pub struct Primary {
    pub addr: SocketAddr,
    pub key: Option<Key>,
}

/// One refresh: the primaries in order until one answers. Blocking (a
/// transfer); the file and journal are replaced atomically or left alone.
pub fn refresh_once(
    origin: &Name,
    zone: &ZoneConfig,
    primaries: &[Primary],
) -> Result<Outcome, String> {
    if let Some(dir) = zone.file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let options = RefreshOptions {
        if_newer: true,
        journal_limit: zone.journal_size,
        ..Default::default()
    };
    let mut errors = Vec::new();
    for primary in primaries {
        let mut client = Client::new(origin.clone(), primary.addr);
        client.key = primary.key.clone();
        client.timeout = Duration::from_secs(10);
        match xfr::refresh(&client, &zone.file, &options) {
            Ok(outcome) => return Ok(outcome),
            Err(e) => errors.push(format!("{}: {e}", primary.addr)),
        }
    }
    Err(errors.join("; "))
}

/// Where the SHA-256 digest of a secondary's copy is kept: `FILE.sha256`.
pub fn digest_path(file: &Path) -> std::path::PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".sha256");
    std::path::PathBuf::from(name)
}

fn file_digest(file: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    let mut reader = std::io::BufReader::new(std::fs::File::open(file)?);
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        context.update(&buf[..n]);
    }
    let mut hex = String::new();
    crate::zone::encoding::hex_encode(context.finish().as_ref(), &mut hex);
    Ok(hex.to_ascii_lowercase())
}

/// Records the digest of the copy a transfer just wrote (after the copy:
/// a crash in between leaves a mismatch, which costs one full transfer).
pub fn seal(file: &Path) -> std::io::Result<()> {
    let digest = file_digest(file)?;
    crate::fsutil::write_atomically(&digest_path(file), |out| writeln!(out, "{digest}"))
}

/// Whether `file` has a recorded digest and still matches it: it is as
/// this server last wrote it.
pub fn is_sealed(file: &Path) -> bool {
    seal_matches(file) == Some(true)
}

/// Whether `file` matches its recorded digest; `None` when there is no
/// digest or the file cannot be read.
fn seal_matches(file: &Path) -> Option<bool> {
    let recorded = std::fs::read_to_string(digest_path(file)).ok()?;
    let actual = file_digest(file).ok()?;
    Some(recorded.trim() == actual)
}

/// Whether the copy is as the last transfer wrote it. A copy whose digest
/// does not match (damaged on disk) is moved aside as `FILE.damaged`, with
/// its journal removed, so that the next refresh is a full transfer; the
/// reason is returned for the log. A copy without a digest is trusted.
pub fn set_aside_if_damaged(file: &Path) -> Option<String> {
    if seal_matches(file)? {
        return None;
    }
    let mut aside = file.as_os_str().to_owned();
    aside.push(".damaged");
    let _ = std::fs::rename(file, &aside);
    let _ = std::fs::remove_file(xfr::journal_path(file));
    let _ = std::fs::remove_file(digest_path(file));
    Some(format!(
        "{} does not match its SHA-256 digest: set aside, a full transfer replaces it",
        file.display()
    ))
}

/// Marks the copy as fresh now (its modification time is when it was
/// last confirmed current: after a restart, expiry counts from there).
pub fn touch(path: &std::path::Path) {
    if let Ok(file) = std::fs::File::options().append(true).open(path) {
        let _ = file.set_modified(std::time::SystemTime::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1035_3_3_13_timers_come_from_the_soa() {
        let version =
            crate::server::store::tests::version("@ 60 SOA ns hm 1 120 30 600 5\n@ 60 NS ns\n");
        let timers = Timers::of(&version);
        assert_eq!(timers.refresh, Duration::from_secs(120));
        assert_eq!(timers.retry, Duration::from_secs(30));
        assert_eq!(timers.expire, Duration::from_secs(600));
    }
}
