//! The command-runner seam: how a driver runs an external tool (`powershell.exe`,
//! `VBoxManage`, `qemu-img`...). Drivers hold an `Arc<dyn CommandRunner>`; the real one is
//! [`SystemRunner`] (`std::process::Command`), tests load a [`ScriptedRunner`] with the exact
//! commands they expect and the answers to give, so a driver for a tool that cannot run
//! here (Hyper-V, VirtualBox) is still tested command by command.
//!
//! A test gives the driver the script (`with_runner`), runs the operation, and checks
//! that every expected command ran (the qemu driver's tests do this with `qemu-img`):
//!
//! ```
//! use libmachine::runner::{Cmd, CommandRunner, ScriptedRunner};
//! let qemu_img = ScriptedRunner::new();
//! qemu_img.ok("qemu-img", ["create", "-q", "-f", "qcow2", "disk.qcow2", "20000M"], "");
//! // What `QemuDriver::new(..).with_runner(qemu_img.clone())` runs to make a disk:
//! let out = qemu_img.run(&Cmd::new("qemu-img", ["create", "-q", "-f", "qcow2", "disk.qcow2", "20000M"]));
//! assert!(out.unwrap().success());
//! qemu_img.finish(); // panics if an expected command never ran
//! ```

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Write};
use std::process::Stdio;
use std::sync::{Arc, Mutex};

/// One run of an external program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd {
    pub program: String,
    pub args: Vec<String>,
    /// Bytes fed to the program's standard input (none: stdin is empty).
    pub stdin: Option<Vec<u8>>,
}

impl Cmd {
    pub fn new<S: AsRef<str>>(program: &str, args: impl IntoIterator<Item = S>) -> Cmd {
        Cmd {
            program: program.to_string(),
            args: args.into_iter().map(|a| a.as_ref().to_string()).collect(),
            stdin: None,
        }
    }

    pub fn with_stdin(mut self, data: Vec<u8>) -> Cmd {
        self.stdin = Some(data);
        self
    }
}

impl fmt::Display for Cmd {
    /// The program and its arguments, each argument with spaces or quotes in Go's `%q`
    /// style so a transcript shows exactly where one argument ends.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.program)?;
        for a in &self.args {
            if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '"') {
                write!(f, " {a:?}")?;
            } else {
                write!(f, " {a}")?;
            }
        }
        Ok(())
    }
}

