//! Reading and writing audio files, block by block.
//!
//! Inputs: WAV, FLAC, MP3, Ogg Vorbis, AAC and ALAC (MP4/M4A, CAF), AIFF
//! through symphonia; WAV layouts symphonia refuses through hound.
//! Outputs: WAV through hound, FLAC through flacenc. Samples travel as interleaved `f32` in `[-1, 1)` full scale.

use flacenc::component::{BitRepr, Stream, StreamInfo};
use flacenc::error::Verify;
use flacenc::source::{Context, Fill, FrameBuf};
use serde::Serialize;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;
use symphonia::core::codecs::audio::well_known as codec_ids;
use symphonia::core::codecs::audio::{AudioDecoder, AudioDecoderOptions};
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, FormatReader, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::Duration;

/// An error with the reason, for the file it is reported against.
pub type Result<T, E = String> = std::result::Result<T, E>;

/// Buffer size of file readers and writers.
const IO_BUFFER: usize = 1 << 18;

/// How a file stores its samples.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SampleKind {
    /// Signed integers of this many bits (8, 16, 24 or 32).
    Int(u16),
    /// 32-bit float (64-bit float inputs are written as 32-bit).
    Float,
}

impl std::fmt::Display for SampleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SampleKind::Int(bits) => write!(f, "s{bits}"),
            SampleKind::Float => f.write_str("f32"),
        }
    }
}

/// What an input file holds.
#[derive(Clone, Debug)]
pub struct Info {
    /// Sample rate in Hz.
    pub sample_rate: u32,
    /// Channels per frame.
    pub channels: usize,
    /// Frames, when the container says.
    pub frames: Option<u64>,
    /// The sample format an output keeps by default.
    pub kind: SampleKind,
    /// Codec or container, for messages.
    pub codec: &'static str,
}

/// A decoder delivering interleaved `f32` frames.
pub trait Source: Send {
    /// What the file holds.
    fn info(&self) -> &Info;
    /// Appends up to `max_frames` frames to `out`; the number appended, 0
    /// at the end of the stream.
    fn read(&mut self, max_frames: usize, out: &mut Vec<f32>) -> Result<usize>;
}

/// Opens `path` for decoding (from memory when the command keeps decoded
/// files and holds this one: [`crate::cache`]).
pub fn open(path: &Path) -> Result<Box<dyn Source>> {
    crate::cache::open(path, decode)
}

/// Opens `path` for decoding: hound for the WAV layouts it reads, symphonia
/// for everything else.
fn decode(path: &Path) -> Result<Box<dyn Source>> {
    let mut file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut magic = [0u8; 12];
    let got = read_up_to(&mut file, &mut magic).map_err(|e| format!("cannot read: {e}"))?;
    if got == 0 {
        return Err("empty file (no header)".into());
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| format!("cannot read: {e}"))?;
    if got == 12 && &magic[0..4] == b"RIFF" && &magic[8..12] == b"WAVE" {
        // symphonia decodes PCM a packet at a time (hound a sample at a
        // time: a third slower here; docs/cli.md, "Benchmarks"); hound reads
        // what symphonia refuses, and its reason is reported when both fail.
        if let Ok(mut source) = SymphoniaSource::new(file, path) {
            if source.info.codec == "pcm" {
                source.info.codec = "wav";
            }
            return Ok(Box::new(source));
        }
        let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
        return match HoundSource::new(file) {
            Ok(source) => Ok(Box::new(source)),
            Err(HoundOpen::Unsupported) => Err("unsupported WAV layout".to_string()),
            Err(HoundOpen::Invalid(e)) => Err(format!("invalid WAV file: {e}")),
        };
    }
    let file = File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    SymphoniaSource::new(file, path).map(|s| Box::new(s) as Box<dyn Source>)
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

enum HoundOpen {
    Unsupported,
    Invalid(hound::Error),
}

/// A WAV file read with hound.
struct HoundSource {
    reader: hound::WavReader<BufReader<File>>,
    info: Info,
    /// Integer scale to full scale: `2^-(bits - 1)`.
    scale: f64,
}

impl HoundSource {
    fn new(file: File) -> Result<Self, HoundOpen> {
        let reader = match hound::WavReader::new(BufReader::with_capacity(IO_BUFFER, file)) {
            Ok(r) => r,
            Err(hound::Error::Unsupported) => return Err(HoundOpen::Unsupported),
            Err(e) => return Err(HoundOpen::Invalid(e)),
        };
        let spec = reader.spec();
        let kind = match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Float, 32) => SampleKind::Float,
            (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => SampleKind::Int(bits),
            _ => return Err(HoundOpen::Unsupported),
        };
        if spec.channels == 0 {
            return Err(HoundOpen::Invalid(hound::Error::FormatError("no channels")));
        }
        let bits = match kind {
            SampleKind::Int(bits) => bits,
            SampleKind::Float => 1,
        };
        Ok(HoundSource {
            info: Info {
                sample_rate: spec.sample_rate,
                channels: usize::from(spec.channels),
                frames: Some(u64::from(reader.duration())),
                kind,
                codec: "wav",
            },
            scale: (-f64::from(bits - 1)).exp2(),
            reader,
        })
    }
}

