//! The Cloudflare API v4 DNS records endpoints.
//!
//! The zone's id comes from `GET /zones?name=`, its records from
//! `GET /zones/ID/dns_records` page by page. Changes are made record by
//! record (the API has no transaction): deletions, then TTL updates with
//! `PATCH` (which leaves `proxied` and the record's comment as they are),
//! then additions. A 429 answer is retried after its `Retry-After`.
//! Cloudflare keeps the apex SOA and NS to itself; they are not pushed.
//!
//! Tested against a local server that follows the documented API; no real
//! Cloudflare account is reachable from the tests.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::diff::{Change, RecordKey, record_key};
use crate::dnssec::canonical::canonical_rdata;
use crate::zone::{Name, RType, Record, Zone, rdata};

use super::config::TargetConfig;
use super::{Provider, PushError, secret_from_env};

const DEFAULT_URL: &str = "https://api.cloudflare.com/client/v4";
const PER_PAGE: usize = 100;
/// Attempts of one request answered 429 before giving up.
const RATE_LIMIT_TRIES: usize = 5;

pub struct Cloudflare {
    name: String,
    base: String,
    token: String,
    http: reqwest::blocking::Client,
    /// Zone ids by zone name, and record ids by (owner lowercased, type,
    /// canonical rdata), from the last read.
    zone_ids: Mutex<HashMap<String, String>>,
    record_ids: Mutex<HashMap<RecordKey, String>>,
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(default)]
    success: bool,
    #[serde(default)]
    errors: Vec<ApiMessage>,
    #[serde(default)]
    result: Value,
    #[serde(default)]
    result_info: Option<ResultInfo>,
}

#[derive(Deserialize)]
struct ApiMessage {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct ResultInfo {
    #[serde(default)]
    total_pages: usize,
}

#[derive(Deserialize)]
struct ApiRecord {
    id: String,
    #[serde(rename = "type")]
    rtype: String,
    name: String,
    #[serde(default)]
    content: String,
    ttl: u32,
    #[serde(default)]
    priority: Option<u16>,
}

fn dotted(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

impl Cloudflare {
    pub fn from_config(target: &TargetConfig) -> Result<Cloudflare, PushError> {
        let env = target.token_env.as_deref().unwrap_or_default();
        let token = secret_from_env(&target.name, env)?;
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(target.timeout.unwrap_or(30)))
            .build()
            .map_err(|e| PushError::Config(format!("{}: {e}", target.name)))?;
        Ok(Cloudflare {
            name: target.name.clone(),
            base: target
                .url
                .clone()
                .unwrap_or_else(|| DEFAULT_URL.into())
                .trim_end_matches('/')
                .to_string(),
            token,
            http,
            zone_ids: Mutex::new(HashMap::new()),
            record_ids: Mutex::new(HashMap::new()),
        })
    }

    fn error(&self, reason: String) -> PushError {
        PushError::Target {
            target: format!("{} ({})", self.name, self.base),
            reason,
        }
    }

    /// One API call, retried while it is rate-limited; the envelope of a
    /// successful answer, or the API's own error messages.
    fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        what: &str,
    ) -> Result<Envelope, PushError> {
        for attempt in 1.. {
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .bearer_auth(&self.token);
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request
                .send()
                .map_err(|e| self.error(format!("{what}: {}", e.without_url())))?;
            let status = response.status();
            if status.as_u16() == 429 && attempt < RATE_LIMIT_TRIES {
                let wait = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .unwrap_or(1 << attempt)
                    .min(300);
                tracing::info!("{}: rate-limited, retrying in {wait} s", self.name);
                std::thread::sleep(Duration::from_secs(wait));
                continue;
            }
            let envelope: Envelope = response.json().map_err(|_| {
                self.error(format!(
                    "{what}: {status} with an answer that is not the API's JSON"
                ))
            })?;
            if status.is_success() && envelope.success {
                return Ok(envelope);
            }
            let messages: Vec<String> = envelope
                .errors
                .iter()
                .map(|e| format!("{} (code {})", e.message, e.code))
                .collect();
            return Err(self.error(format!(
                "{what}: {status}{}{}",
                if messages.is_empty() { "" } else { ": " },
                messages.join("; ")
            )));
        }
        unreachable!("the loop returns")
    }

    fn zone_id(&self, zone: &Name) -> Result<String, PushError> {
        let plain = zone.to_string().trim_end_matches('.').to_string();
        if let Some(id) = self.zone_ids.lock().unwrap().get(&plain) {
            return Ok(id.clone());
        }
        let envelope = self.call(
            reqwest::Method::GET,
            &format!("/zones?name={plain}"),
            None,
            &format!("finding zone {zone}"),
        )?;
        let id = envelope
            .result
            .as_array()
            .and_then(|zones| zones.first())
            .and_then(|z| z.get("id"))
            .and_then(Value::as_str)
            .ok_or_else(|| self.error(format!("the account has no zone {plain}")))?
            .to_string();
        self.zone_ids.lock().unwrap().insert(plain, id.clone());
        Ok(id)
    }

    /// A record of the API as zone text.
    fn record_text(record: &ApiRecord) -> String {
        let name = dotted(&record.name);
        // TTL 1 is Cloudflare's "automatic", 300 seconds.
        let ttl = if record.ttl == 1 { 300 } else { record.ttl };
        let content = match record.rtype.as_str() {
            "CNAME" | "NS" | "PTR" => dotted(&record.content),
            "MX" => format!(
                "{} {}",
                record.priority.unwrap_or(0),
                dotted(&record.content)
            ),
            "SRV" => {
                let mut parts: Vec<String> = record
                    .content
                    .split_whitespace()
                    .map(String::from)
                    .collect();
                if let Some(target) = parts.last_mut() {
                    *target = dotted(target);
                }
                if parts.len() == 3 {
                    format!("{} {}", record.priority.unwrap_or(0), parts.join(" "))
                } else {
                    parts.join(" ")
                }
            }
            "TXT" if !record.content.starts_with('"') => {
                format!(
                    "\"{}\"",
                    record.content.replace('\\', "\\\\").replace('"', "\\\"")
                )
            }
            _ => record.content.clone(),
        };
        format!("{name} {ttl} IN {} {content}\n", record.rtype)
    }

