//! Python bindings of `lanedsp`: the extension module `lanedsp._lanedsp`.
//!
//! This module is the thin, low-level half of the Python package: each
//! class wraps one `lanedsp` processor for a fixed sample rate and channel
//! count and processes flat, C-contiguous `float32` numpy buffers in one of
//! the crate's layouts (planar: channel after channel; interleaved: frame
//! after frame) with the GIL released. The Python half (`python/lanedsp/`)
//! parses keyword arguments, checks shapes and dtypes, converts `float64`,
//! and builds these objects lazily for each sample rate and layout.
//!
//! Every `lanedsp::Error` becomes a `ValueError` with the crate's message.

use std::fmt::Display;

use lanedsp::{
    Band, BiquadCoefficients, Buffers, Compressor, Detection, EnvelopeFollower, Equalizer, Isa,
    Limiter, LimiterSettings, LinkMode, LoudnessMeter, MAX_BANDS, Makeup, Mode, Processor,
    Settings, Sidechain, Time,
};
use numpy::{PyReadonlyArray1, PyReadwriteArray1};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;

fn value_error(err: impl Display) -> PyErr {
    PyValueError::new_err(err.to_string())
}

/// The ISA named `name` (`None`: the process-wide selection).
fn parse_isa(name: Option<&str>) -> PyResult<Isa> {
    match name {
        None => Ok(lanedsp::selected_isa()),
        Some(text) => {
            let isa: Isa = text.parse().map_err(value_error)?;
            if isa.is_available() {
                Ok(isa)
            } else {
                Err(PyValueError::new_err(format!(
                    "ISA {isa} is not available on this CPU (available: {})",
                    available_isas().join(", ")
                )))
            }
        }
    }
}

/// The ISA processors use unless told otherwise: the widest this CPU runs,
/// or the one the `LANEDSP_ISA` environment variable names (read once, at
/// the first use in the process).
#[pyfunction]
fn isa() -> &'static str {
    lanedsp::selected_isa().name()
}

/// The ISAs this CPU runs, from the most portable to the widest.
#[pyfunction]
fn available_isas() -> Vec<&'static str> {
    lanedsp::available_isas()
        .into_iter()
        .map(Isa::name)
        .collect()
}

/// How the process-wide ISA was chosen, in words (for example
/// `"avx512 (detected)"` or `"scalar (forced by LANEDSP_ISA)"`).
#[pyfunction]
fn isa_selection() -> String {
    lanedsp::isa_selection().to_string()
}

/// A flat buffer of `channels` channels of equal length, planar (one channel
/// after the other) or interleaved (one frame after the other).
#[derive(Clone, Copy)]
struct Layout {
    channels: usize,
    interleaved: bool,
}

impl Layout {
    fn frames(self, role: &str, len: usize) -> PyResult<usize> {
        if self.channels == 0 {
            return Err(PyValueError::new_err("a buffer needs at least one channel"));
        }
        if !len.is_multiple_of(self.channels) {
            return Err(PyValueError::new_err(format!(
                "{role} holds {len} samples, not a whole number of {} channels",
                self.channels
            )));
        }
        Ok(len / self.channels)
    }

    /// The planar channels of `buf` (`frames` samples each).
    fn split(buf: &[f32], frames: usize, channels: usize) -> Vec<&[f32]> {
        (0..channels)
            .map(|c| &buf[c * frames..(c + 1) * frames])
            .collect()
    }

    fn split_mut(mut buf: &mut [f32], frames: usize, channels: usize) -> Vec<&mut [f32]> {
        let mut out = Vec::with_capacity(channels);
        for _ in 0..channels {
            let (head, tail) = std::mem::take(&mut buf).split_at_mut(frames);
            out.push(head);
            buf = tail;
        }
        out
    }
}

/// A flat `float32` buffer's contents, or a clear error.
fn slice<'a>(role: &str, array: &'a PyReadonlyArray1<'_, f32>) -> PyResult<&'a [f32]> {
    array
        .as_slice()
        .map_err(|_| PyValueError::new_err(format!("{role} must be C-contiguous")))
}

fn slice_mut<'a>(role: &str, array: &'a mut PyReadwriteArray1<'_, f32>) -> PyResult<&'a mut [f32]> {
    array
        .as_slice_mut()
        .map_err(|_| PyValueError::new_err(format!("{role} must be C-contiguous and writable")))
}

/// A sidechain's flat contents and layout.
type KeyArg<'py> = Option<(PyReadonlyArray1<'py, f32>, bool)>;

