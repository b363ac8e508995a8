//! `inspect`: plain JSON and Go templates, run through the real binary on temporary
//! stores, with machines made by `create -d none` or written by hand as 0.16.2 wrote them.

use crate::support::{create_none, isolated as run};
use std::fs;
use std::path::Path;

/// stdout of a successful run.
fn ok(store: &Path, args: &[&str]) -> String {
    let out = run(store, args);
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    out.stdout
}

/// A generic machine as 0.16.2 wrote it, with odd numbers and characters Go escapes.
const GENERIC: &str = r#"{
    "ConfigVersion": 3,
    "Driver": {
        "IPAddress": "203.0.113.81",
        "MachineName": "g1",
        "SSHUser": "ubuntu",
        "SSHPort": 50776,
        "SSHKeyPath": "STORE/machines/g1/id_\u003ckey\u003e\u0026",
        "StorePath": "STORE",
        "SwarmMaster": false,
        "SwarmHost": "",
        "SwarmDiscovery": "",
        "EnginePort": 1000000,
        "SSHKey": ""
    },
    "DriverName": "generic",
    "HostOptions": {
        "Driver": "",
        "Memory": 0,
        "Disk": 0,
        "EngineOptions": {
            "ArbitraryFlags": [
                "log-driver=journald"
            ],
            "Dns": null,
            "GraphDir": "",
            "Env": [],
            "Ipv6": false,
            "InsecureRegistry": [],
            "Labels": [
                "role=ci"
            ],
            "LogLevel": "",
            "StorageDriver": "",
            "SelinuxEnabled": false,
            "TlsVerify": true,
            "RegistryMirror": [],
            "InstallURL": "https://get.docker.com"
        },
        "SwarmOptions": {
            "IsSwarm": false,
            "Address": "",
            "Discovery": "",
            "Agent": false,
            "Master": false,
            "Host": "tcp://0.0.0.0:3376",
            "Image": "swarm:latest",
            "Strategy": "spread",
            "Heartbeat": 0,
            "Overcommit": 0,
            "ArbitraryFlags": [],
            "ArbitraryJoinFlags": [],
            "Env": null,
            "IsExperimental": false
        },
        "AuthOptions": {
            "CertDir": "STORE/certs",
            "CaCertPath": "STORE/certs/ca.pem",
            "CaPrivateKeyPath": "STORE/certs/ca-key.pem",
            "CaCertRemotePath": "",
            "ServerCertPath": "STORE/machines/g1/server.pem",
            "ServerKeyPath": "STORE/machines/g1/server-key.pem",
            "ClientKeyPath": "STORE/certs/key.pem",
            "ServerCertRemotePath": "",
            "ServerKeyRemotePath": "",
            "ClientCertPath": "STORE/certs/cert.pem",
            "ServerCertSANs": [],
            "StorePath": "STORE/machines/g1"
        }
    },
    "Name": "g1"
}"#;

/// Write the generic fixture into `store`; returns its config.json text.
fn write_generic(store: &Path) -> String {
    let text = GENERIC.replace("STORE", store.to_str().unwrap());
    let dir = store.join("machines").join("g1");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("config.json"), &text).unwrap();
    text
}

