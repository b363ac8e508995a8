//! The store against files in the original's format: every machine of a 0.16.2 store
//! (drivers this binary implements and ones it does not) loads and is written back
//! byte for byte; older config versions migrate; writes are atomic and locked.

use libmachine::host::CONFIG_VERSION;
use libmachine::Store;
use std::fs;
use std::path::{Path, PathBuf};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/store-0.16.2");

fn copy_dir(src: &Path, dest: &Path) {
    fs::create_dir_all(dest).unwrap();
    for entry in fs::read_dir(src).unwrap() {
        let entry = entry.unwrap();
        let target = dest.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn fixture_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(Path::new(FIXTURE), dir.path());
    let store = Store::new(dir.path());
    (dir, store)
}

fn config(store: &Store, name: &str) -> PathBuf {
    store.machine_dir(name).join("config.json")
}

#[test]
fn every_fixture_machine_round_trips_byte_for_byte() {
    let (_dir, store) = fixture_store();
    let names = store.list().unwrap();
    assert_eq!(
        names,
        [
            "aws1",
            "azure01",
            "gen1",
            "local-docker01",
            "none1",
            "plugin1",
            "vbox1"
        ]
    );
    for name in names {
        let original = fs::read_to_string(config(&store, &name)).unwrap();
        let host = store.load(&name).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            host.to_json_pretty(),
            original,
            "{name} serialises as the original wrote it"
        );
        store.save(&host).unwrap();
        assert_eq!(
            fs::read_to_string(config(&store, &name)).unwrap(),
            original,
            "{name} survives a rewrite"
        );
        assert!(
            !store.machine_dir(&name).join("config.json.bak").exists(),
            "v3 needs no migration"
        );
    }
}

#[test]
fn driver_names_shown_for_known_and_unknown_drivers() {
    let (_dir, store) = fixture_store();
    assert_eq!(
        store.load("vbox1").unwrap().driver.driver_name(),
        "virtualbox"
    );
    assert_eq!(store.load("gen1").unwrap().driver.driver_name(), "generic");
    // A third-party plugin that is not installed, as the original showed it.
    let plugin = store.load("plugin1").unwrap();
    assert_eq!(plugin.driver.driver_name(), "not-found");
    assert_eq!(plugin.driver_name, "xhyve");
    let err = plugin.driver.state().unwrap_err().to_string();
    assert!(err.contains("docker-machine-driver-xhyve"), "{err}");
    // Unimplemented core drivers still answer with their stored addresses.
    assert_eq!(store.load("aws1").unwrap().driver.ip().unwrap(), "54.1.2.3");
}

