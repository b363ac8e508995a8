//! `create`: make a machine with a driver, provision Docker on it and check the result.
//!
//! The driver is known only after scanning argv (its flags decide how the rest of argv
//! parses), so this command parses its own flags, as the original's did.

use crate::cli::{flags, help, CmdError, Command, Context};
use libmachine::create::CreateOptions;
use libmachine::drivers::{self, CreateDriver, DEFAULT_ENGINE_INSTALL_URL};
use libmachine::host::{valid_host_name, Host, CONFIG_VERSION};
use libmachine::mcnflag::{DriverOptions, Flag, FlagKind, FlagValue};
use libmachine::options::{AuthOptions, EngineOptions, HostOptions, SwarmOptions};
use std::path::Path;
use std::time::Duration;

pub fn command(argv0: &str) -> Command {
    Command {
        name: "create",
        usage: "Create a machine",
        description: format!(
            "Run '{argv0} create --driver name' to include the create flags for that driver in the help text."
        ),
        flags: shared_flags(),
        skip_flag_parsing: true,
        action,
    }
}

fn shared_flags() -> Vec<Flag> {
    vec![
        Flag::string(
            "driver, d",
            "MACHINE_DRIVER",
            "Driver to create machine with.",
            drivers::default_driver(),
        ),
        Flag::string(
            "engine-install-url",
            "MACHINE_DOCKER_INSTALL_URL",
            "Custom URL to use for engine installation",
            DEFAULT_ENGINE_INSTALL_URL,
        ),
        Flag::string_slice(
            "engine-opt",
            "",
            "Specify arbitrary flags to include with the created engine in the form flag=value",
            &[],
        ),
        Flag::string_slice(
            "engine-insecure-registry",
            "",
            "Specify insecure registries to allow with the created engine",
            &[],
        ),
        Flag::string_slice(
            "engine-registry-mirror",
            "ENGINE_REGISTRY_MIRROR",
            "Specify registry mirrors to use",
            &[],
        ),
        Flag::string_slice(
            "engine-label",
            "",
            "Specify labels for the created engine",
            &[],
        ),
        Flag::string(
            "engine-storage-driver",
            "",
            "Specify a storage driver to use with the engine",
            "",
        ),
        Flag::string_slice(
            "engine-env",
            "",
            "Specify environment variables to set in the engine",
            &[],
        ),
        Flag::bool("swarm", "", "Configure Machine to join a Swarm cluster"),
        Flag::string(
            "swarm-image",
            "MACHINE_SWARM_IMAGE",
            "Specify Docker image to use for Swarm",
            "swarm:latest",
        ),
        Flag::bool("swarm-master", "", "Configure Machine to be a Swarm master"),
        Flag::string(
            "swarm-discovery",
            "",
            "Discovery service to use with Swarm",
            "",
        ),
        Flag::string(
            "swarm-strategy",
            "",
            "Define a default scheduling strategy for Swarm",
            "spread",
        ),
        Flag::string_slice(
            "swarm-opt",
            "",
            "Define arbitrary flags for Swarm master",
            &[],
        ),
        Flag::string_slice(
            "swarm-join-opt",
            "",
            "Define arbitrary flags for Swarm join",
            &[],
        ),
        Flag::string(
            "swarm-host",
            "",
            "ip/socket to listen on for Swarm master",
            "tcp://0.0.0.0:3376",
        ),
        Flag::string(
            "swarm-addr",
            "",
            "addr to advertise for Swarm (default: detect and use the machine IP)",
            "",
        ),
        Flag::bool(
            "swarm-experimental",
            "",
            "Enable Swarm experimental features",
        ),
        Flag::string_slice("tls-san", "", "Support extra SANs for TLS certs", &[]),
        Flag::int(
            "ssh-wait-timeout",
            "MACHINE_SSH_WAIT_TIMEOUT",
            "Seconds to wait for the machine to be running and to answer SSH before create gives up",
            libmachine::provision::DEFAULT_SSH_WAIT.as_secs() as i64,
        ),
    ]
}

