//! The external client: the system's `ssh` run with the original's options.

use super::{HostKeyPin, Output, SshClient, SshTarget};
use anyhow::{anyhow, bail, Result};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The `-o` options the original always passed before its log level, in its order.
const CONNECTION_OPTIONS: &[&str] = &[
    "ConnectionAttempts=3",
    "ConnectTimeout=10",
    "ControlMaster=no",
    "ControlPath=none",
];

/// The `-o` options the original passed after its log level, before the host key ones.
const SESSION_OPTIONS: &[&str] = &["PasswordAuthentication=no", "ServerAliveInterval=60"];

/// The original's `LogLevel=quiet`, unless a host key is checked: then errors are shown,
/// or a refused key would fail silently.
pub fn log_level_option(host_key_checked: bool) -> &'static str {
    if host_key_checked {
        "LogLevel=error"
    } else {
        "LogLevel=quiet"
    }
}

/// The host key options: the original's (any key, nothing recorded) without a pin;
/// with one, the machine's `known_hosts` under its alias, new keys recorded only while
/// none is pinned.
/// `quote_path` Go-quotes the file (for scp and rsync, as the original quoted keys).
pub fn host_key_options(pin: Option<&HostKeyPin>, quote_path: bool) -> Vec<String> {
    match pin {
        None => [
            "StrictHostKeyChecking=no".to_string(),
            "UserKnownHostsFile=/dev/null".to_string(),
        ]
        .to_vec(),
        Some(pin) => vec![
            "StrictHostKeyChecking=accept-new".to_string(),
            known_hosts_option(&pin.file, quote_path),
            format!("HostKeyAlias={}", pin.alias),
        ],
    }
}

/// `UserKnownHostsFile=FILE`, the file Go-quoted with `quote_path`.
pub fn known_hosts_option(file: &Path, quote_path: bool) -> String {
    let file = file.to_string_lossy();
    if quote_path {
        format!("UserKnownHostsFile={}", crate::shell::go_quote(&file))
    } else {
        format!("UserKnownHostsFile={file}")
    }
}

/// `ssh`'s argv before any command: `-F /dev/null`, the `-o` options
/// (with [`log_level_option`] and [`host_key_options`] for the target's pin), then
/// `USER@HOST [-o IdentitiesOnly=yes -i KEY] -p PORT`.
pub fn base_args(target: &SshTarget) -> Vec<String> {
    let pin = target.host_key.as_ref();
    let log_level = log_level_option(pin.is_some());
    let options = CONNECTION_OPTIONS
        .iter()
        .chain([&log_level])
        .chain(SESSION_OPTIONS)
        .map(|o| o.to_string())
        .chain(host_key_options(pin, false));
    let mut args = vec!["-F".to_string(), "/dev/null".to_string()];
    for opt in options {
        args.extend(["-o".to_string(), opt]);
    }
    args.push(format!("{}@{}", target.user, target.host));
    if let Some(key) = &target.key_path {
        args.extend(["-o".into(), "IdentitiesOnly=yes".into(), "-i".into()]);
        args.push(key.to_string_lossy().into_owned());
    }
    args.push("-p".into());
    args.push(target.port.to_string());
    args
}

/// The argv for a non-interactive command: [`base_args`], `-o BatchMode=yes` (never a
/// prompt), then the command as one argument.
pub fn command_args(target: &SshTarget, command: &str) -> Vec<String> {
    let mut args = base_args(target);
    args.extend(["-o".into(), "BatchMode=yes".into(), command.to_string()]);
    args
}

/// The argv for `docker-machine ssh NAME ARGS...`: the user's arguments appended unchanged.
pub fn interactive_args(target: &SshTarget, user_args: &[String]) -> Vec<String> {
    let mut args = base_args(target);
    args.extend(user_args.iter().cloned());
    args
}

/// The original's key checks: the key must exist, be owner-readable and (not on
/// Windows) have no group or other permission bits.
pub fn check_key_permissions(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path)
        .map_err(|e| anyhow!(crate::fsutil::go_io_error("stat", path, &e)))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let perm = meta.permissions().mode() & 0o777;
        if perm & 0o400 == 0 {
            bail!("'{}' is not readable", path.display());
        }
        if perm & 0o077 != 0 {
            bail!(
                "permissions 0{perm:o} for '{}' are too open",
                path.display()
            );
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

/// Where `name` is on PATH, as Go's `exec.LookPath`.
pub fn look_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    for dir in std::env::split_paths(&path) {
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        for candidate in exe_candidates(&dir, name) {
            if is_executable(&candidate) {
                return Some(candidate);
            }
        }
    }
    None
}

fn exe_candidates(dir: &Path, name: &str) -> Vec<PathBuf> {
    if cfg!(windows) {
        vec![dir.join(format!("{name}.exe")), dir.join(name)]
    } else {
        vec![dir.join(name)]
    }
}

