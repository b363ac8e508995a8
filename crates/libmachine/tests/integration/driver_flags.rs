//! The create flags of every registered driver, checked against docker-machine 0.16.2: names,
//! counts, prefixes, and a sample of exact `--help` lines.

use libmachine::drivers::{self, REGISTRY};
use libmachine::mcnflag::{Flag, FlagKind};
use std::collections::{BTreeMap, BTreeSet};

/// How many create flags each driver has: as many as the original's `GetCreateFlags()`
/// returned for it in 0.16.2.
const EXPECTED_COUNTS: &[(&str, usize)] = &[
    // The original's 32, plus GitLab's fork's two instance metadata (IMDSv2) flags.
    ("amazonec2", 34),
    // The original's 22, plus rancher/machine's 11 and --azure-auth (the login method).
    ("azure", 34),
    ("digitalocean", 14),
    ("exoscale", 12),
    // The original's 5, plus --generic-engine-listen-port and --generic-keep-remote-config.
    ("generic", 7),
    ("google", 18),
    ("hyperv", 8),
    ("none", 1),
    ("openstack", 30),
    ("rackspace", 10),
    ("softlayer", 16),
    ("virtualbox", 16),
    ("vmwarefusion", 8),
    ("vmwarevcloudair", 13),
    ("vmwarevsphere", 16),
];

/// The names of `create`'s shared flags, which no driver flag may shadow. They
/// are defined by the CLI crate, so they are listed here rather than imported.
const SHARED_CREATE_FLAGS: &[&str] = &[
    "driver",
    "d",
    "engine-install-url",
    "engine-opt",
    "engine-insecure-registry",
    "engine-registry-mirror",
    "engine-label",
    "engine-storage-driver",
    "engine-env",
    "swarm",
    "swarm-master",
    "swarm-image",
    "swarm-discovery",
    "swarm-strategy",
    "swarm-opt",
    "swarm-join-opt",
    "swarm-host",
    "swarm-addr",
    "swarm-experimental",
    "tls-san",
];

fn flags_of(driver: &str) -> Vec<Flag> {
    let spec = drivers::find(driver).unwrap_or_else(|| panic!("driver {driver} is not registered"));
    (spec.create_flags)()
}

fn flag(driver: &str, name: &str) -> Flag {
    flags_of(driver)
        .into_iter()
        .find(|f| f.key() == name)
        .unwrap_or_else(|| panic!("driver {driver} has no flag {name}"))
}

#[test]
fn every_registered_driver_has_the_originals_flag_count() {
    let expected: BTreeMap<&str, usize> = EXPECTED_COUNTS.iter().copied().collect();
    let registered: BTreeSet<&str> = REGISTRY.iter().map(|d| d.name).collect();
    // Every driver of the original is registered; drivers it did not have (qemu) may be too.
    let missing: Vec<_> = expected
        .keys()
        .filter(|d| !registered.contains(*d))
        .collect();
    assert!(missing.is_empty(), "not registered: {missing:?}");
    for spec in REGISTRY.iter().filter(|s| expected.contains_key(s.name)) {
        let flags = (spec.create_flags)();
        assert_eq!(
            flags.len(),
            expected[spec.name],
            "flag count of driver {}",
            spec.name
        );
    }
    // 221 in the original, plus the two generic, two amazonec2 and twelve azure flags
    // this project added.
    assert_eq!(expected.values().sum::<usize>(), 237);
}

#[test]
fn flag_names_are_unique_across_drivers_and_shared_flags() {
    let mut seen: BTreeMap<String, String> = SHARED_CREATE_FLAGS
        .iter()
        .map(|n| (n.to_string(), "create".to_string()))
        .collect();
    for spec in REGISTRY {
        for f in (spec.create_flags)() {
            for name in f.names() {
                if let Some(owner) = seen.insert(name.to_string(), spec.name.to_string()) {
                    panic!(
                        "flag --{name} of driver {} is also defined by {owner}",
                        spec.name
                    );
                }
            }
        }
    }
}

#[test]
fn driver_flags_carry_the_driver_prefix() {
    for spec in REGISTRY {
        let prefix = format!("{}-", spec.name);
        for f in (spec.create_flags)() {
            if spec.name == "none" && f.name == "url" {
                continue; // the original's one unprefixed driver flag
            }
            assert!(
                f.name.starts_with(&prefix),
                "flag --{} of driver {}",
                f.name,
                spec.name
            );
            assert!(
                !f.name.contains(','),
                "driver flag --{} has an alias",
                f.name
            );
        }
    }
}

