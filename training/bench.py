"""Training throughput: images per second of a family's training step on synthetic data.

The step is timed as the loop runs it — a batch drawn from the in-memory uint8 data, then the step,
its losses going into a :class:`training.loop.LossMeter`, so no host sync happens inside the timed
steps; the device is synchronised once before and once after. With ``breakdown`` the parts of the
step that the trainer marks (:meth:`training.trainers.base.Trainer.lap`) are timed too (a sync at
each mark on an asynchronous device).
"""

from __future__ import annotations

import platform
import time
from collections import defaultdict
from dataclasses import dataclass, field
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
    warmup_seconds: float = 0.0
    """Time of the untimed warm-up steps (includes ``torch.compile``'s compilation when it is on)."""
    hparams: dict[str, Any] = field(default_factory=dict)
    """The hyper-parameters the step ran with (the preset's, with the overrides applied)."""
    breakdown: dict[str, dict[str, float]] = field(default_factory=dict)
    """Per part of the step: ``ms_per_step`` (its time over all timed steps / steps), ``calls`` and
    ``ms_per_call``; ``data`` is drawing the batch, ``rest`` what the trainer does not mark."""


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
    return ImageDataset(images, summary, xflip=preset.xflip, labels=labels, class_names=names)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


class LapTimer:
    """Time since the previous mark, summed per part name (the ``lap_timer`` of a trainer)."""

    def __init__(self, device: torch.device, enabled: bool) -> None:
        self.device, self.enabled = device, enabled
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._t = 0.0

    def start(self) -> None:
        if self.enabled:
            _sync(self.device)
            self._t = time.perf_counter()

    def __call__(self, name: str) -> None:
        if not self.enabled:
            return
        _sync(self.device)
        now = time.perf_counter()
        self.seconds[name] += now - self._t
        self.calls[name] += 1
        self._t = now

    def clear(self) -> None:
        self.seconds.clear()
        self.calls.clear()

    def table(self, steps: int) -> dict[str, dict[str, float]]:
        return {
            k: {
                "ms_per_step": round(1000 * v / steps, 3),
                "calls": self.calls[k],
                "ms_per_call": round(1000 * v / self.calls[k], 3),
            }
            for k, v in self.seconds.items()
        }


def bench_train(
    name: str,
    batch: int | None = None,
    steps: int = 20,
    warmup: int = 3,
    device: str | None = None,
    tiny: bool = False,
    threads: int | None = None,
    hparams: dict[str, Any] | None = None,
    breakdown: bool = False,
) -> BenchResult:
    """Time ``steps`` training steps (after ``warmup`` untimed ones) of ``name``'s preset config.

    ``threads``: CPU intra-op threads (default ``$LATENTLAB_THREADS`` or all cores; on a machine shared
    with other work, fewer threads than cores can be many times faster). ``hparams``: hyper-parameters
    over the preset's (e.g. ``{"bf16": False}`` to time a speed setting off). ``breakdown``: also time
    the parts of the step (see :class:`BenchResult`)."""
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
    hp = {**preset.hparams, **(hparams or {})}
    trainer = make_trainer(preset.family, model_cfg, hp, dev)
    if trainer.data_kind not in ("images", "labelled", *TRANSLATION_KINDS):
        raise ValueError(f"no synthetic data for '{trainer.data_kind}' trainers yet")
    data = _synthetic(preset, trainer.data_kind, max(64, 4 * batch))
    trainer.attach_data(data)
    gen = torch.Generator().manual_seed(0)
    timer = LapTimer(dev, breakdown)
    trainer.lap_timer = timer
    meter = LossMeter()

    def one_step(i: int) -> None:
        timer.start()
        batch_i = data.sample(batch, gen)
        timer("data")
        meter.add(trainer.step(batch_i, i))
        timer("rest")

    t0 = time.perf_counter()
    for i in range(warmup):
        one_step(i)
    _sync(dev)
    warmup_seconds = time.perf_counter() - t0
    timer.clear()
    t0 = time.perf_counter()
    for i in range(warmup, warmup + steps):
        one_step(i)
    _sync(dev)
    seconds = time.perf_counter() - t0
    trainer.lap_timer = None
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
        warmup_seconds=round(warmup_seconds, 3),
        hparams=hp,
        breakdown=timer.table(steps) if breakdown else {},
    )


def as_dict(r: BenchResult) -> dict[str, Any]:
    from dataclasses import asdict

    return {"benchmark": "train", **asdict(r)}
