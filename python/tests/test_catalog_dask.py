"""examples/catalog_dask.py on a two-worker LocalCluster whose workers run
different ISAs gives the same manifest as a single-process run."""

import importlib.util
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

import lanedsp

sf = pytest.importorskip("soundfile")
distributed = pytest.importorskip("dask.distributed")

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "catalog_dask.py"


def load_example():
    spec = importlib.util.spec_from_file_location("catalog_dask", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_catalog(root: Path) -> int:
    """A small tree of WAV files: two sample rates, mono and stereo, 16-bit
    and float, lengths that differ within a batch."""
    rng = np.random.default_rng(2024)
    count = 0
    layout = [("albums/a", 48_000, 2, "PCM_16", 7), ("albums/b", 44_100, 2, "FLOAT", 5),
              ("stems", 48_000, 1, "PCM_24", 6)]
    for folder, rate, channels, subtype, n in layout:
        (root / folder).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            frames = int(rate * rng.uniform(0.2, 0.6))
            t = np.arange(frames) / rate
            tone = np.sin(2 * np.pi * rng.uniform(80, 2000) * t)[:, None]
            burst = (np.sin(2 * np.pi * 3 * t) > 0)[:, None]
            audio = (tone * (0.05 + 0.8 * burst) + 0.01 * rng.standard_normal((frames, channels)))
            sf.write(str(root / folder / f"track{i:02d}.wav"), audio.clip(-1, 1), rate, subtype=subtype)
            count += 1
    return count


def test_manifest_same_on_mixed_isa_cluster(tmp_path):
    example = load_example()
    files = make_catalog(tmp_path / "in")
    settings = dict(threshold_db=-24.0, ratio=4.0, attack_ms=5.0, release_ms=80.0,
                    makeup_db="auto", link="stereo")
    single, _ = example.process_catalog(str(tmp_path / "in"), str(tmp_path / "single"), settings)
    assert len(single) == files

    isas = lanedsp.available_isas()
    forced = ["scalar", isas[-1]]  # the most portable and the widest
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        manifest, reports = example.process_catalog(
            str(tmp_path / "in"), str(tmp_path / "cluster"), settings, client,
            batch_files=3, isa_per_worker=forced, timeout=120,
        )
    assert manifest == single
    assert len({r["pid"] for r in reports}) == 2, "both workers took batches"
    assert {r["isa"] for r in reports} == set(forced)
    written = json.loads((tmp_path / "cluster" / "manifest.json").read_text())
    assert written == json.loads((tmp_path / "single" / "manifest.json").read_text())
    # The outputs are float WAVs whose samples hash as recorded.
    for rel, entry in written.items():
        data, rate = sf.read(str(tmp_path / "cluster" / rel), dtype="float32", always_2d=True)
        assert rate == entry["sample_rate"] and data.shape == (entry["frames"], entry["channels"])
        assert hashlib.sha256(data.astype("<f4").tobytes()).hexdigest() == entry["sha256"]
