"""Keyframed latent walks: the render requests of an interpolation through several seeds.

Each segment between consecutive keyframes is an :class:`~engine.api.Interpolation` from one seed
toward the next, in z (slerp/lerp) or w; ``loop`` closes the walk back to the first keyframe, and
``easing`` "smooth" slows down at each keyframe (smoothstep) so a loop has no visible kink.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from engine.api import INTERP_METHODS, LATENT_SPACES, Interpolation, RenderRequest

EASINGS = ("linear", "smooth")


def ease(t: float, easing: str) -> float:
    """Map a segment fraction t ∈ [0, 1]: linear, or smoothstep 3t² − 2t³."""
    if easing == "linear":
        return t
    if easing == "smooth":
        return t * t * (3 - 2 * t)
    raise ValueError(f"easing must be one of {EASINGS}, got {easing!r}")


def walk(
    base: RenderRequest,
    seeds: Sequence[int],
    frames: int,
    method: str = "slerp",
    space: str = "z",
    loop: bool = False,
    easing: str = "linear",
) -> list[RenderRequest]:
    """``frames`` requests walking through ``seeds`` (everything else as in ``base``).

    Without ``loop`` the first frame is exactly the first seed and the last exactly the last; with
    ``loop`` the walk returns toward the first seed and the last frame stops one step short of it,
    so the sequence repeats seamlessly.
    """
    if len(seeds) < 2:
        raise ValueError("a walk needs at least two keyframes")
    if frames < 2:
        raise ValueError(f"need at least 2 frames, got {frames}")
    if method not in INTERP_METHODS:
        raise ValueError(f"method must be one of {INTERP_METHODS}, got {method!r}")
    if space not in LATENT_SPACES:
        raise ValueError(f"space must be one of {LATENT_SPACES}, got {space!r}")
    ease(0.0, easing)
    keys = list(seeds) + ([seeds[0]] if loop else [])
    segments = len(keys) - 1
    out = []
    for i in range(frames):
        pos = i * segments / (frames if loop else frames - 1)
        k = min(int(pos), segments - 1)
        t = ease(pos - k, easing)
        req = dataclasses.replace(
            base, seed=int(keys[k]), z=None, interpolation=Interpolation(int(keys[k + 1]), t, method, space)
        )
        out.append(req)
    return out
