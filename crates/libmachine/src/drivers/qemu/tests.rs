//! The qemu driver's `qemu-img` steps against a scripted `qemu-img` (the command-runner
//! seam): they run whether or not QEMU is installed here.

use super::*;
use crate::mcnflag::FlagValue;
use crate::runner::{Answer, Output, ScriptedRunner};

/// A driver for machine `m1` in `store`, configured with `--qemu-image image`, whose
/// `qemu-img` is `runner`.
fn driver(store: &Path, image: &Path, runner: &Arc<ScriptedRunner>) -> QemuDriver {
    let mut opts = super::super::default_options(&create_flags());
    opts.insert(
        "qemu-image",
        FlagValue::String(image.to_string_lossy().into_owned()),
    );
    let mut d = QemuDriver::new("m1", &store.to_string_lossy()).with_runner(runner.clone());
    d.set_config_from_flags(&opts).unwrap();
    d
}

/// A raw disk image as far as the format check looks: an ext file system's magic.
fn raw_image(dir: &Path) -> PathBuf {
    let mut bytes = vec![0u8; 2048];
    bytes[1080..1082].copy_from_slice(&[0x53, 0xEF]);
    let path = dir.join("base.img");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_local_image_is_imported_checked_and_overlaid_by_qemu_img() {
    let store = tempfile::tempdir().unwrap();
    let image = raw_image(store.path());
    let cached = image::cache(store.path()).import_local(&image).unwrap();
    let (cached, disk) = (
        cached.to_string_lossy().into_owned(),
        store.path().join("machines/m1/disk.qcow2"),
    );
    let qemu_img = ScriptedRunner::new();
    qemu_img
        .ok(
            "qemu-img",
            ["info", "--output=json", "-f", "raw", &cached],
            r#"{"virtual-size": 2048, "format": "raw"}"#,
        )
        .ok(
            "qemu-img",
            [
                "create",
                "-q",
                "-f",
                "qcow2",
                "-F",
                "raw",
                "-b",
                &cached,
                &disk.to_string_lossy(),
                "20000M",
            ],
            "",
        );
    let d = driver(store.path(), &image, &qemu_img);
    let (base, format) = d.resolve_image().unwrap();
    assert_eq!((base.to_string_lossy().as_ref(), format), (&*cached, "raw"));
    d.create_disk(&base, format).unwrap();
    qemu_img.finish();
}

#[test]
fn qemu_img_failures_name_the_image_and_keep_its_message() {
    let store = tempfile::tempdir().unwrap();
    let image = raw_image(store.path());
    let cached = image::cache(store.path()).import_local(&image).unwrap();
    let info = [
        "info",
        "--output=json",
        "-f",
        "raw",
        &cached.to_string_lossy(),
    ]
    .map(String::from);
    let qemu_img = ScriptedRunner::new();
    qemu_img
        .expect(
            "qemu-img",
            &info,
            Answer::Ran(Output::fail(1, "qemu-img: Could not open image\n")),
        )
        .expect("qemu-img", &info, Answer::Missing);
    let d = driver(store.path(), &image, &qemu_img);
    assert_eq!(
        d.resolve_image().unwrap_err().to_string(),
        format!(
            "{} is not a usable raw image: qemu-img: Could not open image",
            cached.display()
        )
    );
    assert_eq!(
        d.resolve_image().unwrap_err().to_string(),
        "running qemu-img"
    );
}

/// QEMU gone during create: the error says so at once, with the end of its own log and
/// of the console.
#[test]
fn a_dead_qemu_is_reported_with_its_last_words_and_the_console_tail() {
    let store = tempfile::tempdir().unwrap();
    let image = raw_image(store.path());
    let d = driver(store.path(), &image, &ScriptedRunner::new());
    let dir = d.dir();
    std::fs::create_dir_all(&dir).unwrap();
    let console: String = (1..=40).map(|i| format!("boot line {i}\n")).collect();
    std::fs::write(dir.join("console.log"), console).unwrap();
    std::fs::write(
        dir.join("qemu.log"),
        "qemu-system-x86_64: terminating on signal 15 from pid 42 (kill)\n",
    )
    .unwrap();
    let err = d.check_booting().unwrap_err().to_string();
    assert!(
        err.starts_with("QEMU exited while the VM booted: qemu-system-x86_64: terminating on signal 15 from pid 42 (kill)\n"),
        "{err}"
    );
    assert!(err.ends_with("boot line 26\nboot line 27\nboot line 28\nboot line 29\nboot line 30\nboot line 31\nboot line 32\nboot line 33\nboot line 34\nboot line 35\nboot line 36\nboot line 37\nboot line 38\nboot line 39\nboot line 40"), "{err}");
    assert!(!err.contains("boot line 25\n"), "{err}");
    // Killed (SIGKILL leaves the pid file): the pid is named. A reaped child's pid
    // runs nothing.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    std::fs::write(dir.join("qemu.pid"), format!("{pid}\n")).unwrap();
    let err = d.check_booting().unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("QEMU (pid {pid}) was killed while the VM booted")),
        "{err}"
    );
}
