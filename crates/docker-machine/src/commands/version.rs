//! `version`: this program's version, or the Docker version of a machine.

use crate::cli::{CmdError, Command, Context};
use libmachine::dockerclient;
use std::time::Duration;

pub fn command() -> Command {
    super::simple(
        "version",
        "Show the Docker Machine version or a machine docker version",
        "",
        action,
    )
}

/// How long `version NAME` waits for the daemon (the original had no bound at all).
const QUERY_TIMEOUT: Duration = Duration::from_secs(20);

fn action(ctx: &Context) -> Result<(), CmdError> {
    match ctx.args.len() {
        0 => {
            println!(
                "{} version {}, build {}",
                ctx.app_name,
                libmachine::VERSION,
                crate::cli::BUILD_COMMIT
            );
            Ok(())
        }
        1 => {
            let host = ctx.store.load(&ctx.args[0])?;
            let url = host
                .driver
                .url()
                .map_err(|e| CmdError::new(format!("Unable to query docker version: {e:#}")))?;
            if url.is_empty() {
                return Err(CmdError::new(
                    "Unable to query docker version: the machine has no Docker URL",
                ));
            }
            let v = dockerclient::version(&url, &host.options.auth, QUERY_TIMEOUT)
                .map_err(|e| CmdError::new(format!("Unable to query docker version: {e}")))?;
            println!("{}", v.version);
            Ok(())
        }
        _ => Err(CmdError::new(
            "Error: Expected one machine name as an argument",
        )),
    }
}
