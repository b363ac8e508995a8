//! `env` and `config` against the real binary.
//!
//! The scenarios that need a machine whose TLS check passes run against a real `dockerd`
//! (Debian's docker.io) listening with `--tlsverify` on a free loopback port, its server
//! certificate issued by the store's CA through libmachine's cert module. The daemon is
//! started once, by the one test that uses it, and a guard stops it (TERM, then KILL)
//! even when an assertion fails. Without `dockerd` or root that test is skipped with a
//! printed reason.

use crate::support::dockerd::{self, Dockerd};
use crate::support::BIN;
use libmachine::cert;
use libmachine::drivers;
use libmachine::host::{Host, CONFIG_VERSION};
use libmachine::mcnflag::{DriverOptions, FlagValue};
use libmachine::options::{AuthOptions, HostOptions, SwarmOptions};
use libmachine::Store;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const HINT_FIRST: &str = "Run this command to configure your shell: ";

// ---------------------------------------------------------------------------------------
// Helpers

/// The binary with a clean environment: no DOCKER_*, proxy or storage variables.
fn dm(store: &Path) -> Command {
    let mut c = Command::new(BIN);
    clean_env(&mut c);
    c.arg("-s")
        .arg(store)
        .env("DOCKER_CONFIG", crate::support::docker_config_of(store));
    c
}

fn clean_env(c: &mut Command) {
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("DOCKER_")
            || k.starts_with("MACHINE_")
            || k.eq_ignore_ascii_case("no_proxy")
            || k == "__fish_bin_dir"
        {
            c.env_remove(&k);
        }
    }
    c.env("SHELL", "/bin/bash");
}

fn run(c: &mut Command) -> Output {
    c.stdin(Stdio::null()).output().expect("run command")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[track_caller]
fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "failed ({:?})\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(&o),
        stderr(&o)
    );
    stdout(&o)
}

/// The `AuthOptions` `create` writes for a store with default TLS paths.
fn auth_for(store: &Path, name: &str) -> AuthOptions {
    let s = |p: PathBuf| p.to_string_lossy().into_owned();
    let certs = store.join("certs");
    let dir = store.join("machines").join(name);
    AuthOptions {
        cert_dir: s(certs.clone()),
        ca_cert_path: s(certs.join("ca.pem")),
        ca_private_key_path: s(certs.join("ca-key.pem")),
        client_cert_path: s(certs.join("cert.pem")),
        client_key_path: s(certs.join("key.pem")),
        server_cert_path: s(dir.join("server.pem")),
        server_key_path: s(dir.join("server-key.pem")),
        store_path: s(dir),
        ..Default::default()
    }
}

/// A store with a CA and client certificate, as `create` bootstraps them.
fn bootstrap_store(store: &Path) {
    cert::bootstrap(&auth_for(store, "x"), &Store::new(store)).expect("bootstrap certificates");
}

/// Register a `none` machine through the library (no `create`, hence no check at the end:
/// used for machines whose check must fail).
fn register_none(store: &Path, name: &str, url: &str) {
    register_none_swarm(store, name, url, None)
}

/// [`register_none`], optionally as a (legacy) swarm master listening on `swarm_host`.
fn register_none_swarm(store: &Path, name: &str, url: &str, swarm_host: Option<&str>) {
    let spec = drivers::find("none").expect("none driver");
    let mut driver = (spec.new)(name, &store.to_string_lossy());
    let mut opts = DriverOptions::new();
    opts.insert("url", FlagValue::String(url.to_string()));
    driver.set_config_from_flags(&opts).expect("url accepted");
    let host = Host {
        config_version: CONFIG_VERSION,
        driver_name: "none".into(),
        options: HostOptions {
            auth: auth_for(store, name),
            swarm: SwarmOptions {
                is_swarm: swarm_host.is_some(),
                master: swarm_host.is_some(),
                host: swarm_host.unwrap_or("tcp://0.0.0.0:3376").to_string(),
                ..Default::default()
            },
            ..Default::default()
        },
        name: name.into(),
        driver,
        polling: Default::default(),
    };
    Store::new(store).save(&host).expect("save machine");
}

/// Copy the client files into the machine directory, as provisioning does.
fn copy_client_certs(store: &Path, name: &str) {
    let dir = store.join("machines").join(name);
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        fs::copy(store.join("certs").join(f), dir.join(f)).expect("copy cert");
    }
}

