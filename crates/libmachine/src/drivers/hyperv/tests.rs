//! The hyperv driver against scripted Hyper-V answers. Hyper-V cannot run here (it needs
//! Windows and its hypervisor), so these tests stand in for it: each loads a
//! [`ScriptedRunner`] with the exact `powershell.exe` command lines 0.16.2 sent and the
//! answers Hyper-V gives (errors included), and fails on any other or missing command.

use super::*;
use crate::runner::{Answer, Output, ScriptedRunner};

const NAME: &str = "local-docker01";

/// `powershell.exe -NoProfile -NonInteractive ARGS...`
fn expect(r: &ScriptedRunner, args: &[&str], stdout: &str) {
    let mut all = vec!["-NoProfile", "-NonInteractive"];
    all.extend_from_slice(args);
    r.ok(POWERSHELL, all, stdout);
}

fn expect_fail(r: &ScriptedRunner, args: &[&str], stderr: &str) {
    let mut all = vec!["-NoProfile", "-NonInteractive"];
    all.extend_from_slice(args);
    r.expect(POWERSHELL, all, Answer::Ran(Output::fail(1, stderr)));
}

const MODULE: &str = "@(Get-Module -ListAvailable hyper-v).Name | Get-Unique";
const HYPERV_ADMIN: &str = "$sid = New-Object System.Security.Principal.SecurityIdentifier(\"S-1-5-32-578\")\n\t@([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole($sid)";
const WINDOWS_ADMIN: &str = "@([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole] \"Administrator\")";
const EXTERNAL_SWITCHES: &str = "[Console]::OutputEncoding = [Text.Encoding]::UTF8; (Hyper-V\\Get-VMSwitch -SwitchType External).Name";
const ALL_SWITCHES: &str =
    "[Console]::OutputEncoding = [Text.Encoding]::UTF8; (Hyper-V\\Get-VMSwitch).Name";

fn state(r: &ScriptedRunner, answer: &str) {
    expect(r, &["(", "Hyper-V\\Get-VM", NAME, ").state"], answer);
}

fn ip(r: &ScriptedRunner, answer: &str) {
    expect(
        r,
        &[
            "((",
            "Hyper-V\\Get-VM",
            NAME,
            ").networkadapters[0]).ipaddresses[0]",
        ],
        answer,
    );
}

struct Fixture {
    _tmp: tempfile::TempDir,
    store: PathBuf,
    dir: PathBuf,
    /// A boot2docker ISO given as a path (no network needed).
    iso: PathBuf,
    runner: Arc<ScriptedRunner>,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let store = tmp.path().join("store");
        let dir = store.join("machines").join(NAME);
        std::fs::create_dir_all(&dir).unwrap();
        let iso = tmp.path().join("b2d.iso");
        std::fs::write(&iso, b"boot2docker ISO v1").unwrap();
        Fixture {
            _tmp: tmp,
            store,
            dir,
            iso,
            runner: ScriptedRunner::new(),
        }
    }

    fn driver(&self, flags: &[(&str, FlagValue)]) -> HypervDriver {
        let mut opts = crate::drivers::default_options(&create_flags());
        opts.insert(
            "hyperv-boot2docker-url",
            FlagValue::String(self.iso.to_string_lossy().into_owned()),
        );
        for (k, v) in flags {
            opts.insert(k, v.clone());
        }
        let mut d =
            HypervDriver::new(NAME, &self.store.to_string_lossy()).with_runner(self.runner.clone());
        d.set_config_from_flags(&opts).unwrap();
        d
    }

    fn q(&self, file: &str) -> String {
        quote(&self.dir.join(file).to_string_lossy())
    }
}

use crate::mcnflag::FlagValue;

/// The disk commands: New-VHD at `size`, Convert-VHD, and Resize-VHD to `resize` if given.
fn expect_disk(f: &Fixture, size: &str, resize: Option<&str>) {
    let r = &f.runner;
    expect(
        r,
        &[
            "Hyper-V\\New-VHD",
            "-Path",
            &f.q("fixed.vhd"),
            "-SizeBytes",
            size,
            "-Fixed",
        ],
        "",
    );
    expect(
        r,
        &[
            "Hyper-V\\Convert-VHD",
            "-Path",
            &f.q("fixed.vhd"),
            "-DestinationPath",
            &f.q("disk.vhd"),
            "-VHDType",
            "Dynamic",
            "-DeleteSource",
        ],
        "",
    );
    if let Some(size) = resize {
        expect(
            r,
            &[
                "Hyper-V\\Resize-VHD",
                "-Path",
                &f.q("disk.vhd"),
                "-SizeBytes",
                size,
            ],
            "",
        );
    }
}

