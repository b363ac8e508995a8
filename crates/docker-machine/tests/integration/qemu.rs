//! qemu driver refusals, through the real binary: every bad input fails the pre-create
//! check with exit code 3 and leaves nothing behind. No VM is booted here (see vm_qemu.rs).

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn dm(store: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_docker-machine"));
    cmd.env("MACHINE_STORAGE_PATH", store)
        .env("USER", "tester")
        .env("DOCKER_CONFIG", crate::support::docker_config_of(store));
    cmd
}

/// A tiny but real qcow2 image (the format check reads its header).
fn small_qcow2(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("small.qcow2");
    let ok = std::process::Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(&path)
        .arg("64M")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "qemu-img is part of the machine (qemu-utils)");
    path
}

fn assert_refused(store: &Path, args: &[&str], expected: &str) {
    let out = dm(store)
        .args(["create", "-d", "qemu"])
        .args(args)
        .arg("q1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{args:?}: {stderr}");
    assert!(
        stderr.starts_with("Error with pre-create check: \""),
        "{stderr}"
    );
    assert!(
        stderr.contains(expected),
        "{args:?}: expected {expected:?} in {stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        !store.join("machines/q1").exists(),
        "{args:?} left a machine behind"
    );
}

#[test]
fn bad_inputs_fail_the_pre_create_check() {
    let store = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let image = small_qcow2(dir.path());
    let image = image.to_str().unwrap();
    let text = dir.path().join("notes.txt");
    fs::write(&text, "not a disk image at all\n".repeat(100)).unwrap();
    let broken = dir.path().join("broken.qcow2");
    fs::write(&broken, b"QFI\xfb\0\0\0\x03garbage").unwrap();
    let closed = testkit::free_port();
    let cases: &[(&[&str], &str)] = &[
        (
            &[
                "--qemu-image",
                image,
                "--qemu-binary",
                "/nonexistent/qemu-system-x86_64",
            ],
            "QEMU is not installed",
        ),
        (
            &["--qemu-image", "/nonexistent/image.qcow2"],
            "no such file or directory",
        ),
        (
            &["--qemu-image", text.to_str().unwrap()],
            "is not a disk image",
        ),
        (
            &["--qemu-image", broken.to_str().unwrap()],
            "is not a usable qcow2 image",
        ),
        (
            &["--qemu-image", image, "--qemu-memory", "99999999"],
            "is more than this host has",
        ),
        (
            &["--qemu-image", image, "--qemu-accel", "warp"],
            "--qemu-accel must be auto, kvm or tcg",
        ),
        (
            &[
                "--qemu-image",
                image,
                "--qemu-kernel",
                "/nonexistent/vmlinuz",
            ],
            "--qemu-kernel /nonexistent/vmlinuz: no such file",
        ),
    ];
    for (args, expected) in cases {
        assert_refused(store.path(), args, expected);
    }
    // A download that cannot happen (nothing listens on the port): loopback only.
    let url = format!("http://127.0.0.1:{closed}/debian.qcow2");
    assert_refused(
        store.path(),
        &["--qemu-image", &url],
        "downloading http://127.0.0.1",
    );
    assert!(
        fs::read_dir(store.path().join("cache/qemu"))
            .map(|d| d.count())
            .unwrap_or(0)
            == 0,
        "no partial download kept"
    );
}

#[test]
fn invalid_flag_values_are_configuration_errors() {
    let store = tempfile::tempdir().unwrap();
    let out = dm(store.path())
        .args(["create", "-d", "qemu", "--qemu-cpus", "0", "q1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error setting machine configuration from flags provided: --qemu-cpus must be at least 1\n"
    );
}

/// A store on a file system with too little room: a small tmpfs (needs root).
#[test]
fn not_enough_disk_space_is_refused() {
    if !testkit::is_root() {
        testkit::skip("mounting a small tmpfs needs root");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    fs::create_dir(&mnt).unwrap();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&mnt)
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !mounted {
        testkit::skip("cannot mount a tmpfs here");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(&mnt);
    let image = small_qcow2(dir.path());
    assert_refused(
        &mnt,
        &["--qemu-image", image.to_str().unwrap()],
        "not enough disk space",
    );
}
