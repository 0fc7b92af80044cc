//! `lanedsp`: the command-line program.
//!
//! `lanedsp demo` synthesizes a set of tracks, runs them through the
//! processors in one batched call per block (every track in its own SIMD
//! lane), checks that every ISA's output is the same bits, and
//! prints a per-track summary and the speed of each ISA. `lanedsp info`
//! prints what dispatch sees on this CPU.

mod demo;

use clap::{Parser, Subcommand};
use lanedsp::Isa;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "lanedsp",
    version,
    about = "SIMD dynamics processing for many channels at once"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Process a synthetic multi-track session and report (needs no input).
    Demo(demo::Args),
    /// Show the ISAs this CPU runs and the one dispatch selects.
    Info,
}

fn info() {
    let selection = lanedsp::isa_selection();
    println!("available ISAs: {}", names(&lanedsp::available_isas()));
    println!("selected:       {selection}");
    println!(
        "override with:  {}=scalar|avx2|avx512|neon",
        lanedsp::ISA_ENV
    );
}

fn names(isas: &[Isa]) -> String {
    isas.iter().map(|i| i.name()).collect::<Vec<_>>().join(", ")
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Info) => {
            info();
            Ok(())
        }
        Some(Command::Demo(args)) => demo::run(&args),
        None => demo::run(&demo::Args::default()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("lanedsp: {err}");
            ExitCode::from(2)
        }
    }
}
