//! Certificates, as the original's `libmachine/cert`: the machine CA, the client certificate
//! shared by all machines, and per-machine server certificates.
//!
//! Every certificate: RSA-2048 key written as PEM `RSA PRIVATE KEY` (PKCS#1, mode 0600),
//! subject only `O=<org>`, random serial below 2^128, valid from the current minute minus
//! 5 minutes for 1080 days. Files are written atomically.

use crate::fsutil::{
    create_private_dir, go_io_error, recover_pair, sweep_orphans, write_atomic, write_pair_atomic,
};
use crate::options::AuthOptions;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, PublicKeyData,
    SanType, SerialNumber, SigningKey,
};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
use std::fs;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

/// A certificate error; its text is what the user sees (often the original's exact words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CertError(pub String);

pub type Result<T> = std::result::Result<T, CertError>;

fn err(msg: impl Into<String>) -> CertError {
    CertError(msg.into())
}

/// How long every certificate is valid.
pub const VALIDITY_DAYS: i64 = 1080;

/// The validity window written into a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validity {
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
}

impl Validity {
    /// The original's window: now truncated to the minute, minus 5 minutes, for 1080 days.
    pub fn standard() -> Validity {
        Validity::starting_from(OffsetDateTime::now_utc())
    }

    /// The standard window computed as if the current time were `now`.
    pub fn starting_from(now: OffsetDateTime) -> Validity {
        let ts = now.unix_timestamp();
        let minute = ts - ts.rem_euclid(60);
        let not_before = OffsetDateTime::from_unix_timestamp(minute - 5 * 60)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH);
        Validity {
            not_before,
            not_after: not_before + Duration::days(VALIDITY_DAYS),
        }
    }
}

/// What a leaf certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CertKind {
    /// Key usage DigitalSignature, extended key usage clientAuth, no SANs.
    #[default]
    Client,
    /// Key usage DigitalSignature, KeyEncipherment, KeyAgreement; extended key usage
    /// serverAuth, plus clientAuth for a (legacy) swarm master; SANs from `hosts`.
    Server { swarm_master: bool },
}

/// The original's `cert.Options`: a leaf certificate signed by a CA read from PEM files.
#[derive(Debug, Clone, Default)]
pub struct CertOptions {
    pub kind: CertKind,
    /// Server SANs, in order: IP-looking entries become IP SANs, others DNS SANs; empty
    /// entries are skipped. Ignored for client certificates.
    pub hosts: Vec<String>,
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
    /// The CA certificate (PEM; the first CERTIFICATE block is used).
    pub ca_file: PathBuf,
    /// The CA key: PEM PKCS#1 (`RSA PRIVATE KEY`), PKCS#8 (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`).
    pub ca_key_file: PathBuf,
    pub org: String,
    /// `None`: [`Validity::standard`]. Tests use other windows to make expired certificates.
    pub validity: Option<Validity>,
}

/// The user name the original puts in certificate subjects: `$USER` on Unix
/// (`$USERNAME` on Windows), `unknown` when empty.
pub fn username() -> String {
    let var = if cfg!(windows) { "USERNAME" } else { "USER" };
    match std::env::var(var) {
        Ok(u) if !u.is_empty() => u,
        _ => "unknown".to_string(),
    }
}

/// Create a self-signed CA (`GenerateCACertificate`): cert 0644, PKCS#1 key 0600.
pub fn generate_ca(cert_path: &Path, key_path: &Path, org: &str) -> Result<()> {
    generate_ca_with_validity(cert_path, key_path, org, Validity::standard())
}

/// [`generate_ca`] with an explicit validity window (used to make expired CAs in tests).
pub fn generate_ca_with_validity(
    cert_path: &Path,
    key_path: &Path,
    org: &str,
    validity: Validity,
) -> Result<()> {
    let mut params = base_params(org, validity)?;
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages.push(KeyUsagePurpose::KeyCertSign);
    let key = new_rsa_key()?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| err(format!("x509: {e}")))?;
    write_pair(cert_path, cert.der(), key_path, &key)
}

