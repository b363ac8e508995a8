//! The digitalocean driver through the library, against the loopback stand-in of
//! DigitalOcean's API v2 (`testkit::digitalocean`: no emulator of it exists; which of its
//! behaviours come from the API reference and which are assumptions is said there).
//! Each test points `DIGITALOCEAN_API_URL` at its own fake (nextest runs each test in a
//! process of its own). The droplets' addresses are on loopback and nothing connects to
//! them: provisioning over SSH is not covered here.

use libmachine::drivers::{self, Driver};
use libmachine::mcnflag::{DriverOptions, FlagValue};
use libmachine::state::State;
use serde_json::Value;
use testkit::digitalocean::FakeDigitalOcean;

const TOKEN: &str = "dop_v1_test";

fn fake() -> FakeDigitalOcean {
    let fake = FakeDigitalOcean::start(TOKEN);
    std::env::set_var("DIGITALOCEAN_API_URL", &fake.url);
    fake
}

fn s(v: &str) -> FlagValue {
    FlagValue::String(v.to_string())
}

struct Machine {
    driver: Box<dyn Driver>,
    store: tempfile::TempDir,
}

/// A digitalocean driver for machine `name` with the create flags at their defaults,
/// the token set, and `overrides`.
fn machine(name: &str, overrides: &[(&str, FlagValue)]) -> Machine {
    let store = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(store.path().join("machines").join(name)).unwrap();
    let spec = drivers::find("digitalocean").unwrap();
    let mut opts = DriverOptions::new();
    for flag in (spec.create_flags)() {
        opts.insert(flag.key(), flag.default_value());
    }
    opts.insert("digitalocean-access-token", s(TOKEN));
    for (k, v) in overrides {
        opts.insert(k, v.clone());
    }
    let mut driver = (spec.new)(name, store.path().to_str().unwrap());
    driver.set_config_from_flags(&opts).unwrap();
    Machine { driver, store }
}

fn id(d: &dyn Driver) -> i64 {
    d.to_json()["DropletID"].as_i64().unwrap()
}

#[test]
fn do_create_power_cycle_and_rm_leave_nothing() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let user_data = dir.path().join("ud");
    std::fs::write(&user_data, "#cloud-config\n").unwrap();
    let mut m = machine(
        "web1",
        &[
            ("digitalocean-tags", s(" ci, ,runner ")),
            ("digitalocean-ipv6", FlagValue::Bool(true)),
            ("digitalocean-private-networking", FlagValue::Bool(true)),
            ("digitalocean-backups", FlagValue::Bool(true)),
            ("digitalocean-monitoring", FlagValue::Bool(true)),
            ("digitalocean-region", s("fra1")),
            ("digitalocean-userdata", s(user_data.to_str().unwrap())),
        ],
    );
    let d = &mut m.driver;
    // 429s are ridden out (until `RateLimit-Reset`).
    fake.throttle(2);
    d.pre_create_check().unwrap();
    d.create().unwrap();
    assert_eq!(fake.requests().1, 2);

    let droplets = fake.droplets();
    assert_eq!(droplets.len(), 1);
    let droplet = &droplets[0];
    assert_eq!(droplet["id"].as_i64().unwrap(), id(d.as_ref()));
    assert_eq!(droplet["name"], "web1");
    // 0.16.2's retired default image is replaced by today's.
    assert_eq!(droplet["image"]["slug"], "ubuntu-24-04-x64");
    assert_eq!(droplet["region"]["slug"], "fra1");
    assert_eq!(droplet["size_slug"], "s-1vcpu-1gb");
    assert_eq!(droplet["tags"], serde_json::json!(["ci", "runner"]));
    assert_eq!(
        droplet["features"],
        serde_json::json!(["ipv6", "private_networking", "backups", "monitoring"])
    );
    assert_eq!(droplet["user_data"], "#cloud-config\n");
    // The generated key, registered under the machine's name, is the droplet's.
    let keys = fake.keys();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["name"], "web1");
    assert_eq!(droplet["ssh_keys"], serde_json::json!([keys[0]["id"]]));
    let key_file = m.store.path().join("machines/web1/id_rsa");
    assert_eq!(d.ssh_key_path(), key_file.to_str().unwrap());
    let public = std::fs::read_to_string(key_file.with_extension("pub")).unwrap();
    assert_eq!(keys[0]["public_key"], public.trim());

    // The public address, not the private one.
    let ip = d.ip().unwrap();
    assert_eq!(
        Some(ip.as_str()),
        droplet["networks"]["v4"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["type"] == "public")
            .and_then(|n| n["ip_address"].as_str())
    );
    assert!(ip.starts_with("127.0.1."), "{ip}");
    assert_eq!(d.state().unwrap(), State::Running);
    assert_eq!(d.url().unwrap(), format!("tcp://{ip}:2376"));

    // Power actions are waited for: the state has changed when they return.
    d.stop().unwrap();
    assert_eq!(d.state().unwrap(), State::Stopped);
    assert!(d.url().is_err());
    d.start().unwrap();
    assert_eq!(d.state().unwrap(), State::Running);
    d.restart().unwrap();
    assert_eq!(d.state().unwrap(), State::Running);
    d.kill().unwrap();
    assert_eq!(d.state().unwrap(), State::Stopped);
    // The API's refusal, as one line.
    let e = d.stop().unwrap_err().to_string();
    assert_eq!(
        e,
        "DigitalOcean API error unprocessable_entity: Droplet is already powered off."
    );

    d.remove().unwrap();
    assert!(fake.droplets().is_empty());
    assert!(fake.keys().is_empty());
}

