#!/usr/bin/env python3
"""Side-by-side speed of lanedsp and the baselines, in one run, on the same
arrays (run by hand, not in the tests):

- the seed's envelope follower loop, compiled with Numba (@njit), exactly
  the loop lanedsp's compatibility layer replaces;
- pedalboard's Compressor (JUCE), looping over the tracks (it takes one
  (channels, samples) array per call);
- lanedsp, every track's channels in the lanes of one call.

    target/py-venv/bin/pip install numba pedalboard
    (cd python && VIRTUAL_ENV=$PWD/../target/py-venv ../target/py-venv/bin/maturin develop --release)
    target/py-venv/bin/python python/bench.py [--repeats 5] [--quick]

It refuses the test-profile build that python/run-tests installs (debug
assertions on): figures come from a release build only.

Figures are Msamples/s per sample-channel (best of the repeats, after one
untimed warm-up call; Numba's JIT compile time is reported on its own), and
ratios against the baseline of each case. Nothing is multi-threaded.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import platform
import subprocess
import sys
import time

import numpy as np

SR = 48_000
ATTACK_MS, RELEASE_MS = 5.0, 120.0


def seed_loop_source():
    """The seed's loop (levels >= 0): c = exp(-1/(t * 0.001 * sr)); env from
    0; c = attack if x > env else release; env = x + (env - x) * c."""

    def process_buffer(levels, sample_rate, attack_ms, release_ms):
        c_attack = math.exp(-1.0 / (attack_ms * 0.001 * sample_rate))
        c_release = math.exp(-1.0 / (release_ms * 0.001 * sample_rate))
        out = np.empty_like(levels)
        env = 0.0
        for i in range(levels.shape[0]):
            x = levels[i]
            c = c_attack if x > env else c_release
            env = x + (env - x) * c
            out[i] = env
        return out

    return process_buffer


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def best_time(fn, repeats):
    fn()  # warm-up (caches, page faults, lazy builds)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def program(shape, seed):
    """Music-like test audio: noise under a slowly varying envelope with
    loud bursts, so the processors attack and release all the time."""
    rng = np.random.default_rng(seed)
    n = shape[-1]
    t = np.arange(n) / SR
    env = 0.05 + 0.6 * (np.sin(2 * np.pi * 1.3 * t) > 0.2) + 0.2 * np.sin(2 * np.pi * 0.07 * t) ** 2
    return (rng.standard_normal(shape) * env).astype(np.float32)


ROWS = []


def row(case, name, samples, seconds, base=None):
    rate = samples / seconds / 1e6
    ratio = "" if base is None else f"{base / seconds:.1f}x"
    ROWS.append((case, name, f"{rate:,.1f}", ratio))
    print(f"  {name:<46} {rate:>9,.1f} Msamples/s  {seconds * 1e3:>9.1f} ms  {ratio}", flush=True)


NUMBA_SEED = """
import math, numba
@numba.njit
def f(levels, sr, a, r):
    ca = math.exp(-1.0 / (a * 0.001 * sr)); cr = math.exp(-1.0 / (r * 0.001 * sr))
    out = np.empty_like(levels); env = 0.0
    for i in range(levels.shape[0]):
        x = levels[i]; c = ca if x > env else cr
        env = x + (env - x) * c; out[i] = env
    return out
