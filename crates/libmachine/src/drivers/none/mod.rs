//! The `none` driver: records the URL of an existing Docker endpoint; nothing is created.

use super::{BaseDriver, Capabilities, Driver, DriverSpec};
use crate::mcnflag::{DriverOptions, Flag};
use crate::state::State;
use anyhow::{bail, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub static SPEC: DriverSpec = DriverSpec {
    name: "none",
    create_flags,
    new: |machine_name, store_path| Box::new(NoneDriver::new(machine_name, store_path)),
    load: |json| Ok(Box::new(NoneDriver::from_json(json)?)),
    implemented: true,
};

fn create_flags() -> Vec<Flag> {
    // The original's one unprefixed driver flag.
    vec![Flag::string(
        "url",
        "",
        "URL of host when no driver is selected",
        "",
    )]
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Own {
    #[serde(rename = "URL")]
    url: String,
}

pub struct NoneDriver {
    base: BaseDriver,
    own: Own,
}

impl NoneDriver {
    pub fn new(machine_name: &str, store_path: &str) -> NoneDriver {
        NoneDriver {
            base: BaseDriver::new(machine_name, store_path),
            own: Own::default(),
        }
    }

    fn from_json(json: Value) -> Result<NoneDriver> {
        let (base, own) = super::split_driver_json(json)?;
        Ok(NoneDriver { base, own })
    }
}

impl Driver for NoneDriver {
    super::base_and_json!("none");
    fn set_config_from_flags(&mut self, opts: &DriverOptions) -> Result<()> {
        let url = opts.string("url");
        if url.is_empty() {
            bail!("--url option is required when no driver is selected");
        }
        // Whatever Go's url.Parse took: `--url none` is a relative URL with no host.
        self.base.ip_address = crate::gourl::parse(&url)?.host;
        self.own.url = url;
        Ok(())
    }
    fn create(&mut self) -> Result<()> {
        Ok(())
    }
    fn state(&self) -> Result<State> {
        Ok(State::Running)
    }
    fn url(&self) -> Result<String> {
        Ok(self.own.url.clone())
    }
    /// The URL's host as stored, even when empty (`--url none`), as the original.
    fn ip(&self) -> Result<String> {
        Ok(self.base.ip_address.clone())
    }
    fn ssh_hostname(&self) -> Result<String> {
        bail!("No SSH access to hosts without a driver")
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities { ssh: false }
    }
    fn start(&mut self) -> Result<()> {
        bail!("hosts without a driver cannot be started")
    }
    fn stop(&mut self) -> Result<()> {
        bail!("hosts without a driver cannot be stopped")
    }
    fn restart(&mut self) -> Result<()> {
        bail!("hosts without a driver cannot be restarted")
    }
    fn kill(&mut self) -> Result<()> {
        bail!("hosts without a driver cannot be killed")
    }
    fn remove(&mut self) -> Result<()> {
        Ok(())
    }
}
