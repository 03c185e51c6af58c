//! A primary that takes RFC 2136 UPDATE (BIND, Knot, PowerDNS, zonectl
//! serve): the current state is read by AXFR, the changes go as UPDATE
//! messages over TCP, TSIG-signed when a key is configured.
//!
//! Every message carries a prerequisite (RFC 2136 §2.4.2) that the SOA is
//! exactly the one read at plan time, and sets the next serial itself, so
//! the next message's prerequisite is known without asking: a change made
//! by anyone else in between fails the prerequisite and that message
//! changes nothing. A large change goes in batches, each one atomic;
//! all changes of one owner name stay in one batch (deletions first), so
//! that no batch leaves, say, a CNAME beside other data.

use std::net::SocketAddr;
use std::time::Duration;

use crate::diff::Change;
use crate::net;
use crate::tsig::{self, Key, ResponseVerifier};
use crate::wire::{self, MessageBuilder, Section, opcode};
use crate::xfr::{Client, soa_serial};
use crate::zone::{Name, RType, Zone, serial};

use super::config::TargetConfig;
use super::{Provider, PushError};

const DEFAULT_BATCH: usize = 500;
const CLASS_NONE: u16 = 254;

pub struct Rfc2136 {
    name: String,
    server: SocketAddr,
    key: Option<Key>,
    batch: usize,
    timeout: Duration,
}

/// One change to send: delete a whole RRset, delete one record, add one.
enum Op<'a> {
    DeleteSet(&'a Name, RType),
    Delete(&'a Name, RType, &'a [u8]),
    Add(&'a Name, RType, u32, &'a [u8]),
}

impl Rfc2136 {
    pub fn from_config(target: &TargetConfig) -> Result<Rfc2136, PushError> {
        let server_text = target.server.as_deref().unwrap_or_default();
        let server = net::parse_server(server_text, 53)
            .map_err(|e| PushError::Config(format!("{}: server: {e}", target.name)))?;
        let key = match &target.key_file {
            None => None,
            Some(file) => {
                let keys = Key::read_file(file)
                    .map_err(|e| PushError::Config(format!("{}: key-file: {e}", target.name)))?;
                let wanted = target
                    .key_name
                    .as_ref()
                    .and_then(|w| Name::parse(super::absolute(w).as_bytes(), None).ok());
                let key = match (&target.key_name, wanted) {
                    (Some(_), None) => None, // not a name: no key has it
                    (_, wanted) => Key::choose(keys, wanted.as_ref()),
                };
                Some(key.ok_or_else(|| {
                    PushError::Config(format!(
                        "{}: key-file {} has no such key (name it with key-name when it holds several)",
                        target.name,
                        file.display()
                    ))
                })?)
            }
        };
        Ok(Rfc2136 {
            name: target.name.clone(),
            server,
            key,
            batch: target.batch_size.unwrap_or(DEFAULT_BATCH),
            timeout: Duration::from_secs(target.timeout.unwrap_or(10)),
        })
    }

    fn error(&self, reason: String) -> PushError {
        PushError::Target {
            target: format!("{} ({})", self.name, self.server),
            reason,
        }
    }

    /// Sends one UPDATE: the prerequisite SOA, the operations, the new
    /// SOA. Returns only when the primary said NOERROR.
    fn send(
        &self,
        zone: &Zone,
        soa_now: &[u8],
        soa_next: &[u8],
        soa_ttl: u32,
        ops: &[Op<'_>],
    ) -> Result<(), PushError> {
        let origin = zone.origin.as_wire();
        let mut builder = MessageBuilder::new(wire::random_id(), opcode::UPDATE, 0)
            .question(origin, RType::SOA, zone.class)
            .record(Section::Answer, origin, RType::SOA, zone.class, 0, soa_now);
        for op in ops {
            builder = match *op {
                Op::DeleteSet(owner, rtype) => builder.record(
                    Section::Authority,
                    owner.as_wire(),
                    rtype,
                    wire::CLASS_ANY,
                    0,
                    &[],
                ),
                Op::Delete(owner, rtype, rdata) => builder.record(
                    Section::Authority,
                    owner.as_wire(),
                    rtype,
                    CLASS_NONE,
                    0,
                    rdata,
                ),
                Op::Add(owner, rtype, ttl, rdata) => builder.record(
                    Section::Authority,
                    owner.as_wire(),
                    rtype,
                    zone.class,
                    ttl,
                    rdata,
                ),
            };
        }
        builder = builder.record(
            Section::Authority,
            origin,
            RType::SOA,
            zone.class,
            soa_ttl,
            soa_next,
        );
        let mut msg = builder.finish();
        let mac = self
            .key
            .as_ref()
            .map(|key| tsig::sign_request(&mut msg, key, tsig::DEFAULT_FUDGE));
        let answer = net::exchange(self.server, &msg, self.timeout, true)
            .map_err(|e| self.error(e.to_string()))?;
        let parsed = wire::Message::parse(&answer)
            .map_err(|e| self.error(format!("malformed answer to UPDATE: {e}")))?;
        if answer[..2] != msg[..2] || parsed.header.opcode() != opcode::UPDATE {
            return Err(self.error("the answer is not to the UPDATE sent".into()));
        }
        let rcode = parsed.full_rcode().unwrap_or(parsed.header.rcode());
        if let (Some(key), Some(mac)) = (&self.key, mac) {
            let found = tsig::find(&answer).map_err(|e| self.error(format!("TSIG: {e}")))?;
            if found.is_some() || rcode == wire::rcode::NOERROR {
                ResponseVerifier::new(key, mac)
                    .check(&answer, found.as_ref())
                    .map_err(|e| self.error(format!("TSIG of the answer: {e}")))?;
            }
        }
        match rcode {
            wire::rcode::NOERROR => Ok(()),
            wire::rcode::NXRRSET | wire::rcode::YXRRSET => Err(PushError::Changed {
                target: format!("{} ({})", self.name, self.server),
                reason: format!(
                    "zone {} changed since the plan: the SOA is no longer the one read (prerequisite failed, {}); this UPDATE changed nothing",
                    zone.origin,
                    wire::rcode_name(rcode)
                ),
            }),
            other => Err(self.error(format!(
                "UPDATE of zone {} refused: {}",
                zone.origin,
                wire::rcode_name(other)
            ))),
        }
    }
}

impl Rfc2136 {
    /// Moves one owner's operations into the batch being filled (deletions
    /// first), starting a new batch when they would overfill it.
    fn pack<'a>(
        &self,
        group: &mut Vec<Op<'a>>,
        batch: &mut Vec<Op<'a>>,
        batches: &mut Vec<Vec<Op<'a>>>,
    ) {
        if !batch.is_empty() && batch.len() + group.len() > self.batch {
            batches.push(std::mem::take(batch));
        }
        group.sort_by_key(|op| matches!(op, Op::Add(..)));
        batch.append(group);
    }
}

