//! boot2docker, shared by the drivers that boot its ISO (hyperv, virtualbox, the VMware
//! ones): the ISO cache `<store>/cache/boot2docker.iso` kept at the latest GitHub release,
//! `--<driver>-boot2docker-url` (a releases API URL, an http(s) URL, a path or `file://`),
//! the copy into the machine directory, the ISO's version ([`iso`]) and the seed disk
//! ([`seed`]).

pub mod iso;
pub mod seed;

use crate::download::{self, Progress};
use crate::log;
use anyhow::{anyhow, bail, Context, Result};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub const ISO_FILENAME: &str = "boot2docker.iso";
/// boot2docker's releases on GitHub; `/latest` is appended for the latest one.
pub const DEFAULT_API_URL: &str = "https://api.github.com/repos/boot2docker/boot2docker/releases";

static GITHUB_API_TOKEN: Mutex<String> = Mutex::new(String::new());

/// `--github-api-token` / `MACHINE_GITHUB_API_TOKEN`: sent as `Authorization: token X` to the
/// GitHub API (a process-wide setting, as in the original).
pub fn set_github_api_token(token: &str) {
    *GITHUB_API_TOKEN.lock().unwrap() = token.to_string();
}

fn github_api_token() -> String {
    GITHUB_API_TOKEN.lock().unwrap().clone()
}

/// The ISO cache of one store.
#[derive(Debug, Clone)]
pub struct B2dCache {
    store_path: PathBuf,
    /// The releases API URL used when no boot2docker URL is given (tests serve their own).
    api_url: String,
    progress: Progress,
    /// Where the Info/Warn lines go when not to the log (tests read them).
    lines: Option<Arc<Mutex<Vec<String>>>>,
    /// The machine a driver's lines are said for: `(NAME) ` starts them.
    machine: Option<String>,
}

impl B2dCache {
    pub fn new(store_path: &Path) -> B2dCache {
        B2dCache {
            store_path: store_path.to_path_buf(),
            api_url: DEFAULT_API_URL.to_string(),
            progress: Progress::for_stdout(),
            lines: None,
            machine: None,
        }
    }

    /// Look for the latest release at another releases API URL.
    pub fn with_api_url(mut self, url: &str) -> B2dCache {
        self.api_url = url.to_string();
        self
    }

    pub fn with_progress(mut self, progress: Progress) -> B2dCache {
        self.progress = progress;
        self
    }

    /// Collect the Info/Warn lines in `sink` instead of printing them.
    pub fn with_lines(mut self, sink: Arc<Mutex<Vec<String>>>) -> B2dCache {
        self.lines = Some(sink);
        self
    }

    /// Lines said by a driver for `machine`, as 0.16.2's driver plugins printed them
    /// (`(NAME) Copying ...`); `upgrade` says them without.
    pub fn for_machine(mut self, machine: &str) -> B2dCache {
        self.machine = Some(machine.to_string());
        self
    }

    fn say(&self, line: &str) {
        let prefixed;
        let line = match &self.machine {
            Some(machine) => {
                prefixed = format!("({machine}) {line}");
                &prefixed
            }
            None => line,
        };
        match &self.lines {
            Some(sink) => sink.lock().unwrap().push(line.to_string()),
            None => log::info(line),
        }
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.store_path.join("cache")
    }

    /// `<store>/cache/boot2docker.iso`.
    pub fn cached_iso(&self) -> PathBuf {
        self.cache_dir().join(ISO_FILENAME)
    }

    /// Make sure the machine has its ISO: `iso_url` empty means the cached ISO, brought up
    /// to the latest release first; otherwise `iso_url` is fetched into the machine dir.
    pub fn copy_iso_to_machine_dir(&self, iso_url: &str, machine_dir: &Path) -> Result<()> {
        self.update_iso_cache(iso_url)?;
        let dest = machine_dir.join(ISO_FILENAME);
        if iso_url.is_empty() {
            self.say(&format!(
                "Copying {} to {}...",
                self.cached_iso().display(),
                dest.display()
            ));
            return download::copy_file(&self.cached_iso(), &dest);
        }
        let url = self.release_url(iso_url)?;
        self.fetch(&url, &dest)
    }

