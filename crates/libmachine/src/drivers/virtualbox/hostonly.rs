//! The driver's host-only network: the adapter for the CIDR (found, else created and
//! given its address), its DHCP server, orphan DHCP servers removed, nic2 on it; the
//! default CIDR this VirtualBox allows. The rules themselves are in [`super::network`].

use super::network::{self, Cidr, DhcpServer, HostOnlyNet};
use super::{VirtualBoxDriver, DEFAULT_HOST_ONLY_CIDR};
use anyhow::{anyhow, bail, Result};

impl VirtualBoxDriver {
    pub(super) fn list_host_only(&self) -> Result<Vec<HostOnlyNet>> {
        network::parse_host_only(&self.vbm().out(&["list", "hostonlyifs"])?)
    }

    pub(super) fn list_dhcp(&self) -> Result<std::collections::BTreeMap<String, DhcpServer>> {
        Ok(network::parse_dhcp(
            &self.vbm().out(&["list", "dhcpservers"])?,
        ))
    }

    /// The ranges this VirtualBox allows, when it restricts them.
    pub(super) fn allowed_ranges(&self) -> Result<Option<(Vec<Cidr>, bool)>> {
        if !network::restricted(self.host().os, self.version()?) {
            return Ok(None);
        }
        let conf = network::read_networks_conf(&self.host().networks_conf);
        let exists = conf.is_some();
        Ok(Some((network::allowed_ranges(conf.as_deref()), exists)))
    }

    /// Keep 0.16.2's default CIDR unless this VirtualBox refuses it; an explicit one is
    /// kept as given.
    pub(super) fn choose_cidr(&mut self) -> Result<()> {
        if self.cidr_explicit {
            return Ok(());
        }
        let Some((ranges, _)) = self.allowed_ranges()? else {
            return Ok(());
        };
        let current = Cidr::parse(&self.own.host_only_cidr)?;
        if network::allowed(&ranges, &current) {
            return Ok(());
        }
        let nets = self.list_host_only()?;
        if let Some(c) = network::choose_default(&ranges, &self.host().interfaces, &nets) {
            let (a, b, c3) = self.version()?;
            self.say(&format!(
                "VirtualBox {a}.{b}.{c3} does not allow the host-only network {current} (see {}): using {c}",
                self.host().networks_conf.display()
            ));
            self.own.host_only_cidr = c.to_string();
        }
        Ok(())
    }

    /// `hostonlyif ipconfig`, with VirtualBox's `E_ACCESSDENIED` turned into one line.
    pub(super) fn save_ipv4(&self, adapter: &str, cidr: &Cidr) -> Result<()> {
        self.windows_notice("configure a network adapter");
        let ran = self.vbm().call(&[
            "hostonlyif",
            "ipconfig",
            adapter,
            "--ip",
            &cidr.addr.to_string(),
            "--netmask",
            &cidr.mask().to_string(),
        ])?;
        match ran.error {
            None => Ok(()),
            Some(e) if ran.stderr.contains("E_ACCESSDENIED") => {
                crate::log::debug(&e);
                let conf = self.host().networks_conf.clone();
                let text = network::read_networks_conf(&conf);
                bail!(network::access_denied_error(
                    cidr,
                    &network::allowed_ranges(text.as_deref()),
                    &conf,
                    text.is_some()
                ))
            }
            Some(e) => Err(anyhow!(e)),
        }
    }

    pub(super) fn get_or_create_adapter(
        &self,
        cidr: &Cidr,
        nets: &[HostOnlyNet],
    ) -> Result<HostOnlyNet> {
        if let Some(found) = network::find_adapter(nets, cidr) {
            let others = network::same_ip_others(nets, found);
            if !others.is_empty() {
                self.say(&format!(
                    "VirtualBox has several host-only adapters with the IP {}: using {:?} (also: {})",
                    cidr.addr,
                    found.name,
                    others.join(", ")
                ));
            }
            return Ok(found.clone());
        }
        self.windows_notice("create a network adapter");
        let created = self.vbm().out(&["hostonlyif", "create"]);
        if let Err(e) = &created {
            // VirtualBox may report a failure and create the adapter anyway
            // (virtualbox.org ticket 14040): look for it all the same.
            self.say(&format!(
                "Creating a new host-only adapter produced an error: {}",
                crate::log::one_line(&format!("{e:#}"))
            ));
            self.say("This is a known VirtualBox bug. Let's try to recover anyway...");
        }
        let mut adapter = None;
        for _ in 0..10 {
            std::thread::sleep(self.tuning.poll);
            let now = self.list_host_only()?;
            if let Some(n) = now
                .into_iter()
                .find(|n| !nets.iter().any(|o| o.network_name == n.network_name))
            {
                adapter = Some(n);
                break;
            }
        }
        let Some(adapter) = adapter else {
            bail!("The host-only adapter we just created is not visible. This is a well known VirtualBox bug. You might want to uninstall it and reinstall at least version 5.0.12 that is is supposed to fix this issue");
        };
        self.say(&format!(
            "Found a new host-only adapter: {:?}",
            adapter.name
        ));
        self.save_ipv4(&adapter.name, cidr)?;
        if adapter.dhcp {
            // Not implemented by VirtualBox; 0.16.2 asked anyway and ignored the answer.
            let _ = self
                .vbm()
                .call(&["hostonlyif", "ipconfig", &adapter.name, "--dhcp"]);
        }
        Ok(adapter)
    }

