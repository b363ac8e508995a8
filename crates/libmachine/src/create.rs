//! The driver-independent part of `create` (the original's `libmachine.Create` and the
//! tail of `commands/create.go`), after flags are parsed and the driver is configured:
//!
//! 1. CA and client certificates created when missing or expired (every driver);
//! 2. `Running pre-create checks...` and the driver's check (exit 3, nothing saved);
//! 3. save; `Creating machine...`; the driver creates; save;
//! 4. unless the driver has no SSH (`none`, or a running machine whose driver gives an
//!    empty SSH address, as 0.16.2's `ci-test` plugin): wait until Running, wait for SSH,
//!    detect the OS, provision, check the TLS connection; save.
//!
//! The machine is saved before every step that can fail halfway, so a failed create
//! leaves a machine that `ls` lists and `rm -f` removes. Errors read
//! `Error creating machine: <step>: <cause>`.

use crate::cert;
use crate::host::Host;
use crate::provision::Provisioner;
use crate::ssh::wait_for_ssh_while;
use crate::state::State;
use crate::store::Store;
use std::time::{Duration, Instant};

/// Settings of one create run.
#[derive(Debug, Clone)]
pub struct CreateOptions {
    /// Bound on waiting for the machine to be running and then for SSH (`--ssh-wait-timeout`).
    pub ssh_wait_timeout: Duration,
}

impl Default for CreateOptions {
    fn default() -> Self {
        CreateOptions {
            ssh_wait_timeout: crate::provision::DEFAULT_SSH_WAIT,
        }
    }
}

/// A failed create: what to print and the exit status (3 for the pre-create check).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct CreateError {
    pub code: i32,
    pub message: String,
}

impl CreateError {
    fn new(message: impl Into<String>) -> CreateError {
        CreateError {
            code: 1,
            message: message.into(),
        }
    }

    fn step(step: &str, cause: impl std::fmt::Display) -> CreateError {
        CreateError::new(format!("Error creating machine: {step}: {cause}"))
    }
}

/// Steps named in `Error creating machine: <step>: <cause>`.
pub const STEP_DRIVER: &str = "Error in driver during machine creation";
pub const STEP_RUNNING: &str = "Error waiting for machine to be running";
pub const STEP_DETECT: &str = "Error detecting OS";
pub const STEP_PROVISION: &str = "Error running provisioning";
pub const STEP_CHECK: &str = "Error checking the host";

/// Create `host` (configured from flags, not yet saved) in `store`.
pub fn create(store: &Store, host: &mut Host, opts: &CreateOptions) -> Result<(), CreateError> {
    cert::bootstrap(&host.options.auth, store)
        .map_err(|e| CreateError::new(format!("Error generating certificates: {e}")))?;

    crate::info!("Running pre-create checks...");
    if let Err(e) = host.driver.pre_create_check() {
        return Err(CreateError {
            code: 3,
            message: format!(
                "Error with pre-create check: {}",
                crate::shell::go_quote(&format!("{e:#}"))
            ),
        });
    }

    store.save(host).map_err(|e| {
        CreateError::new(format!(
            "Error saving host to store before attempting creation: {e}"
        ))
    })?;
    crate::testpoint::pause("create-saved");
    crate::info!("Creating machine...");
    if let Err(e) = host.driver.create() {
        // What the driver made so far is recorded, so `rm` can clean it up.
        let _ = store.save(host);
        return Err(CreateError::step(STEP_DRIVER, format!("{e:#}")));
    }
    store.save(host).map_err(|e| {
        CreateError::new(format!(
            "Error saving host to store after attempting creation: {e}"
        ))
    })?;

    crate::testpoint::pause("create-driver-done");
    if host.driver.capabilities().ssh && !crate::drivers::gives_no_ssh_address(&*host.driver) {
        let result = provision_new(host, opts);
        // Whatever provisioning learnt (nothing, today) is kept even when it failed.
        let _ = store.save(host);
        result?;
    }

    store
        .save(host)
        .map_err(|e| CreateError::new(format!("Error attempting to save store: {e}")))
}

fn provision_new(host: &mut Host, opts: &CreateOptions) -> Result<(), CreateError> {
    crate::info!("Waiting for machine to be running, this may take a few minutes...");
    // Never longer than the host's polling allows (3 minutes by default).
    let longest = host.polling.interval * host.polling.attempts;
    wait_running(host, opts.ssh_wait_timeout.min(longest))
        .map_err(|e| CreateError::step(STEP_RUNNING, e))?;

    crate::testpoint::pause("create-running");
    crate::info!("Detecting operating system of created instance...");
    let target = host
        .ssh_target()
        .map_err(|e| CreateError::step(STEP_DETECT, format!("{e:#}")))?;
    let client = crate::ssh::configured_client(&target)
        .map_err(|e| CreateError::step(STEP_DETECT, format!("{e:#}")))?;
    crate::info!("Waiting for SSH to be available...");
    let booting = || host.driver.check_booting().map_err(|e| format!("{e:#}"));
    wait_for_ssh_while(client.as_ref(), &target, opts.ssh_wait_timeout, &booting)
        .map_err(|e| CreateError::step(STEP_DETECT, format!("{e:#}")))?;
    crate::info!("Detecting the provisioner...");
    let provisioner = Provisioner::detect(client.as_ref())
        .map_err(|e| CreateError::step(STEP_DETECT, format!("{e:#}")))?;

    crate::info!("Provisioning with {}...", provisioner.family);
    let target = host
        .provision_target()
        .map_err(|e| CreateError::step(STEP_PROVISION, format!("{e:#}")))?;
    // One line: a failed remote command's error otherwise spans four.
    provisioner.provision(&target).map_err(|e| {
        CreateError::step(
            STEP_PROVISION,
            crate::ssh::ssh_error_text(&format!("{e:#}")),
        )
    })?;

    if let Err(e) = host.driver.provisioned(client.as_ref()) {
        crate::log::warn(&format!("{e:#}"));
    }

    crate::info!("Checking connection to Docker...");
    host.check_docker_connection()
        .map_err(|e| CreateError::step(STEP_CHECK, e))?;
    crate::info!("Docker is up and running!");
    Ok(())
}

/// Poll the driver until Running, as often as `host.polling` says, for at most `max_wait`
/// (60 attempts 3 s apart, as the original, with the default wait).
fn wait_running(host: &Host, max_wait: Duration) -> Result<(), String> {
    let interval = host.polling.interval;
    let start = Instant::now();
    let mut attempts = 0;
    loop {
        attempts += 1;
        if matches!(host.driver.state(), Ok(State::Running)) {
            return Ok(());
        }
        host.driver.check_booting().map_err(|e| format!("{e:#}"))?;
        if start.elapsed() + interval > max_wait {
            return Err(format!("Maximum number of retries ({attempts}) exceeded"));
        }
        std::thread::sleep(interval);
    }
}

#[cfg(test)]
mod tests;
