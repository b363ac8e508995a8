//! The QEMU process: acceleration choice, free loopback ports, the command line, the
//! detached start, and whether the process behind a pid file still runs (per OS).
//!
//! On Unix QEMU detaches itself (`-daemonize`) once it is set up, and keeps nothing of
//! its caller but what it needs: its standard streams go to /dev/null, and every other
//! descriptor docker-machine inherited (a test harness's pipe, make's jobserver) is
//! closed on exec, so a caller waiting for EOF on such a pipe is not kept waiting by
//! the VM. Windows' QEMU cannot daemonize: it is started without a console window,
//! its output goes to `qemu.log`, and the start waits until its QMP server answers.

use super::qmp::{Endpoint, Qmp};
use anyhow::{bail, Context, Result};
use std::fs;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
    pub qmp: &'a Endpoint,
    pub extra_args: &'a str,
    /// A second NIC on a private network: the switch's socket folder and the NIC's MAC.
    pub network: Option<(&'a Path, &'a str)>,
}

pub fn pid_file(dir: &Path) -> PathBuf {
    dir.join("qemu.pid")
}

/// QEMU's own messages: its output (Windows) or its stderr once daemonized (Unix).
pub fn log_file(dir: &Path) -> PathBuf {
    dir.join("qemu.log")
}

/// Whether QMP listens on a TCP port (which the driver picks and stores) rather than on
/// a socket file in the machine directory.
pub const QMP_OVER_TCP: bool = cfg!(not(unix));

/// The VM's QMP endpoint: `qmp.sock` in the machine directory, or 127.0.0.1:`tcp_port`
/// where there are no Unix sockets.
pub fn qmp_endpoint(dir: &Path, tcp_port: u16) -> Endpoint {
    #[cfg(unix)]
    {
        let _ = tcp_port;
        Endpoint::Unix(dir.join("qmp.sock"))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Endpoint::Tcp(tcp_port)
    }
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
                "file={},format=qcow2,if=virtio,discard=unmap,id=disk",
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
        ]);
        if let Some((sockets, mac)) = self.network {
            a.extend([
                "-netdev".into(),
                format!(
                    "vde,id=net1,sock={}",
                    sockets.to_string_lossy().replace(',', ",,")
                ),
                "-device".into(),
                format!("virtio-net-pci,netdev=net1,mac={mac}"),
            ]);
        }
        a.extend([
            "-device".into(),
            "virtio-rng-pci".into(),
            "-display".into(),
            "none".into(),
            "-vga".into(),
            "none".into(),
            "-serial".into(),
            format!("file:{}", d("console.log")),
            "-qmp".into(),
            self.qmp.qemu_arg(),
            "-pidfile".into(),
            pid_file(self.dir).to_string_lossy().into_owned(),
        ]);
        if cfg!(unix) {
            // -D keeps the daemon's stderr in qemu.log (else /dev/null): why it exits.
            a.extend(["-daemonize".into(), "-D".into(), d("qemu.log")]);
        }
        a.extend(self.extra_args.split_whitespace().map(String::from));
        a
    }

    /// Start QEMU detached, so that the VM outlives docker-machine. Errors QEMU
    /// prints before it is up are returned.
    pub fn spawn(&self) -> Result<()> {
        if let Some(stale) = self.qmp.stale_file() {
            let _ = fs::remove_file(stale);
        }
        let mut cmd = Command::new(self.binary);
        cmd.args(self.args());
        #[cfg(unix)]
        {
            spawn_daemonizing(cmd, self.binary)
        }
        #[cfg(not(unix))]
        {
            detach_from_console(&mut cmd);
            spawn_watched(
                cmd,
                self.binary,
                &log_file(self.dir),
                self.qmp,
                Duration::from_secs(60),
            )
        }
    }
}

/// Run a QEMU that has `-daemonize`: it returns once the VM is set up, leaving the
/// daemon behind. See [`close_inherited_descriptors_on_exec`] for what it keeps.
#[cfg(unix)]
pub fn spawn_daemonizing(mut cmd: Command, binary: &str) -> Result<()> {
    close_inherited_descriptors_on_exec(&mut cmd);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting {binary}"))?;
    if !out.status.success() {
        bail!(
            "{binary} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

/// Make the child keep only descriptors 0-2 across exec. Rust opens its own files with
/// close-on-exec already, but descriptors docker-machine inherited from its caller do
/// not have it. They are marked close-on-exec rather than closed so that std's own
/// pipe reporting a failed exec keeps working.
#[cfg(unix)]
pub fn close_inherited_descriptors_on_exec(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs between fork and exec and only makes async-signal-safe
    // system calls (close_range, sysconf, fcntl); it allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            #[cfg(any(target_os = "linux", target_os = "android"))]
            if libc::syscall(
                libc::SYS_close_range,
                3u32,
                u32::MAX,
                libc::CLOSE_RANGE_CLOEXEC,
            ) == 0
            {
                return Ok(());
            }
            // Kernels without close_range (before Linux 5.11) and other Unixes: every
            // possible descriptor, bounded in case the limit is effectively infinite.
            let max = libc::sysconf(libc::_SC_OPEN_MAX).clamp(256, 65536) as libc::c_int;
            for fd in 3..max {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                if flags >= 0 && flags & libc::FD_CLOEXEC == 0 {
                    libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC);
                }
            }
            Ok(())
        });
    }
}

