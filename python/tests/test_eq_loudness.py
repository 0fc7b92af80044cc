"""lanedsp.Equalizer and lanedsp.LoudnessMeter: shapes and dtypes, streaming
equals one-shot, every ISA the same bits, 3-D batches equal per-track calls,
bad input raises; the EQ against a float64 model of the RBJ cookbook
written here (numpy only), the meter against the EBU reference tone."""

import collections
import dataclasses
import math
import threading
import time

import numpy as np
import pytest

import lanedsp
from conftest import SR, program

SHAPES = [(1000,), (1, 1000), (2, 1000), (5, 777), (3, 2, 1000), (2, 5, 333), (4, 1, 100)]

BANDS = [
    lanedsp.Band("highpass", freq_hz=40, q=0.7071),
    lanedsp.Band("peaking", freq_hz=1000, q=0.7, gain_db=3),
    lanedsp.Band("lowshelf", freq_hz=200, q=0.9, gain_db=-4),
    lanedsp.Band("highshelf", freq_hz=8000, gain_db=2.5),
    lanedsp.Band("notch", freq_hz=3000, q=4),
]


# --------------------------------------------------------------------------
# A float64 model of the RBJ Audio EQ Cookbook (Q forms), numpy only.


def rbj(kind, fs, f0, q, gain_db=0.0):
    """(b, a), a[0] = 1, of one cookbook section in float64."""
    w0 = 2 * math.pi * f0 / fs
    cos, sin = math.cos(w0), math.sin(w0)
    alpha = sin / (2 * q)
    A = 10 ** (gain_db / 40)
    if kind == "peaking":
        b = [1 + alpha * A, -2 * cos, 1 - alpha * A]
        a = [1 + alpha / A, -2 * cos, 1 - alpha / A]
    elif kind in ("lowshelf", "highshelf"):
        s = 2 * math.sqrt(A) * alpha
        sign = 1 if kind == "lowshelf" else -1
        b = [
            A * ((A + 1) - sign * (A - 1) * cos + s),
            sign * 2 * A * ((A - 1) - sign * (A + 1) * cos),
            A * ((A + 1) - sign * (A - 1) * cos - s),
        ]
        a = [
            (A + 1) + sign * (A - 1) * cos + s,
            -sign * 2 * ((A - 1) + sign * (A + 1) * cos),
            (A + 1) + sign * (A - 1) * cos - s,
        ]
    elif kind == "lowpass":
        b = [(1 - cos) / 2, 1 - cos, (1 - cos) / 2]
        a = [1 + alpha, -2 * cos, 1 - alpha]
    elif kind == "highpass":
        b = [(1 + cos) / 2, -(1 + cos), (1 + cos) / 2]
        a = [1 + alpha, -2 * cos, 1 - alpha]
    elif kind == "bandpass":
        b = [alpha, 0.0, -alpha]
        a = [1 + alpha, -2 * cos, 1 - alpha]
    elif kind == "notch":
        b = [1.0, -2 * cos, 1.0]
        a = [1 + alpha, -2 * cos, 1 - alpha]
    elif kind == "allpass":
        b = [1 - alpha, -2 * cos, 1 + alpha]
        a = [1 + alpha, -2 * cos, 1 - alpha]
    else:
        raise ValueError(kind)
    return np.array(b) / a[0], np.array(a) / a[0]


def biquad(b, a, x):
    """Direct form I in float64 along the last axis, from silence."""
    x = np.asarray(x, dtype=np.float64)
    y = np.zeros_like(x)
    x1 = x2 = y1 = y2 = np.zeros(x.shape[:-1])
    for n in range(x.shape[-1]):
        xn = x[..., n]
        yn = b[0] * xn + b[1] * x1 + b[2] * x2 - a[1] * y1 - a[2] * y2
        y[..., n] = yn
        x2, x1, y2, y1 = x1, xn, y1, yn
    return y


def model(bands, fs, x):
    y = np.asarray(x, dtype=np.float64)
    for band in bands:
        y = biquad(*rbj(band.kind, fs, band.freq_hz, band.q, band.gain_db), y)
    return y


