//! URLs parsed as Go's `net/url.Parse` parsed them (Go 1.12, which built 0.16.2), and
//! `host:port` joined as Go's `net.JoinHostPort` joined it.
//!
//! Scripts depend on its lenient cases: `create -d none --url none` stores a relative URL
//! whose host is empty, and `tcp://h:2376` keeps its port in the host. What Go refused
//! (a bad `%` escape, a control character, an unclosed `[`, a colon in a relative URL's
//! first segment) stays an error, worded as Go worded it: `parse RAW: REASON`.
//!
//! [`host_port`] splits a Docker URL's host for dialing, with Go's `net.Dial` wording.

use std::fmt;

/// The parts of a URL that docker-machine reads, as Go's `url.URL` held them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Url {
    /// Lower-cased; empty for a relative URL.
    pub scheme: String,
    /// What follows `scheme:` when it does not start with `/` (`mailto:x`).
    pub opaque: String,
    /// The user info before `@`, unescaped, if there was one.
    pub user: Option<String>,
    /// `host` or `host:port` (IPv6 in brackets), unescaped; empty when there is none.
    pub host: String,
    pub path: String,
    pub raw_query: String,
    pub fragment: String,
}

/// Go's `*url.Error`: what was done (`parse`), to which URL, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
// Go 1.12 did not quote the URL (quoting came with Go 1.14).
#[error("{op} {url}: {err}")]
pub struct UrlError {
    pub op: &'static str,
    pub url: String,
    pub err: ParseError,
}

impl UrlError {
    fn parse(url: &str, err: ParseError) -> UrlError {
        UrlError {
            op: "parse",
            url: url.to_string(),
            err,
        }
    }
}

/// Why `url.Parse` refused a URL, in Go's words. Quoted parts are Go's `strconv.Quote`,
/// which Rust's `{:?}` matches for these short ASCII strings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("net/url: invalid control character in URL")]
    ControlCharacter,
    #[error("missing protocol scheme")]
    MissingScheme,
    #[error("first path segment in URL cannot contain colon")]
    ColonInFirstSegment,
    #[error("net/url: invalid userinfo")]
    InvalidUserinfo,
    #[error("missing ']' in host")]
    MissingBracket,
    /// The text after the host's last `:` (or `]`) is not a port.
    #[error("invalid port {0:?} after host")]
    InvalidPort(String),
    /// A `%` not followed by two hex digits, or an escape a host may not hold.
    #[error("invalid URL escape {0:?}")]
    InvalidEscape(String),
    #[error("invalid character {0:?} in host name")]
    InvalidHostCharacter(String),
}

/// Why a Docker URL gives no host and port to dial.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    /// `url.Parse` refused the URL.
    #[error(transparent)]
    Url(#[from] UrlError),
    /// A relative URL such as `none` (`create -d none --url none`) has no host.
    #[error("missing address")]
    Missing,
    /// Go's `*net.AddrError`: the host cannot be split into host and port.
    #[error("address {addr}: {problem}")]
    Invalid { addr: String, problem: AddrProblem },
}

/// What Go's `net.SplitHostPort` (and the port check after it) found wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AddrProblem {
    #[error("missing ']' in address")]
    MissingBracket,
    #[error("missing port in address")]
    MissingPort,
    #[error("too many colons in address")]
    TooManyColons,
    #[error("invalid port")]
    InvalidPort,
}

/// `host:port`, with IPv6 literals bracketed (Go's `net.JoinHostPort`).
pub fn join_host_port(host: &str, port: impl fmt::Display) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// `url.Parse(raw)`.
pub fn parse(raw: &str) -> Result<Url, UrlError> {
    let (without_fragment, fragment) = match raw.split_once('#') {
        Some((u, f)) => (u, Some(f)),
        None => (raw, None),
    };
    let mut url = parse_without_fragment(without_fragment)
        .map_err(|err| UrlError::parse(without_fragment, err))?;
    if let Some(fragment) = fragment {
        url.fragment =
            unescape(fragment, Mode::Fragment).map_err(|err| UrlError::parse(raw, err))?;
    }
    Ok(url)
}

