//! The command-line application: global flags, command dispatch, help and exit codes,
//! shaped like the original's codegangsta/cli app so that scripts see the same text.

pub mod flags;
pub mod help;
pub mod tabwriter;

use crate::commands;
use flags::Parsed;
use libmachine::mcnflag::Flag;
use libmachine::Store;
use std::fmt;
use std::path::PathBuf;

/// One command: its help texts, flags and action.
pub struct Command {
    pub name: &'static str,
    pub usage: &'static str,
    pub description: String,
    pub flags: Vec<Flag>,
    /// Arguments reach the action untouched (`ssh`, and `create` before its driver is known).
    pub skip_flag_parsing: bool,
    pub action: fn(&Context) -> Result<(), CmdError>,
}

/// What a command sees: the parsed global and command flags and its arguments.
pub struct Context {
    /// argv[0] as typed, used in the hints the original printed.
    pub argv0: String,
    /// The basename of argv[0], the app's name in messages.
    pub app_name: String,
    pub globals: Parsed,
    pub flags: Parsed,
    pub args: Vec<String>,
    pub store: Store,
}

impl Context {
    pub fn arg(&self, i: usize) -> Option<&str> {
        self.args.get(i).map(String::as_str)
    }
}

/// A failed command: the message goes to stderr, the code is the exit status.
#[derive(Debug)]
pub struct CmdError {
    pub code: i32,
    pub message: String,
}

impl CmdError {
    pub fn new(message: impl fmt::Display) -> CmdError {
        CmdError {
            code: 1,
            message: message.to_string(),
        }
    }
    pub fn with_code(code: i32, message: impl fmt::Display) -> CmdError {
        CmdError {
            code,
            message: message.to_string(),
        }
    }
    /// Exit with a status but print nothing (the text was already printed).
    pub fn silent(code: i32) -> CmdError {
        CmdError {
            code,
            message: String::new(),
        }
    }
}

impl From<anyhow::Error> for CmdError {
    fn from(e: anyhow::Error) -> CmdError {
        CmdError::new(format!("{e:#}"))
    }
}

impl From<libmachine::store::StoreError> for CmdError {
    fn from(e: libmachine::store::StoreError) -> CmdError {
        CmdError::new(e)
    }
}

pub const APP_USAGE: &str = "Create and manage machines running Docker.";
/// The help's author line: who made this binary (0.16.2 named its own contributors).
pub const APP_AUTHOR: &str = "docker-machine in Rust contributors";
/// The commit this binary was built from (`unknown` outside a git checkout), where 0.16.2
/// printed its own build hash.
pub const BUILD_COMMIT: &str = env!("DM_BUILD_COMMIT");

/// The storage path when neither `-s` nor `MACHINE_STORAGE_PATH` says otherwise.
pub fn default_store_path() -> String {
    if let Ok(p) = std::env::var("MACHINE_STORAGE_PATH") {
        if !p.is_empty() {
            return p;
        }
    }
    let home = if cfg!(windows) {
        std::env::var("USERPROFILE")
    } else {
        std::env::var("HOME")
    };
    PathBuf::from(home.unwrap_or_default())
        .join(".docker")
        .join("machine")
        .to_string_lossy()
        .into_owned()
}

pub fn global_flags() -> Vec<Flag> {
    vec![
        Flag::bool("debug, D", "", "Enable debug mode"),
        Flag::string("storage-path, s", "MACHINE_STORAGE_PATH", "Configures storage path", &default_store_path()),
        Flag::string("tls-ca-cert", "MACHINE_TLS_CA_CERT", "CA to verify remotes against", ""),
        Flag::string("tls-ca-key", "MACHINE_TLS_CA_KEY", "Private key to generate certificates", ""),
        Flag::string("tls-client-cert", "MACHINE_TLS_CLIENT_CERT", "Client cert to use for TLS", ""),
        Flag::string("tls-client-key", "MACHINE_TLS_CLIENT_KEY", "Private key used in client TLS auth", ""),
        Flag::string("github-api-token", "MACHINE_GITHUB_API_TOKEN", "Token to use for requests to the Github API", ""),
        Flag::bool("native-ssh", "MACHINE_NATIVE_SSH", "Use the native (Rust-based) SSH implementation."),
        Flag::string(
            "bugsnag-api-token",
            "MACHINE_BUGSNAG_API_TOKEN",
            "BugSnag API token for crash reporting (accepted for compatibility; no crash report is ever sent)",
            "",
        ),
        help_flag(),
        Flag::bool("version, v", "", "print the version"),
    ]
}

