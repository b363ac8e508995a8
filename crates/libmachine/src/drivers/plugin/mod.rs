//! Third-party drivers: any driver name that is not built in is the plugin binary
//! `docker-machine-driver-NAME` on PATH, driven over Go's net/rpc with gob as libmachine
//! 0.16.2 drove it (`rpc` is the client, `launch` starts and watches the process).
//!
//! The machine's `config.json` keeps the plugin's own JSON (`GetConfigRaw`) untouched, so
//! the store stays shared with 0.16.2. A loaded machine starts its plugin only when the
//! driver is first asked something, so `rm -f`, `inspect` and `config` of a machine never
//! wait for it.

mod launch;
mod rpc;

pub use launch::{close_all, find_binary, NotFound, API_VERSION};

use super::{BaseDriver, Driver, HostNotRunning};
use crate::gob::{Type, Value};
use crate::mcnflag::{DriverOptions, Flag, FlagKind, FlagValue};
use crate::state::State;
use anyhow::{anyhow, bail, Result};
use launch::Plugin;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// How long a query (state, URL, IP, SSH details, config) may take: `ls`'s default
/// timeout. Actions (create, start, stop, remove...) take as long as they take.
const QUERY_TIMEOUT: Option<Duration> = Some(Duration::from_secs(10));

/// The gob names libmachine registers its `DriverOptions` under: 0.16.2's, then the one
/// plugins built before the rename (libmachine < 0.7) know.
const RPC_FLAGS_NAMES: [&str; 2] = ["*rpcdriver.RPCFlags", "*rpcdriver.RpcFlags"];

pub struct PluginDriver {
    name: String,
    base: BaseDriver,
    /// The plugin's JSON as last seen (as stored, until the plugin is asked).
    json: Mutex<serde_json::Value>,
    plugin: OnceLock<std::result::Result<Arc<Plugin>, String>>,
}

/// A plugin started for `create`: its flags are known, its machine not yet.
pub struct PluginForCreate {
    name: String,
    plugin: Arc<Plugin>,
    pub flags: Vec<Flag>,
}

impl PluginForCreate {
    /// Start the plugin and ask for its create flags.
    pub fn start(name: &str) -> Result<PluginForCreate> {
        let plugin = Plugin::start(name)?;
        let reply = plugin.call_empty("GetCreateFlags", QUERY_TIMEOUT)?;
        let flags = create_flags(&reply)?;
        Ok(PluginForCreate {
            name: name.to_string(),
            plugin,
            flags,
        })
    }

    /// The driver of the new machine: the plugin gets the base fields as its config.
    pub fn into_driver(self, machine_name: &str, store_path: &str) -> Result<Box<dyn Driver>> {
        let base = BaseDriver::new(machine_name, store_path);
        let json = serde_json::to_value(&base)?;
        set_config_raw(&self.plugin, &json)?;
        self.plugin.set_label(machine_name);
        let cell = OnceLock::new();
        let _ = cell.set(Ok(self.plugin));
        Ok(Box::new(PluginDriver {
            name: self.name,
            base,
            json: Mutex::new(json),
            plugin: cell,
        }))
    }
}

impl PluginDriver {
    /// A stored machine of a plugin driver (the plugin starts when first needed).
    pub fn load(name: &str, json: serde_json::Value) -> PluginDriver {
        let base = serde::Deserialize::deserialize(&json).unwrap_or_default();
        PluginDriver {
            name: name.to_string(),
            base,
            json: Mutex::new(json),
            plugin: OnceLock::new(),
        }
    }

    fn plugin(&self) -> Result<&Plugin> {
        let started = self.plugin.get_or_init(|| {
            let json = self.json.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let plugin = Plugin::start(&self.name).map_err(|e| format!("{e:#}"))?;
            set_config_raw(&plugin, &json).map_err(|e| format!("{e:#}"))?;
            plugin.set_label(&self.base.machine_name);
            Ok(plugin)
        });
        match started {
            Ok(p) => Ok(p),
            Err(e) => Err(anyhow!("{e}")),
        }
    }

    fn query(&self, method: &str) -> Result<Value> {
        self.plugin()?.call_empty(method, QUERY_TIMEOUT)
    }

    fn string(&self, method: &str) -> Result<String> {
        Ok(self.query(method)?.str().to_string())
    }

    /// An action, then the plugin's config read back (the fields it changed).
    fn act(&mut self, method: &str) -> Result<()> {
        self.plugin()?.call_empty(method, None)?;
        self.refresh();
        Ok(())
    }

    /// Read the plugin's config back into the stored JSON and the base fields.
    fn refresh(&mut self) {
        if let Some(json) = self.config_raw() {
            self.base = serde_json::from_value(json).unwrap_or_else(|_| self.base.clone());
        }
    }

    /// The plugin's current JSON (also kept as the stored copy); `None` if it cannot say.
    fn config_raw(&self) -> Option<serde_json::Value> {
        let Some(Ok(plugin)) = self.plugin.get() else {
            return None;
        };
        let reply = plugin.call_empty("GetConfigRaw", QUERY_TIMEOUT).ok()?;
        let json: serde_json::Value = match &reply {
            Value::Bytes(b) => serde_json::from_slice(b).ok()?,
            _ => return None,
        };
        *self.json.lock().unwrap_or_else(|e| e.into_inner()) = json.clone();
        Some(json)
    }
}

fn set_config_raw(plugin: &Plugin, json: &serde_json::Value) -> Result<()> {
    let raw = serde_json::to_vec(json)?;
    plugin.call(
        "SetConfigRaw",
        &Type::Bytes,
        &Value::Bytes(raw),
        QUERY_TIMEOUT,
    )?;
    Ok(())
}

