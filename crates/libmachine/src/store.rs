//! The on-disk store (`~/.docker/machine`): layout, atomic writes and per-machine locks.
//!
//! Layout (a contract: GitLab Runner and others read it):
//! `<store>/certs/{ca,ca-key,cert,key}.pem`, `<store>/machines/NAME/config.json`.
//! Locks live in `<store>/.locks/`, which no reader of the original layout looks at.
//!
//! Crash safety (a `kill -9` at any moment): single files are written to a temp file and
//! renamed ([`write_atomic`](crate::fsutil::write_atomic)); a certificate and its key are staged as `*.pending` and
//! committed together ([`write_pair_atomic`], rolled forward by [`recover_pair`]); a
//! removed machine is first renamed out of `machines/` ([`Store::remove`]); temp files
//! left by a kill are swept ([`sweep_orphans`]); a machine's lock file goes when the
//! machine does.

use crate::fsutil::{create_private_dir, sweep_orphans, write_atomic};
use crate::host::{Host, CONFIG_VERSION};
use crate::migrate;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Docker machine \"{0}\" does not exist. Use \"docker-machine ls\" to list machines. Use \"docker-machine create\" to add a new one.")]
    DoesNotExist(String),
    /// `config.json` cannot be read: `open PATH: permission denied`, in Go's words.
    #[error("open {}: {}", path.display(), crate::fsutil::go_io_reason(error))]
    Read { path: PathBuf, error: io::Error },
    /// It is not a machine this version (or a driver) can read.
    #[error("Error getting migrated host: {0}")]
    Migrate(anyhow::Error),
    #[error("Error saving migrated host: {0}")]
    SaveMigrated(io::Error),
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
            // The entry's type comes with the listing; only a link needs a stat.
            let is_dir = match entry.file_type() {
                Ok(t) if t.is_dir() => true,
                Ok(t) if !t.is_symlink() => false,
                _ => entry.path().is_dir(),
            };
            if !name.starts_with('.') && is_dir {
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
        let path = dir.join("config.json");
        // Read first: the directory is looked at only when that fails (`ls` loads all).
        let data = fs::read(&path).map_err(|error| {
            if dir.is_dir() {
                StoreError::Read {
                    path: path.clone(),
                    error,
                }
            } else {
                StoreError::DoesNotExist(name.to_string())
            }
        })?;
        let (host, migrated) =
            migrate::load_host(name, &data, &self.path).map_err(StoreError::Migrate)?;
        if migrated {
            write_atomic(&dir.join("config.json.bak"), &data, 0o600)
                .and_then(|_| self.save(&host))
                .map_err(StoreError::SaveMigrated)?;
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

impl crate::cert::CertStore for Store {
    fn certs_dir(&self) -> PathBuf {
        Store::certs_dir(self)
    }
    fn lock_certs(&self) -> io::Result<Box<dyn std::any::Any>> {
        Ok(Box::new(Store::lock_certs(self)?))
    }
    fn machine_dirs(&self) -> Vec<(String, PathBuf)> {
        let names = self.list().unwrap_or_default();
        names
            .into_iter()
            .map(|name| {
                let dir = self.machine_dir(&name);
                (name, dir)
            })
            .collect()
    }
}
