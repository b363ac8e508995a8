//! Where the amazonec2 driver's AWS credentials come from, in the SDK's order: the
//! access and secret key given as flags (or their `AWS_ACCESS_KEY_ID` /
//! `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN` variables); then the shared
//! credentials file (`AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`) and the
//! shared config file (`AWS_CONFIG_FILE`, else `~/.aws/config`), profile `AWS_PROFILE`
//! (else `default`); then the instance role through the instance metadata service
//! (IMDSv2 token first, v1 if refused; `AWS_EC2_METADATA_SERVICE_ENDPOINT`,
//! off with `AWS_EC2_METADATA_DISABLED=true`).

use crate::cloud::sigv4::Credentials;
use anyhow::{anyhow, bail, Context, Result};
use std::path::PathBuf;
use std::time::Duration;

/// The original's message when no source has credentials.
pub const MISSING: &str = "amazonec2 driver requires AWS credentials configured with the --amazonec2-access-key and --amazonec2-secret-key options, environment variables, ~/.aws/credentials, or an instance role";

/// Resolve credentials; `flags` are the access key, secret key and session token given
/// to the driver (empty when not set).
pub fn resolve(flags: &Credentials) -> Result<Credentials> {
    if !flags.access_key.is_empty() && !flags.secret_key.is_empty() {
        return Ok(flags.clone());
    }
    if let Some(c) = from_env() {
        return Ok(c);
    }
    let profile = env("AWS_PROFILE")
        .or_else(|| env("AWS_DEFAULT_PROFILE"))
        .unwrap_or_else(|| "default".to_string());
    if let Some(c) = from_shared_files(&profile)? {
        return Ok(c);
    }
    if env("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        bail!(MISSING);
    }
    let endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .unwrap_or_else(|| "http://169.254.169.254".to_string());
    from_imds(endpoint.trim_end_matches('/')).map_err(|e| {
        crate::debug!("instance metadata: {e:#}");
        anyhow!(MISSING)
    })
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The SDK also reads the older `AWS_ACCESS_KEY` / `AWS_SECRET_KEY` names.
fn from_env() -> Option<Credentials> {
    let access_key = env("AWS_ACCESS_KEY_ID").or_else(|| env("AWS_ACCESS_KEY"))?;
    let secret_key = env("AWS_SECRET_ACCESS_KEY").or_else(|| env("AWS_SECRET_KEY"))?;
    Some(Credentials {
        access_key,
        secret_key,
        session_token: env("AWS_SESSION_TOKEN").unwrap_or_default(),
    })
}

fn home_file(var: &str, rel: &str) -> Option<PathBuf> {
    env(var).map(PathBuf::from).or_else(|| {
        std::env::var_os(if cfg!(windows) { "USERPROFILE" } else { "HOME" })
            .map(|h| PathBuf::from(h).join(rel))
    })
}

fn from_shared_files(profile: &str) -> Result<Option<Credentials>> {
    let files = [
        (
            home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials"),
            profile.to_string(),
        ),
        // The config file names its sections `profile NAME`, except `default`.
        (
            home_file("AWS_CONFIG_FILE", ".aws/config"),
            if profile == "default" {
                profile.to_string()
            } else {
                format!("profile {profile}")
            },
        ),
    ];
    for (path, section) in files {
        let Some(path) = path else { continue };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let values = ini_section(&text, &section);
        let get = |k: &str| {
            values
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
                .filter(|v| !v.is_empty())
        };
        if let (Some(access_key), Some(secret_key)) =
            (get("aws_access_key_id"), get("aws_secret_access_key"))
        {
            return Ok(Some(Credentials {
                access_key,
                secret_key,
                session_token: get("aws_session_token").unwrap_or_default(),
            }));
        }
    }
    Ok(None)
}

/// The `key = value` lines of `[section]` in an INI text (keys lower-cased).
fn ini_section(text: &str, section: &str) -> Vec<(String, String)> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
            continue;
        }
        if inside {
            if let Some((k, v)) = line.split_once('=') {
                out.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
    }
    out
}

/// The instance role's temporary credentials from the instance metadata service.
fn from_imds(endpoint: &str) -> Result<Credentials> {
    let agent = crate::cloud::http::agent(Duration::from_secs(1), Some(Duration::from_secs(3)));
    // IMDSv2: a session token first; an endpoint that refuses it speaks v1 only.
    let token = agent
        .put(format!("{endpoint}/latest/api/token"))
        .header("X-aws-ec2-metadata-token-ttl-seconds", "21600")
        .send_empty()
        .ok()
        .filter(|r| r.status().is_success())
        .and_then(|mut r| r.body_mut().read_to_string().ok());
    let get = |path: &str| -> Result<String> {
        let mut req = agent.get(format!("{endpoint}/latest/meta-data/{path}"));
        if let Some(t) = &token {
            req = req.header("X-aws-ec2-metadata-token", t.as_str());
        }
        let mut resp = req.call()?;
        if !resp.status().is_success() {
            bail!("{path}: HTTP {}", resp.status());
        }
        Ok(resp.body_mut().read_to_string()?)
    };
    let roles = get("iam/security-credentials/")?;
    let role = roles
        .lines()
        .next()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .context("no instance role")?;
    let doc: serde_json::Value =
        serde_json::from_str(&get(&format!("iam/security-credentials/{role}"))?)?;
    let field = |k: &str| {
        doc.get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let creds = Credentials {
        access_key: field("AccessKeyId"),
        secret_key: field("SecretAccessKey"),
        session_token: field("Token"),
    };
    if creds.access_key.is_empty() || creds.secret_key.is_empty() {
        bail!("the instance role {role} has no credentials");
    }
    Ok(creds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ini_sections() {
        let text = "[default]\naws_access_key_id = A\n# c\n[profile ci]\nAWS_Access_Key_Id=B\naws_secret_access_key = S=x\n";
        assert_eq!(
            ini_section(text, "default"),
            vec![("aws_access_key_id".into(), "A".into())]
        );
        assert_eq!(
            ini_section(text, "profile ci"),
            vec![
                ("aws_access_key_id".into(), "B".into()),
                ("aws_secret_access_key".into(), "S=x".into())
            ]
        );
        assert!(ini_section(text, "other").is_empty());
    }
}
