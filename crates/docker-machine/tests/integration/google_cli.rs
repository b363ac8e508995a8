//! The command line with the google driver, against the loopback stand-in of Compute
//! Engine v1 and Google's token endpoint (`testkit::gce`; no emulator can stand in):
//! errors as one line with nothing left in the cloud, and a machine whose instance
//! exists listed, addressed, stopped and removed with its disk. `create` stops at the
//! SSH wait: the stand-in's addresses are on loopback with nothing behind them.

use crate::support::{isolated_cmd, run, Out};
use std::path::Path;
use testkit::gce::FakeGce;

const PROJECT: &str = "proj-cli";

struct Env {
    fake: FakeGce,
    dir: tempfile::TempDir,
}

fn env() -> Env {
    let fake = FakeGce::start(PROJECT);
    let dir = tempfile::tempdir().unwrap();
    fake.write_service_account(&dir.path().join("sa.json"), false);
    Env { fake, dir }
}

fn dm(e: &Env, store: &Path, args: &[&str]) -> Out {
    run(isolated_cmd(store)
        .env("GOOGLE_COMPUTE_API_URL", &e.fake.url)
        .env(
            "GOOGLE_APPLICATION_CREDENTIALS",
            e.dir.path().join("sa.json"),
        )
        .env("GCE_METADATA_HOST", &e.fake.metadata_host)
        .env("CLOUDSDK_CONFIG", e.dir.path())
        .args(args))
}

fn create(e: &Env, store: &Path, name: &str, extra: &[&str]) -> Out {
    let mut args = vec![
        "create",
        "-d",
        "google",
        "--ssh-wait-timeout",
        "1",
        "--google-project",
        PROJECT,
    ];
    args.extend_from_slice(extra);
    args.push(name);
    dm(e, store, &args)
}

#[test]
fn gce_cli_errors_leave_nothing() {
    let e = env();
    let store = tempfile::tempdir().unwrap();
    let s = store.path();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--google-zone", "mars1-a"],
            "Error with pre-create check: \"Zone \\\"mars1-a\\\" not found in project \\\"proj-cli\\\"\"",
        ),
        (
            vec!["--google-machine-image", "ubuntu-os-cloud/global/images/nope"],
            "Error creating machine: Error in driver during machine creation: Compute Engine API error notFound: The resource 'projects/ubuntu-os-cloud/global/images/nope' was not found",
        ),
    ];
    for (extra, expected) in cases {
        let out = create(&e, s, "bad", &extra);
        assert_ne!(out.code, 0, "{extra:?}: {out:?}");
        assert_eq!(out.stderr.trim_end(), expected, "{extra:?}: {out:?}");
        assert!(e.fake.instances().is_empty() && e.fake.disks().is_empty());
        if s.join("machines/bad").exists() {
            assert_eq!(dm(&e, s, &["rm", "-y", "bad"]).code, 0);
        }
    }
    // A forged key: refused by the token endpoint, before anything is made.
    e.fake
        .write_service_account(&e.dir.path().join("sa.json"), true);
    let out = create(&e, s, "bad", &[]);
    assert_eq!(
        out.stderr.trim_end(),
        "Error with pre-create check: \"Google OAuth2 API error invalid_grant: Invalid JWT Signature.\"",
        "{out:?}"
    );
    assert!(!s.join("machines/bad").exists());
    let out = run(isolated_cmd(s).args(["create", "-d", "google", "bad"]));
    assert_eq!(
        out.stderr.trim_end(),
        "Error setting machine configuration from flags provided: no Google Cloud Project name specified (--google-project)"
    );
}

#[test]
fn gce_cli_ls_ip_stop_rm() {
    let e = env();
    let store = tempfile::tempdir().unwrap();
    let s = store.path();
    let out = create(&e, s, "web1", &["--google-open-port", "8080/tcp"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("(web1) Uploading SSH Key"), "{out:?}");
    let inst = &e.fake.instances()[0];
    let ip = inst["networkInterfaces"][0]["accessConfigs"][0]["natIP"]
        .as_str()
        .unwrap()
        .to_string();
    let out = dm(
        &e,
        s,
        &[
            "ls",
            "--format",
            "{{.Name}} {{.DriverName}} {{.State}} {{.URL}}",
        ],
    );
    assert_eq!(
        out.stdout,
        format!("web1 google Running tcp://{ip}:2376\n"),
        "{out:?}"
    );
    assert_eq!(dm(&e, s, &["ip", "web1"]).stdout, format!("{ip}\n"));
    let out = dm(&e, s, &["stop", "web1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(dm(&e, s, &["status", "web1"]).stdout, "Stopped\n");
    let out = dm(&e, s, &["rm", "-y", "web1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(e.fake.instances().is_empty() && e.fake.disks().is_empty());
    assert!(!s.join("machines/web1").exists());

    // An instance gone behind our back: a warning, and the record goes.
    let out = create(&e, s, "gone", &[]);
    assert_eq!(out.code, 1, "{out:?}");
    e.fake.drop_instance("us-central1-a", "gone", false);
    let out = dm(&e, s, &["rm", "-y", "gone"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        format!("{}{}", out.stdout, out.stderr)
            .contains("Remote instance does not exist, proceeding with removing local reference"),
        "{out:?}"
    );
    assert!(!s.join("machines/gone").exists());

    // rm -f removes the record even when the credentials are refused.
    let out = create(&e, s, "stuck", &[]);
    assert_eq!(out.code, 1, "{out:?}");
    e.fake
        .write_service_account(&e.dir.path().join("sa.json"), true);
    let out = dm(&e, s, &["rm", "-y", "stuck"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(s.join("machines/stuck").exists());
    let out = dm(&e, s, &["rm", "-f", "-y", "stuck"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!s.join("machines/stuck").exists());
}