/// Runs `run` on the buffers described by the arguments with the GIL
/// released: `input` to `output`, or `output` in place when `input` is
/// `None`; `key`, when given, is the sidechain.
fn process_block<F>(
    py: Python<'_>,
    channels: usize,
    interleaved: bool,
    input: Option<PyReadonlyArray1<'_, f32>>,
    mut output: PyReadwriteArray1<'_, f32>,
    key: KeyArg<'_>,
    run: F,
) -> PyResult<()>
where
    F: FnOnce(Buffers<'_, '_, '_>, Option<Sidechain<'_, '_>>) -> lanedsp::Result<()> + Send,
{
    let layout = Layout {
        channels,
        interleaved,
    };
    let input = input.as_ref().map(|a| slice("input", a)).transpose()?;
    let output = slice_mut("output", &mut output)?;
    let frames = layout.frames("output", output.len())?;
    if let Some(input) = input
        && input.len() != output.len()
    {
        return Err(PyValueError::new_err(format!(
            "input holds {} samples and output {}; they must match",
            input.len(),
            output.len()
        )));
    }
    let key = match &key {
        Some((array, key_interleaved)) => {
            let flat = slice("sidechain", array)?;
            if flat.len() != output.len() {
                return Err(PyValueError::new_err(format!(
                    "the sidechain holds {} samples and the audio {}; they must match",
                    flat.len(),
                    output.len()
                )));
            }
            Some((flat, *key_interleaved))
        }
        None => None,
    };
    py.detach(move || {
        let key_slices = key.map(|(flat, inter)| {
            if inter {
                (flat, None)
            } else {
                (flat, Some(Layout::split(flat, frames, channels)))
            }
        });
        let key = key_slices.as_ref().map(|(flat, planar)| match planar {
            Some(slices) => Sidechain::Planar(slices),
            None => Sidechain::Interleaved(flat),
        });
        match (input, layout.interleaved) {
            (Some(input), true) => run(Buffers::Interleaved { input, output }, key),
            (None, true) => run(Buffers::InterleavedInPlace { buf: output }, key),
            (Some(input), false) => {
                let input = Layout::split(input, frames, channels);
                let mut output = Layout::split_mut(output, frames, channels);
                run(
                    Buffers::Planar {
                        input: &input,
                        output: &mut output,
                    },
                    key,
                )
            }
            (None, false) => {
                let mut bufs = Layout::split_mut(output, frames, channels);
                run(Buffers::PlanarInPlace { bufs: &mut bufs }, key)
            }
        }
    })
    .map_err(value_error)
}

/// A peak envelope follower for a fixed sample rate and channel count (the
/// low-level object behind `lanedsp.EnvelopeFollower`).
#[pyclass(module = "lanedsp._lanedsp")]
struct Envelope {
    inner: EnvelopeFollower,
}

#[pymethods]
impl Envelope {
    /// A follower for `channels` channels at `sample_rate` Hz with attack
    /// and release times in seconds, on `isa` (a name; `None`: the
    /// process-wide selection).
    #[new]
    #[pyo3(signature = (sample_rate, channels, attack_s, release_s, isa=None))]
    fn new(
        sample_rate: f32,
        channels: usize,
        attack_s: f32,
        release_s: f32,
        isa: Option<&str>,
    ) -> PyResult<Self> {
        let isa = parse_isa(isa)?;
        let inner = EnvelopeFollower::new(sample_rate, channels, attack_s, release_s)
            .and_then(|e| e.with_isa(isa))
            .map_err(value_error)?;
        Ok(Envelope { inner })
    }

    /// Processes flat `float32` buffers of `self.channels` channels:
    /// `input` into `output`, or `output` in place when `input` is `None`.
    #[pyo3(signature = (input, output, interleaved))]
    fn process(
        &mut self,
        py: Python<'_>,
        input: Option<PyReadonlyArray1<'_, f32>>,
        output: PyReadwriteArray1<'_, f32>,
        interleaved: bool,
    ) -> PyResult<()> {
        let channels = self.inner.channels();
        let inner = &mut self.inner;
        process_block(
            py,
            channels,
            interleaved,
            input,
            output,
            None,
            |buffers, _| inner.process(buffers),
        )
    }

    /// Sets attack and release (seconds) of every channel; the envelope is
    /// kept.
    fn set_times(&mut self, attack_s: f32, release_s: f32) -> PyResult<()> {
        self.inner
            .set_times(attack_s, release_s)
            .map_err(value_error)
    }

    /// Returns every channel's envelope to 0.
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// The envelope of each channel after the last processed sample.
    fn envelope(&self) -> Vec<f32> {
        self.inner.envelope().to_vec()
    }

    /// Number of channels.
    #[getter]
    fn channels(&self) -> usize {
        self.inner.channels()
    }

    /// The ISA this processor runs on.
    #[getter]
    fn isa(&self) -> &'static str {
        self.inner.isa().name()
    }

    /// How the last call ran: whole, or in chunks in lanes (long calls of
    /// few channels) and how many frames their repair ran.
    #[getter]
    fn last_execution(&self) -> String {
        self.inner.last_execution().to_string()
    }
}

fn item<'py, T: FromPyObjectOwned<'py>>(settings: &Bound<'py, PyDict>, key: &str) -> PyResult<T> {
    let value = settings
        .get_item(key)?
        .ok_or_else(|| PyValueError::new_err(format!("settings lack {key:?}")))?;
    value
        .extract()
        .map_err(|_| PyTypeError::new_err(format!("{key} must be a number, got {value}")))
}

