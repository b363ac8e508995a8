//! The `virtualbox` driver, 0.16.2's default on macOS and Windows: a boot2docker VM made
//! and driven through `VBoxManage` (every call through the command-runner seam). The VM
//! boots the cached boot2docker ISO with `disk.vmdk` made from the "please format-me" seed,
//! NAT on nic1 with the SSH forward on a free 127.0.0.1 port, a host-only network on nic2
//! (found or created for `--virtualbox-hostonly-cidr`, with its DHCP server) whose address
//! is the machine's IP, and the home folder shared.
//!
//! Fixed over 0.16.2 (see [`network`]): the default host-only CIDR follows what the
//! installed VirtualBox allows (`/etc/vbox/networks.conf`), a refusal says what to add
//! there, duplicate adapters are tolerated, a collision names the host interface.

mod createvm;
mod host;
mod hostonly;
mod network;
#[cfg(test)]
mod tests;
mod vbm;

use super::{BaseDriver, Driver, DriverSpec, HostNotRunning};
use crate::boot2docker::B2dCache;
use crate::mcnflag::{DriverOptions, Flag};
use crate::runner::{CommandRunner, SystemRunner};
use crate::ssh::SshTarget;
use crate::state::State;
use anyhow::{anyhow, bail, Result};
use host::{HostEnv, HostOs};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use vbm::Vbm;

pub static SPEC: DriverSpec = DriverSpec {
    name: "virtualbox",
    create_flags,
    new: |machine_name, store_path| Box::new(VirtualBoxDriver::new(machine_name, store_path)),
    load: |json| Ok(Box::new(VirtualBoxDriver::from_json(json)?)),
    implemented: true,
};

const DEFAULT_HOST_ONLY_CIDR: &str = "192.168.99.1/24";
const DEFAULT_NIC_TYPE: &str = "82540EM";

const ERR_MUST_ENABLE_VTX: &str =
    "This computer doesn't have VT-X/AMD-v enabled. Enabling it in the BIOS is mandatory";
const ERR_HYPERV: &str = "This computer is running Hyper-V. VirtualBox won't boot a 64bits VM when Hyper-V is activated. Either use Hyper-V as a driver, or disable the Hyper-V hypervisor. (To skip this check, use --virtualbox-no-vtx-check)";

/// `showvminfo` of a machine VirtualBox does not know.
#[derive(Debug, thiserror::Error)]
#[error("machine does not exist")]
pub struct MachineNotExist;

/// The driver's object in `config.json`, keys in 0.16.2's order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
struct Own {
    #[serde(rename = "VBoxManager")]
    vbox_manager: Map<String, Value>,
    #[serde(rename = "HostInterfaces")]
    host_interfaces: Map<String, Value>,
    #[serde(rename = "CPU")]
    cpu: i64,
    #[serde(rename = "Memory")]
    memory: i64,
    #[serde(rename = "DiskSize")]
    disk_size: i64,
    #[serde(rename = "NatNicType")]
    nat_nic_type: String,
    #[serde(rename = "Boot2DockerURL")]
    boot2docker_url: String,
    #[serde(rename = "Boot2DockerImportVM")]
    boot2docker_import_vm: String,
    #[serde(rename = "HostDNSResolver")]
    host_dns_resolver: bool,
    #[serde(rename = "HostOnlyCIDR")]
    host_only_cidr: String,
    #[serde(rename = "HostOnlyNicType")]
    host_only_nic_type: String,
    #[serde(rename = "HostOnlyPromiscMode")]
    host_only_promisc_mode: String,
    #[serde(rename = "UIType")]
    ui_type: String,
    #[serde(rename = "HostOnlyNoDHCP")]
    host_only_no_dhcp: bool,
    #[serde(rename = "NoShare")]
    no_share: bool,
    #[serde(rename = "DNSProxy")]
    dns_proxy: bool,
    #[serde(rename = "NoVTXCheck")]
    no_vtx_check: bool,
    #[serde(rename = "ShareFolder")]
    share_folder: String,
}

