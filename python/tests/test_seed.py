"""The seed's API: EnvelopeFollower(sr, attack_ms, release_ms).process_buffer
and VectorizedEnvelopeFollower(..., use_numba=True), against a plain-Python
transcription of the seed's Numba loop."""

import math

import numpy as np
import pytest

import lanedsp


def seed_loop(levels, sample_rate, attack_ms, release_ms):
    """The seed's loop, transcribed: float64 coefficients
    c = exp(-1 / (t * 0.001 * sr)), env from 0, env = x + (env - x) * c."""
    c_attack = math.exp(-1.0 / (attack_ms * 0.001 * sample_rate))
    c_release = math.exp(-1.0 / (release_ms * 0.001 * sample_rate))
    env = 0.0
    out = np.empty(len(levels), dtype=np.float64)
    for i, x in enumerate(levels.tolist()):
        c = c_attack if x > env else c_release
        env = x + (env - x) * c
        out[i] = env
    return out


def levels(n, seed):
    """Positive levels (frame RMS-like): a random walk in dB, so relative
    error stays meaningful."""
    rng = np.random.default_rng(seed)
    db = np.cumsum(rng.normal(0, 1.5, n)).clip(-60, 0) + rng.normal(0, 3, n)
    return 10.0 ** (db / 20.0)


# (sample_rate, attack_ms, release_ms): level envelopes at frame rates, and
# sample-rate followers with short times. lanedsp's state is float32, so the
# rounding it accumulates grows with the time constant in samples (docs).
CASES = [(100.0, 50.0, 500.0), (187.5, 20.0, 300.0), (8000.0, 1.0, 10.0), (48000.0, 0.2, 1.0)]


@pytest.mark.parametrize("sr,attack_ms,release_ms", CASES)
@pytest.mark.parametrize("cls", [lanedsp.EnvelopeFollower, lanedsp.VectorizedEnvelopeFollower])
def test_matches_seed_loop(cls, sr, attack_ms, release_ms):
    x = levels(20_000, seed=int(sr))
    want = seed_loop(x, sr, attack_ms, release_ms)
    follower = cls(sr, attack_ms, release_ms)
    got = follower.process_buffer(x)
    assert got.dtype == np.float64 and got.shape == x.shape
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=0)
    # Each call starts from 0, as the seed's did.
    np.testing.assert_array_equal(follower.process_buffer(x), got)


def test_long_time_constants_within_float32_rounding():
    """At 48 kHz with a 200 ms release (9,600 samples per time constant) the
    float32 state's rounding reaches a few 1e-6, still float rounding."""
    x = levels(20_000, seed=3)
    want = seed_loop(x, 48_000.0, 5.0, 200.0)
    got = lanedsp.EnvelopeFollower(48_000, 5, 200).process_buffer(x)
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=0)


def test_use_numba_is_accepted_and_ignored():
    x = levels(1000, seed=1)
    a = lanedsp.VectorizedEnvelopeFollower(48000, 5, 50, use_numba=True).process_buffer(x)
    b = lanedsp.VectorizedEnvelopeFollower(48000, 5, 50, use_numba=False).process_buffer(x)
    c = lanedsp.VectorizedEnvelopeFollower(48000, 5, 50).process_buffer(x)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    assert isinstance(lanedsp.VectorizedEnvelopeFollower(48000, 5, 50), lanedsp.EnvelopeFollower)


def test_process_buffer_dtypes():
    env = lanedsp.EnvelopeFollower(1000, 5, 50)
    x = levels(500, seed=2)
    assert env.process_buffer(x.astype(np.float32)).dtype == np.float32
    assert env.process_buffer(list(x)).dtype == np.float64
    assert env.process_buffer((x * 100).astype(np.int32)).dtype == np.float64
    np.testing.assert_array_equal(env.process_buffer(list(x)), env.process_buffer(x))


def test_same_as_the_numpy_api():
    x = levels(3000, seed=4)
    seedish = lanedsp.EnvelopeFollower(8000, 2, 40).process_buffer(x)
    modern = lanedsp.EnvelopeFollower(attack_ms=2, release_ms=40)(x, 8000)
    np.testing.assert_array_equal(seedish, modern)
