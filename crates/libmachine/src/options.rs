//! The host options stored in `config.json` (`HostOptions` and its three parts).
//! Field order and key names are the original's: Go wrote them in struct order.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// `HostOptions`: `Driver`, `Memory` and `Disk` are legacy fields, always empty.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct HostOptions {
    #[serde(rename = "Driver")]
    pub driver: String,
    #[serde(rename = "Memory")]
    pub memory: i64,
    #[serde(rename = "Disk")]
    pub disk: i64,
    #[serde(rename = "EngineOptions", deserialize_with = "null_as_default")]
    pub engine: EngineOptions,
    #[serde(rename = "SwarmOptions", deserialize_with = "null_as_default")]
    pub swarm: SwarmOptions,
    #[serde(rename = "AuthOptions", deserialize_with = "null_as_default")]
    pub auth: AuthOptions,
}

/// `EngineOptions`: how the Docker daemon on the machine is configured.
/// Lists are `Option` because Go distinguishes `null` (never set) from `[]`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct EngineOptions {
    #[serde(rename = "ArbitraryFlags")]
    pub arbitrary_flags: Option<Vec<String>>,
    #[serde(rename = "Dns")]
    pub dns: Option<Vec<String>>,
    #[serde(rename = "GraphDir")]
    pub graph_dir: String,
    #[serde(rename = "Env")]
    pub env: Option<Vec<String>>,
    #[serde(rename = "Ipv6")]
    pub ipv6: bool,
    #[serde(rename = "InsecureRegistry")]
    pub insecure_registry: Option<Vec<String>>,
    #[serde(rename = "Labels")]
    pub labels: Option<Vec<String>>,
    #[serde(rename = "LogLevel")]
    pub log_level: String,
    #[serde(rename = "StorageDriver")]
    pub storage_driver: String,
    #[serde(rename = "SelinuxEnabled")]
    pub selinux_enabled: bool,
    #[serde(rename = "TlsVerify")]
    pub tls_verify: bool,
    #[serde(rename = "RegistryMirror")]
    pub registry_mirror: Option<Vec<String>>,
    #[serde(rename = "InstallURL")]
    pub install_url: String,
}

/// `SwarmOptions`: legacy (pre swarm-mode) Swarm settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct SwarmOptions {
    #[serde(rename = "IsSwarm")]
    pub is_swarm: bool,
    #[serde(rename = "Address")]
    pub address: String,
    #[serde(rename = "Discovery")]
    pub discovery: String,
    #[serde(rename = "Agent")]
    pub agent: bool,
    #[serde(rename = "Master")]
    pub master: bool,
    #[serde(rename = "Host")]
    pub host: String,
    #[serde(rename = "Image")]
    pub image: String,
    #[serde(rename = "Strategy")]
    pub strategy: String,
    #[serde(rename = "Heartbeat")]
    pub heartbeat: i64,
    #[serde(rename = "Overcommit")]
    pub overcommit: GoFloat,
    #[serde(rename = "ArbitraryFlags")]
    pub arbitrary_flags: Option<Vec<String>>,
    #[serde(rename = "ArbitraryJoinFlags")]
    pub arbitrary_join_flags: Option<Vec<String>>,
    #[serde(rename = "Env")]
    pub env: Option<Vec<String>>,
    #[serde(rename = "IsExperimental")]
    pub is_experimental: bool,
}

/// `AuthOptions`: where the TLS material of a machine lives.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct AuthOptions {
    #[serde(rename = "CertDir")]
    pub cert_dir: String,
    #[serde(rename = "CaCertPath")]
    pub ca_cert_path: String,
    #[serde(rename = "CaPrivateKeyPath")]
    pub ca_private_key_path: String,
    #[serde(rename = "CaCertRemotePath")]
    pub ca_cert_remote_path: String,
    #[serde(rename = "ServerCertPath")]
    pub server_cert_path: String,
    #[serde(rename = "ServerKeyPath")]
    pub server_key_path: String,
    #[serde(rename = "ClientKeyPath")]
    pub client_key_path: String,
    #[serde(rename = "ServerCertRemotePath")]
    pub server_cert_remote_path: String,
    #[serde(rename = "ServerKeyRemotePath")]
    pub server_key_remote_path: String,
    #[serde(rename = "ClientCertPath")]
    pub client_cert_path: String,
    #[serde(rename = "ServerCertSANs")]
    pub server_cert_sans: Option<Vec<String>>,
    #[serde(rename = "StorePath")]
    pub store_path: String,
}

/// A Go `float64`: written without a fractional part when it has none (`0`, not `0.0`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GoFloat(pub f64);

impl Serialize for GoFloat {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
            s.serialize_i64(v as i64)
        } else {
            s.serialize_f64(v)
        }
    }
}

impl<'de> Deserialize<'de> for GoFloat {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(GoFloat(Option::<f64>::deserialize(d)?.unwrap_or_default()))
    }
}

/// Go decodes `null` into a struct pointer as nil, which the original then treated as empty.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
