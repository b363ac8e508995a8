//! The original's `rackspace` driver; its create flags are registered, the driver is not
//! implemented yet. The openstack driver with Rackspace identity (user + API key); Ubuntu 16.04
//! image when empty; start/stop unsupported; docker-install flag unused.
//! JSON keys: the openstack driver's keys, then APIKey.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("rackspace", create_flags);

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "rackspace-username",
            "OS_USERNAME",
            "Rackspace account username",
            "",
        ),
        Flag::string("rackspace-api-key", "OS_API_KEY", "Rackspace API key", ""),
        Flag::string(
            "rackspace-region",
            "OS_REGION_NAME",
            "Rackspace region name",
            "IAD",
        ),
        Flag::string(
            "rackspace-endpoint-type",
            "OS_ENDPOINT_TYPE",
            "Rackspace endpoint type (adminURL, internalURL or the default publicURL)",
            "publicURL",
        ),
        Flag::string(
            "rackspace-image-id",
            "OS_IMAGE_ID",
            "Rackspace image ID. Default: Ubuntu 16.04 LTS (Xenial Xerus) (PVHVM)",
            "",
        ),
        Flag::string(
            "rackspace-flavor-id",
            "OS_FLAVOR_ID",
            "Rackspace flavor ID. Default: General Purpose 1GB",
            "general1-1",
        ),
        Flag::string(
            "rackspace-ssh-user",
            "OS_SSH_USER",
            "SSH user for the newly booted machine. Set to root by default",
            "root",
        ),
        Flag::int(
            "rackspace-ssh-port",
            "OS_SSH_PORT",
            "SSH port for the newly booted machine. Set to 22 by default",
            22,
        ),
        Flag::string(
            "rackspace-docker-install",
            "",
            "Set if docker have to be installed on the machine",
            "true",
        ),
        Flag::int(
            "rackspace-active-timeout",
            "OS_ACTIVE_TIMEOUT",
            "Rackspace active timeout",
            300,
        ),
    ]
}