/// `Settings` from the dictionary the Python layer builds (times in
/// seconds; `makeup_db` `None` for automatic makeup).
fn settings_from(dict: &Bound<'_, PyDict>) -> PyResult<Settings> {
    let mode: String = item(dict, "mode")?;
    let mode = match mode.as_str() {
        "compress" => Mode::Compress,
        "upward" => Mode::CompressUpward,
        "expand" => Mode::Expand,
        other => {
            return Err(PyValueError::new_err(format!(
                "mode must be 'compress', 'upward', 'expand' or 'gate', got {other:?}"
            )));
        }
    };
    let detection: String = item(dict, "detection")?;
    let detection = match detection.as_str() {
        "peak" => Detection::Peak,
        "rms" => Detection::Rms,
        other => {
            return Err(PyValueError::new_err(format!(
                "detection must be 'peak' or 'rms', got {other:?}"
            )));
        }
    };
    let seconds = |key: &str| item::<f32>(dict, key).map(Time::Seconds);
    let makeup: Option<f32> = item(dict, "makeup_db")?;
    Ok(Settings {
        mode,
        detection,
        threshold_db: item(dict, "threshold_db")?,
        ratio: item(dict, "ratio")?,
        knee_db: item(dict, "knee_db")?,
        attack: seconds("attack_s")?,
        release: seconds("release_s")?,
        detector_attack: seconds("detector_attack_s")?,
        detector_release: seconds("detector_release_s")?,
        makeup: makeup.map_or(Makeup::Auto, Makeup::Db),
        range_db: item(dict, "range_db")?,
        mix: item(dict, "mix")?,
    })
}

/// A preset's time in seconds (every preset is written in seconds).
fn time_seconds(time: Time) -> PyResult<f32> {
    match time {
        Time::Seconds(s) => Ok(s),
        other => Err(PyValueError::new_err(format!(
            "preset time {other:?} is not in seconds"
        ))),
    }
}

/// The settings of a preset as a dictionary (`mode`: `"compress"`,
/// `"upward"`, `"expand"` or `"gate"`; times in seconds).
#[pyfunction]
fn preset<'py>(py: Python<'py>, mode: &str) -> PyResult<Bound<'py, PyDict>> {
    let (s, name) = match mode {
        "compress" => (Settings::compressor(), "compress"),
        "upward" => (Settings::upward(), "upward"),
        "expand" => (Settings::expander(), "expand"),
        "gate" => (Settings::gate(), "expand"),
        other => {
            return Err(PyValueError::new_err(format!(
                "mode must be 'compress', 'upward', 'expand' or 'gate', got {other:?}"
            )));
        }
    };
    let dict = PyDict::new(py);
    dict.set_item("mode", name)?;
    dict.set_item(
        "detection",
        match s.detection {
            Detection::Peak => "peak",
            Detection::Rms => "rms",
        },
    )?;
    dict.set_item("threshold_db", s.threshold_db)?;
    dict.set_item("ratio", s.ratio)?;
    dict.set_item("knee_db", s.knee_db)?;
    dict.set_item("attack_s", time_seconds(s.attack)?)?;
    dict.set_item("release_s", time_seconds(s.release)?)?;
    dict.set_item("detector_attack_s", time_seconds(s.detector_attack)?)?;
    dict.set_item("detector_release_s", time_seconds(s.detector_release)?)?;
    dict.set_item(
        "makeup_db",
        match s.makeup {
            Makeup::Db(db) => Some(db),
            Makeup::Auto => None,
        },
    )?;
    dict.set_item("range_db", s.range_db)?;
    dict.set_item("mix", s.mix)?;
    Ok(dict)
}

/// A dynamics processor (compressor, upward compressor, expander, gate) for
/// a fixed sample rate and channel count (the low-level object behind
/// `lanedsp.Compressor`).
#[pyclass(module = "lanedsp._lanedsp")]
struct Dynamics {
    inner: Compressor,
}

#[pymethods]
impl Dynamics {
    /// A processor for `channels` channels at `sample_rate` Hz with
    /// `settings` (a dictionary shaped like `preset()`'s) on every channel,
    /// the link `groups` (lists of channel indices) linked by `link_amount`
    /// with `link_mode` (`"max"` or `"mean"`), on `isa` (`None`: the
    /// process-wide selection).
    #[new]
    #[pyo3(signature = (sample_rate, channels, settings, groups, link_amount=1.0, link_mode="max", isa=None))]
    fn new(
        sample_rate: f32,
        channels: usize,
        settings: &Bound<'_, PyDict>,
        groups: Vec<Vec<usize>>,
        link_amount: f32,
        link_mode: &str,
        isa: Option<&str>,
    ) -> PyResult<Self> {
        let isa = parse_isa(isa)?;
        let settings = settings_from(settings)?;
        let mode = match link_mode {
            "max" => LinkMode::Max,
            "mean" => LinkMode::Mean,
            other => {
                return Err(PyValueError::new_err(format!(
                    "link_mode must be 'max' or 'mean', got {other:?}"
                )));
            }
        };
        let mut inner = Compressor::new(sample_rate, channels, settings)
            .and_then(|c| c.with_isa(isa))
            .map_err(value_error)?;
        if !groups.is_empty() {
            inner
                .set_links(&groups, link_amount, mode)
                .map_err(value_error)?;
        }
        Ok(Dynamics { inner })
    }

