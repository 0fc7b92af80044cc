//! `lanedsp bench`: the kernels timed on every ISA this CPU runs.

use crate::Failure;
use lanedsp::{
    Band, Compressor, EnvelopeFollower, Equalizer, Isa, Limiter, LimiterSettings, LinkMode,
    LoudnessMeter, Processor, Settings,
};
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

/// One process call of a kernel under test, planar in place.
type Step = Box<dyn FnMut(&mut [&mut [f32]]) -> lanedsp::Result<()>>;

/// A processor as a [`Step`].
fn step<P: Processor + 'static>(mut p: P) -> Step {
    Box::new(move |bufs| p.process_planar_in_place(bufs))
}

/// The kernels timed, by name.
const KERNELS: [&str; 5] = [
    "envelope follower",
    "compressor (linked pairs)",
    "limiter (true peak, 5 ms lookahead, linked pairs)",
    "equalizer (5 bands)",
    "loudness meter (true peak)",
];

/// Linked pairs of `channels` channels.
fn pairs(channels: usize) -> Vec<Vec<usize>> {
    (0..channels / 2).map(|p| vec![2 * p, 2 * p + 1]).collect()
}

/// A fresh processor of kernel `k` for `channels` channels on `isa`.
fn make(k: usize, channels: usize, isa: Isa) -> lanedsp::Result<Step> {
    Ok(match k {
        0 => step(EnvelopeFollower::new(FS, channels, 0.001, 0.100)?.with_isa(isa)?),
        1 => {
            let mut comp = Compressor::new(FS, channels, Settings::compressor())?.with_isa(isa)?;
            if channels > 1 {
                comp.set_links(&pairs(channels), 1.0, LinkMode::Max)?;
            }
            step(comp)
        }
        2 => {
            let settings = LimiterSettings {
                true_peak: true,
                ..LimiterSettings::default()
            };
            step(
                Limiter::new(FS, channels, settings)?
                    .with_isa(isa)?
                    .with_link_groups(&pairs(channels))?,
            )
        }
        3 => {
            let bands = [
                Band::HighPass {
                    freq: 40.0,
                    q: 0.707,
                },
                Band::LowShelf {
                    freq: 120.0,
                    q: 0.707,
                    gain_db: 3.0,
                },
                Band::Peaking {
                    freq: 900.0,
                    q: 1.0,
                    gain_db: -2.0,
                },
                Band::Peaking {
                    freq: 3500.0,
                    q: 2.0,
                    gain_db: 1.5,
                },
                Band::HighShelf {
                    freq: 10_000.0,
                    q: 0.707,
                    gain_db: -3.0,
                },
            ];
            step(Equalizer::new(FS, channels, &bands)?.with_isa(isa)?)
        }
        _ => {
            let mut meter = LoudnessMeter::new(FS, channels)?.with_isa(isa)?;
            Box::new(move |bufs: &mut [&mut [f32]]| {
                let view: Vec<&[f32]> = bufs.iter().map(|b| &**b).collect();
                meter.process_planar(&view)
            })
        }
    })
}

/// Best time of `repeats` runs of a fresh `make()` over `input`, in
/// blocks, planar in place.
fn time(
    input: &[Vec<f32>],
    repeats: usize,
    make: &dyn Fn() -> lanedsp::Result<Step>,
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
            proc(&mut part)?;
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
    for (k, kernel) in KERNELS.iter().enumerate() {
        println!("\n {kernel}");
        println!(
            " channels  ISA       ns/sample-channel   x realtime   speed-up vs {}",
            isas[0].name()
        );
        for &channels in shapes {
            let input = signal(channels, frames);
            let mut base = None;
            for &isa in &isas {
                let seconds_taken = time(&input, repeats, &|| make(k, channels, isa))?;
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
