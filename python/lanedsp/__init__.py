"""lanedsp: SIMD dynamics processing for many channels at once, bit-identical
on every CPU.

numpy in, numpy out::

    import numpy as np
    import lanedsp

    comp = lanedsp.Compressor(threshold_db=-18, ratio=4, attack_ms=10,
                              release_ms=100, link="stereo")
    out = comp(audio, 48_000)   # audio: (samples,), (channels, samples)
                                # or (tracks, channels, samples)

Every channel of a call (every track's channels, for a 3-D array) runs in
the SIMD lanes of one processor call, with the GIL released. Output is
computed in float32; float64 input is rounded to float32 on the way in and
the result is returned as float64 (docs/python.md).

Processors: :class:`EnvelopeFollower`, :class:`Compressor` (also upward
compression, expansion and gating, with linking and a sidechain),
:class:`Limiter` (lookahead brickwall limiter, sample or true peak, with a
reported latency and a flush). The
seed's Numba-era names are kept as a thin compatibility layer:
``EnvelopeFollower(sample_rate, attack_ms, release_ms).process_buffer(levels)``
and :class:`VectorizedEnvelopeFollower`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _lanedsp
from ._lanedsp import available_isas, isa, isa_selection

__all__ = [
    "Compressor",
    "Limiter",
    "EnvelopeFollower",
    "VectorizedEnvelopeFollower",
    "available_isas",
    "isa",
    "isa_selection",
    "GAIN_LIMIT_DB",
    "MAX_CHANNELS",
    "MAX_LINK",
    "MAX_LOOKAHEAD_MS",
]

__version__ = "0.1.0"

#: Largest gain change and threshold magnitude in dB the compressor accepts.
GAIN_LIMIT_DB: float = _lanedsp.GAIN_LIMIT_DB
#: Most channels (tracks times channels) one processor call accepts.
MAX_CHANNELS: int = _lanedsp.MAX_CHANNELS
#: Most channels in one link group.
MAX_LINK: int = _lanedsp.MAX_LINK
#: Longest limiter lookahead in milliseconds.
MAX_LOOKAHEAD_MS: float = _lanedsp.MAX_LOOKAHEAD_MS

_SHAPES = "(samples,), (channels, samples) or (tracks, channels, samples)"


# --------------------------------------------------------------------------
# Argument checks shared by every processor.


def _number(name: str, value: Any) -> float:
    """``value`` as a float, or TypeError naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    return float(value)


def _sample_rate(value: Any) -> float:
    if value is None:
        raise TypeError("sample_rate is required (pass it to the call or to the constructor)")
    sr = _number("sample_rate", value)
    if not (math.isfinite(sr) and sr > 0.0):
        raise ValueError(f"sample_rate must be finite and greater than 0 Hz, got {sr!r}")
    return sr


def _isa(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"isa must be a string such as 'avx2' or None, got {type(value).__name__}")
    name = value.strip().lower()
    if name not in ("scalar", "avx2", "avx512", "neon"):
        raise ValueError(f"unknown ISA {value!r} (expected scalar, avx2, avx512 or neon)")
    if name not in available_isas():
        raise ValueError(
            f"ISA {name} is not available on this CPU (available: {', '.join(available_isas())})"
        )
    return name


