//! Bootstrapping: the CA and the client pair every machine shares exist, are valid, and
//! are whole. A pair a kill left half-made is repaired from a whole copy, made again, or
//! refused with one line saying what to do.

use super::generate::{generate_ca, generate_cert};
use super::info::check_certificate_date;
use super::pem::{certs_from_pem, key_matches_cert, private_key_from_pem};
use super::{username, CertError, CertKind, CertOptions, Result};
use crate::fsutil::{create_private_dir, recover_pair, sweep_orphans, write_atomic};
use crate::options::AuthOptions;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What [`bootstrap_report`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Bootstrapped {
    pub ca_created: bool,
    pub ca_regenerated: bool,
    pub client_created: bool,
    pub client_regenerated: bool,
}

/// What bootstrapping needs from the store it runs in (the store implements it, so that
/// this module stays below the store): where the shared certificates live, the lock that
/// serialises their writers, and the machines' folders, whose copies can repair a pair a
/// kill left half-made.
pub trait CertStore {
    fn certs_dir(&self) -> PathBuf;
    /// Held while the shared certificates are checked or written.
    fn lock_certs(&self) -> std::io::Result<Box<dyn std::any::Any>>;
    /// Each machine's name and folder.
    fn machine_dirs(&self) -> Vec<(String, PathBuf)>;
}

/// The original's `BootstrapCertificates`: make sure the CA and the client pair exist and
/// are not expired. Valid files are never replaced. Runs under the store's certificate lock,
/// so concurrent `create`s produce exactly one CA and one client certificate.
///
/// A pair found half-made (one file missing, empty, truncated, or the key not matching
/// the certificate: a kill during an older version's or 0.16.2's write) is repaired: from
/// a whole copy when one exists (a temp file the kill left, a machine's copy), else by
/// making the pair again, unless machines still use that CA: then one line says what to do.
/// When a new CA is made, the client pair is made again too (the old one is signed by a
/// CA nothing trusts any more).
pub fn bootstrap(auth: &AuthOptions, store: &dyn CertStore) -> Result<()> {
    bootstrap_report(auth, store).map(|_| ())
}

/// [`bootstrap`], telling what it generated.
pub fn bootstrap_report(auth: &AuthOptions, store: &dyn CertStore) -> Result<Bootstrapped> {
    bootstrap_with(auth, store, false)
}

/// `regenerate-certs --client-certs`: a new CA and client pair replace the old ones, each
/// pair in one step, so a kill leaves the old pair or the new one, never a mix.
pub fn replace_ca_and_client(auth: &AuthOptions, store: &dyn CertStore) -> Result<Bootstrapped> {
    bootstrap_with(auth, store, true)
}

fn bootstrap_with(
    auth: &AuthOptions,
    store: &dyn CertStore,
    replace: bool,
) -> Result<Bootstrapped> {
    let cert_dir = if auth.cert_dir.is_empty() {
        store.certs_dir()
    } else {
        PathBuf::from(&auth.cert_dir)
    };
    let ca_cert = Path::new(&auth.ca_cert_path);
    let ca_key = Path::new(&auth.ca_private_key_path);
    let client_cert = Path::new(&auth.client_cert_path);
    let client_key = Path::new(&auth.client_key_path);

    create_private_dir(&cert_dir)
        .map_err(|e| CertError::CertDir(Box::new(CertError::io("mkdir", &cert_dir, &e))))?;
    let _lock = store
        .lock_certs()
        .map_err(|e| CertError::Lock(e.to_string()))?;
    crate::testpoint::pause("bootstrap-locked");
    for (key, cert) in [(ca_key, ca_cert), (client_key, client_cert)] {
        recover_pair(key, cert).map_err(|e| CertError::io("rename", cert, &e))?;
    }

    let ca_org = username();
    let client_org = format!("{ca_org}.<bootstrap>");
    let mut done = Bootstrapped::default();

    let ca = Pair {
        what: "CA",
        cert: ca_cert,
        key: ca_key,
    };
    let ca_state = match pair_state(ca_cert, ca_key)? {
        // Replaced below whatever it holds.
        PairState::Half(_) if replace => PairState::Whole,
        PairState::Half(reason) => ca.repair(&reason, store, &cert_dir, || {
            machines_with_copy(store, ca_cert)
        })?,
        state => state,
    };
    match ca_state {
        PairState::Missing => {
            create_ca(ca_cert, ca_key, &ca_org, false)?;
            done.ca_created = true;
        }
        _ if replace || !check_certificate_date(ca_cert)? => {
            if !replace {
                crate::log::info("CA certificate is outdated and needs to be regenerated");
            }
            // The new pair replaces the old one in one step (no window without a key).
            create_ca(ca_cert, ca_key, &ca_org, true)?;
            done.ca_regenerated = true;
        }
        _ => {}
    }
    crate::testpoint::pause("bootstrap-ca-done");

    let client = CertOptions {
        kind: CertKind::Client,
        hosts: Vec::new(),
        cert_file: client_cert.to_path_buf(),
        key_file: client_key.to_path_buf(),
        ca_file: ca_cert.to_path_buf(),
        ca_key_file: ca_key.to_path_buf(),
        org: client_org,
        validity: None,
    };
    let client_pair = Pair {
        what: "client certificate",
        cert: client_cert,
        key: client_key,
    };
    let client_state = match pair_state(client_cert, client_key)? {
        // A new client pair breaks no machine: only the CA has users.
        PairState::Half(reason) => client_pair.repair(&reason, store, &cert_dir, Vec::new)?,
        state => state,
    };
    let new_ca = done.ca_created || done.ca_regenerated;
    match client_state {
        PairState::Missing => {
            create_client(&client, false)?;
            done.client_created = true;
        }
        _ if new_ca || !check_certificate_date(client_cert)? => {
            if !new_ca {
                crate::log::info("Client certificate is outdated and needs to be regenerated");
            }
            create_client(&client, true)?;
            done.client_regenerated = true;
        }
        _ => {}
    }
    // Temp files of writes killed halfway: every writer of this directory holds the lock.
    sweep_orphans(&cert_dir, std::time::Duration::ZERO);
    Ok(done)
}

/// Finish a certificate write that a kill interrupted (`certs/*.pending`, see
/// [`write_pair_atomic`]) before anything reads the certificates. Costs one directory
/// read when there is nothing to do; errors are left for the command to meet.
pub fn finish_interrupted(store: &dyn CertStore) {
    let dir = store.certs_dir();
    let pending = fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().ends_with(".pending"));
    if !pending {
        return;
    }
    if let Ok(_lock) = store.lock_certs() {
        for (key, cert) in [("ca-key.pem", "ca.pem"), ("key.pem", "cert.pem")] {
            let _ = recover_pair(&dir.join(key), &dir.join(cert));
        }
    }
}

