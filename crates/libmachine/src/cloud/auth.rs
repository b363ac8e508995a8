//! How a cloud request proves who sends it, as one pluggable piece: the HTTP client
//! calls its [`Signer`] before every attempt (signatures carry the time; tokens expire).
//!
//! * [`SigV4`]: AWS Signature Version 4 (amazonec2).
//! * [`OAuth2Bearer`]: `Authorization: Bearer <access token>` from a [`TokenSource`]
//!   (Azure's and Google's OAuth2 logins), the token kept until shortly before it
//!   expires and fetched again then.
//! * [`StaticBearer`]: a fixed bearer token (DigitalOcean's personal access token).
//!
//! A signer never logs what it adds: secrets stay out of debug output.

use super::http::Request;
use super::sigv4::{self, Credentials};
use anyhow::Result;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Adds the headers that authenticate `req`.
pub trait Signer: Send + Sync {
    fn sign(&self, req: &mut Request) -> Result<()>;
    /// The service refused the credential (401): get a new one if this signer can;
    /// true when the request is worth sending again.
    fn renew(&self) -> Result<bool> {
        Ok(false)
    }
}

/// AWS Signature V4 for `service` in `region`.
pub struct SigV4 {
    pub creds: Credentials,
    pub region: String,
    pub service: &'static str,
}

impl Signer for SigV4 {
    fn sign(&self, req: &mut Request) -> Result<()> {
        let host = req
            .url
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
            .unwrap_or("")
            .to_string();
        let mut headers = req.headers.clone();
        headers.push(("host".to_string(), host));
        let signed = sigv4::sign(
            &sigv4::Signable {
                method: req.method,
                url: &req.url,
                headers: &headers,
                body: &req.body,
            },
            &self.creds,
            &self.region,
            self.service,
            SystemTime::now(),
        )?;
        // ureq sets Host itself from the URL.
        req.headers.extend(signed);
        Ok(())
    }
}

/// A fixed bearer token.
pub struct StaticBearer(pub String);

impl std::fmt::Debug for StaticBearer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StaticBearer(..)")
    }
}

impl Signer for StaticBearer {
    fn sign(&self, req: &mut Request) -> Result<()> {
        req.headers
            .push(("authorization".into(), format!("Bearer {}", self.0)));
        Ok(())
    }
}

/// An OAuth2 access token and when it stops being valid.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    pub token: String,
    pub expires_at: SystemTime,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Where access tokens come from (a login flow, a refresh token, a metadata service).
pub trait TokenSource: Send + Sync {
    fn fetch(&self) -> Result<AccessToken>;
    /// A new token, not the one a cache holds: the service refused that one.
    fn renew(&self) -> Result<AccessToken> {
        self.fetch()
    }
}

/// Bearer tokens from a [`TokenSource`], fetched again `margin` before they expire.
pub struct OAuth2Bearer {
    source: Box<dyn TokenSource>,
    margin: Duration,
    current: Mutex<Option<AccessToken>>,
}

impl OAuth2Bearer {
    pub fn new(source: Box<dyn TokenSource>) -> OAuth2Bearer {
        OAuth2Bearer {
            source,
            margin: Duration::from_secs(300),
            current: Mutex::new(None),
        }
    }

    /// The token to send now: the one held, or a fresh one.
    pub fn token(&self) -> Result<String> {
        let mut current = self.current.lock().unwrap_or_else(|e| e.into_inner());
        let fresh = current
            .as_ref()
            .is_some_and(|t| SystemTime::now() + self.margin < t.expires_at);
        if !fresh {
            *current = Some(self.source.fetch()?);
        }
        Ok(current
            .as_ref()
            .map(|t| t.token.clone())
            .unwrap_or_default())
    }
}

impl Signer for OAuth2Bearer {
    fn sign(&self, req: &mut Request) -> Result<()> {
        let token = self.token()?;
        req.headers
            .push(("authorization".into(), format!("Bearer {token}")));
        Ok(())
    }
    fn renew(&self) -> Result<bool> {
        let fresh = self.source.renew()?;
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = Some(fresh);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::Arc;

    fn request() -> Request {
        Request {
            method: "GET",
            url: "http://127.0.0.1:1/x".into(),
            headers: vec![],
            body: vec![],
        }
    }

    struct Counting(Arc<AtomicU32>, Duration);
    impl TokenSource for Counting {
        fn fetch(&self) -> Result<AccessToken> {
            let n = self.0.fetch_add(1, Ordering::SeqCst);
            Ok(AccessToken {
                token: format!("t{n}"),
                expires_at: SystemTime::now() + self.1,
            })
        }
    }

    #[test]
    fn bearer_tokens_are_kept_until_near_expiry() {
        let calls = Arc::new(AtomicU32::new(0));
        let long = OAuth2Bearer::new(Box::new(Counting(calls.clone(), Duration::from_secs(3600))));
        for _ in 0..3 {
            let mut r = request();
            long.sign(&mut r).unwrap();
            assert_eq!(
                r.headers,
                vec![("authorization".into(), "Bearer t0".into())]
            );
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // A token that expires within the margin is fetched again each time.
        let calls = Arc::new(AtomicU32::new(0));
        let short = OAuth2Bearer::new(Box::new(Counting(calls.clone(), Duration::from_secs(60))));
        short.token().unwrap();
        assert_eq!(short.token().unwrap(), "t1");
    }

    #[test]
    fn static_bearer_and_sigv4() {
        let mut r = request();
        StaticBearer("dop_v1_x".into()).sign(&mut r).unwrap();
        assert_eq!(r.headers[0].1, "Bearer dop_v1_x");
        assert!(!format!("{:?}", StaticBearer("secret".into())).contains("secret"));
        let mut r = request();
        SigV4 {
            creds: Credentials {
                access_key: "AK".into(),
                secret_key: "SK".into(),
                session_token: String::new(),
            },
            region: "us-east-1".into(),
            service: "ec2",
        }
        .sign(&mut r)
        .unwrap();
        let auth = r
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .unwrap();
        assert!(
            auth.1.starts_with("AWS4-HMAC-SHA256 Credential=AK/"),
            "{}",
            auth.1
        );
        assert!(!r.headers.iter().any(|(k, _)| k == "host"));
    }
}
