"""Direction discovery: SeFa and GANSpace-style PCA, stored as ``.npz`` and applied as offsets.

- **SeFa** (Shen & Zhou 2021, closed-form factorisation): the directions that change the first
  linear maps reading the latent the most are the top eigenvectors of ``AᵀA``, where ``A`` stacks
  those maps' weight matrices (column-normalised, as the reference code does). For style-based
  models the maps are the style affines of the chosen style layers, in W; for GAN/DCGAN/VAE
  generators it is the first layer's weight over z.
- **PCA** (GANSpace, Härkönen et al. 2020): principal components of sampled w (models with W),
  computed as a stepwise job. Sampled z are isotropic, so PCA in z finds nothing: it is refused.

A direction set carries one ``scale`` per direction (the standard deviation of sampled latents
along it), so offsets are given in standard deviations, and optionally the range of style layers
it was computed for; the explorer applies ``Σ offset_i · scale_i · vector_i`` to those layers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engine.errors import LatentLabError
from engine.families import LoadedModel
from engine.families.base import Capabilities

METHODS = ("sefa", "pca")
Progress = tuple[int, int, str]


class DirectionsError(LatentLabError, ValueError):
    """Directions cannot be computed, read or applied (the message says why)."""


@dataclass(frozen=True)
class Directions:
    """``vectors`` [K, D] unit rows in ``space`` ("z" or "w"), ``scales`` [K] and the style-layer
    range ``layers`` = (start, stop) they are meant for (None = every layer / z)."""

    method: str
    space: str
    vectors: np.ndarray
    scales: np.ndarray
    layers: tuple[int, int] | None = None
    model: str = ""

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.scales.shape != (self.vectors.shape[0],):
            raise DirectionsError(f"vectors {self.vectors.shape} and scales {self.scales.shape} do not match")
        if self.space not in ("z", "w"):
            raise DirectionsError(f"space must be 'z' or 'w', got {self.space!r}")

    def __len__(self) -> int:
        return self.vectors.shape[0]

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    def offset(self, amounts: Sequence[float]) -> np.ndarray:
        """``Σ amount_i · scale_i · vector_i`` ([D]); ``amounts`` in standard deviations, one per direction
        (fewer are padded with zeros)."""
        a = np.zeros(len(self), np.float64)
        if len(amounts) > len(self):
            raise DirectionsError(f"{len(amounts)} amounts for {len(self)} directions")
        a[: len(amounts)] = np.asarray(amounts, np.float64)
        return ((a * self.scales)[:, None] * self.vectors).sum(0).astype(np.float32)

    def check_model(self, model: LoadedModel) -> None:
        """Raise :class:`DirectionsError` unless these directions fit ``model``'s latent space."""
        self.check(model.capabilities)

    def check(self, caps: Capabilities) -> None:
        """Raise :class:`DirectionsError` unless these directions fit a model with ``caps``."""
        if self.space == "w":
            if caps.w_space is None:
                raise DirectionsError(f"these directions are in W; {caps.family} models have no W space")
            if self.dim != caps.w_space.w_dim:
                raise DirectionsError(f"directions have {self.dim} dims, the model's w has {caps.w_space.w_dim}")
            if self.layers is not None and not 0 <= self.layers[0] < self.layers[1] <= caps.w_space.num_ws:
                raise DirectionsError(f"layer range {self.layers} outside 0..{caps.w_space.num_ws}")
        elif self.dim != caps.z_dim:
            raise DirectionsError(f"directions have {self.dim} dims, the model's z has {caps.z_dim}")

    def save(self, path: str | Path) -> Path:
        """Write an ``.npz`` (plain arrays and a JSON header; loading executes nothing)."""
        path = Path(path)
        header = {"method": self.method, "space": self.space, "layers": self.layers, "model": self.model}
        np.savez(path, vectors=self.vectors, scales=self.scales, header=np.array(json.dumps(header)))
        return path if path.suffix == ".npz" else path.with_name(path.name + ".npz")

    @classmethod
    def load(cls, path: str | Path) -> Directions:
        try:
            with np.load(path, allow_pickle=False) as d:
                header = json.loads(str(d["header"]))
                vectors, scales = d["vectors"].astype(np.float32), d["scales"].astype(np.float32)
        except (OSError, KeyError, ValueError) as e:
            raise DirectionsError(f"{path}: not a LatentLab directions file ({e})") from e
        layers = tuple(header["layers"]) if header.get("layers") is not None else None
        return cls(header.get("method", "?"), header["space"], vectors, scales, layers, header.get("model", ""))


