//! Asking a machine's Docker daemon for its version over mutual TLS (`ls`'s DOCKER column,
//! `version NAME`, `active`).
//!
//! One request, `GET /version`, on the **unversioned** path: every engine accepts it and
//! its answer carries `ApiVersion`, so it doubles as API negotiation. (The original pinned
//! `/v1.15/`, which engines newer than 1.24-era reject: bug 6 in docs/original-bugs.md.)
//!
//! The HTTP/1.1 exchange is written by hand over a rustls stream, because the TLS setup
//! is [`crate::tlsconfig::client_config`] (machine CA as the sole root, client certificate,
//! always verified) and ureq cannot take a ready `ClientConfig`. The whole call — resolve,
//! connect, handshake, request, response — is bounded by one deadline. Client
//! configurations are cached per (CA, cert, key) paths for the life of the process, so
//! listing many machines that share the store's certificates parses them once.
//!
//! Errors read like the original's Go client (`Get https://1.2.3.4:2376/version: dial tcp
//! 1.2.3.4:2376: connect: connection refused`).

use crate::gourl::AddressError;
use crate::options::AuthOptions;
use crate::tlsconfig;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, StreamOwned};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The answer of `GET /version` (the fields docker-machine has a use for).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct DockerVersion {
    /// The engine version, `20.10.24`.
    #[serde(rename = "Version")]
    pub version: String,
    /// The highest API version the engine speaks, `1.41`.
    #[serde(rename = "ApiVersion")]
    pub api_version: String,
    /// The lowest API version the engine accepts, `1.12`.
    #[serde(rename = "MinAPIVersion")]
    pub min_api_version: String,
    #[serde(rename = "GitCommit")]
    pub git_commit: String,
    #[serde(rename = "GoVersion")]
    pub go_version: String,
    #[serde(rename = "Os")]
    pub os: String,
    #[serde(rename = "Arch")]
    pub arch: String,
    #[serde(rename = "KernelVersion")]
    pub kernel_version: String,
}

/// A failed query; the text is what `ls` shows after `Unable to query docker version: `.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DockerError {
    /// A URL whose scheme is neither `tcp` nor `https`.
    #[error("unsupported protocol scheme \"{scheme}\" in Docker URL \"{url}\"")]
    UnsupportedScheme { scheme: String, url: String },
    /// A URL without a scheme.
    #[error("invalid Docker URL \"{url}\": expected tcp://HOST:PORT")]
    NotAUrl { url: String },
    #[error(transparent)]
    Address(#[from] AddressError),
    /// A host that TLS cannot name.
    #[error("invalid server name \"{host}\" in \"{url}\"")]
    ServerName { host: String, url: String },
    /// No answer: connecting, the handshake or the exchange failed, or time ran out
    /// (`reason` in Go's words).
    #[error("Get {request_url}: {reason}")]
    Request { request_url: String, reason: String },
    /// The daemon answered with an error status; `message` is its own, or the status and
    /// body when it sent none.
    #[error("Error response from daemon: {message}")]
    Daemon { status: u16, message: String },
}

/// The TLS material used to talk to a daemon.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TlsFiles {
    pub ca_cert: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl TlsFiles {
    /// The CA and client pair a machine's `AuthOptions` name.
    pub fn from_auth(auth: &AuthOptions) -> TlsFiles {
        TlsFiles {
            ca_cert: PathBuf::from(&auth.ca_cert_path),
            client_cert: PathBuf::from(&auth.client_cert_path),
            client_key: PathBuf::from(&auth.client_key_path),
        }
    }
}

/// Biggest response accepted: `/version` answers are well under 1 KiB.
const MAX_RESPONSE: usize = 1 << 20;

/// `GET /version` on the daemon at `url` (`tcp://HOST:PORT`), with the machine's
/// certificates, all within `timeout`.
pub fn version(
    url: &str,
    auth: &AuthOptions,
    timeout: Duration,
) -> Result<DockerVersion, DockerError> {
    version_with(url, &TlsFiles::from_auth(auth), timeout)
}

