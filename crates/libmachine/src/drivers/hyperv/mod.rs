//! The `hyperv` driver, as 0.16.2 had it: a boot2docker VM on Windows' Hyper-V, driven by
//! `Hyper-V\` cmdlets through `powershell.exe` (every call through the command-runner
//! seam, [`crate::runner`]).
//!
//! * Pre-create: Windows, PowerShell, the Hyper-V module, an administrator or a member of
//!   "Hyper-V Administrators", the virtual switch, the boot2docker ISO in the cache.
//! * Create: the ISO copied into the machine directory, the SSH key, `fixed.vhd` with the
//!   "please format-me" seed at its start converted to a dynamic `disk.vhd` (resized when
//!   the user is a Windows administrator; created at full size otherwise), `New-VM` on
//!   the switch, then dynamic memory, CPUs, MAC, VLAN, the DVD, the disk, start, wait
//!   for the first adapter's first IP.
//! * State: `Running`, `Off` (Stopped), anything else None. SSH as `docker` on the IP.
//!
//! Differences from 0.16.2: off Windows the pre-create check says Hyper-V needs Windows;
//! an unknown `--hyperv-virtual-switch` lists the switches there are; a failed cmdlet
//! says PowerShell's error instead of `exit status 1`; the wait for an IP is bounded;
//! quotes in paths are escaped.

mod powershell;

pub use powershell::{
    PowerShellError, ERR_NOT_ADMINISTRATOR, ERR_NOT_INSTALLED, ERR_POWERSHELL_NOT_FOUND, POWERSHELL,
};

use super::{join_host_port, BaseDriver, Driver, DriverSpec, HostNotRunning};
use crate::boot2docker::{self, B2dCache};
use crate::mcnflag::{DriverOptions, Flag};
use crate::runner::{CommandRunner, SystemRunner};
use crate::state::State;
use anyhow::{bail, Context, Result};
use powershell::{lines, quote, to_mb, PowerShell};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub static SPEC: DriverSpec = DriverSpec {
    name: "hyperv",
    create_flags,
    new: |machine_name, store_path| Box::new(HypervDriver::new(machine_name, store_path)),
    load: |json| Ok(Box::new(HypervDriver::from_json(json)?)),
    implemented: true,
};

const DEFAULT_DISK_SIZE: i64 = 20000;
const DEFAULT_MEMORY: i64 = 1024;
const DEFAULT_CPU: i64 = 1;

/// The one line `create -d hyperv` fails its pre-create check with off Windows.
pub const ERR_NEEDS_WINDOWS: &str =
    "Hyper-V needs Windows: the hyperv driver drives Hyper-V through powershell.exe and its Hyper-V module, which exist only on Windows";

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "hyperv-boot2docker-url",
            "HYPERV_BOOT2DOCKER_URL",
            "URL of the boot2docker ISO. Defaults to the latest available version.",
            "",
        ),
        Flag::string(
            "hyperv-virtual-switch",
            "HYPERV_VIRTUAL_SWITCH",
            "Virtual switch name. Defaults to first found.",
            "",
        ),
        Flag::int(
            "hyperv-disk-size",
            "HYPERV_DISK_SIZE",
            "Maximum size of dynamically expanding disk in MB.",
            DEFAULT_DISK_SIZE,
        ),
        Flag::int(
            "hyperv-memory",
            "HYPERV_MEMORY",
            "Memory size for host in MB.",
            DEFAULT_MEMORY,
        ),
        Flag::int(
            "hyperv-cpu-count",
            "HYPERV_CPU_COUNT",
            "number of CPUs for the machine",
            DEFAULT_CPU,
        ),
        Flag::string(
            "hyperv-static-macaddress",
            "HYPERV_STATIC_MACADDRESS",
            "Hyper-V network adapter's static MAC address.",
            "",
        ),
        Flag::int(
            "hyperv-vlan-id",
            "HYPERV_VLAN_ID",
            "Hyper-V network adapter's VLAN ID if any",
            0,
        ),
        Flag::bool(
            "hyperv-disable-dynamic-memory",
            "HYPERV_DISABLE_DYNAMIC_MEMORY",
            "Disable dynamic memory management setting",
        ),
    ]
}

