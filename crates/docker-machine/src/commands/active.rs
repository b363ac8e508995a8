//! `active`: print the machine `DOCKER_HOST` points at.

use crate::cli::{CmdError, Command, Context};
use libmachine::mcnflag::Flag;

pub fn command() -> Command {
    Command {
        name: "active",
        usage: "Print which machine is active",
        description: String::new(),
        flags: vec![Flag::int(
            "timeout, t",
            "",
            "Timeout in seconds, default to 10s",
            10,
        )],
        skip_flag_parsing: false,
        action,
    }
}

fn action(_ctx: &Context) -> Result<(), CmdError> {
    Err(CmdError::new("active: not implemented yet"))
}
