"""The numpy API: shapes, dtypes, layouts, streaming, ISAs, batches."""

import numpy as np
import pytest

import lanedsp
from conftest import SR, processors, program

SHAPES = [(1000,), (1, 1000), (2, 1000), (5, 777), (3, 2, 1000), (2, 5, 333), (4, 1, 100)]
KINDS = sorted(processors())
LINKED = {"compress-stereo", "compress-all-mean", "expand"}


def test_module_surface():
    assert lanedsp.isa() in lanedsp.available_isas()
    assert "scalar" in lanedsp.available_isas()
    assert lanedsp.isa() in lanedsp.isa_selection()
    assert lanedsp.EnvelopeFollower().latency == 0
    assert lanedsp.Compressor().latency == 0
    assert lanedsp.Compressor().isa == lanedsp.isa()
    assert lanedsp.Compressor(isa="scalar").isa == "scalar"
    assert "Compressor" in repr(lanedsp.Compressor())
    assert lanedsp.Compressor.__doc__ and lanedsp.EnvelopeFollower.process.__doc__
    # What bench.py checks: run-tests installs a dev build, `maturin develop --release` a release.
    assert isinstance(lanedsp._lanedsp.RELEASE_BUILD, bool)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype(kind, shape, dtype):
    audio = program(shape).astype(dtype)
    before = audio.copy()
    out = processors()[kind](audio, SR)
    assert out.shape == audio.shape and out.dtype == dtype
    assert out.flags.owndata or out.base is not audio
    assert not np.shares_memory(out, audio)
    np.testing.assert_array_equal(audio, before)  # the input is untouched
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("kind", KINDS)
def test_float64_is_float32_inside(kind):
    audio = program((2, 3000)).astype(np.float64) * 1.0000001
    out64 = processors()[kind](audio, SR)
    out32 = processors()[kind](audio.astype(np.float32), SR)
    np.testing.assert_array_equal(out64, out32.astype(np.float64))


@pytest.mark.parametrize("kind", KINDS)
def test_layouts_agree(kind):
    """(channels, samples) in C order, as a transposed (samples, channels)
    array (interleaved, processed without a copy), strided, non-native
    byte order: the same result."""
    audio = program((4, 2048), seed=3)
    want = processors()[kind](audio, SR)
    interleaved = np.ascontiguousarray(audio.T).T
    assert interleaved.flags.f_contiguous and not interleaved.flags.c_contiguous
    got = processors()[kind](interleaved, SR)
    assert got.flags.f_contiguous
    np.testing.assert_array_equal(got, want)
    got64 = processors()[kind](interleaved.astype(np.float64), SR)
    assert got64.flags.f_contiguous and got64.dtype == np.float64
    np.testing.assert_array_equal(got64, want.astype(np.float64))
    strided = np.repeat(audio, 2, axis=1)[:, ::2]
    np.testing.assert_array_equal(processors()[kind](strided, SR), want)
    swapped = audio.astype(audio.dtype.newbyteorder())
    np.testing.assert_array_equal(processors()[kind](swapped, SR), want)
    if kind not in LINKED:
        np.testing.assert_array_equal(processors()[kind](audio[0], SR), want[0])


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("shape", [(3000,), (2, 3000), (3, 2, 3000)])
def test_streaming_equals_one_shot(kind, shape):
    audio = program(shape, seed=5)
    proc = processors()[kind]
    whole = proc(audio, SR)
    cuts = [0, 1, 2, 64, 65, 1000, 1000, 2047, 3000]
    proc.reset()
    parts = [proc.process(audio[..., a:b], SR) for a, b in zip(cuts, cuts[1:])]
    np.testing.assert_array_equal(np.concatenate(parts, axis=-1), whole)
    # reset=True starts afresh; a call (one-shot) does too.
    again = proc.process(audio, SR, reset=True)
    np.testing.assert_array_equal(again, whole)
    np.testing.assert_array_equal(proc(audio, SR), whole)


def test_layout_change_starts_afresh():
    comp = lanedsp.Compressor(threshold_db=-30)
    a, b = program((2, 2000), seed=1), program((3, 2000), seed=2)
    want_b = lanedsp.Compressor(threshold_db=-30)(b, SR)
    comp.process(a, SR)
    np.testing.assert_array_equal(comp.process(b, SR), want_b)
    # A new sample rate too.
    want_a = lanedsp.Compressor(threshold_db=-30)(a, 44_100)
    np.testing.assert_array_equal(comp.process(a, 44_100), want_a)


