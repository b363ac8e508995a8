//! The boot2docker ISO's version, read as the original read it: the ISO9660 volume ID
//! (32 bytes at 0x8028, e.g. `Boot2Docker-v19.03.12`), the text after its `-v`.

use anyhow::{bail, Context, Result};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

const VOLUME_ID_OFFSET: u64 = 0x8028;
const VOLUME_ID_LEN: usize = 32;

/// The raw volume ID of an ISO9660 image, trailing spaces removed.
pub fn volume_id(path: &Path) -> Result<String> {
    let mut f = std::fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("{}", crate::fsutil::go_io_error("open", path, &e)))?;
    f.seek(SeekFrom::Start(VOLUME_ID_OFFSET))?;
    let mut id = [0u8; VOLUME_ID_LEN];
    f.read_exact(&mut id)
        .with_context(|| format!("reading the volume ID of {}", path.display()))?;
    Ok(String::from_utf8_lossy(&id).trim().to_string())
}

/// `v19.03.12` from a volume ID `Boot2Docker-v19.03.12`.
pub fn version_from_volume_id(id: &str) -> Result<String> {
    match id.find("-v") {
        Some(i) => Ok(id.trim()[i + 1..].to_string()),
        None => bail!("Did not find prefix \"-v\" in version string"),
    }
}

/// The version of the boot2docker ISO at `path`.
pub fn version(path: &Path) -> Result<String> {
    version_from_volume_id(&volume_id(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_the_text_after_dash_v() {
        assert_eq!(
            version_from_volume_id("Boot2Docker-v1.9.1").unwrap(),
            "v1.9.1"
        );
        assert!(version_from_volume_id("CDROM").is_err());
    }

    #[test]
    fn volume_id_is_read_at_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fake.iso");
        let mut data = vec![0u8; 0x8800];
        let label = b"Boot2Docker-v18.09.1             ";
        data[0x8028..0x8028 + 32].copy_from_slice(&label[..32]);
        std::fs::write(&path, data).unwrap();
        assert_eq!(version(&path).unwrap(), "v18.09.1");
        std::fs::write(&path, b"short").unwrap();
        assert!(version(&path).is_err());
    }
}
