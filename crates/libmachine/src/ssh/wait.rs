//! Waiting for a machine's SSH: ready means a command ran (`exit 0` succeeded), never
//! that the port accepted TCP (a hypervisor's port forward accepts before sshd runs).

use super::known_hosts::HostKeyMismatch;
use super::{SshClient, SshTarget};
use crate::dial::DialError;
use std::io::Read;
use std::time::{Duration, Instant};

/// The default bound on waiting for SSH (the original: 60 attempts 3 s apart, plus each
/// attempt's own connect timeout).
pub const DEFAULT_SSH_WAIT: Duration = Duration::from_secs(300);

/// After the SSH server has answered but commands kept failing (refused
/// authentication: wrong user or key) for this long, the wait stops early.
const AUTH_FAILURE_GRACE: Duration = Duration::from_secs(60);

/// Pause between attempts.
const RETRY_INTERVAL: Duration = Duration::from_secs(3);

/// Why waiting for SSH ended without a working connection.
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// The machine showed another host key than the pinned one: waiting cannot help.
    #[error(transparent)]
    HostKeyMismatch(#[from] HostKeyMismatch),
    /// Time ran out, or the server kept refusing the user or key; `last` says what the
    /// last attempt saw.
    #[error("Too many retries waiting for SSH to be available.  Last error: {last}")]
    TooManyRetries { last: String },
    /// The machine went down for good while being waited for (its VM process died).
    #[error("{0}")]
    MachineDown(String),
}

/// Why no SSH server answered on a port.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BannerError {
    #[error("cannot resolve {host}: {reason}")]
    Unresolved { host: String, reason: String },
    #[error("cannot resolve {host}")]
    NoAddress { host: String },
    #[error("connection refused")]
    Refused,
    #[error("connection timed out")]
    TimedOut,
    /// Any other failure to connect, on one line.
    #[error("{0}")]
    Connect(String),
    /// Connected, but nothing was said (a port forward with nothing behind it).
    #[error("no SSH server answered")]
    Silent,
    #[error("the port does not speak SSH")]
    NotSsh,
}

/// Wait until `exit 0` runs over SSH, for at most `max_wait` (plus one attempt's own
/// timeout). Connection failures are retried every 3 s (the original's interval). When the SSH server answers
/// (its `SSH-` banner arrives) but commands keep failing for a minute, the user or key
/// is refused: the wait stops early. The error is one line and says what was seen.
pub fn wait_for_ssh(
    client: &dyn SshClient,
    target: &SshTarget,
    max_wait: Duration,
) -> Result<(), WaitError> {
    wait_for_ssh_while(client, target, max_wait, &|| Ok(()))
}

