//! Host-only networking: the adapters and DHCP servers `VBoxManage` lists, the CIDR a
//! machine's nic2 sits on, and the fixes over 0.16.2: VirtualBox >= 6.1.28 only allows the
//! ranges of `/etc/vbox/networks.conf` on Linux and macOS (192.168.56.0/21 without it), so
//! the default CIDR is chosen inside them and a refusal says what to add there; several
//! adapters with the same IP are tolerated (the first is used); a collision with a host
//! interface names it.

use super::host::{HostIface, HostOs};
use anyhow::{anyhow, bail, Result};
use std::collections::BTreeMap;
use std::fmt;
use std::net::Ipv4Addr;
use std::path::Path;

/// The name of the DHCP server VirtualBox gives a host-only adapter's network.
pub const DHCP_PREFIX: &str = "HostInterfaceNetworking-";

/// An IPv4 address with its prefix length (`192.168.99.1/24`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Cidr {
    /// Go's `net.ParseCIDR` for IPv4.
    pub fn parse(s: &str) -> Result<Cidr> {
        let bad = || anyhow!("invalid CIDR address: {s}");
        let (ip, len) = s.split_once('/').ok_or_else(bad)?;
        let addr: Ipv4Addr = ip.parse().map_err(|_| bad())?;
        let prefix: u8 = len.parse().map_err(|_| bad())?;
        if prefix > 32 || len.starts_with('+') {
            return Err(bad());
        }
        Ok(Cidr { addr, prefix })
    }

    pub fn mask(&self) -> Ipv4Addr {
        Ipv4Addr::from(mask_bits(self.prefix))
    }

    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & mask_bits(self.prefix))
    }

    /// The network as a CIDR (`192.168.99.0/24`).
    pub fn net(&self) -> Cidr {
        Cidr {
            addr: self.network(),
            prefix: self.prefix,
        }
    }

    /// `other`'s whole network lies inside this one.
    pub fn covers(&self, other: &Cidr) -> bool {
        other.prefix >= self.prefix
            && u32::from(other.addr) & mask_bits(self.prefix) == u32::from(self.network())
    }

    /// The address `.n` of the network (`n` counted from the network address).
    pub fn nth(&self, n: u32) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.network()).wrapping_add(n))
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

fn mask_bits(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

/// The host CIDR of the machine's network: a host address, not the network's.
pub fn parse_and_validate(cidr: &str) -> Result<Cidr> {
    let c = Cidr::parse(cidr)?;
    if c.addr == c.network() {
        bail!("host-only cidr must be specified with a host address, not a network address");
    }
    Ok(c)
}

/// One entry of `VBoxManage list hostonlyifs`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostOnlyNet {
    pub name: String,
    pub dhcp: bool,
    pub ip: Option<Ipv4Addr>,
    pub mask: Option<Ipv4Addr>,
    pub network_name: String,
}

impl HostOnlyNet {
    fn cidr(&self) -> Option<Cidr> {
        Some(Cidr {
            addr: self.ip?,
            prefix: u32::from(self.mask?).count_ones() as u8,
        })
    }
}

/// The adapters in listing order. Two with the same name is an error as in 0.16.2; two
/// with the same IP are kept (0.16.2 refused to go on), the first one is used.
pub fn parse_host_only(text: &str) -> Result<Vec<HostOnlyNet>> {
    let mut nets: Vec<HostOnlyNet> = Vec::new();
    let mut n = HostOnlyNet::default();
    for (key, val) in super::vbm::colon_pairs(text) {
        match key {
            "Name" => n.name = val.to_string(),
            "DHCP" => n.dhcp = val != "Disabled",
            "IPAddress" => n.ip = val.parse().ok(),
            "NetworkMask" => n.mask = val.parse().ok(),
            "VBoxNetworkName" => {
                n.network_name = val.to_string();
                if nets.iter().any(|o| o.network_name == n.network_name) {
                    bail!("VirtualBox is configured with multiple host-only adapters with the same name {:?}. Please remove one", n.network_name);
                }
                nets.push(std::mem::take(&mut n));
            }
            _ => {}
        }
    }
    Ok(nets)
}

/// VirtualBox reports a just-created adapter's mask as 15.0.0.0 at times (0.16.2 accepted
/// it as Go's `0f000000`).
const BUGGY_MASK: Ipv4Addr = Ipv4Addr::new(15, 0, 0, 0);

/// The first adapter with this host IP and mask.
pub fn find_adapter<'a>(nets: &'a [HostOnlyNet], cidr: &Cidr) -> Option<&'a HostOnlyNet> {
    nets.iter().find(|n| {
        n.ip == Some(cidr.addr) && (n.mask == Some(cidr.mask()) || n.mask == Some(BUGGY_MASK))
    })
}

