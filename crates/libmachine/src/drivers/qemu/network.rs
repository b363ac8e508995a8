//! `--qemu-network NAME`: a private Ethernet segment shared only by the machines of one
//! store created with the same NAME. Each such VM gets a second NIC plugged into a
//! `vde_switch` (Debian's vde2) that listens on a Unix socket folder in the store, so the
//! traffic stays in Unix sockets and inside the VMs: no root, no host bridge, no multicast.
//!
//! Addresses are 10.76.0.2-254/24, leased by files `<store>/qemu-networks/NAME/leases/N`
//! holding the machine's name (made whole with a hard link, so two creates never get
//! one address); the machine keeps its lease across restarts and `rm` gives it back. The
//! guest sets the address on every boot (a cloud-init `bootcmd` in its seed).

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The segment's first three octets; hosts get .2 to .254.
const PREFIX: &str = "10.76.0";

/// The switch program.
pub const SWITCH: &str = "vde_switch";

/// `<store>/qemu-networks/NAME`.
pub fn dir(store_path: &Path, name: &str) -> PathBuf {
    store_path.join("qemu-networks").join(name)
}

/// The folder of the switch's sockets, which QEMU's `vde` netdev joins.
pub fn socket_dir(store_path: &Path, name: &str) -> PathBuf {
    dir(store_path, name).join("switch")
}

pub fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 32
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        || name.starts_with('.')
    {
        bail!("--qemu-network {name:?}: use up to 32 letters, digits, '-', '_' or '.'");
    }
    Ok(())
}

/// The machine's address on network `name`: its existing lease, else the lowest free
/// one. Leases of machines that no longer exist in the store are taken back.
pub fn lease(store_path: &Path, name: &str, machine: &str) -> Result<String> {
    let leases = dir(store_path, name).join("leases");
    crate::fsutil::create_private_dir(&leases)?;
    let holder = |n: u8| fs::read_to_string(leases.join(n.to_string())).ok();
    for n in 2..=254u8 {
        if holder(n).as_deref() == Some(machine) {
            return Ok(format!("{PREFIX}.{n}"));
        }
    }
    for n in 2..=254u8 {
        let path = leases.join(n.to_string());
        if let Some(owner) = holder(n) {
            if owner.is_empty() || store_path.join("machines").join(&owner).is_dir() {
                continue;
            }
            // Its machine is gone (removed without its driver): free again.
            let _ = fs::remove_file(&path);
        }
        let tmp = leases.join(format!(".{n}.{machine}.{}", std::process::id()));
        fs::write(&tmp, machine)?;
        let taken = fs::hard_link(&tmp, &path);
        let _ = fs::remove_file(&tmp);
        if taken.is_ok() {
            return Ok(format!("{PREFIX}.{n}"));
        }
    }
    bail!("network {name:?} has no free address left (253 machines)")
}

/// Give the address back; the last machine to leave stops the switch.
pub fn release(store_path: &Path, name: &str, address: &str, machine: &str) {
    let leases = dir(store_path, name).join("leases");
    let Some(n) = address.strip_prefix(&format!("{PREFIX}.")) else {
        return;
    };
    let path = leases.join(n);
    if fs::read_to_string(&path).ok().as_deref() == Some(machine) {
        let _ = fs::remove_file(&path);
    }
    let empty = fs::read_dir(&leases).map_or(true, |mut d| d.next().is_none());
    if empty {
        if let Some(pid) = switch_pid(store_path, name) {
            super::process::kill(pid);
        }
    }
}

/// A locally administered MAC for `address` on network `name` (unique on the segment).
pub fn mac(name: &str, address: &str) -> String {
    let net = name
        .bytes()
        .fold(0u8, |h, b| h.wrapping_mul(31).wrapping_add(b));
    let host: u8 = address
        .rsplit('.')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    format!("52:54:00:4d:{net:02x}:{host:02x}")
}

