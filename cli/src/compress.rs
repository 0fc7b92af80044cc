//! `lanedsp compress`: dynamics processing of audio files, many files in
//! the lanes of one processor call.
//!
//! Files of one sample rate are cut into batches; each batch is one
//! [`Compressor`] whose lanes hold every channel of its files, fed block by
//! block (decode, process, encode: memory is bounded by the block size, not
//! the file size). Batches run in parallel on a pool of `-j` threads. Every
//! channel's output depends only on its own file (links never cross files,
//! a file that ends leaves silence in its lanes, the dither of a channel is
//! seeded from its index), so the bytes written do not depend on the
//! batching, on `-j` or on the ISA.

use crate::audio::{self, Info, OutFormat, SampleKind, Sink, Source};
use crate::cleanup;
use clap::ValueEnum;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lanedsp::{
    Buffers, Compressor, Detection, Isa, LinkMode, Makeup, Processor, Settings, Sidechain, Time,
};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// Frames per process call.
const BLOCK: usize = 4096;
/// Most channels (lanes) in one batch.
const BATCH_CHANNELS: usize = 32;
/// Extensions `--recursive` picks up in directories.
const AUDIO_EXTENSIONS: [&str; 13] = [
    "wav", "wave", "flac", "mp3", "ogg", "oga", "m4a", "mp4", "aac", "caf", "aif", "aiff", "aifc",
];

/// What the static curve does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ModeArg {
    /// Downward compression above the threshold.
    Compress,
    /// A gate: infinite downward expansion below the threshold.
    Gate,
    /// Downward expansion below the threshold.
    Expand,
    /// Upward compression: quiet passages raised towards the threshold.
    Upward,
}

/// Which channels share one detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkArg {
    /// The two channels of each stereo file are linked; other files' channels are not.
    Stereo,
    /// All channels of each file are linked (at most 16 per file).
    All,
    /// Every channel on its own.
    None,
}

/// How a link group combines its detectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkModeArg {
    /// The loudest channel drives the group.
    Max,
    /// The mean level drives the group.
    Mean,
}

/// What the detector measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DetectionArg {
    /// Sample magnitude.
    Peak,
    /// Mean square over `--rms-ms`.
    Rms,
}

/// How `--attack-ms` and `--release-ms` map to the smoother coefficient.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimesArg {
    /// Time constant: a step is followed to 63% after the time.
    Tau,
    /// FFmpeg's acompressor/agate convention.
    Ffmpeg,
    /// JUCE's Compressor convention.
    Juce,
}

/// Output sample format or container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// WAV with the input's sample format (the default).
    Wav,
    /// WAV, 32-bit float.
    F32,
    /// WAV, 16-bit integer (dithered).
    S16,
    /// WAV, 24-bit integer (dithered).
    S24,
    /// FLAC at the input's bit depth (24-bit for float or 32-bit inputs).
    Flac,
}