impl Source for HoundSource {
    fn info(&self) -> &Info {
        &self.info
    }

    fn read(&mut self, max_frames: usize, out: &mut Vec<f32>) -> Result<usize> {
        let want = max_frames * self.info.channels;
        let start = out.len();
        let fail = |e: hound::Error| format!("cannot decode: {}", describe_hound(e));
        match self.info.kind {
            SampleKind::Float => {
                for s in self.reader.samples::<f32>().take(want) {
                    out.push(s.map_err(fail)?);
                }
            }
            SampleKind::Int(_) => {
                let scale = self.scale;
                for s in self.reader.samples::<i32>().take(want) {
                    out.push((f64::from(s.map_err(fail)?) * scale) as f32);
                }
            }
        }
        let got = out.len() - start;
        if !got.is_multiple_of(self.info.channels) {
            return Err("truncated data (partial frame)".into());
        }
        Ok(got / self.info.channels)
    }
}

fn describe_hound(e: hound::Error) -> String {
    match e {
        // hound reports a short read as "Failed to read enough bytes."
        hound::Error::IoError(io)
            if io.kind() == std::io::ErrorKind::UnexpectedEof
                || io.to_string().contains("enough bytes") =>
        {
            "truncated data (the file ends before its data chunk does)".into()
        }
        other => other.to_string(),
    }
}

/// Any other file, read with symphonia.
struct SymphoniaSource {
    format: Box<dyn FormatReader>,
    decoder: Box<dyn AudioDecoder>,
    track: u32,
    info: Info,
    /// Decoded interleaved samples not yet handed out, from `at`.
    pending: Vec<f32>,
    at: usize,
    scratch: Vec<f32>,
    done: bool,
    /// Frames handed out so far.
    delivered: u64,
    /// The codec is 32-bit float little-endian PCM.
    raw_f32: bool,
}

