//! The command line as scripts see it: help texts, exit codes, arity rules and the
//! store-only commands, run through the real binary on temporary stores.

use crate::support::{
    create_none, isolated as run, isolated_cmd as dm, isolated_with_input as run_with_input,
};
use std::fs;

/// `B` of `docker-machine version 0.16.2, build B`.
fn build_field(version_line: &str) -> String {
    version_line
        .trim_end()
        .rsplit_once(", build ")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default()
}

#[test]
fn app_help_and_version() {
    let store = tempfile::tempdir().unwrap();
    let out = run(store.path(), &[]);
    assert_eq!(out.code, 0);
    // The build field names this binary's own commit, never the original's (bd45ab13).
    let build = build_field(&run(store.path(), &["version"]).stdout);
    assert!(
        build == "unknown" || (build.len() == 8 && build.chars().all(|c| c.is_ascii_hexdigit())),
        "{build}"
    );
    assert_ne!(build, "bd45ab13");
    assert!(out.stdout.starts_with(&format!("Usage: docker-machine [OPTIONS] COMMAND [arg...]\n\nCreate and manage machines running Docker.\n\nVersion: 0.16.2, build {build}\n\nAuthor:\n  docker-machine in Rust contributors\n\nOptions:\n")));
    assert!(out
        .stdout
        .contains("Use the native (Rust-based) SSH implementation."));
    assert!(out
        .stdout
        .contains("\n  regenerate-certs\tRegenerate TLS Certificates for a machine\n"));
    assert!(out
        .stdout
        .contains("\n  active\t\tPrint which machine is active\n"));
    assert!(out.stdout.ends_with("  help\t\t\tShows a list of commands or help for one command\n  \nRun 'docker-machine COMMAND --help' for more information on a command.\n"));
    for args in [&["--version"][..], &["-v"], &["version"]] {
        let out = run(store.path(), args);
        assert_eq!(
            (out.code, out.stdout.clone()),
            (0, format!("docker-machine version 0.16.2, build {build}\n"))
        );
    }
    assert_eq!(run(store.path(), &["--help"]).stdout, out.stdout);
    assert_eq!(run(store.path(), &["help"]).stdout, out.stdout);
}

#[test]
fn command_help_is_byte_exact() {
    let store = tempfile::tempdir().unwrap();
    let expected = "Usage: docker-machine ls [OPTIONS] [arg...]\n\nList machines\n\nOptions:\n   \n   --quiet, -q\t\t\t\t\tEnable quiet mode\n   --filter [--filter option --filter option]\tFilter output based on conditions provided\n   --timeout, -t \"10\"\t\t\t\tTimeout in seconds, default to 10s\n   --format, -f \t\t\t\tPretty-print machines using a Go template\n";
    for args in [
        &["ls", "--help"][..],
        &["ls", "-h"],
        &["help", "ls"],
        &["ls", "-help"],
    ] {
        let out = run(store.path(), args);
        assert_eq!((out.code, out.stdout.as_str()), (0, expected), "{args:?}");
    }
    let out = run(store.path(), &["provision", "--help"]);
    assert_eq!(
        out.stdout,
        "Usage: docker-machine provision [arg...]\n\nRe-provision existing machines\n"
    );
    let out = run(store.path(), &["ip", "--help"]);
    assert_eq!(out.stdout, "Usage: docker-machine ip [arg...]\n\nGet the IP address of a machine\n\nDescription:\n   Argument(s) are one or more machine names.\n");
    let out = run(store.path(), &["ssh", "--help"]);
    assert!(
        out.stdout
            .starts_with("Usage: docker-machine ssh [arg...]\n"),
        "{}",
        out.stdout
    );
}

