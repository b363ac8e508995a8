//! `ls`: list machines with their state and Docker version.

use crate::cli::{CmdError, Command, Context};
use libmachine::mcnflag::Flag;

pub fn command() -> Command {
    Command {
        name: "ls",
        usage: "List machines",
        description: String::new(),
        flags: vec![
            Flag::bool("quiet, q", "", "Enable quiet mode"),
            Flag::string_slice(
                "filter",
                "",
                "Filter output based on conditions provided",
                &[],
            ),
            Flag::int("timeout, t", "", "Timeout in seconds, default to 10s", 10),
            Flag::string(
                "format, f",
                "",
                "Pretty-print machines using a Go template",
                "",
            ),
        ],
        skip_flag_parsing: false,
        action,
    }
}

fn action(_ctx: &Context) -> Result<(), CmdError> {
    Err(CmdError::new("ls: not implemented yet"))
}
