//! Package managers and init systems: the remote command lines per family.
//!
//! apt (Debian, Ubuntu) is verified on the test bed. yum/dnf, zypper, pacman and apk are
//! written against their documented command lines and are **not verified here**.

use super::os::Family;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackageManager {
    Apt,
    /// dnf when present, else yum.
    Yum,
    Zypper,
    Pacman,
    Apk,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Init {
    Systemd,
    OpenRc,
    /// boot2docker's `/etc/init.d/docker`, which reads `/var/lib/boot2docker/profile`.
    Boot2Docker,
}

/// apt waits this long for the dpkg lock by itself (apt >= 1.9.11; older apt ignores the
/// option and the retry loop on lock messages takes over).
const APT_LOCK_TIMEOUT_S: u32 = 300;

impl PackageManager {
    /// The family's package manager; boot2docker has none (Docker comes with the ISO).
    pub fn of(family: Family) -> Option<PackageManager> {
        Some(match family {
            Family::UbuntuSystemd | Family::UbuntuUpstart | Family::Debian => PackageManager::Apt,
            Family::RedHat | Family::CentOs | Family::Fedora | Family::OracleLinux => {
                PackageManager::Yum
            }
            Family::Suse => PackageManager::Zypper,
            Family::Arch => PackageManager::Pacman,
            Family::Alpine => PackageManager::Apk,
            Family::Boot2Docker => return None,
        })
    }

    /// Refresh the package index, when the manager has a separate step for it.
    /// Messages are forced to English (`LC_ALL=C`) so lock detection works in any locale.
    pub fn update_index(self) -> Option<String> {
        Some(match self {
            PackageManager::Apt => format!(
                "sudo env LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout={APT_LOCK_TIMEOUT_S} update"
            ),
            PackageManager::Zypper => {
                "sudo env LC_ALL=C ZYPP_LOCK_TIMEOUT=300 zypper -n --gpg-auto-import-keys refresh"
                    .into()
            }
            PackageManager::Apk => "sudo apk --wait 300 update".into(),
            PackageManager::Yum | PackageManager::Pacman => return None,
        })
    }

    /// Install packages (no recommends with apt: docker.io's recommendations pull in git,
    /// needrestart and more; what Docker needs is listed explicitly).
    pub fn install(self, packages: &[&str]) -> String {
        let pkgs = packages.join(" ");
        match self {
            PackageManager::Apt => format!(
                "sudo env LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout={APT_LOCK_TIMEOUT_S} install -y --no-install-recommends {pkgs}"
            ),
            PackageManager::Yum => format!(
                "if command -v dnf >/dev/null 2>&1; then sudo env LC_ALL=C dnf install -y {pkgs}; else sudo env LC_ALL=C yum install -y {pkgs}; fi"
            ),
            PackageManager::Zypper => {
                format!("sudo env LC_ALL=C ZYPP_LOCK_TIMEOUT=300 zypper -n install {pkgs}")
            }
            PackageManager::Pacman => {
                format!("sudo env LC_ALL=C pacman -Sy --noconfirm --needed {pkgs}")
            }
            PackageManager::Apk => format!("sudo apk --wait 300 add {pkgs}"),
        }
    }

    /// Upgrade installed packages only.
    pub fn upgrade(self, packages: &[String]) -> String {
        let pkgs = packages.join(" ");
        match self {
            PackageManager::Apt => format!(
                "sudo env LC_ALL=C DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout={APT_LOCK_TIMEOUT_S} install -y --only-upgrade {pkgs}"
            ),
            PackageManager::Yum => format!(
                "if command -v dnf >/dev/null 2>&1; then sudo env LC_ALL=C dnf upgrade -y {pkgs}; else sudo env LC_ALL=C yum upgrade -y {pkgs}; fi"
            ),
            PackageManager::Zypper => {
                format!("sudo env LC_ALL=C ZYPP_LOCK_TIMEOUT=300 zypper -n update {pkgs}")
            }
            PackageManager::Pacman => format!("sudo env LC_ALL=C pacman -Sy --noconfirm {pkgs}"),
            PackageManager::Apk => format!("sudo apk --wait 300 upgrade {pkgs}"),
        }
    }

    /// A command printing the names of the installed packages among `candidates`, one a
    /// line (other output is filtered by [`PackageManager::parse_installed`]).
    pub fn query_installed(self, candidates: &[&str]) -> String {
        let c = candidates.join(" ");
        match self {
            PackageManager::Apt => {
                format!("dpkg-query -W -f='${{Package}} ${{Status}}\\n' {c} 2>/dev/null; true")
            }
            PackageManager::Yum | PackageManager::Zypper => {
                format!("rpm -q --qf '%{{NAME}} installed\\n' {c} 2>/dev/null; true")
            }
            PackageManager::Pacman => format!("pacman -Q {c} 2>/dev/null; true"),
            PackageManager::Apk => format!("apk info -e {c} 2>/dev/null; true"),
        }
    }

    pub fn parse_installed(self, output: &str, candidates: &[&str]) -> Vec<String> {
        output
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let name = words.next()?;
                let ok = match self {
                    PackageManager::Apt => line.ends_with("install ok installed"),
                    PackageManager::Yum | PackageManager::Zypper => line.ends_with(" installed"),
                    PackageManager::Pacman | PackageManager::Apk => true,
                };
                (ok && candidates.contains(&name)).then(|| name.to_string())
            })
            .collect()
    }

    /// Whether a failed command's output says the package database was locked by another
    /// process (cloud-init, unattended-upgrades, PackageKit): worth retrying.
    pub fn is_lock_error(self, output: &str) -> bool {
        const MARKERS: &[&str] = &[
            "Could not get lock",
            "Unable to lock",
            "Unable to acquire the dpkg frontend lock",
            "is another process using it",
            "System management is locked",
            "unable to lock database",
            "Another app is currently holding the yum lock",
        ];
        MARKERS.iter().any(|m| output.contains(m))
    }

    /// The distribution's own Docker packages, used when the install script cannot be
    /// downloaded on the machine. Debian's docker.io only recommends apparmor, without
    /// which containers fail to start on AppArmor-enabled kernels.
    pub fn docker_packages(self, family: Family) -> &'static [&'static str] {
        match (self, family) {
            (PackageManager::Apt, _) => &["docker.io", "apparmor", "ca-certificates"],
            (PackageManager::Yum, Family::Fedora) => &["moby-engine"],
            (PackageManager::Yum, Family::OracleLinux) => &["docker-engine"],
            (PackageManager::Yum, _) => &["docker"],
            (PackageManager::Zypper, _) => &["docker"],
            (PackageManager::Pacman, _) => &["docker"],
            (PackageManager::Apk, _) => &["docker"],
        }
    }
}

