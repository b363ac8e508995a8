//! `docker-machine`: create and manage machines running Docker.
//! A drop-in successor of docker-machine 0.16.2; the domain lives in `libmachine`.

mod cli;
mod commands;
mod ssh_tools;

fn main() {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let code = cli::run(argv);
    // Plugins still running (a driver not dropped, an `ls` thread left behind) stop now.
    libmachine::drivers::plugin::close_all();
    std::process::exit(code);
}
