//! The virtualbox driver against scripted VirtualBox transcripts. VirtualBox cannot be
//! installed on this machine (it is not in Debian's archive and needs its own kernel
//! module), so a `ScriptedRunner` stands in for `VBoxManage` (and `wmic`/`sysctl`): it
//! expects exactly the commands listed, arguments and quoting included, and answers with
//! output recorded from Linux, macOS and Windows hosts running VirtualBox 5.x, 6.1 and 7.x.
//! The boot2docker guest cannot boot either, so its `ip addr show` is scripted too.

use super::createvm::parse_share_folder;
use super::host::{HostEnv, HostIface, HostOs};
use super::*;
use crate::mcnflag::FlagValue;
use crate::runner::{Answer, Cmd, Output, ScriptedRunner};
use std::io;

const LINUX_VBM: &str = "VBoxManage";
const WINDOWS_VBM: &str = r"C:\Program Files\Oracle\VirtualBox\VBoxManage.exe";

const LINUX_HOSTONLYIFS: &str = "Name:            vboxnet0
GUID:            786f6276-656e-4074-8000-0a0027000000
DHCP:            Disabled
IPAddress:       192.168.56.1
NetworkMask:     255.255.255.0
IPV6Address:     fe80::800:27ff:fe00:0
IPV6NetworkMaskPrefixLength: 64
HardwareAddress: 0a:00:27:00:00:00
MediumType:      Ethernet
Wireless:        No
Status:          Up
VBoxNetworkName: HostInterfaceNetworking-vboxnet0

";

/// VirtualBox 6.1/7.x spelling of `list dhcpservers`, with an orphan server.
const DHCP_61: &str = "NetworkName:    HostInterfaceNetworking-vboxnet0
Dhcpd IP:       192.168.56.100
LowerIPAddress: 192.168.56.101
UpperIPAddress: 192.168.56.254
NetworkMask:    255.255.255.0
Enabled:        Yes
Global Configuration:
    minLeaseTime:     default
    defaultLeaseTime: default
    maxLeaseTime:     default
    Forced options:   None
    Suppressed opts.: None
        1/legacy: 255.255.255.0
Groups:               None
Individual Configs:   None

NetworkName:    HostInterfaceNetworking-vboxnet9
Dhcpd IP:       192.168.60.100
LowerIPAddress: 192.168.60.101
UpperIPAddress: 192.168.60.254
NetworkMask:    255.255.255.0
Enabled:        Yes

";

const WINDOWS_HOSTONLYIFS: &str = "Name:            VirtualBox Host-Only Ethernet Adapter\r
GUID:            a0e7ba8f-2d15-4b8c-9c4f-6b3a1f0e4a11\r
DHCP:            Disabled\r
IPAddress:       192.168.56.1\r
NetworkMask:     255.255.255.0\r
IPV6Address:     fe80::b8d4:2f0c:4c1d:1e2a\r
IPV6NetworkMaskPrefixLength: 64\r
HardwareAddress: 0a:00:27:00:00:0b\r
MediumType:      Ethernet\r
Wireless:        No\r
Status:          Up\r
VBoxNetworkName: HostInterfaceNetworking-VirtualBox Host-Only Ethernet Adapter\r
\r
";

const WINDOWS_NEW_ADAPTER: &str = "Name:            VirtualBox Host-Only Ethernet Adapter #2\r
GUID:            5c1d3e1a-7b2f-4c55-8f0e-2b9a0d6e7f12\r
DHCP:            Disabled\r
IPAddress:       169.254.51.117\r
NetworkMask:     255.255.0.0\r
HardwareAddress: 0a:00:27:00:00:0d\r
MediumType:      Ethernet\r
Wireless:        No\r
Status:          Up\r
VBoxNetworkName: HostInterfaceNetworking-VirtualBox Host-Only Ethernet Adapter #2\r
\r
";

fn vm_info(state: &str, adapter: &str) -> String {
    format!(
        "name=\"vb\"\nostype=\"Linux 2.6 / 3.x / 4.x / 5.x (64-bit)\"\nVMState=\"{state}\"\nVMStateChangeTime=\"2026-11-30T07:00:00.000000000\"\nmemory=1024\ncpus=1\nnatnet1=\"nat\"\nmacaddress1=\"080027E0A1B2\"\ncableconnected1=\"on\"\nnic1=\"nat\"\nhostonlyadapter2=\"{adapter}\"\nmacaddress2=\"0800273C4D5E\"\ncableconnected2=\"on\"\nnic2=\"hostonly\"\n"
    )
}

/// `ip addr show` in a boot2docker guest.
const GUEST_IP_ADDR: &str = "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000
    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
    inet 127.0.0.1/8 scope host lo
2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP group default qlen 1000
    link/ether 08:00:27:e0:a1:b2 brd ff:ff:ff:ff:ff:ff
    inet 10.0.2.15/24 brd 10.0.2.255 scope global eth0
3: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP group default qlen 1000
    link/ether 08:00:27:3c:4d:5e brd ff:ff:ff:ff:ff:ff
    inet 192.168.56.101/24 brd 192.168.56.255 scope global eth1
";

const E_ACCESSDENIED: &str = "VBoxManage: error: Code E_ACCESSDENIED (0x80070005) - Access denied (extended info not available)
VBoxManage: error: Context: \"EnableStaticIPConfig(Bstr(pszIp).raw(), Bstr(pszNetmask).raw())\" at line 242 of file VBoxManageHostonly.cpp
";

/// Lines said and, for each command run, how many lines had been said before it.
struct Recorder {
    inner: Arc<ScriptedRunner>,
    lines: Arc<Mutex<Vec<String>>>,
    marks: Mutex<Vec<(String, usize)>>,
}

