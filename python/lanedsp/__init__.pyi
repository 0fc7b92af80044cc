"""Type stubs of lanedsp: SIMD dynamics processing for many channels at once,
bit-identical on every CPU (docs/python.md)."""

from typing import Any, Dict, List, Literal, Optional, Sequence, Tuple, TypeVar, Union

import numpy as np
import numpy.typing as npt

__version__: str
#: Largest gain change and threshold magnitude in dB the compressor accepts.
GAIN_LIMIT_DB: float
#: Most channels (tracks times channels) one processor call accepts.
MAX_CHANNELS: int
#: Most channels in one link group.
MAX_LINK: int

IsaName = Literal["scalar", "avx2", "avx512", "neon"]
Mode = Literal["compress", "upward", "expand", "gate"]
Detection = Literal["peak", "rms"]
LinkSpec = Union[Literal["none", "stereo", "all"], None, Sequence[Sequence[int]]]

_Float = TypeVar("_Float", np.float32, np.float64)

def isa() -> str:
    """The ISA processors use unless told otherwise: the widest this CPU runs,
    or the one the LANEDSP_ISA environment variable names (read once per
    process)."""

def available_isas() -> List[str]:
    """The ISAs this CPU runs, from the most portable to the widest."""

def isa_selection() -> str:
    """How the process-wide ISA was chosen, e.g. ``"avx512 (detected)"``."""

class EnvelopeFollower:
    """Peak envelope follower with attack and release, every channel in SIMD
    lanes: ``env += (x - env) * k``, ``k = 1 - exp(-1 / (t * sample_rate))``,
    ``t`` the attack time when ``x > env``, else the release time; ``env``
    starts at 0. The input is followed as given (pass levels, e.g.
    ``np.abs(audio)``)."""

    def __init__(
        self,
        sample_rate: Optional[float] = None,
        attack_ms: float = 10.0,
        release_ms: float = 100.0,
        *,
        isa: Optional[IsaName] = None,
    ) -> None: ...
    attack_ms: float
    release_ms: float
    @property
    def sample_rate(self) -> Optional[float]:
        """The default sample rate given to the constructor, or None."""
    @property
    def latency(self) -> int:
        """Samples of delay the processor adds (always 0)."""
    @property
    def isa(self) -> str:
        """The ISA this object's processors run on."""
    def __call__(self, audio: npt.NDArray[_Float], sample_rate: Optional[float] = None) -> npt.NDArray[_Float]:
        """One-shot: processes ``audio`` from the initial state; same shape
        and dtype out."""
    def process(
        self, audio: npt.NDArray[_Float], sample_rate: Optional[float] = None, reset: bool = False
    ) -> npt.NDArray[_Float]:
        """Streaming: continues from the previous call's state unless
        ``reset``; a new sample rate or channel layout starts afresh."""
    def reset(self) -> None:
        """Returns the processor to its initial state."""
    def process_buffer(self, levels: Union[npt.ArrayLike, npt.NDArray[_Float]]) -> npt.NDArray[Any]:
        """The seed's API: the envelope of a 1-D array of levels at the
        constructor's sample rate, from 0; matches the seed's Numba loop
        within float rounding."""
    def envelope(self) -> npt.NDArray[np.float32]:
        """The envelope of each channel after the last call."""

class VectorizedEnvelopeFollower(EnvelopeFollower):
    """The seed's name; ``use_numba`` is accepted and ignored."""

    use_numba: bool
    def __init__(
        self,
        sample_rate: float,
        attack_ms: float,
        release_ms: float,
        use_numba: bool = True,
        *,
        isa: Optional[IsaName] = None,
    ) -> None: ...

