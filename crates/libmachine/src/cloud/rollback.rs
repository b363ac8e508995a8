//! What a failed create removed of what it made, told the same way by every cloud driver.

use std::fmt::Display;

/// Collects, while a failed create removes what it made, what went and what could not.
#[derive(Debug, Default)]
pub struct Rollback {
    removed: Vec<String>,
    failed: Vec<String>,
}

impl Rollback {
    /// The outcome of removing `what`: `Ok(true)` removed, `Ok(false)` already gone.
    pub fn note(&mut self, what: impl Display, outcome: anyhow::Result<bool>) {
        match outcome {
            Ok(true) => self.removed.push(what.to_string()),
            Ok(false) => {}
            Err(e) => self.failed.push(format!("{what}: {e:#}")),
        }
    }

    /// Says what was removed and what is left to delete by hand, each on one
    /// `(MACHINE) ...` line; true when nothing that was made is left.
    pub fn report(self, machine: &str) -> bool {
        if !self.removed.is_empty() {
            crate::log::info(&format!(
                "({machine}) Create failed; removed what it made: {}",
                self.removed.join(", ")
            ));
        }
        if !self.failed.is_empty() {
            crate::log::error(&format!(
                "({machine}) Could not remove, delete by hand: {}",
                self.failed.join("; ")
            ));
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_failure_leaves_something_made() {
        let mut clean = Rollback::default();
        clean.note("instance i-1", Ok(true));
        clean.note("security group sg-1", Ok(false));
        assert_eq!(clean.removed, ["instance i-1"]);
        assert!(clean.report("m"));

        let mut partial = Rollback::default();
        partial.note("droplet 7", Ok(true));
        partial.note("SSH key 9", Err(anyhow::anyhow!("forbidden")));
        assert_eq!(partial.failed, ["SSH key 9: forbidden"]);
        assert!(!partial.report("m"));
    }
}
