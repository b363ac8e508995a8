//! The on-disk store (`~/.docker/machine`): layout, atomic writes and per-machine locks.
//!
//! Layout (a contract: GitLab Runner and others read it):
//! `<store>/certs/{ca,ca-key,cert,key}.pem`, `<store>/machines/NAME/config.json`.
//! Locks live in `<store>/.locks/`, which no reader of the original layout looks at.
//!
//! Crash safety (a `kill -9` at any moment): single files are written to a temp file and
//! renamed ([`write_atomic`]); a certificate and its key are staged as `*.pending` and
//! committed together ([`write_pair_atomic`], rolled forward by [`recover_pair`]); a
//! removed machine is first renamed out of `machines/` ([`Store::remove`]); temp files
//! left by a kill are swept ([`sweep_orphans`]); a machine's lock file goes when the
//! machine does.

use crate::host::{Host, CONFIG_VERSION};
use crate::migrate;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Docker machine \"{0}\" does not exist. Use \"docker-machine ls\" to list machines. Use \"docker-machine create\" to add a new one.")]
    DoesNotExist(String),
    #[error("{0}")]
    Io(String),
    #[error("Error getting migrated host: {0}")]
    Migrate(String),
}

#[derive(Debug, Clone)]
pub struct Store {
    pub path: PathBuf,
}

impl Store {
    pub fn new(path: impl Into<PathBuf>) -> Store {
        Store { path: path.into() }
    }

    pub fn machines_dir(&self) -> PathBuf {
        self.path.join("machines")
    }

    pub fn machine_dir(&self, name: &str) -> PathBuf {
        self.machines_dir().join(name)
    }

    pub fn certs_dir(&self) -> PathBuf {
        self.path.join("certs")
    }

    /// Machine names: sub-directories of `machines/` not starting with `.`, bytewise order.
    pub fn list(&self) -> io::Result<Vec<String>> {
        let entries = match fs::read_dir(self.machines_dir()) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && entry.path().is_dir() {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }

    /// Whether anything (of any file type) stands at `machines/NAME`.
    pub fn exists(&self, name: &str) -> bool {
        fs::symlink_metadata(self.machine_dir(name)).is_ok()
    }

    /// Load a machine, migrating an older `config.json` (and keeping the original as
    /// `config.json.bak`).
    pub fn load(&self, name: &str) -> Result<Host, StoreError> {
        let dir = self.machine_dir(name);
        if !dir.is_dir() {
            return Err(StoreError::DoesNotExist(name.to_string()));
        }
        let path = dir.join("config.json");
        let data = fs::read(&path).map_err(|e| StoreError::Io(go_io_error("open", &path, &e)))?;
        let (host, migrated) = migrate::load_host(name, &data, &self.path)
            .map_err(|e| StoreError::Migrate(e.to_string()))?;
        if migrated {
            write_atomic(&dir.join("config.json.bak"), &data, 0o600)
                .and_then(|_| self.save(&host))
                .map_err(|e| StoreError::Io(format!("Error saving migrated host: {e}")))?;
        }
        Ok(host)
    }

    /// Write `config.json` atomically (temp file + rename), 0600, directories 0700.
    pub fn save(&self, host: &Host) -> io::Result<()> {
        debug_assert_eq!(host.config_version, CONFIG_VERSION);
        let dir = self.machine_dir(&host.name);
        create_private_dir(&dir)?;
        write_atomic(
            &dir.join("config.json"),
            host.to_json_pretty().as_bytes(),
            0o600,
        )
    }

    /// Remove a machine's directory. It is first renamed to `machines/.rm-NAME-PID` (which
    /// [`Store::list`] skips), so a kill halfway never leaves a half-deleted machine that
    /// still lists; such leftovers are deleted by the next `remove`.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        let dir = self.machine_dir(name);
        let result = match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {
                let doomed = self
                    .machines_dir()
                    .join(format!(".rm-{name}-{}", std::process::id()));
                fs::rename(&dir, &doomed)?;
                crate::testpoint::pause("rm-renamed");
                fs::remove_dir_all(&doomed)
            }
            Ok(_) => fs::remove_file(&dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        };
        self.sweep_removed();
        result
    }

    /// Delete what removals killed halfway left (`machines/.rm-NAME-PID` whose process
    /// is gone; a live one is still deleting its own).
    fn sweep_removed(&self) {
        let Ok(entries) = fs::read_dir(self.machines_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(rest) = name.strip_prefix(".rm-") else {
                continue;
            };
            let pid = rest.rsplit('-').next().and_then(|p| p.parse::<u32>().ok());
            if pid.is_some_and(|pid| !process_alive(pid)) {
                let _ = fs::remove_dir_all(entry.path());
            }
        }
    }

    /// An exclusive lock on one machine, held until the returned guard is dropped.
    /// Two processes acting on one machine wait for each other instead of racing.
    /// When the guard is dropped and the machine does not exist (removed, or a create
    /// that failed early), its lock file is deleted, so `.locks/` does not grow with every
    /// name ever used.
    pub fn lock(&self, name: &str) -> io::Result<Lock> {
        let mut lock = self.named_lock(&format!("machine-{name}"))?;
        let dir = self.machine_dir(name);
        // Temp files a killed writer left. Some writers (known_hosts, a migration) do not
        // take this lock: only files older than any live write are taken.
        sweep_orphans(&dir, std::time::Duration::from_secs(60));
        self.sweep_removed();
        lock.machine_dir = Some(dir);
        Ok(lock)
    }

    /// An exclusive lock on the shared certificates (created once, even by 50 parallel creates).
    pub fn lock_certs(&self) -> io::Result<Lock> {
        self.named_lock("certs")
    }

    fn named_lock(&self, name: &str) -> io::Result<Lock> {
        let dir = self.path.join(".locks");
        create_private_dir(&dir)?;
        let path = dir.join(format!("{name}.lock"));
        loop {
            let file = fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)?;
            file.lock()?;
            // The holder before us may have deleted the file after we opened it: our lock
            // is then on a file nobody else will open. Start again on the current one.
            if still_linked(&file, &path) {
                return Ok(Lock {
                    _file: file,
                    path,
                    machine_dir: None,
                });
            }
        }
    }
}

/// A held store lock (see [`Store::lock`]).
#[derive(Debug)]
pub struct Lock {
    _file: fs::File,
    path: PathBuf,
    /// For a machine lock: the machine directory whose absence lets the file go.
    machine_dir: Option<PathBuf>,
}

impl Drop for Lock {
    fn drop(&mut self) {
        if let Some(dir) = &self.machine_dir {
            // Deleted while still held: a waiter then sees its file unlinked and retries.
            // (On Windows an open file cannot be deleted; the file stays, harmlessly.)
            if fs::symlink_metadata(dir).is_err() {
                let _ = fs::remove_file(&self.path);
            }
        }
    }
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    let found = unsafe { libc::kill(pid, 0) } == 0;
    found || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Without a cheap check, leftovers stay (hidden from every listing all the same).
#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
}

#[cfg(unix)]
fn still_linked(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_linked(_file: &fs::File, path: &Path) -> bool {
    path.exists()
}

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
    let reason = match err.kind() {
        io::ErrorKind::NotFound => "no such file or directory".to_string(),
        io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        io::ErrorKind::IsADirectory => "is a directory".to_string(),
        io::ErrorKind::NotADirectory => "not a directory".to_string(),
        _ => go_reason(err),
    };
    format!("{op} {}: {reason}", path.display())
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