/// Windows: no console window, and out of the caller's Ctrl+C group, so that closing
/// or interrupting the terminal docker-machine ran in leaves the VM running.
#[cfg(windows)]
fn detach_from_console(cmd: &mut Command) {
    use std::os::windows::process::CommandExt;
    use windows_sys::Win32::System::Threading::{CREATE_NEW_PROCESS_GROUP, CREATE_NO_WINDOW};
    cmd.creation_flags(CREATE_NO_WINDOW | CREATE_NEW_PROCESS_GROUP);
}

#[cfg(not(any(unix, windows)))]
fn detach_from_console(_cmd: &mut Command) {}

/// Start a QEMU that does not daemonize (Windows) with its output in `log`, and wait
/// until its QMP server answers: QEMU serves QMP only once everything is set up, port
/// forwards included. A QEMU that exits first failed, and its log says why; one that
/// does not answer `within` is stopped.
#[cfg_attr(unix, allow(dead_code))] // used on Windows; tested everywhere
pub fn spawn_watched(
    mut cmd: Command,
    binary: &str,
    log: &Path,
    qmp: &Endpoint,
    within: Duration,
) -> Result<()> {
    #[cfg(unix)]
    close_inherited_descriptors_on_exec(&mut cmd);
    let out = fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
    let err = out.try_clone()?;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .with_context(|| format!("starting {binary}"))?;
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait()? {
            let said = fs::read_to_string(log).unwrap_or_default();
            bail!("{binary} failed ({status}): {}", said.trim());
        }
        if Qmp::connect(qmp, Duration::from_secs(2)).is_ok() {
            return Ok(());
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!(
                "{binary} did not answer on {qmp} within {} s (its output: {})",
                within.as_secs(),
                log.display()
            );
        }
        std::thread::sleep(Duration::from_millis(100));
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
    (alive(pid) && os::is_qemu(pid)).then_some(pid)
}

/// Whether `pid` runs (a zombie, which QEMU briefly is after exiting, does not).
pub fn alive(pid: i32) -> bool {
    pid > 0 && os::alive(pid)
}

/// Stop `pid` at once (SIGKILL; TerminateProcess on Windows).
pub fn kill(pid: i32) {
    if pid > 0 {
        os::kill(pid);
    }
}

#[cfg(unix)]
mod os {
    use std::fs;

