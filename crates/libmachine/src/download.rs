//! Downloads for the image caches: one HTTP agent (rustls, proxy from the environment),
//! a file fetched into place atomically (sha256 checked when one is expected), the
//! progress shown while it comes (a progress bar on a terminal, the original's
//! `0%....10%....` line otherwise), and [`FileCache`], a folder of checked downloads and
//! imported files. The boot2docker ISO cache and the qemu image cache both build on it.

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};
use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The agent every download and API call uses.
pub fn http_agent() -> ureq::Agent {
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .root_certs(ureq::tls::RootCerts::WebPki)
        .build();
    ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_connect(Some(Duration::from_secs(20)))
        // A status >= 400 is read as a response, so the error can name it.
        .http_status_as_error(false)
        .build()
        .into()
}

/// How download progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// An indicatif bar (stdout is a terminal).
    Bar,
    /// An indicatif bar on stderr (a terminal), leaving stdout to the command's output.
    BarOnStderr,
    /// The original's `0%....10%....100%` line on stdout.
    Percent,
    /// Nothing.
    Quiet,
}

impl Progress {
    /// A bar on a terminal, the original's percent line otherwise.
    pub fn for_stdout() -> Progress {
        if io::stdout().is_terminal() {
            Progress::Bar
        } else {
            Progress::Percent
        }
    }

    /// A bar on stderr when it is a terminal, nothing otherwise.
    pub fn for_stderr() -> Progress {
        if io::stderr().is_terminal() {
            Progress::BarOnStderr
        } else {
            Progress::Quiet
        }
    }
}

/// Writes the original's progress: the percentage at every 10%, a dot at every other 2%,
/// and a newline at the end.
pub struct PercentWriter<W: Write> {
    out: W,
    total: Option<u64>,
    done: u64,
    next: u64,
}

impl<W: Write> PercentWriter<W> {
    pub fn new(out: W, total: Option<u64>) -> Self {
        PercentWriter {
            out,
            total: total.filter(|t| *t > 0),
            done: 0,
            next: 0,
        }
    }

    pub fn advance(&mut self, n: u64) {
        let Some(total) = self.total else { return };
        self.done += n;
        let percent = self.done * 100 / total;
        while percent >= self.next {
            if self.next.is_multiple_of(10) {
                let _ = write!(self.out, "{}%", self.next);
            } else {
                let _ = write!(self.out, ".");
            }
            self.next += 2;
        }
        let _ = self.out.flush();
    }

    pub fn finish(mut self) -> W {
        let _ = writeln!(self.out);
        let _ = self.out.flush();
        self.out
    }
}

/// GET `url` into `dest`; the file appears whole or not at all. `headers` are added to
/// the request. Returns the sha256 (hex) of the file; when `expected_sha256` is given
/// and differs, nothing is kept.
pub fn http_to_file(
    url: &str,
    dest: &Path,
    headers: &[(&str, String)],
    progress: Progress,
    expected_sha256: Option<&str>,
) -> Result<String> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut req = http_agent().get(url);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    let response = req.call().with_context(|| format!("Get {url}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("Get {url}: {status}");
    }
    let total: Option<u64> = response
        .headers()
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    let mut body = response.into_body().into_reader();
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("{name}.tmp"))
        .tempfile_in(dir)?;
    let mut buf = vec![0u8; 1 << 16];
    let mut hasher = Sha256::new();
    let mut percent =
        (progress == Progress::Percent).then(|| PercentWriter::new(io::stdout(), total));
    let target = match progress {
        Progress::Bar => Some(indicatif::ProgressDrawTarget::stdout()),
        Progress::BarOnStderr => Some(indicatif::ProgressDrawTarget::stderr()),
        Progress::Percent | Progress::Quiet => None,
    };
    let bar = target.map(|target| {
        let bar = indicatif::ProgressBar::with_draw_target(total, target);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bytes}/{total_bytes} [{bar:40}] {bytes_per_sec} {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar
    });
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(anyhow::Error::new(e).context(format!("Get {url}"))),
        };
        tmp.write_all(&buf[..n])?;
        hasher.update(&buf[..n]);
        if let Some(p) = percent.as_mut() {
            p.advance(n as u64);
        }
        if let Some(b) = &bar {
            b.inc(n as u64);
        }
    }
    if let Some(p) = percent {
        p.finish();
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let actual = hex(&hasher.finalize());
    if let Some(expected) = expected_sha256 {
        if expected != actual {
            bail!("sha256 mismatch: expected {expected}, got {actual}");
        }
    }
    tmp.as_file().sync_all()?;
    persist(tmp, dest)?;
    Ok(actual)
}

