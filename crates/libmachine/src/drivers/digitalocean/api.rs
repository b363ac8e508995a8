//! DigitalOcean's API v2: JSON over HTTPS with a bearer token, through the cloud layer's
//! client (429 ridden out until `RateLimit-Reset`, 5xx retried). A refusal's body is
//! `{"id": "...", "message": "..."}`; it becomes `DigitalOcean API error ID: MESSAGE`.

use crate::cloud::auth::StaticBearer;
use crate::cloud::http::{HttpClient, HttpError, Request, Response, RetryPolicy};
use crate::cloud::ApiError;
use anyhow::Result;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

const SERVICE: &str = "DigitalOcean";
/// Where the API is; `DIGITALOCEAN_API_URL` points elsewhere (as doctl's does).
const DEFAULT_API_URL: &str = "https://api.digitalocean.com";

pub struct DoApi {
    http: HttpClient,
    base: String,
}

/// Whether `err` is the API's "not found" (a deleted droplet or key).
pub fn is_not_found(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<ApiError>())
        .any(|e| e.status == 404)
}

impl DoApi {
    pub fn new(token: &str) -> DoApi {
        let base = std::env::var("DIGITALOCEAN_API_URL")
            .ok()
            .filter(|u| !u.is_empty())
            .unwrap_or_else(|| DEFAULT_API_URL.to_string());
        // Rate limits reset within the minute: wait that long rather than fail.
        let http = HttpClient::new(RetryPolicy {
            max_retries: 5,
            max_delay: Duration::from_secs(60),
            ..RetryPolicy::default()
        })
        .with_signer(Arc::new(StaticBearer(token.to_string())));
        DoApi {
            http,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    fn send(&self, method: &'static str, path: &str, body: Option<&Value>) -> Result<Response> {
        let url = format!("{}{path}", self.base);
        let body = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        let build = || {
            let mut headers = vec![("accept".to_string(), "application/json".to_string())];
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
        self.http.send(build, classify).map_err(|e| match e {
            HttpError::Api(api) => api.into(),
            other => anyhow::Error::new(other),
        })
    }

    pub fn get(&self, path: &str) -> Result<Value> {
        json(self.send("GET", path, None)?)
    }

    pub fn post(&self, path: &str, body: &Value) -> Result<Value> {
        json(self.send("POST", path, Some(body))?)
    }

    pub fn delete(&self, path: &str) -> Result<()> {
        self.send("DELETE", path, None).map(|_| ())
    }
}

fn json(resp: Response) -> Result<Value> {
    if resp.body.trim().is_empty() {
        return Ok(Value::Null);
    }
    serde_json::from_str(&resp.body)
        .map_err(|e| anyhow::anyhow!("{SERVICE} API answered with invalid JSON: {e}"))
}

/// The API's error body as an [`ApiError`]; a body that is not its JSON keeps the status.
fn classify(resp: &Response) -> ApiError {
    let v: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
    let code = v["id"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| format!("HTTP{}", resp.status));
    let message = v["message"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| resp.body.trim().to_string());
    ApiError::new(SERVICE, resp.status, &code, &message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_one_line_with_the_id() {
        let e = classify(&Response {
            status: 422,
            body: r#"{"id":"unprocessable_entity","message":"You specified an invalid image for Droplet creation."}"#.into(),
            headers: vec![],
        });
        assert_eq!(
            e.to_string(),
            "DigitalOcean API error unprocessable_entity: You specified an invalid image for Droplet creation."
        );
        let e = classify(&Response {
            status: 502,
            body: "Bad gateway\n".into(),
            headers: vec![],
        });
        assert_eq!(e.to_string(), "DigitalOcean API error HTTP502: Bad gateway");
        assert!(is_not_found(&anyhow::Error::new(ApiError::new(
            SERVICE,
            404,
            "not_found",
            "x"
        ))));
    }
}