def rel_err(got, want):
    return float(np.sqrt(np.mean((got - want) ** 2)) / np.sqrt(np.mean(want**2)))


# --------------------------------------------------------------------------
# Equalizer.


def test_module_surface():
    eq = lanedsp.Equalizer(BANDS)
    assert eq.latency == 0 and eq.isa == lanedsp.isa()
    assert lanedsp.Equalizer(isa="scalar").isa == "scalar"
    assert eq.bands == BANDS and eq.channel_bands is None
    assert "Equalizer" in repr(eq) and "peaking" in repr(eq)
    assert lanedsp.MAX_BANDS == 8
    meter = lanedsp.LoudnessMeter(SR)
    assert meter.latency == 0 and meter.isa == lanedsp.isa() and meter.sample_rate == SR
    assert "LoudnessMeter" in repr(meter)
    for obj in (lanedsp.Band, lanedsp.Equalizer, lanedsp.LoudnessMeter):
        assert obj.__doc__
    assert lanedsp.LoudnessMeter.integrated_loudness.__doc__ and lanedsp.Equalizer.process.__doc__


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eq_shape_and_dtype(shape, dtype):
    audio = program(shape).astype(dtype)
    before = audio.copy()
    out = lanedsp.Equalizer(BANDS)(audio, SR)
    assert out.shape == audio.shape and out.dtype == dtype
    assert not np.shares_memory(out, audio)
    np.testing.assert_array_equal(audio, before)
    assert np.all(np.isfinite(out))
    # float64 is float32 inside.
    out32 = lanedsp.Equalizer(BANDS)(audio.astype(np.float32), SR)
    np.testing.assert_array_equal(out, out32.astype(dtype))


def test_eq_layouts_agree():
    audio = program((4, 2048), seed=3)
    want = lanedsp.Equalizer(BANDS)(audio, SR)
    interleaved = np.ascontiguousarray(audio.T).T
    got = lanedsp.Equalizer(BANDS)(interleaved, SR)
    assert got.flags.f_contiguous
    np.testing.assert_array_equal(got, want)
    strided = np.repeat(audio, 2, axis=1)[:, ::2]
    np.testing.assert_array_equal(lanedsp.Equalizer(BANDS)(strided, SR), want)
    np.testing.assert_array_equal(lanedsp.Equalizer(BANDS)(audio[1], SR), want[1])


@pytest.mark.parametrize("shape", [(3000,), (2, 3000), (3, 2, 3000)])
def test_eq_streaming_equals_one_shot(shape):
    audio = program(shape, seed=5)
    eq = lanedsp.Equalizer(BANDS, SR)
    whole = eq(audio)
    eq.reset()
    cuts = [0, 1, 2, 64, 65, 1000, 1000, 2047, 3000]
    parts = [eq.process(audio[..., a:b]) for a, b in zip(cuts, cuts[1:])]
    np.testing.assert_array_equal(np.concatenate(parts, axis=-1).view(np.uint32), whole.view(np.uint32))
    np.testing.assert_array_equal(eq.process(audio, reset=True), whole)
    np.testing.assert_array_equal(eq(audio), whole)


def test_eq_every_isa_bit_identical():
    audio = program((3, 2, 5000), seed=7)
    audio[0, 0, 100:110] = [np.nan, np.inf, -np.inf, 1e-40, -1e-42, 0.0, -0.0, 1e30, -1e30, 3.0]
    results = {isa: lanedsp.Equalizer(BANDS, isa=isa)(audio, SR) for isa in lanedsp.available_isas()}
    ref = results["scalar"].view(np.uint32)
    for isa, out in results.items():
        assert np.array_equal(out.view(np.uint32), ref), f"{isa} differs from scalar"
    assert np.all(np.isfinite(results["scalar"]))


def test_eq_batch_equals_per_track():
    batch = program((5, 2, 4000), seed=11)
    out = lanedsp.Equalizer(BANDS)(batch, SR)
    for t in range(batch.shape[0]):
        np.testing.assert_array_equal(out[t], lanedsp.Equalizer(BANDS)(batch[t], SR))


