//! `version`: this program's version, or the Docker version of a machine.

use crate::cli::{CmdError, Command, Context};

pub fn command() -> Command {
    super::simple(
        "version",
        "Show the Docker Machine version or a machine docker version",
        "",
        action,
    )
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    match ctx.args.len() {
        0 => {
            println!(
                "{} version {}, build {}",
                ctx.app_name,
                libmachine::VERSION,
                libmachine::GIT_COMMIT
            );
            Ok(())
        }
        1 => Err(CmdError::new("version NAME: not implemented yet")),
        _ => Err(CmdError::new(
            "Error: Expected one machine name as an argument",
        )),
    }
}
