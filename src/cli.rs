//! The command-line definition: the one source of `--help`, the man pages
//! and the shell completions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "zonectl",
    version,
    about = "DNS zone operations: check, format, sign, verify, transfer, diff, push, probe and serve zones",
    long_about = "zonectl checks and formats DNS zone files (RFC 1035 master format), makes DNSSEC keys, signs and verifies zones, transfers them (AXFR, IXFR, TSIG, NOTIFY), compares zones and pushes changes to servers (RFC 2136 UPDATE) and DNS providers with a plan first, probes a domain's nameserver diversity, and serves zones as an authoritative DNS server.\n\nExit status: 0 success, 1 findings (errors, or warnings with --strict), 2 usage or input error.",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check zone files for syntax and semantic errors
    ///
    /// Reads each zone (files, or every file below a directory; several are
    /// checked in parallel) and reports syntax errors with file:line:column,
    /// and semantic problems: CNAME and other data, DNAME rules, SOA and
    /// apex NS, missing or unneeded glue, occluded data, NS/MX/SRV targets
    /// that are CNAMEs, DS/NSEC3PARAM/CDS placement, CDS/CDNSKEY consistency,
    /// TTL conflicts within RRsets, SOA timers, host-name syntax and more.
    #[command(
        after_help = "Examples:\n  zonectl check example.com.zone\n  zonectl check -z example.com db.example\n  zonectl check --format json zones/ | jq '.zones[].errors'\n  zonectl check --strict --max-ttl 86400 --check-names fail zones/\n  zonectl fmt db.example | zonectl check -z example.com -\n\nA directory stands for every regular file below it except hidden files, journals (*.jnl), key files (*.key, *.private), editor backups (*~, *.bak, *.orig, *.swp) and files that another zone of the same run includes with $INCLUDE.\n\nExit status: 0 clean (warnings and info allowed), 1 errors (or warnings with --strict), 2 a file could not be read, or usage error."
    )]
    Check(CheckArgs),
    /// Rewrite a zone in canonical presentation format
    ///
    /// Expands $INCLUDE and $GENERATE, writes every name fully qualified, one
    /// record per line, the SOA first and then canonical (RFC 4034 §6) order.
    /// Running fmt on its own output gives the same bytes.
    #[command(
        after_help = "Examples:\n  zonectl fmt example.com.zone\n  zonectl fmt --origin example.com db.example -o example.com.canonical\n\nExit status: 0 written, 2 the zone has errors (nothing is written) or usage error."
    )]
    Fmt(FmtArgs),
    /// Generate a DNSSEC key pair in BIND's key file format
    ///
    /// Writes Kzone.+alg+tag.key and Kzone.+alg+tag.private (mode 0600) into
    /// the current directory, or -K DIR; files that exist are never
    /// overwritten, and a key whose tag collides with one in the directory is
    /// generated anew. BIND (dnssec-keygen), ldns (ldns-keygen) and zonectl
    /// read each other's files.
    #[command(
        after_help = "Examples:\n  zonectl keygen example.com --algorithm ECDSAP256SHA256 --ksk -K keys/\n  zonectl keygen example.com --algorithm ECDSAP256SHA256 -K keys/\n  zonectl keygen example.com --algorithm ED25519 --csk\n  zonectl keygen example.com --algorithm RSASHA256 --bits 3072 --ksk\n  zonectl keygen example.com --ksk --import /var/lib/knot/keys/keys/0a1b2c.pem"
    )]
    Keygen(KeygenArgs),
    /// Sign a zone with DNSSEC (NSEC or NSEC3)
    ///
    /// Adds the keys' DNSKEYs, an NSEC or NSEC3 chain and RRSIGs, on every
    /// core; writes the signed zone atomically. KSKs sign the DNSKEY, CDS and
    /// CDNSKEY RRsets and ZSKs the rest; an algorithm with only a KSK (a CSK)
    /// signs everything. With --refresh a re-sign keeps signatures that
    /// still hold and re-signs only the rest.
    #[command(
        after_help = "Examples:\n  zonectl sign example.com.zone --keys keys/ -o example.com.signed\n  zonectl sign example.com.zone --keys keys/ --nsec3 --opt-out -o example.com.signed\n  zonectl sign example.com.signed --keys keys/ --refresh 7d --serial increment -o example.com.signed\n  zonectl sign example.com.zone --keys Kexample.com.+013+12345.key --zonemd --cds -o out.zone\n  zonectl sign --keys ksk/ --keys zsk/ --inception -2h -o example.com.signed example.com.zone\n\nTimes are YYYYMMDDHHmmSS, seconds since the epoch, or relative to now (+30d, -1h)."
    )]
    Sign(SignArgs),
    /// Verify the DNSSEC signatures and NSEC/NSEC3 chain of a signed zone
    ///
    /// Checks every RRSIG against the apex DNSKEYs, that each authoritative
    /// RRset is signed by every algorithm of the DNSKEY RRset, that nothing
    /// non-authoritative is signed, the NSEC or NSEC3 chain, NSEC3PARAM and
    /// ZONEMD. Signatures that expired at the same time are reported as one
    /// finding with that time.
    #[command(
        after_help = "Examples:\n  zonectl verify example.com.signed\n  zonectl verify --time 20240101000000 old.signed\n  zonectl verify --time -2h example.com.signed\n  zonectl verify --trust-anchor dsset-example.com. --format json example.com.signed\n\nExit status: 0 valid, 1 problems found, 2 unreadable input or usage error."
    )]
    Verify(VerifyArgs),
    /// Print DS records for a zone's key-signing keys
    ///
    /// Given a key file (.key, or its .private), prints the DS record of
    /// that key; given a zone file, the DS records of its KSKs (DNSKEYs
    /// with the SEP flag), to hand to the parent zone.
    #[command(
        after_help = "Examples:\n  zonectl ds Kexample.com.+013+12345.key\n  zonectl ds Kexample.com.+013+12345.private\n  zonectl ds --digest sha384 example.com.signed\n  zonectl ds -z example.com db.example.signed > dsset-example.com.\n\nExit status: 0 DS records printed, 2 no key-signing key found, or usage or input error."
    )]
    Ds(DsArgs),
    /// Transfer a zone from a primary (AXFR or IXFR) into a local file
    ///
    /// With a local copy, asks for the changes since its serial (IXFR, RFC
    /// 1995) and applies them, falling back to AXFR when the primary does
    /// not do IXFR or sends changes that do not fit; without one, takes the
    /// whole zone (AXFR, RFC 5936). Every message is checked (TSIG included);
    /// the zone is written atomically only after the closing SOA arrived,
    /// so a failed transfer leaves the old copy as it was. Applied IXFR
    /// changes are kept in FILE.jnl.
    #[command(
        after_help = "Examples:\n  zonectl xfr example.com --from 192.0.2.1 -o example.com.zone\n  zonectl xfr example.com --from [2001:db8::1]:5353 --tsig-file /etc/bind/xfr.key -o example.com.zone\n  zonectl xfr example.com --from 192.0.2.1 --if-newer --keep 3 -o example.com.zone   # cron\n  zonectl xfr example.com --from 192.0.2.1 --axfr > example.com.zone\n\nExit status: 0 updated or already up to date, 1 the primary is behind, unreachable or the transfer failed (the local copy is kept), 2 usage or input error."
    )]
    Xfr(XfrArgs),
    /// Send NOTIFY for a zone to secondaries
    ///
    /// Sends a NOTIFY (RFC 1996) carrying the zone's SOA to each target over
    /// UDP, retrying with a doubling timeout until it answers, and reports
    /// each answer (NOERROR, NOTAUTH, REFUSED, timeout).
    #[command(
        after_help = "Examples:\n  zonectl notify example.com --to 192.0.2.2 --to 192.0.2.3 --zone-file example.com.zone\n  zonectl notify example.com --to 127.0.0.1:5353 --tsig-file xfr.key --format json\n\nExit status: 0 every target acknowledged, 1 some target did not, 2 usage or input error."
    )]
    Notify(NotifyArgs),
    /// Check a domain's nameserver IP diversity and delegation health
    ///
    /// Finds the NS set (from the parent zone's servers and from the zone's
    /// own apex), resolves every nameserver's addresses and groups them by
    /// IPv4 /8 and IPv6 /45 block (and /24, /48), so that it shows whether
    /// one route leak or hijack could take every nameserver down. With
    /// --query (the default) each address is asked for the zone's SOA over
    /// UDP and TCP: unreachable, lame (not authoritative) and out-of-date
    /// servers are flagged. Verdicts: pass, warn, fail.
    #[command(
        after_help = "Examples:\n  zonectl probe example.com\n  zonectl probe --resolver 9.9.9.9 --format json example.com example.net\n  zonectl probe --file domains.txt --asn-db ip2asn-combined.tsv --no-query\n  zonectl probe --min-v4-blocks 3 --v6-prefix 48 example.org\n\nExit status: 0 every domain passes (warnings allowed), 1 some domain fails or cannot be looked up, 2 usage or input error."
    )]
    Probe(ProbeArgs),
    /// Run an authoritative DNS server for zone files
    ///
    /// Answers UDP and TCP queries (IPv4 and IPv6) for the zones given,
    /// each loaded through the same reader and checks as `zonectl check`:
    /// a zone with errors is not served (the others are). Answers follow
    /// RFC 1034 with CNAME, DNAME, wildcards, referrals with glue, EDNS(0),
    /// DNS cookies, NSID, and for signed zones the DNSSEC records and
    /// NSEC/NSEC3 proofs when the query sets DO. Runs in the foreground and
    /// logs to standard error; prints "listening on ADDRESS" on standard
    /// output for each address once it answers. SIGHUP reloads the
    /// configuration and every zone whose files changed (the old version
    /// answers until the new one is ready; a zone that fails to load keeps
    /// its old version); SIGTERM or SIGINT stops it.
    #[command(
        after_help = "Examples:\n  zonectl serve --zone example.com=example.com.zone --listen 127.0.0.1:5353\n  zonectl serve --config /etc/zonectl/zonectl.yaml\n  zonectl serve --config zonectl.yaml --check-config\n  zonectl serve --zone example.com=db.example --listen '[::1]:0' --workers 2\n\nThe configuration file is YAML; testdata/serve.yaml is an example, and README.md lists every key.\n\nExit status: 0 stopped by a signal (or --check-config found every zone loadable), 1 --check-config found a zone that does not load, 2 usage, configuration or listen error."
    )]
    Serve(ServeArgs),
    /// Compare two zones RRset by RRset
    ///
    /// Each side is a zone file, a directory of zone files (zones matched by
    /// origin), a live zone by AXFR (axfr://SERVER[:PORT]/ZONE, with --tsig),
    /// or what a push target serves (target:NAME/ZONE, with --config).
    /// Added, removed and changed RRsets are shown, TTL-only changes as
    /// such; order, formatting and the case of owner names do not count.
    /// DNSSEC records (RRSIG, NSEC, NSEC3, NSEC3PARAM, DNSKEY, CDS, CDNSKEY,
    /// ZONEMD, TYPE65534) are left out unless --dnssec, the SOA serial
    /// unless --serial.
    #[command(
        after_help = "Examples:\n  zonectl diff old/example.com.zone example.com.zone\n  zonectl diff example.com.zone axfr://192.0.2.53/example.com --tsig-file xfr.key\n  zonectl diff --format patch live.zone desired.zone > change.patch\n  zonectl diff --exit-code --config push.yaml target:primary/example.com zones/   # drift check\n  zonectl diff --format json zones-before/ zones-after/ | jq '.zones[].summary'\n\nExit status: 0 compared (with --exit-code: no difference), 1 with --exit-code: the zones differ, 2 usage or input error (a zone file with errors, an unreachable server)."
    )]
    Diff(DiffArgs),
    /// Push zones to their servers or DNS providers, plan first
    ///
    /// Reads each zone's current records from its targets (AXFR from an
    /// RFC 2136 primary, the PowerDNS or Cloudflare API), plans the change to
    /// the desired state (the zone files of the configuration), and prints
    /// the plan. With --apply it makes the change: UPDATE messages guarded
    /// by the SOA read at plan time, or API calls. A plan that updates or
    /// deletes more than max-change percent of a zone, or touches the apex
    /// NS, the SOA or DNSSEC records, is refused without --force. Records
    /// the configuration marks unmanaged are never changed. --plan-out saves
    /// the plan with a checksum of the state it was made against;
    /// --plan-in FILE --apply applies exactly that plan, and refuses if the
    /// target changed since.
    #[command(
        after_help = "Examples:\n  zonectl push --config push.yaml                      # print the plan\n  zonectl push --config push.yaml --apply\n  zonectl push --config push.yaml --zone example.com --plan-out plan.json\n  zonectl push --config push.yaml --plan-in plan.json --apply   # exactly the reviewed plan\n  zonectl push --config push.yaml --patch change.patch --apply\n\nThe configuration file is YAML; testdata/push.yaml is an example, and README.md lists every key.\n\nExit status: 0 planned (or applied), 1 with --exit-code: there are changes; or a push was refused, failed, or the target changed since the plan, 2 usage, configuration or input error."
    )]
    Push(PushArgs),
    /// Generate a TSIG key (as BIND's tsig-keygen or Knot's keymgr -t)
    #[command(
        after_help = "Examples:\n  zonectl tsig-keygen xfr-key > /etc/bind/xfr.key\n  zonectl tsig-keygen -a hmac-sha512 --knot xfr-key >> knot.conf"
    )]
    TsigKeygen(TsigKeygenArgs),
    /// Print shell completions to standard output
    #[command(
        after_help = "Examples:\n  zonectl completions bash > /etc/bash_completion.d/zonectl\n  zonectl completions zsh > ~/.zfunc/_zonectl"
    )]
    Completions(CompletionsArgs),
    /// Write man pages (one per subcommand) into a directory
    #[command(after_help = "Examples:\n  zonectl man --dir /usr/local/share/man/man1")]
    Man(ManArgs),
}

