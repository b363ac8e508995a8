//! `ls`, `active` and `version NAME` through the real binary on temporary stores, and
//! against a real `dockerd` speaking mutual TLS when the machine allows starting one.

use crate::support::dockerd::{self, Dockerd};
use crate::support::BIN;
use libmachine::cert::{self, CertKind, CertOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};
use testkit::SilentListener;
/// Nothing listens on port 1: connections are refused at once.
const REFUSED: &str = "tcp://127.0.0.1:1";
const REFUSED_ERR: &str = "Unable to query docker version: Get https://127.0.0.1:1/version: dial tcp 127.0.0.1:1: connect: connection refused";

struct Store {
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Store {
    fn new() -> Store {
        Store {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A store whose `certs/` holds a CA and a client pair (as `create` leaves it).
    fn with_certs() -> Store {
        let s = Store::new();
        let certs = s.path().join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        cert::generate_ca(&certs.join("ca.pem"), &certs.join("ca-key.pem"), "test").unwrap();
        cert::generate_cert(&CertOptions {
            kind: CertKind::Client,
            cert_file: certs.join("cert.pem"),
            key_file: certs.join("key.pem"),
            ca_file: certs.join("ca.pem"),
            ca_key_file: certs.join("ca-key.pem"),
            org: "test.bootstrap".into(),
            ..Default::default()
        })
        .unwrap();
        s
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn machine_dir(&self, name: &str) -> PathBuf {
        self.path().join("machines").join(name)
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = Command::new(BIN);
        cmd.arg("-s")
            .arg(self.path())
            .args(args)
            .env_remove("DOCKER_HOST")
            .env_remove("MACHINE_STORAGE_PATH")
            .env_remove("MACHINE_DEBUG")
            .stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap().into()
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_env(args, &[])
    }

    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args);
        assert_eq!(r.code, 0, "{args:?} failed: {}{}", r.stdout, r.stderr);
        r.stdout
    }

    fn create_none(&self, name: &str, url: &str, extra: &[&str]) {
        let mut args = vec!["create", "-d", "none", "--url", url];
        args.extend_from_slice(extra);
        args.push(name);
        let r = self.run(&args);
        assert_eq!(r.code, 0, "create {name}: {}{}", r.stdout, r.stderr);
    }

    /// Edit a machine's config.json.
    fn edit_config(&self, name: &str, edit: impl FnOnce(&mut serde_json::Value)) {
        let path = self.machine_dir(name).join("config.json");
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        edit(&mut v);
        std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    }

    fn quiet(&self, filters: &[&str]) -> Vec<String> {
        let mut args = vec!["ls", "-q"];
        for f in filters {
            args.push("--filter");
            args.push(f);
        }
        self.ok(&args).lines().map(String::from).collect()
    }
}

/// Go's tabwriter with (5, 1, 3, ' '), for tables whose rows all have the same cells.
fn table(rows: &[Vec<&str>]) -> String {
    let cols = rows[0].len();
    let widths: Vec<usize> = (0..cols - 1)
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count() + 3)
                .max()
                .unwrap()
                .max(5)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        for (c, cell) in r.iter().enumerate() {
            out.push_str(cell);
            if c < cols - 1 {
                out.push_str(&" ".repeat(widths[c] - cell.chars().count()));
            }
        }
        out.push('\n');
    }
    out
}

const HEADER: [&str; 8] = [
    "NAME", "ACTIVE", "DRIVER", "STATE", "URL", "SWARM", "DOCKER", "ERRORS",
];

#[test]
fn table_is_byte_exact() {
    let s = Store::new();
    s.create_none("n1", REFUSED, &[]);
    let out = s.ok(&["ls"]);
    let expected = "NAME   ACTIVE   DRIVER   STATE     URL                 SWARM   DOCKER    ERRORS\n\
                    n1     -        none     Running   tcp://127.0.0.1:1           Unknown   Unable to query docker version: Get https://127.0.0.1:1/version: dial tcp 127.0.0.1:1: connect: connection refused\n";
    assert_eq!(out, expected);
}