/// Options of `lanedsp compress`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Input files; directories too with --recursive.
    #[arg(required = true, value_name = "FILES")]
    files: Vec<PathBuf>,
    /// Directory the outputs are written to (created if missing).
    #[arg(short, long, value_name = "DIR", required_unless_present = "in_place")]
    out_dir: Option<PathBuf>,
    /// Replace the inputs (allowed only with this flag).
    #[arg(long)]
    in_place: bool,
    /// Descend into directories given as inputs, mirroring their tree.
    #[arg(short, long)]
    recursive: bool,
    /// What the processor does; each mode has its own defaults.
    #[arg(long, value_enum, default_value_t = ModeArg::Compress)]
    mode: ModeArg,
    /// Threshold in dBFS [compress -20, gate/expand -50, upward -40].
    #[arg(long, allow_hyphen_values = true)]
    threshold_db: Option<f32>,
    /// Ratio, at least 1; `inf` limits (or gates) [compress 4, expand 2, gate inf, upward 2].
    #[arg(long)]
    ratio: Option<f32>,
    /// Soft knee width in dB [6; gate 0].
    #[arg(long)]
    knee_db: Option<f32>,
    /// Attack in milliseconds [compress 5, expand 2, gate 1, upward 10].
    #[arg(long)]
    attack_ms: Option<f32>,
    /// Release in milliseconds [compress 50, others 100].
    #[arg(long)]
    release_ms: Option<f32>,
    /// How attack and release times map to the smoother.
    #[arg(long, value_enum, default_value_t = TimesArg::Tau)]
    times: TimesArg,
    /// Largest gain change in dB [expand 40, gate 80, upward 24, compress 600].
    #[arg(long)]
    range_db: Option<f32>,
    /// Fixed makeup gain in dB [0].
    #[arg(long, allow_hyphen_values = true, conflicts_with = "auto_makeup")]
    makeup_db: Option<f32>,
    /// Makeup that undoes the curve's gain change at 0 dBFS.
    #[arg(long)]
    auto_makeup: bool,
    /// Wet share, 0 to 1 [1].
    #[arg(long)]
    mix: Option<f32>,
    /// Detector [peak; upward rms].
    #[arg(long, value_enum)]
    detection: Option<DetectionArg>,
    /// RMS window (detector attack and release) in milliseconds [50].
    #[arg(long)]
    rms_ms: Option<f32>,
    /// Channel linking within each file.
    #[arg(long, value_enum, default_value_t = LinkArg::Stereo)]
    link: LinkArg,
    /// How linked channels combine their levels.
    #[arg(long, value_enum, default_value_t = LinkModeArg::Max)]
    link_mode: LinkModeArg,
    /// A file whose level drives the detectors of every input (mono, or the
    /// input's channel count; same sample rate; silence past its end).
    #[arg(long, value_name = "FILE")]
    sidechain: Option<PathBuf>,
    /// Output format (default: WAV with the input's sample format).
    #[arg(long, value_enum)]
    format: Option<FormatArg>,
    /// Round to integer outputs without TPDF dither.
    #[arg(long)]
    no_dither: bool,
    /// Worker threads [all cores].
    #[arg(short, long, value_name = "N")]
    jobs: Option<usize>,
    /// Force an ISA (scalar, avx2, avx512, neon) instead of dispatch's choice.
    #[arg(long)]
    isa: Option<String>,
    /// No progress bar and no summary (errors are still printed).
    #[arg(short, long)]
    quiet: bool,
    /// Write a JSON report of every file to this path.
    #[arg(long, value_name = "FILE.json")]
    report: Option<PathBuf>,
}

/// A failure that stops the command before any file is processed.
pub struct UsageError(pub String);

/// The compressor settings the options describe.
pub fn settings(args: &Args) -> Result<Settings, UsageError> {
    let mut s = match args.mode {
        ModeArg::Compress => Settings {
            attack: Time::Seconds(0.005),
            release: Time::Seconds(0.050),
            ..Settings::compressor()
        },
        ModeArg::Gate => Settings::gate(),
        ModeArg::Expand => Settings::expander(),
        ModeArg::Upward => Settings::upward(),
    };
    let time = |ms: f32| match args.times {
        TimesArg::Tau => Time::Seconds(ms / 1000.0),
        TimesArg::Ffmpeg => Time::FfmpegMs(ms),
        TimesArg::Juce => Time::JuceMs(ms),
    };
    if let Some(v) = args.threshold_db {
        s.threshold_db = v;
    }
    if let Some(v) = args.ratio {
        s.ratio = v;
    }
    if let Some(v) = args.knee_db {
        s.knee_db = v;
    }
    if let Some(v) = args.attack_ms {
        s.attack = time(v);
    }
    if let Some(v) = args.release_ms {
        s.release = time(v);
    }
    if let Some(v) = args.range_db {
        s.range_db = v;
    }
    if let Some(v) = args.mix {
        s.mix = v;
    }
    if let Some(v) = args.makeup_db {
        s.makeup = Makeup::Db(v);
    }
    if args.auto_makeup {
        s.makeup = Makeup::Auto;
    }
    match args.detection {
        Some(DetectionArg::Peak) => {
            s.detection = Detection::Peak;
            s.detector_attack = Time::Seconds(0.0);
            s.detector_release = Time::Seconds(0.0);
        }
        Some(DetectionArg::Rms) => s.detection = Detection::Rms,
        None => {}
    }
    if s.detection == Detection::Rms {
        let window = args.rms_ms.unwrap_or(50.0) / 1000.0;
        s.detector_attack = Time::Seconds(window);
        s.detector_release = Time::Seconds(window);
    } else if args.rms_ms.is_some() {
        return Err(UsageError("--rms-ms needs --detection rms".into()));
    }
    // Validate once, at a typical rate, so a bad value is a usage error.
    Compressor::new(48_000.0, 1, s).map_err(|e| UsageError(format!("invalid settings: {e}")))?;
    Ok(s)
}

