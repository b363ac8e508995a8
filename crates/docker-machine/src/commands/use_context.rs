//! `use`: make a machine's docker context the docker CLI's current one (`docker context
//! use`), so that a plain `docker ps` reaches the machine without `eval $(docker-machine
//! env)`. The context is the one create wrote (libmachine's `dockercontext`).

use crate::cli::{CmdError, Command, Context};
use libmachine::dockercontext::{self, ContextStore};
use libmachine::mcnflag::Flag;

pub fn command() -> Command {
    Command {
        name: "use",
        usage: "Make a machine's docker context the current one",
        description: super::DESC_ONE.into(),
        flags: vec![Flag::bool(
            "unset, u",
            "",
            "Go back to the docker CLI's default context",
        )],
        skip_flag_parsing: false,
        action,
    }
}

/// As `docker context use`: the context's name on stdout, the news on stderr.
fn action(ctx: &Context) -> Result<(), CmdError> {
    let contexts = ContextStore::from_env();
    let name = if ctx.flags.bool("unset") {
        contexts.set_current(None).map_err(CmdError::new)?;
        "default".to_string()
    } else {
        if ctx.args.len() > 1 {
            return Err(CmdError::new(
                "Error: Expected one machine name as an argument",
            ));
        }
        let host = super::load_target(ctx)?;
        dockercontext::use_machine(&contexts, &ctx.store, &host).map_err(|e| {
            CmdError::new(format!(
                "Error setting the docker context of machine {:?}: {e}",
                host.name
            ))
        })?
    };
    println!("{name}");
    eprintln!("Current context is now {name:?}");
    if std::env::var_os("DOCKER_HOST").is_some_and(|v| !v.is_empty()) {
        eprintln!(
            "Warning: DOCKER_HOST is set and overrides the current context; unset it (`eval $({} env -u)`) to use {name:?}",
            ctx.argv0
        );
    }
    Ok(())
}
