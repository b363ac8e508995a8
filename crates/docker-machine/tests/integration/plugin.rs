//! Third-party driver plugins through the real binary, with real plugins built in Go
//! from the standard library (`tests/goplugin/plugin`: net/rpc + gob, the service, method
//! set and gob type names of libmachine's plugin server).
//!
//! The plugin's machine is a real OpenSSH server on loopback (the shared sshd fixture).
//! `create` runs the plugin's side for real (flags with env fallbacks, SetConfigFromFlags,
//! PreCreateCheck, Create, output relay, config.json = the plugin's JSON) and then stops
//! at the SSH wait, because the fixture's "machine" is this very host, which provisioning
//! must not reconfigure; provisioning through a plugin runs for real against a test-bed
//! VM in `vm_generic.rs`. The life after create (ls, status, env, ssh, stop, start, rm) runs
//! here on a machine recorded as 0.16.2 would have stored it.

use crate::support::{go_plugin_dir, path_with, run, Out, BIN};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use testkit::sshd as test_sshd;

/// The binary with the Go plugins on PATH, a plugin call log, and the store.
fn dm_cmd(store: &Path, plugins: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    for var in ["DOCKER_HOST", "MACHINE_DEBUG", "MACHINE_DRIVER"] {
        cmd.env_remove(var);
    }
    cmd.env("MACHINE_STORAGE_PATH", store)
        .env("PATH", path_with(plugins))
        .env("FAKE_PLUGIN_LOG", log_path(store))
        .env("DOCKER_CONFIG", crate::support::docker_config_of(store));
    cmd
}

fn dm(store: &Path, plugins: &Path, args: &[&str]) -> Out {
    run(dm_cmd(store, plugins).args(args))
}

fn log_path(store: &Path) -> PathBuf {
    store.parent().unwrap().join("plugin-calls.log")
}

/// The plugin calls made so far: (pid, method).
fn calls(store: &Path) -> Vec<(u32, String)> {
    std::fs::read_to_string(log_path(store))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (pid, m) = l.split_once(' ')?;
            Some((pid.parse().ok()?, m.to_string()))
        })
        .collect()
}

fn alive(pid: u32) -> bool {
    // A zombie is dead for our purpose: its parent has not reaped it yet.
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        !s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// Every plugin process started so far has exited (within a grace period).
fn assert_no_plugin_left(store: &Path) {
    let pids: std::collections::BTreeSet<u32> = calls(store)
        .into_iter()
        .filter(|(_, m)| m == "start")
        .map(|(p, _)| p)
        .collect();
    assert!(!pids.is_empty());
    let deadline = Instant::now() + Duration::from_secs(3);
    while pids.iter().any(|p| alive(*p)) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let left: Vec<_> = pids.iter().filter(|p| alive(**p)).collect();
    assert!(left.is_empty(), "plugin processes left running: {left:?}");
}

/// `machines/NAME/config.json` as 0.16.2 stored a plugin machine: the plugin's own JSON
/// as the Driver object, the host options of a created machine.
fn record(store: &Path, name: &str, driver_name: &str, driver: Value) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../libmachine/tests/fixtures/store-0.16.2/machines/plugin1/config.json");
    let mut cfg: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let dir = store.join("machines").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    cfg["Driver"] = driver;
    cfg["DriverName"] = json!(driver_name);
    cfg["Name"] = json!(name);
    let store_s = store.to_str().unwrap();
    let auth = &mut cfg["HostOptions"]["AuthOptions"];
    for (k, v) in [
        ("CertDir", format!("{store_s}/certs")),
        ("CaCertPath", format!("{store_s}/certs/ca.pem")),
        ("CaPrivateKeyPath", format!("{store_s}/certs/ca-key.pem")),
        ("ClientKeyPath", format!("{store_s}/certs/key.pem")),
        ("ClientCertPath", format!("{store_s}/certs/cert.pem")),
        ("ServerCertPath", format!("{}/server.pem", dir.display())),
        ("ServerKeyPath", format!("{}/server-key.pem", dir.display())),
        ("StorePath", dir.to_string_lossy().into_owned()),
    ] {
        auth[k] = json!(v);
    }
    std::fs::write(
        dir.join("config.json"),
        serde_json::to_string_pretty(&cfg).unwrap(),
    )
    .unwrap();
}

