//! `scp`: copy files between machines and the local host with the system's `scp`
//! (or `rsync` for `--delta`), built as the original built it. Unlike
//! the original, the child's exit status is passed through (bug 2) and a missing
//! machine is reported with one `Error loading host:` (bug 17).

use crate::cli::{help, CmdError, Command, Context};
use crate::ssh_tools::{load_info, pinned, run_tool, ssh_options, HostInfo, HostKeys, Location};
use libmachine::mcnflag::Flag;
use libmachine::ssh::external::look_path;
use libmachine::ssh::SshTarget;
use std::path::PathBuf;

pub fn command() -> Command {
    Command {
        name: "scp",
        usage: "Copy files between machines",
        description: "Arguments are [[user@]machine:][path] [[user@]machine:][path].".into(),
        flags: vec![
            Flag::bool("recursive, r", "", "Copy files recursively (required to copy directories)"),
            Flag::bool(
                "delta, d",
                "",
                "Reduce amount of data sent over network by sending only the differences (uses rsync)",
            ),
            Flag::bool("quiet, q", "", "Disables the progress meter as well as warning and diagnostic messages from ssh"),
        ],
        skip_flag_parsing: false,
        action,
    }
}

/// Parse `[[USER@]NAME:]PATH`: no `:` or machine `localhost` = local; anything else is
/// loaded through `load`.
pub fn parse_location(
    arg: &str,
    load: &mut dyn FnMut(&str) -> Result<HostInfo, String>,
) -> Result<Location, String> {
    let Some((host_part, path)) = arg.split_once(':') else {
        return Ok(Location::Local(arg.to_string()));
    };
    let (user, name) = match host_part.split_once('@') {
        Some((u, n)) => (u.to_string(), n),
        None => (String::new(), host_part),
    };
    if name == "localhost" {
        return Ok(Location::Local(path.to_string()));
    }
    let info = load(name).map_err(|e| format!("Error loading host: {e}"))?;
    Ok(Location::Remote {
        info,
        user,
        path: path.to_string(),
    })
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScpFlags {
    pub recursive: bool,
    pub delta: bool,
    pub quiet: bool,
}

/// The arguments of `scp` (or `rsync` with `delta`) for a copy from `src` to `dst`.
pub fn scp_args(
    src: &Location,
    dst: &Location,
    flags: ScpFlags,
    keys: &HostKeys,
) -> Result<Vec<String>, String> {
    let mut ssh_args = ssh_options(keys, true);
    if !flags.delta {
        ssh_args.push("-3".into());
        if flags.recursive {
            ssh_args.push("-r".into());
        }
        if flags.quiet {
            ssh_args.push("-q".into());
        }
    }
    // ssh-agent is left out unless a remote side has no key of its own.
    let misses_key = |l: &Location| l.info().is_some_and(|i| i.key_path.is_empty());
    if !misses_key(src) && !misses_key(dst) {
        ssh_args.extend(["-o".into(), "IdentitiesOnly=yes".into()]);
    }
    // Two machines, each with its own port (the qemu driver's VMs all live on 127.0.0.1):
    // one `-o Port=` would reach one machine twice, so each side names its port itself.
    let between_machines = src.info().is_some() && dst.info().is_some() && !flags.delta;
    ssh_args.extend(src.options(true, !between_machines));
    ssh_args.extend(dst.options(true, !between_machines));
    let mut args = if flags.delta {
        let mut a = Vec::new();
        if !flags.quiet {
            a.push("--progress".to_string());
        }
        a.push("-e".into());
        a.push(format!("ssh {}", ssh_args.join(" ")));
        if flags.recursive {
            a.push("-r".into());
        }
        a
    } else {
        ssh_args
    };
    if between_machines {
        args.push(src.uri_arg()?);
        args.push(dst.uri_arg()?);
    } else {
        args.push(src.arg()?);
        args.push(dst.arg()?);
    }
    Ok(args)
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    if ctx.args.len() != 2 {
        print!("{}", help::command_help(&command()));
        return Err(CmdError::new("Improper number of arguments"));
    }
    let flags = ScpFlags {
        recursive: ctx.flags.bool("recursive"),
        delta: ctx.flags.bool("delta"),
        quiet: ctx.flags.bool("quiet"),
    };
    let program = if flags.delta {
        look_path("rsync").ok_or_else(|| {
            CmdError::new(
                "You must have a copy of the rsync binary locally to use the --delta option",
            )
        })?
    } else {
        look_path("scp").ok_or_else(|| {
            CmdError::new("You must have a copy of the scp binary locally to use the scp feature")
        })?
    };
    let mut load = |name: &str| load_info(ctx, name);
    let src = parse_location(&ctx.args[0], &mut load).map_err(CmdError::new)?;
    let dst = parse_location(&ctx.args[1], &mut load).map_err(CmdError::new)?;
    let machines: Vec<&HostInfo> = [&src, &dst].iter().filter_map(|l| l.info()).collect();
    // Lives until the copy is done.
    let by_address = match machines.as_slice() {
        [a, b] if a.host_key != b.host_key => {
            Some(both_machines_pinned(a, b).map_err(CmdError::new)?)
        }
        _ => None,
    };
    let keys = match (&by_address, machines.first()) {
        (Some(file), _) => HostKeys::ByAddress(file.path().to_path_buf()),
        (None, Some(machine)) => pinned(machine),
        (None, None) => HostKeys::Unchecked,
    };
    let args = scp_args(&src, &dst, flags, &keys).map_err(CmdError::new)?;
    run_tool(&program, &args)
}

/// A temporary `known_hosts` with the pinned keys of both machines under their
/// addresses. A machine whose key was never pinned is connected to first (over SSH, as
/// `ssh` would), which pins it.
fn both_machines_pinned(a: &HostInfo, b: &HostInfo) -> Result<tempfile::NamedTempFile, String> {
    let mut text = String::new();
    for info in [a, b] {
        let Some(pin) = &info.host_key else { continue };
        let host = info.hostname.clone()?;
        let port = info.port.unwrap_or(22);
        let known = pin.known_keys().map_err(|e| format!("{e:#}"))?;
        if known.is_empty() {
            let target = SshTarget {
                host: host.clone(),
                port,
                user: info.user.clone(),
                key_path: (!info.key_path.is_empty()).then(|| PathBuf::from(&info.key_path)),
                host_key: Some(pin.clone()),
            };
            libmachine::ssh::configured_client(&target)
                .and_then(|c| c.run("exit 0"))
                .map_err(|e| libmachine::ssh::ssh_error_text(&format!("{e:#}")))?;
        }
        text.push_str(
            &pin.lines_for_address(&host, port)
                .map_err(|e| format!("{e:#}"))?,
        );
    }
    let mut file = tempfile::NamedTempFile::new().map_err(|e| e.to_string())?;
    std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| e.to_string())?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(key: &str) -> HostInfo {
        HostInfo {
            hostname: Ok("12.34.56.78".into()),
            port: Some(234),
            user: "root".into(),
            key_path: key.into(),
            host_key: None,
        }
    }

    fn loader(key: &'static str) -> impl FnMut(&str) -> Result<HostInfo, String> {
        move |name: &str| {
            if name == "missing" {
                Err(format!("Docker machine \"{name}\" does not exist."))
            } else {
                Ok(info(key))
            }
        }
    }

    fn parse(arg: &str, key: &'static str) -> Result<Location, String> {
        parse_location(arg, &mut loader(key))
    }

    #[test]
    fn locations() {
        assert_eq!(
            parse("/tmp/foo", ""),
            Ok(Location::Local("/tmp/foo".into()))
        );
        assert_eq!(
            parse("localhost:C:\\path", ""),
            Ok(Location::Local("C:\\path".into()))
        );
        assert_eq!(
            parse("bob@localhost:/x", ""),
            Ok(Location::Local("/x".into()))
        );
        let remote = parse("myuser@myfunhost:/home/docker/foo", "/k").unwrap();
        assert_eq!(remote.arg().unwrap(), "myuser@12.34.56.78:/home/docker/foo");
        let remote = parse("myfunhost:/home/docker/foo", "/k").unwrap();
        assert_eq!(remote.arg().unwrap(), "root@12.34.56.78:/home/docker/foo");
        assert_eq!(
            parse("missing:/x", "").unwrap_err(),
            "Error loading host: Docker machine \"missing\" does not exist."
        );
    }

    fn args(src: &str, dst: &str, key: &'static str, flags: ScpFlags) -> String {
        let s = parse(src, key).unwrap();
        let d = parse(dst, key).unwrap();
        scp_args(&s, &d, flags, &HostKeys::Unchecked)
            .unwrap()
            .join(" ")
    }

    #[test]
    fn scp_argv() {
        let base = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=quiet";
        let recursive = ScpFlags {
            recursive: true,
            ..Default::default()
        };
        assert_eq!(
            args("/tmp/foo", "myfunhost:/home/docker/foo", "/fake/keypath/id_rsa", recursive),
            format!("{base} -3 -r -o IdentitiesOnly=yes -o Port=234 -o IdentityFile=\"/fake/keypath/id_rsa\" /tmp/foo root@12.34.56.78:/home/docker/foo")
        );
        assert_eq!(
            args("/tmp/foo", "myfunhost:/home/docker/foo", "", recursive),
            format!("{base} -3 -r -o Port=234 /tmp/foo root@12.34.56.78:/home/docker/foo")
        );
        let quiet = ScpFlags {
            quiet: true,
            ..Default::default()
        };
        // Between two machines each side carries its own port.
        assert_eq!(
            args("a:/x", "bob@b:rel/y%", "/k", quiet),
            format!("{base} -3 -q -o IdentitiesOnly=yes -o IdentityFile=\"/k\" -o IdentityFile=\"/k\" scp://root@12.34.56.78:234//x scp://bob@12.34.56.78:234/rel/y%25")
        );
        // Both sides local: still IdentitiesOnly (no remote side lacks a key).
        assert_eq!(
            args("/a", "localhost:/b", "", ScpFlags::default()),
            format!("{base} -3 -o IdentitiesOnly=yes /a /b")
        );
    }

    #[test]
    fn rsync_argv() {
        let base = "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=quiet";
        let delta = ScpFlags {
            recursive: true,
            delta: true,
            quiet: false,
        };
        assert_eq!(
            args("/tmp/foo", "myfunhost:/home/docker/foo", "", delta),
            format!("--progress -e ssh {base} -o Port=234 -r /tmp/foo root@12.34.56.78:/home/docker/foo")
        );
        let s = parse("/tmp/foo", "/k").unwrap();
        let d = parse("m:/y", "/k").unwrap();
        let v = scp_args(
            &s,
            &d,
            ScpFlags {
                quiet: true,
                ..delta
            },
            &HostKeys::Unchecked,
        )
        .unwrap();
        assert_eq!(
            v,
            vec![
                "-e".to_string(),
                format!("ssh {base} -o IdentitiesOnly=yes -o Port=234 -o IdentityFile=\"/k\""),
                "-r".into(),
                "/tmp/foo".into(),
                "root@12.34.56.78:/y".into()
            ]
        );
    }

    #[test]
    fn hostname_error_surfaces() {
        let mut load = |_: &str| {
            Ok(HostInfo {
                hostname: Err("IP address is not set".into()),
                port: Some(22),
                user: "root".into(),
                key_path: String::new(),
                host_key: None,
            })
        };
        let d = parse_location("m:/y", &mut load).unwrap();
        let err = scp_args(
            &Location::Local("/x".into()),
            &d,
            ScpFlags::default(),
            &HostKeys::Unchecked,
        )
        .unwrap_err();
        assert_eq!(err, "IP address is not set");
    }
}
