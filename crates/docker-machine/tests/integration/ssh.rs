//! `ssh`, `scp` and `mount` through the real binary against a real OpenSSH server on
//! loopback. The machine is a generic-driver machine whose config.json is written by
//! hand (as `create` would after provisioning) pointing at the test sshd.

use crate::support::{dm_cmd, BIN};
use libmachine::ssh::keys;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use testkit::sshd::{self as test_sshd, current_user, Sshd};
use testkit::{free_port, require_sshd};

struct Env {
    sshd: Sshd,
    store: tempfile::TempDir,
    /// Scratch space, the "remote" side too (the server is this host).
    work: tempfile::TempDir,
}

/// Write `machines/NAME/config.json` for a generic machine at 127.0.0.1:`port`.
fn write_machine(store: &Path, name: &str, port: u16, key: Option<&Path>) -> PathBuf {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../libmachine/tests/fixtures/store-0.16.2/machines/gen1/config.json");
    let mut cfg: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let store_s = store.to_str().unwrap();
    let dir = store.join("machines").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let key_path = key.map(|k| {
        let dest = dir.join(k.file_name().unwrap());
        std::fs::copy(k, &dest).unwrap();
        set_mode(&dest, 0o600);
        dest.to_string_lossy().into_owned()
    });
    let d = &mut cfg["Driver"];
    d["IPAddress"] = json!("127.0.0.1");
    d["MachineName"] = json!(name);
    d["SSHUser"] = json!(current_user());
    d["SSHPort"] = json!(port);
    d["SSHKeyPath"] = json!(key_path.clone().unwrap_or_default());
    d["SSHKey"] = json!(key
        .map(|k| k.to_string_lossy().into_owned())
        .unwrap_or_default());
    d["StorePath"] = json!(store_s);
    d["EnginePort"] = json!(2376);
    cfg["Name"] = json!(name);
    let auth = &mut cfg["HostOptions"]["AuthOptions"];
    for (k, v) in [
        ("CertDir", format!("{store_s}/certs")),
        ("CaCertPath", format!("{store_s}/certs/ca.pem")),
        ("CaPrivateKeyPath", format!("{store_s}/certs/ca-key.pem")),
        ("ServerCertPath", format!("{}/server.pem", dir.display())),
        ("ServerKeyPath", format!("{}/server-key.pem", dir.display())),
        ("ClientKeyPath", format!("{store_s}/certs/key.pem")),
        ("ClientCertPath", format!("{store_s}/certs/cert.pem")),
        ("StorePath", dir.to_string_lossy().into_owned()),
    ] {
        auth[k] = json!(v);
    }
    let path = dir.join("config.json");
    std::fs::write(&path, serde_json::to_string_pretty(&cfg).unwrap()).unwrap();
    set_mode(&path, 0o600);
    dir
}

