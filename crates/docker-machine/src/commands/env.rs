//! `env`: shell code that points the docker client at a machine.

use crate::cli::{CmdError, Command, Context};
use libmachine::mcnflag::Flag;

pub fn command() -> Command {
    Command {
        name: "env",
        usage: "Display the commands to set up the environment for the Docker client",
        description: super::DESC_ONE.into(),
        flags: vec![
            Flag::bool("swarm", "", "Display the Swarm config instead of the Docker daemon"),
            Flag::string(
                "shell",
                "",
                "Force environment to be configured for a specified shell: [fish, cmd, powershell, tcsh, emacs], default is auto-detect",
                "",
            ),
            Flag::bool("unset, u", "", "Unset variables instead of setting them"),
            Flag::bool("no-proxy", "", "Add machine IP to NO_PROXY environment variable"),
        ],
        skip_flag_parsing: false,
        action,
    }
}

fn action(_ctx: &Context) -> Result<(), CmdError> {
    Err(CmdError::new("env: not implemented yet"))
}
