//! A real OpenSSH server on loopback, so that both crates test their SSH clients
//! against the same server.
//!
//! The server runs `/usr/sbin/sshd -D -e -f <temp config>` as a child on a free
//! 127.0.0.1 port with its own host key and an `AuthorizedKeysFile` in a temp
//! directory, and is killed when the [`Sshd`] is dropped.

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SSHD: &str = "/usr/sbin/sshd";

pub struct Sshd {
    pub port: u16,
    pub dir: tempfile::TempDir,
    child: Child,
}

/// Why the server cannot run here, if it cannot (tests print it and skip).
pub fn unavailable() -> Option<String> {
    if cfg!(unix) && !crate::is_root() {
        return Some("not root: sshd cannot log in as the current user".into());
    }
    if !Path::new(SSHD).exists() {
        return Some(format!(
            "{SSHD} is missing (apt-get install openssh-server)"
        ));
    }
    if Command::new("ssh-keygen").arg("-?").output().is_err() {
        return Some("ssh-keygen is missing".into());
    }
    None
}

/// The user sshd lets in (the current one).
pub fn current_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "root".into())
}

/// A client RSA key (`id_rsa`, as machines get) and an Ed25519 key (`id_ed25519`) made
/// by `libmachine::ssh::keys` in `dir`, so that OpenSSH accepting them is tested too.
pub fn client_keys(dir: &Path) -> (PathBuf, PathBuf) {
    let rsa = dir.join("id_rsa");
    let ed25519 = dir.join("id_ed25519");
    libmachine::ssh::keys::generate_key_pair(&rsa).unwrap();
    libmachine::ssh::keys::generate_ed25519(&ed25519).unwrap();
    (rsa, ed25519)
}

impl Sshd {
    /// Start a server that accepts the public halves (`KEY.pub`) of `private_keys`.
    pub fn for_keys(private_keys: &[&Path]) -> Sshd {
        let authorized: Vec<String> = private_keys
            .iter()
            .map(|k| {
                std::fs::read_to_string(libmachine::ssh::keys::public_key_path(k))
                    .unwrap()
                    .trim_end()
                    .to_string()
            })
            .collect();
        Sshd::start(&authorized)
    }

    /// Start a server that accepts the given public keys (authorized_keys lines).
    pub fn start(authorized_keys: &[String]) -> Sshd {
        Sshd::start_with_sftp_dir(authorized_keys, None)
    }

    /// [`Sshd::start`] whose SFTP sessions (scp's protocol) start in `sftp_dir`, so that
    /// a relative path tells which of two servers a copy reached.
    pub fn start_with_sftp_dir(authorized_keys: &[String], sftp_dir: Option<&Path>) -> Sshd {
        std::fs::create_dir_all("/run/sshd").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let host_key = dir.path().join("host_ed25519");
        let st = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&host_key)
            .status()
            .unwrap();
        assert!(st.success(), "ssh-keygen failed");
        let auth = dir.path().join("authorized_keys");
        std::fs::write(&auth, authorized_keys.join("\n") + "\n").unwrap();
        let mut last_err = String::new();
        for _ in 0..5 {
            let port = crate::free_port();
            let cfg = dir.path().join("sshd_config");
            let sftp = ["/usr/lib/openssh/sftp-server", "/usr/libexec/sftp-server"]
                .iter()
                .find(|p| Path::new(p).exists())
                .map(|p| match sftp_dir {
                    Some(d) => format!("Subsystem sftp {p} -d {}\n", d.display()),
                    None => format!("Subsystem sftp {p}\n"),
                })
                .unwrap_or_default();
            std::fs::write(
                &cfg,
                format!(
                    "Port {port}\nListenAddress 127.0.0.1\nHostKey {}\nPidFile {}\n\
                     AuthorizedKeysFile {}\nStrictModes no\nUsePAM no\nPermitRootLogin yes\n\
                     PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                     PubkeyAuthentication yes\nLogLevel ERROR\n{sftp}",
                    host_key.display(),
                    dir.path().join("sshd.pid").display(),
                    auth.display(),
                ),
            )
            .unwrap();
            let mut child = Command::new(SSHD)
                .args(["-D", "-e", "-f"])
                .arg(&cfg)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            if wait_for_banner(port, &mut child) {
                return Sshd { port, dir, child };
            }
            let _ = child.kill();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            let _ = child.wait();
            last_err = err;
        }
        panic!("sshd did not start: {last_err}");
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

fn wait_for_banner(port: u16, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let mut buf = [0u8; 8];
            if s.read_exact(&mut buf).is_ok() && buf.starts_with(b"SSH-2.0") {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