fn check_error_text(addr: &str, reason: &str) -> String {
    format!(
        "Error checking and/or regenerating the certs: There was an error validating certificates for host \"{addr}\": {reason}\n\
         You can attempt to regenerate them using 'docker-machine regenerate-certs [name]'.\n\
         Be advised that this will trigger a Docker daemon restart which might stop running containers.\n"
    )
}

fn find_program(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.exists())
}

/// A shell on PATH; its case is skipped ([`testkit::skip`]) when it is missing.
fn shell(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let found = std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file());
    if found.is_none() {
        testkit::skip(&format!("{name} is not installed: its case"));
    }
    found
}

// ---------------------------------------------------------------------------------------
// Without a daemon

#[test]
fn unset_prints_unset_lines_for_every_shell() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path();
    let cases: &[(&str, &str)] = &[
        (
            "bash",
            "unset DOCKER_TLS_VERIFY\nunset DOCKER_HOST\nunset DOCKER_CERT_PATH\nunset DOCKER_MACHINE_NAME\n",
        ),
        (
            "fish",
            "set -e DOCKER_TLS_VERIFY;\nset -e DOCKER_HOST;\nset -e DOCKER_CERT_PATH;\nset -e DOCKER_MACHINE_NAME;\n",
        ),
        (
            "powershell",
            "Remove-Item Env:\\\\DOCKER_TLS_VERIFY\nRemove-Item Env:\\\\DOCKER_HOST\nRemove-Item Env:\\\\DOCKER_CERT_PATH\nRemove-Item Env:\\\\DOCKER_MACHINE_NAME\n",
        ),
        (
            "cmd",
            "SET DOCKER_TLS_VERIFY=\nSET DOCKER_HOST=\nSET DOCKER_CERT_PATH=\nSET DOCKER_MACHINE_NAME=\n",
        ),
        (
            "tcsh",
            "unsetenv DOCKER_TLS_VERIFY;\nunsetenv DOCKER_HOST;\nunsetenv DOCKER_CERT_PATH;\nunsetenv DOCKER_MACHINE_NAME;\n",
        ),
        (
            "emacs",
            "(setenv \"DOCKER_TLS_VERIFY\" nil)\n(setenv \"DOCKER_HOST\" nil)\n(setenv \"DOCKER_CERT_PATH\" nil)\n(setenv \"DOCKER_MACHINE_NAME\" nil)\n",
        ),
    ];
    let s = store.display();
    for (shell, lines) in cases {
        let out = ok(run(dm(store).args(["env", "--shell", shell, "-u"])));
        let cmdline = format!("{BIN} -s {s} env --shell {shell} -u");
        let hint = match *shell {
            "fish" => format!("# {HINT_FIRST}\n# eval ({cmdline})\n"),
            "powershell" => format!("# {HINT_FIRST}\n# & {cmdline} | Invoke-Expression\n"),
            "cmd" => format!(
                "REM {HINT_FIRST}\nREM \t@FOR /f \"tokens=*\" %i IN ('{cmdline}') DO @%i\n"
            ),
            "tcsh" => format!(": {HINT_FIRST}\n: eval `{cmdline}`\n"),
            "emacs" => format!(
                ";; {HINT_FIRST}\n;; (with-temp-buffer (shell-command \"{cmdline}\" (current-buffer)) (eval-buffer))\n"
            ),
            _ => format!("# {HINT_FIRST}\n# eval $({cmdline})\n"),
        };
        assert_eq!(out, format!("{lines}{hint}"), "shell {shell}");
    }
}

#[test]
fn unset_no_proxy_names_the_variable_only() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(run(dm(tmp.path())
        .args(["env", "-u", "--no-proxy"])
        .env("NO_PROXY", "localhost,1.2.3.4")));
    assert!(
        out.contains("unset DOCKER_MACHINE_NAME\nunset NO_PROXY\n# "),
        "{out}"
    );
    let out = ok(run(dm(tmp.path())
        .args(["env", "-u", "--no-proxy", "--shell", "fish"])
        .env("no_proxy", "localhost")));
    assert!(
        out.contains("set -e DOCKER_MACHINE_NAME;\nset -e no_proxy;\n# "),
        "{out}"
    );
}

