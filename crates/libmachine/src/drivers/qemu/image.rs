//! Base images: downloads into `<store>/cache/qemu` (progress bar, sha256), local images
//! imported into the cache under a content-versioned name, format checks, and the
//! per-machine overlay disk. A base image is never written to: machines run on overlays,
//! and a changed base gets a new file name, so existing overlays keep their backing file.

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The official Debian 12 cloud image, the default when `--qemu-image` is not given.
pub const DEFAULT_IMAGE_URL: &str =
    "https://cloud.debian.org/images/cloud/bookworm/latest/debian-12-genericcloud-amd64.qcow2";

pub fn is_url(spec: &str) -> bool {
    spec.starts_with("http://") || spec.starts_with("https://")
}

pub fn cache_dir(store_path: &Path) -> PathBuf {
    store_path.join("cache").join("qemu")
}

fn short_hash(data: &[u8]) -> String {
    hex(&Sha256::digest(data))[..16].to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn base_name(spec: &str) -> String {
    let name = spec
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("image");
    let name: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "image".into()
    } else {
        name
    }
}

/// Where the download of `url` is cached: the URL's hash keeps different URLs apart.
pub fn cached_download_path(store_path: &Path, url: &str) -> PathBuf {
    cache_dir(store_path).join(format!("{}-{}", short_hash(url.as_bytes()), base_name(url)))
}

/// The sha256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Make sure `url` is in the cache (downloading it if needed) and return its path. A
/// cached file is reused when its recorded sha256 still matches (and matches `expected`).
pub fn fetch(store_path: &Path, url: &str, expected: Option<&str>, quiet: bool) -> Result<PathBuf> {
    let dest = cached_download_path(store_path, url);
    let sum_file = PathBuf::from(format!("{}.sha256", dest.display()));
    let expected = expected
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty());
    if dest.exists() {
        let recorded = fs::read_to_string(&sum_file).unwrap_or_default();
        let actual = sha256_file(&dest)?;
        if recorded.trim() == actual && expected.as_deref().is_none_or(|e| e == actual) {
            return Ok(dest);
        }
        // A damaged or different file: fetch it again.
        let _ = fs::remove_file(&dest);
    }
    crate::fsutil::create_private_dir(dest.parent().expect("cache dir"))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".download")
        .tempfile_in(dest.parent().expect("cache dir"))?;
    let actual =
        download(url, tmp.as_file_mut(), quiet).with_context(|| format!("downloading {url}"))?;
    if let Some(e) = &expected {
        if *e != actual {
            bail!("downloading {url}: sha256 mismatch: expected {e}, got {actual}");
        }
    }
    tmp.as_file().sync_all()?;
    tmp.persist(&dest).map_err(|e| e.error)?;
    crate::fsutil::write_atomic(&sum_file, actual.as_bytes(), 0o644)?;
    Ok(dest)
}

fn http_agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .tls_config(crate::cloud::http::tls_config())
        .timeout_connect(Some(std::time::Duration::from_secs(20)))
        .build()
        .into()
}

/// Stream `url` into `out`, with a progress bar on a terminal; returns the sha256.
fn download(url: &str, out: &mut fs::File, quiet: bool) -> Result<String> {
    let response = http_agent().get(url).call()?;
    let total: Option<u64> = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let bar = if quiet {
        indicatif::ProgressBar::hidden()
    } else {
        let bar = indicatif::ProgressBar::with_draw_target(
            total,
            indicatif::ProgressDrawTarget::stderr(),
        );
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bytes}/{total_bytes} [{bar:40}] {bytes_per_sec} {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    };
    let mut reader = bar.wrap_read(response.into_body().into_reader());
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])?;
    }
    bar.finish_and_clear();
    Ok(hex(&hasher.finalize()))
}