/// Create a client or server certificate signed by a CA (`GenerateCert`).
pub fn generate_cert(opts: &CertOptions) -> Result<()> {
    let ca = load_ca(&opts.ca_file, &opts.ca_key_file)?;
    let mut params = base_params(&opts.org, opts.validity.unwrap_or_else(Validity::standard))?;
    params.is_ca = IsCa::ExplicitNoCa;
    match opts.kind {
        CertKind::Client => {
            params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        }
        CertKind::Server { swarm_master } => {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            if swarm_master {
                params
                    .extended_key_usages
                    .push(ExtendedKeyUsagePurpose::ClientAuth);
            }
            for host in opts.hosts.iter().filter(|h| !h.is_empty()) {
                params.subject_alt_names.push(san_for(host)?);
            }
        }
    }
    params.use_authority_key_identifier_extension = ca.key_id.is_some();

    let mut issuer_params = CertificateParams::default();
    issuer_params.key_identifier_method = match &ca.key_id {
        Some(id) => KeyIdMethod::PreSpecified(id.clone()),
        None => KeyIdMethod::Sha256,
    };
    issuer_params.distinguished_name = DistinguishedName::new();
    let issuer = Issuer::new(issuer_params, ca.key);
    let key = new_rsa_key()?;
    let cert = params
        .signed_by(&key, &issuer)
        .map_err(|e| err(format!("x509: {e}")))?;
    // rcgen re-encodes the issuer name from parsed attributes (and cannot represent some
    // names, e.g. repeated DC=); chain building compares bytes, so use the CA's own bytes.
    let der = with_issuer_name(cert.der(), &ca.subject_raw, issuer.key())?;
    write_pair(&opts.cert_file, &der, &opts.key_file, &key)
}

fn base_params(org: &str, validity: Validity) -> Result<CertificateParams> {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, org_value(org));
    let mut params = CertificateParams::default();
    params.distinguished_name = dn;
    params.not_before = validity.not_before;
    params.not_after = validity.not_after;
    params.serial_number = Some(SerialNumber::from_slice(
        &rand::random::<u128>().to_be_bytes(),
    ));
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
    ];
    Ok(params)
}

/// Go's encoding/asn1 writes a PrintableString when it can, UTF8String otherwise.
fn org_value(org: &str) -> DnValue {
    let printable = org
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
    if printable {
        if let Ok(s) = org.to_string().try_into() {
            return DnValue::PrintableString(s);
        }
    }
    DnValue::Utf8String(org.to_string())
}

fn san_for(host: &str) -> Result<SanType> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        // Go writes IPv4-mapped IPv6 addresses in their 4-byte form.
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
            v4 => v4,
        };
        return Ok(SanType::IpAddress(ip));
    }
    host.to_string()
        .try_into()
        .map(SanType::DnsName)
        .map_err(|_| err(format!("x509: cannot use {host:?} as a DNS name")))
}

fn new_rsa_key() -> Result<KeyPair> {
    KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
        .map_err(|e| err(format!("crypto/rsa: key generation failed: {e}")))
}

fn pem_encode(tag: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(tag, der.to_vec()), config)
}

/// Write the certificate (0644) and the key as PKCS#1 (0600): both or neither, even if
/// the process is killed halfway (see [`write_pair_atomic`]).
fn write_pair(cert_path: &Path, cert_der: &[u8], key_path: &Path, key: &KeyPair) -> Result<()> {
    let pkcs1 = pkcs8_to_pkcs1(key.serialized_der())
        .ok_or_else(|| err("x509: unexpected RSA private key encoding"))?;
    let key_pem = pem_encode("RSA PRIVATE KEY", pkcs1);
    let cert_pem = pem_encode("CERTIFICATE", cert_der);
    write_pair_atomic(
        (key_path, key_pem.as_bytes(), 0o600),
        (cert_path, cert_pem.as_bytes(), 0o644),
    )
    .map_err(|e| err(go_io_error("open", cert_path, &e)))
}

// ---------------------------------------------------------------------------------------
// Reading PEM files

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| err(go_io_error("open", path, &e)))
}

fn pem_blocks(data: &[u8]) -> Vec<pem::Pem> {
    pem::parse_many(data).unwrap_or_default()
}

/// Every CERTIFICATE block of a PEM file's content, as DER.
pub(crate) fn certs_from_pem(data: &[u8]) -> Vec<Vec<u8>> {
    pem_blocks(data)
        .into_iter()
        .filter(|p| p.tag() == "CERTIFICATE")
        .map(|p| p.into_contents())
        .collect()
}