impl CommandRunner for Recorder {
    fn run(&self, cmd: &Cmd) -> io::Result<Output> {
        let said = self.lines.lock().unwrap().len();
        self.marks.lock().unwrap().push((cmd.to_string(), said));
        self.inner.run(cmd)
    }
}

struct Fx {
    _tmp: tempfile::TempDir,
    store: PathBuf,
    os: HostOs,
    runner: Arc<ScriptedRunner>,
    recorder: Arc<Recorder>,
    lines: Arc<Mutex<Vec<String>>>,
    share: PathBuf,
    home: PathBuf,
    iso: PathBuf,
}

impl Fx {
    fn new(os: HostOs) -> Fx {
        let tmp = tempfile::tempdir().unwrap();
        // Spaces in the store and share paths, as in C:\Users\John Smith\.docker.
        let store = tmp.path().join("John Smith").join("machine");
        let share = tmp.path().join("C Users");
        let home = tmp.path().join("home");
        for d in [&store, &share, &home.join(".ssh")] {
            std::fs::create_dir_all(d).unwrap();
        }
        let iso = tmp.path().join("b2d.iso");
        std::fs::write(&iso, b"an ISO stands in here").unwrap();
        let runner = ScriptedRunner::new();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let recorder = Arc::new(Recorder {
            inner: runner.clone(),
            lines: lines.clone(),
            marks: Mutex::new(Vec::new()),
        });
        Fx {
            _tmp: tmp,
            store,
            os,
            runner,
            recorder,
            lines,
            share,
            home,
            iso,
        }
    }

    fn program(&self) -> &'static str {
        if self.os == HostOs::Windows {
            WINDOWS_VBM
        } else {
            LINUX_VBM
        }
    }

    fn env(&self) -> HostEnv {
        let (share_name, _) = host::default_share(self.os);
        HostEnv {
            os: self.os,
            vboxmanage: self.program().into(),
            networks_conf: self.store.join("networks.conf"),
            cpuinfo: Some("flags\t\t: fpu vme de pse tsc msr pae mce cx8 apic vmx\n".into()),
            hyperv_installed: false,
            interfaces: Vec::new(),
            share_name: share_name.into(),
            share_dir: self.share.to_string_lossy().into_owned(),
            home: self.home.clone(),
        }
    }

    /// Expect `VBoxManage args` answering `stdout`.
    fn vb(&self, args: &[&str], stdout: &str) -> &Self {
        self.runner.ok(self.program(), args, stdout);
        self
    }

    fn vb_fail(&self, args: &[&str], stderr: &str) -> &Self {
        self.runner
            .expect(self.program(), args, Answer::Ran(Output::fail(1, stderr)));
        self
    }

    fn driver_with(&self, env: HostEnv, set: &[(&str, FlagValue)]) -> VirtualBoxDriver {
        let store = self.store.to_string_lossy().into_owned();
        let mut d = VirtualBoxDriver::new("vb", &store)
            .with_runner(self.recorder.clone())
            .with_host(env)
            .with_b2d_cache(B2dCache::new(&self.store).with_lines(self.lines.clone()))
            .with_lines(self.lines.clone())
            .with_tuning(Tuning {
                poll: Duration::ZERO,
                settle: Duration::ZERO,
                ip_interval: Duration::ZERO,
                ssh_wait: Duration::ZERO,
                retry_delay: Duration::ZERO,
                dhcp_octet: || 7,
                free_port: |_| Ok(50022),
            })
            .with_guest(Arc::new(|target, command| {
                assert_eq!(
                    (target.host.as_str(), target.user.as_str()),
                    ("127.0.0.1", "docker")
                );
                match command {
                    "exit 0" => Ok(String::new()),
                    "ip addr show" => Ok(GUEST_IP_ADDR.into()),
                    other => panic!("unexpected guest command {other}"),
                }
            }));
        let mut opts = crate::drivers::default_options(&create_flags());
        opts.insert(
            "virtualbox-boot2docker-url",
            FlagValue::String(self.iso.to_string_lossy().into_owned()),
        );
        for (k, v) in set {
            opts.insert(k, v.clone());
        }
        d.set_config_from_flags(&opts).unwrap();
        // The store makes the machine directory before the driver creates; VirtualBox
        // writes the VM's log below it when the VM starts.
        let logs = d.base.machine_dir().join("vb").join("Logs");
        std::fs::create_dir_all(&logs).unwrap();
        std::fs::write(
            logs.join("VBox.log"),
            "00:00:00.000 VirtualBox VM 7.0.14\n00:00:01.000 HM: HMR3Init: VT-x w/ nested paging\n",
        )
        .unwrap();
        d
    }

    fn driver(&self, set: &[(&str, FlagValue)]) -> VirtualBoxDriver {
        self.driver_with(self.env(), set)
    }

    fn dir(&self) -> String {
        self.store
            .join("machines")
            .join("vb")
            .to_string_lossy()
            .into_owned()
    }

    fn path(&self, file: &str) -> String {
        self.store
            .join("machines")
            .join("vb")
            .join(file)
            .to_string_lossy()
            .into_owned()
    }

    /// The commands that make the VM, from `convertfromraw` to the share.
    fn expect_create_vm(&self, share: &str) {
        let (raw, vmdk, iso) = (
            self.path("disk.raw"),
            self.path("disk.vmdk"),
            self.path("boot2docker.iso"),
        );
        self.vb(&["convertfromraw", &raw, &vmdk, "--format", "VMDK"], "Converting from raw image file=\"stdin\" to file=\"disk.vmdk\"...\nCreating dynamic image with size 20971520000 bytes (20000MB)...\n")
            .vb(&["createvm", "--basefolder", &self.dir(), "--name", "vb", "--register"], "Virtual machine 'vb' is created and registered.\n")
            .vb(&["modifyvm", "vb", "--firmware", "bios", "--bioslogofadein", "off", "--bioslogofadeout", "off", "--bioslogodisplaytime", "0", "--biosbootmenu", "disabled", "--ostype", "Linux26_64", "--cpus", "1", "--memory", "1024", "--acpi", "on", "--ioapic", "on", "--rtcuseutc", "on", "--natdnshostresolver1", "off", "--natdnsproxy1", "on", "--cpuhotplug", "off", "--pae", "on", "--hpet", "on", "--hwvirtex", "on", "--nestedpaging", "on", "--largepages", "on", "--vtxvpid", "on", "--accelerate3d", "off", "--boot1", "dvd"], "")
            .vb(&["modifyvm", "vb", "--nic1", "nat", "--nictype1", "82540EM", "--cableconnected1", "on"], "")
            .vb(&["storagectl", "vb", "--name", "SATA", "--add", "sata", "--hostiocache", "on"], "")
            .vb(&["storageattach", "vb", "--storagectl", "SATA", "--port", "0", "--device", "0", "--type", "dvddrive", "--medium", &iso], "")
            .vb(&["storageattach", "vb", "--storagectl", "SATA", "--port", "1", "--device", "0", "--type", "hdd", "--medium", &vmdk], "")
            .vb(&["guestproperty", "set", "vb", "/VirtualBox/GuestAdd/SharedFolders/MountPrefix", "/"], "")
            .vb(&["guestproperty", "set", "vb", "/VirtualBox/GuestAdd/SharedFolders/MountDir", "/"], "");
        let dir = self.share.to_string_lossy().into_owned();
        self.vb(
            &[
                "sharedfolder",
                "add",
                "vb",
                "--name",
                share,
                "--hostpath",
                &dir,
                "--automount",
            ],
            "",
        )
        .vb(
            &[
                "setextradata",
                "vb",
                &format!("VBoxInternal2/SharedFoldersEnableSymlinksCreate/{share}"),
                "1",
            ],
            "",
        );
    }

    /// The forward, the start and the wait for the IP.
    fn expect_boot(&self, adapter: &str) {
        self.vb_fail(
            &["modifyvm", "vb", "--natpf1", "delete", "ssh"],
            "VBoxManage: error: Code NS_ERROR_INVALID_ARG (0x80070057) - Invalid argument value\n",
        )
        .vb(
            &["modifyvm", "vb", "--natpf1", "ssh,tcp,127.0.0.1,50022,,22"],
            "",
        )
        .vb(
            &["startvm", "vb", "--type", "headless"],
            "Waiting for VM \"vb\" to power on...\nVM \"vb\" has been successfully started.\n",
        )
        .vb(
            &["showvminfo", "vb", "--machinereadable"],
            &vm_info("running", adapter),
        );
    }

    fn said(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// How many lines had been said when the command whose text starts with `prefix` ran.
    fn said_before(&self, prefix: &str) -> usize {
        let marks = self.recorder.marks.lock().unwrap();
        marks
            .iter()
            .find(|(c, _)| c.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} never ran"))
            .1
    }
}

