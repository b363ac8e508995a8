//! The generic driver end to end against a real Debian 12 VM (QEMU, `tests/testbed/`),
//! through the real binary: create (Docker installed by provisioning from Debian's
//! mirror), ls, env + docker, ssh, scp, regenerate-certs, provision, failing creates,
//! rm; then the boot2docker provisioner on the same VM made to look like boot2docker.
//! One test function on one VM (VMs are slow); steps run in order.
//!
//! Runs only with `DM_VM_TESTS=1` (root, QEMU, the Debian mirror reachable; about 10
//! minutes on 2 cores with TCG). Otherwise it prints why and passes.
//!
//! The VM is reached through QEMU port forwards on 127.0.0.1: SSH on a free port, and the
//! Docker port on another free port forwarded to 2376 inside. So the machine is created
//! with `--generic-engine-port <forwarded port>` (the Docker URL) and
//! `--generic-engine-listen-port 2376` (where dockerd listens inside the VM).

use crate::support::*;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A create that must fail at the SSH step with a one-line error, and be removable.
fn failing_create(store: &Path, name: &str, args: &[&str], expect: &str) {
    let mut all = vec!["create", "-d", "generic"];
    all.extend_from_slice(args);
    all.push(name);
    let out = dm(store, &all);
    eprintln!("[vm test] {name}: {}", out.stderr.trim_end());
    assert_eq!(out.code, 1, "{name}: {out:?}");
    let err = out.stderr.trim_end();
    assert_eq!(err.lines().count(), 1, "{name}: one line: {out:?}");
    assert!(err.starts_with(expect), "{name}: {out:?}");
    // Saved before the risky steps: listed, and `rm -f` removes it.
    let ls = dm(store, &["ls", "-q"]);
    assert!(ls.stdout.lines().any(|l| l == name), "{ls:?}");
    let rm = dm(store, &["rm", "-f", name]);
    assert_eq!(rm.code, 0, "{rm:?}");
    assert!(!store.join("machines").join(name).exists());
}

/// An install script URL that cannot be fetched on the machine (nothing listens on the
/// VM's own port 9), so that provisioning falls back to Debian's packages without the
/// VM ever trying to reach get.docker.com: tests talk only to loopback and the mirror.
const LOCAL_INSTALL_URL: &str = "http://127.0.0.1:9/install.sh";