    /// Processes flat `float32` buffers of `self.channels` channels:
    /// `input` into `output`, or `output` in place when `input` is `None`;
    /// `key`, a flat buffer and whether it is interleaved, drives the
    /// detectors instead of the input.
    #[pyo3(signature = (input, output, interleaved, key=None))]
    fn process(
        &mut self,
        py: Python<'_>,
        input: Option<PyReadonlyArray1<'_, f32>>,
        output: PyReadwriteArray1<'_, f32>,
        interleaved: bool,
        key: KeyArg<'_>,
    ) -> PyResult<()> {
        let channels = self.inner.channels();
        let inner = &mut self.inner;
        process_block(
            py,
            channels,
            interleaved,
            input,
            output,
            key,
            |buffers, key| match key {
                Some(key) => inner.process_sidechain(buffers, key),
                None => inner.process(buffers),
            },
        )
    }

    /// Replaces every channel's settings (between blocks; the state is
    /// kept, so the gain glides to the new curve).
    fn set_settings(&mut self, settings: &Bound<'_, PyDict>) -> PyResult<()> {
        let settings = settings_from(settings)?;
        self.inner.set_settings(settings).map_err(value_error)
    }

    /// Returns every channel to its initial state.
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// The current gain change of each channel in dB, makeup excluded.
    fn gain_reduction_db(&self) -> Vec<f32> {
        (0..self.inner.channels())
            .map(|c| self.inner.gain_reduction_db(c))
            .collect()
    }

    /// Number of channels.
    #[getter]
    fn channels(&self) -> usize {
        self.inner.channels()
    }

    /// The ISA this processor runs on.
    #[getter]
    fn isa(&self) -> &'static str {
        self.inner.isa().name()
    }

    /// How the last call ran: whole, or in chunks in lanes (long calls of
    /// few channels) and how many frames their repair ran.
    #[getter]
    fn last_execution(&self) -> String {
        self.inner.last_execution().to_string()
    }
}

/// A lookahead limiter for a fixed sample rate and channel count (the
/// low-level object behind `lanedsp.Limiter`).
#[pyclass(module = "lanedsp._lanedsp")]
struct Limit {
    inner: Limiter,
}

/// `LimiterSettings` from the Python layer's values (times in seconds).
fn limiter_settings(
    ceiling_db: f32,
    lookahead_s: f32,
    release_s: f32,
    true_peak: bool,
    input_gain_db: f32,
    link_amount: f32,
) -> LimiterSettings {
    LimiterSettings {
        ceiling_db,
        lookahead: lookahead_s,
        release: Time::Seconds(release_s),
        true_peak,
        input_gain_db,
        link_amount,
    }
}

