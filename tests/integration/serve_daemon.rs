//! `zonectl serve` as a daemon and as a target: malformed packets get
//! FORMERR/NOTIMP/BADVERS or nothing (never a crash), hostile TCP clients
//! are closed while others are answered, SIGHUP reloads (keeping the old
//! version when the new file is broken), SIGTERM stops cleanly, and the
//! configuration is checked with line and column.

use std::io::Write;
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::time::{Duration, Instant};

use zonectl::wire::{Message, MessageBuilder, Section};
use zonectl::zone::{Name, RType};

use super::common::{exit_code, run, testdata, text, write};
use super::serve_util::{ServeProcess, Transport, exchange, read_framed};

/// The example zone served with a configuration file: `settings` are the
/// YAML lines between `listen` and `zones`.
fn serve_example_with(settings: &str) -> (tempfile::TempDir, ServeProcess) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "listen: [\"127.0.0.1:0\"]\n{settings}zones:\n  - name: example.com\n    file: {}\n",
        example().display()
    );
    let config = write(dir.path(), "serve.yaml", &text);
    let server = ServeProcess::start_args(&[
        "serve".into(),
        "--config".into(),
        config.display().to_string(),
    ]);
    (dir, server)
}

fn example() -> std::path::PathBuf {
    testdata("example.com.zone")
}

fn query(name: &str, qtype: RType) -> Vec<u8> {
    let wire = Name::parse(name.as_bytes(), None).unwrap();
    MessageBuilder::new(0x1234, 0, 0)
        .question(wire.as_wire(), qtype, 1)
        .finish()
}

fn with_opt(name: &str, qtype: RType, ttl: u32, options: &[u8]) -> Vec<u8> {
    let wire = Name::parse(name.as_bytes(), None).unwrap();
    MessageBuilder::new(0x1234, 0, 0)
        .question(wire.as_wire(), qtype, 1)
        .record(Section::Additional, &[0], RType::OPT, 1232, ttl, options)
        .finish()
}

/// Sends raw bytes over UDP; the answer, if one comes within 300 ms.
fn udp_raw(addr: SocketAddr, bytes: &[u8]) -> Option<Vec<u8>> {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    socket.send_to(bytes, addr).unwrap();
    let mut buf = [0u8; 4096];
    socket.recv(&mut buf).ok().map(|n| buf[..n].to_vec())
}

fn rcode(answer: &[u8]) -> u16 {
    Message::parse(answer).unwrap().full_rcode().unwrap()
}

fn serial(addr: SocketAddr) -> u32 {
    let answer = exchange(addr, &query("example.com.", RType::SOA), Transport::Udp).unwrap();
    let msg = Message::parse(&answer).unwrap();
    let mut records = msg.records();
    let (mut owner, mut rdata) = (Vec::new(), Vec::new());
    records
        .next_into(&mut owner, &mut rdata)
        .unwrap()
        .expect("an SOA");
    let at = rdata.len() - 20;
    u32::from_be_bytes(rdata[at..at + 4].try_into().unwrap())
}