/// Package names Docker may be installed under (install script, distribution, legacy).
pub const DOCKER_PACKAGE_CANDIDATES: &[&str] = &[
    "docker-ce",
    "docker-ce-cli",
    "containerd.io",
    "docker.io",
    "docker-engine",
    "docker",
    "moby-engine",
];

impl Init {
    pub fn of(family: Family) -> Init {
        match family {
            Family::Alpine => Init::OpenRc,
            Family::Boot2Docker => Init::Boot2Docker,
            _ => Init::Systemd,
        }
    }

    /// `action` is start, stop, restart.
    pub fn service(self, action: &str) -> String {
        match self {
            Init::Systemd => format!("sudo systemctl -f {action} docker"),
            Init::OpenRc => format!("sudo rc-service docker {action}"),
            Init::Boot2Docker => format!("sudo /etc/init.d/docker {action}"),
        }
    }

    /// Start the daemon at boot (boot2docker always does).
    pub fn enable(self) -> Option<&'static str> {
        match self {
            Init::Systemd => Some("sudo systemctl -f enable docker"),
            Init::OpenRc => Some("sudo rc-update add docker default"),
            Init::Boot2Docker => None,
        }
    }

    pub fn daemon_reload(self) -> Option<&'static str> {
        match self {
            Init::Systemd => Some("sudo systemctl daemon-reload"),
            Init::OpenRc | Init::Boot2Docker => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_parsing() {
        let out = "docker.io install ok installed\ndocker-ce unknown ok not-installed\n";
        assert_eq!(
            PackageManager::Apt.parse_installed(out, DOCKER_PACKAGE_CANDIDATES),
            ["docker.io"]
        );
        let out = "package docker-ce is not installed\ndocker installed\n";
        assert_eq!(
            PackageManager::Yum.parse_installed(out, DOCKER_PACKAGE_CANDIDATES),
            ["docker"]
        );
    }

    #[test]
    fn lock_messages() {
        let apt = "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 1234 (apt-get)";
        assert!(PackageManager::Apt.is_lock_error(apt));
        assert!(!PackageManager::Apt.is_lock_error("E: Unable to locate package foo"));
    }
}