/// Other adapters that carry the same IP as `chosen` (reported, not refused).
pub fn same_ip_others<'a>(nets: &'a [HostOnlyNet], chosen: &HostOnlyNet) -> Vec<&'a str> {
    nets.iter()
        .filter(|n| n.ip == chosen.ip && n.name != chosen.name)
        .map(|n| n.name.as_str())
        .collect()
}

/// One entry of `VBoxManage list dhcpservers`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DhcpServer {
    pub ip: Option<Ipv4Addr>,
    pub mask: Option<Ipv4Addr>,
    pub lower: Option<Ipv4Addr>,
    pub upper: Option<Ipv4Addr>,
    pub enabled: bool,
}

/// The DHCP servers by network name. VirtualBox 6.1 renamed the keys (`Dhcpd IP`,
/// `LowerIPAddress`...); both spellings are read.
pub fn parse_dhcp(text: &str) -> BTreeMap<String, DhcpServer> {
    let mut m = BTreeMap::new();
    let mut current: Option<String> = None;
    for (key, val) in super::vbm::colon_pairs(text) {
        if key == "NetworkName" {
            current = Some(val.to_string());
            m.insert(val.to_string(), DhcpServer::default());
            continue;
        }
        let Some(d) = current.as_ref().and_then(|c| m.get_mut(c)) else {
            continue;
        };
        match key {
            "IP" | "Dhcpd IP" => d.ip = val.parse().ok(),
            "NetworkMask" => d.mask = val.parse().ok(),
            "lowerIPAddress" | "LowerIPAddress" => d.lower = val.parse().ok(),
            "upperIPAddress" | "UpperIPAddress" => d.upper = val.parse().ok(),
            "Enabled" => d.enabled = val == "Yes",
            _ => {}
        }
    }
    m
}

/// The host interface whose network is the host-only network's, ignoring interfaces
/// that are VirtualBox's own host-only adapters, loopback and interfaces that are down.
pub fn collision<'a>(
    hostonly: &Cidr,
    ifaces: &'a [HostIface],
    nets: &[HostOnlyNet],
) -> Option<&'a HostIface> {
    let adapters: Vec<Cidr> = nets.iter().filter_map(HostOnlyNet::cidr).collect();
    let excluded: Vec<&str> = ifaces
        .iter()
        .filter(|i| {
            adapters.contains(&Cidr {
                addr: i.addr,
                prefix: i.prefix,
            })
        })
        .map(|i| i.name.as_str())
        .collect();
    ifaces.iter().find(|i| {
        i.up && !i.loopback
            && !excluded.contains(&i.name.as_str())
            && Cidr {
                addr: i.addr,
                prefix: i.prefix,
            }
            .network()
                == hostonly.network()
    })
}

/// The line for a collision, naming the interface.
pub fn collision_error(hostonly: &Cidr, iface: &HostIface) -> String {
    format!(
        "host-only cidr {hostonly} conflicts with the network address of host interface {} ({}/{}): choose another --virtualbox-hostonly-cidr",
        iface.name, iface.addr, iface.prefix
    )
}

/// Whether this VirtualBox restricts host-only addresses (6.1.28 and later, not on Windows).
pub fn restricted(os: HostOs, version: (u32, u32, u32)) -> bool {
    os != HostOs::Windows && version >= (6, 1, 28)
}

/// The ranges VirtualBox allows: the `*` lines of `networks.conf`, or 192.168.56.0/21
/// when the file does not exist.
pub fn allowed_ranges(conf: Option<&str>) -> Vec<Cidr> {
    let Some(conf) = conf else {
        return vec![Cidr {
            addr: Ipv4Addr::new(192, 168, 56, 0),
            prefix: 21,
        }];
    };
    conf.lines()
        .map(str::trim)
        .filter_map(|l| l.strip_prefix('*'))
        .flat_map(str::split_whitespace)
        .filter_map(|c| Cidr::parse(c).ok())
        .collect()
}