/// [`wait_for_ssh`], stopping at once when `up` says the machine is gone for good.
pub fn wait_for_ssh_while(
    client: &dyn SshClient,
    target: &SshTarget,
    max_wait: Duration,
    up: &dyn Fn() -> Result<(), String>,
) -> Result<(), WaitError> {
    let start = Instant::now();
    let mut answering_since: Option<Instant> = None;
    loop {
        let err = match client.output("exit 0") {
            Ok(out) if out.status == 0 => return Ok(()),
            Ok(out) => format!("exit status {}", out.status),
            // Waiting does not make a wrong host key right.
            Err(e) => match e.downcast::<HostKeyMismatch>() {
                Ok(mismatch) => return Err(mismatch.into()),
                Err(e) => ssh_error_text(&format!("{e:#}")),
            },
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
        up().map_err(WaitError::MachineDown)?;
        let refused_long = answering_since.is_some_and(|t| t.elapsed() >= AUTH_FAILURE_GRACE);
        let elapsed = start.elapsed();
        if elapsed >= max_wait || refused_long {
            return Err(WaitError::TooManyRetries { last: detail });
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
pub fn probe_ssh_banner(host: &str, port: u16, timeout: Duration) -> Result<String, BannerError> {
    probe_ssh_banner_within(host, port, timeout, timeout)
}

/// [`probe_ssh_banner`] with its own bound on the wait for the banner once connected;
/// a real sshd sends it one round trip after the connect, so the wait is at least four
/// times what the connect took.
pub fn probe_ssh_banner_within(
    host: &str,
    port: u16,
    connect_timeout: Duration,
    banner_timeout: Duration,
) -> Result<String, BannerError> {
    let connecting = Instant::now();
    let mut sock =
        crate::dial::dial(host, port, connecting + connect_timeout).map_err(|e| match e {
            DialError::NoSuchHost { reason, .. } if reason.is_empty() => BannerError::NoAddress {
                host: host.to_string(),
            },
            DialError::NoSuchHost { reason, .. } => BannerError::Unresolved {
                host: host.to_string(),
                reason,
            },
            DialError::Refused { .. } => BannerError::Refused,
            DialError::TimedOut { .. } | DialError::Deadline => BannerError::TimedOut,
            DialError::Failed { reason, .. } => BannerError::Connect(crate::log::one_line(&reason)),
        })?;
    let timeout = banner_timeout.max(connecting.elapsed() * 4);
    let mut buf = Vec::new();
    let mut chunk = [0u8; 256];
    let deadline = Instant::now() + timeout;
    while !buf.contains(&b'\n') && buf.len() < 1024 {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        sock.set_read_timeout(Some(left)).ok();
        match sock.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => break,
        }
    }
    let text = String::from_utf8_lossy(&buf);
    match text.lines().find(|l| l.starts_with("SSH-")) {
        Some(line) => Ok(line.trim().to_string()),
        None if buf.is_empty() => Err(BannerError::Silent),
        None => Err(BannerError::NotSsh),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ssh::Output;
    use std::io::Write;
    use std::net::TcpListener;
    use std::path::PathBuf;

    /// A client whose every command gets the same answer.
    struct Answering(fn() -> anyhow::Result<Output>);

    impl SshClient for Answering {
        fn output(&self, _command: &str) -> anyhow::Result<Output> {
            (self.0)()
        }
        fn interactive(&self, _args: &[String]) -> anyhow::Result<i32> {
            unreachable!("waiting runs no interactive session")
        }
    }

    fn target(port: u16) -> SshTarget {
        SshTarget {
            host: "127.0.0.1".into(),
            port,
            user: "docker".into(),
            key_path: None,
            host_key: None,
        }
    }

    fn closed_port() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    #[test]
    fn a_wrong_host_key_ends_the_wait_at_once() {
        let refused = Answering(|| {
            Err(HostKeyMismatch {
                alias: "m1".into(),
                file: PathBuf::from("/m1/known_hosts"),
            }
            .into())
        });
        let e = wait_for_ssh(&refused, &target(closed_port()), Duration::from_secs(60));
        assert!(
            matches!(&e, Err(WaitError::HostKeyMismatch(m)) if m.alias == "m1"),
            "{e:?}"
        );
    }

    #[test]
    fn a_machine_gone_for_good_ends_the_wait_at_once() {
        let failing = Answering(|| Err(anyhow::anyhow!("connection refused")));
        let start = std::time::Instant::now();
        let e = wait_for_ssh_while(
            &failing,
            &target(closed_port()),
            Duration::from_secs(60),
            &|| Err("QEMU exited while the VM booted".into()),
        );
        assert!(
            matches!(&e, Err(WaitError::MachineDown(m)) if m == "QEMU exited while the VM booted"),
            "{e:?}"
        );
        assert!(start.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn running_out_of_time_says_what_was_seen() {
        let failing = Answering(|| {
            Ok(Output {
                status: 1,
                ..Output::default()
            })
        });
        let port = closed_port();
        match wait_for_ssh(&failing, &target(port), Duration::ZERO) {
            Err(WaitError::TooManyRetries { last }) => assert_eq!(
                last,
                format!("docker via 127.0.0.1:{port}: connection refused (exit status 1)")
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_banner_probe_tells_silence_from_other_protocols() {
        let probe = |greeting: &'static [u8]| {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            let port = listener.local_addr().unwrap().port();
            let server = std::thread::spawn(move || {
                let (mut conn, _) = listener.accept().unwrap();
                conn.write_all(greeting).unwrap();
            });
            let result = probe_ssh_banner("127.0.0.1", port, Duration::from_secs(5));
            server.join().unwrap();
            result
        };
        assert_eq!(
            probe(b"SSH-2.0-OpenSSH_9.2\r\n"),
            Ok("SSH-2.0-OpenSSH_9.2".into())
        );
        assert_eq!(
            probe(b"HTTP/1.0 400 Bad Request\r\n"),
            Err(BannerError::NotSsh)
        );
        assert_eq!(probe(b""), Err(BannerError::Silent));
        assert_eq!(
            probe_ssh_banner("127.0.0.1", closed_port(), Duration::from_secs(5)),
            Err(BannerError::Refused)
        );
    }
}