/// The guest's boot command: the NIC with `mac` gets `address`/24, on every boot, and
/// for systemd-networkd (which would otherwise run DHCP on it) as a static link.
pub fn boot_script(mac: &str, address: &str) -> String {
    format!(
        "nic=$(grep -il '{mac}' /sys/class/net/*/address | head -n1 | cut -d/ -f5)\n\
         [ -n \"$nic\" ] || exit 0\n\
         if [ -d /etc/systemd/network ]; then\n\
         \x20 printf '[Match]\\nMACAddress={mac}\\n\\n[Network]\\nAddress={address}/24\\nLinkLocalAddressing=no\\n' >/etc/systemd/network/10-docker-machine-net.network\n\
         fi\n\
         ip link set \"$nic\" up\n\
         ip addr replace {address}/24 dev \"$nic\"\n"
    )
}

/// The pid of the network's running switch, if any.
fn switch_pid(store_path: &Path, name: &str) -> Option<i32> {
    let pid: i32 = fs::read_to_string(dir(store_path, name).join("switch.pid"))
        .ok()?
        .trim()
        .parse()
        .ok()?;
    let is_switch = fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).contains(SWITCH))
        .unwrap_or(false);
    (super::process::alive(pid) && is_switch).then_some(pid)
}

/// Start the network's switch unless it runs, and return its socket folder.
pub fn ensure_switch(store_path: &Path, name: &str) -> Result<PathBuf> {
    let net = dir(store_path, name);
    crate::fsutil::create_private_dir(&net)?;
    let lock = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(net.join("switch.lock"))?;
    lock.lock()?;
    let sockets = socket_dir(store_path, name);
    if switch_pid(store_path, name).is_some() {
        return Ok(sockets);
    }
    // A switch that died leaves its sockets behind.
    let _ = fs::remove_dir_all(&sockets);
    let mut cmd = Command::new(SWITCH);
    cmd.arg("--sock")
        .arg(&sockets)
        .args(["--mode", "600", "--dirmode", "700", "--daemon", "--pidfile"])
        .arg(net.join("switch.pid"));
    #[cfg(unix)]
    super::process::close_inherited_descriptors_on_exec(&mut cmd);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("starting {SWITCH} (on Debian: apt-get install vde-switch)"))?;
    if !out.status.success() {
        bail!(
            "{SWITCH} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(sockets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leases_are_lowest_free_kept_per_machine_and_given_back() {
        let store = tempfile::tempdir().unwrap();
        for m in ["a", "b", "c"] {
            fs::create_dir_all(store.path().join("machines").join(m)).unwrap();
        }
        assert_eq!(lease(store.path(), "lab", "a").unwrap(), "10.76.0.2");
        assert_eq!(lease(store.path(), "lab", "b").unwrap(), "10.76.0.3");
        assert_eq!(
            lease(store.path(), "lab", "a").unwrap(),
            "10.76.0.2",
            "kept"
        );
        assert_eq!(
            lease(store.path(), "other", "c").unwrap(),
            "10.76.0.2",
            "own segment"
        );
        release(store.path(), "lab", "10.76.0.2", "a");
        assert_eq!(
            lease(store.path(), "lab", "c").unwrap(),
            "10.76.0.2",
            "reused"
        );
        // Another machine's lease is not given back by a wrong owner.
        release(store.path(), "lab", "10.76.0.3", "c");
        assert_eq!(lease(store.path(), "lab", "b").unwrap(), "10.76.0.3");
        // A machine removed without its driver frees its address.
        fs::remove_dir_all(store.path().join("machines/b")).unwrap();
        fs::create_dir_all(store.path().join("machines/d")).unwrap();
        assert_eq!(lease(store.path(), "lab", "d").unwrap(), "10.76.0.3");
    }

    #[test]
    fn names_macs_and_the_boot_script() {
        assert!(check_name("lab-1.x_y").is_ok());
        for bad in ["", "a/b", "..", "a b", &"x".repeat(33)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert_eq!(mac("lab", "10.76.0.7").len(), 17);
        assert!(mac("lab", "10.76.0.7").ends_with(":07"));
        assert_ne!(mac("lab", "10.76.0.7"), mac("lab", "10.76.0.8"));
        let s = boot_script("52:54:00:4d:01:07", "10.76.0.7");
        assert!(
            s.contains("ip addr replace 10.76.0.7/24 dev \"$nic\""),
            "{s}"
        );
        assert!(s.contains("MACAddress=52:54:00:4d:01:07"), "{s}");
    }
}
