//! `active`: print the machine `DOCKER_HOST` points at.

use crate::cli::{CmdError, Command, Context};
use libmachine::mcnflag::Flag;
use libmachine::State;

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
    let all = super::ls::load_all(&ctx.store)
        .map_err(|e| CmdError::new(format!("Error getting active host: {e}")))?;
    let masters = super::ls::swarm_masters(&all.hosts);
    let items = super::ls::host_list_items(
        all.hosts,
        all.broken,
        &masters,
        super::ls::timeout_flag(ctx),
        false,
    );
    let mut timed_out = false;
    for item in &items {
        if item.active_host || item.active_swarm {
            println!("{}", item.name);
            return Ok(());
        }
        timed_out |= item.state == State::Timeout;
    }
    if timed_out {
        Err(CmdError::new("Error getting active host: timeout"))
    } else {
        Err(CmdError::new("No active host found"))
    }
}
