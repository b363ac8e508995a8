//! Test-only pause points, for the failure suite (`crates/docker-machine/tests/integration/failure_*.rs`).
//!
//! In debug builds, when `DM_TEST_PAUSE_AT` names a step, the process prints
//! `dm-test-pause: STEP` on stderr when it reaches that step and then sleeps until it is
//! killed; the test sends `kill -9` there, so a kill lands at every step deterministically.
//! Release builds compile this to nothing: the variable is ignored.

use std::path::Path;
use std::sync::OnceLock;

fn target() -> Option<&'static str> {
    if !cfg!(debug_assertions) {
        return None;
    }
    static AT: OnceLock<Option<String>> = OnceLock::new();
    AT.get_or_init(|| {
        std::env::var("DM_TEST_PAUSE_AT")
            .ok()
            .filter(|s| !s.is_empty())
    })
    .as_deref()
}

/// Stop here (for good) when `DM_TEST_PAUSE_AT` is `step`.
pub fn pause(step: &str) {
    if target() == Some(step) {
        stop(step);
    }
}

/// [`pause`] at `step:FILE_NAME`, for steps that happen once per file.
pub fn pause_file(step: &str, path: &Path) {
    if let Some(at) = target() {
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        if at == format!("{step}:{name}") {
            stop(at);
        }
    }
}

fn stop(step: &str) -> ! {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "dm-test-pause: {step}");
    let _ = std::io::stderr().flush();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
