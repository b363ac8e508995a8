//! `url`: the Docker URL of a machine.

use crate::cli::{CmdError, Command, Context};

pub fn command() -> Command {
    super::simple("url", "Get the URL of a machine", super::DESC_ONE, action)
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    if ctx.args.len() > 1 {
        return Err(CmdError::new(
            "Error: Expected one machine name as an argument",
        ));
    }
    let host = super::load_target(ctx)?;
    let url = host.driver.url()?;
    println!("{url}");
    Ok(())
}
