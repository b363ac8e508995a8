//! The driver seam: one trait every driver implements, and the registry that maps a
//! driver name to its flags and constructors. A driver is one folder below this one;
//! adding a driver means adding its folder and one line to [`REGISTRY`].

use crate::mcnflag::{DriverOptions, Flag};
use crate::state::State;
use anyhow::Result;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[cfg(test)]
pub mod fake;
pub mod generic;
pub mod hyperv;
pub mod none;
pub mod plugin;
pub mod qemu;
pub mod unimplemented;

mod amazonec2;
mod azure;
mod digitalocean;
mod exoscale;
mod google;
mod openstack;
mod rackspace;
mod softlayer;
mod virtualbox;
mod vmwarefusion;
mod vmwarevcloudair;
mod vmwarevsphere;

/// The default Docker install script, as in the original.
pub const DEFAULT_ENGINE_INSTALL_URL: &str = "https://get.docker.com";

/// What a driver does. The core never looks inside a driver's configuration: it keeps
/// the JSON object the driver hands it (`to_json`) and gives it back on load.
pub trait Driver: Send + Sync {
    /// The name shown in the DRIVER column (`not-found` for a missing plugin).
    fn driver_name(&self) -> String;
    /// The fields every driver shares (`IPAddress`, `MachineName`, `SSHUser`...).
    fn base(&self) -> &BaseDriver;
    fn base_mut(&mut self) -> &mut BaseDriver;
    /// The driver's object for `config.json`, keys in the order the original wrote them.
    fn to_json(&self) -> Value;
    /// Take the values of the driver's create flags.
    fn set_config_from_flags(&mut self, opts: &DriverOptions) -> Result<()>;
    /// Checks made before anything is created; a failure makes `create` exit 3.
    fn pre_create_check(&self) -> Result<()> {
        Ok(())
    }
    fn create(&mut self) -> Result<()>;
    fn state(&self) -> Result<State>;
    /// The Docker URL; [`HostNotRunning`] when the machine is not running.
    fn url(&self) -> Result<String>;
    fn ip(&self) -> Result<String> {
        let ip = &self.base().ip_address;
        if ip.is_empty() {
            anyhow::bail!("IP address is not set");
        }
        Ok(ip.clone())
    }
    fn ssh_hostname(&self) -> Result<String> {
        self.ip()
    }
    fn ssh_port(&self) -> Result<u16> {
        Ok(self.base().ssh_port_or_default())
    }
    fn ssh_username(&self) -> String {
        self.base().ssh_user_or_default()
    }
    fn ssh_key_path(&self) -> String {
        self.base().ssh_key_path.clone()
    }
    fn start(&mut self) -> Result<()>;
    fn stop(&mut self) -> Result<()>;
    fn restart(&mut self) -> Result<()>;
    fn kill(&mut self) -> Result<()>;
    /// Remove what the driver made outside the store (the store directory is the core's).
    fn remove(&mut self) -> Result<()>;
    /// The port dockerd listens on inside the machine, when it differs from the port of
    /// the Docker URL (a VM reached through a port forward); `None`: the URL's port.
    fn docker_port_in_machine(&self) -> Option<u16> {
        None
    }
    /// While `create` waits for the new machine to run and answer SSH: an error when it
    /// can never come up (its VM process died), so the wait stops at once and says why.
    fn check_booting(&self) -> Result<()> {
        Ok(())
    }
    /// Called by `create` once the new machine is provisioned, with its SSH connection:
    /// a driver may keep what only a provisioned machine gives (the qemu driver's
    /// Docker-ready image). A failure is a warning, the machine is still made.
    fn provisioned(&mut self, _ssh: &dyn crate::ssh::SshClient) -> Result<()> {
        Ok(())
    }
    /// What the driver's machines can do; the core asks this, never the driver's name.
    fn capabilities(&self) -> Capabilities {
        Capabilities { ssh: true }
    }
}

/// What a driver declares about its machines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Reached over SSH: `create` provisions the machine and `start` waits for its
    /// daemon. False for a driver that only records a Docker endpoint (`none`).
    pub ssh: bool,
}

/// The error a driver's `url` returns for a machine that is not running; `ls` hides it.
#[derive(Debug, thiserror::Error)]
#[error("Host is not running")]
pub struct HostNotRunning;

/// The fields every driver object starts with, in the original's order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct BaseDriver {
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    #[serde(rename = "MachineName")]
    pub machine_name: String,
    #[serde(rename = "SSHUser")]
    pub ssh_user: String,
    #[serde(rename = "SSHPort")]
    pub ssh_port: i64,
    #[serde(rename = "SSHKeyPath")]
    pub ssh_key_path: String,
    #[serde(rename = "StorePath")]
    pub store_path: String,
    #[serde(rename = "SwarmMaster")]
    pub swarm_master: bool,
    #[serde(rename = "SwarmHost")]
    pub swarm_host: String,
    #[serde(rename = "SwarmDiscovery")]
    pub swarm_discovery: String,
}

