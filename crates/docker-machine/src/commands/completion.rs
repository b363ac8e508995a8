//! `completion SHELL`: a completion script for bash, zsh, fish or PowerShell, and the
//! hidden `__complete WORDS... cur:WORD` the scripts call. The scripts are thin: they pass
//! the words typed so far, and every answer comes from the command table, the flag
//! definitions, the driver registry and the store, so a new command, flag or driver
//! completes without touching them.
//!
//! `__complete` prints one candidate a line, `CANDIDATE<TAB>DESCRIPTION` (the scripts show
//! the description where the shell can), or the single line `:files` when a file name is
//! expected (the shell's own file completion then runs). The word being completed comes
//! last, as `cur:WORD`, so that an empty one survives PowerShell's argument passing.

use crate::cli::{global_flags, CmdError, Command, Context};
use libmachine::drivers;
use libmachine::mcnflag::{Flag, FlagKind};
use libmachine::Store;

pub const SHELLS: [&str; 4] = ["bash", "zsh", "fish", "powershell"];

pub fn command() -> Command {
    super::simple(
        "completion",
        "Print a shell completion script",
        "Argument is a shell: bash, zsh, fish or powershell.",
        action,
    )
}

/// Not listed in the help (its name starts with `__`): what the scripts call.
pub fn complete_command() -> Command {
    Command {
        skip_flag_parsing: true,
        ..super::simple("__complete", "", "", complete_action)
    }
}

fn action(ctx: &Context) -> Result<(), CmdError> {
    let script = match ctx.args.as_slice() {
        [shell] if shell == "bash" => include_str!("completion/docker-machine.bash"),
        [shell] if shell == "zsh" => include_str!("completion/docker-machine.zsh"),
        [shell] if shell == "fish" => include_str!("completion/docker-machine.fish"),
        [shell] if shell == "powershell" => include_str!("completion/docker-machine.ps1"),
        _ => {
            return Err(CmdError::new(format!(
                "Error: Expected one shell as an argument: {}",
                SHELLS.join(", ")
            )))
        }
    };
    print!("{script}");
    Ok(())
}

fn complete_action(ctx: &Context) -> Result<(), CmdError> {
    let (cur, before) = match ctx.args.split_last() {
        Some((last, before)) => (last.strip_prefix("cur:").unwrap_or(last), before),
        None => ("", &[][..]),
    };
    match complete(&ctx.argv0, before, cur) {
        Completion::Files => println!(":files"),
        Completion::Words(words) => {
            for (word, description) in words {
                if description.is_empty() {
                    println!("{word}");
                } else {
                    println!("{word}\t{description}");
                }
            }
        }
    }
    Ok(())
}

/// What a word may become.
#[derive(Debug, PartialEq)]
pub enum Completion {
    /// Candidates starting with the typed word, with their descriptions.
    Words(Vec<(String, String)>),
    /// A file name.
    Files,
}

/// The positional arguments a command takes, as its table entry describes them.
#[derive(Debug, PartialEq)]
enum Args {
    Nothing,
    OneMachine,
    Machines,
    Shells,
    Files,
}

fn args_of(cmd: &Command) -> Args {
    match cmd.name {
        "completion" => Args::Shells,
        "ssh" | "version" => Args::OneMachine,
        "provision" => Args::Machines,
        "scp" | "mount" => Args::Files,
        _ if cmd.description == super::DESC_ONE => Args::OneMachine,
        _ if cmd.description == super::DESC_MANY => Args::Machines,
        _ => Args::Nothing,
    }
}

