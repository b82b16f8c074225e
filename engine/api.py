"""Requests, results, job handles and typed errors exchanged with the engine thread.

Everything here is plain data (frozen dataclasses): a :class:`RenderRequest` fully describes one
frame, so rendering is a pure function of it and results can be cached.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.errors import LatentLabError

if TYPE_CHECKING:
    from engine.families.base import Capabilities

MAX_SEED = 2**31 - 1
"""The largest seed anywhere (0..MAX_SEED): what a Qt spin box holds (a signed 32-bit int), so every
seed the CLI or a file names can be shown in the explorer."""

NOISE_MODES = ("const", "random", "none")
"""Synthesis noise modes: stored constant noise, fresh random noise (seeded), or none."""


INTERP_METHODS = ("slerp", "lerp")
"""Interpolation methods: spherical (the default in z) or linear."""

LATENT_SPACES = ("z", "w")
"""Where latent arithmetic acts: z, or W for models that have it (see :func:`allowed_spaces`)."""

INTERP_SPACES = ("z", "w", "wplus")
"""Where interpolation acts: z, w (one w vector per latent, mapped after truncation), or wplus — per-layer
w (W+: ``num_ws`` codes per latent, each layer blended on its own; e.g. an inverted image). Rendering
blends w and wplus alike, layer by layer; the difference is which latents a walk admits."""

W_SPACES = ("w", "wplus")
"""The interpolation spaces that need a W space."""

MIX_SPACES = ("w", "z")
"""Where style mixing blends the two latents: w (lerp per layer) or z (slerp, then map each layer)."""


def allowed_spaces(caps: Capabilities, operation: str = "interpolation", explicit_ws: bool = False) -> tuple[str, ...]:
    """The latent spaces ``operation`` ("arithmetic" or "interpolation") can act in on a model with
    ``caps``: z, plus w (and, for interpolation, per-layer wplus) when the model has a W space. An
    explicit W+ latent (``explicit_ws``) has no z, so the z space drops out. The one rule for every
    front end (panels, parameters, walks, rendering)."""
    universe = {"arithmetic": LATENT_SPACES, "interpolation": INTERP_SPACES}.get(operation)
    if universe is None:
        raise ValueError(f"operation must be 'arithmetic' or 'interpolation', got {operation!r}")
    if caps.w_space is None:
        return ("z",)
    return tuple(s for s in universe if s != "z") if explicit_ws else universe


class EngineError(LatentLabError, RuntimeError):
    """A request or job failed; carries a one-line message for the user."""


class FrozenArray:
    """An immutable float32 array with value semantics — equal when shapes and values are equal, and
    hashable — so frozen requests and parameters hold latents (a z, W+ rows, an offset) as arrays,
    not as nested tuples of floats. ``array`` is the read-only numpy array."""

    __slots__ = ("array", "_hash")
    array: np.ndarray

    def __init__(self, values: Any) -> None:
        a = np.array(values, dtype=np.float32)
        if a.ndim == 0 or a.size == 0:
            raise ValueError(f"a latent array needs at least one value, got shape {a.shape}")
        a.setflags(write=False)
        object.__setattr__(self, "array", a)
        object.__setattr__(self, "_hash", None)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("FrozenArray is immutable")

    def __reduce__(self) -> tuple[type, tuple[np.ndarray]]:
        return FrozenArray, (self.array,)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.array.shape)

    def __len__(self) -> int:
        return int(self.array.shape[0])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenArray):
            return NotImplemented
        return self is other or (
            self.array.shape == other.array.shape and bool(np.array_equal(self.array, other.array))
        )

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash((self.array.shape, self.array.tobytes())))
        return self._hash  # type: ignore[return-value]

    def __repr__(self) -> str:
        return f"FrozenArray(shape={self.shape})"

    def tolist(self) -> list[Any]:
        """The values as (nested) lists of Python floats."""
        return self.array.tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """numpy interop (``np.asarray(a)``): the values, as a copy (the array itself is read-only)."""
        return self.array.astype(dtype or self.array.dtype, copy=True)


def as_array(values: Any, ndim: int | None = None, what: str = "latent") -> FrozenArray | None:
    """``values`` (a sequence, numpy array, CPU tensor or :class:`FrozenArray`) as a FrozenArray with
    ``ndim`` dimensions when given; None stays None."""
    if values is None:
        return None
    out = values if isinstance(values, FrozenArray) else FrozenArray(values)
    if ndim is not None and out.array.ndim != ndim:
        raise ValueError(f"{what} must have {ndim} dimension(s), got shape {out.shape}")
    return out


def _coerce(obj: object, **arrays: int) -> None:
    """Turn the named fields of a frozen dataclass into FrozenArrays of the given dimensions."""
    for name, ndim in arrays.items():
        object.__setattr__(obj, name, as_array(getattr(obj, name), ndim, name))


@dataclass(frozen=True)
class Latent:
    """Which latent a frame starts from: the z of ``seed`` (``LoadedModel.sample_z``), or an explicit
    ``z`` [z_dim], or an explicit W+ latent ``ws`` [num_ws, w_dim] (e.g. an inverted image: it is used
    instead of mapping a z, so truncation, w-space edits, style mixing (in w) and ``w_offset`` act on
    it and the z operations do not); ``class_index`` for conditional models."""

    seed: int = 0
    z: FrozenArray | None = None
    ws: FrozenArray | None = None
    class_index: int | None = None

    def __post_init__(self) -> None:
        _coerce(self, z=1, ws=2)


@dataclass(frozen=True)
class Truncation:
    """Truncation toward the average w: ``psi`` (1 = none) on the first ``cutoff`` style layers (None = all)."""

    psi: float = 1.0
    cutoff: int | None = None


@dataclass(frozen=True)
class StyleMix:
    """Style mixing toward the latent of ``seed``: one weight in [0, 1] per style layer (num_ws), 0
    keeping the frame's own latent and 1 taking the other; ``space`` "w" blends the w vectors per
    layer (lerp), "z" the z vectors (slerp) per layer, mapping each. Off while ``seed`` is None or
    every weight is 0."""

    seed: int | None = None
    weights: tuple[float, ...] = ()
    space: str = "w"

    @property
    def active(self) -> bool:
        return self.seed is not None and any(w != 0 for w in self.weights)


@dataclass(frozen=True)
class Noise:
    """Synthesis noise: ``mode`` const | random | none, a global ``strength``, one multiplier per noise
    layer in ``layer_strengths`` (empty = all 1), and the ``seed`` of random noise."""

    mode: str = "const"
    strength: float = 1.0
    layer_strengths: tuple[float, ...] = ()
    seed: int = 0


@dataclass(frozen=True)
class LatentTerm:
    """One weighted term of latent arithmetic: the latent of ``seed``, or (``seed`` None) the
    request's own latent (its seed or explicit z, with direction offsets)."""

    seed: int | None
    weight: float


