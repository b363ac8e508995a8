//! The machine's SSH key for a cloud host: the user's own key copied into the machine
//! directory, or a new RSA key pair made there; the public half is what the driver
//! imports into the cloud (a key pair, instance metadata or user data).

use anyhow::{anyhow, Context, Result};
use std::path::{Path, PathBuf};

/// The machine's key, ready to be imported.
#[derive(Debug, Clone)]
pub struct MachineKey {
    /// `<machine dir>/id_rsa`, the key docker-machine logs in with.
    pub private_path: PathBuf,
    /// The authorized_keys line of its public half.
    pub public_key: String,
}

/// Put the machine's key at `<machine_dir>/id_rsa`: a copy of `own_key` (and its
/// `.pub`, which must exist) when given, else a new RSA-2048 pair.
pub fn machine_key(machine_dir: &Path, own_key: Option<&Path>) -> Result<MachineKey> {
    let private_path = machine_dir.join("id_rsa");
    let public_path = crate::ssh::keys::public_key_path(&private_path);
    match own_key {
        Some(src) => {
            let src_pub = crate::ssh::keys::public_key_path(src);
            crate::fsutil::copy_private(src, &private_path)
                .map_err(|e| anyhow!("{}", crate::fsutil::go_io_error("open", src, &e)))?;
            crate::fsutil::copy_private(&src_pub, &public_path)
                .map_err(|e| anyhow!("{}", crate::fsutil::go_io_error("open", &src_pub, &e)))?;
        }
        None => crate::ssh::keys::generate_key_pair(&private_path)?,
    }
    let public_key = std::fs::read_to_string(&public_path)
        .with_context(|| format!("reading {}", public_path.display()))?
        .trim()
        .to_string();
    Ok(MachineKey {
        private_path,
        public_key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_or_copies() {
        let dir = tempfile::tempdir().unwrap();
        let made = machine_key(dir.path(), None).unwrap();
        assert!(made.public_key.starts_with("ssh-rsa "));
        assert_eq!(made.private_path, dir.path().join("id_rsa"));

        let other = tempfile::tempdir().unwrap();
        let copied = machine_key(other.path(), Some(&made.private_path)).unwrap();
        assert_eq!(copied.public_key, made.public_key);
        assert_eq!(
            std::fs::read(&copied.private_path).unwrap(),
            std::fs::read(&made.private_path).unwrap()
        );

        let lonely = dir.path().join("lonely");
        std::fs::write(&lonely, "key").unwrap();
        let e = machine_key(other.path(), Some(&lonely))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("lonely.pub") && e.contains("no such file"),
            "{e}"
        );
    }
}
