//! PEM files: reading certificates and private keys as Go's `crypto/tls` finds them, and
//! writing PEM blocks.

use super::{CertError, Result};
use rcgen::{KeyPair, PublicKeyData};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer};
use std::fs;
use std::path::Path;

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| CertError::io("open", path, &e))
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
        return Err(CertError::NoPemInKey);
    }
    let block = blocks
        .into_iter()
        .find(|p| p.tag() == "PRIVATE KEY" || p.tag().ends_with(" PRIVATE KEY"))
        .ok_or(CertError::NoKeyInPem)?;
    let tag = block.tag().to_string();
    let der = block.into_contents();
    let key = match tag.as_str() {
        "RSA PRIVATE KEY" => PrivateKeyDer::Pkcs1(PrivatePkcs1KeyDer::from(der)),
        "PRIVATE KEY" => PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der)),
        "EC PRIVATE KEY" => PrivateKeyDer::Sec1(PrivateSec1KeyDer::from(der)),
        _ => PrivateKeyDer::try_from(der.as_slice())
            .map_err(|_| CertError::UnparsableKey)?
            .clone_key(),
    };
    Ok(key)
}

/// One PEM block with LF line endings, as Go writes it.
pub(super) fn pem_encode(tag: &str, der: &[u8]) -> String {
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    pem::encode_config(&pem::Pem::new(tag, der.to_vec()), config)
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