# Bounds on the RMS error relative to the float64 model: float32 direct
# form I rounds every product, and poles close to the unit circle (low
# frequencies, high Q) amplify that rounding (measured: 1e-7 to 3e-4).
@pytest.mark.parametrize(
    "kind,freq,q,gain,bound",
    [
        ("peaking", 1000.0, 0.7, 3.0, 1e-5),
        ("peaking", 150.0, 4.0, -9.0, 2e-4),
        ("lowshelf", 300.0, 0.7071, 6.0, 1e-4),
        ("highshelf", 5000.0, 0.5, -6.0, 1e-5),
        ("lowpass", 2000.0, 0.7071, 0.0, 1e-5),
        ("highpass", 100.0, 1.2, 0.0, 2e-4),
        ("bandpass", 1500.0, 2.0, 0.0, 1e-5),
        ("notch", 60.0, 10.0, 0.0, 1e-3),
        ("allpass", 700.0, 0.8, 0.0, 1e-5),
    ],
)
def test_eq_matches_float64_cookbook_model(kind, freq, q, gain, bound):
    band = lanedsp.Band(kind, freq_hz=freq, q=q, gain_db=gain)
    noise = np.random.default_rng(1).standard_normal((2, 6000)).astype(np.float32) * np.float32(0.3)
    got = lanedsp.Equalizer([band])(noise, SR)
    want = model([band], SR, noise)
    assert rel_err(got, want) < bound, rel_err(got, want)
    # The coefficients as they run: the float64 design rounded to float32.
    b, a = rbj(kind, SR, freq, q, gain)
    sos = lanedsp.Equalizer([band]).coefficients(SR)
    assert sos.shape == (1, 6)
    np.testing.assert_allclose(sos[0], np.concatenate([b, a]), rtol=1e-7, atol=1e-7)
    np.testing.assert_array_equal(sos[0], sos[0].astype(np.float32))
    np.testing.assert_array_equal(band.sos(SR), sos[0])


def test_eq_cascade_matches_model_at_other_rates():
    noise = np.random.default_rng(2).standard_normal(8000).astype(np.float32) * np.float32(0.2)
    for fs in (44_100.0, 96_000.0):
        got = lanedsp.Equalizer(BANDS)(noise, fs)
        assert rel_err(got, model(BANDS, fs, noise)) < 5e-4


def test_eq_does_what_the_bands_say():
    t = np.arange(48_000) / SR
    tone = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    boosted = lanedsp.Equalizer([lanedsp.Band("peaking", 1000, q=1, gain_db=6)])(tone, SR)
    gain = np.abs(boosted[4800:]).max() / np.abs(tone[4800:]).max()
    assert 20 * np.log10(gain) == pytest.approx(6.0, abs=0.01)
    notched = lanedsp.Equalizer([lanedsp.Band("notch", 1000, q=2)])(tone, SR)
    assert np.abs(notched[24_000:]).max() < 1e-3
    # No bands: the audio passes through.
    np.testing.assert_array_equal(lanedsp.Equalizer()(tone, SR), tone)


def test_band_forms_agree():
    Spec = collections.namedtuple("Spec", "kind freq_hz q gain_db")

    @dataclasses.dataclass
    class Other:
        kind: str
        freq_hz: float
        gain_db: float = 0.0

    audio = program((2, 3000), seed=4)
    want = lanedsp.Equalizer([lanedsp.Band("peaking", 1000, 0.7, 3), lanedsp.Band("lowpass", 9000)])(audio, SR)
    forms = [
        [{"kind": "peaking", "freq_hz": 1000, "q": 0.7, "gain_db": 3}, {"kind": "lowpass", "freq_hz": 9000}],
        [("peaking", 1000, 0.7, 3), ("lowpass", 9000)],
        [Spec("Peaking", 1000.0, 0.7, 3.0), Spec("low_pass", 9000, lanedsp.BUTTERWORTH_Q, 0)],
        [("bell", 1000, 0.7, 3), Other("LowPass", 9000)],
    ]
    for bands in forms:
        np.testing.assert_array_equal(lanedsp.Equalizer(bands)(audio, SR), want)
    assert lanedsp.Band("PEAK", 1000.0) == lanedsp.Band("peaking", 1000)
    assert len({lanedsp.Band("peaking", 1000), lanedsp.Band("peaking", 1000.0)}) == 1
    with pytest.raises(AttributeError):
        lanedsp.Band("peaking", 1000).q = 2.0
    import pickle

    assert pickle.loads(pickle.dumps(BANDS)) == BANDS


