//! The original's `vmwarevsphere` driver; its create flags are registered, the driver is not
//! implemented yet. govmomi: CreateVM with the boot2docker ISO uploaded to the datastore, disk, NIC
//! per network, ExtraConfig (cfgparam, cloud-init), userdata.tar via Tools.
//! JSON keys: Memory DiskSize CPU ISO Boot2DockerURL CPUS IP Port Username Password Network
//! Networks Datastore Datacenter Folder Pool HostSystem CfgParams CloudInit SSHPassword.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("vmwarevsphere", create_flags);

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::int("vmwarevsphere-cpu-count", "VSPHERE_CPU_COUNT", "vSphere CPU number for docker VM", 2),
        Flag::int(
            "vmwarevsphere-memory-size",
            "VSPHERE_MEMORY_SIZE",
            "vSphere size of memory for docker VM (in MB)",
            2048,
        ),
        Flag::int(
            "vmwarevsphere-disk-size",
            "VSPHERE_DISK_SIZE",
            "vSphere size of disk for docker VM (in MB)",
            20480,
        ),
        Flag::string(
            "vmwarevsphere-boot2docker-url",
            "VSPHERE_BOOT2DOCKER_URL",
            "vSphere URL for boot2docker image",
            "",
        ),
        Flag::string(
            "vmwarevsphere-vcenter",
            "VSPHERE_VCENTER",
            "vSphere IP/hostname for vCenter",
            "",
        ),
        Flag::int("vmwarevsphere-vcenter-port", "VSPHERE_VCENTER_PORT", "vSphere Port for vCenter", 443),
        Flag::string("vmwarevsphere-username", "VSPHERE_USERNAME", "vSphere username", ""),
        Flag::string("vmwarevsphere-password", "VSPHERE_PASSWORD", "vSphere password", ""),
        Flag::string_slice(
            "vmwarevsphere-network",
            "VSPHERE_NETWORK",
            "vSphere network where the docker VM will be attached",
            &[],
        ),
        Flag::string(
            "vmwarevsphere-datastore",
            "VSPHERE_DATASTORE",
            "vSphere datastore for docker VM",
            "",
        ),
        Flag::string(
            "vmwarevsphere-datacenter",
            "VSPHERE_DATACENTER",
            "vSphere datacenter for docker VM",
            "",
        ),
        Flag::string(
            "vmwarevsphere-folder",
            "VSPHERE_FOLDER",
            "vSphere folder for the docker VM. This folder must already exist in the datacenter.",
            "",
        ),
        Flag::string("vmwarevsphere-pool", "VSPHERE_POOL", "vSphere resource pool for docker VM", ""),
        Flag::string(
            "vmwarevsphere-hostsystem",
            "VSPHERE_HOSTSYSTEM",
            "vSphere compute resource where the docker VM will be instantiated. This can be omitted if using a cluster with DRS.",
            "",
        ),
        Flag::string_slice(
            "vmwarevsphere-cfgparam",
            "VSPHERE_CFGPARAM",
            "vSphere vm configuration parameters (used for guestinfo)",
            &[],
        ),
        Flag::string(
            "vmwarevsphere-cloudinit",
            "VSPHERE_CLOUDINIT",
            "vSphere cloud-init file or url to set in the guestinfo",
            "",
        ),
    ]
}
