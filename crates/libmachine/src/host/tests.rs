//! Tests of a machine's power actions (start, stop, kill, restart) on a fake driver,
//! polled every millisecond; and [`fake_host`], which the create and rm tests share.

use super::{valid_host_name, Host, Polling, CONFIG_VERSION};
use crate::drivers::fake::{Call, Fake};
use crate::options::{AuthOptions, HostOptions};
use crate::state::State;
use std::path::Path;
use std::time::{Duration, Instant};

/// The machine `name` of `store`, driven by `fake` (with no IP), its state polled every
/// millisecond, 5 times.
pub(crate) fn fake_host(store: &Path, name: &str, fake: &Fake) -> Host {
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let certs = store.join("certs");
    let machine = store.join("machines").join(name);
    Host {
        config_version: CONFIG_VERSION,
        driver_name: "fake".into(),
        options: HostOptions {
            auth: AuthOptions {
                cert_dir: path(&certs),
                ca_cert_path: path(&certs.join("ca.pem")),
                ca_private_key_path: path(&certs.join("ca-key.pem")),
                client_cert_path: path(&certs.join("cert.pem")),
                client_key_path: path(&certs.join("key.pem")),
                server_cert_path: path(&machine.join("server.pem")),
                server_key_path: path(&machine.join("server-key.pem")),
                store_path: path(&machine),
                ..Default::default()
            },
            ..Default::default()
        },
        name: name.into(),
        driver: fake.driver(name, &path(store)),
        polling: Polling {
            interval: Duration::from_millis(1),
            attempts: 5,
        },
    }
}

/// A machine not reached over SSH: nothing is awaited after its power actions (the SSH
/// waits have their own tests, against a real sshd).
fn host(fake: &Fake) -> Host {
    let fake = fake.clone().without_ssh();
    fake_host(Path::new("/nonexistent"), "m", &fake)
}

fn err(result: anyhow::Result<()>) -> String {
    format!("{:#}", result.expect_err("the action fails"))
}

use Call::{Kill, Restart, Start, Stop};
const POLL: Call = Call::State;

#[test]
fn host_names() {
    for ok in ["a", "dev", "web-1.example", "0abc"] {
        assert!(valid_host_name(ok), "{ok}");
    }
    for bad in ["", "-a", ".a", "a_b", "a b", "é", "a/b"] {
        assert!(!valid_host_name(bad), "{bad}");
    }
}

#[test]
fn by_default_the_state_is_polled_every_3_s_60_times_as_the_original() {
    let default = Polling::default();
    assert_eq!(default.interval, Duration::from_secs(3));
    assert_eq!(default.attempts, 60);
}

#[test]
fn start_waits_until_the_machine_runs() {
    let fake = Fake::new(State::Stopped).slow(2);
    host(&fake).start().unwrap();
    // Stopped? start; Starting, Starting, Running.
    assert_eq!(fake.calls(), [POLL, Start, POLL, POLL, POLL]);
    assert_eq!(fake.state(), State::Running);
}

#[test]
fn start_of_a_running_machine_is_refused_without_acting() {
    let fake = Fake::new(State::Running);
    assert_eq!(
        err(host(&fake).start()),
        "Machine \"m\" is already running."
    );
    assert_eq!(fake.calls(), [POLL]);
}

#[test]
fn a_failing_action_is_the_error_and_nothing_is_awaited() {
    let fake = Fake::new(State::Stopped).failing(Start, "VM is locked");
    assert_eq!(err(host(&fake).start()), "VM is locked");
    assert_eq!(fake.calls(), [POLL, Start]);
}

#[test]
fn stop_waits_until_the_machine_stops() {
    let fake = Fake::new(State::Running).slow(1);
    host(&fake).stop().unwrap();
    assert_eq!(fake.calls(), [POLL, Stop, POLL, POLL]);
    assert_eq!(fake.state(), State::Stopped);
}

#[test]
fn a_stop_the_machine_ignores_fails_after_the_polling_attempts() {
    let fake = Fake::new(State::Running).ignoring(Stop);
    let started = Instant::now();
    assert_eq!(
        err(host(&fake).stop()),
        "Maximum number of retries (5) exceeded"
    );
    assert_eq!(fake.calls(), [POLL, Stop, POLL, POLL, POLL, POLL, POLL]);
    // Four pauses of 1 ms, not of 3 s.
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn kill_waits_until_stopped_and_a_stopped_machine_cannot_be_killed_again() {
    let fake = Fake::new(State::Running).slow(1);
    let mut host = host(&fake);
    host.kill().unwrap();
    assert_eq!(fake.calls(), [POLL, Kill, POLL, POLL]);
    assert_eq!(err(host.kill()), "Machine \"m\" is already stopped.");
    assert_eq!(fake.calls(), [POLL, Kill, POLL, POLL, POLL]);
}

#[test]
fn restart_of_a_running_machine_restarts_it_and_waits_until_it_runs() {
    let fake = Fake::new(State::Running).slow(2);
    host(&fake).restart().unwrap();
    assert_eq!(fake.calls(), [POLL, Restart, POLL, POLL, POLL]);
}

#[test]
fn restart_of_a_stopped_machine_starts_it() {
    let fake = Fake::new(State::Stopped);
    host(&fake).restart().unwrap();
    assert_eq!(fake.calls(), [POLL, POLL, Start, POLL]);
    assert_eq!(fake.state(), State::Running);
}

#[test]
fn restart_of_a_machine_that_never_comes_back_fails() {
    let fake = Fake::new(State::Running).slow(10);
    assert_eq!(
        err(host(&fake).restart()),
        "Maximum number of retries (5) exceeded"
    );
    assert_eq!(fake.calls()[..2], [POLL, Restart]);
    assert_eq!(fake.polls(), 1 + 5);
}

#[test]
fn restart_of_a_paused_machine_does_nothing_to_it() {
    // As the original: neither stopped nor running, so only Docker is waited for.
    let fake = Fake::new(State::Paused);
    host(&fake).restart().unwrap();
    assert_eq!(fake.calls(), [POLL]);
    assert_eq!(fake.state(), State::Paused);
}
