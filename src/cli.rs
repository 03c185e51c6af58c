//! The command-line definition: the one source of `--help`, the man pages
//! and the shell completions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "zonectl",
    version,
    about = "DNS zone operations: check, format, sign, transfer, probe and serve zones",
    long_about = "zonectl checks and normalises DNS zone files (RFC 1035 master format).\n\nExit status: 0 success, 1 findings (errors, or warnings with --strict), 2 usage or input error.",
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
        after_help = "Examples:\n  zonectl check example.com.zone\n  zonectl check --origin example.com db.example\n  zonectl check --format json zones/ | jq '.zones[].errors'\n  zonectl check --strict --max-ttl 86400 --check-names fail zones/\n\nExit status: 0 clean (warnings allowed), 1 errors (or warnings with --strict), 2 unreadable input or usage error."
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
    /// Print shell completions to standard output
    #[command(
        after_help = "Examples:\n  zonectl completions bash > /etc/bash_completion.d/zonectl\n  zonectl completions zsh > ~/.zfunc/_zonectl"
    )]
    Completions(CompletionsArgs),
    /// Write man pages (one per subcommand) into a directory
    #[command(after_help = "Examples:\n  zonectl man --dir /usr/local/share/man/man1")]
    Man(ManArgs),
}

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

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Zone files, or directories whose files are all checked
    #[arg(required = true, value_name = "ZONEFILE")]
    pub paths: Vec<PathBuf>,
    /// Zone origin (default: the owner of the SOA, else the file name)
    #[arg(long, short = 'o', value_name = "NAME")]
    pub origin: Option<String>,
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Exit 1 on warnings too
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
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// The zone file to read
    #[arg(value_name = "ZONEFILE")]
    pub path: PathBuf,
    /// Zone origin (default: the owner of the SOA, else the file name)
    #[arg(long, value_name = "NAME")]
    pub origin: Option<String>,
    /// Write here (atomically) instead of standard output
    #[arg(long, short = 'o', value_name = "OUT")]
    pub output: Option<PathBuf>,
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
        assert_eq!(args.format, Format::Json);
        assert!(args.strict);
        assert_eq!(args.check_names, CheckNamesMode::Fail);
        assert_eq!(args.paths.len(), 2);
        assert_eq!(args.ignore, ["soa-timers"]);
        assert!(Cli::try_parse_from(["zonectl", "check"]).is_err());
        assert!(Cli::try_parse_from(["zonectl", "check", "--format", "xml", "a"]).is_err());
    }
}
