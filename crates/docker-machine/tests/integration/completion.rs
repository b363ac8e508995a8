//! Shell completion in the real shells: the scripts `completion SHELL` prints are loaded
//! into bash, zsh and fish, which are then asked to complete command lines. The answers
//! come from the binary (`__complete`), so these tests check the scripts and the answers
//! together: commands, flags, the flags of `create -d DRIVER`, drivers (plugins on PATH
//! too), and machine names from the store (`MACHINE_STORAGE_PATH`, `-s`).
//!
//! bash is driven through its completion function with COMP_LINE/COMP_WORDS set as
//! readline sets them; zsh twice: its completion function alone with `compadd` and
//! `_files` capturing what it offers, and the whole completion system (compinit, TAB) in
//! a pseudo-terminal through zsh/zpty; fish through `complete -C`, its own
//! non-interactive completion. PowerShell cannot run here (no pwsh package is reachable):
//! its script is checked for what it must contain, and the calls it makes are made to
//! the binary directly.

use crate::support::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

struct World {
    _tmp: tempfile::TempDir,
    store: PathBuf,
    other_store: PathBuf,
    path: std::ffi::OsString,
}

/// Two stores (`web1`, `web2`, `db` in the default one, `far` in the other) and a PATH
/// with the binary and a plugin driver, `docker-machine-driver-hetzner`.
fn world() -> World {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let other_store = tmp.path().join("other store");
    for name in ["web1", "web2", "db"] {
        create_none(&store, name, "tcp://127.0.0.1:2376");
    }
    create_none(&other_store, "far", "tcp://127.0.0.1:2376");
    let bin = tmp.path().join("bin");
    fs::create_dir_all(&bin).unwrap();
    let plugin = bin.join("docker-machine-driver-hetzner");
    fs::write(&plugin, "#!/bin/sh\nexit 1\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&plugin, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut dirs = vec![Path::new(BIN).parent().unwrap().to_path_buf(), bin];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    World {
        path: std::env::join_paths(dirs).unwrap(),
        store,
        other_store,
        _tmp: tmp,
    }
}

impl World {
    /// `shell ARGS...` with the completion script of `shell` in $SCRIPT.
    fn shell(&self, shell: &str, args: &[&str]) -> Out {
        let script = isolated(&self.store, &["completion", shell_name(shell)]);
        assert_eq!(script.code, 0, "{script:?}");
        let file = self.store.join(format!("completion.{shell}"));
        fs::write(&file, &script.stdout).unwrap();
        let out = run(Command::new(shell)
            .args(args)
            .env_clear()
            .env("PATH", &self.path)
            .env("HOME", &self.store)
            .env("MACHINE_STORAGE_PATH", &self.store)
            .env("OTHER", &self.other_store)
            .env("SCRIPT", &file));
        assert_eq!(out.code, 0, "{shell}: {out:?}");
        out
    }
}

fn shell_name(shell: &str) -> &str {
    shell
}

/// The blocks of `out`, each ended by a `--` line: one per completed command line.
fn blocks(out: &str) -> Vec<Vec<String>> {
    let mut blocks = vec![Vec::new()];
    for line in out.lines() {
        if line == "--" {
            blocks.push(Vec::new());
        } else {
            blocks.last_mut().unwrap().push(line.to_string());
        }
    }
    blocks.pop();
    blocks
}

fn has(block: &[String], words: &[&str]) -> bool {
    words.iter().all(|w| block.iter().any(|l| l == w))
}

