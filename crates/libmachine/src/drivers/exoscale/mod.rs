//! The original's `exoscale` driver; its create flags are registered, the driver is not implemented
//! yet. CloudStack-style API: zone, 10 GiB template, offering, groups created if missing, keypair
//! `docker-machine-<name>` unless own key, cloud-init user data.
//! JSON keys: URL ApiKey ApiSecretKey InstanceProfile DiskSize Image SecurityGroups AffinityGroups
//! AvailabilityZone SSHKey KeyPair Password PublicKey UserDataFile UserData (base64) Id.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("exoscale", create_flags);

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "exoscale-url",
            "EXOSCALE_ENDPOINT",
            "exoscale API endpoint",
            "",
        ),
        Flag::string(
            "exoscale-api-key",
            "EXOSCALE_API_KEY",
            "exoscale API key",
            "",
        ),
        Flag::string(
            "exoscale-api-secret-key",
            "EXOSCALE_API_SECRET",
            "exoscale API secret key",
            "",
        ),
        Flag::string(
            "exoscale-instance-profile",
            "EXOSCALE_INSTANCE_PROFILE",
            "exoscale instance profile (Small, Medium, Large, ...)",
            "Small",
        ),
        Flag::int(
            "exoscale-disk-size",
            "EXOSCALE_DISK_SIZE",
            "exoscale disk size (10, 50, 100, 200, 400)",
            50,
        ),
        Flag::string(
            "exoscale-image",
            "EXOSCALE_IMAGE",
            "exoscale image template",
            "Linux Ubuntu 16.04 LTS 64-bit",
        ),
        Flag::string_slice(
            "exoscale-security-group",
            "EXOSCALE_SECURITY_GROUP",
            "exoscale security group",
            &["docker-machine"],
        ),
        Flag::string(
            "exoscale-availability-zone",
            "EXOSCALE_AVAILABILITY_ZONE",
            "exoscale availability zone",
            "CH-DK-2",
        ),
        Flag::string(
            "exoscale-ssh-user",
            "EXOSCALE_SSH_USER",
            "name of the ssh user",
            "",
        ),
        Flag::string(
            "exoscale-ssh-key",
            "EXOSCALE_SSH_KEY",
            "path to the SSH user private key",
            "",
        ),
        Flag::string(
            "exoscale-userdata",
            "EXOSCALE_USERDATA",
            "path to file with cloud-init user-data",
            "",
        ),
        Flag::string_slice(
            "exoscale-affinity-group",
            "EXOSCALE_AFFINITY_GROUP",
            "exoscale affinity group",
            &[],
        ),
    ]
}