/// [`version`] with explicit certificate paths.
pub fn version_with(
    url: &str,
    tls: &TlsFiles,
    timeout: Duration,
) -> Result<DockerVersion, DockerError> {
    let deadline = Instant::now() + timeout;
    let target = Target::parse(url)?;
    let request_url = format!("https://{}/version", target.authority);
    let fail = |reason: String| DockerError::Request {
        request_url: request_url.clone(),
        reason,
    };

    let sock = connect(&target, deadline).map_err(fail)?;
    let config = cached_client_config(tls).map_err(fail)?;
    let conn = ClientConnection::new(config, target.server_name.clone())
        .map_err(|e| fail(tlsconfig::tls_error_text(&e)))?;
    let mut stream = StreamOwned::new(conn, DeadlineStream { sock, deadline });

    let request = format!(
        "GET /version HTTP/1.1\r\nHost: {}\r\nUser-Agent: docker-machine/{}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
        target.authority,
        crate::VERSION
    );
    stream
        .write_all(request.as_bytes())
        .and_then(|_| stream.flush())
        .map_err(|e| fail(io_error_text(&e)))?;
    let response = read_response(&mut stream).map_err(|e| fail(io_error_text(&e)))?;
    // Politeness only: the daemon closes anyway after `Connection: close`.
    stream.conn.send_close_notify();
    let _ = stream.conn.write_tls(&mut stream.sock);

    if !(200..300).contains(&response.status) {
        return Err(status_error(&response));
    }
    serde_json::from_slice::<DockerVersion>(&response.body)
        .map_err(|e| fail(format!("invalid JSON in the daemon's answer: {e}")))
}

/// Where to connect: host, port and the TLS server name, from a Docker URL.
struct Target {
    host: String,
    port: u16,
    /// `host:port` as written in the request line and `Host` header (IPv6 bracketed).
    authority: String,
    server_name: ServerName<'static>,
}

impl Target {
    fn parse(url: &str) -> Result<Target, DockerError> {
        let scheme = url.split_once("://").map(|(s, _)| s);
        match scheme {
            Some("tcp") | Some("https") => {}
            Some(other) => {
                return Err(DockerError::UnsupportedScheme {
                    scheme: other.to_string(),
                    url: url.to_string(),
                })
            }
            None => {
                return Err(DockerError::NotAUrl {
                    url: url.to_string(),
                })
            }
        }
        let (host, port) = crate::gourl::host_port(url)?;
        let server_name = match host.parse::<IpAddr>() {
            Ok(ip) => ServerName::IpAddress(ip.into()),
            Err(_) => ServerName::try_from(host.clone()).map_err(|_| DockerError::ServerName {
                host: host.clone(),
                url: url.to_string(),
            })?,
        };
        let authority = if host.contains(':') {
            format!("[{host}]:{port}")
        } else {
            format!("{host}:{port}")
        };
        Ok(Target {
            host,
            port,
            authority,
            server_name,
        })
    }
}

fn remaining(deadline: Instant) -> Option<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
}

const TIMEOUT_TEXT: &str =
    "net/http: request canceled (Client.Timeout exceeded while awaiting headers)";

/// Resolve and connect, trying each address in turn, within the deadline.
fn connect(target: &Target, deadline: Instant) -> Result<TcpStream, String> {
    let sock = crate::dial::dial(&target.host, target.port, deadline).map_err(|e| match e {
        crate::dial::DialError::Deadline => TIMEOUT_TEXT.to_string(),
        e => e.to_string(),
    })?;
    let _ = sock.set_nodelay(true);
    Ok(sock)
}

/// An error met while talking TLS/HTTP, in Go's words where they are known.
fn io_error_text(e: &io::Error) -> String {
    if let Some(tls) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return tlsconfig::tls_error_text(tls);
    }
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => TIMEOUT_TEXT.to_string(),
        io::ErrorKind::UnexpectedEof => "EOF".to_string(),
        io::ErrorKind::ConnectionReset => "read: connection reset by peer".to_string(),
        io::ErrorKind::BrokenPipe => "write: broken pipe".to_string(),
        io::ErrorKind::InvalidData => e.to_string(),
        _ => crate::fsutil::go_reason(e),
    }
}

