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
reported latency and a flush), :class:`Equalizer` (up to 8 RBJ-cookbook
biquad bands per channel, :class:`Band`), :class:`LoudnessMeter` (BS.1770-4 /
EBU R128: momentary, short-term, integrated, loudness range, sample and
true peak;
``meter.integrated_loudness(audio)`` as in pyloudnorm, but with lanedsp's
``(channels, samples)`` arrays). The
seed's Numba-era names are kept as a thin compatibility layer:
``EnvelopeFollower(sample_rate, attack_ms, release_ms).process_buffer(levels)``
and :class:`VectorizedEnvelopeFollower`.
"""

from __future__ import annotations

import math
import numbers
import sys
import threading
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from . import _lanedsp
from ._lanedsp import available_isas, isa, isa_selection

__all__ = [
    "Band",
    "Compressor",
    "Equalizer",
    "Limiter",
    "LoudnessMeter",
    "EnvelopeFollower",
    "VectorizedEnvelopeFollower",
    "available_isas",
    "isa",
    "isa_selection",
    "BUTTERWORTH_Q",
    "GAIN_LIMIT_DB",
    "MAX_BANDS",
    "MAX_CHANNELS",
    "MAX_LINK",
    "MAX_LOOKAHEAD_MS",
    "MIN_LOUDNESS_RATE",
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

    def run(
        self,
        process: Any,
        key: Optional["_Block"] = None,
        outputs: Optional["_Outputs"] = None,
    ) -> np.ndarray:
        """Processes the block with ``process(input, output, interleaved, ...)``
        and returns a new array of the input's shape and dtype (when the
        call made no float32 copy of its own, the output's memory comes
        from ``outputs`` if given)."""
        order = "F" if self.interleaved else "C"
        extra = () if key is None else ((key.flat, key.interleaved),)
        if self.owned:
            # A float32 copy was made anyway: process it in place.
            process(None, self.flat, self.interleaved, *extra)
            out32 = self.flat
        else:
            n = self.flat.shape[0]
            out32 = np.empty(n, dtype=np.float32) if outputs is None else outputs.empty(n)
            process(self.flat, out32, self.interleaved, *extra)
        out = out32.reshape(self.shape, order=order)
        if self.dtype == np.float64:
            out = out.astype(np.float64, order=order)
        return out


def _refs(items: List[Any], i: int) -> int:
    """The reference count of ``items[i]``."""
    return sys.getrefcount(items[i])


# What _refs reports for an object only its list refers to (measured, since
# interpreters count the call's own references differently).
_UNSHARED = _refs([object()], 0)


class _Outputs:
    """The float32 output memory of one processor's large calls, recycled.

    A call's output of at least :attr:`MIN_BYTES` is a view of one of up
    to :attr:`KEEP` buffers the processor keeps; a buffer is handed out
    again only once nothing refers to it any more (no array made from an
    earlier output is alive), so every returned array is new to the
    caller. The first write to fresh memory makes the operating system
    zero its pages, which costs about as much as a copy of the array
    (docs/python.md, "Output memory"); the C allocator's heap already
    recycles smaller allocations. The buffers are freed with the
    processor.
    """

    __slots__ = ("_spare", "_lock")

    KEEP = 2
    MIN_BYTES = 32 << 20

    def __init__(self) -> None:
        self._spare: List[np.ndarray] = []
        self._lock = threading.Lock()

    def empty(self, n: int) -> np.ndarray:
        """An uninitialised float32 array of ``n`` samples."""
        if 4 * n < self.MIN_BYTES:
            return np.empty(n, dtype=np.float32)
        with self._lock:
            for i in range(len(self._spare)):
                if self._spare[i].shape[0] == n and _refs(self._spare, i) == _UNSHARED:
                    buf = self._spare.pop(i)
                    break
            else:
                buf = np.empty(n, dtype=np.float32)
            self._spare.insert(0, buf)
            del self._spare[self.KEEP :]
            return buf[:]


class _Lazy:
    """A low-level processor built on first use for one sample rate and
    channel layout and rebuilt (from its initial state) when either
    changes."""

    def __init__(self, isa: Optional[str]) -> None:
        self._isa = _isa(isa)
        self._outputs = _Outputs()
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
        return block.run(proc.process, outputs=self._outputs)

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
        return block.run(proc.process, key, self._outputs)

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
        out = block.run(proc.process, outputs=self._outputs)
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
            out = block.run(proc.process, outputs=self._outputs)
        elif block.shape[-1] >= latency:
            # Straight into the result: no padded or shifted copy.
            order = "F" if block.interleaved else "C"
            out32 = np.empty(block.flat.shape, dtype=np.float32)
            proc.process_compensated(block.flat, out32, block.interleaved)
            out = out32.reshape(block.shape, order=order)
            if block.dtype == np.float64:
                out = out.astype(np.float64, order=order)
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


# --------------------------------------------------------------------------
# Equalizer.

#: Most bands per channel the equalizer runs.
MAX_BANDS: int = _lanedsp.MAX_BANDS

#: The Butterworth Q, ``1 / sqrt(2)``: the default Q of every band (for the
#: shelves, the cookbook's shelf slope ``S = 1``).
BUTTERWORTH_Q: float = 1.0 / math.sqrt(2.0)

# Band kinds: name -> whether the kind has a gain.
_BAND_KINDS = {
    "peaking": True,
    "lowshelf": True,
    "highshelf": True,
    "lowpass": False,
    "highpass": False,
    "bandpass": False,
    "notch": False,
    "allpass": False,
    "raw": False,
}
_BAND_ALIASES = {"peak": "peaking", "bell": "peaking", "bandstop": "notch", "biquad": "raw", "sos": "raw"}
_BAND_FIELDS = ("kind", "freq_hz", "q", "gain_db", "coefficients")


def _band_kind(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"a band's kind must be a string such as 'peaking', got {value!r}")
    name = value.strip().lower().replace("_", "").replace("-", "").replace(" ", "")
    name = _BAND_ALIASES.get(name, name)
    if name not in _BAND_KINDS:
        raise ValueError(
            f"unknown band kind {value!r} (expected one of {', '.join(_BAND_KINDS)}; "
            "also 'low_shelf', 'peak', 'bell', 'bandstop', 'sos', ...)"
        )
    return name


class Band:
    """One equalizer band: an RBJ Audio EQ Cookbook biquad design, or raw
    coefficients.

    Args:
        kind: ``"peaking"`` (also ``"peak"``, ``"bell"``), ``"lowshelf"``,
            ``"highshelf"``, ``"lowpass"``, ``"highpass"``, ``"bandpass"``
            (0 dB peak gain), ``"notch"`` (also ``"bandstop"``),
            ``"allpass"`` or ``"raw"`` (also ``"sos"``); case, ``_``, ``-``
            and spaces are ignored (``"low_shelf"``, ``"LowShelf"``).
        freq_hz: centre, cutoff or shelf midpoint frequency in Hz, in
            ``(0, sample_rate / 2)`` (checked against each call's rate).
        q: quality factor (> 0); default :data:`BUTTERWORTH_Q` (0.7071).
            For the shelves it sets the slope as in the cookbook's ``Q``
            form (``q = 0.7071`` is ``S = 1``, the steepest without
            overshoot).
        gain_db: gain in dB (-120 to 120) of ``peaking`` and the shelves;
            the other kinds take none (0).
        coefficients: for ``"raw"`` only: ``(b0, b1, b2, a1, a2)``
            normalized (``a0 = 1``), or a scipy second-order-section row
            ``(b0, b1, b2, a0, a1, a2)``. The section must be stable.

    A band is immutable and compares by value. Equalizers also take bands
    as dictionaries with the same keys (``{"kind": "peaking", "freq_hz":
    1000, "q": 0.7, "gain_db": 3}``), as tuples in this order
    (``("lowpass", 8000)``) and as other objects (namedtuples,
    dataclasses) with these attribute names.
    """

    __slots__ = _BAND_FIELDS

    kind: str
    freq_hz: Optional[float]
    q: float
    gain_db: float
    coefficients: Optional[Tuple[float, ...]]

    def __init__(
        self,
        kind: str,
        freq_hz: Optional[float] = None,
        q: float = BUTTERWORTH_Q,
        gain_db: float = 0.0,
        coefficients: Optional[Sequence[float]] = None,
    ) -> None:
        kind = _band_kind(kind)
        if kind == "raw":
            if freq_hz is not None or gain_db != 0.0:
                raise ValueError("a raw band takes coefficients, not freq_hz or gain_db")
            if coefficients is None:
                raise ValueError("a raw band needs coefficients=(b0, b1, b2, a1, a2) or (b0, b1, b2, a0, a1, a2)")
            try:
                coeffs = tuple(_number("coefficient", c) for c in coefficients)
            except TypeError:
                raise TypeError(
                    f"coefficients must be a sequence of 5 or 6 real numbers, got {coefficients!r}"
                ) from None
            if len(coeffs) not in (5, 6):
                raise ValueError(
                    f"coefficients must be (b0, b1, b2, a1, a2) or (b0, b1, b2, a0, a1, a2), "
                    f"got {len(coeffs)} numbers"
                )
            fields: Tuple[Any, ...] = (kind, None, BUTTERWORTH_Q, 0.0, coeffs)
        else:
            if coefficients is not None:
                raise ValueError(f"only raw bands take coefficients, not {kind}")
            if freq_hz is None:
                raise TypeError(f"a {kind} band needs freq_hz")
            freq = _number("freq_hz", freq_hz)
            qv = _number("q", q)
            gain = _number("gain_db", gain_db)
            if gain != 0.0 and not _BAND_KINDS[kind]:
                raise ValueError(f"a {kind} band has no gain_db (got {gain!r}); use peaking or a shelf")
            fields = (kind, freq, qv, gain, None)
        for name, value in zip(_BAND_FIELDS, fields):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("lanedsp.Band is immutable; make a new one")

    def _values(self) -> Tuple[Any, ...]:
        return tuple(getattr(self, f) for f in _BAND_FIELDS)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Band) and self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self) -> Any:
        return (Band, self._values())

    def __repr__(self) -> str:
        if self.kind == "raw":
            return f"lanedsp.Band('raw', coefficients={self.coefficients!r})"
        gain = f", gain_db={self.gain_db:g}" if _BAND_KINDS[self.kind] else ""
        return f"lanedsp.Band({self.kind!r}, freq_hz={self.freq_hz:g}, q={self.q:g}{gain})"

    def _arg(self) -> Tuple[str, List[float]]:
        """The ``(kind, numbers)`` the extension takes."""
        if self.kind == "raw":
            return ("raw", list(self.coefficients or ()))
        values = [float(self.freq_hz), self.q]  # type: ignore[arg-type]
        if _BAND_KINDS[self.kind]:
            values.append(self.gain_db)
        return (self.kind, values)

    def sos(self, sample_rate: float) -> np.ndarray:
        """The section at ``sample_rate`` as the equalizer runs it (the
        cookbook formulas in float64, normalized, rounded once to float32),
        as a scipy second-order-section row ``[b0, b1, b2, 1, a1, a2]``
        (float64)."""
        sr = _sample_rate(sample_rate)
        b0, b1, b2, a1, a2 = _lanedsp.design_band(*self._arg(), sr)
        return np.array([b0, b1, b2, 1.0, a1, a2], dtype=np.float64)

    @classmethod
    def from_sos(cls, sos: Any) -> List["Band"]:
        """Raw bands from second-order sections shaped ``(n, 6)`` (rows
        ``[b0, b1, b2, a0, a1, a2]``, as ``scipy.signal.butter(...,
        output="sos")`` makes them), one band per row."""
        rows = np.asarray(sos, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != 6:
            raise ValueError(f"sos must have shape (sections, 6), got {rows.shape}")
        return [cls("raw", coefficients=[float(v) for v in row]) for row in rows]


BandSpec = Union[Band, Dict[str, Any], Sequence[Any], Any]


def _band(value: Any, where: str) -> Band:
    """``value`` (a Band, dict, tuple or object with Band's attribute names)
    as a Band; errors name ``where``."""
    try:
        if isinstance(value, Band):
            return value
        if isinstance(value, dict):
            unknown = set(value) - set(_BAND_FIELDS)
            if unknown:
                raise TypeError(
                    f"unknown key{'s' if len(unknown) > 1 else ''} {', '.join(sorted(map(repr, unknown)))} "
                    f"(a band's keys: {', '.join(_BAND_FIELDS)})"
                )
            if "kind" not in value:
                raise TypeError("a band needs a 'kind'")
            return Band(**value)
        if hasattr(value, "kind"):
            return Band(**{f: getattr(value, f) for f in _BAND_FIELDS if hasattr(value, f)})
        if isinstance(value, (tuple, list)) and value and isinstance(value[0], str):
            if len(value) > len(_BAND_FIELDS):
                raise TypeError(f"a band tuple has at most {len(_BAND_FIELDS)} items ({', '.join(_BAND_FIELDS)})")
            return Band(*value)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{where}: {err}") from None
    raise TypeError(
        f"{where} must be a lanedsp.Band, a dict, a (kind, freq_hz, q, gain_db) tuple or an "
        f"object with a 'kind' attribute, got {type(value).__name__} {value!r}"
    )


def _band_list(value: Any, where: str) -> List[Band]:
    if value is None:
        return []
    if isinstance(value, tuple) and value and isinstance(value[0], str):
        raise TypeError(f"{where} must be a list of bands; put a single band in a list: [{value!r}]")
    if isinstance(value, (str, bytes, dict, Band)) or not isinstance(value, Sequence) and not hasattr(value, "__iter__"):
        raise TypeError(f"{where} must be a list of bands, got {type(value).__name__}")
    bands = [_band(b, f"{where}[{i}]") for i, b in enumerate(value)]
    if len(bands) > MAX_BANDS:
        raise ValueError(f"{where}: at most {MAX_BANDS} bands per channel, got {len(bands)}")
    return bands


def _check_bands(bands: List[Band], sample_rate: Optional[float], where: str) -> None:
    """Designs every band (at ``sample_rate``, or a rate at which its
    frequency is valid) so bad values fail now."""
    for i, band in enumerate(bands):
        sr = sample_rate
        if sr is None:
            f = band.freq_hz
            sr = max(48_000.0, 4.0 * f) if f is not None and math.isfinite(f) else 48_000.0
        try:
            _lanedsp.design_band(*band._arg(), sr)
        except ValueError as err:
            raise ValueError(f"{where}[{i}] {band!r}: {err}") from None


def _crossfade_ms(value: Any) -> float:
    """A crossfade length in milliseconds, checked: a real number in
    [0, 10000]."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"crossfade_ms must be a number, got {type(value).__name__}")
    ms = float(value)
    if not 0.0 <= ms <= 10_000.0:
        raise ValueError(f"crossfade_ms must be in [0, 10000], got {ms!r}")
    return ms


class Equalizer(_Lazy):
    """Parametric equalizer: per channel, a cascade of up to
    :data:`MAX_BANDS` (8) biquad bands (RBJ Audio EQ Cookbook designs, or raw
    coefficients), every channel (of every track) in SIMD lanes.

    Each band is a direct-form-I section in float32 with coefficients
    designed in float64 and rounded once to float32; NaN input gives 0 and
    infinities are clamped, so the output is finite and bit-identical on
    every ISA.

    Args:
        bands: the bands of every channel, in order: :class:`Band` objects,
            dicts, tuples or objects with Band's attribute names; empty
            passes the audio through.
        sample_rate: default sample rate in Hz for calls that give none
            (band frequencies are also checked against it at once).
        channel_bands: instead of ``bands``, one list of bands per channel
            of a track (channel ``c`` of every track gets
            ``channel_bands[c]``); the audio must then have
            ``len(channel_bands)`` channels per track.
        crossfade_ms: how long a band change crossfades, in milliseconds,
            from 0 (at once) to 10,000; 10 by default.
        isa: force an ISA; ``None`` uses :func:`lanedsp.isa`.

    ``eq(audio, sample_rate)`` is one-shot (from silent filter memory);
    ``eq.process(chunk, sample_rate)`` streams. Assigning :attr:`bands` or
    :attr:`channel_bands` between :meth:`process` calls keeps the filter
    memory and crossfades from the old filter's output to the new one's
    over ``crossfade_ms``, so a change makes no click. No latency.
    """

    def __init__(
        self,
        bands: Sequence[BandSpec] = (),
        sample_rate: Optional[float] = None,
        *,
        channel_bands: Optional[Sequence[Sequence[BandSpec]]] = None,
        crossfade_ms: float = 10.0,
        isa: Optional[str] = None,
    ) -> None:
        super().__init__(isa)
        self._crossfade_ms = _crossfade_ms(crossfade_ms)
        self._sample_rate = None if sample_rate is None else _sample_rate(sample_rate)
        self._bands: List[Band] = _band_list(bands, "bands")
        _check_bands(self._bands, self._sample_rate, "bands")
        self._channel_bands: Optional[List[List[Band]]] = None
        if channel_bands is not None:
            if self._bands:
                raise ValueError("give bands or channel_bands, not both")
            self._channel_bands = self._parse_channel_bands(channel_bands)

    def _parse_channel_bands(self, value: Any) -> List[List[Band]]:
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__"):
            raise TypeError(f"channel_bands must be a list of lists of bands, got {type(value).__name__}")
        lists = [_band_list(bands, f"channel_bands[{c}]") for c, bands in enumerate(value)]
        if not lists:
            raise ValueError("channel_bands needs at least one channel's list")
        for c, bands in enumerate(lists):
            _check_bands(bands, self._sample_rate, f"channel_bands[{c}]")
        return lists

    @staticmethod
    def _args(bands: List[Band]) -> List[Tuple[str, List[float]]]:
        return [b._arg() for b in bands]

    def _check_channels(self, channels: int) -> None:
        if self._channel_bands is not None and channels != len(self._channel_bands):
            n = len(self._channel_bands)
            raise ValueError(
                f"channel_bands has {n} channel{'s' if n != 1 else ''}; the audio has {channels} per track"
            )

    def _configure(self, proc: Any, tracks: int, channels: int) -> None:
        """Sets the bands of ``proc`` (all channels, or per channel)."""
        if self._channel_bands is None:
            proc.set_bands(self._args(self._bands))
            return
        self._check_channels(channels)
        # Each channel's list designed at this rate first, so that an error
        # names the channel of the track (the batch repeats the lists).
        for c, bands in enumerate(self._channel_bands):
            _check_bands(bands, proc.sample_rate, f"channel_bands[{c}]")
        args = [self._args(bands) for bands in self._channel_bands]
        try:
            proc.set_bands_per_channel(args * tracks)
        except ValueError as err:
            raise ValueError(f"channel_bands at {proc.sample_rate:g} Hz: {err}") from None

    def _build(self, sample_rate: float, tracks: int, channels: int) -> Any:
        self._check_channels(channels)
        proc = _lanedsp.Equalize(
            sample_rate, tracks * channels, [], self._isa, self._crossfade_ms / 1000.0
        )
        try:
            self._configure(proc, tracks, channels)
        except ValueError as err:
            where = "channel_bands" if self._channel_bands is not None else "bands"
            if str(err).startswith(where):
                raise
            raise ValueError(f"{where} at {sample_rate:g} Hz: {err}") from None
        return proc

    # -- settings ---------------------------------------------------------

    @property
    def bands(self) -> List[Band]:
        """The bands of every channel (empty when :attr:`channel_bands` is
        set); assigning keeps the filter memory."""
        return list(self._bands)

    @bands.setter
    def bands(self, value: Sequence[BandSpec]) -> None:
        bands = _band_list(value, "bands")
        _check_bands(bands, self._sample_rate, "bands")
        if self._proc is not None and self._key is not None:
            try:
                self._proc.set_bands(self._args(bands))
            except ValueError as err:
                raise ValueError(f"bands at {self._key[0]:g} Hz: {err}") from None
        self._bands, self._channel_bands = bands, None

    @property
    def channel_bands(self) -> Optional[List[List[Band]]]:
        """One list of bands per channel of a track, or None (every channel
        has :attr:`bands`); assigning keeps the filter memory."""
        return None if self._channel_bands is None else [list(b) for b in self._channel_bands]

    @channel_bands.setter
    def channel_bands(self, value: Optional[Sequence[Sequence[BandSpec]]]) -> None:
        if value is None:
            self.bands = []
            return
        lists = self._parse_channel_bands(value)
        old = (self._bands, self._channel_bands)
        self._bands, self._channel_bands = [], lists
        if self._proc is not None and self._key is not None:
            tracks, channels = self._key[1]
            try:
                # Checks the channel count and designs every list before it
                # changes the filters, so an error changes nothing.
                self._configure(self._proc, tracks, channels)
            except ValueError:
                self._bands, self._channel_bands = old
                raise

    @property
    def crossfade_ms(self) -> float:
        """How long a band change crossfades, in milliseconds (0: at once);
        assigning applies to later changes."""
        return self._crossfade_ms

    @crossfade_ms.setter
    def crossfade_ms(self, value: float) -> None:
        ms = _crossfade_ms(value)
        if self._proc is not None:
            self._proc.set_crossfade(ms / 1000.0)
        self._crossfade_ms = ms

    @property
    def sample_rate(self) -> Optional[float]:
        """The default sample rate given to the constructor, or None."""
        return self._sample_rate

    def coefficients(self, sample_rate: Optional[float] = None, channel: int = 0) -> np.ndarray:
        """The sections of ``channel`` (of each track) at ``sample_rate``
        as they run (float32 values), as scipy second-order sections: a
        float64 array ``(bands, 6)`` of rows ``[b0, b1, b2, 1, a1, a2]``
        (``scipy.signal.sosfilt`` takes it)."""
        sr = _sample_rate(self._sample_rate if sample_rate is None else sample_rate)
        if self._channel_bands is None:
            bands = self._bands
        else:
            if not 0 <= channel < len(self._channel_bands):
                raise ValueError(f"channel must be from 0 to {len(self._channel_bands) - 1}, got {channel}")
            bands = self._channel_bands[channel]
        rows = [b.sos(sr) for b in bands]
        return np.array(rows, dtype=np.float64).reshape(len(rows), 6)

    # -- processing -------------------------------------------------------

    def process(
        self, audio: np.ndarray, sample_rate: Optional[float] = None, reset: bool = False
    ) -> np.ndarray:
        """Processes one chunk, continuing from the previous call's filter
        memory (unless ``reset``), and returns a new array of the same
        shape and dtype. A change of sample rate or channel layout starts
        afresh."""
        block = _Block(audio, "audio")
        sr = _sample_rate(self._sample_rate if sample_rate is None else sample_rate)
        proc = self._processor(sr, block)
        if reset:
            proc.reset()
        return block.run(proc.process, outputs=self._outputs)

    def __call__(self, audio: np.ndarray, sample_rate: Optional[float] = None) -> np.ndarray:
        """One-shot: equalizes ``audio`` from silent filter memory."""
        return self.process(audio, sample_rate, reset=True)

    def __repr__(self) -> str:
        sr = "" if self._sample_rate is None else f", sample_rate={self._sample_rate:g}"
        if self._channel_bands is None:
            what = f"bands={self._bands!r}"
        else:
            what = f"channel_bands={self._channel_bands!r}"
        fade = "" if self._crossfade_ms == 10.0 else f", crossfade_ms={self._crossfade_ms:g}"
        return f"lanedsp.Equalizer({what}{sr}{fade}, isa={self.isa!r})"


# --------------------------------------------------------------------------
# Loudness meter.

#: Lowest sample rate the loudness meter accepts (its K-weighting shelf sits
#: at 1.68 kHz).
MIN_LOUDNESS_RATE: float = 4_000.0


class LoudnessMeter(_Lazy):
    """ITU-R BS.1770-4 / EBU R128 loudness meter: K-weighting (every
    channel in SIMD lanes, bit-identical on every ISA), momentary (400 ms),
    short-term (3 s) and integrated loudness (absolute -70 LUFS and
    relative -10 LU gates), loudness range (EBU Tech 3342), sample peaks
    and true peaks (BS.1770-4 Annex 2).

    Like pyloudnorm's ``Meter(rate)``, but arrays are lanedsp's
    ``(channels, samples)`` (pyloudnorm takes ``(samples, channels)``:
    pass ``data.T``, which is read without a copy), and a 3-D array
    ``(tracks, channels, samples)`` measures each track as its own
    programme, all tracks in one call.

    Args:
        sample_rate: sample rate in Hz (at least :data:`MIN_LOUDNESS_RATE`).
        weights: BS.1770 channel weights, one per channel of a track
            (default 1.0 each, unlike pyloudnorm, which weights channels 3
            and 4 by 1.41): 1.0 for left, right and centre, 1.41 for the
            surround channels, 0 to leave a channel out (LFE), e.g.
            ``[1, 1, 1, 0, 1.41, 1.41]`` for 5.1 as L R C LFE Ls Rs.
        isa: force an ISA; ``None`` uses :func:`lanedsp.isa`.

    One-shot: ``meter.integrated_loudness(audio)`` (LUFS). Streaming:
    ``meter.process(chunk)`` chunk after chunk, then read
    :meth:`momentary`, :meth:`short_term`, :meth:`integrated`,
    :meth:`loudness_range`, :meth:`sample_peak` and :meth:`true_peak` at
    any time; each is a
    float for 1-D and 2-D input and an array with one value per track for
    3-D input.
    """

    def __init__(
        self,
        sample_rate: float,
        *,
        weights: Optional[Sequence[float]] = None,
        isa: Optional[str] = None,
    ) -> None:
        super().__init__(isa)
        sr = _sample_rate(sample_rate)
        if sr < MIN_LOUDNESS_RATE:
            raise ValueError(
                f"the loudness meter needs a sample_rate of at least {MIN_LOUDNESS_RATE:g} Hz "
                f"(BS.1770 K-weighting), got {sr!r}"
            )
        self._sample_rate = sr
        self._weights: Optional[List[float]] = None
        if weights is not None:
            if isinstance(weights, (str, bytes)) or not hasattr(weights, "__iter__"):
                raise TypeError(f"weights must be a sequence of numbers, got {type(weights).__name__}")
            ws = [_number("weight", w) for w in weights]
            for w in ws:
                if not (math.isfinite(w) and 0.0 <= w <= 1e6):
                    raise ValueError(f"channel weights must be finite and >= 0, got {w!r}")
            if not ws:
                raise ValueError("weights must hold one weight per channel, got none")
            self._weights = ws
        # Validates the rate through the crate.
        _lanedsp.Meter(sr, 1, [], [], self._isa)
        self._batch = False

    def _build(self, sample_rate: float, tracks: int, channels: int) -> Any:
        weights: List[float] = []
        if self._weights is not None:
            if len(self._weights) != channels:
                n = len(self._weights)
                raise ValueError(
                    f"{n} weight{'s' if n != 1 else ''} for audio of {channels} "
                    f"channel{'s' if channels != 1 else ''} per track; they must match"
                )
            weights = self._weights * tracks
        programmes = (
            [list(range(t * channels, (t + 1) * channels)) for t in range(tracks)] if tracks > 1 else []
        )
        return _lanedsp.Meter(sample_rate, tracks * channels, programmes, weights, self._isa)

    # -- measuring --------------------------------------------------------

    def process(self, audio: np.ndarray, reset: bool = False) -> None:
        """Measures one chunk, continuing from the previous chunks (unless
        ``reset``). A change of channel layout (tracks, channels) starts
        afresh. Float32 is measured as is; float64 is rounded to float32."""
        block = _Block(audio, "audio")
        batch = len(block.shape) == 3
        proc = self._processor(self._sample_rate, block)
        if reset:
            proc.reset()
        self._batch = batch
        proc.process(block.flat, block.interleaved)

    def integrated_loudness(self, audio: np.ndarray) -> Union[float, np.ndarray]:
        """The integrated (gated) loudness of ``audio`` in LUFS, measured on
        its own (the meter is reset first, as pyloudnorm's meter measures
        each call alone; afterwards the other readings are those of
        ``audio``). ``-inf`` when no 400 ms block passes the -70 LUFS gate
        (silence, or less than 400 ms of audio).

        ``audio``: ``(samples,)``, ``(channels, samples)`` (a float), or
        ``(tracks, channels, samples)`` (a float64 array with one value per
        track, each track its own programme)."""
        self.process(audio, reset=True)
        return self.integrated()

    def _reading(self, index: int) -> Union[float, np.ndarray]:
        if self._proc is None:
            value = -math.inf if index < 3 else 0.0
            return np.zeros(0, dtype=np.float64) if self._batch else value
        values = [self._proc.readings(p)[index] for p in range(self._proc.programmes)]
        return np.array(values, dtype=np.float64) if self._batch else float(values[0])

    def momentary(self) -> Union[float, np.ndarray]:
        """Momentary loudness (LUFS) of the last 400 ms of completed 100 ms
        sub-blocks; ``-inf`` for silence (and before any audio)."""
        return self._reading(0)

    def short_term(self) -> Union[float, np.ndarray]:
        """Short-term loudness (LUFS) of the last 3 s; ``-inf`` for
        silence."""
        return self._reading(1)

    def integrated(self) -> Union[float, np.ndarray]:
        """Integrated (gated) loudness (LUFS) since the start or the last
        reset: the mean of the 400 ms blocks (75 % overlap) above -70 LUFS
        and above the relative gate 10 LU below their mean; ``-inf`` when no
        block passed the absolute gate."""
        return self._reading(2)

    def loudness_range(self) -> Union[float, np.ndarray]:
        """Loudness range (LU, EBU Tech 3342): the spread between the 10th
        and 95th percentiles of the 3 s blocks above -70 LUFS and 20 LU
        below their mean; 0 without blocks (less than 3 s of audio)."""
        return self._reading(3)

    def sample_peak(self) -> np.ndarray:
        """The largest sample magnitude (linear; NaN counts as 0) of each
        channel so far, shaped ``(channels,)`` or, for 3-D input,
        ``(tracks, channels)`` (float64; empty before any call)."""
        if self._proc is None or self._key is None:
            return np.zeros(0, dtype=np.float64)
        tracks, channels = self._key[1]
        peaks = np.asarray(self._proc.sample_peaks(), dtype=np.float64)
        return peaks.reshape(tracks, channels) if self._batch else peaks.reshape(channels)

    def true_peak(self) -> np.ndarray:
        """The true peak of each channel so far (linear; ITU-R BS.1770-4
        Annex 2: the largest of the sample peak and the magnitudes the
        Annex 2 interpolator puts between samples, 4 per sample below
        96 kHz, 2 below 192 kHz; from 192 kHz the sample peak), shaped as
        :meth:`sample_peak`; dBTP is ``20 * np.log10(meter.true_peak())``.
        The points between a chunk's last samples are measured when the
        next chunk arrives (the interpolator looks 6 frames ahead), so any
        cutting into chunks gives the same values."""
        if self._proc is None or self._key is None:
            return np.zeros(0, dtype=np.float64)
        tracks, channels = self._key[1]
        peaks = np.asarray(self._proc.true_peaks(), dtype=np.float64)
        return peaks.reshape(tracks, channels) if self._batch else peaks.reshape(channels)

    # -- attributes -------------------------------------------------------

    @property
    def sample_rate(self) -> float:
        """The sample rate in Hz."""
        return self._sample_rate

    @property
    def weights(self) -> Optional[List[float]]:
        """The channel weights, or None (1.0 each)."""
        return None if self._weights is None else list(self._weights)

    def reset(self) -> None:
        """Forgets everything measured (the weights stay)."""
        super().reset()

    def __repr__(self) -> str:
        w = "" if self._weights is None else f", weights={self._weights!r}"
        return f"lanedsp.LoudnessMeter({self._sample_rate:g}{w}, isa={self.isa!r})"
