//! Which provisioner fits a machine: `/etc/os-release` parsed and mapped to a family.
//!
//! The original walked a Go map of provisioners (random order) and looked at `ID_LIKE` only
//! for SUSE and Arch (bug 8 in docs/original-bugs.md). Here the order is fixed: first `ID`,
//! then each word of `ID_LIKE` in the order the file lists them, so derivatives are
//! recognised (Linux Mint and Pop!_OS as Ubuntu, Raspbian as Debian, Rocky and Alma Linux
//! as Red Hat, Manjaro as Arch, openSUSE as SUSE).

use std::fmt;

/// The fields of `/etc/os-release` that provisioning looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OsRelease {
    pub id: String,
    /// `ID_LIKE`, split on whitespace, in file order.
    pub id_like: Vec<String>,
    pub version_id: String,
    pub pretty_name: String,
}

impl OsRelease {
    /// Parse the file's text as os-release(5) describes it: `KEY=value` lines, values
    /// optionally in single or double quotes (double quotes with backslash escapes),
    /// `#` comments. Unlike the original, a value containing `=` (a URL with a query) is
    /// kept, not skipped with a warning.
    pub fn parse(text: &str) -> OsRelease {
        let mut os = OsRelease::default();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let value = unquote(value.trim());
            match key.trim() {
                "ID" => os.id = value,
                "ID_LIKE" => os.id_like = value.split_whitespace().map(str::to_string).collect(),
                "VERSION_ID" => os.version_id = value,
                "PRETTY_NAME" => os.pretty_name = value,
                _ => {}
            }
        }
        os
    }
}

fn unquote(v: &str) -> String {
    let quoted = |q: char| v.len() >= 2 && v.starts_with(q) && v.ends_with(q);
    if quoted('\'') {
        return v[1..v.len() - 1].to_string();
    }
    if !quoted('"') {
        return v.to_string();
    }
    let mut out = String::new();
    let mut chars = v[1..v.len() - 1].chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(e @ ('\\' | '"' | '$' | '`')) => out.push(e),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A provisioner family. [`Family::name`] is the word of `Provisioning with X...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// Ubuntu 15.04 and later, and Ubuntu derivatives (`ID_LIKE` ubuntu). Verified.
    UbuntuSystemd,
    /// Ubuntu before 15.04: recognised, but no longer provisioned (no Docker packages
    /// exist for it any more).
    UbuntuUpstart,
    /// Debian and Debian derivatives. Verified on the test bed (Debian 12).
    Debian,
    RedHat,
    CentOs,
    Fedora,
    OracleLinux,
    Arch,
    Suse,
    Alpine,
    /// boot2docker (the ISO the VM drivers boot): Docker is already there, configured
    /// through `/var/lib/boot2docker/profile` and restarted by its init script.
    Boot2Docker,
}

impl Family {
    pub fn name(self) -> &'static str {
        match self {
            Family::UbuntuSystemd => "ubuntu(systemd)",
            Family::UbuntuUpstart => "ubuntu(upstart)",
            Family::Debian => "debian",
            Family::RedHat => "redhat",
            Family::CentOs => "centos",
            Family::Fedora => "fedora",
            Family::OracleLinux => "ol",
            Family::Arch => "arch",
            Family::Suse => "SUSE",
            Family::Alpine => "alpine",
            Family::Boot2Docker => "boot2docker",
        }
    }

    /// Whether this family's provisioning has been run end to end against a real machine
    /// by this project (Debian 12 in a QEMU VM; Ubuntu shares every command with Debian).
    /// The others are written against their package managers' documented behaviour but
    /// have not been run here.
    pub fn verified(self) -> bool {
        matches!(self, Family::Debian | Family::UbuntuSystemd)
    }
}

impl fmt::Display for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// No provisioner fits (the original's words).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("OS type not recognized")]
pub struct NotRecognized;

/// The family for an os-release: `ID` first, then the words of `ID_LIKE` in order.
pub fn detect_family(os: &OsRelease) -> Result<Family, NotRecognized> {
    if let Some(f) = family_for_id(&os.id, Some(&os.version_id)) {
        return Ok(f);
    }
    os.id_like
        .iter()
        .find_map(|like| family_for_id(like, None))
        .ok_or(NotRecognized)
}

/// `version` is the os-release VERSION_ID when `id` is the machine's own ID; a derivative
/// recognised through ID_LIKE has its own numbering, so no version test applies.
fn family_for_id(id: &str, version: Option<&str>) -> Option<Family> {
    Some(match id.to_ascii_lowercase().as_str() {
        "ubuntu" => match version {
            Some(v) if ubuntu_before_15_04(v) => Family::UbuntuUpstart,
            _ => Family::UbuntuSystemd,
        },
        "debian" => Family::Debian,
        "rhel" => Family::RedHat,
        "centos" => Family::CentOs,
        "fedora" => Family::Fedora,
        "ol" => Family::OracleLinux,
        "arch" => Family::Arch,
        "suse"
        | "opensuse"
        | "opensuse-leap"
        | "opensuse-tumbleweed"
        | "sles"
        | "sled"
        | "sles_sap" => Family::Suse,
        "alpine" => Family::Alpine,
        "boot2docker" => Family::Boot2Docker,
        _ => return None,
    })
}

/// VERSION_ID `14.04` and the like; an unparsable version counts as recent.
fn ubuntu_before_15_04(version: &str) -> bool {
    let mut parts = version.split('.').map(|p| p.parse::<u32>());
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor) < (15, 4),
        (Some(Ok(major)), None) => major < 15,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        let os = OsRelease::parse(
            "NAME=\"Debian GNU/Linux\"\nID=debian\nVERSION_ID='12'\nPRETTY_NAME=\"a \\\"b\\\" \\$c\"\nHOME_URL=\"https://x/?a=b\"\n# ID=fedora\n",
        );
        assert_eq!(os.id, "debian");
        assert_eq!(os.version_id, "12");
        assert_eq!(os.pretty_name, "a \"b\" $c");
    }

    #[test]
    fn ubuntu_versions() {
        assert!(ubuntu_before_15_04("14.04"));
        assert!(ubuntu_before_15_04("14.10"));
        assert!(!ubuntu_before_15_04("15.04"));
        assert!(!ubuntu_before_15_04("24.04"));
        assert!(!ubuntu_before_15_04("devel"));
    }
}
