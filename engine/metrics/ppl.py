"""Perceptual path length (Karras et al. 2019, StyleGAN §4.1): how smoothly images change along latent paths.

For ``n`` pairs of latents the generator renders the images at ``t`` and ``t + ε`` on the path between
them (``t ~ U(0, 1)`` for "full" paths, ``t = 0`` for "end" points), and the perceptual distance of the
two images divided by ``ε²`` is one sample; PPL is the mean of the samples after dropping those below
the 1st and above the 99th percentile. Paths are linear in W (models with a mapping network: z → w for
both ends, no truncation, the same w for every layer, constant noise) or spherical in z (other
generators).

The paper's distance is LPIPS on VGG-16. No pretrained VGG ships with LatentLab, so the distance is
the LPIPS-style :class:`~engine.latent.recon_loss.FeatureDistance` on the conv stages of a bundled
classifier (the one trained on the model's data): numbers compare models measured with the same
network, not with published PPLs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import torch

from engine.families import LoadedModel
from engine.latent.ops import slerp
from engine.latent.recon_loss import FeatureDistance
from engine.metrics.errors import Cancelled, MetricError
from engine.metrics.features import adapt_images

Progress = tuple[int, int, str]
SAMPLING = ("full", "end")


@dataclass(frozen=True)
class PPLOptions:
    """``space``: "auto" (w when the model has a W space, else z), "w" or "z"."""

    n: int = 2000
    epsilon: float = 1e-4
    sampling: str = "full"
    space: str = "auto"
    batch: int = 50
    seed: int = 0

    def __post_init__(self) -> None:
        if self.n < 2 or self.batch < 1:
            raise MetricError(f"PPL needs n >= 2 and batch >= 1, got n={self.n}, batch={self.batch}")
        if not 0 < self.epsilon < 0.1:
            raise MetricError(f"PPL epsilon must be in (0, 0.1), got {self.epsilon}")
        if self.sampling not in SAMPLING:
            raise MetricError(f"PPL sampling must be one of {', '.join(SAMPLING)}, got {self.sampling!r}")
        if self.space not in ("auto", "w", "z"):
            raise MetricError(f"PPL space must be auto, w or z, got {self.space!r}")


@dataclass(frozen=True)
class PPLReport:
    """The trimmed mean of the path-length samples and how they were taken."""

    model: str
    distance: str
    ppl: float
    space: str
    sampling: str
    n: int
    epsilon: float
    seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def trimmed_mean(samples: np.ndarray, low: float = 1.0, high: float = 99.0) -> float:
    """Mean of the samples between the ``low`` and ``high`` percentiles (inclusive), as the paper's code."""
    if samples.ndim != 1 or samples.size == 0:
        raise MetricError(f"expected a non-empty 1-d array of samples, got shape {samples.shape}")
    lo, hi = np.percentile(samples, low, method="lower"), np.percentile(samples, high, method="higher")
    kept = samples[(samples >= lo) & (samples <= hi)]
    return float(kept.mean())


def _space(model: LoadedModel, requested: str) -> str:
    has_w = model.capabilities.w_space is not None
    if requested == "w" and not has_w:
        raise MetricError(f"{model.family} models have no W space; measure PPL in z")
    if requested == "auto":
        return "w" if has_w else "z"
    return requested


def _pair_images(
    model: LoadedModel, z0: torch.Tensor, z1: torch.Tensor, t: torch.Tensor, eps: float, space: str, c: Any
) -> tuple[torch.Tensor, torch.Tensor]:
    if space == "w":
        num_ws = model.capabilities.w_space.num_ws  # type: ignore[union-attr]
        w0, w1 = model.map(z0, c)[:, 0], model.map(z1, c)[:, 0]
        tt = t[:, None]
        a = torch.lerp(w0, w1, tt)
        b = torch.lerp(w0, w1, tt + eps)
        ws = torch.cat([a, b])[:, None, :].expand(-1, num_ws, -1)
        images = model.synthesize(ws.contiguous(), noise_mode="const")
    else:
        a = torch.stack([slerp(z0[i : i + 1], z1[i : i + 1], float(t[i]))[0] for i in range(len(t))])
        b = torch.stack([slerp(z0[i : i + 1], z1[i : i + 1], float(t[i]) + eps)[0] for i in range(len(t))])
        cc = None if c is None else torch.cat([c, c])
        images = model.generate(torch.cat([a, b]), cc)
    m = len(t)
    return images[:m], images[m:]


