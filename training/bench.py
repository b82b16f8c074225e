"""Training throughput: images per second of a family's training step on synthetic data.

The step is timed as the loop runs it — losses go into a :class:`training.loop.LossMeter`, so no
host sync happens inside the timed steps; the device is synchronised once before and once after.
"""

from __future__ import annotations

import platform
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from engine.device import choose_device, configure_cpu_threads
from training.data import DataSummary, ImageDataset
from training.loop import LossMeter
from training.presets import PRESETS, Preset
from training.trainers import get_trainer, make_trainer
from training.translation_data import KINDS as TRANSLATION_KINDS
from training.translation_data import TranslationDataset


@dataclass(frozen=True)
class BenchResult:
    """What ``latentlab bench train`` prints."""

    family: str
    preset: str
    device: str
    device_name: str
    batch: int
    resolution: int
    steps: int
    warmup: int
    seconds: float
    images_per_s: float
    ms_per_step: float
    torch_threads: int
    torch_version: str


def preset_for(name: str, tiny: bool = False) -> Preset:
    """The preset a benchmark of ``name`` (a preset name or a family) uses: the family's first full preset,
    or its ``tiny-`` smoke-test preset with ``tiny=True``."""
    if name in PRESETS:
        return PRESETS[name]
    candidates = [p for p in PRESETS.values() if p.family == name and p.name.startswith("tiny-") == tiny]
    if not candidates:
        families = sorted({p.family for p in PRESETS.values()})
        raise ValueError(f"no {'tiny ' if tiny else ''}preset for '{name}' (families: {', '.join(families)})")
    return candidates[0]


def _synthetic(preset: Preset, kind: str, n: int) -> Any:
    """Random uint8 data of the trainer's kind (images, labelled, paired, unpaired, multi-domain)."""
    rng = np.random.default_rng(0)
    r, c = preset.resolution, preset.channels
    images = rng.integers(0, 256, (n, r, r, c), dtype=np.uint8)
    summary = DataSummary("synthetic", n, 0, r, c)
    if kind in TRANSLATION_KINDS:
        other = rng.integers(0, 256, (n, r, r, c), dtype=np.uint8)
        if kind != "multi-domain":
            return TranslationDataset(kind, summary, images, other)
        k = int(preset.model.get("c_dim", 0)) or 4
        domains = np.eye(k, dtype=np.float32)[rng.integers(0, k, n)]
        names = tuple(f"domain {i}" for i in range(k))
        return TranslationDataset(kind, summary, images, domains=domains, class_names=names, exclusive=True)
    labelled = kind == "labelled"
    classes = int(preset.model.get("c_dim", 0)) or (10 if labelled else 0)
    labels = rng.integers(0, classes, n).astype(np.int64) if labelled else None
    names = tuple(f"class {i}" for i in range(classes)) if labelled else ()
    return ImageDataset(images, summary, labels=labels, class_names=names)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def bench_train(
    name: str,
    batch: int | None = None,
    steps: int = 20,
    warmup: int = 3,
    device: str | None = None,
    tiny: bool = False,
    threads: int | None = None,
) -> BenchResult:
    """Time ``steps`` training steps (after ``warmup`` untimed ones) of ``name``'s preset config.

    ``threads``: CPU intra-op threads (default ``$LATENTLAB_THREADS`` or all cores; on a machine shared
    with other work, fewer threads than cores can be many times faster)."""
    if steps < 1 or warmup < 0:
        raise ValueError(f"need steps >= 1 and warmup >= 0, got {steps} and {warmup}")
    preset = preset_for(name, tiny)
    spec = get_trainer(preset.family)
    if not spec.stepped:
        raise ValueError(f"{spec.name} trains a {spec.makes}, not a generative model; benchmark a model family")
    batch = batch or preset.batch
    if batch < 1:
        raise ValueError(f"--batch must be at least 1, got {batch}")
    if threads is not None and threads < 1:
        raise ValueError(f"--threads must be at least 1, got {threads}")
    dev = choose_device(device)
    if dev.type == "cpu":
        configure_cpu_threads(threads)
    torch.manual_seed(0)
    model_cfg = {"resolution": preset.resolution, "img_channels": preset.channels, **preset.model}
    trainer = make_trainer(preset.family, model_cfg, dict(preset.hparams), dev)
    if trainer.data_kind not in ("images", "labelled", *TRANSLATION_KINDS):
        raise ValueError(f"no synthetic data for '{trainer.data_kind}' trainers yet")
    data = _synthetic(preset, trainer.data_kind, max(64, 4 * batch))
    trainer.attach_data(data)
    gen = torch.Generator().manual_seed(0)
    batches = [data.sample(batch, gen) for _ in range(4)]
    meter = LossMeter()
    for i in range(warmup):
        meter.add(trainer.step(batches[i % 4], i))
    _sync(dev)
    t0 = time.perf_counter()
    for i in range(warmup, warmup + steps):
        meter.add(trainer.step(batches[i % 4], i))
    _sync(dev)
    seconds = time.perf_counter() - t0
    meter.pop()
    name_of_device = (
        torch.cuda.get_device_name(dev) if dev.type == "cuda" else platform.processor() or platform.machine()
    )
    return BenchResult(
        family=preset.family,
        preset=preset.name,
        device=str(dev),
        device_name=name_of_device,
        batch=batch,
        resolution=preset.resolution,
        steps=steps,
        warmup=warmup,
        seconds=round(seconds, 4),
        images_per_s=round(steps * batch / seconds, 3),
        ms_per_step=round(1000 * seconds / steps, 3),
        torch_threads=torch.get_num_threads(),
        torch_version=torch.__version__,
    )


def as_dict(r: BenchResult) -> dict[str, Any]:
    from dataclasses import asdict

    return {"benchmark": "train", **asdict(r)}
