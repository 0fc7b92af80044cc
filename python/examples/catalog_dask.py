#!/usr/bin/env python3
"""Compress a catalog of audio files on a Dask cluster with lanedsp.

Every audio file under INPUT (WAV, FLAC, AIFF, OGG: whatever soundfile
reads) is compressed and written as a 32-bit float WAV at the same relative
path under OUTPUT, and OUTPUT/manifest.json records the SHA-256 of each
output's float32 samples. Files are grouped by sample rate and channel
count, and each Dask task takes one batch of such files and runs all of
them in the SIMD lanes of one processor call (a (tracks, channels, samples)
array, shorter files zero-padded at the end, which changes none of their
samples). The output is bit-identical on every CPU, so the manifest does not
depend on which worker, or which ISA, processed which batch.

    # a local cluster of 4 single-threaded workers
    python catalog_dask.py music/ out/ --local-workers 4
    # a running cluster (dask scheduler / dask worker ...)
    python catalog_dask.py music/ out/ --scheduler tcp://10.0.0.5:8786
    # no Dask at all
    python catalog_dask.py music/ out/ --no-dask

Workers need lanedsp, numpy and soundfile installed and must see INPUT and
OUTPUT at the same paths (a shared file system). Each worker uses the widest
ISA its CPU runs, or the one LANEDSP_ISA names in its environment;
``--isa-per-worker scalar,avx2`` forces ISAs on the workers in address
order (for testing that the manifest does not change).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import soundfile as sf

import lanedsp

AUDIO_SUFFIXES = {".wav", ".flac", ".aif", ".aiff", ".ogg", ".oga"}
MANIFEST = "manifest.json"


def find_audio(root: Path) -> List[Path]:
    """Every audio file under ``root``, in a stable order."""
    return sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES)


def plan_batches(
    root: Path, files: Sequence[Path], batch_files: int
) -> List[Tuple[int, int, List[str]]]:
    """Batches of at most ``batch_files`` relative paths sharing a sample
    rate and channel count: (sample_rate, channels, paths)."""
    groups: Dict[Tuple[int, int], List[str]] = {}
    for path in files:
        info = sf.info(str(path))
        groups.setdefault((info.samplerate, info.channels), []).append(
            str(path.relative_to(root))
        )
    batches = []
    for (rate, channels), paths in sorted(groups.items()):
        for i in range(0, len(paths), batch_files):
            batches.append((rate, channels, paths[i : i + batch_files]))
    return batches


def process_batch(
    in_root: str,
    out_root: str,
    sample_rate: int,
    paths: Sequence[str],
    settings: Dict[str, Any],
    isa: Optional[str] = None,
) -> Dict[str, Any]:
    """Reads ``paths`` (one sample rate and channel count), compresses them
    all in one lanedsp call, writes each as a float WAV and returns their
    manifest entries and what ran where."""
    started = time.perf_counter()
    tracks = [sf.read(os.path.join(in_root, p), dtype="float32", always_2d=True)[0] for p in paths]
    channels = tracks[0].shape[1]
    longest = max(t.shape[0] for t in tracks)
    batch = np.zeros((len(tracks), channels, longest), dtype=np.float32)
    for i, t in enumerate(tracks):
        batch[i, :, : t.shape[0]] = t.T
    comp = lanedsp.Compressor(**settings, isa=isa)
    dsp_started = time.perf_counter()
    out = comp(batch, float(sample_rate))
    dsp_seconds = time.perf_counter() - dsp_started
    entries = {}
    for i, (path, t) in enumerate(zip(paths, tracks)):
        frames = np.ascontiguousarray(out[i, :, : t.shape[0]].T)  # (frames, channels)
        rel = str(Path(path).with_suffix(".wav"))
        target = os.path.join(out_root, rel)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        sf.write(target, frames, sample_rate, subtype="FLOAT")
        entries[rel] = {
            "source": path,
            "sample_rate": sample_rate,
            "channels": channels,
            "frames": int(t.shape[0]),
            "sha256": hashlib.sha256(frames.astype("<f4").tobytes()).hexdigest(),
        }
    return {
        "entries": entries,
        "isa": comp.isa,
        "pid": os.getpid(),
        "samples": int(sum(t.size for t in tracks)),
        "seconds": time.perf_counter() - started,
        "dsp_seconds": dsp_seconds,
    }


def process_catalog(
    in_root: str,
    out_root: str,
    settings: Dict[str, Any],
    client: Any = None,
    batch_files: int = 16,
    isa_per_worker: Optional[Sequence[str]] = None,
    timeout: Optional[float] = None,
) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    """Processes the catalog, on ``client``'s cluster or (``None``) in this
    process, writes the manifest and returns it with the per-batch reports.
    ``timeout``: seconds to wait for the cluster (None: no limit)."""
    root = Path(in_root)
    batches = plan_batches(root, find_audio(root), batch_files)
    os.makedirs(out_root, exist_ok=True)
    if client is None:
        reports = [
            process_batch(in_root, out_root, rate, paths, settings) for rate, _, paths in batches
        ]
    else:
        if __name__ != "__main__":
            # Imported as a module (by a test, or another script): ship this
            # file to the workers so they can import it too. Run as a script,
            # its functions travel by value.
            client.upload_file(__file__)
        workers = sorted(client.scheduler_info()["workers"])
        futures = []
        for i, (rate, _, paths) in enumerate(batches):
            isa, placement = None, {}
            if isa_per_worker:
                w = i % len(workers)
                isa = isa_per_worker[w % len(isa_per_worker)]
                placement = dict(workers=[workers[w]], allow_other_workers=False)
            futures.append(
                client.submit(
                    process_batch, in_root, out_root, rate, paths, settings, isa,
                    pure=False, **placement,
                )
            )
        from dask.distributed import wait

        wait(futures, timeout=timeout)
        reports = client.gather(futures)
    manifest = {rel: entry for r in reports for rel, entry in sorted(r["entries"].items())}
    manifest = dict(sorted(manifest.items()))
    with open(os.path.join(out_root, MANIFEST), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    return manifest, reports


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input", help="folder tree of audio files")
    ap.add_argument("output", help="folder for the float WAV outputs and manifest.json")
    where = ap.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786)")
    where.add_argument("--local-workers", type=int, default=2, help="workers of a local cluster (default 2)")
    where.add_argument("--no-dask", action="store_true", help="process in this process")
    ap.add_argument("--batch-files", type=int, default=16, help="files per task (default 16)")
    ap.add_argument("--isa-per-worker", help="comma-separated ISAs forced on the workers in address order")
    ap.add_argument("--threshold-db", type=float, default=-18.0)
    ap.add_argument("--ratio", type=float, default=4.0)
    ap.add_argument("--knee-db", type=float, default=6.0)
    ap.add_argument("--attack-ms", type=float, default=10.0)
    ap.add_argument("--release-ms", type=float, default=100.0)
    ap.add_argument("--makeup-db", default="0", help="dB, or 'auto'")
    ap.add_argument("--mode", default="compress", choices=["compress", "upward", "expand", "gate"])
    ap.add_argument("--link", default="stereo", choices=["none", "stereo", "all"])
    args = ap.parse_args(argv)
    settings = dict(
        threshold_db=args.threshold_db,
        ratio=args.ratio,
        knee_db=args.knee_db,
        attack_ms=args.attack_ms,
        release_ms=args.release_ms,
        makeup_db=args.makeup_db if args.makeup_db == "auto" else float(args.makeup_db),
        mode=args.mode,
        link=args.link,
    )
    lanedsp.Compressor(**settings)  # bad settings fail here, not on the workers
    isas = args.isa_per_worker.split(",") if args.isa_per_worker else None
    started = time.perf_counter()
    if args.no_dask:
        manifest, reports = process_catalog(args.input, args.output, settings, None, args.batch_files)
    else:
        from dask.distributed import Client, LocalCluster

        if args.scheduler:
            client, cluster = Client(args.scheduler), None
        else:
            cluster = LocalCluster(n_workers=args.local_workers, threads_per_worker=1)
            client = Client(cluster)
        try:
            manifest, reports = process_catalog(
                args.input, args.output, settings, client, args.batch_files, isas
            )
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
    wall = time.perf_counter() - started
    samples = sum(r["samples"] for r in reports)
    busy = sum(r["seconds"] for r in reports)
    dsp = sum(r["dsp_seconds"] for r in reports)
    used = sorted({(r["pid"], r["isa"]) for r in reports})
    print(f"{len(manifest)} files in {len(reports)} batches, {samples / 1e6:.1f} M samples")
    print(f"wall {wall:.2f} s; task time {busy:.2f} s = {samples / max(busy, 1e-9) / 1e6:.1f} M samples/s per core")
    print(f"of which lanedsp {dsp:.2f} s = {samples / max(dsp, 1e-9) / 1e6:.0f} M samples/s; the rest is decoding, writing and hashing")
    print("workers (pid, isa):", ", ".join(f"{pid} {isa}" for pid, isa in used))
    print(f"manifest: {os.path.join(args.output, MANIFEST)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