def test_raw_and_sos_bands():
    audio = program((2, 3000), seed=6)
    band = lanedsp.Band("peaking", 2000, 1.5, -5)
    b, a = rbj("peaking", SR, 2000, 1.5, -5)
    want = lanedsp.Equalizer([band])(audio, SR)
    five = lanedsp.Band("raw", coefficients=[b[0], b[1], b[2], a[1], a[2]])
    np.testing.assert_array_equal(lanedsp.Equalizer([five])(audio, SR), want)
    # An unnormalized sos row (a0 = 2) is normalized in float64.
    six = lanedsp.Band.from_sos([[2 * b[0], 2 * b[1], 2 * b[2], 2.0, 2 * a[1], 2 * a[2]]])
    assert six[0].kind == "raw"
    np.testing.assert_array_equal(lanedsp.Equalizer(six)(audio, SR), want)
    sos = lanedsp.Equalizer(BANDS).coefficients(SR)
    np.testing.assert_array_equal(lanedsp.Equalizer(lanedsp.Band.from_sos(sos))(audio, SR), lanedsp.Equalizer(BANDS)(audio, SR))


def test_channel_bands():
    audio = program((3, 2, 4000), seed=8)
    left = [lanedsp.Band("lowpass", 3000)]
    right = [lanedsp.Band("highpass", 500), lanedsp.Band("peaking", 2000, 1, 6)]
    eq = lanedsp.Equalizer(channel_bands=[left, right])
    out = eq(audio, SR)
    np.testing.assert_array_equal(out[:, 0], lanedsp.Equalizer(left)(audio[:, 0], SR))
    np.testing.assert_array_equal(out[:, 1], lanedsp.Equalizer(right)(audio[:, 1], SR))
    assert eq.channel_bands == [left, right] and eq.bands == []
    for isa in lanedsp.available_isas():
        got = lanedsp.Equalizer(channel_bands=[left, right], isa=isa)(audio, SR)
        assert np.array_equal(got.view(np.uint32), out.view(np.uint32))
    with pytest.raises(ValueError, match="2 channels"):
        eq(program((3, 100)), SR)
    with pytest.raises(ValueError, match="not both"):
        lanedsp.Equalizer(left, channel_bands=[left, right])
    # A band valid at 96 kHz but not at 48 kHz: the error names the
    # channel of the track, whichever track of the batch it is in.
    high = [lanedsp.Band("lowpass", 30_000)]
    eq = lanedsp.Equalizer(channel_bands=[left, high])
    assert eq(audio, 96_000).shape == audio.shape
    with pytest.raises(ValueError, match=r"^channel_bands\[1\]\[0\]"):
        lanedsp.Equalizer(channel_bands=[left, high])(audio, SR)


def test_changing_bands_keeps_the_memory():
    audio = program((2, 4000), seed=9)
    whole = lanedsp.Equalizer(BANDS)(audio, SR)
    eq = lanedsp.Equalizer(BANDS)
    first = eq.process(audio[:, :1500], SR)
    eq.bands = list(BANDS)  # the same bands again: nothing changes
    rest = eq.process(audio[:, 1500:], SR)
    np.testing.assert_array_equal(np.concatenate([first, rest], axis=1), whole)
    # New bands apply from the next sample, from the kept memory.
    eq.bands = [lanedsp.Band("peaking", 1000, 1, 12)]
    after = eq.process(audio[:, :100], SR)
    fresh = lanedsp.Equalizer([lanedsp.Band("peaking", 1000, 1, 12)])(audio[:, :100], SR)
    assert not np.array_equal(after, fresh)
    # channel_bands likewise; a bad assignment changes nothing.
    eq.channel_bands = [BANDS, BANDS[:2]]
    with pytest.raises(ValueError, match="frequency"):
        eq.bands = [lanedsp.Band("lowpass", 30_000)]
    assert eq.channel_bands == [BANDS, BANDS[:2]]
    with pytest.raises(ValueError, match="3 channels"):
        eq.channel_bands = [BANDS, BANDS, BANDS]
    assert eq.channel_bands == [BANDS, BANDS[:2]]


