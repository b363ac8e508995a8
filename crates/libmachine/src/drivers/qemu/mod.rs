//! The `qemu` driver: a local Docker host as a QEMU virtual machine, the default driver
//! on Linux. Like Lima: a cloud image, a cloud-init NoCloud seed carrying the machine's
//! SSH key, user-mode networking with the SSH and Docker ports forwarded on 127.0.0.1.
//!
//! The VM runs detached with a pid file, a QMP socket (a loopback TCP port where there
//! are no Unix sockets) and a serial log in the machine directory, so it outlives the
//! docker-machine process. Its disk is an
//! overlay on a base image in `<store>/cache/qemu`, which is never modified.
//!
//! `ip` is 127.0.0.1: the VM is only reachable through its loopback forwards (QEMU's
//! user-mode network gives the guest 10.0.2.15, which the host cannot route to), and
//! `url` is tcp://127.0.0.1:PORT with the Docker forward's port. Inside the VM dockerd
//! listens on 2376 as everywhere else.
//!
//! `qemu-img` runs through the command-runner seam, so its steps are tested without it
//! (`tests.rs`); QEMU itself is a detached daemon that outlives us, started directly.

mod host;
mod image;
mod network;
mod process;
mod qmp;
mod ready;
#[cfg(test)]
mod tests;

use super::{BaseDriver, Driver, DriverSpec, HostNotRunning};
use crate::cidata;
use crate::download::Progress;
use crate::mcnflag::{DriverOptions, Flag};
use crate::runner::{CommandRunner, SystemRunner};
use crate::state::State;
use anyhow::{anyhow, bail, Context, Result};
use process::{Accel, Launch};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use image::DEFAULT_IMAGE_URL;

pub static SPEC: DriverSpec = DriverSpec {
    name: "qemu",
    create_flags,
    new: |machine_name, store_path| Box::new(QemuDriver::new(machine_name, store_path)),
    load: |json| Ok(Box::new(QemuDriver::from_json(json)?)),
    implemented: true,
};

/// The port dockerd listens on inside the VM; the host reaches it through a forward.
const DOCKER_PORT_IN_VM: u16 = 2376;

fn default_binary() -> String {
    format!("qemu-system-{}", std::env::consts::ARCH)
}