#[pymethods]
impl Limit {
    /// A limiter for `channels` channels at `sample_rate` Hz: ceiling and
    /// input gain in dB, lookahead and release in seconds, the link
    /// `groups` (lists of channel indices, at most 16 each) linked by
    /// `link_amount`, on `isa` (`None`: the process-wide selection).
    #[new]
    #[pyo3(signature = (sample_rate, channels, ceiling_db, lookahead_s, release_s, true_peak, input_gain_db, groups, link_amount=1.0, isa=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        sample_rate: f32,
        channels: usize,
        ceiling_db: f32,
        lookahead_s: f32,
        release_s: f32,
        true_peak: bool,
        input_gain_db: f32,
        groups: Vec<Vec<usize>>,
        link_amount: f32,
        isa: Option<&str>,
    ) -> PyResult<Self> {
        let isa = parse_isa(isa)?;
        let settings = limiter_settings(
            ceiling_db,
            lookahead_s,
            release_s,
            true_peak,
            input_gain_db,
            link_amount,
        );
        let mut inner = Limiter::new(sample_rate, channels, settings)
            .and_then(|l| l.with_isa(isa))
            .map_err(value_error)?;
        if !groups.is_empty() {
            inner.set_link_groups(&groups).map_err(value_error)?;
        }
        Ok(Limit { inner })
    }

    /// Processes flat `float32` buffers of `self.channels` channels:
    /// `input` into `output`, or `output` in place when `input` is `None`.
    /// The output lags the input by `latency` frames.
    #[pyo3(signature = (input, output, interleaved))]
    fn process(
        &mut self,
        py: Python<'_>,
        input: Option<PyReadonlyArray1<'_, f32>>,
        output: PyReadwriteArray1<'_, f32>,
        interleaved: bool,
    ) -> PyResult<()> {
        let channels = self.inner.channels();
        let inner = &mut self.inner;
        process_block(
            py,
            channels,
            interleaved,
            input,
            output,
            None,
            |buffers, _| inner.process(buffers),
        )
    }

    /// Writes the last `latency` frames (the input still in the delay
    /// line) into `output`, a flat buffer of `latency * channels` samples,
    /// planar or interleaved; the limiter is then as after that much
    /// silence.
    fn flush(
        &mut self,
        py: Python<'_>,
        mut output: PyReadwriteArray1<'_, f32>,
        interleaved: bool,
    ) -> PyResult<()> {
        let frames = self.inner.latency();
        let channels = self.inner.channels();
        let out = slice_mut("output", &mut output)?;
        if out.len() != frames * channels {
            return Err(PyValueError::new_err(format!(
                "the flush needs {} samples ({frames} frames of {channels} channels), got {}",
                frames * channels,
                out.len()
            )));
        }
        let inner = &mut self.inner;
        py.detach(move || {
            if interleaved {
                inner.flush_interleaved(out)
            } else {
                let mut bufs = Layout::split_mut(out, frames, channels);
                inner.flush_planar(&mut bufs)
            }
        })
        .map_err(value_error)
    }

    /// Offline, latency compensated: resets the limiter, then limits
    /// `input` (flat `float32`, `self.channels` channels of at least
    /// `latency` frames) into `output` (the same size) so that each output
    /// sample sits at its input's frame, the last `latency` frames coming
    /// from the flush. No padded or shifted copy of the audio is made.
    #[pyo3(signature = (input, output, interleaved))]
    fn process_compensated(
        &mut self,
        py: Python<'_>,
        input: PyReadonlyArray1<'_, f32>,
        mut output: PyReadwriteArray1<'_, f32>,
        interleaved: bool,
    ) -> PyResult<()> {
        let channels = self.inner.channels();
        let latency = self.inner.latency();
        let x = slice("input", &input)?;
        let y = slice_mut("output", &mut output)?;
        if x.len() != y.len() || !x.len().is_multiple_of(channels) {
            return Err(PyValueError::new_err(format!(
                "input and output must hold the same whole frames of {channels} channels, got {} and {} samples",
                x.len(),
                y.len()
            )));
        }
        let frames = x.len() / channels;
        if frames < latency {
            return Err(PyValueError::new_err(format!(
                "a compensated call needs at least the latency ({latency} frames), got {frames}"
            )));
        }
        let inner = &mut self.inner;
        py.detach(move || compensated(inner, x, y, frames, interleaved))
            .map_err(value_error)
    }

    /// Changes ceiling, release, input gain and link amount (the state is
    /// kept); a new lookahead or true-peak choice resets the limiter.
    #[pyo3(signature = (ceiling_db, lookahead_s, release_s, true_peak, input_gain_db, link_amount=1.0))]
    fn set_settings(
        &mut self,
        ceiling_db: f32,
        lookahead_s: f32,
        release_s: f32,
        true_peak: bool,
        input_gain_db: f32,
        link_amount: f32,
    ) -> PyResult<()> {
        let settings = limiter_settings(
            ceiling_db,
            lookahead_s,
            release_s,
            true_peak,
            input_gain_db,
            link_amount,
        );
        self.inner.set_settings(settings).map_err(value_error)
    }

    /// Empties the delay line and restores unity gain.
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// The current linear gain of each channel (1 when not limiting).
    fn gain(&self) -> Vec<f32> {
        (0..self.inner.channels())
            .map(|c| self.inner.gain(c).unwrap_or(1.0))
            .collect()
    }

    /// Frames from input to output.
    #[getter]
    fn latency(&self) -> usize {
        self.inner.latency()
    }

    /// Number of channels.
    #[getter]
    fn channels(&self) -> usize {
        self.inner.channels()
    }

    /// The ISA this processor runs on.
    #[getter]
    fn isa(&self) -> &'static str {
        self.inner.isa().name()
    }
}

/// A band as the Python layer passes it: its kind (`"peaking"`,
/// `"lowshelf"`, `"highshelf"`, `"lowpass"`, `"highpass"`, `"bandpass"`,
/// `"notch"`, `"allpass"` or `"raw"`) and its numbers (`[freq, q, gain_db]`,
/// `[freq, q]` for the kinds without gain, `[b0, b1, b2, a1, a2]` or
/// `[b0, b1, b2, a0, a1, a2]` for `"raw"`).
type BandArg = (String, Vec<f64>);

