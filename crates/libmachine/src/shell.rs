//! Shells, as `env` needs them: which shell the user runs (the original's
//! `libmachine/shell`), and how each shell sets and unsets a variable and evaluates
//! `env`'s output.
//!
//! Differences from 0.16.2, all deliberate:
//! * an empty `$SHELL` on Unix falls back to sh/bash syntax after the original's notice
//!   instead of failing with `Error: Unknown shell` (bug 4);
//! * on Windows a `pwsh` parent counts as PowerShell (bug 4);
//! * values are quoted for the shell that evaluates them (bug 3), so that a storage path
//!   with a space, `"` or `$` survives. Values without special characters print exactly
//!   as the original printed them.
//!
//! This module uses only the standard library.

/// How a shell is spoken to. Unknown shell names (`bash`, `sh`, `zsh`, `ksh`...) use
/// [`Syntax::Posix`], as in the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Posix,
    Fish,
    PowerShell,
    Cmd,
    Tcsh,
    Emacs,
}

impl Syntax {
    /// The syntax for a shell name as `--shell` gives it or detection found it
    /// (case-sensitive, unvalidated: anything unknown is POSIX).
    pub fn from_name(name: &str) -> Syntax {
        match name {
            "fish" => Syntax::Fish,
            "powershell" => Syntax::PowerShell,
            "cmd" => Syntax::Cmd,
            "tcsh" => Syntax::Tcsh,
            "emacs" => Syntax::Emacs,
            _ => Syntax::Posix,
        }
    }
}

/// A value a shell cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShellError {
    /// `cmd` has no way to set a variable to a value with a line break.
    #[error("Error: the value of {name} contains a line break, which cmd cannot set")]
    LineBreakInCmd { name: String },
}

/// The line (with its `\n`) that sets `name` to `value`.
///
/// | syntax | line |
/// |---|---|
/// | POSIX | `export X="v"` |
/// | fish | `set -gx X "v";` |
/// | PowerShell | `$Env:X = "v"` |
/// | cmd | `SET X=v` |
/// | tcsh | `setenv X "v";` |
/// | emacs | `(setenv "X" "v")` |
///
/// `cmd` has no quoting that survives its `FOR /f ... DO @%i` evaluation (the value is
/// taken literally there, `^` would stay in it), so values are printed as they are; a
/// line break cannot be carried at all and is an error.
pub fn set_line(syntax: Syntax, name: &str, value: &str) -> Result<String, ShellError> {
    Ok(match syntax {
        Syntax::Posix => format!("export {name}={}\n", quote_posix(value)),
        Syntax::Fish => format!("set -gx {name} {};\n", quote_fish(value)),
        Syntax::PowerShell => format!("$Env:{name} = {}\n", quote_powershell(value)),
        Syntax::Cmd => {
            if value.contains(['\n', '\r']) {
                return Err(ShellError::LineBreakInCmd {
                    name: name.to_string(),
                });
            }
            format!("SET {name}={value}\n")
        }
        Syntax::Tcsh => format!("setenv {name} {};\n", quote_tcsh(value)),
        Syntax::Emacs => format!(
            "(setenv \"{}\" {})\n",
            escape_elisp(name),
            quote_elisp(value)
        ),
    })
}

/// The line (with its `\n`) that unsets `name`.
pub fn unset_line(syntax: Syntax, name: &str) -> String {
    match syntax {
        Syntax::Posix => format!("unset {name}\n"),
        Syntax::Fish => format!("set -e {name};\n"),
        Syntax::PowerShell => format!("Remove-Item Env:\\\\{name}\n"),
        Syntax::Cmd => format!("SET {name}=\n"),
        Syntax::Tcsh => format!("unsetenv {name};\n"),
        Syntax::Emacs => format!("(setenv \"{}\" nil)\n", escape_elisp(name)),
    }
}