#[test]
fn empty_store_prints_the_header() {
    let s = Store::new();
    assert_eq!(
        s.ok(&["ls"]),
        "NAME   ACTIVE   DRIVER   STATE   URL   SWARM   DOCKER   ERRORS\n"
    );
    assert_eq!(s.ok(&["ls", "-q"]), "");
}

#[test]
fn natural_sort_and_quiet_order() {
    let s = Store::new();
    for n in ["n10", "N2", "n1"] {
        s.create_none(n, REFUSED, &[]);
    }
    let out = s.ok(&["ls"]);
    let mut rows = vec![HEADER.to_vec()];
    for n in ["n1", "N2", "n10"] {
        rows.push(vec![
            n,
            "-",
            "none",
            "Running",
            REFUSED,
            "",
            "Unknown",
            REFUSED_ERR,
        ]);
    }
    assert_eq!(out, table(&rows));
    // -q: directory (bytewise) order, no queries.
    assert_eq!(s.ok(&["ls", "-q"]), "N2\nn1\nn10\n");
}

#[test]
fn case_only_differences_both_listed() {
    let s = Store::new();
    s.create_none("web", REFUSED, &[]);
    s.create_none("WEB", REFUSED, &[]);
    let names: Vec<String> = s
        .ok(&["ls", "--format", "{{.Name}}"])
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(names, ["WEB", "web"]);
}

#[test]
fn filters() {
    let s = Store::new();
    s.create_none(
        "a1",
        REFUSED,
        &["--engine-label", "env=Prod", "--engine-label", "app=web"],
    );
    s.create_none("a2", REFUSED, &["--engine-label", "env=dev"]);
    s.create_none(
        "m1",
        REFUSED,
        &["--swarm-master", "--swarm-discovery", "token://cluster"],
    );
    s.create_none(
        "w1",
        REFUSED,
        &["--swarm", "--swarm-discovery", "token://cluster"],
    );

    let q = |f: &[&str]| s.quiet(f);
    assert_eq!(q(&[]), ["a1", "a2", "m1", "w1"]);
    // name: unanchored, case-sensitive regex; repeated = OR.
    assert_eq!(q(&["name=^a"]), ["a1", "a2"]);
    assert_eq!(q(&["name=1$"]), ["a1", "m1", "w1"]);
    assert_eq!(q(&["name=A"]), Vec::<String>::new());
    assert_eq!(q(&["name=a1", "name=w"]), ["a1", "w1"]);
    // driver and state: case-insensitive equality.
    assert_eq!(q(&["driver=NONE"]).len(), 4);
    assert!(q(&["driver=generic"]).is_empty());
    assert_eq!(q(&["state=running"]).len(), 4);
    assert!(q(&["state=Stopped"]).is_empty());
    assert_eq!(q(&["state=stopped", "state=RUNNING"]).len(), 4);
    // label: key exact, value case-insensitive.
    assert_eq!(q(&["label=env=prod"]), ["a1"]);
    assert!(q(&["label=ENV=prod"]).is_empty());
    assert_eq!(q(&["label=env=prod", "label=env=dev"]), ["a1", "a2"]);
    // swarm: the master's name, case-insensitive.
    assert_eq!(q(&["swarm=M1"]), ["m1", "w1"]);
    // different keys = AND; the key itself is case-insensitive.
    assert_eq!(q(&["label=env=prod", "name=2"]), Vec::<String>::new());
    assert_eq!(q(&["NAME=^a", "Label=env=dev"]), ["a2"]);
    assert_eq!(q(&["swarm=m1", "name=^w"]), ["w1"]);

    // The table honours filters too, and shows the swarm column.
    let out = s.ok(&["ls", "--filter", "swarm=m1"]);
    let mut rows = vec![HEADER.to_vec()];
    rows.push(vec![
        "m1",
        "-",
        "none",
        "Running",
        REFUSED,
        "m1 (master)",
        "Unknown",
        REFUSED_ERR,
    ]);
    rows.push(vec![
        "w1",
        "-",
        "none",
        "Running",
        REFUSED,
        "m1",
        "Unknown",
        REFUSED_ERR,
    ]);
    assert_eq!(out, table(&rows));
}

