"""The explorer's parameter state: one frozen value the panels edit and the session turns into a
:class:`~engine.api.RenderRequest` (once per change, :meth:`Params.to_request`).

It is made of the request's own parts (:class:`~engine.api.Latent`, :class:`~engine.api.Truncation`,
:class:`~engine.api.StyleMix`, :class:`~engine.api.Noise`, :class:`~engine.api.View`,
:class:`~engine.api.Transform`, the
:class:`~engine.api.Interpolation` and :class:`~engine.api.Arithmetic` edits) plus what only the
explorer keeps: whether interpolation and arithmetic are switched on (their settings stay while
off), and the slider-made edits along discovered directions and attribute vectors
(:class:`DirectionEdit`). Qt-free on purpose (plain data), so it is cheap to test and to compare for
undo/redo.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from engine.api import (
    INTERP_METHODS,
    W_SPACES,
    Arithmetic,
    Edits,
    FrozenArray,
    Interpolation,
    Latent,
    LatentTerm,
    Noise,
    RenderRequest,
    StyleMix,
    Transform,
    Truncation,
    View,
    allowed_spaces,
    as_array,
)
from engine.families.base import Capabilities

ARITH_LABELS = ("A", "B", "C")
DEFAULT_ARITHMETIC = Arithmetic((LatentTerm(None, 1.0), LatentTerm(1, -1.0), LatentTerm(2, 1.0)), "z")
"""A − B + C with B, C the latents of seeds 1 and 2."""


@dataclass(frozen=True)
class DirectionEdit:
    """A move along ``vector`` (in ``space`` z or w) times ``strength``: in w on style layers
    ``layers`` = (start, stop) only (None = all). ``sliders`` are the positions that made the vector
    (the Discover panel's sliders, one per discovered direction)."""

    vector: FrozenArray | None = None
    space: str = "z"
    layers: tuple[int, int] | None = None
    strength: float = 1.0
    sliders: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "vector", as_array(self.vector, 1, "vector"))


