//! Tests of the create flow's steps and their order on a fake driver: what each failure
//! leaves in the store, the wait for Running, and when provisioning starts.

use super::{create, CreateError, CreateOptions};
use crate::drivers::fake::{Call, Fake};
use crate::host::tests::fake_host;
use crate::state::State;
use crate::store::Store;
use std::time::Duration;

use Call::{Create, PreCreateCheck};
const POLL: Call = Call::State;

/// Create the machine `m` on `fake` in a new store, waiting at most `max_wait` for it to
/// run (polled every millisecond); what create returned, and the store.
fn run_waiting(
    fake: &Fake,
    max_wait: Duration,
) -> (Result<(), CreateError>, Store, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::new(dir.path());
    let mut host = fake_host(dir.path(), "m", fake);
    // Bounded by `max_wait` alone.
    host.polling.attempts = u32::MAX;
    let opts = CreateOptions {
        ssh_wait_timeout: max_wait,
    };
    let result = create(&store, &mut host, &opts);
    (result, store, dir)
}

/// [`run_waiting`] with room for many polls, however loaded the machine.
fn run(fake: &Fake) -> (Result<(), CreateError>, Store, tempfile::TempDir) {
    run_waiting(fake, Duration::from_secs(10))
}

fn failure(code: i32, message: &str) -> Result<(), CreateError> {
    Err(CreateError {
        code,
        message: message.into(),
    })
}

#[test]
fn a_failed_pre_create_check_exits_3_after_the_certificates_and_saves_no_machine() {
    let fake = Fake::new(State::None).failing(PreCreateCheck, "VBoxManage not found");
    let (result, store, _dir) = run(&fake);
    assert_eq!(
        result,
        failure(3, "Error with pre-create check: \"VBoxManage not found\"")
    );
    assert_eq!(fake.calls(), [PreCreateCheck]);
    assert!(!store.exists("m"));
    assert_eq!(store.list().unwrap(), Vec::<String>::new());
    // The CA and client certificate come first, for every driver.
    for file in ["ca.pem", "ca-key.pem", "cert.pem", "key.pem"] {
        assert!(store.certs_dir().join(file).is_file(), "{file}");
    }
}

#[test]
fn a_failed_driver_create_keeps_the_machine_so_rm_can_clean_up() {
    let fake = Fake::new(State::None).failing(Create, "quota exceeded");
    let (result, store, _dir) = run(&fake);
    assert_eq!(
        result,
        failure(
            1,
            "Error creating machine: Error in driver during machine creation: quota exceeded"
        )
    );
    assert_eq!(fake.calls(), [PreCreateCheck, Create]);
    let saved = store.load("m").unwrap();
    assert_eq!(saved.driver_name, "fake");
    assert_eq!(saved.driver.driver_name(), "fake");
    crate::remove::remove(&store, "m", false).unwrap();
    assert_eq!(fake.calls(), [PreCreateCheck, Create, Call::Remove]);
    assert!(!store.exists("m"));
}

#[test]
fn create_waits_until_the_machine_runs_then_provisions_it() {
    let fake = Fake::new(State::None).slow(2);
    let (result, store, _dir) = run(&fake);
    // Running after two polls; provisioning then starts with SSH, which the fake
    // (with no IP) cannot give: the OS detection step fails.
    assert_eq!(
        result,
        failure(
            1,
            "Error creating machine: Error detecting OS: IP address is not set"
        )
    );
    assert_eq!(fake.calls(), [PreCreateCheck, Create, POLL, POLL, POLL]);
    assert!(store.load("m").is_ok());
}

#[test]
fn a_machine_that_never_runs_fails_create_when_the_wait_times_out() {
    let fake = Fake::new(State::Stopped).ignoring(Create);
    let (result, store, _dir) = run_waiting(&fake, Duration::from_millis(5));
    // Bounded by time (`--ssh-wait-timeout`), so the count of polls varies.
    let polls = fake.polls();
    assert!((1..=5).contains(&polls), "{polls} polls");
    assert_eq!(
        result,
        failure(1, &format!("Error creating machine: Error waiting for machine to be running: Maximum number of retries ({polls}) exceeded"))
    );
    assert!(store.load("m").is_ok());
}

#[test]
fn a_machine_without_ssh_is_created_without_waiting_or_provisioning() {
    // As the none driver's machines: nothing to wait for, nothing to provision.
    let fake = Fake::new(State::None).without_ssh();
    let (result, store, _dir) = run(&fake);
    assert_eq!(result, Ok(()));
    assert_eq!(fake.calls(), [PreCreateCheck, Create]);
    assert!(store.machine_dir("m").join("config.json").is_file());
}

#[test]
fn a_running_machine_whose_driver_gives_no_ssh_address_is_not_provisioned() {
    // As 0.16.2's ci-test plugin: it records a URL, runs, and has no SSH address.
    let fake = Fake::new(State::None).ssh_hostname("");
    let (result, store, _dir) = run(&fake);
    assert_eq!(result, Ok(()));
    assert_eq!(fake.calls(), [PreCreateCheck, Create, POLL]);
    assert!(store.machine_dir("m").join("config.json").is_file());
}

#[test]
fn an_empty_ssh_address_once_running_fails_at_once_instead_of_waiting_for_ssh() {
    // Not running yet when asked, so provisioning is due; SSH to "" cannot succeed.
    let fake = Fake::new(State::None).slow(2).ssh_hostname("");
    let started = std::time::Instant::now();
    let (result, store, _dir) = run_waiting(&fake, Duration::from_secs(300));
    assert_eq!(
        result,
        failure(
            1,
            "Error creating machine: Error detecting OS: the machine's driver gives no SSH address"
        )
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(fake.calls(), [PreCreateCheck, Create, POLL, POLL, POLL]);
    assert!(store.load("m").is_ok());
}
