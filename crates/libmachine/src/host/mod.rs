//! A machine: its name, driver and options, as stored in `config.json` (version 3).

pub mod connection;
mod ops;
pub use ops::regenerate_local_certs;

use crate::drivers::Driver;
use crate::options::HostOptions;
use crate::state::State;
use anyhow::{bail, Result};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// The `config.json` version this binary writes.
pub const CONFIG_VERSION: i64 = 3;

pub struct Host {
    pub config_version: i64,
    pub driver_name: String,
    pub options: HostOptions,
    pub name: String,
    pub driver: Box<dyn Driver>,
    /// How the machine's state is polled while waiting for it to change.
    pub polling: Polling,
}

/// How often and how many times the machine's state is polled while waiting for it to
/// change; by default every 3 s, 60 times, as the original's `mcnutils.WaitFor`. Tests
/// poll faster.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Polling {
    pub interval: Duration,
    pub attempts: u32,
}

impl Default for Polling {
    fn default() -> Self {
        Polling {
            interval: Duration::from_secs(3),
            attempts: 60,
        }
    }
}

impl Polling {
    /// Poll `done` until it holds, at most `attempts` times.
    pub fn wait_for(&self, mut done: impl FnMut() -> bool) -> Result<()> {
        for attempt in 0..self.attempts {
            if done() {
                return Ok(());
            }
            if attempt + 1 < self.attempts {
                std::thread::sleep(self.interval);
            }
        }
        bail!("Maximum number of retries ({}) exceeded", self.attempts)
    }
}

/// The on-disk shape, in the original's field order.
#[derive(Serialize)]
struct HostFile<'a> {
    #[serde(rename = "ConfigVersion")]
    config_version: i64,
    #[serde(rename = "Driver")]
    driver: Value,
    #[serde(rename = "DriverName")]
    driver_name: &'a str,
    #[serde(rename = "HostOptions")]
    options: &'a HostOptions,
    #[serde(rename = "Name")]
    name: &'a str,
}

impl Host {
    /// The machine as the JSON object written to `config.json` and shown by `inspect`.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self.file()).expect("host serialises")
    }

    /// `config.json` bytes: Go's 4-space indent, no trailing newline.
    pub fn to_json_pretty(&self) -> String {
        crate::jsonfmt::to_string_pretty(&self.file()).expect("host serialises")
    }

    pub fn start(&mut self) -> Result<()> {
        crate::info!("Starting \"{}\"...", self.name);
        self.act_until(State::Running, |d| d.start())?;
        crate::info!("Machine \"{}\" was started.", self.name);
        self.wait_for_docker()
    }

    pub fn stop(&mut self) -> Result<()> {
        crate::info!("Stopping \"{}\"...", self.name);
        self.act_until(State::Stopped, |d| d.stop())?;
        crate::info!("Machine \"{}\" was stopped.", self.name);
        Ok(())
    }

    pub fn kill(&mut self) -> Result<()> {
        crate::info!("Killing \"{}\"...", self.name);
        self.act_until(State::Stopped, |d| d.kill())?;
        crate::info!("Machine \"{}\" was killed.", self.name);
        Ok(())
    }

    /// A stopped machine is started; a running one restarted by its driver.
    pub fn restart(&mut self) -> Result<()> {
        crate::info!("Restarting \"{}\"...", self.name);
        match self.driver.state()? {
            State::Stopped => return self.start(),
            State::Running => {
                self.driver.restart()?;
                self.wait_until(State::Running)?;
            }
            _ => {}
        }
        self.wait_for_docker()
    }

    /// Run a driver action unless the machine is already in `desired`, then wait for it.
    fn act_until(
        &mut self,
        desired: State,
        action: impl FnOnce(&mut dyn Driver) -> Result<()>,
    ) -> Result<()> {
        if self.driver.state()? == desired {
            let word = if desired == State::Running {
                "running"
            } else {
                "stopped"
            };
            bail!("Machine \"{}\" is already {word}.", self.name);
        }
        action(self.driver.as_mut())?;
        self.wait_until(desired)
    }

    /// Poll the driver until the machine is in `state`.
    fn wait_until(&self, state: State) -> Result<()> {
        self.polling
            .wait_for(|| matches!(self.driver.state(), Ok(s) if s == state))
    }

    /// After a (re)start: wait for SSH, detect the OS again, and wait until the daemon
    /// listens on the Docker URL's port (the original always checked 2376).
    /// Drivers without SSH (none) have nothing to wait for.
    fn wait_for_docker(&mut self) -> Result<()> {
        ops::wait_for_docker(self)
    }

    fn file(&self) -> HostFile<'_> {
        HostFile {
            config_version: self.config_version,
            driver: self.driver.to_json(),
            driver_name: &self.driver_name,
            options: &self.options,
            name: &self.name,
        }
    }
}

/// Names the original accepts: `^[a-zA-Z0-9][a-zA-Z0-9\-\.]*$`.
pub fn valid_host_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
}

#[cfg(test)]
pub(crate) mod tests;
