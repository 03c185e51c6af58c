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
    let mut cmd = Cli::command();
    cmd.build();
    write_page(&cmd, "zonectl", "zonectl", &args.dir)?;
    for sub in cmd.get_subcommands() {
        let page = format!("zonectl-{}", sub.get_name());
        let typed = format!("zonectl {}", sub.get_name());
        write_page(
            &sub.clone()
                .name(clap::builder::Str::from(page.clone().leak() as &str)),
            &page,
            &typed,
            &args.dir,
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Roff text: backslashes and hyphens escaped, so that a copied command
/// has real minus signs.
fn roff(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.chars().enumerate() {
        match c {
            '\\' => out.push_str("\\e"),
            '-' => out.push_str("\\-"),
            // A line starting with . or ' would be a roff request.
            '.' | '\'' if i == 0 => {
                out.push_str("\\&");
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// The SYNOPSIS as it is typed: `zonectl sign [--origin NAME] ... ZONEFILE`.
fn synopsis(cmd: &clap::Command, typed: &str) -> String {
    let mut out = format!("\\fB{}\\fR", roff(typed));
    let mut positionals = Vec::new();
    for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        let id = arg.get_id().as_str();
        if id == "help" || id == "version" {
            continue;
        }
        let value_name = arg
            .get_value_names()
            .and_then(|v| v.first())
            .map_or_else(|| id.to_uppercase(), |v| v.to_string());
        let repeats = matches!(arg.get_action(), clap::ArgAction::Append)
            || arg.get_num_args().is_some_and(|n| n.max_values() > 1);
        let more = if repeats { "..." } else { "" };
        if arg.is_positional() {
            let text = format!("\\fI{}\\fR{more}", roff(&value_name));
            positionals.push(if arg.is_required_set() {
                text
            } else {
                format!("[{text}]")
            });
            continue;
        }
        let flag = match (arg.get_long(), arg.get_short()) {
            (Some(long), _) => format!("\\fB\\-\\-{}\\fR", roff(long)),
            (None, Some(short)) => format!("\\fB\\-{short}\\fR"),
            (None, None) => continue,
        };
        let takes_value = arg.get_num_args().is_some_and(|n| n.takes_values());
        let text = if takes_value {
            format!("{flag} \\fI{}\\fR", roff(&value_name))
        } else {
            flag
        };
        if arg.is_required_set() {
            out.push_str(&format!(" {text}{more}"));
        } else {
            out.push_str(&format!(" [{text}]{more}"));
        }
    }
    if cmd.has_subcommands() {
        out.push_str(" \\fICOMMAND\\fR");
    }
    for p in positionals {
        out.push(' ');
        out.push_str(&p);
    }
    out
}

/// The after-help text split into its examples (the indented lines after
/// `Examples:`) and the paragraphs around them.
fn split_after_help(text: &str) -> (Vec<String>, Vec<String>) {
    let mut examples = Vec::new();
    let mut paragraphs = Vec::new();
    let mut in_examples = false;
    for block in text.split("\n\n") {
        for line in block.lines() {
            if line.trim() == "Examples:" {
                in_examples = true;
            } else if in_examples && line.starts_with("  ") {
                examples.push(line.trim().to_string());
            } else {
                in_examples = false;
                paragraphs.push(line.to_string());
            }
        }
        in_examples = false;
    }
    (examples, paragraphs)
}

fn write_page(cmd: &clap::Command, name: &str, typed: &str, dir: &std::path::Path) -> Result<()> {
    let after_help = cmd
        .get_after_help()
        .map(|h| h.to_string())
        .unwrap_or_default();
    let (examples, paragraphs) = split_after_help(&after_help);
    // clap_mangen renders the parts it does well; the synopsis and the
    // examples are ours, so that they can be typed and copied.
    let man = clap_mangen::Man::new(cmd.clone().after_help(None::<&str>));
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    writeln!(
        page,
        ".SH SYNOPSIS\n.nh\n.ad l\n{}\n.ad\n.hy",
        synopsis(cmd, typed)
    )?;
    man.render_description_section(&mut page)?;
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut page)?;
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut page)?;
    }
    if !examples.is_empty() {
        writeln!(page, ".SH EXAMPLES\n.nf\n.nh")?;
        for example in &examples {
            writeln!(page, "{}", roff(example))?;
        }
        writeln!(page, ".hy\n.fi")?;
    }
    let rest: Vec<&String> = paragraphs.iter().filter(|p| !p.trim().is_empty()).collect();
    if !rest.is_empty() {
        writeln!(page, ".SH NOTES")?;
        for paragraph in rest {
            writeln!(page, ".PP\n{}", roff(paragraph))?;
        }
    }
    if cmd.get_version().is_some() {
        man.render_version_section(&mut page)?;
    }
    let path = dir.join(format!("{name}.1"));
    zonectl::fsutil::write_atomically(&path, |w| w.write_all(&page))
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synopsis_shows_values_and_is_typeable() {
        let mut cmd = Cli::command();
        cmd.build();
        let sign = cmd.find_subcommand("sign").unwrap();
        let text = synopsis(sign, "zonectl sign");
        assert!(text.starts_with("\\fBzonectl sign\\fR"), "{text}");
        assert!(
            text.contains("\\fB\\-\\-keys\\fR \\fIDIR|KEYFILE\\fR..."),
            "{text}"
        );
        assert!(
            text.contains("[\\fB\\-\\-origin\\fR \\fINAME\\fR]"),
            "{text}"
        );
        assert!(text.ends_with("\\fIZONEFILE\\fR"), "{text}");
    }

    #[test]
    fn examples_leave_the_notes_behind() {
        let (examples, notes) =
            split_after_help("Examples:\n  zonectl a\n  zonectl b\n\nExit status: 0 ok.");
        assert_eq!(examples, ["zonectl a", "zonectl b"]);
        assert_eq!(notes, ["Exit status: 0 ok."]);
    }
}
