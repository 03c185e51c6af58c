//! Pushing a desired zone to where it is served: read the target's current
//! records, plan the difference, check it against the safety rules, and
//! apply it — through RFC 2136 UPDATE or a provider's HTTP API, each
//! behind [`Provider`].
//!
//! A plan can be saved with the checksum of the target state it was made
//! against, and applied later exactly: if the target changed in between,
//! the checksum differs and nothing is applied.

pub mod cloudflare;
pub mod config;
pub mod powerdns;
pub mod rfc2136;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::diff::{Change, ChangeKind, DiffOptions, Patch, Summary, diff_zones, is_dnssec_type};
use crate::zone::writer::format_record;
use crate::zone::{Name, RRset, RType, Zone};
use config::{TargetConfig, TargetKind, UnmanagedRule, ZoneConfig};

#[derive(Debug, Error)]
pub enum PushError {
    #[error("{0}")]
    Config(String),
    /// The target could not be read or written; the text names it.
    #[error("{target}: {reason}")]
    Target { target: String, reason: String },
    /// The target refused a change because the zone changed since the
    /// plan (an RFC 2136 prerequisite failed, or the state checksum of a
    /// saved plan no longer matches).
    #[error("{target}: {reason}")]
    Changed { target: String, reason: String },
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Plan(String),
}

/// A place a zone is pushed to.
pub trait Provider {
    /// The target's name, as the configuration gives it.
    fn name(&self) -> &str;
    /// The target's current records of the zone.
    fn read(&self, zone: &Name) -> Result<Zone, PushError>;
    /// Makes the changes, planned against `current` (read by [`read`]).
    /// Each provider applies as atomically as its protocol allows and
    /// says in its documentation how.
    ///
    /// [`read`]: Provider::read
    fn apply(&self, current: &Zone, changes: &[Change]) -> Result<(), PushError>;
    /// Whether records of this type at this owner are the zone owner's to
    /// change (an API provider keeps the apex SOA, and Cloudflare the
    /// apex NS, to itself).
    fn manages(&self, _zone: &Name, _owner: &Name, _rtype: RType) -> bool {
        true
    }
}

/// The provider for a configured target. Secrets are read from the
/// environment or key files here, and never appear in errors.
pub fn provider(target: &TargetConfig) -> Result<Box<dyn Provider>, PushError> {
    Ok(match target.kind {
        TargetKind::Rfc2136 => Box::new(rfc2136::Rfc2136::from_config(target)?),
        TargetKind::Powerdns => Box::new(powerdns::PowerDns::from_config(target)?),
        TargetKind::Cloudflare => Box::new(cloudflare::Cloudflare::from_config(target)?),
    })
}

/// A secret from the environment variable the configuration names.
pub fn secret_from_env(target: &str, variable: &str) -> Result<String, PushError> {
    match std::env::var(variable) {
        Ok(value) if !value.trim().is_empty() => Ok(value.trim().to_string()),
        _ => Err(PushError::Config(format!(
            "{target}: the environment variable {variable} (the secret) is not set"
        ))),
    }
}

/// Which records a push leaves alone: the config's `unmanaged` rules and
/// what the provider keeps to itself.
pub struct Scope<'a> {
    pub zone: &'a Name,
    pub rules: &'a [UnmanagedRule],
    pub provider: &'a dyn Provider,
}

impl Scope<'_> {
    pub fn manages(&self, owner: &Name, rtype: RType) -> bool {
        if !self.provider.manages(self.zone, owner, rtype) {
            return false;
        }
        !self.rules.iter().any(|rule| {
            let type_matches = rule
                .rtype
                .as_deref()
                .is_none_or(|t| RType::from_text(t.as_bytes()) == Some(rtype));
            let name_matches = rule
                .name
                .as_deref()
                .is_none_or(|pattern| name_matches(pattern, owner, self.zone));
            type_matches && name_matches
        })
    }

    /// The zone with only the records this push manages.
    pub fn view(&self, zone: &Zone) -> Zone {
        let sets: Vec<RRset> = zone
            .rrsets()
            .iter()
            .filter(|s| self.manages(&s.owner, s.rtype))
            .cloned()
            .collect();
        Zone::from_sorted_rrsets(zone.origin.clone(), zone.class, sets)
    }
}

