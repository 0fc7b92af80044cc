//! `lanedsp bench`: the kernels timed on every ISA this CPU runs.

use crate::Failure;
use lanedsp::{Compressor, EnvelopeFollower, Isa, LinkMode, Processor, Settings};
use std::time::Instant;

/// Options of `lanedsp bench`.
#[derive(clap::Args)]
pub struct Args {
    /// A short run (under 30 s): fewer shapes, less audio, one repeat.
    #[arg(long)]
    quick: bool,
    /// Only this ISA (default: every available one).
    #[arg(long)]
    isa: Option<String>,
}

/// Sample rate of the benchmark signals.
const FS: f32 = 48_000.0;
/// Frames per process call.
const BLOCK: usize = 4096;

/// A deterministic test signal: noise bursts at varying levels.
fn signal(channels: usize, frames: usize) -> Vec<Vec<f32>> {
    (0..channels)
        .map(|c| {
            let mut seed = 0x2545_f491u32.wrapping_add(c as u32 * 7919);
            (0..frames)
                .map(|n| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    let level = if (n / 4800 + c) % 3 == 0 { 0.9 } else { 0.05 };
                    ((seed >> 8) as f32 / (1u32 << 23) as f32 - 1.0) * level
                })
                .collect()
        })
        .collect()
}

/// Best time of `repeats` runs of `make()`'s processor over `input`, in
/// blocks, planar in place.
fn time<P: Processor>(
    input: &[Vec<f32>],
    repeats: usize,
    make: &dyn Fn() -> lanedsp::Result<P>,
) -> lanedsp::Result<f64> {
    let frames = input.first().map_or(0, Vec::len);
    let mut best = f64::INFINITY;
    for _ in 0..repeats {
        let mut proc = make()?;
        let mut data = input.to_vec();
        let start = Instant::now();
        let mut at = 0;
        while at < frames {
            let end = frames.min(at + BLOCK);
            let mut part: Vec<&mut [f32]> = data.iter_mut().map(|c| &mut c[at..end]).collect();
            proc.process_planar_in_place(&mut part)?;
            at = end;
        }
        best = best.min(start.elapsed().as_secs_f64());
        std::hint::black_box(&data);
    }
    Ok(best)
}

/// Runs the benchmark and prints its tables.
pub fn run(args: &Args) -> Result<(), Failure> {
    let isas: Vec<Isa> = match &args.isa {
        Some(name) => {
            vec![crate::compress::isa_option(Some(name)).map_err(|e| Failure::usage(e.0))?]
        }
        None => lanedsp::available_isas(),
    };
    let (shapes, seconds, repeats): (&[usize], f32, usize) = if args.quick {
        (&[2, 16], 2.0, 1)
    } else {
        (&[1, 2, 8, 16, 64], 10.0, 3)
    };
    let frames = (seconds * FS) as usize;
    println!(
        "lanedsp bench{}: {seconds} s at {FS} Hz per channel, blocks of {BLOCK} frames, planar in place, best of {repeats}",
        if args.quick { " --quick" } else { "" }
    );
    println!("dispatch: {}", lanedsp::isa_selection());
    let started = Instant::now();
    for kernel in ["envelope follower", "compressor (linked pairs)"] {
        println!("\n {kernel}");
        println!(
            " channels  ISA       ns/sample-channel   x realtime   speed-up vs {}",
            isas[0].name()
        );
        for &channels in shapes {
            let input = signal(channels, frames);
            let mut base = None;
            for &isa in &isas {
                let seconds_taken = if kernel.starts_with("envelope") {
                    time(&input, repeats, &|| {
                        EnvelopeFollower::new(FS, channels, 0.001, 0.100)?.with_isa(isa)
                    })?
                } else {
                    time(&input, repeats, &|| {
                        let mut comp =
                            Compressor::new(FS, channels, Settings::compressor())?.with_isa(isa)?;
                        let pairs: Vec<Vec<usize>> =
                            (0..channels / 2).map(|p| vec![2 * p, 2 * p + 1]).collect();
                        if !pairs.is_empty() {
                            comp.set_links(&pairs, 1.0, LinkMode::Max)?;
                        }
                        Ok(comp)
                    })?
                };
                let base_time = *base.get_or_insert(seconds_taken);
                let samples = (channels * frames) as f64;
                println!(
                    " {channels:>8}  {:<8}  {:>17.3}   {:>10.0}   {:>10.2}x",
                    isa.name(),
                    seconds_taken * 1e9 / samples,
                    f64::from(seconds) * channels as f64 / seconds_taken.max(1e-12),
                    base_time / seconds_taken.max(1e-12),
                );
            }
        }
    }
    println!(
        "\n x realtime: seconds of one channel's audio processed per second of wall time; took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