/// Complete `cur`, the words `before` it following the program's name.
pub fn complete(argv0: &str, before: &[String], cur: &str) -> Completion {
    let globals = global_flags();
    let commands = super::all(argv0);
    let mut store = None;
    let mut i = 0;
    // Global flags, up to the command's name.
    while i < before.len() && before[i].starts_with('-') && before[i] != "-" {
        let (flag, value) = flag_and_value(&globals, before, &mut i);
        if let (Some(flag), Some(value)) = (flag, value) {
            if flag.key() == "storage-path" {
                store = Some(value);
            }
        }
    }
    let store = Store::new(store.unwrap_or_else(crate::cli::default_store_path));
    if i > before.len() {
        // A global flag's value is being typed (`-s <TAB>`).
        return Completion::Files;
    }
    let Some(name) = before.get(i) else {
        if cur.starts_with('-') {
            return flags_matching(&globals, cur);
        }
        let mut words: Vec<(String, String)> = commands
            .iter()
            .filter(|c| !c.name.starts_with("__"))
            .map(|c| (c.name.to_string(), c.usage.to_string()))
            .collect();
        words.push((
            "help".into(),
            "Shows a list of commands or help for one command".into(),
        ));
        return matching(words, cur);
    };
    let rest = &before[i + 1..];
    if name == "help" {
        return match rest {
            [] => complete(argv0, &[], cur),
            _ => Completion::Words(Vec::new()),
        };
    }
    let Some(cmd) = commands.iter().find(|c| c.name == name) else {
        return Completion::Words(Vec::new());
    };
    let mut flags = cmd.flags.clone();
    if cmd.name == "create" {
        // As `create` learns them: from the registry, or by asking the plugin.
        if let Ok(driver) = drivers::CreateDriver::find(&super::driver_name_from(rest)) {
            flags.extend(driver.create_flags());
        }
    }
    flags.push(Flag::bool("help, h", "", "show help"));

    let mut positionals = Vec::new();
    // After `ssh NAME` (or `--`) the words are the remote command's.
    let remote_command = |positionals: &Vec<String>| cmd.name == "ssh" && !positionals.is_empty();
    let mut j = 0;
    while j < rest.len() {
        let word = &rest[j];
        if word == "--" || remote_command(&positionals) {
            return Completion::Files;
        }
        if word.starts_with('-') && word != "-" {
            flag_and_value(&flags, rest, &mut j);
        } else {
            positionals.push(word.clone());
            j += 1;
        }
    }
    if remote_command(&positionals) {
        return Completion::Files;
    }
    if j > rest.len() {
        // The value of the last flag before `cur`.
        let flag = last_flag(&flags, rest);
        return match flag.map(Flag::key) {
            Some("driver") => matching(driver_names(), cur),
            Some("shell") => matching(
                [
                    "fish",
                    "cmd",
                    "powershell",
                    "tcsh",
                    "emacs",
                    "bash",
                    "zsh",
                    "sh",
                ]
                .iter()
                .map(|s| (s.to_string(), String::new()))
                .collect(),
                cur,
            ),
            _ => Completion::Files,
        };
    }
    if let Some((flag_name, value)) = cur.split_once('=').filter(|_| cur.starts_with('-')) {
        // `--driver=<TAB>`: the same values, written after the flag.
        let flag = find_flag(&flags, flag_name.trim_start_matches('-'));
        if flag.map(Flag::key) == Some("driver") {
            let prefix = format!("{flag_name}=");
            return match matching(driver_names(), value) {
                Completion::Words(w) => Completion::Words(
                    w.into_iter()
                        .map(|(d, u)| (format!("{prefix}{d}"), u))
                        .collect(),
                ),
                other => other,
            };
        }
        return Completion::Files;
    }
    if cur.starts_with('-') {
        return flags_matching(&flags, cur);
    }
    let machines = || {
        store
            .list()
            .unwrap_or_default()
            .into_iter()
            .filter(|m| !positionals.contains(m))
            .map(|m| (m, String::new()))
            .collect()
    };
    match (args_of(cmd), positionals.len()) {
        (Args::OneMachine, 0) | (Args::Machines, _) => matching(machines(), cur),
        (Args::Shells, 0) => matching(
            SHELLS
                .iter()
                .map(|s| (s.to_string(), String::new()))
                .collect(),
            cur,
        ),
        (Args::Files, _) => Completion::Files,
        _ => Completion::Words(Vec::new()),
    }
}

/// Step over the flag at `words[*i]` (and its value when it takes one and has no `=`);
/// returns the flag and its value. `*i` ends past the end when the value is still to come.
fn flag_and_value<'a>(
    flags: &'a [Flag],
    words: &[String],
    i: &mut usize,
) -> (Option<&'a Flag>, Option<String>) {
    let word = &words[*i];
    let body = word.trim_start_matches('-');
    let (name, inline) = match body.split_once('=') {
        Some((n, v)) => (n, Some(v.to_string())),
        None => (body, None),
    };
    let flag = find_flag(flags, name);
    *i += 1;
    let takes_value = flag.is_some_and(|f| f.kind != FlagKind::Bool);
    if !takes_value || inline.is_some() {
        return (flag, inline);
    }
    let value = words.get(*i).cloned();
    *i += 1;
    (flag, value)
}

/// The flag a trailing word of `words` names (its value is being completed).
fn last_flag<'a>(flags: &'a [Flag], words: &[String]) -> Option<&'a Flag> {
    find_flag(flags, words.last()?.trim_start_matches('-'))
}

fn find_flag<'a>(flags: &'a [Flag], name: &str) -> Option<&'a Flag> {
    flags.iter().find(|f| f.names().any(|n| n == name))
}

/// Every name of `flags` starting with `cur`: `--long`, `-s`.
fn flags_matching(flags: &[Flag], cur: &str) -> Completion {
    let words = flags
        .iter()
        .flat_map(|f| {
            f.names().map(|n| {
                let dashes = if n.len() == 1 { "-" } else { "--" };
                (format!("{dashes}{n}"), f.usage.clone())
            })
        })
        .collect();
    matching(words, cur)
}

fn matching(words: Vec<(String, String)>, cur: &str) -> Completion {
    Completion::Words(
        words
            .into_iter()
            .filter(|(w, _)| w.starts_with(cur))
            .collect(),
    )
}

/// The built-in drivers, then the plugins on PATH (`docker-machine-driver-NAME`).
fn driver_names() -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> = drivers::REGISTRY
        .iter()
        .filter(|d| d.implemented)
        .map(|d| (d.name.to_string(), String::new()))
        .collect();
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let file = file.strip_suffix(".exe").unwrap_or(&file);
            if let Some(plugin) = file.strip_prefix("docker-machine-driver-") {
                if !names.iter().any(|(n, _)| n == plugin) {
                    names.push((plugin.to_string(), "plugin".into()));
                }
            }
        }
    }
    names
}

#[cfg(test)]
mod tests;