@pytest.mark.parametrize("kind", KINDS)
def test_every_isa_bit_identical(kind):
    isas = lanedsp.available_isas()
    audio = program((3, 2, 5000), seed=7)
    audio[0, 0, 100:110] = [np.nan, np.inf, -np.inf, 1e-40, -1e-42, 0.0, -0.0, 1e30, -1e30, 3.0]
    results = {isa: processors(isa)[kind](audio, SR) for isa in isas}
    ref = results["scalar"].view(np.uint32)
    for isa, out in results.items():
        assert np.array_equal(out.view(np.uint32), ref), f"{kind}: {isa} differs from scalar"


def test_isa_env_override_is_respected(monkeypatch):
    # isa= on the object wins over the process-wide choice.
    for isa in lanedsp.available_isas():
        assert lanedsp.EnvelopeFollower(isa=isa).isa == isa


@pytest.mark.parametrize("kind", KINDS)
def test_batch_equals_per_track(kind):
    batch = program((5, 2, 4000), seed=11)
    out = processors()[kind](batch, SR)
    for t in range(batch.shape[0]):
        np.testing.assert_array_equal(out[t], processors()[kind](batch[t], SR))


def test_linking():
    audio = program((2, 4000), seed=4)
    audio[1] *= 0.01  # quiet right channel
    free = lanedsp.Compressor(threshold_db=-30)(audio, SR)
    linked = lanedsp.Compressor(threshold_db=-30, link="stereo")(audio, SR)
    groups = lanedsp.Compressor(threshold_db=-30, link=[[0, 1]])(audio, SR)
    np.testing.assert_array_equal(linked, groups)
    assert not np.array_equal(free[1], linked[1])
    # Fully linked: both channels get the same gain.
    comp = lanedsp.Compressor(threshold_db=-30, link="stereo")
    comp(audio, SR)
    gr = comp.gain_reduction_db()
    assert gr.shape == (2,) and gr[0] == gr[1] and gr[0] < 0
    # "stereo" on 3 channels links 0-1 and leaves 2 alone.
    three = np.stack([audio[0], audio[1], audio[1]])
    out = lanedsp.Compressor(threshold_db=-30, link="stereo")(three, SR)
    np.testing.assert_array_equal(out[:2], linked)
    np.testing.assert_array_equal(out[2], free[1])


def test_sidechain():
    audio = program((2, 4000), seed=8)
    key = program((2, 4000), seed=9) * 4
    comp = lanedsp.Compressor(threshold_db=-20)
    ducked = comp(audio, SR, sidechain=key)
    assert not np.array_equal(ducked, comp(audio, SR))
    np.testing.assert_array_equal(comp(audio, SR, sidechain=audio), comp(audio, SR))
    # Any layout or dtype of key.
    np.testing.assert_array_equal(comp(audio, SR, sidechain=key.astype(np.float64)), ducked)
    np.testing.assert_array_equal(comp(audio, SR, sidechain=np.asfortranarray(key)), ducked)
    np.testing.assert_array_equal(comp(np.asfortranarray(audio), SR, sidechain=key), ducked)
    # Streaming with a key.
    comp.reset()
    parts = [comp.process(audio[:, a:b], SR, sidechain=key[:, a:b]) for a, b in [(0, 999), (999, 4000)]]
    np.testing.assert_array_equal(np.concatenate(parts, axis=1), ducked)


def test_settings_glide_without_rebuild():
    audio = program((2, 6000), seed=12)
    comp = lanedsp.Compressor(threshold_db=-30)
    first = comp.process(audio[:, :3000], SR)
    comp.threshold_db = -10
    comp.makeup_db = "auto"
    assert comp.threshold_db == -10 and comp.makeup_db == "auto"
    second = comp.process(audio[:, 3000:], SR)
    fresh = lanedsp.Compressor(threshold_db=-10, makeup_db="auto")(audio[:, 3000:], SR)
    assert not np.array_equal(second, fresh)  # the state carried over
    assert first.shape == second.shape
    with pytest.raises(ValueError, match="ratio"):
        comp.ratio = 0.5
    assert comp.ratio == 4.0


