//! `powershell.exe -NoProfile -NonInteractive ...` through the command-runner seam, and
//! the checks the original made with it: the Hyper-V module, and whether the user is an
//! administrator or in "Hyper-V Administrators".

use crate::runner::{Cmd, CommandRunner};
use anyhow::{bail, Result};
use std::sync::Arc;

pub const POWERSHELL: &str = "powershell.exe";

pub const ERR_POWERSHELL_NOT_FOUND: &str = "Powershell was not found in the path";
pub const ERR_NOT_ADMINISTRATOR: &str = "Hyper-v commands have to be run as an Administrator";
pub const ERR_NOT_INSTALLED: &str = "Hyper-V PowerShell Module is not available";

/// Why a PowerShell command gave no output to use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PowerShellError {
    #[error("{}", ERR_POWERSHELL_NOT_FOUND)]
    NotFound,
    /// `powershell.exe` could not be started for another reason.
    #[error("running {POWERSHELL}: {0}")]
    Start(String),
    /// The command failed: the cmdlet, and the first line of PowerShell's error.
    #[error("{what} failed: {why}")]
    Failed { what: String, why: String },
}

#[derive(Clone)]
pub struct PowerShell {
    runner: Arc<dyn CommandRunner>,
}

impl PowerShell {
    pub fn new(runner: Arc<dyn CommandRunner>) -> PowerShell {
        PowerShell { runner }
    }

    /// Run `args` as one PowerShell command line; its standard output. A failure is one
    /// line: the cmdlet and the first line of PowerShell's error (the original said only
    /// `exit status 1`).
    pub fn out(&self, args: &[&str]) -> Result<String, PowerShellError> {
        let mut all = vec!["-NoProfile", "-NonInteractive"];
        all.extend_from_slice(args);
        let out = match self.runner.run(&Cmd::new(POWERSHELL, all)) {
            Ok(out) => out,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(PowerShellError::NotFound)
            }
            Err(e) => return Err(PowerShellError::Start(e.to_string())),
        };
        crate::debug!("[stdout =====>] : {}", out.stdout);
        crate::debug!("[stderr =====>] : {}", out.stderr);
        if !out.success() {
            let what = args
                .iter()
                .find(|a| a.starts_with("Hyper-V\\"))
                .copied()
                .unwrap_or("PowerShell");
            let why = out
                .stderr
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| match out.code {
                    Some(c) => format!("exit status {c}"),
                    None => "killed".into(),
                });
            return Err(PowerShellError::Failed {
                what: what.to_string(),
                why,
            });
        }
        Ok(out.stdout)
    }

    pub fn cmd(&self, args: &[&str]) -> Result<(), PowerShellError> {
        self.out(args).map(|_| ())
    }

    /// The Hyper-V PowerShell module is installed.
    pub fn hyperv_available(&self) -> Result<()> {
        let out = self.out(&["@(Get-Module -ListAvailable hyper-v).Name | Get-Unique"])?;
        // The original indexed the first line and crashed on empty output.
        if lines(&out).first().map(String::as_str) != Some("Hyper-V") {
            bail!(ERR_NOT_INSTALLED);
        }
        Ok(())
    }

    /// A member of "Hyper-V Administrators" (S-1-5-32-578) or a Windows administrator.
    pub fn is_administrator(&self) -> Result<bool> {
        let hyperv_admin = self
            .out(&["$sid = New-Object System.Security.Principal.SecurityIdentifier(\"S-1-5-32-578\")\n\t@([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole($sid)"])
            .map(|o| first_is_true(&o));
        match hyperv_admin {
            Ok(true) => Ok(true),
            Err(PowerShellError::NotFound) => Err(PowerShellError::NotFound.into()),
            _ => self.is_windows_administrator(),
        }
    }

    pub fn is_windows_administrator(&self) -> Result<bool> {
        let out = self.out(&["@([Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()).IsInRole([Security.Principal.WindowsBuiltInRole] \"Administrator\")"])?;
        Ok(first_is_true(&out))
    }
}

fn first_is_true(out: &str) -> bool {
    lines(out).first().map(String::as_str) == Some("True")
}

/// Output lines (PowerShell ends them with CRLF).
pub fn lines(out: &str) -> Vec<String> {
    out.lines()
        .map(|l| l.trim_end_matches('\r').to_string())
        .collect()
}

/// A PowerShell single-quoted string. The original did not double an embedded `'`, so a
/// path like `C:\Users\O'Brien` broke its commands.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

pub fn to_mb(value: i64) -> String {
    format!("{value}MB")
}
