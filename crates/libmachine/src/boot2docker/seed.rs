//! The "please format-me" seed: the tar boot2docker finds at the start of its disk. At first
//! boot boot2docker sees the magic file, formats the disk and unpacks the tar into
//! `/home/docker`, which gives the `docker` user the machine's SSH key. The virtualbox and
//! hyperv drivers put it at offset 0 of the raw disk.

use anyhow::Result;
use std::io::Write;
use std::path::Path;

/// The magic file's name and content.
pub const FORMAT_ME: &str = "boot2docker, please format-me";

/// The tar: the magic file, `.ssh` (0700), `.ssh/authorized_keys` and
/// `.ssh/authorized_keys2` (0644) holding `public_key`.
pub fn format_me_tar(public_key: &[u8]) -> Result<Vec<u8>> {
    let mut tar = tar::Builder::new(Vec::new());
    append_file(&mut tar, FORMAT_ME, FORMAT_ME.as_bytes(), 0o644)?;
    let mut dir = tar::Header::new_ustar();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o700);
    dir.set_size(0);
    dir.set_mtime(now());
    tar.append_data(&mut dir, ".ssh", std::io::empty())?;
    append_file(&mut tar, ".ssh/authorized_keys", public_key, 0o644)?;
    append_file(&mut tar, ".ssh/authorized_keys2", public_key, 0o644)?;
    Ok(tar.into_inner()?)
}

fn append_file(tar: &mut tar::Builder<Vec<u8>>, name: &str, data: &[u8], mode: u32) -> Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_entry_type(tar::EntryType::Regular);
    h.set_mode(mode);
    h.set_size(data.len() as u64);
    h.set_mtime(now());
    tar.append_data(&mut h, name, data)?;
    Ok(())
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The tar for the key at `public_key_path` (`<machine dir>/id_rsa.pub`).
pub fn format_me_tar_for_key(public_key_path: &Path) -> Result<Vec<u8>> {
    let key = std::fs::read(public_key_path).map_err(|e| {
        anyhow::anyhow!(
            "{}",
            crate::fsutil::go_io_error("open", public_key_path, &e)
        )
    })?;
    format_me_tar(&key)
}

/// Write the seed at the start of an existing raw disk file, leaving the rest as it is.
pub fn write_at_start(disk: &Path, tar: &[u8]) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(disk)
        .map_err(|e| anyhow::anyhow!("{}", crate::fsutil::go_io_error("open", disk, &e)))?;
    f.write_all(tar)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_tar_holds_the_magic_and_the_key() {
        let data = format_me_tar(b"ssh-rsa AAAA test\n").unwrap();
        let mut ar = tar::Archive::new(&data[..]);
        let mut seen = Vec::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let path = e.path().unwrap().to_string_lossy().into_owned();
            let mode = e.header().mode().unwrap();
            let mut body = String::new();
            std::io::Read::read_to_string(&mut e, &mut body).unwrap();
            seen.push((path, mode, body));
        }
        let key = "ssh-rsa AAAA test\n".to_string();
        assert_eq!(
            seen,
            vec![
                (FORMAT_ME.to_string(), 0o644, FORMAT_ME.to_string()),
                (".ssh".to_string(), 0o700, String::new()),
                (".ssh/authorized_keys".to_string(), 0o644, key.clone()),
                (".ssh/authorized_keys2".to_string(), 0o644, key),
            ]
        );
        // boot2docker looks for the magic string in the disk's first bytes.
        assert!(data
            .windows(FORMAT_ME.len())
            .take(600)
            .any(|w| w == FORMAT_ME.as_bytes()));
    }
}