/// The ISA the command runs on: `--isa`, or dispatch's choice.
pub fn isa_option(isa: Option<&str>) -> Result<Isa, UsageError> {
    let Some(name) = isa else {
        return Ok(lanedsp::selected_isa());
    };
    let isa: Isa = name
        .parse()
        .map_err(|e| UsageError(format!("--isa: {e}")))?;
    if !lanedsp::available_isas().contains(&isa) {
        return Err(UsageError(format!(
            "--isa: {isa} is not available on this CPU (available: {})",
            crate::names(&lanedsp::available_isas())
        )));
    }
    Ok(isa)
}

/// One input to process.
#[derive(Clone, Debug)]
struct Job {
    input: PathBuf,
    output: PathBuf,
    info: Info,
    format: OutFormat,
    bytes: u64,
}

/// What happened to one input.
#[derive(Serialize, Debug, Default)]
struct FileReport {
    input: String,
    output: Option<String>,
    ok: bool,
    error: Option<String>,
    codec: Option<&'static str>,
    sample_rate: Option<u32>,
    channels: Option<usize>,
    frames: Option<u64>,
    input_format: Option<String>,
    output_format: Option<String>,
    /// Highest sample magnitude over every channel, dBFS (null: silence).
    input_peak_dbfs: Option<f64>,
    /// Highest output magnitude before rounding, dBFS (null: silence).
    output_peak_dbfs: Option<f64>,
    channel_input_peak_dbfs: Vec<Option<f64>>,
    channel_output_peak_dbfs: Vec<Option<f64>>,
    /// Deepest gain reduction over the file's channels, dB (positive).
    max_gain_reduction_db: Option<f64>,
    /// From the start of the file's batch to its completion.
    seconds: f64,
}

impl FileReport {
    fn failed(input: &Path, error: String) -> FileReport {
        FileReport {
            input: input.display().to_string(),
            error: Some(error),
            ..FileReport::default()
        }
    }
}

#[derive(Serialize)]
struct Report {
    lanedsp_version: &'static str,
    command: &'static str,
    isa: &'static str,
    jobs: usize,
    mode: ModeArg,
    link: LinkArg,
    settings: String,
    files_ok: usize,
    files_failed: usize,
    seconds: f64,
    files: Vec<FileReport>,
}

fn dbfs(x: f32) -> Option<f64> {
    (x > 0.0 && x.is_finite()).then(|| 20.0 * f64::from(x).log10())
}