fn s(v: &str) -> FlagValue {
    FlagValue::String(v.into())
}

#[test]
fn linux_virtualbox_7_creates_with_a_default_cidr_networks_conf_allows() {
    let fx = Fx::new(HostOs::Linux);
    let mut d = fx.driver(&[]);
    // Pre-create check.
    fx.vb(&["--version"], "7.0.14r161095\n")
        .vb(&["list", "hostonlyifs"], LINUX_HOSTONLYIFS);
    d.pre_create_check().unwrap();
    // 192.168.99.1/24 is outside 192.168.56.0/21 (no networks.conf): another is chosen.
    fx.vb(&["list", "hostonlyifs"], LINUX_HOSTONLYIFS);
    fx.expect_create_vm("hosthome");
    let dhcp = "--netname";
    fx.vb(
        &["showvminfo", "vb", "--machinereadable"],
        &vm_info("poweroff", ""),
    )
    .vb(&["list", "hostonlyifs"], LINUX_HOSTONLYIFS)
    .vb(&["list", "dhcpservers"], DHCP_61)
    .vb(&["list", "hostonlyifs"], LINUX_HOSTONLYIFS)
    .vb(
        &[
            "dhcpserver",
            "remove",
            dhcp,
            "HostInterfaceNetworking-vboxnet9",
        ],
        "",
    )
    .vb(&["list", "dhcpservers"], DHCP_61)
    .vb(
        &[
            "dhcpserver",
            "modify",
            dhcp,
            "HostInterfaceNetworking-vboxnet0",
            "--ip",
            "192.168.56.7",
            "--netmask",
            "255.255.255.0",
            "--lowerip",
            "192.168.56.100",
            "--upperip",
            "192.168.56.254",
            "--enable",
        ],
        "",
    )
    .vb(
        &[
            "modifyvm",
            "vb",
            "--nic2",
            "hostonly",
            "--nictype2",
            "82540EM",
            "--nicpromisc2",
            "deny",
            "--hostonlyadapter2",
            "vboxnet0",
            "--cableconnected2",
            "on",
        ],
        "",
    );
    fx.expect_boot("vboxnet0");
    fx.vb(&["list", "hostonlyifs"], LINUX_HOSTONLYIFS);
    d.create().unwrap();
    fx.runner.finish();

    assert_eq!(d.base.ip_address, "192.168.56.101");
    assert_eq!(d.base.ssh_port, 50022);
    assert_eq!(d.ssh_hostname().unwrap(), "127.0.0.1");
    let json = d.to_json();
    assert_eq!(json["HostOnlyCIDR"], "192.168.56.1/24");
    assert_eq!(json["VBoxManager"], serde_json::json!({}));
    assert_eq!(json["DNSProxy"], true);
    let said = fx.said();
    assert!(
        said.contains(&format!("VirtualBox 7.0.14 does not allow the host-only network 192.168.99.1/24 (see {}): using 192.168.56.1/24", fx.store.join("networks.conf").display())),
        "{said:?}"
    );
    let dir = fx.store.join("machines").join("vb");
    assert!(dir.join("id_rsa").is_file() && dir.join("boot2docker.iso").is_file());
    assert!(
        !dir.join("disk.raw").exists(),
        "the raw seed disk is removed"
    );
}

