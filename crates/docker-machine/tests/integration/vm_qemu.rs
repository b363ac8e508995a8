//! The qemu driver end to end, through the real binary, on real QEMU (TCG here): create
//! (the test-bed base image booted directly, Docker installed by provisioning, which
//! leaves a Docker-ready image), ls, env + the docker CLI, ssh, stop, two machines from
//! the Docker-ready image on one `--qemu-network` (ports, identities, each reaching the
//! other; rm of one leaves the other working), start on a taken port, kill, restart
//! (from a shell holding a pipe on fd 3, which must see EOF although the VM keeps
//! running), regenerate-certs, rm with no QEMU process left. At most two VMs at a time,
//! steps in order.
//!
//! Runs only with `DM_VM_TESTS=1` (root, QEMU, the Debian mirror reachable); otherwise
//! it prints why and passes.

use crate::support::*;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// QEMU processes whose command line mentions `needle` (a machine directory).
fn qemu_processes(needle: &str) -> Vec<u32> {
    let mut pids = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let cmdline = String::from_utf8_lossy(&cmdline);
        if cmdline.contains("qemu-system") && cmdline.contains(needle) {
            pids.push(pid);
        }
    }
    pids
}

fn config(store: &Path, name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(store.join("machines").join(name).join("config.json"))
        .unwrap_or_default();
    serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
}

fn ports(store: &Path, name: &str) -> (i64, i64) {
    let c = config(store, name);
    (
        c["Driver"]["SSHPort"].as_i64().unwrap_or(0),
        c["Driver"]["EnginePort"].as_i64().unwrap_or(0),
    )
}

fn ls_row(store: &Path, name: &str) -> Vec<String> {
    let out = dm(store, &["ls"]);
    assert_eq!(out.code, 0, "{out:?}");
    out.stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no row for {name}: {out:?}"))
        .split_whitespace()
        .map(String::from)
        .collect()
}

/// `docker-machine ARGS` run by a shell that holds a pipe on fd 3, as bats' TAP stream or
/// make's jobserver (issue 13): the shell gives docker-machine that pipe as fd 3 and its
/// output on stderr. Returns the run and whether the pipe's reader saw EOF within 30 s
/// of the shell's exit, i.e. whether nothing the command left running holds the pipe.
fn dm_holding_a_pipe(store: &Path, args: &[&str]) -> (Out, bool) {
    let mut shell = std::process::Command::new("bash");
    for (k, v) in dm_cmd(store).get_envs() {
        match v {
            Some(v) => shell.env(k, v),
            None => shell.env_remove(k),
        };
    }
    let start = Instant::now();
    let mut child = shell
        .args(["-c", r#""$0" "$@" 3>&1 1>&2"#, BIN])
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut pipe = child.stdout.take().unwrap();
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    let status = child.wait().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        let _ = tx.send(());
    });
    let eof = rx.recv_timeout(Duration::from_secs(30)).is_ok();
    let out = Out {
        code: status.code().unwrap_or(-1),
        stdout: String::new(),
        stderr,
        secs: start.elapsed().as_secs_f64(),
    };
    (out, eof)
}

/// Removes every machine of the store (and so kills their VMs) when dropped.
struct Cleanup<'a>(&'a Path);

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        let _ = dm_cmd(self.0)
            .args(["rm", "-f", "-y", "q1", "q2", "q3"])
            .stdin(Stdio::null())
            .output();
    }
}

