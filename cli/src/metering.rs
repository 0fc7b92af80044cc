//! Loudness of many files at once: files of one sample rate decoded side
//! by side into the lanes of one [`LoudnessMeter`] (each file its own
//! programme), optionally through a processing chain first (`master`'s
//! simulation of its output).
//!
//! Every file's readings are those of the file metered alone: lanes of
//! different files never mix, a file's lanes hold silence after its end,
//! and its programme is read when the meter has taken exactly the file's
//! frames (readings taken later would include the 400 ms blocks that
//! straddle its end).

use crate::audio::{self, Source};
use crate::compress::{Dsp, dbfs};
use crate::measure::{Readings, weights};
use lanedsp::{Isa, LoudnessMeter};
use std::path::PathBuf;

/// Frames per block.
const BLOCK: usize = 16_384;

/// A file's readings: the whole file as one programme, and each channel
/// alone when asked.
#[derive(Clone, Debug, Default)]
pub struct FileReadings {
    /// Channels.
    pub channels: usize,
    /// Frames metered.
    pub frames: u64,
    /// The file as one programme (5.1: BS.1770 weights).
    pub all: Readings,
    /// Each channel alone (empty unless asked).
    pub per_channel: Vec<Readings>,
}

/// One file of a batch.
struct Entry {
    source: Box<dyn Source>,
    lane: usize,
    channels: usize,
    /// Frames decoded so far; the file's length once `ended`.
    frames: u64,
    ended: bool,
    error: Option<String>,
    result: Option<FileReadings>,
}

/// The readings of programme `p` of `meter` and the peaks of `lanes`.
fn readings(meter: &LoudnessMeter, p: usize, lanes: std::ops::Range<usize>) -> Readings {
    let (integrated, range) = meter
        .programme(p)
        .map_or((f64::NEG_INFINITY, 0.0), |l| (l.integrated, l.range));
    let peak = |f: &dyn Fn(usize) -> f32| lanes.clone().map(f).fold(0.0f32, f32::max);
    Readings {
        sample_peak_dbfs: dbfs(peak(&|c| meter.sample_peak(c).unwrap_or(0.0))),
        true_peak_dbtp: dbfs(peak(&|c| meter.true_peak(c).unwrap_or(0.0))),
        integrated_lufs: integrated.is_finite().then_some(integrated),
        loudness_range_lu: range,
    }
}

/// Meters `files` (all of sample rate `fs`) side by side in one meter, on
/// `isa`, after `chain` when given (its latency skipped, each file fed
/// silence after its end as the file commands do; true peaks are then not
/// measured and read as the sample peaks). One result per file, in order.
pub fn meter_batch(
    fs: u32,
    files: &[PathBuf],
    isa: Isa,
    per_channel: bool,
    chain: Option<&mut dyn Dsp>,
) -> Vec<Result<FileReadings, String>> {
    let mut entries: Vec<Result<Entry, String>> = Vec::new();
    let mut lanes = 0;
    for path in files {
        entries.push(audio::open(path).and_then(|source| {
            let info = source.info();
            if info.sample_rate != fs {
                return Err("the file changed while it was being processed".into());
            }
            let channels = info.channels;
            lanes += channels;
            Ok(Entry {
                source,
                lane: lanes - channels,
                channels,
                frames: 0,
                ended: false,
                error: None,
                result: None,
            })
        }));
    }
    if lanes == 0 {
        return entries
            .into_iter()
            .map(|e| e.map(|_| FileReadings::default()))
            .collect();
    }
    match run(fs, &mut entries, lanes, isa, per_channel, chain) {
        Ok(()) => {}
        Err(e) => {
            for entry in entries.iter_mut().flatten() {
                entry.error.get_or_insert_with(|| e.clone());
            }
        }
    }
    entries
        .into_iter()
        .map(|e| {
            let e = e?;
            match (e.error, e.result) {
                (Some(err), _) => Err(err),
                (None, Some(r)) => Ok(r),
                (None, None) => Err("not metered".into()),
            }
        })
        .collect()
}

