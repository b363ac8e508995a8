//! Docker contexts against the real docker CLI and a real dockerd over TLS: `create`
//! writes one the docker CLI uses (`docker --context NAME ps`), `use` makes it current
//! keeping the rest of config.json, a context the user made is never touched (the
//! machine's then gets the `machine-` prefix), `DOCKER_CONFIG` decides where they go,
//! and `rm` removes it. Machines are `none` machines pointing at the daemon, so no VM is
//! needed (`vm_generic` checks the context after `regenerate-certs --client-certs`).
//! Without dockerd, root or the docker CLI the test is skipped with a printed reason.

use crate::support::dockerd::{self, Dockerd};
use crate::support::*;
use libmachine::options::AuthOptions;
use libmachine::Store;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The docker CLI with `config` as its configuration, none of the caller's `DOCKER_*`.
fn docker(config: &Path, args: &[&str]) -> Out {
    let mut cmd = Command::new("docker");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("DOCKER_") {
            cmd.env_remove(k);
        }
    }
    run(cmd.env("DOCKER_CONFIG", config).args(args))
}

/// docker-machine with the store and `DOCKER_CONFIG` given.
fn dm(store: &Path, config: &Path, args: &[&str]) -> Out {
    run(isolated_cmd(store).env("DOCKER_CONFIG", config).args(args))
}

fn meta(config: &Path, context: &str) -> Option<String> {
    let out = run(Command::new("sh")
        .arg("-c")
        .arg("printf %s \"$1\" | sha256sum")
        .arg("sh")
        .arg(context));
    let digest = out.stdout.split_whitespace().next().unwrap().to_string();
    fs::read_to_string(config.join("contexts/meta").join(digest).join("meta.json")).ok()
}

fn ok(out: Out, what: &str) -> Out {
    assert_eq!(out.code, 0, "{what}: {out:?}");
    out
}