def test_crossfade_ms():
    audio = program((2, 4000), seed=3)
    new = [lanedsp.Band("peaking", 1000, 1, 12)]
    outs = {}
    for ms in (0, 10, 5):
        eq = lanedsp.Equalizer(BANDS, crossfade_ms=ms if ms != 5 else 0)
        if ms == 5:
            eq.crossfade_ms = 5  # assigned before the change it applies to
        assert eq.crossfade_ms == ms
        eq.process(audio[:, :1500], SR)
        eq.bands = new
        outs[ms] = eq.process(audio[:, 1500:], SR)
    # The new filter's memory runs the same way in each: the outputs differ
    # only while a fade lasts (10 ms, 5 ms), and a fade of 0 switches at once.
    for ms in (10, 5):
        fade = round(ms * SR / 1000)
        assert not np.array_equal(outs[ms][:, :fade], outs[0][:, :fade])
        np.testing.assert_array_equal(outs[ms][:, fade:], outs[0][:, fade:])
    assert "crossfade_ms=5" in repr(eq)
    for bad, err in ((-1, ValueError), (20_000, ValueError), (float("nan"), ValueError), ("10", TypeError)):
        with pytest.raises(err, match="crossfade_ms"):
            lanedsp.Equalizer(BANDS, crossfade_ms=bad)
        with pytest.raises(err, match="crossfade_ms"):
            eq.crossfade_ms = bad
    assert eq.crossfade_ms == 5


def test_eq_bad_input_raises():
    with pytest.raises(ValueError, match="unknown band kind"):
        lanedsp.Band("wah", 1000)
    with pytest.raises(TypeError, match="freq_hz"):
        lanedsp.Band("peaking")
    with pytest.raises(TypeError, match="freq_hz"):
        lanedsp.Band("peaking", "1k")
    with pytest.raises(ValueError, match="no gain_db"):
        lanedsp.Band("lowpass", 1000, gain_db=3)
    with pytest.raises(ValueError, match="coefficients"):
        lanedsp.Band("raw")
    with pytest.raises(ValueError, match="got 3 numbers"):
        lanedsp.Band("raw", coefficients=[1, 0, 0])
    with pytest.raises(ValueError, match="Q"):
        lanedsp.Equalizer([lanedsp.Band("peaking", 1000, q=0)])
    with pytest.raises(ValueError, match="Q"):
        lanedsp.Equalizer([("peaking", 1000, float("nan"))])
    with pytest.raises(ValueError, match="gain"):
        lanedsp.Equalizer([lanedsp.Band("peaking", 1000, gain_db=200)])
    with pytest.raises(ValueError, match="frequency"):
        lanedsp.Equalizer([lanedsp.Band("peaking", -5)])
    with pytest.raises(ValueError, match="frequency"):
        lanedsp.Equalizer([lanedsp.Band("peaking", float("inf"))])
    with pytest.raises(ValueError, match="unstable"):
        lanedsp.Equalizer([lanedsp.Band("raw", coefficients=[1, 0, 0, -2.5, 1.5])])
    with pytest.raises(ValueError, match="unstable"):
        lanedsp.Equalizer(lanedsp.Band.from_sos([[1, 0, 0, 1, 0, 1.0]]))
    with pytest.raises(ValueError, match="finite"):
        lanedsp.Equalizer([lanedsp.Band("raw", coefficients=[1, 0, 0, 1, 0, np.nan])])
    with pytest.raises(ValueError, match="at most 8"):
        lanedsp.Equalizer([lanedsp.Band("peaking", 1000)] * 9)
    with pytest.raises(TypeError, match="unknown key"):
        lanedsp.Equalizer([{"kind": "peaking", "frequency": 1000}])
    with pytest.raises(TypeError, match="list of bands"):
        lanedsp.Equalizer(("peaking", 1000))
    with pytest.raises(TypeError, match=r"bands\[0\]"):
        lanedsp.Equalizer([1000])
    # Frequencies are checked against the sample rate: given, or at the call.
    with pytest.raises(ValueError, match="frequency"):
        lanedsp.Equalizer([lanedsp.Band("lowpass", 30_000)], 48_000)
    eq = lanedsp.Equalizer([lanedsp.Band("lowpass", 30_000)])
    assert eq(np.zeros(10, np.float32), 96_000).shape == (10,)
    with pytest.raises(ValueError, match="frequency"):
        eq(np.zeros(10, np.float32), 48_000)
    eq = lanedsp.Equalizer(BANDS)
    with pytest.raises(TypeError, match="dtype"):
        eq(np.zeros(10, np.int16), SR)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        eq([0.0] * 10, SR)
    with pytest.raises(ValueError, match="shape"):
        eq(np.zeros((1, 1, 2, 10), np.float32), SR)
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="sample_rate"):
            eq(np.zeros(10, np.float32), bad)
    with pytest.raises(TypeError, match="sample_rate"):
        eq(np.zeros(10, np.float32))
    with pytest.raises(ValueError, match="isa|ISA"):
        lanedsp.Equalizer(BANDS, isa="mmx")


