//! Pinned SSH host keys. The original connected with `StrictHostKeyChecking=no` and
//! `UserKnownHostsFile=/dev/null`: any server on the machine's address was trusted with
//! the machine's key and, through provisioning, with its TLS certificates. Here each
//! machine has its own `known_hosts` in its folder, in OpenSSH's format under the
//! machine's name (OpenSSH's `HostKeyAlias`), so both clients share it:
//!
//! * drivers that make the machine's host key (qemu) write it before the first boot;
//! * otherwise (generic) the first connection records the key (trust on first use);
//! * afterwards a different key is refused by both clients with one clear line.

use anyhow::{anyhow, Result};
use russh::keys::PublicKey;
use std::path::{Path, PathBuf};

/// The file name in the machine's folder.
pub const FILE_NAME: &str = "known_hosts";

/// Where a machine's host keys are pinned, and under which name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyPin {
    pub file: PathBuf,
    /// The name the keys are recorded under (the machine's name), whatever the address
    /// and port: a qemu machine may get new forwarded ports at each start.
    pub alias: String,
}

impl HostKeyPin {
    pub fn for_machine(machine_dir: &Path, machine_name: &str) -> HostKeyPin {
        HostKeyPin {
            file: machine_dir.join(FILE_NAME),
            alias: machine_name.to_string(),
        }
    }

    /// The keys pinned for the machine (none when the file does not exist yet). Lines
    /// for other names, markers (`@revoked`...) and hashed names are ignored.
    pub fn known_keys(&self) -> Result<Vec<PublicKey>> {
        let text = match std::fs::read_to_string(&self.file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(anyhow!(crate::fsutil::go_io_error("open", &self.file, &e)));
            }
        };
        Ok(text
            .lines()
            .filter_map(|line| {
                let (hosts, key) = line.trim().split_once(char::is_whitespace)?;
                hosts
                    .split(',')
                    .any(|h| h == self.alias)
                    .then(|| PublicKey::from_openssh(key.trim()).ok())?
            })
            .collect())
    }

    /// Accept `presented` when it is among the `known` keys (read once per connection
    /// with [`HostKeyPin::known_keys`]), or pin it when nothing is pinned yet. A
    /// different key is refused with [`HostKeyPin::mismatch`].
    pub fn verify(&self, known: &[PublicKey], presented: &PublicKey) -> Result<()> {
        if known.is_empty() {
            return self.record(presented);
        }
        if known.iter().any(|k| k.key_data() == presented.key_data()) {
            Ok(())
        } else {
            Err(self.mismatch().into())
        }
    }

    /// Add `key` to the file (written whole to a temp file, then renamed).
    pub fn record(&self, key: &PublicKey) -> Result<()> {
        let mut text = match std::fs::read_to_string(&self.file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(anyhow!(crate::fsutil::go_io_error("open", &self.file, &e))),
        };
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str(&self.line(key)?);
        crate::fsutil::write_atomic(&self.file, text.as_bytes(), 0o600)
            .map_err(|e| anyhow!(crate::fsutil::go_io_error("open", &self.file, &e)))
    }

    /// The `known_hosts` line for `key`: `ALIAS TYPE BASE64\n`.
    pub fn line(&self, key: &PublicKey) -> Result<String> {
        let mut key = key.clone();
        key.set_comment("");
        let openssh = key
            .to_openssh()
            .map_err(|e| anyhow!("encoding a host key: {e}"))?;
        Ok(format!("{} {}\n", self.alias, openssh.trim()))
    }

    /// The pinned keys as `known_hosts` lines naming the address `host:port` the way
    /// OpenSSH looks keys up without an alias (`[host]:port`, or `host` on port 22): for
    /// one scp command that reaches two machines and so cannot take one alias.
    pub fn lines_for_address(&self, host: &str, port: u16) -> Result<String> {
        let by_address = HostKeyPin {
            file: self.file.clone(),
            alias: if port == 22 {
                host.to_string()
            } else {
                format!("[{host}]:{port}")
            },
        };
        self.known_keys()?
            .iter()
            .map(|key| by_address.line(key))
            .collect()
    }

    /// The refusal both clients give.
    pub fn mismatch(&self) -> HostKeyMismatch {
        HostKeyMismatch {
            alias: self.alias.clone(),
            file: self.file.clone(),
        }
    }
}

/// The server showed a key other than the pinned one: never retried.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("ssh: the host key of machine {alias:?} does not match the one pinned in {}; if the machine was reinstalled, delete that file to trust its new key", file.display())]
pub struct HostKeyMismatch {
    pub alias: String,
    pub file: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use russh::keys::ssh_key::private::Ed25519Keypair;
    use russh::keys::PrivateKey;

    fn key(seed: u8) -> PublicKey {
        PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
            .public_key()
            .clone()
    }

    #[test]
    fn first_use_pins_then_only_that_key_passes() {
        let dir = tempfile::tempdir().unwrap();
        let pin = HostKeyPin::for_machine(dir.path(), "m1");
        let check = |presented: u8| pin.verify(&pin.known_keys().unwrap(), &key(presented));
        assert!(pin.known_keys().unwrap().is_empty());
        check(1).unwrap();
        let text = std::fs::read_to_string(&pin.file).unwrap();
        assert!(text.starts_with("m1 ssh-ed25519 AAAA") && text.ends_with('\n'));
        assert_eq!(text.lines().count(), 1);
        check(1).unwrap();
        let err = check(2).unwrap_err();
        assert_eq!(err.downcast_ref::<HostKeyMismatch>(), Some(&pin.mismatch()));
        assert_eq!(
            err.to_string(),
            format!("ssh: the host key of machine \"m1\" does not match the one pinned in {}; if the machine was reinstalled, delete that file to trust its new key", pin.file.display())
        );
        assert_eq!(std::fs::read_to_string(&pin.file).unwrap(), text);
    }

    #[test]
    fn lines_by_address() {
        let dir = tempfile::tempdir().unwrap();
        let pin = HostKeyPin::for_machine(dir.path(), "m1");
        assert_eq!(pin.lines_for_address("h", 22).unwrap(), "");
        pin.record(&key(1)).unwrap();
        let line = pin.line(&key(1)).unwrap();
        let key_part = line.strip_prefix("m1 ").unwrap();
        assert_eq!(
            pin.lines_for_address("h", 22).unwrap(),
            format!("h {key_part}")
        );
        assert_eq!(
            pin.lines_for_address("127.0.0.1", 2222).unwrap(),
            format!("[127.0.0.1]:2222 {key_part}")
        );
    }

    #[test]
    fn other_names_and_noise_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let pin = HostKeyPin::for_machine(dir.path(), "m1");
        let other = HostKeyPin::for_machine(dir.path(), "m2")
            .line(&key(2))
            .unwrap();
        std::fs::write(
            &pin.file,
            format!(
                "# comment\n\n|1|hashed ssh-ed25519 AAAA\n{other}m1,m1.local {}garbage line\n",
                pin.line(&key(1)).unwrap().trim_start_matches("m1 ")
            ),
        )
        .unwrap();
        assert_eq!(pin.known_keys().unwrap(), [key(1)]);
        let known = pin.known_keys().unwrap();
        pin.verify(&known, &key(1)).unwrap();
        assert!(pin.verify(&known, &key(2)).is_err());
    }
}
