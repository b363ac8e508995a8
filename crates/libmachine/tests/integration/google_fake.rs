//! The google driver through the library, against the loopback stand-in of Compute
//! Engine v1 and Google's token endpoint (`testkit::gce`: no emulator can stand in;
//! which of its behaviours come from the API reference and which are assumptions is
//! said there). Each test points the driver's endpoints at its own fake through the
//! environment (nextest runs each test in a process of its own): `GOOGLE_COMPUTE_API_URL`,
//! the key file's `token_uri`, `GCE_METADATA_HOST`, and `CLOUDSDK_CONFIG` at an empty
//! folder so no user's gcloud files are read. Nothing connects to the instances'
//! addresses: provisioning over SSH is not covered here.

use libmachine::drivers::{self, Driver};
use libmachine::mcnflag::{DriverOptions, FlagValue};
use libmachine::state::State;
use serde_json::Value;
use std::path::Path;
use testkit::gce::FakeGce;

const PROJECT: &str = "proj-1";
const ZONE: &str = "us-central1-a";

/// A fake, with the environment pointed at it and credentials from a service-account
/// key signed with its key (or another: `forged`).
fn fake(dir: &Path, forged: bool) -> FakeGce {
    let fake = FakeGce::start(PROJECT);
    let key = dir.join("sa.json");
    fake.write_service_account(&key, forged);
    std::env::set_var("GOOGLE_COMPUTE_API_URL", &fake.url);
    std::env::set_var("GOOGLE_APPLICATION_CREDENTIALS", &key);
    std::env::set_var("GCE_METADATA_HOST", &fake.metadata_host);
    let gcloud = dir.join("gcloud");
    std::fs::create_dir_all(&gcloud).unwrap();
    std::env::set_var("CLOUDSDK_CONFIG", &gcloud);
    fake
}

fn s(v: &str) -> FlagValue {
    FlagValue::String(v.to_string())
}

struct Machine {
    driver: Box<dyn Driver>,
    store: tempfile::TempDir,
}

fn machine(name: &str, overrides: &[(&str, FlagValue)]) -> Machine {
    let store = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(store.path().join("machines").join(name)).unwrap();
    let spec = drivers::find("google").unwrap();
    let mut opts = DriverOptions::new();
    for flag in (spec.create_flags)() {
        opts.insert(flag.key(), flag.default_value());
    }
    opts.insert("google-project", s(PROJECT));
    for (k, v) in overrides {
        opts.insert(k, v.clone());
    }
    let mut driver = (spec.new)(name, store.path().to_str().unwrap());
    driver.set_config_from_flags(&opts).unwrap();
    Machine { driver, store }
}