/// The two comment lines telling how to evaluate the output, each ending in `\n` (the
/// first also has a trailing space, as the original's). `args` is the command line as
/// typed; `args[0]` is wrapped in `"` when it contains a space or a backslash.
pub fn usage_hint(syntax: Syntax, args: &[String]) -> String {
    let mut words: Vec<String> = args.to_vec();
    if let Some(first) = words.first_mut() {
        if first.contains(' ') || first.contains('\\') {
            *first = format!("\"{first}\"");
        }
    }
    let command_line = words.join(" ");
    let (comment, cmd) = match syntax {
        Syntax::Fish => ("#", format!("eval ({command_line})")),
        Syntax::PowerShell => ("#", format!("& {command_line} | Invoke-Expression")),
        Syntax::Cmd => (
            "REM",
            format!("\t@FOR /f \"tokens=*\" %i IN ('{command_line}') DO @%i"),
        ),
        Syntax::Emacs => (
            ";;",
            format!(
                "(with-temp-buffer (shell-command \"{command_line}\" (current-buffer)) (eval-buffer))"
            ),
        ),
        Syntax::Tcsh => (":", format!("eval `{command_line}`")),
        Syntax::Posix => ("#", format!("eval $({command_line})")),
    };
    format!("{comment} Run this command to configure your shell: \n{comment} {cmd}\n")
}