fn pre_create_start(r: &ScriptedRunner) {
    expect(r, &[MODULE], "Hyper-V\r\n");
    expect(r, &[HYPERV_ADMIN], "True\r\n");
}

#[test]
fn pre_create_takes_the_first_external_switch() {
    let f = Fixture::new();
    pre_create_start(&f.runner);
    expect(
        &f.runner,
        &[EXTERNAL_SWITCHES],
        "External Wireless\r\nOther External\r\n",
    );
    f.driver(&[]).pre_create_check().unwrap();
    f.runner.finish();
}

#[test]
fn pre_create_failures_are_one_line_each() {
    // PowerShell is not installed.
    let f = Fixture::new();
    f.runner.expect(
        POWERSHELL,
        ["-NoProfile", "-NonInteractive", MODULE],
        Answer::Missing,
    );
    let err = f.driver(&[]).pre_create_check().unwrap_err();
    assert_eq!(err.to_string(), "Powershell was not found in the path");
    assert_eq!(
        err.downcast_ref::<PowerShellError>(),
        Some(&PowerShellError::NotFound)
    );

    // PowerShell gone at the administrator check: no second check in another way.
    let f = Fixture::new();
    expect(&f.runner, &[MODULE], "Hyper-V\r\n");
    let mut admin_check = vec!["-NoProfile", "-NonInteractive"];
    admin_check.push(HYPERV_ADMIN);
    f.runner.expect(POWERSHELL, admin_check, Answer::Missing);
    let err = f.driver(&[]).pre_create_check().unwrap_err();
    assert_eq!(
        err.downcast_ref::<PowerShellError>(),
        Some(&PowerShellError::NotFound)
    );
    f.runner.finish();

    // No Hyper-V module (the original crashed on the empty answer).
    let f = Fixture::new();
    expect(&f.runner, &[MODULE], "");
    assert_eq!(
        f.driver(&[]).pre_create_check().unwrap_err().to_string(),
        ERR_NOT_INSTALLED
    );

    // Neither in "Hyper-V Administrators" nor a Windows administrator.
    let f = Fixture::new();
    expect(&f.runner, &[MODULE], "Hyper-V\r\n");
    expect(&f.runner, &[HYPERV_ADMIN], "False\r\n");
    expect(&f.runner, &[WINDOWS_ADMIN], "False\r\n");
    assert_eq!(
        f.driver(&[]).pre_create_check().unwrap_err().to_string(),
        "Hyper-v commands have to be run as an Administrator"
    );

    // A Windows administrator who is not a Hyper-V administrator is enough.
    let f = Fixture::new();
    expect(&f.runner, &[MODULE], "Hyper-V\r\n");
    expect(&f.runner, &[HYPERV_ADMIN], "False\r\n");
    expect(&f.runner, &[WINDOWS_ADMIN], "True\r\n");
    expect(&f.runner, &[EXTERNAL_SWITCHES], "External Wireless\r\n");
    f.driver(&[]).pre_create_check().unwrap();

    // No external switch at all.
    let f = Fixture::new();
    pre_create_start(&f.runner);
    expect(&f.runner, &[EXTERNAL_SWITCHES], "");
    assert_eq!(
        f.driver(&[]).pre_create_check().unwrap_err().to_string(),
        "no External vswitch found. A valid vswitch must be available for this command to run. Check https://docs.docker.com/machine/drivers/hyper-v/"
    );

    // An unknown switch name: the switches there are.
    let f = Fixture::new();
    pre_create_start(&f.runner);
    expect(
        &f.runner,
        &[ALL_SWITCHES],
        "Default Switch\r\nExternal Wireless\r\n",
    );
    let err = f
        .driver(&[(
            "hyperv-virtual-switch",
            FlagValue::String("External Wired".into()),
        )])
        .pre_create_check()
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "vswitch \"External Wired\" not found; the virtual switches are: \"Default Switch\", \"External Wireless\""
    );
}

#[cfg(not(windows))]
#[test]
fn off_windows_the_pre_create_check_says_hyperv_needs_windows() {
    let f = Fixture::new();
    let err = HypervDriver::new(NAME, &f.store.to_string_lossy())
        .pre_create_check()
        .unwrap_err();
    assert_eq!(err.to_string(), ERR_NEEDS_WINDOWS);
    // Nothing was run.
    assert!(f.runner.calls().is_empty());
}

