//! What `scp` and `mount` share to run the system's ssh tools (scp, rsync, sshfs) on
//! machines: a machine's SSH details, the two sides of a copy, the host-key options,
//! and running the tool with its exit status passed through.

use crate::cli::{CmdError, Context};
use libmachine::ssh::external::{
    exit_code, host_key_options, known_hosts_option, log_level_option,
};
use libmachine::ssh::HostKeyPin;
use libmachine::Host;
use std::path::PathBuf;

/// How scp, rsync's ssh and sshfs check the machines' host keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeys {
    /// The original's options: any key, nothing recorded.
    Unchecked,
    /// One machine: its pin, as `ssh` uses it.
    Pinned(HostKeyPin),
    /// A copy between two machines: one scp command takes one `HostKeyAlias`, so this
    /// file names both machines' pinned keys by address (`scp` writes it).
    ByAddress(PathBuf),
}

/// The host key and log options: the pinned key(s) with errors shown, or the original's
/// `-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=quiet`.
pub fn ssh_options(keys: &HostKeys, quote_path: bool) -> Vec<String> {
    let opts = match keys {
        HostKeys::Unchecked => host_key_options(None, quote_path),
        HostKeys::Pinned(pin) => host_key_options(Some(pin), quote_path),
        HostKeys::ByAddress(file) => vec![
            "StrictHostKeyChecking=yes".to_string(),
            known_hosts_option(file, quote_path),
        ],
    };
    let mut args = Vec::new();
    for opt in opts {
        args.extend(["-o".to_string(), opt]);
    }
    let checked = *keys != HostKeys::Unchecked;
    args.extend(["-o".to_string(), log_level_option(checked).to_string()]);
    args
}

/// What scp and mount need to know about a machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostInfo {
    /// `Err`: the driver's error, reported only when the location is built.
    pub hostname: Result<String, String>,
    /// `None` when the driver cannot say (no `Port=` option then).
    pub port: Option<u16>,
    pub user: String,
    /// Empty: no explicit key (ssh-agent or the default keys).
    pub key_path: String,
    /// The machine's pinned host key.
    pub host_key: Option<HostKeyPin>,
}

impl HostInfo {
    pub fn from_host(host: &Host) -> HostInfo {
        let d = host.driver.as_ref();
        HostInfo {
            hostname: d.ssh_hostname().map_err(|e| format!("{e:#}")),
            port: d.ssh_port().ok(),
            user: d.ssh_username(),
            key_path: d.ssh_key_path(),
            host_key: Some(d.base().host_key_pin()),
        }
    }
}

/// One side of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    Local(String),
    Remote {
        info: HostInfo,
        /// The user given as `USER@NAME:`, else empty (the machine's user).
        user: String,
        path: String,
    },
}

impl Location {
    pub fn info(&self) -> Option<&HostInfo> {
        match self {
            Location::Local(_) => None,
            Location::Remote { info, .. } => Some(info),
        }
    }

    /// `-o Port=P -o IdentityFile="KEY"` for scp (`quote_key`) or without quotes (sshfs);
    /// no `Port=` when the port is in the location itself (`with_port`: an `scp://` URI).
    pub fn options(&self, quote_key: bool, with_port: bool) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(info) = self.info() {
            if let Some(port) = info.port.filter(|p| *p > 0 && with_port) {
                args.extend(["-o".to_string(), format!("Port={port}")]);
            }
            if !info.key_path.is_empty() {
                let key = if quote_key {
                    libmachine::shell::go_quote(&info.key_path)
                } else {
                    info.key_path.clone()
                };
                args.extend(["-o".to_string(), format!("IdentityFile={key}")]);
            }
        }
        args
    }

    /// `PATH`, or `USER@HOST:PATH`.
    pub fn arg(&self) -> Result<String, String> {
        match self {
            Location::Local(path) => Ok(path.clone()),
            Location::Remote { info, user, path } => {
                let host = info.hostname.clone()?;
                let user = if user.is_empty() { &info.user } else { user };
                Ok(format!("{user}@{host}:{path}"))
            }
        }
    }

    /// `scp://USER@HOST:PORT/PATH`: a remote side that carries its own port, for copies
    /// between two machines, where one `-o Port=` would send both sides to one port.
    /// scp takes the path after the first `/` (`//tmp/f` is `/tmp/f`).
    pub fn uri_arg(&self) -> Result<String, String> {
        let Location::Remote { info, user, path } = self else {
            return self.arg();
        };
        let host = info.hostname.clone()?;
        let host = if host.contains(':') {
            format!("[{host}]")
        } else {
            host
        };
        let user = if user.is_empty() { &info.user } else { user };
        let port = info
            .port
            .filter(|p| *p > 0)
            .map(|p| format!(":{p}"))
            .unwrap_or_default();
        // scp decodes %XX in a URI's path.
        Ok(format!(
            "scp://{user}@{host}{port}/{}",
            path.replace('%', "%25")
        ))
    }
}

/// The machine's pin, as `ssh` uses it.
pub fn pinned(info: &HostInfo) -> HostKeys {
    info.host_key
        .clone()
        .map_or(HostKeys::Unchecked, HostKeys::Pinned)
}

/// Load a machine for scp/mount; the store's error already names the machine.
pub fn load_info(ctx: &Context, name: &str) -> Result<HostInfo, String> {
    ctx.store
        .load(name)
        .map(|h| HostInfo::from_host(&h))
        .map_err(|e| e.to_string())
}

/// Run a tool with the terminal's stdio; its non-zero status becomes ours.
pub fn run_tool(program: &std::path::Path, args: &[String]) -> Result<(), CmdError> {
    libmachine::log::debug(&format!("{} {}", program.display(), args.join(" ")));
    let status = std::process::Command::new(program)
        .args(args)
        .status()
        .map_err(|e| CmdError::new(format!("exec: {:?}: {e}", program.display().to_string())))?;
    match exit_code(status) {
        0 => Ok(()),
        code => Err(CmdError::silent(code)),
    }
}
