//! Certificates, as the original's `libmachine/cert`: the machine CA, the client certificate
//! shared by all machines, and per-machine server certificates.
//!
//! Every certificate: RSA-2048 key written as PEM `RSA PRIVATE KEY` (PKCS#1, mode 0600),
//! subject only `O=<org>`, random serial below 2^128, valid from the current minute minus
//! 5 minutes for 1080 days. Files are written atomically.
//!
//! By concern: [`generate`] makes certificates, [`bootstrap`](mod@bootstrap) keeps the CA
//! and client pair whole (and repairs what a kill left half-made), [`info`] reads and
//! validates certificates, [`pem`] and [`der`] are the encodings under them.

mod bootstrap;
mod der;
mod error;
mod generate;
mod info;
mod pem;

pub use bootstrap::{
    bootstrap, bootstrap_report, finish_interrupted, replace_ca_and_client, Bootstrapped, CertStore,
};
pub(crate) use der::pkcs8_to_pkcs1;
pub use error::{CertError, Result};
pub use generate::{generate_ca, generate_ca_with_validity, generate_cert};
pub use info::{
    cert_info_from_der, check_certificate_date, check_readable, parse_cert_info, read_cert_info,
    validate_cert_files, validate_certificate, CertFileError, CertInfo, PemKind,
};
pub use pem::key_matches_cert;
pub(crate) use pem::{certs_from_pem, private_key_from_pem, read_file};

use std::path::PathBuf;
use time::{Duration, OffsetDateTime};

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
}
