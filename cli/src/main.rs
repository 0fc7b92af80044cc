//! `lanedsp`: the command-line program.
//!
//! `lanedsp compress` runs the dynamics processor (compressor, gate,
//! expander, upward compressor) over audio files, many files side by side
//! in the SIMD lanes of one call; `lanedsp limit` runs the lookahead
//! limiter the same way, latency compensated. `lanedsp demo` synthesizes a multitrack
//! session, writes it and its processed version as WAV files, and checks
//! that every ISA's output is the same bits. `lanedsp bench` times the
//! kernels on every ISA; `lanedsp info` prints what dispatch sees (with
//! `--routes`, the route each processor takes per call shape).
//! docs/cli.md is the manual.

mod audio;
mod bench;
mod cache;
mod cleanup;
mod compress;
mod demo;
mod limit;
mod master;
mod measure;
mod metering;
mod routes;

use clap::{Parser, Subcommand};
use lanedsp::Isa;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lanedsp",
    version,
    about = "SIMD dynamics processing for many channels at once",
    after_help = "With no command, runs `lanedsp demo`. Exit codes: 0 success, \
                  2 bad options, a file that failed or ISAs that disagree, \
                  130 interrupted. docs/cli.md is the manual."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Compress, gate, expand or upward-compress audio files.
    Compress(Box<compress::Args>),
    /// Limit audio files at a ceiling (lookahead, latency compensated).
    Limit(Box<limit::Args>),
    /// Normalize loudness, optionally compress, then true-peak limit.
    Master(Box<master::Args>),
    /// Measure loudness (BS.1770 / EBU R128), sample and true peaks.
    Measure(measure::Args),
    /// Process a synthetic multi-track session, write it as WAV files and report.
    Demo(demo::Args),
    /// Time the kernels on every ISA this CPU runs.
    Bench(bench::Args),
    /// Show the ISAs this CPU runs and the one dispatch selects.
    Info(InfoArgs),
}

/// Options of `lanedsp info`.
#[derive(clap::Args)]
struct InfoArgs {
    /// Also run each processor once per call shape (channels, layout,
    /// length) and print the route it took.
    #[arg(long)]
    routes: bool,
}

fn info() {
    let selection = lanedsp::isa_selection();
    println!("lanedsp {}", env!("CARGO_PKG_VERSION"));
    println!("available ISAs: {}", names(&lanedsp::available_isas()));
    println!("selected:       {selection}");
    println!(
        "override with:  {}=scalar|avx2|avx512|neon, or --isa on compress, limit and bench",
        lanedsp::ISA_ENV
    );
    println!("\n ISA       channels per register");
    for isa in lanedsp::available_isas() {
        println!(" {:<8}  {:>21}", isa.name(), isa.lanes());
    }
    println!(
        "\nlimits: {} channels per processor, {} channels per link group",
        lanedsp::MAX_CHANNELS,
        lanedsp::MAX_LINK
    );
    println!(
        "planar calls stream (non-temporal stores on AVX-512) from {} floats of output per call",
        lanedsp::STREAM_FLOATS
    );
    println!(
        "calls of few channels and at least {} frames run in chunks in lanes (same bits; \
         the envelope follower and the compressor)",
        lanedsp::CHUNK_MIN_FRAMES
    );
}

/// The exit code of a file command: 0 when every file succeeded, 2 when
/// one failed or the options are bad.
fn exit(result: Result<bool, compress::UsageError>) -> ExitCode {
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(compress::UsageError(e)) => {
            eprintln!("lanedsp: {e}");
            ExitCode::from(2)
        }
    }
}

/// The names of `isas`, comma-separated.
pub(crate) fn names(isas: &[Isa]) -> String {
    isas.iter().map(|i| i.name()).collect::<Vec<_>>().join(", ")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Info(args)) => {
            info();
            if args.routes
                && let Err(e) = routes::print()
            {
                eprintln!("lanedsp: {e}");
                return ExitCode::from(2);
            }
            Ok(())
        }
        Some(Command::Compress(args)) => {
            return match compress::run(&args) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(2),
                Err(compress::UsageError(e)) => {
                    eprintln!("lanedsp: {e}");
                    ExitCode::from(2)
                }
            };
        }
        Some(Command::Limit(args)) => {
            return match limit::run(&args) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(2),
                Err(compress::UsageError(e)) => {
                    eprintln!("lanedsp: {e}");
                    ExitCode::from(2)
                }
            };
        }
        Some(Command::Master(args)) => return exit(master::run(&args)),
        Some(Command::Measure(args)) => return exit(measure::run(&args)),
        Some(Command::Bench(args)) => bench::run(&args),
        Some(Command::Demo(args)) => demo::run(&args),
        None => demo::run(&demo::Args::default()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("lanedsp: {err}");
            ExitCode::from(err.code)
        }
    }
}

/// A command's failure and its exit code.
pub(crate) struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    /// Exit code 2: bad options or input.
    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 2,
        }
    }

    /// Exit code 2 too: the run itself failed (ISAs disagree, I/O).
    pub(crate) fn run(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            code: 2,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<lanedsp::Error> for Failure {
    fn from(e: lanedsp::Error) -> Failure {
        Failure::usage(e.to_string())
    }
}
