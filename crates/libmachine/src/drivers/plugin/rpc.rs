//! A Go `net/rpc` client over HTTP CONNECT and gob, as `rpc.DialHTTP` speaks it: one
//! connection, requests written under a lock, one reader thread handing each response
//! to the caller waiting for its sequence number (so the heartbeat gets through while a
//! long `Create` is running).

use crate::gob::{Decoder, Encoder, Type, Value};
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::io::{BufReader, BufWriter, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// An error the server returned for a call (Go's `rpc.ServerError`): the driver's text.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ServerError(pub String);

/// No answer within the call's timeout.
#[derive(Debug, thiserror::Error)]
#[error("did not answer .{method} within {secs}s")]
pub struct Timeout {
    pub method: String,
    pub secs: u64,
}

type Reply = std::result::Result<Value, CallError>;

#[derive(Debug, Clone)]
enum CallError {
    Server(String),
    Shutdown(String),
}

struct Pending {
    calls: HashMap<u64, mpsc::Sender<Reply>>,
    /// Why the connection is gone, once it is.
    closed: Option<String>,
}

struct Writer {
    enc: Encoder<BufWriter<TcpStream>>,
    seq: u64,
}

pub struct Client {
    writer: Mutex<Writer>,
    pending: Arc<Mutex<Pending>>,
    stream: TcpStream,
}

/// net/rpc's path and answer for the HTTP CONNECT that starts a session.
const RPC_PATH: &str = "/_goRPC_";
const CONNECTED: &str = "200 Connected to Go RPC";

fn request_type() -> Type {
    Type::structure(
        "Request",
        &[("ServiceMethod", Type::String), ("Seq", Type::Uint)],
    )
}

impl Client {
    /// Connect to a plugin's server and start reading responses.
    pub fn dial(addr: SocketAddr, timeout: Duration) -> Result<Client> {
        let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(timeout))?;
        write!(stream, "CONNECT {RPC_PATH} HTTP/1.0\n\n")?;
        // The answer is read byte by byte so that nothing of the gob stream is consumed.
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\n\n") && !head.ends_with(b"\r\n\r\n") {
            if stream.read(&mut byte)? == 0 || head.len() > 4096 {
                bail!("unexpected HTTP response from the plugin server");
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head);
        let status = head.lines().next().unwrap_or_default();
        if status.split_once(' ').map(|(_, s)| s.trim()) != Some(CONNECTED) {
            bail!("unexpected HTTP response from the plugin server: {status}");
        }
        stream.set_read_timeout(None)?;

        let pending = Arc::new(Mutex::new(Pending {
            calls: HashMap::new(),
            closed: None,
        }));
        let reader = BufReader::new(stream.try_clone()?);
        let for_reader = Arc::clone(&pending);
        std::thread::Builder::new()
            .name("plugin-rpc".into())
            .spawn(move || read_responses(reader, &for_reader))?;
        Ok(Client {
            writer: Mutex::new(Writer {
                enc: Encoder::new(BufWriter::new(stream.try_clone()?)),
                seq: 0,
            }),
            pending,
            stream,
        })
    }

    /// Call `method` ("Service.Method") with an argument of type `ty`; wait for the reply
    /// at most `timeout` (`None`: as long as it takes).
    pub fn call(
        &self,
        method: &str,
        ty: &Type,
        arg: &Value,
        timeout: Option<Duration>,
    ) -> Result<Value> {
        let (tx, rx) = mpsc::channel();
        let seq = {
            let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            let seq = w.seq;
            w.seq += 1;
            {
                let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(why) = &p.closed {
                    bail!("connection to the plugin is shut down: {why}");
                }
                p.calls.insert(seq, tx);
            }
            let header = Value::Struct(vec![
                ("ServiceMethod".into(), Value::String(method.into())),
                ("Seq".into(), Value::Uint(seq)),
            ]);
            let sent = w
                .enc
                .encode(&request_type(), &header)
                .and_then(|_| w.enc.encode(ty, arg))
                .and_then(|_| Ok(w.enc.get_mut().flush()?));
            if let Err(e) = sent {
                self.forget(seq);
                return Err(e).context("writing to the plugin");
            }
            seq
        };
        let reply = match timeout {
            Some(t) => match rx.recv_timeout(t) {
                Ok(r) => r,
                Err(_) => {
                    self.forget(seq);
                    let method = method.rsplit('.').next().unwrap_or(method).to_string();
                    return Err(Timeout {
                        method,
                        secs: t.as_secs(),
                    }
                    .into());
                }
            },
            None => rx
                .recv()
                .unwrap_or_else(|_| Err(CallError::Shutdown("connection lost".into()))),
        };
        match reply {
            Ok(v) => Ok(v),
            Err(CallError::Server(msg)) => Err(ServerError(msg).into()),
            Err(CallError::Shutdown(why)) => bail!("{why}"),
        }
    }

    fn forget(&self, seq: u64) {
        let mut p = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        p.calls.remove(&seq);
    }

    /// Close the connection; waiting callers get an error.
    pub fn shutdown(&self) {
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

/// Hand every response to its caller until the stream ends, then fail the rest.
fn read_responses(reader: impl Read, pending: &Mutex<Pending>) {
    let mut dec = Decoder::new(reader);
    let why = loop {
        let header = match dec.decode() {
            Ok((_, h)) => h,
            Err(e) => break read_error(e),
        };
        let body = match dec.decode() {
            Ok((_, b)) => b,
            Err(e) => break read_error(e),
        };
        let seq = header.field("Seq").map(Value::int).unwrap_or(0) as u64;
        let error = header.field("Error").map(Value::str).unwrap_or_default();
        let reply = if error.is_empty() {
            Ok(body)
        } else {
            Err(CallError::Server(error.to_string()))
        };
        let mut p = pending.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = p.calls.remove(&seq) {
            let _ = tx.send(reply);
        }
    };
    let mut p = pending.lock().unwrap_or_else(|e| e.into_inner());
    p.closed = Some(why.clone());
    for (_, tx) in p.calls.drain() {
        let _ = tx.send(Err(CallError::Shutdown(why.clone())));
    }
}

fn read_error(e: anyhow::Error) -> String {
    let eof = e
        .downcast_ref::<std::io::Error>()
        .is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof);
    if eof {
        "the plugin closed the connection".into()
    } else {
        format!("reading from the plugin: {e:#}")
    }
}