/// The first private key of a PEM file's content, as Go's `tls.X509KeyPair` finds it.
pub(crate) fn private_key_from_pem(data: &[u8]) -> Result<PrivateKeyDer<'static>> {
    let blocks = pem_blocks(data);
    if blocks.is_empty() {
        return Err(err("tls: failed to find any PEM data in key input"));
    }
    let block = blocks
        .into_iter()
        .find(|p| p.tag() == "PRIVATE KEY" || p.tag().ends_with(" PRIVATE KEY"))
        .ok_or_else(|| {
            err("tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input")
        })?;
    let tag = block.tag().to_string();
    let der = block.into_contents();
    let key = match tag.as_str() {
        "RSA PRIVATE KEY" => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
        "PRIVATE KEY" => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
        "EC PRIVATE KEY" => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
        _ => PrivateKeyDer::try_from(der.as_slice())
            .map_err(|_| err("tls: failed to parse private key"))?
            .clone_key(),
    };
    Ok(key)
}

struct LoadedCa {
    subject_raw: Vec<u8>,
    key_id: Option<Vec<u8>>,
    key: KeyPair,
}

/// Go's `tls.LoadX509KeyPair` on the CA files, with its error texts.
fn load_ca(cert_path: &Path, key_path: &Path) -> Result<LoadedCa> {
    let cert_pem = read_file(cert_path)?;
    let key_pem = read_file(key_path)?;
    let der = certs_from_pem(&cert_pem)
        .into_iter()
        .next()
        .ok_or_else(|| err("tls: failed to find any PEM data in certificate input"))?;
    let key_der = private_key_from_pem(&key_pem)?;
    let key = KeyPair::try_from(&key_der).map_err(|_| err("tls: failed to parse private key"))?;
    let (_, x509) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| err(format!("x509: malformed certificate: {e}")))?;
    if x509.public_key().subject_public_key.data.as_ref() != key.der_bytes() {
        return Err(err("tls: private key does not match public key"));
    }
    let key_id = x509
        .iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(id) => {
                Some(id.0.to_vec())
            }
            _ => None,
        });
    Ok(LoadedCa {
        subject_raw: x509.subject().as_raw().to_vec(),
        key_id,
        key,
    })
}

// ---------------------------------------------------------------------------------------
// Minimal DER handling (PKCS#8 -> PKCS#1, issuer splice)

/// One DER element split off some data: (tag, whole element, content, rest of the data).
type DerSplit<'a> = (u8, &'a [u8], &'a [u8], &'a [u8]);

/// Split one DER element off `data`.
fn der_split(data: &[u8]) -> Option<DerSplit<'_>> {
    let tag = *data.first()?;
    let first = *data.get(1)?;
    let (len, header) = if first < 0x80 {
        (first as usize, 2)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return None;
        }
        let bytes = data.get(2..2 + n)?;
        (
            bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize),
            2 + n,
        )
    };
    let end = header.checked_add(len)?;
    let whole = data.get(..end)?;
    Some((tag, whole, &whole[header..], &data[end..]))
}

fn der_elements(mut data: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (_, whole, _, rest) = der_split(data)?;
        out.push(whole);
        data = rest;
    }
    Some(out)
}

fn der_encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// rsaEncryption, 1.2.840.113549.1.1.1, as a DER OID element.
const RSA_ENCRYPTION_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
];

/// The RSAPrivateKey (PKCS#1) inside a PKCS#8 PrivateKeyInfo holding an RSA key.
pub(crate) fn pkcs8_to_pkcs1(der: &[u8]) -> Option<&[u8]> {
    let (0x30, _, info, _) = der_split(der)? else {
        return None;
    };
    let (0x02, _, _, rest) = der_split(info)? else {
        return None;
    };
    let (0x30, _, alg, rest) = der_split(rest)? else {
        return None;
    };
    if !alg.starts_with(RSA_ENCRYPTION_OID) {
        return None;
    }
    let (0x04, _, key, _) = der_split(rest)? else {
        return None;
    };
    Some(key)
}

