//! Reading `config.json`, including the three older versions the original migrated.
//!
//! v0 kept TLS paths and swarm settings flat at the top level; v1 nested them but called
//! the CA key `PrivateKeyPath` and had no `CertDir`; v2 lacked `Driver.StorePath`.
//! The original wrote `"StorePath": "."` when migrating v2 (its bug 13); we write the
//! real store path.

use crate::drivers;
use crate::host::{Host, CONFIG_VERSION};
use crate::options::HostOptions;
use anyhow::{anyhow, bail, Result};
use serde_json::{json, Map, Value};
use std::path::Path;

/// A `config.json` of the current version, read straight into its types: `ls` reads
/// every machine's, and building a JSON tree of the whole file first cost more than
/// the rest of the load. Anything else (an older version, a value of the wrong type)
/// takes the general path of [`load_host`], which also words the errors.
#[derive(serde::Deserialize)]
struct Current {
    #[serde(rename = "ConfigVersion")]
    version: Option<i64>,
    #[serde(rename = "DriverName")]
    driver_name: Option<String>,
    #[serde(rename = "HostOptions")]
    options: Option<HostOptions>,
    #[serde(rename = "Driver")]
    driver: Option<Value>,
}

/// The host of a current `config.json`; `None` when the general path must decide.
fn load_current(name: &str, data: &[u8]) -> Option<Result<Host>> {
    let current: Current = serde_json::from_slice(data).ok()?;
    if current.version != Some(CONFIG_VERSION) {
        return None;
    }
    let driver_json = match current.driver {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(object @ Value::Object(_)) => object,
        Some(_) => return None,
    };
    let driver_name = current.driver_name.unwrap_or_default();
    Some(drivers::load(&driver_name, driver_json).map(|driver| Host {
        config_version: CONFIG_VERSION,
        driver_name,
        options: current.options.unwrap_or_default(),
        name: name.to_string(),
        driver,
        polling: Default::default(),
    }))
}

/// Parse a stored machine. Returns the host and whether it had to be migrated.
pub fn load_host(name: &str, data: &[u8], store_path: &Path) -> Result<(Host, bool)> {
    match load_current(name, data) {
        Some(loaded) => loaded.map(|host| (host, false)),
        None => load_any(name, data, store_path),
    }
}

