//! The boot2docker ISO cache against a GitHub-like releases API and download server on
//! 127.0.0.1, with real ISO9660 images made here by xorriso (volume label
//! `Boot2Docker-vX.Y.Z`, as boot2docker's own ISOs): first download, out-of-date cache,
//! up-to-date cache, the API token, a hand-placed ISO used when the API or the download
//! fails, explicit URLs (http, path, file://, a releases API URL) and the copy into the
//! machine directory.

use libmachine::boot2docker::{iso, B2dCache};
use libmachine::download::Progress;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use testkit::http::HttpServer;

const API: &str = "/repos/boot2docker/boot2docker/releases";

/// A real ISO9660 image whose volume label is `Boot2Docker-<version>`.
fn make_iso(dir: &Path, version: &str) -> Vec<u8> {
    let content = dir.join(format!("content-{version}"));
    std::fs::create_dir_all(&content).unwrap();
    std::fs::write(content.join("version"), version).unwrap();
    let out = dir.join(format!("{version}.iso"));
    let run = Command::new("xorriso")
        .args([
            "-as",
            "mkisofs",
            "-V",
            &format!("Boot2Docker-{version}"),
            "-o",
        ])
        .arg(&out)
        .arg(&content)
        .output()
        .expect("xorriso is needed (scripts/install-deps.sh installs it)");
    assert!(
        run.status.success(),
        "xorriso: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read(out).unwrap()
}

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    store: PathBuf,
    server: HttpServer,
    lines: Arc<Mutex<Vec<String>>>,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_path_buf();
        let store = dir.join("store");
        std::fs::create_dir_all(store.join("machines/m1")).unwrap();
        Fixture {
            _tmp: tmp,
            dir,
            store,
            server: HttpServer::start(),
            lines: Arc::default(),
        }
    }

    /// A release `version` on the server: the API's latest and its ISO asset.
    fn release(&self, version: &str) -> Vec<u8> {
        let iso = make_iso(&self.dir, version);
        self.server.route(
            &format!("{API}/latest"),
            200,
            format!(r#"{{"url":"x","tag_name":"{version}","name":"{version}","assets":[]}}"#),
        );
        self.server.route(&self.asset(version), 200, iso.clone());
        iso
    }

    fn asset(&self, version: &str) -> String {
        format!("/boot2docker/boot2docker/releases/download/{version}/boot2docker.iso")
    }

    fn cache(&self) -> B2dCache {
        B2dCache::new(&self.store)
            .with_api_url(&self.server.url(API))
            .with_progress(Progress::Quiet)
            .with_lines(self.lines.clone())
    }

    fn machine_iso(&self) -> PathBuf {
        self.store.join("machines/m1/boot2docker.iso")
    }

    fn lines(&self) -> Vec<String> {
        std::mem::take(&mut self.lines.lock().unwrap())
    }
}

