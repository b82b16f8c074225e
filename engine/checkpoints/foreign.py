"""Foreign checkpoint formats, converted into native family implementations.

A file is first read safely according to its sniffed container (weights-only ``torch.load`` for
PyTorch files, the allow-listed unpickler for raw pickles). The loaded object is then offered to
each entry of :data:`FORMATS` that accepts that container; the first whose ``detect(obj)`` says
yes builds the model with ``load(path, obj)``. To support a new format, add a module with those two
functions and one :class:`ForeignFormat` line.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from engine.checkpoints.errors import CheckpointError
from engine.checkpoints.fill import assign, build_empty
from engine.checkpoints.lazy_pickle import load_pickle_lazy
from engine.checkpoints.safe_unpickle import load_torch
from engine.checkpoints.sniff import PICKLE, TORCH_CONTAINERS, sniff
from engine.families import LoadedModel, get_family
from engine.models.stylegan2 import StyleGAN2Config
from engine.nn.fir import make_fir

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ForeignFormat:
    """One foreign format: the containers it comes in and the module that reads it.

    ``module`` must define ``detect(obj) -> bool`` and ``load(path, obj) -> LoadedModel``; it is
    imported only when a file of a matching container is opened.
    """

    name: str
    containers: tuple[str, ...]
    module: str
    description: str

    def detect(self, obj: Any) -> bool:
        return bool(importlib.import_module(self.module).detect(obj))

    def load(self, path: Path, obj: Any) -> LoadedModel:
        return importlib.import_module(self.module).load(path, obj)


FORMATS: tuple[ForeignFormat, ...] = (
    ForeignFormat(
        "rosinality",
        TORCH_CONTAINERS,
        "engine.checkpoints.rosinality",
        "rosinality/stylegan2-pytorch checkpoint",
    ),
    ForeignFormat("nvlabs", (PICKLE,), "engine.checkpoints.nvlabs", "NVlabs stylegan2-ada-pytorch network pickle"),
    ForeignFormat(
        "gan_zoo", TORCH_CONTAINERS, "engine.checkpoints.gan_zoo", "facebookresearch/pytorch_GAN_zoo checkpoint"
    ),
    ForeignFormat(
        "cyclegan_pix2pix",
        TORCH_CONTAINERS,
        "engine.checkpoints.cyclegan_pix2pix",
        "pytorch-CycleGAN-and-pix2pix generator",
    ),
    ForeignFormat("stargan", TORCH_CONTAINERS, "engine.checkpoints.stargan", "StarGAN generator checkpoint"),
    ForeignFormat("psp", TORCH_CONTAINERS, "engine.checkpoints.psp", "pixel2style2pixel (pSp) encoder checkpoint"),
)


def read_container(path: str | Path, kind: str) -> Any:
    """Safely read the object in ``path`` for the sniffed container ``kind``. A raw pickle's tensors
    are left in the file as :class:`~engine.checkpoints.lazy_pickle.LazyTensor` placeholders (a
    snapshot holds G, D and G_ema; only what a loader uses is read)."""
    if kind in TORCH_CONTAINERS:
        return load_torch(path)
    if kind == PICKLE:
        return load_pickle_lazy(path)
    raise CheckpointError(path, f"unknown container '{kind}'")


def _keys(obj: Mapping[Any, Any], limit: int = 8) -> str:
    keys = [repr(str(k)) for k in obj]
    if len(keys) <= limit:
        return f"[{', '.join(keys)}]"
    return f"[{', '.join(keys[:limit])}, …] ({len(keys)} keys)"


def describe_unknown(obj: Any, kind: str) -> str:
    """A one-line reason naming what the file holds, for formats nobody claims."""
    what = "pickle" if kind == PICKLE else "torch checkpoint"
    if isinstance(obj, Mapping):
        return f"{what} with keys {_keys(obj)} is not a format LatentLab knows"
    return f"{what} holding a {type(obj).__name__} is not a format LatentLab knows"


def identify(obj: Any, kind: str) -> ForeignFormat | None:
    """The first format in :data:`FORMATS` that claims ``obj`` (read from container ``kind``)."""
    for fmt in FORMATS:
        if kind in fmt.containers and fmt.detect(obj):
            return fmt
    return None


def load_foreign(path: str | Path, kind: str | None = None) -> LoadedModel:
    """Load a foreign checkpoint (container ``kind`` as sniffed; sniffed here when None).

    Returns a LoadedModel whose meta has ``source`` (the format name), ``classes`` and ``name``.
    Raises :class:`CheckpointError` with a one-line reason for unknown, unsupported, refused or
    corrupt content.
    """
    p = Path(path)
    kind = kind or sniff(p)
    obj = read_container(p, kind)
    fmt = identify(obj, kind)
    if fmt is None:
        raise CheckpointError(p, describe_unknown(obj, kind))
    try:
        model = fmt.load(p, obj)
    except CheckpointError:
        raise
    except Exception as e:  # malformed content inside a recognised layout
        raise CheckpointError(p, f"malformed {fmt.description} ({type(e).__name__}: {e})") from e
    model.meta["source"] = fmt.name
    model.meta.setdefault("discriminator", "not read (the generator is what LatentLab loads)")
    model.meta.setdefault("classes", [])
    model.meta["name"] = p.stem
    log.info("loaded %s as %s (%s)", p.name, fmt.name, model.family)
    return model


def build_stylegan2(
    path: Path,
    cfg: StyleGAN2Config,
    tensors: Mapping[str, torch.Tensor],
    meta: dict[str, Any],
    noise_seed: int = 0,
) -> LoadedModel:
    """Build the native StyleGAN2 generator for ``cfg`` from native-named ``tensors``.

    Resample filters come from the module itself; a missing ``mapping.w_avg`` is left at zero
    for the caller to fill (see :func:`estimate_w_avg`). A layer without noise buffers gets seeded
    random ``noise_const`` (and, if it also has no ``noise_strength``, strength 0, i.e. no noise).
    Every other tensor must be present with the native shape.
    """
    family = get_family("stylegan2")
    module = build_empty(family, cfg)  # shapes only: the file's tensors become the parameters
    own = module.state_dict()
    gen = torch.Generator().manual_seed(noise_seed)
    full: dict[str, torch.Tensor] = {}
    missing: list[str] = []
    for name, ref in own.items():
        if name in tensors:
            t = tensors[name]
            if tuple(t.shape) != tuple(ref.shape):
                raise CheckpointError(path, f"{name} has shape {tuple(t.shape)}, expected {tuple(ref.shape)}")
            full[name] = t.to(ref.dtype)
        elif name.endswith("resample_filter"):
            full[name] = make_fir()  # the fixed [1, 3, 3, 1] filter
        elif name == "mapping.w_avg":
            full[name] = torch.zeros(ref.shape)  # filled in by the caller (stored or estimated)
        elif name.endswith("noise_const"):
            full[name] = torch.randn(ref.shape, generator=gen)
        elif name.endswith("noise_strength") and name.replace("noise_strength", "noise_const") not in tensors:
            full[name] = torch.zeros(ref.shape)
        else:
            missing.append(name)
    if missing:
        raise CheckpointError(path, f"checkpoint lacks {len(missing)} tensors, e.g. {', '.join(missing[:4])}")
    extra = sorted(set(tensors) - set(own))
    if extra:
        raise CheckpointError(path, f"checkpoint has tensors the generator lacks, e.g. {', '.join(extra[:4])}")
    assign(module, full)
    return family.wrap(module, cfg, meta)


W_AVG_SAMPLES = 4096
W_AVG_SEED = 1


@torch.no_grad()
def estimate_w_avg(model: LoadedModel, n: int = W_AVG_SAMPLES, seed: int = W_AVG_SEED) -> torch.Tensor:
    """Mean of ``mapping(randn(n, z_dim))`` with a fixed seed (rosinality's ``mean_latent``).

    Conditional models get uniformly random one-hot labels, as NVlabs' fixtures/training do.
    """
    gen = torch.Generator().manual_seed(seed)
    caps = model.capabilities
    z = torch.randn(n, caps.z_dim, generator=gen)
    c = None
    if caps.classes:
        labels = torch.randint(0, len(caps.classes), (n,), generator=gen)
        c = torch.nn.functional.one_hot(labels, len(caps.classes)).float().to(model.device)
    return model.map(z.to(model.device), c)[:, 0].mean(dim=0)


__all__ = [
    "FORMATS",
    "W_AVG_SAMPLES",
    "W_AVG_SEED",
    "ForeignFormat",
    "build_stylegan2",
    "describe_unknown",
    "estimate_w_avg",
    "identify",
    "load_foreign",
    "read_container",
]