class Compressor:
    """Feed-forward dynamics processor (compressor, upward compressor,
    expander, gate) with soft knee, attack/release, makeup, dry/wet mix,
    linking and a sidechain; every channel of every track in SIMD lanes.
    Settings left at None take ``mode``'s preset defaults."""

    def __init__(
        self,
        threshold_db: Optional[float] = None,
        ratio: Optional[float] = None,
        knee_db: Optional[float] = None,
        attack_ms: Optional[float] = None,
        release_ms: Optional[float] = None,
        makeup_db: Union[float, Literal["auto"], None] = None,
        *,
        mode: Mode = "compress",
        detection: Optional[Detection] = None,
        detector_attack_ms: Optional[float] = None,
        detector_release_ms: Optional[float] = None,
        range_db: Optional[float] = None,
        mix: Optional[float] = None,
        link: LinkSpec = "none",
        link_amount: float = 1.0,
        link_mode: Literal["max", "mean"] = "max",
        isa: Optional[IsaName] = None,
    ) -> None: ...
    threshold_db: float
    ratio: float
    knee_db: float
    attack_ms: float
    release_ms: float
    detector_attack_ms: float
    detector_release_ms: float
    range_db: float
    mix: float
    detection: Detection
    makeup_db: Union[float, Literal["auto"]]
    link: Union[str, List[List[int]]]
    @property
    def mode(self) -> str:
        """The mode, fixed at construction."""
    @property
    def latency(self) -> int:
        """Samples of delay the processor adds (always 0)."""
    @property
    def isa(self) -> str:
        """The ISA this object's processors run on."""
    def __call__(
        self,
        audio: npt.NDArray[_Float],
        sample_rate: float,
        sidechain: Optional[npt.NDArray[Any]] = None,
    ) -> npt.NDArray[_Float]:
        """One-shot: processes ``audio`` from the initial state; same shape
        and dtype out."""
    def process(
        self,
        audio: npt.NDArray[_Float],
        sample_rate: float,
        reset: bool = False,
        sidechain: Optional[npt.NDArray[Any]] = None,
    ) -> npt.NDArray[_Float]:
        """Streaming: continues from the previous call's state unless
        ``reset``; a new sample rate or channel layout starts afresh."""
    def reset(self) -> None:
        """Returns the processor to its initial state."""
    def gain_reduction_db(self) -> npt.NDArray[np.float32]:
        """The current gain change in dB of each channel after the last
        call (makeup excluded)."""

#: Longest limiter lookahead in milliseconds.
MAX_LOOKAHEAD_MS: float

class Limiter:
    """Lookahead brickwall limiter: no output sample exceeds ``ceiling_db``,
    for any input; every channel of every track in SIMD lanes. Linked
    channels (``link="all"`` by default: the channels of each track, in
    blocks of 16) share their deepest reduction.

    ``limiter(audio, sample_rate)`` is the offline call: from the initial
    state, latency compensated (same shape, each sample at its input's
    frame). ``limiter.process(chunk, sample_rate)`` streams (each result
    lags by :attr:`latency` frames) and :meth:`flush` returns the tail."""

    def __init__(
        self,
        sample_rate: Optional[float] = None,
        channels: Optional[int] = None,
        ceiling_db: float = -1.0,
        lookahead_ms: float = 5.0,
        release_ms: float = 50.0,
        true_peak: bool = False,
        input_gain_db: float = 0.0,
        link: LinkSpec = "all",
        link_amount: float = 1.0,
        *,
        isa: Optional[IsaName] = None,
    ) -> None: ...
    ceiling_db: float
    lookahead_ms: float
    release_ms: float
    input_gain_db: float
    link_amount: float
    true_peak: bool
    link: Union[str, List[List[int]]]
    @property
    def sample_rate(self) -> Optional[float]:
        """The default sample rate given to the constructor, or None."""
    @property
    def channels(self) -> Optional[int]:
        """Channels per track the input must have, or None (any)."""
    @property
    def latency(self) -> int:
        """Frames from input to output: the lookahead in frames, plus 6 with
        true peak (at the last call's sample rate, or the constructor's)."""
    @property
    def isa(self) -> str:
        """The ISA this object's processors run on."""
    def __call__(self, audio: npt.NDArray[_Float], sample_rate: Optional[float] = None) -> npt.NDArray[_Float]:
        """Offline: from the initial state, latency compensated; same shape
        and dtype out, each sample at its input's frame."""
    def process(
        self, audio: npt.NDArray[_Float], sample_rate: Optional[float] = None, reset: bool = False
    ) -> npt.NDArray[_Float]:
        """Streaming: continues from the previous call's state unless
        ``reset``; the result lags the input by :attr:`latency` frames."""
    def flush(self) -> npt.NDArray[Any]:
        """The last :attr:`latency` frames of the stream, shaped like the
        last chunk's channel axes with :attr:`latency` frames."""
    def reset(self) -> None:
        """Empties the delay line and restores unity gain."""
    def gain(self) -> npt.NDArray[np.float32]:
        """The current linear gain of each channel after the last call."""

