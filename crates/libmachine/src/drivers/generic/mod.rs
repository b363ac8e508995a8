//! The `generic` driver: an existing Linux server reached over SSH. Nothing is created
//! remotely by the driver; provisioning installs and configures Docker on it.

use super::{BaseDriver, Driver, DriverSpec, HostNotRunning};
use crate::mcnflag::{DriverOptions, Flag};
use crate::state::State;
use anyhow::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

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
    ]
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Own {
    #[serde(rename = "EnginePort")]
    engine_port: i64,
    #[serde(rename = "SSHKey")]
    ssh_key: String,
}

pub struct GenericDriver {
    base: BaseDriver,
    own: Own,
}

impl GenericDriver {
    pub fn new(machine_name: &str, store_path: &str) -> GenericDriver {
        GenericDriver {
            base: BaseDriver::new(machine_name, store_path),
            own: Own {
                engine_port: 2376,
                ssh_key: String::new(),
            },
        }
    }

    fn from_json(json: Value) -> Result<GenericDriver> {
        Ok(GenericDriver {
            base: serde_json::from_value(json.clone())?,
            own: serde_json::from_value(json)?,
        })
    }

    fn log(&self, msg: &str) {
        crate::log::info(&format!("({}) {msg}", self.base.machine_name));
    }
}

/// `host:port`, with IPv6 literals bracketed (Go's `net.JoinHostPort`).
pub fn join_host_port(host: &str, port: i64) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

impl Driver for GenericDriver {
    fn driver_name(&self) -> String {
        "generic".into()
    }
    fn base(&self) -> &BaseDriver {
        &self.base
    }
    fn base_mut(&mut self) -> &mut BaseDriver {
        &mut self.base
    }
    fn to_json(&self) -> Value {
        super::driver_json(&self.base, &self.own)
    }
    fn set_config_from_flags(&mut self, opts: &DriverOptions) -> Result<()> {
        self.own.engine_port = opts.int("generic-engine-port");
        self.base.ip_address = opts.string("generic-ip-address");
        self.base.ssh_user = opts.string("generic-ssh-user");
        self.own.ssh_key = opts.string("generic-ssh-key");
        self.base.ssh_port = opts.int("generic-ssh-port");
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
        crate::store::copy_private(src, &dest)?;
        let public = src.with_file_name(format!("{}.pub", name.to_string_lossy()));
        if public.exists() {
            let dest_pub = dest.with_file_name(format!("{}.pub", name.to_string_lossy()));
            if let Err(err) = crate::store::copy_private(&public, &dest_pub) {
                crate::debug!("could not copy the public key {}: {err}", public.display());
            }
        }
        self.base.ssh_key_path = dest.to_string_lossy().into_owned();
        Ok(())
    }
    fn state(&self) -> Result<State> {
        let addr = join_host_port(&self.ip()?, i64::from(self.ssh_port()?));
        let reachable = addr
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
            .is_some_and(|a| TcpStream::connect_timeout(&a, Duration::from_secs(15)).is_ok());
        Ok(if reachable {
            State::Running
        } else {
            State::Stopped
        })
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
    fn restart(&mut self) -> Result<()> {
        bail!("generic driver does not support restart yet")
    }
    fn kill(&mut self) -> Result<()> {
        bail!("generic driver does not support kill")
    }
    fn remove(&mut self) -> Result<()> {
        Ok(())
    }
}
