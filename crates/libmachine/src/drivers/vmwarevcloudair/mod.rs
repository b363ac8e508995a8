//! The original's `vmwarevcloudair` driver; its create flags are registered, the driver is not
//! implemented yet. vCloud Air REST (govcloudair): vApp `<name>` from the catalog item, key via
//! customization script, 1:1 NAT of the public IP; SSH `root`.
//! JSON keys: UserName UserPassword ComputeID VDCID OrgVDCNet EdgeGateway PublicIP Catalog
//! CatalogItem DockerPort CPUCount MemorySize VAppID.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("vmwarevcloudair", create_flags);

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "vmwarevcloudair-username",
            "VCLOUDAIR_USERNAME",
            "vCloud Air username",
            "",
        ),
        Flag::string(
            "vmwarevcloudair-password",
            "VCLOUDAIR_PASSWORD",
            "vCloud Air password",
            "",
        ),
        Flag::string(
            "vmwarevcloudair-computeid",
            "VCLOUDAIR_COMPUTEID",
            "vCloud Air Compute ID (if using Dedicated Cloud)",
            "",
        ),
        Flag::string(
            "vmwarevcloudair-vdcid",
            "VCLOUDAIR_VDCID",
            "vCloud Air VDC ID",
            "",
        ),
        Flag::string(
            "vmwarevcloudair-orgvdcnetwork",
            "VCLOUDAIR_ORGVDCNETWORK",
            "vCloud Air Org VDC Network (Default is <vdcid>-default-routed)",
            "",
        ),
        Flag::string(
            "vmwarevcloudair-edgegateway",
            "VCLOUDAIR_EDGEGATEWAY",
            "vCloud Air Org Edge Gateway (Default is <vdcid>)",
            "",
        ),
        Flag::string(
            "vmwarevcloudair-publicip",
            "VCLOUDAIR_PUBLICIP",
            "vCloud Air Org Public IP to use",
            "",
        ),
        Flag::string(
            "vmwarevcloudair-catalog",
            "VCLOUDAIR_CATALOG",
            "vCloud Air Catalog (default is Public Catalog)",
            "Public Catalog",
        ),
        Flag::string(
            "vmwarevcloudair-catalogitem",
            "VCLOUDAIR_CATALOGITEM",
            "vCloud Air Catalog Item (default is Ubuntu Precise)",
            "Ubuntu Server 12.04 LTS (amd64 20150127)",
        ),
        Flag::int(
            "vmwarevcloudair-cpu-count",
            "VCLOUDAIR_CPU_COUNT",
            "vCloud Air VM Cpu Count (default 1)",
            1,
        ),
        Flag::int(
            "vmwarevcloudair-memory-size",
            "VCLOUDAIR_MEMORY_SIZE",
            "vCloud Air VM Memory Size in MB (default 2048)",
            2048,
        ),
        Flag::int(
            "vmwarevcloudair-ssh-port",
            "VCLOUDAIR_SSH_PORT",
            "vCloud Air SSH port",
            22,
        ),
        Flag::int(
            "vmwarevcloudair-docker-port",
            "VCLOUDAIR_DOCKER_PORT",
            "vCloud Air Docker port",
            2376,
        ),
    ]
}
