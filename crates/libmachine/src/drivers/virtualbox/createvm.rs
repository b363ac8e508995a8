//! Making the VM: the ISO copied in, the SSH key, `disk.vmdk` from the seed (or the
//! imported boot2docker VM's disk), `createvm`, its settings, storage and the share.

use super::{vbm, VirtualBoxDriver};
use anyhow::{anyhow, bail, Result};
use std::path::Path;

impl VirtualBoxDriver {
    pub(super) fn create_vm(&mut self) -> Result<()> {
        let dir = self.base.machine_dir();
        self.b2d()
            .copy_iso_to_machine_dir(&self.own.boot2docker_url, &dir)?;
        self.say("Creating VirtualBox VM...");
        let key = self.machine_path("id_rsa");
        self.base.ssh_key_path = Self::path_arg(&key);
        if !self.own.boot2docker_import_vm.is_empty() {
            self.import_vm(&key)?;
        } else {
            self.say("Creating SSH key...");
            crate::ssh::keys::generate_key_pair(&key)?;
            self.create_disk()?;
        }
        let vbm = self.vbm();
        vbm.run(&[
            "createvm",
            "--basefolder",
            &Self::path_arg(&dir),
            "--name",
            self.name(),
            "--register",
        ])?;
        let mut cpus = self.own.cpu;
        if cpus < 1 {
            cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as i64);
        }
        let cpus = cpus.min(32).to_string();
        let on_off = |b: bool| if b { "on" } else { "off" };
        let memory = self.own.memory.to_string();
        vbm.run(&[
            "modifyvm",
            self.name(),
            "--firmware",
            "bios",
            "--bioslogofadein",
            "off",
            "--bioslogofadeout",
            "off",
            "--bioslogodisplaytime",
            "0",
            "--biosbootmenu",
            "disabled",
            "--ostype",
            "Linux26_64",
            "--cpus",
            &cpus,
            "--memory",
            &memory,
            "--acpi",
            "on",
            "--ioapic",
            "on",
            "--rtcuseutc",
            "on",
            "--natdnshostresolver1",
            on_off(self.own.host_dns_resolver),
            "--natdnsproxy1",
            on_off(self.own.dns_proxy),
            "--cpuhotplug",
            "off",
            "--pae",
            "on",
            "--hpet",
            "on",
            "--hwvirtex",
            "on",
            "--nestedpaging",
            "on",
            "--largepages",
            "on",
            "--vtxvpid",
            "on",
            "--accelerate3d",
            "off",
            "--boot1",
            "dvd",
        ])?;
        vbm.run(&[
            "modifyvm",
            self.name(),
            "--nic1",
            "nat",
            "--nictype1",
            &self.own.nat_nic_type,
            "--cableconnected1",
            "on",
        ])?;
        vbm.run(&[
            "storagectl",
            self.name(),
            "--name",
            "SATA",
            "--add",
            "sata",
            "--hostiocache",
            "on",
        ])?;
        let iso = Self::path_arg(&self.machine_path(crate::boot2docker::ISO_FILENAME));
        let disk = Self::path_arg(&self.disk_path());
        for (port, kind, medium) in [("0", "dvddrive", &iso), ("1", "hdd", &disk)] {
            vbm.run(&[
                "storageattach",
                self.name(),
                "--storagectl",
                "SATA",
                "--port",
                port,
                "--device",
                "0",
                "--type",
                kind,
                "--medium",
                medium,
            ])?;
        }
        // Lets VBoxService automount the shares at / (when it is used).
        for prop in ["MountPrefix", "MountDir"] {
            vbm.run(&[
                "guestproperty",
                "set",
                self.name(),
                &format!("/VirtualBox/GuestAdd/SharedFolders/{prop}"),
                "/",
            ])?;
        }
        self.share_folder()
    }

    pub(super) fn share_folder(&self) -> Result<()> {
        let (mut share_dir, mut share_name) = (
            self.host().share_dir.clone(),
            self.host().share_name.clone(),
        );
        if !self.own.share_folder.is_empty() {
            (share_dir, share_name) = parse_share_folder(&self.own.share_folder);
        }
        if share_dir.is_empty() || self.own.no_share {
            return Ok(());
        }
        match std::fs::metadata(&share_dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => bail!(crate::fsutil::go_io_error(
                "stat",
                Path::new(&share_dir),
                &e
            )),
            Ok(_) => {}
        }
        if share_name.is_empty() {
            // Parts of VirtualBox mishandle share names that start with "/".
            share_name = share_dir.trim_start_matches('/').to_string();
        }
        let vbm = self.vbm();
        vbm.run(&[
            "sharedfolder",
            "add",
            self.name(),
            "--name",
            &share_name,
            "--hostpath",
            &share_dir,
            "--automount",
        ])?;
        vbm.run(&[
            "setextradata",
            self.name(),
            &format!("VBoxInternal2/SharedFoldersEnableSymlinksCreate/{share_name}"),
            "1",
        ])
    }

    /// `disk.vmdk` from the seed: a sparse raw disk of the size with the "please
    /// format-me" tar at its start, converted by `convertfromraw` (0.16.2 streamed the
    /// same bytes, zeros included, through its stdin).
    pub(super) fn create_disk(&self) -> Result<()> {
        let size = u64::try_from(self.own.disk_size).unwrap_or(0) << 20;
        let tar =
            crate::boot2docker::seed::format_me_tar_for_key(&self.machine_path("id_rsa.pub"))?;
        let raw = self.machine_path("disk.raw");
        let result = (|| {
            let f = std::fs::File::create(&raw)
                .map_err(|e| anyhow!(crate::fsutil::go_io_error("open", &raw, &e)))?;
            f.set_len(size.max(tar.len() as u64))?;
            drop(f);
            crate::boot2docker::seed::write_at_start(&raw, &tar)?;
            self.vbm().run(&[
                "convertfromraw",
                &Self::path_arg(&raw),
                &Self::path_arg(&self.disk_path()),
                "--format",
                "VMDK",
            ])
        })();
        let _ = std::fs::remove_file(&raw);
        result
    }

    /// `--virtualbox-import-boot2docker-vm`: its disk cloned, its CPUs and memory, and
    /// the boot2docker-cli key `~/.ssh/id_boot2docker`.
    pub(super) fn import_vm(&mut self, key: &Path) -> Result<()> {
        let name = self.own.boot2docker_import_vm.clone();
        let vbm = self.vbm();
        let _ = vbm.call(&["controlvm", &name, "poweroff"]);
        let info = vbm.out(&["showvminfo", &name, "--machinereadable"])?;
        let disk = vbm::info_value(&info, "SATA-1-0").unwrap_or_default();
        if let Err(e) = std::fs::metadata(&disk) {
            bail!(crate::fsutil::go_io_error("stat", Path::new(&disk), &e));
        }
        vbm.run(&["clonehd", &disk, &Self::path_arg(&self.disk_path())])?;
        let info = vbm.out(&["showvminfo", &name, "--machinereadable"])?;
        let number = |k: &str| -> Result<i64> {
            let v = vbm::info_value(&info, k).unwrap_or_default();
            v.parse()
                .map_err(|_| anyhow!("strconv.Atoi: parsing {v:?}: invalid syntax"))
        };
        self.own.cpu = number("cpus")?;
        self.own.memory = number("memory")?;
        let from = self.host().home.join(".ssh").join("id_boot2docker");
        crate::download::copy_file(&from, key)
    }
}

/// `dir:name` (the name after the last colon, so `C:\x:name` works).
pub(super) fn parse_share_folder(spec: &str) -> (String, String) {
    match spec.rsplit_once(':') {
        Some((dir, name)) => (dir.to_string(), name.to_string()),
        None => (String::new(), spec.to_string()),
    }
}
