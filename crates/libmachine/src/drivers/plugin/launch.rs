//! Starting a plugin binary and keeping it alive, as the original's `localbinary` package
//! did: `docker-machine-driver-NAME` from PATH with `MACHINE_PLUGIN_TOKEN=42`, its first
//! stdout line is the address of its RPC server, later stdout lines are relayed as
//! `(MACHINE) line` and stderr lines as `(MACHINE) DBG | line` (shown with `-D`); a
//! heartbeat every 5 s keeps it serving. It is closed (then killed if it lingers) when
//! its driver is dropped and by [`close_all`] before the process exits; on Linux it also
//! dies with this process (parent-death signal), so Ctrl-C or a crash leaves no orphan.

use super::rpc::{Client, ServerError, Timeout};
use crate::gob::{Type, Value};
use anyhow::{anyhow, bail, Result};
use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::{Duration, Instant};

const TOKEN_KEY: &str = "MACHINE_PLUGIN_TOKEN";
const TOKEN_VALUE: &str = "42";
const DRIVER_NAME_KEY: &str = "MACHINE_PLUGIN_DRIVER_NAME";
/// How long a plugin may take to print its address (the original's 10 s).
const ADDRESS_TIMEOUT: Duration = Duration::from_secs(10);
const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
/// The API version libmachine 0.16.2 speaks.
pub const API_VERSION: i64 = 1;

/// The service name plugins register, and the one plugins older than 0.5.1 used.
const SERVICE: &str = "RPCServerDriver";
const SERVICE_V0: &str = "RpcServerDriver";

/// The plugin binary for a driver name is not on PATH.
#[derive(Debug, thiserror::Error)]
#[error("{}", crate::drivers::not_found_error(.0))]
pub struct NotFound(pub String);

/// `docker-machine-driver-NAME` on PATH, as Go's `exec.LookPath` finds it.
pub fn find_binary(driver_name: &str) -> Option<PathBuf> {
    let file = format!(
        "docker-machine-driver-{driver_name}{}",
        std::env::consts::EXE_SUFFIX
    );
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(&file))
        .find(|p| is_executable(p))
}

#[cfg(unix)]
fn is_executable(p: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &std::path::Path) -> bool {
    p.is_file()
}

pub struct Plugin {
    driver_name: String,
    service: &'static str,
    client: Client,
    /// Taken by [`Plugin::close`], which hands it to [`EXITING`].
    child: Mutex<Option<Child>>,
    /// The machine name the relayed output is labelled with.
    label: Arc<Mutex<String>>,
    heartbeat_stop: Mutex<Option<mpsc::Sender<()>>>,
    closed: AtomicBool,
}

/// Every plugin started by this process, for [`close_all`].
static OPEN: Mutex<Vec<Weak<Plugin>>> = Mutex::new(Vec::new());
/// Plugins asked to exit, not yet seen gone: [`close_all`] waits for them all at once,
/// so that closing 20 plugins costs one wait, not 20.
static EXITING: Mutex<Vec<Child>> = Mutex::new(Vec::new());
/// How long a closed plugin may take to exit before it is killed.
const EXIT_GRACE: Duration = Duration::from_secs(1);

