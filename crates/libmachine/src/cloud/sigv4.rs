//! AWS Signature Version 4 for a request, through the aws-sigv4 crate (the one the AWS
//! SDK uses): the caller gets the headers to add (`authorization`, `x-amz-date`,
//! `x-amz-security-token`, `x-amz-content-sha256` when asked).

use anyhow::{anyhow, Result};
use std::time::SystemTime;

/// An access key pair, with the session token of temporary credentials.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    pub access_key: String,
    pub secret_key: String,
    pub session_token: String,
}

impl std::fmt::Debug for Credentials {
    // The secret never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key", &self.access_key)
            .finish_non_exhaustive()
    }
}

/// What to sign: `headers` must include `host` and every header that will be sent.
pub struct Signable<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub body: &'a [u8],
}

/// The headers that sign `req` for `service` in `region` at `time`.
pub fn sign(
    req: &Signable<'_>,
    creds: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
) -> Result<Vec<(String, String)>> {
    use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings};
    let token = (!creds.session_token.is_empty()).then(|| creds.session_token.clone());
    let identity: aws_smithy_runtime_api::client::identity::Identity =
        aws_credential_types::Credentials::new(
            &creds.access_key,
            &creds.secret_key,
            token,
            None,
            "docker-machine",
        )
        .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| anyhow!("signing the request: {e}"))?
        .into();
    let signable = SignableRequest::new(
        req.method,
        req.url,
        req.headers.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        SignableBody::Bytes(req.body),
    )
    .map_err(|e| anyhow!("signing the request: {e}"))?;
    let (instructions, _) = aws_sigv4::http_request::sign(signable, &params)
        .map_err(|e| anyhow!("signing the request: {e}"))?
        .into_parts();
    let (headers, _) = instructions.into_parts();
    Ok(headers
        .into_iter()
        .map(|h| (h.name().to_string(), h.value().to_string()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// AWS's published example (IAM ListUsers, GET, 2015-08-30T12:36:00Z) has this
    /// signature; it shows the crate is driven the way the services expect.
    #[test]
    fn matches_the_published_example() {
        let creds = Credentials {
            access_key: "AKIDEXAMPLE".into(),
            secret_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".into(),
            session_token: String::new(),
        };
        let headers = vec![
            ("host".to_string(), "iam.amazonaws.com".to_string()),
            (
                "content-type".to_string(),
                "application/x-www-form-urlencoded; charset=utf-8".to_string(),
            ),
            ("x-amz-date".to_string(), "20150830T123600Z".to_string()),
        ];
        let req = Signable {
            method: "GET",
            url: "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08",
            headers: &headers,
            body: b"",
        };
        let time = UNIX_EPOCH + Duration::from_secs(1_440_938_160);
        let out = sign(&req, &creds, "us-east-1", "iam", time).unwrap();
        let auth = out.iter().find(|(k, _)| k == "authorization").unwrap();
        assert!(auth.1.starts_with(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request"
        ));
        assert!(
            auth.1.ends_with(
                "Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
            ),
            "{}",
            auth.1
        );
    }

    #[test]
    fn session_token_is_sent() {
        let creds = Credentials {
            access_key: "AK".into(),
            secret_key: "SK".into(),
            session_token: "TOKEN".into(),
        };
        let headers = vec![("host".to_string(), "127.0.0.1:5000".to_string())];
        let req = Signable {
            method: "POST",
            url: "http://127.0.0.1:5000/",
            headers: &headers,
            body: b"Action=DescribeRegions",
        };
        let out = sign(&req, &creds, "us-east-1", "ec2", SystemTime::now()).unwrap();
        assert!(out
            .iter()
            .any(|(k, v)| k == "x-amz-security-token" && v == "TOKEN"));
        assert!(format!("{creds:?}").contains("AK") && !format!("{creds:?}").contains("SK"));
    }
}
