"""No memory growth over many calls."""

import gc
import os
import tracemalloc

import numpy as np

import lanedsp
from conftest import SR, program


def rss_bytes():
    """Resident set size (Linux /proc; elsewhere the peak from resource)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # pragma: no cover - not Linux
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def churn(rounds):
    audio32 = program((4, 2, 4096), seed=1)
    audio64 = audio32.astype(np.float64)
    key = program((4, 2, 4096), seed=2)
    comp = lanedsp.Compressor(threshold_db=-20, link="stereo")
    env = lanedsp.EnvelopeFollower(attack_ms=1, release_ms=20)
    for i in range(rounds):
        comp(audio32, SR)
        comp.process(audio64[..., :1000], SR)
        comp(audio32, SR, sidechain=key)
        env(audio32[0], SR)
        env.process(np.asfortranarray(audio32[1]), SR)
        lanedsp.EnvelopeFollower(48000, 5, 50).process_buffer(audio64[0, 0])
        lanedsp.Compressor(mode="gate")(audio32[i % 4], 44_100 + i % 3)  # rebuilds
        try:
            comp(audio32.astype(np.int16), SR)
        except TypeError:
            pass
        try:
            lanedsp.Compressor(ratio=0.1)
        except ValueError:
            pass


def test_no_growth_over_many_calls():
    churn(200)  # warm up caches and allocator pools
    gc.collect()
    tracemalloc.start()
    rss0 = rss_bytes()
    snap0 = tracemalloc.take_snapshot()
    churn(2000)
    gc.collect()
    snap1 = tracemalloc.take_snapshot()
    rss1 = rss_bytes()
    tracemalloc.stop()
    python_growth = sum(s.size_diff for s in snap1.compare_to(snap0, "filename"))
    # 2,000 rounds move about 2 GB of arrays through; a leak of one buffer
    # per call would show as tens of MB.
    assert python_growth < 256 * 1024, python_growth
    assert rss1 - rss0 < 8 * 1024 * 1024, (rss0, rss1)


def address(a):
    return a.__array_interface__["data"][0]


def test_large_outputs_reuse_only_memory_nothing_refers_to(monkeypatch):
    # Every output counts as large here (the rule's threshold is 32 MiB).
    monkeypatch.setattr(lanedsp._Outputs, "MIN_BYTES", 0)
    audio = program((3, 2, 5000), seed=3)
    comp = lanedsp.Compressor(threshold_db=-24, ratio=6)
    fresh = lanedsp.Compressor(threshold_db=-24, ratio=6)
    first = comp(audio, SR)
    kept, at_first = first.copy(), address(first)
    second = comp(audio, SR)  # `first` is alive: new memory
    assert not np.shares_memory(first, second)
    assert np.array_equal(first, kept)
    del first
    third = comp(audio, SR)  # nothing refers to the first call's memory
    assert address(third) == at_first
    view = third[1:, 0]
    del third
    fourth = comp(audio, SR)  # `view` keeps the third's memory alive
    assert not np.shares_memory(view, fourth) and not np.shares_memory(second, fourth)
    # The outputs are those of a processor that never recycled.
    with monkeypatch.context() as m:
        m.setattr(lanedsp._Outputs, "MIN_BYTES", 1 << 62)
        for _ in range(3):
            fresh(audio, SR)
        assert np.array_equal(fresh(audio, SR), fourth)
    # float64 calls process a float32 copy of their own in place.
    out64 = comp(audio.astype(np.float64), SR)
    assert out64.dtype == np.float64 and out64.shape == audio.shape
    # Dropping every output: the processor keeps at most KEEP buffers.
    del second, view, fourth, out64
    seen = {address(comp(audio, SR)) for _ in range(20)}
    assert len(seen) <= lanedsp._Outputs.KEEP