def perceptual_path_length(
    model: LoadedModel,
    distance: FeatureDistance,
    opts: PPLOptions | None = None,
    cancel: Callable[[], bool] | None = None,
    label: str | None = None,
    distance_name: str = "feature distance",
) -> Generator[Progress, None, PPLReport]:
    """Measure PPL of ``model`` (a job: yields progress per batch, returns a :class:`PPLReport`)."""
    opts = opts or PPLOptions()
    cancel = cancel or (lambda: False)
    caps = model.capabilities
    if caps.z_dim <= 0:
        raise MetricError(f"{model.family} models do not generate from a latent; PPL needs a generator")
    space = _space(model, opts.space)
    device = model.device
    distance = distance.to(device)
    gen = torch.Generator().manual_seed(opts.seed)
    k = len(caps.classes)
    total = -(-opts.n // opts.batch)
    samples: list[np.ndarray] = []
    t0 = time.perf_counter()
    with torch.inference_mode():
        for step, i in enumerate(range(0, opts.n, opts.batch)):
            if cancel():
                raise Cancelled("PPL cancelled")
            m = min(opts.batch, opts.n - i)
            z0 = torch.randn(m, caps.z_dim, generator=gen).to(device)
            z1 = torch.randn(m, caps.z_dim, generator=gen).to(device)
            t = torch.rand(m, generator=gen) * ((1.0 - opts.epsilon) if opts.sampling == "full" else 0.0)
            c = model.one_hot([(i + j) % k for j in range(m)], m) if k else None
            a, b = _pair_images(model, z0, z1, t.to(device), opts.epsilon, space, c)
            x = adapt_images(torch.cat([a, b]).float().clamp(-1, 1), distance.resolution, distance.channels)
            d = distance(x[:m], x[m:]).double().cpu().numpy() / opts.epsilon**2
            samples.append(d)
            yield step + 1, total, f"PPL: {i + m}/{opts.n} pairs"
    values = np.concatenate(samples)
    if not np.isfinite(values).all():
        raise MetricError("PPL: non-finite path lengths (the generator produced NaN/Inf images)")
    return PPLReport(
        model=label or str(model.meta.get("name") or model.family),
        distance=distance_name,
        ppl=trimmed_mean(values),
        space=space,
        sampling=opts.sampling,
        n=len(values),
        epsilon=opts.epsilon,
        seconds=round(time.perf_counter() - t0, 2),
        settings={"seed": opts.seed, "batch": opts.batch, "median": float(np.median(values))},
    )


def classifier_distance(path: str | Any) -> tuple[FeatureDistance, str]:
    """A :class:`FeatureDistance` on the conv stages of a classifier saved at ``path``, and its name."""
    from pathlib import Path

    from engine.metrics.classifier import load_classifier
    from engine.metrics.features import weights_digest

    model, _doc = load_classifier(path)
    cfg = model.config
    name = f"classifier-lpips-{Path(path).stem}-{weights_digest(Path(path).with_suffix('.safetensors'))}"
    return FeatureDistance(model.body, cfg.channels, cfg.resolution), name


def run_ppl(
    job: Generator[Progress, None, PPLReport], on_progress: Callable[[Progress], None] | None = None
) -> PPLReport:
    """Drive a :func:`perceptual_path_length` job in the calling thread; returns its report."""
    from engine.latent.invert import run_steps

    return run_steps(job, on_progress)