@dataclass(frozen=True)
class Params:
    """Everything the interactive preview depends on, besides the model.

    ``latent.z`` / ``latent.ws`` hold an encoded image or an inverted W+ latent (picking a seed
    clears them; z-space operations then act in w). ``mix.seed`` is kept while every style weight is 0
    (no mixing); ``mix.weights`` and ``noise.layer_strengths`` hold one value per style / noise
    layer of the current model. ``directions``: one offset (in standard deviations) per stored
    latent direction. ``interpolation`` blends toward its seed B while ``interpolating``;
    ``arithmetic`` (A − B + C, A the current latent) replaces the latent while ``arithmetic_on``.
    ``found``: the edit along discovered directions (SeFa/PCA); ``attribute``: an attribute vector
    from picked samples, with its strength. ``view.options``: family view options (a progressive
    model's ``level``/``alpha``; none = its top trained level). ``transform``: translate/rotate of
    models with an input transform (StyleGAN3).
    """

    latent: Latent = field(default_factory=Latent)
    truncation: Truncation = field(default_factory=Truncation)
    mix: StyleMix = field(default_factory=lambda: StyleMix(seed=1))
    noise: Noise = field(default_factory=Noise)
    view: View = field(default_factory=View)
    transform: Transform = field(default_factory=Transform)
    directions: tuple[float, ...] = ()
    interpolation: Interpolation = field(default_factory=lambda: Interpolation(seed_b=1, t=0.5))
    interpolating: bool = False
    arithmetic: Arithmetic = DEFAULT_ARITHMETIC
    arithmetic_on: bool = False
    found: DirectionEdit = field(default_factory=DirectionEdit)
    attribute: DirectionEdit = field(default_factory=lambda: DirectionEdit(strength=0.0))

    def replace(self, **changes: Any) -> Params:
        """A copy with ``changes`` applied: a part (e.g. ``truncation=Truncation(0.5)``), or a dict
        of some of a part's fields (``truncation={"psi": 0.5}``) merged into the current part."""
        resolved = {
            name: dataclasses.replace(getattr(self, name), **value) if isinstance(value, dict) else value
            for name, value in changes.items()
        }
        return dataclasses.replace(self, **resolved)

    def adapted(self, caps: Capabilities) -> Params:
        """These parameters sized for a model with capabilities ``caps`` (seeds and modes are kept;
        an explicit z or ws belongs to the model it was made with, so it is dropped)."""
        num_ws = caps.w_space.num_ws if caps.w_space else 0
        noise = caps.noise_layers or 0
        k = caps.latent_directions
        prog = caps.progressive
        options = self.view.options
        if prog is None or not 0 <= int(dict(options).get("level", -1)) < len(prog.levels):
            options = ()
        it = self.interpolation
        cutoff = self.truncation.cutoff
        return self.replace(
            latent=Latent(
                self.latent.seed, class_index=min(self.latent.class_index or 0, max(0, len(caps.classes) - 1))
            ),
            truncation={"cutoff": None if cutoff is None or num_ws == 0 else min(cutoff, num_ws)},
            mix={"weights": _resized(self.mix.weights, num_ws, 0.0)},
            noise={"layer_strengths": _resized(self.noise.layer_strengths, noise, 1.0)},
            view=View(options=options),
            transform=self.transform if caps.input_transform else Transform(),
            directions=_resized(self.directions, k, 0.0),
            interpolation={
                "method": it.method if it.method in INTERP_METHODS else "slerp",
                "space": it.space if it.space in allowed_spaces(caps, "interpolation") else "z",
            },
            arithmetic={
                "space": self.arithmetic.space if self.arithmetic.space in allowed_spaces(caps, "arithmetic") else "z"
            },
            found=DirectionEdit(),
            attribute=DirectionEdit(strength=0.0),
        )

    def to_request(self, model_id: str, caps: Capabilities) -> RenderRequest:
        """The render request for these parameters on model ``model_id`` (what the model cannot do
        is left out: no W space, no noise, no classes, no stored directions, no input transform)."""
        w = caps.w_space
        has_z = caps.z_dim > 0
        lat = self.latent
        z = lat.z if has_z and lat.z is not None and lat.z.shape == (caps.z_dim,) else None
        ws = lat.ws if w is not None and lat.ws is not None and lat.ws.shape == (w.num_ws, w.w_dim) else None
        edits = Edits(**self._offsets(caps))
        if caps.latent_directions and ws is None and any(o != 0 for o in self.directions):
            edits = dataclasses.replace(edits, directions=tuple(self.directions[: caps.latent_directions]))
        if has_z and self.arithmetic_on:
            spaces = allowed_spaces(caps, "arithmetic", explicit_ws=ws is not None)
            space = self.arithmetic.space if self.arithmetic.space in spaces else spaces[0]
            edits = dataclasses.replace(edits, arithmetic=dataclasses.replace(self.arithmetic, space=space))
        if has_z and self.interpolating:
            it = self.interpolation
            if ws is not None:  # an explicit W+ latent has no z: blend it per layer in w+ (or w when chosen)
                space = it.space if it.space in W_SPACES else "wplus"
            else:
                space = it.space if it.space in allowed_spaces(caps, "interpolation") else "z"
            edits = dataclasses.replace(edits, interpolation=dataclasses.replace(it, space=space))
        return RenderRequest(
            model_id,
            latent=Latent(lat.seed, z, ws, lat.class_index if caps.classes else None),
            truncation=Truncation(
                self.truncation.psi if w is not None and w.has_w_avg else 1.0,
                self.truncation.cutoff if w is not None else None,
            ),
            mix=self.mix if w is not None and self.mix.active else StyleMix(),
            noise=self.noise if caps.noise_layers else Noise(seed=self.noise.seed),
            edits=edits,
            view=View(options=self._view_options(caps)),
            transform=self.transform if caps.input_transform else Transform(),
        )

    def _view_options(self, caps: Capabilities) -> tuple[tuple[str, float | int | str], ...]:
        """The level and alpha a progressive model shows, always explicit (see ``Progressive.viewed``)."""
        if caps.progressive is None or not caps.progressive.levels:
            return ()
        level, alpha = caps.progressive.viewed(dict(self.view.options))
        return (("level", level), ("alpha", alpha))

    def _offsets(self, caps: Capabilities) -> dict[str, Any]:
        """The found-direction and attribute edits as request fields: their w parts summed into
        ``w_offset`` (on the found direction's layer range, if it has one), their z parts into
        ``z_offset``."""
        w_dim = caps.w_space.w_dim if caps.w_space is not None else -1
        sums: dict[str, Any] = {}
        layers = None
        for edit in (self.found, self.attribute):
            v = edit.vector
            if v is None or edit.strength == 0 or not v.array.any():
                continue
            if (edit.space == "w" and v.shape == (w_dim,)) or (edit.space == "z" and v.shape == (caps.z_dim,) != (0,)):
                scaled = v.array * float(edit.strength)
                sums[edit.space] = scaled if edit.space not in sums else sums[edit.space] + scaled
                if edit is self.found and edit.space == "w":
                    layers = edit.layers
        out: dict[str, Any] = {}
        if "w" in sums:
            out["w_offset"] = sums["w"]
            out["w_offset_layers"] = layers
        if "z" in sums:
            out["z_offset"] = sums["z"]
        return out


def _resized(values: tuple[float, ...], n: int, fill: float) -> tuple[float, ...]:
    """``values`` cut or padded with ``fill`` to ``n`` entries."""
    return tuple(values[:n]) + (fill,) * max(0, n - len(values))
