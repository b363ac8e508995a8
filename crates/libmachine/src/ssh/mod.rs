//! SSH to machines: the external `ssh` binary used the way the original used it (the
//! default when `ssh` is on PATH) and a built-in client (`--native-ssh`, or no `ssh`).
//! Provisioning and the `ssh`/`scp`/`mount` commands go through [`SshClient`].

use anyhow::Result;
use base64::Engine;
use std::path::PathBuf;

pub mod external;
pub mod keys;
pub mod known_hosts;
pub mod native;
mod wait;

pub use external::ExternalClient;
pub use known_hosts::HostKeyPin;
pub use native::NativeClient;
pub use wait::{
    probe_ssh_banner, probe_ssh_banner_within, ssh_error_text, wait_for_ssh, wait_for_ssh_while,
    BannerError, WaitError, DEFAULT_SSH_WAIT,
};

/// Where and as whom to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    /// The private key; `None` means the user's default keys or agent.
    pub key_path: Option<PathBuf>,
    /// Where the server's host key is pinned; `None` trusts any key (the original's
    /// behaviour, kept for targets that are not machines).
    pub host_key: Option<HostKeyPin>,
}

/// What a remote command produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    /// The remote exit status.
    pub status: i32,
}

/// Which client to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientKind {
    External,
    Native,
}

/// A connection to one machine. Each call is independent (the original opened a
/// session per command too), so a client may be shared between threads.
pub trait SshClient: Send + Sync {
    /// Run `command` through the remote user's shell; a non-zero exit is not an error.
    fn output(&self, command: &str) -> Result<Output>;

    /// Run `command`; a non-zero exit is an error worded as the original's
    /// (`ssh command error:` / `command : ...` / `err     : ...` / `output  : ...`).
    fn run(&self, command: &str) -> Result<String> {
        let out = self.output(command)?;
        if out.status != 0 {
            anyhow::bail!(
                "ssh command error:\ncommand : {command}\nerr     : exit status {}\noutput  : {}{}",
                out.status,
                out.stdout,
                out.stderr
            );
        }
        Ok(out.stdout)
    }

    /// Attach the user's terminal (or run `args` as a command) and return the remote
    /// exit status, which `docker-machine ssh` passes through.
    fn interactive(&self, args: &[String]) -> Result<i32>;
}

/// The client kind the original chose: external when `ssh` is on PATH, unless
/// `--native-ssh` (or `MACHINE_NATIVE_SSH`) asks for the built-in one.
pub fn default_kind(native_flag: bool) -> ClientKind {
    if !native_flag && external::look_path("ssh").is_some() {
        ClientKind::External
    } else {
        ClientKind::Native
    }
}

/// A client of `kind` for `target`. The external client checks the key's permissions
/// here, as the original did when creating it; the native one loads the key.
pub fn client(target: &SshTarget, kind: ClientKind) -> Result<Box<dyn SshClient>> {
    Ok(match kind {
        ClientKind::External => Box::new(ExternalClient::new(target)?),
        ClientKind::Native => Box::new(NativeClient::new(target)?),
    })
}

static NATIVE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Make `--native-ssh` the process-wide choice (set once, from the global flag).
pub fn use_native(on: bool) {
    NATIVE.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// A client of the kind the process is configured for: external `ssh` when it is on
/// PATH, unless `--native-ssh`.
pub fn configured_client(target: &SshTarget) -> Result<Box<dyn SshClient>> {
    client(
        target,
        default_kind(NATIVE.load(std::sync::atomic::Ordering::Relaxed)),
    )
}

/// Quote `s` for a POSIX shell (single quotes).
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Largest base64 text sent in one command: one `sh -c` argument must stay below
/// Linux's 128 KiB limit on a single argument.
const UPLOAD_CHUNK: usize = 96 * 1024;

/// Write `data` to `remote_path` with `mode` (octal, e.g. `0o644`) through the client's
/// shell: base64 text decoded remotely (works with both clients, needs no scp or
/// sftp). With `sudo`, the file is written and chmod-ed through `sudo`. The file is
/// created under umask 077, so a secret is never readable by others, then chmod-ed.
pub fn upload(
    client: &dyn SshClient,
    data: &[u8],
    remote_path: &str,
    mode: u32,
    sudo: bool,
) -> Result<()> {
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let sudo = if sudo { "sudo " } else { "" };
    let path = shell_quote(remote_path);
    let finish = format!("{sudo}tee {path} >/dev/null && {sudo}chmod {mode:o} {path}");
    if encoded.len() <= UPLOAD_CHUNK {
        client.run(&format!(
            "(umask 077; printf '%s' '{encoded}' | base64 -d | {finish})"
        ))?;
        return Ok(());
    }
    let tmp = format!("/tmp/.docker-machine-upload.{:016x}", rand::random::<u64>());
    let mut first = true;
    for chunk in encoded.as_bytes().chunks(UPLOAD_CHUNK) {
        let chunk = std::str::from_utf8(chunk).expect("base64 is ASCII");
        let redirect = if first { ">" } else { ">>" };
        first = false;
        if let Err(e) = client.run(&format!(
            "(umask 077; printf '%s' '{chunk}' {redirect} {tmp})"
        )) {
            let _ = client.run(&format!("rm -f {tmp}"));
            return Err(e);
        }
    }
    client.run(&format!(
        "(umask 077; base64 -d < {tmp} | {finish}); rc=$?; rm -f {tmp}; exit $rc"
    ))?;
    Ok(())
}
