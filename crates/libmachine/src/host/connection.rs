//! The original's connection check (`check.DefaultConnChecker`): is the machine's Docker
//! daemon reachable with its CA and client certificate? `env` and `config` run it before
//! printing ([`Host::checked_docker_url`]); `create`, `provision` and `regenerate-certs`
//! after setting the daemon up ([`Host::check_docker_connection`], retried). Also the rule
//! saying which client certificates a docker client should use ([`Host::client_tls_files`]).

use super::Host;
use crate::options::AuthOptions;
use crate::shell::go_quote;
use crate::tlsconfig;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a machine's daemon cannot be reached. The texts are the original's; each follows
/// the caller's prefix (`Error checking TLS connection: ` for `env`, `Error running
/// connection boilerplate: ` for `config`, a step name for `create`).
#[derive(Debug, thiserror::Error)]
pub enum ConnectionError {
    /// The driver could not give the machine's Docker URL.
    #[error("{0:#}")]
    Url(anyhow::Error),
    #[error("{} is not a swarm master. The --swarm flag is intended for use with swarm masters", go_quote(.0))]
    NotSwarmMaster(String),
    /// The swarm host (`SwarmOptions.Host`) has no port (the original panicked).
    #[error("There was an error parsing the url: no port in the swarm host {0:?}")]
    SwarmHostWithoutPort(String),
    /// The swarm port fails but the machine's daemon answers.
    #[error(
        "Connection to Swarm cannot be checked but the certs are valid. Maybe swarm is not started"
    )]
    SwarmNotStarted,
    /// The TLS handshake with the daemon at `url` failed for `reason` (worded as Go's).
    /// The text ends with a newline, so a blank line follows it when printed.
    #[error(
        "Error checking and/or regenerating the certs: There was an error validating certificates for host {}: {reason}\n\
         You can attempt to regenerate them using 'docker-machine regenerate-certs [name]'.\n\
         Be advised that this will trigger a Docker daemon restart which might stop running containers.\n",
        go_quote(&url_host(.url))
    )]
    Certificates {
        url: String,
        reason: tlsconfig::HandshakeError,
    },
}