@dataclass(frozen=True)
class Arithmetic:
    """Latent arithmetic: the latent becomes Σ weight · latent over ``terms`` (e.g. A − B + C),
    computed in ``space`` z or (models with W) w."""

    terms: tuple[LatentTerm, ...]
    space: str = "z"


@dataclass(frozen=True)
class Interpolation:
    """Blend the request's latent (A) toward a latent B by ``t`` in [0, 1]: ``method`` slerp | lerp,
    in ``space`` z | w | wplus (w and wplus only for models with a W space; see :data:`INTERP_SPACES`).

    B is the latent of ``seed_b``, or an explicit latent when given: ``z_b`` [z_dim] or ``ws_b``
    (W+: [num_ws, w_dim], truncated like the request's own ``ws``; needs w or wplus).
    """

    seed_b: int
    t: float
    method: str = "slerp"
    space: str = "z"
    z_b: FrozenArray | None = None
    ws_b: FrozenArray | None = None

    def __post_init__(self) -> None:
        _coerce(self, z_b=1, ws_b=2)
        if self.method not in INTERP_METHODS:
            raise ValueError(f"interpolation method must be one of {INTERP_METHODS}, got {self.method!r}")
        if self.space not in INTERP_SPACES:
            raise ValueError(f"interpolation space must be one of {INTERP_SPACES}, got {self.space!r}")
        if self.z_b is not None and self.ws_b is not None:
            raise ValueError("interpolation target B is either z_b or ws_b, not both")
        if self.ws_b is not None and self.space not in W_SPACES:
            raise ValueError(f"interpolation toward a W+ latent needs space w or wplus, got {self.space!r}")


