//! Minimal DER handling: a PKCS#8 RSA key unwrapped to PKCS#1 (the original writes
//! `RSA PRIVATE KEY`), and a signed certificate's issuer name replaced by the CA's own bytes.

use super::{CertError, Result};
use rcgen::{KeyPair, SigningKey};

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
pub(super) fn with_issuer_name(
    cert_der: &[u8],
    issuer_raw: &[u8],
    key: &KeyPair,
) -> Result<Vec<u8>> {
    let malformed = || CertError::Splice;
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
        .map_err(|e| CertError::Signing(e.to_string()))?;
    let mut bits = vec![0u8];
    bits.extend(signature);
    Ok(der_encode(
        0x30,
        &[tbs, sig_alg.to_vec(), der_encode(0x03, &bits)].concat(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::PublicKeyData;
    use rustls_pki_types::PrivateKeyDer;

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

        let key = KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256).unwrap();
        let pkcs1 = pkcs8_to_pkcs1(key.serialized_der()).unwrap();
        let back = KeyPair::try_from(&PrivateKeyDer::Pkcs1(pkcs1.to_vec().into())).unwrap();
        assert_eq!(back.der_bytes(), key.der_bytes());
        // Not RSA: no PKCS#1 form.
        let ec = KeyPair::generate().unwrap();
        assert!(pkcs8_to_pkcs1(ec.serialized_der()).is_none());
    }
}