pub fn read_networks_conf(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

pub fn allowed(ranges: &[Cidr], cidr: &Cidr) -> bool {
    ranges.iter().any(|r| r.covers(&cidr.net()))
}

/// A default host CIDR inside the allowed ranges: the first /24 (`.1`) that no host
/// interface other than a host-only adapter already uses.
pub fn choose_default(ranges: &[Cidr], ifaces: &[HostIface], nets: &[HostOnlyNet]) -> Option<Cidr> {
    for r in ranges {
        let (prefix, count) = if r.prefix <= 24 {
            (24, 1u32 << (24 - r.prefix).min(8))
        } else if r.prefix <= 30 {
            (r.prefix, 1)
        } else {
            continue;
        };
        for i in 0..count {
            let candidate = Cidr {
                addr: r.nth(i * 256 + 1),
                prefix,
            };
            if collision(&candidate, ifaces, nets).is_none() {
                return Some(candidate);
            }
        }
    }
    None
}

/// The one line for VirtualBox's `E_ACCESSDENIED` on a host-only address.
pub fn access_denied_error(cidr: &Cidr, ranges: &[Cidr], conf: &Path, conf_exists: bool) -> String {
    let now = if ranges.is_empty() {
        "none".to_string()
    } else {
        ranges
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(" ")
    };
    let source = if conf_exists {
        format!("as listed in {}", conf.display())
    } else {
        format!("the default without {}", conf.display())
    };
    format!(
        "VirtualBox refused the host-only network {cidr} (E_ACCESSDENIED): since 6.1.28 it allows only {now} ({source}); add the line \"* {}\" to {} or choose a --virtualbox-hostonly-cidr inside the allowed ranges",
        cidr.net(),
        conf.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iface(name: &str, addr: [u8; 4], prefix: u8) -> HostIface {
        HostIface {
            name: name.into(),
            addr: addr.into(),
            prefix,
            up: true,
            loopback: false,
        }
    }

    #[test]
    fn cidrs_parse_as_go_and_network_addresses_are_refused() {
        let c = parse_and_validate("192.168.99.1/24").unwrap();
        assert_eq!(
            (c.mask(), c.network()),
            ([255, 255, 255, 0].into(), [192, 168, 99, 0].into())
        );
        assert_eq!(c.net().to_string(), "192.168.99.0/24");
        assert_eq!(
            parse_and_validate("192.168.99.0/24")
                .unwrap_err()
                .to_string(),
            "host-only cidr must be specified with a host address, not a network address"
        );
        assert_eq!(
            parse_and_validate("192.168.99.1").unwrap_err().to_string(),
            "invalid CIDR address: 192.168.99.1"
        );
        assert!(parse_and_validate("192.168.99.1/33").is_err());
    }

    #[test]
    fn networks_conf_ranges_and_the_default_inside_them() {
        let default = allowed_ranges(None);
        assert_eq!(default[0].to_string(), "192.168.56.0/21");
        assert!(allowed(&default, &Cidr::parse("192.168.57.1/24").unwrap()));
        assert!(!allowed(&default, &Cidr::parse("192.168.99.1/24").unwrap()));
        assert!(!allowed(&default, &Cidr::parse("192.168.56.1/20").unwrap()));
        let conf = "# comment\n* 10.0.0.0/8 192.168.0.0/16\n* 2001::/64\n";
        let r = allowed_ranges(Some(conf));
        assert_eq!(r.len(), 2);
        assert!(allowed(&r, &Cidr::parse("192.168.99.1/24").unwrap()));
        assert!(allowed_ranges(Some("")).is_empty());

        // The first /24 that no host interface uses; a host-only adapter's own address
        // does not count as a collision.
        let ifaces = [
            iface("eth0", [192, 168, 56, 7], 24),
            iface("vboxnet3", [192, 168, 57, 1], 24),
        ];
        let nets = [HostOnlyNet {
            name: "vboxnet3".into(),
            ip: Some([192, 168, 57, 1].into()),
            mask: Some([255, 255, 255, 0].into()),
            network_name: "HostInterfaceNetworking-vboxnet3".into(),
            ..Default::default()
        }];
        assert_eq!(
            choose_default(&default, &ifaces, &nets)
                .unwrap()
                .to_string(),
            "192.168.57.1/24"
        );
        assert_eq!(choose_default(&[], &ifaces, &nets), None);
        assert!(restricted(HostOs::Linux, (6, 1, 28)) && restricted(HostOs::MacOs, (7, 0, 0)));
        assert!(!restricted(HostOs::Linux, (6, 1, 26)) && !restricted(HostOs::Windows, (7, 0, 0)));
    }

    #[test]
    fn collisions_name_the_interface_and_skip_loopback_and_down_ones() {
        let c = Cidr::parse("10.0.5.1/24").unwrap();
        let mut down = iface("wlan0", [10, 0, 5, 9], 24);
        down.up = false;
        let ifaces = [down, iface("eth1", [10, 0, 5, 20], 24)];
        let hit = collision(&c, &ifaces, &[]).unwrap();
        assert_eq!(
            collision_error(&c, hit),
            "host-only cidr 10.0.5.1/24 conflicts with the network address of host interface eth1 (10.0.5.20/24): choose another --virtualbox-hostonly-cidr"
        );
        assert!(collision(&c, &ifaces[..1], &[]).is_none());
    }
}