#[test]
fn the_seed_disk_handed_to_convertfromraw_is_sparse_and_starts_with_the_tar() {
    let fx = Fx::new(HostOs::Linux);
    let mut d = fx.driver(&[("virtualbox-disk-size", FlagValue::Int(64))]);
    crate::ssh::keys::generate_key_pair(Path::new(&fx.path("id_rsa"))).unwrap();
    // A runner that looks at the raw disk while VBoxManage would be reading it.
    struct Inspect(Mutex<Option<(u64, Vec<u8>)>>);
    impl CommandRunner for Inspect {
        fn run(&self, cmd: &Cmd) -> io::Result<Output> {
            assert_eq!(cmd.args[0], "convertfromraw");
            let data = std::fs::read(&cmd.args[1])?;
            *self.0.lock().unwrap() = Some((data.len() as u64, data[..1024].to_vec()));
            Ok(Output::ok(""))
        }
    }
    let inspect = Arc::new(Inspect(Mutex::new(None)));
    d.runner = inspect.clone();
    d.create_disk().unwrap();
    let (len, head) = inspect.0.lock().unwrap().take().unwrap();
    assert_eq!(len, 64 << 20);
    let mut ar = tar::Archive::new(&head[..]);
    let first = ar.entries().unwrap().next().unwrap().unwrap();
    assert_eq!(
        first.path().unwrap().to_string_lossy(),
        crate::boot2docker::seed::FORMAT_ME
    );
    drop(d);
}

#[test]
fn windows_virtualbox_6_creates_an_adapter_and_says_so_before_each_prompt() {
    let fx = Fx::new(HostOs::Windows);
    let mut env = fx.env();
    env.hyperv_installed = true;
    let mut d = fx.driver_with(env, &[]);
    fx.vb(&["--version"], "6.1.50r161033\r\n");
    fx.runner
        .ok(
            "wmic",
            ["computersystem", "get", "hypervisorpresent"],
            "HypervisorPresent  \r\r\nFALSE              \r\r\n\r\r\n",
        )
        .ok(
            "wmic",
            ["cpu", "get", "VirtualizationFirmwareEnabled"],
            "VirtualizationFirmwareEnabled  \r\r\nTRUE                           \r\r\n\r\r\n",
        );
    fx.vb(&["list", "hostonlyifs"], WINDOWS_HOSTONLYIFS);
    d.pre_create_check().unwrap();

    let adapter = "VirtualBox Host-Only Ethernet Adapter #2";
    let both = format!("{WINDOWS_HOSTONLYIFS}{WINDOWS_NEW_ADAPTER}");
    let configured = both
        .replace("169.254.51.117", "192.168.99.1")
        .replace("255.255.0.0", "255.255.255.0");
    // Not restricted on Windows: 0.16.2's default CIDR is kept.
    fx.expect_create_vm("c/Users");
    fx.vb(&["showvminfo", "vb", "--machinereadable"], &vm_info("poweroff", ""))
        .vb(&["list", "hostonlyifs"], WINDOWS_HOSTONLYIFS)
        .vb(&["hostonlyif", "create"], &format!("0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%\r\nInterface '{adapter}' was successfully created\r\n"))
        .vb(&["list", "hostonlyifs"], &both)
        .vb(&["hostonlyif", "ipconfig", adapter, "--ip", "192.168.99.1", "--netmask", "255.255.255.0"], "")
        .vb(&["list", "dhcpservers"], "")
        .vb(&["list", "dhcpservers"], "")
        .vb(&["dhcpserver", "add", "--netname", &format!("HostInterfaceNetworking-{adapter}"), "--ip", "192.168.99.7", "--netmask", "255.255.255.0", "--lowerip", "192.168.99.100", "--upperip", "192.168.99.254", "--enable"], "")
        .vb(&["modifyvm", "vb", "--nic2", "hostonly", "--nictype2", "82540EM", "--nicpromisc2", "deny", "--hostonlyadapter2", adapter, "--cableconnected2", "on"], "");
    fx.expect_boot(adapter);
    fx.vb(&["list", "hostonlyifs"], &configured);
    d.create().unwrap();
    fx.runner.finish();

    // The exact command line, quoting the adapter name where it has spaces.
    let calls: Vec<String> = fx.runner.calls().iter().map(|c| c.to_string()).collect();
    assert!(calls.contains(&format!(
        "{WINDOWS_VBM} hostonlyif ipconfig \"VirtualBox Host-Only Ethernet Adapter #2\" --ip 192.168.99.1 --netmask 255.255.255.0"
    )), "{calls:#?}");
    assert!(
        calls.contains(&format!(
            "{WINDOWS_VBM} createvm --basefolder {:?} --name vb --register",
            fx.dir()
        )),
        "{calls:#?}"
    );
    assert_eq!(d.to_json()["HostOnlyCIDR"], "192.168.99.1/24");

    // Each prompt is announced before the command that may raise it.
    let said = fx.said();
    for (notice, command) in [
        (
            "create a network adapter",
            format!("{WINDOWS_VBM} hostonlyif create"),
        ),
        (
            "configure a network adapter",
            format!("{WINDOWS_VBM} hostonlyif ipconfig"),
        ),
        (
            "configure a dhcp server",
            format!("{WINDOWS_VBM} dhcpserver add"),
        ),
    ] {
        let at = said
            .iter()
            .position(|l| l == &format!("Windows might ask for the permission to {notice}. Sometimes, such confirmation window is minimized in the taskbar."))
            .unwrap_or_else(|| panic!("no notice for {notice}: {said:?}"));
        assert!(
            at < fx.said_before(&command),
            "{notice} said after {command}"
        );
    }
    assert!(
        said.contains(&format!("Found a new host-only adapter: {adapter:?}")),
        "{said:?}"
    );
}