/// Runs the command; `Ok(true)` when every file was processed.
pub fn run(args: &Args) -> Result<bool, UsageError> {
    let settings = settings(args)?;
    let isa = isa_option(args.isa.as_deref())?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(UsageError("-j must be at least 1".into()));
    }
    let start = Instant::now();
    let mut reports: Vec<FileReport> = Vec::new();
    let inputs = collect_inputs(args, &mut reports);
    cleanup::install_handler();

    // Probe every input (in parallel) for its rate, channels and format.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| UsageError(format!("cannot start {jobs} threads: {e}")))?;
    let probed: Vec<(PathBuf, PathBuf, Result<Info, String>)> = pool.install(|| {
        inputs
            .into_par_iter()
            .map(|(input, rel)| {
                let info = audio::open(&input).map(|s| s.info().clone());
                (input, rel, info)
            })
            .collect()
    });
    let key_info = match &args.sidechain {
        Some(path) => Some(
            audio::open(path)
                .map(|s| s.info().clone())
                .map_err(|e| UsageError(format!("--sidechain {}: {e}", path.display())))?,
        ),
        None => None,
    };

    // Output names, refusals and collisions.
    let mut jobs_list = Vec::new();
    let mut taken: HashMap<PathBuf, PathBuf> = HashMap::new();
    for (input, rel, info) in probed {
        match plan_job(args, &input, &rel, info, key_info.as_ref(), &mut taken) {
            Ok(job) => jobs_list.push(job),
            Err(e) => reports.push(FileReport::failed(&input, e)),
        }
    }

    // Batches: per sample rate, longest files first, at most
    // BATCH_CHANNELS lanes, and at least as many batches as threads.
    let mut by_rate: BTreeMap<u32, Vec<Job>> = BTreeMap::new();
    for job in jobs_list {
        by_rate.entry(job.info.sample_rate).or_default().push(job);
    }
    let mut batches: Vec<Vec<Job>> = Vec::new();
    for (_, mut group) in by_rate {
        group.sort_by_key(|j| std::cmp::Reverse(j.info.frames.unwrap_or(u64::MAX)));
        let channels: usize = group.iter().map(|j| j.info.channels).sum();
        let count = channels
            .div_ceil(BATCH_CHANNELS)
            .max(jobs.min(group.len()))
            .max(1);
        let target = channels.div_ceil(count);
        let mut batch = Vec::new();
        let mut lanes = 0;
        for job in group {
            if !batch.is_empty() && lanes + job.info.channels > target {
                batches.push(std::mem::take(&mut batch));
                lanes = 0;
            }
            lanes += job.info.channels;
            batch.push(job);
        }
        if !batch.is_empty() {
            batches.push(batch);
        }
    }

    let total_bytes: u64 = batches.iter().flatten().map(|j| j.bytes).sum();
    let progress = if args.quiet || !std::io::stderr().is_terminal() {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {binary_bytes_per_sec} {msg} eta {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar.enable_steady_tick(std::time::Duration::from_millis(200));
        bar
    };
    let shared = Shared {
        settings,
        isa,
        link: args.link,
        link_mode: match args.link_mode {
            LinkModeArg::Max => LinkMode::Max,
            LinkModeArg::Mean => LinkMode::Mean,
        },
        sidechain: args.sidechain.clone(),
        dither: !args.no_dither,
        progress,
        audio_micros: AtomicU64::new(0),
        files_total: batches.iter().map(Vec::len).sum(),
        files_done: AtomicU64::new(0),
        start,
    };
    let done: Vec<Vec<FileReport>> = pool.install(|| {
        batches
            .par_iter()
            .map(|batch| run_batch(batch, &shared))
            .collect()
    });
    shared.progress.finish_and_clear();
    reports.extend(done.into_iter().flatten());

    let failed = reports.iter().filter(|r| !r.ok).count();
    let ok = reports.len() - failed;
    for r in reports.iter().filter(|r| !r.ok) {
        eprintln!(
            "lanedsp: {}: {}",
            r.input,
            r.error.as_deref().unwrap_or("failed")
        );
    }
    let seconds = start.elapsed().as_secs_f64();
    if !args.quiet {
        let audio = shared.audio_micros.load(Ordering::Relaxed) as f64 * 1e-6;
        eprintln!(
            "lanedsp: {ok} file(s) written, {failed} failed; {audio:.1} s of audio in {seconds:.2} s ({:.0}x realtime) on {isa}, {jobs} thread(s)",
            audio / seconds.max(1e-9)
        );
    }
    if let Some(path) = &args.report {
        let report = Report {
            lanedsp_version: env!("CARGO_PKG_VERSION"),
            command: "compress",
            isa: isa.name(),
            jobs,
            mode: args.mode,
            link: args.link,
            settings: format!("{settings:?}"),
            files_ok: ok,
            files_failed: failed,
            seconds,
            files: reports,
        };
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| UsageError(format!("cannot write the report: {e}")))?;
        std::fs::write(path, text + "\n")
            .map_err(|e| UsageError(format!("cannot write the report {}: {e}", path.display())))?;
    }
    Ok(failed == 0)
}