/// The crate's `Band` (design) of one band argument; `index` names it in
/// errors.
fn band_design(index: usize, (kind, v): &BandArg) -> PyResult<Band> {
    let want = match kind.as_str() {
        "peaking" | "lowshelf" | "highshelf" => 3,
        "lowpass" | "highpass" | "bandpass" | "notch" | "allpass" => 2,
        "raw" => {
            if v.len() != 5 && v.len() != 6 {
                return Err(PyValueError::new_err(format!(
                    "band {index} (raw) needs 5 coefficients (b0, b1, b2, a1, a2) or 6 \
                     (b0, b1, b2, a0, a1, a2), got {}",
                    v.len()
                )));
            }
            v.len()
        }
        other => {
            return Err(PyValueError::new_err(format!(
                "band {index}: unknown kind {other:?} (expected peaking, lowshelf, highshelf, \
                 lowpass, highpass, bandpass, notch, allpass or raw)"
            )));
        }
    };
    if v.len() != want {
        return Err(PyValueError::new_err(format!(
            "band {index} ({kind}) needs {want} numbers, got {}",
            v.len()
        )));
    }
    let (freq, q) = (v[0], v[1]);
    let gain_db = v.get(2).copied().unwrap_or(0.0);
    Ok(match kind.as_str() {
        "peaking" => Band::Peaking { freq, q, gain_db },
        "lowshelf" => Band::LowShelf { freq, q, gain_db },
        "highshelf" => Band::HighShelf { freq, q, gain_db },
        "lowpass" => Band::LowPass { freq, q },
        "highpass" => Band::HighPass { freq, q },
        "bandpass" => Band::BandPass { freq, q },
        "notch" => Band::Notch { freq, q },
        "allpass" => Band::AllPass { freq, q },
        _ if want == 6 => Band::Raw(
            BiquadCoefficients::from_f64([v[0], v[1], v[2]], [v[3], v[4], v[5]])
                .map_err(|e| PyValueError::new_err(format!("band {index} (raw): {e}")))?,
        ),
        _ => Band::Raw(BiquadCoefficients {
            b0: v[0] as f32,
            b1: v[1] as f32,
            b2: v[2] as f32,
            a1: v[3] as f32,
            a2: v[4] as f32,
        }),
    })
}

/// The designs of `bands`, each checked at `sample_rate` (so an error names
/// the band), at most `MAX_BANDS`.
fn band_designs(sample_rate: f32, bands: &[BandArg]) -> PyResult<Vec<Band>> {
    if bands.len() > MAX_BANDS {
        return Err(PyValueError::new_err(format!(
            "at most {MAX_BANDS} bands per channel, got {}",
            bands.len()
        )));
    }
    bands
        .iter()
        .enumerate()
        .map(|(i, arg)| {
            let design = band_design(i, arg)?;
            if sample_rate.is_finite() && sample_rate > 0.0 {
                design
                    .coefficients(f64::from(sample_rate))
                    .map_err(|e| PyValueError::new_err(format!("band {i} ({}): {e}", arg.0)))?;
            }
            Ok(design)
        })
        .collect()
}

/// One band's normalized coefficients `(b0, b1, b2, a1, a2)`.
type Section = (f32, f32, f32, f32, f32);

fn coefficient_tuple(c: &BiquadCoefficients) -> Section {
    (c.b0, c.b1, c.b2, c.a1, c.a2)
}

/// The normalized `float32` coefficients `(b0, b1, b2, a1, a2)` of one band
/// (`kind` and numbers as the `Equalize` bands) at `sample_rate` Hz, as the
/// equalizer runs them; a `ValueError` for a band that cannot be built.
#[pyfunction]
fn design_band(kind: String, values: Vec<f64>, sample_rate: f32) -> PyResult<Section> {
    let arg = (kind, values);
    let design = band_design(0, &arg)?;
    if !(sample_rate.is_finite() && sample_rate > 0.0) {
        return Err(PyValueError::new_err(format!(
            "sample rate must be finite and > 0, got {sample_rate}"
        )));
    }
    let c = design
        .coefficients(f64::from(sample_rate))
        .map_err(|e| PyValueError::new_err(format!("{} band: {e}", arg.0)))?;
    Ok(coefficient_tuple(&c))
}

/// A parametric equalizer (cascades of up to `MAX_BANDS` biquads per
/// channel) for a fixed sample rate and channel count (the low-level
/// object behind `lanedsp.Equalizer`).
#[pyclass(module = "lanedsp._lanedsp")]
struct Equalize {
    inner: Equalizer,
}

#[pymethods]
impl Equalize {
    /// An equalizer for `channels` channels at `sample_rate` Hz, every
    /// channel with `bands` (a list of `(kind, numbers)`), band changes
    /// crossfading over `crossfade` seconds (`None`: the library's 10 ms),
    /// on `isa` (`None`: the process-wide selection).
    #[new]
    #[pyo3(signature = (sample_rate, channels, bands, isa=None, crossfade=None))]
    fn new(
        sample_rate: f32,
        channels: usize,
        bands: Vec<BandArg>,
        isa: Option<&str>,
        crossfade: Option<f32>,
    ) -> PyResult<Self> {
        let isa = parse_isa(isa)?;
        let designs = band_designs(sample_rate, &bands)?;
        let inner = Equalizer::new(sample_rate, channels, &designs)
            .and_then(|e| e.with_isa(isa))
            .and_then(|e| match crossfade {
                Some(seconds) => e.with_crossfade(seconds),
                None => Ok(e),
            })
            .map_err(value_error)?;
        Ok(Equalize { inner })
    }

