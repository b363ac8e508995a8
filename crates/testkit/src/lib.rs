//! Test fixtures, not part of the product: what the integration tests of both crates
//! share. Real servers on 127.0.0.1 (OpenSSH's sshd, a small HTTP server) and the checks
//! that decide whether they can run here.

pub mod azure;
pub mod digitalocean;
pub mod fakeapi;
pub mod gce;
pub mod http;
pub mod sshd;

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A port on 127.0.0.1 that nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Whether the tests run as root (daemons such as sshd and dockerd need it).
pub fn is_root() -> bool {
    #[cfg(unix)]
    {
        // SAFETY: geteuid has no preconditions.
        unsafe { libc::geteuid() == 0 }
    }
    #[cfg(not(unix))]
    false
}

/// A listener that accepts connections and never says anything (a hypervisor's port
/// forward with no sshd behind it, a daemon that hangs). Connections are held until it is dropped.
pub struct SilentListener {
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl SilentListener {
    pub fn start() -> SilentListener {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((s, _)) => held.push(s),
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        SilentListener { port, stop }
    }
}

impl Drop for SilentListener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Returns from the calling test, printing why, when the sshd fixture cannot run here.
#[macro_export]
macro_rules! require_sshd {
    () => {
        if let Some(reason) = $crate::sshd::unavailable() {
            eprintln!("skipped: {reason}");
            return;
        }
    };
}