/// The daemon's refusal: Docker answers errors as `{"message": "..."}`.
fn status_error(response: &Response) -> DockerError {
    #[derive(Deserialize)]
    struct Message {
        message: String,
    }
    let message = match serde_json::from_slice::<Message>(&response.body) {
        Ok(m) => m.message,
        Err(_) => format!(
            "{} {}",
            response.status,
            String::from_utf8_lossy(&response.body).trim()
        ),
    };
    DockerError::Daemon {
        status: response.status,
        message,
    }
}

type ConfigCache = Mutex<HashMap<TlsFiles, Arc<ClientConfig>>>;

/// The client configuration for these files, built once per process. The lock is held
/// while building, so machines sharing the store's certificates parse them once.
fn cached_client_config(tls: &TlsFiles) -> Result<Arc<ClientConfig>, String> {
    static CACHE: OnceLock<ConfigCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut map = cache.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(config) = map.get(tls) {
        return Ok(config.clone());
    }
    let config = Arc::new(
        tlsconfig::client_config(&tls.ca_cert, &tls.client_cert, &tls.client_key)
            .map_err(|e| e.to_string())?,
    );
    map.insert(tls.clone(), config.clone());
    Ok(config)
}

/// A socket whose every read and write is bounded by what is left until the deadline.
struct DeadlineStream {
    sock: TcpStream,
    deadline: Instant,
}

impl DeadlineStream {
    fn left(&self) -> io::Result<Duration> {
        remaining(self.deadline).ok_or_else(|| io::Error::from(io::ErrorKind::TimedOut))
    }
}

impl Read for DeadlineStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.sock.set_read_timeout(Some(self.left()?))?;
        self.sock.read(buf).map_err(timed_out)
    }
}

impl Write for DeadlineStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.sock.set_write_timeout(Some(self.left()?))?;
        self.sock.write(buf).map_err(timed_out)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.sock.flush()
    }
}

/// A socket timeout shows up as `WouldBlock` on Unix; call it what it is.
fn timed_out(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::WouldBlock {
        io::Error::from(io::ErrorKind::TimedOut)
    } else {
        e
    }
}

/// An HTTP response: status code and body (headers are only used to find the body's end).
#[derive(Debug, PartialEq, Eq)]
struct Response {
    status: u16,
    body: Vec<u8>,
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Read one HTTP/1.x response: `Content-Length`, chunked, or up to EOF.
fn read_response(r: &mut impl Read) -> io::Result<Response> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(pos) = find(&buf, b"\r\n\r\n") {
            break pos;
        }
        if buf.len() > MAX_RESPONSE {
            return Err(bad("malformed HTTP response: headers too long"));
        }
        let n = r.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..header_end]).into_owned();
    let mut rest = buf[header_end + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.")
        .and_then(|s| s.get(2..5))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or_else(|| bad(format!("malformed HTTP response {status_line:?}")))?;
    let mut content_length = None;
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(
                value
                    .parse::<usize>()
                    .map_err(|_| bad(format!("bad Content-Length {value:?}")))?,
            );
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value
                .split(',')
                .any(|v| v.trim().eq_ignore_ascii_case("chunked"));
        }
    }
    let body = if chunked {
        decode_chunked(r, rest)?
    } else if let Some(len) = content_length {
        if len > MAX_RESPONSE {
            return Err(bad("HTTP response too large"));
        }
        while rest.len() < len {
            let n = r.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
            }
            rest.extend_from_slice(&chunk[..n]);
        }
        rest.truncate(len);
        rest
    } else {
        read_to_eof(r, rest)?
    };
    Ok(Response { status, body })
}

/// The rest of the stream; a peer closing without TLS close_notify still ends the body.
fn read_to_eof(r: &mut impl Read, mut body: Vec<u8>) -> io::Result<Vec<u8>> {
    let mut chunk = [0u8; 4096];
    loop {
        match r.read(&mut chunk) {
            Ok(0) => return Ok(body),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(body),
            Err(e) => return Err(e),
        }
        if body.len() > MAX_RESPONSE {
            return Err(bad("HTTP response too large"));
        }
    }
}