    /// A record to send: name, type, content and priority as the API
    /// wants them (names without the final dot, MX and SRV priority apart).
    fn api_fields(owner: &Name, rtype: RType, ttl: u32, rdata_wire: &[u8]) -> Value {
        let mut text = String::new();
        rdata::write(rtype, rdata_wire, &mut text);
        let name = owner.to_string().trim_end_matches('.').to_string();
        let undot = |s: &str| s.trim_end_matches('.').to_string();
        let mut fields = json!({"type": rtype.to_string(), "name": name, "ttl": ttl});
        match rtype {
            RType::MX => {
                let (pref, exchange) = text.split_once(' ').unwrap_or(("0", &text));
                fields["priority"] = json!(pref.parse::<u16>().unwrap_or(0));
                fields["content"] = json!(undot(exchange));
            }
            RType::CNAME | RType::NS | RType::PTR => fields["content"] = json!(undot(&text)),
            RType::SRV => {
                let parts: Vec<&str> = text.split_whitespace().collect();
                if let [priority, weight, port, target] = parts[..] {
                    fields["priority"] = json!(priority.parse::<u16>().unwrap_or(0));
                    fields["content"] = json!(format!("{weight} {port} {}", undot(target)));
                }
            }
            _ => fields["content"] = json!(text),
        }
        fields
    }
}

impl Provider for Cloudflare {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&self, zone: &Name) -> Result<Zone, PushError> {
        let id = self.zone_id(zone)?;
        let mut records: Vec<Record> = Vec::new();
        let mut ids = self.record_ids.lock().unwrap();
        let mut page = 1;
        loop {
            let envelope = self.call(
                reqwest::Method::GET,
                &format!("/zones/{id}/dns_records?per_page={PER_PAGE}&page={page}"),
                None,
                &format!("reading zone {zone}"),
            )?;
            let batch: Vec<ApiRecord> = serde_json::from_value(envelope.result)
                .map_err(|e| self.error(format!("reading zone {zone}: unexpected records: {e}")))?;
            for api in &batch {
                let text = Cloudflare::record_text(api);
                let mut read =
                    crate::zone::reader::read_absolute(&self.name, &text).map_err(|d| {
                        self.error(format!(
                            "zone {zone}: record {} does not read: {}",
                            api.id, d.message
                        ))
                    })?;
                for record in &read {
                    ids.insert(
                        record_key(&record.owner, record.rtype, &record.rdata),
                        api.id.clone(),
                    );
                }
                records.append(&mut read);
            }
            let pages = envelope.result_info.map_or(1, |i| i.total_pages.max(1));
            if page >= pages || batch.is_empty() {
                break;
            }
            page += 1;
        }
        Ok(Zone::from_records(zone.clone(), 1, records).0)
    }

    fn manages(&self, zone: &Name, owner: &Name, rtype: RType) -> bool {
        !(owner.eq_ignore_case(zone) && matches!(rtype, RType::SOA | RType::NS))
    }

    fn apply(&self, current: &Zone, changes: &[Change]) -> Result<(), PushError> {
        let zone = &current.origin;
        let id = self.zone_id(zone)?;
        let ids = self.record_ids.lock().unwrap().clone();
        let record_id = |owner: &Name, rtype: RType, rdata: &[u8]| {
            ids.get(&record_key(owner, rtype, rdata))
                .cloned()
                .ok_or_else(|| {
                    self.error(format!(
                        "zone {zone}: no record id for {owner} {rtype} (read the zone again)"
                    ))
                })
        };
        // Deletions first, then TTL changes, then additions.
        for change in changes {
            for rdata in change.removed() {
                let rid = record_id(&change.owner, change.rtype, rdata)?;
                self.call(
                    reqwest::Method::DELETE,
                    &format!("/zones/{id}/dns_records/{rid}"),
                    None,
                    &format!("deleting {} {}", change.owner, change.rtype),
                )?;
            }
        }
        for change in changes {
            let (Some(old), Some(new)) = (&change.old, &change.new) else {
                continue;
            };
            if old.ttl == new.ttl {
                continue;
            }
            let kept = new.rdatas.iter().filter(|r| {
                let key = canonical_rdata(change.rtype, r);
                old.rdatas
                    .iter()
                    .any(|o| canonical_rdata(change.rtype, o) == key)
            });
            for rdata in kept {
                let rid = record_id(&change.owner, change.rtype, rdata)?;
                self.call(
                    reqwest::Method::PATCH,
                    &format!("/zones/{id}/dns_records/{rid}"),
                    Some(&json!({"ttl": new.ttl})),
                    &format!("changing the TTL of {} {}", change.owner, change.rtype),
                )?;
            }
        }
        for change in changes {
            let Some(new) = &change.new else { continue };
            for rdata in change.added() {
                let body = Cloudflare::api_fields(&change.owner, change.rtype, new.ttl, rdata);
                self.call(
                    reqwest::Method::POST,
                    &format!("/zones/{id}/dns_records"),
                    Some(&body),
                    &format!("adding {} {}", change.owner, change.rtype),
                )?;
            }
        }
        Ok(())
    }
}
