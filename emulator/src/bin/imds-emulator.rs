//! `imds-emulator`: the IMDSv2 emulator as a process, for test suites in any language.
//!
//! Prints one JSON line, `{"endpoint":...,"admin":...,"pid":...}`, once listening; serves
//! until SIGINT or SIGTERM (or end of stdin with `--exit-on-stdin-eof`).

use clap::Parser;

/// A faithful IMDSv2 emulator with an admin API on a separate port.
#[derive(Parser)]
#[command(name = "imds-emulator", version, about)]
struct Cli {
    #[command(flatten)]
    options: imds_emulator::ForegroundOptions,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match imds_emulator::run_foreground(cli.options) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("imds-emulator: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}
