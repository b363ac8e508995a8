//! Drivers whose configuration this binary keeps but cannot act on: the original's core
//! drivers that are not implemented yet (their flags are registered so `create --help`
//! and old scripts keep working) and third-party plugins that are not installed.

use super::{BaseDriver, Driver};
use crate::mcnflag::DriverOptions;
use crate::state::State;
use anyhow::{bail, Result};
use serde_json::Value;

/// A driver known only by its stored JSON, which is written back untouched.
pub struct RawDriver {
    stored_name: String,
    shown_name: String,
    json: Value,
    base: BaseDriver,
    reason: String,
}

impl RawDriver {
    /// A core driver of the original whose implementation is still to come.
    pub fn unimplemented(name: &str, json: Value) -> RawDriver {
        let reason = format!(
            "the \"{name}\" driver is not implemented by this docker-machine yet (its machines are kept, listed and can be removed)"
        );
        RawDriver::new(name, name, json, reason)
    }

    /// A third-party driver whose plugin binary is not available.
    pub fn plugin_not_found(name: &str, json: Value) -> RawDriver {
        RawDriver::new(name, "not-found", json, super::not_found_error(name))
    }

    fn new(stored_name: &str, shown_name: &str, json: Value, reason: String) -> RawDriver {
        let base = serde::Deserialize::deserialize(&json).unwrap_or_default();
        RawDriver {
            stored_name: stored_name.to_string(),
            shown_name: shown_name.to_string(),
            json,
            base,
            reason,
        }
    }

    pub fn stored_name(&self) -> &str {
        &self.stored_name
    }

    fn refuse<T>(&self) -> Result<T> {
        bail!("{}", self.reason)
    }
}

impl Driver for RawDriver {
    fn driver_name(&self) -> String {
        self.shown_name.clone()
    }
    fn base(&self) -> &BaseDriver {
        &self.base
    }
    fn base_mut(&mut self) -> &mut BaseDriver {
        &mut self.base
    }
    fn to_json(&self) -> Value {
        self.json.clone()
    }
    fn set_config_from_flags(&mut self, _opts: &DriverOptions) -> Result<()> {
        self.refuse()
    }
    fn pre_create_check(&self) -> Result<()> {
        self.refuse()
    }
    fn create(&mut self) -> Result<()> {
        self.refuse()
    }
    fn state(&self) -> Result<State> {
        self.refuse()
    }
    fn url(&self) -> Result<String> {
        self.refuse()
    }
    fn start(&mut self) -> Result<()> {
        self.refuse()
    }
    fn stop(&mut self) -> Result<()> {
        self.refuse()
    }
    fn restart(&mut self) -> Result<()> {
        self.refuse()
    }
    fn kill(&mut self) -> Result<()> {
        self.refuse()
    }
    /// Nothing of ours exists outside the store, so removing the local copy is all.
    fn remove(&mut self) -> Result<()> {
        Ok(())
    }
}

/// Declare the registry entry of a core driver that has flags but no implementation yet.
macro_rules! flags_only_driver {
    ($name:literal, $flags:path) => {
        pub static SPEC: $crate::drivers::DriverSpec = $crate::drivers::DriverSpec {
            name: $name,
            create_flags: $flags,
            new: |machine_name, store_path| {
                let base = $crate::drivers::BaseDriver::new(machine_name, store_path);
                let json = serde_json::to_value(base).expect("base driver serialises");
                Box::new($crate::drivers::unimplemented::RawDriver::unimplemented(
                    $name, json,
                ))
            },
            load: |json| {
                Ok(Box::new(
                    $crate::drivers::unimplemented::RawDriver::unimplemented($name, json),
                ))
            },
            implemented: false,
        };
    };
}
pub(crate) use flags_only_driver;
