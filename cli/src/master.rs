//! `lanedsp master`: loudness normalization, optional compression and a
//! true-peak limiter in one command, over many files.
//!
//! Every pass streams, files of one sample rate side by side in lanes:
//! 1. measure: the integrated loudness and peaks of every file
//!    ([`metering::meter_batch`]); its gain is `target - integrated` dB
//!    (0 dB for a file that is silent under the gate);
//! 2. correct: files whose peak after that gain reaches the ceiling (all
//!    files with `--compress`) run through their chain unwritten, their
//!    output metered, and their gain corrected until the output is within
//!    0.05 LU of the target ([`Setup::plan_batch`]);
//! 3. process: each file's channels are multiplied by its gain, then, with
//!    `--compress`, the compressor of `lanedsp compress`, then the
//!    lookahead limiter at the ceiling (true peak unless `--sample-peak`),
//!    through the same batched driver as the other file commands (`-j`
//!    threads, temporary names, latency compensated). A file's output does
//!    not depend on its batch, so the loudness pass 2 measured is the
//!    written file's.
//!
//! Files decoded by the first pass are kept in memory for the others, up
//! to `--cache-mb` ([`crate::cache`]).

use crate::audio::Info;
use crate::compress::{self, Command, Curve, Dsp, Inputs, LinkArg, Output, Placement, UsageError};
use crate::limit;
use crate::metering::{self, FileReadings};
use lanedsp::{Compressor, Isa, Limiter, LimiterSettings, LinkMode, Processor, Settings, Time};
use rayon::prelude::*;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Options of `lanedsp master`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    inputs: Inputs,
    /// Integrated loudness of the outputs, LUFS.
    #[arg(long, default_value_t = -14.0, allow_hyphen_values = true)]
    target_lufs: f32,
    /// Limiter ceiling in dBTP (dBFS with --sample-peak).
    #[arg(long, default_value_t = -1.0, allow_hyphen_values = true)]
    ceiling_db: f32,
    /// Limit inter-sample (true) peaks: the default; accepted for clarity.
    #[arg(long, conflicts_with = "sample_peak")]
    true_peak: bool,
    /// Limit sample peaks only (no oversampled detection).
    #[arg(long)]
    sample_peak: bool,
    /// Limiter lookahead in milliseconds (its latency, compensated).
    #[arg(long, default_value_t = 5.0)]
    lookahead_ms: f32,
    /// Limiter release time constant in milliseconds.
    #[arg(long, default_value_t = 50.0)]
    limiter_release_ms: f32,
    /// Memory for decoded audio kept between the passes, in MiB: files that
    /// fit are decoded once instead of once per pass (measure, each
    /// correction, write); 0 decodes on every pass.
    #[arg(long, default_value_t = 1024)]
    cache_mb: usize,
    /// Compress after the loudness gain, with the compressor options below
    /// (the threshold applies to the normalized signal).
    #[arg(long)]
    compress: bool,
    #[command(flatten)]
    curve: Curve,
    #[command(flatten)]
    output: Output,
}

/// The limiter settings of the options.
fn limiter_settings(args: &Args) -> Result<LimiterSettings, UsageError> {
    let s = LimiterSettings {
        ceiling_db: args.ceiling_db,
        lookahead: args.lookahead_ms / 1000.0,
        release: Time::Seconds(args.limiter_release_ms / 1000.0),
        true_peak: !args.sample_peak,
        input_gain_db: 0.0,
        link_amount: 1.0,
    };
    Limiter::new(48_000.0, 1, s).map_err(|e| UsageError(format!("invalid settings: {e}")))?;
    Ok(s)
}

/// What every chain of a run shares.
struct Setup {
    limiter: LimiterSettings,
    compressor: Option<Settings>,
    link: LinkArg,
    link_mode: LinkMode,
    isa: Isa,
    target: f32,
}

impl Setup {
    /// The chain of `lanes` lanes at `fs` Hz holding files at `(first
    /// lane, channels, gain)`.
    /// `measured`: whether the chain measures its gain reduction.
    fn chain(
        &self,
        fs: u32,
        lanes: usize,
        files: &[(usize, usize, f32)],
        measured: bool,
    ) -> Result<Chain, String> {
        let mut gains = vec![1.0f32; lanes];
        for &(lane, ch, g) in files {
            gains[lane..lane + ch].fill(g);
        }
        let groups: Vec<Vec<usize>> = files
            .iter()
            .flat_map(|&(lane, ch, _)| limit::groups(self.link, lane, ch))
            .collect();
        let compressor = match self.compressor {
            Some(s) => {
                let mut c = Compressor::new(fs as f32, lanes, s)
                    .and_then(|c| c.with_isa(self.isa))
                    .map_err(|e| format!("cannot build the compressor: {e}"))?;
                if !groups.is_empty() {
                    c.set_links(&groups, 1.0, self.link_mode)
                        .map_err(|e| format!("cannot link the channels: {e}"))?;
                }
                Some(c)
            }
            None => None,
        };
        let lim = Limiter::new(fs as f32, lanes, self.limiter)
            .and_then(|l| l.with_isa(self.isa))
            .and_then(|l| l.with_link_groups(&groups))
            .map_err(|e| format!("cannot build the limiter: {e}"))?;
        Ok(Chain {
            gains,
            compressor,
            limiter: if measured {
                limit::Lanes::new(lim, 1.0)
            } else {
                limit::Lanes::unmeasured(lim)
            },
        })
    }

