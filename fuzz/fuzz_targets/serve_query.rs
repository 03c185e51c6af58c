//! Arbitrary packets to the server's answer path: an unsigned zone, an
//! NSEC-signed and an NSEC3 (opt-out) signed zone loaded once; every
//! packet is answered (or refused) over UDP and TCP without panicking, and
//! whatever is answered parses as a DNS message of at most the size the
//! transport allows.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zonectl::dnssec::keys::SigningKey;
use zonectl::dnssec::sign::{Denial, SerialPolicy, SignOptions, sign_zone};
use zonectl::server::answer::{Catalog, ZoneHandle};
use zonectl::server::engine::{Client, Engine, EngineOptions};
use zonectl::server::store::ZoneVersion;
use zonectl::wire::Message;
use zonectl::zone::reader::{ReadOptions, read_bytes};
use zonectl::zone::{Name, Zone};

const BASIC: &[u8] = include_bytes!("../../testdata/serve/basic.zone");
const RFC4035: &[u8] = include_bytes!("../../testdata/rfc4035-example.zone");
const RFC5155: &[u8] = include_bytes!("../../testdata/rfc5155-example.zone");
const NOW: u32 = 1_800_000_000;

fn zone(origin: &str, text: &[u8]) -> Zone {
    let origin = Name::parse(origin.as_bytes(), None).unwrap();
    let read = ReadOptions { origin: Some(origin.clone()), ..Default::default() };
    Zone::from_records(origin, 1, read_bytes("z", text, read).records).0
}

fn signed(origin: &str, text: &[u8], denial: Denial) -> Zone {
    let name = Name::parse(origin.as_bytes(), None).unwrap();
    let key = SigningKey::generate(&name, 13, 0x0101, None).unwrap();
    let options = SignOptions {
        now: NOW,
        inception: NOW - 3600,
        expiration: NOW + 86400,
        jitter: 0,
        denial,
        salt: vec![0xaa, 0xbb],
        force_iterations: false,
        serial: SerialPolicy::Keep,
        refresh: None,
        zonemd: false,
        cds: false,
        cds_delete: false,
        progress: None,
        progress_total: None,
    };
    sign_zone(zone(origin, text), &[key], &options).unwrap().0
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut catalog = Catalog::default();
        for z in [
            zone("example.net.", BASIC),
            signed("example.", RFC4035, Denial::Nsec),
            // The RFC 5155 zone moved under example.net., so that zones nest.
            signed(
                "sub.example.net.",
                String::from_utf8_lossy(RFC5155).replace("example.", "sub.example.net.").as_bytes(),
                Denial::Nsec3 { iterations: 1, opt_out: true },
            ),
        ] {
            catalog.insert(std::sync::Arc::new(ZoneHandle::new(ZoneVersion::from_zone(&z).unwrap())));
        }
        Engine::new(catalog, EngineOptions { nsid: Some(b"fuzz".to_vec()), ..Default::default() })
    })
}

fuzz_target!(|data: &[u8]| {
    let engine = engine();
    let mut out = vec![0u8; 65535];
    for (tcp, limit) in [(false, 4096usize), (true, 65535)] {
        let client = Client { addr: [192, 0, 2, 1].into(), tcp };
        let outcome = engine.respond(data, client, NOW, &mut out[..limit]);
        if outcome.len == 0 {
            continue;
        }
        assert!(outcome.len <= limit);
        let answer = &out[..outcome.len];
        let parsed = Message::parse(answer).expect("our answers parse");
        let mut records = parsed.records();
        let (mut owner, mut rdata) = (Vec::new(), Vec::new());
        while records.next_into(&mut owner, &mut rdata).expect("our records parse").is_some() {}
        records.check_end().expect("no trailing bytes");
    }
});