#[test]
fn create_help_lists_the_chosen_drivers_flags_sorted() {
    let store = tempfile::tempdir().unwrap();
    let out = run(store.path(), &["create", "-d", "virtualbox", "--help"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.starts_with("Usage: docker-machine create [OPTIONS] [arg...]\n\nCreate a machine\n\nDescription:\n   Run '"));
    let options: Vec<&str> = out
        .stdout
        .lines()
        .filter(|l| l.starts_with("   -"))
        .collect();
    assert!(
        options
            .iter()
            .any(|l| l.starts_with("   --virtualbox-memory \"1024\"\t")
                && l.ends_with("Size of memory for host in MB [$VIRTUALBOX_MEMORY_SIZE]")),
        "{options:#?}"
    );
    assert!(options
        .iter()
        .any(|l| l.starts_with("   --engine-install-url \"https://get.docker.com\"\t")));
    let mut sorted = options.clone();
    sorted.sort();
    assert_eq!(options, sorted, "sorted like the original's ByFlagName");
    assert!(
        !options.iter().any(|l| l.contains("--generic-")),
        "only the chosen driver's flags"
    );
    let out = run(store.path(), &["create", "--driver=generic", "-h"]);
    assert!(
        out.stdout.contains("   --generic-ip-address \t"),
        "{}",
        out.stdout
    );
}

#[test]
fn unknown_command_and_flags() {
    let store = tempfile::tempdir().unwrap();
    let out = run(store.path(), &["foo"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .starts_with("docker-machine: 'foo' is not a docker-machine command. See '"),
        "{}",
        out.stderr
    );
    // The original exited 0 on flag errors (its bug 1); scripts deserve a failure.
    let out = run(store.path(), &["ls", "--bogus"]);
    assert_eq!(out.code, 1);
    assert!(out
        .stdout
        .starts_with("Incorrect Usage.\n\nUsage: docker-machine ls"));
    assert_eq!(out.stderr, "flag provided but not defined: -bogus\n");
    let out = run(store.path(), &["--bogus", "ls"]);
    assert_eq!(out.code, 1);
    assert!(out
        .stdout
        .starts_with("Incorrect Usage.\n\nUsage: docker-machine [OPTIONS]"));
    let out = run(store.path(), &["ls", "-t", "abc"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "invalid value \"abc\" for flag -t: parse error\n")
    );
    let out = run(store.path(), &["inspect", "x", "-f", "a", "--format", "b"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "Cannot use two forms of the same flag: f format\n")
    );
    let out = dm(store.path())
        .env("MACHINE_DEBUG", "maybe")
        .arg("ls")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr)
        .starts_with("Error parsing boolean value from MACHINE_DEBUG: "));
}