#[test]
fn argument_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let o = run(dm(tmp.path()).args(["env", "-u", "dev"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "Error: Expected no machine name when the -u flag is present\n"
    );
    assert_eq!(stdout(&o), "");
    let o = run(dm(tmp.path()).args(["env", "a", "b"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "Error: Expected one machine name as an argument\n"
    );
    let o = run(dm(tmp.path()).args(["env"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "Error: No machine name(s) specified and no \"default\" machine exists\n"
    );
    let o = run(dm(tmp.path()).args(["config", "nope"]));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("Docker machine \"nope\" does not exist."),
        "{}",
        stderr(&o)
    );
}

#[test]
fn refused_connection_is_reported_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path();
    bootstrap_store(store);
    let port = testkit::free_port();
    register_none(store, "gone", &format!("tcp://127.0.0.1:{port}"));
    let addr = format!("127.0.0.1:{port}");
    let reason = format!("dial tcp {addr}: connect: connection refused");

    let o = run(dm(store).args(["env", "gone"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        format!(
            "Error checking TLS connection: {}\n",
            check_error_text(&addr, &reason)
        )
    );
    let o = run(dm(store).args(["config", "gone", "ignored"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        format!(
            "Error running connection boilerplate: {}\n",
            check_error_text(&addr, &reason)
        )
    );
    // --swarm on a machine that is not a swarm master: refused before any dial.
    let o = run(dm(store).args(["env", "--swarm", "gone"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "Error checking TLS connection: \"gone\" is not a swarm master. The --swarm flag is intended for use with swarm masters\n"
    );
}

// ---------------------------------------------------------------------------------------
// Against a real dockerd

struct World {
    base: PathBuf,
    store: PathBuf,
    port: u16,
    docker: PathBuf,
}

impl World {
    fn url(&self) -> String {
        format!("tcp://127.0.0.1:{}", self.port)
    }

    /// Run `script` with `shell -c`, the binary as `$DM`, the docker CLI first in PATH.
    fn shell(&self, shell: &str, script: &str, envs: &[(&str, &str)]) -> Output {
        let mut c = Command::new(shell);
        clean_env(&mut c);
        let docker_dir = self.docker.parent().unwrap();
        let path = std::env::var("PATH").unwrap_or_default();
        c.env("PATH", format!("{}:{path}", docker_dir.display()))
            .env("DM", BIN)
            .env("STORE", &self.store)
            .env("DOCKER_CONFIG", self.base.join("docker-config"))
            .env("SHELL", shell);
        for (k, v) in envs {
            c.env(k, v);
        }
        if shell.ends_with("tcsh") {
            c.arg("-f");
        }
        run(c.arg("-c").arg(script))
    }
}

#[test]
fn env_and_config_against_a_real_dockerd() {
    if let Some(reason) = dockerd::unavailable() {
        testkit::skip(&reason);
        return;
    }
    let Some(docker) = find_program(&["/usr/local/bin/docker", "/usr/bin/docker"]) else {
        testkit::skip("the docker CLI is not installed");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().to_path_buf();
    let store = base.join("store");
    bootstrap_store(&store);
    let daemon = Dockerd::start(&store, &base).unwrap_or_else(|e| panic!("{e}"));
    let w = World {
        base: base.clone(),
        store: store.clone(),
        port: daemon.port,
        docker,
    };

    ok(run(dm(&store).args([
        "create",
        "-d",
        "none",
        "--url",
        &w.url(),
        "m1",
    ])));
    copy_client_certs(&store, "m1");

    set_output_is_exact(&w);
    evaluated_by_real_shells(&w);
    other_shells_line_by_line(&w);
    no_proxy_entries(&w);
    empty_shell_falls_back_to_sh(&w);
    api_version_on_request(&w);
    config_output_and_use(&w);
    special_characters_round_trip(&w);
    wrong_ca_is_reported(&w);
    machine_without_copies(&w);
    swarm_masters(&w);

    drop(daemon);
}

fn set_output_is_exact(w: &World) {
    let s = w.store.display();
    let out = ok(run(dm(&w.store).args(["env", "m1"])));
    assert_eq!(
        out,
        format!(
            "export DOCKER_TLS_VERIFY=\"1\"\n\
             export DOCKER_HOST=\"{url}\"\n\
             export DOCKER_CERT_PATH=\"{s}/machines/m1\"\n\
             export DOCKER_MACHINE_NAME=\"m1\"\n\
             # {HINT_FIRST}\n\
             # eval $({BIN} -s {s} env m1)\n",
            url = w.url()
        )
    );
    // The default machine is used without an argument.
    let tmp_default = w.base.join("default-store");
    fs::create_dir_all(tmp_default.join("certs")).unwrap();
    for f in ["ca.pem", "ca-key.pem", "cert.pem", "key.pem"] {
        fs::copy(
            w.store.join("certs").join(f),
            tmp_default.join("certs").join(f),
        )
        .unwrap();
    }
    register_none(&tmp_default, "default", &w.url());
    let out = ok(run(dm(&tmp_default).args(["env"])));
    assert!(
        out.contains("export DOCKER_MACHINE_NAME=\"default\"\n"),
        "{out}"
    );
}

fn evaluated_by_real_shells(w: &World) {
    let check = "docker version --format '{{.Server.Version}}'";
    let o = w.shell(
        "bash",
        &format!(
            "eval \"$(\"$DM\" -s \"$STORE\" env m1)\" && echo \"$DOCKER_MACHINE_NAME\" && {check}"
        ),
        &[],
    );
    let out = ok(o);
    assert!(out.starts_with("m1\n") && out.lines().count() == 2, "{out}");

    if let Some(zsh) = shell("zsh") {
        let out = ok(w.shell(
            &zsh.to_string_lossy(),
            &format!("eval \"$(\"$DM\" -s \"$STORE\" env m1)\" && {check}"),
            &[],
        ));
        assert!(!out.trim().is_empty());
    }
    if let Some(fish) = shell("fish") {
        // Detected from $SHELL, and given explicitly.
        let out = ok(w.shell(
            &fish.to_string_lossy(),
            &format!("eval ($DM -s $STORE env m1); and echo $DOCKER_MACHINE_NAME; and {check}"),
            &[],
        ));
        assert!(out.starts_with("m1\n"), "{out}");
        let out = ok(w.shell(
            "bash",
            &format!("fish -c 'eval ($DM -s $STORE env --shell fish m1); and {check}'"),
            &[],
        ));
        assert!(!out.trim().is_empty());
    }
    if let Some(tcsh) = shell("tcsh") {
        let out = ok(w.shell(
            &tcsh.to_string_lossy(),
            &format!("eval `$DM -s $STORE env m1` && printenv DOCKER_MACHINE_NAME && {check}"),
            &[],
        ));
        assert!(out.starts_with("m1\n"), "{out}");
    }
}

fn other_shells_line_by_line(w: &World) {
    let s = w.store.display();
    let url = w.url();
    let dir = format!("{s}/machines/m1");
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "cmd",
            vec![
                "SET DOCKER_TLS_VERIFY=1".into(),
                format!("SET DOCKER_HOST={url}"),
                format!("SET DOCKER_CERT_PATH={dir}"),
                "SET DOCKER_MACHINE_NAME=m1".into(),
                format!("REM {HINT_FIRST}"),
                format!("REM \t@FOR /f \"tokens=*\" %i IN ('{BIN} -s {s} env --shell cmd m1') DO @%i"),
            ],
        ),
        (
            "powershell",
            vec![
                "$Env:DOCKER_TLS_VERIFY = \"1\"".into(),
                format!("$Env:DOCKER_HOST = \"{url}\""),
                format!("$Env:DOCKER_CERT_PATH = \"{dir}\""),
                "$Env:DOCKER_MACHINE_NAME = \"m1\"".into(),
                format!("# {HINT_FIRST}"),
                format!("# & {BIN} -s {s} env --shell powershell m1 | Invoke-Expression"),
            ],
        ),
        (
            "emacs",
            vec![
                "(setenv \"DOCKER_TLS_VERIFY\" \"1\")".into(),
                format!("(setenv \"DOCKER_HOST\" \"{url}\")"),
                format!("(setenv \"DOCKER_CERT_PATH\" \"{dir}\")"),
                "(setenv \"DOCKER_MACHINE_NAME\" \"m1\")".into(),
                format!(";; {HINT_FIRST}"),
                format!(";; (with-temp-buffer (shell-command \"{BIN} -s {s} env --shell emacs m1\" (current-buffer)) (eval-buffer))"),
            ],
        ),
        (
            "tcsh",
            vec![
                "setenv DOCKER_TLS_VERIFY \"1\";".into(),
                format!("setenv DOCKER_HOST \"{url}\";"),
                format!("setenv DOCKER_CERT_PATH \"{dir}\";"),
                "setenv DOCKER_MACHINE_NAME \"m1\";".into(),
                format!(": {HINT_FIRST}"),
                format!(": eval `{BIN} -s {s} env --shell tcsh m1`"),
            ],
        ),
        (
            "fish",
            vec![
                "set -gx DOCKER_TLS_VERIFY \"1\";".into(),
                format!("set -gx DOCKER_HOST \"{url}\";"),
                format!("set -gx DOCKER_CERT_PATH \"{dir}\";"),
                "set -gx DOCKER_MACHINE_NAME \"m1\";".into(),
                format!("# {HINT_FIRST}"),
                format!("# eval ({BIN} -s {s} env --shell fish m1)"),
            ],
        ),
    ];
    for (shell, want) in cases {
        let out = ok(run(dm(&w.store).args(["env", "--shell", shell, "m1"])));
        let got: Vec<&str> = out.split('\n').collect();
        assert_eq!(got.len(), want.len() + 1, "{shell}:\n{out}");
        for (i, line) in want.iter().enumerate() {
            assert_eq!(got[i], line, "{shell}, line {}", i + 1);
        }
        assert_eq!(got[want.len()], "", "{shell}: output ends with a newline");
    }
}

fn no_proxy_entries(w: &World) {
    let env = |k: &str, v: &str| {
        let o = run(dm(&w.store).args(["env", "--no-proxy", "m1"]).env(k, v));
        ok(o)
    };
    // 127.0.0.1 is a substring of 127.0.0.10 but not one of the entries.
    let out = env("no_proxy", "localhost,127.0.0.10");
    assert!(
        out.contains(
            "export DOCKER_MACHINE_NAME=\"m1\"\nexport no_proxy=\"localhost,127.0.0.10,127.0.0.1\"\n# "
        ),
        "{out}"
    );
    let out = env("no_proxy", "localhost, 127.0.0.1");
    assert!(
        out.contains("export no_proxy=\"localhost, 127.0.0.1\"\n"),
        "{out}"
    );
    let out = env("NO_PROXY", "example.com");
    assert!(
        out.contains("export NO_PROXY=\"example.com,127.0.0.1\"\n"),
        "{out}"
    );
    let out = ok(run(dm(&w.store).args(["env", "--no-proxy", "m1"])));
    assert!(out.contains("export NO_PROXY=\"127.0.0.1\"\n"), "{out}");
    // Both set: the lower-case one wins.
    let out = ok(run(dm(&w.store)
        .args(["env", "--no-proxy", "--shell", "fish", "m1"])
        .env("no_proxy", "a")
        .env("NO_PROXY", "b")));
    assert!(out.contains("set -gx no_proxy \"a,127.0.0.1\";\n"), "{out}");
}

fn empty_shell_falls_back_to_sh(w: &World) {
    let o = run(dm(&w.store).args(["env", "m1"]).env("SHELL", ""));
    assert_eq!(
        stderr(&o),
        "The default lines below are for a sh/bash shell, you can specify the shell you're using, with the --shell flag.\n\n"
    );
    let out = ok(o);
    assert!(out.starts_with("export DOCKER_TLS_VERIFY=\"1\"\n"), "{out}");
    let o = run(dm(&w.store).args(["env", "m1"]).env_remove("SHELL"));
    assert!(ok(o).contains("\nexport DOCKER_MACHINE_NAME=\"m1\"\n# "));
    // What a user without $SHELL (a CI job, a cron script) runs, quoted and unquoted.
    for script in [
        "eval \"$(\"$DM\" -s \"$STORE\" env m1)\" && echo \"$DOCKER_MACHINE_NAME\"",
        "eval $(\"$DM\" -s \"$STORE\" env m1) && echo \"$DOCKER_MACHINE_NAME\"",
    ] {
        let o = w.shell("bash", script, &[("SHELL", "")]);
        assert_eq!(ok(o), "m1\n", "{script}");
    }
}

fn api_version_on_request(w: &World) {
    let want = ok(w.shell(
        "bash",
        "eval \"$(\"$DM\" -s \"$STORE\" env m1)\" && docker version --format '{{.Server.APIVersion}}'",
        &[],
    ));
    let want = want.trim();
    assert!(want.starts_with("1."), "{want}");
    let out = ok(run(dm(&w.store).args([
        "env",
        "--docker-api-version",
        "m1",
    ])));
    assert!(
        out.contains(&format!(
            "export DOCKER_MACHINE_NAME=\"m1\"\nexport DOCKER_API_VERSION=\"{want}\"\n# "
        )),
        "{out}"
    );
    if Path::new("/usr/sbin/dockerd").exists() {
        let v = ok(run(Command::new("dockerd").arg("--version")));
        if v.contains(" 20.10.") {
            assert_eq!(want, "1.41");
        }
    }
    // Not printed unless asked for (0.16.2 never printed it).
    let out = ok(run(dm(&w.store).args(["env", "m1"])));
    assert!(!out.contains("DOCKER_API_VERSION"));
    let out = ok(run(dm(&w.store).args([
        "env",
        "-u",
        "--docker-api-version",
    ])));
    assert!(out.contains("unset DOCKER_MACHINE_NAME\nunset DOCKER_API_VERSION\n"));
}

fn config_output_and_use(w: &World) {
    let s = w.store.display();
    let out = ok(run(dm(&w.store).args(["config", "m1", "extra", "ignored"])));
    assert_eq!(
        out,
        format!(
            "--tlsverify\n--tlscacert=\"{s}/machines/m1/ca.pem\"\n--tlscert=\"{s}/machines/m1/cert.pem\"\n--tlskey=\"{s}/machines/m1/key.pem\"\n-H={}\n",
            w.url()
        )
    );
    let out = ok(w.shell(
        "bash",
        "docker $(\"$DM\" -s \"$STORE\" config m1) version --format '{{.Server.Version}}'",
        &[],
    ));
    assert!(!out.trim().is_empty());
    let o = run(dm(&w.store).args(["config", "--swarm", "m1"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "Error running connection boilerplate: \"m1\" is not a swarm master. The --swarm flag is intended for use with swarm masters\n"
    );
}

/// A store whose path holds a space, a `$` and a double quote: the values must reach
/// the shells intact (bug 3) and the docker client must find its certificates.
fn special_characters_round_trip(w: &World) {
    let store = w.base.join("we ird$HOME \"q`x`").join("store");
    fs::create_dir_all(store.join("certs")).unwrap();
    for f in ["ca.pem", "ca-key.pem", "cert.pem", "key.pem"] {
        fs::copy(w.store.join("certs").join(f), store.join("certs").join(f)).unwrap();
    }
    ok(run(dm(&store).args([
        "create",
        "-d",
        "none",
        "--url",
        &w.url(),
        "m2",
    ])));
    copy_client_certs(&store, "m2");
    let want_dir = format!("{}/machines/m2", store.display());

    let check = "docker version --format '{{.Server.Version}}'";
    let envs = [("WEIRD", store.to_str().unwrap())];
    let out = ok(w.shell(
        "bash",
        &format!(
            "eval \"$(\"$DM\" -s \"$WEIRD\" env m2)\" && printf '%s\\n' \"$DOCKER_CERT_PATH\" && {check}"
        ),
        &envs,
    ));
    assert!(out.starts_with(&format!("{want_dir}\n")), "{out}");
    if let Some(zsh) = shell("zsh") {
        let out = ok(w.shell(
            &zsh.to_string_lossy(),
            &format!("eval \"$(\"$DM\" -s \"$WEIRD\" env m2)\" && printf '%s\\n' \"$DOCKER_CERT_PATH\" && {check}"),
            &envs,
        ));
        assert!(out.starts_with(&format!("{want_dir}\n")), "{out}");
    }
    if let Some(fish) = shell("fish") {
        let out = ok(w.shell(
            &fish.to_string_lossy(),
            &format!(
                "eval ($DM -s $WEIRD env m2); and printf '%s\\n' $DOCKER_CERT_PATH; and {check}"
            ),
            &envs,
        ));
        assert!(out.starts_with(&format!("{want_dir}\n")), "{out}");
    }
    if let Some(tcsh) = shell("tcsh") {
        // The store comes from the environment here: tcsh evaluates the `:` hint line,
        // which repeats argv unquoted (as the original's did).
        let out = ok(w.shell(
            &tcsh.to_string_lossy(),
            &format!("eval \"`$DM env m2`\" && printenv DOCKER_CERT_PATH && {check}"),
            &[("MACHINE_STORAGE_PATH", store.to_str().unwrap())],
        ));
        assert!(out.starts_with(&format!("{want_dir}\n")), "{out}");
    }
    // config: Go-quoted paths.
    let q = want_dir.replace('\\', "\\\\").replace('"', "\\\"");
    let out = ok(run(dm(&store).args(["config", "m2"])));
    assert_eq!(
        out,
        format!(
            "--tlsverify\n--tlscacert=\"{q}/ca.pem\"\n--tlscert=\"{q}/cert.pem\"\n--tlskey=\"{q}/key.pem\"\n-H={}\n",
            w.url()
        )
    );
}

/// A second store with its own CA, pointed at the same daemon: the check must fail.
fn wrong_ca_is_reported(w: &World) {
    let store = w.base.join("other-ca");
    bootstrap_store(&store);
    register_none(&store, "m1", &w.url());
    let addr = format!("127.0.0.1:{}", w.port);
    let reason = "x509: certificate signed by unknown authority";
    let o = run(dm(&store).args(["env", "m1"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "");
    assert_eq!(
        stderr(&o),
        format!(
            "Error checking TLS connection: {}\n",
            check_error_text(&addr, reason)
        )
    );
    let o = run(dm(&store).args(["config", "m1"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        format!(
            "Error running connection boilerplate: {}\n",
            check_error_text(&addr, reason)
        )
    );
}

/// Bug 19: a `none` machine has no copies in its directory; env and config point at the
/// files its AuthOptions name (the store's certs/), and the docker client works with them.
fn machine_without_copies(w: &World) {
    ok(run(dm(&w.store).args([
        "create",
        "-d",
        "none",
        "--url",
        &w.url(),
        "bare",
    ])));
    let s = w.store.display();
    let out = ok(run(dm(&w.store).args(["env", "bare"])));
    assert!(
        out.contains(&format!("export DOCKER_CERT_PATH=\"{s}/certs\"\n")),
        "{out}"
    );
    let out = ok(w.shell(
        "bash",
        "eval \"$(\"$DM\" -s \"$STORE\" env bare)\" && docker version --format '{{.Server.Version}}'",
        &[],
    ));
    assert!(!out.trim().is_empty());
    let out = ok(run(dm(&w.store).args(["config", "bare"])));
    assert_eq!(
        out,
        format!(
            "--tlsverify\n--tlscacert=\"{s}/certs/ca.pem\"\n--tlscert=\"{s}/certs/cert.pem\"\n--tlskey=\"{s}/certs/key.pem\"\n-H={}\n",
            w.url()
        )
    );
}

/// `--swarm` on a swarm master: the machine IP with the port of `SwarmOptions.Host`.
fn swarm_masters(w: &World) {
    // The swarm "port" is the daemon itself here, so the check passes.
    register_none_swarm(
        &w.store,
        "master",
        &w.url(),
        Some(&format!("tcp://0.0.0.0:{}", w.port)),
    );
    copy_client_certs(&w.store, "master");
    let out = ok(run(dm(&w.store).args(["env", "--swarm", "master"])));
    assert!(
        out.contains(&format!(
            "export DOCKER_HOST=\"tcp://127.0.0.1:{}\"\n",
            w.port
        )),
        "{out}"
    );
    let out = ok(run(dm(&w.store).args(["config", "--swarm", "master"])));
    assert!(
        out.ends_with(&format!("-H=tcp://127.0.0.1:{}\n", w.port)),
        "{out}"
    );
    // Nothing on the swarm port, the daemon fine: the original's dedicated message.
    let closed = testkit::free_port();
    register_none_swarm(
        &w.store,
        "master2",
        &w.url(),
        Some(&format!("tcp://0.0.0.0:{closed}")),
    );
    let o = run(dm(&w.store).args(["env", "--swarm", "master2"]));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "Error checking TLS connection: Connection to Swarm cannot be checked but the certs are valid. Maybe swarm is not started\n"
    );
}
