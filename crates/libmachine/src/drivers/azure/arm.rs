//! A small Azure Resource Manager client: JSON over the cloud layer's retrying client,
//! signed with an OAuth2 bearer token, long-running operations followed to their end
//! ([`crate::cloud::lro`]), ARM's error body as one line (`Azure API error <code>:
//! <message>`). Only what the driver uses.

use crate::cloud::auth::Signer;
use crate::cloud::http::{HttpClient, HttpError, Request, Response, RetryPolicy};
use crate::cloud::lro::{self, Poller};
use crate::cloud::ApiError;
use anyhow::{anyhow, Result};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The api-versions this driver speaks (current ones; 0.16.2 used 2016's).
pub const COMPUTE_API: &str = "2024-07-01";
pub const NETWORK_API: &str = "2024-05-01";
pub const RESOURCES_API: &str = "2021-04-01";
pub const STORAGE_API: &str = "2023-05-01";
pub const SUBSCRIPTIONS_API: &str = "2022-12-01";

const SERVICE: &str = "Azure";

/// The api-version for a resource id, by its provider.
pub fn api_for(id: &str) -> &'static str {
    let lower = id.to_ascii_lowercase();
    if !lower.contains("/resourcegroups/") {
        // Subscription-level calls (provider registration).
        RESOURCES_API
    } else if lower.contains("/providers/microsoft.compute/") {
        COMPUTE_API
    } else if lower.contains("/providers/microsoft.network/") {
        NETWORK_API
    } else if lower.contains("/providers/microsoft.storage/") {
        STORAGE_API
    } else {
        RESOURCES_API
    }
}

pub struct Arm {
    http: HttpClient,
    /// ARM's base URL, without a trailing slash.
    base: String,
    pub subscription: String,
    pub poller: Poller,
}

/// ARM's error body: `{"error":{"code":..,"message":..}}` (some services put the code
/// at the top level).
pub fn error_of(resp: &Response) -> ApiError {
    let v: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
    let e = if v["error"].is_object() {
        &v["error"]
    } else {
        &v
    };
    match (e["code"].as_str(), e["message"].as_str()) {
        (Some(code), message) => ApiError::new(SERVICE, resp.status, code, message.unwrap_or("")),
        _ => {
            let first = resp.body.lines().next().unwrap_or("").trim();
            ApiError::new(SERVICE, resp.status, &format!("HTTP{}", resp.status), first)
        }
    }
}

fn one_line(method: &str, e: HttpError) -> anyhow::Error {
    match e {
        HttpError::Api(api) => anyhow::Error::new(api),
        other => anyhow!(
            "{}",
            crate::log::one_line(&format!("Azure {method}: {:#}", anyhow::Error::new(other)))
        ),
    }
}

impl Arm {
    pub fn new(base: &str, subscription: &str, signer: Arc<dyn Signer>) -> Arm {
        // 0.16.2's SDK retried 3 times on 5xx and never on 429; ARM throttles per
        // subscription, so 429 is retried too, after its Retry-After.
        let http = HttpClient::new(RetryPolicy {
            max_retries: 8,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        })
        .with_signer(signer);
        Arm {
            http,
            base: base.trim_end_matches('/').to_string(),
            subscription: subscription.to_string(),
            poller: Poller::default(),
        }
    }

