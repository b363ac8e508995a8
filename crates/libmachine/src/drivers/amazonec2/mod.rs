//! The `amazonec2` driver: an EC2 instance, through EC2's Query API (see [`api`]), with
//! the cloud layer's retrying client, waiters and SigV4 signing. SSH user `ubuntu`.
//!
//! * pre-create: credentials ([`credentials`]), the account's default VPC, the key pair
//!   name free (or the named one present), the subnet from the zone, the AMI known.
//! * create: key pair imported (`--amazonec2-ssh-keypath` or a new key), security
//!   groups found, created (racing creators reuse the winner's) or left alone
//!   (`--amazonec2-security-group-readonly`), SSH/2376/swarm/`--amazonec2-open-port`
//!   ports opened; RunInstances or a spot request waited on until fulfilled; the
//!   address awaited and cached; `Name` and `--amazonec2-tags` on the instance and its
//!   volumes. A failure part-way removes what this create made, and says so.
//! * rm: instance terminated (already gone: a warning), spot request cancelled, key pair
//!   deleted (unless `--amazonec2-keypair-name`), security groups this machine created
//!   deleted once no other instance uses them ([`groups`]).
//! * `ip` and `url` use the cached address (refreshed by `start`), as GitLab's fork does.

mod api;
mod credentials;
mod flags;
mod groups;
mod regions;

use super::{join_host_port, BaseDriver, Driver, DriverSpec, HostNotRunning};
use crate::cloud::http::{HttpClient, RetryPolicy};
use crate::cloud::sigv4::Credentials;
use crate::cloud::wait::Waiter;
use crate::cloud::ApiError;
use crate::mcnflag::DriverOptions;
use crate::state::State;
use anyhow::{anyhow, bail, Result};
use api::{filters, list, Ec2, Instance, Params};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

pub static SPEC: DriverSpec = DriverSpec {
    name: "amazonec2",
    create_flags: flags::create_flags,
    new: |machine_name, store_path| Box::new(Ec2Driver::new(machine_name, store_path)),
    load: |json| Ok(Box::new(Ec2Driver::from_json(json)?)),
    implemented: true,
};

const DOCKER_PORT: u16 = 2376;
const DEFAULT_SWARM_PORT: u16 = 3376;
const IP_RANGE: &str = "0.0.0.0/0";
const KEYPAIR_NOT_FOUND: &str = "InvalidKeyPair.NotFound";
const INSTANCE_NOT_FOUND: &str = "InvalidInstanceID.NotFound";
/// EC2's limit on raw user data.
const USER_DATA_LIMIT: usize = 16 * 1024;

/// The driver's own keys in `config.json`, in the original's order; the keys GitLab's
/// fork and this driver added follow, written only when set.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Own {
    #[serde(rename = "Id")]
    id: String,
    #[serde(rename = "AccessKey")]
    access_key: String,
    #[serde(rename = "SecretKey")]
    secret_key: String,
    #[serde(rename = "SessionToken")]
    session_token: String,
    #[serde(rename = "Region")]
    region: String,
    #[serde(rename = "AMI")]
    ami: String,
    #[serde(rename = "SSHKeyID")]
    ssh_key_id: i64,
    #[serde(rename = "ExistingKey")]
    existing_key: bool,
    #[serde(rename = "KeyName")]
    key_name: String,
    #[serde(rename = "InstanceId")]
    instance_id: String,
    #[serde(rename = "InstanceType")]
    instance_type: String,
    #[serde(rename = "PrivateIPAddress")]
    private_ip_address: String,
    #[serde(rename = "SecurityGroupId")]
    security_group_id: String,
    #[serde(rename = "SecurityGroupIds")]
    security_group_ids: Option<Vec<String>>,
    #[serde(rename = "SecurityGroupName")]
    security_group_name: String,
    #[serde(rename = "SecurityGroupNames")]
    security_group_names: Option<Vec<String>>,
    #[serde(rename = "SecurityGroupReadOnly")]
    security_group_read_only: bool,
    #[serde(rename = "OpenPorts")]
    open_ports: Option<Vec<String>>,
    #[serde(rename = "Tags")]
    tags: String,
    #[serde(rename = "ReservationId")]
    reservation_id: String,
    #[serde(rename = "DeviceName")]
    device_name: String,
    #[serde(rename = "RootSize")]
    root_size: i64,
    #[serde(rename = "VolumeType")]
    volume_type: String,
    #[serde(rename = "IamInstanceProfile")]
    iam_instance_profile: String,
    #[serde(rename = "VpcId")]
    vpc_id: String,
    #[serde(rename = "SubnetId")]
    subnet_id: String,
    #[serde(rename = "Zone")]
    zone: String,
    #[serde(rename = "RequestSpotInstance")]
    request_spot_instance: bool,
    #[serde(rename = "SpotPrice")]
    spot_price: String,
    #[serde(rename = "BlockDurationMinutes")]
    block_duration_minutes: i64,
    #[serde(rename = "PrivateIPOnly")]
    private_ip_only: bool,
    #[serde(rename = "UsePrivateIP")]
    use_private_ip: bool,
    #[serde(rename = "UseEbsOptimizedInstance")]
    use_ebs_optimized_instance: bool,
    #[serde(rename = "Monitoring")]
    monitoring: bool,
    #[serde(rename = "SSHPrivateKeyPath")]
    ssh_private_key_path: String,
    #[serde(rename = "RetryCount")]
    retry_count: i64,
    #[serde(rename = "Endpoint")]
    endpoint: String,
    #[serde(rename = "DisableSSL")]
    disable_ssl: bool,
    #[serde(rename = "UserDataFile")]
    user_data_file: String,
    #[serde(rename = "MetadataToken", skip_serializing_if = "String::is_empty")]
    metadata_token: String,
    #[serde(
        rename = "MetadataTokenResponseHopLimit",
        skip_serializing_if = "is_zero"
    )]
    metadata_token_response_hop_limit: i64,
    #[serde(
        rename = "SpotInstanceRequestId",
        skip_serializing_if = "String::is_empty"
    )]
    spot_instance_request_id: String,
    /// Groups this machine created, deleted again by `rm` when nothing else uses them.
    #[serde(
        rename = "CreatedSecurityGroupIds",
        skip_serializing_if = "Vec::is_empty"
    )]
    created_security_group_ids: Vec<String>,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