/// `pattern` against an owner: absolute when it ends in a dot, else
/// relative to the zone (`@` is the apex); `*` matches any run of
/// characters, dots included; case does not matter.
fn name_matches(pattern: &str, owner: &Name, zone: &Name) -> bool {
    let owner_text = owner.to_string().to_ascii_lowercase();
    let pattern = pattern.to_ascii_lowercase();
    let absolute = if pattern == "@" {
        zone.to_string().to_ascii_lowercase()
    } else if pattern.ends_with('.') {
        pattern
    } else {
        format!("{pattern}.{}", zone.to_string().to_ascii_lowercase())
    };
    glob(absolute.as_bytes(), owner_text.as_bytes())
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|i| glob(rest, &text[i..])),
        Some((c, rest)) => text.first() == Some(c) && glob(rest, &text[1..]),
    }
}

/// The SHA-256 of a zone's records in canonical text: what a saved plan
/// records of the target state it was made against.
pub fn state_checksum(zone: &Zone) -> String {
    let mut hasher = Sha256::new();
    let mut line = String::new();
    for set in zone.rrsets() {
        for rdata in &set.rdatas {
            line.clear();
            format_record(
                set.owner.to_lowercase().as_wire(),
                set.ttl,
                set.class,
                set.rtype,
                rdata,
                &mut line,
            );
            line.push('\n');
            hasher.update(line.as_bytes());
        }
    }
    let mut hex = String::new();
    crate::zone::encoding::hex_encode(&hasher.finalize(), &mut hex);
    hex.to_ascii_lowercase()
}

/// What a push would do to one zone at one target.
#[derive(Debug, Clone)]
pub struct ZonePlan {
    pub zone: Name,
    pub target: String,
    /// The managed records of the target when planned.
    pub current: Zone,
    /// All of the target's records when planned (the SOA among them),
    /// which the provider applies the changes to.
    pub target_state: Zone,
    pub changes: Vec<Change>,
    pub state_sha256: String,
}

/// The changes that take the managed view of `current` to `desired`: the
/// SOA serial is left to the target (servers and providers count it
/// themselves), every other difference is planned.
pub fn plan(scope: &Scope<'_>, target: &str, target_state: &Zone, desired: &Zone) -> ZonePlan {
    let current = scope.view(target_state);
    let desired = scope.view(desired);
    let changes = diff_zones(
        &current,
        &desired,
        &DiffOptions {
            dnssec: true,
            serial: false,
        },
    );
    ZonePlan {
        zone: current.origin.clone(),
        target: target.to_string(),
        state_sha256: state_checksum(&current),
        current,
        target_state: target_state.clone(),
        changes,
    }
}

/// Why a plan needs --force, if it does: too large a share of the zone
/// updated or deleted, or a change to the apex NS, the SOA, or DNSSEC
/// records.
pub fn safety_refusals(plan: &ZonePlan, max_change_percent: u32) -> Vec<String> {
    let mut reasons = Vec::new();
    let total = plan.current.record_count();
    let mut touched = 0usize;
    for change in &plan.changes {
        match change.kind() {
            ChangeKind::Added => {}
            ChangeKind::Removed | ChangeKind::Ttl => {
                touched += change.old.as_ref().map_or(0, |s| s.rdatas.len());
            }
            ChangeKind::Changed => {
                let ttl_changed =
                    change.old.as_ref().map(|s| s.ttl) != change.new.as_ref().map(|s| s.ttl);
                touched += if ttl_changed {
                    change.old.as_ref().map_or(0, |s| s.rdatas.len())
                } else {
                    change.removed().len()
                };
            }
        }
        // Giving a new (or emptied) zone its first NS and SOA changes
        // nothing that is served: only changes to existing ones count.
        let at_apex = change.owner.eq_ignore_case(&plan.zone) && change.old.is_some();
        let what = format!("{} {}", change.owner, change.rtype);
        if at_apex && change.rtype == RType::NS {
            reasons.push(format!("it changes the apex NS RRset ({what})"));
        } else if at_apex && change.rtype == RType::SOA {
            reasons.push("it changes the SOA (other than its serial)".to_string());
        } else if is_dnssec_type(change.rtype) {
            reasons.push(format!("it changes DNSSEC records ({what})"));
        }
    }
    if total >= 10 && touched * 100 > total * max_change_percent as usize {
        reasons.insert(
            0,
            format!(
                "it updates or deletes {touched} of the zone's {total} records ({}%), more than the {max_change_percent}% allowed (max-change)",
                touched * 100 / total
            ),
        );
    }
    reasons
}

