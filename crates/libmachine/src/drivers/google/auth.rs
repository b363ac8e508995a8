//! Application Default Credentials, as Google's client libraries find them: the key
//! file named by `GOOGLE_APPLICATION_CREDENTIALS`, else gcloud's
//! `application_default_credentials.json`, else the metadata server of a GCE host.
//! A service account's key signs an RS256 JWT that its `token_uri` exchanges for an
//! access token; a gcloud user's refresh token is exchanged the same way; the metadata
//! server hands a token out. Each is a [`TokenSource`] for the cloud layer's
//! [`OAuth2Bearer`](crate::cloud::auth::OAuth2Bearer).

use crate::cloud::auth::{AccessToken, TokenSource};
use crate::cloud::http::{HttpClient, HttpError, Request, Response, RetryPolicy};
use crate::cloud::ApiError;
use anyhow::{anyhow, bail, Context, Result};
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The scope the driver asks for: Compute Engine, read and write.
pub const COMPUTE_SCOPE: &str = "https://www.googleapis.com/auth/compute";
const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
const METADATA_HOST: &str = "169.254.169.254";

/// The credentials ADC finds, as a token source.
pub fn default_credentials(http: &HttpClient) -> Result<Box<dyn TokenSource>> {
    let file = match std::env::var("GOOGLE_APPLICATION_CREDENTIALS") {
        Ok(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => well_known_file().filter(|p| p.exists()),
    };
    let Some(file) = file else {
        let host = std::env::var("GCE_METADATA_HOST")
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| METADATA_HOST.to_string());
        return Ok(Box::new(Metadata {
            http: http.clone(),
            url: format!(
                "http://{host}/computeMetadata/v1/instance/service-accounts/default/token"
            ),
        }));
    };
    let text = std::fs::read_to_string(&file)
        .with_context(|| format!("reading Google credentials {}", file.display()))?;
    let v: Value = serde_json::from_str(&text)
        .with_context(|| format!("Google credentials {} are not JSON", file.display()))?;
    let field = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let token_uri = Some(field("token_uri"))
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| DEFAULT_TOKEN_URI.to_string());
    match v["type"].as_str() {
        Some("service_account") => {
            let pem = pem::parse(field("private_key"))
                .map_err(|e| anyhow!("the private key in {}: {e}", file.display()))?;
            let key = RsaKeyPair::from_pkcs8(pem.contents())
                .map_err(|e| anyhow!("the private key in {}: {e}", file.display()))?;
            Ok(Box::new(ServiceAccount {
                http: http.clone(),
                email: field("client_email"),
                key_id: field("private_key_id"),
                key,
                token_uri,
            }))
        }
        Some("authorized_user") => Ok(Box::new(AuthorizedUser {
            http: http.clone(),
            client_id: field("client_id"),
            client_secret: field("client_secret"),
            refresh_token: field("refresh_token"),
            token_uri,
        })),
        other => bail!(
            "Google credentials {}: unsupported type {:?}",
            file.display(),
            other.unwrap_or("")
        ),
    }
}

/// gcloud's ADC file: `$CLOUDSDK_CONFIG`, `%APPDATA%\gcloud` or `~/.config/gcloud`.
fn well_known_file() -> Option<PathBuf> {
    let dir = match std::env::var_os("CLOUDSDK_CONFIG") {
        Some(d) => PathBuf::from(d),
        None if cfg!(windows) => PathBuf::from(std::env::var_os("APPDATA")?).join("gcloud"),
        None => PathBuf::from(std::env::var_os("HOME")?)
            .join(".config")
            .join("gcloud"),
    };
    Some(dir.join("application_default_credentials.json"))
}

/// A service account's key: a JWT it signs, exchanged at its token URI.
struct ServiceAccount {
    http: HttpClient,
    email: String,
    key_id: String,
    key: RsaKeyPair,
    token_uri: String,
}