/// [`load_host`] for any version, through a JSON tree.
fn load_any(name: &str, data: &[u8], store_path: &Path) -> Result<(Host, bool)> {
    let mut doc: Value = serde_json::from_slice(data)?;
    let Value::Object(obj) = &mut doc else {
        bail!(
            "json: cannot unmarshal {} into Go value of type host.Host",
            json_kind(&doc)
        );
    };
    let version = match obj.get("ConfigVersion") {
        None | Some(Value::Null) => 0,
        Some(v) => v.as_i64().ok_or_else(|| {
            anyhow!(
                "json: cannot unmarshal {} into Go struct field Host.ConfigVersion of type int",
                json_kind(v)
            )
        })?,
    };
    if version > CONFIG_VERSION {
        bail!("config version is from the future -- you should upgrade your Docker Machine client");
    }
    let store = store_path.to_string_lossy().into_owned();
    let machine_dir = store_path
        .join("machines")
        .join(name)
        .to_string_lossy()
        .into_owned();
    if version < 1 {
        migrate_v0_to_v1(obj);
    }
    if version < 2 {
        migrate_v1_to_v2(obj, &store, &machine_dir);
    }
    if version < 3 {
        migrate_v2_to_v3(obj, &store);
    }

    let driver_name = match obj.get("DriverName") {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => String::new(),
        Some(v) => bail!(
            "json: cannot unmarshal {} into Go struct field Host.DriverName of type string",
            json_kind(v)
        ),
    };
    let options: HostOptions = match obj.get("HostOptions") {
        None | Some(Value::Null) => HostOptions::default(),
        Some(v) => serde::Deserialize::deserialize(v)?,
    };
    let driver_json = match obj.remove("Driver") {
        Some(Value::Object(m)) => Value::Object(m),
        None | Some(Value::Null) => Value::Object(Map::new()),
        // Go decodes it into the driver's struct, which a number or a string cannot be.
        Some(v) => bail!(
            "json: cannot unmarshal {} into Go value of type {}.Driver",
            json_kind(&v),
            if driver_name.is_empty() {
                "drivers"
            } else {
                &driver_name
            }
        ),
    };
    let driver = drivers::load(&driver_name, driver_json)?;
    let host = Host {
        config_version: CONFIG_VERSION,
        driver_name,
        options,
        // The directory name wins over whatever the file says.
        name: name.to_string(),
        driver,
        polling: Default::default(),
    };
    Ok((host, version < CONFIG_VERSION))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn take_string(obj: &mut Map<String, Value>, key: &str) -> Value {
    match obj.remove(key) {
        Some(v @ Value::String(_)) => v,
        _ => Value::String(String::new()),
    }
}

/// v0 -> v1: flat TLS paths and swarm fields move into `HostOptions`.
fn migrate_v0_to_v1(obj: &mut Map<String, Value>) {
    let auth = json!({
        "StorePath": take_string(obj, "StorePath"),
        "CaCertPath": take_string(obj, "CaCertPath"),
        "CaCertRemotePath": "",
        "ServerCertPath": take_string(obj, "ServerCertPath"),
        "ServerKeyPath": take_string(obj, "ServerKeyPath"),
        "ClientKeyPath": take_string(obj, "ClientKeyPath"),
        "ServerCertRemotePath": "",
        "ServerKeyRemotePath": "",
        "PrivateKeyPath": take_string(obj, "PrivateKeyPath"),
        "ClientCertPath": take_string(obj, "ClientCertPath"),
    });
    let swarm = json!({
        "Address": "",
        "Discovery": take_string(obj, "SwarmDiscovery"),
        "Host": take_string(obj, "SwarmHost"),
        "Master": obj.remove("SwarmMaster").and_then(|v| v.as_bool()).unwrap_or(false),
    });
    let engine = json!({"TlsVerify": true, "InstallURL": drivers::DEFAULT_ENGINE_INSTALL_URL});
    obj.insert(
        "HostOptions".into(),
        json!({"EngineOptions": engine, "SwarmOptions": swarm, "AuthOptions": auth}),
    );
}

/// v1 -> v2: `AuthOptions.PrivateKeyPath` becomes `CaPrivateKeyPath`; `CertDir` appears.
fn migrate_v1_to_v2(obj: &mut Map<String, Value>, store: &str, machine_dir: &str) {
    let certs = Path::new(store)
        .join("certs")
        .to_string_lossy()
        .into_owned();
    let options = obj.entry("HostOptions").or_insert_with(|| json!({}));
    if !options.is_object() {
        *options = json!({});
    }
    let auth = options
        .as_object_mut()
        .expect("object")
        .entry("AuthOptions")
        .or_insert_with(|| json!({}));
    if !auth.is_object() {
        *auth = json!({});
    }
    let auth = auth.as_object_mut().expect("object");
    let ca_key = take_string(auth, "PrivateKeyPath");
    auth.entry("CaPrivateKeyPath").or_insert(ca_key);
    auth.insert("CertDir".into(), Value::String(certs));
    auth.insert("StorePath".into(), Value::String(machine_dir.to_string()));
}

/// v2 -> v3: the driver object learns the store path (plugins need it).
fn migrate_v2_to_v3(obj: &mut Map<String, Value>, store: &str) {
    if let Some(Value::Object(driver)) = obj.get_mut("Driver") {
        driver.insert("StorePath".into(), Value::String(store.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct read of a current `config.json` gives what the general path gives, for
    /// every machine of the fixture store 0.16.2 wrote.
    #[test]
    fn a_current_config_reads_the_same_either_way() {
        let store = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/store-0.16.2");
        let mut checked = 0;
        for entry in std::fs::read_dir(store.join("machines")).unwrap() {
            let dir = entry.unwrap().path();
            let name = dir.file_name().unwrap().to_str().unwrap();
            let data = std::fs::read(dir.join("config.json")).unwrap();
            let Some(direct) = load_current(name, &data) else {
                continue;
            };
            let (general, migrated) = load_any(name, &data, &store).unwrap();
            assert!(!migrated, "{name}");
            assert_eq!(
                direct.unwrap().to_json_pretty(),
                general.to_json_pretty(),
                "{name}"
            );
            checked += 1;
        }
        assert!(checked >= 5, "{checked} machines");
        // Older, or a value of another type: the general path decides and words errors.
        for doc in [
            r#"{"ConfigVersion": 2, "Driver": {}}"#,
            r#"{"ConfigVersion": 3, "Driver": 1}"#,
            r#"{"ConfigVersion": 3, "DriverName": 7}"#,
            r#"{"ConfigVersion": 3, "HostOptions": {"Memory": "x"}}"#,
            "[]",
        ] {
            assert!(load_current("m", doc.as_bytes()).is_none(), "{doc}");
        }
    }
}
