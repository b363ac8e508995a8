//! The `generic` driver: an existing Linux server reached over SSH. Nothing is created
//! remotely by the driver; provisioning installs and configures Docker on it.
//!
//! * State: `Running` when the Docker port accepts a TCP connection or the SSH port
//!   answers with an SSH banner (a port forward that accepts connections with nothing
//!   behind it is not enough), both tried at once for at most [`STATE_PROBE`] (the SSH
//!   banner for [`BANNER_WAIT`] once connected), else
//!   `Stopped`; never an error unless the configuration is broken. The original only
//!   tried a TCP connection to the SSH port. The answer is reused for a second, so
//!   `url` then `state` (as `ls` asks) probe the host once.
//! * start/stop/kill are refused as in the original (the host's power is not
//!   docker-machine's); restart = `sudo shutdown -r now` over SSH.
//! * rm: unless created with `--generic-keep-remote-config`, removes what provisioning
//!   put on the host (`/etc/docker/{ca,server,server-key}.pem`, the systemd drop-in) and
//!   restarts Docker, which keeps running without TLS on its Unix socket. Docker itself
//!   stays installed. An unreachable host makes `rm` fail (`rm -f` removes anyway). The
//!   original left everything on the host (bug 14 in docs/original-bugs.md).

use super::{join_host_port, BaseDriver, Driver, DriverSpec, HostNotRunning};
use crate::mcnflag::{DriverOptions, Flag};
use crate::ssh::SshClient;
use crate::state::State;
use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

pub static SPEC: DriverSpec = DriverSpec {
    name: "generic",
    create_flags,
    new: |machine_name, store_path| Box::new(GenericDriver::new(machine_name, store_path)),
    load: |json| Ok(Box::new(GenericDriver::from_json(json)?)),
    implemented: true,
};

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::int(
            "generic-engine-port",
            "GENERIC_ENGINE_PORT",
            "Docker engine port",
            2376,
        ),
        Flag::string(
            "generic-ip-address",
            "GENERIC_IP_ADDRESS",
            "IP Address of machine",
            "",
        ),
        Flag::string("generic-ssh-user", "GENERIC_SSH_USER", "SSH user", "root"),
        Flag::string(
            "generic-ssh-key",
            "GENERIC_SSH_KEY",
            "SSH private key path (if not provided, default SSH key will be used)",
            "",
        ),
        Flag::int("generic-ssh-port", "GENERIC_SSH_PORT", "SSH port", 22),
        Flag::int(
            "generic-engine-listen-port",
            "GENERIC_ENGINE_LISTEN_PORT",
            "Port dockerd listens on inside the host when it is reached through a port forward to --generic-engine-port (0: the same port)",
            0,
        ),
        Flag::bool(
            "generic-keep-remote-config",
            "GENERIC_KEEP_REMOTE_CONFIG",
            "Keep Docker's TLS configuration on the host at rm (by default rm deletes the certificates in /etc/docker and the systemd drop-in docker-machine wrote, and restarts Docker without TLS)",
        ),
    ]
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Own {
    #[serde(rename = "EnginePort")]
    engine_port: i64,
    #[serde(rename = "SSHKey")]
    ssh_key: String,
    /// Written only when set, so configs of the original round-trip unchanged.
    #[serde(rename = "EngineListenPort", skip_serializing_if = "is_zero")]
    engine_listen_port: i64,
    #[serde(rename = "KeepRemoteConfig", skip_serializing_if = "is_false")]
    keep_remote_config: bool,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

fn is_false(v: &bool) -> bool {
    !*v
}

/// What `rm` runs on the host: the files provisioning wrote are deleted and Docker is
/// restarted with its packaged configuration (no TCP listener, no TLS). dockerd run by
/// the drop-in replaced the socket unit's `/var/run/docker.sock` with its own, so
/// `docker.socket` is restarted too before the packaged `-H fd://` daemon starts.
const REMOVE_REMOTE_CONFIG: &str = "sudo rm -f /etc/docker/ca.pem /etc/docker/server.pem /etc/docker/server-key.pem /etc/systemd/system/docker.service.d/10-machine.conf \
&& { sudo rmdir /etc/systemd/system/docker.service.d 2>/dev/null || true; } \
&& if [ -f /etc/conf.d/docker.orig ]; then sudo mv -f /etc/conf.d/docker.orig /etc/conf.d/docker; fi \
&& if command -v systemctl >/dev/null 2>&1; then \
sudo systemctl daemon-reload \
&& if systemctl cat docker.service >/dev/null 2>&1; then \
sudo systemctl stop docker.service \
&& if systemctl cat docker.socket >/dev/null 2>&1; then sudo systemctl restart docker.socket; fi \
&& sudo systemctl start docker.service; fi; \
elif command -v rc-service >/dev/null 2>&1; then sudo rc-service docker restart; fi";

pub struct GenericDriver {
    base: BaseDriver,
    own: Own,
    /// The last state probe and when it was made.
    checked: Mutex<Option<(Instant, State)>>,
}

/// How long a state probe waits for the engine port and the SSH port to accept.
pub const STATE_PROBE: Duration = Duration::from_secs(2);

/// How long a state probe waits for the SSH banner once connected (at least four times
/// the connect's time): a real sshd sends it at once, and a silent listener must not
/// hold `status` or `ls` long.
pub const BANNER_WAIT: Duration = Duration::from_millis(500);

/// How long a probe's answer is reused.
const STATE_REUSE: Duration = Duration::from_secs(1);

impl GenericDriver {
    pub fn new(machine_name: &str, store_path: &str) -> GenericDriver {
        GenericDriver {
            base: BaseDriver::new(machine_name, store_path),
            own: Own {
                engine_port: 2376,
                ..Own::default()
            },
            checked: Mutex::default(),
        }
    }

    fn from_json(json: Value) -> Result<GenericDriver> {
        let (base, own) = super::split_driver_json(json)?;
        Ok(GenericDriver {
            base,
            own,
            checked: Mutex::default(),
        })
    }

    fn log(&self, msg: &str) {
        crate::log::info(&format!("({}) {msg}", self.base.machine_name));
    }

    fn ssh(&self) -> Result<Box<dyn SshClient>> {
        crate::ssh::configured_client(&super::ssh_target(self)?)
    }

    fn engine_port(&self) -> Result<u16> {
        u16::try_from(self.own.engine_port)
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| anyhow!("invalid engine port {}", self.own.engine_port))
    }
}

