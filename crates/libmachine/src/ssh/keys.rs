//! SSH key pairs for machines, as the original's `libmachine/ssh/keys.go` wrote them:
//! an RSA-2048 private key as PEM `RSA PRIVATE KEY` (PKCS#1) and `<path>.pub` in
//! authorized_keys form without a comment (`ssh-rsa AAAA...\n`), both mode 0600.
//! Ed25519 keys (OpenSSH private key format) are offered to drivers that prefer them.

use crate::fsutil::{go_io_error, write_atomic};
use anyhow::{anyhow, Context, Result};
use base64::Engine;
use russh::keys::ssh_key::{private::Ed25519Keypair, LineEnding, PrivateKey, PublicKey};
use std::path::{Path, PathBuf};

/// `<private_path>.pub`.
pub fn public_key_path(private_path: &Path) -> PathBuf {
    let mut s = private_path.as_os_str().to_os_string();
    s.push(".pub");
    PathBuf::from(s)
}

/// The original's `GenerateSSHKey`: create an RSA key pair at `path` unless a file is
/// already there.
pub fn generate_ssh_key(path: &Path) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => generate_key_pair(path),
        Err(e) => Err(anyhow!(
            "Desired directory for SSH keys does not exist: {}",
            go_io_error("stat", path, &e)
        )),
    }
}

/// Write a new RSA-2048 key pair: `private_path` (PKCS#1 PEM, 0600) and
/// `<private_path>.pub` (`ssh-rsa BASE64\n`, 0600). Existing files are replaced.
pub fn generate_key_pair(private_path: &Path) -> Result<()> {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_RSA_SHA256)
        .map_err(|e| anyhow!("Error generating key pair: {e}"))?;
    let pkcs1 = crate::cert::pkcs8_to_pkcs1(key.serialized_der())
        .ok_or_else(|| anyhow!("Error generating key pair: unexpected RSA key encoding"))?;
    let public = rsa_authorized_key(pkcs1)?;
    let pem = pem::encode_config(
        &pem::Pem::new("RSA PRIVATE KEY", pkcs1.to_vec()),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    );
    write_pair(private_path, pem.as_bytes(), &public)
}

/// Write a new Ed25519 key pair: `private_path` (OpenSSH format, 0600) and
/// `<private_path>.pub` (`ssh-ed25519 BASE64\n`, 0600).
pub fn generate_ed25519(private_path: &Path) -> Result<()> {
    let (pem, public) = ed25519_pair()?;
    let public = public
        .to_openssh()
        .map_err(|e| anyhow!("Error generating key pair: {e}"))?;
    write_pair(private_path, pem.as_bytes(), &public)
}

/// A new Ed25519 key: the private key in OpenSSH format, and its public key.
pub fn ed25519_pair() -> Result<(String, PublicKey)> {
    let seed: [u8; 32] = rand::random();
    let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
    let pem = key
        .to_openssh(LineEnding::LF)
        .map_err(|e| anyhow!("Error generating key pair: {e}"))?;
    Ok((pem.to_string(), key.public_key().clone()))
}

fn write_pair(private_path: &Path, private_pem: &[u8], public_line: &str) -> Result<()> {
    let pub_path = public_key_path(private_path);
    write_atomic(private_path, private_pem, 0o600).map_err(|e| {
        anyhow!(
            "Error writing keys to file(s): {}",
            go_io_error("open", private_path, &e)
        )
    })?;
    write_atomic(&pub_path, format!("{public_line}\n").as_bytes(), 0o600).map_err(|e| {
        anyhow!(
            "Error writing keys to file(s): {}",
            go_io_error("open", &pub_path, &e)
        )
    })
}

/// The authorized_keys line (`ssh-rsa BASE64`, no comment) of a PKCS#1 RSA private key.
pub fn rsa_authorized_key(pkcs1_der: &[u8]) -> Result<String> {
    // RSAPrivateKey ::= SEQUENCE { version INTEGER, modulus INTEGER, publicExponent INTEGER, ... }
    let (tag, seq, _) = der_next(pkcs1_der).context("malformed RSA key")?;
    anyhow::ensure!(tag == 0x30, "malformed RSA key");
    let (_, _version, rest) = der_next(seq).context("malformed RSA key")?;
    let (tag_n, n, rest) = der_next(rest).context("malformed RSA key")?;
    let (tag_e, e, _) = der_next(rest).context("malformed RSA key")?;
    anyhow::ensure!(tag_n == 2 && tag_e == 2, "malformed RSA key");
    // A DER INTEGER's content is already the minimal two's-complement form an mpint wants.
    let mut blob = Vec::new();
    for field in [b"ssh-rsa".as_slice(), e, n] {
        blob.extend_from_slice(&(field.len() as u32).to_be_bytes());
        blob.extend_from_slice(field);
    }
    Ok(format!(
        "ssh-rsa {}",
        base64::engine::general_purpose::STANDARD.encode(blob)
    ))
}

/// One DER element: (tag, content, rest).
fn der_next(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *data.first()?;
    let first = *data.get(1)? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let mut len = 0usize;
        for i in 0..n {
            len = (len << 8) | *data.get(2 + i)? as usize;
        }
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    Some((tag, data.get(header..end)?, &data[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsa_pair_is_pkcs1_with_commentless_public_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id_rsa");
        generate_key_pair(&path).unwrap();
        let private = std::fs::read_to_string(&path).unwrap();
        assert!(private.starts_with("-----BEGIN RSA PRIVATE KEY-----\n"));
        let public = std::fs::read_to_string(public_key_path(&path)).unwrap();
        assert!(public.starts_with("ssh-rsa AAAA"));
        assert_eq!(public.matches(' ').count(), 1, "no comment: {public:?}");
        assert!(public.ends_with('\n'));
        // russh parses the private key and derives the same public key.
        let parsed = russh::keys::decode_secret_key(&private, None).unwrap();
        assert_eq!(parsed.public_key().to_openssh().unwrap(), public.trim_end());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            for p in [path.clone(), public_key_path(&path)] {
                let mode = std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600);
            }
        }
    }

    #[test]
    fn generate_ssh_key_keeps_an_existing_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id_rsa");
        std::fs::write(&path, "keep").unwrap();
        generate_ssh_key(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "keep");
    }

    #[test]
    fn ed25519_pair_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("id_ed25519");
        generate_ed25519(&path).unwrap();
        let private = std::fs::read_to_string(&path).unwrap();
        assert!(private.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----\n"));
        let public = std::fs::read_to_string(public_key_path(&path)).unwrap();
        assert!(public.starts_with("ssh-ed25519 AAAA"));
        assert_eq!(public.matches(' ').count(), 1, "no comment: {public:?}");
        let parsed = russh::keys::decode_secret_key(&private, None).unwrap();
        assert_eq!(parsed.public_key().to_openssh().unwrap(), public.trim_end());
    }
}
