//! `start`, `stop`, `kill`, `restart`: power actions on one or more machines.

use crate::cli::{CmdError, Command, Context};
use libmachine::Host;

pub fn start() -> Command {
    super::simple("start", "Start a machine", super::DESC_MANY, |ctx| {
        super::for_each_machine_synced(ctx, &super::target_names(ctx)?, Host::start)?;
        libmachine::info!("Started machines may have new IP addresses. You may need to re-run the `docker-machine env` command.");
        Ok(())
    })
}

pub fn stop() -> Command {
    super::simple("stop", "Stop a machine", super::DESC_MANY, |ctx| {
        run(ctx, Host::stop)
    })
}

pub fn kill() -> Command {
    super::simple("kill", "Kill a machine", super::DESC_MANY, |ctx| {
        run(ctx, Host::kill)
    })
}

pub fn restart() -> Command {
    super::simple("restart", "Restart a machine", super::DESC_MANY, |ctx| {
        super::for_each_machine_synced(ctx, &super::target_names(ctx)?, Host::restart)?;
        libmachine::info!("Restarted machines may have new IP addresses. You may need to re-run the `docker-machine env` command.");
        Ok(())
    })
}

fn run(ctx: &Context, action: fn(&mut Host) -> anyhow::Result<()>) -> Result<(), CmdError> {
    let names = super::target_names(ctx)?;
    super::for_each_machine(ctx, &names, action)?;
    Ok(())
}
