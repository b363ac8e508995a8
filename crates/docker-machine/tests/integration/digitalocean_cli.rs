//! The command line with the digitalocean driver, against the loopback stand-in of
//! DigitalOcean's API v2 (`testkit::digitalocean`; no emulator exists): errors as one
//! line with nothing left behind, and a machine whose droplet exists listed, addressed,
//! stopped, started, restarted, killed and removed with everything it made. `create`
//! stops at the SSH wait: the fake's droplet addresses are on loopback with nothing
//! behind them, and the SSH port given is one nothing listens on.

use crate::support::{isolated_cmd, run, Out};
use std::path::Path;
use testkit::digitalocean::FakeDigitalOcean;

const TOKEN: &str = "dop_v1_cli";

fn dm(fake: &FakeDigitalOcean, store: &Path, args: &[&str]) -> Out {
    run(isolated_cmd(store)
        .env("DIGITALOCEAN_API_URL", &fake.url)
        .env("DIGITALOCEAN_ACCESS_TOKEN", TOKEN)
        .args(args))
}

fn create(fake: &FakeDigitalOcean, store: &Path, name: &str, extra: &[&str]) -> Out {
    let port = testkit::free_port().to_string();
    let mut args = vec![
        "create",
        "-d",
        "digitalocean",
        "--ssh-wait-timeout",
        "1",
        "--digitalocean-ssh-port",
        &port,
    ];
    args.extend_from_slice(extra);
    args.push(name);
    dm(fake, store, &args)
}

/// A failed create leaves at most a record with nothing in the cloud (as for every
/// driver); `rm` removes it without an API error.
fn rm_failed_record(fake: &FakeDigitalOcean, s: &Path, name: &str) {
    if s.join("machines").join(name).exists() {
        let out = dm(fake, s, &["rm", "-y", name]);
        assert_eq!(out.code, 0, "{out:?}");
    }
    assert!(!s.join("machines").join(name).exists());
}

#[test]
fn do_cli_errors_leave_nothing() {
    let fake = FakeDigitalOcean::start(TOKEN);
    let store = tempfile::tempdir().unwrap();
    let s = store.path();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--digitalocean-access-token", "wrong"],
            "Error with pre-create check: \"DigitalOcean API error unauthorized: Unable to authenticate you\"",
        ),
        (
            vec!["--digitalocean-region", "mars1"],
            "Error with pre-create check: \"digitalocean requires a valid region\"",
        ),
        (
            vec!["--digitalocean-image", "ubuntu-9-04-x64"],
            "Error creating machine: Error in driver during machine creation: DigitalOcean API error unprocessable_entity: You specified an invalid image for Droplet creation.",
        ),
    ];
    for (extra, expected) in cases {
        let out = create(&fake, s, "bad", &extra);
        assert_ne!(out.code, 0, "{extra:?}: {out:?}");
        assert_eq!(out.stderr.trim_end(), expected, "{extra:?}: {out:?}");
        assert!(fake.keys().is_empty() && fake.droplets().is_empty());
        rm_failed_record(&fake, s, "bad");
    }
    fake.set_droplet_limit(0);
    let out = create(&fake, s, "bad", &[]);
    assert_eq!(
        out.stderr.trim_end(),
        "Error creating machine: Error in driver during machine creation: DigitalOcean API error unprocessable_entity: creating this/these droplet(s) will exceed your droplet limit",
        "{out:?}"
    );
    assert!(fake.keys().is_empty() && fake.droplets().is_empty());
    rm_failed_record(&fake, s, "bad");
    // No token at all: 0.16.2's line, before any request.
    let out = run(isolated_cmd(s).args(["create", "-d", "digitalocean", "bad"]));
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(
        out.stderr.trim_end(),
        "Error setting machine configuration from flags provided: digitalocean driver requires the --digitalocean-access-token option"
    );
}

#[test]
fn do_cli_ls_ip_power_rm() {
    let fake = FakeDigitalOcean::start(TOKEN);
    let store = tempfile::tempdir().unwrap();
    let s = store.path();
    let out = create(&fake, s, "web1", &["--digitalocean-tags", "ci"]);
    // The droplet exists; SSH to its loopback address finds nothing.
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout
            .contains("(web1) Creating Digital Ocean droplet..."),
        "{out:?}"
    );
    let droplets = fake.droplets();
    assert_eq!(droplets.len(), 1, "{out:?}");
    let ip = droplets[0]["networks"]["v4"][0]["ip_address"]
        .as_str()
        .unwrap()
        .to_string();

    let out = dm(
        &fake,
        s,
        &[
            "ls",
            "--format",
            "{{.Name}} {{.DriverName}} {{.State}} {{.URL}}",
        ],
    );
    assert_eq!(
        out.stdout,
        format!("web1 digitalocean Running tcp://{ip}:2376\n"),
        "{out:?}"
    );
    assert_eq!(dm(&fake, s, &["ip", "web1"]).stdout, format!("{ip}\n"));
    // start and restart go on to wait for Docker over SSH, which nothing answers
    // here: they are tested through the library.
    let out = dm(&fake, s, &["stop", "web1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(dm(&fake, s, &["status", "web1"]).stdout, "Stopped\n");
    let out = dm(&fake, s, &["kill", "web1"]);
    assert_eq!(out.code, 1, "already stopped: {out:?}");
    let out = dm(&fake, s, &["ls", "--format", "{{.State}} {{.URL}}"]);
    assert_eq!(out.stdout, "Stopped \n", "{out:?}");

    let out = dm(&fake, s, &["rm", "-y", "web1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(fake.droplets().is_empty() && fake.keys().is_empty());
    assert!(!s.join("machines/web1").exists());

    // A droplet gone behind our back: a warning, and the record goes.
    let out = create(&fake, s, "gone", &[]);
    assert_eq!(out.code, 1, "{out:?}");
    let id = fake.droplets()[0]["id"].as_i64().unwrap();
    fake.destroy_droplet(id);
    let out = dm(&fake, s, &["rm", "-y", "gone"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        format!("{}{}", out.stdout, out.stderr)
            .contains("Digital Ocean droplet doesn't exist, assuming it is already deleted"),
        "{out:?}"
    );
    assert!(!s.join("machines/gone").exists());
    assert!(fake.keys().is_empty());

    // rm -f removes the record even when the API refuses.
    let out = create(&fake, s, "stuck", &[]);
    assert_eq!(out.code, 1, "{out:?}");
    let cfg = s.join("machines/stuck/config.json");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replace(TOKEN, "revoked")).unwrap();
    let out = dm(&fake, s, &["rm", "-y", "stuck"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(s.join("machines/stuck").exists());
    let out = dm(&fake, s, &["rm", "-f", "-y", "stuck"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!s.join("machines/stuck").exists());
}
