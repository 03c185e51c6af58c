//! `zonectl completions` and `zonectl man`: generated from the clap definition.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};

pub fn completions(args: CompletionsArgs) -> Result<ExitCode> {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "zonectl", &mut out);
    std::io::stdout().write_all(&out)?;
    Ok(ExitCode::SUCCESS)
}

pub fn man(args: ManArgs) -> Result<ExitCode> {
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", args.dir.display()))?;
    let cmd = Cli::command();
    write_page(&cmd, "zonectl", &args.dir)?;
    for sub in cmd.get_subcommands() {
        let name = format!("zonectl-{}", sub.get_name());
        write_page(
            &sub.clone()
                .name(clap::builder::Str::from(name.clone().leak() as &str)),
            &name,
            &args.dir,
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn write_page(cmd: &clap::Command, name: &str, dir: &std::path::Path) -> Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(cmd.clone()).render(&mut page)?;
    let path = dir.join(format!("{name}.1"));
    zonectl::fsutil::write_atomically(&path, |w| w.write_all(&page))
        .with_context(|| format!("writing {}", path.display()))
}
