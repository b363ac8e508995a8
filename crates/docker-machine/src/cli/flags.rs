//! Command-line flags parsed the way the original's Go `flag` package and codegangsta/cli
//! parsed them, which clap cannot imitate: one-dash long flags (`-debug`), flags after
//! positional arguments (`inspect NAME -f T`), `--` ending flags, env-var fallbacks
//! applied before parsing, and the original's error texts.

use libmachine::mcnflag::{Flag, FlagKind, FlagValue, FlagValues};
use std::collections::HashSet;

/// The result of parsing: a value for every flag (default, env or argv), read through
/// [`FlagValues`]' getters, and the arguments left over.
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    values: FlagValues,
    set: HashSet<String>,
    pub args: Vec<String>,
}

impl std::ops::Deref for Parsed {
    type Target = FlagValues;
    fn deref(&self) -> &FlagValues {
        &self.values
    }
}

impl Parsed {
    /// Whether the flag appeared on the command line (env values do not count).
    pub fn is_set(&self, key: &str) -> bool {
        self.set.contains(key)
    }
}

/// Go's `strconv.ParseBool`.
pub fn parse_go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`: decimal, `0x` hex, `0o`/`0` octal, `0b` binary, `_` separators.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let (radix, digits) =
        if let Some(d) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, d)
        } else if let Some(d) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, d)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || digits.starts_with('_') || digits.ends_with('_') {
        return None;
    }
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    let v = i128::from_str_radix(&digits, radix).ok()?;
    i64::try_from(if neg { -v } else { v }).ok()
}

/// The flag values before argv is read: declared defaults, overridden by env vars.
fn initial_values(flags: &[Flag]) -> FlagValues {
    let env_value = |f: &Flag| {
        f.env
            .split(',')
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
    };
    flags
        .iter()
        .map(|f| {
            let env = env_value(f);
            let value = match &f.kind {
                FlagKind::Bool => {
                    FlagValue::Bool(env.and_then(|e| parse_go_bool(&e)).unwrap_or(false))
                }
                FlagKind::Int(d) => {
                    FlagValue::Int(env.and_then(|e| parse_go_int(&e)).unwrap_or(*d))
                }
                FlagKind::String(d) => FlagValue::String(env.unwrap_or_else(|| d.clone())),
                // Declared defaults of lists reach drivers separately (see create).
                FlagKind::StringSlice(_) => FlagValue::StringSlice(match env {
                    Some(e) => e.split(',').map(|s| s.trim().to_string()).collect(),
                    None => Vec::new(),
                }),
            };
            (f.key().to_string(), value)
        })
        .collect()
}

/// codegangsta/cli's argument reordering for commands: everything from the first
/// `-`-prefixed argument (up to `--`) is parsed as flags, earlier positionals go after.
pub fn reorder_command_args(args: &[String]) -> Vec<String> {
    let terminator = args.iter().position(|a| a == "--");
    let first_flag = args[..terminator.unwrap_or(args.len())]
        .iter()
        .position(|a| a.starts_with('-'));
    match first_flag {
        None => args.to_vec(),
        Some(first) => {
            let mut out: Vec<String> = args[first..terminator.unwrap_or(args.len())].to_vec();
            out.extend_from_slice(&args[..first]);
            if let Some(t) = terminator {
                out.extend_from_slice(&args[t..]);
            }
            out
        }
    }
}

/// Parse `args` against `flags` with Go's `flag.Parse` rules; stops at the first
/// non-flag argument or after `--`.
pub fn parse(flags: &[Flag], args: &[String]) -> Result<Parsed, String> {
    let mut values = initial_values(flags);
    let mut set = HashSet::new();
    let mut seen_names: Vec<String> = Vec::new();
    let mut slices_from_argv: HashSet<String> = HashSet::new();
    let mut i = 0;
    while i < args.len() {
        let s = &args[i];
        if s.len() < 2 || !s.starts_with('-') {
            break;
        }
        let minuses = if s.starts_with("--") { 2 } else { 1 };
        if s == "--" {
            i += 1;
            break;
        }
        let name = &s[minuses..];
        if name.is_empty() || name.starts_with('-') || name.starts_with('=') {
            return Err(format!("bad flag syntax: {s}"));
        }
        i += 1;
        let (name, inline) = match name.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (name, None),
        };
        let Some(flag) = flags.iter().find(|f| f.names().any(|n| n == name)) else {
            return Err(format!("flag provided but not defined: -{name}"));
        };
        let key = flag.key().to_string();
        let value = match &flag.kind {
            FlagKind::Bool => match inline {
                Some(v) => FlagValue::Bool(parse_go_bool(&v).ok_or_else(|| {
                    format!("invalid boolean value {v:?} for -{name}: parse error")
                })?),
                None => FlagValue::Bool(true),
            },
            kind => {
                let v = match inline {
                    Some(v) => v,
                    None if i < args.len() => {
                        i += 1;
                        args[i - 1].clone()
                    }
                    None => return Err(format!("flag needs an argument: -{name}")),
                };
                match kind {
                    FlagKind::Int(_) => FlagValue::Int(parse_go_int(&v).ok_or_else(|| {
                        format!("invalid value {v:?} for flag -{name}: parse error")
                    })?),
                    FlagKind::StringSlice(_) => {
                        // Values given on the command line are appended to those from the env var.
                        let mut list = match values.get(&key) {
                            Some(FlagValue::StringSlice(l)) => l.clone(),
                            _ => Vec::new(),
                        };
                        slices_from_argv.insert(key.clone());
                        list.push(v);
                        FlagValue::StringSlice(list)
                    }
                    _ => FlagValue::String(v),
                }
            }
        };
        if !seen_names.iter().any(|n| n == name) {
            seen_names.push(name.to_string());
        }
        values.insert(&key, value);
        set.insert(key);
    }
    // Using two names of one flag (`-f X --format Y`) is an error, as in codegangsta/cli.
    for flag in flags {
        let used: Vec<&str> = flag
            .names()
            .filter(|n| seen_names.iter().any(|s| s == n))
            .collect();
        if used.len() > 1 {
            return Err(format!(
                "Cannot use two forms of the same flag: {} {}",
                used[1], used[0]
            ));
        }
    }
    Ok(Parsed {
        values,
        set,
        args: args[i..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags() -> Vec<Flag> {
        vec![
            Flag::string("format, f", "", "", ""),
            Flag::bool("quiet, q", "", ""),
            Flag::int("timeout, t", "", "", 10),
            Flag::string_slice("filter", "", "", &[]),
        ]
    }

    fn args(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn go_style_flags() {
        let p = parse(
            &flags(),
            &args(&[
                "-format", "x", "--quiet", "-t=5", "--filter", "a", "-filter", "b", "rest", "-q",
            ]),
        )
        .unwrap();
        assert_eq!(p.string("format"), "x");
        assert!(p.bool("quiet"));
        assert_eq!(p.int("timeout"), 5);
        assert_eq!(p.string_slice("filter"), vec!["a", "b"]);
        assert_eq!(p.args, args(&["rest", "-q"]));
        assert!(p.is_set("format") && !p.is_set("nothing"));
    }

    #[test]
    fn errors_read_like_go() {
        assert_eq!(
            parse(&flags(), &args(&["--bogus"])).unwrap_err(),
            "flag provided but not defined: -bogus"
        );
        assert_eq!(
            parse(&flags(), &args(&["-t", "x"])).unwrap_err(),
            "invalid value \"x\" for flag -t: parse error"
        );
        assert_eq!(
            parse(&flags(), &args(&["-f"])).unwrap_err(),
            "flag needs an argument: -f"
        );
        assert_eq!(
            parse(&flags(), &args(&["-f", "a", "--format", "b"])).unwrap_err(),
            "Cannot use two forms of the same flag: f format"
        );
        assert_eq!(
            parse(&flags(), &args(&["---x"])).unwrap_err(),
            "bad flag syntax: ---x"
        );
    }

    #[test]
    fn flags_after_positionals() {
        assert_eq!(
            reorder_command_args(&args(&["n1", "-f", "T"])),
            args(&["-f", "T", "n1"])
        );
        assert_eq!(
            reorder_command_args(&args(&["n1", "--", "-f"])),
            args(&["n1", "--", "-f"])
        );
        assert_eq!(
            reorder_command_args(&args(&["a", "-q", "b", "--", "c"])),
            args(&["-q", "b", "a", "--", "c"])
        );
    }

    #[test]
    fn go_ints() {
        assert_eq!(parse_go_int("10"), Some(10));
        assert_eq!(parse_go_int("0x10"), Some(16));
        assert_eq!(parse_go_int("010"), Some(8));
        assert_eq!(parse_go_int("-3"), Some(-3));
        assert_eq!(parse_go_int("1_000"), Some(1000));
        assert_eq!(parse_go_int("x"), None);
        assert_eq!(parse_go_int(""), None);
    }
}
