//! The PowerDNS Authoritative HTTP API (`/api/v1/servers/ID/zones`).
//!
//! The zone is read with GET and changed with one PATCH of the RRsets that
//! differ (`REPLACE` with the whole new set, or `DELETE`), which PowerDNS
//! applies in one transaction: all or nothing. A zone that does not exist
//! yet is created (kind Native) with its records. The SOA is PowerDNS's
//! (its serial follows `SOA-EDIT-API`); disabled records and comments are
//! kept as they are.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::diff::Change;
use crate::zone::{Name, RType, Record, Zone, rdata};

use super::config::TargetConfig;
use super::{Provider, PushError, secret_from_env};

pub struct PowerDns {
    name: String,
    base: String,
    server_id: String,
    api_key: String,
    http: reqwest::blocking::Client,
    /// Per zone and RRset (owner lowercased, type), the disabled records
    /// read, given back in every REPLACE so that none is lost.
    disabled: Mutex<HashMap<(String, String), Vec<Value>>>,
    /// Zones read that did not exist: the push creates them.
    missing: Mutex<Vec<Name>>,
}

#[derive(Deserialize)]
struct ApiZone {
    rrsets: Vec<ApiRrset>,
}

#[derive(Deserialize)]
struct ApiRrset {
    name: String,
    #[serde(rename = "type")]
    rtype: String,
    ttl: u32,
    records: Vec<ApiRecord>,
}

#[derive(Deserialize)]
struct ApiRecord {
    content: String,
    #[serde(default)]
    disabled: bool,
}

impl PowerDns {
    pub fn from_config(target: &TargetConfig) -> Result<PowerDns, PushError> {
        let env = target.api_key_env.as_deref().unwrap_or_default();
        let api_key = secret_from_env(&target.name, env)?;
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(target.timeout.unwrap_or(30)))
            .build()
            .map_err(|e| PushError::Config(format!("{}: {e}", target.name)))?;
        Ok(PowerDns {
            name: target.name.clone(),
            base: target
                .url
                .clone()
                .unwrap_or_default()
                .trim_end_matches('/')
                .to_string(),
            server_id: target
                .server_id
                .clone()
                .unwrap_or_else(|| "localhost".into()),
            api_key,
            http,
            disabled: Mutex::new(HashMap::new()),
            missing: Mutex::new(Vec::new()),
        })
    }

    fn error(&self, reason: String) -> PushError {
        PushError::Target {
            target: format!("{} ({})", self.name, self.base),
            reason,
        }
    }

    fn zone_url(&self, zone: &Name) -> String {
        format!(
            "{}/api/v1/servers/{}/zones/{}",
            self.base, self.server_id, zone
        )
    }

    /// The API's error text for a failed request (its JSON `error`, or the
    /// status); never the request, which holds the key in a header.
    fn failure(&self, what: &str, response: reqwest::blocking::Response) -> PushError {
        let status = response.status();
        let body: Value = response.json().unwrap_or(Value::Null);
        let detail = body
            .get("error")
            .and_then(Value::as_str)
            .map_or_else(|| status.to_string(), |e| format!("{status}: {e}"));
        self.error(format!("{what}: {detail}"))
    }

    fn send(
        &self,
        request: reqwest::blocking::RequestBuilder,
        what: &str,
    ) -> Result<reqwest::blocking::Response, PushError> {
        let response = request
            .header("X-API-Key", &self.api_key)
            .send()
            .map_err(|e| self.error(format!("{what}: {}", e.without_url())))?;
        if response.status().is_success() {
            Ok(response)
        } else {
            Err(self.failure(what, response))
        }
    }

    fn rrset_json(&self, zone: &Name, change: &Change) -> Value {
        let name = change.owner.to_string();
        let rtype = change.rtype.to_string();
        let Some(new) = &change.new else {
            return json!({"name": name, "type": rtype, "changetype": "DELETE"});
        };
        let mut records: Vec<Value> = new
            .rdatas
            .iter()
            .map(|r| {
                let mut content = String::new();
                rdata::write(change.rtype, r, &mut content);
                json!({"content": content, "disabled": false})
            })
            .collect();
        let key = (
            format!("{zone}|{}", name.to_ascii_lowercase()),
            rtype.clone(),
        );
        if let Some(kept) = self.disabled.lock().unwrap().get(&key) {
            records.extend(kept.iter().cloned());
        }
        json!({"name": name, "type": rtype, "ttl": new.ttl, "changetype": "REPLACE", "records": records})
    }
}

impl Provider for PowerDns {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&self, zone: &Name) -> Result<Zone, PushError> {
        let response = self
            .http
            .get(self.zone_url(zone))
            .header("X-API-Key", &self.api_key)
            .send()
            .map_err(|e| self.error(format!("reading zone {zone}: {}", e.without_url())))?;
        // PowerDNS says 404 (4.7+) or 422 for a zone it does not have.
        if matches!(response.status().as_u16(), 404 | 422) {
            self.missing.lock().unwrap().push(zone.clone());
            return Ok(Zone::from_records(zone.clone(), 1, Vec::new()).0);
        }
        if !response.status().is_success() {
            return Err(self.failure(&format!("reading zone {zone}"), response));
        }
        let api: ApiZone = response
            .json()
            .map_err(|e| self.error(format!("reading zone {zone}: unexpected answer: {e}")))?;
        let mut text = String::new();
        let mut disabled = self.disabled.lock().unwrap();
        for set in &api.rrsets {
            for record in &set.records {
                if record.disabled {
                    disabled
                        .entry((
                            format!("{zone}|{}", set.name.to_ascii_lowercase()),
                            set.rtype.clone(),
                        ))
                        .or_default()
                        .push(json!({"content": record.content, "disabled": true}));
                    continue;
                }
                text.push_str(&format!(
                    "{} {} IN {} {}\n",
                    set.name, set.ttl, set.rtype, record.content
                ));
            }
        }
        let records: Vec<Record> =
            crate::zone::reader::read_absolute(&self.name, &text).map_err(|d| {
                self.error(format!(
                    "zone {zone}: a record the API gave does not read: {}",
                    d.message
                ))
            })?;
        Ok(Zone::from_records(zone.clone(), 1, records).0)
    }

    fn manages(&self, zone: &Name, owner: &Name, rtype: RType) -> bool {
        !(rtype == RType::SOA && owner.eq_ignore_case(zone))
    }

    fn apply(&self, current: &Zone, changes: &[Change]) -> Result<(), PushError> {
        let zone = &current.origin;
        let rrsets: Vec<Value> = changes.iter().map(|c| self.rrset_json(zone, c)).collect();
        let is_missing = self
            .missing
            .lock()
            .unwrap()
            .iter()
            .any(|m| m.eq_ignore_case(zone));
        if is_missing {
            let url = format!("{}/api/v1/servers/{}/zones", self.base, self.server_id);
            let body = json!({"name": zone.to_string(), "kind": "Native", "nameservers": [], "rrsets": rrsets});
            self.send(
                self.http.post(url).json(&body),
                &format!("creating zone {zone}"),
            )?;
            return Ok(());
        }
        if rrsets.is_empty() {
            return Ok(());
        }
        self.send(
            self.http
                .patch(self.zone_url(zone))
                .json(&json!({"rrsets": rrsets})),
            &format!("changing zone {zone}"),
        )?;
        Ok(())
    }
}
