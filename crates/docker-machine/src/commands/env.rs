//! `env`: shell code that points the docker client at a machine.
//!
//! Also home of the connection check `env`, `config` (and `create`) run first
//! ([`connection_boilerplate`]: a TLS handshake with the machine's CA), and of the rule
//! saying where a machine's client certificates are ([`client_tls_files`]).
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
use libmachine::options::AuthOptions;
use libmachine::shell::{self, Syntax};
use libmachine::{dockerclient, tlsconfig, Host};
use std::path::{Path, PathBuf};

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

/// Printed after `Error checking TLS connection: ` when only the swarm port fails.
pub const SWARM_NOT_STARTED: &str =
    "Connection to Swarm cannot be checked but the certs are valid. Maybe swarm is not started";

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
    let docker_host = connection_boilerplate(&host, swarm)
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

/// Go's `url.URL.Host` of a Docker URL (empty when it does not parse, as the original's
/// ignored error left it).
fn url_host(url: &str) -> String {
    libmachine::gourl::parse(url)
        .map(|u| u.host)
        .unwrap_or_default()
}

/// The original's connection check (`check.DefaultConnChecker.Check`): the machine's
/// Docker URL (or, with `swarm`, its swarm master URL), verified by a TLS handshake with
/// the machine's CA and client certificate. Returns the URL; the error text is what
/// follows the caller's prefix (`Error checking TLS connection: ` for `env`,
/// `Error running connection boilerplate: ` for `config`), ending in a newline when the
/// certificates could not be validated.
pub fn connection_boilerplate(host: &Host, swarm: bool) -> Result<String, String> {
    let url = host.driver.url().map_err(|e| format!("{e:#}"))?;
    let target = if swarm { swarm_url(&url, host)? } else { url };
    if let Err(reason) =
        tlsconfig::check_connection_auth(&target, &host.options.auth, tlsconfig::CONNECTION_TIMEOUT)
    {
        if swarm && connection_boilerplate(host, false).is_ok() {
            return Err(SWARM_NOT_STARTED.to_string());
        }
        return Err(tlsconfig::cert_check_failure(&target, &reason));
    }
    Ok(target)
}

/// `tcp://<machine IP>:<port of SwarmOptions.Host>`, for swarm masters only.
fn swarm_url(url: &str, host: &Host) -> Result<String, String> {
    let swarm = &host.options.swarm;
    if !swarm.master {
        return Err(format!(
            "{} is not a swarm master. The --swarm flag is intended for use with swarm masters",
            shell::go_quote(&host.name)
        ));
    }
    // The original split on `:` and took the second part (and panicked without one).
    let port = url_host(&swarm.host)
        .split(':')
        .nth(1)
        .ok_or_else(|| {
            format!(
                "There was an error parsing the url: no port in the swarm host {:?}",
                swarm.host
            )
        })?
        .to_string();
    let machine_host = url_host(url);
    let machine_ip = machine_host.split(':').next().unwrap_or_default();
    Ok(format!("tcp://{machine_ip}:{port}"))
}

/// The CA, client certificate and client key a docker client should use for a machine.
///
/// Provisioning copies them into the machine directory, which is where the original
/// always pointed (`DOCKER_CERT_PATH`, `config`'s flags). A machine that was never
/// provisioned (`none` driver) has no copies there (bug 19): its certificates are those
/// its `AuthOptions` name, the very files the connection check just used.
pub fn client_tls_files(ctx: &Context, host: &Host) -> (PathBuf, PathBuf, PathBuf) {
    let dir = ctx.store.machine_dir(&host.name);
    let auth: &AuthOptions = &host.options.auth;
    if dir.join("ca.pem").exists() || auth.ca_cert_path.is_empty() {
        return (
            dir.join("ca.pem"),
            dir.join("cert.pem"),
            dir.join("key.pem"),
        );
    }
    (
        PathBuf::from(&auth.ca_cert_path),
        PathBuf::from(&auth.client_cert_path),
        PathBuf::from(&auth.client_key_path),
    )
}

/// `DOCKER_CERT_PATH`: the machine directory when it holds the copies; otherwise the one
/// directory holding the `AuthOptions` files, when they are named as the docker client
/// expects (`ca.pem`, `cert.pem`, `key.pem`: the store's `certs/` by default). Files with
/// other names or in different directories cannot be named by one variable: the machine
/// directory is printed then, as the original did, with a warning on stderr.
fn cert_path(ctx: &Context, host: &Host) -> PathBuf {
    let dir = ctx.store.machine_dir(&host.name);
    let (ca, cert, key) = client_tls_files(ctx, host);
    if ca.starts_with(&dir) {
        return dir;
    }
    match common_dir(&ca, &cert, &key) {
        Some(shared) => shared,
        None => {
            libmachine::warn!(
                "Warning: the TLS files of \"{}\" are not ca.pem, cert.pem and key.pem in one directory, so DOCKER_CERT_PATH cannot point at them; run \"{} config {}\" for flags naming them.",
                host.name,
                ctx.app_name,
                host.name
            );
            dir
        }
    }
}

fn common_dir(ca: &Path, cert: &Path, key: &Path) -> Option<PathBuf> {
    let dir = ca.parent()?;
    let named =
        |p: &Path, name: &str| p.parent() == Some(dir) && p.file_name() == Some(name.as_ref());
    (named(ca, "ca.pem") && named(cert, "cert.pem") && named(key, "key.pem"))
        .then(|| dir.to_path_buf())
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

    #[test]
    fn url_hosts() {
        assert_eq!(url_host("tcp://1.2.3.4:2376"), "1.2.3.4:2376");
        assert_eq!(url_host("tcp://u@1.2.3.4:2376/x"), "1.2.3.4:2376");
        assert_eq!(url_host("tcp://0.0.0.0:3376"), "0.0.0.0:3376");
    }

    #[test]
    fn common_dirs() {
        let p = Path::new;
        assert_eq!(
            common_dir(
                p("/s/certs/ca.pem"),
                p("/s/certs/cert.pem"),
                p("/s/certs/key.pem")
            ),
            Some(PathBuf::from("/s/certs"))
        );
        assert_eq!(
            common_dir(
                p("/s/certs/ca.pem"),
                p("/x/cert.pem"),
                p("/s/certs/key.pem")
            ),
            None
        );
        assert_eq!(
            common_dir(p("/s/myca.pem"), p("/s/cert.pem"), p("/s/key.pem")),
            None
        );
    }
}
