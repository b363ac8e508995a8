//! `active`: print the machine `DOCKER_HOST` points at.

use crate::cli::{CmdError, Command, Context};
use libmachine::listing::{self, NoActiveHost};
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

/// The first active machine in `ls` order (URL or swarm URL equal to `$DOCKER_HOST`,
/// running). The Docker version is not needed, so it is not asked.
fn action(ctx: &Context) -> Result<(), CmdError> {
    if !ctx.args.is_empty() {
        return Err(CmdError::new("Error: Too many arguments given"));
    }
    let all = listing::load_all(&ctx.store)
        .map_err(|e| CmdError::new(format!("Error getting active host: {e}")))?;
    let masters = listing::swarm_masters(&all.hosts);
    let docker_host = std::env::var("DOCKER_HOST").unwrap_or_default();
    let timeout = super::timeout_flag(ctx);
    let items = listing::host_list_items(
        all.hosts,
        all.broken,
        &masters,
        timeout,
        &docker_host,
        false,
    );
    match listing::active(&items) {
        Ok(item) => {
            println!("{}", item.name);
            Ok(())
        }
        Err(NoActiveHost::Timeout) => Err(CmdError::new("Error getting active host: timeout")),
        Err(NoActiveHost::NotFound) => Err(CmdError::new("No active host found")),
    }
}