/// The host and port a Docker URL (`tcp://HOST:PORT`, IPv6 bracketed) dials: the host of
/// Go's `url.Parse`, split by `net.Dial`'s address rules.
pub fn host_port(url: &str) -> Result<(String, u16), AddressError> {
    let hostport = parse(url)?.host;
    if hostport.is_empty() {
        return Err(AddressError::Missing);
    }
    let invalid = |problem| AddressError::Invalid {
        addr: hostport.clone(),
        problem,
    };
    let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
        let (host, after) = inner
            .split_once(']')
            .ok_or_else(|| invalid(AddrProblem::MissingBracket))?;
        let port = after
            .strip_prefix(':')
            .ok_or_else(|| invalid(AddrProblem::MissingPort))?;
        (host, port)
    } else {
        let (host, port) = hostport
            .rsplit_once(':')
            .ok_or_else(|| invalid(AddrProblem::MissingPort))?;
        if host.contains(':') {
            return Err(invalid(AddrProblem::TooManyColons));
        }
        (host, port)
    };
    let port = port
        .parse::<u16>()
        .map_err(|_| invalid(AddrProblem::InvalidPort))?;
    Ok((host.to_string(), port))
}

fn parse_without_fragment(raw: &str) -> Result<Url, ParseError> {
    if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
        return Err(ParseError::ControlCharacter);
    }
    let mut url = Url::default();
    if raw == "*" {
        url.path = "*".into();
        return Ok(url);
    }
    let (scheme, mut rest) = scheme(raw)?;
    url.scheme = scheme.to_ascii_lowercase();
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        url.raw_query = q.to_string();
        rest = r;
    }
    if !rest.starts_with('/') {
        if !url.scheme.is_empty() {
            // A rootless path after a scheme is opaque (RFC 3986).
            url.opaque = rest.to_string();
            return Ok(url);
        }
        let first_segment = rest.split('/').next().unwrap_or_default();
        if first_segment.contains(':') {
            return Err(ParseError::ColonInFirstSegment);
        }
    }
    if (!url.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let after = &rest[2..];
        let (authority, path) = match after.find('/') {
            Some(i) => (&after[..i], &after[i..]),
            None => (after, ""),
        };
        let (user, host) = authority_parts(authority)?;
        url.user = user;
        url.host = host;
        rest = path;
    }
    url.path = unescape(rest, Mode::Path)?;
    Ok(url)
}

/// Go's `getscheme`: letters first, then letters, digits, `+-.`, up to a `:`.
fn scheme(raw: &str) -> Result<(&str, &str), ParseError> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err(ParseError::MissingScheme),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn authority_parts(authority: &str) -> Result<(Option<String>, String), ParseError> {
    let Some(at) = authority.rfind('@') else {
        return Ok((None, host(authority)?));
    };
    let host = host(&authority[at + 1..])?;
    let userinfo = &authority[..at];
    let valid = userinfo
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&c));
    if !valid {
        return Err(ParseError::InvalidUserinfo);
    }
    // Name and password are unescaped apart; the password is not kept.
    let (name, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let name = unescape(name, Mode::UserPassword)?;
    unescape(password, Mode::UserPassword)?;
    Ok((Some(name), host))
}

/// Go's `parseHost`, including the port checks Go 1.12.8 added.
fn host(host: &str) -> Result<String, ParseError> {
    if host.starts_with('[') {
        let Some(close) = host.rfind(']') else {
            return Err(ParseError::MissingBracket);
        };
        let port = &host[close + 1..];
        if !valid_optional_port(port) {
            return Err(ParseError::InvalidPort(port.to_string()));
        }
        // An IPv6 zone (`%25eth0`) has its own escaping rules.
        if let Some(zone) = host[..close].find("%25") {
            let mut out = unescape(&host[..zone], Mode::Host)?;
            out += &unescape(&host[zone..close], Mode::Zone)?;
            out += &unescape(&host[close..], Mode::Host)?;
            return Ok(out);
        }
    } else if let Some(colon) = host.rfind(':') {
        let port = &host[colon..];
        if !valid_optional_port(port) {
            return Err(ParseError::InvalidPort(port.to_string()));
        }
    }
    unescape(host, Mode::Host)
}