def test_modes_do_what_they_say():
    n = 48_000
    quiet = np.full((1, n), 0.001, dtype=np.float32)  # -60 dBFS
    loud = np.full((1, n), 0.5, dtype=np.float32)  # -6 dBFS
    assert lanedsp.Compressor(threshold_db=-20)(loud, SR)[0, -1] < 0.5
    assert lanedsp.Compressor(mode="upward")(quiet, SR)[0, -1] > 0.001
    assert lanedsp.Compressor(mode="expand")(quiet, SR)[0, -1] < 0.001
    assert lanedsp.Compressor(mode="gate")(quiet, SR)[0, -1] < 1e-6
    assert lanedsp.Compressor(mode="gate")(loud, SR)[0, -1] == pytest.approx(0.5)
    env = lanedsp.EnvelopeFollower(attack_ms=1, release_ms=50)
    assert env(loud[0], SR)[-1] == pytest.approx(0.5, rel=1e-5)
    np.testing.assert_array_equal(env.envelope(), [env(loud[0], SR)[-1]])


def test_empty_and_tiny():
    comp = lanedsp.Compressor()
    for shape in [(0,), (2, 0), (3, 2, 0), (1,), (2, 1)]:
        out = comp(np.zeros(shape, np.float32), SR)
        assert out.shape == shape


def test_gil_released_during_processing():
    """While one thread is inside a long call, another runs Python code."""
    import threading
    import time

    audio = program((16, 2, 96_000), seed=13)
    comp = lanedsp.Compressor(isa="scalar")  # the slowest ISA: a long call
    done = threading.Event()
    times = {}

    def work():
        t = time.perf_counter()
        comp(audio, SR)
        times["call"] = time.perf_counter() - t
        done.set()

    worker = threading.Thread(target=work)
    gaps, last = [], time.perf_counter()
    worker.start()
    while not done.is_set():
        sum(range(200))  # Python work, needs the GIL
        now = time.perf_counter()
        gaps.append(now - last)
        last = now
    worker.join()
    assert times["call"] > 0.05, "the call was too short to tell"
    # Holding the GIL would stall this loop for the whole call.
    assert max(gaps) < 0.5 * times["call"], (max(gaps), times["call"])
    assert len(gaps) > 10


def test_threads():
    """Objects per thread run in parallel and give the sequential result;
    concurrent calls on one object raise RuntimeError instead of racing."""
    import threading

    audio = program((4, 2, 20_000), seed=14)
    want = lanedsp.Compressor(threshold_db=-30)(audio, SR)
    results, errors = [None] * 4, []

    def own(i):
        results[i] = lanedsp.Compressor(threshold_db=-30)(audio, SR)

    threads = [threading.Thread(target=own, args=(i,)) for i in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    for got in results:
        np.testing.assert_array_equal(got, want)

    shared = lanedsp.Compressor(threshold_db=-30, isa="scalar")
    shared(audio[..., :10], SR)  # built

    def same():
        try:
            shared.process(audio, SR)
        except RuntimeError as err:
            errors.append(err)

    threads = [threading.Thread(target=same) for _ in range(3)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert all("borrow" in str(e) for e in errors)


@pytest.mark.parametrize("kind", KINDS)
def test_long_track_in_chunks_equals_blocks(kind):
    """One long track runs in chunks in lanes (where the ISA has room):
    the same bits as the same track in short blocks, which never chunk."""
    audio = program((2, 150_000), seed=11)
    proc = processors()[kind]
    whole = proc(audio, SR)
    proc.reset()
    cuts = list(range(0, 150_000, 4096)) + [150_000]
    parts = [proc.process(audio[..., a:b], SR) for a, b in zip(cuts, cuts[1:])]
    np.testing.assert_array_equal(np.concatenate(parts, axis=-1).view(np.uint32), whole.view(np.uint32))


def test_last_execution_names_chunks():
    env = lanedsp._lanedsp.Envelope(SR, 1, 0.005, 0.05)
    x = program((200_000,), seed=3).astype(np.float32)
    out = np.empty_like(x)
    env.process(x, out, True)
    text = env.last_execution
    if env.isa == "scalar":
        assert "whole" in text, text
    else:
        assert "chunks" in text, text
    env.process(x[:1024].copy(), out[:1024], True)
    assert "too few frames" in env.last_execution
