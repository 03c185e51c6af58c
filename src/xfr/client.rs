//! The client side of zone transfers: SOA queries, AXFR and IXFR, each
//! request optionally TSIG-signed and every answer message checked.

use crate::zone::validate::validate_rdata;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::net::{self, NetError, TcpConnection};
use crate::tsig::{self, Key, ReceivedTsig, ResponseVerifier};
use crate::wire::{self, Cursor, Message, MessageBuilder, Section, flag, opcode};
use crate::zone::name::is_subdomain_wire;
use crate::zone::{Name, RType, Record, Zone, serial};

use super::{Changeset, XfrError, soa_serial};

/// Where and how to reach a primary.
#[derive(Debug, Clone)]
pub struct Client {
    pub zone: Name,
    pub class: u16,
    pub server: SocketAddr,
    pub key: Option<Key>,
    pub fudge: u16,
    pub timeout: Duration,
    /// The longest a whole transfer may take (each read is bounded by
    /// `timeout` as well).
    pub max_time: Option<Duration>,
    /// The most bytes a transfer may bring: an answer that never ends
    /// must not fill the disk.
    pub max_bytes: u64,
    /// The most bytes of IXFR changes held in memory before they are
    /// applied.
    pub max_ixfr_bytes: u64,
    /// Records received so far, for a progress display.
    pub progress: Option<Arc<AtomicU64>>,
}

/// Defaults of the transfer limits: a day, 64 GiB (the largest zones
/// served today are some tens of GiB in AXFR form), 1 GiB of changes.
pub const DEFAULT_MAX_TIME: Duration = Duration::from_secs(24 * 3600);
pub const DEFAULT_MAX_BYTES: u64 = 64 << 30;
pub const DEFAULT_MAX_IXFR_BYTES: u64 = 1 << 30;

/// A record borrowed from the message being read.
#[derive(Debug, Clone, Copy)]
pub struct RecordRef<'a> {
    pub owner: &'a [u8],
    pub rtype: RType,
    pub class: u16,
    pub ttl: u32,
    pub rdata: &'a [u8],
}

impl RecordRef<'_> {
    pub fn to_record(&self) -> Result<Record, XfrError> {
        Ok(Record {
            owner: Name::from_wire(self.owner)
                .map_err(|_| XfrError::Protocol("malformed owner name".into()))?,
            rtype: self.rtype,
            class: self.class,
            ttl: self.ttl,
            rdata: self.rdata.into(),
            pos: Default::default(),
        })
    }
}

/// What a transfer moved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub messages: u64,
    /// Bytes received (with TCP's two-octet length prefixes).
    pub bytes: u64,
    pub records: u64,
    /// Whether the answer came over UDP.
    pub udp: bool,
}

/// The answer to an IXFR query.
#[derive(Debug)]
pub enum IxfrAnswer {
    /// The primary's serial is not newer than ours (it may be older).
    UpToDate {
        serial: u32,
    },
    /// The whole zone, as an AXFR would send it (without the closing SOA).
    Full {
        records: Vec<Record>,
    },
    Incremental {
        changesets: Vec<Changeset>,
    },
}

enum Source {
    Tcp(TcpConnection),
    /// A UDP answer: one message, already received.
    Udp(Option<Vec<u8>>),
}

/// The records of a (possibly multi-message) answer, one at a time, each
/// message checked: ID, QR, RCODE, question, and its TSIG.
struct AnswerStream<'k> {
    source: Source,
    server: SocketAddr,
    id: u16,
    qtype: RType,
    zone: Name,
    msg: Vec<u8>,
    cursor: Cursor,
    loaded: bool,
    tsig: Option<ReceivedTsig>,
    max_bytes: u64,
    verifier: Option<ResponseVerifier<'k>>,
    stats: Stats,
}

