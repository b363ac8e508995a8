//! `scp`: copy files between machines and the local host.

use crate::cli::{help, CmdError, Command, Context};
use libmachine::mcnflag::Flag;

pub fn command() -> Command {
    Command {
        name: "scp",
        usage: "Copy files between machines",
        description: "Arguments are [[user@]machine:][path] [[user@]machine:][path].".into(),
        flags: vec![
            Flag::bool("recursive, r", "", "Copy files recursively (required to copy directories)"),
            Flag::bool(
                "delta, d",
                "",
                "Reduce amount of data sent over network by sending only the differences (uses rsync)",
            ),
            Flag::bool("quiet, q", "", "Disables the progress meter as well as warning and diagnostic messages from ssh"),
        ],
        skip_flag_parsing: false,
        action,
    }
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    if ctx.args.len() != 2 {
        print!("{}", help::command_help(&command()));
        return Err(CmdError::new("Improper number of arguments"));
    }
    Err(CmdError::new("scp: not implemented yet"))
}
