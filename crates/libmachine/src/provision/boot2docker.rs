//! The boot2docker provisioner: Docker comes with the ISO, so provisioning only names the
//! machine, waits for the daemon the ISO started, and replaces its TLS setup. Certificates
//! go to `/var/lib/boot2docker` (the persistent disk), the daemon's options to
//! `/var/lib/boot2docker/profile`, which boot2docker's `/etc/init.d/docker` reads when it
//! (re)starts the daemon.

use super::{engine, Provisioner, Target};
use crate::options::EngineOptions;
use anyhow::Result;

/// boot2docker's persistent configuration directory.
pub const B2D_DIR: &str = "/var/lib/boot2docker";
pub const B2D_PROFILE: &str = "/var/lib/boot2docker/profile";
pub const B2D_CA: &str = "/var/lib/boot2docker/ca.pem";
pub const B2D_SERVER_CERT: &str = "/var/lib/boot2docker/server.pem";
pub const B2D_SERVER_KEY: &str = "/var/lib/boot2docker/server-key.pem";

/// The profile, as the original's template left it on the machine: the user's labels
/// (then `provider=<driver>`), insecure registries, mirrors and `--engine-opt`s one a line
/// in `EXTRA_ARGS`, the TLS files, the daemon's port and storage driver, and one
/// `export "K=V"` line per `--engine-env`. Values are quoted for the shell that sources
/// the file (the original broke on a `'` or `"` in a value).
pub fn profile(
    port: u16,
    storage_driver: &str,
    engine: &EngineOptions,
    driver_name: &str,
) -> String {
    let list = |l: &Option<Vec<String>>| l.clone().unwrap_or_default();
    let mut extra = String::new();
    for label in list(&engine.labels)
        .into_iter()
        .chain([format!("provider={driver_name}")])
    {
        extra.push_str(&format!("--label {label}\n"));
    }
    for reg in list(&engine.insecure_registry) {
        extra.push_str(&format!("--insecure-registry {reg}\n"));
    }
    for mirror in list(&engine.registry_mirror) {
        extra.push_str(&format!("--registry-mirror {mirror}\n"));
    }
    for opt in list(&engine.arbitrary_flags) {
        extra.push_str(&format!("--{opt}\n"));
    }
    let mut out = format!(
        "\nEXTRA_ARGS='\n{}\n'\nCACERT={B2D_CA}\nDOCKER_HOST='-H tcp://0.0.0.0:{port}'\nDOCKER_STORAGE={storage_driver}\nDOCKER_TLS=auto\nSERVERKEY={B2D_SERVER_KEY}\nSERVERCERT={B2D_SERVER_CERT}\n\n",
        extra.replace('\'', "'\\''")
    );
    for env in list(&engine.env) {
        out.push_str(&format!("export {}\n", crate::shell::quote_posix(&env)));
    }
    out.push('\n');
    out
}

impl Provisioner<'_> {
    /// boot2docker: hostname, wait for the daemon the ISO started, then the TLS setup.
    pub(super) fn provision_boot2docker(&self, t: &Target) -> Result<()> {
        self.require_init_system()?;
        let name = t.machine_name;
        // The name passed create's check (0-9a-zA-Z . -): nothing in it is special to sh.
        self.run(&format!(
            "sudo /usr/bin/sethostname {name} && sudo mkdir -p {B2D_DIR}/etc && echo \"{name}\" | sudo tee {B2D_DIR}/etc/hostname"
        ))?;
        // boot2docker starts its daemon at boot (with its own certificates).
        self.wait_for_daemon(t.daemon_port)?;
        self.run(&format!("sudo mkdir -p {B2D_DIR}"))?;
        self.configure_auth_boot2docker(t)
    }

    /// Certificates and profile under `/var/lib/boot2docker`, daemon restarted by its
    /// init script.
    pub(super) fn configure_auth_boot2docker(&self, t: &Target) -> Result<()> {
        self.install_certs(t, B2D_DIR)?;

        crate::info!("Setting Docker configuration on the remote daemon...");
        let storage = engine::storage_driver(t.engine);
        let text = profile(t.daemon_port, &storage, t.engine, t.driver_name);
        self.write_remote(B2D_PROFILE, text.as_bytes(), 0o644)?;
        self.run(&self.init.service("start"))?;
        self.wait_for_daemon(t.daemon_port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_is_the_originals_for_ordinary_values() {
        let engine = EngineOptions {
            labels: Some(vec!["env=prod".into()]),
            insecure_registry: Some(vec!["reg.local:5000".into()]),
            registry_mirror: Some(vec!["https://mirror.local".into()]),
            arbitrary_flags: Some(vec!["log-driver=syslog".into()]),
            env: Some(vec!["HTTP_PROXY=http://proxy:3128".into()]),
            ..Default::default()
        };
        assert_eq!(
            profile(2376, "overlay2", &engine, "hyperv"),
            "\nEXTRA_ARGS='\n--label env=prod\n--label provider=hyperv\n--insecure-registry reg.local:5000\n--registry-mirror https://mirror.local\n--log-driver=syslog\n\n'\nCACERT=/var/lib/boot2docker/ca.pem\nDOCKER_HOST='-H tcp://0.0.0.0:2376'\nDOCKER_STORAGE=overlay2\nDOCKER_TLS=auto\nSERVERKEY=/var/lib/boot2docker/server-key.pem\nSERVERCERT=/var/lib/boot2docker/server.pem\n\nexport \"HTTP_PROXY=http://proxy:3128\"\n\n"
        );
    }

    #[test]
    fn profile_values_survive_the_shell() {
        let engine = EngineOptions {
            labels: Some(vec!["who=o'brien".into()]),
            env: Some(vec!["A=$HOME \"x\"".into()]),
            ..Default::default()
        };
        let text = profile(2376, "overlay2", &engine, "generic");
        assert!(text.contains("--label who=o'\\''brien\n"), "{text}");
        assert!(text.contains("export \"A=\\$HOME \\\"x\\\"\"\n"), "{text}");
    }
}
