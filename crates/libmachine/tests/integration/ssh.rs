//! The SSH clients against a real OpenSSH server on loopback, with keys made by
//! `ssh::keys` (so OpenSSH accepting them is part of what is tested). Debian's sshd
//! refuses SHA-1 RSA signatures by default, so the RSA cases prove rsa-sha2 signing.

use libmachine::ssh::{
    self, keys, ClientKind, ExternalClient, NativeClient, Output, SshClient, SshTarget,
};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use testkit::sshd::{self as test_sshd, current_user, Sshd};
use testkit::{free_port, require_sshd, SilentListener};

struct Fixture {
    sshd: Sshd,
    rsa: PathBuf,
    ed25519: PathBuf,
    _keys: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let (rsa, ed25519) = test_sshd::client_keys(dir.path());
    Fixture {
        sshd: Sshd::for_keys(&[&rsa, &ed25519]),
        rsa,
        ed25519,
        _keys: dir,
    }
}

fn target(port: u16, key: &Path) -> SshTarget {
    SshTarget {
        host: "127.0.0.1".into(),
        port,
        user: current_user(),
        key_path: Some(key.to_path_buf()),
        host_key: None,
    }
}

fn clients(port: u16, key: &Path) -> Vec<(&'static str, Box<dyn SshClient>)> {
    let t = target(port, key);
    let mut v: Vec<(&'static str, Box<dyn SshClient>)> =
        vec![("native", ssh::client(&t, ClientKind::Native).unwrap())];
    if ssh::default_kind(false) == ClientKind::External {
        v.push(("external", ssh::client(&t, ClientKind::External).unwrap()));
    } else {
        eprintln!("external client not tested: no ssh on PATH");
    }
    v
}

#[test]
fn output_keeps_streams_and_status_apart_for_both_clients_and_key_types() {
    require_sshd!();
    let f = fixture();
    for key in [&f.rsa, &f.ed25519] {
        for (name, c) in clients(f.sshd.port, key) {
            let out = c
                .output("sh -c 'echo out; echo err >&2; exit 7'")
                .unwrap_or_else(|e| panic!("{name} {}: {e:#}", key.display()));
            assert_eq!(
                out,
                Output {
                    stdout: "out\n".into(),
                    stderr: "err\n".into(),
                    status: 7
                },
                "{name} {}",
                key.display()
            );
            assert_eq!(c.run("echo hello").unwrap(), "hello\n", "{name}");
        }
    }
}

#[test]
fn run_reports_a_failed_command_as_the_original() {
    require_sshd!();
    let f = fixture();
    for (name, c) in clients(f.sshd.port, &f.rsa) {
        let err = c.run("echo partial; exit 3").unwrap_err().to_string();
        assert_eq!(
            err,
            "ssh command error:\ncommand : echo partial; exit 3\nerr     : exit status 3\noutput  : partial\n",
            "{name}"
        );
    }
}

#[test]
fn upload_writes_exact_bytes_with_mode() {
    require_sshd!();
    let f = fixture();
    let remote_dir = tempfile::tempdir().unwrap();
    // Small (one command) and large (chunked through a temp file) payloads.
    let small: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    let large: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for (name, c) in clients(f.sshd.port, &f.ed25519) {
        for (label, data, mode, sudo) in [
            ("small", &small, 0o640, false),
            ("large", &large, 0o600, false),
            ("sudo", &small, 0o644, true),
        ] {
            if sudo
                && std::process::Command::new("sudo")
                    .arg("-n")
                    .arg("true")
                    .status()
                    .map(|s| !s.success())
                    .unwrap_or(true)
            {
                eprintln!("{name}: sudo upload not tested: no password-less sudo");
                continue;
            }
            let path = remote_dir.path().join(format!("{name} {label}.bin"));
            ssh::upload(c.as_ref(), data, path.to_str().unwrap(), mode, sudo)
                .unwrap_or_else(|e| panic!("{name} {label}: {e:#}"));
            assert_eq!(&std::fs::read(&path).unwrap(), data, "{name} {label}");
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let m = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(m, mode, "{name} {label}");
            }
            // The remote checksum agrees too.
            let remote = c
                .run(&format!(
                    "sha256sum < {}",
                    ssh::shell_quote(path.to_str().unwrap())
                ))
                .unwrap();
            let local = std::process::Command::new("sha256sum")
                .stdin(std::fs::File::open(&path).unwrap())
                .output()
                .unwrap();
            assert_eq!(
                remote,
                String::from_utf8_lossy(&local.stdout),
                "{name} {label}"
            );
        }
    }
    let leftovers: Vec<_> = std::fs::read_dir("/tmp")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(".docker-machine-upload.")
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "upload temp files left: {leftovers:?}"
    );
}

