//! The `azure` driver: a VM through Azure Resource Manager ([`arm`]), logged in per
//! [`login`], on today's Azure (managed disks, Standard public IPs, current
//! api-versions). SSH user `docker-user`, port 22.
//!
//! * create, in 0.16.2's order and names: resource group (if missing), availability
//!   set, NSG `<m>-firewall` (SSH 100, Docker 300, swarm 500, `--azure-open-port` from
//!   1000, 0.16.2's rule names; none with `--azure-nsg`), vnet `[group:]name` and subnet
//!   (if missing), public IP `<m>-ip` (with its DNS label), NIC `<m>-nic`, VM `<m>` with
//!   custom data and the machine's key. A failure removes what this create made, and
//!   says so.
//! * `ip`/`url`: the public IP, its FQDN with `--azure-dns`, or the NIC's private IP.
//! * state from the instance view's `PowerState/...`; start / stop (power off, with
//!   0.16.2's cost notices) / restart / kill (= stop).
//! * rm: the VM (its managed disk with it; a 0.16.2 machine's VHD container and the
//!   emptied storage account), NIC, public IP, own NSG; the availability set, subnet
//!   and vnet only when nothing else uses them and docker-machine made them, the vnet
//!   in its own group; never the resource group.

mod arm;
mod flags;
pub mod login;

use super::{join_host_port, BaseDriver, Driver, DriverSpec, HostNotRunning};
use crate::cloud::auth::OAuth2Bearer;
use crate::cloud::wait::Waiter;
use crate::mcnflag::DriverOptions;
use crate::state::State;
use anyhow::{anyhow, bail, Result};
use arm::Arm;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

pub static SPEC: DriverSpec = DriverSpec {
    name: "azure",
    create_flags: flags::create_flags,
    new: |machine_name, store_path| Box::new(AzureDriver::new(machine_name, store_path)),
    load: |json| Ok(Box::new(AzureDriver::from_json(json)?)),
    implemented: true,
};

const SSH_PORT: i64 = 22;
const DEFAULT_SWARM_PORT: u16 = 3376;
/// Azure's limit on custom data (base64 of at most 64 KiB).
const CUSTOM_DATA_LIMIT: usize = 64 * 1024;
/// The tag on vnets and availability sets docker-machine made: `rm` may delete them.
const MADE_TAG: &str = "docker-machine";

/// The driver's keys in `config.json`: 0.16.2's, in its order, then the ones added
/// since (rancher/machine's names), written only when set.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Own {
    #[serde(rename = "ClientID")]
    client_id: String,
    #[serde(rename = "ClientSecret")]
    client_secret: String,
    #[serde(rename = "Environment")]
    environment: String,
    #[serde(rename = "SubscriptionID")]
    subscription_id: String,
    #[serde(rename = "ResourceGroup")]
    resource_group: String,
    #[serde(rename = "DockerPort")]
    docker_port: i64,
    #[serde(rename = "Location")]
    location: String,
    #[serde(rename = "Size")]
    size: String,
    #[serde(rename = "Image")]
    image: String,
    #[serde(rename = "VirtualNetwork")]
    virtual_network: String,
    #[serde(rename = "SubnetName")]
    subnet_name: String,
    #[serde(rename = "SubnetPrefix")]
    subnet_prefix: String,
    #[serde(rename = "AvailabilitySet")]
    availability_set: String,
    #[serde(rename = "StorageType")]
    storage_type: String,
    #[serde(rename = "OpenPorts")]
    open_ports: Option<Vec<String>>,
    #[serde(rename = "PrivateIPAddr")]
    private_ip_addr: String,
    #[serde(rename = "UsePrivateIP")]
    use_private_ip: bool,
    #[serde(rename = "NoPublicIP")]
    no_public_ip: bool,
    #[serde(rename = "DNSLabel")]
    dns_label: String,
    #[serde(rename = "StaticPublicIP")]
    static_public_ip: bool,
    #[serde(rename = "CustomDataFile")]
    custom_data_file: String,
    #[serde(rename = "TenantID", skip_serializing_if = "String::is_empty")]
    tenant_id: String,
    #[serde(rename = "AuthMethod", skip_serializing_if = "String::is_empty")]
    auth_method: String,
    #[serde(rename = "NSG", skip_serializing_if = "String::is_empty")]
    nsg: String,
    #[serde(rename = "Plan", skip_serializing_if = "String::is_empty")]
    plan: String,
    #[serde(rename = "ManagedDisks", skip_serializing_if = "is_false")]
    managed_disks: bool,
    #[serde(rename = "FaultCount", skip_serializing_if = "is_zero")]
    fault_count: i64,
    #[serde(rename = "UpdateCount", skip_serializing_if = "is_zero")]
    update_count: i64,
    #[serde(rename = "DiskSize", skip_serializing_if = "is_zero")]
    disk_size: i64,
    #[serde(rename = "Tags", skip_serializing_if = "String::is_empty")]
    tags: String,
    #[serde(rename = "AcceleratedNetworking", skip_serializing_if = "is_false")]
    accelerated_networking: bool,
    #[serde(rename = "AvailabilityZone", skip_serializing_if = "String::is_empty")]
    availability_zone: String,
    #[serde(rename = "EnablePublicIPStandardSKU", skip_serializing_if = "is_false")]
    enable_public_ip_standard_sku: bool,
    /// Set by this driver's creates: the shared parts it made carry [`MADE_TAG`], and
    /// `rm` deletes only those. Absent in 0.16.2's machines: `rm` then deletes shared
    /// parts whenever unused, as 0.16.2 did.
    #[serde(rename = "TaggedShared", skip_serializing_if = "is_false")]
    tagged_shared: bool,
}

