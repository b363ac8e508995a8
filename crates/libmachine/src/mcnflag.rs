//! Flag definitions shared by the CLI and the drivers (the original's `mcnflag`).
//!
//! A flag is described once, here, and used three ways: parsed from argv, rendered in
//! `--help` exactly as codegangsta/cli rendered it, and handed to a driver as a value.

use std::collections::BTreeMap;

/// What kind of value a flag takes, with its declared default.
#[derive(Debug, Clone, PartialEq)]
pub enum FlagKind {
    Bool,
    Int(i64),
    String(String),
    StringSlice(Vec<String>),
}

/// One command-line flag. `name` keeps the original's "long, s" spelling.
#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub name: String,
    pub usage: String,
    pub env: String,
    pub kind: FlagKind,
}

impl Flag {
    pub fn bool(name: &str, env: &str, usage: &str) -> Flag {
        Flag::new(name, env, usage, FlagKind::Bool)
    }
    pub fn int(name: &str, env: &str, usage: &str, default: i64) -> Flag {
        Flag::new(name, env, usage, FlagKind::Int(default))
    }
    pub fn string(name: &str, env: &str, usage: &str, default: &str) -> Flag {
        Flag::new(name, env, usage, FlagKind::String(default.to_string()))
    }
    pub fn string_slice(name: &str, env: &str, usage: &str, default: &[&str]) -> Flag {
        let default = default.iter().map(|s| s.to_string()).collect();
        Flag::new(name, env, usage, FlagKind::StringSlice(default))
    }
    fn new(name: &str, env: &str, usage: &str, kind: FlagKind) -> Flag {
        Flag {
            name: name.to_string(),
            usage: usage.to_string(),
            env: env.to_string(),
            kind,
        }
    }

    /// The value the flag has when not given (false for a bool).
    pub fn default_value(&self) -> FlagValue {
        match &self.kind {
            FlagKind::Bool => FlagValue::Bool(false),
            FlagKind::Int(d) => FlagValue::Int(*d),
            FlagKind::String(d) => FlagValue::String(d.clone()),
            FlagKind::StringSlice(d) => FlagValue::StringSlice(d.clone()),
        }
    }

    /// Every name of the flag, long first as written: `["timeout", "t"]`.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.name.split(',').map(str::trim)
    }

    /// The canonical (first) name, the key under which the value is stored.
    pub fn key(&self) -> &str {
        self.names().next().unwrap_or_default()
    }

    /// The help line of the flag, as codegangsta/cli's `Flag.String()` printed it.
    pub fn help_line(&self) -> String {
        let names = self
            .names()
            .map(|n| format!("{}{}", prefix_for(n), n))
            .collect::<Vec<_>>()
            .join(", ");
        let line = match &self.kind {
            FlagKind::Bool => format!("{names}\t{}", self.usage),
            FlagKind::Int(v) => format!("{names} \"{v}\"\t{}", self.usage),
            FlagKind::String(v) if v.is_empty() => format!("{names} \t{}", self.usage),
            FlagKind::String(v) => format!("{names} \"{v}\"\t{}", self.usage),
            FlagKind::StringSlice(_) => {
                let first = self.key();
                let p = prefix_for(first);
                format!(
                    "{names} [{p}{first} option {p}{first} option]\t{}",
                    self.usage
                )
            }
        };
        if self.env.is_empty() {
            line
        } else {
            let vars = self.env.split(',').map(str::trim).collect::<Vec<_>>();
            if cfg!(windows) {
                format!("{line} [%{}%]", vars.join("%, %"))
            } else {
                format!("{line} [${}]", vars.join(", $"))
            }
        }
    }
}

fn prefix_for(name: &str) -> &'static str {
    if name.chars().count() == 1 {
        "-"
    } else {
        "--"
    }
}

/// A parsed flag value.
#[derive(Debug, Clone, PartialEq)]
pub enum FlagValue {
    Bool(bool),
    Int(i64),
    String(String),
    StringSlice(Vec<String>),
}

/// Flag values by key, with typed getters that give the zero value for a missing or
/// differently typed flag (as codegangsta/cli's did). Parsed command lines hold these.
#[derive(Debug, Clone, Default)]
pub struct FlagValues {
    values: BTreeMap<String, FlagValue>,
}

impl FromIterator<(String, FlagValue)> for FlagValues {
    fn from_iter<I: IntoIterator<Item = (String, FlagValue)>>(iter: I) -> Self {
        FlagValues {
            values: iter.into_iter().collect(),
        }
    }
}

/// The values a driver receives for its create flags (the original's `DriverOptions`):
/// every flag of the driver is present, with its default when the user did not set it.
/// Unlike [`FlagValues`], asking for a name that is not there, or as another kind,
/// panics: it is a misspelt flag in the driver, which a zero value would hide.
#[derive(Debug, Clone, Default)]
pub struct DriverOptions {
    values: FlagValues,
}