/// Whether a TCP connection to `host:port` succeeds within `timeout`.
fn tcp_accepts(host: &str, port: u16, timeout: Duration) -> bool {
    crate::dial::dial(host, port, std::time::Instant::now() + timeout).is_ok()
}

impl Driver for GenericDriver {
    super::base_and_json!("generic");
    fn set_config_from_flags(&mut self, opts: &DriverOptions) -> Result<()> {
        self.own.engine_port = opts.int("generic-engine-port");
        self.base.ip_address = opts.string("generic-ip-address");
        self.base.ssh_user = opts.string("generic-ssh-user");
        self.own.ssh_key = opts.string("generic-ssh-key");
        self.base.ssh_port = opts.int("generic-ssh-port");
        self.own.engine_listen_port = opts.int("generic-engine-listen-port");
        self.own.keep_remote_config = opts.bool("generic-keep-remote-config");
        if !(0..=65535).contains(&self.own.engine_listen_port) {
            bail!("--generic-engine-listen-port must be a TCP port (0-65535)");
        }
        if self.base.ip_address.is_empty() {
            bail!("generic driver requires the --generic-ip-address option");
        }
        Ok(())
    }
    fn pre_create_check(&self) -> Result<()> {
        if !self.own.ssh_key.is_empty() && !Path::new(&self.own.ssh_key).exists() {
            bail!("SSH key does not exist: {:?}", self.own.ssh_key);
        }
        Ok(())
    }
    fn create(&mut self) -> Result<()> {
        if self.own.ssh_key.is_empty() {
            self.log("No SSH key specified. Assuming an existing key at the default location.");
            return Ok(());
        }
        self.log("Importing SSH key...");
        let src = Path::new(&self.own.ssh_key);
        let name = src.file_name().context("SSH key path has no file name")?;
        let dest = self.base.machine_dir().join(name);
        crate::fsutil::copy_private(src, &dest)?;
        let public = src.with_file_name(format!("{}.pub", name.to_string_lossy()));
        if public.exists() {
            let dest_pub = dest.with_file_name(format!("{}.pub", name.to_string_lossy()));
            if let Err(err) = crate::fsutil::copy_private(&public, &dest_pub) {
                crate::debug!("could not copy the public key {}: {err}", public.display());
            }
        }
        self.base.ssh_key_path = dest.to_string_lossy().into_owned();
        Ok(())
    }
    fn state(&self) -> Result<State> {
        let ip = self.ip()?;
        let ssh_port = self.ssh_port()?;
        let engine_port = self.engine_port()?;
        let mut checked = self.checked.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, state)) = *checked {
            if at.elapsed() < STATE_REUSE {
                return Ok(state);
            }
        }
        // Both probes at once; the first success answers. The threads end on their own
        // within STATE_PROBE.
        let (tx, rx) = mpsc::channel();
        let engine_tx = tx.clone();
        let engine_ip = ip.clone();
        std::thread::spawn(move || {
            let _ = engine_tx.send(tcp_accepts(&engine_ip, engine_port, STATE_PROBE));
        });
        std::thread::spawn(move || {
            let banner =
                crate::ssh::probe_ssh_banner_within(&ip, ssh_port, STATE_PROBE, BANNER_WAIT);
            let _ = tx.send(banner.is_ok());
        });
        let state = if rx.iter().take(2).any(|up| up) {
            State::Running
        } else {
            State::Stopped
        };
        *checked = Some((Instant::now(), state));
        Ok(state)
    }
    fn url(&self) -> Result<String> {
        if self.state()? != State::Running {
            return Err(HostNotRunning.into());
        }
        Ok(format!(
            "tcp://{}",
            join_host_port(&self.ip()?, self.own.engine_port)
        ))
    }
    fn start(&mut self) -> Result<()> {
        bail!("generic driver does not support start")
    }
    fn stop(&mut self) -> Result<()> {
        bail!("generic driver does not support stop")
    }
    /// `sudo shutdown -r now` over SSH, then wait (at most a minute) until SSH stops
    /// answering, so that the caller's wait for Running sees the machine come back.
    fn restart(&mut self) -> Result<()> {
        let client = self.ssh()?;
        // The connection may drop as the host goes down: only a refusal is an error.
        if let Ok(out) = client.output("sudo shutdown -r now") {
            if out.status != 0 {
                bail!(
                    "ssh command error:\ncommand : sudo shutdown -r now\nerr     : exit status {}\noutput  : {}{}",
                    out.status,
                    out.stdout,
                    out.stderr
                );
            }
        }
        let (ip, port) = (self.ip()?, self.ssh_port()?);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline
            && crate::ssh::probe_ssh_banner(&ip, port, Duration::from_secs(3)).is_ok()
        {
            std::thread::sleep(Duration::from_secs(1));
        }
        Ok(())
    }
    fn kill(&mut self) -> Result<()> {
        bail!("generic driver does not support kill")
    }
    /// Undo what provisioning put on the host (see the module docs), unless the machine
    /// was created with `--generic-keep-remote-config` or was never provisioned.
    fn remove(&mut self) -> Result<()> {
        if self.own.keep_remote_config {
            return Ok(());
        }
        // Provisioning writes the server certificate here before touching the host.
        if !self.base.machine_dir().join("server.pem").exists() {
            return Ok(());
        }
        let ip = self.ip()?;
        self.log(&format!(
            "Removing the Docker TLS configuration and certificates docker-machine put on {ip}..."
        ));
        let out = self
            .ssh()
            .and_then(|c| c.output(REMOVE_REMOTE_CONFIG))
            .map_err(|e| {
                anyhow!(
                    "Error removing the Docker configuration from {ip}: {}",
                    crate::ssh::ssh_error_text(&format!("{e:#}"))
                )
            })?;
        if out.status != 0 {
            bail!(
                "Error removing the Docker configuration from {ip}: exit status {}: {}",
                out.status,
                crate::log::one_line(&format!("{}{}", out.stdout, out.stderr))
            );
        }
        Ok(())
    }
    fn docker_port_in_machine(&self) -> Option<u16> {
        u16::try_from(self.own.engine_listen_port)
            .ok()
            .filter(|p| *p != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn remove_script_is_valid_sh() {
        let out = std::process::Command::new("sh")
            .args(["-n", "-c", REMOVE_REMOTE_CONFIG])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!REMOVE_REMOTE_CONFIG.contains('\n'));
    }

    #[test]
    fn new_keys_only_when_set() {
        let mut d = GenericDriver::new("g", "/s");
        let json = d.to_json();
        assert!(json.get("EngineListenPort").is_none() && json.get("KeepRemoteConfig").is_none());
        d.own.engine_listen_port = 2376;
        d.own.keep_remote_config = true;
        let back = GenericDriver::from_json(d.to_json()).unwrap();
        assert_eq!(back.docker_port_in_machine(), Some(2376));
        assert!(back.own.keep_remote_config);
    }
}