fn is_executable(path: &Path) -> bool {
    match std::fs::metadata(path) {
        #[cfg(unix)]
        Ok(m) => {
            use std::os::unix::fs::PermissionsExt;
            m.is_file() && m.permissions().mode() & 0o111 != 0
        }
        #[cfg(not(unix))]
        Ok(m) => m.is_file(),
        Err(_) => false,
    }
}

/// The system `ssh` with the original's options.
#[derive(Debug, Clone)]
pub struct ExternalClient {
    pub binary: PathBuf,
    pub target: SshTarget,
}

impl ExternalClient {
    /// Find `ssh` on PATH and check the key as the original did.
    pub fn new(target: &SshTarget) -> Result<ExternalClient> {
        let binary = look_path("ssh").ok_or_else(|| anyhow!("ssh binary not found in PATH"))?;
        ExternalClient::with_binary(binary, target)
    }

    pub fn with_binary(binary: PathBuf, target: &SshTarget) -> Result<ExternalClient> {
        if let Some(key) = &target.key_path {
            check_key_permissions(key)?;
        }
        Ok(ExternalClient {
            binary,
            target: target.clone(),
        })
    }
}

impl SshClient for ExternalClient {
    fn output(&self, command: &str) -> Result<Output> {
        let args = command_args(&self.target, command);
        crate::log::debug(&format!("About to run SSH command:\n{command}"));
        let out = Command::new(&self.binary)
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| anyhow!("exec: {:?}: {e}", self.binary.display().to_string()))?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        match out.status.code() {
            // A refused host key: OpenSSH's multi-line warning becomes the one line the
            // native client gives too.
            Some(255) if stderr.contains("Host key verification failed") => {
                match &self.target.host_key {
                    Some(pin) => Err(pin.mismatch().into()),
                    None => Err(anyhow!("{}", stderr.trim())),
                }
            }
            // ssh's own failure (connection refused, authentication, timeout).
            Some(255) => bail!(
                "ssh command error:\ncommand : {command}\nerr     : exit status 255\noutput  : {stdout}{stderr}"
            ),
            Some(status) => Ok(Output {
                stdout,
                stderr,
                status,
            }),
            None => bail!(
                "ssh command error:\ncommand : {command}\nerr     : {}\noutput  : {stdout}{stderr}",
                out.status
            ),
        }
    }

    fn interactive(&self, args: &[String]) -> Result<i32> {
        let argv = interactive_args(&self.target, args);
        crate::log::debug(&format!("{} {}", self.binary.display(), argv.join(" ")));
        let status = Command::new(&self.binary)
            .args(&argv)
            .status()
            .map_err(|e| anyhow!("exec: {:?}: {e}", self.binary.display().to_string()))?;
        Ok(exit_code(status))
    }
}

/// A child's exit code; a child killed by a signal gives 128 + the signal, as shells do.
pub fn exit_code(status: std::process::ExitStatus) -> i32 {
    if let Some(code) = status.code() {
        return code;
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return 128 + sig;
        }
    }
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(key: Option<&str>) -> SshTarget {
        SshTarget {
            host: "192.0.2.7".into(),
            port: 2222,
            user: "docker".into(),
            key_path: key.map(PathBuf::from),
            host_key: None,
        }
    }

    #[test]
    fn argv_matches_the_original() {
        let expected = "-F /dev/null -o ConnectionAttempts=3 -o ConnectTimeout=10 -o ControlMaster=no -o ControlPath=none -o LogLevel=quiet -o PasswordAuthentication=no -o ServerAliveInterval=60 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null docker@192.0.2.7 -o IdentitiesOnly=yes -i /k/id_rsa -p 2222";
        assert_eq!(base_args(&target(Some("/k/id_rsa"))).join(" "), expected);
        let no_key = base_args(&target(None)).join(" ");
        assert!(no_key.ends_with("UserKnownHostsFile=/dev/null docker@192.0.2.7 -p 2222"));
        let user: Vec<String> = ["--", "ls", "-l"].iter().map(|s| s.to_string()).collect();
        let argv = interactive_args(&target(None), &user);
        assert_eq!(&argv[argv.len() - 3..], &user[..]);

        let mut pinned = target(None);
        pinned.host_key = Some(HostKeyPin::for_machine(Path::new("/s/machines/m1"), "m1"));
        assert_eq!(
            base_args(&pinned).join(" "),
            "-F /dev/null -o ConnectionAttempts=3 -o ConnectTimeout=10 -o ControlMaster=no -o ControlPath=none -o LogLevel=error -o PasswordAuthentication=no -o ServerAliveInterval=60 -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/s/machines/m1/known_hosts -o HostKeyAlias=m1 docker@192.0.2.7 -p 2222"
        );
    }

    #[cfg(unix)]
    #[test]
    fn key_permission_checks() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("id_rsa");
        std::fs::write(&key, "x").unwrap();
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(
            check_key_permissions(&key).unwrap_err().to_string(),
            format!("permissions 0644 for '{}' are too open", key.display())
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o200)).unwrap();
        assert_eq!(
            check_key_permissions(&key).unwrap_err().to_string(),
            format!("'{}' is not readable", key.display())
        );
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
        check_key_permissions(&key).unwrap();
    }
}
