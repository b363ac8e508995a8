//! Provisioning without a machine: OS detection, the daemon configuration as written,
//! the daemon port, and a whole Debian run against a scripted SSH client (command order,
//! what reaches the files, modes).

use base64::Engine;
use libmachine::options::{AuthOptions, EngineOptions, SwarmOptions};
use libmachine::provision::engine::{self, systemd_drop_in, url_port};
use libmachine::provision::{detect_family, Family, OsRelease, Provisioner, Target};
use libmachine::ssh::{Output, SshClient};
use std::sync::Mutex;

fn family_of(os_release: &str) -> Result<Family, String> {
    detect_family(&OsRelease::parse(os_release)).map_err(|e| e.to_string())
}

#[test]
fn os_release_detection_table() {
    let table: &[(&str, &str, Result<&str, &str>)] = &[
        ("ubuntu 18.04", "NAME=\"Ubuntu\"\nVERSION=\"18.04.6 LTS (Bionic Beaver)\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"18.04\"\n", Ok("ubuntu(systemd)")),
        ("ubuntu 24.04", "ID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"24.04\"\n", Ok("ubuntu(systemd)")),
        ("ubuntu 14.04", "NAME=\"Ubuntu\"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID=\"14.04\"\n", Ok("ubuntu(upstart)")),
        ("debian 12", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nVERSION_ID=\"12\"\nID=debian\nHOME_URL=\"https://www.debian.org/\"\n", Ok("debian")),
        ("raspbian", "ID=raspbian\nID_LIKE=debian\nVERSION_ID=\"11\"\n", Ok("debian")),
        ("rhel 9", "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"9.3\"\n", Ok("redhat")),
        ("centos 7", "NAME=\"CentOS Linux\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\n", Ok("centos")),
        ("rocky 9", "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.3\"\n", Ok("redhat")),
        ("amazon linux 2", "ID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\nVERSION_ID=\"2\"\n", Ok("centos")),
        ("fedora 39", "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=39\n", Ok("fedora")),
        ("oracle linux 8", "NAME=\"Oracle Linux Server\"\nID=\"ol\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"8.9\"\n", Ok("ol")),
        ("arch", "NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n", Ok("arch")),
        ("manjaro (ID_LIKE=arch)", "NAME=\"Manjaro Linux\"\nID=manjaro\nID_LIKE=arch\n", Ok("arch")),
        ("opensuse-leap", "NAME=\"openSUSE Leap\"\nID=\"opensuse-leap\"\nID_LIKE=\"suse opensuse\"\nVERSION_ID=\"15.5\"\n", Ok("SUSE")),
        ("sles", "NAME=\"SLES\"\nID=\"sles\"\nID_LIKE=\"suse\"\nVERSION_ID=\"15.5\"\n", Ok("SUSE")),
        ("alpine", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n", Ok("alpine")),
        ("boot2docker", B2D_OS_RELEASE, Ok("boot2docker")),
        // The original did not recognise Mint (ID_LIKE ignored): fixed, it is Ubuntu.
        ("linuxmint 21", "NAME=\"Linux Mint\"\nID=linuxmint\nID_LIKE=\"ubuntu debian\"\nVERSION_ID=\"21.2\"\n", Ok("ubuntu(systemd)")),
        ("unknown", "NAME=\"Plan 9\"\nID=plan9\nVERSION_ID=4\n", Err("OS type not recognized")),
        ("unknown ID_LIKE", "ID=foo\nID_LIKE=\"bar baz\"\n", Err("OS type not recognized")),
        ("empty", "", Err("OS type not recognized")),
    ];
    for (what, text, want) in table {
        let got = family_of(text);
        let got = got.as_ref().map(|f| f.name()).map_err(String::as_str);
        assert_eq!(got, *want, "{what}");
    }
}

#[test]
fn detection_is_deterministic_and_id_first() {
    // ID wins over ID_LIKE; ID_LIKE words are tried in file order.
    assert_eq!(
        family_of("ID=debian\nID_LIKE=ubuntu\n").unwrap(),
        Family::Debian
    );
    assert_eq!(
        family_of("ID=x\nID_LIKE=\"fedora rhel\"\n").unwrap(),
        Family::Fedora
    );
    assert_eq!(
        family_of("ID=x\nID_LIKE=\"rhel fedora\"\n").unwrap(),
        Family::RedHat
    );
    for _ in 0..50 {
        assert_eq!(
            family_of("ID=x\nID_LIKE=\"suse arch\"\n").unwrap(),
            Family::Suse
        );
    }
    // A Mint-like VERSION_ID never makes a derivative look like old Ubuntu.
    assert_eq!(
        family_of("ID=mint\nID_LIKE=ubuntu\nVERSION_ID=3\n").unwrap(),
        Family::UbuntuSystemd
    );
    assert!(Family::Debian.verified() && Family::UbuntuSystemd.verified());
    assert!(!Family::Alpine.verified() && !Family::Fedora.verified());
}

fn compat_engine_options() -> EngineOptions {
    EngineOptions {
        arbitrary_flags: Some(vec!["log-driver=syslog".into()]),
        env: Some(vec!["HTTP_PROXY=http://proxy:3128".into()]),
        insecure_registry: Some(vec!["reg.local:5000".into()]),
        labels: Some(vec!["env=prod".into()]),
        registry_mirror: Some(vec!["https://mirror.local".into()]),
        tls_verify: true,
        install_url: "https://get.docker.com".into(),
        ..Default::default()
    }
}

/// The systemd drop-in 0.16.2 wrote on Ubuntu, byte for byte (modulo the dockerd path).
const COMPAT_DROP_IN: &str = "[Service]
ExecStart=
ExecStart=/usr/bin/dockerd -H tcp://0.0.0.0:2376 -H unix:///var/run/docker.sock --storage-driver overlay2 --tlsverify --tlscacert /etc/docker/ca.pem --tlscert /etc/docker/server.pem --tlskey /etc/docker/server-key.pem --label env=prod --label provider=generic --insecure-registry reg.local:5000 --registry-mirror https://mirror.local --log-driver=syslog 
Environment=\"HTTP_PROXY=http://proxy:3128\" 
";

#[test]
fn drop_in_matches_the_original() {
    let engine = compat_engine_options();
    let storage = engine::storage_driver(&engine);
    assert_eq!(
        systemd_drop_in("/usr/bin/dockerd", 2376, &storage, &engine, "generic"),
        COMPAT_DROP_IN
    );
    assert_eq!(
        systemd_drop_in("/usr/sbin/dockerd", 2376, &storage, &engine, "generic"),
        COMPAT_DROP_IN.replace("/usr/bin/dockerd", "/usr/sbin/dockerd")
    );
    // No options at all: bare Environment=, only the provider label.
    let plain = systemd_drop_in(
        "/usr/bin/dockerd",
        12376,
        "overlay2",
        &EngineOptions::default(),
        "amazonec2",
    );
    assert!(plain.contains(" -H tcp://0.0.0.0:12376 "), "{plain}");
    assert!(
        plain.ends_with("--label provider=amazonec2 \nEnvironment=\n"),
        "{plain}"
    );
    // --engine-storage-driver wins.
    let e = EngineOptions {
        storage_driver: "zfs".into(),
        ..Default::default()
    };
    assert_eq!(engine::storage_driver(&e), "zfs");
}

#[test]
fn drop_in_values_reach_dockerd_unexpanded() {
    // The original sent the file through a double-quoted printf: `$(...)` ran remotely.
    // Here values are only escaped for systemd itself.
    let engine = EngineOptions {
        labels: Some(vec![
            "x=$(reboot)".into(),
            "pct=100%".into(),
            "sp=a b".into(),
        ]),
        env: Some(vec!["A=\"q\"".into()]),
        ..Default::default()
    };
    let d = systemd_drop_in("/usr/bin/dockerd", 2376, "overlay2", &engine, "generic");
    assert!(d.contains(" --label x=$$(reboot) "), "{d}");
    assert!(d.contains(" --label pct=100%% "), "{d}");
    assert!(d.contains(" --label \"sp=a b\" "), "{d}");
    assert!(d.contains("Environment=\"A=\\\"q\\\"\" \n"), "{d}");
}

#[test]
fn daemon_port_from_the_url() {
    assert_eq!(url_port("tcp://192.168.99.100:2376"), Ok(2376));
    assert_eq!(url_port("tcp://127.0.0.1:40123"), Ok(40123));
    // The original split on ':' and fell back to 2376 for IPv6 hosts.
    assert_eq!(url_port("tcp://[2001:db8::1]:12376"), Ok(12376));
    assert_eq!(url_port("tcp://[::1]:2377"), Ok(2377));
    assert!(url_port("tcp://2001:db8::1:2376").is_err());
    assert!(url_port("tcp://host").is_err());
}

#[test]
fn server_cert_names() {
    let sans = vec!["docker.example.com".to_string(), "10.1.1.1".to_string()];
    assert_eq!(
        engine::server_cert_hosts(&sans, "203.0.113.5"),
        ["docker.example.com", "10.1.1.1", "203.0.113.5", "localhost"]
    );
    assert_eq!(
        engine::server_cert_hosts(&[], "127.0.0.1"),
        ["127.0.0.1", "localhost"]
    );
}

/// A scripted machine: answers each command from a table and records what was sent.
/// Real provisioning runs against the test-bed VM (docker-machine's `vm_generic` test);
/// this one pins the exact command sequence, which a VM run cannot show.
struct FakeDebian {
    sent: Mutex<Vec<String>>,
    /// Answers that replace the table's for commands containing the needle.
    overrides: Vec<(&'static str, Output)>,
}

impl FakeDebian {
    fn new() -> FakeDebian {
        FakeDebian {
            sent: Mutex::new(Vec::new()),
            overrides: Vec::new(),
        }
    }

    fn answering(mut self, needle: &'static str, stdout: &str, status: i32) -> FakeDebian {
        let out = Output {
            stdout: stdout.into(),
            stderr: String::new(),
            status,
        };
        self.overrides.push((needle, out));
        self
    }

    fn reply(command: &str) -> Output {
        let ok = |stdout: &str| Output {
            stdout: stdout.into(),
            stderr: String::new(),
            status: 0,
        };
        let fail = |status: i32, stderr: &str| Output {
            stdout: String::new(),
            stderr: stderr.into(),
            status,
        };
        if command == "cat /etc/os-release" {
            ok("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
        } else if command.starts_with("command -v docker") {
            fail(1, "")
        } else if command.starts_with("curl -fsSL") {
            fail(6, "curl: (6) Could not resolve host: get.docker.com\n")
        } else if command == "sudo sh -c 'command -v dockerd'" {
            ok("/usr/sbin/dockerd\n")
        } else if command.contains("ss -tln") {
            ok("State Recv-Q Send-Q Local Address:Port Peer Address:Port\nLISTEN 0 4096 *:2376 *:*\n")
        } else {
            ok("")
        }
    }

    fn sent(&self) -> Vec<String> {
        self.sent.lock().unwrap().clone()
    }
}

impl SshClient for FakeDebian {
    fn output(&self, command: &str) -> anyhow::Result<Output> {
        self.sent.lock().unwrap().push(command.to_string());
        Ok(
            match self.overrides.iter().find(|(n, _)| command.contains(n)) {
                Some((_, out)) => out.clone(),
                None => FakeDebian::reply(command),
            },
        )
    }
    fn interactive(&self, _args: &[String]) -> anyhow::Result<i32> {
        Ok(0)
    }
}

/// The content and mode of a file written through `write_remote`.
fn written(commands: &[String], path: &str) -> Option<(Vec<u8>, String)> {
    let cmd = commands
        .iter()
        .find(|c| c.contains(&format!("> {path}.tmp ")))?;
    let b64 = cmd.strip_prefix("printf '%s' '")?.split('\'').next()?;
    let mode = cmd.split("chmod ").nth(1)?.split(' ').next()?.to_string();
    Some((
        base64::engine::general_purpose::STANDARD.decode(b64).ok()?,
        mode,
    ))
}

/// The auth options of machine `name` in `store`, as create sets them.
fn machine_auth(store: &libmachine::Store, name: &str) -> AuthOptions {
    let certs = store.certs_dir();
    let md = store.machine_dir(name);
    let p = |d: &std::path::Path, f: &str| d.join(f).to_string_lossy().into_owned();
    AuthOptions {
        cert_dir: certs.to_string_lossy().into_owned(),
        ca_cert_path: p(&certs, "ca.pem"),
        ca_private_key_path: p(&certs, "ca-key.pem"),
        client_cert_path: p(&certs, "cert.pem"),
        client_key_path: p(&certs, "key.pem"),
        server_cert_path: p(&md, "server.pem"),
        server_key_path: p(&md, "server-key.pem"),
        store_path: md.to_string_lossy().into_owned(),
        ..Default::default()
    }
}

#[test]
fn debian_run_against_a_scripted_machine() {
    let dir = tempfile::tempdir().unwrap();
    let store = libmachine::Store::new(dir.path());
    let machine_dir = store.machine_dir("g1");
    let auth = AuthOptions {
        server_cert_sans: Some(vec!["g1.example".into()]),
        ..machine_auth(&store, "g1")
    };
    libmachine::cert::bootstrap(&auth, &store).unwrap();
    let engine = compat_engine_options();
    let swarm = SwarmOptions::default();
    let target = Target {
        machine_name: "g1",
        driver_name: "generic",
        ip: "127.0.0.1".into(),
        daemon_port: 2376,
        engine: &engine,
        swarm: &swarm,
        auth: &auth,
    };
    let fake = FakeDebian::new();
    let provisioner = Provisioner::detect(&fake).unwrap();
    assert_eq!(provisioner.family, Family::Debian);
    provisioner.provision(&target).unwrap();
    let sent = fake.sent();
    let pos = |needle: &str| {
        sent.iter()
            .position(|c| c.contains(needle))
            .unwrap_or_else(|| panic!("no command containing {needle:?} in {sent:#?}"))
    };

    // Order: hostname, cloud-init, apt, install (fallback to docker.io + apparmor),
    // daemon answers, stop, /etc/docker created before the uploads, drop-in, restart,
    // listening, enable.
    let order = [
        "test -d /run/systemd/system",
        "sudo -n true",
        "sudo ss -tlnp",
        "sudo hostname g1",
        "cloud-init status --wait",
        "apt-get -o DPkg::Lock::Timeout=300 update",
        "install -y --no-install-recommends curl",
        "curl -fsSL",
        "install -y --no-install-recommends docker.io apparmor",
        "sudo docker version",
        "sudo systemctl -f stop docker",
        "sudo mkdir -p /etc/docker",
        "> /etc/docker/ca.pem.tmp",
        "> /etc/docker/server-key.pem.tmp",
        "sudo mkdir -p /etc/systemd/system/docker.service.d",
        "> /etc/systemd/system/docker.service.d/10-machine.conf.tmp",
        "sudo systemctl daemon-reload",
        "sudo systemctl -f start docker",
        "else ss -tln;",
        "sudo systemctl -f enable docker",
    ];
    // `start docker` also runs right after installation: the restart is the last one.
    let positions: Vec<usize> = order
        .iter()
        .map(|n| match *n {
            "sudo systemctl -f start docker" => sent.iter().rposition(|c| c == n).unwrap(),
            n => pos(n),
        })
        .collect();
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(positions, sorted, "command order: {sent:#?}");

    // What was written, decoded, and with which modes.
    let (dropin, mode) = written(&sent, engine::SYSTEMD_DROP_IN).unwrap();
    assert_eq!(mode, "644");
    assert_eq!(
        String::from_utf8(dropin).unwrap(),
        COMPAT_DROP_IN.replace("/usr/bin/dockerd", "/usr/sbin/dockerd")
    );
    let (key, mode) = written(&sent, engine::REMOTE_SERVER_KEY).unwrap();
    assert_eq!(mode, "600");
    assert_eq!(key, std::fs::read(&auth.server_key_path).unwrap());
    let (ca, mode) = written(&sent, engine::REMOTE_CA).unwrap();
    assert_eq!(
        (ca, mode.as_str()),
        (std::fs::read(&auth.ca_cert_path).unwrap(), "644")
    );

    // Local copies (DOCKER_CERT_PATH) and the server certificate's names.
    for f in [
        "ca.pem",
        "cert.pem",
        "key.pem",
        "server.pem",
        "server-key.pem",
    ] {
        assert!(machine_dir.join(f).is_file(), "{f}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |f: &str| {
            std::fs::metadata(machine_dir.join(f))
                .unwrap()
                .permissions()
                .mode()
                & 0o777
        };
        assert_eq!(
            (mode("server.pem"), mode("server-key.pem"), mode("key.pem")),
            (0o644, 0o600, 0o600)
        );
    }
    let info = libmachine::cert::read_cert_info(&machine_dir.join("server.pem")).unwrap();
    assert!(info.covers("g1.example") && info.covers("127.0.0.1") && info.covers("localhost"));
    assert_eq!(
        info.organizations,
        [format!("{}.g1", libmachine::cert::username())]
    );

    // Nothing the user gave is ever inside a double-quoted remote string.
    assert!(
        !sent.iter().any(|c| c.contains("proxy:3128")),
        "values travel base64-encoded"
    );
}

#[test]
fn configure_auth_alone_does_not_install() {
    let dir = tempfile::tempdir().unwrap();
    let store = libmachine::Store::new(dir.path());
    let certs = store.certs_dir();
    let md = store.machine_dir("m");
    let p = |d: &std::path::Path, f: &str| d.join(f).to_string_lossy().into_owned();
    let auth = AuthOptions {
        cert_dir: p(dir.path(), "certs"),
        ca_cert_path: p(&certs, "ca.pem"),
        ca_private_key_path: p(&certs, "ca-key.pem"),
        client_cert_path: p(&certs, "cert.pem"),
        client_key_path: p(&certs, "key.pem"),
        server_cert_path: p(&md, "server.pem"),
        server_key_path: p(&md, "server-key.pem"),
        store_path: md.to_string_lossy().into_owned(),
        ..Default::default()
    };
    libmachine::cert::bootstrap(&auth, &store).unwrap();
    let engine = EngineOptions::default();
    let swarm = SwarmOptions::default();
    let target = Target {
        machine_name: "m",
        driver_name: "generic",
        ip: "10.0.0.9".into(),
        daemon_port: 2376,
        engine: &engine,
        swarm: &swarm,
        auth: &auth,
    };
    let fake = FakeDebian::new();
    let provisioner = Provisioner::for_family(&fake, Family::Debian, OsRelease::default());
    provisioner.configure_auth(&target).unwrap();
    let sent = fake.sent();
    assert!(
        !sent
            .iter()
            .any(|c| c.contains("apt-get") || c.contains("curl")),
        "{sent:#?}"
    );
    assert!(sent
        .iter()
        .any(|c| c.contains("> /etc/docker/server.pem.tmp")));
    let info = libmachine::cert::read_cert_info(&md.join("server.pem")).unwrap();
    assert!(info.covers("10.0.0.9") && !info.covers("127.0.0.1"));
}

/// A machine that cannot be provisioned says why before anything is installed.
#[test]
fn unprovisionable_machines_fail_before_installing() {
    let engine = compat_engine_options();
    let swarm = SwarmOptions::default();
    let auth = AuthOptions::default();
    let target = Target {
        machine_name: "g1",
        driver_name: "generic",
        ip: "127.0.0.1".into(),
        daemon_port: 2376,
        engine: &engine,
        swarm: &swarm,
        auth: &auth,
    };
    let cases = [
        (
            FakeDebian::new().answering("test -d /run/systemd/system", "", 1),
            "the machine does not run systemd, which the debian provisioner needs to manage the Docker daemon",
        ),
        (
            FakeDebian::new().answering(
                "sudo ss -tlnp",
                "LISTEN 0 5 0.0.0.0:2376 0.0.0.0:* users:((\"nginx\",pid=7,fd=6))\n",
                0,
            ),
            "port 2376 on the machine is already in use by nginx: stop it or choose another engine port",
        ),
    ];
    for (fake, want) in cases {
        let provisioner = Provisioner::detect(&fake).unwrap();
        let err = provisioner.provision(&target).unwrap_err();
        assert_eq!(err.to_string(), want);
        let sent = fake.sent();
        assert!(
            !sent
                .iter()
                .any(|c| c.contains("--no-install-recommends") || c.contains("sudo hostname")),
            "nothing installed or changed: {sent:#?}"
        );
    }
}

/// boot2docker's os-release (the ISO's `/etc/os-release`).
const B2D_OS_RELEASE: &str = "NAME=Boot2Docker\nVERSION=19.03.12\nID=boot2docker\nID_LIKE=tcl\nVERSION_ID=19.03.12\nPRETTY_NAME=\"Boot2Docker 19.03.12 (TCL 10.1)\"\n";

#[test]
fn boot2docker_run_against_a_scripted_machine() {
    let dir = tempfile::tempdir().unwrap();
    let store = libmachine::Store::new(dir.path());
    let md = store.machine_dir("b1");
    let auth = machine_auth(&store, "b1");
    libmachine::cert::bootstrap(&auth, &store).unwrap();
    let engine = EngineOptions {
        labels: Some(vec!["env=dev".into()]),
        ..Default::default()
    };
    let swarm = SwarmOptions::default();
    let target = Target {
        machine_name: "b1",
        driver_name: "hyperv",
        ip: "172.20.0.5".into(),
        daemon_port: 2376,
        engine: &engine,
        swarm: &swarm,
        auth: &auth,
    };
    let fake = FakeDebian::new().answering("cat /etc/os-release", B2D_OS_RELEASE, 0);
    let provisioner = Provisioner::detect(&fake).unwrap();
    assert_eq!(provisioner.family, Family::Boot2Docker);
    assert_eq!(provisioner.family.name(), "boot2docker");
    provisioner.provision(&target).unwrap();
    let sent = fake.sent();
    // Every command, uploads shown by their target: nothing is installed, no systemd.
    let shown: Vec<String> = sent
        .iter()
        .map(|c| match c.split("base64 -d > ").nth(1) {
            Some(rest) => format!("write {}", rest.split(".tmp").next().unwrap()),
            None => c.clone(),
        })
        .collect();
    let ss = "if ! type ss >/dev/null 2>&1; then netstat -tln; else ss -tln; fi";
    assert_eq!(
        shown,
        [
            "cat /etc/os-release",
            "test -x /etc/init.d/docker",
            "sudo /usr/bin/sethostname b1 && sudo mkdir -p /var/lib/boot2docker/etc && echo \"b1\" | sudo tee /var/lib/boot2docker/etc/hostname",
            ss,
            "sudo mkdir -p /var/lib/boot2docker",
            "sudo /etc/init.d/docker stop",
            "if ip link show docker0 >/dev/null 2>&1; then sudo ip link delete docker0; fi",
            "sudo mkdir -p /var/lib/boot2docker",
            "write /var/lib/boot2docker/ca.pem",
            "write /var/lib/boot2docker/server.pem",
            "write /var/lib/boot2docker/server-key.pem",
            "write /var/lib/boot2docker/profile",
            "sudo /etc/init.d/docker start",
            ss,
        ]
    );
    let (profile, mode) = written(&sent, "/var/lib/boot2docker/profile").unwrap();
    assert_eq!(mode, "644");
    let profile = String::from_utf8(profile).unwrap();
    assert!(
        profile.contains("EXTRA_ARGS='\n--label env=dev\n--label provider=hyperv\n\n'\n"),
        "{profile}"
    );
    assert!(
        profile.contains(
            "DOCKER_HOST='-H tcp://0.0.0.0:2376'\nDOCKER_STORAGE=overlay2\nDOCKER_TLS=auto\n"
        ),
        "{profile}"
    );
    let (_, key_mode) = written(&sent, "/var/lib/boot2docker/server-key.pem").unwrap();
    assert_eq!(key_mode, "600");
    let info = libmachine::cert::read_cert_info(&md.join("server.pem")).unwrap();
    assert!(info.covers("172.20.0.5"));

    // No package manager: `upgrade` through packages is refused (the ISO is replaced
    // by the host instead).
    let err = provisioner.upgrade(&target).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the boot2docker provisioner installs no packages"
    );
}
