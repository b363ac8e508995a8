//! Failure suite, part 1: `kill -9` at every step of `create`, `rm` and
//! `regenerate-certs`, for the none driver and for the generic driver against a real
//! OpenSSH server on loopback. After each kill: `ls` works, every certificate pair is
//! whole or absent, `rm -f` removes the machine (and its lock file), and a new `create`
//! of the same name behaves as on a store that was never interrupted, leaving no debris.
//!
//! The kills land deterministically through the binary's test-only pause points
//! (`DM_TEST_PAUSE_AT=STEP`, read by debug builds only: libmachine's `testpoint`): the
//! process announces the step on stderr, stops there, and is sent SIGKILL.
//! (The qemu driver is not covered here: a create boots a VM, which is not cheap.)
#![cfg(unix)]

use crate::support::{self, isolated, isolated_cmd, Out};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use testkit::sshd as test_sshd;

const URL: &str = "tcp://127.0.0.1:1";

/// Kills injected and post-kill states checked, printed at the end of each test.
static KILLS: AtomicUsize = AtomicUsize::new(0);
static CHECKS: AtomicUsize = AtomicUsize::new(0);

/// The steps of writing the CA and the client certificate (first create, or a
/// replacement by `regenerate-certs --client-certs`).
const CERT_STEPS: &[&str] = &[
    "bootstrap-locked",
    "write-before-rename:ca-key.pem.pending",
    "pair-staged-key:ca.pem",
    "write-before-rename:ca.pem.pending",
    "pair-staged:ca.pem",
    "pair-key-renamed:ca.pem",
    "bootstrap-ca-done",
    "write-before-rename:key.pem.pending",
    "pair-staged-key:cert.pem",
    "write-before-rename:cert.pem.pending",
    "pair-staged:cert.pem",
    "pair-key-renamed:cert.pem",
];

/// The steps of `create` after the certificates.
const CREATE_STEPS: &[&str] = &[
    "write-before-rename:config.json",
    "create-saved",
    "create-driver-done",
];

const RM_STEPS: &[&str] = &["rm-remote-done", "rm-renamed"];

/// Run the binary with `args` until it reaches `step`, then SIGKILL it. Panics when the
/// step is never reached (a renamed step must not silently stop being tested).
fn kill_at(store: &Path, args: &[&str], step: &str) {
    let mut child = isolated_cmd(store)
        .args(args)
        .env("DM_TEST_PAUSE_AT", step)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut seen = String::new();
        for line in std::io::BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if line == format!("dm-test-pause: {}", step_of(&line)) {
                let _ = tx.send(Ok(()));
                return;
            }
            seen.push_str(&line);
            seen.push('\n');
        }
        let _ = tx.send(Err(seen));
    });
    let reached = rx.recv_timeout(Duration::from_secs(60));
    child.kill().unwrap();
    child.wait().unwrap();
    match reached {
        Ok(Ok(())) => {}
        Ok(Err(stderr)) => panic!("{args:?} never reached {step}: {stderr}"),
        Err(_) => panic!("{args:?} did not reach {step} within 60 s"),
    }
    KILLS.fetch_add(1, Ordering::Relaxed);
}

fn step_of(line: &str) -> &str {
    line.strip_prefix("dm-test-pause: ").unwrap_or("")
}

