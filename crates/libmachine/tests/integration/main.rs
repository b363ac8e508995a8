//! The integration tests of the library: its public API against real files, servers
//! (sshd, HTTP, rustls), Go's gob and moto. One binary for all of them, so rustls, russh
//! and aws-lc are linked once; each module is one area. nextest runs every test in a
//! process of its own, which the tests that change the environment (`ec2_moto`) rely on.

mod azure_arm;
mod boot2docker;
mod cert;
mod config_props;
mod driver_flags;
mod ec2_moto;
mod fuzz_bounded;
mod gob_go;
mod provision;
mod ssh;
mod store;
mod template_props;
