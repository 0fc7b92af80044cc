//! `lanedsp measure`: loudness and peaks of audio files, per file and per
//! channel (ITU-R BS.1770-4 / EBU R128 through [`lanedsp::LoudnessMeter`]).
//!
//! Files of one sample rate are decoded block by block (memory bounded by
//! the block, not the file) side by side into the lanes of two meters
//! ([`metering::meter_batch`]): one where each file is a programme (BS.1770
//! channel weights for 5.1 files: surround +1.5 dB, LFE excluded) and one
//! where each channel is. Batches run in parallel on `-j` threads; the
//! readings do not depend on the batching, on `-j` or on the ISA (the meter
//! is bit-exact on every ISA and its programmes never mix).

use crate::compress::{self, UsageError};
use crate::metering;
use lanedsp::Isa;
use rayon::prelude::*;
use serde::Serialize;
use std::path::PathBuf;

/// Options of `lanedsp measure`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input files; directories too with --recursive.
    #[arg(required = true, value_name = "FILES")]
    files: Vec<PathBuf>,
    /// Descend into directories given as inputs.
    #[arg(short, long)]
    recursive: bool,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
    /// Worker threads (default: all cores).
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
    /// Force an ISA (scalar, avx2, avx512, neon) instead of dispatch's choice.
    #[arg(long)]
    isa: Option<String>,
}

/// Readings of a file or of one of its channels; `None` (JSON `null`) for
/// silence, where a level in dB is minus infinity.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Readings {
    /// Highest sample magnitude, dBFS.
    pub sample_peak_dbfs: Option<f64>,
    /// Highest magnitude of the 4x oversampled signal (BS.1770-4 Annex
    /// 2), dBTP.
    pub true_peak_dbtp: Option<f64>,
    /// Integrated (gated) loudness, LUFS.
    pub integrated_lufs: Option<f64>,
    /// Loudness range (EBU Tech 3342), LU.
    pub loudness_range_lu: f64,
}

/// The measurement of one file.
#[derive(Clone, Debug, Default, Serialize)]
pub struct FileMeasure {
    /// The input path.
    pub file: String,
    /// Whether it was measured; `error` says why not.
    pub ok: bool,
    /// Why the file could not be measured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Sample rate in Hz.
    pub sample_rate: Option<u32>,
    /// Channel count.
    pub channels: Option<usize>,
    /// Frames measured.
    pub frames: u64,
    /// The whole file as one programme (peaks: the largest channel's).
    #[serde(flatten)]
    pub all: Readings,
    /// Each channel alone.
    pub per_channel: Vec<Readings>,
}

/// BS.1770 weights of a file's channels: 5.1 files (L R C LFE Ls Rs, the
/// WAV and FLAC channel order) get +1.5 dB on the surrounds and no LFE.
pub fn weights(channels: usize) -> Vec<f32> {
    if channels == 6 {
        vec![1.0, 1.0, 1.0, 0.0, 1.41, 1.41]
    } else {
        vec![1.0; channels]
    }
}

/// Measures `files` on `pool`'s `jobs` threads, files of one sample rate
/// side by side in the lanes of one meter; one result per file, in their
/// order (a file that fails has `ok: false` and its reason).
pub fn measure_all(
    files: &[PathBuf],
    isa: Isa,
    (jobs, pool): &(usize, rayon::ThreadPool),
    per_channel: bool,
) -> Vec<FileMeasure> {
    let jobs = *jobs;
    let mut out: Vec<FileMeasure> = files
        .iter()
        .map(|p| FileMeasure {
            file: p.display().to_string(),
            ..FileMeasure::default()
        })
        .collect();
    let (batches, failed) = pool.install(|| metering::plan_batches(files, jobs));
    for (i, e) in failed {
        out[i].error = Some(e);
    }
    type Done = (usize, u32, Result<metering::FileReadings, String>);
    let done: Vec<Vec<Done>> = pool.install(|| {
        batches
            .par_iter()
            .map(|(fs, batch)| {
                let paths: Vec<PathBuf> = batch.iter().map(|&i| files[i].clone()).collect();
                metering::meter_batch(*fs, &paths, isa, per_channel, None)
                    .into_iter()
                    .zip(batch)
                    .map(|(r, &i)| (i, *fs, r))
                    .collect()
            })
            .collect()
    });
    for (i, fs, r) in done.into_iter().flatten() {
        let m = &mut out[i];
        match r {
            Ok(r) => {
                m.ok = true;
                m.sample_rate = Some(fs);
                m.channels = Some(r.channels);
                m.frames = r.frames;
                m.all = r.all;
                m.per_channel = r.per_channel;
            }
            Err(e) => m.error = Some(e),
        }
    }
    out
}