    /// Bring the cached ISO to the latest release (only when no URL was given). When the
    /// release API or the download cannot be reached, an ISO already in the cache (put
    /// there by hand, say) is used as it is.
    pub fn update_iso_cache(&self, iso_url: &str) -> Result<()> {
        let cached = self.cached_iso();
        if !self.cache_dir().exists() {
            self.say(&format!(
                "Image cache directory does not exist, creating it at {}...",
                self.cache_dir().display()
            ));
            crate::fsutil::create_private_dir(&self.cache_dir())?;
        }
        let exists = cached.is_file();
        if !iso_url.is_empty() {
            if exists {
                self.say(&format!("Boot2Docker URL was explicitly set to {iso_url:?} at create time, so Docker Machine cannot upgrade this machine to the latest version."));
            }
            // An ISO from an explicit URL is not cached.
            return Ok(());
        }
        if !exists {
            self.say("No default Boot2Docker ISO found locally, downloading the latest release...");
            return self.download_latest().map_err(|e| {
                anyhow!(
                    "no {ISO_FILENAME} in {} and the latest release cannot be downloaded: {}",
                    self.cache_dir().display(),
                    log::one_line(&format!("{e:#}"))
                )
            });
        }
        let local = match iso::version(&cached) {
            Ok(v) => Some(v),
            Err(e) => {
                self.say(&format!(
                    "Unable to get the local Boot2Docker ISO version: {e}"
                ));
                None
            }
        };
        let latest = match self.latest_tag(&self.api_url) {
            Ok(tag) => tag,
            Err(e) => {
                self.say(&format!("Unable to get the latest Boot2Docker ISO release version: {}; using the ISO in {} as it is", log::one_line(&format!("{e:#}")), cached.display()));
                return Ok(());
            }
        };
        if local.as_deref() == Some(latest.as_str()) {
            return Ok(());
        }
        self.say("Default Boot2Docker ISO is out-of-date, downloading the latest release...");
        let url = self.download_url(&self.api_url, &latest)?;
        self.say(&format!("Downloading {} from {url}...", cached.display()));
        if let Err(e) = self.fetch(&url, &cached) {
            self.say(&format!(
                "Unable to download the latest Boot2Docker ISO: {}; using the ISO in {} as it is",
                log::one_line(&format!("{e:#}")),
                cached.display()
            ));
        }
        Ok(())
    }

    fn download_latest(&self) -> Result<()> {
        let url = self.release_url(&self.api_url)?;
        self.say(&format!(
            "Downloading {} from {url}...",
            self.cached_iso().display()
        ));
        self.fetch(&url, &self.cached_iso())
    }

    /// The ISO URL for `url`: a GitHub (Enterprise) releases API URL names its latest
    /// release's `boot2docker.iso`; any other URL or path is itself.
    pub fn release_url(&self, url: &str) -> Result<String> {
        let Some(parts) = GithubReleases::parse(url) else {
            return Ok(url.to_string());
        };
        let tag = self.latest_tag(url)?;
        self.say(&format!(
            "Latest release for {}/{}/{} is {tag}",
            parts.web_host, parts.org, parts.repo
        ));
        self.download_url(url, &tag)
    }

    fn download_url(&self, api_url: &str, tag: &str) -> Result<String> {
        let p = GithubReleases::parse(api_url)
            .ok_or_else(|| anyhow!("{api_url} is not a GitHub releases API URL"))?;
        Ok(format!(
            "{}://{}/{}/{}/releases/download/{tag}/{ISO_FILENAME}",
            p.scheme, p.web_host, p.org, p.repo
        ))
    }

