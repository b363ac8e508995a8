//! A minimal QMP (QEMU Machine Protocol) client: connect to the VM's control socket,
//! negotiate capabilities, run one command. Events interleaved with replies are skipped.
//!
//! The socket is a Unix socket file in the machine directory where the platform has
//! them (only the owner can reach it); elsewhere (Windows, whose Rust std has no Unix
//! sockets) a TCP port on 127.0.0.1.

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::Duration;

/// Where QEMU's QMP server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    #[cfg(unix)]
    Unix(PathBuf),
    #[cfg_attr(unix, allow(dead_code))] // used on Windows; tested everywhere
    Tcp(u16),
}

impl Endpoint {
    /// The `-qmp` argument that makes QEMU listen there (several clients in turn, and
    /// without waiting for the first one).
    pub fn qemu_arg(&self) -> String {
        match self {
            #[cfg(unix)]
            Endpoint::Unix(path) => format!("unix:{},server=on,wait=off", path.display()),
            Endpoint::Tcp(port) => format!("tcp:127.0.0.1:{port},server=on,wait=off"),
        }
    }

    /// The socket file to remove before a start, if any.
    pub fn stale_file(&self) -> Option<PathBuf> {
        match self {
            #[cfg(unix)]
            Endpoint::Unix(path) => Some(path.clone()),
            Endpoint::Tcp(_) => None,
        }
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            #[cfg(unix)]
            Endpoint::Unix(path) => write!(f, "{}", path.display()),
            Endpoint::Tcp(port) => write!(f, "127.0.0.1:{port}"),
        }
    }
}

pub struct Qmp {
    reader: BufReader<Box<dyn Read + Send>>,
    writer: Box<dyn Write + Send>,
}

impl Qmp {
    /// Connect and leave the greeting/capabilities handshake done.
    pub fn connect(endpoint: &Endpoint, timeout: Duration) -> Result<Qmp> {
        let context = || format!("connecting to QMP socket {endpoint}");
        let (reader, writer): (Box<dyn Read + Send>, Box<dyn Write + Send>) = match endpoint {
            #[cfg(unix)]
            Endpoint::Unix(path) => {
                let stream = std::os::unix::net::UnixStream::connect(path).with_context(context)?;
                stream.set_read_timeout(Some(timeout))?;
                stream.set_write_timeout(Some(timeout))?;
                (Box::new(stream.try_clone()?), Box::new(stream))
            }
            Endpoint::Tcp(port) => {
                let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, *port));
                let stream = TcpStream::connect_timeout(&addr, timeout).with_context(context)?;
                stream.set_read_timeout(Some(timeout))?;
                stream.set_write_timeout(Some(timeout))?;
                (Box::new(stream.try_clone()?), Box::new(stream))
            }
        };
        let mut qmp = Qmp {
            reader: BufReader::new(reader),
            writer,
        };
        let greeting = qmp.read_message()?;
        if greeting.get("QMP").is_none() {
            bail!("unexpected QMP greeting: {greeting}");
        }
        qmp.execute("qmp_capabilities", None)?;
        Ok(qmp)
    }

    /// Run a command and return its `return` value.
    pub fn execute(&mut self, command: &str, arguments: Option<Value>) -> Result<Value> {
        let mut msg = json!({ "execute": command });
        if let Some(args) = arguments {
            msg["arguments"] = args;
        }
        let mut line = serde_json::to_vec(&msg)?;
        line.push(b'\n');
        self.writer.write_all(&line)?;
        loop {
            let reply = self.read_message()?;
            if reply.get("event").is_some() {
                continue;
            }
            if let Some(err) = reply.get("error") {
                bail!(
                    "QMP {command}: {}",
                    err.get("desc").and_then(Value::as_str).unwrap_or("error")
                );
            }
            if let Some(ret) = reply.get("return") {
                return Ok(ret.clone());
            }
        }
    }

    /// The VM's run state (`running`, `paused`, `shutdown`...).
    pub fn status(&mut self) -> Result<String> {
        let ret = self.execute("query-status", None)?;
        Ok(ret
            .get("status")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string())
    }

    fn read_message(&mut self) -> Result<Value> {
        let mut line = String::new();
        let n = self
            .reader
            .read_line(&mut line)
            .context("reading from QMP")?;
        if n == 0 {
            bail!("QMP connection closed");
        }
        Ok(serde_json::from_str(&line)?)
    }
}
