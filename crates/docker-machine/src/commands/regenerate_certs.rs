//! `regenerate-certs`: new server (and optionally client) certificates for machines.

use crate::cli::{CmdError, Command, Context};
use libmachine::mcnflag::Flag;

pub fn command() -> Command {
    Command {
        name: "regenerate-certs",
        usage: "Regenerate TLS Certificates for a machine",
        description: super::DESC_MANY.into(),
        flags: vec![
            Flag::bool("force, f", "", "Force rebuild and do not prompt"),
            Flag::bool(
                "client-certs",
                "",
                "Also regenerate client certificates and CA.",
            ),
        ],
        skip_flag_parsing: false,
        action,
    }
}

fn action(_ctx: &Context) -> Result<(), CmdError> {
    Err(CmdError::new("regenerate-certs: not implemented yet"))
}