class _Block:
    """One array's view as the flat float32 buffer the extension processes.

    ``flat`` is a 1-D float32 view of the audio (no copy for native float32
    arrays that are C-contiguous, or F-contiguous 2-D arrays, which are
    interleaved frames), or a float32 copy the call may overwrite
    (``owned``).
    """

    __slots__ = ("shape", "dtype", "tracks", "channels", "interleaved", "flat", "owned")

    def __init__(self, audio: Any, name: str) -> None:
        if not isinstance(audio, np.ndarray):
            raise TypeError(
                f"{name} must be a numpy.ndarray of float32 or float64, got {type(audio).__name__}"
            )
        dtype = audio.dtype
        if dtype.kind != "f" or dtype.itemsize not in (4, 8):
            raise TypeError(f"{name} must have dtype float32 or float64, got {dtype}")
        if audio.ndim not in (1, 2, 3):
            raise ValueError(f"{name} must have shape {_SHAPES}, got shape {audio.shape}")
        self.shape: Tuple[int, ...] = audio.shape
        self.dtype = np.dtype(np.float32) if dtype.itemsize == 4 else np.dtype(np.float64)
        if audio.ndim == 1:
            self.tracks, self.channels = 1, 1
        elif audio.ndim == 2:
            self.tracks, self.channels = 1, audio.shape[0]
        else:
            self.tracks, self.channels = audio.shape[0], audio.shape[1]
        if self.tracks * self.channels == 0:
            raise ValueError(f"{name} has no channels (shape {audio.shape}); expected {_SHAPES}")
        # (channels, samples) stored frame after frame (a transposed
        # (samples, channels) array) is the interleaved layout: no copy.
        self.interleaved = (
            audio.ndim == 2 and audio.flags.f_contiguous and not audio.flags.c_contiguous
        )
        order = "F" if self.interleaved else "C"
        native = dtype == np.float32 and dtype.isnative
        if native and (audio.flags.f_contiguous if self.interleaved else audio.flags.c_contiguous):
            self.flat = audio.reshape(-1, order=order)
            self.owned = False
        else:
            self.flat = np.asarray(audio, dtype=np.float32, order=order).reshape(-1, order=order)
            self.owned = not np.shares_memory(self.flat, audio)
        if not self.flat.flags.c_contiguous:  # pragma: no cover - reshape gives a view
            self.flat = np.ascontiguousarray(self.flat)
            self.owned = True

    @property
    def layout(self) -> Tuple[int, int]:
        return (self.tracks, self.channels)

    def check_like(self, other: "_Block", name: str) -> None:
        if self.shape != other.shape:
            raise ValueError(f"{name} has shape {self.shape}, the audio {other.shape}; they must match")

    def run(self, process: Any, key: Optional["_Block"] = None) -> np.ndarray:
        """Processes the block with ``process(input, output, interleaved, ...)``
        and returns a new array of the input's shape and dtype."""
        order = "F" if self.interleaved else "C"
        extra = () if key is None else ((key.flat, key.interleaved),)
        if self.owned:
            # A float32 copy was made anyway: process it in place.
            process(None, self.flat, self.interleaved, *extra)
            out32 = self.flat
        else:
            out32 = np.empty(self.flat.shape, dtype=np.float32)
            process(self.flat, out32, self.interleaved, *extra)
        out = out32.reshape(self.shape, order=order)
        if self.dtype == np.float64:
            out = out.astype(np.float64, order=order)
        return out


class _Lazy:
    """A low-level processor built on first use for one sample rate and
    channel layout and rebuilt (from its initial state) when either
    changes."""

    def __init__(self, isa: Optional[str]) -> None:
        self._isa = _isa(isa)
        self._proc: Any = None
        self._key: Optional[Tuple[float, Tuple[int, int]]] = None

    def _build(self, sample_rate: float, tracks: int, channels: int) -> Any:  # pragma: no cover
        raise NotImplementedError

    def _processor(self, sample_rate: float, block: _Block) -> Any:
        key = (sample_rate, block.layout)
        if self._proc is None or self._key != key:
            self._proc = None
            self._proc = self._build(sample_rate, block.tracks, block.channels)
            self._key = key
        return self._proc

    @property
    def latency(self) -> int:
        """Samples of delay the processor adds (0: none of these look ahead)."""
        return 0

    @property
    def isa(self) -> str:
        """The ISA this object's processors run on."""
        return self._isa if self._isa is not None else isa()

    def reset(self) -> None:
        """Returns the processor to its initial state (the next call starts
        afresh, as the first one did)."""
        if self._proc is not None:
            self._proc.reset()


# --------------------------------------------------------------------------
# Envelope follower.


