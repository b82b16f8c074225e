"""The model-family contract: capabilities the GUI reads, and the operations a loaded model offers.

A family is an architecture (a loss is a training choice). Each family module exposes one
:class:`ModelFamily` registered in :mod:`engine.families`. Images cross this contract as float
tensors in [-1, 1], NCHW; conversion to uint8 happens once, at the edge (``engine.render``).
"""

from __future__ import annotations

import dataclasses
import typing
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
import torch
from torch import nn

from engine.config_schema import check_config

C = TypeVar("C")
"""A family's frozen config dataclass."""
T = TypeVar("T")

DISCRIMINATOR_FIELDS = frozenset({"d_channels", "mbstd_group_size", "ndf", "d_layers", "d_conv_dim", "d_repeat_num"})
"""Config fields that describe a family's discriminator (used by training only). A model read from a
foreign file whose discriminator was not read has no truth for them (``meta["discriminator"]``)."""

TASKS = ("unconditional", "conditional", "image-to-image", "multi-domain", "autoencoder", "encoder")


@dataclass(frozen=True)
class WSpace:
    """The intermediate latent space W of style-based generators.

    ``layer_resolutions``: the resolution each style layer acts on (one per ``num_ws``), when the
    model declares it; empty means the StyleGAN2 layout (see :meth:`Capabilities.layer_resolution`).
    """

    w_dim: int
    num_ws: int
    has_w_avg: bool
    layer_resolutions: tuple[int, ...] = ()


@dataclass(frozen=True)
class ImageInput:
    """What an image-to-image / encoder model takes as input: ``size``×``size`` images of ``channels``.

    ``stride`` > 0 declares a fully convolutional model: it also takes any H×W that are multiples of
    ``stride`` (a large photo can run at its own size); its activations take about
    ``bytes_per_pixel`` bytes per input pixel (for a memory estimate before running). 0: the model
    takes ``size``×``size`` only.

    ``domains``: the names of domains A and B of an image-to-image model ("edges", "colour") when
    the model declares them (empty: unnamed). ``exclusive_domains``: a multi-domain model's target
    domains are exclusive (each image is in exactly one: translate to one domain at a time, a
    one-hot target) rather than attributes that combine (a multi-hot target).
    """

    channels: int
    size: int
    directions: tuple[str, ...] = ()
    stride: int = 0
    bytes_per_pixel: int = 0

    @property
    def fully_convolutional(self) -> bool:
        return self.stride > 0

    domains: tuple[str, ...] = ()
    exclusive_domains: bool = False

    def direction_name(self, direction: str) -> str:
        """``AtoB`` / ``BtoA`` in the model's words: "edges → colour" (or "A → B" when unnamed)."""
        a, b = self.domains if len(self.domains) == 2 else ("A", "B")
        return {"AtoB": f"{a} → {b}", "BtoA": f"{b} → {a}"}.get(direction, direction)


@dataclass(frozen=True)
class Progressive:
    """Progressive-growing state (PGGAN): the trained levels' resolutions (4, 8, ... up to the level
    being trained) and the fade-in alpha of the last one (its weight against the level below; 1 =
    fully faded in). Models with it take ``level`` (index into ``levels``) and ``alpha`` options."""

    levels: tuple[int, ...]
    alpha: float

    def viewed(self, options: Mapping[str, float | int | str]) -> tuple[int, float]:
        """The (level index, alpha) that view ``options`` show: without a valid ``level`` the top
        trained level at the trained alpha; a level alone at alpha 1 (the trained alpha for the top
        level); level 0 always at alpha 1 (there is no level below it)."""
        top = len(self.levels) - 1
        raw_level, raw_alpha = options.get("level"), options.get("alpha")
        level = int(raw_level) if raw_level is not None else None
        if level is None or not 0 <= level <= top:
            return top, float(self.alpha)
        if level == 0:
            return 0, 1.0
        if raw_alpha is None:
            return level, float(self.alpha) if level == top else 1.0
        return level, float(raw_alpha)


