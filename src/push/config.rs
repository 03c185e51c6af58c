//! The push configuration (YAML): targets, and the zones pushed to them.
//!
//! ```yaml
//! targets:
//!   - name: primary
//!     type: rfc2136
//!     server: 192.0.2.53:53
//!     key-file: /etc/zonectl/update.key
//!   - name: pdns
//!     type: powerdns
//!     url: http://127.0.0.1:8081
//!     api-key-env: PDNS_API_KEY
//! zones:
//!   - name: example.com
//!     file: zones/example.com.zone
//!     targets: [primary, pdns]
//!     max-change: 30
//!     unmanaged: [{name: "_acme-challenge.*", type: TXT}]
//! ```

use std::path::PathBuf;

use serde::Deserialize;

use super::PushError;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PushConfig {
    #[serde(default)]
    pub targets: Vec<TargetConfig>,
    #[serde(default)]
    pub zones: Vec<ZoneConfig>,
    /// Where zones without a `file` are looked for (matched by origin).
    #[serde(default)]
    pub directory: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TargetKind {
    Rfc2136,
    Powerdns,
    Cloudflare,
}

/// A target. Which keys apply depends on `type`; the others are errors.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct TargetConfig {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: TargetKind,
    /// rfc2136: the primary, ADDRESS[:PORT].
    pub server: Option<String>,
    /// rfc2136: a TSIG key file (BIND or Knot format).
    pub key_file: Option<PathBuf>,
    /// rfc2136: which key of `key-file` (default: the only one).
    pub key_name: Option<String>,
    /// rfc2136: records per UPDATE message (default 500).
    pub batch_size: Option<usize>,
    /// Seconds to wait for each answer (default 10).
    pub timeout: Option<u64>,
    /// powerdns, cloudflare: the API's base URL.
    pub url: Option<String>,
    /// powerdns: the environment variable holding the API key.
    pub api_key_env: Option<String>,
    /// powerdns: the server id in API paths (default `localhost`).
    pub server_id: Option<String>,
    /// cloudflare: the environment variable holding the API token.
    pub token_env: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ZoneConfig {
    pub name: String,
    /// The desired state; without it, the file in `directory` whose
    /// origin is this zone.
    pub file: Option<PathBuf>,
    pub targets: Vec<String>,
    /// Percent of the zone's records a push may update or delete (zones of
    /// 10 records or more) before it needs --force.
    #[serde(default = "default_max_change")]
    pub max_change: u32,
    /// Records never changed or deleted.
    #[serde(default)]
    pub unmanaged: Vec<UnmanagedRule>,
}

fn default_max_change() -> u32 {
    30
}

/// Records left alone: owner names matching `name` (a pattern where `*`
/// stands for any run of characters, relative to the zone or absolute
/// with a final dot), and of `type` when given.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct UnmanagedRule {
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub rtype: Option<String>,
}

impl PushConfig {
    pub fn from_yaml(text: &str, shown: &str) -> Result<PushConfig, PushError> {
        let config: PushConfig =
            serde_saphyr::from_str(text).map_err(|e| PushError::Config(format!("{shown}: {e}")))?;
        config
            .validate()
            .map_err(|message| PushError::Config(format!("{shown}: {message}")))?;
        Ok(config)
    }

    pub fn read(path: &std::path::Path) -> Result<PushConfig, PushError> {
        let shown = path.display().to_string();
        let text = crate::fsutil::read_bounded(path, 1 << 20)
            .map_err(|e| PushError::Config(format!("{shown}: {}", crate::fsutil::io_reason(&e))))?;
        let mut config = PushConfig::from_yaml(&text, &shown)?;
        // Paths in the file are relative to it.
        let base = path.parent().unwrap_or(std::path::Path::new("."));
        let rebase = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        for zone in &mut config.zones {
            zone.file.as_mut().map(rebase);
        }
        for target in &mut config.targets {
            target.key_file.as_mut().map(rebase);
        }
        config.directory.as_mut().map(rebase);
        Ok(config)
    }

    pub fn target(&self, name: &str) -> Option<&TargetConfig> {
        self.targets.iter().find(|t| t.name == name)
    }

    fn validate(&self) -> Result<(), String> {
        for (i, t) in self.targets.iter().enumerate() {
            let at = format!("targets[{i}] ({})", t.name);
            if self.targets[..i].iter().any(|o| o.name == t.name) {
                return Err(format!("{at}: a second target of this name"));
            }
            let given: [(&str, bool); 9] = [
                ("server", t.server.is_some()),
                ("key-file", t.key_file.is_some()),
                ("key-name", t.key_name.is_some()),
                ("batch-size", t.batch_size.is_some()),
                ("url", t.url.is_some()),
                ("api-key-env", t.api_key_env.is_some()),
                ("server-id", t.server_id.is_some()),
                ("token-env", t.token_env.is_some()),
                ("timeout", t.timeout.is_some()),
            ];
            let (allowed, required): (&[&str], &[&str]) = match t.kind {
                TargetKind::Rfc2136 => (
                    &["server", "key-file", "key-name", "batch-size", "timeout"],
                    &["server"],
                ),
                TargetKind::Powerdns => (
                    &["url", "api-key-env", "server-id", "timeout"],
                    &["url", "api-key-env"],
                ),
                TargetKind::Cloudflare => (&["url", "token-env", "timeout"], &["token-env"]),
            };
            for (key, present) in given {
                if present && !allowed.contains(&key) {
                    return Err(
                        format!("{at}: {key} does not apply to a {:?} target", t.kind)
                            .replace("Rfc2136", "rfc2136")
                            .replace("Powerdns", "powerdns")
                            .replace("Cloudflare", "cloudflare"),
                    );
                }
            }
            for key in required {
                if !given.iter().any(|(k, p)| k == key && *p) {
                    return Err(format!("{at}: {key} is required"));
                }
            }
            if t.batch_size == Some(0) {
                return Err(format!("{at}: batch-size must be at least 1"));
            }
            if let Some(timeout) = t.timeout
                && !(1..=3600).contains(&timeout)
            {
                return Err(format!("{at}: timeout is seconds from 1 to 3600"));
            }
        }
        for (i, z) in self.zones.iter().enumerate() {
            let at = format!("zones[{i}] ({})", z.name);
            if z.targets.is_empty() {
                return Err(format!("{at}: targets: at least one is needed"));
            }
            for t in &z.targets {
                if self.target(t).is_none() {
                    return Err(format!("{at}: targets: no target is named {t}"));
                }
            }
            if z.file.is_none() && self.directory.is_none() {
                return Err(format!("{at}: file is required when there is no directory"));
            }
            if z.max_change > 100 {
                return Err(format!("{at}: max-change is a percentage, 0 to 100"));
            }
            for (j, rule) in z.unmanaged.iter().enumerate() {
                if rule.name.is_none() && rule.rtype.is_none() {
                    return Err(format!("{at}: unmanaged[{j}]: give name, type or both"));
                }
                if let Some(t) = &rule.rtype
                    && crate::zone::RType::from_text(t.as_bytes()).is_none()
                {
                    return Err(format!("{at}: unmanaged[{j}]: unknown type {t}"));
                }
            }
        }
        Ok(())
    }
}