class EnvelopeFollower(_Lazy):
    """Peak envelope follower with attack and release, every channel in SIMD
    lanes.

    Per channel and sample: ``env += (x - env) * k`` with
    ``k = 1 - exp(-1 / (t * sample_rate))``, ``t`` the attack time when
    ``x > env`` and the release time otherwise; ``env`` starts at 0. The
    input is followed as given (signed): pass levels (``np.abs(audio)``, or
    squares for a mean-square envelope) for a level envelope.

    Args:
        sample_rate: default sample rate in Hz for calls that give none
            (needed by the seed-compatible :meth:`process_buffer`).
        attack_ms: attack time constant in milliseconds (>= 0; 0 follows
            rises at once).
        release_ms: release time constant in milliseconds (>= 0).
        isa: force an ISA (``"scalar"``, ``"avx2"``, ``"avx512"``,
            ``"neon"``); ``None`` uses :func:`lanedsp.isa`.

    Call ``follower(audio, sample_rate)`` for a one-shot result of the same
    shape and dtype, or ``follower.process(chunk, sample_rate)`` to stream.
    """

    def __init__(
        self,
        sample_rate: Optional[float] = None,
        attack_ms: float = 10.0,
        release_ms: float = 100.0,
        *,
        isa: Optional[str] = None,
    ) -> None:
        super().__init__(isa)
        self._sample_rate = None if sample_rate is None else _sample_rate(sample_rate)
        self._attack_ms = _number("attack_ms", attack_ms)
        self._release_ms = _number("release_ms", release_ms)
        self._check_times(self._attack_ms, self._release_ms)

    @staticmethod
    def _check_times(attack_ms: float, release_ms: float) -> None:
        for name, value in (("attack_ms", attack_ms), ("release_ms", release_ms)):
            if not (math.isfinite(value) and value >= 0.0):
                raise ValueError(f"{name} must be finite and at least 0, got {value!r}")

    @property
    def attack_ms(self) -> float:
        """Attack time constant in milliseconds."""
        return self._attack_ms

    @attack_ms.setter
    def attack_ms(self, value: float) -> None:
        self._set_times(_number("attack_ms", value), self._release_ms)

    @property
    def release_ms(self) -> float:
        """Release time constant in milliseconds."""
        return self._release_ms

    @release_ms.setter
    def release_ms(self, value: float) -> None:
        self._set_times(self._attack_ms, _number("release_ms", value))

    @property
    def sample_rate(self) -> Optional[float]:
        """The default sample rate given to the constructor, or None."""
        return self._sample_rate

    def _set_times(self, attack_ms: float, release_ms: float) -> None:
        self._check_times(attack_ms, release_ms)
        self._attack_ms, self._release_ms = attack_ms, release_ms
        if self._proc is not None:  # keeps the envelope
            self._proc.set_times(attack_ms * 1e-3, release_ms * 1e-3)

    def _build(self, sample_rate: float, tracks: int, channels: int) -> Any:
        return _lanedsp.Envelope(
            sample_rate, tracks * channels, self._attack_ms * 1e-3, self._release_ms * 1e-3, self._isa
        )

    def process(
        self, audio: np.ndarray, sample_rate: Optional[float] = None, reset: bool = False
    ) -> np.ndarray:
        """Processes one chunk, continuing from the previous call's state
        (unless ``reset``), and returns a new array of the same shape and
        dtype. A change of sample rate or channel layout starts afresh."""
        block = _Block(audio, "audio")
        sr = _sample_rate(self._sample_rate if sample_rate is None else sample_rate)
        proc = self._processor(sr, block)
        if reset:
            proc.reset()
        return block.run(proc.process)

    def __call__(self, audio: np.ndarray, sample_rate: Optional[float] = None) -> np.ndarray:
        """One-shot: processes ``audio`` from the initial state."""
        return self.process(audio, sample_rate, reset=True)

    def process_buffer(self, levels: Any) -> np.ndarray:
        """The seed's API: the envelope of a 1-D array of levels at the
        constructor's sample rate, from an envelope of 0.

        Matches the seed's Numba loop (``c = exp(-1/(t * sr))``,
        ``env = x + (env - x) * c``) within float rounding: the filter is the
        same; lanedsp computes in float32 with a better-conditioned
        coefficient form (docs/kernels.md). Float32 and float64 arrays keep
        their dtype; other real arrays (integers, lists) give float64.
        """
        if not (isinstance(levels, np.ndarray) and levels.dtype.kind == "f"):
            levels = np.asarray(levels)
            if levels.dtype.kind not in "biuf":
                raise TypeError(f"levels must be real numbers, got dtype {levels.dtype}")
            levels = levels.astype(np.float64)
        if levels.ndim != 1:
            raise ValueError(f"levels must be a 1-D array, got shape {levels.shape}")
        if self._sample_rate is None:
            raise TypeError("process_buffer needs the sample_rate given to the constructor")
        return self.process(levels, self._sample_rate, reset=True)

    def envelope(self) -> np.ndarray:
        """The current envelope of each channel after the last call, shaped
        like the channel axes of the last input (empty before any call)."""
        if self._proc is None or self._key is None:
            return np.zeros(0, dtype=np.float32)
        tracks, channels = self._key[1]
        env = np.asarray(self._proc.envelope(), dtype=np.float32)
        return env.reshape(channels) if tracks == 1 else env.reshape(tracks, channels)

    def __repr__(self) -> str:
        sr = "" if self._sample_rate is None else f"sample_rate={self._sample_rate:g}, "
        return (
            f"lanedsp.EnvelopeFollower({sr}attack_ms={self._attack_ms:g}, "
            f"release_ms={self._release_ms:g}, isa={self.isa!r})"
        )


class VectorizedEnvelopeFollower(EnvelopeFollower):
    """The seed's name: ``VectorizedEnvelopeFollower(sample_rate, attack_ms,
    release_ms, use_numba=True).process_buffer(levels)``.

    ``use_numba`` is accepted and ignored (there is nothing to compile). The
    result matches the seed's Numba loop within float rounding.
    """

    def __init__(
        self,
        sample_rate: float,
        attack_ms: float,
        release_ms: float,
        use_numba: bool = True,
        *,
        isa: Optional[str] = None,
    ) -> None:
        super().__init__(sample_rate, attack_ms, release_ms, isa=isa)
        self.use_numba = use_numba

    def __repr__(self) -> str:
        return (
            f"lanedsp.VectorizedEnvelopeFollower(sample_rate={self._sample_rate:g}, "
            f"attack_ms={self._attack_ms:g}, release_ms={self._release_ms:g}, isa={self.isa!r})"
        )