impl<'k> AnswerStream<'k> {
    /// The next answer record, loading messages as needed; `None` when a
    /// UDP answer ends. On TCP the caller decides where the answer ends.
    fn next(
        &mut self,
        owner: &mut Vec<u8>,
        rdata: &mut Vec<u8>,
    ) -> Result<Option<wire::RecordHeader>, XfrError> {
        loop {
            if !self.loaded {
                if !self.load()? {
                    return Ok(None);
                }
                continue;
            }
            match self.cursor.next_into(&self.msg, owner, rdata)? {
                Some(mut header) if header.section == Section::Answer => {
                    self.stats.records += 1;
                    if let Err(reason) = validate_rdata(header.rtype, rdata) {
                        return Err(XfrError::BadRdata {
                            owner: crate::zone::Name::from_wire(owner)
                                .map_or_else(|_| "?".into(), |n| n.to_string()),
                            rtype: header.rtype,
                            reason,
                        });
                    }
                    // RFC 2181 §8: a TTL with the top bit set is taken as 0.
                    if header.ttl > i32::MAX as u32 {
                        header.ttl = 0;
                    }
                    return Ok(Some(header));
                }
                Some(header) => self.side_record(header, owner, rdata)?,
                None => self.end_message()?,
            }
        }
    }

    /// Authority and additional records: OPT is checked, TSIG kept for
    /// the end of the message, anything else ignored.
    fn side_record(
        &mut self,
        header: wire::RecordHeader,
        owner: &[u8],
        rdata: &[u8],
    ) -> Result<(), XfrError> {
        if self.tsig.is_some() {
            return Err(tsig::TsigError::NotLast.into());
        }
        match header.rtype {
            tsig::TSIG if header.section == Section::Additional => {
                self.tsig = Some(ReceivedTsig {
                    offset: header.offset,
                    key_name: owner.to_vec(),
                    rdata: tsig::TsigRdata::parse(rdata)?,
                });
            }
            RType::OPT if header.ttl >> 24 != 0 => {
                let rcode =
                    ((header.ttl >> 24) as u16) << 4 | wire::Header::parse(&self.msg)?.rcode();
                return Err(XfrError::Rcode {
                    server: self.server,
                    rcode,
                });
            }
            _ => {}
        }
        Ok(())
    }

    /// The current message is done: its TSIG must verify.
    fn end_message(&mut self) -> Result<(), XfrError> {
        self.cursor.check_end(&self.msg)?;
        if let Some(verifier) = &mut self.verifier {
            verifier.check(&self.msg, self.tsig.as_ref())?;
        }
        self.tsig = None;
        self.loaded = false;
        Ok(())
    }

    /// Reads and checks the next message; false when a UDP answer is used up.
    fn load(&mut self) -> Result<bool, XfrError> {
        match &mut self.source {
            Source::Tcp(conn) => match conn.receive(&mut self.msg) {
                Ok(()) => {}
                Err(NetError::Closed { server, .. }) => {
                    return Err(XfrError::Closed {
                        server,
                        records: self.stats.records,
                    });
                }
                Err(e) => return Err(e.into()),
            },
            Source::Udp(answer) => match answer.take() {
                Some(a) => self.msg = a,
                None => return Ok(false),
            },
        }
        let udp = matches!(self.source, Source::Udp(_));
        self.stats.messages += 1;
        self.stats.bytes += self.msg.len() as u64 + if udp { 0 } else { 2 };
        if self.stats.bytes > self.max_bytes {
            return Err(XfrError::TooLarge {
                what: "the transfer",
                limit: self.max_bytes,
            });
        }
        self.stats.udp = udp;
        let parsed = Message::parse(&self.msg)?;
        let header = parsed.header;
        if header.id != self.id || !header.has(flag::QR) {
            return Err(XfrError::Protocol(format!(
                "answer with ID {} (expected {}) or without the QR bit",
                header.id, self.id
            )));
        }
        if header.rcode() != wire::rcode::NOERROR {
            // A TSIG error explains a NOTAUTH better than the RCODE.
            if let Ok(Some(found)) = tsig::find(&self.msg)
                && found.rdata.error != 0
                && let Some(verifier) = &mut self.verifier
            {
                verifier.check(&self.msg, Some(&found))?;
            }
            return Err(XfrError::Rcode {
                server: self.server,
                rcode: header.rcode(),
            });
        }
        if header.has(flag::TC) {
            if matches!(self.source, Source::Udp(_)) {
                return Err(XfrError::Truncated);
            }
            return Err(XfrError::Protocol("truncated message over TCP".into()));
        }
        if let Some((qname, qtype, _)) = &parsed.question
            && (*qtype != self.qtype || !qname.eq_ignore_ascii_case(self.zone.as_wire()))
        {
            return Err(XfrError::Protocol(
                "the answer's question is not the one asked".into(),
            ));
        }
        self.cursor = parsed.cursor();
        self.loaded = true;
        Ok(true)
    }

