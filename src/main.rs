mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

// Zones are millions of small allocations (names, rdata); mimalloc handles
// that pattern markedly faster than the system allocator. The library
// leaves the choice to its users.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // The server handles its own signals (SIGHUP reloads, SIGTERM stops
    // cleanly) and writes no files.
    if !matches!(cli.command, cli::Command::Serve(_)) {
        zonectl::fsutil::remove_temp_files_on_signals();
    }
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) if commands::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("zonectl: {err:#}");
            ExitCode::from(2)
        }
    }
}
