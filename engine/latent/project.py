"""Optimiser projection of an image into W or W+ (after StyleGAN2's ``projector.py``).

Starting from ``w_avg``, Adam minimises :class:`~engine.latent.recon_loss.ReconstructionLoss`
between the synthesised image and the target, with a learning-rate ramp, decaying w noise
(scaled by the spread of W) and, for models with noise inputs, optional optimisation of the
per-layer noise maps with StyleGAN2's noise regulariser (autocorrelation at every scale) and
renormalisation. :func:`project_steps` is a generator — one yield per step — so it runs as an
engine job (progress, cancel, live previews) as well as from the command line (:func:`project`).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Generator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from engine.families import LoadedModel, get_family
from engine.latent.recon_loss import LossWeights, ReconstructionLoss, bundled_feature_net
from engine.render import to_uint8

log = logging.getLogger(__name__)

SPACES = ("w", "wplus")


@dataclass(frozen=True)
class ProjectConfig:
    """Projection settings (defaults follow StyleGAN2's projector, with fewer steps)."""

    steps: int = 300
    space: str = "wplus"
    lr: float = 0.1
    lr_rampdown: float = 0.25
    lr_rampup: float = 0.05
    initial_noise_factor: float = 0.05
    noise_ramp: float = 0.75
    optimize_noise: bool = True
    noise_regularize: float = 1e5
    w_std_samples: int = 2000
    class_index: int = 0
    preview_every: int = 10
    seed: int = 0
    loss: LossWeights = LossWeights()
    perceptual: bool = True

    def __post_init__(self) -> None:
        if self.space not in SPACES:
            raise ValueError(f"projection space must be one of {SPACES}, got {self.space!r}")
        if self.steps < 1:
            raise ValueError(f"steps must be ≥ 1, got {self.steps}")


@dataclass(frozen=True)
class ProjectionResult:
    """The projected latent ``ws`` [1, num_ws, w_dim] (cpu), the optimised noise maps (name → [R, R],
    None when noise was not optimised), the reconstruction (uint8 HWC) and the final loss."""

    ws: torch.Tensor
    noise: dict[str, torch.Tensor] | None
    image: np.ndarray
    loss: float
    steps: int


PreviewFn = Callable[[np.ndarray, int, float], None]


def _has_inference_tensors(model: LoadedModel) -> bool:
    return any(t.is_inference() for t in list(model.module.parameters()) + list(model.module.buffers()))


def differentiable_copy(model: LoadedModel, force: bool = False) -> LoadedModel:
    """A copy of ``model`` whose tensors are normal (not inference-mode) tensors, so autograd can
    run through it; ``model`` itself when it already is, unless ``force`` (e.g. to optimise its
    noise buffers without touching ``model``). Models loaded on the engine thread are built under
    ``torch.inference_mode``."""
    if not force and not _has_inference_tensors(model):
        return model
    family = get_family(model.family)
    with torch.inference_mode(False):
        module = family.build(model.config)
        state = {k: v.clone() for k, v in model.module.state_dict().items()}
        module.load_state_dict(state, strict=True)
        return family.wrap(module.to(model.device), model.config, dict(model.meta))


def _noise_buffers(model: LoadedModel) -> dict[str, torch.Tensor]:
    if not model.capabilities.noise_layers:
        return {}
    return {n: b for n, b in model.module.named_buffers() if n.endswith("noise_const")}


def noise_regularizer(noises: dict[str, torch.Tensor]) -> torch.Tensor:
    """StyleGAN2's noise regulariser: squared autocorrelation (1-px shifts) at every scale down to 8 px."""
    reg = torch.zeros(())
    for v in noises.values():
        x = v[None, None]
        reg = reg.to(x.device)
        while True:
            reg = reg + (x * torch.roll(x, shifts=1, dims=3)).mean() ** 2
            reg = reg + (x * torch.roll(x, shifts=1, dims=2)).mean() ** 2
            if x.shape[2] <= 8:
                break
            x = F.avg_pool2d(x, kernel_size=2)
    return reg


@torch.no_grad()
def w_stats(model: LoadedModel, n: int, seed: int = 0, class_index: int = 0) -> tuple[torch.Tensor, float]:
    """(w_avg [w_dim], w_std): the model's w_avg (or the sample mean) and the RMS distance of n mapped z to it."""
    caps = model.capabilities
    gen = torch.Generator().manual_seed(seed)
    z = torch.randn(n, caps.z_dim, generator=gen).to(model.device)
    c = model.one_hot([class_index], n)
    w = model.map(z, c)[:, 0].float()
    avg = model.w_avg.float() if caps.w_space.has_w_avg else w.mean(dim=0)
    std = float(((w - avg).square().sum() / n).sqrt())
    return avg, std


def project_steps(
    model: LoadedModel,
    target: torch.Tensor,
    config: ProjectConfig | None = None,
    on_preview: PreviewFn | None = None,
) -> Generator[tuple[int, int, str], None, ProjectionResult]:
    """Project ``target`` [1, C, R, R] in [-1, 1] into the model's W/W+; yields ``(step, steps, message)``.

    ``on_preview(image uint8 HWC, step, loss)`` is called every ``preview_every`` steps and at the end.
    The model itself is not modified (its noise maps are optimised on a copy).
    """
    cfg = config or ProjectConfig()
    caps = model.capabilities
    if caps.w_space is None:
        raise ValueError(f"{caps.family} models have no W space to project into")
    shape = (1, caps.channels, caps.resolution, caps.resolution)
    if tuple(target.shape) != shape:
        raise ValueError(f"target must be {list(shape)}, got {list(target.shape)}")
    num_ws, w_dim = caps.w_space.num_ws, caps.w_space.w_dim
    # Grad mode is entered per step, never held across a yield: between steps the engine thread
    # renders other requests under its own inference mode.
    with _GradMode():
        work = differentiable_copy(model, force=cfg.optimize_noise and bool(_noise_buffers(model)))
        dev = work.device
        target = target.detach().clone().float().to(dev)
        w_avg, w_std = w_stats(work, cfg.w_std_samples, cfg.seed, cfg.class_index)
        k = 1 if cfg.space == "w" else num_ws
        w_opt = w_avg.detach().clone().reshape(1, 1, w_dim).repeat(1, k, 1).requires_grad_(True)
        noises = _noise_buffers(work) if cfg.optimize_noise else {}
        for buf in noises.values():
            buf.requires_grad_(True)
        features = bundled_feature_net(caps.channels, caps.resolution) if cfg.perceptual else None
        if features is not None:
            features = features.to(dev)
        loss_fn = ReconstructionLoss(cfg.loss, features)
        opt = torch.optim.Adam([w_opt, *noises.values()], betas=(0.9, 0.999), lr=cfg.lr)
    gen = torch.Generator().manual_seed(cfg.seed)
    for step in range(cfg.steps):
        t = step / cfg.steps
        w_noise_scale = w_std * cfg.initial_noise_factor * max(0.0, 1.0 - t / cfg.noise_ramp) ** 2
        lr_ramp = min(1.0, (1.0 - t) / cfg.lr_rampdown)
        lr_ramp = (0.5 - 0.5 * math.cos(lr_ramp * math.pi)) * min(1.0, t / cfg.lr_rampup)
        for g in opt.param_groups:
            g["lr"] = cfg.lr * lr_ramp
        with _GradMode():
            w_noise = torch.randn(w_opt.shape, generator=gen).to(dev) * w_noise_scale
            ws = (w_opt + w_noise).expand(1, num_ws, w_dim)
            image = work.synthesize(ws, noise_mode="const")
            rec = loss_fn(image, target).sum()
            loss = rec + cfg.noise_regularize * noise_regularizer(noises) if noises else rec
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                for buf in noises.values():
                    buf -= buf.mean()
                    buf *= buf.square().mean().rsqrt()
            loss_value = float(rec.detach())
            preview = to_uint8(image.detach())[0] if (step + 1) % max(1, cfg.preview_every) == 0 else None
        if on_preview is not None and cfg.preview_every > 0 and preview is not None:
            on_preview(preview, step + 1, loss_value)
        yield (step + 1, cfg.steps, f"step {step + 1}/{cfg.steps}: loss {loss_value:.4f}")
    with _GradMode(), torch.no_grad():
        ws = w_opt.detach().expand(1, num_ws, w_dim).clone()
        final = work.synthesize(ws, noise_mode="const")
        loss_value = float(loss_fn(final, target).sum())
        image = to_uint8(final)[0]
        noise_out = {n: b.detach().cpu().clone() for n, b in noises.items()} if noises else None
        for buf in noises.values():
            buf.requires_grad_(False)
    if on_preview is not None:
        on_preview(image, cfg.steps, loss_value)
    return ProjectionResult(ws.cpu(), noise_out, image, loss_value, cfg.steps)


class _GradMode:
    """``inference_mode(False)`` + ``enable_grad()`` as one context."""

    def __enter__(self) -> None:
        self._inf = torch.inference_mode(False)
        self._grad = torch.enable_grad()
        self._inf.__enter__()
        self._grad.__enter__()

    def __exit__(self, *exc: object) -> None:
        self._grad.__exit__(*exc)
        self._inf.__exit__(*exc)


def project(
    model: LoadedModel,
    target: torch.Tensor,
    config: ProjectConfig | None = None,
    on_preview: PreviewFn | None = None,
) -> ProjectionResult:
    """Run :func:`project_steps` to the end and return its result."""
    steps = project_steps(model, target, config, on_preview)
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value


__all__ = [
    "SPACES",
    "ProjectConfig",
    "ProjectionResult",
    "differentiable_copy",
    "noise_regularizer",
    "project",
    "project_steps",
    "w_stats",
]