impl SymphoniaSource {
    fn new(file: File, path: &Path) -> Result<Self> {
        let mss = MediaSourceStream::new(Box::new(file), Default::default());
        let mut hint = Hint::new();
        if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
            hint.with_extension(ext);
        }
        let format = symphonia::default::get_probe()
            .probe(
                &hint,
                mss,
                FormatOptions::default(),
                MetadataOptions::default(),
            )
            .map_err(|e| match e {
                symphonia::core::errors::Error::Unsupported(_) => {
                    "unsupported or unrecognised format".to_string()
                }
                other => format!("cannot read the container: {other}"),
            })?;
        let track = format
            .default_track(TrackType::Audio)
            .ok_or("no audio track")?;
        let params = track
            .codec_params
            .as_ref()
            .and_then(|p| p.audio())
            .ok_or("no audio codec parameters")?
            .clone();
        let track_id = track.id;
        let frames = track.num_frames;
        let sample_rate = params.sample_rate.ok_or("unknown sample rate")?;
        let channels = params
            .channels
            .as_ref()
            .map(|c| c.count())
            .filter(|&c| c > 0)
            .ok_or("unknown channel count")?;
        let decoder = symphonia::default::get_codecs()
            .make_audio_decoder(&params, &AudioDecoderOptions::default())
            .map_err(|e| format!("unsupported codec: {e}"))?;
        let (kind, codec) = classify(&params);
        Ok(SymphoniaSource {
            format,
            decoder,
            track: track_id,
            info: Info {
                sample_rate,
                channels,
                frames,
                kind,
                codec,
            },
            pending: Vec::new(),
            at: 0,
            scratch: Vec::new(),
            done: false,
            delivered: 0,
            raw_f32: params.codec == codec_ids::CODEC_ID_PCM_F32LE,
        })
    }

    /// Decodes packets until `samples` are pending or the stream ends.
    fn fill(&mut self, samples: usize) -> Result<()> {
        use symphonia::core::errors::Error as E;
        while !self.done && self.pending.len() - self.at < samples {
            let packet = match self.format.next_packet() {
                Ok(Some(p)) => p,
                Ok(None) => {
                    self.done = true;
                    break;
                }
                Err(E::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                    return Err("truncated data (the stream ends inside a packet)".into());
                }
                Err(E::ResetRequired) => {
                    return Err(
                        "chained streams (a new track list mid-file) are not supported".into(),
                    );
                }
                Err(e) => return Err(format!("cannot decode: {e}")),
            };
            if packet.track_id != self.track {
                continue;
            }
            if self.at > 0 {
                self.pending.drain(..self.at);
                self.at = 0;
            }
            if self.raw_f32
                && packet.trim_start == Duration::ZERO
                && packet.trim_end == Duration::ZERO
                && packet.data.len().is_multiple_of(4 * self.info.channels)
            {
                // 32-bit float little-endian PCM in whole frames: the
                // packet's bytes are the samples, interleaved (what the
                // decoder would give, bit for bit, in one pass instead of
                // three). Any other packet goes through the decoder.
                self.pending.extend(
                    packet
                        .data
                        .chunks_exact(4)
                        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
                );
                continue;
            }
            let decoded = self
                .decoder
                .decode(&packet)
                .map_err(|e| format!("cannot decode: {e}"))?;
            if decoded.spec().channels().count() != self.info.channels {
                return Err("the channel count changes mid-stream".into());
            }
            decoded.copy_to_vec_interleaved::<f32>(&mut self.scratch);
            self.pending.extend_from_slice(&self.scratch);
        }
        Ok(())
    }
}

fn classify(
    params: &symphonia::core::codecs::audio::AudioCodecParameters,
) -> (SampleKind, &'static str) {
    use symphonia::core::audio::sample::SampleFormat as F;
    let c = params.codec;
    let codec = if c == codec_ids::CODEC_ID_FLAC {
        "flac"
    } else if c == codec_ids::CODEC_ID_ALAC {
        "alac"
    } else if c == codec_ids::CODEC_ID_MP3
        || c == codec_ids::CODEC_ID_MP2
        || c == codec_ids::CODEC_ID_MP1
    {
        "mpeg audio"
    } else if c == codec_ids::CODEC_ID_AAC {
        "aac"
    } else if c == codec_ids::CODEC_ID_VORBIS {
        "vorbis"
    } else {
        "pcm"
    };
    let lossy = matches!(codec, "mpeg audio" | "aac" | "vorbis");
    let float_pcm = [
        codec_ids::CODEC_ID_PCM_F32LE,
        codec_ids::CODEC_ID_PCM_F32BE,
        codec_ids::CODEC_ID_PCM_F64LE,
        codec_ids::CODEC_ID_PCM_F64BE,
        codec_ids::CODEC_ID_PCM_F32LE_PLANAR,
        codec_ids::CODEC_ID_PCM_F32BE_PLANAR,
        codec_ids::CODEC_ID_PCM_F64LE_PLANAR,
        codec_ids::CODEC_ID_PCM_F64BE_PLANAR,
    ]
    .contains(&c);
    let kind = match (params.sample_format, params.bits_per_sample) {
        _ if lossy || float_pcm => SampleKind::Float,
        (Some(F::F32 | F::F64), _) => SampleKind::Float,
        (_, Some(bits)) => SampleKind::Int(match bits {
            0..=8 => 8,
            9..=16 => 16,
            17..=24 => 24,
            _ => 32,
        }),
        (Some(F::U8 | F::S8), None) => SampleKind::Int(8),
        (Some(F::U16 | F::S16), None) => SampleKind::Int(16),
        (Some(F::U24 | F::S24), None) => SampleKind::Int(24),
        (Some(F::U32 | F::S32), None) => SampleKind::Int(32),
        (None, None) => SampleKind::Float,
    };
    (kind, codec)
}

