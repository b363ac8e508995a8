//! libmachine: the domain of docker-machine, split as the original's libmachine was.
//!
//! * [`store`]: the on-disk store, atomic writes, locks; [`migrate`]: older config versions
//! * [`host`] and [`options`]: a machine and its stored options
//! * [`listing`]: the machines of the store as `ls` and `active` show them
//! * [`create`] and [`remove`]: the create and rm flows
//! * [`drivers`]: the driver trait, registry and drivers
//! * [`mcnflag`]: flag definitions shared by the CLI and the drivers
//! * [`gourl`], [`gob`], [`jsonfmt`], [`template`]: Go's standard library where 0.16.2's
//!   behaviour came from it (the `gostd` crate, re-exported so paths stay as they were)
//! * [`runner`]: how drivers run external tools (and the scripted fake tests use)
//! * [`download`] and [`boot2docker`]: image downloads, the boot2docker ISO cache and seed disk
//! * [`cidata`]: the cloud-init NoCloud seed of cloud-image VMs

pub mod boot2docker;
pub mod cert;
pub mod cidata;
pub mod cloud;
pub mod create;
pub mod dial;
pub mod dockerclient;
pub mod download;
pub mod drivers;
pub mod fsutil;
pub mod host;
pub mod listing;
pub mod log;
pub mod mcnflag;
pub mod migrate;
pub mod options;
pub mod provision;
pub mod remove;
pub mod runner;
pub mod shell;
pub mod ssh;
pub mod state;
pub mod store;
pub mod testpoint;
pub mod tlsconfig;

pub use gostd::{gob, gourl, jsonfmt, template};
pub use host::Host;
pub use state::State;
pub use store::Store;

/// The version this binary reports, the original's, so that tools comparing it keep working.
pub const VERSION: &str = "0.16.2";
