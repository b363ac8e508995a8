//! `env`: shell code that points the docker client at a machine, once the connection
//! check passed ([`Host::checked_docker_url`]).
//!
//! Fixed bugs of 0.16.2 (numbered as in docs/original-bugs.md):
//! * 3: values are quoted for the target shell; `-u --no-proxy` prints `unset NO_PROXY`
//!   (not the name glued to the value); `--no-proxy` compares whole comma-separated
//!   entries instead of testing for a substring, and adds the IP without its port;
//! * 4: an empty `$SHELL` gives sh syntax instead of failing, with the notice on stderr so
//!   that `eval "$(docker-machine env NAME)"` still works (its apostrophe broke eval);
//! * 19: a machine without certificate copies in its directory (`none` driver) gets a
//!   `DOCKER_CERT_PATH` where its certificates really are.

use crate::cli::{CmdError, Command, Context};
use libmachine::mcnflag::Flag;
use libmachine::shell::{self, Syntax};
use libmachine::{dockerclient, tlsconfig, Host};
use std::path::PathBuf;

pub fn command() -> Command {
    Command {
        name: "env",
        usage: "Display the commands to set up the environment for the Docker client",
        description: super::DESC_ONE.into(),
        flags: vec![
            Flag::bool("swarm", "", "Display the Swarm config instead of the Docker daemon"),
            Flag::string(
                "shell",
                "",
                "Force environment to be configured for a specified shell: [fish, cmd, powershell, tcsh, emacs], default is auto-detect",
                "",
            ),
            Flag::bool("unset, u", "", "Unset variables instead of setting them"),
            Flag::bool("no-proxy", "", "Add machine IP to NO_PROXY environment variable"),
            Flag::bool(
                "docker-api-version",
                "",
                "Also set DOCKER_API_VERSION to the machine daemon's API version (older releases did; 0.16.2 does not)",
            ),
        ],
        skip_flag_parsing: false,
        action,
    }
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    // The output is meant for `eval`: log lines must not reach stdout.
    libmachine::log::set_info_to_stderr(true);
    if ctx.flags.bool("unset") {
        unset(ctx)
    } else {
        set(ctx)
    }
}

fn set(ctx: &Context) -> Result<(), CmdError> {
    if ctx.args.len() > 1 {
        return Err(CmdError::new(
            "Error: Expected one machine name as an argument",
        ));
    }
    let host = super::load_target(ctx)?;
    let swarm = ctx.flags.bool("swarm");
    let docker_host = host
        .checked_docker_url(swarm)
        .map_err(|e| CmdError::new(format!("Error checking TLS connection: {e}")))?;
    let syntax = user_shell(ctx);

    let mut vars: Vec<(String, String)> = vec![
        ("DOCKER_TLS_VERIFY".into(), "1".into()),
        ("DOCKER_HOST".into(), docker_host.clone()),
        (
            "DOCKER_CERT_PATH".into(),
            cert_path(ctx, &host).to_string_lossy().into_owned(),
        ),
        ("DOCKER_MACHINE_NAME".into(), host.name.clone()),
    ];
    if ctx.flags.bool("docker-api-version") {
        let version = dockerclient::version(
            &docker_host,
            &host.options.auth,
            tlsconfig::CONNECTION_TIMEOUT,
        )
        .map_err(|e| CmdError::new(format!("Error getting the Docker API version: {e}")))?;
        vars.push(("DOCKER_API_VERSION".into(), version.api_version));
    }
    if cfg!(windows) {
        vars.push(("COMPOSE_CONVERT_WINDOWS_PATHS".into(), "true".into()));
    }
    if ctx.flags.bool("no-proxy") {
        let ip = host
            .driver
            .ip()
            .map_err(|e| CmdError::new(format!("Error getting host IP: {e:#}")))?;
        let (name, current) = no_proxy_from_env();
        vars.push((name.into(), add_no_proxy(&current, host_part(&ip))));
    }

    let mut out = String::new();
    for (name, value) in &vars {
        out.push_str(&shell::set_line(syntax, name, value).map_err(CmdError::new)?);
    }
    out.push_str(&shell::usage_hint(syntax, &command_line(ctx)));
    print!("{out}");
    Ok(())
}