#[test]
fn filter_errors() {
    let s = Store::new();
    s.create_none("a1", REFUSED, &[]);

    let r = s.run(&["ls", "--filter", "name=["]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("regex parse error"), "{}", r.stderr);

    let r = s.run(&["ls", "--filter", "label=env"]);
    assert_eq!(r.code, 1, "no panic: {}", r.stderr);
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        "Unsupported label filter 'env': expected label=KEY=VALUE\n"
    );

    let r = s.run(&["ls", "--filter", "Foo=bar"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, "Unsupported filter key 'foo'\n")
    );

    let r = s.run(&["ls", "--filter", "name"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, "Unsupported filter syntax.\n")
    );

    // -q checks filters too.
    assert_eq!(s.run(&["ls", "-q", "--filter", "label=x"]).code, 1);
}

#[test]
fn unloadable_machines_are_listed() {
    let s = Store::new();
    s.create_none("x1", REFUSED, &[]);
    s.create_none("x2", REFUSED, &[]);
    std::fs::write(s.machine_dir("x2").join("config.json"), "{not json").unwrap();
    std::fs::create_dir_all(s.machine_dir("x3")).unwrap();

    let r = s.run(&["ls"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    assert!(lines[1].starts_with("x1 ") && lines[1].contains("Running"));
    let x2: Vec<&str> = lines[2].split_whitespace().collect();
    assert_eq!(&x2[..4], ["x2", "not", "found", "Error"], "{}", lines[2]);
    assert!(
        lines[2].contains("Error getting migrated host"),
        "{}",
        lines[2]
    );
    let missing = format!(
        "open {}: no such file or directory",
        s.machine_dir("x3").join("config.json").display()
    );
    assert!(lines[3].starts_with("x3 "), "{}", lines[3]);
    assert!(lines[3].ends_with(&missing), "{}", lines[3]);
    // ACTIVE empty, DRIVER `not found`: the cells line up with the header.
    let header = lines[0];
    assert_eq!(
        &lines[3][header.find("DRIVER").unwrap()..header.find("STATE").unwrap()],
        "not found   "
    );
    assert_eq!(
        &lines[3][header.find("ACTIVE").unwrap()..header.find("DRIVER").unwrap()],
        " ".repeat(9)
    );

    // Never in -q; filters judge them by their row.
    assert_eq!(s.quiet(&[]), ["x1"]);
    let names = |f: &str| -> Vec<String> {
        s.ok(&["ls", "--filter", f, "--format", "{{.Name}}"])
            .lines()
            .map(String::from)
            .collect()
    };
    assert_eq!(names("name=x"), ["x1", "x2", "x3"]);
    assert_eq!(names("name=3"), ["x3"]);
    assert_eq!(names("driver=none"), ["x1"]);
    assert_eq!(names("state=error"), ["x2", "x3"]);
    assert_eq!(names("label=a=b"), Vec::<String>::new());
}

#[test]
fn active_column_and_command() {
    let s = Store::new();
    s.create_none("n1", REFUSED, &[]);
    s.create_none("n2", "tcp://127.0.0.1:2", &[]);
    s.create_none(
        "m1",
        "tcp://127.0.0.1:3",
        &["--swarm-master", "--swarm-discovery", "token://c"],
    );

    let active_col = |docker_host: &str| -> Vec<String> {
        s.run_env(
            &["ls", "--format", "{{.Name}}={{.Active}}"],
            &[("DOCKER_HOST", docker_host)],
        )
        .stdout
        .lines()
        .map(String::from)
        .collect()
    };
    assert_eq!(active_col(REFUSED), ["m1=-", "n1=*", "n2=-"]);
    // Exact string comparison: a trailing slash is another host.
    assert_eq!(active_col("tcp://127.0.0.1:1/"), ["m1=-", "n1=-", "n2=-"]);
    // The swarm master on its swarm port.
    assert_eq!(
        active_col("tcp://127.0.0.1:3376"),
        ["m1=* (swarm)", "n1=-", "n2=-"]
    );
    let out = s
        .run_env(&["ls"], &[("DOCKER_HOST", "tcp://127.0.0.1:2")])
        .stdout;
    let n2 = out.lines().find(|l| l.starts_with("n2 ")).unwrap();
    assert_eq!(n2.split_whitespace().nth(1), Some("*"));

    let r = s.run_env(&["active"], &[("DOCKER_HOST", "tcp://127.0.0.1:2")]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "n2\n"), "{}", r.stderr);
    let r = s.run_env(&["active"], &[("DOCKER_HOST", "tcp://127.0.0.1:3376")]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "m1\n"), "{}", r.stderr);
    let r = s.run(&["active"]);
    assert_eq!((r.code, r.stderr.as_str()), (1, "No active host found\n"));
    let r = s.run(&["active", "n1"]);
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (1, "Error: Too many arguments given\n")
    );
}

