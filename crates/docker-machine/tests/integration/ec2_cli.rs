//! The command line with the amazonec2 driver, against moto's EC2 server: flag and
//! credential errors as one line with the documented exit code and nothing left behind,
//! and a machine whose instance exists (`create` stops at SSH: moto's addresses lead
//! nowhere) listed, addressed, stopped, killed and removed with everything it made.
//!
//! `ec2_cli_against_moto` re-runs this binary's `moto_cli_*` tests through
//! `tests/moto/run.sh`: a network namespace with only loopback and one moto server.
//! Nothing here connects to an instance address; inside the namespace it could not.

use crate::support::{isolated_cmd, repo_root, run, Out};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

#[test]
fn ec2_cli_against_moto() {
    if std::env::var("DM_MOTO_TESTS").as_deref() == Ok("0") {
        testkit::skip("DM_MOTO_TESTS=0");
        return;
    }
    let out = run(Command::new(repo_root().join("tests/moto/run.sh"))
        .arg(std::env::current_exe().unwrap())
        .args(["--ignored", "--test-threads=2", "moto_cli_"]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("test result: ok. 2 passed"), "{out:?}");
}

/// An unknown region needs no API call: refused while reading the flags.
#[test]
fn unknown_region_is_one_line() {
    let store = tempfile::tempdir().unwrap();
    let out = run(isolated_cmd(store.path())
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args([
            "create",
            "-d",
            "amazonec2",
            "--amazonec2-region",
            "mars-1",
            "m",
        ]));
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr.trim_end(),
        "Error setting machine configuration from flags provided: Invalid region specified",
        "{out:?}"
    );
    assert!(!store.path().join("machines/m").exists());
}

fn env(name: &str) -> String {
    std::env::var(name).expect("run inside tests/moto/run.sh by ec2_cli_against_moto")
}

/// `docker-machine ARGS` with the caller's environment cleared and the instance metadata
/// service off (credentials come from the flags or nowhere).
fn dm(store: &Path, args: &[&str]) -> Out {
    run(isolated_cmd(store)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .args(args))
}

fn create_args<'a>(name: &'a str, endpoint: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "create",
        "-d",
        "amazonec2",
        "--amazonec2-endpoint",
        endpoint,
        "--amazonec2-zone",
        "us-east-1a",
    ];
    v.extend_from_slice(extra);
    v.push(name);
    v
}

fn inventory() -> Value {
    let out =
        run(Command::new(env("DM_MOTO_PYTHON")).arg(repo_root().join("tests/moto/inventory.py")));
    assert_eq!(out.code, 0, "{out:?}");
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
#[ignore = "run inside a network namespace by ec2_cli_against_moto"]
fn moto_cli_errors_leave_nothing() {
    let store = tempfile::tempdir().unwrap();
    let endpoint = env("DM_MOTO_ENDPOINT");
    let (key, secret, ami) = (
        env("DM_MOTO_ACCESS_KEY"),
        env("DM_MOTO_SECRET_KEY"),
        env("DM_MOTO_AMI"),
    );
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--amazonec2-access-key", &key, "--amazonec2-secret-key", "wrong", "--amazonec2-ami", &ami],
            "Error with pre-create check: \"EC2 API error AuthFailure: AWS was not able to validate the provided access credentials\"",
        ),
        (
            vec!["--amazonec2-access-key", &key, "--amazonec2-secret-key", &secret, "--amazonec2-ami", "ami-12345678"],
            "Error with pre-create check: \"EC2 API error InvalidAMIID.NotFound: ",
        ),
        (
            vec!["--amazonec2-ami", &ami],
            "Error with pre-create check: \"amazonec2 driver requires AWS credentials configured with",
        ),
    ];
    for (extra, expected) in cases {
        let args = create_args("bad", &endpoint, &extra);
        let out = dm(store.path(), &args);
        assert_eq!(out.code, 3, "{args:?}: {out:?}");
        let last = out.stderr.trim_end();
        assert!(
            !last.contains('\n') && last.starts_with(expected),
            "{args:?}: {out:?}"
        );
        assert!(!store.path().join("machines/bad").exists(), "{out:?}");
    }
    assert!(inventory()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .all(|k| k != "bad"));
}

