//! The Windows binary (`x86_64-pc-windows-gnu`, cross-built by scripts/test.sh) run under
//! Debian's wine: `version`, `create -d none`, `ls`, `inspect` with the store under
//! `%USERPROFILE%\.docker\machine`, `env` in cmd and PowerShell syntax with Windows paths
//! in `DOCKER_CERT_PATH`, env's lines run by wine's cmd, and `ssh NAME -- CMD` with the
//! built-in client to a real OpenSSH server on loopback.
//!
//! Skipped ([`testkit::skip`]) only when the Windows binary was not built. All
//! tests share one WINEPREFIX under the target directory, made once (`wineboot`) under
//! a file lock, with two test-only helpers built by mingw from `tests/wine/`: a
//! `bcryptprimitives.dll` that wine 8 lacks and Rust's std needs, and a launcher named
//! `powershell.exe` that stands in for a PowerShell session (wine cannot run PowerShell).
//!
//! What wine cannot show is listed in docs/compat-differences.md.

use crate::support::{run, Out, BIN};
use libmachine::cert::{self, CertKind, CertOptions};
use serde_json::{json, Value};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use testkit::sshd as test_sshd;

/// Bumped when the prefix setup changes, so that a reused prefix is made again.
const PREFIX_VERSION: &str = "1";

struct Wine {
    prefix: PathBuf,
    /// The Windows binary, as a Windows path (`Z:\...`).
    exe: String,
    /// The PowerShell stand-in (see the file header), as a Windows path.
    powershell: String,
}

/// `Z:\...`: how wine's programs see a Unix path.
fn win_path(p: &Path) -> String {
    format!("Z:{}", p.display()).replace('/', "\\")
}

#[track_caller]
fn ok(o: Out) -> String {
    assert_eq!(o.code, 0, "{o:?}");
    o.stdout
}

/// Run quietly, stdin and output on /dev/null; whether it succeeded.
fn quiet(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn mingw(source: &str, out: &Path, extra: &[&str]) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/wine")
        .join(source);
    // (A missing compiler shows as a failed spawn: gcc-mingw-w64-x86-64, install-deps.sh.)
    ok(run(Command::new("x86_64-w64-mingw32-gcc")
        .args(["-O2", "-o"])
        .arg(out)
        .arg(&src)
        .args(extra)));
}

impl Wine {
    /// The shared prefix, made if needed; None (printed) when there is no Windows binary.
    fn get() -> Option<Wine> {
        // <target>/<profile>/docker-machine -> <target>/x86_64-pc-windows-gnu/<profile>/
        let bin = Path::new(BIN);
        let profile = bin.parent().unwrap();
        let target = profile.parent().unwrap();
        let exe = target
            .join("x86_64-pc-windows-gnu")
            .join(profile.file_name().unwrap())
            .join("docker-machine.exe");
        if !exe.exists() {
            testkit::skip(&format!(
                "the Windows binary was not built ({} is missing; \
                 cargo build --target x86_64-pc-windows-gnu -p docker-machine)",
                exe.display()
            ));
            return None;
        }
        let base = target.join("wine");
        fs::create_dir_all(&base).unwrap();
        let lock = fs::File::create(base.join("lock")).unwrap();
        lock.lock().unwrap();
        let prefix = base.join("prefix");
        let marker = prefix.join(".dm-test-prefix");
        let wine = Wine {
            exe: win_path(&exe),
            powershell: win_path(&prefix.join("drive_c/dm-test/powershell.exe")),
            prefix: prefix.clone(),
        };
        if fs::read_to_string(&marker).ok().as_deref() != Some(PREFIX_VERSION) {
            let _ = fs::remove_dir_all(&prefix);
            let start = Instant::now();
            assert!(
                quiet(wine.tool("wineboot").arg("-i")),
                "wineboot failed (is wine installed? scripts/install-deps.sh)"
            );
            mingw(
                "bcryptprimitives.c",
                &prefix.join("drive_c/windows/system32/bcryptprimitives.dll"),
                &["-shared", "-ladvapi32"],
            );
            fs::create_dir_all(prefix.join("drive_c/dm-test")).unwrap();
            mingw(
                "launcher.c",
                &prefix.join("drive_c/dm-test/powershell.exe"),
                &[],
            );
            fs::write(&marker, PREFIX_VERSION).unwrap();
            // wineboot's server leaves a few seconds after its last client; a client that
            // connects while it leaves is reset. Let it go now, before the tests' server.
            let _ = quiet(wine.tool("wineserver").arg("-k"));
            let _ = quiet(wine.tool("wineserver").arg("-w"));
            eprintln!(
                "[wine] prefix made in {:.1} s",
                start.elapsed().as_secs_f64()
            );
        }
        // Start wine's server and services with no output of ours: whatever starts them
        // keeps their standard streams, and the tests capture theirs. The server then
        // stays up between the tests and leaves 30 s after the last one.
        // (It fails when a server runs already, which is as good.)
        let _ = quiet(wine.tool("wineserver").arg("-p30"));
        assert!(
            quiet(wine.tool("wine").args(["cmd", "/c", "exit"])),
            "wine cannot run cmd"
        );
        drop(lock);
        Some(wine)
    }