/// Decodes, processes and meters every entry of the batch to its end.
fn run(
    fs: u32,
    entries: &mut [Result<Entry, String>],
    lanes: usize,
    isa: Isa,
    per_channel: bool,
    mut chain: Option<&mut dyn Dsp>,
) -> Result<(), String> {
    let bad = |e: lanedsp::Error| format!("cannot measure: {e}");
    let open: Vec<(usize, usize)> = entries
        .iter()
        .flatten()
        .map(|e| (e.lane, e.channels))
        .collect();
    let programmes: Vec<Vec<usize>> = open.iter().map(|&(l, c)| (l..l + c).collect()).collect();
    // After a chain only the loudness is wanted: no true peak.
    let true_peak = chain.is_none();
    let mut whole = LoudnessMeter::new(fs as f32, lanes)
        .map(|m| m.with_true_peak(true_peak))
        .and_then(|m| m.with_isa(isa))
        .and_then(|m| m.with_programmes(&programmes))
        .map_err(bad)?;
    for &(lane, ch) in &open {
        for (c, w) in weights(ch).into_iter().enumerate() {
            whole.set_channel_weight(lane + c, w).map_err(bad)?;
        }
    }
    let mut each = if per_channel {
        let singles: Vec<Vec<usize>> = (0..lanes).map(|c| vec![c]).collect();
        Some(
            LoudnessMeter::new(fs as f32, lanes)
                .and_then(|m| m.with_isa(isa))
                .and_then(|m| m.with_programmes(&singles))
                .map_err(bad)?,
        )
    } else {
        None
    };
    let latency = chain.as_ref().map_or(0, |c| c.latency()) as u64;
    let mut planar = vec![vec![0.0f32; BLOCK]; lanes];
    let mut data = Vec::with_capacity(BLOCK * 8);
    // Frames fed to the chain so far; the meter has taken
    // `fed - latency` of them (the first `latency` outputs are skipped).
    let mut fed: u64 = 0;
    loop {
        for entry in entries.iter_mut().flatten() {
            let got = if entry.ended || entry.error.is_some() {
                0
            } else {
                data.clear();
                match entry.source.read(BLOCK, &mut data) {
                    Ok(n) => n,
                    Err(e) => {
                        entry.error = Some(e);
                        0
                    }
                }
            };
            if got < BLOCK {
                entry.ended = true;
            }
            entry.frames += got as u64;
            let ch = entry.channels;
            for (c, lane) in planar[entry.lane..entry.lane + ch].iter_mut().enumerate() {
                for (dst, frame) in lane[..got].iter_mut().zip(data.chunks_exact(ch)) {
                    *dst = frame[c];
                }
                lane[got..].fill(0.0);
            }
        }
        let mut bufs: Vec<&mut [f32]> = planar.iter_mut().map(|l| &mut l[..]).collect();
        if let Some(c) = chain.as_deref_mut() {
            c.process(&mut bufs, None)
                .map_err(|e| format!("processing: {e}"))?;
        }
        // The meter's frames of this block, cut where files end.
        let skip = latency.saturating_sub(fed).min(BLOCK as u64) as usize;
        let start = (fed + skip as u64).saturating_sub(latency);
        fed += BLOCK as u64;
        let stop = fed - latency.min(fed);
        let mut cuts: Vec<u64> = entries
            .iter()
            .flatten()
            .filter(|e| e.ended && e.result.is_none() && e.error.is_none())
            .map(|e| e.frames)
            .filter(|&n| n >= start && n <= stop)
            .collect();
        cuts.push(stop);
        cuts.sort_unstable();
        cuts.dedup();
        let mut at = start;
        for cut in cuts {
            if cut > at {
                let from = skip + (at - start) as usize;
                let to = skip + (cut - start) as usize;
                let piece: Vec<&[f32]> = planar.iter().map(|l| &l[from..to]).collect();
                whole.process_planar(&piece).map_err(bad)?;
                if let Some(m) = each.as_mut() {
                    m.process_planar(&piece).map_err(bad)?;
                }
                at = cut;
            }
            for (p, entry) in entries.iter_mut().flatten().enumerate() {
                if entry.ended
                    && entry.result.is_none()
                    && entry.error.is_none()
                    && entry.frames == at
                {
                    let span = entry.lane..entry.lane + entry.channels;
                    entry.result = Some(FileReadings {
                        channels: entry.channels,
                        frames: entry.frames,
                        all: readings(&whole, p, span.clone()),
                        per_channel: match &each {
                            Some(m) => span.clone().map(|c| readings(m, c, c..c + 1)).collect(),
                            None => Vec::new(),
                        },
                    });
                }
            }
        }
        if entries
            .iter()
            .flatten()
            .all(|e| e.result.is_some() || e.error.is_some())
        {
            return Ok(());
        }
    }
}

/// A batch of files of one sample rate: the rate and the files' indices.
pub type Batch = (u32, Vec<usize>);

/// Probes `paths` (in parallel on the current pool) and cuts them into
/// batches of one sample rate each, longest files first, as the file
/// commands do; the files that cannot be opened, with why.
pub fn plan_batches(paths: &[PathBuf], jobs: usize) -> (Vec<Batch>, Vec<(usize, String)>) {
    use rayon::prelude::*;
    let probed: Vec<Result<audio::Info, String>> = paths
        .par_iter()
        .map(|p| audio::open(p).map(|s| s.info().clone()))
        .collect();
    let mut by_rate: std::collections::BTreeMap<u32, Vec<(usize, audio::Info)>> =
        std::collections::BTreeMap::new();
    let mut failed = Vec::new();
    for (i, info) in probed.into_iter().enumerate() {
        match info {
            Ok(info) if info.channels > lanedsp::MAX_CHANNELS => {
                failed.push((
                    i,
                    format!("{} channels is more than supported", info.channels),
                ));
            }
            Ok(info) => by_rate.entry(info.sample_rate).or_default().push((i, info)),
            Err(e) => failed.push((i, e)),
        }
    }
    let mut batches = Vec::new();
    for (fs, mut group) in by_rate {
        group.sort_by_key(|(_, info)| std::cmp::Reverse(info.frames.unwrap_or(u64::MAX)));
        for batch in crate::compress::cut_batches(group, |(_, info)| info.channels, jobs) {
            batches.push((fs, batch.into_iter().map(|(i, _)| i).collect()));
        }
    }
    (batches, failed)
}