@dataclass(frozen=True)
class Edits:
    """What is done to the latent, in this order: ``directions`` (one offset per stored latent
    direction, ``capabilities.latent_directions``, in standard deviations of the data: z += Σ
    offset_k · std_k · component_k), ``z_offset`` [z_dim] added to z, ``arithmetic``,
    ``interpolation``, then (after style mixing) ``w_offset`` [w_dim] added to the style layers' w —
    to every layer, or to layers ``w_offset_layers`` = (start, stop) only."""

    directions: tuple[float, ...] = ()
    z_offset: FrozenArray | None = None
    arithmetic: Arithmetic | None = None
    interpolation: Interpolation | None = None
    w_offset: FrozenArray | None = None
    w_offset_layers: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        _coerce(self, z_offset=1, w_offset=1)


@dataclass(frozen=True)
class View:
    """How a frame is shown: family view ``options`` as ``(name, value)`` pairs, passed as keyword
    arguments to the model's ``generate``/``synthesize`` (e.g. PGGAN's ``("level", 2), ("alpha", 0.5)``;
    which ones a model takes is declared by its capabilities, never by its family name), and the
    feature-map viewer: ``feature_layer`` (one of ``LoadedModel.layer_names()``; None = off, and then
    no hook is installed) asks for that layer's activations in ``RenderResult.features`` — all
    channels in a grid, or only ``feature_channel`` — with intensity gain ``feature_scale`` > 0.

    ``preview``: render the cheaper image at that resolution instead of the full frame (one of the
    model's ``capabilities.preview_resolutions``; None = the full frame). The frame is then
    ``preview`` pixels on a side: what the explorer shows while a slider moves on a big model, and
    what thumbnails are made of."""

    options: tuple[tuple[str, float | int | str], ...] = ()
    feature_layer: str | None = None
    feature_channel: int | None = None
    feature_scale: float = 1.0
    preview: int | None = None


@dataclass(frozen=True)
class Transform:
    """The input transform of models that have one (``Capabilities.input_transform``, StyleGAN3): move
    the image by (``translate_x``, ``translate_y``) image widths and rotate it by ``rotate`` degrees,
    as NVlabs' ``gen_images.py`` and visualizer take them (see :mod:`engine.input_transform`). The
    default is the identity (the model's stored transform applies)."""

    translate_x: float = 0.0
    translate_y: float = 0.0
    rotate: float = 0.0

    def __post_init__(self) -> None:
        for name in ("translate_x", "translate_y", "rotate"):
            value = float(getattr(self, name))
            if not math.isfinite(value):
                raise ValueError(f"transform {name} must be a finite number, got {value}")
            object.__setattr__(self, name, value)

    @property
    def is_identity(self) -> bool:
        return self.translate_x == 0 and self.translate_y == 0 and self.rotate == 0


SHORTHAND: dict[str, tuple[str, str]] = {
    "seed": ("latent", "seed"),
    "z": ("latent", "z"),
    "ws": ("latent", "ws"),
    "class_index": ("latent", "class_index"),
    "psi": ("truncation", "psi"),
    "cutoff": ("truncation", "cutoff"),
    "mix_seed": ("mix", "seed"),
    "style_mix": ("mix", "weights"),
    "mix_space": ("mix", "space"),
    "noise_mode": ("noise", "mode"),
    "noise_strength": ("noise", "strength"),
    "noise_layer_strengths": ("noise", "layer_strengths"),
    "noise_seed": ("noise", "seed"),
    "direction_offsets": ("edits", "directions"),
    "z_offset": ("edits", "z_offset"),
    "arithmetic": ("edits", "arithmetic"),
    "interpolation": ("edits", "interpolation"),
    "w_offset": ("edits", "w_offset"),
    "w_offset_layers": ("edits", "w_offset_layers"),
    "options": ("view", "options"),
    "feature_layer": ("view", "feature_layer"),
    "feature_channel": ("view", "feature_channel"),
    "feature_scale": ("view", "feature_scale"),
    "translate_x": ("transform", "translate_x"),
    "translate_y": ("transform", "translate_y"),
    "rotate": ("transform", "rotate"),
    "preview": ("view", "preview"),
}
"""Keyword shorthand of :class:`RenderRequest`'s constructor: keyword → (part, field)."""