/// What a certificate/key pair on disk amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PairState {
    /// Neither file exists.
    Missing,
    /// Both parse and the key is the certificate's.
    Whole,
    /// Anything else; the text says what is wrong.
    Half(String),
}

fn pair_state(cert: &Path, key: &Path) -> Result<PairState> {
    let read = |p: &Path| match fs::read(p) {
        Ok(data) => Ok(Some(data)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(CertError::io("open", p, &e)),
    };
    Ok(match (read(cert)?, read(key)?) {
        (None, None) => PairState::Missing,
        (Some(c), Some(k)) if key_matches_cert(&c, &k) => PairState::Whole,
        (Some(_), Some(_)) => PairState::Half(format!(
            "{} and {} are not a matching certificate and key",
            cert.display(),
            key.display()
        )),
        (None, _) => PairState::Half(format!("{} is missing", cert.display())),
        (_, None) => PairState::Half(format!("{} is missing", key.display())),
    })
}

/// A certificate and its key, named for messages.
struct Pair<'a> {
    what: &'static str,
    cert: &'a Path,
    key: &'a Path,
}

impl Pair<'_> {
    /// A half-made pair: restored from a whole copy, else removed so that it is made again,
    /// unless machines use it (`users`) or it lies outside the store's certificate folder
    /// (the user's own files): then refused.
    fn repair(
        &self,
        reason: &str,
        store: &dyn CertStore,
        cert_dir: &Path,
        users: impl FnOnce() -> Vec<String>,
    ) -> Result<PairState> {
        if salvage(self.cert, self.key, store) {
            crate::log::info(&format!(
                "Repaired the {} in {}",
                self.what,
                cert_dir.display()
            ));
            return Ok(PairState::Whole);
        }
        let users = users();
        let managed = |p: &Path| p.parent() == Some(cert_dir);
        if !users.is_empty() || !managed(self.cert) || !managed(self.key) {
            return Err(CertError::Incomplete {
                what: self.what,
                reason: reason.to_string(),
                users,
            });
        }
        crate::log::info(&format!(
            "The {} was incomplete ({reason}): making a new one",
            self.what
        ));
        remove_if_present(self.cert)?;
        remove_if_present(self.key)?;
        Ok(PairState::Missing)
    }
}