pub struct Ec2Driver {
    base: BaseDriver,
    own: Own,
    /// The client, made on first use (credentials may need the metadata service).
    client: OnceLock<Ec2>,
    /// The VPC and subnet the pre-create check found, so `create` does not ask again.
    checked: OnceLock<(String, String)>,
}

impl Ec2Driver {
    pub fn new(machine_name: &str, store_path: &str) -> Ec2Driver {
        let mut base = BaseDriver::new(machine_name, store_path);
        base.ssh_user = "ubuntu".into();
        base.ssh_port = 22;
        Ec2Driver {
            base,
            own: Own {
                id: random_id(),
                region: "us-east-1".into(),
                instance_type: "t2.micro".into(),
                root_size: 16,
                zone: "a".into(),
                security_group_names: Some(vec!["docker-machine".into()]),
                spot_price: "0.50".into(),
                retry_count: 5,
                ..Own::default()
            },
            client: OnceLock::new(),
            checked: OnceLock::new(),
        }
    }

    fn from_json(json: Value) -> Result<Ec2Driver> {
        let (base, own) = super::split_driver_json(json)?;
        Ok(Ec2Driver {
            base,
            own,
            client: OnceLock::new(),
            checked: OnceLock::new(),
        })
    }

    fn log(&self, msg: &str) {
        crate::log::info(&format!("({}) {msg}", self.base.machine_name));
    }

    fn client(&self) -> Result<&Ec2> {
        if let Some(c) = self.client.get() {
            return Ok(c);
        }
        let creds = credentials::resolve(&Credentials {
            access_key: self.own.access_key.clone(),
            secret_key: self.own.secret_key.clone(),
            session_token: self.own.session_token.clone(),
        })?;
        // The SDK's meaning of --amazonec2-retries: -1 is its default (3).
        let max_retries = match self.own.retry_count {
            n if n < 0 => 3,
            n => n.min(20) as u32,
        };
        let http = HttpClient::new(RetryPolicy {
            max_retries,
            ..RetryPolicy::default()
        });
        let endpoint =
            api::endpoint_url(&self.own.endpoint, &self.own.region, self.own.disable_ssl);
        let ec2 = Ec2::new(http, endpoint, &self.own.region, creds)?;
        Ok(self.client.get_or_init(|| ec2))
    }

    fn call(&self, action: &str, params: Params) -> Result<String> {
        self.client()?.call(action, &params)
    }

    /// The availability zone: region + letter, or the zone as given with an endpoint.
    fn region_zone(&self) -> String {
        if self.own.endpoint.is_empty() {
            format!("{}{}", self.own.region, self.own.zone)
        } else {
            self.own.zone.clone()
        }
    }

    fn group_names(&self) -> Vec<String> {
        migrate_to_slice(
            &self.own.security_group_name,
            &self.own.security_group_names,
        )
    }

    fn group_ids(&self) -> Vec<String> {
        migrate_to_slice(&self.own.security_group_id, &self.own.security_group_ids)
    }

    fn describe_instance(&self) -> Result<Instance> {
        if self.own.instance_id.is_empty() {
            bail!("unknown instance");
        }
        let xml = self.call(
            "DescribeInstances",
            list("InstanceId", &[&self.own.instance_id]),
        )?;
        api::instances(&xml)?
            .into_iter()
            .next()
            .ok_or_else(|| anyhow!("instance {} not found", self.own.instance_id))
    }

    /// The address to connect to, per the private-address flags.
    fn address_of(&self, inst: &Instance) -> Result<String> {
        let ip = if self.own.private_ip_only || self.own.use_private_ip {
            &inst.private_ip
        } else {
            &inst.public_ip
        };
        if ip.is_empty() {
            let which = if self.own.private_ip_only || self.own.use_private_ip {
                "private IP"
            } else {
                "IP"
            };
            bail!("No {which} for instance {}", inst.id);
        }
        Ok(ip.clone())
    }

