//! `provision` and `upgrade`: re-run provisioning / upgrade Docker on machines.

use crate::cli::{CmdError, Command, Context};

pub fn command() -> Command {
    super::simple("provision", "Re-provision existing machines", "", action)
}

pub fn upgrade() -> Command {
    super::simple(
        "upgrade",
        "Upgrade a machine to the latest version of Docker",
        super::DESC_MANY,
        upgrade_action,
    )
}

fn action(_ctx: &Context) -> Result<(), CmdError> {
    Err(CmdError::new("provision: not implemented yet"))
}

fn upgrade_action(_ctx: &Context) -> Result<(), CmdError> {
    Err(CmdError::new("upgrade: not implemented yet"))
}
