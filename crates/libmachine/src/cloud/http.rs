//! The HTTP client of the cloud drivers: ureq with rustls (no OpenSSL), bounded
//! timeouts, requests signed by the provider's [`Signer`](super::auth::Signer), and
//! retries with exponential backoff and jitter when the service throttles or fails on
//! its side, or the connection breaks. What counts as "throttled" is classified first
//! by HTTP status (429, 5xx), then by the provider's own error codes (its
//! [`Profile`]); a `Retry-After` the service sends is honoured (capped). The caller
//! turns an answer into success or an [`ApiError`]; this layer decides only whether to
//! try again. Every request sent is counted, for the benchmarks.

use super::auth::Signer;
use super::ApiError;
use anyhow::Result;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Requests sent by every [`HttpClient`] of this process (retries included).
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// How many HTTP requests the cloud clients of this process have sent.
pub fn requests_sent() -> u64 {
    REQUESTS.load(Ordering::Relaxed)
}

/// Count a request sent outside an [`HttpClient`] (a login service's), for the
/// benchmarks.
pub fn count_request() {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
}

/// What one provider's API says about retrying: the error codes it uses, beside the
/// HTTP status, for "slow down" and for a failure on its side. Status alone decides
/// for providers that keep to HTTP (429, 5xx); AWS-style APIs also send codes with a
/// 400 or 503 (`RequestLimitExceeded`), listed by the driver in its profile.
#[derive(Debug, Clone, Copy)]
pub struct Profile {
    /// Error codes that mean "throttled": retried after a pause.
    pub throttling_codes: &'static [&'static str],
    /// Error codes that mean "the service failed": retried too.
    pub server_error_codes: &'static [&'static str],
}

/// Status alone: 429 is throttling, 5xx a server error.
pub const HTTP_STATUS_ONLY: Profile = Profile {
    throttling_codes: &[],
    server_error_codes: &[],
};

/// Why an answer is worth another try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    Throttled,
    ServerError,
}

impl Profile {
    /// Whether the refusal `err` (of an answer with `err.status`) is worth retrying.
    pub fn classify(&self, err: &ApiError) -> Option<Retry> {
        let code = err.code.as_str();
        if err.status == 429 || self.throttling_codes.contains(&code) {
            Some(Retry::Throttled)
        } else if err.status >= 500 || self.server_error_codes.contains(&code) {
            Some(Retry::ServerError)
        } else {
            None
        }
    }
}

/// When and how long to retry.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0: none).
    pub max_retries: u32,
    /// First pause; doubled at each retry up to `max_delay`, with full jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(20),
        }
    }
}

impl RetryPolicy {
    /// The pause before retry number `n` (0-based): a random time up to
    /// `base * 2^n`, capped.
    pub fn delay(&self, n: u32) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1u32 << n.min(16))
            .min(self.max_delay);
        let ms = cap.as_millis().max(1) as u64;
        Duration::from_millis(ms / 2 + rand::random::<u64>() % (ms / 2 + 1))
    }

    /// The pause before retry `n` after `resp`: the service's `Retry-After` when it
    /// sent one (capped at `max_delay`), else the backoff.
    pub fn delay_after(&self, n: u32, resp: Option<&Response>) -> Duration {
        match resp.and_then(Response::retry_after) {
            Some(d) => d.min(self.max_delay),
            None => self.delay(n),
        }
    }
}

/// Why a request brought no success.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The service refused (after the retries, when its refusal was worth retrying).
    #[error(transparent)]
    Api(#[from] ApiError),
    /// No answer: the connection failed or broke, the last time it was tried.
    #[error("{method} {url}: {reason}")]
    Transport {
        method: &'static str,
        url: String,
        reason: String,
    },
    /// The request could not be made (signing it failed, say).
    #[error(transparent)]
    Build(#[from] anyhow::Error),
}

/// One HTTP answer, read whole (cloud API answers are small).
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    pub body: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
}

impl Response {
    /// The first header `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// `Retry-After` in seconds (the form cloud APIs send; an HTTP date is ignored).
    pub fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs)
    }
}

/// A request to send: built anew for each attempt, since signatures carry the time.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

#[derive(Clone)]
pub struct HttpClient {
    agent: ureq::Agent,
    pub retry: RetryPolicy,
    pub profile: Profile,
    signer: Option<Arc<dyn Signer>>,
}

impl HttpClient {
    /// A client that classifies by HTTP status only and signs nothing.
    pub fn new(retry: RetryPolicy) -> HttpClient {
        HttpClient {
            agent: agent(Duration::from_secs(20), Some(Duration::from_secs(60))),
            retry,
            profile: HTTP_STATUS_ONLY,
            signer: None,
        }
    }

    /// The provider's error codes for throttling and server failures.
    pub fn with_profile(mut self, profile: Profile) -> HttpClient {
        self.profile = profile;
        self
    }