/// Close every plugin and make sure each has exited (called before the process exits).
pub fn close_all() {
    let open = std::mem::take(&mut *OPEN.lock().unwrap_or_else(|e| e.into_inner()));
    for p in open.iter().filter_map(Weak::upgrade) {
        p.close();
    }
    let mut exiting = std::mem::take(&mut *EXITING.lock().unwrap_or_else(|e| e.into_inner()));
    let deadline = Instant::now() + EXIT_GRACE;
    while !exiting.is_empty() && Instant::now() < deadline {
        exiting.retain_mut(|c| !matches!(c.try_wait(), Ok(Some(_))));
        if !exiting.is_empty() {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    for child in &mut exiting {
        kill(child);
    }
}

impl Plugin {
    /// Start the plugin of `driver_name` and check that it speaks API version 1.
    pub fn start(driver_name: &str) -> Result<Arc<Plugin>> {
        crate::debug!("Launching plugin server for driver {driver_name}");
        let binary = find_binary(driver_name).ok_or_else(|| NotFound(driver_name.into()))?;
        crate::debug!("Found binary path at {}", binary.display());
        let mut cmd = Command::new(&binary);
        cmd.env(TOKEN_KEY, TOKEN_VALUE)
            .env(DRIVER_NAME_KEY, driver_name)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = spawn(cmd).map_err(|e| anyhow!("Error starting plugin binary: {e}"))?;
        let label = Arc::new(Mutex::new(String::new()));
        let last_err = Arc::new(Mutex::new(String::new()));
        let addr_rx = relay_output(&mut child, &label, &last_err);
        let bin = format!("docker-machine-driver-{driver_name}");
        let addr = match wait_for_address(&addr_rx, &mut child, &bin, &last_err) {
            Ok(a) => a,
            Err(e) => {
                kill(&mut child);
                return Err(e);
            }
        };
        crate::debug!("Plugin server listening at address {addr}");
        let client = match Client::dial(addr, ADDRESS_TIMEOUT) {
            Ok(c) => c,
            Err(e) => {
                kill(&mut child);
                bail!("{bin}: cannot connect to its RPC server at {addr}: {e:#}");
            }
        };
        let mut plugin = Plugin {
            driver_name: driver_name.to_string(),
            service: SERVICE,
            client,
            child: Mutex::new(Some(child)),
            label,
            heartbeat_stop: Mutex::new(None),
            closed: AtomicBool::new(false),
        };
        let version = match plugin.call_empty("GetVersion", Some(ADDRESS_TIMEOUT)) {
            Err(e) if e.downcast_ref::<ServerError>().is_some() => {
                // Plugins built before 0.5.1 registered the older service name only.
                crate::debug!("{e}; re-attempting with {SERVICE_V0}");
                plugin.service = SERVICE_V0;
                plugin.call_empty("GetVersion", Some(ADDRESS_TIMEOUT))
            }
            other => other,
        };
        let plugin = Arc::new(plugin);
        OPEN.lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Arc::downgrade(&plugin));
        let version = version.map_err(|e| anyhow!("{bin}: {e:#}"))?.int();
        if version != API_VERSION {
            plugin.close();
            bail!("Driver binary uses an incompatible API version ({version})");
        }
        crate::debug!("Using API Version {version}");
        plugin.start_heartbeat();
        Ok(plugin)
    }

    /// Label relayed output with the machine's name from now on.
    pub fn set_label(&self, machine_name: &str) {
        *self.label.lock().unwrap_or_else(|e| e.into_inner()) = machine_name.to_string();
    }

    /// Call a method of the driver service.
    pub fn call(
        &self,
        method: &str,
        ty: &Type,
        arg: &Value,
        timeout: Option<Duration>,
    ) -> Result<Value> {
        if method != "Heartbeat" {
            let label = self.label.lock().unwrap_or_else(|e| e.into_inner()).clone();
            crate::debug!("({label}) Calling .{method}");
        }
        let full = format!("{}.{method}", self.service);
        self.client.call(&full, ty, arg, timeout).map_err(|e| {
            if e.downcast_ref::<ServerError>().is_some() {
                e
            } else if e.downcast_ref::<Timeout>().is_some() {
                anyhow!("docker-machine-driver-{} {e}", self.driver_name)
            } else {
                anyhow!(
                    "docker-machine-driver-{} {}: {e:#}",
                    self.driver_name,
                    self.exit_note()
                )
            }
        })
    }

    /// A method that takes no argument (`struct{}`).
    pub fn call_empty(&self, method: &str, timeout: Option<Duration>) -> Result<Value> {
        self.call(
            method,
            &Type::structure("struct {}", &[]),
            &Value::Struct(Vec::new()),
            timeout,
        )
    }

    /// "exited (exit status N)" when the process is gone, else "stopped answering".
    fn exit_note(&self) -> String {
        let mut child = self.child.lock().unwrap_or_else(|e| e.into_inner());
        let Some(child) = child.as_mut() else {
            return "was closed".into();
        };
        // A lost connection usually means the process is exiting: give it a moment.
        let deadline = Instant::now() + Duration::from_millis(300);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return format!("exited ({})", go_exit_status(status)),
                _ if Instant::now() > deadline => return "stopped answering".into(),
                _ => std::thread::sleep(Duration::from_millis(10)),
            }
        }
    }

    fn start_heartbeat(self: &Arc<Self>) {
        let (tx, rx) = mpsc::channel::<()>();
        *self
            .heartbeat_stop
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(tx);
        let weak = Arc::downgrade(self);
        let _ = std::thread::Builder::new()
            .name("plugin-heartbeat".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(HEARTBEAT_INTERVAL)
                {
                    let Some(p) = weak.upgrade() else { return };
                    if let Err(e) = p.call_empty("Heartbeat", Some(HEARTBEAT_INTERVAL)) {
                        crate::debug!("Error attempting heartbeat call to plugin server: {e:#}");
                        return;
                    }
                }
            });
    }

    /// Ask the plugin to exit; [`close_all`] makes sure it did (killing it if not).
    pub fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        self.heartbeat_stop
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        crate::debug!("Making call to close driver server");
        // The plugin exits while answering, so the answer is not waited for: the
        // request is written, then the connection closed.
        let _ = self.call_empty("Close", Some(Duration::ZERO));
        self.client.shutdown();
        if let Some(child) = self.child.lock().unwrap_or_else(|e| e.into_inner()).take() {
            EXITING
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(child);
        }
    }
}

impl Drop for Plugin {
    fn drop(&mut self) {
        self.close();
    }
}

