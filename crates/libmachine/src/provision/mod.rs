//! Provisioning: installing and configuring Docker on a machine over SSH, as the
//! original's `libmachine/provision` did, with its known bugs fixed.
//!
//! * [`os`]: `/etc/os-release` and provisioner detection (deterministic, `ID_LIKE`-aware).
//! * [`engine`]: the daemon configuration written to the machine (systemd drop-in).
//! * [`packages`]: package manager and init system command lines.
//!
//! Verified end to end on a real machine (Debian 12 in QEMU, `tests/testbed/`): **debian**.
//! **ubuntu(systemd)** runs the same apt/systemd commands and is covered by the scripted
//! tests, but no Ubuntu machine could be booted here (only Debian's mirror is reachable),
//! so it prints no "unverified" warning while not being verified on Ubuntu itself.
//! Written but **not verified here**: redhat,
//! centos, fedora, ol (yum/dnf), SUSE (zypper), arch (pacman), alpine (apk + OpenRC).
//!
//! A run, in order (each step a remote command through [`SshClient`]):
//! hostname and `/etc/hosts`; `cloud-init status --wait` when cloud-init exists; package
//! index + curl (waiting out package locks held by cloud-init or unattended-upgrades);
//! Docker from `--engine-install-url` when the script can be downloaded on the machine,
//! else the distribution's packages (said with an Info line), skipped when `docker` is
//! already there; `sudo docker version` until it answers; then [`Provisioner::configure_auth`]:
//! local certificate copies and a new server certificate, certificates to `/etc/docker`
//! (created first; `server-key.pem` 0600), the drop-in (sent base64-encoded: nothing is
//! expanded by a remote shell), daemon restart, wait until the daemon listens on its
//! port; finally `systemctl enable docker`.

mod boot2docker;
pub mod engine;
pub mod os;
pub mod packages;

pub use os::{detect_family, Family, NotRecognized, OsRelease};

use crate::cert::{self, CertKind, CertOptions};
use crate::options::{AuthOptions, EngineOptions, SwarmOptions};
use crate::ssh::{Output, SshClient};
use anyhow::{anyhow, bail, Result};
use base64::Engine;
use engine::{sh_quote, REMOTE_CERT_DIR};
use packages::{Init, PackageManager};
use std::path::Path;
use std::time::Duration;

pub use crate::ssh::DEFAULT_SSH_WAIT;

/// How often the daemon port is looked for after a restart (the original: 10 x 3 s, too
/// short for dockerd's first start on a slow machine).
const LISTEN_ATTEMPTS: u32 = 40;

/// What provisioning needs to know about the machine.
#[derive(Debug, Clone)]
pub struct Target<'a> {
    pub machine_name: &'a str,
    pub driver_name: &'a str,
    /// The machine's address (a server certificate SAN).
    pub ip: String,
    /// The port dockerd listens on inside the machine: the Docker URL's port unless the
    /// driver says the URL goes through a port forward.
    pub daemon_port: u16,
    pub engine: &'a EngineOptions,
    pub swarm: &'a SwarmOptions,
    pub auth: &'a AuthOptions,
}

/// A detected provisioner bound to one machine's SSH connection.
pub struct Provisioner<'a> {
    pub family: Family,
    pub os: OsRelease,
    ssh: &'a dyn SshClient,
    /// None for boot2docker, which installs nothing.
    pm: Option<PackageManager>,
    init: Init,
}

