//! A real Docker daemon (Debian's docker.io, installed by scripts/install-deps.sh) for the
//! tests whose TLS checks must pass: `dockerd --tlsverify` on a free loopback port, its
//! server certificate issued by a store's CA through libmachine's cert module.

use libmachine::cert::{self, CertKind, CertOptions};
use libmachine::options::AuthOptions;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running dockerd; stopped (TERM, then KILL) when dropped, also when a test panics.
pub struct Dockerd {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

/// Why a dockerd cannot run here, if it cannot (tests print it and skip).
pub fn unavailable() -> Option<String> {
    if !testkit::is_root() {
        return Some("dockerd needs root".into());
    }
    if path().is_none() {
        return Some(
            "dockerd is not installed (scripts/install-deps.sh installs docker.io)".into(),
        );
    }
    None
}

/// Where Debian's docker.io puts the daemon.
pub fn path() -> Option<PathBuf> {
    ["/usr/sbin/dockerd", "/usr/bin/dockerd"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

impl Dockerd {
    /// Starts a daemon trusting the CA of `store` (`certs/ca.pem`, `ca-key.pem`, with a
    /// client pair `cert.pem`, `key.pem`, as `create` leaves them), its files under `work`;
    /// returns once it answers over TLS with that client pair.
    pub fn start(store: &Path, work: &Path) -> Result<Dockerd, String> {
        let dockerd = path().ok_or("dockerd is not installed")?;
        let certs = store.join("certs");
        let server = work.join("server.pem");
        let server_key = work.join("server-key.pem");
        cert::generate_cert(&CertOptions {
            kind: CertKind::Server {
                swarm_master: false,
            },
            hosts: vec!["127.0.0.1".into(), "localhost".into()],
            cert_file: server.clone(),
            key_file: server_key.clone(),
            ca_file: certs.join("ca.pem"),
            ca_key_file: certs.join("ca-key.pem"),
            org: "test.dockerd".into(),
            validity: None,
        })
        .map_err(|e| format!("server certificate: {e}"))?;
        let port = testkit::free_port();
        let d = work.join("d");
        fs::create_dir_all(&d).unwrap();
        let log = work.join("dockerd.log");
        let log_file = fs::File::create(&log).unwrap();
        let child = Command::new(dockerd)
            .arg("--tlsverify")
            .arg("--tlscacert")
            .arg(certs.join("ca.pem"))
            .arg("--tlscert")
            .arg(&server)
            .arg("--tlskey")
            .arg(&server_key)
            .arg("-H")
            .arg(format!("tcp://127.0.0.1:{port}"))
            // No networking of its own: it only has to answer the API.
            .args([
                "--iptables=false",
                "--ip6tables=false",
                "--ip-masq=false",
                "--bridge=none",
            ])
            .arg("--data-root")
            .arg(d.join("data"))
            .arg("--exec-root")
            .arg(d.join("exec"))
            .arg("--pidfile")
            .arg(d.join("docker.pid"))
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("spawn dockerd: {e}"))?;
        let mut daemon = Dockerd { child, port, log };
        let path = |f: &str| certs.join(f).to_string_lossy().into_owned();
        let client = AuthOptions {
            ca_cert_path: path("ca.pem"),
            client_cert_path: path("cert.pem"),
            client_key_path: path("key.pem"),
            ..Default::default()
        };
        // Bounded wait for the daemon to answer over TLS.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            let answered =
                libmachine::dockerclient::version(&daemon.url(), &client, Duration::from_secs(5));
            if answered.is_ok() {
                return Ok(daemon);
            }
            if let Ok(Some(status)) = daemon.child.try_wait() {
                return Err(format!("dockerd exited ({status}):\n{}", daemon.log()));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "dockerd did not answer within 120 s:\n{}",
                    daemon.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    pub fn url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// What the daemon wrote so far, for failure messages.
    pub fn log(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
