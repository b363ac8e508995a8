//! The one TCP dial: Go's `net.Dial("tcp", "host:port")` within a deadline, every resolved
//! address tried in turn, its failures worded as Go words them
//! (`dial tcp 1.2.3.4:2376: connect: connection refused`), which users see in the
//! connection check, the Docker client's errors and `ls`'s ERRORS column.

use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Instant;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialError {
    /// The name resolved to nothing. `reason` is the resolver's own text (empty when it
    /// answered with no address); Go's message does not show it.
    #[error("dial tcp: lookup {host}: no such host")]
    NoSuchHost { host: String, reason: String },
    #[error("dial tcp {addr}: connect: connection refused")]
    Refused { addr: SocketAddr },
    #[error("dial tcp {addr}: i/o timeout")]
    TimedOut { addr: SocketAddr },
    #[error("dial tcp {addr}: connect: {reason}")]
    Failed { addr: SocketAddr, reason: String },
    /// The deadline passed before an address could be tried. Each caller words this as Go
    /// did for its own call (`tls: DialWithDialer timed out`, `net/http: request canceled`).
    #[error("i/o timeout")]
    Deadline,
}

/// Connect to `host:port` (an IP address is used as it is, a name is resolved), trying each
/// address until one accepts or `deadline` passes. The error is the first address's.
pub fn dial(host: &str, port: u16, deadline: Instant) -> Result<TcpStream, DialError> {
    let addrs: Vec<SocketAddr> = match host.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => (host, port)
            .to_socket_addrs()
            .map_err(|e| DialError::NoSuchHost {
                host: host.to_string(),
                reason: e.to_string(),
            })?
            .collect(),
    };
    let mut first_err = None;
    for addr in addrs {
        let left = deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(DialError::Deadline)?;
        match TcpStream::connect_timeout(&addr, left) {
            Ok(sock) => return Ok(sock),
            Err(e) => {
                first_err.get_or_insert_with(|| connect_error(addr, &e));
            }
        }
    }
    Err(first_err.unwrap_or_else(|| DialError::NoSuchHost {
        host: host.to_string(),
        reason: String::new(),
    }))
}

fn connect_error(addr: SocketAddr, e: &io::Error) -> DialError {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => DialError::Refused { addr },
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => DialError::TimedOut { addr },
        _ => DialError::Failed {
            addr,
            reason: crate::fsutil::go_reason(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::Duration;

    fn soon() -> Instant {
        Instant::now() + Duration::from_secs(5)
    }

    #[test]
    fn connects_and_words_failures_as_go() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert!(dial("127.0.0.1", port, soon()).is_ok());
        assert!(dial("localhost", port, soon()).is_ok());
        drop(listener);
        assert_eq!(
            dial("127.0.0.1", port, soon()).unwrap_err().to_string(),
            format!("dial tcp 127.0.0.1:{port}: connect: connection refused")
        );
        assert_eq!(
            dial("no-such-host.invalid", port, soon())
                .unwrap_err()
                .to_string(),
            "dial tcp: lookup no-such-host.invalid: no such host"
        );
        assert!(matches!(
            dial("127.0.0.1", port, Instant::now()),
            Err(DialError::Deadline)
        ));
    }
}