def _parse_layers(model: LoadedModel, layers: tuple[int, int] | None) -> tuple[int, int] | None:
    caps = model.capabilities
    if caps.w_space is None:
        if layers is not None:
            raise DirectionsError(f"{caps.family} models have no style layers; leave the layer range out")
        return None
    n = caps.w_space.num_ws
    if layers is None:
        return None
    a, b = layers
    if not 0 <= a < b <= n:
        raise DirectionsError(f"layer range {a}-{b} must satisfy 0 <= start < stop <= {n}")
    return (a, b)


@torch.no_grad()
def _scales(model: LoadedModel, vectors: torch.Tensor, space: str, n: int = 2000, seed: int = 0) -> torch.Tensor:
    """Standard deviation of sampled latents (z, or w = map(z)) along each vector."""
    z = model.sample_z(range(seed, seed + n)).float()
    if space == "z":
        lat = z
    else:
        c = model.one_hot(None, n)
        lat = torch.cat(
            [model.map(z[i : i + 500], None if c is None else c[i : i + 500])[:, 0] for i in range(0, n, 500)]
        )
    proj = lat.cpu().double() @ vectors.double().T
    return proj.std(dim=0).float().clamp_min(1e-6)


@torch.no_grad()
def sefa(model: LoadedModel, k: int = 10, layers: tuple[int, int] | None = None) -> Directions:
    """SeFa directions of ``model`` (style layers ``layers`` = (start, stop) for models with W)."""
    layers = _parse_layers(model, layers)
    mats = model.latent_weights()
    if not mats:
        raise DirectionsError(f"{model.capabilities.family} models expose no latent weights for SeFa")
    if layers is not None:
        mats = [(i, w) for i, w in mats if layers[0] <= i < layers[1]]
        if not mats:
            raise DirectionsError(f"no style layer with a weight in range {layers}")
    a = torch.cat([w.detach().double().cpu() for _, w in mats], dim=0)  # [sum out, D]
    a = a / a.norm(dim=0, keepdim=True).clamp_min(1e-12)
    eigval, eigvec = torch.linalg.eigh(a.T @ a)
    order = eigval.argsort(descending=True)[: max(1, min(k, a.shape[1]))]
    vectors = eigvec[:, order].T.float()
    space = "w" if model.capabilities.w_space is not None else "z"
    scales = _scales(model, vectors, space)
    name = str(model.meta.get("name") or model.meta.get("path") or model.family)
    return Directions("sefa", space, vectors.numpy(), scales.numpy(), layers, name)


def pca_job(
    model: LoadedModel,
    k: int = 10,
    n: int = 10000,
    batch: int = 500,
    layers: tuple[int, int] | None = None,
    seed: int = 0,
    cancel: Callable[[], bool] | None = None,
) -> Generator[Progress, None, Directions]:
    """GANSpace PCA of ``n`` sampled w (a job: yields progress, returns the directions)."""
    caps = model.capabilities
    if caps.w_space is None:
        raise DirectionsError("PCA needs a W space (sampled z are isotropic: every direction is equal); use SeFa")
    layers = _parse_layers(model, layers)
    if n < 2 * k or n < 10:
        raise DirectionsError(f"PCA of {k} components needs more samples than {n}")
    cancel = cancel or (lambda: False)
    chunks = []
    steps = -(-n // batch) + 1
    with torch.no_grad():
        for i, start in enumerate(range(seed, seed + n, batch)):
            if cancel():
                raise DirectionsError("cancelled")
            m = min(batch, seed + n - start)
            z = model.sample_z(range(start, start + m))
            c = model.one_hot(None, m)
            chunks.append(model.map(z, c)[:, 0].double().cpu())
            yield i + 1, steps, f"sampled {min(n, (i + 1) * batch)}/{n} w"
    w = torch.cat(chunks)
    mean = w.mean(0)
    _, s, vh = torch.linalg.svd(w - mean, full_matrices=False)
    kk = max(1, min(k, vh.shape[0]))
    vectors = vh[:kk].float()
    scales = (s[:kk] / (len(w) - 1) ** 0.5).float()
    yield steps, steps, "principal components"
    name = str(model.meta.get("name") or model.meta.get("path") or model.family)
    return Directions("pca", "w", vectors.numpy(), scales.numpy(), layers, name)


def compute(model: LoadedModel, method: str, **kwargs: object) -> Generator[Progress, None, Directions]:
    """A job for ``method`` ("sefa" | "pca")."""
    if method == "sefa":
        kw = {k: v for k, v in kwargs.items() if k in ("k", "layers")}
        yield 0, 1, "factorising weights"
        return sefa(model, **kw)  # type: ignore[arg-type]
    if method == "pca":
        return (yield from pca_job(model, **kwargs))  # type: ignore[arg-type]
    raise DirectionsError(f"unknown method {method!r} (known: {', '.join(METHODS)})")