/// POSIX sh double quotes: `\`, `"`, `$` and `` ` `` are backslash-escaped; everything
/// else (newlines included) is literal inside them.
pub fn quote_posix(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// fish double quotes: `\`, `"` and `$` are backslash-escaped. A line break is written
/// as an unquoted `\n` between two quoted parts, because `eval (...)` splits the output
/// into lines.
pub fn quote_fish(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '\\' | '"' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\"\\n\""),
            '\r' => out.push_str("\"\\r\""),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// PowerShell double quotes: the escape character is the backtick; `` ` ``, `"`, `$` and
/// the typographic double quotes PowerShell also ends strings with are escaped; line
/// breaks become `` `n `` / `` `r `` (each output line is evaluated on its own).
pub fn quote_powershell(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '`' | '"' | '$' | '\u{201C}' | '\u{201D}' | '\u{201E}' => {
                out.push('`');
                out.push(c);
            }
            '\n' => out.push_str("`n"),
            '\r' => out.push_str("`r"),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// tcsh: inside double quotes a backslash is literal but `$`, `` ` ``, `"` and `!` are
/// not, so each of those closes the quotes, is backslash-escaped, and the quotes reopen
/// (`"a"\$"b"`). tcsh's backquote evaluation splits lines into words, so a line break
/// in a value cannot survive `eval` whatever the quoting; it is left as it is.
pub fn quote_tcsh(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '$' | '`' | '"' | '!') {
            out.push('"');
            out.push('\\');
            out.push(c);
            out.push('"');
        } else {
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// An Emacs Lisp string literal.
pub fn quote_elisp(value: &str) -> String {
    format!("\"{}\"", escape_elisp(value))
}

fn escape_elisp(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '"') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Go's `%q` / `strconv.Quote`: double quotes, `\\` and `\"`, the C escapes for control
/// characters, `\xNN` / `\uNNNN` for other non-printable characters.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The shell detected when `--shell` is not given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detected {
    /// The shell's name (`bash`, `fish`, `cmd`...), to be read with [`Syntax::from_name`].
    pub name: String,
    /// Text the original printed to stdout before the variables (already ending in a
    /// blank line), when it could not tell the shell.
    pub notice: Option<&'static str>,
}

/// Printed when `$SHELL` is empty on Unix; sh/bash syntax follows.
pub const UNIX_NOTICE: &str = "The default lines below are for a sh/bash shell, you can specify the shell you're using, with the --shell flag.\n\n";

/// Printed on Windows when neither the parent nor the grandparent process is a known shell.
pub const WINDOWS_NOTICE: &str =
    "You can further specify your shell with either 'cmd' or 'powershell' with the --shell flag.\n\n";

/// Detect the user's shell from the environment (and, on Windows, the parent processes).
pub fn detect() -> Detected {
    let shell = std::env::var("SHELL").unwrap_or_default();
    let fish_dir = std::env::var("__fish_bin_dir").unwrap_or_default();
    if cfg!(windows) {
        let parents = if shell.is_empty() {
            windows::ancestor_names()
        } else {
            Vec::new()
        };
        let prompt_set = std::env::var_os("PROMPT").is_some_and(|p| !p.is_empty());
        detect_windows(&shell, &fish_dir, prompt_set, &parents)
    } else {
        detect_unix(&shell)
    }
}

/// Unix: the basename of `$SHELL`; an empty `$SHELL` means sh, with [`UNIX_NOTICE`].
pub fn detect_unix(shell: &str) -> Detected {
    if shell.is_empty() {
        return Detected {
            name: "sh".into(),
            notice: Some(UNIX_NOTICE),
        };
    }
    Detected {
        name: base_name(shell, false),
        notice: None,
    }
}

/// Windows: `$SHELL` set (a Unix-like shell such as Git Bash or Cygwin) -> fish when
/// `__fish_bin_dir` is set, else its basename. Otherwise the parent, then the
/// grandparent process image name (`ancestors`, nearest first): PowerShell (Windows
/// PowerShell or `pwsh`) or cmd; neither -> [`WINDOWS_NOTICE`] and the original's
/// guess: cmd when `PROMPT` is set (cmd sets it for its children, PowerShell does not),
/// else PowerShell.
pub fn detect_windows(
    shell: &str,
    fish_bin_dir: &str,
    prompt_set: bool,
    ancestors: &[String],
) -> Detected {
    if !shell.is_empty() {
        let name = if fish_bin_dir.is_empty() {
            base_name(shell, true)
        } else {
            "fish".into()
        };
        return Detected { name, notice: None };
    }
    for image in ancestors.iter().take(2) {
        let image = image.to_lowercase();
        if image.contains("powershell") || image.contains("pwsh") {
            return Detected {
                name: "powershell".into(),
                notice: None,
            };
        }
        if image.contains("cmd") {
            return Detected {
                name: "cmd".into(),
                notice: None,
            };
        }
    }
    Detected {
        name: if prompt_set { "cmd" } else { "powershell" }.into(),
        notice: if ancestors.len() >= 2 {
            Some(WINDOWS_NOTICE)
        } else {
            // The original guessed silently when a process could not be looked up.
            None
        },
    }
}

/// Go's `filepath.Base`: the last element, trailing separators ignored; `.` for empty.
fn base_name(path: &str, windows_separators: bool) -> String {
    let is_sep = |c: char| c == '/' || (windows_separators && c == '\\');
    let trimmed = path.trim_end_matches(is_sep);
    if trimmed.is_empty() {
        return if path.is_empty() {
            ".".into()
        } else {
            "/".into()
        };
    }
    let trimmed = if windows_separators {
        // A volume name (`C:`) is not part of the base.
        match trimmed.as_bytes() {
            [d, b':', ..] if d.is_ascii_alphabetic() => &trimmed[2..],
            _ => trimmed,
        }
    } else {
        trimmed
    };
    trimmed
        .rsplit(is_sep)
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(".")
        .to_string()
}

#[cfg(windows)]
mod windows {
    //! The parent and grandparent process image names, from a Toolhelp snapshot (as the
    //! original's `getNameAndItsPpid`).

    use std::ffi::c_void;

    const TH32CS_SNAPPROCESS: u32 = 0x2;
    const INVALID_HANDLE_VALUE: isize = -1;
    const MAX_PATH: usize = 260;

    #[repr(C)]
    struct ProcessEntry32W {
        dw_size: u32,
        cnt_usage: u32,
        th32_process_id: u32,
        th32_default_heap_id: usize,
        th32_module_id: u32,
        cnt_threads: u32,
        th32_parent_process_id: u32,
        pc_pri_class_base: i32,
        dw_flags: u32,
        sz_exe_file: [u16; MAX_PATH],
    }

    #[link(name = "kernel32")]
    extern "system" {
        fn CreateToolhelp32Snapshot(flags: u32, process_id: u32) -> *mut c_void;
        fn Process32FirstW(snapshot: *mut c_void, entry: *mut ProcessEntry32W) -> i32;
        fn Process32NextW(snapshot: *mut c_void, entry: *mut ProcessEntry32W) -> i32;
        fn CloseHandle(handle: *mut c_void) -> i32;
    }

    /// (pid, parent pid, image name) of every process.
    fn processes() -> Vec<(u32, u32, String)> {
        let mut out = Vec::new();
        // SAFETY: plain Win32 calls; the entry is initialised with its size as required
        // and the handle is closed before returning.
        unsafe {
            let snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
            if snap.is_null() || snap as isize == INVALID_HANDLE_VALUE {
                return out;
            }
            let mut entry: ProcessEntry32W = std::mem::zeroed();
            entry.dw_size = std::mem::size_of::<ProcessEntry32W>() as u32;
            let mut ok = Process32FirstW(snap, &mut entry);
            while ok != 0 {
                let len = entry
                    .sz_exe_file
                    .iter()
                    .position(|&c| c == 0)
                    .unwrap_or(MAX_PATH);
                out.push((
                    entry.th32_process_id,
                    entry.th32_parent_process_id,
                    String::from_utf16_lossy(&entry.sz_exe_file[..len]),
                ));
                ok = Process32NextW(snap, &mut entry);
            }
            CloseHandle(snap);
        }
        out
    }

    /// Image names of the parent and grandparent processes, nearest first; shorter when
    /// one cannot be found.
    pub fn ancestor_names() -> Vec<String> {
        let procs = processes();
        let find = |pid: u32| procs.iter().find(|p| p.0 == pid);
        let mut names = Vec::new();
        let Some(me) = find(std::process::id()) else {
            return names;
        };
        let mut pid = me.1;
        for _ in 0..2 {
            match find(pid) {
                Some(p) => {
                    names.push(p.2.clone());
                    pid = p.1;
                }
                None => break,
            }
        }
        names
    }
}

#[cfg(not(windows))]
mod windows {
    pub fn ancestor_names() -> Vec<String> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn set_lines_plain_values_are_the_originals() {
        let cases = [
            (Syntax::Posix, "export DOCKER_HOST=\"tcp://1.2.3.4:2376\"\n"),
            (
                Syntax::Fish,
                "set -gx DOCKER_HOST \"tcp://1.2.3.4:2376\";\n",
            ),
            (
                Syntax::PowerShell,
                "$Env:DOCKER_HOST = \"tcp://1.2.3.4:2376\"\n",
            ),
            (Syntax::Cmd, "SET DOCKER_HOST=tcp://1.2.3.4:2376\n"),
            (Syntax::Tcsh, "setenv DOCKER_HOST \"tcp://1.2.3.4:2376\";\n"),
            (
                Syntax::Emacs,
                "(setenv \"DOCKER_HOST\" \"tcp://1.2.3.4:2376\")\n",
            ),
        ];
        for (syntax, want) in cases {
            assert_eq!(
                set_line(syntax, "DOCKER_HOST", "tcp://1.2.3.4:2376").unwrap(),
                want
            );
        }
        // Windows paths keep their backslashes where the shell takes them literally.
        let win = r"C:\Users\alice\.docker\machine\machines\dev";
        assert_eq!(
            set_line(Syntax::Cmd, "DOCKER_CERT_PATH", win).unwrap(),
            format!("SET DOCKER_CERT_PATH={win}\n")
        );
        assert_eq!(
            set_line(Syntax::PowerShell, "DOCKER_CERT_PATH", win).unwrap(),
            format!("$Env:DOCKER_CERT_PATH = \"{win}\"\n")
        );
    }

    #[test]
    fn unset_lines() {
        let cases = [
            (Syntax::Posix, "unset X\n"),
            (Syntax::Fish, "set -e X;\n"),
            (Syntax::PowerShell, "Remove-Item Env:\\\\X\n"),
            (Syntax::Cmd, "SET X=\n"),
            (Syntax::Tcsh, "unsetenv X;\n"),
            (Syntax::Emacs, "(setenv \"X\" nil)\n"),
        ];
        for (syntax, want) in cases {
            assert_eq!(unset_line(syntax, "X"), want);
        }
    }

    #[test]
    fn special_values_are_escaped() {
        let v = "a b\"c$d`e\\f!g";
        assert_eq!(quote_posix(v), r#""a b\"c\$d\`e\\f!g""#);
        assert_eq!(quote_fish(v), r#""a b\"c\$d`e\\f!g""#);
        assert_eq!(quote_powershell(v), r#""a b`"c`$d``e\f!g""#);
        assert_eq!(quote_tcsh(v), r#""a b"\""c"\$"d"\`"e\f"\!"g""#);
        assert_eq!(quote_elisp(v), r#""a b\"c$d`e\\f!g""#);
        assert_eq!(quote_fish("a\nb"), "\"a\"\\n\"b\"");
        assert_eq!(quote_powershell("a\nb\u{201C}"), "\"a`nb`\u{201C}\"");
        assert!(set_line(Syntax::Cmd, "X", "a\nb").is_err());
    }

    #[test]
    fn hints() {
        let a = args(&["docker-machine", "env", "dev"]);
        assert_eq!(
            usage_hint(Syntax::Posix, &a),
            "# Run this command to configure your shell: \n# eval $(docker-machine env dev)\n"
        );
        assert_eq!(
            usage_hint(Syntax::Fish, &a),
            "# Run this command to configure your shell: \n# eval (docker-machine env dev)\n"
        );
        assert_eq!(
            usage_hint(Syntax::PowerShell, &a),
            "# Run this command to configure your shell: \n# & docker-machine env dev | Invoke-Expression\n"
        );
        assert_eq!(
            usage_hint(Syntax::Cmd, &a),
            "REM Run this command to configure your shell: \nREM \t@FOR /f \"tokens=*\" %i IN ('docker-machine env dev') DO @%i\n"
        );
        assert_eq!(
            usage_hint(Syntax::Tcsh, &a),
            ": Run this command to configure your shell: \n: eval `docker-machine env dev`\n"
        );
        assert_eq!(
            usage_hint(Syntax::Emacs, &a),
            ";; Run this command to configure your shell: \n;; (with-temp-buffer (shell-command \"docker-machine env dev\" (current-buffer)) (eval-buffer))\n"
        );
        let quoted = args(&[r"C:\Program Files\dm.exe", "env", "--shell", "cmd"]);
        assert!(usage_hint(Syntax::Cmd, &quoted)
            .contains(r#"IN ('"C:\Program Files\dm.exe" env --shell cmd')"#));
        let spaced = args(&["/opt/my tools/docker-machine", "env"]);
        assert!(usage_hint(Syntax::Posix, &spaced)
            .ends_with("# eval $(\"/opt/my tools/docker-machine\" env)\n"));
    }

    #[test]
    fn unix_detection() {
        assert_eq!(detect_unix("/bin/zsh").name, "zsh");
        assert_eq!(detect_unix("/usr/local/bin/fish").notice, None);
        assert_eq!(detect_unix("tcsh").name, "tcsh");
        let empty = detect_unix("");
        assert_eq!(empty.name, "sh");
        assert_eq!(empty.notice, Some(UNIX_NOTICE));
        assert_eq!(Syntax::from_name(&empty.name), Syntax::Posix);
    }

    #[test]
    fn windows_detection() {
        let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            detect_windows(r"C:\Git\bin\bash.exe", "", false, &[]).name,
            "bash.exe"
        );
        assert_eq!(
            detect_windows("/usr/bin/bash", "x", false, &[]).name,
            "fish"
        );
        assert_eq!(
            detect_windows("", "", true, &names(&["pwsh.exe", "explorer.exe"])).name,
            "powershell"
        );
        assert_eq!(
            detect_windows("", "", true, &names(&["docker.exe", "powershell.exe"])).name,
            "powershell"
        );
        assert_eq!(
            detect_windows("", "", true, &names(&["cmd.exe", "x"])).name,
            "cmd"
        );
        let unknown = detect_windows("", "", true, &names(&["a.exe", "b.exe"]));
        assert_eq!(unknown.name, "cmd");
        assert_eq!(unknown.notice, Some(WINDOWS_NOTICE));
        // Without cmd's PROMPT the original guessed PowerShell.
        let unknown = detect_windows("", "", false, &names(&["a.exe", "b.exe"]));
        assert_eq!(unknown.name, "powershell");
        assert_eq!(unknown.notice, Some(WINDOWS_NOTICE));
        assert_eq!(detect_windows("", "", false, &[]).name, "powershell");
        assert_eq!(
            detect_windows("", "", false, &names(&["cmd.exe"])).name,
            "cmd"
        );
    }

    #[test]
    fn go_quoting() {
        assert_eq!(go_quote("/a b/c"), "\"/a b/c\"");
        assert_eq!(go_quote(r#"C:\x"y"#), r#""C:\\x\"y""#);
        assert_eq!(go_quote("a\nb\u{1}"), "\"a\\nb\\x01\"");
        assert_eq!(go_quote("é$"), "\"é$\"");
    }

    #[test]
    fn base_names() {
        assert_eq!(base_name("/bin/bash/", false), "bash");
        assert_eq!(base_name(r"C:\x\y.exe", true), "y.exe");
        assert_eq!(base_name("/", false), "/");
    }
}