fn help_flag() -> Flag {
    Flag::bool("help, h", "", "show help")
}

/// Run the application; returns the process exit code.
pub fn run(argv: Vec<String>) -> i32 {
    let argv0 = argv
        .first()
        .cloned()
        .unwrap_or_else(|| "docker-machine".into());
    let app_name = std::path::Path::new(&argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "docker-machine".into());

    if let Ok(v) = std::env::var("MACHINE_DEBUG") {
        if !v.is_empty() {
            match flags::parse_go_bool(&v) {
                Some(on) => libmachine::log::set_debug(on),
                None => {
                    eprintln!("Error parsing boolean value from MACHINE_DEBUG: strconv.ParseBool: parsing {v:?}: invalid syntax");
                    return 1;
                }
            }
        }
    }

    let commands = commands::all(&argv0);
    let global_flags = global_flags();
    let globals = match flags::parse(&global_flags, &argv[1.min(argv.len())..]) {
        Ok(p) => p,
        Err(e) => {
            print!(
                "Incorrect Usage.\n\n{}",
                help::app_help(&app_name, &global_flags, &commands)
            );
            eprintln!("{e}");
            return 1;
        }
    };
    if globals.bool("debug") {
        libmachine::log::set_debug(true);
    }
    libmachine::ssh::use_native(globals.bool("native-ssh"));
    libmachine::boot2docker::set_github_api_token(&globals.string("github-api-token"));
    if globals.bool("help") {
        print!("{}", help::app_help(&app_name, &global_flags, &commands));
        return 0;
    }
    if globals.bool("version") {
        println!(
            "{app_name} version {}, build {}",
            libmachine::VERSION,
            BUILD_COMMIT
        );
        return 0;
    }
    let Some(name) = globals.args.first().cloned() else {
        print!("{}", help::app_help(&app_name, &global_flags, &commands));
        return 0;
    };
    if name == "help" || name == "h" {
        return match globals.args.get(1) {
            None => {
                print!("{}", help::app_help(&app_name, &global_flags, &commands));
                0
            }
            Some(topic) => match commands.iter().find(|c| c.name == topic) {
                Some(cmd) => {
                    print!("{}", help::command_help(cmd));
                    0
                }
                None => {
                    eprintln!("No help topic for '{topic}'");
                    1
                }
            },
        };
    }
    let Some(cmd) = commands.iter().find(|c| c.name == name) else {
        eprintln!("{app_name}: '{name}' is not a {app_name} command. See '{argv0} --help'.");
        return 1;
    };
    let cmd_args = &globals.args[1..];
    let store = Store::new(absolute(&globals.string("storage-path")));
    libmachine::cert::finish_interrupted(&store);
    let mut ctx = Context {
        argv0,
        app_name,
        globals: globals.clone(),
        flags: Parsed::default(),
        args: Vec::new(),
        store,
    };
    if cmd.skip_flag_parsing {
        ctx.args = cmd_args.to_vec();
    } else {
        let mut cmd_flags = cmd.flags.clone();
        cmd_flags.push(help_flag());
        match flags::parse(&cmd_flags, &flags::reorder_command_args(cmd_args)) {
            Ok(p) => {
                if p.bool("help") {
                    print!("{}", help::command_help(cmd));
                    return 0;
                }
                ctx.args = p.args.clone();
                ctx.flags = p;
            }
            Err(e) => {
                print!("Incorrect Usage.\n\n{}", help::command_help(cmd));
                eprintln!("{e}");
                return 1;
            }
        }
    }
    match (cmd.action)(&ctx) {
        Ok(()) => 0,
        Err(e) => {
            if !e.message.is_empty() {
                libmachine::log::error(&e.message);
            }
            e.code
        }
    }
}

/// The store path made absolute once, so that `config.json` never records a relative
/// path that breaks when the user changes directory (the original's bug 13).
fn absolute(path: &str) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| PathBuf::from(path))
}
