//! The original's `virtualbox` driver; its create flags are registered, the driver is not
//! implemented yet. `VBoxManage`: boot2docker ISO, key-seeded `disk.vmdk`, `createvm`/`modifyvm`,
//! NAT nic1 + host-only nic2 (DHCP), SSH forward on 127.0.0.1, home share.
//! JSON keys: VBoxManager HostInterfaces CPU Memory DiskSize NatNicType Boot2DockerURL
//! Boot2DockerImportVM HostDNSResolver HostOnlyCIDR HostOnlyNicType HostOnlyPromiscMode UIType
//! HostOnlyNoDHCP NoShare DNSProxy NoVTXCheck ShareFolder.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("virtualbox", create_flags);

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::int(
            "virtualbox-memory",
            "VIRTUALBOX_MEMORY_SIZE",
            "Size of memory for host in MB",
            1024,
        ),
        Flag::int(
            "virtualbox-cpu-count",
            "VIRTUALBOX_CPU_COUNT",
            "number of CPUs for the machine (-1 to use the number of CPUs available)",
            1,
        ),
        Flag::int("virtualbox-disk-size", "VIRTUALBOX_DISK_SIZE", "Size of disk for host in MB", 20000),
        Flag::string(
            "virtualbox-boot2docker-url",
            "VIRTUALBOX_BOOT2DOCKER_URL",
            "The URL of the boot2docker image. Defaults to the latest available version",
            "",
        ),
        Flag::string(
            "virtualbox-import-boot2docker-vm",
            "VIRTUALBOX_BOOT2DOCKER_IMPORT_VM",
            "The name of a Boot2Docker VM to import",
            "",
        ),
        Flag::bool(
            "virtualbox-host-dns-resolver",
            "VIRTUALBOX_HOST_DNS_RESOLVER",
            "Use the host DNS resolver",
        ),
        Flag::string(
            "virtualbox-nat-nictype",
            "VIRTUALBOX_NAT_NICTYPE",
            "Specify the Network Adapter Type",
            "82540EM",
        ),
        Flag::string(
            "virtualbox-hostonly-cidr",
            "VIRTUALBOX_HOSTONLY_CIDR",
            "Specify the Host Only CIDR",
            "192.168.99.1/24",
        ),
        Flag::string(
            "virtualbox-hostonly-nictype",
            "VIRTUALBOX_HOSTONLY_NIC_TYPE",
            "Specify the Host Only Network Adapter Type",
            "82540EM",
        ),
        Flag::string(
            "virtualbox-hostonly-nicpromisc",
            "VIRTUALBOX_HOSTONLY_NIC_PROMISC",
            "Specify the Host Only Network Adapter Promiscuous Mode",
            "deny",
        ),
        Flag::string(
            "virtualbox-ui-type",
            "VIRTUALBOX_UI_TYPE",
            "Specify the UI Type: (gui|sdl|headless|separate)",
            "headless",
        ),
        Flag::bool(
            "virtualbox-hostonly-no-dhcp",
            "VIRTUALBOX_HOSTONLY_NO_DHCP",
            "Disable the Host Only DHCP Server",
        ),
        Flag::bool(
            "virtualbox-no-share",
            "VIRTUALBOX_NO_SHARE",
            "Disable the mount of your home directory",
        ),
        Flag::bool(
            "virtualbox-no-dns-proxy",
            "VIRTUALBOX_NO_DNS_PROXY",
            "Disable proxying all DNS requests to the host",
        ),
        Flag::bool(
            "virtualbox-no-vtx-check",
            "VIRTUALBOX_NO_VTX_CHECK",
            "Disable checking for the availability of hardware virtualization before the vm is started",
        ),
        Flag::string(
            "virtualbox-share-folder",
            "VIRTUALBOX_SHARE_FOLDER",
            "Mount the specified directory instead of the default home location. Format: dir:name",
            "",
        ),
    ]
}