/// The driver's own keys in `config.json`, in the original's order.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default)]
struct Own {
    #[serde(rename = "Boot2DockerURL")]
    boot2docker_url: String,
    #[serde(rename = "VSwitch")]
    vswitch: String,
    #[serde(rename = "DiskSize")]
    disk_size: i64,
    #[serde(rename = "MemSize")]
    mem_size: i64,
    #[serde(rename = "CPU")]
    cpu: i64,
    #[serde(rename = "MacAddr")]
    mac_addr: String,
    #[serde(rename = "VLanID")]
    vlan_id: i64,
    #[serde(rename = "DisableDynamicMemory")]
    disable_dynamic_memory: bool,
}

pub struct HypervDriver {
    base: BaseDriver,
    own: Own,
    ps: PowerShell,
    /// Whether this is Windows (tests replaying Hyper-V transcripts say yes).
    windows: bool,
    /// The ISO cache; tests point it at their own releases server.
    b2d: Option<B2dCache>,
    /// How often state and IP are polled, and how long an IP is waited for.
    poll: Duration,
    ip_timeout: Duration,
}

impl HypervDriver {
    pub fn new(machine_name: &str, store_path: &str) -> HypervDriver {
        HypervDriver {
            base: BaseDriver::new(machine_name, store_path),
            own: Own {
                disk_size: DEFAULT_DISK_SIZE,
                mem_size: DEFAULT_MEMORY,
                cpu: DEFAULT_CPU,
                ..Own::default()
            },
            ps: PowerShell::new(SystemRunner::shared()),
            windows: cfg!(windows),
            b2d: None,
            poll: Duration::from_secs(1),
            ip_timeout: Duration::from_secs(600),
        }
    }

    fn from_json(json: Value) -> Result<HypervDriver> {
        let (base, own) = super::split_driver_json(json)?;
        let mut d = HypervDriver::new("", "");
        d.base = base;
        d.own = own;
        Ok(d)
    }

    /// A driver whose PowerShell calls go to `runner`, as on Windows: what the tests use
    /// to replay Hyper-V's answers (Hyper-V cannot run here).
    pub fn with_runner(mut self, runner: Arc<dyn CommandRunner>) -> HypervDriver {
        self.ps = PowerShell::new(runner);
        self.windows = true;
        self.poll = Duration::ZERO;
        self
    }

    pub fn with_b2d_cache(mut self, cache: B2dCache) -> HypervDriver {
        self.b2d = Some(cache);
        self
    }

    pub fn with_ip_timeout(mut self, timeout: Duration) -> HypervDriver {
        self.ip_timeout = timeout;
        self
    }

    /// A stored hyperv machine whose PowerShell calls go to `runner` (tests).
    pub fn load_with_runner(json: Value, runner: Arc<dyn CommandRunner>) -> Result<HypervDriver> {
        Ok(HypervDriver::from_json(json)?.with_runner(runner))
    }

    fn log(&self, msg: &str) {
        crate::log::info(&format!("({}) {msg}", self.base.machine_name));
    }

    /// The ISO cache, its lines said for this machine, as the driver's own.
    fn b2d(&self) -> B2dCache {
        self.b2d
            .clone()
            .unwrap_or_else(|| B2dCache::new(Path::new(&self.base.store_path)))
            .for_machine(&self.base.machine_name)
    }

    fn name(&self) -> &str {
        &self.base.machine_name
    }

    fn machine_path(&self, file: &str) -> PathBuf {
        self.base.machine_dir().join(file)
    }

    /// The named switch (which must exist), else the first external one.
    fn choose_virtual_switch(&self) -> Result<String> {
        if self.own.vswitch.is_empty() {
            let out = self.ps.out(&["[Console]::OutputEncoding = [Text.Encoding]::UTF8; (Hyper-V\\Get-VMSwitch -SwitchType External).Name"])?;
            return match lines(&out).into_iter().find(|l| !l.trim().is_empty()) {
                Some(first) => Ok(first),
                None => bail!("no External vswitch found. A valid vswitch must be available for this command to run. Check https://docs.docker.com/machine/drivers/hyper-v/"),
            };
        }
        let out = self.ps.out(&[
            "[Console]::OutputEncoding = [Text.Encoding]::UTF8; (Hyper-V\\Get-VMSwitch).Name",
        ])?;
        let switches: Vec<String> = lines(&out)
            .into_iter()
            .filter(|l| !l.trim().is_empty())
            .collect();
        if switches
            .iter()
            .any(|s| s.eq_ignore_ascii_case(&self.own.vswitch))
        {
            return Ok(self.own.vswitch.clone());
        }
        if switches.is_empty() {
            bail!(
                "vswitch {:?} not found: there is no virtual switch on this host",
                self.own.vswitch
            );
        }
        let list: Vec<String> = switches.iter().map(|s| format!("{s:?}")).collect();
        bail!(
            "vswitch {:?} not found; the virtual switches are: {}",
            self.own.vswitch,
            list.join(", ")
        )
    }