    /// `/subscriptions/<sub>/resourceGroups/<group>`
    pub fn group_id(&self, group: &str) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{group}",
            self.subscription
        )
    }

    /// `/subscriptions/<sub>/resourceGroups/<group>/providers/<provider_type>/<name>`
    pub fn id(&self, group: &str, provider_type: &str, name: &str) -> String {
        format!("{}/providers/{provider_type}/{name}", self.group_id(group))
    }

    fn url(&self, id: &str, query: &str) -> String {
        let url = if id.starts_with("http://") || id.starts_with("https://") {
            id.to_string()
        } else {
            format!("{}{id}", self.base)
        };
        let sep = if url.contains('?') { '&' } else { '?' };
        if url.contains("api-version=") {
            format!(
                "{url}{}",
                if query.is_empty() {
                    String::new()
                } else {
                    format!("&{query}")
                }
            )
        } else {
            format!(
                "{url}{sep}api-version={}{}",
                api_for(id),
                if query.is_empty() {
                    String::new()
                } else {
                    format!("&{query}")
                }
            )
        }
    }

    fn send(
        &self,
        method: &'static str,
        url: &str,
        body: Option<&Value>,
    ) -> Result<Response, HttpError> {
        crate::debug!("Azure {method} {url}");
        let data = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
        self.http.send(
            || {
                Ok(Request {
                    method,
                    url: url.to_string(),
                    headers: vec![("content-type".into(), "application/json".into())],
                    body: data.clone(),
                })
            },
            error_of,
        )
    }

    fn get_url(&self, url: &str) -> Result<Response> {
        self.send("GET", url, None).map_err(|e| one_line("GET", e))
    }

    /// The resource, or `None` when it does not exist.
    pub fn get(&self, id: &str) -> Result<Option<Value>> {
        self.get_with(id, "")
    }

    /// As [`Arm::get`] with extra query parameters (`$expand=instanceView`).
    pub fn get_with(&self, id: &str, query: &str) -> Result<Option<Value>> {
        match self.send("GET", &self.url(id, query), None) {
            Ok(r) => Ok(Some(serde_json::from_str(&r.body).unwrap_or(Value::Null))),
            Err(HttpError::Api(e)) if e.status == 404 => Ok(None),
            Err(e) => Err(one_line("GET", e)),
        }
    }

    /// Create or update `id`, waiting until it is provisioned; the resource.
    pub fn put(&self, id: &str, body: &Value) -> Result<Value> {
        let url = self.url(id, "");
        let first = self
            .send("PUT", &url, Some(body))
            .map_err(|e| one_line("PUT", e))?;
        let last = lro::follow_arm(&self.poller, SERVICE, "PUT", &url, first, |u| {
            self.get_url(u)
        })?;
        Ok(serde_json::from_str(&last.body).unwrap_or(Value::Null))
    }

    /// Delete `id` and wait until it is gone; true when it existed.
    pub fn delete(&self, id: &str) -> Result<bool> {
        let url = self.url(id, "");
        let first = match self.send("DELETE", &url, None) {
            Ok(r) => r,
            Err(HttpError::Api(e)) if e.status == 404 => return Ok(false),
            Err(e) => return Err(one_line("DELETE", e)),
        };
        if first.status == 204 {
            return Ok(false);
        }
        lro::follow_arm(&self.poller, SERVICE, "DELETE", &url, first, |u| {
            self.get_url(u)
        })?;
        Ok(true)
    }

    /// POST `<id>/<action>` (`start`, `powerOff`, `register`) and wait for its end.
    pub fn post(&self, id: &str, action: &str) -> Result<()> {
        let url = self.url(&format!("{id}/{action}"), "");
        let first = self
            .send("POST", &url, Some(&Value::Object(Default::default())))
            .map_err(|e| one_line("POST", e))?;
        lro::follow_arm(&self.poller, SERVICE, "POST", &url, first, |u| {
            self.get_url(u)
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_api_versions() {
        let e = error_of(&Response {
            status: 404,
            body: r#"{"error":{"code":"PlatformImageNotFound","message":"The platform image 'x' is not available.\nVerify."}}"#.into(),
            headers: vec![],
        });
        assert_eq!(e.to_string(), "Azure API error PlatformImageNotFound: The platform image 'x' is not available. Verify.");
        let e = error_of(&Response {
            status: 502,
            body: "Bad gateway".into(),
            headers: vec![],
        });
        assert_eq!(e.to_string(), "Azure API error HTTP502: Bad gateway");
        assert_eq!(api_for("/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/virtualNetworks/v/subnets/s"), NETWORK_API);
        assert_eq!(api_for("/subscriptions/s/resourceGroups/g"), RESOURCES_API);
    }
}
