//! `mount`: mount a machine directory locally with sshfs (`-u`: `fusermount -u`), built
//! as the original built it; the tool's exit status is passed through.

use crate::cli::{help, CmdError, Command, Context};
use crate::ssh_tools::{load_info, pinned, run_tool, ssh_options, HostInfo, Location};
use libmachine::mcnflag::Flag;
use libmachine::ssh::external::look_path;

pub fn command() -> Command {
    Command {
        name: "mount",
        usage: "Mount or unmount a directory from a machine with SSHFS.",
        description: "Arguments are [machine:][path] [mountpoint]".into(),
        flags: vec![Flag::bool("unmount, u", "", "Unmount instead of mount")],
        skip_flag_parsing: false,
        action,
    }
}

/// Parse `[[USER@]NAME:]PATH` (no `NAME:` = the `default` machine).
pub fn parse_source(
    arg: &str,
    load: &mut dyn FnMut(&str) -> Result<HostInfo, String>,
) -> Result<Location, String> {
    let (host_part, path) = match arg.split_once(':') {
        Some((h, p)) => (h, p),
        None => (super::DEFAULT_MACHINE, arg),
    };
    let (user, name) = match host_part.split_once('@') {
        Some((u, n)) => (u.to_string(), n),
        None => (String::new(), host_part),
    };
    let info = load(name).map_err(|e| format!("Error loading host: {e}"))?;
    Ok(Location::Remote {
        info,
        user,
        path: path.to_string(),
    })
}

/// The arguments of `sshfs` (or of `fusermount` with `unmount`). The mount point
/// defaults to the remote path.
pub fn mount_args(
    src: &Location,
    mountpoint: Option<&str>,
    unmount: bool,
) -> Result<Vec<String>, String> {
    let Location::Remote { info, path, .. } = src else {
        return Err("mount needs a machine path".into());
    };
    let dest = mountpoint.unwrap_or(path).to_string();
    let location = src.arg()?;
    if unmount {
        return Ok(vec!["-u".into(), dest]);
    }
    let mut args = ssh_options(&pinned(info), false);
    if !info.key_path.is_empty() {
        args.extend(["-o".into(), "IdentitiesOnly=yes".into()]);
    }
    if let Some(port) = info.port.filter(|p| *p > 0) {
        args.extend(["-o".into(), format!("Port={port}")]);
    }
    if !info.key_path.is_empty() {
        args.extend(["-o".into(), format!("IdentityFile={}", info.key_path)]);
    }
    args.push(location);
    args.push(dest);
    Ok(args)
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    if ctx.args.is_empty() || ctx.args.len() > 2 {
        print!("{}", help::command_help(&command()));
        return Err(CmdError::new("Improper number of arguments"));
    }
    let unmount = ctx.flags.bool("unmount");
    let program = if unmount {
        look_path("fusermount").ok_or_else(|| {
            CmdError::new(
                "You must have a copy of the fusermount binary locally to use the unmount option",
            )
        })?
    } else {
        look_path("sshfs").ok_or_else(|| {
            CmdError::new(
                "You must have a copy of the sshfs binary locally to use the mount feature",
            )
        })?
    };
    let mut load = |name: &str| load_info(ctx, name);
    let src = parse_source(&ctx.args[0], &mut load).map_err(CmdError::new)?;
    let args = mount_args(&src, ctx.arg(1), unmount).map_err(CmdError::new)?;
    run_tool(&program, &args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(key: &'static str) -> impl FnMut(&str) -> Result<HostInfo, String> {
        move |name: &str| {
            Ok(HostInfo {
                hostname: Ok(format!("{name}.example")),
                port: Some(2222),
                user: "docker".into(),
                key_path: key.into(),
                host_key: None,
            })
        }
    }

    #[test]
    fn sshfs_argv() {
        let src = parse_source("m:/home/docker", &mut load("/k/id_rsa")).unwrap();
        assert_eq!(
            mount_args(&src, Some("/mnt/x"), false).unwrap().join(" "),
            "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=quiet -o IdentitiesOnly=yes -o Port=2222 -o IdentityFile=/k/id_rsa docker@m.example:/home/docker /mnt/x"
        );
        let src = parse_source("bob@m:/data", &mut load("")).unwrap();
        assert_eq!(
            mount_args(&src, None, false).unwrap().join(" "),
            "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=quiet -o Port=2222 bob@m.example:/data /data"
        );
        let src = parse_source("/data", &mut load("")).unwrap();
        assert_eq!(src.arg().unwrap(), "docker@default.example:/data");
        assert_eq!(mount_args(&src, None, true).unwrap(), vec!["-u", "/data"]);
    }
}