/// Replace a certificate's issuer name with `issuer_raw` and sign it again with `key`.
fn with_issuer_name(cert_der: &[u8], issuer_raw: &[u8], key: &KeyPair) -> Result<Vec<u8>> {
    let malformed = || err("x509: internal error: malformed certificate");
    let (_, _, body, _) = der_split(cert_der).ok_or_else(malformed)?;
    let parts = der_elements(body).ok_or_else(malformed)?;
    let [tbs, sig_alg, _sig] = parts.as_slice() else {
        return Err(malformed());
    };
    let (_, _, tbs_body, _) = der_split(tbs).ok_or_else(malformed)?;
    let mut fields = der_elements(tbs_body).ok_or_else(malformed)?;
    // version [0], serial, signature algorithm, issuer, ...
    let issuer_index = if fields.first().map(|f| f[0]) == Some(0xa0) {
        3
    } else {
        2
    };
    if fields.len() <= issuer_index {
        return Err(malformed());
    }
    if fields[issuer_index] == issuer_raw {
        return Ok(cert_der.to_vec());
    }
    fields[issuer_index] = issuer_raw;
    let tbs = der_encode(0x30, &fields.concat());
    let signature = key
        .sign(&tbs)
        .map_err(|e| err(format!("x509: signing failed: {e}")))?;
    let mut bits = vec![0u8];
    bits.extend(signature);
    Ok(der_encode(
        0x30,
        &[tbs, sig_alg.to_vec(), der_encode(0x03, &bits)].concat(),
    ))
}

// ---------------------------------------------------------------------------------------
// Bootstrap

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

    create_private_dir(&cert_dir).map_err(|e| {
        err(format!(
            "creating machine certificate dir failed: {}",
            go_io_error("mkdir", &cert_dir, &e)
        ))
    })?;
    let _lock = store
        .lock_certs()
        .map_err(|e| err(format!("Error locking the certificate store: {e}")))?;
    crate::testpoint::pause("bootstrap-locked");
    for (key, cert) in [(ca_key, ca_cert), (client_key, client_cert)] {
        recover_pair(key, cert).map_err(|e| err(go_io_error("rename", cert, &e)))?;
    }

    let ca_org = username();
    let client_org = format!("{ca_org}.<bootstrap>");
    let mut done = Bootstrapped::default();
    let managed = |p: &Path| p.parent() == Some(cert_dir.as_path());

    let mut ca_state = pair_state(ca_cert, ca_key)?;
    if let PairState::Half(reason) = &ca_state {
        if replace {
            // Replaced below whatever it holds.
            ca_state = PairState::Whole;
        } else if salvage(ca_cert, ca_key, store) {
            crate::log::info(&format!("Repaired the CA in {}", cert_dir.display()));
            ca_state = PairState::Whole;
        } else {
            let users = machines_with_copy(store, ca_cert);
            if !users.is_empty() || !managed(ca_cert) || !managed(ca_key) {
                return Err(err(refusal("CA", reason, &users)));
            }
            crate::log::info(&format!(
                "The CA was incomplete ({reason}): making a new one"
            ));
            remove_if_present(ca_cert)?;
            remove_if_present(ca_key)?;
            ca_state = PairState::Missing;
        }
    }
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
    let mut client_state = pair_state(client_cert, client_key)?;
    if let PairState::Half(reason) = &client_state {
        if salvage(client_cert, client_key, store) {
            crate::log::info(&format!(
                "Repaired the client certificate in {}",
                cert_dir.display()
            ));
            client_state = PairState::Whole;
        } else if !managed(client_cert) || !managed(client_key) {
            return Err(err(refusal("client certificate", reason, &[])));
        } else {
            crate::log::info(&format!(
                "The client certificate was incomplete ({reason}): making a new one"
            ));
            remove_if_present(client_cert)?;
            remove_if_present(client_key)?;
            client_state = PairState::Missing;
        }
    }
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
        Err(e) => Err(err(go_io_error("open", p, &e))),
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

/// Whether PEM data holds a certificate and the private key of its public key.
pub fn key_matches_cert(cert_pem: &[u8], key_pem: &[u8]) -> bool {
    let Some(der) = certs_from_pem(cert_pem).into_iter().next() else {
        return false;
    };
    let Ok(key) = private_key_from_pem(key_pem) else {
        return false;
    };
    let Ok(key) = KeyPair::try_from(&key) else {
        return false;
    };
    x509_parser::parse_x509_certificate(&der)
        .is_ok_and(|(_, c)| c.public_key().subject_public_key.data.as_ref() == key.der_bytes())
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

/// The one line refusing to replace a half-made pair, saying what to do.
fn refusal(what: &str, reason: &str, users: &[String]) -> String {
    if let Some(first) = users.first() {
        format!(
            "the {what} is incomplete ({reason}) and machines use it ({}): restore the file from a backup, or replace the CA with \"docker-machine regenerate-certs --client-certs -f {first}\" and regenerate the certificates of the others",
            users.join(", ")
        )
    } else {
        format!(
            "the {what} is incomplete ({reason}): restore the file from a backup, or delete both files to have new ones made"
        )
    }
}

fn remove_if_present(path: &Path) -> Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(err(go_io_error("remove", path, &e))),
        _ => Ok(()),
    }
}

