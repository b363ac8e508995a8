use super::*;
use crate::drivers::fake::Fake;
use crate::host::tests::fake_host;
use crate::state::State;

/// A docker config folder, a store with client certificates, and TLS files to point at.
struct Setup {
    _dir: tempfile::TempDir,
    contexts: ContextStore,
    store: Store,
    tls: ClientTlsFiles,
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path().join("store"));
    let certs = store.certs_dir();
    fs::create_dir_all(&certs).unwrap();
    for (file, text) in [("ca.pem", "CA"), ("cert.pem", "CERT"), ("key.pem", "KEY")] {
        fs::write(certs.join(file), text).unwrap();
    }
    Setup {
        contexts: ContextStore::new(dir.path().join("docker")),
        tls: ClientTlsFiles {
            ca: certs.join("ca.pem"),
            cert: certs.join("cert.pem"),
            key: certs.join("key.pem"),
        },
        store,
        _dir: dir,
    }
}

impl Setup {
    fn owner(&self, machine: &str) -> Owner {
        Owner::new(machine, &self.store.path)
    }
    fn endpoint(&self, host: &str) -> Endpoint {
        Endpoint {
            host: host.into(),
            tls: self.tls.clone(),
        }
    }
    fn meta_json(&self, name: &str) -> Option<String> {
        fs::read_to_string(self.contexts.meta_dir(name).join("meta.json")).ok()
    }
    /// A context made by hand, as `docker context create` writes it.
    fn user_context(&self, name: &str) -> String {
        let text = format!(
            r#"{{"Name":"{name}","Metadata":{{"Description":"mine"}},"Endpoints":{{"docker":{{"Host":"tcp://10.0.0.1:2376","SkipTLSVerify":false}}}}}}"#
        );
        let dir = self.contexts.meta_dir(name);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("meta.json"), &text).unwrap();
        text
    }
    fn config(&self) -> String {
        fs::read_to_string(self.contexts.config_file()).unwrap()
    }
}

#[test]
fn digests_are_the_docker_clis() {
    // `docker context create hand` writes contexts/meta/1b0017...52/meta.json.
    assert_eq!(
        digest("hand"),
        "1b001706a418bdfca35361355c643b7918572b8f9b7503f3043a6e23b45dce52"
    );
}

#[test]
fn context_names_follow_the_docker_clis_rule() {
    assert!(valid_context_name("dev"));
    assert!(valid_context_name("a1.b-c_d+e"));
    assert!(!valid_context_name("a"));
    assert!(!valid_context_name("-ab"));
    assert!(!valid_context_name("a b"));
    assert_eq!(ContextStore::candidates("dev"), ["dev", "machine-dev"]);
    assert_eq!(ContextStore::candidates("default"), ["machine-default"]);
    assert_eq!(ContextStore::candidates("a"), ["machine-a"]);
}

#[test]
fn a_context_is_written_as_the_docker_cli_writes_it() {
    let s = setup();
    let name = s
        .contexts
        .write(&s.owner("dev"), &s.endpoint("tcp://127.0.0.1:2376"))
        .unwrap();
    assert_eq!(name, "dev");
    let store = s.store.path.display();
    assert_eq!(
        s.meta_json("dev").unwrap(),
        format!(
            r#"{{"Name":"dev","Metadata":{{"Description":"created by docker-machine","DockerMachine":{{"Name":"dev","StoragePath":"{store}"}}}},"Endpoints":{{"docker":{{"Host":"tcp://127.0.0.1:2376","SkipTLSVerify":false}}}}}}"#
        )
    );
    let tls = s.contexts.tls_dir("dev").join("docker");
    for (file, text) in [("ca.pem", "CA"), ("cert.pem", "CERT"), ("key.pem", "KEY")] {
        assert_eq!(fs::read_to_string(tls.join(file)).unwrap(), text);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(tls.join(file)).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "{file}");
        }
    }
    assert_eq!(s.contexts.find(&s.owner("dev")), Some("dev".into()));
    // The same machine name in another store is someone else's.
    assert_eq!(
        s.contexts.find(&Owner::new("dev", Path::new("/other"))),
        None
    );
}

#[test]
fn an_update_rewrites_the_endpoint_and_the_certificates_in_place() {
    let s = setup();
    let owner = s.owner("dev");
    s.contexts
        .write(&owner, &s.endpoint("tcp://127.0.0.1:1"))
        .unwrap();
    fs::write(&s.tls.ca, "NEW CA").unwrap();
    assert_eq!(
        s.contexts
            .write(&owner, &s.endpoint("tcp://127.0.0.1:2"))
            .unwrap(),
        "dev"
    );
    assert!(s.meta_json("dev").unwrap().contains("tcp://127.0.0.1:2"));
    let ca = s.contexts.tls_dir("dev").join("docker/ca.pem");
    assert_eq!(fs::read_to_string(ca).unwrap(), "NEW CA");
}

#[test]
fn a_users_context_is_never_touched() {
    let s = setup();
    let mine = s.user_context("dev");
    let owner = s.owner("dev");
    let name = s
        .contexts
        .write(&owner, &s.endpoint("tcp://127.0.0.1:2376"))
        .unwrap();
    assert_eq!(name, "machine-dev");
    assert_eq!(s.meta_json("dev").unwrap(), mine);
    assert!(!s.contexts.tls_dir("dev").exists());

    // Once the user's context is gone, the machine keeps the name it has.
    fs::remove_dir_all(s.contexts.meta_dir("dev")).unwrap();
    assert_eq!(
        s.contexts.write(&owner, &s.endpoint("tcp://1.2.3.4:1")),
        Ok("machine-dev".into())
    );
    s.user_context("dev");
    assert_eq!(s.contexts.remove(&owner).unwrap(), ["machine-dev"]);
    assert_eq!(s.meta_json("dev").unwrap(), mine);
    assert!(s.meta_json("machine-dev").is_none());
    assert!(!s.contexts.tls_dir("machine-dev").exists());
}

