//! The `google` driver: a Compute Engine instance through the REST API v1 ([`api`])
//! with Application Default Credentials ([`auth`]), on the cloud layer's client.
//!
//! * pre-create: the project exists (this also checks the credentials), the zone
//!   exists, the instance does not (or, with `--google-use-existing`, does).
//! * create: a new `id_rsa`; the firewall rule `docker-machines` (tag `docker-machine`,
//!   from anywhere) gains 2376/tcp, the swarm port and `--google-open-port`s; the
//!   instance inserted with its boot disk `<name>-disk` (auto-deleted with it), tags,
//!   service account and scopes, preemptibility, external NAT (unless internal-only,
//!   with `--google-address` as its static address); then the key in its `sshKeys`
//!   metadata. `--google-use-existing` only adds the tag and the key. A failure after
//!   the insert removes the instance and its disk.
//! * start re-creates the instance on the kept disk when the instance is gone; stop and
//!   kill stop it; restart is stop then start. State comes from the instance's status,
//!   or the disk when the instance is gone. rm deletes the instance and the disk.
//!
//! Every change is an operation, zonal or global, read until done.
//! SSH `docker-user`:22 at the NAT address (the internal one with either internal flag).

mod api;
mod auth;

use super::{join_host_port, BaseDriver, Driver, DriverSpec, HostNotRunning};
use crate::mcnflag::{DriverOptions, Flag};
use crate::state::State;
use anyhow::{anyhow, bail, Result};
use api::{is_not_found, Compute};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::OnceLock;

pub static SPEC: DriverSpec = DriverSpec {
    name: "google",
    create_flags,
    new: |machine_name, store_path| Box::new(GoogleDriver::new(machine_name, store_path)),
    load: |json| Ok(Box::new(GoogleDriver::from_json(json)?)),
    implemented: true,
};

/// How resources refer to one another, whatever address the API is called at.
const RESOURCE_URL: &str = "https://www.googleapis.com/compute/v1/projects/";
const FIREWALL_RULE: &str = "docker-machines";
const FIREWALL_TAG: &str = "docker-machine";
const DOCKER_PORT: u16 = 2376;
/// 0.16.2's default image, long deleted from `ubuntu-os-cloud`.
const RETIRED_IMAGE: &str = "ubuntu-os-cloud/global/images/ubuntu-1604-xenial-v20170721";
/// What the retired default becomes: today's Ubuntu LTS image family.
const TODAY_IMAGE: &str = "ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Own {
    #[serde(rename = "Zone")]
    zone: String,
    #[serde(rename = "MachineType")]
    machine_type: String,
    #[serde(rename = "MachineImage")]
    machine_image: String,
    #[serde(rename = "DiskType")]
    disk_type: String,
    #[serde(rename = "Address")]
    address: String,
    #[serde(rename = "Network")]
    network: String,
    #[serde(rename = "Subnetwork")]
    subnetwork: String,
    #[serde(rename = "Preemptible")]
    preemptible: bool,
    #[serde(rename = "UseInternalIP")]
    use_internal_ip: bool,
    #[serde(rename = "UseInternalIPOnly")]
    use_internal_ip_only: bool,
    #[serde(rename = "ServiceAccount")]
    service_account: String,
    #[serde(rename = "Scopes")]
    scopes: String,
    #[serde(rename = "DiskSize")]
    disk_size: i64,
    #[serde(rename = "Project")]
    project: String,
    #[serde(rename = "Tags")]
    tags: String,
    #[serde(rename = "UseExisting")]
    use_existing: bool,
    #[serde(rename = "OpenPorts")]
    open_ports: Option<Vec<String>>,
}

pub struct GoogleDriver {
    base: BaseDriver,
    own: Own,
    client: OnceLock<Compute>,
}

impl GoogleDriver {
    pub fn new(machine_name: &str, store_path: &str) -> GoogleDriver {
        let mut base = BaseDriver::new(machine_name, store_path);
        base.ssh_user = "docker-user".into();
        base.ssh_port = 22;
        GoogleDriver {
            base,
            own: Own {
                zone: "us-central1-a".into(),
                machine_type: "n1-standard-1".into(),
                machine_image: TODAY_IMAGE.into(),
                disk_type: "pd-standard".into(),
                network: "default".into(),
                service_account: "default".into(),
                scopes: DEFAULT_SCOPES.into(),
                disk_size: 10,
                ..Own::default()
            },
            client: OnceLock::new(),
        }
    }