    /// After the last record of the answer: nothing may follow it in its
    /// message, which must verify, and the last message must be signed.
    fn finish(mut self) -> Result<Stats, XfrError> {
        let (mut owner, mut rdata) = (Vec::new(), Vec::new());
        if self.loaded {
            while let Some(header) = self.cursor.next_into(&self.msg, &mut owner, &mut rdata)? {
                if header.section == Section::Answer {
                    return Err(XfrError::Protocol("records after the closing SOA".into()));
                }
                self.side_record(header, &owner, &rdata)?;
            }
            self.end_message()?;
        }
        if let Some(verifier) = &self.verifier {
            verifier.finish()?;
        }
        Ok(self.stats)
    }
}

impl Client {
    pub fn new(zone: Name, server: SocketAddr) -> Client {
        Client {
            zone,
            class: wire::CLASS_IN,
            server,
            key: None,
            fudge: tsig::DEFAULT_FUDGE,
            timeout: Duration::from_secs(10),
            max_time: Some(DEFAULT_MAX_TIME),
            max_bytes: DEFAULT_MAX_BYTES,
            max_ixfr_bytes: DEFAULT_MAX_IXFR_BYTES,
            progress: None,
        }
    }

    /// A query for the zone; `authority` is the SOA an IXFR carries.
    fn query(&self, qtype: RType, authority: Option<&Record>) -> (Vec<u8>, Option<Vec<u8>>) {
        let mut builder = MessageBuilder::new(wire::random_id(), opcode::QUERY, 0).question(
            self.zone.as_wire(),
            qtype,
            self.class,
        );
        if let Some(soa) = authority {
            builder = builder.record(
                Section::Authority,
                soa.owner.as_wire(),
                RType::SOA,
                soa.class,
                soa.ttl,
                &soa.rdata,
            );
        }
        let mut msg = builder.edns(65535).finish();
        let mac = self
            .key
            .as_ref()
            .map(|key| tsig::sign_request(&mut msg, key, self.fudge));
        (msg, mac)
    }

