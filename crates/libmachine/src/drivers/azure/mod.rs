//! The original's `azure` driver; its create flags are registered, the driver is not implemented
//! yet. ARM: resource group, availability set, NSG, VNet/subnet, public IP, NIC, `vhds*` storage
//! account and VM `<name>`; SSH `docker-user`:22.
//! JSON keys: ClientID ClientSecret Environment SubscriptionID ResourceGroup DockerPort Location
//! Size Image VirtualNetwork SubnetName SubnetPrefix AvailabilitySet StorageType OpenPorts
//! PrivateIPAddr UsePrivateIP NoPublicIP DNSLabel StaticPublicIP CustomDataFile.

use crate::mcnflag::Flag;

super::unimplemented::flags_only_driver!("azure", create_flags);

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "azure-environment",
            "AZURE_ENVIRONMENT",
            "Azure environment (e.g. AzurePublicCloud, AzureChinaCloud)",
            "AzurePublicCloud",
        ),
        Flag::string("azure-subscription-id", "AZURE_SUBSCRIPTION_ID", "Azure Subscription ID", ""),
        Flag::string(
            "azure-resource-group",
            "AZURE_RESOURCE_GROUP",
            "Azure Resource Group name (will be created if missing)",
            "docker-machine",
        ),
        Flag::string("azure-ssh-user", "AZURE_SSH_USER", "Username for SSH login", "docker-user"),
        Flag::int("azure-docker-port", "AZURE_DOCKER_PORT", "Port number for Docker engine", 2376),
        Flag::string(
            "azure-location",
            "AZURE_LOCATION",
            "Azure region to create the virtual machine",
            "westus",
        ),
        Flag::string("azure-size", "AZURE_SIZE", "Size for Azure Virtual Machine", "Standard_A2"),
        Flag::string(
            "azure-image",
            "AZURE_IMAGE",
            "Azure virtual machine OS image",
            "canonical:UbuntuServer:16.04.0-LTS:latest",
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
        Flag::string("azure-custom-data", "AZURE_CUSTOM_DATA_FILE", "Path to file with custom-data", ""),
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
        Flag::bool("azure-use-private-ip", "", "Use private IP address of the machine to connect"),
        Flag::bool("azure-no-public-ip", "", "Do not create a public IP address for the machine"),
        Flag::bool("azure-static-public-ip", "", "Assign a static public IP address to the machine"),
        Flag::string("azure-dns", "AZURE_DNS_LABEL", "A unique DNS label for the public IP adddress", ""),
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
    ]
}