#[test]
fn rfc1035_rfc6891_malformed_queries_get_errors_or_nothing() {
    let server = ServeProcess::start(&[("example.com", &example())], &[]);
    let addr = server.addr;
    let good = query("www.example.com.", RType::A);
    // Shorter than a header, and responses: no answer at all.
    assert_eq!(udp_raw(addr, &good[..11]), None);
    let mut response = good.clone();
    response[2] |= 0x80;
    assert_eq!(udp_raw(addr, &response), None);
    // QDCOUNT 2, and 65535: FORMERR.
    for count in [2u16, 0xffff, 0] {
        let mut q = good.clone();
        q[4..6].copy_from_slice(&count.to_be_bytes());
        assert_eq!(rcode(&udp_raw(addr, &q).unwrap()), 1, "QDCOUNT {count}");
    }
    // A question cut short, a compression pointer in the question, a
    // pointer loop in an additional record, trailing garbage: FORMERR.
    let mut cut = good.clone();
    cut.truncate(good.len() - 3);
    assert_eq!(rcode(&udp_raw(addr, &cut).unwrap()), 1);
    let mut pointer = good[..12].to_vec();
    pointer.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
    assert_eq!(rcode(&udp_raw(addr, &pointer).unwrap()), 1);
    let mut looped = good.clone();
    looped[11] = 1;
    let at = looped.len();
    looped.extend_from_slice(&[0xc0, at as u8, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0]);
    assert_eq!(rcode(&udp_raw(addr, &looped).unwrap()), 1);
    let mut trailing = good.clone();
    trailing.extend_from_slice(&[0; 100]);
    assert_eq!(rcode(&udp_raw(addr, &trailing).unwrap()), 1);
    // Two OPT records: FORMERR (RFC 6891 §6.1.1).
    let mut two = with_opt("www.example.com.", RType::A, 0, &[]);
    two[11] = 2;
    two.extend_from_slice(&[0, 0, 41, 4, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(rcode(&udp_raw(addr, &two).unwrap()), 1);
    // EDNS version 1: BADVERS (16), with an OPT of version 0.
    let badvers = with_opt("www.example.com.", RType::A, 0x0001_0000, &[]);
    let answer = udp_raw(addr, &badvers).unwrap();
    assert_eq!(rcode(&answer), 16);
    // Opcode STATUS (2): NOTIMP; an UPDATE too until it is served.
    let mut status = good.clone();
    status[2] = 0x10;
    assert_eq!(rcode(&udp_raw(addr, &status).unwrap()), 4);
    // Meta types as questions (RFC 8906 §8): OPT is FORMERR, AXFR over
    // UDP is refused.
    assert_eq!(
        rcode(&udp_raw(addr, &query("example.com.", RType::OPT)).unwrap()),
        1
    );
    assert_eq!(
        rcode(&udp_raw(addr, &query("example.com.", RType(252))).unwrap()),
        5
    );
    // A class the server has no zones in: REFUSED (RFC 8906 §3.1.3.1).
    let mut chaos_zone = good.clone();
    let n = chaos_zone.len();
    chaos_zone[n - 1] = 4; // class HS
    assert_eq!(rcode(&udp_raw(addr, &chaos_zone).unwrap()), 5);
    // And it still answers.
    assert_eq!(rcode(&udp_raw(addr, &good).unwrap()), 0);
}

#[test]
fn rfc5001_rfc7873_rfc4892_nsid_cookies_and_identity() {
    let server = ServeProcess::start(
        &[("example.com", &example())],
        &["--nsid", "ns-test", "--identity", "ns1.test"],
    );
    let addr = server.addr;
    // NSID (option 3, empty) and a client cookie (option 10, 8 octets).
    let options = [0, 3, 0, 0, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8];
    let answer = udp_raw(addr, &with_opt("www.example.com.", RType::A, 0, &options)).unwrap();
    let text_answer = String::from_utf8_lossy(&answer).into_owned();
    assert!(text_answer.contains("ns-test"), "NSID missing");
    let at = answer
        .windows(4)
        .position(|w| w == [0, 10, 0, 24])
        .expect("a 24-octet cookie");
    let cookie = &answer[at + 4..at + 28];
    assert_eq!(&cookie[..8], &[1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(cookie[8], 1, "RFC 9018 version 1");
    // The server cookie sent back is accepted (an answer, not BADCOOKIE).
    let mut options = vec![0, 10, 0, 24];
    options.extend_from_slice(cookie);
    let again = udp_raw(addr, &with_opt("www.example.com.", RType::A, 0, &options)).unwrap();
    assert_eq!(rcode(&again), 0);
    // A cookie of a bad length is malformed (RFC 7873 §5.2.2).
    let bad = [0, 10, 0, 5, 1, 2, 3, 4, 5];
    assert_eq!(
        rcode(&udp_raw(addr, &with_opt("www.example.com.", RType::A, 0, &bad)).unwrap()),
        1
    );
    // id.server in class CH answers with the identity; version.bind is
    // refused unless configured.
    let chaos = |name: &str| {
        let wire = Name::parse(name.as_bytes(), None).unwrap();
        MessageBuilder::new(9, 0, 0)
            .question(wire.as_wire(), RType::TXT, 3)
            .finish()
    };
    let id = udp_raw(addr, &chaos("id.server.")).unwrap();
    assert_eq!(rcode(&id), 0);
    assert!(String::from_utf8_lossy(&id).contains("ns1.test"));
    assert_eq!(rcode(&udp_raw(addr, &chaos("version.bind.")).unwrap()), 5);
}

#[test]
fn rfc7766_pipelined_tcp_and_truncation() {
    let server = ServeProcess::start(&[("example.com", &example())], &[]);
    // Three queries written at once on one connection, three answers.
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(3)))
        .unwrap();
    let mut burst = Vec::new();
    for (i, name) in ["www.example.com.", "mail.example.com.", "nx.example.com."]
        .iter()
        .enumerate()
    {
        let mut q = query(name, RType::A);
        q[1] = i as u8;
        burst.extend_from_slice(&(q.len() as u16).to_be_bytes());
        burst.extend_from_slice(&q);
    }
    stream.write_all(&burst).unwrap();
    let mut ids: Vec<u8> = (0..3)
        .map(|_| read_framed(&mut stream).unwrap()[1])
        .collect();
    ids.sort();
    assert_eq!(ids, [0, 1, 2]);
    drop(server);
    // A large answer: truncated (TC, nothing partial) over UDP without
    // EDNS (512 octets, RFC 1035 §4.2.1), whole with EDNS or over TCP.
    let dir = tempfile::tempdir().unwrap();
    let mut zone = String::from("$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n");
    for i in 0..8 {
        zone += &format!("big TXT \"{i}{}\"\n", "x".repeat(100));
    }
    let file = write(dir.path(), "big.test.zone", &zone);
    let server = ServeProcess::start(&[("big.test", &file)], &[]);
    let q = query("big.big.test.", RType::TXT);
    let small = udp_raw(server.addr, &q).unwrap();
    assert_eq!(small[2] & 0x02, 0x02, "TC over UDP without EDNS");
    assert_eq!(&small[6..8], &[0, 0], "no partial answer");
    assert!(small.len() <= 512);
    let edns = udp_raw(server.addr, &with_opt("big.big.test.", RType::TXT, 0, &[])).unwrap();
    assert_eq!(edns[2] & 0x02, 0);
    assert_eq!(&edns[6..8], &[0, 8]);
    let whole = exchange(server.addr, &q, Transport::Tcp).unwrap();
    assert_eq!(whole[2] & 0x02, 0, "no TC over TCP");
    assert_eq!(&whole[6..8], &[0, 8]);
}

#[test]
fn hostile_tcp_clients_are_closed_and_others_still_answered() {
    let (_dir, server) = serve_example_with(
        "workers: 1\ntcp:\n  idle-timeout: 1\n  max-connections: 3000\n  max-per-client: 200\n",
    );
    let addr = server.addr;
    // 10,000 idle connections where the descriptor limit allows, keeping
    // some for the rest of the test.
    let idle_count = (raise_file_limit().saturating_sub(200) as usize).min(10_000);
    // A length prefix and no body; one byte at a time (slowloris); and
    // many idle connections, more than one client may hold.
    let no_body = TcpStream::connect(addr).unwrap();
    (&no_body).write_all(&[0, 40]).unwrap();
    let slow = TcpStream::connect(addr).unwrap();
    (&slow).write_all(&[0]).unwrap();
    let mut idle = Vec::new();
    for _ in 0..idle_count {
        match TcpStream::connect(addr) {
            Ok(s) => idle.push(s),
            Err(_) => break,
        }
    }
    // Others are answered meanwhile, over UDP and over TCP from another
    // address.
    let q = query("www.example.com.", RType::A);
    assert_eq!(rcode(&exchange(addr, &q, Transport::Udp).unwrap()), 0);
    let other = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2));
    if let Ok(mut other) = other {
        // (From 127.0.0.1 too: past the per-client limit it is closed.)
        let _ = other.set_read_timeout(Some(Duration::from_secs(3)));
        let mut framed = (q.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&q);
        let _ = other.write_all(&framed);
        let _ = read_framed(&mut other);
    }
    // Past the per-client limit, connections are closed at once; the
    // rest after the idle timeout, the slow one included.
    let started = Instant::now();
    // Closed: end of stream or a reset; a read that times out is open.
    let closed = |mut s: &TcpStream| {
        s.set_read_timeout(Some(Duration::from_secs(4))).unwrap();
        let mut b = [0u8; 1];
        match std::io::Read::read(&mut s, &mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => !matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ),
        }
    };
    assert!(closed(&slow), "the slow client is closed");
    assert!(closed(&no_body), "the bodiless prefix is closed");
    assert!(started.elapsed() < Duration::from_secs(4));
    let open_after = idle.iter().filter(|s| !closed(s)).count();
    assert_eq!(open_after, 0);
    // And it answers TCP again once they are gone.
    drop(idle);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(rcode(&exchange(addr, &q, Transport::Tcp).unwrap()), 0);
}

