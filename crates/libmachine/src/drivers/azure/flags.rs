//! The azure driver's create flags: 0.16.2's (its defaults where they still exist on
//! Azure), rancher/machine's additions, and the login method.

use crate::mcnflag::Flag;

pub const DEFAULT_SIZE: &str = "Standard_D2_v2";
pub const DEFAULT_IMAGE: &str = "canonical:ubuntu-24_04-lts:server-gen1:latest";

pub fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "azure-environment",
            "AZURE_ENVIRONMENT",
            "Azure environment (e.g. AzurePublicCloud, AzureChinaCloud)",
            "AzurePublicCloud",
        ),
        Flag::string(
            "azure-subscription-id",
            "AZURE_SUBSCRIPTION_ID",
            "Azure Subscription ID",
            "",
        ),
        Flag::string(
            "azure-tenant-id",
            "AZURE_TENANT_ID",
            "Azure Tenant ID (discovered from the subscription when not given)",
            "",
        ),
        Flag::string(
            "azure-resource-group",
            "AZURE_RESOURCE_GROUP",
            "Azure Resource Group name (will be created if missing)",
            "docker-machine",
        ),
        Flag::string(
            "azure-ssh-user",
            "AZURE_SSH_USER",
            "Username for SSH login",
            "docker-user",
        ),
        Flag::int(
            "azure-docker-port",
            "AZURE_DOCKER_PORT",
            "Port number for Docker engine",
            2376,
        ),
        Flag::string(
            "azure-location",
            "AZURE_LOCATION",
            "Azure region to create the virtual machine",
            "westus",
        ),
        Flag::string(
            "azure-size",
            "AZURE_SIZE",
            "Size for Azure Virtual Machine",
            DEFAULT_SIZE,
        ),
        Flag::string(
            "azure-image",
            "AZURE_IMAGE",
            "Azure virtual machine OS image",
            DEFAULT_IMAGE,
        ),
        Flag::string(
            "azure-vnet",
            "AZURE_VNET",
            "Azure Virtual Network name to connect the virtual machine (in [resourcegroup:]name format)",
            "docker-machine-vnet",
        ),
        Flag::string(
            "azure-subnet",
            "AZURE_SUBNET",
            "Azure Subnet Name to be used within the Virtual Network",
            "docker-machine",
        ),
        Flag::string(
            "azure-subnet-prefix",
            "AZURE_SUBNET_PREFIX",
            "Private CIDR block to be used for the new subnet, should comply RFC 1918",
            "192.168.0.0/16",
        ),
        Flag::string(
            "azure-availability-set",
            "AZURE_AVAILABILITY_SET",
            "Azure Availability Set to place the virtual machine into",
            "docker-machine",
        ),
        Flag::string(
            "azure-nsg",
            "AZURE_NSG",
            "Azure Network Security Group to assign this node to (a name or resource ID; default: a new NSG for each machine)",
            "",
        ),
        Flag::string(
            "azure-plan",
            "",
            "Purchase plan for Azure Virtual Machine (in <publisher>:<product>:<plan> format)",
            "",
        ),
        Flag::bool(
            "azure-managed-disks",
            "AZURE_MANAGED_DISKS",
            "Configures VM and availability set for managed disks (always on: unmanaged disks are retired)",
        ),
        Flag::int(
            "azure-fault-domain-count",
            "AZURE_FAULT_DOMAIN_COUNT",
            "Fault domain count to use for availability set",
            3,
        ),
        Flag::int(
            "azure-update-domain-count",
            "AZURE_UPDATE_DOMAIN_COUNT",
            "Update domain count to use for availability set",
            5,
        ),
        Flag::int(
            "azure-disk-size",
            "AZURE_DISK_SIZE",
            "Disk size if using managed disk",
            30,
        ),
        Flag::string(
            "azure-custom-data",
            "AZURE_CUSTOM_DATA_FILE",
            "Path to file with custom-data",
            "",
        ),
        Flag::string(
            "azure-private-ip-address",
            "",
            "Specify a static private IP address for the machine",
            "",
        ),
        Flag::string(
            "azure-storage-type",
            "AZURE_STORAGE_TYPE",
            "Type of Storage Account to host the OS Disk for the machine",
            "Standard_LRS",
        ),
        Flag::bool(
            "azure-use-private-ip",
            "",
            "Use private IP address of the machine to connect",
        ),
        Flag::bool(
            "azure-no-public-ip",
            "",
            "Do not create a public IP address for the machine",
        ),
        Flag::bool(
            "azure-static-public-ip",
            "",
            "Assign a static public IP address to the machine",
        ),
        Flag::string(
            "azure-dns",
            "AZURE_DNS_LABEL",
            "A unique DNS label for the public IP adddress",
            "",
        ),
        Flag::string_slice(
            "azure-open-port",
            "",
            "Make the specified port number accessible from the Internet",
            &[],
        ),
        Flag::string(
            "azure-client-id",
            "AZURE_CLIENT_ID",
            "Azure Service Principal Account ID (optional, browser auth is used if not specified)",
            "",
        ),
        Flag::string(
            "azure-client-secret",
            "AZURE_CLIENT_SECRET",
            "Azure Service Principal Account password (optional, browser auth is used if not specified)",
            "",
        ),
        Flag::string(
            "azure-auth",
            "AZURE_AUTH",
            "Login: service-principal, device-code, managed-identity or az-cli (default: service-principal with a client secret, else device-code)",
            "",
        ),
        Flag::string(
            "azure-tags",
            "AZURE_TAGS",
            "Tags to be applied to the Azure VM instance (key1,value1,key2,value2)",
            "",
        ),
        Flag::string(
            "azure-availability-zone",
            "AZURE_AVAILABILITY_ZONE",
            "Specify the Availability Zones the Azure resources should be created in",
            "",
        ),
        Flag::bool(
            "azure-enable-public-ip-standard-sku",
            "AZURE_STANDARD_PUBLIC_IP_SKU",
            "Specify if a Standard SKU should be used for the Public IP of the Azure VM (always on: Basic is retired)",
        ),
        Flag::bool(
            "azure-accelerated-networking",
            "AZURE_ACCELERATED_NETWORKING",
            "Specify if an Accelerated Networking NIC should be created for your VM",
        ),
    ]
}
