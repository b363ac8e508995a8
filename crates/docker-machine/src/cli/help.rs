//! Help texts rendered with the original's templates (cmd/docker-machine/machine.go)
//! and tab-aligned like codegangsta/cli did. Bash completion greps `^   -` from them.

use super::tabwriter::TabWriter;
use super::Command;
use libmachine::mcnflag::Flag;

pub fn app_help(app_name: &str, flags: &[Flag], commands: &[Command]) -> String {
    let mut t = format!(
        "Usage: {app_name} [OPTIONS] COMMAND [arg...]\n\n{}\n\nVersion: {}, build {}\n\nAuthor:\n  {}\n\nOptions:\n  ",
        super::APP_USAGE,
        libmachine::VERSION,
        super::BUILD_COMMIT,
        super::APP_AUTHOR
    );
    for f in flags {
        t.push_str(&f.help_line());
        t.push_str("\n  ");
    }
    t.push_str("\nCommands:\n  ");
    // `__complete` (what the completion scripts call) is not for people.
    for c in commands.iter().filter(|c| !c.name.starts_with("__")) {
        t.push_str(&format!("{}\t{}\n  ", c.name, c.usage));
    }
    t.push_str("help\tShows a list of commands or help for one command\n  ");
    t.push_str(&format!(
        "\nRun '{app_name} COMMAND --help' for more information on a command.\n"
    ));
    TabWriter::HELP.format(&t)
}

pub fn command_help(cmd: &Command) -> String {
    command_help_with_flags(cmd, &cmd.flags)
}

pub fn command_help_with_flags(cmd: &Command, flags: &[Flag]) -> String {
    let mut t = format!("Usage: docker-machine {}", cmd.name);
    if !flags.is_empty() {
        t.push_str(" [OPTIONS]");
    }
    t.push_str(" [arg...]\n\n");
    t.push_str(cmd.usage);
    if !cmd.description.is_empty() {
        t.push_str("\n\nDescription:\n   ");
        t.push_str(&cmd.description);
    }
    if !flags.is_empty() {
        t.push_str("\n\nOptions:\n   ");
        for f in flags {
            t.push_str("\n   ");
            t.push_str(&f.help_line());
        }
    }
    t.push('\n');
    TabWriter::HELP.format(&t)
}