#[test]
fn gce_create_power_cycle_and_rm_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake(dir.path(), false);
    let mut m = machine(
        "web1",
        &[
            ("google-tags", s("ci,runner")),
            ("google-preemptible", FlagValue::Bool(true)),
            (
                "google-open-port",
                FlagValue::StringSlice(vec!["8080".into(), "53/udp".into()]),
            ),
            (
                "google-service-account",
                s("sa@proj-1.iam.gserviceaccount.com"),
            ),
            (
                "google-scopes",
                s("https://www.googleapis.com/auth/cloud-platform"),
            ),
            ("google-disk-size", FlagValue::Int(30)),
        ],
    );
    let d = &mut m.driver;
    // Rate limits (403 rateLimitExceeded and 429 by turns) are retried with backoff.
    fake.throttle(3);
    d.pre_create_check().unwrap();
    d.create().unwrap();
    let (_, throttled, grants) = fake.counts();
    assert_eq!(throttled, 3);
    // One token, signed once, kept for every call.
    assert_eq!(grants, 1);

    let rule = fake.firewall("docker-machines").unwrap();
    assert_eq!(rule["targetTags"], serde_json::json!(["docker-machine"]));
    assert_eq!(rule["sourceRanges"], serde_json::json!(["0.0.0.0/0"]));
    assert_eq!(
        rule["allowed"],
        serde_json::json!([
            {"IPProtocol": "tcp", "ports": ["2376", "8080"]},
            {"IPProtocol": "udp", "ports": ["53"]}
        ])
    );
    let inst = &fake.instances()[0];
    assert_eq!(inst["name"], "web1");
    assert_eq!(inst["status"], "RUNNING");
    assert_eq!(
        inst["tags"]["items"],
        serde_json::json!(["docker-machine", "ci", "runner"])
    );
    assert_eq!(inst["scheduling"]["preemptible"], true);
    assert_eq!(
        inst["serviceAccounts"][0],
        serde_json::json!({"email": "sa@proj-1.iam.gserviceaccount.com", "scopes": ["https://www.googleapis.com/auth/cloud-platform"]})
    );
    assert!(inst["machineType"]
        .as_str()
        .unwrap()
        .ends_with("/projects/proj-1/zones/us-central1-a/machineTypes/n1-standard-1"));
    let disk = &fake.disks()[0];
    assert_eq!(disk["name"], "web1-disk");
    assert_eq!(disk["sizeGb"], "30");
    // 0.16.2's retired default image is replaced by today's Ubuntu LTS family.
    assert_eq!(
        disk["sourceImage"],
        "https://www.googleapis.com/compute/v1/projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64"
    );
    // The machine's key in sshKeys, as 0.16.2 wrote it.
    let public = std::fs::read_to_string(m.store.path().join("machines/web1/id_rsa.pub")).unwrap();
    let items = inst["metadata"]["items"].as_array().unwrap();
    let ssh_keys = items.iter().find(|i| i["key"] == "sshKeys").unwrap();
    assert_eq!(
        ssh_keys["value"],
        format!("docker-user:{} docker-user\n", public.trim())
    );

    let ip = d.ip().unwrap();
    assert_eq!(
        ip,
        inst["networkInterfaces"][0]["accessConfigs"][0]["natIP"]
    );
    assert_eq!(d.state().unwrap(), State::Running);
    assert_eq!(d.url().unwrap(), format!("tcp://{ip}:2376"));

    d.stop().unwrap();
    assert_eq!(d.state().unwrap(), State::Stopped);
    assert!(d.url().is_err());
    d.start().unwrap();
    assert_eq!(d.state().unwrap(), State::Running);
    d.restart().unwrap();
    assert_eq!(d.state().unwrap(), State::Running);
    d.kill().unwrap();
    assert_eq!(d.state().unwrap(), State::Stopped);

    d.remove().unwrap();
    assert!(fake.instances().is_empty());
    assert!(fake.disks().is_empty());
    assert_eq!(d.state().unwrap(), State::None);
}

#[test]
fn gce_failures_are_one_line_and_leave_nothing() {
    let dir = tempfile::tempdir().unwrap();
    // A key the service account does not have: the token endpoint checks the signature.
    let fake = fake(dir.path(), true);
    let m = machine("bad", &[]);
    assert_eq!(
        m.driver.pre_create_check().unwrap_err().to_string(),
        "Google OAuth2 API error invalid_grant: Invalid JWT Signature."
    );
    fake.write_service_account(&dir.path().join("sa.json"), false);
    // Unknown project and zone.
    let m = machine("bad", &[("google-project", s("nope"))]);
    assert_eq!(
        format!("{:#}", m.driver.pre_create_check().unwrap_err()),
        "Project with ID \"nope\" not found. Compute Engine API error notFound: The resource 'projects/nope' was not found"
    );
    let m = machine("bad", &[("google-zone", s("mars1-a"))]);
    assert_eq!(
        m.driver.pre_create_check().unwrap_err().to_string(),
        "Zone \"mars1-a\" not found in project \"proj-1\""
    );
    // Unknown image: the insert is refused; no instance, no disk.
    let mut m = machine(
        "bad",
        &[(
            "google-machine-image",
            s("ubuntu-os-cloud/global/images/nope"),
        )],
    );
    m.driver.pre_create_check().unwrap();
    assert_eq!(
        format!("{:#}", m.driver.create().unwrap_err()),
        "Compute Engine API error notFound: The resource 'projects/ubuntu-os-cloud/global/images/nope' was not found"
    );
    assert!(fake.instances().is_empty() && fake.disks().is_empty());
    // Over quota: the insert's operation fails; nothing is left.
    fake.set_instance_limit(0);
    let mut m = machine("bad", &[]);
    assert_eq!(
        format!("{:#}", m.driver.create().unwrap_err()),
        "Compute Engine API error QUOTA_EXCEEDED: Quota 'CPUS' exceeded.  Limit: 0.0 in region us-central1."
    );
    assert!(fake.instances().is_empty() && fake.disks().is_empty());
    // A refusal after the insert: the instance and its disk are deleted again.
    fake.set_instance_limit(5);
    fake.refuse_metadata(true);
    let mut m2 = machine("late", &[]);
    let e = format!("{:#}", m2.driver.create().unwrap_err());
    assert!(e.starts_with("Compute Engine API error forbidden: "), "{e}");
    assert!(fake.instances().is_empty() && fake.disks().is_empty());
    // rm of what a failed create left: nothing to delete, warnings only.
    m.driver.remove().unwrap();
    // No project: 0.16.2's line.
    let spec = drivers::find("google").unwrap();
    let mut opts = DriverOptions::new();
    for flag in (spec.create_flags)() {
        opts.insert(flag.key(), flag.default_value());
    }
    let mut d = (spec.new)("bad", "/nonexistent");
    assert_eq!(
        d.set_config_from_flags(&opts).unwrap_err().to_string(),
        "no Google Cloud Project name specified (--google-project)"
    );
}

