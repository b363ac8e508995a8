//! `regenerate-certs`: new server (and optionally client) certificates for machines.

use crate::cli::{CmdError, Command, Context};
use libmachine::mcnflag::Flag;
use libmachine::Host;

pub fn command() -> Command {
    Command {
        name: "regenerate-certs",
        usage: "Regenerate TLS Certificates for a machine",
        description: super::DESC_MANY.into(),
        flags: vec![
            Flag::bool("force, f", "", "Force rebuild and do not prompt"),
            Flag::bool(
                "client-certs",
                "",
                "Also regenerate client certificates and CA.",
            ),
        ],
        skip_flag_parsing: false,
        action,
    }
}

/// As the original: prompt unless `-f`; `--client-certs` replaces the CA and the client
/// certificate (once per set of certificate files, however many machines share them);
/// then each machine gets a new server certificate and a daemon restart. Docker is not
/// reinstalled.
fn action(ctx: &Context) -> Result<(), CmdError> {
    if !ctx.flags.bool("force")
        && !super::confirm("Regenerate TLS machine certs?  Warning: this is irreversible.")
    {
        return Ok(());
    }
    let names = super::target_names(ctx)?;
    libmachine::info!("Regenerating TLS certificates");
    if ctx.flags.bool("client-certs") {
        let mut done = Vec::new();
        for name in &names {
            // A machine that does not load is reported by the per-machine pass below.
            let Ok(host) = ctx.store.load(name) else {
                continue;
            };
            let auth = host.options.auth;
            let key = [
                auth.ca_cert_path.clone(),
                auth.ca_private_key_path.clone(),
                auth.client_cert_path.clone(),
                auth.client_key_path.clone(),
            ];
            if done.contains(&key) {
                continue;
            }
            libmachine::host::regenerate_local_certs(&auth, &ctx.store)?;
            done.push(key);
        }
    }
    super::for_each_machine_synced(ctx, &names, Host::regenerate_certs)?;
    Ok(())
}