    /// `fixed.vhd` with the seed at its start, converted to the dynamic `disk.vhd`.
    fn generate_disk_image(&self) -> Result<PathBuf> {
        let disk = self.machine_path("disk.vhd");
        let fixed = self.machine_path("fixed.vhd");
        // Resizing a VHD needs a Windows administrator: a Hyper-V administrator gets the
        // disk at its full size from the start instead.
        let windows_admin = self.ps.is_windows_administrator()?;
        let fixed_size = if windows_admin {
            "10MB".to_string()
        } else {
            to_mb(self.own.disk_size)
        };
        self.log("Creating VHD");
        let fixed_q = quote(&fixed.to_string_lossy());
        let disk_q = quote(&disk.to_string_lossy());
        self.ps.cmd(&[
            "Hyper-V\\New-VHD",
            "-Path",
            &fixed_q,
            "-SizeBytes",
            &fixed_size,
            "-Fixed",
        ])?;
        let tar = boot2docker::seed::format_me_tar_for_key(&self.machine_path("id_rsa.pub"))?;
        boot2docker::seed::write_at_start(&fixed, &tar)?;
        self.ps.cmd(&[
            "Hyper-V\\Convert-VHD",
            "-Path",
            &fixed_q,
            "-DestinationPath",
            &disk_q,
            "-VHDType",
            "Dynamic",
            "-DeleteSource",
        ])?;
        if windows_admin {
            self.ps.cmd(&[
                "Hyper-V\\Resize-VHD",
                "-Path",
                &disk_q,
                "-SizeBytes",
                &to_mb(self.own.disk_size),
            ])?;
        }
        Ok(disk)
    }

    /// The first IP of the VM's first network adapter; HostNotRunning when it is not running.
    fn get_ip(&self) -> Result<String> {
        if self.state()? != State::Running {
            return Err(HostNotRunning.into());
        }
        let out = self.ps.out(&[
            "((",
            "Hyper-V\\Get-VM",
            self.name(),
            ").networkadapters[0]).ipaddresses[0]",
        ])?;
        match lines(&out)
            .into_iter()
            .map(|l| l.trim().to_string())
            .find(|l| !l.is_empty())
        {
            Some(ip) => Ok(ip),
            None => bail!("IP not found"),
        }
    }

    fn wait_for_ip(&self) -> Result<String> {
        self.log("Waiting for host to start...");
        let deadline = Instant::now() + self.ip_timeout;
        loop {
            if let Ok(ip) = self.get_ip() {
                return Ok(ip);
            }
            if Instant::now() >= deadline {
                bail!(
                    "Hyper-V reported no IP address for {:?} within {} s: is its virtual switch connected to a network with DHCP?",
                    self.name(),
                    self.ip_timeout.as_secs()
                );
            }
            std::thread::sleep(self.poll);
        }
    }

    fn wait_stopped(&self) -> Result<()> {
        self.log("Waiting for host to stop...");
        while self.state()? == State::Running {
            std::thread::sleep(self.poll);
        }
        Ok(())
    }
}

