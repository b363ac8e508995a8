//! Reading certificates: what one says (names, validity, usages), and whether the files
//! used to talk to machines are usable, as the original's `ValidateCertificate` checks.

use super::pem::{certs_from_pem, key_matches_cert, private_key_from_pem, read_file};
use super::{CertError, Result};
use rcgen::KeyPair;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

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
        .map_err(|e| CertError::Malformed(e.to_string()))?;
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
        .ok_or(CertError::NoPemData)
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
    use crate::cert::{generate_ca, generate_ca_with_validity, Validity};
    use time::Duration;

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
