//! The original's `openstack` driver; its create flags are registered, the driver is not
//! implemented yet. gophercloud servers, keypairs, floating IPs; SSH `root`.
//! JSON keys: AuthUrl ActiveTimeout Insecure CaCert DomainID DomainName Username Password
//! TenantName TenantId Region AvailabilityZone EndpointType MachineId FlavorName FlavorId ImageName
//! ImageId KeyPairName NetworkName NetworkId UserData PrivateKeyFile SecurityGroups FloatingIpPool
//! ComputeNetwork FloatingIpPoolId IpVersion ConfigDrive ExistingKey.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("openstack", create_flags);

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "openstack-auth-url",
            "OS_AUTH_URL",
            "OpenStack authentication URL",
            "",
        ),
        Flag::bool(
            "openstack-insecure",
            "OS_INSECURE",
            "Disable TLS credential checking.",
        ),
        Flag::string(
            "openstack-cacert",
            "OS_CACERT",
            "CA certificate bundle to verify against",
            "",
        ),
        Flag::string(
            "openstack-domain-id",
            "OS_DOMAIN_ID",
            "OpenStack domain ID (identity v3 only)",
            "",
        ),
        Flag::string(
            "openstack-domain-name",
            "OS_DOMAIN_NAME",
            "OpenStack domain name (identity v3 only)",
            "",
        ),
        Flag::string(
            "openstack-username",
            "OS_USERNAME",
            "OpenStack username",
            "",
        ),
        Flag::string(
            "openstack-password",
            "OS_PASSWORD",
            "OpenStack password",
            "",
        ),
        Flag::string(
            "openstack-tenant-name",
            "OS_TENANT_NAME",
            "OpenStack tenant name",
            "",
        ),
        Flag::string(
            "openstack-tenant-id",
            "OS_TENANT_ID",
            "OpenStack tenant id",
            "",
        ),
        Flag::string(
            "openstack-region",
            "OS_REGION_NAME",
            "OpenStack region name",
            "",
        ),
        Flag::string(
            "openstack-availability-zone",
            "OS_AVAILABILITY_ZONE",
            "OpenStack availability zone",
            "",
        ),
        Flag::string(
            "openstack-endpoint-type",
            "OS_ENDPOINT_TYPE",
            "OpenStack endpoint type (adminURL, internalURL or publicURL)",
            "",
        ),
        Flag::string(
            "openstack-flavor-id",
            "OS_FLAVOR_ID",
            "OpenStack flavor id to use for the instance",
            "",
        ),
        Flag::string(
            "openstack-flavor-name",
            "OS_FLAVOR_NAME",
            "OpenStack flavor name to use for the instance",
            "",
        ),
        Flag::string(
            "openstack-image-id",
            "OS_IMAGE_ID",
            "OpenStack image id to use for the instance",
            "",
        ),
        Flag::string(
            "openstack-image-name",
            "OS_IMAGE_NAME",
            "OpenStack image name to use for the instance",
            "",
        ),
        Flag::string(
            "openstack-keypair-name",
            "OS_KEYPAIR_NAME",
            "OpenStack keypair to use to SSH to the instance",
            "",
        ),
        Flag::string(
            "openstack-net-id",
            "OS_NETWORK_ID",
            "OpenStack network id the machine will be connected on",
            "",
        ),
        Flag::string(
            "openstack-private-key-file",
            "OS_PRIVATE_KEY_FILE",
            "Private keyfile to use for SSH (absolute path)",
            "",
        ),
        Flag::string(
            "openstack-user-data-file",
            "OS_USER_DATA_FILE",
            "File containing an openstack userdata script",
            "",
        ),
        Flag::string(
            "openstack-net-name",
            "OS_NETWORK_NAME",
            "OpenStack network name the machine will be connected on",
            "",
        ),
        Flag::string(
            "openstack-sec-groups",
            "OS_SECURITY_GROUPS",
            "OpenStack comma separated security groups for the machine",
            "",
        ),
        Flag::bool(
            "openstack-nova-network",
            "OS_NOVA_NETWORK",
            "Use the nova networking services instead of neutron.",
        ),
        Flag::string(
            "openstack-floatingip-pool",
            "OS_FLOATINGIP_POOL",
            "OpenStack floating IP pool to get an IP from to assign to the instance",
            "",
        ),
        Flag::int(
            "openstack-ip-version",
            "OS_IP_VERSION",
            "OpenStack version of IP address assigned for the machine",
            4,
        ),
        Flag::string(
            "openstack-ssh-user",
            "OS_SSH_USER",
            "OpenStack SSH user",
            "root",
        ),
        Flag::int(
            "openstack-ssh-port",
            "OS_SSH_PORT",
            "OpenStack SSH port",
            22,
        ),
        Flag::int(
            "openstack-active-timeout",
            "OS_ACTIVE_TIMEOUT",
            "OpenStack active timeout",
            200,
        ),
        Flag::bool(
            "openstack-config-drive",
            "OS_CONFIG_DRIVE",
            "Enables the OpenStack config drive for the instance",
        ),
        Flag::string(
            "openstack-metadata",
            "OS_METADATA",
            "OpenStack Instance Metadata (e.g. key1,value1,key2,value2)",
            "",
        ),
    ]
}
