//! TLS client configuration for talking to a machine's Docker daemon, and the handshake
//! of the original's connection check (`ValidateCertificate`; the check itself is
//! `host::connection`).
//!
//! The machine CA is the only root; the server certificate is always verified; the
//! aws-lc-rs provider is passed explicitly (no process-wide default is needed).

use crate::cert::{self, certs_from_pem, private_key_from_pem, read_file, CertError};
use crate::dial::DialError;
use crate::fsutil::go_reason;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    AlertDescription, CertificateError, ClientConfig, ClientConnection, DigitallySignedStruct,
    OtherError, RootCertStore, SignatureScheme,
};
use std::io::{self, Write};
use std::net::IpAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The original's dial timeout for the connection check.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(20);

/// The crypto provider used for every machine connection.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Every certificate of a PEM file (at least one).
pub fn load_certs(path: &Path) -> cert::Result<Vec<CertificateDer<'static>>> {
    let certs = certs_from_pem(&read_file(path)?);
    if certs.is_empty() {
        return Err(CertError::NoCertificateInPem);
    }
    Ok(certs.into_iter().map(CertificateDer::from).collect())
}

/// The first private key of a PEM file: PKCS#1, PKCS#8 or SEC1.
pub fn load_private_key(path: &Path) -> cert::Result<PrivateKeyDer<'static>> {
    private_key_from_pem(&read_file(path)?)
}

/// A client configuration trusting only the machine CA and presenting the client
/// certificate; TLS 1.2 and 1.3.
pub fn client_config(
    ca_pem_path: &Path,
    cert_path: &Path,
    key_path: &Path,
) -> cert::Result<ClientConfig> {
    let provider = provider();
    let mut roots = RootCertStore::empty();
    let ca_certs = certs_from_pem(&read_file(ca_pem_path)?);
    if ca_certs.is_empty() {
        return Err(CertError::NoCaCertificate);
    }
    for der in ca_certs {
        roots
            .add(CertificateDer::from(der))
            .map_err(|e| CertError::CaRejected {
                path: ca_pem_path.to_path_buf(),
                reason: e.to_string(),
            })?;
    }
    let chain = load_certs(cert_path)?;
    let key = load_private_key(key_path)?;
    let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| CertError::TlsConfig(e.to_string()))?;
    ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| CertError::TlsConfig(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(GoWordedVerifier { inner: webpki }))
        .with_client_auth_cert(chain, key)
        .map_err(|e| CertError::TlsConfig(e.to_string()))
}

/// The standard WebPKI verifier; only the wording of a name mismatch changes, to Go's
/// `x509: certificate is valid for A, B, not C` (which needs the certificate's names).
#[derive(Debug)]
struct GoWordedVerifier {
    inner: Arc<WebPkiServerVerifier>,
}

#[derive(Debug)]
struct GoText(String);

impl std::fmt::Display for GoText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GoText {}

impl ServerCertVerifier for GoWordedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
            .map_err(|e| match e {
                rustls::Error::InvalidCertificate(
                    CertificateError::NotValidForName
                    | CertificateError::NotValidForNameContext { .. },
                ) => rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
                    Arc::new(GoText(hostname_error(end_entity, server_name))),
                ))),
                other => other,
            })
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Go's `x509.HostnameError` text.
fn hostname_error(end_entity: &CertificateDer<'_>, server_name: &ServerName<'_>) -> String {
    let host = match server_name {
        ServerName::DnsName(d) => d.as_ref().to_string(),
        ServerName::IpAddress(ip) => IpAddr::from(*ip).to_string(),
        other => format!("{other:?}"),
    };
    let Ok(info) = cert::cert_info_from_der(end_entity.as_ref()) else {
        return format!("x509: certificate is not valid for {host}");
    };
    hostname_error_text(&host, &info.ip_addresses, &info.dns_names)
}