#[test]
fn format_option() {
    let s = Store::new();
    s.create_none("n1", REFUSED, &["--engine-label", "a=b"]);
    s.create_none("n2", REFUSED, &[]);

    assert_eq!(
        s.ok(&["ls", "--format", "{{.Name}} {{.DriverName}} {{.State}}"]),
        "n1 none Running\nn2 none Running\n"
    );
    // Surrounding spaces trimmed; literal \t and \n become TAB and newline.
    assert_eq!(
        s.ok(&["ls", "-f", "  {{.Name}}\\t{{.URL}}\\n "]),
        format!("n1\t{REFUSED}\n\nn2\t{REFUSED}\n\n")
    );
    // table: a header from the same template, aligned by the tabwriter.
    assert_eq!(
        s.ok(&[
            "ls",
            "--format",
            "table {{.Name}}\\t{{.DockerVersion}}\\t{{.ActiveHost}}"
        ]),
        "NAME   DOCKER    ACTIVE_HOST\nn1     Unknown   false\nn2     Unknown   false\n"
    );
    let out = s.ok(&[
        "ls",
        "--format",
        "{{.ResponseTime}}|{{.EngineOptions.Labels}}",
    ]);
    let first = out.lines().next().unwrap();
    let (rt, labels) = first.split_once('|').unwrap();
    assert!(rt == "0s" || rt.ends_with("ms"), "{rt}");
    assert_eq!(labels, "[a=b]");

    // Unknown field: error on rows; `<no value>` in a table header.
    let r = s.run(&["ls", "--format", "{{.Foo}}"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("Foo"), "{}", r.stderr);
    let r = s.run(&["ls", "--format", "table {{.Foo}}"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stdout, "<no value>\n");
    // Parse errors are reported before anything is listed.
    let r = s.run(&["ls", "--format", "{{.Name"]);
    assert_eq!((r.code, r.stdout.as_str()), (1, ""));
}

#[test]
fn timeout_row() {
    let s = Store::with_certs();
    let silent = SilentListener::start();
    let url = format!("tcp://127.0.0.1:{}", silent.port);
    s.create_none("h1", &url, &[]);
    s.create_none("n1", REFUSED, &[]);

    let start = Instant::now();
    let r = s.run(&["ls", "-t", "1"]);
    let took = start.elapsed();
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(took < Duration::from_secs(5), "ls -t 1 took {took:?}");
    // The timed-out row: NAME, DRIVER and STATE only; every padded cell ends in spaces.
    let mut rows = vec![HEADER.to_vec()];
    rows.push(vec!["h1", "", "none", "Timeout", "", "", "", ""]);
    rows.push(vec![
        "n1",
        "-",
        "none",
        "Running",
        REFUSED,
        "",
        "Unknown",
        REFUSED_ERR,
    ]);
    assert_eq!(r.stdout, table(&rows));
    assert!(r.stdout.lines().nth(1).unwrap().ends_with("   "));

    let out = s.ok(&[
        "ls",
        "-t",
        "1",
        "--format",
        "{{.Name}} {{.ResponseTime}} {{.SwarmOptions}}",
    ]);
    assert!(out.starts_with("h1 1s <no value>\n"), "{out}");

    // The state filter has the timeout too (none answers at once).
    assert_eq!(s.quiet(&["state=running"]), ["h1", "n1"]);
}

// ---------------------------------------------------------------------------------------
// A real Docker daemon with --tlsverify.

#[test]
fn real_dockerd_over_tls() {
    if let Some(reason) = dockerd::unavailable() {
        testkit::skip(&reason);
        return;
    }
    let dockerd = dockerd::path().unwrap();
    let version_out = Command::new(&dockerd).arg("--version").output().unwrap();
    // `Docker version 20.10.24+dfsg1, build 297e128`
    let text = String::from_utf8_lossy(&version_out.stdout).into_owned();
    let engine_version = text
        .trim()
        .strip_prefix("Docker version ")
        .and_then(|r| r.split(',').next())
        .unwrap_or_else(|| panic!("unexpected dockerd --version: {text}"))
        .to_string();

    let s = Store::with_certs();
    let certs = s.path().join("certs");
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let daemon = Dockerd::start(s.path(), w).unwrap_or_else(|e| panic!("{e}"));
    let (port, url) = (daemon.port, daemon.url());

    s.create_none("d1", &url, &[]);
    for f in ["ca.pem", "cert.pem", "key.pem"] {
        std::fs::copy(certs.join(f), s.machine_dir("d1").join(f)).unwrap();
    }
    // A machine whose CA is not the daemon's: verification must fail.
    let other = w.join("other");
    std::fs::create_dir_all(&other).unwrap();
    cert::generate_ca(&other.join("ca.pem"), &other.join("ca-key.pem"), "other").unwrap();
    s.create_none("d2", &url, &[]);
    s.edit_config("d2", |v| {
        v["HostOptions"]["AuthOptions"]["CaCertPath"] =
            other.join("ca.pem").to_string_lossy().into_owned().into();
    });

    let r = s.run(&["version", "d1"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stderr, daemon.log());
    assert_eq!(r.stdout, format!("{engine_version}\n"));

    let docker = format!("v{engine_version}");
    let r = s.run(&["ls"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let d2_err = format!(
        "Unable to query docker version: Get https://127.0.0.1:{port}/version: x509: certificate signed by unknown authority"
    );
    let rows = vec![
        HEADER.to_vec(),
        vec!["d1", "-", "none", "Running", &url, "", &docker, ""],
        vec!["d2", "-", "none", "Running", &url, "", "Unknown", &d2_err],
    ];
    assert_eq!(r.stdout, table(&rows));
    assert!(r.stdout.lines().nth(1).unwrap().ends_with("   "));
    assert!(docker.starts_with("v20.10."), "{docker}");

    let r = s.run_env(&["ls", "--filter", "name=d1"], &[("DOCKER_HOST", &url)]);
    let rows = vec![
        HEADER.to_vec(),
        vec!["d1", "*", "none", "Running", &url, "", &docker, ""],
    ];
    assert_eq!(r.stdout, table(&rows));

    let r = s.run_env(&["active"], &[("DOCKER_HOST", &url)]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "d1\n"), "{}", r.stderr);

    let r = s.run(&["version", "d2"]);
    assert_eq!(r.code, 1);
    assert_eq!(r.stderr, format!("{d2_err}\n"));

    drop(daemon);
}

/// Go parity found by fuzzing (issue 13): a row's `State` is a `state.State` (an int with
/// a `String` method), `ResponseTime` a `time.Duration`; `printf` refuses widths beyond
/// 10^6 instead of padding.
#[test]
fn typed_row_fields_and_printf_widths_as_go() {
    let s = Store::with_certs();
    s.create_none("n1", REFUSED, &[]);
    let fmt = |f: &str| s.ok(&["ls", "--format", f]);
    assert_eq!(fmt("{{.State.String}} {{.State}}"), "Running Running\n");
    assert_eq!(
        fmt("{{eq .State 1}} {{ne .State 4}} {{lt .State 2}}"),
        "true true true\n"
    );
    assert_eq!(
        fmt("{{if lt .ResponseTime 60000000000}}{{printf \"%.0f\" .ResponseTime.Minutes}}{{end}}"),
        "0\n"
    );
    assert_eq!(
        fmt("{{printf \"%*d|%-*d|\" 1000000000 1 3 2}}"),
        "%!(BADWIDTH)1|2  |\n"
    );
    assert_eq!(
        fmt("{{printf \"%.*f\" 2000000 1.5}}"),
        "%!(BADPREC)1.500000\n"
    );
    let r = s.run(&["ls", "--format", "{{eq .State \"Running\"}}"]);
    assert_eq!(r.code, 1, "a State is not a string: {}", r.stdout);
}
