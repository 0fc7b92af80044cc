//! `lanedsp limit`: the lookahead limiter over audio files, many files in
//! the lanes of one [`Limiter`], through the same driver as `compress`
//! (decode, process, encode block by block; temporary names renamed when
//! complete; batches on `-j` threads).
//!
//! The output is latency-compensated and complete: the driver feeds each
//! file its input and then `latency()` frames of silence (exactly what
//! [`Limiter::flush_planar`] does) and drops the first `latency()` output
//! frames, so every output has its input's length and its samples at the
//! input's frames. Files of different lengths share a batch: a file that
//! ends gets silence in its lanes, which changes nothing for the other
//! files (links never cross files).

use crate::audio::Info;
use crate::compress::{self, Command, Dsp, Inputs, LinkArg, Output, Placement, UsageError};
use lanedsp::{Limiter, LimiterSettings, Processor, Time};

/// Options of `lanedsp limit`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    inputs: Inputs,
    /// Ceiling in dBFS: no output sample exceeds it.
    #[arg(long, default_value_t = -1.0, allow_hyphen_values = true)]
    ceiling_db: f32,
    /// Lookahead (attack) in milliseconds, 0 to 50: the latency, compensated in the output.
    #[arg(long, default_value_t = 5.0)]
    lookahead_ms: f32,
    /// Release time constant in milliseconds.
    #[arg(long, default_value_t = 50.0)]
    release_ms: f32,
    /// Detect inter-sample peaks (ITU-R BS.1770-4 Annex 2 oversampling).
    #[arg(long)]
    true_peak: bool,
    /// Gain before the limiter in dB.
    #[arg(long, default_value_t = 0.0, allow_hyphen_values = true)]
    input_gain_db: f32,
    /// Channel linking within each file: all (blocks of up to 16 adjacent
    /// channels), stereo (2-channel files only) or none.
    #[arg(long, value_enum, default_value_t = LinkArg::All)]
    link: LinkArg,
    #[command(flatten)]
    output: Output,
}

/// The limiter settings the options describe.
fn settings(args: &Args) -> Result<LimiterSettings, UsageError> {
    let s = LimiterSettings {
        ceiling_db: args.ceiling_db,
        lookahead: args.lookahead_ms / 1000.0,
        release: Time::Seconds(args.release_ms / 1000.0),
        true_peak: args.true_peak,
        input_gain_db: args.input_gain_db,
        link_amount: 1.0,
    };
    // Validate once, at a typical rate, so a bad value is a usage error.
    Limiter::new(48_000.0, 1, s).map_err(|e| UsageError(format!("invalid settings: {e}")))?;
    Ok(s)
}

/// The link groups of a file of `channels` channels from lane `lane`.
pub(crate) fn groups(link: LinkArg, lane: usize, channels: usize) -> Vec<Vec<usize>> {
    let size = match link {
        LinkArg::All => lanedsp::MAX_LINK,
        LinkArg::Stereo if channels == 2 => 2,
        LinkArg::Stereo | LinkArg::None => 1,
    };
    (lane..lane + channels)
        .collect::<Vec<_>>()
        .chunks(size)
        .filter(|g| g.len() > 1)
        .map(<[usize]>::to_vec)
        .collect()
}

/// A batch's limiter, and the deepest gain reduction of each lane
/// measured on its samples (output over the delayed, gained input).
pub(crate) struct Lanes {
    limiter: Limiter,
    gain: f32,
    /// Per lane: the last `latency` input samples, then the current block.
    delayed: Vec<Vec<f32>>,
    /// Per lane: the smallest output/input ratio seen (linear).
    deepest: Vec<f32>,
    /// Whether `deepest` is measured.
    measured: bool,
}

impl Lanes {
    /// The lanes of `limiter`, whose input gain is `gain` (linear).
    pub(crate) fn new(limiter: Limiter, gain: f32) -> Lanes {
        let (lanes, latency) = (limiter.channels(), limiter.latency());
        Lanes {
            limiter,
            gain,
            delayed: vec![vec![0.0; latency]; lanes],
            deepest: vec![1.0; lanes],
            measured: true,
        }
    }