/// The fake plugin's JSON for a machine at 127.0.0.1:`ssh_port`.
fn fake_driver(store: &Path, name: &str, ssh_port: u16, key: &Path, docker_port: u16) -> Value {
    json!({
        "IPAddress": "127.0.0.1", "MachineName": name, "SSHUser": test_sshd::current_user(),
        "SSHPort": ssh_port, "SSHKeyPath": key, "StorePath": store,
        "SwarmMaster": false, "SwarmHost": "", "SwarmDiscovery": "",
        "DockerPort": docker_port, "Tags": ["x"], "InstallURL": "", "Running": true
    })
}

/// A TLS listener on 127.0.0.1:`port` that requires a client certificate from the
/// store's CA, with a server certificate from that CA (Python's ssl module); the CA and
/// client certificate are made as `create` makes them and copied to the machine's
/// directory. Killed when dropped.
struct TlsEndpoint(std::process::Child);

const TLS_SERVER: &str = "
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[2], sys.argv[3])
ctx.load_verify_locations(sys.argv[4])
ctx.verify_mode = ssl.CERT_REQUIRED
srv = socket.create_server(('127.0.0.1', int(sys.argv[1])))
print('ready', flush=True)
while True:
    conn, _ = srv.accept()
    try:
        with ctx.wrap_socket(conn, server_side=True) as tls:
            tls.settimeout(2)
            tls.recv(1)
    except Exception:
        pass
";

impl TlsEndpoint {
    fn start(store: &Path, machine: &str, port: u16) -> TlsEndpoint {
        use libmachine::cert::{self, CertKind, CertOptions};
        let certs = store.join("certs");
        let dir = store.join("machines").join(machine);
        let s = |p: PathBuf| p.to_string_lossy().into_owned();
        let auth = libmachine::options::AuthOptions {
            cert_dir: s(certs.clone()),
            ca_cert_path: s(certs.join("ca.pem")),
            ca_private_key_path: s(certs.join("ca-key.pem")),
            client_cert_path: s(certs.join("cert.pem")),
            client_key_path: s(certs.join("key.pem")),
            store_path: s(dir.clone()),
            ..Default::default()
        };
        cert::bootstrap(&auth, &libmachine::Store::new(store)).unwrap();
        for f in ["ca.pem", "cert.pem", "key.pem"] {
            std::fs::copy(certs.join(f), dir.join(f)).unwrap();
        }
        let (server, server_key) = (dir.join("server.pem"), dir.join("server-key.pem"));
        cert::generate_cert(&CertOptions {
            kind: CertKind::Server {
                swarm_master: false,
            },
            hosts: vec!["127.0.0.1".into()],
            cert_file: server.clone(),
            key_file: server_key.clone(),
            ca_file: certs.join("ca.pem"),
            ca_key_file: certs.join("ca-key.pem"),
            org: "test.plugin".into(),
            validity: None,
        })
        .unwrap();
        let mut child = Command::new("python3")
            .args(["-c", TLS_SERVER, &port.to_string()])
            .args([&server, &server_key, &certs.join("ca.pem")])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut ready = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(child.stdout.take().unwrap()),
            &mut ready,
        )
        .unwrap();
        assert_eq!(ready.trim(), "ready");
        TlsEndpoint(child)
    }
}