fn is_false(v: &bool) -> bool {
    !*v
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

pub struct AzureDriver {
    base: BaseDriver,
    own: Own,
    client: OnceLock<Arm>,
}

/// What a create made so far, for the clean-up of a failure (ids, in creation order).
#[derive(Default)]
struct Made(Vec<String>);

impl AzureDriver {
    pub fn new(machine_name: &str, store_path: &str) -> AzureDriver {
        let mut base = BaseDriver::new(machine_name, store_path);
        base.ssh_user = "docker-user".into();
        base.ssh_port = SSH_PORT;
        AzureDriver {
            base,
            own: Own {
                environment: "AzurePublicCloud".into(),
                resource_group: "docker-machine".into(),
                docker_port: 2376,
                location: "westus".into(),
                size: flags::DEFAULT_SIZE.into(),
                image: flags::DEFAULT_IMAGE.into(),
                virtual_network: "docker-machine-vnet".into(),
                subnet_name: "docker-machine".into(),
                subnet_prefix: "192.168.0.0/16".into(),
                availability_set: "docker-machine".into(),
                storage_type: "Standard_LRS".into(),
                ..Own::default()
            },
            client: OnceLock::new(),
        }
    }

    fn from_json(json: Value) -> Result<AzureDriver> {
        let (base, own): (BaseDriver, Own) = super::split_driver_json(json)?;
        Ok(AzureDriver {
            base,
            own,
            client: OnceLock::new(),
        })
    }

    fn log(&self, msg: &str) {
        crate::log::info(&format!("({}) {msg}", self.base.machine_name));
    }

    fn name(&self) -> &str {
        &self.base.machine_name
    }

    /// The ARM client, logged in on first use.
    fn arm(&self) -> Result<&Arm> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        if self.own.resource_group.is_empty() {
            bail!("This azure machine was created with docker-machine before v0.7.0 (Azure Service Management); downgrade to v0.6.0 to remove it");
        }
        let env = login::Environment::named(&self.own.environment)?;
        let method = login::Method::choose(
            &self.own.auth_method,
            &self.own.client_id,
            &self.own.client_secret,
        )?;
        let tenant = match (&method, self.own.tenant_id.as_str()) {
            (_, t) if !t.is_empty() => t.to_string(),
            // The metadata service and az know their tenant.
            (login::Method::ManagedIdentity | login::Method::AzCli, _) => String::new(),
            _ => login::discover_tenant(&env, &self.own.subscription_id)?,
        };
        let source = login::source(
            &method,
            &env,
            &tenant,
            &self.own.client_id,
            &self.own.client_secret,
            crate::runner::SystemRunner::shared(),
            &login::credentials_dir(),
        )?;
        let signer = Arc::new(OAuth2Bearer::new(source));
        // Log in now, so that a login failure is its own clear line.
        signer.token()?;
        let arm = Arm::new(&env.arm, &self.own.subscription_id, signer);
        Ok(self.client.get_or_init(|| arm))
    }

    fn group(&self) -> &str {
        &self.own.resource_group
    }

    /// The vnet's group and name (`[group:]name`).
    fn vnet(&self) -> (String, String) {
        match self.own.virtual_network.split_once(':') {
            Some((g, n)) => (g.to_string(), n.to_string()),
            None => (
                self.own.resource_group.clone(),
                self.own.virtual_network.clone(),
            ),
        }
    }

    fn vm_id(&self) -> Result<String> {
        Ok(self.arm()?.id(
            self.group(),
            "Microsoft.Compute/virtualMachines",
            self.name(),
        ))
    }

    fn nic_id(&self, arm: &Arm) -> String {
        arm.id(
            self.group(),
            "Microsoft.Network/networkInterfaces",
            &format!("{}-nic", self.name()),
        )
    }

    fn ip_id(&self, arm: &Arm) -> String {
        arm.id(
            self.group(),
            "Microsoft.Network/publicIPAddresses",
            &format!("{}-ip", self.name()),
        )
    }

    fn own_nsg_id(&self, arm: &Arm) -> String {
        arm.id(
            self.group(),
            "Microsoft.Network/networkSecurityGroups",
            &format!("{}-firewall", self.name()),
        )
    }

    fn nsg_id(&self, arm: &Arm) -> String {
        if self.own.nsg.starts_with("/subscriptions/") {
            self.own.nsg.clone()
        } else if !self.own.nsg.is_empty() {
            arm.id(
                self.group(),
                "Microsoft.Network/networkSecurityGroups",
                &self.own.nsg,
            )
        } else {
            self.own_nsg_id(arm)
        }
    }

    fn set_id(&self, arm: &Arm) -> String {
        arm.id(
            self.group(),
            "Microsoft.Compute/availabilitySets",
            &self.own.availability_set,
        )
    }

    fn vnet_id(&self, arm: &Arm) -> String {
        let (g, n) = self.vnet();
        arm.id(&g, "Microsoft.Network/virtualNetworks", &n)
    }

    fn subnet_id(&self, arm: &Arm) -> String {
        format!("{}/subnets/{}", self.vnet_id(arm), self.own.subnet_name)
    }

    fn swarm_port(&self) -> u16 {
        self.base
            .swarm_host
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .unwrap_or(DEFAULT_SWARM_PORT)
    }

    /// The `--azure-tags` pairs (`k1,v1,k2,v2`), with docker-machine's own.
    fn tags(&self) -> Value {
        let mut map = serde_json::Map::new();
        let parts: Vec<&str> = self.own.tags.split(',').filter(|s| !s.is_empty()).collect();
        for pair in parts.chunks_exact(2) {
            map.insert(pair[0].to_string(), json!(pair[1]));
        }
        Value::Object(map)
    }

    /// NSG rules as 0.16.2 named and numbered them.
    fn security_rules(&self) -> Result<Vec<Value>> {
        let rule = |name: &str, priority: u32, proto: &str, port: String| {
            json!({"name": name, "properties": {
                "priority": priority, "protocol": proto, "access": "Allow", "direction": "Inbound",
                "sourceAddressPrefix": "*", "sourcePortRange": "*",
                "destinationAddressPrefix": "*", "destinationPortRange": port}})
        };
        let mut rules = vec![
            rule("SSHAllowAny", 100, "Tcp", SSH_PORT.to_string()),
            rule(
                "DockerAllowAny",
                300,
                "Tcp",
                self.own.docker_port.to_string(),
            ),
        ];
        if self.base.swarm_master {
            rules.push(rule(
                "DockerSwarmAllowAny",
                500,
                "Tcp",
                self.swarm_port().to_string(),
            ));
        }
        for (i, p) in self.own.open_ports.iter().flatten().enumerate() {
            let (port, proto) = p.split_once('/').unwrap_or((p, "tcp"));
            let proto = match proto.to_ascii_lowercase().as_str() {
                "tcp" => "Tcp",
                "udp" => "Udp",
                "*" => "*",
                other => bail!(
                    "invalid protocol {other:?} in --azure-open-port {p:?}: use tcp, udp or *"
                ),
            };
            if port.parse::<u16>().is_err() {
                bail!("invalid port number {port:?} in --azure-open-port {p:?}");
            }
            let word = if proto == "*" { "Asterisk" } else { proto };
            rules.push(rule(
                &format!("Port{port}-{word}AllowAny"),
                1000 + i as u32,
                proto,
                port.to_string(),
            ));
        }
        Ok(rules)
    }

    fn image_reference(&self) -> Result<Value> {
        let parts: Vec<&str> = self.own.image.split(':').collect();
        if parts.len() != 4 || parts.iter().any(|p| p.is_empty()) {
            bail!("image name {:?} not a valid format", self.own.image);
        }
        Ok(json!({"publisher": parts[0], "offer": parts[1], "sku": parts[2], "version": parts[3]}))
    }

    fn plan(&self) -> Result<Option<Value>> {
        if self.own.plan.is_empty() {
            return Ok(None);
        }
        let parts: Vec<&str> = self.own.plan.split(':').collect();
        if parts.len() != 3 {
            bail!(
                "plan name {:?} not a valid format: use <publisher>:<product>:<plan>",
                self.own.plan
            );
        }
        Ok(Some(
            json!({"publisher": parts[0], "product": parts[1], "name": parts[2]}),
        ))
    }

    fn zones(&self) -> Option<Value> {
        (!self.own.availability_zone.is_empty()).then(|| json!([self.own.availability_zone]))
    }

    fn put_made(&self, arm: &Arm, id: &str, body: &Value, made: &mut Made) -> Result<Value> {
        // Recorded first: a PUT whose operation failed may leave the resource behind.
        made.0.push(id.to_string());
        arm.put(id, body)
    }

    /// Make the machine's resources; the path of its SSH key.
    fn create_parts(&self, made: &mut Made) -> Result<String> {
        let arm = self.arm()?;
        let loc = self.own.location.clone();
        let made_tag = json!({MADE_TAG: "shared"});
        let custom_data = crate::cloud::userdata::load(
            &self.own.custom_data_file,
            "--azure-custom-data",
            CUSTOM_DATA_LIMIT,
        )?;
        let rules = self.security_rules()?;
        let image = self.image_reference()?;
        let plan = self.plan()?;

        self.log("Creating resource group...");
        if arm.get(&arm.group_id(self.group()))?.is_none() {
            arm.put(&arm.group_id(self.group()), &json!({"location": loc}))?;
        }
        let use_set = self.own.availability_zone.is_empty();
        if use_set {
            self.log("Configuring availability set...");
            let id = self.set_id(arm);
            if arm.get(&id)?.is_none() {
                let body = json!({"location": loc, "sku": {"name": "Aligned"}, "tags": made_tag,
                    "properties": {"platformFaultDomainCount": self.own.fault_count.max(1), "platformUpdateDomainCount": self.own.update_count.max(1)}});
                self.put_made(arm, &id, &body, made)?;
            }
        }
        if self.own.nsg.is_empty() {
            self.log("Configuring network security group...");
            let body = json!({"location": loc, "tags": self.tags(), "properties": {"securityRules": rules}});
            self.put_made(arm, &self.own_nsg_id(arm), &body, made)?;
        } else if arm.get(&self.nsg_id(arm))?.is_none() {
            bail!("network security group {} not found", self.own.nsg);
        }
        self.log("Configuring virtual network...");
        let (vnet_group, _) = self.vnet();
        if arm.get(&arm.group_id(&vnet_group))?.is_none() {
            arm.put(&arm.group_id(&vnet_group), &json!({"location": loc}))?;
        }
        let vnet_id = self.vnet_id(arm);
        if arm.get(&vnet_id)?.is_none() {
            let body = json!({"location": loc, "tags": made_tag, "properties": {"addressSpace": {"addressPrefixes": ["192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12"]}}});
            self.put_made(arm, &vnet_id, &body, made)?;
        }
        self.log("Configuring subnet...");
        let subnet_id = self.subnet_id(arm);
        if arm.get(&subnet_id)?.is_none() {
            let body = json!({"properties": {"addressPrefix": self.own.subnet_prefix}});
            self.put_made(arm, &subnet_id, &body, made)?;
        }
        let mut ip_conf = json!({"name": "ip", "properties": {"subnet": {"id": subnet_id}}});
        if self.own.private_ip_addr.is_empty() {
            ip_conf["properties"]["privateIPAllocationMethod"] = json!("Dynamic");
        } else {
            ip_conf["properties"]["privateIPAllocationMethod"] = json!("Static");
            ip_conf["properties"]["privateIPAddress"] = json!(self.own.private_ip_addr);
        }
        if !self.own.no_public_ip {
            self.log("Creating public IP address...");
            // Standard SKU, so Static: Basic (and its Dynamic addresses) is retired.
            let mut props =
                json!({"publicIPAllocationMethod": "Static", "publicIPAddressVersion": "IPv4"});
            if !self.own.dns_label.is_empty() {
                props["dnsSettings"] = json!({"domainNameLabel": self.own.dns_label});
            }
            let mut body = json!({"location": loc, "sku": {"name": "Standard"}, "tags": self.tags(), "properties": props});
            if let Some(z) = self.zones() {
                body["zones"] = z;
            }
            let ip_id = self.ip_id(arm);
            self.put_made(arm, &ip_id, &body, made)?;
            ip_conf["properties"]["publicIPAddress"] = json!({"id": ip_id});
        }
        self.log("Creating network interface...");
        let nic = json!({"location": loc, "tags": self.tags(), "properties": {
            "ipConfigurations": [ip_conf],
            "networkSecurityGroup": {"id": self.nsg_id(arm)},
            "enableAcceleratedNetworking": self.own.accelerated_networking}});
        self.put_made(arm, &self.nic_id(arm), &nic, made)?;

        let key = crate::cloud::keys::machine_key(&self.base.machine_dir(), None)?;
        self.log("Creating virtual machine...");
        let user = self.base.ssh_user.clone();
        let mut os_profile = json!({"computerName": self.name(), "adminUsername": user,
            "linuxConfiguration": {"disablePasswordAuthentication": true, "ssh": {"publicKeys": [
                {"path": format!("/home/{user}/.ssh/authorized_keys"), "keyData": key.public_key}]}}});
        if let Some(data) = &custom_data {
            os_profile["customData"] = json!(crate::cloud::userdata::base64(data));
        }
        let mut os_disk = json!({"name": format!("{}-os-disk", self.name()), "createOption": "FromImage",
            "caching": "ReadWrite", "deleteOption": "Delete", "managedDisk": {"storageAccountType": self.own.storage_type}});
        if self.own.disk_size > 0 {
            os_disk["diskSizeGB"] = json!(self.own.disk_size);
        }
        let mut vm = json!({"location": loc, "tags": self.tags(), "properties": {
            "hardwareProfile": {"vmSize": self.own.size},
            "storageProfile": {"imageReference": image, "osDisk": os_disk},
            "osProfile": os_profile,
            "networkProfile": {"networkInterfaces": [{"id": self.nic_id(arm), "properties": {"primary": true}}]}}});
        if use_set {
            vm["properties"]["availabilitySet"] = json!({"id": self.set_id(arm)});
        }
        if let Some(z) = self.zones() {
            vm["zones"] = z;
        }
        if let Some(p) = plan {
            vm["plan"] = p;
        }
        let vm_id = self.vm_id()?;
        self.put_made(arm, &vm_id, &vm, made)?;
        Ok(key.private_path.to_string_lossy().into_owned())
    }

    /// Remove what a failed create made, newest first; report what was removed.
    fn clean_up(&self, made: &Made) {
        let Ok(arm) = self.arm() else { return };
        let mut rollback = crate::cloud::Rollback::default();
        for id in made.0.iter().rev() {
            let short = id.rsplit("/providers/").next().unwrap_or(id);
            rollback.note(short, arm.delete(id));
        }
        rollback.report(self.name());
    }

    /// The VM with its instance view.
    fn vm_view(&self) -> Result<Value> {
        let arm = self.arm()?;
        arm.get_with(&self.vm_id()?, "$expand=instanceView")?
            .ok_or_else(|| {
                anyhow!(
                    "Virtual Machine {} not found in resource group {:?}",
                    self.name(),
                    self.group()
                )
            })
    }

    fn power_state(vm: &Value) -> State {
        let statuses = vm["properties"]["instanceView"]["statuses"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let code = statuses
            .iter()
            .filter_map(|s| s["code"].as_str())
            .find_map(|c| c.strip_prefix("PowerState/"))
            .unwrap_or("");
        match code {
            "running" => State::Running,
            "starting" => State::Starting,
            "stopping" | "deallocating" => State::Stopping,
            "stopped" | "deallocated" => State::Stopped,
            _ => State::None,
        }
    }

    fn wait_for(&self, goal: State, timeout: Duration) -> Result<()> {
        let what = format!("{} to be {}", self.name(), goal);
        Waiter::new(timeout, Duration::from_secs(5))
            .until(&what, || {
                Ok((Self::power_state(&self.vm_view()?) == goal).then_some(()))
            })
            .map_err(|e| {
                if e.to_string().starts_with("timed out") {
                    anyhow!(
                        "Waiting for goal state \"{goal}\" timed out after {}",
                        go_duration(timeout)
                    )
                } else {
                    e
                }
            })
    }

    /// Delete `id` when the check on its body says nothing uses it; what happened.
    fn delete_if_unused(&self, arm: &Arm, id: &str, unused: impl Fn(&Value) -> bool) -> Result<()> {
        let Some(v) = arm.get(id)? else { return Ok(()) };
        let ours =
            !self.own.tagged_shared || v["tags"][MADE_TAG].is_string() || id.contains("/subnets/");
        if !ours {
            crate::debug!("keeping {id}: docker-machine did not make it");
            return Ok(());
        }
        if unused(&v) {
            arm.delete(id)?;
        } else {
            crate::debug!("keeping {id}: still in use");
        }
        Ok(())
    }

    /// A 0.16.2 machine's OS disk was a VHD blob `https://<account>.blob.../vhd-<vm>/...`:
    /// remove its container, and the storage account once it holds no container.
    fn remove_vhd(&self, arm: &Arm, uri: &str) -> Result<()> {
        let host = uri.split("://").nth(1).unwrap_or("");
        let account = host.split('.').next().unwrap_or("");
        let container = host.split('/').nth(1).unwrap_or("");
        if account.is_empty() || container.is_empty() {
            return Ok(());
        }
        let account_id = arm.id(self.group(), "Microsoft.Storage/storageAccounts", account);
        arm.delete(&format!(
            "{account_id}/blobServices/default/containers/{container}"
        ))?;
        let left = arm
            .get(&format!("{account_id}/blobServices/default/containers"))?
            .and_then(|v| v["value"].as_array().map(|a| a.len()))
            .unwrap_or(0);
        if left == 0 {
            arm.delete(&account_id)?;
        }
        Ok(())
    }
}

/// A duration as Go prints it (`10m0s`).
fn go_duration(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 {
        format!("{}m{}s", s / 60, s % 60)
    } else {
        format!("{s}s")
    }
}

impl Driver for AzureDriver {
    super::base_and_json!("azure");
    fn set_config_from_flags(&mut self, opts: &DriverOptions) -> Result<()> {
        let required = [
            ("azure-ssh-user", &mut self.base.ssh_user),
            ("azure-subscription-id", &mut self.own.subscription_id),
            ("azure-resource-group", &mut self.own.resource_group),
            ("azure-location", &mut self.own.location),
            ("azure-size", &mut self.own.size),
            ("azure-image", &mut self.own.image),
            ("azure-vnet", &mut self.own.virtual_network),
            ("azure-subnet", &mut self.own.subnet_name),
            ("azure-subnet-prefix", &mut self.own.subnet_prefix),
            ("azure-availability-set", &mut self.own.availability_set),
            ("azure-storage-type", &mut self.own.storage_type),
        ];
        for (flag, target) in required {
            *target = opts.string(flag);
            if target.is_empty() {
                bail!("azure driver requires the {flag:?} option.");
            }
        }
        let o = &mut self.own;
        o.environment = opts.string("azure-environment");
        o.tenant_id = opts.string("azure-tenant-id");
        o.docker_port = opts.int("azure-docker-port");
        let ports = opts.string_slice("azure-open-port");
        o.open_ports = (!ports.is_empty()).then_some(ports);
        o.private_ip_addr = opts.string("azure-private-ip-address");
        o.use_private_ip = opts.bool("azure-use-private-ip");
        o.no_public_ip = opts.bool("azure-no-public-ip");
        o.static_public_ip = opts.bool("azure-static-public-ip");
        o.dns_label = opts.string("azure-dns");
        o.custom_data_file = opts.string("azure-custom-data");
        o.client_id = opts.string("azure-client-id");
        o.client_secret = opts.string("azure-client-secret");
        o.auth_method = opts.string("azure-auth");
        o.nsg = opts.string("azure-nsg");
        o.plan = opts.string("azure-plan");
        o.managed_disks = opts.bool("azure-managed-disks");
        o.fault_count = opts.int("azure-fault-domain-count");
        o.update_count = opts.int("azure-update-domain-count");
        o.disk_size = opts.int("azure-disk-size");
        o.tags = opts.string("azure-tags");
        o.accelerated_networking = opts.bool("azure-accelerated-networking");
        o.availability_zone = opts.string("azure-availability-zone");
        o.enable_public_ip_standard_sku = opts.bool("azure-enable-public-ip-standard-sku");
        self.base.ssh_port = SSH_PORT;
        login::Environment::named(&self.own.environment)?;
        login::Method::choose(
            &self.own.auth_method,
            &self.own.client_id,
            &self.own.client_secret,
        )?;
        self.image_reference()?;
        self.plan()?;
        Ok(())
    }
    fn pre_create_check(&self) -> Result<()> {
        if !self.own.custom_data_file.is_empty()
            && !std::path::Path::new(&self.own.custom_data_file).exists()
        {
            bail!(
                "custom-data file {} could not be found",
                self.own.custom_data_file
            );
        }
        if !self.own.availability_zone.is_empty()
            && self
                .own
                .availability_zone
                .parse::<u32>()
                .map_or(true, |z| z == 0)
        {
            bail!("Each VM can only be assigned to a single Availability Zone. Each zone is denoted by an integer greater than 0");
        }
        self.security_rules()?;
        let arm = self.arm()?;
        for provider in [
            "Microsoft.Compute",
            "Microsoft.Network",
            "Microsoft.Storage",
        ] {
            // Registered only when not yet: registering needs a right that a principal
            // limited to a resource group lacks.
            let id = format!("/subscriptions/{}/providers/{provider}", arm.subscription);
            let state = arm
                .get(&id)?
                .and_then(|v| v["registrationState"].as_str().map(str::to_string));
            if state.as_deref() != Some("Registered") {
                crate::debug!("registering resource provider {provider}");
                arm.post(&id, "register")?;
            }
        }
        if arm.get(&self.vm_id()?)?.is_some() {
            bail!(
                "Virtual Machine with name {} already exists in resource group {:?}",
                self.name(),
                self.group()
            );
        }
        Ok(())
    }
    fn create(&mut self) -> Result<()> {
        let mut made = Made::default();
        match self.create_parts(&mut made) {
            Ok(key_path) => {
                self.base.ssh_key_path = key_path;
                self.own.tagged_shared = true;
                Ok(())
            }
            Err(e) => {
                self.clean_up(&made);
                Err(e)
            }
        }
    }
    fn state(&self) -> Result<State> {
        Ok(Self::power_state(&self.vm_view()?))
    }
    fn ip(&self) -> Result<String> {
        let arm = self.arm()?;
        if self.own.use_private_ip || self.own.no_public_ip {
            let nic = arm
                .get(&self.nic_id(arm))?
                .ok_or_else(|| anyhow!("network interface {}-nic not found", self.name()))?;
            let ip = nic["properties"]["ipConfigurations"][0]["properties"]["privateIPAddress"]
                .as_str()
                .unwrap_or("");
            if ip.is_empty() {
                bail!("IP address is not set");
            }
            return Ok(ip.to_string());
        }
        let ip = arm
            .get(&self.ip_id(arm))?
            .ok_or_else(|| anyhow!("public IP address {}-ip not found", self.name()))?;
        if !self.own.dns_label.is_empty() {
            return ip["properties"]["dnsSettings"]["fqdn"]
                .as_str()
                .map(str::to_string)
                .ok_or_else(|| anyhow!("FQDN not found on public IP address"));
        }
        match ip["properties"]["ipAddress"].as_str() {
            Some(a) if !a.is_empty() => Ok(a.to_string()),
            _ => bail!("IP address is not set"),
        }
    }
    fn url(&self) -> Result<String> {
        if self.state()? != State::Running {
            return Err(HostNotRunning.into());
        }
        let ip = self.ip()?;
        let port = u16::try_from(self.own.docker_port).unwrap_or(2376);
        Ok(format!("tcp://{}", join_host_port(&ip, port)))
    }
    fn start(&mut self) -> Result<()> {
        let id = self.vm_id()?;
        self.arm()?.post(&id, "start")?;
        self.wait_for(State::Running, Duration::from_secs(600))
    }
    fn stop(&mut self) -> Result<()> {
        crate::info!("NOTICE: Stopping an Azure Virtual Machine is just going to power it off, not deallocate.");
        crate::info!(
            "NOTICE: You should remove the machine if you would like to avoid unexpected costs."
        );
        let id = self.vm_id()?;
        self.arm()?.post(&id, "powerOff")?;
        self.wait_for(State::Stopped, Duration::from_secs(300))
    }
    fn restart(&mut self) -> Result<()> {
        let id = self.vm_id()?;
        self.arm()?.post(&id, "restart")?;
        self.wait_for(State::Running, Duration::from_secs(600))
    }
    fn kill(&mut self) -> Result<()> {
        self.stop()
    }
    fn remove(&mut self) -> Result<()> {
        crate::info!("NOTICE: Please check Azure portal/CLI to make sure you have no leftover resources to avoid unexpected charges.");
        let arm = self.arm()?;
        let mut errors: Vec<String> = Vec::new();
        let mut step = |what: &str, r: Result<()>| {
            if let Err(e) = r {
                errors.push(format!("{what}: {e:#}"));
            }
        };
        let vm_id = self.vm_id()?;
        let vhd = arm.get(&vm_id).ok().flatten().and_then(|vm| {
            vm["properties"]["storageProfile"]["osDisk"]["vhd"]["uri"]
                .as_str()
                .map(str::to_string)
        });
        step("virtual machine", arm.delete(&vm_id).map(|_| ()));
        if let Some(uri) = vhd {
            step("OS disk VHD", self.remove_vhd(arm, &uri));
        }
        step(
            "network interface",
            arm.delete(&self.nic_id(arm)).map(|_| ()),
        );
        step(
            "public IP address",
            arm.delete(&self.ip_id(arm)).map(|_| ()),
        );
        if self.own.nsg.is_empty() {
            step(
                "network security group",
                arm.delete(&self.own_nsg_id(arm)).map(|_| ()),
            );
        }
        let empty = |key: &'static str| {
            move |v: &Value| v["properties"][key].as_array().is_none_or(|a| a.is_empty())
        };
        step(
            "availability set",
            self.delete_if_unused(arm, &self.set_id(arm), empty("virtualMachines")),
        );
        let vnet_ours = !self.own.tagged_shared
            || arm
                .get(&self.vnet_id(arm))
                .ok()
                .flatten()
                .is_some_and(|v| v["tags"][MADE_TAG].is_string());
        if vnet_ours {
            step(
                "subnet",
                self.delete_if_unused(arm, &self.subnet_id(arm), empty("ipConfigurations")),
            );
            step(
                "virtual network",
                self.delete_if_unused(arm, &self.vnet_id(arm), empty("subnets")),
            );
        }
        if !errors.is_empty() {
            bail!("{}", errors.join("; "));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcnflag::FlagValue;

    fn opts(overrides: &[(&str, FlagValue)]) -> DriverOptions {
        let mut o = DriverOptions::new();
        for f in flags::create_flags() {
            o.insert(f.key(), f.default_value());
        }
        o.insert("azure-subscription-id", FlagValue::String("sub".into()));
        for (k, v) in overrides {
            o.insert(k, v.clone());
        }
        o
    }

    #[test]
    fn flags_validate_and_keys_keep_the_original_order() {
        let mut d = AzureDriver::new("m", "/s");
        d.set_config_from_flags(&opts(&[])).unwrap();
        let json = d.to_json();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        let own: Vec<&str> = keys.iter().skip(9).map(|s| s.as_str()).collect();
        assert_eq!(
            own[..21],
            [
                "ClientID",
                "ClientSecret",
                "Environment",
                "SubscriptionID",
                "ResourceGroup",
                "DockerPort",
                "Location",
                "Size",
                "Image",
                "VirtualNetwork",
                "SubnetName",
                "SubnetPrefix",
                "AvailabilitySet",
                "StorageType",
                "OpenPorts",
                "PrivateIPAddr",
                "UsePrivateIP",
                "NoPublicIP",
                "DNSLabel",
                "StaticPublicIP",
                "CustomDataFile"
            ]
        );
        let e = AzureDriver::new("m", "/s")
            .set_config_from_flags(&opts(&[(
                "azure-subscription-id",
                FlagValue::String(String::new()),
            )]))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "azure driver requires the \"azure-subscription-id\" option."
        );
        let e = AzureDriver::new("m", "/s")
            .set_config_from_flags(&opts(&[("azure-image", FlagValue::String("a:b".into()))]))
            .unwrap_err();
        assert_eq!(e.to_string(), "image name \"a:b\" not a valid format");
    }

    #[test]
    fn firewall_rules_as_the_original_named_them() {
        let mut d = AzureDriver::new("m", "/s");
        d.set_config_from_flags(&opts(&[(
            "azure-open-port",
            FlagValue::StringSlice(vec!["8080".into(), "53/udp".into(), "9000/*".into()]),
        )]))
        .unwrap();
        d.base.swarm_master = true;
        d.base.swarm_host = "tcp://0.0.0.0:3376".into();
        let rules = d.security_rules().unwrap();
        let names: Vec<(&str, u64)> = rules
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap(),
                    r["properties"]["priority"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            names,
            [
                ("SSHAllowAny", 100),
                ("DockerAllowAny", 300),
                ("DockerSwarmAllowAny", 500),
                ("Port8080-TcpAllowAny", 1000),
                ("Port53-UdpAllowAny", 1001),
                ("Port9000-AsteriskAllowAny", 1002)
            ]
        );
        assert_eq!(go_duration(Duration::from_secs(600)), "10m0s");
    }
}