    /// The lanes of `limiter` without the gain reduction measurement
    /// (reported as 0 dB).
    pub(crate) fn unmeasured(limiter: Limiter) -> Lanes {
        let lanes = limiter.channels();
        Lanes {
            limiter,
            gain: 1.0,
            delayed: Vec::new(),
            deepest: vec![1.0; lanes],
            measured: false,
        }
    }
}

/// Inputs below this (after the input gain) are not measured: their ratio
/// says nothing about the gain.
const MEASURED: f32 = 1e-4;

impl Dsp for Lanes {
    fn process(&mut self, bufs: &mut [&mut [f32]], _key: Option<&[&[f32]]>) -> lanedsp::Result<()> {
        if !self.measured {
            return self.limiter.process_planar_in_place(bufs);
        }
        let latency = self.limiter.latency();
        for (d, b) in self.delayed.iter_mut().zip(bufs.iter()) {
            d.extend_from_slice(b);
        }
        self.limiter.process_planar_in_place(bufs)?;
        for ((d, b), deepest) in self
            .delayed
            .iter_mut()
            .zip(bufs.iter())
            .zip(&mut self.deepest)
        {
            for (&x, &y) in d.iter().zip(b.iter()) {
                let x = (x * self.gain).abs();
                if x >= MEASURED {
                    *deepest = deepest.min(y.abs() / x);
                }
            }
            let keep = d.len() - latency;
            d.drain(..keep);
        }
        Ok(())
    }

    fn latency(&self) -> usize {
        self.limiter.latency()
    }

    fn reduction_db(&self, lane: usize) -> f32 {
        let r = self.deepest[lane];
        if r > 0.0 && r < 1.0 {
            20.0 * r.log10()
        } else if r <= 0.0 {
            -f32::INFINITY
        } else {
            0.0
        }
    }
}

/// Runs the command; `Ok(true)` when every file was processed.
pub fn run(args: &Args) -> Result<bool, UsageError> {
    let settings = settings(args)?;
    let isa = compress::isa_option(args.output.isa.as_deref())?;
    let link = args.link;
    let check = |_: &Info| Ok(());
    let gain = 10f32.powf(settings.input_gain_db / 20.0);
    let make = |fs: u32, lanes: usize, files: &[Placement<'_>]| {
        let all: Vec<Vec<usize>> = files
            .iter()
            .flat_map(|p| groups(link, p.lane, p.channels))
            .collect();
        let limiter = Limiter::new(fs as f32, lanes, settings)
            .and_then(|l| l.with_isa(isa))
            .and_then(|l| l.with_link_groups(&all))
            .map_err(|e| format!("cannot build the limiter: {e}"))?;
        Ok(Box::new(Lanes::new(limiter, gain)) as Box<dyn Dsp>)
    };
    compress::drive(
        &args.inputs,
        &args.output,
        &Command {
            name: "limit",
            mode: None,
            link,
            settings: format!("{settings:?}"),
            sidechain: None,
            check: &check,
            make: &make,
            annotate: None,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_groups_per_file() {
        assert_eq!(groups(LinkArg::All, 4, 2), vec![vec![4, 5]]);
        assert!(groups(LinkArg::All, 0, 1).is_empty());
        assert!(groups(LinkArg::None, 0, 8).is_empty());
        assert!(groups(LinkArg::Stereo, 0, 6).is_empty());
        assert_eq!(groups(LinkArg::Stereo, 2, 2), vec![vec![2, 3]]);
        // Blocks of 16 adjacent channels; a last block of one stays alone.
        let g = groups(LinkArg::All, 1, 34);
        assert_eq!(g.len(), 3);
        assert_eq!(g[0], (1..17).collect::<Vec<_>>());
        assert_eq!(g[1], (17..33).collect::<Vec<_>>());
        assert_eq!(g[2], vec![33, 34]);
        assert_eq!(groups(LinkArg::All, 0, 17).len(), 1);
    }
}
