//! The Docker-ready cache: `<store>/cache/qemu/docker-ready/<base>-docker-<version>.qcow2`,
//! a standalone copy of a provisioned machine's disk with everything that belongs to that
//! one machine taken out. Later creates from the same base boot an overlay of it, and
//! provisioning finds Docker installed and only configures it.
//!
//! The copy is made while the first machine runs, without rebooting it: in the guest,
//! the machine's identity is moved to a tarball in `/run` (a tmpfs, so not on the disk),
//! its secrets overwritten first; QEMU's `drive-backup` then takes a point-in-time copy
//! of the disk; a few seconds later the guest puts its identity back by itself (its SSH
//! server cannot take connections while its host keys are away). The copy is written
//! under a temp name and linked into place once whole, so a killed create leaves no
//! entry a later create would use. An entry is never written again: overlays point at
//! it by path.

use anyhow::{bail, Context, Result};
use std::fs;
use std::path::{Path, PathBuf};

/// Seconds the guest keeps its identity away: the window in which the copy must start.
pub const HIDE_SECONDS: u64 = 20;

/// The folder of Docker-ready images.
pub fn dir(store_path: &Path) -> PathBuf {
    super::image::cache(store_path).dir().join("docker-ready")
}

/// A short content hash of a cached base image: recorded beside a download, part of the
/// name of an imported file, else computed.
pub fn base_key(base: &Path) -> Result<String> {
    let recorded = PathBuf::from(format!("{}.sha256", base.display()));
    if let Ok(sum) = fs::read_to_string(&recorded) {
        if let Some(short) = sum.trim().get(..16) {
            return Ok(short.to_string());
        }
    }
    let name = base
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match name.split_once('-') {
        Some((prefix, _))
            if prefix.len() == 16 && prefix.bytes().all(|b| b.is_ascii_hexdigit()) =>
        {
            Ok(prefix.to_string())
        }
        _ => Ok(crate::download::sha256_file(base)?[..16].to_string()),
    }
}

/// Where the entry for `base_key` with Docker `version` lives.
pub fn entry_path(store_path: &Path, base_key: &str, version: &str) -> PathBuf {
    let version: String = version
        .trim()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".+_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    dir(store_path).join(format!("{base_key}-docker-{version}.qcow2"))
}

/// The newest entry made from the base `base_key`, if any. Temp files of a killed copy
/// never match (they do not end in `.qcow2`).
pub fn find(store_path: &Path, base_key: &str) -> Option<PathBuf> {
    let prefix = format!("{base_key}-docker-");
    fs::read_dir(dir(store_path))
        .ok()?
        .flatten()
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(&prefix) && name.ends_with(".qcow2")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .max()
        .map(|(_, path)| path)
}

/// A fresh temp name beside `entry` (`NAME.tmpXXXXXX`, which
/// [`crate::fsutil::sweep_orphans`] recognizes), after sweeping what killed copies left.
pub fn temp_path(entry: &Path) -> Result<PathBuf> {
    let folder = entry.parent().context("entry without a folder")?;
    crate::fsutil::create_private_dir(folder)?;
    // A copy takes minutes at most; older temps belong to a killed create.
    crate::fsutil::sweep_orphans(folder, std::time::Duration::from_secs(3600));
    let tmp = tempfile::Builder::new()
        .prefix(&format!(
            "{}.tmp",
            entry.file_name().unwrap_or_default().to_string_lossy()
        ))
        .rand_bytes(6)
        .tempfile_in(folder)?;
    let path = tmp.path().to_path_buf();
    // QEMU creates the file itself.
    drop(tmp);
    Ok(path)
}

