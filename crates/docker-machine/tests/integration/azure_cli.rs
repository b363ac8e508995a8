//! The command line with the azure driver against `testkit::azure::FakeArm` (a fake
//! Azure Resource Manager on loopback; see its module for what comes from Azure's REST
//! reference and what is assumed): `create -d azure --help`, a create that stops where
//! SSH would begin (the fake's 127.100.x.y addresses lead nowhere), then `ls` Running
//! with the IP, `ip`, `url`, stop/kill and `rm` leaving only the resource
//! group; a failed create leaving nothing, in one line.

use crate::support::{isolated_cmd, run, Out};
use std::path::Path;
use testkit::azure::{Config, FakeArm};

fn dm(store: &Path, fake: &FakeArm, args: &[&str]) -> Out {
    run(isolated_cmd(store)
        .env("AZURE_ARM_ENDPOINT", fake.url())
        .env("AZURE_AUTHORITY_HOST", fake.authority())
        .env("AZURE_IMDS_ENDPOINT", fake.url())
        .args(args))
}

fn create_args<'a>(c: &'a Config, name: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "create",
        "-d",
        "azure",
        "--azure-subscription-id",
        &c.subscription,
        "--azure-client-id",
        &c.client_id,
        "--azure-client-secret",
        &c.client_secret,
    ];
    v.extend_from_slice(extra);
    v.push(name);
    v
}

#[test]
fn azure_create_help_lists_every_flag() {
    let store = tempfile::tempdir().unwrap();
    let out = run(isolated_cmd(store.path()).args(["create", "-d", "azure", "--help"]));
    assert_eq!(out.code, 0, "{out:?}");
    for flag in [
        "--azure-environment",
        "--azure-subscription-id",
        "--azure-tenant-id",
        "--azure-client-id",
        "--azure-client-secret",
        "--azure-auth",
        "--azure-image \"canonical:ubuntu-24_04-lts:server-gen1:latest\"",
        "--azure-size \"Standard_D2_v2\"",
        "--azure-managed-disks",
        "--azure-disk-size \"30\"",
        "--azure-fault-domain-count \"3\"",
        "--azure-update-domain-count \"5\"",
        "--azure-nsg",
        "--azure-plan",
        "--azure-tags",
        "--azure-accelerated-networking",
        "--azure-enable-public-ip-standard-sku",
        "--azure-availability-zone",
        "--azure-open-port [--azure-open-port option --azure-open-port option]",
        "--azure-dns",
        "--azure-custom-data",
    ] {
        assert!(out.stdout.contains(flag), "{flag} missing:\n{}", out.stdout);
    }
}

