//! `config`: the docker client flags that reach a machine.
//!
//! The paths point at the machine directory's copies, as in the original; a machine
//! without copies (`none` driver, bug 19) gets the files its `AuthOptions` name, which
//! are the ones the connection check used ([`libmachine::Host::client_tls_files`]).

use crate::cli::{CmdError, Command, Context};
use libmachine::mcnflag::Flag;
use libmachine::shell::go_quote;

pub fn command() -> Command {
    Command {
        name: "config",
        usage: "Print the connection config for machine",
        description: super::DESC_ONE.into(),
        flags: vec![Flag::bool(
            "swarm",
            "",
            "Display the Swarm config instead of the Docker daemon",
        )],
        skip_flag_parsing: false,
        action,
    }
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    // The output is meant for `$(...)`: log lines must not reach stdout.
    libmachine::log::set_info_to_stderr(true);
    // The first argument names the machine; any others are ignored, as in the original.
    let host = super::load_target(ctx)?;
    let docker_host = host
        .checked_docker_url(ctx.flags.bool("swarm"))
        .map_err(|e| CmdError::new(format!("Error running connection boilerplate: {e}")))?;
    libmachine::debug!("{docker_host}");
    let files = host.client_tls_files(&ctx.store.machine_dir(&host.name));
    let path = |p: &std::path::Path| go_quote(&p.to_string_lossy());
    print!(
        "--tlsverify\n--tlscacert={}\n--tlscert={}\n--tlskey={}\n-H={docker_host}\n",
        path(&files.ca),
        path(&files.cert),
        path(&files.key)
    );
    Ok(())
}