/// `replace`: the pair exists and is replaced on purpose; otherwise an existing key is
/// an error, as in the original.
fn create_ca(cert: &Path, key: &Path, org: &str, replace: bool) -> Result<()> {
    crate::log::info(&format!("Creating CA: {}", cert.display()));
    if !replace && fs::metadata(key).is_ok() {
        return Err(err("certificate authority key already exists"));
    }
    generate_ca(cert, key, org).map_err(|e| err(format!("generating CA certificate failed: {e}")))
}

fn create_client(opts: &CertOptions, replace: bool) -> Result<()> {
    crate::log::info(&format!(
        "Creating client certificate: {}",
        opts.cert_file.display()
    ));
    if !replace && fs::metadata(&opts.key_file).is_ok() {
        return Err(err("client key already exists"));
    }
    generate_cert(opts).map_err(|e| err(format!("failure generating client certificate: {e}")))
}

// ---------------------------------------------------------------------------------------
// Inspection and validation

/// What a certificate says, for `regenerate-certs` and checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject O= values.
    pub organizations: Vec<String>,
    /// Issuer O= values.
    pub issuer_organizations: Vec<String>,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub is_ca: bool,
    pub server_auth: bool,
    pub client_auth: bool,
}

impl CertInfo {
    /// Whether `now` is inside the validity window.
    pub fn is_valid_at(&self, now: OffsetDateTime) -> bool {
        self.not_before <= now && now <= self.not_after
    }

    /// Whether a TLS client dialing `host` (an IP or DNS name, IPv6 with or without
    /// brackets) would accept this certificate's names, as Go's `VerifyHostname` does.
    pub fn covers(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            let canon = |ip: IpAddr| match ip {
                IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
                v4 => v4,
            };
            return self.ip_addresses.iter().any(|a| canon(*a) == canon(ip));
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.dns_names.iter().any(|name| {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            match name.strip_prefix("*.") {
                Some(suffix) => host
                    .split_once('.')
                    .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
                None => name == host,
            }
        })
    }
}

/// Parse the first certificate of a PEM file.
pub fn read_cert_info(path: &Path) -> Result<CertInfo> {
    parse_cert_info(&read_file(path)?)
}

/// Parse the first certificate of PEM data.
pub fn parse_cert_info(pem_data: &[u8]) -> Result<CertInfo> {
    cert_info_from_der(&first_cert_der(pem_data)?)
}

/// Parse one DER certificate.
pub fn cert_info_from_der(der: &[u8]) -> Result<CertInfo> {
    let (_, x509) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| err(format!("x509: malformed certificate: {e}")))?;
    let orgs = |name: &x509_parser::x509::X509Name<'_>| {
        name.iter_organization()
            .filter_map(|a| a.as_str().ok().map(str::to_string))
            .collect::<Vec<_>>()
    };
    let mut dns_names = Vec::new();
    let mut ip_addresses = Vec::new();
    if let Ok(Some(san)) = x509.subject_alternative_name() {
        for name in &san.value.general_names {
            match name {
                x509_parser::extensions::GeneralName::DNSName(d) => dns_names.push(d.to_string()),
                x509_parser::extensions::GeneralName::IPAddress(b) => {
                    if let Ok(a) = <[u8; 4]>::try_from(*b) {
                        ip_addresses.push(IpAddr::from(a));
                    } else if let Ok(a) = <[u8; 16]>::try_from(*b) {
                        ip_addresses.push(IpAddr::from(a));
                    }
                }
                _ => {}
            }
        }
    }
    let (server_auth, client_auth) = match x509.extended_key_usage() {
        Ok(Some(eku)) => (
            eku.value.server_auth || eku.value.any,
            eku.value.client_auth || eku.value.any,
        ),
        _ => (false, false),
    };
    Ok(CertInfo {
        organizations: orgs(x509.subject()),
        issuer_organizations: orgs(x509.issuer()),
        dns_names,
        ip_addresses,
        not_before: x509.validity().not_before.to_datetime(),
        not_after: x509.validity().not_after.to_datetime(),
        is_ca: x509.is_ca(),
        server_auth,
        client_auth,
    })
}