_PARTS = {
    "latent": Latent,
    "truncation": Truncation,
    "mix": StyleMix,
    "noise": Noise,
    "edits": Edits,
    "view": View,
    "transform": Transform,
}


@dataclass(frozen=True, init=False)
class RenderRequest:
    """One interactive frame of the model ``model_id`` (``Engine.load`` returns it), built from small
    frozen parts: :class:`Latent`, :class:`Truncation`, :class:`StyleMix`, :class:`Noise`,
    :class:`Edits`, :class:`View` and :class:`Transform` (each defaults to "none").

    The constructor also takes one field of a part by its :data:`SHORTHAND` keyword, e.g.
    ``RenderRequest("m", seed=3, psi=0.5)`` — and so does ``dataclasses.replace`` — which sets
    ``latent.seed`` and ``truncation.psi`` on top of the parts given.
    """

    model_id: str
    latent: Latent = field(default_factory=Latent)
    truncation: Truncation = field(default_factory=Truncation)
    mix: StyleMix = field(default_factory=StyleMix)
    noise: Noise = field(default_factory=Noise)
    edits: Edits = field(default_factory=Edits)
    view: View = field(default_factory=View)
    transform: Transform = field(default_factory=Transform)

    def __init__(
        self,
        model_id: str,
        latent: Latent | None = None,
        truncation: Truncation | None = None,
        mix: StyleMix | None = None,
        noise: Noise | None = None,
        edits: Edits | None = None,
        view: View | None = None,
        transform: Transform | None = None,
        **shorthand: Any,
    ) -> None:
        parts: dict[str, Any] = {"latent": latent, "truncation": truncation, "mix": mix, "noise": noise}
        parts.update(edits=edits, view=view, transform=transform)
        changes: dict[str, dict[str, Any]] = {}
        for key, value in shorthand.items():
            if key not in SHORTHAND:
                raise TypeError(f"RenderRequest() got an unexpected keyword argument {key!r}")
            part, name = SHORTHAND[key]
            changes.setdefault(part, {})[name] = value
        object.__setattr__(self, "model_id", model_id)
        for part, cls in _PARTS.items():
            value = parts[part] if parts[part] is not None else cls()
            if not isinstance(value, cls):
                raise TypeError(f"RenderRequest {part} must be a {cls.__name__}, got {type(value).__name__}")
            if part in changes:
                value = replace(value, **changes[part])
            object.__setattr__(self, part, value)


@dataclass(frozen=True)
class RenderResult:
    """The frame for a request (uint8 HWC, 1 or 3 channels), or the error that prevented it; with
    ``features`` (uint8 HW1) when the request named a ``feature_layer``."""

    request: RenderRequest
    generation: int
    image: np.ndarray | None = None
    features: np.ndarray | None = None
    error: str | None = None
    render_ms: float = 0.0
    finite: bool = True
    """False when the model produced NaN/inf values (the frame shows them black): warn the user."""

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class JobProgress:
    """Progress of a long job: ``done`` of ``total`` steps with a message."""

    job_id: int
    done: int
    total: int
    message: str = ""


@dataclass(frozen=True)
class JobResult:
    """How a job ended: ``value`` on success, ``error`` on failure, ``cancelled`` when stopped."""

    job_id: int
    value: Any = None
    error: str | None = None
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.cancelled


@dataclass
class JobHandle:
    """Returned by ``Engine.submit_job``: cancel it, or wait for its result."""

    job_id: int
    name: str
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _done: threading.Event = field(default_factory=threading.Event, repr=False)
    result: JobResult | None = None

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def wait(self, timeout: float | None = None) -> JobResult | None:
        self._done.wait(timeout)
        return self.result


ResultCallback = Callable[[RenderResult], None]
ProgressCallback = Callable[[JobProgress], None]
DoneCallback = Callable[[JobResult], None]