fn set_mode(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// A store with machine `m` (RSA key) and `e` (ed25519 key) on one sshd.
fn env() -> Env {
    let work = tempfile::tempdir().unwrap();
    let (rsa, ed) = test_sshd::client_keys(work.path());
    let sshd = Sshd::for_keys(&[&rsa, &ed]);
    let store = tempfile::tempdir().unwrap();
    write_machine(store.path(), "m", sshd.port, Some(&rsa));
    write_machine(store.path(), "e", sshd.port, Some(&ed));
    Env { sshd, store, work }
}

fn dm(store: &Path, args: &[&str]) -> Output {
    dm_cmd(store)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Both clients: the default (external when `ssh` is on PATH) and `--native-ssh`.
const MODES: &[&[&str]] = &[&[], &["--native-ssh"]];

fn ssh(e: &Env, mode: &[&str], args: &[&str]) -> Output {
    let mut all: Vec<&str> = mode.to_vec();
    all.push("ssh");
    all.extend_from_slice(args);
    dm(e.store.path(), &all)
}

#[test]
fn ssh_passes_the_remote_exit_status_through() {
    require_sshd!();
    let e = env();
    for mode in MODES {
        for machine in ["m", "e"] {
            let out = ssh(&e, mode, &[machine, "--", "exit", "3"]);
            assert_eq!(
                out.status.code(),
                Some(3),
                "{mode:?} {machine}: {}",
                text(&out.stderr)
            );
            assert_eq!(text(&out.stderr), "", "{mode:?}");
            let out = ssh(
                &e,
                mode,
                &[machine, "sh -c 'echo out; echo err >&2; exit 7'"],
            );
            assert_eq!(out.status.code(), Some(7), "{mode:?}");
            assert_eq!(text(&out.stdout), "out\n", "{mode:?}");
            assert_eq!(text(&out.stderr), "err\n", "{mode:?}");
        }
    }
}

#[test]
fn ssh_runs_a_command() {
    require_sshd!();
    let e = env();
    for mode in MODES {
        let out = ssh(&e, mode, &["m", "echo", "hi"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{mode:?}: {}",
            text(&out.stderr)
        );
        assert_eq!(text(&out.stdout), "hi\n", "{mode:?}");
        let out = ssh(&e, mode, &["m", "--", "echo", "a", "--", "b"]);
        assert_eq!(text(&out.stdout), "a -- b\n", "{mode:?}");
    }
    // ssh options pass through to the external client unchanged.
    if libmachine::ssh::default_kind(false) == libmachine::ssh::ClientKind::External {
        let out = ssh(&e, &[], &["m", "-o", "SendEnv=NONE", "echo", "ok"]);
        assert_eq!(text(&out.stdout), "ok\n", "{}", text(&out.stderr));
    }
}

#[test]
fn ssh_stdin_reaches_the_remote_command() {
    require_sshd!();
    let e = env();
    for mode in MODES {
        let mut args: Vec<&str> = vec!["-s", e.store.path().to_str().unwrap()];
        args.extend_from_slice(mode);
        args.extend(["ssh", "m", "tr a-z A-Z"]);
        let mut child = Command::new(BIN)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"piped\n").unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(text(&out.stdout), "PIPED\n", "{mode:?}");
        assert_eq!(out.status.code(), Some(0), "{mode:?}");

        // No command and no terminal: a shell without a PTY reads the piped script.
        args.truncate(args.len() - 1);
        let mut child = Command::new(BIN)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"echo shell-$((1+1)); exit 4\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            text(&out.stdout),
            "shell-2\n",
            "{mode:?} {}",
            text(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(4), "{mode:?}");
    }
}

/// `docker-machine ssh m` on a terminal: `script` gives it a PTY; the session must be a
/// login shell that runs what is typed and exits with the shell's status.
#[test]
fn ssh_without_command_is_an_interactive_session() {
    require_sshd!();
    if Command::new("script").arg("--version").output().is_err() {
        testkit::skip("script (util-linux) is missing");
        return;
    }
    let e = env();
    for mode in MODES {
        let cmdline = format!(
            "{BIN} -s {} {} ssh m",
            e.store.path().display(),
            mode.join(" ")
        );
        // The terminal type travels to the remote shell (CI may run without $TERM).
        let mut child = Command::new("script")
            .args(["-qec", &cmdline, "/dev/null"])
            .env("TERM", "xterm-256color")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(b"echo \"[$((6*7))] $TERM $(tty | cut -c1-8)\"; exit 5\n")
            .unwrap();
        let out = wait_with_timeout(child, stdin, 30);
        let shown = text(&out.stdout);
        assert!(
            shown.contains("[42] xterm-256color /dev/pts"),
            "{mode:?}: {shown:?} {}",
            text(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(5), "{mode:?}: {shown:?}");
    }
}

/// Wait for a child, keeping its stdin open meanwhile; kill it after `secs`.
fn wait_with_timeout(
    mut child: std::process::Child,
    stdin: std::process::ChildStdin,
    secs: u64,
) -> Output {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn ssh_refusals() {
    let store = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("id_rsa");
    keys::generate_key_pair(&key).unwrap();
    write_machine(store.path(), "down", free_port(), Some(&key));
    let out = dm(store.path(), &["ssh", "down", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "Error: Cannot run SSH command: Host \"down\" is not running\n"
    );

    let out = dm(
        store.path(),
        &["create", "-d", "none", "--url", "tcp://10.0.0.5:2376", "n"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = dm(store.path(), &["ssh", "n"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "No SSH access to hosts without a driver\n"
    );

    let out = dm(store.path(), &["ssh", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).starts_with("Docker machine \"nope\" does not exist."));

    let out = dm(store.path(), &["ssh", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        text(&out.stdout).starts_with("Usage: docker-machine ssh"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn ssh_external_client_checks_key_permissions() {
    require_sshd!();
    if libmachine::ssh::default_kind(false) != libmachine::ssh::ClientKind::External {
        testkit::skip("no ssh binary");
        return;
    }
    let e = env();
    let mdir = write_machine(
        e.store.path(),
        "open",
        e.sshd.port,
        Some(&e.work.path().join("id_rsa")),
    );
    let k = mdir.join("id_rsa");
    set_mode(&k, 0o644);
    let out = dm(e.store.path(), &["ssh", "open", "true"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("permissions 0644 for '{}' are too open\n", k.display())
    );
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    text(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

fn data(n: usize, seed: u32) -> Vec<u8> {
    (0..n as u32)
        .map(|i| (i.wrapping_add(seed).wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect()
}

#[test]
fn scp_round_trips() {
    require_sshd!();
    if Command::new("scp").arg("-V").output().is_err() {
        testkit::skip("no scp binary");
        return;
    }
    let e = env();
    let w = e.work.path();
    let store = e.store.path();
    let local = w.join("local.bin");
    std::fs::write(&local, data(200_000, 1)).unwrap();
    let remote = w.join("remote dir");
    std::fs::create_dir(&remote).unwrap();
    let remote_x = remote.join("x");
    let back = w.join("back.bin");

    // local -> m:path -> local
    let out = dm(
        store,
        &[
            "scp",
            local.to_str().unwrap(),
            &format!("m:{}", remote_x.display()),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = dm(
        store,
        &[
            "scp",
            "-q",
            &format!("m:{}", remote_x.display()),
            back.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(sha256(&back), sha256(&local));

    // m:path -> e:path2 (both remote, through this host with -3), user given explicitly.
    let remote_y = remote.join("y");
    let out = dm(
        store,
        &[
            "scp",
            &format!("m:{}", remote_x.display()),
            &format!("{}@e:{}", test_sshd::current_user(), remote_y.display()),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(sha256(&remote_y), sha256(&local));

    // -r directory copy, and localhost: as a local path.
    let tree = w.join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("a"), data(1000, 2)).unwrap();
    std::fs::write(tree.join("sub/b"), data(5000, 3)).unwrap();
    let remote_tree = remote.join("tree");
    let out = dm(
        store,
        &[
            "scp",
            "-r",
            &format!("localhost:{}", tree.display()),
            &format!("m:{}", remote_tree.display()),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(sha256(&remote_tree.join("a")), sha256(&tree.join("a")));
    assert_eq!(
        sha256(&remote_tree.join("sub/b")),
        sha256(&tree.join("sub/b"))
    );
}

#[test]
fn scp_failures() {
    require_sshd!();
    let e = env();
    let store = e.store.path();
    let w = e.work.path();
    if Command::new("scp").arg("-V").output().is_ok() {
        let out = dm(
            store,
            &["scp", "m:/nonexistent/file", w.join("z").to_str().unwrap()],
        );
        let code = out.status.code().unwrap();
        assert_ne!(code, 0);
        // scp's own status, not a docker-machine error line.
        assert!(
            !text(&out.stderr).contains("exit status"),
            "{}",
            text(&out.stderr)
        );
    }
    let out = dm(store, &["scp", "/a", "x:/b"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        "Error loading host: Docker machine \"x\" does not exist. Use \"docker-machine ls\" to list machines. Use \"docker-machine create\" to add a new one.\n"
    );
    let out = dm(store, &["scp", "/a"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "Improper number of arguments\n");
    assert!(text(&out.stdout).starts_with("Usage: docker-machine scp"));

    // Missing tools are named.
    let empty = tempfile::tempdir().unwrap();
    let run_without_tools = |args: &[&str]| {
        Command::new(BIN)
            .env("PATH", empty.path())
            .arg("-s")
            .arg(store)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run_without_tools(&["scp", "/a", "/b"]);
    assert_eq!(
        text(&out.stderr),
        "You must have a copy of the scp binary locally to use the scp feature\n"
    );
    let out = run_without_tools(&["scp", "-d", "/a", "/b"]);
    assert_eq!(
        text(&out.stderr),
        "You must have a copy of the rsync binary locally to use the --delta option\n"
    );
    let out = run_without_tools(&["mount", "m:/a"]);
    assert_eq!(
        text(&out.stderr),
        "You must have a copy of the sshfs binary locally to use the mount feature\n"
    );
    let out = run_without_tools(&["mount", "-u", "m:/a"]);
    assert_eq!(
        text(&out.stderr),
        "You must have a copy of the fusermount binary locally to use the unmount option\n"
    );
}

#[test]
fn scp_delta_uses_rsync() {
    require_sshd!();
    if Command::new("rsync").arg("--version").output().is_err() {
        testkit::skip("no rsync binary");
        return;
    }
    let e = env();
    let store = e.store.path();
    let w = e.work.path();
    let local = w.join("d.bin");
    std::fs::write(&local, data(100_000, 9)).unwrap();
    let remote = w.join("d-remote.bin");
    let out = dm(
        store,
        &[
            "scp",
            "-d",
            "-q",
            local.to_str().unwrap(),
            &format!("m:{}", remote.display()),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(sha256(&remote), sha256(&local));
    // rsync's own status (23: some files could not be transferred) comes through.
    let out = dm(
        store,
        &[
            "scp",
            "-d",
            "-q",
            "m:/nonexistent/file",
            w.join("z").to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(23), "{}", text(&out.stderr));
}

#[test]
fn mount_and_unmount_with_sshfs() {
    require_sshd!();
    if Command::new("sshfs").arg("--version").output().is_err() {
        testkit::skip("no sshfs binary");
        return;
    }
    if !Path::new("/dev/fuse").exists() {
        testkit::skip("no /dev/fuse");
        return;
    }
    let e = env();
    let store = e.store.path();
    let w = e.work.path();
    let shared = w.join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::write(shared.join("hello.txt"), "over sshfs\n").unwrap();
    let mnt = w.join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let out = dm(
        store,
        &[
            "mount",
            &format!("m:{}", shared.display()),
            mnt.to_str().unwrap(),
        ],
    );
    if out.status.code() != Some(0) {
        let err = text(&out.stderr);
        if err.contains("fuse: device not found")
            || err.contains("Operation not permitted")
            || err.contains("fusermount")
        {
            testkit::skip(&format!("FUSE is not usable here: {err}"));
            return;
        }
        panic!("mount failed: {err}");
    }
    let read = std::fs::read_to_string(mnt.join("hello.txt"));
    let out = dm(
        store,
        &[
            "mount",
            "-u",
            &format!("m:{}", shared.display()),
            mnt.to_str().unwrap(),
        ],
    );
    assert_eq!(read.unwrap(), "over sshfs\n");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!mnt.join("hello.txt").exists(), "still mounted");
}

/// `ssh` and `scp` check the host key pinned in the machine's folder: the first
/// connection pins it, and a server with another key is refused by every path.
#[test]
fn ssh_and_scp_refuse_a_host_key_other_than_the_pinned_one() {
    require_sshd!();
    let e = env();
    let store = e.store.path();
    let pin = store.join("machines/m/known_hosts");
    assert!(!pin.exists());
    let out = ssh(&e, &[], &["m", "--", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "", "pinning is silent");
    let host_key = std::fs::read_to_string(e.sshd.path("host_ed25519.pub")).unwrap();
    let host_key: Vec<&str> = host_key.split_whitespace().take(2).collect();
    assert_eq!(
        std::fs::read_to_string(&pin).unwrap(),
        format!("m {} {}\n", host_key[0], host_key[1])
    );

    // Between two machines (one scp, so no alias): both keys by address; `e`, never
    // connected to, is pinned first. `e` is named `localhost` so that the two
    // machines' keys are listed under different addresses.
    let has_scp = Command::new("scp").arg("-V").output().is_ok();
    let e_config = store.join("machines/e/config.json");
    let config = std::fs::read_to_string(&e_config).unwrap();
    let config = config.replace(
        "\"IPAddress\": \"127.0.0.1\"",
        "\"IPAddress\": \"localhost\"",
    );
    std::fs::write(&e_config, config).unwrap();
    let local = e.work.path().join("f");
    std::fs::write(&local, "x").unwrap();
    let between = |to: &str| {
        dm(
            store,
            &[
                "scp",
                &format!("m:{}", local.display()),
                &format!("e:{}", e.work.path().join(to).display()),
            ],
        )
    };
    if has_scp {
        let out = between("f2");
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        assert_eq!(std::fs::read(e.work.path().join("f2")).unwrap(), b"x");
        assert_eq!(
            std::fs::read_to_string(store.join("machines/e/known_hosts")).unwrap(),
            format!("e {} {}\n", host_key[0], host_key[1])
        );
    }

    // The pinned key replaced by another one: the server now looks like an impostor.
    let (_, other) = keys::ed25519_pair().unwrap();
    let forged = libmachine::ssh::HostKeyPin::for_machine(&store.join("machines/m"), "m")
        .line(&other)
        .unwrap();
    std::fs::write(&pin, &forged).unwrap();
    for mode in MODES {
        let out = ssh(&e, mode, &["m", "--", "echo", "reached"]);
        let err = text(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{mode:?}");
        assert!(!text(&out.stdout).contains("reached"), "{mode:?}");
        assert!(
            err.contains("Host key verification failed")
                || err.contains("does not match the one pinned in"),
            "{mode:?}: {err}"
        );
    }
    if has_scp {
        let target = e.work.path().join("copied");
        let out = dm(
            store,
            &[
                "scp",
                local.to_str().unwrap(),
                &format!("m:{}", target.display()),
            ],
        );
        assert_ne!(out.status.code(), Some(0));
        assert!(!target.exists());
        assert!(
            text(&out.stderr).contains("Host key verification failed"),
            "{}",
            text(&out.stderr)
        );
        let out = between("f3");
        assert_ne!(out.status.code(), Some(0));
        assert!(!e.work.path().join("f3").exists());
        assert!(
            text(&out.stderr).contains("Host key verification failed"),
            "{}",
            text(&out.stderr)
        );
    }
    assert_eq!(std::fs::read_to_string(&pin).unwrap(), forged);
}

/// Two machines on 127.0.0.1 behind their own ports (as the qemu driver makes them): a copy
/// from one to the other must reach each on its own port, key and pinned host key. Each
/// server's SFTP sessions start in its own folder, so a relative path shows which server
/// a side reached.
#[test]
fn scp_between_two_loopback_machines_reaches_each_on_its_own_port() {
    require_sshd!();
    if Command::new("scp").arg("-V").output().is_err() {
        testkit::skip("no scp binary");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let (rsa, ed) = test_sshd::client_keys(w);
    let public = |k: &Path| {
        std::fs::read_to_string(keys::public_key_path(k))
            .unwrap()
            .trim_end()
            .to_string()
    };
    let (dir_a, dir_b) = (w.join("on-a"), w.join("on-b"));
    std::fs::create_dir_all(&dir_a).unwrap();
    std::fs::create_dir_all(&dir_b).unwrap();
    let sshd_a = Sshd::start_with_sftp_dir(&[public(&rsa)], Some(&dir_a));
    let sshd_b = Sshd::start_with_sftp_dir(&[public(&ed)], Some(&dir_b));
    let store = tempfile::tempdir().unwrap();
    let s = store.path();
    write_machine(s, "a", sshd_a.port, Some(&rsa));
    write_machine(s, "b", sshd_b.port, Some(&ed));

    std::fs::write(dir_a.join("f"), data(50_000, 7)).unwrap();
    let out = dm(s, &["scp", "a:f", "b:copied"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(sha256(&dir_b.join("copied")), sha256(&dir_a.join("f")));
    assert!(!dir_a.join("copied").exists(), "the copy went to a, not b");

    // And back, with an absolute path on one side.
    let out = dm(
        s,
        &[
            "scp",
            "b:copied",
            &format!("a:{}", dir_a.join("back").display()),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(sha256(&dir_a.join("back")), sha256(&dir_a.join("f")));
    assert!(!dir_b.join("back").exists());

    // Each machine's own host key was pinned, under its own name.
    for (name, sshd) in [("a", &sshd_a), ("b", &sshd_b)] {
        let host_key = std::fs::read_to_string(sshd.path("host_ed25519.pub")).unwrap();
        let host_key: Vec<&str> = host_key.split_whitespace().take(2).collect();
        assert_eq!(
            std::fs::read_to_string(s.join(format!("machines/{name}/known_hosts"))).unwrap(),
            format!("{name} {} {}\n", host_key[0], host_key[1])
        );
    }
}