#[test]
fn do_failures_are_one_line_and_leave_nothing() {
    let fake = fake();
    // Bad token: refused before anything is made.
    let m = machine("bad", &[("digitalocean-access-token", s("wrong"))]);
    assert_eq!(
        m.driver.pre_create_check().unwrap_err().to_string(),
        "DigitalOcean API error unauthorized: Unable to authenticate you"
    );
    // Unknown region: 0.16.2's line.
    let m = machine("bad", &[("digitalocean-region", s("mars1"))]);
    assert_eq!(
        m.driver.pre_create_check().unwrap_err().to_string(),
        "digitalocean requires a valid region"
    );
    // Unknown image: the droplet is refused, the key made for it deleted.
    let mut m = machine("bad", &[("digitalocean-image", s("ubuntu-9-04-x64"))]);
    m.driver.pre_create_check().unwrap();
    let e = m.driver.create().unwrap_err();
    assert_eq!(
        format!("{e:#}"),
        "DigitalOcean API error unprocessable_entity: You specified an invalid image for Droplet creation."
    );
    assert!(fake.keys().is_empty() && fake.droplets().is_empty());
    assert_eq!(m.driver.to_json()["SSHKeyID"], 0);
    // Over the droplet limit: the same.
    fake.set_droplet_limit(0);
    let mut m = machine("bad", &[]);
    let e = m.driver.create().unwrap_err().to_string();
    assert_eq!(
        e,
        "DigitalOcean API error unprocessable_entity: creating this/these droplet(s) will exceed your droplet limit"
    );
    assert!(fake.keys().is_empty() && fake.droplets().is_empty());
    // rm of what a failed create left: no API error.
    m.driver.remove().unwrap();
    // A fingerprint that is not the account's.
    let m = machine("bad", &[("digitalocean-ssh-key-fingerprint", s("aa:bb"))]);
    assert_eq!(
        m.driver.pre_create_check().unwrap_err().to_string(),
        "Digital Ocean SSH key with fingerprint aa:bb doesn't exist"
    );
    // A key path needs its fingerprint.
    let m = machine("bad", &[("digitalocean-ssh-key-path", s("/k"))]);
    assert_eq!(
        m.driver.pre_create_check().unwrap_err().to_string(),
        "ssh-key-fingerprint needs to be provided for \"/k\""
    );
}

#[test]
fn do_account_key_is_used_and_kept_and_gone_droplet_is_removed() {
    let fake = fake();
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("my_key");
    std::fs::write(&own, "PRIVATE").unwrap();
    let fp = fake.add_key("laptop", "ssh-ed25519 AAAA me");
    let mut m = machine(
        "web2",
        &[
            ("digitalocean-ssh-key-fingerprint", s(&fp)),
            ("digitalocean-ssh-key-path", s(own.to_str().unwrap())),
        ],
    );
    m.driver.pre_create_check().unwrap();
    m.driver.create().unwrap();
    let keys = fake.keys();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        fake.droplets()[0]["ssh_keys"],
        serde_json::json!([keys[0]["id"]])
    );
    // The private half is copied into the machine's folder.
    let copy = m.store.path().join("machines/web2/my_key");
    assert_eq!(std::fs::read_to_string(&copy).unwrap(), "PRIVATE");
    assert_eq!(m.driver.ssh_key_path(), copy.to_str().unwrap());
    // The droplet disappears behind our back: rm warns and succeeds, the key stays.
    fake.destroy_droplet(id(m.driver.as_ref()));
    assert!(m.driver.state().is_err());
    m.driver.remove().unwrap();
    assert_eq!(fake.keys().len(), 1);
    let json: Value = m.driver.to_json();
    assert_eq!(json["SSHKeyFingerprint"], fp.as_str());
}
