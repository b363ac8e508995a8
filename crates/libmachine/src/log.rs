//! The original's log conventions: plain lines, no prefix. Info and Warn go to stdout,
//! Error and Debug to stderr. `env` and `config` move Info/Warn to stderr so that their
//! stdout stays safe to `eval`.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static DEBUG: AtomicBool = AtomicBool::new(false);
static INFO_TO_STDERR: AtomicBool = AtomicBool::new(false);

pub fn set_debug(on: bool) {
    DEBUG.store(on, Ordering::Relaxed);
}

pub fn debug_enabled() -> bool {
    DEBUG.load(Ordering::Relaxed)
}

/// Send Info and Warn lines to stderr (used by commands whose stdout is evaluated).
pub fn set_info_to_stderr(on: bool) {
    INFO_TO_STDERR.store(on, Ordering::Relaxed);
}

pub fn info(msg: &str) {
    if INFO_TO_STDERR.load(Ordering::Relaxed) {
        line_to(std::io::stderr().lock(), msg);
    } else {
        line_to(std::io::stdout().lock(), msg);
    }
}

pub fn warn(msg: &str) {
    info(msg)
}

pub fn error(msg: &str) {
    line_to(std::io::stderr().lock(), msg);
}

pub fn debug(msg: &str) {
    if debug_enabled() {
        line_to(std::io::stderr().lock(), msg);
    }
}

fn line_to(mut w: impl Write, msg: &str) {
    // A closed pipe must not turn a log line into a panic.
    let _ = writeln!(w, "{msg}");
    let _ = w.flush();
}

/// Multi-line text (an error with its output) folded into one line.
pub fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log::info(&format!($($arg)*)) };
}

#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log::warn(&format!($($arg)*)) };
}

#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::log::debug_enabled() { $crate::log::debug(&format!($($arg)*)) }
    };
}