#[test]
fn create_sends_the_originals_commands_and_seeds_the_disk() {
    let f = Fixture::new();
    let d = f.driver(&[
        (
            "hyperv-virtual-switch",
            FlagValue::String("external wireless".into()),
        ),
        ("hyperv-memory", FlagValue::Int(2048)),
        ("hyperv-cpu-count", FlagValue::Int(2)),
        (
            "hyperv-static-macaddress",
            FlagValue::String("00155D010203".into()),
        ),
        ("hyperv-vlan-id", FlagValue::Int(5)),
        ("hyperv-disable-dynamic-memory", FlagValue::Bool(true)),
        ("hyperv-disk-size", FlagValue::Int(30000)),
    ]);
    // What New-VHD would have made: a 10 MB file.
    let fixed = f.dir.join("fixed.vhd");
    std::fs::File::create(&fixed)
        .unwrap()
        .set_len(10 << 20)
        .unwrap();
    let r = &f.runner;
    expect(
        r,
        &[ALL_SWITCHES],
        "Default Switch\r\nExternal Wireless\r\n",
    );
    expect(r, &[WINDOWS_ADMIN], "True\r\n");
    expect_disk(&f, "10MB", Some("30000MB"));
    let dir_q = quote(&f.dir.to_string_lossy());
    expect(
        r,
        &[
            "Hyper-V\\New-VM",
            NAME,
            "-Path",
            &dir_q,
            "-SwitchName",
            "'external wireless'",
            "-MemoryStartupBytes",
            "2048MB",
        ],
        "",
    );
    expect(
        r,
        &[
            "Hyper-V\\Set-VMMemory",
            "-VMName",
            NAME,
            "-DynamicMemoryEnabled",
            "$false",
        ],
        "",
    );
    expect(r, &["Hyper-V\\Set-VMProcessor", NAME, "-Count", "2"], "");
    expect(
        r,
        &[
            "Hyper-V\\Set-VMNetworkAdapter",
            "-VMName",
            NAME,
            "-StaticMacAddress",
            "\"00155D010203\"",
        ],
        "",
    );
    expect(
        r,
        &[
            "Hyper-V\\Set-VMNetworkAdapterVlan",
            "-VMName",
            NAME,
            "-Access",
            "-VlanId",
            "5",
        ],
        "",
    );
    expect(
        r,
        &[
            "Hyper-V\\Set-VMDvdDrive",
            "-VMName",
            NAME,
            "-Path",
            &f.q("boot2docker.iso"),
        ],
        "",
    );
    expect(
        r,
        &[
            "Hyper-V\\Add-VMHardDiskDrive",
            "-VMName",
            NAME,
            "-Path",
            &f.q("disk.vhd"),
        ],
        "",
    );
    expect(r, &["Hyper-V\\Start-VM", NAME], "");
    // No IP yet twice (DHCP still running), then one.
    state(r, "Running\r\n");
    ip(r, "");
    state(r, "Running\r\n");
    ip(r, "\r\n");
    state(r, "Running\r\n");
    ip(r, "172.20.1.5\r\n");

    let mut d = d;
    d.create().unwrap();
    r.finish();
    assert_eq!(d.base.ip_address, "172.20.1.5");
    assert_eq!(
        std::fs::read(f.dir.join("boot2docker.iso")).unwrap(),
        b"boot2docker ISO v1"
    );
    assert_eq!(d.base.ssh_key_path, f.dir.join("id_rsa").to_string_lossy());
    // The seed is at the start of the disk, carrying the machine's public key.
    let disk = std::fs::read(&fixed).unwrap();
    let mut ar = tar::Archive::new(&disk[..]);
    let mut entries = ar.entries().unwrap();
    let first = entries.next().unwrap().unwrap();
    assert_eq!(
        first.path().unwrap().to_string_lossy(),
        boot2docker::seed::FORMAT_ME
    );
    let key = std::fs::read_to_string(f.dir.join("id_rsa.pub")).unwrap();
    let keys = entries
        .map(|e| {
            let mut e = e.unwrap();
            let mut s = String::new();
            std::io::Read::read_to_string(&mut e, &mut s).unwrap();
            s
        })
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>();
    assert_eq!(keys, [key.clone(), key]);
    // config.json: the original's keys in order.
    let json = d.to_json();
    let keys: Vec<&String> = json.as_object().unwrap().keys().skip(9).collect();
    assert_eq!(
        keys,
        [
            "Boot2DockerURL",
            "VSwitch",
            "DiskSize",
            "MemSize",
            "CPU",
            "MacAddr",
            "VLanID",
            "DisableDynamicMemory"
        ]
    );
    assert_eq!(json["SSHUser"], "docker");
    assert_eq!(json["CPU"], 2);
}