fn valid_optional_port(port: &str) -> bool {
    match port.strip_prefix(':') {
        None => port.is_empty(),
        Some(digits) => digits.bytes().all(|b| b.is_ascii_digit()),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Path,
    Host,
    Zone,
    UserPassword,
    Fragment,
}

/// Go's `unescape`: `%XX` decoded, with the host rules for hosts and zones.
fn unescape(s: &str, mode: Mode) -> Result<String, ParseError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                if i + 2 >= b.len()
                    || !b[i + 1].is_ascii_hexdigit()
                    || !b[i + 2].is_ascii_hexdigit()
                {
                    let bad = &s[i..(i + 3).min(s.len())];
                    return Err(ParseError::InvalidEscape(bad.to_string()));
                }
                let v = hex(b[i + 1]) << 4 | hex(b[i + 2]);
                let escape = &s[i..i + 3];
                // In a host only non-ASCII bytes (and `%25`) may be escaped.
                if mode == Mode::Host && hex(b[i + 1]) < 8 && escape != "%25" {
                    return Err(ParseError::InvalidEscape(escape.to_string()));
                }
                if mode == Mode::Zone && escape != "%25" && v != b' ' && should_escape_in_host(v) {
                    return Err(ParseError::InvalidEscape(escape.to_string()));
                }
                out.push(v);
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape_in_host(c) {
                    return Err(ParseError::InvalidHostCharacter(s[i..i + 1].to_string()));
                }
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn hex(c: u8) -> u8 {
    (c as char).to_digit(16).unwrap_or(0) as u8
}

/// Go's `shouldEscape(c, encodeHost)`.
fn should_escape_in_host(c: u8) -> bool {
    !(c.is_ascii_alphanumeric() || b"-_.~!$&'()*+,;=:[]<>\"".contains(&c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_of(raw: &str) -> String {
        parse(raw).unwrap().host
    }

    #[test]
    fn relative_urls_have_no_host() {
        let u = parse("none").unwrap();
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.path.as_str()),
            ("", "", "none")
        );
        assert_eq!(host_of("url5"), "");
        assert_eq!(host_of(""), "");
        assert_eq!(host_of("/var/run/docker.sock"), "");
        assert_eq!(host_of("1.2.3.4"), "");
    }

    #[test]
    fn hosts_keep_their_port() {
        assert_eq!(host_of("tcp://10.0.0.5:2376"), "10.0.0.5:2376");
        assert_eq!(host_of("tcp://[::1]:2376/x?y#z"), "[::1]:2376");
        assert_eq!(host_of("TCP://u:p@h:1"), "h:1");
        assert_eq!(parse("TCP://h").unwrap().scheme, "tcp");
        assert_eq!(host_of("//h:2/p"), "h:2");
        assert_eq!(host_of("tcp://h:"), "h:");
        assert_eq!(host_of("unix:///var/run/docker.sock"), "");
        assert_eq!(parse("mailto:a@b").unwrap().opaque, "a@b");
        assert_eq!(parse("tcp://h%C3%A9:1").unwrap().host, "hé:1");
    }

    #[test]
    fn errors_are_worded_as_go_worded_them() {
        let err = |raw: &str| parse(raw).unwrap_err().to_string();
        assert_eq!(err("://x"), "parse ://x: missing protocol scheme");
        assert_eq!(
            err("10.0.0.5:2376"),
            "parse 10.0.0.5:2376: first path segment in URL cannot contain colon"
        );
        assert_eq!(
            err("tcp://h/%zz"),
            "parse tcp://h/%zz: invalid URL escape \"%zz\""
        );
        assert_eq!(
            err("tcp://h/%4"),
            "parse tcp://h/%4: invalid URL escape \"%4\""
        );
        assert_eq!(err("a#%g"), "parse a#%g: invalid URL escape \"%g\"");
        assert_eq!(
            err("tcp://h\n"),
            "parse tcp://h\n: net/url: invalid control character in URL"
        );
        assert_eq!(err("tcp://[::1"), "parse tcp://[::1: missing ']' in host");
        assert_eq!(
            err("tcp://h:x"),
            "parse tcp://h:x: invalid port \":x\" after host"
        );
        assert_eq!(
            err("tcp://[::1]x"),
            "parse tcp://[::1]x: invalid port \"x\" after host"
        );
        assert_eq!(
            err("tcp://h h"),
            "parse tcp://h h: invalid character \" \" in host name"
        );
        assert_eq!(
            err("tcp://%41"),
            "parse tcp://%41: invalid URL escape \"%41\""
        );
        assert_eq!(
            err("tcp://a{b@h"),
            "parse tcp://a{b@h: net/url: invalid userinfo"
        );
    }

    #[test]
    fn errors_say_what_went_wrong_as_values() {
        let e = parse("tcp://h:x").unwrap_err();
        assert_eq!((e.op, e.url.as_str()), ("parse", "tcp://h:x"));
        assert_eq!(e.err, ParseError::InvalidPort(":x".into()));
        assert_eq!(parse("://x").unwrap_err().err, ParseError::MissingScheme);
        assert_eq!(
            parse("a#%g").unwrap_err().err,
            ParseError::InvalidEscape("%g".into())
        );
    }

    #[test]
    fn host_port_forms() {
        assert_eq!(
            host_port("tcp://1.2.3.4:2376").unwrap(),
            ("1.2.3.4".into(), 2376)
        );
        assert_eq!(host_port("tcp://[::1]:2376").unwrap(), ("::1".into(), 2376));
        assert_eq!(
            host_port("https://dev.local:2376/x").unwrap(),
            ("dev.local".into(), 2376)
        );
        assert_eq!(
            host_port("tcp://1.2.3.4").unwrap_err().to_string(),
            "address 1.2.3.4: missing port in address"
        );
        assert!(host_port("tcp://::1:2376")
            .unwrap_err()
            .to_string()
            .contains("too many colons"));
        assert_eq!(
            host_port("none").unwrap_err().to_string(),
            "missing address"
        );
        assert_eq!(
            host_port("tcp://").unwrap_err().to_string(),
            "missing address"
        );
    }

    #[test]
    fn host_port_errors_say_what_went_wrong_as_values() {
        let err = |url: &str| host_port(url).unwrap_err();
        assert_eq!(err("none"), AddressError::Missing);
        assert!(matches!(err("10.0.0.5:2376"), AddressError::Url(_)));
        assert_eq!(
            err("10.0.0.5:2376").to_string(),
            "parse 10.0.0.5:2376: first path segment in URL cannot contain colon"
        );
        let invalid = |addr: &str, problem| AddressError::Invalid {
            addr: addr.into(),
            problem,
        };
        assert_eq!(err("tcp://host"), invalid("host", AddrProblem::MissingPort));
        assert_eq!(
            err("tcp://2001:db8::1:2376"),
            invalid("2001:db8::1:2376", AddrProblem::TooManyColons)
        );
        assert_eq!(
            err("tcp://[::1]").to_string(),
            "address [::1]: missing port in address"
        );
        assert_eq!(
            err("tcp://h:99999").to_string(),
            "address h:99999: invalid port"
        );
        assert_eq!(
            err("tcp://2001:db8::1:2376").to_string(),
            "address 2001:db8::1:2376: too many colons in address"
        );
    }
}