f(np.ones(48000, np.float32), 48000.0, 5.0, 120.0)
"""


def first_call_times():
    """Import plus first call, each in a fresh interpreter (best of 3),
    timed after numpy's import (which every option needs), and numpy's
    import on its own."""
    snippets = {
        "import numpy (every option needs it)": ("", "import numpy as np"),
        "import lanedsp + first envelope call (1 s, 1 ch)": (
            "import numpy as np",
            "import lanedsp; lanedsp.EnvelopeFollower(48000, 5, 120).process_buffer(np.ones(48000, np.float32))",
        ),
        "import lanedsp + first compressor call (1 s, 2 ch)": (
            "import numpy as np",
            "import lanedsp; lanedsp.Compressor(threshold_db=-18)(np.ones((2, 48000), np.float32), 48000)",
        ),
        "import numba + first @njit call of the seed loop (JIT)": ("import numpy as np", NUMBA_SEED),
    }
    out = {}
    for name, (setup, code) in snippets.items():
        timed = f"{setup}\nimport time\n_t = time.perf_counter()\n{code}\nprint(time.perf_counter() - _t)"
        best = math.inf
        for _ in range(3):
            res = subprocess.run([sys.executable, "-c", timed], capture_output=True, text=True)
            if res.returncode != 0:
                best = math.nan
                print(f"  {name}: failed: {res.stderr.strip().splitlines()[-1:]}")
                break
            best = min(best, float(res.stdout.strip().splitlines()[-1]))
        out[name] = best
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="a tenth of the audio (a smoke run)")
    args = ap.parse_args()
    scale = 0.1 if args.quick else 1.0

    import lanedsp
    from lanedsp import _lanedsp

    if not _lanedsp.RELEASE_BUILD:
        sys.exit(
            "bench.py: lanedsp is a test-profile build (python/run-tests installs one); "
            "build a release first: cd python && maturin develop --release"
        )

    try:
        import numba
    except ImportError:
        numba = None
        print("numba is not installed: pip install numba")
    try:
        import pedalboard
    except ImportError:
        pedalboard = None
        print("pedalboard is not installed: pip install pedalboard")

    print(f"CPU: {cpu_name()} ({os.cpu_count()} logical CPUs)")
    print(
        f"date: {datetime.date.today()}  python {platform.python_version()}  numpy {np.__version__}"
        f"  numba {getattr(numba, '__version__', '-')}  pedalboard {getattr(pedalboard, '__version__', '-')}"
    )
    print(f"lanedsp {lanedsp.__version__}: ISA {lanedsp.isa_selection()}, available {lanedsp.available_isas()}")

    # -- compressor: 16 tracks x 2 channels x 30 s ---------------------------
    n = int(30 * SR * scale)
    tracks = program((16, 2, n), seed=1)
    total = tracks.size
    kw = dict(threshold_db=-18.0, ratio=4.0, attack_ms=10.0, release_ms=100.0)
    print(f"\nCompressor, 16 tracks x 2 channels x {n / SR:g} s ({total / 1e6:.1f} M samples)")
    base = None
    if pedalboard is not None:
        pb = pedalboard.Compressor(**kw)

        def run_pedalboard():
            return [pb(track, SR) for track in tracks]

        base = best_time(run_pedalboard, args.repeats)
        row("compressor", "pedalboard.Compressor, loop over 16 tracks", total, base, base)
    comp = lanedsp.Compressor(**kw)
    row("compressor", "lanedsp.Compressor, one call (16 x 2 lanes)", total,
        best_time(lambda: comp(tracks, SR), args.repeats), base)
    linked = lanedsp.Compressor(**kw, link="stereo")
    row("compressor", "lanedsp.Compressor link='stereo', one call", total,
        best_time(lambda: linked(tracks, SR), args.repeats), base)
    row("compressor", "lanedsp.Compressor, loop over 16 tracks", total,
        best_time(lambda: [comp(t, SR) for t in tracks], args.repeats), base)
    row("compressor", "(reference: numpy copy of the array)", total,
        best_time(lambda: tracks.copy(), args.repeats), base)
    tracks64 = tracks.astype(np.float64)
    row("compressor", "lanedsp.Compressor, one call, float64 in/out", total,
        best_time(lambda: comp(tracks64, SR), args.repeats), base)
    for isa in lanedsp.available_isas():
        forced = lanedsp.Compressor(**kw, isa=isa)
        row("compressor", f"lanedsp.Compressor, one call, isa={isa}", total,
            best_time(lambda: forced(tracks, SR), args.repeats), base)
    del tracks, tracks64

    # -- envelope: the seed's batch, 10 tracks x 100 s -------------------------
    n = int(100 * SR * scale)
    levels = np.abs(program((10, n), seed=2))  # float32 levels, the same arrays for everyone
    total = levels.size
    print(f"\nEnvelope follower, 10 tracks x {n / SR:g} s ({total / 1e6:.1f} M samples), float32 levels")
    base = None
    seed = seed_loop_source()
    if numba is not None:
        jitted = numba.njit(seed)
        t = time.perf_counter()
        jitted(levels[0, :1000], float(SR), ATTACK_MS, RELEASE_MS)
        jit_seconds = time.perf_counter() - t
        print(f"  (Numba JIT compile of the seed loop: {jit_seconds * 1e3:.0f} ms, not in the figures)")
        base = best_time(lambda: [jitted(x, float(SR), ATTACK_MS, RELEASE_MS) for x in levels], args.repeats)
        row("envelope 10", "seed loop, Numba @njit, loop over 10 tracks", total, base, base)
        levels64 = levels.astype(np.float64)
        jitted(levels64[0, :1000], float(SR), ATTACK_MS, RELEASE_MS)
        row("envelope 10", "seed loop, Numba @njit, float64 levels", total,
            best_time(lambda: [jitted(x, float(SR), ATTACK_MS, RELEASE_MS) for x in levels64], args.repeats), base)
        del levels64
    env = lanedsp.EnvelopeFollower(attack_ms=ATTACK_MS, release_ms=RELEASE_MS)
    row("envelope 10", "lanedsp.EnvelopeFollower, one call (10 lanes)", total,
        best_time(lambda: env(levels, SR), args.repeats), base)
    row("envelope 10", "(reference: numpy copy of the array)", total,
        best_time(lambda: levels.copy(), args.repeats), base)
    compat = lanedsp.VectorizedEnvelopeFollower(SR, ATTACK_MS, RELEASE_MS, use_numba=True)
    row("envelope 10", "lanedsp compat process_buffer, loop over 10", total,
        best_time(lambda: [compat.process_buffer(x) for x in levels], args.repeats), base)

    # -- envelope: one 100 s track ---------------------------------------------
    one = np.ascontiguousarray(levels[0])
    total = one.size
    print(f"\nEnvelope follower, one {n / SR:g} s track ({total / 1e6:.1f} M samples)")
    base = None
    if numba is not None:
        base = best_time(lambda: jitted(one, float(SR), ATTACK_MS, RELEASE_MS), args.repeats)
        row("envelope 1", "seed loop, Numba @njit", total, base, base)
    row("envelope 1", "lanedsp.EnvelopeFollower, 1-D (chunks in lanes)", total,
        best_time(lambda: env(one, SR), args.repeats), base)
    row("envelope 1", "(reference: numpy copy of the array)", total,
        best_time(lambda: one.copy(), args.repeats), base)
    del levels

    # -- import and first call ---------------------------------------------------
    print("\nImport plus first call, fresh interpreter, after numpy's import (best of 3)")
    for name, seconds in first_call_times().items():
        print(f"  {name:<58} {seconds * 1e3:8.1f} ms")

    print("\n| case | implementation | Msamples/s | vs baseline |")
    print("|---|---|---:|---:|")
    for case, name, rate, ratio in ROWS:
        print(f"| {case} | {name} | {rate} | {ratio or '-'} |")


if __name__ == "__main__":
    main()