#[test]
fn macos_explicit_cidr_is_kept_and_a_refusal_says_what_to_put_in_networks_conf() {
    let fx = Fx::new(HostOs::MacOs);
    let mut d = fx.driver(&[("virtualbox-hostonly-cidr", s("192.168.200.1/24"))]);
    fx.vb(&["--version"], "6.1.30r148432\n");
    fx.runner.ok("sysctl", ["-n", "machdep.cpu.features"], "FPU VME DE PSE TSC MSR PAE MCE CX8 APIC SEP MTRR PGE MCA CMOV PAT PSE36 CLFSH DS ACPI MMX FXSR SSE SSE2 SS HTT TM PBE SSE3 PCLMULQDQ DTES64 MON DSCPL VMX SMX EST\n");
    fx.vb(&["list", "hostonlyifs"], "");
    d.pre_create_check().unwrap();
    fx.expect_create_vm("Users");
    fx.vb(&["showvminfo", "vb", "--machinereadable"], &vm_info("poweroff", ""))
        .vb(&["list", "hostonlyifs"], "")
        .vb(&["hostonlyif", "create"], "0%...10%...20%...30%...40%...50%...60%...70%...80%...90%...100%\nInterface 'vboxnet0' was successfully created\n")
        .vb(&["list", "hostonlyifs"], LINUX_HOSTONLYIFS.replace("192.168.56.1", "0.0.0.0").replace("255.255.255.0", "0.0.0.0").as_str())
        .vb_fail(&["hostonlyif", "ipconfig", "vboxnet0", "--ip", "192.168.200.1", "--netmask", "255.255.255.0"], E_ACCESSDENIED);
    let err = format!("{:#}", d.create().unwrap_err());
    fx.runner.finish();
    let conf = fx.store.join("networks.conf");
    assert_eq!(
        err,
        format!("Error setting up host only network on machine start: VirtualBox refused the host-only network 192.168.200.1/24 (E_ACCESSDENIED): since 6.1.28 it allows only 192.168.56.0/21 (the default without {0}); add the line \"* 192.168.200.0/24\" to {0} or choose a --virtualbox-hostonly-cidr inside the allowed ranges", conf.display())
    );
    assert!(!err.contains('\n'));
    assert_eq!(d.to_json()["HostOnlyCIDR"], "192.168.200.1/24");
}

#[test]
fn networks_conf_is_read_for_the_default_cidr() {
    let fx = Fx::new(HostOs::Linux);
    std::fs::write(fx.store.join("networks.conf"), "* 10.20.0.0/16\n").unwrap();
    let mut d = fx.driver(&[]);
    let mut env = fx.env();
    // 10.20.0.0/24 is taken by a real interface; the next /24 is chosen.
    env.interfaces = vec![HostIface {
        name: "eth0".into(),
        addr: [10, 20, 0, 5].into(),
        prefix: 24,
        up: true,
        loopback: false,
    }];
    d.host = OnceLock::new();
    let _ = d.host.set(env);
    fx.vb(&["--version"], "7.1.4r165100\n")
        .vb(&["list", "hostonlyifs"], "");
    d.choose_cidr().unwrap();
    fx.runner.finish();
    assert_eq!(d.own.host_only_cidr, "10.20.1.1/24");

    // When 0.16.2's default is allowed it stays, and nothing is listed for it.
    std::fs::write(fx.store.join("networks.conf"), "* 192.168.0.0/16\n").unwrap();
    let mut d = fx.driver(&[]);
    fx.vb(&["--version"], "7.1.4r165100\n");
    d.choose_cidr().unwrap();
    fx.runner.finish();
    assert_eq!(d.own.host_only_cidr, "192.168.99.1/24");
}