    /// The plans of a batch of files of sample rate `fs` (`files`: path
    /// and input readings): the gain that brings each file to the target,
    /// corrected (at most [`ROUNDS`] times) until its output is within
    /// [`TOLERANCE_LU`] of it. A file whose peak after the gain stays a
    /// margin under the ceiling meets no limiter (and, without a
    /// compressor, needs no correction). The others run through their
    /// chains, side by side, their outputs metered, and their gains move by
    /// secant steps on output loudness over gain in dB (slope 1 without
    /// limiting, smaller the harder the limiter works).
    fn plan_batch(
        &self,
        fs: u32,
        files: &[(PathBuf, FileReadings)],
    ) -> Vec<Result<Planned, String>> {
        let mut plans: Vec<Result<Planned, String>> = files
            .iter()
            .map(|(_, r)| {
                Ok(match r.all.integrated_lufs {
                    None => Planned {
                        runs: 0,
                        gain_db: 0.0,
                        input_lufs: None,
                        output_lufs: None,
                    },
                    Some(input) => Planned {
                        runs: 0,
                        gain_db: f64::from(self.target) - input,
                        input_lufs: Some(input),
                        output_lufs: Some(f64::from(self.target)),
                    },
                })
            })
            .collect();
        let linear: Vec<f64> = plans
            .iter()
            .map(|p| p.as_ref().map_or(0.0, |p| p.gain_db))
            .collect();
        let mut open: Vec<usize> = (0..files.len())
            .filter(|&i| {
                let r = &files[i].1.all;
                if r.integrated_lufs.is_none() {
                    return false;
                }
                let peak = if self.limiter.true_peak {
                    r.true_peak_dbtp
                } else {
                    r.sample_peak_dbfs
                };
                self.compressor.is_some()
                    || peak.is_some_and(|p| {
                        p + linear[i] >= f64::from(self.limiter.ceiling_db) - HEADROOM_MARGIN_DB
                    })
            })
            .collect();
        let mut previous: Vec<Option<(f64, f64)>> = vec![None; files.len()];
        for round in 0..ROUNDS {
            if open.is_empty() {
                break;
            }
            let paths: Vec<PathBuf> = open.iter().map(|&i| files[i].0.clone()).collect();
            let mut lanes = 0;
            let mut placed = Vec::new();
            for &i in &open {
                let ch = files[i].1.channels;
                let gain = plans[i].as_ref().map_or(1.0, |p| db_to_gain(p.gain_db));
                placed.push((lanes, ch, gain));
                lanes += ch;
            }
            let results = match self.chain(fs, lanes, &placed, false) {
                Ok(mut chain) => {
                    metering::meter_batch(fs, &paths, self.isa, false, Some(&mut chain))
                }
                Err(e) => vec![Err(e); open.len()],
            };
            let mut still = Vec::new();
            for (&i, result) in open.iter().zip(results) {
                let out = match result {
                    Ok(r) => r.all.integrated_lufs,
                    Err(e) => {
                        plans[i] = Err(e);
                        continue;
                    }
                };
                let Ok(plan) = plans[i].as_mut() else {
                    continue;
                };
                plan.output_lufs = out;
                plan.runs += 1;
                let Some(out) = out else { continue };
                let error = f64::from(self.target) - out;
                if error.abs() <= TOLERANCE_LU || round + 1 == ROUNDS {
                    continue;
                }
                let slope = match previous[i] {
                    Some((g, o)) if (plan.gain_db - g).abs() > 1e-6 => {
                        ((out - o) / (plan.gain_db - g)).clamp(MIN_SLOPE, 1.0)
                    }
                    _ => 1.0,
                };
                previous[i] = Some((plan.gain_db, out));
                let next = (plan.gain_db + error / slope).min(linear[i] + MAX_CORRECTION_DB);
                if next <= plan.gain_db + 1e-9 && error > 0.0 {
                    continue; // at the cap: the target is out of reach
                }
                plan.gain_db = next;
                still.push(i);
            }
            open = still;
        }
        plans
    }
}

/// Corrections of a file's gain at most.
const ROUNDS: usize = 6;
/// The smallest slope of output loudness over gain a secant step assumes.
const MIN_SLOPE: f64 = 0.1;
/// The most gain the corrections add to the linear gain, dB: a file that
/// the limiter keeps further below the target stays below it (reported).
const MAX_CORRECTION_DB: f64 = 6.0;
/// How close to the target a simulated output must come, LU.
const TOLERANCE_LU: f64 = 0.05;
/// Headroom under the ceiling that a file's peak after the gain must keep
/// to skip the simulation (covers the rounding of the gain), dB.
const HEADROOM_MARGIN_DB: f64 = 0.01;