impl Default for Own {
    /// 0.16.2's `NewDriver` defaults (also what a stored machine lacking a key gets).
    fn default() -> Own {
        Own {
            vbox_manager: Map::new(),
            host_interfaces: Map::new(),
            cpu: 1,
            memory: 1024,
            disk_size: 20000,
            nat_nic_type: DEFAULT_NIC_TYPE.into(),
            boot2docker_url: String::new(),
            boot2docker_import_vm: String::new(),
            host_dns_resolver: false,
            host_only_cidr: DEFAULT_HOST_ONLY_CIDR.into(),
            host_only_nic_type: DEFAULT_NIC_TYPE.into(),
            host_only_promisc_mode: "deny".into(),
            ui_type: "headless".into(),
            host_only_no_dhcp: false,
            no_share: false,
            dns_proxy: true,
            no_vtx_check: false,
            share_folder: String::new(),
        }
    }
}

/// Waits and polls, settable so tests do not sleep.
#[derive(Clone)]
pub struct Tuning {
    /// Between state polls while stopping, and between looks for a new adapter.
    pub poll: Duration,
    /// The pauses around re-configuring a corrupted host-only adapter (5 s).
    pub settle: Duration,
    /// Between looks for the guest's IP (4 s, 5 tries).
    pub ip_interval: Duration,
    /// How long SSH may take to answer after a start.
    pub ssh_wait: Duration,
    /// Before retrying a call VirtualBox answered "The object is not ready".
    pub retry_delay: Duration,
    /// The DHCP server's last octet, drawn from 1..=24.
    pub dhcp_octet: fn() -> u32,
    /// A free 127.0.0.1 port for the SSH forward, the given one when it is free.
    pub free_port: fn(u16) -> Result<u16>,
}

impl Default for Tuning {
    fn default() -> Tuning {
        Tuning {
            poll: Duration::from_secs(1),
            settle: Duration::from_secs(5),
            ip_interval: Duration::from_secs(4),
            ssh_wait: crate::ssh::DEFAULT_SSH_WAIT,
            retry_delay: Duration::from_millis(100),
            dhcp_octet: || rand::random_range(1..=24),
            free_port,
        }
    }
}

