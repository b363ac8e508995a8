//! `status`: the state word of a machine.

use crate::cli::{CmdError, Command, Context};

pub fn command() -> Command {
    super::simple(
        "status",
        "Get the status of a machine",
        super::DESC_ONE,
        action,
    )
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    if ctx.args.len() > 1 {
        return Err(CmdError::new(
            "Error: Expected one machine name as an argument",
        ));
    }
    let host = super::load_target(ctx)?;
    let state = host
        .driver
        .state()
        .map_err(|e| CmdError::new(format!("error getting state for host {}: {e:#}", host.name)))?;
    println!("{state}");
    Ok(())
}
