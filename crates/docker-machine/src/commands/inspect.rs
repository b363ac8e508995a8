//! `inspect`: the machine as JSON, or through a Go template.

use crate::cli::{CmdError, Command, Context};
use libmachine::mcnflag::Flag;

pub fn command() -> Command {
    Command {
        name: "inspect",
        usage: "Inspect information about a machine",
        description: super::DESC_ONE.into(),
        flags: vec![Flag::string(
            "format, f",
            "",
            "Format the output using the given go template.",
            "",
        )],
        skip_flag_parsing: false,
        action,
    }
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    if ctx.args.len() > 1 {
        return Err(CmdError::new(
            "Error: Expected one machine name as an argument",
        ));
    }
    let host = super::load_target(ctx)?;
    println!("{}", host.to_json_pretty());
    Ok(())
}