@dataclass(frozen=True)
class Capabilities:
    """What a loaded model can do; the GUI builds its panels from this, never from ``family``.

    ``noise_resolutions``: the resolution of each noise layer (one per ``noise_layers``) when the
    model declares it; empty means the StyleGAN2 layout. ``input_transform``: the output can be
    translated and rotated per call (StyleGAN3: ``synthesize(ws, transform=InputTransform(...))``,
    see :mod:`engine.input_transform`).

    ``preview_resolutions``: resolutions below ``resolution`` at which the model renders a valid,
    cheaper image of the same latent (e.g. the RGB a skip generator has accumulated at that block);
    its ``generate``/``synthesize`` then take ``preview=R`` and return an R×R image. Empty: no preview.
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
    preview_resolutions: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.task not in TASKS:
            raise ValueError(f"unknown task {self.task!r}; known: {TASKS}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def renders_latent(self) -> bool:
        """Whether frames render from a latent: a z, or a W space (not so for translators)."""
        return self.w_space is not None or self.z_dim > 0

    def preview_for(self, size: int) -> int | None:
        """The smallest preview resolution that is at least ``size`` pixels (None when there is none
        below the full resolution: render the full frame)."""
        fits = [r for r in self.preview_resolutions if r >= size]
        return min(fits) if fits else None

    def layer_resolution(self, index: int, kind: str = "style") -> int | None:
        """The resolution a style layer (``kind="style"``) or noise layer (``"noise"``) acts on.

        The per-layer resolutions the model declares (``w_space.layer_resolutions`` /
        ``noise_resolutions``, e.g. StyleGAN v1 where both are two per resolution), else the
        StyleGAN2 layout where style layers ``2k-1, 2k`` (and noise layers alike) belong to
        resolution ``4 * 2**k``; None when the counts match neither.
        """
        if kind not in ("style", "noise"):
            raise ValueError(f"kind must be 'style' or 'noise', got {kind!r}")
        if kind == "style":
            declared = self.w_space.layer_resolutions if self.w_space else ()
        else:
            declared = self.noise_resolutions
        if declared:
            return declared[index] if 0 <= index < len(declared) else None
        res = self.resolution
        if res < 4 or res & (res - 1):
            return None
        levels = res.bit_length() - 2  # 4 → 1 level, 8 → 2, ...
        if kind == "style":
            if self.w_space is None or self.w_space.num_ws != 2 * levels:
                return None
        elif self.noise_layers != 2 * levels - 1:
            return None
        k = (index + 1) // 2
        return min(4 * 2**k, res)


class LoadedModel(ABC, Generic[C]):
    """A model on a device, ready for inference. Operations exist exactly when the capability does.

    Subclasses implement :meth:`capabilities` plus the operations their capabilities promise:
    ``map``/``synthesize`` when ``w_space`` is set, ``generate`` when ``z_dim > 0``, and so on.
    ``config`` is the family's typed config ``C``; ``family`` the name of the family that wrapped it
    (:meth:`ModelFamily.wrap`).
    """

    def __init__(self, module: nn.Module, config: C, meta: dict[str, Any] | None = None, *, family: str) -> None:
        self.module = module.eval().requires_grad_(False)
        self.config: C = config
        self.meta: dict[str, Any] = dict(meta or {})
        self.family = family

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

    def truncate(self, ws: torch.Tensor, psi: float, cutoff: int | None = None) -> torch.Tensor:
        """ws [N, num_ws, w_dim] pulled toward :attr:`w_avg`: ``w_avg + psi (w - w_avg)`` on the first
        ``cutoff`` style layers (all when None). Models with ``w_space.has_w_avg``."""
        from engine.models.stylegan2 import truncate  # the one formula (the modules' mapping uses it too)

        if ws.ndim != 3:
            raise ValueError(f"ws must be [N, num_ws, w_dim], got {tuple(ws.shape)}")
        return truncate(ws, self.w_avg.to(ws.dtype), psi, cutoff)

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


class MappedW:
    """``w_avg`` and ``map`` for models whose module has a StyleGAN2-style ``mapping`` network
    (``mapping(z, c, psi=, cutoff=)`` and its ``w_avg`` buffer): StyleGAN2 and StyleGAN3. List it
    before :class:`LoadedModel` in the bases."""

    module: Any

    @property
    def w_avg(self) -> torch.Tensor:
        return self.module.mapping.w_avg

    def map(
        self, z: torch.Tensor, c: torch.Tensor | None = None, psi: float = 1.0, cutoff: int | None = None
    ) -> torch.Tensor:
        return self.module.mapping(z, c, psi=psi, cutoff=cutoff)


@dataclass(frozen=True, eq=False)
class ModelFamily(Generic[C]):
    """One architecture, declared: its name, config class, inference module, model class and a tiny config.

    A family module declares exactly one (``FAMILY = ModelFamily(...)``) and :mod:`engine.families`
    registers it by name. The declaration builds modules (``module_cls(config)``), wraps them as
    :class:`LoadedModel` (``model_cls(module, config, meta, family=name)``), and turns the plain dicts
    stored in model files into typed configs and back (:meth:`config_from_dict`, the one place where a
    dict becomes a config).
    """

    name: str
    description: str
    config_cls: type[C]
    module_cls: Callable[[C], nn.Module]
    """Builds the inference module (e.g. the generator) from a config."""
    model_cls: type[LoadedModel[C]]
    tiny: C = dataclasses.field(repr=False)
    """A very small config for conformance tests on CPU."""

    def __post_init__(self) -> None:
        if not dataclasses.is_dataclass(self.config_cls) or not isinstance(self.tiny, self.config_cls):
            raise TypeError(f"{self.name}: config_cls must be a dataclass and tiny one of its instances")

    def build(self, config: C) -> nn.Module:
        """The inference module (e.g. the generator) for ``config``, with fresh weights."""
        return self.module_cls(config)

    def wrap(self, module: nn.Module, config: C, meta: dict[str, Any] | None = None) -> LoadedModel[C]:
        """Wrap a built module (weights loaded) as a LoadedModel."""
        return self.model_cls(module, config, meta, family=self.name)

    def new(self, config: C, meta: dict[str, Any] | None = None) -> LoadedModel[C]:
        """A freshly initialised model (random weights)."""
        return self.wrap(self.build(config), config, meta)

    def tiny_config(self) -> C:
        """A very small config for conformance tests on CPU."""
        return self.tiny

    def config_to_dict(self, config: C) -> dict[str, Any]:
        """The plain (JSON-able) dict of ``config``, as model files store it."""
        return dataclasses.asdict(config)  # type: ignore[call-overload]

    def config_from_dict(self, d: dict[str, Any]) -> C:
        """The typed config of a plain dict (lists become tuples, nested configs are built too); unknown
        fields are an error naming them."""
        return config_from_dict(self.config_cls, d, self.name)


def config_from_dict(cls: type[T], d: dict[str, Any], what: str) -> T:
    """``cls(**d)`` for a frozen config dataclass: lists become tuples and a dict for a field whose type is
    itself a dataclass (pSp's ``decoder``) becomes that dataclass; ``what`` names the config in errors.
    Types and bounds are checked first, before anything is built (:func:`engine.config_schema.check_config`)."""
    check_config(cls, d, f"{what} ")
    fields = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    unknown = set(d) - fields
    if unknown:
        raise ValueError(f"unknown {what} config fields: {sorted(unknown)}")
    kwargs: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            hint = typing.get_type_hints(cls).get(k)
            if isinstance(hint, type) and dataclasses.is_dataclass(hint):
                v = config_from_dict(hint, v, f"{what} {k}")
        kwargs[k] = tuple(v) if isinstance(v, list) else v
    return cls(**kwargs)