#[test]
fn plain_inspect_is_config_json_plus_newline() {
    let store = tempfile::tempdir().unwrap();
    create_none(store.path(), "n1", "tcp://1.2.3.4:2376");
    let config = fs::read_to_string(store.path().join("machines/n1/config.json")).unwrap();
    assert_eq!(ok(store.path(), &["inspect", "n1"]), format!("{config}\n"));

    let fixture = write_generic(store.path());
    let out = ok(store.path(), &["inspect", "g1"]);
    assert_eq!(out, format!("{fixture}\n"));
    assert!(out.contains(r#""SSHKeyPath": ""#) && out.contains(r"id_\u003ckey\u003e\u0026"));
}

#[test]
fn format_addresses_every_json_key() {
    let store = tempfile::tempdir().unwrap();
    let s = store.path().to_str().unwrap().to_string();
    create_none(store.path(), "n1", "tcp://1.2.3.4:2376");
    // The flag after the name, as GitLab Runner calls it.
    assert_eq!(
        ok(
            store.path(),
            &["inspect", "n1", "-f", "{{.Driver.IPAddress}}"]
        ),
        "1.2.3.4:2376\n"
    );
    assert_eq!(
        ok(
            store.path(),
            &["inspect", "--format", "{{.Driver.URL}}", "n1"]
        ),
        "tcp://1.2.3.4:2376\n"
    );
    assert_eq!(
        ok(
            store.path(),
            &[
                "inspect",
                "n1",
                "--format={{.HostOptions.AuthOptions.StorePath}}"
            ]
        ),
        format!("{s}/machines/n1\n")
    );
    assert_eq!(
        ok(
            store.path(),
            &["inspect", "-f", "{{.DriverName}} {{.Name}}", "n1"]
        ),
        "none n1\n"
    );
    assert_eq!(
        ok(store.path(), &["inspect", "-f", "{{.Driver.Nope}}", "n1"]),
        "<no value>\n"
    );
    assert_eq!(
        ok(
            store.path(),
            &[
                "inspect",
                "-f",
                "{{.Nope.Deeper}}|{{.HostOptions.EngineOptions.Dns}}",
                "n1"
            ]
        ),
        "<no value>|<no value>\n"
    );
    assert_eq!(
        ok(
            store.path(),
            &["inspect", "-f", "{{.Driver.SSHPort}}", "n1"]
        ),
        "0\n"
    );
    assert_eq!(
        ok(store.path(), &["inspect", "-f", "{{range .HostOptions.EngineOptions.Env}}x{{else}}empty{{end}} {{len .HostOptions.AuthOptions.ServerCertSANs}}", "n1"]),
        "empty 0\n"
    );
    // An empty format means no format.
    let config = fs::read_to_string(store.path().join("machines/n1/config.json")).unwrap();
    assert_eq!(
        ok(store.path(), &["inspect", "-f", "", "n1"]),
        format!("{config}\n")
    );
}

#[test]
fn numbers_are_float64_printed_like_go() {
    let store = tempfile::tempdir().unwrap();
    write_generic(store.path());
    assert_eq!(
        ok(
            store.path(),
            &["inspect", "g1", "-f", "{{.Driver.SSHPort}}"]
        ),
        "50776\n"
    );
    assert_eq!(
        ok(
            store.path(),
            &["inspect", "g1", "-f", "{{.Driver.EnginePort}}"]
        ),
        "1e+06\n"
    );
    assert_eq!(
        ok(
            store.path(),
            &[
                "inspect",
                "g1",
                "-f",
                "{{.ConfigVersion}} {{.HostOptions.Memory}}"
            ]
        ),
        "3 0\n"
    );
    assert_eq!(
        ok(
            store.path(),
            &[
                "inspect",
                "g1",
                "-f",
                "{{if eq .Driver.SSHPort 50776.0}}match{{end}}"
            ]
        ),
        "match\n"
    );
    let swarm = ok(
        store.path(),
        &["inspect", "g1", "-f", "{{.HostOptions.SwarmOptions}}"],
    );
    assert!(swarm.starts_with("map[Address: Agent:false ArbitraryFlags:[] ArbitraryJoinFlags:[] Discovery: Env:<nil> Heartbeat:0 "), "{swarm}");
}

#[test]
fn json_and_prettyjson_sort_keys_and_escape() {
    let store = tempfile::tempdir().unwrap();
    let s = store.path().to_str().unwrap().to_string();
    write_generic(store.path());
    assert_eq!(
        ok(store.path(), &["inspect", "g1", "-f", "{{json .Driver}}"]),
        format!(
            "{{\"EnginePort\":1000000,\"IPAddress\":\"203.0.113.81\",\"MachineName\":\"g1\",\"SSHKey\":\"\",\
             \"SSHKeyPath\":\"{s}/machines/g1/id_\\u003ckey\\u003e\\u0026\",\"SSHPort\":50776,\"SSHUser\":\"ubuntu\",\
             \"StorePath\":\"{s}\",\"SwarmDiscovery\":\"\",\"SwarmHost\":\"\",\"SwarmMaster\":false}}\n"
        )
    );
    assert_eq!(
        ok(
            store.path(),
            &[
                "inspect",
                "g1",
                "-f",
                "{{prettyjson .HostOptions.EngineOptions}}"
            ]
        ),
        r#"{
    "ArbitraryFlags": [
        "log-driver=journald"
    ],
    "Dns": null,
    "Env": [],
    "GraphDir": "",
    "InsecureRegistry": [],
    "InstallURL": "https://get.docker.com",
    "Ipv6": false,
    "Labels": [
        "role=ci"
    ],
    "LogLevel": "",
    "RegistryMirror": [],
    "SelinuxEnabled": false,
    "StorageDriver": "",
    "TlsVerify": true
}
"#
    );
    assert_eq!(
        ok(
            store.path(),
            &[
                "inspect",
                "g1",
                "-f",
                "{{json .Driver.SSHPort}} {{json .Nope}}"
            ]
        ),
        "50776 null\n"
    );
}

#[test]
fn template_errors() {
    let store = tempfile::tempdir().unwrap();
    create_none(store.path(), "n1", "tcp://1.2.3.4:2376");
    let out = run(
        store.path(),
        &["inspect", "n1", "-f", "{{.Driver.IPAddress"],
    );
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            1,
            "",
            "template parsing error: template: :1: unclosed action\n"
        )
    );
    let out = run(store.path(), &["inspect", "n1", "-f", "{{upper .Name}}"]);
    assert_eq!(
        (out.code, out.stderr.as_str()),
        (
            1,
            "template parsing error: template: :1: function \"upper\" not defined\n"
        )
    );
    // The machine is loaded before the template is parsed.
    let out = run(store.path(), &["inspect", "nope", "-f", "{{"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .starts_with("Docker machine \"nope\" does not exist."),
        "{}",
        out.stderr
    );
    // Execution errors: what was written before stays, then the error, exit 1.
    let out = run(store.path(), &["inspect", "n1", "-f", "a{{.Name.Deeper}}b"]);
    assert_eq!((out.code, out.stdout.as_str()), (1, "a"));
    assert!(
        out.stderr.starts_with("template: ") && out.stderr.contains("Deeper"),
        "{}",
        out.stderr
    );
}

#[test]
fn arguments_and_default_machine() {
    let store = tempfile::tempdir().unwrap();
    create_none(store.path(), "n1", "tcp://1.2.3.4:2376");
    create_none(store.path(), "n2", "tcp://1.2.3.5:2376");
    let out = run(store.path(), &["inspect", "n1", "n2"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("inspect"),
        "help expected: {}",
        out.stdout
    );
    assert_eq!(
        out.stderr,
        "Error: Expected one machine name as an argument\n"
    );

    let out = run(store.path(), &["inspect"]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (
            1,
            "",
            "Error: No machine name(s) specified and no \"default\" machine exists\n"
        )
    );
    create_none(store.path(), "default", "tcp://1.2.3.6:2376");
    assert_eq!(
        ok(
            store.path(),
            &["inspect", "-f", "{{.Name}} {{.Driver.IPAddress}}"]
        ),
        "default 1.2.3.6:2376\n"
    );
}