#[test]
fn wait_for_ssh_succeeds_against_sshd() {
    require_sshd!();
    let f = fixture();
    for (name, c) in clients(f.sshd.port, &f.rsa) {
        ssh::wait_for_ssh(
            c.as_ref(),
            &target(f.sshd.port, &f.rsa),
            Duration::from_secs(10),
        )
        .unwrap_or_else(|e| panic!("{name}: {e:#}"));
    }
}

fn assert_wait_fails(
    c: &dyn SshClient,
    t: &SshTarget,
    max_wait: Duration,
    bound: Duration,
    what: &str,
) {
    let start = Instant::now();
    let err = ssh::wait_for_ssh(c, t, max_wait).unwrap_err().to_string();
    let took = start.elapsed();
    assert!(
        err.starts_with("Too many retries waiting for SSH to be available.  Last error: "),
        "{what}: {err}"
    );
    assert!(took < bound, "{what}: took {took:?}");
    assert!(
        took >= Duration::from_secs(1),
        "{what}: gave up after {took:?}"
    );
}

#[test]
fn wait_for_ssh_gives_up_when_nothing_listens() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    keys::generate_ed25519(&key).unwrap();
    let t = target(free_port(), &key);
    let native = NativeClient::new(&t).unwrap();
    assert_wait_fails(
        &native,
        &t,
        Duration::from_secs(3),
        Duration::from_secs(10),
        "native",
    );
    let err = native.output("exit 0").unwrap_err().to_string();
    assert!(err.contains("connection refused"), "{err}");
    if ssh::default_kind(false) == ClientKind::External {
        let ext = ExternalClient::new(&t).unwrap();
        assert_wait_fails(
            &ext,
            &t,
            Duration::from_secs(3),
            Duration::from_secs(20),
            "external",
        );
    }
}

#[test]
fn wait_for_ssh_gives_up_on_a_port_that_accepts_but_never_speaks() {
    let listener = SilentListener::start();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_ed25519");
    keys::generate_ed25519(&key).unwrap();
    let t = target(listener.port, &key);
    let native = NativeClient::new(&t)
        .unwrap()
        .with_connect_timeout(Duration::from_secs(1));
    assert_wait_fails(
        &native,
        &t,
        Duration::from_secs(3),
        Duration::from_secs(8),
        "native",
    );
    if ssh::default_kind(false) == ClientKind::External {
        // ConnectTimeout=10 bounds ssh's wait for the server's banner.
        let ext = ExternalClient::new(&t).unwrap();
        assert_wait_fails(
            &ext,
            &t,
            Duration::from_secs(3),
            Duration::from_secs(30),
            "external",
        );
    }
}

#[test]
fn a_key_the_server_does_not_know_is_refused() {
    require_sshd!();
    let f = fixture();
    let other = f._keys.path().join("other");
    keys::generate_key_pair(&other).unwrap();
    let t = target(f.sshd.port, &other);
    let err = NativeClient::new(&t)
        .unwrap()
        .output("true")
        .unwrap_err()
        .to_string();
    assert!(err.contains("unable to authenticate"), "{err}");
    if ssh::default_kind(false) == ClientKind::External {
        let err = ExternalClient::new(&t)
            .unwrap()
            .output("true")
            .unwrap_err()
            .to_string();
        assert!(err.contains("exit status 255"), "{err}");
    }
}