/// A free-text value with well-known names offered for completion and in
/// `--help` (DNSSEC algorithms also go by number, TSIG algorithms may be
/// truncated: the command checks the value itself).
#[derive(Clone)]
pub struct Suggested(&'static [&'static str]);

impl clap::builder::TypedValueParser for Suggested {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.0.iter().map(|n| clap::builder::PossibleValue::new(*n)),
        ))
    }
}

const DNSSEC_ALGORITHMS: Suggested = Suggested(&[
    "ECDSAP256SHA256",
    "ECDSAP384SHA384",
    "ED25519",
    "RSASHA256",
    "RSASHA512",
]);

const TSIG_ALGORITHMS: Suggested = Suggested(&[
    "hmac-sha256",
    "hmac-sha384",
    "hmac-sha512",
    "hmac-sha224",
    "hmac-sha1",
    "hmac-md5",
]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckNamesMode {
    Ignore,
    Warn,
    Fail,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum CheckFormat {
    /// One line per finding, file:line:column: severity[code]: message
    #[default]
    Text,
    /// A table of findings
    Table,
    /// JSON with stable field names
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// Colour when standard output is a terminal and NO_COLOR is unset
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Zone files, directories whose zone files are all checked, or - for standard input
    #[arg(required = true, value_name = "ZONEFILE|DIR|-")]
    pub paths: Vec<PathBuf>,
    /// Zone origin (default: the owner of the SOA, else the file name)
    #[arg(long, short = 'z', visible_short_alias = 'n', value_name = "NAME")]
    pub origin: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// When to colour the text output
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Exit 1 on warnings too (info findings never fail)
    #[arg(long)]
    pub strict: bool,
    /// Host-name syntax checks of owners and targets (RFC 952/1123)
    #[arg(long, value_enum, default_value = "warn", value_name = "MODE")]
    pub check_names: CheckNamesMode,
    /// Report records whose TTL exceeds this (seconds or units, e.g. 1d)
    #[arg(long, value_name = "TTL")]
    pub max_ttl: Option<String>,
    /// Leave out findings with this code (repeatable), e.g. soa-timers
    #[arg(long, value_name = "CODE")]
    pub ignore: Vec<String>,
    /// Leave out the DNSSEC checks (keys, CDS/CDNSKEY, NSEC/NSEC3 chains, signatures)
    #[arg(long)]
    pub no_dnssec: bool,
    /// Stop reading a zone after this many syntax errors
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub max_errors: usize,
    /// Zones checked at once (default: the number of cores)
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// $INCLUDEd files must be inside this directory (default: anywhere, as BIND allows)
    #[arg(long, value_name = "DIR")]
    pub include_root: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// The zone file to read
    #[arg(value_name = "ZONEFILE")]
    pub path: PathBuf,
    /// Zone origin (default: the owner of the SOA, else the file name)
    #[arg(long, short = 'z', visible_short_alias = 'n', value_name = "NAME")]
    pub origin: Option<String>,
    /// Write here (atomically) instead of standard output
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// $INCLUDEd files must be inside this directory (default: anywhere, as BIND allows)
    #[arg(long, value_name = "DIR")]
    pub include_root: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SerialArg {
    Keep,
    Increment,
    Unixtime,
    Dateserial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DigestArg {
    Sha256,
    Sha384,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The zone the key is for
    #[arg(value_name = "ZONE")]
    pub zone: String,
    /// The algorithm, by name or number
    #[arg(long, short = 'a', default_value = "ECDSAP256SHA256", value_parser = DNSSEC_ALGORITHMS)]
    pub algorithm: String,
    /// A key-signing key (flags 257)
    #[arg(long, conflicts_with = "csk")]
    pub ksk: bool,
    /// A combined signing key (flags 257, signs everything)
    #[arg(long)]
    pub csk: bool,
    /// RSA modulus size
    #[arg(long, value_name = "N")]
    pub bits: Option<usize>,
    /// Directory for the key files
    #[arg(
        short = 'K',
        long = "directory",
        default_value = ".",
        value_name = "DIR"
    )]
    pub directory: PathBuf,
    /// Import a PKCS #8 PEM private key (Knot's keystore, OpenSSL) instead of generating one
    #[arg(long, value_name = "PEMFILE")]
    pub import: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SignArgs {
    /// The zone file to sign
    #[arg(value_name = "ZONEFILE")]
    pub path: PathBuf,
    /// A key file (.key or .private), or a directory of them; repeat for more
    #[arg(long, short = 'K', required = true, value_name = "DIR|KEYFILE")]
    pub keys: Vec<PathBuf>,
    /// The signed zone (written atomically)
    #[arg(long, short = 'o', value_name = "OUTFILE")]
    pub output: PathBuf,
    /// Zone origin (default: the owner of the SOA, else the file name)
    #[arg(long, short = 'z', visible_short_alias = 'n', value_name = "NAME")]
    pub origin: Option<String>,
    /// Authenticated denial with NSEC3 (RFC 5155) instead of NSEC
    #[arg(long)]
    pub nsec3: bool,
    /// NSEC3 extra iterations (RFC 9276: 0; more than 100 needs --force-iterations)
    #[arg(long, default_value_t = 0, requires = "nsec3")]
    pub iterations: u16,
    /// Sign with more NSEC3 iterations than validators accept
    #[arg(long, requires = "nsec3")]
    pub force_iterations: bool,
    /// NSEC3 salt in hex (at most 255 octets), or - for none (RFC 9276: none)
    #[arg(long, default_value = "-", requires = "nsec3")]
    pub salt: String,
    /// Leave insecure delegations out of the NSEC3 chain
    #[arg(long, requires = "nsec3")]
    pub opt_out: bool,
    /// Signature inception
    #[arg(
        long,
        allow_hyphen_values = true,
        default_value = "-1h",
        value_name = "TIME"
    )]
    pub inception: String,
    /// Signature expiration
    #[arg(
        long,
        allow_hyphen_values = true,
        default_value = "+30d",
        value_name = "TIME"
    )]
    pub expiration: String,
    /// Spread expirations over this much before --expiration (e.g. 1d)
    #[arg(long, default_value = "0", value_name = "DURATION")]
    pub jitter: String,
    /// Keep existing signatures valid for longer than this (e.g. 7d)
    #[arg(long, value_name = "DURATION")]
    pub refresh: Option<String>,
    /// SOA serial policy
    #[arg(long, value_enum, default_value = "keep")]
    pub serial: SerialArg,
    /// Add a ZONEMD record (RFC 8976, SIMPLE, SHA-384)
    #[arg(long)]
    pub zonemd: bool,
    /// Publish CDS (SHA-256) and CDNSKEY for the KSKs (RFC 7344)
    #[arg(long, conflicts_with = "cds_delete")]
    pub cds: bool,
    /// Publish the CDS/CDNSKEY delete form (RFC 8078 §4)
    #[arg(long)]
    pub cds_delete: bool,
    /// Output format of the summary
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// $INCLUDEd files must be inside this directory (default: anywhere, as BIND allows)
    #[arg(long, value_name = "DIR")]
    pub include_root: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The signed zone file
    #[arg(value_name = "SIGNEDZONE")]
    pub path: PathBuf,
    /// Zone origin (default: the owner of the SOA, else the file name)
    #[arg(long, short = 'z', visible_short_alias = 'n', value_name = "NAME")]
    pub origin: Option<String>,
    /// Check signature validity at this time instead of now
    #[arg(long, allow_hyphen_values = true, value_name = "TIME")]
    pub time: Option<String>,
    /// A file of DS or DNSKEY records that must match a key signing the DNSKEY RRset
    #[arg(long, value_name = "FILE")]
    pub trust_anchor: Option<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// $INCLUDEd files must be inside this directory (default: anywhere, as BIND allows)
    #[arg(long, value_name = "DIR")]
    pub include_root: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DsArgs {
    /// A .key file, or a zone file (DS for its KSKs)
    #[arg(value_name = "KEYFILE|ZONEFILE")]
    pub path: PathBuf,
    /// Digest type
    #[arg(long, value_enum, default_value = "sha256")]
    pub digest: DigestArg,
    /// Zone origin for a zone file
    #[arg(long, short = 'z', visible_short_alias = 'n', value_name = "NAME")]
    pub origin: Option<String>,
}