    fn state_of(inst: &Instance) -> State {
        match inst.state.as_str() {
            "pending" => State::Starting,
            "running" => State::Running,
            "stopping" | "shutting-down" => State::Stopping,
            "stopped" => State::Stopped,
            other => {
                if other != "terminated" {
                    crate::warn!("unrecognized instance state: {other}");
                }
                State::Error
            }
        }
    }

    fn swarm_port(&self) -> u16 {
        self.base
            .swarm_host
            .rsplit(':')
            .next()
            .and_then(|p| p.trim_end_matches('/').parse().ok())
            .unwrap_or(DEFAULT_SWARM_PORT)
    }

    fn default_vpc(&self) -> Result<String> {
        let xml = self.call(
            "DescribeAccountAttributes",
            list("AttributeName", &["default-vpc"]),
        )?;
        let doc = api::parse(&xml)?;
        for attr in api::items(doc.root_element(), "accountAttributeSet") {
            if api::child_text(attr, "attributeName").as_deref() == Some("default-vpc") {
                if let Some(v) = api::items(attr, "attributeValueSet")
                    .first()
                    .and_then(|v| api::child_text(*v, "attributeValue"))
                    .filter(|v| v != "none")
                {
                    return Ok(v);
                }
            }
        }
        // Some EC2 implementations (moto) answer `none` while a default VPC exists.
        let xml = self.call(
            "DescribeVpcs",
            filters(&[("is-default", vec!["true".into()])]),
        )?;
        let doc = api::parse(&xml)?;
        api::items(doc.root_element(), "vpcSet")
            .first()
            .and_then(|v| api::child_text(*v, "vpcId"))
            .ok_or_else(|| anyhow!("No default-vpc attribute"))
    }

    /// The original's checks before anything is created, with the AMI checked too so
    /// that an unknown image fails before anything exists. Gives the VPC and subnet.
    fn check_prereqs(&self) -> Result<(String, String)> {
        let mut vpc_id = self.own.vpc_id.clone();
        let mut subnet_id = self.own.subnet_id.clone();
        let (key_name, should_exist) = if self.own.key_name.is_empty() {
            (self.base.machine_name.clone(), false)
        } else {
            (self.own.key_name.clone(), true)
        };
        match self.call("DescribeKeyPairs", list("KeyName", &[&key_name])) {
            Ok(xml) => {
                let doc = api::parse(&xml)?;
                let found = !api::items(doc.root_element(), "keySet").is_empty();
                if found && !should_exist {
                    bail!("There is already a keypair with the name {key_name}.  Please either remove that keypair or use a different machine name.");
                }
                if !found && should_exist {
                    bail!("There is no keypair with the name {key_name}. Please verify the key name provided.");
                }
            }
            Err(e) if ApiError::has_code(&e, KEYPAIR_NOT_FOUND) => {
                if should_exist {
                    bail!("There is no keypair with the name {key_name}. Please verify the key name provided.");
                }
            }
            Err(e) => return Err(e),
        }

        if vpc_id.is_empty() {
            match self.default_vpc() {
                Ok(v) => vpc_id = v,
                Err(e) => crate::warn!(
                    "Couldn't determine your account Default VPC ID : {:?}",
                    format!("{e:#}")
                ),
            }
        }
        if subnet_id.is_empty() && vpc_id.is_empty() {
            bail!("amazonec2 driver requires either the --amazonec2-subnet-id or --amazonec2-vpc-id option or an AWS Account with a default vpc-id");
        }
        if !subnet_id.is_empty() && !vpc_id.is_empty() {
            let xml = self.call(
                "DescribeSubnets",
                filters(&[("subnet-id", vec![subnet_id.clone()])]),
            )?;
            let doc = api::parse(&xml)?;
            let subnets = api::items(doc.root_element(), "subnetSet");
            let Some(first) = subnets.first() else {
                bail!("The desired subnet could not be located in this region. Is '--amazonec2-subnet-id' or AWS_SUBNET_ID configured correctly?");
            };
            let vpc = api::child_text(*first, "vpcId").unwrap_or_default();
            if vpc != vpc_id {
                bail!(
                    "SubnetId: {} does not belong to VpcId: {}",
                    subnet_id,
                    vpc_id
                );
            }
        }
        if subnet_id.is_empty() {
            let zone = self.region_zone();
            let xml = self.call(
                "DescribeSubnets",
                filters(&[
                    ("availability-zone", vec![zone.clone()]),
                    ("vpc-id", vec![vpc_id.clone()]),
                ]),
            )?;
            let doc = api::parse(&xml)?;
            let subnets = api::items(doc.root_element(), "subnetSet");
            let chosen = subnets
                .iter()
                .find(|s| api::child_text(**s, "defaultForAz").as_deref() == Some("true"))
                .or(subnets.first())
                .and_then(|s| api::child_text(*s, "subnetId"));
            match chosen {
                Some(s) => subnet_id = s,
                None => bail!("unable to find a subnet in the zone: {zone}"),
            }
        }
        if self.own.ami.is_empty() {
            bail!(
                "no AMI given: use --amazonec2-ami (region {} has no default image)",
                self.own.region
            );
        }
        let xml = self.call("DescribeImages", list("ImageId", &[&self.own.ami]))?;
        let doc = api::parse(&xml)?;
        if api::items(doc.root_element(), "imagesSet").is_empty() {
            bail!(
                "EC2 API error InvalidAMIID.NotFound: The image id '[{}]' does not exist",
                self.own.ami
            );
        }
        Ok((vpc_id, subnet_id))
    }