    fn stream(
        &self,
        source: Source,
        query: &[u8],
        mac: Option<Vec<u8>>,
        qtype: RType,
    ) -> AnswerStream<'_> {
        AnswerStream {
            source,
            server: self.server,
            id: u16::from_be_bytes([query[0], query[1]]),
            qtype,
            zone: self.zone.clone(),
            msg: Vec::with_capacity(65535),
            cursor: Cursor::default(),
            loaded: false,
            tsig: None,
            verifier: self
                .key
                .as_ref()
                .zip(mac)
                .map(|(key, mac)| ResponseVerifier::new(key, mac)),
            stats: Stats::default(),
            max_bytes: self.max_bytes,
        }
    }

    fn tcp_stream(
        &self,
        qtype: RType,
        authority: Option<&Record>,
    ) -> Result<AnswerStream<'_>, XfrError> {
        let (query, mac) = self.query(qtype, authority);
        let mut conn = TcpConnection::connect(self.server, self.timeout)?;
        if let Some(limit) = self.max_time {
            conn.set_time_limit(limit);
        }
        conn.send(&query)?;
        Ok(self.stream(Source::Tcp(conn), &query, mac, qtype))
    }

    fn count(&self) {
        if let Some(counter) = &self.progress {
            counter.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn is_apex_soa(&self, owner: &[u8], header: &wire::RecordHeader) -> bool {
        header.rtype == RType::SOA && owner.eq_ignore_ascii_case(self.zone.as_wire())
    }

    /// The primary's SOA serial, asked over UDP (TCP when truncated).
    pub fn soa_serial(&self) -> Result<u32, XfrError> {
        let (query, mac) = self.query(RType::SOA, None);
        let answer = net::exchange(self.server, &query, self.timeout, false)?;
        let mut stream = self.stream(Source::Udp(Some(answer)), &query, mac, RType::SOA);
        let (mut owner, mut rdata) = (Vec::new(), Vec::new());
        let mut found = None;
        while let Some(header) = stream.next(&mut owner, &mut rdata)? {
            if self.is_apex_soa(&owner, &header) {
                found = soa_serial(&rdata);
            }
        }
        if let Some(verifier) = &stream.verifier {
            verifier.finish()?;
        }
        found.ok_or_else(|| {
            XfrError::Protocol(format!("{} gave no SOA for {}", self.server, self.zone))
        })
    }

    /// Receives the whole zone by AXFR, handing each record (the opening
    /// SOA first, the closing SOA left out) to `sink` as it arrives.
    pub fn axfr(
        &self,
        sink: &mut dyn FnMut(&RecordRef<'_>) -> io::Result<()>,
    ) -> Result<(u32, Stats), XfrError> {
        let mut stream = self.tcp_stream(RType::AXFR, None)?;
        let (mut owner, mut rdata) = (Vec::new(), Vec::new());
        let first = stream
            .next(&mut owner, &mut rdata)?
            .ok_or(XfrError::Empty)?;
        if !self.is_apex_soa(&owner, &first) {
            return Err(XfrError::Protocol(
                "the transfer does not start with the zone's SOA".into(),
            ));
        }
        let serial =
            soa_serial(&rdata).ok_or_else(|| XfrError::Protocol("malformed SOA".into()))?;
        let opening_soa = rdata.clone();
        let mut emit = |owner: &[u8], header: &wire::RecordHeader, rdata: &[u8]| {
            self.count();
            sink(&RecordRef {
                owner,
                rtype: header.rtype,
                class: header.class,
                ttl: header.ttl,
                rdata,
            })
            .map_err(XfrError::Output)
        };
        emit(&owner, &first, &rdata)?;
        loop {
            let header = stream
                .next(&mut owner, &mut rdata)?
                .ok_or(XfrError::Empty)?;
            self.check_record(&owner, &header)?;
            if header.rtype == RType::SOA {
                if !self.is_apex_soa(&owner, &header) {
                    return Err(XfrError::Protocol("SOA record below the apex".into()));
                }
                if rdata != opening_soa {
                    return Err(XfrError::Protocol(
                        "the closing SOA differs from the opening one (zone changed during the transfer?)".into(),
                    ));
                }
                break;
            }
            emit(&owner, &header, &rdata)?;
        }
        let mut stats = stream.finish()?;
        stats.records -= 1;
        Ok((serial, stats))
    }

    /// The whole zone by AXFR, in memory.
    pub fn axfr_zone(&self) -> Result<Zone, XfrError> {
        let mut records = Vec::new();
        self.axfr(&mut |r| {
            records.push(r.to_record().map_err(io::Error::other)?);
            Ok(())
        })?;
        Ok(Zone::from_records(self.zone.clone(), self.class, records).0)
    }

    /// Every transferred record must belong to the zone, in its class.
    fn check_record(&self, owner: &[u8], header: &wire::RecordHeader) -> Result<(), XfrError> {
        if !is_subdomain_wire(owner, self.zone.as_wire()) {
            let name = Name::from_wire(owner).map_or("?".into(), |n| n.to_string());
            return Err(XfrError::Protocol(format!(
                "out-of-zone record {name} in the transfer"
            )));
        }
        if header.class != self.class {
            return Err(XfrError::Protocol(format!(
                "record of class {} in a transfer of class {}",
                header.class, self.class
            )));
        }
        Ok(())
    }

    /// Asks for the changes since `local_soa` (RFC 1995). Over UDP first
    /// when `udp`, then TCP when the answer is truncated or is a lone
    /// newer SOA (RFC 1995 §2: "too big, use TCP").
    pub fn ixfr(&self, local_soa: &Record, udp: bool) -> Result<(IxfrAnswer, Stats), XfrError> {
        let local_serial = soa_serial(&local_soa.rdata)
            .ok_or_else(|| XfrError::Protocol("malformed local SOA".into()))?;
        if udp {
            let (query, mac) = self.query(RType::IXFR, Some(local_soa));
            match net::udp_exchange(self.server, &query, self.timeout) {
                Ok(answer) => {
                    let stream = self.stream(Source::Udp(Some(answer)), &query, mac, RType::IXFR);
                    match self.read_ixfr(stream, local_serial, true) {
                        Err(XfrError::Truncated) => {}
                        Ok((IxfrAnswer::UpToDate { serial }, _))
                            if serial::compare(serial, local_serial)
                                == Some(std::cmp::Ordering::Greater) => {}
                        other => return other,
                    }
                }
                Err(NetError::Timeout { .. } | NetError::OnlyStrayPackets { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let stream = self.tcp_stream(RType::IXFR, Some(local_soa))?;
        self.read_ixfr(stream, local_serial, false)
    }

    /// The next answer record, checked to belong to the zone, as an owned
    /// record.
    fn next_record(
        &self,
        stream: &mut AnswerStream<'_>,
        scratch: &mut (Vec<u8>, Vec<u8>),
    ) -> Result<Record, XfrError> {
        let (owner, rdata) = scratch;
        let header = stream.next(owner, rdata)?.ok_or(XfrError::Empty)?;
        self.check_record(owner, &header)?;
        RecordRef {
            owner,
            rtype: header.rtype,
            class: header.class,
            ttl: header.ttl,
            rdata,
        }
        .to_record()
    }

    /// Records up to the next SOA; returns them and the SOA.
    /// Records up to the next SOA; returns them and the SOA. `held`
    /// counts the bytes of records kept in memory, bounded by
    /// `max_ixfr_bytes`.
    fn records_until_soa(
        &self,
        stream: &mut AnswerStream<'_>,
        scratch: &mut (Vec<u8>, Vec<u8>),
        mut first: Option<Record>,
        held: &mut u64,
    ) -> Result<(Vec<Record>, Record), XfrError> {
        let mut records = Vec::new();
        loop {
            let record = match first.take() {
                Some(r) => r,
                None => self.next_record(stream, scratch)?,
            };
            *held += (record.owner.wire_len() + record.rdata.len() + 10) as u64;
            if *held > self.max_ixfr_bytes {
                return Err(XfrError::TooLarge {
                    what: "the incremental transfer held in memory",
                    limit: self.max_ixfr_bytes,
                });
            }
            if record.rtype == RType::SOA {
                return Ok((records, record));
            }
            self.count();
            records.push(record);
        }
    }

    fn read_ixfr(
        &self,
        mut stream: AnswerStream<'_>,
        local_serial: u32,
        udp: bool,
    ) -> Result<(IxfrAnswer, Stats), XfrError> {
        let mut scratch = (Vec::new(), Vec::new());
        let mut held = 0;
        let newest = self.next_record(&mut stream, &mut scratch)?;
        if newest.rtype != RType::SOA || !newest.owner.eq_ignore_case(&self.zone) {
            return Err(XfrError::Protocol(
                "the answer does not start with the zone's SOA".into(),
            ));
        }
        let new_serial =
            soa_serial(&newest.rdata).ok_or_else(|| XfrError::Protocol("malformed SOA".into()))?;
        let newer = serial::compare(new_serial, local_serial) == Some(std::cmp::Ordering::Greater);
        // A lone SOA: up to date (or, over UDP, "ask again over TCP").
        if stream.cursor_at_answer_end() && (!newer || udp) {
            let stats = stream.finish()?;
            return Ok((IxfrAnswer::UpToDate { serial: new_serial }, stats));
        }
        let second = self.next_record(&mut stream, &mut scratch)?;
        if second.rtype != RType::SOA || soa_serial(&second.rdata) == Some(new_serial) {
            // AXFR-style: the zone follows, up to the closing SOA (which
            // may be the second record, for a zone of one SOA).
            let (rest, closing) =
                self.records_until_soa(&mut stream, &mut scratch, Some(second), &mut held)?;
            if closing.rdata != newest.rdata {
                return Err(XfrError::Protocol(
                    "the closing SOA differs from the opening one".into(),
                ));
            }
            let mut records = vec![newest];
            records.extend(rest);
            let stats = stream.finish()?;
            return Ok((IxfrAnswer::Full { records }, stats));
        }
        // Incremental: (old SOA, deletions, new SOA, additions)+, then the
        // newest SOA again.
        let mut changesets = Vec::new();
        let mut from = second;
        loop {
            let (deleted, to) =
                self.records_until_soa(&mut stream, &mut scratch, None, &mut held)?;
            let (added, next) =
                self.records_until_soa(&mut stream, &mut scratch, None, &mut held)?;
            // Every difference sequence moves the serial forward (RFC 1995
            // §4 with RFC 1982 arithmetic): a primary whose changes go
            // back is not followed.
            let (from_serial, to_serial) = (
                soa_serial(&from.rdata).unwrap_or(0),
                soa_serial(&to.rdata).unwrap_or(0),
            );
            if serial::compare(to_serial, from_serial) != Some(std::cmp::Ordering::Greater) {
                return Err(XfrError::Protocol(format!(
                    "the incremental transfer goes from serial {from_serial} to {to_serial}, which is not forward (RFC 1982)"
                )));
            }
            let last = to_serial == new_serial && next.rdata == newest.rdata;
            changesets.push(Changeset {
                from,
                to,
                deleted,
                added,
            });
            if last {
                break;
            }
            from = next;
        }
        let stats = stream.finish()?;
        Ok((IxfrAnswer::Incremental { changesets }, stats))
    }
}

impl AnswerStream<'_> {
    /// Whether the current message has no answer record left (and no
    /// message follows in a UDP answer).
    fn cursor_at_answer_end(&self) -> bool {
        let mut probe = self.cursor;
        let (mut owner, mut rdata) = (Vec::new(), Vec::new());
        !matches!(
            probe.next_into(&self.msg, &mut owner, &mut rdata),
            Ok(Some(h)) if h.section == Section::Answer
        )
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::net::TcpListener;

    use super::*;

    const ZONE: &[u8] = b"\x07example\x00";

    /// The answer records of each message a scripted primary sends.
    type Script = Vec<Vec<(Vec<u8>, RType, Vec<u8>)>>;

    fn soa(serial: u32) -> Vec<u8> {
        let mut rdata = b"\x02ns\x07example\x00\x02hm\x07example\x00".to_vec();
        for v in [serial, 3600, 600, 86400, 300] {
            rdata.extend_from_slice(&v.to_be_bytes());
        }
        rdata
    }

    /// A primary that answers one query with these messages (built from
    /// the query's ID and type) and closes the connection.
    fn fake_primary(answers: Script, id_offset: u16) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut len = [0u8; 2];
            conn.read_exact(&mut len).unwrap();
            let mut query = vec![0u8; u16::from_be_bytes(len) as usize];
            conn.read_exact(&mut query).unwrap();
            let parsed = Message::parse(&query).unwrap();
            let (qname, qtype, _) = parsed.question.clone().unwrap();
            for records in answers {
                let mut builder = MessageBuilder::new(
                    parsed.header.id.wrapping_add(id_offset),
                    opcode::QUERY,
                    flag::QR | flag::AA,
                )
                .question(&qname, qtype, 1);
                for (owner, rtype, rdata) in records {
                    builder = builder.record(Section::Answer, &owner, rtype, 1, 3600, &rdata);
                }
                let msg = builder.finish();
                let _ = conn.write_all(&(msg.len() as u16).to_be_bytes());
                let _ = conn.write_all(&msg);
            }
        });
        addr
    }

    fn client(addr: SocketAddr) -> Client {
        let mut c = Client::new(Name::from_wire(ZONE).unwrap(), addr);
        c.timeout = Duration::from_secs(5);
        c
    }

    fn a(owner: &[u8]) -> (Vec<u8>, RType, Vec<u8>) {
        (owner.to_vec(), RType::A, vec![192, 0, 2, 1])
    }

    fn run(answers: Script) -> Result<(u32, Stats), XfrError> {
        client(fake_primary(answers, 0)).axfr(&mut |_| Ok(()))
    }

    #[test]
    fn rfc5936_2_2_axfr_over_several_messages() {
        let open = (ZONE.to_vec(), RType::SOA, soa(7));
        let (serial, stats) = run(vec![
            vec![open.clone(), a(b"\x03www\x07example\x00")],
            vec![a(b"\x04mail\x07example\x00")],
            vec![open],
        ])
        .unwrap();
        assert_eq!((serial, stats.records, stats.messages), (7, 3, 3));
    }

    #[test]
    fn rfc5936_2_2_transfers_that_break_the_rules_fail() {
        let open = (ZONE.to_vec(), RType::SOA, soa(7));
        let www = a(b"\x03www\x07example\x00");
        let cases: Vec<(Script, &str)> = vec![
            (vec![vec![www.clone(), open.clone()]], "does not start"),
            (
                vec![vec![open.clone(), a(b"\x03www\x05other\x00"), open.clone()]],
                "out-of-zone",
            ),
            (
                vec![vec![
                    open.clone(),
                    www.clone(),
                    (ZONE.to_vec(), RType::SOA, soa(8)),
                ]],
                "closing SOA differs",
            ),
            (
                vec![vec![open.clone(), www.clone()]],
                "closed the connection after 2 records",
            ),
            (
                vec![vec![open.clone(), www.clone(), open.clone(), www.clone()]],
                "after the closing SOA",
            ),
            (
                vec![vec![
                    open.clone(),
                    (b"\x03sub\x07example\x00".to_vec(), RType::SOA, soa(1)),
                    open.clone(),
                ]],
                "below the apex",
            ),
        ];
        for (answers, expected) in cases {
            let err = run(answers).unwrap_err().to_string();
            assert!(err.contains(expected), "expected {expected}: {err}");
        }
        let err = client(fake_primary(vec![vec![open]], 1))
            .axfr(&mut |_| Ok(()))
            .unwrap_err();
        assert!(err.to_string().contains("ID"), "{err}");
    }

    #[test]
    fn rfc1995_2_a_truncated_udp_answer_is_asked_again_over_tcp() {
        let soa_rr = |n| (ZONE.to_vec(), RType::SOA, soa(n));
        let addr = fake_primary(
            vec![vec![
                soa_rr(8),
                soa_rr(7),
                soa_rr(8),
                a(b"\x03www\x07example\x00"),
                soa_rr(8),
            ]],
            0,
        );
        // Over UDP the same port answers with TC set and nothing else.
        let udp = std::net::UdpSocket::bind(addr).unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 512];
            let (n, peer) = udp.recv_from(&mut buf).unwrap();
            let mut answer = buf[..n].to_vec();
            answer[2] |= 0x80 | 0x02;
            udp.send_to(&answer, peer).unwrap();
        });
        let local = Record {
            owner: Name::from_wire(ZONE).unwrap(),
            rtype: RType::SOA,
            class: 1,
            ttl: 3600,
            rdata: soa(7).into(),
            pos: Default::default(),
        };
        let (answer, stats) = client(addr).ixfr(&local, true).unwrap();
        let IxfrAnswer::Incremental { changesets } = answer else {
            panic!("{answer:?}")
        };
        assert_eq!(changesets.len(), 1);
        assert_eq!(changesets[0].added.len(), 1);
        assert!(!stats.udp);
    }

    #[test]
    fn rfc8945_5_3_1_a_signed_request_needs_a_signed_answer() {
        let open = (ZONE.to_vec(), RType::SOA, soa(7));
        let mut c = client(fake_primary(vec![vec![open.clone(), open]], 0));
        c.key = Some(crate::tsig::Key::parse_spec("k:hmac-sha256:c2VjcmV0").unwrap());
        let err = c.axfr(&mut |_| Ok(())).unwrap_err();
        assert!(
            matches!(err, XfrError::Tsig(crate::tsig::TsigError::Unsigned(_))),
            "{err}"
        );
    }

    fn local_soa(serial: u32) -> Record {
        Record {
            owner: Name::from_wire(ZONE).unwrap(),
            rtype: RType::SOA,
            class: 1,
            ttl: 3600,
            rdata: soa(serial).into(),
            pos: Default::default(),
        }
    }

    #[test]
    fn rfc1995_4_an_ixfr_whose_serial_goes_back_is_refused() {
        let soa_rr = |serial| (ZONE.to_vec(), RType::SOA, soa(serial));
        // Announces 2024010099, then "changes" 2024010100 -> 2024010099.
        let addr = fake_primary(
            vec![vec![
                soa_rr(2024010099),
                soa_rr(2024010100),
                soa_rr(2024010099),
                a(b"\x03new\x07example\x00"),
                soa_rr(2024010099),
            ]],
            0,
        );
        let err = client(addr)
            .ixfr(&local_soa(2024010100), false)
            .unwrap_err();
        assert!(err.to_string().contains("not forward"), "{err}");
    }

    #[test]
    fn an_endless_axfr_stops_at_the_size_limit() {
        let open = (ZONE.to_vec(), RType::SOA, soa(7));
        let mut script: Script = vec![vec![open]];
        script.extend((0..10_000).map(|_| vec![a(b"\x03www\x07example\x00"); 50]));
        let mut c = client(fake_primary(script, 0));
        c.max_bytes = 100_000;
        let err = c.axfr(&mut |_| Ok(())).unwrap_err();
        assert!(matches!(err, XfrError::TooLarge { .. }), "{err}");
    }

    #[test]
    fn incremental_changes_held_in_memory_are_bounded() {
        let soa_rr = |serial| (ZONE.to_vec(), RType::SOA, soa(serial));
        let mut records = vec![soa_rr(9), soa_rr(7), soa_rr(9)];
        records.extend((0..1000).map(|_| a(b"\x03www\x07example\x00")));
        records.push(soa_rr(9));
        let mut c = client(fake_primary(vec![records], 0));
        c.max_ixfr_bytes = 10_000;
        let err = c.ixfr(&local_soa(7), false).unwrap_err();
        assert!(
            matches!(err, XfrError::TooLarge { what, .. } if what.contains("incremental")),
            "{err}"
        );
    }

    #[test]
    fn a_primary_that_trickles_bytes_is_stopped_by_the_time_limit() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            // A length prefix, then one byte every 200 ms, for ever.
            let _ = conn.write_all(&[0x10, 0x00]);
            while conn.write_all(&[0]).is_ok() {
                std::thread::sleep(Duration::from_millis(200));
            }
        });
        let mut c = client(addr);
        c.timeout = Duration::from_secs(1);
        c.max_time = Some(Duration::from_secs(2));
        let started = std::time::Instant::now();
        let err = c.axfr(&mut |_| Ok(())).unwrap_err();
        assert!(
            matches!(err, XfrError::Net(NetError::Deadline { .. })),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(4));
    }

    #[test]
    fn rfc3597_5_malformed_rdata_from_a_primary_is_refused_with_the_record_named() {
        let open = (ZONE.to_vec(), RType::SOA, soa(7));
        for (rtype, rdata) in [
            (RType::A, vec![192, 0, 2]),
            (RType::A, vec![192, 0, 2, 1, 5]),
            (RType::TXT, vec![9, b'a']),
            (RType::DNSKEY, vec![1]),
            (RType::RRSIG, vec![0]),
        ] {
            let bad = (b"\x03bad\x07example\x00".to_vec(), rtype, rdata);
            let err = run(vec![vec![open.clone(), bad, open.clone()]]).unwrap_err();
            assert!(
                matches!(&err, XfrError::BadRdata { owner, .. } if owner == "bad.example."),
                "{rtype}: {err}"
            );
        }
    }
}
