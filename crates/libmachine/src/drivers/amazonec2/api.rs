//! A small EC2 client: the Query API (form-encoded POST, `Version=2016-11-15`) signed
//! with SigV4, sent through the shared retrying HTTP client, answers read with
//! roxmltree. Only the calls the driver makes, each returning the few fields it reads.

use crate::cloud::auth::SigV4;
use crate::cloud::http::{HttpClient, HttpError, Profile, Request, Response};
use crate::cloud::sigv4::Credentials;
use crate::cloud::ApiError;
use anyhow::{anyhow, Context, Result};
use roxmltree::{Document, Node};
use std::sync::Arc;

const API_VERSION: &str = "2016-11-15";

/// EC2's error codes for "slow down" and for its own failures, sent beside (or instead
/// of) a 429 or 5xx status: worth retrying after a pause.
pub const PROFILE: Profile = Profile {
    throttling_codes: &[
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "TooManyRequestsException",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    ],
    server_error_codes: &[
        "InternalError",
        "InternalFailure",
        "ServiceUnavailable",
        "Unavailable",
    ],
};

/// Parameters of one call, in order (`Name`, `Value`).
pub type Params = Vec<(String, String)>;

pub struct Ec2 {
    http: HttpClient,
    /// `scheme://host[:port]/`
    endpoint: String,
}

/// The endpoint URL for `region`, or the user's `--amazonec2-endpoint` (a host name, or
/// a URL); a host name gets `https://`, or `http://` with `insecure`.
pub fn endpoint_url(custom: &str, region: &str, insecure: bool) -> String {
    let scheme = if insecure { "http" } else { "https" };
    let url = if custom.is_empty() {
        let suffix = if region.starts_with("cn-") {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        format!("https://ec2.{region}.{suffix}")
    } else if custom.contains("://") {
        custom.to_string()
    } else {
        format!("{scheme}://{custom}")
    };
    format!("{}/", url.trim_end_matches('/'))
}

impl Ec2 {
    pub fn new(
        http: HttpClient,
        endpoint: String,
        region: &str,
        creds: Credentials,
    ) -> Result<Ec2> {
        endpoint
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or(""))
            .filter(|h| !h.is_empty())
            .ok_or_else(|| anyhow!("invalid EC2 endpoint {endpoint:?}"))?;
        let signer = SigV4 {
            creds,
            region: region.to_string(),
            service: "ec2",
        };
        Ok(Ec2 {
            http: http.with_profile(PROFILE).with_signer(Arc::new(signer)),
            endpoint,
        })
    }

    /// Call `action`; the answer's XML text.
    pub fn call(&self, action: &str, params: &[(String, String)]) -> Result<String> {
        let mut body = format!("Action={action}&Version={API_VERSION}");
        for (k, v) in params {
            body.push('&');
            body.push_str(&encode(k));
            body.push('=');
            body.push_str(&encode(v));
        }
        crate::debug!("EC2 {action} {}", self.endpoint);
        let build = || -> Result<Request> {
            Ok(Request {
                method: "POST",
                url: self.endpoint.clone(),
                headers: vec![(
                    "content-type".to_string(),
                    "application/x-www-form-urlencoded; charset=utf-8".to_string(),
                )],
                body: body.clone().into_bytes(),
            })
        };
        // The service's error alone (it already names EC2), else what failed, on one line.
        let resp = self.http.send(build, error_of).map_err(|e| match e {
            HttpError::Api(api) => anyhow::Error::new(api),
            other => anyhow!(
                "{}",
                crate::log::one_line(&format!("EC2 {action}: {:#}", anyhow::Error::new(other)))
            ),
        })?;
        Ok(resp.body)
    }
}

/// EC2's error answer: `<Response><Errors><Error><Code>..</Code><Message>..`.
pub fn error_of(resp: &Response) -> ApiError {
    if let Ok(doc) = Document::parse(&resp.body) {
        let root = doc.root_element();
        if let Some(err) = root.descendants().find(|n| n.has_tag_name("Error")) {
            return ApiError::new(
                "EC2",
                resp.status,
                &child_text(err, "Code").unwrap_or_default(),
                &child_text(err, "Message").unwrap_or_default(),
            );
        }
    }
    let first = resp.body.lines().next().unwrap_or("").trim();
    ApiError::new("EC2", resp.status, &format!("HTTP{}", resp.status), first)
}

/// Form encoding as the AWS SDKs write it: unreserved characters kept, a space as `+`,
/// everything else percent-encoded. (Servers that re-encode the parsed form to check
/// the signature, as moto does, expect exactly this.)
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The text of the child element `name`.
pub fn child_text(node: Node, name: &str) -> Option<String> {
    node.children()
        .find(|c| c.has_tag_name(name))
        .and_then(|c| c.text())
        .map(str::to_string)
}

/// The text at a path of child elements (`["instanceState", "name"]`).
pub fn path_text(node: Node, path: &[&str]) -> Option<String> {
    let (last, parents) = path.split_last()?;
    let mut cur = node;
    for p in parents {
        cur = cur.children().find(|c| c.has_tag_name(*p))?;
    }
    child_text(cur, last)
}