fn unset(ctx: &Context) -> Result<(), CmdError> {
    if !ctx.args.is_empty() {
        return Err(CmdError::new(
            "Error: Expected no machine name when the -u flag is present",
        ));
    }
    let syntax = user_shell(ctx);
    let mut names = vec![
        "DOCKER_TLS_VERIFY",
        "DOCKER_HOST",
        "DOCKER_CERT_PATH",
        "DOCKER_MACHINE_NAME",
    ];
    if ctx.flags.bool("docker-api-version") {
        names.push("DOCKER_API_VERSION");
    }
    if ctx.flags.bool("no-proxy") {
        names.push(no_proxy_from_env().0);
    }
    let mut out = String::new();
    for name in names {
        out.push_str(&shell::unset_line(syntax, name));
    }
    out.push_str(&shell::usage_hint(syntax, &command_line(ctx)));
    print!("{out}");
    Ok(())
}

/// `--shell` as given (unvalidated), else the detected shell. Detection's notice goes to
/// stdout before the variables on Windows, as in the original; on Unix the original
/// failed after it, and now that sh syntax follows, the notice goes to stderr: on stdout
/// its `you're` would break `eval "$(docker-machine env NAME)"`.
fn user_shell(ctx: &Context) -> Syntax {
    let given = ctx.flags.string("shell");
    if !given.is_empty() {
        return Syntax::from_name(&given);
    }
    let detected = shell::detect();
    if let Some(notice) = detected.notice {
        if cfg!(windows) {
            print!("{notice}");
        } else {
            eprint!("{notice}");
        }
    }
    Syntax::from_name(&detected.name)
}

/// The command line for the hint: argv[0] as typed, then the arguments.
fn command_line(ctx: &Context) -> Vec<String> {
    std::iter::once(ctx.argv0.clone())
        .chain(
            std::env::args_os()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned()),
        )
        .collect()
}

/// `no_proxy` when it is set and non-empty, else `NO_PROXY`; with its current value.
fn no_proxy_from_env() -> (&'static str, String) {
    match std::env::var("no_proxy") {
        Ok(v) if !v.is_empty() => ("no_proxy", v),
        _ => ("NO_PROXY", std::env::var("NO_PROXY").unwrap_or_default()),
    }
}

/// `current` with `ip` appended, unless one of its comma-separated entries already is `ip`.
fn add_no_proxy(current: &str, ip: &str) -> String {
    if current.is_empty() {
        ip.to_string()
    } else if current.split(',').any(|entry| entry.trim() == ip) {
        current.to_string()
    } else {
        format!("{current},{ip}")
    }
}

/// The host of a driver IP that may carry a port (`none` stores `HOST:PORT`).
fn host_part(ip: &str) -> &str {
    if let Some(rest) = ip.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(h, _)| h);
    }
    match ip.rsplit_once(':') {
        // A bare IPv6 address has several colons and no port.
        Some((h, port)) if !h.contains(':') && port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => ip,
    }
}

/// `DOCKER_CERT_PATH`: where the machine's client certificates are. When no one
/// directory holds them under the names the docker client expects, the machine
/// directory is printed, as the original did, with a warning on stderr.
fn cert_path(ctx: &Context, host: &Host) -> PathBuf {
    let dir = ctx.store.machine_dir(&host.name);
    host.client_tls_files(&dir)
        .cert_dir(&dir)
        .unwrap_or_else(|| {
            libmachine::warn!(
                "Warning: the TLS files of \"{}\" are not ca.pem, cert.pem and key.pem in one directory, so DOCKER_CERT_PATH cannot point at them; run \"{} config {}\" for flags naming them.",
                host.name,
                ctx.app_name,
                host.name
            );
            dir
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_entries_not_substrings() {
        assert_eq!(add_no_proxy("", "1.2.3.4"), "1.2.3.4");
        assert_eq!(add_no_proxy("localhost", "1.2.3.4"), "localhost,1.2.3.4");
        assert_eq!(
            add_no_proxy("localhost, 1.2.3.4", "1.2.3.4"),
            "localhost, 1.2.3.4"
        );
        // The original's substring test saw 1.2.3.4 in 11.2.3.45 and added nothing.
        assert_eq!(add_no_proxy("11.2.3.45", "1.2.3.4"), "11.2.3.45,1.2.3.4");
    }

    #[test]
    fn host_parts() {
        assert_eq!(host_part("10.0.0.5:2376"), "10.0.0.5");
        assert_eq!(host_part("10.0.0.5"), "10.0.0.5");
        assert_eq!(host_part("fe80::1"), "fe80::1");
        assert_eq!(host_part("[fe80::1]:2376"), "fe80::1");
        assert_eq!(host_part("dev.local:2376"), "dev.local");
    }
}