    fn import_key_pair(&mut self, made: &mut Made) -> Result<()> {
        let own_key = (!self.own.ssh_private_key_path.is_empty())
            .then(|| Path::new(&self.own.ssh_private_key_path).to_path_buf());
        let key = crate::cloud::keys::machine_key(&self.base.machine_dir(), own_key.as_deref())?;
        self.base.ssh_key_path = key.private_path.to_string_lossy().into_owned();
        if self.own.existing_key {
            crate::debug!("Using existing EC2 key pair: {}", self.own.key_name);
            return Ok(());
        }
        let name = self.base.machine_name.clone();
        self.call(
            "ImportKeyPair",
            vec![
                ("KeyName".into(), name.clone()),
                (
                    "PublicKeyMaterial".into(),
                    crate::cloud::userdata::base64(key.public_key.as_bytes()),
                ),
            ],
        )?;
        self.own.key_name = name;
        made.key_pair = true;
        Ok(())
    }

    /// The launch parameters shared by RunInstances and a spot request's specification.
    fn launch_params(&self, prefix: &str, user_data: &Option<Vec<u8>>) -> Params {
        let p = |k: &str| format!("{prefix}{k}");
        let mut out: Params = vec![
            (p("ImageId"), self.own.ami.clone()),
            (p("Placement.AvailabilityZone"), self.region_zone()),
            (p("KeyName"), self.own.key_name.clone()),
            (p("InstanceType"), self.own.instance_type.clone()),
            (p("NetworkInterface.1.DeviceIndex"), "0".into()),
            (p("NetworkInterface.1.SubnetId"), self.own.subnet_id.clone()),
            (
                p("NetworkInterface.1.AssociatePublicIpAddress"),
                (!self.own.private_ip_only).to_string(),
            ),
            (p("Monitoring.Enabled"), self.own.monitoring.to_string()),
            (
                p("EbsOptimized"),
                self.own.use_ebs_optimized_instance.to_string(),
            ),
            (
                p("BlockDeviceMapping.1.DeviceName"),
                self.own.device_name.clone(),
            ),
            (
                p("BlockDeviceMapping.1.Ebs.VolumeSize"),
                self.own.root_size.to_string(),
            ),
            (
                p("BlockDeviceMapping.1.Ebs.VolumeType"),
                self.own.volume_type.clone(),
            ),
            (
                p("BlockDeviceMapping.1.Ebs.DeleteOnTermination"),
                "true".into(),
            ),
        ];
        for (i, id) in self.group_ids().iter().enumerate() {
            out.push((
                p(&format!("NetworkInterface.1.SecurityGroupId.{}", i + 1)),
                id.clone(),
            ));
        }
        if !self.own.iam_instance_profile.is_empty() {
            out.push((
                p("IamInstanceProfile.Name"),
                self.own.iam_instance_profile.clone(),
            ));
        }
        if let Some(data) = user_data {
            out.push((p("UserData"), crate::cloud::userdata::base64(data)));
        }
        out
    }

    fn metadata_params(&self, prefix: &str) -> Params {
        let mut out = Params::new();
        if !self.own.metadata_token.is_empty() {
            out.push((
                format!("{prefix}HttpTokens"),
                self.own.metadata_token.clone(),
            ));
            out.push((format!("{prefix}HttpEndpoint"), "enabled".into()));
        }
        if self.own.metadata_token_response_hop_limit > 0 {
            out.push((
                format!("{prefix}HttpPutResponseHopLimit"),
                self.own.metadata_token_response_hop_limit.to_string(),
            ));
        }
        out
    }

    fn run_instance(&mut self, user_data: &Option<Vec<u8>>, made: &mut Made) -> Result<()> {
        let mut params: Params = vec![
            ("MinCount".into(), "1".into()),
            ("MaxCount".into(), "1".into()),
        ];
        params.extend(self.launch_params("", user_data));
        params.extend(self.metadata_params("MetadataOptions."));
        let xml = self
            .call("RunInstances", params)
            .map_err(|e| anyhow!("Error launching instance: {e:#}"))?;
        let doc = api::parse(&xml)?;
        self.own.reservation_id =
            api::child_text(doc.root_element(), "reservationId").unwrap_or_default();
        let inst = api::instances(&xml)?
            .into_iter()
            .next()
            .filter(|i| !i.id.is_empty())
            .ok_or_else(|| {
                anyhow!("Error launching instance: EC2 RunInstances answered without an instance")
            })?;
        made.instance = true;
        self.own.instance_id = inst.id;
        Ok(())
    }