/// The inputs as (path, path relative to the output directory); errors for
/// missing paths and directories without `--recursive` go to `reports`.
fn collect_inputs(args: &Args, reports: &mut Vec<FileReport>) -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for path in &args.files {
        match std::fs::metadata(path) {
            Err(e) => reports.push(FileReport::failed(path, format!("cannot open: {e}"))),
            Ok(m) if m.is_dir() => {
                if args.recursive {
                    let mut found = Vec::new();
                    if let Err(e) = walk(path, Path::new(""), &mut found) {
                        reports.push(FileReport::failed(path, format!("cannot list: {e}")));
                    }
                    found.sort();
                    out.extend(found.into_iter().map(|rel| (path.join(&rel), rel)));
                } else {
                    reports.push(FileReport::failed(
                        path,
                        "is a directory (use --recursive)".into(),
                    ));
                }
            }
            Ok(_) => {
                let name = path.file_name().map(PathBuf::from).unwrap_or_default();
                out.push((path.clone(), name));
            }
        }
    }
    out
}

fn walk(root: &Path, rel: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(root.join(rel))? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let name = entry.file_name();
        let child = rel.join(&name);
        if kind.is_dir() {
            walk(root, &child, found)?;
        } else if kind.is_file()
            && !name.to_string_lossy().starts_with('.')
            && Path::new(&name)
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| AUDIO_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
        {
            found.push(child);
        }
    }
    Ok(())
}

/// The output format for an input holding `kind` samples.
fn out_format(format: Option<FormatArg>, kind: SampleKind) -> OutFormat {
    match format {
        None | Some(FormatArg::Wav) => OutFormat::Wav(kind),
        Some(FormatArg::F32) => OutFormat::Wav(SampleKind::Float),
        Some(FormatArg::S16) => OutFormat::Wav(SampleKind::Int(16)),
        Some(FormatArg::S24) => OutFormat::Wav(SampleKind::Int(24)),
        Some(FormatArg::Flac) => OutFormat::Flac(match kind {
            SampleKind::Int(bits) if bits <= 24 => bits,
            _ => 24,
        }),
    }
}

/// The output's file name: the input's, with the extension changed only
/// when it does not already name the output's container.
pub fn output_name(rel: &Path, extension: &str) -> PathBuf {
    let keeps = rel
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case(extension));
    if keeps {
        rel.to_path_buf()
    } else {
        rel.with_extension(extension)
    }
}

fn plan_job(
    args: &Args,
    input: &Path,
    rel: &Path,
    info: Result<Info, String>,
    key: Option<&Info>,
    taken: &mut HashMap<PathBuf, PathBuf>,
) -> Result<Job, String> {
    let info = info?;
    let format = out_format(args.format, info.kind);
    let output = match &args.out_dir {
        Some(dir) => dir.join(output_name(rel, format.extension())),
        None => output_name(input, format.extension()),
    };
    let same_file = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same_file(input, &output) && !args.in_place {
        return Err(format!(
            "the output {} is the input (use --in-place to replace it)",
            output.display()
        ));
    }
    if let Some(key) = key {
        if key.sample_rate != info.sample_rate {
            return Err(format!(
                "the sidechain's sample rate ({} Hz) differs from this file's ({} Hz)",
                key.sample_rate, info.sample_rate
            ));
        }
        if key.channels != 1 && key.channels != info.channels {
            return Err(format!(
                "the sidechain has {} channels; this file has {} (use a mono sidechain or one with as many channels)",
                key.channels, info.channels
            ));
        }
    }
    if args.link == LinkArg::All && info.channels > lanedsp::MAX_LINK {
        return Err(format!(
            "--link all links at most {} channels; this file has {}",
            lanedsp::MAX_LINK,
            info.channels
        ));
    }
    if info.channels > lanedsp::MAX_CHANNELS {
        return Err(format!("{} channels is more than supported", info.channels));
    }
    let canonical_key = output
        .parent()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.join(output.file_name().unwrap_or_default()))
        .unwrap_or_else(|| output.clone());
    if let Some(other) = taken.get(&canonical_key) {
        return Err(format!(
            "its output {} is also the output of {}",
            output.display(),
            other.display()
        ));
    }
    taken.insert(canonical_key, input.to_path_buf());
    if let Some(parent) = output.parent()
        && !parent.as_os_str().is_empty()
    {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    let bytes = std::fs::metadata(input).map(|m| m.len()).unwrap_or(0);
    Ok(Job {
        input: input.to_path_buf(),
        output,
        info,
        format,
        bytes,
    })
}

