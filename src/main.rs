//! The `galley` binary: parse the command line, dispatch. Logging starts once the command has
//! read its configuration (`[log]`, see `galley::logging`).
use clap::Parser;

fn main() {
    galley::app::allocator::limit_arenas();
    let cli = galley::cli::Cli::parse();
    if let Err(e) = galley::cli::run(cli) {
        eprintln!("error: {}", e.message);
        std::process::exit(e.code);
    }
}