# --------------------------------------------------------------------------
# Loudness meter.


def sine(amplitude_db, seconds, freq=1000.0, fs=SR, channels=2):
    t = np.arange(int(seconds * fs)) / fs
    x = 10 ** (amplitude_db / 20) * np.sin(2 * np.pi * freq * t)
    return np.tile(x.astype(np.float32), (channels, 1))


def test_ebu_reference_tone():
    """EBU Tech 3341 test 1: stereo 1 kHz sine at -23 dBFS reads -23.0 LUFS
    (+-0.1) integrated, momentary and short-term."""
    x = sine(-23.0, 20.0)
    meter = lanedsp.LoudnessMeter(SR)
    lufs = meter.integrated_loudness(x)
    assert isinstance(lufs, float)
    assert lufs == pytest.approx(-23.0, abs=0.1)
    assert meter.momentary() == pytest.approx(-23.0, abs=0.1)
    assert meter.short_term() == pytest.approx(-23.0, abs=0.1)
    assert meter.loudness_range() == pytest.approx(0.0, abs=0.1)
    np.testing.assert_allclose(meter.sample_peak(), [10 ** (-23 / 20)] * 2, rtol=1e-4)
    assert meter.sample_peak().shape == (2,)
    # One channel: 3 dB less; 44.1 kHz: the same.
    assert lanedsp.LoudnessMeter(SR).integrated_loudness(x[0]) == pytest.approx(-26.01, abs=0.1)
    x44 = sine(-23.0, 20.0, fs=44_100.0)
    assert lanedsp.LoudnessMeter(44_100).integrated_loudness(x44) == pytest.approx(-23.0, abs=0.1)


def test_loudness_range_ebu_3342_case_1():
    """EBU Tech 3342 test 1: 20 s at -20 dBFS then 20 s at -30 dBFS: LRA
    10 LU (+-1)."""
    x = np.concatenate([sine(-20.0, 20.0), sine(-30.0, 20.0)], axis=1)
    meter = lanedsp.LoudnessMeter(SR)
    meter.process(x)
    assert meter.loudness_range() == pytest.approx(10.0, abs=1.0)


def test_true_peak():
    """A 12 kHz sine sampled 45 degrees off its peaks: the samples reach
    0.707 of the amplitude, the true peak (4x oversampled) the amplitude."""
    n = np.arange(48_000)
    x = (0.5 * np.sin(2 * np.pi * 12_000 * n / SR + np.pi / 4)).astype(np.float32)
    meter = lanedsp.LoudnessMeter(SR)
    meter.process(np.stack([x, x * np.float32(0.5)]))
    sample, true = meter.sample_peak(), meter.true_peak()
    assert true.shape == (2,) and true.dtype == np.float64
    np.testing.assert_allclose(sample, [0.5 / math.sqrt(2), 0.25 / math.sqrt(2)], rtol=1e-4)
    np.testing.assert_allclose(20 * np.log10(true / [0.5, 0.25]), [0.0, 0.0], atol=0.5)
    assert np.all(true >= sample)
    # A 1 kHz tone: the true peak is the sample peak within a small ripple.
    meter.process(sine(-6.0, 1.0), reset=True)
    assert np.all(meter.true_peak() >= meter.sample_peak())
    np.testing.assert_allclose(20 * np.log10(meter.true_peak()), [-6.0, -6.0], atol=0.1)
    assert lanedsp.LoudnessMeter(SR).true_peak().shape == (0,)


