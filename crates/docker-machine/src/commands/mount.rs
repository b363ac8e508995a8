//! `mount`: mount a machine directory locally with sshfs.

use crate::cli::{help, CmdError, Command, Context};
use libmachine::mcnflag::Flag;

pub fn command() -> Command {
    Command {
        name: "mount",
        usage: "Mount or unmount a directory from a machine with SSHFS.",
        description: "Arguments are [machine:][path] [mountpoint]".into(),
        flags: vec![Flag::bool("unmount, u", "", "Unmount instead of mount")],
        skip_flag_parsing: false,
        action,
    }
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    if ctx.args.is_empty() || ctx.args.len() > 2 {
        print!("{}", help::command_help(&command()));
        return Err(CmdError::new("Improper number of arguments"));
    }
    Err(CmdError::new("mount: not implemented yet"))
}
