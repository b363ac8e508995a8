//! `inspect`: the machine as JSON, or through a Go template.

use crate::cli::{help, CmdError, Command, Context};
use libmachine::mcnflag::Flag;
use libmachine::template::{self, Template};
use std::io::Write;

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
        print!("{}", help::command_help(&command()));
        return Err(CmdError::new(
            "Error: Expected one machine name as an argument",
        ));
    }
    // As the original: the machine is loaded before the template is looked at.
    let host = super::load_target(ctx)?;
    let format = ctx.flags.string("format");
    if format.is_empty() {
        println!("{}", host.to_json_pretty());
        return Ok(());
    }
    let tmpl = Template::parse(&format)
        .map_err(|e| CmdError::new(format!("template parsing error: {e}")))?;
    // Marshalled to JSON and decoded into a generic map: every key addressable, every
    // number a float64.
    let data = template::generic_value(&host.to_value());
    let mut out = String::new();
    let result = tmpl.execute(&mut out, &data, false);
    // Go's template wrote to stdout as it went: what came before an error is shown.
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(out.as_bytes());
    match result {
        Ok(()) => {
            let _ = stdout.write_all(b"\n");
            let _ = stdout.flush();
            Ok(())
        }
        Err(e) => {
            let _ = stdout.flush();
            Err(CmdError::new(e))
        }
    }
}