/// Decode a chunked body; `pending` holds what was already read past the headers.
fn decode_chunked(r: &mut impl Read, mut pending: Vec<u8>) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    let mut chunk = [0u8; 4096];
    let mut fill = |pending: &mut Vec<u8>| -> io::Result<()> {
        let n = r.read(&mut chunk)?;
        if n == 0 {
            return Err(io::Error::from(io::ErrorKind::UnexpectedEof));
        }
        pending.extend_from_slice(&chunk[..n]);
        Ok(())
    };
    loop {
        let line_end = loop {
            if let Some(pos) = find(&pending, b"\r\n") {
                break pos;
            }
            if pending.len() > 1024 {
                return Err(bad("malformed chunk header"));
            }
            fill(&mut pending)?;
        };
        let size_text = String::from_utf8_lossy(&pending[..line_end]).into_owned();
        let size_text = size_text.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| bad(format!("malformed chunk size {size_text:?}")))?;
        pending.drain(..line_end + 2);
        if size == 0 {
            return Ok(body);
        }
        if body.len() + size > MAX_RESPONSE {
            return Err(bad("HTTP response too large"));
        }
        while pending.len() < size + 2 {
            fill(&mut pending)?;
        }
        body.extend_from_slice(&pending[..size]);
        pending.drain(..size + 2);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> io::Result<Response> {
        read_response(&mut raw.as_bytes())
    }

    #[test]
    fn content_length_body() {
        let r = parse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\nhelloEXTRA").unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.body, b"hello");
    }

    #[test]
    fn chunked_body() {
        let r = parse(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n",
        )
        .unwrap();
        assert_eq!(r.body, b"Wikipedia");
    }

    #[test]
    fn body_to_eof() {
        let r = parse("HTTP/1.0 404 Not Found\r\n\r\n{\"message\":\"page not found\"}").unwrap();
        assert_eq!(r.status, 404);
        let e = status_error(&r);
        assert_eq!(e.to_string(), "Error response from daemon: page not found");
        assert!(matches!(e, DockerError::Daemon { status: 404, .. }));
    }

    #[test]
    fn truncated_responses_fail() {
        assert!(parse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").is_err());
        assert!(parse("HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse("garbage\r\n\r\n").is_err());
    }

    #[test]
    fn version_json() {
        let v: DockerVersion = serde_json::from_str(
            r#"{"Platform":{"Name":""},"Version":"20.10.24+dfsg1","ApiVersion":"1.41","MinAPIVersion":"1.12","Os":"linux"}"#,
        )
        .unwrap();
        assert_eq!(v.version, "20.10.24+dfsg1");
        assert_eq!(v.api_version, "1.41");
    }

    #[test]
    fn urls() {
        let t = Target::parse("tcp://[::1]:2376").unwrap();
        assert_eq!(t.authority, "[::1]:2376");
        assert!(matches!(
            Target::parse("url1"),
            Err(DockerError::NotAUrl { .. })
        ));
        assert!(matches!(
            Target::parse("unix:///var/run/docker.sock"),
            Err(DockerError::UnsupportedScheme { .. })
        ));
        assert!(matches!(
            Target::parse("tcp://host"),
            Err(DockerError::Address(AddressError::Invalid { .. }))
        ));
    }

    #[test]
    fn refused_is_reported_like_go() {
        // Port 1 on loopback: nothing listens there.
        let tls = TlsFiles {
            ca_cert: "/nonexistent/ca.pem".into(),
            client_cert: "/nonexistent/cert.pem".into(),
            client_key: "/nonexistent/key.pem".into(),
        };
        let e = version_with("tcp://127.0.0.1:1", &tls, Duration::from_secs(5)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "Get https://127.0.0.1:1/version: dial tcp 127.0.0.1:1: connect: connection refused"
        );
        assert!(matches!(e, DockerError::Request { .. }));
    }
}
