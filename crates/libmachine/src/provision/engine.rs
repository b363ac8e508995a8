//! The Docker daemon's configuration on a machine: its arguments, the systemd drop-in,
//! the OpenRC variant, the daemon port and the server certificate's names. Pure
//! functions: what is written, not how it is sent.

use crate::gourl::AddressError;
use crate::options::EngineOptions;

/// Where the certificates go on the machine.
pub const REMOTE_CERT_DIR: &str = "/etc/docker";
pub const REMOTE_CA: &str = "/etc/docker/ca.pem";
pub const REMOTE_SERVER_CERT: &str = "/etc/docker/server.pem";
pub const REMOTE_SERVER_KEY: &str = "/etc/docker/server-key.pem";
/// The systemd drop-in docker-machine owns.
pub const SYSTEMD_DROP_IN: &str = "/etc/systemd/system/docker.service.d/10-machine.conf";
/// Alpine's service configuration (OpenRC), replaced by provisioning; the original is
/// kept once as `docker.orig` beside it.
pub const OPENRC_CONF: &str = "/etc/conf.d/docker";

/// The storage driver: `--engine-storage-driver`, else `overlay2` (the original's default
/// for every family but SUSE, which used `overlay`, a driver current Docker removed).
pub fn storage_driver(engine: &EngineOptions) -> String {
    if engine.storage_driver.is_empty() {
        "overlay2".to_string()
    } else {
        engine.storage_driver.clone()
    }
}

/// dockerd's arguments, one word each, in the original's order: hosts, storage driver,
/// TLS files, user labels, `provider=<driver>`, insecure registries, mirrors, then every
/// `--engine-opt` as `--name=value`.
pub fn dockerd_args(
    port: u16,
    storage_driver: &str,
    engine: &EngineOptions,
    driver_name: &str,
) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "-H".into(),
        format!("tcp://0.0.0.0:{port}"),
        "-H".into(),
        "unix:///var/run/docker.sock".into(),
        "--storage-driver".into(),
        storage_driver.into(),
        "--tlsverify".into(),
        "--tlscacert".into(),
        REMOTE_CA.into(),
        "--tlscert".into(),
        REMOTE_SERVER_CERT.into(),
        "--tlskey".into(),
        REMOTE_SERVER_KEY.into(),
    ];
    let list = |l: &Option<Vec<String>>| l.clone().unwrap_or_default();
    for label in list(&engine.labels)
        .into_iter()
        .chain([format!("provider={driver_name}")])
    {
        args.push("--label".into());
        args.push(label);
    }
    for reg in list(&engine.insecure_registry) {
        args.push("--insecure-registry".into());
        args.push(reg);
    }
    for mirror in list(&engine.registry_mirror) {
        args.push("--registry-mirror".into());
        args.push(mirror);
    }
    for opt in list(&engine.arbitrary_flags) {
        args.push(format!("--{opt}"));
    }
    args
}

/// The systemd drop-in. Byte for byte the original's for ordinary values (every word
/// followed by one space, `Environment=` entries Go-quoted, each followed by a space),
/// with `dockerd` the daemon's path on the machine (`/usr/bin/dockerd` for docker-ce,
/// `/usr/sbin/dockerd` for Debian's docker.io). Values systemd would otherwise
/// reinterpret are escaped: `%` (specifiers), `$` (variables) and words with blanks,
/// quotes or backslashes (quoted), so what the user gave reaches dockerd unchanged.
pub fn systemd_drop_in(
    dockerd: &str,
    port: u16,
    storage_driver: &str,
    engine: &EngineOptions,
    driver_name: &str,
) -> String {
    let mut out = String::from("[Service]\nExecStart=\nExecStart=");
    out.push_str(&systemd_word(dockerd));
    out.push(' ');
    for arg in dockerd_args(port, storage_driver, engine, driver_name) {
        out.push_str(&systemd_word(&arg));
        out.push(' ');
    }
    out.push_str("\nEnvironment=");
    for env in engine.env.clone().unwrap_or_default() {
        out.push_str(&crate::shell::go_quote(&env.replace('%', "%%")));
        out.push(' ');
    }
    out.push('\n');
    out
}

/// One word of an `ExecStart=` line.
fn systemd_word(word: &str) -> String {
    let escaped = word.replace('%', "%%").replace('$', "$$");
    let needs_quotes = escaped.is_empty()
        || escaped
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ';'));
    if !needs_quotes {
        return escaped;
    }
    // systemd unquotes C-style escapes, a subset of what Go's %q writes.
    crate::shell::go_quote(&escaped)
}

/// Alpine's `/etc/conf.d/docker` (sourced by the OpenRC script, which passes
/// `$DOCKER_OPTS` to dockerd word-split). Not verified on a real Alpine machine here.
pub fn openrc_conf(
    port: u16,
    storage_driver: &str,
    engine: &EngineOptions,
    driver_name: &str,
) -> String {
    let opts = dockerd_args(port, storage_driver, engine, driver_name).join(" ");
    let mut out =
        String::from("# Written by docker-machine; the original is kept as docker.orig\n");
    out.push_str(&format!("DOCKER_OPTS={}\n", sh_quote(&opts)));
    for env in engine.env.clone().unwrap_or_default() {
        if let Some((k, v)) = env.split_once('=') {
            if !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                out.push_str(&format!("export {k}={}\n", sh_quote(v)));
            }
        }
    }
    out
}

