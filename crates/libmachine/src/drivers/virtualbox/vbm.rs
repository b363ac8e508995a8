//! `VBoxManage` through the command-runner seam, as 0.16.2 ran it: a run that wrote
//! `error:` fails even with exit status 0 (VBoxManage sometimes does that), "The object is
//! not ready" is retried, and the version check. Also the parsers of its `Key: value` and
//! `key="value"` listings.

use crate::runner::{Cmd, CommandRunner};
use anyhow::{anyhow, bail, Result};
use std::sync::Arc;
use std::time::Duration;

pub const NOT_FOUND: &str =
    "VBoxManage not found. Make sure VirtualBox is installed and VBoxManage is in the path";
const OBJECT_NOT_READY: &str = "error: The object is not ready";
const RETRIES: usize = 5;

/// What a run left; `error` is set when it failed.
#[derive(Debug, Clone, Default)]
pub struct Ran {
    pub stdout: String,
    pub stderr: String,
    pub error: Option<String>,
}

#[derive(Clone)]
pub struct Vbm {
    pub program: String,
    pub runner: Arc<dyn CommandRunner>,
    pub retry_delay: Duration,
}

impl Vbm {
    /// Run `VBoxManage args...`; `Err` only when it cannot be started at all.
    pub fn call<S: AsRef<str>>(&self, args: &[S]) -> Result<Ran> {
        let args: Vec<&str> = args.iter().map(AsRef::as_ref).collect();
        let cmd = Cmd::new(&self.program, &args);
        let mut tries = 0;
        loop {
            tries += 1;
            let out = match self.runner.run(&cmd) {
                Ok(out) => out,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(NOT_FOUND),
                Err(e) => bail!("{}: {e}", self.program),
            };
            if tries < RETRIES && out.stderr.contains(OBJECT_NOT_READY) {
                std::thread::sleep(self.retry_delay);
                continue;
            }
            let error = if out.stderr.contains("error:") {
                Some(format!(
                    "{} {} failed:\n{}",
                    self.program,
                    args.join(" "),
                    out.stderr
                ))
            } else if !out.success() {
                Some(match out.code {
                    Some(c) => format!("exit status {c}"),
                    None => "signal: killed".to_string(),
                })
            } else {
                None
            };
            return Ok(Ran {
                stdout: out.stdout,
                stderr: out.stderr,
                error,
            });
        }
    }

    /// Standard output of a successful run.
    pub fn out<S: AsRef<str>>(&self, args: &[S]) -> Result<String> {
        let ran = self.call(args)?;
        match ran.error {
            Some(e) => Err(anyhow!(e)),
            None => Ok(ran.stdout),
        }
    }

    pub fn run<S: AsRef<str>>(&self, args: &[S]) -> Result<()> {
        self.out(args).map(|_| ())
    }
}

/// `major.minor.patch` of `VBoxManage --version` (`7.0.14r161095`, `6.1.50_Ubuntur161033`).
/// The version is its last line: with the Linux kernel module missing, warnings come first.
pub fn parse_version(output: &str) -> Option<(u32, u32, u32)> {
    let line = output.lines().map(str::trim).rfind(|l| !l.is_empty())?;
    let mut parts = line.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = parts
        .next()
        .map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
        })
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    Some((major, minor, patch))
}

/// 0.16.2's check: 4.3 and later work, before 5 with a warning (returned).
pub fn check_version(output: &str) -> Result<((u32, u32, u32), Option<String>)> {
    let shown = output.trim();
    match parse_version(output) {
        Some(v) if v.0 > 4 || (v.0 == 4 && v.1 > 2) => {
            let warn = (v.0 < 5).then(|| format!("You are using version {shown} of VirtualBox. If you encounter issues, you might want to upgrade to version 5 at https://www.virtualbox.org"));
            Ok((v, warn))
        }
        _ => bail!(
            "We support Virtualbox starting with version 5. Your VirtualBox install is {}. Please upgrade at https://www.virtualbox.org",
            crate::shell::go_quote(&crate::log::one_line(shown))
        ),
    }
}

/// `Key:   value` lines (`list hostonlyifs`, `list dhcpservers`), keys trimmed.
pub fn colon_pairs(text: &str) -> impl Iterator<Item = (&str, &str)> {
    // Go's `(.+):\s+(.*)`: the key runs to the last colon followed by white space.
    text.lines().filter_map(|l| {
        let (idx, _) = l
            .char_indices()
            .rev()
            .find(|(i, c)| *c == ':' && l[i + 1..].starts_with(char::is_whitespace))?;
        (idx > 0).then(|| (l[..idx].trim(), l[idx + 1..].trim()))
    })
}

/// `key="value"` / `"key"="value"` / `key=value` lines of `showvminfo --machinereadable`.
pub fn machine_readable(text: &str) -> impl Iterator<Item = (String, String)> + '_ {
    text.lines().filter_map(|l| {
        let (k, v) = l.split_once('=')?;
        let unq = |s: &str| {
            let s = s.trim();
            s.strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(s)
                .to_string()
        };
        Some((unq(k), unq(v)))
    })
}

/// One value of a `showvminfo --machinereadable` listing.
pub fn info_value(text: &str, key: &str) -> Option<String> {
    machine_readable(text)
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_of_5_6_and_7_and_distribution_builds_parse() {
        assert_eq!(parse_version("5.2.44r139111\n"), Some((5, 2, 44)));
        assert_eq!(parse_version("6.1.50_Ubuntur161033\n"), Some((6, 1, 50)));
        assert_eq!(parse_version("7.0.14r161095\n"), Some((7, 0, 14)));
        let warned = "WARNING: The vboxdrv kernel module is not loaded. Either there is no module\n         available for the current kernel or it failed to load.\n\n7.1.4r165100\n";
        assert_eq!(parse_version(warned), Some((7, 1, 4)));
        assert!(check_version("4.3.40r1\n").unwrap().1.is_some());
        assert!(check_version("6.1.0r1\n").unwrap().1.is_none());
        assert_eq!(
            check_version("4.2.0\n").unwrap_err().to_string(),
            "We support Virtualbox starting with version 5. Your VirtualBox install is \"4.2.0\". Please upgrade at https://www.virtualbox.org"
        );
    }

    #[test]
    fn listings_parse_like_the_originals_regexps() {
        let pairs: Vec<_> = colon_pairs("Name:            VirtualBox Host-Only Ethernet Adapter #2\nHardwareAddress: 0a:00:27:00:00:0d\nNo colon here\n").collect();
        assert_eq!(
            pairs,
            [
                ("Name", "VirtualBox Host-Only Ethernet Adapter #2"),
                ("HardwareAddress", "0a:00:27:00:00:0d")
            ]
        );
        let info = "name=\"my vm\"\n\"SATA-1-0\"=\"/a b/disk.vmdk\"\ncpus=2\nVMState=\"running\"\n";
        assert_eq!(
            info_value(info, "SATA-1-0").as_deref(),
            Some("/a b/disk.vmdk")
        );
        assert_eq!(info_value(info, "cpus").as_deref(), Some("2"));
        assert_eq!(info_value(info, "VMState").as_deref(), Some("running"));
    }
}
