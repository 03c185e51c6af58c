//! Zones going out: AXFR (RFC 5936) and IXFR (RFC 1995) answered from a
//! version of the zone, streamed a message at a time (the version is held,
//! never copied), every message TSIG-signed when the request was (RFC 8945
//! §5.3.1); the journal of differences IXFR is answered from; and the
//! access rules (address prefixes, TSIG keys) that say who may transfer a
//! zone or send NOTIFY for it.

use std::collections::VecDeque;
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;

use arc_swap::ArcSwap;

use super::config::Prefix;
use super::response::{Owner, Response, Section};
use super::store::{Node, NodeCursor, ZoneVersion};
use crate::tsig::ResponseSigner;
use crate::xfr::Changeset;
use crate::zone::{Name, RType, Record, serial};

/// A message of a transfer holds about this much (as NSD's and BIND's do);
/// a record larger than what is left goes alone in the next one.
const MESSAGE_TARGET: usize = 16 * 1024;
/// Room kept at the end of every message for its TSIG record.
const TSIG_ROOM: usize = 512;
/// How far ahead of the node being sent a transfer prefetches its RRset
/// list and name, and its rdata (see [`Walk::prefetch_ahead`]).
const LISTS_AHEAD: usize = 8;
const DATA_AHEAD: usize = 4;
/// Nodes fetched from the version at a time.
const NODE_CHUNK: usize = 256;
const FLAG_AA: u16 = 0x0400;

/// One access rule: both parts, where given, must match.
#[derive(Debug, Clone)]
pub struct Rule {
    pub prefix: Option<Prefix>,
    /// An index into [`Policy::keys`].
    pub key: Option<usize>,
}

impl Rule {
    pub fn admits(&self, addr: IpAddr, key: Option<usize>) -> bool {
        self.prefix.is_none_or(|p| p.contains(addr)) && self.key.is_none_or(|k| Some(k) == key)
    }
}

/// Whether any rule admits the client (no rules: nobody).
pub fn admitted(rules: &[Rule], addr: IpAddr, key: Option<usize>) -> bool {
    rules.iter().any(|r| r.admits(addr, key))
}

/// The difference sequences that lead to a zone's current version, oldest
/// first, for IXFR; and the journal file they are kept in. Readers take
/// the list as it is (a change makes a new list sharing the old
/// sequences); writers append to the file in place, one at a time.
#[derive(Default)]
pub struct Journal {
    changes: ArcSwap<Vec<Arc<Changeset>>>,
    /// Where the file ends, once this server has written it.
    tail: std::sync::Mutex<Option<crate::xfr::journal::Tail>>,
}