/// Bring a local image (or kernel/initrd) into the cache under a name that carries its
/// content hash, so that rebuilding the file in place never pulls an overlay's backing
/// file from under a machine. Copies once per content.
pub fn import_local(store_path: &Path, path: &Path) -> Result<PathBuf> {
    let meta = fs::metadata(path)
        .map_err(|e| anyhow::anyhow!("{}", crate::fsutil::go_io_error("stat", path, &e)))?;
    if !meta.is_file() {
        bail!("{} is not a file", path.display());
    }
    let sum = sha256_file(path)?;
    let dest = cache_dir(store_path).join(format!(
        "{}-{}",
        &sum[..16],
        base_name(&path.to_string_lossy())
    ));
    if !dest.exists() {
        crate::fsutil::create_private_dir(dest.parent().expect("cache dir"))?;
        let tmp = tempfile::Builder::new()
            .prefix(".import")
            .tempfile_in(dest.parent().expect("cache dir"))?;
        // A hard link costs nothing when the cache is on the same file system.
        let _ = fs::remove_file(tmp.path());
        if fs::hard_link(path, tmp.path()).is_err() {
            fs::copy(path, tmp.path())?;
        }
        tmp.persist(&dest).map_err(|e| e.error)?;
    }
    Ok(dest)
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
pub fn check_with_qemu_img(qemu_img: &str, path: &Path, format: &str) -> Result<u64> {
    let out = Command::new(qemu_img)
        .args(["info", "--output=json", "-f", format])
        .arg(path)
        .output()
        .with_context(|| format!("running {qemu_img}"))?;
    if !out.status.success() {
        bail!(
            "{} is not a usable {format} image: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let info: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    Ok(info
        .get("virtual-size")
        .and_then(|v| v.as_u64())
        .unwrap_or(0))
}

/// The machine's disk: a qcow2 overlay on the base, `size_mb` big (at least the base's size).
pub fn create_overlay(
    qemu_img: &str,
    base: &Path,
    base_format: &str,
    overlay: &Path,
    size_mb: u64,
) -> Result<()> {
    let out = Command::new(qemu_img)
        .args(["create", "-q", "-f", "qcow2", "-F", base_format, "-b"])
        .arg(base)
        .arg(overlay)
        .arg(format!("{size_mb}M"))
        .output()
        .with_context(|| format!("running {qemu_img}"))?;
    if !out.status.success() {
        bail!(
            "creating the disk: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::net::TcpListener;

    /// A one-file HTTP server on loopback that counts the requests it answered.
    fn serve(body: Vec<u8>) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/images/test.qcow2",
            listener.local_addr().unwrap()
        );
        let hits = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                while reader.read_line(&mut line).map(|n| n > 2).unwrap_or(false) {
                    line.clear();
                }
                counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            }
        });
        (url, hits)
    }

    fn sha(data: &[u8]) -> String {
        hex(&Sha256::digest(data))
    }

    #[test]
    fn downloads_once_checks_and_reuses() {
        let store = tempfile::tempdir().unwrap();
        let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let (url, hits) = serve(body.clone());
        let path = fetch(store.path(), &url, Some(&sha(&body)), true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), body);
        assert!(path.starts_with(cache_dir(store.path())));
        assert!(path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with("-test.qcow2"));
        let again = fetch(store.path(), &url, None, true).unwrap();
        assert_eq!(again, path);
        assert_eq!(
            hits.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the cached file is reused"
        );
        // A damaged cache entry is fetched again.
        fs::write(&path, b"damaged").unwrap();
        fetch(store.path(), &url, None, true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), body);
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn a_wrong_checksum_keeps_nothing() {
        let store = tempfile::tempdir().unwrap();
        let (url, _) = serve(b"some image bytes".to_vec());
        let err = fetch(store.path(), &url, Some(&"0".repeat(64)), true)
            .unwrap_err()
            .to_string();
        assert!(err.contains("sha256 mismatch"), "{err}");
        let left: Vec<_> = fs::read_dir(cache_dir(store.path())).unwrap().collect();
        assert!(left.is_empty(), "nothing kept: {left:?}");
    }

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

    #[test]
    fn local_images_are_imported_under_their_content_hash() {
        let store = tempfile::tempdir().unwrap();
        let src = store.path().join("base.qcow2");
        fs::write(&src, b"version one").unwrap();
        let first = import_local(store.path(), &src).unwrap();
        fs::remove_file(&src).unwrap();
        fs::write(&src, b"version two").unwrap();
        let second = import_local(store.path(), &src).unwrap();
        assert_ne!(first, second, "a rebuilt image gets a new cache name");
        assert_eq!(
            fs::read(&first).unwrap(),
            b"version one",
            "the old base stays for its overlays"
        );
    }
}