/// Restore the bad half of a pair from a whole copy that matches the good half: a temp
/// file a killed write left next to it, or a machine's copy (`machines/*/ca.pem`...).
fn salvage(cert: &Path, key: &Path, store: &dyn CertStore) -> bool {
    let (cert_data, key_data) = (fs::read(cert).ok(), fs::read(key).ok());
    let parses_cert = cert_data
        .as_deref()
        .is_some_and(|d| !certs_from_pem(d).is_empty());
    let parses_key = key_data
        .as_deref()
        .is_some_and(|d| private_key_from_pem(d).is_ok());
    let (broken, mode, good, cert_is_good) = match (parses_cert, parses_key) {
        (false, true) => (cert, 0o644, key_data, false),
        (true, false) => (key, 0o600, cert_data, true),
        _ => return false,
    };
    let good = good.unwrap_or_default();
    for candidate in copies_of(broken, store) {
        let Ok(data) = fs::read(&candidate) else {
            continue;
        };
        let fits = if cert_is_good {
            key_matches_cert(&good, &data)
        } else {
            key_matches_cert(&data, &good)
        };
        if fits && write_atomic(broken, &data, mode).is_ok() {
            crate::debug!("restored {} from {}", broken.display(), candidate.display());
            return true;
        }
    }
    false
}

/// Possible whole copies of `path`: its temp files, then machines' files of that name.
fn copies_of(path: &Path, store: &dyn CertStore) -> Vec<PathBuf> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let prefix = format!("{name}.tmp");
    let mut out: Vec<PathBuf> = path
        .parent()
        .and_then(|dir| fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| {
            let n = e.file_name().to_string_lossy().into_owned();
            n.starts_with(&prefix) && crate::fsutil::is_temp_name(&n)
        })
        .map(|e| e.path())
        .collect();
    for (_, dir) in store.machine_dirs() {
        let copy = dir.join(&*name);
        if copy.is_file() {
            out.push(copy);
        }
    }
    out
}

/// Machines holding a copy of this CA certificate (made with it, so they need it).
fn machines_with_copy(store: &dyn CertStore, ca_cert: &Path) -> Vec<String> {
    let Ok(ca) = fs::read(ca_cert) else {
        return Vec::new();
    };
    let name = ca_cert.file_name().unwrap_or_default();
    store
        .machine_dirs()
        .into_iter()
        .filter(|(_, dir)| fs::read(dir.join(name)).is_ok_and(|d| d == ca))
        .map(|(machine, _)| machine)
        .collect()
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(CertError::io("remove", path, &e)),
        _ => Ok(()),
    }
}

/// `replace`: the pair exists and is replaced on purpose; otherwise an existing key is
/// an error, as in the original.
fn create_ca(cert: &Path, key: &Path, org: &str, replace: bool) -> Result<()> {
    crate::log::info(&format!("Creating CA: {}", cert.display()));
    if !replace && fs::metadata(key).is_ok() {
        return Err(CertError::KeyExists("certificate authority key"));
    }
    generate_ca(cert, key, org).map_err(|e| CertError::GenerateCa(Box::new(e)))
}

fn create_client(opts: &CertOptions, replace: bool) -> Result<()> {
    crate::log::info(&format!(
        "Creating client certificate: {}",
        opts.cert_file.display()
    ));
    if !replace && fs::metadata(&opts.key_file).is_ok() {
        return Err(CertError::KeyExists("client key"));
    }
    generate_cert(opts).map_err(|e| CertError::GenerateClient(Box::new(e)))
}
