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
    let errors: Vec<String> = ctx
        .args
        .iter()
        .filter_map(|name| {
            let removed = libmachine::remove::remove(&ctx.store, name, force);
            libmachine::dockercontext::remove_or_warn(&ctx.store, name);
            removed.err()
        })
        .map(|e| e.to_string())
        .collect();
    if !errors.is_empty() {
        return Err(CmdError::new(errors.join("\n")));
    }
    Ok(())
}