#[test]
fn bash_completes_from_the_tables_and_the_store() {
    let w = world();
    // COMP_LINE as typed, COMP_WORDS as readline splits it (`=` is a word break).
    let script = r#"
        source "$SCRIPT"
        complete -p docker-machine
        echo --
        compopt() { echo "compopt $1 $2"; }
        t() {
            COMP_LINE=$1; COMP_POINT=${#COMP_LINE}; shift
            COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
            COMPREPLY=()
            _docker_machine
            ((${#COMPREPLY[@]})) && printf '%s\n' "${COMPREPLY[@]}"
            echo --
        }
        t 'docker-machine ' docker-machine ''
        t 'docker-machine reg' docker-machine reg
        t 'docker-machine ls --f' docker-machine ls --f
        t 'docker-machine rm -y web1 ' docker-machine rm -y web1 ''
        t "docker-machine -s \"$OTHER\" env " docker-machine -s "\"$OTHER\"" env ''
        t 'docker-machine create -d ' docker-machine create -d ''
        t 'docker-machine create --driver=gen' docker-machine create --driver = gen
        t 'docker-machine create --driver=' docker-machine create --driver =
        t 'docker-machine create -d generic --generic-ssh-p' docker-machine create -d generic --generic-ssh-p
        t 'docker-machine ssh web1 ' docker-machine ssh web1 ''
        t "docker-machine -s ${OTHER// /\\ } ip " docker-machine -s "${OTHER// /\\ }" ip ''
        t 'docker-machine completion ' docker-machine completion ''
    "#;
    let out = w.shell("bash", &["-c", script]);
    let b = blocks(&out.stdout);
    assert_eq!(b.len(), 13, "{out:?}");
    assert_eq!(b[0], ["complete -F _docker_machine docker-machine"]);
    assert!(
        has(
            &b[1],
            &["active", "create", "ls", "use", "completion", "help"]
        ),
        "{b:?}"
    );
    assert!(!b[1].iter().any(|c| c.starts_with("__")), "{b:?}");
    assert_eq!(b[2], ["regenerate-certs"]);
    assert_eq!(b[3], ["--filter", "--format"]);
    assert_eq!(b[4], ["db", "web2"]);
    assert_eq!(b[5], ["far"]);
    assert!(has(&b[6], &["none", "generic", "qemu", "hetzner"]), "{b:?}");
    assert_eq!(b[7], ["generic"]);
    // Readline replaces what follows `=`: `--driver=` + `=generic`... gives --driver=generic.
    assert!(has(&b[8], &["=generic", "=none"]), "{b:?}");
    assert_eq!(b[9], ["--generic-ssh-port"]);
    assert_eq!(b[10], ["compopt -o default"]);
    assert_eq!(b[11], ["far"], "a backslash-escaped store path");
    assert_eq!(b[12], ["bash", "zsh", "fish", "powershell"]);
}

#[test]
fn zsh_completes_from_the_tables_and_the_store() {
    let w = world();
    // compadd and _files capture what the function offers; compdef shows the binding.
    let script = r#"
        compadd() { while [[ $1 != -- ]]; do shift; done; shift; print -l -- "$@"; }
        _files() { print -- ':files'; }
        compdef() { print -- "compdef $*"; }
        source "$SCRIPT"
        print -- --
        t() { words=("$@"); CURRENT=$#; _docker_machine; print -- --; }
        t docker-machine ''
        t docker-machine ls --f
        t docker-machine -s "$OTHER" env ''
        t docker-machine env w
        t docker-machine create -d none --ur
        t docker-machine create --driver=he
        t docker-machine scp ''
        t docker-machine use ''
    "#;
    let out = w.shell("zsh", &["-f", "-c", script]);
    let b = blocks(&out.stdout);
    assert_eq!(b.len(), 9, "{out:?}");
    assert_eq!(b[0], ["compdef _docker_machine docker-machine"]);
    assert!(
        has(&b[1], &["active", "create", "use", "completion", "help"]),
        "{b:?}"
    );
    assert_eq!(b[2], ["--filter", "--format"]);
    assert_eq!(b[3], ["far"]);
    assert_eq!(b[4], ["web1", "web2"]);
    assert_eq!(b[5], ["--url"]);
    assert_eq!(b[6], ["--driver=hetzner"]);
    assert_eq!(b[7], [":files"]);
    assert_eq!(b[8], ["db", "web1", "web2"]);
}

/// Drives an interactive zsh in a pseudo-terminal (zsh/zpty): compinit, the completion
/// script, then TAB after each line given. Prints every match the completion system was
/// given (a `compadd` wrapper that then calls the real one), `--` after each line.
const ZPTY_DRIVER: &str = r#"# Drives an interactive zsh in a pseudo-terminal: compinit, the completion script, then
# TAB after each line given; prints what the completion system was offered, `--` after each.
zmodload zsh/zpty
zpty z zsh -f -i
zpty -w z 'PS1=""; unsetopt zle_bell 2>/dev/null; autoload -Uz compinit; compinit -u -D'
zpty -w z 'source "$SCRIPT"'
# Every match the completion system is given, printed to the terminal between << >>.
zpty -w z 'compadd() { if [[ -n ${@[(r)-(O|A|D)]} ]]; then builtin compadd "$@"; return; fi; local -a __h; local __x; builtin compadd -A __h "$@"; for __x in "${__h[@]}"; do print -r -- "<<$__x>>" >/dev/tty; done; builtin compadd "$@"; }'
# TAB completes, then says so: nothing more is typed before the completion is over.
zpty -w z '__complete_then_mark() { zle complete-word; print -n -- "@@DO""NE@@" >/dev/tty; }'
zpty -w z 'zle -N __complete_then_mark; bindkey "^I" __complete_then_mark'
zpty -w z 'echo RE""ADY'
zpty -r z out '*READY*'
for line in "$@"; do
    zpty -w -n z "$line"$'\t'
    zpty -r z out '*@@DONE@@*'
    zpty -w -n z $'\x15'
    print -r -- "$out" | tr -d '\r' | grep -o '<<[^>]*>>' | sed 's/^<<//; s/>>$//'
    print -- --
done
zpty -d z
"#;

#[test]
fn zsh_completion_system_in_a_pseudo_terminal() {
    let w = world();
    let driver = w.store.join("zpty-driver.zsh");
    fs::write(&driver, ZPTY_DRIVER).unwrap();
    let other = w.other_store.to_str().unwrap().replace(' ', "\\ ");
    let lines = [
        "docker-machine ".to_string(),
        "docker-machine ls --f".into(),
        "docker-machine rm web1 ".into(),
        format!("docker-machine -s {other} env "),
        "docker-machine create -d none --u".into(),
        "docker-machine create --driver=gen".into(),
    ];
    let mut args = vec!["-f".to_string(), driver.to_string_lossy().into_owned()];
    args.extend(lines);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = w.shell("zsh", &args);
    let b = blocks(&out.stdout);
    assert_eq!(b.len(), 6, "{out:?}");
    assert!(
        has(&b[0], &["active", "create", "use", "completion", "help"]),
        "{b:?}"
    );
    assert_eq!(b[1], ["--filter", "--format"], "{out:?}");
    assert_eq!(b[2], ["db", "web2"], "{out:?}");
    assert_eq!(b[3], ["far"], "{out:?}");
    assert_eq!(b[4], ["--url"], "{out:?}");
    assert_eq!(b[5], ["--driver=generic"], "{out:?}");
}

#[test]
fn fish_completes_from_the_tables_and_the_store() {
    let w = world();
    let script = r#"
        source $SCRIPT
        for line in 'docker-machine ' 'docker-machine ls --f' "docker-machine -s '$OTHER' ip " \
                'docker-machine stop web' 'docker-machine create -d generic --generic-ip' \
                'docker-machine create -d he' 'docker-machine completion p'
            complete -C "$line"
            printf '%s\n' --
        end
    "#;
    let out = w.shell("fish", &["--no-config", "-c", script]);
    let b: Vec<Vec<String>> = blocks(&out.stdout)
        .into_iter()
        .map(|b| {
            b.into_iter()
                .map(|l| l.split('\t').next().unwrap().to_string())
                .collect()
        })
        .collect();
    assert_eq!(b.len(), 7, "{out:?}");
    assert!(
        has(&b[0], &["active", "create", "use", "completion", "help"]),
        "{b:?}"
    );
    assert_eq!(b[1], ["--filter", "--format"], "{out:?}");
    assert_eq!(b[2], ["far"], "{out:?}");
    assert_eq!(b[3], ["web1", "web2"], "{out:?}");
    assert_eq!(b[4], ["--generic-ip-address"], "{out:?}");
    assert_eq!(b[5], ["hetzner"], "{out:?}");
    assert_eq!(b[6], ["powershell"], "{out:?}");
    // Descriptions come along: a command's usage, a flag's help.
    assert!(out.stdout.contains("ls\tList machines\n"), "{out:?}");
}

#[test]
fn powershell_script_and_the_calls_it_makes() {
    let w = world();
    let out = isolated(&w.store, &["completion", "powershell"]);
    assert_eq!(out.code, 0, "{out:?}");
    let script = out.stdout;
    for needed in [
        "Register-ArgumentCompleter -Native -CommandName 'docker-machine', 'docker-machine.exe' -ScriptBlock {",
        "param($wordToComplete, $commandAst, $cursorPosition)",
        "& docker-machine __complete @words \"cur:$wordToComplete\"",
        "$out[0] -eq ':files'",
        "[System.Management.Automation.CompletionResult]::new($candidate, $candidate, 'ParameterValue', $description)",
    ] {
        assert!(script.contains(needed), "missing {needed:?} in\n{script}");
    }
    // Braces and parentheses balance (a truncated or mangled script would not).
    for (open, close) in [('{', '}'), ('(', ')')] {
        assert_eq!(
            script.matches(open).count(),
            script.matches(close).count(),
            "{open}{close} in\n{script}"
        );
    }
    // The calls it makes: words before the cursor, then `cur:` and the word typed.
    let ask = |args: &[&str]| {
        let out = isolated(&w.store, &[&["__complete"], args].concat());
        assert_eq!(out.code, 0, "{out:?}");
        out.stdout
    };
    assert!(ask(&["cur:"]).contains("use\tMake a machine's docker context the current one\n"));
    assert_eq!(ask(&["rm", "web1", "cur:"]), "db\nweb2\n");
    assert_eq!(ask(&["scp", "cur:"]), ":files\n");
}

/// `create -d PLUGIN` completes the plugin's own flags, asked from the plugin as
/// `create` asks them (the Go-built test plugin); a missing plugin, the shared flags.
#[test]
fn create_completes_a_plugins_flags() {
    let tmp = tempfile::tempdir().unwrap();
    let plugins = go_plugin_dir();
    let out = run(isolated_cmd(tmp.path())
        .env("PATH", path_with(&plugins))
        .args(["__complete", "create", "-d", "fake", "cur:--fake-ssh-"]));
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        out.stdout,
        "--fake-ssh-port\tSSH port of the fake machine\n\
         --fake-ssh-user\tSSH user\n\
         --fake-ssh-key\tSSH private key to copy into the machine directory\n"
    );
    let out = run(isolated_cmd(tmp.path())
        .env("PATH", path_with(&plugins))
        .args(["__complete", "create", "-d", "nosuchdriver", "cur:--"]));
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("--engine-install-url\t"), "{out:?}");
    assert!(!out.stdout.contains("--fake-"), "{out:?}");
}

#[test]
fn completion_needs_one_known_shell() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        &["completion"][..],
        &["completion", "tcsh"],
        &["completion", "bash", "zsh"],
    ] {
        let out = isolated(tmp.path(), args);
        assert_eq!(out.code, 1, "{out:?}");
        assert_eq!(
            out.stderr,
            "Error: Expected one shell as an argument: bash, zsh, fish, powershell\n"
        );
    }
    // The main help lists the new commands; `__complete` stays out of sight.
    let out = isolated(tmp.path(), &["--help"]);
    assert!(
        out.stdout
            .contains("\n  completion\t\tPrint a shell completion script\n"),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("\n  use\t\t\tMake a machine's docker context the current one\n"),
        "{out:?}"
    );
    assert!(!out.stdout.contains("__complete"), "{out:?}");
}
