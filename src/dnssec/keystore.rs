//! A directory of key files in BIND's format (`K<zone>+<alg>+<tag>.key` and
//! `.private`): finding the keys of a zone, and adding new or imported
//! ones without a key tag that collides with one already there (a
//! colliding tag makes validators try several keys per signature, and
//! confuses the tools that name keys by tag).

use std::path::{Path, PathBuf};

use thiserror::Error;

use super::keys::{KeyError, SigningKey};
use crate::zone::Name;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum KeyStoreError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("{path}: {reason}")]
    Io { path: String, reason: String },
    #[error("{0}: No such file or directory")]
    Missing(String),
    #[error("a key with tag {tag} already exists in {dir}")]
    TagTaken { tag: u16, dir: String },
    #[error("could not make a key whose tag differs from the keys in {0}")]
    NoFreeTag(String),
    #[error("no keys for {zone} in {places}")]
    NoKeys { zone: String, places: String },
}

/// Key tags of the `K<zone>+*+*.key` files in `dir`.
pub fn tags_in(dir: &Path, zone: &Name) -> Vec<u16> {
    let prefix = format!("k{}+", zone.to_string().to_ascii_lowercase());
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter_map(|e| {
                    let name = e.file_name().to_string_lossy().to_ascii_lowercase();
                    let rest = name
                        .strip_prefix(&prefix)?
                        .strip_suffix(".key")?
                        .to_string();
                    rest.split('+').nth(1)?.parse().ok()
                })
                .collect()
        })
        .unwrap_or_default()
}

fn create_dir(dir: &Path) -> Result<(), KeyStoreError> {
    std::fs::create_dir_all(dir).map_err(|e| KeyStoreError::Io {
        path: dir.display().to_string(),
        reason: crate::fsutil::io_reason(&e),
    })
}

/// Makes a key for `zone` in `dir` whose tag no key of the zone there has,
/// stamped Created/Publish/Activate at `now` (as dnssec-keygen does), and
/// writes its files. Returns the files' stem.
pub fn generate(
    dir: &Path,
    zone: &Name,
    algorithm: u8,
    flags: u16,
    bits: Option<usize>,
    now: u32,
) -> Result<PathBuf, KeyStoreError> {
    create_dir(dir)?;
    let taken = tags_in(dir, zone);
    for _ in 0..16 {
        let mut key = SigningKey::generate(zone, algorithm, flags, bits)?;
        if taken.contains(&key.tag()) {
            continue;
        }
        let mut stamp = String::new();
        crate::zone::rdata::format_time(now, &mut stamp);
        key.timing = ["Created", "Publish", "Activate"]
            .iter()
            .map(|f| (f.to_string(), stamp.clone()))
            .collect();
        return Ok(key.write_files(dir)?);
    }
    Err(KeyStoreError::NoFreeTag(dir.display().to_string()))
}

/// Adds an imported key to `dir`, refusing one whose tag is taken.
pub fn add(dir: &Path, key: &SigningKey) -> Result<PathBuf, KeyStoreError> {
    create_dir(dir)?;
    if tags_in(dir, &key.owner).contains(&key.tag()) {
        return Err(KeyStoreError::TagTaken {
            tag: key.tag(),
            dir: dir.display().to_string(),
        });
    }
    Ok(key.write_files(dir)?)
}

/// The keys of `zone` that `paths` name: key files (`.key` or `.private`),
/// or directories whose keys for the zone are all taken.
pub fn load(paths: &[PathBuf], zone: &Name) -> Result<Vec<SigningKey>, KeyStoreError> {
    let mut keys = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|e| KeyStoreError::Io {
                path: path.display().to_string(),
                reason: crate::fsutil::io_reason(&e),
            })?;
            let mut files: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "key"))
                .collect();
            files.sort();
            for file in files {
                let key = SigningKey::read_files(&file)?;
                if key.owner == *zone {
                    keys.push(key);
                }
            }
        } else if !path.exists() {
            return Err(KeyStoreError::Missing(path.display().to_string()));
        } else {
            keys.push(SigningKey::read_files(path)?);
        }
    }
    if keys.is_empty() {
        return Err(KeyStoreError::NoKeys {
            zone: zone.to_string(),
            places: paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_never_share_a_tag_and_load_back() {
        let dir = tempfile::tempdir().unwrap();
        let zone = Name::parse(b"example.", None).unwrap();
        for _ in 0..5 {
            generate(dir.path(), &zone, 15, 0x0100, None, 1_700_000_000).unwrap();
        }
        let mut tags = tags_in(dir.path(), &zone);
        tags.sort_unstable();
        tags.dedup();
        assert_eq!(tags.len(), 5);
        let keys = load(&[dir.path().to_path_buf()], &zone).unwrap();
        assert_eq!(keys.len(), 5);
        assert!(
            keys[0]
                .timing
                .iter()
                .any(|(k, v)| k == "Created" && v == "20231114221320")
        );
        let other = Name::parse(b"other.", None).unwrap();
        assert!(matches!(
            load(&[dir.path().to_path_buf()], &other),
            Err(KeyStoreError::NoKeys { .. })
        ));
    }
}