/// The `<item>` children of the child element `set` (EC2's lists).
pub fn items<'a, 'i>(node: Node<'a, 'i>, set: &str) -> Vec<Node<'a, 'i>> {
    node.children()
        .find(|c| c.has_tag_name(set))
        .map(|s| s.children().filter(|c| c.has_tag_name("item")).collect())
        .unwrap_or_default()
}

pub fn parse(xml: &str) -> Result<Document<'_>> {
    Document::parse(xml).context("EC2 answered with malformed XML")
}

/// An instance as the driver sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Instance {
    pub id: String,
    pub state: String,
    pub private_ip: String,
    pub public_ip: String,
    pub volume_ids: Vec<String>,
    pub spot_request_id: String,
}

impl Instance {
    pub fn from_item(item: Node) -> Instance {
        Instance {
            id: child_text(item, "instanceId").unwrap_or_default(),
            state: path_text(item, &["instanceState", "name"]).unwrap_or_default(),
            private_ip: child_text(item, "privateIpAddress").unwrap_or_default(),
            public_ip: child_text(item, "ipAddress").unwrap_or_default(),
            volume_ids: items(item, "blockDeviceMapping")
                .into_iter()
                .filter_map(|m| path_text(m, &["ebs", "volumeId"]))
                .collect(),
            spot_request_id: child_text(item, "spotInstanceRequestId").unwrap_or_default(),
        }
    }
}

/// Every instance of a DescribeInstances or RunInstances answer.
pub fn instances(xml: &str) -> Result<Vec<Instance>> {
    let doc = parse(xml)?;
    let root = doc.root_element();
    let mut out = Vec::new();
    // RunInstances: instancesSet at the top; DescribeInstances: inside each reservation.
    for inst in items(root, "instancesSet") {
        out.push(Instance::from_item(inst));
    }
    for res in items(root, "reservationSet") {
        for inst in items(res, "instancesSet") {
            out.push(Instance::from_item(inst));
        }
    }
    Ok(out)
}

/// `Name.N` list parameters (`InstanceId.1=...`).
pub fn list<S: AsRef<str>>(name: &str, values: &[S]) -> Params {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (format!("{name}.{}", i + 1), v.as_ref().to_string()))
        .collect()
}

/// `Filter.N.Name` / `Filter.N.Value.M` parameters.
pub fn filters(filters: &[(&str, Vec<String>)]) -> Params {
    let mut out = Params::new();
    for (i, (name, values)) in filters.iter().enumerate() {
        out.push((format!("Filter.{}.Name", i + 1), name.to_string()));
        for (j, v) in values.iter().enumerate() {
            out.push((format!("Filter.{}.Value.{}", i + 1, j + 1), v.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        assert_eq!(
            endpoint_url("", "eu-west-1", false),
            "https://ec2.eu-west-1.amazonaws.com/"
        );
        assert_eq!(
            endpoint_url("", "cn-north-1", false),
            "https://ec2.cn-north-1.amazonaws.com.cn/"
        );
        assert_eq!(
            endpoint_url("127.0.0.1:5000", "x", true),
            "http://127.0.0.1:5000/"
        );
        assert_eq!(
            endpoint_url("ec2.example", "x", false),
            "https://ec2.example/"
        );
        assert_eq!(
            endpoint_url("http://127.0.0.1:5000/", "x", false),
            "http://127.0.0.1:5000/"
        );
    }

    #[test]
    fn encoding_and_lists() {
        assert_eq!(encode("a b/c+=~"), "a+b%2Fc%2B%3D~");
        assert_eq!(
            filters(&[("vpc-id", vec!["v".into()])]),
            vec![
                ("Filter.1.Name".to_string(), "vpc-id".to_string()),
                ("Filter.1.Value.1".to_string(), "v".to_string())
            ]
        );
        assert_eq!(
            list("KeyName", &["k"]),
            vec![("KeyName.1".to_string(), "k".to_string())]
        );
    }

    #[test]
    fn errors_and_instances() {
        let e = error_of(&Response {
            status: 400,
            headers: vec![],
            body: "<?xml version=\"1.0\"?><Response><Errors><Error><Code>AuthFailure</Code><Message>AWS was not able to validate the provided access credentials</Message></Error></Errors><RequestID>x</RequestID></Response>".into(),
        });
        assert_eq!(e.code, "AuthFailure");
        let e = error_of(&Response {
            status: 502,
            headers: vec![],
            body: "Bad gateway\nmore".into(),
        });
        assert_eq!(e.to_string(), "EC2 API error HTTP502: Bad gateway");
        let xml = r#"<DescribeInstancesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><reservationSet><item><instancesSet><item><instanceId>i-1</instanceId><instanceState><code>16</code><name>running</name></instanceState><privateIpAddress>172.31.0.5</privateIpAddress><ipAddress>54.0.0.1</ipAddress><blockDeviceMapping><item><deviceName>/dev/sda1</deviceName><ebs><volumeId>vol-1</volumeId></ebs></item></blockDeviceMapping></item></instancesSet></item></reservationSet></DescribeInstancesResponse>"#;
        assert_eq!(
            instances(xml).unwrap(),
            vec![Instance {
                id: "i-1".into(),
                state: "running".into(),
                private_ip: "172.31.0.5".into(),
                public_ip: "54.0.0.1".into(),
                volume_ids: vec!["vol-1".into()],
                spot_request_id: String::new(),
            }]
        );
    }
}