#[test]
fn vm_qemu_lifecycle() {
    if !vm_tests_enabled("vm_qemu_lifecycle") {
        return;
    }
    let phase = |what: &str, since: Instant| {
        eprintln!(
            "[vm test] phase {what}: {:.1} s",
            since.elapsed().as_secs_f64()
        )
    };
    let image = testbed_dir("build-image.sh");
    let busybox = testbed_dir("busybox-image.sh").join("busybox.tar");
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let _cleanup = Cleanup(&store);
    let store_s = store.to_string_lossy().into_owned();
    let q1_dir = format!("{store_s}/machines/q1");
    let boot = |name: &'static str| -> Vec<String> {
        vec![
            "create".into(),
            "-d".into(),
            "qemu".into(),
            // Nothing listens on the VM's own port 9: provisioning falls back to Debian's
            // packages without the VM ever trying to reach get.docker.com.
            "--engine-install-url".into(),
            "http://127.0.0.1:9/install.sh".into(),
            "--qemu-image".into(),
            image.join("base.qcow2").to_string_lossy().into_owned(),
            "--qemu-kernel".into(),
            image.join("vmlinuz").to_string_lossy().into_owned(),
            "--qemu-initrd".into(),
            image.join("initrd.img").to_string_lossy().into_owned(),
            name.into(),
        ]
    };

    // create: boot, wait for SSH, install Docker from the mirror, TLS on the forward.
    let t = Instant::now();
    let args = boot("q1");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = dm_timed(&store, &args);
    phase("create q1", t);
    assert_eq!(out.code, 0, "create: {out:?}");
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("(q1) Starting the VM with TCG")
                || l.starts_with("(q1) Starting the VM with KVM")),
        "the driver says how the VM is accelerated: {out:?}"
    );
    assert!(
        out.stdout.contains("\nProvisioning with debian...\n"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("\nDocker is up and running!\n"),
        "{out:?}"
    );
    assert_eq!(
        qemu_processes(&q1_dir).len(),
        1,
        "one QEMU for q1, outliving create"
    );
    let (ssh1, docker1) = ports(&store, "q1");
    assert!(ssh1 > 0 && docker1 > 0 && ssh1 != docker1);

    // ls, ip, url.
    let row = ls_row(&store, "q1");
    assert_eq!(row[..4], ["q1", "-", "qemu", "Running"], "{row:?}");
    assert_eq!(row[4], format!("tcp://127.0.0.1:{docker1}"));
    assert!(row[5].starts_with("v20.10"), "DOCKER column: {row:?}");
    assert_eq!(dm(&store, &["ip", "q1"]).stdout, "127.0.0.1\n");
    assert_eq!(
        dm(&store, &["url", "q1"]).stdout,
        format!("tcp://127.0.0.1:{docker1}\n")
    );

    // env + the real docker CLI.
    let docker = |script: &str| docker_on(&store, "q1", &busybox, script);
    let out =
        docker("docker ps; docker load -i \"$BUSYBOX\"; docker run --rm busybox echo hello world");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.lines().any(|l| l == "hello world"), "{out:?}");

    // ssh: the hostname came from the seed; the exit status comes through.
    let out = dm(&store, &["ssh", "q1", "--", "hostname"]);
    assert_eq!((out.code, out.stdout.trim()), (0, "q1"), "{out:?}");
    assert_eq!(dm(&store, &["ssh", "q1", "--", "exit", "4"]).code, 4);
    // The host key made at create and given to cloud-init is the VM's only one, and the
    // one pinned before the first boot.
    let out = dm(
        &store,
        &[
            "ssh",
            "q1",
            "--",
            "sudo",
            "sh",
            "-c",
            "'cat /etc/ssh/ssh_host_*_key.pub'",
        ],
    );
    let vm_keys: Vec<String> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().take(2).collect::<Vec<_>>().join(" "))
        .collect();
    let pinned = std::fs::read_to_string(store.join("machines/q1/known_hosts")).unwrap();
    assert_eq!(vm_keys.len(), 1, "{out:?}");
    assert_eq!(pinned, format!("q1 {}\n", vm_keys[0]), "{out:?}");
    // The root file system grew to --qemu-disk-size (20000 MB by default; the image is 4 GiB).
    let out = dm(
        &store,
        &["ssh", "q1", "--", "df", "-m", "--output=size", "/"],
    );
    let size_mb: u64 = out
        .stdout
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    assert!(size_mb > 15_000, "root file system {size_mb} MB: {out:?}");

    // stop: ACPI power-down; the process is gone.
    let t = Instant::now();
    let out = dm_timed(&store, &["stop", "q1"]);
    phase("stop", t);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "Stopping \"q1\"...\nMachine \"q1\" was stopped.\n"
    );
    assert_eq!(ls_row(&store, "q1")[..4], ["q1", "-", "qemu", "Stopped"]);
    assert!(qemu_processes(&q1_dir).is_empty());

    // Two machines from the Docker-ready image q1 left, on one private network: no
    // Docker install, identities of their own, each reaches the other. q1 stays
    // stopped meanwhile (three TCG VMs would crowd two cores).
    let ready: Vec<_> = std::fs::read_dir(store.join("cache/qemu/docker-ready"))
        .expect("q1 left a Docker-ready image")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        ready.len() == 1 && ready[0].contains("-docker-20.10") && ready[0].ends_with(".qcow2"),
        "{ready:?}"
    );
    for name in ["q2", "q3"] {
        let t = Instant::now();
        let mut args = boot(name);
        args.splice(3..3, ["--qemu-network".to_string(), "lab".to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = dm_timed(&store, &args);
        phase(&format!("create {name} from the Docker-ready image"), t);
        assert_eq!(out.code, 0, "create {name}: {out:?}");
        assert!(
            out.stdout.contains(&format!(
                "({name}) Booting the Docker-ready image from the cache..."
            )),
            "{out:?}"
        );
        assert!(
            !out.stdout.contains("Saving a Docker-ready image"),
            "{out:?}"
        );
    }
    let (ssh2, docker2) = ports(&store, "q2");
    let (ssh3, docker3) = ports(&store, "q3");
    let all = [ssh1, docker1, ssh2, docker2, ssh3, docker3];
    assert!(
        (1..all.len()).all(|i| !all[..i].contains(&all[i])),
        "every machine has ports of its own: {all:?}"
    );
    // Identities: host key, machine-id, dockerd's ID, server certificate.
    let identity = |name: &str| -> Vec<String> {
        let out = dm(
            &store,
            &[
                "ssh",
                name,
                "--",
                "sudo sh -c 'cat /etc/ssh/ssh_host_ed25519_key.pub | cut -d\" \" -f2; cat /etc/machine-id; docker info --format {{.ID}}; sha256sum /etc/docker/server.pem | cut -c1-64'",
            ],
        );
        assert_eq!(out.code, 0, "{out:?}");
        let lines: Vec<String> = out.stdout.lines().map(String::from).collect();
        assert_eq!(lines.len(), 4, "{out:?}");
        assert!(lines.iter().all(|l| l.len() >= 20), "{out:?}");
        lines
    };
    let (id2, id3) = (identity("q2"), identity("q3"));
    for (a, b) in id2.iter().zip(&id3) {
        assert_ne!(a, b, "q2 and q3 share an identity: {id2:?} {id3:?}");
    }
    let pinned = std::fs::read_to_string(store.join("machines/q2/known_hosts")).unwrap();
    assert!(pinned.contains(&id2[0]), "q2's host key is the pinned one");
    // The machine network: inspect shows each address; each reaches the other's SSH
    // server there (the test-bed image has no ping).
    let address = |name: &str| -> String {
        let out = dm(
            &store,
            &["inspect", "-f", "{{.Driver.NetworkAddress}}", name],
        );
        assert_eq!(out.code, 0, "{out:?}");
        out.stdout.trim().to_string()
    };
    let (ip2, ip3) = (address("q2"), address("q3"));
    assert_eq!((ip2.as_str(), ip3.as_str()), ("10.76.0.2", "10.76.0.3"));
    for (from, to) in [("q2", &ip3), ("q3", &ip2)] {
        let probe = format!("timeout 20 bash -c 'exec 3<>/dev/tcp/{to}/22; head -c 8 <&3'");
        let out = dm(&store, &["ssh", from, "--", &probe]);
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "SSH-2.0-"),
            "{from} reaches {to}: {out:?}"
        );
    }
    // rm of one machine leaves the other's overlay of the same image working.
    let out = dm(&store, &["rm", "-y", "q2"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = dm(
        &store,
        &[
            "ssh", "q3", "--", "sudo", "docker", "info", "--format", "{{.ID}}",
        ],
    );
    assert_eq!(
        (out.code, out.stdout.trim()),
        (0, id3[2].as_str()),
        "{out:?}"
    );
    let out = dm(&store, &["rm", "-y", "q3"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        qemu_processes(&format!("{store_s}/machines/q")).is_empty(),
        "no QEMU left"
    );

    // start while something else holds the SSH and Docker ports: new ports, Docker works
    // again, through env and through the machine's docker context (which follows the port).
    let squatter =
        std::net::TcpListener::bind(("127.0.0.1", u16::try_from(ssh1).unwrap())).unwrap();
    let docker_squatter =
        std::net::TcpListener::bind(("127.0.0.1", u16::try_from(docker1).unwrap())).unwrap();
    let t = Instant::now();
    let out = dm_timed(&store, &["start", "q1"]);
    phase("start (port taken)", t);
    drop(squatter);
    drop(docker_squatter);
    assert_eq!(out.code, 0, "{out:?}");
    let (ssh1b, docker1b) = ports(&store, "q1");
    assert_ne!(ssh1b, ssh1, "a taken port is replaced");
    assert_ne!(docker1b, docker1, "a taken port is replaced");
    let out = docker_with_contexts(&store, "docker --context q1 ps");
    assert_eq!(out.code, 0, "the context follows the new port: {out:?}");
    assert_eq!(ls_row(&store, "q1")[3], "Running");
    let out = docker("docker run --rm busybox echo after start");
    assert_eq!(out.code, 0, "{out:?}");

    // kill, then restart (from stopped, restart starts it).
    let t = Instant::now();
    let out = dm(&store, &["kill", "q1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(qemu_processes(&q1_dir).is_empty(), "killed");
    assert_eq!(ls_row(&store, "q1")[3], "Stopped");
    let (out, eof) = dm_holding_a_pipe(&store, &["restart", "q1"]);
    phase("kill + restart", t);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(eof, "the restarted VM holds its caller's fd 3: {out:?}");
    assert_eq!(qemu_processes(&q1_dir).len(), 1, "the VM runs");
    let out = docker("docker ps");
    assert_eq!(out.code, 0, "after restart: {out:?}");

    // regenerate-certs, then Docker still answers over TLS.
    let t = Instant::now();
    let out = dm_timed(&store, &["regenerate-certs", "-f", "q1"]);
    phase("regenerate-certs", t);
    assert_eq!(out.code, 0, "{out:?}");
    let out = docker("docker run --rm busybox echo after regenerate");
    assert_eq!(out.code, 0, "{out:?}");
    let out = docker_with_contexts(&store, "docker --context q1 ps");
    assert_eq!(out.code, 0, "after regenerate-certs: {out:?}");

    // rm: the VM and its folder are gone.
    let out = dm(&store, &["rm", "-y", "q1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!store.join("machines/q1").exists());
    assert!(qemu_processes(&store_s).is_empty(), "no QEMU process left");
    let out = docker_with_contexts(&store, "docker context inspect q1");
    assert_ne!(out.code, 0, "the context goes with the machine: {out:?}");
}