    /// A wine tool with this prefix and an environment as in a plain Windows session:
    /// no Unix `SHELL` (wine passes it through; it would stand for Git Bash), no
    /// `PROMPT` (cmd sets it for its children), no DOCKER_/MACHINE_ variables.
    fn tool(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().into_owned();
            if k.starts_with("DOCKER_") || k.starts_with("MACHINE_") {
                c.env_remove(&k);
            }
        }
        c.env_remove("SHELL")
            .env_remove("PROMPT")
            .env_remove("__fish_bin_dir")
            .env("WINEPREFIX", &self.prefix)
            .env("WINEDEBUG", "-all")
            // No Mono/Gecko installers nor desktop menu entries: faster, and not needed.
            .env("WINEDLLOVERRIDES", "mscoree,mshtml,winemenubuilder.exe=")
            .stdin(Stdio::null());
        c
    }

    /// The binary run by wine directly (its parent is no shell).
    fn dm(&self, args: &[&str]) -> Out {
        run(self.tool("wine").arg(&self.exe).args(args))
    }

    /// Words run by wine's cmd (`cmd /c WORDS`). They are passed on unquoted, so none
    /// may hold a blank or a quote.
    fn cmd(&self, words: &[&str]) -> Out {
        run(self.tool("wine").args(["cmd", "/c"]).args(words))
    }

    /// The binary with the PowerShell stand-in as its parent.
    fn under_powershell(&self, args: &[&str]) -> Out {
        run(self
            .tool("wine")
            .arg(&self.powershell)
            .arg(&self.exe)
            .args(args))
    }

    /// `%USERPROFILE%` as wine's programs see it, and where that is on this host.
    fn user_profile(&self) -> (String, PathBuf) {
        let win = ok(self.cmd(&["echo", "%USERPROFILE%"])).trim().to_string();
        let rel = win
            .strip_prefix("C:\\")
            .unwrap_or_else(|| panic!("USERPROFILE {win:?} is not on C:"));
        (
            win.clone(),
            self.prefix.join("drive_c").join(rel.replace('\\', "/")),
        )
    }
}

/// A real TLS server (`openssl s_server`) with a certificate from the store's CA that
/// asks for the client certificate: what `env`'s connection check (a TLS handshake)
/// talks to. Stopped when dropped.
struct TlsServer {
    child: Child,
}