#[test]
fn empty_cache_downloads_the_latest_release_and_copies_it() {
    let f = Fixture::new();
    let iso = f.release("v19.03.12");
    f.cache()
        .copy_iso_to_machine_dir("", &f.store.join("machines/m1"))
        .unwrap();
    let cached = f.store.join("cache/boot2docker.iso");
    assert_eq!(std::fs::read(&cached).unwrap(), iso);
    assert_eq!(std::fs::read(f.machine_iso()).unwrap(), iso);
    assert_eq!(iso::version(&cached).unwrap(), "v19.03.12");
    let host = format!("127.0.0.1:{}", f.server.port);
    assert_eq!(
        f.lines(),
        [
            format!(
                "Image cache directory does not exist, creating it at {}...",
                f.store.join("cache").display()
            ),
            "No default Boot2Docker ISO found locally, downloading the latest release...".into(),
            format!("Latest release for {host}/boot2docker/boot2docker is v19.03.12"),
            format!(
                "Downloading {} from {}...",
                cached.display(),
                f.server.url(&f.asset("v19.03.12"))
            ),
            format!(
                "Copying {} to {}...",
                cached.display(),
                f.machine_iso().display()
            ),
        ]
    );
    // No token given: no Authorization header.
    let api = &f.server.requests()[0];
    assert_eq!(api.path, format!("{API}/latest"));
    assert!(!api.headers.contains_key("authorization"));
    // Nothing left behind but the ISO.
    let names: Vec<_> = std::fs::read_dir(f.store.join("cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["boot2docker.iso"]);
}

#[test]
fn out_of_date_cache_is_replaced_and_current_cache_is_kept() {
    let f = Fixture::new();
    f.release("v18.09.1");
    f.cache().update_iso_cache("").unwrap();
    let newer = f.release("v19.03.5");
    f.lines();
    f.cache().update_iso_cache("").unwrap();
    let cached = f.store.join("cache/boot2docker.iso");
    assert_eq!(std::fs::read(&cached).unwrap(), newer);
    assert_eq!(iso::version(&cached).unwrap(), "v19.03.5");
    assert_eq!(
        f.lines(),
        [
            "Default Boot2Docker ISO is out-of-date, downloading the latest release...".to_string(),
            format!(
                "Downloading {} from {}...",
                cached.display(),
                f.server.url(&f.asset("v19.03.5"))
            ),
        ]
    );
    // Up to date: only the API is asked, the ISO is not fetched again.
    let before = f.server.hits(&f.asset("v19.03.5"));
    f.cache().update_iso_cache("").unwrap();
    assert_eq!(f.server.hits(&f.asset("v19.03.5")), before);
    assert!(f.lines().is_empty());
}

#[test]
fn the_github_token_is_sent_to_the_api() {
    let f = Fixture::new();
    f.release("v1.0.0");
    libmachine::boot2docker::set_github_api_token("s3cret");
    f.cache().update_iso_cache("").unwrap();
    libmachine::boot2docker::set_github_api_token("");
    let reqs = f.server.requests();
    let api = reqs.iter().find(|r| r.path.ends_with("/latest")).unwrap();
    assert_eq!(
        api.headers.get("authorization").map(String::as_str),
        Some("token s3cret")
    );
    // The ISO download itself is not a GitHub API call.
    let asset = reqs.iter().find(|r| r.path.ends_with(".iso")).unwrap();
    assert!(!asset.headers.contains_key("authorization"));
}

#[test]
fn a_hand_placed_iso_is_used_when_the_api_or_the_download_fails() {
    let f = Fixture::new();
    let cached = f.store.join("cache/boot2docker.iso");
    std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
    let by_hand = make_iso(&f.dir, "v17.0.0");
    std::fs::write(&cached, &by_hand).unwrap();

    // The API answers 403 (rate limited) with an error document.
    f.server.route(
        &format!("{API}/latest"),
        403,
        r#"{"message":"API rate limit exceeded"}"#,
    );
    f.cache()
        .copy_iso_to_machine_dir("", &f.store.join("machines/m1"))
        .unwrap();
    assert_eq!(std::fs::read(f.machine_iso()).unwrap(), by_hand);
    let lines = f.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with("Unable to get the latest Boot2Docker ISO release version: "),
        "{lines:?}"
    );
    assert!(
        lines[0].ends_with(&format!("; using the ISO in {} as it is", cached.display())),
        "{lines:?}"
    );

    // The API names a newer release whose download fails (404).
    f.server
        .route(&format!("{API}/latest"), 200, r#"{"tag_name":"v99.0.0"}"#);
    f.cache().update_iso_cache("").unwrap();
    assert_eq!(std::fs::read(&cached).unwrap(), by_hand);
    let lines = f.lines();
    assert!(
        lines[2].starts_with("Unable to download the latest Boot2Docker ISO: "),
        "{lines:?}"
    );
    assert!(lines[2].contains("404"), "{lines:?}");
    assert!(lines[2].ends_with("as it is"), "{lines:?}");

    // Nothing listens at the API address at all.
    let closed = testkit::free_port();
    f.cache()
        .with_api_url(&format!("http://127.0.0.1:{closed}{API}"))
        .update_iso_cache("")
        .unwrap();
    assert_eq!(std::fs::read(&cached).unwrap(), by_hand);
    assert_eq!(f.lines().len(), 1);
}

#[test]
fn no_iso_and_no_api_is_one_clear_error() {
    let f = Fixture::new();
    let closed = testkit::free_port();
    let err = f
        .cache()
        .with_api_url(&format!("http://127.0.0.1:{closed}{API}"))
        .copy_iso_to_machine_dir("", &f.store.join("machines/m1"))
        .unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.starts_with(&format!(
            "no boot2docker.iso in {} and the latest release cannot be downloaded: ",
            f.store.join("cache").display()
        )),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(!f.machine_iso().exists());
}

#[test]
fn explicit_urls_go_to_the_machine_dir_and_leave_the_cache_alone() {
    let f = Fixture::new();
    let machine = f.store.join("machines/m1");
    let custom = make_iso(&f.dir, "v5.5.5");
    f.server.route("/isos/custom.iso", 200, custom.clone());
    f.cache()
        .copy_iso_to_machine_dir(&f.server.url("/isos/custom.iso"), &machine)
        .unwrap();
    assert_eq!(std::fs::read(f.machine_iso()).unwrap(), custom);
    assert!(!f.store.join("cache/boot2docker.iso").exists());
    assert_eq!(
        f.server.hits(&format!("{API}/latest")),
        0,
        "no API call for a plain URL"
    );

    // A path and a file:// URL.
    let local = make_iso(&f.dir, "v6.6.6");
    let path = f.dir.join("v6.6.6.iso");
    f.cache()
        .copy_iso_to_machine_dir(path.to_str().unwrap(), &machine)
        .unwrap();
    assert_eq!(std::fs::read(f.machine_iso()).unwrap(), local);
    let other = make_iso(&f.dir, "v7.7.7");
    f.cache()
        .copy_iso_to_machine_dir(
            &format!("file://{}", f.dir.join("v7.7.7.iso").display()),
            &machine,
        )
        .unwrap();
    assert_eq!(std::fs::read(f.machine_iso()).unwrap(), other);

    // A releases API URL means that repository's latest release.
    let released = f.release("v8.8.8");
    f.cache()
        .copy_iso_to_machine_dir(&f.server.url(API), &machine)
        .unwrap();
    assert_eq!(std::fs::read(f.machine_iso()).unwrap(), released);

    // A cached ISO is not upgraded for a machine with an explicit URL: said once.
    std::fs::create_dir_all(f.store.join("cache")).unwrap();
    std::fs::write(f.store.join("cache/boot2docker.iso"), &custom).unwrap();
    f.lines();
    f.cache()
        .update_iso_cache(&f.server.url("/isos/custom.iso"))
        .unwrap();
    assert_eq!(
        f.lines(),
        [format!(
            "Boot2Docker URL was explicitly set to \"{}\" at create time, so Docker Machine cannot upgrade this machine to the latest version.",
            f.server.url("/isos/custom.iso")
        )]
    );

    // A missing file: Go's wording.
    let err = f
        .cache()
        .copy_iso_to_machine_dir("/nonexistent/b2d.iso", &machine)
        .unwrap_err();
    assert_eq!(
        format!("{err:#}"),
        "open /nonexistent/b2d.iso: no such file or directory"
    );
    // The machine's ISO is still the last good one.
    assert_eq!(std::fs::read(f.machine_iso()).unwrap(), released);
}
