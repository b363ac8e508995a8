//! The built-in client (`--native-ssh`, or no `ssh` on PATH), on russh. Unlike the
//! original's Go client it signs with rsa-sha2-512/256 (OpenSSH 8.8+ refuses SHA-1),
//! reports session errors instead of swallowing them, and keeps stdout, stderr and the
//! exit status apart. Each call opens its own connection on a current-thread runtime.

use super::{HostKeyPin, Output, SshClient, SshTarget};
use crate::fsutil::go_io_error;
use anyhow::{anyhow, bail, Context, Result};
use russh::keys::{
    Algorithm, HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate,
};
use russh::{client, ChannelMsg, Disconnect};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long connecting, the SSH handshake and authentication may take together.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A russh client for one machine.
pub struct NativeClient {
    target: SshTarget,
    keys: Vec<Arc<PrivateKey>>,
    connect_timeout: Duration,
}

impl std::fmt::Debug for NativeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeClient")
            .field("target", &self.target)
            .field("keys", &self.keys.len())
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

impl NativeClient {
    /// Load the target's key (or, without one, the user's unencrypted default keys).
    pub fn new(target: &SshTarget) -> Result<NativeClient> {
        let keys = match &target.key_path {
            Some(path) => {
                vec![Arc::new(load_key(path).map_err(|e| {
                    anyhow!("Error getting config for native Go SSH: {e:#}")
                })?)]
            }
            None => default_keys(),
        };
        Ok(NativeClient {
            target: target.clone(),
            keys,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
        })
    }

