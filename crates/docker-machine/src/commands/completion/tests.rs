use super::*;

fn words(c: Completion) -> Vec<String> {
    match c {
        Completion::Words(w) => w.into_iter().map(|(w, _)| w).collect(),
        Completion::Files => vec![":files".into()],
    }
}

fn complete_words(before: &[&str], cur: &str) -> Vec<String> {
    let before: Vec<String> = before.iter().map(|s| s.to_string()).collect();
    words(complete("docker-machine", &before, cur))
}

/// A store holding the machines `names` (folders under `machines/`).
fn store_with(names: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for name in names {
        std::fs::create_dir_all(dir.path().join("machines").join(name)).unwrap();
    }
    dir
}

#[test]
fn commands_come_from_the_command_table() {
    let all = complete_words(&[], "");
    let table: Vec<String> = crate::commands::all("docker-machine")
        .iter()
        .filter(|c| c.name != "__complete")
        .map(|c| c.name.to_string())
        .chain(["help".to_string()])
        .collect();
    assert_eq!(all, table);
    assert!(all.contains(&"use".to_string()) && all.contains(&"completion".to_string()));
    assert_eq!(complete_words(&[], "re"), ["regenerate-certs", "restart"]);
    assert_eq!(complete_words(&["help"], "cr"), ["create"]);
    assert_eq!(complete_words(&["-D"], "ver"), ["version"]);
}

#[test]
fn global_and_command_flags() {
    let globals = complete_words(&[], "--s");
    assert_eq!(globals, ["--storage-path"]);
    assert!(complete_words(&[], "-").contains(&"-s".to_string()));
    assert_eq!(complete_words(&["ls"], "--f"), ["--filter", "--format"]);
    assert_eq!(
        complete_words(&["rm"], "-"),
        ["--force", "-f", "-y", "--help", "-h"]
    );
    assert_eq!(complete_words(&["-s", "/x", "env"], "--sh"), ["--shell"]);
    assert_eq!(complete_words(&["env", "--shell"], "p"), ["powershell"]);
}

#[test]
fn create_completes_the_flags_of_its_driver() {
    assert_eq!(complete_words(&["create", "-d", "none"], "--ur"), ["--url"]);
    assert_eq!(
        complete_words(&["create", "--driver=generic"], "--generic-ip"),
        ["--generic-ip-address"]
    );
    assert_eq!(
        complete_words(
            &["create", "-d", "generic", "--engine-opt", "a=b"],
            "--generic-ssh-p"
        ),
        ["--generic-ssh-port"]
    );
    // The shared flags are there for every driver, another driver's are not.
    let none = complete_words(&["create", "-d", "none"], "--");
    assert!(
        none.contains(&"--engine-install-url".to_string()),
        "{none:?}"
    );
    assert!(
        !none.iter().any(|f| f.starts_with("--generic-")),
        "{none:?}"
    );
    let drivers = complete_words(&["create", "-d"], "");
    assert!(drivers.contains(&"none".to_string()) && drivers.contains(&"generic".to_string()));
    assert_eq!(complete_words(&["create", "-d"], "gen"), ["generic"]);
    assert_eq!(
        complete_words(&["create"], "--driver=gen"),
        ["--driver=generic"]
    );
    // The new machine's name is the user's to choose.
    assert!(complete_words(&["create", "-d", "none"], "").is_empty());
}

#[test]
fn machine_names_come_from_the_store_given() {
    let store = store_with(&["alpha", "beta", "web1"]);
    let s = store.path().to_str().unwrap();
    assert_eq!(
        complete_words(&["-s", s, "env"], ""),
        ["alpha", "beta", "web1"]
    );
    assert_eq!(complete_words(&["--storage-path", s, "ip"], "b"), ["beta"]);
    assert_eq!(
        complete_words(&[&format!("--storage-path={s}"), "use"], "w"),
        ["web1"]
    );
    // Many-machine commands skip the names already given; one-machine commands stop.
    assert_eq!(
        complete_words(&["-s", s, "rm", "-y", "alpha"], ""),
        ["beta", "web1"]
    );
    assert!(complete_words(&["-s", s, "inspect", "alpha"], "").is_empty());
    assert_eq!(complete_words(&["-s", s, "ssh", "alpha"], ""), [":files"]);
    assert!(complete_words(&["-s", s, "ls"], "").is_empty());
}

#[test]
fn values_and_shells() {
    assert_eq!(complete_words(&["-s"], ""), [":files"]);
    assert_eq!(complete_words(&["scp"], ""), [":files"]);
    assert_eq!(
        complete_words(&["completion"], ""),
        ["bash", "zsh", "fish", "powershell"]
    );
    assert!(complete_words(&["completion", "bash"], "").is_empty());
    assert!(complete_words(&["nosuchcommand"], "").is_empty());
}