/// The CA, client certificate and client key a docker client should use for a machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientTlsFiles {
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Host {
    /// `env` and `config`: the machine's Docker URL (with `swarm`, its swarm master URL),
    /// verified by one TLS handshake.
    pub fn checked_docker_url(&self, swarm: bool) -> Result<String, ConnectionError> {
        let url = self.driver.url().map_err(ConnectionError::Url)?;
        if !swarm {
            check(&url, &self.options.auth)?;
            return Ok(url);
        }
        let target = self.swarm_url(&url)?;
        match check(&target, &self.options.auth) {
            Ok(()) => Ok(target),
            Err(_) if check(&url, &self.options.auth).is_ok() => {
                Err(ConnectionError::SwarmNotStarted)
            }
            Err(e) => Err(e),
        }
    }

    /// After setting the daemon up: a TLS handshake with it, three attempts 2 s apart
    /// (the daemon may still be restarting).
    pub fn check_docker_connection(&self) -> Result<(), ConnectionError> {
        let url = self.driver.url().map_err(ConnectionError::Url)?;
        let mut attempt = 1;
        loop {
            match check(&url, &self.options.auth) {
                Err(_) if attempt < 3 => {
                    std::thread::sleep(Duration::from_secs(2));
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// `tcp://<machine IP>:<port of SwarmOptions.Host>`, for swarm masters only.
    fn swarm_url(&self, url: &str) -> Result<String, ConnectionError> {
        let swarm = &self.options.swarm;
        if !swarm.master {
            return Err(ConnectionError::NotSwarmMaster(self.name.clone()));
        }
        // The original split on `:` and took the second part (and panicked without one).
        let port = url_host(&swarm.host)
            .split(':')
            .nth(1)
            .ok_or_else(|| ConnectionError::SwarmHostWithoutPort(swarm.host.clone()))?
            .to_string();
        let machine_host = url_host(url);
        let machine_ip = machine_host.split(':').next().unwrap_or_default();
        Ok(format!("tcp://{machine_ip}:{port}"))
    }

    /// The client certificates for a docker client (`DOCKER_CERT_PATH`, `config`'s flags).
    ///
    /// Provisioning copies them into the machine directory, which is where the original
    /// always pointed. A machine that was never provisioned (`none` driver) has no copies
    /// there (bug 19 in docs/original-bugs.md): its certificates are those its
    /// `AuthOptions` name, the very files the connection check uses.
    pub fn client_tls_files(&self, machine_dir: &Path) -> ClientTlsFiles {
        let auth: &AuthOptions = &self.options.auth;
        if machine_dir.join("ca.pem").exists() || auth.ca_cert_path.is_empty() {
            return ClientTlsFiles {
                ca: machine_dir.join("ca.pem"),
                cert: machine_dir.join("cert.pem"),
                key: machine_dir.join("key.pem"),
            };
        }
        ClientTlsFiles {
            ca: PathBuf::from(&auth.ca_cert_path),
            cert: PathBuf::from(&auth.client_cert_path),
            key: PathBuf::from(&auth.client_key_path),
        }
    }
}

impl ClientTlsFiles {
    /// `DOCKER_CERT_PATH`: the machine directory when the files are its copies; otherwise
    /// the one directory holding them, when they are named as the docker client expects
    /// (`ca.pem`, `cert.pem`, `key.pem`: the store's `certs/` by default). `None` when no
    /// one directory names them (other names, or different directories).
    pub fn cert_dir(&self, machine_dir: &Path) -> Option<PathBuf> {
        if self.ca.starts_with(machine_dir) {
            return Some(machine_dir.to_path_buf());
        }
        let dir = self.ca.parent()?;
        let named =
            |p: &Path, name: &str| p.parent() == Some(dir) && p.file_name() == Some(name.as_ref());
        (named(&self.ca, "ca.pem") && named(&self.cert, "cert.pem") && named(&self.key, "key.pem"))
            .then(|| dir.to_path_buf())
    }
}

/// One TLS handshake with the daemon at `url`, with the CA and client files of `auth`.
fn check(url: &str, auth: &AuthOptions) -> Result<(), ConnectionError> {
    tlsconfig::check_connection(
        url,
        Path::new(&auth.ca_cert_path),
        Path::new(&auth.client_cert_path),
        Path::new(&auth.client_key_path),
        tlsconfig::CONNECTION_TIMEOUT,
    )
    .map_err(|reason| ConnectionError::Certificates {
        url: url.to_string(),
        reason,
    })
}

/// Go's `url.URL.Host` of a Docker URL (empty when it does not parse, as the original's
/// ignored error left it).
fn url_host(url: &str) -> String {
    crate::gourl::parse(url).map(|u| u.host).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        assert_eq!(url_host("tcp://1.2.3.4:2376"), "1.2.3.4:2376");
        assert_eq!(url_host("tcp://u@1.2.3.4:2376/x"), "1.2.3.4:2376");
        assert_eq!(url_host("tcp://0.0.0.0:3376"), "0.0.0.0:3376");
    }

    #[test]
    fn cert_dirs() {
        let files = |ca: &str, cert: &str, key: &str| ClientTlsFiles {
            ca: ca.into(),
            cert: cert.into(),
            key: key.into(),
        };
        let machine_dir = Path::new("/s/machines/m");
        assert_eq!(
            files("/s/certs/ca.pem", "/s/certs/cert.pem", "/s/certs/key.pem").cert_dir(machine_dir),
            Some(PathBuf::from("/s/certs"))
        );
        assert_eq!(
            files("/s/certs/ca.pem", "/x/cert.pem", "/s/certs/key.pem").cert_dir(machine_dir),
            None
        );
        assert_eq!(
            files("/s/myca.pem", "/s/cert.pem", "/s/key.pem").cert_dir(machine_dir),
            None
        );
        assert_eq!(
            files("/s/machines/m/ca.pem", "/x/c.pem", "/y/k.pem").cert_dir(machine_dir),
            Some(machine_dir.to_path_buf())
        );
    }

    #[test]
    fn certificate_failure_text() {
        let e = ConnectionError::Certificates {
            url: "tcp://1.2.3.4:2376".into(),
            reason: tlsconfig::HandshakeError::Tls(
                "x509: certificate signed by unknown authority".into(),
            ),
        };
        assert_eq!(
            e.to_string(),
            "Error checking and/or regenerating the certs: There was an error validating certificates for host \"1.2.3.4:2376\": x509: certificate signed by unknown authority\n\
             You can attempt to regenerate them using 'docker-machine regenerate-certs [name]'.\n\
             Be advised that this will trigger a Docker daemon restart which might stop running containers.\n"
        );
    }
}
