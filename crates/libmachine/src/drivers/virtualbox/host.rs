//! What the virtualbox driver needs to know about the computer it runs on: which OS (the
//! share, the VT-x and Hyper-V checks, the confirmation-prompt notices and the
//! `networks.conf` rule differ), where `VBoxManage` is, and the host's network interfaces
//! (a host-only network must not collide with one). Tests build a [`HostEnv`] for Linux,
//! macOS or Windows by hand, so every platform's path runs here.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostOs {
    Linux,
    MacOs,
    Windows,
}

impl HostOs {
    pub fn current() -> HostOs {
        if cfg!(windows) {
            HostOs::Windows
        } else if cfg!(target_os = "macos") {
            HostOs::MacOs
        } else {
            HostOs::Linux
        }
    }
}

/// One IPv4 address of a host network interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostIface {
    pub name: String,
    pub addr: Ipv4Addr,
    pub prefix: u8,
    pub up: bool,
    pub loopback: bool,
}

/// The host as the driver sees it.
#[derive(Debug, Clone)]
pub struct HostEnv {
    pub os: HostOs,
    /// The `VBoxManage` program to run.
    pub vboxmanage: String,
    /// `/etc/vbox/networks.conf`: the host-only ranges VirtualBox >= 6.1.28 allows on
    /// Linux and macOS.
    pub networks_conf: PathBuf,
    /// `/proc/cpuinfo` (Linux), where the vmx/svm flags say VT-x/AMD-V is there.
    pub cpuinfo: Option<String>,
    /// `vmms.exe` (the Hyper-V service) is installed (Windows).
    pub hyperv_installed: bool,
    pub interfaces: Vec<HostIface>,
    /// The default share: its name in the VM and the host directory.
    pub share_name: String,
    pub share_dir: String,
    /// The user's home (for `~/.ssh/id_boot2docker` of an imported VM).
    pub home: PathBuf,
}

impl HostEnv {
    /// The computer this process runs on.
    pub fn detect() -> HostEnv {
        let os = HostOs::current();
        let (share_name, share_dir) = default_share(os);
        HostEnv {
            os,
            vboxmanage: find_vboxmanage(os, |k| std::env::var(k).ok(), |p| p.is_file()),
            networks_conf: PathBuf::from("/etc/vbox/networks.conf"),
            cpuinfo: std::fs::read_to_string("/proc/cpuinfo").ok(),
            hyperv_installed: os == HostOs::Windows
                && crate::ssh::external::look_path("vmms.exe").is_some(),
            interfaces: interfaces(),
            share_name: share_name.into(),
            share_dir: share_dir.into(),
            home: home_dir(),
        }
    }
}

/// The home share each OS had in 0.16.2: `/home` as `hosthome`, macOS `/Users` as
/// `Users`, Windows `\\?\c:\Users` as `c/Users`.
pub fn default_share(os: HostOs) -> (&'static str, &'static str) {
    match os {
        HostOs::Linux => ("hosthome", "/home"),
        HostOs::MacOs => ("Users", "/Users"),
        HostOs::Windows => ("c/Users", r"\\?\c:\Users"),
    }
}

fn home_dir() -> PathBuf {
    let var = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    std::env::var_os(var).map(PathBuf::from).unwrap_or_default()
}

/// `VBoxManage` on PATH; on Windows first in `VBOX_INSTALL_PATH`, `VBOX_MSI_INSTALL_PATH`
/// and the default install folder, as 0.16.2 looked (the registry lookup is not done).
pub fn find_vboxmanage(
    os: HostOs,
    env: impl Fn(&str) -> Option<String>,
    is_file: impl Fn(&Path) -> bool,
) -> String {
    if os == HostOs::Windows {
        let mut dirs: Vec<String> = ["VBOX_INSTALL_PATH", "VBOX_MSI_INSTALL_PATH"]
            .iter()
            .filter_map(|k| env(k).filter(|v| !v.is_empty()))
            .collect();
        dirs.push(r"C:\Program Files\Oracle\VirtualBox".into());
        for dir in dirs {
            let exe = Path::new(&dir).join("VBoxManage.exe");
            if is_file(&exe) {
                return exe.to_string_lossy().into_owned();
            }
        }
    }
    "VBoxManage".into()
}

/// The IPv4 addresses of the host's interfaces.
#[cfg(unix)]
pub fn interfaces() -> Vec<HostIface> {
    let mut out = Vec::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list`, which is walked read-only and freed once below.
    if unsafe { libc::getifaddrs(&mut list) } != 0 {
        return out;
    }
    let mut cur = list;
    while !cur.is_null() {
        let ifa = unsafe { &*cur };
        cur = ifa.ifa_next;
        if ifa.ifa_addr.is_null() || ifa.ifa_netmask.is_null() {
            continue;
        }
        if i32::from(unsafe { (*ifa.ifa_addr).sa_family }) != libc::AF_INET {
            continue;
        }
        let addr = unsafe { &*(ifa.ifa_addr as *const libc::sockaddr_in) };
        let mask = unsafe { &*(ifa.ifa_netmask as *const libc::sockaddr_in) };
        let name = unsafe { std::ffi::CStr::from_ptr(ifa.ifa_name) };
        let flags = ifa.ifa_flags as i64;
        out.push(HostIface {
            name: name.to_string_lossy().into_owned(),
            addr: Ipv4Addr::from(u32::from_be(addr.sin_addr.s_addr)),
            prefix: u32::from_be(mask.sin_addr.s_addr).count_ones() as u8,
            up: flags & libc::IFF_UP as i64 != 0,
            loopback: flags & libc::IFF_LOOPBACK as i64 != 0,
        });
    }
    // SAFETY: `list` came from getifaddrs above.
    unsafe { libc::freeifaddrs(list) };
    out
}

/// Windows: the collision check is skipped (no interface listing without more crates).
#[cfg(not(unix))]
pub fn interfaces() -> Vec<HostIface> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vboxmanage_is_looked_for_in_the_windows_install_folders_first() {
        let env = |k: &str| (k == "VBOX_MSI_INSTALL_PATH").then(|| r"D:\Oracle VB".to_string());
        let found = find_vboxmanage(HostOs::Windows, env, |p| {
            p.to_string_lossy().starts_with("D:")
        });
        assert!(
            found.starts_with(r"D:\Oracle VB") && found.ends_with("VBoxManage.exe"),
            "{found}"
        );
        assert_eq!(
            find_vboxmanage(HostOs::Windows, |_| None, |_| false),
            "VBoxManage"
        );
        // Elsewhere only PATH counts: the variables are Windows installer ones.
        assert_eq!(find_vboxmanage(HostOs::Linux, env, |_| true), "VBoxManage");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn the_real_interfaces_include_loopback() {
        let lo = interfaces()
            .into_iter()
            .find(|i| i.addr == Ipv4Addr::LOCALHOST)
            .expect("127.0.0.1 is on an interface");
        assert!(lo.loopback && lo.up && lo.prefix == 8, "{lo:?}");
    }
}
