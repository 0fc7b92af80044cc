"""Shared helpers of the lanedsp Python tests."""

import numpy as np
import pytest

import lanedsp

SR = 48_000.0


def program(shape, seed=0):
    """Bursty float32 test audio: noise under a slow gain ramp with silent
    gaps and loud bursts, so compressors and followers attack and release."""
    rng = np.random.default_rng(seed)
    n = shape[-1]
    t = np.arange(n, dtype=np.float64)
    gain = 0.02 + 0.9 * (np.sin(2 * np.pi * t / 4000.0) > 0.3)
    noise = rng.standard_normal(shape) * gain
    return noise.astype(np.float32)


@pytest.fixture(params=lanedsp.available_isas())
def each_isa(request):
    """Every ISA this CPU runs."""
    return request.param


def processors(isa=None):
    """One processor of every kind and mode, built on `isa`."""
    return {
        "envelope": lanedsp.EnvelopeFollower(attack_ms=1.0, release_ms=30.0, isa=isa),
        "compress": lanedsp.Compressor(threshold_db=-24, ratio=4, makeup_db="auto", isa=isa),
        "compress-stereo": lanedsp.Compressor(threshold_db=-24, link="stereo", isa=isa),
        "compress-all-mean": lanedsp.Compressor(
            threshold_db=-20, link="all", link_mode="mean", link_amount=0.7, isa=isa
        ),
        "limit": lanedsp.Compressor(threshold_db=-6, ratio=float("inf"), knee_db=0, isa=isa),
        "upward": lanedsp.Compressor(mode="upward", isa=isa),
        "expand": lanedsp.Compressor(mode="expand", link="stereo", isa=isa),
        "gate": lanedsp.Compressor(mode="gate", mix=0.8, isa=isa),
        "rms": lanedsp.Compressor(
            detection="rms", detector_attack_ms=20, detector_release_ms=20, isa=isa
        ),
    }