    /// Whether the command line says QEMU; true where it cannot be read (no /proc).
    pub fn is_qemu(pid: i32) -> bool {
        fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).contains("qemu"))
            .unwrap_or(true)
    }

    pub fn alive(pid: i32) -> bool {
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

    pub fn kill(pid: i32) {
        // SAFETY: sending a signal has no memory-safety preconditions.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

#[cfg(windows)]
mod os {
    use windows_sys::Win32::Foundation::{CloseHandle, HANDLE, STILL_ACTIVE};
    use windows_sys::Win32::System::Threading::{
        GetExitCodeProcess, OpenProcess, QueryFullProcessImageNameW, TerminateProcess,
        PROCESS_ACCESS_RIGHTS, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_TERMINATE,
    };

    /// A process handle, closed when dropped.
    struct Process(HANDLE);

    impl Process {
        fn open(pid: i32, access: PROCESS_ACCESS_RIGHTS) -> Option<Process> {
            // SAFETY: OpenProcess has no memory preconditions; null means failure.
            let h = unsafe { OpenProcess(access, 0, pid as u32) };
            (!h.is_null()).then_some(Process(h))
        }
    }

    impl Drop for Process {
        fn drop(&mut self) {
            // SAFETY: the handle came from OpenProcess and is closed once.
            unsafe { CloseHandle(self.0) };
        }
    }

    /// Whether the image name says QEMU; true where it cannot be read.
    pub fn is_qemu(pid: i32) -> bool {
        let Some(p) = Process::open(pid, PROCESS_QUERY_LIMITED_INFORMATION) else {
            return true;
        };
        let mut buf = [0u16; 1024];
        let mut len = buf.len() as u32;
        // SAFETY: buf and len describe a buffer we own.
        if unsafe { QueryFullProcessImageNameW(p.0, 0, buf.as_mut_ptr(), &mut len) } == 0 {
            return true;
        }
        String::from_utf16_lossy(&buf[..len as usize])
            .to_lowercase()
            .contains("qemu")
    }

    pub fn alive(pid: i32) -> bool {
        let Some(p) = Process::open(pid, PROCESS_QUERY_LIMITED_INFORMATION) else {
            return false;
        };
        let mut code = 0u32;
        // SAFETY: one out-parameter we own.
        let ok = unsafe { GetExitCodeProcess(p.0, &mut code) };
        ok != 0 && code == STILL_ACTIVE as u32
    }

    pub fn kill(pid: i32) {
        if let Some(p) = Process::open(pid, PROCESS_TERMINATE) {
            // SAFETY: a handle opened with PROCESS_TERMINATE.
            unsafe { TerminateProcess(p.0, 1) };
        }
    }
}

#[cfg(test)]
mod tests {
    //! With the real QEMU (`-machine none`: no guest, up in a fraction of a second).
    use super::*;

    /// The QEMU system emulator, or None (with the reason printed) when not installed.
    fn qemu() -> Option<String> {
        let binary = super::super::default_binary();
        if super::super::host::which(&binary) {
            Some(binary)
        } else {
            testkit::skip(&format!(
                "{binary} is not installed (tests/testbed/install-deps.sh)"
            ));
            None
        }
    }

    fn bare_qemu(binary: &str, dir: &Path, qmp: &Endpoint) -> Command {
        let mut cmd = Command::new(binary);
        cmd.args(["-machine", "none", "-nodefaults", "-display", "none"])
            .args(["-qmp", &qmp.qemu_arg(), "-pidfile"])
            .arg(pid_file(dir));
        cmd
    }

    fn stop(dir: &Path) {
        if let Some(pid) = running_pid(dir) {
            kill(pid);
            let deadline = Instant::now() + Duration::from_secs(5);
            while alive(pid) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }

    /// Issue 13: a caller (bats, `exec 3>log`, make) holds a pipe on fd 3+ and waits for
    /// EOF on it; the daemonized QEMU must not keep it open.
    #[cfg(unix)]
    #[test]
    fn the_daemon_does_not_hold_its_callers_pipe() {
        let Some(binary) = qemu() else { return };
        let dir = tempfile::tempdir().unwrap();
        let mut fds = [0; 2];
        // A pipe as a caller hands it down: without close-on-exec.
        // SAFETY: pipe writes two descriptors into the array we own.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        let [read_end, write_end] = fds;
        assert!(write_end >= 3);
        let qmp = Endpoint::Unix(dir.path().join("qmp.sock"));
        let mut cmd = bare_qemu(&binary, dir.path(), &qmp);
        cmd.arg("-daemonize");
        let started = spawn_daemonizing(cmd, &binary);
        // SAFETY: our copy of the write end, closed once.
        unsafe { libc::close(write_end) };
        started.unwrap();
        let pid = running_pid(dir.path()).expect("the daemon runs");
        let mut poll = libc::pollfd {
            fd: read_end,
            events: libc::POLLIN,
            revents: 0,
        };
        let mut byte = 0u8;
        // SAFETY: one pollfd and a one-byte buffer we own.
        let eof = unsafe {
            libc::poll(&mut poll, 1, 5000) == 1
                && libc::read(read_end, (&mut byte as *mut u8).cast(), 1) == 0
        };
        let still_up = Qmp::connect(&qmp, Duration::from_secs(5)).and_then(|mut q| q.status());
        // Its standard streams are /dev/null (where /proc shows them).
        let streams: Vec<_> = (0..3)
            .map(|fd| fs::read_link(format!("/proc/{pid}/fd/{fd}")).ok())
            .collect();
        stop(dir.path());
        // SAFETY: closed once.
        unsafe { libc::close(read_end) };
        assert!(eof, "QEMU (pid {pid}) kept the caller's pipe open");
        assert_eq!(still_up.unwrap(), "running");
        if Path::new("/proc/self/fd").exists() {
            let null = Some(PathBuf::from("/dev/null"));
            assert_eq!(streams, [null.clone(), null.clone(), null], "fds 0-2");
        }
    }

    /// The start used where QEMU cannot daemonize (Windows), with QMP over TCP.
    #[test]
    fn a_watched_start_returns_once_qmp_answers_over_tcp() {
        let Some(binary) = qemu() else { return };
        let dir = tempfile::tempdir().unwrap();
        let qmp = Endpoint::Tcp(free_port().unwrap());
        let log = dir.path().join("qemu.log");
        let cmd = bare_qemu(&binary, dir.path(), &qmp);
        spawn_watched(cmd, &binary, &log, &qmp, Duration::from_secs(30)).unwrap();
        let status = Qmp::connect(&qmp, Duration::from_secs(5)).and_then(|mut q| q.status());
        let pid = running_pid(dir.path());
        stop(dir.path());
        assert_eq!(status.unwrap(), "running");
        assert!(pid.is_some(), "the pid file names a live QEMU");
    }

    #[test]
    fn a_watched_start_reports_what_qemu_said_when_it_exits() {
        let Some(binary) = qemu() else { return };
        let dir = tempfile::tempdir().unwrap();
        let qmp = Endpoint::Tcp(free_port().unwrap());
        let log = dir.path().join("qemu.log");
        let mut cmd = bare_qemu(&binary, dir.path(), &qmp);
        cmd.arg("-no-such-option");
        let err = spawn_watched(cmd, &binary, &log, &qmp, Duration::from_secs(30))
            .unwrap_err()
            .to_string();
        assert!(err.contains("-no-such-option"), "{err}");
    }
}