    fn request_spot_instance(
        &mut self,
        user_data: &Option<Vec<u8>>,
        made: &mut Made,
    ) -> Result<()> {
        let mut params: Params = vec![("InstanceCount".into(), "1".into())];
        // An empty price: bid up to the on-demand price, EC2's default.
        if !self.own.spot_price.is_empty() {
            params.push(("SpotPrice".into(), self.own.spot_price.clone()));
        }
        if self.own.block_duration_minutes != 0 {
            params.push((
                "BlockDurationMinutes".into(),
                self.own.block_duration_minutes.to_string(),
            ));
        }
        params.extend(self.launch_params("LaunchSpecification.", user_data));
        let xml = self
            .call("RequestSpotInstances", params)
            .map_err(|e| anyhow!("Error request spot instance: {e:#}"))?;
        let doc = api::parse(&xml)?;
        let id = api::items(doc.root_element(), "spotInstanceRequestSet")
            .first()
            .and_then(|r| api::child_text(*r, "spotInstanceRequestId"))
            .ok_or_else(|| {
                anyhow!("Error request spot instance: EC2 answered without a request id")
            })?;
        made.spot_request = true;
        self.own.spot_instance_request_id = id.clone();
        self.log("Waiting for spot instance...");
        let instance_id = Waiter::new(Duration::from_secs(600), Duration::from_secs(5))
            .until(&format!("spot request {id} to be fulfilled"), || {
                let xml = self.call(
                    "DescribeSpotInstanceRequests",
                    list("SpotInstanceRequestId", &[&id]),
                )?;
                let doc = api::parse(&xml)?;
                let Some(req) = api::items(doc.root_element(), "spotInstanceRequestSet")
                    .into_iter()
                    .next()
                else {
                    return Ok(None);
                };
                let state = api::child_text(req, "state").unwrap_or_default();
                let code = api::path_text(req, &["status", "code"]).unwrap_or_default();
                let instance = api::child_text(req, "instanceId").unwrap_or_default();
                match state.as_str() {
                    "active" if !instance.is_empty() => Ok(Some(instance)),
                    "closed" | "cancelled" | "failed" => {
                        let msg = api::path_text(req, &["status", "message"]).unwrap_or_default();
                        bail!("spot request {id} is {state} ({code}): {msg}")
                    }
                    _ => Ok(None),
                }
            })
            .map_err(|e| anyhow!("Error fulfilling spot request: {e:#}"))?;
        made.instance = true;
        self.own.instance_id = instance_id;
        self.log(&format!("Created spot instance request {id}"));
        if !self.own.metadata_token.is_empty() && self.own.metadata_token != "optional"
            || self.own.metadata_token_response_hop_limit > 1
        {
            // A spot launch specification has no metadata options: set them now.
            let mut p: Params = vec![("InstanceId".into(), self.own.instance_id.clone())];
            p.extend(self.metadata_params(""));
            self.call("ModifyInstanceMetadataOptions", p)?;
        }
        Ok(())
    }

    fn tag(&self, inst: &Instance) -> Result<()> {
        let mut resources = vec![inst.id.clone()];
        resources.extend(inst.volume_ids.iter().cloned());
        let mut params = list("ResourceId", &resources);
        let mut tags = vec![("Name".to_string(), self.base.machine_name.clone())];
        if !self.own.tags.is_empty() {
            let t: Vec<&str> = self.own.tags.split(',').collect();
            if !t.len().is_multiple_of(2) {
                crate::warn!(
                    "Tags are not key value in pairs. {} elements found",
                    t.len()
                );
            }
            for pair in t.chunks_exact(2) {
                tags.push((pair[0].to_string(), pair[1].to_string()));
            }
        }
        for (i, (k, v)) in tags.iter().enumerate() {
            params.push((format!("Tag.{}.Key", i + 1), k.clone()));
            params.push((format!("Tag.{}.Value", i + 1), v.clone()));
        }
        self.call("CreateTags", params)?;
        Ok(())
    }

    fn create_parts(&mut self, made: &mut Made) -> Result<()> {
        // What `pre_create_check` found; the checks run again when it was not called.
        let (vpc_id, subnet_id) = match self.checked.take() {
            Some(found) => found,
            None => self.check_prereqs()?,
        };
        self.own.vpc_id = vpc_id;
        self.own.subnet_id = subnet_id;
        self.log("Launching instance...");
        self.import_key_pair(made)
            .map_err(|e| anyhow!("unable to create key pair: {e:#}"))?;
        self.configure_security_groups(made)?;
        let user_data = crate::cloud::userdata::load(
            &self.own.user_data_file,
            "--amazonec2-userdata",
            USER_DATA_LIMIT,
        )?;
        crate::debug!("launching instance in subnet {}", self.own.subnet_id);
        if self.own.request_spot_instance {
            self.request_spot_instance(&user_data, made)?;
        } else {
            self.run_instance(&user_data, made)?;
        }
        let waiter = Waiter::new(Duration::from_secs(600), Duration::from_secs(2));
        let mut inst = waiter.until(
            &format!("instance {} to be running", self.own.instance_id),
            || {
                let i = self.describe_instance()?;
                match i.state.as_str() {
                    "running" => Ok(Some(i)),
                    "pending" => Ok(None),
                    other => bail!("instance {} is {other}", i.id),
                }
            },
        )?;
        self.base.ip_address = waiter.until(
            &format!("the address of instance {}", inst.id),
            || match self.address_of(&inst) {
                Ok(ip) => Ok(Some(ip)),
                Err(_) => {
                    inst = self.describe_instance()?;
                    Ok(self.address_of(&inst).ok())
                }
            },
        )?;
        self.own.private_ip_address = inst.private_ip.clone();
        crate::debug!(
            "created instance ID {}, IP address {}, Private IP address {}",
            inst.id,
            self.base.ip_address,
            self.own.private_ip_address
        );
        self.tag(&inst)
            .map_err(|e| anyhow!("Unable to tag instance {}: {e:#}", inst.id))
    }

