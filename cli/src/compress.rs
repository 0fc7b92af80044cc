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
const BLOCK: usize = 16384;
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

impl From<LinkModeArg> for LinkMode {
    fn from(m: LinkModeArg) -> LinkMode {
        match m {
            LinkModeArg::Max => LinkMode::Max,
            LinkModeArg::Mean => LinkMode::Mean,
        }
    }
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
    #[command(flatten)]
    inputs: Inputs,
    #[command(flatten)]
    curve: Curve,
    /// A file whose level drives the detectors of every input (mono, or the
    /// input's channel count; same sample rate; silence past its end).
    #[arg(long, value_name = "FILE")]
    sidechain: Option<PathBuf>,
    #[command(flatten)]
    output: Output,
}

/// The dynamics options (shared by `compress` and `master`).
#[derive(clap::Args, Debug)]
pub struct Curve {
    /// What the processor does; each mode has its own defaults.
    #[arg(long, value_enum, default_value_t = ModeArg::Compress)]
    pub mode: ModeArg,
    /// Threshold in dBFS (default: compress -20, gate/expand -50, upward -40).
    #[arg(long, allow_hyphen_values = true)]
    pub threshold_db: Option<f32>,
    /// Ratio, at least 1; `inf` limits (or gates) (default: compress 4, expand 2, gate inf, upward 2).
    #[arg(long)]
    ratio: Option<f32>,
    /// Soft knee width in dB (default: 6; gate 0).
    #[arg(long)]
    knee_db: Option<f32>,
    /// Attack in milliseconds (default: compress 5, expand 2, gate 1, upward 10).
    #[arg(long)]
    attack_ms: Option<f32>,
    /// Release in milliseconds (default: compress 50, others 100).
    #[arg(long)]
    release_ms: Option<f32>,
    /// How attack and release times map to the smoother.
    #[arg(long, value_enum, default_value_t = TimesArg::Tau)]
    times: TimesArg,
    /// Largest gain change in dB (default: expand 40, gate 80, upward 24, compress 600).
    #[arg(long)]
    range_db: Option<f32>,
    /// Fixed makeup gain in dB (default: 0).
    #[arg(long, allow_hyphen_values = true, conflicts_with = "auto_makeup")]
    makeup_db: Option<f32>,
    /// Makeup that undoes the curve's gain change at 0 dBFS.
    #[arg(long)]
    auto_makeup: bool,
    /// Wet share, 0 to 1 (default: 1).
    #[arg(long)]
    mix: Option<f32>,
    /// Detector (default: peak; upward rms).
    #[arg(long, value_enum)]
    detection: Option<DetectionArg>,
    /// RMS window (detector attack and release) in milliseconds (default: 50).
    #[arg(long)]
    rms_ms: Option<f32>,
    /// Channel linking within each file.
    #[arg(long, value_enum, default_value_t = LinkArg::Stereo)]
    pub link: LinkArg,
    /// How linked channels combine their levels.
    #[arg(long, value_enum, default_value_t = LinkModeArg::Max)]
    pub link_mode: LinkModeArg,
}

/// The inputs and where their outputs go (shared by every file command).
#[derive(clap::Args, Debug)]
pub struct Inputs {
    /// Input files; directories too with --recursive.
    #[arg(required = true, value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Directory the outputs are written to (created if missing).
    #[arg(short, long, value_name = "DIR", required_unless_present = "in_place")]
    pub out_dir: Option<PathBuf>,
    /// Replace the inputs (allowed only with this flag).
    #[arg(long)]
    pub in_place: bool,
    /// Descend into directories given as inputs, mirroring their tree.
    #[arg(short, long)]
    pub recursive: bool,
}

/// Output format, threads, ISA and reporting (shared by every file command).
#[derive(clap::Args, Debug)]
pub struct Output {
    /// Output format (default: WAV with the input's sample format).
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Round to integer outputs without TPDF dither.
    #[arg(long)]
    pub no_dither: bool,
    /// Worker threads (default: all cores).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Force an ISA (scalar, avx2, avx512, neon) instead of dispatch's choice.
    #[arg(long)]
    pub isa: Option<String>,
    /// No progress bar and no summary (errors are still printed).
    #[arg(short, long)]
    pub quiet: bool,
    /// Write a JSON report of every file to this path.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,
}