/// TSIG options shared by the commands that talk to servers.
#[derive(Debug, Args)]
pub struct TsigArgs {
    /// TSIG key as [ALGORITHM:]NAME:SECRET or NAME:ALGORITHM:SECRET (visible to other users in ps: prefer --tsig-file)
    #[arg(long, short = 'y', value_name = "KEY", conflicts_with = "tsig_file")]
    pub tsig: Option<String>,
    /// File with TSIG keys: BIND key statements or a Knot key: section
    #[arg(long, short = 'k', value_name = "FILE")]
    pub tsig_file: Option<PathBuf>,
    /// Which key of --tsig-file to use (default: the only one)
    #[arg(long, value_name = "NAME", requires = "tsig_file")]
    pub tsig_key: Option<String>,
    /// Allowed clock difference, in seconds
    #[arg(long, default_value_t = 300, value_name = "SECONDS", value_parser = clap::value_parser!(u16).range(1..))]
    pub tsig_fudge: u16,
}

#[derive(Debug, Args)]
pub struct XfrArgs {
    /// The zone to transfer
    #[arg(value_name = "ZONE")]
    pub zone: String,
    /// The primary: ADDRESS, ADDRESS:PORT, [IPv6]:PORT or HOST[:PORT]
    #[arg(long, value_name = "ADDRESS[:PORT]")]
    pub from: String,
    /// Port when --from names none
    #[arg(long, short = 'p', default_value_t = 53)]
    pub port: u16,
    /// The local copy: read for IXFR, replaced atomically (default: the zone to standard output, AXFR)
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub tsig: TsigArgs,
    /// Always take the whole zone
    #[arg(long, conflicts_with = "ixfr")]
    pub axfr: bool,
    /// Only take an IXFR (fail rather than fall back to AXFR)
    #[arg(long, requires = "output")]
    pub ixfr: bool,
    /// Ask for the IXFR over UDP first (TCP when it does not fit)
    #[arg(long)]
    pub udp: bool,
    /// Ask the primary's SOA first; transfer only if its serial is newer
    #[arg(long, requires = "output")]
    pub if_newer: bool,
    /// Keep this many previous versions as FILE.1 … FILE.N
    #[arg(long, default_value_t = 0, value_name = "N", requires = "output", value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(0..=1000), usize::from))]
    pub keep: usize,
    /// Verify the received zone's DNSSEC signatures before replacing the local copy
    #[arg(long)]
    pub verify_dnssec: bool,
    /// Largest journal (FILE.jnl), in bytes or with a unit (k, M, G)
    #[arg(long, default_value = "64M", value_name = "SIZE")]
    pub journal_size: String,
    /// The longest the whole transfer may take (e.g. 30m, 2h)
    #[arg(long, default_value = "1d", value_name = "DURATION")]
    pub max_time: String,
    /// The most the transfer may bring, in bytes or with a unit (k, M, G)
    #[arg(long, default_value = "64G", value_name = "SIZE")]
    pub max_size: String,
    /// The most IXFR changes held in memory before they are applied
    #[arg(long, default_value = "1G", value_name = "SIZE")]
    pub max_ixfr_size: String,
    /// Seconds to wait for the server at each step (1 to 3600)
    #[arg(long, default_value_t = 10, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// Output format of the summary (to standard error when the zone goes to standard output)
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DiffFormat {
    /// A unified diff of zone text, per RRset
    #[default]
    Diff,
    /// A table of changed RRsets
    Table,
    /// JSON with stable field names
    Json,
    /// A change list that `zonectl push --patch` applies
    Patch,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old side: FILE, DIRECTORY, axfr://SERVER[:PORT]/ZONE or target:NAME/ZONE
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The new side, in the same forms
    #[arg(value_name = "NEW")]
    pub new: String,
    #[arg(long, short = 'f', value_enum, default_value_t = DiffFormat::Diff)]
    pub format: DiffFormat,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
    /// Compare DNSSEC records too
    #[arg(long)]
    pub dnssec: bool,
    /// Count a change of the SOA serial alone
    #[arg(long)]
    pub serial: bool,
    /// Exit 1 when the zones differ
    #[arg(long)]
    pub exit_code: bool,
    /// The push configuration that target:NAME/ZONE refers to
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The zone's origin, for zone files that do not say it
    #[arg(long, short = 'z', value_name = "ZONE")]
    pub origin: Option<String>,
    #[command(flatten)]
    pub tsig: TsigArgs,
}

#[derive(Debug, Args)]
pub struct PushArgs {
    /// The push configuration (YAML)
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: PathBuf,
    /// Only these zones (default: every zone of the configuration)
    #[arg(long, value_name = "ZONE")]
    pub zone: Vec<String>,
    /// Make the change (without it, only the plan is printed)
    #[arg(long)]
    pub apply: bool,
    /// Go on past the safety rules (max-change, apex NS, SOA, DNSSEC)
    #[arg(long)]
    pub force: bool,
    /// Exit 1 when there are changes
    #[arg(long)]
    pub exit_code: bool,
    /// Save the plan, with the checksum of the target state it was made against
    #[arg(long, value_name = "FILE", conflicts_with = "plan_in")]
    pub plan_out: Option<PathBuf>,
    /// Apply exactly this saved plan (with --apply)
    #[arg(
        long,
        value_name = "FILE",
        requires = "apply",
        conflicts_with = "patch"
    )]
    pub plan_in: Option<PathBuf>,
    /// The desired state is the target's current state with this patch (from `zonectl diff --format patch`)
    #[arg(long, value_name = "FILE")]
    pub patch: Option<PathBuf>,
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// The zone that changed
    #[arg(value_name = "ZONE")]
    pub zone: String,
    /// A secondary to notify (repeatable): ADDRESS, ADDRESS:PORT or [IPv6]:PORT
    #[arg(long, required = true, value_name = "ADDRESS[:PORT]")]
    pub to: Vec<String>,
    /// Port when a target names none
    #[arg(long, short = 'p', default_value_t = 53)]
    pub port: u16,
    /// Zone file whose SOA the NOTIFY carries
    #[arg(long, value_name = "FILE")]
    pub zone_file: Option<PathBuf>,
    #[command(flatten)]
    pub tsig: TsigArgs,
    /// Seconds to wait for the first answer (1 to 60); doubled at each retry
    #[arg(long, default_value_t = 1, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=60))]
    pub timeout: u64,
    /// Tries per target (1 to 10)
    #[arg(long, default_value_t = 5, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10))]
    pub tries: u32,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Configuration file (YAML)
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A zone to serve, as NAME=FILE (repeatable; added to the configuration's zones)
    #[arg(long = "zone", value_name = "NAME=FILE")]
    pub zones: Vec<String>,
    /// Address to answer on, as ADDRESS:PORT (repeatable; replaces the configuration's; port 0 picks one)
    #[arg(long = "listen", short = 'l', value_name = "ADDRESS:PORT")]
    pub listen: Vec<std::net::SocketAddr>,
    /// UDP worker threads, one socket each (0: one per core)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(0..=256))]
    pub workers: Option<u16>,
    /// Answer id.server and hostname.bind (class CH) with this text
    #[arg(long, value_name = "TEXT")]
    pub identity: Option<String>,
    /// NSID to send to clients that ask (text, or hex:DIGITS)
    #[arg(long, value_name = "NSID")]
    pub nsid: Option<String>,
    /// Check the configuration and load every zone, then exit without serving
    #[arg(long)]
    pub check_config: bool,
    /// Log level: error, warn, info, debug or trace (RUST_LOG overrides)
    #[arg(long, default_value = "info", value_name = "LEVEL")]
    pub log_level: String,
    /// Output format of --check-config
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct ProbeArgs {
    /// Domains to probe
    #[arg(value_name = "DOMAIN", required_unless_present = "file")]
    pub domains: Vec<String>,
    /// Read domains from this file, one per line (# starts a comment)
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Recursive resolver for the lookups (default: the first nameserver of /etc/resolv.conf)
    #[arg(long, value_name = "ADDRESS[:PORT]")]
    pub resolver: Option<String>,
    /// Port to ask the nameservers themselves (parent and the domain's) on
    #[arg(long, short = 'p', default_value_t = 53)]
    pub port: u16,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Fewest distinct IPv4 blocks that pass
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub min_v4_blocks: usize,
    /// Fewest distinct IPv6 blocks that pass (0: IPv6 not required)
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub min_v6_blocks: usize,
    /// IPv4 block size (prefix length)
    #[arg(long, default_value_t = 8, value_name = "BITS", value_parser = clap::value_parser!(u8).range(1..=32))]
    pub v4_prefix: u8,
    /// IPv6 block size (prefix length)
    #[arg(long, default_value_t = 45, value_name = "BITS", value_parser = clap::value_parser!(u8).range(1..=128))]
    pub v6_prefix: u8,
    /// Offline IP-to-AS table (ip2asn TSV) to group by origin AS too
    #[arg(long, value_name = "FILE")]
    pub asn_db: Option<PathBuf>,
    /// Ask every nameserver address for the SOA (the default)
    #[arg(long, overrides_with = "no_query")]
    pub query: bool,
    /// Do not contact the nameservers; judge the addresses only
    #[arg(long)]
    pub no_query: bool,
    /// Seconds to wait for each answer (0.05 to 3600)
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS", value_parser = seconds_between_0_05_and_3600)]
    pub timeout: f64,
    /// The longest one domain's probe may take, all its queries together (seconds)
    #[arg(long, default_value_t = 60.0, value_name = "SECONDS", value_parser = seconds_between_0_05_and_3600)]
    pub max_time: f64,
    /// Further tries after a timeout (0 to 10)
    #[arg(long, default_value_t = 1, value_name = "N", value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
    /// Domains probed at once (1 to 256)
    #[arg(long, short = 'j', default_value_t = 16, value_name = "N", value_parser = clap::builder::TypedValueParser::map(clap::value_parser!(u16).range(1..=256), usize::from))]
    pub jobs: usize,
}

/// A time in seconds, fractions allowed, within what a network wait can
/// sensibly be.
fn seconds_between_0_05_and_3600(text: &str) -> Result<f64, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("\"{text}\" is not a number of seconds"))?;
    if !(0.05..=3600.0).contains(&seconds) {
        return Err("the timeout is from 0.05 to 3600 seconds".into());
    }
    Ok(seconds)
}