impl BaseDriver {
    pub fn new(machine_name: &str, store_path: &str) -> BaseDriver {
        BaseDriver {
            machine_name: machine_name.to_string(),
            store_path: store_path.to_string(),
            ..Default::default()
        }
    }
    pub fn ssh_user_or_default(&self) -> String {
        if self.ssh_user.is_empty() {
            "root".to_string()
        } else {
            self.ssh_user.clone()
        }
    }
    pub fn ssh_port_or_default(&self) -> u16 {
        u16::try_from(self.ssh_port)
            .ok()
            .filter(|p| *p != 0)
            .unwrap_or(22)
    }
    /// `<store>/machines/<name>`: where the driver keeps its files.
    pub fn machine_dir(&self) -> std::path::PathBuf {
        std::path::Path::new(&self.store_path)
            .join("machines")
            .join(&self.machine_name)
    }
    /// Where the machine's SSH host key is pinned.
    pub fn host_key_pin(&self) -> crate::ssh::HostKeyPin {
        crate::ssh::HostKeyPin::for_machine(&self.machine_dir(), &self.machine_name)
    }
}

/// A driver's entry in the registry.
pub struct DriverSpec {
    pub name: &'static str,
    /// The driver's `create` flags, named `--NAME-...` as in the original.
    pub create_flags: fn() -> Vec<Flag>,
    /// A driver for a machine about to be created.
    pub new: fn(machine_name: &str, store_path: &str) -> Box<dyn Driver>,
    /// A driver from its stored JSON object.
    pub load: fn(Value) -> Result<Box<dyn Driver>>,
    /// False for drivers whose flags are known but whose implementation is still to come.
    pub implemented: bool,
}

/// Every driver this binary knows, in the order `create --help` lists them.
pub static REGISTRY: &[&DriverSpec] = &[
    &amazonec2::SPEC,
    &azure::SPEC,
    &digitalocean::SPEC,
    &exoscale::SPEC,
    &generic::SPEC,
    &google::SPEC,
    &hyperv::SPEC,
    &none::SPEC,
    &qemu::SPEC,
    &openstack::SPEC,
    &rackspace::SPEC,
    &softlayer::SPEC,
    &virtualbox::SPEC,
    &vmwarefusion::SPEC,
    &vmwarevcloudair::SPEC,
    &vmwarevsphere::SPEC,
    // Unit tests only: machines a test scripts (not in the binary).
    #[cfg(test)]
    &fake::SPEC,
];

pub fn find(name: &str) -> Option<&'static DriverSpec> {
    REGISTRY.iter().copied().find(|d| d.name == name)
}

/// The driver for a stored machine. A driver this binary does not know is a third-party
/// plugin: driven over RPC when its binary is on PATH, else kept as raw JSON (DRIVER
/// `not-found`) so that rewriting the file loses nothing.
pub fn load(driver_name: &str, json: Value) -> Result<Box<dyn Driver>> {
    match find(driver_name) {
        Some(spec) => (spec.load)(json),
        None if plugin::find_binary(driver_name).is_some() => {
            Ok(Box::new(plugin::PluginDriver::load(driver_name, json)))
        }
        None => Ok(Box::new(unimplemented::RawDriver::plugin_not_found(
            driver_name,
            json,
        ))),
    }
}

/// What `create` needs of a driver before the machine exists: its create flags, and
/// then the driver itself. A name that is not built in starts its plugin.
pub enum CreateDriver {
    Builtin(&'static DriverSpec),
    Plugin(plugin::PluginForCreate),
}

impl CreateDriver {
    /// The driver called `name`; the error is one line (not found, plugin failed).
    pub fn find(name: &str) -> Result<CreateDriver> {
        match find(name) {
            Some(spec) => Ok(CreateDriver::Builtin(spec)),
            None => Ok(CreateDriver::Plugin(plugin::PluginForCreate::start(name)?)),
        }
    }

    pub fn create_flags(&self) -> Vec<Flag> {
        match self {
            CreateDriver::Builtin(spec) => (spec.create_flags)(),
            CreateDriver::Plugin(p) => p.flags.clone(),
        }
    }

    pub fn implemented(&self) -> bool {
        match self {
            CreateDriver::Builtin(spec) => spec.implemented,
            CreateDriver::Plugin(_) => true,
        }
    }