#[test]
fn linux_5_reuses_one_of_several_adapters_with_the_same_ip() {
    let fx = Fx::new(HostOs::Linux);
    let mut d = fx.driver(&[("virtualbox-hostonly-no-dhcp", FlagValue::Bool(true))]);
    let two = format!(
        "{}{}",
        LINUX_HOSTONLYIFS.replace("192.168.56.1", "192.168.99.1"),
        LINUX_HOSTONLYIFS
            .replace("192.168.56.1", "192.168.99.1")
            .replace("vboxnet0", "vboxnet1")
    );
    fx.vb(&["showvminfo", "vb", "--machinereadable"], &vm_info("poweroff", ""))
        .vb(&["list", "hostonlyifs"], &two)
        .vb(&["list", "dhcpservers"], "")
        .vb(&["list", "dhcpservers"], "NetworkName:    HostInterfaceNetworking-vboxnet0\nIP:             192.168.99.7\nNetworkMask:    255.255.255.0\nlowerIPAddress: 192.168.99.100\nupperIPAddress: 192.168.99.254\nEnabled:        No\n\n")
        .vb(&["modifyvm", "vb", "--nic2", "hostonly", "--nictype2", "82540EM", "--nicpromisc2", "deny", "--hostonlyadapter2", "vboxnet0", "--cableconnected2", "on"], "");
    fx.expect_boot("vboxnet0");
    fx.vb(&["list", "hostonlyifs"], &two);
    // The start of a stored machine: no version check, the state first.
    d.start().unwrap();
    fx.runner.finish();
    assert!(fx.said().contains(&"VirtualBox has several host-only adapters with the IP 192.168.99.1: using \"vboxnet0\" (also: vboxnet1)".to_string()), "{:?}", fx.said());
    assert_eq!(d.base.ip_address, "192.168.56.101");
}

#[test]
fn a_cidr_on_a_host_interface_fails_with_one_line_naming_it() {
    let fx = Fx::new(HostOs::Linux);
    let mut env = fx.env();
    env.interfaces = vec![
        HostIface {
            name: "lo".into(),
            addr: [127, 0, 0, 1].into(),
            prefix: 8,
            up: true,
            loopback: true,
        },
        HostIface {
            name: "enp3s0".into(),
            addr: [192, 168, 99, 20].into(),
            prefix: 24,
            up: true,
            loopback: false,
        },
    ];
    let mut d = fx.driver_with(env, &[]);
    fx.vb(
        &["showvminfo", "vb", "--machinereadable"],
        &vm_info("poweroff", ""),
    )
    .vb(&["list", "hostonlyifs"], LINUX_HOSTONLYIFS);
    let err = format!("{:#}", d.start().unwrap_err());
    fx.runner.finish();
    assert_eq!(err, "Error setting up host only network on machine start: host-only cidr 192.168.99.1/24 conflicts with the network address of host interface enp3s0 (192.168.99.20/24): choose another --virtualbox-hostonly-cidr");
}

#[test]
fn pre_create_check_failures_are_one_line_each() {
    // No VirtualBox at all.
    let fx = Fx::new(HostOs::Linux);
    let d = fx.driver(&[]);
    fx.runner.expect(LINUX_VBM, ["--version"], Answer::Missing);
    assert_eq!(
        d.pre_create_check().unwrap_err().to_string(),
        vbm::NOT_FOUND
    );
    fx.runner.finish();

    // Too old.
    fx.vb(&["--version"], "4.2.16r86992\n");
    assert!(d.pre_create_check().unwrap_err().to_string().starts_with("We support Virtualbox starting with version 5. Your VirtualBox install is \"4.2.16r86992\""));

    // No VT-x on Linux, unless the check is turned off.
    let mut env = fx.env();
    env.cpuinfo = Some("flags\t\t: fpu vme de pse tsc\n".into());
    let d = fx.driver_with(env.clone(), &[]);
    fx.vb(&["--version"], "6.1.50r161033\n");
    assert_eq!(
        d.pre_create_check().unwrap_err().to_string(),
        ERR_MUST_ENABLE_VTX
    );
    let d = fx.driver_with(env, &[("virtualbox-no-vtx-check", FlagValue::Bool(true))]);
    fx.vb(&["--version"], "6.1.50r161033\n")
        .vb(&["list", "hostonlyifs"], "");
    d.pre_create_check().unwrap();
    fx.runner.finish();

    // Hyper-V active on Windows.
    let fx = Fx::new(HostOs::Windows);
    let mut env = fx.env();
    env.hyperv_installed = true;
    let d = fx.driver_with(env, &[]);
    fx.vb(&["--version"], "7.0.14r161095\r\n");
    fx.runner.ok(
        "wmic",
        ["computersystem", "get", "hypervisorpresent"],
        "HypervisorPresent  \r\r\nTRUE               \r\r\n",
    );
    assert_eq!(d.pre_create_check().unwrap_err().to_string(), ERR_HYPERV);
    fx.runner.finish();
}

