//! The amazonec2 driver's create flags: 0.16.2's, plus the instance metadata (IMDSv2)
//! options GitLab's maintained fork added.

use crate::mcnflag::Flag;

pub fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "amazonec2-access-key",
            "AWS_ACCESS_KEY_ID",
            "AWS Access Key",
            "",
        ),
        Flag::string(
            "amazonec2-secret-key",
            "AWS_SECRET_ACCESS_KEY",
            "AWS Secret Key",
            "",
        ),
        Flag::string(
            "amazonec2-session-token",
            "AWS_SESSION_TOKEN",
            "AWS Session Token",
            "",
        ),
        Flag::string("amazonec2-ami", "AWS_AMI", "AWS machine image", ""),
        Flag::string(
            "amazonec2-region",
            "AWS_DEFAULT_REGION",
            "AWS region",
            "us-east-1",
        ),
        Flag::string("amazonec2-vpc-id", "AWS_VPC_ID", "AWS VPC id", ""),
        Flag::string(
            "amazonec2-zone",
            "AWS_ZONE",
            "AWS zone for instance (i.e. a,b,c,d,e)",
            "a",
        ),
        Flag::string(
            "amazonec2-subnet-id",
            "AWS_SUBNET_ID",
            "AWS VPC subnet id",
            "",
        ),
        Flag::bool(
            "amazonec2-security-group-readonly",
            "AWS_SECURITY_GROUP_READONLY",
            "Skip adding default rules to security groups",
        ),
        Flag::string_slice(
            "amazonec2-security-group",
            "AWS_SECURITY_GROUP",
            "AWS VPC security group",
            &["docker-machine"],
        ),
        Flag::string_slice(
            "amazonec2-open-port",
            "",
            "Make the specified port number accessible from the Internet",
            &[],
        ),
        Flag::string(
            "amazonec2-tags",
            "AWS_TAGS",
            "AWS Tags (e.g. key1,value1,key2,value2)",
            "",
        ),
        Flag::string(
            "amazonec2-instance-type",
            "AWS_INSTANCE_TYPE",
            "AWS instance type",
            "t2.micro",
        ),
        Flag::string(
            "amazonec2-device-name",
            "AWS_DEVICE_NAME",
            "AWS root device name",
            "/dev/sda1",
        ),
        Flag::int(
            "amazonec2-root-size",
            "AWS_ROOT_SIZE",
            "AWS root disk size (in GB)",
            16,
        ),
        Flag::string(
            "amazonec2-volume-type",
            "AWS_VOLUME_TYPE",
            "Amazon EBS volume type",
            "gp2",
        ),
        Flag::string(
            "amazonec2-iam-instance-profile",
            "AWS_INSTANCE_PROFILE",
            "AWS IAM Instance Profile",
            "",
        ),
        Flag::int("amazonec2-ssh-port", "AWS_SSH_PORT", "SSH port", 22),
        Flag::string(
            "amazonec2-ssh-user",
            "AWS_SSH_USER",
            "SSH username",
            "ubuntu",
        ),
        Flag::bool(
            "amazonec2-request-spot-instance",
            "",
            "Set this flag to request spot instance",
        ),
        Flag::string(
            "amazonec2-spot-price",
            "",
            "AWS spot instance bid price (in dollar)",
            "0.50",
        ),
        Flag::int(
            "amazonec2-block-duration-minutes",
            "",
            "AWS spot instance duration in minutes (60, 120, 180, 240, 300, or 360)",
            0,
        ),
        Flag::bool(
            "amazonec2-private-address-only",
            "",
            "Only use a private IP address",
        ),
        Flag::bool(
            "amazonec2-use-private-address",
            "",
            "Force the usage of private IP address",
        ),
        Flag::bool(
            "amazonec2-monitoring",
            "",
            "Set this flag to enable CloudWatch monitoring",
        ),
        Flag::bool(
            "amazonec2-use-ebs-optimized-instance",
            "",
            "Create an EBS optimized instance",
        ),
        Flag::string(
            "amazonec2-ssh-keypath",
            "AWS_SSH_KEYPATH",
            "SSH Key for Instance",
            "",
        ),
        Flag::string(
            "amazonec2-keypair-name",
            "AWS_KEYPAIR_NAME",
            "AWS keypair to use; requires --amazonec2-ssh-keypath",
            "",
        ),
        Flag::int(
            "amazonec2-retries",
            "",
            "Set retry count for recoverable failures (use -1 to disable)",
            5,
        ),
        Flag::string(
            "amazonec2-endpoint",
            "AWS_ENDPOINT",
            "Optional endpoint URL (hostname only or fully qualified URI)",
            "",
        ),
        Flag::bool(
            "amazonec2-insecure-transport",
            "AWS_INSECURE_TRANSPORT",
            "Disable SSL when sending requests",
        ),
        Flag::string(
            "amazonec2-userdata",
            "AWS_USERDATA",
            "path to file with cloud-init user data",
            "",
        ),
        Flag::string(
            "amazonec2-metadata-token",
            "AWS_METADATA_TOKEN",
            "Whether the metadata token is required or optional",
            "optional",
        ),
        Flag::int(
            "amazonec2-metadata-token-response-hop-limit",
            "AWS_METADATA_TOKEN_RESPONSE_HOP_LIMIT",
            "The number of network hops that the metadata token can travel",
            1,
        ),
    ]
}