/// What every batch shares.
struct Shared {
    settings: Settings,
    isa: Isa,
    link: LinkArg,
    link_mode: LinkMode,
    sidechain: Option<PathBuf>,
    dither: bool,
    progress: ProgressBar,
    audio_micros: AtomicU64,
    files_total: usize,
    files_done: AtomicU64,
    start: Instant,
}

/// A file being processed in a batch.
struct Active<'j> {
    job: &'j Job,
    source: Box<dyn Source>,
    sink: Option<Box<dyn Sink>>,
    temp: PathBuf,
    /// First lane of its channels.
    lane: usize,
    frames: u64,
    /// Frames in the current block; `< BLOCK` at its end.
    got: usize,
    ended: bool,
    error: Option<String>,
    input_peak: Vec<f32>,
    output_peak: Vec<f32>,
    reduction: f32,
    bytes_reported: u64,
    interleaved: Vec<f32>,
}

fn run_batch(batch: &[Job], shared: &Shared) -> Vec<FileReport> {
    let started = Instant::now();
    let mut reports = Vec::new();
    let mut files: Vec<Active<'_>> = Vec::new();
    let mut lanes = 0;
    for job in batch {
        match start_file(job, shared, lanes) {
            Ok(active) => {
                lanes += job.info.channels;
                files.push(active);
            }
            Err(e) => {
                shared.progress.inc(job.bytes);
                reports.push(FileReport::failed(&job.input, e));
            }
        }
    }
    if files.is_empty() {
        return reports;
    }
    let fs = files[0].job.info.sample_rate;
    let comp = match make_compressor(&files, lanes, fs, shared) {
        Ok(c) => c,
        Err(e) => {
            for f in files {
                finish_failed(f, e.clone(), shared, &mut reports);
            }
            return reports;
        }
    };
    let mut comp = comp;
    let mut key = match &shared.sidechain {
        Some(path) => match audio::open(path) {
            Ok(source) => Some(source),
            Err(e) => {
                for f in files {
                    finish_failed(f, format!("sidechain: {e}"), shared, &mut reports);
                }
                return reports;
            }
        },
        None => None,
    };
    let mut key_ended = false;
    let mut key_interleaved = Vec::new();
    let mut planar = vec![vec![0.0f32; BLOCK]; lanes];
    let mut key_planar = vec![vec![0.0f32; BLOCK]; if key.is_some() { lanes } else { 0 }];

    loop {
        // Decode one block of every file still running.
        let mut length = 0;
        for f in files.iter_mut().filter(|f| !f.ended) {
            f.interleaved.clear();
            let ch = f.job.info.channels;
            match f.source.read(BLOCK, &mut f.interleaved) {
                Ok(n) => f.got = n,
                Err(e) => {
                    f.error = Some(e);
                    f.got = 0;
                }
            }
            for (c, lane) in planar[f.lane..f.lane + ch].iter_mut().enumerate() {
                for (dst, frame) in lane.iter_mut().zip(f.interleaved.chunks_exact(ch)) {
                    *dst = frame[c];
                }
                lane[f.got..].fill(0.0);
                let peak = lane[..f.got].iter().fold(0.0f32, |m, x| m.max(x.abs()));
                f.input_peak[c] = f.input_peak[c].max(peak);
            }
            length = length.max(f.got);
        }
        if let Some(source) = key.as_mut() {
            key_interleaved.clear();
            let kch = source.info().channels;
            let got = if key_ended {
                0
            } else {
                match source.read(BLOCK, &mut key_interleaved) {
                    Ok(n) => n,
                    Err(e) => {
                        for f in files.iter_mut().filter(|f| !f.ended) {
                            f.error.get_or_insert_with(|| format!("sidechain: {e}"));
                        }
                        0
                    }
                }
            };
            key_ended |= got < BLOCK;
            for f in files.iter().filter(|f| !f.ended) {
                for c in 0..f.job.info.channels {
                    let kc = if kch == 1 { 0 } else { c };
                    let lane = &mut key_planar[f.lane + c];
                    for (dst, frame) in lane.iter_mut().zip(key_interleaved.chunks_exact(kch)) {
                        *dst = frame[kc];
                    }
                    lane[got..].fill(0.0);
                }
            }
        }

        // Process [0, length) in pieces ending where files end, so that
        // each file's meter is read at its own end.
        let mut ends: Vec<usize> = files
            .iter()
            .filter(|f| !f.ended && f.got < BLOCK)
            .map(|f| f.got)
            .collect();
        ends.push(length);
        ends.sort_unstable();
        ends.dedup();
        let mut at = 0;
        for &end in &ends {
            if end > at {
                let mut bufs: Vec<&mut [f32]> =
                    planar.iter_mut().map(|l| &mut l[at..end]).collect();
                let result = match &key {
                    Some(_) => {
                        let keys: Vec<&[f32]> = key_planar.iter().map(|l| &l[at..end]).collect();
                        comp.process_sidechain(
                            Buffers::PlanarInPlace { bufs: &mut bufs },
                            Sidechain::Planar(&keys),
                        )
                    }
                    None => comp.process_planar_in_place(&mut bufs),
                };
                if let Err(e) = result {
                    for f in files.iter_mut().filter(|f| !f.ended) {
                        f.error.get_or_insert_with(|| format!("processing: {e}"));
                    }
                }
                at = end;
            }
            for f in files
                .iter_mut()
                .filter(|f| !f.ended && f.got == end && end < BLOCK)
            {
                f.reduction = (0..f.job.info.channels)
                    .map(|c| comp.peak_reduction_db(f.lane + c))
                    .fold(0.0f32, f32::min);
            }
        }

        // Encode every file's part and close the files that ended.
        for f in files.iter_mut().filter(|f| !f.ended) {
            let ch = f.job.info.channels;
            if f.error.is_none() && f.got > 0 {
                f.interleaved.clear();
                f.interleaved.resize(f.got * ch, 0.0);
                for c in 0..ch {
                    let lane = &planar[f.lane + c][..f.got];
                    let peak = lane.iter().fold(0.0f32, |m, x| m.max(x.abs()));
                    f.output_peak[c] = f.output_peak[c].max(peak);
                    for (frame, &x) in f.interleaved.chunks_exact_mut(ch).zip(lane) {
                        frame[c] = x;
                    }
                }
                if let Some(sink) = f.sink.as_mut()
                    && let Err(e) = sink.write(&f.interleaved)
                {
                    f.error = Some(e);
                }
                f.frames += f.got as u64;
                shared
                    .audio_micros
                    .fetch_add(f.got as u64 * 1_000_000 / u64::from(fs), Ordering::Relaxed);
                report_bytes(f, shared);
            }
            if f.error.is_some() || f.got < BLOCK {
                f.ended = true;
            }
        }
        let (ended, running): (Vec<_>, Vec<_>) = files.into_iter().partition(|f| f.ended);
        files = running;
        for f in ended {
            finish(f, started, shared, &mut reports);
        }
        if files.is_empty() {
            break;
        }
        let audio = shared.audio_micros.load(Ordering::Relaxed) as f64 * 1e-6;
        shared.progress.set_message(format!(
            "{:.0}x realtime, {}/{} files",
            audio / shared.start.elapsed().as_secs_f64().max(1e-9),
            shared.files_done.load(Ordering::Relaxed),
            shared.files_total
        ));
    }
    reports
}

