//! Downloads for the image caches: one HTTP agent (rustls, proxy from the environment),
//! a file fetched into place atomically, and the progress shown while it comes: a
//! progress bar on a terminal, the original's `0%....10%....` line otherwise.

use anyhow::{bail, Context, Result};
use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
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
/// the request.
pub fn http_to_file(
    url: &str,
    dest: &Path,
    headers: &[(&str, String)],
    progress: Progress,
) -> Result<()> {
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
    let mut percent =
        (progress == Progress::Percent).then(|| PercentWriter::new(io::stdout(), total));
    let bar = (progress == Progress::Bar).then(|| {
        let bar = indicatif::ProgressBar::with_draw_target(
            total,
            indicatif::ProgressDrawTarget::stdout(),
        );
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
    tmp.as_file().sync_all()?;
    persist(tmp, dest)
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

#[cfg(test)]
mod tests {
    use super::*;

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
