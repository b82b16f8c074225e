"""Keyframed latent walks: the render requests of an interpolation through several keyframes.

A keyframe is a seed, or an explicit latent (:class:`Keyframe`): a z (e.g. a VAE encoding, a gallery
bookmark of an encoded image) or a W+ latent — one w per style layer, ``[num_ws, w_dim]`` (e.g. an
image inverted by projection or a pSp encoder). Each segment between consecutive keyframes is an
:class:`~engine.api.Interpolation` from one keyframe toward the next, in one space:

- ``z``: slerp/lerp of the z vectors (every keyframe needs a z: seeds and z latents);
- ``w``: of the mapped w (after truncation) — every keyframe is one w vector: seeds, z latents, and
  W+ latents whose layers are all equal (a projection in w);
- ``wplus``: per layer, of ``[num_ws, w_dim]`` codes: a seed or z maps to its w, broadcast to every
  layer (after truncation), while W+ latents keep their per-layer codes; each layer is blended on
  its own.

A W+ keyframe in z, or one with distinct layers in w, is refused (ValueError naming the keyframe and
suggesting wplus): the walk never changes the space it was asked for. (The explorer asks
:func:`space_for` first and walks such keyframes in w+; the CLI refuses them.)

``loop`` closes the walk back to the first keyframe, and ``easing`` "smooth" slows down at each
keyframe (smoothstep) so a loop has no visible kink. :func:`animate_transform` moves the input
transform (translate/rotate, models with one) along a walk as well.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from engine.api import (
    INTERP_METHODS,
    INTERP_SPACES,
    FrozenArray,
    Interpolation,
    RenderRequest,
    Transform,
    allowed_spaces,
    as_array,
)
from engine.families.base import Capabilities

EASINGS = ("linear", "smooth")


@dataclass(frozen=True)
class Keyframe:
    """One keyframe of a walk: the latent of ``seed``, or an explicit ``z`` [z_dim] or ``ws``
    (W+: [num_ws, w_dim]). ``label`` names it in messages (e.g. a file name)."""

    seed: int = 0
    z: FrozenArray | None = None
    ws: FrozenArray | None = None
    label: str = ""

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "z", as_array(self.z, 1, "z"))
            object.__setattr__(self, "ws", as_array(self.ws, 2, "ws"))
        except ValueError as e:
            raise ValueError(f"keyframe {self.name}: {e}") from None
        if self.z is not None and self.ws is not None:
            raise ValueError(f"keyframe {self.name}: either z or ws, not both")

    @property
    def name(self) -> str:
        """The label, or a description (``seed 5``, ``z``, ``W+``)."""
        if self.label:
            return self.label
        return f"seed {self.seed}" if self.kind == "seed" else ("z" if self.kind == "z" else "W+")

    @property
    def kind(self) -> str:
        """``seed``, ``z`` or ``ws``."""
        return "ws" if self.ws is not None else "z" if self.z is not None else "seed"

    @property
    def per_layer(self) -> bool:
        """True for a W+ latent whose style layers differ (it has no single w)."""
        return self.ws is not None and not bool(np.all(self.ws.array == self.ws.array[0]))


KeyLike = int | Keyframe


def as_keyframes(keys: Sequence[KeyLike]) -> list[Keyframe]:
    """Seeds (ints) become seed keyframes; keyframes stay."""
    out = []
    for k in keys:
        if isinstance(k, Keyframe):
            out.append(k)
        elif isinstance(k, int) and not isinstance(k, bool):
            out.append(Keyframe(seed=int(k)))
        else:
            raise TypeError(f"a keyframe is a seed (int) or a Keyframe, got {type(k).__name__}")
    return out


def check_space(keys: Sequence[KeyLike], space: str) -> None:
    """ValueError when a keyframe cannot be walked in ``space`` (a W+ latent in z, a W+ latent with
    distinct layers in w)."""
    if space not in INTERP_SPACES:
        raise ValueError(f"space must be one of {INTERP_SPACES}, got {space!r}")
    for k in as_keyframes(keys):
        if space == "z" and k.ws is not None:
            raise ValueError(f"keyframe {k.name} is a W+ latent (no z): walk in w+ (space wplus)")
        if space == "w" and k.per_layer:
            raise ValueError(f"keyframe {k.name} is a W+ latent with per-layer codes: walk in w+ (space wplus)")


def space_for(keys: Sequence[KeyLike], space: str) -> str:
    """``space``, or "wplus" when a keyframe cannot be walked in it (a W+ latent in z, a per-layer
    W+ latent in w) — for front ends that switch to w+ on their own (the explorer) rather than refuse."""
    try:
        check_space(keys, space)
    except ValueError:
        return "wplus"
    return space


def check_keyframes(keys: Sequence[KeyLike], space: str, caps: Capabilities) -> None:
    """ValueError unless every keyframe fits the model ``caps`` (z length, W+ shape) and ``space``
    (which must exist for the model)."""
    check_space(keys, space)
    ws_space = caps.w_space
    if caps.z_dim <= 0:
        raise ValueError(f"{caps.family} models do not generate from a latent (task: {caps.task})")
    if space not in allowed_spaces(caps, "interpolation"):
        raise ValueError(f"space {space}: {caps.family} models have no W space (use z)")
    for k in as_keyframes(keys):
        if k.z is not None and k.z.shape != (caps.z_dim,):
            raise ValueError(f"keyframe {k.name}: z has {len(k.z)} values, the model's z has {caps.z_dim}")
        if k.ws is not None:
            if ws_space is None:
                raise ValueError(f"keyframe {k.name} is a W+ latent; {caps.family} models have no W space")
            shape = k.ws.shape
            if shape != (ws_space.num_ws, ws_space.w_dim):
                raise ValueError(
                    f"keyframe {k.name}: W+ latent of {shape[0]}×{shape[1]} does not fit this model "
                    f"({ws_space.num_ws} style layers × {ws_space.w_dim})"
                )


def ease(t: float, easing: str) -> float:
    """Map a segment fraction t ∈ [0, 1]: linear, or smoothstep 3t² − 2t³."""
    if easing == "linear":
        return t
    if easing == "smooth":
        return t * t * (3 - 2 * t)
    raise ValueError(f"easing must be one of {EASINGS}, got {easing!r}")


def _check_walk(keys: Sequence[KeyLike], frames: int, method: str, space: str, easing: str) -> list[Keyframe]:
    if len(keys) < 2:
        raise ValueError("a walk needs at least two keyframes")
    if frames < 2:
        raise ValueError(f"need at least 2 frames, got {frames}")
    if method not in INTERP_METHODS:
        raise ValueError(f"method must be one of {INTERP_METHODS}, got {method!r}")
    ease(0.0, easing)
    check_space(keys, space)
    return as_keyframes(keys)


def _frame(
    base: RenderRequest, keys: list[Keyframe], frames: int, i: int, method: str, space: str, loop: bool, easing: str
) -> RenderRequest:
    ring = keys + ([keys[0]] if loop else [])
    segments = len(ring) - 1
    pos = i * segments / (frames if loop else frames - 1)
    k = min(int(pos), segments - 1)
    t = ease(pos - k, easing)
    a, b = ring[k], ring[k + 1]
    it = Interpolation(b.seed, t, method, space, z_b=b.z, ws_b=b.ws)
    latent = dataclasses.replace(base.latent, seed=a.seed, z=a.z, ws=a.ws)
    return dataclasses.replace(base, latent=latent, edits=dataclasses.replace(base.edits, interpolation=it))


def walk(
    base: RenderRequest,
    keys: Sequence[KeyLike],
    frames: int,
    method: str = "slerp",
    space: str = "z",
    loop: bool = False,
    easing: str = "linear",
) -> list[RenderRequest]:
    """``frames`` requests walking through ``keys`` (seeds or :class:`Keyframe`; everything else as in
    ``base``).

    Without ``loop`` the first frame is exactly the first keyframe and the last exactly the last;
    with ``loop`` the walk returns toward the first keyframe and the last frame stops one step short
    of it, so the sequence repeats seamlessly.
    """
    return list(iter_walk(base, keys, frames, method, space, loop, easing))


def iter_walk(
    base: RenderRequest,
    keys: Sequence[KeyLike],
    frames: int,
    method: str = "slerp",
    space: str = "z",
    loop: bool = False,
    easing: str = "linear",
) -> Iterator[RenderRequest]:
    """The requests of :func:`walk`, made one at a time as they are consumed (a long export never
    holds them all). The keyframes and options are checked here, before the first frame is asked for."""
    ks = _check_walk(keys, frames, method, space, easing)

    def frames_of() -> Iterator[RenderRequest]:
        for i in range(frames):
            yield _frame(base, ks, frames, i, method, space, loop, easing)

    return frames_of()


def walk_frame(
    base: RenderRequest,
    keys: Sequence[KeyLike],
    frames: int,
    index: int,
    method: str = "slerp",
    space: str = "z",
    loop: bool = False,
    easing: str = "linear",
) -> RenderRequest:
    """Frame ``index`` (0 ≤ index < frames) of :func:`walk` alone — a scrubber's preview."""
    ks = _check_walk(keys, frames, method, space, easing)
    if not 0 <= index < frames:
        raise ValueError(f"frame index {index} outside 0..{frames - 1}")
    return _frame(base, ks, frames, index, method, space, loop, easing)


def animate_transform(
    requests: Iterable[RenderRequest], start: Transform, end: Transform, loop: bool = False, count: int | None = None
) -> Iterator[RenderRequest]:
    """``requests`` (the frames of a walk, ``count`` of them; a sequence's length by default) with their
    :class:`~engine.api.Transform` moved linearly from ``start`` (the first frame) to ``end`` (the last
    frame; with ``loop``, the frame after the last, so a turn from 0 to 360 degrees repeats seamlessly),
    one at a time as they are taken. For models with an input transform (StyleGAN3)."""
    n = len(requests) if count is None else int(count)  # type: ignore[arg-type]
    if n < 2:
        raise ValueError(f"need at least 2 frames, got {n}")
    return _moved(requests, n if loop else n - 1, start, end)


def _moved(requests: Iterable[RenderRequest], span: int, start: Transform, end: Transform) -> Iterator[RenderRequest]:
    for i, req in enumerate(requests):
        f = i / span
        moved = Transform(
            start.translate_x + f * (end.translate_x - start.translate_x),
            start.translate_y + f * (end.translate_y - start.translate_y),
            start.rotate + f * (end.rotate - start.rotate),
        )
        yield dataclasses.replace(req, transform=moved)