fn free_port(wanted: u16) -> Result<u16> {
    if wanted != 0 {
        if let Ok(l) = std::net::TcpListener::bind(("127.0.0.1", wanted)) {
            return Ok(l.local_addr()?.port());
        }
    }
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Runs a command in the guest over SSH and gives its output (tests answer for the
/// boot2docker guest that cannot boot here).
pub type GuestShell = Arc<dyn Fn(&SshTarget, &str) -> Result<String> + Send + Sync>;

fn ssh_guest() -> GuestShell {
    Arc::new(|target, command| crate::ssh::configured_client(target)?.run(command))
}

pub struct VirtualBoxDriver {
    base: BaseDriver,
    own: Own,
    runner: Arc<dyn CommandRunner>,
    host: OnceLock<HostEnv>,
    b2d: Option<B2dCache>,
    tuning: Tuning,
    guest: GuestShell,
    lines: Option<Arc<Mutex<Vec<String>>>>,
    /// The CIDR was given by the user (it differs from the flag's default).
    cidr_explicit: bool,
    /// The version the pre-create check found (the default CIDR depends on it).
    version: Mutex<Option<(u32, u32, u32)>>,
}

impl VirtualBoxDriver {
    pub fn new(machine_name: &str, store_path: &str) -> VirtualBoxDriver {
        let mut base = BaseDriver::new(machine_name, store_path);
        base.ssh_user = "docker".into();
        VirtualBoxDriver::with_parts(base, Own::default())
    }

    fn with_parts(base: BaseDriver, own: Own) -> VirtualBoxDriver {
        VirtualBoxDriver {
            base,
            own,
            runner: SystemRunner::shared(),
            host: OnceLock::new(),
            b2d: None,
            tuning: Tuning::default(),
            guest: ssh_guest(),
            lines: None,
            cidr_explicit: false,
            version: Mutex::new(None),
        }
    }

    fn from_json(json: Value) -> Result<VirtualBoxDriver> {
        let (base, own) = super::split_driver_json(json)?;
        Ok(VirtualBoxDriver::with_parts(base, own))
    }

    fn host(&self) -> &HostEnv {
        self.host.get_or_init(HostEnv::detect)
    }

    fn vbm(&self) -> Vbm {
        Vbm {
            program: self.host().vboxmanage.clone(),
            runner: self.runner.clone(),
            retry_delay: self.tuning.retry_delay,
        }
    }

    fn say(&self, msg: &str) {
        match &self.lines {
            Some(sink) => sink.lock().unwrap().push(msg.to_string()),
            None => crate::log::info(&format!("({}) {msg}", self.base.machine_name)),
        }
    }

    fn name(&self) -> &str {
        &self.base.machine_name
    }

    fn machine_path(&self, file: &str) -> PathBuf {
        self.base.machine_dir().join(file)
    }

    fn path_arg(p: &Path) -> String {
        p.to_string_lossy().into_owned()
    }

    fn disk_path(&self) -> PathBuf {
        self.machine_path("disk.vmdk")
    }

    /// The ISO cache, its lines said for this machine, as the driver's own.
    fn b2d(&self) -> B2dCache {
        self.b2d
            .clone()
            .unwrap_or_else(|| B2dCache::new(Path::new(&self.base.store_path)))
            .for_machine(&self.base.machine_name)
    }

    fn windows_notice(&self, what: &str) {
        if self.host().os == HostOs::Windows {
            self.say(&format!("Windows might ask for the permission to {what}. Sometimes, such confirmation window is minimized in the taskbar."));
        }
    }

    // ---- checks ----

    /// `VBoxManage --version`, checked (kept for the default CIDR choice).
    fn check_version(&self) -> Result<(u32, u32, u32)> {
        let out = self.vbm().out(&["--version"])?;
        let (v, warn) = vbm::check_version(&out)?;
        if let Some(w) = warn {
            self.say(&w);
        }
        *self.version.lock().unwrap() = Some(v);
        Ok(v)
    }

    fn version(&self) -> Result<(u32, u32, u32)> {
        let known = *self.version.lock().unwrap();
        match known {
            Some(v) => Ok(v),
            None => self.check_version(),
        }
    }

    /// Hyper-V running (Windows: `vmms.exe` installed and a hypervisor present).
    fn hyperv_active(&self) -> bool {
        if self.host().os != HostOs::Windows || !self.host().hyperv_installed {
            return false;
        }
        self.tool_output("wmic", &["computersystem", "get", "hypervisorpresent"])
            .is_some_and(|o| o.contains("TRUE"))
    }

    /// VT-x/AMD-V known to be missing; unknown counts as present (the VM log is checked
    /// after the start).
    fn vtx_disabled(&self) -> bool {
        match self.host().os {
            HostOs::Linux => self
                .host()
                .cpuinfo
                .as_ref()
                .is_some_and(|c| !c.contains("vmx") && !c.contains("svm")),
            HostOs::MacOs => self
                .tool_output("sysctl", &["-n", "machdep.cpu.features"])
                .is_some_and(|f| !f.contains("VMX")),
            HostOs::Windows => self
                .tool_output("wmic", &["cpu", "get", "VirtualizationFirmwareEnabled"])
                .is_some_and(|o| o.contains("FALSE")),
        }
    }

    fn tool_output(&self, program: &str, args: &[&str]) -> Option<String> {
        let out = self
            .runner
            .run(&crate::runner::Cmd::new(program, args))
            .ok()?;
        out.success().then_some(out.stdout)
    }

    // ---- VM ----

    fn vm_info(&self) -> Result<String> {
        let ran = self
            .vbm()
            .call(&["showvminfo", self.name(), "--machinereadable"])?;
        match ran.error {
            Some(_)
                if ran
                    .stderr
                    .contains("Could not find a registered machine named") =>
            {
                Err(MachineNotExist.into())
            }
            Some(e) => Err(anyhow!(e)),
            None => Ok(ran.stdout),
        }
    }

    fn state_of(info: &str) -> State {
        match vbm::info_value(info, "VMState").as_deref() {
            Some("running") => State::Running,
            Some("paused") => State::Paused,
            Some("saved") => State::Saved,
            Some("poweroff") | Some("aborted") => State::Stopped,
            _ => State::None,
        }
    }

    /// The MAC of the host-only nic, lower case without colons.
    fn host_only_mac(info: &str) -> Result<String> {
        let n = vbm::machine_readable(info)
            .find_map(|(k, _)| {
                k.strip_prefix("hostonlyadapter")
                    .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                    .map(str::to_string)
            })
            .ok_or_else(|| anyhow!("Machine does not have a host-only adapter"))?;
        vbm::info_value(info, &format!("macaddress{n}"))
            .map(|m| m.to_lowercase())
            .ok_or_else(|| anyhow!("Could not find MAC address for adapter {n}"))
    }

    fn ssh_target(&self) -> Result<SshTarget> {
        super::ssh_target(self)
    }

    /// The guest's IPv4 address on the host-only nic (`ip addr show` in the guest).
    fn guest_ip(&self) -> Result<String> {
        let info = self.vm_info()?;
        if Self::state_of(&info) != State::Running {
            return Err(HostNotRunning.into());
        }
        let mac = Self::host_only_mac(&info)?;
        let out = (self.guest)(&self.ssh_target()?, "ip addr show")?;
        ip_for_mac(&out, &mac)
    }

    fn wait_ssh(&self) -> Result<()> {
        let start = Instant::now();
        loop {
            match (self.guest)(&self.ssh_target()?, "exit 0") {
                Ok(_) => return Ok(()),
                Err(e) if start.elapsed() >= self.tuning.ssh_wait => {
                    bail!(
                        "Too many retries waiting for SSH to be available.  Last error: {}",
                        crate::log::one_line(&format!("{e:#}"))
                    )
                }
                Err(_) => std::thread::sleep(self.tuning.poll),
            }
        }
    }

    /// Wait for SSH over NAT, then for DHCP to give the host-only nic its address.
    fn wait_ip(&mut self) -> Result<()> {
        self.say("Waiting for an IP...");
        self.wait_ssh()?;
        for attempt in 0..5 {
            if let Ok(ip) = self.guest_ip() {
                if !ip.is_empty() {
                    self.base.ip_address = ip;
                    return Ok(());
                }
            }
            if attempt < 4 {
                std::thread::sleep(self.tuning.ip_interval);
            }
        }
        bail!("Maximum number of retries (5) exceeded")
    }

    fn vbox_log(&self) -> Result<Vec<String>> {
        let path = self
            .base
            .machine_dir()
            .join(self.name())
            .join("Logs")
            .join("VBox.log");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| anyhow!(crate::fsutil::go_io_error("open", &path, &e)))?;
        Ok(text.lines().map(str::to_string).collect())
    }

    fn start_vm(&self) -> Result<()> {
        if let Err(e) = self
            .vbm()
            .run(&["startvm", self.name(), "--type", &self.own.ui_type])
        {
            if let Some(last) = self.vbox_log().ok().and_then(|l| l.last().cloned()) {
                bail!(
                    "Unable to start the VM: {e:#}
Details: {last}"
                );
            }
            bail!("Unable to start the VM: {e:#}");
        }
        Ok(())
    }

    /// `modifyvm --natpf1`: the SSH forward on the stored port when free, else a new one.
    fn forward_ssh(&mut self) -> Result<()> {
        let wanted = u16::try_from(self.base.ssh_port).unwrap_or(0);
        let port = (self.tuning.free_port)(wanted)?;
        let _ = self
            .vbm()
            .call(&["modifyvm", self.name(), "--natpf1", "delete", "ssh"]);
        self.vbm().run(&[
            "modifyvm",
            self.name(),
            "--natpf1",
            &format!("ssh,tcp,127.0.0.1,{port},,22"),
        ])?;
        self.base.ssh_port = i64::from(port);
        Ok(())
    }
}

/// The seams tests replace: the runner, the host, the ISO cache, waits, the guest.
#[cfg(test)]
impl VirtualBoxDriver {
    pub fn with_runner(mut self, runner: Arc<dyn CommandRunner>) -> Self {
        self.runner = runner;
        self
    }

    pub fn with_host(self, env: HostEnv) -> Self {
        let _ = self.host.set(env);
        self
    }

    pub fn with_b2d_cache(mut self, cache: B2dCache) -> Self {
        self.b2d = Some(cache);
        self
    }

    pub fn with_tuning(mut self, tuning: Tuning) -> Self {
        self.tuning = tuning;
        self
    }

    pub fn with_guest(mut self, guest: GuestShell) -> Self {
        self.guest = guest;
        self
    }

    /// Collect the driver's Info/Warn lines in `sink` instead of printing them.
    pub fn with_lines(mut self, sink: Arc<Mutex<Vec<String>>>) -> Self {
        self.lines = Some(sink);
        self
    }
}

/// The IPv4 address of the interface with this MAC in `ip addr show`'s output.
fn ip_for_mac(output: &str, mac: &str) -> Result<String> {
    let mut in_block = false;
    for line in output.lines().map(str::trim) {
        if line.starts_with("link") {
            if let Some(m) = line.split(' ').nth(1) {
                in_block = m.replace(':', "") == mac;
            }
        } else if in_block && line.starts_with("inet ") {
            if let Some(addr) = line.split(' ').nth(1) {
                return Ok(addr.split('/').next().unwrap_or(addr).to_string());
            }
        }
    }
    bail!("Could not find matching IP for MAC address {mac}")
}

impl Driver for VirtualBoxDriver {
    super::base_and_json!("virtualbox");

    fn set_config_from_flags(&mut self, opts: &DriverOptions) -> Result<()> {
        let install_url = opts.string("engine-install-url");
        if !install_url.is_empty() && install_url != super::DEFAULT_ENGINE_INSTALL_URL {
            bail!("--engine-install-url cannot be used with the virtualbox driver, use --virtualbox-boot2docker-url instead");
        }
        let o = &mut self.own;
        o.cpu = opts.int("virtualbox-cpu-count");
        o.memory = opts.int("virtualbox-memory");
        o.disk_size = opts.int("virtualbox-disk-size");
        o.boot2docker_url = opts.string("virtualbox-boot2docker-url");
        o.boot2docker_import_vm = opts.string("virtualbox-import-boot2docker-vm");
        o.host_dns_resolver = opts.bool("virtualbox-host-dns-resolver");
        o.nat_nic_type = opts.string("virtualbox-nat-nictype");
        o.host_only_cidr = opts.string("virtualbox-hostonly-cidr");
        o.host_only_nic_type = opts.string("virtualbox-hostonly-nictype");
        o.host_only_promisc_mode = opts.string("virtualbox-hostonly-nicpromisc");
        o.ui_type = opts.string("virtualbox-ui-type");
        o.host_only_no_dhcp = opts.bool("virtualbox-hostonly-no-dhcp");
        o.no_share = opts.bool("virtualbox-no-share");
        o.dns_proxy = !opts.bool("virtualbox-no-dns-proxy");
        o.no_vtx_check = opts.bool("virtualbox-no-vtx-check");
        o.share_folder = opts.string("virtualbox-share-folder");
        self.cidr_explicit = self.own.host_only_cidr != DEFAULT_HOST_ONLY_CIDR;
        self.base.ssh_user = "docker".into();
        self.base.ssh_key_path = Self::path_arg(&self.machine_path("id_rsa"));
        Ok(())
    }

    fn pre_create_check(&self) -> Result<()> {
        self.check_version()?;
        if !self.own.no_vtx_check {
            if self.hyperv_active() {
                bail!(ERR_HYPERV);
            }
            if self.vtx_disabled() {
                bail!(ERR_MUST_ENABLE_VTX);
            }
        }
        // The ISO is fetched now so that a failed download leaves no machine behind.
        self.b2d().update_iso_cache(&self.own.boot2docker_url)?;
        self.list_host_only()?;
        Ok(())
    }

    fn create(&mut self) -> Result<()> {
        self.choose_cidr()?;
        self.create_vm()?;
        self.say("Starting the VM...");
        self.start()
    }

    fn state(&self) -> Result<State> {
        Ok(Self::state_of(&self.vm_info()?))
    }

    fn url(&self) -> Result<String> {
        if self.state()? != State::Running {
            return Err(HostNotRunning.into());
        }
        let ip = if self.base.ip_address.is_empty() {
            self.guest_ip()?
        } else {
            self.base.ip_address.clone()
        };
        Ok(format!("tcp://{}", super::join_host_port(&ip, 2376)))
    }

    /// The live address on the host-only nic, as 0.16.2 asked the guest each time.
    fn ip(&self) -> Result<String> {
        self.guest_ip()
    }

    fn ssh_hostname(&self) -> Result<String> {
        Ok("127.0.0.1".into())
    }

    fn ssh_username(&self) -> String {
        if self.base.ssh_user.is_empty() {
            "docker".into()
        } else {
            self.base.ssh_user.clone()
        }
    }

    fn start(&mut self) -> Result<()> {
        let state = self.state()?;
        let mut adapter = None;
        if state == State::Stopped {
            self.say("Check network to re-create if needed...");
            adapter = Some(self.setup_host_only_network().map_err(|e| {
                anyhow!("Error setting up host only network on machine start: {e:#}")
            })?);
        }
        match state {
            State::Stopped | State::Saved => {
                self.forward_ssh()?;
                self.start_vm()?;
            }
            State::Paused => {
                self.vbm().run(&[
                    "controlvm",
                    self.name(),
                    "resume",
                    "--type",
                    &self.own.ui_type,
                ])?;
                self.say("Resuming VM ...");
            }
            _ => self.say("VM not in restartable state"),
        }
        if !self.own.no_vtx_check {
            let lines = self.vbox_log().map_err(|e| {
                anyhow!("Checking if hardware virtualization is enabled failed: {e:#}")
            })?;
            if vtx_disabled_in_log(&lines) {
                bail!(ERR_MUST_ENABLE_VTX);
            }
        }
        self.wait_ip()?;
        let Some((adapter, cidr)) = adapter else {
            return Ok(());
        };
        // The adapter can lose its address while the VM starts (seen on Windows): fix it
        // with the VM off, as 0.16.2 did.
        let nets = self.list_host_only()?;
        if let Some(hit) = network::collision(&cidr, &self.host().interfaces, &nets) {
            bail!(network::collision_error(&cidr, hit));
        }
        if network::find_adapter(&nets, &cidr).is_some() {
            return Ok(());
        }
        self.say("The host-only adapter is corrupted. Let's stop the VM, fix the host-only adapter and restart the VM");
        self.stop()?;
        std::thread::sleep(self.tuning.settle);
        self.save_ipv4(&adapter.name, &cidr)?;
        std::thread::sleep(self.tuning.settle);
        self.start_vm()?;
        self.wait_ip()
    }

    fn stop(&mut self) -> Result<()> {
        if self.state()? == State::Paused {
            self.vbm().run(&["controlvm", self.name(), "resume"])?;
            self.say("Resuming VM ...");
        }
        self.vbm()
            .run(&["controlvm", self.name(), "acpipowerbutton"])?;
        while self.state()? == State::Running {
            std::thread::sleep(self.tuning.poll);
        }
        self.base.ip_address.clear();
        Ok(())
    }

    fn restart(&mut self) -> Result<()> {
        self.stop()
            .map_err(|e| anyhow!("Problem stopping the VM: {e:#}"))?;
        self.start()
            .map_err(|e| anyhow!("Problem starting the VM: {e:#}"))
    }

    fn kill(&mut self) -> Result<()> {
        self.vbm().run(&["controlvm", self.name(), "poweroff"])
    }

    fn remove(&mut self) -> Result<()> {
        let state = match self.state() {
            Err(e) if e.is::<MachineNotExist>() => return Ok(()),
            other => other?,
        };
        if state != State::Stopped && state != State::Saved {
            self.kill()?;
        }
        self.vbm().run(&["unregistervm", "--delete", self.name()])
    }
}

/// The VM log says hardware virtualisation is missing.
fn vtx_disabled_in_log(lines: &[String]) -> bool {
    lines.iter().any(|l| {
        (l.contains("VT-x is disabled")
            && !l.contains(
                "Falling back to raw-mode: VT-x is disabled in the BIOS for all CPU modes",
            ))
            || l.contains("the host CPU does NOT support HW virtualization")
            || l.contains("VERR_VMX_UNABLE_TO_START_VM")
            || (l.contains("Power up failed") && l.contains("VERR_VMX_NO_VMX"))
    })
}

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::int(
            "virtualbox-memory",
            "VIRTUALBOX_MEMORY_SIZE",
            "Size of memory for host in MB",
            1024,
        ),
        Flag::int(
            "virtualbox-cpu-count",
            "VIRTUALBOX_CPU_COUNT",
            "number of CPUs for the machine (-1 to use the number of CPUs available)",
            1,
        ),
        Flag::int("virtualbox-disk-size", "VIRTUALBOX_DISK_SIZE", "Size of disk for host in MB", 20000),
        Flag::string(
            "virtualbox-boot2docker-url",
            "VIRTUALBOX_BOOT2DOCKER_URL",
            "The URL of the boot2docker image. Defaults to the latest available version",
            "",
        ),
        Flag::string(
            "virtualbox-import-boot2docker-vm",
            "VIRTUALBOX_BOOT2DOCKER_IMPORT_VM",
            "The name of a Boot2Docker VM to import",
            "",
        ),
        Flag::bool(
            "virtualbox-host-dns-resolver",
            "VIRTUALBOX_HOST_DNS_RESOLVER",
            "Use the host DNS resolver",
        ),
        Flag::string(
            "virtualbox-nat-nictype",
            "VIRTUALBOX_NAT_NICTYPE",
            "Specify the Network Adapter Type",
            "82540EM",
        ),
        Flag::string(
            "virtualbox-hostonly-cidr",
            "VIRTUALBOX_HOSTONLY_CIDR",
            "Specify the Host Only CIDR",
            "192.168.99.1/24",
        ),
        Flag::string(
            "virtualbox-hostonly-nictype",
            "VIRTUALBOX_HOSTONLY_NIC_TYPE",
            "Specify the Host Only Network Adapter Type",
            "82540EM",
        ),
        Flag::string(
            "virtualbox-hostonly-nicpromisc",
            "VIRTUALBOX_HOSTONLY_NIC_PROMISC",
            "Specify the Host Only Network Adapter Promiscuous Mode",
            "deny",
        ),
        Flag::string(
            "virtualbox-ui-type",
            "VIRTUALBOX_UI_TYPE",
            "Specify the UI Type: (gui|sdl|headless|separate)",
            "headless",
        ),
        Flag::bool(
            "virtualbox-hostonly-no-dhcp",
            "VIRTUALBOX_HOSTONLY_NO_DHCP",
            "Disable the Host Only DHCP Server",
        ),
        Flag::bool(
            "virtualbox-no-share",
            "VIRTUALBOX_NO_SHARE",
            "Disable the mount of your home directory",
        ),
        Flag::bool(
            "virtualbox-no-dns-proxy",
            "VIRTUALBOX_NO_DNS_PROXY",
            "Disable proxying all DNS requests to the host",
        ),
        Flag::bool(
            "virtualbox-no-vtx-check",
            "VIRTUALBOX_NO_VTX_CHECK",
            "Disable checking for the availability of hardware virtualization before the vm is started",
        ),
        Flag::string(
            "virtualbox-share-folder",
            "VIRTUALBOX_SHARE_FOLDER",
            "Mount the specified directory instead of the default home location. Format: dir:name",
            "",
        ),
    ]
}