fn first_cert_der(pem_data: &[u8]) -> Result<Vec<u8>> {
    certs_from_pem(pem_data)
        .into_iter()
        .next()
        .ok_or_else(|| err("Failed to decode PEM data"))
}

/// The original's `CheckCertificateDate`: `Ok(false)` when the certificate has expired.
/// An unreadable or unparsable file is an error (the original does not regenerate it).
pub fn check_certificate_date(cert_path: &Path) -> Result<bool> {
    crate::debug!("Reading certificate data from {}", cert_path.display());
    let info = read_cert_info(cert_path)?;
    Ok(OffsetDateTime::now_utc() <= info.not_after)
}

/// What [`check_readable`] expects to find in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PemKind {
    Certificate,
    PrivateKey,
}

/// Why a certificate or key file cannot be used to talk to machines; one line naming
/// the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertFileError {
    /// Unreadable, or no parsable certificate / private key in it. `what` is the human
    /// name, e.g. `CA certificate`, `client key`.
    #[error("Error reading {what} {}: {reason}", path.display())]
    Unreadable {
        what: String,
        path: PathBuf,
        reason: String,
    },
    /// A certificate outside its validity window at `now`.
    #[error(
        "Invalid {what} {}: x509: certificate has expired or is not yet valid: current time {} is {}",
        path.display(),
        rfc3339(*now),
        outside_bound(*now, *not_before, *not_after)
    )]
    NotValidNow {
        what: String,
        path: PathBuf,
        now: OffsetDateTime,
        not_before: OffsetDateTime,
        not_after: OffsetDateTime,
    },
    /// The client key is not the client certificate's.
    #[error(
        "Invalid client key {}: tls: private key does not match public key of {}",
        key.display(),
        cert.display()
    )]
    KeyMismatch { key: PathBuf, cert: PathBuf },
    #[error(transparent)]
    Cert(#[from] CertError),
}

