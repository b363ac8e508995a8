//! A machine: its name, driver and options, as stored in `config.json` (version 3).

use crate::drivers::Driver;
use crate::options::HostOptions;
use serde::Serialize;
use serde_json::Value;

/// The `config.json` version this binary writes.
pub const CONFIG_VERSION: i64 = 3;

pub struct Host {
    pub config_version: i64,
    pub driver_name: String,
    pub options: HostOptions,
    pub name: String,
    pub driver: Box<dyn Driver>,
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
mod tests {
    use super::valid_host_name;

    #[test]
    fn host_names() {
        for ok in ["a", "dev", "web-1.example", "0abc"] {
            assert!(valid_host_name(ok), "{ok}");
        }
        for bad in ["", "-a", ".a", "a_b", "a b", "é", "a/b"] {
            assert!(!valid_host_name(bad), "{bad}");
        }
    }
}
