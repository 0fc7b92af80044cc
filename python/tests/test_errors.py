"""Bad input raises ValueError or TypeError with a clear message."""

import numpy as np
import pytest

import lanedsp
from conftest import SR

AUDIO = np.zeros((2, 100), np.float32)


@pytest.mark.parametrize(
    "proc", [lanedsp.Compressor(), lanedsp.EnvelopeFollower()], ids=["compressor", "envelope"]
)
class TestBadAudio:
    def test_wrong_ndim(self, proc):
        for shape in [(), (1, 1, 1, 10)]:
            with pytest.raises(ValueError, match="shape"):
                proc(np.zeros(shape, np.float32), SR)

    def test_no_channels(self, proc):
        for shape in [(0, 10), (0, 2, 10), (3, 0, 10)]:
            with pytest.raises(ValueError, match="no channels"):
                proc(np.zeros(shape, np.float32), SR)

    def test_wrong_dtype(self, proc):
        for dtype in [np.int16, np.int32, np.float16, np.complex64, object, bool]:
            with pytest.raises(TypeError, match="dtype"):
                proc(np.zeros((2, 10), dtype=dtype), SR)

    def test_not_an_array(self, proc):
        with pytest.raises(TypeError, match="numpy.ndarray"):
            proc([[0.0] * 10], SR)
        with pytest.raises(TypeError, match="numpy.ndarray"):
            proc(None, SR)

    def test_sample_rate(self, proc):
        for sr in [0, -48000, float("nan"), float("inf"), -0.0]:
            with pytest.raises(ValueError, match="sample_rate"):
                proc(AUDIO, sr)
        for sr in ["48000", None, [48000], True]:
            with pytest.raises(TypeError, match="sample_rate"):
                proc(AUDIO, sr)
        with pytest.raises(ValueError, match="sample rate"):
            proc(AUDIO, 1e300)  # past float32

    def test_too_many_channels(self, proc):
        with pytest.raises(ValueError, match="channels"):
            proc(np.zeros((lanedsp.MAX_CHANNELS + 1, 1), np.float32), SR)

    def test_state_survives_errors(self, proc):
        audio = np.linspace(0, 1, 200, dtype=np.float32).reshape(2, 100)
        want = proc(audio, SR)
        proc.reset()
        half = proc.process(audio[:, :50], SR)
        with pytest.raises(TypeError):
            proc.process(audio[:, 50:].astype(np.int32), SR)
        rest = proc.process(audio[:, 50:], SR)
        np.testing.assert_array_equal(np.concatenate([half, rest], axis=1), want)


def test_bad_compressor_settings():
    cases = [
        (dict(ratio=0.5), ValueError, "ratio"),
        (dict(ratio=float("nan")), ValueError, "ratio"),
        (dict(threshold_db=float("nan")), ValueError, "threshold_db"),
        (dict(threshold_db=1000), ValueError, "threshold_db"),
        (dict(knee_db=-1), ValueError, "knee_db"),
        (dict(attack_ms=-1), ValueError, "attack"),
        (dict(release_ms=float("inf")), ValueError, "release"),
        (dict(mix=1.5), ValueError, "mix"),
        (dict(range_db=-3), ValueError, "range_db"),
        (dict(makeup_db="loud"), ValueError, "makeup_db"),
        (dict(makeup_db=float("nan")), ValueError, "makeup_db"),
        (dict(mode="squash"), ValueError, "mode"),
        (dict(detection="psychic"), ValueError, "detection"),
        (dict(link="mono"), ValueError, "link"),
        (dict(link=[[0, -1]]), ValueError, "link"),
        (dict(link=[["a"]]), TypeError, "link"),
        (dict(link=5), TypeError, "link"),
        (dict(link_amount=2), ValueError, "link_amount"),
        (dict(link_mode="sum"), ValueError, "link_mode"),
        (dict(ratio="4"), TypeError, "ratio"),
        (dict(threshold_db=None, ratio=[4]), TypeError, "ratio"),
        (dict(isa="sse9"), ValueError, "ISA"),
        (dict(isa=3), TypeError, "isa"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=message):
            lanedsp.Compressor(**kwargs)


def test_unavailable_isa():
    missing = [i for i in ("scalar", "avx2", "avx512", "neon") if i not in lanedsp.available_isas()]
    for name in missing:
        with pytest.raises(ValueError, match="not available"):
            lanedsp.Compressor(isa=name)


def test_bad_link_for_the_audio():
    with pytest.raises(ValueError, match="channel 2"):
        lanedsp.Compressor(link=[[0, 2]])(AUDIO, SR)
    with pytest.raises(ValueError, match="link"):
        lanedsp.Compressor(link="all")(np.zeros((lanedsp.MAX_LINK + 1, 10), np.float32), SR)
    with pytest.raises(ValueError, match="link"):
        lanedsp.Compressor(link=[[0, 1], [1, 0]])(AUDIO, SR)


def test_bad_sidechain():
    comp = lanedsp.Compressor()
    with pytest.raises(ValueError, match="sidechain"):
        comp(AUDIO, SR, sidechain=np.zeros((2, 99), np.float32))
    with pytest.raises(ValueError, match="sidechain"):
        comp(AUDIO, SR, sidechain=np.zeros((1, 2, 100), np.float32))
    with pytest.raises(TypeError, match="sidechain"):
        comp(AUDIO, SR, sidechain=np.zeros((2, 100), np.int16))


def test_bad_envelope_settings():
    with pytest.raises(ValueError, match="attack_ms"):
        lanedsp.EnvelopeFollower(attack_ms=-1)
    with pytest.raises(ValueError, match="release_ms"):
        lanedsp.EnvelopeFollower(release_ms=float("nan"))
    with pytest.raises(TypeError, match="attack_ms"):
        lanedsp.EnvelopeFollower(attack_ms="fast")
    with pytest.raises(ValueError, match="sample_rate"):
        lanedsp.EnvelopeFollower(sample_rate=0)
    env = lanedsp.EnvelopeFollower()
    with pytest.raises(TypeError, match="sample_rate"):
        env(AUDIO)  # no rate anywhere
    with pytest.raises(TypeError, match="sample_rate"):
        env.process_buffer(np.zeros(10))
    env = lanedsp.EnvelopeFollower(48000)
    with pytest.raises(ValueError, match="1-D"):
        env.process_buffer(AUDIO)
    with pytest.raises(TypeError, match="levels"):
        env.process_buffer(["a", "b"])


def test_low_level_buffers_checked():
    """The extension checks what the Python layer normally guarantees."""
    from lanedsp import _lanedsp

    env = _lanedsp.Envelope(SR, 2, 0.001, 0.01)
    with pytest.raises(ValueError, match="whole number"):
        env.process(None, np.zeros(5, np.float32), False)
    with pytest.raises(ValueError, match="match"):
        env.process(np.zeros(4, np.float32), np.zeros(6, np.float32), False)
    with pytest.raises(ValueError, match="contiguous"):
        env.process(np.zeros(8, np.float32)[::2], np.zeros(4, np.float32), False)
    with pytest.raises(TypeError):
        env.process(None, np.zeros(4, np.float64), False)
    buf = np.zeros(4, np.float32)
    with pytest.raises(Exception):
        env.process(buf, buf, False)  # aliasing is refused, not undefined
    buf.flags.writeable = False
    with pytest.raises((ValueError, TypeError)):
        env.process(None, buf, False)