impl<'a> Provisioner<'a> {
    /// `cat /etc/os-release` and pick the family (`OS type not recognized` otherwise).
    pub fn detect(ssh: &'a dyn SshClient) -> Result<Provisioner<'a>> {
        let text = run_retrying(ssh, "cat /etc/os-release", None)?;
        let os = OsRelease::parse(&text);
        let family = detect_family(&os)?;
        crate::debug!(
            "os-release ID={} ID_LIKE={:?} VERSION_ID={} -> {}",
            os.id,
            os.id_like,
            os.version_id,
            family
        );
        Ok(Provisioner::for_family(ssh, family, os))
    }

    pub fn for_family(ssh: &'a dyn SshClient, family: Family, os: OsRelease) -> Provisioner<'a> {
        Provisioner {
            family,
            os,
            ssh,
            pm: PackageManager::of(family),
            init: Init::of(family),
        }
    }

    /// Provisioning runs everything through `sudo`: say so plainly when the user cannot.
    fn require_sudo(&self) -> Result<()> {
        let out = self.ssh.output("sudo -n true")?;
        if out.status != 0 {
            let why = crate::log::one_line(&format!("{}{}", out.stdout, out.stderr));
            bail!(
                "the SSH user cannot run sudo without a password, which provisioning needs ({why})"
            );
        }
        Ok(())
    }

    /// The daemon is managed through the init system: say so before touching anything when
    /// the machine does not run it (a container, a chroot, another init).
    fn require_init_system(&self) -> Result<()> {
        let (check, what) = match self.init {
            // sd_booted(3): systemd creates this directory at boot.
            Init::Systemd => ("test -d /run/systemd/system", "systemd"),
            Init::OpenRc => ("command -v rc-service >/dev/null 2>&1", "OpenRC"),
            Init::Boot2Docker => ("test -x /etc/init.d/docker", "boot2docker's init script"),
        };
        if self.ssh.output(check)?.status != 0 {
            bail!(
                "the machine does not run {what}, which the {} provisioner needs to manage the Docker daemon",
                self.family
            );
        }
        Ok(())
    }

    /// Another program listening on the daemon's port would make dockerd fail to start
    /// only after Docker was installed and configured: name it up front instead.
    fn require_free_daemon_port(&self, port: u16) -> Result<()> {
        let out = self.ssh.output(
            "if type ss >/dev/null 2>&1; then sudo ss -tlnp; else sudo netstat -tlnp; fi",
        )?;
        if let Some(program) = engine::foreign_listener(&out.stdout, port) {
            bail!(
                "port {port} on the machine is already in use by {program}: stop it or choose another engine port"
            );
        }
        Ok(())
    }

    /// The package manager, which every family but boot2docker has.
    fn pm(&self) -> Result<PackageManager> {
        self.pm
            .ok_or_else(|| anyhow!("the {} provisioner installs no packages", self.family))
    }

    /// A full provisioning run.
    pub fn provision(&self, t: &Target) -> Result<()> {
        if self.family == Family::Boot2Docker {
            return self.provision_boot2docker(t);
        }
        let pm = self.pm()?;
        if self.family == Family::UbuntuUpstart {
            bail!(
                "Ubuntu {} uses upstart, which is no longer provisioned (Docker publishes no packages for it); use Ubuntu 16.04 or later",
                self.os.version_id
            );
        }
        if !self.family.verified() {
            crate::debug!(
                "The {} provisioner has not been verified against a real machine by this docker-machine",
                self.family
            );
        }
        self.require_init_system()?;
        if pm == PackageManager::Apt {
            // As the original's Debian provisioner: a root login without sudo gets it.
            self.run(
                "if ! type sudo >/dev/null 2>&1; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y sudo; fi",
            )?;
        }
        self.require_sudo()?;
        self.require_free_daemon_port(t.daemon_port)?;
        self.set_hostname(t.machine_name)?;
        self.wait_for_cloud_init()?;
        // A machine that has Docker (a Docker-ready image) needs no package index or
        // curl: both only serve the install.
        if self.docker_installed()? {
            crate::debug!("docker is already installed");
        } else {
            if let Some(update) = pm.update_index() {
                self.run_package_command(&update)?;
            }
            self.run_package_command(&pm.install(&["curl", "ca-certificates"]))?;
            if matches!(self.family, Family::UbuntuSystemd) {
                crate::info!("Installing Docker...");
            }
            self.install_docker(&t.engine.install_url)?;
        }
        self.run(&self.init.service("start"))?;
        self.wait_for_docker_cli()?;
        self.configure_auth(t)?;
        if t.swarm.is_swarm {
            crate::warn!(
                "Legacy Swarm (--swarm, --swarm-master) is not configured by this docker-machine: its containers need an engine API that current Docker no longer serves"
            );
        }
        if let Some(enable) = self.init.enable() {
            self.run(enable)?;
        }
        Ok(())
    }

    /// The certificate and daemon configuration part of provisioning (what
    /// `regenerate-certs` re-runs): local copies and a new server certificate, upload,
    /// daemon configuration, restart, wait until it listens.
    pub fn configure_auth(&self, t: &Target) -> Result<()> {
        if self.family == Family::Boot2Docker {
            return self.configure_auth_boot2docker(t);
        }
        let dockerd = match self.init {
            Init::Systemd => Some(self.dockerd_path()?),
            Init::OpenRc | Init::Boot2Docker => None,
        };
        self.install_certs(t, REMOTE_CERT_DIR)?;

        crate::info!("Setting Docker configuration on the remote daemon...");
        let storage = self.storage_driver(t.engine)?;
        match dockerd {
            Some(dockerd) => {
                let dropin = engine::systemd_drop_in(
                    &dockerd,
                    t.daemon_port,
                    &storage,
                    t.engine,
                    t.driver_name,
                );
                let dir = Path::new(engine::SYSTEMD_DROP_IN)
                    .parent()
                    .expect("has a parent");
                self.run(&format!("sudo mkdir -p {}", dir.display()))?;
                self.write_remote(engine::SYSTEMD_DROP_IN, dropin.as_bytes(), 0o644)?;
            }
            None => {
                let conf = engine::openrc_conf(t.daemon_port, &storage, t.engine, t.driver_name);
                let path = engine::OPENRC_CONF;
                self.run(&format!(
                    "if [ -f {path} ] && [ ! -f {path}.orig ]; then sudo cp -p {path} {path}.orig; fi"
                ))?;
                self.write_remote(path, conf.as_bytes(), 0o644)?;
            }
        }
        if let Some(reload) = self.init.daemon_reload() {
            self.run(reload)?;
        }
        self.run(&self.init.service("start"))?;
        self.wait_for_daemon(t.daemon_port)
    }

    /// Local certificate copies and a new server certificate, the daemon stopped, then the
    /// CA, server certificate and key uploaded into `dir` on the machine (`ca.pem`,
    /// `server.pem`, `server-key.pem` 0600).
    fn install_certs(&self, t: &Target, dir: &str) -> Result<()> {
        crate::info!("Copying certs to the local machine directory...");
        copy_local_certs(t.auth)?;
        generate_server_cert(t)?;

        self.run(&self.init.service("stop"))?;
        self.run("if ip link show docker0 >/dev/null 2>&1; then sudo ip link delete docker0; fi")?;

        crate::info!("Copying certs to the remote machine...");
        self.run(&format!("sudo mkdir -p {dir}"))?;
        let read = |p: &str| cert::read_file(Path::new(p)).map_err(|e| anyhow!("{e}"));
        self.write_remote(
            &format!("{dir}/ca.pem"),
            &read(&t.auth.ca_cert_path)?,
            0o644,
        )?;
        self.write_remote(
            &format!("{dir}/server.pem"),
            &read(&t.auth.server_cert_path)?,
            0o644,
        )?;
        self.write_remote(
            &format!("{dir}/server-key.pem"),
            &read(&t.auth.server_key_path)?,
            0o600,
        )
    }

    /// Wait until a listening socket on `port` shows up in `ss -tln` (or `netstat -tln`).
    pub fn wait_for_daemon(&self, port: u16) -> Result<()> {
        let cmd = "if ! type ss >/dev/null 2>&1; then netstat -tln; else ss -tln; fi";
        for attempt in 0..LISTEN_ATTEMPTS {
            if let Ok(out) = self.ssh.output(cmd) {
                if engine::is_listening(&out.stdout, port) {
                    return Ok(());
                }
            }
            if attempt + 1 < LISTEN_ATTEMPTS {
                std::thread::sleep(Duration::from_secs(3));
            }
        }
        bail!(
            "Unable to verify the Docker daemon is listening: Maximum number of retries ({LISTEN_ATTEMPTS}) exceeded"
        )
    }

    /// Upgrade the installed Docker packages and restart the daemon (`upgrade`).
    /// Whatever installed Docker (the install script's docker-ce, Debian's docker.io...)
    /// is what gets upgraded; the original upgraded `docker-engine` on Debian.
    pub fn upgrade(&self, t: &Target) -> Result<()> {
        let pm = self.pm()?;
        crate::info!("Upgrading docker...");
        let candidates = packages::DOCKER_PACKAGE_CANDIDATES;
        let listing = self.run(&pm.query_installed(candidates))?;
        let installed = pm.parse_installed(&listing, candidates);
        if installed.is_empty() {
            bail!(
                "no Docker package installed through the package manager (looked for {})",
                candidates.join(", ")
            );
        }
        if let Some(update) = pm.update_index() {
            self.run_package_command(&update)?;
        }
        self.run_package_command(&pm.upgrade(&installed))?;
        crate::info!("Restarting docker...");
        self.run(&self.init.service("restart"))?;
        self.wait_for_daemon(t.daemon_port)
    }

    fn run(&self, cmd: &str) -> Result<String> {
        run_retrying(self.ssh, cmd, None)
    }

    fn set_hostname(&self, name: &str) -> Result<()> {
        // The name passed create's check (0-9a-zA-Z . -): nothing in it is special to sh.
        self.run(&format!(
            "sudo hostname {name} && echo {name} | sudo tee /etc/hostname >/dev/null"
        ))?;
        let pattern = name.replace('.', "\\.");
        self.run(&format!(
            "if ! grep -q '[[:space:]]{pattern}$' /etc/hosts; then if grep -q '^127\\.0\\.1\\.1[[:space:]]' /etc/hosts; then sudo sed -i 's/^127\\.0\\.1\\.1[[:space:]].*/127.0.1.1 {name}/' /etc/hosts; else echo '127.0.1.1 {name}' | sudo tee -a /etc/hosts >/dev/null; fi; fi"
        ))?;
        Ok(())
    }

    /// cloud-init installs packages and restarts sshd on first boot; touching the package
    /// manager before it is done races with it.
    fn wait_for_cloud_init(&self) -> Result<()> {
        self.run(
            "if command -v cloud-init >/dev/null 2>&1; then sudo timeout 900 cloud-init status --wait >/dev/null 2>&1 || true; fi",
        )?;
        Ok(())
    }

    /// A package manager command, retried while another process holds the package lock
    /// (60 x 5 s, on top of apt's own `DPkg::Lock::Timeout`).
    fn run_package_command(&self, cmd: &str) -> Result<()> {
        const ATTEMPTS: u32 = 60;
        for attempt in 1..=ATTEMPTS {
            let out = output_retrying(self.ssh, cmd)?;
            if out.status == 0 {
                return Ok(());
            }
            let text = format!("{}{}", out.stdout, out.stderr);
            if attempt < ATTEMPTS && self.pm.is_some_and(|pm| pm.is_lock_error(&text)) {
                crate::debug!("package manager locked, retrying: {}", last_line(&text));
                std::thread::sleep(Duration::from_secs(5));
                continue;
            }
            bail!(command_error(cmd, &out));
        }
        unreachable!("the last attempt returns")
    }

    fn docker_installed(&self) -> Result<bool> {
        Ok(output_retrying(
            self.ssh,
            "command -v docker >/dev/null 2>&1 || sudo sh -c 'command -v docker' >/dev/null 2>&1",
        )?
        .status
            == 0)
    }

    fn install_docker(&self, install_url: &str) -> Result<()> {
        let pm = self.pm()?;
        let packages = pm.docker_packages(self.family);
        let reason = if install_url.is_empty() {
            "no --engine-install-url".to_string()
        } else {
            let script = "/tmp/docker-machine-install.sh";
            let fetch = format!(
                "curl -fsSL --connect-timeout 15 --max-time 300 -o {script} {}",
                sh_quote(install_url)
            );
            let out = output_retrying(self.ssh, &fetch)?;
            if out.status == 0 {
                self.run(&format!("sh {script}; rc=$?; rm -f {script}; exit $rc"))?;
                return Ok(());
            }
            let why = last_line(&format!("{}{}", out.stdout, out.stderr));
            format!(
                "the install script {install_url} cannot be downloaded on the machine ({})",
                if why.is_empty() {
                    format!("curl exit status {}", out.status)
                } else {
                    why
                }
            )
        };
        crate::info!(
            "Installing Docker from the distribution's packages ({}): {reason}",
            packages.join(" ")
        );
        self.run_package_command(&pm.install(packages))
    }

    /// `sudo docker version` until the daemon answers (60 x 3 s).
    fn wait_for_docker_cli(&self) -> Result<()> {
        const ATTEMPTS: u32 = 60;
        let mut last = String::new();
        for attempt in 0..ATTEMPTS {
            match self.ssh.output("sudo docker version") {
                Ok(out) if out.status == 0 => return Ok(()),
                Ok(out) => last = last_line(&format!("{}{}", out.stdout, out.stderr)),
                Err(e) => last = crate::log::one_line(&format!("{e:#}")),
            }
            if attempt + 1 < ATTEMPTS {
                std::thread::sleep(Duration::from_secs(3));
            }
        }
        bail!("Docker did not answer `sudo docker version`: Maximum number of retries ({ATTEMPTS}) exceeded; last error: {last}")
    }

    /// The daemon's path on the machine (through sudo: `/usr/sbin` is often not in a
    /// non-login PATH, and Debian's docker.io installs `/usr/sbin/dockerd`).
    fn dockerd_path(&self) -> Result<String> {
        let out = output_retrying(self.ssh, "sudo sh -c 'command -v dockerd'")?;
        let path = out.stdout.trim();
        if out.status != 0 || path.is_empty() || !path.starts_with('/') {
            bail!("dockerd was not found on the machine (is Docker installed?)");
        }
        Ok(path.to_string())
    }

    /// `--engine-storage-driver`, else overlay2; SUSE keeps btrfs when `/var/lib/docker`
    /// is on btrfs, as the original did.
    fn storage_driver(&self, engine: &EngineOptions) -> Result<String> {
        if self.family == Family::Suse && engine.storage_driver.is_empty() {
            let out = output_retrying(
                self.ssh,
                "stat -f -c %T /var/lib/docker 2>/dev/null || stat -f -c %T /var/lib",
            )?;
            if out.stdout.trim() == "btrfs" {
                return Ok("btrfs".into());
            }
        }
        Ok(engine::storage_driver(engine))
    }

    /// Write a file on the machine as root: sent base64-encoded inside single quotes (no
    /// remote expansion of any kind), written under umask 077 to a temporary name,
    /// chmod-ed, then renamed over the target.
    fn write_remote(&self, path: &str, data: &[u8], mode: u32) -> Result<()> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(data);
        let cmd = format!(
            "printf '%s' '{encoded}' | sudo sh -c 'umask 077 && base64 -d > {path}.tmp && chmod {mode:o} {path}.tmp && mv -f {path}.tmp {path}'"
        );
        let out = output_retrying(self.ssh, &cmd)?;
        if out.status != 0 {
            bail!(
                "ssh command error:\ncommand : write {path} (mode {mode:o})\nerr     : exit status {}\noutput  : {}{}",
                out.status,
                out.stdout,
                out.stderr
            );
        }
        Ok(())
    }
}

/// Run a command; a connection-level failure (sshd restarted by cloud-init, a dropped
/// connection) is retried twice, 3 s apart. Every command sent is safe to repeat.
fn output_retrying(ssh: &dyn SshClient, cmd: &str) -> Result<Output> {
    let mut attempt = 0;
    loop {
        match ssh.output(cmd) {
            Ok(out) => return Ok(out),
            Err(e) if attempt < 2 => {
                attempt += 1;
                crate::debug!("SSH failure, retrying ({attempt}/2): {e:#}");
                std::thread::sleep(Duration::from_secs(3));
            }
            Err(e) => return Err(e),
        }
    }
}

fn run_retrying(ssh: &dyn SshClient, cmd: &str, label: Option<&str>) -> Result<String> {
    let out = output_retrying(ssh, cmd)?;
    if out.status != 0 {
        bail!(command_error(label.unwrap_or(cmd), &out));
    }
    Ok(out.stdout)
}

/// The original's wording of a failed remote command.
fn command_error(cmd: &str, out: &Output) -> String {
    format!(
        "ssh command error:\ncommand : {cmd}\nerr     : exit status {}\noutput  : {}{}",
        out.status, out.stdout, out.stderr
    )
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

/// Copy the CA and client certificate/key into the machine directory (`DOCKER_CERT_PATH`),
/// keeping each source file's mode.
pub fn copy_local_certs(auth: &AuthOptions) -> Result<()> {
    let dir = Path::new(&auth.store_path);
    crate::fsutil::create_private_dir(dir)
        .map_err(|e| anyhow!(crate::fsutil::go_io_error("mkdir", dir, &e)))?;
    for (src, name) in [
        (&auth.ca_cert_path, "ca.pem"),
        (&auth.client_cert_path, "cert.pem"),
        (&auth.client_key_path, "key.pem"),
    ] {
        let src = Path::new(src);
        let dest = dir.join(name);
        if src == dest {
            continue;
        }
        let data = std::fs::read(src).map_err(|e| {
            anyhow!(
                "Error copying certificate: {}",
                crate::fsutil::go_io_error("open", src, &e)
            )
        })?;
        let mode = file_mode(src);
        crate::fsutil::write_atomic(&dest, &data, mode).map_err(|e| {
            anyhow!(
                "Error copying certificate: {}",
                crate::fsutil::go_io_error("open", &dest, &e)
            )
        })?;
    }
    Ok(())
}

#[cfg(unix)]
fn file_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0o600)
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> u32 {
    0o600
}

/// A new server certificate for the machine: SANs from `--tls-san`, its IP, `localhost`.
pub fn generate_server_cert(t: &Target) -> Result<()> {
    let sans = t.auth.server_cert_sans.clone().unwrap_or_default();
    let hosts = engine::server_cert_hosts(&sans, &t.ip);
    crate::debug!(
        "generating server cert: {} ca-key={} private-key={} org={}.{} san={:?}",
        t.auth.server_cert_path,
        t.auth.ca_cert_path,
        t.auth.ca_private_key_path,
        cert::username(),
        t.machine_name,
        hosts
    );
    cert::generate_cert(&CertOptions {
        kind: CertKind::Server {
            swarm_master: t.swarm.master,
        },
        hosts,
        cert_file: t.auth.server_cert_path.clone().into(),
        key_file: t.auth.server_key_path.clone().into(),
        ca_file: t.auth.ca_cert_path.clone().into(),
        ca_key_file: t.auth.ca_private_key_path.clone().into(),
        org: format!("{}.{}", cert::username(), t.machine_name),
        validity: None,
    })
    .map_err(|e| anyhow!("Error generating server cert: {e}"))
}
