//! `config`: the docker client flags that reach a machine.

use crate::cli::{CmdError, Command, Context};
use libmachine::mcnflag::Flag;

pub fn command() -> Command {
    Command {
        name: "config",
        usage: "Print the connection config for machine",
        description: super::DESC_ONE.into(),
        flags: vec![Flag::bool(
            "swarm",
            "",
            "Display the Swarm config instead of the Docker daemon",
        )],
        skip_flag_parsing: false,
        action,
    }
}

fn action(_ctx: &Context) -> Result<(), CmdError> {
    Err(CmdError::new("config: not implemented yet"))
}
