"""lanedsp.Limiter: the ceiling holds, latency, offline compensation equals
streaming plus flush, shapes and dtypes, linking, ISAs, bad input."""

import numpy as np
import pytest

import lanedsp
from conftest import SR, program


def db(x):
    return np.float32(10.0 ** (x / 20.0))


def loud(shape, seed=0, level=4.0):
    """Tones and noise driven well over the ceiling, with bursts."""
    rng = np.random.default_rng(seed)
    n = shape[-1]
    t = np.arange(n) / SR
    tone = np.sin(2 * np.pi * 110.0 * t) + 0.5 * np.sin(2 * np.pi * 1234.5 * t)
    burst = np.where((np.arange(n) // 3000) % 3 == 0, 1.0, 0.25)
    x = (0.6 * tone + 0.4 * rng.standard_normal(shape)) * burst * level
    return x.astype(np.float32)


@pytest.mark.parametrize("shape", [(20_000,), (2, 20_000), (3, 2, 20_000), (1, 18, 3_000)])
@pytest.mark.parametrize("true_peak", [False, True])
def test_ceiling_holds_and_length_is_kept(shape, true_peak):
    x = loud(shape, seed=len(shape))
    for ceiling in (-1.0, -6.0, -0.1):
        lim = lanedsp.Limiter(SR, ceiling_db=ceiling, true_peak=true_peak)
        y = lim(x)
        assert y.shape == x.shape and y.dtype == np.float32
        assert np.abs(y).max() <= db(ceiling)
        assert np.abs(y).max() > db(ceiling) * 0.9  # it limits, not mutes
        z = lim.process(x, reset=True)
        assert np.abs(z).max() <= db(ceiling)
        assert np.abs(lim.flush()).max() <= db(ceiling)


def test_hostile_input_stays_under_the_ceiling():
    x = np.zeros((4, 5_000), np.float32)
    x[0, ::7] = np.inf
    x[1, 100:200] = np.nan
    x[2] = 100.0  # DC at +40 dBFS
    x[3, ::2], x[3, 1::2] = 1.0, -1.0  # full-scale Nyquist square
    y = lanedsp.Limiter(SR, ceiling_db=-3.0, link="none", true_peak=True)(x)
    assert np.all(np.abs(y[np.isfinite(y)]) <= db(-3.0))


def test_latency():
    assert lanedsp.Limiter(48_000).latency == 240
    assert lanedsp.Limiter(48_000, true_peak=True).latency == 246
    assert lanedsp.Limiter(44_100, lookahead_ms=2.0).latency == 88
    assert lanedsp.Limiter(48_000, lookahead_ms=0).latency == 0
    lim = lanedsp.Limiter()
    with pytest.raises(ValueError, match="sample rate"):
        lim.latency
    lim.process(np.zeros(10, np.float32), 96_000)
    assert lim.latency == 480


@pytest.mark.parametrize("true_peak", [False, True])
def test_an_impulse_comes_out_latency_frames_later(true_peak):
    lim = lanedsp.Limiter(SR, ceiling_db=-1.0, true_peak=true_peak)
    x = np.zeros(4_000, np.float32)
    x[0] = 0.5
    y = lim.process(x)
    assert np.flatnonzero(y).tolist() == [lim.latency]
    assert y[lim.latency] == np.float32(0.5)
    # Offline, the impulse stays at its frame.
    x = np.zeros((2, 4_000), np.float32)
    x[0, 1234], x[1, 1234] = 0.25, -0.5
    y = lim(x)
    assert np.array_equal(y, x)


@pytest.mark.parametrize("shape", [(9_001,), (2, 9_001), (3, 2, 9_001)])
def test_offline_equals_streaming_plus_flush(shape, each_isa):
    x = loud(shape, seed=3)
    offline = lanedsp.Limiter(SR, true_peak=True, isa=each_isa)(x)
    lim = lanedsp.Limiter(SR, true_peak=True, isa=each_isa)
    cuts = [0, 1, 700, 4_096, 4_097, 9_001]
    chunks = [lim.process(x[..., a:b]) for a, b in zip(cuts, cuts[1:])]
    tail = lim.flush()
    assert tail.shape == shape[:-1] + (lim.latency,)
    stream = np.concatenate(chunks + [tail], axis=-1)[..., lim.latency :]
    assert np.array_equal(stream.view(np.uint32), offline.view(np.uint32))


@pytest.mark.parametrize("form", ["interleaved", "float64", "short"])
def test_offline_in_every_layout_equals_streaming_plus_flush(form):
    frames = 100 if form == "short" else 9_001
    x = loud((2, frames), seed=6)
    if form == "interleaved":
        x = np.asfortranarray(x)  # frames stored channel after channel
    if form == "float64":
        x = x.astype(np.float64)
    offline = lanedsp.Limiter(SR, true_peak=True)(x)
    assert offline.shape == x.shape and offline.dtype == x.dtype
    lim = lanedsp.Limiter(SR, true_peak=True)
    assert form != "short" or frames < lim.latency
    stream = np.concatenate([lim.process(x), lim.flush()], axis=-1)[..., lim.latency :]
    assert np.array_equal(stream, offline)


def test_every_isa_gives_the_same_bits():
    x = loud((3, 2, 6_000), seed=5)
    outs = [lanedsp.Limiter(SR, isa=i)(x) for i in lanedsp.available_isas()]
    for y in outs[1:]:
        assert np.array_equal(y.view(np.uint32), outs[0].view(np.uint32))


def test_tracks_are_independent_and_channels_linked():
    quiet = program((2, 6_000), seed=1) * np.float32(0.05)
    loud_track = loud((2, 6_000), seed=2)
    batch = np.stack([quiet, loud_track])
    y = lanedsp.Limiter(SR)(batch)
    # Each track equals the same track limited alone.
    assert np.array_equal(y[0], lanedsp.Limiter(SR)(quiet))
    assert np.array_equal(y[1], lanedsp.Limiter(SR)(loud_track))
    # Linked: one channel loud, the other follows its reduction.
    x = np.stack([loud((6_000,), seed=4), program((6_000,), seed=4) * np.float32(0.1)])
    linked = lanedsp.Limiter(SR, link="all")(x)
    unlinked = lanedsp.Limiter(SR, link="none")(x)
    assert np.array_equal(unlinked[1], x[1])
    assert np.abs(linked[1]).max() < 0.7 * np.abs(x[1]).max()
    # More than 16 channels: linked in blocks of 16.
    many = np.tile(program((1, 3_000), seed=6) * np.float32(0.1), (18, 1))
    many[0] *= 40.0
    y = lanedsp.Limiter(SR)(many)
    assert np.abs(y[5]).max() < 0.5 * np.abs(many[5]).max()
    assert np.array_equal(y[17], many[17])


def test_dtypes_and_layouts():
    x = loud((2, 5_000), seed=8)
    ref = lanedsp.Limiter(SR)(x)
    y64 = lanedsp.Limiter(SR)(x.astype(np.float64))
    assert y64.dtype == np.float64 and np.array_equal(y64.astype(np.float32), ref)
    # (samples, channels).T is interleaved: the same result.
    inter = np.asfortranarray(x)
    assert np.array_equal(lanedsp.Limiter(SR)(inter), ref)
    assert np.array_equal(lanedsp.Limiter(SR).process(x[:, ::1].copy()), lanedsp.Limiter(SR).process(inter))
    # Non-contiguous input is copied, not refused.
    wide = np.zeros((2, 10_000), np.float32)
    wide[:, ::2] = x
    assert np.array_equal(lanedsp.Limiter(SR)(wide[:, ::2]), ref)
    # The input is not modified.
    before = x.copy()
    lanedsp.Limiter(SR)(x)
    lanedsp.Limiter(SR).process(x)
    assert np.array_equal(x, before)
    # Empty audio: empty output.
    assert lanedsp.Limiter(SR)(np.zeros((2, 0), np.float32)).shape == (2, 0)


def test_settings_reset_and_gain():
    lim = lanedsp.Limiter(SR, channels=2, ceiling_db=-6.0)
    x = loud((2, 4_000), seed=9)
    lim.process(x)
    assert lim.gain().shape == (2,) and lim.gain().max() < 1.0
    lim.ceiling_db = -12.0
    assert lim.ceiling_db == -12.0
    y = lim.process(x)
    assert np.abs(y).max() <= db(-6.0)
    lim.lookahead_ms = 1.0
    assert lim.latency == 48
    lim.true_peak = True
    assert lim.latency == 54
    lim.reset()
    assert np.array_equal(lim.gain(), np.ones(2, np.float32))
    assert lim.flush().shape == (2, 54)
    assert "ceiling_db=-12" in repr(lim)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="ceiling"):
        lanedsp.Limiter(SR, ceiling_db=40.0)
    with pytest.raises(ValueError, match="lookahead"):
        lanedsp.Limiter(SR, lookahead_ms=80.0)
    with pytest.raises(ValueError, match="lookahead"):
        lanedsp.Limiter(SR, lookahead_ms=float("nan"))
    with pytest.raises(ValueError, match="release"):
        lanedsp.Limiter(SR, release_ms=-1.0)
    with pytest.raises(ValueError, match="input_gain"):
        lanedsp.Limiter(SR, input_gain_db=100.0)
    with pytest.raises(ValueError, match="link_amount"):
        lanedsp.Limiter(SR, link_amount=2.0)
    with pytest.raises(TypeError):
        lanedsp.Limiter(SR, ceiling_db="loud")
    with pytest.raises(TypeError):
        lanedsp.Limiter(SR, true_peak="yes")
    with pytest.raises(ValueError, match="sample_rate"):
        lanedsp.Limiter(0.0)
    with pytest.raises(ValueError, match="channels"):
        lanedsp.Limiter(SR, channels=0)
    with pytest.raises(ValueError, match="link"):
        lanedsp.Limiter(SR, link="pairs")
    with pytest.raises(ValueError, match="isa|ISA"):
        lanedsp.Limiter(SR, isa="mmx")
    lim = lanedsp.Limiter(SR, channels=2)
    with pytest.raises(ValueError, match="2 channels"):
        lim(np.zeros((3, 100), np.float32))
    with pytest.raises(TypeError, match="dtype"):
        lim(np.zeros((2, 100), np.int16))
    with pytest.raises(TypeError, match="numpy.ndarray"):
        lim([[0.0] * 10] * 2)
    with pytest.raises(ValueError, match="shape"):
        lim(np.zeros((1, 1, 2, 10), np.float32))
    with pytest.raises(TypeError, match="sample_rate"):
        lanedsp.Limiter()(np.zeros(10, np.float32))
    with pytest.raises(ValueError, match="channel 5"):
        lanedsp.Limiter(SR, link=[[0, 5]])(np.zeros((2, 10), np.float32))
    with pytest.raises(ValueError):
        lanedsp.Limiter(SR, link=[list(range(17))])(np.zeros((17, 10), np.float32))
    with pytest.raises(ValueError, match="lookahead"):
        lim.lookahead_ms = 51.0
    assert lim.lookahead_ms == 5.0
    assert lanedsp.Limiter(SR).flush().shape == (0,)
