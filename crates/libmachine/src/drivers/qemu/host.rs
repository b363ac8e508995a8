//! Facts about the host the pre-create check needs, per operating system: total memory,
//! free disk space, and whether a program is on PATH.

use std::path::Path;

/// Total memory in MB, where the system says (Linux's /proc/meminfo); None elsewhere,
/// and the memory check is then skipped.
pub fn memory_mb() -> Option<i64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: i64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024)
}

/// MB free for an unprivileged user on the file system that holds `path` (or its
/// nearest existing ancestor).
pub fn free_disk_mb(path: &Path) -> Option<u64> {
    let mut dir = path.to_path_buf();
    while !dir.exists() {
        dir = dir.parent()?.to_path_buf();
    }
    free_bytes(&dir).map(|b| b / (1024 * 1024))
}

#[cfg(unix)]
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    // SAFETY: statvfs only writes into the zeroed struct we own.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    #[allow(clippy::unnecessary_cast)] // the field types differ between Unixes
    Some((st.f_bavail as u64).saturating_mul(st.f_frsize as u64))
}

#[cfg(windows)]
fn free_bytes(dir: &Path) -> Option<u64> {
    use std::os::windows::ffi::OsStrExt;
    use windows_sys::Win32::Storage::FileSystem::GetDiskFreeSpaceExW;
    let wide: Vec<u16> = dir.as_os_str().encode_wide().chain([0]).collect();
    let mut available: u64 = 0;
    // SAFETY: a NUL-terminated path and one out-parameter we own; the others may be null.
    let ok = unsafe {
        GetDiskFreeSpaceExW(
            wide.as_ptr(),
            &mut available,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        )
    };
    (ok != 0).then_some(available)
}

#[cfg(not(any(unix, windows)))]
fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

/// Whether `binary` is a file (when given with a directory) or found on PATH. On
/// Windows the `.exe` suffix may be left out, as when running it.
pub fn which(binary: &str) -> bool {
    let is_program = |p: &Path| {
        p.is_file()
            || (!std::env::consts::EXE_SUFFIX.is_empty()
                && p.extension().is_none()
                && p.with_extension(&std::env::consts::EXE_SUFFIX[1..])
                    .is_file())
    };
    if binary.contains('/') || (cfg!(windows) && binary.contains('\\')) {
        return is_program(Path::new(binary));
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| is_program(&d.join(binary))))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_of_a_missing_path_is_that_of_its_parent() {
        let dir = tempfile::tempdir().unwrap();
        let free = free_disk_mb(&dir.path().join("not/yet/made")).expect("a figure");
        assert!(free > 0, "the temp dir has some space");
        assert!(free_disk_mb(dir.path()).is_some());
    }

    #[test]
    fn which_finds_programs_on_path_and_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let prog = dir
            .path()
            .join(format!("prog{}", std::env::consts::EXE_SUFFIX));
        std::fs::write(&prog, b"").unwrap();
        assert!(which(prog.to_str().unwrap()));
        assert!(!which(dir.path().join("other").to_str().unwrap()));
        assert!(!which("surely-no-such-program-here"));
    }
}
