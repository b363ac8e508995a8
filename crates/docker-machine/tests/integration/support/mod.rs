//! Helpers shared by the integration tests: running the real binary (in an isolated
//! environment for the store-only tests), the test-bed scripts, timing output, and a VM
//! that is removed when dropped; a real dockerd (`dockerd`).
#![allow(dead_code)]

pub mod dockerd;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Whether VM tests were asked for (`DM_VM_TESTS=1`); skipped ([`testkit::skip`])
/// otherwise.
pub fn vm_tests_enabled(test: &str) -> bool {
    let on = std::env::var("DM_VM_TESTS").is_ok_and(|v| v == "1");
    if !on {
        testkit::skip(&format!(
            "{test}: set DM_VM_TESTS=1 to boot a QEMU VM (root, QEMU, the Debian mirror)"
        ));
    }
    on
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

pub fn testbed(script: &str) -> PathBuf {
    repo_root().join("tests/testbed").join(script)
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub secs: f64,
}

impl std::fmt::Debug for Out {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {} after {:.1} s\n--- stdout\n{}--- stderr\n{}",
            self.code, self.secs, self.stdout, self.stderr
        )
    }
}

pub fn run(cmd: &mut Command) -> Out {
    let start = Instant::now();
    let out = cmd.stdin(Stdio::null()).output().expect("spawn");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        secs: start.elapsed().as_secs_f64(),
    }
}

/// A shell script from tests/testbed; its last stdout line (an output directory).
pub fn testbed_dir(script: &str) -> PathBuf {
    let out = run(Command::new("bash").arg(testbed(script)));
    assert_eq!(out.code, 0, "{script}: {out:?}");
    PathBuf::from(out.stdout.lines().last().expect("output dir").trim())
}

pub const BIN: &str = env!("CARGO_BIN_EXE_docker-machine");

pub fn dm_cmd(store: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    for var in [
        "DOCKER_HOST",
        "DOCKER_TLS_VERIFY",
        "DOCKER_CERT_PATH",
        "DOCKER_MACHINE_NAME",
        "MACHINE_DEBUG",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("MACHINE_STORAGE_PATH", store)
        .env("DOCKER_CONFIG", docker_config_of(store));
    cmd
}

/// The docker CLI configuration a test's store goes with (inside it, so it goes with the
/// store's temporary folder, never the user's `~/.docker`): the machines' docker contexts
/// are written there.
pub fn docker_config_of(store: &Path) -> PathBuf {
    store.join("docker-config")
}

/// The binary with nothing of the caller's environment but PATH: HOME is the store and
/// USER is `tester`, so the store-only tests see the same on every machine.
pub fn isolated_cmd(store: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", store)
        .env("MACHINE_STORAGE_PATH", store)
        .env("DOCKER_CONFIG", docker_config_of(store))
        .env("USER", "tester");
    cmd
}

/// [`isolated_cmd`] with `args`, `input` on stdin.
pub fn isolated_with_input(store: &Path, args: &[&str], input: &str) -> Out {
    use std::io::Write;
    let start = Instant::now();
    let mut child = isolated_cmd(store)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    // A command that does not read its input may exit first: a broken pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    let out = child.wait_with_output().expect("wait");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        secs: start.elapsed().as_secs_f64(),
    }
}

/// [`isolated_cmd`] with `args` and nothing on stdin.
pub fn isolated(store: &Path, args: &[&str]) -> Out {
    isolated_with_input(store, args, "")
}

/// `create -d none --url URL NAME`, which must succeed.
pub fn create_none(store: &Path, name: &str, url: &str) {
    let out = isolated(store, &["create", "-d", "none", "--url", url, name]);
    assert_eq!(out.code, 0, "create {name}: {}", out.stderr);
}

/// [`dm`], printing each stdout line with the seconds since the start (phase timings).
pub fn dm_timed(store: &Path, args: &[&str]) -> Out {
    use std::io::BufRead;
    let start = Instant::now();
    let mut child = dm_cmd(store)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let stderr = child.stderr.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::BufReader::new(stderr), &mut s).ok();
        s
    });
    let mut stdout = String::new();
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        eprintln!("[vm test] {:6.1} s | {line}", start.elapsed().as_secs_f64());
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let status = child.wait().unwrap();
    Out {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr: err_reader.join().unwrap(),
        secs: start.elapsed().as_secs_f64(),
    }
}

pub fn dm(store: &Path, args: &[&str]) -> Out {
    let out = run(dm_cmd(store).args(args));
    eprintln!(
        "[vm test] docker-machine {} -> exit {} in {:.1} s",
        args.join(" "),
        out.code,
        out.secs
    );
    out
}

