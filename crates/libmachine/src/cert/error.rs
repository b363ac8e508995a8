//! What can go wrong with certificates. Each variant's text is what the user reads, in
//! Go's words where 0.16.2 passed on Go's (`crypto/tls`, `crypto/x509`, `os`).

use std::path::{Path, PathBuf};

pub type Result<T> = std::result::Result<T, CertError>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CertError {
    /// A file operation failed: `open /x/ca.pem: no such file or directory`.
    #[error("{op} {}: {reason}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        reason: String,
    },
    #[error("tls: failed to find any PEM data in certificate input")]
    NoCertificateInPem,
    #[error("tls: failed to find any PEM data in key input")]
    NoPemInKey,
    #[error("tls: failed to find PEM block with type ending in \"PRIVATE KEY\" in key input")]
    NoKeyInPem,
    #[error("tls: failed to parse private key")]
    UnparsableKey,
    #[error("tls: private key does not match public key")]
    KeyMismatch,
    #[error("Failed to decode PEM data")]
    NoPemData,
    #[error("x509: malformed certificate: {0}")]
    Malformed(String),
    /// The certificate library refused to build or sign a certificate (its own words).
    #[error("x509: {0}")]
    Build(String),
    #[error("x509: cannot use {0:?} as a DNS name")]
    InvalidDnsName(String),
    #[error("crypto/rsa: key generation failed: {0}")]
    KeyGeneration(String),
    #[error("x509: unexpected RSA private key encoding")]
    KeyEncoding,
    #[error("x509: internal error: malformed certificate")]
    Splice,
    #[error("x509: signing failed: {0}")]
    Signing(String),
    /// The TLS library refused the client configuration (its own words).
    #[error("tls: {0}")]
    TlsConfig(String),
    /// The CA file holds no certificate (0.16.2's words).
    #[error("There was an error reading certificate")]
    NoCaCertificate,
    #[error("Error reading CA certificate {}: {reason}", path.display())]
    CaRejected { path: PathBuf, reason: String },

    // Bootstrapping the CA and client pair.
    #[error("creating machine certificate dir failed: {0}")]
    CertDir(Box<CertError>),
    #[error("Error locking the certificate store: {0}")]
    Lock(String),
    /// A pair a kill left half-made that cannot be repaired nor safely replaced.
    #[error("{}", incomplete_text(what, reason, users))]
    Incomplete {
        what: &'static str,
        reason: String,
        /// Machines made with this CA (they need it).
        users: Vec<String>,
    },
    /// `certificate authority key` or `client key`, found where a new one was to be made.
    #[error("{0} already exists")]
    KeyExists(&'static str),
    #[error("generating CA certificate failed: {0}")]
    GenerateCa(Box<CertError>),
    #[error("failure generating client certificate: {0}")]
    GenerateClient(Box<CertError>),
}

impl CertError {
    /// A failed file operation, worded as Go's `os` package words it.
    pub(crate) fn io(op: &'static str, path: &Path, e: &std::io::Error) -> CertError {
        CertError::Io {
            op,
            path: path.to_path_buf(),
            reason: crate::fsutil::go_io_reason(e),
        }
    }
}

/// The one line refusing to replace a half-made pair, saying what to do.
fn incomplete_text(what: &str, reason: &str, users: &[String]) -> String {
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