#[derive(Debug, Args)]
pub struct TsigKeygenArgs {
    /// The key's name
    #[arg(value_name = "NAME", default_value = "tsig-key")]
    pub name: String,
    /// The HMAC algorithm
    #[arg(long, short = 'a', default_value = "hmac-sha256", value_parser = TSIG_ALGORITHMS)]
    pub algorithm: String,
    /// Write a Knot key: section instead of a BIND key statement
    #[arg(long)]
    pub knot: bool,
}

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Directory to write the pages into
    #[arg(long, default_value = "man", value_name = "DIR")]
    pub dir: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn check_flags_parse() {
        let cli = Cli::try_parse_from([
            "zonectl",
            "check",
            "--format",
            "json",
            "--strict",
            "--check-names",
            "fail",
            "--ignore",
            "soa-timers",
            "a.zone",
            "dir/",
        ])
        .unwrap();
        let Command::Check(args) = cli.command else {
            panic!()
        };
        assert_eq!(args.format, CheckFormat::Json);
        assert!(args.strict);
        assert_eq!(args.check_names, CheckNamesMode::Fail);
        assert_eq!(args.paths.len(), 2);
        assert_eq!(args.ignore, ["soa-timers"]);
        assert!(Cli::try_parse_from(["zonectl", "check"]).is_err());
        assert!(Cli::try_parse_from(["zonectl", "check", "--format", "xml", "a"]).is_err());
    }

    fn parses(args: &[&str]) -> bool {
        Cli::try_parse_from(std::iter::once("zonectl").chain(args.iter().copied())).is_ok()
    }

    #[test]
    fn xfr_flags_parse() {
        let cli = Cli::try_parse_from([
            "zonectl",
            "xfr",
            "example.com",
            "--from",
            "192.0.2.1:5353",
            "-o",
            "z",
            "--tsig-file",
            "k.conf",
            "--tsig-key",
            "xfr",
            "--if-newer",
            "--keep",
            "3",
            "--udp",
            "--format",
            "json",
        ])
        .unwrap();
        let Command::Xfr(args) = cli.command else {
            panic!()
        };
        assert_eq!(
            (args.keep, args.if_newer, args.udp, args.format),
            (3, true, true, Format::Json)
        );
        assert_eq!(args.tsig.tsig_fudge, 300);
        assert!(parses(&[
            "xfr",
            "example.com",
            "--from",
            "192.0.2.1",
            "--axfr"
        ]));
        // No local copy: no IXFR-only, no serial check, no versions, no JSON summary.
        for bad in [&["--ixfr"][..], &["--if-newer"], &["--keep", "2"]] {
            let mut args = vec!["xfr", "example.com", "--from", "192.0.2.1"];
            args.extend_from_slice(bad);
            assert!(!parses(&args), "{bad:?}");
        }
        assert!(!parses(&[
            "xfr",
            "example.com",
            "--from",
            "a",
            "-o",
            "z",
            "--axfr",
            "--ixfr"
        ]));
        assert!(!parses(&[
            "xfr",
            "example.com",
            "--from",
            "a",
            "-y",
            "k:s",
            "-k",
            "file"
        ]));
        assert!(!parses(&["xfr", "example.com"]));
    }

    #[test]
    fn notify_and_probe_flags_parse() {
        assert!(parses(&[
            "notify",
            "example.com",
            "--to",
            "192.0.2.2",
            "--to",
            "[2001:db8::2]:53"
        ]));
        assert!(!parses(&["notify", "example.com"]));
        assert!(parses(&[
            "probe",
            "example.com",
            "--no-query",
            "--v4-prefix",
            "16",
            "--v6-prefix",
            "48"
        ]));
        assert!(parses(&["probe", "--file", "domains.txt"]));
        assert!(!parses(&["probe"]));
        assert!(!parses(&["probe", "--v4-prefix", "33", "example.com"]));
        assert!(!parses(&["probe", "--v6-prefix", "0", "example.com"]));
        let Command::Probe(args) = Cli::try_parse_from(["zonectl", "probe", "example.com"])
            .unwrap()
            .command
        else {
            panic!()
        };
        assert_eq!(
            (
                args.min_v4_blocks,
                args.min_v6_blocks,
                args.v4_prefix,
                args.v6_prefix
            ),
            (2, 2, 8, 45)
        );
        assert!(!args.no_query);
    }
}
