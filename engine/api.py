"""Requests, results, job handles and typed errors exchanged with the engine thread.

Everything here is plain data (frozen dataclasses): a :class:`RenderRequest` fully describes one
frame, so rendering is a pure function of it and results can be cached.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

NOISE_MODES = ("const", "random", "none")
"""Synthesis noise modes: stored constant noise, fresh random noise (seeded), or none."""


INTERP_METHODS = ("slerp", "lerp")
"""Interpolation methods: spherical (the default in z) or linear."""

LATENT_SPACES = ("z", "w")
"""Where latent operations (interpolation, arithmetic) act: z, or W for models that have it."""

INTERP_SPACES = ("z", "w", "wplus")
"""Where interpolation acts: z, w (one w vector per latent, mapped after truncation), or wplus — per-layer
w (W+: ``num_ws`` codes per latent, each layer blended on its own; e.g. an inverted image). Rendering
blends w and wplus alike, layer by layer; the difference is which latents a walk admits."""

W_SPACES = ("w", "wplus")
"""The interpolation spaces that need a W space."""


class EngineError(RuntimeError):
    """A request or job failed; carries a one-line message for the user."""


@dataclass(frozen=True)
class Interpolation:
    """Blend the request's latent (A) toward a latent B by ``t`` in [0, 1]: ``method`` slerp | lerp,
    in ``space`` z | w | wplus (w and wplus only for models with a W space; see :data:`INTERP_SPACES`).

    B is the latent of ``seed_b``, or an explicit latent when given: ``z_b`` (z_dim floats) or ``ws_b``
    (W+: ``num_ws`` rows of ``w_dim`` floats, truncated like the request's own ``ws``; needs w or wplus).
    """

    seed_b: int
    t: float
    method: str = "slerp"
    space: str = "z"
    z_b: tuple[float, ...] | None = None
    ws_b: tuple[tuple[float, ...], ...] | None = None

    def __post_init__(self) -> None:
        if self.method not in INTERP_METHODS:
            raise ValueError(f"interpolation method must be one of {INTERP_METHODS}, got {self.method!r}")
        if self.space not in INTERP_SPACES:
            raise ValueError(f"interpolation space must be one of {INTERP_SPACES}, got {self.space!r}")
        if self.z_b is not None and self.ws_b is not None:
            raise ValueError("interpolation target B is either z_b or ws_b, not both")
        if self.ws_b is not None and self.space not in W_SPACES:
            raise ValueError(f"interpolation toward a W+ latent needs space w or wplus, got {self.space!r}")


@dataclass(frozen=True)
class LatentTerm:
    """One weighted term of latent arithmetic: the latent of ``seed``, or (``seed`` None) the
    request's own latent (its seed or explicit z, with direction offsets)."""

    seed: int | None
    weight: float


@dataclass(frozen=True)
class RenderRequest:
    """One interactive frame.

    - ``model_id``: id of a model loaded into the engine (``Engine.load`` returns it).
    - Latent: ``seed`` (z from ``LoadedModel.sample_z``), or explicit ``z`` (tuple of z_dim floats).
      ``class_index`` for conditional models.
    - ``psi``/``cutoff``: truncation (cutoff = number of leading style layers truncated; None = all).
    - Style mixing: ``mix_seed`` is a second latent; ``style_mix`` holds one weight in [0, 1] per style
      layer (num_ws): 0 keeps the first latent, 1 takes the second. ``mix_space`` "w" blends the
      w vectors per layer (lerp); "z" blends the z vectors (slerp) per layer and maps each.
    - Noise: ``noise_mode`` const | random | none; ``noise_strength`` global multiplier;
      ``noise_layer_strengths`` one multiplier per noise layer (empty = all 1); ``noise_seed`` for
      random mode.
    - ``w_offset``: optional direction offset added to the style layers' w (tuple of w_dim floats): to
      every layer, or to layers ``w_offset_layers`` = (start, stop) only (e.g. a SeFa direction
      computed for those layers). ``z_offset``: a direction offset added to z (z_dim floats), for
      models without W or edits in z.
    - ``direction_offsets``: one offset per stored latent direction (``capabilities.latent_directions``),
      in standard deviations of the data along it: z += Σ offset_k · std_k · component_k.
    - ``terms``/``terms_space``: latent arithmetic; when non-empty the latent becomes Σ weight · latent
      over the terms (e.g. A − B + C), computed in z or (models with W) in w.
    - ``interpolation``: then blend that latent toward a second seed (:class:`Interpolation`).
    - ``ws``: an explicit W+ latent (e.g. an inverted image): ``num_ws`` rows of ``w_dim`` floats, used
      instead of mapping the seed's z. Truncation, w-space arithmetic and interpolation, style mixing
      (blended in w) and ``w_offset`` then act on it; the z-space operations do not apply.
    - ``options``: family-specific view options as ``(name, value)`` pairs, passed as keyword
      arguments to the model's ``generate``/``synthesize`` (e.g. PGGAN's ``("level", 2), ("alpha", 0.5)``);
      which ones a model takes is declared by its capabilities, never by its family name.
    - Feature-map viewer: ``feature_layer`` (one of ``LoadedModel.layer_names()``; None = off, and
      then no hook is installed) asks for that layer's activations in ``RenderResult.features``:
      all channels in a grid, or only ``feature_channel``; ``feature_scale`` > 0 is the intensity gain
      (see ``engine.features``).
    """

    model_id: str
    seed: int = 0
    z: tuple[float, ...] | None = None
    class_index: int | None = None
    psi: float = 1.0
    cutoff: int | None = None
    mix_seed: int | None = None
    style_mix: tuple[float, ...] = ()
    mix_space: str = "w"
    noise_mode: str = "const"
    noise_strength: float = 1.0
    noise_layer_strengths: tuple[float, ...] = ()
    noise_seed: int = 0
    w_offset: tuple[float, ...] | None = None
    ws: tuple[tuple[float, ...], ...] | None = None
    w_offset_layers: tuple[int, int] | None = None
    z_offset: tuple[float, ...] | None = None
    options: tuple[tuple[str, float | int | str], ...] = ()
    direction_offsets: tuple[float, ...] = ()
    terms: tuple[LatentTerm, ...] = ()
    terms_space: str = "z"
    interpolation: Interpolation | None = None
    feature_layer: str | None = None
    feature_channel: int | None = None
    feature_scale: float = 1.0


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