fn report_bytes(f: &mut Active<'_>, shared: &Shared) {
    if let Some(total) = f.job.info.frames.filter(|&t| t > 0) {
        let target =
            (u128::from(f.job.bytes) * u128::from(f.frames.min(total)) / u128::from(total)) as u64;
        if target > f.bytes_reported {
            shared.progress.inc(target - f.bytes_reported);
            f.bytes_reported = target;
        }
    }
}

fn start_file<'j>(job: &'j Job, shared: &Shared, lane: usize) -> Result<Active<'j>, String> {
    let source = audio::open(&job.input)?;
    let info = source.info();
    if info.sample_rate != job.info.sample_rate || info.channels != job.info.channels {
        return Err("the file changed while it was being processed".into());
    }
    let temp = cleanup::temp_path(&job.output);
    if !cleanup::register(&temp) {
        return Err("interrupted".into());
    }
    let sink = match audio::create(
        &temp,
        job.format,
        job.info.sample_rate,
        job.info.channels,
        shared.dither,
    ) {
        Ok(s) => s,
        Err(e) => {
            cleanup::discard(&temp);
            return Err(e);
        }
    };
    let ch = job.info.channels;
    Ok(Active {
        job,
        source,
        sink: Some(sink),
        temp,
        lane,
        frames: 0,
        got: 0,
        ended: false,
        error: None,
        input_peak: vec![0.0; ch],
        output_peak: vec![0.0; ch],
        reduction: 0.0,
        bytes_reported: 0,
        interleaved: Vec::with_capacity(BLOCK * ch),
    })
}