#[test]
fn a_hyperv_administrator_gets_the_disk_at_full_size_without_resize() {
    let f = Fixture::new();
    let d = f.driver(&[]);
    std::fs::File::create(f.dir.join("id_rsa.pub")).unwrap();
    std::fs::File::create(f.dir.join("fixed.vhd"))
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    expect(&f.runner, &[WINDOWS_ADMIN], "False\r\n");
    expect_disk(&f, "20000MB", None);
    assert_eq!(d.generate_disk_image().unwrap(), f.dir.join("disk.vhd"));
}

#[test]
fn an_existing_vm_fails_new_vm_with_powershells_words() {
    let f = Fixture::new();
    let mut d = f.driver(&[]);
    std::fs::File::create(f.dir.join("fixed.vhd"))
        .unwrap()
        .set_len(1 << 20)
        .unwrap();
    let r = &f.runner;
    expect(r, &[EXTERNAL_SWITCHES], "External Wireless\r\n");
    expect(r, &[WINDOWS_ADMIN], "True\r\n");
    expect_disk(&f, "10MB", Some("20000MB"));
    expect_fail(
        r,
        &["Hyper-V\\New-VM", NAME, "-Path", &quote(&f.dir.to_string_lossy()), "-SwitchName", "'External Wireless'", "-MemoryStartupBytes", "1024MB"],
        "Hyper-V\\New-VM : Failed to create a new virtual machine.\r\nThe operation cannot be performed because the object is in use: a virtual machine named 'local-docker01' already exists.\r\nAt line:1 char:1\r\n",
    );
    let err = d.create().unwrap_err();
    assert_eq!(
        err.to_string(),
        "Hyper-V\\New-VM failed: Hyper-V\\New-VM : Failed to create a new virtual machine."
    );
    assert!(matches!(
        err.downcast_ref::<PowerShellError>(),
        Some(PowerShellError::Failed { what, .. }) if what == "Hyper-V\\New-VM"
    ));
}

#[test]
fn no_ip_within_the_bound_is_an_error() {
    let f = Fixture::new();
    let mut d = f.driver(&[]).with_ip_timeout(Duration::ZERO);
    expect(&f.runner, &["Hyper-V\\Start-VM", NAME], "");
    state(&f.runner, "Running\r\n");
    ip(&f.runner, "");
    let err = d.start().unwrap_err();
    assert_eq!(
        err.to_string(),
        "Hyper-V reported no IP address for \"local-docker01\" within 0 s: is its virtual switch connected to a network with DHCP?"
    );
}

#[test]
fn states_stop_kill_restart_and_rm() {
    let f = Fixture::new();
    let mut d = f.driver(&[]);
    let r = &f.runner;
    // States.
    for (answer, want) in [
        ("Running\r\n", State::Running),
        ("Off\r\n", State::Stopped),
        ("Saved\r\n", State::None),
        ("", State::None),
    ] {
        state(r, answer);
        assert_eq!(d.state().unwrap(), want, "{answer:?}");
    }
    expect_fail(r, &["(", "Hyper-V\\Get-VM", NAME, ").state"], "Hyper-V\\Get-VM : Hyper-V was unable to find a virtual machine with name \"local-docker01\".");
    assert_eq!(
        format!("{:#}", d.state().unwrap_err()).split(':').next(),
        Some("Failed to find the VM status")
    );
    // A stopped VM has no URL.
    state(r, "Off\r\n");
    assert!(d
        .url()
        .unwrap_err()
        .downcast_ref::<HostNotRunning>()
        .is_some());
    // url and ip.
    state(r, "Running\r\n");
    ip(r, "172.20.1.5\r\n");
    assert_eq!(d.url().unwrap(), "tcp://172.20.1.5:2376");
    // stop waits while it is still running.
    expect(r, &["Hyper-V\\Stop-VM", NAME], "");
    state(r, "Running\r\n");
    state(r, "Off\r\n");
    d.base.ip_address = "172.20.1.5".into();
    d.stop().unwrap();
    assert_eq!(d.base.ip_address, "");
    // kill turns it off.
    expect(r, &["Hyper-V\\Stop-VM", NAME, "-TurnOff"], "");
    state(r, "Off\r\n");
    d.kill().unwrap();
    // restart = stop + start.
    expect(r, &["Hyper-V\\Stop-VM", NAME], "");
    state(r, "Off\r\n");
    expect(r, &["Hyper-V\\Start-VM", NAME], "");
    state(r, "Running\r\n");
    ip(r, "172.20.1.6\r\n");
    d.restart().unwrap();
    assert_eq!(d.base.ip_address, "172.20.1.6");
    // rm of a running VM: turned off, then removed.
    state(r, "Running\r\n");
    expect(r, &["Hyper-V\\Stop-VM", NAME, "-TurnOff"], "");
    state(r, "Off\r\n");
    expect(r, &["Hyper-V\\Remove-VM", NAME, "-Force"], "");
    d.remove().unwrap();
    // rm of a stopped VM: removed only.
    state(r, "Off\r\n");
    expect(r, &["Hyper-V\\Remove-VM", NAME, "-Force"], "");
    d.remove().unwrap();
    r.finish();
}