impl ServiceAccount {
    /// The signed assertion: RS256 over `header.claims`, base64url without padding.
    fn assertion(&self, now: u64) -> Result<String> {
        let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": self.key_id});
        let claims = serde_json::json!({
            "iss": self.email,
            "scope": COMPUTE_SCOPE,
            "aud": self.token_uri,
            "iat": now,
            "exp": now + 3600,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let mut sig = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .map_err(|_| anyhow!("signing the service account's JWT failed"))?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig)))
    }
}

impl TokenSource for ServiceAccount {
    fn fetch(&self) -> Result<AccessToken> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let form = format!(
            "grant_type={}&assertion={}",
            form_encode("urn:ietf:params:oauth:grant-type:jwt-bearer"),
            self.assertion(now)?
        );
        token_request(&self.http, &self.token_uri, form, vec![])
    }
}

/// A gcloud user's refresh token.
struct AuthorizedUser {
    http: HttpClient,
    client_id: String,
    client_secret: String,
    refresh_token: String,
    token_uri: String,
}

impl TokenSource for AuthorizedUser {
    fn fetch(&self) -> Result<AccessToken> {
        let form = format!(
            "grant_type=refresh_token&client_id={}&client_secret={}&refresh_token={}",
            form_encode(&self.client_id),
            form_encode(&self.client_secret),
            form_encode(&self.refresh_token)
        );
        token_request(&self.http, &self.token_uri, form, vec![])
    }
}

/// The metadata server of a GCE host.
struct Metadata {
    http: HttpClient,
    url: String,
}

impl TokenSource for Metadata {
    fn fetch(&self) -> Result<AccessToken> {
        let resp = send(
            &self.http,
            Request {
                method: "GET",
                url: self.url.clone(),
                headers: vec![("metadata-flavor".into(), "Google".into())],
                body: vec![],
            },
        )
        .map_err(|e| {
            anyhow!("no Google credentials: GOOGLE_APPLICATION_CREDENTIALS is not set, gcloud's application default credentials are missing, and the metadata server did not answer ({e:#})")
        })?;
        token_of(&resp)
    }
}

fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn send(http: &HttpClient, req: Request) -> Result<Response> {
    http.send(|| Ok(req.clone()), classify_oauth)
        .map_err(|e| match e {
            HttpError::Api(api) => api.into(),
            other => anyhow::Error::new(other),
        })
}

fn token_request(
    http: &HttpClient,
    uri: &str,
    form: String,
    mut headers: Vec<(String, String)>,
) -> Result<AccessToken> {
    headers.push((
        "content-type".into(),
        "application/x-www-form-urlencoded".into(),
    ));
    let resp = send(
        http,
        Request {
            method: "POST",
            url: uri.to_string(),
            headers,
            body: form.into_bytes(),
        },
    )?;
    token_of(&resp)
}

fn token_of(resp: &Response) -> Result<AccessToken> {
    let v: Value = serde_json::from_str(&resp.body)
        .map_err(|e| anyhow!("Google's token answer is not JSON: {e}"))?;
    let token = v["access_token"]
        .as_str()
        .ok_or_else(|| anyhow!("Google's token answer has no access_token"))?;
    let expires_in = v["expires_in"].as_u64().unwrap_or(3600);
    Ok(AccessToken {
        token: token.to_string(),
        expires_at: SystemTime::now() + Duration::from_secs(expires_in),
    })
}

/// OAuth2's error body: `{"error": "invalid_grant", "error_description": "..."}`.
fn classify_oauth(resp: &Response) -> ApiError {
    let v: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
    let code = v["error"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("HTTP{}", resp.status));
    let message = v["error_description"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| resp.body.trim().to_string());
    ApiError::new("Google OAuth2", resp.status, &code, &message)
}

/// The cloud client for token requests: few retries, as a refused key stays refused.
pub fn token_http() -> HttpClient {
    HttpClient::new(RetryPolicy {
        max_retries: 2,
        ..RetryPolicy::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_and_oauth_errors() {
        assert_eq!(form_encode("a b/c:d"), "a%20b%2Fc%3Ad");
        let e = classify_oauth(&Response {
            status: 400,
            body: r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#
                .into(),
            headers: vec![],
        });
        assert_eq!(
            e.to_string(),
            "Google OAuth2 API error invalid_grant: Invalid JWT Signature."
        );
    }
}
