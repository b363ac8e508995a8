//! The on-disk store (`~/.docker/machine`): layout, atomic writes and per-machine locks.
//!
//! Layout (a contract: GitLab Runner and others read it):
//! `<store>/certs/{ca,ca-key,cert,key}.pem`, `<store>/machines/NAME/config.json`.
//! Locks live in `<store>/.locks/`, which no reader of the original layout looks at.

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

    pub fn remove(&self, name: &str) -> io::Result<()> {
        let dir = self.machine_dir(name);
        match fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => fs::remove_dir_all(&dir),
            Ok(_) => fs::remove_file(&dir),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// An exclusive lock on one machine, held until the returned file is dropped.
    /// Two processes acting on one machine wait for each other instead of racing.
    pub fn lock(&self, name: &str) -> io::Result<fs::File> {
        self.named_lock(&format!("machine-{name}"))
    }

    /// An exclusive lock on the shared certificates (created once, even by 50 parallel creates).
    pub fn lock_certs(&self) -> io::Result<fs::File> {
        self.named_lock("certs")
    }

    fn named_lock(&self, name: &str) -> io::Result<fs::File> {
        let dir = self.path.join(".locks");
        create_private_dir(&dir)?;
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(format!("{name}.lock")))?;
        file.lock()?;
        Ok(file)
    }
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
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
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
