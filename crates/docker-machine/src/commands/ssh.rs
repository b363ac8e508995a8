//! `ssh`: a shell or a command on a machine.

use crate::cli::{help, CmdError, Command, Context};

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
    Err(CmdError::new("ssh: not implemented yet"))
}
