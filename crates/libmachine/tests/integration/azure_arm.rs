//! The azure driver through the driver API against `testkit::azure::FakeArm`, a fake
//! Azure Resource Manager and login service on loopback written from Azure's REST
//! reference (no emulator of Azure's compute and network APIs exists; the fake's module
//! documentation lists which behaviours come from the reference and which are
//! assumptions). Each login flow creates a machine, which is then Running with its IP,
//! stopped, started, restarted, killed and removed, leaving only the resource group;
//! failed creates leave nothing; a 429 storm is ridden out; a 0.16.2 store and token
//! cache are read and cleaned.
//!
//! Provisioning over SSH is not covered: the fake's addresses (127.100.x.y) lead
//! nowhere. Every test changes the process environment (HOME, the endpoints), which
//! nextest's process per test allows.

use libmachine::drivers::{self, Driver};
use libmachine::mcnflag::{DriverOptions, FlagValue};
use libmachine::state::State;
use serde_json::{json, Value};
use std::path::Path;
use testkit::azure::{Config, FakeArm};

struct Env {
    fake: FakeArm,
    home: tempfile::TempDir,
    store: tempfile::TempDir,
}

/// A fake ARM with `config`, the driver's endpoints and HOME pointed at it.
fn setup(config: Config) -> Env {
    let fake = FakeArm::start(config);
    let home = tempfile::tempdir().unwrap();
    let store = tempfile::tempdir().unwrap();
    std::env::set_var("HOME", home.path());
    std::env::set_var("AZURE_ARM_ENDPOINT", fake.url());
    std::env::set_var("AZURE_AUTHORITY_HOST", fake.authority());
    std::env::set_var("AZURE_IMDS_ENDPOINT", fake.url());
    Env { fake, home, store }
}

impl Env {
    fn options(&self, overrides: &[(&str, &str)]) -> DriverOptions {
        let spec = drivers::find("azure").unwrap();
        let mut opts = DriverOptions::new();
        let mut kinds = std::collections::HashMap::new();
        for flag in (spec.create_flags)() {
            kinds.insert(flag.key().to_string(), flag.default_value());
            opts.insert(flag.key(), flag.default_value());
        }
        let c = self.fake.config();
        opts.insert("azure-subscription-id", FlagValue::String(c.subscription));
        for (k, v) in overrides {
            let value = match &kinds[*k] {
                FlagValue::Bool(_) => FlagValue::Bool(*v == "true"),
                FlagValue::StringSlice(_) => {
                    FlagValue::StringSlice(v.split(',').map(str::to_string).collect())
                }
                _ => FlagValue::String(v.to_string()),
            };
            opts.insert(k, value);
        }
        opts
    }

    fn sp(&self) -> Vec<(&'static str, String)> {
        let c = self.fake.config();
        vec![
            ("azure-client-id", c.client_id),
            ("azure-client-secret", c.client_secret),
        ]
    }

    fn driver(&self, name: &str, overrides: &[(&str, &str)]) -> Box<dyn Driver> {
        std::fs::create_dir_all(self.store.path().join("machines").join(name)).unwrap();
        let mut d =
            (drivers::find("azure").unwrap().new)(name, self.store.path().to_str().unwrap());
        d.set_config_from_flags(&self.options(overrides)).unwrap();
        d
    }

    /// A machine as the store would load it again (a new process: no login held).
    fn reload(&self, d: &dyn Driver) -> Box<dyn Driver> {
        (drivers::find("azure").unwrap().load)(d.to_json()).unwrap()
    }

    fn ids(&self) -> Vec<String> {
        self.fake.resource_ids()
    }
}

