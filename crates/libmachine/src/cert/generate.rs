//! Making certificates: the self-signed CA and the leaves it signs (the original's
//! `GenerateCACertificate` and `GenerateCert`).

use super::der::{pkcs8_to_pkcs1, with_issuer_name};
use super::pem::{certs_from_pem, pem_encode, private_key_from_pem, read_file};
use super::{CertError, CertKind, CertOptions, Result, Validity};
use crate::fsutil::write_pair_atomic;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, DnValue,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyIdMethod, KeyPair, KeyUsagePurpose, PublicKeyData,
    SanType, SerialNumber,
};
use std::net::IpAddr;
use std::path::Path;

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
        .map_err(|e| CertError::Build(e.to_string()))?;
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
        .map_err(|e| CertError::Build(e.to_string()))?;
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
        .map_err(|_| CertError::InvalidDnsName(host.to_string()))
}

fn new_rsa_key() -> Result<KeyPair> {
    KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
        .map_err(|e| CertError::KeyGeneration(e.to_string()))
}

/// Write the certificate (0644) and the key as PKCS#1 (0600): both or neither, even if
/// the process is killed halfway (see [`write_pair_atomic`]).
fn write_pair(cert_path: &Path, cert_der: &[u8], key_path: &Path, key: &KeyPair) -> Result<()> {
    let pkcs1 = pkcs8_to_pkcs1(key.serialized_der()).ok_or(CertError::KeyEncoding)?;
    let key_pem = pem_encode("RSA PRIVATE KEY", pkcs1);
    let cert_pem = pem_encode("CERTIFICATE", cert_der);
    write_pair_atomic(
        (key_path, key_pem.as_bytes(), 0o600),
        (cert_path, cert_pem.as_bytes(), 0o644),
    )
    .map_err(|e| CertError::io("open", cert_path, &e))
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
        .ok_or(CertError::NoCertificateInPem)?;
    let key_der = private_key_from_pem(&key_pem)?;
    let key = KeyPair::try_from(&key_der).map_err(|_| CertError::UnparsableKey)?;
    let (_, x509) = x509_parser::parse_x509_certificate(&der)
        .map_err(|e| CertError::Malformed(e.to_string()))?;
    if x509.public_key().subject_public_key.data.as_ref() != key.der_bytes() {
        return Err(CertError::KeyMismatch);
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn org_string_types_follow_go() {
        assert!(matches!(org_value("alice"), DnValue::PrintableString(_)));
        assert!(matches!(
            org_value("alice.<bootstrap>"),
            DnValue::Utf8String(_)
        ));
    }
}