#[test]
fn states_and_power_actions() {
    let fx = Fx::new(HostOs::Linux);
    let mut d = fx.driver(&[]);
    for (vbox, want) in [
        ("running", State::Running),
        ("paused", State::Paused),
        ("saved", State::Saved),
        ("poweroff", State::Stopped),
        ("aborted", State::Stopped),
        ("starting", State::None),
    ] {
        fx.vb(
            &["showvminfo", "vb", "--machinereadable"],
            &vm_info(vbox, "vboxnet0"),
        );
        assert_eq!(d.state().unwrap(), want, "{vbox}");
    }
    // "The object is not ready" is retried.
    fx.vb_fail(
        &["showvminfo", "vb", "--machinereadable"],
        "VBoxManage: error: The object is not ready\n",
    )
    .vb(
        &["showvminfo", "vb", "--machinereadable"],
        &vm_info("running", "vboxnet0"),
    );
    assert_eq!(d.state().unwrap(), State::Running);
    // VBoxManage may write an error and exit 0.
    fx.vb(&["controlvm", "vb", "poweroff"], "").runner.expect(
        LINUX_VBM,
        ["controlvm", "vb", "poweroff"],
        Answer::Ran(Output {
            code: Some(0),
            stdout: String::new(),
            stderr: "VBoxManage: error: Machine 'vb' is not currently running\n".into(),
        }),
    );
    d.kill().unwrap();
    assert_eq!(d.kill().unwrap_err().to_string(), "VBoxManage controlvm vb poweroff failed:\nVBoxManage: error: Machine 'vb' is not currently running\n");

    // stop: ACPI, then poll until it is off; the IP is forgotten.
    d.base.ip_address = "192.168.99.100".into();
    fx.vb(
        &["showvminfo", "vb", "--machinereadable"],
        &vm_info("paused", "vboxnet0"),
    )
    .vb(&["controlvm", "vb", "resume"], "")
    .vb(&["controlvm", "vb", "acpipowerbutton"], "")
    .vb(
        &["showvminfo", "vb", "--machinereadable"],
        &vm_info("running", "vboxnet0"),
    )
    .vb(
        &["showvminfo", "vb", "--machinereadable"],
        &vm_info("poweroff", "vboxnet0"),
    );
    d.stop().unwrap();
    assert_eq!(d.base.ip_address, "");

    // url needs a running VM; ip asks the guest.
    fx.vb(
        &["showvminfo", "vb", "--machinereadable"],
        &vm_info("poweroff", "vboxnet0"),
    );
    assert!(d.url().unwrap_err().is::<HostNotRunning>());
    fx.vb(
        &["showvminfo", "vb", "--machinereadable"],
        &vm_info("running", "vboxnet0"),
    )
    .vb(
        &["showvminfo", "vb", "--machinereadable"],
        &vm_info("running", "vboxnet0"),
    );
    assert_eq!(d.url().unwrap(), "tcp://192.168.56.101:2376");

    // rm: a running VM is powered off first; a VM VirtualBox does not know is gone.
    fx.vb(
        &["showvminfo", "vb", "--machinereadable"],
        &vm_info("running", "vboxnet0"),
    )
    .vb(&["controlvm", "vb", "poweroff"], "")
    .vb(&["unregistervm", "--delete", "vb"], "");
    d.remove().unwrap();
    fx.vb_fail(&["showvminfo", "vb", "--machinereadable"], "VBoxManage: error: Could not find a registered machine named 'vb'\nVBoxManage: error: Details: code VBOX_E_OBJECT_NOT_FOUND (0x80bb0001), component VirtualBoxWrap, interface IVirtualBox, callee nsISupports\n");
    d.remove().unwrap();
    fx.runner.finish();
}

#[test]
fn a_vm_log_that_says_vtx_is_missing_fails_the_start() {
    let fx = Fx::new(HostOs::Linux);
    let mut d = fx.driver(&[]);
    std::fs::write(
        d.base
            .machine_dir()
            .join("vb")
            .join("Logs")
            .join("VBox.log"),
        "00:00:02.000 Power up failed (vrc=VERR_VMX_NO_VMX, rc=E_FAIL (0X80004005))\n",
    )
    .unwrap();
    fx.vb(
        &["showvminfo", "vb", "--machinereadable"],
        &vm_info("saved", "vboxnet0"),
    )
    .vb_fail(
        &["modifyvm", "vb", "--natpf1", "delete", "ssh"],
        "VBoxManage: error: x\n",
    )
    .vb(
        &["modifyvm", "vb", "--natpf1", "ssh,tcp,127.0.0.1,50022,,22"],
        "",
    )
    .vb(&["startvm", "vb", "--type", "headless"], "");
    assert_eq!(d.start().unwrap_err().to_string(), ERR_MUST_ENABLE_VTX);
    fx.runner.finish();
}

#[test]
fn importing_a_boot2docker_vm_clones_its_disk_settings_and_key() {
    let fx = Fx::new(HostOs::Linux);
    let old_disk = fx.share.join("old b2d disk.vmdk");
    std::fs::write(&old_disk, b"vmdk").unwrap();
    std::fs::write(fx.home.join(".ssh").join("id_boot2docker"), b"KEY").unwrap();
    let mut d = fx.driver(&[
        ("virtualbox-import-boot2docker-vm", s("boot2docker vm")),
        ("virtualbox-no-share", FlagValue::Bool(true)),
    ]);
    let info = format!("name=\"boot2docker vm\"\n\"SATA-1-0\"=\"{}\"\n\"SATA-ImageUUID-1-0\"=\"0c3c8a3e\"\ncpus=2\nmemory=2048\n", old_disk.display());
    fx.vb_fail(
        &["controlvm", "boot2docker vm", "poweroff"],
        "VBoxManage: error: Machine 'boot2docker vm' is not currently running\n",
    )
    .vb(
        &["showvminfo", "boot2docker vm", "--machinereadable"],
        &info,
    )
    .vb(
        &[
            "clonehd",
            &old_disk.to_string_lossy(),
            &fx.path("disk.vmdk"),
        ],
        "",
    )
    .vb(
        &["showvminfo", "boot2docker vm", "--machinereadable"],
        &info,
    );
    d.import_vm(Path::new(&fx.path("id_rsa"))).unwrap();
    fx.runner.finish();
    assert_eq!((d.own.cpu, d.own.memory), (2, 2048));
    assert_eq!(std::fs::read(fx.path("id_rsa")).unwrap(), b"KEY");
    let calls = fx.runner.calls();
    assert_eq!(
        calls[0].to_string(),
        "VBoxManage controlvm \"boot2docker vm\" poweroff"
    );
}

