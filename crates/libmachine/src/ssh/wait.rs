//! Waiting for a machine's SSH: ready means a command ran (`exit 0` succeeded), never
//! that the port accepted TCP (a hypervisor's port forward accepts before sshd runs).

use super::{SshClient, SshTarget};
use anyhow::{bail, Result};
use std::io::Read;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// The default bound on waiting for SSH (the original: 60 attempts 3 s apart, plus each
/// attempt's own connect timeout).
pub const DEFAULT_SSH_WAIT: Duration = Duration::from_secs(300);

/// After the SSH server has answered but commands kept failing (refused
/// authentication: wrong user or key) for this long, the wait stops early.
const AUTH_FAILURE_GRACE: Duration = Duration::from_secs(60);

/// Pause between attempts.
const RETRY_INTERVAL: Duration = Duration::from_secs(3);

/// Wait until `exit 0` runs over SSH, for at most `max_wait` (plus one attempt's own
/// timeout). Connection failures are retried every 3 s (the original's interval). When the SSH server answers
/// (its `SSH-` banner arrives) but commands keep failing for a minute, the user or key
/// is refused: the wait stops early. The error is one line and says what was seen.
pub fn wait_for_ssh(client: &dyn SshClient, target: &SshTarget, max_wait: Duration) -> Result<()> {
    let start = Instant::now();
    let mut answering_since: Option<Instant> = None;
    loop {
        let err = match client.output("exit 0") {
            Ok(out) if out.status == 0 => return Ok(()),
            Ok(out) => format!("exit status {}", out.status),
            // Waiting does not make a wrong host key right.
            Err(e)
                if e.downcast_ref::<super::known_hosts::HostKeyMismatch>()
                    .is_some() =>
            {
                return Err(e)
            }
            Err(e) => ssh_error_text(&format!("{e:#}")),
        };
        let probe = probe_ssh_banner(&target.host, target.port, Duration::from_secs(5));
        let detail = match &probe {
            Ok(banner) => {
                answering_since.get_or_insert_with(Instant::now);
                format!(
                    "the SSH server at {} answers ({banner}) but `exit 0` failed ({err}): is user {:?} allowed in with {}?",
                    crate::gourl::join_host_port(&target.host, target.port),
                    target.user,
                    match &target.key_path {
                        Some(k) => format!("the key {}", k.display()),
                        None => "the default SSH keys".to_string(),
                    }
                )
            }
            Err(why) => {
                answering_since = None;
                format!(
                    "{} via {}: {why} ({err})",
                    target.user,
                    crate::gourl::join_host_port(&target.host, target.port)
                )
            }
        };
        crate::debug!("Error getting ssh command 'exit 0' : {detail}");
        let refused_long = answering_since.is_some_and(|t| t.elapsed() >= AUTH_FAILURE_GRACE);
        let elapsed = start.elapsed();
        if elapsed >= max_wait || refused_long {
            bail!("Too many retries waiting for SSH to be available.  Last error: {detail}");
        }
        std::thread::sleep(RETRY_INTERVAL.min(max_wait - elapsed));
    }
}

/// The interesting part of an SSH client error, on one line (the external client's
/// error repeats the whole command).
pub fn ssh_error_text(text: &str) -> String {
    // The external client's text is the original's multi-line `ssh command error:`.
    if let Some(err) = text.lines().find_map(|l| l.strip_prefix("err     : ")) {
        let output = text
            .split_once("output  : ")
            .map(|(_, o)| crate::log::one_line(o))
            .unwrap_or_default();
        return if output.is_empty() {
            format!("ssh: {err}")
        } else {
            format!("ssh: {err}: {output}")
        };
    }
    crate::log::one_line(text)
}

/// Connect to an SSH port and read the server's identification line (`SSH-2.0-...`).
/// A port forward that accepts connections with nothing behind it gives no banner.
pub fn probe_ssh_banner(
    host: &str,
    port: u16,
    timeout: Duration,
) -> std::result::Result<String, String> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host}: {e}"))?
        .collect();
    let addr = addrs
        .first()
        .ok_or_else(|| format!("cannot resolve {host}"))?;
    let mut sock = TcpStream::connect_timeout(addr, timeout).map_err(|e| match e.kind() {
        std::io::ErrorKind::ConnectionRefused => "connection refused".to_string(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            "connection timed out".to_string()
        }
        _ => crate::log::one_line(&e.to_string()),
    })?;
    sock.set_read_timeout(Some(timeout)).ok();
    let mut buf = Vec::new();
    let mut chunk = [0u8; 256];
    let deadline = Instant::now() + timeout;
    while !buf.contains(&b'\n') && buf.len() < 1024 && Instant::now() < deadline {
        match sock.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&buf);
    match text.lines().find(|l| l.starts_with("SSH-")) {
        Some(line) => Ok(line.trim().to_string()),
        None if buf.is_empty() => Err("no SSH server answered".into()),
        None => Err("the port does not speak SSH".into()),
    }
}