    /// Sets the crossfade of later band changes, in seconds (0: at once).
    fn set_crossfade(&mut self, seconds: f32) -> PyResult<()> {
        self.inner.set_crossfade(seconds).map_err(value_error)
    }

    /// Frames of the crossfade a band change starts.
    #[getter]
    fn crossfade_frames(&self) -> usize {
        self.inner.crossfade_frames()
    }

    /// Processes flat `float32` buffers of `self.channels` channels:
    /// `input` into `output`, or `output` in place when `input` is `None`.
    #[pyo3(signature = (input, output, interleaved))]
    fn process(
        &mut self,
        py: Python<'_>,
        input: Option<PyReadonlyArray1<'_, f32>>,
        output: PyReadwriteArray1<'_, f32>,
        interleaved: bool,
    ) -> PyResult<()> {
        let channels = self.inner.channels();
        let inner = &mut self.inner;
        process_block(
            py,
            channels,
            interleaved,
            input,
            output,
            None,
            |buffers, _| inner.process(buffers),
        )
    }

    /// Sets the bands of every channel from the next sample on; the filter
    /// memory is kept (nothing changes on error).
    fn set_bands(&mut self, bands: Vec<BandArg>) -> PyResult<()> {
        let designs = band_designs(self.inner.sample_rate(), &bands)?;
        self.inner.set_bands(&designs).map_err(value_error)
    }

    /// Sets each channel's own bands (`bands[c]` for channel `c`, one list
    /// per channel) from the next sample on, in one change; the error
    /// names the first bad channel (nothing changes on error).
    fn set_bands_per_channel(&mut self, bands: Vec<Vec<BandArg>>) -> PyResult<()> {
        let rate = self.inner.sample_rate();
        let designs = bands
            .iter()
            .enumerate()
            .map(|(c, b)| {
                band_designs(rate, b)
                    .map_err(|e| PyValueError::new_err(format!("channel {c}: {e}")))
            })
            .collect::<PyResult<Vec<_>>>()?;
        self.inner
            .set_bands_per_channel(&designs)
            .map_err(value_error)
    }

    /// Sets the bands of one channel from the next sample on.
    fn set_channel_bands(&mut self, channel: usize, bands: Vec<BandArg>) -> PyResult<()> {
        let designs = band_designs(self.inner.sample_rate(), &bands)?;
        self.inner
            .set_channel_bands(channel, &designs)
            .map_err(value_error)
    }

    /// Clears every band's memory (the coefficients stay).
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// The coefficients `(b0, b1, b2, a1, a2)` of `channel`'s bands as they
    /// run.
    fn coefficients(&self, channel: usize) -> PyResult<Vec<Section>> {
        let bands = self.inner.bands(channel).map_err(value_error)?;
        Ok(bands.iter().map(coefficient_tuple).collect())
    }

    /// Number of channels.
    #[getter]
    fn channels(&self) -> usize {
        self.inner.channels()
    }

    /// Sample rate in Hz.
    #[getter]
    fn sample_rate(&self) -> f32 {
        self.inner.sample_rate()
    }

    /// The ISA this processor runs on.
    #[getter]
    fn isa(&self) -> &'static str {
        self.inner.isa().name()
    }
}

/// A BS.1770-4 / EBU R128 loudness meter for a fixed sample rate and
/// channel count, measuring one or more programmes (the low-level object
/// behind `lanedsp.LoudnessMeter`).
#[pyclass(module = "lanedsp._lanedsp")]
struct Meter {
    inner: LoudnessMeter,
}

#[pymethods]
impl Meter {
    /// A meter for `channels` channels at `sample_rate` Hz measuring the
    /// `programmes` (lists of channel indices; empty: one programme of
    /// every channel), each channel weighted by `weights` (empty: 1.0
    /// each), on `isa` (`None`: the process-wide selection).
    #[new]
    #[pyo3(signature = (sample_rate, channels, programmes, weights, isa=None))]
    fn new(
        sample_rate: f32,
        channels: usize,
        programmes: Vec<Vec<usize>>,
        weights: Vec<f32>,
        isa: Option<&str>,
    ) -> PyResult<Self> {
        let isa = parse_isa(isa)?;
        let mut inner = LoudnessMeter::new(sample_rate, channels)
            .and_then(|m| m.with_isa(isa))
            .map_err(value_error)?;
        if !programmes.is_empty() {
            inner = inner.with_programmes(&programmes).map_err(value_error)?;
        }
        if !weights.is_empty() {
            if weights.len() != channels {
                return Err(PyValueError::new_err(format!(
                    "{} weights for {channels} channels; they must match",
                    weights.len()
                )));
            }
            for (c, &w) in weights.iter().enumerate() {
                inner.set_channel_weight(c, w).map_err(value_error)?;
            }
        }
        Ok(Meter { inner })
    }