/// The SOA rdata with another serial.
fn with_serial(rdata: &[u8], new: u32) -> Option<Vec<u8>> {
    let at = crate::xfr::soa_serial_at(rdata)?;
    let mut out = rdata.to_vec();
    out[at..at + 4].copy_from_slice(&new.to_be_bytes());
    Some(out)
}

/// The operations for one change: a TTL change replaces the RRset, any
/// other change deletes and adds only the records that differ.
fn ops_of(change: &Change) -> Vec<Op<'_>> {
    let mut ops = Vec::new();
    let (owner, rtype) = (&change.owner, change.rtype);
    let ttl_changed = matches!((&change.old, &change.new), (Some(o), Some(n)) if o.ttl != n.ttl);
    match (&change.old, &change.new) {
        (Some(_), None) => ops.push(Op::DeleteSet(owner, rtype)),
        (_, Some(new)) if ttl_changed => {
            ops.push(Op::DeleteSet(owner, rtype));
            ops.extend(new.rdatas.iter().map(|r| Op::Add(owner, rtype, new.ttl, r)));
        }
        (_, Some(new)) => {
            ops.extend(
                change
                    .removed()
                    .into_iter()
                    .map(|r| Op::Delete(owner, rtype, r)),
            );
            ops.extend(
                change
                    .added()
                    .into_iter()
                    .map(|r| Op::Add(owner, rtype, new.ttl, r)),
            );
        }
        (None, None) => {}
    }
    ops
}

impl Provider for Rfc2136 {
    fn name(&self) -> &str {
        &self.name
    }

    fn read(&self, zone: &Name) -> Result<Zone, PushError> {
        let mut client = Client::new(zone.clone(), self.server);
        client.key = self.key.clone();
        client.timeout = self.timeout;
        client
            .axfr_zone()
            .map_err(|e| self.error(format!("cannot read zone {zone} by AXFR: {e}")))
    }

    fn apply(&self, current: &Zone, changes: &[Change]) -> Result<(), PushError> {
        let soa = current
            .soa()
            .ok_or_else(|| self.error(format!("zone {} has no SOA", current.origin)))?;
        let mut soa_now = soa.rdatas[0].to_vec();
        let mut serial_now =
            soa_serial(&soa_now).ok_or_else(|| self.error("the zone's SOA is malformed".into()))?;
        // The SOA is not changed by an operation of its own: every message
        // sets the next serial, on the desired SOA's other fields when the
        // plan changes them (a plan never changes the serial itself).
        let is_apex_soa =
            |c: &Change| c.rtype == RType::SOA && c.owner.eq_ignore_case(&current.origin);
        let (mut soa_fields, mut soa_ttl) = (soa_now.clone(), soa.ttl);
        if let Some(new) = changes
            .iter()
            .find(|c| is_apex_soa(c))
            .and_then(|c| c.new.as_ref())
        {
            soa_fields = new.rdatas[0].to_vec();
            soa_ttl = new.ttl;
        }
        let changes: Vec<&Change> = changes.iter().filter(|c| !is_apex_soa(c)).collect();
        // Changes grouped by owner (they come in canonical order), and the
        // groups packed into batches of about `batch` operations.
        let mut batches: Vec<Vec<Op<'_>>> = Vec::new();
        let mut group: Vec<Op<'_>> = Vec::new();
        let mut batch: Vec<Op<'_>> = Vec::new();
        for (i, &change) in changes.iter().enumerate() {
            if i > 0 && !changes[i - 1].owner.eq_ignore_case(&change.owner) {
                self.pack(&mut group, &mut batch, &mut batches);
            }
            group.extend(ops_of(change));
        }
        self.pack(&mut group, &mut batch, &mut batches);
        if !batch.is_empty() {
            batches.push(batch);
        }
        if batches.is_empty() && soa_fields != soa_now {
            batches.push(Vec::new()); // the SOA alone changes
        }
        for ops in &batches {
            let serial_next = serial::add(serial_now, 1);
            let soa_next = with_serial(&soa_fields, serial_next)
                .ok_or_else(|| self.error("the zone's SOA is malformed".into()))?;
            self.send(current, &soa_now, &soa_next, soa_ttl, ops)?;
            (soa_now, serial_now) = (soa_next, serial_next);
        }
        Ok(())
    }
}
