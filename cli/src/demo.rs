//! `lanedsp demo`: a synthetic session through the processors, written as
//! WAV files.

use crate::Failure;
use crate::audio::{self, OutFormat, SampleKind};
use crate::cleanup;
use lanedsp::{Compressor, EnvelopeFollower, Isa, LinkMode, Processor, Settings};
use std::path::{Path, PathBuf};
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
    /// Directory the input and processed tracks are written to, as 32-bit
    /// float WAV files (`in/track-NN.wav`, `out/track-NN.wav`).
    #[arg(long, default_value = "lanedsp-demo")]
    out: PathBuf,
    /// Write no files.
    #[arg(long)]
    no_write: bool,
}

impl Default for Args {
    fn default() -> Self {
        Args {
            tracks: 16,
            seconds: 30.0,
            sample_rate: 48_000.0,
            out: PathBuf::from("lanedsp-demo"),
            no_write: false,
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

/// Writes mono float WAV files `dir/track-NN.wav`, each under a temporary
/// name until complete.
fn write_tracks(dir: &Path, tracks: &[Vec<f32>], fs: u32) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::run(format!("cannot create {}: {e}", dir.display())))?;
    for (t, data) in tracks.iter().enumerate() {
        let path = dir.join(format!("track-{t:02}.wav"));
        let temp = cleanup::temp_path(&path);
        if !cleanup::register(&temp) {
            return Err(Failure::run("interrupted"));
        }
        let written = audio::create(&temp, OutFormat::Wav(SampleKind::Float), fs, 1, false)
            .and_then(|mut sink| {
                sink.write(data)?;
                sink.finish()
            });
        match written {
            Ok(()) => cleanup::commit(&temp, &path)
                .map_err(|e| Failure::run(format!("{}: {e}", path.display())))?,
            Err(e) => {
                cleanup::discard(&temp);
                return Err(Failure::run(format!("{}: {e}", path.display())));
            }
        }
    }
    Ok(())
}

/// Runs the demo.
pub fn run(args: &Args) -> Result<(), Failure> {
    let (tracks, fs) = (args.tracks.max(1), args.sample_rate);
    if !(fs.is_finite() && fs >= 1.0 && fs <= u32::MAX as f32) {
        return Err(Failure::usage(format!(
            "--sample-rate {fs} is not a usable rate"
        )));
    }
    let frames = (args.seconds.max(0.0) * fs) as usize;
    println!(
        "lanedsp demo: {tracks} tracks x {:.1} s at {fs} Hz, blocks of {BLOCK} frames",
        args.seconds
    );
    println!("dispatch: {}", lanedsp::isa_selection());
    let input: Vec<Vec<f32>> = (0..tracks).map(|t| track(t, frames, fs)).collect();

    // Envelope of every track at once, then a linked-pair bus compressor,
    // on every ISA; all must agree exactly.
    let envelopes = on_every_isa(&input, BLOCK, |isa| {
        EnvelopeFollower::new(fs, tracks, 0.001, 0.100)?.with_isa(isa)
    })?;
    let pairs: Vec<Vec<usize>> = (0..tracks / 2).map(|p| vec![2 * p, 2 * p + 1]).collect();
    let settings = Settings {
        threshold_db: -24.0,
        ..Settings::compressor()
    };
    let compressed = on_every_isa(&input, BLOCK, |isa| {
        let mut comp = Compressor::new(fs, tracks, settings)?.with_isa(isa)?;
        comp.set_links(&pairs, 1.0, LinkMode::Max)?;
        Ok(comp)
    })?;
    // Peak gain reduction per track (identical on every ISA).
    let meters = &compressed.runs[0].meters;
    let exact = envelopes.exact && compressed.exact;
    let reference = &envelopes.runs[0].output;
    let squashed = &compressed.runs[0].output;

    println!(
        "\n track   peak dBFS   RMS dBFS   envelope max dBFS   max reduction dB   out peak dBFS"
    );
    for (t, ((x, e), y)) in input.iter().zip(reference).zip(squashed).enumerate() {
        let peak = |v: &[f32]| v.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let rms =
            (x.iter().map(|v| f64::from(v * v)).sum::<f64>() / x.len().max(1) as f64).sqrt() as f32;
        println!(
            " {t:>5}   {:>9.1}   {:>8.1}   {:>17.1}   {:>16.1}   {:>13.1}",
            dbfs(peak(x)),
            dbfs(rms),
            dbfs(peak(e)),
            meters.get(t).copied().unwrap_or(0.0),
            dbfs(peak(y)),
        );
    }
    let samples = (tracks * frames) as f64;
    for (name, set) in [
        ("envelope follower", &envelopes),
        ("compressor (linked pairs)", &compressed),
    ] {
        let slowest = set.runs.iter().map(|r| r.seconds).fold(0.0f64, f64::max);
        println!("\n {name}\n ISA       ns/sample-channel   x realtime   speed vs slowest");
        for run in &set.runs {
            println!(
                " {:<8}  {:>17.3}   {:>10.0}   {:>15.1}x",
                run.isa.name(),
                run.seconds * 1e9 / samples,
                frames as f64 / fs as f64 * tracks as f64 / run.seconds.max(1e-12),
                slowest / run.seconds.max(1e-12)
            );
        }
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
        return Err(Failure::run("ISA outputs differ"));
    }
    if !args.no_write {
        cleanup::install_handler();
        let rate = fs.round() as u32;
        write_tracks(&args.out.join("in"), &input, rate)?;
        write_tracks(&args.out.join("out"), squashed, rate)?;
        println!(
            "wrote {} input and {} compressed tracks (32-bit float WAV) to {}",
            tracks,
            tracks,
            args.out.join("{in,out}").display()
        );
    }
    Ok(())
}

/// One ISA's run: its time, output and (for the compressor) meters.
struct Run {
    isa: Isa,
    seconds: f64,
    output: Vec<Vec<f32>>,
    meters: Vec<f32>,
}

/// Every available ISA's run, and whether all outputs are bit-identical.
struct Runs {
    runs: Vec<Run>,
    exact: bool,
}

/// Processes `input` (planar, in place, `block` frames per call as a host
/// would) with a processor `make` builds for each available ISA.
fn on_every_isa<P: Processor + Meters>(
    input: &[Vec<f32>],
    block: usize,
    make: impl Fn(Isa) -> lanedsp::Result<P>,
) -> lanedsp::Result<Runs> {
    let frames = input.first().map_or(0, Vec::len);
    let mut runs = Vec::new();
    for isa in lanedsp::available_isas() {
        let mut proc = make(isa)?;
        let mut output = input.to_vec();
        let start = Instant::now();
        let mut at = 0;
        while at < frames {
            let end = frames.min(at + block);
            let mut part: Vec<&mut [f32]> = output.iter_mut().map(|c| &mut c[at..end]).collect();
            proc.process_planar_in_place(&mut part)?;
            at = end;
        }
        let seconds = start.elapsed().as_secs_f64();
        runs.push(Run {
            isa,
            seconds,
            output,
            meters: proc.meters(),
        });
    }
    let exact = runs.iter().all(|r| {
        r.output
            .iter()
            .flatten()
            .zip(runs[0].output.iter().flatten())
            .all(|(a, b)| a.to_bits() == b.to_bits())
            && r.meters
                .iter()
                .zip(&runs[0].meters)
                .all(|(a, b)| a.to_bits() == b.to_bits())
    });
    Ok(Runs { runs, exact })
}

/// Per-channel meters a processor reports, for the demo's table.
trait Meters {
    fn meters(&self) -> Vec<f32>;
}

impl Meters for EnvelopeFollower {
    fn meters(&self) -> Vec<f32> {
        self.envelope().to_vec()
    }
}

impl Meters for Compressor {
    fn meters(&self) -> Vec<f32> {
        (0..self.channels())
            .map(|c| self.peak_reduction_db(c))
            .collect()
    }
}
