//! Login to Azure, the ways people do it today, each a [`TokenSource`] for the cloud
//! layer's OAuth2 bearer signer:
//!
//! * service principal: client credentials (`--azure-client-id` and `--azure-client-secret`);
//! * device code: 0.16.2's flow and application id, the code and URL printed as it did,
//!   tokens cached in `~/.docker/machine/credentials/azure/<tenant>.json` in 0.16.2's
//!   format (a cache 0.16.2 wrote is used; refreshed when expired);
//! * managed identity: the instance metadata service of the Azure VM this runs on;
//! * the Azure CLI: the token of a logged-in `az`.
//!
//! The tenant is `--azure-tenant-id`, or read from the `WWW-Authenticate` header of the
//! 401 that ARM answers to an unauthenticated request, as 0.16.2 did, and cached in
//! `<subscription>.tenantid`. Secrets and tokens are never printed nor logged.
//!
//! Endpoints follow `--azure-environment`; `AZURE_AUTHORITY_HOST` (the Azure SDKs'
//! variable), `AZURE_ARM_ENDPOINT` and `AZURE_IMDS_ENDPOINT` override them (tests point
//! them at a loopback server).

use crate::cloud::auth::{AccessToken, TokenSource};
use crate::runner::{Cmd, CommandRunner};
use anyhow::{anyhow, bail, Context, Result};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// 0.16.2's device-code application id (the public cloud's).
pub const DEVICE_CODE_APP_ID: &str = "637ddaba-219b-43b8-bf19-8cea500cf273";

/// One Azure cloud's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Environment {
    /// ARM, without a trailing slash.
    pub arm: String,
    /// The login authority, without a trailing slash.
    pub authority: String,
    /// The token audience ARM expects (0.16.2's `resource`).
    pub resource: String,
    /// The instance metadata service.
    pub imds: String,
}

pub const ENVIRONMENTS: &str =
    "AzurePublicCloud, AzureUSGovernmentCloud, AzureChinaCloud, AzureGermanCloud";

impl Environment {
    /// The endpoints of `name` (0.16.2's names), with the variables' overrides.
    pub fn named(name: &str) -> Result<Environment> {
        let (arm, authority, resource) = match name {
            "AzurePublicCloud" => (
                "https://management.azure.com",
                "https://login.microsoftonline.com",
                "https://management.core.windows.net/",
            ),
            "AzureUSGovernmentCloud" => (
                "https://management.usgovcloudapi.net",
                "https://login.microsoftonline.us",
                "https://management.core.usgovcloudapi.net/",
            ),
            "AzureChinaCloud" => (
                "https://management.chinacloudapi.cn",
                "https://login.chinacloudapi.cn",
                "https://management.core.chinacloudapi.cn/",
            ),
            "AzureGermanCloud" => {
                bail!("Azure Germany (AzureGermanCloud) closed in 2021; use AzurePublicCloud")
            }
            other => {
                bail!("Invalid Azure environment: {other:?}, supported values: {ENVIRONMENTS}")
            }
        };
        let var = |k: &str, default: &str| {
            std::env::var(k)
                .ok()
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
                .trim_end_matches('/')
                .to_string()
        };
        Ok(Environment {
            arm: var("AZURE_ARM_ENDPOINT", arm),
            authority: var("AZURE_AUTHORITY_HOST", authority),
            resource: resource.to_string(),
            imds: var("AZURE_IMDS_ENDPOINT", "http://169.254.169.254"),
        })
    }

    /// The v2 scope for ARM (the resource with `/.default`).
    pub fn scope(&self) -> String {
        format!("{}/.default", self.resource)
    }

    fn token_url(&self, tenant: &str) -> String {
        format!("{}/{tenant}/oauth2/v2.0/token", self.authority)
    }
}

/// How to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    ServicePrincipal,
    DeviceCode,
    ManagedIdentity,
    AzCli,
}

impl Method {
    /// `--azure-auth`, or 0.16.2's choice: a service principal when an id and a secret
    /// are given, else device code.
    pub fn choose(flag: &str, client_id: &str, client_secret: &str) -> Result<Method> {
        Ok(match flag {
            "" if !client_id.is_empty() && !client_secret.is_empty() => Method::ServicePrincipal,
            "" | "device-code" => Method::DeviceCode,
            "service-principal" => Method::ServicePrincipal,
            "managed-identity" => Method::ManagedIdentity,
            "az-cli" => Method::AzCli,
            other => bail!("--azure-auth must be service-principal, device-code, managed-identity or az-cli, not {other:?}"),
        })
    }
}

