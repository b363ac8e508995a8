//! `rm` of one machine (the original's `commands/rm.go`): the driver removes what it made
//! outside the store (a VM, a cloud instance), then the machine's folder goes.

use crate::store::Store;

/// Why a machine was not removed; the texts are 0.16.2's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RemoveError {
    /// The machine did not load, or its driver could not remove what it made.
    #[error("Error removing host {name:?}: {cause}")]
    Driver { name: String, cause: String },
    /// The machine's folder is missing or could not be deleted.
    #[error("Can't remove \"{name}\"")]
    Store { name: String },
}

/// Remove the machine `name`, under its lock. A driver that fails keeps the folder, so
/// `rm` can be tried again. With `force` the folder goes all the same, and the errors are
/// logged as they happen instead of returned (`rm -f` carries on and exits 0).
pub fn remove(store: &Store, name: &str, force: bool) -> Result<(), RemoveError> {
    let _lock = store.lock(name);
    let fail = |e: RemoveError| {
        if force {
            crate::log::error(&e.to_string());
            Ok(())
        } else {
            Err(e)
        }
    };
    let remote = store
        .load(name)
        .map_err(|e| e.to_string())
        .and_then(|mut host| host.driver.remove().map_err(|e| format!("{e:#}")))
        .map_err(|cause| RemoveError::Driver {
            name: name.to_string(),
            cause,
        })
        .or_else(fail);
    crate::testpoint::pause("rm-remote-done");
    remote?;
    if !store.exists(name) || store.remove(name).is_err() {
        return fail(RemoveError::Store {
            name: name.to_string(),
        });
    }
    crate::info!("Successfully removed {name}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{remove, RemoveError};
    use crate::drivers::fake::{Call, Fake};
    use crate::host::tests::fake_host;
    use crate::state::State;
    use crate::store::Store;

    /// A store holding the machine `m`, driven by `fake`.
    fn store_with(fake: &Fake) -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        store.save(&fake_host(dir.path(), "m", fake)).unwrap();
        (store, dir)
    }

    #[test]
    fn rm_removes_what_the_driver_made_then_the_machine() {
        let fake = Fake::new(State::Running);
        let (store, _dir) = store_with(&fake);
        assert_eq!(remove(&store, "m", false), Ok(()));
        assert_eq!(fake.calls(), [Call::Remove]);
        assert!(!store.exists("m"));
        assert!(!store.path.join(".locks/machine-m.lock").exists());
    }

    #[test]
    fn a_driver_that_cannot_remove_keeps_the_machine() {
        let fake = Fake::new(State::Running).failing(Call::Remove, "instance is protected");
        let (store, _dir) = store_with(&fake);
        let error = remove(&store, "m", false).unwrap_err();
        assert_eq!(
            error,
            RemoveError::Driver {
                name: "m".into(),
                cause: "instance is protected".into()
            }
        );
        assert_eq!(
            error.to_string(),
            "Error removing host \"m\": instance is protected"
        );
        assert_eq!(fake.calls(), [Call::Remove]);
        assert!(store.load("m").is_ok());
    }

    #[test]
    fn force_removes_the_machine_even_when_the_driver_fails() {
        let fake = Fake::new(State::Running).failing(Call::Remove, "instance is protected");
        let (store, _dir) = store_with(&fake);
        assert_eq!(remove(&store, "m", true), Ok(()));
        assert_eq!(fake.calls(), [Call::Remove]);
        assert!(!store.exists("m"));
    }

    #[test]
    fn a_machine_that_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path());
        match remove(&store, "ghost", false) {
            Err(RemoveError::Driver { name, cause }) => {
                assert_eq!(name, "ghost");
                assert!(
                    cause.starts_with("Docker machine \"ghost\" does not exist."),
                    "{cause}"
                );
            }
            other => panic!("{other:?}"),
        }
        // Forced: both errors are logged, and nothing is left behind.
        assert_eq!(remove(&store, "ghost", true), Ok(()));
        assert_eq!(store.list().unwrap(), Vec::<String>::new());
        assert!(!store.path.join(".locks/machine-ghost.lock").exists());
    }
}