/// Make the copy at `tmp` the entry `entry`: flushed to disk, read-only, then linked
/// into place whole.
pub fn publish(tmp: &Path, entry: &Path) -> Result<()> {
    let file = fs::File::open(tmp).with_context(|| format!("opening {}", tmp.display()))?;
    file.sync_all()?;
    let mut perms = file.metadata()?.permissions();
    perms.set_readonly(true);
    fs::set_permissions(tmp, perms)?;
    // A link, unlike a rename, never replaces an entry another create made meanwhile,
    // which overlays may already use.
    let linked = fs::hard_link(tmp, entry);
    let _ = fs::remove_file(tmp);
    if let Err(e) = linked {
        if !entry.exists() {
            return Err(e).with_context(|| format!("saving {}", entry.display()));
        }
    }
    if let Some(folder) = entry.parent() {
        if let Ok(d) = fs::File::open(folder) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

/// Run in the guest as root: stop Docker, move the machine's identity into a tarball on
/// tmpfs (secrets overwritten first, so their bytes are not left in freed blocks), flush
/// the disk, and leave a job that puts everything back and starts Docker after
/// [`HIDE_SECONDS`]. Prints the installed Docker version.
pub const GUEST_HIDE: &str = r#"set -e
version=$(docker version --format '{{.Server.Version}}')
systemctl stop docker.service docker.socket containerd.service 2>/dev/null || systemctl stop docker.service
journalctl --rotate >/dev/null 2>&1 || true
cd /
list=/run/dm-identity.list
: >"$list"
for f in etc/ssh/ssh_host_* etc/machine-id var/lib/dbus/machine-id etc/docker \
    etc/systemd/system/docker.service.d etc/systemd/network/10-docker-machine-net.network \
    var/lib/docker/engine-id \
    var/lib/docker/network/files/local-kv.db var/lib/cloud var/log/cloud-init*.log \
    var/log/journal/*/*@* root/.ssh/authorized_keys home/*/.ssh/authorized_keys; do
  if [ -e "$f" ] && [ ! -L "$f" ]; then echo "$f" >>"$list"; fi
done
tar -cpf /run/dm-identity.tar -T "$list"
# Put back by itself, whatever happens to this script or its connection.
cat >/run/dm-identity-restore <<EOF
sleep __SECONDS__
cd / && tar -xpf /run/dm-identity.tar && rm -f /run/dm-identity.tar "$list"
systemctl daemon-reload
systemctl start docker.service
rm -f /run/dm-identity-restore
EOF
setsid sh /run/dm-identity-restore </dev/null >/dev/null 2>&1 &
for secret in etc/ssh/ssh_host_*_key etc/docker/*key* ; do
  if [ -f "$secret" ]; then shred -u "$secret"; fi
done
while read -r f; do rm -rf "$f"; done <"$list"
touch etc/machine-id
sync
echo "$version"
"#;

/// The guest script with its window filled in.
pub fn guest_hide_script() -> String {
    GUEST_HIDE.replace("__SECONDS__", &HIDE_SECONDS.to_string())
}

/// The Docker version a `GUEST_HIDE` run printed (its last line).
pub fn parse_version(stdout: &str) -> Result<String> {
    let version = stdout.lines().last().unwrap_or_default().trim();
    if version.is_empty() || version.contains(char::is_whitespace) {
        bail!("no Docker version in the guest's answer: {stdout:?}");
    }
    Ok(version.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_keyed_by_base_and_docker_version_and_temps_never_match() {
        let store = tempfile::tempdir().unwrap();
        assert_eq!(find(store.path(), "0123456789abcdef"), None);
        let entry = entry_path(store.path(), "0123456789abcdef", "20.10.24+dfsg1");
        assert!(entry.ends_with("docker-ready/0123456789abcdef-docker-20.10.24+dfsg1.qcow2"));
        let tmp = temp_path(&entry).unwrap();
        fs::write(&tmp, b"half a copy").unwrap();
        assert!(crate::fsutil::is_temp_name(
            &tmp.file_name().unwrap().to_string_lossy()
        ));
        assert_eq!(
            find(store.path(), "0123456789abcdef"),
            None,
            "a temp is no entry"
        );
        publish(&tmp, &entry).unwrap();
        assert_eq!(find(store.path(), "0123456789abcdef"), Some(entry.clone()));
        assert_eq!(find(store.path(), "fedcba9876543210"), None, "another base");
        // A second copy for the same entry leaves the first in place.
        let again = temp_path(&entry).unwrap();
        fs::write(&again, b"other").unwrap();
        publish(&again, &entry).unwrap();
        assert_eq!(fs::read(&entry).unwrap(), b"half a copy");
        assert!(!again.exists());
        let odd = entry_path(store.path(), "0123456789abcdef", "1.2 beta/3");
        assert!(odd.ends_with("0123456789abcdef-docker-1.2_beta_3.qcow2"));
    }

    #[test]
    fn the_base_key_comes_from_the_recorded_or_named_hash() {
        let dir = tempfile::tempdir().unwrap();
        let imported = dir.path().join("0011223344556677-base.qcow2");
        fs::write(&imported, b"x").unwrap();
        assert_eq!(base_key(&imported).unwrap(), "0011223344556677");
        let downloaded = dir.path().join("aaaaaaaaaaaaaaaa-debian.qcow2");
        fs::write(&downloaded, b"x").unwrap();
        fs::write(
            dir.path().join("aaaaaaaaaaaaaaaa-debian.qcow2.sha256"),
            "99887766554433221100",
        )
        .unwrap();
        assert_eq!(base_key(&downloaded).unwrap(), "9988776655443322");
        let plain = dir.path().join("plain.img");
        fs::write(&plain, b"x").unwrap();
        assert_eq!(base_key(&plain).unwrap().len(), 16);
    }

    #[test]
    fn the_version_is_the_last_line() {
        assert_eq!(
            parse_version("noise\n20.10.24+dfsg1\n").unwrap(),
            "20.10.24+dfsg1"
        );
        assert!(parse_version("").is_err());
    }
}