    /// Measures a flat `float32` buffer of `self.channels` channels, planar
    /// or interleaved, continuing from the previous call.
    fn process(
        &mut self,
        py: Python<'_>,
        input: PyReadonlyArray1<'_, f32>,
        interleaved: bool,
    ) -> PyResult<()> {
        let channels = self.inner.channels();
        let input = slice("input", &input)?;
        let frames = Layout {
            channels,
            interleaved,
        }
        .frames("input", input.len())?;
        let inner = &mut self.inner;
        py.detach(move || {
            if interleaved {
                inner.process_interleaved(input)
            } else {
                let planar = Layout::split(input, frames, channels);
                inner.process_planar(&planar)
            }
        })
        .map_err(value_error)
    }

    /// Forgets everything measured (the weights stay).
    fn reset(&mut self) {
        self.inner.reset();
    }

    /// The readings of programme `p`: `(momentary, short_term, integrated,
    /// range)` in LUFS and LU.
    fn readings(&self, p: usize) -> PyResult<(f64, f64, f64, f64)> {
        let r = self.inner.programme(p).map_err(value_error)?;
        Ok((r.momentary, r.short_term, r.integrated, r.range))
    }

    /// The largest sample magnitude of each channel so far (linear).
    fn sample_peaks(&self) -> Vec<f32> {
        (0..self.inner.channels())
            .map(|c| self.inner.sample_peak(c).unwrap_or(0.0))
            .collect()
    }

    /// The true peak of each channel so far (linear; BS.1770-4 Annex 2).
    fn true_peaks(&self) -> Vec<f32> {
        (0..self.inner.channels())
            .map(|c| self.inner.true_peak(c).unwrap_or(0.0))
            .collect()
    }

    /// Number of programmes.
    #[getter]
    fn programmes(&self) -> usize {
        self.inner.programmes()
    }

    /// Number of channels.
    #[getter]
    fn channels(&self) -> usize {
        self.inner.channels()
    }

    /// Sample rate in Hz.
    #[getter]
    fn sample_rate(&self) -> f32 {
        self.inner.sample_rate()
    }

    /// The ISA the filters run on.
    #[getter]
    fn isa(&self) -> &'static str {
        self.inner.isa().name()
    }
}

/// The extension module: `Envelope`, `Dynamics`, `Limit`, `Equalize`,
/// `Meter`, `preset`, `design_band`, `isa`, `available_isas` and
/// `isa_selection`.
#[pymodule]
fn _lanedsp(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Envelope>()?;
    m.add_class::<Dynamics>()?;
    m.add_class::<Limit>()?;
    m.add_class::<Equalize>()?;
    m.add_class::<Meter>()?;
    m.add_function(wrap_pyfunction!(design_band, m)?)?;
    m.add("MAX_BANDS", MAX_BANDS)?;
    // False in the test-profile build of python/run-tests (debug assertions on).
    m.add("RELEASE_BUILD", !cfg!(debug_assertions))?;
    m.add("MAX_LOOKAHEAD_MS", lanedsp::MAX_LOOKAHEAD * 1000.0)?;
    m.add_function(wrap_pyfunction!(preset, m)?)?;
    m.add_function(wrap_pyfunction!(isa, m)?)?;
    m.add_function(wrap_pyfunction!(available_isas, m)?)?;
    m.add_function(wrap_pyfunction!(isa_selection, m)?)?;
    m.add("GAIN_LIMIT_DB", Settings::compressor().range_db)?;
    m.add("MAX_CHANNELS", lanedsp::MAX_CHANNELS)?;
    m.add("MAX_LINK", lanedsp::MAX_LINK)?;
    Ok(())
}

/// [`Limit::process_compensated`] once the shapes are checked (`frames` of
/// every channel, at least the latency): the first `latency` frames of
/// input fill the delay line (their output is the silence before the
/// stream), the rest come out at the start of `y`, and the flush writes its
/// end.
fn compensated(
    lim: &mut Limiter,
    x: &[f32],
    y: &mut [f32],
    frames: usize,
    interleaved: bool,
) -> lanedsp::Result<()> {
    let (channels, head) = (lim.channels(), lim.latency());
    lim.reset();
    if frames == 0 {
        return Ok(());
    }
    let mut preroll = vec![0.0f32; head * channels];
    if interleaved {
        let (body, tail) = y.split_at_mut((frames - head) * channels);
        lim.process_interleaved(&x[..head * channels], &mut preroll)?;
        lim.process_interleaved(&x[head * channels..], body)?;
        return lim.flush_interleaved(tail);
    }
    let first: Vec<&[f32]> = x.chunks(frames).map(|c| &c[..head]).collect();
    let rest: Vec<&[f32]> = x.chunks(frames).map(|c| &c[head..]).collect();
    let mut pre = Layout::split_mut(&mut preroll, head, channels);
    let (mut bodies, mut tails): (Vec<&mut [f32]>, Vec<&mut [f32]>) = y
        .chunks_mut(frames)
        .map(|c| c.split_at_mut(frames - head))
        .unzip();
    lim.process_planar(&first, &mut pre)?;
    lim.process_planar(&rest, &mut bodies)?;
    lim.flush_planar(&mut tails)
}
