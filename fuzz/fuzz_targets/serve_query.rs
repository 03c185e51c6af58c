//! Arbitrary packets to the server's answer path: an unsigned zone, an
//! NSEC-signed and an NSEC3 (opt-out) signed zone loaded once; every
//! packet is answered (or refused) over UDP and TCP without panicking, and
//! whatever is answered parses as a DNS message of at most the size the
//! transport allows. Every client may transfer the zones (AXFR and IXFR are
//! streamed to the end), send NOTIFY, and update the unsigned zone and the
//! NSEC3 opt-out zone, which the server signs itself (journals and keys in
//! a temporary directory), so that those paths see the same packets. After
//! every update of the signed zone the whole zone must still verify: the
//! incremental signer never leaves a gap in the chain or a set unsigned.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zonectl::dnssec::keys::SigningKey;
use zonectl::dnssec::sign::{Denial, SerialPolicy, SignOptions, sign_zone};
use zonectl::server::answer::{Catalog, ZoneHandle};
use std::sync::Arc;
use zonectl::server::engine::{Client, Engine, EngineOptions, TransferStart};
use zonectl::server::transfer::{Policy, Rule, ZonePolicy};
use zonectl::server::signer::{SignerSettings, ZoneSigner};
use zonectl::server::update::{UpdateRule, Updater};
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

/// The engine, and the handle of the zone it signs itself.
fn engine() -> &'static (Engine, Arc<ZoneHandle>) {
    static ENGINE: OnceLock<(Engine, Arc<ZoneHandle>)> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("zonectl-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // The RFC 5155 zone moved under example.net., so that zones nest,
        // and signed here.
        let sub = Name::parse(b"sub.example.net.", None).unwrap();
        let keys = dir.join("keys");
        zonectl::dnssec::keystore::generate(&keys, &sub, 13, 0x0101, None, NOW - 86400).unwrap();
        let settings = SignerSettings {
            key_directory: keys,
            foreign_keys: None,
            denial: Denial::Nsec3 { iterations: 1, opt_out: true },
            salt: vec![0xaa, 0xbb],
            validity: 14 * 86400,
            refresh: 5 * 86400,
            jitter: 0,
            cds: true,
            batch: 100,
        };
        let signer = Arc::new(ZoneSigner::new(sub, settings, NOW).unwrap());
        let unsigned = zone(
            "sub.example.net.",
            String::from_utf8_lossy(RFC5155).replace("example.", "sub.example.net.").as_bytes(),
        );
        let (sub_version, _) = signer
            .sign_version(&ZoneVersion::from_zone(&unsigned).unwrap(), None, Default::default(), NOW)
            .unwrap();
        let sub_handle = Arc::new(ZoneHandle::new(sub_version));
        let mut catalog = Catalog::default();
        for z in [zone("example.net.", BASIC), signed("example.", RFC4035, Denial::Nsec)] {
            catalog.insert(std::sync::Arc::new(ZoneHandle::new(ZoneVersion::from_zone(&z).unwrap())));
        }
        catalog.insert(sub_handle.clone());
        let engine = Engine::new(catalog, EngineOptions { nsid: Some(b"fuzz".to_vec()), ..Default::default() });
        let everyone = || vec![Rule { prefix: None, key: None }];
        let mut zones = std::collections::HashMap::new();
        for (i, apex) in [&b"\x07example\x03net\x00"[..], b"\x07example\x00", b"\x03sub\x07example\x03net\x00"]
            .into_iter()
            .enumerate()
        {
            let updater = (i != 1).then(|| {
                Arc::new(Updater {
                    rules: vec![UpdateRule { prefix: None, key: None, names: Vec::new(), types: Vec::new() }],
                    serial_policy: Default::default(),
                    journal_file: dir.join(format!("zone{i}.jnl")),
                    journal_limit: 1 << 20,
                    lock: Default::default(),
                    changed: None,
                    signer: (i == 2).then(|| signer.clone()),
                })
            });
            zones.insert(
                apex.to_vec(),
                ZonePolicy {
                    allow_transfer: everyone(),
                    allow_notify: everyone(),
                    journal: Default::default(),
                    refresh: None,
                    updater,
                    forward_updates: Vec::new(),
                },
            );
        }
        engine.set_policy(Policy { keys: Vec::new(), zones });
        (engine, sub_handle)
    })
}

/// Checks that an answer parses whole.
fn parses(answer: &[u8]) {
    let parsed = Message::parse(answer).expect("our answers parse");
    let mut records = parsed.records();
    let (mut owner, mut rdata) = (Vec::new(), Vec::new());
    while records.next_into(&mut owner, &mut rdata).expect("our records parse").is_some() {}
    records.check_end().expect("no trailing bytes");
}

fuzz_target!(|data: &[u8]| {
    let (engine, signed_here) = engine();
    let serial = signed_here.load().serial;
    let mut out = vec![0u8; 65535];
    for (tcp, limit) in [(false, 4096usize), (true, 65535)] {
        let client = Client { addr: [192, 0, 2, 1].into(), tcp };
        if tcp {
            match engine.start_transfer(data, client, NOW, &mut out[..limit]) {
                TransferStart::NotATransfer => {}
                TransferStart::Answered(outcome) => {
                    parses(&out[..outcome.len]);
                    continue;
                }
                TransferStart::Stream(mut outgoing) => {
                    while let Some(message) = outgoing.next_message(65535, NOW.into()) {
                        parses(&message.expect("every record fits a message"));
                    }
                    continue;
                }
            }
        }
        let outcome = engine.respond(data, client, NOW, &mut out[..limit]);
        if outcome.len == 0 {
            continue;
        }
        assert!(outcome.len <= limit);
        parses(&out[..outcome.len]);
    }
    let version = signed_here.load_full();
    if version.serial != serial {
        let options = zonectl::dnssec::verify::VerifyOptions { now: NOW, threads: 1 };
        let errors: Vec<String> = zonectl::dnssec::verify::verify_zone(&version.to_zone(), &options)
            .into_iter()
            .filter(|p| p.severity == zonectl::zone::Severity::Error)
            .map(|p| format!("{} {}: {}", p.owner, p.code, p.message))
            .collect();
        assert!(errors.is_empty(), "after an update the signed zone does not verify: {errors:#?}");
    }
});