    /// Remove what a failed create made, newest first; report what was removed.
    fn clean_up(&mut self, made: &Made) {
        let mut rollback = crate::cloud::Rollback::default();
        if made.instance {
            rollback.note(
                format!("instance {}", self.own.instance_id),
                self.terminate().map(|()| true),
            );
        }
        if made.spot_request {
            rollback.note(
                format!("spot request {}", self.own.spot_instance_request_id),
                self.cancel_spot_request().map(|()| true),
            );
        }
        if made.key_pair {
            rollback.note(
                format!("key pair {}", self.own.key_name),
                self.delete_key_pair().map(|()| true),
            );
        }
        for id in &made.groups {
            rollback.note(
                format!("security group {id}"),
                self.delete_group(id, made.instance),
            );
        }
        if !rollback.report(&self.base.machine_name) {
            return;
        }
        // Nothing is left: the record must not point at deleted things.
        self.own.instance_id.clear();
        self.own.spot_instance_request_id.clear();
        self.own.created_security_group_ids.clear();
        if made.key_pair {
            self.own.key_name.clear();
        }
    }

    fn terminate(&self) -> Result<()> {
        if self.own.instance_id.is_empty() {
            bail!("unknown instance");
        }
        crate::debug!("terminating instance: {}", self.own.instance_id);
        match self.call(
            "TerminateInstances",
            list("InstanceId", &[&self.own.instance_id]),
        ) {
            Ok(_) => Ok(()),
            Err(e) if ApiError::has_code(&e, INSTANCE_NOT_FOUND) => {
                crate::warn!(
                    "Remote instance does not exist, proceeding with removing local reference"
                );
                Ok(())
            }
            Err(e) => Err(anyhow!("unable to terminate instance: {e:#}")),
        }
    }

    fn cancel_spot_request(&self) -> Result<()> {
        if self.own.spot_instance_request_id.is_empty() {
            return Ok(());
        }
        match self.call(
            "CancelSpotInstanceRequests",
            list(
                "SpotInstanceRequestId",
                &[&self.own.spot_instance_request_id],
            ),
        ) {
            Err(e) if ApiError::has_code(&e, "InvalidSpotInstanceRequestID.NotFound") => Ok(()),
            other => other.map(|_| ()),
        }
    }

    fn delete_key_pair(&self) -> Result<()> {
        if self.own.key_name.is_empty() {
            return Ok(());
        }
        crate::debug!("deleting key pair: {}", self.own.key_name);
        match self.call(
            "DeleteKeyPair",
            vec![("KeyName".into(), self.own.key_name.clone())],
        ) {
            Err(e) if ApiError::has_code(&e, KEYPAIR_NOT_FOUND) => Ok(()),
            other => other.map(|_| ()),
        }
    }
}

/// What a create made so far, for the clean-up of a failure.
#[derive(Default)]
struct Made {
    key_pair: bool,
    groups: Vec<String>,
    spot_request: bool,
    instance: bool,
}

/// The original kept single-value fields beside the lists: both count, single first.
fn migrate_to_slice(value: &str, values: &Option<Vec<String>>) -> Vec<String> {
    let mut out = Vec::new();
    if !value.is_empty() {
        out.push(value.to_string());
    }
    out.extend(values.iter().flatten().cloned());
    out
}

