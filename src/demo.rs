//! `lanedsp demo`: a synthetic session through the processors.

use lanedsp::{EnvelopeFollower, Isa, Processor};
use std::time::Instant;

/// Options of `lanedsp demo`.
#[derive(clap::Args)]
pub struct Args {
    /// Number of tracks (channels processed side by side).
    #[arg(long, default_value_t = 16)]
    tracks: usize,
    /// Length of each track in seconds.
    #[arg(long, default_value_t = 30.0)]
    seconds: f32,
    /// Sample rate in Hz.
    #[arg(long, default_value_t = 48_000.0)]
    sample_rate: f32,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            tracks: 16,
            seconds: 30.0,
            sample_rate: 48_000.0,
        }
    }
}

/// Frames per process call, as a host would deliver them.
const BLOCK: usize = 4096;

/// Track `t` of the session: drum-like hits, tones, noise and speech-like
/// bursts, each at its own level.
fn track(t: usize, frames: usize, fs: f32) -> Vec<f32> {
    let mut seed = 0x9e37_79b9u32.wrapping_mul(t as u32 + 1);
    let mut noise = move || {
        seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        (seed >> 8) as f32 / (1u32 << 23) as f32 - 1.0
    };
    let level = 10f32.powf(-((t % 7) as f32) * 3.0 / 20.0);
    let freq = 55.0 * 2f32.powf((t % 12) as f32 / 12.0) * (1 + t % 3) as f32;
    (0..frames)
        .map(|n| {
            let time = n as f32 / fs;
            let x = match t % 4 {
                0 => (-(time % 0.5) * 30.0).exp() * noise(),
                1 => (time * freq * core::f32::consts::TAU).sin(),
                2 => 0.3 * noise(),
                _ => (time * 3.0).sin().max(0.0) * (time * freq * core::f32::consts::TAU).sin(),
            };
            x * level
        })
        .collect()
}

fn dbfs(x: f32) -> f32 {
    20.0 * x.max(1e-12).log10()
}

pub fn run(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let (tracks, fs) = (args.tracks.max(1), args.sample_rate);
    let frames = (args.seconds.max(0.0) * fs) as usize;
    println!(
        "lanedsp demo: {tracks} tracks x {:.1} s at {fs} Hz, blocks of {BLOCK} frames",
        args.seconds
    );
    println!("dispatch: {}", lanedsp::isa_selection());
    let input: Vec<Vec<f32>> = (0..tracks).map(|t| track(t, frames, fs)).collect();

    // Envelope of every track at once, on every ISA; all must agree exactly.
    let mut results: Vec<(Isa, f64, Vec<Vec<f32>>)> = Vec::new();
    for isa in lanedsp::available_isas() {
        let mut env = EnvelopeFollower::new(fs, tracks, 0.001, 0.100)?.with_isa(isa)?;
        let mut output = input.clone();
        let start = Instant::now();
        let mut at = 0;
        while at < frames {
            let end = frames.min(at + BLOCK);
            let mut block: Vec<&mut [f32]> = output.iter_mut().map(|c| &mut c[at..end]).collect();
            env.process_planar_in_place(&mut block)?;
            at = end;
        }
        results.push((isa, start.elapsed().as_secs_f64(), output));
    }
    let (_, _, reference) = &results[0];
    let exact = results.iter().all(|(_, _, out)| {
        out.iter()
            .flatten()
            .zip(reference.iter().flatten())
            .all(|(a, b)| a.to_bits() == b.to_bits())
    });

    println!("\n track   peak dBFS   RMS dBFS   envelope max dBFS");
    for (t, (x, e)) in input.iter().zip(reference).enumerate() {
        let peak = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let rms =
            (x.iter().map(|v| f64::from(v * v)).sum::<f64>() / x.len().max(1) as f64).sqrt() as f32;
        let emax = e.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        println!(
            " {t:>5}   {:>9.1}   {:>8.1}   {:>17.1}",
            dbfs(peak),
            dbfs(rms),
            dbfs(emax)
        );
    }
    let samples = (tracks * frames) as f64;
    let slowest = results.iter().map(|r| r.1).fold(0.0f64, f64::max);
    println!("\n ISA       ns/sample-channel   x realtime   speed vs slowest");
    for (isa, secs, _) in &results {
        println!(
            " {:<8}  {:>17.3}   {:>10.0}   {:>15.1}x",
            isa.name(),
            secs * 1e9 / samples,
            frames as f64 / fs as f64 * tracks as f64 / secs.max(1e-12),
            slowest / secs.max(1e-12)
        );
    }
    println!(
        "\nall ISAs bit-identical: {}",
        if exact {
            "yes"
        } else {
            "NO (please report this)"
        }
    );
    if !exact {
        return Err("ISA outputs differ".into());
    }
    Ok(())
}