/// The flags from `GetCreateFlags`: a slice of interface values holding mcnflag types.
fn create_flags(reply: &Value) -> Result<Vec<Flag>> {
    let Value::Slice(items) = reply else {
        bail!("the plugin's create flags are not a list");
    };
    let mut flags = Vec::new();
    for item in items {
        let Value::Interface(Some(c)) = item else {
            continue;
        };
        let v = &c.value;
        let text = |k: &str| v.field(k).map(Value::str).unwrap_or_default().to_string();
        let (name, usage, env) = (text("Name"), text("Usage"), text("EnvVar"));
        let kind = match c.name.as_str() {
            "*mcnflag.StringFlag" => FlagKind::String(text("Value")),
            "*mcnflag.IntFlag" => FlagKind::Int(v.field("Value").map(Value::int).unwrap_or(0)),
            "*mcnflag.BoolFlag" => FlagKind::Bool,
            "*mcnflag.StringSliceFlag" => FlagKind::StringSlice(match v.field("Value") {
                Some(Value::Slice(items)) => items.iter().map(|s| s.str().to_string()).collect(),
                _ => Vec::new(),
            }),
            other => {
                crate::warn!("Flag type {other} of flag {name} is not supported");
                continue;
            }
        };
        flags.push(Flag {
            name,
            usage,
            env,
            kind,
        });
    }
    Ok(flags)
}

/// The flag values as libmachine's `RPCFlags{Values map[string]interface{}}`.
fn rpc_flags(opts: &DriverOptions, type_name: &str) -> Value {
    let strings = Type::Slice(Box::new(Type::String));
    let entries = opts
        .iter()
        .map(|(k, v)| {
            let v = match v {
                FlagValue::Bool(b) => Value::interface("bool", Type::Bool, Value::Bool(*b)),
                FlagValue::Int(i) => Value::interface("int", Type::Int, Value::Int(*i)),
                FlagValue::String(s) => {
                    Value::interface("string", Type::String, Value::String(s.clone()))
                }
                FlagValue::StringSlice(l) => Value::interface(
                    "[]string",
                    strings.clone(),
                    Value::Slice(l.iter().map(|s| Value::String(s.clone())).collect()),
                ),
            };
            (Value::String(k.to_string()), v)
        })
        .collect();
    let ty = Type::structure(
        "RPCFlags",
        &[(
            "Values",
            Type::Map(Box::new(Type::String), Box::new(Type::Interface)),
        )],
    );
    Value::interface(
        type_name,
        ty,
        Value::Struct(vec![("Values".into(), Value::Map(entries))]),
    )
}

fn state_from(n: i64) -> State {
    match n {
        1 => State::Running,
        2 => State::Paused,
        3 => State::Saved,
        4 => State::Stopped,
        5 => State::Stopping,
        6 => State::Starting,
        7 => State::Error,
        8 => State::Timeout,
        _ => State::None,
    }
}

impl Driver for PluginDriver {
    fn driver_name(&self) -> String {
        self.name.clone()
    }
    fn base(&self) -> &BaseDriver {
        &self.base
    }
    fn base_mut(&mut self) -> &mut BaseDriver {
        &mut self.base
    }
    fn to_json(&self) -> serde_json::Value {
        self.config_raw()
            .unwrap_or_else(|| self.json.lock().unwrap_or_else(|e| e.into_inner()).clone())
    }
    fn set_config_from_flags(&mut self, opts: &DriverOptions) -> Result<()> {
        let plugin = self.plugin()?;
        let mut result = Ok(Value::Struct(Vec::new()));
        for name in RPC_FLAGS_NAMES {
            result = plugin.call(
                "SetConfigFromFlags",
                &Type::Interface,
                &rpc_flags(opts, name),
                QUERY_TIMEOUT,
            );
            match &result {
                Err(e) if e.to_string().contains("name not registered for interface") => {}
                _ => break,
            }
        }
        result?;
        self.refresh();
        Ok(())
    }
    fn pre_create_check(&self) -> Result<()> {
        self.plugin()?.call_empty("PreCreateCheck", None)?;
        Ok(())
    }
    fn create(&mut self) -> Result<()> {
        self.act("Create")
    }
    fn state(&self) -> Result<State> {
        Ok(state_from(self.query("GetState")?.int()))
    }
    fn url(&self) -> Result<String> {
        match self.string("GetURL") {
            Err(e) if e.to_string() == HostNotRunning.to_string() => Err(HostNotRunning.into()),
            other => other,
        }
    }
    fn ip(&self) -> Result<String> {
        self.string("GetIP")
    }
    fn ssh_hostname(&self) -> Result<String> {
        self.string("GetSSHHostname")
    }
    fn ssh_port(&self) -> Result<u16> {
        let port = self.query("GetSSHPort")?.int();
        u16::try_from(port).map_err(|_| anyhow!("invalid SSH port {port}"))
    }
    fn ssh_username(&self) -> String {
        self.string("GetSSHUsername")
            .unwrap_or_else(|_| self.base.ssh_user_or_default())
    }
    fn ssh_key_path(&self) -> String {
        self.string("GetSSHKeyPath")
            .unwrap_or_else(|_| self.base.ssh_key_path.clone())
    }
    fn start(&mut self) -> Result<()> {
        self.act("Start")
    }
    fn stop(&mut self) -> Result<()> {
        self.act("Stop")
    }
    fn restart(&mut self) -> Result<()> {
        self.act("Restart")
    }
    fn kill(&mut self) -> Result<()> {
        self.act("Kill")
    }
    fn remove(&mut self) -> Result<()> {
        self.plugin()?.call_empty("Remove", None)?;
        Ok(())
    }
}