#[cfg(unix)]
#[test]
fn saved_config_is_private_and_written_atomically() {
    use std::os::unix::fs::PermissionsExt;
    let (_dir, store) = fixture_store();
    let host = store.load("none1").unwrap();
    store.save(&host).unwrap();
    let mode = fs::metadata(config(&store, "none1"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    let mut fresh = store.load("none1").unwrap();
    fresh.name = "fresh".into();
    store.save(&fresh).unwrap();
    let dir_mode = fs::metadata(store.machine_dir("fresh"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700, "new machine directories are private");
    let leftovers: Vec<_> = fs::read_dir(store.machine_dir("none1"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "config.json")
        .collect();
    assert!(leftovers.is_empty(), "no temp files left: {leftovers:?}");
}

#[test]
fn concurrent_locked_writers_never_leave_a_torn_file() {
    let (_dir, store) = fixture_store();
    std::thread::scope(|s| {
        for i in 0..16 {
            let store = &store;
            s.spawn(move || {
                for _ in 0..10 {
                    let _lock = store.lock("none1").unwrap();
                    let mut host = store.load("none1").unwrap();
                    host.options.engine.labels = Some(vec![format!("writer={i}")]);
                    store.save(&host).unwrap();
                }
            });
        }
        for _ in 0..200 {
            let text = fs::read_to_string(config(&store, "none1")).unwrap();
            serde_json::from_str::<serde_json::Value>(&text).expect("always a whole JSON document");
        }
    });
}

#[test]
fn list_ignores_dot_directories_and_files() {
    let (dir, store) = fixture_store();
    fs::create_dir_all(dir.path().join("machines/.hidden")).unwrap();
    fs::write(dir.path().join("machines/stray-file"), "x").unwrap();
    assert!(!store
        .list()
        .unwrap()
        .iter()
        .any(|n| n == ".hidden" || n == "stray-file"));
    assert!(
        store.exists("stray-file"),
        "any file type at machines/NAME counts as existing"
    );
}

#[test]
fn missing_machine_and_missing_config_errors() {
    let (dir, store) = fixture_store();
    let err = store.load("nope").err().unwrap().to_string();
    assert_eq!(
        err,
        "Docker machine \"nope\" does not exist. Use \"docker-machine ls\" to list machines. Use \"docker-machine create\" to add a new one."
    );
    fs::create_dir_all(dir.path().join("machines/empty")).unwrap();
    let err = store.load("empty").err().unwrap().to_string();
    assert_eq!(
        err,
        format!(
            "open {}/machines/empty/config.json: no such file or directory",
            dir.path().display()
        )
    );
}

#[test]
fn corrupt_and_future_configs_are_errors_not_panics() {
    let (_dir, store) = fixture_store();
    fs::write(config(&store, "none1"), "{\"ConfigVersion\": 3, ").unwrap();
    let err = store.load("none1").err().unwrap().to_string();
    assert!(err.starts_with("Error getting migrated host: "), "{err}");
    fs::write(config(&store, "none1"), "{\"ConfigVersion\": 4}").unwrap();
    let err = store.load("none1").err().unwrap().to_string();
    assert_eq!(
        err,
        "Error getting migrated host: config version is from the future -- you should upgrade your Docker Machine client"
    );
}

#[test]
fn version_1_config_is_migrated_and_the_original_kept() {
    let (dir, store) = fixture_store();
    let v1 = r#"{
    "ConfigVersion": 1,
    "Driver": {"IPAddress": "10.1.2.3:2376", "MachineName": "old", "URL": "tcp://10.1.2.3:2376"},
    "DriverName": "none",
    "HostOptions": {
        "EngineOptions": {"TlsVerify": true, "InstallURL": "https://get.docker.com"},
        "SwarmOptions": {"Host": "tcp://0.0.0.0:3376"},
        "AuthOptions": {"CaCertPath": "/c/ca.pem", "PrivateKeyPath": "/c/ca-key.pem", "ClientCertPath": "/c/cert.pem"}
    },
    "StorePath": "/old/machines/old"
}"#;
    fs::create_dir_all(store.machine_dir("old")).unwrap();
    fs::write(config(&store, "old"), v1).unwrap();
    let host = store.load("old").unwrap();
    assert_eq!(host.config_version, CONFIG_VERSION);
    assert_eq!(host.options.auth.ca_private_key_path, "/c/ca-key.pem");
    assert_eq!(
        host.options.auth.cert_dir,
        dir.path().join("certs").to_string_lossy()
    );
    assert_eq!(
        host.options.auth.store_path,
        store.machine_dir("old").to_string_lossy()
    );
    assert_eq!(
        host.driver.base().store_path,
        dir.path().to_string_lossy(),
        "not \".\" as the original wrote"
    );
    assert_eq!(
        fs::read_to_string(store.machine_dir("old").join("config.json.bak")).unwrap(),
        v1
    );
    let rewritten: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(config(&store, "old")).unwrap()).unwrap();
    assert_eq!(rewritten["ConfigVersion"], 3);
    assert_eq!(host.driver.url().unwrap(), "tcp://10.1.2.3:2376");
}

#[test]
fn version_0_flat_config_is_migrated() {
    let (_dir, store) = fixture_store();
    let v0 = r#"{"Driver": {"IPAddress": "1.1.1.1:2376", "MachineName": "ancient", "URL": "tcp://1.1.1.1:2376"},
        "DriverName": "none", "CaCertPath": "/c/ca.pem", "PrivateKeyPath": "/c/ca-key.pem",
        "SwarmHost": "tcp://0.0.0.0:3376", "SwarmMaster": true, "SwarmDiscovery": "token://x"}"#;
    fs::create_dir_all(store.machine_dir("ancient")).unwrap();
    fs::write(config(&store, "ancient"), v0).unwrap();
    let host = store.load("ancient").unwrap();
    assert_eq!(host.options.auth.ca_cert_path, "/c/ca.pem");
    assert_eq!(host.options.auth.ca_private_key_path, "/c/ca-key.pem");
    assert!(host.options.swarm.master);
    assert_eq!(host.options.swarm.discovery, "token://x");
    assert!(host.options.engine.tls_verify);
}

#[test]
fn a_machine_lock_file_goes_with_the_machine() {
    let (dir, store) = fixture_store();
    let lock_file = dir.path().join(".locks/machine-none1.lock");
    drop(store.lock("none1").unwrap());
    assert!(
        lock_file.exists(),
        "the machine exists: its lock file stays"
    );
    {
        let _lock = store.lock("none1").unwrap();
        store.remove("none1").unwrap();
    }
    assert!(!lock_file.exists(), "removed with the machine");
    // A name that never became a machine (a create that failed early) leaves nothing.
    drop(store.lock("never").unwrap());
    assert!(!dir.path().join(".locks/machine-never.lock").exists());

    // Waiters on a lock file deleted under them still exclude each other.
    let inside = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..20 {
                    let _lock = store.lock("ghost").unwrap();
                    let n = inside.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    assert_eq!(n, 0, "two holders of one machine lock");
                    std::thread::yield_now();
                    inside.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
}

#[test]
fn remove_never_leaves_a_half_deleted_machine_listed() {
    let (dir, store) = fixture_store();
    // What a kill during an earlier removal leaves: a renamed directory.
    let debris = dir.path().join("machines/.rm-old-123");
    fs::create_dir_all(debris.join("sub")).unwrap();
    fs::write(debris.join("sub/f"), "x").unwrap();
    assert!(!store.list().unwrap().iter().any(|n| n.starts_with(".rm-")));
    store.remove("none1").unwrap();
    assert!(!store.exists("none1"));
    assert!(!debris.exists(), "leftovers of killed removals are swept");
}

#[test]
fn orphan_temp_files_are_swept() {
    use libmachine::fsutil::{is_temp_name, sweep_orphans};
    assert!(is_temp_name("ca-key.pem.tmpAb12Cd"));
    assert!(is_temp_name("config.json.tmp000000"));
    assert!(!is_temp_name("config.json"));
    assert!(!is_temp_name("ca.pem.tmp-bad!"));
    assert!(!is_temp_name(".tmpAb12Cd"));
    let dir = tempfile::tempdir().unwrap();
    for name in ["ca.pem", "ca-key.pem.tmpAb12Cd", "config.json.tmpXyZ123"] {
        fs::write(dir.path().join(name), "x").unwrap();
    }
    assert_eq!(
        sweep_orphans(dir.path(), std::time::Duration::from_secs(600)),
        0,
        "young temp files may belong to a live writer"
    );
    assert_eq!(sweep_orphans(dir.path(), std::time::Duration::ZERO), 2);
    let left: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["ca.pem"]);
}

#[test]
fn a_pair_write_is_whole_after_any_interruption() {
    use libmachine::fsutil::{recover_pair, write_pair_atomic};
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = (dir.path().join("k.pem"), dir.path().join("c.pem"));
    write_pair_atomic((&key, b"k1", 0o600), (&cert, b"c1", 0o644)).unwrap();
    let read = || (fs::read(&key).unwrap(), fs::read(&cert).unwrap());
    assert_eq!(read(), (b"k1".to_vec(), b"c1".to_vec()));
    let staged = |name: &str, data: &str| fs::write(dir.path().join(name), data).unwrap();

    // Killed while staging the key: the old pair stands.
    staged("k.pem.pending", "k2");
    assert!(recover_pair(&key, &cert).unwrap());
    assert_eq!(read(), (b"k1".to_vec(), b"c1".to_vec()));
    // Killed after staging both: the new pair is committed.
    staged("k.pem.pending", "k2");
    staged("c.pem.pending", "c2");
    assert!(recover_pair(&key, &cert).unwrap());
    assert_eq!(read(), (b"k2".to_vec(), b"c2".to_vec()));
    // Killed between the two renames: the certificate follows its key.
    fs::write(&key, "k3").unwrap();
    staged("c.pem.pending", "c3");
    // The next write finishes the interrupted one before staging its own.
    write_pair_atomic((&key, b"k4", 0o600), (&cert, b"c4", 0o644)).unwrap();
    assert_eq!(read(), (b"k4".to_vec(), b"c4".to_vec()));
    assert!(!recover_pair(&key, &cert).unwrap(), "nothing left to do");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);
}