/// Stops and deletes the VM when dropped, also when the test panics.
pub struct Vm {
    pub dir: PathBuf,
    env: HashMap<String, String>,
}

impl Vm {
    pub fn start(dir: &Path, image: &Path) -> Vm {
        let out = run(Command::new("bash")
            .arg(testbed("vm.sh"))
            .args(["start"])
            .arg(dir)
            .arg(image)
            .args(["--name", "dmtest"]));
        // Registered before checking, so a half-started VM is cleaned up too.
        let mut vm = Vm {
            dir: dir.to_path_buf(),
            env: HashMap::new(),
        };
        assert_eq!(out.code, 0, "vm.sh start: {out:?}");
        let env = std::fs::read_to_string(dir.join("env")).unwrap();
        for line in env.lines() {
            if let Some((k, v)) = line.split_once('=') {
                vm.env
                    .insert(k.to_string(), v.trim_matches('\'').to_string());
            }
        }
        vm
    }

    pub fn var(&self, k: &str) -> &str {
        self.env
            .get(k)
            .unwrap_or_else(|| panic!("{k} missing from the VM env file"))
    }

    /// A command inside the VM through vm.sh (not through docker-machine).
    pub fn ssh(&self, command: &str) -> Out {
        run(Command::new("bash")
            .arg(testbed("vm.sh"))
            .arg("ssh")
            .arg(&self.dir)
            .arg(command))
    }
}

/// `create -d generic ... NAME` reaching a test-bed VM: its SSH forward, user and key, and
/// the Docker URL's port forwarded to 2376 inside; `extra` flags go before the name.
pub fn create_generic_args(vm: &Vm, extra: &[&str], name: &str) -> Vec<String> {
    let mut args: Vec<String> = [
        "create",
        "-d",
        "generic",
        "--generic-ip-address",
        "127.0.0.1",
        "--generic-ssh-port",
        vm.var("SSH_PORT"),
        "--generic-ssh-user",
        vm.var("SSH_USER"),
        "--generic-ssh-key",
        vm.var("SSH_KEY"),
        "--generic-engine-port",
        vm.var("DOCKER_PORT"),
        "--generic-engine-listen-port",
        "2376",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(name.to_string());
    args
}

impl Drop for Vm {
    fn drop(&mut self) {
        let out = run(Command::new("bash")
            .arg(testbed("vm.sh"))
            .arg("rm")
            .arg(&self.dir));
        eprintln!(
            "[vm test] vm.sh rm: exit {} after {:.1} s",
            out.code, out.secs
        );
    }
}

pub fn sha256(path: &Path) -> String {
    let out = run(Command::new("sha256sum").arg(path));
    assert_eq!(out.code, 0, "{out:?}");
    out.stdout.split_whitespace().next().unwrap().to_string()
}

pub fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

/// Run `script` in bash after `eval "$(docker-machine env MACHINE)"`, so the real docker
/// CLI talks to the machine; `$BUSYBOX` is the busybox image tarball.
pub fn docker_on(store: &Path, machine: &str, busybox: &Path, script: &str) -> Out {
    let out = run(Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -e; eval \"$(\"$DM\" env {machine})\"; {script}"
        ))
        .env("DM", BIN)
        .env("MACHINE_STORAGE_PATH", store)
        .env("BUSYBOX", busybox));
    eprintln!(
        "[vm test] docker: {script} -> exit {} in {:.1} s",
        out.code, out.secs
    );
    out
}

/// Run `script` in bash with the docker CLI of the store's docker configuration
/// ([`docker_config_of`]: the contexts docker-machine wrote), no `DOCKER_*` of the caller.
pub fn docker_with_contexts(store: &Path, script: &str) -> Out {
    let mut cmd = Command::new("bash");
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("DOCKER_") {
            cmd.env_remove(k);
        }
    }
    let out = run(cmd
        .arg("-c")
        .arg(script)
        .env("DOCKER_CONFIG", docker_config_of(store)));
    eprintln!(
        "[docker] {script} -> exit {} in {:.1} s",
        out.code, out.secs
    );
    out
}

/// The directory of the Go-built test plugins (`docker-machine-driver-fake` and its
/// misbehaving variants), built once per source hash by `tests/goplugin/build.sh`.
pub fn go_plugin_dir() -> PathBuf {
    let out = run(Command::new("bash").arg(repo_root().join("tests/goplugin/build.sh")));
    assert_eq!(
        out.code, 0,
        "building the Go test plugins (scripts/install-deps.sh installs golang-go): {out:?}"
    );
    PathBuf::from(out.stdout.trim())
}

/// PATH with `dir` first.
pub fn path_with(dir: &Path) -> std::ffi::OsString {
    let mut dirs = vec![dir.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(dirs).unwrap()
}