impl DriverOptions {
    pub fn new() -> Self {
        Self::default()
    }
    /// Every flag of `flags` at its default.
    pub fn defaults(flags: &[Flag]) -> Self {
        let mut opts = Self::new();
        for flag in flags {
            opts.insert(flag.key(), flag.default_value());
        }
        opts
    }
    pub fn insert(&mut self, key: &str, value: FlagValue) {
        self.values.insert(key, value);
    }
    /// Every value, by key in byte order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FlagValue)> {
        self.values.iter()
    }
    pub fn string(&self, key: &str) -> String {
        match self.value(key) {
            FlagValue::String(s) => s.clone(),
            other => wrong_kind(key, other),
        }
    }
    pub fn int(&self, key: &str) -> i64 {
        match self.value(key) {
            FlagValue::Int(i) => *i,
            other => wrong_kind(key, other),
        }
    }
    pub fn bool(&self, key: &str) -> bool {
        match self.value(key) {
            FlagValue::Bool(b) => *b,
            other => wrong_kind(key, other),
        }
    }
    pub fn string_slice(&self, key: &str) -> Vec<String> {
        match self.value(key) {
            FlagValue::StringSlice(v) => v.clone(),
            other => wrong_kind(key, other),
        }
    }
    fn value(&self, key: &str) -> &FlagValue {
        self.values.get(key).unwrap_or_else(|| {
            panic!("driver option {key:?} is not among the flags the driver was given")
        })
    }
}

fn wrong_kind(key: &str, value: &FlagValue) -> ! {
    panic!("driver option {key:?} is asked for as another kind than its value {value:?}")
}

impl FlagValues {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn insert(&mut self, key: &str, value: FlagValue) {
        self.values.insert(key.to_string(), value);
    }
    /// Every value, by key in byte order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &FlagValue)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }
    pub fn get(&self, key: &str) -> Option<&FlagValue> {
        self.values.get(key)
    }
    pub fn string(&self, key: &str) -> String {
        match self.values.get(key) {
            Some(FlagValue::String(s)) => s.clone(),
            _ => String::new(),
        }
    }
    pub fn int(&self, key: &str) -> i64 {
        match self.values.get(key) {
            Some(FlagValue::Int(i)) => *i,
            _ => 0,
        }
    }
    pub fn bool(&self, key: &str) -> bool {
        matches!(self.values.get(key), Some(FlagValue::Bool(true)))
    }
    pub fn string_slice(&self, key: &str) -> Vec<String> {
        match self.values.get(key) {
            Some(FlagValue::StringSlice(v)) => v.clone(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn driver_options_answer_their_flags_and_refuse_other_names() {
        let flags = [
            Flag::string("qemu-image", "", "", "debian.qcow2"),
            Flag::int("qemu-cpus", "", "", 2),
        ];
        let mut opts = DriverOptions::defaults(&flags);
        assert_eq!(opts.string("qemu-image"), "debian.qcow2");
        opts.insert("qemu-cpus", FlagValue::Int(4));
        assert_eq!(opts.int("qemu-cpus"), 4);
        let misspelt = std::panic::catch_unwind(|| opts.string("qemu-imgae"));
        assert!(misspelt.is_err(), "an unknown name is not a silent default");
        let wrong_kind = std::panic::catch_unwind(|| opts.bool("qemu-cpus"));
        assert!(
            wrong_kind.is_err(),
            "nor is a flag asked for as another kind"
        );
    }

    #[test]
    fn help_lines_match_codegangsta() {
        let f = Flag::int("timeout, t", "", "Timeout in seconds, default to 10s", 10);
        assert_eq!(
            f.help_line(),
            "--timeout, -t \"10\"\tTimeout in seconds, default to 10s"
        );
        let f = Flag::string(
            "format, f",
            "",
            "Pretty-print machines using a Go template",
            "",
        );
        assert_eq!(
            f.help_line(),
            "--format, -f \tPretty-print machines using a Go template"
        );
        let f = Flag::string_slice(
            "filter",
            "",
            "Filter output based on conditions provided",
            &[],
        );
        assert_eq!(
            f.help_line(),
            "--filter [--filter option --filter option]\tFilter output based on conditions provided"
        );
        let f = Flag::bool(
            "native-ssh",
            "MACHINE_NATIVE_SSH",
            "Use the native (Rust-based) SSH implementation.",
        );
        if !cfg!(windows) {
            assert_eq!(
                f.help_line(),
                "--native-ssh\tUse the native (Rust-based) SSH implementation. [$MACHINE_NATIVE_SSH]"
            );
        }
    }
}
