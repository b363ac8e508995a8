//! A docker context for each machine, written as the docker CLI writes its context store,
//! so that `docker --context NAME ps` and `docker context use NAME` reach the machine:
//!
//! ```text
//! $DOCKER_CONFIG/contexts/meta/<sha256(NAME)>/meta.json      Name, Metadata, Endpoints.docker
//! $DOCKER_CONFIG/contexts/tls/<sha256(NAME)>/docker/{ca,cert,key}.pem
//! $DOCKER_CONFIG/config.json                                 "currentContext" (`use`)
//! ```
//!
//! A context is ours when its `Metadata.DockerMachine` names this machine and this store;
//! any other context is the user's and is never written over nor removed. The context
//! is named after the machine, or `machine-NAME` ([`PREFIX`]) when that name is the
//! user's, reserved by docker (`default`) or not a valid context name. Nothing here calls
//! the docker CLI: it need not be installed.
//!
//! Crash safety: every file is written atomically, the TLS files before `meta.json` (the
//! context exists for docker once `meta.json` does), and removal deletes `meta.json`'s
//! folder first. A kill in between leaves a context pointing at the old files or an
//! orphan TLS folder, both repaired by the next write of that context, which also sweeps
//! the temp files of a write killed before its rename.

use crate::fsutil;
use crate::host::connection::ClientTlsFiles;
use crate::host::Host;
use crate::store::Store;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The context name used when the machine's own name cannot be: `machine-NAME`.
pub const PREFIX: &str = "machine-";
/// `Metadata.Description` of the contexts docker-machine writes (`docker context ls`).
pub const DESCRIPTION: &str = "created by docker-machine";
/// Older temp files than this in a context's folders are a killed write's: no write of a
/// context takes that long (writers of one machine's context hold its machine lock).
const ORPHAN_AGE: std::time::Duration = std::time::Duration::from_secs(60);
/// The context docker reserves for its own default endpoint.
const DOCKER_DEFAULT: &str = "default";

/// What went wrong with a context; the CLI prints it as a warning.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ContextError {
    #[error("{0}")]
    Io(String),
    /// The machine gave no Docker URL (not running, no endpoint).
    #[error("{0}")]
    Machine(String),
    /// Every name the machine could use belongs to a context the user made.
    #[error("the context name(s) {} belong to contexts docker-machine did not make", .0.join(", "))]
    NamesTaken(Vec<String>),
    #[error("{path}: {reason}")]
    Corrupt { path: String, reason: String },
}

fn io_error(op: &str, path: &Path, e: &io::Error) -> ContextError {
    ContextError::Io(fsutil::go_io_error(op, path, e))
}

/// The docker CLI's configuration folder: `$DOCKER_CONFIG`, else `~/.docker`.
pub fn docker_config_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = if cfg!(windows) { "USERPROFILE" } else { "HOME" };
    PathBuf::from(std::env::var_os(home).unwrap_or_default()).join(".docker")
}

/// Which machine a context is for: the machine's name and its store's path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub machine: String,
    pub store: String,
}

impl Owner {
    pub fn new(machine: &str, store: &Path) -> Owner {
        Owner {
            machine: machine.to_string(),
            store: store.to_string_lossy().into_owned(),
        }
    }

    fn to_json(&self) -> Value {
        json!({ "Name": self.machine, "StoragePath": self.store })
    }

    fn matches(&self, metadata: &Value) -> bool {
        metadata.get("DockerMachine") == Some(&self.to_json())
    }
}

/// What a context points at: the Docker URL and the client's TLS files.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub host: String,
    pub tls: ClientTlsFiles,
}

/// Who holds a context name.
#[derive(Debug, PartialEq, Eq)]
enum Holder {
    Nobody,
    Machine,
    User,
}

/// The docker CLI's context store and configuration file under one folder.
pub struct ContextStore {
    pub config_dir: PathBuf,
}

impl ContextStore {
    pub fn new(config_dir: impl Into<PathBuf>) -> ContextStore {
        ContextStore {
            config_dir: config_dir.into(),
        }
    }

    /// The store docker uses in this environment ([`docker_config_dir`]).
    pub fn from_env() -> ContextStore {
        ContextStore::new(docker_config_dir())
    }

    fn meta_dir(&self, name: &str) -> PathBuf {
        self.config_dir.join("contexts/meta").join(digest(name))
    }

    fn tls_dir(&self, name: &str) -> PathBuf {
        self.config_dir.join("contexts/tls").join(digest(name))
    }

