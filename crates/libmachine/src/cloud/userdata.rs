//! cloud-init user data handed to a new cloud machine: read from the user's file,
//! checked against the service's size limit, and encoded as most APIs want it (base64).

use anyhow::{bail, Result};
use base64::Engine;
use std::path::Path;

/// The user data in `path` (`None` for an empty path). `flag` names the option in the
/// error; `limit` is the service's limit on the raw bytes.
pub fn load(path: &str, flag: &str, limit: usize) -> Result<Option<Vec<u8>>> {
    if path.is_empty() {
        return Ok(None);
    }
    let data = match std::fs::read(Path::new(path)) {
        Ok(d) => d,
        Err(e) => bail!(
            "unable to read {flag} file: {}",
            crate::fsutil::go_io_error("open", Path::new(path), &e)
        ),
    };
    if data.len() > limit {
        bail!(
            "{flag} file {path} is {} bytes; the limit is {limit}",
            data.len()
        );
    }
    Ok(Some(data))
}

/// Standard base64, as EC2's `UserData` and most cloud APIs take it.
pub fn base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_checks_and_encodes() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("ud");
        std::fs::write(&file, "#cloud-config\n").unwrap();
        let path = file.to_str().unwrap();
        let data = load(path, "--x-userdata", 100).unwrap().unwrap();
        assert_eq!(base64(&data), "I2Nsb3VkLWNvbmZpZwo=");
        assert!(load("", "--x-userdata", 100).unwrap().is_none());
        let e = load(path, "--x-userdata", 5).unwrap_err().to_string();
        assert!(e.contains("is 14 bytes; the limit is 5"), "{e}");
        let missing = dir.path().join("nope");
        let e = load(missing.to_str().unwrap(), "--x-userdata", 100)
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("unable to read --x-userdata file: open "),
            "{e}"
        );
        assert!(e.ends_with("no such file or directory"), "{e}");
    }
}