impl Journal {
    /// Replaces the list (the file is left as it is: the next write
    /// rewrites it).
    pub fn set(&self, changes: Vec<Changeset>) {
        self.changes
            .store(Arc::new(changes.into_iter().map(Arc::new).collect()));
        *self.tail.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub fn len(&self) -> usize {
        self.changes.load().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a change: to the file at `path` first (appended in place,
    /// synced; rewritten and trimmed when it grows past `limit`), then to
    /// the list IXFR reads. Returns a note when the file had to be
    /// started anew.
    pub fn record(
        &self,
        path: &Path,
        zone: &Name,
        change: Changeset,
        limit: u64,
    ) -> std::io::Result<Option<String>> {
        let mut tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = tail.is_none();
        let note = crate::xfr::journal::append_in_place(path, &mut tail, zone, &change, limit)?;
        let current = self.changes.load();
        let continues = current
            .last()
            .is_none_or(|c| c.to_serial() == change.from_serial());
        if fresh || note.is_some() || !continues {
            // The file was rewritten: the list is what it now holds.
            let to = change.to_serial();
            drop(tail);
            let (changes, _) = read_journal(path, to);
            self.changes
                .store(Arc::new(changes.into_iter().map(Arc::new).collect()));
            return Ok(note);
        }
        let mut next = Vec::with_capacity(current.len() + 1);
        next.extend(current.iter().cloned());
        next.push(Arc::new(change));
        self.changes.store(Arc::new(next));
        Ok(None)
    }

    /// The sequences from `serial` to `current`, if the journal holds an
    /// unbroken run of them.
    pub fn since(&self, serial: u32, current: u32) -> Option<Vec<Arc<Changeset>>> {
        let changes = self.changes.load();
        let start = changes.iter().position(|c| c.from_serial() == serial)?;
        let run = &changes[start..];
        let linked = run
            .windows(2)
            .all(|w| w[0].to_serial() == w[1].from_serial());
        (linked && run.last().is_some_and(|c| c.to_serial() == current)).then(|| run.to_vec())
    }
}

/// The changes of a zone's journal file that lead to `serial`, oldest
/// first; none if there is no file, or it is damaged (its digest fails)
/// or leads elsewhere, and then why.
pub fn read_journal(path: &Path, serial: u32) -> (Vec<Changeset>, Option<String>) {
    match crate::xfr::journal::read(path) {
        Ok(changes) if changes.last().is_none_or(|c| c.to_serial() == serial) => (changes, None),
        Ok(changes) => {
            let end = changes.last().map_or(0, |c| c.to_serial());
            (
                Vec::new(),
                Some(format!(
                    "{} ends at serial {end}, not at the zone's {serial}: IXFR starts anew",
                    path.display()
                )),
            )
        }
        Err(crate::xfr::journal::JournalError::Io(e))
            if e.kind() == std::io::ErrorKind::NotFound =>
        {
            (Vec::new(), None)
        }
        Err(e) => (Vec::new(), Some(format!("{e}: IXFR starts anew"))),
    }
}

/// The journal of a zone file just loaded. When the journal goes past
/// the file's serial (updates journaled, the file not yet saved, then a
/// crash), the changes past it are replayed onto `version`: the result is
/// returned with the journal. Otherwise as [`read_journal`].
pub fn replay_journal(
    path: &Path,
    version: &ZoneVersion,
) -> (Vec<Changeset>, Option<ZoneVersion>, Option<String>) {
    let changes = match crate::xfr::journal::read(path) {
        Ok(changes) => changes,
        Err(_) => {
            let (changes, note) = read_journal(path, version.serial);
            return (changes, None, note);
        }
    };
    if changes
        .last()
        .is_none_or(|c| c.to_serial() == version.serial)
    {
        return (changes, None, None);
    }
    let Some(start) = changes
        .iter()
        .rposition(|c| c.from_serial() == version.serial)
    else {
        let (changes, note) = read_journal(path, version.serial);
        return (changes, None, note);
    };
    let mut editor = version.edit();
    for change in &changes[start..] {
        if let Err(e) = editor.apply(change) {
            return (
                Vec::new(),
                None,
                Some(format!(
                    "{} does not apply to the zone file ({e}): IXFR starts anew",
                    path.display()
                )),
            );
        }
    }
    let replayed = editor.finish();
    let note = format!(
        "{} changes replayed from {}: serial {} → {}",
        changes.len() - start,
        path.display(),
        version.serial,
        replayed.serial
    );
    (changes, Some(replayed), Some(note))
}

/// Records the change from `old` to `new` in the zone's journal, on disk
/// (`FILE.jnl`, atomically) and in memory, so that IXFR can send it (what
/// BIND calls `ixfr-from-differences`). A serial that did not move ahead
/// cannot be sent as a difference: the journal is dropped and secondaries
/// will need AXFR. Returns a note for the log, if any.
pub fn record_change(
    journal: &Journal,
    journal_file: &Path,
    old: &ZoneVersion,
    new: &ZoneVersion,
    limit: u64,
) -> Option<String> {
    let ahead = serial::compare(new.serial, old.serial) == Some(std::cmp::Ordering::Greater);
    if !ahead && new.serial == old.serial && old.diff(new) == (Vec::new(), Vec::new()) {
        return None; // the same zone (a file saved from what is served)
    }
    if !ahead {
        journal.set(Vec::new());
        let _ = std::fs::remove_file(journal_file);
        return (new.serial != old.serial || old.diff(new) != (Vec::new(), Vec::new())).then(
            || {
                format!(
                    "serial {} did not move ahead of {}: secondaries need a full transfer",
                    new.serial, old.serial
                )
            },
        );
    }
    let (deleted, added) = old.diff(new);
    let change = Changeset {
        from: old.soa(),
        to: new.soa(),
        deleted,
        added,
    };
    match journal.record(journal_file, &new.origin, change, limit) {
        Ok(note) => note,
        Err(e) => {
            journal.set(Vec::new());
            Some(format!(
                "cannot write {}: {e}; secondaries need a full transfer",
                journal_file.display()
            ))
        }
    }
}

/// A secondary told of new serials, and the key that signs the NOTIFY.
#[derive(Debug, Clone)]
pub struct NotifyTarget {
    pub addr: std::net::SocketAddr,
    pub key: Option<crate::tsig::Key>,
}

/// Sends NOTIFY (RFC 1996 §3.6) for `soa`'s serial to every target, each
/// on a blocking task of its own, retried with doubling waits until
/// acknowledged (five tries, as BIND makes); the outcome is logged.
pub fn notify_secondaries(
    runtime: &tokio::runtime::Handle,
    zone: &crate::zone::Name,
    soa: &Record,
    targets: &[NotifyTarget],
) {
    for target in targets {
        let options = crate::xfr::notify::NotifyOptions {
            zone: zone.clone(),
            soa: Some(soa.clone()),
            key: target.key.clone(),
            fudge: crate::tsig::DEFAULT_FUDGE,
            timeout: std::time::Duration::from_secs(1),
            tries: 5,
        };
        let addr = target.addr;
        let zone = zone.clone();
        runtime.spawn_blocking(move || {
            let report = crate::xfr::notify::notify(addr, &options);
            if report.acknowledged {
                tracing::info!("NOTIFY for {zone} acknowledged by {addr}");
            } else {
                tracing::warn!(
                    "NOTIFY for {zone} to {addr}: {}{}",
                    report.answer,
                    report.detail.map(|d| format!(" ({d})")).unwrap_or_default()
                );
            }
        });
    }
}

/// What the server knows of a zone beyond its data: who may transfer it,
/// who may notify it, its journal, and (for a secondary) how to wake its
/// refresh.
pub struct ZonePolicy {
    pub allow_transfer: Vec<Rule>,
    pub allow_notify: Vec<Rule>,
    pub journal: Arc<Journal>,
    pub refresh: Option<Arc<tokio::sync::Notify>>,
    /// A primary zone's dynamic updates (none for a secondary).
    pub updater: Option<Arc<super::update::Updater>>,
    /// A secondary that forwards updates: its primaries, in order.
    pub forward_updates: Vec<std::net::SocketAddr>,
}

/// The keys and the zones' rules, swapped whole on reload.
#[derive(Default)]
pub struct Policy {
    pub keys: Vec<crate::tsig::Key>,
    /// By the apex in lowercase wire form.
    pub zones: std::collections::HashMap<Vec<u8>, ZonePolicy>,
}

impl Policy {
    pub fn zone(&self, apex_lower: &[u8]) -> Option<&ZonePolicy> {
        self.zones.get(apex_lower)
    }
}

/// The client's SOA serial in an IXFR request (RFC 1995 §3: the SOA in the
/// authority section).
pub fn ixfr_client_serial(msg: &[u8]) -> Option<u32> {
    let parsed = crate::wire::Message::parse(msg).ok()?;
    let mut records = parsed.records();
    let (mut owner, mut rdata) = (Vec::new(), Vec::new());
    while let Ok(Some(header)) = records.next_into(&mut owner, &mut rdata) {
        if header.section == crate::wire::Section::Authority && header.rtype == RType::SOA {
            return crate::xfr::soa_serial(&rdata);
        }
    }
    None
}

/// What a transfer sends, in order.
enum Body {
    /// The whole zone: the SOA, every record, the SOA again (RFC 5936
    /// §2.2); also the answer to an IXFR the journal cannot serve (RFC
    /// 1995 §4).
    Zone(ZoneWalk),
    /// Records prepared in full: the difference sequences of an IXFR, or
    /// a lone SOA.
    Records(VecDeque<Record>),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    FirstSoa,
    Nodes,
    LastSoa,
    Done,
}

/// A walk through a version's records in transfer order.
struct ZoneWalk {
    phase: Phase,
    cursor: NodeCursor,
    nodes: VecDeque<Arc<Node>>,
    /// In the front node: the set, whether in its signatures, and the byte
    /// offset of the next record in that list.
    set: usize,
    in_sigs: bool,
    offset: usize,
}

impl ZoneWalk {
    fn new() -> ZoneWalk {
        ZoneWalk {
            phase: Phase::FirstSoa,
            cursor: NodeCursor::default(),
            nodes: VecDeque::new(),
            set: 0,
            in_sigs: false,
            offset: 0,
        }
    }

    /// Moves to the next record of the node walk (skipping the apex SOA,
    /// sent first and last); false when the nodes are done.
    /// Asks the CPU for the memory of the nodes a little ahead: a
    /// transfer reads each node's name, RRset list and rdata once, from
    /// allocations spread over the heap, and waiting for each cache miss
    /// in turn was most of its time. The RRset lists are fetched further
    /// ahead than the rdata they point to, so that reading the pointers
    /// does not itself wait.
    fn prefetch_ahead(&self) {
        if let Some(node) = self.nodes.get(LISTS_AHEAD) {
            prefetch(node.name.as_wire().as_ptr());
            prefetch(node.sets.as_ptr().cast());
        }
        if let Some(node) = self.nodes.get(DATA_AHEAD) {
            for set in node.sets.iter() {
                prefetch(set.records.as_ptr());
            }
        }
    }

    fn settle(&mut self, version: &ZoneVersion) -> bool {
        loop {
            if self.nodes.is_empty() {
                if self.cursor.is_done() {
                    return false;
                }
                let mut chunk = Vec::with_capacity(NODE_CHUNK);
                version.next_nodes(&mut self.cursor, NODE_CHUNK, &mut chunk);
                self.nodes.extend(chunk);
                for node in self.nodes.iter().take(LISTS_AHEAD) {
                    prefetch(node.name.as_wire().as_ptr());
                    prefetch(node.sets.as_ptr().cast());
                }
                (self.set, self.in_sigs, self.offset) = (0, false, 0);
                continue;
            }
            let node = &self.nodes[0];
            let Some(set) = node.sets.get(self.set) else {
                self.nodes.pop_front();
                (self.set, self.in_sigs, self.offset) = (0, false, 0);
                self.prefetch_ahead();
                continue;
            };
            let skip_data = set.rtype == RType::SOA && node.has(super::store::flag::APEX);
            let list = if self.in_sigs {
                &set.sigs
            } else {
                &set.records
            };
            if (self.in_sigs || !skip_data) && list.at(self.offset).is_some() {
                return true;
            }
            if self.in_sigs {
                (self.set, self.in_sigs, self.offset) = (self.set + 1, false, 0);
            } else {
                (self.in_sigs, self.offset) = (true, 0);
            }
        }
    }
}

/// A hint that `ptr`'s cache line will be read soon (nothing else: an
/// address need not be valid to be prefetched).
#[inline(always)]
fn prefetch(ptr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch never faults and changes no state but the cache.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(ptr.cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}

/// An outgoing transfer: call [`Outgoing::next_message`] until it returns
/// `None`.
pub struct Outgoing {
    version: Arc<ZoneVersion>,
    /// The request's header and question, echoed in every message.
    head: Vec<u8>,
    signer: Option<ResponseSigner>,
    body: Body,
    buf: Vec<u8>,
    pub records: u64,
    /// What is being sent, for the log: AXFR, IXFR, or an IXFR answered
    /// with the whole zone or the SOA alone.
    pub kind: &'static str,
}

impl Outgoing {
    /// A full transfer of `version`.
    pub fn axfr(version: Arc<ZoneVersion>, head: &[u8], signer: Option<ResponseSigner>) -> Self {
        Outgoing::new(version, head, signer, Body::Zone(ZoneWalk::new()), "AXFR")
    }

    /// An IXFR answer for a client at `client_serial`: the lone SOA when it
    /// is current (or ahead), the journal's sequences when it holds them,
    /// else the whole zone.
    pub fn ixfr(
        version: Arc<ZoneVersion>,
        journal: &Journal,
        client_serial: u32,
        head: &[u8],
        signer: Option<ResponseSigner>,
    ) -> Self {
        let soa = version.soa();
        let behind =
            serial::compare(client_serial, version.serial) == Some(std::cmp::Ordering::Less);
        let (body, kind) = if !behind {
            (Body::Records(VecDeque::from([soa])), "IXFR (up to date)")
        } else if let Some(changes) = journal.since(client_serial, version.serial) {
            (Body::Records(ixfr_records(&soa, changes)), "IXFR")
        } else {
            (Body::Zone(ZoneWalk::new()), "IXFR (whole zone)")
        };
        Outgoing::new(version, head, signer, body, kind)
    }

    /// A lone SOA: the IXFR answer over UDP when the differences do not
    /// fit (RFC 1995 §2).
    pub fn soa_only(
        version: Arc<ZoneVersion>,
        head: &[u8],
        signer: Option<ResponseSigner>,
    ) -> Self {
        let soa = version.soa();
        let body = Body::Records(VecDeque::from([soa]));
        Outgoing::new(version, head, signer, body, "IXFR (SOA only)")
    }

    fn new(
        version: Arc<ZoneVersion>,
        head: &[u8],
        signer: Option<ResponseSigner>,
        body: Body,
        kind: &'static str,
    ) -> Outgoing {
        Outgoing {
            version,
            head: head.to_vec(),
            signer,
            body,
            buf: vec![0u8; 65535],
            records: 0,
            kind,
        }
    }

    pub fn zone(&self) -> &crate::zone::Name {
        &self.version.origin
    }

    pub fn serial(&self) -> u32 {
        self.version.serial
    }

    /// Whether the whole answer went out.
    pub fn is_done(&self) -> bool {
        match &self.body {
            Body::Zone(walk) => walk.phase == Phase::Done,
            Body::Records(records) => records.is_empty(),
        }
    }

    /// The next message, at most `limit` octets before its TSIG (65535 on
    /// TCP; the client's UDP size for IXFR over UDP, where the caller
    /// checks [`Outgoing::is_done`] after the one message). `None` once
    /// everything was sent; an error if a record cannot fit a message.
    pub fn next_message(&mut self, limit: usize, now: u64) -> Option<Result<Vec<u8>, String>> {
        if self.is_done() {
            return None;
        }
        let mut buf = std::mem::take(&mut self.buf);
        let limit = limit.min(65535).saturating_sub(TSIG_ROOM);
        let target = MESSAGE_TARGET.min(limit);
        let mut response = Response::new(&mut buf, &self.head, limit);
        let mut count = 0u64;
        let version = self.version.clone();
        let origin = version.origin.as_wire().to_vec();
        let soa = version.soa();
        loop {
            if response.written() >= target {
                break;
            }
            let written = match &mut self.body {
                Body::Records(records) => {
                    let Some(r) = records.front() else { break };
                    let ok = response
                        .record(
                            Section::Answer,
                            Owner::Wire(r.owner.as_wire()),
                            r.rtype,
                            r.class,
                            r.ttl,
                            &r.rdata,
                        )
                        .is_some();
                    if ok {
                        records.pop_front();
                    }
                    ok
                }
                Body::Zone(walk) => match walk.phase {
                    Phase::Done => break,
                    Phase::FirstSoa | Phase::LastSoa => {
                        let ok = response
                            .record(
                                Section::Answer,
                                Owner::Wire(&origin),
                                RType::SOA,
                                soa.class,
                                soa.ttl,
                                &soa.rdata,
                            )
                            .is_some();
                        if ok {
                            walk.phase = if walk.phase == Phase::FirstSoa {
                                Phase::Nodes
                            } else {
                                Phase::Done
                            };
                        }
                        ok
                    }
                    Phase::Nodes => {
                        if !walk.settle(&version) {
                            walk.phase = Phase::LastSoa;
                            continue;
                        }
                        let node = &walk.nodes[0];
                        let set = &node.sets[walk.set];
                        let (rtype, ttl, list) = if walk.in_sigs {
                            (RType::RRSIG, set.sig_ttl, &set.sigs)
                        } else {
                            (set.rtype, set.ttl, &set.records)
                        };
                        let (rdata, next) = list.at(walk.offset).expect("settled");
                        let ok = response
                            .record(
                                Section::Answer,
                                Owner::Wire(node.name.as_wire()),
                                rtype,
                                version.class,
                                ttl,
                                rdata,
                            )
                            .is_some();
                        if ok {
                            walk.offset = next;
                        }
                        ok
                    }
                },
            };
            if !written {
                if count == 0 {
                    self.buf = buf;
                    return Some(Err("a record does not fit in a message".into()));
                }
                break;
            }
            count += 1;
        }
        self.records += count;
        let len = response.finish(FLAG_AA, 0);
        let mut msg = buf[..len].to_vec();
        self.buf = buf;
        if let Some(signer) = &mut self.signer {
            signer.sign(&mut msg, now);
        }
        Some(Ok(msg))
    }
}

/// The records of an incremental answer (RFC 1995 §4): the current SOA,
/// each sequence as old SOA, deletions, new SOA, additions, and the
/// current SOA again.
fn ixfr_records(current: &Record, changes: Vec<Arc<Changeset>>) -> VecDeque<Record> {
    let mut out = VecDeque::new();
    out.push_back(current.clone());
    for c in changes {
        out.push_back(c.from.clone());
        out.extend(c.deleted.iter().cloned());
        out.push_back(c.to.clone());
        out.extend(c.added.iter().cloned());
    }
    out.push_back(current.clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> Arc<ZoneVersion> {
        Arc::new(crate::server::store::tests::version(text))
    }

    fn head() -> Vec<u8> {
        crate::wire::MessageBuilder::new(7, 0, 0)
            .question(b"\x07example\x00", RType::AXFR, 1)
            .finish()
    }

    /// Every record of every message, in order, as text.
    fn transfer(mut out: Outgoing) -> (usize, Vec<String>) {
        let mut lines = Vec::new();
        let mut messages = 0;
        while let Some(msg) = out.next_message(65535, 0) {
            let msg = msg.unwrap();
            messages += 1;
            let parsed = crate::wire::Message::parse(&msg).unwrap();
            let mut records = parsed.records();
            let (mut owner, mut rdata) = (Vec::new(), Vec::new());
            while let Some(h) = records.next_into(&mut owner, &mut rdata).unwrap() {
                let mut line = String::new();
                crate::zone::writer::format_record(
                    &owner, h.ttl, h.class, h.rtype, &rdata, &mut line,
                );
                lines.push(line);
            }
        }
        (messages, lines)
    }

    #[test]
    fn rfc5936_2_2_axfr_is_soa_records_soa_across_messages() {
        let mut text = String::from("$TTL 60\n@ SOA ns hm 5 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n");
        for i in 0..2000 {
            text.push_str(&format!("h{i} TXT \"{}\"\n", "x".repeat(40)));
        }
        let v = version(&text);
        let (messages, lines) = transfer(Outgoing::axfr(v, &head(), None));
        assert!(messages > 3, "{messages} messages");
        assert_eq!(lines.len(), 2003 + 1);
        assert!(lines[0].contains("SOA") && lines.last().unwrap().contains("SOA"));
        assert_eq!(lines.iter().filter(|l| l.contains(" SOA ")).count(), 2);
    }

    #[test]
    fn rfc1995_4_ixfr_sends_the_journal_or_the_zone_or_the_soa() {
        let old =
            version("$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\na A 192.0.2.2\n");
        let new =
            version("$TTL 60\n@ SOA ns hm 2 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nb A 192.0.2.3\n");
        let (deleted, added) = old.diff(&new);
        assert_eq!((deleted.len(), added.len()), (1, 1));
        let journal = Journal::default();
        journal.set(vec![Changeset {
            from: old.soa(),
            to: new.soa(),
            deleted,
            added,
        }]);
        let (_, lines) = transfer(Outgoing::ixfr(new.clone(), &journal, 1, &head(), None));
        assert_eq!(lines.len(), 6, "{lines:?}");
        assert!(lines[2].starts_with("a.example.") && lines[4].starts_with("b.example."));
        // Up to date: the SOA alone.
        let (_, lines) = transfer(Outgoing::ixfr(new.clone(), &journal, 2, &head(), None));
        assert_eq!(lines.len(), 1);
        // Older than the journal: the whole zone.
        let (_, lines) = transfer(Outgoing::ixfr(new, &journal, 0, &head(), None));
        assert_eq!(lines.len(), 5);
    }

    #[test]
    fn rules_match_prefix_and_key_together() {
        let rule = Rule {
            prefix: Some(Prefix::parse("192.0.2.0/24").unwrap()),
            key: Some(0),
        };
        assert!(rule.admits("192.0.2.9".parse().unwrap(), Some(0)));
        assert!(!rule.admits("192.0.2.9".parse().unwrap(), None));
        assert!(!rule.admits("198.51.100.1".parse().unwrap(), Some(0)));
        assert!(rule.admits("::ffff:192.0.2.9".parse().unwrap(), Some(0)));
        let v6 = Prefix::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::1".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        assert!(
            Prefix::parse("0.0.0.0/0")
                .unwrap()
                .contains("203.0.113.1".parse().unwrap())
        );
    }
}