    /// Bound connection set-up (TCP, handshake, authentication) to `timeout`.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> NativeClient {
        self.connect_timeout = timeout;
        self
    }

    fn runtime() -> Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .context("starting the SSH runtime")
    }

    async fn connect(&self) -> Result<client::Handle<Handler>> {
        let addr = format!("{}:{}", join_host(&self.target.host), self.target.port);
        let setup = async {
            let stream =
                tokio::net::TcpStream::connect((self.target.host.as_str(), self.target.port))
                    .await
                    .map_err(|e| anyhow!("dial tcp {addr}: connect: {}", io_reason(&e)))?;
            let _ = stream.set_nodelay(true);
            let pinned = match &self.target.host_key {
                Some(pin) => pin.known_keys()?,
                None => Vec::new(),
            };
            let config = Arc::new(client::Config {
                keepalive_interval: Some(Duration::from_secs(60)),
                keepalive_max: 3,
                preferred: preferred_algorithms(&pinned),
                ..Default::default()
            });
            let refused = Arc::new(std::sync::Mutex::new(None));
            let handler = Handler {
                pin: self.target.host_key.clone(),
                pinned,
                refused: refused.clone(),
            };
            let mut handle = client::connect_stream(config, stream, handler)
                .await
                .map_err(|e| match refused.lock().ok().and_then(|mut r| r.take()) {
                    Some(why) => why,
                    None => anyhow!("ssh: handshake failed: {e}"),
                })?;
            self.authenticate(&mut handle).await?;
            Ok::<_, anyhow::Error>(handle)
        };
        match tokio::time::timeout(self.connect_timeout, setup).await {
            Ok(r) => r,
            Err(_) => bail!(
                "dial tcp {addr}: ssh handshake did not complete within {}s",
                self.connect_timeout.as_secs_f64()
            ),
        }
    }

    async fn authenticate(&self, handle: &mut client::Handle<Handler>) -> Result<()> {
        let has_rsa = self.keys.iter().any(|k| k.algorithm().is_rsa());
        let rsa_hash = if has_rsa {
            // `None`: the server did not say (no ext-info); every OpenSSH since 7.2 takes SHA-512.
            match handle.best_supported_rsa_hash().await {
                Ok(Some(alg)) => alg,
                _ => Some(HashAlg::Sha512),
            }
        } else {
            None
        };
        for key in &self.keys {
            let res = handle
                .authenticate_publickey(
                    self.target.user.clone(),
                    PrivateKeyWithHashAlg::new(key.clone(), rsa_hash),
                )
                .await
                .map_err(|e| anyhow!("ssh: handshake failed: {e}"))?;
            if res.success() {
                return Ok(());
            }
        }
        let methods = if self.keys.is_empty() {
            "[none]"
        } else {
            "[none publickey]"
        };
        bail!("ssh: handshake failed: ssh: unable to authenticate, attempted methods {methods}, no supported methods remain")
    }

    async fn exec(&self, command: &str) -> Result<Output> {
        let handle = self.connect().await?;
        let mut channel = handle
            .channel_open_session()
            .await
            .map_err(|e| anyhow!("ssh: opening a session: {e}"))?;
        channel
            .exec(true, command)
            .await
            .map_err(|e| anyhow!("ssh: starting the command: {e}"))?;
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let mut end = End::default();
        while let Some(msg) = channel.wait().await {
            match msg {
                ChannelMsg::Data { data } => stdout.extend_from_slice(&data),
                ChannelMsg::ExtendedData { data, .. } => stderr.extend_from_slice(&data),
                other => end.note(other),
            }
        }
        let _ = handle
            .disconnect(Disconnect::ByApplication, "", "English")
            .await;
        let stdout = String::from_utf8_lossy(&stdout).into_owned();
        let stderr = String::from_utf8_lossy(&stderr).into_owned();
        match end.status() {
            Ok(status) => Ok(Output {
                stdout,
                stderr,
                status,
            }),
            Err(e) => bail!(
                "ssh command error:\ncommand : {command}\nerr     : {e}\noutput  : {stdout}{stderr}"
            ),
        }
    }

    async fn session(&self, command: Option<String>) -> Result<i32> {
        let handle = self.connect().await?;
        let channel = handle
            .channel_open_session()
            .await
            .map_err(|e| anyhow!("ssh: opening a session: {e}"))?;
        let (mut reader, writer) = channel.split();
        let use_pty = command.is_none() && term::is_tty(0);
        let mut size = if use_pty { term::size() } else { (80, 24) };
        let _raw = if use_pty {
            // The local terminal's type, as OpenSSH sends it; `xterm` when unset.
            let term_type = std::env::var("TERM")
                .ok()
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "xterm".into());
            writer
                .request_pty(false, &term_type, size.0, size.1, 0, 0, &[])
                .await
                .map_err(|e| anyhow!("ssh: requesting a terminal: {e}"))?;
            Some(term::RawMode::enable(0)?)
        } else {
            None
        };
        match &command {
            Some(c) => writer.exec(true, c.as_str()).await,
            None => writer.request_shell(true).await,
        }
        .map_err(|e| anyhow!("ssh: starting the session: {e}"))?;

        let mut input = spawn_stdin_reader();
        let mut input_done = false;
        let mut resize = tokio::time::interval(Duration::from_millis(250));
        let mut end = End::default();
        loop {
            tokio::select! {
                msg = reader.wait() => match msg {
                    None => break,
                    Some(ChannelMsg::Data { data }) => {
                        let mut out = std::io::stdout().lock();
                        let _ = out.write_all(&data);
                        let _ = out.flush();
                    }
                    Some(ChannelMsg::ExtendedData { data, .. }) => {
                        let mut err = std::io::stderr().lock();
                        let _ = err.write_all(&data);
                        let _ = err.flush();
                    }
                    Some(other) => end.note(other),
                },
                chunk = input.recv(), if !input_done => match chunk {
                    Some(data) if !data.is_empty() => {
                        if writer.data_bytes(data).await.is_err() {
                            input_done = true;
                        }
                    }
                    _ => {
                        input_done = true;
                        let _ = writer.eof().await;
                    }
                },
                _ = resize.tick(), if use_pty => {
                    let now = term::size();
                    if now != size {
                        size = now;
                        let _ = writer.window_change(size.0, size.1, 0, 0).await;
                    }
                }
            }
        }
        let _ = handle
            .disconnect(Disconnect::ByApplication, "", "English")
            .await;
        end.status()
    }
}