/// 32 hex digits, as the original's md5 of random bytes.
fn random_id() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Driver for Ec2Driver {
    super::base_and_json!("amazonec2");
    fn set_config_from_flags(&mut self, opts: &DriverOptions) -> Result<()> {
        let o = &mut self.own;
        o.endpoint = opts.string("amazonec2-endpoint");
        let region = opts.string("amazonec2-region");
        let default_ami = regions::default_ami(&region);
        if default_ami.is_none() && o.endpoint.is_empty() {
            bail!("Invalid region specified");
        }
        o.ami = opts.string("amazonec2-ami");
        if o.ami.is_empty() {
            o.ami = default_ami.unwrap_or("").to_string();
        }
        o.region = region;
        o.access_key = opts.string("amazonec2-access-key");
        o.secret_key = opts.string("amazonec2-secret-key");
        o.session_token = opts.string("amazonec2-session-token");
        o.request_spot_instance = opts.bool("amazonec2-request-spot-instance");
        o.spot_price = opts.string("amazonec2-spot-price");
        o.block_duration_minutes = opts.int("amazonec2-block-duration-minutes");
        o.instance_type = opts.string("amazonec2-instance-type");
        o.vpc_id = opts.string("amazonec2-vpc-id");
        o.subnet_id = opts.string("amazonec2-subnet-id");
        o.security_group_names = Some(opts.string_slice("amazonec2-security-group"));
        o.security_group_read_only = opts.bool("amazonec2-security-group-readonly");
        o.tags = opts.string("amazonec2-tags");
        o.zone = opts.string("amazonec2-zone");
        o.device_name = opts.string("amazonec2-device-name");
        o.root_size = opts.int("amazonec2-root-size");
        o.volume_type = opts.string("amazonec2-volume-type");
        o.iam_instance_profile = opts.string("amazonec2-iam-instance-profile");
        o.private_ip_only = opts.bool("amazonec2-private-address-only");
        o.use_private_ip = opts.bool("amazonec2-use-private-address");
        o.monitoring = opts.bool("amazonec2-monitoring");
        o.use_ebs_optimized_instance = opts.bool("amazonec2-use-ebs-optimized-instance");
        o.ssh_private_key_path = opts.string("amazonec2-ssh-keypath");
        o.key_name = opts.string("amazonec2-keypair-name");
        o.existing_key = !o.key_name.is_empty();
        o.retry_count = opts.int("amazonec2-retries");
        let ports = opts.string_slice("amazonec2-open-port");
        o.open_ports = (!ports.is_empty()).then_some(ports);
        o.user_data_file = opts.string("amazonec2-userdata");
        o.disable_ssl = opts.bool("amazonec2-insecure-transport");
        o.metadata_token = opts.string("amazonec2-metadata-token");
        o.metadata_token_response_hop_limit =
            opts.int("amazonec2-metadata-token-response-hop-limit");
        self.base.ssh_user = opts.string("amazonec2-ssh-user");
        self.base.ssh_port = opts.int("amazonec2-ssh-port");
        let o = &self.own;
        if !matches!(o.metadata_token.as_str(), "optional" | "required") {
            bail!(
                "--amazonec2-metadata-token must be \"optional\" or \"required\", not {:?}",
                o.metadata_token
            );
        }
        if !(1..=64).contains(&o.metadata_token_response_hop_limit) {
            bail!("--amazonec2-metadata-token-response-hop-limit must be between 1 and 64");
        }
        if o.disable_ssl && o.endpoint.is_empty() {
            bail!("using --amazonec2-insecure-transport also requires --amazonec2-endpoint");
        }
        if !o.key_name.is_empty() && o.ssh_private_key_path.is_empty() {
            bail!("using --amazonec2-keypair-name also requires --amazonec2-ssh-keypath");
        }
        Ok(())
    }
    fn pre_create_check(&self) -> Result<()> {
        let found = self.check_prereqs()?;
        let _ = self.checked.set(found);
        Ok(())
    }
    fn create(&mut self) -> Result<()> {
        let mut made = Made::default();
        let result = self.create_parts(&mut made);
        if let Err(e) = result {
            self.clean_up(&made);
            return Err(e);
        }
        Ok(())
    }
    fn state(&self) -> Result<State> {
        Ok(Self::state_of(&self.describe_instance()?))
    }
    fn ip(&self) -> Result<String> {
        if !self.base.ip_address.is_empty() {
            return Ok(self.base.ip_address.clone());
        }
        self.address_of(&self.describe_instance()?)
    }
    /// One DescribeInstances: the state, and the address when none is cached.
    fn url(&self) -> Result<String> {
        let inst = self.describe_instance()?;
        if Self::state_of(&inst) != State::Running {
            return Err(HostNotRunning.into());
        }
        let ip = if self.base.ip_address.is_empty() {
            self.address_of(&inst)?
        } else {
            self.base.ip_address.clone()
        };
        Ok(format!("tcp://{}", join_host_port(&ip, DOCKER_PORT)))
    }
    fn start(&mut self) -> Result<()> {
        self.call(
            "StartInstances",
            list("InstanceId", &[&self.own.instance_id]),
        )?;
        let inst = Waiter::new(Duration::from_secs(600), Duration::from_secs(2)).until(
            &format!("instance {} to be running", self.own.instance_id),
            || {
                let i = self.describe_instance()?;
                Ok((i.state == "running").then_some(i))
            },
        )?;
        // A stopped instance gets a new public address when it starts again.
        self.base.ip_address = self.address_of(&inst)?;
        self.own.private_ip_address = inst.private_ip;
        Ok(())
    }
    fn stop(&mut self) -> Result<()> {
        let mut p = list("InstanceId", &[&self.own.instance_id]);
        p.push(("Force".into(), "false".into()));
        self.call("StopInstances", p).map(|_| ())
    }
    fn restart(&mut self) -> Result<()> {
        self.call(
            "RebootInstances",
            list("InstanceId", &[&self.own.instance_id]),
        )
        .map(|_| ())
    }
    fn kill(&mut self) -> Result<()> {
        let mut p = list("InstanceId", &[&self.own.instance_id]);
        p.push(("Force".into(), "true".into()));
        self.call("StopInstances", p).map(|_| ())
    }
    fn remove(&mut self) -> Result<()> {
        let mut errors = Vec::new();
        // A create that failed before launching left no instance to terminate.
        if !self.own.instance_id.is_empty() {
            if let Err(e) = self.terminate() {
                errors.push(format!("{e:#}"));
            }
        }
        if let Err(e) = self.cancel_spot_request() {
            errors.push(format!("unable to cancel spot request: {e:#}"));
        }
        if !self.own.existing_key {
            if let Err(e) = self.delete_key_pair() {
                errors.push(format!("unable to remove key pair: {e:#}"));
            }
        }
        if errors.is_empty() {
            for id in self.own.created_security_group_ids.clone() {
                if let Err(e) = self.delete_group(&id, true) {
                    errors.push(format!("unable to remove security group {id}: {e:#}"));
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            bail!("{}", errors.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_in_the_original_order_and_new_ones_only_when_set() {
        let d = Ec2Driver::new("m", "/s");
        let json = d.to_json();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys[9], "Id");
        assert_eq!(keys.last().unwrap().as_str(), "UserDataFile");
        assert_eq!(json["OpenPorts"], Value::Null);
        assert_eq!(
            json["SecurityGroupNames"],
            serde_json::json!(["docker-machine"])
        );
        assert_eq!(d.own.id.len(), 32);
        let mut d2 = Ec2Driver::from_json(json).unwrap();
        d2.own.created_security_group_ids.push("sg-1".into());
        d2.own.spot_instance_request_id = "sir-1".into();
        let back = Ec2Driver::from_json(d2.to_json()).unwrap();
        assert_eq!(
            back.own.created_security_group_ids,
            vec!["sg-1".to_string()]
        );
        assert_eq!(back.own.spot_instance_request_id, "sir-1");
    }

    #[test]
    fn group_fields_migrate_and_zone() {
        assert_eq!(
            migrate_to_slice("sg-a", &Some(vec!["sg-b".into()])),
            vec!["sg-a".to_string(), "sg-b".to_string()]
        );
        assert!(migrate_to_slice("", &None).is_empty());
        let mut d = Ec2Driver::new("m", "/s");
        assert_eq!(d.region_zone(), "us-east-1a");
        d.own.endpoint = "http://127.0.0.1:1".into();
        d.own.zone = "us-east-1b".into();
        assert_eq!(d.region_zone(), "us-east-1b");
        d.base.swarm_host = "tcp://0.0.0.0:3377".into();
        assert_eq!(d.swarm_port(), 3377);
    }

    /// A stand-in EC2 on loopback answering by action (moto always launches the
    /// instance; only a scripted answer can show a RunInstances without one).
    fn fake_ec2(
        answers: &'static [(&'static str, &'static str)],
    ) -> (String, std::sync::mpsc::Receiver<String>) {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let mut conn = conn.unwrap();
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut len = 0;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap() == 0 {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let body = String::from_utf8(body).unwrap();
                let action = body
                    .split('&')
                    .next()
                    .unwrap()
                    .trim_start_matches("Action=")
                    .to_string();
                let answer = answers
                    .iter()
                    .find(|(a, _)| *a == action)
                    .map(|(_, x)| *x)
                    .unwrap_or("<R/>");
                tx.send(action).unwrap();
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        (url, rx)
    }

    #[test]
    fn run_instances_without_an_instance_is_an_error_and_cleaned_up() {
        let (url, actions) = fake_ec2(&[
            ("DescribeKeyPairs", "<R><keySet/></R>"),
            ("DescribeImages", "<R><imagesSet><item><imageId>ami-1</imageId></item></imagesSet></R>"),
            ("DescribeSecurityGroups", "<R><securityGroupInfo><item><groupId>sg-1</groupId><groupName>docker-machine</groupName><ipPermissions/></item></securityGroupInfo></R>"),
            ("RunInstances", "<RunInstancesResponse><reservationId>r-1</reservationId><instancesSet/></RunInstancesResponse>"),
        ]);
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("machines/m")).unwrap();
        let mut d = Ec2Driver::new("m", dir.path().to_str().unwrap());
        d.own.endpoint = url;
        d.own.access_key = "AK".into();
        d.own.secret_key = "SK".into();
        d.own.ami = "ami-1".into();
        d.own.vpc_id = "vpc-1".into();
        d.own.subnet_id = String::new();
        d.own.zone = "z".into();
        d.own.retry_count = 0;
        // No subnet in the zone: the check says so before anything is made.
        let e = d.create().unwrap_err();
        assert_eq!(e.to_string(), "unable to find a subnet in the zone: z");
        d.own.subnet_id = "subnet-1".into();
        d.own.vpc_id = String::new();
        let e = d.create().unwrap_err();
        assert_eq!(
            format!("{e:#}"),
            "Error launching instance: EC2 RunInstances answered without an instance"
        );
        let seen: Vec<String> = actions.try_iter().collect();
        let tail: Vec<&str> = seen
            .iter()
            .rev()
            .take(3)
            .rev()
            .map(String::as_str)
            .collect();
        assert_eq!(
            tail,
            [
                "AuthorizeSecurityGroupIngress",
                "RunInstances",
                "DeleteKeyPair"
            ],
            "{seen:?}"
        );
        assert_eq!(d.own.instance_id, "");
        assert_eq!(d.own.key_name, "");
    }
}
