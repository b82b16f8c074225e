"""The model-family contract: capabilities the GUI reads, and the operations a loaded model offers.

A family is an architecture (a loss is a training choice). Each family module exposes one
:class:`ModelFamily` registered in :mod:`engine.families`. Images cross this contract as float
tensors in [-1, 1], NCHW; conversion to uint8 happens once, at the edge (``engine.render``).
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

TASKS = ("unconditional", "conditional", "image-to-image", "multi-domain", "autoencoder", "encoder")


@dataclass(frozen=True)
class WSpace:
    """The intermediate latent space W of style-based generators.

    ``layer_resolutions``: the resolution each style layer acts on (one per ``num_ws``), when the
    model declares it; empty means the StyleGAN2 layout (see ``app.params.layer_resolution``).
    """

    w_dim: int
    num_ws: int
    has_w_avg: bool
    layer_resolutions: tuple[int, ...] = ()


@dataclass(frozen=True)
class ImageInput:
    """What an image-to-image / encoder model takes as input."""

    channels: int
    size: int
    directions: tuple[str, ...] = ()


@dataclass(frozen=True)
class Progressive:
    """Progressive-growing state (PGGAN): the trained levels' resolutions (4, 8, ... up to the level
    being trained) and the fade-in alpha of the last one (its weight against the level below; 1 =
    fully faded in). Models with it take ``level`` (index into ``levels``) and ``alpha`` options."""

    levels: tuple[int, ...]
    alpha: float


@dataclass(frozen=True)
class Capabilities:
    """What a loaded model can do; the GUI builds its panels from this, never from ``family``.

    ``noise_resolutions``: the resolution of each noise layer (one per ``noise_layers``) when the
    model declares it; empty means the StyleGAN2 layout. ``input_transform``: the output can be
    translated and rotated per call (StyleGAN3: ``synthesize(ws, transform=InputTransform(...))``,
    see :mod:`engine.input_transform`).
    """

    family: str
    task: str
    resolution: int
    channels: int
    z_dim: int
    classes: tuple[str, ...] = ()
    w_space: WSpace | None = None
    noise_layers: int | None = None
    noise_resolutions: tuple[int, ...] = ()
    image_input: ImageInput | None = None
    progressive: Progressive | None = None
    encodes_into: str | None = None
    latent_directions: int = 0
    input_transform: bool = False

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; known: {TASKS}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class LoadedModel(ABC):
    """A model on a device, ready for inference. Operations exist exactly when the capability does.

    Subclasses implement :meth:`capabilities` plus the operations their capabilities promise:
    ``map``/``synthesize`` when ``w_space`` is set, ``generate`` when ``z_dim > 0``, and so on.
    """

    family: ClassVar[str] = ""

    def __init__(self, module: nn.Module, config: Any, meta: dict[str, Any] | None = None) -> None:
        self.module = module.eval().requires_grad_(False)
        self.config = config
        self.meta: dict[str, Any] = dict(meta or {})

    # --- identity -------------------------------------------------------------------------
    @property
    @abstractmethod
    def capabilities(self) -> Capabilities: ...

    @property
    def device(self) -> torch.device:
        try:
            return next(self.module.parameters()).device
        except StopIteration:
            return torch.device("cpu")

    def to(self, device: torch.device | str) -> LoadedModel:
        self.module.to(device)
        return self

    @property
    def class_names(self) -> tuple[str, ...]:
        return self.capabilities.classes

    # --- latent sampling -------------------------------------------------------------------
    def sample_z(self, seeds: Sequence[int]) -> torch.Tensor:
        """One standard-normal z per seed (numpy RandomState, so seeds mean the same everywhere)."""
        zd = self.capabilities.z_dim
        if zd <= 0:
            raise NotImplementedError(f"{self.family} has no z")
        z = np.stack([np.random.RandomState(int(s) % (2**32)).randn(zd) for s in seeds]).astype(np.float32)
        return torch.from_numpy(z).to(self.device)

    def one_hot(self, classes: Sequence[int] | None, n: int) -> torch.Tensor | None:
        """One-hot labels [n, num_classes] for a conditional model; None when unconditional."""
        k = len(self.capabilities.classes)
        if k == 0:
            return None
        if classes is None:
            classes = [0] * n
        if len(classes) == 1 and n > 1:
            classes = list(classes) * n
        c = torch.zeros(n, k, device=self.device)
        for i, ci in enumerate(classes):
            if not 0 <= int(ci) < k:
                raise ValueError(f"class {ci} out of range 0..{k - 1}")
            c[i, int(ci)] = 1
        return c

    # --- operations (present when the capability is) ---------------------------------------
    def generate(self, z: torch.Tensor, c: torch.Tensor | None = None, **kwargs: Any) -> torch.Tensor:
        """z [N, z_dim] → images [N, C, H, W] in about [-1, 1]."""
        raise NotImplementedError(f"{self.family} cannot generate from z")

    def map(
        self, z: torch.Tensor, c: torch.Tensor | None = None, psi: float = 1.0, cutoff: int | None = None
    ) -> torch.Tensor:
        """z → ws [N, num_ws, w_dim] (with truncation)."""
        raise NotImplementedError(f"{self.family} has no W space")

    def synthesize(
        self,
        ws: torch.Tensor,
        noise_mode: str = "const",
        noise_strengths: Sequence[float] | None = None,
        noise_seed: int | None = None,
    ) -> torch.Tensor:
        """ws [N, num_ws, w_dim] → images."""
        raise NotImplementedError(f"{self.family} has no W space")

    @property
    def w_avg(self) -> torch.Tensor:
        raise NotImplementedError(f"{self.family} has no w_avg")

    def translate(
        self, image: torch.Tensor, direction: str | None = None, target: torch.Tensor | None = None
    ) -> torch.Tensor:
        """image [N, C, S, S] in [-1, 1] → translated images. Image-to-image models take a
        ``direction`` from ``capabilities.image_input.directions`` (e.g. "AtoB"); multi-domain
        models take ``target`` [N, K] labels over ``capabilities.classes`` (several may be set)."""
        raise NotImplementedError(f"{self.family} does not translate images")

    def encode(self, image: torch.Tensor) -> torch.Tensor:
        """image [N, C, S, S] in [-1, 1] → latent in the space ``capabilities.encodes_into`` names
        ("z": [N, z_dim]; "w+": [N, num_ws, w_dim])."""
        raise NotImplementedError(f"{self.family} has no encoder")

    def decode(self, latent: torch.Tensor) -> torch.Tensor:
        """latent (as :meth:`encode` returns it) → images [N, C, H, W]."""
        raise NotImplementedError(f"{self.family} has no decoder")

    def latent_directions(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Principal directions stored with the model (``capabilities.latent_directions`` > 0):
        (unit components [K, z_dim], standard deviation of the data along each [K]), in z."""
        raise NotImplementedError(f"{self.family} stores no latent directions")

    def layer_names(self) -> list[str]:
        """Names of the inspectable intermediate layers (for the feature-map viewer)."""
        return []

    def latent_weights(self) -> list[tuple[int, torch.Tensor]]:
        """The linear maps that first read the latent, for SeFa: ``(style layer index, weight [out, D])``
        with D = w_dim for models with W (one per style layer), else ``(0, weight [out, z_dim])``."""
        return []

    def layer_module(self, name: str) -> nn.Module:
        """The module whose output is layer ``name`` (one of :meth:`layer_names`)."""
        raise ValueError(f"{self.family} model has no inspectable layer {name!r}")