    /// The `tag_name` of `<api_url>/latest`.
    pub fn latest_tag(&self, api_url: &str) -> Result<String> {
        let url = format!("{}/latest", api_url.trim_end_matches('/'));
        let mut req = download::http_agent()
            .get(&url)
            .config()
            .timeout_global(Some(std::time::Duration::from_secs(30)))
            .build();
        let token = github_api_token();
        if !token.is_empty() {
            req = req.header("Authorization", &format!("token {token}"));
        }
        let mut response = req.call().with_context(|| format!("Get {url}"))?;
        let body = response
            .body_mut()
            .read_to_string()
            .with_context(|| format!("Get {url}"))?;
        #[derive(serde::Deserialize)]
        struct Release {
            #[serde(default)]
            tag_name: String,
        }
        let release: Release = serde_json::from_str(&body).map_err(|e| {
            anyhow!("Error demarshaling the Github API response: {e}\nYou may be getting rate limited by Github.")
        })?;
        if release.tag_name.is_empty() {
            bail!(
                "failed to get the latest release tag from the GitHub API response ({})",
                response.status()
            );
        }
        Ok(release.tag_name)
    }

    /// Fetch an http(s) URL, a `file://` URL or a path into `dest`.
    fn fetch(&self, url: &str, dest: &Path) -> Result<()> {
        if url.starts_with("http://") || url.starts_with("https://") {
            return download::http_to_file(url, dest, &[], self.progress, None).map(|_| ());
        }
        download::copy_file(&local_path(url), dest)
    }
}

/// The file a `file://` URL or a plain path names. Unlike the original (which read a
/// Windows path's drive letter as a URL scheme), `C:\x.iso` is a path.
fn local_path(url: &str) -> PathBuf {
    match url.strip_prefix("file://") {
        // file:///C:/x.iso on Windows names C:/x.iso.
        Some(rest) if cfg!(windows) && rest.starts_with('/') && rest.get(2..3) == Some(":") => {
            PathBuf::from(&rest[1..])
        }
        Some(rest) => PathBuf::from(rest),
        None => PathBuf::from(url),
    }
}

/// The parts of `http(s)://HOST[/api/v3]/repos/ORG/REPO/releases`.
struct GithubReleases {
    scheme: String,
    web_host: String,
    org: String,
    repo: String,
}

impl GithubReleases {
    fn parse(url: &str) -> Option<GithubReleases> {
        let re = regex::Regex::new(r"(https?)://([^/]+)(/api/v3)?/repos/([^/]+)/([^/]+)/releases")
            .expect("valid regex");
        let c = re.captures(url)?;
        let host = &c[2];
        Some(GithubReleases {
            scheme: c[1].to_string(),
            web_host: if host == "api.github.com" {
                "github.com".into()
            } else {
                host.into()
            },
            org: c[4].to_string(),
            repo: c[5].to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_api_urls_map_to_their_download_urls() {
        let c = B2dCache::new(Path::new("/s"));
        assert_eq!(
            c.download_url(DEFAULT_API_URL, "v19.03.12").unwrap(),
            "https://github.com/boot2docker/boot2docker/releases/download/v19.03.12/boot2docker.iso"
        );
        assert_eq!(
            c.download_url("https://ghe.example/api/v3/repos/me/b2d/releases", "v1")
                .unwrap(),
            "https://ghe.example/me/b2d/releases/download/v1/boot2docker.iso"
        );
        // Not a releases API URL: used as it is, without asking any API.
        assert_eq!(
            c.release_url("http://127.0.0.1:1/x.iso").unwrap(),
            "http://127.0.0.1:1/x.iso"
        );
    }

    #[test]
    fn file_urls_and_paths_name_local_files() {
        assert_eq!(
            local_path("file:///tmp/b2d.iso"),
            PathBuf::from("/tmp/b2d.iso")
        );
        assert_eq!(local_path("/tmp/b2d.iso"), PathBuf::from("/tmp/b2d.iso"));
        assert_eq!(local_path("b2d.iso"), PathBuf::from("b2d.iso"));
    }
}