fn sp_flags(env: &Env) -> Vec<(String, String)> {
    env.sp()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

fn refs(v: &[(String, String)]) -> Vec<(&str, &str)> {
    v.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// create → Running with its IP → stop/start/restart/kill → rm; what is left.
fn lifecycle(env: &Env, d: &mut Box<dyn Driver>) {
    d.pre_create_check().unwrap();
    d.create().unwrap();
    let mut d = env.reload(d.as_ref());
    assert_eq!(d.state().unwrap(), State::Running);
    let ip = d.ip().unwrap();
    assert!(ip.starts_with("127.100."), "{ip}");
    assert_eq!(d.url().unwrap(), format!("tcp://{ip}:2376"));
    d.stop().unwrap();
    assert_eq!(d.state().unwrap(), State::Stopped);
    assert!(d
        .url()
        .unwrap_err()
        .downcast_ref::<drivers::HostNotRunning>()
        .is_some());
    d.start().unwrap();
    assert_eq!(d.state().unwrap(), State::Running);
    d.restart().unwrap();
    assert_eq!(d.state().unwrap(), State::Running);
    d.kill().unwrap();
    assert_eq!(d.state().unwrap(), State::Stopped);
    d.remove().unwrap();
}

#[test]
fn azure_service_principal_create_power_rm() {
    let env = setup(Config::default());
    let sp = sp_flags(&env);
    let mut flags = refs(&sp);
    flags.push(("azure-open-port", "8080,53/udp"));
    let mut d = env.driver("sp1", &flags);
    d.pre_create_check().unwrap();
    d.create().unwrap();
    // Only the provider not yet registered is registered.
    let sub = env.fake.config().subscription;
    let posts: Vec<String> = env
        .fake
        .log()
        .into_iter()
        .filter(|l| l.starts_with("POST "))
        .collect();
    assert_eq!(
        posts,
        [format!(
            "POST /subscriptions/{sub}/providers/Microsoft.Compute/register"
        )]
    );
    // 0.16.2's names, in its order.
    let rg = format!("/subscriptions/{sub}/resourceGroups/docker-machine/providers");
    let mut want = vec![
        format!("{rg}/Microsoft.Compute/availabilitySets/docker-machine"),
        format!("{rg}/Microsoft.Compute/disks/sp1-os-disk"),
        format!("{rg}/Microsoft.Compute/virtualMachines/sp1"),
        format!("{rg}/Microsoft.Network/networkInterfaces/sp1-nic"),
        format!("{rg}/Microsoft.Network/networkSecurityGroups/sp1-firewall"),
        format!("{rg}/Microsoft.Network/publicIPAddresses/sp1-ip"),
        format!("{rg}/Microsoft.Network/virtualNetworks/docker-machine-vnet"),
        format!(
            "{rg}/Microsoft.Network/virtualNetworks/docker-machine-vnet/subnets/docker-machine"
        ),
    ];
    want.sort_by_key(|s| s.to_lowercase());
    assert_eq!(env.ids(), want);
    let puts: Vec<String> = env
        .fake
        .log()
        .into_iter()
        .filter(|l| l.starts_with("PUT "))
        .map(|l| l.rsplit('/').next().unwrap().to_string())
        .collect();
    assert_eq!(
        puts,
        [
            "docker-machine",
            "docker-machine",
            "sp1-firewall",
            "docker-machine-vnet",
            "docker-machine",
            "sp1-ip",
            "sp1-nic",
            "sp1"
        ]
    );
    let nsg = env
        .fake
        .resource(&format!(
            "{rg}/Microsoft.Network/networkSecurityGroups/sp1-firewall"
        ))
        .unwrap();
    let rules: Vec<(&str, u64, &str)> = nsg["properties"]["securityRules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap(),
                r["properties"]["priority"].as_u64().unwrap(),
                r["properties"]["destinationPortRange"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rules,
        [
            ("SSHAllowAny", 100, "22"),
            ("DockerAllowAny", 300, "2376"),
            ("Port8080-TcpAllowAny", 1000, "8080"),
            ("Port53-UdpAllowAny", 1001, "53")
        ]
    );
    let vm = env
        .fake
        .resource(&format!("{rg}/Microsoft.Compute/virtualMachines/sp1"))
        .unwrap();
    let p = &vm["properties"];
    assert_eq!(p["hardwareProfile"]["vmSize"], "Standard_D2_v2");
    assert_eq!(p["osProfile"]["adminUsername"], "docker-user");
    assert_eq!(
        p["osProfile"]["linuxConfiguration"]["disablePasswordAuthentication"],
        true
    );
    let key = std::fs::read_to_string(env.store.path().join("machines/sp1/id_rsa.pub")).unwrap();
    assert_eq!(
        p["osProfile"]["linuxConfiguration"]["ssh"]["publicKeys"][0]["keyData"]
            .as_str()
            .unwrap(),
        key.trim()
    );
    let ip = env
        .fake
        .resource(&format!("{rg}/Microsoft.Network/publicIPAddresses/sp1-ip"))
        .unwrap();
    assert_eq!(
        (
            ip["sku"]["name"].as_str(),
            ip["properties"]["publicIPAllocationMethod"].as_str()
        ),
        (Some("Standard"), Some("Static"))
    );
    assert_eq!(
        d.ssh_key_path(),
        env.store
            .path()
            .join("machines/sp1/id_rsa")
            .to_str()
            .unwrap()
    );

    // A second create of the same name is refused before anything is made.
    let e = env
        .driver("sp1", &refs(&sp))
        .pre_create_check()
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Virtual Machine with name sp1 already exists in resource group \"docker-machine\""
    );

    let mut d = env.reload(d.as_ref());
    assert_eq!(d.state().unwrap(), State::Running);
    let ip = d.ip().unwrap();
    assert_eq!(d.url().unwrap(), format!("tcp://{ip}:2376"));
    d.stop().unwrap();
    assert_eq!(d.state().unwrap(), State::Stopped);
    assert_eq!(
        env.fake
            .power_state(&format!("{rg}/Microsoft.Compute/virtualMachines/sp1"))
            .as_deref(),
        Some("stopped")
    );
    d.start().unwrap();
    d.restart().unwrap();
    assert_eq!(d.state().unwrap(), State::Running);
    d.kill().unwrap();
    assert_eq!(d.state().unwrap(), State::Stopped);
    d.remove().unwrap();
    assert_eq!(env.ids(), Vec::<String>::new());
    assert_eq!(env.fake.groups(), ["docker-machine"]);
    // rm again: nothing left to delete is no error.
    env.reload(d.as_ref()).remove().unwrap();
}

#[test]
fn azure_shared_parts_and_vnet_in_another_group() {
    let env = setup(Config {
        polls: 2,
        ..Config::default()
    });
    let sub = env.fake.config().subscription;
    // A vnet someone made before, in its own group: used, never deleted.
    env.fake.insert_group("netrg", "westus");
    let vnet = format!("/subscriptions/{sub}/resourceGroups/netrg/providers/Microsoft.Network/virtualNetworks/corp");
    env.fake.insert(&vnet, json!({"location": "westus", "properties": {"addressSpace": {"addressPrefixes": ["10.0.0.0/8"]}}}));
    env.fake.insert(
        &format!("{vnet}/subnets/docker-machine"),
        json!({"properties": {"addressPrefix": "10.1.0.0/16"}}),
    );
    let sp = sp_flags(&env);
    let mut f1 = refs(&sp);
    f1.push(("azure-vnet", "netrg:corp"));
    f1.push(("azure-use-private-ip", "true"));
    let mut a = env.driver("a", &f1);
    // Two machines share the availability set: the first rm keeps it.
    let mut f2 = refs(&sp);
    f2.push(("azure-vnet", "netrg:made"));
    f2.push(("azure-dns", "bee"));
    let mut b = env.driver("b", &f2);
    a.pre_create_check().unwrap();
    a.create().unwrap();
    b.pre_create_check().unwrap();
    b.create().unwrap();
    // The private IP from corp's subnet; b's FQDN from its DNS label.
    assert!(
        a.ip().unwrap().starts_with("10.1.0."),
        "{}",
        a.ip().unwrap()
    );
    assert_eq!(b.ip().unwrap(), "bee.westus.cloudapp.azure.com");
    assert_eq!(b.url().unwrap(), "tcp://bee.westus.cloudapp.azure.com:2376");
    let made_vnet = format!("/subscriptions/{sub}/resourceGroups/netrg/providers/Microsoft.Network/virtualNetworks/made");
    assert!(
        env.fake.resource(&made_vnet).is_some(),
        "the vnet is made in its own group"
    );
    let set = format!("/subscriptions/{sub}/resourceGroups/docker-machine/providers/Microsoft.Compute/availabilitySets/docker-machine");
    assert_eq!(
        env.fake.resource(&set).unwrap()["properties"]["virtualMachines"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    env.reload(a.as_ref()).remove().unwrap();
    assert!(env.fake.resource(&set).is_some(), "still used by b");
    assert!(
        env.fake.resource(&vnet).is_some()
            && env
                .fake
                .resource(&format!("{vnet}/subnets/docker-machine"))
                .is_some()
    );
    env.reload(b.as_ref()).remove().unwrap();
    // What b made in netrg is gone (0.16.2 looked in the machine's group); corp stays.
    assert_eq!(
        env.ids(),
        vec![vnet.clone(), format!("{vnet}/subnets/docker-machine")]
    );
}

#[test]
fn azure_device_code_login_cache_and_refresh() {
    let env = setup(Config::default());
    let c = env.fake.config();
    let mut d = env.driver("dev1", &[]);
    lifecycle(&env, &mut d);
    // Tenant discovered from the 401 and cached as 0.16.2 did.
    let creds = env.home.path().join(".docker/machine/credentials/azure");
    assert_eq!(
        std::fs::read_to_string(creds.join(format!("{}.tenantid", c.subscription))).unwrap(),
        c.tenant
    );
    let cache = creds.join(format!("{}.json", c.tenant));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    for k in [
        "access_token",
        "refresh_token",
        "expires_in",
        "expires_on",
        "not_before",
        "resource",
        "token_type",
    ] {
        assert!(v[k].is_string(), "{k}: {v}");
    }
    assert_eq!(v["resource"], "https://management.core.windows.net/");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&cache).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The cached token serves the next process without a login.
    let logins = env.fake.login_calls();
    let d2 = env.driver("dev2", &[]);
    d2.pre_create_check().unwrap();
    assert_eq!(env.fake.login_calls(), logins);
    // An expired token is refreshed with its refresh token, and the cache rewritten.
    let mut v = v;
    v["expires_on"] = json!("1000");
    std::fs::write(&cache, v.to_string()).unwrap();
    env.driver("dev3", &[]).pre_create_check().unwrap();
    assert_eq!(env.fake.login_calls(), logins + 1);
    let after: Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert_ne!(after["access_token"], v["access_token"]);
    assert!(
        after["expires_on"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 1000
    );
    // A token the clock calls valid but ARM refuses (revoked): refreshed once, then used.
    let mut revoked = after.clone();
    revoked["access_token"] = json!("revoked");
    std::fs::write(&cache, revoked.to_string()).unwrap();
    env.driver("dev4", &[]).pre_create_check().unwrap();
    assert_eq!(env.fake.login_calls(), logins + 2);
    let renewed: Value = serde_json::from_str(&std::fs::read_to_string(&cache).unwrap()).unwrap();
    assert!(renewed["access_token"]
        .as_str()
        .unwrap()
        .starts_with("eyJ0eXAi."));
}

#[test]
fn azure_managed_identity_and_az_cli() {
    let env = setup(Config::default());
    let mut d = env.driver("mi1", &[("azure-auth", "managed-identity")]);
    lifecycle(&env, &mut d);
    assert_eq!(env.ids(), Vec::<String>::new());

    // A logged-in `az` (a script standing in for the Azure CLI, which cannot log in here)
    // hands out a token the fake issued.
    let bin = tempfile::tempdir().unwrap();
    let token = env.fake.issue_token();
    let script = bin.path().join("az");
    std::fs::write(
        &script,
        format!("#!/bin/sh\n[ \"$1 $2\" = \"account get-access-token\" ] || exit 2\necho '{{\"accessToken\": \"{token}\", \"expires_on\": 4102444800, \"tokenType\": \"Bearer\"}}'\n"),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    std::env::set_var("PATH", &path);
    let logins = env.fake.login_calls();
    let mut d = env.driver("cli1", &[("azure-auth", "az-cli")]);
    lifecycle(&env, &mut d);
    assert_eq!(
        env.fake.login_calls(),
        logins,
        "az's token, no login of ours"
    );

    // An az that is not logged in: one clear line.
    std::fs::write(
        &script,
        "#!/bin/sh\necho \"ERROR: Please run 'az login' to setup account.\" >&2\nexit 1\n",
    )
    .unwrap();
    let e = env
        .driver("cli2", &[("azure-auth", "az-cli")])
        .pre_create_check()
        .unwrap_err();
    assert_eq!(
        format!("{e:#}"),
        "azure: az account get-access-token failed: ERROR: Please run 'az login' to setup account. (run `az login`)"
    );
}

#[test]
fn azure_bad_secret_is_one_line_and_never_printed() {
    let env = setup(Config::default());
    let e = env
        .driver(
            "bad",
            &[
                ("azure-client-id", "sp-client"),
                ("azure-client-secret", "wrong-s3cret"),
                ("azure-tenant-id", "72f988bf-86f1-41af-91ab-2d7cd011db47"),
            ],
        )
        .pre_create_check()
        .unwrap_err();
    let text = format!("{e:#}");
    assert!(
        text.starts_with("azure service principal login failed: invalid_client: AADSTS7000215"),
        "{text}"
    );
    assert!(
        !text.contains("wrong-s3cret") && !text.contains('\n'),
        "{text}"
    );
    assert_eq!(env.fake.arm_calls(), 0);
}

#[test]
fn azure_failed_creates_leave_nothing() {
    let env = setup(Config {
        core_quota: 2,
        ..Config::default()
    });
    env.fake.insert_group("docker-machine", "westus");
    let sp = sp_flags(&env);
    let mut cases = vec![
        ("img", vec![("azure-image", "canonical:nope:none:latest")], "Azure API error PlatformImageNotFound: The platform image 'canonical:nope:none:latest' is not available."),
        ("size", vec![("azure-size", "Standard_Z9")], "Azure API error SkuNotAvailable: The requested VM size Standard_Z9 is not available in the current region."),
    ];
    for (name, extra, want) in cases.drain(..) {
        let mut flags = refs(&sp);
        flags.extend(extra);
        let mut d = env.driver(name, &flags);
        d.pre_create_check().unwrap();
        let e = format!("{:#}", d.create().unwrap_err());
        assert!(e.starts_with(want), "{name}: {e}");
        assert_eq!(env.ids(), Vec::<String>::new(), "{name}");
    }
    // An operation that fails part-way (the NIC's): what was made before is removed.
    env.fake.with(|c| {
        c.fail_operation = Some((
            "op1-nic".into(),
            "InternalServerError".into(),
            "An unexpected error occured while processing the network profile of the VM.".into(),
        ))
    });
    let mut d = env.driver("op1", &refs(&sp));
    d.pre_create_check().unwrap();
    let e = format!("{:#}", d.create().unwrap_err());
    assert_eq!(e, "Azure API error InternalServerError: An unexpected error occured while processing the network profile of the VM.");
    assert_eq!(env.ids(), Vec::<String>::new());
    env.fake.with(|c| c.fail_operation = None);
    // Quota: the first machine fits, the second exceeds; only the first's remain.
    let mut first = env.driver("q1", &refs(&sp));
    first.pre_create_check().unwrap();
    first.create().unwrap();
    let before = env.ids();
    let mut d = env.driver("q2", &refs(&sp));
    d.pre_create_check().unwrap();
    let e = format!("{:#}", d.create().unwrap_err());
    assert!(e.starts_with("Azure API error OperationNotAllowed: Operation could not be completed as it results in exceeding approved"), "{e}");
    assert_eq!(env.ids(), before);
    env.reload(first.as_ref()).remove().unwrap();
    assert_eq!(env.ids(), Vec::<String>::new());
    assert_eq!(env.fake.groups(), ["docker-machine"]);
}

#[test]
fn azure_429_storm_and_503_are_ridden_out() {
    let env = setup(Config {
        polls: 3,
        ..Config::default()
    });
    let sp = sp_flags(&env);
    let mut d = env.driver("storm", &refs(&sp));
    d.pre_create_check().unwrap();
    env.fake.with(|c| {
        c.throttle_next = 4;
        c.unavailable_next = 2;
    });
    let calls = env.fake.arm_calls();
    d.create().unwrap();
    assert!(env.fake.arm_calls() >= calls + 6 + 8);
    assert_eq!(env.fake.config().throttle_next, 0);
    assert_eq!(env.reload(d.as_ref()).state().unwrap(), State::Running);
}

#[test]
fn azure_old_store_and_token_cache_are_read_and_cleaned() {
    let env = setup(Config::default());
    let c = env.fake.config();
    let sub = c.subscription.clone();
    // What 0.16.2 left: its token cache and tenant file, a machine with a VHD in a
    // storage account, a Basic dynamic public IP, and its config.json.
    let creds = env.home.path().join(".docker/machine/credentials/azure");
    std::fs::create_dir_all(&creds).unwrap();
    std::fs::write(creds.join(format!("{sub}.tenantid")), &c.tenant).unwrap();
    let token = env.fake.issue_token();
    std::fs::write(
        creds.join(format!("{}.json", c.tenant)),
        json!({"access_token": token, "refresh_token": "r", "expires_in": "3599", "expires_on": "4102444800", "not_before": "1500000000", "resource": "https://management.core.windows.net/", "token_type": "Bearer"}).to_string(),
    )
    .unwrap();
    env.fake.insert_group("old", "westus");
    let p = format!("/subscriptions/{sub}/resourceGroups/old/providers");
    let vnet = format!("{p}/Microsoft.Network/virtualNetworks/docker-machine-vnet");
    let subnet = format!("{vnet}/subnets/docker-machine");
    let nsg = format!("{p}/Microsoft.Network/networkSecurityGroups/old1-firewall");
    let ip = format!("{p}/Microsoft.Network/publicIPAddresses/old1-ip");
    let nic = format!("{p}/Microsoft.Network/networkInterfaces/old1-nic");
    let set = format!("{p}/Microsoft.Compute/availabilitySets/docker-machine");
    let vm = format!("{p}/Microsoft.Compute/virtualMachines/old1");
    let account = format!("{p}/Microsoft.Storage/storageAccounts/vhdsabc123");
    env.fake.insert(&vnet, json!({"location": "westus"}));
    env.fake.insert(
        &subnet,
        json!({"properties": {"addressPrefix": "192.168.0.0/16"}}),
    );
    env.fake.insert(&nsg, json!({"location": "westus"}));
    env.fake.insert(&ip, json!({"location": "westus", "sku": {"name": "Basic"}, "properties": {"publicIPAllocationMethod": "Dynamic"}}));
    env.fake.insert(&nic, json!({"location": "westus", "properties": {"networkSecurityGroup": {"id": nsg}, "ipConfigurations": [{"name": "ip", "properties": {"subnet": {"id": subnet}, "publicIPAddress": {"id": ip}, "privateIPAddress": "192.168.0.4"}}]}}));
    env.fake.insert(&set, json!({"location": "westus"}));
    env.fake.insert(
        &account,
        json!({"location": "westus", "sku": {"name": "Standard_LRS"}}),
    );
    env.fake.insert(
        &format!("{account}/blobServices/default/containers/vhd-old1"),
        json!({}),
    );
    env.fake.insert(&vm, json!({"location": "westus", "powerState": "stopped", "properties": {"availabilitySet": {"id": set}, "networkProfile": {"networkInterfaces": [{"id": nic}]}, "storageProfile": {"osDisk": {"name": "old1-os-disk", "vhd": {"uri": "https://vhdsabc123.blob.core.windows.net/vhd-old1/old1-os-disk.vhd"}}}}}));
    let store_json = json!({
        "IPAddress": "", "MachineName": "old1", "SSHUser": "docker-user", "SSHPort": 22,
        "SSHKeyPath": "/home/u/.docker/machine/machines/old1/id_rsa", "StorePath": "/home/u/.docker/machine",
        "SwarmMaster": false, "SwarmHost": "", "SwarmDiscovery": "",
        "ClientID": "", "ClientSecret": "", "Environment": "AzurePublicCloud", "SubscriptionID": sub,
        "ResourceGroup": "old", "DockerPort": 2376, "Location": "westus", "Size": "Standard_A2",
        "Image": "canonical:UbuntuServer:16.04.0-LTS:latest", "VirtualNetwork": "docker-machine-vnet",
        "SubnetName": "docker-machine", "SubnetPrefix": "192.168.0.0/16", "AvailabilitySet": "docker-machine",
        "StorageType": "Standard_LRS", "OpenPorts": null, "PrivateIPAddr": "", "UsePrivateIP": false,
        "NoPublicIP": false, "DNSLabel": "", "StaticPublicIP": false, "CustomDataFile": ""
    });
    let mut d = (drivers::find("azure").unwrap().load)(store_json.clone()).unwrap();
    // Keys round-trip as 0.16.2 wrote them: nothing added for an old machine.
    assert_eq!(d.to_json(), store_json);
    assert_eq!(d.state().unwrap(), State::Stopped);
    // A dynamic address exists only while the VM runs.
    assert_eq!(d.ip().unwrap_err().to_string(), "IP address is not set");
    d.start().unwrap();
    assert!(d.ip().unwrap().starts_with("127.100.1."));
    assert_eq!(env.fake.login_calls(), 0, "0.16.2's cached token was used");
    d.remove().unwrap();
    // Everything of the machine, its VHD container, the emptied account, the unused
    // shared parts: only the group is left.
    assert_eq!(env.ids(), Vec::<String>::new());
    assert!(env.fake.groups().contains(&"old".to_string()));
}

#[test]
fn azure_fake_refuses_missing_and_unknown_api_versions() {
    let env = setup(Config::default());
    let sub = env.fake.config().subscription;
    let token = env.fake.issue_token();
    let agent = libmachine::cloud::http::agent(std::time::Duration::from_secs(5), None);
    let get = |path: &str| {
        let mut r = agent
            .get(&format!("{}{path}", env.fake.url()))
            .header("Authorization", &format!("Bearer {token}"))
            .call()
            .unwrap();
        let body: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        (
            r.status().as_u16(),
            body["error"]["code"].as_str().unwrap_or("").to_string(),
        )
    };
    env.fake.insert_group("g", "westus");
    let vm = format!(
        "/subscriptions/{sub}/resourceGroups/g/providers/Microsoft.Compute/virtualMachines/x"
    );
    assert_eq!(get(&vm), (400, "MissingApiVersionParameter".into()));
    assert_eq!(
        get(&format!("{vm}?api-version=2016-03-30")),
        (400, "NoRegisteredProviderFound".into())
    );
    assert_eq!(
        get(&format!("{vm}?api-version=2024-07-01")),
        (404, "ResourceNotFound".into())
    );
    let _ = Path::new("");
}