#[test]
fn azure_cli_create_ls_power_rm() {
    let fake = FakeArm::start(Config::default());
    let c = fake.config();
    let store = tempfile::tempdir().unwrap();
    let s = store.path();
    let out = dm(
        s,
        &fake,
        &create_args(&c, "az1", &["--ssh-wait-timeout", "1"]),
    );
    // The VM exists; SSH to the fake's address cannot work.
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("Error creating machine"), "{out:?}");
    assert!(!out.stderr.contains(&c.client_secret) && !out.stdout.contains(&c.client_secret));
    let vm = format!(
        "/subscriptions/{}/resourceGroups/docker-machine/providers/Microsoft.Compute/virtualMachines/az1",
        c.subscription
    );
    assert_eq!(fake.power_state(&vm).as_deref(), Some("running"));
    let out = dm(s, &fake, &["ip", "az1"]);
    assert_eq!(out.code, 0, "{out:?}");
    let ip = out.stdout.trim().to_string();
    assert!(ip.starts_with("127.100."), "{ip}");
    let out = dm(
        s,
        &fake,
        &[
            "ls",
            "--format",
            "{{.Name}} {{.DriverName}} {{.State}} {{.URL}}",
        ],
    );
    assert_eq!(
        out.stdout,
        format!("az1 azure Running tcp://{ip}:2376\n"),
        "{out:?}"
    );
    assert_eq!(
        dm(s, &fake, &["url", "az1"]).stdout,
        format!("tcp://{ip}:2376\n")
    );

    // `start` and `restart` would wait for SSH after the power change: the library
    // tests cover them (azure_arm.rs).
    let out = dm(s, &fake, &["kill", "az1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(dm(s, &fake, &["status", "az1"]).stdout, "Stopped\n");
    assert_eq!(fake.power_state(&vm).as_deref(), Some("stopped"));

    let out = dm(
        s,
        &fake,
        &create_args(&c, "az2", &["--ssh-wait-timeout", "1"]),
    );
    assert_eq!(out.code, 1, "{out:?}");
    let out = dm(s, &fake, &["stop", "az2"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("NOTICE: Stopping an Azure Virtual Machine is just going to power it off, not deallocate."), "{out:?}");
    assert!(
        out.stdout.contains(
            "NOTICE: You should remove the machine if you would like to avoid unexpected costs."
        ),
        "{out:?}"
    );
    let out = dm(
        s,
        &fake,
        &["ls", "--format", "{{.Name}} {{.State}} {{.URL}}"],
    );
    assert_eq!(out.stdout, "az1 Stopped \naz2 Stopped \n", "{out:?}");
    let out = dm(s, &fake, &["rm", "-y", "az2"]);
    assert_eq!(out.code, 0, "{out:?}");

    let out = dm(s, &fake, &["rm", "-y", "az1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Successfully removed az1"), "{out:?}");
    assert_eq!(fake.resource_ids(), Vec::<String>::new());
    assert_eq!(fake.groups(), ["docker-machine"]);
}

#[test]
fn azure_cli_failed_create_leaves_nothing() {
    let fake = FakeArm::start(Config::default());
    let c = fake.config();
    let store = tempfile::tempdir().unwrap();
    let out = dm(
        store.path(),
        &fake,
        &create_args(&c, "bad", &["--azure-image", "canonical:gone:none:latest"]),
    );
    assert_eq!(out.code, 1, "{out:?}");
    let last = out.stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with("Error creating machine: Error in driver during machine creation: Azure API error PlatformImageNotFound: The platform image 'canonical:gone:none:latest' is not available."),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("Create failed; removed what it made:"),
        "{out:?}"
    );
    assert_eq!(fake.resource_ids(), Vec::<String>::new());
}

/// Device code, as 0.16.2 printed it: the login service's message with the code and URL;
/// the token is then cached for the next command.
#[test]
fn azure_cli_device_code_prints_the_code_and_caches_the_token() {
    let fake = FakeArm::start(Config::default());
    let c = fake.config();
    let store = tempfile::tempdir().unwrap();
    let s = store.path();
    let out = dm(
        s,
        &fake,
        &[
            "create",
            "-d",
            "azure",
            "--azure-subscription-id",
            &c.subscription,
            "--ssh-wait-timeout",
            "1",
            "dev1",
        ],
    );
    assert_eq!(out.code, 1, "stops at SSH: {out:?}");
    let all = format!("{}{}", out.stdout, out.stderr);
    assert!(
        all.contains("Microsoft Azure: To sign in, use a web browser to open the page https://microsoft.com/devicelogin and enter the code FAKE1234 to authenticate."),
        "{out:?}"
    );
    let cache = s.join(format!(
        ".docker/machine/credentials/azure/{}.json",
        c.tenant
    ));
    assert!(cache.exists(), "{out:?}");
    let logins = fake.login_calls();
    let out = dm(s, &fake, &["ls", "--format", "{{.Name}} {{.State}}"]);
    assert_eq!(out.stdout, "dev1 Running\n", "{out:?}");
    assert_eq!(fake.login_calls(), logins, "the cached token is used");
    let out = dm(s, &fake, &["rm", "-y", "dev1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(fake.resource_ids(), Vec::<String>::new());
}