#[test]
fn vm_generic_end_to_end() {
    if !vm_tests_enabled("vm_generic_end_to_end") {
        return;
    }
    let t0 = Instant::now();
    let phase = |what: &str, since: Instant| {
        eprintln!(
            "[vm test] phase {what}: {:.1} s",
            since.elapsed().as_secs_f64()
        );
    };

    // The base image (no Docker: provisioning installs it) and a busybox image tarball.
    let t = Instant::now();
    let image = testbed_dir("build-image.sh");
    let busybox = testbed_dir("busybox-image.sh").join("busybox.tar");
    assert!(busybox.is_file());
    phase("images", t);

    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let t = Instant::now();
    let vm = Vm::start(&tmp.path().join("vm"), &image);
    phase("vm start", t);
    let (ssh_port, docker_port) = (
        vm.var("SSH_PORT").to_string(),
        vm.var("DOCKER_PORT").to_string(),
    );
    let (user, key) = (
        vm.var("SSH_USER").to_string(),
        vm.var("SSH_KEY").to_string(),
    );

    // create: waits for SSH and cloud-init itself, installs docker.io from the mirror.
    let t = Instant::now();
    let args = create_generic_args(&vm, &["--engine-install-url", LOCAL_INSTALL_URL], "g1");
    let out = dm_timed(&store, &args.iter().map(String::as_str).collect::<Vec<_>>());
    phase("create g1", t);
    assert_eq!(out.code, 0, "create: {out:?}");
    let store_s = store.display().to_string();
    let fallback = "Installing Docker from the distribution's packages (docker.io apparmor ca-certificates): the install script http://127.0.0.1:9/install.sh cannot be downloaded on the machine";
    let got: Vec<&str> = lines(&out.stdout)
        .into_iter()
        .filter(|l| !l.starts_with(fallback))
        .collect();
    assert!(
        out.stdout.lines().any(|l| l.starts_with(fallback)),
        "the fallback is said: {out:?}"
    );
    let want = [
        format!("Creating CA: {store_s}/certs/ca.pem"),
        format!("Creating client certificate: {store_s}/certs/cert.pem"),
        "Running pre-create checks...".into(),
        "Creating machine...".into(),
        "(g1) Importing SSH key...".into(),
        "Waiting for machine to be running, this may take a few minutes...".into(),
        "Detecting operating system of created instance...".into(),
        "Waiting for SSH to be available...".into(),
        "Detecting the provisioner...".into(),
        "Provisioning with debian...".into(),
        "Copying certs to the local machine directory...".into(),
        "Copying certs to the remote machine...".into(),
        "Setting Docker configuration on the remote daemon...".into(),
        "Checking connection to Docker...".into(),
        "Docker is up and running!".into(),
        format!("To see how to connect your Docker Client to the Docker Engine running on this virtual machine, run: {BIN} env g1"),
    ];
    assert_eq!(got, want, "create output: {out:?}");
    let mdir = store.join("machines/g1");
    for f in [
        "ca.pem",
        "cert.pem",
        "key.pem",
        "server.pem",
        "server-key.pem",
        "config.json",
    ] {
        assert!(mdir.join(f).is_file(), "{f}");
    }

    // ls: Running, with the engine version.
    let out = dm(&store, &["ls"]);
    let row = out
        .stdout
        .lines()
        .find(|l| l.starts_with("g1 "))
        .unwrap_or_else(|| panic!("{out:?}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cols[..3], ["g1", "-", "generic"], "{out:?}");
    assert_eq!(cols[3], "Running", "{out:?}");
    assert_eq!(cols[4], format!("tcp://127.0.0.1:{docker_port}"), "{out:?}");
    assert!(cols[5].starts_with("v20.10"), "DOCKER column: {out:?}");

    // env + the real docker CLI: ps, load, run.
    let docker = |script: &str| docker_on(&store, "g1", &busybox, script);
    let out =
        docker("docker ps; docker load -i \"$BUSYBOX\"; docker run --rm busybox echo hello world");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.lines().any(|l| l == "hello world"), "{out:?}");
    // The docker context create wrote reaches the same daemon.
    let out = docker_with_contexts(&store, "docker --context g1 ps");
    assert_eq!(out.code, 0, "docker --context g1: {out:?}");

    // ssh passes the remote status through; scp round trip.
    let out = dm(&store, &["ssh", "g1", "--", "exit", "3"]);
    assert_eq!(out.code, 3, "{out:?}");
    // The host key seen by create's first connection is pinned; it is the host's.
    let out = dm(
        &store,
        &[
            "ssh",
            "g1",
            "--",
            "cat",
            "/etc/ssh/ssh_host_ed25519_key.pub",
        ],
    );
    let host_key: Vec<&str> = out.stdout.split_whitespace().take(2).collect();
    let pinned = std::fs::read_to_string(store.join("machines/g1/known_hosts")).unwrap();
    assert_eq!(pinned, format!("g1 {}\n", host_key.join(" ")), "{out:?}");
    let local = tmp.path().join("payload.bin");
    let data: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(&local, &data).unwrap();
    let out = dm(
        &store,
        &["scp", local.to_str().unwrap(), "g1:/tmp/payload.bin"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let remote = dm(&store, &["ssh", "g1", "sha256sum", "/tmp/payload.bin"]);
    assert_eq!(remote.code, 0, "{remote:?}");
    let back = tmp.path().join("back.bin");
    let out = dm(
        &store,
        &["scp", "g1:/tmp/payload.bin", back.to_str().unwrap()],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let want_sum = sha256(&local);
    assert_eq!(
        remote.stdout.split_whitespace().next(),
        Some(want_sum.as_str())
    );
    assert_eq!(sha256(&back), want_sum);

    // regenerate-certs: a new server certificate, the daemon restarted, docker works.
    let t = Instant::now();
    let before = std::fs::read(mdir.join("server.pem")).unwrap();
    let out = dm_timed(&store, &["regenerate-certs", "-f", "g1"]);
    phase("regenerate-certs", t);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.starts_with("Regenerating TLS certificates\n"),
        "{out:?}"
    );
    assert!(
        !out.stdout.contains("Installing Docker"),
        "no reinstall: {out:?}"
    );
    assert_ne!(std::fs::read(mdir.join("server.pem")).unwrap(), before);
    let out = docker("docker ps");
    assert_eq!(out.code, 0, "{out:?}");

    // provision again: idempotent.
    let t = Instant::now();
    let out = dm_timed(&store, &["provision", "g1"]);
    phase("provision (again)", t);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .starts_with("Waiting for SSH to be available...\nDetecting the provisioner...\n"),
        "{out:?}"
    );
    let out = docker("docker run --rm busybox echo again");
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("again"), "{out:?}");

    // restart: the generic driver reboots the host over SSH; then the daemon wait on the
    // port dockerd really listens on (2376 inside, not the URL's forwarded port).
    let t = Instant::now();
    let out = dm_timed(&store, &["restart", "g1"]);
    phase("restart (reboot)", t);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        lines(&out.stdout),
        [
            "Restarting \"g1\"...",
            "Waiting for SSH to be available...",
            "Detecting the provisioner...",
            "Restarted machines may have new IP addresses. You may need to re-run the `docker-machine env` command.",
        ],
        "{out:?}"
    );
    let out = docker("docker ps");
    assert_eq!(out.code, 0, "after the reboot: {out:?}");

    // upgrade: Debian's docker.io is what gets upgraded (not docker-engine).
    let t = Instant::now();
    let out = dm_timed(&store, &["upgrade", "g1"]);
    phase("upgrade", t);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        lines(&out.stdout),
        [
            "Waiting for SSH to be available...",
            "Detecting the provisioner...",
            "Upgrading docker...",
            "Restarting docker...",
        ],
        "{out:?}"
    );
    let out = docker("docker ps");
    assert_eq!(out.code, 0, "after the upgrade: {out:?}");

    // regenerate-certs --client-certs: a new CA and client certificate for real.
    let t = Instant::now();
    let ca_before = std::fs::read(store.join("certs/ca.pem")).unwrap();
    let out = dm_timed(&store, &["regenerate-certs", "-f", "--client-certs", "g1"]);
    phase("regenerate-certs --client-certs", t);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.starts_with(&format!(
            "Regenerating TLS certificates\nRegenerating local certificates\nCreating CA: {store_s}/certs/ca.pem\n"
        )),
        "{out:?}"
    );
    assert_ne!(
        std::fs::read(store.join("certs/ca.pem")).unwrap(),
        ca_before
    );
    assert_eq!(
        std::fs::read(store.join("certs/ca.pem")).unwrap(),
        std::fs::read(mdir.join("ca.pem")).unwrap(),
        "DOCKER_CERT_PATH has the new CA"
    );
    let out = docker("docker ps");
    assert_eq!(out.code, 0, "with the new CA: {out:?}");
    // The context follows the new CA and client certificate (its old copies would fail).
    let out = docker_with_contexts(&store, "docker --context g1 ps");
    assert_eq!(out.code, 0, "docker --context g1 with the new CA: {out:?}");

    // Failing creates: clear one-line errors naming the step, within the bounded wait.
    let t = Instant::now();
    let wrong_key = tmp.path().join("wrong_key");
    let out = run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&wrong_key));
    assert_eq!(out.code, 0, "{out:?}");
    let common = [
        "--generic-ip-address",
        "127.0.0.1",
        "--generic-ssh-port",
        &ssh_port,
        "--generic-engine-port",
        &docker_port,
        "--ssh-wait-timeout",
        "20",
    ];
    let ssh_step = "Error creating machine: Error detecting OS: Too many retries waiting for SSH to be available.  Last error: ";
    let mut args: Vec<&str> = common.to_vec();
    args.extend([
        "--generic-ssh-user",
        &user,
        "--generic-ssh-key",
        wrong_key.to_str().unwrap(),
    ]);
    failing_create(&store, "badkey", &args, ssh_step);
    let mut args: Vec<&str> = common.to_vec();
    args.extend([
        "--generic-ssh-user",
        "nosuchuser",
        "--generic-ssh-key",
        &key,
    ]);
    failing_create(&store, "baduser", &args, ssh_step);
    let closed = testkit::free_port().to_string();
    let started = Instant::now();
    let args = [
        "--generic-ip-address",
        "127.0.0.1",
        "--generic-ssh-port",
        &closed,
        "--generic-engine-port",
        &closed,
        "--generic-ssh-user",
        &user,
        "--generic-ssh-key",
        &key,
        "--ssh-wait-timeout",
        "15",
    ];
    failing_create(
        &store,
        "closed",
        &args,
        "Error creating machine: Error waiting for machine to be running: ",
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "bounded: {:?}",
        started.elapsed()
    );
    // A user without sudo, and an OS no provisioner knows: clear errors naming the step.
    let out = vm.ssh(
        "sudo useradd -m -s /bin/bash nosudo && sudo mkdir -p /home/nosudo/.ssh \
         && sudo cp ~/.ssh/authorized_keys /home/nosudo/.ssh/ && sudo chown -R nosudo: /home/nosudo/.ssh",
    );
    assert_eq!(out.code, 0, "{out:?}");
    let mut args: Vec<&str> = common.to_vec();
    args.extend(["--generic-ssh-user", "nosudo", "--generic-ssh-key", &key]);
    failing_create(
        &store,
        "nosudo",
        &args,
        "Error creating machine: Error running provisioning: ",
    );
    let out = vm.ssh("sudo cp --remove-destination /usr/lib/os-release /etc/os-release && sudo sed -i 's/^ID=.*/ID=plan9/; /^ID_LIKE=/d' /etc/os-release");
    assert_eq!(out.code, 0, "{out:?}");
    let mut args: Vec<&str> = common.to_vec();
    args.extend(["--generic-ssh-user", &user, "--generic-ssh-key", &key]);
    failing_create(
        &store,
        "plan9",
        &args,
        "Error creating machine: Error detecting OS: OS type not recognized",
    );
    let out = vm.ssh("sudo ln -sf ../usr/lib/os-release /etc/os-release");
    assert_eq!(out.code, 0, "{out:?}");
    // No systemd: the directory sd_booted(3) looks for is what a machine booted with
    // another init (or a container) lacks; hidden here for one create.
    let out = vm.ssh("sudo mv /run/systemd/system /run/systemd/system.hidden");
    assert_eq!(out.code, 0, "{out:?}");
    failing_create(
        &store,
        "nosystemd",
        &args,
        "Error creating machine: Error running provisioning: the machine does not run systemd",
    );
    let out = vm.ssh("sudo mv /run/systemd/system.hidden /run/systemd/system");
    assert_eq!(out.code, 0, "{out:?}");
    // The engine port taken by another program: named before anything is installed.
    let out = vm.ssh("sudo systemd-run --unit=squatter python3 -m http.server 2377 && for i in $(seq 50); do ss -tln | grep -q ':2377 ' && exit 0; sleep 0.2; done; exit 1");
    assert_eq!(out.code, 0, "{out:?}");
    let mut busy = args.clone();
    busy.extend(["--generic-engine-listen-port", "2377"]);
    failing_create(
        &store,
        "portbusy",
        &busy,
        "Error creating machine: Error running provisioning: port 2377 on the machine is already in use by python3",
    );
    let out = vm.ssh("sudo systemctl stop squatter");
    assert_eq!(out.code, 0, "{out:?}");
    phase("failing creates", t);

    // rm: the TLS configuration leaves the host, Docker keeps running without it.
    let t = Instant::now();
    let out = dm(&store, &["rm", "-y", "g1"]);
    phase("rm", t);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Successfully removed g1"), "{out:?}");
    assert!(!mdir.exists());
    let out = docker_with_contexts(&store, "docker context inspect g1");
    assert_ne!(out.code, 0, "the context goes with the machine: {out:?}");
    let out = vm.ssh(
        "test ! -e /etc/docker/server.pem && test ! -e /etc/docker/server-key.pem && test ! -e /etc/docker/ca.pem \
         && test ! -e /etc/systemd/system/docker.service.d/10-machine.conf && systemctl is-active docker && sudo docker version >/dev/null && echo clean",
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("clean"), "{out:?}");

    plugin_machine_on_the_vm(&store, &vm, &busybox);
    let t = Instant::now();
    boot2docker_on_the_same_vm(&vm, &store, &busybox);
    phase("boot2docker provisioner", t);

    eprintln!("[vm test] total {:.1} s", t0.elapsed().as_secs_f64());
    drop(vm);
}