    fn config_file(&self) -> PathBuf {
        self.config_dir.join("config.json")
    }

    /// The parsed `meta.json` of context `name`, if there is one.
    fn meta(&self, name: &str) -> Result<Option<Value>, ContextError> {
        let path = self.meta_dir(name).join("meta.json");
        match fs::read(&path) {
            Ok(data) => {
                serde_json::from_slice(&data)
                    .map(Some)
                    .map_err(|e| ContextError::Corrupt {
                        path: path.display().to_string(),
                        reason: e.to_string(),
                    })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error("open", &path, &e)),
        }
    }

    fn holder(&self, name: &str, owner: &Owner) -> Holder {
        match self.meta(name) {
            Ok(None) => Holder::Nobody,
            Ok(Some(meta)) if owner.matches(&meta["Metadata"]) => Holder::Machine,
            // Unreadable or someone else's: never touched.
            _ => Holder::User,
        }
    }

    /// The names the machine's context may have, in order of preference.
    fn candidates(machine: &str) -> Vec<String> {
        let prefixed = format!("{PREFIX}{machine}");
        if machine != DOCKER_DEFAULT && valid_context_name(machine) {
            vec![machine.to_string(), prefixed]
        } else {
            vec![prefixed]
        }
    }

    /// The name of the machine's existing context, if it has one.
    pub fn find(&self, owner: &Owner) -> Option<String> {
        Self::candidates(&owner.machine)
            .into_iter()
            .find(|name| self.holder(name, owner) == Holder::Machine)
    }

    /// Create or update the machine's context; returns its name.
    pub fn write(&self, owner: &Owner, endpoint: &Endpoint) -> Result<String, ContextError> {
        let candidates = Self::candidates(&owner.machine);
        let name = match self.find(owner) {
            Some(name) => name,
            None => candidates
                .iter()
                .find(|name| self.holder(name, owner) == Holder::Nobody)
                .cloned()
                .ok_or_else(|| ContextError::NamesTaken(candidates.clone()))?,
        };
        let tls_dir = self.tls_dir(&name).join("docker");
        create_dir(&tls_dir, 0o700)?;
        // A temp file a killed write left would show in `docker context inspect`.
        fsutil::sweep_orphans(&tls_dir, ORPHAN_AGE);
        for (file, source) in [
            ("ca.pem", &endpoint.tls.ca),
            ("cert.pem", &endpoint.tls.cert),
            ("key.pem", &endpoint.tls.key),
        ] {
            let data = fs::read(source).map_err(|e| io_error("open", source, &e))?;
            let dest = tls_dir.join(file);
            if fs::read(&dest).ok().as_ref() != Some(&data) {
                fsutil::write_atomic(&dest, &data, 0o600)
                    .map_err(|e| io_error("write", &dest, &e))?;
            }
        }
        let meta = json!({
            "Name": name,
            "Metadata": { "Description": DESCRIPTION, "DockerMachine": owner.to_json() },
            "Endpoints": { "docker": { "Host": endpoint.host, "SkipTLSVerify": false } },
        });
        if self.meta(&name).ok().flatten().as_ref() != Some(&meta) {
            let meta_dir = self.meta_dir(&name);
            create_dir(&meta_dir, 0o755)?;
            fsutil::sweep_orphans(&meta_dir, ORPHAN_AGE);
            let path = meta_dir.join("meta.json");
            let data = crate::jsonfmt::to_vec_compact(&meta).expect("JSON of strings");
            fsutil::write_atomic(&path, &data, 0o644).map_err(|e| io_error("write", &path, &e))?;
        }
        Ok(name)
    }

    /// Remove the machine's contexts (both names, if both are its own); the current context
    /// goes back to docker's default when it was one of them. Returns the removed names.
    pub fn remove(&self, owner: &Owner) -> Result<Vec<String>, ContextError> {
        let mut removed = Vec::new();
        for name in Self::candidates(&owner.machine) {
            if self.holder(&name, owner) != Holder::Machine {
                continue;
            }
            remove_dir(&self.meta_dir(&name))?;
            remove_dir(&self.tls_dir(&name))?;
            removed.push(name);
        }
        if let Some(current) = self.current()? {
            if removed.contains(&current) {
                self.set_current(None)?;
            }
        }
        Ok(removed)
    }