/// A failure that stops the command before any file is processed.
pub struct UsageError(pub String);

/// The compressor settings the options describe.
pub fn settings(args: &Curve) -> Result<Settings, UsageError> {
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
    /// What the command adds (master: loudness in and out, gain).
    #[serde(skip_serializing_if = "Option::is_none")]
    plan: Option<serde_json::Value>,
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
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<ModeArg>,
    link: LinkArg,
    settings: String,
    files_ok: usize,
    files_failed: usize,
    seconds: f64,
    files: Vec<FileReport>,
}

/// A level in dBFS, `None` for silence (and for non-finite levels).
pub fn dbfs(x: f32) -> Option<f64> {
    (x > 0.0 && x.is_finite()).then(|| 20.0 * f64::from(x).log10())
}

/// A processor running the lanes of one batch (compress: a
/// [`Compressor`]; limit: a [`lanedsp::Limiter`]).
pub trait Dsp: Send {
    /// Processes `bufs` in place (one slice per lane), with the sidechain
    /// `key` (one slice per lane) when the command has one.
    fn process(&mut self, bufs: &mut [&mut [f32]], key: Option<&[&[f32]]>) -> lanedsp::Result<()>;
    /// Frames the output lags the input: the driver feeds this many frames
    /// of silence after each file's end and drops as many from its start,
    /// so every output has its input's length and alignment.
    fn latency(&self) -> usize {
        0
    }
    /// Deepest gain reduction of `lane` so far, in dB (0 or negative).
    fn reduction_db(&self, lane: usize) -> f32;
    /// Processes the interleaved frames of every lane from `input` into
    /// `output` (as long), when the processor has this route; `None` (and
    /// nothing done) when the driver must use [`Dsp::process`].
    fn process_interleaved(
        &mut self,
        input: &[f32],
        output: &mut [f32],
    ) -> Option<lanedsp::Result<()>> {
        let _ = (input, output);
        None
    }
}

impl Dsp for Compressor {
    fn process(&mut self, bufs: &mut [&mut [f32]], key: Option<&[&[f32]]>) -> lanedsp::Result<()> {
        match key {
            Some(keys) => {
                self.process_sidechain(Buffers::PlanarInPlace { bufs }, Sidechain::Planar(keys))
            }
            None => self.process_planar_in_place(bufs),
        }
    }

    fn reduction_db(&self, lane: usize) -> f32 {
        self.peak_reduction_db(lane)
    }

    fn process_interleaved(
        &mut self,
        input: &[f32],
        output: &mut [f32],
    ) -> Option<lanedsp::Result<()>> {
        Some(Processor::process_interleaved(self, input, output))
    }
}

/// Where one file of a batch sits in the lanes of its processor.
#[derive(Clone, Copy, Debug)]
pub struct Placement<'a> {
    /// The file's first lane.
    pub lane: usize,
    /// Its channels (lanes `lane..lane + channels`).
    pub channels: usize,
    /// The input file.
    pub input: &'a Path,
}

