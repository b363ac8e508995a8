//! The original's `hyperv` driver; its create flags are registered, the driver is not implemented
//! yet. `Hyper-V\` cmdlets via powershell.exe: boot2docker ISO, key-seeded `disk.vhd`, `New-VM` on
//! a switch; SSH `docker` at the first adapter's IP.
//! JSON keys: Boot2DockerURL VSwitch DiskSize MemSize CPU MacAddr VLanID DisableDynamicMemory.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("hyperv", create_flags);

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "hyperv-boot2docker-url",
            "HYPERV_BOOT2DOCKER_URL",
            "URL of the boot2docker ISO. Defaults to the latest available version.",
            "",
        ),
        Flag::string(
            "hyperv-virtual-switch",
            "HYPERV_VIRTUAL_SWITCH",
            "Virtual switch name. Defaults to first found.",
            "",
        ),
        Flag::int(
            "hyperv-disk-size",
            "HYPERV_DISK_SIZE",
            "Maximum size of dynamically expanding disk in MB.",
            20000,
        ),
        Flag::int(
            "hyperv-memory",
            "HYPERV_MEMORY",
            "Memory size for host in MB.",
            1024,
        ),
        Flag::int(
            "hyperv-cpu-count",
            "HYPERV_CPU_COUNT",
            "number of CPUs for the machine",
            1,
        ),
        Flag::string(
            "hyperv-static-macaddress",
            "HYPERV_STATIC_MACADDRESS",
            "Hyper-V network adapter's static MAC address.",
            "",
        ),
        Flag::int(
            "hyperv-vlan-id",
            "HYPERV_VLAN_ID",
            "Hyper-V network adapter's VLAN ID if any",
            0,
        ),
        Flag::bool(
            "hyperv-disable-dynamic-memory",
            "HYPERV_DISABLE_DYNAMIC_MEMORY",
            "Disable dynamic memory management setting",
        ),
    ]
}