    /// Sign every attempt with `signer` (SigV4, an OAuth2 or a static bearer token).
    pub fn with_signer(mut self, signer: Arc<dyn Signer>) -> HttpClient {
        self.signer = Some(signer);
        self
    }

    /// Send the request `build` makes, signed, again while the answer is worth
    /// retrying. `classify` turns a non-2xx answer into the service's error; transport
    /// errors, throttling and server errors are retried, anything else is returned.
    pub fn send(
        &self,
        mut build: impl FnMut() -> Result<Request>,
        classify: impl Fn(&Response) -> ApiError,
    ) -> Result<Response, HttpError> {
        let mut attempt = 0;
        let mut renewed = false;
        loop {
            let mut req = build()?;
            if let Some(signer) = &self.signer {
                signer.sign(&mut req)?;
            }
            let pause = match self.once(&req) {
                Ok(resp) if (200..300).contains(&resp.status) => return Ok(resp),
                // A refused token (expired early, revoked): once, with a new one.
                Ok(resp) if resp.status == 401 && !renewed && self.renew()? => {
                    renewed = true;
                    crate::debug!(
                        "{} {}: 401; sending again with a new credential",
                        req.method,
                        req.url
                    );
                    continue;
                }
                Ok(resp) => {
                    let err = classify(&resp);
                    let again = self.profile.classify(&err).is_some();
                    if !again || attempt >= self.retry.max_retries {
                        return Err(err.into());
                    }
                    crate::debug!("{err}; retrying");
                    self.retry.delay_after(attempt, Some(&resp))
                }
                Err(e) => {
                    if attempt >= self.retry.max_retries {
                        return Err(e);
                    }
                    crate::debug!("{e}; retrying");
                    self.retry.delay(attempt)
                }
            };
            std::thread::sleep(pause);
            attempt += 1;
        }
    }

    fn renew(&self) -> Result<bool> {
        match &self.signer {
            Some(s) => s.renew(),
            None => Ok(false),
        }
    }

    fn once(&self, req: &Request) -> Result<Response, HttpError> {
        REQUESTS.fetch_add(1, Ordering::Relaxed);
        let transport = |reason: &dyn std::fmt::Display| HttpError::Transport {
            method: req.method,
            url: req.url.clone(),
            reason: reason.to_string(),
        };
        let mut builder = http_request(req.method, &req.url);
        for (k, v) in &req.headers {
            builder = builder.header(k.as_str(), v.as_str());
        }
        let request = builder.body(req.body.clone()).map_err(|e| transport(&e))?;
        match self.agent.run(request) {
            Ok(mut resp) => {
                let status = resp.status().as_u16();
                let headers = resp
                    .headers()
                    .iter()
                    .filter_map(|(k, v)| {
                        Some((
                            k.as_str().to_ascii_lowercase(),
                            v.to_str().ok()?.to_string(),
                        ))
                    })
                    .collect();
                let body = resp
                    .body_mut()
                    .with_config()
                    .limit(32 << 20)
                    .read_to_string()
                    .map_err(|e| transport(&e))?;
                Ok(Response {
                    status,
                    body,
                    headers,
                })
            }
            Err(e) => Err(transport(&e)),
        }
    }
}

/// rustls with the aws-lc provider and the Web PKI roots: every HTTPS client here.
pub fn tls_config() -> ureq::tls::TlsConfig {
    ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .root_certs(ureq::tls::RootCerts::WebPki)
        .build()
}

fn http_request(method: &str, url: &str) -> ureq::http::request::Builder {
    ureq::http::Request::builder().method(method).uri(url)
}