/// Raises this process's descriptor limit to its hard limit; the limit.
fn raise_file_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit on this process with a valid struct.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        limit.rlim_cur
    }
}

#[test]
fn sighup_reloads_and_a_broken_file_keeps_the_old_version() {
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(example()).unwrap();
    let zone = write(dir.path(), "example.com.zone", &original);
    let mut server = ServeProcess::start(&[("example.com", &zone)], &[]);
    assert_eq!(serial(server.addr), 2026112501);
    // A new serial: answered after SIGHUP.
    std::thread::sleep(Duration::from_millis(20)); // a new modification time
    write(
        dir.path(),
        "example.com.zone",
        &original.replace("2026112501", "2026112502"),
    );
    server.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while serial(server.addr) != 2026112502 {
        assert!(Instant::now() < deadline, "not reloaded:\n{}", server.log());
        std::thread::sleep(Duration::from_millis(50));
    }
    // A broken file: the old version keeps answering, the error is logged
    // with file:line:col.
    std::thread::sleep(Duration::from_millis(20));
    write(
        dir.path(),
        "example.com.zone",
        &original
            .replace("2026112501", "2026112503")
            .replace("www             A       192.0.2.80", "www A 192.0.2.800"),
    );
    server.signal("HUP");
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server.log().contains("the old version stays") {
        assert!(
            Instant::now() < deadline,
            "no reload error logged:\n{}",
            server.log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(serial(server.addr), 2026112502);
    assert!(
        server.log().contains("example.com.zone:"),
        "{}",
        server.log()
    );
    // SIGTERM: a clean stop, exit 0.
    let status = server.stop().unwrap();
    assert!(status.success(), "{status:?}\n{}", server.log());
}

#[test]
fn check_config_reports_zones_and_config_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.zone",
        "$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.300\n",
    );
    let config = write(
        dir.path(),
        "serve.yaml",
        &format!(
            "listen: [\"127.0.0.1:0\"]\nzones:\n  - name: example.com\n    file: {}\n  - name: bad.test\n    file: bad.zone\n",
            example().display()
        ),
    );
    let out = run(&[
        "serve",
        "--config",
        config.to_str().unwrap(),
        "--check-config",
    ]);
    assert_eq!(exit_code(&out), 1, "{}", text(&out.stdout));
    let report = text(&out.stdout);
    assert!(report.contains("zone example.com. loads"), "{report}");
    assert!(report.contains("bad.zone:4:"), "{report}");
    let out = run(&[
        "serve",
        "--config",
        config.to_str().unwrap(),
        "--check-config",
        "--format",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["valid"], false);
    assert_eq!(json["zones"][0]["loaded"], true);
    // Unknown keys and bad values name the key, with line and column.
    let typo = write(
        dir.path(),
        "typo.yaml",
        "listen: [\"127.0.0.1:0\"]\nzones:\n  - name: a.test\n    fil: a.zone\n",
    );
    let out = run(&[
        "serve",
        "--config",
        typo.to_str().unwrap(),
        "--check-config",
    ]);
    assert_eq!(exit_code(&out), 2);
    let err = text(&out.stderr);
    assert!(err.contains("fil") && err.contains("line 4"), "{err}");
    // A zone that fails to load is not served; the others are.
    let server = ServeProcess::start_args(&[
        "serve".into(),
        "--config".into(),
        config.display().to_string(),
    ]);
    assert_eq!(serial(server.addr), 2026112501);
    let bad = exchange(server.addr, &query("bad.test.", RType::SOA), Transport::Udp).unwrap();
    assert_eq!(rcode(&bad), 5);
    assert!(server.log().contains("bad.zone:4:"), "{}", server.log());
}

#[test]
fn answers_over_ipv4_and_ipv6_on_udp_and_tcp() {
    if !super::common::servers::ipv6_loopback() {
        super::common::skip("::1 cannot be bound here");
        return;
    }
    let server = ServeProcess::start(
        &[("example.com", &example())],
        &["--listen", "127.0.0.1:0", "--listen", "[::1]:0"],
    );
    assert_eq!(server.addrs.len(), 2);
    assert!(server.addrs[1].is_ipv6());
    let q = query("www.example.com.", RType::AAAA);
    for addr in &server.addrs {
        for transport in [Transport::Udp, Transport::Tcp] {
            let answer = exchange(*addr, &q, transport).unwrap();
            assert_eq!(rcode(&answer), 0, "{addr} {transport:?}");
            assert_eq!(&answer[6..8], &[0, 1], "{addr} {transport:?}: one AAAA");
        }
    }
}

#[test]
fn rfc7828_tcp_keepalive_is_announced_over_tcp_only() {
    let server = ServeProcess::start(&[("example.com", &example())], &[]);
    let keepalive = [0, 11, 0, 0];
    let q = with_opt("www.example.com.", RType::A, 0, &keepalive);
    let over_tcp = exchange(server.addr, &q, Transport::Tcp).unwrap();
    // The default idle timeout, 10 s, in units of 100 ms.
    assert!(
        over_tcp.windows(6).any(|w| w == [0, 11, 0, 2, 0, 100]),
        "no keepalive over TCP"
    );
    let over_udp = udp_raw(server.addr, &q).unwrap();
    assert!(
        !over_udp.windows(4).any(|w| w == [0, 11, 0, 2]),
        "keepalive over UDP"
    );
}

#[test]
fn response_rate_limiting_drops_and_slips_past_the_rate() {
    let (_dir, server) = serve_example_with("rrl:\n  responses-per-second: 5\n  slip: 2\n");
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let q = query("www.example.com.", RType::A);
    for _ in 0..40 {
        socket.send_to(&q, server.addr).unwrap();
    }
    let (mut full, mut truncated) = (0, 0);
    let mut buf = [0u8; 1500];
    while let Ok(n) = socket.recv(&mut buf) {
        if buf[2] & 0x02 != 0 {
            assert_eq!(&buf[6..8], &[0, 0], "a slipped answer is empty");
            truncated += 1;
        } else {
            assert!(n > 12);
            full += 1;
        }
    }
    // Five (or, across a second boundary, ten) answers in full, about half
    // of the rest slipped as TC, the others dropped.
    assert!((5..=10).contains(&full), "{full} full answers");
    assert!(
        (10..=20).contains(&truncated),
        "{truncated} truncated answers"
    );
    assert!(full + truncated < 40, "some are dropped");
    // A client that returns our server cookie has proven its address
    // (RFC 7873 §5.2.4): it is not limited.
    let first = udp_raw(
        server.addr,
        &with_opt(
            "mail.example.com.",
            RType::A,
            0,
            &[0, 10, 0, 8, 9, 9, 9, 9, 9, 9, 9, 9],
        ),
    );
    let first = match first {
        Some(answer) => answer,
        None => {
            std::thread::sleep(Duration::from_millis(1100));
            udp_raw(
                server.addr,
                &with_opt(
                    "mail.example.com.",
                    RType::A,
                    0,
                    &[0, 10, 0, 8, 9, 9, 9, 9, 9, 9, 9, 9],
                ),
            )
            .unwrap()
        }
    };
    let at = first
        .windows(4)
        .position(|w| w == [0, 10, 0, 24])
        .expect("a server cookie");
    let mut options = vec![0, 10, 0, 24];
    options.extend_from_slice(&first[at + 4..at + 28]);
    let with_cookie = with_opt("www.example.com.", RType::A, 0, &options);
    for _ in 0..40 {
        socket.send_to(&with_cookie, server.addr).unwrap();
    }
    let mut answered = 0;
    while socket.recv(&mut buf).is_ok() {
        assert_eq!(buf[2] & 0x02, 0, "not slipped");
        answered += 1;
    }
    assert_eq!(answered, 40, "a client with a valid cookie is not limited");
}

/// RFC 8945 §5.2.2: a query signed with a key the server does not hold is
/// answered NOTAUTH with an unsigned TSIG of error BADKEY.
#[test]
fn rfc8945_5_2_2_a_query_signed_with_an_unknown_key_is_badkey() {
    let server = ServeProcess::start(&[("example.com", &example())], &[]);
    let key = zonectl::tsig::Key::parse_spec("hmac-sha256:unknown-key:c2VjcmV0c2VjcmV0").unwrap();
    let mut q = query("www.example.com.", RType::A);
    zonectl::tsig::sign_request(&mut q, &key, 300);
    for transport in [Transport::Udp, Transport::Tcp] {
        let answer = exchange(server.addr, &q, transport).unwrap();
        assert_eq!(rcode(&answer), 9, "NOTAUTH");
        assert_eq!(&answer[6..8], &[0, 0], "no answer records");
        let tsig = zonectl::tsig::find(&answer)
            .unwrap()
            .expect("a TSIG record");
        assert_eq!(tsig.rdata.error, 17, "BADKEY");
        assert!(tsig.rdata.mac.is_empty(), "unsigned");
    }
}

/// Several zones in one process: the most specific answers, and DS at a
/// child's apex comes from the parent (RFC 4035 §3.1.4.1).
#[test]
fn rfc4035_3_1_4_1_nested_zones_most_specific_answers_and_ds_from_the_parent() {
    let dir = tempfile::tempdir().unwrap();
    let child = write(
        dir.path(),
        "deleg.zone",
        "$ORIGIN deleg.example.net.\n$TTL 300\n@ SOA ns hm 3 3600 600 86400 60\n@ NS ns\nns A 192.0.2.53\nwww A 192.0.2.7\n",
    );
    let parent = testdata("serve/basic.zone");
    let server = ServeProcess::start(
        &[("example.net", &parent), ("deleg.example.net", &child)],
        &[],
    );
    let soa_owner = |answer: &[u8]| {
        let msg = Message::parse(answer).unwrap();
        let mut records = msg.records();
        let (mut owner, mut rdata) = (Vec::new(), Vec::new());
        let mut owners = Vec::new();
        while let Some(h) = records.next_into(&mut owner, &mut rdata).unwrap() {
            if h.rtype == RType::SOA {
                owners.push(Name::from_wire(&owner).unwrap().to_string());
            }
        }
        owners
    };
    // Below the cut, the child answers (AA), not a referral.
    let www = exchange(
        server.addr,
        &query("www.deleg.example.net.", RType::A),
        Transport::Udp,
    )
    .unwrap();
    assert_eq!(rcode(&www), 0);
    assert_eq!(www[2] & 0x04, 0x04, "authoritative");
    assert_eq!(&www[6..8], &[0, 1]);
    // DS at the child's apex: the parent's NODATA (its SOA).
    let ds = exchange(
        server.addr,
        &query("deleg.example.net.", RType::DS),
        Transport::Udp,
    )
    .unwrap();
    assert_eq!(rcode(&ds), 0);
    assert_eq!(soa_owner(&ds), ["example.net."]);
    // Other types at the child's apex: the child's.
    let nx = exchange(
        server.addr,
        &query("nope.deleg.example.net.", RType::A),
        Transport::Udp,
    )
    .unwrap();
    assert_eq!(rcode(&nx), 3);
    assert_eq!(soa_owner(&nx), ["deleg.example.net."]);
}