/// A POSIX shell single-quoted word.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The port of a Docker URL (`tcp://HOST:PORT`, IPv6 hosts bracketed). The original split
/// the host on `:` and fell back to 2376 for IPv6 URLs (bug 11 in docs/original-bugs.md).
pub fn url_port(url: &str) -> Result<u16, AddressError> {
    crate::gourl::host_port(url).map(|(_, port)| port)
}

/// The names in the server certificate, in the original's order: every `--tls-san`,
/// the machine's IP, `localhost`. When the machine is reached on a loopback address (a
/// port forward to a VM), both `127.0.0.1` and `localhost` are included so that either
/// spelling of the Docker URL verifies. Empty entries and repeats are dropped.
pub fn server_cert_hosts(sans: &[String], ip: &str) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    let mut add = |h: &str| {
        let h = h.trim();
        if !h.is_empty() && !hosts.iter().any(|x| x == h) {
            hosts.push(h.to_string());
        }
    };
    for san in sans {
        add(san);
    }
    add(ip);
    add("localhost");
    let loopback = ip == "localhost"
        || ip
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|a| a.is_loopback());
    if loopback {
        add("127.0.0.1");
    }
    hosts
}

/// The lines of `ss -tln` / `netstat -tln` output that show a listener on `port` (the
/// original's test: a line matching `:PORT\s+.*:.*`).
fn listener_lines(listing: &str, port: u16) -> impl Iterator<Item = &str> {
    let re = regex::Regex::new(&format!(r":{port}\s+.*:.*")).expect("valid regex");
    listing.lines().filter(move |l| re.is_match(l))
}

/// Whether `ss -tln` / `netstat -tln` output shows a listener on `port`.
pub fn is_listening(listing: &str, port: u16) -> bool {
    listener_lines(listing, port).next().is_some()
}

/// The program other than Docker's own (`dockerd`, `docker-proxy`) that listens on `port`
/// in `ss -tlnp` / `netstat -tlnp` output, if any. A listener whose program the listing
/// does not name is not counted: only a named squatter is reported.
pub fn foreign_listener(listing: &str, port: u16) -> Option<String> {
    let ss_name = regex::Regex::new(r#"users:\(\("([^"]+)""#).expect("valid regex");
    let netstat_name = regex::Regex::new(r"\s\d+/([^\s:]+)").expect("valid regex");
    listener_lines(listing, port)
        .filter_map(|l| {
            ss_name
                .captures(l)
                .or_else(|| netstat_name.captures(l))
                .map(|c| c[1].to_string())
        })
        .find(|name| name != "dockerd" && name != "docker-proxy")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_a_port_says_why() {
        use crate::gourl::AddrProblem;
        let problem = |url| match url_port(url) {
            Err(AddressError::Invalid { problem, .. }) => Some(problem),
            _ => None,
        };
        assert_eq!(problem("tcp://host"), Some(AddrProblem::MissingPort));
        assert_eq!(
            problem("tcp://2001:db8::1:2376"),
            Some(AddrProblem::TooManyColons)
        );
        assert_eq!(url_port("none"), Err(AddressError::Missing));
    }

    #[test]
    fn foreign_listeners_are_named() {
        let ss = "LISTEN 0      5            0.0.0.0:2377      0.0.0.0:*    users:((\"python3\",pid=1234,fd=3))\n\
                  LISTEN 0      4096               *:2376            *:*    users:((\"dockerd\",pid=99,fd=4))\n";
        assert_eq!(foreign_listener(ss, 2377).as_deref(), Some("python3"));
        assert_eq!(foreign_listener(ss, 2376), None);
        assert_eq!(foreign_listener(ss, 22), None);
        let netstat = "tcp        0      0 0.0.0.0:2377            0.0.0.0:*               LISTEN      1234/nginx: master\n\
                       tcp6       0      0 :::2376                 :::*                    LISTEN      99/dockerd\n";
        assert_eq!(foreign_listener(netstat, 2376), None);
        assert_eq!(foreign_listener(netstat, 2377).as_deref(), Some("nginx"));
        assert_eq!(
            foreign_listener("LISTEN 0 5 0.0.0.0:2377 0.0.0.0:*\n", 2377),
            None
        );
    }

    #[test]
    fn words_are_escaped_only_when_needed() {
        assert_eq!(systemd_word("--label"), "--label");
        assert_eq!(systemd_word("a=b c"), "\"a=b c\"");
        assert_eq!(systemd_word("x=%i$HOME"), "x=%%i$$HOME");
        assert_eq!(systemd_word("a\"b"), "\"a\\\"b\"");
    }

    #[test]
    fn listening() {
        let ss = "State  Recv-Q Send-Q Local Address:Port Peer Address:Port\nLISTEN 0      4096               *:2376            *:*\n";
        assert!(is_listening(ss, 2376));
        assert!(!is_listening(ss, 237));
        assert!(!is_listening(ss, 2377));
    }

    #[test]
    fn loopback_sans() {
        assert_eq!(
            server_cert_hosts(&[], "127.0.0.1"),
            ["127.0.0.1", "localhost"]
        );
        assert_eq!(
            server_cert_hosts(&[], "localhost"),
            ["localhost", "127.0.0.1"]
        );
        assert_eq!(
            server_cert_hosts(&["dev.example".into(), "".into()], "10.0.0.1"),
            ["dev.example", "10.0.0.1", "localhost"]
        );
    }
}