def test_silence_and_short_audio():
    meter = lanedsp.LoudnessMeter(SR)
    assert meter.integrated() == -math.inf and meter.loudness_range() == 0.0
    assert meter.sample_peak().shape == (0,)
    assert meter.integrated_loudness(np.zeros((2, 48_000), np.float32)) == -math.inf
    assert meter.integrated_loudness(sine(-20, 0.3)) == -math.inf  # under 400 ms
    assert meter.integrated_loudness(np.zeros((2, 0), np.float32)) == -math.inf


def readings(meter):
    return [
        meter.momentary(),
        meter.short_term(),
        meter.integrated(),
        meter.loudness_range(),
        meter.sample_peak(),
        meter.true_peak(),
    ]


def same(a, b):
    for x, y in zip(a, b):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


@pytest.mark.parametrize("shape", [(2, 150_000), (150_000,), (3, 2, 150_000)])
def test_meter_streaming_equals_one_shot(shape):
    audio = program(shape, seed=12)
    meter = lanedsp.LoudnessMeter(SR)
    meter.integrated_loudness(audio)
    whole = readings(meter)
    cuts = [0, 1, 4799, 4800, 4801, 20_000, 20_000, 100_001, 150_000]
    meter.reset()
    for a, b in zip(cuts, cuts[1:]):
        meter.process(audio[..., a:b])
    same(readings(meter), whole)
    meter.process(audio, reset=True)
    same(readings(meter), whole)


def test_meter_every_isa_identical():
    audio = program((3, 2, 100_000), seed=13)
    audio[0, 0, 100:110] = [np.nan, np.inf, -np.inf, 1e-40, -1e-42, 0.0, -0.0, 1e30, -1e30, 3.0]
    results = {}
    for isa in lanedsp.available_isas():
        meter = lanedsp.LoudnessMeter(SR, isa=isa)
        meter.process(audio)
        results[isa] = readings(meter)
    for isa, got in results.items():
        same(got, results["scalar"])


def test_meter_batch_equals_per_track():
    batch = program((5, 2, 96_000), seed=14) * np.linspace(0.1, 1.0, 5, dtype=np.float32)[:, None, None]
    meter = lanedsp.LoudnessMeter(SR)
    lufs = meter.integrated_loudness(batch)
    assert isinstance(lufs, np.ndarray) and lufs.shape == (5,) and lufs.dtype == np.float64
    batch_readings = readings(meter)
    assert batch_readings[4].shape == (5, 2)
    for t in range(5):
        alone = lanedsp.LoudnessMeter(SR)
        assert alone.integrated_loudness(batch[t]) == lufs[t]
        same(readings(alone), [r[t] for r in batch_readings])
    assert np.all(np.diff(lufs) > 0)  # the tracks get louder
    one = lanedsp.LoudnessMeter(SR).integrated_loudness(batch[:1])
    assert one.shape == (1,) and one[0] == lufs[0]


def test_meter_dtypes_and_layouts():
    audio = program((2, 50_000), seed=15)
    want = lanedsp.LoudnessMeter(SR).integrated_loudness(audio)
    m = lanedsp.LoudnessMeter(SR)
    assert m.integrated_loudness(audio.astype(np.float64)) == want
    # pyloudnorm-style (samples, channels) data: pass data.T (no copy).
    data = np.ascontiguousarray(audio.T)
    assert m.integrated_loudness(data.T) == want
    assert m.integrated_loudness(audio.astype(audio.dtype.newbyteorder())) == want
    assert m.integrated_loudness(np.repeat(audio, 2, axis=1)[:, ::2]) == want