#[test]
#[ignore = "run inside a network namespace by ec2_cli_against_moto"]
fn moto_cli_ls_ip_url_stop_kill_rm() {
    let store = tempfile::tempdir().unwrap();
    let s = store.path();
    let endpoint = env("DM_MOTO_ENDPOINT");
    let (key, secret, ami) = (
        env("DM_MOTO_ACCESS_KEY"),
        env("DM_MOTO_SECRET_KEY"),
        env("DM_MOTO_AMI"),
    );
    let args = create_args(
        "web1",
        &endpoint,
        &[
            "--ssh-wait-timeout",
            "1",
            "--amazonec2-access-key",
            &key,
            "--amazonec2-secret-key",
            &secret,
            "--amazonec2-ami",
            &ami,
            "--amazonec2-security-group",
            "dm-cli",
            "--amazonec2-request-spot-instance",
        ],
    );
    let out = dm(s, &args);
    // The instance exists; SSH to moto's invented address cannot work.
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .contains("Error creating machine: Error detecting OS"),
        "{out:?}"
    );
    let config: Value = serde_json::from_str(
        &std::fs::read_to_string(s.join("machines/web1/config.json")).unwrap(),
    )
    .unwrap();
    let driver = &config["Driver"];
    let (id, ip) = (
        driver["InstanceId"].as_str().unwrap(),
        driver["IPAddress"].as_str().unwrap(),
    );
    let request = driver["SpotInstanceRequestId"].as_str().unwrap();
    assert!(
        id.starts_with("i-") && !ip.is_empty() && request.starts_with("sir-"),
        "{driver}"
    );
    assert_eq!(inventory()["instances"][id]["state"], "running");

    let out = dm(
        s,
        &[
            "ls",
            "--format",
            "{{.Name}} {{.DriverName}} {{.State}} {{.URL}}",
        ],
    );
    assert_eq!(
        out.stdout,
        format!("web1 amazonec2 Running tcp://{ip}:2376\n"),
        "{out:?}"
    );
    let out = dm(s, &["ip", "web1"]);
    assert_eq!(
        (out.code, out.stdout.clone()),
        (0, format!("{ip}\n")),
        "{out:?}"
    );
    let out = dm(s, &["url", "web1"]);
    assert_eq!(out.stdout, format!("tcp://{ip}:2376\n"), "{out:?}");
    let out = dm(s, &["status", "web1"]);
    assert_eq!(out.stdout, "Running\n");

    let out = dm(s, &["stop", "web1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(dm(s, &["status", "web1"]).stdout, "Stopped\n");
    assert_eq!(inventory()["instances"][id]["state"], "stopped");
    let out = dm(s, &["ls", "--format", "{{.State}} {{.URL}}"]);
    assert_eq!(out.stdout, "Stopped \n", "{out:?}");
    let out = dm(s, &["kill", "web1"]);
    assert_eq!(out.code, 1, "already stopped: {out:?}");

    let out = dm(s, &["rm", "-y", "web1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Successfully removed web1"), "{out:?}");
    let inv = inventory();
    assert_eq!(inv["instances"][id]["state"], "terminated");
    assert!(inv["keys"].as_array().unwrap().iter().all(|k| k != "web1"));
    assert!(inv["groups"].get("dm-cli").is_none(), "{}", inv["groups"]);
    let state = &inv["spot"][request]["state"];
    assert!(state.is_null() || state == "cancelled", "{}", inv["spot"]);

    // A record whose instance EC2 no longer knows: a warning, and the record goes.
    let out = dm(
        s,
        &create_args(
            "gone",
            &endpoint,
            &[
                "--ssh-wait-timeout",
                "1",
                "--amazonec2-access-key",
                &key,
                "--amazonec2-secret-key",
                &secret,
                "--amazonec2-ami",
                &ami,
            ],
        ),
    );
    assert_eq!(out.code, 1, "{out:?}");
    let path = s.join("machines/gone/config.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let real: Value = serde_json::from_str(&text).unwrap();
    let real_id = real["Driver"]["InstanceId"].as_str().unwrap().to_string();
    std::fs::write(&path, text.replace(&real_id, "i-0123456789abcdef0")).unwrap();
    let out = dm(s, &["rm", "-y", "gone"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains("Remote instance does not exist, proceeding with removing local reference"),
        "{out:?}"
    );
    assert!(!s.join("machines/gone").exists());
    let out = dm(s, &["rm", "-y", "never"]);
    assert_eq!(out.code, 1, "{out:?}");
}