fn make_compressor(
    files: &[Active<'_>],
    lanes: usize,
    fs: u32,
    shared: &Shared,
) -> Result<Compressor, String> {
    let mut comp = Compressor::new(fs as f32, lanes, shared.settings)
        .and_then(|c| c.with_isa(shared.isa))
        .map_err(|e| format!("cannot build the processor: {e}"))?;
    let groups: Vec<Vec<usize>> = files
        .iter()
        .filter_map(|f| {
            let ch = f.job.info.channels;
            let linked = match shared.link {
                LinkArg::Stereo => ch == 2,
                LinkArg::All => ch > 1,
                LinkArg::None => false,
            };
            linked.then(|| (f.lane..f.lane + ch).collect())
        })
        .collect();
    if !groups.is_empty() {
        comp.set_links(&groups, 1.0, shared.link_mode)
            .map_err(|e| format!("cannot link the channels: {e}"))?;
    }
    Ok(comp)
}

fn finish_failed(mut f: Active<'_>, error: String, shared: &Shared, reports: &mut Vec<FileReport>) {
    f.error = Some(error);
    finish(f, Instant::now(), shared, reports);
}

/// Completes (or discards) a file's output and reports it.
fn finish(mut f: Active<'_>, started: Instant, shared: &Shared, reports: &mut Vec<FileReport>) {
    let job = f.job;
    let mut error = f.error.take();
    if let Some(sink) = f.sink.take() {
        if error.is_none() {
            error = sink.finish().err();
        } else {
            drop(sink);
        }
    }
    if error.is_none() {
        if let Err(e) = cleanup::commit(&f.temp, &job.output) {
            error = Some(format!("cannot rename the output into place: {e}"));
        }
    } else {
        cleanup::discard(&f.temp);
    }
    shared
        .progress
        .inc(job.bytes.saturating_sub(f.bytes_reported));
    shared.files_done.fetch_add(1, Ordering::Relaxed);
    let mut report = FileReport {
        input: job.input.display().to_string(),
        codec: Some(job.info.codec),
        sample_rate: Some(job.info.sample_rate),
        channels: Some(job.info.channels),
        frames: Some(f.frames),
        input_format: Some(job.info.kind.to_string()),
        seconds: started.elapsed().as_secs_f64(),
        ..FileReport::default()
    };
    match error {
        Some(e) => report.error = Some(e),
        None => {
            let max = |v: &[f32]| v.iter().fold(0.0f32, |m, &x| m.max(x));
            report.ok = true;
            report.output = Some(job.output.display().to_string());
            report.output_format = Some(job.format.to_string());
            report.input_peak_dbfs = dbfs(max(&f.input_peak));
            report.output_peak_dbfs = dbfs(max(&f.output_peak));
            report.channel_input_peak_dbfs = f.input_peak.iter().map(|&x| dbfs(x)).collect();
            report.channel_output_peak_dbfs = f.output_peak.iter().map(|&x| dbfs(x)).collect();
            report.max_gain_reduction_db = Some(-f64::from(f.reduction) + 0.0);
        }
    }
    reports.push(report);
}