/// What a finished program left: its exit code (`None` when killed by a signal) and output.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Output {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Exit code 0 with this standard output.
    pub fn ok(stdout: &str) -> Output {
        Output {
            code: Some(0),
            stdout: stdout.to_string(),
            stderr: String::new(),
        }
    }

    /// A failure: this exit code and standard error.
    pub fn fail(code: i32, stderr: &str) -> Output {
        Output {
            code: Some(code),
            stdout: String::new(),
            stderr: stderr.to_string(),
        }
    }

    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs external programs. `Err` means the program could not be started at all (not
/// installed: `io::ErrorKind::NotFound`); a program that ran and failed is an `Ok` with a
/// non-zero code.
pub trait CommandRunner: Send + Sync {
    fn run(&self, cmd: &Cmd) -> io::Result<Output>;
}

/// The real runner: `std::process::Command`, output captured, stdin fed when given.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRunner;

impl SystemRunner {
    pub fn shared() -> Arc<dyn CommandRunner> {
        Arc::new(SystemRunner)
    }
}

impl CommandRunner for SystemRunner {
    fn run(&self, cmd: &Cmd) -> io::Result<Output> {
        crate::log::debug(&format!("executing: {cmd}"));
        let mut child = std::process::Command::new(&cmd.program)
            .args(&cmd.args)
            .stdin(if cmd.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(data) = &cmd.stdin {
            let mut stdin = child.stdin.take().expect("piped stdin");
            // Written from a thread: a program that answers before reading all of its
            // input must not deadlock against a full pipe.
            let data = data.clone();
            let writer = std::thread::spawn(move || {
                let _ = stdin.write_all(&data);
            });
            let out = child.wait_with_output()?;
            let _ = writer.join();
            return Ok(to_output(out));
        }
        Ok(to_output(child.wait_with_output()?))
    }
}

fn to_output(out: std::process::Output) -> Output {
    Output {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The answer a [`ScriptedRunner`] gives to one expected command.
#[derive(Debug, Clone)]
pub enum Answer {
    /// The program ran and left this.
    Ran(Output),
    /// The program is not installed: `run` fails with `NotFound`.
    Missing,
}

/// A scripted stand-in for a tool that cannot run here. It expects exactly the loaded
/// commands, in order, and panics with the whole transcript on any unexpected command;
/// [`ScriptedRunner::finish`] (and dropping it outside a panic) fails when an expected
/// command was never run.
#[derive(Default)]
pub struct ScriptedRunner {
    script: Mutex<VecDeque<(String, Vec<String>, Answer)>>,
    done: Mutex<Vec<Cmd>>,
}

impl ScriptedRunner {
    pub fn new() -> Arc<ScriptedRunner> {
        Arc::new(ScriptedRunner::default())
    }

    /// Expect `program args...` next and answer it with `answer`.
    pub fn expect<S: AsRef<str>>(
        &self,
        program: &str,
        args: impl IntoIterator<Item = S>,
        answer: Answer,
    ) -> &Self {
        let args = args.into_iter().map(|a| a.as_ref().to_string()).collect();
        self.script
            .lock()
            .unwrap()
            .push_back((program.to_string(), args, answer));
        self
    }

    /// Expect a command that succeeds with this standard output.
    pub fn ok<S: AsRef<str>>(
        &self,
        program: &str,
        args: impl IntoIterator<Item = S>,
        stdout: &str,
    ) -> &Self {
        self.expect(program, args, Answer::Ran(Output::ok(stdout)))
    }

    /// The commands run so far, stdin included.
    pub fn calls(&self) -> Vec<Cmd> {
        self.done.lock().unwrap().clone()
    }

    /// Fail unless every expected command was run.
    pub fn finish(&self) {
        let left = self.script.lock().unwrap();
        if !left.is_empty() {
            let missing: Vec<String> = left
                .iter()
                .map(|(p, a, _)| Cmd::new(p, a).to_string())
                .collect();
            panic!(
                "scripted runner: {} expected command(s) never run:\n  {}\nran:\n{}",
                missing.len(),
                missing.join("\n  "),
                self.transcript()
            );
        }
    }

    fn transcript(&self) -> String {
        self.done
            .lock()
            .unwrap()
            .iter()
            .map(|c| format!("  {c}\n"))
            .collect()
    }
}

impl CommandRunner for ScriptedRunner {
    fn run(&self, cmd: &Cmd) -> io::Result<Output> {
        let next = self.script.lock().unwrap().pop_front();
        let transcript = self.transcript();
        self.done.lock().unwrap().push(cmd.clone());
        match next {
            Some((program, args, answer)) if program == cmd.program && args == cmd.args => {
                match answer {
                    Answer::Ran(out) => Ok(out),
                    Answer::Missing => Err(io::Error::new(
                        io::ErrorKind::NotFound,
                        format!("exec: \"{}\": executable file not found", cmd.program),
                    )),
                }
            }
            Some((program, args, _)) => panic!(
                "scripted runner: unexpected command\n  got:      {cmd}\n  expected: {}\nran before:\n{transcript}",
                Cmd::new(&program, &args)
            ),
            None => panic!(
                "scripted runner: unexpected command after the script ended\n  got: {cmd}\nran before:\n{transcript}"
            ),
        }
    }
}

impl Drop for ScriptedRunner {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_runner_answers_in_order_and_records_stdin() {
        let r = ScriptedRunner::new();
        r.ok("tool", ["a", "b c"], "first\n").expect(
            "tool",
            ["x"],
            Answer::Ran(Output::fail(2, "bad")),
        );
        let out = r.run(&Cmd::new("tool", ["a", "b c"])).unwrap();
        assert_eq!(out.stdout, "first\n");
        let out = r
            .run(&Cmd::new("tool", ["x"]).with_stdin(b"in".to_vec()))
            .unwrap();
        assert!(!out.success());
        assert_eq!(out.stderr, "bad");
        assert_eq!(r.calls()[1].stdin.as_deref(), Some(&b"in"[..]));
        assert_eq!(r.calls()[0].to_string(), "tool a \"b c\"");
        r.finish();
    }

    #[test]
    fn scripted_runner_missing_program_is_not_found() {
        let r = ScriptedRunner::new();
        r.expect("powershell.exe", ["-v"], Answer::Missing);
        let err = r.run(&Cmd::new("powershell.exe", ["-v"])).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    #[should_panic(expected = "unexpected command")]
    fn scripted_runner_rejects_an_unexpected_command() {
        let r = ScriptedRunner::new();
        r.ok("tool", ["a"], "");
        let _ = r.run(&Cmd::new("tool", ["b"]));
    }

    #[test]
    #[should_panic(expected = "never run")]
    fn scripted_runner_fails_on_a_missing_command() {
        let r = ScriptedRunner::new();
        r.ok("tool", ["a"], "");
        r.finish();
    }

    #[cfg(unix)]
    #[test]
    fn system_runner_runs_a_real_program_with_stdin() {
        let out = SystemRunner
            .run(&Cmd::new("sh", ["-c", "cat; echo err >&2; exit 3"]).with_stdin(b"hi".to_vec()))
            .unwrap();
        assert_eq!(out.code, Some(3));
        assert_eq!(out.stdout, "hi");
        assert_eq!(out.stderr, "err\n");
        let err = SystemRunner
            .run(&Cmd::new("/nonexistent/tool", Vec::<String>::new()))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