/// A dB reading for the table.
fn cell(v: Option<f64>) -> String {
    v.map_or_else(|| "-inf".to_string(), |v| format!("{v:.2}"))
}

/// Runs the command; `Ok(true)` when every file was measured.
pub fn run(args: &Args) -> Result<bool, UsageError> {
    let isa = compress::isa_option(args.isa.as_deref())?;
    let threads = compress::thread_pool(args.jobs)?;
    // Listed one argument at a time so that the results, failures
    // included, keep the order of the arguments; measured all at once.
    let listed: Vec<_> = args
        .files
        .iter()
        .map(|arg| compress::list_inputs(std::slice::from_ref(arg), args.recursive))
        .collect();
    let paths: Vec<PathBuf> = listed
        .iter()
        .flat_map(|(found, _)| found.iter().map(|(path, _)| path.clone()))
        .collect();
    let mut measured = measure_all(&paths, isa, &threads, true).into_iter();
    let mut results = Vec::with_capacity(paths.len());
    for (found, failed) in listed {
        results.extend(measured.by_ref().take(found.len()));
        results.extend(failed.into_iter().map(|(path, error)| FileMeasure {
            file: path.display().to_string(),
            error: Some(error),
            ..FileMeasure::default()
        }));
    }
    for r in results.iter().filter(|r| !r.ok) {
        eprintln!(
            "lanedsp: {}: {}",
            r.file,
            r.error.as_deref().unwrap_or("failed")
        );
    }
    // Written at once; a closed pipe (`| head`) is not an error.
    let mut out = String::new();
    if args.json {
        #[derive(Serialize)]
        struct Out<'a> {
            lanedsp_version: &'static str,
            isa: &'static str,
            files: &'a [FileMeasure],
        }
        let text = serde_json::to_string_pretty(&Out {
            lanedsp_version: env!("CARGO_PKG_VERSION"),
            isa: isa.name(),
            files: &results,
        })
        .map_err(|e| UsageError(format!("cannot write JSON: {e}")))?;
        out.push_str(&text);
        out.push('\n');
    } else {
        out.push_str(&format!(
            "{:<40} {:>7} {:>12} {:>12} {:>10} {:>8}\n",
            "file", "channel", "peak dBFS", "true dBTP", "LUFS", "LRA LU"
        ));
        for r in results.iter().filter(|r| r.ok) {
            let mut row = |name: &str, ch: &str, x: &Readings| {
                out.push_str(&format!(
                    "{:<40} {:>7} {:>12} {:>12} {:>10} {:>8.2}\n",
                    name,
                    ch,
                    cell(x.sample_peak_dbfs),
                    cell(x.true_peak_dbtp),
                    cell(x.integrated_lufs),
                    x.loudness_range_lu
                ));
            };
            row(&r.file, "all", &r.all);
            if r.per_channel.len() > 1 {
                for (c, x) in r.per_channel.iter().enumerate() {
                    row("", &(c + 1).to_string(), x);
                }
            }
        }
    }
    let _ = std::io::Write::write_all(&mut std::io::stdout().lock(), out.as_bytes());
    Ok(results.iter().all(|r| r.ok))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_of_5_1() {
        assert_eq!(weights(6)[3], 0.0);
        assert_eq!(weights(2), vec![1.0, 1.0]);
    }
}
