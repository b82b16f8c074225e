"""What each discovered direction changes: a name from where and how much it acts, and a small
preview strip of a frame moved along it from −σ to +σ.

SeFa and PCA give directions without names. Two things can be measured cheaply on the current
frame: *how much* the image changes along a direction (the mean absolute pixel change between −2σ
and +2σ, ranked within the set: strong / medium / subtle), and, for a direction in W applied to
every style layer, *where* it acts — on the coarse (≤ 8 px: pose and shape), middle (16–32 px:
features) or fine (≥ 64 px: colour and texture) layers, after Karras et al. — by applying it to each
group of layers alone. A direction computed for a range of layers is named by that range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
from PIL import Image

from engine.api import RenderRequest
from engine.families import LoadedModel
from engine.families.base import Capabilities
from engine.latent.directions import Directions
from engine.render import LRUCache, render

GROUPS = ("coarse", "middle", "fine")
GROUP_WORDS = {"coarse": "shape", "middle": "features", "fine": "colour & texture"}
STRIP_SIGMAS = (-2.0, -1.0, 0.0, 1.0, 2.0)
PROBE_SIGMA = 2.0
DOMINANT = 0.5
"""A layer group "owns" a direction when it makes at least this share of the group-wise change."""
Progress = tuple[int, int, str]


def layer_groups(caps: Capabilities) -> dict[str, tuple[int, int]]:
    """Contiguous style-layer ranges ``(start, stop)`` of the coarse, middle and fine groups (by the
    resolution each layer acts on when known, else thirds); empty groups are left out, and so is
    everything for a model without W."""
    n = caps.w_space.num_ws if caps.w_space else 0
    if n == 0:
        return {}
    res = [caps.layer_resolution(i, "style") for i in range(n)]
    if all(r is not None for r in res):
        group = ["coarse" if r <= 8 else "middle" if r <= 32 else "fine" for r in res]  # type: ignore[operator]
    else:
        group = ["coarse" if i < n // 3 else "middle" if i < 2 * n // 3 else "fine" for i in range(n)]
    out: dict[str, tuple[int, int]] = {}
    for name in GROUPS:
        idx = [i for i, g in enumerate(group) if g == name]
        if idx:
            out[name] = (idx[0], idx[-1] + 1)
    return out


def _resolutions(caps: Capabilities, layers: tuple[int, int]) -> str:
    res = [caps.layer_resolution(i, "style") for i in range(*layers)]
    if not res or any(r is None for r in res):
        return f"layers {layers[0]}–{layers[1] - 1}"
    lo, hi = min(res), max(res)  # type: ignore[type-var]
    return f"{lo} px" if lo == hi else f"{lo}–{hi} px"


@dataclass(frozen=True)
class DirectionEffect:
    """Direction ``index``: its ``label``; ``change``, the mean absolute change of the frame's pixels
    (0..1) between −2σ and +2σ; ``groups``, the same change with the direction on each layer group
    alone (empty when not measured); ``strip``, the frame at −2σ, −σ, 0, +σ, +2σ (uint8 [5, h, w, c])."""

    index: int
    label: str
    change: float
    groups: dict[str, float]
    strip: np.ndarray


def _moved(base: RenderRequest, directions: Directions, index: int, sigma: float, layers: tuple[int, int] | None):
    amounts = [0.0] * len(directions)
    amounts[index] = sigma
    offset = directions.offset(amounts)
    if directions.space == "w":
        edits = dataclasses.replace(base.edits, w_offset=offset, w_offset_layers=layers)
    else:
        edits = dataclasses.replace(base.edits, z_offset=offset)
    return dataclasses.replace(base, edits=edits)


def _thumb(image: np.ndarray, size: int) -> np.ndarray:
    if image.shape[0] <= size:
        return image
    mode = "L" if image.shape[2] == 1 else None
    im = Image.fromarray(image[:, :, 0] if mode else image).resize((size, size), Image.Resampling.BOX)
    a = np.asarray(im)
    return a[:, :, None] if a.ndim == 2 else a


def _change(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean() / 255.0)


def direction_effects(
    model: LoadedModel, directions: Directions, base: RenderRequest, thumb: int = 40
) -> Generator[Progress, None, list[DirectionEffect]]:
    """Measure and preview every direction on the frame of ``base`` (a request without found
    directions), as a stepwise job: one step per rendered frame, so frames keep coming meanwhile."""
    directions.check_model(model)
    caps = model.capabilities
    base = dataclasses.replace(base, edits=dataclasses.replace(base.edits, z_offset=None, w_offset=None))
    groups = layer_groups(caps) if directions.space == "w" and directions.layers is None else {}
    cache = LRUCache()
    total = len(directions) * (len(STRIP_SIGMAS) + 2 * len(groups))
    done = 0
    measured: list[tuple[float, dict[str, float], np.ndarray]] = []
    for i in range(len(directions)):
        frames: dict[float, np.ndarray] = {}
        for sigma in STRIP_SIGMAS:
            frames[sigma] = render(model, _moved(base, directions, i, sigma, directions.layers), cache)
            done += 1
            yield (done, total, f"direction {i + 1}")
        by_group = {}
        for name, layers in groups.items():
            pair = []
            for sigma in (PROBE_SIGMA, -PROBE_SIGMA):
                pair.append(render(model, _moved(base, directions, i, sigma, layers), cache))
                done += 1
                yield (done, total, f"direction {i + 1}")
            by_group[name] = _change(*pair)
        strip = np.stack([_thumb(frames[s], thumb) for s in STRIP_SIGMAS])
        measured.append((_change(frames[PROBE_SIGMA], frames[-PROBE_SIGMA]), by_group, strip))
    strongest = max((m[0] for m in measured), default=0.0)
    return [
        DirectionEffect(i, name_direction(i, change, by_group, strongest, directions, caps), change, by_group, strip)
        for i, (change, by_group, strip) in enumerate(measured)
    ]


def name_direction(
    index: int,
    change: float,
    groups: dict[str, float],
    strongest: float,
    directions: Directions,
    caps: Capabilities,
) -> str:
    """ "3 · shape (coarse, 4–8 px) · strong": the direction's number, where it acts and how much,
    relative to the ``strongest`` direction of its set."""
    parts = [str(index + 1)]
    if directions.layers is not None:
        parts.append(_resolutions(caps, directions.layers))
    elif groups and sum(groups.values()) > 0:
        top = max(groups, key=lambda g: groups[g])
        if groups[top] >= DOMINANT * sum(groups.values()):
            spans = layer_groups(caps)
            parts.append(f"{GROUP_WORDS[top]} ({top}, {_resolutions(caps, spans[top])})")
        else:
            parts.append("all layers")
    share = change / strongest if strongest > 0 else 0.0
    parts.append("strong" if share >= 2 / 3 else "medium" if share >= 1 / 3 else "subtle")
    return " · ".join(parts)