impl Source for SymphoniaSource {
    fn info(&self) -> &Info {
        &self.info
    }

    fn read(&mut self, max_frames: usize, out: &mut Vec<f32>) -> Result<usize> {
        let ch = self.info.channels;
        self.fill(max_frames * ch)?;
        let take = (self.pending.len() - self.at).min(max_frames * ch) / ch * ch;
        out.extend_from_slice(&self.pending[self.at..self.at + take]);
        self.at += take;
        self.delivered += (take / ch) as u64;
        // Demuxers end a cut-off stream quietly: compare with the length
        // the container states.
        if self.done
            && self.at == self.pending.len()
            && let Some(stated) = self.info.frames
            && self.delivered < stated
        {
            return Err(format!(
                "truncated data: the stream ends after {} of its {stated} frames",
                self.delivered
            ));
        }
        Ok(take / ch)
    }
}

/// What an output file is written as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutFormat {
    /// WAV with these samples.
    Wav(SampleKind),
    /// FLAC at this bit depth (8, 16 or 24).
    Flac(u16),
}

impl OutFormat {
    /// The file extension of the container.
    pub fn extension(self) -> &'static str {
        match self {
            OutFormat::Wav(_) => "wav",
            OutFormat::Flac(_) => "flac",
        }
    }
}

impl std::fmt::Display for OutFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OutFormat::Wav(kind) => write!(f, "wav {kind}"),
            OutFormat::Flac(bits) => write!(f, "flac s{bits}"),
        }
    }
}

/// Rounds float samples to integers of `bits` bits with TPDF dither.
///
/// `q = round(x * 2^(bits-1) + u1 - u2)`, clamped to the integer range, with
/// `u1`, `u2` uniform in `[0, 1)` (triangular dither of +-1 LSB peak). The
/// uniforms come from SplitMix64 seeded from the channel index only, so a
/// file's output is the same whatever else was processed beside it. NaN
/// becomes 0.
pub struct Quantizer {
    scale: f64,
    lo: f64,
    hi: f64,
    /// Per-channel generator state; `None` without dither.
    state: Option<Vec<u64>>,
}

/// Seed of the dither generators (channel `c` starts from `SEED + c`).
pub const DITHER_SEED: u64 = 0x6c61_6e65_6473_7030;

impl Quantizer {
    /// A quantizer to `bits` bits for `channels` channels.
    pub fn new(bits: u16, channels: usize, dither: bool) -> Quantizer {
        let full = f64::from(bits - 1).exp2();
        Quantizer {
            scale: full,
            lo: -full,
            hi: full - 1.0,
            state: dither.then(|| {
                (0..channels as u64)
                    .map(|c| DITHER_SEED.wrapping_add(c))
                    .collect()
            }),
        }
    }

