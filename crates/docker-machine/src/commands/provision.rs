//! `provision` and `upgrade`: re-run provisioning / upgrade Docker on machines.

use crate::cli::{CmdError, Command, Context};
use libmachine::Host;

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

/// A full provisioning run on each machine, then the TLS check.
fn action(ctx: &Context) -> Result<(), CmdError> {
    let names = super::target_names(ctx)?;
    super::for_each_machine_synced(ctx, &names, Host::provision)?;
    Ok(())
}

/// Upgrade the Docker packages installed on each machine and restart the daemon.
fn upgrade_action(ctx: &Context) -> Result<(), CmdError> {
    let names = super::target_names(ctx)?;
    super::for_each_machine_synced(ctx, &names, Host::upgrade)?;
    Ok(())
}