/// A saved plan: per zone and target, the changes as a patch and the
/// checksum of the state they were planned against.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PlanFile {
    pub format: String,
    pub plans: Vec<SavedPlan>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct SavedPlan {
    pub zone: String,
    pub target: String,
    pub state_sha256: String,
    pub summary: Summary,
    /// The changes in the patch format of `zonectl diff --format patch`.
    pub patch: String,
    /// Whether --force was given when it was made (a plan refused by the
    /// safety rules is saved only with it).
    pub forced: bool,
}

pub const PLAN_FORMAT: &str = "zonectl-plan-1";

impl SavedPlan {
    pub fn from_plan(plan: &ZonePlan, forced: bool) -> SavedPlan {
        let mut patch = String::new();
        crate::diff::write_patch(&plan.zone, &plan.changes, &mut patch);
        SavedPlan {
            zone: plan.zone.to_string(),
            target: plan.target.clone(),
            state_sha256: plan.state_sha256.clone(),
            summary: Summary::of(&plan.changes),
            patch,
            forced,
        }
    }

    /// The saved changes, replanned against the target's state now: the
    /// same changes if the state is the one planned against, an error
    /// (nothing applied) if not.
    pub fn replan(&self, scope: &Scope<'_>, current: &Zone) -> Result<ZonePlan, PushError> {
        let view = scope.view(current);
        let now = state_checksum(&view);
        if now != self.state_sha256 {
            return Err(PushError::Changed {
                target: self.target.clone(),
                reason: format!(
                    "zone {} changed since the plan was made (state {} then, {} now): make a new plan",
                    self.zone,
                    &self.state_sha256[..12.min(self.state_sha256.len())],
                    &now[..12]
                ),
            });
        }
        let patch = Patch::parse("the saved plan", &self.patch)
            .map_err(|e| PushError::Plan(format!("the saved plan: {e}")))?;
        let zone_patch = patch.zones.get(&view.origin).cloned().unwrap_or_default();
        let desired = crate::diff::apply_patch(&view, &zone_patch)
            .map_err(|e| PushError::Plan(e.to_string()))?;
        let mut replanned = plan(scope, &self.target, &view, &desired);
        replanned.target_state = current.clone();
        Ok(replanned)
    }
}

impl PlanFile {
    pub fn parse(text: &str, shown: &str) -> Result<PlanFile, PushError> {
        let file: PlanFile = serde_json::from_str(text)
            .map_err(|e| PushError::Plan(format!("{shown}: not a plan file: {e}")))?;
        if file.format != PLAN_FORMAT {
            return Err(PushError::Plan(format!(
                "{shown}: format {} is not {PLAN_FORMAT}",
                file.format
            )));
        }
        Ok(file)
    }
}

/// The config entry of a zone, by name.
pub fn zone_config<'c>(config: &'c config::PushConfig, zone: &Name) -> Option<&'c ZoneConfig> {
    config.zones.iter().find(|z| {
        Name::parse(absolute(&z.name).as_bytes(), None).is_ok_and(|n| n.eq_ignore_case(zone))
    })
}

/// A zone name as written in a config, made absolute.
pub fn absolute(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmanaged_patterns_are_relative_to_the_zone_and_star_spans_labels() {
        let zone = Name::parse(b"example.com.", None).unwrap();
        let n = |t: &str| Name::parse(t.as_bytes(), None).unwrap();
        assert!(name_matches(
            "_acme-challenge.*",
            &n("_acme-challenge.www.example.com."),
            &zone
        ));
        assert!(name_matches(
            "_ACME-challenge",
            &n("_acme-challenge.example.com."),
            &zone
        ));
        assert!(!name_matches(
            "_acme-challenge",
            &n("_acme-challenge.www.example.com."),
            &zone
        ));
        assert!(name_matches("@", &n("Example.com."), &zone));
        assert!(name_matches(
            "*.dyn.example.com.",
            &n("a.b.dyn.example.com."),
            &zone
        ));
        assert!(!name_matches("*.dyn", &n("dyn.example.com."), &zone));
    }
}