/// A ureq agent over rustls (aws-lc) with the Web PKI roots; non-2xx answers are
/// returned, not turned into errors, so the caller can read the service's error body.
pub fn agent(connect_timeout: Duration, total_timeout: Option<Duration>) -> ureq::Agent {
    ureq::Agent::config_builder()
        .tls_config(tls_config())
        .timeout_connect(Some(connect_timeout))
        .timeout_global(total_timeout)
        .http_status_as_error(false)
        .build()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpListener;

    /// A loopback server answering each connection with the next canned answer.
    fn serve(answers: Vec<(u16, &'static str)>) -> (String, std::thread::JoinHandle<usize>) {
        serve_with_headers(answers.into_iter().map(|(s, b)| (s, b, "")).collect())
    }

    /// As [`serve`], each answer with extra header lines (`Name: value\r\n`).
    fn serve_with_headers(
        answers: Vec<(u16, &'static str, &'static str)>,
    ) -> (String, std::thread::JoinHandle<usize>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let handle = std::thread::spawn(move || {
            let mut served = 0;
            for (status, body, extra) in answers {
                let (mut conn, _) = listener.accept().unwrap();
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut len = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        len = v.trim().parse().unwrap();
                    }
                    if line == "\r\n" {
                        break;
                    }
                }
                let mut body_in = vec![0; len];
                reader.read_exact(&mut body_in).unwrap();
                write!(
                    conn,
                    "HTTP/1.1 {status} X\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                )
                .unwrap();
                served += 1;
            }
            served
        });
        (url, handle)
    }

    fn client(retries: u32) -> HttpClient {
        HttpClient::new(RetryPolicy {
            max_retries: retries,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        })
    }

    fn post(url: &str) -> impl FnMut() -> Result<Request> + '_ {
        move || {
            Ok(Request {
                method: "POST",
                url: url.to_string(),
                headers: vec![],
                body: b"a=b".to_vec(),
            })
        }
    }

    fn classify(r: &Response) -> ApiError {
        ApiError::new("Test", r.status, r.body.as_str(), "failed")
    }

    #[test]
    fn retries_throttling_and_5xx_then_succeeds() {
        let (url, server) = serve(vec![
            (503, "RequestLimitExceeded"),
            (500, "InternalError"),
            (200, "ok"),
        ]);
        let resp = client(3).send(post(&url), classify).unwrap();
        assert_eq!((resp.status, resp.body.as_str()), (200, "ok"));
        assert_eq!(server.join().unwrap(), 3);
    }

    #[test]
    fn client_errors_are_not_retried_and_retries_are_bounded() {
        let (url, server) = serve(vec![(400, "InvalidParameterValue")]);
        let e = client(3).send(post(&url), classify).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Test API error InvalidParameterValue: failed"
        );
        assert!(matches!(e, HttpError::Api(ApiError { status: 400, .. })));
        assert_eq!(server.join().unwrap(), 1);

        let (url, server) = serve(vec![(429, "Throttling"), (429, "Throttling")]);
        let e = client(1).send(post(&url), classify).unwrap_err();
        assert!(e.to_string().contains("Throttling"), "{e}");
        assert_eq!(server.join().unwrap(), 2);
    }

    #[test]
    fn provider_codes_and_retry_after() {
        // A 400 is final for status-only providers...
        let (url, server) = serve(vec![(400, "SlowDown")]);
        assert!(client(3).send(post(&url), classify).is_err());
        assert_eq!(server.join().unwrap(), 1);
        // ...and retried when the provider lists its code as throttling.
        const P: Profile = Profile {
            throttling_codes: &["SlowDown"],
            server_error_codes: &[],
        };
        let (url, server) = serve(vec![(400, "SlowDown"), (200, "ok")]);
        let resp = client(3)
            .with_profile(P)
            .send(post(&url), classify)
            .unwrap();
        assert_eq!(resp.body, "ok");
        assert_eq!(server.join().unwrap(), 2);
        // Retry-After (seconds) replaces the backoff, capped at max_delay (20 ms here).
        let (url, server) = serve_with_headers(vec![
            (429, "TooMany", "Retry-After: 30\r\n"),
            (503, "Busy", "Retry-After: 0\r\n"),
            (200, "ok", "X-Ms-Request-Id: 7\r\n"),
        ]);
        let start = std::time::Instant::now();
        let resp = client(3).send(post(&url), classify).unwrap();
        assert!(start.elapsed() < Duration::from_secs(5));
        assert_eq!(resp.header("x-ms-request-id"), Some("7"));
        assert_eq!(server.join().unwrap(), 3);
        let r = Response {
            headers: vec![("retry-after".into(), "17".into())],
            ..Response::default()
        };
        let p = RetryPolicy::default();
        assert_eq!(p.delay_after(0, Some(&r)), Duration::from_secs(17));
        assert_eq!(
            P.classify(&ApiError::new("T", 429, "x", "")),
            Some(Retry::Throttled)
        );
        assert_eq!(
            P.classify(&ApiError::new("T", 502, "x", "")),
            Some(Retry::ServerError)
        );
        assert_eq!(P.classify(&ApiError::new("T", 404, "x", "")), None);
    }

    #[test]
    fn no_answer_is_a_transport_error_naming_the_request() {
        let closed = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let url = format!("http://{closed}/");
        let e = client(1).send(post(&url), classify).unwrap_err();
        match &e {
            HttpError::Transport { method, url: u, .. } => {
                assert_eq!((*method, u.as_str()), ("POST", url.as_str()))
            }
            other => panic!("{other:?}"),
        }
        assert!(e.to_string().starts_with(&format!("POST {url}: ")), "{e}");
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            max_retries: 9,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(800),
        };
        for n in 0..10 {
            let cap = (100u64 << n.min(16)).min(800);
            let d = p.delay(n).as_millis() as u64;
            assert!(d >= cap / 2 && d <= cap, "retry {n}: {d} ms");
        }
    }
}