#[test]
fn computed_defaults_are_the_originals() {
    assert_eq!(
        flag("amazonec2", "amazonec2-security-group").kind,
        FlagKind::StringSlice(vec!["docker-machine".to_string()])
    );
    assert_eq!(
        flag("exoscale", "exoscale-security-group").kind,
        FlagKind::StringSlice(vec!["docker-machine".to_string()])
    );
    assert_eq!(
        flag("exoscale", "exoscale-affinity-group").kind,
        FlagKind::StringSlice(vec![])
    );
    assert_eq!(
        flag("virtualbox", "virtualbox-cpu-count").kind,
        FlagKind::Int(1)
    );
    assert_eq!(
        flag("vmwarefusion", "vmwarefusion-cpu-count").kind,
        FlagKind::Int(1)
    );
    assert_eq!(
        flag("amazonec2", "amazonec2-retries").kind,
        FlagKind::Int(5)
    );
    assert_eq!(
        flag("softlayer", "softlayer-hourly-billing").kind,
        FlagKind::Bool
    );
    assert_eq!(
        flag("google", "google-scopes").kind,
        FlagKind::String(
            "https://www.googleapis.com/auth/devstorage.read_only,\
             https://www.googleapis.com/auth/logging.write,\
             https://www.googleapis.com/auth/monitoring.write"
                .to_string()
        )
    );
}

/// Exact help lines as the original's `create --driver X --help` printed them (Unix env hints).
#[cfg(not(windows))]
#[test]
fn help_lines_match_the_original() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "virtualbox",
            "virtualbox-memory",
            "--virtualbox-memory \"1024\"\tSize of memory for host in MB [$VIRTUALBOX_MEMORY_SIZE]",
        ),
        (
            "virtualbox",
            "virtualbox-no-vtx-check",
            "--virtualbox-no-vtx-check\tDisable checking for the availability of hardware \
             virtualization before the vm is started [$VIRTUALBOX_NO_VTX_CHECK]",
        ),
        (
            "amazonec2",
            "amazonec2-security-group",
            "--amazonec2-security-group [--amazonec2-security-group option --amazonec2-security-group \
             option]\tAWS VPC security group [$AWS_SECURITY_GROUP]",
        ),
        (
            "amazonec2",
            "amazonec2-open-port",
            "--amazonec2-open-port [--amazonec2-open-port option --amazonec2-open-port option]\t\
             Make the specified port number accessible from the Internet",
        ),
        (
            "amazonec2",
            "amazonec2-request-spot-instance",
            "--amazonec2-request-spot-instance\tSet this flag to request spot instance",
        ),
        ("amazonec2", "amazonec2-ssh-user", "--amazonec2-ssh-user \"ubuntu\"\tSSH username [$AWS_SSH_USER]"),
        (
            "azure",
            "azure-static-public-ip",
            "--azure-static-public-ip\tAssign a static public IP address to the machine",
        ),
        (
            "digitalocean",
            "digitalocean-ssh-key-path",
            "--digitalocean-ssh-key-path \tSSH private key path  [$DIGITALOCEAN_SSH_KEY_PATH]",
        ),
        (
            "exoscale",
            "exoscale-disk-size",
            "--exoscale-disk-size \"50\"\texoscale disk size (10, 50, 100, 200, 400) [$EXOSCALE_DISK_SIZE]",
        ),
        (
            "google",
            "google-use-existing",
            "--google-use-existing\tDon't create a new VM, use an existing one [$GOOGLE_USE_EXISTING]",
        ),
        (
            "hyperv",
            "hyperv-static-macaddress",
            "--hyperv-static-macaddress \tHyper-V network adapter's static MAC address. \
             [$HYPERV_STATIC_MACADDRESS]",
        ),
        (
            "openstack",
            "openstack-metadata",
            "--openstack-metadata \tOpenStack Instance Metadata (e.g. key1,value1,key2,value2) [$OS_METADATA]",
        ),
        (
            "rackspace",
            "rackspace-docker-install",
            "--rackspace-docker-install \"true\"\tSet if docker have to be installed on the machine",
        ),
        (
            "softlayer",
            "softlayer-public-vlan-id",
            "--softlayer-public-vlan-id \"0\"\t [$SOFTLAYER_PUBLIC_VLAN_ID]",
        ),
        (
            "softlayer",
            "softlayer-hourly-billing",
            "--softlayer-hourly-billing\tset hourly billing for machine - on by default \
             [$SOFTLAYER_HOURLY_BILLING]",
        ),
        (
            "vmwarefusion",
            "vmwarefusion-ssh-password",
            "--vmwarefusion-ssh-password \"tcuser\"\tSSH password [$FUSION_SSH_PASSWORD]",
        ),
        (
            "vmwarevcloudair",
            "vmwarevcloudair-catalogitem",
            "--vmwarevcloudair-catalogitem \"Ubuntu Server 12.04 LTS (amd64 20150127)\"\t\
             vCloud Air Catalog Item (default is Ubuntu Precise) [$VCLOUDAIR_CATALOGITEM]",
        ),
        (
            "vmwarevsphere",
            "vmwarevsphere-network",
            "--vmwarevsphere-network [--vmwarevsphere-network option --vmwarevsphere-network option]\t\
             vSphere network where the docker VM will be attached [$VSPHERE_NETWORK]",
        ),
        ("none", "url", "--url \tURL of host when no driver is selected"),
    ];
    for (driver, name, want) in cases {
        assert_eq!(
            flag(driver, name).help_line(),
            *want,
            "help line of --{name}"
        );
    }
}