# --------------------------------------------------------------------------
# Compressor.

_MODES = ("compress", "upward", "expand", "gate")
_LINKS = ("none", "stereo", "all")
LinkSpec = Union[str, None, Sequence[Sequence[int]]]

# Keyword -> (key of the settings dictionary, scale to its unit).
_SETTING_KWARGS = {
    "threshold_db": ("threshold_db", 1.0),
    "ratio": ("ratio", 1.0),
    "knee_db": ("knee_db", 1.0),
    "attack_ms": ("attack_s", 1e-3),
    "release_ms": ("release_s", 1e-3),
    "detector_attack_ms": ("detector_attack_s", 1e-3),
    "detector_release_ms": ("detector_release_s", 1e-3),
    "range_db": ("range_db", 1.0),
    "mix": ("mix", 1.0),
}


class Compressor(_Lazy):
    """Feed-forward dynamics processor: detector (peak or RMS) -> static curve
    with soft knee -> gain smoothing with attack/release -> makeup -> gain
    with dry/wet mix, every channel (of every track) in SIMD lanes.

    Every setting left at ``None`` takes the default of ``mode``'s preset:

    ========== ========= ===== ==== ====== ======= ========= ===== ==========
    mode       threshold ratio knee attack release detection range notes
    ========== ========= ===== ==== ====== ======= ========= ===== ==========
    compress   -20 dB    4     6 dB 10 ms  100 ms  peak      600
    upward     -40 dB    2     6 dB 10 ms  100 ms  rms 50 ms 24 dB raises quiet
    expand     -50 dB    2     6 dB 2 ms   100 ms  peak      40 dB
    gate       -50 dB    inf   0 dB 1 ms   100 ms  peak      80 dB
    ========== ========= ===== ==== ====== ======= ========= ===== ==========

    Args:
        threshold_db: threshold in dBFS.
        ratio: ratio (>= 1; ``float('inf')`` limits, or gates when
            expanding).
        knee_db: soft-knee width in dB (0: hard knee).
        attack_ms: gain attack time constant in ms.
        release_ms: gain release time constant in ms.
        makeup_db: makeup gain in dB, or ``"auto"`` (undoes the curve at
            0 dBFS).
        mode: ``"compress"``, ``"upward"``, ``"expand"`` or ``"gate"``.
        detection: ``"peak"`` or ``"rms"``.
        detector_attack_ms: detector attack (the RMS window for ``"rms"``).
        detector_release_ms: detector release.
        range_db: largest gain change in dB.
        mix: wet share from 0 to 1.
        link: ``"none"``; ``"stereo"`` (channels 0-1, 2-3, ... of each
            track share one detector); ``"all"`` (all channels of each track
            share one); or a list of groups of channel indices, applied to
            each track. Tracks of a 3-D array are never linked to each other.
        link_amount: 0 (unlinked) to 1 (fully linked).
        link_mode: ``"max"`` (the loudest channel drives the group) or
            ``"mean"``.
        isa: force an ISA; ``None`` uses :func:`lanedsp.isa`.
    """

    def __init__(
        self,
        threshold_db: Optional[float] = None,
        ratio: Optional[float] = None,
        knee_db: Optional[float] = None,
        attack_ms: Optional[float] = None,
        release_ms: Optional[float] = None,
        makeup_db: Union[float, str, None] = None,
        *,
        mode: str = "compress",
        detection: Optional[str] = None,
        detector_attack_ms: Optional[float] = None,
        detector_release_ms: Optional[float] = None,
        range_db: Optional[float] = None,
        mix: Optional[float] = None,
        link: LinkSpec = "none",
        link_amount: float = 1.0,
        link_mode: str = "max",
        isa: Optional[str] = None,
    ) -> None:
        super().__init__(isa)
        if not isinstance(mode, str) or mode not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(map(repr, _MODES))}, got {mode!r}")
        self._mode = mode
        preset = dict(_lanedsp.preset(mode))
        # The user-facing values, in the keywords' units; the presets' float32
        # values read back as the numbers they were written as (10.0 ms).
        values: Dict[str, Any] = {
            kwarg: float(np.float32(preset[key] / scale))
            for kwarg, (key, scale) in _SETTING_KWARGS.items()
        }
        values["detection"] = preset["detection"]
        values["makeup_db"] = preset["makeup_db"]
        given = dict(
            threshold_db=threshold_db,
            ratio=ratio,
            knee_db=knee_db,
            attack_ms=attack_ms,
            release_ms=release_ms,
            detector_attack_ms=detector_attack_ms,
            detector_release_ms=detector_release_ms,
            range_db=range_db,
            mix=mix,
        )
        for kwarg, value in given.items():
            if value is not None:
                values[kwarg] = _number(kwarg, value)
        if detection is not None:
            values["detection"] = self._detection(detection)
        if makeup_db is not None:
            values["makeup_db"] = self._makeup(makeup_db)
        self._kernel_mode = preset["mode"]
        self._values = values
        self._check(self._settings())
        self._link = self._link_spec(link)
        self._link_amount = _number("link_amount", link_amount)
        if not (0.0 <= self._link_amount <= 1.0):
            raise ValueError(f"link_amount must be from 0 to 1, got {self._link_amount!r}")
        if link_mode not in ("max", "mean"):
            raise ValueError(f"link_mode must be 'max' or 'mean', got {link_mode!r}")
        self._link_mode = link_mode

    # -- settings ---------------------------------------------------------

    @staticmethod
    def _detection(value: Any) -> str:
        if value not in ("peak", "rms"):
            raise ValueError(f"detection must be 'peak' or 'rms', got {value!r}")
        return str(value)

    @staticmethod
    def _makeup(value: Any) -> Optional[float]:
        if isinstance(value, str):
            if value != "auto":
                raise ValueError(f"makeup_db must be a number of dB or 'auto', got {value!r}")
            return None
        return _number("makeup_db", value)

    def _settings(self, **changes: Any) -> Dict[str, Any]:
        """The settings dictionary the extension takes, with ``changes``."""
        values = dict(self._values, **changes)
        settings: Dict[str, Any] = {
            key: values[kwarg] * scale for kwarg, (key, scale) in _SETTING_KWARGS.items()
        }
        settings["mode"] = self._kernel_mode
        settings["detection"] = values["detection"]
        settings["makeup_db"] = values["makeup_db"]
        return settings

    def _check(self, settings: Dict[str, Any]) -> None:
        # Validates through the crate (at a nominal rate; validity does not
        # depend on it) so bad settings fail here, not at the first call.
        _lanedsp.Dynamics(48_000.0, 1, settings, [])

    @staticmethod
    def _link_spec(link: LinkSpec) -> Union[str, List[List[int]]]:
        if link is None or link is False:
            return "none"
        if isinstance(link, str):
            if link not in _LINKS:
                raise ValueError(
                    f"link must be 'none', 'stereo', 'all' or a list of channel groups, got {link!r}"
                )
            return link
        try:
            groups = [[int(c) for c in group] for group in link]  # type: ignore[union-attr]
        except (TypeError, ValueError):
            raise TypeError(
                f"link must be 'none', 'stereo', 'all' or a list of lists of channel indices, got {link!r}"
            ) from None
        for group in groups:
            if any(c < 0 for c in group):
                raise ValueError(f"link groups hold channel indices >= 0, got {group}")
        return groups

    def _groups(self, tracks: int, channels: int) -> List[List[int]]:
        if self._link == "none" or channels == 1 and isinstance(self._link, str):
            return []
        if self._link == "stereo":
            per_track = [list(range(c, min(c + 2, channels))) for c in range(0, channels - 1, 2)]
        elif self._link == "all":
            per_track = [list(range(channels))]
        else:
            per_track = self._link  # type: ignore[assignment]
            for group in per_track:
                for c in group:
                    if c >= channels:
                        raise ValueError(
                            f"link group {group} names channel {c}, but the audio has "
                            f"{channels} channel{'s' if channels != 1 else ''} per track"
                        )
        return [[t * channels + c for c in group] for t in range(tracks) for group in per_track]

    def _set(self, kwarg: str, value: Any) -> None:
        settings = self._settings(**{kwarg: value})
        self._check(settings)
        self._values[kwarg] = value
        if self._proc is not None:  # keeps the state: the gain glides
            self._proc.set_settings(settings)

    def _build(self, sample_rate: float, tracks: int, channels: int) -> Any:
        try:
            return _lanedsp.Dynamics(
                sample_rate,
                tracks * channels,
                self._settings(),
                self._groups(tracks, channels),
                self._link_amount,
                self._link_mode,
                self._isa,
            )
        except ValueError as err:
            if "link" in str(err):
                raise ValueError(f"link={self._link!r} with {channels} channels per track: {err}") from None
            raise

    # -- processing -------------------------------------------------------

    def process(
        self,
        audio: np.ndarray,
        sample_rate: float,
        reset: bool = False,
        sidechain: Optional[np.ndarray] = None,
    ) -> np.ndarray:
        """Processes one chunk, continuing from the previous call's state
        (unless ``reset``), and returns a new array of the same shape and
        dtype. ``sidechain``, an array of the same shape, drives the
        detectors instead of the audio. A change of sample rate or channel
        layout starts afresh."""
        block = _Block(audio, "audio")
        key = None
        if sidechain is not None:
            key = _Block(sidechain, "sidechain")
            key.check_like(block, "sidechain")
        sr = _sample_rate(sample_rate)
        proc = self._processor(sr, block)
        if reset:
            proc.reset()
        return block.run(proc.process, key)

    def __call__(
        self, audio: np.ndarray, sample_rate: float, sidechain: Optional[np.ndarray] = None
    ) -> np.ndarray:
        """One-shot: processes ``audio`` from the initial state."""
        return self.process(audio, sample_rate, reset=True, sidechain=sidechain)

    def gain_reduction_db(self) -> np.ndarray:
        """The current gain change in dB (makeup excluded, negative when
        reducing) of each channel after the last call, shaped like the
        channel axes of the last input (empty before any call)."""
        if self._proc is None or self._key is None:
            return np.zeros(0, dtype=np.float32)
        tracks, channels = self._key[1]
        gr = np.asarray(self._proc.gain_reduction_db(), dtype=np.float32)
        return gr.reshape(channels) if tracks == 1 else gr.reshape(tracks, channels)

    # -- attributes -------------------------------------------------------

    @property
    def mode(self) -> str:
        """``"compress"``, ``"upward"``, ``"expand"`` or ``"gate"`` (fixed at
        construction)."""
        return self._mode

    @property
    def detection(self) -> str:
        """``"peak"`` or ``"rms"``."""
        return str(self._values["detection"])

    @detection.setter
    def detection(self, value: str) -> None:
        self._set("detection", self._detection(value))

    @property
    def makeup_db(self) -> Union[float, str]:
        """Makeup gain in dB, or ``"auto"``."""
        value = self._values["makeup_db"]
        return "auto" if value is None else float(value)

    @makeup_db.setter
    def makeup_db(self, value: Union[float, str]) -> None:
        self._set("makeup_db", self._makeup(value))

    @property
    def link(self) -> Union[str, List[List[int]]]:
        """The link layout; setting it rebuilds the processor (its state
        starts afresh)."""
        return self._link

    @link.setter
    def link(self, value: LinkSpec) -> None:
        self._link = self._link_spec(value)
        self._proc = None

    def __repr__(self) -> str:
        parts = [f"{name}={getattr(self, name)!r}" for name in _SETTING_KWARGS]
        parts += [f"makeup_db={self.makeup_db!r}", f"mode={self._mode!r}"]
        parts += [f"detection={self.detection!r}", f"link={self._link!r}", f"isa={self.isa!r}"]
        return f"lanedsp.Compressor({', '.join(parts)})"


