//! The QEMU process: acceleration choice, free loopback ports, the command line, and
//! whether the process behind a pid file still runs.

use anyhow::{bail, Context, Result};
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How the VM is accelerated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accel {
    Kvm,
    Tcg,
}

/// `auto`: KVM only when /dev/kvm can be opened AND the CPU advertises vmx or svm.
/// A /dev/kvm without them (nested "PVM" hosts) runs stock kernels far slower than
/// software emulation, so it does not count. Returns the choice and why.
pub fn choose_accel(wanted: &str) -> Result<(Accel, String)> {
    let kvm_usable = fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok();
    let cpu_flags = fs::read_to_string("/proc/cpuinfo")
        .map(|c| c.split_whitespace().any(|w| w == "vmx" || w == "svm"))
        .unwrap_or(false);
    match wanted {
        "kvm" => {
            if !kvm_usable {
                bail!("--qemu-accel kvm: /dev/kvm cannot be opened");
            }
            Ok((Accel::Kvm, "KVM (as requested)".into()))
        }
        "tcg" => Ok((Accel::Tcg, "TCG software emulation (as requested)".into())),
        "" | "auto" => Ok(match (kvm_usable, cpu_flags) {
            (true, true) => (Accel::Kvm, "KVM hardware acceleration".into()),
            (true, false) => (
                Accel::Tcg,
                "TCG software emulation: /dev/kvm exists but the CPU has no vmx/svm (nested virtualisation), which is slower than TCG".into(),
            ),
            (false, _) => (Accel::Tcg, "TCG software emulation: /dev/kvm is not usable".into()),
        }),
        other => bail!("--qemu-accel must be auto, kvm or tcg, not {other:?}"),
    }
}

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub fn port_is_free(port: u16) -> bool {
    port != 0 && TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// Everything needed to start the VM.
pub struct Launch<'a> {
    pub binary: &'a str,
    pub name: &'a str,
    pub dir: &'a Path,
    pub accel: Accel,
    pub memory_mb: i64,
    pub cpus: i64,
    pub kernel: Option<&'a Path>,
    pub initrd: Option<&'a Path>,
    pub append: &'a str,
    pub ssh_port: u16,
    pub docker_port: u16,
    pub extra_args: &'a str,
}

pub fn pid_file(dir: &Path) -> PathBuf {
    dir.join("qemu.pid")
}

pub fn qmp_socket(dir: &Path) -> PathBuf {
    dir.join("qmp.sock")
}

impl Launch<'_> {
    pub fn args(&self) -> Vec<String> {
        let d = |f: &str| self.dir.join(f).to_string_lossy().into_owned();
        let mut a: Vec<String> = vec!["-name".into(), self.name.into()];
        match self.accel {
            Accel::Kvm => a.extend(["-accel".into(), "kvm".into(), "-cpu".into(), "host".into()]),
            Accel::Tcg => a.extend([
                "-accel".into(),
                "tcg,thread=multi".into(),
                "-cpu".into(),
                "max".into(),
            ]),
        }
        a.extend([
            "-machine".into(),
            "q35".into(),
            "-m".into(),
            self.memory_mb.to_string(),
            "-smp".into(),
            self.cpus.to_string(),
        ]);
        if let Some(kernel) = self.kernel {
            a.extend(["-kernel".into(), kernel.to_string_lossy().into_owned()]);
            if let Some(initrd) = self.initrd {
                a.extend(["-initrd".into(), initrd.to_string_lossy().into_owned()]);
            }
            if !self.append.is_empty() {
                a.extend(["-append".into(), self.append.into()]);
            }
        }
        a.extend([
            "-drive".into(),
            format!(
                "file={},format=qcow2,if=virtio,discard=unmap",
                d("disk.qcow2")
            ),
            "-drive".into(),
            format!("file={},format=raw,if=virtio,readonly=on", d("seed.img")),
            // User-mode networking: the VM reaches out through QEMU; from the host only
            // the SSH and Docker forwards exist, bound to loopback.
            "-netdev".into(),
            format!(
                "user,id=net0,ipv6=off,hostfwd=tcp:127.0.0.1:{}-:22,hostfwd=tcp:127.0.0.1:{}-:2376",
                self.ssh_port, self.docker_port
            ),
            "-device".into(),
            "virtio-net-pci,netdev=net0".into(),
            "-device".into(),
            "virtio-rng-pci".into(),
            "-display".into(),
            "none".into(),
            "-vga".into(),
            "none".into(),
            "-serial".into(),
            format!("file:{}", d("console.log")),
            "-qmp".into(),
            format!("unix:{},server=on,wait=off", qmp_socket(self.dir).display()),
            "-pidfile".into(),
            pid_file(self.dir).to_string_lossy().into_owned(),
            "-daemonize".into(),
        ]);
        a.extend(self.extra_args.split_whitespace().map(String::from));
        a
    }

    /// Start QEMU detached (it daemonizes itself after writing the pid file, so the VM
    /// outlives docker-machine). Errors QEMU prints before detaching are returned.
    pub fn spawn(&self) -> Result<()> {
        let _ = fs::remove_file(qmp_socket(self.dir));
        let out = Command::new(self.binary)
            .args(self.args())
            .stdin(std::process::Stdio::null())
            .output()
            .with_context(|| format!("starting {}", self.binary))?;
        if !out.status.success() {
            bail!(
                "{} failed: {}",
                self.binary,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }
}

/// The pid in the pid file, if that process is still a live QEMU.
pub fn running_pid(dir: &Path) -> Option<i32> {
    let pid: i32 = fs::read_to_string(pid_file(dir))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    // A recycled pid belongs to some other program: check that it is a QEMU process.
    let is_qemu = fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).contains("qemu"))
        .unwrap_or(true);
    (alive(pid) && is_qemu).then_some(pid)
}

/// Whether `pid` runs (a zombie, which QEMU briefly is after exiting, does not).
pub fn alive(pid: i32) -> bool {
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks that the process exists.
    if unsafe { libc::kill(pid, 0) } != 0 {
        return false;
    }
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state letter follows the parenthesised command name.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_none_or(|(_, rest)| !rest.starts_with(['Z', 'X'])),
        Err(_) => true,
    }
}

pub fn signal(pid: i32, sig: i32) {
    // SAFETY: sending a signal has no memory-safety preconditions.
    unsafe {
        libc::kill(pid, sig);
    }
}