/// Copy a local file into `dest`, whole or not at all.
pub fn copy_file(src: &Path, dest: &Path) -> Result<()> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    let mut from = fs::File::open(src)
        .map_err(|e| anyhow::anyhow!("{}", crate::fsutil::go_io_error("open", src, &e)))?;
    let name = dest.file_name().unwrap_or_default().to_string_lossy();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!("{name}.tmp"))
        .tempfile_in(dir)?;
    io::copy(&mut from, tmp.as_file_mut())?;
    tmp.as_file().sync_all()?;
    persist(tmp, dest)
}

fn persist(tmp: tempfile::NamedTempFile, dest: &Path) -> Result<()> {
    // Owner-readable like the rest of the store; a rename replaces the old file at once
    // (on Windows too: tempfile's persist replaces an existing file).
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))?;
    }
    tmp.persist(dest).map_err(|e| e.error)?;
    Ok(())
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A folder of files kept by content: downloads (each beside its recorded sha256,
/// checked on every use) and imported local files (named by their content hash). A
/// cached file is never written to again, so what was made from it keeps working.
#[derive(Debug, Clone)]
pub struct FileCache {
    dir: PathBuf,
}

impl FileCache {
    pub fn new(dir: PathBuf) -> FileCache {
        FileCache { dir }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the download of `url` is cached: the URL's hash keeps different URLs apart.
    pub fn download_path(&self, url: &str) -> PathBuf {
        let short = hex(&Sha256::digest(url.as_bytes()))[..16].to_string();
        self.dir.join(format!("{short}-{}", file_name_of(url)))
    }

    /// Make sure `url` is in the cache (downloading it if needed) and return its path. A
    /// cached file is reused when its recorded sha256 still matches (and matches
    /// `expected`).
    pub fn fetch(&self, url: &str, expected: Option<&str>, progress: Progress) -> Result<PathBuf> {
        let dest = self.download_path(url);
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
        crate::fsutil::create_private_dir(&self.dir)?;
        let actual = http_to_file(url, &dest, &[], progress, expected.as_deref())
            .map_err(|e| anyhow::anyhow!("downloading {url}: {e:#}"))?;
        crate::fsutil::write_atomic(&sum_file, actual.as_bytes(), 0o644)?;
        Ok(dest)
    }

    /// Bring a local file into the cache under a name that carries its content hash, so
    /// that rebuilding the file in place never pulls it from under what uses the cached
    /// one. Copies once per content.
    pub fn import_local(&self, path: &Path) -> Result<PathBuf> {
        let meta = fs::metadata(path)
            .map_err(|e| anyhow::anyhow!("{}", crate::fsutil::go_io_error("stat", path, &e)))?;
        if !meta.is_file() {
            bail!("{} is not a file", path.display());
        }
        let sum = sha256_file(path)?;
        let dest = self.dir.join(format!(
            "{}-{}",
            &sum[..16],
            file_name_of(&path.to_string_lossy())
        ));
        if !dest.exists() {
            crate::fsutil::create_private_dir(&self.dir)?;
            let tmp = tempfile::Builder::new()
                .prefix(".import")
                .tempfile_in(&self.dir)?;
            // A hard link costs nothing when the cache is on the same file system.
            let _ = fs::remove_file(tmp.path());
            if fs::hard_link(path, tmp.path()).is_err() {
                fs::copy(path, tmp.path())?;
            }
            tmp.persist(&dest).map_err(|e| e.error)?;
        }
        Ok(dest)
    }
}

/// The last part of a URL or path, with anything unusual in a file name replaced.
fn file_name_of(spec: &str) -> String {
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

    fn cache(store: &Path) -> FileCache {
        FileCache::new(store.join("cache").join("qemu"))
    }

    #[test]
    fn downloads_once_checks_and_reuses() {
        let store = tempfile::tempdir().unwrap();
        let cache = cache(store.path());
        let body: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        let (url, hits) = serve(body.clone());
        let path = cache
            .fetch(&url, Some(&sha(&body)), Progress::Quiet)
            .unwrap();
        assert_eq!(fs::read(&path).unwrap(), body);
        assert!(path.starts_with(cache.dir()));
        assert!(path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .ends_with("-test.qcow2"));
        let again = cache.fetch(&url, None, Progress::Quiet).unwrap();
        assert_eq!(again, path);
        assert_eq!(
            hits.load(std::sync::atomic::Ordering::SeqCst),
            1,
            "the cached file is reused"
        );
        // A damaged cache entry is fetched again.
        fs::write(&path, b"damaged").unwrap();
        cache.fetch(&url, None, Progress::Quiet).unwrap();
        assert_eq!(fs::read(&path).unwrap(), body);
        assert_eq!(hits.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[test]
    fn a_wrong_checksum_keeps_nothing() {
        let store = tempfile::tempdir().unwrap();
        let cache = cache(store.path());
        let (url, _) = serve(b"some image bytes".to_vec());
        let err = cache
            .fetch(&url, Some(&"0".repeat(64)), Progress::Quiet)
            .unwrap_err()
            .to_string();
        assert!(err.contains("sha256 mismatch"), "{err}");
        let left: Vec<_> = fs::read_dir(cache.dir()).unwrap().collect();
        assert!(left.is_empty(), "nothing kept: {left:?}");
    }

    #[test]
    fn local_files_are_imported_under_their_content_hash() {
        let store = tempfile::tempdir().unwrap();
        let cache = cache(store.path());
        let src = store.path().join("base.qcow2");
        fs::write(&src, b"version one").unwrap();
        let first = cache.import_local(&src).unwrap();
        fs::remove_file(&src).unwrap();
        fs::write(&src, b"version two").unwrap();
        let second = cache.import_local(&src).unwrap();
        assert_ne!(first, second, "a rebuilt image gets a new cache name");
        assert_eq!(
            fs::read(&first).unwrap(),
            b"version one",
            "the old base stays for its overlays"
        );
    }

    #[test]
    fn percent_line_is_the_originals() {
        let mut p = PercentWriter::new(Vec::new(), Some(1000));
        for _ in 0..10 {
            p.advance(100);
        }
        let out = String::from_utf8(p.finish()).unwrap();
        assert_eq!(
            out,
            "0%....10%....20%....30%....40%....50%....60%....70%....80%....90%....100%\n"
        );
    }

    #[test]
    fn percent_line_in_uneven_chunks_is_the_same() {
        let mut p = PercentWriter::new(Vec::new(), Some(997));
        for n in [1u64, 500, 3, 493] {
            p.advance(n);
        }
        let out = String::from_utf8(p.finish()).unwrap();
        assert_eq!(
            out,
            "0%....10%....20%....30%....40%....50%....60%....70%....80%....90%....100%\n"
        );
    }

    #[test]
    fn unknown_length_prints_only_the_newline() {
        let mut p = PercentWriter::new(Vec::new(), None);
        p.advance(10);
        assert_eq!(p.finish(), b"\n");
    }
}
