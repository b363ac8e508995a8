//! The `digitalocean` driver: a droplet, through DigitalOcean's API v2 ([`api`]) on the
//! cloud layer's client (bearer token; 429 ridden out until `RateLimit-Reset`).
//!
//! * pre-create: the token is there, the region exists, the fingerprint's key exists.
//! * create: the account key of `--digitalocean-ssh-key-fingerprint` (its private half
//!   copied from `--digitalocean-ssh-key-path`, else the user's default key), or a new
//!   `id_rsa` registered under the machine's name; the droplet created with the image,
//!   size, tags, user data, IPv6, private networking, backups and monitoring asked for,
//!   and polled until it has a public IPv4. A failure part-way removes what it made.
//! * start/stop/kill/restart: `power_on`/`shutdown`/`power_off`/`reboot` actions, each
//!   waited for until the API says it completed.
//! * rm: the droplet, and the key this machine registered (never an account key); a
//!   droplet or key already gone is a warning.
//!
//! JSON keys (0.16.2's): AccessToken DropletID DropletName Image Region SSHKeyID
//! SSHKeyFingerprint SSHKey Size IPv6 Backups PrivateNetworking UserDataFile Monitoring
//! Tags.

mod api;

use super::{join_host_port, BaseDriver, Driver, DriverSpec, HostNotRunning};
use crate::cloud::wait::Waiter;
use crate::mcnflag::{DriverOptions, Flag};
use crate::state::State;
use anyhow::{anyhow, bail, Result};
use api::{is_not_found, DoApi};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

pub static SPEC: DriverSpec = DriverSpec {
    name: "digitalocean",
    create_flags,
    new: |machine_name, store_path| Box::new(DoDriver::new(machine_name, store_path)),
    load: |json| Ok(Box::new(DoDriver::from_json(json)?)),
    implemented: true,
};

const DOCKER_PORT: u16 = 2376;
/// 0.16.2's default image, which DigitalOcean no longer offers.
const RETIRED_IMAGE: &str = "ubuntu-16-04-x64";
/// What the retired default becomes: today's Ubuntu LTS.
const TODAY_IMAGE: &str = "ubuntu-24-04-x64";
/// DigitalOcean's limit on user data.
const USER_DATA_LIMIT: usize = 64 * 1024;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Own {
    #[serde(rename = "AccessToken")]
    access_token: String,
    #[serde(rename = "DropletID")]
    droplet_id: i64,
    #[serde(rename = "DropletName")]
    droplet_name: String,
    #[serde(rename = "Image")]
    image: String,
    #[serde(rename = "Region")]
    region: String,
    #[serde(rename = "SSHKeyID")]
    ssh_key_id: i64,
    #[serde(rename = "SSHKeyFingerprint")]
    ssh_key_fingerprint: String,
    #[serde(rename = "SSHKey")]
    ssh_key: String,
    #[serde(rename = "Size")]
    size: String,
    #[serde(rename = "IPv6")]
    ipv6: bool,
    #[serde(rename = "Backups")]
    backups: bool,
    #[serde(rename = "PrivateNetworking")]
    private_networking: bool,
    #[serde(rename = "UserDataFile")]
    user_data_file: String,
    #[serde(rename = "Monitoring")]
    monitoring: bool,
    #[serde(rename = "Tags")]
    tags: String,
}

pub struct DoDriver {
    base: BaseDriver,
    own: Own,
    client: OnceLock<DoApi>,
}

/// What a create made so far, for the clean-up of a failure.
#[derive(Default)]
struct Made {
    key: bool,
    droplet: bool,
}

impl DoDriver {
    pub fn new(machine_name: &str, store_path: &str) -> DoDriver {
        let mut base = BaseDriver::new(machine_name, store_path);
        base.ssh_user = "root".into();
        base.ssh_port = 22;
        DoDriver {
            base,
            own: Own {
                image: TODAY_IMAGE.into(),
                region: "nyc3".into(),
                size: "s-1vcpu-1gb".into(),
                ..Own::default()
            },
            client: OnceLock::new(),
        }
    }

