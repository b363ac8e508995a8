//! Base images: the cache `<store>/cache/qemu` (downloads checked by sha256, local images
//! imported under a content-versioned name: [`FileCache`]), format checks, and the
//! per-machine overlay disk. A base image is never written to: machines run on overlays,
//! and a changed base gets a new file name, so existing overlays keep their backing file.

use crate::download::FileCache;
use crate::runner::{Cmd, CommandRunner};
use anyhow::{bail, Context, Result};
use std::fs;
use std::io::{self, Read};
use std::path::Path;

/// The official Debian 12 cloud image, the default when `--qemu-image` is not given.
pub const DEFAULT_IMAGE_URL: &str =
    "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2";

pub fn is_url(spec: &str) -> bool {
    spec.starts_with("http://") || spec.starts_with("https://")
}

/// The base images of one store: `<store>/cache/qemu`.
pub fn cache(store_path: &Path) -> FileCache {
    FileCache::new(store_path.join("cache").join("qemu"))
}

/// The image's format from its first bytes: `qcow2`, or `raw` for a disk with a
/// partition table or a bare ext2/3/4 file system. Anything else is not a disk image.
pub fn disk_format(path: &Path) -> Result<&'static str> {
    let mut head = vec![0u8; 2048];
    let mut f = fs::File::open(path)
        .map_err(|e| anyhow::anyhow!("{}", crate::fsutil::go_io_error("open", path, &e)))?;
    let n = read_up_to(&mut f, &mut head)?;
    let head = &head[..n];
    if head.starts_with(b"QFI\xfb") {
        return Ok("qcow2");
    }
    let mbr = head.len() >= 512 && head[510] == 0x55 && head[511] == 0xAA;
    let gpt = head.len() >= 520 && &head[512..520] == b"EFI PART";
    let ext = head.len() >= 1082 && head[1080] == 0x53 && head[1081] == 0xEF;
    if mbr || gpt || ext {
        return Ok("raw");
    }
    bail!(
        "{} is not a disk image (neither qcow2 nor a raw disk)",
        path.display()
    )
}

fn read_up_to(f: &mut fs::File, buf: &mut [u8]) -> io::Result<usize> {
    let mut total = 0;
    while total < buf.len() {
        match f.read(&mut buf[total..])? {
            0 => break,
            n => total += n,
        }
    }
    Ok(total)
}

/// `qemu-img info` must be able to open the image (a damaged qcow2 fails here).
pub fn check_with_qemu_img(
    runner: &dyn CommandRunner,
    qemu_img: &str,
    path: &Path,
    format: &str,
) -> Result<u64> {
    let path_arg = path.to_string_lossy();
    let out = runner
        .run(&Cmd::new(
            qemu_img,
            ["info", "--output=json", "-f", format, &path_arg],
        ))
        .with_context(|| format!("running {qemu_img}"))?;
    if !out.success() {
        bail!(
            "{} is not a usable {format} image: {}",
            path.display(),
            out.stderr.trim()
        );
    }
    let info: serde_json::Value = serde_json::from_str(&out.stdout)?;
    Ok(info
        .get("virtual-size")
        .and_then(|v| v.as_u64())
        .unwrap_or(0))
}

/// The machine's disk: a qcow2 overlay on the base, `size_mb` big (at least the base's size).
pub fn create_overlay(
    runner: &dyn CommandRunner,
    qemu_img: &str,
    base: &Path,
    base_format: &str,
    overlay: &Path,
    size_mb: u64,
) -> Result<()> {
    let (base, overlay) = (base.to_string_lossy(), overlay.to_string_lossy());
    let size = format!("{size_mb}M");
    let args = ["create", "-q", "-f", "qcow2", "-F", base_format, "-b"];
    let out = runner
        .run(&Cmd::new(
            qemu_img,
            args.into_iter().chain([&*base, &*overlay, &size]),
        ))
        .with_context(|| format!("running {qemu_img}"))?;
    if !out.success() {
        bail!("creating the disk: {}", out.stderr.trim());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_magic_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let qcow = dir.path().join("a.qcow2");
        fs::write(&qcow, b"QFI\xfb\0\0\0\x03").unwrap();
        assert_eq!(disk_format(&qcow).unwrap(), "qcow2");
        let mut ext = vec![0u8; 2048];
        ext[1080] = 0x53;
        ext[1081] = 0xEF;
        let raw = dir.path().join("b.img");
        fs::write(&raw, &ext).unwrap();
        assert_eq!(disk_format(&raw).unwrap(), "raw");
        let text = dir.path().join("c.txt");
        fs::write(&text, "hello").unwrap();
        assert!(disk_format(&text)
            .unwrap_err()
            .to_string()
            .contains("not a disk image"));
    }
}
