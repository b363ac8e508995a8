//! `rm`: remove machines, remote instance and local reference.

use crate::cli::{help, CmdError, Command, Context};
use libmachine::mcnflag::Flag;

pub fn command() -> Command {
    Command {
        name: "rm",
        usage: "Remove a machine",
        description: super::DESC_MANY.into(),
        flags: vec![
            Flag::bool(
                "force, f",
                "",
                "Remove local configuration even if machine cannot be removed, also implies an automatic yes (`-y`)",
            ),
            Flag::bool(
                "y",
                "",
                "Assumes automatic yes to proceed with remove, without prompting further user confirmation",
            ),
        ],
        skip_flag_parsing: false,
        action,
    }
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    if ctx.args.is_empty() {
        print!("{}", help::command_help(&command()));
        return Err(CmdError::new(
            "Error: Expected to get one or more machine names as arguments",
        ));
    }
    libmachine::info!("About to remove {}", ctx.args.join(", "));
    libmachine::warn!("WARNING: This action will delete both local reference and remote instance.");
    let force = ctx.flags.bool("force");
    if !force && !ctx.flags.bool("y") && !super::confirm("Are you sure?") {
        return Ok(());
    }
    let mut errors = Vec::new();
    let mut report = |msg: String| {
        if force {
            libmachine::log::error(&msg);
        }
        errors.push(msg);
    };
    for name in &ctx.args {
        let _lock = ctx.store.lock(name);
        let remote = ctx
            .store
            .load(name)
            .map_err(|e| e.to_string())
            .and_then(|mut host| host.driver.remove().map_err(|e| format!("{e:#}")));
        if let Err(e) = &remote {
            report(format!("Error removing host {name:?}: {e}"));
        }
        libmachine::testpoint::pause("rm-remote-done");
        if remote.is_ok() || force {
            if !ctx.store.exists(name) || ctx.store.remove(name).is_err() {
                report(format!("Can't remove \"{name}\""));
            } else {
                libmachine::info!("Successfully removed {name}");
            }
        }
    }
    if !errors.is_empty() && !force {
        return Err(CmdError::new(errors.join("\n")));
    }
    Ok(())
}