fn create_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "qemu-image",
            "QEMU_IMAGE",
            "Cloud image (qcow2 or raw): a URL, downloaded once into the store's cache, or a local path",
            DEFAULT_IMAGE_URL,
        ),
        Flag::string("qemu-image-sha256", "QEMU_IMAGE_SHA256", "Expected sha256 of the downloaded image (checked when given)", ""),
        Flag::string("qemu-kernel", "QEMU_KERNEL", "Kernel for direct kernel boot (images without a boot loader)", ""),
        Flag::string("qemu-initrd", "QEMU_INITRD", "Initrd for direct kernel boot", ""),
        Flag::string(
            "qemu-append",
            "QEMU_APPEND",
            "Kernel command line for direct kernel boot",
            "root=/dev/vda rw console=ttyS0,115200n8",
        ),
        Flag::int("qemu-memory", "QEMU_MEMORY", "Memory of the VM in MB", 2048),
        Flag::int("qemu-cpus", "QEMU_CPUS", "Number of virtual CPUs", 2),
        Flag::int("qemu-disk-size", "QEMU_DISK_SIZE", "Disk size in MB (the guest file system grows to it)", 20000),
        Flag::string(
            "qemu-accel",
            "QEMU_ACCEL",
            "Acceleration: auto (KVM when /dev/kvm works and the CPU has vmx/svm, else TCG), kvm or tcg",
            "auto",
        ),
        Flag::string("qemu-ssh-user", "QEMU_SSH_USER", "User created in the VM for SSH", "docker"),
        Flag::string("qemu-binary", "QEMU_BINARY", "QEMU system emulator to run", &default_binary()),
        Flag::string("qemu-extra-args", "QEMU_EXTRA_ARGS", "Extra arguments for QEMU, split on white space", ""),
        Flag::string(
            "qemu-network",
            "QEMU_NETWORK",
            "Private network shared by the machines given the same name: a second NIC on a vde_switch, with an address of 10.76.0.0/24",
            "",
        ),
        Flag::bool(
            "qemu-no-cache",
            "QEMU_NO_CACHE",
            "Neither boot from nor save a Docker-ready image in the store's cache: install Docker on the base image",
        ),
    ]
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct Own {
    #[serde(rename = "Image")]
    image: String,
    #[serde(rename = "ImageSHA256")]
    image_sha256: String,
    #[serde(rename = "Kernel")]
    kernel: String,
    #[serde(rename = "Initrd")]
    initrd: String,
    #[serde(rename = "Append")]
    append: String,
    #[serde(rename = "Memory")]
    memory: i64,
    #[serde(rename = "CPUs")]
    cpus: i64,
    #[serde(rename = "DiskSize")]
    disk_size: i64,
    #[serde(rename = "Accel")]
    accel: String,
    #[serde(rename = "Binary")]
    binary: String,
    #[serde(rename = "ExtraArgs")]
    extra_args: String,
    /// Host port forwarded to dockerd's 2376 in the VM (`SSHPort` holds the SSH forward).
    #[serde(rename = "EnginePort")]
    engine_port: i64,
    /// Host port of the QMP server, where it listens on TCP (Windows); else absent.
    #[serde(rename = "QMPPort", skip_serializing_if = "is_zero")]
    qmp_port: i64,
    /// The cached base image the overlay is backed by, and its format.
    #[serde(rename = "BaseImage")]
    base_image: String,
    #[serde(rename = "BaseFormat")]
    base_format: String,
    #[serde(rename = "KernelPath")]
    kernel_path: String,
    #[serde(rename = "InitrdPath")]
    initrd_path: String,
    /// `--qemu-network`: the private network's name, and the machine's address on it.
    #[serde(rename = "Network", skip_serializing_if = "String::is_empty")]
    network: String,
    #[serde(rename = "NetworkAddress", skip_serializing_if = "String::is_empty")]
    network_address: String,
    /// `--qemu-no-cache`: no Docker-ready image is used or made.
    #[serde(rename = "NoCache", skip_serializing_if = "is_false")]
    no_cache: bool,
    /// The Docker-ready image the overlay is backed by, when the machine booted one.
    #[serde(rename = "DockerReadyImage", skip_serializing_if = "String::is_empty")]
    docker_ready_image: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

pub struct QemuDriver {
    base: BaseDriver,
    own: Own,
    /// Runs `qemu-img`; QEMU itself is a detached long-running process ([`process`]).
    runner: Arc<dyn CommandRunner>,
}

impl QemuDriver {
    pub fn new(machine_name: &str, store_path: &str) -> QemuDriver {
        let mut base = BaseDriver::new(machine_name, store_path);
        base.ip_address = "127.0.0.1".into();
        base.ssh_user = "docker".into();
        QemuDriver {
            base,
            own: Own::default(),
            runner: SystemRunner::shared(),
        }
    }

    fn from_json(json: Value) -> Result<QemuDriver> {
        let (base, own) = super::split_driver_json(json)?;
        Ok(QemuDriver {
            base,
            own,
            runner: SystemRunner::shared(),
        })
    }

    /// A driver whose `qemu-img` calls go to `runner` (tests).
    pub fn with_runner(mut self, runner: Arc<dyn CommandRunner>) -> QemuDriver {
        self.runner = runner;
        self
    }

    fn log(&self, msg: &str) {
        crate::log::info(&format!("({}) {msg}", self.base.machine_name));
    }

    fn dir(&self) -> PathBuf {
        self.base.machine_dir()
    }

    fn store_path(&self) -> PathBuf {
        PathBuf::from(&self.base.store_path)
    }

    fn qemu_img(&self) -> String {
        // qemu-img ships beside the emulator; prefer the one next to a given binary.
        let img = format!("qemu-img{}", std::env::consts::EXE_SUFFIX);
        let sibling = Path::new(&self.own.binary).with_file_name(img);
        if sibling.is_absolute() && sibling.exists() {
            sibling.to_string_lossy().into_owned()
        } else {
            "qemu-img".into()
        }
    }

    /// The base image in the cache (downloading or importing it), and its format.
    fn resolve_image(&self) -> Result<(PathBuf, &'static str)> {
        let spec = &self.own.image;
        let cache = image::cache(&self.store_path());
        let path = if image::is_url(spec) {
            if !cache.download_path(spec).exists() {
                self.log(&format!("Downloading {spec}..."));
            }
            let sha = Some(self.own.image_sha256.as_str()).filter(|s| !s.is_empty());
            cache.fetch(spec, sha, Progress::for_stderr())?
        } else {
            let local = local_image_path(spec);
            image::disk_format(&local)?;
            cache.import_local(&local)?
        };
        let format = image::disk_format(&path)?;
        image::check_with_qemu_img(self.runner.as_ref(), &self.qemu_img(), &path, format)?;
        Ok((path, format))
    }

    /// The machine's disk, an overlay on the cached base image.
    fn create_disk(&self, base: &Path, format: &str) -> Result<()> {
        self.log(&format!("Creating a {} MB disk...", self.own.disk_size));
        let size = u64::try_from(self.own.disk_size).unwrap_or(20000);
        image::create_overlay(
            self.runner.as_ref(),
            &self.qemu_img(),
            base,
            format,
            &self.dir().join("disk.qcow2"),
            size,
        )
    }

    fn launch(&self, ssh_port: u16, docker_port: u16, qmp_port: u16, accel: Accel) -> Result<()> {
        let dir = self.dir();
        let qmp = process::qmp_endpoint(&dir, qmp_port);
        let kernel = PathBuf::from(&self.own.kernel_path);
        let initrd = PathBuf::from(&self.own.initrd_path);
        let network = if self.own.network.is_empty() {
            None
        } else {
            let sockets = network::ensure_switch(&self.store_path(), &self.own.network)?;
            let mac = network::mac(&self.own.network, &self.own.network_address);
            Some((sockets, mac))
        };
        Launch {
            binary: &self.own.binary,
            name: &self.base.machine_name,
            dir: &dir,
            accel,
            memory_mb: self.own.memory,
            cpus: self.own.cpus,
            kernel: (!self.own.kernel_path.is_empty()).then_some(kernel.as_path()),
            initrd: (!self.own.initrd_path.is_empty()).then_some(initrd.as_path()),
            append: &self.own.append,
            ssh_port,
            docker_port,
            qmp: &qmp,
            extra_args: &self.own.extra_args,
            network: network.as_ref().map(|(s, m)| (s.as_path(), m.as_str())),
        }
        .spawn()
    }

    /// Start QEMU on the stored ports when they are free, else on new ones (a port can
    /// be taken while the VM is off); retried when QEMU loses a race for a port.
    fn start_vm(&mut self) -> Result<()> {
        let (accel, why) = process::choose_accel(&self.own.accel)?;
        self.log(&format!("Starting the VM with {why}"));
        let mut last_err = None;
        for attempt in 0..5 {
            let ssh = self.base.ssh_port_or_default();
            let docker = u16::try_from(self.own.engine_port).unwrap_or(0);
            let ssh = if attempt == 0 && ssh != 22 && process::port_is_free(ssh) {
                ssh
            } else {
                process::free_port()?
            };
            let docker = if attempt == 0 && process::port_is_free(docker) {
                docker
            } else {
                process::free_port()?
            };
            let qmp = if process::QMP_OVER_TCP {
                process::free_port()?
            } else {
                0
            };
            if ssh == docker || (qmp != 0 && (qmp == ssh || qmp == docker)) {
                continue;
            }
            match self.launch(ssh, docker, qmp, accel) {
                Ok(()) => {
                    self.base.ssh_port = i64::from(ssh);
                    self.own.engine_port = i64::from(docker);
                    self.own.qmp_port = i64::from(qmp);
                    return Ok(());
                }
                // Another program took one of the ports between the check and QEMU.
                Err(e)
                    if ["host forwarding rule", "Failed to bind socket"]
                        .iter()
                        .any(|m| e.to_string().contains(m)) =>
                {
                    last_err = Some(e)
                }
                Err(e) => return Err(e),
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow::anyhow!("no free ports on 127.0.0.1")))
    }

    /// Wait until QEMU process `pid` has exited. Its pid file disappears as soon as it
    /// starts shutting down, so the process itself is watched.
    fn wait_gone(pid: i32, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while process::alive(pid) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        true
    }

    fn qmp(&self) -> Result<qmp::Qmp> {
        let port = u16::try_from(self.own.qmp_port).unwrap_or(0);
        qmp::Qmp::connect(
            &process::qmp_endpoint(&self.dir(), port),
            Duration::from_secs(5),
        )
    }

    /// Quit QEMU now (no guest shutdown), by QMP and else by signal.
    fn hard_stop(&self) -> Result<()> {
        let Some(pid) = process::running_pid(&self.dir()) else {
            return Ok(());
        };
        if let Ok(mut q) = self.qmp() {
            let _ = q.execute("quit", None);
        }
        if !Self::wait_gone(pid, Duration::from_secs(5)) {
            process::kill(pid);
            if !Self::wait_gone(pid, Duration::from_secs(5)) {
                bail!("QEMU (pid {pid}) did not exit");
            }
        }
        Ok(())
    }
}

impl QemuDriver {
    /// The Docker-ready image for `base` this machine can boot: not opted out, one in the
    /// cache, and no bigger than the disk asked for.
    fn docker_ready(&self, base: &Path) -> Result<Option<PathBuf>> {
        if self.own.no_cache {
            return Ok(None);
        }
        let Some(entry) = ready::find(&self.store_path(), &ready::base_key(base)?) else {
            return Ok(None);
        };
        let size =
            image::check_with_qemu_img(self.runner.as_ref(), &self.qemu_img(), &entry, "qcow2")?;
        let wanted = u64::try_from(self.own.disk_size).unwrap_or(0) * 1024 * 1024;
        if size > wanted {
            self.log(&format!(
                "The Docker-ready image {} is bigger than --qemu-disk-size: installing Docker on the base image",
                entry.display()
            ));
            return Ok(None);
        }
        Ok(Some(entry))
    }

    /// Copy the provisioned disk into the Docker-ready cache (see [`ready`]). The
    /// machine keeps running; its identity is away from its disk only during the copy's
    /// first instant.
    fn save_docker_ready(&self, ssh: &dyn crate::ssh::SshClient) -> Result<()> {
        let store = self.store_path();
        let base_key = ready::base_key(Path::new(&self.own.base_image))?;
        let version =
            ready::parse_version(&ssh.run("sudo docker version --format '{{.Server.Version}}'")?)?;
        let entry = ready::entry_path(&store, &base_key, &version);
        if entry.exists() {
            return Ok(());
        }
        self.log("Saving a Docker-ready image for later creates...");
        let tmp = ready::temp_path(&entry)?;
        let script = crate::ssh::shell_quote(&ready::guest_hide_script());
        let hidden = ssh.run(&format!("sudo sh -c {script}"));
        let hidden_at = Instant::now();
        let copied = hidden.and_then(|_| self.copy_disk(&tmp, hidden_at));
        let restored = wait_restored(ssh);
        match copied.and_then(|()| ready::publish(&tmp, &entry)) {
            Ok(()) => restored,
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                restored.and(Err(e))
            }
        }
    }

    /// QEMU's point-in-time copy of the running VM's disk (with its backing chain) to
    /// `tmp`, started while the guest's identity is away (before `hidden_at` + the
    /// window); returns once the copy is whole.
    fn copy_disk(&self, tmp: &Path, hidden_at: Instant) -> Result<()> {
        const JOB: &str = "docker-ready";
        let window = Duration::from_secs(ready::HIDE_SECONDS);
        let mut q = self.qmp()?;
        q.execute(
            "drive-backup",
            Some(serde_json::json!({
                "job-id": JOB, "device": "disk", "target": tmp.to_string_lossy(),
                "format": "qcow2", "sync": "full", "mode": "absolute-paths",
                "auto-dismiss": false,
            })),
        )?;
        if hidden_at.elapsed() >= window / 2 {
            let _ = q.execute(
                "block-job-cancel",
                Some(serde_json::json!({"device": JOB, "force": true})),
            );
            bail!(
                "the disk copy started too late ({} s after the guest got ready)",
                hidden_at.elapsed().as_secs()
            );
        }
        let deadline = Instant::now() + Duration::from_secs(900);
        loop {
            let jobs = q.execute("query-jobs", None)?;
            let job = jobs
                .as_array()
                .and_then(|j| j.iter().find(|j| j["id"] == JOB))
                .cloned()
                .context("the disk copy job vanished")?;
            if job["status"] == "concluded" {
                let _ = q.execute("job-dismiss", Some(serde_json::json!({"id": JOB})));
                if let Some(e) = job.get("error").and_then(Value::as_str) {
                    bail!("copying the disk: {e}");
                }
                return Ok(());
            }
            if Instant::now() >= deadline {
                let _ = q.execute("job-cancel", Some(serde_json::json!({"id": JOB})));
                bail!("copying the disk took more than 15 minutes");
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }
}

/// Wait until the guest has put its identity back and Docker answers again.
fn wait_restored(ssh: &dyn crate::ssh::SshClient) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(ready::HIDE_SECONDS + 120);
    loop {
        // SSH fails while the host keys are away; a client that reached the daemon's
        // socket while it restarted may never be answered, hence the timeout.
        match ssh
            .output("test ! -e /run/dm-identity.tar && timeout 10 sudo docker version >/dev/null")
        {
            Ok(out) if out.status == 0 => return Ok(()),
            _ if Instant::now() >= deadline => {
                bail!("the machine did not get its identity back after the Docker-ready copy")
            }
            _ => std::thread::sleep(Duration::from_secs(2)),
        }
    }
}

/// The last `lines` lines of a text file (empty when unreadable).
fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read(path).unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let all: Vec<&str> = text
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

fn local_image_path(spec: &str) -> PathBuf {
    PathBuf::from(spec.strip_prefix("file://").unwrap_or(spec))
}

/// Free space a new machine needs besides its base image: the overlay's first writes
/// (Docker's packages and images) and room to breathe.
const MIN_FREE_MB: u64 = 2048;

impl Driver for QemuDriver {
    super::base_and_json!("qemu");
    fn set_config_from_flags(&mut self, opts: &DriverOptions) -> Result<()> {
        self.own.image = opts.string("qemu-image");
        self.own.image_sha256 = opts.string("qemu-image-sha256");
        self.own.kernel = opts.string("qemu-kernel");
        self.own.initrd = opts.string("qemu-initrd");
        self.own.append = opts.string("qemu-append");
        self.own.memory = opts.int("qemu-memory");
        self.own.cpus = opts.int("qemu-cpus");
        self.own.disk_size = opts.int("qemu-disk-size");
        self.own.accel = opts.string("qemu-accel");
        self.base.ssh_user = opts.string("qemu-ssh-user");
        self.own.binary = opts.string("qemu-binary");
        self.own.extra_args = opts.string("qemu-extra-args");
        self.own.no_cache = opts.bool("qemu-no-cache");
        self.own.network = opts.string("qemu-network");
        if !self.own.network.is_empty() {
            network::check_name(&self.own.network)?;
        }
        if self.own.memory < 128 {
            bail!("--qemu-memory must be at least 128 (MB)");
        }
        if self.own.cpus < 1 {
            bail!("--qemu-cpus must be at least 1");
        }
        if self.own.disk_size < 1024 {
            bail!("--qemu-disk-size must be at least 1024 (MB)");
        }
        if self.own.image.is_empty() {
            bail!("--qemu-image must not be empty");
        }
        if self.own.initrd.is_empty() != self.own.kernel.is_empty() && !self.own.initrd.is_empty() {
            bail!("--qemu-initrd needs --qemu-kernel");
        }
        self.base.ssh_key_path = self.dir().join("id_rsa").to_string_lossy().into_owned();
        Ok(())
    }

    fn pre_create_check(&self) -> Result<()> {
        if !host::which(&self.own.binary) {
            bail!("QEMU is not installed: {:?} was not found (on Debian: apt-get install qemu-system-x86 qemu-utils)", self.own.binary);
        }
        if !host::which(&self.qemu_img()) {
            bail!("qemu-img was not found (on Debian: apt-get install qemu-utils)");
        }
        process::choose_accel(&self.own.accel)?;
        if !self.own.network.is_empty() && (cfg!(not(unix)) || !host::which(network::SWITCH)) {
            bail!(
                "--qemu-network needs {} (on Debian: apt-get install vde-switch), which is not installed",
                network::SWITCH
            );
        }
        if let Some(total) = host::memory_mb() {
            if self.own.memory > total {
                bail!(
                    "--qemu-memory {} MB is more than this host has ({total} MB)",
                    self.own.memory
                );
            }
        }
        let store = self.store_path();
        let cached = image::is_url(&self.own.image)
            && image::cache(&store).download_path(&self.own.image).exists();
        if let Some(free) = host::free_disk_mb(&store) {
            let needed = MIN_FREE_MB
                + if image::is_url(&self.own.image) && !cached {
                    1024
                } else {
                    0
                };
            if free < needed {
                bail!(
                    "not enough disk space in {}: {free} MB free, at least {needed} MB needed",
                    store.display()
                );
            }
        }
        for (flag, path) in [
            ("--qemu-kernel", &self.own.kernel),
            ("--qemu-initrd", &self.own.initrd),
        ] {
            if !path.is_empty() && !Path::new(path).is_file() {
                bail!("{flag} {path}: no such file");
            }
        }
        // Downloads happen here so that a failed one leaves no machine behind; a local
        // image is only checked (it is imported into the cache by `create`).
        if image::is_url(&self.own.image) {
            self.resolve_image().map(|_| ())
        } else {
            let local = local_image_path(&self.own.image);
            let format = image::disk_format(&local)?;
            image::check_with_qemu_img(self.runner.as_ref(), &self.qemu_img(), &local, format)
                .map(|_| ())
        }
    }

    fn create(&mut self) -> Result<()> {
        let dir = self.dir();
        crate::fsutil::create_private_dir(&dir)?;
        let (base, format) = self.resolve_image()?;
        self.own.base_image = base.to_string_lossy().into_owned();
        self.own.base_format = format.to_string();
        let cache = image::cache(&self.store_path());
        if !self.own.kernel.is_empty() {
            self.own.kernel_path = cache
                .import_local(Path::new(&self.own.kernel))?
                .to_string_lossy()
                .into_owned();
        }
        if !self.own.initrd.is_empty() {
            self.own.initrd_path = cache
                .import_local(Path::new(&self.own.initrd))?
                .to_string_lossy()
                .into_owned();
        }

        self.log("Creating SSH key...");
        let key = dir.join("id_rsa");
        crate::ssh::keys::generate_key_pair(&key)?;
        let public =
            std::fs::read_to_string(dir.join("id_rsa.pub")).context("reading the public key")?;

        // The VM's SSH host key is made here and pinned before the first boot, so even
        // the first connection is checked.
        let (host_private, host_public) = crate::ssh::keys::ed25519_pair()?;
        self.base.host_key_pin().record(&host_public)?;
        let host_key = cidata::HostKey {
            private_openssh: host_private,
            public_openssh: host_public
                .to_openssh()
                .map_err(|e| anyhow!("encoding the host key: {e}"))?,
        };

        self.log("Creating the cloud-init seed...");
        let name = &self.base.machine_name;
        let instance = format!(
            "iid-{name}-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs()
        );
        let mut user_data = cidata::user_data(name, &self.base.ssh_user, &public, &host_key);
        if !self.own.network.is_empty() {
            let store = self.store_path();
            let address = network::lease(&store, &self.own.network, name)?;
            let mac = network::mac(&self.own.network, &address);
            user_data = cidata::with_boot_script(user_data, &network::boot_script(&mac, &address));
            self.own.network_address = address;
        }
        let seed = cidata::build(&user_data, &cidata::meta_data(&instance, name))?;
        crate::fsutil::write_atomic(&dir.join("seed.img"), &seed, 0o600)?;

        match self.docker_ready(&base)? {
            Some(ready) => {
                self.log("Booting the Docker-ready image from the cache...");
                self.create_disk(&ready, "qcow2")?;
                self.own.docker_ready_image = ready.to_string_lossy().into_owned();
            }
            None => self.create_disk(&base, format)?,
        }
        self.start_vm()
    }

    /// After the first provisioned create from a base image, its disk (identity taken
    /// out) becomes the Docker-ready image later creates boot.
    fn provisioned(&mut self, ssh: &dyn crate::ssh::SshClient) -> Result<()> {
        if self.own.no_cache || !self.own.docker_ready_image.is_empty() {
            return Ok(());
        }
        self.save_docker_ready(ssh)
            .context("the Docker-ready image was not saved")
    }

    /// QEMU gone before the machine answered: what it said last, and the console's tail.
    fn check_booting(&self) -> Result<()> {
        let dir = self.dir();
        if process::running_pid(&dir).is_some() {
            return Ok(());
        }
        let pid = std::fs::read_to_string(process::pid_file(&dir)).ok();
        let how = match pid.as_deref().map(str::trim) {
            // QEMU deletes its pid file when it exits by itself.
            Some(pid) => format!("QEMU (pid {pid}) was killed while the VM booted"),
            None => "QEMU exited while the VM booted".to_string(),
        };
        let said = tail(&process::log_file(&dir), 3);
        let console = tail(&dir.join("console.log"), 15);
        bail!(
            "{how}{}\nLast lines of {}:\n{console}",
            if said.is_empty() {
                String::new()
            } else {
                format!(": {}", said.replace('\n', "; "))
            },
            dir.join("console.log").display()
        )
    }

    fn state(&self) -> Result<State> {
        if process::running_pid(&self.dir()).is_none() {
            return Ok(State::Stopped);
        }
        // QMP serves one client at a time; a busy socket means someone else is asking,
        // and the live process is answer enough.
        match self.qmp().and_then(|mut q| q.status()) {
            Ok(s) => Ok(match s.as_str() {
                "running" => State::Running,
                "paused" | "suspended" | "prelaunch" | "inmigrate" => State::Paused,
                "shutdown" => State::Stopping,
                "internal-error" | "guest-panicked" | "io-error" => State::Error,
                _ => State::Running,
            }),
            Err(_) => Ok(State::Running),
        }
    }

    fn url(&self) -> Result<String> {
        if self.state()? != State::Running {
            return Err(HostNotRunning.into());
        }
        Ok(format!("tcp://127.0.0.1:{}", self.own.engine_port))
    }

    fn ip(&self) -> Result<String> {
        Ok("127.0.0.1".into())
    }

    fn docker_port_in_machine(&self) -> Option<u16> {
        Some(DOCKER_PORT_IN_VM)
    }

    fn start(&mut self) -> Result<()> {
        if process::running_pid(&self.dir()).is_some() {
            return Ok(());
        }
        self.start_vm()
    }

    /// ACPI power-down, so the guest shuts down cleanly; QEMU exits when it has.
    fn stop(&mut self) -> Result<()> {
        let Some(pid) = process::running_pid(&self.dir()) else {
            return Ok(());
        };
        self.qmp()?.execute("system_powerdown", None)?;
        // Software-emulated guests take a while to shut down.
        if !Self::wait_gone(pid, Duration::from_secs(120)) {
            self.log("The guest did not power off in time; stopping QEMU");
            self.hard_stop()?;
        }
        Ok(())
    }

    fn restart(&mut self) -> Result<()> {
        self.stop()?;
        self.start_vm()
    }

    fn kill(&mut self) -> Result<()> {
        self.hard_stop()
    }

    fn remove(&mut self) -> Result<()> {
        self.hard_stop()?;
        if !self.own.network.is_empty() {
            network::release(
                &self.store_path(),
                &self.own.network,
                &self.own.network_address,
                &self.base.machine_name,
            );
        }
        Ok(())
    }
}
