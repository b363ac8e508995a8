//! File helpers every layer uses: private directories, atomic writes (a `kill -9` leaves
//! the old content or the new, never a mix), pairs of files that appear together, the
//! sweep of temp files a killed writer left, and I/O errors worded as Go's `os` package
//! words them. A leaf: it knows nothing of machines or the store.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Create a directory and its missing parents with mode 0700.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Write a file so that readers see the old or the new content, never a mix.
pub fn write_atomic(path: &Path, data: &[u8], mode: u32) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let prefix = format!(
        "{}.tmp",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    let mut tmp = tempfile::Builder::new().prefix(&prefix).tempfile_in(dir)?;
    set_mode(tmp.as_file(), mode)?;
    tmp.write_all(data)?;
    tmp.as_file().sync_all()?;
    crate::testpoint::pause_file("write-before-rename", path);
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Where a file of a pair is staged before the pair is committed.
fn pending(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".pending");
    path.with_file_name(name)
}

/// Write a key and its certificate so that they appear together or not at all, even
/// when the process is killed halfway (callers hold the lock that serialises writers of
/// the pair). Both are staged as `*.pending` (key first: the staged certificate is the
/// commit mark), then renamed into place, key first. A kill before the mark leaves the
/// old pair; after it, [`recover_pair`] finishes the renames.
pub fn write_pair_atomic(key: (&Path, &[u8], u32), cert: (&Path, &[u8], u32)) -> io::Result<()> {
    // An earlier, interrupted commit is finished first: staging would overwrite it.
    recover_pair(key.0, cert.0)?;
    write_atomic(&pending(key.0), key.1, key.2)?;
    crate::testpoint::pause_file("pair-staged-key", cert.0);
    write_atomic(&pending(cert.0), cert.1, cert.2)?;
    crate::testpoint::pause_file("pair-staged", cert.0);
    fs::rename(pending(key.0), key.0)?;
    crate::testpoint::pause_file("pair-key-renamed", cert.0);
    fs::rename(pending(cert.0), cert.0)?;
    sync_dir(cert.0);
    Ok(())
}

/// Finish or undo a pair write that a kill interrupted (see [`write_pair_atomic`]).
/// Returns whether there was anything to do.
pub fn recover_pair(key: &Path, cert: &Path) -> io::Result<bool> {
    let (staged_key, staged_cert) = (pending(key), pending(cert));
    if staged_cert.exists() {
        if staged_key.exists() {
            fs::rename(&staged_key, key)?;
        }
        fs::rename(&staged_cert, cert)?;
        sync_dir(cert);
        return Ok(true);
    }
    match fs::remove_file(&staged_key) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Make renames in `file`'s directory durable (best effort; not possible on Windows).
fn sync_dir(file: &Path) {
    #[cfg(unix)]
    if let Some(dir) = file.parent() {
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = file;
}

/// Whether `name` is one of [`write_atomic`]'s temp files: `FILE.tmp` + 6 characters.
pub fn is_temp_name(name: &str) -> bool {
    name.len() > 10
        && name.is_char_boundary(name.len() - 10)
        && name[name.len() - 10..].starts_with(".tmp")
        && name[name.len() - 6..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric())
}

/// Delete the temp files a killed writer left in `dir` (see [`is_temp_name`]) that are
/// older than `min_age`. Only call it while holding the lock of every writer of `dir`,
/// or with an age no live write takes. Returns how many were deleted.
pub fn sweep_orphans(dir: &Path, min_age: std::time::Duration) -> usize {
    let Ok(entries) = fs::read_dir(dir) else {
        return 0;
    };
    let mut swept = 0;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_temp_name(&name) {
            continue;
        }
        let old_enough = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= min_age);
        if old_enough && fs::remove_file(entry.path()).is_ok() {
            swept += 1;
        }
    }
    swept
}

/// Copy a secret (a private key) so that only the owner can read the copy.
pub fn copy_private(src: &Path, dest: &Path) -> io::Result<()> {
    let data = fs::read(src)?;
    write_atomic(dest, &data, 0o600)
}

#[cfg(unix)]
fn set_mode(file: &fs::File, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_file: &fs::File, _mode: u32) -> io::Result<()> {
    Ok(())
}

/// An I/O error worded as Go's `os` package words it (`open PATH: no such file or directory`),
/// which scripts written against the original match on.
pub fn go_io_error(op: &str, path: &Path, err: &io::Error) -> String {
    format!("{op} {}: {}", path.display(), go_io_reason(err))
}

/// The reason part of [`go_io_error`]: `no such file or directory`, `permission denied`...
pub fn go_io_reason(err: &io::Error) -> String {
    match err.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::IsADirectory => "is a directory".to_string(),
        io::ErrorKind::NotADirectory => "not a directory".to_string(),
        _ => go_reason(err),
    }
}

/// An OS error as Go prints it: lower-case, without Rust's ` (os error N)`.
pub fn go_reason(err: &io::Error) -> String {
    let text = err.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).to_string();
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => text,
    }
}