/// Builds a batch's processor from its sample rate, its lane count and
/// where each file sits.
pub type MakeDsp<'a> =
    dyn Fn(u32, usize, &[Placement<'_>]) -> Result<Box<dyn Dsp>, String> + Sync + 'a;

/// Extra report fields of an input file.
pub type Annotate<'a> = dyn Fn(&Path) -> Option<serde_json::Value> + Sync + 'a;

/// What a file command brings to the shared driver ([`drive`]).
pub struct Command<'a> {
    /// The subcommand's name (for the report).
    pub name: &'static str,
    /// The compress mode (reported when present).
    pub mode: Option<ModeArg>,
    /// The link option (reported).
    pub link: LinkArg,
    /// The settings, as reported.
    pub settings: String,
    /// A sidechain file feeding every batch.
    pub sidechain: Option<PathBuf>,
    /// Refuses a file the command cannot process, before any processing.
    pub check: &'a (dyn Fn(&Info) -> Result<(), String> + Sync),
    /// The processor of a batch.
    pub make: &'a MakeDsp<'a>,
    /// What the command adds to a file's entry in the report.
    pub annotate: Option<&'a Annotate<'a>>,
}

/// Runs the command; `Ok(true)` when every file was processed.
pub fn run(args: &Args) -> Result<bool, UsageError> {
    let settings = settings(&args.curve)?;
    let link = args.curve.link;
    let link_mode = LinkMode::from(args.curve.link_mode);
    let check = |info: &Info| {
        if link == LinkArg::All && info.channels > lanedsp::MAX_LINK {
            return Err(format!(
                "--link all links at most {} channels; this file has {}",
                lanedsp::MAX_LINK,
                info.channels
            ));
        }
        Ok(())
    };
    let isa = isa_option(args.output.isa.as_deref())?;
    let make = |fs: u32, lanes: usize, files: &[Placement<'_>]| {
        let mut comp = Compressor::new(fs as f32, lanes, settings)
            .and_then(|c| c.with_isa(isa))
            .map_err(|e| format!("cannot build the processor: {e}"))?;
        let groups: Vec<Vec<usize>> = files
            .iter()
            .filter_map(|p| {
                let (lane, ch) = (p.lane, p.channels);
                let linked = match link {
                    LinkArg::Stereo => ch == 2,
                    LinkArg::All => ch > 1,
                    LinkArg::None => false,
                };
                linked.then(|| (lane..lane + ch).collect())
            })
            .collect();
        if !groups.is_empty() {
            comp.set_links(&groups, 1.0, link_mode)
                .map_err(|e| format!("cannot link the channels: {e}"))?;
        }
        Ok(Box::new(comp) as Box<dyn Dsp>)
    };
    drive(
        &args.inputs,
        &args.output,
        &Command {
            name: "compress",
            mode: Some(args.curve.mode),
            link,
            settings: format!("{settings:?}"),
            sidechain: args.sidechain.clone(),
            check: &check,
            make: &make,
            annotate: None,
        },
    )
}

/// The worker threads `-j` asks for (default: all cores) and a pool of
/// them; `-j 0` is a usage error.
pub fn thread_pool(jobs: Option<usize>) -> Result<(usize, rayon::ThreadPool), UsageError> {
    let jobs = jobs.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    if jobs == 0 {
        return Err(UsageError("-j must be at least 1".into()));
    }
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .map_err(|e| UsageError(format!("cannot start {jobs} threads: {e}")))?;
    Ok((jobs, pool))
}

/// The driver of every file command: collects and probes the inputs,
/// plans the outputs, cuts batches, runs them on `-j` threads through the
/// command's processor, and reports.
pub fn drive(inputs: &Inputs, output: &Output, command: &Command<'_>) -> Result<bool, UsageError> {
    let isa = isa_option(output.isa.as_deref())?;
    let (jobs, pool) = thread_pool(output.jobs)?;
    let start = Instant::now();
    let mut reports: Vec<FileReport> = Vec::new();
    let files = collect_inputs(inputs, &mut reports);
    cleanup::install_handler();

    // Probe every input (in parallel) for its rate, channels and format.
    let probed: Vec<(PathBuf, PathBuf, Result<Info, String>)> = pool.install(|| {
        files
            .into_par_iter()
            .map(|(input, rel)| {
                let info = audio::open(&input).map(|s| s.info().clone());
                (input, rel, info)
            })
            .collect()
    });
    let key_info = match &command.sidechain {
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
        let info = info.and_then(|i| (command.check)(&i).map(|()| i));
        match plan_job(
            inputs,
            output,
            &input,
            &rel,
            info,
            key_info.as_ref(),
            &mut taken,
        ) {
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
        batches.extend(cut_batches(group, |j| j.info.channels, jobs));
    }

    let total_bytes: u64 = batches.iter().flatten().map(|j| j.bytes).sum();
    let progress = if output.quiet || !std::io::stderr().is_terminal() {
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
        make: command.make,
        sidechain: command.sidechain.clone(),
        dither: !output.no_dither,
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
    if let Some(annotate) = command.annotate {
        for r in reports.iter_mut().filter(|r| r.ok) {
            r.plan = annotate(Path::new(&r.input));
        }
    }

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
    if !output.quiet {
        let audio = shared.audio_micros.load(Ordering::Relaxed) as f64 * 1e-6;
        eprintln!(
            "lanedsp: {ok} file(s) written, {failed} failed; {audio:.1} s of audio in {seconds:.2} s ({:.0}x realtime) on {isa}, {jobs} thread(s)",
            audio / seconds.max(1e-9)
        );
    }
    if let Some(path) = &output.report {
        let report = Report {
            lanedsp_version: env!("CARGO_PKG_VERSION"),
            command: command.name,
            isa: isa.name(),
            jobs,
            mode: command.mode,
            link: command.link,
            settings: command.settings.clone(),
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

/// Files of one sample rate (in the order given) cut into batches of at
/// most [`BATCH_CHANNELS`] lanes each, and at least as many batches as
/// threads (`jobs`), so that every core has one.
pub fn cut_batches<T>(group: Vec<T>, channels: impl Fn(&T) -> usize, jobs: usize) -> Vec<Vec<T>> {
    let total: usize = group.iter().map(&channels).sum();
    let count = total
        .div_ceil(BATCH_CHANNELS)
        .max(jobs.min(group.len()))
        .max(1);
    let target = total.div_ceil(count);
    let mut batches = Vec::new();
    let mut batch = Vec::new();
    let mut lanes = 0;
    for item in group {
        let ch = channels(&item);
        if !batch.is_empty() && lanes + ch > target {
            batches.push(std::mem::take(&mut batch));
            lanes = 0;
        }
        lanes += ch;
        batch.push(item);
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    batches
}

/// The inputs as (path, path relative to the output directory); errors for
/// missing paths and directories without `--recursive` go to `reports`.
fn collect_inputs(args: &Inputs, reports: &mut Vec<FileReport>) -> Vec<(PathBuf, PathBuf)> {
    let (found, failed) = list_inputs(&args.files, args.recursive);
    reports.extend(
        failed
            .into_iter()
            .map(|(path, e)| FileReport::failed(&path, e)),
    );
    found
}

/// A path that cannot be used as an input, and why.
pub type Refused = (PathBuf, String);

/// The audio files `paths` name, as (path, path relative to the output
/// directory): files as given, and with `recursive` the audio files under
/// directories (sorted); then the paths that cannot be used, with why.
pub fn list_inputs(paths: &[PathBuf], recursive: bool) -> (Vec<(PathBuf, PathBuf)>, Vec<Refused>) {
    let mut out = Vec::new();
    let mut failed = Vec::new();
    for path in paths {
        match std::fs::metadata(path) {
            Err(e) => failed.push((path.clone(), format!("cannot open: {e}"))),
            Ok(m) if m.is_dir() => {
                if recursive {
                    let mut found = Vec::new();
                    if let Err(e) = walk(path, Path::new(""), &mut found) {
                        failed.push((path.clone(), format!("cannot list: {e}")));
                    }
                    found.sort();
                    out.extend(found.into_iter().map(|rel| (path.join(&rel), rel)));
                } else {
                    failed.push((path.clone(), "is a directory (use --recursive)".into()));
                }
            }
            Ok(_) => {
                let name = path.file_name().map(PathBuf::from).unwrap_or_default();
                out.push((path.clone(), name));
            }
        }
    }
    (out, failed)
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
    args: &Inputs,
    output_options: &Output,
    input: &Path,
    rel: &Path,
    info: Result<Info, String>,
    key: Option<&Info>,
    taken: &mut HashMap<PathBuf, PathBuf>,
) -> Result<Job, String> {
    let info = info?;
    let format = out_format(output_options.format, info.kind);
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
    if info.channels > lanedsp::MAX_CHANNELS {
        return Err(format!("{} channels is more than supported", info.channels));
    }
    // The directory first, so that every output's key below is canonical
    // (two spellings of one path must collide).
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    let canonical_key = parent
        .canonicalize()
        .map(|p| p.join(output.file_name().unwrap_or_default()))
        .unwrap_or_else(|_| output.clone());
    if let Some(other) = taken.get(&canonical_key) {
        return Err(format!(
            "its output {} is also the output of {}",
            output.display(),
            other.display()
        ));
    }
    taken.insert(canonical_key, input.to_path_buf());
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
struct Shared<'a> {
    make: &'a MakeDsp<'a>,
    sidechain: Option<PathBuf>,
    dither: bool,
    progress: ProgressBar,
    audio_micros: AtomicU64,
    files_total: usize,
    files_done: AtomicU64,
    start: Instant,
}

/// A file being processed in a batch (its decoder lives beside it, in
/// the batch's list of sources, so that decoding can run in parallel with
/// processing and encoding).
struct Active<'j> {
    job: &'j Job,
    sink: Option<Box<dyn Sink>>,
    temp: PathBuf,
    /// First lane of its channels.
    lane: usize,
    /// Output frames produced (handed to the encoder; a file whose
    /// encoding fails is discarded whole).
    frames: u64,
    /// Frames fed to the processor (its input, then the silence that
    /// pushes the last `latency` frames out).
    fed: u64,
    /// Frames of silence still to feed after the input's end.
    pad: usize,
    /// Frames fed in the current block.
    step: usize,
    ended: bool,
    error: Option<String>,
    input_peak: Vec<f32>,
    output_peak: Vec<f32>,
    reduction: f32,
    bytes_reported: u64,
    /// The block's output frames, interleaved.
    interleaved: Vec<f32>,
}

impl Active<'_> {
    /// The frames of `block` this file takes (none once it has failed).
    fn input_frames(&self, block: &Block) -> usize {
        if self.error.is_some() { 0 } else { block.got }
    }

    /// The frames fed in the current block (none once it has failed).
    fn live_step(&self) -> usize {
        if self.error.is_some() { 0 } else { self.step }
    }

    /// Reads the deepest gain reduction of the file's lanes (at its end,
    /// before the processor moves on to other files' frames).
    fn read_reduction(&mut self, dsp: &dyn Dsp) {
        self.reduction = (0..self.job.info.channels)
            .map(|c| dsp.reduction_db(self.lane + c))
            .fold(0.0f32, f32::min);
    }
}

/// A file's encoder: the block processed in one step is encoded beside
/// the decoding of the next step (a file's last block right after its
/// step, before the file is completed).
struct Encoder {
    sink: Option<Box<dyn Sink>>,
    /// Interleaved frames waiting to be encoded.
    pending: Vec<f32>,
    error: Option<String>,
}

impl Encoder {
    /// Encodes the pending frames (none after an error).
    fn write(&mut self) {
        if !self.pending.is_empty()
            && self.error.is_none()
            && let Some(sink) = self.sink.as_mut()
            && let Err(e) = sink.write(&self.pending)
        {
            self.error = Some(e);
        }
        self.pending.clear();
    }
}

/// A batch's planar buffers: one per lane, for the audio and for the
/// sidechain.
struct Lanes {
    planar: Vec<Vec<f32>>,
    key: Vec<Vec<f32>>,
    /// Channels of the sidechain file (1 feeds every lane).
    key_channels: usize,
}

/// One decoded block of a file (or of the sidechain).
#[derive(Default)]
struct Block {
    data: Vec<f32>,
    /// Frames; fewer than `BLOCK` at the end of the stream.
    got: usize,
    error: Option<String>,
    /// Whether this block was read (the stream had not ended before it).
    read: bool,
}

impl Block {
    /// Whether the stream goes on after this block.
    fn more(&self) -> bool {
        self.read && self.error.is_none() && self.got == BLOCK
    }
}

/// Decodes the next block of every source whose previous block says the
/// stream goes on.
fn decode(sources: &mut [Box<dyn Source>], previous: &[Block], next: &mut [Block]) {
    for ((source, prev), block) in sources.iter_mut().zip(previous).zip(next.iter_mut()) {
        block.data.clear();
        block.got = 0;
        block.error = None;
        block.read = prev.more();
        if block.read {
            match source.read(BLOCK, &mut block.data) {
                Ok(n) => block.got = n,
                Err(e) => block.error = Some(e),
            }
        }
    }
}

fn run_batch(batch: &[Job], shared: &Shared<'_>) -> Vec<FileReport> {
    let started = Instant::now();
    let mut reports = Vec::new();
    let mut files: Vec<Active<'_>> = Vec::new();
    let mut sources: Vec<Box<dyn Source>> = Vec::new();
    let mut lanes = 0;
    for job in batch {
        match start_file(job, shared, lanes) {
            Ok((active, source)) => {
                lanes += job.info.channels;
                files.push(active);
                sources.push(source);
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
    let layout: Vec<Placement<'_>> = files
        .iter()
        .map(|f| Placement {
            lane: f.lane,
            channels: f.job.info.channels,
            input: &f.job.input,
        })
        .collect();
    let mut dsp = match (shared.make)(fs, lanes, &layout) {
        Ok(c) => c,
        Err(e) => {
            for f in files {
                finish_failed(f, e.clone(), shared, &mut reports);
            }
            return reports;
        }
    };
    for f in files.iter_mut() {
        f.pad = dsp.latency();
    }
    let mut key: Vec<Box<dyn Source>> = Vec::new();
    if let Some(path) = &shared.sidechain {
        match audio::open(path) {
            Ok(source) => key.push(source),
            Err(e) => {
                for f in files {
                    finish_failed(f, format!("sidechain: {e}"), shared, &mut reports);
                }
                return reports;
            }
        }
    }
    let mut buffers = Lanes {
        planar: vec![vec![0.0f32; BLOCK]; lanes],
        key: vec![vec![0.0f32; BLOCK]; if key.is_empty() { 0 } else { lanes }],
        key_channels: key.first().map_or(1, |k| k.info().channels),
    };

    // Block n is processed while block n + 1 is decoded and block n - 1
    // encoded.
    let start = |n: usize| {
        (0..n)
            .map(|_| Block {
                got: BLOCK,
                read: true,
                ..Block::default()
            })
            .collect::<Vec<_>>()
    };
    let (mut current, mut next) = (Vec::new(), Vec::new());
    current.resize_with(files.len(), Block::default);
    next.resize_with(files.len(), Block::default);
    let mut key_current: Vec<Block> = Vec::new();
    let mut key_next: Vec<Block> = Vec::new();
    key_current.resize_with(key.len(), Block::default);
    key_next.resize_with(key.len(), Block::default);
    let first = start(files.len().max(key.len()));
    decode(&mut sources, &first, &mut current);
    decode(&mut key, &first, &mut key_current);
    let mut encoders: Vec<Encoder> = files
        .iter_mut()
        .map(|f| Encoder {
            sink: f.sink.take(),
            pending: Vec::with_capacity(f.interleaved.capacity()),
            error: None,
        })
        .collect();
    loop {
        rayon::join(
            || {
                decode(&mut sources, &current, &mut next);
                decode(&mut key, &key_current, &mut key_next);
                encoders.iter_mut().for_each(Encoder::write);
            },
            || {
                process_block(
                    &mut files,
                    &current,
                    key_current.first(),
                    dsp.as_mut(),
                    &mut buffers,
                    fs,
                    shared,
                )
            },
        );
        for (f, out) in files.iter_mut().zip(encoders.iter_mut()) {
            // The block just processed is written during the next one.
            std::mem::swap(&mut f.interleaved, &mut out.pending);
            if f.ended && out.sink.is_some() {
                out.write();
                f.sink = out.sink.take();
            }
            if let Some(e) = &out.error {
                f.error.get_or_insert_with(|| e.clone());
            }
            if f.ended && f.sink.is_some() {
                finish_file(f, started, shared, &mut reports);
            }
        }
        if files.iter().all(|f| f.ended) {
            break;
        }
        std::mem::swap(&mut current, &mut next);
        std::mem::swap(&mut key_current, &mut key_next);
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

/// Processes one decoded block of every running file and leaves each
/// file's output frames in its `interleaved` buffer; files that end are
/// marked.
///
/// With a latency `L`, each file is fed its input and then `L` frames of
/// silence (what the processor's flush does), and its first `L` output
/// frames are dropped: the output has the input's length and alignment.
fn process_block(
    files: &mut [Active<'_>],
    blocks: &[Block],
    key: Option<&Block>,
    dsp: &mut dyn Dsp,
    lanes: &mut Lanes,
    fs: u32,
    shared: &Shared<'_>,
) {
    for (f, block) in files.iter_mut().zip(blocks) {
        if f.ended {
            continue;
        }
        if let Some(e) = &block.error {
            f.error.get_or_insert_with(|| e.clone());
        }
        let got = f.input_frames(block);
        // Once the input has ended, silence until the latency is out.
        f.step = if f.error.is_some() {
            0
        } else if got < BLOCK {
            let step = (got + f.pad).min(BLOCK);
            f.pad -= step - got;
            step
        } else {
            BLOCK
        };
    }
    let single = match (&mut *files, key) {
        ([f], None) if !f.ended && dsp.latency() == 0 => process_interleaved(f, &blocks[0], dsp),
        _ => false,
    };
    if !single {
        process_planar(files, blocks, key, dsp, lanes);
    }
    for f in files.iter_mut() {
        if f.ended {
            continue;
        }
        let step = f.live_step();
        let got = f.interleaved.len() / f.job.info.channels;
        f.fed += step as u64;
        if got > 0 {
            fold_peaks(&f.interleaved, &mut f.output_peak);
            f.frames += got as u64;
            shared
                .audio_micros
                .fetch_add(got as u64 * 1_000_000 / u64::from(fs), Ordering::Relaxed);
            report_bytes(f, shared);
        }
        if f.error.is_some() || step < BLOCK {
            f.ended = true;
        }
    }
}

/// The output frames of a block of `step` frames after `fed` frames were
/// fed: those before the processor's `latency` are its silence.
fn skipped(latency: usize, fed: u64, step: usize) -> usize {
    (latency as u64).saturating_sub(fed).min(step as u64) as usize
}

/// A batch of one file, no sidechain and no latency: its interleaved
/// frames go through the processor as they are, into the file's
/// `interleaved` buffer. `false` when the processor has no interleaved
/// route (nothing was done).
fn process_interleaved(f: &mut Active<'_>, block: &Block, dsp: &mut dyn Dsp) -> bool {
    let ch = f.job.info.channels;
    let step = f.live_step();
    let input = &block.data[..step * ch];
    f.interleaved.clear();
    f.interleaved.resize(step * ch, 0.0);
    let Some(result) = dsp.process_interleaved(input, &mut f.interleaved) else {
        return false;
    };
    fold_peaks(input, &mut f.input_peak);
    if let Err(e) = result {
        f.error.get_or_insert_with(|| format!("processing: {e}"));
        f.interleaved.clear();
    }
    if step < BLOCK || f.error.is_some() {
        f.read_reduction(dsp);
    }
    true
}

/// Folds the largest magnitude of each channel of the interleaved
/// `frames` into `peaks` (one per channel; NaN is passed over, as by
/// `f32::max`). Channel counts that divide 16 take 16 samples at a time.
fn fold_peaks(frames: &[f32], peaks: &mut [f32]) {
    const WIDTH: usize = 16;
    let ch = peaks.len();
    if WIDTH.is_multiple_of(ch) {
        let mut acc = [0.0f32; WIDTH];
        let mut rows = frames.chunks_exact(WIDTH);
        for row in &mut rows {
            for (a, &x) in acc.iter_mut().zip(row) {
                *a = a.max(x.abs());
            }
        }
        for (i, &a) in acc.iter().enumerate() {
            peaks[i % ch] = peaks[i % ch].max(a);
        }
        for (i, &x) in rows.remainder().iter().enumerate() {
            peaks[i % ch] = peaks[i % ch].max(x.abs());
        }
    } else {
        for frame in frames.chunks_exact(ch) {
            for (p, &x) in peaks.iter_mut().zip(frame) {
                *p = p.max(x.abs());
            }
        }
    }
}

/// Every other batch: each file's channels are copied into their lanes
/// and processed in one call per piece (pieces end where files end, so
/// that each file's meter is read at its own end), then interleaved into
/// the file's `interleaved` buffer.
fn process_planar(
    files: &mut [Active<'_>],
    blocks: &[Block],
    key: Option<&Block>,
    dsp: &mut dyn Dsp,
    lanes: &mut Lanes,
) {
    let Lanes {
        planar,
        key: key_planar,
        key_channels,
    } = lanes;
    let key_channels = *key_channels;
    let latency = dsp.latency();
    let mut length = 0;
    for (f, block) in files.iter_mut().zip(blocks) {
        if f.ended {
            continue;
        }
        let got = f.input_frames(block);
        let ch = f.job.info.channels;
        fold_peaks(&block.data[..got * ch], &mut f.input_peak);
        for (c, lane) in planar[f.lane..f.lane + ch].iter_mut().enumerate() {
            for (dst, frame) in lane[..got].iter_mut().zip(block.data.chunks_exact(ch)) {
                *dst = frame[c];
            }
            lane[got..].fill(0.0);
        }
        length = length.max(f.live_step());
    }
    if let Some(kb) = key {
        if let Some(e) = &kb.error {
            for f in files.iter_mut().filter(|f| !f.ended) {
                f.error.get_or_insert_with(|| format!("sidechain: {e}"));
            }
        }
        let got = if kb.error.is_some() { 0 } else { kb.got };
        for f in files.iter().filter(|f| !f.ended) {
            for c in 0..f.job.info.channels {
                let kc = if key_channels == 1 { 0 } else { c };
                let lane = &mut key_planar[f.lane + c];
                for (dst, frame) in lane[..got]
                    .iter_mut()
                    .zip(kb.data.chunks_exact(key_channels))
                {
                    *dst = frame[kc];
                }
                lane[got..].fill(0.0);
            }
        }
    }

    // The frames each running file has in this block.
    let mut ends: Vec<usize> = files
        .iter()
        .filter(|f| !f.ended && f.live_step() < BLOCK)
        .map(Active::live_step)
        .collect();
    ends.push(length);
    ends.sort_unstable();
    ends.dedup();
    let mut at = 0;
    for &end in &ends {
        if end > at {
            let mut bufs: Vec<&mut [f32]> = planar.iter_mut().map(|l| &mut l[at..end]).collect();
            let result = if key.is_some() {
                let keys: Vec<&[f32]> = key_planar.iter().map(|l| &l[at..end]).collect();
                dsp.process(&mut bufs, Some(&keys))
            } else {
                dsp.process(&mut bufs, None)
            };
            if let Err(e) = result {
                for f in files.iter_mut().filter(|f| !f.ended) {
                    f.error.get_or_insert_with(|| format!("processing: {e}"));
                }
            }
            at = end;
        }
        for f in files.iter_mut() {
            if !f.ended && f.live_step() == end && end < BLOCK {
                f.read_reduction(dsp);
            }
        }
    }

    for f in files.iter_mut() {
        if f.ended {
            continue;
        }
        let step = f.live_step();
        let skip = skipped(latency, f.fed, step);
        let ch = f.job.info.channels;
        f.interleaved.clear();
        f.interleaved.resize((step - skip) * ch, 0.0);
        for c in 0..ch {
            let lane = &planar[f.lane + c][skip..step];
            for (frame, &x) in f.interleaved.chunks_exact_mut(ch).zip(lane) {
                frame[c] = x;
            }
        }
    }
}

fn report_bytes(f: &mut Active<'_>, shared: &Shared<'_>) {
    if let Some(total) = f.job.info.frames.filter(|&t| t > 0) {
        let target =
            (u128::from(f.job.bytes) * u128::from(f.frames.min(total)) / u128::from(total)) as u64;
        if target > f.bytes_reported {
            shared.progress.inc(target - f.bytes_reported);
            f.bytes_reported = target;
        }
    }
}

fn start_file<'j>(
    job: &'j Job,
    shared: &Shared<'_>,
    lane: usize,
) -> Result<(Active<'j>, Box<dyn Source>), String> {
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
    let active = Active {
        job,
        sink: Some(sink),
        temp,
        lane,
        frames: 0,
        fed: 0,
        pad: 0,
        step: 0,
        ended: false,
        error: None,
        input_peak: vec![0.0; ch],
        output_peak: vec![0.0; ch],
        reduction: 0.0,
        bytes_reported: 0,
        interleaved: Vec::with_capacity(BLOCK * ch),
    };
    Ok((active, source))
}

fn finish_failed(
    mut f: Active<'_>,
    error: String,
    shared: &Shared<'_>,
    reports: &mut Vec<FileReport>,
) {
    f.error = Some(error);
    finish_file(&mut f, Instant::now(), shared, reports);
}

/// Completes (or discards) a file's output and reports it.
fn finish_file(
    f: &mut Active<'_>,
    started: Instant,
    shared: &Shared<'_>,
    reports: &mut Vec<FileReport>,
) {
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