/// A third-party plugin machine on the same VM, through the Go-built test plugin
/// (`tests/goplugin`): create provisions for real through the plugin, then ls, env and
/// the docker CLI, ssh, stop, start, rm.
fn plugin_machine_on_the_vm(store: &Path, vm: &Vm, busybox: &Path) {
    let t = Instant::now();
    // The plugin's SSH, Docker and state all come over RPC; PATH finds the plugin.
    std::env::set_var("PATH", path_with(&go_plugin_dir()));
    let (ssh_port, docker_port) = (vm.var("SSH_PORT"), vm.var("DOCKER_PORT"));
    // 0.16.2 plugins have one Docker port, outside and inside the machine, but the VM's
    // forward arrives on 2376 inside: redirect it to the port the URL names.
    let out = vm.ssh(&format!(
        "sudo iptables -t nat -I PREROUTING -p tcp --dport 2376 -j REDIRECT --to-ports {docker_port}"
    ));
    assert_eq!(out.code, 0, "{out:?}");
    let out = dm_timed(
        store,
        &[
            "create",
            "-d",
            "fake",
            "--fake-ip-address",
            "127.0.0.1",
            "--fake-ssh-port",
            ssh_port,
            "--fake-ssh-user",
            vm.var("SSH_USER"),
            "--fake-ssh-key",
            vm.var("SSH_KEY"),
            "--fake-docker-port",
            docker_port,
            "--engine-install-url",
            LOCAL_INSTALL_URL,
            "p1",
        ],
    );
    assert_eq!(out.code, 0, "create -d fake: {out:?}");
    for line in [
        "(p1) Creating fake machine...",
        "Provisioning with debian...",
        "Docker is up and running!",
    ] {
        assert!(out.stdout.lines().any(|l| l == line), "{line}: {out:?}");
    }
    let out = dm(
        store,
        &[
            "ls",
            "--format",
            "{{.Name}} {{.DriverName}} {{.State}} {{.URL}} {{.DockerVersion}}",
        ],
    );
    let row = out
        .stdout
        .lines()
        .find(|l| l.starts_with("p1 "))
        .unwrap_or_else(|| panic!("{out:?}"));
    assert!(
        row.starts_with(&format!("p1 fake Running tcp://127.0.0.1:{docker_port} v")),
        "{out:?}"
    );
    let out = docker_on(
        store,
        "p1",
        busybox,
        "docker run --rm busybox echo through the plugin",
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.lines().any(|l| l == "through the plugin"),
        "{out:?}"
    );
    let out = dm(store, &["ssh", "p1", "--", "exit", "4"]);
    assert_eq!(out.code, 4, "{out:?}");
    let out = dm(store, &["stop", "p1"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = dm(store, &["status", "p1"]);
    assert_eq!(out.stdout, "Stopped\n", "{out:?}");
    let out = dm(store, &["start", "p1"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = docker_on(store, "p1", busybox, "docker ps");
    assert_eq!(out.code, 0, "{out:?}");
    let out = dm(store, &["rm", "-y", "p1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("(p1) Deleting fake machine..."),
        "{out:?}"
    );
    assert!(!store.join("machines/p1").exists());
    // The next phase reaches the VM's Docker port as before.
    let out = vm.ssh(&format!(
        "sudo iptables -t nat -D PREROUTING -p tcp --dport 2376 -j REDIRECT --to-ports {docker_port}"
    ));
    assert_eq!(out.code, 0, "{out:?}");
    eprintln!(
        "[vm test] phase plugin machine: {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

/// The boot2docker provisioner on the same VM, made to present itself as boot2docker
/// (`tests/testbed/boot2docker-guest.sh`: boot2docker's os-release, `sethostname`, an
/// `/etc/init.d/docker` reading `/var/lib/boot2docker/profile`, the daemon already
/// running with its own TLS, systemd's docker units masked). No real boot2docker ISO can
/// be fetched or booted here, so the machine is reached with the generic driver and the
/// provisioner is picked from os-release as on a boot2docker VM. Run after `g1` is
/// removed, on the Docker provisioning installed (boot2docker ships its own).
fn boot2docker_on_the_same_vm(vm: &Vm, store: &Path, busybox: &Path) {
    let out = run(std::process::Command::new("bash")
        .arg(testbed("boot2docker-guest.sh"))
        .arg(&vm.dir));
    assert_eq!(out.code, 0, "boot2docker-guest.sh: {out:?}");

    let t = Instant::now();
    let args = create_generic_args(
        vm,
        &[
            "--engine-label",
            "env=b2d",
            "--engine-env",
            "B2D_TEST=yes it works",
            // The lookalike masks docker.socket, which the generic driver's cleanup restarts.
            "--generic-keep-remote-config",
        ],
        "b2d1",
    );
    let out = dm_timed(store, &args.iter().map(String::as_str).collect::<Vec<_>>());
    eprintln!(
        "[vm test] boot2docker create (provisioning included): {:.1} s",
        t.elapsed().as_secs_f64()
    );
    assert_eq!(out.code, 0, "create: {out:?}");
    let got = lines(&out.stdout);
    let from = got
        .iter()
        .position(|l| *l == "Detecting the provisioner...")
        .unwrap_or_else(|| panic!("{out:?}"));
    assert_eq!(
        got[from..from + 7],
        [
            "Detecting the provisioner...",
            "Provisioning with boot2docker...",
            "Copying certs to the local machine directory...",
            "Copying certs to the remote machine...",
            "Setting Docker configuration on the remote daemon...",
            "Checking connection to Docker...",
            "Docker is up and running!",
        ],
        "{out:?}"
    );

    // What the provisioner left on the machine.
    let ssh = |cmd: &str| {
        let out = dm(store, &["ssh", "b2d1", cmd]);
        assert_eq!(out.code, 0, "{cmd}: {out:?}");
        out.stdout
    };
    let profile = ssh("cat /var/lib/boot2docker/profile");
    assert!(
        profile.contains("EXTRA_ARGS='\n--label env=b2d\n--label provider=generic\n\n'\n"),
        "{profile}"
    );
    assert!(
        profile.contains("DOCKER_HOST='-H tcp://0.0.0.0:2376'\n"),
        "{profile}"
    );
    assert!(
        profile.contains("export \"B2D_TEST=yes it works\"\n"),
        "{profile}"
    );
    assert_eq!(
        ssh("ls /var/lib/boot2docker/ | grep pem"),
        "ca.pem\nserver-key.pem\nserver.pem\n"
    );
    assert_eq!(
        ssh("stat -c %a /var/lib/boot2docker/server-key.pem"),
        "600\n"
    );
    assert_eq!(ssh("hostname"), "b2d1\n");
    assert_eq!(ssh("cat /var/lib/boot2docker/etc/hostname"), "b2d1\n");
    // The daemon was restarted by the init script with the profile: label and env seen.
    let out = ssh("sudo /etc/init.d/docker status && sudo docker info --format '{{.Labels}}'");
    assert!(
        out.contains("env=b2d") && out.contains("provider=generic"),
        "{out}"
    );
    let out =
        ssh("sudo cat /proc/$(cat /var/run/docker.pid)/environ | tr '\\0' '\\n' | grep B2D_TEST");
    assert_eq!(out, "B2D_TEST=yes it works\n");

    // The real docker CLI through env, with the machine's certificates.
    let docker = |script: &str| docker_on(store, "b2d1", busybox, script);
    let out = docker(
        "docker load -i \"$BUSYBOX\" >/dev/null; docker run --rm busybox echo hello boot2docker",
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.lines().any(|l| l == "hello boot2docker"),
        "{out:?}"
    );

    // regenerate-certs: a new server certificate through the same init script.
    let before = ssh("sudo sha256sum /var/lib/boot2docker/server.pem");
    let out = dm(store, &["regenerate-certs", "-f", "b2d1"]);
    assert_eq!(out.code, 0, "regenerate-certs: {out:?}");
    assert_ne!(
        ssh("sudo sha256sum /var/lib/boot2docker/server.pem"),
        before
    );
    let out = docker("docker run --rm busybox echo again");
    assert_eq!(out.code, 0, "{out:?}");

    let out = dm(store, &["rm", "-y", "b2d1"]);
    assert_eq!(out.code, 0, "{out:?}");
}