fn hostname_error_text(host: &str, ips: &[IpAddr], dns: &[String]) -> String {
    let valid = if host.parse::<IpAddr>().is_ok() {
        if ips.is_empty() {
            return format!(
                "x509: cannot validate certificate for {host} because it doesn't contain any IP SANs"
            );
        }
        ips.iter()
            .map(|ip| ip.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        dns.join(", ")
    };
    if valid.is_empty() {
        return format!("x509: certificate is not valid for any names, but wanted to match {host}");
    }
    format!("x509: certificate is valid for {valid}, not {host}")
}

/// Why the connection check's handshake failed, each worded as Go's `tls.DialWithDialer`
/// and `net.Dial` word it (the text follows `...validating certificates for host "H:P": `).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// Our own CA, certificate or key cannot be used.
    #[error(transparent)]
    Config(#[from] CertError),
    #[error(transparent)]
    Url(crate::gourl::UrlError),
    /// The URL has no usable address (`dial tcp: missing address`).
    #[error("dial tcp: {0}")]
    Address(crate::gourl::AddressError),
    #[error("tls: invalid server name {0:?}")]
    InvalidServerName(String),
    #[error(transparent)]
    Dial(DialError),
    #[error("tls: DialWithDialer timed out")]
    TimedOut,
    /// The TLS exchange failed; the text is Go's for the same failure
    /// (`x509: certificate signed by unknown authority`, `remote error: tls: ...`, `EOF`).
    #[error("{0}")]
    Tls(String),
}

/// The original's connection check: a TLS handshake with the daemon at `url`
/// (`tcp://host:port`), the machine CA as sole root, server name = the URL's host.
pub fn check_connection(
    url: &str,
    ca: &Path,
    cert: &Path,
    key: &Path,
    timeout: Duration,
) -> Result<(), HandshakeError> {
    let config = Arc::new(client_config(ca, cert, key)?);
    let (host, port) = crate::gourl::host_port(url).map_err(|e| match e {
        crate::gourl::AddressError::Url(e) => HandshakeError::Url(e),
        e => HandshakeError::Address(e),
    })?;
    let server_name = match host.parse::<IpAddr>() {
        Ok(ip) => ServerName::IpAddress(ip.into()),
        Err(_) => ServerName::try_from(host.clone())
            .map_err(|_| HandshakeError::InvalidServerName(host.clone()))?,
    };
    let deadline = Instant::now() + timeout;
    let remaining = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(HandshakeError::TimedOut)
    };
    let mut sock = crate::dial::dial(&host, port, deadline).map_err(|e| match e {
        DialError::Deadline => HandshakeError::TimedOut,
        e => HandshakeError::Dial(e),
    })?;

    let mut conn =
        ClientConnection::new(config, server_name.to_owned()).map_err(|e| tls_failure(&e))?;
    while conn.is_handshaking() {
        let left = remaining()?;
        sock.set_read_timeout(Some(left)).ok();
        sock.set_write_timeout(Some(left)).ok();
        conn.complete_io(&mut sock)
            .map_err(|e| handshake_error(&e))?;
    }

    // With TLS 1.3 the server judges our certificate after our side of the handshake is
    // done; a rejection arrives as an alert, acceptance as session tickets (Go's and
    // rustls's servers send them). Listen briefly so a bad client certificate is reported.
    if conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3) {
        let left = Duration::from_secs(1).min(remaining()?);
        sock.set_read_timeout(Some(left)).ok();
        if let Ok(n) = conn.read_tls(&mut sock) {
            if n > 0 {
                conn.process_new_packets().map_err(|e| tls_failure(&e))?;
            }
        }
    }
    conn.send_close_notify();
    let _ = conn.write_tls(&mut sock);
    let _ = sock.flush();
    Ok(())
}

fn tls_failure(e: &rustls::Error) -> HandshakeError {
    HandshakeError::Tls(tls_error_text(e))
}

fn handshake_error(e: &io::Error) -> HandshakeError {
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return tls_failure(tls);
    }
    match e.kind() {
        io::ErrorKind::UnexpectedEof => HandshakeError::Tls("EOF".to_string()),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => HandshakeError::TimedOut,
        io::ErrorKind::ConnectionReset => {
            HandshakeError::Tls("read: connection reset by peer".to_string())
        }
        _ => HandshakeError::Tls(go_reason(e)),
    }
}

pub fn tls_error_text(e: &rustls::Error) -> String {
    match e {
        rustls::Error::InvalidCertificate(ce) => match ce {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                "x509: certificate signed by unknown authority".to_string()
            }
            CertificateError::Expired
            | CertificateError::ExpiredContext { .. }
            | CertificateError::NotValidYet
            | CertificateError::NotValidYetContext { .. } => {
                "x509: certificate has expired or is not yet valid".to_string()
            }
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "x509: certificate specifies an incompatible key usage".to_string()
            }
            CertificateError::Other(other) => other.to_string(),
            _ => e.to_string(),
        },
        rustls::Error::AlertReceived(alert) => match go_alert(*alert) {
            Some(text) => format!("remote error: tls: {text}"),
            None => e.to_string(),
        },
        rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            "tls: first record does not look like a TLS handshake".to_string()
        }
        _ => e.to_string(),
    }
}

fn go_alert(alert: AlertDescription) -> Option<&'static str> {
    Some(match alert {
        AlertDescription::BadCertificate => "bad certificate",
        AlertDescription::UnknownCA => "unknown certificate authority",
        AlertDescription::CertificateRequired => "certificate required",
        AlertDescription::HandshakeFailure => "handshake failure",
        AlertDescription::CertificateExpired => "expired certificate",
        AlertDescription::CertificateUnknown => "unknown certificate",
        AlertDescription::UnsupportedCertificate => "unsupported certificate",
        AlertDescription::CertificateRevoked => "revoked certificate",
        AlertDescription::AccessDenied => "access denied",
        AlertDescription::DecryptError => "error decrypting message",
        AlertDescription::ProtocolVersion => "protocol version not supported",
        AlertDescription::InternalError => "internal error",
        AlertDescription::IllegalParameter => "illegal parameter",
        AlertDescription::DecodeError => "error decoding message",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostname_error_like_go() {
        let ips: Vec<IpAddr> = vec!["10.0.0.1".parse().unwrap()];
        let dns = vec!["localhost".to_string()];
        assert_eq!(
            hostname_error_text("127.0.0.2", &ips, &dns),
            "x509: certificate is valid for 10.0.0.1, not 127.0.0.2"
        );
        assert_eq!(
            hostname_error_text("example.com", &ips, &dns),
            "x509: certificate is valid for localhost, not example.com"
        );
        assert_eq!(
            hostname_error_text("127.0.0.2", &[], &dns),
            "x509: cannot validate certificate for 127.0.0.2 because it doesn't contain any IP SANs"
        );
    }

    #[test]
    fn alert_wording() {
        let e = rustls::Error::AlertReceived(AlertDescription::BadCertificate);
        assert_eq!(tls_error_text(&e), "remote error: tls: bad certificate");
    }
}
