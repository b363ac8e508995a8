//! The original's `softlayer` driver; its create flags are registered, the driver is not
//! implemented yet. SoftLayer REST v3 (user:apikey): registers the key, creates a Virtual_Guest,
//! waits for IP and transactions; SSH `root`. Hourly billing defaulted on only inside the
//! original's plugin process.
//! JSON keys: Id Client (User ApiKey Endpoint) SSHKeyID; VM sizing is not saved.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("softlayer", create_flags);

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::int(
            "softlayer-memory",
            "SOFTLAYER_MEMORY",
            "Memory in MB for machine",
            1024,
        ),
        Flag::int(
            "softlayer-disk-size",
            "SOFTLAYER_DISK_SIZE",
            "Disk size for machine, a value of 0 uses the default size on softlayer",
            0,
        ),
        Flag::string(
            "softlayer-user",
            "SOFTLAYER_USER",
            "softlayer user account name",
            "",
        ),
        Flag::string(
            "softlayer-api-key",
            "SOFTLAYER_API_KEY",
            "softlayer user API key",
            "",
        ),
        Flag::string(
            "softlayer-region",
            "SOFTLAYER_REGION",
            "softlayer region for machine",
            "dal01",
        ),
        Flag::int(
            "softlayer-cpu",
            "SOFTLAYER_CPU",
            "number of CPU's for the machine",
            1,
        ),
        Flag::string(
            "softlayer-hostname",
            "SOFTLAYER_HOSTNAME",
            "hostname for the machine - defaults to machine name",
            "",
        ),
        Flag::string(
            "softlayer-domain",
            "SOFTLAYER_DOMAIN",
            "domain name for machine",
            "",
        ),
        Flag::string(
            "softlayer-api-endpoint",
            "SOFTLAYER_API_ENDPOINT",
            "softlayer api endpoint to use",
            "https://api.softlayer.com/rest/v3",
        ),
        Flag::bool(
            "softlayer-hourly-billing",
            "SOFTLAYER_HOURLY_BILLING",
            "set hourly billing for machine - on by default",
        ),
        Flag::bool(
            "softlayer-local-disk",
            "SOFTLAYER_LOCAL_DISK",
            "use machine local disk instead of softlayer SAN",
        ),
        Flag::bool(
            "softlayer-private-net-only",
            "SOFTLAYER_PRIVATE_NET",
            "Use only private networking",
        ),
        Flag::string(
            "softlayer-image",
            "SOFTLAYER_IMAGE",
            "OS image for machine",
            "UBUNTU_LATEST",
        ),
        // The original gave the two VLAN flags no usage text.
        Flag::int(
            "softlayer-public-vlan-id",
            "SOFTLAYER_PUBLIC_VLAN_ID",
            "",
            0,
        ),
        Flag::int(
            "softlayer-private-vlan-id",
            "SOFTLAYER_PRIVATE_VLAN_ID",
            "",
            0,
        ),
        Flag::int(
            "softlayer-network-max-speed",
            "SOFTLAYER_NETWORK_MAX_SPEED",
            "Max speed of public and private network",
            100,
        ),
    ]
}