    fn from_json(json: Value) -> Result<DoDriver> {
        let (base, own) = super::split_driver_json(json)?;
        Ok(DoDriver {
            base,
            own,
            client: OnceLock::new(),
        })
    }

    fn api(&self) -> &DoApi {
        self.client
            .get_or_init(|| DoApi::new(&self.own.access_token))
    }

    fn log(&self, msg: &str) {
        crate::log::info(&format!("({}) {msg}", self.base.machine_name));
    }

    /// The tags: comma-separated, trimmed, empties dropped.
    fn tags(&self) -> Vec<String> {
        self.own
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn droplet(&self) -> Result<Value> {
        if self.own.droplet_id == 0 {
            bail!("unknown droplet");
        }
        let v = self
            .api()
            .get(&format!("/v2/droplets/{}", self.own.droplet_id))?;
        Ok(v["droplet"].clone())
    }

    fn key_by_fingerprint(&self) -> Result<i64> {
        let fp = &self.own.ssh_key_fingerprint;
        match self.api().get(&format!("/v2/account/keys/{fp}")) {
            Ok(v) => v["ssh_key"]["id"]
                .as_i64()
                .ok_or_else(|| anyhow!("Digital Ocean SSH key with fingerprint {fp} has no id")),
            Err(e) if is_not_found(&e) => {
                bail!("Digital Ocean SSH key with fingerprint {fp} doesn't exist")
            }
            Err(e) => Err(e),
        }
    }

    fn check_region(&self) -> Result<()> {
        let mut page = 1;
        loop {
            let v = self
                .api()
                .get(&format!("/v2/regions?page={page}&per_page=200"))?;
            let regions = v["regions"].as_array().cloned().unwrap_or_default();
            if regions
                .iter()
                .any(|r| r["slug"].as_str() == Some(&self.own.region))
            {
                return Ok(());
            }
            if regions.is_empty() || v["links"]["pages"]["next"].as_str().is_none() {
                bail!("digitalocean requires a valid region");
            }
            page += 1;
        }
    }

    fn set_up_key(&mut self, made: &mut Made) -> Result<()> {
        let dir = self.base.machine_dir();
        if !self.own.ssh_key_fingerprint.is_empty() {
            self.own.ssh_key_id = self.key_by_fingerprint()?;
            if self.own.ssh_key.is_empty() {
                // SSH's default key logs in.
                self.log("Assuming Digital Ocean private SSH is located at ~/.ssh/id_rsa");
                self.base.ssh_key_path.clear();
                return Ok(());
            }
            // The private half, copied into the machine's folder under its own name.
            let src = Path::new(&self.own.ssh_key);
            let dst = dir.join(src.file_name().unwrap_or("id_rsa".as_ref()));
            crate::fsutil::copy_private(src, &dst).map_err(|e| {
                anyhow!(
                    "unable to copy ssh key: {}",
                    crate::fsutil::go_io_error("open", src, &e)
                )
            })?;
            self.base.ssh_key_path = dst.to_string_lossy().into_owned();
            return Ok(());
        }
        self.log("Creating SSH key...");
        let key = crate::cloud::keys::machine_key(&dir, None)?;
        self.base.ssh_key_path = key.private_path.to_string_lossy().into_owned();
        let v = self.api().post(
            "/v2/account/keys",
            &json!({"name": self.base.machine_name, "public_key": key.public_key}),
        )?;
        self.own.ssh_key_id = v["ssh_key"]["id"]
            .as_i64()
            .ok_or_else(|| anyhow!("DigitalOcean answered without the new key's id"))?;
        made.key = true;
        Ok(())
    }

    fn create_parts(&mut self, made: &mut Made) -> Result<()> {
        let user_data = crate::cloud::userdata::load(
            &self.own.user_data_file,
            "--digitalocean-userdata",
            USER_DATA_LIMIT,
        )?;
        self.set_up_key(made)?;
        self.log("Creating Digital Ocean droplet...");
        let mut request = json!({
            "name": self.base.machine_name,
            "region": self.own.region,
            "size": self.own.size,
            "image": self.own.image,
            "ssh_keys": [self.own.ssh_key_id],
            "backups": self.own.backups,
            "ipv6": self.own.ipv6,
            "private_networking": self.own.private_networking,
            "monitoring": self.own.monitoring,
            "tags": self.tags(),
        });
        if let Some(data) = user_data {
            request["user_data"] = String::from_utf8_lossy(&data).into_owned().into();
        }
        let v = self.api().post("/v2/droplets", &request)?;
        self.own.droplet_id = v["droplet"]["id"]
            .as_i64()
            .ok_or_else(|| anyhow!("DigitalOcean answered without the droplet's id"))?;
        made.droplet = true;
        self.log("Waiting for IP address to be assigned to the Droplet...");
        // 0.16.2 polled every second.
        let ip = Waiter::new(Duration::from_secs(600), Duration::from_secs(1)).until(
            &format!("the address of droplet {}", self.own.droplet_id),
            || Ok(public_ipv4(&self.droplet()?)),
        )?;
        crate::debug!(
            "Created droplet ID {}, IP address {ip}",
            self.own.droplet_id
        );
        self.base.ip_address = ip;
        Ok(())
    }

    /// Remove what a failed create made; report what was removed.
    fn clean_up(&mut self, made: &Made) {
        let mut rollback = crate::cloud::Rollback::default();
        if made.droplet {
            rollback.note(
                format!("droplet {}", self.own.droplet_id),
                self.delete_droplet().map(|()| true),
            );
        }
        if made.key {
            rollback.note(
                format!("SSH key {}", self.own.ssh_key_id),
                self.delete_key().map(|()| true),
            );
        }
        if !rollback.report(&self.base.machine_name) {
            return;
        }
        // Nothing is left: the record must not point at deleted things.
        self.own.droplet_id = 0;
        if made.key {
            self.own.ssh_key_id = 0;
        }
    }

    fn delete_droplet(&self) -> Result<()> {
        if self.own.droplet_id == 0 {
            return Ok(());
        }
        match self
            .api()
            .delete(&format!("/v2/droplets/{}", self.own.droplet_id))
        {
            Err(e) if is_not_found(&e) => {
                crate::warn!("Digital Ocean droplet doesn't exist, assuming it is already deleted");
                Ok(())
            }
            other => other,
        }
    }

    /// The key this machine registered (an account key given by fingerprint stays).
    fn delete_key(&self) -> Result<()> {
        if !self.own.ssh_key_fingerprint.is_empty() || self.own.ssh_key_id == 0 {
            return Ok(());
        }
        match self
            .api()
            .delete(&format!("/v2/account/keys/{}", self.own.ssh_key_id))
        {
            Err(e) if is_not_found(&e) => {
                crate::warn!("Digital Ocean SSH key doesn't exist, assuming it is already deleted");
                Ok(())
            }
            other => other,
        }
    }

    /// Ask for a power action and wait until DigitalOcean says it completed.
    fn action(&self, kind: &str) -> Result<()> {
        let v = self.api().post(
            &format!("/v2/droplets/{}/actions", self.own.droplet_id),
            &json!({ "type": kind }),
        )?;
        let id = v["action"]["id"]
            .as_i64()
            .ok_or_else(|| anyhow!("DigitalOcean answered without the action's id"))?;
        Waiter::new(Duration::from_secs(600), Duration::from_secs(2)).until(
            &format!("{kind} of droplet {}", self.own.droplet_id),
            || {
                let a = self.api().get(&format!("/v2/actions/{id}"))?;
                match a["action"]["status"].as_str().unwrap_or("") {
                    "completed" => Ok(Some(())),
                    "errored" => bail!("{kind} of droplet {} failed", self.own.droplet_id),
                    _ => Ok(None),
                }
            },
        )
    }
}

/// The droplet's public IPv4 address, once it has one.
fn public_ipv4(droplet: &Value) -> Option<String> {
    droplet["networks"]["v4"]
        .as_array()?
        .iter()
        .find(|n| n["type"] == "public")
        .and_then(|n| n["ip_address"].as_str())
        .filter(|ip| !ip.is_empty())
        .map(str::to_string)
}

fn state_of(droplet: &Value) -> State {
    match droplet["status"].as_str().unwrap_or("") {
        "new" => State::Starting,
        "active" => State::Running,
        "off" => State::Stopped,
        _ => State::None,
    }
}

impl Driver for DoDriver {
    super::base_and_json!("digitalocean");
    fn set_config_from_flags(&mut self, opts: &DriverOptions) -> Result<()> {
        let o = &mut self.own;
        o.access_token = opts.string("digitalocean-access-token");
        o.image = opts.string("digitalocean-image");
        if o.image == RETIRED_IMAGE {
            o.image = TODAY_IMAGE.into();
        }
        o.region = opts.string("digitalocean-region");
        o.size = opts.string("digitalocean-size");
        o.ipv6 = opts.bool("digitalocean-ipv6");
        o.private_networking = opts.bool("digitalocean-private-networking");
        o.backups = opts.bool("digitalocean-backups");
        o.user_data_file = opts.string("digitalocean-userdata");
        o.monitoring = opts.bool("digitalocean-monitoring");
        o.tags = opts.string("digitalocean-tags");
        o.ssh_key_fingerprint = opts.string("digitalocean-ssh-key-fingerprint");
        o.ssh_key = opts.string("digitalocean-ssh-key-path");
        self.base.ssh_user = opts.string("digitalocean-ssh-user");
        self.base.ssh_port = opts.int("digitalocean-ssh-port");
        if self.own.access_token.is_empty() {
            bail!("digitalocean driver requires the --digitalocean-access-token option");
        }
        Ok(())
    }
    fn pre_create_check(&self) -> Result<()> {
        let o = &self.own;
        if !o.user_data_file.is_empty() && !Path::new(&o.user_data_file).exists() {
            bail!("user-data file {} could not be found", o.user_data_file);
        }
        if !o.ssh_key.is_empty() {
            if o.ssh_key_fingerprint.is_empty() {
                bail!(
                    "ssh-key-fingerprint needs to be provided for {:?}",
                    o.ssh_key
                );
            }
            if !Path::new(&o.ssh_key).exists() {
                bail!("SSH key does not exist: {:?}", o.ssh_key);
            }
        }
        if !o.ssh_key_fingerprint.is_empty() {
            self.key_by_fingerprint()?;
        }
        self.check_region()
    }
    fn create(&mut self) -> Result<()> {
        let mut made = Made::default();
        if let Err(e) = self.create_parts(&mut made) {
            self.clean_up(&made);
            return Err(e);
        }
        Ok(())
    }
    fn state(&self) -> Result<State> {
        Ok(state_of(&self.droplet()?))
    }
    fn ip(&self) -> Result<String> {
        if self.base.ip_address.is_empty() {
            bail!("IP address is not set");
        }
        Ok(self.base.ip_address.clone())
    }
    fn url(&self) -> Result<String> {
        if state_of(&self.droplet()?) != State::Running {
            return Err(HostNotRunning.into());
        }
        Ok(format!(
            "tcp://{}",
            join_host_port(&self.ip()?, DOCKER_PORT)
        ))
    }
    fn start(&mut self) -> Result<()> {
        self.action("power_on")
    }
    fn stop(&mut self) -> Result<()> {
        self.action("shutdown")
    }
    fn restart(&mut self) -> Result<()> {
        self.action("reboot")
    }
    fn kill(&mut self) -> Result<()> {
        self.action("power_off")
    }
    fn remove(&mut self) -> Result<()> {
        let mut errors = Vec::new();
        if let Err(e) = self.delete_key() {
            errors.push(format!("unable to remove SSH key: {e:#}"));
        }
        if let Err(e) = self.delete_droplet() {
            errors.push(format!("unable to remove droplet: {e:#}"));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            bail!("{}", errors.join("; "))
        }
    }
}

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "digitalocean-access-token",
            "DIGITALOCEAN_ACCESS_TOKEN",
            "Digital Ocean access token",
            "",
        ),
        Flag::string(
            "digitalocean-ssh-user",
            "DIGITALOCEAN_SSH_USER",
            "SSH username",
            "root",
        ),
        Flag::string(
            "digitalocean-ssh-key-fingerprint",
            "DIGITALOCEAN_SSH_KEY_FINGERPRINT",
            "SSH key fingerprint",
            "",
        ),
        // The trailing space is the original's.
        Flag::string(
            "digitalocean-ssh-key-path",
            "DIGITALOCEAN_SSH_KEY_PATH",
            "SSH private key path ",
            "",
        ),
        Flag::int(
            "digitalocean-ssh-port",
            "DIGITALOCEAN_SSH_PORT",
            "SSH port",
            22,
        ),
        Flag::string(
            "digitalocean-image",
            "DIGITALOCEAN_IMAGE",
            "Digital Ocean Image",
            "ubuntu-16-04-x64",
        ),
        Flag::string(
            "digitalocean-region",
            "DIGITALOCEAN_REGION",
            "Digital Ocean region",
            "nyc3",
        ),
        Flag::string(
            "digitalocean-size",
            "DIGITALOCEAN_SIZE",
            "Digital Ocean size",
            "s-1vcpu-1gb",
        ),
        Flag::bool(
            "digitalocean-ipv6",
            "DIGITALOCEAN_IPV6",
            "enable ipv6 for droplet",
        ),
        Flag::bool(
            "digitalocean-private-networking",
            "DIGITALOCEAN_PRIVATE_NETWORKING",
            "enable private networking for droplet",
        ),
        Flag::bool(
            "digitalocean-backups",
            "DIGITALOCEAN_BACKUPS",
            "enable backups for droplet",
        ),
        Flag::string(
            "digitalocean-userdata",
            "DIGITALOCEAN_USERDATA",
            "path to file with cloud-init user-data",
            "",
        ),
        Flag::bool(
            "digitalocean-monitoring",
            "DIGITALOCEAN_MONITORING",
            "enable monitoring for droplet",
        ),
        Flag::string(
            "digitalocean-tags",
            "DIGITALOCEAN_TAGS",
            "comma-separated list of tags to apply to the Droplet",
            "",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_keys_in_the_original_order() {
        let d = DoDriver::new("m", "/s");
        let json = d.to_json();
        let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
        assert_eq!(keys[9], "AccessToken");
        assert_eq!(keys.last().unwrap().as_str(), "Tags");
        assert_eq!(json["Image"], TODAY_IMAGE);
        let back = DoDriver::from_json(json).unwrap();
        assert_eq!(back.own.region, "nyc3");
    }

    #[test]
    fn tags_trimmed_and_states() {
        let mut d = DoDriver::new("m", "/s");
        d.own.tags = " a, ,b ,".into();
        assert_eq!(d.tags(), ["a", "b"]);
        assert_eq!(state_of(&json!({"status": "new"})), State::Starting);
        assert_eq!(state_of(&json!({"status": "off"})), State::Stopped);
        assert_eq!(state_of(&json!({"status": "archive"})), State::None);
        let d = json!({"networks": {"v4": [
            {"type": "private", "ip_address": "10.0.0.2"},
            {"type": "public", "ip_address": "203.0.113.9"}]}});
        assert_eq!(public_ipv4(&d).as_deref(), Some("203.0.113.9"));
        assert_eq!(public_ipv4(&json!({"networks": {"v4": []}})), None);
    }
}