@dataclass(frozen=True)
class FamilyInfo:
    name: str
    description: str
    aliases: tuple[str, ...] = field(default=())


class ModelFamily(ABC):
    """One architecture: builds modules from a frozen config and wraps them as :class:`LoadedModel`."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    config_cls: ClassVar[type]

    @abstractmethod
    def build(self, config: Any) -> nn.Module:
        """The inference module (e.g. the generator) for ``config``."""

    @abstractmethod
    def wrap(self, module: nn.Module, config: Any, meta: dict[str, Any] | None = None) -> LoadedModel:
        """Wrap a built module (weights loaded) as a LoadedModel."""

    @abstractmethod
    def tiny_config(self) -> Any:
        """A very small config for conformance tests on CPU."""

    def config_to_dict(self, config: Any) -> dict[str, Any]:
        return dataclasses.asdict(config)

    def config_from_dict(self, d: dict[str, Any]) -> Any:
        fields = {f.name: f for f in dataclasses.fields(self.config_cls)}
        unknown = set(d) - set(fields)
        if unknown:
            raise ValueError(f"unknown {self.name} config fields: {sorted(unknown)}")
        kwargs = {k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items()}
        return self.config_cls(**kwargs)

    def new(self, config: Any, meta: dict[str, Any] | None = None) -> LoadedModel:
        """A freshly initialised model (random weights)."""
        return self.wrap(self.build(config), config, meta)