#: Most bands per channel the equalizer runs (8).
MAX_BANDS: int
#: The Butterworth Q, 1/sqrt(2): every band's default Q.
BUTTERWORTH_Q: float
#: Lowest sample rate the loudness meter accepts (4000 Hz).
MIN_LOUDNESS_RATE: float

BandKind = Literal[
    "peaking", "lowshelf", "highshelf", "lowpass", "highpass", "bandpass", "notch", "allpass", "raw"
]

class Band:
    """One equalizer band: an RBJ Audio EQ Cookbook biquad design
    (``"peaking"``, ``"lowshelf"``, ``"highshelf"``, ``"lowpass"``,
    ``"highpass"``, ``"bandpass"``, ``"notch"``, ``"allpass"``; aliases such
    as ``"low_shelf"``, ``"peak"``, ``"bell"``, ``"bandstop"`` are accepted)
    or ``"raw"`` coefficients ``(b0, b1, b2, a1, a2)`` normalized, or a
    scipy sos row ``(b0, b1, b2, a0, a1, a2)``. Immutable; compares by
    value. ``gain_db`` only for peaking and the shelves; ``q`` defaults to
    1/sqrt(2) (for shelves, the cookbook's slope S = 1)."""

    @property
    def kind(self) -> str: ...
    @property
    def freq_hz(self) -> Optional[float]: ...
    @property
    def q(self) -> float: ...
    @property
    def gain_db(self) -> float: ...
    @property
    def coefficients(self) -> Optional[Tuple[float, ...]]: ...
    def __init__(
        self,
        kind: Union[BandKind, str],
        freq_hz: Optional[float] = None,
        q: float = ...,
        gain_db: float = 0.0,
        coefficients: Optional[Sequence[float]] = None,
    ) -> None: ...
    def sos(self, sample_rate: float) -> npt.NDArray[np.float64]:
        """The section at ``sample_rate`` as the equalizer runs it, as a
        scipy sos row ``[b0, b1, b2, 1, a1, a2]``."""
    @classmethod
    def from_sos(cls, sos: npt.ArrayLike) -> List["Band"]:
        """Raw bands from second-order sections shaped ``(n, 6)``."""

#: A band: a Band, a dict with Band's keys, a (kind, freq_hz, q, gain_db)
#: tuple, or an object with Band's attribute names.
BandSpec = Union[Band, Dict[str, Any], Sequence[Any], Any]