    /// The driver of the machine about to be created.
    pub fn into_driver(self, machine_name: &str, store_path: &str) -> Result<Box<dyn Driver>> {
        match self {
            CreateDriver::Builtin(spec) => Ok((spec.new)(machine_name, store_path)),
            CreateDriver::Plugin(p) => p.into_driver(machine_name, store_path),
        }
    }
}

/// A driver's create flags at their defaults, as `create` hands them over without any
/// flag given: with `engine-install-url`, the one shared flag drivers read (the
/// boot2docker ones refuse a custom install script).
pub fn default_options(create_flags: &[Flag]) -> DriverOptions {
    let mut opts = DriverOptions::defaults(create_flags);
    opts.insert(
        "engine-install-url",
        crate::mcnflag::FlagValue::String(DEFAULT_ENGINE_INSTALL_URL.into()),
    );
    opts
}

/// The error for a driver name that is neither built in nor a plugin on PATH.
pub fn not_found_error(name: &str) -> String {
    format!(
        "Driver \"{name}\" not found. Do you have the plugin binary \"docker-machine-driver-{name}\" accessible in your PATH?"
    )
}

/// Read a stored driver object: the shared fields and the driver's own struct both come
/// from the one object (the inverse of [`driver_json`]).
pub fn split_driver_json<T: serde::de::DeserializeOwned>(json: Value) -> Result<(BaseDriver, T)> {
    use serde::Deserialize;
    // Read through a reference: `ls` loads every machine, a copy each would show.
    Ok((BaseDriver::deserialize(&json)?, T::deserialize(&json)?))
}

/// The four [`Driver`] methods of a built-in driver that keeps the shared fields in
/// `base` and its own in `own`: its name, the shared fields, and the JSON of both
/// ([`driver_json`]). Used inside `impl Driver for ...`.
macro_rules! base_and_json {
    ($name:literal) => {
        fn driver_name(&self) -> String {
            $name.into()
        }
        fn base(&self) -> &$crate::drivers::BaseDriver {
            &self.base
        }
        fn base_mut(&mut self) -> &mut $crate::drivers::BaseDriver {
            &mut self.base
        }
        fn to_json(&self) -> serde_json::Value {
            $crate::drivers::driver_json(&self.base, &self.own)
        }
    };
}
pub(crate) use base_and_json;

/// Serialise a driver's own struct after the shared fields, as Go's embedding did.
pub fn driver_json<T: Serialize>(base: &BaseDriver, own: &T) -> Value {
    let mut obj = serde_json::to_value(base).expect("base driver serialises");
    if let (Value::Object(map), Ok(Value::Object(extra))) = (&mut obj, serde_json::to_value(own)) {
        map.extend(extra);
    }
    obj
}

pub use crate::gourl::join_host_port;

/// Where SSH reaches a driver's machine (`ssh_hostname`, `ssh_port`, `ssh_username`,
/// `ssh_key_path`; an empty key path means no `-i`), with the host key pinned in the
/// machine's folder.
pub fn ssh_target(driver: &dyn Driver) -> Result<crate::ssh::SshTarget> {
    let host = driver.ssh_hostname()?;
    // Waiting cannot make an empty address resolve.
    if host.is_empty() {
        return Err(NoSshAddress.into());
    }
    let key = driver.ssh_key_path();
    Ok(crate::ssh::SshTarget {
        host,
        port: driver.ssh_port()?,
        user: driver.ssh_username(),
        key_path: (!key.is_empty()).then(|| std::path::PathBuf::from(key)),
        host_key: Some(driver.base().host_key_pin()),
    })
}

/// The error SSH to a machine gives at once when its driver gives no SSH address.
#[derive(Debug, thiserror::Error)]
#[error("the machine's driver gives no SSH address")]
pub struct NoSshAddress;

/// A machine that is running and whose driver gives an empty SSH address (0.16.2's
/// `ci-test` plugin, like `none`, only records a URL): nothing to provision or wait for.
/// 0.16.2 knew these two by name; here the driver says so. A driver that gives no
/// address yet because its machine is still booting is not one of them.
pub fn gives_no_ssh_address(driver: &dyn Driver) -> bool {
    matches!(driver.ssh_hostname(), Ok(host) if host.is_empty())
        && matches!(driver.state(), Ok(State::Running))
}

/// The driver `create` uses without `-d` or `MACHINE_DRIVER`: a local QEMU VM on Linux,
/// VirtualBox (0.16.2's default) on macOS and Windows.
pub fn default_driver() -> &'static str {
    if cfg!(target_os = "linux") {
        "qemu"
    } else {
        "virtualbox"
    }
}

#[cfg(test)]
mod default_driver_tests {
    #[test]
    fn the_default_driver_is_implemented_and_virtualbox_off_linux() {
        let name = super::default_driver();
        assert_eq!(name == "virtualbox", !cfg!(target_os = "linux"));
        assert!(super::find(name).unwrap().implemented, "{name}");
    }
}

#[cfg(test)]
mod registry_tests {
    use super::*;

    /// Each driver configured from its own flags at their defaults: a name it does not
    /// declare (a misspelling) panics in `DriverOptions`. Refusing the defaults (`none`
    /// needs `--url`) is fine here.
    #[test]
    fn every_driver_asks_only_for_flags_it_declares() {
        let store = tempfile::tempdir().unwrap();
        for spec in REGISTRY {
            let opts = default_options(&(spec.create_flags)());
            let mut driver = (spec.new)("m", &store.path().to_string_lossy());
            let _ = driver.set_config_from_flags(&opts);
        }
    }

    #[test]
    fn only_the_none_driver_declares_no_ssh() {
        for spec in REGISTRY {
            let driver = (spec.new)("m", "/s");
            assert_eq!(
                driver.capabilities().ssh,
                spec.name != "none",
                "{}",
                spec.name
            );
        }
    }
}
