//! The amazonec2 driver against moto's EC2 server (PyPI `moto[server]`, a real EC2 API
//! emulator), through the driver API: create (on-demand and spot, own and reused and
//! read-only security groups), state, stop/start/restart/kill, ip/url, rm, failures
//! cleaned up, credential sources, error lines.
//!
//! moto invents instance addresses that are not on this machine, so nothing here may
//! connect to them: `ec2_against_moto` re-runs this test binary's `moto_*` tests through
//! `tests/moto/run.sh`, inside a network namespace that has only loopback, next to one
//! moto server for the whole run. What moto holds is checked independently with boto3
//! (`tests/moto/inventory.py`). Provisioning over SSH is not covered (see
//! docs/compat-differences.md): the instance addresses lead nowhere.

use libmachine::drivers::{self, Driver};
use libmachine::mcnflag::{DriverOptions, FlagValue};
use libmachine::state::State;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn ec2_against_moto() {
    if std::env::var("DM_MOTO_TESTS").as_deref() == Ok("0") {
        testkit::skip("DM_MOTO_TESTS=0");
        return;
    }
    let exe = std::env::current_exe().unwrap();
    // The credentials test changes the process environment: it runs alone, after the
    // others (same namespace, same moto).
    let out = Command::new(repo_root().join("tests/moto/run.sh"))
        .args(["bash", "-c"])
        .arg(
            "\"$0\" --ignored --test-threads=4 --skip moto_credential_sources moto_ \
             && \"$0\" --ignored --exact ec2_moto::moto_credential_sources",
        )
        .arg(exe)
        .output()
        .expect("tests/moto/run.sh runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "moto tests failed:\n{text}");
    // Every scenario ran: a filter typo must not pass by running nothing.
    assert!(text.contains("test result: ok. 7 passed"), "{text}");
    assert!(text.contains("test result: ok. 1 passed"), "{text}");
}

/// The moto endpoint; only inside `tests/moto/run.sh`.
fn moto() -> String {
    std::env::var("DM_MOTO_ENDPOINT")
        .expect("run by ec2_against_moto inside tests/moto/run.sh, not directly")
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap()
}

/// The amazonec2 create flags at their defaults, pointed at moto, with `overrides`.
fn options(overrides: &[(&str, FlagValue)]) -> DriverOptions {
    let spec = drivers::find("amazonec2").unwrap();
    let mut opts = DriverOptions::new();
    for flag in (spec.create_flags)() {
        opts.insert(flag.key(), flag.default_value());
    }
    for (k, v) in [
        ("amazonec2-endpoint", moto()),
        ("amazonec2-zone", "us-east-1a".into()),
        ("amazonec2-access-key", env("DM_MOTO_ACCESS_KEY")),
        ("amazonec2-secret-key", env("DM_MOTO_SECRET_KEY")),
        ("amazonec2-ami", env("DM_MOTO_AMI")),
    ] {
        opts.insert(k, FlagValue::String(v));
    }
    for (k, v) in overrides {
        opts.insert(k, v.clone());
    }
    opts
}

fn s(v: &str) -> FlagValue {
    FlagValue::String(v.to_string())
}

fn slice(v: &[&str]) -> FlagValue {
    FlagValue::StringSlice(v.iter().map(|s| s.to_string()).collect())
}

struct Machine {
    driver: Box<dyn Driver>,
    _store: tempfile::TempDir,
}

fn machine(name: &str, overrides: &[(&str, FlagValue)]) -> Machine {
    let store = tempfile::tempdir().unwrap();
    let store_path = store.path().to_str().unwrap().to_string();
    std::fs::create_dir_all(store.path().join("machines").join(name)).unwrap();
    let spec = drivers::find("amazonec2").unwrap();
    let mut driver = (spec.new)(name, &store_path);
    driver.set_config_from_flags(&options(overrides)).unwrap();
    Machine {
        driver,
        _store: store,
    }
}

/// Everything moto holds, as seen by boto3.
fn inventory() -> Value {
    let out = Command::new(env("DM_MOTO_PYTHON"))
        .arg(repo_root().join("tests/moto/inventory.py"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn own(driver: &dyn Driver, key: &str) -> Value {
    driver.to_json()[key].clone()
}

fn instance_id(driver: &dyn Driver) -> String {
    own(driver, "InstanceId").as_str().unwrap().to_string()
}

#[test]
#[ignore = "run inside a network namespace by ec2_against_moto"]
fn moto_create_power_cycle_and_rm() {
    let dir = tempfile::tempdir().unwrap();
    let user_data = dir.path().join("user-data");
    std::fs::write(&user_data, "#cloud-config\nruncmd: [true]\n").unwrap();
    let mut m = machine(
        "ec2-life",
        &[
            ("amazonec2-security-group", slice(&["dm-life"])),
            ("amazonec2-open-port", slice(&["8080", "53/udp"])),
            ("amazonec2-tags", s("team,ci,env,test")),
            ("amazonec2-metadata-token", s("required")),
            (
                "amazonec2-metadata-token-response-hop-limit",
                FlagValue::Int(2),
            ),
            ("amazonec2-monitoring", FlagValue::Bool(true)),
            (
                "amazonec2-use-ebs-optimized-instance",
                FlagValue::Bool(true),
            ),
            ("amazonec2-userdata", s(user_data.to_str().unwrap())),
            ("amazonec2-instance-type", s("t3.small")),
        ],
    );
    let d = m.driver.as_mut();
    d.pre_create_check().unwrap();
    d.create().unwrap();
    let id = instance_id(d);
    let inv = inventory();
    let inst = &inv["instances"][&id];
    assert_eq!(inst["state"], "running", "{inst}");
    assert_eq!(inst["key"], "ec2-life");
    assert_eq!(inst["type"], "t3.small");
    assert_eq!(inst["tags"]["Name"], "ec2-life");
    assert_eq!(inst["tags"]["team"], "ci");
    assert_eq!(inst["tags"]["env"], "test");
    let volumes = inst["volumes"].as_object().unwrap();
    assert!(!volumes.is_empty(), "{inst}");
    for tags in volumes.values() {
        assert_eq!(tags["Name"], "ec2-life", "volume tags: {inst}");
        assert_eq!(tags["team"], "ci");
    }
    assert_eq!(inst["metadata"]["HttpTokens"], "required", "{inst}");
    assert_eq!(inst["metadata"]["HttpPutResponseHopLimit"], 2);
    let group = &inv["groups"]["dm-life"];
    assert_eq!(
        group["ports"],
        serde_json::json!(["22/tcp", "2376/tcp", "53/udp", "8080/tcp"])
    );
    assert_eq!(inst["groups"], serde_json::json!([group["id"]]));
    assert!(inv["keys"].as_array().unwrap().contains(&"ec2-life".into()));
    assert_eq!(
        own(d, "CreatedSecurityGroupIds"),
        serde_json::json!([group["id"]])
    );

    // State, address (cached at create) and URL.
    assert_eq!(d.state().unwrap(), State::Running);
    let ip = d.ip().unwrap();
    assert!(ip.parse::<std::net::Ipv4Addr>().is_ok(), "{ip}");
    assert_eq!(d.base().ip_address, ip);
    assert_eq!(d.url().unwrap(), format!("tcp://{ip}:2376"));

    d.stop().unwrap();
    assert_eq!(d.state().unwrap(), State::Stopped);
    let e = d.url().unwrap_err();
    assert!(e.downcast_ref::<drivers::HostNotRunning>().is_some(), "{e}");
    d.start().unwrap();
    assert_eq!(d.state().unwrap(), State::Running);
    assert!(!d.base().ip_address.is_empty());
    d.restart().unwrap();
    assert_eq!(d.state().unwrap(), State::Running);
    d.kill().unwrap();
    assert_eq!(d.state().unwrap(), State::Stopped);
    assert_eq!(inventory()["instances"][&id]["state"], "stopped");

    d.remove().unwrap();
    let inv = inventory();
    assert_eq!(inv["instances"][&id]["state"], "terminated");
    assert!(!inv["keys"].as_array().unwrap().contains(&"ec2-life".into()));
    assert!(inv["groups"].get("dm-life").is_none(), "{}", inv["groups"]);
}

#[test]
#[ignore = "run inside a network namespace by ec2_against_moto"]
fn moto_spot_request_without_price() {
    let mut m = machine(
        "ec2-spot",
        &[
            ("amazonec2-security-group", slice(&["dm-spot"])),
            ("amazonec2-request-spot-instance", FlagValue::Bool(true)),
            ("amazonec2-spot-price", s("")),
            ("amazonec2-block-duration-minutes", FlagValue::Int(60)),
        ],
    );
    let d = m.driver.as_mut();
    d.pre_create_check().unwrap();
    d.create().unwrap();
    let id = instance_id(d);
    let request = own(d, "SpotInstanceRequestId")
        .as_str()
        .unwrap()
        .to_string();
    let inv = inventory();
    assert_eq!(inv["spot"][&request]["state"], "active", "{}", inv["spot"]);
    assert_eq!(inv["spot"][&request]["instance"], id.as_str());
    assert_eq!(inv["instances"][&id]["tags"]["Name"], "ec2-spot");
    assert_eq!(d.state().unwrap(), State::Running);

    d.remove().unwrap();
    let inv = inventory();
    // moto forgets a cancelled request; EC2 lists it as cancelled for a while.
    let state = &inv["spot"][&request]["state"];
    assert!(state.is_null() || state == "cancelled", "{}", inv["spot"]);
    assert_eq!(inv["instances"][&id]["state"], "terminated");
    assert!(!inv["keys"].as_array().unwrap().contains(&"ec2-spot".into()));
    assert!(inv["groups"].get("dm-spot").is_none());
}

#[test]
#[ignore = "run inside a network namespace by ec2_against_moto"]
fn moto_groups_reused_kept_while_used_and_read_only() {
    let mut a = machine(
        "ec2-ga",
        &[("amazonec2-security-group", slice(&["dm-shared"]))],
    );
    a.driver.create().unwrap();
    let mut b = machine(
        "ec2-gb",
        &[
            ("amazonec2-security-group", slice(&["dm-shared"])),
            ("amazonec2-open-port", slice(&["9000"])),
        ],
    );
    b.driver.create().unwrap();
    // b reused a's group, added its port, and did not take ownership of it.
    assert_eq!(
        own(b.driver.as_ref(), "SecurityGroupIds"),
        own(a.driver.as_ref(), "SecurityGroupIds")
    );
    assert_eq!(
        own(b.driver.as_ref(), "CreatedSecurityGroupIds"),
        Value::Null
    );
    assert_eq!(
        inventory()["groups"]["dm-shared"]["ports"],
        serde_json::json!(["22/tcp", "2376/tcp", "9000/tcp"])
    );
    // a made the group, but b still uses it: kept.
    a.driver.remove().unwrap();
    assert!(inventory()["groups"].get("dm-shared").is_some());
    b.driver.remove().unwrap();
    assert!(inventory()["groups"].get("dm-shared").is_some());

    let mut r = machine(
        "ec2-ro",
        &[
            ("amazonec2-security-group", slice(&["dm-readonly"])),
            ("amazonec2-security-group-readonly", FlagValue::Bool(true)),
        ],
    );
    r.driver.create().unwrap();
    assert_eq!(
        inventory()["groups"]["dm-readonly"]["ports"],
        serde_json::json!([])
    );
    r.driver.remove().unwrap();
}

#[test]
#[ignore = "run inside a network namespace by ec2_against_moto"]
fn moto_failed_create_leaves_nothing() {
    // 51 tags: EC2 refuses the CreateTags call after the instance exists.
    let tags: Vec<String> = (0..51)
        .flat_map(|i| [format!("k{i}"), "v".into()])
        .collect();
    let mut m = machine(
        "ec2-fail",
        &[
            ("amazonec2-security-group", slice(&["dm-fail"])),
            ("amazonec2-tags", s(&tags.join(","))),
        ],
    );
    let e = m.driver.create().unwrap_err();
    assert!(format!("{e:#}").contains("TagLimitExceeded"), "{e:#}");
    let inv = inventory();
    assert!(!inv["keys"].as_array().unwrap().contains(&"ec2-fail".into()));
    assert!(inv["groups"].get("dm-fail").is_none());
    for (id, inst) in inv["instances"].as_object().unwrap() {
        if inst["key"] == "ec2-fail" {
            assert_eq!(inst["state"], "terminated", "{id}");
        }
    }
    // The record no longer points at what was removed, so `rm` has nothing to do.
    assert_eq!(own(m.driver.as_ref(), "InstanceId"), "");
    m.driver.remove().unwrap();

    // The same failure with a spot instance: its request is cancelled too.
    let mut m = machine(
        "ec2-fail-spot",
        &[
            ("amazonec2-security-group", slice(&["dm-fail-spot"])),
            ("amazonec2-request-spot-instance", FlagValue::Bool(true)),
            ("amazonec2-tags", s(&tags.join(","))),
        ],
    );
    assert!(m.driver.create().is_err());
    let inv = inventory();
    let ids: Vec<&String> = inv["instances"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, i)| i["key"] == "ec2-fail-spot")
        .map(|(id, i)| {
            assert_eq!(i["state"], "terminated", "{id}");
            id
        })
        .collect();
    assert_eq!(ids.len(), 1, "{}", inv["instances"]);
    // The request that launched it is cancelled (moto then forgets it).
    for (id, req) in inv["spot"].as_object().unwrap() {
        assert!(
            req["instance"] != ids[0].as_str() || req["state"] == "cancelled",
            "{id}: {req}"
        );
    }
    assert!(!inv["keys"]
        .as_array()
        .unwrap()
        .contains(&"ec2-fail-spot".into()));
    assert!(inv["groups"].get("dm-fail-spot").is_none());

    // Too large user data fails after the key pair and group exist: both go.
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big");
    std::fs::write(&big, vec![b'#'; 17 * 1024]).unwrap();
    let mut m = machine(
        "ec2-fail2",
        &[
            ("amazonec2-security-group", slice(&["dm-fail2"])),
            ("amazonec2-userdata", s(big.to_str().unwrap())),
        ],
    );
    let e = m.driver.create().unwrap_err();
    assert!(format!("{e:#}").contains("the limit is 16384"), "{e:#}");
    let inv = inventory();
    assert!(!inv["keys"]
        .as_array()
        .unwrap()
        .contains(&"ec2-fail2".into()));
    assert!(inv["groups"].get("dm-fail2").is_none());
}

#[test]
#[ignore = "run inside a network namespace by ec2_against_moto"]
fn moto_rm_of_a_gone_instance_warns_and_succeeds() {
    let mut m = machine(
        "ec2-gone",
        &[("amazonec2-security-group", slice(&["dm-gone"]))],
    );
    m.driver.create().unwrap();
    let mut json = m.driver.to_json();
    m.driver.remove().unwrap();
    // An instance EC2 has forgotten (terminated long ago).
    json["InstanceId"] = "i-0123456789abcdef0".into();
    let mut gone = drivers::load("amazonec2", json).unwrap();
    assert!(gone.state().is_err());
    gone.remove().unwrap();
}

#[test]
#[ignore = "run inside a network namespace by ec2_against_moto"]
fn moto_errors_are_one_line_and_create_nothing() {
    let before = inventory();
    let m = machine("ec2-badkey", &[("amazonec2-secret-key", s("wrong"))]);
    let e = format!("{:#}", m.driver.pre_create_check().unwrap_err());
    assert!(
        e.starts_with("EC2 API error AuthFailure: AWS was not able to validate the provided access credentials"),
        "{e}"
    );
    assert!(!e.contains('\n'));

    let m = machine("ec2-badami", &[("amazonec2-ami", s("ami-00000000"))]);
    let e = format!("{:#}", m.driver.pre_create_check().unwrap_err());
    assert!(e.contains("InvalidAMIID.NotFound"), "{e}");
    assert!(!e.contains('\n'));

    let mut m = machine("ec2-taken", &[]);
    m.driver.create().unwrap();
    let twin = machine("ec2-taken", &[]);
    let e = format!("{:#}", twin.driver.pre_create_check().unwrap_err());
    assert_eq!(e, "There is already a keypair with the name ec2-taken.  Please either remove that keypair or use a different machine name.");
    m.driver.remove().unwrap();

    let m = machine(
        "ec2-nokey",
        &[
            ("amazonec2-keypair-name", s("nope")),
            ("amazonec2-ssh-keypath", s("/x")),
        ],
    );
    let e = format!("{:#}", m.driver.pre_create_check().unwrap_err());
    assert_eq!(
        e,
        "There is no keypair with the name nope. Please verify the key name provided."
    );

    let after = inventory();
    let live = |inv: &Value| {
        inv["instances"]
            .as_object()
            .unwrap()
            .values()
            .filter(|i| i["key"].as_str().unwrap_or("").starts_with("ec2-bad"))
            .count()
    };
    assert_eq!(live(&before), live(&after));
}

#[test]
#[ignore = "run inside a network namespace by ec2_against_moto"]
fn moto_own_ssh_key_and_existing_key_pair() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("mykey");
    libmachine::ssh::keys::generate_key_pair(&key).unwrap();
    let mut a = machine(
        "ec2-ownkey",
        &[("amazonec2-ssh-keypath", s(key.to_str().unwrap()))],
    );
    a.driver.create().unwrap();
    let copied = PathBuf::from(a.driver.ssh_key_path());
    assert_eq!(
        std::fs::read(&copied).unwrap(),
        std::fs::read(&key).unwrap()
    );
    // A second machine uses the first one's EC2 key pair and leaves it on rm.
    let mut b = machine(
        "ec2-existing",
        &[
            ("amazonec2-keypair-name", s("ec2-ownkey")),
            ("amazonec2-ssh-keypath", s(key.to_str().unwrap())),
        ],
    );
    b.driver.pre_create_check().unwrap();
    b.driver.create().unwrap();
    let id = instance_id(b.driver.as_ref());
    assert_eq!(inventory()["instances"][&id]["key"], "ec2-ownkey");
    b.driver.remove().unwrap();
    assert!(inventory()["keys"]
        .as_array()
        .unwrap()
        .contains(&"ec2-ownkey".into()));
    a.driver.remove().unwrap();
    assert!(!inventory()["keys"]
        .as_array()
        .unwrap()
        .contains(&"ec2-ownkey".into()));
}

/// Credentials from the environment, the shared files with AWS_PROFILE, and the
/// instance metadata service (moto serves one; its role's keys are not an IAM user, so
/// EC2 refuses them: that refusal shows they were found and sent). One test, run alone
/// by `ec2_against_moto`, since it changes the process's environment.
#[test]
#[ignore = "run inside a network namespace by ec2_against_moto"]
fn moto_credential_sources() {
    let no_keys = [
        ("amazonec2-access-key", s("")),
        ("amazonec2-secret-key", s("")),
    ];
    let check = |name: &str| {
        let m = machine(name, &no_keys);
        m.driver.pre_create_check().map_err(|e| format!("{e:#}"))
    };
    let home = tempfile::tempdir().unwrap();
    std::env::set_var("HOME", home.path());
    for v in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
    ] {
        std::env::remove_var(v);
    }
    std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
    let e = check("ec2-cred0").unwrap_err();
    assert!(
        e.starts_with("amazonec2 driver requires AWS credentials"),
        "{e}"
    );

    std::env::set_var("AWS_ACCESS_KEY_ID", env("DM_MOTO_ACCESS_KEY"));
    std::env::set_var("AWS_SECRET_ACCESS_KEY", env("DM_MOTO_SECRET_KEY"));
    check("ec2-cred1").unwrap();
    std::env::remove_var("AWS_ACCESS_KEY_ID");
    std::env::remove_var("AWS_SECRET_ACCESS_KEY");

    std::fs::create_dir_all(home.path().join(".aws")).unwrap();
    std::fs::write(
        home.path().join(".aws/credentials"),
        format!(
            "[default]\naws_access_key_id = AKIAWRONG\naws_secret_access_key = wrong\n\n[ci]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            env("DM_MOTO_ACCESS_KEY"),
            env("DM_MOTO_SECRET_KEY")
        ),
    )
    .unwrap();
    let e = check("ec2-cred2").unwrap_err();
    assert!(
        e.contains("AuthFailure"),
        "the default profile is used: {e}"
    );
    std::env::set_var("AWS_PROFILE", "ci");
    check("ec2-cred3").unwrap();
    std::fs::remove_file(home.path().join(".aws/credentials")).unwrap();
    std::fs::write(
        home.path().join(".aws/config"),
        format!(
            "[profile ci]\nregion = us-east-1\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            env("DM_MOTO_ACCESS_KEY"),
            env("DM_MOTO_SECRET_KEY")
        ),
    )
    .unwrap();
    check("ec2-cred4").unwrap();
    std::fs::remove_file(home.path().join(".aws/config")).unwrap();
    std::env::remove_var("AWS_PROFILE");

    std::env::remove_var("AWS_EC2_METADATA_DISABLED");
    std::env::set_var("AWS_EC2_METADATA_SERVICE_ENDPOINT", moto());
    let e = check("ec2-cred5").unwrap_err();
    assert!(
        e.starts_with("EC2 API error AuthFailure"),
        "instance role keys were sent: {e}"
    );
    std::env::remove_var("AWS_EC2_METADATA_SERVICE_ENDPOINT");
}
