//! `docker-machine`: create and manage machines running Docker.
//! A drop-in successor of docker-machine 0.16.2; the domain lives in `libmachine`.

mod cli;
mod commands;

fn main() {
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let code = cli::run(argv);
    std::process::exit(code);
}