#[test]
fn native_interactive_command_returns_the_remote_status() {
    require_sshd!();
    let f = fixture();
    let c = NativeClient::new(&target(f.sshd.port, &f.rsa)).unwrap();
    let args: Vec<String> = ["--", "exit", "5"].iter().map(|s| s.to_string()).collect();
    assert_eq!(c.interactive(&args).unwrap(), 5);
}

#[cfg(unix)]
#[test]
fn external_client_refuses_an_open_key() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_rsa");
    keys::generate_key_pair(&key).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let t = target(22, &key);
    let err = ssh::client(&t, ClientKind::External)
        .err()
        .map(|e| e.to_string());
    if ssh::default_kind(false) == ClientKind::External {
        assert_eq!(
            err.unwrap(),
            format!("permissions 0644 for '{}' are too open", key.display())
        );
    }
}

/// Host keys are pinned per machine: the first connection records the server's key in
/// OpenSSH's format (either client may come first; the other reads the same file), later
/// connections accept only that key, and a different key is refused at once with one
/// line, by both clients, without touching the file.
#[test]
fn host_keys_are_pinned_and_a_changed_key_is_refused() {
    require_sshd!();
    let f = fixture();
    let sshd_key = std::fs::read_to_string(f.sshd.path("host_ed25519.pub")).unwrap();
    let sshd_key: Vec<&str> = sshd_key.split_whitespace().take(2).collect();
    let kinds: Vec<ClientKind> = if ssh::default_kind(false) == ClientKind::External {
        vec![ClientKind::External, ClientKind::Native]
    } else {
        vec![ClientKind::Native]
    };
    for first in &kinds {
        let machine_dir = tempfile::tempdir().unwrap();
        let pin = ssh::HostKeyPin::for_machine(machine_dir.path(), "m1");
        let mut t = target(f.sshd.port, &f.ed25519);
        t.host_key = Some(pin.clone());
        let client = |kind: ClientKind| ssh::client(&t, kind).unwrap();

        let out = client(*first).output("echo pinned").unwrap();
        assert_eq!(out.stdout, "pinned\n", "{first:?}");
        let recorded = std::fs::read_to_string(&pin.file).unwrap();
        assert_eq!(
            recorded,
            format!("m1 {} {}\n", sshd_key[0], sshd_key[1]),
            "{first:?} records the server's key under the machine's name"
        );
        for kind in &kinds {
            assert_eq!(
                client(*kind).output("exit 3").unwrap().status,
                3,
                "{kind:?}"
            );
        }
        assert_eq!(std::fs::read_to_string(&pin.file).unwrap(), recorded);

        // Another key pinned: the server is not the machine.
        let (_, other) = keys::ed25519_pair().unwrap();
        let forged = pin.line(&other).unwrap();
        std::fs::write(&pin.file, &forged).unwrap();
        for kind in &kinds {
            let err = client(*kind).output("echo reached").unwrap_err();
            assert_eq!(
                err.downcast_ref::<ssh::known_hosts::HostKeyMismatch>(),
                Some(&pin.mismatch()),
                "{kind:?}: {err:#}"
            );
            assert!(!format!("{err:#}").contains('\n'), "one line: {err:#}");
            // Waiting does not help: refused at once, not after the timeout.
            let started = Instant::now();
            let err =
                ssh::wait_for_ssh(client(*kind).as_ref(), &t, Duration::from_secs(60)).unwrap_err();
            assert!(err
                .to_string()
                .starts_with("ssh: the host key of machine \"m1\""));
            assert!(started.elapsed() < Duration::from_secs(20), "{kind:?}");
        }
        assert_eq!(std::fs::read_to_string(&pin.file).unwrap(), forged);
    }
}
