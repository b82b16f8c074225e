"""The evaluation job: features of real and generated images, then the requested metrics.

:func:`evaluate` is a generator that yields ``(done, total, message)`` once per batch (the engine
runtime's job protocol; the CLI drives it too) and returns a :class:`MetricsReport`. It checks
``cancel()`` before every step. The engine does not open datasets itself: callers pass image sources
(:func:`dataset_source` wraps anything with uint8 ``images`` [N, C, H, W], e.g. training's ImageDataset;
:func:`native_source` wraps a reader of images at their own sizes, e.g. training's NativeImages).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from engine.families import LoadedModel
from engine.metrics import cache
from engine.metrics.errors import Cancelled, MetricError
from engine.metrics.features import FeatureExtractor
from engine.metrics.fid import check_fid_samples, fid_from_features
from engine.metrics.inception_score import inception_score
from engine.metrics.kid import kernel_inception_distance
from engine.metrics.precision_recall import precision_recall
from engine.metrics.sampling import class_schedule, model_batches

log = logging.getLogger(__name__)
METRICS = ("fid", "kid", "is", "pr", "acc")
"""``acc``: conditional models only — the fraction of samples the feature network classifies as the
class they were generated for (needs a classifier trained on the same classes)."""
Progress = tuple[int, int, str]


@dataclass(frozen=True)
class ImageSource:
    """Images to evaluate: ``count`` images from ``batches(batch_size)``.

    A batch is a float tensor in [-1, 1] NCHW, or (real data at its own size, for extractors that
    take them: :class:`engine.metrics.features.InceptionExtractor`) a list of uint8 ``[C, H, W]``
    images of any sizes. ``cache_id`` (a dataset spec plus how it was read) lets real-data features
    be cached; None for generated images.
    """

    label: str
    count: int
    batches: Callable[[int], Iterator[torch.Tensor | list[torch.Tensor]]]
    cache_id: str | None = None
    labels: tuple[int, ...] | None = None
    """The class each image was generated for (conditional generators), in batch order."""
    class_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class EvalOptions:
    """What to measure and how. ``n``: images per side (real data: a seeded subset when it holds more)."""

    metrics: tuple[str, ...] = ("fid", "kid", "is", "pr")
    n: int = 10000
    batch: int = 100
    seed: int = 0
    kid_subsets: int = 100
    kid_subset_size: int = 1000
    is_splits: int = 10
    pr_k: int = 3
    use_cache: bool = True

    def __post_init__(self) -> None:
        unknown = [m for m in self.metrics if m not in METRICS]
        if unknown or not self.metrics:
            raise MetricError(f"unknown metric(s) {', '.join(unknown) or '(none)'} (known: {', '.join(METRICS)})")
        if self.n < 2 or self.batch < 1:
            raise MetricError(f"need n >= 2 and batch >= 1, got n={self.n}, batch={self.batch}")


@dataclass(frozen=True)
class MetricsReport:
    """Values of the requested metrics (None where not requested) and what they were measured on."""

    real: str
    generated: str
    features: str
    n_real: int
    n_generated: int
    fid: float | None = None
    kid_mean: float | None = None
    kid_std: float | None = None
    is_mean: float | None = None
    is_std: float | None = None
    precision: float | None = None
    recall: float | None = None
    class_accuracy: float | None = None
    seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _subset(spec: str, total: int, n: int, seed: int) -> torch.Tensor:
    """Indices of ``n`` of ``total`` images: all when ``n >= total``, else a seeded random subset in order."""
    if total < 2:
        raise MetricError(f"dataset '{spec}' has {total} image(s); metrics need at least 2")
    if n >= total:
        return torch.arange(total)
    return torch.from_numpy(np.sort(np.random.default_rng(seed).choice(total, n, replace=False)))


def dataset_source(spec: str, dataset: Any, n: int, seed: int = 0) -> ImageSource:
    """``n`` images of ``dataset`` (all when it holds ``n`` or fewer; else a seeded random subset, in order)."""
    images = dataset.images
    if not isinstance(images, torch.Tensor) or images.ndim != 4 or images.dtype != torch.uint8:
        raise MetricError(f"dataset '{spec}' must hold uint8 images [N, C, H, W]")
    idx = _subset(spec, images.shape[0], n, seed)

    def batches(b: int) -> Iterator[torch.Tensor]:
        for i in range(0, len(idx), b):
            yield images[idx[i : i + b]].float() / 127.5 - 1

    c, h, w = images.shape[1:]
    return ImageSource(spec, len(idx), batches, cache_id=f"{spec}#{c}x{h}x{w}#seed{seed}")


def native_source(
    spec: str, total: int, read: Callable[[Sequence[int]], list[torch.Tensor]], n: int, seed: int = 0
) -> ImageSource:
    """``n`` of ``total`` real images read on demand at their own size: ``read(indices)`` returns uint8
    ``[C, H, W]`` images (any sizes). The same seeded subset as :func:`dataset_source`."""
    idx = _subset(spec, total, n, seed).tolist()

    def batches(b: int) -> Iterator[list[torch.Tensor]]:
        for i in range(0, len(idx), b):
            yield read(idx[i : i + b])

    return ImageSource(spec, len(idx), batches, cache_id=f"{spec}#native#seed{seed}")


def model_source(model: LoadedModel, n: int, seed: int = 0, label: str | None = None) -> ImageSource:
    """``n`` images generated by ``model`` from seeds ``seed..seed+n-1`` (classes round-robin)."""
    name = label or str(model.meta.get("name") or model.meta.get("path") or model.family)
    classes = tuple(model.capabilities.classes)
    labels = tuple(class_schedule(n, len(classes))) if classes else None
    return ImageSource(name, n, lambda b: model_batches(model, n, b, seed), labels=labels, class_names=classes)


def class_accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """Fraction of rows whose arg-max class equals the requested label."""
    if logits.ndim != 2 or labels.shape != (logits.shape[0],):
        raise MetricError(f"logits {logits.shape} and labels {labels.shape} do not match")
    return float((logits.argmax(axis=1) == labels).mean())


def _features(
    source: ImageSource,
    extractor: FeatureExtractor,
    opts: EvalOptions,
    step: list[int],
    total: int,
    cancel: Callable[[], bool],
) -> Generator[Progress, None, tuple[np.ndarray, np.ndarray | None]]:
    feats, logits = [], []
    done = 0
    for images in source.batches(opts.batch):
        if cancel():
            raise Cancelled("evaluation cancelled")
        f, lg = extractor.extract(images)
        feats.append(f)
        if lg is not None:
            logits.append(lg)
        done += len(images)
        step[0] += 1
        yield step[0], total, f"{source.label}: {done}/{source.count} images"
    if done < 2:
        raise MetricError(f"{source.label}: got {done} image(s); metrics need at least 2")
    return np.concatenate(feats), (np.concatenate(logits) if logits else None)


def evaluate(
    real: ImageSource,
    generated: ImageSource,
    extractor: FeatureExtractor,
    opts: EvalOptions | None = None,
    cancel: Callable[[], bool] | None = None,
) -> Generator[Progress, None, MetricsReport]:
    """Measure ``generated`` against ``real``; yields progress, returns the report.

    Requests that cannot be answered are refused before any feature is computed: IS without logits,
    class accuracy without a matching classifier, and FID with fewer than ``feature_dim + 1`` images
    on either side (:func:`engine.metrics.fid.check_fid_samples`).
    """
    opts = opts or EvalOptions()
    cancel = cancel or (lambda: False)
    if "is" in opts.metrics and extractor.num_classes == 0:
        raise MetricError(f"the Inception Score needs class logits; {extractor.name} has none")
    if "acc" in opts.metrics:
        if generated.labels is None:
            raise MetricError("class accuracy needs a conditional model (its samples have requested classes)")
        if len(generated.class_names) != extractor.num_classes:
            raise MetricError(
                f"class accuracy needs a classifier of the model's {len(generated.class_names)} classes; "
                f"{extractor.name} has {extractor.num_classes}"
            )
    if "fid" in opts.metrics:
        check_fid_samples(real.count, generated.count, extractor.feature_dim, extractor.name)
    t0 = time.perf_counter()
    key = None
    cached = None
    if opts.use_cache and real.cache_id is not None:
        key = cache.cache_key(real.cache_id, extractor.name, real.count, extractor.resolution, extractor.channels)
        cached = cache.load_features(key)
    real_steps = 0 if cached is not None else -(-real.count // opts.batch)
    total = real_steps + -(-generated.count // opts.batch) + 1
    step = [0]
    if cached is not None:
        real_f, _ = cached
    else:
        real_f, real_logits = yield from _features(real, extractor, opts, step, total, cancel)
        if key is not None:
            cache.save_features(key, real_f, real_logits)
    fake_f, fake_logits = yield from _features(generated, extractor, opts, step, total, cancel)
    if cancel():
        raise Cancelled("evaluation cancelled")
    values: dict[str, Any] = {}
    if "fid" in opts.metrics:
        values["fid"] = fid_from_features(real_f, fake_f)
    if "kid" in opts.metrics:
        values["kid_mean"], values["kid_std"] = kernel_inception_distance(
            real_f, fake_f, opts.kid_subsets, opts.kid_subset_size, opts.seed
        )
    if "is" in opts.metrics:
        if fake_logits is None:
            raise MetricError(f"{extractor.name} returned no logits")
        values["is_mean"], values["is_std"] = inception_score(fake_logits, min(opts.is_splits, len(fake_logits)))
    if "pr" in opts.metrics:
        values["precision"], values["recall"] = precision_recall(real_f, fake_f, opts.pr_k)
    if "acc" in opts.metrics:
        if fake_logits is None:
            raise MetricError(f"{extractor.name} returned no logits")
        values["class_accuracy"] = class_accuracy(fake_logits, np.asarray(generated.labels))
    step[0] += 1
    yield step[0], total, "metrics computed"
    settings = {
        "metrics": list(opts.metrics),
        "seed": opts.seed,
        "kid_subsets": opts.kid_subsets,
        "kid_subset_size": min(opts.kid_subset_size, len(real_f), len(fake_f)),
        "is_splits": min(opts.is_splits, len(fake_f)),
        "pr_k": opts.pr_k,
        "protocol": getattr(extractor, "protocol", None),
        "real_cached": cached is not None,
    }
    return MetricsReport(
        real=real.label,
        generated=generated.label,
        features=extractor.name,
        n_real=len(real_f),
        n_generated=len(fake_f),
        seconds=round(time.perf_counter() - t0, 2),
        settings=settings,
        **values,
    )


def run_to_end(
    job: Generator[Progress, None, MetricsReport], on_progress: Callable[[Progress], None] | None = None
) -> MetricsReport:
    """Drive an :func:`evaluate` generator in the calling thread; returns its report."""
    from engine.latent.invert import run_steps

    return run_steps(job, on_progress)