/// A gain in dB as a linear factor, computed in `f64` and rounded once.
fn db_to_gain(db: f64) -> f32 {
    10f64.powf(db / 20.0) as f32
}

/// A file's plan: its loudness gain, and its loudness before and after.
#[derive(Clone, Copy, Debug)]
struct Planned {
    gain_db: f64,
    /// Runs of the chain to find the gain (0: none needed).
    runs: usize,
    input_lufs: Option<f64>,
    output_lufs: Option<f64>,
}

/// A batch's chain: per-lane gain, optional compressor, limiter.
struct Chain {
    gains: Vec<f32>,
    compressor: Option<Compressor>,
    limiter: limit::Lanes,
}

impl Dsp for Chain {
    fn process(&mut self, bufs: &mut [&mut [f32]], _key: Option<&[&[f32]]>) -> lanedsp::Result<()> {
        for (buf, &g) in bufs.iter_mut().zip(&self.gains) {
            for x in buf.iter_mut() {
                *x *= g;
            }
        }
        if let Some(c) = self.compressor.as_mut() {
            c.process_planar_in_place(bufs)?;
        }
        self.limiter.process(bufs, None)
    }

    fn latency(&self) -> usize {
        self.limiter.latency()
    }

    /// The compressor's deepest reduction plus the limiter's (a bound of
    /// the chain's deepest).
    fn reduction_db(&self, lane: usize) -> f32 {
        let c = self
            .compressor
            .as_ref()
            .map_or(0.0, |c| c.peak_reduction_db(lane));
        c + self.limiter.reduction_db(lane)
    }
}

/// Runs the command; `Ok(true)` when every file was processed.
pub fn run(args: &Args) -> Result<bool, UsageError> {
    if !args.target_lufs.is_finite() || !(-70.0..=0.0).contains(&args.target_lufs) {
        return Err(UsageError(format!(
            "--target-lufs {} is not between -70 and 0",
            args.target_lufs
        )));
    }
    let limiter = limiter_settings(args)?;
    let compressor = if args.compress {
        Some(compress::settings(&args.curve)?)
    } else {
        None
    };
    let isa = compress::isa_option(args.output.isa.as_deref())?;
    let (jobs, pool) = compress::thread_pool(args.output.jobs)?;
    if args.cache_mb > 0 {
        crate::cache::enable(args.cache_mb.saturating_mul(1 << 20));
    }

    let setup = Setup {
        limiter,
        compressor,
        link: args.curve.link,
        link_mode: args.curve.link_mode.into(),
        isa,
        target: args.target_lufs,
    };

    // Pass 1: every input's gain (failures are left to pass 2, which
    // reports them with the other errors).
    let (found, _) = compress::list_inputs(&args.inputs.files, args.inputs.recursive);
    let paths: Vec<PathBuf> = found.into_iter().map(|(p, _)| p).collect();
    let plans: HashMap<PathBuf, Planned> = pool.install(|| {
        let (batches, _) = metering::plan_batches(&paths, jobs);
        batches
            .par_iter()
            .flat_map_iter(|(fs, batch)| {
                let batch: Vec<PathBuf> = batch.iter().map(|&i| paths[i].clone()).collect();
                let measured: Vec<(PathBuf, FileReadings)> =
                    metering::meter_batch(*fs, &batch, isa, false, None)
                        .into_iter()
                        .zip(batch)
                        .filter_map(|(r, p)| Some((p, r.ok()?)))
                        .collect();
                let plans = setup.plan_batch(*fs, &measured);
                measured
                    .into_iter()
                    .zip(plans)
                    .filter_map(|((p, _), plan)| Some((p, plan.ok()?)))
                    .collect::<Vec<_>>()
            })
            .collect()
    });

    // Pass 2: gain, compressor, limiter, files in lanes.
    let link = args.curve.link;
    let check = |_: &Info| Ok(());
    let make = |fs: u32, lanes: usize, files: &[Placement<'_>]| {
        let placed = files
            .iter()
            .map(|p| {
                let plan = plans
                    .get(p.input)
                    .ok_or_else(|| "could not be measured".to_string())?;
                Ok((p.lane, p.channels, db_to_gain(plan.gain_db)))
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Box::new(setup.chain(fs, lanes, &placed, true)?) as Box<dyn Dsp>)
    };
    let annotate = |path: &Path| {
        plans.get(path).map(|p| {
            serde_json::json!({
                "input_lufs": p.input_lufs,
                "gain_db": p.gain_db,
                "output_lufs": p.output_lufs,
                "runs": p.runs,
            })
        })
    };
    compress::drive(
        &args.inputs,
        &args.output,
        &Command {
            name: "master",
            mode: args.compress.then_some(args.curve.mode),
            link,
            settings: format!(
                "target {} LUFS; limiter {limiter:?}; compressor {compressor:?}",
                args.target_lufs
            ),
            sidechain: None,
            check: &check,
            make: &make,
            annotate: Some(&annotate),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gain_to_target() {
        assert_eq!(db_to_gain(0.0), 1.0);
        assert!((db_to_gain(6.0) - 10f32.powf(0.3)).abs() < 1e-6);
    }
}