impl SshClient for NativeClient {
    fn output(&self, command: &str) -> Result<Output> {
        crate::log::debug(&format!("About to run SSH command:\n{command}"));
        Self::runtime()?.block_on(self.exec(command))
    }

    fn interactive(&self, args: &[String]) -> Result<i32> {
        let command = joined_command(args);
        Self::runtime()?.block_on(self.session(command))
    }
}

/// The command the native client runs for `docker-machine ssh NAME ARGS...`: the
/// arguments joined with spaces, without a leading `--` (which the original sent
/// literally); `None` (a login shell) when nothing is left.
pub fn joined_command(args: &[String]) -> Option<String> {
    let args = match args.first() {
        Some(first) if first == "--" => &args[1..],
        _ => args,
    };
    if args.is_empty() {
        None
    } else {
        Some(args.join(" "))
    }
}

/// How a remote command ended.
#[derive(Default)]
struct End {
    status: Option<u32>,
    signal: Option<String>,
    refused: bool,
}

impl End {
    fn note(&mut self, msg: ChannelMsg) {
        match msg {
            ChannelMsg::ExitStatus { exit_status } => self.status = Some(exit_status),
            ChannelMsg::ExitSignal {
                signal_name,
                error_message,
                ..
            } => {
                let mut s = format!("{signal_name:?}");
                if !error_message.is_empty() {
                    s.push_str(&format!(" ({error_message})"));
                }
                self.signal = Some(s);
            }
            ChannelMsg::Failure => self.refused = true,
            _ => {}
        }
    }

    fn status(&self) -> Result<i32> {
        if let Some(s) = self.status {
            return Ok(s as i32);
        }
        if let Some(sig) = &self.signal {
            bail!("Process exited with signal {sig}");
        }
        if self.refused {
            bail!("ssh: the server refused to start the command");
        }
        bail!("wait: remote command exited without exit status or exit signal")
    }
}

/// russh's defaults, with the algorithms of the `pinned` keys first so that the server
/// shows a key that can be checked (as OpenSSH orders them from known_hosts).
fn preferred_algorithms(pinned: &[PublicKey]) -> russh::Preferred {
    let mut preferred = russh::Preferred::default();
    let mut order: Vec<Algorithm> = Vec::new();
    for key in pinned {
        let algorithms = match key.algorithm() {
            // An RSA key is shown under either SHA-2 signature algorithm.
            Algorithm::Rsa { .. } => vec![
                Algorithm::Rsa {
                    hash: Some(HashAlg::Sha512),
                },
                Algorithm::Rsa {
                    hash: Some(HashAlg::Sha256),
                },
            ],
            other => vec![other],
        };
        for a in algorithms {
            if !order.contains(&a) {
                order.push(a);
            }
        }
    }
    for a in preferred.key.iter() {
        if !order.contains(a) {
            order.push(a.clone());
        }
    }
    preferred.key = order.into();
    preferred
}

/// Checks the server's host key against the target's pin (any key without one, as the
/// original); why a key was refused is left in `refused` for the caller's error.
struct Handler {
    pin: Option<HostKeyPin>,
    /// The pin's keys, as read when connecting.
    pinned: Vec<PublicKey>,
    refused: Arc<std::sync::Mutex<Option<anyhow::Error>>>,
}

impl client::Handler for Handler {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let Some(pin) = &self.pin else {
            return Ok(true);
        };
        let verdict = match server_public_key {
            PublicKeyOrCertificate::PublicKey { key, .. } => pin.verify(&self.pinned, key),
            // Not advertised (no `host_key_certificates`), so never expected.
            PublicKeyOrCertificate::Certificate(_) => Err(pin.mismatch().into()),
        };
        match verdict {
            Ok(()) => Ok(true),
            Err(e) => {
                if let Ok(mut refused) = self.refused.lock() {
                    *refused = Some(e);
                }
                Ok(false)
            }
        }
    }
}