/// Go's wording of the bound `now` is past: `before NOT_BEFORE` or `after NOT_AFTER`.
fn outside_bound(
    now: OffsetDateTime,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> String {
    if now < not_before {
        format!("before {}", rfc3339(not_before))
    } else {
        format!("after {}", rfc3339(not_after))
    }
}

/// An error naming the file when it cannot be read or does not hold a parsable
/// certificate / private key: `Error reading CA certificate /x/ca.pem: <reason>`.
pub fn check_readable(
    path: &Path,
    what: &str,
    kind: PemKind,
) -> std::result::Result<(), CertFileError> {
    let reading = |reason: &dyn std::fmt::Display| CertFileError::Unreadable {
        what: what.to_string(),
        path: path.to_path_buf(),
        reason: reason.to_string(),
    };
    let data = read_file(path).map_err(|e| reading(&e))?;
    match kind {
        PemKind::Certificate => parse_cert_info(&data).map(|_| ()).map_err(|e| reading(&e)),
        PemKind::PrivateKey => {
            let key = private_key_from_pem(&data).map_err(|e| reading(&e))?;
            KeyPair::try_from(&key)
                .map(|_| ())
                .map_err(|_| reading(&"tls: failed to parse private key"))
        }
    }
}

/// A certificate file parses and is valid now (the local half of `ValidateCertificate`).
pub fn validate_certificate(path: &Path, what: &str) -> std::result::Result<(), CertFileError> {
    check_readable(path, what, PemKind::Certificate)?;
    let info = read_cert_info(path)?;
    let now = OffsetDateTime::now_utc();
    if info.is_valid_at(now) {
        return Ok(());
    }
    Err(CertFileError::NotValidNow {
        what: what.to_string(),
        path: path.to_path_buf(),
        now,
        not_before: info.not_before,
        not_after: info.not_after,
    })
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

/// Check the CA certificate, client certificate and client key used to talk to machines:
/// each readable and parsable, the certificates valid now, the key matching the certificate.
pub fn validate_cert_files(
    ca: &Path,
    cert: &Path,
    key: &Path,
) -> std::result::Result<(), CertFileError> {
    validate_certificate(ca, "CA certificate")?;
    validate_certificate(cert, "client certificate")?;
    check_readable(key, "client key", PemKind::PrivateKey)?;
    if !key_matches_cert(&read_file(cert)?, &read_file(key)?) {
        return Err(CertFileError::KeyMismatch {
            key: key.to_path_buf(),
            cert: cert.to_path_buf(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_truncates_to_minute_minus_five() {
        let now = OffsetDateTime::from_unix_timestamp(1_700_000_123).unwrap();
        let v = Validity::starting_from(now);
        assert_eq!(v.not_before.unix_timestamp(), 1_700_000_100 - 300);
        assert_eq!(v.not_after - v.not_before, Duration::days(1080));
    }

    #[test]
    fn der_roundtrip_and_pkcs8_unwrap() {
        let long = vec![7u8; 300];
        let enc = der_encode(0x04, &long);
        assert_eq!(&enc[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let (tag, whole, content, rest) = der_split(&enc).unwrap();
        assert_eq!(
            (tag, whole.len(), content, rest.len()),
            (0x04, enc.len(), &long[..], 0)
        );

        let key = new_rsa_key().unwrap();
        let pkcs1 = pkcs8_to_pkcs1(key.serialized_der()).unwrap();
        let back = KeyPair::try_from(&PrivateKeyDer::Pkcs1(pkcs1.to_vec().into())).unwrap();
        assert_eq!(back.der_bytes(), key.der_bytes());
        // Not RSA: no PKCS#1 form.
        let ec = KeyPair::generate().unwrap();
        assert!(pkcs8_to_pkcs1(ec.serialized_der()).is_none());
    }

    #[test]
    fn covers_ip_and_dns() {
        let info = CertInfo {
            organizations: vec![],
            issuer_organizations: vec![],
            dns_names: vec!["localhost".into(), "*.example.com".into()],
            ip_addresses: vec!["10.0.0.1".parse().unwrap(), "::1".parse().unwrap()],
            not_before: OffsetDateTime::UNIX_EPOCH,
            not_after: OffsetDateTime::UNIX_EPOCH,
            is_ca: false,
            server_auth: true,
            client_auth: false,
        };
        assert!(info.covers("10.0.0.1"));
        assert!(info.covers("[::1]"));
        assert!(!info.covers("10.0.0.2"));
        assert!(info.covers("LOCALHOST"));
        assert!(info.covers("a.example.com"));
        assert!(!info.covers("example.com"));
        assert!(!info.covers("a.b.example.com"));
    }

    #[test]
    fn org_string_types_follow_go() {
        assert!(matches!(org_value("alice"), DnValue::PrintableString(_)));
        assert!(matches!(
            org_value("alice.<bootstrap>"),
            DnValue::Utf8String(_)
        ));
    }

    #[test]
    fn unusable_files_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str| dir.path().join(name);
        generate_ca(&file("ca.pem"), &file("ca-key.pem"), "o").unwrap();
        generate_ca(&file("other.pem"), &file("other-key.pem"), "o").unwrap();
        validate_cert_files(&file("ca.pem"), &file("ca.pem"), &file("ca-key.pem")).unwrap();
        assert_eq!(
            validate_cert_files(&file("ca.pem"), &file("ca.pem"), &file("other-key.pem")),
            Err(CertFileError::KeyMismatch {
                key: file("other-key.pem"),
                cert: file("ca.pem"),
            })
        );
        assert!(matches!(
            validate_certificate(&file("missing.pem"), "CA certificate"),
            Err(CertFileError::Unreadable { what, .. }) if what == "CA certificate"
        ));

        let long_ago = Validity::starting_from(OffsetDateTime::now_utc() - Duration::days(2000));
        generate_ca_with_validity(&file("old.pem"), &file("old-key.pem"), "o", long_ago).unwrap();
        match validate_certificate(&file("old.pem"), "CA certificate") {
            Err(e @ CertFileError::NotValidNow { now, not_after, .. }) => {
                assert!(not_after < now);
                assert!(e
                    .to_string()
                    .contains(&format!("is after {}", rfc3339(not_after))));
            }
            other => panic!("{other:?}"),
        }
    }
}