#[test]
fn stored_config_round_trips() {
    let f = Fixture::new();
    let d = f.driver(&[("hyperv-vlan-id", FlagValue::Int(7))]);
    let json = d.to_json();
    let back = HypervDriver::load_with_runner(json.clone(), f.runner.clone()).unwrap();
    assert_eq!(back.to_json(), json);
    assert_eq!(back.ssh_username(), "docker");
}

/// `upgrade` of a boot2docker machine: stopped, its ISO replaced (from the URL it was
/// created with), started again.
#[test]
fn upgrade_replaces_the_iso_between_stop_and_start() {
    let f = Fixture::new();
    let d = f.driver(&[]);
    std::fs::write(f.dir.join("boot2docker.iso"), b"old ISO").unwrap();
    std::fs::write(&f.iso, b"boot2docker ISO v2").unwrap();
    let r = &f.runner;
    expect(r, &["Hyper-V\\Stop-VM", NAME], "");
    state(r, "Off\r\n");
    state(r, "Off\r\n");
    expect(r, &["Hyper-V\\Start-VM", NAME], "");
    state(r, "Running\r\n");
    ip(r, "172.20.1.7\r\n");
    state(r, "Running\r\n");
    let mut host = crate::Host {
        config_version: crate::host::CONFIG_VERSION,
        driver_name: "hyperv".into(),
        options: Default::default(),
        name: NAME.into(),
        driver: Box::new(d),
        polling: Default::default(),
    };
    let cache = B2dCache::new(&f.store).with_progress(crate::download::Progress::Quiet);
    host.upgrade_boot2docker_iso(&cache).unwrap();
    r.finish();
    assert_eq!(
        std::fs::read(f.dir.join("boot2docker.iso")).unwrap(),
        b"boot2docker ISO v2"
    );
}

/// The boot2docker ISO lines of create are the driver's, `(NAME) ` first, as 0.16.2's
/// driver plugin printed them: here the release API cannot be reached and the cached
/// ISO is copied.
#[test]
fn the_iso_lines_are_said_for_the_machine() {
    let f = Fixture::new();
    let mut d = f.driver(&[]);
    d.own.boot2docker_url = String::new();
    let cache = f.store.join("cache");
    std::fs::create_dir_all(&cache).unwrap();
    std::fs::copy(&f.iso, cache.join("boot2docker.iso")).unwrap();
    let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
    let closed = format!("http://127.0.0.1:{}/releases", closed_port());
    let d = d.with_b2d_cache(
        B2dCache::new(&f.store)
            .with_api_url(&closed)
            .with_lines(lines.clone()),
    );
    d.b2d().copy_iso_to_machine_dir("", &f.dir).unwrap();
    let lines = lines.lock().unwrap().clone();
    let dest = f.dir.join("boot2docker.iso");
    assert!(
        lines.iter().any(|l| l.starts_with(
            "(local-docker01) Unable to get the latest Boot2Docker ISO release version: "
        )),
        "{lines:?}"
    );
    assert_eq!(
        lines.last().unwrap(),
        &format!(
            "(local-docker01) Copying {} to {}...",
            cache.join("boot2docker.iso").display(),
            dest.display()
        )
    );
    assert!(lines.iter().all(|l| l.starts_with("(local-docker01) ")));
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