#[test]
fn contexts_with_the_real_docker_cli() {
    if let Some(reason) = dockerd::unavailable() {
        eprintln!("SKIPPED: {reason}");
        return;
    }
    if run(Command::new("docker").arg("--version")).code != 0 {
        eprintln!("SKIPPED: the docker CLI is not installed (scripts/install-deps.sh)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path();
    let store = base.join("store");
    let config = base.join("docker config");
    let certs = store.join("certs");
    let path = |f: &str| certs.join(f).to_string_lossy().into_owned();
    let auth = AuthOptions {
        cert_dir: path(""),
        ca_cert_path: path("ca.pem"),
        ca_private_key_path: path("ca-key.pem"),
        client_cert_path: path("cert.pem"),
        client_key_path: path("key.pem"),
        ..Default::default()
    };
    libmachine::cert::bootstrap(&auth, &Store::new(&store)).expect("certificates");
    let daemon = Dockerd::start(&store, base).unwrap_or_else(|e| panic!("{e}"));
    let url = daemon.url();

    // The user's own contexts and settings, made with the docker CLI itself.
    ok(
        docker(
            &config,
            &[
                "context",
                "create",
                "hand",
                "--docker",
                "host=tcp://127.0.0.1:1",
            ],
        ),
        "docker context create hand",
    );
    let hand = meta(&config, "hand").expect("docker wrote the hand-made context");
    let config_json = config.join("config.json");
    fs::write(
        &config_json,
        "{\"auths\": {\"registry.example\": {\"auth\": \"dTpw\"}}, \"psFormat\": \"{{.ID}}\"}",
    )
    .unwrap();

    // create: a context named after the machine, that the docker CLI uses.
    let out = ok(
        dm(
            &store,
            &config,
            &["create", "-d", "none", "--url", &url, "m1"],
        ),
        "create m1",
    );
    assert_eq!(out.stderr, "", "no warning: {out:?}");
    let m1 = meta(&config, "m1").expect("context m1");
    assert!(
        m1.contains(r#""Description":"created by docker-machine""#),
        "{m1}"
    );
    let out = ok(
        docker(&config, &["--context", "m1", "ps"]),
        "docker --context m1 ps",
    );
    assert!(
        out.stdout.starts_with("CONTAINER ID") || out.stdout.is_empty() || out.stdout == "\n",
        "{out:?}"
    );
    let out = ok(
        docker(
            &config,
            &[
                "context",
                "inspect",
                "m1",
                "--format",
                "{{.Endpoints.docker.Host}} {{.TLSMaterial.docker}}",
            ],
        ),
        "docker context inspect m1",
    );
    assert_eq!(out.stdout, format!("{url} [ca.pem cert.pem key.pem]\n"));

    // A machine named as the user's context gets `machine-hand`; `hand` stays as it was.
    ok(
        dm(
            &store,
            &config,
            &["create", "-d", "none", "--url", &url, "hand"],
        ),
        "create hand",
    );
    assert_eq!(meta(&config, "hand").as_deref(), Some(hand.as_str()));
    ok(
        docker(&config, &["--context", "machine-hand", "ps"]),
        "docker --context machine-hand ps",
    );
    // So does the machine docker reserves the name of.
    ok(
        dm(
            &store,
            &config,
            &["create", "-d", "none", "--url", &url, "default"],
        ),
        "create default",
    );
    ok(
        docker(&config, &["--context", "machine-default", "ps"]),
        "docker --context machine-default ps",
    );

    // use: the current context for a plain `docker ps`; config.json keeps its other keys.
    let out = ok(dm(&store, &config, &["use", "m1"]), "use m1");
    assert_eq!(out.stdout, "m1\n");
    assert_eq!(out.stderr, "Current context is now \"m1\"\n");
    let text = fs::read_to_string(&config_json).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["currentContext"], "m1", "{text}");
    assert_eq!(json["auths"]["registry.example"]["auth"], "dTpw", "{text}");
    assert_eq!(json["psFormat"], "{{.ID}}", "{text}");
    let out = ok(docker(&config, &["context", "show"]), "docker context show");
    assert_eq!(out.stdout, "m1\n");
    ok(
        docker(&config, &["ps"]),
        "docker ps through the current context",
    );
    // With no name, `use` takes the default machine, as other commands do.
    let out = ok(dm(&store, &config, &["use"]), "use (default)");
    assert_eq!(out.stdout, "machine-default\n");
    ok(dm(&store, &config, &["use", "m1"]), "use m1 again");

    // rm: the machine's context goes, the current context falls back to docker's default,
    // the user's context stays.
    ok(dm(&store, &config, &["rm", "-y", "m1", "hand"]), "rm");
    assert_eq!(meta(&config, "m1"), None);
    assert_eq!(meta(&config, "machine-hand"), None);
    assert_eq!(meta(&config, "hand").as_deref(), Some(hand.as_str()));
    assert_ne!(docker(&config, &["--context", "m1", "ps"]).code, 0);
    let out = ok(docker(&config, &["context", "show"]), "docker context show");
    assert_eq!(out.stdout, "default\n");
    let text = fs::read_to_string(&config_json).unwrap();
    assert!(!text.contains("currentContext"), "{text}");
    assert!(text.contains("dTpw"), "{text}");
    let out = ok(
        docker(&config, &["context", "ls", "--format", "{{.Name}}"]),
        "docker context ls",
    );
    assert_eq!(out.stdout, "default\nhand\nmachine-default\n");

    // use -u: back to docker's default context.
    let out = dm(&store, &config, &["use", "-u"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "default\n"), "{out:?}");
    let out = ok(docker(&config, &["context", "show"]), "docker context show");
    assert_eq!(out.stdout, "default\n");

    drop(daemon);
}

/// Without `DOCKER_CONFIG` the contexts go to `~/.docker`, with no docker CLI on PATH; a
/// machine without one (made by 0.16.2) gets it from `use`; a context folder that cannot
/// be written is a warning, never a failed create or rm.
#[test]
fn contexts_follow_home_and_never_fail_a_command() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().to_path_buf();
    let store = home.join("store");
    let dm_home = |args: &[&str]| {
        let mut cmd = isolated_cmd(&store);
        // Nothing on PATH: the docker CLI is not needed to write contexts.
        cmd.env_remove("DOCKER_CONFIG")
            .env("HOME", &home)
            .env("PATH", "/nonexistent");
        run(cmd.args(args))
    };
    let out = dm_home(&[
        "create",
        "-d",
        "none",
        "--url",
        "tcp://127.0.0.1:2376",
        "m1",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    let docker_dir = home.join(".docker");
    let m1 = meta(&docker_dir, "m1").expect("context under ~/.docker");
    assert!(m1.contains(r#""Host":"tcp://127.0.0.1:2376""#), "{m1}");
    assert!(docker_dir.join("contexts/tls").is_dir());

    // A machine whose context was removed (or never made) gets one back from `use`.
    fs::remove_dir_all(docker_dir.join("contexts")).unwrap();
    let out = dm_home(&["use", "m1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(meta(&docker_dir, "m1").is_some());
    let out = dm_home(&["use", "ghost"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stderr.contains("\"ghost\" does not exist"), "{out:?}");

    // A DOCKER_CONFIG that is a file: the contexts cannot be written, the commands work.
    let blocked: PathBuf = home.join("not-a-dir");
    fs::write(&blocked, "").unwrap();
    let with_blocked = |args: &[&str]| {
        run(isolated_cmd(&store)
            .env("DOCKER_CONFIG", &blocked)
            .args(args))
    };
    let out = with_blocked(&[
        "create",
        "-d",
        "none",
        "--url",
        "tcp://127.0.0.1:2376",
        "m2",
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stderr
            .starts_with("Warning: the docker context of machine \"m2\" was not updated: "),
        "{out:?}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out:?}");
    let out = with_blocked(&["rm", "-y", "m2"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("Successfully removed m2"), "{out:?}");
    let out = with_blocked(&["use", "m1"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr
            .starts_with("Error setting the docker context of machine \"m1\": "),
        "{out:?}"
    );
}