    /// `currentContext` of config.json (`None`: docker's default).
    pub fn current(&self) -> Result<Option<String>, ContextError> {
        Ok(self
            .config()?
            .get("currentContext")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string))
    }

    /// Set (or with `None` drop, as `docker context use default` does) `currentContext`,
    /// keeping every other key of config.json as it was.
    pub fn set_current(&self, name: Option<&str>) -> Result<(), ContextError> {
        let mut config = self.config()?;
        match name {
            Some(name) => {
                config.insert("currentContext".into(), Value::String(name.into()));
            }
            None if config.remove("currentContext").is_none() => return Ok(()),
            None => {}
        }
        create_dir(&self.config_dir, 0o700)?;
        let mut data = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"\t");
        let mut ser = serde_json::Serializer::with_formatter(&mut data, formatter);
        serde::Serialize::serialize(&config, &mut ser).expect("JSON value");
        let path = self.config_file();
        fsutil::write_atomic(&path, &data, 0o600).map_err(|e| io_error("write", &path, &e))
    }

    fn config(&self) -> Result<Map<String, Value>, ContextError> {
        let path = self.config_file();
        match fs::read(&path) {
            Ok(data) if data.iter().all(u8::is_ascii_whitespace) => Ok(Map::new()),
            Ok(data) => serde_json::from_slice(&data).map_err(|e| ContextError::Corrupt {
                path: path.display().to_string(),
                reason: e.to_string(),
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Map::new()),
            Err(e) => Err(io_error("open", &path, &e)),
        }
    }
}

/// The docker CLI's folder name for a context: the hex SHA-256 of its name.
fn digest(name: &str) -> String {
    Sha256::digest(name.as_bytes())
        .iter()
        .fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// The docker CLI's rule for context names: `^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$`.
pub fn valid_context_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphanumeric())
        && name.len() > 1
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.+-".contains(c))
}

fn create_dir(dir: &Path, mode: u32) -> Result<(), ContextError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, mode);
    #[cfg(not(unix))]
    let _ = mode;
    builder.create(dir).map_err(|e| io_error("mkdir", dir, &e))
}

fn remove_dir(dir: &Path) -> Result<(), ContextError> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_error("remove", dir, &e)),
    }
}

/// The machine's context, created or brought up to date with its current Docker URL and
/// client certificates (after create, start, restart, provision, regenerate-certs).
/// `Ok(None)`: the machine has no Docker endpoint (an empty URL).
pub fn sync(
    contexts: &ContextStore,
    store: &Store,
    host: &Host,
) -> Result<Option<String>, ContextError> {
    let url = host
        .driver
        .url()
        .map_err(|e| ContextError::Machine(format!("{e:#}")))?;
    if url.is_empty() {
        return Ok(None);
    }
    let endpoint = Endpoint {
        host: url,
        tls: host.client_tls_files(&store.machine_dir(&host.name)),
    };
    contexts
        .write(&Owner::new(&host.name, &store.path), &endpoint)
        .map(Some)
}

/// [`sync`], where a failure must not fail the command: it becomes one warning line on
/// stderr.
pub fn sync_or_warn(store: &Store, host: &Host) {
    if let Err(e) = sync(&ContextStore::from_env(), store, host) {
        warn_failure(&host.name, "updated", &e);
    }
}

/// `use`: the machine's context, brought up to date (or as it is, when the machine cannot
/// give its URL now, e.g. stopped), made docker's current context. Returns its name.
pub fn use_machine(
    contexts: &ContextStore,
    store: &Store,
    host: &Host,
) -> Result<String, ContextError> {
    let name = match sync(contexts, store, host) {
        Ok(Some(name)) => name,
        Ok(None) => {
            return Err(ContextError::Machine(format!(
                "machine {:?} has no Docker endpoint",
                host.name
            )))
        }
        Err(e) => contexts
            .find(&Owner::new(&host.name, &store.path))
            .ok_or(e)?,
    };
    contexts.set_current(Some(&name))?;
    Ok(name)
}

/// After `rm`: the machine's contexts go, unless the machine is still in the store.
pub fn remove_or_warn(store: &Store, machine: &str) {
    if store.exists(machine) {
        return;
    }
    if let Err(e) = ContextStore::from_env().remove(&Owner::new(machine, &store.path)) {
        warn_failure(machine, "removed", &e);
    }
}

fn warn_failure(machine: &str, done: &str, e: &ContextError) {
    crate::log::error(&format!(
        "Warning: the docker context of machine {machine:?} was not {done}: {e}"
    ));
}

#[cfg(test)]
mod tests;
