//! The original's `digitalocean` driver; its create flags are registered, the driver is not
//! implemented yet. DigitalOcean v2 API: registers a generated key (or uses a fingerprint's),
//! creates the droplet, polls its public IPv4; SSH `root`.
//! JSON keys: AccessToken DropletID DropletName Image Region SSHKeyID SSHKeyFingerprint SSHKey Size
//! IPv6 Backups PrivateNetworking UserDataFile Monitoring Tags.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("digitalocean", create_flags);

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "digitalocean-access-token",
            "DIGITALOCEAN_ACCESS_TOKEN",
            "Digital Ocean access token",
            "",
        ),
        Flag::string(
            "digitalocean-ssh-user",
            "DIGITALOCEAN_SSH_USER",
            "SSH username",
            "root",
        ),
        Flag::string(
            "digitalocean-ssh-key-fingerprint",
            "DIGITALOCEAN_SSH_KEY_FINGERPRINT",
            "SSH key fingerprint",
            "",
        ),
        // The trailing space is the original's.
        Flag::string(
            "digitalocean-ssh-key-path",
            "DIGITALOCEAN_SSH_KEY_PATH",
            "SSH private key path ",
            "",
        ),
        Flag::int(
            "digitalocean-ssh-port",
            "DIGITALOCEAN_SSH_PORT",
            "SSH port",
            22,
        ),
        Flag::string(
            "digitalocean-image",
            "DIGITALOCEAN_IMAGE",
            "Digital Ocean Image",
            "ubuntu-16-04-x64",
        ),
        Flag::string(
            "digitalocean-region",
            "DIGITALOCEAN_REGION",
            "Digital Ocean region",
            "nyc3",
        ),
        Flag::string(
            "digitalocean-size",
            "DIGITALOCEAN_SIZE",
            "Digital Ocean size",
            "s-1vcpu-1gb",
        ),
        Flag::bool(
            "digitalocean-ipv6",
            "DIGITALOCEAN_IPV6",
            "enable ipv6 for droplet",
        ),
        Flag::bool(
            "digitalocean-private-networking",
            "DIGITALOCEAN_PRIVATE_NETWORKING",
            "enable private networking for droplet",
        ),
        Flag::bool(
            "digitalocean-backups",
            "DIGITALOCEAN_BACKUPS",
            "enable backups for droplet",
        ),
        Flag::string(
            "digitalocean-userdata",
            "DIGITALOCEAN_USERDATA",
            "path to file with cloud-init user-data",
            "",
        ),
        Flag::bool(
            "digitalocean-monitoring",
            "DIGITALOCEAN_MONITORING",
            "enable monitoring for droplet",
        ),
        Flag::string(
            "digitalocean-tags",
            "DIGITALOCEAN_TAGS",
            "comma-separated list of tags to apply to the Droplet",
            "",
        ),
    ]
}