impl TlsServer {
    fn start_on(certs: &Path, work: &Path, port: u16) -> TlsServer {
        let (server, key) = (work.join("server.pem"), work.join("server-key.pem"));
        cert::generate_cert(&CertOptions {
            kind: CertKind::Server {
                swarm_master: false,
            },
            hosts: vec!["127.0.0.1".into()],
            cert_file: server.clone(),
            key_file: key.clone(),
            ca_file: certs.join("ca.pem"),
            ca_key_file: certs.join("ca-key.pem"),
            org: "wine.test".into(),
            validity: None,
        })
        .unwrap();
        let child = Command::new("openssl")
            .arg("s_server")
            .arg("-accept")
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(&server)
            .arg("-key")
            .arg(&key)
            .arg("-CAfile")
            .arg(certs.join("ca.pem"))
            .args(["-Verify", "1", "-www", "-quiet"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl (scripts/install-deps.sh)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "openssl s_server did not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        TlsServer { child }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn windows_binary_creates_lists_and_prints_env_under_wine() {
    let Some(wine) = Wine::get() else { return };
    let (profile, profile_dir) = wine.user_profile();
    let store_win = format!("{profile}\\.docker\\machine");
    let store = profile_dir.join(".docker/machine");
    // The prefix is reused: start from an empty default store.
    let _ = fs::remove_dir_all(&store);

    let version = ok(wine.dm(&["version"]));
    assert!(
        version.starts_with("docker-machine.exe version 0.16.2, build "),
        "{version}"
    );

    // The connection check of `env` needs the store's CA, which `create` makes: reserve
    // the port now and start the server after.
    let port = testkit::free_port();
    let url = format!("tcp://127.0.0.1:{port}");
    let created = ok(wine.dm(&["create", "-d", "none", "--url", &url, "w"]));
    assert!(
        created.contains(&format!("Creating CA: {store_win}\\certs\\ca.pem")),
        "{created}"
    );
    assert!(store.join("machines/w/config.json").is_file());
    assert!(store.join("certs/ca-key.pem").is_file());

    let ls = ok(wine.dm(&["ls", "--format", "{{.Name}} {{.DriverName}} {{.URL}}"]));
    assert_eq!(ls, format!("w none {url}\n"));
    let ls = ok(wine.dm(&["ls"]));
    assert!(ls.starts_with("NAME   ACTIVE   DRIVER   STATE"), "{ls}");

    let inspect: Value = serde_json::from_str(&ok(wine.dm(&["inspect", "w"]))).unwrap();
    assert_eq!(inspect["Driver"]["StorePath"], json!(store_win));
    let auth = &inspect["HostOptions"]["AuthOptions"];
    assert_eq!(
        auth["CaCertPath"],
        json!(format!("{store_win}\\certs\\ca.pem"))
    );
    assert_eq!(
        auth["StorePath"],
        json!(format!("{store_win}\\machines\\w"))
    );

    // `env` now, with a TLS server on the machine's URL.
    let work = tempfile::tempdir().unwrap();
    let server = TlsServer::start_on(&store.join("certs"), work.path(), port);
    let cert_path = format!("{store_win}\\certs");
    let vars = [
        ("DOCKER_TLS_VERIFY", "1".to_string()),
        ("DOCKER_HOST", url.clone()),
        ("DOCKER_CERT_PATH", cert_path.clone()),
        ("DOCKER_MACHINE_NAME", "w".to_string()),
        ("COMPOSE_CONVERT_WINDOWS_PATHS", "true".to_string()),
    ];
    let cmd_lines: Vec<String> = vars.iter().map(|(k, v)| format!("SET {k}={v}")).collect();
    let ps_lines: Vec<String> = vars
        .iter()
        .map(|(k, v)| format!("$Env:{k} = \"{v}\""))
        .collect();

    // Run from cmd: cmd syntax, and the original's FOR /f hint.
    let exe = &wine.exe;
    let out = ok(wine.cmd(&[exe, "env", "w"]));
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..5], cmd_lines, "{out}");
    assert_eq!(
        lines[5..],
        [
            "REM Run this command to configure your shell: ",
            &format!("REM \t@FOR /f \"tokens=*\" %i IN ('\"{exe}\" env w') DO @%i"),
        ],
        "{out}"
    );

    // Run from PowerShell (the stand-in parent), or with --shell powershell.
    let hint = format!("# & \"{exe}\" env w | Invoke-Expression");
    let out = ok(wine.under_powershell(&["env", "w"]));
    assert_eq!(out.lines().take(5).collect::<Vec<_>>(), ps_lines, "{out}");
    assert!(out.ends_with(&format!("{hint}\n")), "{out}");
    let out = ok(wine.dm(&["env", "--shell", "powershell", "w"]));
    assert_eq!(out.lines().take(5).collect::<Vec<_>>(), ps_lines, "{out}");

    // No shell for a parent (wine starts the binary itself): the original's guess,
    // PowerShell unless cmd's PROMPT variable is set.
    let out = ok(wine.dm(&["env", "w"]));
    assert_eq!(out.lines().take(5).collect::<Vec<_>>(), ps_lines, "{out}");
    let out = ok(run(wine
        .tool("wine")
        .env("PROMPT", "$P$G")
        .args([exe, "env", "w"])));
    assert_eq!(out.lines().take(5).collect::<Vec<_>>(), cmd_lines, "{out}");

    // The walkthrough's env lines, run by wine's cmd. Real cmd.exe runs them with
    // `@FOR /f "tokens=*" %i IN ('docker-machine env w') DO @%i`; wine 8's cmd cannot:
    // it does not run a substituted `SET X=1` as a builtin, and it recurses on the REM
    // hint line, which contains `%i`. So the lines are run as a batch file with `call`
    // (each is a plain cmd statement), and FOR /f is checked to read them: every SET
    // line whole, and the first two words of every line (the REM lines included,
    // without their `%i`).
    let env_bat = work.path().join("env.bat");
    let walk = work.path().join("walk.bat");
    let env_win = win_path(&env_bat);
    let mut script = vec![
        "@echo off".to_string(),
        format!("\"{exe}\" env w > \"{env_win}\""),
        format!("call \"{env_win}\""),
    ];
    script.extend(vars.iter().map(|(k, _)| format!("echo {k}=[%{k}%]")));
    script.push(format!(
        "FOR /f \"eol=R tokens=*\" %%i IN ('\"{exe}\" env w') DO @echo LINE [%%i]"
    ));
    script.push(format!(
        "FOR /f \"tokens=1,2\" %%a IN ('\"{exe}\" env w') DO @echo WORDS [%%a %%b]"
    ));
    fs::write(&walk, script.join("\r\n") + "\r\n").unwrap();
    let out = ok(wine.cmd(&[&win_path(&walk)]));
    let mut expected: Vec<String> = vars.iter().map(|(k, v)| format!("{k}=[{v}]")).collect();
    expected.extend(cmd_lines.iter().map(|l| format!("LINE [{l}]")));
    expected.extend(vars.iter().map(|(k, v)| {
        let first = format!("{k}={v}");
        format!("WORDS [SET {first}]")
    }));
    expected.push("WORDS [REM Run]".into());
    expected.push("WORDS [REM @FOR]".into());
    let got: Vec<&str> = out.lines().map(|l| l.trim_end_matches('\r')).collect();
    assert_eq!(got, expected, "{out}");
    // DOCKER_CERT_PATH names the store's certificate directory, as a Windows path.
    assert!(store.join("certs/cert.pem").is_file());
    drop(server);
}

/// Write `machines/NAME/config.json` for a generic machine at 127.0.0.1:`port` in
/// `store`, every path in it as the Windows binary sees it.
fn write_generic_machine(store: &Path, name: &str, port: u16, key: &Path) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../libmachine/tests/fixtures/store-0.16.2/machines/gen1/config.json");
    let mut cfg: Value = serde_json::from_str(&fs::read_to_string(fixture).unwrap()).unwrap();
    let dir = store.join("machines").join(name);
    fs::create_dir_all(&dir).unwrap();
    fs::copy(key, dir.join("id_rsa")).unwrap();
    let w = |p: &Path| json!(win_path(p));
    let d = &mut cfg["Driver"];
    d["IPAddress"] = json!("127.0.0.1");
    d["MachineName"] = json!(name);
    d["SSHUser"] = json!(test_sshd::current_user());
    d["SSHPort"] = json!(port);
    d["SSHKeyPath"] = w(&dir.join("id_rsa"));
    d["SSHKey"] = w(key);
    d["StorePath"] = w(store);
    cfg["Name"] = json!(name);
    let auth = &mut cfg["HostOptions"]["AuthOptions"];
    auth["StorePath"] = w(&dir);
    for (k, file) in [
        ("CertDir", "certs"),
        ("CaCertPath", "certs/ca.pem"),
        ("CaPrivateKeyPath", "certs/ca-key.pem"),
        ("ClientKeyPath", "certs/key.pem"),
        ("ClientCertPath", "certs/cert.pem"),
    ] {
        auth[k] = w(&store.join(file));
    }
    fs::write(
        dir.join("config.json"),
        serde_json::to_string_pretty(&cfg).unwrap(),
    )
    .unwrap();
}