#[test]
fn gce_start_recreates_on_the_kept_disk_and_gone_instance_is_removed() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake(dir.path(), false);
    let mut m = machine("web2", &[("google-use-internal-ip", FlagValue::Bool(true))]);
    m.driver.create().unwrap();
    let internal = fake.instances()[0]["networkInterfaces"][0]["networkIP"].clone();
    assert_eq!(m.driver.ip().unwrap(), internal);
    // The instance is deleted with its disk kept: Stopped, and start re-creates it.
    fake.drop_instance(ZONE, "web2", true);
    assert_eq!(m.driver.state().unwrap(), State::Stopped);
    m.driver.start().unwrap();
    assert_eq!(m.driver.state().unwrap(), State::Running);
    let inst = &fake.instances()[0];
    assert!(inst["disks"][0]["source"]
        .as_str()
        .unwrap()
        .ends_with("/zones/us-central1-a/disks/web2-disk"));
    assert_eq!(fake.disks().len(), 1);
    // Gone with its disk: no state, and rm warns and succeeds.
    fake.drop_instance(ZONE, "web2", false);
    assert_eq!(m.driver.state().unwrap(), State::None);
    m.driver.remove().unwrap();
}

#[test]
fn gce_user_credentials_metadata_server_and_use_existing() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake(dir.path(), false);
    // gcloud's user credentials, found in its config folder.
    std::env::remove_var("GOOGLE_APPLICATION_CREDENTIALS");
    let gcloud = dir.path().join("gcloud");
    fake.write_authorized_user(&gcloud.join("application_default_credentials.json"));
    fake.add_instance(ZONE, "mine");
    let mut m = machine("mine", &[("google-use-existing", FlagValue::Bool(true))]);
    m.driver.pre_create_check().unwrap();
    m.driver.create().unwrap();
    let inst = &fake.instances()[0];
    // Only the firewall tag and the key are added; nothing else is made.
    assert_eq!(
        inst["tags"]["items"],
        serde_json::json!(["web", "docker-machine"])
    );
    assert!(inst["metadata"]["items"][0]["value"]
        .as_str()
        .unwrap()
        .starts_with("docker-user:ssh-rsa "));
    assert!(fake.disks().is_empty());
    // A new instance of that name is refused without the flag.
    let m2 = machine("mine", &[]);
    assert_eq!(
        m2.driver.pre_create_check().unwrap_err().to_string(),
        "instance \"mine\" already exists in zone \"us-central1-a\""
    );
    // No key file anywhere: the metadata server's token.
    std::fs::remove_file(gcloud.join("application_default_credentials.json")).unwrap();
    let before = fake.counts().2;
    let m3 = machine("other", &[]);
    m3.driver.pre_create_check().unwrap();
    assert_eq!(fake.counts().2, before + 1);
    let json: Value = m.driver.to_json();
    assert_eq!(json["UseExisting"], true);
}

#[test]
fn gce_static_address_and_internal_only() {
    let dir = tempfile::tempdir().unwrap();
    let fake = fake(dir.path(), false);
    // A reserved address given by name is resolved in the zone's region.
    fake.reserve_address("us-central1", "web-ip", "127.0.9.9");
    let mut m = machine("web3", &[("google-address", s("web-ip"))]);
    m.driver.create().unwrap();
    assert_eq!(m.driver.ip().unwrap(), "127.0.9.9");
    m.driver.remove().unwrap();
    // Internal only: no external NAT, the internal address is the machine's.
    let mut m = machine(
        "web4",
        &[("google-use-internal-ip-only", FlagValue::Bool(true))],
    );
    m.driver.create().unwrap();
    let inst = &fake.instances()[0];
    assert!(inst["networkInterfaces"][0]["accessConfigs"].is_null());
    assert_eq!(
        m.driver.ip().unwrap(),
        inst["networkInterfaces"][0]["networkIP"]
    );
    m.driver.remove().unwrap();
    assert!(fake.instances().is_empty() && fake.disks().is_empty());
}
