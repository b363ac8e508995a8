//! `ip`: the address of one or more machines, one per line in argument order.

use crate::cli::{CmdError, Command, Context};

pub fn command() -> Command {
    super::simple(
        "ip",
        "Get the IP address of a machine",
        super::DESC_MANY,
        action,
    )
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    let names = super::target_names(ctx)?;
    let ips = super::for_each_machine(ctx, &names, |host| {
        host.driver
            .ip()
            .map_err(|e| anyhow::anyhow!("Error getting IP address: {e:#}"))
    });
    // Print what succeeded even when another machine failed.
    match ips {
        Ok(ips) => {
            for ip in ips {
                println!("{ip}");
            }
            Ok(())
        }
        Err(e) => Err(e),
    }
}
