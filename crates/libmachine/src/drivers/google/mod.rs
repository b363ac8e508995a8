//! The original's `google` driver; its create flags are registered, the driver is not implemented
//! yet. Compute Engine v1 (ADC): firewall rule `docker-machines`, instance with disk `<name>-disk`,
//! key in `sshKeys` metadata; SSH `docker-user`:22.
//! JSON keys: Zone MachineType MachineImage DiskType Address Network Subnetwork Preemptible
//! UseInternalIP UseInternalIPOnly ServiceAccount Scopes DiskSize Project Tags UseExisting
//! OpenPorts.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("google", create_flags);

/// The original's `defaultScopes`.
const DEFAULT_SCOPES: &str = "https://www.googleapis.com/auth/devstorage.read_only,https://www.googleapis.com/auth/logging.write,https://www.googleapis.com/auth/monitoring.write";

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string("google-zone", "GOOGLE_ZONE", "GCE Zone", "us-central1-a"),
        Flag::string(
            "google-machine-type",
            "GOOGLE_MACHINE_TYPE",
            "GCE Machine Type",
            "n1-standard-1",
        ),
        Flag::string(
            "google-machine-image",
            "GOOGLE_MACHINE_IMAGE",
            "GCE Machine Image Absolute URL",
            "ubuntu-os-cloud/global/images/ubuntu-1604-xenial-v20170721",
        ),
        Flag::string(
            "google-username",
            "GOOGLE_USERNAME",
            "GCE User Name",
            "docker-user",
        ),
        Flag::string("google-project", "GOOGLE_PROJECT", "GCE Project", ""),
        Flag::string(
            "google-service-account",
            "GOOGLE_SERVICE_ACCOUNT",
            "GCE Service Account for the VM (email address)",
            "default",
        ),
        Flag::string(
            "google-scopes",
            "GOOGLE_SCOPES",
            "GCE Scopes (comma-separated if multiple scopes)",
            DEFAULT_SCOPES,
        ),
        Flag::int(
            "google-disk-size",
            "GOOGLE_DISK_SIZE",
            "GCE Instance Disk Size (in GB)",
            10,
        ),
        Flag::string(
            "google-disk-type",
            "GOOGLE_DISK_TYPE",
            "GCE Instance Disk type",
            "pd-standard",
        ),
        Flag::string(
            "google-network",
            "GOOGLE_NETWORK",
            "Specify network in which to provision vm",
            "default",
        ),
        Flag::string(
            "google-subnetwork",
            "GOOGLE_SUBNETWORK",
            "Specify subnetwork in which to provision vm",
            "",
        ),
        Flag::string(
            "google-address",
            "GOOGLE_ADDRESS",
            "GCE Instance External IP",
            "",
        ),
        Flag::bool(
            "google-preemptible",
            "GOOGLE_PREEMPTIBLE",
            "GCE Instance Preemptibility",
        ),
        Flag::string(
            "google-tags",
            "GOOGLE_TAGS",
            "GCE Instance Tags (comma-separated)",
            "",
        ),
        Flag::bool(
            "google-use-internal-ip",
            "GOOGLE_USE_INTERNAL_IP",
            "Use internal GCE Instance IP rather than public one",
        ),
        Flag::bool(
            "google-use-internal-ip-only",
            "GOOGLE_USE_INTERNAL_IP_ONLY",
            "Configure GCE instance to not have an external IP address",
        ),
        Flag::bool(
            "google-use-existing",
            "GOOGLE_USE_EXISTING",
            "Don't create a new VM, use an existing one",
        ),
        Flag::string_slice(
            "google-open-port",
            "",
            "Make the specified port number accessible from the Internet, e.g, 8080/tcp",
            &[],
        ),
    ]
}