fn kill(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Go's `ExitError` text: `exit status N`, or `signal: killed`.
fn go_exit_status(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("signal {sig}");
        }
    }
    format!("exit status {}", status.code().unwrap_or(-1))
}

/// Relay stdout (after its first line, which is sent back) and stderr in threads.
fn relay_output(
    child: &mut Child,
    label: &Arc<Mutex<String>>,
    last_err: &Arc<Mutex<String>>,
) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        let label = Arc::clone(label);
        spawn_lines(out, move |i, line| {
            if i == 0 {
                let _ = tx.send(line);
            } else {
                let label = label.lock().unwrap_or_else(|e| e.into_inner()).clone();
                crate::info!("({label}) {line}");
            }
        });
    }
    if let Some(err) = child.stderr.take() {
        let label = Arc::clone(label);
        let last_err = Arc::clone(last_err);
        spawn_lines(err, move |_, line| {
            let label = label.lock().unwrap_or_else(|e| e.into_inner()).clone();
            crate::debug!("({label}) DBG | {line}");
            if !line.trim().is_empty() {
                *last_err.lock().unwrap_or_else(|e| e.into_inner()) = line;
            }
        });
    }
    rx
}

fn spawn_lines(
    r: impl Read + Send + 'static,
    mut each: impl FnMut(usize, String) + Send + 'static,
) {
    let _ = std::thread::Builder::new()
        .name("plugin-output".into())
        .spawn(move || {
            for (i, line) in BufReader::new(r).split(b'\n').enumerate() {
                let Ok(line) = line else { return };
                let line = String::from_utf8_lossy(&line);
                each(i, line.trim_end_matches(['\r', '\n']).to_string());
            }
        });
}

/// The first stdout line: a loopback `host:port` (plugins listen on 127.0.0.1 only).
fn wait_for_address(
    rx: &mpsc::Receiver<String>,
    child: &mut Child,
    bin: &str,
    last_err: &Mutex<String>,
) -> Result<SocketAddr> {
    match rx.recv_timeout(ADDRESS_TIMEOUT) {
        Ok(line) => {
            let line = line.trim();
            match line.parse::<SocketAddr>() {
                Ok(addr) if addr.ip().is_loopback() => Ok(addr),
                _ => bail!(
                    "{bin} printed {line:?} instead of the address of its RPC server: is it a Docker Machine driver plugin?"
                ),
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => {
            bail!(
                "Failed to dial the plugin server in {}s",
                ADDRESS_TIMEOUT.as_secs()
            )
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // stdout closed: the plugin is exiting; give it a moment to be reaped.
            let deadline = Instant::now() + Duration::from_secs(2);
            let status = loop {
                match child.try_wait() {
                    Ok(Some(s)) => break go_exit_status(s),
                    _ if Instant::now() > deadline => break "still running".into(),
                    _ => std::thread::sleep(Duration::from_millis(10)),
                }
            };
            // Its stderr relay may still be reading the last line.
            std::thread::sleep(Duration::from_millis(50));
            let last = last_err.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let why = if last.is_empty() {
                String::new()
            } else {
                format!(": {last}")
            };
            bail!("{bin} exited before serving ({status}){why}")
        }
    }
}

/// Start a plugin. On Linux the child gets SIGKILL when this process dies; the signal
/// follows the thread that forked, so all plugins are forked by one thread that lives
/// as long as the process.
#[cfg(target_os = "linux")]
fn spawn(cmd: Command) -> std::io::Result<Child> {
    use std::os::unix::process::CommandExt;
    type Job = (Command, mpsc::Sender<std::io::Result<Child>>);
    static SPAWNER: Mutex<Option<mpsc::Sender<Job>>> = Mutex::new(None);
    let (reply_tx, reply_rx) = mpsc::channel();
    {
        let mut spawner = SPAWNER.lock().unwrap_or_else(|e| e.into_inner());
        let tx = spawner.get_or_insert_with(|| {
            let (tx, rx) = mpsc::channel::<Job>();
            let _ = std::thread::Builder::new()
                .name("plugin-spawner".into())
                .spawn(move || {
                    for (mut cmd, reply) in rx {
                        // SAFETY: prctl is async-signal-safe and touches no memory of ours.
                        unsafe {
                            cmd.pre_exec(|| {
                                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                                Ok(())
                            });
                        }
                        let _ = reply.send(cmd.spawn());
                    }
                });
            tx
        });
        tx.send((cmd, reply_tx))
            .map_err(|_| std::io::Error::other("plugin spawner is gone"))?;
    }
    reply_rx
        .recv()
        .map_err(|_| std::io::Error::other("plugin spawner is gone"))?
}

#[cfg(not(target_os = "linux"))]
fn spawn(mut cmd: Command) -> std::io::Result<Child> {
    cmd.spawn()
}
