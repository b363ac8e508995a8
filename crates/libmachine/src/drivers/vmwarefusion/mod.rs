//! The original's `vmwarefusion` driver; its create flags are registered, the driver is not
//! implemented yet. macOS only: `vmrun`/`vmware-vdiskmanager` build `<name>.vmx` from the
//! boot2docker ISO, userdata.tar via VMware Tools, `/Users` share; SSH `docker`/`tcuser`.
//! JSON keys: Memory DiskSize CPU ISO Boot2DockerURL SSHPassword ConfigDriveISO ConfigDriveURL
//! NoShare.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("vmwarefusion", create_flags);

/// The original registered these flags only on macOS (elsewhere the driver had none); they are
/// registered on every OS here so that stored machines and `create --help` work everywhere.
fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "vmwarefusion-boot2docker-url",
            "FUSION_BOOT2DOCKER_URL",
            "Fusion URL for boot2docker image",
            "",
        ),
        Flag::string(
            "vmwarefusion-configdrive-url",
            "FUSION_CONFIGDRIVE_URL",
            "Fusion URL for cloud-init configdrive",
            "",
        ),
        Flag::int(
            "vmwarefusion-cpu-count",
            "FUSION_CPU_COUNT",
            "number of CPUs for the machine (-1 to use the number of CPUs available)",
            1,
        ),
        Flag::int(
            "vmwarefusion-memory-size",
            "FUSION_MEMORY_SIZE",
            "Fusion size of memory for host VM (in MB)",
            1024,
        ),
        Flag::int(
            "vmwarefusion-disk-size",
            "FUSION_DISK_SIZE",
            "Fusion size of disk for host VM (in MB)",
            20000,
        ),
        Flag::string(
            "vmwarefusion-ssh-user",
            "FUSION_SSH_USER",
            "SSH user",
            "docker",
        ),
        Flag::string(
            "vmwarefusion-ssh-password",
            "FUSION_SSH_PASSWORD",
            "SSH password",
            "tcuser",
        ),
        Flag::bool(
            "vmwarefusion-no-share",
            "FUSION_NO_SHARE",
            "Disable the mount of your home directory",
        ),
    ]
}