#[test]
fn share_folder_flag_and_json_round_trip() {
    assert_eq!(
        parse_share_folder(r"C:\src:code"),
        (r"C:\src".to_string(), "code".to_string())
    );
    assert_eq!(
        parse_share_folder("/x/y:name"),
        ("/x/y".to_string(), "name".to_string())
    );
    assert_eq!(
        parse_share_folder("noname"),
        (String::new(), "noname".to_string())
    );
    let fx = Fx::new(HostOs::Linux);
    let d = fx.driver(&[("virtualbox-no-dns-proxy", FlagValue::Bool(true))]);
    let json = d.to_json();
    let keys: Vec<&str> = json
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        &keys[9..],
        [
            "VBoxManager",
            "HostInterfaces",
            "CPU",
            "Memory",
            "DiskSize",
            "NatNicType",
            "Boot2DockerURL",
            "Boot2DockerImportVM",
            "HostDNSResolver",
            "HostOnlyCIDR",
            "HostOnlyNicType",
            "HostOnlyPromiscMode",
            "UIType",
            "HostOnlyNoDHCP",
            "NoShare",
            "DNSProxy",
            "NoVTXCheck",
            "ShareFolder"
        ]
    );
    assert_eq!(json["DNSProxy"], false);
    // As in 0.16.2, boot2docker's engine does not come from an install script.
    let mut opts = DriverOptions::new();
    opts.insert(
        "engine-install-url",
        s("https://example.invalid/install.sh"),
    );
    let mut other = VirtualBoxDriver::new("vb", "/s");
    assert_eq!(
        other.set_config_from_flags(&opts).unwrap_err().to_string(),
        "--engine-install-url cannot be used with the virtualbox driver, use --virtualbox-boot2docker-url instead"
    );
    let back = VirtualBoxDriver::from_json(json.clone()).unwrap();
    assert_eq!(back.to_json(), json);
    drop(fx);
}

#[test]
fn share_folder_flag_replaces_the_home_share_and_no_share_skips_it() {
    let fx = Fx::new(HostOs::Linux);
    let spec = format!("{}:my share", fx.share.display());
    let d = fx.driver(&[("virtualbox-share-folder", s(&spec))]);
    let dir = fx.share.to_string_lossy().into_owned();
    fx.vb(
        &[
            "sharedfolder",
            "add",
            "vb",
            "--name",
            "my share",
            "--hostpath",
            &dir,
            "--automount",
        ],
        "",
    )
    .vb(
        &[
            "setextradata",
            "vb",
            "VBoxInternal2/SharedFoldersEnableSymlinksCreate/my share",
            "1",
        ],
        "",
    );
    d.share_folder().unwrap();
    fx.runner.finish();
    assert_eq!(
        fx.runner.calls()[0].to_string(),
        format!(
            "VBoxManage sharedfolder add vb --name \"my share\" --hostpath {dir:?} --automount"
        )
    );
    // --virtualbox-no-share, or a share directory that does not exist: no command.
    fx.driver(&[("virtualbox-no-share", FlagValue::Bool(true))])
        .share_folder()
        .unwrap();
    let mut env = fx.env();
    env.share_dir = fx.store.join("nowhere").to_string_lossy().into_owned();
    fx.driver_with(env, &[]).share_folder().unwrap();
    assert_eq!(fx.runner.calls().len(), 2);
}

#[test]
fn windows_adapter_that_loses_its_address_during_the_start_is_fixed_with_the_vm_off() {
    let fx = Fx::new(HostOs::Windows);
    let mut d = fx.driver(&[]);
    let adapter = "VirtualBox Host-Only Ethernet Adapter";
    let good = WINDOWS_HOSTONLYIFS.replace("192.168.56.1", "192.168.99.1");
    let lost = WINDOWS_HOSTONLYIFS.replace("192.168.56.1", "169.254.12.3");
    fx.vb(
        &["showvminfo", "vb", "--machinereadable"],
        &vm_info("poweroff", adapter),
    )
    .vb(&["list", "hostonlyifs"], &good)
    .vb(&["list", "dhcpservers"], "")
    .vb(&["list", "dhcpservers"], "")
    .vb(
        &[
            "dhcpserver",
            "add",
            "--netname",
            &format!("HostInterfaceNetworking-{adapter}"),
            "--ip",
            "192.168.99.7",
            "--netmask",
            "255.255.255.0",
            "--lowerip",
            "192.168.99.100",
            "--upperip",
            "192.168.99.254",
            "--enable",
        ],
        "",
    )
    .vb(
        &[
            "modifyvm",
            "vb",
            "--nic2",
            "hostonly",
            "--nictype2",
            "82540EM",
            "--nicpromisc2",
            "deny",
            "--hostonlyadapter2",
            adapter,
            "--cableconnected2",
            "on",
        ],
        "",
    );
    fx.expect_boot(adapter);
    fx.vb(&["list", "hostonlyifs"], &lost)
        .vb(
            &["showvminfo", "vb", "--machinereadable"],
            &vm_info("running", adapter),
        )
        .vb(&["controlvm", "vb", "acpipowerbutton"], "")
        .vb(
            &["showvminfo", "vb", "--machinereadable"],
            &vm_info("poweroff", adapter),
        )
        .vb(
            &[
                "hostonlyif",
                "ipconfig",
                adapter,
                "--ip",
                "192.168.99.1",
                "--netmask",
                "255.255.255.0",
            ],
            "",
        )
        .vb(&["startvm", "vb", "--type", "headless"], "")
        .vb(
            &["showvminfo", "vb", "--machinereadable"],
            &vm_info("running", adapter),
        );
    d.start().unwrap();
    fx.runner.finish();
    assert!(fx.said().contains(&"The host-only adapter is corrupted. Let's stop the VM, fix the host-only adapter and restart the VM".to_string()));
    assert_eq!(d.base.ip_address, "192.168.56.101");
}