/// The store's certificate pairs are each whole (both files, matching) or absent, and
/// nothing but them is in `certs/` when `clean` is asked for.
fn assert_pairs(store: &Path, clean: bool, context: &str) {
    let certs = store.join("certs");
    for (c, k) in [("ca.pem", "ca-key.pem"), ("cert.pem", "key.pem")] {
        match (std::fs::read(certs.join(c)), std::fs::read(certs.join(k))) {
            (Ok(c_pem), Ok(k_pem)) => assert!(
                libmachine::cert::key_matches_cert(&c_pem, &k_pem),
                "{context}: {c} and {k} do not match"
            ),
            (Err(_), Err(_)) => {}
            (c_r, k_r) => panic!(
                "{context}: half a pair: {c} {}, {k} {}",
                c_r.is_ok(),
                k_r.is_ok()
            ),
        }
    }
    if clean {
        assert_eq!(
            dir_names(&certs),
            ["ca-key.pem", "ca.pem", "cert.pem", "key.pem"],
            "{context}: debris in certs/"
        );
    }
    CHECKS.fetch_add(1, Ordering::Relaxed);
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn ok(out: &Out, what: &str) {
    assert_eq!(out.code, 0, "{what}: {out:?}");
    assert!(
        !out.stderr.contains("panicked"),
        "{what} panicked: {}",
        out.stderr
    );
}

/// What must hold after a kill: `ls` lists (the interrupted certificate write finished),
/// the pairs are whole, `rm -f` removes the machine and its lock file.
fn check_after_kill(store: &Path, name: &str, context: &str) {
    let ls = isolated(store, &["ls"]);
    ok(&ls, &format!("{context}: ls"));
    assert_pairs(store, false, context);
    ok(
        &isolated(store, &["rm", "-f", name]),
        &format!("{context}: rm -f"),
    );
    let left = isolated(store, &["ls", "-q"]);
    ok(&left, &format!("{context}: ls -q"));
    assert!(
        !left.stdout.lines().any(|l| l == name),
        "{context}: {name} still listed"
    );
    assert!(
        !store.join(format!(".locks/machine-{name}.lock")).exists(),
        "{context}: the lock file outlived the machine"
    );
    CHECKS.fetch_add(1, Ordering::Relaxed);
}

/// After a new create: certificates whole with no debris, the machine directory clean.
fn check_recreated(store: &Path, name: &str, context: &str) {
    assert_pairs(store, true, context);
    let debris: Vec<String> = dir_names(&store.join("machines").join(name))
        .into_iter()
        .filter(|n| libmachine::fsutil::is_temp_name(n) || n.ends_with(".pending"))
        .collect();
    assert!(debris.is_empty(), "{context}: debris {debris:?}");
    let machines = dir_names(&store.join("machines"));
    assert!(
        !machines.iter().any(|n| n.starts_with(".rm-")),
        "{context}: {machines:?}"
    );
    CHECKS.fetch_add(1, Ordering::Relaxed);
}

fn report(test: &str) {
    eprintln!(
        "{test}: kills injected so far: {}, states checked so far: {}",
        KILLS.load(Ordering::Relaxed),
        CHECKS.load(Ordering::Relaxed)
    );
}

fn none_create(name: &str) -> Vec<String> {
    ["create", "-d", "none", "--url", URL, name]
        .map(String::from)
        .to_vec()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn kill_during_none_create_on_an_empty_store() {
    for step in CERT_STEPS.iter().chain(CREATE_STEPS) {
        let dir = tempfile::tempdir().unwrap();
        let store = dir.path();
        let context = format!("create killed at {step}");
        kill_at(store, &strs(&none_create("v")), step);
        check_after_kill(store, "v", &context);
        ok(&isolated(store, &strs(&none_create("v"))), &context);
        check_recreated(store, "v", &context);
        let ls = isolated(store, &["ls", "--format", "{{.Name}} {{.State}}"]);
        assert_eq!(ls.stdout, "v Running\n", "{context}");
    }
    report("kill_during_none_create_on_an_empty_store");
}

#[test]
fn kill_during_none_rm_and_regenerate_certs() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    support::create_none(store, "keep", URL);
    for step in RM_STEPS {
        support::create_none(store, "v", URL);
        let context = format!("rm killed at {step}");
        kill_at(store, &["rm", "-y", "v"], step);
        check_after_kill(store, "v", &context);
        ok(&isolated(store, &strs(&none_create("v"))), &context);
        check_recreated(store, "v", &context);
        ok(&isolated(store, &["rm", "-y", "v"]), &context);
    }
    // Replacing the CA and client certificate: the old pair or the new one, never a mix.
    for step in &CERT_STEPS[1..] {
        support::create_none(store, "v", URL);
        let context = format!("regenerate-certs killed at {step}");
        kill_at(
            store,
            &["regenerate-certs", "-f", "--client-certs", "v"],
            step,
        );
        check_after_kill(store, "v", &context);
        ok(&isolated(store, &strs(&none_create("v"))), &context);
        check_recreated(store, "v", &context);
        ok(&isolated(store, &["rm", "-y", "v"]), &context);
    }
    let ls = isolated(store, &["ls", "--format", "{{.Name}} {{.State}}"]);
    assert_eq!(ls.stdout, "keep Running\n");
    report("kill_during_none_rm_and_regenerate_certs");
}

/// A generic machine on the test sshd. Its key may only run a forced command that
/// prints an unknown OS, so provisioning stops at OS detection and nothing is ever
/// installed on this host; everything before it (SSH waits, key copy, pinning) is real.
struct Generic {
    _sshd: test_sshd::Sshd,
    key: PathBuf,
    _keys: tempfile::TempDir,
}

impl Generic {
    fn start() -> Generic {
        let keys = tempfile::tempdir().unwrap();
        let key = keys.path().join("id_rsa");
        libmachine::ssh::keys::generate_key_pair(&key).unwrap();
        let public = std::fs::read_to_string(libmachine::ssh::keys::public_key_path(&key))
            .unwrap()
            .trim_end()
            .to_string();
        let sshd = test_sshd::Sshd::start(&[format!(
            "restrict,command=\"echo ID=dm-failure-test\" {public}"
        )]);
        Generic {
            _sshd: sshd,
            key,
            _keys: keys,
        }
    }

    fn create_args(&self, name: &str) -> Vec<String> {
        [
            "create",
            "-d",
            "generic",
            "--generic-ip-address",
            "127.0.0.1",
            "--generic-ssh-port",
            &self._sshd.port.to_string(),
            "--generic-ssh-user",
            &test_sshd::current_user(),
            "--generic-ssh-key",
            self.key.to_str().unwrap(),
            "--generic-engine-port",
            &testkit::free_port().to_string(),
            name,
        ]
        .map(String::from)
        .to_vec()
    }
}

/// The last line of a create that stopped at OS detection.
fn detect_failure(out: &Out) -> String {
    assert_eq!(out.code, 1, "{out:?}");
    let line = out.stderr.lines().last().unwrap_or_default().to_string();
    assert!(line.contains("Error detecting OS"), "{out:?}");
    line
}

#[test]
fn kill_during_generic_create_rm_and_regenerate_certs() {
    testkit::require_sshd!();
    let host = Generic::start();
    // What an uninterrupted create on a fresh store says.
    let fresh = tempfile::tempdir().unwrap();
    let expected = detect_failure(&isolated(fresh.path(), &strs(&host.create_args("g"))));
    let expected = expected.replace(fresh.path().to_str().unwrap(), "STORE");

    let create_steps = [
        "bootstrap-locked",
        "pair-key-renamed:ca.pem",
        "pair-staged:cert.pem",
        "create-saved",
        "write-before-rename:id_rsa",
        "create-driver-done",
        "create-running",
    ];
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path();
    let again = |context: &str| {
        let out = isolated(store, &strs(&host.create_args("g")));
        let line = detect_failure(&out).replace(store.to_str().unwrap(), "STORE");
        assert_eq!(line, expected, "{context}");
        check_recreated(store, "g", context);
    };
    for step in create_steps {
        let context = format!("generic create killed at {step}");
        ok(&isolated(store, &["rm", "-f", "g"]), &context);
        let _ = std::fs::remove_dir_all(store.join("certs"));
        kill_at(store, &strs(&host.create_args("g")), step);
        check_after_kill(store, "g", &context);
        again(&context);
    }
    for step in RM_STEPS {
        let context = format!("generic rm killed at {step}");
        kill_at(store, &["rm", "-y", "g"], step);
        check_after_kill(store, "g", &context);
        again(&context);
    }
    for step in ["pair-staged:ca.pem", "pair-key-renamed:cert.pem"] {
        let context = format!("generic regenerate-certs killed at {step}");
        kill_at(
            store,
            &["regenerate-certs", "-f", "--client-certs", "g"],
            step,
        );
        check_after_kill(store, "g", &context);
        again(&context);
    }
    report("kill_during_generic_create_rm_and_regenerate_certs");
}
