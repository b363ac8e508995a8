//! One module per command, as the original's `commands/` package, plus the helpers they
//! share: the default-machine rule, loading machines, multi-machine actions, and the
//! yes/no prompt. Commands do not import one another (`scripts/check-layers.sh`).

use crate::cli::{CmdError, Command, Context};
use libmachine::Host;
use std::io::{BufRead, Write};
use std::time::Duration;

mod active;
mod completion;
mod config;
mod create;
mod env;
mod inspect;
mod ip;
mod lifecycle;
mod ls;
mod mount;
mod provision;
mod regenerate_certs;
mod rm;
mod scp;
mod ssh;
mod status;
mod url;
mod use_context;
mod version;

/// Every command, in the order the app help lists them.
pub fn all(argv0: &str) -> Vec<Command> {
    vec![
        active::command(),
        completion::command(),
        config::command(),
        create::command(argv0),
        env::command(),
        inspect::command(),
        ip::command(),
        lifecycle::kill(),
        ls::command(),
        provision::command(),
        regenerate_certs::command(),
        lifecycle::restart(),
        rm::command(),
        ssh::command(),
        scp::command(),
        mount::command(),
        lifecycle::start(),
        status::command(),
        lifecycle::stop(),
        provision::upgrade(),
        url::command(),
        use_context::command(),
        version::command(),
        completion::complete_command(),
    ]
}

pub const DEFAULT_MACHINE: &str = "default";

/// The machine a single-machine command acts on: the first argument, else `default`.
pub fn target_name(ctx: &Context) -> Result<String, CmdError> {
    match ctx.args.first() {
        Some(name) => Ok(name.clone()),
        None if ctx.store.exists(DEFAULT_MACHINE) => Ok(DEFAULT_MACHINE.to_string()),
        None => Err(CmdError::new(format!(
            "Error: No machine name(s) specified and no \"{DEFAULT_MACHINE}\" machine exists"
        ))),
    }
}

/// Load the machine a single-machine command acts on.
pub fn load_target(ctx: &Context) -> Result<Host, CmdError> {
    let name = target_name(ctx)?;
    Ok(ctx.store.load(&name)?)
}

/// The names a multi-machine command acts on: its arguments, else `default`.
pub fn target_names(ctx: &Context) -> Result<Vec<String>, CmdError> {
    if ctx.args.is_empty() {
        Ok(vec![target_name(ctx)?])
    } else {
        Ok(ctx.args.clone())
    }
}

/// The driver named anywhere in argv (`-d X`, `--driver X`, `-d=X`, `--driver=X`, and the
/// one-dash `-driver` Go also accepts), else `MACHINE_DRIVER`, else the default.
pub fn driver_name_from(args: &[String]) -> String {
    let names = ["-d", "--driver", "-driver"];
    for (i, arg) in args.iter().enumerate() {
        if arg == "--" {
            break;
        }
        if names.contains(&arg.as_str()) {
            if let Some(v) = args.get(i + 1) {
                return v.clone();
            }
        }
        if let Some((flag, value)) = arg.split_once('=') {
            if names.contains(&flag) {
                return value.to_string();
            }
        }
    }
    match std::env::var("MACHINE_DRIVER") {
        Ok(d) if !d.is_empty() => d,
        _ => libmachine::drivers::default_driver().to_string(),
    }
}

/// The `-t, --timeout` flag of `ls` and `active` (seconds; negative counts as zero).
pub fn timeout_flag(ctx: &Context) -> Duration {
    Duration::from_secs(u64::try_from(ctx.flags.int("timeout")).unwrap_or(0))
}

/// Most machines acted on at once: enough for a handful of VMs, not a thundering herd
/// on a cloud API (the original started one goroutine per machine).
const MAX_PARALLEL: usize = 8;

/// Run `action` on every named machine, at most [`MAX_PARALLEL`] at a time, each under
/// its machine lock, saving each machine afterwards. Every name is acted on even when
/// another fails to load; errors are reported in argument order. Returns what each
/// action produced, in argument order.
pub fn for_each_machine<T: Send>(
    ctx: &Context,
    names: &[String],
    action: impl Fn(&mut Host) -> anyhow::Result<T> + Sync,
) -> Result<Vec<T>, CmdError> {
    let results: Vec<Result<T, String>> = std::thread::scope(|scope| {
        let mut results = Vec::with_capacity(names.len());
        for chunk in names.chunks(MAX_PARALLEL) {
            let handles: Vec<_> = chunk
                .iter()
                .map(|name| {
                    let action = &action;
                    scope.spawn(move || -> Result<T, String> {
                        let _lock = ctx
                            .store
                            .lock(name)
                            .map_err(|e| format!("Error locking machine {name:?}: {e}"))?;
                        let mut host = ctx.store.load(name).map_err(|e| e.to_string())?;
                        let out = action(&mut host).map_err(|e| format!("{e:#}"))?;
                        ctx.store
                            .save(&host)
                            .map_err(|e| format!("Error saving host to store: {e}"))?;
                        Ok(out)
                    })
                })
                .collect();
            for h in handles {
                results.push(
                    h.join()
                        .unwrap_or_else(|_| Err("internal error: action panicked".into())),
                );
            }
        }
        results
    });
    let mut outputs = Vec::new();
    let mut errors = Vec::new();
    for r in results {
        match r {
            Ok(v) => outputs.push(v),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(outputs)
    } else {
        Err(CmdError::new(errors.join("\n")))
    }
}

/// [`for_each_machine`] for an action that may move the machine's Docker endpoint or
/// change its certificates: each machine's docker context is brought up to date after it
/// (a failure there is a warning, never the command's).
pub fn for_each_machine_synced(
    ctx: &Context,
    names: &[String],
    action: fn(&mut Host) -> anyhow::Result<()>,
) -> Result<(), CmdError> {
    for_each_machine(ctx, names, |host| {
        action(host)?;
        libmachine::dockercontext::sync_or_warn(&ctx.store, host);
        Ok(())
    })
    .map(drop)
}

/// A command that takes no flags and the given description.
pub fn simple(
    name: &'static str,
    usage: &'static str,
    description: &str,
    action: fn(&Context) -> Result<(), CmdError>,
) -> Command {
    Command {
        name,
        usage,
        description: description.to_string(),
        flags: Vec::new(),
        skip_flag_parsing: false,
        action,
    }
}

pub const DESC_ONE: &str = "Argument is a machine name.";
pub const DESC_MANY: &str = "Argument(s) are one or more machine names.";

/// Ask a yes/no question on stdout; only an answer starting with y/Y is a yes
/// (end of input is a no).
pub fn confirm(question: &str) -> bool {
    print!("{question} (y/n): ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(n) if n > 0 => answer.trim_start().to_lowercase().starts_with('y'),
        _ => false,
    }
}