impl Driver for HypervDriver {
    super::base_and_json!("hyperv");
    fn set_config_from_flags(&mut self, opts: &DriverOptions) -> Result<()> {
        self.own.boot2docker_url = opts.string("hyperv-boot2docker-url");
        self.own.vswitch = opts.string("hyperv-virtual-switch");
        self.own.disk_size = opts.int("hyperv-disk-size");
        self.own.mem_size = opts.int("hyperv-memory");
        self.own.cpu = opts.int("hyperv-cpu-count");
        self.own.mac_addr = opts.string("hyperv-static-macaddress");
        self.own.vlan_id = opts.int("hyperv-vlan-id");
        self.own.disable_dynamic_memory = opts.bool("hyperv-disable-dynamic-memory");
        self.base.ssh_user = "docker".into();
        self.base.ssh_port = 22;
        Ok(())
    }
    fn pre_create_check(&self) -> Result<()> {
        if !self.windows {
            bail!(ERR_NEEDS_WINDOWS);
        }
        self.ps.hyperv_available()?;
        if !self.ps.is_administrator()? {
            bail!(ERR_NOT_ADMINISTRATOR);
        }
        self.choose_virtual_switch()?;
        // The ISO is fetched now so that a failed download leaves no half-made machine.
        self.b2d().update_iso_cache(&self.own.boot2docker_url)
    }
    fn create(&mut self) -> Result<()> {
        let dir = self.base.machine_dir();
        self.b2d()
            .copy_iso_to_machine_dir(&self.own.boot2docker_url, &dir)?;
        self.log("Creating SSH key...");
        let key = dir.join("id_rsa");
        crate::ssh::keys::generate_key_pair(&key)?;
        self.base.ssh_key_path = key.to_string_lossy().into_owned();

        self.log("Creating VM...");
        let switch = self.choose_virtual_switch()?;
        self.log(&format!("Using switch {switch:?}"));
        let disk = self.generate_disk_image()?;
        let name = self.name().to_string();
        self.ps.cmd(&[
            "Hyper-V\\New-VM",
            &name,
            "-Path",
            &quote(&dir.to_string_lossy()),
            "-SwitchName",
            &quote(&switch),
            "-MemoryStartupBytes",
            &to_mb(self.own.mem_size),
        ])?;
        if self.own.disable_dynamic_memory {
            self.ps.cmd(&[
                "Hyper-V\\Set-VMMemory",
                "-VMName",
                &name,
                "-DynamicMemoryEnabled",
                "$false",
            ])?;
        }
        if self.own.cpu > 1 {
            self.ps.cmd(&[
                "Hyper-V\\Set-VMProcessor",
                &name,
                "-Count",
                &self.own.cpu.to_string(),
            ])?;
        }
        if !self.own.mac_addr.is_empty() {
            self.ps.cmd(&[
                "Hyper-V\\Set-VMNetworkAdapter",
                "-VMName",
                &name,
                "-StaticMacAddress",
                &format!("\"{}\"", self.own.mac_addr),
            ])?;
        }
        if self.own.vlan_id > 0 {
            self.ps.cmd(&[
                "Hyper-V\\Set-VMNetworkAdapterVlan",
                "-VMName",
                &name,
                "-Access",
                "-VlanId",
                &self.own.vlan_id.to_string(),
            ])?;
        }
        let iso = quote(&dir.join(boot2docker::ISO_FILENAME).to_string_lossy());
        self.ps
            .cmd(&["Hyper-V\\Set-VMDvdDrive", "-VMName", &name, "-Path", &iso])?;
        self.ps.cmd(&[
            "Hyper-V\\Add-VMHardDiskDrive",
            "-VMName",
            &name,
            "-Path",
            &quote(&disk.to_string_lossy()),
        ])?;
        self.log("Starting VM...");
        self.start()
    }
    fn state(&self) -> Result<State> {
        let out = self
            .ps
            .out(&["(", "Hyper-V\\Get-VM", self.name(), ").state"])
            .context("Failed to find the VM status")?;
        Ok(match lines(&out).first().map(|l| l.trim()) {
            Some("Running") => State::Running,
            Some("Off") => State::Stopped,
            _ => State::None,
        })
    }
    fn url(&self) -> Result<String> {
        let ip = self.get_ip()?;
        Ok(format!("tcp://{}", join_host_port(&ip, 2376)))
    }
    fn ip(&self) -> Result<String> {
        self.get_ip()
    }
    fn ssh_username(&self) -> String {
        if self.base.ssh_user.is_empty() {
            "docker".into()
        } else {
            self.base.ssh_user.clone()
        }
    }
    fn start(&mut self) -> Result<()> {
        let name = self.name().to_string();
        self.ps.cmd(&["Hyper-V\\Start-VM", &name])?;
        self.base.ip_address = self.wait_for_ip()?;
        Ok(())
    }
    fn stop(&mut self) -> Result<()> {
        let name = self.name().to_string();
        self.ps.cmd(&["Hyper-V\\Stop-VM", &name])?;
        self.wait_stopped()?;
        self.base.ip_address.clear();
        Ok(())
    }
    fn restart(&mut self) -> Result<()> {
        self.stop()?;
        self.start()
    }
    fn kill(&mut self) -> Result<()> {
        let name = self.name().to_string();
        self.ps.cmd(&["Hyper-V\\Stop-VM", &name, "-TurnOff"])?;
        self.wait_stopped()?;
        self.base.ip_address.clear();
        Ok(())
    }
    fn remove(&mut self) -> Result<()> {
        if self.state()? == State::Running {
            self.kill()?;
        }
        let name = self.name().to_string();
        self.ps.cmd(&["Hyper-V\\Remove-VM", &name, "-Force"])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
