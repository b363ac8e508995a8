//! URLs parsed as Go's `net/url.Parse` parsed them (Go 1.12, which built 0.16.2), and
//! `host:port` joined as Go's `net.JoinHostPort` joined it.
//!
//! Scripts depend on its lenient cases: `create -d none --url none` stores a relative URL
//! whose host is empty, and `tcp://h:2376` keeps its port in the host. What Go refused
//! (a bad `%` escape, a control character, an unclosed `[`, a colon in a relative URL's
//! first segment) stays an error, worded as Go worded it: `parse RAW: REASON`.

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

/// Go's `*url.Error` for `Parse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError {
    pub url: String,
    pub reason: String,
}

impl fmt::Display for UrlError {
    // Go 1.12 did not quote the URL (quoting came with Go 1.14).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "parse {}: {}", self.url, self.reason)
    }
}

impl std::error::Error for UrlError {}

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
    let mut url = parse_without_fragment(without_fragment).map_err(|reason| UrlError {
        url: without_fragment.to_string(),
        reason,
    })?;
    if let Some(fragment) = fragment {
        url.fragment = unescape(fragment, Mode::Fragment).map_err(|reason| UrlError {
            url: raw.to_string(),
            reason,
        })?;
    }
    Ok(url)
}

fn parse_without_fragment(raw: &str) -> Result<Url, String> {
    if raw.bytes().any(|b| b < b' ' || b == 0x7f) {
        return Err("net/url: invalid control character in URL".into());
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
            return Err("first path segment in URL cannot contain colon".into());
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
fn scheme(raw: &str) -> Result<(&str, &str), String> {
    for (i, c) in raw.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' if i == 0 => return Err("missing protocol scheme".into()),
            b':' => return Ok((&raw[..i], &raw[i + 1..])),
            _ => return Ok(("", raw)),
        }
    }
    Ok(("", raw))
}

fn authority_parts(authority: &str) -> Result<(Option<String>, String), String> {
    let Some(at) = authority.rfind('@') else {
        return Ok((None, host(authority)?));
    };
    let host = host(&authority[at + 1..])?;
    let userinfo = &authority[..at];
    let valid = userinfo
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || b"-._:~!$&'()*+,;=%@".contains(&c));
    if !valid {
        return Err("net/url: invalid userinfo".into());
    }
    // Name and password are unescaped apart; the password is not kept.
    let (name, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let name = unescape(name, Mode::UserPassword)?;
    unescape(password, Mode::UserPassword)?;
    Ok((Some(name), host))
}

/// Go's `parseHost`, including the port checks Go 1.12.8 added.
fn host(host: &str) -> Result<String, String> {
    if host.starts_with('[') {
        let Some(close) = host.rfind(']') else {
            return Err("missing ']' in host".into());
        };
        let port = &host[close + 1..];
        if !valid_optional_port(port) {
            return Err(format!("invalid port {} after host", go_quote(port)));
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
            return Err(format!("invalid port {} after host", go_quote(port)));
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
fn unescape(s: &str, mode: Mode) -> Result<String, String> {
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
                    return Err(format!("invalid URL escape {}", go_quote(bad)));
                }
                let v = hex(b[i + 1]) << 4 | hex(b[i + 2]);
                let escape = &s[i..i + 3];
                // In a host only non-ASCII bytes (and `%25`) may be escaped.
                if mode == Mode::Host && hex(b[i + 1]) < 8 && escape != "%25" {
                    return Err(format!("invalid URL escape {}", go_quote(escape)));
                }
                if mode == Mode::Zone && escape != "%25" && v != b' ' && should_escape_in_host(v) {
                    return Err(format!("invalid URL escape {}", go_quote(escape)));
                }
                out.push(v);
                i += 3;
            }
            c => {
                if matches!(mode, Mode::Host | Mode::Zone) && c < 0x80 && should_escape_in_host(c) {
                    return Err(format!(
                        "invalid character {} in host name",
                        go_quote(&s[i..i + 1])
                    ));
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

/// Go's `strconv.Quote` for the short ASCII strings these errors show.
fn go_quote(s: &str) -> String {
    format!("{s:?}")
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
}