    /// Appends the quantized `interleaved` samples to `out`.
    pub fn quantize(&mut self, interleaved: &[f32], out: &mut Vec<i32>) {
        let (scale, lo, hi) = (self.scale, self.lo, self.hi);
        out.reserve(interleaved.len());
        match &mut self.state {
            None => out.extend(
                interleaved
                    .iter()
                    .map(|&x| quantize(f64::from(x) * scale, lo, hi)),
            ),
            Some(state) => {
                let ch = state.len();
                for frame in interleaved.chunks_exact(ch) {
                    for (&x, s) in frame.iter().zip(state.iter_mut()) {
                        let r = splitmix64(s);
                        let u1 = (r >> 32) as f64 * (-32f64).exp2();
                        let u2 = (r & 0xffff_ffff) as f64 * (-32f64).exp2();
                        out.push(quantize(f64::from(x) * scale + (u1 - u2), lo, hi));
                    }
                }
            }
        }
    }
}

/// `round(v)` (half away from zero) clamped to `[lo, hi]`; NaN gives 0.
/// Written with a truncating conversion because `f64::round` is a library
/// call on baseline x86-64 (no SSE4.1), a fifth of the quantizer's time.
fn quantize(v: f64, lo: f64, hi: f64) -> i32 {
    let v = if v.is_nan() { 0.0 } else { v };
    let v = v.clamp(lo - 1.0, hi + 1.0);
    let t = v as i64; // toward zero; exact, |v| < 2^32
    let frac = v - t as f64; // exact
    // Branch-free: with dither the fraction is random, so branches on it
    // would be mispredicted half the time.
    let r = t + i64::from(frac >= 0.5) - i64::from(frac <= -0.5);
    (r as f64).clamp(lo, hi) as i32
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An encoder taking interleaved `f32` frames.
pub trait Sink: Send {
    /// Encodes whole frames.
    fn write(&mut self, interleaved: &[f32]) -> Result<()>;
    /// Completes the file (headers, lengths) and flushes it to disk.
    fn finish(self: Box<Self>) -> Result<()>;
}

/// Creates `path` and an encoder writing `format` into it.
pub fn create(
    path: &Path,
    format: OutFormat,
    sample_rate: u32,
    channels: usize,
    dither: bool,
) -> Result<Box<dyn Sink>> {
    let file = File::create(path).map_err(|e| format!("cannot create the output: {e}"))?;
    let out = BufWriter::with_capacity(IO_BUFFER, file);
    match format {
        OutFormat::Wav(kind) => {
            let channels16 = u16::try_from(channels)
                .map_err(|_| format!("{channels} channels do not fit in a WAV file"))?;
            let spec = hound::WavSpec {
                channels: channels16,
                sample_rate,
                bits_per_sample: match kind {
                    SampleKind::Int(bits) => bits,
                    SampleKind::Float => 32,
                },
                sample_format: match kind {
                    SampleKind::Int(_) => hound::SampleFormat::Int,
                    SampleKind::Float => hound::SampleFormat::Float,
                },
            };
            let writer = hound::WavWriter::new(out, spec)
                .map_err(|e| format!("cannot write the output: {e}"))?;
            Ok(match kind {
                SampleKind::Float => Box::new(WavSink {
                    writer,
                    quantizer: None,
                    ints: Vec::new(),
                }),
                SampleKind::Int(bits) => Box::new(WavSink {
                    writer,
                    quantizer: Some(Quantizer::new(bits, channels, dither)),
                    ints: Vec::new(),
                }),
            })
        }
        OutFormat::Flac(bits) => Ok(Box::new(FlacSink::new(
            out,
            sample_rate,
            channels,
            bits,
            dither,
        )?)),
    }
}

struct WavSink {
    writer: hound::WavWriter<BufWriter<File>>,
    quantizer: Option<Quantizer>,
    ints: Vec<i32>,
}

fn write_error(e: impl std::fmt::Display) -> String {
    format!("cannot write the output: {e}")
}

impl Sink for WavSink {
    fn write(&mut self, interleaved: &[f32]) -> Result<()> {
        match &mut self.quantizer {
            None => {
                for &x in interleaved {
                    self.writer.write_sample(x).map_err(write_error)?;
                }
            }
            Some(q) => {
                self.ints.clear();
                q.quantize(interleaved, &mut self.ints);
                for &x in &self.ints {
                    self.writer.write_sample(x).map_err(write_error)?;
                }
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<()> {
        let WavSink { writer, .. } = *self;
        writer.finalize().map_err(write_error)
    }
}

/// FLAC frames per block (the reference encoder's default).
const FLAC_BLOCK: usize = 4096;

/// A FLAC stream written frame by frame: the header first with placeholder
/// totals, rewritten in place (same length) once the stream ends.
struct FlacSink {
    out: BufWriter<File>,
    info: StreamInfo,
    config: flacenc::error::Verified<flacenc::config::Encoder>,
    /// Constant or verbatim subframes only.
    verbatim: flacenc::error::Verified<flacenc::config::Encoder>,
    bits: usize,
    frame: FrameBuf,
    context: Context,
    quantizer: Quantizer,
    pending: Vec<i32>,
    channels: usize,
    header_len: usize,
}

impl FlacSink {
    fn new(
        mut out: BufWriter<File>,
        sample_rate: u32,
        channels: usize,
        bits: u16,
        dither: bool,
    ) -> Result<Self> {
        let bad = |e: flacenc::error::VerifyError| format!("cannot encode FLAC: {e}");
        let mut info =
            StreamInfo::new(sample_rate as usize, channels, usize::from(bits)).map_err(|e| {
                format!(
                    "cannot encode FLAC ({channels} channels at {sample_rate} Hz, {bits} bits): {e}"
                )
            })?;
        info.set_block_sizes(FLAC_BLOCK, FLAC_BLOCK).map_err(bad)?;
        let header = stream_header(&info)?;
        out.write_all(&header).map_err(write_error)?;
        let config = flacenc::config::Encoder::default()
            .into_verified()
            .map_err(|(_, e)| bad(e))?;
        let mut verbatim = flacenc::config::Encoder::default();
        verbatim.subframe_coding.use_fixed = false;
        verbatim.subframe_coding.use_lpc = false;
        verbatim.stereo_coding.use_leftside = false;
        verbatim.stereo_coding.use_rightside = false;
        verbatim.stereo_coding.use_midside = false;
        let verbatim = verbatim.into_verified().map_err(|(_, e)| bad(e))?;
        Ok(FlacSink {
            out,
            config,
            verbatim,
            bits: usize::from(bits),
            frame: FrameBuf::with_size(channels, FLAC_BLOCK).map_err(bad)?,
            context: Context::new(usize::from(bits), channels),
            quantizer: Quantizer::new(bits, channels, dither),
            pending: Vec::new(),
            channels,
            header_len: header.len(),
            info,
        })
    }

    /// Encodes the first `frames` pending frames as one FLAC frame.
    fn encode(&mut self, frames: usize) -> Result<()> {
        let samples = frames * self.channels;
        let block = &self.pending[..samples];
        let fail = |e: flacenc::error::SourceError| format!("cannot encode FLAC: {e}");
        self.frame.fill_interleaved(block).map_err(fail)?;
        self.context.fill_interleaved(block).map_err(fail)?;
        let number = self.context.current_frame_number().unwrap_or(0);
        let encode = |config| {
            flacenc::encode_fixed_size_frame(config, &self.frame, number, &self.info)
                .map_err(|e| format!("cannot encode FLAC: {e}"))
        };
        let mut frame = encode(&self.config)?;
        // flacenc 0.5.1 can pick a predictor whose residuals are far larger
        // than the samples (full-scale 24-bit noise: 34 MB for 20,000
        // samples); no frame needs to be larger than its samples stored
        // verbatim, so such a frame is encoded again as verbatim.
        let verbatim_bits = samples * self.bits + 8 * 64;
        if frame.count_bits() > verbatim_bits {
            frame = encode(&self.verbatim)?;
        }
        self.info.update_frame_info(&frame);
        let mut sink = flacenc::bitsink::ByteSink::new();
        frame
            .write(&mut sink)
            .map_err(|e| format!("cannot encode FLAC: {e:?}"))?;
        self.out.write_all(sink.as_slice()).map_err(write_error)?;
        self.pending.drain(..samples);
        Ok(())
    }
}

/// `fLaC` and the STREAMINFO block of a stream with `info`.
fn stream_header(info: &StreamInfo) -> Result<Vec<u8>> {
    let stream = Stream::with_stream_info(info.clone());
    let mut sink = flacenc::bitsink::ByteSink::new();
    stream
        .write(&mut sink)
        .map_err(|e| format!("cannot encode FLAC: {e:?}"))?;
    Ok(sink.into_inner())
}

impl Sink for FlacSink {
    fn write(&mut self, interleaved: &[f32]) -> Result<()> {
        self.quantizer.quantize(interleaved, &mut self.pending);
        while self.pending.len() >= FLAC_BLOCK * self.channels {
            self.encode(FLAC_BLOCK)?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<()> {
        let rest = self.pending.len() / self.channels;
        if rest > 0 {
            self.encode(rest)?;
        }
        // A fixed-block-size stream: min = max = the block size (the last
        // frame may be shorter), as the reference encoder writes it.
        self.info
            .set_block_sizes(FLAC_BLOCK, FLAC_BLOCK)
            .map_err(|e| format!("cannot encode FLAC: {e}"))?;
        self.info.set_md5_digest(&self.context.md5_digest());
        self.info.set_total_samples(self.context.total_samples());
        let header = stream_header(&self.info)?;
        if header.len() != self.header_len {
            return Err("FLAC header changed length".into());
        }
        self.out.flush().map_err(write_error)?;
        let mut file = self.out.into_inner().map_err(|e| write_error(e.error()))?;
        file.seek(SeekFrom::Start(0)).map_err(write_error)?;
        file.write_all(&header).map_err(write_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_rounds_half_away_and_clamps() {
        let (lo, hi) = (-32768.0, 32767.0);
        for v in [
            0.0,
            0.49,
            0.5,
            0.51,
            -0.5,
            -0.49,
            -0.51,
            1.5,
            -1.5,
            2.5,
            -2.5,
            32766.5,
            32767.4,
            32767.5,
            1e30,
            -1e30,
            -32768.5,
            -32767.5,
            f64::INFINITY,
            f64::NEG_INFINITY,
        ] {
            assert_eq!(quantize(v, lo, hi), v.round().clamp(lo, hi) as i32, "{v}");
        }
        assert_eq!(quantize(f64::NAN, lo, hi), 0);
    }

    /// The streaming FLAC writer produces the frames flacenc's whole-stream
    /// encoder does.
    #[test]
    fn flac_sink_matches_flacenc() {
        let dir = std::env::temp_dir().join(format!("lanedsp-flac-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.flac");
        let frames = 10_000;
        let x: Vec<f32> = (0..frames * 2)
            .map(|i| ((i as f32) * 0.01).sin() * 0.5)
            .collect();
        let mut sink = create(&path, OutFormat::Flac(16), 44_100, 2, false).unwrap();
        sink.write(&x[..3000]).unwrap();
        sink.write(&x[3000..]).unwrap();
        sink.finish().unwrap();
        let ours = std::fs::read(&path).unwrap();
        let mut ints = Vec::new();
        Quantizer::new(16, 2, false).quantize(&x, &mut ints);
        let src = flacenc::source::MemSource::from_samples(&ints, 2, 16, 44_100);
        let config = flacenc::config::Encoder::default().into_verified().unwrap();
        let stream = flacenc::encode_with_fixed_block_size(&config, src, FLAC_BLOCK).unwrap();
        let mut sink = flacenc::bitsink::ByteSink::new();
        stream.write(&mut sink).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        // The frames are the same bytes; the header differs only in the
        // block sizes (this writer states the fixed block size).
        let theirs = sink.as_slice();
        assert_eq!(ours.len(), theirs.len());
        assert!(ours[42..] == theirs[42..]);
    }
}