#[test]
fn both_names_taken_is_an_error_and_writes_nothing() {
    let s = setup();
    s.user_context("dev");
    s.user_context("machine-dev");
    let e = s
        .contexts
        .write(&s.owner("dev"), &s.endpoint("tcp://127.0.0.1:2376"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "the context name(s) dev, machine-dev belong to contexts docker-machine did not make"
    );
    assert!(!s.contexts.tls_dir("dev").exists());
    assert!(!s.contexts.tls_dir("machine-dev").exists());
    assert_eq!(
        s.contexts.remove(&s.owner("dev")).unwrap(),
        Vec::<String>::new()
    );
}

#[test]
fn an_unreadable_context_counts_as_the_users() {
    let s = setup();
    let dir = s.contexts.meta_dir("dev");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("meta.json"), "{not json").unwrap();
    assert_eq!(
        s.contexts
            .write(&s.owner("dev"), &s.endpoint("tcp://127.0.0.1:2376"))
            .unwrap(),
        "machine-dev"
    );
    assert_eq!(
        fs::read_to_string(dir.join("meta.json")).unwrap(),
        "{not json"
    );
}

#[test]
fn the_current_context_keeps_every_other_key() {
    let s = setup();
    fs::create_dir_all(&s.contexts.config_dir).unwrap();
    fs::write(
        s.contexts.config_file(),
        r#"{"zeta": 1, "auths": {"r.example": {"auth": "eDp5"}}, "alpha": [true]}"#,
    )
    .unwrap();
    s.contexts.set_current(Some("dev")).unwrap();
    assert_eq!(
        s.config(),
        "{\n\t\"zeta\": 1,\n\t\"auths\": {\n\t\t\"r.example\": {\n\t\t\t\"auth\": \"eDp5\"\n\t\t}\n\t},\n\t\"alpha\": [\n\t\ttrue\n\t],\n\t\"currentContext\": \"dev\"\n}"
    );
    assert_eq!(s.contexts.current().unwrap(), Some("dev".into()));
    s.contexts.set_current(None).unwrap();
    assert!(!s.config().contains("currentContext"));
    assert!(s.config().contains("\"zeta\": 1"));
    assert_eq!(s.contexts.current().unwrap(), None);
}

#[test]
fn a_corrupt_config_is_refused_and_kept() {
    let s = setup();
    fs::create_dir_all(&s.contexts.config_dir).unwrap();
    fs::write(s.contexts.config_file(), "{oops").unwrap();
    assert!(s.contexts.set_current(Some("dev")).is_err());
    assert_eq!(s.config(), "{oops");
}

#[test]
fn removing_the_current_context_goes_back_to_the_default() {
    let s = setup();
    let owner = s.owner("dev");
    s.contexts
        .write(&owner, &s.endpoint("tcp://127.0.0.1:2376"))
        .unwrap();
    s.contexts.set_current(Some("dev")).unwrap();
    assert_eq!(s.contexts.remove(&owner).unwrap(), ["dev"]);
    assert_eq!(s.contexts.current().unwrap(), None);
    assert!(!s.contexts.meta_dir("dev").exists());
    assert!(!s.contexts.tls_dir("dev").exists());
}

#[test]
fn sync_follows_the_machine_and_use_keeps_a_stopped_machines_context() {
    let s = setup();
    let fake = Fake::new(State::Running);
    let mut host = fake_host(&s.store.path, "dev", &fake);
    host.driver.base_mut().ip_address = "127.0.0.1".into();
    assert_eq!(
        sync(&s.contexts, &s.store, &host).unwrap(),
        Some("dev".into())
    );
    assert!(s
        .meta_json("dev")
        .unwrap()
        .contains(r#""Host":"tcp://127.0.0.1:2376""#));

    host.driver.stop().unwrap();
    assert!(sync(&s.contexts, &s.store, &host).is_err());
    assert_eq!(use_machine(&s.contexts, &s.store, &host).unwrap(), "dev");
    assert_eq!(s.contexts.current().unwrap(), Some("dev".into()));

    let other = fake_host(&s.store.path, "fresh", &fake);
    assert!(use_machine(&s.contexts, &s.store, &other).is_err());
    assert_eq!(s.contexts.current().unwrap(), Some("dev".into()));
}

#[test]
fn a_killed_writes_temp_files_are_swept() {
    let s = setup();
    let owner = s.owner("dev");
    s.contexts
        .write(&owner, &s.endpoint("tcp://127.0.0.1:1"))
        .unwrap();
    let tls = s.contexts.tls_dir("dev").join("docker");
    let orphan = tls.join("ca.pem.tmpAb12Cd");
    fs::write(&orphan, "half").unwrap();
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    fs::File::options()
        .write(true)
        .open(&orphan)
        .unwrap()
        .set_modified(old)
        .unwrap();
    s.contexts
        .write(&owner, &s.endpoint("tcp://127.0.0.1:2"))
        .unwrap();
    assert!(!orphan.exists());
    let mut names: Vec<_> = fs::read_dir(&tls)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["ca.pem", "cert.pem", "key.pem"]);
}