/// Read a private key file (PKCS#1, PKCS#8 or OpenSSH format, unencrypted).
pub fn load_key(path: &Path) -> Result<PrivateKey> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow!(go_io_error("open", path, &e)))?;
    russh::keys::decode_secret_key(&text, None)
        .map_err(|e| anyhow!("ssh: cannot decode {}: {e}", path.display()))
}

fn default_keys() -> Vec<Arc<PrivateKey>> {
    let home = std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" });
    let Some(home) = home else { return Vec::new() };
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|n| PathBuf::from(&home).join(".ssh").join(n))
        .filter_map(|p| load_key(&p).ok())
        .map(Arc::new)
        .collect()
}

fn join_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

fn io_reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).to_string();
    text.to_lowercase()
}

/// Standard input, read on a plain thread (blocking reads cannot be cancelled), as
/// chunks; an empty chunk or a closed channel means end of input.
fn spawn_stdin_reader() -> tokio::sync::mpsc::Receiver<Vec<u8>> {
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin();
        let mut buf = [0u8; 8192];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) | Err(_) => {
                    let _ = tx.blocking_send(Vec::new());
                    return;
                }
                Ok(n) => {
                    if tx.blocking_send(buf[..n].to_vec()).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// The local terminal: raw mode and size.
mod term {
    #[cfg(unix)]
    pub fn is_tty(fd: i32) -> bool {
        // SAFETY: isatty only inspects the descriptor.
        unsafe { libc::isatty(fd) == 1 }
    }

    #[cfg(not(unix))]
    pub fn is_tty(_fd: i32) -> bool {
        use std::io::IsTerminal;
        std::io::stdin().is_terminal()
    }

    /// (columns, rows) of the terminal on stdin (else stdout), 80x24 when unknown.
    #[cfg(unix)]
    pub fn size() -> (u32, u32) {
        for fd in [0, 1] {
            // SAFETY: TIOCGWINSZ fills the winsize struct it is given.
            let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
            if unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws) } == 0 && ws.ws_col > 0 {
                return (u32::from(ws.ws_col), u32::from(ws.ws_row));
            }
        }
        (80, 24)
    }

    #[cfg(not(unix))]
    pub fn size() -> (u32, u32) {
        (80, 24)
    }

    /// Raw mode on a terminal until dropped.
    #[cfg(unix)]
    pub struct RawMode {
        fd: i32,
        saved: libc::termios,
    }

    #[cfg(unix)]
    impl RawMode {
        pub fn enable(fd: i32) -> anyhow::Result<RawMode> {
            // SAFETY: tcgetattr/tcsetattr read and write the termios struct given.
            unsafe {
                let mut saved: libc::termios = std::mem::zeroed();
                if libc::tcgetattr(fd, &mut saved) != 0 {
                    anyhow::bail!("tcgetattr: {}", std::io::Error::last_os_error());
                }
                let mut raw = saved;
                libc::cfmakeraw(&mut raw);
                if libc::tcsetattr(fd, libc::TCSANOW, &raw) != 0 {
                    anyhow::bail!("tcsetattr: {}", std::io::Error::last_os_error());
                }
                Ok(RawMode { fd, saved })
            }
        }
    }

    #[cfg(unix)]
    impl Drop for RawMode {
        fn drop(&mut self) {
            // SAFETY: restores the settings read in `enable`.
            unsafe {
                libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved);
            }
        }
    }

    #[cfg(not(unix))]
    pub struct RawMode;

    #[cfg(not(unix))]
    impl RawMode {
        pub fn enable(_fd: i32) -> anyhow::Result<RawMode> {
            Ok(RawMode)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn command_drops_a_leading_double_dash() {
        assert_eq!(
            joined_command(&strings(&["--", "ls", "-l"])).as_deref(),
            Some("ls -l")
        );
        assert_eq!(
            joined_command(&strings(&["ls", "--", "x"])).as_deref(),
            Some("ls -- x")
        );
        assert_eq!(joined_command(&strings(&["--"])), None);
        assert_eq!(joined_command(&[]), None);
    }
}