/// The flags `create` accepts with a driver: shared ones and the driver's, sorted by
/// their help line as the original sorted them.
fn all_flags(driver: &CreateDriver) -> Vec<Flag> {
    let mut all = shared_flags();
    all.extend(driver.create_flags());
    all.sort_by_key(|f| f.help_line());
    all
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    let driver_name = super::driver_name_from(&ctx.args);
    // A plugin is started here (to learn its flags) and closed when `spec` is dropped.
    let spec = CreateDriver::find(&driver_name).map_err(CmdError::from)?;
    let cmd = command(&ctx.argv0);
    let mut flag_defs = all_flags(&spec);
    flag_defs.push(Flag::bool("help, h", "", "show help"));
    let parsed = match flags::parse(&flag_defs, &flags::reorder_command_args(&ctx.args)) {
        Ok(p) => p,
        Err(e) => {
            print!(
                "Incorrect Usage.\n\n{}",
                help::command_help_with_flags(&cmd, &all_flags(&spec))
            );
            return Err(CmdError::new(e));
        }
    };
    if parsed.bool("help") {
        print!("{}", help::command_help_with_flags(&cmd, &all_flags(&spec)));
        return Ok(());
    }
    if parsed.args.len() > 1 {
        return Err(CmdError::new(format!(
            "Invalid command line. Found extra arguments [{}]",
            parsed.args[1..].join(" ")
        )));
    }
    let Some(name) = parsed.args.first().cloned() else {
        print!("{}", help::command_help_with_flags(&cmd, &all_flags(&spec)));
        return Err(CmdError::new("Error: No machine name specified"));
    };
    if !valid_host_name(&name) {
        return Err(CmdError::new(
            "Error creating machine: Invalid hostname specified. Allowed hostname chars are: 0-9a-zA-Z . -",
        ));
    }
    let discovery = parsed.string("swarm-discovery");
    if !discovery.is_empty()
        && !regex::Regex::new("[^:]*://.*")
            .expect("valid regex")
            .is_match(&discovery)
    {
        return Err(CmdError::new(format!(
            "Error parsing swarm discovery: Swarm Discovery URL was in the wrong format: {discovery}"
        )));
    }
    if !spec.implemented() {
        return Err(CmdError::new(format!(
            "Error creating machine: the \"{driver_name}\" driver is not implemented by this docker-machine yet"
        )));
    }

    let store = &ctx.store;
    let _lock = store
        .lock(&name)
        .map_err(|e| CmdError::new(format!("Error locking machine {name:?}: {e}")))?;
    if store.exists(&name) {
        return Err(CmdError::new(format!(
            "Docker machine \"{name}\" already exists"
        )));
    }
    let store_path = store.path.to_string_lossy().into_owned();
    let options = driver_options(&all_flags(&spec), &parsed);
    let mut driver = spec
        .into_driver(&name, &store_path)
        .map_err(CmdError::from)?;
    driver.set_config_from_flags(&options).map_err(|e| {
        CmdError::new(format!(
            "Error setting machine configuration from flags provided: {e:#}"
        ))
    })?;

    let mut host = Host {
        config_version: CONFIG_VERSION,
        driver_name: driver_name.clone(),
        options: host_options(ctx, &parsed, &name),
        name: name.clone(),
        driver,
        polling: Default::default(),
    };

    let opts = CreateOptions {
        ssh_wait_timeout: Duration::from_secs(
            u64::try_from(parsed.int("ssh-wait-timeout")).unwrap_or(0),
        ),
    };
    libmachine::create::create(store, &mut host, &opts)
        .map_err(|e| CmdError::with_code(e.code, e.message))?;
    libmachine::dockercontext::sync_or_warn(store, &host);
    libmachine::info!(
        "To see how to connect your Docker Client to the Docker Engine running on this virtual machine, run: {} env {name}",
        ctx.argv0
    );
    Ok(())
}

/// The values handed to the driver: every create flag (shared ones too: plugins received
/// them all), with its default when unset. A list flag's env var counts only when the
/// flag is also on the command line, as in the original (its flag parser only filled a
/// slice flag from the env var when the flag itself was given).
fn driver_options(flag_defs: &[Flag], parsed: &flags::Parsed) -> DriverOptions {
    let mut opts = DriverOptions::new();
    for flag in flag_defs {
        let key = flag.key();
        let value = match (&flag.kind, parsed.get(key)) {
            (FlagKind::StringSlice(default), _) if !parsed.is_set(key) => {
                FlagValue::StringSlice(default.clone())
            }
            (_, Some(v)) => v.clone(),
            (_, None) => flag.default_value(),
        };
        opts.insert(key, value);
    }
    opts
}

fn host_options(ctx: &Context, parsed: &flags::Parsed, name: &str) -> HostOptions {
    let store = &ctx.store;
    let certs = store.certs_dir();
    let machine_dir = store.machine_dir(name);
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let tls_path = |flag: &str, default: &str| {
        let given = ctx.globals.string(flag);
        if given.is_empty() {
            path(&certs.join(default))
        } else {
            given
        }
    };
    let list = |key: &str| Some(parsed.string_slice(key));
    HostOptions {
        driver: String::new(),
        memory: 0,
        disk: 0,
        engine: EngineOptions {
            arbitrary_flags: list("engine-opt"),
            dns: None,
            env: list("engine-env"),
            insecure_registry: list("engine-insecure-registry"),
            labels: list("engine-label"),
            registry_mirror: list("engine-registry-mirror"),
            storage_driver: parsed.string("engine-storage-driver"),
            tls_verify: true,
            install_url: parsed.string("engine-install-url"),
            ..Default::default()
        },
        swarm: SwarmOptions {
            is_swarm: parsed.bool("swarm") || parsed.bool("swarm-master"),
            image: parsed.string("swarm-image"),
            agent: parsed.bool("swarm"),
            master: parsed.bool("swarm-master"),
            discovery: parsed.string("swarm-discovery"),
            address: parsed.string("swarm-addr"),
            host: parsed.string("swarm-host"),
            strategy: parsed.string("swarm-strategy"),
            arbitrary_flags: list("swarm-opt"),
            arbitrary_join_flags: list("swarm-join-opt"),
            is_experimental: parsed.bool("swarm-experimental"),
            ..Default::default()
        },
        auth: AuthOptions {
            cert_dir: path(&certs),
            ca_cert_path: tls_path("tls-ca-cert", "ca.pem"),
            ca_private_key_path: tls_path("tls-ca-key", "ca-key.pem"),
            client_cert_path: tls_path("tls-client-cert", "cert.pem"),
            client_key_path: tls_path("tls-client-key", "key.pem"),
            server_cert_path: path(&machine_dir.join("server.pem")),
            server_key_path: path(&machine_dir.join("server-key.pem")),
            store_path: path(&machine_dir),
            server_cert_sans: list("tls-san"),
            ..Default::default()
        },
    }
}
