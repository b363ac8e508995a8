//! The boot2docker provisioner end to end on a test-bed VM that presents itself as
//! boot2docker (`tests/testbed/boot2docker-guest.sh`: boot2docker's os-release,
//! `sethostname`, an `/etc/init.d/docker` reading `/var/lib/boot2docker/profile`, the
//! daemon already running with its own TLS, no systemd unit for it). No real boot2docker
//! ISO can be fetched or booted here (no internet; its drivers are Hyper-V/VirtualBox), so
//! the machine is reached with the generic driver and the provisioner is picked from
//! os-release as it would be on a boot2docker VM: create, the profile and certificates on
//! the machine, the hostname, env + the real docker CLI, regenerate-certs, rm.
//!
//! Runs only with `DM_VM_TESTS=1` (root, QEMU; the docker-ready test-bed image, whose
//! daemon comes with the image as boot2docker's does, so no mirror access is needed).

mod support;

use std::time::Instant;
use support::*;

#[test]
fn vm_boot2docker_provisioning() {
    if !vm_tests_enabled("vm_boot2docker_provisioning") {
        return;
    }
    let image = testbed_dir("build-docker-ready.sh");
    let busybox = testbed_dir("busybox-image.sh").join("busybox.tar");
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let vm = Vm::start(&tmp.path().join("vm"), &image);
    let out = run(std::process::Command::new("bash")
        .arg(testbed("boot2docker-guest.sh"))
        .arg(&vm.dir));
    assert_eq!(out.code, 0, "boot2docker-guest.sh: {out:?}");

    let t = Instant::now();
    let args = create_generic_args(
        &vm,
        &[
            "--engine-label",
            "env=b2d",
            "--engine-env",
            "B2D_TEST=yes it works",
        ],
        "b2d1",
    );
    let out = dm_timed(&store, &args.iter().map(String::as_str).collect::<Vec<_>>());
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
        let out = dm(&store, &["ssh", "b2d1", cmd]);
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
    let docker = |script: &str| docker_on(&store, "b2d1", &busybox, script);
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
    let out = dm(&store, &["regenerate-certs", "-f", "b2d1"]);
    assert_eq!(out.code, 0, "regenerate-certs: {out:?}");
    assert_ne!(
        ssh("sudo sha256sum /var/lib/boot2docker/server.pem"),
        before
    );
    let out = docker("docker run --rm busybox echo again");
    assert_eq!(out.code, 0, "{out:?}");

    let out = dm(&store, &["rm", "-y", "b2d1"]);
    assert_eq!(out.code, 0, "{out:?}");
}
