//! The cloud-init NoCloud seed, for the drivers that boot a cloud image (qemu today): a
//! small FAT image labelled `CIDATA` holding `user-data` and `meta-data`, made in Rust so
//! that no mkfs/mtools/genisoimage is needed.

use anyhow::Result;
use std::io::{Cursor, Write};

/// The `#cloud-config` for a machine: one user with the machine's key and
/// password-less sudo, the hostname, the SSH host key docker-machine pinned (no other
/// host key is generated, which also spares a slow RSA key generation under TCG), and
/// nothing that reaches out to the network.
pub fn user_data(hostname: &str, user: &str, public_key: &str, host_key: &HostKey) -> String {
    let indent = |text: &str| -> String {
        text.trim_end()
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect()
    };
    format!(
        "#cloud-config\n\
         hostname: {hostname}\n\
         manage_etc_hosts: true\n\
         ssh_pwauth: false\n\
         disable_root: true\n\
         users:\n\
         \x20 - name: {user}\n\
         \x20   sudo: \"ALL=(ALL) NOPASSWD:ALL\"\n\
         \x20   shell: /bin/bash\n\
         \x20   lock_passwd: true\n\
         \x20   ssh_authorized_keys:\n\
         \x20     - {key}\n\
         growpart:\n\
         \x20 mode: auto\n\
         \x20 devices: [\"/\"]\n\
         resize_rootfs: true\n\
         ssh_deletekeys: true\n\
         ssh_genkeytypes: []\n\
         ssh_keys:\n\
         \x20 ed25519_private: |\n\
         {private}\
         \x20 ed25519_public: {public}\n",
        key = public_key.trim(),
        private = indent(&host_key.private_openssh),
        public = host_key.public_openssh.trim(),
    )
}

/// The machine's SSH host key, made by docker-machine so that it is pinned before the
/// first connection.
pub struct HostKey {
    /// OpenSSH private key format.
    pub private_openssh: String,
    /// `ssh-ed25519 BASE64`.
    pub public_openssh: String,
}

/// `user_data` with a shell script cloud-init runs early on every boot (`bootcmd`).
pub fn with_boot_script(user_data: String, script: &str) -> String {
    let body: String = script.lines().map(|l| format!("    {l}\n")).collect();
    format!("{user_data}bootcmd:\n  - |\n{body}")
}

pub fn meta_data(instance_id: &str, hostname: &str) -> String {
    format!("instance-id: {instance_id}\nlocal-hostname: {hostname}\n")
}

/// A 1 MiB FAT12 image with the two seed files.
pub fn build(user_data: &str, meta_data: &str) -> Result<Vec<u8>> {
    let mut image = Cursor::new(vec![0u8; 1024 * 1024]);
    fatfs::format_volume(
        &mut image,
        fatfs::FormatVolumeOptions::new().volume_label(*b"CIDATA     "),
    )?;
    {
        let fs = fatfs::FileSystem::new(&mut image, fatfs::FsOptions::new())?;
        let root = fs.root_dir();
        for (name, content) in [("user-data", user_data), ("meta-data", meta_data)] {
            let mut f = root.create_file(name)?;
            f.truncate()?;
            f.write_all(content.as_bytes())?;
        }
    }
    Ok(image.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn seed_holds_both_files_under_the_cidata_label() {
        let host_key = HostKey {
            private_openssh:
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3Bl\n-----END OPENSSH PRIVATE KEY-----\n"
                    .into(),
            public_openssh: "ssh-ed25519 AAAAC3".into(),
        };
        let img = build(
            &user_data("m1", "docker", "ssh-rsa AAAA", &host_key),
            &meta_data("iid-m1-1", "m1"),
        )
        .unwrap();
        let mut cursor = Cursor::new(img);
        let fs = fatfs::FileSystem::new(&mut cursor, fatfs::FsOptions::new()).unwrap();
        assert_eq!(fs.volume_label().trim_end(), "CIDATA");
        let mut text = String::new();
        fs.root_dir()
            .open_file("user-data")
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.starts_with("#cloud-config\n"));
        assert!(text.contains("      - ssh-rsa AAAA\n"));
        assert!(text.ends_with(
            "ssh_genkeytypes: []\nssh_keys:\n  ed25519_private: |\n    -----BEGIN OPENSSH PRIVATE KEY-----\n    b3Bl\n    -----END OPENSSH PRIVATE KEY-----\n  ed25519_public: ssh-ed25519 AAAAC3\n"
        ), "{text}");
        let mut meta = String::new();
        fs.root_dir()
            .open_file("meta-data")
            .unwrap()
            .read_to_string(&mut meta)
            .unwrap();
        assert_eq!(meta, "instance-id: iid-m1-1\nlocal-hostname: m1\n");
    }
}
