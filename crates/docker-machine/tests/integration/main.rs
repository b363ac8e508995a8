//! The integration tests of the command line: the real binary against real parts (sshd,
//! dockerd, shells, wine, moto, Go-built plugins, QEMU VMs). One binary for all of them,
//! so rustls, russh and aws-lc are linked once; each module is one area, `support` holds
//! what they share. nextest runs every test in a process of its own, which the tests
//! that change the environment (`vm_generic`) rely on.

mod support;

mod azure_cli;
mod cli;
mod completion;
mod contexts;
mod digitalocean_cli;
mod ec2_cli;
mod env;
mod failure_kill;
mod failure_store;
mod google_cli;
mod hyperv;
mod inspect;
mod ls;
mod plugin;
mod qemu;
mod ssh;
mod vm_generic;
mod vm_qemu;
mod wine;