#[test]
fn create_none_and_query_it() {
    let store = tempfile::tempdir().unwrap();
    let out = run(
        store.path(),
        &["create", "-d", "none", "--url", "tcp://10.0.0.5:2376", "n1"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out
        .stdout
        .contains("Running pre-create checks...\nCreating machine...\n"));
    assert!(out.stdout.ends_with(" env n1\n"));
    let cfg = fs::read_to_string(store.path().join("machines/n1/config.json")).unwrap();
    assert!(!cfg.ends_with('\n'), "no trailing newline, as Go wrote it");
    assert_eq!(run(store.path(), &["ip", "n1"]).stdout, "10.0.0.5:2376\n");
    assert_eq!(
        run(store.path(), &["url", "n1"]).stdout,
        "tcp://10.0.0.5:2376\n"
    );
    assert_eq!(run(store.path(), &["status", "n1"]).stdout, "Running\n");
    assert_eq!(
        run(store.path(), &["inspect", "n1"]).stdout,
        format!("{cfg}\n")
    );
    // Flags may follow the name, as GitLab Runner passes them.
    let out = run(
        store.path(),
        &[
            "create",
            "n2",
            "--driver",
            "none",
            "--url",
            "tcp://10.0.0.6:2376",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(store.path(), &["ip", "n2", "n1"]);
    assert_eq!(
        out.stdout, "10.0.0.6:2376\n10.0.0.5:2376\n",
        "argument order"
    );
}

#[test]
fn create_refusals_leave_nothing_behind() {
    let store = tempfile::tempdir().unwrap();
    let machines = store.path().join("machines");
    let cases: &[(&[&str], i32, &str)] = &[
        (&["create", "-d", "foo", "m"], 1, "Driver \"foo\" not found. Do you have the plugin binary \"docker-machine-driver-foo\" accessible in your PATH?\n"),
        (&["create", "-d", "none", "m"], 1, "Error setting machine configuration from flags provided: --url option is required when no driver is selected\n"),
        (&["create", "-d", "none", "--url", "tcp://a:1", "bad_name"], 1, "Error creating machine: Invalid hostname specified. Allowed hostname chars are: 0-9a-zA-Z . -\n"),
        (&["create", "-d", "none", "--url", "tcp://a:1", "a", "b", "c"], 1, "Invalid command line. Found extra arguments [b c]\n"),
        (&["create", "-d", "none", "--url", "tcp://a:1", "--swarm-discovery", "nope", "m"], 1, "Error parsing swarm discovery: Swarm Discovery URL was in the wrong format: nope\n"),
        (&["create", "-d", "virtualbox", "--engine-install-url", "http://127.0.0.1:1/i.sh", "m"], 1, "Error setting machine configuration from flags provided: --engine-install-url cannot be used with the virtualbox driver, use --virtualbox-boot2docker-url instead\n"),
        (&["create", "-d", "generic", "--generic-ip-address", "127.0.0.1", "--generic-ssh-key", "/nonexistent/key", "g"], 3, "Error with pre-create check: \"SSH key does not exist: \\\"/nonexistent/key\\\"\"\n"),
        #[cfg(not(windows))]
        (&["create", "-d", "hyperv", "--hyperv-virtual-switch", "External Wireless", "local-docker01"], 3, "Error with pre-create check: \"Hyper-V needs Windows: the hyperv driver drives Hyper-V through powershell.exe and its Hyper-V module, which exist only on Windows\"\n"),
    ];
    for (args, code, stderr) in cases {
        let out = run(store.path(), args);
        assert_eq!(
            (out.code, out.stderr.as_str()),
            (*code, *stderr),
            "{args:?}"
        );
        let left: Vec<_> = fs::read_dir(&machines)
            .map(|d| d.count())
            .into_iter()
            .collect();
        assert!(left.is_empty() || left == [0], "{args:?} left {left:?}");
    }
    // VirtualBox is not installed here (nor installable): the pre-create check says so in
    // one line and exits 3, whatever else is on PATH.
    let empty = tempfile::tempdir().unwrap();
    let out = dm(store.path())
        .env("PATH", empty.path())
        .args(["create", "-d", "virtualbox", "vb"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error with pre-create check: \"VBoxManage not found. Make sure VirtualBox is installed and VBoxManage is in the path\"\n"
    );
    assert!(!machines.join("vb").exists());
    let out = run(
        store.path(),
        &["create", "-d", "none", "--url", "tcp://a:1"],
    );
    assert_eq!(out.code, 1);
    assert!(out
        .stdout
        .starts_with("Usage: docker-machine create [OPTIONS]"));
    assert_eq!(out.stderr, "Error: No machine name specified\n");
    create_none(store.path(), "m", "tcp://a:1");
    let out = run(
        store.path(),
        &["create", "-d", "none", "--url", "tcp://a:1", "m"],
    );
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "Docker machine \"m\" already exists\n")
    );
}

#[test]
fn default_machine_rule_and_arity() {
    let store = tempfile::tempdir().unwrap();
    let none = "Error: No machine name(s) specified and no \"default\" machine exists\n";
    for cmd in [
        "ip", "url", "status", "inspect", "stop", "start", "kill", "restart",
    ] {
        let out = run(store.path(), &[cmd]);
        assert_eq!((out.code, out.stderr.as_str()), (1, none), "{cmd}");
    }
    create_none(store.path(), "default", "tcp://10.9.9.9:2376");
    assert_eq!(run(store.path(), &["url"]).stdout, "tcp://10.9.9.9:2376\n");
    assert_eq!(run(store.path(), &["ip"]).stdout, "10.9.9.9:2376\n");
    let out = run(store.path(), &["status", "a", "b"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "Error: Expected one machine name as an argument\n")
    );
    let out = run(store.path(), &["url", "ghost"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .starts_with("Docker machine \"ghost\" does not exist."),
        "{}",
        out.stderr
    );
}

#[test]
fn power_actions_on_none_machines() {
    let store = tempfile::tempdir().unwrap();
    create_none(store.path(), "n1", "tcp://10.0.0.5:2376");
    let out = run(store.path(), &["start", "n1"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "Machine \"n1\" is already running.\n")
    );
    assert_eq!(out.stdout, "Starting \"n1\"...\n");
    let out = run(store.path(), &["stop", "n1"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "hosts without a driver cannot be stopped\n")
    );
    let out = run(store.path(), &["kill", "n1"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "hosts without a driver cannot be killed\n")
    );
    let out = run(store.path(), &["restart", "n1"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (1, "hosts without a driver cannot be restarted\n")
    );
}

#[test]
fn rm_asks_and_respects_the_answer() {
    let store = tempfile::tempdir().unwrap();
    create_none(store.path(), "a", "tcp://1.1.1.1:2376");
    create_none(store.path(), "b", "tcp://1.1.1.2:2376");
    let prompt = "About to remove a\nWARNING: This action will delete both local reference and remote instance.\nAre you sure? (y/n): ";
    for answer in ["n\n", "", "nope\n"] {
        let out = run_with_input(store.path(), &["rm", "a"], answer);
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, prompt),
            "answer {answer:?}"
        );
        assert!(store.path().join("machines/a").exists());
    }
    let out = run_with_input(store.path(), &["rm", "a"], "Yes\n");
    assert_eq!(out.stdout, format!("{prompt}Successfully removed a\n"));
    assert!(!store.path().join("machines/a").exists());
    let out = run(store.path(), &["rm", "-y", "b"]);
    assert_eq!(out.stdout, "About to remove b\nWARNING: This action will delete both local reference and remote instance.\nSuccessfully removed b\n");
    let out = run(store.path(), &["rm", "-y", "ghost"]);
    assert_eq!(out.code, 1);
    assert!(out
        .stderr
        .starts_with("Error removing host \"ghost\": Docker machine \"ghost\" does not exist."));
    let out = run(store.path(), &["rm", "-f", "ghost"]);
    assert_eq!(out.code, 0, "-f reports and carries on");
    assert!(out.stderr.contains("Can't remove \"ghost\""));
    let out = run(store.path(), &["rm"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            1,
            "Error: Expected to get one or more machine names as arguments\n"
        )
    );
    assert!(out
        .stdout
        .starts_with("Usage: docker-machine rm [OPTIONS] [arg...]"));
}

#[test]
fn rm_force_removes_a_machine_whose_config_is_broken() {
    let store = tempfile::tempdir().unwrap();
    create_none(store.path(), "broken", "tcp://1.1.1.1:2376");
    fs::write(
        store.path().join("machines/broken/config.json"),
        "{not json",
    )
    .unwrap();
    let out = run(store.path(), &["rm", "-f", "broken"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.ends_with("Successfully removed broken\n"));
    assert!(!store.path().join("machines/broken").exists());
}

#[test]
fn a_store_path_that_is_a_file_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("store-file");
    fs::write(&file, "x").unwrap();
    let out = run(
        &file,
        &["create", "-d", "none", "--url", "tcp://1.1.1.1:2376", "n"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr.lines().count(), 1, "one line: {}", out.stderr);
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        "x",
        "nothing written or lost"
    );
}

/// 50 `create` commands started at once on an empty store make one CA and one client
/// certificate (the original raced here and could leave machines signed by different CAs).
#[test]
fn concurrent_creates_make_one_ca() {
    let store = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..50)
        .map(|i| {
            std::process::Command::new(env!("CARGO_BIN_EXE_docker-machine"))
                .env("MACHINE_STORAGE_PATH", store.path())
                .env("USER", "tester")
                .args([
                    "create",
                    "-d",
                    "none",
                    "--url",
                    &format!("tcp://10.0.0.{i}:2376"),
                    &format!("m{i}"),
                ])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut ca_created = 0;
    let mut client_created = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ca_created += stdout
            .lines()
            .filter(|l| l.starts_with("Creating CA: "))
            .count();
        client_created += stdout
            .lines()
            .filter(|l| l.starts_with("Creating client certificate: "))
            .count();
    }
    assert_eq!((ca_created, client_created), (1, 1));
    let listed = run(store.path(), &["ls", "-q"]);
    assert_eq!(listed.stdout.lines().count(), 50);
    // The client certificate is signed by the CA that stayed.
    let verify = std::process::Command::new("openssl")
        .args(["verify", "-CAfile"])
        .arg(store.path().join("certs/ca.pem"))
        .arg(store.path().join("certs/cert.pem"))
        .output();
    if let Ok(v) = verify {
        assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stdout));
    }
}