    pub(super) fn remove_orphan_dhcp_servers(&self) -> Result<()> {
        let dhcps = self.list_dhcp()?;
        if dhcps.is_empty() {
            return Ok(());
        }
        let nets = self.list_host_only()?;
        for name in dhcps.keys() {
            if name.starts_with(network::DHCP_PREFIX)
                && !nets.iter().any(|n| &n.network_name == name)
            {
                if let Err(e) = self.vbm().run(&["dhcpserver", "remove", "--netname", name]) {
                    self.say(&format!(
                        "Unable to remove orphan dhcp server {name:?}: {}",
                        crate::log::one_line(&format!("{e:#}"))
                    ));
                }
            }
        }
        Ok(())
    }

    pub(super) fn add_dhcp_server(&self, adapter: &str, want: &DhcpServer) -> Result<()> {
        let name = format!("{}{adapter}", network::DHCP_PREFIX);
        let command = match self.list_dhcp()?.get(&name) {
            Some(have) if have == want => return Ok(()),
            Some(_) => "modify",
            None => "add",
        };
        let ip = |a: Option<std::net::Ipv4Addr>| a.map(|a| a.to_string()).unwrap_or_default();
        let mut args = vec![
            "dhcpserver".to_string(),
            command.into(),
            "--netname".into(),
            name,
            "--ip".into(),
            ip(want.ip),
            "--netmask".into(),
            ip(want.mask),
            "--lowerip".into(),
            ip(want.lower),
            "--upperip".into(),
            ip(want.upper),
        ];
        args.push(
            if want.enabled {
                "--enable"
            } else {
                "--disable"
            }
            .into(),
        );
        self.windows_notice("configure a dhcp server");
        self.vbm().run(&args)
    }

    /// Find or make the host-only adapter for the CIDR, its DHCP server, and nic2 on it.
    pub(super) fn setup_host_only_network(&mut self) -> Result<(HostOnlyNet, Cidr)> {
        let cidr_text = if self.own.host_only_cidr.is_empty() {
            DEFAULT_HOST_ONLY_CIDR.to_string()
        } else {
            self.own.host_only_cidr.clone()
        };
        let cidr = network::parse_and_validate(&cidr_text)?;
        let nets = self.list_host_only()?;
        if let Some(hit) = network::collision(&cidr, &self.host().interfaces, &nets) {
            bail!(network::collision_error(&cidr, hit));
        }
        let adapter = self.get_or_create_adapter(&cidr, &nets)?;
        self.remove_orphan_dhcp_servers()?;
        let host_octet = cidr.addr.octets()[3];
        let octet = (0..5)
            .map(|_| (self.tuning.dhcp_octet)())
            .find(|n| *n != u32::from(host_octet))
            .ok_or_else(|| anyhow!("unable to generate random IP"))?;
        let net = cidr.network().octets();
        let dhcp = DhcpServer {
            ip: Some([net[0], net[1], net[2], octet as u8].into()),
            mask: Some(cidr.mask()),
            lower: Some([net[0], net[1], net[2], 100].into()),
            upper: Some([net[0], net[1], net[2], 254].into()),
            enabled: !self.own.host_only_no_dhcp,
        };
        self.add_dhcp_server(&adapter.name, &dhcp)?;
        self.vbm().run(&[
            "modifyvm",
            self.name(),
            "--nic2",
            "hostonly",
            "--nictype2",
            &self.own.host_only_nic_type,
            "--nicpromisc2",
            &self.own.host_only_promisc_mode,
            "--hostonlyadapter2",
            &adapter.name,
            "--cableconnected2",
            "on",
        ])?;
        Ok((adapter, cidr))
    }
}
