//! `ssh`: a shell or a command on a machine. Unlike the original (bug 2), the remote
//! exit status becomes docker-machine's exit status.

use crate::cli::{help, CmdError, Command, Context};
use libmachine::ssh;

pub fn command() -> Command {
    Command {
        name: "ssh",
        usage: "Log into or run a command on a machine with SSH.",
        description: "Arguments are [machine-name] [command]".into(),
        flags: Vec::new(),
        skip_flag_parsing: true,
        action,
    }
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    if matches!(ctx.arg(0), Some("-h" | "--help" | "-help")) {
        print!("{}", help::command_help(&command()));
        return Ok(());
    }
    let host = super::load_target(ctx)?;
    if host.driver.state()? != libmachine::State::Running {
        return Err(CmdError::new(format!(
            "Error: Cannot run SSH command: Host \"{}\" is not running",
            host.name
        )));
    }
    let target = libmachine::drivers::ssh_target(host.driver.as_ref())?;
    let kind = ssh::default_kind(ctx.globals.bool("native-ssh"));
    let client = ssh::client(&target, kind)?;
    // Everything after the machine name goes to ssh unchanged (options included).
    let user_args = ctx.args.get(1..).unwrap_or(&[]);
    match client.interactive(user_args)? {
        0 => Ok(()),
        code => Err(CmdError::silent(code)),
    }
}