impl Drop for TlsEndpoint {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn one_line(out: &Out) -> &str {
    let err = out.stderr.trim_end();
    assert_eq!(err.lines().count(), 1, "one line expected: {out:?}");
    err
}

#[test]
fn create_help_lists_the_plugins_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let plugins = go_plugin_dir();
    let out = dm(&store, &plugins, &["create", "-d", "fake", "--help"]);
    assert_eq!(out.code, 0, "{out:?}");
    for line in [
        "--fake-ip-address \"127.0.0.1\"",
        "address of the fake machine [$FAKE_IP_ADDRESS]",
        "--fake-ssh-port \"22\"",
        "--fake-tag [--fake-tag option --fake-tag option]",
        "--fake-fail-precreate",
        "--engine-install-url",
    ] {
        assert!(out.stdout.contains(line), "{line}: {out:?}");
    }
    let out = dm(&store, &plugins, &["create", "-d", "nosuchdriver", "x"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        one_line(&out),
        "Driver \"nosuchdriver\" not found. Do you have the plugin binary \"docker-machine-driver-nosuchdriver\" accessible in your PATH?"
    );
    assert_no_plugin_left(&store);
}

#[test]
fn create_runs_the_plugin_and_stores_its_json() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let plugins = go_plugin_dir();
    // Nothing listens on this port: create stops at the SSH wait, after the driver part.
    let closed = testkit::free_port().to_string();
    let out = run(dm_cmd(&store, &plugins)
        .env("FAKE_SSH_PORT", &closed)
        .args(["create", "-d", "fake", "--fake-tag", "a", "--fake-tag=b"])
        .args(["--engine-install-url", "", "--ssh-wait-timeout", "1", "m1"]));
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        one_line(&out).starts_with("Error creating machine: Error detecting OS: Too many retries waiting for SSH to be available."),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("Creating machine...\n(m1) Creating fake machine...\n"),
        "{out:?}"
    );
    let cfg: Value = serde_json::from_str(
        &std::fs::read_to_string(store.join("machines/m1/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(cfg["DriverName"], "fake");
    // The plugin's own JSON, field for field as Go's json.Marshal wrote it.
    let d = &cfg["Driver"];
    let keys: Vec<&str> = d.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "IPAddress",
            "MachineName",
            "SSHUser",
            "SSHPort",
            "SSHKeyPath",
            "StorePath",
            "SwarmMaster",
            "SwarmHost",
            "SwarmDiscovery",
            "DockerPort",
            "Tags",
            "InstallURL",
            "Running"
        ]
    );
    assert_eq!(
        d["SSHPort"],
        closed.parse::<u16>().unwrap(),
        "env fallback of an int flag"
    );
    assert_eq!(d["Tags"], json!(["a", "b"]));
    assert_eq!(d["InstallURL"], "", "shared create flags reach the plugin");
    assert_eq!(d["MachineName"], "m1");
    assert_eq!(d["StorePath"], store.to_str().unwrap());
    assert_eq!(d["Running"], true);
    let methods: Vec<String> = calls(&store).into_iter().map(|(_, m)| m).collect();
    for m in [
        "GetCreateFlags",
        "SetConfigRaw",
        "SetConfigFromFlags",
        "PreCreateCheck",
        "Create",
        "Close",
    ] {
        assert!(
            methods.contains(&m.to_string()),
            "{m} not called: {methods:?}"
        );
    }

    // -D shows the calls and the plugin's stderr.
    let out = run(dm_cmd(&store, &plugins).args(["-D", "status", "m1"]));
    assert_eq!((out.code, out.stdout.as_str()), (0, "Running\n"), "{out:?}");
    assert!(out.stderr.contains("(m1) Calling .GetState"), "{out:?}");

    // A failing pre-create check: exit 3, one line, nothing stored.
    let out = run(dm_cmd(&store, &plugins)
        .env("FAKE_FAIL_PRECREATE", "true")
        .args(["create", "-d", "fake", "m2"]));
    assert_eq!(out.code, 3, "{out:?}");
    assert_eq!(
        one_line(&out),
        "Error with pre-create check: \"the fake cloud refuses: quota exceeded\""
    );
    assert!(!store.join("machines/m2").exists());

    let out = dm(&store, &plugins, &["rm", "-y", "m1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("(m1) Deleting fake machine..."),
        "{out:?}"
    );
    assert!(!store.join("machines/m1").exists());
    assert_no_plugin_left(&store);
}

#[test]
fn plugin_machine_life_against_a_real_sshd() {
    testkit::require_sshd!();
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let plugins = go_plugin_dir();
    let (key, _) = test_sshd::client_keys(tmp.path());
    let sshd = test_sshd::Sshd::for_keys(&[&key]);
    // Where the plugin says Docker is: a TLS endpoint with a server certificate from the
    // store's CA (what `env` checks; a real dockerd is what the `env` tests use), which is
    // also the listener `start` waits for.
    let docker_port = testkit::free_port();
    let driver = fake_driver(&store, "p1", sshd.port, &key, docker_port);
    record(&store, "p1", "fake", driver);
    let _tls = TlsEndpoint::start(&store, "p1", docker_port);
    let url = format!("tcp://127.0.0.1:{docker_port}");

    let out = dm(
        &store,
        &plugins,
        &[
            "ls",
            "--format",
            "{{.Name}} {{.DriverName}} {{.State}} {{.URL}}",
        ],
    );
    assert_eq!(out.stdout, format!("p1 fake Running {url}\n"), "{out:?}");
    let out = dm(&store, &plugins, &["url", "p1"]);
    assert_eq!(out.stdout.trim(), url);

    let out = dm(&store, &plugins, &["env", "--shell", "bash", "p1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout
            .contains(&format!("export DOCKER_HOST=\"{url}\"\n")),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("export DOCKER_MACHINE_NAME=\"p1\"\n"),
        "{out:?}"
    );

    let out = dm(
        &store,
        &plugins,
        &["ssh", "p1", "--", "echo", "hello-from-$((40+2))"],
    );
    assert_eq!(
        (out.code, out.stdout.trim()),
        (0, "hello-from-42"),
        "{out:?}"
    );

    let out = dm(&store, &plugins, &["stop", "p1"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = dm(
        &store,
        &plugins,
        &["ls", "--format", "{{.Name}} {{.State}} {{.URL}} {{.Error}}"],
    );
    assert_eq!(out.stdout, "p1 Stopped  \n", "the stop was saved: {out:?}");
    let out = dm(&store, &plugins, &["start", "p1"]);
    assert_eq!(out.code, 0, "{out:?}");
    let out = dm(&store, &plugins, &["status", "p1"]);
    assert_eq!(out.stdout, "Running\n", "{out:?}");

    // The stored JSON is still the plugin's, so 0.16.2 can read the store back.
    let cfg: Value = serde_json::from_str(
        &std::fs::read_to_string(store.join("machines/p1/config.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(cfg["Driver"]["Tags"], json!(["x"]));
    assert_eq!(cfg["Driver"]["Running"], true);

    let out = dm(&store, &plugins, &["rm", "-y", "p1"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!store.join("machines/p1").exists());
    let removed = calls(&store).iter().any(|(_, m)| m == "Remove");
    assert!(removed, "the plugin's Remove ran");
    assert_no_plugin_left(&store);
}

#[test]
fn broken_plugins_give_one_line_and_can_be_removed() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let plugins = go_plugin_dir();
    let key = tmp.path().join("no-key");
    let cases = [
        ("fakecrash", "docker-machine-driver-fakecrash exited before serving (exit status 2): panic: cannot reach the fake cloud"),
        ("fakegarbage", "docker-machine-driver-fakegarbage printed \"Welcome to the fake cloud CLI v2!\" instead of the address of its RPC server: is it a Docker Machine driver plugin?"),
        ("fakeversion", "Driver binary uses an incompatible API version (99)"),
        ("fakedie", "docker-machine-driver-fakedie exited (exit status 3): the plugin closed the connection"),
        ("fakehang", "docker-machine-driver-fakehang did not answer .GetState within 10s"),
        ("fakemissing", "Driver \"fakemissing\" not found. Do you have the plugin binary \"docker-machine-driver-fakemissing\" accessible in your PATH?"),
    ];
    for (driver, _) in &cases {
        let name = format!("m-{driver}");
        let mut d = fake_driver(&store, &name, 1, &key, 2376);
        // Stopped, so that `ls` asks these two for their state (a URL means running).
        d["Running"] = json!(!matches!(*driver, "fakehang" | "fakedie"));
        record(&store, &name, driver, d);
    }
    for (driver, want) in &cases {
        let name = format!("m-{driver}");
        let out = dm(&store, &plugins, &["status", &name]);
        assert_eq!(out.code, 1, "{out:?}");
        assert_eq!(
            one_line(&out),
            format!("error getting state for host {name}: {want}")
        );
    }

    // ls answers within its timeout whatever the plugins do.
    let out = dm(
        &store,
        &plugins,
        &[
            "ls",
            "-t",
            "2",
            "--format",
            "{{.Name}}|{{.DriverName}}|{{.State}}|{{.Error}}",
        ],
    );
    assert!(out.secs < 6.0, "ls took {:.1} s", out.secs);
    let rows: Vec<&str> = out.stdout.lines().collect();
    assert!(rows.contains(&"m-fakehang|fakehang|Timeout|"), "{out:?}");
    assert!(rows.contains(&"m-fakemissing|not-found||Driver \"fakemissing\" not found. Do you have the plugin binary \"docker-machine-driver-fakemissing\" accessible in your PATH?"), "{out:?}");
    assert!(
        rows.contains(
            &"m-fakeversion|fakeversion||Driver binary uses an incompatible API version (99)"
        ),
        "{out:?}"
    );

    // create with a broken plugin: one line.
    let out = dm(&store, &plugins, &["create", "-d", "fakecrash", "new"]);
    assert_eq!((out.code, one_line(&out)), (1, cases[0].1), "{out:?}");

    // Ctrl-C while a plugin hangs: the plugin goes down with docker-machine.
    let asked = |store: &Path| calls(store).iter().filter(|(_, m)| m == "GetState").count();
    let before = asked(&store);
    let mut child = dm_cmd(&store, &plugins)
        .args(["status", "m-fakehang"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while asked(&store) == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let st = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let _ = child.wait();

    for (driver, _) in &cases {
        let name = format!("m-{driver}");
        let out = dm(&store, &plugins, &["rm", "-f", &name]);
        assert_eq!(out.code, 0, "{out:?}");
        assert!(
            !store.join("machines").join(&name).exists(),
            "{name}: {out:?}"
        );
    }
    assert_no_plugin_left(&store);
}

#[test]
fn heartbeats_keep_a_busy_plugin_alive() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let plugins = go_plugin_dir();
    let key = tmp.path().join("no-key");
    record(
        &store,
        "slow",
        "fakeslow",
        fake_driver(&store, "slow", 1, &key, 1),
    );
    // Kill takes 12 s; the plugin exits after 10 s without a heartbeat.
    let out = dm(&store, &plugins, &["kill", "slow"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.secs >= 12.0, "{out:?}");
    let beats = calls(&store)
        .iter()
        .filter(|(_, m)| m == "Heartbeat")
        .count();
    assert!(beats >= 2, "heartbeats during the call: {beats}");
    let out = dm(&store, &plugins, &["status", "slow"]);
    assert_eq!(out.stdout, "Stopped\n", "{out:?}");
    assert_no_plugin_left(&store);
}

/// 0.16.2's third-party suite (its/thirdparty) with its ci-test plugin, a driver that only
/// records a URL and gives no SSH address: not provisioned, as 0.16.2 did.
#[test]
fn the_ci_test_plugin_passes_the_third_party_suite() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let plugins = go_plugin_dir();
    let started = Instant::now();
    let out = dm(
        &store,
        &plugins,
        &["create", "-d", "ci-test", "--url", "url", "default"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "no SSH wait: {out:?}"
    );
    assert!(!out.stdout.contains("Waiting for"), "{out:?}");
    let out = dm(&store, &plugins, &["ls", "-q"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "default\n"), "{out:?}");
    let out = dm(&store, &plugins, &["url", "default"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "url\n"), "{out:?}");
    let out = dm(&store, &plugins, &["status", "default"]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "Running\n"), "{out:?}");
    // Provisioning asked for by hand has no address to go to: one line, at once.
    let started = Instant::now();
    let out = dm(&store, &plugins, &["provision", "default"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(one_line(&out), "the machine's driver gives no SSH address");
    assert!(started.elapsed() < Duration::from_secs(30), "{out:?}");
    let out = dm(&store, &plugins, &["rm", "-y", "default"]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(!store.join("machines/default").exists());
    assert_no_plugin_left(&store);
}