class Equalizer:
    """Parametric equalizer: per channel a cascade of up to 8 biquad bands
    (RBJ cookbook designs in float64, run in float32 direct form I), every
    channel of every track in SIMD lanes, bit-identical on every ISA. No
    latency. ``channel_bands`` (instead of ``bands``) gives channel ``c`` of
    every track its own list."""

    def __init__(
        self,
        bands: Sequence[BandSpec] = (),
        sample_rate: Optional[float] = None,
        *,
        channel_bands: Optional[Sequence[Sequence[BandSpec]]] = None,
        crossfade_ms: float = 10.0,
        isa: Optional[IsaName] = None,
    ) -> None: ...
    @property
    def crossfade_ms(self) -> float:
        """How long a band change crossfades, in ms; assigning applies to later changes."""
    @crossfade_ms.setter
    def crossfade_ms(self, value: float) -> None: ...
    @property
    def bands(self) -> List[Band]:
        """The bands of every channel; assigning keeps the filter memory."""
    @bands.setter
    def bands(self, value: Sequence[BandSpec]) -> None: ...
    @property
    def channel_bands(self) -> Optional[List[List[Band]]]:
        """One list of bands per channel of a track, or None."""
    @channel_bands.setter
    def channel_bands(self, value: Optional[Sequence[Sequence[BandSpec]]]) -> None: ...
    @property
    def sample_rate(self) -> Optional[float]:
        """The default sample rate given to the constructor, or None."""
    @property
    def latency(self) -> int:
        """Samples of delay the processor adds (always 0)."""
    @property
    def isa(self) -> str:
        """The ISA this object's processors run on."""
    def coefficients(self, sample_rate: Optional[float] = None, channel: int = 0) -> npt.NDArray[np.float64]:
        """The sections as they run, as scipy sos rows ``(bands, 6)``."""
    def __call__(self, audio: npt.NDArray[_Float], sample_rate: Optional[float] = None) -> npt.NDArray[_Float]:
        """One-shot: equalizes ``audio`` from silent filter memory; same
        shape and dtype out."""
    def process(
        self, audio: npt.NDArray[_Float], sample_rate: Optional[float] = None, reset: bool = False
    ) -> npt.NDArray[_Float]:
        """Streaming: continues from the previous call's filter memory
        unless ``reset``; a new sample rate or channel layout starts
        afresh."""
    def reset(self) -> None:
        """Clears the filter memory (the bands stay)."""

class LoudnessMeter:
    """ITU-R BS.1770-4 / EBU R128 loudness meter (momentary, short-term,
    integrated, loudness range, sample peak). Like pyloudnorm's
    ``Meter(rate)``, but arrays are ``(channels, samples)`` (pass
    pyloudnorm-style ``data.T``); a 3-D ``(tracks, channels, samples)``
    array measures each track as its own programme, and readings are then
    arrays with one value per track. Channel weights default to 1.0."""

    def __init__(
        self,
        sample_rate: float,
        *,
        weights: Optional[Sequence[float]] = None,
        isa: Optional[IsaName] = None,
    ) -> None: ...
    @property
    def sample_rate(self) -> float:
        """The sample rate in Hz."""
    @property
    def weights(self) -> Optional[List[float]]:
        """The channel weights, or None (1.0 each)."""
    @property
    def latency(self) -> int:
        """Always 0 (the meter outputs no audio)."""
    @property
    def isa(self) -> str:
        """The ISA the K-weighting filters run on."""
    def integrated_loudness(self, audio: npt.NDArray[Any]) -> Union[float, npt.NDArray[np.float64]]:
        """Integrated loudness (LUFS) of ``audio`` measured alone (the meter
        is reset first); a float, or one value per track for 3-D input;
        ``-inf`` when no 400 ms block passes the -70 LUFS gate."""
    def process(self, audio: npt.NDArray[Any], reset: bool = False) -> None:
        """Measures one chunk, continuing from the previous ones unless
        ``reset``; a new channel layout starts afresh."""
    def reset(self) -> None:
        """Forgets everything measured."""
    def momentary(self) -> Union[float, npt.NDArray[np.float64]]:
        """Momentary loudness (LUFS, last 400 ms)."""
    def short_term(self) -> Union[float, npt.NDArray[np.float64]]:
        """Short-term loudness (LUFS, last 3 s)."""
    def integrated(self) -> Union[float, npt.NDArray[np.float64]]:
        """Integrated (gated) loudness (LUFS) so far."""
    def loudness_range(self) -> Union[float, npt.NDArray[np.float64]]:
        """Loudness range (LU, EBU Tech 3342) so far."""
    def sample_peak(self) -> npt.NDArray[np.float64]:
        """Largest sample magnitude (linear) per channel so far:
        ``(channels,)`` or ``(tracks, channels)``."""
    def true_peak(self) -> npt.NDArray[np.float64]:
        """True peak (linear, ITU-R BS.1770-4 Annex 2: 4x oversampled
        below 96 kHz, 2x below 192 kHz) per channel so far, shaped as
        :meth:`sample_peak`; dBTP is ``20 * log10``."""