/// `~/.docker/machine/credentials/azure` (the home directory's, as in 0.16.2).
pub fn credentials_dir() -> PathBuf {
    let (first, second) = if cfg!(windows) {
        ("USERPROFILE", "HOME")
    } else {
        ("HOME", "USERPROFILE")
    };
    let home = std::env::var_os(first)
        .or_else(|| std::env::var_os(second))
        .map(PathBuf::from)
        .unwrap_or_default();
    home.join(".docker/machine/credentials/azure")
}

fn agent() -> ureq::Agent {
    crate::cloud::http::agent(Duration::from_secs(10), Some(Duration::from_secs(60)))
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// POST a form to the login service: (status, JSON body). Never logs the body.
fn post_form(url: &str, body: &str) -> Result<(u16, Value)> {
    crate::cloud::http::count_request();
    let mut resp = agent()
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .send(body)
        .map_err(|e| anyhow!("azure login: POST {url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap_or_default();
    Ok((status, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// The login service's refusal as one line: `<error>: <first line of the description>`.
fn login_error(what: &str, v: &Value, status: u16) -> anyhow::Error {
    let code = v["error"].as_str().unwrap_or("error");
    let desc = v["error_description"].as_str().unwrap_or("");
    let first = desc.lines().next().unwrap_or("");
    let reason = if first.is_empty() {
        format!("HTTP {status}")
    } else {
        first.to_string()
    };
    anyhow!(
        "azure {what} failed: {code}: {}",
        crate::log::one_line(&reason)
    )
}

/// The token answer of the v2 endpoint (`expires_in` a number or a string).
fn token_of(v: &Value) -> Result<(AccessToken, Option<String>, u64)> {
    let token = v["access_token"]
        .as_str()
        .ok_or_else(|| anyhow!("azure login: the answer holds no access token"))?;
    let expires_in = v["expires_in"]
        .as_u64()
        .or_else(|| v["expires_in"].as_str().and_then(|s| s.parse().ok()))
        .unwrap_or(3600);
    Ok((
        AccessToken {
            token: token.to_string(),
            expires_at: at(now_secs() + expires_in),
        },
        v["refresh_token"].as_str().map(str::to_string),
        expires_in,
    ))
}

/// The tenant of `subscription`: from the cache file, else from the `WWW-Authenticate`
/// header of ARM's 401 (then cached, 0600).
pub fn discover_tenant(env: &Environment, subscription: &str) -> Result<String> {
    let dir = credentials_dir();
    let file = dir.join(format!("{subscription}.tenantid"));
    if let Ok(t) = std::fs::read_to_string(&file) {
        let t = t.trim();
        if !t.is_empty() {
            return Ok(t.to_string());
        }
    }
    let url = format!(
        "{}/subscriptions/{subscription}?api-version={}",
        env.arm,
        super::arm::SUBSCRIPTIONS_API
    );
    crate::cloud::http::count_request();
    let resp = agent().get(&url).call().map_err(|e| {
        anyhow!("azure: finding the tenant of subscription {subscription}: GET {url}: {e}")
    })?;
    let header = resp
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let tenant = tenant_of_challenge(&header).ok_or_else(|| {
        anyhow!("azure: could not find the tenant of subscription {subscription} (HTTP {} without a Bearer authorization_uri); give --azure-tenant-id", resp.status().as_u16())
    })?;
    crate::debug!("azure: subscription {subscription} is in tenant {tenant}");
    crate::fsutil::create_private_dir(&dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    crate::fsutil::write_atomic(&file, tenant.as_bytes(), 0o600)
        .with_context(|| format!("writing {}", file.display()))?;
    Ok(tenant)
}

/// The tenant in `Bearer authorization_uri="https://login.windows.net/<tenant>", ...`.
pub fn tenant_of_challenge(header: &str) -> Option<String> {
    let rest = header.split("authorization_uri=\"").nth(1)?;
    let uri = rest.split('"').next()?;
    let tenant = uri.trim_end_matches('/').rsplit('/').next()?;
    (!tenant.is_empty() && !tenant.contains(':')).then(|| tenant.to_string())
}

/// Client credentials of a service principal.
pub struct ClientCredentials {
    pub env: Environment,
    pub tenant: String,
    pub client_id: String,
    pub client_secret: String,
}

impl TokenSource for ClientCredentials {
    fn fetch(&self) -> Result<AccessToken> {
        let scope = self.env.scope();
        let (status, v) = post_form(
            &self.env.token_url(&self.tenant),
            &form(&[
                ("grant_type", "client_credentials"),
                ("client_id", &self.client_id),
                ("client_secret", &self.client_secret),
                ("scope", &scope),
            ]),
        )?;
        if status != 200 {
            return Err(login_error("service principal login", &v, status));
        }
        Ok(token_of(&v)?.0)
    }
}

/// Device code login with 0.16.2's token cache.
pub struct DeviceCode {
    pub env: Environment,
    pub tenant: String,
    pub cache_dir: PathBuf,
}

/// 0.16.2's token cache file: every value a string.
fn cache_json(token: &AccessToken, refresh: &str, expires_in: u64, resource: &str) -> Value {
    let expires_on = token
        .expires_at
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    json!({
        "access_token": token.token,
        "refresh_token": refresh,
        "expires_in": expires_in.to_string(),
        "expires_on": expires_on.to_string(),
        "not_before": now_secs().to_string(),
        "resource": resource,
        "token_type": "Bearer",
    })
}

impl DeviceCode {
    pub fn cache_file(&self) -> PathBuf {
        self.cache_dir.join(format!("{}.json", self.tenant))
    }

    fn save(&self, token: &AccessToken, refresh: &str, expires_in: u64) -> Result<()> {
        crate::fsutil::create_private_dir(&self.cache_dir)
            .with_context(|| format!("creating {}", self.cache_dir.display()))?;
        let data = serde_json::to_vec(&cache_json(token, refresh, expires_in, &self.env.resource))?;
        crate::fsutil::write_atomic(&self.cache_file(), &data, 0o600)
            .with_context(|| format!("writing {}", self.cache_file().display()))
    }

    /// The cached token when still valid, else one from its refresh token; `None`
    /// when there is no usable cache (it is then removed).
    fn cached_token(&self) -> Result<Option<AccessToken>> {
        self.token_from_cache(false)
    }

    /// As [`DeviceCode::cached_token`]; `refresh` even a token the clock says is valid
    /// (the service refused it).
    fn token_from_cache(&self, refresh_anyway: bool) -> Result<Option<AccessToken>> {
        let file = self.cache_file();
        let Ok(text) = std::fs::read_to_string(&file) else {
            return Ok(None);
        };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            crate::warn!(
                "The Azure token cache {} is unreadable; logging in again",
                file.display()
            );
            let _ = std::fs::remove_file(&file);
            return Ok(None);
        };
        let s = |k: &str| v[k].as_str().unwrap_or("").to_string();
        let expires_on: u64 = s("expires_on").parse().unwrap_or(0);
        let access = s("access_token");
        if !refresh_anyway && !access.is_empty() && expires_on > now_secs() + 300 {
            return Ok(Some(AccessToken {
                token: access,
                expires_at: at(expires_on),
            }));
        }
        let refresh = s("refresh_token");
        if refresh.is_empty() {
            let _ = std::fs::remove_file(&file);
            return Ok(None);
        }
        crate::debug!(
            "azure: refreshing the cached token of tenant {}",
            self.tenant
        );
        let scope = format!("{} offline_access", self.env.scope());
        let (status, answer) = post_form(
            &self.env.token_url(&self.tenant),
            &form(&[
                ("grant_type", "refresh_token"),
                ("client_id", DEVICE_CODE_APP_ID),
                ("refresh_token", &refresh),
                ("scope", &scope),
            ]),
        )?;
        if status != 200 {
            let e = login_error("token refresh", &answer, status);
            crate::warn!("{e}; logging in again");
            let _ = std::fs::remove_file(&file);
            return Ok(None);
        }
        let (token, new_refresh, expires_in) = token_of(&answer)?;
        self.save(
            &token,
            new_refresh.as_deref().unwrap_or(&refresh),
            expires_in,
        )?;
        Ok(Some(token))
    }

    fn device_flow(&self) -> Result<AccessToken> {
        let scope = format!("{} offline_access", self.env.scope());
        let (status, v) = post_form(
            &format!(
                "{}/{}/oauth2/v2.0/devicecode",
                self.env.authority, self.tenant
            ),
            &form(&[("client_id", DEVICE_CODE_APP_ID), ("scope", &scope)]),
        )?;
        if status != 200 {
            return Err(login_error("device login", &v, status));
        }
        let device_code = v["device_code"].as_str().unwrap_or("").to_string();
        crate::info!("Microsoft Azure: {}", v["message"].as_str().unwrap_or(""));
        let mut interval = Duration::from_secs(v["interval"].as_u64().unwrap_or(5));
        let deadline =
            SystemTime::now() + Duration::from_secs(v["expires_in"].as_u64().unwrap_or(900));
        loop {
            let (status, answer) = post_form(
                &self.env.token_url(&self.tenant),
                &form(&[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                    ("client_id", DEVICE_CODE_APP_ID),
                    ("device_code", &device_code),
                ]),
            )?;
            if status == 200 {
                let (token, refresh, expires_in) = token_of(&answer)?;
                self.save(&token, refresh.as_deref().unwrap_or(""), expires_in)?;
                return Ok(token);
            }
            match answer["error"].as_str() {
                Some("authorization_pending") => {}
                // RFC 8628: slow down by five seconds.
                Some("slow_down") => interval += Duration::from_secs(5),
                _ => return Err(login_error("device login", &answer, status)),
            }
            if SystemTime::now() + interval > deadline {
                bail!("azure device login failed: the code expired before it was entered");
            }
            std::thread::sleep(interval);
        }
    }
}

impl TokenSource for DeviceCode {
    fn fetch(&self) -> Result<AccessToken> {
        if let Some(t) = self.cached_token()? {
            return Ok(t);
        }
        self.device_flow()
    }
    /// 0.16.2 checked a cached token with a request and logged in again when refused;
    /// here the refusal comes from the first real request: refresh, else log in.
    fn renew(&self) -> Result<AccessToken> {
        if let Some(t) = self.token_from_cache(true)? {
            return Ok(t);
        }
        self.device_flow()
    }
}

/// The managed identity of the Azure VM this runs on (a user-assigned one by client id).
pub struct ManagedIdentity {
    pub env: Environment,
    pub client_id: String,
}

impl TokenSource for ManagedIdentity {
    fn fetch(&self) -> Result<AccessToken> {
        let mut url = format!(
            "{}/metadata/identity/oauth2/token?api-version=2018-02-01&resource={}",
            self.env.imds,
            enc(&self.env.resource)
        );
        if !self.client_id.is_empty() {
            url.push_str(&format!("&client_id={}", enc(&self.client_id)));
        }
        crate::cloud::http::count_request();
        let agent =
            crate::cloud::http::agent(Duration::from_secs(2), Some(Duration::from_secs(20)));
        let mut resp = agent
            .get(&url)
            .header("Metadata", "true")
            .call()
            .map_err(|e| anyhow!("azure managed identity: the instance metadata service did not answer ({e}); is this an Azure VM with an identity?"))?;
        let status = resp.status().as_u16();
        let v: Value = serde_json::from_str(&resp.body_mut().read_to_string().unwrap_or_default())
            .unwrap_or(Value::Null);
        if status != 200 {
            return Err(login_error("managed identity login", &v, status));
        }
        let expires_on = v["expires_on"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or(now_secs() + 300);
        let token = v["access_token"]
            .as_str()
            .ok_or_else(|| anyhow!("azure managed identity: no access token in the answer"))?;
        Ok(AccessToken {
            token: token.to_string(),
            expires_at: at(expires_on),
        })
    }
}

/// The token of a logged-in Azure CLI (`az account get-access-token`).
pub struct AzCli {
    pub env: Environment,
    pub tenant: String,
    pub runner: Arc<dyn CommandRunner>,
}

impl TokenSource for AzCli {
    fn fetch(&self) -> Result<AccessToken> {
        let mut args = vec![
            "account",
            "get-access-token",
            "--output",
            "json",
            "--resource",
            &self.env.resource,
        ];
        if !self.tenant.is_empty() {
            args.extend(["--tenant", &self.tenant]);
        }
        let out = self
            .runner
            .run(&Cmd::new(
                // The Azure CLI is a batch file on Windows.
                if cfg!(windows) { "az.cmd" } else { "az" },
                args,
            ))
            .map_err(|e| anyhow!("azure: running the Azure CLI (az): {e}"))?;
        if !out.success() {
            let err = out.stderr.clone();
            let line = err
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim();
            bail!("azure: az account get-access-token failed: {line} (run `az login`)");
        }
        let v: Value =
            serde_json::from_str(&out.stdout).context("azure: az answered with malformed JSON")?;
        let token = v["accessToken"]
            .as_str()
            .ok_or_else(|| anyhow!("azure: az gave no accessToken"))?;
        // `expires_on` (unix seconds) since az 2.54; older ones only give a local time.
        let expires_on = v["expires_on"].as_u64().unwrap_or(now_secs() + 300);
        Ok(AccessToken {
            token: token.to_string(),
            expires_at: at(expires_on),
        })
    }
}

/// The token source for `method`.
#[allow(clippy::too_many_arguments)]
pub fn source(
    method: &Method,
    env: &Environment,
    tenant: &str,
    client_id: &str,
    client_secret: &str,
    runner: Arc<dyn CommandRunner>,
    cache_dir: &Path,
) -> Result<Box<dyn TokenSource>> {
    Ok(match method {
        Method::ServicePrincipal => {
            if client_id.is_empty() || client_secret.is_empty() {
                bail!("azure service principal login needs --azure-client-id and --azure-client-secret");
            }
            Box::new(ClientCredentials {
                env: env.clone(),
                tenant: tenant.to_string(),
                client_id: client_id.to_string(),
                client_secret: client_secret.to_string(),
            })
        }
        Method::DeviceCode => Box::new(DeviceCode {
            env: env.clone(),
            tenant: tenant.to_string(),
            cache_dir: cache_dir.to_path_buf(),
        }),
        Method::ManagedIdentity => Box::new(ManagedIdentity {
            env: env.clone(),
            client_id: client_id.to_string(),
        }),
        Method::AzCli => Box::new(AzCli {
            env: env.clone(),
            tenant: tenant.to_string(),
            runner,
        }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environments_methods_and_challenges() {
        let e = Environment::named("AzureChinaCloud").unwrap();
        assert_eq!(e.resource, "https://management.core.chinacloudapi.cn/");
        assert_eq!(
            e.scope(),
            "https://management.core.chinacloudapi.cn//.default"
        );
        let err = Environment::named("Mars").unwrap_err().to_string();
        assert_eq!(
            err,
            format!("Invalid Azure environment: \"Mars\", supported values: {ENVIRONMENTS}")
        );
        assert!(Environment::named("AzureGermanCloud").is_err());
        assert_eq!(
            Method::choose("", "id", "secret").unwrap(),
            Method::ServicePrincipal
        );
        assert_eq!(Method::choose("", "id", "").unwrap(), Method::DeviceCode);
        assert_eq!(Method::choose("az-cli", "", "").unwrap(), Method::AzCli);
        assert!(Method::choose("browser", "", "").is_err());
        assert_eq!(
            tenant_of_challenge(r#"Bearer authorization_uri="https://login.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47", error="invalid_token""#).as_deref(),
            Some("72f988bf-86f1-41af-91ab-2d7cd011db47")
        );
        assert_eq!(tenant_of_challenge("Basic realm=x"), None);
    }

    #[test]
    fn cache_is_written_in_the_original_format() {
        let t = AccessToken {
            token: "a".into(),
            expires_at: at(2_000_000_000),
        };
        let v = cache_json(&t, "r", 3599, "https://management.core.windows.net/");
        for k in [
            "access_token",
            "refresh_token",
            "expires_in",
            "expires_on",
            "not_before",
            "resource",
            "token_type",
        ] {
            assert!(v[k].is_string(), "{k}");
        }
        assert_eq!(v["expires_on"], "2000000000");
    }
}