def _setting_property(kwarg: str) -> property:
    def get(self: Compressor) -> float:
        return float(self._values[kwarg])

    def set(self: Compressor, value: float) -> None:
        self._set(kwarg, _number(kwarg, value))

    return property(get, set, doc=f"{kwarg}; settable between calls, the state is kept.")


for _kwarg in _SETTING_KWARGS:
    setattr(Compressor, _kwarg, _setting_property(_kwarg))
del _kwarg


# --------------------------------------------------------------------------
# Limiter.


class Limiter(_Lazy):
    """Lookahead brickwall limiter: no output sample exceeds ``ceiling_db``,
    for any input, every channel (of every track) in SIMD lanes.

    Per channel: the gain each sample requires (``ceiling / |x|`` above the
    ceiling), its minimum over the lookahead window, a moving mean over the
    same window (the gain falls smoothly *before* a peak), a release
    one-pole, the audio delayed by the lookahead, and a final clamp at the
    ceiling. Linked channels share their deepest reduction.

    Args:
        sample_rate: default sample rate in Hz for calls that give none
            (and for :attr:`latency` before the first call).
        channels: channels per track the input must have (``None``: any;
            taken from each input's shape).
        ceiling_db: the ceiling in dBFS, -60 to 24.
        lookahead_ms: lookahead (attack) in ms, 0 to :data:`MAX_LOOKAHEAD_MS`;
            rounded to whole frames; the latency.
        release_ms: release time constant in ms (a step is recovered to 63%
            after this time).
        true_peak: detect inter-sample peaks (ITU-R BS.1770-4 Annex 2: 4x
            oversampling below 96 kHz, 2x below 192 kHz); 6 more frames of
            latency.
        input_gain_db: gain before the limiter in dB, -60 to 60 (drive).
        link: ``"all"`` (default: the channels of each track share one gain;
            more than 16 channels are linked in blocks of 16 adjacent
            channels), ``"stereo"`` (channels 0-1, 2-3, ... of each track),
            ``"none"``, or a list of groups of channel indices (at most 16
            each) applied to each track. Tracks of a 3-D array are never
            linked to each other.
        link_amount: 0 (unlinked) to 1 (fully linked).
        isa: force an ISA; ``None`` uses :func:`lanedsp.isa`.

    Two ways to run it:

    * offline, ``limiter(audio, sample_rate)``: from the initial state,
      **latency compensated**: the result has the input's shape and its
      samples at the input's frames (the input is followed by
      :attr:`latency` frames of silence and the first :attr:`latency`
      output frames are dropped);
    * streaming, ``limiter.process(chunk, sample_rate)`` chunk after chunk:
      each result has its chunk's shape and lags the input by
      :attr:`latency` frames (the first :attr:`latency` frames of the
      stream are silence); at the end, :meth:`flush` returns the last
      :attr:`latency` frames. The concatenated chunks, without their first
      :attr:`latency` frames, plus the flush equal the offline result.
    """

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
        isa: Optional[str] = None,
    ) -> None:
        super().__init__(isa)
        self._sample_rate = None if sample_rate is None else _sample_rate(sample_rate)
        if channels is not None:
            if isinstance(channels, (bool, np.bool_)) or not isinstance(channels, numbers.Integral):
                raise TypeError(f"channels must be an integer or None, got {channels!r}")
            if channels < 1:
                raise ValueError(f"channels must be at least 1, got {channels}")
            channels = int(channels)
        self._channels = channels
        if not isinstance(true_peak, (bool, np.bool_)):
            raise TypeError(f"true_peak must be True or False, got {true_peak!r}")
        self._values: Dict[str, Any] = {
            "ceiling_db": _number("ceiling_db", ceiling_db),
            "lookahead_ms": _number("lookahead_ms", lookahead_ms),
            "release_ms": _number("release_ms", release_ms),
            "true_peak": bool(true_peak),
            "input_gain_db": _number("input_gain_db", input_gain_db),
            "link_amount": _number("link_amount", link_amount),
        }
        self._check(self._values)
        self._link = Compressor._link_spec(link)
        self._last: Optional[Tuple[Tuple[int, ...], np.dtype]] = None

    # -- settings ---------------------------------------------------------

    @staticmethod
    def _args(values: Dict[str, Any]) -> Tuple[Any, ...]:
        return (
            values["ceiling_db"],
            values["lookahead_ms"] * 1e-3,
            values["release_ms"] * 1e-3,
            values["true_peak"],
            values["input_gain_db"],
        )

    def _check(self, values: Dict[str, Any], sample_rate: float = 48_000.0) -> Any:
        # Validates through the crate so bad settings fail here.
        return _lanedsp.Limit(sample_rate, 1, *self._args(values), [], values["link_amount"])

    def _groups(self, tracks: int, channels: int) -> List[List[int]]:
        if self._link == "none" or channels == 1 and isinstance(self._link, str):
            return []
        if self._link == "stereo":
            per_track = [list(range(c, c + 2)) for c in range(0, channels - 1, 2)]
        elif self._link == "all":
            per_track = [
                list(range(c, min(c + MAX_LINK, channels))) for c in range(0, channels, MAX_LINK)
            ]
            per_track = [g for g in per_track if len(g) > 1]
        else:
            per_track = self._link  # type: ignore[assignment]
            for group in per_track:
                for c in group:
                    if c >= channels:
                        raise ValueError(
                            f"link group {group} names channel {c}, but the audio has "
                            f"{channels} channel{'s' if channels != 1 else ''} per track"
                        )
        return [[t * channels + c for c in group] for t in range(tracks) for group in per_track]

    def _build(self, sample_rate: float, tracks: int, channels: int) -> Any:
        try:
            return _lanedsp.Limit(
                sample_rate,
                tracks * channels,
                *self._args(self._values),
                self._groups(tracks, channels),
                self._values["link_amount"],
                self._isa,
            )
        except ValueError as err:
            if "link" in str(err) or "group" in str(err):
                raise ValueError(f"link={self._link!r} with {channels} channels per track: {err}") from None
            raise

    def _set(self, kwarg: str, value: Any) -> None:
        values = dict(self._values, **{kwarg: value})
        self._check(values)
        self._values = values
        if self._proc is not None:  # the state is kept unless the latency changes
            self._proc.set_settings(*self._args(values), values["link_amount"])

    # -- processing -------------------------------------------------------

    def _block(self, audio: Any, sample_rate: Optional[float]) -> Tuple[_Block, Any]:
        block = _Block(audio, "audio")
        if self._channels is not None and block.channels != self._channels:
            raise ValueError(
                f"this limiter was made for {self._channels} channel"
                f"{'s' if self._channels != 1 else ''} per track; the audio has "
                f"{block.channels} (shape {block.shape})"
            )
        sr = _sample_rate(self._sample_rate if sample_rate is None else sample_rate)
        return block, self._processor(sr, block)

    def process(
        self, audio: np.ndarray, sample_rate: Optional[float] = None, reset: bool = False
    ) -> np.ndarray:
        """Streams one chunk, continuing from the previous call's state
        (unless ``reset``), and returns a new array of the same shape and
        dtype that lags the input by :attr:`latency` frames. A change of
        sample rate or channel layout starts afresh."""
        block, proc = self._block(audio, sample_rate)
        if reset:
            proc.reset()
        out = block.run(proc.process)
        self._last = (block.shape, block.dtype)
        return out

    def flush(self) -> np.ndarray:
        """The last :attr:`latency` frames of the stream (the input still in
        the delay line), shaped like the last chunk's channel axes with
        :attr:`latency` frames, in its dtype; the limiter is then as after
        that much silence. Before any call: an empty float32 array."""
        if self._proc is None or self._last is None:
            return np.zeros(0, dtype=np.float32)
        shape, dtype = self._last
        frames = self._proc.latency
        out = np.empty(frames * self._proc.channels, dtype=np.float32)
        self._proc.flush(out, False)
        out = out.reshape(shape[:-1] + (frames,))
        return out.astype(np.float64) if dtype == np.float64 else out

    def __call__(self, audio: np.ndarray, sample_rate: Optional[float] = None) -> np.ndarray:
        """Offline: limits ``audio`` from the initial state and returns the
        latency-compensated result, of the same shape and dtype, each sample
        at its input's frame (the whole input, none of it left in the delay
        line)."""
        block, proc = self._block(audio, sample_rate)
        proc.reset()
        latency = proc.latency
        if latency == 0:
            out = block.run(proc.process)
        else:
            if not isinstance(audio, np.ndarray):  # pragma: no cover - _Block checked it
                raise TypeError("audio must be a numpy.ndarray")
            pad = [(0, 0)] * (audio.ndim - 1) + [(0, latency)]
            dtype = np.float32 if block.dtype == np.float32 else np.float64
            padded = np.pad(np.asarray(audio, dtype=dtype), pad)
            out = _Block(padded, "audio").run(proc.process)[..., latency:]
            out = np.ascontiguousarray(out)
        self._last = (block.shape, block.dtype)
        return out

    # -- attributes -------------------------------------------------------

    @property
    def latency(self) -> int:
        """Frames from input to output: the lookahead in frames, plus 6 with
        ``true_peak``, at the last call's sample rate (or the constructor's
        before any call)."""
        if self._proc is not None:
            return int(self._proc.latency)
        if self._sample_rate is None:
            raise ValueError("latency depends on the sample rate: give sample_rate to the constructor or process audio first")
        return int(self._check(self._values, self._sample_rate).latency)

    @property
    def sample_rate(self) -> Optional[float]:
        """The default sample rate given to the constructor, or None."""
        return self._sample_rate

    @property
    def channels(self) -> Optional[int]:
        """Channels per track the input must have, or None (any)."""
        return self._channels

    @property
    def true_peak(self) -> bool:
        """Whether inter-sample peaks are detected; setting it resets the
        limiter (the latency changes)."""
        return bool(self._values["true_peak"])

    @true_peak.setter
    def true_peak(self, value: bool) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"true_peak must be True or False, got {value!r}")
        self._set("true_peak", bool(value))

    @property
    def link(self) -> Union[str, List[List[int]]]:
        """The link layout; setting it rebuilds the processor (its state
        starts afresh)."""
        return self._link

    @link.setter
    def link(self, value: LinkSpec) -> None:
        self._link = Compressor._link_spec(value)
        self._proc = None

    def gain(self) -> np.ndarray:
        """The current linear gain of each channel after the last call (1
        when not limiting), shaped like the channel axes of the last input
        (empty before any call)."""
        if self._proc is None or self._key is None:
            return np.zeros(0, dtype=np.float32)
        tracks, channels = self._key[1]
        g = np.asarray(self._proc.gain(), dtype=np.float32)
        return g.reshape(channels) if tracks == 1 else g.reshape(tracks, channels)

    def __repr__(self) -> str:
        parts = [f"{name}={getattr(self, name)!r}" for name in _LIMITER_KWARGS]
        sr = "" if self._sample_rate is None else f"sample_rate={self._sample_rate:g}, "
        ch = "" if self._channels is None else f"channels={self._channels}, "
        return (
            f"lanedsp.Limiter({sr}{ch}{', '.join(parts)}, true_peak={self.true_peak!r}, "
            f"link={self._link!r}, isa={self.isa!r})"
        )


_LIMITER_KWARGS = ("ceiling_db", "lookahead_ms", "release_ms", "input_gain_db", "link_amount")


def _limiter_property(kwarg: str) -> property:
    def get(self: Limiter) -> float:
        return float(self._values[kwarg])

    def set(self: Limiter, value: float) -> None:
        self._set(kwarg, _number(kwarg, value))

    doc = f"{kwarg}; settable between calls (the state is kept, except that a new lookahead resets)."
    return property(get, set, doc=doc)


for _kwarg in _LIMITER_KWARGS:
    setattr(Limiter, _kwarg, _limiter_property(_kwarg))
del _kwarg