#[test]
fn windows_binary_runs_a_command_over_its_own_ssh_client_under_wine() {
    let Some(wine) = Wine::get() else { return };
    testkit::require_sshd!();
    let work = tempfile::tempdir().unwrap();
    let (rsa, _) = test_sshd::client_keys(work.path());
    let sshd = test_sshd::Sshd::for_keys(&[&rsa]);
    let store = tempfile::tempdir().unwrap();
    write_generic_machine(store.path(), "g", sshd.port, &rsa);
    let s = win_path(store.path());
    let ssh = |args: &[&str]| {
        let mut all = vec!["-s", &s, "--native-ssh", "ssh", "g", "--"];
        all.extend_from_slice(args);
        wine.dm(&all)
    };
    let out = ssh(&["echo", "hello", "from", "$(uname", "-s)"]);
    assert_eq!(ok(out), "hello from Linux\n");
    let out = ssh(&["sh -c 'echo out; echo err >&2; exit 7'"]);
    assert_eq!(out.code, 7, "{out:?}");
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");
    // The first connection pinned the server's key (trust on first use, as for every
    // generic machine) in the machine's folder; the second one was checked against it.
    let pinned = fs::read_to_string(store.path().join("machines/g/known_hosts")).unwrap();
    let host_key = fs::read_to_string(sshd.path("host_ed25519.pub")).unwrap();
    let host_key: Vec<&str> = host_key.split_whitespace().take(2).collect();
    assert_eq!(pinned.trim(), format!("g {}", host_key.join(" ")));
}