    fn from_json(json: Value) -> Result<GoogleDriver> {
        let (base, own) = super::split_driver_json(json)?;
        Ok(GoogleDriver {
            base,
            own,
            client: OnceLock::new(),
        })
    }

    fn api(&self) -> Result<&Compute> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        let c = Compute::new(&self.own.project)?;
        Ok(self.client.get_or_init(|| c))
    }

    fn log(&self, msg: &str) {
        crate::log::info(&format!("({}) {msg}", self.base.machine_name));
    }

    fn zone_path(&self) -> String {
        format!("/zones/{}", self.own.zone)
    }

    fn zone_url(&self) -> String {
        format!("{RESOURCE_URL}{}/zones/{}", self.own.project, self.own.zone)
    }

    fn global_url(&self) -> String {
        format!("{RESOURCE_URL}{}/global", self.own.project)
    }

    fn region(&self) -> &str {
        let z = &self.own.zone;
        &z[..z.len().saturating_sub(2)]
    }

    fn disk_name(&self) -> String {
        format!("{}-disk", self.base.machine_name)
    }

    /// The instance, or `None` when the API says it does not exist.
    fn instance(&self) -> Result<Option<Value>> {
        let path = format!("{}/instances/{}", self.zone_path(), self.base.machine_name);
        match self.api()?.get(&path) {
            Ok(v) => Ok(Some(v)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn disk(&self) -> Result<Option<Value>> {
        let path = format!("{}/disks/{}", self.zone_path(), self.disk_name());
        match self.api()?.get(&path) {
            Ok(v) => Ok(Some(v)),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn swarm_port(&self) -> Option<String> {
        if !self.base.swarm_master {
            return None;
        }
        self.base
            .swarm_host
            .rsplit(':')
            .next()
            .map(|p| p.trim_end_matches('/').to_string())
    }

    /// `port/proto` of every port the rule must allow.
    fn ports_used(&self) -> Vec<(String, String)> {
        let mut ports = vec![(DOCKER_PORT.to_string(), "tcp".to_string())];
        if let Some(p) = self.swarm_port() {
            ports.push((p, "tcp".into()));
        }
        for p in self.own.open_ports.iter().flatten() {
            let (port, proto) = p.split_once('/').unwrap_or((p, "tcp"));
            ports.push((port.to_string(), proto.to_string()));
        }
        ports
    }

    fn open_firewall_ports(&self) -> Result<()> {
        self.log("Opening firewall ports");
        let api = self.api()?;
        let path = format!("/global/firewalls/{FIREWALL_RULE}");
        let (mut rule, create) = match api.get(&path) {
            Ok(r) => (r, false),
            Err(e) if is_not_found(&e) => (
                json!({
                    "name": FIREWALL_RULE,
                    "allowed": [],
                    "sourceRanges": ["0.0.0.0/0"],
                    "targetTags": [FIREWALL_TAG],
                    "network": format!("{}/networks/{}", self.global_url(), self.own.network),
                }),
                true,
            ),
            Err(e) => return Err(anyhow!("requesting firewall rule: {e:#}")),
        };
        let mut opened = std::collections::HashSet::new();
        for a in rule["allowed"].as_array().into_iter().flatten() {
            for p in a["ports"].as_array().into_iter().flatten() {
                opened.insert(format!(
                    "{}/{}",
                    p.as_str().unwrap_or(""),
                    a["IPProtocol"].as_str().unwrap_or("")
                ));
            }
        }
        let mut missing: Vec<(String, Vec<String>)> = Vec::new();
        for (port, proto) in self.ports_used() {
            if opened.insert(format!("{port}/{proto}")) {
                match missing.iter_mut().find(|(p, _)| *p == proto) {
                    Some((_, ports)) => ports.push(port),
                    None => missing.push((proto, vec![port])),
                }
            }
        }
        if missing.is_empty() {
            return Ok(());
        }
        if !rule["allowed"].is_array() {
            rule["allowed"] = json!([]);
        }
        for (proto, ports) in missing {
            rule["allowed"]
                .as_array_mut()
                .expect("an array")
                .push(json!({"IPProtocol": proto, "ports": ports}));
        }
        if create {
            api.change("POST", "/global/firewalls", Some(&rule))
        } else {
            api.change("PUT", &path, Some(&rule))
        }
    }

    /// `--google-address`: an IP as given, or a reserved address's name resolved.
    fn static_address(&self) -> Result<String> {
        let a = &self.own.address;
        if a.parse::<std::net::IpAddr>().is_ok() {
            return Ok(a.clone());
        }
        let v = self
            .api()?
            .get(&format!("/regions/{}/addresses/{a}", self.region()))?;
        Ok(v["address"].as_str().unwrap_or("").to_string())
    }

    fn tags(&self) -> Vec<String> {
        let mut tags = vec![FIREWALL_TAG.to_string()];
        if !self.own.tags.is_empty() {
            tags.extend(self.own.tags.split(',').map(str::to_string));
        }
        tags
    }

    /// Insert the instance (on the kept disk when it exists) and upload the key.
    fn create_instance(&self) -> Result<()> {
        self.log("Creating instance");
        let network = if self.own.network.contains("/networks/") {
            self.own.network.clone()
        } else {
            format!("{}/networks/{}", self.global_url(), self.own.network)
        };
        let mut nic = json!({ "network": network });
        if self.own.subnetwork.contains("/subnetworks/") {
            nic["subnetwork"] = self.own.subnetwork.clone().into();
        } else if !self.own.subnetwork.is_empty() {
            nic["subnetwork"] = format!(
                "projects/{}/regions/{}/subnetworks/{}",
                self.own.project,
                self.region(),
                self.own.subnetwork
            )
            .into();
        }
        if !self.own.use_internal_ip_only {
            let mut nat = json!({"type": "ONE_TO_ONE_NAT", "name": "External NAT"});
            if !self.own.address.is_empty() {
                nat["natIP"] = self.static_address()?.into();
            }
            nic["accessConfigs"] = json!([nat]);
        }
        let mut disk =
            json!({"boot": true, "autoDelete": true, "type": "PERSISTENT", "mode": "READ_WRITE"});
        if self.disk()?.is_some() {
            disk["source"] = format!("{}/disks/{}", self.zone_url(), self.disk_name()).into();
        } else {
            disk["initializeParams"] = json!({
                "diskName": self.disk_name(),
                "sourceImage": format!("{RESOURCE_URL}{}", self.own.machine_image),
                "diskSizeGb": self.own.disk_size.to_string(),
                "diskType": format!("{}/diskTypes/{}", self.zone_url(), self.own.disk_type),
            });
        }
        let instance = json!({
            "name": self.base.machine_name,
            "description": "docker host vm",
            "machineType": format!("{}/machineTypes/{}", self.zone_url(), self.own.machine_type),
            "disks": [disk],
            "networkInterfaces": [nic],
            "tags": {"items": self.tags()},
            "serviceAccounts": [{
                "email": self.own.service_account,
                "scopes": self.own.scopes.split(',').collect::<Vec<_>>(),
            }],
            "scheduling": {"preemptible": self.own.preemptible},
        });
        self.api()?.change(
            "POST",
            &format!("{}/instances", self.zone_path()),
            Some(&instance),
        )?;
        self.log("Waiting for Instance");
        let inst = self
            .instance()?
            .ok_or_else(|| anyhow!("instance {} vanished", self.base.machine_name))?;
        self.upload_ssh_key(&inst)
    }

    fn configure_instance(&self) -> Result<()> {
        self.log("Configuring instance");
        let inst = self.instance()?.ok_or_else(|| {
            anyhow!(
                "unable to find instance {:?} in zone {:?}",
                self.base.machine_name,
                self.own.zone
            )
        })?;
        let mut tags = inst["tags"].clone();
        let items: Vec<Value> = tags["items"].as_array().cloned().unwrap_or_default();
        if !items.iter().any(|t| t == FIREWALL_TAG) {
            self.log("Adding tag for the firewall rule");
            let mut items = items;
            items.push(FIREWALL_TAG.into());
            tags["items"] = items.into();
            self.api()?.change(
                "POST",
                &format!(
                    "{}/instances/{}/setTags",
                    self.zone_path(),
                    self.base.machine_name
                ),
                Some(&tags),
            )?;
        }
        self.upload_ssh_key(&inst)
    }

    /// Put the machine's key in the instance's `sshKeys` metadata (with the metadata's
    /// fingerprint, which the API checks).
    fn upload_ssh_key(&self, inst: &Value) -> Result<()> {
        self.log("Uploading SSH Key");
        let pub_path = format!("{}.pub", self.base.ssh_key_path);
        let key = std::fs::read_to_string(&pub_path).map_err(|e| {
            anyhow!(
                "{}",
                crate::fsutil::go_io_error("open", pub_path.as_ref(), &e)
            )
        })?;
        let user = self.base.ssh_user_or_default();
        let value = format!("{user}:{} {user}\n", key.trim());
        let mut metadata = inst["metadata"].clone();
        let mut items: Vec<Value> = metadata["items"].as_array().cloned().unwrap_or_default();
        items.push(json!({"key": "sshKeys", "value": value}));
        metadata["items"] = items.into();
        self.api()?.change(
            "POST",
            &format!(
                "{}/instances/{}/setMetadata",
                self.zone_path(),
                self.base.machine_name
            ),
            Some(&metadata),
        )
    }

    fn delete_instance(&self) -> Result<()> {
        self.log("Deleting instance.");
        self.api()?.change(
            "DELETE",
            &format!("{}/instances/{}", self.zone_path(), self.base.machine_name),
            None,
        )
    }

    fn delete_disk(&self) -> Result<()> {
        if self.disk()?.is_none() {
            return Ok(());
        }
        self.log("Deleting disk.");
        self.api()?.change(
            "DELETE",
            &format!("{}/disks/{}", self.zone_path(), self.disk_name()),
            None,
        )
    }

    /// The address to connect to, from the instance.
    fn ip_of(&self, inst: &Value) -> Result<String> {
        let nic = &inst["networkInterfaces"][0];
        let ip = if self.own.use_internal_ip {
            nic["networkIP"].as_str()
        } else {
            nic["accessConfigs"][0]["natIP"].as_str()
        };
        ip.filter(|i| !i.is_empty())
            .map(str::to_string)
            .ok_or_else(|| anyhow!("instance {} has no address", self.base.machine_name))
    }

    fn live_ip(&self) -> Result<String> {
        let inst = self
            .instance()?
            .ok_or_else(|| anyhow!("instance {} not found", self.base.machine_name))?;
        self.ip_of(&inst)
    }

    fn create_parts(&mut self, inserted: &mut bool) -> Result<()> {
        self.log("Generating SSH Key");
        let key = crate::cloud::keys::machine_key(&self.base.machine_dir(), None)?;
        self.base.ssh_key_path = key.private_path.to_string_lossy().into_owned();
        self.log("Creating host...");
        self.open_firewall_ports()?;
        if self.own.use_existing {
            return self.configure_instance();
        }
        *inserted = true;
        self.create_instance()?;
        self.base.ip_address = self.live_ip()?;
        Ok(())
    }

    fn stop_instance(&mut self) -> Result<()> {
        self.api()?.change(
            "POST",
            &format!(
                "{}/instances/{}/stop",
                self.zone_path(),
                self.base.machine_name
            ),
            None,
        )?;
        self.base.ip_address.clear();
        Ok(())
    }
}

fn state_of(status: &str) -> State {
    match status {
        "PROVISIONING" | "STAGING" => State::Starting,
        "RUNNING" => State::Running,
        "STOPPING" | "STOPPED" | "TERMINATED" => State::Stopped,
        _ => State::None,
    }
}

impl Driver for GoogleDriver {
    super::base_and_json!("google");
    fn set_config_from_flags(&mut self, opts: &DriverOptions) -> Result<()> {
        let o = &mut self.own;
        o.project = opts.string("google-project");
        if o.project.is_empty() {
            bail!("no Google Cloud Project name specified (--google-project)");
        }
        o.zone = opts.string("google-zone");
        o.use_existing = opts.bool("google-use-existing");
        if !o.use_existing {
            o.machine_type = opts.string("google-machine-type");
            o.machine_image = opts
                .string("google-machine-image")
                .trim_start_matches(RESOURCE_URL)
                .to_string();
            if o.machine_image == RETIRED_IMAGE {
                o.machine_image = TODAY_IMAGE.into();
            }
            o.disk_size = opts.int("google-disk-size");
            o.disk_type = opts.string("google-disk-type");
            o.address = opts.string("google-address");
            o.network = opts.string("google-network");
            o.subnetwork = opts.string("google-subnetwork");
            o.preemptible = opts.bool("google-preemptible");
            o.use_internal_ip =
                opts.bool("google-use-internal-ip") || opts.bool("google-use-internal-ip-only");
            o.use_internal_ip_only = opts.bool("google-use-internal-ip-only");
            o.service_account = opts.string("google-service-account");
            o.scopes = opts.string("google-scopes");
            o.tags = opts.string("google-tags");
            let ports = opts.string_slice("google-open-port");
            o.open_ports = (!ports.is_empty()).then_some(ports);
        }
        self.base.ssh_user = opts.string("google-username");
        self.base.ssh_port = 22;
        Ok(())
    }
    fn pre_create_check(&self) -> Result<()> {
        let api = self.api()?;
        self.log("Check that the project exists");
        match api.get("") {
            Err(e) if is_not_found(&e) => {
                bail!("Project with ID {:?} not found. {e:#}", self.own.project)
            }
            other => other.map(|_| ())?,
        }
        match api.get(&self.zone_path()) {
            Err(e) if is_not_found(&e) => {
                bail!(
                    "Zone {:?} not found in project {:?}",
                    self.own.zone,
                    self.own.project
                )
            }
            other => other.map(|_| ())?,
        }
        self.log("Check if the instance already exists");
        let exists = self.instance()?.is_some();
        if self.own.use_existing && !exists {
            bail!(
                "unable to find instance {:?} in zone {:?}",
                self.base.machine_name,
                self.own.zone
            );
        }
        if !self.own.use_existing && exists {
            bail!(
                "instance {:?} already exists in zone {:?}",
                self.base.machine_name,
                self.own.zone
            );
        }
        Ok(())
    }
    fn create(&mut self) -> Result<()> {
        let mut inserted = false;
        let result = self.create_parts(&mut inserted);
        if let Err(e) = result {
            if inserted {
                let mut removed = Vec::new();
                if let Ok(Some(_)) = self.instance() {
                    match self.delete_instance() {
                        Ok(()) => removed.push("instance"),
                        Err(d) => crate::log::error(&format!(
                            "({}) Could not remove the instance, delete it by hand: {d:#}",
                            self.base.machine_name
                        )),
                    }
                }
                match self.disk().and_then(|d| match d {
                    Some(_) => self.delete_disk().map(|()| true),
                    None => Ok(false),
                }) {
                    Ok(true) => removed.push("disk"),
                    Ok(false) => {}
                    Err(d) => crate::log::error(&format!(
                        "({}) Could not remove the disk, delete it by hand: {d:#}",
                        self.base.machine_name
                    )),
                }
                if !removed.is_empty() {
                    self.log(&format!(
                        "Create failed; removed what it made: {}",
                        removed.join(", ")
                    ));
                }
            }
            return Err(e);
        }
        Ok(())
    }
    fn state(&self) -> Result<State> {
        match self.instance()? {
            Some(inst) => Ok(state_of(inst["status"].as_str().unwrap_or(""))),
            None if self.disk()?.is_some() => Ok(State::Stopped),
            None => Ok(State::None),
        }
    }
    fn ip(&self) -> Result<String> {
        self.live_ip()
    }
    fn url(&self) -> Result<String> {
        let inst = self.instance()?.ok_or(HostNotRunning)?;
        if state_of(inst["status"].as_str().unwrap_or("")) != State::Running {
            return Err(HostNotRunning.into());
        }
        Ok(format!(
            "tcp://{}",
            join_host_port(&self.ip_of(&inst)?, DOCKER_PORT)
        ))
    }
    fn start(&mut self) -> Result<()> {
        match self.instance()? {
            None => self.create_instance()?,
            Some(_) => {
                self.api()?.change(
                    "POST",
                    &format!(
                        "{}/instances/{}/start",
                        self.zone_path(),
                        self.base.machine_name
                    ),
                    None,
                )?;
                self.log("Waiting for instance to start.");
            }
        }
        self.base.ip_address = self.live_ip()?;
        Ok(())
    }
    fn stop(&mut self) -> Result<()> {
        self.stop_instance()
    }
    fn restart(&mut self) -> Result<()> {
        self.stop_instance()?;
        self.start()
    }
    fn kill(&mut self) -> Result<()> {
        self.stop_instance()
    }
    fn remove(&mut self) -> Result<()> {
        if let Err(e) = self.delete_instance() {
            if is_not_found(&e) {
                crate::warn!(
                    "Remote instance does not exist, proceeding with removing local reference"
                );
            } else {
                return Err(e);
            }
        }
        if let Err(e) = self.delete_disk() {
            if is_not_found(&e) {
                crate::warn!("Remote disk does not exist, proceeding");
            } else {
                return Err(e);
            }
        }
        Ok(())
    }
}

/// The original's `defaultScopes`.
const DEFAULT_SCOPES: &str = "https://www.googleapis.com/auth/devstorage.read_only,https://www.googleapis.com/auth/logging.write,https://www.googleapis.com/auth/monitoring.write";

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string("google-zone", "GOOGLE_ZONE", "GCE Zone", "us-central1-a"),
        Flag::string(
            "google-machine-type",
            "GOOGLE_MACHINE_TYPE",
            "GCE Machine Type",
            "n1-standard-1",
        ),
        Flag::string(
            "google-machine-image",
            "GOOGLE_MACHINE_IMAGE",
            "GCE Machine Image Absolute URL",
            "ubuntu-os-cloud/global/images/ubuntu-1604-xenial-v20170721",
        ),
        Flag::string(
            "google-username",
            "GOOGLE_USERNAME",
            "GCE User Name",
            "docker-user",
        ),
        Flag::string("google-project", "GOOGLE_PROJECT", "GCE Project", ""),
        Flag::string(
            "google-service-account",
            "GOOGLE_SERVICE_ACCOUNT",
            "GCE Service Account for the VM (email address)",
            "default",
        ),
        Flag::string(
            "google-scopes",
            "GOOGLE_SCOPES",
            "GCE Scopes (comma-separated if multiple scopes)",
            DEFAULT_SCOPES,
        ),
        Flag::int(
            "google-disk-size",
            "GOOGLE_DISK_SIZE",
            "GCE Instance Disk Size (in GB)",
            10,
        ),
        Flag::string(
            "google-disk-type",
            "GOOGLE_DISK_TYPE",
            "GCE Instance Disk type",
            "pd-standard",
        ),
        Flag::string(
            "google-network",
            "GOOGLE_NETWORK",
            "Specify network in which to provision vm",
            "default",
        ),
        Flag::string(
            "google-subnetwork",
            "GOOGLE_SUBNETWORK",
            "Specify subnetwork in which to provision vm",
            "",
        ),
        Flag::string(
            "google-address",
            "GOOGLE_ADDRESS",
            "GCE Instance External IP",
            "",
        ),
        Flag::bool(
            "google-preemptible",
            "GOOGLE_PREEMPTIBLE",
            "GCE Instance Preemptibility",
        ),
        Flag::string(
            "google-tags",
            "GOOGLE_TAGS",
            "GCE Instance Tags (comma-separated)",
            "",
        ),
        Flag::bool(
            "google-use-internal-ip",
            "GOOGLE_USE_INTERNAL_IP",
            "Use internal GCE Instance IP rather than public one",
        ),
        Flag::bool(
            "google-use-internal-ip-only",
            "GOOGLE_USE_INTERNAL_IP_ONLY",
            "Configure GCE instance to not have an external IP address",
        ),
        Flag::bool(
            "google-use-existing",
            "GOOGLE_USE_EXISTING",
            "Don't create a new VM, use an existing one",
        ),
        Flag::string_slice(
            "google-open-port",
            "",
            "Make the specified port number accessible from the Internet, e.g, 8080/tcp",
            &[],
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_states_and_ports() {
        let mut d = GoogleDriver::new("m", "/s");
        let json = d.to_json();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys[9], "Zone");
        assert_eq!(keys.last().unwrap().as_str(), "OpenPorts");
        assert_eq!(d.region(), "us-central1");
        assert_eq!(state_of("STAGING"), State::Starting);
        assert_eq!(state_of("TERMINATED"), State::Stopped);
        assert_eq!(state_of("SUSPENDED"), State::None);
        d.base.swarm_master = true;
        d.base.swarm_host = "tcp://0.0.0.0:3376".into();
        d.own.open_ports = Some(vec!["8080".into(), "53/udp".into()]);
        assert_eq!(
            d.ports_used(),
            [
                ("2376", "tcp"),
                ("3376", "tcp"),
                ("8080", "tcp"),
                ("53", "udp")
            ]
            .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        d.own.tags = "a,b".into();
        assert_eq!(d.tags(), ["docker-machine", "a", "b"]);
    }
}