def test_meter_weights():
    x = program((2, 50_000), seed=16)
    left_only = lanedsp.LoudnessMeter(SR, weights=[1.0, 0.0]).integrated_loudness(x)
    assert left_only == lanedsp.LoudnessMeter(SR).integrated_loudness(x[0])
    surround = lanedsp.LoudnessMeter(SR, weights=[1.41, 1.41]).integrated_loudness(x)
    plain = lanedsp.LoudnessMeter(SR).integrated_loudness(x)
    assert surround - plain == pytest.approx(10 * math.log10(1.41), abs=1e-6)  # float32 weight
    # Per track of a batch too.
    batch = np.stack([x, x[::-1]])
    got = lanedsp.LoudnessMeter(SR, weights=[1.0, 0.0]).integrated_loudness(batch)
    assert got[0] == left_only
    assert got[1] == lanedsp.LoudnessMeter(SR).integrated_loudness(x[1])
    with pytest.raises(ValueError, match="2 weights for audio of 3 channels"):
        lanedsp.LoudnessMeter(SR, weights=[1, 1]).integrated_loudness(program((3, 100)))


def test_meter_layout_change_starts_afresh():
    meter = lanedsp.LoudnessMeter(SR)
    meter.process(sine(-10, 5.0))
    meter.process(sine(-30, 5.0, channels=3))
    assert meter.integrated() == lanedsp.LoudnessMeter(SR).integrated_loudness(sine(-30, 5.0, channels=3))
    assert meter.sample_peak().shape == (3,)


def test_meter_bad_input_raises():
    for bad in (0.0, -48_000.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="sample_rate"):
            lanedsp.LoudnessMeter(bad)
    with pytest.raises(ValueError, match="at least 4000"):
        lanedsp.LoudnessMeter(2_000)
    with pytest.raises(TypeError, match="sample_rate"):
        lanedsp.LoudnessMeter("48k")
    with pytest.raises(TypeError):
        lanedsp.LoudnessMeter()
    with pytest.raises(ValueError, match="weights"):
        lanedsp.LoudnessMeter(SR, weights=[1.0, -1.0])
    with pytest.raises(ValueError, match="weights"):
        lanedsp.LoudnessMeter(SR, weights=[1.0, float("nan")])
    with pytest.raises(TypeError, match="weights"):
        lanedsp.LoudnessMeter(SR, weights="LR")
    with pytest.raises(ValueError, match="isa|ISA"):
        lanedsp.LoudnessMeter(SR, isa="mmx")
    meter = lanedsp.LoudnessMeter(SR)
    meter.process(sine(-20, 1.0))
    before = readings(meter)
    with pytest.raises(TypeError, match="dtype"):
        meter.process(np.zeros((2, 10), np.int16))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        meter.integrated_loudness([[0.0] * 10] * 2)
    with pytest.raises(ValueError, match="shape"):
        meter.process(np.zeros((1, 1, 2, 10), np.float32))
    with pytest.raises(ValueError, match="no channels"):
        meter.process(np.zeros((0, 10), np.float32))
    same(readings(meter), before)  # errors leave the measurement as it was


# --------------------------------------------------------------------------
# Both.


@pytest.mark.parametrize("kind", ["eq", "meter"])
def test_gil_released(kind):
    """While one thread is inside a long call, another runs Python code."""
    audio = program((16, 2, 96_000), seed=17)
    if kind == "eq":
        eq = lanedsp.Equalizer(BANDS + BANDS[:3], isa="scalar")
        call = lambda: eq(audio, SR)  # noqa: E731
    else:
        meter = lanedsp.LoudnessMeter(SR, isa="scalar")
        call = lambda: meter.integrated_loudness(audio)  # noqa: E731
    done, times = threading.Event(), {}

    def work():
        t = time.perf_counter()
        call()
        times["call"] = time.perf_counter() - t
        done.set()

    worker = threading.Thread(target=work)
    gaps, last = [], time.perf_counter()
    worker.start()
    while not done.is_set():
        sum(range(200))
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    worker.join()
    assert times["call"] > 0.02, "the call was too short to tell"
    assert max(gaps) < 0.5 * times["call"], (max(gaps), times["call"])
