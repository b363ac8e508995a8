//! Compute Engine's REST API v1 through the cloud layer's client, signed with an
//! OAuth2 bearer from Application Default Credentials ([`super::auth`]). Refusals are
//! `{"error": {"code", "message", "errors": [{"reason", "message"}]}}`; the first
//! reason is the code of the one-line error (`Compute Engine API error notFound: ...`).
//! 429 and the `rateLimitExceeded` reasons (sent with a 403) are retried with backoff.
//! Changes answer with an operation, zonal or global, read until it is `DONE`.

use crate::cloud::auth::OAuth2Bearer;
use crate::cloud::http::{HttpClient, HttpError, Profile, Request, Response, RetryPolicy};
use crate::cloud::wait::Waiter;
use crate::cloud::ApiError;
use anyhow::{anyhow, Result};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

const SERVICE: &str = "Compute Engine";
/// Where the API is; `GOOGLE_COMPUTE_API_URL` points elsewhere (the tests' stand-in).
const DEFAULT_API_URL: &str = "https://compute.googleapis.com/compute/v1";

pub const PROFILE: Profile = Profile {
    throttling_codes: &["rateLimitExceeded", "userRateLimitExceeded"],
    server_error_codes: &["backendError", "internalError"],
};

pub struct Compute {
    http: HttpClient,
    base: String,
    pub project: String,
}

/// Whether `err` is the API's 404.
pub fn is_not_found(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<ApiError>())
        .any(|e| e.status == 404)
}

impl Compute {
    pub fn new(project: &str) -> Result<Compute> {
        let source = super::auth::default_credentials(&super::auth::token_http())?;
        let http = HttpClient::new(RetryPolicy {
            max_retries: 5,
            ..RetryPolicy::default()
        })
        .with_profile(PROFILE)
        .with_signer(Arc::new(OAuth2Bearer::new(source)));
        let base = std::env::var("GOOGLE_COMPUTE_API_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        Ok(Compute {
            http,
            base: base.trim_end_matches('/').to_string(),
            project: project.to_string(),
        })
    }

    fn send(&self, method: &'static str, path: &str, body: Option<&Value>) -> Result<Value> {
        let url = format!("{}/projects/{}{path}", self.base, self.project);
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let build = || {
            let mut headers = vec![];
            if !body.is_empty() {
                headers.push(("content-type".into(), "application/json".into()));
            }
            Ok(Request {
                method,
                url: url.clone(),
                headers,
                body: body.clone(),
            })
        };
        let resp = self.http.send(build, classify).map_err(|e| match e {
            HttpError::Api(api) => anyhow::Error::new(api),
            other => anyhow::Error::new(other),
        })?;
        if resp.body.trim().is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_str(&resp.body)
            .map_err(|e| anyhow!("{SERVICE} API answered with invalid JSON: {e}"))
    }

    /// GET `/projects/<project><path>` (`path` empty: the project itself).
    pub fn get(&self, path: &str) -> Result<Value> {
        self.send("GET", path, None)
    }

    /// A change: the operation it started, followed until it is done.
    pub fn change(&self, method: &'static str, path: &str, body: Option<&Value>) -> Result<()> {
        let op = self.send(method, path, body)?;
        self.wait(&op)
    }

    /// Read the operation `op` until it is `DONE`; its error as one line.
    fn wait(&self, op: &Value) -> Result<()> {
        let name = op["name"].as_str().unwrap_or("").to_string();
        let path = match op["zone"].as_str() {
            Some(zone) => format!(
                "/zones/{}/operations/{name}",
                zone.rsplit('/').next().unwrap_or(zone)
            ),
            None => format!("/global/operations/{name}"),
        };
        if let Some(done) = finished(op) {
            return done;
        }
        Waiter::new(Duration::from_secs(600), Duration::from_secs(2))
            .until(&format!("operation {name}"), || {
                finished(&self.get(&path)?).transpose()
            })
    }
}

/// The outcome of an operation that is `DONE` (its first error as one line).
fn finished(op: &Value) -> Option<Result<()>> {
    if op["status"] != "DONE" {
        return None;
    }
    Some(match op["error"]["errors"].get(0) {
        Some(e) => Err(ApiError::new(
            SERVICE,
            200,
            e["code"].as_str().unwrap_or("OPERATION_FAILED"),
            e["message"].as_str().unwrap_or("the operation failed"),
        )
        .into()),
        None => Ok(()),
    })
}

/// Compute Engine's error body as an [`ApiError`].
fn classify(resp: &Response) -> ApiError {
    let v: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
    let err = &v["error"];
    let code = err["errors"][0]["reason"]
        .as_str()
        .or(err["status"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| format!("HTTP{}", resp.status));
    let message = err["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| resp.body.trim().to_string());
    ApiError::new(SERVICE, resp.status, &code, &message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_one_line_and_rate_limits_retried() {
        let e = classify(&Response {
            status: 403,
            body: r#"{"error":{"code":403,"message":"Rate Limit Exceeded","errors":[{"domain":"usageLimits","reason":"rateLimitExceeded","message":"Rate Limit Exceeded"}]}}"#.into(),
            headers: vec![],
        });
        assert_eq!(
            e.to_string(),
            "Compute Engine API error rateLimitExceeded: Rate Limit Exceeded"
        );
        assert!(PROFILE.classify(&e).is_some());
        let e = classify(&Response {
            status: 403,
            body: r#"{"error":{"code":403,"message":"Quota exceeded","errors":[{"reason":"quotaExceeded","message":"Quota exceeded"}]}}"#.into(),
            headers: vec![],
        });
        assert!(PROFILE.classify(&e).is_none());
    }
}
