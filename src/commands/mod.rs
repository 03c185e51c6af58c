//! One module per subcommand: each turns arguments into library calls and
//! prints the result. No DNS logic lives here.

/// `println!` that returns an error instead of panicking when standard
/// output is gone (a closed pipe: a quiet exit 0) or full (exit 2).
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*).map_err($crate::commands::stdout_error)?
    }};
}

/// `print!`, likewise, flushed.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout();
        write!(stdout, $($arg)*)
            .and_then(|()| stdout.flush())
            .map_err($crate::commands::stdout_error)?
    }};
}

mod check;
mod diff;
mod dnssec;
mod fmt;
mod generate;
mod probe;
mod progress;
mod push;
mod serve;
mod xfr;

use std::process::ExitCode;

use anyhow::{Context, Result};
use zonectl::zone::Name;

use crate::cli::{Cli, Command};

pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check::execute(args),
        Command::Fmt(args) => fmt::execute(args),
        Command::Keygen(args) => dnssec::keygen(args),
        Command::Sign(args) => dnssec::sign(args),
        Command::Verify(args) => dnssec::verify(args),
        Command::Ds(args) => dnssec::ds(args),
        Command::Xfr(args) => xfr::xfr(args),
        Command::Notify(args) => xfr::notify(args),
        Command::Probe(args) => probe::execute(args),
        Command::Serve(args) => serve::execute(args),
        Command::Diff(args) => diff::execute(args),
        Command::Push(args) => push::execute(args),
        Command::TsigKeygen(args) => xfr::tsig_keygen(args),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args),
    }
}

/// Whether to colour standard output: asked for, or `auto` on a terminal
/// with NO_COLOR unset.
pub fn color_enabled(choice: crate::cli::ColorChoice) -> bool {
    use std::io::IsTerminal;
    match choice {
        crate::cli::ColorChoice::Always => true,
        crate::cli::ColorChoice::Never => false,
        crate::cli::ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

/// An error writing standard output, said as such.
pub fn stdout_error(error: std::io::Error) -> anyhow::Error {
    anyhow::Error::new(error).context("writing to standard output")
}

/// `zonectl check | head` closes our stdout early: not an error.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Parses a zone name given on the command line (always absolute).
pub fn parse_origin(text: &str) -> Result<Name> {
    let absolute = if text.ends_with('.') {
        text.to_string()
    } else {
        format!("{text}.")
    };
    Name::parse(absolute.as_bytes(), None).with_context(|| format!("bad origin \"{text}\""))
}

/// Reads a zone file into a [`Zone`], printing its errors to stderr (and a
/// progress bar when that takes a while). `Ok(None)` when the zone has
/// errors: the caller exits 2.
pub fn read_zone(
    path: &std::path::Path,
    origin: Option<&str>,
    include_root: Option<&std::path::Path>,
) -> Result<Option<zonectl::zone::Zone>> {
    use zonectl::zone::loader::{LoadOptions, load_zone};
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let progress = progress::Progress::start(size, progress::Unit::Bytes);
    let options = LoadOptions {
        origin: origin.map(parse_origin).transpose()?,
        include_root: include_root.map(std::path::Path::to_path_buf),
        progress: Some(progress.counter()),
    };
    let loaded = load_zone(path, &options);
    drop(progress);
    match loaded {
        Ok(zone) => Ok(Some(zone)),
        Err(errors) => {
            for d in errors {
                eprintln!("{}", printable(&d.to_string()));
            }
            Ok(None)
        }
    }
}

/// Text for a terminal: control characters (from zone data, file names,
/// or a server's answer) are shown as `\DDD` escapes, as in presentation
/// format, so that nothing printed can move the cursor or change colours.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if c.is_control() && (c as u32) < 256 => {
                out.push_str(&format!("\\{:03}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn terminal_escapes_are_shown_not_sent() {
        assert_eq!(printable("a\x1b[2Jb"), "a\\027[2Jb");
        assert_eq!(printable("plain"), "plain");
        assert_eq!(printable("\u{9b}x"), "\\155x");
    }
}