/// What Go's `url.Parse` took, `create -d none` takes: docker-machine's own CLI tests and
/// scripts record `--url none` / `--url url5` (relative URLs, empty host).
#[test]
fn none_machines_with_relative_urls() {
    let store = tempfile::tempdir().unwrap();
    let s = store.path();
    for (name, url) in [
        ("testmachine3", "none"),
        ("testmachine2", "url5"),
        ("testmachine", "none"),
    ] {
        create_none(s, name, url);
    }
    let cfg = fs::read_to_string(s.join("machines/testmachine2/config.json")).unwrap();
    assert!(cfg.contains("\"IPAddress\": \"\""), "{cfg}");
    assert!(cfg.contains("\"URL\": \"url5\""), "{cfg}");

    let out = run(s, &["ls", "--filter", "driver=none"]);
    assert_eq!(out.code, 0, "{out:?}");
    let rows: Vec<_> = out.stdout.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{out:?}");
    for (row, (name, url)) in rows.iter().zip([
        ("testmachine", "none"),
        ("testmachine2", "url5"),
        ("testmachine3", "none"),
    ]) {
        let cols: Vec<_> = row.split_whitespace().collect();
        assert_eq!(&cols[..5], &[name, "-", "none", "Running", url], "{row}");
        assert!(
            row.contains("Unknown   Unable to query docker version: "),
            "{row}"
        );
    }
    assert_eq!(
        run(
            s,
            &[
                "ls",
                "-q",
                "--filter",
                "name=^t.*e",
                "--filter",
                "driver=none"
            ]
        )
        .stdout,
        "testmachine\ntestmachine2\ntestmachine3\n"
    );
    assert_eq!(
        run(
            s,
            &[
                "ls",
                "-q",
                "--filter",
                "state=Running",
                "--filter",
                "name=2"
            ]
        )
        .stdout,
        "testmachine2\n"
    );
    assert_eq!(
        run(s, &["ls", "--format", "{{.Name}}|{{.URL}}|{{.State}}|{{.DockerVersion}}"]).stdout,
        "testmachine|none|Running|Unknown\ntestmachine2|url5|Running|Unknown\ntestmachine3|none|Running|Unknown\n"
    );
    assert_eq!(
        run(
            s,
            &[
                "inspect",
                "-f",
                "{{.Driver.URL}}[{{.Driver.IPAddress}}]",
                "testmachine2"
            ]
        )
        .stdout,
        "url5[]\n"
    );
    assert_eq!(run(s, &["url", "testmachine2"]).stdout, "url5\n");
    let ip = run(s, &["ip", "testmachine2"]);
    assert_eq!(
        (ip.code, ip.stdout.as_str()),
        (0, "\n"),
        "an empty IP, as Go gave it"
    );

    // No host to check the certificates against: Go's net.Dial("") error.
    let env = run(s, &["env", "testmachine"]);
    assert_eq!(env.code, 1);
    assert_eq!(env.stdout, "");
    assert!(
        env.stderr.starts_with(
            "Error checking TLS connection: Error checking and/or regenerating the certs: \
             There was an error validating certificates for host \"\": dial tcp: missing address\n"
        ),
        "{env:?}"
    );

    let out = run(
        s,
        &["rm", "-y", "testmachine", "testmachine2", "testmachine3"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(run(s, &["ls", "-q"]).stdout, "");
}

/// Strings Go's parser refused stay errors, worded as Go 1.12 worded them.
#[test]
fn none_urls_go_refused() {
    let store = tempfile::tempdir().unwrap();
    for (url, reason) in [
        (
            "10.0.0.5:2376",
            "first path segment in URL cannot contain colon",
        ),
        ("tcp://h/%zz", "invalid URL escape \"%zz\""),
        ("tcp://[::1", "missing ']' in host"),
        ("tcp://h\u{7f}", "net/url: invalid control character in URL"),
        ("://h", "missing protocol scheme"),
    ] {
        let out = run(store.path(), &["create", "-d", "none", "--url", url, "m"]);
        assert_eq!(
            (out.code, out.stderr),
            (
                1,
                format!("Error setting machine configuration from flags provided: parse {url}: {reason}\n")
            )
        );
        assert!(!store.path().join("machines/m").exists(), "{url}");
    }
}
