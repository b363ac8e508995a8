//! The machine-level operations built on provisioning (host above provision): `provision`, `regenerate-certs`,
//! `upgrade` and the daemon wait after `start`/`restart` (methods of [`Host`]).

use super::Host;
use crate::boot2docker::B2dCache;
use crate::cert::CertStore;
use crate::options::AuthOptions;
use crate::provision::{engine, Family, Provisioner, Target, DEFAULT_SSH_WAIT};
use crate::ssh::wait_for_ssh;
use crate::ssh::{SshClient, SshTarget};
use crate::state::State;
use anyhow::{anyhow, Result};
use std::path::Path;
use std::time::Duration;

impl Host {
    /// Where SSH reaches the machine (from the driver).
    pub fn ssh_target(&self) -> Result<SshTarget> {
        crate::drivers::ssh_target(self.driver.as_ref())
    }

    /// An SSH client for the machine (external `ssh` or the built-in one, see
    /// [`crate::ssh::use_native`]).
    pub fn ssh_client(&self) -> Result<Box<dyn SshClient>> {
        crate::ssh::configured_client(&self.ssh_target()?)
    }

    /// What provisioning needs: names, the machine's IP, the daemon port, the options.
    pub fn provision_target(&self) -> Result<Target<'_>> {
        let url = self.driver.url()?;
        let daemon_port = match self.driver.docker_port_in_machine() {
            Some(port) => port,
            None => engine::url_port(&url)
                .map_err(|e| anyhow!("Error parsing the Docker URL {url:?}: {e}"))?,
        };
        Ok(Target {
            machine_name: &self.name,
            driver_name: &self.driver_name,
            ip: self.driver.ip()?,
            daemon_port,
            engine: &self.options.engine,
            swarm: &self.options.swarm,
            auth: &self.options.auth,
        })
    }

    /// `Waiting for SSH to be available...`, then `Detecting the provisioner...`: a
    /// working SSH client; the caller detects with it.
    fn connect(&self, max_wait: Duration) -> Result<Box<dyn SshClient>> {
        let target = self.ssh_target()?;
        let client = crate::ssh::configured_client(&target)?;
        crate::info!("Waiting for SSH to be available...");
        wait_for_ssh(client.as_ref(), &target, max_wait)?;
        crate::info!("Detecting the provisioner...");
        Ok(client)
    }

    /// `provision`: a full provisioning run on an existing machine, then the TLS check.
    pub fn provision(&mut self) -> Result<()> {
        let client = self.connect(DEFAULT_SSH_WAIT)?;
        let provisioner = Provisioner::detect(client.as_ref())?;
        provisioner.provision(&self.provision_target()?)?;
        Ok(self.check_docker_connection()?)
    }

    /// `regenerate-certs`: a new server certificate (with the machine's current address in
    /// its names), copied to the machine, and the daemon restarted with it. Docker is not
    /// reinstalled: only the certificate and configuration part of provisioning runs.
    /// (`--client-certs` replaces the CA and client certificate first, once per set of
    /// files: [`regenerate_local_certs`].)
    pub fn regenerate_certs(&mut self) -> Result<()> {
        let client = self.connect(DEFAULT_SSH_WAIT)?;
        let provisioner = Provisioner::detect(client.as_ref())?;
        provisioner.configure_auth(&self.provision_target()?)?;
        Ok(self.check_docker_connection()?)
    }

    /// `upgrade`: upgrade the Docker packages installed on the machine and restart it.
    pub fn upgrade(&mut self) -> Result<()> {
        if self.driver.state()? != State::Running {
            crate::info!("Starting machine so machine can be upgraded...");
            self.start()?;
        }
        let client = self.connect(DEFAULT_SSH_WAIT)?;
        let provisioner = Provisioner::detect(client.as_ref())?;
        if provisioner.family == Family::Boot2Docker {
            let cache = B2dCache::new(Path::new(&self.driver.base().store_path));
            return self.upgrade_boot2docker_iso(&cache);
        }
        provisioner.upgrade(&self.provision_target()?)
    }

    /// `upgrade` of a boot2docker machine: stop it, replace its ISO (the latest release
    /// through the cache, or again from the URL it was created with), start it.
    pub fn upgrade_boot2docker_iso(&mut self, cache: &B2dCache) -> Result<()> {
        let url = self
            .driver
            .to_json()
            .get("Boot2DockerURL")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        crate::info!("Stopping machine to do the upgrade...");
        self.driver.stop()?;
        self.wait_until(State::Stopped)?;
        crate::info!("Upgrading machine \"{}\"...", self.name);
        cache.copy_iso_to_machine_dir(&url, &self.driver.base().machine_dir())?;
        crate::info!("Starting machine back up...");
        self.driver.start()?;
        self.wait_until(State::Running)
    }
}

/// After `start`/`restart`: wait for SSH, detect the OS again and wait until the daemon
/// listens on its port (the Docker URL's, not always 2376: bug 12 in docs/original-bugs.md).
/// Machines without SSH (the none driver, a driver that gives no SSH address) have
/// nothing to wait for.
pub(crate) fn wait_for_docker(host: &mut Host) -> Result<()> {
    if !host.driver.capabilities().ssh || crate::drivers::gives_no_ssh_address(&*host.driver) {
        return Ok(());
    }
    let client = host.connect(DEFAULT_SSH_WAIT)?;
    let provisioner = Provisioner::detect(client.as_ref())?;
    let port = host.provision_target()?.daemon_port;
    provisioner.wait_for_daemon(port)
}

/// `regenerate-certs --client-certs`: replace the CA and the client certificate (the
/// original only replaced missing or expired ones: bug 7 in docs/original-bugs.md).
pub fn regenerate_local_certs(auth: &AuthOptions, store: &dyn CertStore) -> Result<()> {
    crate::info!("Regenerating local certificates");
    crate::cert::replace_ca_and_client(auth, store)
        .map(|_| ())
        .map_err(|e| anyhow!("Error generating certificates: {e}"))
}
